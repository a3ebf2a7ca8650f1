//! What happens when the payment gateway fails: no order without captured
//! money, and no refund lost or paid twice.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::http::StatusCode;
use common::*;
use haven_app::payments::{
    Authorization, CardDetails, GatewayError, PaymentGateway, TestCardGateway,
};
use haven_domain::clock::Clock;
use haven_domain::money::Money;

/// The test card network, with switches to make capture or refunds fail.
#[derive(Default)]
struct FlakyGateway {
    inner: TestCardGateway,
    fail_capture: AtomicBool,
    fail_refunds: AtomicBool,
    refunds: Mutex<Vec<(String, i64, String)>>,
    voids: Mutex<Vec<String>>,
}

#[async_trait]
impl PaymentGateway for FlakyGateway {
    fn name(&self) -> &'static str {
        "testcard"
    }
    async fn authorize(
        &self,
        card: &CardDetails,
        amount: Money,
        key: &str,
    ) -> Result<Authorization, GatewayError> {
        self.inner.authorize(card, amount, key).await
    }
    async fn complete_challenge(&self, payment_ref: &str, code: &str) -> Result<(), GatewayError> {
        self.inner.complete_challenge(payment_ref, code).await
    }
    async fn capture(&self, payment_ref: &str, amount: Money) -> Result<(), GatewayError> {
        if self.fail_capture.load(Ordering::SeqCst) {
            return Err(GatewayError::Unavailable("capture timed out".into()));
        }
        self.inner.capture(payment_ref, amount).await
    }
    async fn void(&self, payment_ref: &str) -> Result<(), GatewayError> {
        self.voids.lock().unwrap().push(payment_ref.into());
        Ok(())
    }
    async fn refund(
        &self,
        payment_ref: &str,
        amount: Money,
        key: &str,
    ) -> Result<(), GatewayError> {
        if self.fail_refunds.load(Ordering::SeqCst) {
            return Err(GatewayError::Unavailable("refund timed out".into()));
        }
        self.refunds
            .lock()
            .unwrap()
            .push((payment_ref.into(), amount.amount_minor, key.into()));
        Ok(())
    }
    async fn submit_chargeback_evidence(
        &self,
        payment_ref: &str,
        bundle: &[u8],
    ) -> Result<(), GatewayError> {
        self.inner
            .submit_chargeback_evidence(payment_ref, bundle)
            .await
    }
}

#[tokio::test]
async fn a_failed_capture_creates_no_order_and_releases_the_hold() {
    let gateway = Arc::new(FlakyGateway::default());
    let t = TestApp::with_gateway(gateway.clone()).await;
    let (_, listing) = t.seller_with_listing("s@example.com", 3).await;
    let buyer = t.user("b@example.com", "buyer").await;
    gateway.fail_capture.store(true, Ordering::SeqCst);
    let r = t
        .post_idem(
            "/api/v1/orders",
            &buyer,
            "k1",
            checkout_body(&listing, 1, "4242424242424242"),
        )
        .await;
    assert_error(&r, StatusCode::BAD_GATEWAY, "gateway_unavailable");
    assert_eq!(
        t.get("/api/v1/orders", Some(&buyer)).await.json["items"],
        serde_json::json!([])
    );
    assert!(t.app.store.scan_entries(0, 10).await.unwrap().is_empty());
    assert_eq!(
        gateway.voids.lock().unwrap().len(),
        1,
        "the authorisation hold is released"
    );
    // The same key retried once the gateway recovers: charged and recorded once.
    gateway.fail_capture.store(false, Ordering::SeqCst);
    let r = t
        .post_idem(
            "/api/v1/orders",
            &buyer,
            "k1",
            checkout_body(&listing, 1, "4242424242424242"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    t.verify_clean().await;
}

#[tokio::test]
async fn refunds_survive_gateway_failures_and_are_paid_once() {
    let gateway = Arc::new(FlakyGateway::default());
    let t = TestApp::with_gateway(gateway.clone()).await;
    let (_, listing) = t.seller_with_listing("s@example.com", 3).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let order = t.buy(&buyer, &listing, "4242424242424242").await.json["id"]
        .as_str()
        .unwrap()
        .to_string();
    gateway.fail_refunds.store(true, Ordering::SeqCst);
    t.advance_days(4);
    t.tick().await;
    assert_eq!(
        t.get(&format!("/api/v1/orders/{order}"), Some(&buyer))
            .await
            .json["state"],
        "cancelled"
    );
    assert!(gateway.refunds.lock().unwrap().is_empty());
    let order_id: haven_domain::ids::OrderId = order.parse().unwrap();
    let queued = t.app.store.commands_for_order(order_id).await.unwrap();
    assert_eq!(queued.len(), 1, "queued, not lost");
    assert_eq!(queued[0].kind, "gateway.refund");
    assert_eq!(queued[0].state, haven_store::CommandState::Pending);
    assert!(
        queued[0].last_error.contains("unavailable"),
        "{:?}",
        queued[0]
    );
    // Retried after its backoff, not before.
    assert_eq!(t.app.dispatch_commands(t.clock.now()).await.done, 0);

    gateway.fail_refunds.store(false, Ordering::SeqCst);
    t.clock.advance(jiff::SignedDuration::from_secs(30));
    assert_eq!(t.app.dispatch_commands(t.clock.now()).await.done, 1);
    t.clock.advance(jiff::SignedDuration::from_hours(2));
    assert_eq!(
        t.app.dispatch_commands(t.clock.now()).await.done,
        0,
        "delivered once"
    );
    let refunds = gateway.refunds.lock().unwrap().clone();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].1, 4_500);
    assert_eq!(
        refunds[0].2,
        format!("order:{order}:refund"),
        "keyed by the ledger entry"
    );
    t.verify_clean().await;
}

#[tokio::test]
async fn an_expired_challenge_releases_the_authorisation() {
    let gateway = Arc::new(FlakyGateway::default());
    let t = TestApp::with_gateway(gateway.clone()).await;
    let (_, listing) = t.seller_with_listing("s@example.com", 3).await;
    let buyer = t.user("b@example.com", "buyer").await;
    let r = t.buy(&buyer, &listing, "4000002760003184").await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    t.clock.advance(jiff::SignedDuration::from_mins(31));
    assert_eq!(t.tick().await.fired, 1);
    assert_eq!(gateway.voids.lock().unwrap().len(), 1);
}
