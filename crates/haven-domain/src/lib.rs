//! Haven's pure domain core: money, identifiers, time, policy, the order state
//! machine and ledger entries. Nothing here performs IO or is async, so every
//! rule can be tested (and property-tested) without a database.

pub mod account;
pub mod audit;
pub mod catalog;
pub mod clock;
pub mod dispute;
pub mod evidence;
pub mod ids;
pub mod ledger;
pub mod messaging;
pub mod money;
pub mod order;
pub mod policy;
pub mod timer;
pub mod trail;

pub use jiff::{SignedDuration, Timestamp};
