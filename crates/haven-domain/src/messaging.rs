//! Conversations between a buyer and a seller: one per order, and pre-sale
//! ones per listing. Every message is scanned before delivery; the verdict
//! travels with the message so what the recipient saw can be shown later.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::dispute::Party;
use crate::ids::{ConversationId, FlagId, ListingId, MessageId, OrderId, StoreId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationKind {
    Order,
    PreSale,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub kind: ConversationKind,
    pub order_id: Option<OrderId>,
    pub listing_id: ListingId,
    pub buyer_id: UserId,
    pub store_id: StoreId,
    pub subject: String,
    pub created_at: Timestamp,
    pub last_message_at: Option<Timestamp>,
    pub message_count: i64,
    /// Messages the other party could see (blocked ones excluded): what
    /// the parties are shown, so a blocked message leaves no trace for
    /// its intended recipient.
    #[serde(default)]
    pub delivered_count: i64,
    #[serde(default)]
    pub last_delivered_at: Option<Timestamp>,
    /// Each side's first delivered message: the store's response rate and
    /// time come from these.
    #[serde(default)]
    pub first_buyer_message_at: Option<Timestamp>,
    #[serde(default)]
    pub first_seller_message_at: Option<Timestamp>,
    /// Repeated scam offences in this conversation: shown in the T&S console.
    pub flagged: bool,
    pub offences: u32,
    /// Each party may report the conversation once; a report puts it in
    /// the console with the reporter's words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<ConversationReport>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationReport {
    pub by: UserId,
    pub party: Party,
    pub reason: String,
    pub at: Timestamp,
}

/// What the scanner said about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Delivered as written.
    Delivered,
    /// Delivered with a warning to the recipient.
    Warned,
    /// Not delivered; the sender was told why.
    Blocked,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub sha256: String,
    pub content_type: String,
    pub size_bytes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    /// 1, 2, 3… within the conversation.
    pub seq: i64,
    pub sender_id: UserId,
    pub sender: Party,
    /// What the sender wrote.
    pub text: String,
    /// What the recipient sees (contact details masked when the operator asks).
    pub shown_text: String,
    pub delivery: Delivery,
    pub categories: Vec<String>,
    pub reasons: Vec<String>,
    pub attachments: Vec<Attachment>,
    pub created_at: Timestamp,
}

/// Something the trust-and-safety console should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityFlag {
    pub id: FlagId,
    /// `credential_stuffing`, `scam_messages`, …
    pub kind: String,
    /// What it is about: an IP address, a conversation id, a user id.
    pub subject: String,
    pub detail: String,
    pub created_at: Timestamp,
}

/// Bounds every message respects.
pub const MAX_MESSAGE_CHARS: usize = 4_000;
pub const MAX_ATTACHMENTS: usize = 4;

/// Refuse text that is too long or carries control characters other than
/// line breaks and tabs (invalid UTF-8 never gets this far: it is not a `str`).
pub fn validate_text(text: &str) -> Result<String, crate::limits::InvalidField> {
    use crate::text::{TextError, block};
    block("text", text, MAX_MESSAGE_CHARS).map_err(|e| {
        let message = match e {
            TextError::Empty { .. } => "a message needs some text".to_string(),
            TextError::TooLong { .. } => {
                format!("a message must be at most {MAX_MESSAGE_CHARS} characters")
            }
            TextError::ControlCharacter { .. } => "control characters are not allowed".into(),
        };
        crate::limits::InvalidField::new("text", message)
    })
}
