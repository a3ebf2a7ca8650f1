//! Time as a dependency. Production reads the system clock; tests and the
//! demo's fast-forward drive a [`ManualClock`], so no test ever sleeps.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to. Cloning shares the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn set(&self, to: Timestamp) {
        *self.now.lock().expect("clock lock") = to;
    }

    pub fn advance(&self, by: SignedDuration) -> Timestamp {
        let mut now = self.now.lock().expect("clock lock");
        *now = now.checked_add(by).expect("clock stays in range");
        *now
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().expect("clock lock")
    }
}

/// System time shifted by an offset that can grow. The demo uses it to let a
/// visitor fast-forward days without touching any deadline arithmetic.
#[derive(Debug, Clone, Default)]
pub struct OffsetClock {
    offset_s: Arc<Mutex<i64>>,
}

impl OffsetClock {
    pub fn advance_s(&self, seconds: i64) {
        let mut offset = self.offset_s.lock().expect("clock lock");
        *offset = offset.saturating_add(seconds.max(0));
    }

    pub fn offset_s(&self) -> i64 {
        *self.offset_s.lock().expect("clock lock")
    }

    /// Put the clock at an offset, backwards included. Only the demo's seed
    /// uses it, before the server starts, to write months of history
    /// through the real services; visitors can only move it forward.
    pub fn set_offset_s(&self, seconds: i64) {
        *self.offset_s.lock().expect("clock lock") = seconds;
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        let offset = SignedDuration::from_secs(self.offset_s());
        Timestamp::now()
            .checked_add(offset)
            .expect("clock stays in range")
    }
}

/// Milliseconds since the Unix epoch, the storage representation of instants
/// in indexed columns (both SQLite and PostgreSQL).
pub fn to_ms(at: Timestamp) -> i64 {
    at.as_millisecond()
}

pub fn from_ms(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}
