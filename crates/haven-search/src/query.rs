//! A buyer's search, as tantivy queries.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, InvertedIndexRangeQuery,
    Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, Term};
use uuid::Uuid;

use crate::doc::{ANY_COUNTRY, CountryCode, MAX_DELIVERY_DAYS, delivery_value};
use crate::facets::Facets;
use crate::schema::Fields;

pub const MAX_QUERY_CHARS: usize = 200;
/// Words past this are ignored: each is a clause every hit must match.
pub const MAX_QUERY_TERMS: usize = 8;
pub const MAX_PAGE: usize = 100;
/// Deep paging costs a heap of offset + limit per segment; nobody reads
/// page fifty of a search.
pub const MAX_OFFSET: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Relevance with words; without words, the most sold first.
    #[default]
    BestMatch,
    MostSold,
    PriceAscending,
    PriceDescending,
    Rating,
    Newest,
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::BestMatch,
        Sort::MostSold,
        Sort::PriceAscending,
        Sort::PriceDescending,
        Sort::Rating,
        Sort::Newest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::BestMatch => "best_match",
            Sort::MostSold => "orders",
            Sort::PriceAscending => "price_asc",
            Sort::PriceDescending => "price_desc",
            Sort::Rating => "rating",
            Sort::Newest => "newest",
        }
    }

    pub fn parse(raw: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Everything a buyer can ask of the catalog at once. All filters combine
/// with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: String,
    pub category: Option<String>,
    pub store_id: Option<Uuid>,
    pub price_min_minor: Option<u64>,
    pub price_max_minor: Option<u64>,
    pub ships_from: Option<CountryCode>,
    /// The buyer's country: only listings that ship there, with delivery
    /// and free shipping judged for it.
    pub deliver_to: Option<CountryCode>,
    /// Delivered within this many days (needs `deliver_to`).
    pub max_delivery_days: Option<u32>,
    pub guaranteed_genuine: bool,
    pub verified_seller: bool,
    pub free_shipping: bool,
    pub min_rating_x100: Option<u32>,
    pub sort: Sort,
    pub offset: usize,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub listing_id: Uuid,
    /// BM25 relevance for best-match sorts, otherwise 0.
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// Listings matching the query and every filter.
    pub total: u64,
    pub hits: Vec<SearchHit>,
    pub facets: Facets,
}

/// A query word matches its stem exactly, or within one edit (two for
/// long words) anywhere in the title and the body.
fn word_clause(word: &str, f: &Fields) -> Box<dyn Query> {
    let chars = word.chars().count();
    let distance = match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    let mut options: Vec<(Occur, Box<dyn Query>)> = Vec::with_capacity(4);
    for (field, boost) in [(f.title, 3.0), (f.body, 1.0)] {
        let term = Term::from_field_text(field, word);
        let exact = TermQuery::new(term.clone(), IndexRecordOption::WithFreqs);
        options.push((
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(exact), boost)),
        ));
        if distance > 0 {
            // A typo scores a flat fraction of an exact hit in the same field.
            let fuzzy = FuzzyTermQuery::new(term, distance, true);
            options.push((
                Occur::Should,
                Box::new(ConstScoreQuery::new(Box::new(fuzzy), boost * 0.5)),
            ));
        }
    }
    Box::new(BooleanQuery::new(options))
}

fn clone_clauses(clauses: &[(Occur, Box<dyn Query>)]) -> Vec<(Occur, Box<dyn Query>)> {
    clauses
        .iter()
        .map(|(occur, q)| (*occur, q.box_clone()))
        .collect()
}

fn filter(query: Box<dyn Query>) -> (Occur, Box<dyn Query>) {
    (Occur::Must, Box::new(ConstScoreQuery::new(query, 0.0)))
}

fn term_u64(field: tantivy::schema::Field, value: u64) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_u64(field, value),
        IndexRecordOption::Basic,
    ))
}

fn range_u64(field: tantivy::schema::Field, low: Option<u64>, high: Option<u64>) -> Box<dyn Query> {
    let bound = |v: Option<u64>| match v {
        Some(v) => Bound::Included(Term::from_field_u64(field, v)),
        None => Bound::Unbounded,
    };
    Box::new(RangeQuery::new(bound(low), bound(high)))
}

/// The range of `country`'s delivery values up to `days`, as one of two
/// plans: next to words, whose few matches drive the search, each
/// candidate's values are checked in the fast column; without words the
/// range is most of the catalog, and a bitset built from the term
/// dictionary's postings is several times faster than scanning the
/// multi-valued column for every document.
fn delivery_range(f: &Fields, country: CountryCode, days: u32, has_words: bool) -> Box<dyn Query> {
    let days = days.min(MAX_DELIVERY_DAYS as u32);
    let low = Bound::Included(Term::from_field_u64(
        f.delivery,
        delivery_value(country, 0, false),
    ));
    let high = Bound::Included(Term::from_field_u64(
        f.delivery,
        delivery_value(country, days, true),
    ));
    if has_words {
        Box::new(RangeQuery::new(low, high))
    } else {
        Box::new(InvertedIndexRangeQuery::new(low, high))
    }
}

impl SearchQuery {
    /// The same search narrowed to delivery within `days` (never widened
    /// past the buyer's own limit).
    pub(crate) fn delivered_within(&self, days: u32) -> SearchQuery {
        SearchQuery {
            max_delivery_days: Some(self.max_delivery_days.map_or(days, |own| own.min(days))),
            ..self.clone()
        }
    }

    /// The same search narrowed to free shipping to the destination.
    pub(crate) fn with_free_shipping(&self) -> SearchQuery {
        SearchQuery {
            free_shipping: true,
            ..self.clone()
        }
    }

    /// The query's words, analysed as documents are, deduplicated and
    /// capped.
    pub(crate) fn words(&self, analyser: &mut TextAnalyzer) -> Vec<String> {
        let text: String = self.text.chars().take(MAX_QUERY_CHARS).collect();
        let mut words = Vec::new();
        let mut stream = analyser.token_stream(&text);
        while let Some(token) = stream.next() {
            if !words.contains(&token.text) {
                words.push(token.text.clone());
            }
            if words.len() == MAX_QUERY_TERMS {
                break;
            }
        }
        words
    }

    /// The search as disjoint queries whose union is the whole: one, or
    /// with a destination two (see below), so a count is a sum of
    /// conjunctions and never pays for a union.
    pub(crate) fn branches(
        &self,
        index: &Index,
        f: &Fields,
    ) -> tantivy::Result<Vec<Box<dyn Query>>> {
        let mut analyser = index.tokenizer_for_field(f.title)?;
        let words = self.words(&mut analyser);
        let has_words = !words.is_empty();
        let mut core: Vec<(Occur, Box<dyn Query>)> = words
            .iter()
            .map(|word| (Occur::Must, word_clause(word, f)))
            .collect();
        core.extend(self.filters(f));
        if !has_words {
            core.push((Occur::Must, Box::new(AllQuery)));
        }
        let Some(country) = self.deliver_to else {
            if self.free_shipping {
                core.push(filter(term_u64(f.free_to, ANY_COUNTRY)));
            }
            return Ok(vec![Box::new(BooleanQuery::new(core))]);
        };
        // The destination's own line, or (for a listing that does not name
        // it) its rest-of-world line: two disjoint branches, each a
        // conjunction the words (or the filters) drive, so neither range is
        // ever scanned in full. Few listings have a rest-of-world line, so
        // that branch reads small postings from the term dictionary.
        let days = self.max_delivery_days.unwrap_or(MAX_DELIVERY_DAYS as u32);
        let elsewhere = CountryCode::REST_OF_WORLD;
        let mut own = clone_clauses(&core);
        own.push(filter(delivery_range(f, country, days, has_words)));
        let mut other = core;
        other.push(filter(delivery_range(f, elsewhere, days, false)));
        other.push((Occur::MustNot, term_u64(f.named, country.packed())));
        if self.free_shipping {
            own.push(filter(term_u64(f.free_to, country.packed())));
            other.push(filter(term_u64(f.free_to, elsewhere.packed())));
        }
        Ok(vec![
            Box::new(BooleanQuery::new(own)),
            Box::new(BooleanQuery::new(other)),
        ])
    }

    /// Every filter but the destination's (see [`Self::to_query`]).
    fn filters(&self, f: &Fields) -> Vec<(Occur, Box<dyn Query>)> {
        let mut out = Vec::new();
        let text_term = |field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            ))
        };
        if let Some(category) = &self.category {
            out.push(filter(text_term(f.category, category)));
        }
        if let Some(store) = self.store_id {
            out.push(filter(text_term(f.store_id, &store.to_string())));
        }
        if let Some(country) = self.ships_from {
            out.push(filter(text_term(f.ships_from, &country.as_string())));
        }
        if self.price_min_minor.is_some() || self.price_max_minor.is_some() {
            out.push(filter(range_u64(
                f.price_minor,
                self.price_min_minor,
                self.price_max_minor,
            )));
        }
        if self.guaranteed_genuine {
            out.push(filter(term_u64(f.genuine, 1)));
        }
        if self.verified_seller {
            out.push(filter(term_u64(f.verified_seller, 1)));
        }
        if let Some(min) = self.min_rating_x100 {
            out.push(filter(range_u64(
                f.rating_x100,
                Some(u64::from(min.max(1))),
                None,
            )));
        }
        out
    }
}
