//! Shipping through the real router: the rest-of-world line prices a
//! country the seller did not name, the free-shipping threshold applies to
//! the items total, and the listing page's estimate is the date checkout
//! promises.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

fn worldwide_listing() -> serde_json::Value {
    json!({
        "title": "Linen table runner",
        "category": "home",
        "price": {"amount_minor": 3_000, "currency": "USD"},
        "stock": 10,
        "ship_by_days": 2,
        "shipping": [{"name": "Standard", "free_over": {"amount_minor": 8_000, "currency": "USD"}, "rates": [
            {"country": "US", "cost": {"amount_minor": 500, "currency": "USD"}, "min_transit_days": 3, "max_transit_days": 6},
            {"country": "*", "cost": {"amount_minor": 1_800, "currency": "USD"}, "min_transit_days": 9, "max_transit_days": 20}
        ]}]
    })
}

fn order_to(listing: &str, quantity: i64, country: &str) -> serde_json::Value {
    let mut body = checkout_body(listing, quantity, "4242424242424242");
    body["address"]["country"] = json!(country);
    body
}

#[tokio::test]
async fn rest_of_world_and_free_from_a_threshold_price_the_order() {
    for t in on_every_backend().await {
        let (seller, _) = t.seller_with_listing("s@example.com", 5).await;
        let r = t
            .post("/api/v1/listings", Some(&seller), worldwide_listing())
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["shipping"][0]["free_over"]["amount_minor"], 8_000);
        let listing = r.json["id"].as_str().unwrap().to_string();
        let buyer = t.user("b@example.com", "buyer").await;

        // Japan is not named: the rest-of-world line, 2 + 20 days.
        let r = t
            .post("/api/v1/orders", Some(&buyer), order_to(&listing, 1, "JP"))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(
            r.json["total"]["amount_minor"],
            3_000 + 1_800,
            "{:?}",
            r.json
        );
        let promised: jiff::Timestamp = r.json["promised_delivery_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let expected = t.app.now() + jiff::SignedDuration::from_hours(24 * 22);
        assert_eq!(promised, expected);
        // Three come to 90.00, over the 80.00 threshold: shipping is free.
        let r = t
            .post("/api/v1/orders", Some(&buyer), order_to(&listing, 3, "US"))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["total"]["amount_minor"], 9_000, "{:?}", r.json);
        // Two come to 60.00: shipping is charged.
        let r = t
            .post("/api/v1/orders", Some(&buyer), order_to(&listing, 2, "US"))
            .await;
        assert_eq!(r.json["total"]["amount_minor"], 6_500, "{:?}", r.json);
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn bad_shipping_lines_are_refused() {
    let t = TestApp::sqlite().await;
    let (seller, _) = t.seller_with_listing("s@example.com", 5).await;
    let mut twice = worldwide_listing();
    twice["shipping"][0]["rates"][1]["country"] = json!("US");
    let r = t.post("/api/v1/listings", Some(&seller), twice).await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let mut euros = worldwide_listing();
    euros["shipping"][0]["free_over"] = json!({"amount_minor": 8_000, "currency": "EUR"});
    let r = t.post("/api/v1/listings", Some(&seller), euros).await;
    assert!(r.status.is_client_error(), "{:?}", r.json);
}

#[tokio::test]
async fn the_listing_page_estimates_the_promised_date_for_the_buyers_country() {
    let t = TestApp::sqlite().await;
    let (seller, _) = t.seller_with_listing("s@example.com", 5).await;
    let r = t
        .post("/api/v1/listings", Some(&seller), worldwide_listing())
        .await;
    let listing = r.json["id"].as_str().unwrap().to_string();
    let mut browser = Browser::new(&t);
    let page = browser.get(&format!("/listings/{listing}?to=jp")).await;
    let html = page.json.as_str().unwrap().to_string();
    let latest = t.app.now() + jiff::SignedDuration::from_hours(24 * 22);
    let day = latest.strftime("%a %-d %b %Y").to_string();
    assert!(
        html.contains(&format!("<strong>{day}</strong>")),
        "{day}: {html}"
    );
    assert!(html.contains("free from $80.00"), "{html}");
    assert!(html.contains("Rest of the world"), "{html}");
    let us = browser.get(&format!("/listings/{listing}?to=US")).await;
    let html = us.json.as_str().unwrap().to_string();
    let latest = t.app.now() + jiff::SignedDuration::from_hours(24 * 8);
    assert!(
        html.contains(&latest.strftime("%a %-d %b %Y").to_string()),
        "{html}"
    );
}
