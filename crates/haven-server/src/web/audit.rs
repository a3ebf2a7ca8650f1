//! The console's audit log: searchable by order, by agent (what they
//! decided) and by buyer or seller (the history of their orders), in
//! plain words.

use askama::Template;
use axum::extract::State;
use haven_app::audit::{AuditPage, AuditQuery};
use haven_domain::trail::AuditRecord;
use serde::Deserialize;
use std::collections::HashMap;

use super::{AppState, Layout, Member, Query, WebResult, filters, render};
use haven_app::{App, AppError};

#[derive(Deserialize)]
pub struct AuditForm {
    #[serde(default)]
    q: String,
    before: Option<i64>,
}

struct AuditRow {
    at: String,
    who: String,
    what: String,
    reason: String,
    link: String,
    link_text: &'static str,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPageView {
    layout: Layout,
    q: String,
    rows: Vec<AuditRow>,
    error: Option<String>,
    next_url: Option<String>,
}

/// "ConfirmReceipt" and "counter-accept" as "confirm receipt" and
/// "counter accept".
fn words(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 4);
    for (i, c) in raw.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        match c {
            '_' | '-' => out.push(' '),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

async fn row(
    app: &App,
    record: &AuditRecord,
    names: &mut HashMap<haven_domain::ids::UserId, String>,
) -> Result<AuditRow, AppError> {
    let party = haven_domain::wire_name(&record.actor);
    let who = match record.actor_id {
        Some(id) => {
            if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(id) {
                let user = app.store.user(id).await?;
                slot.insert(user.map_or_else(|| "unknown".to_string(), |u| u.display_name));
            }
            format!("{} ({party})", names[&id])
        }
        None if party == "system" => "Haven (timers, carriers, the card network)".to_string(),
        None => party.to_string(),
    };
    let (link, link_text) = match (record.subject.as_str(), record.order_id) {
        ("dispute", _) => (format!("/disputes/{}", record.subject_id), "the dispute"),
        ("webhook", _) => (
            format!("/admin/webhooks/{}", record.subject_id),
            "the endpoint",
        ),
        (_, Some(order)) => (format!("/orders/{order}"), "the order"),
        (_, None) => (String::new(), ""),
    };
    Ok(AuditRow {
        at: record.at.to_string(),
        who,
        what: describe(record),
        reason: words_for_reason(&record.reason),
        link,
        link_text,
    })
}

/// One step in words: "Order confirm receipt: delivered → completed".
pub(super) fn describe(record: &AuditRecord) -> String {
    let states = match (record.from_state.as_str(), record.to_state.as_str()) {
        ("", to) => format!(", now {}", words(to)),
        (from, to) if from == to => String::new(),
        (from, to) => format!(": {} → {}", words(from), words(to)),
    };
    // A generic "update" says nothing the states do not.
    match record.action.as_str() {
        "update" | "" => format!("{}{states}", capitalised(&record.subject)),
        action => format!("{} {}{states}", capitalised(&record.subject), words(action)),
    }
}

fn capitalised(raw: &str) -> String {
    let mut chars = raw.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Close reasons are codes (`buyer_confirmed`); written reasons stay.
pub(super) fn words_for_reason(raw: &str) -> String {
    if !raw.contains(' ') && raw.contains('_') {
        words(raw)
    } else {
        raw.to_string()
    }
}

pub async fn page(
    State(app): AppState,
    Member(actor): Member,
    Query(form): Query<AuditForm>,
) -> WebResult {
    app.require_agent(&actor)?;
    let (result, error) = match AuditQuery::parse(&form.q) {
        Ok(query) => (
            Some(app.search_audit(&actor, &query, form.before).await?),
            None,
        ),
        Err(err) => (None, Some(err.message)),
    };
    let AuditPage {
        records,
        next_before,
    } = result.unwrap_or(AuditPage {
        records: Vec::new(),
        next_before: None,
    });
    let mut names = HashMap::new();
    let mut rows = Vec::with_capacity(records.len());
    for record in &records {
        rows.push(row(&app, record, &mut names).await?);
    }
    let q = form.q.trim().to_string();
    Ok(render(&AuditPageView {
        layout: Layout::new(&app, Some(&actor), "Audit log"),
        next_url: next_before
            .map(|b| format!("/console/audit?q={}&before={b}", super::urlencode(&q))),
        q,
        rows,
        error,
    }))
}

#[cfg(test)]
mod tests {
    use super::words;

    #[test]
    fn codes_read_as_words() {
        assert_eq!(words("ConfirmReceipt"), "confirm receipt");
        assert_eq!(words("counter-accept"), "counter accept");
        assert_eq!(words("awaiting_seller"), "awaiting seller");
    }
}
