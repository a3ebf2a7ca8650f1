//! Scoring plus 20 rules for one payment, in process (issue 13's target:
//! p99 <= 1 ms, >= 20,000 payments/s on one core).

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use haven_risk::payment::rules::{Lists, RuleAction, RuleSet, RuleSpec, default_rules};
use haven_risk::payment::{AttemptFacts, KeyCounts, PaymentFeatures, score};

fn twenty_rules() -> Vec<RuleSpec> {
    let mut rules = default_rules();
    let extra = [
        (RuleAction::Block, "device_id in @blocked_devices"),
        (RuleAction::Block, "card_fingerprint in @blocked_cards"),
        (RuleAction::Block, "email_domain in @blocked_email_domains"),
        (RuleAction::Review, "ip_country in @high_risk_countries"),
        (
            RuleAction::Review,
            "amount_minor > 200000 && account_paid_orders < 2",
        ),
        (
            RuleAction::Review,
            "card_ip_country_mismatch && amount_minor > 50000",
        ),
        (
            RuleAction::RequestVerification,
            "is_new_device && amount_minor > 30000",
        ),
        (RuleAction::Block, "device_cards_30d >= 8"),
        (RuleAction::Review, "card_accounts_30d >= 3"),
        (
            RuleAction::Review,
            "account_failed_24h >= 3 && account_age_hours < 24",
        ),
        (RuleAction::Allow, "email_domain in @trusted_accounts"),
        (RuleAction::Review, "amount_to_average_pct > 1500"),
        (RuleAction::Block, "is_disposable_email && risk_score > 40"),
        (RuleAction::Review, "address_payments_24h > 15"),
        (RuleAction::Review, "ip_payments_1h > 40"),
        (
            RuleAction::RequestVerification,
            "card_shipping_country_mismatch && risk_score > 30",
        ),
        (
            RuleAction::Review,
            "currency != 'USD' && amount_minor > 100000",
        ),
        (
            RuleAction::Block,
            "card_bin == '400000' && account_age_hours < 1",
        ),
    ];
    for (i, (action, expression)) in extra.into_iter().enumerate() {
        rules.push(RuleSpec {
            id: format!("r{i}"),
            version: 1,
            name: expression.into(),
            action,
            expression: expression.into(),
        });
    }
    rules
}

fn bench(c: &mut Criterion) {
    let mut lists = Lists::new();
    lists.insert(
        "blocked_devices".into(),
        (0..200).map(|i| format!("dev-{i}")).collect(),
    );
    lists.insert("high_risk_countries".into(), vec!["XX".into(), "YY".into()]);
    let (set, broken) = RuleSet::new(twenty_rules(), &lists);
    assert!(broken.is_empty());
    assert_eq!(set.rules().count(), 20);
    let facts = AttemptFacts {
        amount_minor: 4_999,
        currency: "USD".into(),
        account_age_s: 86_400 * 40,
        email_domain: "example.com".into(),
        card_fingerprint: Some("f".repeat(32)),
        card_bin: Some("424242".into()),
        card_country: Some("US".into()),
        ip: Some("203.0.113.9".into()),
        ip_country: Some("US".into()),
        shipping_country: "US".into(),
        device_id: Some("dev-browser".into()),
        account: KeyCounts {
            last_hour: 1,
            last_day: 2,
            ..KeyCounts::default()
        },
        card: Some(KeyCounts::default()),
        device: Some(KeyCounts::default()),
        ip_counts: Some(KeyCounts::default()),
        device_seen_before: Some(true),
        ..AttemptFacts::default()
    };
    // Criterion reports the mean; the target is on the tail, so time
    // 100,000 single payments too and print their percentiles.
    let mut micros: Vec<f64> = (0..100_000)
        .map(|_| {
            let started = std::time::Instant::now();
            let features = PaymentFeatures::from_facts(black_box(&facts));
            let risk = score(&features);
            black_box(set.decide(&features, risk.score));
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() as f64 * q) as usize).min(micros.len() - 1)];
    println!(
        "score + 20 rules, 100,000 single payments: p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, max {:.1} µs",
        at(0.50),
        at(0.99),
        at(0.999),
        micros[micros.len() - 1]
    );
    c.bench_function("score + 20 rules", |b| {
        b.iter(|| {
            let features = PaymentFeatures::from_facts(black_box(&facts));
            let risk = score(&features);
            black_box(set.decide(&features, risk.score))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
