//! Notifications through the real router: each party of an order hears of
//! what concerns them, in the bell and by email, once each however often
//! the worker runs; nobody hears of anyone else's orders; emails can be
//! switched off per group; the bell counts and clears; and the web pages
//! show it all.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};

async fn notices(t: &TestApp, token: &str) -> Value {
    let r = t.get("/api/v1/notifications", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    r.json
}

fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_string())
        .collect()
}

/// The notice emails to `to` (leaving out the account's own: address
/// confirmation, payout account).
fn emails_to(all: &[Value], to: &str) -> Vec<String> {
    all.iter()
        .filter(|e| e["to"] == to)
        .map(|e| e["subject"].as_str().unwrap().to_string())
        .filter(|subject| !subject.contains("Haven"))
        .collect()
}

#[tokio::test]
async fn both_parties_hear_of_an_order_once_in_the_bell_and_by_email() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let stranger = t.user("x@example.com", "buyer").await;
        let order = t.buy(&buyer, &listing, "4242424242424242").await.json["id"]
            .as_str()
            .unwrap()
            .to_string();
        // Published by one tick, told by the next; more ticks change nothing.
        for _ in 0..4 {
            t.tick().await;
        }
        let mine = notices(&t, &buyer).await;
        let title = titles(&mine)[0].clone();
        assert!(title.starts_with("Order placed: "), "{mine:?}");
        assert_eq!(titles(&mine).len(), 1, "{mine:?}");
        assert_eq!(mine["unread"], 1);
        assert_eq!(mine["items"][0]["link"], format!("/orders/{order}"));
        let theirs = notices(&t, &seller).await;
        assert_eq!(titles(&theirs).len(), 1, "{theirs:?}");
        assert!(titles(&theirs)[0].starts_with("New order to ship: "));
        assert_eq!(titles(&notices(&t, &stranger).await).len(), 0);
        let all = emails(&t).await;
        assert_eq!(
            emails_to(&all, "b@example.com"),
            std::slice::from_ref(&title)
        );
        assert_eq!(emails_to(&all, "s@example.com").len(), 1);

        // Shipping tells the buyer only.
        t.ship(&seller, &order).await;
        t.tick().await;
        t.tick().await;
        let mine = notices(&t, &buyer).await;
        assert!(titles(&mine)[0].starts_with("Shipped: "), "{mine:?}");
        assert_eq!(mine["unread"], 2);
        assert_eq!(titles(&notices(&t, &seller).await).len(), 1);

        let r = t
            .post("/api/v1/notifications/read", Some(&buyer), json!({}))
            .await;
        assert_eq!(r.json["unread"], 0, "{:?}", r.json);
        let mine = notices(&t, &buyer).await;
        assert!(
            mine["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| !n["read_at"].is_null())
        );
        assert_eq!(
            notices(&t, &seller).await["unread"],
            1,
            "the seller's stay unread"
        );
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_group_switched_off_is_not_emailed_but_still_in_the_bell() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let r = t
        .post(
            "/api/v1/account/email-settings",
            Some(&buyer),
            json!({"email_off": ["orders", "orders"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["email_off"], json!(["orders"]));
    let r = t.get("/api/v1/account/email-settings", Some(&buyer)).await;
    assert_eq!(r.json["email_off"], json!(["orders"]));
    let bad = t
        .post(
            "/api/v1/account/email-settings",
            Some(&buyer),
            json!({"email_off": ["spam"]}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        bad.json
    );
    t.buy(&buyer, &listing, "4242424242424242").await;
    t.tick().await;
    t.tick().await;
    assert_eq!(titles(&notices(&t, &buyer).await).len(), 1);
    let all = emails(&t).await;
    assert!(emails_to(&all, "b@example.com").is_empty(), "{all:?}");
    assert_eq!(
        emails_to(&all, "s@example.com").len(),
        1,
        "the seller's are on"
    );
}

#[tokio::test]
async fn the_bell_counts_and_the_pages_list_and_clear() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let buyer = t.user("b@example.com", "buyer").await;
    t.buy(&buyer, &listing, "4242424242424242").await;
    t.tick().await;
    t.tick().await;
    let mut browser = Browser::new(&t);
    browser.login("b@example.com").await;
    let home = browser.get("/").await;
    let html = Browser::html(&home);
    assert!(
        html.contains("aria-label=\"Notifications, 1 unread\""),
        "{html}"
    );
    let page = browser.get("/notifications").await;
    let html = Browser::html(&page).to_string();
    assert!(html.contains("Order placed: "), "{html}");
    assert!(html.contains("Mark all as read"), "{html}");
    let r = browser.post_form("/notifications/read", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = browser.get("/notifications").await;
    let html = Browser::html(&page);
    assert!(html.contains("All notifications marked as read."), "{html}");
    assert!(html.contains("aria-label=\"Notifications\""), "{html}");

    // Switched off from the account page: an unticked box.
    let account = browser.get("/account").await;
    assert!(Browser::html(&account).contains("Email me about"));
    let r = browser
        .post_form("/account/notifications", &[("disputes", "on")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let user = t
        .app
        .store
        .user_by_email("b@example.com")
        .await
        .unwrap()
        .unwrap();
    use haven_domain::notice::NoticeKind;
    assert_eq!(
        user.email_off,
        [
            NoticeKind::Messages,
            NoticeKind::Orders,
            NoticeKind::Payouts,
            NoticeKind::Reviews
        ]
    );
}

/// A day before a deadline, whoever must act by then is reminded, once.
#[tokio::test]
async fn deadlines_are_reminded_a_day_ahead_to_whoever_must_act() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let order = t.buy(&buyer, &listing, "4242424242424242").await.json;
        let order_id = order["id"].as_str().unwrap().to_string();
        let at = |field: &str, order: &Value| -> i64 {
            order[field]
                .as_str()
                .unwrap()
                .parse::<haven_domain::Timestamp>()
                .unwrap()
                .as_second()
        };
        let reminders = |page: &Value, prefix: &str| {
            titles(page)
                .into_iter()
                .filter(|title| title.starts_with(prefix))
                .count()
        };
        t.tick().await;
        t.tick().await;
        assert_eq!(reminders(&notices(&t, &seller).await, "Ship by "), 0);

        // Ship-by is three days out: 20 hours before it, the seller hears.
        let ship_by = at("ship_by_at", &order);
        t.clock.advance(haven_domain::SignedDuration::from_secs(
            ship_by - t.now_s() - 20 * 3600,
        ));
        for _ in 0..3 {
            t.tick().await;
        }
        let theirs = notices(&t, &seller).await;
        assert_eq!(reminders(&theirs, "Ship by "), 1, "{theirs:?}");
        assert!(
            titles(&theirs)
                .iter()
                .any(|title| title.ends_with(": Walnut desk lamp"))
        );
        assert_eq!(reminders(&notices(&t, &buyer).await, "Ship by "), 0);
        let mails = emails(&t).await;
        assert_eq!(
            emails_to(&mails, "s@example.com")
                .iter()
                .filter(|subject| subject.starts_with("Ship by "))
                .count(),
            1,
            "{mails:?}"
        );

        // Shipped: the buyer is reminded before protection ends.
        t.ship(&seller, &order_id).await;
        let shipped = t
            .get(&format!("/api/v1/orders/{order_id}"), Some(&buyer))
            .await
            .json;
        let ends = at("protection_ends_at", &shipped);
        t.clock.advance(haven_domain::SignedDuration::from_secs(
            ends - t.now_s() - 10 * 3600,
        ));
        for _ in 0..3 {
            t.tick().await;
        }
        let mine = notices(&t, &buyer).await;
        assert_eq!(reminders(&mine, "Buyer protection ends "), 1, "{mine:?}");
        assert_eq!(
            reminders(&notices(&t, &seller).await, "Buyer protection ends "),
            0
        );
    }
}
