//! Pure risk checks. For now: tracking-number provenance (format per
//! carrier, reuse, pre-dating). Payment scoring, the message scanner and
//! listing checks join here later; none of it performs IO.

pub mod scanner;
pub mod tracking;
