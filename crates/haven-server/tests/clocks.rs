//! The demo's clock runs ahead of real time (its fast-forward); security
//! runs on real time, and pages count down on the marketplace's time.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::{Browser, PASSWORD, TestApp};
use haven_domain::clock::OffsetClock;
use serde_json::json;

/// An app as `haven demo` builds it: the marketplace clock is the demo
/// clock, which visitors fast-forward.
async fn demo_app() -> (TestApp, OffsetClock) {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let store: haven_store::DynStore =
        Arc::new(haven_store::sqlite::SqliteStore::open(&dir.path().join("demo.db")).unwrap());
    let blobs =
        haven_app::blobs::BlobStore::open(dir.path().join("blobs").to_str().unwrap()).unwrap();
    let demo_clock = OffsetClock::default();
    let mut config = common::config();
    config.mail_dir = dir.path().join("mail").to_string_lossy().into_owned();
    let gateway = Arc::new(haven_app::payments::TestCardGateway::new(
        store.clone(),
        Arc::new(demo_clock.clone()),
    ));
    let app = haven_app::App::new(
        store,
        Arc::new(demo_clock.clone()),
        gateway,
        blobs,
        config,
        Some(demo_clock.clone()),
    )
    .await
    .unwrap();
    let router = haven_server::router(app.clone());
    let t = TestApp::from_parts(app, router, dir);
    (t, demo_clock)
}

fn real_totp(secret: &str) -> String {
    let now = jiff::Timestamp::now().as_second() as u64;
    haven_app::auth::totp_code(secret, now).unwrap()
}

/// Before, codes were checked against the demo clock: after a fast-forward
/// the code on the visitor's phone never matched, and they were locked out.
#[tokio::test]
async fn authenticator_codes_are_checked_on_real_time_whatever_the_demo_clock_says() {
    let (t, demo_clock) = demo_app().await;
    let token = t.user("dee@example.com", "buyer").await;
    let setup = t
        .post("/api/v1/me/2fa/setup", Some(&token), json!({}))
        .await;
    let secret = setup.json["secret"].as_str().unwrap().to_string();
    demo_clock.advance_s(3 * 86_400 + 1_234);
    let r = t
        .post(
            "/api/v1/me/2fa/enable",
            Some(&token),
            json!({"code": real_totp(&secret)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    demo_clock.advance_s(7 * 86_400);
    let r = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "dee@example.com", "password": PASSWORD}),
        )
        .await;
    let challenge = r.json["error"]["details"]["challenge"]
        .as_str()
        .unwrap()
        .to_string();
    // The step used to turn 2FA on cannot be used again: the next one,
    // which a phone shows a few seconds later (one step of drift is
    // allowed), on real time.
    let next = jiff::Timestamp::now().as_second() as u64 + 30;
    let code = haven_app::auth::totp_code(&secret, next).unwrap();
    let r = t
        .post(
            "/api/v1/auth/login/second-factor",
            None,
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
}

/// Before, the page passed only the milliseconds part of the demo clock's
/// offset to the countdown script, which then showed a wrong time, and
/// "ended left" once the window had closed.
#[tokio::test]
async fn the_countdown_counts_on_the_marketplace_clock_and_says_when_it_has_ended() {
    let (t, demo_clock) = demo_app().await;
    let (seller, listing) = t.seller_with_listing("sy@example.com", 3).await;
    t.user("by@example.com", "buyer").await;
    let buyer_token = t.login("by@example.com").await;
    let order = t.buy(&buyer_token, &listing, "4242424242424242").await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.post(
        &format!("/api/v1/orders/{order}/ship"),
        Some(&seller),
        json!({"carrier": "simpost", "tracking_number": common::tracking_number()}),
    )
    .await;
    let two_days_ms: i64 = 2 * 86_400_000 + 5_000;
    demo_clock.advance_s(two_days_ms / 1_000);
    let mut browser = Browser::new(&t);
    browser.login("by@example.com").await;
    let page = browser.get(&format!("/orders/{order}")).await;
    let html = Browser::html(&page);
    let at = html
        .find("data-clock-offset-ms=\"")
        .expect("a live countdown")
        + 22;
    let offset: i64 = html[at..].split('"').next().unwrap().parse().unwrap();
    assert!(
        (offset - two_days_ms).abs() < 60_000,
        "the whole offset, not its milliseconds part: {offset}"
    );
    // Far past the end of the window: a clear sentence, no countdown.
    demo_clock.advance_s(90 * 86_400);
    let page = browser.get(&format!("/orders/{order}")).await;
    let html = Browser::html(&page);
    assert!(!html.contains("ended left"), "{html}");
    assert!(html.contains("Buyer protection has ended"), "{html}");
    assert!(
        !html.contains("data-countdown-to"),
        "no countdown past the end"
    );
    assert!(
        t.app.clock.now() > jiff::Timestamp::now(),
        "the demo clock runs ahead"
    );
}
