//! Every deadline, driven by the clock (no sleeping), and exactly once.

mod common;

use axum::http::StatusCode;
use common::*;
use haven_domain::clock::ManualClock;
use serde_json::json;

const CARD_OK: &str = "4242424242424242";

async fn paid_order(t: &TestApp) -> (String, String, String, String) {
    let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let r = t.buy(&buyer, &listing, CARD_OK).await;
    assert_eq!(r.status, StatusCode::CREATED);
    (
        seller,
        buyer,
        listing,
        r.json["id"].as_str().unwrap().to_string(),
    )
}

/// The order as its buyer sees it. Logs in afresh: API sessions last 30
/// days and these tests move the clock further than that.
async fn state(t: &TestApp, _token: &str, order: &str) -> serde_json::Value {
    let token = t.login("b@example.com").await;
    let r = t
        .get(&format!("/api/v1/orders/{order}"), Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    r.json
}

async fn refund_entries(t: &TestApp) -> usize {
    let entries = t.app.store.scan_entries(0, 1_000).await.unwrap();
    entries
        .iter()
        .filter(|e| e.entry.kind == haven_domain::ledger::EntryKind::Refund)
        .count()
}

#[tokio::test]
async fn missed_ship_by_cancels_and_refunds_once() {
    let t = TestApp::sqlite().await;
    let (_, buyer, listing, order) = paid_order(&t).await;
    t.advance_days(3);
    t.clock.advance(jiff::SignedDuration::from_secs(-1));
    assert_eq!(t.tick().await.fired, 0, "not yet due");
    t.clock.advance(jiff::SignedDuration::from_secs(1));
    assert_eq!(t.tick().await.fired, 1);
    let order_json = state(&t, &buyer, &order).await;
    assert_eq!(order_json["state"], "cancelled");
    assert_eq!(order_json["close_reason"], "ship_by_missed");
    assert_eq!(order_json["refunded"]["amount_minor"], 4_500);
    assert_eq!(t.balance(&format!("escrow:order:{order}")).await, 0);
    assert_eq!(
        t.get(&format!("/api/v1/listings/{listing}"), None)
            .await
            .json["stock"],
        5
    );
    t.advance_days(30);
    let later = t.tick().await;
    // Only the notices' emails about the cancellation go out now.
    assert_eq!(
        (later.fired, later.obsolete, later.skipped),
        (0, 0, 0),
        "nothing left to fire: {later:?}"
    );
    assert_eq!(later.commands.retrying + later.commands.dead, 0);
    assert_eq!(refund_entries(&t).await, 1);
    t.app.publish_events().await.unwrap();
    let topics: Vec<String> = t
        .app
        .store
        .outbox_after(0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.topic)
        .collect();
    assert!(topics.contains(&"order.refunded".to_string()));
    t.verify_clean().await;
}

#[tokio::test]
async fn silent_seller_grants_cancel_request_after_48_hours() {
    let t = TestApp::sqlite().await;
    let (seller, buyer, _, order) = paid_order(&t).await;
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/cancel-request"),
            Some(&buyer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert!(r.json["cancel_requested_at"].is_string());
    let again = t
        .post(
            &format!("/api/v1/orders/{order}/cancel-request"),
            Some(&buyer),
            json!({}),
        )
        .await;
    assert_error(&again, StatusCode::CONFLICT, "invalid_state");
    let by_seller = t
        .post(
            &format!("/api/v1/orders/{order}/cancel-request"),
            Some(&seller),
            json!({}),
        )
        .await;
    assert_error(&by_seller, StatusCode::NOT_FOUND, "not_found");
    t.advance_hours(47);
    assert_eq!(t.tick().await.fired, 0);
    t.advance_hours(1);
    assert_eq!(t.tick().await.fired, 1);
    let order_json = state(&t, &buyer, &order).await;
    assert_eq!(order_json["state"], "cancelled");
    assert_eq!(order_json["refunded"]["amount_minor"], 4_500);
    t.verify_clean().await;
}

#[tokio::test]
async fn seller_can_accept_or_decline_a_cancel_request() {
    let t = TestApp::sqlite().await;
    let (seller, buyer, listing, order) = paid_order(&t).await;
    t.post(
        &format!("/api/v1/orders/{order}/cancel-request"),
        Some(&buyer),
        json!({}),
    )
    .await;
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/cancel-response"),
            Some(&seller),
            json!({"accept": false}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert!(r.json["cancel_requested_at"].is_null());
    t.advance_hours(49);
    assert_eq!(
        t.tick().await.fired,
        0,
        "declined request does not auto-cancel"
    );
    assert_eq!(state(&t, &buyer, &order).await["state"], "paid");

    let second = t.buy(&buyer, &listing, CARD_OK).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.post(
        &format!("/api/v1/orders/{second}/cancel-request"),
        Some(&buyer),
        json!({}),
    )
    .await;
    let r = t
        .post(
            &format!("/api/v1/orders/{second}/cancel-response"),
            Some(&seller),
            json!({"accept": true}),
        )
        .await;
    assert_eq!(r.json["state"], "cancelled", "{:?}", r.json);
    assert_eq!(t.balance(&format!("escrow:order:{second}")).await, 0);
    t.verify_clean().await;
}

#[tokio::test]
async fn window_end_after_delivery_scan_auto_confirms() {
    let t = TestApp::sqlite().await;
    let (seller, buyer, _, order) = paid_order(&t).await;
    let number = tracking_number();
    t.post(
        &format!("/api/v1/orders/{order}/ship"),
        Some(&seller),
        json!({"carrier": "simpost", "tracking_number": number}),
    )
    .await;
    t.advance_days(4);
    t.scan(&number, "delivered").await;
    let delivered = state(&t, &buyer, &order).await;
    let ends: jiff::Timestamp = delivered["protection_ends_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        ends,
        start_time() + jiff::SignedDuration::from_hours(24 * 19),
        "15 days after the scan"
    );
    t.advance_days(15);
    t.clock.advance(jiff::SignedDuration::from_secs(-1));
    assert_eq!(t.tick().await.fired, 0);
    t.clock.advance(jiff::SignedDuration::from_secs(1));
    assert_eq!(t.tick().await.fired, 1);
    let done = state(&t, &buyer, &order).await;
    assert_eq!(done["state"], "completed");
    assert_eq!(done["close_reason"], "auto_confirmed");
    assert_eq!(
        t.get("/api/v1/seller/balance", Some(&seller)).await.json["available"]["amount_minor"],
        4_140
    );
    t.verify_clean().await;
}

#[tokio::test]
async fn no_delivery_scan_never_releases_money() {
    let t = TestApp::sqlite().await;
    let (seller, buyer, _, order) = paid_order(&t).await;
    let number = tracking_number();
    t.post(
        &format!("/api/v1/orders/{order}/ship"),
        Some(&seller),
        json!({"carrier": "simpost", "tracking_number": number}),
    )
    .await;
    // Promised = 3 + 7 days: not delivered by then, so the guarantee pays
    // 10 % of 45.00 in credit; the window ends 15 days after the promise.
    t.advance_days(25);
    assert_eq!(
        t.tick().await.fired,
        2,
        "guarantee at day 10, window end at day 25"
    );
    let claimed = state(&t, &buyer, &order).await;
    assert_eq!(claimed["compensated"]["amount_minor"], 450);
    assert_eq!(claimed["state"], "shipped");
    assert!(claimed["not_received_claim_at"].is_string(), "{claimed:?}");
    let claim_id = claimed["open_dispute_id"]
        .as_str()
        .expect("automatic claim")
        .to_string();
    let buyer = t.login("b@example.com").await;
    let claim = t
        .get(&format!("/api/v1/disputes/{claim_id}"), Some(&buyer))
        .await;
    assert_eq!(
        (
            claim.json["automatic"].as_bool(),
            claim.json["reason"].as_str()
        ),
        (Some(true), Some("not_received"))
    );
    assert_eq!(
        t.balance(&format!("escrow:order:{order}")).await,
        4_500,
        "still held"
    );
    // The seller stays silent for the 5 days they have to prove delivery.
    t.advance_days(5);
    assert_eq!(t.tick().await.fired, 1);
    let refunded = state(&t, &buyer, &order).await;
    assert_eq!(refunded["state"], "refunded");
    assert_eq!(refunded["refunded"]["amount_minor"], 4_500);
    // Refunded in full: the on-time credit for the same failure goes back.
    assert_eq!(refunded["compensation_reversed"]["amount_minor"], 450);
    assert_eq!(
        t.balance(&format!("buyer:{}:credit", buyer_id(&t, &buyer).await))
            .await,
        0
    );
    let seller = t.login("s@example.com").await;
    let r = t.get("/api/v1/seller/balance", Some(&seller)).await;
    assert_eq!(r.json["available"]["amount_minor"], 0, "{:?}", r.json);
    t.verify_clean().await;
}

#[tokio::test]
async fn late_delivery_scan_during_the_claim_goes_to_an_agent() {
    let t = TestApp::sqlite().await;
    let (seller, buyer, _, order) = paid_order(&t).await;
    let number = tracking_number();
    t.post(
        &format!("/api/v1/orders/{order}/ship"),
        Some(&seller),
        json!({"carrier": "simpost", "tracking_number": number}),
    )
    .await;
    t.advance_days(25);
    t.tick().await;
    t.advance_days(1);
    t.scan(&number, "delivered").await;
    let delivered = state(&t, &buyer, &order).await;
    assert_eq!(delivered["state"], "delivered");
    assert!(
        delivered["protection_paused"].as_bool().unwrap(),
        "still under the claim"
    );
    let claim_id = delivered["open_dispute_id"].as_str().unwrap().to_string();
    let buyer = t.login("b@example.com").await;
    let claim = t
        .get(&format!("/api/v1/disputes/{claim_id}"), Some(&buyer))
        .await;
    assert_eq!(
        claim.json["state"], "escalated",
        "the scan is the seller's proof: an agent weighs it"
    );
    t.advance_days(30);
    t.tick().await;
    assert_eq!(
        t.balance(&format!("escrow:order:{order}")).await,
        4_500,
        "no timer settles an escalated claim"
    );
    let evidence = t
        .get(
            &format!("/api/v1/disputes/{claim_id}/evidence"),
            Some(&t.login("b@example.com").await),
        )
        .await;
    assert!(
        evidence
            .json
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "tracking" && e["body"]["status"] == "delivered")
    );
    t.verify_clean().await;
}

#[tokio::test]
async fn deadlines_survive_a_restart_and_fire_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("haven.db");
    let clock = ManualClock::new(start_time());
    let order = {
        let t = TestApp::on_sqlite_file(&path, clock.clone()).await;
        let (_, _, _, order) = paid_order(&t).await;
        order
    };
    // "Restart": a new App over the same file, later in time.
    clock.advance(jiff::SignedDuration::from_hours(24 * 4));
    let t = TestApp::on_sqlite_file(&path, clock.clone()).await;
    let (first, second) =
        tokio::join!(t.app.tick(clock_now(&clock)), t.app.tick(clock_now(&clock)));
    assert_eq!(
        first.unwrap().fired + second.unwrap().fired,
        1,
        "two workers, one firing"
    );
    drop(t);
    let t = TestApp::on_sqlite_file(&path, clock.clone()).await;
    assert_eq!(t.tick().await.fired, 0);
    let stored = t
        .app
        .store
        .order(order.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.state.as_str(), "cancelled");
    assert_eq!(refund_entries(&t).await, 1);
    t.verify_clean().await;
}

fn clock_now(clock: &ManualClock) -> jiff::Timestamp {
    use haven_domain::clock::Clock;
    clock.now()
}

async fn buyer_id(t: &TestApp, _token: &str) -> String {
    let token = t.login("b@example.com").await;
    t.get("/api/v1/me", Some(&token)).await.json["user"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Fake tracking (no scan ever): the guarantee pays credit, the buyer
/// spends it, and the not-received claim then refunds the order in full.
/// Nothing unspent is left to take back; the spent credit is recorded and
/// no balance goes negative.
#[tokio::test]
async fn spent_on_time_credit_is_recorded_when_the_order_is_refunded_in_full() {
    for t in on_every_backend().await {
        let (seller, buyer, listing, order) = paid_order(&t).await;
        t.post(
            &format!("/api/v1/orders/{order}/ship"),
            Some(&seller),
            json!({"carrier": "simpost", "tracking_number": tracking_number()}),
        )
        .await;
        t.advance_days(11);
        t.tick().await;
        let credit = format!("buyer:{}:credit", buyer_id(&t, &buyer).await);
        assert_eq!(t.balance(&credit).await, 450, "the guarantee paid");
        let mut body = checkout_body(&listing, 1, "4242424242424242");
        body["use_credit"] = json!(true);
        let spent = t.post("/api/v1/orders", Some(&buyer), body).await;
        assert_eq!(spent.status, StatusCode::CREATED, "{:?}", spent.json);
        assert_eq!(spent.json["paid_by_credit"]["amount_minor"], 450);
        assert_eq!(t.balance(&credit).await, 0);
        // Shipped and delivered, so the credit stays spent (a missed
        // ship-by date would give it back, a late parcel earn more).
        let second = spent.json["id"].as_str().unwrap();
        let number = tracking_number();
        let r = t
            .post(
                &format!("/api/v1/orders/{second}/ship"),
                Some(&seller),
                json!({"carrier": "simpost", "tracking_number": number}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        t.scan(&number, "delivered").await;
        // The window ends with no scan; the seller never answers the claim.
        t.advance_days(14);
        t.tick().await;
        t.advance_days(6);
        t.tick().await;
        let refunded = state(&t, &buyer, &order).await;
        assert_eq!(refunded["state"], "refunded", "{refunded:?}");
        assert_eq!(refunded["compensation_reversed"]["amount_minor"], 0);
        assert_eq!(refunded["compensation_spent"]["amount_minor"], 450);
        assert_eq!(t.balance(&credit).await, 0);
        t.verify_clean().await;
    }
}
