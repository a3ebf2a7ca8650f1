//! Brushing (fake review) detection over the buyer–store review graph.
//!
//! A brushing ring is a group of accounts, controlled by one operator, that
//! buys from and reviews a target store to lift its rating. The engine
//! combines four kinds of evidence:
//!
//! - (a) a dense-subgraph search in the spirit of Fraudar (Hooi et al., KDD
//!   2016) on a graph of buyers × columns, where the columns are stores and
//!   identifiers (device, card, address, IP) shared by few buyers. Column
//!   weights are `1 / ln(c + degree)`, so edges to popular stores (where a
//!   ring hides its camouflage reviews) weigh little. See [`peel`].
//! - (b) the timing and rating shape of a store's reviews: bursts against
//!   the store's own baseline, a "nearly all 5★" group.
//! - (c) identifiers shared among the reviewers of one store, or with the
//!   store's owner when known.
//! - (d) account signals: young accounts that review little else.
//!
//! Raw densest subgraphs are useless on sparse rings (they swallow
//! thousands of honest accounts), so blocks are size-bounded, must reach a
//! minimum density, are peeled one after another, and each (block, store)
//! pair is flagged only when (b)–(d) confirm it. Only the block's reviews
//! of confirmed stores are flagged, and of those only the reviews of its
//! colluding core (accounts sharing the block's identifiers, young, or
//! existing for the store) and of the accounts that reviewed within the
//! core's campaign: honest accounts that merely co-review with a ring stay
//! unflagged. A block needs such a core (old accounts with varied
//! histories and nothing shared co-reviewing is no ring), a store where
//! the ring wrote only a handful of reviews among more honest ones is its
//! padding, and so is a store reached by a small part of the core of
//! another confirmed store: a ring's camouflage reviews of honest stores,
//! and the honest reviews of the target, stay unflagged.
//!
//! Everything here is pure; [`synth`] generates labelled marketplaces for
//! the benchmark and [`eval`] scores a detector against them.

mod confirm;
pub mod eval;
mod features;
mod index;
mod peel;
mod quick;
pub mod synth;

pub use quick::{QuickContext, quick_check};

use serde::{Deserialize, Serialize};

/// One review, as exported by the server or read from JSON Lines. Times are
/// unix seconds; identifiers are opaque strings, and an empty or missing
/// device, IP, address or card means "unknown".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRecord {
    pub id: String,
    #[serde(default)]
    pub order_id: String,
    pub buyer: String,
    pub store: String,
    #[serde(default)]
    pub product: String,
    pub rating: u8,
    pub ts: i64,
    /// When the buyer's account was created; unknown means no age signal.
    #[serde(default)]
    pub buyer_created_ts: Option<i64>,
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default)]
    pub ip: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub card: Option<String>,
}

impl ReviewRecord {
    /// The four identifiers, in [`IdKind`] order, `None` when unknown.
    fn identifiers(&self) -> [Option<&str>; 4] {
        fn known(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.trim().is_empty())
        }
        [
            known(&self.device),
            known(&self.card),
            known(&self.address),
            known(&self.ip),
        ]
    }
}

/// Parse one JSON line into a review, checking what serde cannot (a rating
/// from 1 to 5, non-empty ids).
pub fn parse_review(line: &str) -> Result<ReviewRecord, String> {
    let review: ReviewRecord = serde_json::from_str(line).map_err(|e| e.to_string())?;
    if !(1..=5).contains(&review.rating) {
        return Err(format!("rating {} is not 1 to 5", review.rating));
    }
    for (name, value) in [
        ("id", &review.id),
        ("buyer", &review.buyer),
        ("store", &review.store),
    ] {
        if value.is_empty() {
            return Err(format!("{name} is empty"));
        }
    }
    Ok(review)
}

/// A line that could not be read as a review (1-based line number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

/// Parse JSON Lines (one review per line; blank lines skipped). Malformed
/// lines are returned, not fatal: one bad export row should not stop a
/// batch.
pub fn parse_lines<'a>(
    lines: impl Iterator<Item = &'a str>,
) -> (Vec<ReviewRecord>, Vec<LineError>) {
    let mut reviews = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match parse_review(line) {
            Ok(review) => reviews.push(review),
            Err(message) => errors.push(LineError {
                line: i + 1,
                message,
            }),
        }
    }
    (reviews, errors)
}

/// Identifiers a store's owner is known to use. The server has them; JSON
/// Lines input does not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreOwner {
    pub store: String,
    pub device: Option<String>,
    pub ip: Option<String>,
    pub address: Option<String>,
    pub card: Option<String>,
}

/// The kinds of identifier two accounts can share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdKind {
    Device,
    Card,
    Address,
    Ip,
}

impl IdKind {
    pub const ALL: [IdKind; 4] = [IdKind::Device, IdKind::Card, IdKind::Address, IdKind::Ip];

    fn noun(self) -> &'static str {
        match self {
            IdKind::Device => "a device",
            IdKind::Card => "a card",
            IdKind::Address => "an address",
            IdKind::Ip => "an IP",
        }
    }
}

/// One flagged review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flag {
    pub id: String,
    /// 0 to 1: how sure the engine is that the review is paid for.
    pub score: f64,
    pub reasons: Vec<String>,
}

/// The evidence for one confirmed block: what an operator reviews before
/// acting on a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// The stores the block's reviews were confirmed on (its targets).
    pub stores: Vec<String>,
    pub buyers: Vec<String>,
    /// Fraudar density of the block: weighted edges per node.
    pub density: f64,
    /// Share of buyer × store pairs of the block that are reviews.
    pub fill: f64,
    pub reasons: Vec<String>,
}

/// Flags plus the blocks that produced them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub flags: Vec<Flag>,
    pub blocks: Vec<Block>,
}

/// Tuning. The defaults are what the benchmark in docs/BENCHMARKS.md ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Fraudar's `c` in the column weight `1 / ln(c + degree)`.
    pub column_weight_c: f64,
    /// An account this young (at the review) counts as new.
    pub young_secs: i64,
    /// Identifiers used by more buyers than this are carrier NATs, offices
    /// or shared payment gateways: no evidence, and no column in the graph.
    pub max_id_buyers: u32,
    /// Edges whose suspicion prior is below this are left out of the graph.
    pub min_edge_prior: f64,
    /// A confirmed store's reviews from the campaign window join the block
    /// with a prior this high.
    pub expand_min_prior: f64,
    /// Weight of a buyer–identifier edge relative to a buyer–store edge.
    pub id_edge_factor: f64,
    /// Burst windows, and the rise over the store's baseline that counts.
    pub burst_windows_secs: Vec<i64>,
    pub burst_ratio: f64,
    pub burst_min_reviews: u32,
    /// Block bounds: a flagged block is a ring, not a community.
    pub min_block_buyers: usize,
    pub max_block_buyers: usize,
    pub max_block_stores: usize,
    pub min_density: f64,
    /// A block is judged on a store only with this many reviews there.
    pub min_store_reviews: usize,
    /// Blocks peeled per connected component, at most.
    pub max_blocks_per_component: usize,
}

impl Default for Params {
    fn default() -> Self {
        const DAY: i64 = 86_400;
        Params {
            column_weight_c: 5.0,
            young_secs: 30 * DAY,
            max_id_buyers: 40,
            min_edge_prior: 0.3,
            expand_min_prior: 0.3,
            id_edge_factor: 0.5,
            burst_windows_secs: vec![3 * DAY, 14 * DAY, 42 * DAY],
            burst_ratio: 4.0,
            burst_min_reviews: 8,
            min_block_buyers: 8,
            max_block_buyers: 2_000,
            max_block_stores: 12,
            min_density: 0.1,
            min_store_reviews: 5,
            max_blocks_per_component: 64,
        }
    }
}

/// Flag the reviews that look paid for.
pub fn detect(reviews: &[ReviewRecord], params: &Params) -> Vec<Flag> {
    detect_report(reviews, &[], params).flags
}

/// Flags and per-block evidence. `owners` may be empty.
pub fn detect_report(reviews: &[ReviewRecord], owners: &[StoreOwner], params: &Params) -> Report {
    let index = index::Index::build(reviews, owners);
    let features = features::Features::compute(reviews, &index, params);
    let blocks = peel::find_blocks(&index, &features, params);
    confirm::confirm_blocks(reviews, &index, &features, &blocks, params)
}

#[cfg(test)]
mod tests;
