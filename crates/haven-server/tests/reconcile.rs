//! Reconciliation between the gateway's captures and Haven's orders, the
//! console's dead-letter queue, and what `verify` checks of the commands.

mod common;

use axum::http::StatusCode;
use common::*;
use haven_app::payments::{CardDetails, PaymentRequest};
use haven_domain::clock::Clock;
use haven_domain::money::{Currency, Money};
use haven_store::{Changeset, JournalWrite};
use serde_json::json;

/// Change a payment in the simulated network's books behind Haven's back.
async fn tamper_payment(
    t: &TestApp,
    payment_ref: &str,
    change: impl FnOnce(&mut serde_json::Value),
) {
    let record = t.app.store.journal(payment_ref).await.unwrap().unwrap();
    let mut body = record.body.clone();
    change(&mut body);
    t.app
        .store
        .commit(Changeset {
            journal: vec![JournalWrite {
                key: record.key,
                kind: record.kind,
                body,
                expected_version: Some(record.version),
                at: t.clock.now(),
            }],
            ..Changeset::default()
        })
        .await
        .unwrap();
}

async fn payment_ref_of(t: &TestApp, order: &str) -> String {
    t.app
        .store
        .order(order.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .payment
        .unwrap()
        .payment_ref
}

/// A capture made straight at the gateway, for no order Haven knows.
async fn stray_capture(t: &TestApp) -> String {
    let card = CardDetails {
        number: "4242424242424242".into(),
        exp_month: 12,
        exp_year: 2031,
        cvc: "123".into(),
    };
    let amount = Money::new(7_700, Currency::USD);
    let auth = t
        .app
        .gateway
        .authorize(PaymentRequest {
            card: &card,
            amount,
            idempotency_key: "stray",
            order_ref: "no-such-order",
            capture: false,
            require_challenge: false,
        })
        .await
        .unwrap();
    let haven_app::payments::Authorization::Approved { payment_ref, .. } = auth else {
        panic!("{auth:?}")
    };
    t.app.gateway.capture(&payment_ref, amount).await.unwrap();
    payment_ref
}

#[tokio::test]
async fn captures_without_a_paid_order_are_refunded_and_paid_orders_without_a_capture_flagged() {
    for t in on_every_backend().await {
        let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let good = t.buy(&buyer, &listing, "4242424242424242").await.json["id"]
            .as_str()
            .unwrap()
            .to_string();
        let bad = t.buy(&buyer, &listing, "4242424242424242").await.json["id"]
            .as_str()
            .unwrap()
            .to_string();
        let bad_ref = payment_ref_of(&t, &bad).await;
        tamper_payment(&t, &bad_ref, |body| {
            body["state"] = json!("authorized");
            body["captured_minor"] = json!(0);
        })
        .await;
        let stray = stray_capture(&t).await;

        let since = start_time() - jiff::SignedDuration::from_hours(1);
        let report = t.app.reconcile(since).await.unwrap();
        assert_eq!(report.matched, 1, "{report:?}");
        assert_eq!(report.refunded, vec![stray.clone()]);
        assert_eq!(report.flagged.len(), 1);
        assert_eq!(report.flagged[0].to_string(), bad);
        t.app.dispatch_commands(t.clock.now()).await;
        let refunded = t.app.gateway.payment(&stray).await.unwrap().unwrap();
        assert_eq!(
            refunded.refunded_minor, 7_700,
            "the stray capture went back"
        );
        assert_eq!(
            t.app
                .gateway
                .payment(&payment_ref_of(&t, &good).await)
                .await
                .unwrap()
                .unwrap()
                .refunded_minor,
            0
        );

        // A second run queues nothing new.
        let again = t.app.reconcile(since).await.unwrap();
        assert!(again.refunded.is_empty(), "{again:?}");

        // The flagged order waits in the console's dead-letter queue.
        let agent = agent_token(&t).await;
        let queue = t.get("/api/v1/console/commands", Some(&agent)).await;
        assert_eq!(queue.status, StatusCode::OK, "{:?}", queue.json);
        let items = queue.json["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!(items[0]["kind"], "reconcile.missing_capture");
        assert_eq!(items[0]["order_id"], bad.as_str());
        let id = items[0]["id"].as_str().unwrap().to_string();
        assert_error(
            &t.get("/api/v1/console/commands", Some(&buyer)).await,
            StatusCode::FORBIDDEN,
            "forbidden",
        );
        let r = t
            .post(
                &format!("/api/v1/console/commands/{id}/retry"),
                Some(&agent),
                json!({}),
            )
            .await;
        assert_error(&r, StatusCode::CONFLICT, "invalid_state");
        let r = t
            .post(
                &format!("/api/v1/console/commands/{id}/dismiss"),
                Some(&agent),
                json!({"note": "captured by hand at the gateway dashboard"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["state"], "cancelled");
        let r = t
            .post(
                &format!("/api/v1/console/commands/{id}/dismiss"),
                Some(&agent),
                json!({"note": "again"}),
            )
            .await;
        assert_error(&r, StatusCode::CONFLICT, "invalid_state");
        let audit = t
            .get(&format!("/api/v1/orders/{bad}/audit"), Some(&agent))
            .await;
        assert!(
            audit
                .json
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["action"] == "dead_letter_dismissed"),
            "{:?}",
            audit.json
        );
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn verify_catches_a_refund_sent_twice_or_made_without_a_command() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let order = t.buy(&buyer, &listing, "4242424242424242").await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    t.advance_days(4);
    t.tick().await;
    t.verify_clean().await;
    let payment_ref = payment_ref_of(&t, &order).await;
    let key = format!("order:{order}:refund");
    tamper_payment(&t, &payment_ref, |body| {
        body["refunds"][&key]["requests"] = json!(2);
    })
    .await;
    let report = t.app.verify().await.unwrap();
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.contains("was sent 2 times")),
        "{:?}",
        report.violations
    );
    // A refund at the gateway that no command asked for.
    tamper_payment(&t, &payment_ref, |body| {
        body["refunds"][&key]["requests"] = json!(1);
        body["refunds"]["made-up"] = json!({"amount_minor": 1, "requests": 1});
    })
    .await;
    let report = t.app.verify().await.unwrap();
    assert!(
        report
            .violations
            .iter()
            .any(|v| v.contains("made-up") && v.contains("has no command")),
        "{:?}",
        report.violations
    );
}

#[tokio::test]
async fn the_console_lists_dead_letters_and_an_agent_can_send_one_again() {
    let t = TestApp::sqlite().await;
    let agent = agent_token(&t).await;
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let order = t.buy(&buyer, &listing, "4242424242424242").await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The refund's payment is unknown to the gateway: it fails every time.
    t.advance_days(4);
    t.app.fire_due_timers(t.clock.now()).await.unwrap();
    let refund = t
        .app
        .store
        .commands_for_order(order.parse().unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == "gateway.refund")
        .unwrap();
    let mut payload = refund.payload.clone();
    payload["payment_ref"] = json!("tc_ok_unknown");
    let broken = haven_store::NewCommand::new(
        "gateway.refund",
        "refund:broken".into(),
        payload,
        Some(order.parse().unwrap()),
        t.clock.now(),
    );
    t.app
        .store
        .commit(Changeset {
            commands: vec![broken],
            ..Changeset::default()
        })
        .await
        .unwrap();
    for _ in 0..12 {
        t.clock.advance(jiff::SignedDuration::from_hours(2));
        t.app.dispatch_commands(t.clock.now()).await;
    }
    let page = t.get("/api/v1/console/commands", Some(&agent)).await;
    let items = page.json["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["kind"], "gateway.refund");
    assert!(
        items[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("unknown payment")
    );
    assert_eq!(items[0]["attempts"], 10);

    let mut browser = Browser::new(&t);
    browser.login("agent@example.com").await;
    let html = browser.get("/console/commands").await;
    let html = Browser::html(&html);
    assert!(html.contains("unknown payment"), "the page lists it");
    // In words: what it is, its amount and item, no raw payload.
    assert!(html.contains("Refund to the buyer&#39;s card"), "{html}");
    assert!(html.contains("$45.00") && html.contains("Walnut desk lamp"));
    assert!(
        html.contains(", buying from "),
        "both parties named: {html}"
    );
    assert!(!html.contains("payment_ref"), "{html}");
    assert!(!html.contains("<code>gateway.refund</code>"), "{html}");

    // Retrying sends money: not before the agent says they checked.
    let id = items[0]["id"].as_str().unwrap();
    let retry = format!("/console/commands/{id}/retry");
    let r = browser.post_form(&retry, &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let back = browser.get("/console/commands").await;
    assert!(
        Browser::html(&back).contains("has not already gone"),
        "{}",
        Browser::html(&back)
    );
    let still = t.get("/api/v1/console/commands", Some(&agent)).await;
    assert_eq!(still.json["items"][0]["state"], "dead", "not retried");
    let r = browser.post_form(&retry, &[("checked", "yes")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let revived = t
        .app
        .store
        .command(id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revived.state.as_str(), "pending");
    assert_eq!(revived.attempts, 0);
    let empty = t.get("/api/v1/console/commands", Some(&agent)).await;
    assert_eq!(empty.json["items"], json!([]));
}
