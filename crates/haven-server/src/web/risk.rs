//! The console's payment-risk pages: the review queue, and the rules and
//! lists, with a dry run before a rule is saved.

use askama::Template;
use axum::extract::State;
use axum::response::IntoResponse;
use haven_domain::Timestamp;
use haven_domain::ids::OrderId;
use haven_domain::money::{Currency, Money};
use haven_risk::payment::rules::RuleAction;
use haven_store::{PageRequest, RiskListEntry, RiskRule};
use serde::Deserialize;

use super::csrf::redirect_with_flash;
use super::{AppState, Layout, Member, Path, Query, WebResult, filters, parse_form, render};
use super::{OrBack, RefusedForms, WebError};
use crate::api::extract::{RawBody, path_id};
use crate::error::ApiError;
use haven_app::Actor;
use haven_app::risk::{DryRun, RuleInput};

pub struct ReviewRow {
    pub order_id: String,
    pub title: String,
    pub amount: String,
    pub score: i64,
    pub at: Timestamp,
    pub buyer: String,
    pub store: String,
    pub reasons: Vec<String>,
    /// "buyer via device" lines.
    pub linked: Vec<String>,
}

#[derive(Template)]
#[template(path = "risk_queue.html")]
struct QueuePage {
    layout: Layout,
    rows: Vec<ReviewRow>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct QueueQuery {
    cursor: Option<String>,
}

/// Accounts sharing a device, card, address or network with the buyer, by
/// name and email, in words an agent reads.
pub(super) async fn linked_in_words(
    app: &haven_app::App,
    linked: &[haven_store::LinkedAccount],
) -> Result<Vec<String>, haven_app::AppError> {
    let mut lines = Vec::with_capacity(linked.len());
    for l in linked {
        let who = app.store.user(l.buyer_id).await?.map_or_else(
            || "an unknown account".to_string(),
            |u| format!("{} ({})", u.display_name, u.email.as_str()),
        );
        let via = match l.via.as_str() {
            "device" => "the same device",
            "card" => "the same card",
            "ip" => "the same network address",
            "address" => "the same delivery address",
            other => other,
        };
        let times = if l.attempts == 1 {
            "once".to_string()
        } else {
            format!("{} times", l.attempts)
        };
        lines.push(format!("{who} used {via}, {times}"));
    }
    Ok(lines)
}

pub async fn queue(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<QueueQuery>,
) -> WebResult {
    let page = app
        .review_queue(&actor, &PageRequest::new(q.cursor, Some(25)))
        .await?;
    let mut rows = Vec::with_capacity(page.items.len());
    for item in page.items {
        let Some(order) = item.order else { continue };
        let linked = app.linked_accounts(&actor, &item.attempt).await?;
        let amount = Currency::parse(&item.attempt.currency)
            .map(|c| super::shown(Money::new(item.attempt.amount_minor, c)))
            .unwrap_or_default();
        let (buyer, store) = super::queues::party_names(&app, &order).await?;
        rows.push(ReviewRow {
            buyer,
            store,
            order_id: order.id.to_string(),
            title: order.listing_title.clone(),
            amount,
            score: item.attempt.score,
            at: item.attempt.at,
            reasons: item.reasons,
            linked: linked_in_words(&app, &linked).await?,
        });
    }
    Ok(render(&QueuePage {
        layout: Layout::new(&app, Some(&actor), "Payment reviews"),
        rows,
        next: page
            .next_cursor
            .map(|c| format!("/console/risk?cursor={c}")),
    }))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    note: String,
    /// "yes" once the agent has seen what refusing refunds.
    #[serde(default)]
    confirmed: String,
}

#[derive(Template)]
#[template(path = "risk_refuse.html")]
struct RefuseConfirmPage {
    layout: Layout,
    order_id: String,
    title: String,
    refund: String,
    buyer: String,
    store: String,
    note: String,
}

pub async fn decide(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let order_id: OrderId = path_id(&id, "order")?;
    let form: DecisionForm = parse_form(&body)?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => return Err(ApiError::validation("choose approve or refuse").into()),
    };
    // Refusing refunds the buyer: the agent sees the sum and says yes once more.
    if !approve && form.confirmed != "yes" {
        app.require_agent(&actor)?;
        let order = app.order(order_id).await?;
        let (buyer, store) = super::queues::party_names(&app, &order).await?;
        return Ok(render(&RefuseConfirmPage {
            layout: Layout::new(&app, Some(&actor), "Refuse and refund?"),
            order_id: order_id.to_string(),
            title: order.listing_title.clone(),
            refund: super::shown(order.total),
            buyer,
            store,
            note: form.note,
        }));
    }
    app.decide_review(&actor, order_id, approve, &form.note)
        .await
        .or_back("/console/risk")?;
    let message = if approve {
        "Approved: the seller can ship."
    } else {
        "Refused: the order is cancelled and the buyer refunded in full."
    };
    Ok(redirect_with_flash(&app, "/console/risk", message))
}

/// The rule being written (or edited), as typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RuleForm {
    #[serde(default, rename = "edit")]
    pub id: String,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub expression: String,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub dry_run: Option<String>,
}

#[derive(Template)]
#[template(path = "risk_rules.html")]
struct RulesPage {
    layout: Layout,
    rules: Vec<RiskRule>,
    lists: Vec<RiskListEntry>,
    form: RuleForm,
    actions: Vec<&'static str>,
    dry_run: Option<DryRun>,
    /// A refused rule ("rule") or list entry ("list").
    refused: Option<super::RefusedForm>,
}

impl super::RefusedForms for RulesPage {
    fn refused(&self) -> Option<&super::RefusedForm> {
        self.refused.as_ref()
    }
}

const RULE_FIELDS: &[&str] = &["name", "action", "expression"];

fn refused_rule(err: &ApiError) -> super::RefusedForm {
    super::RefusedForm::new("rule", super::FormRefusal::of(err, RULE_FIELDS), &[])
}

async fn rules_page(
    app: &haven_app::App,
    actor: &Actor,
    mut form: RuleForm,
    refused: Option<super::RefusedForm>,
) -> WebResult {
    let rules = app.risk_rules(actor).await?;
    if let Some(rule) = rules.iter().find(|r| r.id == form.id) {
        form.version = rule.version;
        if form.expression.is_empty() {
            form.name = rule.name.clone();
            form.action = rule.action.clone();
            form.expression = rule.expression.clone();
            form.enabled = rule.enabled;
        }
    } else {
        form.id.clear();
    }
    if form.action.is_empty() {
        form.action = RuleAction::Review.as_str().into();
    }
    let mut refused = refused;
    let mut dry_run = None;
    if form.dry_run.is_some() && refused.is_none() {
        match app.dry_run_rule(actor, &input(&form), 1_000).await {
            Ok(run) => dry_run = Some(run),
            Err(err) if err.kind.is_correctable() => refused = Some(refused_rule(&err.into())),
            Err(err) => return Err(err.into()),
        }
    }
    Ok(render(&RulesPage {
        layout: Layout::new(app, Some(actor), "Risk rules"),
        rules,
        lists: app.risk_lists(actor).await?,
        form,
        actions: RuleAction::ALL.iter().map(|a| a.as_str()).collect(),
        dry_run,
        refused,
    }))
}

fn input(form: &RuleForm) -> RuleInput {
    RuleInput {
        name: form.name.clone(),
        action: form.action.clone(),
        expression: form.expression.clone(),
        enabled: form.enabled,
        expected_version: (!form.id.is_empty()).then_some(form.version),
    }
}

pub async fn rules(
    State(app): AppState,
    Member(actor): Member,
    Query(form): Query<RuleForm>,
) -> WebResult {
    rules_page(&app, &actor, form, None).await
}

#[derive(Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    expected_version: i64,
    name: String,
    action: String,
    expression: String,
    #[serde(default)]
    enabled: Option<String>,
}

pub async fn save(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    let form: SaveForm = parse_form(&body)?;
    let typed = RuleForm {
        id: form.id.clone(),
        version: form.expected_version,
        name: form.name,
        action: form.action,
        expression: form.expression,
        enabled: form.enabled.is_some(),
        dry_run: None,
    };
    let id = (!typed.id.is_empty()).then_some(typed.id.as_str());
    match app.save_risk_rule(&actor, id, input(&typed)).await {
        Ok(rule) => {
            let state = if rule.enabled {
                "enabled"
            } else {
                "saved, disabled"
            };
            let message = format!("Rule “{}” {state} (v{}).", rule.name, rule.version);
            Ok(redirect_with_flash(&app, "/console/risk/rules", &message))
        }
        Err(err) if err.kind.is_correctable() => {
            let status = crate::error::status_of(err.kind);
            let refused = refused_rule(&err.into());
            let page = rules_page(&app, &actor, typed, Some(refused)).await?;
            Ok((status, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize)]
pub struct ListForm {
    name: String,
    value: String,
    #[serde(default)]
    remove: Option<String>,
    /// "admin": the form was on the admin's settings page.
    #[serde(default)]
    back: String,
}

pub async fn edit_list(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    let form: ListForm = parse_form(&body)?;
    let add = form.remove.is_none();
    match app
        .edit_risk_list(&actor, &form.name, &form.value, add)
        .await
    {
        Ok(()) => {
            let verb = if add { "Added to" } else { "Removed from" };
            let message = format!("{verb} @{}.", form.name);
            let to = match form.back.as_str() {
                "admin" => format!("/admin/settings#list-{}", form.name),
                _ => "/console/risk/rules".into(),
            };
            Ok(redirect_with_flash(&app, &to, &message))
        }
        Err(err) if err.kind.is_correctable() && form.back == "admin" => Err(WebError::Back {
            to: format!("/admin/settings#list-{}", form.name),
            reason: err.message,
        }),
        Err(err) if err.kind.is_correctable() => {
            let status = crate::error::status_of(err.kind);
            let refusal = super::FormRefusal::of(&err.into(), &["name", "value"]);
            let refused = super::RefusedForm::new("list", refusal, &body);
            let page = rules_page(&app, &actor, RuleForm::default(), Some(refused)).await?;
            Ok((status, page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}
