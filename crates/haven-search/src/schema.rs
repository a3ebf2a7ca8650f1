//! The index's fields and its English analyser.

use tantivy::Index;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};

/// The analyser both documents and queries go through.
pub(crate) const ANALYSER: &str = "haven_en";

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub listing_id: Field,
    pub store_id: Field,
    pub title: Field,
    /// Description, category and store name: matched, weighted below title.
    pub body: Field,
    pub category: Field,
    pub ships_from: Field,
    pub price_minor: Field,
    /// `country * 512 + days * 2 + free` for every country the listing
    /// ships to (days: the fastest method's worst case), so "to DE within
    /// 10 days" is one range. Indexed and fast: the search picks the plan
    /// (see `query::delivered_within`).
    pub delivery: Field,
    /// Countries with a free method, plus [`crate::doc::ANY_COUNTRY`]
    /// (filtering only).
    pub free_to: Field,
    /// For listings with a rest-of-world line only: the countries they name,
    /// which that line does not cover (a term, cheap to exclude by).
    pub named: Field,
    pub genuine: Field,
    pub verified_seller: Field,
    /// Average stars × 100; 0 when the listing has no counted review.
    pub rating_x100: Field,
    /// The single-valued facts the facets count, packed into one fast
    /// column (see [`crate::doc::Badges`]): one read per match, not four.
    pub badges: Field,
    pub units_sold: Field,
    pub created_s: Field,
    /// When the indexed price goes stale by the clock (a flash deal starts
    /// or ends): indexed only, and only on listings with such a moment.
    pub reprice_at_s: Field,
}

pub(crate) fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    // Term frequencies, no positions: ranking needs BM25, not phrases, and
    // positions would double the postings.
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYSER)
            .set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        listing_id: builder.add_text_field("listing_id", STRING | STORED),
        store_id: builder.add_text_field("store_id", STRING),
        title: builder.add_text_field("title", text.clone()),
        body: builder.add_text_field("body", text),
        category: builder.add_text_field("category", STRING | FAST),
        ships_from: builder.add_text_field("ships_from", STRING | FAST),
        price_minor: builder.add_u64_field("price_minor", INDEXED | FAST),
        delivery: builder.add_u64_field("delivery", INDEXED | FAST),
        free_to: builder.add_u64_field("free_to", INDEXED),
        named: builder.add_u64_field("named", INDEXED),
        genuine: builder.add_u64_field("genuine", INDEXED),
        verified_seller: builder.add_u64_field("verified_seller", INDEXED),
        rating_x100: builder.add_u64_field("rating_x100", INDEXED | FAST),
        badges: builder.add_u64_field("badges", FAST),
        units_sold: builder.add_u64_field("units_sold", FAST),
        created_s: builder.add_i64_field("created_s", FAST),
        reprice_at_s: builder.add_i64_field("reprice_at_s", INDEXED),
    };
    (builder.build(), fields)
}

/// Tokenizers are not stored in the index: register ours on every open.
pub(crate) fn register_analyser(index: &Index) {
    let stop_words =
        StopWordFilter::new(Language::English).expect("tantivy ships an English stop-word list");
    let analyser = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(stop_words)
        .filter(Stemmer::new(Language::English))
        .build();
    index.tokenizers().register(ANALYSER, analyser);
}
