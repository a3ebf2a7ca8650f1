//! Haven's pure domain core: money, identifiers, time, policy, the order state
//! machine and ledger entries. Nothing here performs IO or is async, so every
//! rule can be tested (and property-tested) without a database.

pub mod account;
pub mod actions;
pub mod audit;
pub mod bundle;
pub mod cart;
pub mod catalog;
pub mod clock;
pub mod coupon;
pub mod dispute;
pub mod enforcement;
pub mod events;
pub mod evidence;
pub mod ids;
pub mod ledger;
pub mod limits;
pub mod locale;
pub mod messaging;
pub mod money;
pub mod notice;
pub mod order;
pub mod policy;
pub mod reputation;
pub mod text;
pub mod timer;
pub mod todo;
pub mod trail;

pub use jiff::{SignedDuration, Timestamp};

/// The name a unit enum variant has on the wire (its serde name, e.g.
/// `identity_verified`); empty for values that do not serialise to a string.
pub fn wire_name<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}
