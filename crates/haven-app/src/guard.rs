//! Login defence that needs no database: per-IP rate limits and the
//! credential-stuffing pattern (one address trying many accounts), and
//! per-email failure counts for addresses that have no account (so a locked
//! and a non-existent account answer alike). Per-account lockout for real
//! accounts is durable, on the user record.
//!
//! Every map is bounded; old entries are dropped when it fills.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use haven_domain::{SignedDuration, Timestamp};

/// Attempts one IP may make in the window before it must wait. Generous:
/// an office or a mobile carrier puts many honest people behind one address.
pub const MAX_ATTEMPTS_PER_IP: usize = 100;
/// Distinct accounts one IP may fail on in the window before it is flagged.
pub const STUFFING_DISTINCT_EMAILS: usize = 10;
/// Failures on one email before it is locked (doubling each time after).
pub const LOCK_AFTER_FAILURES: u32 = 5;
const WINDOW_MIN: i64 = 10;
const IP_BLOCK_MIN: i64 = 15;
const STUFFING_BLOCK_MIN: i64 = 30;
const MAX_TRACKED: usize = 50_000;

#[derive(Default)]
struct IpRecord {
    attempts: VecDeque<Timestamp>,
    emails: HashMap<String, Timestamp>,
    blocked_until: Option<Timestamp>,
    flagged: bool,
}

#[derive(Default)]
struct EmailRecord {
    failures: u32,
    locked_until: Option<Timestamp>,
}

#[derive(Default)]
pub struct LoginGuard {
    by_ip: Mutex<HashMap<String, IpRecord>>,
    by_email: Mutex<HashMap<String, EmailRecord>>,
    resets: Mutex<HashMap<String, VecDeque<Timestamp>>>,
}

/// Password-reset emails one address may be sent per hour: enough for a
/// lost email, too few to flood an inbox.
pub const MAX_RESETS_PER_HOUR: usize = 3;

/// Why a login attempt is refused before its password is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Too many attempts: wait until then.
    SlowDown { until: Timestamp },
    /// This address is trying many accounts: refused, and Haven should raise
    /// a flag for the console (`first` is true the first time).
    Stuffing {
        until: Timestamp,
        first: bool,
        distinct: usize,
    },
}

/// How long a lock lasts after `failures` failed attempts.
pub fn lock_duration(failures: u32) -> Option<SignedDuration> {
    if failures < LOCK_AFTER_FAILURES {
        return None;
    }
    let minutes = 1_i64 << (failures - LOCK_AFTER_FAILURES).min(6);
    Some(SignedDuration::from_mins(minutes.min(60)))
}

fn window_start(now: Timestamp) -> Timestamp {
    now - SignedDuration::from_mins(WINDOW_MIN)
}

impl LoginGuard {
    /// Count an attempt from `ip`; refuse it if the address is over its
    /// limits or blocked.
    pub fn check(&self, ip: &str, now: Timestamp) -> Result<(), Refusal> {
        let mut by_ip = self.by_ip.lock().expect("guard lock");
        if by_ip.len() >= MAX_TRACKED && !by_ip.contains_key(ip) {
            by_ip.retain(|_, r| r.attempts.back().is_some_and(|t| *t > window_start(now)));
        }
        let record = by_ip.entry(ip.to_string()).or_default();
        if let Some(until) = record.blocked_until.filter(|u| *u > now) {
            return Err(Refusal::SlowDown { until });
        }
        let start = window_start(now);
        while record.attempts.front().is_some_and(|t| *t < start) {
            record.attempts.pop_front();
        }
        record.attempts.push_back(now);
        if record.attempts.len() > MAX_ATTEMPTS_PER_IP {
            let until = now + SignedDuration::from_mins(IP_BLOCK_MIN);
            record.blocked_until = Some(until);
            return Err(Refusal::SlowDown { until });
        }
        Ok(())
    }

    /// A failed attempt from `ip` on `email`. Failing on many different
    /// accounts is the credential-stuffing pattern: the address is blocked
    /// and should be flagged. Successful logins never count here, so a
    /// shared address with many honest users is not mistaken for an attack.
    pub fn record_failure(&self, ip: &str, email: &str, now: Timestamp) -> Result<(), Refusal> {
        let mut by_ip = self.by_ip.lock().expect("guard lock");
        let record = by_ip.entry(ip.to_string()).or_default();
        let start = window_start(now);
        record.emails.retain(|_, at| *at >= start);
        if record.emails.len() < MAX_TRACKED {
            record.emails.insert(email.to_string(), now);
        }
        if record.emails.len() < STUFFING_DISTINCT_EMAILS {
            return Ok(());
        }
        let until = now + SignedDuration::from_mins(STUFFING_BLOCK_MIN);
        record.blocked_until = Some(until);
        let first = !record.flagged;
        record.flagged = true;
        Err(Refusal::Stuffing {
            until,
            first,
            distinct: record.emails.len(),
        })
    }

    /// May another reset email go to `email` now? Counted for every
    /// address, with or without an account, so the answer reveals nothing.
    pub fn allow_reset(&self, email: &str, now: Timestamp) -> bool {
        let mut resets = self.resets.lock().expect("guard lock");
        let hour_ago = now - SignedDuration::from_hours(1);
        if resets.len() >= MAX_TRACKED && !resets.contains_key(email) {
            resets.retain(|_, sent| sent.back().is_some_and(|t| *t > hour_ago));
        }
        let sent = resets.entry(email.to_string()).or_default();
        while sent.front().is_some_and(|t| *t <= hour_ago) {
            sent.pop_front();
        }
        if sent.len() >= MAX_RESETS_PER_HOUR {
            return false;
        }
        sent.push_back(now);
        true
    }

    /// Is this email locked by failures the guard itself counted?
    pub fn email_locked_until(&self, email: &str, now: Timestamp) -> Option<Timestamp> {
        let by_email = self.by_email.lock().expect("guard lock");
        by_email
            .get(email)
            .and_then(|r| r.locked_until)
            .filter(|u| *u > now)
    }

    /// A failed attempt on an email with no account: counted like a real
    /// one, so lockouts reveal nothing about which accounts exist.
    pub fn record_unknown_failure(&self, email: &str, now: Timestamp) -> Option<Timestamp> {
        let mut by_email = self.by_email.lock().expect("guard lock");
        if by_email.len() >= MAX_TRACKED && !by_email.contains_key(email) {
            by_email.retain(|_, r| r.locked_until.is_some_and(|u| u > now));
        }
        let record = by_email.entry(email.to_string()).or_default();
        record.failures += 1;
        record.locked_until = lock_duration(record.failures).map(|d| now + d);
        record.locked_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    #[test]
    fn one_address_failing_on_many_accounts_is_stopped_and_flagged_once() {
        let guard = LoginGuard::default();
        for i in 0..STUFFING_DISTINCT_EMAILS - 1 {
            assert!(guard.check("203.0.113.5", t(i as i64)).is_ok());
            assert!(
                guard
                    .record_failure("203.0.113.5", &format!("u{i}@x.com"), t(i as i64))
                    .is_ok()
            );
        }
        let refused = guard.record_failure("203.0.113.5", "u99@x.com", t(20));
        assert!(
            matches!(refused, Err(Refusal::Stuffing { first: true, .. })),
            "{refused:?}"
        );
        assert!(matches!(
            guard.check("203.0.113.5", t(21)),
            Err(Refusal::SlowDown { .. })
        ));
        let again = guard.record_failure("203.0.113.5", "u98@x.com", t(22));
        assert!(
            matches!(again, Err(Refusal::Stuffing { first: false, .. })),
            "flagged once: {again:?}"
        );
        assert!(
            guard.check("198.51.100.1", t(22)).is_ok(),
            "other addresses are unaffected"
        );
        assert!(
            guard.check("203.0.113.5", t(60 * 31)).is_ok(),
            "the block ends"
        );
    }

    #[test]
    fn many_successful_logins_from_one_address_are_not_stuffing() {
        let guard = LoginGuard::default();
        for i in 0..MAX_ATTEMPTS_PER_IP {
            assert!(guard.check("192.0.2.9", t(i as i64)).is_ok(), "attempt {i}");
        }
    }

    #[test]
    fn too_many_attempts_from_one_address_slow_it_down() {
        let guard = LoginGuard::default();
        for i in 0..MAX_ATTEMPTS_PER_IP {
            assert!(guard.check("192.0.2.1", t(i as i64)).is_ok());
        }
        assert!(matches!(
            guard.check("192.0.2.1", t(140)),
            Err(Refusal::SlowDown { .. })
        ));
    }

    #[test]
    fn lockouts_double_from_the_fifth_failure() {
        assert_eq!(lock_duration(4), None);
        assert_eq!(lock_duration(5), Some(SignedDuration::from_mins(1)));
        assert_eq!(lock_duration(7), Some(SignedDuration::from_mins(4)));
        assert_eq!(lock_duration(40), Some(SignedDuration::from_mins(60)));
        let guard = LoginGuard::default();
        for _ in 0..4 {
            assert_eq!(guard.record_unknown_failure("ghost@x.com", t(0)), None);
        }
        assert!(guard.record_unknown_failure("ghost@x.com", t(0)).is_some());
        assert!(guard.email_locked_until("ghost@x.com", t(30)).is_some());
        assert!(guard.email_locked_until("ghost@x.com", t(61)).is_none());
    }
}
