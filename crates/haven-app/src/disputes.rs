//! The dispute centre's use cases: open, act (seller, buyer, agent), add
//! evidence, reopen, export the evidence bundle, and the case queue.
//!
//! Every action applies the pure dispute transition and, when it settles or
//! resumes the order, the order transition too, in one changeset with the
//! evidence-log entries and audit records.

use base64::Engine;
use haven_domain::account::Role as UserRole;
use haven_domain::dispute::{
    Decision, Dispute, DisputeEvent, DisputeState, OpenRequest, OrderFacts, Party,
};
use haven_domain::evidence::{EvidenceEntry, EvidenceKind};
use haven_domain::ids::{DisputeId, OrderId};
use haven_domain::order::{Address, Order, OrderEvent};
use haven_risk::tracking::{self, Carrier, ProvenanceFacts};
use haven_store::{Changeset, EvidenceFile, Strike};
use serde::Serialize;

use super::{
    Actor, ActorRef, App, Idem, MAX_RETRIES, attach_idem, dispute_record_changes, is_race,
    opened_dispute_changes,
};
use crate::blobs::Upload;
use crate::error::{AppError, AppResult, ErrorKind};
use crate::screening::Channel;
use haven_risk::scanner::{Sender, Stage};

/// Files one dispute's log may hold.
pub const MAX_FILES_PER_DISPUTE: usize = 20;
const MAX_MESSAGE_CHARS: usize = 5_000;

/// How the caller relates to a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Buyer,
    Seller,
    Agent,
}

impl Role {
    fn party(self) -> Party {
        match self {
            Role::Buyer => Party::Buyer,
            Role::Seller => Party::Seller,
            Role::Agent => Party::Agent,
        }
    }
}

/// An action a person takes on a dispute (timers use `DisputeEvent` directly).
#[derive(Debug, Clone)]
pub enum DisputeAction {
    Accept {
        return_address: Option<Address>,
    },
    Counter {
        amount_minor: i64,
        message: String,
    },
    Reject {
        explanation: String,
    },
    AcceptCounter,
    DeclineCounter,
    Escalate,
    Withdraw {
        confirmed: bool,
    },
    ShipReturn {
        carrier: String,
        tracking_number: String,
    },
    ConfirmReturn,
    ContestReturn {
        explanation: String,
    },
    Decide {
        decision: Decision,
        reasons: String,
        counterfeit_confirmed: bool,
    },
}

/// A dispute with everything its page shows.
#[derive(Debug, Clone)]
pub struct DisputeDetail {
    pub dispute: Dispute,
    pub order: Order,
    pub evidence: Vec<EvidenceEntry>,
    pub role: Role,
}

/// The chargeback evidence bundle: the log (with its hash chain), the order
/// facts, the audit trail and every file, base64-encoded with its hash.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceBundle {
    pub format: &'static str,
    pub generated_at: String,
    pub order: Order,
    /// The terms the order was sold under (windows, deadlines, guarantee).
    pub policy: haven_domain::policy::Policy,
    /// What the buyer was shown and promised at checkout, signed by the
    /// platform (absent for orders placed before certificates existed).
    pub protection_certificate: Option<crate::certificate::SignedCertificate>,
    pub disputes: Vec<BundleDispute>,
    pub tracking: Vec<haven_store::TrackingEvent>,
    pub audit: Vec<haven_domain::trail::AuditRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BundleDispute {
    pub dispute: Dispute,
    pub evidence: Vec<EvidenceEntry>,
    pub files: Vec<BundleFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct BundleFile {
    pub sha256: String,
    pub content_type: String,
    pub base64: String,
}

fn dispute_error(err: haven_domain::dispute::DisputeError) -> AppError {
    use haven_domain::dispute::DisputeError as E;
    match err {
        E::WrongParty(_) => AppError::forbidden(err.to_string()),
        E::BadAmount { .. } => AppError::invalid_field("amount_minor", err.to_string()),
        E::ReturnAddressRequired => AppError::invalid_field("return_address", err.to_string()),
        E::TextTooLong | E::ControlCharacters | E::ExplanationRequired => {
            AppError::validation(err.to_string())
        }
        E::EscalationTooEarly { available_at } => {
            AppError::new(ErrorKind::EscalationTooEarly, err.to_string()).with_details(
                crate::ErrorDetails {
                    available_at: Some(available_at.to_string()),
                    ..Default::default()
                },
            )
        }
        E::WindowEnded => AppError::new(ErrorKind::ProtectionWindowEnded, err.to_string()),
        E::AlreadyOpen => AppError::new(ErrorKind::DisputeAlreadyOpen, err.to_string()),
        E::AutomaticClaim => AppError::new(ErrorKind::AutomaticClaim, err.to_string()),
        _ => AppError::new(ErrorKind::InvalidState, err.to_string()),
    }
}

impl From<haven_domain::dispute::DisputeError> for AppError {
    fn from(err: haven_domain::dispute::DisputeError) -> Self {
        dispute_error(err)
    }
}

impl App {
    /// How `actor` relates to the dispute's order; strangers get a 404.
    fn role_in(&self, actor: &Actor, order: &Order) -> AppResult<Role> {
        match actor.relation_to(order.buyer_id, order.store_id) {
            Some(super::accounts::Relation::Buyer) => Ok(Role::Buyer),
            Some(super::accounts::Relation::Seller) => Ok(Role::Seller),
            Some(super::accounts::Relation::Staff) => Ok(Role::Agent),
            None => Err(AppError::not_found("dispute")),
        }
    }

    /// The buyer opens a dispute on a shipped order inside its window.
    pub async fn open_dispute(
        &self,
        actor: &Actor,
        order_id: OrderId,
        request: OpenRequest,
        idem: Option<&Idem>,
    ) -> AppResult<Dispute> {
        let mut warnings = None;
        for _ in 0..MAX_RETRIES {
            let order = self.order(order_id).await?;
            match self.role_in(actor, &order) {
                Ok(Role::Buyer) => {}
                Ok(_) => return Err(AppError::forbidden("only the buyer can open a dispute")),
                Err(_) => return Err(AppError::not_found("order")),
            }
            let policy = self.policy(order.policy_version).await?;
            let mut dispute = Dispute::open(&order, request.clone(), &policy, self.now())?;
            if warnings.is_none() {
                let channel = Channel::Dispute(&dispute);
                let found = self
                    .screen_text(
                        actor,
                        Sender::Buyer,
                        Stage::InDispute,
                        channel,
                        &dispute.description,
                    )
                    .await?;
                warnings = Some(found);
            }
            dispute.description_warnings = warnings.clone().unwrap_or_default();
            match self
                .commit_opened(actor, &order, dispute, &policy, idem)
                .await
            {
                Err(err) if err.kind == ErrorKind::ConcurrentUpdate => continue,
                other => return other,
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "the order is busy; retry",
        ))
    }

    /// A withdrawn dispute is reopened as a new one while the window lasts.
    pub async fn reopen_dispute(
        &self,
        actor: &Actor,
        dispute_id: DisputeId,
        idem: Option<&Idem>,
    ) -> AppResult<Dispute> {
        for _ in 0..MAX_RETRIES {
            let previous = self.dispute(dispute_id).await?;
            let order = self.order(previous.order_id).await?;
            if self.role_in(actor, &order)? != Role::Buyer {
                return Err(AppError::forbidden("only the buyer can reopen a dispute"));
            }
            let policy = self.policy(order.policy_version).await?;
            let dispute = previous.reopen(&order, &policy, self.now())?;
            match self
                .commit_opened(actor, &order, dispute, &policy, idem)
                .await
            {
                Err(err) if err.kind == ErrorKind::ConcurrentUpdate => continue,
                other => return other,
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "the order is busy; retry",
        ))
    }

    async fn commit_opened(
        &self,
        actor: &Actor,
        order: &Order,
        dispute: Dispute,
        policy: &haven_domain::policy::Policy,
        idem: Option<&Idem>,
    ) -> AppResult<Dispute> {
        let by = ActorRef::user(Party::Buyer, actor);
        let now = self.now();
        let (mut changes, _) = self
            .order_changes(
                order,
                OrderEvent::DisputeOpened {
                    dispute_id: dispute.id,
                },
                by,
                now,
            )
            .await?;
        let scans = self.order_scans(order).await?;
        changes.merge(opened_dispute_changes(&dispute, by, &scans, now));
        changes
            .schedule
            .extend(
                dispute
                    .initial_deadlines(policy)
                    .into_iter()
                    .map(|t| haven_store::NewTimer {
                        order_id: order.id,
                        kind: t.kind,
                        due_at: t.due_at,
                    }),
            );
        let mut stored = dispute.clone();
        stored.version = 1;
        attach_idem(&mut changes, idem, crate::Resource::Dispute(stored.id), now);
        match self.store.commit(changes).await {
            Ok(()) => Ok(stored),
            Err(err) if is_race(&err) => Err(AppError::new(ErrorKind::ConcurrentUpdate, "retry")),
            Err(haven_store::StoreError::Conflict(haven_store::Conflict::DisputeAlreadyOpen)) => {
                Err(dispute_error(
                    haven_domain::dispute::DisputeError::AlreadyOpen,
                ))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// A person acts on a dispute; their role decides which actions exist.
    pub async fn dispute_action(
        &self,
        actor: &Actor,
        dispute_id: DisputeId,
        action: DisputeAction,
        idem: Option<&Idem>,
    ) -> AppResult<Dispute> {
        let dispute = self.dispute(dispute_id).await?;
        let order = self.order(dispute.order_id).await?;
        let role = self.role_in(actor, &order)?;
        let event = self.action_event(&dispute, &order, action).await?;
        let warnings = match (role, statement_of(&event)) {
            (Role::Seller, Some(text)) => {
                let channel = Channel::Dispute(&dispute);
                self.screen_text(actor, Sender::Seller, Stage::InDispute, channel, &text)
                    .await?
            }
            _ => Vec::new(),
        };
        let by = ActorRef::user(role.party(), actor);
        self.apply_dispute_event(dispute_id, event, by, idem, &warnings)
            .await
    }

    /// Checks that need the store (return tracking provenance) and the
    /// mapping from a person's action to the domain event.
    async fn action_event(
        &self,
        dispute: &Dispute,
        order: &Order,
        action: DisputeAction,
    ) -> AppResult<DisputeEvent> {
        Ok(match action {
            DisputeAction::Accept { return_address } => {
                DisputeEvent::SellerAccept { return_address }
            }
            DisputeAction::Counter {
                amount_minor,
                message,
            } => DisputeEvent::SellerCounter {
                amount_minor,
                message,
            },
            DisputeAction::Reject { explanation } => DisputeEvent::SellerReject { explanation },
            DisputeAction::AcceptCounter => DisputeEvent::BuyerAcceptCounter,
            DisputeAction::DeclineCounter => DisputeEvent::BuyerDeclineCounter,
            DisputeAction::Escalate => DisputeEvent::BuyerEscalate,
            DisputeAction::Withdraw { confirmed } => {
                if !confirmed && dispute.state.is_open() && !dispute.automatic {
                    return Err(self.withdraw_notice(order).await?);
                }
                DisputeEvent::BuyerWithdraw { confirmed }
            }
            DisputeAction::ShipReturn {
                carrier,
                tracking_number,
            } => {
                let carrier = Carrier::parse(&carrier)
                    .ok_or_else(|| AppError::invalid_field("carrier", "unknown carrier"))?;
                let number = tracking::normalize(&tracking_number);
                let facts = ProvenanceFacts {
                    order_id: order.id,
                    order_paid_at: self.now(),
                    owner: self.store.tracking_owner(carrier.as_str(), &number).await?,
                    first_scan_at: self
                        .store
                        .tracking_events(carrier.as_str(), &number)
                        .await?
                        .first()
                        .map(|e| e.occurred_at),
                };
                let same_as_outbound = order
                    .shipment
                    .as_ref()
                    .is_some_and(|s| s.tracking_number == number);
                if same_as_outbound {
                    return Err(AppError::validation(
                        "a return needs its own tracking number",
                    ));
                }
                tracking::check_provenance(carrier, &number, facts)
                    .map_err(|e| AppError::new(ErrorKind::TrackingRejected, e.to_string()))?;
                DisputeEvent::ReturnShipped {
                    carrier: carrier.as_str().into(),
                    tracking_number: number,
                }
            }
            DisputeAction::ConfirmReturn => DisputeEvent::SellerConfirmReturn,
            DisputeAction::ContestReturn { explanation } => {
                DisputeEvent::SellerContestReturn { explanation }
            }
            DisputeAction::Decide {
                decision,
                reasons,
                counterfeit_confirmed,
            } => DisputeEvent::AgentDecide {
                decision,
                reasons,
                counterfeit_confirmed,
            },
        })
    }

    /// What the buyer keeps if they withdraw: said before they do.
    async fn withdraw_notice(&self, order: &Order) -> AppResult<AppError> {
        let policy = self.policy(order.policy_version).await?;
        let remaining_s = order.protection_remaining_s(self.now()).unwrap_or(0);
        let until = self.now() + haven_domain::SignedDuration::from_secs(remaining_s);
        let _ = policy;
        Ok(AppError::new(ErrorKind::WithdrawConfirmationRequired, format!(
                "Withdrawing closes this dispute, nothing more. You keep your buyer protection: your payment stays in escrow, \
                 and you can reopen a dispute until {} (the window resumes with the time this dispute was open added back). \
                 Haven never asks you to close a dispute; if the seller did, that is a warning sign. Send confirm=true to withdraw.",
                until.strftime("%Y-%m-%d %H:%M UTC")
            ),
        )
        .with_details(crate::ErrorDetails {
            reopen_until: Some(until.to_string()),
            money_stays_in_escrow: Some(true),
            ..Default::default()
        }))
    }

    /// Apply one dispute event (a person's or a timer's) and whatever it
    /// does to the order, in one transaction.
    pub(crate) async fn apply_dispute_event(
        &self,
        dispute_id: DisputeId,
        event: DisputeEvent,
        by: ActorRef,
        idem: Option<&Idem>,
        warnings: &[String],
    ) -> AppResult<Dispute> {
        for _ in 0..MAX_RETRIES {
            let dispute = self.dispute(dispute_id).await?;
            let order = self.order(dispute.order_id).await?;
            let (changes, after, order_transition) = self
                .dispute_changes(&dispute, &order, event.clone(), by, idem, warnings)
                .await?;
            match self.store.commit(changes).await {
                Ok(()) => {
                    if let Some(transition) = &order_transition {
                        self.after_commit(transition).await;
                    }
                    if !after.state.is_open() {
                        // A lost dispute or a strike may change the store's standing.
                        self.reassess_quietly(order.store_id).await;
                    }
                    return Ok(after);
                }
                Err(err) if is_race(&err) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "the dispute is busy; retry",
        ))
    }

    pub(crate) async fn dispute_changes(
        &self,
        dispute: &Dispute,
        order: &Order,
        event: DisputeEvent,
        by: ActorRef,
        idem: Option<&Idem>,
        warnings: &[String],
    ) -> AppResult<(Changeset, Dispute, Option<haven_domain::order::Transition>)> {
        let now = self.now();
        let policy = self.policy(order.policy_version).await?;
        let decision_reasons = match &event {
            DisputeEvent::AgentDecide {
                reasons,
                decision,
                counterfeit_confirmed,
            } => Some(
                serde_json::json!({ "decision": decision, "reasons": reasons, "counterfeit_confirmed": counterfeit_confirmed }),
            ),
            _ => None,
        };
        let statement = statement_of(&event);
        let mut dt = dispute.apply(event, by.party, OrderFacts::of(order), &policy, now)?;
        if statement.is_some() {
            // The scanner's findings on the seller's text, for the buyer.
            dt.dispute.seller_response_warnings = warnings.to_vec();
        }
        let mut changes = dispute_record_changes(dispute, &dt.dispute, &dt.effects.events, by, now);
        let mut log = self.log_for(dispute.id).await?;
        if let Some(text) = statement {
            log.push(
                by,
                EvidenceKind::Message,
                serde_json::json!({ "text": text, "categories": warnings }),
                now,
            );
        }
        log.push(by, EvidenceKind::StateChange, dt.effects.log.clone(), now);
        if let Some(body) = decision_reasons {
            log.push(by, EvidenceKind::Decision, body, now);
        }
        changes.evidence.extend(log.entries);
        changes
            .schedule
            .extend(dt.effects.schedule.iter().map(|t| haven_store::NewTimer {
                order_id: order.id,
                kind: t.kind,
                due_at: t.due_at,
            }));
        changes
            .unschedule
            .extend(dt.effects.unschedule.iter().map(|k| (order.id, *k)));
        if let Some(reason) = &dt.effects.strike {
            changes.strikes.push(Strike {
                id: haven_domain::ids::StrikeId::new(),
                store_id: order.store_id,
                order_id: Some(order.id),
                dispute_id: Some(dispute.id),
                reason: reason.clone(),
                at: now,
            });
        }
        if let Some(claim) = &dt
            .dispute
            .return_shipment
            .as_ref()
            .filter(|_| dispute.return_shipment.is_none())
        {
            changes.tracking_claims.push((
                claim.carrier.clone(),
                claim.tracking_number.clone(),
                order.id,
            ));
        }
        let order_event = match (dt.effects.settle_refund_minor, dt.effects.resume_order) {
            (Some(refund_minor), _) => Some(OrderEvent::Settle {
                refund_minor,
                reason: haven_domain::order::CloseReason::after_dispute(dt.dispute.state),
            }),
            (None, true) => Some(OrderEvent::DisputeEnded),
            (None, false) => None,
        };
        let order_transition = match order_event {
            Some(event) => {
                let (order_changes, transition) = self.order_changes(order, event, by, now).await?;
                changes.merge(order_changes);
                Some(transition)
            }
            None => None,
        };
        let mut stored = dt.dispute.clone();
        stored.version = dispute.version + 1;
        attach_idem(&mut changes, idem, crate::Resource::Dispute(stored.id), now);
        Ok((changes, stored, order_transition))
    }

    /// A dispute as a party or an agent may see it, with its log.
    pub async fn dispute_detail(
        &self,
        actor: &Actor,
        dispute_id: DisputeId,
    ) -> AppResult<DisputeDetail> {
        let dispute = self.dispute(dispute_id).await?;
        let order = self.order(dispute.order_id).await?;
        let role = self.role_in(actor, &order)?;
        let evidence = self.store.evidence(dispute_id).await?;
        Ok(DisputeDetail {
            dispute,
            order,
            evidence,
            role,
        })
    }

    /// A written statement added to the log by a party or an agent.
    pub async fn add_dispute_message(
        &self,
        actor: &Actor,
        dispute_id: DisputeId,
        text: &str,
    ) -> AppResult<EvidenceEntry> {
        let text = haven_domain::text::block("text", text, MAX_MESSAGE_CHARS)?;
        let categories = self.screen_for_log(actor, dispute_id, &text).await?;
        self.append_evidence(
            actor,
            dispute_id,
            EvidenceKind::Message,
            serde_json::json!({ "text": text, "categories": categories }),
            None,
        )
        .await
    }

    /// A party's words for the log go through the scanner first; an
    /// agent's do not.
    async fn screen_for_log(
        &self,
        actor: &Actor,
        dispute_id: DisputeId,
        text: &str,
    ) -> AppResult<Vec<String>> {
        let dispute = self.dispute(dispute_id).await?;
        let order = self.order(dispute.order_id).await?;
        let sender = match self.role_in(actor, &order)? {
            Role::Buyer => Sender::Buyer,
            Role::Seller => Sender::Seller,
            Role::Agent => return Ok(Vec::new()),
        };
        let channel = Channel::Dispute(&dispute);
        self.screen_text(actor, sender, Stage::InDispute, channel, text)
            .await
    }

    /// An image or video, checked by content, stored by hash, logged.
    /// The dispute and its file count are checked before any byte is
    /// stored; a streamed upload is never held whole.
    pub async fn add_dispute_file(
        &self,
        actor: &Actor,
        dispute_id: DisputeId,
        upload: Upload,
        note: &str,
    ) -> AppResult<EvidenceEntry> {
        let note = haven_domain::text::optional_line("note", note, 500)?;
        let note_categories = self.screen_for_log(actor, dispute_id, &note).await?;
        let note = note.as_str();
        let detail = self.dispute_detail(actor, dispute_id).await?;
        let files = detail
            .evidence
            .iter()
            .filter(|e| e.kind == EvidenceKind::File)
            .count();
        if files >= MAX_FILES_PER_DISPUTE {
            return Err(AppError::conflict(
                ErrorKind::TooManyFiles,
                format!("a dispute holds at most {MAX_FILES_PER_DISPUTE} files"),
            ));
        }
        let stored = self.blobs.accept(upload).await?;
        let file = EvidenceFile {
            hash: stored.hash.clone(),
            content_type: stored.content_type.into(),
            size_bytes: stored.size_bytes,
            created_at: self.now(),
        };
        let body = serde_json::json!({ "sha256": stored.hash, "content_type": stored.content_type, "size_bytes": stored.size_bytes, "note": note.trim(), "categories": note_categories });
        self.append_evidence(actor, dispute_id, EvidenceKind::File, body, Some(file))
            .await
    }

    async fn append_evidence(
        &self,
        actor: &Actor,
        dispute_id: DisputeId,
        kind: EvidenceKind,
        body: serde_json::Value,
        file: Option<EvidenceFile>,
    ) -> AppResult<EvidenceEntry> {
        for _ in 0..MAX_RETRIES {
            let detail = self.dispute_detail(actor, dispute_id).await?;
            if !detail.dispute.state.is_open() {
                return Err(AppError::conflict(
                    ErrorKind::InvalidState,
                    "this dispute is closed; its log is final",
                ));
            }
            let mut log = self.log_for(dispute_id).await?;
            if log.len() >= i64::from(haven_store::MAX_EVIDENCE_ENTRIES) {
                return Err(AppError::conflict(
                    ErrorKind::LogFull,
                    "this dispute's evidence log is full",
                ));
            }
            log.push(
                ActorRef::user(detail.role.party(), actor),
                kind,
                body.clone(),
                self.now(),
            );
            let entry = log.entries[0].clone();
            let changes = Changeset {
                evidence: log.entries,
                evidence_files: file.clone().into_iter().collect(),
                ..Default::default()
            };
            match self.store.commit(changes).await {
                Ok(()) => return Ok(entry),
                Err(err) if is_race(&err) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "the dispute is busy; retry",
        ))
    }

    /// A file from a dispute's log, for the parties and agents only.
    pub async fn dispute_file(
        &self,
        actor: &Actor,
        dispute_id: DisputeId,
        hash: &str,
    ) -> AppResult<(EvidenceFile, Vec<u8>)> {
        let detail = self.dispute_detail(actor, dispute_id).await?;
        let listed = detail
            .evidence
            .iter()
            .any(|e| e.kind == EvidenceKind::File && e.body["sha256"] == hash);
        if !listed {
            return Err(AppError::not_found("file"));
        }
        let file = self
            .store
            .evidence_file(hash)
            .await?
            .ok_or_else(|| AppError::not_found("file"))?;
        let bytes = self.blobs.get(hash).await?;
        Ok((file, bytes))
    }

    /// The chargeback evidence bundle for an order: every dispute's chained
    /// log with its files, the tracking scans and the audit trail.
    pub async fn order_evidence_bundle(&self, order: &Order) -> AppResult<EvidenceBundle> {
        let policy = self.policy(order.policy_version).await?;
        let mut disputes = Vec::new();
        for dispute in self.store.disputes_for_order(order.id).await? {
            let evidence = self.store.evidence(dispute.id).await?;
            let mut files = Vec::new();
            for entry in evidence.iter().filter(|e| e.kind == EvidenceKind::File) {
                let hash = entry.body["sha256"].as_str().unwrap_or_default();
                let content_type = entry.body["content_type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                let bytes = self.blobs.get(hash).await?;
                files.push(BundleFile {
                    sha256: hash.to_string(),
                    content_type,
                    base64: base64::engine::general_purpose::STANDARD.encode(bytes),
                });
            }
            disputes.push(BundleDispute {
                dispute,
                evidence,
                files,
            });
        }
        Ok(EvidenceBundle {
            format: "haven.evidence-bundle.v2",
            generated_at: self.now().to_string(),
            protection_certificate: self.certificate_of(order).ok(),
            order: order.clone(),
            policy: (*policy).clone(),
            disputes,
            tracking: self.order_scans(order).await?,
            audit: self.store.audit_for_order(order.id).await?,
        })
    }

    pub async fn dispute_bundle(
        &self,
        actor: &Actor,
        dispute_id: DisputeId,
    ) -> AppResult<EvidenceBundle> {
        let detail = self.dispute_detail(actor, dispute_id).await?;
        self.order_evidence_bundle(&detail.order).await
    }

    /// The case queue is for agents and admins only.
    pub fn require_agent(&self, actor: &Actor) -> AppResult<()> {
        if actor.user.has_role(UserRole::Agent) || actor.user.has_role(UserRole::Admin) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "the case queue is for trust-and-safety agents",
            ))
        }
    }

    /// Disputes waiting on an agent (escalated ones), the buyer's own state
    /// names apart; used by the timers and the console.
    pub fn is_waiting_on_agent(dispute: &Dispute) -> bool {
        dispute.state == DisputeState::Escalated
    }
}

/// A party's written words carried by an event, logged as a message.
fn statement_of(event: &DisputeEvent) -> Option<String> {
    match event {
        DisputeEvent::SellerCounter { message, .. } if !message.trim().is_empty() => {
            Some(message.clone())
        }
        DisputeEvent::SellerReject { explanation }
        | DisputeEvent::SellerContestReturn { explanation } => Some(explanation.clone()),
        _ => None,
    }
}
