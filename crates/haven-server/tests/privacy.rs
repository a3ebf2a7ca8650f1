//! A person's data export: everything they can see about themselves, in
//! one JSON file, and nothing about anyone else.

mod common;

use axum::http::StatusCode;
use common::*;

#[tokio::test]
async fn a_buyer_downloads_their_own_data_and_nobody_elses() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let other = t.user("x@example.com", "buyer").await;
        let order = t.buy(&buyer, &listing, "4242424242424242").await.json["id"]
            .as_str()
            .unwrap()
            .to_string();
        t.buy(&other, &listing, "4242424242424242").await;
        t.ship(&seller, &order).await;
        t.tick().await;
        t.tick().await;

        let r = t.get("/api/v1/account/export", Some(&buyer)).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert!(
            r.headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\"haven-data-")
        );
        let data = &r.json;
        assert_eq!(data["profile"]["email"], "b@example.com");
        let orders = data["orders"].as_array().unwrap();
        assert_eq!(orders.len(), 1, "only mine: {orders:?}");
        assert_eq!(orders[0]["id"], order.as_str());
        assert!(!data["sessions"].as_array().unwrap().is_empty());
        let notices = data["notifications"].as_array().unwrap();
        assert!(
            notices
                .iter()
                .any(|n| n["title"].as_str().unwrap().starts_with("Shipped: "))
        );
        let text = r.json.to_string();
        assert!(!text.contains("s@example.com"), "no seller's email: {text}");
        assert!(!text.contains("x@example.com"), "no other buyer: {text}");
        assert!(!text.contains("password"), "{text}");

        let anonymous = t.get("/api/v1/account/export", None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn the_account_page_offers_the_download() {
    let t = TestApp::sqlite().await;
    t.user("b@example.com", "buyer").await;
    let mut browser = Browser::new(&t);
    browser.login("b@example.com").await;
    let account = browser.get("/account").await;
    assert!(Browser::html(&account).contains("href=\"/account/export\""));
    let file = browser.get("/account/export").await;
    assert_eq!(file.status, StatusCode::OK);
    assert_eq!(file.headers["cache-control"], "no-store");
    let data: serde_json::Value = serde_json::from_str(Browser::html(&file)).unwrap();
    assert_eq!(data["profile"]["email"], "b@example.com", "{data:?}");
}
