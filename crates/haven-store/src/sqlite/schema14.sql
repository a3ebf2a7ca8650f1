-- Migration 14: reputation. Reviews (one per order; its rules live in
-- haven-domain/src/reputation.rs), the sellers' ratings of buyers, and the
-- store metrics as monthly counters (sharded so concurrent checkouts at
-- one store do not queue on one row), plus each buyer's two latest
-- completed orders per store (regular buyers). The counters change in the
-- same transaction as the fact behind them; `haven reputation rebuild`
-- recomputes them from the orders, reviews and conversations.
CREATE TABLE reviews (
    id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL UNIQUE,
    store_id TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    rating INTEGER NOT NULL,
    is_public INTEGER NOT NULL,
    counted INTEGER NOT NULL,
    removed INTEGER NOT NULL,
    held INTEGER NOT NULL,
    has_photos INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    published_at_ms INTEGER,
    data TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX reviews_by_store ON reviews(store_id, is_public, created_at_ms, id);
CREATE INDEX reviews_by_store_rating ON reviews(store_id, rating, is_public, created_at_ms, id);
CREATE INDEX reviews_by_listing ON reviews(listing_id, is_public, created_at_ms, id);
CREATE INDEX reviews_by_buyer ON reviews(buyer_id, created_at_ms);
CREATE INDEX reviews_held ON reviews(created_at_ms, id) WHERE held = 1;
CREATE INDEX reviews_removed ON reviews(created_at_ms, id) WHERE removed = 1;
CREATE TABLE buyer_ratings (
    order_id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    rating INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    published_at_ms INTEGER,
    data TEXT NOT NULL
);
CREATE INDEX buyer_ratings_by_buyer ON buyer_ratings(buyer_id, published_at_ms);
CREATE TABLE store_stats (
    store_id TEXT NOT NULL,
    month INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    orders_paid INTEGER NOT NULL DEFAULT 0,
    orders_disputed INTEGER NOT NULL DEFAULT 0,
    shipped INTEGER NOT NULL DEFAULT 0,
    shipped_on_time INTEGER NOT NULL DEFAULT 0,
    orders_completed INTEGER NOT NULL DEFAULT 0,
    items_sold INTEGER NOT NULL DEFAULT 0,
    stars_1 INTEGER NOT NULL DEFAULT 0,
    stars_2 INTEGER NOT NULL DEFAULT 0,
    stars_3 INTEGER NOT NULL DEFAULT 0,
    stars_4 INTEGER NOT NULL DEFAULT 0,
    stars_5 INTEGER NOT NULL DEFAULT 0,
    described_sum INTEGER NOT NULL DEFAULT 0,
    described_count INTEGER NOT NULL DEFAULT 0,
    communication_sum INTEGER NOT NULL DEFAULT 0,
    communication_count INTEGER NOT NULL DEFAULT 0,
    shipping_sum INTEGER NOT NULL DEFAULT 0,
    shipping_count INTEGER NOT NULL DEFAULT 0,
    questions INTEGER NOT NULL DEFAULT 0,
    answered INTEGER NOT NULL DEFAULT 0,
    answered_in_day INTEGER NOT NULL DEFAULT 0,
    answer_s_sum INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, month, shard)
);
CREATE TABLE store_buyers (
    store_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    last_completed_ms INTEGER NOT NULL,
    prev_completed_ms INTEGER,
    PRIMARY KEY (store_id, buyer_id)
);
CREATE INDEX store_buyers_regular ON store_buyers(store_id, prev_completed_ms);
-- One review-integrity case per store and detector run that found
-- something: the evidence an agent reads and can reverse.
CREATE TABLE integrity_cases (
    id TEXT PRIMARY KEY,
    store_id TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    data TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX integrity_cases_by_status ON integrity_cases(status, created_at_ms, id);
CREATE INDEX integrity_cases_by_store ON integrity_cases(store_id, created_at_ms);
