//! The trust-and-safety API for payment risk: the review queue, operator
//! rules (validated, versioned, dry-run) and named lists. Agents only.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use haven_domain::ids::OrderId;
use haven_domain::order::Order;
use haven_store::{RiskListEntry, RiskRule};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Auth, PageParams, Path, Query, RawBody, parse_json, path_id};
use crate::error::{ApiResult, ErrorBody};
use crate::views::{MoneyView, OrderView, PageView};
use haven_app::risk::{DryRun, ReviewItem, RuleInput};

type AppState = State<std::sync::Arc<haven_app::App>>;

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewItemView {
    pub attempt_id: String,
    pub order_id: Option<String>,
    pub buyer_id: String,
    pub at: String,
    /// 0-99.
    pub score: i64,
    pub amount: MoneyView,
    /// Why the payment was held, in plain words.
    pub reasons: Vec<String>,
    /// The order's state now (`paid` while held).
    pub order_state: Option<String>,
    pub device_id: Option<String>,
    pub ip: Option<String>,
}

impl From<&ReviewItem> for ReviewItemView {
    fn from(item: &ReviewItem) -> Self {
        let a = &item.attempt;
        ReviewItemView {
            attempt_id: a.id.to_string(),
            order_id: a.order_id.map(|o| o.to_string()),
            buyer_id: a.buyer_id.to_string(),
            at: a.at.to_string(),
            score: a.score,
            amount: MoneyView {
                amount_minor: a.amount_minor,
                currency: a.currency.clone(),
            },
            reasons: item.reasons.clone(),
            order_state: item.order.as_ref().map(|o| o.state.label().to_string()),
            device_id: a.device_id.clone(),
            ip: a.ip.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedAccountView {
    pub buyer_id: String,
    /// What they share: `device`, `card`, `ip` or `address`.
    pub via: String,
    pub attempts: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewCaseView {
    pub item: ReviewItemView,
    pub linked_accounts: Vec<LinkedAccountView>,
    pub buyer_paid_orders: i64,
    pub buyer_account_age_hours: i64,
    /// Every feature the score and the rules saw, by attribute name.
    #[schema(value_type = Object)]
    pub features: serde_json::Value,
}

#[utoipa::path(get, path = "/api/v1/console/risk/reviews", tag = "console", params(PageParams),
    responses((status = 200, body = PageView<ReviewItemView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reviews(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<ReviewItemView>>> {
    let page = app.review_queue(&actor, &params.request()?).await?;
    Ok(Json(PageView {
        items: page.items.iter().map(ReviewItemView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/console/risk/reviews/{order_id}", tag = "console", params(("order_id" = String, Path)),
    responses((status = 200, body = ReviewCaseView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn review(
    State(app): AppState,
    Auth(actor): Auth,
    Path(order_id): Path<String>,
) -> ApiResult<Json<ReviewCaseView>> {
    let order_id: OrderId = path_id(&order_id, "order")?;
    let case = app.review_case(&actor, order_id).await?;
    let features = case
        .item
        .attempt
        .assessment
        .get("features")
        .cloned()
        .unwrap_or_default();
    Ok(Json(ReviewCaseView {
        item: ReviewItemView::from(&case.item),
        linked_accounts: case
            .linked_accounts
            .iter()
            .map(|l| LinkedAccountView {
                buyer_id: l.buyer_id.to_string(),
                via: l.via.clone(),
                attempts: l.attempts,
            })
            .collect(),
        buyer_paid_orders: case.buyer_paid_orders,
        buyer_account_age_hours: case.buyer_account_age_hours,
        features,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecision {
    /// true releases the order to the seller; false cancels it and refunds
    /// the buyer in full.
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/console/risk/reviews/{order_id}", tag = "console", params(("order_id" = String, Path)), request_body = ReviewDecision,
    responses((status = 200, body = OrderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "Not waiting for review", body = ErrorBody)), security(("bearer" = [])))]
pub async fn decide(
    State(app): AppState,
    Auth(actor): Auth,
    Path(order_id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<OrderView>> {
    let req: ReviewDecision = parse_json(&body)?;
    let order_id: OrderId = path_id(&order_id, "order")?;
    let order: Order = app
        .decide_review(&actor, order_id, req.approve, &req.note)
        .await?;
    Ok(Json(OrderView::seen_by(&order, &actor, app.now())))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: String,
    pub version: i64,
    pub name: String,
    /// `request_verification`, `allow`, `block` or `review`.
    pub action: String,
    /// CEL, e.g. `risk_score >= 75` or `device_id in @blocked_devices`.
    pub expression: String,
    pub enabled: bool,
    pub updated_at: String,
    pub updated_by: Option<String>,
}

impl From<&RiskRule> for RuleView {
    fn from(r: &RiskRule) -> Self {
        RuleView {
            id: r.id.clone(),
            version: r.version,
            name: r.name.clone(),
            action: r.action.clone(),
            expression: r.expression.clone(),
            enabled: r.enabled,
            updated_at: r.updated_at.to_string(),
            updated_by: r.updated_by.map(|u| u.to_string()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    pub name: String,
    pub action: String,
    pub expression: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The version you are replacing (required when editing a rule).
    pub expected_version: Option<i64>,
}

fn yes() -> bool {
    true
}

impl From<RuleRequest> for RuleInput {
    fn from(r: RuleRequest) -> Self {
        RuleInput {
            name: r.name,
            action: r.action,
            expression: r.expression,
            enabled: r.enabled,
            expected_version: r.expected_version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RuleDetailView {
    pub rule: RuleView,
    /// Every saved version, newest first.
    pub versions: Vec<RuleView>,
}

#[utoipa::path(get, path = "/api/v1/console/risk/rules", tag = "console",
    responses((status = 200, body = Vec<RuleView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rules(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<Vec<RuleView>>> {
    let rules = app.risk_rules(&actor).await?;
    Ok(Json(rules.iter().map(RuleView::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/console/risk/rules", tag = "console", request_body = RuleRequest,
    responses((status = 201, body = RuleView), (status = 403, body = ErrorBody), (status = 422, description = "The rule does not compile; details.line and details.column say where", body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_rule(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<RuleView>)> {
    let req: RuleRequest = parse_json(&body)?;
    let rule = app.save_risk_rule(&actor, None, req.into()).await?;
    Ok((StatusCode::CREATED, Json(RuleView::from(&rule))))
}

#[utoipa::path(get, path = "/api/v1/console/risk/rules/{id}", tag = "console", params(("id" = String, Path)),
    responses((status = 200, body = RuleDetailView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rule(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<RuleDetailView>> {
    let (rule, versions) = app.risk_rule(&actor, &id).await?;
    Ok(Json(RuleDetailView {
        rule: RuleView::from(&rule),
        versions: versions.iter().map(RuleView::from).collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/console/risk/rules/{id}", tag = "console", params(("id" = String, Path)), request_body = RuleRequest,
    responses((status = 200, description = "Saved as the next version", body = RuleView), (status = 403, body = ErrorBody), (status = 409, description = "Someone saved a newer version", body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn update_rule(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<Json<RuleView>> {
    let req: RuleRequest = parse_json(&body)?;
    app.risk_rule(&actor, &id).await?;
    let rule = app.save_risk_rule(&actor, Some(&id), req.into()).await?;
    Ok(Json(RuleView::from(&rule)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DryRunRequest {
    pub rule: RuleRequest,
    /// How many recent payments to replay (1-10,000; default 1,000).
    pub last: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunView {
    pub evaluated: u32,
    pub matched: u32,
    /// Payments the rule skipped because an attribute it needs was missing.
    pub skipped_missing: u32,
    pub failed: u32,
    /// Matched payments whose outcome the rule would have changed.
    pub would_change: u32,
    /// Up to 20 matched payments.
    #[schema(value_type = Vec<Object>)]
    pub examples: Vec<serde_json::Value>,
}

impl From<DryRun> for DryRunView {
    fn from(run: DryRun) -> Self {
        DryRunView {
            evaluated: run.evaluated,
            matched: run.matched,
            skipped_missing: run.skipped_missing,
            failed: run.failed,
            would_change: run.would_change,
            examples: run
                .examples
                .iter()
                .filter_map(|e| serde_json::to_value(e).ok())
                .collect(),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/console/risk/rules/dry-run", tag = "console", request_body = DryRunRequest,
    responses((status = 200, body = DryRunView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn dry_run(
    State(app): AppState,
    Auth(actor): Auth,
    RawBody(body): RawBody,
) -> ApiResult<Json<DryRunView>> {
    let req: DryRunRequest = parse_json(&body)?;
    let input: RuleInput = req.rule.into();
    let run = app
        .dry_run_rule(&actor, &input, req.last.unwrap_or(1_000))
        .await?;
    Ok(Json(run.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListEntryView {
    pub list: String,
    pub value: String,
    pub added_at: String,
}

impl From<&RiskListEntry> for ListEntryView {
    fn from(e: &RiskListEntry) -> Self {
        ListEntryView {
            list: e.name.clone(),
            value: e.value.clone(),
            added_at: e.added_at.to_string(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/console/risk/lists", tag = "console",
    responses((status = 200, body = Vec<ListEntryView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn lists(State(app): AppState, Auth(actor): Auth) -> ApiResult<Json<Vec<ListEntryView>>> {
    let entries = app.risk_lists(&actor).await?;
    Ok(Json(entries.iter().map(ListEntryView::from).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListEdit {
    pub value: String,
    /// true removes the value instead of adding it.
    #[serde(default)]
    pub remove: bool,
}

#[utoipa::path(post, path = "/api/v1/console/risk/lists/{name}", tag = "console", params(("name" = String, Path, description = "The list, as rules name it after @")), request_body = ListEdit,
    responses((status = 204, description = "Done"), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn edit_list(
    State(app): AppState,
    Auth(actor): Auth,
    Path(name): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<StatusCode> {
    let req: ListEdit = parse_json(&body)?;
    app.edit_risk_list(&actor, &name, &req.value, !req.remove)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
