//! Side effects outside the database: emails, payment-gateway calls and
//! webhook deliveries.
//!
//! A command is a row written in the same transaction as the change that
//! needs it (a refund with its ledger entry, a reset email with its token),
//! so it can never be lost or sent for a change that did not happen. One
//! dispatcher at a time leases a batch of due commands (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL), carries each out, and records the result under
//! the same lease: done, retry later (exponential backoff), or, after
//! [`MAX_ATTEMPTS`], dead-lettered for an agent with the last error. A
//! dispatcher that dies mid-batch leaves leases that expire, and the next
//! one takes over; every gateway call carries the command's own key, so a
//! call repeated after such a crash is answered, not carried out, again.
//!
//! Requests and timers never wait on the gateway or the mail server: they
//! only queue, and signal the worker.

use haven_domain::money::{Currency, Money};
use haven_domain::{SignedDuration, Timestamp};
use haven_store::{Command, CommandState, CommandUpdate, NewCommand};
use serde::{Deserialize, Serialize};

use crate::App;

pub const EMAIL: &str = "email";
pub const GATEWAY_REFUND: &str = "gateway.refund";
pub const GATEWAY_VOID: &str = "gateway.void";
/// Finish a checkout: make the order agree with what the gateway did under
/// the checkout's key (see `checkout.rs`).
pub const GATEWAY_CAPTURE: &str = "gateway.capture";
/// Answer a chargeback with the order's evidence bundle.
pub const CHARGEBACK_EVIDENCE: &str = "gateway.chargeback_evidence";

/// Attempts before a command is dead-lettered (about 3 hours of retries).
pub const MAX_ATTEMPTS: i32 = 10;
/// Commands leased per round, and how long a lease lasts.
const BATCH: u32 = 64;
const LEASE_S: i64 = 60;
const BACKOFF_BASE_S: i64 = 10;
const BACKOFF_MAX_S: i64 = 3_600;

/// How long to wait before attempt `attempts + 1`: 10 s, 20 s, 40 s … up
/// to an hour.
pub fn backoff(attempts: i32) -> SignedDuration {
    let exponent = attempts.clamp(1, 20) - 1;
    let seconds = BACKOFF_BASE_S.saturating_mul(1_i64 << exponent);
    SignedDuration::from_secs(seconds.min(BACKOFF_MAX_S))
}

/// A card refund the gateway still has to carry out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    pub payment_ref: String,
    pub amount_minor: i64,
    pub currency: String,
    /// The ledger entry's idempotency key: the gateway refunds once per key.
    pub key: String,
}

/// An authorisation the gateway should release (an abandoned challenge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidRequest {
    pub payment_ref: String,
}

pub fn refund_command(
    request: &RefundRequest,
    order: Option<haven_domain::ids::OrderId>,
    now: Timestamp,
) -> NewCommand {
    NewCommand::new(
        GATEWAY_REFUND,
        format!("refund:{}", request.key),
        serde_json::to_value(request).expect("refund requests serialise"),
        order,
        now,
    )
}

pub fn void_command(
    request: &VoidRequest,
    order: haven_domain::ids::OrderId,
    now: Timestamp,
) -> NewCommand {
    NewCommand::new(
        GATEWAY_VOID,
        format!("void:{}", request.payment_ref),
        serde_json::to_value(request).expect("void requests serialise"),
        Some(order),
        now,
    )
}

pub fn capture_command(request: &crate::checkout::CaptureRequest, now: Timestamp) -> NewCommand {
    NewCommand::new(
        GATEWAY_CAPTURE,
        format!("capture:{}", request.order_id),
        serde_json::to_value(request).expect("capture requests serialise"),
        Some(request.order_id),
        now,
    )
}

/// A chargeback's evidence submission, once per chargeback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRequest {
    pub order_id: haven_domain::ids::OrderId,
    pub payment_ref: String,
}

pub fn evidence_command(request: &EvidenceRequest, now: Timestamp) -> NewCommand {
    NewCommand::new(
        CHARGEBACK_EVIDENCE,
        format!("chargeback-evidence:{}", request.order_id),
        serde_json::to_value(request).expect("evidence requests serialise"),
        Some(request.order_id),
        now,
    )
}

/// What carrying out a command came to.
enum Outcome {
    Done,
    /// Not yet (a checkout still waiting for its card challenge): look
    /// again then. Counts as an attempt.
    Later(Timestamp, &'static str),
}

/// What is kept of a finished command: an email loses its body (its links
/// may still be live), keeping who it went to and why.
fn redacted(command: &Command) -> Option<serde_json::Value> {
    (command.kind == EMAIL).then(|| {
        serde_json::json!({
            "to": command.payload["to"],
            "subject": command.payload["subject"],
            "body": "",
        })
    })
}

/// What one dispatch round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub done: u32,
    pub retrying: u32,
    pub dead: u32,
}

impl App {
    /// Carry out every command due at `now`, one leased batch after another.
    pub async fn dispatch_commands(&self, now: Timestamp) -> DispatchReport {
        let mut report = DispatchReport::default();
        loop {
            let lease_until = now + SignedDuration::from_secs(LEASE_S);
            let batch = match self.store.claim_commands(now, lease_until, BATCH).await {
                Ok(batch) => batch,
                Err(err) => {
                    tracing::warn!(error = %err, "claiming commands failed");
                    return report;
                }
            };
            if batch.is_empty() {
                return report;
            }
            for command in batch {
                self.run_command(&command, now, &mut report).await;
            }
        }
    }

    async fn run_command(&self, command: &Command, now: Timestamp, report: &mut DispatchReport) {
        let outcome = self.carry_out(command).await;
        let update = match outcome {
            Ok(Outcome::Later(at, why)) => CommandUpdate::RetryAt {
                id: command.id,
                lease_until: command.lease_until,
                next_attempt_at: at,
                error: why.to_string(),
            },
            Ok(Outcome::Done) => {
                report.done += 1;
                CommandUpdate::Finished {
                    id: command.id,
                    lease_until: command.lease_until,
                    state: CommandState::Done,
                    at: now,
                    error: String::new(),
                    redacted_payload: redacted(command),
                }
            }
            Err(error) if command.attempts >= MAX_ATTEMPTS => {
                tracing::error!(command = %command.id, kind = %command.kind, %error, "command dead-lettered");
                report.dead += 1;
                CommandUpdate::Finished {
                    id: command.id,
                    lease_until: command.lease_until,
                    state: CommandState::Dead,
                    at: now,
                    error,
                    redacted_payload: redacted(command),
                }
            }
            Err(error) => {
                tracing::warn!(command = %command.id, kind = %command.kind, %error, "command failed; will retry");
                report.retrying += 1;
                CommandUpdate::RetryAt {
                    id: command.id,
                    lease_until: command.lease_until,
                    next_attempt_at: now + backoff(command.attempts),
                    error,
                }
            }
        };
        let changes = haven_store::Changeset {
            command_updates: vec![update],
            ..Default::default()
        };
        match self.store.commit(changes).await {
            Ok(()) => {}
            // Settled by the handler's own transaction (a capture), or
            // cancelled meanwhile: nothing left to record.
            Err(haven_store::StoreError::Conflict(haven_store::Conflict::CommandGone)) => {
                tracing::debug!(command = %command.id, "command already finished");
            }
            Err(err) => {
                tracing::warn!(command = %command.id, error = %err, "recording a command's outcome failed");
            }
        }
    }

    async fn carry_out(&self, command: &Command) -> Result<Outcome, String> {
        match command.kind.as_str() {
            GATEWAY_CAPTURE => self.finish_capture_command(command).await,
            other => self
                .carry_out_call(other, command)
                .await
                .map(|()| Outcome::Done),
        }
    }

    async fn finish_capture_command(&self, command: &Command) -> Result<Outcome, String> {
        let request: crate::checkout::CaptureRequest =
            serde_json::from_value(command.payload.clone())
                .map_err(|e| format!("unreadable capture: {e}"))?;
        match self
            .finish_capture(&request, command.id, crate::checkout::Finisher::Dispatcher)
            .await
        {
            Ok(crate::checkout::Progress::Finished) => Ok(Outcome::Done),
            Ok(crate::checkout::Progress::LookAgainAt(at)) => Ok(Outcome::Later(
                at,
                "waiting for the buyer's card verification",
            )),
            Err(err) => Err(err.message),
        }
    }

    async fn carry_out_call(&self, kind: &str, command: &Command) -> Result<(), String> {
        match kind {
            EMAIL => {
                let email: crate::mail::Email = serde_json::from_value(command.payload.clone())
                    .map_err(|e| format!("unreadable email: {e}"))?;
                self.send_email(&email).await
            }
            CHARGEBACK_EVIDENCE => {
                let request: EvidenceRequest = serde_json::from_value(command.payload.clone())
                    .map_err(|e| format!("unreadable evidence request: {e}"))?;
                self.submit_chargeback_evidence(&request).await
            }
            GATEWAY_REFUND => {
                let request: RefundRequest = serde_json::from_value(command.payload.clone())
                    .map_err(|e| format!("unreadable refund: {e}"))?;
                let currency = Currency::parse(&request.currency).map_err(|e| e.to_string())?;
                self.gateway
                    .refund(
                        &request.payment_ref,
                        Money::new(request.amount_minor, currency),
                        &request.key,
                    )
                    .await
                    .map_err(|e| e.to_string())
            }
            GATEWAY_VOID => {
                let request: VoidRequest = serde_json::from_value(command.payload.clone())
                    .map_err(|e| format!("unreadable void: {e}"))?;
                match self.gateway.void(&request.payment_ref).await {
                    // Captured after all (the buyer finished at the last
                    // moment): the capture command refunds it.
                    Ok(()) | Err(crate::payments::GatewayError::AlreadyCaptured) => Ok(()),
                    Err(err) => Err(err.to_string()),
                }
            }
            crate::webhooks::WEBHOOK_DELIVER => self.deliver_webhook(command).await,
            crate::payouts::PAYOUT_SEND => self.send_payout(command).await,
            crate::notify::MESSAGE_DIGEST => self.send_message_digest(command).await,
            other => Err(format!("no handler for command kind {other}")),
        }
    }
}

impl App {
    /// The dead-letter queue, newest first: commands that gave up, and
    /// reconciliation findings, for an agent.
    pub async fn dead_letters(
        &self,
        agent: &crate::Actor,
        page: &haven_store::PageRequest,
    ) -> crate::AppResult<haven_store::Page<Command>> {
        self.require_agent(agent)?;
        Ok(self.store.dead_commands(page).await?)
    }

    /// Send a dead-lettered command again, from its first attempt.
    pub async fn retry_dead_letter(
        &self,
        agent: &crate::Actor,
        id: uuid::Uuid,
    ) -> crate::AppResult<Command> {
        let command = self.dead_letter(agent, id).await?;
        if command.kind == crate::reconcile::MISSING_CAPTURE {
            return Err(crate::AppError::invalid_state(
                "this is a finding, not a call: dismiss it once the order is put right",
            ));
        }
        let now = self.now();
        let update = CommandUpdate::Revived { id, at: now };
        self.record_agent_action(agent, &command, update, "dead_letter_retried", "")
            .await?;
        self.commands_ready.notify_one();
        self.reload_command(id).await
    }

    /// Close a dead-lettered command without sending it, with a note.
    pub async fn dismiss_dead_letter(
        &self,
        agent: &crate::Actor,
        id: uuid::Uuid,
        note: &str,
    ) -> crate::AppResult<Command> {
        let note = haven_domain::text::line("note", note, 500)?;
        let command = self.dead_letter(agent, id).await?;
        let update = CommandUpdate::Dismissed {
            id,
            at: self.now(),
            note: format!("dismissed: {note}"),
        };
        self.record_agent_action(agent, &command, update, "dead_letter_dismissed", &note)
            .await?;
        self.reload_command(id).await
    }

    async fn dead_letter(&self, agent: &crate::Actor, id: uuid::Uuid) -> crate::AppResult<Command> {
        self.require_agent(agent)?;
        let command = self.reload_command(id).await?;
        if command.state != CommandState::Dead {
            return Err(crate::AppError::invalid_state(format!(
                "only a dead-lettered command can be retried or dismissed; this one is {}",
                command.state.as_str()
            )));
        }
        Ok(command)
    }

    async fn reload_command(&self, id: uuid::Uuid) -> crate::AppResult<Command> {
        self.store
            .command(id)
            .await?
            .ok_or_else(|| crate::AppError::not_found("command"))
    }

    /// The update, and its audit record (on the command's order, if any),
    /// together.
    async fn record_agent_action(
        &self,
        agent: &crate::Actor,
        command: &Command,
        update: CommandUpdate,
        action: &str,
        note: &str,
    ) -> crate::AppResult<()> {
        let mut changes = haven_store::Changeset {
            command_updates: vec![update],
            ..Default::default()
        };
        changes.audit.push(self.staff_audit(
            agent,
            crate::audit::StaffAction {
                subject: "command",
                subject_id: command.id,
                order_id: command.order_id,
                action,
                from_state: command.state.as_str(),
                to_state: "",
                reason: note,
            },
        ));
        match self.store.commit(changes).await {
            Ok(()) => Ok(()),
            Err(haven_store::StoreError::Conflict(haven_store::Conflict::CommandGone)) => Err(
                crate::AppError::invalid_state("another agent handled this command first"),
            ),
            Err(err) => Err(err.into()),
        }
    }
}

/// Every kind a command may have.
pub const KINDS: &[&str] = &[
    EMAIL,
    GATEWAY_REFUND,
    GATEWAY_VOID,
    GATEWAY_CAPTURE,
    CHARGEBACK_EVIDENCE,
    crate::reconcile::MISSING_CAPTURE,
    crate::webhooks::WEBHOOK_DELIVER,
    crate::payouts::PAYOUT_SEND,
    crate::notify::MESSAGE_DIGEST,
];

/// What `haven verify` found in the command table.
#[derive(Debug, Default)]
pub struct CommandAudit {
    pub checked: u64,
    pub violations: Vec<String>,
}

/// Check the command table: every command is pending, done, dead-lettered
/// or cancelled, with a finish time exactly when it is finished; and, with
/// the gateway's books at hand, no refund was sent twice, every refund
/// carried out was a command that finished, and no cancelled or
/// dead-lettered refund reached the card.
pub async fn verify_commands(
    store: &dyn haven_store::Store,
    gateway: Option<&dyn crate::payments::PaymentGateway>,
) -> anyhow::Result<CommandAudit> {
    let mut audit = CommandAudit::default();
    let mut refunds: std::collections::HashMap<String, (CommandState, RefundRequest)> =
        std::collections::HashMap::new();
    let mut after = None;
    loop {
        let page = store.scan_commands(after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for command in &page {
            audit.checked += 1;
            check_command(command, &mut audit.violations);
            if command.kind == GATEWAY_REFUND {
                match serde_json::from_value::<RefundRequest>(command.payload.clone()) {
                    Ok(request) => {
                        refunds.insert(request.key.clone(), (command.state, request));
                    }
                    Err(err) => audit
                        .violations
                        .push(format!("command {}: unreadable refund: {err}", command.id)),
                }
            }
        }
    }
    if let Some(gateway) = gateway {
        check_refunds_at_gateway(gateway, &refunds, &mut audit.violations).await?;
    }
    Ok(audit)
}

fn check_command(command: &Command, violations: &mut Vec<String>) {
    if !KINDS.contains(&command.kind.as_str()) {
        violations.push(format!(
            "command {}: unknown kind {}",
            command.id, command.kind
        ));
    }
    let finished = command.state != CommandState::Pending;
    if finished != command.done_at.is_some() {
        violations.push(format!(
            "command {}: state {} but finish time {:?}",
            command.id,
            command.state.as_str(),
            command.done_at
        ));
    }
}

/// Compare the gateway's refunds with the refund commands.
async fn check_refunds_at_gateway(
    gateway: &dyn crate::payments::PaymentGateway,
    commands: &std::collections::HashMap<String, (CommandState, RefundRequest)>,
    violations: &mut Vec<String>,
) -> anyhow::Result<()> {
    let mut carried_out = std::collections::HashSet::new();
    let mut cursor = None;
    loop {
        let page = gateway
            .captures(Timestamp::UNIX_EPOCH, cursor.take(), 500)
            .await
            .map_err(|e| anyhow::anyhow!(e))?;
        for payment in &page.items {
            for refund in &payment.refunds {
                carried_out.insert(refund.key.clone());
                if refund.requests > 1 {
                    violations.push(format!(
                        "refund {} was sent {} times",
                        refund.key, refund.requests
                    ));
                }
                match commands.get(&refund.key) {
                    None => violations.push(format!(
                        "refund {} of payment {} has no command",
                        refund.key, payment.payment_ref
                    )),
                    Some((state, request)) => {
                        if matches!(state, CommandState::Cancelled | CommandState::Dead) {
                            violations.push(format!(
                                "refund {} reached the card but its command is {}",
                                refund.key,
                                state.as_str()
                            ));
                        }
                        if request.amount_minor != refund.amount_minor {
                            violations.push(format!(
                                "refund {} moved {} but its command asked for {}",
                                refund.key, refund.amount_minor, request.amount_minor
                            ));
                        }
                    }
                }
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    for (key, (state, _)) in commands {
        if *state == CommandState::Done && !carried_out.contains(key) {
            violations.push(format!(
                "refund {key} is done but the gateway never made it"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds_up_to_an_hour() {
        assert_eq!(backoff(1), SignedDuration::from_secs(10));
        assert_eq!(backoff(2), SignedDuration::from_secs(20));
        assert_eq!(backoff(5), SignedDuration::from_secs(160));
        assert_eq!(backoff(10), SignedDuration::from_secs(3_600));
        assert_eq!(backoff(40), SignedDuration::from_secs(3_600));
    }
}
