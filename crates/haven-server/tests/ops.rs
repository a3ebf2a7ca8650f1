//! Operating Haven: overload is answered with 503 and Retry-After instead
//! of queueing without bound, and the probes and metrics tell the truth.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_is_turned_away_with_503_and_the_server_recovers() {
    let t = TestApp::sqlite_with(|c| c.max_in_flight = 3).await;
    t.user("b@example.com", "buyer").await;
    // Logins hash a password (tens of milliseconds each): 60 at once hold
    // every slot, and the rest are refused at the door.
    let flood: Vec<_> = (0..60)
        .map(|_| {
            let t = &t;
            async move {
                t.post(
                    "/api/v1/auth/login",
                    None,
                    json!({"email": "b@example.com", "password": PASSWORD}),
                )
                .await
            }
        })
        .collect();
    let answers = futures::future::join_all(flood).await;
    let refused: Vec<_> = answers
        .iter()
        .filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(!refused.is_empty(), "some were turned away");
    for r in &refused {
        assert_error(r, StatusCode::SERVICE_UNAVAILABLE, "overloaded");
        assert_eq!(r.headers["retry-after"], "1");
    }
    assert!(
        answers.iter().all(|r| r.status == StatusCode::OK
            || r.status == StatusCode::SERVICE_UNAVAILABLE
            || r.status == StatusCode::TOO_MANY_REQUESTS),
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    // Once the flood has passed, requests are served again.
    let r = t.get("/api/v1/listings", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let metrics = t.get("/metrics", None).await;
    let text = metrics.json.as_str().unwrap().to_string();
    let rejected: u64 = text
        .lines()
        .find(|l| l.starts_with("haven_http_rejected_total{reason=\"overload\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert_eq!(rejected, refused.len() as u64);
}

#[tokio::test]
async fn probes_and_metrics_report_the_marketplace() {
    let t = TestApp::sqlite().await;
    assert_eq!(t.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(t.get("/readyz", None).await.status, StatusCode::OK);
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let buyer = t.user("b@example.com", "buyer").await;
    for _ in 0..2 {
        assert_eq!(
            t.buy(&buyer, &listing, "4242424242424242").await.status,
            StatusCode::CREATED
        );
    }
    let metrics = t.get("/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = metrics.json.as_str().unwrap().to_string();
    let value = |name: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
    };
    assert_eq!(value("haven_orders_placed_total"), 2.0);
    assert_eq!(value("haven_escrow_minor"), 9_000.0, "two orders of 45.00");
    assert!(
        value("haven_timers_pending") >= 6.0,
        "each paid order arms its deadlines"
    );
    assert_eq!(value("haven_timer_lag_seconds"), 0.0);
    assert!(value("haven_http_request_duration_seconds_count") >= 4.0);
    assert!(text.contains("haven_http_requests_total{class=\"2xx\"}"));
}
