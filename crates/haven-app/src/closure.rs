//! Closing an account: the person's data is erased or pseudonymised, while
//! what the law lets a marketplace keep, and what other people rely on,
//! stays: the ledger, the audit trail, dispute evidence, and reviews (now
//! signed by a former member).
//!
//! An account closes only when nothing is in flight for it: no order still
//! holding money in escrow, no open dispute, no Haven credit left unspent
//! (it is the person's money), and no store (a store has buyers and money
//! of its own to settle first). The refusal says, in plain words, which of
//! these is in the way.
//!
//! The erasure is written in batches: first the shipping addresses on the
//! person's orders, then the account itself. A crash in between leaves an
//! open account with some addresses already erased, and closing again
//! finishes the work; it never leaves a closed account with data left.

use haven_domain::account::{FORMER_MEMBER, User};
use haven_domain::ledger::Account;
use haven_domain::order::Order;
use haven_store::{Changeset, OrderWrite, PageRequest, StoreError};

use crate::error::{AppError, AppResult, ErrorKind};
use crate::{Actor, App, accounts, auth, mail};

/// What an erased address line reads.
const ERASED: &str = "(erased)";
/// Orders rewritten per transaction while their addresses are erased.
const ORDER_BATCH: u32 = 100;

/// What the erasure touched, for the confirmation page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClosureReport {
    pub orders_erased: usize,
}

impl App {
    /// Close the signed-in person's account (they re-proved who they are
    /// within the step-up window, and type their password again).
    pub async fn close_account(&self, actor: &Actor, password: &str) -> AppResult<ClosureReport> {
        self.require_step_up(actor)?;
        let now = self.wall_now();
        self.refuse_if_locked(&actor.user, now)?;
        if !self
            .password_matches(password, &actor.user.password_hash)
            .await?
        {
            return Err(self.second_proof_failed(actor, now).await);
        }
        let blockers = self.closure_blockers(actor).await?;
        if !blockers.is_empty() {
            return Err(AppError::conflict(
                ErrorKind::AccountInUse,
                format!(
                    "Your account cannot be closed yet: {}.",
                    blockers.join("; ")
                ),
            ));
        }
        let orders_erased = self.erase_order_addresses(actor).await?;
        self.erase_user(actor).await?;
        tracing::info!(user = %actor.id(), orders_erased, "account closed and erased");
        Ok(ClosureReport { orders_erased })
    }

    /// What keeps the account open, in words for the person.
    async fn closure_blockers(&self, actor: &Actor) -> AppResult<Vec<String>> {
        let me = actor.id();
        let mut blockers = Vec::new();
        if self.store.shop_by_owner(me).await?.is_some() {
            blockers.push(
                "you own a store; its orders and balance must be settled and the store closed by our support team first".to_string(),
            );
        }
        let mut in_progress = 0usize;
        let mut cursor = None;
        loop {
            let page = self
                .store
                .orders_for_buyer(me, &PageRequest::new(cursor, Some(ORDER_BATCH)))
                .await?;
            in_progress += page.items.iter().filter(|o| !o.state.is_closed()).count();
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        if in_progress > 0 {
            blockers.push(format!(
                "{in_progress} of your orders {} still in progress (your buyer protection would end with the account)",
                if in_progress == 1 { "is" } else { "are" }
            ));
        }
        let disputes = self
            .store
            .disputes_for_buyer(me, &PageRequest::new(None, Some(ORDER_BATCH)))
            .await?;
        if disputes.items.iter().any(|d| d.state.is_open()) {
            blockers.push("a dispute of yours is still open".to_string());
        }
        let credit = self
            .store
            .balance(
                &Account::BuyerCredit(me).to_string(),
                self.currency().as_str(),
            )
            .await?;
        if credit != 0 {
            let credit = haven_domain::money::Money::new(credit, self.currency());
            blockers.push(format!(
                "you have {} of Haven credit; spend it first, it is your money",
                credit.display()
            ));
        }
        Ok(blockers)
    }

    /// Replace the shipping address on every one of the person's orders
    /// (all closed by now) with a placeholder, keeping the country.
    async fn erase_order_addresses(&self, actor: &Actor) -> AppResult<usize> {
        let mut erased = 0;
        let mut cursor = None;
        let mut conflicts = 0;
        loop {
            let request = PageRequest::new(cursor.clone(), Some(ORDER_BATCH));
            let page = self.store.orders_for_buyer(actor.id(), &request).await?;
            let writes: Vec<OrderWrite> = page
                .items
                .iter()
                .filter(|o| !is_erased(o))
                .map(|o| {
                    let mut order = o.clone();
                    erase_address(&mut order);
                    OrderWrite {
                        expected_version: Some(o.version),
                        order,
                    }
                })
                .collect();
            let count = writes.len();
            if count > 0 {
                match self
                    .store
                    .commit(Changeset {
                        orders: writes,
                        ..Changeset::default()
                    })
                    .await
                {
                    // Someone wrote one of these orders meanwhile (a late
                    // tracking scan): read the same page again.
                    Err(StoreError::Conflict(_)) if conflicts < crate::MAX_RETRIES => {
                        conflicts += 1;
                        continue;
                    }
                    other => other?,
                }
                erased += count;
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(erased),
            }
        }
    }

    async fn erase_user(&self, actor: &Actor) -> AppResult<()> {
        // The hash of a secret nobody is told: the account can never be
        // signed in to, by anyone, with any password.
        let unusable = self.hash(auth::new_token().0).await?;
        let now = self.wall_now();
        self.update_user_with(actor.id(), |user: &mut User, changes| {
            let (email, name) = (user.email.clone(), user.display_name.clone());
            user.erase(unusable.clone(), now);
            changes.delete_user_sessions.push((user.id, None));
            accounts::void_credentials_links(changes, user.id, now);
            mail::queue(
                changes,
                email.as_str(),
                "Your Haven account is closed",
                format!("Hello {name},\n\nYour Haven account is closed and your personal data has been erased. Records the law requires us to keep (payments, and evidence in past disputes) stay, no longer linked to your name or email.\n\nThis is the last email we send to this address."),
                now,
            );
            Ok(())
        })
        .await
    }
}

fn is_erased(order: &Order) -> bool {
    order.address.name == FORMER_MEMBER && order.address.line1 == ERASED
}

fn erase_address(order: &mut Order) {
    let address = &mut order.address;
    address.name = FORMER_MEMBER.to_string();
    address.line1 = ERASED.to_string();
    address.line2.clear();
    address.city = ERASED.to_string();
    address.postal_code.clear();
}
