//! A seeded synthetic marketplace with planted brushing rings, for the
//! benchmark and tests.
//!
//! It is written from what is known about real marketplaces and real rings
//! (Zipf-like store popularity; most buyers buy once; households, offices
//! and carrier NAT sharing IPs; flash sales that bring hundreds of new
//! accounts in a few days; rings that buy aged accounts, spread purchases
//! over weeks, pad with reviews of popular stores), not from the
//! detector's rules: honest data is full of the detector's single signals
//! (young one-store accounts, bursts, shared IPs, 5★ walls at good stores),
//! and each ring style lacks some of them.
//!
//! Names carry no label: buyers, stores and identifiers of honest people
//! and ring accounts come from the same counters.

use super::ReviewRecord;

const DAY: i64 = 86_400;
/// 2023-11-14: the start of the simulated year.
const START_TS: i64 = 1_700_000_000;
const YEAR_SECS: i64 = 365 * DAY;
const END_TS: i64 = START_TS + YEAR_SECS;

/// How a ring operates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RingStyle {
    /// Fresh accounts, all 5★, a burst within days, devices and cards
    /// shared heavily, nothing else.
    Naive,
    /// Accounts also review several honest (mostly popular) stores.
    Camouflage,
    /// Accounts created months earlier, with some history; purchases spread
    /// over weeks; only some share an address or IP.
    Aged,
    /// Many accounts writing one review each to one of a few colluding
    /// stores, few shared identifiers.
    Sparse,
    /// Some 4★ and 3★ among the 5★ to look natural.
    MixedRatings,
}

impl RingStyle {
    pub const ALL: [RingStyle; 5] = [
        RingStyle::Naive,
        RingStyle::Camouflage,
        RingStyle::Aged,
        RingStyle::Sparse,
        RingStyle::MixedRatings,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RingStyle::Naive => "naive",
            RingStyle::Camouflage => "camouflage",
            RingStyle::Aged => "aged",
            RingStyle::Sparse => "sparse",
            RingStyle::MixedRatings => "mixed-ratings",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SynthParams {
    /// Total reviews, approximately (rings are whole).
    pub reviews: usize,
    pub seed: u64,
    /// Stores; by default one per 100 reviews.
    pub stores: Option<usize>,
    /// Share of reviews that are ring reviews of target stores.
    pub brushing_share: f64,
    /// Share of reviews from flash sales at honest stores.
    pub flash_sale_share: f64,
}

impl Default for SynthParams {
    fn default() -> Self {
        SynthParams {
            reviews: 100_000,
            seed: 1,
            stores: None,
            brushing_share: 0.02,
            flash_sale_share: 0.03,
        }
    }
}

/// The label of one review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Truth {
    /// The ring whose account wrote it (camouflage reviews included).
    pub ring: Option<u32>,
    /// A ring review of one of the ring's target stores: what should be
    /// flagged.
    pub positive: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Ring {
    pub style: RingStyle,
    pub targets: Vec<String>,
    pub accounts: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Marketplace {
    pub reviews: Vec<ReviewRecord>,
    /// One per review, same order.
    pub truth: Vec<Truth>,
    pub rings: Vec<Ring>,
}

/// Generate a marketplace; the same parameters give the same marketplace.
pub fn generate(params: &SynthParams) -> Marketplace {
    let mut world = World::new(params);
    let ring_quota = (params.reviews as f64 * params.brushing_share) as usize;
    for (i, style) in RingStyle::ALL.into_iter().enumerate() {
        // Equal shares per style; the last takes the rounding.
        let quota = ring_quota / RingStyle::ALL.len()
            + usize::from(i == 0) * (ring_quota % RingStyle::ALL.len());
        let mut planted = 0;
        while planted < quota {
            planted += world.plant_ring(style, quota - planted);
        }
    }
    let flash_quota = (params.reviews as f64 * params.flash_sale_share) as usize;
    while world.flash_reviews < flash_quota {
        world.flash_sale(flash_quota - world.flash_reviews);
    }
    while world.reviews.len() < params.reviews {
        world.honest_household();
    }
    world.finish()
}

/// SplitMix64: small, fast, good enough for simulation, and stable across
/// platforms and versions (unlike a dependency's default RNG).
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5851_F42D_4C95_7F2D)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in [lo, hi] (inclusive).
    pub fn between(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.unit() * (hi - lo + 1) as f64) as usize
    }

    pub fn secs(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.unit() * (hi - lo).max(0) as f64) as i64
    }

    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.unit()).ln()
    }

    /// Index drawn with the given cumulative weights.
    fn pick(&mut self, cumulative: &[f64]) -> usize {
        let x = self.unit() * cumulative[cumulative.len() - 1];
        cumulative
            .partition_point(|&c| c <= x)
            .min(cumulative.len() - 1)
    }
}

fn zipf_cumulative(n: usize, exponent: f64) -> Vec<f64> {
    let mut total = 0.0;
    (1..=n)
        .map(|rank| {
            total += (rank as f64).powf(-exponent);
            total
        })
        .collect()
}

/// Rating distributions (1★..5★) by store quality: most shops are good,
/// every shop has a tail of unhappy buyers.
const QUALITY: [[f64; 5]; 3] = [
    [0.03, 0.02, 0.05, 0.20, 0.70],
    [0.07, 0.06, 0.12, 0.30, 0.45],
    [0.25, 0.15, 0.15, 0.20, 0.25],
];

struct Store {
    name: String,
    quality: usize,
    opened_ts: i64,
    products: usize,
    /// Flash-sale and target stores are kept apart so a label stays clean.
    reserved: bool,
}

/// The identifiers one review carries.
#[derive(Clone, Default)]
struct Ids {
    device: String,
    card: String,
    address: String,
    ip: String,
}

struct World {
    rng: Rng,
    stores: Vec<Store>,
    popularity: Vec<f64>,
    reviews: Vec<ReviewRecord>,
    truth: Vec<Truth>,
    rings: Vec<Ring>,
    next_id: u64,
    offices: Vec<f64>,
    office_names: Vec<String>,
    nat_pool: Vec<f64>,
    nat_names: Vec<String>,
    flash_reviews: usize,
}

impl World {
    fn new(params: &SynthParams) -> World {
        let mut rng = Rng::new(params.seed);
        let n_stores = params.stores.unwrap_or(params.reviews / 100).max(40);
        let mut world = World {
            stores: Vec::with_capacity(n_stores),
            popularity: zipf_cumulative(n_stores, 0.9),
            reviews: Vec::with_capacity(params.reviews + params.reviews / 20),
            truth: Vec::with_capacity(params.reviews + params.reviews / 20),
            rings: Vec::new(),
            next_id: 0,
            // Offices: a few large, many small (Zipf sizes).
            offices: zipf_cumulative((params.reviews / 200).max(10), 1.0),
            office_names: Vec::new(),
            // Carrier NAT: a few hundred addresses shared by everyone on
            // mobile data.
            nat_pool: zipf_cumulative(200 + params.reviews / 20_000, 0.8),
            nat_names: Vec::new(),
            flash_reviews: 0,
            rng: Rng::new(0),
        };
        world.office_names = (0..world.offices.len())
            .map(|_| world.fresh("ip"))
            .collect();
        world.nat_names = (0..world.nat_pool.len())
            .map(|_| world.fresh("ip"))
            .collect();
        for _ in 0..n_stores {
            let quality = rng.pick(&[0.6, 0.9, 1.0]);
            let opened_ts = if rng.chance(0.8) {
                START_TS - rng.secs(0, 3 * YEAR_SECS)
            } else {
                rng.secs(START_TS, END_TS - 30 * DAY)
            };
            let name = world.fresh("s");
            let products = rng.between(1, 40);
            world.stores.push(Store {
                name,
                quality,
                opened_ts,
                products,
                reserved: false,
            });
        }
        world.rng = rng;
        world
    }

    /// A new opaque name; one counter for every kind of entity, so names
    /// say nothing about honesty.
    fn fresh(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        // Scramble so neighbouring entities do not get neighbouring names.
        let scrambled = self
            .next_id
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(17)
            & 0xFF_FFFF_FFFF;
        format!("{prefix}{scrambled:x}")
    }

    fn popular_store(&mut self) -> usize {
        self.rng.pick(&self.popularity)
    }

    fn rating(&mut self, quality: usize) -> u8 {
        let mut cumulative = [0.0; 5];
        let mut total = 0.0;
        for (slot, p) in cumulative.iter_mut().zip(QUALITY[quality]) {
            total += p;
            *slot = total;
        }
        self.rng.pick(&cumulative) as u8 + 1
    }

    fn nat_ip(&mut self) -> String {
        let i = self.rng.pick(&self.nat_pool);
        self.nat_names[i].clone()
    }

    /// Exports lose fields: some identifiers are missing or empty.
    fn blur(&mut self, value: String) -> Option<String> {
        let x = self.rng.unit();
        if x < 0.04 {
            None
        } else if x < 0.06 {
            Some(String::new())
        } else {
            Some(value)
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        buyer: &str,
        created_ts: i64,
        store: usize,
        rating: u8,
        ts: i64,
        ids: Ids,
        truth: Truth,
    ) {
        let product = format!(
            "{}-p{}",
            self.stores[store].name,
            self.rng.between(1, self.stores[store].products)
        );
        let review = ReviewRecord {
            id: self.fresh("r"),
            order_id: self.fresh("o"),
            buyer: buyer.to_string(),
            store: self.stores[store].name.clone(),
            product,
            rating,
            ts,
            buyer_created_ts: Some(created_ts),
            device: self.blur(ids.device),
            ip: self.blur(ids.ip),
            address: self.blur(ids.address),
            card: self.blur(ids.card),
        };
        self.reviews.push(review);
        self.truth.push(truth);
    }

    fn finish(mut self) -> Marketplace {
        // Time order, as an export would be.
        let mut order: Vec<usize> = (0..self.reviews.len()).collect();
        order.sort_by_key(|&i| (self.reviews[i].ts, i));
        let mut reviews = Vec::with_capacity(order.len());
        let mut truth = Vec::with_capacity(order.len());
        for i in order {
            reviews.push(std::mem::replace(&mut self.reviews[i], empty_review()));
            truth.push(self.truth[i]);
        }
        Marketplace {
            reviews,
            truth,
            rings: self.rings,
        }
    }
}

fn empty_review() -> ReviewRecord {
    ReviewRecord {
        id: String::new(),
        order_id: String::new(),
        buyer: String::new(),
        store: String::new(),
        product: String::new(),
        rating: 5,
        ts: 0,
        buyer_created_ts: None,
        device: None,
        ip: None,
        address: None,
        card: None,
    }
}

mod honest;
mod rings;
