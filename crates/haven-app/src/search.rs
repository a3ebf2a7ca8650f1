//! Catalog search: the tantivy index kept up to date from the outbox, the
//! search buyers run, and trust and safety's listing holds.
//!
//! Each node keeps its own index (in memory, or in `search_index_dir`) and
//! follows the shared outbox: the events that change what search shows
//! (a listing created or held, an order that moves its units sold, a review
//! published, a store suspended or its owner's verification changed) mark listings or whole stores
//! dirty, which are read afresh and replaced. The position committed with
//! the index says where to carry on. An index that was never built, or that
//! fell behind the events the retention purge already dropped, is rebuilt
//! from the listings, so every node converges.
//!
//! Search results are checked against the database before they are shown:
//! a listing held or a store suspended a moment ago never appears, even if
//! the index has not caught up yet.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use haven_domain::account::VerificationLevel;
use haven_domain::catalog::{Listing, ListingHold};
use haven_domain::enforcement::EnforcementLevel;
use haven_domain::events::EventType;
use haven_domain::ids::{ListingId, StoreId};
use haven_search::{Change, CountryCode, SearchDoc, SearchIndex, SearchQuery};
use haven_store::{Changeset, ListingUpdate, NewOutboxEvent, OutboxEvent, SearchRow};

use crate::error::{AppError, AppResult, ErrorKind};
use crate::{Actor, App};

/// Events read per catch-up step, and listings per rebuild batch.
const SYNC_BATCH: u32 = 1_000;
const REBUILD_BATCH: u32 = 2_000;

/// The node's index, and the lock that keeps its writers (catch-up and
/// rebuild) one at a time.
pub struct CatalogIndex {
    pub index: Arc<SearchIndex>,
    writing: Arc<tokio::sync::Mutex<()>>,
}

impl CatalogIndex {
    pub fn new(index: SearchIndex) -> CatalogIndex {
        CatalogIndex {
            index: Arc::new(index),
            writing: Arc::new(tokio::sync::Mutex::new(())),
        }
    }
}

/// Catch-up passes read at most this many batches of events, so one pass
/// never runs unbounded while events keep arriving.
const MAX_SYNC_BATCHES: usize = 20;

/// What writes the index: owns its handles, so a catch-up or rebuild runs
/// as a task of its own and finishes (or rolls back) even if whoever asked
/// for it goes away, such as a request cut off by its time limit.
#[derive(Clone)]
struct Follower {
    store: haven_store::DynStore,
    index: Arc<SearchIndex>,
    clock: Arc<dyn haven_domain::clock::Clock>,
}

/// What one catch-up did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub events: usize,
    pub listings_changed: usize,
    /// Set when the index was (re)built from scratch: how many listings.
    pub rebuilt: Option<u64>,
    pub position: i64,
}

/// What a store contributes to its listings' documents.
#[derive(Debug, Clone)]
struct StoreFacts {
    name: String,
    verified: bool,
    suspended: bool,
}

/// A search page: the listings, in rank order, and the facet counts.
#[derive(Debug, Clone)]
pub struct CatalogResults {
    pub total: u64,
    pub listings: Vec<Listing>,
    pub facets: haven_search::Facets,
}

/// What an event changes in the index.
#[derive(Default, Debug)]
struct Dirty {
    listings: BTreeSet<ListingId>,
    stores: BTreeSet<StoreId>,
}

impl Dirty {
    fn note(&mut self, event: &OutboxEvent) {
        let Some(topic) = EventType::parse(&event.topic) else {
            return;
        };
        use EventType as E;
        match topic {
            E::ListingCreated
            | E::ListingUpdated
            | E::OrderPaid
            | E::OrderCancelled
            | E::OrderRefunded
            | E::ReviewPublished => {
                if let Some(id) = event.payload_id("listing_id") {
                    self.listings.insert(ListingId(id));
                }
            }
            E::StoreEnforcementChanged
            | E::StoreVerificationChanged
            | E::ReviewIntegrityChanged => {
                if let Some(id) = event.payload_id("store_id") {
                    self.stores.insert(StoreId(id));
                }
            }
            _ => {}
        }
    }
}

/// The document for a listing at `now`, or `None` when buyers must not
/// find it.
fn search_doc(row: &SearchRow, store: &StoreFacts, now: jiff::Timestamp) -> Option<SearchDoc> {
    let listing = &row.listing;
    if !listing.is_offered() || store.suspended {
        return None;
    }
    let destinations = listing.destinations();
    let countries = |free_only: bool| {
        destinations
            .iter()
            .filter(|d| !free_only || d.free_shipping)
            .filter_map(|d| CountryCode::parse(&d.country))
            .collect::<Vec<_>>()
    };
    // Rounded, so 4.496 stars counts as 4.5 ("4.5★ and up").
    let rating_x100 = (row.rating_count > 0).then(|| {
        u32::try_from((row.rating_sum * 100 + row.rating_count / 2) / row.rating_count).unwrap_or(0)
    });
    Some(SearchDoc {
        listing_id: listing.id.0,
        store_id: listing.store_id.0,
        title: listing.title.clone(),
        description: listing.description.clone(),
        category: listing.category.clone(),
        store_name: store.name.clone(),
        price_minor: u64::try_from(listing.shown_price(now).amount_minor).unwrap_or(0),
        ships_from: listing.ships_from.as_deref().and_then(CountryCode::parse),
        delivery_days: destinations
            .iter()
            .filter_map(|d| Some((CountryCode::parse(&d.country)?, d.delivery_days)))
            .collect(),
        free_shipping_to: countries(true),
        rest_of_world: destinations
            .iter()
            .find(|d| d.country == haven_domain::catalog::REST_OF_WORLD)
            .map(|d| (d.delivery_days, d.free_shipping)),
        guaranteed_genuine: listing.guaranteed_genuine,
        verified_seller: store.verified,
        rating_x100,
        units_sold: u64::try_from(row.units_sold).unwrap_or(0),
        created_s: listing.created_at.as_second(),
        reprice_at_s: listing.shown_price_changes_at(now).map(|at| at.as_second()),
    })
}

fn index_error(err: haven_search::SearchError) -> AppError {
    AppError::internal(format!("search index: {err}"))
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, haven_search::SearchError> + Send + 'static,
) -> AppResult<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::internal(format!("search task: {e}")))?
        .map_err(index_error)
}

impl Follower {
    async fn doc_for_row(
        &self,
        row: &SearchRow,
        cache: &mut HashMap<StoreId, Option<StoreFacts>>,
    ) -> AppResult<Option<SearchDoc>> {
        let facts = store_facts(&self.store, row.listing.store_id, cache).await?;
        Ok(facts.and_then(|facts| search_doc(row, &facts, self.clock.now())))
    }

    async fn sync(&self) -> AppResult<SyncReport> {
        let Some(mut position) = self.index.position().map_err(index_error)? else {
            return self.rebuild().await;
        };
        if position > self.store.outbox_head().await? {
            // Built against other data (a restored database, another
            // deployment's directory): its position means nothing here.
            tracing::warn!(position, "search index is ahead of the outbox; rebuilding");
            return self.rebuild().await;
        }
        let mut report = SyncReport::default();
        // Deals that started or ended since their listings were indexed:
        // indexed afresh with the first batch of events, or on their own.
        let mut dirty = self.due_for_reprice().await?;
        for _ in 0..MAX_SYNC_BATCHES {
            let events = self.store.outbox_after(position, SYNC_BATCH).await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                break;
            };
            if events[0].seq != position + 1 {
                // The purge dropped events this index never saw.
                tracing::warn!(
                    position,
                    next = events[0].seq,
                    "search index fell behind the outbox; rebuilding"
                );
                return self.rebuild().await;
            }
            for event in &events {
                dirty.note(event);
            }
            let changes = self.changes_for(&std::mem::take(&mut dirty)).await?;
            report.events += events.len();
            report.listings_changed += changes.len();
            let index = self.index.clone();
            blocking(move || index.apply(&changes, last)).await?;
            position = last;
        }
        if !dirty.listings.is_empty() {
            let changes = self.changes_for(&dirty).await?;
            report.listings_changed += changes.len();
            let index = self.index.clone();
            blocking(move || index.apply(&changes, position)).await?;
        }
        report.position = position;
        Ok(report)
    }

    async fn due_for_reprice(&self) -> AppResult<Dirty> {
        let index = self.index.clone();
        let now_s = self.clock.now().as_second();
        let due = blocking(move || index.due_for_reprice(now_s, SYNC_BATCH as usize)).await?;
        Ok(Dirty {
            listings: due.into_iter().map(ListingId).collect(),
            stores: BTreeSet::new(),
        })
    }

    async fn changes_for(&self, dirty: &Dirty) -> AppResult<Vec<Change>> {
        let mut cache = HashMap::new();
        let mut changes = Vec::new();
        for &store in &dirty.stores {
            changes.push(Change::RemoveStore(store.0));
            let mut after = None;
            loop {
                let rows = self
                    .store
                    .search_rows(after, Some(store), REBUILD_BATCH)
                    .await?;
                let Some(last) = rows.last() else { break };
                after = Some(last.listing.id);
                for row in &rows {
                    if let Some(doc) = self.doc_for_row(row, &mut cache).await? {
                        changes.push(Change::Upsert(Box::new(doc)));
                    }
                }
            }
        }
        for &id in &dirty.listings {
            let Some(row) = self.store.search_row(id).await? else {
                changes.push(Change::Remove(id.0));
                continue;
            };
            if dirty.stores.contains(&row.listing.store_id) {
                continue;
            }
            changes.push(match self.doc_for_row(&row, &mut cache).await? {
                Some(doc) => Change::Upsert(Box::new(doc)),
                None => Change::Remove(id.0),
            });
        }
        Ok(changes)
    }

    /// Rebuild from the listings. On any failure the half-built index is
    /// rolled back, so the next commit cannot publish it.
    async fn rebuild(&self) -> AppResult<SyncReport> {
        let outcome = self.rebuild_unguarded().await;
        if outcome.is_err() {
            let index = self.index.clone();
            if let Err(err) = blocking(move || index.rollback()).await {
                tracing::warn!(error = %err.message, "rolling back a failed search rebuild failed");
            }
        }
        outcome
    }

    async fn rebuild_unguarded(&self) -> AppResult<SyncReport> {
        // Read the position first: events committed during the scan are
        // replayed by the next catch-up, and replaying one is harmless.
        self.store.sequence_outbox(SYNC_BATCH).await?;
        let position = self.store.outbox_head().await?;
        let index = self.index.clone();
        blocking({
            let index = index.clone();
            move || index.begin_rebuild()
        })
        .await?;
        let mut cache = HashMap::new();
        let mut after = None;
        let mut added = 0u64;
        loop {
            let rows = self.store.search_rows(after, None, REBUILD_BATCH).await?;
            let Some(last) = rows.last() else { break };
            after = Some(last.listing.id);
            let mut docs = Vec::with_capacity(rows.len());
            for row in &rows {
                docs.extend(self.doc_for_row(row, &mut cache).await?);
            }
            added += docs.len() as u64;
            let index = index.clone();
            blocking(move || index.add_documents(&docs)).await?;
        }
        blocking(move || index.finish_rebuild(position)).await?;
        Ok(SyncReport {
            rebuilt: Some(added),
            position,
            ..SyncReport::default()
        })
    }
}

async fn store_facts(
    store: &haven_store::DynStore,
    id: StoreId,
    cache: &mut HashMap<StoreId, Option<StoreFacts>>,
) -> AppResult<Option<StoreFacts>> {
    if let Some(facts) = cache.get(&id) {
        return Ok(facts.clone());
    }
    let facts = match store.shop(id).await? {
        None => None,
        Some(shop) => {
            let owner = store.user(shop.owner_id).await?;
            let suspended = store
                .store_enforcement(id)
                .await?
                .is_some_and(|(record, _)| record.level == EnforcementLevel::Suspended);
            Some(StoreFacts {
                name: shop.name,
                verified: owner
                    .is_some_and(|u| u.verification_level() == VerificationLevel::IdentityVerified),
                suspended,
            })
        }
    };
    cache.insert(id, facts.clone());
    Ok(facts)
}

impl App {
    fn follower(&self) -> Follower {
        Follower {
            store: self.store.clone(),
            index: self.search.index.clone(),
            clock: self.clock.clone(),
        }
    }

    /// Run `work` on the index as a task of its own, one writer at a time.
    async fn write_index<F, Fut>(&self, work: F) -> AppResult<SyncReport>
    where
        F: FnOnce(Follower) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = AppResult<SyncReport>> + Send + 'static,
    {
        let follower = self.follower();
        let lock = self.search.writing.clone();
        tokio::spawn(async move {
            let _writing = lock.lock_owned().await;
            work(follower).await
        })
        .await
        .map_err(|e| AppError::internal(format!("search task: {e}")))?
    }

    /// Bring this node's index up to date with the outbox (a bounded
    /// number of batches per call; the worker calls it again and again).
    pub async fn sync_search(&self) -> AppResult<SyncReport> {
        self.write_index(|f| async move { f.sync().await }).await
    }

    /// Rebuild this node's index from the listings (`haven search rebuild`,
    /// the console, or an index that fell behind).
    pub async fn rebuild_search(&self) -> AppResult<SyncReport> {
        self.write_index(|f| async move { f.rebuild().await }).await
    }

    /// Search the catalog. Hits are re-read from the database, and any
    /// that became invisible since the index last caught up are dropped.
    pub async fn search_catalog(&self, query: SearchQuery) -> AppResult<CatalogResults> {
        if query.text.chars().count() > haven_search::MAX_QUERY_CHARS {
            return Err(AppError::validation(format!(
                "search text must be at most {} characters",
                haven_search::MAX_QUERY_CHARS
            )));
        }
        let index = self.search.index.clone();
        let results = blocking(move || index.search(&query)).await?;
        let mut cache = HashMap::new();
        let mut listings = Vec::with_capacity(results.hits.len());
        for hit in &results.hits {
            let Some(listing) = self.store.listing(ListingId(hit.listing_id)).await? else {
                continue;
            };
            let visible = listing.is_offered()
                && store_facts(&self.store, listing.store_id, &mut cache)
                    .await?
                    .is_some_and(|f| !f.suspended);
            if visible {
                listings.push(listing);
            }
        }
        // Hits hidden since the index last caught up leave the count too
        // (those beyond this page cannot be known until it catches up).
        let hidden = (results.hits.len() - listings.len()) as u64;
        Ok(CatalogResults {
            total: results.total.saturating_sub(hidden),
            listings,
            facets: results.facets,
        })
    }

    /// Listings on a flash deal buyers can take now (started, not ended,
    /// units left), at most `limit`, from the node's search index.
    pub async fn deals_now(&self, limit: usize) -> AppResult<Vec<Listing>> {
        let index = self.search.index.clone();
        let now = self.now();
        let now_s = now.as_second();
        // Upcoming deals share the index's marker; read a few more.
        let ids = blocking(move || index.price_changes_after(now_s, limit * 3)).await?;
        let mut cache = HashMap::new();
        let mut deals = Vec::with_capacity(limit);
        for id in ids {
            let Some(listing) = self.store.listing(ListingId(id)).await? else {
                continue;
            };
            let running = listing
                .deal
                .as_ref()
                .is_some_and(|d| d.starts_at <= now && now < d.ends_at && d.remaining > 0);
            let visible = running
                && listing.is_offered()
                && store_facts(&self.store, listing.store_id, &mut cache)
                    .await?
                    .is_some_and(|f| !f.suspended);
            if visible {
                deals.push(listing);
            }
            if deals.len() == limit {
                break;
            }
        }
        Ok(deals)
    }

    /// Trust and safety holds a listing (out of browse and search, no new
    /// orders) or releases it.
    pub async fn set_listing_hold(
        &self,
        agent: &Actor,
        id: ListingId,
        hold: bool,
        reason: &str,
    ) -> AppResult<Listing> {
        self.require_agent(agent)?;
        let reason = haven_domain::text::optional_block("reason", reason, 1_000)?;
        if hold && reason.trim().is_empty() {
            return Err(AppError::validation("say why the listing is held"));
        }
        let mut listing = self
            .store
            .listing(id)
            .await?
            .ok_or_else(|| AppError::not_found("listing"))?;
        let was_held = listing.is_held();
        if was_held == hold {
            return Err(AppError::conflict(
                ErrorKind::InvalidState,
                if hold {
                    "the listing is already held"
                } else {
                    "the listing is not held"
                },
            ));
        }
        let now = self.now();
        listing.hold = hold.then(|| ListingHold {
            reason: reason.clone(),
            by: Some(agent.id()),
            at: now,
        });
        if !hold {
            // Releasing is the agent's word that the certificates the
            // seller declared are real.
            for certificate in listing
                .certificates
                .iter_mut()
                .filter(|c| c.checked_by.is_none())
            {
                certificate.checked_by = Some(agent.id());
                certificate.checked_at = Some(now);
            }
        }
        let changes = Changeset {
            listing_updates: vec![ListingUpdate {
                listing: listing.clone(),
                was_held,
                deal_remaining: None,
                set_stock: None,
            }],
            outbox: vec![listing_updated_event(&listing, now)],
            ..Changeset::default()
        };
        self.store.commit(changes).await?;
        Ok(listing)
    }
}

/// The outbox event a new listing publishes.
pub(crate) fn listing_created_event(listing: &Listing) -> NewOutboxEvent {
    NewOutboxEvent {
        topic: EventType::ListingCreated.to_string(),
        payload: serde_json::json!({
            "listing_id": listing.id,
            "store_id": listing.store_id,
            "held": listing.is_held(),
        }),
        created_at: listing.created_at,
    }
}

/// The outbox event a changed listing (held, released, a new deal)
/// publishes.
pub(crate) fn listing_updated_event(listing: &Listing, now: jiff::Timestamp) -> NewOutboxEvent {
    NewOutboxEvent {
        topic: EventType::ListingUpdated.to_string(),
        payload: serde_json::json!({
            "listing_id": listing.id,
            "store_id": listing.store_id,
            "held": listing.is_held(),
            "paused": listing.is_paused(),
        }),
        created_at: now,
    }
}
