//! Haven's HTTP server: the JSON API (`api/`) and the web pages (`web/`).
//! Both are thin: they parse requests into the inputs of the use cases in
//! `haven-app`, call one, and render its result or its typed error.

pub mod api;
pub mod error;
pub mod ops;
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

/// The whole HTTP surface, with admission control sized by the config.
pub fn router(app: Arc<App>) -> Router {
    let ops = Arc::new(ops::Ops::new(
        app.config.max_in_flight,
        std::time::Duration::from_millis(app.config.request_timeout_ms),
    ));
    router_with_ops(app, ops)
}

/// The whole HTTP surface: API, pages, media, `/healthz`, `/readyz` and
/// `/metrics`, with the headers every response carries. Every request but
/// the health checks passes admission control.
pub fn router_with_ops(app: Arc<App>, ops: Arc<ops::Ops>) -> Router {
    let probes = Router::new()
        .route("/readyz", axum::routing::get(ops::readyz))
        .route("/metrics", axum::routing::get(ops::metrics))
        .with_state((app.clone(), ops.clone()))
        .route("/healthz", axum::routing::get(ops::healthz));
    let admitted = Router::new()
        .merge(api::router(app.clone()))
        .merge(web::router(app.clone()))
        .layer(axum::middleware::from_fn_with_state(ops, ops::admission));
    base_headers(probes.merge(admitted), &app)
}

fn base_headers(router: Router, app: &App) -> Router {
    let hsts = app.config.secure_cookies.then(|| {
        SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        )
    });
    router
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

/// Serve until Ctrl-C or SIGTERM, with the timer worker running alongside.
/// On the signal, `/readyz` turns 503, the listener stops accepting, and
/// requests in flight finish before the process exits.
pub async fn serve(app: Arc<App>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(&app.config.bind).await?;
    tracing::info!(addr = %listener.local_addr()?, backend = app.store.backend(), "Haven listening");
    let worker = tokio::spawn(haven_app::run_worker(app.clone()));
    let relay = app
        .config
        .relay_target()
        .map(|target| tokio::spawn(haven_app::relay::run_relay(app.clone(), target)));
    let ops = Arc::new(ops::Ops::new(
        app.config.max_in_flight,
        std::time::Duration::from_millis(app.config.request_timeout_ms),
    ));
    let service = router_with_ops(app, ops.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: draining requests in flight");
            ops.begin_shutdown();
        })
        .await?;
    worker.abort();
    if let Some(relay) = relay {
        relay.abort();
    }
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
