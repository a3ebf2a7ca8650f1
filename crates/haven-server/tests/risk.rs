//! Payment risk through the real router: scoring on every card payment,
//! operator rules (validation, versions, dry runs, lists, run-time
//! failures), step-up verification, the review queue, and the two
//! scripted attacks.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};

const DEVICE: &str = "haven-device-id";

/// A Luhn-valid 16-digit card number built from `seed`.
fn card_number(seed: u64) -> String {
    let body = format!("400012{:09}", seed % 1_000_000_000);
    let sum: u32 = body
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = c.to_digit(10).unwrap();
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

async fn buy_from(t: &TestApp, token: &str, body: Value, device: &str) -> Response {
    t.request(
        "POST",
        "/api/v1/orders",
        Some(token),
        Some(serde_json::to_vec(&body).unwrap()),
        &[(DEVICE, device)],
    )
    .await
}

/// A seller's listing bought once by a new buyer, with a test card, from
/// device `dev-1`.
async fn first_purchase(t: &TestApp) -> Response {
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let buyer = t.user("b@example.com", "buyer").await;
    buy_from(
        t,
        &buyer,
        checkout_body(&listing, 1, "4242424242424242"),
        "dev-1",
    )
    .await
}

async fn add_rule(t: &TestApp, agent: &str, action: &str, expression: &str) -> Value {
    let r = t
        .post(
            "/api/v1/console/risk/rules",
            Some(agent),
            json!({"name": expression, "action": action, "expression": expression}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    r.json
}

#[tokio::test]
async fn a_normal_buyers_first_purchase_is_allowed_with_its_score_on_the_order() {
    for t in on_every_backend().await {
        let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let r = buy_from(
            &t,
            &buyer,
            checkout_body(&listing, 1, "4242424242424242"),
            "dev-ada",
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["state"], "paid");
        assert_eq!(r.json["held_for_review"], false);
        assert_eq!(r.json["risk"]["decision"], "allow");
        let score = r.json["risk"]["score"].as_u64().unwrap();
        assert!(score < 40, "{:?}", r.json["risk"]);
        // A brand-new account says so, in words.
        let reasons = r.json["risk"]["reasons"].as_array().unwrap();
        assert!(
            reasons
                .iter()
                .any(|r| r.as_str().unwrap().contains("created less than")),
            "{reasons:?}"
        );
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_stolen_card_attack_from_one_device_ends_blocked() {
    for t in on_every_backend().await {
        let (_, listing) = t.seller_with_listing("s@example.com", 50).await;
        let mut mules = Vec::new();
        for i in 0..3 {
            mules.push(t.user(&format!("mule{i}@example.com"), "buyer").await);
        }
        let mut statuses = Vec::new();
        let mut last = None;
        for i in 0..20u64 {
            // Three throwaway accounts on one device, a new card each time.
            let buyer = &mules[usize::try_from(i % 3).unwrap()];
            let r = buy_from(
                &t,
                buyer,
                checkout_body(&listing, 1, &card_number(i)),
                "dev-attacker",
            )
            .await;
            statuses.push((
                r.status.as_u16(),
                r.json["error"]["code"].as_str().unwrap_or("").to_string(),
            ));
            last = Some(r);
        }
        let blocked = statuses
            .iter()
            .filter(|(_, c)| c == "payment_blocked")
            .count();
        assert!(blocked >= 10, "{statuses:?}");
        let last = last.unwrap();
        assert_error(&last, StatusCode::PAYMENT_REQUIRED, "payment_blocked");
        let reasons = last.json["error"]["details"]["reasons"].as_array().unwrap();
        assert!(
            reasons.iter().any(|r| r
                .as_str()
                .unwrap()
                .contains("different cards used from this device")),
            "{reasons:?}"
        );
        // Nothing was ever captured.
        assert_eq!(t.balance("gateway:testcard").await, 0);
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_card_testing_attack_from_one_account_ends_in_review_or_blocked() {
    for t in on_every_backend().await {
        let seller = t.user("s@example.com", "seller").await;
        t.post(
            "/api/v1/stores",
            Some(&seller),
            json!({"name": "Tiny things"}),
        )
        .await;
        let mut body = listing_body(100);
        body["price"] = json!({"amount_minor": 100, "currency": "USD"});
        body["shipping"][0]["rates"][0]["cost"] = json!({"amount_minor": 100, "currency": "USD"});
        let r = t.post("/api/v1/listings", Some(&seller), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let listing = r.json["id"].as_str().unwrap().to_string();
        let tester = t.user("tester@example.com", "buyer").await;
        let mut outcomes = Vec::new();
        for i in 0..24u64 {
            // Mostly cards that turn out dead, now and then one that works.
            let card = if i % 4 == 0 {
                "4242424242424242".to_string()
            } else {
                card_number(1_000 + i)
            };
            let r = buy_from(&t, &tester, checkout_body(&listing, 1, &card), "dev-tester").await;
            let outcome = match r.json["error"]["code"].as_str() {
                Some(code) => code.to_string(),
                None if r.json["held_for_review"] == true => "held".into(),
                None => r.json["state"].as_str().unwrap().to_string(),
            };
            outcomes.push(outcome);
        }
        let tail = &outcomes[outcomes.len() - 4..];
        assert!(
            tail.iter().all(|o| o == "payment_blocked" || o == "held"),
            "{outcomes:?}"
        );
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_held_order_waits_for_an_agent_who_approves_or_refunds_it() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        add_rule(
            &t,
            &agent,
            "review",
            "shipping_country == 'US' && amount_minor >= 4500",
        )
        .await;
        let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let held = buy_from(
            &t,
            &buyer,
            checkout_body(&listing, 1, "4242424242424242"),
            "dev-1",
        )
        .await;
        assert_eq!(held.status, StatusCode::CREATED, "{:?}", held.json);
        assert_eq!(held.json["state"], "paid", "captured into escrow");
        assert_eq!(held.json["held_for_review"], true);
        assert_eq!(held.json["risk"]["review"], "pending");
        let order = held.json["id"].as_str().unwrap().to_string();
        // The seller sees the hold but not the signals, and can't ship.
        let seen = t
            .get(&format!("/api/v1/orders/{order}"), Some(&seller))
            .await;
        assert_eq!(seen.json["held_for_review"], true);
        assert!(seen.json["risk"].is_null(), "{:?}", seen.json["risk"]);
        assert!(
            !seen.json["available_actions"]
                .as_array()
                .unwrap()
                .contains(&json!("ship"))
        );
        let ship = t
            .post(
                &format!("/api/v1/orders/{order}/ship"),
                Some(&seller),
                json!({"carrier": "simpost", "tracking_number": tracking_number()}),
            )
            .await;
        assert_error(&ship, StatusCode::CONFLICT, "invalid_state");
        // The queue shows it with its reasons; the case, linked accounts.
        let queue = t.get("/api/v1/console/risk/reviews", Some(&agent)).await;
        assert_eq!(queue.status, StatusCode::OK, "{:?}", queue.json);
        assert_eq!(queue.json["items"][0]["order_id"], order.as_str());
        let reasons = queue.json["items"][0]["reasons"].as_array().unwrap();
        assert!(
            reasons
                .iter()
                .any(|r| r.as_str().unwrap().contains("shipping_country")),
            "{reasons:?}"
        );
        let other = t.user("b2@example.com", "buyer").await;
        let second = buy_from(
            &t,
            &other,
            checkout_body(&listing, 1, "4242424242424242"),
            "dev-1",
        )
        .await;
        let second_id = second.json["id"].as_str().unwrap().to_string();
        let case = t
            .get(
                &format!("/api/v1/console/risk/reviews/{second_id}"),
                Some(&agent),
            )
            .await;
        assert_eq!(case.status, StatusCode::OK, "{:?}", case.json);
        let linked = case.json["linked_accounts"].as_array().unwrap();
        assert!(linked.iter().any(|l| l["via"] == "device"), "{linked:?}");
        assert!(linked.iter().any(|l| l["via"] == "address"), "{linked:?}");
        assert_eq!(case.json["features"]["shipping_country"], "US");
        // Buyers and sellers can't reach the console.
        let r = t.get("/api/v1/console/risk/reviews", Some(&buyer)).await;
        assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
        // Approve: the seller may ship.
        let r = t
            .post(
                &format!("/api/v1/console/risk/reviews/{order}"),
                Some(&agent),
                json!({"approve": true, "note": "known customer"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["held_for_review"], false);
        let ship = t
            .post(
                &format!("/api/v1/orders/{order}/ship"),
                Some(&seller),
                json!({"carrier": "simpost", "tracking_number": tracking_number()}),
            )
            .await;
        assert_eq!(ship.status, StatusCode::OK, "{:?}", ship.json);
        // Refuse: cancelled and refunded in full, stock back.
        let r = t
            .post(
                &format!("/api/v1/console/risk/reviews/{second_id}"),
                Some(&agent),
                json!({"approve": false, "note": "stolen card"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["state"], "cancelled");
        assert_eq!(r.json["close_reason"], "risk_refused");
        assert_eq!(
            r.json["refunded"]["amount_minor"],
            r.json["total"]["amount_minor"]
        );
        // A decision is taken once.
        let again = t
            .post(
                &format!("/api/v1/console/risk/reviews/{second_id}"),
                Some(&agent),
                json!({"approve": true}),
            )
            .await;
        assert_error(&again, StatusCode::CONFLICT, "invalid_state");
        let audit = t
            .get(&format!("/api/v1/orders/{second_id}/audit"), Some(&agent))
            .await;
        assert!(
            audit.json.to_string().contains("stolen card"),
            "{:?}",
            audit.json
        );
        let queue = t.get("/api/v1/console/risk/reviews", Some(&agent)).await;
        assert_eq!(
            queue.json["items"].as_array().unwrap().len(),
            0,
            "{:?}",
            queue.json
        );
        t.verify_clean().await;
    }
}

/// The console's queue puts the longest-waiting payment first and names
/// its buyer and store; refusing one shows the refund and asks once more
/// before any money moves.
#[tokio::test]
async fn the_console_queue_is_oldest_first_and_a_refund_is_confirmed_first() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        add_rule(&t, &agent, "review", "amount_minor >= 4500").await;
        let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
        let mut held = Vec::new();
        for n in 0..2 {
            let buyer = t.user(&format!("b{n}@example.com"), "buyer").await;
            let body = checkout_body(&listing, 1, "4242424242424242");
            let r = buy_from(&t, &buyer, body, &format!("dev-{n}")).await;
            assert_eq!(r.json["held_for_review"], true, "{:?}", r.json);
            held.push(r.json["id"].as_str().unwrap().to_string());
            t.advance_hours(1);
        }
        let queue = t.get("/api/v1/console/risk/reviews", Some(&agent)).await;
        let ids: Vec<&str> = queue.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["order_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [held[0].as_str(), held[1].as_str()], "oldest first");

        let mut web = Browser::new(&t);
        web.login("agent@example.com").await;
        let page = web.get("/console/risk").await;
        let html = Browser::html(&page);
        let first = html.find(&format!("review-{}", held[0])).unwrap();
        let second = html.find(&format!("review-{}", held[1])).unwrap();
        assert!(first < second, "the longest-waiting on top");
        assert!(html.contains("Bought by b0"), "{html}");

        // Refuse: first a page with the sum, nothing moved yet.
        let path = format!("/console/risk/reviews/{}", held[0]);
        let r = web
            .post_form(&path, &[("decision", "refuse"), ("note", "stolen card")])
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let html = Browser::html(&r);
        assert!(html.contains("Refuse this payment and refund the buyer?"));
        assert!(html.contains("name=\"confirmed\" value=\"yes\""), "{html}");
        assert!(html.contains("value=\"stolen card\""), "the note is kept");
        let order = t
            .get(&format!("/api/v1/orders/{}", held[0]), Some(&agent))
            .await;
        assert_eq!(order.json["state"], "paid", "nothing refunded yet");
        let r = web
            .post_form(
                &path,
                &[
                    ("decision", "refuse"),
                    ("confirmed", "yes"),
                    ("note", "stolen card"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", Browser::html(&r));
        let order = t
            .get(&format!("/api/v1/orders/{}", held[0]), Some(&agent))
            .await;
        assert_eq!(order.json["state"], "cancelled");
        assert_eq!(order.json["close_reason"], "risk_refused");
        // Not an agent: no confirmation page, no order details.
        let mut buyer = Browser::new(&t);
        buyer.login("b1@example.com").await;
        let path = format!("/console/risk/reviews/{}", held[1]);
        let r = buyer.post_form(&path, &[("decision", "refuse")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(!Browser::html(&r).contains("Refund"));
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn rules_are_validated_versioned_and_dry_run_before_they_are_enabled() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        let (_, listing) = t.seller_with_listing("s@example.com", 20).await;
        let buyer = t.user("b@example.com", "buyer").await;
        for _ in 0..3 {
            let r = buy_from(
                &t,
                &buyer,
                checkout_body(&listing, 1, "4242424242424242"),
                "dev-b",
            )
            .await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        }
        // Refused with the position.
        let bad = t
            .post("/api/v1/console/risk/rules", Some(&agent), json!({"name": "x", "action": "block", "expression": "amount_minor > 10 &&\n  cardz == 'US'"}))
            .await;
        assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_rule");
        assert_eq!(bad.json["error"]["details"]["line"], 2);
        assert_eq!(bad.json["error"]["details"]["column"], 3);
        let bad = t
            .post(
                "/api/v1/console/risk/rules",
                Some(&agent),
                json!({"name": "x", "action": "block", "expression": "amount_minor >"}),
            )
            .await;
        assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_rule");
        let bad = t
            .post(
                "/api/v1/console/risk/rules",
                Some(&agent),
                json!({"name": "x", "action": "shred", "expression": "true"}),
            )
            .await;
        assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        // Dry run over the last payments before enabling anything.
        let rule = json!({"name": "Big US orders", "action": "block", "expression": "amount_minor >= 4500 && shipping_country == 'US'", "enabled": false});
        let dry = t
            .post(
                "/api/v1/console/risk/rules/dry-run",
                Some(&agent),
                json!({"rule": rule, "last": 100}),
            )
            .await;
        assert_eq!(dry.status, StatusCode::OK, "{:?}", dry.json);
        assert_eq!(dry.json["evaluated"], 3);
        assert_eq!(dry.json["matched"], 3);
        assert_eq!(dry.json["would_change"], 3);
        let dry = t.post("/api/v1/console/risk/rules/dry-run", Some(&agent), json!({"rule": {"name": "n", "action": "block", "expression": "ip_country == 'NG'"}})).await;
        assert_eq!(dry.json["matched"], 0);
        assert_eq!(
            dry.json["skipped_missing"], 3,
            "no ip country known: {:?}",
            dry.json
        );
        // Saved disabled, it decides nothing.
        let created = t
            .post("/api/v1/console/risk/rules", Some(&agent), rule.clone())
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.json);
        let id = created.json["id"].as_str().unwrap().to_string();
        let r = buy_from(
            &t,
            &buyer,
            checkout_body(&listing, 1, "4242424242424242"),
            "dev-b",
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        // Enabled as version 2; a stale editor is refused.
        let mut enabled = rule.clone();
        enabled["enabled"] = json!(true);
        enabled["expected_version"] = json!(1);
        let v2 = t
            .post(
                &format!("/api/v1/console/risk/rules/{id}"),
                Some(&agent),
                enabled.clone(),
            )
            .await;
        assert_eq!(v2.status, StatusCode::OK, "{:?}", v2.json);
        assert_eq!(v2.json["version"], 2);
        let stale = t
            .post(
                &format!("/api/v1/console/risk/rules/{id}"),
                Some(&agent),
                enabled,
            )
            .await;
        assert_error(&stale, StatusCode::CONFLICT, "concurrent_update");
        let detail = t
            .get(&format!("/api/v1/console/risk/rules/{id}"), Some(&agent))
            .await;
        assert_eq!(detail.json["versions"].as_array().unwrap().len(), 2);
        // Now it blocks, naming the rule.
        let r = buy_from(
            &t,
            &buyer,
            checkout_body(&listing, 1, "4242424242424242"),
            "dev-b",
        )
        .await;
        assert_error(&r, StatusCode::PAYMENT_REQUIRED, "payment_blocked");
        let reasons = r.json["error"]["details"]["reasons"].to_string();
        assert!(reasons.contains("Big US orders"), "{reasons}");
        let rules = t.get("/api/v1/console/risk/rules", Some(&agent)).await;
        let ids: Vec<_> = rules
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            ids[..2],
            ["default-block".to_string(), "default-review".to_string()],
            "{ids:?}"
        );
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_rule_failing_at_run_time_fails_closed_to_review_and_missing_data_never_fires() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        // Valid when saved; divides by zero for a buyer with no history.
        add_rule(
            &t,
            &agent,
            "block",
            "amount_minor / account_paid_orders > 10",
        )
        .await;
        // Would fire on anyone if missing data counted.
        add_rule(&t, &agent, "block", "ip_country != 'US'").await;
        let r = first_purchase(&t).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["held_for_review"], true, "{:?}", r.json["risk"]);
        assert_eq!(r.json["risk"]["decision"], "review");
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn step_up_verification_continues_on_success_and_cancels_on_failure() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        add_rule(&t, &agent, "request_verification", "amount_minor > 1000").await;
        let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let r = buy_from(
            &t,
            &buyer,
            checkout_body(&listing, 1, "4242424242424242"),
            "dev-1",
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let order = r.json["id"].as_str().unwrap().to_string();
        assert_eq!(
            t.balance("gateway:testcard").await,
            0,
            "nothing captured yet"
        );
        let ok = t
            .post(
                &format!("/api/v1/orders/{order}/challenge"),
                Some(&buyer),
                json!({"code": "424242"}),
            )
            .await;
        assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.json);
        assert_eq!(ok.json["state"], "paid");
        // A second payment whose verification fails: cancelled, nothing taken.
        let r = buy_from(
            &t,
            &buyer,
            checkout_body(&listing, 1, "4242424242424242"),
            "dev-1",
        )
        .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let order = r.json["id"].as_str().unwrap().to_string();
        let mut last = None;
        for _ in 0..5 {
            last = Some(
                t.post(
                    &format!("/api/v1/orders/{order}/challenge"),
                    Some(&buyer),
                    json!({"code": "000000"}),
                )
                .await,
            );
        }
        assert_error(
            &last.unwrap(),
            StatusCode::PAYMENT_REQUIRED,
            "payment_declined",
        );
        let seen = t
            .get(&format!("/api/v1/orders/{order}"), Some(&buyer))
            .await;
        assert_eq!(seen.json["state"], "cancelled");
        assert_eq!(seen.json["paid_by_card"]["amount_minor"], 0);
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn agents_edit_named_lists_that_rules_use() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        let r = t
            .post(
                "/api/v1/console/risk/lists/blocked_devices",
                Some(&agent),
                json!({"value": "dev-bad"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.json);
        let r = t
            .post(
                "/api/v1/console/risk/lists/Not%20Valid",
                Some(&agent),
                json!({"value": "x"}),
            )
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        add_rule(&t, &agent, "block", "device_id in @blocked_devices").await;
        let unknown = t
            .post(
                "/api/v1/console/risk/rules",
                Some(&agent),
                json!({"name": "x", "action": "block", "expression": "device_id in @nowhere"}),
            )
            .await;
        assert_error(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "invalid_rule");
        let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let r = buy_from(
            &t,
            &buyer,
            checkout_body(&listing, 1, "4242424242424242"),
            "dev-bad",
        )
        .await;
        assert_error(&r, StatusCode::PAYMENT_REQUIRED, "payment_blocked");
        let r = buy_from(
            &t,
            &buyer,
            checkout_body(&listing, 1, "4242424242424242"),
            "dev-good",
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let r = t
            .post(
                "/api/v1/console/risk/lists/blocked_devices",
                Some(&agent),
                json!({"value": "dev-bad", "remove": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NO_CONTENT);
        let lists = t.get("/api/v1/console/risk/lists", Some(&agent)).await;
        assert_eq!(lists.json.as_array().unwrap().len(), 0, "{:?}", lists.json);
    }
}

#[tokio::test]
async fn the_worker_forgets_payment_attempts_after_the_retention_period() {
    let t = TestApp::sqlite().await;
    let r = first_purchase(&t).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let order: haven_domain::ids::OrderId = r.json["id"].as_str().unwrap().parse().unwrap();
    let attempt = || t.app.store.risk_attempt_for_order(order);
    t.advance_days(170);
    t.app.purge_expired(t.app.now()).await.unwrap();
    assert!(attempt().await.unwrap().is_some(), "kept for 180 days");
    t.advance_days(11);
    t.app.purge_expired(t.app.now()).await.unwrap();
    assert!(attempt().await.unwrap().is_none(), "gone after 180 days");
    t.verify_clean().await;
}

/// Operators add throwaway email domains of their own to the shipped list:
/// a payment from such an address says so among its reasons.
#[tokio::test]
async fn an_operator_listed_throwaway_domain_counts_as_disposable() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
        let disposable = |r: &Response| {
            r.json["risk"]["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|reason| reason.as_str().unwrap().contains("throwaway domain"))
        };
        let before = t.user("a@burner.example", "buyer").await;
        let r = buy_from(
            &t,
            &before,
            checkout_body(&listing, 1, "4242424242424242"),
            "dev-a",
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert!(!disposable(&r), "not listed yet: {:?}", r.json["risk"]);

        let added = t
            .post(
                "/api/v1/console/risk/lists/disposable_email_domains",
                Some(&agent),
                json!({"value": "burner.example"}),
            )
            .await;
        assert_eq!(added.status, StatusCode::NO_CONTENT, "{:?}", added.json);
        let after = t.user("b@mail.burner.example", "buyer").await;
        let r = buy_from(
            &t,
            &after,
            checkout_body(&listing, 1, "4242424242424242"),
            "dev-b",
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert!(disposable(&r), "{:?}", r.json["risk"]);
        t.verify_clean().await;
    }
}

/// The rule editor puts a refused rule's reason beside the expression (or
/// the name) and a refused list entry's beside its field, keeping the text.
#[tokio::test]
async fn the_rule_editor_says_why_beside_the_field() {
    let t = TestApp::sqlite().await;
    agent_token(&t).await;
    let mut web = Browser::new(&t);
    web.login("agent@example.com").await;
    let rule = [
        ("name", "Far away"),
        ("action", "review"),
        ("expression", "ip_contry == 'NG'"),
        ("enabled", "true"),
    ];
    let r = web.post_form("/console/risk/rules/save", &rule).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let html = Browser::html(&r);
    assert!(
        html.contains("aria-describedby=\"rule-error\"")
            && html.contains("<p class=\"field-error\" id=\"rule-error\">the rule can"),
        "{html}"
    );
    assert!(
        html.contains(">ip_contry == &#x27;NG&#x27;</textarea>")
            || html.contains(">ip_contry == &#39;NG&#39;</textarea>"),
        "{html}"
    );
    let unnamed = [
        ("name", " "),
        ("action", "review"),
        ("expression", "amount_minor > 1"),
    ];
    let r = web.post_form("/console/risk/rules/save", &unnamed).await;
    let html = Browser::html(&r);
    assert!(
        html.contains("<p class=\"field-error\" id=\"name-error\">a rule needs a name"),
        "{html}"
    );

    let entry = [("name", "Blocked Devices!"), ("value", "dev-123")];
    let r = web.post_form("/console/risk/lists", &entry).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let html = Browser::html(&r);
    assert!(
        html.contains("<p class=\"field-error\" id=\"list-name-error\">a list name is"),
        "{html}"
    );
    assert!(html.contains("value=\"dev-123\""), "{html}");
}
