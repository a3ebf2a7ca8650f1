use super::*;
use crate::payment::PaymentFeatures;

fn spec(action: RuleAction, expression: &str) -> RuleSpec {
    RuleSpec {
        id: format!("r-{expression}"),
        version: 3,
        name: expression.into(),
        action,
        expression: expression.into(),
    }
}

fn features() -> PaymentFeatures {
    PaymentFeatures {
        amount_minor: 2_500,
        currency: "USD".into(),
        account_age_hours: 100,
        account_payments_1h: 1,
        account_payments_24h: 1,
        card_country: Some("US".into()),
        ip_country: None,
        shipping_country: "US".into(),
        device_id: Some("dev-1".into()),
        email_domain: "example.com".into(),
        ..PaymentFeatures::default()
    }
}

fn lists() -> Lists {
    let mut lists = Lists::new();
    lists.insert("blocked_devices".into(), vec!["dev-1".into()]);
    lists.insert("vip".into(), vec![]);
    lists
}

fn decide_with(rules: Vec<RuleSpec>, score: u8) -> Decision {
    let (set, broken) = RuleSet::new(rules, &lists());
    assert!(broken.is_empty(), "{broken:?}");
    set.decide(&features(), score)
}

#[test]
fn the_default_rules_review_at_65_and_block_at_75() {
    assert_eq!(decide_with(default_rules(), 64).action, RuleAction::Allow);
    let review = decide_with(default_rules(), 65);
    assert_eq!(review.action, RuleAction::Review);
    assert_eq!(review.rule.unwrap().id, "default-review");
    let block = decide_with(default_rules(), 80);
    assert_eq!(block.action, RuleAction::Block);
    let rule = block.rule.unwrap();
    assert_eq!((rule.id.as_str(), rule.version), ("default-block", 1));
    assert_eq!(block.matched.len(), 2, "both defaults matched at 80");
}

#[test]
fn allow_overrides_block_and_review_as_in_radar() {
    let mut rules = default_rules();
    rules.push(spec(RuleAction::Allow, "account_age_hours > 48"));
    let decision = decide_with(rules, 90);
    assert_eq!(decision.action, RuleAction::Allow);
    assert_eq!(decision.rule.unwrap().action, RuleAction::Allow);
}

#[test]
fn verification_comes_first_and_names_what_follows() {
    let rules = vec![
        spec(RuleAction::RequestVerification, "amount_minor > 1000"),
        spec(RuleAction::Review, "risk_score >= 50"),
    ];
    let decision = decide_with(rules.clone(), 10);
    assert_eq!(decision.action, RuleAction::RequestVerification);
    assert_eq!(decision.after_verification, Some(RuleAction::Allow));
    let decision = decide_with(rules, 55);
    assert_eq!(decision.after_verification, Some(RuleAction::Review));
    let blocked = decide_with(
        vec![
            spec(RuleAction::RequestVerification, "amount_minor > 1000"),
            spec(RuleAction::Block, "risk_score >= 50"),
        ],
        55,
    );
    assert_eq!(
        blocked.action,
        RuleAction::Block,
        "no challenge for a blocked payment"
    );
}

#[test]
fn missing_data_never_fires_a_rule_even_when_negated() {
    for expression in [
        "ip_country != 'US'",
        "!(ip_country == 'US')",
        "ip_country in @high_risk_countries || ip_country == 'ZZ'",
        "ip_country != card_country",
    ] {
        let decision = decide_with(vec![spec(RuleAction::Block, expression)], 0);
        assert_eq!(
            decision.action,
            RuleAction::Allow,
            "{expression} fired on missing data"
        );
        assert!(
            decision.failures.is_empty(),
            "{expression}: {:?}",
            decision.failures
        );
    }
}

#[test]
fn is_missing_asks_for_missing_data_explicitly() {
    let decision = decide_with(
        vec![spec(
            RuleAction::Review,
            "is_missing( ip_country ) && amount_minor > 100",
        )],
        0,
    );
    assert_eq!(decision.action, RuleAction::Review);
    let decision = decide_with(
        vec![spec(RuleAction::Review, "is_missing(card_country)")],
        0,
    );
    assert_eq!(decision.action, RuleAction::Allow);
}

#[test]
fn named_lists_are_matched_and_unknown_ones_are_refused() {
    let decision = decide_with(
        vec![spec(RuleAction::Block, "device_id in @blocked_devices")],
        0,
    );
    assert_eq!(decision.action, RuleAction::Block);
    let decision = decide_with(vec![spec(RuleAction::Block, "device_id in @vip")], 0);
    assert_eq!(decision.action, RuleAction::Allow);
    let err = compile(
        spec(RuleAction::Block, "device_id in\n   @nowhere"),
        &lists(),
    )
    .err()
    .unwrap();
    assert_eq!((err.line, err.column), (2, 4), "{err}");
    assert!(err.message.contains("@nowhere"));
    // An @ inside a string is text, not a list.
    assert!(
        compile(
            spec(RuleAction::Block, "email_domain == '@nowhere'"),
            &lists()
        )
        .is_ok()
    );
}

#[test]
fn unknown_attributes_and_syntax_errors_are_refused_with_their_position() {
    let err = compile(
        spec(RuleAction::Block, "risk_score > 5 && cardz_country == 'US'"),
        &lists(),
    )
    .err()
    .unwrap();
    assert!(err.message.contains("cardz_country"), "{err}");
    assert_eq!((err.line, err.column), (1, 19));
    let err = compile(spec(RuleAction::Block, "risk_score >= "), &lists())
        .err()
        .unwrap();
    assert!(err.message.starts_with("syntax error"), "{err}");
    assert_eq!(err.line, 1);
    let err = compile(spec(RuleAction::Block, "is_missing(nope)"), &lists())
        .err()
        .unwrap();
    assert!(err.message.contains("nope"), "{err}");
    let err = compile(spec(RuleAction::Block, "'unclosed"), &lists())
        .err()
        .unwrap();
    assert!(err.message.contains("never closed"), "{err}");
}

#[test]
fn type_errors_and_non_boolean_rules_are_refused_when_saved() {
    for expression in ["card_country > 5", "risk_score + 1", "   "] {
        assert!(
            compile(spec(RuleAction::Block, expression), &lists()).is_err(),
            "{expression} was accepted"
        );
    }
    let long = "risk_score > 1 && ".repeat(200) + "true";
    assert!(compile(spec(RuleAction::Block, &long), &lists()).is_err());
}

#[test]
fn a_rule_that_fails_at_run_time_fails_closed_to_review() {
    // Valid when saved (the trial run has every attribute at 1), but
    // divides by zero on this payment.
    let failing = "amount_minor / account_paid_orders > 10";
    let rules = vec![
        spec(RuleAction::Allow, "account_payments_1h > 0"),
        spec(RuleAction::Block, failing),
    ];
    let (set, broken) = RuleSet::new(rules, &lists());
    assert!(broken.is_empty(), "{broken:?}");
    let decision = set.decide(&features(), 0);
    assert_eq!(decision.action, RuleAction::Review, "{decision:?}");
    assert_eq!(decision.failures.len(), 1);
    assert_eq!(decision.rule.unwrap().name, failing);
}

#[test]
fn every_attribute_is_bound_with_its_declared_type() {
    let mut full = features();
    full.ip_country = Some("FR".into());
    let attributes = full.attributes(5);
    for (name, value) in &attributes {
        let (_, kind, _) = ATTRIBUTES.iter().find(|(n, _, _)| n == name).unwrap();
        let matches = matches!(
            (kind, value),
            (AttributeType::Int, AttributeValue::Int(_))
                | (AttributeType::Bool, AttributeValue::Bool(_))
                | (AttributeType::String, AttributeValue::String(_))
        );
        assert!(matches, "{name} bound as {value:?}");
    }
}
