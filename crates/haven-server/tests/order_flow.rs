//! The escrow order flow end to end through the HTTP router.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

const CARD_OK: &str = "4242 4242 4242 4242";
const CARD_DECLINED: &str = "4000000000000002";
const CARD_CHALLENGE: &str = "4000002760003184";
const CARD_CHARGEBACK_LATER: &str = "4000000000000259";

async fn golden_path(t: &TestApp) {
    let (seller, listing) = t.seller_with_listing("seller@example.com", 5).await;
    let buyer = t.user("buyer@example.com", "buyer").await;

    let r = t.buy(&buyer, &listing, CARD_OK).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let order = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(r.json["state"], "paid");
    assert_eq!(
        r.json["total"],
        json!({"amount_minor": 4_500, "currency": "USD"})
    );
    // Ship-by 3 days + max transit 7 days, fixed at checkout.
    let promised: jiff::Timestamp = r.json["promised_delivery_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        promised,
        start_time() + jiff::SignedDuration::from_hours(24 * 10)
    );
    assert!(r.json["protection_ends_at"].is_string());
    assert_eq!(t.balance(&format!("escrow:order:{order}")).await, 4_500);
    assert_eq!(
        t.get(&format!("/api/v1/listings/{listing}"), None)
            .await
            .json["stock"],
        4
    );

    let number = tracking_number();
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/ship"),
            Some(&seller),
            json!({"carrier": "simpost", "tracking_number": number}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["state"], "shipped");

    t.advance_days(2);
    assert_eq!(t.scan(&number, "in_transit").await.status, StatusCode::OK);
    t.advance_days(1);
    let r = t.scan(&number, "delivered").await;
    assert_eq!(r.json["order"]["state"], "delivered", "{:?}", r.json);
    let tracking = t
        .get(&format!("/api/v1/orders/{order}/tracking"), Some(&buyer))
        .await;
    assert_eq!(tracking.json.as_array().unwrap().len(), 2);

    let r = t
        .post(
            &format!("/api/v1/orders/{order}/confirm"),
            Some(&buyer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["state"], "completed");
    assert_eq!(r.json["commission"]["amount_minor"], 360);
    assert_eq!(r.json["released_to_seller"]["amount_minor"], 4_140);

    let balance = t.get("/api/v1/seller/balance", Some(&seller)).await;
    assert_eq!(balance.json["available"]["amount_minor"], 4_140);
    assert_eq!(t.balance("platform:commission").await, 360);
    assert_eq!(t.balance(&format!("escrow:order:{order}")).await, 0);

    let r = t
        .post("/api/v1/seller/payouts", Some(&seller), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let balance = t.get("/api/v1/seller/balance", Some(&seller)).await;
    assert_eq!(balance.json["available"]["amount_minor"], 0);
    assert_eq!(balance.json["in_payout"]["amount_minor"], 4_140);
    let r = t
        .post("/api/v1/seller/payouts", Some(&seller), json!({}))
        .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

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
    for topic in [
        "order.paid",
        "order.shipped",
        "order.delivered",
        "order.completed",
        "payout.requested",
    ] {
        assert!(
            topics.iter().any(|t| t == topic),
            "missing {topic} in {topics:?}"
        );
    }
    t.verify_clean().await;
}

#[tokio::test]
async fn golden_path_on_sqlite() {
    golden_path(&TestApp::sqlite().await).await;
}

#[tokio::test]
async fn golden_path_on_postgres() {
    match TestApp::postgres().await {
        Some(t) => golden_path(&t).await,
        None => eprintln!("HAVEN_TEST_DATABASE_URL not set: skipping"),
    }
}

#[tokio::test]
async fn declined_card_moves_no_money_and_releases_the_stock() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 2).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let r = t.buy(&buyer, &listing, CARD_DECLINED).await;
    assert_error(&r, StatusCode::PAYMENT_REQUIRED, "payment_declined");
    // The order was committed before the gateway was asked; it is closed
    // with the reason, and holds nothing.
    let orders = t.get("/api/v1/orders", Some(&buyer)).await.json;
    assert_eq!(orders["items"][0]["state"], "cancelled", "{orders}");
    assert_eq!(orders["items"][0]["close_reason"], "payment_declined");
    assert_eq!(
        t.get(&format!("/api/v1/listings/{listing}"), None)
            .await
            .json["stock"],
        2
    );
    assert!(t.app.store.scan_entries(0, 10).await.unwrap().is_empty());
    t.app.publish_events().await.unwrap();
    let events = t.app.store.outbox_after(0, 100).await.unwrap();
    assert!(
        events.iter().all(|e| e.topic != "order.paid"),
        "nothing was paid: {:?}",
        events.iter().map(|e| &e.topic).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn all_four_test_cards() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 10).await;
    let buyer = t.user("b@example.com", "buyer").await;
    assert_eq!(
        t.buy(&buyer, &listing, CARD_OK).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        t.buy(&buyer, &listing, CARD_CHARGEBACK_LATER).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        t.buy(&buyer, &listing, CARD_DECLINED).await.status,
        StatusCode::PAYMENT_REQUIRED
    );

    let r = t.buy(&buyer, &listing, CARD_CHALLENGE).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
    assert_eq!(r.json["state"], "pending_payment");
    assert_eq!(r.json["payment_challenge_required"], true);
    let order = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(
        t.balance(&format!("escrow:order:{order}")).await,
        0,
        "nothing captured before the challenge"
    );

    let r = t
        .post(
            &format!("/api/v1/orders/{order}/challenge"),
            Some(&buyer),
            json!({"code": "000000"}),
        )
        .await;
    assert_error(&r, StatusCode::PAYMENT_REQUIRED, "payment_declined");
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/challenge"),
            Some(&buyer),
            json!({"code": "424242"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["state"], "paid");
    assert_eq!(t.balance(&format!("escrow:order:{order}")).await, 4_500);
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/challenge"),
            Some(&buyer),
            json!({"code": "424242"}),
        )
        .await;
    // Sending the code again is harmless: the order is paid, once.
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["state"], "paid");
    assert_eq!(t.balance(&format!("escrow:order:{order}")).await, 4_500);
    t.verify_clean().await;
}

#[tokio::test]
async fn unfinished_challenge_expires_and_restocks() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 1).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let order = t.buy(&buyer, &listing, CARD_CHALLENGE).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        t.get(&format!("/api/v1/listings/{listing}"), None)
            .await
            .json["stock"],
        0
    );
    t.clock.advance(jiff::SignedDuration::from_mins(29));
    assert_eq!(t.tick().await.fired, 0);
    t.clock.advance(jiff::SignedDuration::from_mins(2));
    assert_eq!(t.tick().await.fired, 1);
    let r = t
        .get(&format!("/api/v1/orders/{order}"), Some(&buyer))
        .await;
    assert_eq!(r.json["state"], "cancelled");
    assert_eq!(
        t.get(&format!("/api/v1/listings/{listing}"), None)
            .await
            .json["stock"],
        1
    );
    t.verify_clean().await;
}

#[tokio::test]
async fn shipping_rules_and_bad_actors() {
    let t = TestApp::sqlite().await;
    let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
    let (other_seller, _) = t.seller_with_listing("other@example.com", 5).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let order = t.buy(&buyer, &listing, CARD_OK).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let ship = |token: String, number: String| {
        let t = &t;
        let order = order.clone();
        async move {
            t.post(
                &format!("/api/v1/orders/{order}/ship"),
                Some(&token),
                json!({"carrier": "simpost", "tracking_number": number}),
            )
            .await
        }
    };

    assert_error(
        &ship(other_seller.clone(), tracking_number()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &ship(buyer.clone(), tracking_number()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &ship(seller.clone(), "SP12345678HV".into()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tracking_format_invalid",
    );
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/ship"),
            Some(&seller),
            json!({"carrier": "pigeon", "tracking_number": "1"}),
        )
        .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "unknown_carrier");

    // A parcel the carrier accepted before the buyer paid is someone else's parcel.
    let predated = tracking_number();
    t.clock.advance(jiff::SignedDuration::from_secs(-3_600));
    assert_eq!(t.scan(&predated, "in_transit").await.status, StatusCode::OK);
    t.clock.advance(jiff::SignedDuration::from_secs(3_600));
    assert_error(
        &ship(seller.clone(), predated).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tracking_predates_order",
    );
    assert_eq!(
        t.get(&format!("/api/v1/orders/{order}"), Some(&buyer))
            .await
            .json["state"],
        "paid",
        "nothing changed"
    );

    let number = tracking_number();
    assert_eq!(
        ship(seller.clone(), number.clone()).await.status,
        StatusCode::OK
    );
    assert_error(
        &ship(seller.clone(), tracking_number()).await,
        StatusCode::CONFLICT,
        "invalid_state",
    );

    // The same number on a second order is refused.
    let second = t.buy(&buyer, &listing, CARD_OK).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t
        .post(
            &format!("/api/v1/orders/{second}/ship"),
            Some(&seller),
            json!({"carrier": "simpost", "tracking_number": number}),
        )
        .await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "tracking_number_reused",
    );
    assert_eq!(
        t.get(&format!("/api/v1/orders/{second}"), Some(&buyer))
            .await
            .json["state"],
        "paid"
    );
    t.verify_clean().await;
}

#[tokio::test]
async fn confirming_before_a_delivery_scan_needs_a_second_confirmation() {
    let t = TestApp::sqlite().await;
    let (seller, buyer, _, order) = t.shipped_order().await;
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/confirm"),
            Some(&buyer),
            json!({}),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "second_confirmation_required");
    assert_eq!(t.balance(&format!("escrow:order:{order}")).await, 4_500);
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/confirm"),
            Some(&seller),
            json!({"second_confirmation": true}),
        )
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/confirm"),
            Some(&buyer),
            json!({"second_confirmation": true}),
        )
        .await;
    assert_eq!(r.json["state"], "completed", "{:?}", r.json);
    t.verify_clean().await;
}

#[tokio::test]
async fn bad_input_gets_one_error_shape_and_changes_nothing() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let buyer = t.user("b@example.com", "buyer").await;

    let r = t
        .post(
            "/api/v1/orders",
            Some(&buyer),
            checkout_body(&listing, -1, CARD_OK),
        )
        .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = t
        .post(
            "/api/v1/orders",
            Some(&buyer),
            checkout_body(&listing, 0, CARD_OK),
        )
        .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = t
        .post(
            "/api/v1/orders",
            Some(&buyer),
            checkout_body(&listing, 6, CARD_OK),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "out_of_stock");
    let mut wrong_type = checkout_body(&listing, 1, CARD_OK);
    wrong_type["quantity"] = json!("two");
    assert_error(
        &t.post("/api/v1/orders", Some(&buyer), wrong_type).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let r = t
        .request(
            "POST",
            "/api/v1/orders",
            Some(&buyer),
            Some(b"{\"listing_id\": ".to_vec()),
            &[],
        )
        .await;
    assert_error(&r, StatusCode::BAD_REQUEST, "bad_request");
    let huge = vec![b' '; 300 * 1024];
    let r = t
        .request("POST", "/api/v1/orders", Some(&buyer), Some(huge), &[])
        .await;
    assert_error(&r, StatusCode::PAYLOAD_TOO_LARGE, "body_too_large");
    let r = t
        .post(
            "/api/v1/orders",
            Some(&buyer),
            checkout_body(&uuid::Uuid::now_v7().to_string(), 1, CARD_OK),
        )
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        &t.get(
            &format!("/api/v1/orders/{}", uuid::Uuid::now_v7()),
            Some(&buyer),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &t.get("/api/v1/orders/not-an-id", Some(&buyer)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &t.get("/api/v1/listings/xyz", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &t.get("/api/v1/nope", None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &t.get("/api/v1/orders", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &t.get("/api/v1/orders", Some(&"0".repeat(64))).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &t.get("/api/v1/listings?limit=500", None).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert_error(
        &t.get("/api/v1/listings?cursor=garbage", None).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    let mut bad_address = checkout_body(&listing, 1, CARD_OK);
    bad_address["address"]["country"] = json!("Narnia");
    assert_error(
        &t.post("/api/v1/orders", Some(&buyer), bad_address).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let mut nowhere = checkout_body(&listing, 1, CARD_OK);
    nowhere["address"]["country"] = json!("JP");
    assert_error(
        &t.post("/api/v1/orders", Some(&buyer), nowhere).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let mut unknown_field = checkout_body(&listing, 1, CARD_OK);
    unknown_field["coupon"] = json!("FREE");
    assert_error(
        &t.post("/api/v1/orders", Some(&buyer), unknown_field).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );

    assert_eq!(
        t.get("/api/v1/orders", Some(&buyer)).await.json["items"],
        json!([])
    );
    assert_eq!(
        t.get(&format!("/api/v1/listings/{listing}"), None)
            .await
            .json["stock"],
        5
    );
    assert!(t.app.store.scan_entries(0, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn replayed_checkout_returns_the_same_response_and_charges_once() {
    let t = TestApp::sqlite().await;
    let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let first = t
        .post_idem(
            "/api/v1/orders",
            &buyer,
            "checkout-1",
            checkout_body(&listing, 1, CARD_OK),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let replay = t
        .post_idem(
            "/api/v1/orders",
            &buyer,
            "checkout-1",
            checkout_body(&listing, 1, CARD_OK),
        )
        .await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.json, first.json);
    assert_eq!(replay.headers.get("idempotent-replayed").unwrap(), "true");
    let orders = t.get("/api/v1/orders", Some(&buyer)).await;
    assert_eq!(orders.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        t.get(&format!("/api/v1/listings/{listing}"), None)
            .await
            .json["stock"],
        4
    );
    assert_eq!(t.app.store.scan_entries(0, 10).await.unwrap().len(), 1);

    let other_body = t
        .post_idem(
            "/api/v1/orders",
            &buyer,
            "checkout-1",
            checkout_body(&listing, 2, CARD_OK),
        )
        .await;
    assert_error(
        &other_body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    );

    // Keys are per user: the same key from someone else is a new request.
    let buyer2 = t.user("b2@example.com", "buyer").await;
    assert_eq!(
        t.post_idem(
            "/api/v1/orders",
            &buyer2,
            "checkout-1",
            checkout_body(&listing, 1, CARD_OK)
        )
        .await
        .status,
        StatusCode::CREATED
    );

    // Replaying a ship or a payout moves nothing twice.
    let order = first.json["id"].as_str().unwrap();
    let ship_body = json!({"carrier": "simpost", "tracking_number": tracking_number()});
    let a = t
        .post_idem(
            &format!("/api/v1/orders/{order}/ship"),
            &seller,
            "ship-1",
            ship_body.clone(),
        )
        .await;
    let b = t
        .post_idem(
            &format!("/api/v1/orders/{order}/ship"),
            &seller,
            "ship-1",
            ship_body,
        )
        .await;
    assert_eq!((a.status, &a.json), (b.status, &b.json));
    t.post(
        &format!("/api/v1/orders/{order}/confirm"),
        Some(&buyer),
        json!({"second_confirmation": true}),
    )
    .await;
    let p1 = t
        .post_idem(
            "/api/v1/seller/payouts",
            &seller,
            "payout-1",
            json!({"amount_minor": 1_000}),
        )
        .await;
    let p2 = t
        .post_idem(
            "/api/v1/seller/payouts",
            &seller,
            "payout-1",
            json!({"amount_minor": 1_000}),
        )
        .await;
    assert_eq!(p1.status, StatusCode::CREATED);
    assert_eq!(p1.json, p2.json);
    assert_eq!(
        t.get("/api/v1/seller/balance", Some(&seller)).await.json["in_payout"]["amount_minor"],
        1_000
    );
    t.verify_clean().await;
}

#[tokio::test]
async fn concurrent_buyers_never_oversell_over_http() {
    let t = std::sync::Arc::new(TestApp::sqlite().await);
    let (_, listing) = t.seller_with_listing("s@example.com", 3).await;
    let mut buyers = Vec::new();
    for i in 0..12 {
        buyers.push(t.user(&format!("b{i}@example.com"), "buyer").await);
    }
    let mut tasks = Vec::new();
    for buyer in buyers {
        let (t, listing) = (t.clone(), listing.clone());
        tasks.push(tokio::spawn(async move {
            t.buy(&buyer, &listing, CARD_OK).await.status
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 3);
    assert_eq!(
        t.get(&format!("/api/v1/listings/{listing}"), None)
            .await
            .json["stock"],
        0
    );
    t.verify_clean().await;
}

#[tokio::test]
async fn webhook_signatures_are_enforced() {
    let t = TestApp::sqlite().await;
    let body = serde_json::to_vec(&json!({"tracking_number": tracking_number(), "status": "delivered", "occurred_at": start_time().to_string()})).unwrap();
    let r = t
        .request(
            "POST",
            "/api/v1/carriers/simpost/webhook",
            None,
            Some(body.clone()),
            &[],
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "bad_signature");
    let forged = haven_app::carrier::sign("not-the-secret", start_time().as_second(), &body);
    let r = t
        .request(
            "POST",
            "/api/v1/carriers/simpost/webhook",
            None,
            Some(body.clone()),
            &[("haven-signature", &forged)],
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "bad_signature");
    let stale = haven_app::carrier::sign(
        &t.app.config.carrier_webhook_secret,
        start_time().as_second() - 3_600,
        &body,
    );
    let r = t
        .request(
            "POST",
            "/api/v1/carriers/simpost/webhook",
            None,
            Some(body),
            &[("haven-signature", &stale)],
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "stale_signature");
}

#[tokio::test]
async fn sessions_log_out_and_expire() {
    let t = TestApp::sqlite().await;
    let buyer = t.user("b@example.com", "buyer").await;
    assert_eq!(
        t.get("/api/v1/me", Some(&buyer)).await.status,
        StatusCode::OK
    );
    let r = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "b@example.com", "password": "wrong password here"}),
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_credentials");
    let r = t
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "nobody@example.com", "password": PASSWORD}),
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(
        t.post("/api/v1/auth/logout", Some(&buyer), json!({}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &t.get("/api/v1/me", Some(&buyer)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );

    let again = t.login("b@example.com").await;
    t.advance_days(31);
    assert_error(
        &t.get("/api/v1/me", Some(&again)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
}

#[tokio::test]
async fn registration_validates_and_roles_gate_actions() {
    let t = TestApp::sqlite().await;
    let r = t
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "x@example.com", "password": "short", "display_name": "X"}),
        )
        .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = t
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "not-an-email", "password": PASSWORD, "display_name": "X"}),
        )
        .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = t.post("/api/v1/auth/register", None, json!({"email": "x@example.com", "password": PASSWORD, "display_name": "X", "role": "admin"})).await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let buyer = t.user("b@example.com", "buyer").await;
    let r = t
        .post(
            "/api/v1/auth/register",
            None,
            json!({"email": "B@Example.com", "password": PASSWORD, "display_name": "Dup"}),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "email_taken");
    // A buyer cannot list or read the event feed (opening a store first
    // makes them a seller: a_buyer_opens_a_store_from_the_web).
    assert_error(
        &t.post("/api/v1/listings", Some(&buyer), listing_body(1))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &t.get("/api/v1/events", Some(&buyer)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    // A seller cannot open two stores or buy from themselves.
    let (seller, listing) = t.seller_with_listing("s@example.com", 3).await;
    assert_error(
        &t.post("/api/v1/stores", Some(&seller), json!({"name": "Second"}))
            .await,
        StatusCode::CONFLICT,
        "store_exists",
    );
    assert_error(
        &t.buy(&seller, &listing, "4242424242424242").await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let mut bad_listing = listing_body(1);
    bad_listing["ship_by_days"] = json!(11);
    assert_error(
        &t.post("/api/v1/listings", Some(&seller), bad_listing).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let mut euros = listing_body(1);
    euros["price"] = json!({"amount_minor": 500, "currency": "EUR"});
    assert_error(
        &t.post("/api/v1/listings", Some(&seller), euros).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let mut bad_listing = listing_body(1);
    bad_listing["price"] = json!({"amount_minor": -5, "currency": "USD"});
    assert_error(
        &t.post("/api/v1/listings", Some(&seller), bad_listing).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    // Images are checked by content, not by name or declared type.
    let r = t
        .request(
            "POST",
            "/api/v1/media",
            Some(&seller),
            Some(b"<svg onload=alert(1)>".to_vec()),
            &[("content-type", "image/png")],
        )
        .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let png = [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        &[0_u8; 32],
    ]
    .concat();
    let r = t
        .request("POST", "/api/v1/media", Some(&seller), Some(png), &[])
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let mut with_image = listing_body(1);
    with_image["images"] = json!([r.json["hash"]]);
    assert_eq!(
        t.post("/api/v1/listings", Some(&seller), with_image)
            .await
            .status,
        StatusCode::CREATED
    );
    let mut missing_image = listing_body(1);
    missing_image["images"] = json!(["0".repeat(64)]);
    assert_error(
        &t.post("/api/v1/listings", Some(&seller), missing_image)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
}

#[tokio::test]
async fn lists_are_paged_with_cursors() {
    let t = TestApp::sqlite().await;
    let (seller, _) = t.seller_with_listing("s@example.com", 3).await;
    for _ in 0..4 {
        t.post("/api/v1/listings", Some(&seller), listing_body(1))
            .await;
    }
    let first = t.get("/api/v1/listings?limit=2", None).await;
    assert_eq!(first.json["items"].as_array().unwrap().len(), 2);
    let cursor = first.json["next_cursor"].as_str().unwrap();
    let second = t
        .get(&format!("/api/v1/listings?limit=2&cursor={cursor}"), None)
        .await;
    let third = t
        .get(
            &format!(
                "/api/v1/listings?limit=2&cursor={}",
                second.json["next_cursor"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(third.json["items"].as_array().unwrap().len(), 1);
    assert!(third.json["next_cursor"].is_null());
    let mut ids: Vec<String> = [&first, &second, &third]
        .iter()
        .flat_map(|r| {
            r.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_str().unwrap().to_string())
        })
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "every listing once");
}

/// The actions each party sees come from the domain, and the pages show
/// exactly those buttons.
#[tokio::test]
async fn each_party_sees_the_actions_the_rules_allow() {
    let t = TestApp::sqlite().await;
    let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let order = t.buy(&buyer, &listing, CARD_OK).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let actions = |r: &Response| r.json["available_actions"].clone();
    let path = format!("/api/v1/orders/{order}");
    assert_eq!(
        actions(&t.get(&path, Some(&buyer)).await),
        json!(["request_cancel"])
    );
    assert_eq!(actions(&t.get(&path, Some(&seller)).await), json!(["ship"]));
    let shipped = t
        .post(
            &format!("{path}/ship"),
            Some(&seller),
            json!({"carrier": "simpost", "tracking_number": tracking_number()}),
        )
        .await;
    assert_eq!(
        actions(&shipped),
        json!([]),
        "the seller has nothing left to do"
    );
    assert_eq!(
        actions(&t.get(&path, Some(&buyer)).await),
        json!(["confirm_receipt", "open_dispute"])
    );
    let mut browser = Browser::new(&t);
    browser.login("b@example.com").await;
    let page = browser.get(&format!("/orders/{order}")).await;
    let html = Browser::html(&page);
    assert!(
        html.contains("id=\"confirm-receipt\""),
        "confirm button shown"
    );
    assert!(
        html.contains("id=\"open-dispute-link\""),
        "dispute link shown"
    );
    assert!(!html.contains("cancel-request"), "no cancel once shipped");

    let dispute = t
        .post(
            &format!("{path}/disputes"),
            Some(&buyer),
            json!({"reason": "not_as_described", "requested_outcome": {"type": "full_refund"}, "description": "The lamp has a crack along the base."}),
        )
        .await;
    assert_eq!(dispute.status, StatusCode::CREATED, "{:?}", dispute.json);
    assert_eq!(actions(&dispute), json!(["withdraw", "add_evidence"]));
    let id = dispute.json["id"].as_str().unwrap();
    let seen_by_seller = t
        .get(&format!("/api/v1/disputes/{id}"), Some(&seller))
        .await;
    assert_eq!(
        actions(&seen_by_seller),
        json!(["accept", "counter", "reject", "add_evidence"])
    );
    // The buyer's own dispute blocks confirming from the order page.
    assert_eq!(actions(&t.get(&path, Some(&buyer)).await), json!([]));
    // Escalation opens after the policy's wait.
    t.advance_days(8);
    let later = t.get(&format!("/api/v1/disputes/{id}"), Some(&buyer)).await;
    assert!(
        later.json["available_actions"]
            .as_array()
            .unwrap()
            .contains(&json!("escalate")),
        "{:?}",
        later.json
    );
}

/// "My orders" says, per order, what it is, from whom, how far it got, what
/// the buyer has until when, and what they can do next.
#[tokio::test]
async fn my_orders_shows_progress_deadlines_and_next_steps() {
    let t = TestApp::sqlite().await;
    let (seller, _, order) = t.paid_order().await;
    let mut browser = Browser::new(&t);
    browser.login("b@example.com").await;
    let page = browser.get("/orders").await;
    let html = Browser::html(&page).to_string();
    let number = order.replace('-', "");
    let number = number[number.len() - 8..].to_ascii_uppercase();
    assert!(html.contains(&format!("Order #{number}")), "{html}");
    assert!(html.contains("from s@example.com store"), "{html}");
    assert!(
        html.contains("<li class=\"done\">Paid<span class=\"visually-hidden\"> (done)</span></li>"),
        "{html}"
    );
    assert!(
        html.contains("aria-current=\"step\">Shipped</li>"),
        "{html}"
    );
    assert!(html.contains("The seller ships by "), "{html}");
    assert!(!html.contains("Confirm receipt"), "nothing to confirm yet");
    // The seller's to-do list leads with it, and its ship-by time.
    let mut store = Browser::new(&t);
    store.login("s@example.com").await;
    let centre = Browser::html(&store.get("/seller").await).to_string();
    assert!(
        centre.contains(&format!(
            "<a href=\"/orders/{order}\">Ship Walnut desk lamp</a> <span class=\"due\">by <time"
        )),
        "{centre}"
    );

    t.ship(&seller, &order).await;
    let centre = Browser::html(&store.get("/seller").await).to_string();
    assert!(!centre.contains("Ship Walnut desk lamp"), "{centre}");
    assert!(centre.contains("Nothing waits on you"), "{centre}");
    let html = Browser::html(&browser.get("/orders").await).to_string();
    assert!(html.contains("Protection ends in "), "{html}");
    assert!(
        html.contains(&format!("href=\"/orders/{order}#confirm-receipt\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"/orders/{order}/dispute\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("href=\"/orders/{order}#tracking\"")),
        "{html}"
    );
}

/// A closed order says, in one banner, why it closed and where the money
/// went; the buyer never sees the seller's commission.
#[tokio::test]
async fn a_closed_order_says_why_and_where_the_money_went() {
    let t = TestApp::sqlite().await;
    let (seller, buyer, cancelled) = t.paid_order().await;
    t.advance_days(4);
    t.tick().await;
    let mut buyer_pages = Browser::new(&t);
    buyer_pages.login("b@example.com").await;
    let html = Browser::html(&buyer_pages.get(&format!("/orders/{cancelled}")).await).to_string();
    assert!(
        html.contains("<strong>Cancelled.</strong> The seller did not ship by the ship-by date"),
        "{html}"
    );
    assert!(
        html.contains("You got $45.00 back: $45.00 to the card."),
        "{html}"
    );
    assert_eq!(
        html.matches("class=\"notice").count(),
        1,
        "one banner: {html}"
    );

    let listing = t
        .get(&format!("/api/v1/orders/{cancelled}"), Some(&buyer))
        .await
        .json["listing_id"]
        .as_str()
        .unwrap()
        .to_string();
    let order = t.buy(&buyer, &listing, "4242424242424242").await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.ship(&seller, &order).await;
    t.confirm(&buyer, &order).await;
    let html = Browser::html(&buyer_pages.get(&format!("/orders/{order}")).await).to_string();
    assert!(
        html.contains("<strong>Completed.</strong> The buyer confirmed that the item arrived."),
        "{html}"
    );
    assert!(html.contains("The seller has been paid."), "{html}");
    assert!(!html.contains("commission"), "{html}");
    let mut seller_pages = Browser::new(&t);
    seller_pages.login("s@example.com").await;
    let html = Browser::html(&seller_pages.get(&format!("/orders/{order}")).await).to_string();
    assert!(html.contains("went to your balance, after $"), "{html}");
}

/// A buyer opens a store from the web and becomes a seller; staff cannot.
#[tokio::test]
async fn a_buyer_opens_a_store_from_the_web() {
    let t = TestApp::sqlite().await;
    t.user("b@example.com", "buyer").await;
    let mut browser = Browser::new(&t);
    browser.login("b@example.com").await;
    let home = browser.get("/").await;
    assert!(Browser::html(&home).contains("id=\"nav-sell\""));
    let centre = browser.get("/seller").await;
    assert_eq!(centre.status, StatusCode::OK);
    assert!(Browser::html(&centre).contains("Open your store"));
    let opened = browser
        .post_form(
            "/seller/store",
            &[("name", "Ada's Attic"), ("description", "Old maps")],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{:?}", opened.json);
    let centre = browser.get("/seller").await;
    let html = Browser::html(&centre);
    assert!(
        html.contains("Ada&#39;s Attic") || html.contains("Ada's Attic"),
        "{html}"
    );
    assert!(html.contains("id=\"to-do\""), "{html}");
    let token = t.login("b@example.com").await;
    let me = t.get("/api/v1/me", Some(&token)).await;
    assert!(
        me.json["user"]["roles"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == "seller"),
        "{:?}",
        me.json
    );
    // Opening a second store is refused, as before.
    let again = t
        .post("/api/v1/stores", Some(&token), json!({"name": "Second"}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{:?}", again.json);

    let agent = agent_token(&t).await;
    let r = t
        .post(
            "/api/v1/stores",
            Some(&agent),
            json!({"name": "Agent shop"}),
        )
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
}
