//! Operator rules in CEL, behind Haven's own validator and evaluator, so a
//! change in the `cel` crate stays in this file.
//!
//! - A rule is `action if expression`: `block` when `risk_score >= 75`.
//! - Actions are evaluated in the order `request_verification`, `allow`,
//!   `block`, `review`, as in Stripe Radar: an allow rule that matches
//!   overrides block and review rules; a verification rule sends the buyer
//!   through the challenge first.
//! - **Missing data never fires a rule.** Missing attributes are left out
//!   of the evaluation context, so any comparison on one fails with an
//!   undeclared reference, which counts as "no match". A rule that wants
//!   missing data says so: `is_missing(ip_country)`.
//! - Named lists are written `@blocked_devices`: `device_id in @blocked_devices`.
//! - A rule that fails at run time for any other reason (a type error, a
//!   panic in the interpreter) fails closed: the payment goes to review,
//!   and the failure is reported so the app can log it.

use std::collections::{BTreeMap, BTreeSet};
use std::panic::{AssertUnwindSafe, catch_unwind};

use cel::{Context, ExecutionError, Program, Value};
use serde::{Deserialize, Serialize};

use super::{ATTRIBUTES, AttributeType, AttributeValue, PaymentFeatures};

/// The longest rule expression accepted.
pub const MAX_EXPRESSION_CHARS: usize = 2_000;
/// Lists every deployment has, even while empty.
pub const BUILT_IN_LISTS: &[&str] = &[
    "blocked_cards",
    "blocked_devices",
    "blocked_email_domains",
    "blocked_ips",
    "high_risk_countries",
    "trusted_accounts",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleAction {
    RequestVerification,
    Allow,
    Block,
    Review,
}

impl RuleAction {
    /// In evaluation order.
    pub const ALL: [RuleAction; 4] = [
        RuleAction::RequestVerification,
        RuleAction::Allow,
        RuleAction::Block,
        RuleAction::Review,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleAction::RequestVerification => "request_verification",
            RuleAction::Allow => "allow",
            RuleAction::Block => "block",
            RuleAction::Review => "review",
        }
    }

    pub fn parse(text: &str) -> Option<RuleAction> {
        RuleAction::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

/// A rule as stored: one version of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSpec {
    pub id: String,
    pub version: i64,
    pub name: String,
    pub action: RuleAction,
    pub expression: String,
}

/// Which rule (and which version of it) made a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRef {
    pub id: String,
    pub version: i64,
    pub name: String,
    pub action: RuleAction,
}

impl RuleSpec {
    fn reference(&self) -> RuleRef {
        RuleRef {
            id: self.id.clone(),
            version: self.version,
            name: self.name.clone(),
            action: self.action,
        }
    }
}

/// Why a rule was refused, and where (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message} (line {line}, column {column})")]
pub struct RuleError {
    pub message: String,
    pub line: u32,
    pub column: u32,
}

impl RuleError {
    fn at(source: &str, offset: usize, message: String) -> RuleError {
        let before = &source[..offset.min(source.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        RuleError {
            message,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// The operator's named lists, by name (without the `@`).
pub type Lists = BTreeMap<String, Vec<String>>;

/// A list name an agent may create: lower-case letters, digits, `_`.
pub fn valid_list_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

const LIST_PREFIX: &str = "_";
const MISSING_PREFIX: &str = "missing__";
const MISSING_CALL: &str = "is_missing(";

/// The expression as CEL sees it: `@list` becomes `_list` and
/// `is_missing(x)` becomes `missing__x` padded with spaces, so every other
/// character keeps its offset and CEL's positions stay the user's.
struct Rewritten {
    cel_source: String,
    lists: BTreeSet<String>,
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn ident_at(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    while end < bytes.len() && is_ident_char(bytes[end]) {
        end += 1;
    }
    end
}

fn rewrite(source: &str, known_lists: &BTreeSet<String>) -> Result<Rewritten, RuleError> {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut lists = BTreeSet::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' || c == b'\'' {
            let end = string_end(bytes, i)
                .ok_or_else(|| RuleError::at(source, i, "this text is never closed".into()))?;
            out.push_str(&source[i..end]);
            i = end;
        } else if c == b'@' {
            let end = ident_at(bytes, i + 1);
            let name = &source[i + 1..end];
            if !known_lists.contains(name) {
                return Err(RuleError::at(source, i, format!("unknown list '@{name}'")));
            }
            lists.insert(name.to_string());
            out.push_str(LIST_PREFIX);
            out.push_str(name);
            i = end;
        } else if source[i..].starts_with(MISSING_CALL) && (i == 0 || !is_ident_char(bytes[i - 1]))
        {
            let (replacement, end) = missing_call(source, i)?;
            out.push_str(&replacement);
            i = end;
        } else {
            let next = source[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&source[i..i + next]);
            i += next;
        }
    }
    Ok(Rewritten {
        cel_source: out,
        lists,
    })
}

/// The end (exclusive) of the string literal opening at `start`.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            c if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// `is_missing( name )` at `start` → (`missing__name` padded, end).
fn missing_call(source: &str, start: usize) -> Result<(String, usize), RuleError> {
    let bytes = source.as_bytes();
    let mut i = start + MISSING_CALL.len();
    while i < bytes.len() && bytes[i] == b' ' {
        i += 1;
    }
    let name_end = ident_at(bytes, i);
    let name = &source[i..name_end];
    let mut close = name_end;
    while close < bytes.len() && bytes[close] == b' ' {
        close += 1;
    }
    if name.is_empty() || bytes.get(close) != Some(&b')') {
        return Err(RuleError::at(
            source,
            start,
            "is_missing takes one attribute name, e.g. is_missing(ip_country)".into(),
        ));
    }
    if attribute_type(name).is_none() {
        return Err(RuleError::at(
            source,
            i,
            format!("unknown attribute '{name}'"),
        ));
    }
    let end = close + 1;
    let mut replacement = format!("{MISSING_PREFIX}{name}");
    while replacement.len() < end - start {
        replacement.push(' ');
    }
    Ok((replacement, end))
}

fn attribute_type(name: &str) -> Option<AttributeType> {
    ATTRIBUTES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, t, _)| *t)
}

/// The first place `name` appears as a whole identifier outside strings.
fn find_identifier(source: &str, name: &str) -> usize {
    let bytes = source.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'"' || bytes[i] == b'\'' {
            i = string_end(bytes, i).unwrap_or(bytes.len());
            continue;
        }
        if source[i..].starts_with(name)
            && (i == 0 || !is_ident_char(bytes[i - 1]))
            && !is_ident_char(*bytes.get(i + name.len()).unwrap_or(&b' '))
        {
            return i;
        }
        i += 1;
    }
    0
}

/// A rule compiled and checked.
pub struct CompiledRule {
    pub spec: RuleSpec,
    program: Program,
    /// Attributes it asks `is_missing` about.
    missing_checks: BTreeSet<String>,
}

/// Compile and validate an expression: syntax, known attributes and lists,
/// and a trial run on a payment with every attribute present, which must
/// give true or false.
pub fn compile(spec: RuleSpec, lists: &Lists) -> Result<CompiledRule, RuleError> {
    let source = spec.expression.as_str();
    if source.trim().is_empty() {
        return Err(RuleError::at(source, 0, "the rule is empty".into()));
    }
    if source.chars().count() > MAX_EXPRESSION_CHARS {
        return Err(RuleError::at(
            source,
            0,
            format!("a rule may be at most {MAX_EXPRESSION_CHARS} characters"),
        ));
    }
    let known: BTreeSet<String> = lists
        .keys()
        .cloned()
        .chain(BUILT_IN_LISTS.iter().map(|s| s.to_string()))
        .collect();
    let rewritten = rewrite(source, &known)?;
    let program = catch_unwind(|| Program::compile(&rewritten.cel_source))
        .map_err(|_| RuleError::at(source, 0, "the rule could not be read".into()))?
        .map_err(|errors| parse_error(source, &errors))?;
    let mut missing_checks = BTreeSet::new();
    for variable in program.references().variables() {
        if let Some(attribute) = variable.strip_prefix(MISSING_PREFIX) {
            missing_checks.insert(attribute.to_string());
        } else if variable
            .strip_prefix(LIST_PREFIX)
            .is_some_and(|l| rewritten.lists.contains(l))
        {
        } else if attribute_type(variable).is_none() {
            let at = find_identifier(source, variable);
            return Err(RuleError::at(
                source,
                at,
                format!("unknown attribute '{variable}'"),
            ));
        }
    }
    let rule = CompiledRule {
        spec,
        program,
        missing_checks,
    };
    trial_run(&rule, lists)?;
    Ok(rule)
}

fn parse_error(source: &str, errors: &cel::ParseErrors) -> RuleError {
    let Some(first) = errors.errors.first() else {
        return RuleError::at(source, 0, "syntax error".into());
    };
    RuleError {
        message: format!("syntax error: {}", first.msg),
        line: u32::try_from(first.pos.0.max(1)).unwrap_or(1),
        column: u32::try_from(first.pos.1.max(0) + 1).unwrap_or(1),
    }
}

/// Run the rule once with every attribute present, to catch type errors
/// (`card_country > 5`) and non-boolean rules when they are saved.
fn trial_run(rule: &CompiledRule, lists: &Lists) -> Result<(), RuleError> {
    let sample: Vec<(&str, AttributeValue)> = ATTRIBUTES
        .iter()
        .map(|(name, kind, _)| {
            let value = match kind {
                AttributeType::Int => AttributeValue::Int(1),
                AttributeType::Bool => AttributeValue::Bool(false),
                AttributeType::String => AttributeValue::String("X".into()),
            };
            (*name, value)
        })
        .collect();
    let root = root_context(lists);
    match run(&root, rule, &sample) {
        Outcome::Matched | Outcome::NotMatched => Ok(()),
        Outcome::Missing(name) | Outcome::Failed(name) => Err(RuleError::at(
            &rule.spec.expression,
            0,
            format!("the rule fails on a payment with every attribute present: {name}"),
        )),
    }
}

/// What one rule made of one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Matched,
    NotMatched,
    /// It needs an attribute this payment does not have: no match.
    Missing(String),
    /// It failed for another reason: the payment goes to review.
    Failed(String),
}

fn root_context(lists: &Lists) -> Context<'static, 'static> {
    let mut root = Context::default();
    for name in BUILT_IN_LISTS {
        root.add_variable_from_value(format!("{LIST_PREFIX}{name}"), Vec::<String>::new());
    }
    for (name, values) in lists {
        root.add_variable_from_value(format!("{LIST_PREFIX}{name}"), values.clone());
    }
    root
}

fn cel_value(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::Int(v) => Value::Int(*v),
        AttributeValue::Bool(v) => Value::Bool(*v),
        AttributeValue::String(v) => Value::from(v.clone()),
    }
}

/// One payment's scope over the shared root: its attributes, and the
/// `is_missing` answers the rules ask for. Built once per payment and
/// shared by every rule.
fn payment_scope<'a>(
    root: &'a Context<'static, 'static>,
    attributes: &[(&str, AttributeValue)],
    missing_checks: impl Iterator<Item = &'a String>,
) -> Context<'a, 'static> {
    let mut scope = root.new_inner_scope();
    for (name, value) in attributes {
        scope.add_variable_from_value(*name, cel_value(value));
    }
    for name in missing_checks {
        let missing = !attributes.iter().any(|(n, _)| n == name);
        scope.add_variable_from_value(format!("{MISSING_PREFIX}{name}"), missing);
    }
    scope
}

fn run(
    root: &Context<'static, 'static>,
    rule: &CompiledRule,
    attributes: &[(&str, AttributeValue)],
) -> Outcome {
    let scope = payment_scope(root, attributes, rule.missing_checks.iter());
    execute(&scope, rule)
}

fn execute(scope: &Context<'_, 'static>, rule: &CompiledRule) -> Outcome {
    let result = catch_unwind(AssertUnwindSafe(|| rule.program.execute(scope)));
    match result {
        Ok(Ok(Value::Bool(true))) => Outcome::Matched,
        Ok(Ok(Value::Bool(false))) => Outcome::NotMatched,
        Ok(Ok(other)) => Outcome::Failed(format!("the rule gave {other:?}, not true or false")),
        Ok(Err(ExecutionError::UndeclaredReference(name)))
            if attribute_type(name.as_str()).is_some() =>
        {
            Outcome::Missing(name.to_string())
        }
        Ok(Err(err)) => Outcome::Failed(err.to_string()),
        Err(_) => Outcome::Failed("the rule engine failed on this rule".into()),
    }
}

/// A rule that failed at run time, for the log and the decision record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleFailure {
    pub rule: RuleRef,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// What happens to the payment: `request_verification` means challenge
    /// the buyer, then `after_verification`.
    pub action: RuleAction,
    pub after_verification: Option<RuleAction>,
    /// The rule behind the action (none: allowed, nothing matched).
    pub rule: Option<RuleRef>,
    /// Every rule that matched, in evaluation order.
    pub matched: Vec<RuleRef>,
    pub failures: Vec<RuleFailure>,
}

/// The rule set in force: compiled once, evaluated per payment with one
/// shared root context (functions and lists) and a child scope per payment.
pub struct RuleSet {
    root: Context<'static, 'static>,
    rules: Vec<CompiledRule>,
    /// Every attribute any rule asks `is_missing` about.
    missing_checks: BTreeSet<String>,
}

/// The two rules every marketplace starts with (the brief's defaults).
pub fn default_rules() -> Vec<RuleSpec> {
    let rule = |id: &str, name: &str, action, expression: &str| RuleSpec {
        id: id.into(),
        version: 1,
        name: name.into(),
        action,
        expression: expression.into(),
    };
    vec![
        rule(
            "default-review",
            "Review risky payments",
            RuleAction::Review,
            "risk_score >= 65",
        ),
        rule(
            "default-block",
            "Block very risky payments",
            RuleAction::Block,
            "risk_score >= 75",
        ),
    ]
}

impl RuleSet {
    /// Compile every rule. A stored rule that no longer compiles (say, the
    /// CEL crate changed) is returned with its error; the caller decides
    /// (the app fails such payments closed to review).
    pub fn new(specs: Vec<RuleSpec>, lists: &Lists) -> (RuleSet, Vec<(RuleSpec, RuleError)>) {
        let mut rules = Vec::with_capacity(specs.len());
        let mut broken = Vec::new();
        for spec in specs {
            match compile(spec.clone(), lists) {
                Ok(rule) => rules.push(rule),
                Err(err) => broken.push((spec, err)),
            }
        }
        rules.sort_by_key(|r| r.spec.action);
        let missing_checks = rules
            .iter()
            .flat_map(|r| r.missing_checks.iter().cloned())
            .collect();
        let set = RuleSet {
            root: root_context(lists),
            rules,
            missing_checks,
        };
        (set, broken)
    }

    pub fn rules(&self) -> impl Iterator<Item = &RuleSpec> {
        self.rules.iter().map(|r| &r.spec)
    }

    pub fn decide(&self, features: &PaymentFeatures, risk_score: u8) -> Decision {
        let attributes = features.attributes(risk_score);
        let scope = payment_scope(&self.root, &attributes, self.missing_checks.iter());
        let mut matched = Vec::new();
        let mut failures = Vec::new();
        for rule in &self.rules {
            match execute(&scope, rule) {
                Outcome::Matched => matched.push(rule.spec.reference()),
                Outcome::NotMatched | Outcome::Missing(_) => {}
                Outcome::Failed(error) => failures.push(RuleFailure {
                    rule: rule.spec.reference(),
                    error,
                }),
            }
        }
        decide(matched, failures)
    }

    /// One rule (perhaps not yet enabled) against one payment, with the
    /// lists in force: for dry runs.
    pub fn try_rule(
        &self,
        rule: &CompiledRule,
        features: &PaymentFeatures,
        risk_score: u8,
    ) -> Outcome {
        run(&self.root, rule, &features.attributes(risk_score))
    }
}

fn first(matched: &[RuleRef], action: RuleAction) -> Option<RuleRef> {
    matched.iter().find(|r| r.action == action).cloned()
}

/// Radar's order: verification first, then allow over block over review;
/// a failure fails closed to review unless a block rule already matched.
fn decide(matched: Vec<RuleRef>, failures: Vec<RuleFailure>) -> Decision {
    let verification = first(&matched, RuleAction::RequestVerification);
    let block = first(&matched, RuleAction::Block);
    let outcome =
        if let Some(block) = block.filter(|_| first(&matched, RuleAction::Allow).is_none()) {
            (RuleAction::Block, Some(block))
        } else if let Some(failure) = failures.first() {
            (RuleAction::Review, Some(failure.rule.clone()))
        } else if let Some(allow) = first(&matched, RuleAction::Allow) {
            (RuleAction::Allow, Some(allow))
        } else if let Some(review) = first(&matched, RuleAction::Review) {
            (RuleAction::Review, Some(review))
        } else {
            (RuleAction::Allow, None)
        };
    let (action, rule) = outcome;
    let (action, after_verification, rule) = match verification {
        Some(verify) if action != RuleAction::Block => {
            let rule = if action == RuleAction::Review {
                rule
            } else {
                Some(verify)
            };
            (RuleAction::RequestVerification, Some(action), rule)
        }
        _ => (action, None, rule),
    };
    Decision {
        action,
        after_verification,
        rule,
        matched,
        failures,
    }
}

#[cfg(test)]
mod tests;
