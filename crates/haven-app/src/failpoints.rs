//! Failure injection for crash tests, so a test can stop Haven at an exact
//! point (say, after the gateway captured a payment and before the order
//! was recorded) instead of hoping a `kill -9` lands there.
//!
//! `HAVEN_FAILPOINT=<name>` makes the process abort at that point; tests
//! that run in-process arm a point to fail the request instead. Points are
//! named where they are hit (`App::failpoint`); none is armed normally.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::error::{AppError, AppResult};

/// After the card is captured, before the paid order is committed.
pub const AFTER_CAPTURE: &str = "checkout.after_capture";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailAction {
    /// Die on the spot, as a crash would.
    Abort,
    /// Fail the request with an internal error (nothing after the point runs).
    Error,
}

#[derive(Debug, Default)]
pub struct Failpoints {
    armed: Mutex<HashMap<String, FailAction>>,
}

impl Failpoints {
    /// Points armed by `HAVEN_FAILPOINT` (comma-separated names), to abort.
    pub fn from_env() -> Failpoints {
        let points = Failpoints::default();
        if let Ok(names) = std::env::var("HAVEN_FAILPOINT") {
            for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                points.arm(name, FailAction::Abort);
            }
        }
        points
    }

    pub fn arm(&self, name: &str, action: FailAction) {
        self.armed
            .lock()
            .expect("failpoints")
            .insert(name.to_string(), action);
    }

    /// Disarm every point, returning them for [`Failpoints::restore`]
    /// (the demo's seed runs checkouts a crash test must not trip).
    pub fn suspend(&self) -> HashMap<String, FailAction> {
        std::mem::take(&mut *self.armed.lock().expect("failpoints"))
    }

    pub fn restore(&self, points: HashMap<String, FailAction>) {
        self.armed.lock().expect("failpoints").extend(points);
    }

    pub fn disarm(&self, name: &str) {
        self.armed.lock().expect("failpoints").remove(name);
    }

    pub fn hit(&self, name: &str) -> AppResult<()> {
        let action = self.armed.lock().expect("failpoints").get(name).copied();
        match action {
            None => Ok(()),
            Some(FailAction::Error) => Err(AppError::internal(format!("failpoint {name}"))),
            Some(FailAction::Abort) => {
                eprintln!("failpoint {name}: aborting");
                std::process::abort()
            }
        }
    }
}
