//! Facet counts over every match, in the same pass as the top hits.
//!
//! Counts reflect the query with all its filters applied (a buyer sees how
//! many results each further choice leaves), read from fast fields.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::doc::{Badges, CountryCode, UNKNOWN_COUNTRY};

/// Upper price bounds of the price buckets, in minor units; the last bucket
/// is open.
pub const PRICE_BUCKET_BOUNDS_MINOR: [u64; 4] = [1_000, 2_500, 5_000, 10_000];
/// "Delivered within" choices, in days.
pub const DELIVERY_WITHIN_DAYS: [u32; 3] = [7, 14, 30];
/// "Rated at least" choices, stars × 100.
pub const RATING_AT_LEAST_X100: [u32; 3] = [450, 400, 300];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriceBucket {
    pub min_minor: u64,
    /// Exclusive; `None` for the open top bucket.
    pub max_minor: Option<u64>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Facets {
    /// (category, matches), most first.
    pub categories: Vec<(String, u64)>,
    pub ships_from: Vec<(String, u64)>,
    pub price: Vec<PriceBucket>,
    /// (days, matches delivered within them); empty without a destination.
    pub delivery_within: Vec<(u32, u64)>,
    pub guaranteed_genuine: u64,
    pub verified_seller: u64,
    /// With free shipping to the destination (anywhere without one).
    pub free_shipping: u64,
    /// (stars × 100, matches rated at least that).
    pub rating_at_least: Vec<(u32, u64)>,
}

/// Counts the facets of every match. The destination's facets (delivery
/// within N days, free shipping there) are counted here only when
/// `destination` is set, which the search does when words keep the matches
/// few; over most of the catalog it counts them as narrowed queries
/// instead (see [`crate::SearchIndex::search`]).
pub(crate) struct FacetCollector {
    pub destination: Option<CountryCode>,
}

/// The facets that depend on the buyer's country.
pub(crate) struct DestinationCounts {
    pub delivery_within: Vec<(u32, u64)>,
    pub free_shipping: u64,
}

#[derive(Default)]
pub(crate) struct Tally {
    total: u64,
    categories: BTreeMap<String, u64>,
    ships_from: BTreeMap<String, u64>,
    price: [u64; PRICE_BUCKET_BOUNDS_MINOR.len() + 1],
    delivery_within: [u64; DELIVERY_WITHIN_DAYS.len()],
    genuine: u64,
    verified: u64,
    free_shipping: u64,
    rating_at_least: [u64; RATING_AT_LEAST_X100.len()],
}

pub(crate) struct SegmentTally {
    destination: Option<CountryCode>,
    /// Read only with a destination.
    delivery: Option<Column<u64>>,
    category: Option<StrColumn>,
    ships_from: Option<StrColumn>,
    price: Column<u64>,
    badges: Column<u64>,
    /// Counts by term ordinal; turned into strings once, at harvest.
    category_by_ord: Vec<u64>,
    ships_from_by_ord: Vec<u64>,
    tally: Tally,
    /// Scratch for reading a block of matches column by column.
    buffer: Vec<Option<u64>>,
}

fn ord_counts(column: &Option<StrColumn>) -> Vec<u64> {
    column
        .as_ref()
        .map_or(Vec::new(), |c| vec![0; c.num_terms()])
}

fn name_ords(column: &Option<StrColumn>, counts: &[u64], into: &mut BTreeMap<String, u64>) {
    let Some(column) = column else { return };
    let mut name = String::new();
    for (ord, &count) in counts.iter().enumerate() {
        if count > 0
            && column.ord_to_str(ord as u64, &mut name).unwrap_or(false)
            && name != UNKNOWN_COUNTRY
        {
            *into.entry(name.clone()).or_default() += count;
        }
    }
}

impl Collector for FacetCollector {
    type Fruit = Tally;
    type Child = SegmentTally;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTally> {
        let fast = reader.fast_fields();
        let category = fast.str("category")?;
        let ships_from = fast.str("ships_from")?;
        let delivery = match self.destination {
            Some(_) => Some(fast.u64("delivery")?),
            None => None,
        };
        Ok(SegmentTally {
            destination: self.destination,
            delivery,
            category_by_ord: ord_counts(&category),
            ships_from_by_ord: ord_counts(&ships_from),
            category,
            ships_from,
            price: fast.u64("price_minor")?,
            badges: fast.u64("badges")?,
            tally: Tally::default(),
            buffer: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Tally>) -> tantivy::Result<Tally> {
        let mut all = Tally::default();
        for part in segments {
            all.total += part.total;
            for (name, n) in part.categories {
                *all.categories.entry(name).or_default() += n;
            }
            for (name, n) in part.ships_from {
                *all.ships_from.entry(name).or_default() += n;
            }
            add_into(&mut all.price, &part.price);
            add_into(&mut all.rating_at_least, &part.rating_at_least);
            add_into(&mut all.delivery_within, &part.delivery_within);
            all.genuine += part.genuine;
            all.verified += part.verified;
            all.free_shipping += part.free_shipping;
        }
        Ok(all)
    }
}

fn add_into(into: &mut [u64], part: &[u64]) {
    for (a, b) in into.iter_mut().zip(part) {
        *a += b;
    }
}

/// Count one column's term ordinals over a block of matches.
fn count_block_ords(
    column: &Option<StrColumn>,
    docs: &[DocId],
    buffer: &mut [Option<u64>],
    counts: &mut [u64],
) {
    if let Some(column) = column {
        column.ords().first_vals(docs, buffer);
        for ord in buffer.iter().flatten() {
            counts[*ord as usize] += 1;
        }
    }
}

/// (fastest delivery days, free) to `country`, from the packed values: its
/// own line, else the rest-of-world one.
fn delivery_to(column: &Column<u64>, doc: DocId, country: CountryCode) -> Option<(u64, bool)> {
    let line = |code: CountryCode| {
        let low = code.packed() * 512;
        column
            .values_for_doc(doc)
            .find(|v| (low..low + 512).contains(v))
            .map(|v| ((v - low) / 2, v & 1 == 1))
    };
    line(country).or_else(|| line(CountryCode::REST_OF_WORLD))
}

impl SegmentTally {
    fn count_badges(&mut self, badges: Badges) {
        let t = &mut self.tally;
        t.genuine += u64::from(badges.genuine());
        t.verified += u64::from(badges.verified());
        if self.destination.is_none() {
            t.free_shipping += u64::from(badges.free_anywhere());
        }
        let rating = badges.rating_x100();
        for (slot, min) in t.rating_at_least.iter_mut().zip(RATING_AT_LEAST_X100) {
            *slot += u64::from(rating >= u64::from(min));
        }
    }
}

impl SegmentCollector for SegmentTally {
    type Fruit = Tally;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.collect_block(&[doc]);
    }

    /// Read each column for the whole block at once: dense columns decode
    /// a run of values far faster than one lookup per document.
    fn collect_block(&mut self, docs: &[DocId]) {
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        buffer.resize(docs.len(), None);
        self.tally.total += docs.len() as u64;
        count_block_ords(&self.category, docs, &mut buffer, &mut self.category_by_ord);
        buffer.fill(None);
        count_block_ords(
            &self.ships_from,
            docs,
            &mut buffer,
            &mut self.ships_from_by_ord,
        );
        buffer.fill(None);
        self.price.first_vals(docs, &mut buffer);
        for price in buffer.iter().flatten() {
            let bucket = PRICE_BUCKET_BOUNDS_MINOR.partition_point(|&bound| *price >= bound);
            self.tally.price[bucket] += 1;
        }
        buffer.fill(None);
        self.badges.first_vals(docs, &mut buffer);
        for badges in buffer.iter().flatten() {
            self.count_badges(Badges(*badges));
        }
        if let (Some(country), Some(delivery)) = (self.destination, &self.delivery) {
            let t = &mut self.tally;
            for &doc in docs {
                let Some((days, free)) = delivery_to(delivery, doc, country) else {
                    continue;
                };
                t.free_shipping += u64::from(free);
                for (slot, within) in t.delivery_within.iter_mut().zip(DELIVERY_WITHIN_DAYS) {
                    *slot += u64::from(days <= u64::from(within));
                }
            }
        }
        self.buffer = buffer;
    }

    fn harvest(mut self) -> Tally {
        name_ords(
            &self.category,
            &self.category_by_ord,
            &mut self.tally.categories,
        );
        name_ords(
            &self.ships_from,
            &self.ships_from_by_ord,
            &mut self.tally.ships_from,
        );
        self.tally
    }
}

fn most_first(counts: BTreeMap<String, u64>) -> Vec<(String, u64)> {
    let mut out: Vec<_> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

impl Tally {
    pub(crate) fn total(&self) -> u64 {
        self.total
    }

    /// The destination's facets as this tally counted them.
    pub(crate) fn destination_counts(&self) -> DestinationCounts {
        DestinationCounts {
            delivery_within: DELIVERY_WITHIN_DAYS
                .into_iter()
                .zip(self.delivery_within)
                .collect(),
            free_shipping: self.free_shipping,
        }
    }

    /// The facets; `destination` replaces the delivery and free-shipping
    /// counts when the buyer named a country.
    pub(crate) fn into_facets(self, destination: Option<DestinationCounts>) -> Facets {
        let mut lower = 0;
        let price = self
            .price
            .iter()
            .enumerate()
            .map(|(i, &count)| {
                let max_minor = PRICE_BUCKET_BOUNDS_MINOR.get(i).copied();
                let bucket = PriceBucket {
                    min_minor: lower,
                    max_minor,
                    count,
                };
                lower = max_minor.unwrap_or(lower);
                bucket
            })
            .collect();
        Facets {
            categories: most_first(self.categories),
            ships_from: most_first(self.ships_from),
            price,
            delivery_within: destination
                .as_ref()
                .map_or(Vec::new(), |d| d.delivery_within.clone()),
            guaranteed_genuine: self.genuine,
            verified_seller: self.verified,
            free_shipping: destination.map_or(self.free_shipping, |d| d.free_shipping),
            rating_at_least: RATING_AT_LEAST_X100
                .into_iter()
                .zip(self.rating_at_least)
                .collect(),
        }
    }
}
