//! Pure risk checks: tracking-number provenance (format per carrier, reuse,
//! pre-dating), the message scanner, payment scoring, and the brushing
//! (fake review) detector over the buyer–store review graph, and the listing
//! checks (brands below the reference price, copied text and pictures).
//! None of it performs IO.

pub mod brushing;
pub mod listing;
pub mod payment;
pub mod scanner;
pub mod tracking;
