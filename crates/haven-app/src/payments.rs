//! The payment gateway boundary, and the simulated card network.
//!
//! # The contract every gateway keeps
//!
//! Haven's money flow relies on these promises, and [`TestCardGateway`]
//! enforces each of them so the rest of Haven is tested against them:
//!
//! 1. **Idempotent by key.** `authorize` with a key it has seen answers
//!    with the payment that key made (never a second authorisation; a
//!    different amount under the same key is refused). `refund` and
//!    `submit_chargeback_evidence` are carried out once per key.
//! 2. **One capture per authorisation.** A second `capture` fails with
//!    [`GatewayError::AlreadyCaptured`]; capturing more than was
//!    authorised, or a payment that was voided, declined or not yet
//!    verified, is refused.
//! 3. **Refunds never exceed what was captured.**
//! 4. **Expired cards are declined.**
//! 5. **A challenge allows at most [`MAX_CHALLENGE_ATTEMPTS`] wrong codes**;
//!    after that the payment is declined for good.
//! 6. **It can be asked.** `payment_for_key`, `payment` and `captures`
//!    answer what happened, so a crash between a gateway call and Haven's
//!    commit is repaired by asking, never by calling again blindly.
//!
//! Checkout commits the order (`pending_payment`) and its capture command
//! before it calls `authorize`; see `checkout.rs`.

use std::sync::Arc;

use async_trait::async_trait;
use haven_domain::Timestamp;
use haven_domain::clock::Clock;
use haven_domain::money::{Currency, Money};
use haven_store::{Changeset, Conflict, JournalRecord, JournalWrite, Store, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardDetails {
    pub number: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub cvc: String,
}

/// One authorisation request.
#[derive(Debug, Clone, Copy)]
pub struct PaymentRequest<'a> {
    pub card: &'a CardDetails,
    pub amount: Money,
    /// Reused by every retry of the same checkout.
    pub idempotency_key: &'a str,
    /// What Haven attaches to the payment (the order id), so a capture
    /// can be traced back to its order.
    pub order_ref: &'a str,
    /// Capture at once if no challenge is needed (one call instead of two).
    pub capture: bool,
    /// Haven's fraud checks ask for the cardholder to be verified (3-D
    /// Secure) even if the issuer would not.
    pub require_challenge: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authorization {
    Approved {
        payment_ref: String,
        card_last4: String,
        /// Captured already (the request asked for it).
        captured: bool,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Waiting for the cardholder's one-time code.
    ChallengePending,
    Authorized,
    Captured,
    Voided,
    Declined,
}

/// What a gateway knows about one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayPayment {
    pub payment_ref: String,
    pub idempotency_key: String,
    pub order_ref: String,
    pub state: PaymentState,
    pub amount: Money,
    pub card_last4: String,
    pub captured_minor: i64,
    pub refunded_minor: i64,
    /// Each refund carried out: its key, amount, and how many times the
    /// key was sent (a gateway that cannot tell reports 1).
    pub refunds: Vec<GatewayRefund>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayRefund {
    pub key: String,
    pub amount_minor: i64,
    pub requests: u32,
}

/// Captured payments in the order the gateway made them.
#[derive(Debug, Clone, Default)]
pub struct CapturePage {
    pub items: Vec<GatewayPayment>,
    /// Pass back to get the next page; `None` at the end.
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("payment declined: {0}")]
    Declined(String),
    #[error("unknown payment {0}")]
    UnknownPayment(String),
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
    #[error("the payment was already captured")]
    AlreadyCaptured,
    #[error("this idempotency key was used for a different request")]
    KeyReused,
    /// A request the contract forbids (refunding more than was captured,
    /// capturing an unverified payment).
    #[error("refused: {0}")]
    Refused(String),
}

#[async_trait]
pub trait PaymentGateway: Send + Sync + 'static {
    /// Ledger account suffix: money from this gateway flows via `gateway:<name>`.
    fn name(&self) -> &'static str;
    /// The issuing country of a card, by its BIN (first six digits), if
    /// the gateway knows it.
    fn card_country(&self, _bin: &str) -> Option<String> {
        None
    }
    /// A card number published for testing and shared by every tester: it
    /// identifies nobody, so the fraud checks give it no card identity.
    fn is_shared_test_card(&self, _number: &str) -> bool {
        false
    }
    async fn authorize(&self, request: PaymentRequest<'_>) -> Result<Authorization, GatewayError>;
    /// Finish a challenge with the code the cardholder entered. A payment
    /// already verified answers `Ok` again.
    async fn complete_challenge(&self, payment_ref: &str, code: &str) -> Result<(), GatewayError>;
    async fn capture(&self, payment_ref: &str, amount: Money) -> Result<(), GatewayError>;
    /// Release an authorisation that will not be captured. Voiding twice
    /// is fine; voiding a captured payment is refused.
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
        idempotency_key: &str,
    ) -> Result<(), GatewayError>;
    /// The payment an idempotency key made, if any.
    async fn payment_for_key(&self, key: &str) -> Result<Option<GatewayPayment>, GatewayError>;
    async fn payment(&self, payment_ref: &str) -> Result<Option<GatewayPayment>, GatewayError>;
    /// Captured payments created at or after `since`, a page at a time.
    async fn captures(
        &self,
        since: Timestamp,
        after: Option<String>,
        limit: u32,
    ) -> Result<CapturePage, GatewayError>;
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
/// Wrong one-time codes a challenge tolerates before the payment is declined.
pub const MAX_CHALLENGE_ATTEMPTS: u32 = 5;

pub const TEST_CARD_OK: &str = "4242424242424242";
pub const TEST_CARD_DECLINED: &str = "4000000000000002";
pub const TEST_CARD_CHALLENGE: &str = "4000002760003184";
pub const TEST_CARD_CHARGEBACK: &str = "4000000000000259";
/// The one-time code the simulated issuer accepts on its challenge page.
pub const TEST_CHALLENGE_CODE: &str = "424242";

/// Compare-and-swap attempts before a journal write gives up.
const JOURNAL_ATTEMPTS: usize = 16;

/// Simulated card network with Stripe-like test numbers. Its books live in
/// the store's `gateway_journal`, so it answers the same after a restart
/// and on every node, and keeps the contract above the way a real gateway
/// does.
#[derive(Clone)]
pub struct TestCardGateway {
    books: Arc<dyn Books>,
    clock: Arc<dyn Clock>,
}

/// Where the simulated network keeps its books: compare-and-swap rows.
#[async_trait]
trait Books: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<JournalRecord>, StoreError>;
    async fn scan(
        &self,
        kind: &str,
        since: Timestamp,
        after: Option<(Timestamp, String)>,
        limit: u32,
    ) -> Result<Vec<JournalRecord>, StoreError>;
    async fn write(&self, writes: Vec<JournalWrite>) -> Result<(), StoreError>;
}

struct StoreBooks(Arc<dyn Store>);

#[async_trait]
impl Books for StoreBooks {
    async fn get(&self, key: &str) -> Result<Option<JournalRecord>, StoreError> {
        self.0.journal(key).await
    }

    async fn scan(
        &self,
        kind: &str,
        since: Timestamp,
        after: Option<(Timestamp, String)>,
        limit: u32,
    ) -> Result<Vec<JournalRecord>, StoreError> {
        self.0.journal_scan(kind, since, after, limit).await
    }

    async fn write(&self, journal: Vec<JournalWrite>) -> Result<(), StoreError> {
        self.0
            .commit(Changeset {
                journal,
                ..Changeset::default()
            })
            .await
    }
}

/// The same rows and compare-and-swap rules, in this process's memory.
#[derive(Default)]
struct MemoryBooks(std::sync::Mutex<std::collections::HashMap<String, JournalRecord>>);

#[async_trait]
impl Books for MemoryBooks {
    async fn get(&self, key: &str) -> Result<Option<JournalRecord>, StoreError> {
        Ok(self.0.lock().expect("books").get(key).cloned())
    }

    async fn scan(
        &self,
        kind: &str,
        since: Timestamp,
        after: Option<(Timestamp, String)>,
        limit: u32,
    ) -> Result<Vec<JournalRecord>, StoreError> {
        let books = self.0.lock().expect("books");
        let mut rows: Vec<&JournalRecord> = books
            .values()
            .filter(|r| r.kind == kind && r.created_at >= since)
            .filter(|r| {
                after
                    .as_ref()
                    .is_none_or(|(at, key)| (r.created_at, &r.key) > (*at, key))
            })
            .collect();
        rows.sort_by(|a, b| (a.created_at, &a.key).cmp(&(b.created_at, &b.key)));
        Ok(rows.into_iter().take(limit as usize).cloned().collect())
    }

    async fn write(&self, writes: Vec<JournalWrite>) -> Result<(), StoreError> {
        let mut books = self.0.lock().expect("books");
        let stale = writes
            .iter()
            .any(|w| books.get(&w.key).map(|r| r.version) != w.expected_version);
        if stale {
            return Err(StoreError::Conflict(Conflict::StaleJournal));
        }
        for w in writes {
            let (version, created_at) = match books.get(&w.key) {
                Some(r) => (r.version + 1, r.created_at),
                None => (1, w.at),
            };
            books.insert(
                w.key.clone(),
                JournalRecord {
                    key: w.key,
                    kind: w.kind,
                    body: w.body,
                    version,
                    created_at,
                },
            );
        }
        Ok(())
    }
}

/// A payment as the simulated network records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TestPayment {
    payment_ref: String,
    idempotency_key: String,
    order_ref: String,
    state: PaymentState,
    amount_minor: i64,
    currency: String,
    card_last4: String,
    #[serde(default)]
    decline_reason: String,
    #[serde(default)]
    wrong_codes: u32,
    #[serde(default)]
    captured_minor: i64,
    /// Refund key → what it refunded: a key is carried out once, however
    /// often it is sent.
    #[serde(default)]
    refunds: std::collections::BTreeMap<String, TestRefund>,
    /// Evidence key → SHA-256 of the bundle.
    #[serde(default)]
    evidence: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct TestRefund {
    amount_minor: i64,
    /// How many times the key was sent (1 unless a caller repeated it).
    requests: u32,
}

impl TestPayment {
    fn refunded_minor(&self) -> i64 {
        self.refunds.values().map(|r| r.amount_minor).sum()
    }

    fn view(&self, created_at: Timestamp) -> Result<GatewayPayment, GatewayError> {
        let currency = Currency::parse(&self.currency)
            .map_err(|e| GatewayError::Unavailable(format!("unreadable payment: {e}")))?;
        Ok(GatewayPayment {
            payment_ref: self.payment_ref.clone(),
            idempotency_key: self.idempotency_key.clone(),
            order_ref: self.order_ref.clone(),
            state: self.state,
            amount: Money::new(self.amount_minor, currency),
            card_last4: self.card_last4.clone(),
            captured_minor: self.captured_minor,
            refunded_minor: self.refunded_minor(),
            refunds: self
                .refunds
                .iter()
                .map(|(key, r)| GatewayRefund {
                    key: key.clone(),
                    amount_minor: r.amount_minor,
                    requests: r.requests,
                })
                .collect(),
            created_at,
        })
    }

    fn authorization(&self) -> Authorization {
        let payment_ref = self.payment_ref.clone();
        let card_last4 = self.card_last4.clone();
        let captured = self.state == PaymentState::Captured;
        match self.state {
            PaymentState::ChallengePending => Authorization::ChallengeRequired {
                payment_ref,
                card_last4,
            },
            PaymentState::Declined => Authorization::Declined {
                reason: self.decline_reason.clone(),
            },
            _ => Authorization::Approved {
                payment_ref,
                card_last4,
                captured,
            },
        }
    }
}

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

/// A card is good through the last day of its expiry month.
fn card_expired(card: &CardDetails, now: Timestamp) -> bool {
    let today = now.to_zoned(jiff::tz::TimeZone::UTC);
    let year = if card.exp_year < 100 {
        2000 + i32::from(card.exp_year)
    } else {
        i32::from(card.exp_year)
    };
    (year, i32::from(card.exp_month)) < (i32::from(today.year()), i32::from(today.month()))
}

/// What the simulated issuer does with a card: the state it starts in, or
/// why it is declined.
fn screen_card(card: &CardDetails, now: Timestamp) -> Result<(PaymentState, String), String> {
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
        return Err("invalid card number".into());
    }
    if !(1..=12).contains(&card.exp_month) || card.cvc.len() < 3 || card.cvc.len() > 4 {
        return Err("invalid card details".into());
    }
    if card_expired(card, now) {
        return Err("your card has expired".into());
    }
    let last4 = number[number.len() - 4..].to_string();
    match number.as_str() {
        TEST_CARD_DECLINED => Err("your card was declined".into()),
        TEST_CARD_CHALLENGE => Ok((PaymentState::ChallengePending, last4)),
        TEST_CARD_CHARGEBACK | TEST_CARD_OK => Ok((PaymentState::Authorized, last4)),
        _ => Err("test mode accepts only the documented test cards".into()),
    }
}

fn unavailable(err: StoreError) -> GatewayError {
    GatewayError::Unavailable(format!("gateway books: {err}"))
}

fn reference_prefix(number: &str) -> &'static str {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    match digits.as_str() {
        TEST_CARD_CHALLENGE => "tc_3ds_",
        TEST_CARD_CHARGEBACK => "tc_cb_",
        TEST_CARD_OK => "tc_ok_",
        _ => "tc_no_",
    }
}

const PAYMENT: &str = "payment";
const KEY: &str = "key";

impl TestCardGateway {
    /// Books in the store's `gateway_journal`: what the demo and a test
    /// deployment run.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        TestCardGateway {
            books: Arc::new(StoreBooks(store)),
            clock,
        }
    }

    /// Books in memory, standing for a real gateway whose state lives
    /// outside Haven's database (benchmarks). Lost at exit.
    pub fn in_memory(clock: Arc<dyn Clock>) -> Self {
        TestCardGateway {
            books: Arc::new(MemoryBooks::default()),
            clock,
        }
    }

    async fn load(
        &self,
        payment_ref: &str,
    ) -> Result<Option<(TestPayment, i64, Timestamp)>, GatewayError> {
        let Some(record) = self.books.get(payment_ref).await.map_err(unavailable)? else {
            return Ok(None);
        };
        if record.kind != PAYMENT {
            return Ok(None);
        }
        let payment: TestPayment = serde_json::from_value(record.body)
            .map_err(|e| GatewayError::Unavailable(format!("unreadable payment: {e}")))?;
        Ok(Some((payment, record.version, record.created_at)))
    }

    /// Read, change and write back one payment with compare-and-swap,
    /// retrying when another call changed it first. `change` returns what
    /// the call answers and whether anything changed.
    async fn update<T>(
        &self,
        payment_ref: &str,
        mut change: impl FnMut(&mut TestPayment) -> Result<(T, bool), GatewayError>,
    ) -> Result<T, GatewayError> {
        for _ in 0..JOURNAL_ATTEMPTS {
            let (mut payment, version, _) = self
                .load(payment_ref)
                .await?
                .ok_or_else(|| GatewayError::UnknownPayment(payment_ref.into()))?;
            let (answer, changed) = change(&mut payment)?;
            if !changed {
                return Ok(answer);
            }
            let write = JournalWrite {
                key: payment_ref.to_string(),
                kind: PAYMENT.into(),
                body: serde_json::to_value(&payment).expect("payments serialise"),
                expected_version: Some(version),
                at: self.clock.now(),
            };
            match self.commit(vec![write]).await {
                Ok(()) => return Ok(answer),
                Err(StoreError::Conflict(Conflict::StaleJournal)) => continue,
                Err(err) => return Err(unavailable(err)),
            }
        }
        Err(GatewayError::Unavailable("payment is busy; retry".into()))
    }

    async fn commit(&self, journal: Vec<JournalWrite>) -> Result<(), StoreError> {
        self.books.write(journal).await
    }

    /// The payment an earlier call with this key made, as an authorisation.
    async fn replay(
        &self,
        key: &str,
        amount: Money,
    ) -> Result<Option<Authorization>, GatewayError> {
        let Some(existing) = self.payment_for_key(key).await? else {
            return Ok(None);
        };
        if existing.amount != amount {
            return Err(GatewayError::KeyReused);
        }
        let (payment, _, _) = self
            .load(&existing.payment_ref)
            .await?
            .ok_or_else(|| GatewayError::UnknownPayment(existing.payment_ref.clone()))?;
        Ok(Some(payment.authorization()))
    }
}

#[async_trait]
impl PaymentGateway for TestCardGateway {
    fn name(&self) -> &'static str {
        "testcard"
    }

    fn is_shared_test_card(&self, number: &str) -> bool {
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        [
            TEST_CARD_OK,
            TEST_CARD_DECLINED,
            TEST_CARD_CHALLENGE,
            TEST_CARD_CHARGEBACK,
        ]
        .contains(&digits.as_str())
    }

    /// The simulated network issues its Visa test cards in the US.
    fn card_country(&self, bin: &str) -> Option<String> {
        bin.starts_with('4').then(|| "US".to_string())
    }

    async fn authorize(&self, request: PaymentRequest<'_>) -> Result<Authorization, GatewayError> {
        if let Some(answer) = self.replay(request.idempotency_key, request.amount).await? {
            return Ok(answer);
        }
        if request.amount.amount_minor <= 0 {
            return Err(GatewayError::Refused("amount must be positive".into()));
        }
        let now = self.clock.now();
        let (mut state, card_last4, decline_reason) = match screen_card(request.card, now) {
            Ok((state, last4)) => (state, last4, String::new()),
            Err(reason) => (PaymentState::Declined, String::new(), reason),
        };
        if request.require_challenge && state == PaymentState::Authorized {
            state = PaymentState::ChallengePending;
        }
        let capture_now = request.capture && state == PaymentState::Authorized;
        if capture_now {
            state = PaymentState::Captured;
        }
        let payment_ref = format!(
            "{}{}",
            reference_prefix(&request.card.number),
            uuid::Uuid::now_v7().simple()
        );
        let payment = TestPayment {
            payment_ref: payment_ref.clone(),
            idempotency_key: request.idempotency_key.to_string(),
            order_ref: request.order_ref.to_string(),
            state,
            amount_minor: request.amount.amount_minor,
            currency: request.amount.currency.to_string(),
            card_last4,
            decline_reason,
            wrong_codes: 0,
            captured_minor: if capture_now {
                request.amount.amount_minor
            } else {
                0
            },
            refunds: Default::default(),
            evidence: Default::default(),
        };
        let writes = vec![
            JournalWrite {
                key: format!("key:{}", request.idempotency_key),
                kind: KEY.into(),
                body: serde_json::json!({ "payment_ref": payment_ref }),
                expected_version: None,
                at: now,
            },
            JournalWrite {
                key: payment_ref,
                kind: PAYMENT.into(),
                body: serde_json::to_value(&payment).expect("payments serialise"),
                expected_version: None,
                at: now,
            },
        ];
        match self.commit(writes).await {
            Ok(()) => Ok(payment.authorization()),
            // The same key, concurrently: answer with the payment that won.
            Err(StoreError::Conflict(Conflict::StaleJournal)) => self
                .replay(request.idempotency_key, request.amount)
                .await?
                .ok_or_else(|| GatewayError::Unavailable("payment is busy; retry".into())),
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn complete_challenge(&self, payment_ref: &str, code: &str) -> Result<(), GatewayError> {
        let right = code.trim() == TEST_CHALLENGE_CODE;
        self.update(payment_ref, |payment| match payment.state {
            PaymentState::ChallengePending if right => {
                payment.state = PaymentState::Authorized;
                Ok((Ok(()), true))
            }
            PaymentState::ChallengePending => {
                payment.wrong_codes += 1;
                if payment.wrong_codes >= MAX_CHALLENGE_ATTEMPTS {
                    payment.state = PaymentState::Declined;
                    payment.decline_reason = "too many wrong verification codes".into();
                }
                let left = MAX_CHALLENGE_ATTEMPTS.saturating_sub(payment.wrong_codes);
                let message = if left == 0 {
                    "verification failed too many times; the payment is declined".to_string()
                } else {
                    format!("verification failed; {left} attempt(s) left")
                };
                Ok((Err(GatewayError::Declined(message)), true))
            }
            PaymentState::Authorized | PaymentState::Captured => Ok((Ok(()), false)),
            PaymentState::Declined => Ok((
                Err(GatewayError::Declined(payment.decline_reason.clone())),
                false,
            )),
            PaymentState::Voided => Ok((
                Err(GatewayError::Refused("the payment was voided".into())),
                false,
            )),
        })
        .await?
    }

    async fn capture(&self, payment_ref: &str, amount: Money) -> Result<(), GatewayError> {
        self.update(payment_ref, |payment| match payment.state {
            PaymentState::Authorized => {
                if amount.amount_minor <= 0
                    || amount.amount_minor > payment.amount_minor
                    || amount.currency.as_str() != payment.currency
                {
                    return Err(GatewayError::Refused(
                        "capture must be within the authorised amount".into(),
                    ));
                }
                payment.state = PaymentState::Captured;
                payment.captured_minor = amount.amount_minor;
                Ok(((), true))
            }
            PaymentState::Captured => Err(GatewayError::AlreadyCaptured),
            PaymentState::ChallengePending => Err(GatewayError::Refused(
                "the cardholder has not been verified".into(),
            )),
            PaymentState::Voided => Err(GatewayError::Refused("the payment was voided".into())),
            PaymentState::Declined => Err(GatewayError::Declined(payment.decline_reason.clone())),
        })
        .await
    }

    async fn void(&self, payment_ref: &str) -> Result<(), GatewayError> {
        self.update(payment_ref, |payment| match payment.state {
            PaymentState::Authorized | PaymentState::ChallengePending => {
                payment.state = PaymentState::Voided;
                Ok(((), true))
            }
            PaymentState::Voided | PaymentState::Declined => Ok(((), false)),
            PaymentState::Captured => Err(GatewayError::AlreadyCaptured),
        })
        .await
    }

    async fn refund(
        &self,
        payment_ref: &str,
        amount: Money,
        key: &str,
    ) -> Result<(), GatewayError> {
        self.update(payment_ref, |payment| {
            if let Some(done) = payment.refunds.get_mut(key) {
                if done.amount_minor != amount.amount_minor {
                    return Err(GatewayError::KeyReused);
                }
                done.requests += 1;
                return Ok(((), true));
            }
            if payment.state != PaymentState::Captured {
                return Err(GatewayError::Refused(
                    "only a captured payment can be refunded".into(),
                ));
            }
            let refundable = payment.captured_minor - payment.refunded_minor();
            if amount.amount_minor <= 0 || amount.amount_minor > refundable {
                return Err(GatewayError::Refused(format!(
                    "refund of {} exceeds the {refundable} still refundable",
                    amount.amount_minor
                )));
            }
            payment.refunds.insert(
                key.to_string(),
                TestRefund {
                    amount_minor: amount.amount_minor,
                    requests: 1,
                },
            );
            Ok(((), true))
        })
        .await
    }

    async fn submit_chargeback_evidence(
        &self,
        payment_ref: &str,
        bundle: &[u8],
        key: &str,
    ) -> Result<(), GatewayError> {
        serde_json::from_slice::<serde_json::Value>(bundle)
            .map_err(|e| GatewayError::Refused(format!("bundle is not JSON: {e}")))?;
        use sha2::{Digest, Sha256};
        let digest = hex::encode(Sha256::digest(bundle));
        self.update(payment_ref, |payment| {
            if payment.evidence.contains_key(key) {
                return Ok(((), false));
            }
            payment.evidence.insert(key.to_string(), digest.clone());
            Ok(((), true))
        })
        .await
    }

    async fn payment_for_key(&self, key: &str) -> Result<Option<GatewayPayment>, GatewayError> {
        let Some(record) = self
            .books
            .get(&format!("key:{key}"))
            .await
            .map_err(unavailable)?
        else {
            return Ok(None);
        };
        let payment_ref = record.body["payment_ref"].as_str().unwrap_or_default();
        self.payment(payment_ref).await
    }

    async fn payment(&self, payment_ref: &str) -> Result<Option<GatewayPayment>, GatewayError> {
        match self.load(payment_ref).await? {
            Some((payment, _, created_at)) => payment.view(created_at).map(Some),
            None => Ok(None),
        }
    }

    async fn captures(
        &self,
        since: Timestamp,
        after: Option<String>,
        limit: u32,
    ) -> Result<CapturePage, GatewayError> {
        let after = after
            .as_deref()
            .and_then(|cursor| cursor.split_once('_'))
            .and_then(|(ms, key)| {
                let at = Timestamp::from_millisecond(ms.parse().ok()?).ok()?;
                Some((at, key.to_string()))
            });
        let rows = self
            .books
            .scan(PAYMENT, since, after, limit)
            .await
            .map_err(unavailable)?;
        let next = (rows.len() == limit as usize)
            .then(|| rows.last())
            .flatten()
            .map(|r| format!("{}_{}", r.created_at.as_millisecond(), r.key));
        let mut items = Vec::new();
        for record in rows {
            let payment: TestPayment = serde_json::from_value(record.body)
                .map_err(|e| GatewayError::Unavailable(format!("unreadable payment: {e}")))?;
            if payment.captured_minor > 0 {
                items.push(payment.view(record.created_at)?);
            }
        }
        Ok(CapturePage { items, next })
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

    fn card(number: &str) -> CardDetails {
        CardDetails {
            number: number.into(),
            exp_month: 12,
            exp_year: 2030,
            cvc: "123".into(),
        }
    }

    fn at(iso: &str) -> Timestamp {
        iso.parse().unwrap()
    }

    #[test]
    fn the_test_cards_screen_as_documented() {
        let now = at("2026-06-15T00:00:00Z");
        assert!(matches!(
            screen_card(&card("4242 4242 4242 4242"), now),
            Ok((PaymentState::Authorized, _))
        ));
        assert!(screen_card(&card(TEST_CARD_DECLINED), now).is_err());
        assert!(matches!(
            screen_card(&card(TEST_CARD_CHALLENGE), now),
            Ok((PaymentState::ChallengePending, _))
        ));
        assert!(screen_card(&card("4242424242424241"), now).is_err(), "Luhn");
    }

    #[test]
    fn a_card_is_good_through_its_expiry_month() {
        let mut expiring = card(TEST_CARD_OK);
        expiring.exp_month = 6;
        expiring.exp_year = 2026;
        assert!(!card_expired(&expiring, at("2026-06-30T23:59:59Z")));
        assert!(card_expired(&expiring, at("2026-07-01T00:00:00Z")));
        expiring.exp_year = 26;
        assert!(card_expired(&expiring, at("2026-07-01T00:00:00Z")));
        assert_eq!(
            screen_card(&expiring, at("2027-01-01T00:00:00Z")).unwrap_err(),
            "your card has expired"
        );
    }
}
