//! Scoring a detector against a labelled [`Marketplace`], and the simple
//! baselines the combined engine is compared with.

use std::collections::HashMap;
use std::fmt;

use super::features::bursts;
use super::index::Index;
use super::synth::{Marketplace, RingStyle};
use super::{Flag, Params, ReviewRecord};

const DAY_SECS: i64 = 86_400;

/// Confusion counts over reviews.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub true_positives: usize,
    pub false_positives: usize,
    pub false_negatives: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_positives,
        )
    }

    pub fn recall(&self) -> f64 {
        ratio(
            self.true_positives,
            self.true_positives + self.false_negatives,
        )
    }

    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "P {:.3}  R {:.3}  F1 {:.3}  (tp {}, fp {}, fn {})",
            self.precision(),
            self.recall(),
            self.f1(),
            self.true_positives,
            self.false_positives,
            self.false_negatives
        )
    }
}

/// Overall and per-style scores. A false positive counts against a style
/// when it is a review of that style's target store or a (camouflage)
/// review by one of its accounts; others are honest-store false positives
/// and count only overall.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub overall: Counts,
    pub styles: Vec<(RingStyle, Counts)>,
    pub honest_store_false_positives: usize,
    pub camouflage_false_positives: usize,
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  overall        {}", self.overall)?;
        for (style, counts) in &self.styles {
            writeln!(f, "  {:<14} {counts}", style.name())?;
        }
        write!(
            f,
            "  false positives on honest stores: {}, on ring accounts' camouflage reviews: {}",
            self.honest_store_false_positives, self.camouflage_false_positives
        )
    }
}

/// Score a mask of flagged reviews (same order as `market.reviews`).
pub fn evaluate(market: &Marketplace, flagged: &[bool]) -> Evaluation {
    let mut target_style: HashMap<&str, RingStyle> = HashMap::new();
    for ring in &market.rings {
        for target in &ring.targets {
            target_style.insert(target, ring.style);
        }
    }
    let mut overall = Counts::default();
    let mut by_style: HashMap<RingStyle, Counts> = HashMap::new();
    let (mut honest_fp, mut camouflage_fp) = (0, 0);
    for ((review, truth), &flag) in market.reviews.iter().zip(&market.truth).zip(flagged) {
        let ring_style = truth.ring.map(|r| market.rings[r as usize].style);
        let style = ring_style.or_else(|| target_style.get(review.store.as_str()).copied());
        let counts = style.map(|s| by_style.entry(s).or_default());
        match (truth.positive, flag) {
            (true, true) => {
                overall.true_positives += 1;
                if let Some(c) = counts {
                    c.true_positives += 1;
                }
            }
            (true, false) => {
                overall.false_negatives += 1;
                if let Some(c) = counts {
                    c.false_negatives += 1;
                }
            }
            (false, true) => {
                overall.false_positives += 1;
                match (ring_style, counts) {
                    (Some(_), Some(c)) => {
                        camouflage_fp += 1;
                        c.false_positives += 1;
                    }
                    (None, Some(c)) => c.false_positives += 1,
                    _ => honest_fp += 1,
                }
            }
            (false, false) => {}
        }
    }
    Evaluation {
        overall,
        styles: RingStyle::ALL
            .iter()
            .map(|&s| (s, by_style.get(&s).copied().unwrap_or_default()))
            .collect(),
        honest_store_false_positives: honest_fp,
        camouflage_false_positives: camouflage_fp,
    }
}

/// Which reviews (by position) the flags name.
pub fn flagged_mask(reviews: &[ReviewRecord], flags: &[Flag]) -> Vec<bool> {
    let position: HashMap<&str, usize> = reviews
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut mask = vec![false; reviews.len()];
    for flag in flags {
        if let Some(&i) = position.get(flag.id.as_str()) {
            mask[i] = true;
        }
    }
    mask
}

/// Baseline 1, "young accounts reviewing one store": a 4★ or 5★ review by
/// an account younger than 14 days whose only store is this one, when the
/// store has at least 5 such reviews within 14 days (one is noise).
pub fn baseline_young_one_store(reviews: &[ReviewRecord]) -> Vec<bool> {
    const YOUNG_SECS: i64 = 14 * DAY_SECS;
    const WINDOW_SECS: i64 = 14 * DAY_SECS;
    const MIN_CLUSTER: usize = 5;
    let index = Index::build(reviews, &[]);
    let mut mask = vec![false; reviews.len()];
    let mut candidates = Vec::new();
    for store in 0..index.n_stores as u32 {
        candidates.clear();
        candidates.extend(
            index
                .store_review_slice(store)
                .iter()
                .copied()
                .filter(|&r| {
                    let review = &reviews[r as usize];
                    let young = review
                        .buyer_created_ts
                        .is_some_and(|c| review.ts - c < YOUNG_SECS);
                    young
                        && review.rating >= 4
                        && index.buyer_store_count[index.review_buyer[r as usize] as usize] == 1
                }),
        );
        // Candidates are in time order; count neighbours within the window.
        let (mut lo, mut hi) = (0, 0);
        for i in 0..candidates.len() {
            let ts = reviews[candidates[i] as usize].ts;
            while reviews[candidates[lo] as usize].ts < ts - WINDOW_SECS / 2 {
                lo += 1;
            }
            while hi < candidates.len()
                && reviews[candidates[hi] as usize].ts <= ts + WINDOW_SECS / 2
            {
                hi += 1;
            }
            mask[candidates[i] as usize] = hi - lo >= MIN_CLUSTER;
        }
    }
    mask
}

/// Baseline 2, "relative bursts": every 4★ or 5★ review inside a burst
/// relative to its store's own baseline (the engine's burst test, alone).
/// With `repeat_buyers_only`, only reviews by accounts that take part in
/// bursts at two or more stores, or twice at one: the "repeat buyers" of
/// bursts.
pub fn baseline_bursts(
    reviews: &[ReviewRecord],
    params: &Params,
    repeat_buyers_only: bool,
) -> Vec<bool> {
    let index = Index::build(reviews, &[]);
    let in_burst = bursts(reviews, &index, params);
    let mut burst_reviews = vec![0_u32; index.n_buyers];
    for (r, &burst) in in_burst.iter().enumerate() {
        if burst {
            burst_reviews[index.review_buyer[r] as usize] += 1;
        }
    }
    (0..reviews.len())
        .map(|r| {
            let repeat = burst_reviews[index.review_buyer[r] as usize] >= 2;
            in_burst[r] && reviews[r].rating >= 4 && (repeat || !repeat_buyers_only)
        })
        .collect()
}

/// One benchmark run: generate, detect, score, and score the baselines.
/// Shared by `haven bench brushing` and the `brushing_bench` example; the
/// caller adds what needs the process (peak memory).
pub struct BenchRun {
    pub reviews: usize,
    pub rings: usize,
    pub positives: usize,
    pub seed: u64,
    pub generation_s: f64,
    pub detection_s: f64,
    pub flags: usize,
    pub blocks: usize,
    pub detector: Evaluation,
    /// (name, overall counts) per baseline.
    pub baselines: Vec<(&'static str, Counts)>,
}

pub fn bench(synth: &super::synth::SynthParams) -> BenchRun {
    let started = std::time::Instant::now();
    let market = super::synth::generate(synth);
    let generation_s = started.elapsed().as_secs_f64();
    let params = Params::default();
    let started = std::time::Instant::now();
    let report = super::detect_report(&market.reviews, &[], &params);
    let detection_s = started.elapsed().as_secs_f64();
    let baselines = vec![
        (
            "baseline 1: young accounts reviewing one store",
            evaluate(&market, &baseline_young_one_store(&market.reviews)).overall,
        ),
        (
            "baseline 2a: relative bursts",
            evaluate(&market, &baseline_bursts(&market.reviews, &params, false)).overall,
        ),
        (
            "baseline 2b: relative bursts of repeat buyers",
            evaluate(&market, &baseline_bursts(&market.reviews, &params, true)).overall,
        ),
    ];
    BenchRun {
        reviews: market.reviews.len(),
        rings: market.rings.len(),
        positives: market.truth.iter().filter(|t| t.positive).count(),
        seed: synth.seed,
        generation_s,
        detection_s,
        flags: report.flags.len(),
        blocks: report.blocks.len(),
        detector: evaluate(&market, &flagged_mask(&market.reviews, &report.flags)),
        baselines,
    }
}

impl fmt::Display for BenchRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "brushing: {} reviews, {} rings, {} ring reviews of targets ({:.2}%), seed {}; generated in {:.2} s",
            self.reviews,
            self.rings,
            self.positives,
            100.0 * self.positives as f64 / self.reviews.max(1) as f64,
            self.seed,
            self.generation_s
        )?;
        writeln!(
            f,
            "detector: {} flags, {} blocks, detection {:.2} s",
            self.flags, self.blocks, self.detection_s
        )?;
        writeln!(f, "{}", self.detector)?;
        for (name, counts) in &self.baselines {
            writeln!(f, "{name}\n  overall        {counts}")?;
        }
        Ok(())
    }
}
