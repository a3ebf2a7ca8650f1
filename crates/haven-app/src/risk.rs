//! Payment risk: every card payment is scored and run through the
//! operator's rules before its capture command is written.
//!
//! - **Facts** come from the store (`risk_attempts`), so velocity and
//!   links agree across restarts and nodes; the scoring and the rules are
//!   pure (`haven_risk::payment`).
//! - **Decisions**: `block` refuses the payment with its reasons and
//!   charges nothing; `request_verification` sends the buyer through the
//!   card challenge (pass: the order goes on; fail or abandon: cancelled,
//!   nothing captured); `review` captures into escrow but holds the order
//!   (the seller can't ship) until an agent approves it or refuses it
//!   (full refund); `allow` goes on.
//! - **Rules** are cached per process for [`RULES_TTL_MS`], so a rule
//!   saved on one node is in force on every node within that time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use haven_domain::dispute::Party;
use haven_domain::ids::OrderId;
use haven_domain::order::{Order, OrderEvent, ReviewStatus, RiskNote};
use haven_risk::payment::rules::{self, Decision, Lists, RuleAction, RuleError, RuleSet, RuleSpec};
use haven_risk::payment::{AttemptFacts, KeyCounts, PaidHistory, PaymentFeatures, RiskScore};
use haven_store::{
    Changeset, LinkedAccount, Page, PageRequest, RiskAttempt, RiskCountsRequest, RiskKeyCounts,
    RiskListEntry, RiskOutcome, RiskRule, RiskRuleWrite, RiskWindow,
};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::accounts::Actor;
use crate::error::{AppError, AppResult, ErrorDetails, ErrorKind};
use crate::payments::CardDetails;
use crate::{ActorRef, App};

/// How long a node trusts its copy of the rules and lists.
pub const RULES_TTL_MS: u64 = 2_000;
/// Dry runs look at up to this many recent payments.
pub const MAX_DRY_RUN: u32 = 10_000;
/// Entries per named list.
pub const MAX_LIST_VALUE_CHARS: usize = 200;

/// What the client side tells about a payment: the device (a cookie on
/// the web, the `Haven-Device-Id` header in the API), the IP, and the
/// IP's country when a trusted proxy supplies it.
#[derive(Debug, Clone, Default)]
pub struct PaymentContext {
    pub device_id: Option<String>,
    pub ip: Option<String>,
    pub ip_country: Option<String>,
}

impl PaymentContext {
    /// Keep only what looks like what it claims to be: a device id of up
    /// to 64 URL-safe characters, an IP, a two-letter country.
    pub fn new(device_id: Option<&str>, ip: Option<&str>, ip_country: Option<&str>) -> Self {
        let device_id = device_id.map(str::trim).filter(|d| {
            !d.is_empty()
                && d.len() <= 64
                && d.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
        // A loopback address is this machine (a proxy without
        // `trust_proxy`, a demo, a test), never the client's identity.
        let ip = ip.map(str::trim).filter(|ip| {
            ip.parse::<std::net::IpAddr>()
                .is_ok_and(|a| !a.is_loopback())
        });
        let ip_country = ip_country
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()));
        PaymentContext {
            device_id: device_id.map(str::to_string),
            ip: ip.map(str::to_string),
            ip_country,
        }
    }
}

/// The whole assessment, as stored with the attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assessment {
    pub features: PaymentFeatures,
    pub score: RiskScore,
    pub decision: Decision,
}

impl Assessment {
    pub fn reasons(&self) -> Vec<String> {
        let mut reasons: Vec<String> = self.score.reasons.iter().map(|r| r.text.clone()).collect();
        if let Some(rule) = &self.decision.rule
            && !rule.id.starts_with("default-")
        {
            reasons.push(format!("the marketplace rule \"{}\" applies", rule.name));
        }
        if !self.decision.failures.is_empty() {
            reasons.push("an automatic check could not finish, so a person will look".into());
        }
        reasons
    }

    fn note(&self, review: Option<ReviewStatus>) -> RiskNote {
        RiskNote {
            score: self.score.score,
            decision: self.decision.action.as_str().into(),
            reasons: self.reasons(),
            rule: self
                .decision
                .rule
                .as_ref()
                .map(|r| format!("{} (v{})", r.name, r.version)),
            review,
        }
    }
}

/// The rules and lists in force on this node, compiled.
/// The operator's own throwaway email domains, on top of the shipped list.
pub const DISPOSABLE_EMAIL_DOMAINS: &str = "disposable_email_domains";
/// Carriers' domains whose links the message scanner trusts, on top of the
/// built-in ones (a regional carrier the marketplace ships with).
pub const CARRIER_DOMAINS: &str = "carrier_domains";
/// More domains the marketplace owns, on top of `own_domains` in config:
/// the scanner trusts their links and flags links imitating them.
pub const MARKETPLACE_DOMAINS: &str = "marketplace_domains";

/// The name the message scanner protects (look-alike domains, "pay
/// Haven support" tricks), set by an admin: one entry, replacing
/// `brand_name` from config while it is set.
pub const MARKETPLACE_BRAND: &str = "marketplace_brand";

/// `domain` is a listed domain or under one.
fn domain_listed(list: Option<&Vec<String>>, domain: &str) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    list.into_iter().flatten().any(|entry| {
        let entry = entry.trim().trim_end_matches('.').to_ascii_lowercase();
        !entry.is_empty()
            && (domain == entry
                || domain
                    .strip_suffix(entry.as_str())
                    .is_some_and(|head| head.ends_with('.')))
    })
}

pub struct LoadedRules {
    pub set: RuleSet,
    pub lists: Lists,
    /// Stored rules that no longer compile: payments fail closed to review.
    pub broken: Vec<(RuleSpec, RuleError)>,
}

#[derive(Default)]
pub struct RuleCache(Mutex<Option<(Instant, Arc<LoadedRules>)>>);

impl RuleCache {
    fn fresh(&self) -> Option<Arc<LoadedRules>> {
        let guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        guard
            .as_ref()
            .filter(|(at, _)| at.elapsed() < Duration::from_millis(RULES_TTL_MS))
            .map(|(_, rules)| rules.clone())
    }

    fn put(&self, rules: Arc<LoadedRules>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), rules));
    }

    pub fn invalidate(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// A payment held for review, as the console's queue shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewItem {
    pub attempt: RiskAttempt,
    pub order: Option<Order>,
    pub reasons: Vec<String>,
}

/// One held payment with everything an agent needs to decide.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewCase {
    pub item: ReviewItem,
    pub linked_accounts: Vec<LinkedAccount>,
    pub buyer_paid_orders: i64,
    pub buyer_account_age_hours: i64,
}

/// A rule as an agent submits it.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleInput {
    pub name: String,
    pub action: String,
    pub expression: String,
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
    /// The version being replaced (required when editing).
    pub expected_version: Option<i64>,
}

fn enabled_by_default() -> bool {
    true
}

/// What a rule would have done over recent payments.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    pub evaluated: u32,
    pub matched: u32,
    /// Payments the rule skipped because an attribute it needs was missing.
    pub skipped_missing: u32,
    pub failed: u32,
    /// Matched payments whose outcome would change (say, allowed → block).
    pub would_change: u32,
    /// Up to 20 matched payments: (attempt, outcome then, score).
    pub examples: Vec<DryRunExample>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DryRunExample {
    pub attempt_id: uuid::Uuid,
    pub order_id: Option<OrderId>,
    pub at: haven_domain::Timestamp,
    pub outcome: RiskOutcome,
    pub score: i64,
    pub amount_minor: i64,
    pub currency: String,
}

/// A stable, non-reversible id of a card: an HMAC of its digits under a
/// key derived from the server's gateway secret, so the fingerprint
/// cannot be brute-forced back to the number without the secret.
fn card_fingerprint(secret: &str, card: &CardDetails) -> (String, String) {
    let digits: String = card.number.chars().filter(char::is_ascii_digit).collect();
    let key = Sha256::digest(format!("haven card fingerprint\n{secret}").as_bytes());
    let mut mac = <Hmac<Sha256>>::new_from_slice(&key).expect("any key length works");
    mac.update(digits.as_bytes());
    let fingerprint = hex::encode(&mac.finalize().into_bytes()[..16]);
    let bin = digits.chars().take(6).collect();
    (fingerprint, bin)
}

/// The shipping address, normalised and hashed (no address in clear in
/// the risk tables).
fn address_key(order: &Order) -> String {
    let a = &order.address;
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let text = format!(
        "{}|{}|{}|{}|{}",
        norm(&a.line1),
        norm(&a.line2),
        norm(&a.city),
        norm(&a.postal_code),
        a.country
    );
    hex::encode(&Sha256::digest(text.as_bytes())[..16])
}

fn counts(c: RiskKeyCounts) -> KeyCounts {
    let n = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
    KeyCounts {
        last_hour: n(c.last_hour),
        last_day: n(c.last_day),
        failed_last_day: n(c.failed_last_day),
        distinct_cards_30d: n(c.other_cards),
        distinct_accounts_30d: n(c.other_accounts),
    }
}

/// The attempt a checkout is about to make, scored and decided.
pub(crate) struct ScoredAttempt {
    pub attempt: RiskAttempt,
    pub assessment: Assessment,
}

impl ScoredAttempt {
    pub fn action(&self) -> RuleAction {
        self.assessment.decision.action
    }

    /// Review now, or review once the challenge is passed.
    pub fn holds_for_review(&self) -> bool {
        let d = &self.assessment.decision;
        d.action == RuleAction::Review || d.after_verification == Some(RuleAction::Review)
    }

    /// What the order carries.
    pub fn note(&self) -> RiskNote {
        let review = self.holds_for_review().then_some(ReviewStatus::Pending);
        self.assessment.note(review)
    }
}

impl App {
    /// The rules and lists in force (cached for [`RULES_TTL_MS`]).
    pub async fn loaded_rules(&self) -> AppResult<Arc<LoadedRules>> {
        if let Some(rules) = self.risk_rules_cache.fresh() {
            return Ok(rules);
        }
        let stored = self.store.risk_rules().await?;
        let lists = lists_by_name(self.store.risk_lists().await?);
        let specs: Vec<RuleSpec> = stored
            .iter()
            .filter(|r| r.enabled)
            .filter_map(|r| spec_of(r).ok())
            .collect();
        let (set, broken) = RuleSet::new(specs, &lists);
        for (spec, err) in &broken {
            tracing::error!(rule = %spec.id, version = spec.version, error = %err, "a stored risk rule no longer compiles; payments go to review");
        }
        self.sync_scanner(&lists);
        let loaded = Arc::new(LoadedRules { set, lists, broken });
        self.risk_rules_cache.put(loaded.clone());
        Ok(loaded)
    }

    /// The most other accounts behind one of this payment's coupons that
    /// share its card, device or address (none without a coupon).
    async fn coupon_sharing(
        &self,
        order: &Order,
        actor: &Actor,
        card_fp: Option<&str>,
        device: Option<&str>,
        address: &str,
    ) -> AppResult<Option<u32>> {
        let mut most: Option<u32> = None;
        for coupon in order.discounts.iter().map(|d| d.coupon_id) {
            let n = self
                .store
                .coupon_redeemers_sharing(coupon, actor.id(), card_fp, device, address)
                .await?;
            let n = u32::try_from(n.max(0)).unwrap_or(u32::MAX);
            most = Some(most.map_or(n, |m| m.max(n)));
        }
        Ok(most)
    }

    /// Score a card payment and decide what happens to it. Nothing is
    /// written: the attempt goes into the checkout's own transaction. The
    /// store's counts come in one read.
    pub(crate) async fn assess_payment(
        &self,
        actor: &Actor,
        order: &Order,
        card: &CardDetails,
        context: &PaymentContext,
        card_minor: i64,
    ) -> AppResult<ScoredAttempt> {
        let now = self.now();
        let (fingerprint, card_bin) = card_fingerprint(&self.config.gateway_webhook_secret, card);
        let card_fp = (!self.gateway.is_shared_test_card(&card.number)).then_some(fingerprint);
        let address = address_key(order);
        let window = RiskWindow {
            hour_ago: now - haven_domain::SignedDuration::from_hours(1),
            day_ago: now - haven_domain::SignedDuration::from_hours(24),
            month_ago: now - haven_domain::SignedDuration::from_hours(24 * 30),
            buyer_id: actor.id(),
            card_fp: card_fp.clone(),
        };
        let device = context.device_id.clone();
        let ip = context.ip.clone();
        let currency = order.total.currency.to_string();
        let read = self
            .store
            .risk_payment_counts(&RiskCountsRequest {
                window,
                address_key: address.clone(),
                device_id: device.clone(),
                ip: ip.clone(),
                currency: currency.clone(),
            })
            .await?;
        let facts = AttemptFacts {
            amount_minor: card_minor,
            currency: currency.clone(),
            account_age_s: now.duration_since(actor.user.created_at).as_secs(),
            email_domain: actor
                .user
                .email
                .as_str()
                .rsplit('@')
                .next()
                .unwrap_or_default()
                .to_string(),
            card_fingerprint: card_fp.clone(),
            card_bin: Some(card_bin.clone()),
            card_country: self.gateway.card_country(&card_bin),
            ip: ip.clone(),
            ip_country: context.ip_country.clone(),
            shipping_country: order.address.country.clone(),
            device_id: device.clone(),
            account: counts(read.account),
            card: card_fp.as_ref().map(|_| counts(read.card)),
            device: device.as_ref().map(|_| counts(read.device)),
            ip_counts: ip.as_ref().map(|_| counts(read.ip)),
            address: counts(read.address),
            history: PaidHistory {
                paid_count: u32::try_from(read.paid_history.0.max(0)).unwrap_or(u32::MAX),
                paid_total_minor: read.paid_history.1,
            },
            device_seen_before: device.as_ref().map(|_| read.device_seen),
            coupon_shared_accounts: self
                .coupon_sharing(
                    order,
                    actor,
                    card_fp.as_deref(),
                    device.as_deref(),
                    &address,
                )
                .await?,
        };
        let rules = self.loaded_rules().await?;
        let mut features = PaymentFeatures::from_facts(&facts);
        features.is_disposable_email |= domain_listed(
            rules.lists.get(DISPOSABLE_EMAIL_DOMAINS),
            &facts.email_domain,
        );
        let score = haven_risk::payment::score(&features);
        let mut decision = rules.set.decide(&features, score.score);
        for failure in &decision.failures {
            tracing::error!(rule = %failure.rule.id, version = failure.rule.version, error = %failure.error, "a risk rule failed at run time; the payment goes to review");
        }
        fail_closed_for_broken_rules(&mut decision, &rules.broken);
        let assessment = Assessment {
            features,
            score,
            decision,
        };
        let outcome = match assessment.decision.action {
            RuleAction::Allow => RiskOutcome::Allowed,
            RuleAction::Block => RiskOutcome::Blocked,
            RuleAction::Review => RiskOutcome::Review,
            RuleAction::RequestVerification => RiskOutcome::Verification,
        };
        let attempt = RiskAttempt {
            id: uuid::Uuid::now_v7(),
            at: now,
            buyer_id: actor.id(),
            order_id: Some(order.id),
            card_fp,
            device_id: device,
            ip,
            address_key: address,
            amount_minor: card_minor,
            currency,
            outcome,
            score: i64::from(assessment.score.score),
            assessment: serde_json::to_value(&assessment).map_err(AppError::internal)?,
        };
        Ok(ScoredAttempt {
            attempt,
            assessment,
        })
    }

    /// A blocked payment: the attempt is recorded (it counts towards the
    /// next attempt's velocity), no order is created, nothing is charged.
    pub(crate) async fn refuse_blocked(&self, mut scored: ScoredAttempt) -> AppError {
        scored.attempt.order_id = None;
        let reasons = scored.assessment.reasons();
        let changes = Changeset {
            risk_attempts: vec![scored.attempt],
            ..Changeset::default()
        };
        if let Err(err) = self.store.commit(changes).await {
            return err.into();
        }
        AppError::new(
            ErrorKind::PaymentBlocked,
            "this payment was stopped by our fraud checks and your card was not charged",
        )
        .with_details(ErrorDetails {
            reasons,
            ..ErrorDetails::default()
        })
    }
}

/// A stored rule that no longer compiles can't be trusted to block or
/// allow: fail closed to review, as for a rule that errors at run time.
fn fail_closed_for_broken_rules(decision: &mut Decision, broken: &[(RuleSpec, RuleError)]) {
    if broken.is_empty() || decision.action == RuleAction::Block {
        return;
    }
    for (spec, err) in broken {
        decision.failures.push(rules::RuleFailure {
            rule: rules::RuleRef {
                id: spec.id.clone(),
                version: spec.version,
                name: spec.name.clone(),
                action: spec.action,
            },
            error: err.to_string(),
        });
    }
    match decision.action {
        RuleAction::RequestVerification => decision.after_verification = Some(RuleAction::Review),
        _ => decision.action = RuleAction::Review,
    }
}

fn spec_of(rule: &RiskRule) -> AppResult<RuleSpec> {
    let action = RuleAction::parse(&rule.action).ok_or_else(|| {
        AppError::internal(format!("rule {} has action {}", rule.id, rule.action))
    })?;
    Ok(RuleSpec {
        id: rule.id.clone(),
        version: rule.version,
        name: rule.name.clone(),
        action,
        expression: rule.expression.clone(),
    })
}

fn lists_by_name(entries: Vec<RiskListEntry>) -> Lists {
    let mut lists = Lists::new();
    for entry in entries {
        lists.entry(entry.name).or_default().push(entry.value);
    }
    lists
}

fn rule_error(err: RuleError) -> AppError {
    AppError::new(
        ErrorKind::InvalidRule,
        format!("the rule can't be saved: {err}"),
    )
    .with_details(ErrorDetails {
        field: Some("expression".into()),
        line: Some(err.line),
        column: Some(err.column),
        ..ErrorDetails::default()
    })
}

mod console;
