//! Pure risk checks: tracking-number provenance (format per carrier, reuse,
//! pre-dating) and the message scanner. Payment scoring and listing checks
//! join here later; none of it performs IO.

pub mod payment;
pub mod scanner;
pub mod tracking;
