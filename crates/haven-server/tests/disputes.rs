//! The dispute centre through the HTTP API: every rule of buyer protection,
//! every deadline driven by the clock, and bad input refused without effect.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};

const CARD_OK: &str = "4242424242424242";
const CARD_CHARGEBACK: &str = "4000000000000259";

struct Case {
    t: TestApp,
    seller: String,
    buyer: String,
    agent: String,
    order: String,
    tracking: String,
}

impl Case {
    /// A paid and shipped 45.00 order (40.00 item + 5.00 shipping).
    async fn shipped() -> Case {
        Case::shipped_with(listing_body(5), CARD_OK).await
    }

    async fn shipped_with(listing: Value, card: &str) -> Case {
        Case::shipped_on(TestApp::sqlite().await, listing, card).await
    }

    async fn shipped_on(t: TestApp, listing: Value, card: &str) -> Case {
        let seller = t.user("s@example.com", "seller").await;
        t.post("/api/v1/stores", Some(&seller), json!({"name": "Lamps"}))
            .await;
        if listing["guaranteed_genuine"] == json!(true) {
            approve_brand(&t, &seller, listing["brand"].as_str().unwrap()).await;
        }
        let listing = t
            .post("/api/v1/listings", Some(&seller), listing)
            .await
            .json["id"]
            .as_str()
            .unwrap()
            .to_string();
        let buyer = t.user("b@example.com", "buyer").await;
        let agent = agent_token(&t).await;
        let r = t.buy(&buyer, &listing, card).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let order = r.json["id"].as_str().unwrap().to_string();
        let tracking = tracking_number();
        let r = t
            .post(
                &format!("/api/v1/orders/{order}/ship"),
                Some(&seller),
                json!({"carrier": "simpost", "tracking_number": tracking}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        Case {
            t,
            seller,
            buyer,
            agent,
            order,
            tracking,
        }
    }

    async fn open(&self, body: Value) -> Response {
        self.t
            .post(
                &format!("/api/v1/orders/{}/disputes", self.order),
                Some(&self.buyer),
                body,
            )
            .await
    }

    async fn open_ok(&self, reason: &str, outcome: Value) -> String {
        let r = self.open(json!({"reason": reason, "requested_outcome": outcome, "description": "not what I ordered"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        r.json["id"].as_str().unwrap().to_string()
    }

    async fn act(&self, who: &str, dispute: &str, action: &str, body: Value) -> Response {
        self.t
            .post(
                &format!("/api/v1/disputes/{dispute}/{action}"),
                Some(who),
                body,
            )
            .await
    }

    async fn order_json(&self) -> Value {
        self.t
            .get(&format!("/api/v1/orders/{}", self.order), Some(&self.buyer))
            .await
            .json
    }

    async fn dispute_json(&self, dispute: &str) -> Value {
        self.t
            .get(&format!("/api/v1/disputes/{dispute}"), Some(&self.buyer))
            .await
            .json
    }

    async fn escrow(&self) -> i64 {
        self.t
            .balance(&format!("escrow:order:{}", self.order))
            .await
    }

    async fn seller_available(&self) -> i64 {
        self.t
            .get("/api/v1/seller/balance", Some(&self.seller))
            .await
            .json["available"]["amount_minor"]
            .as_i64()
            .unwrap()
    }

    /// Move the clock and fire timers; sessions are renewed since API
    /// tokens last 30 days.
    async fn advance(&mut self, days: i64) {
        self.t.advance_days(days);
        self.t.tick().await;
        self.buyer = self.t.login("b@example.com").await;
        self.seller = self.t.login("s@example.com").await;
        self.agent = self.t.login("agent@example.com").await;
    }

    /// The seller rejects dispute `id` with `explanation`, and three days
    /// later the buyer escalates it to the platform.
    async fn reject_and_escalate(&mut self, id: &str, explanation: &str) {
        self.act(
            &self.seller,
            id,
            "reject",
            json!({ "explanation": explanation }),
        )
        .await;
        self.advance(3).await;
        let r = self.act(&self.buyer, id, "escalate", json!({})).await;
        assert_eq!(r.json["state"], "escalated", "{:?}", r.json);
    }
}

fn png(seed: u8) -> Vec<u8> {
    [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        &[seed; 64],
    ]
    .concat()
}

#[tokio::test]
async fn who_may_open_a_dispute_and_when() {
    let c = Case::shipped().await;
    let full = json!({"reason": "damaged", "requested_outcome": {"type": "full_refund"}});
    let r =
        c.t.post(
            &format!("/api/v1/orders/{}/disputes", c.order),
            Some(&c.seller),
            full.clone(),
        )
        .await;
    assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
    let stranger = c.t.user("x@example.com", "buyer").await;
    let r =
        c.t.post(
            &format!("/api/v1/orders/{}/disputes", c.order),
            Some(&stranger),
            full.clone(),
        )
        .await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        &c.open(json!({"reason": "meh", "requested_outcome": {"type": "full_refund"}}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_error(
        &c.open(json!({"reason": "damaged", "requested_outcome": {"type": "free_stuff"}}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let too_much = json!({"reason": "damaged", "requested_outcome": {"type": "partial_refund", "amount_minor": 4_501}});
    assert_error(
        &c.open(too_much).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let long = json!({"reason": "damaged", "requested_outcome": {"type": "full_refund"}, "description": "x".repeat(5_001)});
    assert_error(
        &c.open(long).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert!(
        c.t.app
            .store
            .disputes_for_order(c.order.parse().unwrap())
            .await
            .unwrap()
            .is_empty(),
        "nothing written"
    );

    let id = c.open_ok("damaged", json!({"type": "full_refund"})).await;
    assert_error(
        &c.open(full.clone()).await,
        StatusCode::CONFLICT,
        "dispute_already_open",
    );
    let order = c.order_json().await;
    assert_eq!(order["open_dispute_id"], id.as_str());
    assert_eq!(order["protection_paused"], true);
    let r =
        c.t.post(
            &format!("/api/v1/orders/{}/confirm", c.order),
            Some(&c.buyer),
            json!({"second_confirmation": true}),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "invalid_state");
    assert_eq!(c.escrow().await, 4_500, "escrow frozen");

    // An unshipped order cannot be disputed; a completed order after its window neither.
    let t = &c.t;
    let listing = t.get("/api/v1/listings", None).await.json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let paid = t.buy(&c.buyer, &listing, CARD_OK).await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = t
        .post(
            &format!("/api/v1/orders/{paid}/disputes"),
            Some(&c.buyer),
            full.clone(),
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "invalid_state");
    t.post(
        &format!("/api/v1/orders/{paid}/ship"),
        Some(&c.seller),
        json!({"carrier": "simpost", "tracking_number": tracking_number()}),
    )
    .await;
    t.post(
        &format!("/api/v1/orders/{paid}/confirm"),
        Some(&c.buyer),
        json!({"second_confirmation": true}),
    )
    .await;
    let r = t
        .post(
            &format!("/api/v1/orders/{paid}/disputes"),
            Some(&c.buyer),
            full,
        )
        .await;
    assert_error(&r, StatusCode::CONFLICT, "protection_window_ended");
    t.verify_clean().await;
}

#[tokio::test]
async fn seller_silence_grants_the_request_and_the_window_waits() {
    let mut c = Case::shipped().await;
    let id = c
        .open_ok("not_received", json!({"type": "full_refund"}))
        .await;
    let opened = c.dispute_json(&id).await;
    assert_eq!(opened["state"], "awaiting_seller");
    c.advance(4).await;
    assert_eq!(c.dispute_json(&id).await["state"], "awaiting_seller");
    c.advance(1).await;
    let resolved = c.dispute_json(&id).await;
    assert_eq!(resolved["state"], "resolved", "{resolved:?}");
    assert_eq!(resolved["resolution"]["decided_by"], "system");
    assert_eq!(c.order_json().await["state"], "refunded");
    assert_eq!(c.escrow().await, 0);
    c.t.app.publish_events().await.unwrap();
    let topics: Vec<String> =
        c.t.app
            .store
            .outbox_after(0, 1_000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.topic)
            .collect();
    assert!(
        topics.contains(&"dispute.opened".into()) && topics.contains(&"dispute.resolved".into()),
        "{topics:?}"
    );
    c.t.verify_clean().await;
}

async fn notice_titles(t: &TestApp, token: &str) -> Vec<String> {
    let page = t.get("/api/v1/notifications", Some(token)).await;
    page.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn counter_offer_accepted_is_a_partial_refund_in_one_entry() {
    let c = Case::shipped().await;
    let id = c
        .open_ok("not_as_described", json!({"type": "full_refund"}))
        .await;
    assert_error(
        &c.act(&c.buyer, &id, "counter", json!({"amount_minor": 1_000}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &c.act(&c.seller, &id, "counter", json!({"amount_minor": 99_999}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let r = c
        .act(
            &c.seller,
            &id,
            "counter",
            json!({"amount_minor": 1_500, "message": "15 off, keep it"}),
        )
        .await;
    assert_eq!(r.json["state"], "counter_offered", "{:?}", r.json);
    // The buyer is told of the offer in words; the seller, who made it, is not.
    for _ in 0..2 {
        c.t.tick().await;
    }
    let buyer_heard = notice_titles(&c.t, &c.buyer).await;
    assert!(
        buyer_heard
            .iter()
            .any(|t| t.starts_with("The seller made you an offer: ")),
        "{buyer_heard:?}"
    );
    let seller_heard = notice_titles(&c.t, &c.seller).await;
    assert!(
        !seller_heard.iter().any(|t| t.contains("offer")),
        "{seller_heard:?}"
    );
    assert!(!buyer_heard.iter().any(|t| t.starts_with("Dispute update")));
    let entries_before = c.t.app.store.scan_entries(0, 1_000).await.unwrap().len();
    let r = c.act(&c.buyer, &id, "counter/accept", json!({})).await;
    assert_eq!(r.json["state"], "resolved", "{:?}", r.json);
    let order = c.order_json().await;
    assert_eq!(order["state"], "partially_refunded");
    assert_eq!(order["refunded"]["amount_minor"], 1_500);
    // 30.00 released: 8 % commission is 2.40.
    assert_eq!(order["commission"]["amount_minor"], 240);
    assert_eq!(c.seller_available().await, 2_760);
    // The refund and the release are one settlement entry; the buyer's
    // rewards on the 30.00 kept are their own.
    let entries = c.t.app.store.scan_entries(0, 1_000).await.unwrap();
    let kinds: Vec<_> = entries[entries_before..]
        .iter()
        .map(|e| e.entry.kind)
        .collect();
    assert_eq!(
        kinds,
        vec![
            haven_domain::ledger::EntryKind::Settlement,
            haven_domain::ledger::EntryKind::Reward
        ]
    );
    c.t.verify_clean().await;
}

#[tokio::test]
async fn declined_offer_escalates_from_day_three_and_an_agent_decides() {
    let mut c = Case::shipped().await;
    let id = c.open_ok("damaged", json!({"type": "full_refund"})).await;
    c.act(&c.seller, &id, "counter", json!({"amount_minor": 500}))
        .await;
    assert_eq!(
        c.act(&c.buyer, &id, "counter/decline", json!({}))
            .await
            .json["state"],
        "unresolved"
    );
    let early = c.act(&c.buyer, &id, "escalate", json!({})).await;
    assert_error(&early, StatusCode::CONFLICT, "escalation_too_early");
    assert!(early.json["error"]["details"]["available_at"].is_string());
    c.advance(3).await;
    assert_eq!(
        c.act(&c.buyer, &id, "escalate", json!({})).await.json["state"],
        "escalated"
    );
    assert_error(
        &c.t.get("/api/v1/console/cases", Some(&c.buyer)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let queue = c.t.get("/api/v1/console/cases", Some(&c.agent)).await;
    assert_eq!(queue.json["items"][0]["id"], id.as_str());

    let decide = |decision: Value, reasons: &str| json!({"decision": decision, "reasons": reasons});
    assert_error(
        &c.act(
            &c.seller,
            &id,
            "decide",
            decide(json!({"type": "no_refund"}), "mine"),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    assert_error(
        &c.act(
            &c.agent,
            &id,
            "decide",
            decide(json!({"type": "no_refund"}), " "),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let r = c
        .act(
            &c.agent,
            &id,
            "decide",
            decide(
                json!({"type": "partial_refund", "amount_minor": 2_000}),
                "photos show a dent",
            ),
        )
        .await;
    assert_eq!(
        r.json["resolution"]["refund"]["amount_minor"], 2_000,
        "{:?}",
        r.json
    );
    assert_eq!(r.json["resolution"]["reasons"], "photos show a dent");
    let again = c
        .act(
            &c.agent,
            &id,
            "decide",
            decide(json!({"type": "full_refund"}), "changed my mind"),
        )
        .await;
    assert_error(&again, StatusCode::CONFLICT, "invalid_state");
    assert_eq!(
        c.order_json().await["refunded"]["amount_minor"],
        2_000,
        "decided once"
    );
    let audit =
        c.t.get(&format!("/api/v1/orders/{}/audit", c.order), Some(&c.agent))
            .await;
    let audit = audit.json.as_array().unwrap();
    assert!(audit.iter().any(|a| a["subject"] == "dispute"
        && a["actor"] == "agent"
        && a["reason"] == "photos show a dent"
        && a["policy_version"] == 1));
    assert!(
        audit
            .iter()
            .any(|a| a["action"] == "Ship" && a["actor"] == "seller")
    );
    assert_error(
        &c.t.get(&format!("/api/v1/orders/{}/audit", c.order), Some(&c.buyer))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    c.t.verify_clean().await;
}

#[tokio::test]
async fn unresolved_disputes_escalate_by_themselves_at_day_fifteen() {
    let mut c = Case::shipped().await;
    let id = c
        .open_ok("missing_parts", json!({"type": "full_refund"}))
        .await;
    c.act(
        &c.seller,
        &id,
        "reject",
        json!({"explanation": "all parts were in the box"}),
    )
    .await;
    c.advance(14).await;
    assert_eq!(c.dispute_json(&id).await["state"], "unresolved");
    c.advance(1).await;
    assert_eq!(c.dispute_json(&id).await["state"], "escalated");
    // Escalated cases wait for a person: no timer releases or refunds them.
    c.advance(60).await;
    assert_eq!(c.escrow().await, 4_500);
}

#[tokio::test]
async fn return_and_refund_with_seller_silence_after_delivery() {
    let mut c = Case::shipped().await;
    let id = c
        .open_ok("wrong_item", json!({"type": "return_and_refund"}))
        .await;
    assert_error(
        &c.act(&c.seller, &id, "accept", json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let address = json!({"return_address": {"name": "Lamps Returns", "line1": "2 Dock Rd", "city": "Port", "postal_code": "9", "country": "US"}});
    assert_eq!(
        c.act(&c.seller, &id, "accept", address).await.json["state"],
        "awaiting_return"
    );
    let bad = c
        .act(
            &c.buyer,
            &id,
            "return/ship",
            json!({"carrier": "simpost", "tracking_number": c.tracking}),
        )
        .await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let back = tracking_number();
    let r = c
        .act(
            &c.buyer,
            &id,
            "return/ship",
            json!({"carrier": "simpost", "tracking_number": back}),
        )
        .await;
    assert_eq!(r.json["state"], "return_shipped", "{:?}", r.json);
    c.advance(2).await;
    assert_eq!(c.t.scan(&back, "delivered").await.status, StatusCode::OK);
    assert_eq!(c.dispute_json(&id).await["state"], "return_delivered");
    c.advance(5).await;
    assert_eq!(c.dispute_json(&id).await["state"], "resolved");
    assert_eq!(c.order_json().await["refunded"]["amount_minor"], 4_500);
    c.t.verify_clean().await;
}

#[tokio::test]
async fn a_return_not_shipped_in_time_lapses_and_a_contested_one_escalates() {
    let mut c = Case::shipped().await;
    let id = c
        .open_ok("wrong_item", json!({"type": "return_and_refund"}))
        .await;
    let address = json!({"return_address": {"name": "R", "line1": "2 Dock Rd", "city": "Port", "postal_code": "9", "country": "US"}});
    c.act(&c.seller, &id, "accept", address.clone()).await;
    c.advance(7).await;
    c.t.app.publish_events().await.unwrap();
    let warnings =
        c.t.app
            .store
            .outbox_after(0, 1_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.topic == "dispute.updated")
            .count();
    assert!(
        warnings >= 1,
        "the buyer is warned before the return lapses"
    );
    c.advance(3).await;
    assert_eq!(c.dispute_json(&id).await["state"], "lapsed");
    let order = c.order_json().await;
    assert_eq!(
        (
            order["state"].as_str(),
            order["protection_paused"].as_bool()
        ),
        (Some("shipped"), Some(false)),
        "the order resumes"
    );

    let c = Case::shipped().await;
    let id = c
        .open_ok("counterfeit", json!({"type": "return_and_refund"}))
        .await;
    c.act(&c.seller, &id, "accept", address).await;
    let back = tracking_number();
    c.act(
        &c.buyer,
        &id,
        "return/ship",
        json!({"carrier": "simpost", "tracking_number": back}),
    )
    .await;
    c.t.scan(&back, "delivered").await;
    let r = c
        .act(
            &c.seller,
            &id,
            "return/contest",
            json!({"explanation": "the box came back empty"}),
        )
        .await;
    assert_eq!(r.json["state"], "escalated", "{:?}", r.json);
}

#[tokio::test]
async fn pressure_to_close_fails_the_buyer_withdraws_reopens_and_is_still_refunded() {
    let mut c = Case::shipped().await;
    let id = c
        .open_ok("not_received", json!({"type": "full_refund"}))
        .await;
    let msg =
        c.t.post(
            &format!("/api/v1/disputes/{id}/evidence/messages"),
            Some(&c.seller),
            json!({"text": "please close the dispute, I'll refund you"}),
        )
        .await;
    assert_eq!(msg.status, StatusCode::CREATED);
    c.advance(2).await;
    let unconfirmed = c.act(&c.buyer, &id, "withdraw", json!({})).await;
    assert_error(
        &unconfirmed,
        StatusCode::CONFLICT,
        "withdraw_confirmation_required",
    );
    let message = unconfirmed.json["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("You keep your buyer protection") && message.contains("reopen"),
        "{message}"
    );
    assert_eq!(
        c.dispute_json(&id).await["state"],
        "awaiting_seller",
        "nothing changed"
    );
    assert_error(
        &c.act(&c.seller, &id, "withdraw", json!({"confirm": true}))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    let ends_before: jiff::Timestamp = c.order_json().await["protection_ends_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        c.act(&c.buyer, &id, "withdraw", json!({"confirm": true}))
            .await
            .json["state"],
        "withdrawn"
    );
    let order = c.order_json().await;
    let ends_after: jiff::Timestamp = order["protection_ends_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        ends_after,
        ends_before + jiff::SignedDuration::from_hours(48),
        "the paused days are added back"
    );
    assert_eq!(c.escrow().await, 4_500, "the seller was not paid");

    c.advance(3).await;
    let r =
        c.t.post(
            &format!("/api/v1/disputes/{id}/reopen"),
            Some(&c.buyer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let reopened = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(r.json["reopened_from"], id.as_str());
    assert_error(
        &c.t.post(
            &format!("/api/v1/disputes/{id}/reopen"),
            Some(&c.buyer),
            json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        "dispute_already_open",
    );
    c.advance(5).await;
    assert_eq!(c.dispute_json(&reopened).await["state"], "resolved");
    assert_eq!(
        c.order_json().await["state"],
        "refunded",
        "still refunded in full"
    );
    assert_eq!(
        c.t.app
            .store
            .disputes_for_order(c.order.parse().unwrap())
            .await
            .unwrap()
            .len(),
        2
    );
    c.t.verify_clean().await;
}

#[tokio::test]
async fn evidence_files_are_checked_by_content_logged_and_exported() {
    let c = Case::shipped().await;
    let id = c.open_ok("damaged", json!({"type": "full_refund"})).await;
    let upload = |who: &str, bytes: Vec<u8>| {
        let path = format!("/api/v1/disputes/{id}/evidence/files?note=front");
        let who = who.to_string();
        let t = &c.t;
        async move {
            t.request(
                "POST",
                &path,
                Some(&who),
                Some(bytes),
                &[("content-type", "image/jpeg")],
            )
            .await
        }
    };
    let r = upload(&c.buyer, png(1)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let hash = r.json["body"]["sha256"].as_str().unwrap().to_string();
    assert_eq!(
        r.json["body"]["content_type"], "image/png",
        "type from content, not the header"
    );
    assert_error(
        &upload(&c.buyer, b"MZ\x90\x00 an exe called photo.jpg".to_vec()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let huge = [png(2), vec![0; 9 * 1024 * 1024]].concat();
    assert_error(
        &upload(&c.buyer, huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
    );
    let stranger = c.t.user("x@example.com", "buyer").await;
    assert_error(
        &upload(&stranger, png(3)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(upload(&c.seller, png(4)).await.status, StatusCode::CREATED);
    for seed in 5..23 {
        upload(&c.buyer, png(seed)).await;
    }
    assert_error(
        &upload(&c.buyer, png(99)).await,
        StatusCode::CONFLICT,
        "too_many_files",
    );

    let got =
        c.t.request(
            "GET",
            &format!("/api/v1/disputes/{id}/evidence/files/{hash}"),
            Some(&c.seller),
            None,
            &[],
        )
        .await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.headers["content-type"], "image/png");
    let missing =
        c.t.get(
            &format!("/api/v1/disputes/{id}/evidence/files/{}", "a".repeat(64)),
            Some(&c.buyer),
        )
        .await;
    assert_error(&missing, StatusCode::NOT_FOUND, "not_found");

    let log =
        c.t.get(&format!("/api/v1/disputes/{id}/evidence"), Some(&c.agent))
            .await
            .json;
    let log = log.as_array().unwrap();
    assert_eq!(log[0]["kind"], "opened");
    for pair in log.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"], "chained");
    }
    let bundle =
        c.t.get(&format!("/api/v1/disputes/{id}/export"), Some(&c.buyer))
            .await
            .json;
    assert_eq!(bundle["format"], "haven.evidence-bundle.v2");
    assert!(
        bundle["policy"]["protection_days_after_delivery"].is_number(),
        "the terms travel with the evidence"
    );
    assert_eq!(bundle["disputes"][0]["files"].as_array().unwrap().len(), 20);
    assert!(
        bundle["disputes"][0]["files"][0]["base64"]
            .as_str()
            .unwrap()
            .len()
            > 10
    );
    assert!(bundle["tracking"].is_array() && bundle["audit"].as_array().unwrap().len() >= 3);
    c.t.verify_clean().await;
}

#[tokio::test]
async fn tampering_with_the_evidence_log_is_caught_by_verify() {
    let c = Case::shipped().await;
    let id = c.open_ok("damaged", json!({"type": "full_refund"})).await;
    c.t.post(
        &format!("/api/v1/disputes/{id}/evidence/messages"),
        Some(&c.seller),
        json!({"text": "it was fine when it left"}),
    )
    .await;
    c.t.verify_clean().await;
    let path = c.t.db_path.clone().unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let edited = conn
        .execute("UPDATE evidence_log SET data = replace(data, 'it was fine when it left', 'I admit it was broken') WHERE dispute_id = ?1 AND data LIKE '%fine when it left%'", [&id])
        .unwrap();
    assert_eq!(edited, 1);
    drop(conn);
    let report = c.t.app.verify().await.unwrap();
    assert!(
        report.violations.iter().any(|v| v.contains("altered")),
        "{:?}",
        report.violations
    );
}

#[tokio::test]
async fn confirmed_counterfeit_on_a_guaranteed_genuine_listing() {
    let mut listing = listing_body(3);
    listing["guaranteed_genuine"] = json!(true);
    listing["brand"] = json!("Lumen");
    let mut c = Case::shipped_with(listing, CARD_OK).await;
    let id = c
        .open_ok(
            "counterfeit",
            json!({"type": "partial_refund", "amount_minor": 1_000}),
        )
        .await;
    c.reject_and_escalate(&id, "it is genuine").await;
    let r = c.act(&c.agent, &id, "decide", json!({"decision": {"type": "no_refund"}, "reasons": "serial number does not exist", "counterfeit_confirmed": true})).await;
    assert_eq!(
        r.json["resolution"]["decision"], "full_refund",
        "{:?}",
        r.json
    );
    assert_eq!(
        r.json["resolution"]["refund"]["amount_minor"], 4_500,
        "shipping included"
    );
    assert_eq!(c.order_json().await["state"], "refunded");
    let strikes =
        c.t.app
            .store
            .strikes_for_store(
                c.t.app
                    .store
                    .order(c.order.parse().unwrap())
                    .await
                    .unwrap()
                    .unwrap()
                    .store_id,
            )
            .await
            .unwrap();
    assert_eq!(strikes.len(), 1);
    c.t.verify_clean().await;
}

#[tokio::test]
async fn the_on_time_guarantee_pays_once_and_the_credit_is_spent_at_checkout() {
    let mut c = Case::shipped().await;
    c.advance(10).await;
    let order = c.order_json().await;
    assert_eq!(order["compensated"]["amount_minor"], 450);
    c.advance(1).await;
    let entries = c.t.app.store.scan_entries(0, 1_000).await.unwrap();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.entry.kind == haven_domain::ledger::EntryKind::Compensation)
            .count(),
        1
    );
    assert_eq!(
        c.t.balance(&format!(
            "buyer:{}:credit",
            order["buyer_id"].as_str().unwrap()
        ))
        .await,
        450
    );

    // Restart over the same database: the guarantee does not pay again.
    let restarted = TestApp::on_sqlite_file(c.t.db_path.as_ref().unwrap(), c.t.clock.clone()).await;
    restarted.tick().await;
    assert_eq!(
        restarted
            .app
            .store
            .scan_entries(0, 1_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.entry.kind == haven_domain::ledger::EntryKind::Compensation)
            .count(),
        1
    );

    let listing = c.t.get("/api/v1/listings", None).await.json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut body = checkout_body(&listing, 1, CARD_OK);
    body["use_credit"] = json!(true);
    let r = c.t.post("/api/v1/orders", Some(&c.buyer), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    assert_eq!(r.json["paid_by_credit"]["amount_minor"], 450);
    assert_eq!(r.json["paid_by_card"]["amount_minor"], 4_050);
    assert_eq!(
        c.t.balance(&format!(
            "buyer:{}:credit",
            order["buyer_id"].as_str().unwrap()
        ))
        .await,
        0
    );
    c.t.verify_clean().await;
}

#[tokio::test]
async fn chargeback_before_release_takes_escrow_and_after_release_recovers_from_the_seller() {
    // Still in escrow: the card network's money comes out of escrow.
    let c = Case::shipped_with(listing_body(5), CARD_CHARGEBACK).await;
    let id = c
        .open_ok("not_received", json!({"type": "full_refund"}))
        .await;
    let order =
        c.t.app
            .store
            .order(c.order.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
    let notice = json!({"type": "chargeback.created", "order_id": c.order, "payment_ref": order.payment.unwrap().payment_ref, "amount_minor": 4_500, "reason": "fraudulent"});
    let body = serde_json::to_vec(&notice).unwrap();
    let forged = haven_app::carrier::sign("wrong", c.t.now_s(), &body);
    let r =
        c.t.request(
            "POST",
            "/api/v1/gateways/testcard/webhook",
            None,
            Some(body.clone()),
            &[("haven-signature", &forged)],
        )
        .await;
    assert_error(&r, StatusCode::UNAUTHORIZED, "bad_signature");
    let signature =
        haven_app::carrier::sign(&c.t.app.config.gateway_webhook_secret, c.t.now_s(), &body);
    let r =
        c.t.request(
            "POST",
            "/api/v1/gateways/testcard/webhook",
            None,
            Some(body),
            &[("haven-signature", &signature)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["state"], "refunded");
    assert_eq!(r.json["chargeback"]["amount_minor"], 4_500);
    assert_eq!(c.escrow().await, 0);
    assert_eq!(
        c.dispute_json(&id).await["state"],
        "superseded",
        "the chargeback and the dispute never both pay"
    );
    c.t.verify_clean().await;

    // Released already: the platform pays the network and recovers from the seller.
    let mut c = Case::shipped_with(listing_body(5), CARD_CHARGEBACK).await;
    c.t.scan(&c.tracking, "delivered").await;
    c.t.post(
        &format!("/api/v1/orders/{}/confirm", c.order),
        Some(&c.buyer),
        json!({}),
    )
    .await;
    assert_eq!(c.seller_available().await, 4_140);
    c.advance(20).await;
    let order = c.order_json().await;
    assert_eq!(order["state"], "completed");
    assert_eq!(order["chargeback"]["amount_minor"], 4_500);
    assert_eq!(
        c.seller_available().await,
        0,
        "recovered from the seller's balance"
    );
    assert_eq!(
        c.t.balance("platform:chargeback_loss").await,
        -360,
        "the platform keeps only its commission's worth of loss"
    );
    c.t.app.publish_events().await.unwrap();
    let topics: Vec<String> =
        c.t.app
            .store
            .outbox_after(0, 1_000)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.topic)
            .collect();
    assert!(topics.contains(&"chargeback.opened".into()));
    c.t.verify_clean().await;
}

#[tokio::test]
async fn a_refund_then_a_chargeback_never_pays_twice() {
    let mut c = Case::shipped_with(listing_body(5), CARD_CHARGEBACK).await;
    let id = c.open_ok("damaged", json!({"type": "full_refund"})).await;
    c.act(&c.seller, &id, "accept", json!({})).await;
    assert_eq!(c.order_json().await["refunded"]["amount_minor"], 4_500);
    c.advance(20).await;
    let order = c.order_json().await;
    assert_eq!(
        order["chargeback"]["amount_minor"], 0,
        "nothing left on the card to take back"
    );
    let returned_to_card: i64 =
        c.t.app
            .store
            .scan_entries(0, 1_000)
            .await
            .unwrap()
            .iter()
            .flat_map(|e| e.entry.postings.clone())
            .filter(|p| p.account.to_string() == "gateway:testcard" && p.amount.amount_minor > 0)
            .map(|p| p.amount.amount_minor)
            .sum();
    assert_eq!(returned_to_card, 4_500);
    c.t.verify_clean().await;
}

#[tokio::test]
async fn replayed_dispute_actions_do_nothing_twice() {
    let c = Case::shipped().await;
    let key_open =
        c.t.post_idem(
            &format!("/api/v1/orders/{}/disputes", c.order),
            &c.buyer,
            "open-1",
            json!({"reason": "damaged", "requested_outcome": {"type": "full_refund"}}),
        )
        .await;
    let again =
        c.t.post_idem(
            &format!("/api/v1/orders/{}/disputes", c.order),
            &c.buyer,
            "open-1",
            json!({"reason": "damaged", "requested_outcome": {"type": "full_refund"}}),
        )
        .await;
    assert_eq!(
        (key_open.status, &key_open.json),
        (again.status, &again.json)
    );
    let id = key_open.json["id"].as_str().unwrap().to_string();
    let a =
        c.t.post_idem(
            &format!("/api/v1/disputes/{id}/accept"),
            &c.seller,
            "accept-1",
            json!({}),
        )
        .await;
    let b =
        c.t.post_idem(
            &format!("/api/v1/disputes/{id}/accept"),
            &c.seller,
            "accept-1",
            json!({}),
        )
        .await;
    assert_eq!((a.status, &a.json), (b.status, &b.json));
    assert_eq!(b.headers.get("idempotent-replayed").unwrap(), "true");
    let refunds =
        c.t.app
            .store
            .scan_entries(0, 1_000)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.entry.kind == haven_domain::ledger::EntryKind::Settlement)
            .count();
    assert_eq!(refunds, 1);
    c.t.verify_clean().await;
}

/// The same dispute centre on PostgreSQL: open, counter, decline, escalate,
/// decide, evidence chain, and a chargeback after release.
#[tokio::test]
async fn the_dispute_centre_on_postgres() {
    let Some(t) = TestApp::postgres().await else {
        eprintln!("HAVEN_TEST_DATABASE_URL not set: skipping");
        return;
    };
    let mut c = Case::shipped_on(t, listing_body(5), CARD_CHARGEBACK).await;
    let id = c.open_ok("damaged", json!({"type": "full_refund"})).await;
    let upload =
        c.t.request(
            "POST",
            &format!("/api/v1/disputes/{id}/evidence/files"),
            Some(&c.buyer),
            Some(png(7)),
            &[],
        )
        .await;
    assert_eq!(upload.status, StatusCode::CREATED, "{:?}", upload.json);
    c.act(&c.seller, &id, "counter", json!({"amount_minor": 500}))
        .await;
    c.act(&c.buyer, &id, "counter/decline", json!({})).await;
    c.advance(3).await;
    assert_eq!(
        c.act(&c.buyer, &id, "escalate", json!({})).await.json["state"],
        "escalated"
    );
    let queue = c.t.get("/api/v1/console/cases", Some(&c.agent)).await;
    assert!(
        queue.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == id.as_str())
    );
    let r = c.act(&c.agent, &id, "decide", json!({"decision": {"type": "partial_refund", "amount_minor": 1_500}, "reasons": "dent visible"})).await;
    assert_eq!(r.json["state"], "resolved", "{:?}", r.json);
    assert_eq!(c.order_json().await["state"], "partially_refunded");
    // 30.00 released minus 8 %: 27.60 to the seller.
    assert_eq!(c.seller_available().await, 2_760);
    // The simulated chargeback 20 days after capture takes only the card
    // money not yet refunded, recovering from the seller.
    c.advance(20).await;
    let order = c.order_json().await;
    assert_eq!(order["chargeback"]["amount_minor"], 3_000, "{order:?}");
    c.t.verify_clean().await;
    let report = c.t.app.verify().await.unwrap();
    assert!(report.evidence_checked >= 5);
}

/// The dispute centre is a channel like chat: every text one party writes
/// to the other goes through the message scanner, with chat's verdicts and
/// consequences. Before, "close the dispute and I'll refund you" or "pay
/// the customs fee to my PayPal" reached the buyer unscanned here.
#[tokio::test]
async fn every_dispute_text_goes_through_the_scanner() {
    let c = Case::shipped().await;
    let dispute = c
        .open_ok("not_as_described", json!({"type": "full_refund"}))
        .await;
    let before =
        c.t.app
            .store
            .evidence(dispute.parse().unwrap())
            .await
            .unwrap()
            .len();

    // A money-moving counter-offer message is not delivered: the seller is
    // told why, nothing reaches the buyer, the offer is not made.
    let r = c
        .act(
            &c.seller,
            &dispute,
            "counter",
            json!({"amount_minor": 1_000, "message": "Close the dispute and I'll refund you the full amount by PayPal friends and family"}),
        )
        .await;
    common::assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "message_blocked");
    assert!(
        r.json["error"]["details"]["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "off_platform_payment")
    );
    assert!(
        !r.json["error"]["details"]["reasons"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let d = c.dispute_json(&dispute).await;
    assert_eq!(d["state"], "awaiting_seller");
    assert!(d["counter_offer"].is_null() && d["seller_response"].is_null());
    assert_eq!(
        c.t.app
            .store
            .evidence(dispute.parse().unwrap())
            .await
            .unwrap()
            .len(),
        before,
        "nothing in the log the buyer reads"
    );
    assert_eq!(seller_offences(&c).await, 1);
    let agent_flags = c.t.get("/api/v1/console/flags", Some(&c.agent)).await;
    assert!(
        agent_flags.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "scam_text_blocked")
    );

    // A customs-fee pretext in a rejection is blocked too.
    let r = c
        .act(
            &c.seller,
            &dispute,
            "reject",
            json!({"explanation": "The parcel is held at customs, you must pay the $35 release fee to my account first"}),
        )
        .await;
    common::assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "message_blocked");

    // Pressure to close is delivered with a warning for the buyer.
    let r = c
        .act(
            &c.seller,
            &dispute,
            "reject",
            json!({"explanation": "Please close this dispute, it hurts my shop, I will send you another one"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let d = c.dispute_json(&dispute).await;
    assert!(
        !d["seller_response_warnings"].as_array().unwrap().is_empty(),
        "{d:?}"
    );
    let log =
        c.t.get(
            &format!("/api/v1/disputes/{dispute}/evidence"),
            Some(&c.buyer),
        )
        .await;
    assert!(log.json.as_array().unwrap().iter().any(|e| {
        e["kind"] == "message"
            && e["body"]["categories"]
                .as_array()
                .is_some_and(|a| a.iter().any(|c| c == "dispute_pressure"))
    }));
    assert_eq!(seller_offences(&c).await, 3);

    // Statements added to the log are scanned, for either party.
    let r = c
        .t
        .post(
            &format!("/api/v1/disputes/{dispute}/evidence/messages"),
            Some(&c.seller),
            json!({"text": "Send the refund request to haven-support-center.com/claims and log in there"}),
        )
        .await;
    common::assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "message_blocked");
    let ok =
        c.t.post(
            &format!("/api/v1/disputes/{dispute}/evidence/messages"),
            Some(&c.buyer),
            json!({"text": "The lamp arrived with a cracked base, photos attached."}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.json);
    c.t.verify_clean().await;
}

async fn seller_offences(c: &Case) -> u32 {
    c.t.app
        .store
        .user_by_email("s@example.com")
        .await
        .unwrap()
        .unwrap()
        .scam_offences
}

/// Evidence in an S3-compatible bucket: the local S3 server `.ci/run`
/// starts (moto, from PyPI) stands in for AWS. Skipped only where no such
/// server is configured; CI sets `HAVEN_REQUIRE_S3` so it cannot skip there.
#[tokio::test]
async fn evidence_files_live_in_an_s3_bucket_when_configured() {
    let Ok(endpoint) = std::env::var("HAVEN_TEST_S3_ENDPOINT") else {
        assert!(
            std::env::var("HAVEN_REQUIRE_S3").is_err(),
            "HAVEN_REQUIRE_S3 is set but HAVEN_TEST_S3_ENDPOINT is not"
        );
        eprintln!("HAVEN_TEST_S3_ENDPOINT not set: skipping the S3 evidence store");
        return;
    };
    let bucket = std::env::var("HAVEN_TEST_S3_BUCKET").unwrap_or_else(|_| "haven-test".into());
    let prefix = uuid::Uuid::now_v7().simple().to_string();
    let blobs =
        haven_app::blobs::BlobStore::open_with(&format!("s3://{bucket}/{prefix}"), Some(&endpoint))
            .unwrap();
    let scratch = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let db = scratch.path().join("haven.db");
    let store: haven_store::DynStore =
        std::sync::Arc::new(haven_store::sqlite::SqliteStore::open(&db).unwrap());
    let clock = haven_domain::clock::ManualClock::new(common::start_time());
    let gateway = common::testcard(&store, &clock);
    let t =
        TestApp::build_with_blobs(store, clock, gateway, common::config(), blobs, scratch).await;
    let c = Case::shipped_on(t, listing_body(5), CARD_OK).await;
    let dispute = c.open_ok("damaged", json!({"type": "full_refund"})).await;
    let photo = png(42);
    let r =
        c.t.request(
            "POST",
            &format!("/api/v1/disputes/{dispute}/evidence/files"),
            Some(&c.buyer),
            Some(photo.clone()),
            &[("content-type", "image/png")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let hash = r.json["body"]["sha256"].as_str().unwrap().to_string();
    assert_eq!(hash, haven_app::blobs::sha256_hex(&photo));
    // Read back through the API (from the bucket, checked against its hash).
    let back =
        c.t.get(
            &format!("/api/v1/disputes/{dispute}/evidence/files/{hash}"),
            Some(&c.seller),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK);
    let bundle =
        c.t.get(
            &format!("/api/v1/disputes/{dispute}/export"),
            Some(&c.buyer),
        )
        .await;
    assert_eq!(bundle.json["disputes"][0]["files"][0]["sha256"], hash);
    // The same bytes again are stored once (content addressing).
    let again = c.t.app.blobs.put(photo).await.unwrap();
    assert_eq!(again, hash);

    // A 12 MiB video goes up as a multipart upload of several parts, then
    // moves to its content address.
    let mut video = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom".to_vec();
    video.resize(12 << 20, 7);
    let r =
        c.t.request(
            "POST",
            &format!("/api/v1/disputes/{dispute}/evidence/files"),
            Some(&c.buyer),
            Some(video.clone()),
            &[("content-type", "video/mp4")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let video_hash = r.json["body"]["sha256"].as_str().unwrap().to_string();
    assert_eq!(video_hash, haven_app::blobs::sha256_hex(&video));
    let back = c.t.app.blobs.get(&video_hash).await.unwrap();
    assert_eq!(back.len(), video.len());
}

/// The dispute lists name the item, and put first what the viewer must
/// answer, with its deadline.
#[tokio::test]
async fn dispute_lists_name_the_item_and_show_whose_move_it_is() {
    let c = Case::shipped().await;
    let dispute = c.open_ok("damaged", json!({"type": "full_refund"})).await;
    let api = c.dispute_json(&dispute).await;
    assert_eq!(api["item"], "Walnut desk lamp", "{api:?}");

    let mut seller = Browser::new(&c.t);
    seller.login("s@example.com").await;
    let html = Browser::html(&seller.get("/seller/disputes").await).to_string();
    assert!(
        html.contains(&format!(
            "<a href=\"/disputes/{dispute}\">Walnut desk lamp</a>"
        )),
        "{html}"
    );
    assert!(html.contains("your move"), "the seller must answer: {html}");
    let centre = Browser::html(&seller.get("/seller").await).to_string();
    assert!(
        centre.contains(&format!(
            "<a href=\"/disputes/{dispute}\">Answer the dispute about Walnut desk lamp</a>"
        )),
        "{centre}"
    );
    let mut buyer = Browser::new(&c.t);
    buyer.login("b@example.com").await;
    let html = Browser::html(&buyer.get("/disputes").await).to_string();
    assert!(html.contains("Walnut desk lamp"), "{html}");
    assert!(
        !html.contains("your move"),
        "the buyer waits for the seller: {html}"
    );
}

/// The agent's decision form has no preselected choice, shows what will
/// move (and that no carrier scan proves delivery) before anything moves,
/// and decides only when confirmed.
#[tokio::test]
async fn an_agent_confirms_a_decision_before_money_moves() {
    let mut c = Case::shipped().await;
    let id = c
        .open_ok("not_as_described", json!({"type": "full_refund"}))
        .await;
    c.reject_and_escalate(&id, "it is as described").await;
    let mut web = Browser::new(&c.t);
    web.login("agent@example.com").await;
    let page = web.get(&format!("/disputes/{id}")).await;
    let html = Browser::html(&page);
    assert!(html.contains("id=\"decision-form\""), "{html}");
    assert!(
        !html.contains("value=\"full_refund\" checked"),
        "no default choice"
    );
    assert!(html.contains("id=\"no-delivery-scan\""), "{html}");

    let path = format!("/disputes/{id}/decide");
    let r = web
        .post_form(&path, &[("reasons", "no proof either way")])
        .await;
    assert!(
        Browser::html(&r).contains("Choose what happens to the money"),
        "{:?}",
        r.json
    );
    let escrow = c.escrow().await;
    let fields = [
        ("decision", "no_refund"),
        ("reasons", "the tracking shows it moving"),
    ];
    let r = web.post_form(&path, &fields).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = Browser::html(&r);
    assert!(
        html.contains("id=\"confirm-no-scan\"") && html.contains("role=\"alert\""),
        "{html}"
    );
    assert!(html.contains("id=\"to-seller\">$45.00"), "{html}");
    assert_eq!(c.escrow().await, escrow, "nothing moved before confirming");
    assert_eq!(c.dispute_json(&id).await["state"], "escalated");

    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm", "true"));
    let r = web.post_form(&path, &confirmed).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    assert_eq!(c.dispute_json(&id).await["state"], "resolved");
    assert_eq!(c.escrow().await, 0);
    c.t.verify_clean().await;
}

/// The console's front page: every queue with how many wait and for how
/// long, and each escalated dispute with its amount, item, parties and age.
#[tokio::test]
async fn the_console_lists_every_queue_and_the_escalated_cases() {
    let mut c = Case::shipped().await;
    let id = c.open_ok("damaged", json!({"type": "full_refund"})).await;
    c.reject_and_escalate(&id, "it left intact").await;
    c.t.advance_hours(5);
    let mut web = Browser::new(&c.t);
    web.login("agent@example.com").await;
    let page = web.get("/console").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = Browser::html(&page);
    for queue in [
        "queue-disputes",
        "queue-payments",
        "queue-listings",
        "queue-conversations",
        "queue-brushing",
        "queue-identity",
        "queue-dead-letters",
    ] {
        assert!(html.contains(&format!("id=\"{queue}\"")), "{queue}: {html}");
    }
    let disputes = &html[html.find("id=\"queue-disputes\"").unwrap()..];
    assert!(
        disputes.starts_with("id=\"queue-disputes\"") && disputes.contains("1 waiting"),
        "{html}"
    );
    assert!(
        disputes[..disputes.find("</li>").unwrap()].contains("oldest waiting 5 hours"),
        "{html}"
    );
    let cases = &html[html.find("id=\"cases\"").unwrap()..];
    assert!(
        cases.contains(&format!("/disputes/{id}")) && cases.contains("Walnut desk lamp"),
        "{cases}"
    );
    assert!(
        cases.contains("$45.00") && cases.contains("b@example.com and Lamps"),
        "{cases}"
    );
    assert!(
        cases.contains("no delivery scan") && cases.contains("Arrived damaged"),
        "{cases}"
    );
    // Not for buyers.
    let mut buyer = Browser::new(&c.t);
    buyer.login("b@example.com").await;
    assert_eq!(buyer.get("/console").await.status, StatusCode::FORBIDDEN);
}

/// The audit log answers by agent (their decisions), by order and by
/// buyer, in words; agents only.
#[tokio::test]
async fn agents_search_the_audit_log_by_agent_order_and_person() {
    let mut c = Case::shipped().await;
    let id = c.open_ok("damaged", json!({"type": "full_refund"})).await;
    c.reject_and_escalate(&id, "it left intact").await;
    let r = c
        .act(&c.agent, &id, "decide", json!({"decision": {"type": "full_refund"}, "reasons": "the photos show a crushed box"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let mut web = Browser::new(&c.t);
    web.login("agent@example.com").await;

    let by_agent = web.get("/console/audit?q=agent%40example.com").await;
    let html = Browser::html(&by_agent);
    assert!(html.contains("Dispute: escalated → resolved"), "{html}");
    assert!(html.contains("the photos show a crushed box"), "{html}");
    assert!(
        !html.contains("Order ship"),
        "only the agent's own steps: {html}"
    );

    let by_order = web.get(&format!("/console/audit?q={}", c.order)).await;
    let html = Browser::html(&by_order);
    assert!(html.contains("Order settle: shipped → refunded"), "{html}");
    assert!(
        html.contains("by b@example.com (buyer)") && html.contains("by s@example.com (seller)"),
        "{html}"
    );

    // The short number the buyer quotes finds the same history.
    let number = haven_domain::order::short_number(&c.order.to_string());
    let by_number = web
        .get(&format!("/console/audit?q={}", number.replace('#', "%23")))
        .await;
    assert!(
        Browser::html(&by_number).contains("Order settle: shipped → refunded"),
        "{}",
        Browser::html(&by_number)
    );

    let by_buyer = web.get("/console/audit?q=b%40example.com").await;
    assert!(Browser::html(&by_buyer).contains("unresolved → escalated"));
    let everything = web.get("/console/audit").await;
    assert!(Browser::html(&everything).contains("escalated → resolved"));
    let bad = web.get("/console/audit?q=lamp").await;
    assert!(Browser::html(&bad).contains("id=\"audit-q-error\""));

    let mut buyer = Browser::new(&c.t);
    buyer.login("b@example.com").await;
    assert_eq!(
        buyer.get("/console/audit").await.status,
        StatusCode::FORBIDDEN
    );
}

/// The agent deciding a dispute sees the accounts that shared a device,
/// card, address or network with the buyer's payment, and a warning when
/// the seller is one of them: a buyer and a seller who are one person can
/// stage a dispute to pull money out through the platform.
#[tokio::test]
async fn the_agent_sees_when_the_seller_shares_an_address_with_the_buyer() {
    let c = Case::shipped().await;
    let id = c
        .open_ok("not_as_described", json!({"type": "full_refund"}))
        .await;
    let mut web = Browser::new(&c.t);
    web.login("agent@example.com").await;
    let page = web.get(&format!("/disputes/{id}")).await;
    let html = Browser::html(&page);
    assert!(
        html.contains("Linked accounts: none shared"),
        "nobody else has paid yet: {html}"
    );
    assert!(!html.contains("the seller&#x27;s own account"), "{html}");

    // The seller's own account buys elsewhere with the buyer's address.
    let (_, other_listing) = c.t.seller_with_listing("s2@example.com", 5).await;
    let r = c.t.buy(&c.seller, &other_listing, CARD_OK).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let page = web.get(&format!("/disputes/{id}")).await;
    let html = Browser::html(&page);
    assert!(
        html.contains("Warning: the seller")
            && html.contains("shares an identifier with the buyer"),
        "{html}"
    );
    assert!(html.contains("Linked account: "), "{html}");
    assert!(html.contains("s@example.com"), "{html}");
    // Buyer and seller never see the panel.
    let mut buyer_web = Browser::new(&c.t);
    buyer_web.login("b@example.com").await;
    let page = buyer_web.get(&format!("/disputes/{id}")).await;
    let html = Browser::html(&page);
    assert!(!html.contains("Linked account"), "{html}");
}
