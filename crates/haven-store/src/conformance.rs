//! The one conformance suite every backend must pass. `tests/conformance.rs`
//! runs it on SQLite always and on PostgreSQL when `HAVEN_TEST_DATABASE_URL`
//! is set, so the embedded default and the scale-out path cannot drift.

use std::sync::Arc;

use haven_domain::account::{Email, Role, Session, SessionKind, User};
use haven_domain::catalog::{Listing, ShippingMethod, ShippingRate, Shop};
use haven_domain::dispute::{
    Dispute, DisputeReason, DisputeState, OpenRequest, Party, RequestedOutcome,
};
use haven_domain::evidence::{EvidenceEntry, EvidenceKind};
use haven_domain::ids::{DisputeId, ListingId, OrderId, PayoutId, StoreId, StrikeId, UserId};
use haven_domain::ledger::{Account, Entry, EntryHeader, EntryKind};
use haven_domain::money::{Currency, Money};
use haven_domain::order::{Address, NewOrder, Order, OrderState, ShippingChoice};
use haven_domain::policy::Policy;
use haven_domain::timer::TimerKind;
use haven_domain::trail::AuditRecord;
use haven_domain::{SignedDuration, Timestamp};

use haven_domain::coupon::{Coupon, CouponValue};

use crate::{
    CartLine, Changeset, Conflict, CouponRedemption, DisputeWrite, IdempotencyRecord,
    ListingFilter, NewOutboxEvent, NewTimer, OrderWrite, PageRequest, Payout, StockChange, Store,
    StoreError, Strike, TrackingEvent, UserWrite,
};

fn t0() -> Timestamp {
    Timestamp::from_second(1_750_000_000).expect("valid")
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

/// A user whose display name is their email: names, like emails, may not
/// look like another account's.
pub fn sample_user(email: &str) -> User {
    User::new(
        Email::parse(email).expect("valid email"),
        format!("Sample {email}"),
        "$argon2id$v=19$m=19456,t=2,p=1$x$y".into(),
        vec![Role::Buyer],
        t0(),
    )
}

pub fn sample_listing(store_id: StoreId, stock: i64, created_at: Timestamp) -> Listing {
    Listing {
        id: ListingId::new(),
        store_id,
        title: "Desk lamp".into(),
        description: "Warm light".into(),
        category: "home".into(),
        price: usd(2_500),
        stock,
        ship_by_days: 3,
        images: vec![],
        guaranteed_genuine: false,
        shipping: vec![ShippingMethod {
            name: "Standard".into(),
            rates: vec![ShippingRate {
                country: "US".into(),
                cost: usd(500),
                min_transit_days: 2,
                max_transit_days: 6,
            }],
            free_over: None,
        }],
        ships_from: Some("CN".into()),
        hold: None,
        deal: None,
        revision: 0,
        paused_at: None,
        product_key: None,
        brand: None,
        certificates: Vec::new(),
        created_at,
    }
}

pub fn sample_order(buyer: UserId, listing: &Listing) -> Order {
    let new = NewOrder {
        buyer_id: buyer,
        store_id: listing.store_id,
        listing_id: listing.id,
        listing_title: listing.title.clone(),
        guaranteed_genuine: listing.guaranteed_genuine,
        quantity: 1,
        unit_price: listing.price,
        flash_deal: false,
        shipping: ShippingChoice {
            method: "Standard".into(),
            cost: usd(500),
            min_transit_days: 2,
            max_transit_days: 6,
            country: "US".into(),
        },
        address: Address {
            name: "Ann".into(),
            line1: "1 Main St".into(),
            line2: String::new(),
            city: "Springfield".into(),
            postal_code: "12345".into(),
            country: "US".into(),
        },
        ship_by_days: 3,
        more_items: Vec::new(),
        discounts: Vec::new(),
        bundle: None,
    };
    Order::checkout(new, &Policy::default(), 1, t0())
        .expect("checkout")
        .0
}

fn capture(order: &Order) -> Entry {
    Entry::transfer(
        EntryHeader {
            idempotency_key: format!("order:{}:capture", order.id),
            kind: EntryKind::Capture,
            order_id: Some(order.id),
            payout_id: None,
            created_at: t0(),
        },
        Account::Gateway("testcard".into()),
        Account::Escrow(order.id),
        order.total,
    )
    .expect("balanced")
}

fn is_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, expected: Conflict) {
    match result {
        Err(StoreError::Conflict(found)) => assert_eq!(found, expected),
        other => panic!("expected {expected:?}, got {other:?}"),
    }
}

/// A seller with a shop and one listing, committed.
pub struct Fixture {
    pub buyer: User,
    pub seller: User,
    pub shop: Shop,
    pub listing: Listing,
}

pub async fn fixture(store: &dyn Store, stock: i64) -> Fixture {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let buyer = sample_user(&format!("buyer-{tag}@example.com"));
    let seller = sample_user(&format!("seller-{tag}@example.com"));
    let shop = Shop {
        id: StoreId::new(),
        owner_id: seller.id,
        name: "Lamps".into(),
        description: String::new(),
        created_at: t0(),
    };
    let listing = sample_listing(shop.id, stock, t0());
    let changes = Changeset {
        users: vec![buyer.clone(), seller.clone()],
        shops: vec![shop.clone()],
        listings: vec![listing.clone()],
        ..Changeset::default()
    };
    store.commit(changes).await.expect("fixture commits");
    Fixture {
        buyer,
        seller,
        shop,
        listing,
    }
}

/// Run every conformance check against a migrated store (fresh or not: every
/// check makes its own rows).
pub async fn run_all(store: Arc<dyn Store>) {
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("migrate is idempotent");
    accounts_and_sessions(&*store).await;
    catalog_and_pagination(&*store).await;
    stock_is_atomic(&*store).await;
    orders_use_optimistic_versions(&*store).await;
    ledger_entries_are_idempotent_and_balanced(&*store).await;
    timers_fire_once(&*store).await;
    outbox_idempotency_tracking_policy(&*store).await;
    concurrent_buyers_never_oversell(store.clone()).await;
    outbox_rows_are_delivered_once(&*store).await;
    users_sessions_and_tokens(&*store).await;
    conversations_and_messages(&*store).await;
    disputes_are_versioned_and_one_open_per_order(&*store).await;
    evidence_logs_round_trip_and_refuse_rewrites(&*store).await;
    audit_strikes_files_and_history(&*store).await;
    commands_are_leased_retried_and_finished_once(&*store).await;
    commands_are_claimed_once_under_concurrency(store.clone()).await;
    login_defence_counts_and_blocks(&*store).await;
    commands_settle_defer_revive_and_dismiss(&*store).await;
    journal_rows_are_compare_and_swap(&*store).await;
    balance_guards_refuse_a_stale_read(&*store).await;
    a_balance_never_wraps_past_the_64_bit_range(&*store).await;
    outbox_readers_never_skip_an_event(store.clone()).await;
    retention_purges_old_keys_and_events_but_never_the_newest_position(&*store).await;
    relays_advance_once_and_hold_back_the_purge(&*store).await;
    sweeps_see_each_deadline_once(&*store).await;
    sent_emails_are_purged_after_their_retention(&*store).await;
    risk_attempts_age_out_except_those_in_review(&*store).await;
    risk_attempts_count_by_key_and_rules_are_versioned(&*store).await;
    reviews_ratings_counters_and_integrity_cases(&*store).await;
    search_rows_count_units_and_holds_hide(&*store).await;
    carts_coupons_and_products(store.clone()).await;
    co_purchases_rank_by_buyers(&*store).await;
    bundles_round_trip(&*store).await;
    listing_risk_reads(&*store).await;
    webhook_endpoints_and_their_deliveries(&*store).await;
    notifications_page_count_and_read(&*store).await;
    store_owners_identifiers_come_from_their_payments_and_sign_ins(&*store).await;
    a_stores_escrow_sums_its_open_orders(&*store).await;
    the_enforcement_queue_shows_the_longest_waiting_first(&*store).await;
}

/// Stores under enforcement come oldest change first, paged without
/// skipping; a store in good standing with no appeal is not listed.
async fn the_enforcement_queue_shows_the_longest_waiting_first(store: &dyn Store) {
    use haven_domain::enforcement::{EnforcementLevel, StoreEnforcement};
    let (waiting_longer, waiting_less, good) = (
        fixture(store, 1).await.shop.id,
        fixture(store, 1).await.shop.id,
        fixture(store, 1).await.shop.id,
    );
    let write = |id, level, at_s| crate::EnforcementWrite {
        record: StoreEnforcement {
            level,
            ..StoreEnforcement::new(id, t0())
        },
        expected_version: None,
        at: t0() - SignedDuration::from_secs(at_s),
    };
    store
        .commit(Changeset {
            enforcement: vec![
                write(waiting_less, EnforcementLevel::Reserve, 10),
                write(waiting_longer, EnforcementLevel::Suspended, 20),
                write(good, EnforcementLevel::Good, 30),
            ],
            ..Default::default()
        })
        .await
        .unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .enforced_stores(&PageRequest::new(cursor, Some(1)))
            .await
            .unwrap();
        seen.extend(page.items.iter().map(|r| r.store_id));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    let at = |id| seen.iter().position(|s| *s == id);
    assert!(
        at(waiting_longer).unwrap() < at(waiting_less).unwrap(),
        "{seen:?}"
    );
    assert_eq!(at(good), None);
}

/// The seller centre's "in escrow": open orders' escrow balances, neither
/// another store's nor a closed order's.
async fn a_stores_escrow_sums_its_open_orders(store: &dyn Store) {
    let fx = fixture(store, 5).await;
    let other = fixture(store, 5).await;
    let paid = |listing: &Listing, state: OrderState| {
        let mut order = sample_order(fx.buyer.id, listing);
        order.state = state;
        order
    };
    let open = paid(&fx.listing, OrderState::Shipped);
    let closed = paid(&fx.listing, OrderState::Completed);
    let elsewhere = paid(&other.listing, OrderState::Paid);
    let unpaid = paid(&fx.listing, OrderState::PendingPayment);
    for order in [&open, &closed, &elsewhere, &unpaid] {
        let entries = if order.state == OrderState::PendingPayment {
            Vec::new()
        } else {
            vec![capture(order)]
        };
        store
            .commit(Changeset {
                orders: vec![OrderWrite {
                    order: order.clone(),
                    expected_version: None,
                }],
                entries,
                ..Default::default()
            })
            .await
            .unwrap();
    }
    // The completed order's money went on (its escrow still shows here
    // because this story never released it, and must not be counted).
    assert_eq!(
        store.store_escrow(fx.shop.id, "USD").await.unwrap(),
        (open.total.amount_minor, 1)
    );
    assert_eq!(
        store.store_escrow(other.shop.id, "USD").await.unwrap(),
        (elsewhere.total.amount_minor, 1)
    );
    assert_eq!(store.store_escrow(fx.shop.id, "EUR").await.unwrap(), (0, 0));
}

/// The brushing detector's owner identifiers: what a store's owner paid
/// with as a buyer, and the IPs they signed in from; one store or all.
async fn store_owners_identifiers_come_from_their_payments_and_sign_ins(store: &dyn Store) {
    let fx = fixture(store, 1).await;
    let other = fixture(store, 1).await;
    let mut paid = risk_attempt(
        fx.seller.id,
        "owner-card",
        "owner-device",
        t0(),
        crate::RiskOutcome::Allowed,
    );
    paid.address_key = "owner-address".into();
    let mut old = paid.clone();
    old.id = uuid::Uuid::now_v7();
    old.at = t0() - SignedDuration::from_hours(24 * 400);
    old.card_fp = Some("old-card".into());
    let mut signed_in = session_for(fx.seller.id, "owner");
    signed_in.ip = "198.51.100.77".into();
    store
        .commit(Changeset {
            risk_attempts: vec![paid, old],
            sessions: vec![signed_in, session_for(other.seller.id, "other")],
            ..Changeset::default()
        })
        .await
        .unwrap();
    let since = t0() - SignedDuration::from_hours(24);
    let mine = store
        .store_owner_identifiers(Some(fx.shop.id), since, 100)
        .await
        .unwrap();
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert!(mine.iter().all(|o| o.store_id == fx.shop.id));
    assert!(mine.iter().any(|o| o.card.as_deref() == Some("owner-card")
        && o.device.as_deref() == Some("owner-device")
        && o.address.as_deref() == Some("owner-address")));
    assert!(
        mine.iter()
            .any(|o| o.ip.as_deref() == Some("198.51.100.77") && o.card.is_none())
    );
    let all = store
        .store_owner_identifiers(None, since, 100_000)
        .await
        .unwrap();
    assert!(all.iter().any(|o| o.store_id == other.shop.id));
    assert!(
        !all.iter().any(|o| o.card.as_deref() == Some("old-card")),
        "older than since"
    );
}

/// What search reads: units sold move with stock, reviews average in, a
/// held listing leaves browse (compare-and-swap on the hold), rows page in
/// id order, and the outbox head is the newest published position.
async fn search_rows_count_units_and_holds_hide(store: &dyn Store) {
    use crate::{ListingUpdate, ReviewWrite};
    let fx = fixture(store, 10).await;
    let id = fx.listing.id;
    let take = |delta| Changeset {
        stock: vec![StockChange {
            listing_id: id,
            delta,
            deal_delta: 0,
            deal_return: None,
        }],
        ..Default::default()
    };
    store.commit(take(-3)).await.unwrap();
    store.commit(take(1)).await.unwrap();
    let row = store.search_row(id).await.unwrap().unwrap();
    assert_eq!(
        (row.listing.stock, row.units_sold),
        (8, 2),
        "three taken, one back"
    );
    assert_eq!((row.rating_sum, row.rating_count), (0, 0));

    let mut review = sample_review(fx.shop.id, fx.buyer.id, 4, t0());
    review.listing_id = id;
    let mut hidden = sample_review(fx.shop.id, fx.buyer.id, 1, t0());
    hidden.listing_id = id;
    hidden.published_at = None;
    for r in [review, hidden] {
        store
            .commit(Changeset {
                reviews: vec![ReviewWrite {
                    review: r,
                    expected_version: None,
                }],
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let row = store.search_row(id).await.unwrap().unwrap();
    assert_eq!(
        (row.rating_sum, row.rating_count),
        (4, 1),
        "public reviews only"
    );

    let mut held = row.listing.clone();
    held.hold = Some(haven_domain::catalog::ListingHold {
        reason: "counterfeit report".into(),
        by: Some(fx.seller.id),
        at: t0(),
    });
    let hold = |was_held| Changeset {
        listing_updates: vec![ListingUpdate {
            listing: held.clone(),
            was_held,
            deal_remaining: None,
            set_stock: None,
        }],
        ..Default::default()
    };
    is_conflict(store.commit(hold(true)).await, Conflict::StaleListing);
    store.commit(hold(false)).await.unwrap();
    is_conflict(store.commit(hold(false)).await, Conflict::StaleListing);
    let stored = store.listing(id).await.unwrap().unwrap();
    assert!(stored.is_held());
    assert_eq!(stored.stock, 8, "an update leaves the stock column alone");

    // A flash deal's units: set with the listing, taken only while enough
    // are left, read back into the listing.
    let mut with_deal = stored.clone();
    with_deal.deal = Some(haven_domain::catalog::FlashDeal {
        price: usd(1_000),
        quantity: 2,
        remaining: 2,
        starts_at: t0(),
        ends_at: t0() + SignedDuration::from_hours(2),
    });
    store
        .commit(Changeset {
            listing_updates: vec![ListingUpdate {
                listing: with_deal,
                was_held: true,
                deal_remaining: Some(2),
                set_stock: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let claim = |units: i64| Changeset {
        stock: vec![StockChange {
            listing_id: id,
            delta: -units,
            deal_delta: -units,
            deal_return: None,
        }],
        ..Default::default()
    };
    is_conflict(store.commit(claim(3)).await, Conflict::DealSoldOut);
    store.commit(claim(2)).await.unwrap();
    is_conflict(store.commit(claim(1)).await, Conflict::DealSoldOut);
    let stored = store.listing(id).await.unwrap().unwrap();
    assert_eq!(stored.deal.as_ref().map(|d| d.remaining), Some(0));
    assert_eq!(stored.stock, 6, "the refused claims took no stock");
    let filter = ListingFilter {
        store_id: Some(fx.shop.id),
        category: None,
    };
    let page = store
        .listings(&filter, &PageRequest::new(None, Some(10)))
        .await
        .unwrap();
    assert!(page.items.is_empty(), "held listings are out of browse");

    let other = sample_listing(fx.shop.id, 1, t0());
    store
        .commit(Changeset {
            listings: vec![other.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    let rows = store.search_rows(None, Some(fx.shop.id), 10).await.unwrap();
    let mut expected = vec![id, other.id];
    expected.sort_by_key(|l| l.0.to_string());
    let ids: Vec<_> = rows.iter().map(|r| r.listing.id).collect();
    assert_eq!(ids, expected, "held ones included, in id order");
    let after_first = store
        .search_rows(Some(expected[0]), Some(fx.shop.id), 10)
        .await
        .unwrap();
    assert_eq!(after_first.len(), 1);
    assert_eq!(after_first[0].listing.id, expected[1]);

    store
        .commit(Changeset {
            outbox: vec![NewOutboxEvent {
                topic: "listing.created".into(),
                payload: serde_json::json!({"listing_id": other.id}),
                created_at: t0(),
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    store.sequence_outbox(10_000).await.unwrap();
    let head = store.outbox_head().await.unwrap();
    let newest = store.outbox_after(head - 1, 10).await.unwrap();
    assert_eq!(newest.len(), 1);
    assert_eq!(newest[0].seq, head);
    assert!(store.outbox_after(head, 10).await.unwrap().is_empty());
}

fn sample_review(
    store: StoreId,
    buyer: UserId,
    rating: u8,
    at: Timestamp,
) -> haven_domain::reputation::Review {
    use haven_domain::reputation::{DetailedRatings, Moderation, Review, Stars};
    Review {
        id: uuid::Uuid::now_v7(),
        order_id: OrderId::new(),
        buyer_id: buyer,
        store_id: store,
        listing_id: ListingId::new(),
        listing_title: "Lamp".into(),
        rating: Stars::new(rating).unwrap(),
        text: "fine".into(),
        photos: Vec::new(),
        detailed: DetailedRatings::default(),
        created_at: at,
        published_at: Some(at),
        editable_until: at + SignedDuration::from_hours(24 * 30),
        revisions: Vec::new(),
        moderation: Moderation::Clear,
        reply: None,
        integrity: None,
        version: 1,
    }
}

async fn reviews_ratings_counters_and_integrity_cases(store: &dyn Store) {
    use crate::{
        BuyerRatingWrite, CaseStatus, IntegrityCase, IntegrityCaseWrite, ReviewFilter, ReviewWrite,
    };
    use haven_domain::reputation::{
        BuyerCompletion, BuyerRating, Moderation, Stars, StatCounters, StatDelta,
    };
    let f = fixture(store, 5).await;
    let at = t0() + SignedDuration::from_hours(24 * 10);
    let one = sample_review(f.shop.id, f.buyer.id, 1, at);
    let mut five = sample_review(f.shop.id, f.buyer.id, 5, at + SignedDuration::from_mins(1));
    five.photos = vec!["abc".into()];
    let mut held = sample_review(f.shop.id, f.buyer.id, 4, at + SignedDuration::from_mins(2));
    held.moderation = Moderation::Held {
        reasons: vec!["off-platform contact".into()],
    };
    let insert = |r: &haven_domain::reputation::Review| Changeset {
        reviews: vec![ReviewWrite {
            review: r.clone(),
            expected_version: None,
        }],
        ..Changeset::default()
    };
    for r in [&one, &five, &held] {
        store.commit(insert(r)).await.expect("review inserts");
    }
    // One review per order.
    let mut twin = sample_review(f.shop.id, f.buyer.id, 3, at);
    twin.order_id = one.order_id;
    is_conflict(store.commit(insert(&twin)).await, Conflict::StaleReview);
    // Compare-and-swap on the version.
    let mut edited = one.clone();
    edited.rating = Stars::new(2).unwrap();
    let stale = Changeset {
        reviews: vec![ReviewWrite {
            review: edited.clone(),
            expected_version: Some(7),
        }],
        ..Changeset::default()
    };
    is_conflict(store.commit(stale).await, Conflict::StaleReview);
    let fresh = Changeset {
        reviews: vec![ReviewWrite {
            review: edited.clone(),
            expected_version: Some(1),
        }],
        ..Changeset::default()
    };
    store.commit(fresh).await.expect("edit");
    let read = store.review_for_order(one.order_id).await.unwrap().unwrap();
    assert_eq!((read.rating.get(), read.version), (2, 2));
    let page = crate::PageRequest::new(None, Some(10));
    let public = store
        .store_reviews(f.shop.id, ReviewFilter::default(), &page)
        .await
        .unwrap();
    assert_eq!(public.items.len(), 2, "the held review is not public");
    assert_eq!(public.items[0].id, five.id, "newest first");
    let two_star = ReviewFilter {
        stars: Some(2),
        with_photos: false,
    };
    assert_eq!(
        store
            .store_reviews(f.shop.id, two_star, &page)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let photos = ReviewFilter {
        stars: None,
        with_photos: true,
    };
    let with_photos = store.store_reviews(f.shop.id, photos, &page).await.unwrap();
    assert_eq!(
        with_photos.items.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![five.id]
    );
    let queue = store
        .held_reviews(&crate::PageRequest::new(None, Some(100)))
        .await
        .unwrap();
    assert!(queue.items.iter().any(|r| r.id == held.id));

    // The seller's rating of the buyer: once per order, then published.
    let mut rating = BuyerRating {
        order_id: one.order_id,
        store_id: f.shop.id,
        buyer_id: f.buyer.id,
        rating: Stars::new(4).unwrap(),
        note: String::new(),
        created_at: at,
        published_at: None,
    };
    let rate = |r: &BuyerRating, insert: bool| Changeset {
        buyer_ratings: vec![BuyerRatingWrite {
            rating: r.clone(),
            insert,
        }],
        ..Changeset::default()
    };
    store.commit(rate(&rating, true)).await.expect("rating");
    is_conflict(
        store.commit(rate(&rating, true)).await,
        Conflict::BuyerAlreadyRated,
    );
    assert_eq!(
        store.buyer_rating_summary(f.buyer.id).await.unwrap(),
        (0, 0),
        "blind"
    );
    rating.published_at = Some(at);
    store.commit(rate(&rating, false)).await.expect("publish");
    assert_eq!(
        store.buyer_rating_summary(f.buyer.id).await.unwrap(),
        (1, 4)
    );

    // Counters add up per month across shards; completions keep the two latest.
    let month = haven_domain::reputation::month_of(at);
    let counters = |sold: i64, five: i64| {
        let mut c = StatCounters {
            items_sold: sold,
            ..StatCounters::default()
        };
        c.stars[4] = five;
        c
    };
    let delta = |shard: i64, c: StatCounters| StatDelta {
        store_id: f.shop.id,
        month,
        shard,
        counters: c,
    };
    let changes = Changeset {
        stat_deltas: vec![
            delta(0, counters(2, 1)),
            delta(3, counters(5, 0)),
            delta(0, counters(-1, 2)),
        ],
        ..Changeset::default()
    };
    store.commit(changes).await.expect("counters");
    let rows = store.store_stats(f.shop.id).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].0, rows[0].1.items_sold, rows[0].1.stars[4]),
        (month, 6, 3)
    );
    let done = |buyer: UserId, days: i64| BuyerCompletion {
        store_id: f.shop.id,
        buyer_id: buyer,
        completed_at: t0() + SignedDuration::from_hours(24 * days),
    };
    let (regular, once, lapsed) = (UserId::new(), UserId::new(), UserId::new());
    for c in [
        done(regular, 300),
        done(regular, 100),
        done(once, 350),
        done(lapsed, 10),
        done(lapsed, 20),
        done(lapsed, 400),
    ] {
        let changes = Changeset {
            buyer_completions: vec![c],
            ..Changeset::default()
        };
        store.commit(changes).await.expect("completion");
    }
    let since = t0() + SignedDuration::from_hours(24 * 90);
    // regular: 300 and 100 (both since day 90); lapsed: 400 and 20 (not).
    assert_eq!(store.regular_buyers(f.shop.id, since).await.unwrap(), 1);

    // Integrity cases: versioned, one open per store found, strikes withdrawn.
    let strike = haven_domain::ids::StrikeId::new();
    let mut case = IntegrityCase {
        id: uuid::Uuid::now_v7(),
        store_id: f.shop.id,
        status: CaseStatus::Open,
        created_at: at,
        evidence: vec!["dense block".into()],
        reviews: Vec::new(),
        strike_id: Some(strike),
        decided_by: None,
        decided_at: None,
        note: String::new(),
        version: 1,
    };
    let changes = Changeset {
        strikes: vec![crate::Strike {
            id: strike,
            store_id: f.shop.id,
            order_id: None,
            dispute_id: None,
            reason: "brushing".into(),
            at,
        }],
        integrity_cases: vec![IntegrityCaseWrite {
            case: case.clone(),
            expected_version: None,
        }],
        ..Changeset::default()
    };
    store.commit(changes).await.expect("case");
    assert_eq!(
        store
            .open_integrity_case(f.shop.id)
            .await
            .unwrap()
            .map(|c| c.id),
        Some(case.id)
    );
    case.status = CaseStatus::Reversed;
    let stale = Changeset {
        integrity_cases: vec![IntegrityCaseWrite {
            case: case.clone(),
            expected_version: Some(9),
        }],
        ..Changeset::default()
    };
    is_conflict(store.commit(stale).await, Conflict::StaleIntegrityCase);
    let decided = Changeset {
        integrity_cases: vec![IntegrityCaseWrite {
            case: case.clone(),
            expected_version: Some(1),
        }],
        remove_strikes: vec![strike],
        ..Changeset::default()
    };
    store.commit(decided).await.expect("decision");
    assert!(
        store
            .open_integrity_case(f.shop.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.strikes_for_store(f.shop.id).await.unwrap().is_empty());
    let reversed = store
        .integrity_cases(Some(CaseStatus::Reversed), &page)
        .await
        .unwrap();
    assert!(
        reversed
            .items
            .iter()
            .any(|c| c.id == case.id && c.version == 2)
    );
}

fn risk_attempt(
    buyer: UserId,
    card: &str,
    device: &str,
    at: Timestamp,
    outcome: crate::RiskOutcome,
) -> crate::RiskAttempt {
    crate::RiskAttempt {
        id: uuid::Uuid::now_v7(),
        at,
        buyer_id: buyer,
        order_id: Some(OrderId::new()),
        card_fp: Some(card.into()),
        device_id: Some(device.into()),
        ip: Some("203.0.113.7".into()),
        address_key: "addr-1".into(),
        amount_minor: 2_000,
        currency: "USD".into(),
        outcome,
        score: 10,
        assessment: serde_json::json!({"features": {"amount_minor": 2000}}),
    }
}

async fn risk_attempts_count_by_key_and_rules_are_versioned(store: &dyn Store) {
    use crate::{RiskKey, RiskOutcome, RiskRule, RiskRuleWrite, RiskWindow};
    let now = t0() + SignedDuration::from_hours(24 * 400);
    let (ann, bob) = (UserId::new(), UserId::new());
    // Keys of their own, so a store that ran this story before counts the same.
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let key = |name: &str| format!("{name}-{tag}");
    let (card_a, card_b, card_c) = (key("card-a"), key("card-b"), key("card-c"));
    let (dev_x, dev_y) = (key("dev-x"), key("dev-y"));
    let attempts = vec![
        risk_attempt(
            ann,
            &card_a,
            &dev_x,
            now - SignedDuration::from_mins(10),
            RiskOutcome::Allowed,
        ),
        risk_attempt(
            ann,
            &card_b,
            &dev_x,
            now - SignedDuration::from_mins(20),
            RiskOutcome::Declined,
        ),
        risk_attempt(
            bob,
            &card_c,
            &dev_x,
            now - SignedDuration::from_hours(5),
            RiskOutcome::Blocked,
        ),
        risk_attempt(
            bob,
            &card_a,
            &dev_y,
            now - SignedDuration::from_hours(24 * 3),
            RiskOutcome::Allowed,
        ),
        // Older than the month: in the paid history, in no count.
        risk_attempt(
            ann,
            &key("card-old"),
            &key("dev-old"),
            now - SignedDuration::from_hours(24 * 40),
            RiskOutcome::Allowed,
        ),
    ];
    let first_order = attempts[0].order_id.unwrap();
    store
        .commit(Changeset {
            risk_attempts: attempts,
            ..Changeset::default()
        })
        .await
        .unwrap();
    let window = RiskWindow {
        hour_ago: now - SignedDuration::from_hours(1),
        day_ago: now - SignedDuration::from_hours(24),
        month_ago: now - SignedDuration::from_hours(24 * 30),
        buyer_id: ann,
        card_fp: Some(card_a.clone()),
    };
    let device = store
        .risk_key_counts(&RiskKey::Device(dev_x.clone()), &window)
        .await
        .unwrap();
    assert_eq!(
        (device.last_hour, device.last_day, device.failed_last_day),
        (2, 3, 2)
    );
    assert_eq!((device.other_cards, device.other_accounts), (2, 1));
    let card = store
        .risk_key_counts(&RiskKey::Card(card_a.clone()), &window)
        .await
        .unwrap();
    assert_eq!(
        (card.last_day, card.other_accounts),
        (1, 1),
        "bob used it 3 days ago"
    );
    let account = store
        .risk_key_counts(&RiskKey::Account(ann), &window)
        .await
        .unwrap();
    assert_eq!((account.last_hour, account.other_cards), (2, 1));
    assert_eq!(
        store.risk_paid_history(ann, "USD").await.unwrap(),
        (2, 4_000)
    );
    assert!(store.risk_device_seen(ann, &dev_x).await.unwrap());
    assert!(!store.risk_device_seen(ann, &dev_y).await.unwrap());
    // One statement reads the same as the separate ones.
    let address = store
        .risk_key_counts(&RiskKey::Address("addr-1".into()), &window)
        .await
        .unwrap();
    let ip = store
        .risk_key_counts(&RiskKey::Ip("203.0.113.7".into()), &window)
        .await
        .unwrap();
    let ask =
        |device: Option<&str>, ip: Option<&str>, card: Option<&str>| crate::RiskCountsRequest {
            window: RiskWindow {
                card_fp: card.map(String::from),
                ..window.clone()
            },
            address_key: "addr-1".into(),
            device_id: device.map(String::from),
            ip: ip.map(String::from),
            currency: "USD".into(),
        };
    let all = store
        .risk_payment_counts(&ask(Some(&dev_x), Some("203.0.113.7"), Some(&card_a)))
        .await
        .unwrap();
    assert_eq!(
        all,
        crate::RiskPaymentCounts {
            account,
            card,
            address,
            device,
            ip,
            paid_history: (2, 4_000),
            device_seen: true,
        }
    );
    let bare = store
        .risk_payment_counts(&ask(None, None, None))
        .await
        .unwrap();
    assert_eq!(bare.device, Default::default(), "no device, no counts");
    assert_eq!(bare.card, Default::default(), "no card, no counts");
    assert!(!bare.device_seen);
    assert_eq!(bare.account.last_hour, 2);
    // An outcome moves with its order.
    store
        .commit(Changeset {
            risk_outcomes: vec![(first_order, RiskOutcome::Review)],
            ..Changeset::default()
        })
        .await
        .unwrap();
    let held = store
        .risk_attempts_in_review(&PageRequest {
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(held.items.iter().any(|a| a.order_id == Some(first_order)));
    assert!(
        held.items
            .windows(2)
            .all(|w| (w[0].at, w[0].id) <= (w[1].at, w[1].id)),
        "a work queue: the longest-waiting first"
    );
    let found = store
        .risk_attempt_for_order(first_order)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.assessment["features"]["amount_minor"], 2000);
    let linked = store.risk_linked_accounts(&found, 10).await.unwrap();
    assert!(
        linked
            .iter()
            .any(|l| l.buyer_id == bob && l.via == "device"),
        "{linked:?}"
    );
    assert!(
        linked.iter().any(|l| l.buyer_id == bob && l.via == "card"),
        "{linked:?}"
    );
    // The defaults are there; a rule is saved once per version.
    let rules = store.risk_rules().await.unwrap();
    assert!(
        rules
            .iter()
            .any(|r| r.id == "default-block" && r.expression == "risk_score >= 75")
    );
    let rule = RiskRule {
        id: key("conformance-rule"),
        version: 1,
        name: "n".into(),
        action: "review".into(),
        expression: "risk_score > 50".into(),
        enabled: true,
        updated_at: now,
        updated_by: Some(ann),
    };
    let save = |rule: RiskRule, expected| Changeset {
        risk_rules: vec![RiskRuleWrite {
            rule,
            expected_version: expected,
        }],
        ..Changeset::default()
    };
    store.commit(save(rule.clone(), None)).await.unwrap();
    assert_eq!(
        store.commit(save(rule.clone(), None)).await,
        Err(StoreError::Conflict(Conflict::StaleRiskRule))
    );
    let v2 = RiskRule {
        version: 2,
        ..rule.clone()
    };
    store.commit(save(v2.clone(), Some(1))).await.unwrap();
    assert_eq!(
        store.commit(save(v2, Some(1))).await,
        Err(StoreError::Conflict(Conflict::StaleRiskRule))
    );
    let versions = store
        .risk_rule_versions(&key("conformance-rule"))
        .await
        .unwrap();
    assert_eq!(
        versions.iter().map(|r| r.version).collect::<Vec<_>>(),
        [2, 1]
    );
    // Lists: adding twice is one entry.
    let entry = crate::RiskListEntry {
        name: "blocked_devices".into(),
        value: "dev-x".into(),
        added_at: now,
        added_by: None,
    };
    for _ in 0..2 {
        store
            .commit(Changeset {
                risk_list_adds: vec![entry.clone()],
                ..Changeset::default()
            })
            .await
            .unwrap();
    }
    assert_eq!(store.risk_lists().await.unwrap(), vec![entry]);
    store
        .commit(Changeset {
            risk_list_removes: vec![("blocked_devices".into(), "dev-x".into())],
            ..Changeset::default()
        })
        .await
        .unwrap();
    assert!(store.risk_lists().await.unwrap().is_empty());
}

async fn retention_purges_old_keys_and_events_but_never_the_newest_position(store: &dyn Store) {
    let user = UserId::new();
    let record = |key: &str, at| IdempotencyRecord {
        user_id: user,
        key: key.into(),
        request_hash: "h".into(),
        resource: "order:x".into(),
        created_at: at,
    };
    let much_earlier = t0() - SignedDuration::from_hours(24 * 400);
    for (key, at) in [("old", much_earlier), ("new", t0())] {
        store
            .commit(Changeset {
                idempotency: Some(record(key, at)),
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let event = NewOutboxEvent {
        topic: "test.retention".into(),
        payload: serde_json::json!({}),
        created_at: much_earlier,
    };
    store
        .commit(Changeset {
            outbox: vec![event.clone(), event.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    let newest = publish_all(store).await;
    let purge = crate::Purge {
        before: much_earlier + SignedDuration::from_hours(1),
        limit: 100_000,
    };
    store
        .commit(Changeset {
            purge_idempotency: Some(purge),
            purge_events: Some(purge),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(store.idempotency(user, "old").await.unwrap().is_none());
    assert!(store.idempotency(user, "new").await.unwrap().is_some());
    let left = store.outbox_after(0, 1_000_000).await.unwrap();
    assert_eq!(
        left.last().map(|e| e.seq),
        Some(newest),
        "the newest position stays"
    );
    // So positions keep growing after a purge.
    store
        .commit(Changeset {
            outbox: vec![event],
            ..Default::default()
        })
        .await
        .unwrap();
    store.sequence_outbox(100_000).await.unwrap();
    let after = store.outbox_after(newest, 10).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].seq, newest + 1);
}

/// The risk-attempt purge drops old attempts in bounded batches, but never
/// one still waiting for an agent's review, nor a recent one.
async fn risk_attempts_age_out_except_those_in_review(store: &dyn Store) {
    use crate::RiskOutcome;
    let buyer = UserId::new();
    let long_ago = t0() - SignedDuration::from_hours(24 * 900);
    // Keys of its own: other stories count attempts by IP and address.
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let own = |mut attempt: crate::RiskAttempt| {
        attempt.ip = Some(format!("ip-{tag}"));
        attempt.address_key = format!("addr-{tag}");
        attempt
    };
    let old = |outcome| {
        own(risk_attempt(
            buyer, "card-old", "dev-old", long_ago, outcome,
        ))
    };
    let (old_allowed, old_declined, old_review) = (
        old(RiskOutcome::Allowed),
        old(RiskOutcome::Declined),
        old(RiskOutcome::Review),
    );
    let recent = own(risk_attempt(
        buyer,
        "card-new",
        "dev-new",
        t0(),
        RiskOutcome::Allowed,
    ));
    let all = [&old_allowed, &old_declined, &old_review, &recent];
    store
        .commit(Changeset {
            risk_attempts: all.iter().map(|a| (*a).clone()).collect(),
            ..Changeset::default()
        })
        .await
        .unwrap();
    let purge = |limit| Changeset {
        purge_risk_attempts: Some(crate::Purge {
            before: long_ago + SignedDuration::from_hours(1),
            limit,
        }),
        ..Changeset::default()
    };
    let left = async || {
        let mut left = Vec::new();
        for attempt in all {
            if store.risk_attempt(attempt.id).await.unwrap().is_some() {
                left.push(attempt.id);
            }
        }
        left
    };
    store.commit(purge(1)).await.unwrap();
    assert_eq!(left().await.len(), 3, "one per batch of one");
    store.commit(purge(100_000)).await.unwrap();
    assert_eq!(left().await, vec![old_review.id, recent.id]);
}

/// Publish every committed event; the newest position (0: none).
async fn publish_all(store: &dyn Store) -> i64 {
    store.sequence_outbox(1_000_000).await.unwrap();
    store
        .outbox_after(0, 1_000_000)
        .await
        .unwrap()
        .last()
        .map_or(0, |e| e.seq)
}

/// A sweep walks the deadlines in (due, id) order in batches, each
/// deadline once even when they share a millisecond, and its cursor moves
/// only from where the caller read it.
async fn sweeps_see_each_deadline_once(store: &dyn Store) {
    // Far from every other test's deadlines, and from other runs'.
    let offset_s = i64::from(uuid::Uuid::now_v7().as_u128() as u32 % 1_000_000);
    let due = t0() + SignedDuration::from_hours(24 * 3650) + SignedDuration::from_secs(offset_s);
    let later = due + SignedDuration::from_secs(30);
    let order_id = OrderId::new();
    let timers = [
        (TimerKind::ShipBy, due),
        (TimerKind::ProtectionEnd, due),
        (TimerKind::OnTimeGuarantee, due),
        (TimerKind::ReviewPublish, later),
    ];
    store
        .commit(Changeset {
            schedule: timers
                .iter()
                .map(|&(kind, due_at)| NewTimer {
                    order_id,
                    kind,
                    due_at,
                })
                .collect(),
            ..Default::default()
        })
        .await
        .unwrap();
    let name = format!("test-sweep-{}", uuid::Uuid::now_v7().simple());
    assert_eq!(store.sweep_cursor(&name).await.unwrap(), None);
    let start = crate::SweepCursor::at(due - SignedDuration::from_millis(1));
    let mut cursor = start.clone();
    let mut seen = Vec::new();
    loop {
        let batch = store.timers_after(&cursor, later, 2).await.unwrap();
        let Some(last) = batch.last() else { break };
        cursor = crate::SweepCursor::past(last);
        seen.extend(batch.iter().map(|t| (t.kind, t.due_at)));
    }
    let mut expected: Vec<_> = timers.to_vec();
    expected.sort_by_key(|&(_, at)| at);
    let mut got = seen.clone();
    got.sort_by_key(|&(kind, at)| (at, kind.as_str()));
    expected.sort_by_key(|&(kind, at)| (at, kind.as_str()));
    assert_eq!(got, expected, "each once: {seen:?}");
    assert_eq!(
        seen.last().unwrap().0,
        TimerKind::ReviewPublish,
        "in due order"
    );
    let before_later = store
        .timers_after(&start, later - SignedDuration::from_millis(1), 10)
        .await
        .unwrap();
    assert_eq!(before_later.len(), 3, "nothing due after `until`");

    assert!(store.advance_sweep(&name, None, &start).await.unwrap());
    assert!(
        store
            .advance_sweep(&name, Some(&start), &cursor)
            .await
            .unwrap()
    );
    assert!(
        !store
            .advance_sweep(&name, Some(&start), &start)
            .await
            .unwrap(),
        "a node that read a stale cursor does not move the sweep"
    );
    assert_eq!(store.sweep_cursor(&name).await.unwrap(), Some(cursor));
    store
        .commit(Changeset {
            unschedule: timers.iter().map(|&(kind, _)| (order_id, kind)).collect(),
            ..Default::default()
        })
        .await
        .unwrap();
}

/// A relay's position moves only from where the caller read it, and
/// events it has not handed on survive the retention purge.
async fn relays_advance_once_and_hold_back_the_purge(store: &dyn Store) {
    let relay = format!("test-relay-{}", uuid::Uuid::now_v7().simple());
    assert_eq!(store.relay_position(&relay).await.unwrap(), 0);
    assert!(store.advance_relay(&relay, 0, 1).await.unwrap());
    assert!(
        !store.advance_relay(&relay, 0, 2).await.unwrap(),
        "a node that read a stale position does not move the relay"
    );
    assert_eq!(store.relay_position(&relay).await.unwrap(), 1);

    let long_ago = t0() - SignedDuration::from_hours(24 * 500);
    let event = |created_at| NewOutboxEvent {
        topic: "test.relay".into(),
        payload: serde_json::json!({}),
        created_at,
    };
    let start = publish_all(store).await;
    assert!(store.advance_relay(&relay, 1, start).await.unwrap());
    store
        .commit(Changeset {
            outbox: vec![event(long_ago), event(long_ago), event(t0())],
            ..Default::default()
        })
        .await
        .unwrap();
    store.sequence_outbox(1_000_000).await.unwrap();
    let purge = || Changeset {
        purge_events: Some(crate::Purge {
            before: long_ago + SignedDuration::from_hours(1),
            limit: 100_000,
        }),
        ..Default::default()
    };
    store.commit(purge()).await.unwrap();
    let kept = store.outbox_after(start, 10).await.unwrap();
    assert_eq!(kept.len(), 3, "events the relay has not handed on are kept");

    assert!(store.advance_relay(&relay, start, start + 2).await.unwrap());
    store.commit(purge()).await.unwrap();
    let kept = store.outbox_after(start, 10).await.unwrap();
    assert_eq!(
        kept.iter().map(|e| e.seq).collect::<Vec<_>>(),
        vec![start + 3],
        "once relayed, old events go"
    );
    // Retire the test relay so it holds nothing back.
    assert!(
        store
            .advance_relay(&relay, start + 2, i64::MAX)
            .await
            .unwrap()
    );
}

/// Writers commit events concurrently while a reader publishes and follows
/// positions: it sees every event once, in increasing positions.
async fn outbox_readers_never_skip_an_event(store: Arc<dyn Store>) {
    let topic = format!("test.order.{}", uuid::Uuid::now_v7().simple());
    let start = publish_all(&*store).await;
    let writers: Vec<_> = (0..20)
        .map(|w| {
            let store = store.clone();
            let topic = topic.clone();
            tokio::spawn(async move {
                for n in 0..10 {
                    let event = NewOutboxEvent {
                        topic: topic.clone(),
                        payload: serde_json::json!({ "w": w, "n": n }),
                        created_at: t0(),
                    };
                    store
                        .commit(Changeset {
                            outbox: vec![event],
                            ..Default::default()
                        })
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = start;
    for _ in 0..10_000 {
        store.sequence_outbox(50).await.unwrap();
        for event in store.outbox_after(cursor, 1_000).await.unwrap() {
            assert!(event.seq > cursor, "positions only grow");
            cursor = event.seq;
            if event.topic == topic {
                assert!(
                    seen.insert((
                        event.payload["w"].clone().to_string(),
                        event.payload["n"].as_i64()
                    )),
                    "seen twice"
                );
            }
        }
        if seen.len() == 200 {
            break;
        }
        tokio::task::yield_now().await;
    }
    for writer in writers {
        writer.await.unwrap();
    }
    assert_eq!(seen.len(), 200, "every event, once");
}

/// A sum that would leave `i64` fails the whole transaction on both
/// databases (SQLite would otherwise turn it into a REAL), and the
/// balance stays what it was.
async fn a_balance_never_wraps_past_the_64_bit_range(store: &dyn Store) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let from = Account::Gateway(format!("overflow-from-{tag}"));
    // A single-row account (shared accounts are kept in shards, each
    // bounded the same way).
    let to = Account::SellerAvailable(haven_domain::ids::StoreId::new());
    let entry = |n: u32, amount_minor: i64| {
        Entry::transfer(
            EntryHeader {
                idempotency_key: format!("overflow:{tag}:{n}"),
                kind: EntryKind::Compensation,
                order_id: None,
                payout_id: None,
                created_at: t0(),
            },
            from.clone(),
            to.clone(),
            usd(amount_minor),
        )
        .unwrap()
    };
    let post = |e: Entry| Changeset {
        entries: vec![e],
        ..Default::default()
    };
    store.commit(post(entry(1, i64::MAX - 10))).await.unwrap();
    let refused = store.commit(post(entry(2, 20))).await;
    assert!(
        matches!(&refused, Err(crate::StoreError::Backend(m)) if m.contains("64-bit")),
        "{refused:?}"
    );
    assert_eq!(
        store.balance(&to.to_string(), "USD").await.unwrap(),
        i64::MAX - 10
    );

    // A shared account's shards add up to one balance, read and scanned.
    let shared = Account::Gateway(format!("shared-{tag}"));
    for n in 0..40 {
        let entry = Entry::transfer(
            EntryHeader {
                idempotency_key: format!("shared:{tag}:{n}"),
                kind: EntryKind::Capture,
                order_id: None,
                payout_id: None,
                created_at: t0(),
            },
            shared.clone(),
            Account::SellerAvailable(haven_domain::ids::StoreId::new()),
            usd(100),
        )
        .unwrap();
        store.commit(post(entry)).await.unwrap();
    }
    assert_eq!(
        store.balance(&shared.to_string(), "USD").await.unwrap(),
        -4_000
    );
    let scanned = store
        .scan_balances(Some((format!("gateway:shared-{tag}"), String::new())), 5)
        .await
        .unwrap();
    assert_eq!(scanned[0].account, shared.to_string());
    assert_eq!(scanned[0].balance_minor, -4_000);
}

/// The request-side command updates (settle, defer), the agent's (revive,
/// dismiss), and commands born dead-lettered.
async fn commands_settle_defer_revive_and_dismiss(store: &dyn Store) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let order = OrderId::new();
    let update = |u: crate::CommandUpdate| Changeset {
        command_updates: vec![u],
        ..Default::default()
    };
    let later = t0() + SignedDuration::from_secs(120);
    let capture = crate::NewCommand::new(
        "gateway.capture",
        format!("capture:{tag}"),
        serde_json::json!({}),
        Some(order),
        t0(),
    )
    .not_before(later);
    let finding = crate::NewCommand::new(
        "reconcile.missing_capture",
        format!("missing:{tag}"),
        serde_json::json!({}),
        Some(order),
        t0(),
    )
    .dead_lettered("no capture");
    store
        .commit(Changeset {
            commands: vec![capture.clone(), finding.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    let mine = |cs: Vec<crate::Command>| -> Vec<crate::Command> {
        cs.into_iter()
            .filter(|c| c.order_id == Some(order))
            .collect()
    };
    let lease = t0() + SignedDuration::from_secs(60);
    assert!(
        mine(store.claim_commands(t0(), lease, 100).await.unwrap()).is_empty(),
        "not before its time, and a finding is never claimed"
    );
    let born_dead = store.command(finding.id).await.unwrap().unwrap();
    assert_eq!(born_dead.state, crate::CommandState::Dead);
    assert_eq!(born_dead.last_error, "no capture");
    assert_eq!(born_dead.done_at, Some(t0()));

    // Deferred while pending and unleased; settled without a lease.
    let much_later = t0() + SignedDuration::from_hours(1);
    store
        .commit(update(crate::CommandUpdate::Deferred {
            id: capture.id,
            next_attempt_at: much_later,
            now: t0(),
        }))
        .await
        .unwrap();
    assert!(
        mine(
            store
                .claim_commands(later, later + SignedDuration::from_secs(60), 100)
                .await
                .unwrap()
        )
        .is_empty()
    );
    store
        .commit(update(crate::CommandUpdate::Settled {
            id: capture.id,
            at: later,
        }))
        .await
        .unwrap();
    let settled = store.command(capture.id).await.unwrap().unwrap();
    assert_eq!(settled.state, crate::CommandState::Done);
    // Settling again is harmless.
    store
        .commit(update(crate::CommandUpdate::Settled {
            id: capture.id,
            at: much_later,
        }))
        .await
        .unwrap();
    assert_eq!(
        store.command(capture.id).await.unwrap().unwrap().done_at,
        Some(later)
    );

    // Revive: dead only, back to pending with its attempts reset.
    is_conflict(
        store
            .commit(update(crate::CommandUpdate::Revived {
                id: capture.id,
                at: later,
            }))
            .await,
        Conflict::CommandGone,
    );
    store
        .commit(update(crate::CommandUpdate::Revived {
            id: finding.id,
            at: later,
        }))
        .await
        .unwrap();
    let revived = store.command(finding.id).await.unwrap().unwrap();
    assert_eq!(
        (
            revived.state,
            revived.attempts,
            revived.next_attempt_at,
            revived.done_at
        ),
        (crate::CommandState::Pending, 0, later, None)
    );
    let claimed = mine(
        store
            .claim_commands(later, lease + SignedDuration::from_secs(120), 100)
            .await
            .unwrap(),
    );
    assert_eq!(claimed.len(), 1);
    store
        .commit(update(crate::CommandUpdate::Finished {
            id: finding.id,
            lease_until: claimed[0].lease_until,
            state: crate::CommandState::Dead,
            at: later,
            error: "still".into(),
            redacted_payload: None,
        }))
        .await
        .unwrap();
    store
        .commit(update(crate::CommandUpdate::Dismissed {
            id: finding.id,
            at: much_later,
            note: "handled by hand".into(),
        }))
        .await
        .unwrap();
    let dismissed = store.command(finding.id).await.unwrap().unwrap();
    assert_eq!(dismissed.state, crate::CommandState::Cancelled);
    assert_eq!(dismissed.last_error, "handled by hand");
    is_conflict(
        store
            .commit(update(crate::CommandUpdate::Dismissed {
                id: finding.id,
                at: much_later,
                note: "twice".into(),
            }))
            .await,
        Conflict::CommandGone,
    );
}

/// The simulated gateway's books: created once, changed by
/// compare-and-swap, scanned in (created, key) order.
async fn journal_rows_are_compare_and_swap(store: &dyn Store) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let kind = format!("test-{tag}");
    let write = |key: &str, n: i64, expected: Option<i64>, at| crate::JournalWrite {
        key: key.to_string(),
        kind: kind.clone(),
        body: serde_json::json!({ "n": n }),
        expected_version: expected,
        at,
    };
    let journal = |w: Vec<crate::JournalWrite>| Changeset {
        journal: w,
        ..Default::default()
    };
    let (a, b) = (format!("a-{tag}"), format!("b-{tag}"));
    store
        .commit(journal(vec![
            write(&b, 1, None, t0()),
            write(&a, 1, None, t0()),
        ]))
        .await
        .unwrap();
    is_conflict(
        store.commit(journal(vec![write(&a, 9, None, t0())])).await,
        Conflict::StaleJournal,
    );
    store
        .commit(journal(vec![write(&a, 2, Some(1), t0())]))
        .await
        .unwrap();
    is_conflict(
        store
            .commit(journal(vec![write(&a, 3, Some(1), t0())]))
            .await,
        Conflict::StaleJournal,
    );
    let row = store.journal(&a).await.unwrap().unwrap();
    assert_eq!((row.version, row.body["n"].as_i64()), (2, Some(2)));
    assert_eq!(row.created_at, t0());
    let later = format!("c-{tag}");
    store
        .commit(journal(vec![write(
            &later,
            1,
            None,
            t0() + SignedDuration::from_secs(1),
        )]))
        .await
        .unwrap();
    let all = store.journal_scan(&kind, t0(), None, 10).await.unwrap();
    let keys: Vec<_> = all.iter().map(|r| r.key.clone()).collect();
    assert_eq!(keys, vec![a.clone(), b.clone(), later.clone()]);
    let rest = store
        .journal_scan(&kind, t0(), Some((t0(), a.clone())), 10)
        .await
        .unwrap();
    assert_eq!(rest.len(), 2);
    let recent = store
        .journal_scan(&kind, t0() + SignedDuration::from_secs(1), None, 10)
        .await
        .unwrap();
    assert_eq!(recent.len(), 1);
    assert!(store.journal("nothing-here").await.unwrap().is_none());
}

/// A changeset computed from a balance commits only while that balance
/// still holds; an account never posted to counts as zero.
async fn balance_guards_refuse_a_stale_read(store: &dyn Store) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let account = format!("platform:test-{tag}");
    let guard = |expected_minor| Changeset {
        balance_guards: vec![crate::BalanceGuard {
            account: account.clone(),
            currency: "USD".into(),
            expected_minor,
        }],
        ..Default::default()
    };
    store.commit(guard(0)).await.unwrap();
    is_conflict(store.commit(guard(5)).await, Conflict::StaleBalance);
    assert_eq!(store.balance(&account, "USD").await.unwrap(), 0);
}

async fn commands_are_leased_retried_and_finished_once(store: &dyn Store) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let order = OrderId::new();
    let command = |kind: &str, key: String| {
        crate::NewCommand::new(kind, key, serde_json::json!({"n": 1}), Some(order), t0())
    };
    let first = command("gateway.refund", format!("refund:{tag}"));
    let twin = command("gateway.refund", format!("refund:{tag}"));
    let other = command("email", format!("email:{tag}"));
    let queue = |c: Vec<crate::NewCommand>| Changeset {
        commands: c,
        ..Default::default()
    };
    store
        .commit(queue(vec![first.clone(), other.clone()]))
        .await
        .unwrap();
    // The same key queued again (a retried request) is a no-op.
    store.commit(queue(vec![twin.clone()])).await.unwrap();
    assert!(store.command(twin.id).await.unwrap().is_none());
    let mine = |cs: Vec<crate::Command>| -> Vec<crate::Command> {
        cs.into_iter()
            .filter(|c| c.order_id == Some(order))
            .collect()
    };
    assert_eq!(store.commands_for_order(order).await.unwrap().len(), 2);

    // Not due before their time; claimed with a lease and an attempt.
    let lease = t0() + SignedDuration::from_secs(60);
    let claimed = mine(store.claim_commands(t0(), lease, 100).await.unwrap());
    assert_eq!(claimed.len(), 2);
    assert!(
        claimed
            .iter()
            .all(|c| c.attempts == 1 && c.lease_until == lease)
    );
    // While leased, nobody else gets them.
    assert!(mine(store.claim_commands(t0(), lease, 100).await.unwrap()).is_empty());

    let later = t0() + SignedDuration::from_secs(30);
    let finish = |id, lease_until, state| crate::CommandUpdate::Finished {
        id,
        lease_until,
        state,
        at: later,
        error: String::new(),
        redacted_payload: Some(serde_json::json!({"n": 0})),
    };
    let update = |u: crate::CommandUpdate| Changeset {
        command_updates: vec![u],
        ..Default::default()
    };
    store
        .commit(update(finish(first.id, lease, crate::CommandState::Done)))
        .await
        .unwrap();
    let done = store.command(first.id).await.unwrap().unwrap();
    assert_eq!(done.state, crate::CommandState::Done);
    assert_eq!(done.done_at, Some(later));
    assert_eq!(done.payload, serde_json::json!({"n": 0}), "redacted");
    // Finishing twice, or under another lease, writes nothing.
    is_conflict(
        store
            .commit(update(finish(first.id, lease, crate::CommandState::Done)))
            .await,
        Conflict::CommandGone,
    );
    is_conflict(
        store
            .commit(update(finish(other.id, t0(), crate::CommandState::Done)))
            .await,
        Conflict::CommandGone,
    );
    // A retry releases the lease and waits until its time.
    let retry_at = t0() + SignedDuration::from_secs(600);
    store
        .commit(update(crate::CommandUpdate::RetryAt {
            id: other.id,
            lease_until: lease,
            next_attempt_at: retry_at,
            error: "smtp down".into(),
        }))
        .await
        .unwrap();
    let waiting = store.command(other.id).await.unwrap().unwrap();
    assert_eq!(
        (waiting.next_attempt_at, waiting.last_error.as_str()),
        (retry_at, "smtp down")
    );
    assert!(mine(store.claim_commands(later, later, 100).await.unwrap()).is_empty());
    let again = mine(
        store
            .claim_commands(retry_at, retry_at + SignedDuration::from_secs(60), 100)
            .await
            .unwrap(),
    );
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    store
        .commit(update(finish(
            other.id,
            again[0].lease_until,
            crate::CommandState::Dead,
        )))
        .await
        .unwrap();
    let dead = store
        .dead_commands(&PageRequest::new(None, Some(100)))
        .await
        .unwrap();
    assert!(dead.items.iter().any(|c| c.id == other.id));

    // Cancelling skips leased commands and takes unleased pending ones.
    let pending = command("gateway.refund", format!("refund:{tag}:2"));
    store.commit(queue(vec![pending.clone()])).await.unwrap();
    store
        .commit(Changeset {
            cancel_commands: vec![(order, "gateway.refund".into(), later)],
            ..Default::default()
        })
        .await
        .unwrap();
    let cancelled = store.command(pending.id).await.unwrap().unwrap();
    assert_eq!(cancelled.state, crate::CommandState::Cancelled);
    let scanned = store.scan_commands(None, 100_000).await.unwrap();
    assert!(scanned.windows(2).all(|w| w[0].id < w[1].id), "id order");
    assert!(scanned.iter().any(|c| c.id == pending.id));
}

/// Sent emails go after their retention; other finished commands (a
/// refund is evidence of money moved) stay.
async fn sent_emails_are_purged_after_their_retention(store: &dyn Store) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let order = OrderId::new();
    let email = crate::NewCommand::new(
        "email",
        format!("email:purge:{tag}"),
        serde_json::json!({"to": "a@example.com"}),
        Some(order),
        t0(),
    );
    let refund = crate::NewCommand::new(
        "gateway.refund",
        format!("refund:purge:{tag}"),
        serde_json::json!({}),
        Some(order),
        t0(),
    );
    store
        .commit(Changeset {
            commands: vec![email.clone(), refund.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    let lease = t0() + SignedDuration::from_secs(60);
    let claimed: Vec<_> = store
        .claim_commands(t0(), lease, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.order_id == Some(order))
        .collect();
    assert_eq!(claimed.len(), 2);
    // Sent long ago, so no other check's emails are old enough to go too.
    let sent_at = t0() - SignedDuration::from_hours(24 * 900);
    for command in [&email, &refund] {
        store
            .commit(Changeset {
                command_updates: vec![crate::CommandUpdate::Finished {
                    id: command.id,
                    lease_until: lease,
                    state: crate::CommandState::Done,
                    at: sent_at,
                    error: String::new(),
                    redacted_payload: None,
                }],
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let purge = |before| Changeset {
        purge_sent_emails: Some(crate::Purge {
            before,
            limit: 1_000,
        }),
        ..Default::default()
    };
    store.commit(purge(sent_at)).await.unwrap();
    assert!(store.command(email.id).await.unwrap().is_some(), "not yet");
    store
        .commit(purge(sent_at + SignedDuration::from_secs(1)))
        .await
        .unwrap();
    assert!(store.command(email.id).await.unwrap().is_none(), "purged");
    assert!(store.command(refund.id).await.unwrap().is_some(), "kept");
}

/// Several dispatchers claiming at once each get different commands.
async fn commands_are_claimed_once_under_concurrency(store: Arc<dyn Store>) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let order = OrderId::new();
    let commands: Vec<_> = (0..40)
        .map(|i| {
            crate::NewCommand::new(
                "gateway.refund",
                format!("refund:{tag}:{i}"),
                serde_json::json!({}),
                Some(order),
                t0(),
            )
        })
        .collect();
    store
        .commit(Changeset {
            commands,
            ..Default::default()
        })
        .await
        .unwrap();
    let now = t0() + SignedDuration::from_hours(1);
    let lease = now + SignedDuration::from_secs(60);
    let mut claims = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        claims.push(tokio::spawn(async move {
            store.claim_commands(now, lease, 15).await.unwrap()
        }));
    }
    let mut ids = Vec::new();
    for claim in claims {
        ids.extend(
            claim
                .await
                .unwrap()
                .into_iter()
                .filter(|c| c.order_id == Some(order))
                .map(|c| c.id),
        );
    }
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no command handed out twice");
}

async fn login_defence_counts_and_blocks(store: &dyn Store) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let ip = format!("198.51.100.{}", tag.len());
    let subject = format!("{ip}-{tag}");
    let events: Vec<crate::ThrottleEvent> = (0..6)
        .map(|i| crate::ThrottleEvent {
            scope: "login_ip_failure".into(),
            subject: subject.clone(),
            detail: format!("victim{}@example.com", i % 4),
            at: t0() + SignedDuration::from_secs(i),
        })
        .collect();
    store
        .commit(Changeset {
            throttle_events: events,
            ..Default::default()
        })
        .await
        .unwrap();
    let count = store
        .throttle_count("login_ip_failure", &subject, t0())
        .await
        .unwrap();
    assert_eq!(count.events, 6);
    assert_eq!(count.distinct_details, 4);
    assert_eq!(count.last_at, Some(t0() + SignedDuration::from_secs(5)));
    let recent = store
        .throttle_count(
            "login_ip_failure",
            &subject,
            t0() + SignedDuration::from_secs(3),
        )
        .await
        .unwrap();
    assert_eq!(recent.events, 3, "only the window");
    let none = store
        .throttle_count("login_ip", &subject, t0())
        .await
        .unwrap();
    assert_eq!(none, crate::ThrottleCount::default());

    // A block keeps the latest end, whichever arrives first.
    let block = |until| Changeset {
        throttle_blocks: vec![("login_ip".into(), subject.clone(), until)],
        ..Default::default()
    };
    let long = t0() + SignedDuration::from_mins(30);
    store.commit(block(long)).await.unwrap();
    store
        .commit(block(t0() + SignedDuration::from_mins(15)))
        .await
        .unwrap();
    assert_eq!(
        store.throttle_block("login_ip", &subject).await.unwrap(),
        Some(long)
    );

    // Purging drops old counts and ended blocks.
    store
        .commit(Changeset {
            purge_throttle_before: Some(t0() + SignedDuration::from_hours(2)),
            ..Default::default()
        })
        .await
        .unwrap();
    let purged = store
        .throttle_count("login_ip_failure", &subject, t0())
        .await
        .unwrap();
    assert_eq!(purged.events, 0);
    assert_eq!(
        store.throttle_block("login_ip", &subject).await.unwrap(),
        None
    );
}

async fn accounts_and_sessions(store: &dyn Store) {
    // Unique per run, so the suite can run again on the same database.
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let user = sample_user(&format!("Conformance-{tag}@Example.com"));
    let one_user = |u: &User| Changeset {
        users: vec![u.clone()],
        ..Default::default()
    };
    store.commit(one_user(&user)).await.unwrap();
    assert_eq!(store.user(user.id).await.unwrap(), Some(user.clone()));
    let lower = format!("conformance-{tag}@example.com");
    assert_eq!(
        store.user_by_email(&lower).await.unwrap(),
        Some(user.clone())
    );
    let mut same_email = sample_user(&lower);
    same_email.display_name = format!("Someone else {tag}");
    is_conflict(
        store.commit(one_user(&same_email)).await,
        Conflict::EmailTaken,
    );
    // A look-alike of the email (Cyrillic "о", full-width letters) is taken too.
    let mut lookalike = sample_user(&format!("cоnformance-{tag}@example.com"));
    lookalike.display_name = format!("Another person {tag}");
    is_conflict(
        store.commit(one_user(&lookalike)).await,
        Conflict::EmailTaken,
    );
    // So is a display name that only looks like another account's.
    let mut same_name = sample_user(&format!("other-{tag}@example.com"));
    same_name.display_name = user.display_name.replace('S', "Ѕ").to_uppercase();
    is_conflict(
        store.commit(one_user(&same_name)).await,
        Conflict::NameTaken,
    );
    let found = store
        .users_looking_like(
            &haven_domain::text::skeleton(lookalike.email.as_str()),
            "nobody",
        )
        .await
        .unwrap();
    assert_eq!(
        found.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![user.id]
    );
    // Renaming to a look-alike is refused as well, and writes nothing.
    let mut renamed = store.user(user.id).await.unwrap().unwrap();
    let other = sample_user(&format!("third-{tag}@example.com"));
    store.commit(one_user(&other)).await.unwrap();
    renamed.display_name = other.display_name.clone();
    is_conflict(
        store
            .commit(Changeset {
                user_updates: vec![UserWrite {
                    user: renamed,
                    expected_version: 1,
                }],
                ..Default::default()
            })
            .await,
        Conflict::NameTaken,
    );
    assert_eq!(store.user(user.id).await.unwrap(), Some(user.clone()));
    assert!(store.user(UserId::new()).await.unwrap().is_none());

    let session = Session {
        token_hash: format!("hash-{}", user.id),
        user_id: user.id,
        kind: SessionKind::Api,
        created_at: t0(),
        expires_at: t0() + SignedDuration::from_hours(1),
        user_agent: "Firefox on Linux".into(),
        ip: "192.0.2.7".into(),
        last_seen_at: t0(),
        reauthenticated_at: t0(),
    };
    store
        .commit(Changeset {
            sessions: vec![session.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store.session(&session.token_hash).await.unwrap(),
        Some(session.clone())
    );
    let (found, owner, shop) = store
        .session_with_user(&session.token_hash)
        .await
        .unwrap()
        .expect("one read finds all three");
    assert_eq!(found, session);
    assert_eq!(owner.id, user.id);
    assert_eq!(
        owner.version,
        store.user(user.id).await.unwrap().unwrap().version
    );
    assert!(shop.is_none(), "no store yet");
    assert!(store.session_with_user("no-such").await.unwrap().is_none());
    store
        .commit(Changeset {
            delete_sessions: vec![session.token_hash.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(store.session(&session.token_hash).await.unwrap().is_none());
}

async fn catalog_and_pagination(store: &dyn Store) {
    let fx = fixture(store, 5).await;
    assert_eq!(store.shop(fx.shop.id).await.unwrap(), Some(fx.shop.clone()));
    assert_eq!(
        store.shop_by_owner(fx.seller.id).await.unwrap(),
        Some(fx.shop.clone())
    );
    let second_shop = Shop {
        id: StoreId::new(),
        owner_id: fx.seller.id,
        name: "Again".into(),
        description: String::new(),
        created_at: t0(),
    };
    is_conflict(
        store
            .commit(Changeset {
                shops: vec![second_shop],
                ..Default::default()
            })
            .await,
        Conflict::StoreAlreadyOpened,
    );
    // A missing owner is a programming error, not a business conflict, on every backend.
    let orphan = Shop {
        id: StoreId::new(),
        owner_id: UserId::new(),
        name: "Orphan".into(),
        description: String::new(),
        created_at: t0(),
    };
    let orphan = store
        .commit(Changeset {
            shops: vec![orphan],
            ..Default::default()
        })
        .await;
    assert!(matches!(orphan, Err(StoreError::Backend(_))), "{orphan:?}");

    let mut created = vec![fx.listing.id];
    for i in 1..5 {
        let mut listing = sample_listing(fx.shop.id, 1, t0() + SignedDuration::from_secs(i));
        listing.category = if i % 2 == 0 {
            "home".into()
        } else {
            "toys".into()
        };
        created.push(listing.id);
        store
            .commit(Changeset {
                listings: vec![listing],
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let filter = ListingFilter {
        store_id: Some(fx.shop.id),
        category: None,
    };
    let mut seen = Vec::new();
    let mut page = PageRequest::new(None, Some(2));
    loop {
        let result = store.listings(&filter, &page).await.unwrap();
        assert!(result.items.len() <= 2);
        seen.extend(result.items.iter().map(|l| l.id));
        match result.next_cursor {
            Some(cursor) => page = PageRequest::new(Some(cursor), Some(2)),
            None => break,
        }
    }
    created.reverse();
    assert_eq!(seen, created, "all listings, newest first, each once");
    let toys = ListingFilter {
        store_id: Some(fx.shop.id),
        category: Some("toys".into()),
    };
    assert_eq!(
        store
            .listings(&toys, &PageRequest::new(None, Some(50)))
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    assert_eq!(
        store.listing(fx.listing.id).await.unwrap().unwrap().stock,
        5
    );

    let media = crate::Media {
        hash: "abc".into(),
        content_type: "image/png".into(),
        bytes: vec![1, 2, 3],
    };
    store
        .commit(Changeset {
            media: vec![media.clone(), media.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(store.media("abc").await.unwrap(), Some(media));
}

async fn stock_is_atomic(store: &dyn Store) {
    let fx = fixture(store, 1).await;
    let order = sample_order(fx.buyer.id, &fx.listing);
    let take_two = Changeset {
        stock: vec![StockChange {
            listing_id: fx.listing.id,
            delta: -2,
            deal_delta: 0,
            deal_return: None,
        }],
        orders: vec![OrderWrite {
            order: order.clone(),
            expected_version: None,
        }],
        ..Default::default()
    };
    is_conflict(store.commit(take_two).await, Conflict::OutOfStock);
    assert!(
        store.order(order.id).await.unwrap().is_none(),
        "nothing half-written"
    );
    assert_eq!(
        store.listing(fx.listing.id).await.unwrap().unwrap().stock,
        1
    );
}

async fn orders_use_optimistic_versions(store: &dyn Store) {
    let fx = fixture(store, 3).await;
    let order = sample_order(fx.buyer.id, &fx.listing);
    store
        .commit(Changeset {
            orders: vec![OrderWrite {
                order: order.clone(),
                expected_version: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let stored = store.order(order.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(stored.state, OrderState::PendingPayment);
    // Found by its short number (the id's last 8 hex digits, any case);
    // anything but hex digits finds nothing.
    let digits = order.id.0.simple().to_string()[24..].to_ascii_uppercase();
    assert!(
        store
            .orders_numbered(&digits, 5)
            .await
            .unwrap()
            .contains(&order.id)
    );
    assert!(store.orders_numbered("%", 5).await.unwrap().is_empty());
    assert!(store.orders_numbered("", 5).await.unwrap().is_empty());
    let mut paid = stored.clone();
    paid.state = OrderState::Paid;
    store
        .commit(Changeset {
            orders: vec![OrderWrite {
                order: paid.clone(),
                expected_version: Some(1),
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    is_conflict(
        store
            .commit(Changeset {
                orders: vec![OrderWrite {
                    order: paid,
                    expected_version: Some(1),
                }],
                ..Default::default()
            })
            .await,
        Conflict::StaleOrder,
    );
    let reread = store.order(order.id).await.unwrap().unwrap();
    assert_eq!((reread.version, reread.state), (2, OrderState::Paid));
    let page = store
        .orders_for_buyer(fx.buyer.id, &PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let page = store
        .orders_for_store(fx.shop.id, &PageRequest::new(None, None))
        .await
        .unwrap();
    assert_eq!(page.items[0].id, order.id);
    let all = store.scan_orders(None, 1_000).await.unwrap();
    assert!(
        all.iter()
            .any(|o| o.id == order.id && o.state == OrderState::Paid)
    );
}

async fn ledger_entries_are_idempotent_and_balanced(store: &dyn Store) {
    let fx = fixture(store, 3).await;
    let order = sample_order(fx.buyer.id, &fx.listing);
    let escrow = Account::Escrow(order.id).to_string();
    let entry = capture(&order);
    let first = Changeset {
        orders: vec![OrderWrite {
            order: order.clone(),
            expected_version: None,
        }],
        entries: vec![entry.clone()],
        ..Default::default()
    };
    store.commit(first).await.unwrap();
    assert_eq!(
        store.balance(&escrow, "USD").await.unwrap(),
        order.total.amount_minor
    );

    // Same idempotency key again: refused, and the other writes roll back too.
    let mut replay = capture(&order);
    replay.created_at = t0();
    let other = sample_order(fx.buyer.id, &fx.listing);
    let replay_changes = Changeset {
        orders: vec![OrderWrite {
            order: other.clone(),
            expected_version: None,
        }],
        entries: vec![replay],
        ..Default::default()
    };
    is_conflict(store.commit(replay_changes).await, Conflict::DuplicateEntry);
    assert!(store.order(other.id).await.unwrap().is_none());
    assert_eq!(
        store.balance(&escrow, "USD").await.unwrap(),
        order.total.amount_minor
    );

    // Escrow may never go negative.
    let overdraw = Entry::transfer(
        EntryHeader {
            idempotency_key: format!("order:{}:refund", order.id),
            kind: EntryKind::Refund,
            order_id: Some(order.id),
            payout_id: None,
            created_at: t0(),
        },
        Account::Escrow(order.id),
        Account::Gateway("testcard".into()),
        usd(order.total.amount_minor + 1),
    )
    .unwrap();
    is_conflict(
        store
            .commit(Changeset {
                entries: vec![overdraw],
                ..Default::default()
            })
            .await,
        Conflict::InsufficientFunds,
    );

    let stored = store.entries_for_order(order.id).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].entry, entry);
    let scanned = store.scan_entries(stored[0].seq - 1, 10).await.unwrap();
    assert_eq!(scanned[0].entry, entry);
    scanned[0].entry.assert_balanced().unwrap();
    let balances = store.scan_balances(None, 100_000).await.unwrap();
    assert!(
        balances
            .iter()
            .any(|b| b.account == escrow && b.balance_minor == order.total.amount_minor)
    );
    let payout = Payout {
        id: PayoutId::new(),
        store_id: fx.shop.id,
        amount: usd(10),
        state: "requested".into(),
        created_at: t0(),
        settled_at: None,
        bank_reference: None,
    };
    store
        .commit(Changeset {
            payouts: vec![payout.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .payouts(fx.shop.id, &PageRequest::new(None, None))
            .await
            .unwrap()
            .items,
        vec![payout.clone()]
    );
    payout_settles_once_and_statements_page(store, payout).await;
}

/// A payout settles once (a second confirmation is refused, so the bank's
/// money never leaves twice), and a seller account's statement lists its
/// postings newest first, in pages by entry sequence.
async fn payout_settles_once_and_statements_page(store: &dyn Store, payout: Payout) {
    use haven_domain::ledger::{Account, Entry, EntryHeader, EntryKind};
    let settle = |reference: &str| Changeset {
        payout_settlements: vec![crate::PayoutSettlement {
            id: payout.id,
            at: t0() + SignedDuration::from_hours(24),
            bank_reference: reference.into(),
        }],
        ..Default::default()
    };
    store
        .commit(settle("SIM-1"))
        .await
        .expect("first confirmation");
    is_conflict(
        store.commit(settle("SIM-2")).await,
        Conflict::PayoutNotPending,
    );
    let read = store.payout(payout.id).await.unwrap().unwrap();
    assert_eq!(read.state, "paid");
    assert_eq!(read.bank_reference.as_deref(), Some("SIM-1"));
    assert_eq!(read.settled_at, Some(t0() + SignedDuration::from_hours(24)));

    let available = Account::SellerAvailable(payout.store_id);
    let credit = |n: i64| {
        let header = EntryHeader {
            idempotency_key: format!("statement-test:{}:{n}", payout.id),
            kind: EntryKind::ReserveRelease,
            order_id: None,
            payout_id: None,
            created_at: t0() + SignedDuration::from_secs(n),
        };
        Entry::transfer(
            header,
            Account::SellerReserve(payout.store_id),
            available.clone(),
            usd(n),
        )
        .unwrap()
    };
    // The reserve needs the money first (it may not go negative).
    let fund = Entry::transfer(
        EntryHeader {
            idempotency_key: format!("statement-test:{}:fund", payout.id),
            kind: EntryKind::Release,
            order_id: None,
            payout_id: None,
            created_at: t0(),
        },
        Account::PlatformCommission,
        Account::SellerReserve(payout.store_id),
        usd(100),
    )
    .unwrap();
    store
        .commit(Changeset {
            entries: vec![fund, credit(1), credit(2), credit(3)],
            ..Default::default()
        })
        .await
        .unwrap();
    let account = available.to_string();
    let first = store.account_statement(&account, None, 2).await.unwrap();
    let amounts: Vec<i64> = first.iter().map(|l| l.amount.amount_minor).collect();
    assert_eq!(amounts, vec![3, 2], "newest first");
    assert!(first.iter().all(|l| l.kind == EntryKind::ReserveRelease));
    let rest = store
        .account_statement(&account, Some(first[1].seq), 10)
        .await
        .unwrap();
    let amounts: Vec<i64> = rest.iter().map(|l| l.amount.amount_minor).collect();
    assert_eq!(amounts, vec![1]);
    let reserve = Account::SellerReserve(payout.store_id).to_string();
    let out: Vec<i64> = store
        .account_statement(&reserve, None, 10)
        .await
        .unwrap()
        .iter()
        .map(|l| l.amount.amount_minor)
        .collect();
    assert_eq!(
        out,
        vec![-3, -2, -1, 100],
        "money out of an account is negative"
    );
}

async fn timers_fire_once(store: &dyn Store) {
    let order_id = OrderId::new();
    let due = t0() + SignedDuration::from_hours(1);
    let schedule = |at| Changeset {
        schedule: vec![NewTimer {
            order_id,
            kind: TimerKind::ShipBy,
            due_at: at,
        }],
        ..Default::default()
    };
    store.commit(schedule(due)).await.unwrap();
    let lease = |at: Timestamp| at + SignedDuration::from_mins(5);
    assert!(
        store
            .claim_due_timers(t0(), lease(t0()), 10)
            .await
            .unwrap()
            .iter()
            .all(|t| t.order_id != order_id)
    );
    let claimed: Vec<_> = store
        .claim_due_timers(due, lease(due), 1_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.order_id == order_id)
        .collect();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].kind, TimerKind::ShipBy);
    // Leased: a second worker does not see it until the lease runs out.
    assert!(
        store
            .claim_due_timers(due, lease(due), 1_000)
            .await
            .unwrap()
            .iter()
            .all(|t| t.order_id != order_id)
    );
    let done = Changeset {
        complete_timer: Some(claimed[0].id),
        ..Default::default()
    };
    store.commit(done.clone()).await.unwrap();
    is_conflict(store.commit(done).await, Conflict::TimerGone);
    assert!(store.pending_timers(order_id).await.unwrap().is_empty());

    // Re-arming replaces the deadline and invalidates the old claim.
    store.commit(schedule(due)).await.unwrap();
    let old = store
        .claim_due_timers(due, lease(due), 1_000)
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.order_id == order_id)
        .unwrap();
    store
        .commit(schedule(due + SignedDuration::from_hours(5)))
        .await
        .unwrap();
    is_conflict(
        store
            .commit(Changeset {
                complete_timer: Some(old.id),
                ..Default::default()
            })
            .await,
        Conflict::TimerGone,
    );
    let pending = store.pending_timers(order_id).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].due_at, due + SignedDuration::from_hours(5));
    store
        .commit(Changeset {
            unschedule: vec![(order_id, TimerKind::ShipBy)],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(store.pending_timers(order_id).await.unwrap().is_empty());
}

async fn outbox_idempotency_tracking_policy(store: &dyn Store) {
    store.sequence_outbox(100_000).await.unwrap();
    let before = store
        .outbox_after(0, 100_000)
        .await
        .unwrap()
        .last()
        .map_or(0, |e| e.seq);
    let events = ["order.paid", "order.shipped"].map(|topic| NewOutboxEvent {
        topic: topic.into(),
        payload: serde_json::json!({ "n": topic }),
        created_at: t0(),
    });
    store
        .commit(Changeset {
            outbox: events.to_vec(),
            ..Default::default()
        })
        .await
        .unwrap();
    // Committed but not yet published: invisible to readers.
    assert!(store.outbox_after(before, 10).await.unwrap().is_empty());
    store.sequence_outbox(1_000).await.unwrap();
    let seen = store.outbox_after(before, 10).await.unwrap();
    assert_eq!(
        seen.iter().map(|e| e.topic.as_str()).collect::<Vec<_>>(),
        ["order.paid", "order.shipped"]
    );
    assert_eq!(seen[1].seq, seen[0].seq + 1, "positions without gaps");
    assert_eq!(seen[0].payload, serde_json::json!({ "n": "order.paid" }));

    let user = UserId::new();
    let record = IdempotencyRecord {
        user_id: user,
        key: "k1".into(),
        request_hash: "h".into(),
        resource: "order:0197a0b0-0000-7000-8000-000000000001".into(),
        created_at: t0(),
    };
    store
        .commit(Changeset {
            idempotency: Some(record.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store.idempotency(user, "k1").await.unwrap(),
        Some(record.clone())
    );
    is_conflict(
        store
            .commit(Changeset {
                idempotency: Some(record),
                ..Default::default()
            })
            .await,
        Conflict::DuplicateIdempotencyKey,
    );

    let number = format!("SP{}HV", &uuid::Uuid::now_v7().simple().to_string()[23..]);
    let claim = |order| Changeset {
        tracking_claims: vec![("simpost".into(), number.clone(), order)],
        ..Default::default()
    };
    let owner = OrderId::new();
    store.commit(claim(owner)).await.unwrap();
    is_conflict(
        store.commit(claim(OrderId::new())).await,
        Conflict::TrackingNumberTaken,
    );
    assert_eq!(
        store.tracking_owner("simpost", &number).await.unwrap(),
        Some(owner)
    );
    let event = TrackingEvent {
        carrier: "simpost".into(),
        tracking_number: number.clone(),
        status: "in_transit".into(),
        occurred_at: t0(),
        location: "Hub".into(),
        received_at: t0(),
    };
    store
        .commit(Changeset {
            tracking_events: vec![event.clone(), event.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store.tracking_events("simpost", &number).await.unwrap(),
        vec![event]
    );

    let policy = Policy::default();
    let v1 = store.ensure_policy(&policy, t0(), None).await.unwrap();
    assert_eq!(store.ensure_policy(&policy, t0(), None).await.unwrap(), v1);
    let changed = Policy {
        commission_bps: 900,
        ..Policy::default()
    };
    let admin = UserId::new();
    let later = t0() + SignedDuration::from_secs(60);
    let v2 = store
        .ensure_policy(&changed, later, Some(admin))
        .await
        .unwrap();
    assert!(v2 > v1);
    assert_eq!(store.policy(v1).await.unwrap(), Some(policy.clone()));
    assert_eq!(
        store.latest_policy().await.unwrap(),
        Some((v2, changed.clone()))
    );
    // The history: newest first, with who published each, paged by version.
    let history = store.policy_history(None, 2).await.unwrap();
    let newest = &history[0];
    assert_eq!(
        (newest.version, newest.published_by, newest.published_at),
        (v2, Some(admin), later)
    );
    assert_eq!(newest.policy, changed);
    assert_eq!(history[1].version, v1);
    let older = store.policy_history(Some(v2), 1).await.unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!((older[0].version, older[0].published_by), (v1, None));
    // Restore the default so later runs on the same database start from it.
    store.ensure_policy(&policy, t0(), None).await.unwrap();
}

async fn concurrent_buyers_never_oversell(store: Arc<dyn Store>) {
    let fx = fixture(&*store, 7).await;
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let store = store.clone();
        let order = sample_order(fx.buyer.id, &fx.listing);
        let listing_id = fx.listing.id;
        tasks.push(tokio::spawn(async move {
            let changes = Changeset {
                stock: vec![StockChange {
                    listing_id,
                    delta: -1,
                    deal_delta: 0,
                    deal_return: None,
                }],
                orders: vec![OrderWrite {
                    order,
                    expected_version: None,
                }],
                ..Default::default()
            };
            store.commit(changes).await
        }));
    }
    let mut sold = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => sold += 1,
            Err(StoreError::Conflict(Conflict::OutOfStock)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(sold, 7);
    assert_eq!(
        store.listing(fx.listing.id).await.unwrap().unwrap().stock,
        0
    );
    let orders = store
        .orders_for_store(fx.shop.id, &PageRequest::new(None, Some(100)))
        .await
        .unwrap();
    assert_eq!(orders.items.len(), 7);
    // None of them is paid yet: nothing to ship. A paid one is.
    assert!(
        store
            .orders_to_ship(fx.shop.id, 100)
            .await
            .unwrap()
            .is_empty()
    );
    let mut paid = sample_order(fx.buyer.id, &fx.listing);
    paid.state = OrderState::Paid;
    store
        .commit(Changeset {
            orders: vec![OrderWrite {
                order: paid.clone(),
                expected_version: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let to_ship = store.orders_to_ship(fx.shop.id, 100).await.unwrap();
    assert_eq!(
        to_ship.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![paid.id]
    );
}

fn sample_dispute(order: &Order, at: Timestamp) -> Dispute {
    let request = OpenRequest {
        reason: DisputeReason::Damaged,
        requested: RequestedOutcome::PartialRefund { amount_minor: 700 },
        description: "cracked".into(),
    };
    let mut shipped = order.clone();
    shipped.state = OrderState::Shipped;
    shipped.paid_at = Some(at);
    shipped.protection_ends_at = Some(at + SignedDuration::from_hours(24 * 30));
    Dispute::open(&shipped, request, &Policy::default(), at).expect("valid dispute")
}

async fn disputes_are_versioned_and_one_open_per_order(store: &dyn Store) {
    let fx = fixture(store, 3).await;
    let order = sample_order(fx.buyer.id, &fx.listing);
    store
        .commit(Changeset {
            orders: vec![OrderWrite {
                order: order.clone(),
                expected_version: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let first = sample_dispute(&order, t0());
    let insert = |d: &Dispute| Changeset {
        disputes: vec![DisputeWrite {
            dispute: d.clone(),
            expected_version: None,
        }],
        ..Default::default()
    };
    store.commit(insert(&first)).await.unwrap();
    let stored = store.dispute(first.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(
        Dispute {
            version: 0,
            ..stored.clone()
        },
        first
    );

    let second = sample_dispute(&order, t0() + SignedDuration::from_secs(5));
    is_conflict(
        store.commit(insert(&second)).await,
        Conflict::DisputeAlreadyOpen,
    );

    let mut escalated = stored.clone();
    escalated.state = DisputeState::Escalated;
    escalated.escalated_at = Some(t0() + SignedDuration::from_hours(1));
    let update = |d: &Dispute, v| Changeset {
        disputes: vec![DisputeWrite {
            dispute: d.clone(),
            expected_version: Some(v),
        }],
        ..Default::default()
    };
    store.commit(update(&escalated, 1)).await.unwrap();
    is_conflict(
        store.commit(update(&escalated, 1)).await,
        Conflict::StaleDispute,
    );
    let queue = store
        .escalated_disputes(&PageRequest::new(None, Some(100)))
        .await
        .unwrap();
    assert!(queue.items.iter().any(|d| d.id == first.id));

    let mut resolved = escalated.clone();
    resolved.state = DisputeState::Resolved;
    store.commit(update(&resolved, 2)).await.unwrap();
    assert!(
        !store
            .escalated_disputes(&PageRequest::new(None, Some(100)))
            .await
            .unwrap()
            .items
            .iter()
            .any(|d| d.id == first.id)
    );
    // Once the first is closed, another may open on the same order.
    store.commit(insert(&second)).await.unwrap();
    let all = store.disputes_for_order(order.id).await.unwrap();
    assert_eq!(
        all.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![first.id, second.id]
    );
    let by_buyer = store
        .disputes_for_buyer(fx.buyer.id, &PageRequest::new(None, Some(1)))
        .await
        .unwrap();
    assert_eq!(by_buyer.items.len(), 1);
    assert_eq!(by_buyer.items[0].id, second.id, "newest first");
    assert!(by_buyer.next_cursor.is_some());
    let by_store = store
        .disputes_for_store(fx.shop.id, &PageRequest::new(None, Some(10)))
        .await
        .unwrap();
    assert_eq!(by_store.items.len(), 2);
    let open = store.open_disputes_for_store(fx.shop.id, 10).await.unwrap();
    assert_eq!(
        open.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![second.id]
    );
}

async fn evidence_logs_round_trip_and_refuse_rewrites(store: &dyn Store) {
    let dispute = DisputeId::new();
    let other = DisputeId::new();
    let mut entries: Vec<EvidenceEntry> = Vec::new();
    for i in 0..3 {
        let body =
            serde_json::json!({ "text": format!("note {i}"), "nested": { "b": 1, "a": [1, 2] } });
        entries.push(EvidenceEntry::append(
            entries.last(),
            dispute,
            t0() + SignedDuration::from_millis(1_234 + i),
            Party::Buyer,
            None,
            EvidenceKind::Message,
            body,
        ));
    }
    let other_entry = EvidenceEntry::append(
        None,
        other,
        t0(),
        Party::System,
        None,
        EvidenceKind::StateChange,
        serde_json::json!({}),
    );
    let files = vec![crate::EvidenceFile {
        hash: "f".repeat(64),
        content_type: "image/png".into(),
        size_bytes: 10,
        created_at: t0(),
    }];
    store
        .commit(Changeset {
            evidence: entries.clone(),
            evidence_files: files.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    store
        .commit(Changeset {
            evidence: vec![other_entry.clone()],
            evidence_files: files.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let read = store.evidence(dispute).await.unwrap();
    assert_eq!(read, entries);
    assert!(
        read.iter().all(|e| e.compute_hash() == e.hash),
        "hashes survive the round trip"
    );
    assert_eq!(
        store.last_evidence(dispute).await.unwrap(),
        entries.last().cloned()
    );
    assert_eq!(
        store.evidence_file(&"f".repeat(64)).await.unwrap(),
        Some(files[0].clone())
    );

    // Two writers racing to append entry 4: one wins, the other is refused.
    let fourth = EvidenceEntry::append(
        entries.last(),
        dispute,
        t0(),
        Party::Seller,
        None,
        EvidenceKind::Message,
        serde_json::json!({"text": "a"}),
    );
    let rival = EvidenceEntry::append(
        entries.last(),
        dispute,
        t0(),
        Party::Buyer,
        None,
        EvidenceKind::Message,
        serde_json::json!({"text": "b"}),
    );
    store
        .commit(Changeset {
            evidence: vec![fourth],
            ..Default::default()
        })
        .await
        .unwrap();
    is_conflict(
        store
            .commit(Changeset {
                evidence: vec![rival],
                ..Default::default()
            })
            .await,
        Conflict::EvidenceRace,
    );

    let mut scanned = Vec::new();
    let mut after = None;
    loop {
        let page = store.scan_evidence(after, 2).await.unwrap();
        let Some(last) = page.last() else { break };
        after = Some((last.dispute_id, last.seq));
        scanned.extend(page);
    }
    let ours: Vec<_> = scanned
        .iter()
        .filter(|e| e.dispute_id == dispute || e.dispute_id == other)
        .collect();
    assert_eq!(ours.len(), 5);
    let mut verifier = haven_domain::evidence::ChainVerifier::default();
    scanned.iter().for_each(|e| verifier.observe(e));
    assert!(verifier.errors.is_empty(), "{:?}", verifier.errors);
}

async fn audit_strikes_files_and_history(store: &dyn Store) {
    let fx = fixture(store, 3).await;
    let order = sample_order(fx.buyer.id, &fx.listing);
    store
        .commit(Changeset {
            orders: vec![OrderWrite {
                order: order.clone(),
                expected_version: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let record = |action: &str, i: i64| AuditRecord {
        id: uuid::Uuid::now_v7(),
        at: t0() + SignedDuration::from_secs(i),
        order_id: Some(order.id),
        subject: "order".into(),
        subject_id: order.id.0,
        actor: Party::Buyer,
        actor_id: Some(fx.buyer.id),
        action: action.into(),
        from_state: "paid".into(),
        to_state: "shipped".into(),
        reason: "test".into(),
        policy_version: 1,
    };
    let audit = vec![record("ship", 1), record("deliver", 2)];
    let strike = Strike {
        id: StrikeId::new(),
        store_id: fx.shop.id,
        order_id: Some(order.id),
        dispute_id: None,
        reason: "counterfeit".into(),
        at: t0(),
    };
    store
        .commit(Changeset {
            audit: audit.clone(),
            strikes: vec![strike.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(store.audit_for_order(order.id).await.unwrap(), audit);
    // Newest first, paged by sequence; an agent's records by the agent.
    let newest = store.audit_page(None, None, 2).await.unwrap();
    let ids: Vec<_> = newest.iter().map(|(_, r)| r.id).collect();
    assert_eq!(ids, vec![audit[1].id, audit[0].id]);
    let older = store.audit_page(None, Some(newest[0].0), 1).await.unwrap();
    assert_eq!(older[0].1.id, audit[0].id);
    let agent = UserId::new();
    let decided = AuditRecord {
        actor: Party::Agent,
        actor_id: Some(agent),
        ..record("decide", 3)
    };
    store
        .commit(Changeset {
            audit: vec![decided.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    // A platform action is filed under no order, and found by its agent.
    let paused = AuditRecord {
        id: uuid::Uuid::now_v7(),
        order_id: None,
        subject: "webhook".into(),
        subject_id: uuid::Uuid::now_v7(),
        ..decided.clone()
    };
    store
        .commit(Changeset {
            audit: vec![paused.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    let by_agent = store.audit_page(Some(agent), None, 10).await.unwrap();
    assert_eq!(by_agent.len(), 2);
    assert_eq!(by_agent[0].1, paused);
    assert_eq!(by_agent[1].1, decided);
    assert_eq!(store.audit_for_order(order.id).await.unwrap().len(), 3);
    assert!(
        store
            .audit_page(Some(fx.buyer.id), None, 10)
            .await
            .unwrap()
            .is_empty(),
        "only agents' records are found by actor"
    );
    assert_eq!(
        store.strikes_for_store(fx.shop.id).await.unwrap(),
        vec![strike]
    );
    let dispute = sample_dispute(&order, t0());
    store
        .commit(Changeset {
            disputes: vec![DisputeWrite {
                dispute,
                expected_version: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let history = store.party_history(fx.buyer.id, fx.shop.id).await.unwrap();
    assert_eq!(
        history,
        crate::PartyHistory {
            buyer_orders: 1,
            buyer_disputes: 1,
            store_orders: 1,
            store_disputes: 1,
            store_strikes: 1
        }
    );
}

async fn outbox_rows_are_delivered_once(store: &dyn Store) {
    let topic = format!("test.delivery.{}", uuid::Uuid::now_v7().simple());
    let event = |n: i64| NewOutboxEvent {
        topic: topic.clone(),
        payload: serde_json::json!({ "n": n }),
        created_at: t0(),
    };
    store
        .commit(Changeset {
            outbox: vec![event(1), event(2)],
            ..Default::default()
        })
        .await
        .unwrap();
    store.sequence_outbox(1_000).await.unwrap();
    let pending = store.undelivered_outbox(&topic, 10).await.unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|e| e.payload["n"].as_i64().unwrap())
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    let done = Changeset {
        outbox_delivered: vec![(pending[0].seq, t0())],
        ..Default::default()
    };
    store.commit(done.clone()).await.unwrap();
    store.commit(done).await.unwrap();
    let pending = store.undelivered_outbox(&topic, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].payload["n"], 2);
}

fn session_for(user: UserId, tag: &str) -> Session {
    Session {
        token_hash: format!("{tag}-{}", uuid::Uuid::now_v7().simple()),
        user_id: user,
        kind: SessionKind::Web,
        created_at: t0(),
        expires_at: t0() + SignedDuration::from_hours(1),
        user_agent: tag.into(),
        ip: "198.51.100.1".into(),
        last_seen_at: t0(),
        reauthenticated_at: t0(),
    }
}

async fn users_sessions_and_tokens(store: &dyn Store) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let user = sample_user(&format!("sec-{tag}@example.com"));
    store
        .commit(Changeset {
            users: vec![user.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    let stored = store.user(user.id).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    let mut changed = stored.clone();
    changed.failed_logins = 3;
    changed.identity.status = haven_domain::account::IdentityStatus::Pending;
    let update = |u: &User, v| Changeset {
        user_updates: vec![crate::UserWrite {
            user: u.clone(),
            expected_version: v,
        }],
        ..Default::default()
    };
    store.commit(update(&changed, 1)).await.unwrap();
    is_conflict(store.commit(update(&changed, 1)).await, Conflict::StaleUser);
    let reread = store.user(user.id).await.unwrap().unwrap();
    assert_eq!((reread.version, reread.failed_logins), (2, 3));
    assert!(
        store
            .pending_identity_reviews(&PageRequest::new(None, Some(100)))
            .await
            .unwrap()
            .items
            .iter()
            .any(|u| u.id == user.id)
    );

    let (a, b, c) = (
        session_for(user.id, "phone"),
        session_for(user.id, "laptop"),
        session_for(user.id, "tablet"),
    );
    store
        .commit(Changeset {
            sessions: vec![a.clone(), b.clone(), c.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(store.sessions_for_user(user.id).await.unwrap().len(), 3);
    let later = t0() + SignedDuration::from_hours(2);
    let touch = crate::SessionTouch {
        token_hash: a.token_hash.clone(),
        last_seen_at: later,
        reauthenticated_at: Some(later),
    };
    store
        .commit(Changeset {
            session_touches: vec![touch],
            ..Default::default()
        })
        .await
        .unwrap();
    let touched = store.session(&a.token_hash).await.unwrap().unwrap();
    assert_eq!(
        (
            touched.last_seen_at,
            touched.reauthenticated_at,
            touched.user_agent.as_str()
        ),
        (later, later, "phone")
    );
    store
        .commit(Changeset {
            delete_user_sessions: vec![(user.id, Some(a.token_hash.clone()))],
            ..Default::default()
        })
        .await
        .unwrap();
    let left: Vec<String> = store
        .sessions_for_user(user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.token_hash)
        .collect();
    assert_eq!(left, vec![a.token_hash.clone()], "all others revoked");

    let token = haven_domain::account::OneTimeToken {
        token_hash: format!("reset-{tag}"),
        kind: haven_domain::account::TokenKind::PasswordReset,
        user_id: user.id,
        created_at: t0(),
        expires_at: later,
        used_at: None,
        data: serde_json::json!({"why": "test"}),
    };
    store
        .commit(Changeset {
            tokens: vec![token.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store.token(&token.token_hash).await.unwrap(),
        Some(token.clone())
    );
    let use_it = |also: Vec<User>| Changeset {
        use_tokens: vec![(token.token_hash.clone(), later)],
        users: also,
        ..Default::default()
    };
    store.commit(use_it(vec![])).await.unwrap();
    assert_eq!(
        store
            .token(&token.token_hash)
            .await
            .unwrap()
            .unwrap()
            .used_at,
        Some(later)
    );
    let bystander = sample_user(&format!("bystander-{tag}@example.com"));
    is_conflict(
        store.commit(use_it(vec![bystander.clone()])).await,
        Conflict::TokenUsed,
    );
    assert!(
        store.user(bystander.id).await.unwrap().is_none(),
        "a reused token writes nothing"
    );
    is_conflict(
        store
            .commit(Changeset {
                use_tokens: vec![("missing".into(), later)],
                ..Default::default()
            })
            .await,
        Conflict::TokenUsed,
    );

    // Voiding retires the user's other unused tokens of that kind only.
    let fresh = |name: &str, kind| haven_domain::account::OneTimeToken {
        token_hash: format!("{name}-{tag}"),
        kind,
        user_id: user.id,
        created_at: t0(),
        expires_at: later,
        used_at: None,
        data: serde_json::Value::Null,
    };
    let reset = fresh(
        "second-reset",
        haven_domain::account::TokenKind::PasswordReset,
    );
    let verify = fresh(
        "verify",
        haven_domain::account::TokenKind::EmailVerification,
    );
    store
        .commit(Changeset {
            tokens: vec![reset.clone(), verify.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    store
        .commit(Changeset {
            void_tokens: vec![(
                user.id,
                haven_domain::account::TokenKind::PasswordReset,
                later,
            )],
            ..Default::default()
        })
        .await
        .unwrap();
    let used_at = |hash: String| async move { store.token(&hash).await.unwrap().unwrap().used_at };
    assert_eq!(used_at(reset.token_hash.clone()).await, Some(later));
    assert_eq!(
        used_at(verify.token_hash.clone()).await,
        None,
        "other kinds stay usable"
    );
}

async fn conversations_and_messages(store: &dyn Store) {
    use haven_domain::messaging::{
        Conversation, ConversationKind, Delivery, Message, SecurityFlag,
    };
    let fx = fixture(store, 3).await;
    let order = sample_order(fx.buyer.id, &fx.listing);
    store
        .commit(Changeset {
            orders: vec![OrderWrite {
                order: order.clone(),
                expected_version: None,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    let conversation = |kind, order_id| Conversation {
        id: haven_domain::ids::ConversationId::new(),
        kind,
        order_id,
        listing_id: fx.listing.id,
        buyer_id: fx.buyer.id,
        store_id: fx.shop.id,
        subject: "Desk lamp".into(),
        created_at: t0(),
        last_message_at: None,
        message_count: 0,
        delivered_count: 0,
        last_delivered_at: None,
        first_buyer_message_at: None,
        first_seller_message_at: None,
        flagged: false,
        offences: 0,
        reports: Vec::new(),
        version: 0,
    };
    let insert = |c: &Conversation| Changeset {
        conversations: vec![crate::ConversationWrite {
            conversation: c.clone(),
            expected_version: None,
        }],
        ..Default::default()
    };
    let order_chat = conversation(ConversationKind::Order, Some(order.id));
    store.commit(insert(&order_chat)).await.unwrap();
    is_conflict(
        store
            .commit(insert(&conversation(
                ConversationKind::Order,
                Some(order.id),
            )))
            .await,
        Conflict::ConversationExists,
    );
    let presale = conversation(ConversationKind::PreSale, None);
    store.commit(insert(&presale)).await.unwrap();
    is_conflict(
        store
            .commit(insert(&conversation(ConversationKind::PreSale, None)))
            .await,
        Conflict::ConversationExists,
    );
    assert_eq!(
        store
            .order_conversation(order.id)
            .await
            .unwrap()
            .map(|c| c.id),
        Some(order_chat.id)
    );
    assert_eq!(
        store
            .presale_conversation(fx.listing.id, fx.buyer.id)
            .await
            .unwrap()
            .map(|c| c.id),
        Some(presale.id)
    );

    let message = |seq: i64, from: UserId, delivery| Message {
        id: haven_domain::ids::MessageId::new(),
        conversation_id: order_chat.id,
        seq,
        sender_id: from,
        sender: if from == fx.buyer.id {
            Party::Buyer
        } else {
            Party::Seller
        },
        text: format!("message {seq}"),
        shown_text: format!("message {seq}"),
        delivery,
        categories: vec![],
        reasons: vec![],
        attachments: vec![],
        created_at: t0() + SignedDuration::from_secs(seq),
    };
    let mut updated = order_chat.clone();
    updated.message_count = 3;
    updated.last_message_at = Some(t0() + SignedDuration::from_secs(3));
    updated.last_delivered_at = updated.last_message_at;
    updated.flagged = true;
    let messages = vec![
        message(1, fx.seller.id, Delivery::Delivered),
        message(2, fx.seller.id, Delivery::Blocked),
        message(3, fx.seller.id, Delivery::Warned),
    ];
    let send = Changeset {
        messages: messages.clone(),
        conversations: vec![crate::ConversationWrite {
            conversation: updated.clone(),
            expected_version: Some(1),
        }],
        ..Default::default()
    };
    store.commit(send).await.unwrap();
    let racing = Changeset {
        messages: vec![message(3, fx.buyer.id, Delivery::Delivered)],
        ..Default::default()
    };
    is_conflict(store.commit(racing).await, Conflict::MessageRace);
    let stale = Changeset {
        conversations: vec![crate::ConversationWrite {
            conversation: updated.clone(),
            expected_version: Some(1),
        }],
        ..Default::default()
    };
    is_conflict(store.commit(stale).await, Conflict::StaleConversation);
    assert_eq!(
        store.messages(order_chat.id, 0, 10).await.unwrap(),
        messages
    );
    assert_eq!(store.messages(order_chat.id, 2, 10).await.unwrap().len(), 1);
    // The buyer has two unread (the blocked one never reached them).
    assert_eq!(store.unread_count(fx.buyer.id, None).await.unwrap(), 2);
    let read = |seq| Changeset {
        reads: vec![(order_chat.id, fx.buyer.id, seq)],
        ..Default::default()
    };
    store.commit(read(3)).await.unwrap();
    store.commit(read(1)).await.unwrap();
    assert_eq!(
        store.unread_count(fx.buyer.id, None).await.unwrap(),
        0,
        "reads only move forward"
    );
    assert_eq!(
        store
            .unread_count(fx.seller.id, Some(fx.shop.id))
            .await
            .unwrap(),
        0,
        "own messages are not unread"
    );
    let flagged = store
        .flagged_conversations(&PageRequest::new(None, Some(100)))
        .await
        .unwrap();
    assert!(
        flagged
            .items
            .iter()
            .any(|c| c.id == order_chat.id && c.version == 2)
    );
    let mine = store
        .conversations_for_buyer(fx.buyer.id, &PageRequest::new(None, Some(1)))
        .await
        .unwrap();
    assert_eq!(
        mine.items[0].id, order_chat.id,
        "most recently active first"
    );
    assert!(mine.next_cursor.is_some());
    assert_eq!(
        store
            .conversations_for_store(fx.shop.id, &PageRequest::new(None, Some(10)))
            .await
            .unwrap()
            .items
            .len(),
        2
    );

    let flag = SecurityFlag {
        id: haven_domain::ids::FlagId::new(),
        kind: "credential_stuffing".into(),
        subject: "203.0.113.9".into(),
        detail: "12 accounts".into(),
        created_at: t0(),
    };
    store
        .commit(Changeset {
            security_flags: vec![flag.clone()],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        store
            .security_flags(&PageRequest::new(None, Some(100)))
            .await
            .unwrap()
            .items
            .contains(&flag)
    );
}

fn sample_coupon(store: Option<StoreId>, code: Option<&str>, total_limit: u32) -> Coupon {
    Coupon {
        id: haven_domain::ids::CouponId::new(),
        title: "Spring".into(),
        code: code.map(String::from),
        claimable: code.is_none(),
        store_id: store,
        currency: Currency::USD,
        value: CouponValue::Fixed { off_minor: 300 },
        min_order_minor: 2_000,
        starts_at: t0(),
        ends_at: t0() + SignedDuration::from_hours(24),
        total_limit,
        per_buyer_limit: 1,
        category: None,
        for_store: None,
        created_by: UserId::new(),
        created_at: t0(),
    }
}

fn redemption(coupon: &Coupon, buyer: UserId, at: Timestamp) -> Changeset {
    Changeset {
        coupon_redemptions: vec![CouponRedemption {
            coupon_id: coupon.id,
            order_id: OrderId::new(),
            buyer_id: buyer,
            per_buyer_limit: coupon.per_buyer_limit,
            at,
        }],
        ..Changeset::default()
    }
}

/// Carts keep one line per listing in the order added; listings share a
/// product key across stores; coupon codes are unique; redemptions never
/// pass the total or per-buyer limit (not even concurrently), only count
/// inside the window, and a release gives one back.
async fn carts_coupons_and_products(store: Arc<dyn Store>) {
    let f = fixture(&*store, 5).await;
    let other = sample_listing(f.shop.id, 5, t0());
    let key = format!("acme-x100-{}", uuid::Uuid::now_v7().simple());
    let mut keyed = f.listing.clone();
    keyed.product_key = Some(key.clone());
    let line = |listing: ListingId, quantity: u32, secs: i64| CartLine {
        buyer_id: f.buyer.id,
        listing_id: listing,
        quantity,
        added_at: t0() + SignedDuration::from_secs(secs),
    };
    store
        .commit(Changeset {
            listings: vec![other.clone()],
            listing_updates: vec![crate::ListingUpdate {
                listing: keyed.clone(),
                was_held: false,
                deal_remaining: None,
                set_stock: None,
            }],
            cart_puts: vec![line(other.id, 1, 1), line(f.listing.id, 2, 2)],
            ..Changeset::default()
        })
        .await
        .expect("cart");
    store
        .commit(Changeset {
            cart_puts: vec![line(other.id, 4, 9)],
            ..Changeset::default()
        })
        .await
        .expect("quantity changes");
    // A rewrite from a stale read (the listing changed since) is refused.
    let stored = store.listing(f.listing.id).await.unwrap().unwrap();
    assert_eq!(stored.revision, 1, "the product-key rewrite bumped it");
    let mut stale = f.listing.clone();
    stale.title = "Stale title".into();
    is_conflict(
        store
            .commit(Changeset {
                listing_updates: vec![crate::ListingUpdate {
                    listing: stale,
                    was_held: false,
                    deal_remaining: None,
                    set_stock: None,
                }],
                ..Changeset::default()
            })
            .await,
        Conflict::StaleListing,
    );
    seller_pauses_and_restocks(store.as_ref(), f.listing.store_id, stored).await;
    assert_eq!(
        store
            .listing(f.listing.id)
            .await
            .unwrap()
            .unwrap()
            .product_key,
        Some(key.clone())
    );
    let cart = store.cart(f.buyer.id).await.unwrap();
    let lines: Vec<_> = cart.iter().map(|l| (l.listing_id, l.quantity)).collect();
    assert_eq!(lines, vec![(other.id, 4), (f.listing.id, 2)]);
    store
        .commit(Changeset {
            cart_removes: vec![(f.buyer.id, other.id)],
            ..Changeset::default()
        })
        .await
        .unwrap();
    assert_eq!(store.cart(f.buyer.id).await.unwrap().len(), 1);
    assert!(store.cart(f.seller.id).await.unwrap().is_empty());

    let found = store.listings_for_product(&key, 10).await.unwrap();
    assert_eq!(found[0].id, f.listing.id);

    // Codes are unique; lookups by id, code, store and claim.
    let code = format!("SAVE-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]).to_uppercase();
    let platform = sample_coupon(None, Some(&code), 3);
    let seller = sample_coupon(Some(f.shop.id), None, 10);
    store
        .commit(Changeset {
            coupons: vec![platform.clone(), seller.clone()],
            coupon_claims: vec![(seller.id, f.buyer.id, t0()), (seller.id, f.buyer.id, t0())],
            ..Changeset::default()
        })
        .await
        .expect("coupons");
    is_conflict(
        store
            .commit(Changeset {
                coupons: vec![sample_coupon(None, Some(&code), 1)],
                ..Changeset::default()
            })
            .await,
        Conflict::CouponCodeTaken,
    );
    assert_eq!(
        store.coupon_by_code(&code).await.unwrap().unwrap().coupon,
        platform
    );
    assert_eq!(store.coupon(seller.id).await.unwrap().unwrap().redeemed, 0);
    let of_store = store
        .coupons_of(Some(f.shop.id), &PageRequest::new(None, Some(10)))
        .await
        .unwrap();
    assert_eq!(of_store.items.len(), 1);
    let claimed = store.claimed_coupons(f.buyer.id, 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "claiming twice is one claim");

    // Per buyer: once; outside the window: refused; total: three.
    let now = t0() + SignedDuration::from_secs(60);
    store
        .commit(redemption(&platform, f.buyer.id, now))
        .await
        .expect("first use");
    is_conflict(
        store.commit(redemption(&platform, f.buyer.id, now)).await,
        Conflict::CouponLimitReached,
    );
    let late = t0() + SignedDuration::from_hours(25);
    is_conflict(
        store
            .commit(redemption(&platform, UserId::new(), late))
            .await,
        Conflict::CouponExhausted,
    );
    assert_eq!(store.coupon_uses(platform.id, f.buyer.id).await.unwrap(), 1);
    let racers: Vec<_> = (0..12)
        .map(|_| {
            let store = store.clone();
            let change = redemption(&platform, UserId::new(), now);
            tokio::spawn(async move { store.commit(change).await.is_ok() })
        })
        .collect();
    let mut won = 0;
    for racer in racers {
        won += usize::from(racer.await.unwrap());
    }
    assert_eq!(won, 2, "three in all, one taken before");
    assert_eq!(
        store.coupon(platform.id).await.unwrap().unwrap().redeemed,
        3
    );

    // A release gives the order's redemption back, once.
    let order = OrderId::new();
    let mut seller_use = redemption(&seller, f.buyer.id, now);
    seller_use.coupon_redemptions[0].order_id = order;
    store.commit(seller_use).await.expect("seller coupon");
    assert_eq!(store.coupon(seller.id).await.unwrap().unwrap().redeemed, 1);
    for _ in 0..2 {
        store
            .commit(Changeset {
                coupon_releases: vec![(order, now)],
                ..Changeset::default()
            })
            .await
            .expect("release");
    }
    assert_eq!(store.coupon(seller.id).await.unwrap().unwrap().redeemed, 0);
    assert_eq!(store.coupon_uses(seller.id, f.buyer.id).await.unwrap(), 0);
    store
        .commit(redemption(&seller, f.buyer.id, now))
        .await
        .expect("usable again after the release");
}

/// The co-purchase graph: buyers of one listing and what else they bought
/// (most buyers first); an order refunded after completion leaves it, and
/// writing a purchase twice is harmless.
async fn co_purchases_rank_by_buyers(store: &dyn Store) {
    let [lamp, shade, bulb, ring] = [(); 4].map(|_| ListingId::new());
    let buyers: Vec<UserId> = (0..4).map(|_| UserId::new()).collect();
    let mut purchases = Vec::new();
    let mut buy = |buyer: UserId, listing: ListingId| {
        let order = OrderId::new();
        purchases.push((order, listing, buyer));
        order
    };
    for b in &buyers[..3] {
        buy(*b, lamp);
        buy(*b, shade);
    }
    buy(buyers[0], bulb);
    buy(buyers[3], lamp);
    let refunded = buy(buyers[3], bulb);
    for _ in 0..2 {
        store
            .commit(Changeset {
                purchases: purchases.clone(),
                ..Changeset::default()
            })
            .await
            .expect("purchases");
    }
    let ranked = store.also_bought(lamp, 10).await.unwrap();
    assert_eq!(ranked, vec![(shade, 3), (bulb, 2)]);
    assert_eq!(store.also_bought(lamp, 1).await.unwrap(), vec![(shade, 3)]);
    store
        .commit(Changeset {
            purchase_removals: vec![refunded],
            ..Changeset::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store.also_bought(lamp, 10).await.unwrap(),
        vec![(shade, 3), (bulb, 1)]
    );
    assert_eq!(store.also_bought(ring, 10).await.unwrap(), vec![]);

    // A ring's order whose review integrity removed the review is left
    // out: its 5★ co-purchase does not recommend the ring's listing.
    let ring_buyer = UserId::new();
    let ring_order = OrderId::new();
    let mut flagged = sample_review(StoreId::new(), ring_buyer, 5, t0());
    flagged.order_id = ring_order;
    flagged.listing_id = ring;
    flagged.integrity = Some(haven_domain::reputation::IntegrityFlag {
        at: t0(),
        score: 0.9,
        reasons: vec!["ring".into()],
        reversed: None,
    });
    store
        .commit(Changeset {
            purchases: vec![
                (OrderId::new(), lamp, ring_buyer),
                (ring_order, ring, ring_buyer),
            ],
            reviews: vec![crate::ReviewWrite {
                review: flagged,
                expected_version: None,
            }],
            ..Changeset::default()
        })
        .await
        .unwrap();
    let ranked = store.also_bought(lamp, 10).await.unwrap();
    assert!(ranked.iter().all(|(l, _)| *l != ring), "{ranked:?}");
}

/// Bundles are kept per store, newest first, and rewritten in place.
async fn bundles_round_trip(store: &dyn Store) {
    let shop = StoreId::new();
    let mut bundle = haven_domain::bundle::Bundle {
        id: haven_domain::ids::BundleId::new(),
        store_id: shop,
        title: "Desk set".into(),
        listings: vec![ListingId::new(), ListingId::new()],
        price: usd(5_000),
        created_at: t0(),
        ended_at: None,
    };
    let put = |b: &haven_domain::bundle::Bundle| Changeset {
        bundles: vec![b.clone()],
        ..Changeset::default()
    };
    store.commit(put(&bundle)).await.expect("bundle");
    assert_eq!(store.bundles_of(shop).await.unwrap(), vec![bundle.clone()]);
    bundle.ended_at = Some(t0() + SignedDuration::from_secs(60));
    store.commit(put(&bundle)).await.expect("ended");
    assert_eq!(store.bundles_of(shop).await.unwrap(), vec![bundle]);
    assert!(store.bundles_of(StoreId::new()).await.unwrap().is_empty());
}

/// What the listing checks read: the category's median over visible
/// listings (held ones left out), fingerprints found by any shared band
/// from other stores only, held listings paged, and brand proofs upserted
/// per store and brand.
async fn listing_risk_reads(store: &dyn Store) {
    use haven_domain::catalog::{BrandApproval, BrandApprovalStatus, ListingHold};
    let fx = fixture(store, 1).await;
    let category = format!("story-{}", uuid::Uuid::now_v7().simple());
    assert_eq!(
        store.category_price_reference(&category).await.unwrap(),
        None
    );
    let mut listings = Vec::new();
    for price in [900, 100, 500, 300, 700, 50_000] {
        let mut listing = sample_listing(fx.shop.id, 1, t0());
        listing.category = category.clone();
        listing.price = usd(price);
        if price == 50_000 {
            listing.hold = Some(ListingHold {
                reason: "checks".into(),
                by: None,
                at: t0(),
            });
        }
        listings.push(listing);
    }
    let held_id = listings[5].id;
    store
        .commit(Changeset {
            listings: listings.clone(),
            ..Changeset::default()
        })
        .await
        .unwrap();
    assert_eq!(
        store.category_price_reference(&category).await.unwrap(),
        Some((500, 5)),
        "the median of the five visible prices"
    );
    let held = store
        .held_listings(&PageRequest::new(None, Some(100)))
        .await
        .unwrap();
    assert!(held.items.iter().any(|l| l.id == held_id));
    assert!(held.items.iter().all(|l| l.is_held()));

    let other_shop = StoreId::new();
    let print =
        |listing: ListingId, store_id: StoreId, bands: Vec<(u8, i64)>| crate::ListingFingerprint {
            listing_id: listing,
            store_id,
            kind: "image".into(),
            bands,
            signature: format!("sig-{listing}"),
        };
    let tag = i64::from(uuid::Uuid::now_v7().as_fields().1) << 20;
    store
        .commit(Changeset {
            listing_fingerprints: vec![
                print(listings[0].id, fx.shop.id, vec![(0, tag + 1), (1, tag + 2)]),
                print(listings[1].id, other_shop, vec![(0, tag + 9), (1, tag + 2)]),
            ],
            ..Changeset::default()
        })
        .await
        .unwrap();
    let found = store
        .fingerprint_matches("image", &[(0, tag + 1), (1, tag + 2)], fx.shop.id, 10)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "only the other store's listing: {found:?}");
    assert_eq!(found[0].listing_id, listings[1].id);
    assert_eq!(found[0].signature, format!("sig-{}", listings[1].id));
    let none = store
        .fingerprint_matches("text", &[(1, tag + 2)], fx.shop.id, 10)
        .await
        .unwrap();
    assert!(none.is_empty(), "kinds are apart");

    let mut approval = BrandApproval {
        store_id: fx.shop.id,
        brand: "Voltra".into(),
        status: BrandApprovalStatus::Pending,
        proof: "Distributor invoice".into(),
        document: None,
        submitted_at: t0(),
        decided_by: None,
        decided_at: None,
        note: String::new(),
    };
    let put = |a: &BrandApproval| Changeset {
        brand_approvals: vec![a.clone()],
        ..Changeset::default()
    };
    store.commit(put(&approval)).await.unwrap();
    let pending = store
        .pending_brand_approvals(&PageRequest::new(None, Some(100)))
        .await
        .unwrap();
    assert!(pending.items.contains(&approval));
    approval.status = BrandApprovalStatus::Approved;
    approval.decided_by = Some(fx.seller.id);
    approval.decided_at = Some(t0() + SignedDuration::from_secs(5));
    store.commit(put(&approval)).await.unwrap();
    assert_eq!(
        store.brand_approval(fx.shop.id, "voltra").await.unwrap(),
        Some(approval.clone())
    );
    assert_eq!(
        store.brand_approvals_of(fx.shop.id).await.unwrap(),
        vec![approval.clone()]
    );
    let pending = store
        .pending_brand_approvals(&PageRequest::new(None, Some(100)))
        .await
        .unwrap();
    assert!(!pending.items.iter().any(|a| a.store_id == fx.shop.id));
}

/// Webhook endpoints are stored whole and rewritten in place; the
/// commands filed under one are its delivery log, newest first and paged,
/// and a repeated delivery key stays one row.
async fn webhook_endpoints_and_their_deliveries(store: &dyn Store) {
    let fx = fixture(store, 1).await;
    let mut endpoint = crate::WebhookEndpoint {
        id: uuid::Uuid::now_v7(),
        url: "https://hooks.example/haven".into(),
        secret: "whsec_story".into(),
        topics: vec!["order.paid".into()],
        description: "story".into(),
        enabled: true,
        starts_after_seq: 7,
        created_at: t0(),
        created_by: fx.seller.id,
        updated_at: t0(),
    };
    let other = uuid::Uuid::now_v7();
    let delivery = |n: i64, subject: uuid::Uuid| {
        crate::NewCommand::new(
            "webhook.deliver",
            format!("story:{subject}:{n}"),
            serde_json::json!({"n": n}),
            None,
            t0() + SignedDuration::from_secs(n),
        )
        .for_subject(subject)
    };
    let mut commands: Vec<_> = (0..3).map(|n| delivery(n, endpoint.id)).collect();
    commands.push(delivery(0, other));
    store
        .commit(Changeset {
            webhook_endpoints: vec![endpoint.clone()],
            commands,
            ..Changeset::default()
        })
        .await
        .unwrap();
    let mine = |all: Vec<crate::WebhookEndpoint>| all.into_iter().find(|e| e.id == endpoint.id);
    assert_eq!(
        mine(store.webhook_endpoints().await.unwrap()),
        Some(endpoint.clone())
    );
    endpoint.enabled = false;
    endpoint.updated_at = t0() + SignedDuration::from_secs(60);
    store
        .commit(Changeset {
            webhook_endpoints: vec![endpoint.clone()],
            // The same key again: still one delivery.
            commands: vec![delivery(2, endpoint.id)],
            ..Changeset::default()
        })
        .await
        .unwrap();
    assert_eq!(
        mine(store.webhook_endpoints().await.unwrap()),
        Some(endpoint.clone())
    );

    let first = store
        .commands_for_subject(endpoint.id, &PageRequest::new(None, Some(2)))
        .await
        .unwrap();
    let keys = |page: &crate::Page<crate::Command>| {
        page.items
            .iter()
            .map(|c| c.payload["n"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&first), [2, 1]);
    let rest = store
        .commands_for_subject(
            endpoint.id,
            &PageRequest::new(first.next_cursor.clone(), Some(2)),
        )
        .await
        .unwrap();
    assert_eq!(keys(&rest), [0]);
    assert_eq!(rest.next_cursor, None);
    let others = store
        .commands_for_subject(other, &PageRequest::new(None, Some(10)))
        .await
        .unwrap();
    assert_eq!(others.items.len(), 1);
}

/// A user's notices: newest first and paged, one per event and person
/// however often it is written, an unread count with a cap, and reading
/// them all at once.
async fn notifications_page_count_and_read(store: &dyn Store) {
    use haven_domain::notice::NoticeKind;
    let fx = fixture(store, 1).await;
    let (me, other) = (fx.buyer.id, fx.seller.id);
    let notice = |n: i64, user: UserId, event: uuid::Uuid| crate::Notification {
        id: uuid::Uuid::now_v7(),
        user_id: user,
        event_id: event,
        kind: NoticeKind::Orders,
        title: format!("notice {n}"),
        detail: String::new(),
        link: "/orders".into(),
        created_at: t0() + SignedDuration::from_secs(n),
        read_at: None,
    };
    let events: Vec<uuid::Uuid> = (0..3).map(|_| uuid::Uuid::now_v7()).collect();
    let mut notifications: Vec<_> = (0..3).map(|n| notice(n, me, events[n as usize])).collect();
    notifications.push(notice(9, other, events[0]));
    // The same event for the same person again: ignored.
    notifications.push(notice(5, me, events[1]));
    store
        .commit(Changeset {
            notifications,
            ..Changeset::default()
        })
        .await
        .unwrap();
    assert_eq!(store.unread_notifications(me, 100).await.unwrap(), 3);
    assert_eq!(
        store.unread_notifications(me, 2).await.unwrap(),
        2,
        "capped"
    );
    let first = store
        .notifications_for(me, &PageRequest::new(None, Some(2)))
        .await
        .unwrap();
    let titles = |page: &crate::Page<crate::Notification>| {
        page.items
            .iter()
            .map(|n| n.title.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(titles(&first), ["notice 2", "notice 1"]);
    let rest = store
        .notifications_for(me, &PageRequest::new(first.next_cursor.clone(), Some(2)))
        .await
        .unwrap();
    assert_eq!(titles(&rest), ["notice 0"]);
    let read_at = t0() + SignedDuration::from_secs(60);
    store
        .commit(Changeset {
            notifications_read: vec![(me, read_at)],
            ..Changeset::default()
        })
        .await
        .unwrap();
    assert_eq!(store.unread_notifications(me, 100).await.unwrap(), 0);
    assert_eq!(
        store.unread_notifications(other, 100).await.unwrap(),
        1,
        "only mine were read"
    );
    let after = store
        .notifications_for(me, &PageRequest::new(None, Some(10)))
        .await
        .unwrap();
    assert!(after.items.iter().all(|n| n.read_at == Some(read_at)));
}

/// A seller's pause takes a listing out of browse (but not out of the
/// seller's own list, nor into trust and safety's held queue), and a stock
/// edit lands only if the stock is still what the seller saw.
async fn seller_pauses_and_restocks(store: &dyn Store, store_id: StoreId, stored: Listing) {
    use haven_domain::catalog::StockEdit;
    let visible_in_browse =
        |page: crate::Page<Listing>| page.items.iter().any(|l| l.id == stored.id);
    let browse = ListingFilter {
        category: None,
        store_id: Some(store_id),
    };
    let first = PageRequest::new(None, Some(100));
    assert!(visible_in_browse(
        store.listings(&browse, &first).await.unwrap()
    ));
    let seen = stored.stock;
    let mut paused = stored.clone();
    paused.paused_at = Some(t0());
    let update = |listing: &Listing, set_stock| Changeset {
        listing_updates: vec![crate::ListingUpdate {
            listing: listing.clone(),
            was_held: false,
            deal_remaining: None,
            set_stock,
        }],
        ..Changeset::default()
    };
    is_conflict(
        store
            .commit(update(
                &paused,
                Some(StockEdit {
                    seen: seen + 1,
                    new: 50,
                }),
            ))
            .await,
        Conflict::StaleListing,
    );
    store
        .commit(update(&paused, Some(StockEdit { seen, new: 50 })))
        .await
        .expect("pause and restock");
    let read = store.listing(stored.id).await.unwrap().unwrap();
    assert!(read.is_paused());
    assert_eq!(read.stock, 50, "the stock column took the seller's figure");
    assert!(!visible_in_browse(
        store.listings(&browse, &first).await.unwrap()
    ));
    let own = store.store_listings(store_id, &first).await.unwrap();
    assert!(own.items.iter().any(|l| l.id == stored.id && l.is_paused()));
    let held = store.held_listings(&first).await.unwrap();
    assert!(
        held.items.iter().all(|l| l.id != stored.id),
        "a pause is not a hold"
    );
    let mut resumed = read.clone();
    resumed.paused_at = None;
    store.commit(update(&resumed, None)).await.expect("resume");
    assert!(visible_in_browse(
        store.listings(&browse, &first).await.unwrap()
    ));
    assert_eq!(store.listing(stored.id).await.unwrap().unwrap().stock, 50);
}
