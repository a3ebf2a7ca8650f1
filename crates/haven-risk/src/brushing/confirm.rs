//! Confirmation: a dense block is flagged on a store only when the block's
//! reviews of that store also look bought, by timing and rating shape (b),
//! shared identifiers (c) and account signals (d). A block that is merely
//! dense (a flash sale, a family, fans of one shop) is not enough.

use std::collections::{BTreeMap, HashMap};

use super::features::{Features, baseline_per_day, youth};
use super::index::{Index, UNKNOWN};
use super::peel::Candidate;
use super::{Block, Flag, IdKind, Params, Report, ReviewRecord};

/// A target store is one the ring (the block and the reviews like theirs)
/// dominates while active; a store where it is a small part of the
/// traffic got its camouflage reviews.
const MIN_WINDOW_SHARE: f64 = 0.5;

/// A block needs at least this many accounts with a ring's traits.
const MIN_CORE: usize = 3;

/// At most this share of 1★–3★ reviews while the block was active, for
/// a "nearly all 5★" group (an aged ring's window also holds the odd
/// honest complaint).
const MAX_LOW_SHARE: f64 = 0.12;

/// Sharing accounts, at least half of the block, that count as a second
/// signal.
const BROAD_SHARERS: usize = 6;

/// Accounts on one identifier that count as sharing it.
const MIN_SHARING_GROUP: usize = 3;

/// What the block's reviews of one store look like.
struct Evidence {
    reviews: Vec<u32>,
    buyers: usize,
    span_days: f64,
    /// The block's share of the store's reviews while it was active.
    window_share: f64,
    /// When the block was active on the store (its accounts, each counted
    /// once: see [`accounts_window`]).
    window: (i64, i64),
    /// Where the store's reviews can join the campaign: the core's whole
    /// span (an aged ring's tails too), or the window without a core.
    reach: (i64, i64),
    /// The block's reviews per day over their span.
    block_per_day: f64,
    baseline_per_day: f64,
    burst_share: f64,
    /// Ratings of all the store's reviews during the block's activity (not
    /// only the block's: the peel prefers 5★ edges, so the block's own
    /// share would prove nothing).
    window_five_share: f64,
    window_low_share: f64,
    /// 5★ share of the store's reviews outside that window.
    others_five_share: Option<f64>,
    j_shape: Option<(f64, f64)>,
    sharers_by_kind: [usize; 4],
    sharers: usize,
    owner_sharers: usize,
    young: usize,
    young_one_store: usize,
    focused: usize,
}

/// The signals the evidence raises, with reasons a person can read.
struct Verdict {
    signals: usize,
    /// The block is a burst against the store's baseline.
    burst: bool,
    /// The store's ratings were lifted while the block was active.
    lifted: bool,
    collusion: bool,
    strong_sharing: bool,
    reasons: Vec<String>,
}

/// Everything the blocks say about one store. A ring is often peeled in
/// pieces (its best-connected core first), so a store is judged once, on
/// the buyers of every block reaching it.
#[derive(Default)]
struct StoreCase {
    buyers: Vec<u32>,
    blocks: Vec<usize>,
    /// Stores of one block that most of its buyers reviewed together
    /// (at least two, or 0).
    co_reviewed: usize,
}

pub(super) fn confirm_blocks(
    reviews: &[ReviewRecord],
    index: &Index,
    features: &Features,
    candidates: &[Candidate],
    params: &Params,
) -> Report {
    let mut cases: BTreeMap<u32, StoreCase> = BTreeMap::new();
    for (c, candidate) in candidates.iter().enumerate() {
        let reached = buyers_per_store(index, candidate);
        let is_common = |buyers: &Vec<u32>| {
            buyers.len() * 2 >= candidate.buyers.len() && buyers.len() >= params.min_store_reviews
        };
        let common = reached.values().filter(|b| is_common(b)).count();
        for (store, buyers) in reached {
            let case = cases.entry(store).or_default();
            if common >= 2 && is_common(&buyers) {
                case.co_reviewed = case.co_reviewed.max(common);
            }
            case.buyers.extend(buyers);
            case.blocks.push(c);
        }
    }
    let mut passed: Vec<Passed> = Vec::new();
    for (store, case) in &cases {
        let (core, rest) = split_core(reviews, index, features, *store, &case.buyers, params);
        let evidence = gather(reviews, index, features, *store, &case.buyers, params);
        let verdict = judge(&evidence, case.co_reviewed, params);
        // A block of accounts without the ring's traits (old accounts,
        // varied histories, nothing shared) co-reviewing is no ring.
        if evidence.reviews.len() < params.min_store_reviews
            || !(verdict.collusion && verdict.signals >= 2)
            || core.len() < MIN_CORE
        {
            continue;
        }
        let evidence = restrict_to_core(reviews, index, *store, evidence, &core, &rest);
        let evidence = expand(reviews, index, features, *store, evidence, params);
        if evidence.window_share < MIN_WINDOW_SHARE
            || honest_majority(index, *store, &evidence, params)
        {
            continue;
        }
        passed.push(Passed {
            store: *store,
            core,
            case,
            evidence,
            verdict,
        });
    }
    let padding = padding_stores(&passed);
    let mut report = Report::default();
    let mut confirmed: HashMap<u32, Vec<String>> = HashMap::new();
    for (p, pass) in passed.into_iter().enumerate() {
        if padding[p] {
            continue;
        }
        let densest = pass
            .case
            .blocks
            .iter()
            .map(|&c| &candidates[c])
            .max_by(|a, b| a.density.total_cmp(&b.density));
        let verdict = pass.verdict;
        let mut reasons: Vec<String> = densest.map(shape).into_iter().collect();
        reasons.extend(verdict.reasons.iter().cloned());
        let score = round2(
            (0.5 + 0.1 * verdict.signals as f64 + if verdict.strong_sharing { 0.09 } else { 0.0 })
                .min(0.99),
        );
        for &r in &pass.evidence.reviews {
            report.flags.push(Flag {
                id: reviews[r as usize].id.clone(),
                score,
                reasons: reasons.clone(),
            });
        }
        confirmed.insert(pass.store, verdict.reasons);
    }
    report.blocks = candidates
        .iter()
        .filter_map(|c| block_report(reviews, index, c, &confirmed))
        .collect();
    report
}

/// A store that passed confirmation, before the padding check.
struct Passed<'a> {
    store: u32,
    /// The colluding core's buyers, sorted.
    core: Vec<u32>,
    case: &'a StoreCase,
    evidence: Evidence,
    verdict: Verdict,
}

/// A target's core is at least this many times a padded store's.
const PADDING_RATIO: usize = 3;

/// Stores whose core is mostly a small part of the core of another
/// confirmed store: the ring's padding, not a second target. (A ring
/// reviews each of its targets with most of its accounts; its padding is
/// spread, a few accounts per store. On a partial neighbourhood a padded
/// honest shop can look like nothing but ring reviews.)
fn padding_stores(passed: &[Passed]) -> Vec<bool> {
    let mut cores_of: HashMap<u32, Vec<usize>> = HashMap::new();
    for (p, pass) in passed.iter().enumerate() {
        for &b in &pass.core {
            cores_of.entry(b).or_default().push(p);
        }
    }
    passed
        .iter()
        .enumerate()
        .map(|(p, pass)| {
            let mut overlap: HashMap<usize, usize> = HashMap::new();
            for b in &pass.core {
                for &q in cores_of.get(b).into_iter().flatten() {
                    *overlap.entry(q).or_default() += 1;
                }
            }
            let n = pass.core.len();
            overlap.iter().any(|(&q, &shared)| {
                q != p && shared * 5 >= n * 4 && passed[q].core.len() >= PADDING_RATIO * n
            })
        })
        .collect()
}

/// The block's buyers of `store` split into its colluding core — accounts
/// that share a rare identifier with two or more others of them or of the
/// store's other 4★–5★ reviewers of the campaign (or with the owner), are
/// young at the review, or exist for this store (most of their reviews,
/// or their only store), and reviewed it during the campaign — and the
/// rest, who only co-review with the core.
fn split_core(
    reviews: &[ReviewRecord],
    index: &Index,
    features: &Features,
    store: u32,
    buyers: &[u32],
    params: &Params,
) -> (Vec<u32>, Vec<u32>) {
    let window = accounts_window(reviews, index, store, buyers);
    let mut here = praise_in_window(reviews, index, store, window);
    for &buyer in buyers {
        here.extend(
            index
                .buyer_review_slice(buyer)
                .iter()
                .copied()
                .filter(|&r| index.review_store[r as usize] == store),
        );
    }
    let sharing = sharing_buyers(index, &here, params);
    let (mut core, mut rest) = (Vec::new(), Vec::new());
    for &buyer in buyers {
        let all = index.buyer_review_slice(buyer);
        let mine: Vec<u32> = all
            .iter()
            .copied()
            .filter(|&r| index.review_store[r as usize] == store)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let trait_of_ring = sharing.binary_search(&buyer).is_ok()
            || mine.iter().any(|&r| {
                features.shares_owner[r as usize] || youth(&reviews[r as usize], params) >= 1.0
            })
            || mine.len() * 2 > all.len()
            || index.buyer_store_count[buyer as usize] == 1;
        if trait_of_ring && !outside_campaign(reviews, &mine, window) {
            core.push(buyer);
        } else {
            rest.push(buyer);
        }
    }
    core.sort_unstable();
    core.dedup();
    (core, rest)
}

/// When the block's accounts were active on `store`: the shortest
/// interval holding 80% of them, each counted once (at the middle of its
/// reviews of the store). A campaign is many accounts, not many reviews:
/// one loyal customer's hundred reviews must not pull the window to them.
fn accounts_window(
    reviews: &[ReviewRecord],
    index: &Index,
    store: u32,
    buyers: &[u32],
) -> (i64, i64) {
    let mut times: Vec<i64> = buyers
        .iter()
        .filter_map(|&buyer| {
            let mine: Vec<i64> = index
                .buyer_review_slice(buyer)
                .iter()
                .filter(|&&r| index.review_store[r as usize] == store)
                .map(|&r| reviews[r as usize].ts)
                .collect();
            let (lo, hi) = (mine.iter().min()?, mine.iter().max()?);
            Some(lo + (hi - lo) / 2)
        })
        .collect();
    times.sort_unstable();
    campaign(&times)
}

/// Most of an account's reviews of the store (`mine`) lie outside the
/// campaign: the accounts' `window` widened by its own length on each
/// side (a campaign's first and last hires, an aged ring's tails). A hired
/// account reviews its target during the campaign; a loyal customer, who
/// also "exists for the store", reviews it all year, and a young account
/// reviewing it months later is a new customer: neither belongs to the
/// core, whose span is where the campaign's other reviews are looked for.
fn outside_campaign(reviews: &[ReviewRecord], mine: &[u32], (first, last): (i64, i64)) -> bool {
    let margin = last - first;
    let (first, last) = (first - margin, last + margin);
    let outside = mine
        .iter()
        .filter(|&&r| !(first..=last).contains(&reviews[r as usize].ts))
        .count();
    outside * 2 > mine.len()
}

/// The store's 4★–5★ reviews within `window`. A peel often reaches only
/// part of a ring, and an aged ring's accounts each share an address, a
/// card or a proxy with a few others only: the accounts they share it
/// with are among the store's other reviewers of the campaign.
fn praise_in_window(
    reviews: &[ReviewRecord],
    index: &Index,
    store: u32,
    (first, last): (i64, i64),
) -> Vec<u32> {
    index
        .store_review_slice(store)
        .iter()
        .copied()
        .filter(|&r| {
            let review = &reviews[r as usize];
            review.rating >= 4 && (first..=last).contains(&review.ts)
        })
        .collect()
}

/// Keep, of the block's reviews of `store`, the core's and those of the
/// other block buyers written within the core's campaign (first to last
/// core review), 4★ or 5★: they took part in it. Honest accounts that
/// only co-review the store with the ring, at other times, stay out.
fn restrict_to_core(
    reviews: &[ReviewRecord],
    index: &Index,
    store: u32,
    mut evidence: Evidence,
    core: &[u32],
    rest: &[u32],
) -> Evidence {
    let on_store = |buyer: u32| {
        index
            .buyer_review_slice(buyer)
            .iter()
            .copied()
            .filter(move |&r| index.review_store[r as usize] == store)
    };
    let mut kept: Vec<u32> = core.iter().flat_map(|&b| on_store(b)).collect();
    let (first, last) = if core.len() >= MIN_CORE {
        kept.iter()
            .map(|&r| reviews[r as usize].ts)
            .fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)))
    } else {
        evidence.window
    };
    for &buyer in rest {
        kept.extend(on_store(buyer).filter(|&r| {
            let review = &reviews[r as usize];
            (first..=last).contains(&review.ts) && review.rating >= 4
        }));
    }
    evidence.reviews = kept;
    if core.len() >= MIN_CORE {
        evidence.reach = (first, last);
    }
    evidence
}

/// A store whose reviews are mostly not the ring's gets no case on a
/// handful of ring reviews (fewer than `burst_min_reviews`): a few
/// padding reviews of a small honest shop are the ring's camouflage, not
/// a campaign.
fn honest_majority(index: &Index, store: u32, evidence: &Evidence, params: &Params) -> bool {
    let flagged = evidence.reviews.len();
    let others = index
        .store_review_slice(store)
        .len()
        .saturating_sub(flagged);
    others > flagged && flagged < params.burst_min_reviews as usize
}

/// Add the store's reviews from the campaign (its window, or the core's
/// whole span) that look like the block's but were left out of it (a ring
/// member sharing nothing is a thin star edge that peeling drops): 4★ or
/// 5★, with a high prior or by an account that used one of the ring's
/// rare identifiers (a proxy, a drop address, a card) on any review.
fn expand(
    reviews: &[ReviewRecord],
    index: &Index,
    features: &Features,
    store: u32,
    mut evidence: Evidence,
    params: &Params,
) -> Evidence {
    let (first, last) = evidence.window;
    let reach = evidence.reach;
    let mut sorted = evidence.reviews.clone();
    sorted.sort_unstable();
    let ring_ids = ring_identifiers(index, &sorted, params);
    let linked = |r: u32| {
        let buyer = index.review_buyer[r as usize];
        index.buyer_review_slice(buyer).iter().any(|&other| {
            index.review_ids[other as usize]
                .iter()
                .any(|id| ring_ids.binary_search(id).is_ok())
        })
    };
    for &r in index.store_review_slice(store) {
        let review = &reviews[r as usize];
        let fits = (reach.0..=reach.1).contains(&review.ts)
            && review.rating >= 4
            && (features.review_prior[r as usize] >= params.expand_min_prior || linked(r));
        if fits && sorted.binary_search(&r).is_err() {
            evidence.reviews.push(r);
        }
    }
    let in_window = |r: &&u32| (first..=last).contains(&reviews[**r as usize].ts);
    let total = index
        .store_review_slice(store)
        .iter()
        .filter(in_window)
        .count();
    evidence.window_share =
        evidence.reviews.iter().filter(in_window).count() as f64 / total.max(1) as f64;
    evidence
}

/// The rare identifiers (shared by 2 to `max_id_buyers` accounts) that
/// the authors of `flagged` used on any of their reviews, sorted: the
/// operator's devices, cards, drop addresses and proxies.
fn ring_identifiers(index: &Index, flagged: &[u32], params: &Params) -> Vec<u32> {
    let mut buyers: Vec<u32> = flagged
        .iter()
        .map(|&r| index.review_buyer[r as usize])
        .collect();
    buyers.sort_unstable();
    buyers.dedup();
    let mut ids: Vec<u32> = buyers
        .iter()
        .flat_map(|&b| index.buyer_review_slice(b))
        .flat_map(|&r| index.review_ids[r as usize])
        .filter(|&id| {
            id != UNKNOWN && (2..=params.max_id_buyers).contains(&index.id_buyer_count[id as usize])
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn shape(candidate: &Candidate) -> String {
    format!(
        "dense block: {} buyers x {} stores, density {:.2}",
        candidate.buyers.len(),
        candidate.stores.len(),
        candidate.density
    )
}

/// For each of the block's stores, the block's buyers who reviewed it.
fn buyers_per_store(index: &Index, candidate: &Candidate) -> BTreeMap<u32, Vec<u32>> {
    let mut reached: BTreeMap<u32, Vec<u32>> =
        candidate.stores.iter().map(|&s| (s, Vec::new())).collect();
    for &buyer in &candidate.buyers {
        let slice = index.buyer_review_slice(buyer);
        for run in slice
            .chunk_by(|&a, &b| index.review_store[a as usize] == index.review_store[b as usize])
        {
            if let Some(buyers) = reached.get_mut(&index.review_store[run[0] as usize]) {
                buyers.push(buyer);
            }
        }
    }
    reached.retain(|_, buyers| !buyers.is_empty());
    reached
}

/// The block as an operator sees it, if it was confirmed on any store.
fn block_report(
    reviews: &[ReviewRecord],
    index: &Index,
    candidate: &Candidate,
    confirmed: &HashMap<u32, Vec<String>>,
) -> Option<Block> {
    let reached = buyers_per_store(index, candidate);
    let stores: Vec<(u32, usize)> = reached
        .iter()
        .filter(|(s, _)| confirmed.contains_key(s))
        .map(|(&s, buyers)| (s, buyers.len()))
        .collect();
    if stores.is_empty() {
        return None;
    }
    let store_name = |s: u32| {
        reviews[index.store_example[s as usize] as usize]
            .store
            .clone()
    };
    let mut reasons = vec![shape(candidate)];
    for &(s, _) in &stores {
        reasons.extend(
            confirmed[&s]
                .iter()
                .map(|reason| format!("{}: {reason}", store_name(s))),
        );
    }
    let edges: usize = stores.iter().map(|&(_, n)| n).sum();
    Some(Block {
        stores: stores.iter().map(|&(s, _)| store_name(s)).collect(),
        buyers: candidate
            .buyers
            .iter()
            .map(|&b| {
                reviews[index.buyer_example[b as usize] as usize]
                    .buyer
                    .clone()
            })
            .collect(),
        density: round2(candidate.density),
        fill: round2(edges as f64 / (candidate.buyers.len() * stores.len()) as f64),
        reasons,
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn gather(
    reviews: &[ReviewRecord],
    index: &Index,
    features: &Features,
    store: u32,
    block_buyers: &[u32],
    params: &Params,
) -> Evidence {
    let mut mine = Vec::new();
    let (mut buyers, mut young, mut young_one_store, mut focused) = (0, 0, 0, 0);
    for &buyer in block_buyers {
        let all = index.buyer_review_slice(buyer);
        let here: Vec<u32> = all
            .iter()
            .copied()
            .filter(|&r| index.review_store[r as usize] == store)
            .collect();
        if here.is_empty() {
            continue;
        }
        buyers += 1;
        let is_young = here
            .iter()
            .any(|&r| youth(&reviews[r as usize], params) >= 1.0);
        young += usize::from(is_young);
        young_one_store += usize::from(is_young && index.buyer_store_count[buyer as usize] == 1);
        // Mostly this store: the account exists for it.
        focused += usize::from(here.len() * 2 > all.len());
        mine.extend(here);
    }
    let n = mine.len() as f64;
    let mut times: Vec<i64> = mine.iter().map(|&r| reviews[r as usize].ts).collect();
    times.sort_unstable();
    let (first, last) = accounts_window(reviews, index, store, block_buyers);
    let covered = times.iter().filter(|t| (first..=last).contains(t)).count();
    let span_secs = last - first;
    let ratings = WindowRatings::of(reviews, index, store, (first, last));
    let (sharers_by_kind, sharers) = sharers(index, &mine, params);
    Evidence {
        buyers,
        span_days: (span_secs as f64 / 86_400.0).max(1.0).ceil(),
        block_per_day: covered as f64 / (span_secs as f64 / 86_400.0).max(1.0),
        window: (first, last),
        reach: (first, last),
        window_share: covered as f64 / ratings.inside.iter().sum::<usize>().max(1) as f64,
        baseline_per_day: baseline_per_day(reviews, index, store, mine.len()),
        burst_share: mine
            .iter()
            .filter(|&&r| features.in_burst[r as usize])
            .count() as f64
            / n,
        window_five_share: ratings.five_share(),
        window_low_share: ratings.low_share(),
        others_five_share: ratings.others_five_share(),
        j_shape: j_shape(reviews, index, store),
        sharers_by_kind,
        sharers,
        owner_sharers: mine
            .iter()
            .filter(|&&r| features.shares_owner[r as usize])
            .count(),
        young,
        young_one_store,
        focused,
        reviews: mine,
    }
}

/// The shortest interval holding 80% of the sorted `times`: the campaign,
/// without the odd honest account a block swept up.
fn campaign(times: &[i64]) -> (i64, i64) {
    if times.is_empty() {
        return (0, 0);
    }
    let k = (times.len() * 4).div_ceil(5).max(1);
    let start = (0..=times.len() - k)
        .min_by_key(|&i| times[i + k - 1] - times[i])
        .unwrap_or(0);
    (times[start], times[start + k - 1])
}

/// Buyers among `mine` sharing a rare identifier with two or more others
/// of them: per kind, and in total. Pairs are left out: couples share an
/// address, a home IP, often a card.
fn sharers(index: &Index, mine: &[u32], params: &Params) -> ([usize; 4], usize) {
    let (by_kind, sharing_buyers) = sharing_groups(index, mine, params);
    (by_kind, sharing_buyers.len())
}

/// Buyers among `mine` sharing a rare identifier with two or more others
/// of them, sorted.
fn sharing_buyers(index: &Index, mine: &[u32], params: &Params) -> Vec<u32> {
    sharing_groups(index, mine, params).1
}

fn sharing_groups(index: &Index, mine: &[u32], params: &Params) -> ([usize; 4], Vec<u32>) {
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for &r in mine {
        for &id in index.review_ids[r as usize]
            .iter()
            .filter(|&&id| id != UNKNOWN)
        {
            if (2..=params.max_id_buyers).contains(&index.id_buyer_count[id as usize]) {
                pairs.push((id, index.review_buyer[r as usize]));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut by_kind = [0; 4];
    let mut sharing_buyers = Vec::new();
    for group in pairs
        .chunk_by(|a, b| a.0 == b.0)
        .filter(|g| g.len() >= MIN_SHARING_GROUP)
    {
        let kind = index.id_kind[group[0].0 as usize];
        let slot = IdKind::ALL.iter().position(|&k| k == kind).unwrap_or(0);
        by_kind[slot] += group.len();
        sharing_buyers.extend(group.iter().map(|&(_, b)| b));
    }
    sharing_buyers.sort_unstable();
    sharing_buyers.dedup();
    (by_kind, sharing_buyers)
}

/// Rating counts (index = stars) inside and outside a time window.
struct WindowRatings {
    inside: [usize; 6],
    outside: [usize; 6],
}

impl WindowRatings {
    fn of(
        reviews: &[ReviewRecord],
        index: &Index,
        store: u32,
        (first, last): (i64, i64),
    ) -> WindowRatings {
        let mut counts = WindowRatings {
            inside: [0; 6],
            outside: [0; 6],
        };
        for &r in index.store_review_slice(store) {
            let review = &reviews[r as usize];
            let side = if (first..=last).contains(&review.ts) {
                &mut counts.inside
            } else {
                &mut counts.outside
            };
            side[usize::from(review.rating.min(5))] += 1;
        }
        counts
    }

    fn five_share(&self) -> f64 {
        self.inside[5] as f64 / self.inside.iter().sum::<usize>().max(1) as f64
    }

    fn low_share(&self) -> f64 {
        self.inside[..4].iter().sum::<usize>() as f64
            / self.inside.iter().sum::<usize>().max(1) as f64
    }

    /// Fewer than ten other reviews say nothing about the store's normal.
    fn others_five_share(&self) -> Option<f64> {
        let n = self.outside.iter().sum::<usize>();
        (n >= 10).then(|| self.outside[5] as f64 / n as f64)
    }
}

/// The store's whole distribution is "J-shaped": nearly all 5★, a few 1★,
/// hardly anything between — bought praise over real complaints.
fn j_shape(reviews: &[ReviewRecord], index: &Index, store: u32) -> Option<(f64, f64)> {
    let slice = index.store_review_slice(store);
    let mut counts = [0_usize; 6];
    for &r in slice {
        counts[usize::from(reviews[r as usize].rating.min(5))] += 1;
    }
    let n = slice.len() as f64;
    let (five, one) = (counts[5] as f64 / n, counts[1] as f64 / n);
    let middle = (counts[2] + counts[3] + counts[4]) as f64 / n;
    (five >= 0.85 && one >= 0.01 && middle <= 0.1).then_some((five, one))
}

/// A burst needs the block's own rate over its span to be this many times
/// the store's usual rate (lower than the per-window `burst_ratio`: a span
/// is longer than its busiest window).
const BLOCK_RATE_RATIO: f64 = 3.0;

fn judge(e: &Evidence, co_reviewed: usize, params: &Params) -> Verdict {
    let n = e.reviews.len();
    let mut verdict = Verdict {
        signals: 0,
        burst: false,
        lifted: false,
        collusion: false,
        strong_sharing: false,
        reasons: Vec::new(),
    };
    // The store's volume spiked, and the block is the spike (not a few
    // reviews swept up in a popular store's own sale).
    if e.burst_share >= 0.5 && e.block_per_day >= BLOCK_RATE_RATIO * e.baseline_per_day {
        verdict.signals += 1;
        verdict.burst = true;
        verdict.reasons.push(format!(
            "burst: {n} reviews in {} days vs baseline {:.1}/day",
            e.span_days, e.baseline_per_day
        ));
    }
    let lifted = e
        .others_five_share
        .is_none_or(|others| e.window_five_share >= others + 0.15);
    if e.window_five_share >= 0.75
        && e.window_low_share <= MAX_LOW_SHARE
        && (lifted || e.j_shape.is_some())
    {
        verdict.signals += 1;
        verdict.collusion = true;
        verdict.lifted = true;
        verdict.reasons.push(match e.others_five_share {
            Some(others) => format!(
                "{:.0}% 5★ while the block was active vs {:.0}% otherwise",
                e.window_five_share * 100.0,
                others * 100.0
            ),
            None => format!(
                "{:.0}% 5★ while the block was active",
                e.window_five_share * 100.0
            ),
        });
        if let Some((five, one)) = e.j_shape {
            verdict.reasons.push(format!(
                "J-shaped ratings: {:.0}% 5★, {:.0}% 1★",
                five * 100.0,
                one * 100.0
            ));
        }
    }
    if e.sharers >= 3.max(n * 3 / 20) || e.owner_sharers >= 2 {
        verdict.signals += 1;
        verdict.collusion = true;
        verdict.strong_sharing = e.sharers * 10 >= e.buyers * 3;
        for (kind, &count) in IdKind::ALL.iter().zip(&e.sharers_by_kind) {
            if count > 0 {
                verdict
                    .reasons
                    .push(format!("{count} reviewers share {}", kind.noun()));
            }
        }
        // Most of a sizeable block on shared identifiers: an operator's
        // stock of accounts, even when the accounts are old.
        if e.sharers >= BROAD_SHARERS && e.sharers * 2 >= e.buyers {
            verdict.signals += 1;
        }
        if e.owner_sharers > 0 {
            verdict.reasons.push(format!(
                "{} reviewers share an identifier with the store's owner",
                e.owner_sharers
            ));
        }
    }
    let young_days = params.young_secs / 86_400;
    if e.young_one_store * 2 >= e.buyers {
        verdict.signals += 1;
        verdict.reasons.push(format!(
            "{} of {} accounts younger than {young_days} days reviewing only this store",
            e.young_one_store, e.buyers
        ));
    } else if e.young * 2 >= e.buyers {
        verdict.signals += 1;
        verdict.reasons.push(format!(
            "{} of {} accounts younger than {young_days} days",
            e.young, e.buyers
        ));
    } else if e.focused * 10 >= e.buyers * 8 {
        verdict.signals += 1;
        verdict.reasons.push(format!(
            "{} of {} accounts review mostly this store",
            e.focused, e.buyers
        ));
    }
    if co_reviewed >= 2 {
        verdict.signals += 1;
        verdict.reasons.push(format!(
            "the same accounts reviewed {co_reviewed} stores together"
        ));
    }
    verdict
}
