//! The risk score: a sum of points, one line per signal that fired, so
//! every score can be read back as the reasons that made it. Capped at 99.
//!
//! The weights are chosen so that one weak signal (a new account, a
//! country mismatch) stays far below review (65), while the patterns of
//! the two classic attacks add up past it within a handful of attempts:
//! many cards from one device (stolen cards) and many small payments from
//! one account (card testing).

use serde::{Deserialize, Serialize};

use super::PaymentFeatures;

/// One signal that raised the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// Stable machine name, e.g. `device_many_cards`.
    pub code: String,
    pub points: u8,
    /// The same in words a buyer or an agent understands.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RiskScore {
    pub score: u8,
    /// Highest points first.
    pub reasons: Vec<Reason>,
}

/// Amounts at or below this (in minor units) count as "small" for card
/// testing: the tester wants to know the card works, not to buy.
const SMALL_AMOUNT_MINOR: i64 = 500;
/// A first purchase above this is a little riskier.
const LARGE_FIRST_PURCHASE_MINOR: i64 = 50_000;

struct Points(Vec<Reason>);

impl Points {
    fn add(&mut self, code: &str, points: u8, text: String) {
        self.0.push(Reason {
            code: code.into(),
            points,
            text,
        });
    }

    /// The highest step `value` reaches, if any: `steps` is (at least, points).
    fn tiered(
        &mut self,
        code: &str,
        value: Option<i64>,
        steps: &[(i64, u8)],
        text: impl Fn(i64) -> String,
    ) {
        let Some(value) = value else { return };
        if let Some((_, points)) = steps.iter().rev().find(|(min, _)| value >= *min) {
            self.add(code, *points, text(value));
        }
    }
}

pub fn score(f: &PaymentFeatures) -> RiskScore {
    let mut p = Points(Vec::new());
    velocity(f, &mut p);
    linked(f, &mut p);
    account(f, &mut p);
    geography(f, &mut p);
    let mut reasons = p.0;
    reasons.sort_by(|a, b| b.points.cmp(&a.points).then_with(|| a.code.cmp(&b.code)));
    let total: u32 = reasons.iter().map(|r| u32::from(r.points)).sum();
    RiskScore {
        score: u8::try_from(total.min(99)).unwrap_or(99),
        reasons,
    }
}

fn velocity(f: &PaymentFeatures, p: &mut Points) {
    p.tiered(
        "account_velocity",
        Some(f.account_payments_1h),
        &[(10, 15), (20, 30)],
        |n| format!("{n} payment attempts from this account in the last hour"),
    );
    p.tiered(
        "card_velocity",
        f.card_payments_1h,
        &[(10, 15), (20, 25)],
        |n| format!("this card was tried {n} times in the last hour"),
    );
    p.tiered(
        "device_velocity",
        f.device_payments_1h,
        &[(10, 15), (20, 25)],
        |n| format!("{n} payment attempts from this device in the last hour"),
    );
    p.tiered(
        "ip_velocity",
        f.ip_payments_1h,
        &[(10, 10), (20, 20)],
        |n| format!("{n} payment attempts from this network address in the last hour"),
    );
    p.tiered(
        "address_velocity",
        Some(f.address_payments_24h),
        &[(5, 10), (10, 20)],
        |n| format!("{n} payments to this shipping address in the last 24 hours"),
    );
    if f.amount_minor <= SMALL_AMOUNT_MINOR && f.account_payments_1h >= 5 {
        p.add(
            "card_testing",
            25,
            format!(
                "{} small payments from this account within an hour, a pattern of card testing",
                f.account_payments_1h
            ),
        );
    }
    let failed = Some(f.account_failed_24h.max(f.device_failed_24h.unwrap_or(0)));
    p.tiered("recent_failures", failed, &[(2, 15), (4, 30)], |n| {
        format!("{n} declined or blocked payments in the last 24 hours")
    });
}

fn linked(f: &PaymentFeatures, p: &mut Points) {
    p.tiered(
        "device_many_cards",
        f.device_cards_30d,
        &[(3, 20), (5, 40)],
        |n| format!("{n} different cards used from this device"),
    );
    p.tiered(
        "account_many_cards",
        Some(f.account_cards_30d),
        &[(4, 15), (6, 25)],
        |n| format!("{n} different cards used by this account"),
    );
    p.tiered(
        "card_many_accounts",
        f.card_accounts_30d,
        &[(2, 20), (4, 35)],
        |n| format!("this card was used by {n} different accounts"),
    );
    p.tiered(
        "device_many_accounts",
        f.device_accounts_30d,
        &[(3, 20), (5, 30)],
        |n| format!("{n} different accounts paid from this device"),
    );
    // One coupon, many accounts behind one device, card or address: the
    // per-buyer limit is being farmed.
    p.tiered(
        "coupon_farming",
        f.coupon_shared_accounts,
        &[(1, 25), (3, 45)],
        |n| format!("{n} other accounts used this coupon from the same device, card or address"),
    );
}

fn account(f: &PaymentFeatures, p: &mut Points) {
    if f.account_age_hours < 1 {
        p.add(
            "new_account",
            12,
            "the account was created less than an hour ago".into(),
        );
    } else if f.account_age_hours < 24 {
        p.add(
            "new_account",
            6,
            "the account was created less than a day ago".into(),
        );
    }
    if f.account_paid_orders >= 2 {
        p.tiered(
            "amount_unusual",
            f.amount_to_average_pct,
            &[(500, 10), (1000, 20)],
            |pct| format!("{}× this buyer's usual amount", pct / 100),
        );
    } else if f.account_paid_orders == 0 && f.amount_minor >= LARGE_FIRST_PURCHASE_MINOR {
        p.add(
            "large_first_purchase",
            10,
            "a large amount for a first purchase".into(),
        );
    }
    if f.is_new_device == Some(true) {
        p.add(
            "new_device",
            8,
            "a device this buyer has never paid from".into(),
        );
    }
    if f.is_disposable_email {
        p.add(
            "disposable_email",
            20,
            format!(
                "the email address is at a throwaway domain ({})",
                f.email_domain
            ),
        );
    }
}

fn geography(f: &PaymentFeatures, p: &mut Points) {
    let countries = |a: &Option<String>, b: &str| format!("{} vs {b}", a.as_deref().unwrap_or("?"));
    if f.card_ip_country_mismatch == Some(true) {
        let text = format!(
            "the card is from another country than the connection ({})",
            countries(&f.card_country, f.ip_country.as_deref().unwrap_or("?"))
        );
        p.add("card_ip_country", 15, text);
    }
    if f.card_shipping_country_mismatch == Some(true) {
        let text = format!(
            "the card is from another country than the shipping address ({})",
            countries(&f.card_country, &f.shipping_country)
        );
        p.add("card_shipping_country", 10, text);
    }
    if f.ip_shipping_country_mismatch == Some(true) {
        let text = format!(
            "the connection is from another country than the shipping address ({})",
            countries(&f.ip_country, &f.shipping_country)
        );
        p.add("ip_shipping_country", 5, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::{AttemptFacts, KeyCounts, PaidHistory};

    fn first_purchase() -> AttemptFacts {
        AttemptFacts {
            amount_minor: 4_999,
            currency: "USD".into(),
            account_age_s: 3 * 86_400,
            email_domain: "example.com".into(),
            card_fingerprint: Some("fp1".into()),
            card_bin: Some("424242".into()),
            card_country: Some("US".into()),
            ip: Some("203.0.113.9".into()),
            ip_country: Some("US".into()),
            shipping_country: "US".into(),
            device_id: Some("dev1".into()),
            card: Some(KeyCounts::default()),
            device: Some(KeyCounts::default()),
            ip_counts: Some(KeyCounts::default()),
            device_seen_before: Some(false),
            ..AttemptFacts::default()
        }
    }

    fn score_of(facts: &AttemptFacts) -> RiskScore {
        score(&PaymentFeatures::from_facts(facts))
    }

    #[test]
    fn one_coupon_farmed_by_accounts_sharing_a_device_reaches_review() {
        let mut facts = first_purchase();
        facts.coupon_shared_accounts = Some(0);
        assert_eq!(score_of(&facts).score, 0, "a coupon alone is no signal");
        facts.coupon_shared_accounts = Some(1);
        let one = score_of(&facts);
        assert!(
            one.reasons.iter().any(|r| r.code == "coupon_farming"),
            "{one:?}"
        );
        facts.coupon_shared_accounts = Some(4);
        facts.account_age_s = 600;
        let farmed = score_of(&facts);
        assert!(farmed.score >= 50, "{farmed:?}");
    }

    #[test]
    fn an_ordinary_first_purchase_scores_low_with_no_reasons() {
        let result = score_of(&first_purchase());
        assert_eq!(result.score, 0, "{result:?}");
        assert!(result.reasons.is_empty());
    }

    #[test]
    fn many_cards_from_one_device_fast_reaches_review() {
        let mut facts = first_purchase();
        let busy = KeyCounts {
            last_hour: 10,
            last_day: 10,
            failed_last_day: 0,
            distinct_cards_30d: 5,
            distinct_accounts_30d: 1,
        };
        facts.device = Some(busy);
        facts.account = busy;
        let result = score_of(&facts);
        assert!(result.score >= 65, "{result:?}");
        assert_eq!(result.reasons[0].code, "device_many_cards");
        assert!(result.reasons[0].text.contains("6 different cards"));
    }

    #[test]
    fn card_testing_with_declines_reaches_block() {
        let mut facts = first_purchase();
        facts.account_age_s = 600;
        facts.amount_minor = 100;
        facts.account = KeyCounts {
            last_hour: 9,
            last_day: 9,
            failed_last_day: 4,
            distinct_cards_30d: 0,
            distinct_accounts_30d: 0,
        };
        let result = score_of(&facts);
        assert!(result.score >= 75, "{result:?}");
        let codes: Vec<_> = result.reasons.iter().map(|r| r.code.as_str()).collect();
        assert!(codes.contains(&"card_testing"), "{codes:?}");
        assert!(codes.contains(&"recent_failures"), "{codes:?}");
    }

    #[test]
    fn a_buyer_ordering_a_cart_of_items_is_not_held() {
        let mut facts = first_purchase();
        let cart = KeyCounts {
            last_hour: 8,
            last_day: 8,
            ..KeyCounts::default()
        };
        facts.account = cart;
        facts.card = Some(cart);
        facts.device = Some(cart);
        facts.address = cart;
        let result = score_of(&facts);
        assert!(result.score < 40, "{result:?}");
    }

    #[test]
    fn each_weak_signal_alone_stays_far_below_review() {
        let mut facts = first_purchase();
        facts.account_age_s = 60;
        facts.email_domain = "mailinator.com".into();
        let result = score_of(&facts);
        assert_eq!(result.score, 32, "{result:?}");
        let mut facts = first_purchase();
        facts.ip_country = Some("NG".into());
        let result = score_of(&facts);
        assert_eq!(result.score, 20, "{result:?}");
        assert!(result.reasons.iter().any(|r| r.text.contains("US vs NG")));
    }

    #[test]
    fn missing_countries_never_count_as_a_mismatch() {
        let mut facts = first_purchase();
        facts.ip_country = None;
        facts.card_country = None;
        let features = PaymentFeatures::from_facts(&facts);
        assert_eq!(features.card_ip_country_mismatch, None);
        assert_eq!(score(&features).score, 0);
    }

    #[test]
    fn an_amount_far_above_the_buyers_history_is_a_reason() {
        let mut facts = first_purchase();
        facts.history = PaidHistory {
            paid_count: 4,
            paid_total_minor: 4 * 2_000,
        };
        facts.device_seen_before = Some(true);
        facts.amount_minor = 25_000;
        let result = score_of(&facts);
        assert_eq!(result.score, 20, "{result:?}");
        assert_eq!(result.reasons[0].text, "12× this buyer's usual amount");
    }

    #[test]
    fn the_score_is_capped_at_99() {
        let mut facts = first_purchase();
        let extreme = KeyCounts {
            last_hour: 50,
            last_day: 50,
            failed_last_day: 40,
            distinct_cards_30d: 40,
            distinct_accounts_30d: 40,
        };
        facts.account = extreme;
        facts.card = Some(extreme);
        facts.device = Some(extreme);
        facts.ip_counts = Some(extreme);
        facts.address = extreme;
        assert_eq!(score_of(&facts).score, 99);
    }
}
