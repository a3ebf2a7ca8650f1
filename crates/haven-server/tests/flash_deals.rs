//! Flash deals through the real router: 200 buyers race for 50 units at the
//! deal price and exactly 50 get them (never oversold, nothing half-written,
//! the ledger clean), on every backend; then the listing is back at its
//! regular price. And what a seller may not do with a deal.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

const BUYERS: usize = 200;
const DEAL_UNITS: u32 = 50;

/// Buyers with API sessions, created directly: 200 sign-ins from one
/// address in a minute are rightly throttled, and the race is about
/// checkout, not login.
async fn buyers(t: &TestApp, n: usize) -> Vec<String> {
    use haven_domain::account::{Email, Role, Session, SessionKind, User};
    let hash = haven_app::auth::hash_password(PASSWORD).unwrap();
    let now = t.app.now();
    let mut changes = haven_store::Changeset::default();
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let email = Email::parse(&format!("fan{i}@example.com")).unwrap();
        let user = User::new(
            email,
            format!("Fan {i}"),
            hash.clone(),
            vec![Role::Buyer],
            now,
        );
        let (token, token_hash) = haven_app::auth::new_token();
        changes.sessions.push(Session {
            token_hash,
            user_id: user.id,
            kind: SessionKind::Api,
            created_at: now,
            expires_at: now + jiff::SignedDuration::from_hours(24),
            user_agent: "flash-deal test".into(),
            ip: "127.0.0.1".into(),
            last_seen_at: now,
            reauthenticated_at: now,
        });
        changes.users.push(user);
        tokens.push(token);
    }
    t.app.store.commit(changes).await.unwrap();
    tokens
}

fn deal(price_minor: i64, quantity: u32, ends_at: &str) -> serde_json::Value {
    json!({"price": {"amount_minor": price_minor, "currency": "USD"}, "quantity": quantity, "ends_at": ends_at})
}

fn hours_from_now(t: &TestApp, hours: i64) -> String {
    (t.app.now() + jiff::SignedDuration::from_hours(hours)).to_string()
}

#[tokio::test]
async fn two_hundred_buyers_race_for_fifty_deal_units() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 1_000).await;
        let r = t
            .post(
                &format!("/api/v1/listings/{listing}/deal"),
                Some(&seller),
                deal(2_000, DEAL_UNITS, &hours_from_now(&t, 2)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["deal"]["remaining"], DEAL_UNITS);
        let tokens = buyers(&t, BUYERS).await;
        let attempts = tokens.iter().enumerate().map(|(i, token)| {
            let mut body = checkout_body(&listing, 1, "4242424242424242");
            // Each buyer at their own address (one address buying 200
            // times in a minute is what the fraud checks exist for).
            body["address"]["line1"] = json!(format!("{i} Main St"));
            t.post("/api/v1/orders", Some(token), body)
        });
        let results = futures::future::join_all(attempts).await;
        let won: Vec<_> = results
            .iter()
            .filter(|r| r.status == StatusCode::CREATED)
            .collect();
        assert_eq!(
            won.len(),
            DEAL_UNITS as usize,
            "exactly the deal's units are sold"
        );
        for r in &won {
            assert_eq!(r.json["unit_price"]["amount_minor"], 2_000, "{:?}", r.json);
            assert_eq!(r.json["state"], "paid", "{:?}", r.json);
        }
        for r in results.iter().filter(|r| r.status != StatusCode::CREATED) {
            assert_error(r, StatusCode::CONFLICT, "deal_sold_out");
        }
        let after = t.get(&format!("/api/v1/listings/{listing}"), None).await;
        assert_eq!(after.json["deal"]["remaining"], 0);
        assert_eq!(
            after.json["stock"],
            1_000 - i64::from(DEAL_UNITS),
            "no stock taken by a refused order"
        );
        // Sold out while the deal runs: a late buyer is refused rather than
        // charged the regular price silently, and buys at it only by saying
        // so (the listing page offers it).
        assert_error(
            &t.buy(&tokens[0], &listing, "4242424242424242").await,
            StatusCode::CONFLICT,
            "deal_sold_out",
        );
        let mut agreed = checkout_body(&listing, 1, "4242424242424242");
        agreed["accept_regular_price"] = json!(true);
        let late = t.post("/api/v1/orders", Some(&tokens[0]), agreed).await;
        assert_eq!(late.status, StatusCode::CREATED, "{:?}", late.json);
        assert_eq!(late.json["unit_price"]["amount_minor"], 4_000);
        let mut browser = Browser::new(&t);
        let page = browser.get(&format!("/listings/{listing}")).await;
        let html = page.json.as_str().unwrap();
        assert!(
            html.contains("id=\"deal-sold-out\"") && html.contains("name=\"regular\""),
            "{html}"
        );
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_deal_must_undercut_run_at_most_a_week_and_not_be_replaced_while_live() {
    let t = TestApp::sqlite().await;
    let (seller, listing) = t.seller_with_listing("s@example.com", 10).await;
    let (other, _) = t.seller_with_listing("o@example.com", 10).await;
    let path = format!("/api/v1/listings/{listing}/deal");
    let soon = hours_from_now(&t, 2);
    for (body, why) in [
        (deal(4_000, 5, &soon), "not below the price"),
        (deal(0, 5, &soon), "free"),
        (deal(2_000, 0, &soon), "no units"),
        (deal(2_000, 11, &soon), "more units than stock"),
        (
            deal(2_000, 5, &hours_from_now(&t, 24 * 8)),
            "longer than a week",
        ),
        (deal(2_000, 5, &hours_from_now(&t, -1)), "already over"),
        (deal(2_000, 5, "tomorrow"), "not a time"),
    ] {
        let r = t.post(&path, Some(&seller), body).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let _ = why;
    }
    let r = t.post(&path, Some(&other), deal(2_000, 5, &soon)).await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = t.post(&path, Some(&seller), deal(2_000, 5, &soon)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let r = t.post(&path, Some(&seller), deal(1_000, 5, &soon)).await;
    assert_error(&r, StatusCode::CONFLICT, "invalid_state");
    // Six asked of five units: refused at the deal's price, bought at the
    // regular price only when the buyer says so.
    let buyer = t.user("b@example.com", "buyer").await;
    let six = checkout_body(&listing, 6, "4242424242424242");
    let r = t.post("/api/v1/orders", Some(&buyer), six.clone()).await;
    assert_error(&r, StatusCode::CONFLICT, "deal_sold_out");
    let mut agreed = six;
    agreed["accept_regular_price"] = json!(true);
    let r = t.post("/api/v1/orders", Some(&buyer), agreed).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    assert_eq!(r.json["unit_price"]["amount_minor"], 4_000);
    let after = t.get(&format!("/api/v1/listings/{listing}"), None).await;
    assert_eq!(
        after.json["deal"]["remaining"], 5,
        "a regular-price order takes no deal units"
    );
    // The page shows the deal with its countdown; after the end, the price.
    let mut browser = Browser::new(&t);
    let page = browser.get(&format!("/listings/{listing}")).await;
    let html = page.json.as_str().unwrap().to_string();
    assert!(
        html.contains("id=\"flash-deal\"") && html.contains("$20.00"),
        "{html}"
    );
    assert!(html.contains("data-countdown-to="), "{html}");
    t.advance_hours(3);
    let page = browser.get(&format!("/listings/{listing}")).await;
    assert!(!page.json.as_str().unwrap().contains("id=\"flash-deal\""));
    let r = t.buy(&buyer, &listing, "4242424242424242").await;
    assert_eq!(r.json["unit_price"]["amount_minor"], 4_000, "{:?}", r.json);
    // A new deal after the old one ended is fine.
    let r = t
        .post(&path, Some(&seller), deal(3_000, 2, &hours_from_now(&t, 1)))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
}

#[tokio::test]
async fn a_declined_payment_gives_its_units_back_to_the_deal_a_paid_cancellation_does_not() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 20).await;
        let r = t
            .post(
                &format!("/api/v1/listings/{listing}/deal"),
                Some(&seller),
                deal(2_900, 5, &hours_from_now(&t, 24)),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let remaining = || async {
            t.get(&format!("/api/v1/listings/{listing}"), None)
                .await
                .json["deal"]["remaining"]
                .as_u64()
                .unwrap()
        };
        let buyer = t.user("b@example.com", "buyer").await;
        let r = t
            .post(
                "/api/v1/orders",
                Some(&buyer),
                checkout_body(&listing, 2, "4000000000000002"),
            )
            .await;
        assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{:?}", r.json);
        assert_eq!(
            remaining().await,
            5,
            "the declined order's units are the deal's again"
        );
        // Paid, then cancelled before shipping: the units stay sold.
        let r = t
            .post(
                "/api/v1/orders",
                Some(&buyer),
                checkout_body(&listing, 2, "4242424242424242"),
            )
            .await;
        assert_eq!(r.json["unit_price"]["amount_minor"], 2_900, "{:?}", r.json);
        let order = r.json["id"].as_str().unwrap().to_string();
        let r = t.cancel_by_agreement(&buyer, &seller, &order).await;
        assert_eq!(r.json["state"], "cancelled", "{:?}", r.json);
        assert_eq!(remaining().await, 3);
        t.verify_clean().await;
    }
}

/// The home page leads with search, the protection promise, the flash
/// deals buyers can take now (not one yet to start, not a paused
/// listing's) and the categories; a category page has none of that.
#[tokio::test]
async fn the_home_page_shows_running_deals_and_categories() {
    let t = TestApp::sqlite().await;
    let (seller, running) = t.seller_with_listing("s@example.com", 20).await;
    let r = t
        .post(
            &format!("/api/v1/listings/{running}/deal"),
            Some(&seller),
            deal(2_500, 5, &hours_from_now(&t, 2)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let r = t
        .post("/api/v1/listings", Some(&seller), {
            let mut body = listing_body(10);
            body["title"] = json!("Oak bookend pair");
            body
        })
        .await;
    let upcoming = r.json["id"].as_str().unwrap().to_string();
    let later = json!({"price": {"amount_minor": 1_000, "currency": "USD"}, "quantity": 2,
        "starts_at": hours_from_now(&t, 1), "ends_at": hours_from_now(&t, 3)});
    let r = t
        .post(
            &format!("/api/v1/listings/{upcoming}/deal"),
            Some(&seller),
            later,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    t.app.sync_search().await.unwrap();

    let mut browser = Browser::new(&t);
    let home = browser.get("/").await;
    let html = Browser::html(&home).to_string();
    assert!(
        html.contains("id=\"home-deals\"") && html.contains("id=\"home-categories\""),
        "{html}"
    );
    let deals = &html
        [html.find("id=\"home-deals\"").unwrap()..html.find("id=\"home-categories\"").unwrap()];
    assert!(
        deals.contains(&format!("/listings/{running}")) && deals.contains("$25.00"),
        "{deals}"
    );
    assert!(
        !deals.contains("Oak bookend pair"),
        "a deal yet to start is not shown: {deals}"
    );
    assert!(html.contains("href=\"/?category=garden\""), "{html}");

    // Paused, the running deal's listing leaves the home page.
    let r = t
        .request(
            "PATCH",
            &format!("/api/v1/listings/{running}"),
            Some(&seller),
            Some(json!({"paused": true}).to_string().into_bytes()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let home = browser.get("/").await;
    assert!(!Browser::html(&home).contains("id=\"home-deals\""));

    let category = browser.get("/?category=home").await;
    let html = Browser::html(&category);
    assert!(
        !html.contains("id=\"home-deals\"") && !html.contains("class=\"hero\""),
        "{html}"
    );
}
