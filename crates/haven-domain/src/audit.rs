//! The ledger auditor behind `haven verify`.
//!
//! It is fed the whole ledger in commit order, then the cached balances and
//! the orders, and reports every broken invariant. It is pure and streaming:
//! memory grows with the number of accounts, not entries, except for the set
//! of idempotency keys.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::ids::OrderId;
use crate::ledger::{Account, Entry, EntryKind};
use crate::money::Currency;
use crate::order::OrderState;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    UnbalancedEntry {
        entry_key: String,
    },
    DuplicateIdempotencyKey {
        key: String,
    },
    UnparseableAccount {
        account: String,
    },
    NegativeBalance {
        account: String,
        entry_key: String,
        balance_minor: i128,
    },
    OverRefundOrRelease {
        order_id: OrderId,
        paid_minor: i128,
        out_minor: i128,
    },
    DoubleCapture {
        order_id: OrderId,
    },
    CachedBalanceMismatch {
        account: String,
        cached_minor: i64,
        ledger_minor: i128,
    },
    ClosedOrderEscrowNotZero {
        order_id: OrderId,
        state: OrderState,
        escrow_minor: i128,
    },
    PaidMoreThanTotal {
        order_id: OrderId,
        paid_minor: i128,
        total_minor: i64,
    },
    /// Refunds plus chargebacks gave a card back more than it paid.
    CardReturnedTooMuch {
        order_id: OrderId,
        charged_minor: i128,
        returned_minor: i128,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::UnbalancedEntry { entry_key } => {
                write!(f, "entry {entry_key} does not sum to zero")
            }
            Violation::DuplicateIdempotencyKey { key } => {
                write!(f, "idempotency key {key} used by more than one entry")
            }
            Violation::UnparseableAccount { account } => write!(f, "unknown account {account}"),
            Violation::NegativeBalance {
                account,
                entry_key,
                balance_minor,
            } => write!(
                f,
                "{account} went negative ({balance_minor}) after entry {entry_key}"
            ),
            Violation::OverRefundOrRelease {
                order_id,
                paid_minor,
                out_minor,
            } => write!(
                f,
                "order {order_id}: refunded + released {out_minor} exceeds paid {paid_minor}"
            ),
            Violation::DoubleCapture { order_id } => {
                write!(f, "order {order_id} was captured more than once")
            }
            Violation::CachedBalanceMismatch {
                account,
                cached_minor,
                ledger_minor,
            } => write!(
                f,
                "{account}: cached balance {cached_minor} but postings sum to {ledger_minor}"
            ),
            Violation::ClosedOrderEscrowNotZero {
                order_id,
                state,
                escrow_minor,
            } => write!(
                f,
                "order {order_id} is {state:?} but its escrow holds {escrow_minor}"
            ),
            Violation::PaidMoreThanTotal {
                order_id,
                paid_minor,
                total_minor,
            } => write!(
                f,
                "order {order_id}: paid {paid_minor} exceeds order total {total_minor}"
            ),
            Violation::CardReturnedTooMuch {
                order_id,
                charged_minor,
                returned_minor,
            } => write!(
                f,
                "order {order_id}: {returned_minor} returned to the card (refunds + chargebacks) exceeds {charged_minor} charged"
            ),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct EscrowFlows {
    captures: u32,
    paid_minor: i128,
    out_minor: i128,
}

#[derive(Debug, Default, Clone, Copy)]
struct CardFlows {
    charged_minor: i128,
    returned_minor: i128,
}

fn key_digest(key: &str) -> [u8; 16] {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(key.as_bytes());
    let mut prefix = [0_u8; 16];
    prefix.copy_from_slice(&digest[..16]);
    prefix
}

#[derive(Debug, Default)]
pub struct LedgerAuditor {
    /// Keyed by the parsed account, not its text: a million orders' escrow
    /// accounts would otherwise be a million heap strings.
    balances: HashMap<(Account, Currency), i128>,
    escrow: HashMap<OrderId, EscrowFlows>,
    cards: HashMap<OrderId, CardFlows>,
    /// The first 128 bits of each idempotency key's SHA-256: uniqueness
    /// needs no more, and it keeps the auditor's memory a few dozen bytes
    /// per entry.
    keys: HashSet<[u8; 16]>,
    violations: Vec<Violation>,
    pub entries_seen: u64,
    pub orders_seen: u64,
}

impl LedgerAuditor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed entries strictly in commit order, so running balances are real.
    pub fn observe_entry(&mut self, entry: &Entry) {
        self.entries_seen += 1;
        if entry.assert_balanced().is_err() {
            self.violations.push(Violation::UnbalancedEntry {
                entry_key: entry.idempotency_key.clone(),
            });
        }
        if !self.keys.insert(key_digest(&entry.idempotency_key)) {
            self.violations.push(Violation::DuplicateIdempotencyKey {
                key: entry.idempotency_key.clone(),
            });
        }
        for posting in &entry.postings {
            self.apply_posting(
                entry,
                &posting.account,
                posting.amount.currency,
                posting.amount.amount_minor,
            );
            if let (Account::Gateway(_), Some(order_id)) = (&posting.account, entry.order_id) {
                self.track_card(order_id, posting.amount.amount_minor);
            }
        }
    }

    /// Money leaving a gateway account for an order was charged to the card;
    /// money arriving there was given back (refund or chargeback).
    fn track_card(&mut self, order_id: OrderId, amount_minor: i64) {
        let flows = self.cards.entry(order_id).or_default();
        if amount_minor < 0 {
            flows.charged_minor += -i128::from(amount_minor);
        } else {
            flows.returned_minor += i128::from(amount_minor);
        }
        if flows.returned_minor > flows.charged_minor {
            let flows = *flows;
            self.violations.push(Violation::CardReturnedTooMuch {
                order_id,
                charged_minor: flows.charged_minor,
                returned_minor: flows.returned_minor,
            });
        }
    }

    fn apply_posting(
        &mut self,
        entry: &Entry,
        account: &Account,
        currency: Currency,
        amount_minor: i64,
    ) {
        let balance = self
            .balances
            .entry((account.clone(), currency))
            .or_default();
        *balance += i128::from(amount_minor);
        if account.must_stay_non_negative() && *balance < 0 {
            let balance_minor = *balance;
            self.violations.push(Violation::NegativeBalance {
                account: account.to_string(),
                entry_key: entry.idempotency_key.clone(),
                balance_minor,
            });
        }
        if let Account::Escrow(order_id) = account {
            self.track_escrow(*order_id, entry.kind, amount_minor);
        }
    }

    fn track_escrow(&mut self, order_id: OrderId, kind: EntryKind, amount_minor: i64) {
        let flows = self.escrow.entry(order_id).or_default();
        if amount_minor > 0 {
            flows.paid_minor += i128::from(amount_minor);
            if kind == EntryKind::Capture {
                flows.captures += 1;
                if flows.captures == 2 {
                    self.violations.push(Violation::DoubleCapture { order_id });
                }
            }
        } else {
            flows.out_minor += -i128::from(amount_minor);
            if flows.out_minor > flows.paid_minor {
                let flows = *flows;
                self.violations.push(Violation::OverRefundOrRelease {
                    order_id,
                    paid_minor: flows.paid_minor,
                    out_minor: flows.out_minor,
                });
            }
        }
    }

    /// A raw account name that does not parse is itself a violation.
    pub fn observe_unparseable_account(&mut self, account: &str) {
        self.violations.push(Violation::UnparseableAccount {
            account: account.chars().take(120).collect(),
        });
    }

    /// Compare a cached balance row with the sum of the postings seen.
    pub fn observe_cached_balance(&mut self, account: &str, currency: Currency, cached_minor: i64) {
        let ledger_minor = account
            .parse::<Account>()
            .ok()
            .and_then(|parsed| self.balances.get(&(parsed, currency)).copied())
            .unwrap_or(0);
        if ledger_minor != i128::from(cached_minor) {
            self.violations.push(Violation::CachedBalanceMismatch {
                account: account.to_string(),
                cached_minor,
                ledger_minor,
            });
        }
    }

    pub fn observe_order(&mut self, order_id: OrderId, state: OrderState, total_minor: i64) {
        self.orders_seen += 1;
        let flows = self.escrow.get(&order_id).copied().unwrap_or_default();
        let escrow_minor = flows.paid_minor - flows.out_minor;
        if state.is_closed() && escrow_minor != 0 {
            self.violations.push(Violation::ClosedOrderEscrowNotZero {
                order_id,
                state,
                escrow_minor,
            });
        }
        if flows.paid_minor > i128::from(total_minor) {
            self.violations.push(Violation::PaidMoreThanTotal {
                order_id,
                paid_minor: flows.paid_minor,
                total_minor,
            });
        }
    }

    pub fn finish(self) -> Vec<Violation> {
        self.violations
    }
}
