//! Money at the edge: checkout commits before it calls the gateway, every
//! gateway side effect is a command, and a crash anywhere between the
//! gateway and the database is repaired by asking the gateway, never by
//! charging or refunding twice.

mod common;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use axum::http::StatusCode;
use common::*;
use haven_app::failpoints::{AFTER_CAPTURE, FailAction};
use haven_app::payments::{
    Authorization, CapturePage, GatewayError, GatewayPayment, PaymentGateway, PaymentRequest,
    PaymentState, TestCardGateway,
};
use haven_domain::Timestamp;
use haven_domain::clock::Clock;
use haven_domain::ids::OrderId;
use haven_domain::money::Money;
use haven_store::CommandState;
use serde_json::json;

/// The test card network, with switches that make calls fail, and a count
/// of every call that reached it.
struct FlakyGateway {
    inner: TestCardGateway,
    /// The capture happens, but the answer is lost (a timeout).
    lose_capture_answer: AtomicBool,
    /// Nothing gets through.
    down: AtomicBool,
    refund_calls: Mutex<HashMap<String, u32>>,
    void_calls: Mutex<Vec<String>>,
}

impl FlakyGateway {
    fn new(inner: TestCardGateway) -> Self {
        FlakyGateway {
            inner,
            lose_capture_answer: AtomicBool::new(false),
            down: AtomicBool::new(false),
            refund_calls: Mutex::new(HashMap::new()),
            void_calls: Mutex::new(Vec::new()),
        }
    }

    fn check_up(&self) -> Result<(), GatewayError> {
        if self.down.load(Ordering::SeqCst) {
            Err(GatewayError::Unavailable("connection refused".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl PaymentGateway for FlakyGateway {
    fn name(&self) -> &'static str {
        "testcard"
    }
    async fn authorize(&self, request: PaymentRequest<'_>) -> Result<Authorization, GatewayError> {
        self.check_up()?;
        let answer = self.inner.authorize(request).await?;
        let captured = matches!(answer, Authorization::Approved { captured: true, .. });
        if captured && self.lose_capture_answer.load(Ordering::SeqCst) {
            return Err(GatewayError::Unavailable("capture timed out".into()));
        }
        Ok(answer)
    }
    async fn complete_challenge(&self, payment_ref: &str, code: &str) -> Result<(), GatewayError> {
        self.check_up()?;
        self.inner.complete_challenge(payment_ref, code).await
    }
    async fn capture(&self, payment_ref: &str, amount: Money) -> Result<(), GatewayError> {
        self.check_up()?;
        self.inner.capture(payment_ref, amount).await?;
        if self.lose_capture_answer.load(Ordering::SeqCst) {
            return Err(GatewayError::Unavailable("capture timed out".into()));
        }
        Ok(())
    }
    async fn void(&self, payment_ref: &str) -> Result<(), GatewayError> {
        self.check_up()?;
        self.void_calls.lock().unwrap().push(payment_ref.into());
        self.inner.void(payment_ref).await
    }
    async fn refund(
        &self,
        payment_ref: &str,
        amount: Money,
        key: &str,
    ) -> Result<(), GatewayError> {
        self.check_up()?;
        *self
            .refund_calls
            .lock()
            .unwrap()
            .entry(key.to_string())
            .or_default() += 1;
        self.inner.refund(payment_ref, amount, key).await
    }
    async fn submit_chargeback_evidence(
        &self,
        payment_ref: &str,
        bundle: &[u8],
        key: &str,
    ) -> Result<(), GatewayError> {
        self.check_up()?;
        self.inner
            .submit_chargeback_evidence(payment_ref, bundle, key)
            .await
    }
    async fn payment_for_key(&self, key: &str) -> Result<Option<GatewayPayment>, GatewayError> {
        self.check_up()?;
        self.inner.payment_for_key(key).await
    }
    async fn payment(&self, payment_ref: &str) -> Result<Option<GatewayPayment>, GatewayError> {
        self.check_up()?;
        self.inner.payment(payment_ref).await
    }
    async fn captures(
        &self,
        since: Timestamp,
        after: Option<String>,
        limit: u32,
    ) -> Result<CapturePage, GatewayError> {
        self.check_up()?;
        self.inner.captures(since, after, limit).await
    }
}

async fn order_json(t: &TestApp, token: &str, id: &str) -> serde_json::Value {
    t.get(&format!("/api/v1/orders/{id}"), Some(token))
        .await
        .json
}

/// The payment the gateway made for an order, by the order it carries.
async fn gateway_payments_for(t: &TestApp, order: &str) -> Vec<GatewayPayment> {
    let page = t
        .app
        .gateway
        .captures(Timestamp::UNIX_EPOCH, None, 100)
        .await
        .unwrap();
    page.items
        .into_iter()
        .filter(|p| p.order_ref == order)
        .collect()
}

fn the_only_order(list: &serde_json::Value) -> serde_json::Value {
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    items[0].clone()
}

#[tokio::test]
async fn a_retry_after_a_crash_between_capture_and_commit_is_charged_once() {
    for t in on_every_backend().await {
        let (_, listing) = t.seller_with_listing("s@example.com", 3).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let body = checkout_body(&listing, 1, "4242424242424242");
        t.app.failpoints.arm(AFTER_CAPTURE, FailAction::Error);
        let r = t
            .post_idem("/api/v1/orders", &buyer, "k1", body.clone())
            .await;
        assert_error(&r, StatusCode::INTERNAL_SERVER_ERROR, "internal");
        t.app.failpoints.disarm(AFTER_CAPTURE);
        let pending = the_only_order(&t.get("/api/v1/orders", Some(&buyer)).await.json);
        assert_eq!(pending["state"], "pending_payment");
        let id = pending["id"].as_str().unwrap().to_string();
        assert_eq!(gateway_payments_for(&t, &id).await.len(), 1, "captured");

        let r = t.post_idem("/api/v1/orders", &buyer, "k1", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["id"], id.as_str());
        assert_eq!(r.json["state"], "paid");
        let captures = gateway_payments_for(&t, &id).await;
        assert_eq!(captures.len(), 1, "charged once");
        assert_eq!(captures[0].refunded_minor, 0);
        assert_eq!(t.balance(&format!("escrow:order:{id}")).await, 4_500);
        // The capture command was settled by the replay: the dispatcher,
        // later, finds nothing to do and sends nothing.
        t.advance_hours(1);
        t.app.dispatch_commands(t.clock.now()).await;
        assert_eq!(gateway_payments_for(&t, &id).await[0].refunded_minor, 0);
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn without_a_retry_the_dispatcher_finishes_a_crashed_checkout() {
    for t in on_every_backend().await {
        let (_, listing) = t.seller_with_listing("s@example.com", 3).await;
        let buyer = t.user("b@example.com", "buyer").await;
        t.app.failpoints.arm(AFTER_CAPTURE, FailAction::Error);
        let r = t.buy(&buyer, &listing, "4242424242424242").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        t.app.failpoints.disarm(AFTER_CAPTURE);
        let id = the_only_order(&t.get("/api/v1/orders", Some(&buyer)).await.json)["id"]
            .as_str()
            .unwrap()
            .to_string();
        // Within the grace period the request might still be running.
        t.app.dispatch_commands(t.clock.now()).await;
        assert_eq!(
            order_json(&t, &buyer, &id).await["state"],
            "pending_payment"
        );
        t.clock.advance(jiff::SignedDuration::from_mins(3));
        t.app.dispatch_commands(t.clock.now()).await;
        assert_eq!(order_json(&t, &buyer, &id).await["state"], "paid");
        assert_eq!(gateway_payments_for(&t, &id).await.len(), 1);
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_lost_capture_answer_is_finished_by_asking_the_gateway() {
    let (t, gateway) = TestApp::with_gateway(FlakyGateway::new).await;
    let (_, listing) = t.seller_with_listing("s@example.com", 3).await;
    let buyer = t.user("b@example.com", "buyer").await;
    gateway.lose_capture_answer.store(true, Ordering::SeqCst);
    let r = t.buy(&buyer, &listing, "4242424242424242").await;
    assert_error(&r, StatusCode::BAD_GATEWAY, "gateway_unavailable");
    gateway.lose_capture_answer.store(false, Ordering::SeqCst);
    let order = the_only_order(&t.get("/api/v1/orders", Some(&buyer)).await.json);
    assert_eq!(order["state"], "pending_payment", "nothing assumed");
    let id = order["id"].as_str().unwrap().to_string();
    t.clock.advance(jiff::SignedDuration::from_mins(3));
    t.app.dispatch_commands(t.clock.now()).await;
    assert_eq!(order_json(&t, &buyer, &id).await["state"], "paid");
    let captures = gateway_payments_for(&t, &id).await;
    assert_eq!(captures.len(), 1);
    assert_eq!(captures[0].captured_minor, 4_500);
    t.verify_clean().await;
}

#[tokio::test]
async fn a_checkout_the_gateway_never_saw_is_cancelled_and_its_stock_released() {
    let (t, gateway) = TestApp::with_gateway(FlakyGateway::new).await;
    let (_, listing) = t.seller_with_listing("s@example.com", 1).await;
    let buyer = t.user("b@example.com", "buyer").await;
    gateway.down.store(true, Ordering::SeqCst);
    let r = t.buy(&buyer, &listing, "4242424242424242").await;
    assert_error(&r, StatusCode::BAD_GATEWAY, "gateway_unavailable");
    let id = the_only_order(&t.get("/api/v1/orders", Some(&buyer)).await.json)["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The gateway is down: the command keeps trying, it does not guess.
    t.clock.advance(jiff::SignedDuration::from_mins(3));
    assert_eq!(t.app.dispatch_commands(t.clock.now()).await.retrying, 1);
    gateway.down.store(false, Ordering::SeqCst);
    t.clock.advance(jiff::SignedDuration::from_mins(1));
    t.app.dispatch_commands(t.clock.now()).await;
    let order = order_json(&t, &buyer, &id).await;
    assert_eq!(order["state"], "cancelled");
    assert_eq!(order["close_reason"], "payment_not_completed");
    let listing_now = t.get(&format!("/api/v1/listings/{listing}"), None).await;
    assert_eq!(listing_now.json["stock"], 1, "stock released");
    assert!(t.app.store.scan_entries(0, 10).await.unwrap().is_empty());
    t.verify_clean().await;
}

#[tokio::test]
async fn a_declined_card_cancels_the_order_and_a_replay_is_declined_again() {
    for t in on_every_backend().await {
        let (_, listing) = t.seller_with_listing("s@example.com", 1).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let body = checkout_body(&listing, 1, "4000000000000002");
        let r = t
            .post_idem("/api/v1/orders", &buyer, "d1", body.clone())
            .await;
        assert_error(&r, StatusCode::PAYMENT_REQUIRED, "payment_declined");
        let r = t.post_idem("/api/v1/orders", &buyer, "d1", body).await;
        assert_error(&r, StatusCode::PAYMENT_REQUIRED, "payment_declined");
        let order = the_only_order(&t.get("/api/v1/orders", Some(&buyer)).await.json);
        assert_eq!(order["state"], "cancelled");
        assert_eq!(order["close_reason"], "payment_declined");
        let listing_now = t.get(&format!("/api/v1/listings/{listing}"), None).await;
        assert_eq!(listing_now.json["stock"], 1);
        assert!(t.app.store.scan_entries(0, 10).await.unwrap().is_empty());
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_double_submitted_challenge_leaves_one_paid_order_and_no_refund() {
    for t in on_every_backend().await {
        let (_, listing) = t.seller_with_listing("s@example.com", 3).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let r = t.buy(&buyer, &listing, "4000002760003184").await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.json);
        let id = r.json["id"].as_str().unwrap().to_string();
        let path = format!("/api/v1/orders/{id}/challenge");
        let code = json!({"code": "424242"});
        let (a, b) = tokio::join!(
            t.post(&path, Some(&buyer), code.clone()),
            t.post(&path, Some(&buyer), code.clone())
        );
        for r in [&a, &b] {
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
            assert_eq!(r.json["state"], "paid");
        }
        t.advance_hours(2);
        t.app.dispatch_commands(t.clock.now()).await;
        let captures = gateway_payments_for(&t, &id).await;
        assert_eq!(captures.len(), 1);
        assert_eq!(captures[0].refunded_minor, 0, "no refund");
        let commands = t
            .app
            .store
            .commands_for_order(id.parse().unwrap())
            .await
            .unwrap();
        assert!(
            commands.iter().all(|c| c.kind != "gateway.refund"),
            "{commands:?}"
        );
        assert_eq!(
            the_only_order(&t.get("/api/v1/orders", Some(&buyer)).await.json)["state"],
            "paid"
        );
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn five_wrong_codes_decline_the_payment_and_release_the_stock() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 1).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let id = t.buy(&buyer, &listing, "4000002760003184").await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/orders/{id}/challenge");
    for attempt in 1..=5 {
        let r = t.post(&path, Some(&buyer), json!({"code": "000000"})).await;
        assert_error(&r, StatusCode::PAYMENT_REQUIRED, "payment_declined");
        let state = order_json(&t, &buyer, &id).await["state"].clone();
        let expected = if attempt < 5 {
            "pending_payment"
        } else {
            "cancelled"
        };
        assert_eq!(state, expected, "after {attempt} wrong codes");
    }
    let r = t.post(&path, Some(&buyer), json!({"code": "424242"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.json);
    let listing_now = t.get(&format!("/api/v1/listings/{listing}"), None).await;
    assert_eq!(listing_now.json["stock"], 1);
    t.verify_clean().await;
}

#[tokio::test]
async fn a_capture_that_lands_after_the_order_expired_is_refunded_in_full() {
    for t in on_every_backend().await {
        let (_, listing) = t.seller_with_listing("s@example.com", 1).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let id = t.buy(&buyer, &listing, "4000002760003184").await.json["id"]
            .as_str()
            .unwrap()
            .to_string();
        // The buyer passes the challenge and the card is captured, but the
        // server dies before recording it...
        t.app.failpoints.arm(AFTER_CAPTURE, FailAction::Error);
        let r = t
            .post(
                &format!("/api/v1/orders/{id}/challenge"),
                Some(&buyer),
                json!({"code": "424242"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        t.app.failpoints.disarm(AFTER_CAPTURE);
        // ...and nobody comes back before the order expires.
        t.clock.advance(jiff::SignedDuration::from_mins(31));
        t.tick().await;
        t.clock.advance(jiff::SignedDuration::from_mins(1));
        t.tick().await;
        let order = order_json(&t, &buyer, &id).await;
        assert_eq!(order["state"], "cancelled");
        let payment = &gateway_payments_for(&t, &id).await[0];
        assert_eq!(payment.captured_minor, 4_500);
        assert_eq!(payment.refunded_minor, 4_500, "the whole capture went back");
        let listing_now = t.get(&format!("/api/v1/listings/{listing}"), None).await;
        assert_eq!(listing_now.json["stock"], 1);
        t.verify_clean().await;
    }
}

/// A paid order whose seller missed the ship-by date while the gateway was
/// down: its refund is queued. Returns (buyer token, order id).
async fn refund_queued_while_down(t: &TestApp, gateway: &FlakyGateway) -> (String, String) {
    let (_, listing) = t.seller_with_listing("s@example.com", 3).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let order = t.buy(&buyer, &listing, "4242424242424242").await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    gateway.down.store(true, Ordering::SeqCst);
    t.advance_days(4);
    t.tick().await;
    assert_eq!(order_json(t, &buyer, &order).await["state"], "cancelled");
    (buyer, order)
}

#[tokio::test]
async fn refunds_survive_gateway_failures_and_are_paid_once() {
    let (t, gateway) = TestApp::with_gateway(FlakyGateway::new).await;
    let (_, order) = refund_queued_while_down(&t, &gateway).await;
    let order_id: OrderId = order.parse().unwrap();
    let queued: Vec<_> = t
        .app
        .store
        .commands_for_order(order_id)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.kind == "gateway.refund")
        .collect();
    assert_eq!(queued.len(), 1, "queued, not lost");
    assert_eq!(queued[0].state, CommandState::Pending);
    assert!(
        queued[0].last_error.contains("unavailable"),
        "{:?}",
        queued[0]
    );
    // Retried after its backoff, not before (the notices' emails about
    // the cancellation go out meanwhile).
    let early = t.app.dispatch_commands(t.clock.now()).await;
    assert_eq!(early.retrying + early.dead, 0, "{early:?}");
    let refund = t.app.store.command(queued[0].id).await.unwrap().unwrap();
    assert_eq!(
        (refund.state, refund.attempts),
        (CommandState::Pending, queued[0].attempts),
        "not tried again before its backoff"
    );
    gateway.down.store(false, Ordering::SeqCst);
    t.clock.advance(jiff::SignedDuration::from_secs(30));
    assert_eq!(t.app.dispatch_commands(t.clock.now()).await.done, 1);
    t.clock.advance(jiff::SignedDuration::from_hours(2));
    assert_eq!(
        t.app.dispatch_commands(t.clock.now()).await.done,
        0,
        "sent once"
    );
    let key = format!("order:{order}:refund");
    assert_eq!(gateway.refund_calls.lock().unwrap().get(&key), Some(&1));
    assert_eq!(
        gateway_payments_for(&t, &order).await[0].refunded_minor,
        4_500
    );
    t.verify_clean().await;
}

#[tokio::test]
async fn two_dispatchers_on_two_nodes_send_each_refund_once() {
    for t in on_every_backend().await {
        let (_, listing) = t.seller_with_listing("s@example.com", 40).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let mut orders = Vec::new();
        for _ in 0..20 {
            let r = t.buy(&buyer, &listing, "4242424242424242").await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
            orders.push(r.json["id"].as_str().unwrap().to_string());
        }
        // Let the ship-by deadline lapse: 20 refunds queue at once.
        t.advance_days(4);
        let node = t.another_node().await;
        // Timers on one node only; the refunds wait for the dispatchers.
        t.app.fire_due_timers(t.clock.now()).await.unwrap();
        let (a, b) = tokio::join!(
            t.app.dispatch_commands(t.clock.now()),
            node.app.dispatch_commands(t.clock.now())
        );
        assert!(a.done + b.done >= 20, "{a:?} {b:?}");
        for order in &orders {
            let payments = gateway_payments_for(&t, order).await;
            assert_eq!(payments.len(), 1);
            assert_eq!(payments[0].refunded_minor, 4_500, "refunded in full");
            assert_eq!(payments[0].refunds.len(), 1);
            assert_eq!(payments[0].refunds[0].requests, 1, "sent once");
        }
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_chargeback_cancels_a_queued_refund_so_the_buyer_is_not_paid_twice() {
    let (t, gateway) = TestApp::with_gateway(FlakyGateway::new).await;
    let (_, order) = refund_queued_while_down(&t, &gateway).await;
    let payment_ref = t
        .app
        .store
        .order(order.parse().unwrap())
        .await
        .unwrap()
        .unwrap()
        .payment
        .unwrap()
        .payment_ref;
    let notice = json!({"type": "chargeback.created", "order_id": order, "payment_ref": payment_ref, "amount_minor": 4_500, "reason": "fraud"});
    let r = t.chargeback(&notice).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let commands = t
        .app
        .store
        .commands_for_order(order.parse().unwrap())
        .await
        .unwrap();
    let refund = commands
        .iter()
        .find(|c| c.kind == "gateway.refund")
        .unwrap();
    assert_eq!(refund.state, CommandState::Cancelled);
    gateway.down.store(false, Ordering::SeqCst);
    t.clock.advance(jiff::SignedDuration::from_hours(2));
    t.app.dispatch_commands(t.clock.now()).await;
    assert!(
        gateway.refund_calls.lock().unwrap().is_empty(),
        "no refund sent"
    );
    let evidence = t
        .app
        .store
        .commands_for_order(order.parse().unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == "gateway.chargeback_evidence")
        .expect("evidence queued");
    assert_eq!(evidence.state, CommandState::Done, "{evidence:?}");
    t.verify_clean().await;
}

#[tokio::test]
async fn an_expired_challenge_releases_the_authorisation() {
    let (t, gateway) = TestApp::with_gateway(FlakyGateway::new).await;
    let (_, listing) = t.seller_with_listing("s@example.com", 3).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let r = t.buy(&buyer, &listing, "4000002760003184").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    t.clock.advance(jiff::SignedDuration::from_mins(31));
    assert_eq!(t.tick().await.fired, 1);
    let voided = gateway.void_calls.lock().unwrap().clone();
    assert_eq!(voided.len(), 1, "{voided:?}");
    let payment = t.app.gateway.payment(&voided[0]).await.unwrap().unwrap();
    assert_eq!(payment.state, PaymentState::Voided);
    // The capture command, at the deadline, finds it settled.
    t.clock.advance(jiff::SignedDuration::from_mins(5));
    t.app.dispatch_commands(t.clock.now()).await;
    assert_eq!(gateway.void_calls.lock().unwrap().len(), 1, "voided once");
}
