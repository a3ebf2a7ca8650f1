//! The audit log as agents search it: everything recent, one order's
//! history, what one agent decided, or what happened on a buyer's or
//! seller's orders.

use haven_domain::account::Role;
use haven_domain::dispute::Party;
use haven_domain::ids::OrderId;
use haven_domain::trail::AuditRecord;
use haven_store::PageRequest;

use crate::error::{AppError, AppResult};
use crate::{Actor, App};

/// Records per page.
pub const AUDIT_PAGE: u32 = 50;
/// A person's orders searched (newest first), as buyer and as seller.
const ORDERS_SEARCHED: u32 = 20;

/// What an agent searched the audit log for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditQuery {
    Recent,
    Order(OrderId),
    /// An order's short number ("#1A2B3C4D"), its id's last 8 hex digits.
    OrderNumber(String),
    /// A person by email: an agent's own decisions, or the history of a
    /// buyer's or seller's orders.
    Person(String),
}

impl AuditQuery {
    pub fn parse(raw: &str) -> AppResult<AuditQuery> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(AuditQuery::Recent);
        }
        if raw.contains('@') {
            return Ok(AuditQuery::Person(raw.to_lowercase()));
        }
        if let Some(digits) = haven_domain::order::parse_short_number(raw) {
            return Ok(AuditQuery::OrderNumber(digits));
        }
        raw.trim_start_matches('#')
            .parse::<OrderId>()
            .map(AuditQuery::Order)
            .map_err(|_| {
                AppError::invalid_field(
                    "q",
                    "search by an email address, an order's number (#1A2B3C4D) or its id",
                )
            })
    }
}

/// A page of records, newest first, and where the next one starts (only
/// the recent and per-agent lists page).
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub records: Vec<AuditRecord>,
    pub next_before: Option<i64>,
}

impl App {
    pub async fn search_audit(
        &self,
        agent: &Actor,
        query: &AuditQuery,
        before: Option<i64>,
    ) -> AppResult<AuditPage> {
        self.require_agent(agent)?;
        match query {
            AuditQuery::Recent => self.audit_paged(None, before).await,
            AuditQuery::Order(order) => Ok(AuditPage {
                records: newest_first(self.store.audit_for_order(*order).await?),
                next_before: None,
            }),
            AuditQuery::OrderNumber(digits) => {
                // Eight hex digits rarely name two orders; all are shown.
                let mut records = Vec::new();
                for order in self.store.orders_numbered(digits, 5).await? {
                    records.extend(self.store.audit_for_order(order).await?);
                }
                Ok(AuditPage {
                    records: newest_first(records),
                    next_before: None,
                })
            }
            AuditQuery::Person(email) => {
                let Some(user) = self.store.user_by_email(email).await? else {
                    return Ok(AuditPage {
                        records: Vec::new(),
                        next_before: None,
                    });
                };
                if user.has_role(Role::Agent) || user.has_role(Role::Admin) {
                    return self.audit_paged(Some(user.id), before).await;
                }
                self.audit_of_orders(user.id).await
            }
        }
    }

    async fn audit_paged(
        &self,
        agent: Option<haven_domain::ids::UserId>,
        before: Option<i64>,
    ) -> AppResult<AuditPage> {
        let rows = self.store.audit_page(agent, before, AUDIT_PAGE + 1).await?;
        let more = rows.len() > AUDIT_PAGE as usize;
        let rows: Vec<_> = rows.into_iter().take(AUDIT_PAGE as usize).collect();
        Ok(AuditPage {
            next_before: rows.last().map(|(seq, _)| *seq).filter(|_| more),
            records: rows.into_iter().map(|(_, r)| r).collect(),
        })
    }

    /// The history of a person's newest orders, as buyer and as seller.
    async fn audit_of_orders(&self, user: haven_domain::ids::UserId) -> AppResult<AuditPage> {
        let page = PageRequest::new(None, Some(ORDERS_SEARCHED));
        let mut orders: Vec<OrderId> = self
            .store
            .orders_for_buyer(user, &page)
            .await?
            .items
            .iter()
            .map(|o| o.id)
            .collect();
        if let Some(shop) = self.store.shop_by_owner(user).await? {
            let sold = self.store.orders_for_store(shop.id, &page).await?;
            orders.extend(sold.items.iter().map(|o| o.id));
        }
        let mut records = Vec::new();
        for order in orders {
            records.extend(self.store.audit_for_order(order).await?);
        }
        Ok(AuditPage {
            records: newest_first(records),
            next_before: None,
        })
    }
}

/// What a staff member did, for the audit log.
pub(crate) struct StaffAction<'a> {
    /// `command`, `conversation`, `webhook`…
    pub subject: &'a str,
    pub subject_id: uuid::Uuid,
    /// The order it concerns; none for a platform action.
    pub order_id: Option<OrderId>,
    pub action: &'a str,
    pub from_state: &'a str,
    pub to_state: &'a str,
    /// The staff member's note, in their words.
    pub reason: &'a str,
}

impl App {
    /// The audit record of `staff`'s action, to commit with the change it
    /// describes.
    pub(crate) fn staff_audit(&self, staff: &Actor, action: StaffAction<'_>) -> AuditRecord {
        AuditRecord {
            id: uuid::Uuid::now_v7(),
            at: self.now(),
            order_id: action.order_id,
            subject: action.subject.into(),
            subject_id: action.subject_id,
            actor: Party::Agent,
            actor_id: Some(staff.id()),
            action: action.action.into(),
            from_state: action.from_state.into(),
            to_state: action.to_state.into(),
            reason: action.reason.into(),
            policy_version: self.current_policy().0,
        }
    }
}

fn newest_first(mut records: Vec<AuditRecord>) -> Vec<AuditRecord> {
    records.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_an_email_an_order_id_or_number_or_nothing() {
        assert_eq!(AuditQuery::parse("  ").unwrap(), AuditQuery::Recent);
        assert_eq!(
            AuditQuery::parse("Agent@Example.com").unwrap(),
            AuditQuery::Person("agent@example.com".into())
        );
        let id = OrderId::new();
        assert_eq!(
            AuditQuery::parse(&id.to_string()).unwrap(),
            AuditQuery::Order(id)
        );
        assert_eq!(
            AuditQuery::parse("#1A2B3C4D").unwrap(),
            AuditQuery::OrderNumber("1a2b3c4d".into())
        );
        assert!(AuditQuery::parse("lamp").is_err());
    }
}
