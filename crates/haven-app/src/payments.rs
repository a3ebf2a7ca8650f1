//! The payment gateway boundary.
//!
//! Checkout authorises first, commits the order and escrow entry, then
//! captures; if the commit fails (say the last unit sold a moment earlier) the
//! authorisation is voided, so no card is charged for an order that does not
//! exist. Refunds are keyed so a retried refund is not paid twice.

use async_trait::async_trait;
use haven_domain::money::Money;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardDetails {
    pub number: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub cvc: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    Approved {
        payment_ref: String,
        card_last4: String,
    },
    /// The issuer wants the cardholder verified (3-D Secure style).
    ChallengeRequired {
        payment_ref: String,
        card_last4: String,
    },
    Declined {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("payment declined: {0}")]
    Declined(String),
    #[error("unknown payment {0}")]
    UnknownPayment(String),
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
}

#[async_trait]
pub trait PaymentGateway: Send + Sync + 'static {
    /// Ledger account suffix: money from this gateway flows via `gateway:<name>`.
    fn name(&self) -> &'static str;
    async fn authorize(
        &self,
        card: &CardDetails,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<Authorization, GatewayError>;
    /// Finish a challenge with the code the cardholder entered.
    async fn complete_challenge(&self, payment_ref: &str, code: &str) -> Result<(), GatewayError>;
    async fn capture(&self, payment_ref: &str, amount: Money) -> Result<(), GatewayError>;
    async fn void(&self, payment_ref: &str) -> Result<(), GatewayError>;
    async fn refund(
        &self,
        payment_ref: &str,
        amount: Money,
        idempotency_key: &str,
    ) -> Result<(), GatewayError>;
    /// Answer a chargeback with Haven's evidence bundle (JSON).
    async fn submit_chargeback_evidence(
        &self,
        payment_ref: &str,
        bundle: &[u8],
    ) -> Result<(), GatewayError>;
    /// For simulated networks only: a payment that will be charged back, and
    /// after how long. Real gateways report chargebacks by webhook instead.
    fn simulated_chargeback_after(
        &self,
        _payment_ref: &str,
    ) -> Option<haven_domain::SignedDuration> {
        None
    }
}

/// The test network files card `…0259`'s chargeback this long after capture,
/// after a normal release, so the demo shows recovery from the seller.
pub const TEST_CHARGEBACK_AFTER_DAYS: i64 = 20;

/// Simulated card network with Stripe-like test numbers. Stateless: the
/// outcome is a function of the card number, and the challenge code is fixed,
/// so it behaves the same across restarts and on every node.
#[derive(Debug, Default, Clone)]
pub struct TestCardGateway;

pub const TEST_CARD_OK: &str = "4242424242424242";
pub const TEST_CARD_DECLINED: &str = "4000000000000002";
pub const TEST_CARD_CHALLENGE: &str = "4000002760003184";
pub const TEST_CARD_CHARGEBACK: &str = "4000000000000259";
/// The one-time code the simulated issuer accepts on its challenge page.
pub const TEST_CHALLENGE_CODE: &str = "424242";

fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

impl TestCardGateway {
    fn reference(kind: &str) -> String {
        format!("tc_{kind}_{}", uuid::Uuid::now_v7().simple())
    }
}

#[async_trait]
impl PaymentGateway for TestCardGateway {
    fn name(&self) -> &'static str {
        "testcard"
    }

    async fn authorize(
        &self,
        card: &CardDetails,
        amount: Money,
        _key: &str,
    ) -> Result<Authorization, GatewayError> {
        let number: String = card
            .number
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if number.len() < 12
            || number.len() > 19
            || !number.bytes().all(|b| b.is_ascii_digit())
            || !luhn_valid(&number)
        {
            return Ok(Authorization::Declined {
                reason: "invalid card number".into(),
            });
        }
        if !(1..=12).contains(&card.exp_month)
            || card.cvc.len() < 3
            || card.cvc.len() > 4
            || amount.amount_minor <= 0
        {
            return Ok(Authorization::Declined {
                reason: "invalid card details".into(),
            });
        }
        let card_last4 = number[number.len() - 4..].to_string();
        Ok(match number.as_str() {
            TEST_CARD_DECLINED => Authorization::Declined {
                reason: "your card was declined".into(),
            },
            TEST_CARD_CHALLENGE => Authorization::ChallengeRequired {
                payment_ref: Self::reference("3ds"),
                card_last4,
            },
            TEST_CARD_CHARGEBACK => Authorization::Approved {
                payment_ref: Self::reference("cb"),
                card_last4,
            },
            TEST_CARD_OK => Authorization::Approved {
                payment_ref: Self::reference("ok"),
                card_last4,
            },
            _ => Authorization::Declined {
                reason: "test mode accepts only the documented test cards".into(),
            },
        })
    }

    async fn complete_challenge(&self, payment_ref: &str, code: &str) -> Result<(), GatewayError> {
        if !payment_ref.starts_with("tc_3ds_") {
            return Err(GatewayError::UnknownPayment(payment_ref.into()));
        }
        if code.trim() == TEST_CHALLENGE_CODE {
            Ok(())
        } else {
            Err(GatewayError::Declined("verification failed".into()))
        }
    }

    async fn capture(&self, payment_ref: &str, _amount: Money) -> Result<(), GatewayError> {
        if payment_ref.starts_with("tc_") {
            Ok(())
        } else {
            Err(GatewayError::UnknownPayment(payment_ref.into()))
        }
    }

    async fn void(&self, _payment_ref: &str) -> Result<(), GatewayError> {
        Ok(())
    }

    async fn refund(
        &self,
        payment_ref: &str,
        _amount: Money,
        _key: &str,
    ) -> Result<(), GatewayError> {
        if payment_ref.starts_with("tc_") {
            Ok(())
        } else {
            Err(GatewayError::UnknownPayment(payment_ref.into()))
        }
    }

    async fn submit_chargeback_evidence(
        &self,
        payment_ref: &str,
        bundle: &[u8],
    ) -> Result<(), GatewayError> {
        if !payment_ref.starts_with("tc_") {
            return Err(GatewayError::UnknownPayment(payment_ref.into()));
        }
        serde_json::from_slice::<serde_json::Value>(bundle)
            .map(|_| ())
            .map_err(|e| GatewayError::Declined(format!("bundle is not JSON: {e}")))
    }

    fn simulated_chargeback_after(
        &self,
        payment_ref: &str,
    ) -> Option<haven_domain::SignedDuration> {
        payment_ref
            .starts_with("tc_cb_")
            .then(|| haven_domain::SignedDuration::from_hours(24 * TEST_CHARGEBACK_AFTER_DAYS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use haven_domain::money::Currency;

    fn card(number: &str) -> CardDetails {
        CardDetails {
            number: number.into(),
            exp_month: 12,
            exp_year: 2030,
            cvc: "123".into(),
        }
    }

    #[tokio::test]
    async fn the_four_test_cards_behave_as_documented() {
        let gateway = TestCardGateway;
        let amount = Money::new(1_000, Currency::USD);
        let auth = |n: &'static str| {
            let gateway = gateway.clone();
            async move { gateway.authorize(&card(n), amount, "k").await.unwrap() }
        };
        assert!(matches!(
            auth("4242 4242 4242 4242").await,
            Authorization::Approved { .. }
        ));
        assert!(matches!(
            auth(TEST_CARD_DECLINED).await,
            Authorization::Declined { .. }
        ));
        assert!(matches!(
            auth(TEST_CARD_CHARGEBACK).await,
            Authorization::Approved { .. }
        ));
        let Authorization::ChallengeRequired { payment_ref, .. } = auth(TEST_CARD_CHALLENGE).await
        else {
            panic!()
        };
        assert!(
            gateway
                .complete_challenge(&payment_ref, "000000")
                .await
                .is_err()
        );
        assert!(
            gateway
                .complete_challenge(&payment_ref, TEST_CHALLENGE_CODE)
                .await
                .is_ok()
        );
        assert!(
            matches!(
                auth("4242424242424241").await,
                Authorization::Declined { .. }
            ),
            "Luhn"
        );
    }
}
