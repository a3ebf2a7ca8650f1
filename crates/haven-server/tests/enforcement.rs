//! Seller enforcement through the real router: strikes suspend a store
//! (listings hidden, new orders refused, existing orders go on), a lost
//! dispute pushes the defect rate over 1 %, and appeals.

mod common;

use axum::http::StatusCode;
use common::*;
use haven_domain::clock::Clock;
use serde_json::json;

/// The buyer confirms receipt (past the second confirmation); the
/// seller's share that was released.
async fn confirm_receipt(t: &TestApp, buyer: &str, order: &str) -> i64 {
    let confirmed = t
        .post(
            &format!("/api/v1/orders/{order}/confirm"),
            Some(buyer),
            json!({"second_confirmation": true}),
        )
        .await;
    assert_eq!(confirmed.status, StatusCode::OK, "{:?}", confirmed.json);
    confirmed.json["released_to_seller"]["amount_minor"]
        .as_i64()
        .unwrap()
}

async fn store_of(t: &TestApp, seller: &str) -> String {
    let me = t.get("/api/v1/seller/standing", Some(seller)).await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.json);
    me.json["enforcement"]["store_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn three_strikes_suspend_a_store_until_an_appeal_is_granted() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        let (seller, listing) = t.seller_with_listing("s@example.com", 10).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let store = store_of(&t, &seller).await;
        // An order placed before the suspension.
        let before = t.buy(&buyer, &listing, "4242424242424242").await;
        assert_eq!(before.status, StatusCode::CREATED, "{:?}", before.json);
        let before_id = before.json["id"].as_str().unwrap().to_string();
        for n in 1..=3 {
            let r = t
                .post(
                    &format!("/api/v1/console/enforcement/{store}/strikes"),
                    Some(&agent),
                    json!({"reason": format!("fake tracking number #{n}"), "order_id": before_id}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
            let expected = if n < 3 { "good" } else { "suspended" };
            assert_eq!(r.json["enforcement"]["level"], expected, "{:?}", r.json);
        }
        let standing = t.get("/api/v1/seller/standing", Some(&seller)).await;
        assert_eq!(standing.json["enforcement"]["level"], "suspended");
        assert!(
            standing.json["enforcement"]["reasons"][0]
                .as_str()
                .unwrap()
                .starts_with("3 strikes")
        );
        // Hidden and closed to new orders, with the reason.
        let listings = t.get("/api/v1/listings", None).await;
        assert!(
            !listings.json.to_string().contains(&listing),
            "{:?}",
            listings.json
        );
        let refused = t.buy(&buyer, &listing, "4242424242424242").await;
        assert_error(&refused, StatusCode::CONFLICT, "store_suspended");
        assert!(
            refused.json["error"]["details"]["reasons"][0]
                .as_str()
                .unwrap()
                .contains("strikes")
        );
        // The order from before still ships.
        let ship = t
            .post(
                &format!("/api/v1/orders/{before_id}/ship"),
                Some(&seller),
                json!({"carrier": "simpost", "tracking_number": tracking_number()}),
            )
            .await;
        assert_eq!(ship.status, StatusCode::OK, "{:?}", ship.json);
        // An event for integrations.
        let events = t.get("/api/v1/events?limit=100", Some(&agent)).await;
        assert!(
            events
                .json
                .to_string()
                .contains("store.enforcement_changed"),
            "{:?}",
            events.json
        );
        // Appeal: only the owner, only once, and an agent decides.
        let r = t
            .post(
                "/api/v1/seller/standing/appeal",
                Some(&buyer),
                json!({"text": "not mine"}),
            )
            .await;
        assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
        let r = t
            .post(
                "/api/v1/seller/standing/appeal",
                Some(&seller),
                json!({"text": "The carrier mislabelled three parcels; here is their letter."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let again = t
            .post(
                "/api/v1/seller/standing/appeal",
                Some(&seller),
                json!({"text": "again"}),
            )
            .await;
        assert_error(&again, StatusCode::CONFLICT, "invalid_state");
        let queue = t.get("/api/v1/console/enforcement", Some(&agent)).await;
        assert_eq!(
            queue.json["items"][0]["store_id"],
            store.as_str(),
            "{:?}",
            queue.json
        );
        assert!(
            queue.json["items"][0]["appeal"]
                .as_str()
                .unwrap()
                .contains("mislabelled")
        );
        let r = t
            .post(
                &format!("/api/v1/console/enforcement/{store}/appeal"),
                Some(&seller),
                json!({"grant": true}),
            )
            .await;
        assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
        let granted = t
            .post(
                &format!("/api/v1/console/enforcement/{store}/appeal"),
                Some(&agent),
                json!({"grant": true, "note": "carrier letter checked"}),
            )
            .await;
        assert_eq!(granted.status, StatusCode::OK, "{:?}", granted.json);
        assert_eq!(granted.json["level"], "good");
        let history = granted.json["history"].as_array().unwrap();
        assert_eq!(history.len(), 2, "{history:?}");
        assert!(
            history[1]["reasons"][0]
                .as_str()
                .unwrap()
                .contains("carrier letter checked")
        );
        // Visible and open again; one new strike does not suspend.
        let listings = t.get("/api/v1/listings", None).await;
        assert!(listings.json.to_string().contains(&listing));
        let r = t
            .post(
                &format!("/api/v1/console/enforcement/{store}/strikes"),
                Some(&agent),
                json!({"reason": "brushing"}),
            )
            .await;
        assert_eq!(r.json["enforcement"]["level"], "good", "{:?}", r.json);
        let after = t.buy(&buyer, &listing, "4242424242424242").await;
        assert_eq!(after.status, StatusCode::CREATED, "{:?}", after.json);
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_lost_dispute_puts_a_small_store_over_the_defect_limit() {
    for t in on_every_backend().await {
        let (seller, buyer, listing, order) = t.shipped_order().await;
        let store = store_of(&t, &seller).await;
        let opened = t
            .post(&format!("/api/v1/orders/{order}/disputes"), Some(&buyer), json!({"reason": "damaged", "requested_outcome": {"type": "full_refund"}, "description": "arrived broken"}))
            .await;
        assert_eq!(opened.status, StatusCode::CREATED, "{:?}", opened.json);
        let dispute = opened.json["id"].as_str().unwrap().to_string();
        let accepted = t
            .post(
                &format!("/api/v1/disputes/{dispute}/accept"),
                Some(&seller),
                json!({}),
            )
            .await;
        assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.json);
        let standing = t.get("/api/v1/seller/standing", Some(&seller)).await;
        assert_eq!(standing.json["disputes_lost_60d"], 1, "{:?}", standing.json);
        assert_eq!(standing.json["defect_rate_bps"], 10_000);
        assert_eq!(standing.json["enforcement"]["level"], "reserve");
        assert!(
            standing.json["enforcement"]["reasons"][0]
                .as_str()
                .unwrap()
                .contains("order defect rate 100.00 %")
        );
        let agent = agent_token(&t).await;
        let seen = t
            .get(
                &format!("/api/v1/console/enforcement/{store}"),
                Some(&agent),
            )
            .await;
        assert_eq!(seen.json["enforcement"]["level"], "reserve");
        let other = t
            .get(
                &format!("/api/v1/console/enforcement/{store}"),
                Some(&buyer),
            )
            .await;
        assert_error(&other, StatusCode::FORBIDDEN, "forbidden");
        // While in reserve, a release waits 14 days in the seller's reserve.
        let available = format!("seller:{store}:available");
        let reserve = format!("seller:{store}:reserve");
        let available_before = t.balance(&available).await;
        let second = t.buy(&buyer, &listing, "4242424242424242").await;
        let second_id = second.json["id"].as_str().unwrap().to_string();
        let ship = t
            .post(
                &format!("/api/v1/orders/{second_id}/ship"),
                Some(&seller),
                json!({"carrier": "simpost", "tracking_number": tracking_number()}),
            )
            .await;
        assert_eq!(ship.status, StatusCode::OK, "{:?}", ship.json);
        let share = confirm_receipt(&t, &buyer, &second_id).await;
        assert!(share > 0);
        assert_eq!(
            t.balance(&reserve).await,
            share,
            "the release waits in reserve"
        );
        assert_eq!(t.balance(&available).await, available_before);
        t.advance_days(13);
        t.tick().await;
        assert_eq!(t.balance(&reserve).await, share, "not before the hold ends");
        t.advance_days(2);
        t.tick().await;
        assert_eq!(t.balance(&reserve).await, 0);
        assert_eq!(t.balance(&available).await, available_before + share);
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_suspended_seller_sees_why_on_the_seller_centre_and_appeals_there() {
    let t = TestApp::sqlite().await;
    let agent = agent_token(&t).await;
    let (seller, _listing) = t.seller_with_listing("s@example.com", 10).await;
    let store = store_of(&t, &seller).await;
    for n in 1..=3 {
        let r = t
            .post(
                &format!("/api/v1/console/enforcement/{store}/strikes"),
                Some(&agent),
                json!({"reason": format!("confirmed counterfeit #{n}")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    }
    let mut browser = Browser::new(&t);
    browser.login("s@example.com").await;
    let page = browser.get("/seller").await;
    let html = Browser::html(&page);
    assert!(html.contains("Your store is suspended."), "{html}");
    assert!(html.contains("3 strikes"), "{html}");
    let refused = browser.post_form("/seller/appeal", &[("text", "  ")]).await;
    assert!(refused.status.is_client_error(), "{}", refused.status);
    let html = Browser::html(&refused);
    assert!(
        html.contains("<p class=\"field-error\" id=\"appeal-text-error\">"),
        "{html}"
    );
    // Switching language from the refused page never goes to the POST's path.
    assert!(
        !html.contains("name=\"back\" value=\"/seller/appeal\""),
        "{html}"
    );
    let sent = browser
        .post_form(
            "/seller/appeal",
            &[("text", "Supplier invoices attached; the batch was pulled.")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{:?}", sent.json);
    let page = browser.get("/seller").await;
    let html = Browser::html(&page);
    assert!(html.contains("Your appeal was sent."), "{html}");
    assert!(html.contains("is waiting for an agent"), "{html}");
    // The agent's console lists it with the appeal.
    let mut console = Browser::new(&t);
    console.login("agent@example.com").await;
    let page = console.get("/console/safety").await;
    assert!(Browser::html(&page).contains("Supplier invoices attached"));
    let decided = console
        .post_form(
            &format!("/console/enforcement/{store}/appeal"),
            &[("decision", "grant"), ("note", "invoices checked")],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER);
    let standing = t.get("/api/v1/seller/standing", Some(&seller)).await;
    assert_eq!(standing.json["enforcement"]["level"], "good");
}

#[tokio::test]
async fn a_delivery_scan_in_another_city_is_not_delivery_and_is_flagged() {
    for t in on_every_backend().await {
        let (_seller, buyer, _listing, order) = t.shipped_order().await;
        let agent = agent_token(&t).await;
        let seen = t
            .get(&format!("/api/v1/orders/{order}"), Some(&buyer))
            .await;
        let number = seen.json["shipment"]["tracking_number"]
            .as_str()
            .unwrap()
            .to_string();
        let r = t
            .scan_body(json!({"tracking_number": number, "status": "delivered", "occurred_at": t.clock.now().to_string(), "location": "Parcel locker 7", "city": "Shelbyville", "country": "US"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let seen = t
            .get(&format!("/api/v1/orders/{order}"), Some(&buyer))
            .await;
        assert_eq!(
            seen.json["state"], "shipped",
            "not delivered: {:?}",
            seen.json
        );
        assert!(seen.json["delivered_at"].is_null());
        let flags = t.get("/api/v1/console/flags", Some(&agent)).await;
        let text = flags.json.to_string();
        assert!(text.contains("tracking_delivered_elsewhere"), "{text}");
        assert!(
            text.contains("delivered in Shelbyville but the order ships to Springfield"),
            "{text}"
        );
        // The right city counts.
        let r = t
            .scan_body(json!({"tracking_number": number, "status": "delivered", "occurred_at": t.clock.now().to_string(), "city": " springfield ", "country": "us"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let seen = t
            .get(&format!("/api/v1/orders/{order}"), Some(&buyer))
            .await;
        assert_eq!(seen.json["state"], "delivered", "{:?}", seen.json);
    }
}

#[tokio::test]
async fn an_agent_records_strikes_from_the_store_page_and_the_third_suspends() {
    let t = TestApp::sqlite().await;
    agent_token(&t).await;
    let (seller, listing) = t.seller_with_listing("s@example.com", 10).await;
    let store = store_of(&t, &seller).await;
    let mut console = Browser::new(&t);
    console.login("agent@example.com").await;
    let page = console.get(&format!("/stores/{store}")).await;
    assert!(Browser::html(&page).contains("Record strike"));
    // Buyers and sellers get no such form, and can't post it.
    let mut buyer = Browser::new(&t);
    t.user("b@example.com", "buyer").await;
    buyer.login("b@example.com").await;
    let page = buyer.get(&format!("/stores/{store}")).await;
    assert!(!Browser::html(&page).contains("Record strike"));
    let refused = buyer
        .post_form(
            &format!("/console/enforcement/{store}/strikes"),
            &[("reason", "I don't like them")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    // An order named by something that is not its number goes back to the
    // store's page with the reason.
    let bad = console
        .post_form(
            &format!("/console/enforcement/{store}/strikes"),
            &[("reason", "fake tracking"), ("order_id", "not-an-order")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::SEE_OTHER, "{:?}", bad.json);
    let page = console.get(&format!("/stores/{store}")).await;
    assert!(
        Browser::html(&page).contains("write the order&#x27;s number")
            || Browser::html(&page).contains("write the order's number"),
        "{}",
        Browser::html(&page)
    );
    // The short number the order page shows names the order.
    let buyer_token = t.user("c@example.com", "buyer").await;
    let order = t.buy(&buyer_token, &listing, "4242424242424242").await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let seller_view = console.get(&format!("/orders/{order}")).await;
    let number = haven_domain::order::short_number(&order);
    assert!(Browser::html(&seller_view).contains(&number), "{number}");
    for n in 1..=3 {
        let named = if n == 1 { number.as_str() } else { "" };
        let r = console
            .post_form(
                &format!("/console/enforcement/{store}/strikes"),
                &[
                    ("reason", &format!("fake tracking number #{n}")),
                    ("order_id", named),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    }
    let page = console.get(&format!("/stores/{store}")).await;
    assert!(
        Browser::html(&page).contains("Strike recorded: the store is now suspended."),
        "{}",
        Browser::html(&page)
    );
    let standing = t.get("/api/v1/seller/standing", Some(&seller)).await;
    assert_eq!(standing.json["enforcement"]["level"], "suspended");
    let reasons = standing.json["enforcement"]["reasons"].to_string();
    assert!(reasons.contains("3 strikes"), "{reasons}");
    let strikes = t
        .app
        .store
        .strikes_for_store(store.parse().unwrap())
        .await
        .unwrap();
    assert!(
        strikes
            .iter()
            .any(|s| s.order_id.map(|o| o.to_string()) == Some(order.clone())),
        "the first strike names the order: {strikes:?}"
    );
}

#[tokio::test]
async fn confirmed_fake_tracking_freezes_releases_until_an_appeal_is_granted() {
    for t in on_every_backend().await {
        let (seller, buyer, _listing, order) = t.shipped_order().await;
        let store = store_of(&t, &seller).await;
        let agent = agent_token(&t).await;
        let r = t
            .post(
                &format!("/api/v1/console/enforcement/{store}/strikes"),
                Some(&agent),
                json!({"reason": "the tracking number belongs to another parcel", "order_id": order, "fake_tracking": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["enforcement"]["level"], "reserve", "{:?}", r.json);
        let frozen = r.json["enforcement"]["releases_frozen"].as_str().unwrap();
        assert!(frozen.contains("confirmed fake tracking"), "{frozen}");
        assert!(
            r.json["enforcement"]["reasons"]
                .to_string()
                .contains("releases frozen since"),
            "{:?}",
            r.json
        );

        // The buyer's confirmation releases into the reserve, and the
        // reserve's deadline keeps coming back while frozen.
        let reserve = format!("seller:{store}:reserve");
        let available = format!("seller:{store}:available");
        let share = confirm_receipt(&t, &buyer, &order).await;
        assert_eq!(t.balance(&reserve).await, share);
        let available_before = t.balance(&available).await;
        t.advance_days(20);
        t.tick().await;
        assert_eq!(t.balance(&reserve).await, share, "frozen past the 14 days");
        assert_eq!(t.balance(&available).await, available_before);

        // Appeal granted: the freeze lifts and the next deadline frees it.
        let r = t
            .post(
                "/api/v1/seller/standing/appeal",
                Some(&seller),
                json!({"text": "The courier mislabelled the parcel; here is their letter."}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let r = t
            .post(
                &format!("/api/v1/console/enforcement/{store}/appeal"),
                Some(&agent),
                json!({"grant": true, "note": "courier's letter checked"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert!(
            r.json["enforcement"]["releases_frozen"].is_null(),
            "{:?}",
            r.json
        );
        t.advance_days(2);
        t.tick().await;
        assert_eq!(t.balance(&reserve).await, 0);
        assert_eq!(t.balance(&available).await, available_before + share);
        t.verify_clean().await;
    }
}
