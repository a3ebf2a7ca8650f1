//! Dispute pages: open one, the dispute page (with its evidence log and the
//! actions the viewer's role allows), the withdraw confirmation, the buyer's
//! and seller's lists, and the agent's case queue.

use super::{CursorQuery, Path, Query};
use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use haven_domain::dispute::{
    Decision, Dispute, DisputeReason, DisputeState, OpenRequest, RequestedOutcome,
};
use haven_domain::ids::{DisputeId, OrderId};
use haven_domain::money::Money;
use haven_domain::order::{Address, Order};
use haven_risk::tracking::Carrier;
use haven_store::PageRequest;
use serde::Deserialize;

use super::{
    AppState, Layout, Member, RefusedForms, WebError, WebResult, filters, parse_form, render,
};
use crate::api::extract::{RawBody, path_id};
use crate::error::ApiError;
use crate::views::{DisputeView, EvidenceEntryView, OrderView};
use haven_app::blobs::{StoredBlob, Upload};
use haven_app::{Actor, App, DisputeAction, DisputeDetail, Role};

#[derive(Template)]
#[template(path = "dispute_new.html")]
struct NewDisputePage {
    layout: Layout,
    order: OrderView,
    reasons: Vec<(&'static str, &'static str)>,
    /// What was typed, kept when the form is refused.
    typed: TypedDispute,
    refusal: super::FormRefusal,
}

impl NewDisputePage {
    fn error_for(&self, name: &str) -> Option<&str> {
        self.refusal.for_field(name)
    }
}

#[derive(Default)]
struct TypedDispute {
    reason: String,
    outcome: String,
    partial_amount: String,
    description: String,
}

impl TypedDispute {
    fn of(parts: &FormParts) -> TypedDispute {
        TypedDispute {
            reason: parts.get("reason").to_string(),
            outcome: parts.get("outcome").to_string(),
            partial_amount: parts.get("partial_amount").to_string(),
            description: parts.get("description").to_string(),
        }
    }
}

const DISPUTE_FIELDS: &[&str] = &["reason", "partial_amount", "description", "photo"];

fn new_dispute_page(
    app: &App,
    actor: &Actor,
    order: &Order,
    typed: TypedDispute,
    refusal: super::FormRefusal,
) -> Response {
    let reasons = DisputeReason::ALL
        .iter()
        .map(|r| (r.as_str(), r.label()))
        .collect();
    render(&NewDisputePage {
        layout: Layout::new(app, Some(actor), "Open a dispute"),
        order: OrderView::seen_by(order, actor, app.now()),
        reasons,
        typed,
        refusal,
    })
}

pub async fn new_dispute_form(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let order = app.order_for(&actor, path_id(&id, "order")?).await?;
    Ok(new_dispute_page(
        &app,
        &actor,
        &order,
        TypedDispute::default(),
        super::FormRefusal::default(),
    ))
}

/// The fields of a multipart form, with at most one file.
#[derive(Default)]
pub(super) struct FormParts {
    fields: std::collections::HashMap<String, String>,
    /// The stored file, or why it was refused (shown on the form).
    pub(super) file: Option<Result<StoredBlob, haven_app::AppError>>,
}

impl FormParts {
    pub(super) fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

/// Read a multipart form; its file field (if any) is streamed into the
/// blob store as it arrives, checked by content and size, never held whole.
pub(super) async fn read_multipart(
    mut multipart: Multipart,
    app: &App,
) -> Result<FormParts, WebError> {
    let bad = |e: axum::extract::multipart::MultipartError| {
        WebError::Page(ApiError::bad_request(format!("invalid upload: {e}")))
    };
    let mut parts = FormParts::default();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name() {
            // A file input left empty still sends a part, with no name.
            Some("") => {}
            Some(_) if parts.file.is_none() => {
                parts.file = Some(app.blobs.put_stream(field).await);
            }
            Some(_) => {}
            None if parts.fields.len() < 32 => {
                let text = field.text().await.map_err(bad)?;
                parts
                    .fields
                    .insert(name, text.chars().take(10_000).collect());
            }
            None => {}
        }
    }
    Ok(parts)
}

fn requested_from(parts: &FormParts, app: &App) -> Result<RequestedOutcome, ApiError> {
    match parts.get("outcome") {
        "partial_refund" => {
            let amount = Money::parse_decimal(parts.get("partial_amount"), app.currency())
                .map_err(|_| {
                    ApiError::from(haven_app::AppError::invalid_field(
                        "partial_amount",
                        "Enter the partial refund as an amount like 10.00.",
                    ))
                })?;
            Ok(RequestedOutcome::PartialRefund {
                amount_minor: amount.amount_minor,
            })
        }
        "return_and_refund" => Ok(RequestedOutcome::ReturnAndRefund),
        _ => Ok(RequestedOutcome::FullRefund),
    }
}

pub async fn open_dispute(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    multipart: Multipart,
) -> WebResult {
    let order_id: OrderId = path_id(&id, "order")?;
    let mut parts = read_multipart(multipart, &app).await?;
    let file = parts.file.take();
    let order = app.order_for(&actor, order_id).await?;
    let result = async {
        let reason = DisputeReason::parse(parts.get("reason")).ok_or_else(|| {
            ApiError::from(haven_app::AppError::invalid_field(
                "reason",
                "Choose what went wrong.",
            ))
        })?;
        let request = OpenRequest {
            reason,
            requested: requested_from(&parts, &app)?,
            description: parts.get("description").trim().to_string(),
        };
        let dispute = app.open_dispute(&actor, order_id, request, None).await?;
        if let Some(file) = file {
            app.add_dispute_file(
                &actor,
                dispute.id,
                Upload::Stored(file?),
                "attached when the dispute was opened",
            )
            .await?;
        }
        Ok::<_, ApiError>(dispute)
    }
    .await;
    match result {
        Ok(dispute) => Ok(super::csrf::redirect_with_flash(
            &app,
            &format!("/disputes/{}", dispute.id),
            "Dispute opened: the seller is asked to accept, offer a partial refund or reject it, and Haven holds the payment meanwhile.",
        )),
        Err(err) if err.kind.is_correctable() => {
            let aliases = [("amount_minor", "partial_amount")];
            let refusal = super::FormRefusal::of_aliased(&err, DISPUTE_FIELDS, &aliases);
            let page = new_dispute_page(&app, &actor, &order, TypedDispute::of(&parts), refusal);
            Ok((crate::error::status_of(err.kind), page).into_response())
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "dispute.html")]
struct DisputePage {
    layout: Layout,
    dispute: DisputeView,
    order: OrderView,
    evidence: Vec<EvidenceEntryView>,
    role: &'static str,
    held: String,
    carriers: Vec<(&'static str, &'static str)>,
    suggested_tracking: String,
    agent_panel: Vec<String>,
    refused: Option<super::RefusedForm>,
}

impl super::RefusedForms for DisputePage {
    fn refused(&self) -> Option<&super::RefusedForm> {
        self.refused.as_ref()
    }
}

/// The field of form `verb` to blame for `err`: the one it names, else the
/// form's free text when the refusal is about what was written. A refusal
/// about the dispute's state (closed, not yours to act on) names no field:
/// the form may no longer be on the page.
fn blamed_field(verb: &str, err: &ApiError) -> Option<&'static str> {
    use haven_app::ErrorKind as K;
    let about_input = matches!(
        err.kind,
        K::Validation
            | K::TrackingRejected
            | K::TrackingNumberReused
            | K::TrackingFormatInvalid
            | K::TrackingPredatesOrder
            | K::UnknownCarrier
            | K::MessageBlocked
            | K::TooLarge
            | K::TooManyFiles
    );
    if !about_input {
        return None;
    }
    match (verb, err.details.field.as_deref()) {
        (_, Some("amount" | "amount_minor")) => Some("amount"),
        (_, Some("return_address")) => Some("line1"),
        (_, Some("decision")) => Some("decision"),
        (_, Some("carrier")) => Some("carrier"),
        ("message", Some("text")) => Some("text"),
        ("counter", Some("message")) => Some("message"),
        ("reject" | "return-contest", Some("explanation")) => Some("explanation"),
        ("decide", Some("reasons")) => Some("reasons"),
        ("return-ship", Some("tracking_number")) => Some("tracking_number"),
        (_, Some(_)) => None,
        ("return-ship", None) => Some("tracking_number"),
        ("message", None) => Some("text"),
        ("upload", None) => Some("file"),
        ("counter", None) => Some("message"),
        ("reject" | "return-contest", None) => Some("explanation"),
        ("decide", None) => Some("reasons"),
        _ => None,
    }
}

/// `err` on the field of form `verb` to blame, with the posted `body`.
fn refused_action(verb: &'static str, err: &ApiError, body: &[u8]) -> super::RefusedForm {
    let refusal = match blamed_field(verb, err) {
        Some(field) => super::FormRefusal::on_field(field, err.message.clone()),
        None => super::FormRefusal::general(err.message.clone()),
    };
    super::RefusedForm::new(verb, refusal, body)
}

/// Accounts that shared a device, card, address or network with the buyer
/// when they paid (from the payment's risk record), and whether the seller
/// is among them: a buyer and seller who are one person is a staged case.
async fn linked_lines(
    app: &App,
    detail: &DisputeDetail,
    seller: Option<haven_domain::ids::UserId>,
) -> Result<Vec<String>, WebError> {
    let Some(attempt) = app.store.risk_attempt_for_order(detail.order.id).await? else {
        return Ok(vec![
            "Linked accounts: no payment record to compare (older than its retention, or paid before risk scoring)."
                .to_string(),
        ]);
    };
    let linked = app.store.risk_linked_accounts(&attempt, 20).await?;
    if linked.is_empty() {
        return Ok(vec![
            "Linked accounts: none shared the buyer's device, card, address or network."
                .to_string(),
        ]);
    }
    let mut lines = Vec::with_capacity(linked.len() + 1);
    if let Some(owner) = seller
        && linked.iter().any(|l| l.buyer_id == owner)
    {
        lines.push(
            "Warning: the seller's own account shares an identifier with the buyer.".to_string(),
        );
    }
    for line in super::risk::linked_in_words(app, &linked).await? {
        lines.push(format!("Linked account: {line}."));
    }
    Ok(lines)
}

async fn agent_panel(app: &App, detail: &DisputeDetail) -> Result<Vec<String>, WebError> {
    if detail.role != Role::Agent {
        return Ok(Vec::new());
    }
    let history = app
        .store
        .party_history(detail.order.buyer_id, detail.order.store_id)
        .await?;
    let shop = app.store.shop(detail.order.store_id).await?;
    let store_name = shop.as_ref().map(|s| s.name.clone()).unwrap_or_default();
    let mut lines = vec![
        format!(
            "Buyer: {} orders, {} disputes.",
            history.buyer_orders, history.buyer_disputes
        ),
        format!(
            "Seller ({store_name}): {} orders, {} disputes, {} strikes.",
            history.store_orders, history.store_disputes, history.store_strikes
        ),
    ];
    lines.extend(linked_lines(app, detail, shop.map(|s| s.owner_id)).await?);
    for record in app
        .store
        .audit_for_order(detail.order.id)
        .await?
        .iter()
        .rev()
        .take(12)
    {
        lines.push(format!(
            "{} · {} by the {}{} (policy version {})",
            record.at.strftime("%-d %b %Y %H:%M UTC"),
            super::audit::describe(record),
            haven_domain::wire_name(&record.actor),
            if record.reason.is_empty() {
                String::new()
            } else {
                format!(": “{}”", super::audit::words_for_reason(&record.reason))
            },
            record.policy_version
        ));
    }
    Ok(lines)
}

async fn dispute_page(
    app: &App,
    actor: &Actor,
    dispute_id: DisputeId,
    refused: Option<super::RefusedForm>,
) -> WebResult {
    let detail = app.dispute_detail(actor, dispute_id).await?;
    let policy = app.policy(detail.order.policy_version).await?;
    let role = match detail.role {
        Role::Buyer => "buyer",
        Role::Seller => "seller",
        Role::Agent => "agent",
    };
    let suggested_tracking = if app.config.demo {
        haven_app::carrier::simulated_tracking_number()
    } else {
        String::new()
    };
    Ok(render(&DisputePage {
        layout: Layout::new(app, Some(actor), "Dispute"),
        dispute: DisputeView::seen_by(&detail.dispute, &detail.order, &policy, actor, app.now()),
        order: OrderView::seen_by(&detail.order, actor, app.now()),
        evidence: detail
            .evidence
            .iter()
            .map(EvidenceEntryView::from)
            .collect(),
        role,
        held: super::shown(Money::new(
            detail.order.escrow_minor(),
            detail.order.total.currency,
        )),
        carriers: Carrier::ALL
            .iter()
            .map(|c| (c.as_str(), c.display_name()))
            .collect(),
        suggested_tracking,
        agent_panel: agent_panel(app, &detail).await?,
        refused,
    }))
}

pub async fn show(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    dispute_page(&app, &actor, path_id(&id, "dispute")?, None).await
}

/// Run the dispute action form `verb` asks for: on success, back to the
/// dispute with a message saying what happened (`said`, from the dispute
/// as it is now); a refused one re-renders the page with the reason beside
/// the field to blame and the typed text kept.
async fn act(
    app: &App,
    actor: &Actor,
    dispute_id: DisputeId,
    verb: &'static str,
    body: &[u8],
    said: fn(&Dispute) -> &'static str,
) -> WebResult {
    let form: ActionForm = parse_form(body)?;
    let result = match action_for(app, verb, form) {
        Ok(action) => app
            .dispute_action(actor, dispute_id, action, None)
            .await
            .map_err(ApiError::from),
        Err(err) => Err(err),
    };
    match result {
        Ok(dispute) => Ok(super::csrf::redirect_with_flash(
            app,
            &format!("/disputes/{}", dispute.id),
            said(&dispute),
        )),
        Err(err) => refused(app, actor, dispute_id, verb, err, body).await,
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct ActionForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    explanation: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    line1: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    carrier: String,
    #[serde(default)]
    tracking_number: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    counterfeit_confirmed: String,
    #[serde(default)]
    confirm: String,
    /// A message added to the evidence log.
    #[serde(default)]
    text: String,
}

fn amount(app: &App, raw: &str) -> Result<i64, ApiError> {
    Money::parse_decimal(raw, app.currency())
        .map(|m| m.amount_minor)
        .map_err(|_| {
            haven_app::AppError::invalid_field("amount", "Enter an amount like 12.50.").into()
        })
}

/// Which action a posted form asks for.
fn action_for(app: &App, verb: &str, form: ActionForm) -> Result<DisputeAction, ApiError> {
    Ok(match verb {
        "accept" => {
            let address = (!form.line1.is_empty()).then(|| Address {
                name: form.name,
                line1: form.line1,
                line2: String::new(),
                city: form.city,
                postal_code: form.postal_code,
                country: form.country,
            });
            DisputeAction::Accept {
                return_address: address,
            }
        }
        "counter" => DisputeAction::Counter {
            amount_minor: amount(app, &form.amount)?,
            message: form.message,
        },
        "reject" => DisputeAction::Reject {
            explanation: form.explanation,
        },
        "counter-accept" => DisputeAction::AcceptCounter,
        "counter-decline" => DisputeAction::DeclineCounter,
        "escalate" => DisputeAction::Escalate,
        "withdraw" => DisputeAction::Withdraw {
            confirmed: form.confirm == "true",
        },
        "return-ship" => DisputeAction::ShipReturn {
            carrier: form.carrier,
            tracking_number: form.tracking_number,
        },
        "return-confirm" => DisputeAction::ConfirmReturn,
        "return-contest" => DisputeAction::ContestReturn {
            explanation: form.explanation,
        },
        "decide" => {
            // No default: an agent who chose nothing has decided nothing.
            let decision = match form.decision.as_str() {
                "full_refund" => Decision::FullRefund,
                "partial_refund" => Decision::PartialRefund {
                    amount_minor: amount(app, &form.amount)?,
                },
                "no_refund" => Decision::NoRefund,
                _ => {
                    return Err(haven_app::AppError::invalid_field(
                        "decision",
                        "Choose what happens to the money: full refund, partial refund or no refund.",
                    )
                    .into());
                }
            };
            DisputeAction::Decide {
                decision,
                reasons: form.reasons,
                counterfeit_confirmed: form.counterfeit_confirmed == "true",
            }
        }
        _ => return Err(ApiError::not_found("page")),
    })
}

macro_rules! form_action {
    ($name:ident, $verb:literal, $said:expr) => {
        pub async fn $name(
            State(app): AppState,
            Member(actor): Member,
            Path(id): Path<String>,
            RawBody(body): RawBody,
        ) -> WebResult {
            let dispute_id = path_id(&id, "dispute")?;
            act(&app, &actor, dispute_id, $verb, &body, $said).await
        }
    };
}

form_action!(accept, "accept", |d| match d.state {
    DisputeState::AwaitingReturn => {
        "You accepted the request: the buyer ships the item back, and is refunded once it arrives."
    }
    _ => "You accepted the request: the buyer is refunded.",
});
form_action!(counter, "counter", |_| {
    "Your offer is sent: the buyer can accept or decline it."
});
form_action!(reject, "reject", |_| {
    "You rejected the request: the buyer can now ask Haven to step in."
});
form_action!(accept_counter, "counter-accept", |_| {
    "You accepted the seller's offer: the partial refund settles the dispute."
});
form_action!(decline_counter, "counter-decline", |_| {
    "You declined the seller's offer: you can ask Haven to step in."
});
form_action!(escalate, "escalate", |_| {
    "Sent to Haven: an agent will review the evidence and decide."
});
form_action!(withdraw, "withdraw", |_| {
    "Dispute withdrawn. You can reopen it while buyer protection lasts."
});
form_action!(ship_return, "return-ship", |_| {
    "Return marked as shipped: the seller can follow the parcel."
});
form_action!(confirm_return, "return-confirm", |_| {
    "Return confirmed: the buyer is refunded."
});
form_action!(contest_return, "return-contest", |_| {
    "Return contested: an agent will review the dispute and decide."
});

#[derive(Template)]
#[template(path = "decide_confirm.html")]
struct ConfirmDecisionPage {
    layout: Layout,
    dispute_id: String,
    item: String,
    /// The decision in words.
    summary: String,
    to_buyer: String,
    to_seller: String,
    counterfeit: bool,
    /// No carrier scan shows the order delivered.
    no_delivery_scan: bool,
    releases_money: bool,
    form: ActionForm,
}

/// An agent's decision moves money: the first post shows what will move
/// and asks again; only the second (`confirm=true`) decides.
pub async fn decide(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let dispute_id: DisputeId = path_id(&id, "dispute")?;
    let form: ActionForm = parse_form(&body)?;
    let confirmed = form.confirm == "true";
    let action = action_for(&app, "decide", form.clone());
    if confirmed || action.is_err() {
        return act(
            &app,
            &actor,
            dispute_id,
            "decide",
            &body,
            |_| "Decision recorded: the money moves as decided, and both parties are told.",
        )
        .await;
    }
    let detail = app.dispute_detail(&actor, dispute_id).await?;
    app.require_agent(&actor)?;
    let order = &detail.order;
    let currency = order.total.currency;
    let held = order.escrow_minor();
    let refund = match &action {
        Ok(DisputeAction::Decide { decision, .. }) => match decision {
            Decision::FullRefund => held,
            Decision::PartialRefund { amount_minor } => (*amount_minor).min(held),
            Decision::NoRefund => 0,
        },
        _ => 0,
    };
    let counterfeit = form.counterfeit_confirmed == "true";
    let summary = match form.decision.as_str() {
        "full_refund" => "Full refund to the buyer".to_string(),
        "partial_refund" => "Partial refund to the buyer, the rest to the seller".to_string(),
        _ => "No refund: the payment is released to the seller".to_string(),
    };
    let page = ConfirmDecisionPage {
        layout: Layout::new(&app, Some(&actor), "Confirm the decision"),
        dispute_id: dispute_id.to_string(),
        item: order.listing_title.clone(),
        summary,
        to_buyer: super::shown(Money::new(refund, currency)),
        to_seller: super::shown(Money::new(held - refund, currency)),
        counterfeit,
        no_delivery_scan: order.delivered_at.is_none(),
        releases_money: held - refund > 0,
        form,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "withdraw.html")]
struct WithdrawPage {
    layout: Layout,
    dispute: DisputeView,
    order: OrderView,
    reopen_until: String,
}

/// Before withdrawing, the buyer reads what they keep.
pub async fn withdraw_form(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let detail = app.dispute_detail(&actor, path_id(&id, "dispute")?).await?;
    if detail.role != Role::Buyer {
        return Err(ApiError::forbidden("only the buyer can withdraw a dispute").into());
    }
    let policy = app.policy(detail.order.policy_version).await?;
    let remaining_s = detail.order.protection_remaining_s(app.now()).unwrap_or(0);
    let reopen_until =
        (app.now() + haven_domain::SignedDuration::from_secs(remaining_s)).to_string();
    Ok(render(&WithdrawPage {
        layout: Layout::new(&app, Some(&actor), "Withdraw dispute"),
        dispute: DisputeView::seen_by(&detail.dispute, &detail.order, &policy, &actor, app.now()),
        order: OrderView::seen_by(&detail.order, &actor, app.now()),
        reopen_until,
    }))
}

pub async fn reopen(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let dispute_id: DisputeId = path_id(&id, "dispute")?;
    match app.reopen_dispute(&actor, dispute_id, None).await {
        Ok(dispute) => Ok(super::csrf::redirect_with_flash(
            &app,
            &format!("/disputes/{}", dispute.id),
            "Dispute reopened: the seller is asked to answer it again.",
        )),
        Err(err) => refused(&app, &actor, dispute_id, "reopen", err.into(), &[]).await,
    }
}

/// The dispute page again with `err` beside form `verb`'s field, or an
/// error page when the refusal is not the visitor's to correct.
async fn refused(
    app: &App,
    actor: &Actor,
    dispute_id: DisputeId,
    verb: &'static str,
    err: ApiError,
    body: &[u8],
) -> WebResult {
    if !err.kind.is_correctable() {
        return Err(err.into());
    }
    let status = crate::error::status_of(err.kind);
    let refused = refused_action(verb, &err, body);
    let page = dispute_page(app, actor, dispute_id, Some(refused)).await?;
    Ok((status, page).into_response())
}

pub async fn message(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    RawBody(body): RawBody,
) -> WebResult {
    let dispute_id = path_id(&id, "dispute")?;
    let form: ActionForm = parse_form(&body)?;
    match app
        .add_dispute_message(&actor, dispute_id, &form.text)
        .await
    {
        Ok(_) => Ok(super::csrf::redirect_with_flash(
            &app,
            &format!("/disputes/{dispute_id}"),
            "Message added to the dispute: the other side and any agent can read it.",
        )),
        Err(err) => refused(&app, &actor, dispute_id, "message", err.into(), &body).await,
    }
}

pub async fn upload(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
    multipart: Multipart,
) -> WebResult {
    let dispute_id = path_id(&id, "dispute")?;
    let parts = read_multipart(multipart, &app).await?;
    let Some(file) = parts.file else {
        let err = haven_app::AppError::invalid_field("file", "Choose a file to upload.");
        return refused(&app, &actor, dispute_id, "upload", err.into(), &[]).await;
    };
    let added = match file {
        Ok(stored) => {
            app.add_dispute_file(&actor, dispute_id, Upload::Stored(stored), "")
                .await
        }
        Err(refused) => Err(refused),
    };
    match added {
        Ok(_) => Ok(super::csrf::redirect_with_flash(
            &app,
            &format!("/disputes/{dispute_id}"),
            "File added to the evidence.",
        )),
        Err(err) => refused(&app, &actor, dispute_id, "upload", err.into(), &[]).await,
    }
}

pub async fn file(
    State(app): AppState,
    Member(actor): Member,
    Path((id, hash)): Path<(String, String)>,
) -> WebResult {
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

pub async fn export(
    State(app): AppState,
    Member(actor): Member,
    Path(id): Path<String>,
) -> WebResult {
    let bundle = app.dispute_bundle(&actor, path_id(&id, "dispute")?).await?;
    let body = serde_json::to_vec_pretty(&bundle).map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"haven-evidence-{id}.json\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "disputes.html")]
struct DisputeListPage {
    layout: Layout,
    heading: &'static str,
    disputes: Vec<DisputeView>,
    next_url: Option<String>,
}

async fn list_page(
    app: &App,
    actor: &Actor,
    heading: &'static str,
    page: haven_store::Page<haven_domain::dispute::Dispute>,
    base: &str,
) -> WebResult {
    let mut disputes = crate::views::dispute_views(app, actor, &page.items).await?;
    // What the viewer must act on first, the most urgent on top; the rest
    // keep their order (newest first).
    disputes.sort_by_cached_key(|d| {
        let deadline = d.next_deadline().map(str::to_string);
        (!d.your_move, !d.open, deadline.is_none(), deadline)
    });
    Ok(render(&DisputeListPage {
        layout: Layout::new(app, Some(actor), heading),
        heading,
        disputes,
        next_url: page.next_cursor.map(|c| format!("{base}?cursor={c}")),
    }))
}

pub async fn my_disputes(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<CursorQuery>,
) -> WebResult {
    let page = app
        .store
        .disputes_for_buyer(actor.id(), &PageRequest::new(q.cursor, Some(25)))
        .await?;
    list_page(&app, &actor, "My disputes", page, "/disputes").await
}

pub async fn seller_inbox(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<CursorQuery>,
) -> WebResult {
    let store = actor.require_store()?;
    let page = app
        .store
        .disputes_for_store(store, &PageRequest::new(q.cursor, Some(25)))
        .await?;
    list_page(&app, &actor, "Dispute inbox", page, "/seller/disputes").await
}
