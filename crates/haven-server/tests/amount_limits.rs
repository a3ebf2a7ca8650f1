//! Every amount has a documented maximum (haven_domain::limits): the
//! largest legal order goes through, one unit past any limit is a 422, and
//! nothing a seller or buyer does can stop other people's checkouts.

mod common;

use axum::http::StatusCode;
use common::*;
use haven_domain::limits::{MAX_ORDER_TOTAL_MINOR, MAX_SHIPPING_MINOR, MAX_UNIT_PRICE_MINOR};
use serde_json::json;

fn listing_priced(price_minor: i64, shipping_minor: i64) -> serde_json::Value {
    let mut body = listing_body(100);
    body["price"]["amount_minor"] = json!(price_minor);
    body["shipping"][0]["rates"][0]["cost"]["amount_minor"] = json!(shipping_minor);
    body
}

#[tokio::test]
async fn the_largest_legal_order_succeeds_and_one_unit_more_is_refused() {
    for t in on_every_backend().await {
        let (seller, ordinary) = t.seller_with_listing("s@example.com", 50).await;
        let r = t
            .post(
                "/api/v1/listings",
                Some(&seller),
                listing_priced(MAX_UNIT_PRICE_MINOR + 1, 0),
            )
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.json["error"]["details"]["field"], "price", "{:?}", r.json);
        let r = t
            .post(
                "/api/v1/listings",
                Some(&seller),
                listing_priced(100, MAX_SHIPPING_MINOR + 1),
            )
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.json["error"]["details"]["field"], "shipping cost");

        // 10 × 99,990.00 + 100.00 shipping = 1,000,000.00: exactly the maximum.
        let price = 9_999_000;
        let shipping = MAX_ORDER_TOTAL_MINOR - 10 * price;
        let r = t
            .post(
                "/api/v1/listings",
                Some(&seller),
                listing_priced(price, shipping),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let dear = r.json["id"].as_str().unwrap().to_string();
        let whale = t.user("whale@example.com", "buyer").await;
        let r = t
            .post(
                "/api/v1/orders",
                Some(&whale),
                checkout_body(&dear, 10, "4242424242424242"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["total"]["amount_minor"], MAX_ORDER_TOTAL_MINOR);
        let r = t
            .post(
                "/api/v1/orders",
                Some(&whale),
                checkout_body(&dear, 11, "4242424242424242"),
            )
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.json["error"]["details"]["field"], "quantity");

        // Everyone else keeps buying.
        let buyer = t.user("b@example.com", "buyer").await;
        for _ in 0..3 {
            let r = t.buy(&buyer, &ordinary, "4242424242424242").await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        }
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn counter_offers_and_requested_refunds_cannot_exceed_what_escrow_holds() {
    let t = TestApp::sqlite().await;
    let (seller, buyer, _, order) = t.shipped_order().await;
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/disputes"),
            Some(&buyer),
            json!({"reason": "damaged", "requested_outcome": {"type": "partial_refund", "amount_minor": 4_501}, "description": "Cracked along the base."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json);
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/disputes"),
            Some(&buyer),
            json!({"reason": "damaged", "requested_outcome": {"type": "full_refund"}, "description": "Cracked along the base."}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let id = r.json["id"].as_str().unwrap();
    for amount in [0, -1, 4_501, i64::MAX] {
        let r = t
            .post(
                &format!("/api/v1/disputes/{id}/counter"),
                Some(&seller),
                json!({"amount_minor": amount, "message": "Half back?"}),
            )
            .await;
        assert!(
            r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::CONFLICT,
            "{amount}: {:?}",
            r.json
        );
    }
    let r = t
        .post(
            &format!("/api/v1/disputes/{id}/counter"),
            Some(&seller),
            json!({"amount_minor": 2_250, "message": "Half back?"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    t.verify_clean().await;
}
