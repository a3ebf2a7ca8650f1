//! Double-entry ledger primitives.
//!
//! An [`Entry`] is a set of postings that sums to zero per currency. The only
//! constructors build balanced entries, and [`Entry::assert_balanced`] is
//! checked again by the stores before writing and by `haven verify` after
//! reading, so an unbalanced entry is a bug caught twice.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{EntryId, OrderId, PayoutId, StoreId, UserId};
use crate::money::{Currency, Money, MoneyError};

/// A ledger account. Its text form (`escrow:order:<id>`) is what is stored.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    Gateway(String),
    Escrow(OrderId),
    SellerAvailable(StoreId),
    SellerReserve(StoreId),
    Payout(StoreId),
    PlatformCommission,
    PlatformCompensation,
    PlatformChargebackLoss,
    /// What platform-funded coupons cost the platform (paid to sellers).
    PlatformPromotions,
    /// What rewards cost the platform (earned by buyers).
    PlatformRewards,
    BuyerCredit(UserId),
    /// Rewards a buyer earned and has not turned into credit yet: a
    /// liability of the platform, kept apart from credit.
    BuyerRewards(UserId),
    /// The bank that carries payouts out of the marketplace (outside money,
    /// like a gateway: it may go negative).
    Bank(String),
}

impl fmt::Display for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Account::Gateway(name) => write!(f, "gateway:{name}"),
            Account::Escrow(id) => write!(f, "escrow:order:{id}"),
            Account::SellerAvailable(id) => write!(f, "seller:{id}:available"),
            Account::SellerReserve(id) => write!(f, "seller:{id}:reserve"),
            Account::Payout(id) => write!(f, "payout:{id}"),
            Account::PlatformCommission => f.write_str("platform:commission"),
            Account::PlatformCompensation => f.write_str("platform:compensation"),
            Account::PlatformChargebackLoss => f.write_str("platform:chargeback_loss"),
            Account::PlatformPromotions => f.write_str("platform:promotions"),
            Account::PlatformRewards => f.write_str("platform:rewards"),
            Account::BuyerRewards(id) => write!(f, "buyer:{id}:rewards"),
            Account::BuyerCredit(id) => write!(f, "buyer:{id}:credit"),
            Account::Bank(name) => write!(f, "bank:{name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown ledger account {0:?}")]
pub struct BadAccount(pub String);

impl FromStr for Account {
    type Err = BadAccount;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let bad = || BadAccount(raw.chars().take(80).collect());
        let parts: Vec<&str> = raw.split(':').collect();
        let parsed = match parts.as_slice() {
            ["gateway", name] if !name.is_empty() => Account::Gateway((*name).to_string()),
            ["bank", name] if !name.is_empty() => Account::Bank((*name).to_string()),
            ["escrow", "order", id] => Account::Escrow(id.parse().map_err(|_| bad())?),
            ["seller", id, "available"] => Account::SellerAvailable(id.parse().map_err(|_| bad())?),
            ["seller", id, "reserve"] => Account::SellerReserve(id.parse().map_err(|_| bad())?),
            ["payout", id] => Account::Payout(id.parse().map_err(|_| bad())?),
            ["platform", "commission"] => Account::PlatformCommission,
            ["platform", "compensation"] => Account::PlatformCompensation,
            ["platform", "chargeback_loss"] => Account::PlatformChargebackLoss,
            ["platform", "promotions"] => Account::PlatformPromotions,
            ["platform", "rewards"] => Account::PlatformRewards,
            ["buyer", id, "rewards"] => Account::BuyerRewards(id.parse().map_err(|_| bad())?),
            ["buyer", id, "credit"] => Account::BuyerCredit(id.parse().map_err(|_| bad())?),
            _ => return Err(bad()),
        };
        Ok(parsed)
    }
}

impl Account {
    /// Accounts that hold somebody's money must never go negative. Gateway and
    /// platform accounts are the marketplace's own side and may.
    pub fn must_stay_non_negative(&self) -> bool {
        matches!(
            self,
            Account::Escrow(_)
                | Account::SellerAvailable(_)
                | Account::SellerReserve(_)
                | Account::Payout(_)
                | Account::BuyerCredit(_)
                | Account::BuyerRewards(_)
        )
    }
}

/// Why money moved. Stored with the entry; `verify` uses it to tell releases
/// from refunds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// Card payment captured into escrow.
    Capture,
    /// Escrow paid out to the seller and the platform's commission.
    Release,
    /// Escrow returned to the buyer.
    Refund,
    /// Seller's available balance moved towards the bank.
    Payout,
    /// The bank confirmed a payout: the money left the marketplace.
    PayoutSettled,
    /// A dispute settled: refund to the buyer and the rest to the seller, in one entry.
    Settlement,
    /// On-time guarantee or goodwill credit to a buyer.
    Compensation,
    /// Unspent on-time credit taken back from a buyer refunded in full.
    CompensationReversal,
    /// The card network took money back.
    Chargeback,
    /// A release held in the seller's reserve becomes available.
    ReserveRelease,
    /// Rewards a buyer earned on a completed order.
    Reward,
    /// Unspent rewards taken back from an order refunded after completion.
    RewardReversal,
    /// Rewards turned into buyer credit.
    RewardRedemption,
}

impl EntryKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EntryKind::Capture => "capture",
            EntryKind::Release => "release",
            EntryKind::Refund => "refund",
            EntryKind::Payout => "payout",
            EntryKind::PayoutSettled => "payout_settled",
            EntryKind::Settlement => "settlement",
            EntryKind::Compensation => "compensation",
            EntryKind::CompensationReversal => "compensation_reversal",
            EntryKind::Chargeback => "chargeback",
            EntryKind::ReserveRelease => "reserve_release",
            EntryKind::Reward => "reward",
            EntryKind::RewardReversal => "reward_reversal",
            EntryKind::RewardRedemption => "reward_redemption",
        }
    }

    /// What a line of a seller's statement says about a posting of this
    /// kind: money in (`incoming`) or out.
    pub fn statement_label(self, incoming: bool) -> &'static str {
        match (self, incoming) {
            (EntryKind::Release, true) => "Sale paid to you, after commission",
            (EntryKind::Release, false) => "Sale released",
            (EntryKind::Settlement, true) => "Dispute settled: your share",
            (EntryKind::Settlement, false) => "Dispute settled",
            (EntryKind::Payout, true) => "Payout on its way to your bank",
            (EntryKind::Payout, false) => "Payout requested",
            (EntryKind::PayoutSettled, _) => "Paid to your bank",
            (EntryKind::ReserveRelease, true) => "Released from reserve",
            (EntryKind::ReserveRelease, false) => "Moved out of reserve",
            (EntryKind::Chargeback, _) => "Chargeback by the buyer's bank",
            (EntryKind::Refund, _) => "Refund to the buyer",
            (EntryKind::Compensation | EntryKind::CompensationReversal, _) => "On-time guarantee",
            (EntryKind::Capture, _) => "Payment captured",
            (EntryKind::Reward | EntryKind::RewardReversal | EntryKind::RewardRedemption, _) => {
                "Buyer rewards"
            }
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "capture" => EntryKind::Capture,
            "release" => EntryKind::Release,
            "refund" => EntryKind::Refund,
            "payout" => EntryKind::Payout,
            "payout_settled" => EntryKind::PayoutSettled,
            "settlement" => EntryKind::Settlement,
            "compensation" => EntryKind::Compensation,
            "reward" => EntryKind::Reward,
            "reward_reversal" => EntryKind::RewardReversal,
            "reward_redemption" => EntryKind::RewardRedemption,
            "compensation_reversal" => EntryKind::CompensationReversal,
            "chargeback" => EntryKind::Chargeback,
            "reserve_release" => EntryKind::ReserveRelease,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posting {
    pub account: Account,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: EntryId,
    /// Unique across the ledger: a replayed request maps to the same key and
    /// the store refuses the second write.
    pub idempotency_key: String,
    pub kind: EntryKind,
    pub order_id: Option<OrderId>,
    pub payout_id: Option<PayoutId>,
    pub created_at: Timestamp,
    pub postings: Vec<Posting>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    #[error("entry does not balance in {0}")]
    Unbalanced(Currency),
    #[error("entry needs at least two postings")]
    TooFewPostings,
    #[error(transparent)]
    Money(#[from] MoneyError),
    #[error("transfer amount must be positive")]
    NotPositive,
}

/// What an entry is about, shared by all constructors.
#[derive(Debug, Clone)]
pub struct EntryHeader {
    pub idempotency_key: String,
    pub kind: EntryKind,
    pub order_id: Option<OrderId>,
    pub payout_id: Option<PayoutId>,
    pub created_at: Timestamp,
}

impl Entry {
    /// Move `amount` from one account to one or more destinations. Zero-valued
    /// legs are dropped (a 0 % commission writes no commission posting).
    pub fn split(
        header: EntryHeader,
        from: Account,
        legs: Vec<(Account, Money)>,
    ) -> Result<Entry, EntryError> {
        let mut total: Option<Money> = None;
        let mut postings = Vec::with_capacity(legs.len() + 1);
        for (account, amount) in legs {
            if amount.amount_minor < 0 {
                return Err(EntryError::NotPositive);
            }
            if amount.is_zero() {
                continue;
            }
            total = Some(match total {
                None => amount,
                Some(sum) => sum.checked_add(amount)?,
            });
            postings.push(Posting { account, amount });
        }
        let total = total.ok_or(EntryError::NotPositive)?;
        postings.insert(
            0,
            Posting {
                account: from,
                amount: total.checked_neg()?,
            },
        );
        let entry = Entry {
            id: EntryId::new(),
            idempotency_key: header.idempotency_key,
            kind: header.kind,
            order_id: header.order_id,
            payout_id: header.payout_id,
            created_at: header.created_at,
            postings,
        };
        entry.assert_balanced()?;
        Ok(entry)
    }

    /// An entry from explicit postings (several sources, several
    /// destinations); refused unless it balances.
    pub fn from_postings(header: EntryHeader, postings: Vec<Posting>) -> Result<Entry, EntryError> {
        let postings: Vec<Posting> = postings
            .into_iter()
            .filter(|p| !p.amount.is_zero())
            .collect();
        let entry = Entry {
            id: EntryId::new(),
            idempotency_key: header.idempotency_key,
            kind: header.kind,
            order_id: header.order_id,
            payout_id: header.payout_id,
            created_at: header.created_at,
            postings,
        };
        entry.assert_balanced()?;
        Ok(entry)
    }

    pub fn transfer(
        header: EntryHeader,
        from: Account,
        to: Account,
        amount: Money,
    ) -> Result<Entry, EntryError> {
        Entry::split(header, from, vec![(to, amount)])
    }

    /// Sum per currency must be zero. Used before writing and after reading.
    pub fn assert_balanced(&self) -> Result<(), EntryError> {
        check_postings_balance(self.postings.iter().map(|p| p.amount))
    }

    /// The amount that reached `account` (positive) in this entry.
    pub fn inflow_to(&self, account: &Account) -> i64 {
        self.postings
            .iter()
            .filter(|p| &p.account == account && p.amount.amount_minor > 0)
            .map(|p| p.amount.amount_minor)
            .sum()
    }

    /// The amount that left `account` (positive) in this entry.
    pub fn outflow_from(&self, account: &Account) -> i64 {
        self.postings
            .iter()
            .filter(|p| &p.account == account && p.amount.amount_minor < 0)
            .map(|p| -p.amount.amount_minor)
            .sum()
    }
}

pub fn check_postings_balance(amounts: impl Iterator<Item = Money>) -> Result<(), EntryError> {
    let mut sums: Vec<(Currency, i128)> = Vec::new();
    let mut count = 0;
    for amount in amounts {
        count += 1;
        match sums.iter_mut().find(|(c, _)| *c == amount.currency) {
            Some((_, sum)) => *sum += i128::from(amount.amount_minor),
            None => sums.push((amount.currency, i128::from(amount.amount_minor))),
        }
    }
    if count < 2 {
        return Err(EntryError::TooFewPostings);
    }
    match sums.into_iter().find(|(_, sum)| *sum != 0) {
        Some((currency, _)) => Err(EntryError::Unbalanced(currency)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(key: &str) -> EntryHeader {
        EntryHeader {
            idempotency_key: key.into(),
            kind: EntryKind::Release,
            order_id: None,
            payout_id: None,
            created_at: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn account_names_round_trip() {
        let accounts = [
            Account::Gateway("testcard".into()),
            Account::Escrow(OrderId::new()),
            Account::SellerAvailable(StoreId::new()),
            Account::SellerReserve(StoreId::new()),
            Account::Payout(StoreId::new()),
            Account::PlatformCommission,
            Account::PlatformCompensation,
            Account::PlatformChargebackLoss,
            Account::BuyerCredit(UserId::new()),
            Account::Bank("simulated".into()),
        ];
        for account in accounts {
            let text = account.to_string();
            assert_eq!(text.parse::<Account>().unwrap(), account, "{text}");
        }
        assert!("escrow:order:nope".parse::<Account>().is_err());
        assert!("bank:".parse::<Account>().is_err());
        assert!("vault:1".parse::<Account>().is_err());
    }

    #[test]
    fn split_balances_and_drops_zero_legs() {
        let usd = |m| Money::new(m, Currency::USD);
        let order = OrderId::new();
        let store = StoreId::new();
        let entry = Entry::split(
            header("k"),
            Account::Escrow(order),
            vec![
                (Account::SellerAvailable(store), usd(920)),
                (Account::PlatformCommission, usd(80)),
                (Account::PlatformCompensation, usd(0)),
            ],
        )
        .unwrap();
        assert_eq!(entry.postings.len(), 3);
        assert_eq!(entry.postings[0].amount, usd(-1000));
        assert_eq!(entry.outflow_from(&Account::Escrow(order)), 1000);
        entry.assert_balanced().unwrap();
    }

    #[test]
    fn rejects_unbalanced_and_empty() {
        let usd = |m| Money::new(m, Currency::USD);
        assert_eq!(
            check_postings_balance([usd(5), usd(-4)].into_iter()),
            Err(EntryError::Unbalanced(Currency::USD))
        );
        assert_eq!(
            check_postings_balance([usd(5)].into_iter()),
            Err(EntryError::TooFewPostings)
        );
        assert!(
            Entry::transfer(
                header("k"),
                Account::PlatformCommission,
                Account::PlatformCompensation,
                usd(0)
            )
            .is_err()
        );
        assert!(
            Entry::transfer(
                header("k"),
                Account::PlatformCommission,
                Account::PlatformCompensation,
                usd(-1)
            )
            .is_err()
        );
    }
}
