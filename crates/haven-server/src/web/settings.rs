//! The admin's platform settings: the policy defaults (commission, windows,
//! deadlines) as a form; saving publishes a new policy version, which new
//! orders follow while earlier orders keep the one they were sold under.

use super::filters;
use askama::Template;
use axum::extract::State;
use haven_domain::account::Role;
use haven_domain::policy::Policy;

use super::{AppState, Layout, Member, Query, WebResult, parse_form, render};
use crate::api::extract::RawBody;
use axum::response::IntoResponse;
use haven_app::{Actor, App, AppError};

/// Each policy field with the words the form shows.
const FIELDS: &[(&str, &str)] = &[
    (
        "commission_bps",
        "Commission on item and shipping, in basis points (800 = 8 %)",
    ),
    (
        "protection_days_after_delivery",
        "Buyer protection: days after the delivery scan",
    ),
    (
        "protection_days_after_promised",
        "Buyer protection without a scan: days after the promised date",
    ),
    (
        "guarantee_bps",
        "On-time guarantee credit, in basis points of the order (1000 = 10 %)",
    ),
    (
        "guarantee_min_minor",
        "On-time guarantee credit at least (cents)",
    ),
    (
        "ship_by_days_min",
        "Ship-by: fewest days a seller may promise",
    ),
    (
        "ship_by_days_default",
        "Ship-by: days when the seller says nothing",
    ),
    (
        "ship_by_days_max",
        "Ship-by: most days a seller may promise",
    ),
    (
        "unpaid_expiry_minutes",
        "Unpaid orders are cancelled after (minutes)",
    ),
    (
        "cancel_request_timeout_hours",
        "A buyer's cancel request is granted after the seller's silence of (hours)",
    ),
    (
        "no_scan_proof_days",
        "Not-received claim: days the seller has to prove delivery",
    ),
    (
        "reserve_hold_days",
        "Reserve: days a release waits for stores under enforcement",
    ),
    (
        "dispute_seller_response_days",
        "Disputes: days the seller has to answer (silence grants the request)",
    ),
    (
        "dispute_buyer_escalate_after_days",
        "Disputes: the buyer may ask Haven to decide from day",
    ),
    (
        "dispute_auto_escalate_days",
        "Disputes: escalate by themselves on day",
    ),
    (
        "return_ship_days",
        "Returns: days the buyer has to ship the return",
    ),
    ("return_warning_days", "Returns: remind the buyer on day"),
    (
        "return_check_days",
        "Returns: days the seller has to check a delivered return",
    ),
];

struct FieldRow {
    key: &'static str,
    label: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "admin_settings.html")]
struct SettingsPage {
    layout: Layout,
    version: i64,
    fields: Vec<FieldRow>,
    /// A refusal about the whole form.
    error: Option<String>,
    /// A refusal about one field: (its key, why), shown next to it.
    field_error: Option<(String, String)>,
    /// The brand the message scanner protects, and the brand form's refusal.
    brand_name: String,
    brand_error: Option<String>,
    /// The operator lists this page edits, with their entries.
    lists: Vec<ListRow>,
    /// Published policy versions, newest first.
    history: Vec<VersionRow>,
    /// The next (older) page of `history`.
    older_url: Option<String>,
}

/// One published policy version: when, by whom, and what it changed.
struct VersionRow {
    version: i64,
    /// RFC 3339, for the `when` filter.
    published_at: String,
    by: String,
    changes: Vec<String>,
}

/// Versions listed per page.
const HISTORY_PAGE: u32 = 10;

/// What `newer` changed from `older`, field by field, in the form's words.
fn changes(older: &Policy, newer: &Policy) -> Vec<String> {
    let as_map = |p: &Policy| match serde_json::to_value(p) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    let (before, after) = (as_map(older), as_map(newer));
    FIELDS
        .iter()
        .filter_map(|(key, label)| {
            let (from, to) = (before.get(*key)?, after.get(*key)?);
            (from != to).then(|| format!("{label}: {from} → {to}"))
        })
        .collect()
}

/// A page of the policy history, each version compared with the one before.
async fn history(
    app: &App,
    actor: &Actor,
    before: Option<i64>,
) -> Result<(Vec<VersionRow>, Option<String>), AppError> {
    // One more than shown: the oldest shown is compared with it.
    let records = app.policy_history(actor, before, HISTORY_PAGE + 1).await?;
    let mut rows = Vec::new();
    for (i, record) in records.iter().take(HISTORY_PAGE as usize).enumerate() {
        let by = match record.published_by {
            Some(id) => super::user_name(app, id).await?,
            None => "Haven, from its configuration at start-up".to_string(),
        };
        let changes = match records.get(i + 1) {
            Some(older) => match changes(&older.policy, &record.policy) {
                found if found.is_empty() => vec!["The values of the version before.".into()],
                found => found,
            },
            None => vec!["The first version.".to_string()],
        };
        rows.push(VersionRow {
            version: record.version,
            published_at: record.published_at.to_string(),
            by,
            changes,
        });
    }
    let older_url = (records.len() > HISTORY_PAGE as usize)
        .then(|| {
            rows.last()
                .map(|r| format!("/admin/settings?before={}#history", r.version))
        })
        .flatten();
    Ok((rows, older_url))
}

impl SettingsPage {
    fn error_for(&self, key: &str) -> Option<&str> {
        self.field_error
            .as_ref()
            .filter(|(k, _)| k == key)
            .map(|(_, why)| why.as_str())
    }
}

/// One operator list: its name, what it does, and its entries.
struct ListRow {
    name: &'static str,
    what: &'static str,
    values: Vec<String>,
}

/// The lists an admin keeps here (agents also edit them, with every other
/// list, under Console → Risk rules).
const LISTS: &[(&str, &str)] = &[
    (
        haven_app::risk::MARKETPLACE_DOMAINS,
        "More domains the marketplace owns: the scanner trusts their links and flags imitations of them.",
    ),
    (
        haven_app::risk::CARRIER_DOMAINS,
        "Carriers whose tracking links the scanner trusts, on top of the built-in ones.",
    ),
    (
        haven_app::risk::DISPOSABLE_EMAIL_DOMAINS,
        "Throwaway email domains payment scoring counts as disposable, on top of the shipped list.",
    ),
    (
        "protected_brands",
        "Brands the listing checks protect: a listing naming one far below its category's price is held.",
    ),
    (
        "regulated_categories",
        "Categories whose listings show certificates an agent has checked.",
    ),
];

fn rows(values: &serde_json::Map<String, serde_json::Value>) -> Vec<FieldRow> {
    FIELDS
        .iter()
        .map(|(key, label)| FieldRow {
            key,
            label,
            value: values
                .get(*key)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .unwrap_or_default(),
        })
        .collect()
}

/// What went wrong on the page, if anything: the policy form or the
/// brand form.
#[derive(Default)]
struct Refused {
    policy: Option<AppError>,
    brand: Option<(String, String)>,
}

async fn page(
    app: &App,
    actor: &Actor,
    values: serde_json::Map<String, serde_json::Value>,
    refused: Refused,
    before: Option<i64>,
) -> WebResult {
    let (error, field_error) = match refused.policy {
        Some(err) => match err.details.field.clone() {
            Some(field) if FIELDS.iter().any(|(k, _)| *k == field) => {
                (None, Some((field, err.message)))
            }
            _ => (Some(err.message), None),
        },
        None => (None, None),
    };
    let entries = app.risk_lists(actor).await?;
    let lists = LISTS
        .iter()
        .map(|(name, what)| ListRow {
            name,
            what,
            values: entries
                .iter()
                .filter(|e| e.name == *name)
                .map(|e| e.value.clone())
                .collect(),
        })
        .collect();
    let (brand_name, brand_error) = match refused.brand {
        Some((typed, why)) => (typed, Some(why)),
        None => (app.scanner_brand().await?, None),
    };
    let (history, older_url) = history(app, actor, before).await?;
    Ok(render(&SettingsPage {
        layout: Layout::new(app, Some(actor), "Platform settings"),
        history,
        older_url,
        version: app.current_policy().0,
        fields: rows(&values),
        error,
        field_error,
        brand_name,
        brand_error,
        lists,
    }))
}

fn current_values(app: &App) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(app.current_policy().1.as_ref()) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct HistoryQuery {
    /// Show policy versions older than this one.
    before: Option<i64>,
}

pub async fn show(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<HistoryQuery>,
) -> WebResult {
    actor.require_role(Role::Admin)?;
    page(
        &app,
        &actor,
        current_values(&app),
        Refused::default(),
        q.before,
    )
    .await
}

/// The page again with a refused form: a 4xx, so nothing reads it as saved.
async fn refused_page(
    app: &App,
    actor: &Actor,
    values: serde_json::Map<String, serde_json::Value>,
    refused: Refused,
    status: axum::http::StatusCode,
) -> WebResult {
    let page = page(app, actor, values, refused, None).await?;
    Ok((status, page).into_response())
}

#[derive(serde::Deserialize)]
pub struct BrandForm {
    #[serde(default)]
    brand_name: String,
}

/// The brand the message scanner protects.
pub async fn save_brand(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    actor.require_role(Role::Admin)?;
    let form: BrandForm = parse_form(&body)?;
    match app.set_scanner_brand(&actor, &form.brand_name).await {
        Ok(()) => Ok(super::csrf::redirect_with_flash(
            &app,
            "/admin/settings#scanner",
            &format!(
                "The message scanner now protects the name “{}”.",
                form.brand_name.trim()
            ),
        )),
        Err(err) if err.kind.is_correctable() => {
            let status = crate::error::status_of(err.kind);
            let refused = Refused {
                policy: None,
                brand: Some((form.brand_name, err.message)),
            };
            refused_page(&app, &actor, current_values(&app), refused, status).await
        }
        Err(err) => Err(err.into()),
    }
}

/// The form's fields as a policy: every field a whole number.
fn policy_from(form: &std::collections::HashMap<String, String>) -> Result<Policy, AppError> {
    let mut map = serde_json::Map::new();
    for (key, label) in FIELDS {
        let raw = form.get(*key).map(|s| s.trim()).unwrap_or_default();
        let number: i64 = raw
            .parse()
            .map_err(|_| AppError::invalid_field(key, format!("{label}: write a whole number")))?;
        map.insert((*key).to_string(), number.into());
    }
    serde_json::from_value(serde_json::Value::Object(map))
        .map_err(|e| AppError::validation(format!("these settings do not fit: {e}")))
}

pub async fn save(
    State(app): AppState,
    Member(actor): Member,
    RawBody(body): RawBody,
) -> WebResult {
    actor.require_role(Role::Admin)?;
    let form: std::collections::HashMap<String, String> = parse_form(&body)?;
    let outcome = match policy_from(&form) {
        Ok(policy) => app.publish_policy(&actor, policy).await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(version) => Ok(super::csrf::redirect_with_flash(
            &app,
            "/admin/settings",
            &format!(
                "Policy version {version} is live. Orders placed from now on follow it; orders already placed keep the version they were sold under."
            ),
        )),
        Err(err) if err.kind.is_correctable() => {
            let typed = form
                .into_iter()
                .map(|(k, v)| (k, serde_json::Value::String(v)))
                .collect();
            let status = crate::error::status_of(err.kind);
            let refused = Refused {
                policy: Some(err),
                brand: None,
            };
            refused_page(&app, &actor, typed, refused, status).await
        }
        Err(err) => Err(err.into()),
    }
}
