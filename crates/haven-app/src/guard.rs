//! Login defence: per-address rate limits, the credential-stuffing pattern
//! (one address failing on many accounts), lockouts for emails that have no
//! account (so a locked and a non-existent account answer alike), and the
//! limit on reset emails per address.
//!
//! The counts live in the store (`throttle_events`, `throttle_blocks`), so
//! the defence holds across restarts and across every server sharing one
//! PostgreSQL. This module is the pure part: given the counts, what to do.
//! Per-account lockout for real accounts is on the user record.

use haven_domain::{SignedDuration, Timestamp};

/// Attempts one address may make in the window before it must wait.
/// Generous: an office or a mobile carrier puts many honest people behind
/// one address.
pub const MAX_ATTEMPTS_PER_IP: i64 = 100;
/// Distinct accounts one address may fail on in the window before it is
/// blocked and flagged.
pub const STUFFING_DISTINCT_EMAILS: i64 = 10;
/// Failures on one email before it is locked (doubling each time after).
pub const LOCK_AFTER_FAILURES: u32 = 5;
/// Password-reset emails one address may be sent per hour: enough for a
/// lost email, too few to flood an inbox.
pub const MAX_RESETS_PER_HOUR: i64 = 3;
pub const WINDOW_MIN: i64 = 10;
const IP_BLOCK_MIN: i64 = 15;
const STUFFING_BLOCK_MIN: i64 = 30;
/// Failures on an unknown email are counted over this long.
pub const UNKNOWN_EMAIL_WINDOW_MIN: i64 = 60;
/// How long counted events are kept (the longest window above).
pub const RETENTION_MIN: i64 = 60;

/// Throttle scopes (the `scope` column).
pub const SCOPE_IP_ATTEMPT: &str = "login_ip";
pub const SCOPE_IP_FAILURE: &str = "login_ip_failure";
pub const SCOPE_EMAIL_FAILURE: &str = "login_email_failure";
pub const SCOPE_RESET: &str = "password_reset";

/// Why a login attempt is refused before its password is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Too many attempts, or a blocked address: wait until then.
    SlowDown { until: Timestamp },
}

/// How long a lock lasts after `failures` failed attempts.
pub fn lock_duration(failures: u32) -> Option<SignedDuration> {
    if failures < LOCK_AFTER_FAILURES {
        return None;
    }
    let minutes = 1_i64 << (failures - LOCK_AFTER_FAILURES).min(6);
    Some(SignedDuration::from_mins(minutes.min(60)))
}

pub fn window_start(now: Timestamp) -> Timestamp {
    now - SignedDuration::from_mins(WINDOW_MIN)
}

/// An address that is blocked, or that made too many attempts in the
/// window (this one included), must wait.
pub fn address_verdict(
    attempts_in_window: i64,
    blocked_until: Option<Timestamp>,
    now: Timestamp,
) -> Result<(), Refusal> {
    if let Some(until) = blocked_until.filter(|u| *u > now) {
        return Err(Refusal::SlowDown { until });
    }
    if attempts_in_window > MAX_ATTEMPTS_PER_IP {
        return Err(Refusal::SlowDown {
            until: now + SignedDuration::from_mins(IP_BLOCK_MIN),
        });
    }
    Ok(())
}

/// After a failure: an address that has failed on this many different
/// accounts in the window is stuffing credentials; block it until then.
/// Successful logins never count here, so an address shared by many honest
/// users is not mistaken for an attack.
pub fn stuffing_block(distinct_emails_failed: i64, now: Timestamp) -> Option<Timestamp> {
    (distinct_emails_failed >= STUFFING_DISTINCT_EMAILS)
        .then(|| now + SignedDuration::from_mins(STUFFING_BLOCK_MIN))
}

/// The lock on an email with no account, from its recent failures, counted
/// like a real account's so lockouts reveal nothing about which exist.
pub fn unknown_email_lock(failures: i64, last_failure: Option<Timestamp>) -> Option<Timestamp> {
    let failures = u32::try_from(failures).unwrap_or(u32::MAX);
    Some(last_failure? + lock_duration(failures)?)
}

/// May another reset email go to an address that was sent `sent_last_hour`?
pub fn reset_allowed(sent_last_hour: i64) -> bool {
    sent_last_hour < MAX_RESETS_PER_HOUR
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    #[test]
    fn an_address_slows_down_past_its_limit_or_while_blocked() {
        assert!(address_verdict(MAX_ATTEMPTS_PER_IP, None, t(0)).is_ok());
        assert!(matches!(
            address_verdict(MAX_ATTEMPTS_PER_IP + 1, None, t(0)),
            Err(Refusal::SlowDown { .. })
        ));
        assert!(address_verdict(1, Some(t(60)), t(0)).is_err());
        assert!(
            address_verdict(1, Some(t(60)), t(61)).is_ok(),
            "the block ends"
        );
    }

    #[test]
    fn failing_on_many_accounts_is_stuffing() {
        assert_eq!(stuffing_block(STUFFING_DISTINCT_EMAILS - 1, t(0)), None);
        assert_eq!(
            stuffing_block(STUFFING_DISTINCT_EMAILS, t(0)),
            Some(t(30 * 60))
        );
    }

    #[test]
    fn lockouts_double_from_the_fifth_failure() {
        assert_eq!(lock_duration(4), None);
        assert_eq!(lock_duration(5), Some(SignedDuration::from_mins(1)));
        assert_eq!(lock_duration(7), Some(SignedDuration::from_mins(4)));
        assert_eq!(lock_duration(40), Some(SignedDuration::from_mins(60)));
        assert_eq!(unknown_email_lock(4, Some(t(0))), None);
        assert_eq!(unknown_email_lock(5, Some(t(0))), Some(t(60)));
    }

    #[test]
    fn three_reset_emails_an_hour() {
        assert!(reset_allowed(2));
        assert!(!reset_allowed(3));
    }
}
