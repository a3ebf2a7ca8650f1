//! Haven's HTTP server: the JSON API, the web pages, authentication, the
//! application services and the background workers.

pub mod api;
pub mod auth;
pub mod blobs;
pub mod carrier;
pub mod config;
pub mod error;
pub mod images;
pub mod payments;
pub mod service;
pub mod views;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

pub use config::Config;
pub use service::App;

/// The whole HTTP surface: API, pages, media, with the headers every
/// response carries.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .merge(api::router(app.clone()))
        .merge(web::router(app))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        // For browsers that predate CSP's frame-ancestors.
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'"),
        ))
}

/// Serve until Ctrl-C, with the timer worker running alongside.
pub async fn serve(app: Arc<App>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&app.config.bind).await?;
    tracing::info!(addr = %listener.local_addr()?, backend = app.store.backend(), "Haven listening");
    let worker = tokio::spawn(service::run_worker(app.clone()));
    let service = router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    worker.abort();
    Ok(())
}
