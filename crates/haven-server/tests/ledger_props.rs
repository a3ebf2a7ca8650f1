//! Property: random order histories driven through the real router and store
//! (shipping, scans, confirmations, cancellations, clock jumps that fire
//! timers, payouts and replayed requests) never break a ledger invariant,
//! never answer 5xx, and a replay never moves money twice.

mod common;

use axum::http::StatusCode;
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
enum Step {
    Ship,
    Scan(&'static str),
    Confirm { second: bool },
    RequestCancel,
    RespondCancel { accept: bool },
    AdvanceHours(i64),
    Payout(i64),
    ReplayLast,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Ship),
        3 => prop::sample::select(vec!["in_transit", "out_for_delivery", "delivered", "exception"]).prop_map(Step::Scan),
        2 => any::<bool>().prop_map(|second| Step::Confirm { second }),
        1 => Just(Step::RequestCancel),
        1 => any::<bool>().prop_map(|accept| Step::RespondCancel { accept }),
        3 => (1_i64..24 * 20).prop_map(Step::AdvanceHours),
        1 => (1_i64..20_000).prop_map(Step::Payout),
        2 => Just(Step::ReplayLast),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Party {
    Buyer,
    Seller,
}

struct Case<'a> {
    t: &'a TestApp,
    buyer: String,
    seller: String,
    order: String,
    tracking: String,
    /// (path, party, key, body, first response) of the last POST.
    last: Option<(String, Party, String, Value, Response)>,
    key_seq: u32,
}

impl Case<'_> {
    /// The party's current session (re-issued after every clock jump).
    fn token(&self, party: Party) -> String {
        match party {
            Party::Buyer => self.buyer.clone(),
            Party::Seller => self.seller.clone(),
        }
    }

    async fn post(&mut self, path: String, party: Party, body: Value) -> Response {
        self.key_seq += 1;
        let key = format!("k-{}-{}", self.order, self.key_seq);
        let r = self
            .t
            .post_idem(&path, &self.token(party), &key, body.clone())
            .await;
        assert!(!r.status.is_server_error(), "{path}: {:?}", r.json);
        self.last = Some((path, party, key, body, r.clone()));
        r
    }

    async fn run(&mut self, step: Step) {
        let order = self.order.clone();
        match step {
            Step::Ship => {
                let body = json!({"carrier": "simpost", "tracking_number": self.tracking});
                self.post(format!("/api/v1/orders/{order}/ship"), Party::Seller, body)
                    .await;
            }
            Step::Scan(status) => {
                let r = self.t.scan(&self.tracking, status).await;
                assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
            }
            Step::Confirm { second } => {
                self.post(
                    format!("/api/v1/orders/{order}/confirm"),
                    Party::Buyer,
                    json!({"second_confirmation": second}),
                )
                .await;
            }
            Step::RequestCancel => {
                self.post(
                    format!("/api/v1/orders/{order}/cancel-request"),
                    Party::Buyer,
                    json!({}),
                )
                .await;
            }
            Step::RespondCancel { accept } => {
                self.post(
                    format!("/api/v1/orders/{order}/cancel-response"),
                    Party::Seller,
                    json!({"accept": accept}),
                )
                .await;
            }
            Step::AdvanceHours(hours) => {
                self.t.advance_hours(hours);
                self.t.tick().await;
                // Sessions last 30 days; keep both parties logged in.
                self.buyer = self.t.login("buyer@example.com").await;
                self.seller = self.t.login("seller@example.com").await;
            }
            Step::Payout(amount_minor) => {
                self.post(
                    "/api/v1/seller/payouts".into(),
                    Party::Seller,
                    json!({"amount_minor": amount_minor}),
                )
                .await;
            }
            Step::ReplayLast => self.replay().await,
        }
    }

    /// The same request with the same key: the same answer, no new money.
    async fn replay(&mut self) {
        let Some((path, party, key, body, first)) = self.last.clone() else {
            return;
        };
        if !first.status.is_success() {
            return;
        }
        let entries_before = self
            .t
            .app
            .store
            .scan_entries(0, 100_000)
            .await
            .unwrap()
            .len();
        let again = self
            .t
            .post_idem(&path, &self.token(party), &key, body)
            .await;
        assert_eq!(
            (again.status, &again.json),
            (first.status, &first.json),
            "{path}"
        );
        assert_eq!(
            self.t
                .app
                .store
                .scan_entries(0, 100_000)
                .await
                .unwrap()
                .len(),
            entries_before,
            "a replay moved money"
        );
    }

    async fn check_order_money(&self) {
        let order = self
            .t
            .app
            .store
            .order(self.order.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        let escrow = self
            .t
            .balance(&format!("escrow:order:{}", self.order))
            .await;
        let out = order.released_minor + order.commission_minor + order.refunded_minor;
        assert!(
            out <= order.total.amount_minor,
            "paid out more than paid in"
        );
        assert_eq!(escrow, order.escrow_minor(), "ledger and order disagree");
        assert!(escrow >= 0);
        if order.state.is_closed() {
            assert_eq!(escrow, 0, "closed order still holds money");
        }
        if order.released_minor > 0 && order.delivered_at.is_none() {
            assert_eq!(
                order.close_reason.as_deref(),
                Some("buyer_confirmed"),
                "released without a scan or a buyer's confirmation"
            );
        }
    }
}

#[test]
fn random_order_histories_keep_the_ledger_sound() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let t = rt.block_on(TestApp::sqlite());
    let listing = rt.block_on(async {
        let (_, listing) = t.seller_with_listing("seller@example.com", 100_000).await;
        t.user("buyer@example.com", "buyer").await;
        listing
    });
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(step(), 1..14), |steps| {
        rt.block_on(async {
            let buyer = t.login("buyer@example.com").await;
            let seller = t.login("seller@example.com").await;
            let r = t.buy(&buyer, &listing, "4242424242424242").await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
            let order = r.json["id"].as_str().unwrap().to_string();
            let mut case = Case {
                t: &t,
                buyer,
                seller,
                order,
                tracking: tracking_number(),
                last: None,
                key_seq: 0,
            };
            for step in steps {
                case.run(step).await;
                case.check_order_money().await;
            }
        });
        Ok(())
    });
    result.unwrap();
    rt.block_on(t.verify_clean());
}
