//! Per-review signals (timing, identifier sharing, account age) and the
//! suspicion prior of each buyer–store edge built from them.

use super::index::{Index, UNKNOWN};
use super::{Params, ReviewRecord};

const DAY_SECS: f64 = 86_400.0;
/// A store's baseline is measured over at least this long, so that a new
/// store's first week is not its own baseline.
const MIN_BASELINE_SECS: f64 = 30.0 * DAY_SECS;

/// One buyer–store pair, with the strongest prior of its reviews.
pub(super) struct Edge {
    pub buyer: u32,
    pub store: u32,
    pub prior: f64,
}

pub(super) struct Features {
    /// The review falls in a window where its store had `burst_ratio`
    /// times its usual rate.
    pub in_burst: Vec<bool>,
    /// The reviewer shares a (rare) identifier with another reviewer of
    /// the same store.
    pub shares_in_store: Vec<bool>,
    /// ... or with the store's owner.
    pub shares_owner: Vec<bool>,
    /// Each review's suspicion prior (an edge's is the max of its reviews').
    pub review_prior: Vec<f64>,
    pub edges: Vec<Edge>,
}

impl Features {
    pub fn compute(reviews: &[ReviewRecord], index: &Index, params: &Params) -> Features {
        let in_burst = bursts(reviews, index, params);
        let (shares_in_store, shares_owner) = sharing(index, params);
        let mut features = Features {
            in_burst,
            shares_in_store,
            shares_owner,
            review_prior: vec![0.0; reviews.len()],
            edges: Vec::new(),
        };
        features.edges = edges(reviews, index, &mut features, params);
        features
    }

    /// How suspicious one review is on its own, 0 to 1: the mean of four
    /// cheap signals, discounted when the rating is not a 5★ or 4★ (rings
    /// exist to raise ratings).
    fn review_prior(&self, review: &ReviewRecord, r: usize, focus: f64, params: &Params) -> f64 {
        let young = youth(review, params);
        let burst = f64::from(u8::from(self.in_burst[r]));
        let shared = f64::from(u8::from(self.shares_in_store[r] || self.shares_owner[r]));
        let rating = match review.rating {
            5 => 1.0,
            4 => 0.8,
            _ => 0.2,
        };
        (young + focus + burst + shared) / 4.0 * rating
    }
}

/// 1 for an account younger than `young_secs` at the review, falling to 0
/// at twice that; 0 when the creation time is unknown.
pub(super) fn youth(review: &ReviewRecord, params: &Params) -> f64 {
    let Some(created) = review.buyer_created_ts else {
        return 0.0;
    };
    let age_secs = (review.ts - created).max(0) as f64;
    let young_secs = params.young_secs as f64;
    (2.0 - age_secs / young_secs).clamp(0.0, 1.0)
}

/// Mark reviews inside a window (centred on the review) holding at least
/// `burst_min_reviews` and `burst_ratio` times what the store's rate
/// outside the window predicts.
pub(super) fn bursts(reviews: &[ReviewRecord], index: &Index, params: &Params) -> Vec<bool> {
    let mut in_burst = vec![false; reviews.len()];
    let mut times = Vec::new();
    for store in 0..index.n_stores as u32 {
        let slice = index.store_review_slice(store);
        if slice.len() < params.burst_min_reviews as usize {
            continue;
        }
        times.clear();
        times.extend(slice.iter().map(|&r| reviews[r as usize].ts));
        for &window_secs in &params.burst_windows_secs {
            mark_window(&times, slice, window_secs, params, &mut in_burst);
        }
    }
    in_burst
}

fn mark_window(
    times: &[i64],
    slice: &[u32],
    window_secs: i64,
    params: &Params,
    in_burst: &mut [bool],
) {
    let span_secs = (times[times.len() - 1] - times[0]) as f64;
    let half = window_secs / 2;
    let (mut lo, mut hi) = (0, 0);
    for (i, &t) in times.iter().enumerate() {
        while times[lo] < t - half {
            lo += 1;
        }
        while hi < times.len() && times[hi] <= t + half {
            hi += 1;
        }
        let count = hi - lo;
        if count < params.burst_min_reviews as usize {
            continue;
        }
        let outside = (times.len() - count) as f64;
        let baseline_secs = (span_secs - window_secs as f64).max(MIN_BASELINE_SECS);
        let expected = outside / baseline_secs * window_secs as f64;
        if count as f64 >= params.burst_ratio * expected.max(1.0) {
            in_burst[slice[i] as usize] = true;
        }
    }
}

/// For each review: does its buyer share a rare identifier with another
/// buyer of the same store, or with the store's owner? One sort of
/// (store, identifier, buyer) triples.
fn sharing(index: &Index, params: &Params) -> (Vec<bool>, Vec<bool>) {
    const OWNER: u32 = u32::MAX;
    let n = index.review_buyer.len();
    let mut is_owner_id = vec![false; index.id_kind.len()];
    for &(_, id) in &index.owner_ids {
        is_owner_id[id as usize] = true;
    }
    let mut triples: Vec<(u32, u32, u32, u32)> = Vec::new();
    for r in 0..n {
        for &id in index.review_ids[r].iter().filter(|&&id| id != UNKNOWN) {
            let buyers = index.id_buyer_count[id as usize];
            if (2..=params.max_id_buyers).contains(&buyers) || is_owner_id[id as usize] {
                triples.push((index.review_store[r], id, index.review_buyer[r], r as u32));
            }
        }
    }
    triples.extend(
        index
            .owner_ids
            .iter()
            .map(|&(store, id)| (store, id, OWNER, OWNER)),
    );
    triples.sort_unstable();
    let mut shares = vec![false; n];
    let mut owner = vec![false; n];
    for group in triples.chunk_by(|a, b| (a.0, a.1) == (b.0, b.1)) {
        let has_owner = group.last().is_some_and(|t| t.2 == OWNER);
        let distinct = group.chunk_by(|a, b| a.2 == b.2).count();
        for &(_, _, _, r) in group.iter().filter(|t| t.2 != OWNER) {
            shares[r as usize] |= distinct - usize::from(has_owner) >= 2;
            owner[r as usize] |= has_owner;
        }
    }
    (shares, owner)
}

fn edges(
    reviews: &[ReviewRecord],
    index: &Index,
    features: &mut Features,
    params: &Params,
) -> Vec<Edge> {
    let mut edges = Vec::with_capacity(reviews.len());
    for buyer in 0..index.n_buyers as u32 {
        let slice = index.buyer_review_slice(buyer);
        for run in slice
            .chunk_by(|&a, &b| index.review_store[a as usize] == index.review_store[b as usize])
        {
            // The share of the buyer's reviews that went to this store:
            // 1 for a one-store account, small for a varied history.
            let focus = run.len() as f64 / slice.len() as f64;
            let mut prior = 0.0_f64;
            for &r in run {
                let p = features.review_prior(&reviews[r as usize], r as usize, focus, params);
                features.review_prior[r as usize] = p;
                prior = prior.max(p);
            }
            edges.push(Edge {
                buyer,
                store: index.review_store[run[0] as usize],
                prior,
            });
        }
    }
    edges
}

/// Reviews per day of a store outside `excluded` of its reviews, over its
/// active span (at least [`MIN_BASELINE_SECS`]).
pub(super) fn baseline_per_day(
    reviews: &[ReviewRecord],
    index: &Index,
    store: u32,
    excluded: usize,
) -> f64 {
    let slice = index.store_review_slice(store);
    let first = reviews[slice[0] as usize].ts;
    let last = reviews[slice[slice.len() - 1] as usize].ts;
    let span_secs = ((last - first) as f64).max(MIN_BASELINE_SECS);
    slice.len().saturating_sub(excluded) as f64 / span_secs * DAY_SECS
}
