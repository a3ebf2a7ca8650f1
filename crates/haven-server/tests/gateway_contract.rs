//! The payment gateway's written contract (payments.rs), enforced by the
//! test card network on both databases its books can live in.

mod common;

use common::*;
use haven_app::payments::{
    Authorization, CardDetails, GatewayError, MAX_CHALLENGE_ATTEMPTS, PaymentGateway,
    PaymentRequest, PaymentState, TEST_CARD_CHALLENGE, TEST_CARD_OK, TEST_CHALLENGE_CODE,
};
use haven_domain::money::{Currency, Money};

fn card(number: &str) -> CardDetails {
    CardDetails {
        number: number.into(),
        exp_month: 12,
        exp_year: 2031,
        cvc: "123".into(),
    }
}

fn usd(amount_minor: i64) -> Money {
    Money::new(amount_minor, Currency::USD)
}

async fn authorize(
    gateway: &dyn PaymentGateway,
    card: &CardDetails,
    amount: Money,
    key: &str,
) -> Result<Authorization, GatewayError> {
    gateway
        .authorize(PaymentRequest {
            card,
            amount,
            idempotency_key: key,
            order_ref: "order-1",
            capture: false,
            require_challenge: false,
        })
        .await
}

fn approved_ref(auth: Authorization) -> String {
    match auth {
        Authorization::Approved { payment_ref, .. } => payment_ref,
        other => panic!("expected approval, got {other:?}"),
    }
}

#[tokio::test]
async fn the_same_key_is_the_same_payment_and_a_second_capture_fails() {
    for t in on_every_backend().await {
        let gateway = t.app.gateway.as_ref();
        let ok = card(TEST_CARD_OK);
        let first = approved_ref(authorize(gateway, &ok, usd(1_000), "k").await.unwrap());
        let again = approved_ref(authorize(gateway, &ok, usd(1_000), "k").await.unwrap());
        assert_eq!(first, again, "one authorisation per key");
        assert_eq!(
            authorize(gateway, &ok, usd(2_000), "k").await,
            Err(GatewayError::KeyReused)
        );
        // Concurrent first calls with one key still make one payment.
        let (a, b) = tokio::join!(
            authorize(gateway, &ok, usd(500), "race"),
            authorize(gateway, &ok, usd(500), "race")
        );
        assert_eq!(approved_ref(a.unwrap()), approved_ref(b.unwrap()));

        assert_eq!(
            gateway.capture(&first, usd(1_001)).await,
            Err(GatewayError::Refused(
                "capture must be within the authorised amount".into()
            ))
        );
        gateway.capture(&first, usd(1_000)).await.unwrap();
        assert_eq!(
            gateway.capture(&first, usd(1_000)).await,
            Err(GatewayError::AlreadyCaptured)
        );
        assert_eq!(
            gateway.void(&first).await,
            Err(GatewayError::AlreadyCaptured)
        );
        let found = gateway.payment_for_key("k").await.unwrap().unwrap();
        assert_eq!(found.state, PaymentState::Captured);
        assert_eq!(found.captured_minor, 1_000);

        // Authorise-and-capture in one call: captured, and only once.
        let auth = gateway
            .authorize(PaymentRequest {
                card: &ok,
                amount: usd(700),
                idempotency_key: "at-once",
                order_ref: "order-2",
                capture: true,
                require_challenge: false,
            })
            .await
            .unwrap();
        let Authorization::Approved {
            payment_ref,
            captured: true,
            ..
        } = auth
        else {
            panic!("{auth:?}")
        };
        assert_eq!(
            gateway.capture(&payment_ref, usd(700)).await,
            Err(GatewayError::AlreadyCaptured)
        );
    }
}

#[tokio::test]
async fn refunds_are_once_per_key_and_never_exceed_the_capture() {
    for t in on_every_backend().await {
        let gateway = t.app.gateway.as_ref();
        let payment = approved_ref(
            authorize(gateway, &card(TEST_CARD_OK), usd(1_000), "k")
                .await
                .unwrap(),
        );
        assert!(
            matches!(
                gateway.refund(&payment, usd(100), "r0").await,
                Err(GatewayError::Refused(_))
            ),
            "nothing captured yet"
        );
        gateway.capture(&payment, usd(1_000)).await.unwrap();
        gateway.refund(&payment, usd(600), "r1").await.unwrap();
        gateway.refund(&payment, usd(600), "r1").await.unwrap();
        assert_eq!(
            gateway.refund(&payment, usd(500), "r1").await,
            Err(GatewayError::KeyReused)
        );
        assert!(matches!(
            gateway.refund(&payment, usd(401), "r2").await,
            Err(GatewayError::Refused(_))
        ));
        gateway.refund(&payment, usd(400), "r2").await.unwrap();
        let found = gateway.payment(&payment).await.unwrap().unwrap();
        assert_eq!(found.refunded_minor, 1_000);
        let r1 = found.refunds.iter().find(|r| r.key == "r1").unwrap();
        assert_eq!(
            (r1.amount_minor, r1.requests),
            (600, 2),
            "carried out once, asked twice"
        );
    }
}

#[tokio::test]
async fn expired_cards_are_declined() {
    let t = TestApp::sqlite().await;
    let mut expired = card(TEST_CARD_OK);
    expired.exp_month = 1;
    expired.exp_year = 2020;
    let auth = authorize(t.app.gateway.as_ref(), &expired, usd(1_000), "k")
        .await
        .unwrap();
    assert_eq!(
        auth,
        Authorization::Declined {
            reason: "your card has expired".into()
        }
    );
}

#[tokio::test]
async fn a_challenge_allows_five_wrong_codes_then_declines_for_good() {
    for t in on_every_backend().await {
        let gateway = t.app.gateway.as_ref();
        let Authorization::ChallengeRequired { payment_ref, .. } =
            authorize(gateway, &card(TEST_CARD_CHALLENGE), usd(1_000), "k")
                .await
                .unwrap()
        else {
            panic!("challenge expected")
        };
        assert!(
            matches!(
                gateway.capture(&payment_ref, usd(1_000)).await,
                Err(GatewayError::Refused(_))
            ),
            "not verified yet"
        );
        for _ in 0..MAX_CHALLENGE_ATTEMPTS {
            assert!(matches!(
                gateway.complete_challenge(&payment_ref, "000000").await,
                Err(GatewayError::Declined(_))
            ));
        }
        assert!(
            matches!(
                gateway
                    .complete_challenge(&payment_ref, TEST_CHALLENGE_CODE)
                    .await,
                Err(GatewayError::Declined(_))
            ),
            "the right code is too late"
        );
        let found = gateway.payment(&payment_ref).await.unwrap().unwrap();
        assert_eq!(found.state, PaymentState::Declined);
    }
}
