//! The seller's statement: every movement on the store's available,
//! reserve and payout accounts, newest first with the balance after each,
//! as a page and as CSV.

use askama::Template;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use haven_app::{Statement, StatementAccount};

use super::{AppState, Layout, Member, Query, WebResult, filters, render};
use crate::api::handlers::StatementQuery;

const LINES_PER_PAGE: u32 = 50;

struct LineRow {
    at: String,
    description: &'static str,
    order_id: Option<String>,
    incoming: Option<String>,
    outgoing: Option<String>,
    balance_after: String,
}

struct Tab {
    key: &'static str,
    label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "seller_statement.html")]
struct StatementPage {
    layout: Layout,
    tabs: Vec<Tab>,
    account: &'static str,
    account_label: &'static str,
    balance: String,
    lines: Vec<LineRow>,
    next_url: Option<String>,
    csv_url: String,
}

fn label(account: StatementAccount) -> &'static str {
    match account {
        StatementAccount::Available => "Available",
        StatementAccount::Reserve => "Reserve",
        StatementAccount::Payout => "Payouts",
    }
}

fn rows(statement: &Statement) -> Vec<LineRow> {
    statement
        .rows
        .iter()
        .map(|r| {
            let amount = r.line.amount;
            let incoming = amount.amount_minor > 0;
            let shown = super::shown(haven_domain::money::Money::new(
                amount.amount_minor.saturating_abs(),
                amount.currency,
            ));
            LineRow {
                at: r.line.created_at.to_string(),
                description: r.line.kind.statement_label(incoming),
                order_id: r.line.order_id.map(|o| o.to_string()),
                incoming: incoming.then(|| shown.clone()),
                outgoing: (!incoming).then_some(shown),
                balance_after: super::shown(r.balance_after),
            }
        })
        .collect()
}

pub async fn page(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<StatementQuery>,
) -> WebResult {
    let (account, cursor, _) = q.parse()?;
    let statement = app
        .statement(&actor, account, cursor, LINES_PER_PAGE)
        .await?;
    let key = account.as_str();
    let tabs = [
        StatementAccount::Available,
        StatementAccount::Reserve,
        StatementAccount::Payout,
    ]
    .into_iter()
    .map(|a| Tab {
        key: a.as_str(),
        label: label(a),
        current: a == account,
    })
    .collect();
    Ok(render(&StatementPage {
        layout: Layout::new(&app, Some(&actor), "Statement"),
        tabs,
        account: key,
        account_label: label(account),
        balance: super::shown(statement.balance),
        lines: rows(&statement),
        next_url: statement
            .next
            .map(|c| format!("/seller/statement?account={key}&cursor={}", c.encode())),
        csv_url: format!("/seller/statement.csv?account={key}"),
    }))
}

/// A CSV field, quoted when it must be.
fn field(raw: &str) -> String {
    if raw.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", raw.replace('"', "\"\""))
    } else {
        raw.to_string()
    }
}

/// The newest lines (up to the statement maximum) as CSV, for a
/// spreadsheet or the seller's accountant: amounts as plain decimals.
pub async fn csv(
    State(app): AppState,
    Member(actor): Member,
    Query(q): Query<StatementQuery>,
) -> WebResult {
    let (account, cursor, _) = q.parse()?;
    let statement = app
        .statement(&actor, account, cursor, haven_app::MAX_STATEMENT_LINES)
        .await?;
    let mut out =
        String::from("date,description,kind,order_id,payout_id,amount,currency,balance_after\n");
    for r in &statement.rows {
        let line = &r.line;
        let cells = [
            line.created_at.to_string(),
            line.kind
                .statement_label(line.amount.amount_minor > 0)
                .to_string(),
            line.kind.as_str().to_string(),
            line.order_id.map(|o| o.to_string()).unwrap_or_default(),
            line.payout_id.map(|p| p.to_string()).unwrap_or_default(),
            line.amount.decimal(),
            line.amount.currency.to_string(),
            r.balance_after.decimal(),
        ];
        let cells: Vec<String> = cells.iter().map(|c| field(c)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    let filename = format!(
        "haven-statement-{}-{}.csv",
        account.as_str(),
        app.now().strftime("%Y-%m-%d")
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_with_commas_or_quotes_are_quoted() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
