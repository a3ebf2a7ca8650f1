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

#[tokio::test]
async fn a_closed_account_is_erased_while_the_books_stay_whole() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let order = t.buy(&buyer, &listing, "4242424242424242").await.json["id"]
            .as_str()
            .unwrap()
            .to_string();
        let close = serde_json::json!({"password": PASSWORD});

        // Money in escrow: closing would end the buyer's protection.
        let r = t
            .post("/api/v1/account/close", Some(&buyer), close.clone())
            .await;
        assert_error(&r, StatusCode::CONFLICT, "account_in_use");
        assert!(
            r.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("1 of your orders is still in progress"),
            "{:?}",
            r.json
        );
        let wrong = t
            .post(
                "/api/v1/account/close",
                Some(&buyer),
                serde_json::json!({"password": "not the password"}),
            )
            .await;
        assert_error(&wrong, StatusCode::UNAUTHORIZED, "invalid_credentials");
        // A seller's account closes only with its store.
        let r = t
            .post("/api/v1/account/close", Some(&seller), close.clone())
            .await;
        assert_error(&r, StatusCode::CONFLICT, "account_in_use");

        t.ship(&seller, &order).await;
        t.confirm(&buyer, &order).await;
        let r = t
            .post("/api/v1/account/close", Some(&buyer), close.clone())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["orders_erased"], 1);

        // Signed out everywhere, and nobody can sign in with the old email.
        let me = t.get("/api/v1/me", Some(&buyer)).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED, "{:?}", me.json);
        let login = t
            .post(
                "/api/v1/auth/login",
                None,
                serde_json::json!({"email": "b@example.com", "password": PASSWORD}),
            )
            .await;
        assert_error(&login, StatusCode::UNAUTHORIZED, "invalid_credentials");

        // The seller's record of the sale keeps its money, not the person.
        let seen = t
            .get(&format!("/api/v1/orders/{order}"), Some(&seller))
            .await;
        assert_eq!(seen.json["state"], "completed");
        assert_eq!(seen.json["address"]["name"], "Former member");
        assert_eq!(seen.json["address"]["line1"], "(erased)");
        let text = seen.json.to_string();
        assert!(!text.contains("1 Main St"), "{text}");
        let stored = t.app.store.user_by_email("b@example.com").await.unwrap();
        assert!(stored.is_none(), "the email is gone");

        // The address is free to sign up again, as a new person; and a
        // second closed account is also a "Former member".
        let again = t.user("b@example.com", "buyer").await;
        let r = t.post("/api/v1/account/close", Some(&again), close).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn the_seller_loses_sight_of_the_address_90_days_after_the_order_closes() {
    let t = TestApp::sqlite().await;
    let (seller, buyer, order) = t.paid_order().await;
    let path = format!("/api/v1/orders/{order}");
    let open = t.get(&path, Some(&seller)).await;
    assert_eq!(open.json["address_hidden"], false);
    let name = open.json["address"]["name"].clone();
    assert!(!name.as_str().unwrap().is_empty());

    t.ship(&seller, &order).await;
    t.confirm(&buyer, &order).await;
    t.advance_days(89);
    // Sessions do not last three months: both sign in again.
    let (seller, buyer) = (
        t.login("s@example.com").await,
        t.login("b@example.com").await,
    );
    let r = t.get(&path, Some(&seller)).await;
    assert_eq!(
        r.json["address"]["name"], name,
        "still there for a late return"
    );
    t.advance_days(2);
    let r = t.get(&path, Some(&seller)).await;
    assert_eq!(r.json["address_hidden"], true, "{:?}", r.json);
    assert_eq!(r.json["address"]["name"], "");
    assert_eq!(r.json["address"]["line1"], "");
    assert_eq!(
        r.json["address"]["country"],
        open.json["address"]["country"]
    );
    // The buyer still sees their own address.
    let mine = t.get(&path, Some(&buyer)).await;
    assert_eq!(mine.json["address"]["name"], name);
    assert_eq!(mine.json["address_hidden"], false);
}

#[tokio::test]
async fn closing_from_the_account_page_signs_the_person_out() {
    let t = TestApp::sqlite().await;
    t.user("b@example.com", "buyer").await;
    let mut browser = Browser::new(&t);
    browser.login("b@example.com").await;
    let page = browser.get("/account").await;
    assert!(Browser::html(&page).contains("Close my account"));
    let unticked = browser
        .post_form("/account/close", &[("password", PASSWORD)])
        .await;
    assert_eq!(unticked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Browser::html(&unticked).contains("tick the box"));
    let closed = browser
        .post_form(
            "/account/close",
            &[("password", PASSWORD), ("understood", "yes")],
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK);
    assert!(Browser::html(&closed).contains("Your account is closed"));
    let after = browser.get("/account").await;
    assert_ne!(after.status, StatusCode::OK, "signed out");
}
