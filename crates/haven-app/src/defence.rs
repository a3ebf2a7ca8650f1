//! Login defence, with its counts in the store so it holds across restarts
//! and across every server on one PostgreSQL. The decisions are the pure
//! functions in `guard.rs`; this is their IO.
//!
//! Every count is taken after the event is recorded, so parallel attempts
//! each see the others: a hundred simultaneous guesses cannot all pass as
//! the first.

use haven_domain::messaging::SecurityFlag;
use haven_domain::{SignedDuration, Timestamp};
use haven_store::{Changeset, NewOutboxEvent, ThrottleEvent};

use crate::guard::{self, Refusal};
use crate::{App, AppResult};

fn event(scope: &str, subject: &str, detail: &str, at: Timestamp) -> ThrottleEvent {
    ThrottleEvent {
        scope: scope.into(),
        subject: subject.into(),
        detail: detail.into(),
        at,
    }
}

impl App {
    async fn record(&self, event: ThrottleEvent) -> AppResult<()> {
        self.store
            .commit(Changeset {
                throttle_events: vec![event],
                ..Default::default()
            })
            .await?;
        Ok(())
    }

    /// Count an attempt from `ip` and say whether it may go on.
    pub(crate) async fn check_address(
        &self,
        ip: &str,
        now: Timestamp,
    ) -> AppResult<Result<(), Refusal>> {
        self.record(event(guard::SCOPE_IP_ATTEMPT, ip, "", now))
            .await?;
        let attempts = self
            .store
            .throttle_count(guard::SCOPE_IP_ATTEMPT, ip, guard::window_start(now))
            .await?;
        let blocked = self
            .store
            .throttle_block(guard::SCOPE_IP_ATTEMPT, ip)
            .await?;
        Ok(guard::address_verdict(attempts.events, blocked, now))
    }

    /// A failed password from `ip` on `email_key`. An address that has now
    /// failed on many accounts is blocked (and, the first time, flagged for
    /// the console); the block's end is returned.
    pub(crate) async fn address_failed(
        &self,
        ip: &str,
        email_key: &str,
        now: Timestamp,
    ) -> AppResult<Option<Timestamp>> {
        self.record(event(guard::SCOPE_IP_FAILURE, ip, email_key, now))
            .await?;
        let failures = self
            .store
            .throttle_count(guard::SCOPE_IP_FAILURE, ip, guard::window_start(now))
            .await?;
        let Some(until) = guard::stuffing_block(failures.distinct_details, now) else {
            return Ok(None);
        };
        let already = self
            .store
            .throttle_block(guard::SCOPE_IP_ATTEMPT, ip)
            .await?
            .is_some_and(|u| u > now);
        let mut changes = Changeset {
            throttle_blocks: vec![(guard::SCOPE_IP_ATTEMPT.into(), ip.into(), until)],
            ..Default::default()
        };
        if !already {
            flag_stuffing(&mut changes, ip, failures.distinct_details, now);
        }
        self.store.commit(changes).await?;
        Ok(Some(until))
    }

    /// A failure on an email with no account; its lock, if it now has one.
    pub(crate) async fn unknown_email_failed(
        &self,
        email_key: &str,
        now: Timestamp,
    ) -> AppResult<Option<Timestamp>> {
        self.record(event(guard::SCOPE_EMAIL_FAILURE, email_key, "", now))
            .await?;
        self.unknown_email_locked_until(email_key, now).await
    }

    /// The lock an email with no account has earned, if it still holds.
    pub(crate) async fn unknown_email_locked_until(
        &self,
        email_key: &str,
        now: Timestamp,
    ) -> AppResult<Option<Timestamp>> {
        let since = now - SignedDuration::from_mins(guard::UNKNOWN_EMAIL_WINDOW_MIN);
        let failures = self
            .store
            .throttle_count(guard::SCOPE_EMAIL_FAILURE, email_key, since)
            .await?;
        Ok(guard::unknown_email_lock(failures.events, failures.last_at).filter(|u| *u > now))
    }

    /// May another reset email go to `email` now? Counted for every address,
    /// with or without an account, so the answer reveals nothing.
    pub(crate) async fn reset_allowed(&self, email: &str, now: Timestamp) -> AppResult<bool> {
        let sent = self
            .store
            .throttle_count(
                guard::SCOPE_RESET,
                email,
                now - SignedDuration::from_hours(1),
            )
            .await?;
        if !guard::reset_allowed(sent.events) {
            return Ok(false);
        }
        self.record(event(guard::SCOPE_RESET, email, "", now))
            .await?;
        Ok(true)
    }

    /// Drop counted events and blocks that no window looks at any more.
    pub async fn purge_login_defence(&self, now: Timestamp) -> AppResult<()> {
        let before = now - SignedDuration::from_mins(guard::RETENTION_MIN);
        self.store
            .commit(Changeset {
                purge_throttle_before: Some(before),
                ..Default::default()
            })
            .await?;
        Ok(())
    }

    /// Retention: idempotency records older than
    /// `idempotency_retention_hours` (a retry after that is a new request),
    /// published events older than `event_retention_days`, payment risk
    /// attempts older than `risk_attempt_retention_days` and emails sent
    /// more than `email_retention_days` ago, a bounded batch per call.
    pub async fn purge_expired(&self, now: Timestamp) -> AppResult<()> {
        let hours = |h: i64| SignedDuration::from_hours(h.max(1));
        let purge = |age: SignedDuration| haven_store::Purge {
            before: now - age,
            limit: PURGE_BATCH,
        };
        self.store
            .commit(Changeset {
                purge_idempotency: Some(purge(hours(self.config.idempotency_retention_hours))),
                purge_events: Some(purge(hours(24 * self.config.event_retention_days))),
                purge_risk_attempts: Some(purge(hours(
                    24 * self.config.risk_attempt_retention_days.max(31),
                ))),
                purge_sent_emails: Some(purge(hours(24 * self.config.email_retention_days))),
                ..Default::default()
            })
            .await?;
        Ok(())
    }
}

/// Rows each retention round deletes at most, per table.
const PURGE_BATCH: u32 = 10_000;

/// The console gets a flag, and the events feed an event, for an address
/// caught stuffing credentials.
fn flag_stuffing(changes: &mut Changeset, ip: &str, distinct: i64, now: Timestamp) {
    changes.security_flags.push(SecurityFlag {
        id: haven_domain::ids::FlagId::new(),
        kind: "credential_stuffing".into(),
        subject: ip.to_string(),
        detail: format!(
            "failed logins on {distinct} different accounts from this address within {} minutes",
            guard::WINDOW_MIN
        ),
        created_at: now,
    });
    changes.outbox.push(NewOutboxEvent {
        topic: haven_domain::events::EventType::SecurityCredentialStuffing.to_string(),
        payload: serde_json::json!({ "ip": ip, "accounts_tried": distinct }),
        created_at: now,
    });
}
