//! The audit trail: every state transition of an order or a dispute, with
//! who did it, when, why, and under which policy version. Agents read it in
//! the console; it is written in the same transaction as the transition.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::dispute::Party;
use crate::ids::{OrderId, UserId};
use crate::policy::PolicyVersion;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: uuid::Uuid,
    pub at: Timestamp,
    /// The order the record belongs to (disputes are filed under their
    /// order); none for a platform action (a webhook endpoint paused).
    pub order_id: Option<OrderId>,
    /// `order`, `dispute`, `command`, `conversation`, `webhook`…
    pub subject: String,
    pub subject_id: uuid::Uuid,
    pub actor: Party,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub reason: String,
    pub policy_version: PolicyVersion,
}
