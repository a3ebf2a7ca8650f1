//! Rewards: buyers earn 1 % of what a completed order kept (the order's
//! release or settlement writes the entry; an order refunded in full earns
//! nothing, and one refunded or charged back later gives back what is
//! unspent). The balance is a liability in its own ledger account,
//! `buyer:<id>:rewards`, and turns into buyer credit on request, which
//! checkout spends like any credit.

use haven_domain::ledger::{Account, Entry, EntryHeader, EntryKind};
use haven_domain::money::Money;
use haven_store::{BalanceGuard, Changeset};

use crate::error::{AppError, AppResult, ErrorKind};
use crate::{Actor, App};

impl App {
    /// The buyer's rewards balance, in minor units of the marketplace's
    /// currency.
    pub async fn rewards_balance(&self, actor: &Actor) -> AppResult<Money> {
        let account = Account::BuyerRewards(actor.id()).to_string();
        let minor = self
            .store
            .balance(&account, self.currency().as_str())
            .await?;
        Ok(Money::new(minor, self.currency()))
    }

    /// Turn `amount_minor` of rewards (all of them when `None`) into buyer
    /// credit: one entry, guarded by the balance it was computed from, so
    /// two requests at once cannot spend the same rewards twice.
    pub async fn redeem_rewards(
        &self,
        actor: &Actor,
        amount_minor: Option<i64>,
    ) -> AppResult<Money> {
        let balance = self.rewards_balance(actor).await?;
        let amount = amount_minor.unwrap_or(balance.amount_minor);
        if amount <= 0 {
            return Err(AppError::invalid_field("amount_minor", "nothing to redeem"));
        }
        if amount > balance.amount_minor {
            return Err(AppError::conflict(
                ErrorKind::InsufficientFunds,
                format!("you have {} in rewards", balance.display()),
            ));
        }
        let now = self.now();
        let header = EntryHeader {
            idempotency_key: format!("rewards:{}:{}", actor.id(), uuid::Uuid::now_v7()),
            kind: EntryKind::RewardRedemption,
            order_id: None,
            payout_id: None,
            created_at: now,
        };
        let redeemed = Money::new(amount, balance.currency);
        let entry = Entry::transfer(
            header,
            Account::BuyerRewards(actor.id()),
            Account::BuyerCredit(actor.id()),
            redeemed,
        )
        .map_err(AppError::internal)?;
        let changes = Changeset {
            entries: vec![entry],
            balance_guards: vec![BalanceGuard {
                account: Account::BuyerRewards(actor.id()).to_string(),
                currency: balance.currency.to_string(),
                expected_minor: balance.amount_minor,
            }],
            ..Changeset::default()
        };
        self.store.commit(changes).await?;
        Ok(redeemed)
    }
}
