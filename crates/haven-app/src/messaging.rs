//! Buyer–seller conversations: one per order, and pre-sale ones per
//! listing. Every message goes through the scanner before delivery:
//! `allow` delivers it, `warn` delivers it with a warning the recipient
//! sees, `block` keeps it from the recipient and tells the sender why. A
//! warned or blocked message counts against the sender, and repeated
//! offences put the conversation in the trust-and-safety console. While a
//! dispute is open, messages are also written into its evidence log.

use haven_domain::dispute::Party;
use haven_domain::evidence::EvidenceKind;
use haven_domain::ids::{ConversationId, FlagId, ListingId, MessageId, OrderId};
use haven_domain::messaging::{
    Attachment, Conversation, ConversationKind, ConversationReport, Delivery, MAX_ATTACHMENTS,
    Message, SecurityFlag, validate_text,
};
use haven_domain::order::{Order, OrderState};
use haven_domain::wire_name;
use haven_risk::scanner::{ScanResult, Scanner, ScannerConfig, Sender, Stage, Verdict};
use haven_store::{
    Changeset, Conflict, ConversationWrite, EvidenceFile, PageRequest, StoreError, UserWrite,
};
use std::sync::Arc;

use super::accounts::Relation;
use super::{Actor, ActorRef, App, MAX_RETRIES};
use crate::config::Config;
use crate::error::{AppError, AppResult, ErrorKind};

/// Offences in one conversation before it is flagged for the console.
pub const FLAG_AFTER_OFFENCES: u32 = 3;
/// Messages one page of a conversation shows at most.
pub const MAX_MESSAGES_PAGE: u32 = 200;

/// The operator's lists the scanner is built with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ScannerLists {
    /// Carriers whose links are safe, on top of the built-in ones.
    carriers: Vec<String>,
    /// More domains the marketplace owns: their links are safe, and links
    /// imitating them are phishing.
    own_domains: Vec<String>,
    /// The admin's brand name, in place of the configured one.
    brand: Option<String>,
}

impl ScannerLists {
    fn from(lists: &haven_risk::payment::rules::Lists) -> ScannerLists {
        let list = |name: &str| lists.get(name).cloned().unwrap_or_default();
        ScannerLists {
            carriers: list(crate::risk::CARRIER_DOMAINS),
            own_domains: list(crate::risk::MARKETPLACE_DOMAINS),
            brand: list(crate::risk::MARKETPLACE_BRAND).into_iter().next(),
        }
    }
}

/// The scanner in use and the operator's lists it was built with.
pub(crate) struct CurrentScanner {
    lists: ScannerLists,
    scanner: Arc<Scanner>,
}

impl CurrentScanner {
    pub(crate) fn compile(config: &Config, lists: ScannerLists) -> CurrentScanner {
        CurrentScanner {
            scanner: Arc::new(scanner_with(config, &lists)),
            lists,
        }
    }
}

impl App {
    /// The scanner with the operator's current lists: a change to the
    /// `carrier_domains` or `marketplace_domains` list reaches it when the
    /// rules are next read.
    pub async fn scanner(&self) -> AppResult<Arc<Scanner>> {
        self.loaded_rules().await?;
        Ok(self.scanner_now())
    }

    pub(crate) fn scanner_now(&self) -> Arc<Scanner> {
        self.scanner
            .read()
            .map(|s| s.scanner.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().scanner.clone())
    }

    /// Recompiles the scanner when the operator's lists changed.
    pub(crate) fn sync_scanner(&self, lists: &haven_risk::payment::rules::Lists) {
        let wanted = ScannerLists::from(lists);
        let same = self.scanner.read().is_ok_and(|s| s.lists == wanted);
        if !same {
            let compiled = CurrentScanner::compile(&self.config, wanted);
            if let Ok(mut current) = self.scanner.write() {
                *current = compiled;
            }
        }
    }
}

/// The scanner the server uses: the brand and domains in config, the
/// built-in carriers, and the operator's own lists.
fn scanner_with(config: &Config, lists: &ScannerLists) -> Scanner {
    let mut own_domains = config.own_domains.clone();
    if let Some(host) = config
        .base_url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ':']).next())
        .filter(|h| h.contains('.') && !h.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
    {
        own_domains.push(host.to_string());
    }
    own_domains.extend(lists.own_domains.iter().cloned());
    Scanner::new(ScannerConfig {
        brand: lists
            .brand
            .clone()
            .unwrap_or_else(|| config.brand_name.clone()),
        own_domains,
        carrier_domains: haven_risk::scanner::default_carrier_domains()
            .into_iter()
            .chain(lists.carriers.iter().cloned())
            .collect(),
    })
}

/// One page of a conversation as its reader may see it.
#[derive(Debug, Clone)]
pub struct MessagePage {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
    /// Pass as `after_seq` for the next page; `None` at the end.
    pub next_after: Option<i64>,
}

/// A file sent with a message: the same rules as dispute evidence.
pub struct NewAttachment {
    pub upload: crate::blobs::Upload,
}

fn party_of(side: Relation) -> Party {
    match side {
        Relation::Buyer => Party::Buyer,
        Relation::Seller => Party::Seller,
        Relation::Staff => Party::Agent,
    }
}

fn side_of(actor: &Actor, conversation: &Conversation) -> AppResult<Relation> {
    // Someone else's conversation does not exist, as far as they know.
    actor
        .relation_to(conversation.buyer_id, conversation.store_id)
        .ok_or_else(|| AppError::not_found("conversation"))
}

/// One message on its way, with who it is for (the store's owner or the
/// buyer), to be told of new messages.
struct Sent<'a> {
    text: &'a str,
    attachments: &'a [Attachment],
    evidence_files: &'a [EvidenceFile],
    recipient: Option<haven_domain::ids::UserId>,
}

/// A blocked message is seen only by its sender and by staff.
fn visible_to(message: &Message, actor: &Actor, side: Relation) -> bool {
    message.delivery != Delivery::Blocked
        || message.sender_id == actor.id()
        || side == Relation::Staff
}

/// Where the order is, for the scanner: a fee demanded after delivery or a
/// "close the dispute" during one mean more than the same words before.
fn stage_of(order: Option<&Order>, dispute_open: bool) -> Stage {
    match order {
        None => Stage::PreOrder,
        Some(_) if dispute_open => Stage::InDispute,
        Some(order) => match order.state {
            OrderState::PendingPayment => Stage::PreOrder,
            OrderState::Paid | OrderState::Shipped => Stage::AfterOrder,
            _ => Stage::AfterDelivery,
        },
    }
}

fn delivery_for(verdict: Verdict) -> Delivery {
    match verdict {
        Verdict::Allow => Delivery::Delivered,
        Verdict::Warn => Delivery::Warned,
        Verdict::Block => Delivery::Blocked,
    }
}

impl App {
    /// The conversation of an order, started on first use by either party.
    pub async fn order_conversation(
        &self,
        actor: &Actor,
        order_id: OrderId,
    ) -> AppResult<Conversation> {
        let order = self.order_for(actor, order_id).await?;
        if let Some(found) = self.store.order_conversation(order_id).await? {
            return Ok(found);
        }
        let listing = self.store.listing(order.listing_id).await?;
        let subject = listing.map_or_else(|| "Your order".to_string(), |l| l.title);
        let conversation = self.new_conversation(
            ConversationKind::Order,
            Some(order_id),
            order.listing_id,
            order.buyer_id,
            order.store_id,
            subject,
        );
        self.insert_conversation(conversation, || self.store.order_conversation(order_id))
            .await
    }

    /// A buyer's pre-sale conversation about a listing.
    pub async fn presale_conversation(
        &self,
        actor: &Actor,
        listing_id: ListingId,
    ) -> AppResult<Conversation> {
        let listing = self
            .store
            .listing(listing_id)
            .await?
            .ok_or_else(|| AppError::not_found("listing"))?;
        if Some(listing.store_id) == actor.store_id {
            return Err(AppError::validation("this is your own listing"));
        }
        if let Some(found) = self
            .store
            .presale_conversation(listing_id, actor.id())
            .await?
        {
            return Ok(found);
        }
        let conversation = self.new_conversation(
            ConversationKind::PreSale,
            None,
            listing_id,
            actor.id(),
            listing.store_id,
            listing.title.clone(),
        );
        self.insert_conversation(conversation, || {
            self.store.presale_conversation(listing_id, actor.id())
        })
        .await
    }

    fn new_conversation(
        &self,
        kind: ConversationKind,
        order_id: Option<OrderId>,
        listing_id: ListingId,
        buyer_id: haven_domain::ids::UserId,
        store_id: haven_domain::ids::StoreId,
        subject: String,
    ) -> Conversation {
        Conversation {
            id: ConversationId::new(),
            kind,
            order_id,
            listing_id,
            buyer_id,
            store_id,
            subject: subject.chars().take(200).collect(),
            created_at: self.now(),
            last_message_at: None,
            message_count: 0,
            delivered_count: 0,
            last_delivered_at: None,
            first_buyer_message_at: None,
            first_seller_message_at: None,
            flagged: false,
            offences: 0,
            reports: Vec::new(),
            version: 1,
        }
    }

    /// Insert, or return the one a concurrent request created first.
    async fn insert_conversation<F, Fut>(
        &self,
        conversation: Conversation,
        existing: F,
    ) -> AppResult<Conversation>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = haven_store::StoreResult<Option<Conversation>>>,
    {
        let write = ConversationWrite {
            conversation: conversation.clone(),
            expected_version: None,
        };
        match self
            .store
            .commit(Changeset {
                conversations: vec![write],
                ..Default::default()
            })
            .await
        {
            Ok(()) => Ok(conversation),
            Err(StoreError::Conflict(Conflict::ConversationExists)) => existing()
                .await?
                .ok_or_else(|| AppError::internal("conversation vanished")),
            Err(err) => Err(err.into()),
        }
    }

    /// A conversation the actor takes part in (or, for staff, any).
    pub async fn conversation_for(
        &self,
        actor: &Actor,
        id: ConversationId,
    ) -> AppResult<Conversation> {
        let conversation = self
            .store
            .conversation(id)
            .await?
            .ok_or_else(|| AppError::not_found("conversation"))?;
        side_of(actor, &conversation)?;
        Ok(conversation)
    }

    /// Send a message: validate, scan, store, count offences, and copy it
    /// into the evidence log of an open dispute, all in one transaction.
    pub async fn send_message(
        &self,
        actor: &Actor,
        id: ConversationId,
        text: &str,
        files: Vec<NewAttachment>,
    ) -> AppResult<Message> {
        let text = validate_text(text)?;
        if files.len() > MAX_ATTACHMENTS {
            return Err(AppError::validation(format!(
                "at most {MAX_ATTACHMENTS} attachments per message"
            )));
        }
        let conversation = self.conversation_for(actor, id).await?;
        let side = side_of(actor, &conversation)?;
        if side == Relation::Staff {
            return Err(AppError::forbidden(
                "agents write in the dispute, not in the parties' chat",
            ));
        }
        let (attachments, evidence_files) = self.store_attachments(files).await?;
        let recipient = match side {
            Relation::Buyer => self
                .store
                .shop(conversation.store_id)
                .await?
                .map(|shop| shop.owner_id),
            _ => Some(conversation.buyer_id),
        };
        let sent = Sent {
            text: &text,
            attachments: &attachments,
            evidence_files: &evidence_files,
            recipient,
        };
        for _ in 0..MAX_RETRIES {
            match self.try_send(actor, side, id, &sent).await {
                Err(SendError::Race) => continue,
                Err(SendError::Api(err)) => return Err(err),
                Ok(message) => return Ok(message),
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "the conversation is busy; retry",
        ))
    }

    async fn store_attachments(
        &self,
        files: Vec<NewAttachment>,
    ) -> AppResult<(Vec<Attachment>, Vec<EvidenceFile>)> {
        let mut attachments = Vec::new();
        let mut evidence_files = Vec::new();
        for file in files {
            let stored = self.blobs.accept(file.upload).await?;
            let (hash, content_type, size_bytes) =
                (stored.hash, stored.content_type, stored.size_bytes);
            attachments.push(Attachment {
                sha256: hash.clone(),
                content_type: content_type.into(),
                size_bytes,
            });
            evidence_files.push(EvidenceFile {
                hash,
                content_type: content_type.into(),
                size_bytes,
                created_at: self.now(),
            });
        }
        Ok((attachments, evidence_files))
    }

    async fn try_send(
        &self,
        actor: &Actor,
        side: Relation,
        id: ConversationId,
        sent: &Sent<'_>,
    ) -> Result<Message, SendError> {
        let (text, attachments, evidence_files) =
            (sent.text, sent.attachments, sent.evidence_files);
        let mut conversation = self
            .store
            .conversation(id)
            .await?
            .ok_or_else(|| AppError::not_found("conversation"))?;
        let order = match conversation.order_id {
            Some(order_id) => Some(self.order(order_id).await?),
            None => None,
        };
        let open_dispute = match conversation.order_id {
            Some(order_id) => self
                .store
                .disputes_for_order(order_id)
                .await?
                .into_iter()
                .find(|d| d.state.is_open()),
            None => None,
        };
        let sender = if side == Relation::Buyer {
            Sender::Buyer
        } else {
            Sender::Seller
        };
        let scan = self.scanner().await?.scan(
            text,
            stage_of(order.as_ref(), open_dispute.is_some()),
            sender,
        );
        let message = self.build_message(actor, side, &conversation, text, attachments, &scan);
        let mut changes = Changeset {
            messages: vec![message.clone()],
            evidence_files: evidence_files.to_vec(),
            ..Default::default()
        };
        let expected_version = conversation.version;
        let before = conversation.clone();
        conversation.message_count += 1;
        conversation.last_message_at = Some(message.created_at);
        if message.delivery != Delivery::Blocked {
            if let Some(recipient) = sent.recipient {
                changes.commands.push(crate::notify::message_digest_command(
                    recipient,
                    message.created_at,
                ));
            }
            conversation.delivered_count += 1;
            conversation.last_delivered_at = Some(message.created_at);
            let first = match side {
                Relation::Buyer => Some(&mut conversation.first_buyer_message_at),
                Relation::Seller => Some(&mut conversation.first_seller_message_at),
                Relation::Staff => None,
            };
            if let Some(first) = first {
                first.get_or_insert(message.created_at);
            }
        }
        conversation.version += 1;
        if scan.verdict != Verdict::Allow {
            self.count_offence(actor, &mut conversation, &scan, &mut changes)
                .await?;
        }
        changes
            .reads
            .push((conversation.id, actor.id(), message.seq));
        crate::reputation::conversation_stat_changes(&before, &conversation, &mut changes);
        changes.conversations.push(ConversationWrite {
            conversation,
            expected_version: Some(expected_version),
        });
        // A blocked message never reached the other party, and the log is
        // theirs to read too: agents see it in the conversation instead.
        if let Some(dispute) = open_dispute.filter(|_| message.delivery != Delivery::Blocked) {
            let mut log = self.log_for(dispute.id).await?;
            let body = serde_json::json!({
                "conversation_id": id.to_string(),
                "message_seq": message.seq,
                "text": message.text,
                "delivery": wire_name(&message.delivery),
                "categories": message.categories,
                "attachments": message.attachments.iter().map(|a| &a.sha256).collect::<Vec<_>>(),
            });
            log.push(
                ActorRef::user(party_of(side), actor),
                EvidenceKind::Message,
                body,
                self.now(),
            );
            changes.evidence.extend(log.entries);
        }
        match self.store.commit(changes).await {
            Ok(()) => Ok(message),
            Err(StoreError::Conflict(
                Conflict::StaleConversation
                | Conflict::MessageRace
                | Conflict::StaleUser
                | Conflict::EvidenceRace,
            )) => Err(SendError::Race),
            Err(err) => Err(SendError::Api(err.into())),
        }
    }

    fn build_message(
        &self,
        actor: &Actor,
        side: Relation,
        conversation: &Conversation,
        text: &str,
        attachments: &[Attachment],
        scan: &ScanResult,
    ) -> Message {
        let mask =
            self.config.mask_presale_contacts && conversation.kind == ConversationKind::PreSale;
        Message {
            id: MessageId::new(),
            conversation_id: conversation.id,
            seq: conversation.message_count + 1,
            sender_id: actor.id(),
            sender: party_of(side),
            text: text.to_string(),
            shown_text: if mask {
                self.scanner_now().mask_contacts(text)
            } else {
                text.to_string()
            },
            delivery: delivery_for(scan.verdict),
            categories: scan.categories.iter().map(wire_name).collect(),
            reasons: scan.reasons.clone(),
            attachments: attachments.to_vec(),
            created_at: self.now(),
        }
    }

    /// A warned or blocked message is a strike candidate against its
    /// sender; the third in one conversation flags it for the console.
    async fn count_offence(
        &self,
        actor: &Actor,
        conversation: &mut Conversation,
        scan: &ScanResult,
        changes: &mut Changeset,
    ) -> AppResult<()> {
        let mut user = self
            .store
            .user(actor.id())
            .await?
            .ok_or_else(|| AppError::not_found("user"))?;
        let expected_version = user.version;
        user.scam_offences += 1;
        changes.user_updates.push(UserWrite {
            user,
            expected_version,
        });
        conversation.offences += 1;
        if conversation.offences >= FLAG_AFTER_OFFENCES && !conversation.flagged {
            conversation.flagged = true;
            let categories: Vec<String> = scan.categories.iter().map(wire_name).collect();
            changes.security_flags.push(SecurityFlag {
                id: FlagId::new(),
                kind: "scam_messages".into(),
                subject: conversation.id.to_string(),
                detail: format!(
                    "{} flagged messages from {} in \"{}\"; latest: {}",
                    conversation.offences,
                    actor.user.display_name,
                    conversation.subject,
                    categories.join(", ")
                ),
                created_at: self.now(),
            });
        }
        Ok(())
    }

    /// "Ask the seller" with the first message: the pre-sale conversation
    /// is created only when there is something to send.
    pub async fn ask_seller(
        &self,
        actor: &Actor,
        listing_id: ListingId,
        text: &str,
    ) -> AppResult<(Conversation, Message)> {
        validate_text(text)?;
        let conversation = self.presale_conversation(actor, listing_id).await?;
        let message = self
            .send_message(actor, conversation.id, text, Vec::new())
            .await?;
        Ok((conversation, message))
    }

    /// A party reports the conversation to trust and safety: it is flagged
    /// for the console with the reporter's words. Each party reports a
    /// conversation once.
    pub async fn report_conversation(
        &self,
        actor: &Actor,
        id: ConversationId,
        reason: &str,
    ) -> AppResult<Conversation> {
        let reason = haven_domain::text::block("reason", reason, 1_000)?;
        let mut conversation = self.conversation_for(actor, id).await?;
        let side = side_of(actor, &conversation)?;
        if side == Relation::Staff {
            return Err(AppError::forbidden(
                "agents act on a conversation from the console",
            ));
        }
        if conversation.reports.iter().any(|r| r.by == actor.id()) {
            return Err(AppError::invalid_state(
                "you already reported this conversation; an agent will read it",
            ));
        }
        let now = self.now();
        let expected_version = conversation.version;
        conversation.reports.push(ConversationReport {
            by: actor.id(),
            party: party_of(side),
            reason: reason.clone(),
            at: now,
        });
        conversation.flagged = true;
        conversation.version += 1;
        let changes = Changeset {
            security_flags: vec![SecurityFlag {
                id: FlagId::new(),
                kind: "reported_conversation".into(),
                subject: conversation.id.to_string(),
                detail: format!(
                    "{} ({}) reported \"{}\": {}",
                    actor.user.display_name,
                    wire_name(&party_of(side)),
                    conversation.subject,
                    reason
                ),
                created_at: now,
            }],
            conversations: vec![ConversationWrite {
                conversation: conversation.clone(),
                expected_version: Some(expected_version),
            }],
            ..Default::default()
        };
        self.store.commit(changes).await?;
        Ok(conversation)
    }

    /// Messages after `after_seq` as the actor may see them: a blocked
    /// message is shown only to its sender (and staff). Reading marks them
    /// read. Also returns where the next page starts, counted over every
    /// message, so hidden ones never end the paging early.
    pub async fn read_messages(
        &self,
        actor: &Actor,
        id: ConversationId,
        after_seq: i64,
        limit: u32,
    ) -> AppResult<MessagePage> {
        let conversation = self.conversation_for(actor, id).await?;
        let side = side_of(actor, &conversation)?;
        let limit = limit.clamp(1, MAX_MESSAGES_PAGE);
        let raw = self.store.messages(id, after_seq.max(0), limit).await?;
        let next_after = (raw.len() as u32 == limit)
            .then(|| raw.last().map(|m| m.seq))
            .flatten();
        let messages: Vec<Message> = raw
            .into_iter()
            .filter(|m| visible_to(m, actor, side))
            .collect();
        if side != Relation::Staff
            && let Some(last) = messages.last()
        {
            let read = Changeset {
                reads: vec![(id, actor.id(), last.seq)],
                ..Default::default()
            };
            self.store.commit(read).await?;
        }
        Ok(MessagePage {
            conversation,
            messages,
            next_after,
        })
    }

    /// The actor's conversations as a buyer (or, with `as_seller`, as the
    /// store), most recent first.
    pub async fn my_conversations(
        &self,
        actor: &Actor,
        as_seller: bool,
        page: &PageRequest,
    ) -> AppResult<haven_store::Page<Conversation>> {
        if as_seller {
            let store_id = actor.require_store()?;
            Ok(self.store.conversations_for_store(store_id, page).await?)
        } else {
            Ok(self.store.conversations_for_buyer(actor.id(), page).await?)
        }
    }

    /// Unread delivered messages from the other side, everywhere.
    pub async fn unread_messages(&self, actor: &Actor) -> AppResult<i64> {
        Ok(self.store.unread_count(actor.id(), actor.store_id).await?)
    }

    /// An agent closes a flagged conversation once it is dealt with: it
    /// leaves the console's queue, its offences count from zero again (so
    /// new scam messages flag it anew), and the agent's note is kept as a
    /// security flag and, for an order's conversation, in the order's audit
    /// trail.
    pub async fn close_flagged_conversation(
        &self,
        agent: &Actor,
        id: ConversationId,
        note: &str,
    ) -> AppResult<Conversation> {
        self.require_agent(agent)?;
        // Required: the next agent reads what was done.
        let note = haven_domain::text::block("note", note, 1_000)?;
        let mut conversation = self
            .store
            .conversation(id)
            .await?
            .ok_or_else(|| AppError::not_found("conversation"))?;
        if !conversation.flagged {
            return Err(AppError::invalid_state(
                "this conversation is not in the queue (another agent closed it)",
            ));
        }
        let now = self.now();
        let expected_version = conversation.version;
        conversation.flagged = false;
        conversation.offences = 0;
        conversation.version += 1;
        let mut changes = Changeset {
            security_flags: vec![SecurityFlag {
                id: FlagId::new(),
                kind: "conversation_closed".into(),
                subject: conversation.id.to_string(),
                detail: format!(
                    "{} closed \"{}\": {}",
                    agent.user.display_name, conversation.subject, note
                ),
                created_at: now,
            }],
            conversations: vec![ConversationWrite {
                conversation: conversation.clone(),
                expected_version: Some(expected_version),
            }],
            ..Default::default()
        };
        changes.audit.push(self.staff_audit(
            agent,
            crate::audit::StaffAction {
                subject: "conversation",
                subject_id: conversation.id.0,
                order_id: conversation.order_id,
                action: "conversation_closed",
                from_state: "flagged",
                to_state: "",
                reason: &note,
            },
        ));
        self.store.commit(changes).await?;
        Ok(conversation)
    }

    /// Conversations with repeated offences, for the console.
    pub async fn flagged_conversations(
        &self,
        agent: &Actor,
        page: &PageRequest,
    ) -> AppResult<haven_store::Page<Conversation>> {
        self.require_agent(agent)?;
        Ok(self.store.flagged_conversations(page).await?)
    }

    /// An attachment, for the two parties and staff.
    pub async fn message_attachment(
        &self,
        actor: &Actor,
        id: ConversationId,
        hash: &str,
    ) -> AppResult<(Attachment, Vec<u8>)> {
        let conversation = self.conversation_for(actor, id).await?;
        let side = side_of(actor, &conversation)?;
        let mut after = 0;
        loop {
            let batch = self.store.messages(id, after, MAX_MESSAGES_PAGE).await?;
            let found = batch
                .iter()
                .filter(|m| visible_to(m, actor, side))
                .flat_map(|m| m.attachments.iter())
                .find(|a| a.sha256 == hash)
                .cloned();
            if let Some(attachment) = found {
                let bytes = self.blobs.get(hash).await?;
                return Ok((attachment, bytes));
            }
            match batch.last() {
                Some(last) if batch.len() as u32 == MAX_MESSAGES_PAGE => after = last.seq,
                _ => return Err(AppError::not_found("attachment")),
            }
        }
    }
}

enum SendError {
    Race,
    Api(AppError),
}

impl From<AppError> for SendError {
    fn from(err: AppError) -> Self {
        SendError::Api(err)
    }
}

impl From<StoreError> for SendError {
    fn from(err: StoreError) -> Self {
        SendError::Api(err.into())
    }
}
