//! Pure risk checks: tracking-number provenance (format per carrier, reuse,
//! pre-dating), the message scanner, payment scoring, and the brushing
//! (fake review) detector over the buyer–store review graph. Listing checks
//! join here later; none of it performs IO.

pub mod brushing;
pub mod payment;
pub mod scanner;
pub mod tracking;
