//! The catalog search index.
//!
//! One tantivy document per visible listing: full text (title; description,
//! category and store name) analysed for English with stemming, plus the
//! fast fields the facets, filters and sorts read. The index knows nothing
//! about the database: the application turns listings into [`SearchDoc`]s,
//! feeds changes in with [`SearchIndex::apply`] under the outbox position
//! they reflect, and the position is committed with the documents (the
//! commit payload), so an index that restarts carries on where it stopped.
//!
//! What is *visible* (a held listing, a suspended store) is the caller's
//! decision: it removes such listings instead of upserting them.

mod doc;
mod facets;
mod index;
mod query;
mod schema;
pub mod synth;

pub use doc::{CountryCode, SearchDoc};
pub use facets::{Facets, PriceBucket};
pub use index::{Change, SearchError, SearchIndex};
pub use query::{
    MAX_OFFSET, MAX_PAGE, MAX_QUERY_CHARS, SearchHit, SearchQuery, SearchResults, Sort,
};
