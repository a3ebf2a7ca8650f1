//! Dispute centre endpoints: open, act, evidence, export, and the agent's
//! case queue and audit trail.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::dispute::{Decision, DisputeReason, OpenRequest, RequestedOutcome};
use haven_domain::ids::{DisputeId, OrderId};

use super::extract::{
    Auth, DisputeCall, OrderAction, PageParams, Path, Query, RawBody, UploadBody, path_id,
};
use super::requests::*;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::views::{AuditView, DisputeView, EvidenceEntryView, PageView};
use haven_app::{App, ChargebackNotice, DisputeAction};

type AppState = State<Arc<App>>;

fn parse_requested(value: serde_json::Value) -> ApiResult<RequestedOutcome> {
    serde_json::from_value(value).map_err(|_| ApiError::validation("requested_outcome must be {\"type\":\"full_refund\"}, {\"type\":\"partial_refund\",\"amount_minor\":N} or {\"type\":\"return_and_refund\"}"))
}

fn parse_decision(value: serde_json::Value) -> ApiResult<Decision> {
    serde_json::from_value(value).map_err(|_| ApiError::validation("decision must be {\"type\":\"full_refund\"}, {\"type\":\"partial_refund\",\"amount_minor\":N} or {\"type\":\"no_refund\"}"))
}

async fn dispute_view(
    app: &App,
    actor: &haven_app::Actor,
    dispute: &haven_domain::dispute::Dispute,
) -> ApiResult<DisputeView> {
    let order = app.order(dispute.order_id).await?;
    let policy = app.policy(dispute.policy_version).await?;
    Ok(DisputeView::seen_by(
        dispute,
        &order,
        &policy,
        actor,
        app.now(),
    ))
}

#[utoipa::path(post, path = "/api/v1/orders/{id}/disputes", tag = "disputes", request_body = OpenDisputeRequest,
    params(("id" = String, Path, description = "Order id")),
    responses((status = 201, body = DisputeView), (status = 403, description = "only the buyer can open a dispute", body = ErrorBody),
              (status = 409, description = "window ended, not shipped, or a dispute is already open", body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn open_dispute(action: OrderAction<OpenDisputeRequest>) -> Response {
    let OrderAction {
        app,
        actor,
        order_id,
        body,
        idem,
    } = action;
    let reason = DisputeReason::parse(&body.reason);
    let requested = parse_requested(body.requested_outcome);
    let worker = app.clone();
    let viewer = actor.clone();
    super::extract::idempotent(&app, &viewer, idem.clone(), StatusCode::CREATED, async move {
        let reason = reason.ok_or_else(|| ApiError::validation("reason must be one of not_received, not_as_described, damaged, counterfeit, wrong_item, missing_parts"))?;
        let request = OpenRequest { reason, requested: requested?, description: body.description };
        let dispute = worker.open_dispute(&actor, order_id, request, idem.as_ref()).await?;
        Ok((StatusCode::CREATED, dispute_view(&worker, &actor, &dispute).await?))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/orders/{id}/disputes", tag = "disputes", params(("id" = String, Path, description = "Order id")),
    responses((status = 200, body = Vec<DisputeView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn order_disputes(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<DisputeView>>> {
    let order = app
        .order_for(&actor, path_id::<OrderId>(&id, "order")?)
        .await?;
    let disputes = app.store.disputes_for_order(order.id).await?;
    Ok(Json(
        crate::views::dispute_views(&app, &actor, &disputes).await?,
    ))
}

#[utoipa::path(get, path = "/api/v1/disputes", tag = "disputes", params(DisputeQuery),
    responses((status = 200, body = PageView<DisputeView>)), security(("bearer" = [])))]
pub async fn list_disputes(
    State(app): AppState,
    Auth(actor): Auth,
    Query(q): Query<DisputeQuery>,
) -> ApiResult<Json<PageView<DisputeView>>> {
    let page = PageParams {
        cursor: q.cursor,
        limit: q.limit,
    }
    .request()?;
    let result = match q.role.as_deref() {
        None | Some("buyer") => app.store.disputes_for_buyer(actor.id(), &page).await?,
        Some("seller") => {
            app.store
                .disputes_for_store(actor.require_store()?, &page)
                .await?
        }
        Some(_) => return Err(ApiError::bad_request("role must be buyer or seller")),
    };
    Ok(Json(PageView {
        items: crate::views::dispute_views(&app, &actor, &result.items).await?,
        next_cursor: result.next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/disputes/{id}", tag = "disputes", params(("id" = String, Path, description = "Dispute id")),
    responses((status = 200, body = DisputeView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_dispute(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<DisputeView>> {
    let detail = app
        .dispute_detail(&actor, path_id::<DisputeId>(&id, "dispute")?)
        .await?;
    let policy = app.policy(detail.dispute.policy_version).await?;
    Ok(Json(DisputeView::seen_by(
        &detail.dispute,
        &detail.order,
        &policy,
        &actor,
        app.now(),
    )))
}

#[utoipa::path(get, path = "/api/v1/disputes/{id}/evidence", tag = "disputes", params(("id" = String, Path, description = "Dispute id")),
    responses((status = 200, description = "The hash-chained log, oldest first", body = Vec<EvidenceEntryView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn evidence(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<EvidenceEntryView>>> {
    let detail = app
        .dispute_detail(&actor, path_id::<DisputeId>(&id, "dispute")?)
        .await?;
    Ok(Json(
        detail
            .evidence
            .iter()
            .map(EvidenceEntryView::from)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/disputes/{id}/evidence/messages", tag = "disputes", request_body = MessageRequest,
    params(("id" = String, Path, description = "Dispute id")),
    responses((status = 201, body = EvidenceEntryView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_message(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> ApiResult<(StatusCode, Json<EvidenceEntryView>)> {
    let req: MessageRequest = super::extract::parse_json(&body)?;
    let entry = app
        .add_dispute_message(&actor, path_id(&id, "dispute")?, &req.text)
        .await?;
    Ok((StatusCode::CREATED, Json(EvidenceEntryView::from(&entry))))
}

#[utoipa::path(post, path = "/api/v1/disputes/{id}/evidence/files", tag = "disputes",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A PNG, JPEG or WebP image (8 MiB) or an MP4, MOV or WebM video (50 MiB); the type is read from the content"),
    params(("id" = String, Path, description = "Dispute id"), FileQuery),
    responses((status = 201, body = EvidenceEntryView), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_file(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
    Query(q): Query<FileQuery>,
    UploadBody(upload): UploadBody,
) -> ApiResult<(StatusCode, Json<EvidenceEntryView>)> {
    let entry = app
        .add_dispute_file(
            &actor,
            path_id(&id, "dispute")?,
            upload,
            q.note.as_deref().unwrap_or(""),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(EvidenceEntryView::from(&entry))))
}

#[utoipa::path(get, path = "/api/v1/disputes/{id}/evidence/files/{hash}", tag = "disputes",
    params(("id" = String, Path, description = "Dispute id"), ("hash" = String, Path, description = "SHA-256 of the file")),
    responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_file(
    State(app): AppState,
    Auth(actor): Auth,
    Path((id, hash)): Path<(String, String)>,
) -> ApiResult<Response> {
    let (file, bytes) = app
        .dispute_file(&actor, path_id(&id, "dispute")?, &hash)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, file.content_type),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; sandbox".to_string(),
            ),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[utoipa::path(get, path = "/api/v1/disputes/{id}/export", tag = "disputes", params(("id" = String, Path, description = "Dispute id")),
    responses((status = 200, description = "Chargeback evidence bundle: the order, every dispute's hash-chained log with its files (base64), tracking and the audit trail", body = Object), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn export(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let bundle = app.dispute_bundle(&actor, path_id(&id, "dispute")?).await?;
    let name = format!("attachment; filename=\"haven-evidence-{id}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, name)], Json(bundle)).into_response())
}

macro_rules! dispute_endpoint {
    ($name:ident, $path:literal, $req:ty, $doc:literal, |$body:ident| $action:expr) => {
        #[utoipa::path(post, path = $path, tag = "disputes", request_body = $req, description = $doc,
            params(("id" = String, Path, description = "Dispute id")),
            responses((status = 200, body = DisputeView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
            security(("bearer" = [])))]
        pub async fn $name(call: DisputeCall<$req>) -> Response {
            call.run(StatusCode::OK, |app, actor, id, $body: $req, idem| async move {
                let action: ApiResult<DisputeAction> = $action;
                Ok::<_, ApiError>(app.dispute_action(&actor, id, action?, idem.as_ref()).await?)
            })
            .await
        }
    };
}

dispute_endpoint!(
    accept,
    "/api/v1/disputes/{id}/accept",
    AcceptDisputeRequest,
    "Seller: grant the buyer's request (a return needs the return address).",
    |req| Ok(DisputeAction::Accept {
        return_address: req.return_address.map(Into::into)
    })
);
dispute_endpoint!(
    counter,
    "/api/v1/disputes/{id}/counter",
    CounterOfferRequest,
    "Seller: offer a partial refund; the buyer keeps the item if they accept.",
    |req| Ok(DisputeAction::Counter {
        amount_minor: req.amount_minor,
        message: req.message
    })
);
dispute_endpoint!(
    reject,
    "/api/v1/disputes/{id}/reject",
    ExplanationRequest,
    "Seller: reject with an explanation (add files as evidence).",
    |req| Ok(DisputeAction::Reject {
        explanation: req.explanation
    })
);
dispute_endpoint!(
    accept_counter,
    "/api/v1/disputes/{id}/counter/accept",
    super::handlers::Empty,
    "Buyer: accept the seller's partial refund.",
    |_req| Ok(DisputeAction::AcceptCounter)
);
dispute_endpoint!(
    decline_counter,
    "/api/v1/disputes/{id}/counter/decline",
    super::handlers::Empty,
    "Buyer: decline the seller's offer.",
    |_req| Ok(DisputeAction::DeclineCounter)
);
dispute_endpoint!(
    escalate,
    "/api/v1/disputes/{id}/escalate",
    super::handlers::Empty,
    "Buyer: ask Haven to decide (from day 3; automatic at day 15).",
    |_req| Ok(DisputeAction::Escalate)
);
dispute_endpoint!(
    withdraw,
    "/api/v1/disputes/{id}/withdraw",
    WithdrawRequest,
    "Buyer: withdraw. Without confirm=true the answer explains what the buyer keeps; a withdrawn dispute can be reopened while the window lasts.",
    |req| Ok(DisputeAction::Withdraw {
        confirmed: req.confirm
    })
);
dispute_endpoint!(
    ship_return,
    "/api/v1/disputes/{id}/return/ship",
    ShipRequest,
    "Buyer: the return is on its way (tracked).",
    |req| Ok(DisputeAction::ShipReturn {
        carrier: req.carrier,
        tracking_number: req.tracking_number
    })
);
dispute_endpoint!(
    confirm_return,
    "/api/v1/disputes/{id}/return/confirm",
    super::handlers::Empty,
    "Seller: the return arrived as expected; refund the buyer.",
    |_req| Ok(DisputeAction::ConfirmReturn)
);
dispute_endpoint!(
    contest_return,
    "/api/v1/disputes/{id}/return/contest",
    ExplanationRequest,
    "Seller: contest the returned item; an agent decides.",
    |req| Ok(DisputeAction::ContestReturn {
        explanation: req.explanation
    })
);
dispute_endpoint!(
    decide,
    "/api/v1/disputes/{id}/decide",
    DecisionRequest,
    "Agent: decide an escalated case with written reasons; moves the money.",
    |req| Ok(DisputeAction::Decide {
        decision: parse_decision(req.decision)?,
        reasons: req.reasons,
        counterfeit_confirmed: req.counterfeit_confirmed
    })
);

#[utoipa::path(post, path = "/api/v1/disputes/{id}/reopen", tag = "disputes", params(("id" = String, Path, description = "The withdrawn dispute")),
    responses((status = 201, body = DisputeView), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reopen(call: DisputeCall<super::handlers::Empty>) -> Response {
    call.run(StatusCode::CREATED, |app, actor, id, _, idem| async move {
        app.reopen_dispute(&actor, id, idem.as_ref()).await
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/console/cases", tag = "console", params(PageParams),
    responses((status = 200, description = "Escalated disputes, longest waiting first", body = PageView<DisputeView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn case_queue(
    State(app): AppState,
    Auth(actor): Auth,
    Query(params): Query<PageParams>,
) -> ApiResult<Json<PageView<DisputeView>>> {
    app.require_agent(&actor)?;
    let page = app.store.escalated_disputes(&params.request()?).await?;
    Ok(Json(PageView {
        items: crate::views::dispute_views(&app, &actor, &page.items).await?,
        next_cursor: page.next_cursor,
    }))
}

#[utoipa::path(get, path = "/api/v1/orders/{id}/audit", tag = "console", params(("id" = String, Path, description = "Order id")),
    responses((status = 200, description = "Every transition of the order and its disputes", body = Vec<AuditView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn audit(
    State(app): AppState,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<AuditView>>> {
    app.require_agent(&actor)?;
    let order_id: OrderId = path_id(&id, "order")?;
    Ok(Json(
        app.store
            .audit_for_order(order_id)
            .await?
            .iter()
            .map(AuditView::from)
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/gateways/{gateway}/webhook", tag = "payments", request_body = super::wire::ChargebackNoticeSchema,
    params(("gateway" = String, Path), ("Haven-Signature" = String, Header, description = "t=<unix seconds>,v1=<hex HMAC-SHA256 over t.body> with the gateway secret")),
    responses((status = 200, body = crate::views::OrderView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn gateway_webhook(
    State(app): AppState,
    Path(gateway): Path<String>,
    headers: axum::http::HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<crate::views::OrderView>> {
    if gateway != app.gateway.name() {
        return Err(ApiError::not_found("gateway"));
    }
    let signature = headers
        .get(haven_app::carrier::SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    haven_app::carrier::verify_signature(
        &app.config.gateway_webhook_secret,
        signature,
        &body,
        app.now(),
    )?;
    let notice: ChargebackNotice = super::extract::parse_json(&body)?;
    let order = app.ingest_chargeback(notice).await?;
    Ok(Json(crate::views::OrderView::for_party(
        &order,
        haven_domain::dispute::Party::System,
        app.now(),
    )))
}
