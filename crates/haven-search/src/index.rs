//! The index itself: open, change under an outbox position, search.

use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;

use tantivy::collector::{Collector, Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::query::{InvertedIndexRangeQuery, Query};
use tantivy::schema::{Schema, Value};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term,
};
use uuid::Uuid;

use crate::doc::SearchDoc;
use crate::facets::{DELIVERY_WITHIN_DAYS, DestinationCounts, FacetCollector};
use crate::query::{MAX_OFFSET, MAX_PAGE, SearchHit, SearchQuery, SearchResults, Sort};
use crate::schema::{self, Fields};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Directory(String),
}

pub type SearchResult<T> = Result<T, SearchError>;

/// One change to the index.
#[derive(Debug, Clone)]
pub enum Change {
    /// Add the listing, replacing what the index held for it.
    Upsert(Box<SearchDoc>),
    /// The listing is no longer visible (held, or its store suspended).
    Remove(Uuid),
    /// Drop every listing of a store (before its visible ones are upserted
    /// again, or for good when it is suspended).
    RemoveStore(Uuid),
}

/// Memory the writer may buffer before it flushes a segment, per thread.
const WRITER_BYTES_PER_THREAD: usize = 40_000_000;

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    /// Created on the first write: an index nobody writes to (most test
    /// apps) then costs no indexing threads or buffers.
    writer: Mutex<Option<IndexWriter>>,
}

impl SearchIndex {
    /// An index in memory: empty at start, so its owner rebuilds it.
    pub fn in_memory() -> SearchIndex {
        let (schema, _) = schema::build();
        Self::wrap(Index::create_in_ram(schema)).expect("a RAM index opens")
    }

    /// The index in `dir`, created if missing. Only one process may write
    /// to a directory at a time (tantivy holds a lock file while a writer
    /// is open).
    pub fn open_dir(dir: &Path) -> SearchResult<SearchIndex> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
        let directory = MmapDirectory::open(dir)
            .map_err(|e| SearchError::Directory(format!("{}: {e}", dir.display())))?;
        let (schema, _) = schema::build();
        let index = Index::open_or_create(directory, schema.clone())?;
        if !same_fields(&index.schema(), &schema) {
            return Err(SearchError::Directory(format!(
                "{} holds an index of another version: delete it and run `haven search rebuild`",
                dir.display()
            )));
        }
        Self::wrap(index)
    }

    fn wrap(index: Index) -> SearchResult<SearchIndex> {
        schema::register_analyser(&index);
        let (_, fields) = schema::build();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            writer: Mutex::new(None),
        })
    }

    /// The outbox position the committed documents reflect; `None` for an
    /// index never built.
    pub fn position(&self) -> SearchResult<Option<i64>> {
        let metas = self.index.load_metas()?;
        Ok(metas.payload.and_then(|p| p.parse().ok()))
    }

    /// Listings in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn with_writer<T>(
        &self,
        work: impl FnOnce(&mut IndexWriter, &Fields) -> SearchResult<T>,
    ) -> SearchResult<T> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
            *guard = Some(
                self.index
                    .writer_with_num_threads(threads, threads * WRITER_BYTES_PER_THREAD)?,
            );
        }
        let writer = guard.as_mut().expect("writer was just created");
        match work(writer, &self.fields) {
            Ok(value) => Ok(value),
            Err(err) => {
                // Drop half-applied changes, so the next attempt starts clean.
                let _ = writer.rollback();
                Err(err)
            }
        }
    }

    fn commit(&self, writer: &mut IndexWriter, position: i64) -> SearchResult<()> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&position.to_string());
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Apply changes and record that the index now reflects the outbox up
    /// to `position`, in one commit.
    pub fn apply(&self, changes: &[Change], position: i64) -> SearchResult<()> {
        self.with_writer(|writer, f| {
            for change in changes {
                match change {
                    Change::Upsert(doc) => {
                        writer.delete_term(id_term(f, doc.listing_id));
                        writer.add_document(doc.to_document(f))?;
                    }
                    Change::Remove(id) => {
                        writer.delete_term(id_term(f, *id));
                    }
                    Change::RemoveStore(store) => {
                        writer.delete_term(Term::from_field_text(f.store_id, &store.to_string()));
                    }
                }
            }
            self.commit(writer, position)
        })
    }

    /// Replace the whole index with `batches`, reflecting the outbox up
    /// to `position`. Searches see the old index until the commit.
    pub fn rebuild(
        &self,
        batches: impl IntoIterator<Item = Vec<SearchDoc>>,
        position: i64,
    ) -> SearchResult<u64> {
        self.begin_rebuild()?;
        let mut added = 0;
        for batch in batches {
            self.add_documents(&batch)?;
            added += batch.len() as u64;
        }
        self.finish_rebuild(position)?;
        Ok(added)
    }

    /// A rebuild fed batch by batch, for callers that read listings
    /// asynchronously: delete everything (not yet visibly), then
    /// [`Self::add_documents`], then [`Self::finish_rebuild`]. The caller
    /// keeps other writes out meanwhile: an [`Self::apply`] in between
    /// would commit the half-built index.
    pub fn begin_rebuild(&self) -> SearchResult<()> {
        self.with_writer(|writer, _| {
            writer.delete_all_documents()?;
            Ok(())
        })
    }

    pub fn add_documents(&self, docs: &[SearchDoc]) -> SearchResult<()> {
        self.with_writer(|writer, f| {
            for doc in docs {
                writer.add_document(doc.to_document(f))?;
            }
            Ok(())
        })
    }

    /// Drop every change not yet committed (a rebuild that failed half way).
    pub fn rollback(&self) -> SearchResult<()> {
        self.with_writer(|writer, _| {
            writer.rollback()?;
            Ok(())
        })
    }

    /// Make a rebuild visible, at outbox `position`.
    pub fn finish_rebuild(&self, position: i64) -> SearchResult<()> {
        self.with_writer(|writer, _| self.commit(writer, position))
    }

    pub fn search(&self, query: &SearchQuery) -> SearchResult<SearchResults> {
        let searcher = self.reader.searcher();
        let limit = query.limit.clamp(1, MAX_PAGE);
        let offset = query.offset.min(MAX_OFFSET);
        let has_words = !words_of(&self.index, &self.fields, query)?.is_empty();
        // Each disjoint branch yields its own top `offset + limit` and
        // tally; merged, they are the union's, without paying for a union.
        let mut ranked = Vec::new();
        let mut tallies = Vec::new();
        for branch in query.branches(&self.index, &self.fields)? {
            let (hits, tally) =
                self.run_branch(&searcher, &*branch, query, has_words, offset + limit)?;
            ranked.extend(hits);
            tallies.push(tally);
        }
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.2.cmp(&b.2)));
        let hits: Vec<(f32, DocAddress)> = ranked
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(_, score, address)| (score, address))
            .collect();
        let tally = FacetCollector { destination: None }.merge_fruits(tallies)?;
        let hits = hits
            .into_iter()
            .map(|(score, address)| {
                Ok(SearchHit {
                    listing_id: self.listing_id_at(&searcher, address)?,
                    score,
                })
            })
            .collect::<SearchResult<Vec<_>>>()?;
        let destination = match query.deliver_to {
            None => None,
            Some(_) if has_words => Some(tally.destination_counts()),
            Some(_) => Some(self.destination_counts(&searcher, query)?),
        };
        Ok(SearchResults {
            total: tally.total(),
            hits,
            facets: tally.into_facets(destination),
        })
    }

    fn listing_id_at(
        &self,
        searcher: &tantivy::Searcher,
        address: DocAddress,
    ) -> SearchResult<Uuid> {
        let doc: TantivyDocument = searcher.doc(address)?;
        let id = doc
            .get_first(self.fields.listing_id)
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| {
                tantivy::TantivyError::InternalError("a document without its id".into())
            })?;
        Ok(id)
    }

    /// Up to `limit` listings whose indexed price the clock has made stale
    /// by `now_s` (a flash deal started or ended since they were indexed),
    /// for the owner to index afresh. Each node asks its own index, so every
    /// node reprices on its own clock without an event to wait for.
    pub fn due_for_reprice(&self, now_s: i64, limit: usize) -> SearchResult<Vec<Uuid>> {
        let searcher = self.reader.searcher();
        let query = InvertedIndexRangeQuery::new(
            Bound::Unbounded,
            Bound::Included(Term::from_field_i64(self.fields.reprice_at_s, now_s)),
        );
        let top = TopDocs::with_limit(limit.max(1)).order_by_score();
        searcher
            .search(&query, &top)?
            .into_iter()
            .map(|(_, address)| self.listing_id_at(&searcher, address))
            .collect()
    }

    /// Up to `limit` listings whose price the clock will change after
    /// `now_s`: those on a flash deal that is running or about to start
    /// (the home page's deals; the caller keeps the running ones).
    pub fn price_changes_after(&self, now_s: i64, limit: usize) -> SearchResult<Vec<Uuid>> {
        let searcher = self.reader.searcher();
        let query = InvertedIndexRangeQuery::new(
            Bound::Excluded(Term::from_field_i64(self.fields.reprice_at_s, now_s)),
            Bound::Unbounded,
        );
        let top = TopDocs::with_limit(limit.max(1)).order_by_score();
        searcher
            .search(&query, &top)?
            .into_iter()
            .map(|(_, address)| self.listing_id_at(&searcher, address))
            .collect()
    }

    /// One branch's top hits (ranked, larger first) and facet tally.
    fn run_branch(
        &self,
        searcher: &tantivy::Searcher,
        q: &dyn Query,
        query: &SearchQuery,
        has_words: bool,
        wanted: usize,
    ) -> SearchResult<(Vec<Ranked>, crate::facets::Tally)> {
        let top = || TopDocs::with_limit(wanted.max(1));
        let facets = FacetCollector {
            destination: query.deliver_to.filter(|_| has_words),
        };
        let by_u64 = |field: &'static str, order| top().order_by_fast_field::<u64>(field, order);
        let ascending = query.sort == Sort::PriceAscending;
        match query.sort {
            Sort::BestMatch if has_words => {
                run_sorted(searcher, q, top().order_by_score(), facets, false)
            }
            Sort::BestMatch | Sort::MostSold => run_sorted(
                searcher,
                q,
                by_u64("units_sold", Order::Desc),
                facets,
                false,
            ),
            Sort::PriceAscending => run_sorted(
                searcher,
                q,
                by_u64("price_minor", Order::Asc),
                facets,
                ascending,
            ),
            Sort::PriceDescending => run_sorted(
                searcher,
                q,
                by_u64("price_minor", Order::Desc),
                facets,
                false,
            ),
            Sort::Rating => run_sorted(
                searcher,
                q,
                by_u64("rating_x100", Order::Desc),
                facets,
                false,
            ),
            Sort::Newest => run_sorted(
                searcher,
                q,
                top().order_by_fast_field::<i64>("created_s", Order::Desc),
                facets,
                false,
            ),
        }
    }

    /// The delivery and free-shipping facets for the buyer's country, as
    /// counts of the search narrowed by each choice: no per-match reads of
    /// the multi-valued destinations, and each narrower range is cheaper
    /// to build than the search's own.
    fn destination_counts(
        &self,
        searcher: &tantivy::Searcher,
        query: &SearchQuery,
    ) -> SearchResult<DestinationCounts> {
        let count = |narrowed: SearchQuery| -> SearchResult<u64> {
            let mut total = 0;
            for branch in narrowed.branches(&self.index, &self.fields)? {
                total += searcher.search(&*branch, &Count)? as u64;
            }
            Ok(total)
        };
        let mut delivery_within = Vec::with_capacity(DELIVERY_WITHIN_DAYS.len());
        for days in DELIVERY_WITHIN_DAYS {
            delivery_within.push((days, count(query.delivered_within(days))?));
        }
        Ok(DestinationCounts {
            delivery_within,
            free_shipping: count(query.with_free_shipping())?,
        })
    }
}

fn words_of(index: &Index, f: &Fields, query: &SearchQuery) -> SearchResult<Vec<String>> {
    let mut analyser = index.tokenizer_for_field(f.title)?;
    Ok(query.words(&mut analyser))
}

fn id_term(f: &Fields, id: Uuid) -> Term {
    Term::from_field_text(f.listing_id, &id.to_string())
}

/// An index written by another version of this schema must be rebuilt.
fn same_fields(a: &Schema, b: &Schema) -> bool {
    let entries = |s: &Schema| {
        s.fields()
            .map(|(_, entry)| format!("{entry:?}"))
            .collect::<Vec<_>>()
    };
    entries(a) == entries(b)
}

/// Run a top-hits collector with the facet collector, keeping (score, address).
/// A hit with its rank in the order asked for (larger first), and its
/// relevance score.
type Ranked = (i128, f32, DocAddress);

/// Run a top-hits collector with the facet collector.
fn run_sorted<C, K>(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    top: C,
    facets: FacetCollector,
    ascending: bool,
) -> SearchResult<(Vec<Ranked>, crate::facets::Tally)>
where
    C: Collector<Fruit = Vec<(K, DocAddress)>>,
    K: SortKey,
{
    let (top, tally) = searcher.search(query, &(top, facets))?;
    Ok((
        top.into_iter()
            .map(|(key, address)| {
                let rank = key.rank();
                let rank = if ascending { rank.map(|r| -r) } else { rank };
                // A document without the value sorts last either way.
                (rank.unwrap_or(i128::MIN), key.score(), address)
            })
            .collect(),
        tally,
    ))
}

trait SortKey {
    fn rank(&self) -> Option<i128>;
    fn score(&self) -> f32 {
        0.0
    }
}

impl SortKey for f32 {
    fn rank(&self) -> Option<i128> {
        // BM25 scores are finite and non-negative: their bits sort as they do.
        Some(i128::from(self.max(0.0).to_bits()))
    }

    fn score(&self) -> f32 {
        *self
    }
}

impl SortKey for Option<u64> {
    fn rank(&self) -> Option<i128> {
        self.map(i128::from)
    }
}

impl SortKey for Option<i64> {
    fn rank(&self) -> Option<i128> {
        self.map(i128::from)
    }
}
