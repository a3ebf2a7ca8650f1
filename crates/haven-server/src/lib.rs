//! Haven's HTTP server: the JSON API (`api/`) and the web pages (`web/`).
//! Both are thin: they parse requests into the inputs of the use cases in
//! `haven-app`, call one, and render its result or its typed error.

pub mod api;
pub mod error;
pub mod views;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

pub use haven_app::{App, Config};

/// The strictest policy the pages work under: no inline script or style
/// anywhere, no plugins, no framing, forms only to Haven.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
/// Sent only when cookies are `Secure`, that is, when Haven is served over
/// HTTPS: a browser then refuses plain HTTP for a year.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// The whole HTTP surface: API, pages, media, with the headers every
/// response carries.
pub fn router(app: Arc<App>) -> Router {
    let hsts = app.config.secure_cookies.then(|| {
        SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        )
    });
    Router::new()
        .merge(api::router(app.clone()))
        .merge(web::router(app))
        .layer(tower::util::option_layer(hsts))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // For browsers that predate CSP's frame-ancestors.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
}

/// Serve until Ctrl-C, with the timer worker running alongside.
pub async fn serve(app: Arc<App>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&app.config.bind).await?;
    tracing::info!(addr = %listener.local_addr()?, backend = app.store.backend(), "Haven listening");
    let worker = tokio::spawn(haven_app::run_worker(app.clone()));
    let service = router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    worker.abort();
    Ok(())
}
