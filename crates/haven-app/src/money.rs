//! Seller balances, payouts and the ledger audit.

use haven_domain::audit::LedgerAuditor;
use haven_domain::ids::{PayoutId, StoreId};
use haven_domain::ledger::{Account, Entry, EntryHeader, EntryKind};
use haven_domain::money::{Currency, Money};
use haven_store::{Changeset, NewOutboxEvent, Payout};

use super::{Actor, App, Idem, attach_idem};
use crate::error::{AppError, AppResult, ErrorKind};

/// A store's money, by where it sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balances {
    pub store_id: StoreId,
    pub available: Money,
    pub reserve: Money,
    /// Requested payouts on their way to the bank.
    pub in_payout: Money,
    /// Buyers' payments for open orders, held until each is released.
    pub in_escrow: Money,
    /// Open orders holding money in escrow.
    pub escrow_orders: i64,
}

const SCAN_PAGE: u32 = 1_000;

#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    pub evidence_checked: u64,
    pub commands_checked: u64,
    pub entries_checked: u64,
    pub orders_checked: u64,
    pub balances_checked: u64,
    pub violations: Vec<String>,
}

impl VerifyReport {
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }
}

impl App {
    /// The marketplace trades in one currency for now: the policy's.
    pub fn currency(&self) -> Currency {
        Currency::USD
    }

    pub async fn balances(&self, store_id: StoreId) -> AppResult<Balances> {
        let currency = self.currency();
        let read = |account: Account| async move {
            self.store
                .balance(&account.to_string(), currency.as_str())
                .await
                .map(|m| Money::new(m, currency))
        };
        let (escrow_minor, escrow_orders) =
            self.store.store_escrow(store_id, currency.as_str()).await?;
        Ok(Balances {
            store_id,
            available: read(Account::SellerAvailable(store_id)).await?,
            reserve: read(Account::SellerReserve(store_id)).await?,
            in_payout: read(Account::Payout(store_id)).await?,
            in_escrow: Money::new(escrow_minor, currency),
            escrow_orders,
        })
    }

    /// Move (part of) the available balance towards the seller's bank.
    pub async fn request_payout(
        &self,
        actor: &Actor,
        amount_minor: Option<i64>,
        idem: Option<&Idem>,
    ) -> AppResult<Payout> {
        let store_id = actor.require_store()?;
        if actor.user.payout_account.is_none() {
            return Err(AppError::conflict(
                ErrorKind::NoPayoutAccount,
                "add a payout account (on your account page) before requesting a payout",
            ));
        }
        let currency = self.currency();
        let available = self
            .store
            .balance(
                &Account::SellerAvailable(store_id).to_string(),
                currency.as_str(),
            )
            .await?;
        // One payout moves at most MAX_PAYOUT_MINOR; a larger balance
        // goes out in several.
        let amount_minor =
            amount_minor.unwrap_or(available.min(haven_domain::limits::MAX_PAYOUT_MINOR));
        if amount_minor <= 0 {
            return Err(AppError::invalid_field(
                "amount_minor",
                "nothing to pay out: the amount must be positive",
            ));
        }
        haven_domain::limits::check_amount(
            "amount_minor",
            amount_minor,
            haven_domain::limits::MAX_PAYOUT_MINOR,
            false,
        )?;
        if amount_minor > available {
            return Err(AppError::conflict(
                ErrorKind::InsufficientFunds,
                format!("only {} is available", Money::new(available, currency)),
            ));
        }
        let payout = Payout {
            id: PayoutId::new(),
            store_id,
            amount: Money::new(amount_minor, currency),
            state: "requested".into(),
            created_at: self.now(),
            settled_at: None,
            bank_reference: None,
        };
        let header = EntryHeader {
            idempotency_key: format!("payout:{}", payout.id),
            kind: EntryKind::Payout,
            order_id: None,
            payout_id: Some(payout.id),
            created_at: self.now(),
        };
        let entry = Entry::transfer(
            header,
            Account::SellerAvailable(store_id),
            Account::Payout(store_id),
            payout.amount,
        )
        .map_err(AppError::internal)?;
        let event = serde_json::json!({
            "payout_id": payout.id,
            "store_id": payout.store_id,
            "amount": payout.amount,
            "state": payout.state,
        });
        let mut changes = Changeset {
            entries: vec![entry],
            payouts: vec![payout.clone()],
            outbox: vec![NewOutboxEvent {
                topic: haven_domain::events::EventType::PayoutRequested.to_string(),
                payload: event,
                created_at: self.now(),
            }],
            commands: vec![crate::payouts::payout_command(
                &payout,
                haven_domain::SignedDuration::from_hours(self.config.payout_settle_hours),
            )],
            ..Default::default()
        };
        attach_idem(
            &mut changes,
            idem,
            crate::Resource::Payout(payout.id),
            self.now(),
        );
        // A concurrent payout that drained the balance makes this one fail
        // with insufficient_funds inside the transaction: never overdrawn.
        self.store.commit(changes).await?;
        Ok(payout)
    }

    pub async fn payout(&self, id: PayoutId) -> AppResult<Payout> {
        self.store
            .payout(id)
            .await?
            .ok_or_else(|| AppError::not_found("payout"))
    }

    /// Check every ledger invariant over the whole database.
    pub async fn verify(&self) -> anyhow::Result<VerifyReport> {
        verify_ledger(self.store.as_ref(), Some(self.gateway.as_ref())).await
    }
}

/// Check every ledger invariant, reading the store in bounded pages. Needs no
/// `App`, so `haven verify` can run without writing anything.
pub async fn verify_ledger(
    store: &dyn haven_store::Store,
    gateway: Option<&dyn crate::payments::PaymentGateway>,
) -> anyhow::Result<VerifyReport> {
    {
        let mut auditor = LedgerAuditor::new();
        let mut after = 0;
        loop {
            let page = store.scan_entries(after, SCAN_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            for stored in &page {
                auditor.observe_entry(&stored.entry);
            }
        }
        let mut balances_checked = 0;
        let mut cursor = None;
        loop {
            let page = store.scan_balances(cursor.clone(), SCAN_PAGE).await?;
            let Some(last) = page.last() else { break };
            cursor = Some((last.account.clone(), last.currency.clone()));
            for row in &page {
                balances_checked += 1;
                match (
                    row.account.parse::<Account>(),
                    Currency::parse(&row.currency),
                ) {
                    (Ok(_), Ok(currency)) => {
                        auditor.observe_cached_balance(&row.account, currency, row.balance_minor)
                    }
                    _ => auditor.observe_unparseable_account(&row.account),
                }
            }
        }
        let mut order_cursor = None;
        loop {
            let page = store.scan_orders(order_cursor, SCAN_PAGE).await?;
            let Some(last) = page.last() else { break };
            order_cursor = Some(last.id);
            for order in &page {
                auditor.observe_order(order.id, order.state, order.total_minor);
            }
        }
        let (entries_checked, orders_checked) = (auditor.entries_seen, auditor.orders_seen);
        let mut violations: Vec<String> =
            auditor.finish().iter().map(ToString::to_string).collect();
        let chains = verify_evidence_chains(store).await?;
        violations.extend(chains.errors.iter().map(ToString::to_string));
        let commands = crate::commands::verify_commands(store, gateway).await?;
        violations.extend(commands.violations);
        Ok(VerifyReport {
            commands_checked: commands.checked,
            entries_checked,
            orders_checked,
            balances_checked,
            evidence_checked: chains.entries_seen,
            violations,
        })
    }
}

/// Recompute every dispute's evidence hash chain, in bounded pages.
async fn verify_evidence_chains(
    store: &dyn haven_store::Store,
) -> anyhow::Result<haven_domain::evidence::ChainVerifier> {
    let mut verifier = haven_domain::evidence::ChainVerifier::default();
    let mut after = None;
    loop {
        let page = store.scan_evidence(after, SCAN_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = Some((last.dispute_id, last.seq));
        page.iter().for_each(|entry| verifier.observe(entry));
    }
    Ok(verifier)
}

/// Which of a store's accounts a statement is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementAccount {
    Available,
    Reserve,
    /// Payouts on their way to the bank, and their settlement.
    Payout,
}

impl StatementAccount {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "available" => Some(StatementAccount::Available),
            "reserve" => Some(StatementAccount::Reserve),
            "payout" => Some(StatementAccount::Payout),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StatementAccount::Available => "available",
            StatementAccount::Reserve => "reserve",
            StatementAccount::Payout => "payout",
        }
    }

    fn account(self, store: StoreId) -> Account {
        match self {
            StatementAccount::Available => Account::SellerAvailable(store),
            StatementAccount::Reserve => Account::SellerReserve(store),
            StatementAccount::Payout => Account::Payout(store),
        }
    }
}

/// Where a statement page starts: before this entry, with the account's
/// balance just after the newest line of the page (carried from the page
/// before, so running balances need no sum over the whole history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementCursor {
    pub before_seq: i64,
    pub balance_minor: i64,
}

impl StatementCursor {
    pub fn parse(raw: &str) -> Option<Self> {
        let (seq, balance) = raw.split_once('_')?;
        Some(StatementCursor {
            before_seq: seq.parse().ok().filter(|s: &i64| *s > 0)?,
            balance_minor: balance.parse().ok()?,
        })
    }

    pub fn encode(self) -> String {
        format!("{}_{}", self.before_seq, self.balance_minor)
    }
}

/// One line of a statement with the balance just after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRow {
    pub line: haven_store::StatementLine,
    pub balance_after: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub account: StatementAccount,
    pub balance: Money,
    pub rows: Vec<StatementRow>,
    pub next: Option<StatementCursor>,
}

/// Most lines one statement request returns (a CSV export included).
pub const MAX_STATEMENT_LINES: u32 = 5_000;

impl App {
    /// A page of one of the seller's accounts, newest first, each line
    /// with the balance after it.
    pub async fn statement(
        &self,
        actor: &Actor,
        account: StatementAccount,
        cursor: Option<StatementCursor>,
        limit: u32,
    ) -> AppResult<Statement> {
        let store_id = actor.require_store()?;
        let limit = limit.clamp(1, MAX_STATEMENT_LINES);
        let currency = self.currency();
        let name = account.account(store_id).to_string();
        let balance = self.store.balance(&name, currency.as_str()).await?;
        let mut running = cursor.map_or(balance, |c| c.balance_minor);
        let lines = self
            .store
            .account_statement(&name, cursor.map(|c| c.before_seq), limit + 1)
            .await?;
        let more = lines.len() > limit as usize;
        let mut rows = Vec::with_capacity(lines.len().min(limit as usize));
        for line in lines.into_iter().take(limit as usize) {
            let after = running;
            running = running
                .checked_sub(line.amount.amount_minor)
                .ok_or_else(|| AppError::internal("statement balance overflow"))?;
            rows.push(StatementRow {
                balance_after: Money::new(after, line.amount.currency),
                line,
            });
        }
        let next = rows.last().filter(|_| more).map(|last| StatementCursor {
            before_seq: last.line.seq,
            balance_minor: running,
        });
        Ok(Statement {
            account,
            balance: Money::new(balance, currency),
            rows,
            next,
        })
    }
}
