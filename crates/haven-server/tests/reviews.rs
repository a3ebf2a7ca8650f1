//! Reviews and reputation through the real router: who may review what and
//! when, blind publication through the clock, held texts, edits and
//! replies, metrics that agree with a rebuild from scratch, and a scripted
//! brushing ring caught without touching the honest stores.

mod common;

use axum::http::StatusCode;
use common::*;
use haven_domain::ids::StoreId;
use serde_json::{Value, json};

async fn store_id(t: &TestApp, seller: &str) -> String {
    let me = t.get("/api/v1/seller/standing", Some(seller)).await;
    me.json["enforcement"]["store_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn checkout_to(listing: &str, address_line: &str) -> Value {
    let mut body = checkout_body(listing, 1, "4242424242424242");
    body["address"]["line1"] = json!(address_line);
    body
}

/// Buy, ship, deliver and confirm: a completed order.
async fn completed(t: &TestApp, buyer: &str, seller: &str, listing: &str, address: &str) -> String {
    let r = t
        .post("/api/v1/orders", Some(buyer), checkout_to(listing, address))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let order = r.json["id"].as_str().unwrap().to_string();
    let number = tracking_number();
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/ship"),
            Some(seller),
            json!({"carrier": "simpost", "tracking_number": number}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let r = t.scan(&number, "delivered").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/confirm"),
            Some(buyer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["state"], "completed", "{:?}", r.json);
    order
}

async fn review(t: &TestApp, buyer: &str, order: &str, rating: u8, text: &str) -> Response {
    t.post(
        &format!("/api/v1/orders/{order}/review"),
        Some(buyer),
        json!({"rating": rating, "text": text, "item_as_described": rating, "communication": 5, "shipping_speed": 4}),
    )
    .await
}

#[tokio::test]
async fn who_may_review_what_and_when() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 20).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let other = t.user("o@example.com", "buyer").await;
        // Not completed: paid but not delivered.
        let paid = t.buy(&buyer, &listing, "4242424242424242").await;
        let paid = paid.json["id"].as_str().unwrap().to_string();
        assert_error(
            &review(&t, &buyer, &paid, 5, "fast").await,
            StatusCode::CONFLICT,
            "invalid_state",
        );
        let order = completed(&t, &buyer, &seller, &listing, "1 Main St").await;
        // Not your order: answered as if it did not exist.
        assert_error(
            &review(&t, &other, &order, 1, "never got it").await,
            StatusCode::NOT_FOUND,
            "not_found",
        );
        // The store's own seller cannot review its store.
        assert_error(
            &review(&t, &seller, &order, 5, "best shop").await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        // Bad input.
        assert_error(
            &review(&t, &buyer, &order, 6, "six").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        let too_many = t
            .post(
                &format!("/api/v1/orders/{order}/review"),
                Some(&buyer),
                json!({"rating": 4, "photos": ["a","b","c","d","e","f","g"]}),
            )
            .await;
        assert_eq!(
            too_many.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{:?}",
            too_many.json
        );
        let state = t
            .get(&format!("/api/v1/orders/{order}/review"), Some(&buyer))
            .await;
        assert!(
            state.json["can_review_until"].is_string(),
            "{:?}",
            state.json
        );
        let first = review(&t, &buyer, &order, 4, "Lamp as described.").await;
        assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.json);
        assert_eq!(
            first.json["status"], "pending",
            "blind until the seller rates"
        );
        // Twice.
        assert_error(
            &review(&t, &buyer, &order, 5, "again").await,
            StatusCode::CONFLICT,
            "invalid_state",
        );
        // Too late: 30 days after completion.
        let late = completed(&t, &buyer, &seller, &listing, "1 Main St").await;
        t.advance_days(31);
        let buyer = t.login("b@example.com").await;
        assert_error(
            &review(&t, &buyer, &late, 5, "late").await,
            StatusCode::CONFLICT,
            "invalid_state",
        );
        let state = t
            .get(&format!("/api/v1/orders/{late}/review"), Some(&buyer))
            .await;
        assert!(state.json["can_review_until"].is_null(), "{:?}", state.json);
    }
}

#[tokio::test]
async fn reviews_are_blind_until_both_are_in_or_seven_days_pass() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 20).await;
        let store = store_id(&t, &seller).await;
        let buyer = t.user("b@example.com", "buyer").await;
        // Both sides in: published at once.
        let a = completed(&t, &buyer, &seller, &listing, "1 Main St").await;
        let r = review(&t, &buyer, &a, 5, "Lovely lamp").await;
        assert_eq!(r.json["status"], "pending");
        let seller_view = t
            .get(&format!("/api/v1/orders/{a}/review"), Some(&seller))
            .await;
        assert!(
            seller_view.json["review"].is_null(),
            "the seller cannot peek: {:?}",
            seller_view.json
        );
        let listed = t
            .get(&format!("/api/v1/stores/{store}/reviews"), None)
            .await;
        assert_eq!(listed.json["items"].as_array().unwrap().len(), 0);
        let rated = t
            .post(
                &format!("/api/v1/orders/{a}/buyer-rating"),
                Some(&seller),
                json!({"rating": 5, "note": "paid fast"}),
            )
            .await;
        assert_eq!(rated.status, StatusCode::CREATED, "{:?}", rated.json);
        assert!(rated.json["published_at"].is_string(), "{:?}", rated.json);
        let again = t
            .post(
                &format!("/api/v1/orders/{a}/buyer-rating"),
                Some(&seller),
                json!({"rating": 1}),
            )
            .await;
        assert_error(&again, StatusCode::CONFLICT, "invalid_state");
        let listed = t
            .get(&format!("/api/v1/stores/{store}/reviews"), None)
            .await;
        assert_eq!(
            listed.json["items"][0]["status"], "published",
            "{:?}",
            listed.json
        );
        assert_eq!(listed.json["items"][0]["text"], "Lovely lamp");
        let mine = t
            .get(&format!("/api/v1/orders/{a}/review"), Some(&buyer))
            .await;
        assert_eq!(mine.json["buyer_rating"]["rating"], 5, "{:?}", mine.json);
        // One side only: published by the clock after 7 days, not before.
        let b = completed(&t, &buyer, &seller, &listing, "1 Main St").await;
        review(&t, &buyer, &b, 2, "Scratched base").await;
        t.advance_days(6);
        t.tick().await;
        let listed = t
            .get(&format!("/api/v1/stores/{store}/reviews?stars=2"), None)
            .await;
        assert_eq!(
            listed.json["items"].as_array().unwrap().len(),
            0,
            "{:?}",
            listed.json
        );
        t.advance_days(1);
        t.advance_hours(1);
        t.tick().await;
        let listed = t
            .get(&format!("/api/v1/stores/{store}/reviews?stars=2"), None)
            .await;
        assert_eq!(
            listed.json["items"].as_array().unwrap().len(),
            1,
            "{:?}",
            listed.json
        );
        let rep = t
            .get(&format!("/api/v1/stores/{store}/reputation"), None)
            .await;
        assert_eq!(
            rep.json["star_counts"],
            json!([0, 1, 0, 0, 1]),
            "{:?}",
            rep.json
        );
        assert_eq!(rep.json["positive_bps"], 5_000);
        // The seller's late rating is published at once (the review is out).
        let late = t
            .post(
                &format!("/api/v1/orders/{b}/buyer-rating"),
                Some(&seller),
                json!({"rating": 4}),
            )
            .await;
        assert!(late.json["published_at"].is_string(), "{:?}", late.json);
        // The seller sees how sellers rated this buyer; the buyer does not.
        let seller_view = t
            .get(&format!("/api/v1/orders/{b}/review"), Some(&seller))
            .await;
        assert_eq!(
            seller_view.json["buyer_summary"],
            json!({"ratings": 2, "average": 4.5, "text": "Sellers rated this buyer 4.5★ on average (2 ratings)"}),
            "{:?}",
            seller_view.json
        );
        let buyer_view = t
            .get(&format!("/api/v1/orders/{b}/review"), Some(&buyer))
            .await;
        assert!(buyer_view.json["buyer_summary"].is_null());
        let mut seller_browser = Browser::new(&t);
        seller_browser.login("s@example.com").await;
        let page = seller_browser.get(&format!("/orders/{b}")).await;
        assert!(
            Browser::html(&page).contains("Sellers rated this buyer 4.5★ on average (2 ratings)."),
            "{}",
            Browser::html(&page)
        );
        // An event for integrations.
        let agent = agent_token(&t).await;
        let events = t.get("/api/v1/events?limit=100", Some(&agent)).await;
        assert!(events.json.to_string().contains("review.published"));
    }
}

#[tokio::test]
async fn held_texts_edits_and_replies() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        let (seller, listing) = t.seller_with_listing("s@example.com", 20).await;
        let store = store_id(&t, &seller).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let order = completed(&t, &buyer, &seller, &listing, "1 Main St").await;
        t.post(
            &format!("/api/v1/orders/{order}/buyer-rating"),
            Some(&seller),
            json!({"rating": 5}),
        )
        .await;
        // A review that sends buyers off the platform is held for an agent.
        let r = review(
            &t,
            &buyer,
            &order,
            5,
            "Great seller! Next time message him on WhatsApp +1 555 010 9999 and pay by Zelle for a discount",
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["status"], "held", "{:?}", r.json);
        let listed = t
            .get(&format!("/api/v1/stores/{store}/reviews"), None)
            .await;
        assert_eq!(listed.json["items"].as_array().unwrap().len(), 0);
        let held = t.get("/api/v1/console/reviews/held", Some(&agent)).await;
        assert_eq!(
            held.json["items"].as_array().unwrap().len(),
            1,
            "{:?}",
            held.json
        );
        let id = r.json["id"].as_str().unwrap().to_string();
        let forbidden = t
            .post(
                &format!("/api/v1/console/reviews/{id}/moderate"),
                Some(&buyer),
                json!({"approve": true}),
            )
            .await;
        assert_error(&forbidden, StatusCode::FORBIDDEN, "forbidden");
        // The buyer edits it once (the earlier text is kept), clean this time.
        let edited = t
            .post(
                &format!("/api/v1/reviews/{id}/edit"),
                Some(&buyer),
                json!({"rating": 4, "text": "Good lamp, quick shipping."}),
            )
            .await;
        assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.json);
        assert_eq!(edited.json["status"], "published", "{:?}", edited.json);
        assert_eq!(edited.json["revisions"][0]["rating"], 5);
        let twice = t
            .post(
                &format!("/api/v1/reviews/{id}/edit"),
                Some(&buyer),
                json!({"rating": 3, "text": "x"}),
            )
            .await;
        assert_error(&twice, StatusCode::CONFLICT, "invalid_state");
        let rep = t
            .get(&format!("/api/v1/stores/{store}/reputation"), None)
            .await;
        assert_eq!(
            rep.json["star_counts"],
            json!([0, 0, 0, 1, 0]),
            "the edit moved the counts: {:?}",
            rep.json
        );
        // One public reply from the store; a scam reply is held.
        let other = t
            .post(
                &format!("/api/v1/reviews/{id}/reply"),
                Some(&buyer),
                json!({"text": "me"}),
            )
            .await;
        assert_error(&other, StatusCode::NOT_FOUND, "not_found");
        let reply = t
            .post(
                &format!("/api/v1/reviews/{id}/reply"),
                Some(&seller),
                json!({"text": "Thank you! Enjoy the lamp."}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.json);
        let second = t
            .post(
                &format!("/api/v1/reviews/{id}/reply"),
                Some(&seller),
                json!({"text": "again"}),
            )
            .await;
        assert_error(&second, StatusCode::CONFLICT, "invalid_state");
        let listed = t
            .get(&format!("/api/v1/stores/{store}/reviews"), None)
            .await;
        assert_eq!(
            listed.json["items"][0]["reply"]["text"],
            "Thank you! Enjoy the lamp."
        );
    }
}

#[tokio::test]
async fn metrics_move_with_events_and_agree_with_a_rebuild() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 50).await;
        let store = store_id(&t, &seller).await;
        let store_key = StoreId::parse(&store).unwrap();
        let buyers = [
            t.user("b1@example.com", "buyer").await,
            t.user("b2@example.com", "buyer").await,
            t.user("b3@example.com", "buyer").await,
        ];
        // b1 buys twice (a regular buyer), b2 once, b3 opens a dispute.
        for (i, buyer) in [&buyers[0], &buyers[0], &buyers[1]].into_iter().enumerate() {
            let order = completed(&t, buyer, &seller, &listing, &format!("{i} Elm St")).await;
            t.post(
                &format!("/api/v1/orders/{order}/buyer-rating"),
                Some(&seller),
                json!({"rating": 5}),
            )
            .await;
            review(&t, buyer, &order, [5, 4, 1][i], "ok").await;
        }
        let (order, _) = {
            let r = t.buy(&buyers[2], &listing, "4242424242424242").await;
            (r.json["id"].as_str().unwrap().to_string(), ())
        };
        let ship = t
            .post(
                &format!("/api/v1/orders/{order}/ship"),
                Some(&seller),
                json!({"carrier": "simpost", "tracking_number": tracking_number()}),
            )
            .await;
        assert_eq!(ship.status, StatusCode::OK);
        let dispute = t
            .post(&format!("/api/v1/orders/{order}/disputes"), Some(&buyers[2]), json!({"reason": "not_as_described", "description": "Wrong colour", "requested_outcome": {"type": "full_refund"}}))
            .await;
        assert_eq!(dispute.status, StatusCode::CREATED, "{:?}", dispute.json);
        // A pre-sale question the seller answers after two hours.
        let conv_id = t.ask_seller(&buyers[1], &listing).await;
        t.post(
            &format!("/api/v1/conversations/{conv_id}/messages"),
            Some(&buyers[1]),
            json!({"text": "Is the bulb included?"}),
        )
        .await;
        t.advance_hours(2);
        let answer = t
            .post(
                &format!("/api/v1/conversations/{conv_id}/messages"),
                Some(&seller),
                json!({"text": "Yes, a warm LED bulb."}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.json);

        let rep = t
            .get(&format!("/api/v1/stores/{store}/reputation"), None)
            .await;
        let metric = |key: &str| {
            rep.json["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["key"] == key)
                .unwrap()["value"]
                .clone()
        };
        assert_eq!(metric("items_sold"), "3", "{:?}", rep.json);
        assert_eq!(metric("positive_feedback"), "66.6 %");
        assert_eq!(metric("regular_buyers"), "1");
        assert_eq!(metric("dispute_rate"), "25.0 %", "1 of 4 paid orders");
        assert_eq!(metric("on_time_shipping"), "100.0 %");
        assert_eq!(metric("response_rate"), "100.0 %");
        assert_eq!(metric("response_time"), "2 h");
        assert_eq!(metric("communication"), "5.0 / 5");
        assert!(
            rep.json["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["how"].as_str().unwrap().len() > 10)
        );
        assert!(
            rep.json["summary"].as_str().unwrap().contains("3 sold"),
            "{:?}",
            rep.json
        );

        let incremental = t.app.store.store_stats(store_key).await.unwrap();
        let report = t.app.rebuild_reputation().await.unwrap();
        assert!(report.orders >= 4 && report.reviews == 3, "{report:?}");
        let rebuilt = t.app.store.store_stats(store_key).await.unwrap();
        assert_eq!(
            incremental, rebuilt,
            "incremental counters agree with a rebuild"
        );
        let again = t
            .get(&format!("/api/v1/stores/{store}/reputation"), None)
            .await;
        assert_eq!(rep.json, again.json);
    }
}

/// The script: a seller's 30 fresh accounts buy its own item and
/// leave 5★ reviews, each also reviewing a few honest stores (camouflage:
/// two each, spread over twelve stores, as rings pick them to look
/// ordinary).
#[tokio::test]
async fn a_scripted_brushing_ring_is_caught_and_honest_stores_are_untouched() {
    let t = TestApp::sqlite().await;
    let (_, shady_listing) = t.seller_with_listing("shady@example.com", 200).await;
    let mut honest = Vec::new();
    for n in 0..12 {
        let (_, listing) = t
            .seller_with_listing(&format!("honest{n}@example.com"), 200)
            .await;
        honest.push(listing);
    }
    for b in 0..24 {
        t.user(&format!("shopper{b}@example.com"), "buyer").await;
    }
    // Honest buyers are long-standing accounts (sessions expire: sign in again).
    t.advance_days(120);
    agent_token(&t).await;
    let shady = t.login("shady@example.com").await;
    let shady_store = store_id(&t, &shady).await;
    let mut honest_sellers = Vec::new();
    for (n, listing) in honest.into_iter().enumerate() {
        let seller = t.login(&format!("honest{n}@example.com")).await;
        let store = store_id(&t, &seller).await;
        honest_sellers.push((seller, listing, store));
    }
    let honest = honest_sellers;
    // Honest history: each buyer reviews four stores with a natural mix
    // of ratings, over weeks.
    let mut honest_reviews = vec![0_i64; honest.len()];
    for b in 0..24 {
        let buyer = t.login(&format!("shopper{b}@example.com")).await;
        for k in 0..4 {
            let s = (b + k * 5) % honest.len();
            let (seller, listing, _) = &honest[s];
            let order = completed(&t, &buyer, seller, listing, &format!("{b} Oak Ave")).await;
            let rating = [5, 4, 5, 3, 5, 2, 5, 4][(b + k) % 8];
            let r = review(&t, &buyer, &order, rating, "Honest words about the lamp").await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
            honest_reviews[s] += 1;
            t.advance_hours(5);
        }
    }
    // The shady seller once bought, as a buyer, for the same drop address
    // the ring ships to: an identifier the store's owner shares.
    let (seller, listing, _) = &honest[0];
    completed(&t, &shady, seller, listing, "99 Warehouse Rd").await;
    // The ring: fresh accounts, one drop address, each buying the shady
    // item and 2 honest items as camouflage, within a few days.
    for r in 0..30 {
        let buyer = t.user(&format!("ring{r}@example.com"), "buyer").await;
        let order = completed(&t, &buyer, &shady, &shady_listing, "99 Warehouse Rd").await;
        let rv = review(&t, &buyer, &order, 5, "Perfect!!! Best seller").await;
        assert_eq!(rv.status, StatusCode::CREATED, "{:?}", rv.json);
        for k in 0..2 {
            let s = (r * 5 + k * 7) % honest.len();
            let (seller, listing, _) = &honest[s];
            let order = completed(&t, &buyer, seller, listing, "99 Warehouse Rd").await;
            review(&t, &buyer, &order, 5, "Nice").await;
            honest_reviews[s] += 1;
        }
        t.advance_hours(2);
    }
    // Blind periods end; the scheduled full pass runs.
    t.advance_days(8);
    t.tick().await;
    t.app.run_integrity_pass().await.unwrap();
    let agent = t.login("agent@example.com").await;

    let rep = t
        .get(&format!("/api/v1/stores/{shady_store}/reputation"), None)
        .await;
    assert_eq!(
        rep.json["reviews_counted"], 0,
        "ring reviews are excluded: {:?}",
        rep.json
    );
    let listed = t
        .get(
            &format!("/api/v1/stores/{shady_store}/reviews?limit=100"),
            None,
        )
        .await;
    let items = listed.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 30, "kept and shown");
    assert!(
        items
            .iter()
            .all(|i| i["status"] == "removed" && i["text"] == ""),
        "{:?}",
        items[0]
    );
    let cases = t
        .get("/api/v1/console/integrity?status=open", Some(&agent))
        .await;
    let cases = cases.json["items"].as_array().unwrap().clone();
    assert!(!cases.is_empty());
    assert!(
        cases.iter().all(|c| c["store_id"] == shady_store.as_str()),
        "only the ring's store: {cases:?}"
    );
    assert!(!cases[0]["evidence"].as_array().unwrap().is_empty());
    assert!(
        cases[0]
            .to_string()
            .contains("share an identifier with the store's owner"),
        "the owner's own purchase to the drop address is evidence: {}",
        cases[0]
    );
    let strikes = t
        .app
        .store
        .strikes_for_store(StoreId::parse(&shady_store).unwrap())
        .await
        .unwrap();
    assert_eq!(strikes.len(), cases.len(), "a strike per case");
    // Honest stores: every review they got still counts.
    for (i, (_, _, store)) in honest.iter().enumerate() {
        let rep = t
            .get(&format!("/api/v1/stores/{store}/reputation"), None)
            .await;
        assert_eq!(
            rep.json["reviews_counted"], honest_reviews[i],
            "store {i}: {:?}",
            rep.json
        );
    }
    // An agent reverses a case: its reviews count again, its strike goes.
    let case_id = cases[0]["id"].as_str().unwrap();
    let n = cases[0]["reviews"].as_array().unwrap().len() as i64;
    let decided = t
        .post(
            &format!("/api/v1/console/integrity/{case_id}/decide"),
            Some(&agent),
            json!({"uphold": false, "note": "test reversal"}),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{:?}", decided.json);
    assert_eq!(decided.json["status"], "reversed");
    let rep = t
        .get(&format!("/api/v1/stores/{shady_store}/reputation"), None)
        .await;
    assert_eq!(rep.json["reviews_counted"], n);
    let strikes_after = t
        .app
        .store
        .strikes_for_store(StoreId::parse(&shady_store).unwrap())
        .await
        .unwrap();
    assert_eq!(strikes_after.len(), strikes.len() - 1);
}

#[tokio::test]
async fn the_protection_certificate_is_frozen_at_checkout_and_signed() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 20).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let other = t.user("o@example.com", "buyer").await;
        // Some history first, so the snapshot has numbers in it.
        let first = completed(&t, &buyer, &seller, &listing, "1 Main St").await;
        t.post(
            &format!("/api/v1/orders/{first}/buyer-rating"),
            Some(&seller),
            json!({"rating": 5}),
        )
        .await;
        review(&t, &buyer, &first, 5, "Great").await;
        // Checkout reuses a store's numbers for a few seconds.
        t.advance_hours(1);
        let order = t.buy(&buyer, &listing, "4242424242424242").await;
        let order = order.json["id"].as_str().unwrap().to_string();
        let r = t
            .get(&format!("/api/v1/orders/{order}/certificate"), Some(&buyer))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert!(
            r.headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        let signed: haven_app::certificate::SignedCertificate =
            serde_json::from_value(r.json.clone()).unwrap();
        let key =
            haven_app::certificate::public_key_hex(&t.app.config.certificate_signing_key).unwrap();
        let payload = haven_app::certificate::verify(&signed, Some(&key)).unwrap();
        assert_eq!(payload.order_id.to_string(), order);
        assert!(
            payload
                .snapshot
                .summary
                .contains("100.0 % positive (1 reviews)"),
            "{:?}",
            payload.snapshot
        );
        assert_eq!(
            payload.snapshot.protection.protection_days_after_delivery,
            15
        );
        // Altered, or checked against another key: refused.
        let mut forged = signed.clone();
        forged.payload = forged
            .payload
            .replace("100.0 % positive", "99.9 % positive");
        assert!(haven_app::certificate::verify(&forged, Some(&key)).is_err());
        assert!(haven_app::certificate::verify(&signed, Some(&"ab".repeat(32))).is_err());
        // Not yours.
        let theirs = t
            .get(&format!("/api/v1/orders/{order}/certificate"), Some(&other))
            .await;
        assert_error(&theirs, StatusCode::NOT_FOUND, "not_found");
        // Later ratings never rewrite it.
        let later = completed(&t, &other, &seller, &listing, "2 Main St").await;
        t.post(
            &format!("/api/v1/orders/{later}/buyer-rating"),
            Some(&seller),
            json!({"rating": 5}),
        )
        .await;
        review(&t, &other, &later, 1, "Broken").await;
        let again = t
            .get(&format!("/api/v1/orders/{order}/certificate"), Some(&buyer))
            .await;
        assert_eq!(again.json["payload"], r.json["payload"]);
    }
}

/// A refused review comes back on the order page with the reason next to
/// the field it is about and the words as typed; corrected, it is taken.
#[tokio::test]
async fn a_refused_review_says_why_next_to_its_field_and_keeps_the_words() {
    let t = TestApp::sqlite().await;
    let (seller, buyer, order) = t.paid_order().await;
    t.ship(&seller, &order).await;
    t.confirm(&buyer, &order).await;
    let mut web = Browser::new(&t);
    web.login("b@example.com").await;
    let path = format!("/orders/{order}/review");
    let r = web
        .post_multipart(
            &path,
            &[("rating", ""), ("text", "Lovely warm light")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = Browser::html(&r);
    assert!(
        html.contains("id=\"rating-error\">give 1 to 5 stars")
            && html.contains("aria-describedby=\"rating-error\""),
        "{html}"
    );
    assert!(html.contains(">Lovely warm light</textarea>"), "{html}");
    let r = web
        .post_multipart(
            &path,
            &[("rating", "5"), ("text", "Lovely warm light")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let page = web.get(&format!("/orders/{order}")).await;
    assert!(Browser::html(&page).contains("your review is in"));

    // A refused edit keeps its words, beside the field, with the form open.
    let review = t
        .get(&format!("/api/v1/orders/{order}/review"), Some(&buyer))
        .await;
    let review_id = review.json["review"]["id"]
        .as_str()
        .unwrap_or_else(|| review.json["id"].as_str().expect("the review's id"))
        .to_string();
    let edit = [
        ("rating", "9"),
        ("text", "Warmer than I thought"),
        ("order_id", order.as_str()),
    ];
    let r = web
        .post_form(&format!("/reviews/{review_id}/edit"), &edit)
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let html = Browser::html(&r);
    assert!(
        html.contains("aria-describedby=\"edit-rating-error\""),
        "{html}"
    );
    assert!(html.contains(">Warmer than I thought</textarea>"), "{html}");
    assert!(html.contains("<details open>"), "{html}");

    // The seller's refused rating of the buyer keeps the note.
    let mut shop = Browser::new(&t);
    shop.login("s@example.com").await;
    let rating = [("rating", "0"), ("note", "Paid fast")];
    let r = shop
        .post_form(&format!("/orders/{order}/buyer-rating"), &rating)
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let html = Browser::html(&r);
    assert!(
        html.contains("<p class=\"field-error\" id=\"buyer-rating-error\">"),
        "{html}"
    );
    assert!(html.contains("value=\"Paid fast\""), "{html}");
    let rating = [("rating", "5"), ("note", "Paid fast")];
    let r = shop
        .post_form(&format!("/orders/{order}/buyer-rating"), &rating)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", Browser::html(&r));
    // Rated already: the form is gone, so the reason is at the top.
    let r = shop
        .post_form(&format!("/orders/{order}/buyer-rating"), &rating)
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let html = Browser::html(&r);
    assert!(
        html.contains("<div class=\"notice bad\" role=\"alert\">"),
        "{html}"
    );
    assert!(!html.contains("id=\"buyer-rating-error\""), "{html}");

    // A refused reply says why under that review, and keeps the words.
    let long = "x".repeat(1_001);
    let r = shop
        .post_form(&format!("/reviews/{review_id}/reply"), &[("text", &long)])
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let html = Browser::html(&r);
    let error_id = format!("reply-{review_id}-error");
    assert!(
        html.contains(&format!("<p class=\"field-error\" id=\"{error_id}\">")),
        "{html}"
    );
    assert!(html.contains(&format!(">{long}</textarea>")), "{html}");
}
