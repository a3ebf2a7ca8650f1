-- Migration 14: reputation. Reviews (one per order; its rules live in
-- haven-domain/src/reputation.rs), the sellers' ratings of buyers, and the
-- store metrics as monthly counters (sharded so concurrent checkouts at
-- one store do not queue on one row), plus each buyer's two latest
-- completed orders per store (regular buyers). The counters change in the
-- same transaction as the fact behind them; `haven reputation rebuild`
-- recomputes them from the orders, reviews and conversations.
CREATE TABLE IF NOT EXISTS reviews (
    id TEXT COLLATE "C" PRIMARY KEY,
    order_id TEXT COLLATE "C" NOT NULL UNIQUE,
    store_id TEXT COLLATE "C" NOT NULL,
    listing_id TEXT COLLATE "C" NOT NULL,
    buyer_id TEXT COLLATE "C" NOT NULL,
    rating BIGINT NOT NULL,
    is_public BIGINT NOT NULL,
    counted BIGINT NOT NULL,
    removed BIGINT NOT NULL,
    held BIGINT NOT NULL,
    has_photos BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    published_at_ms BIGINT,
    data TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS reviews_by_store ON reviews(store_id, is_public, created_at_ms, id);
CREATE INDEX IF NOT EXISTS reviews_by_store_rating ON reviews(store_id, rating, is_public, created_at_ms, id);
CREATE INDEX IF NOT EXISTS reviews_by_listing ON reviews(listing_id, is_public, created_at_ms, id);
CREATE INDEX IF NOT EXISTS reviews_by_buyer ON reviews(buyer_id, created_at_ms);
CREATE INDEX IF NOT EXISTS reviews_held ON reviews(created_at_ms, id) WHERE held = 1;
CREATE INDEX IF NOT EXISTS reviews_removed ON reviews(created_at_ms, id) WHERE removed = 1;
CREATE TABLE IF NOT EXISTS buyer_ratings (
    order_id TEXT COLLATE "C" PRIMARY KEY,
    store_id TEXT COLLATE "C" NOT NULL,
    buyer_id TEXT COLLATE "C" NOT NULL,
    rating BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    published_at_ms BIGINT,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS buyer_ratings_by_buyer ON buyer_ratings(buyer_id, published_at_ms);
CREATE TABLE IF NOT EXISTS store_stats (
    store_id TEXT COLLATE "C" NOT NULL,
    month BIGINT NOT NULL,
    shard BIGINT NOT NULL,
    orders_paid BIGINT NOT NULL DEFAULT 0,
    orders_disputed BIGINT NOT NULL DEFAULT 0,
    shipped BIGINT NOT NULL DEFAULT 0,
    shipped_on_time BIGINT NOT NULL DEFAULT 0,
    orders_completed BIGINT NOT NULL DEFAULT 0,
    items_sold BIGINT NOT NULL DEFAULT 0,
    stars_1 BIGINT NOT NULL DEFAULT 0,
    stars_2 BIGINT NOT NULL DEFAULT 0,
    stars_3 BIGINT NOT NULL DEFAULT 0,
    stars_4 BIGINT NOT NULL DEFAULT 0,
    stars_5 BIGINT NOT NULL DEFAULT 0,
    described_sum BIGINT NOT NULL DEFAULT 0,
    described_count BIGINT NOT NULL DEFAULT 0,
    communication_sum BIGINT NOT NULL DEFAULT 0,
    communication_count BIGINT NOT NULL DEFAULT 0,
    shipping_sum BIGINT NOT NULL DEFAULT 0,
    shipping_count BIGINT NOT NULL DEFAULT 0,
    questions BIGINT NOT NULL DEFAULT 0,
    answered BIGINT NOT NULL DEFAULT 0,
    answered_in_day BIGINT NOT NULL DEFAULT 0,
    answer_s_sum BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (store_id, month, shard)
);
CREATE TABLE IF NOT EXISTS store_buyers (
    store_id TEXT COLLATE "C" NOT NULL,
    buyer_id TEXT COLLATE "C" NOT NULL,
    last_completed_ms BIGINT NOT NULL,
    prev_completed_ms BIGINT,
    PRIMARY KEY (store_id, buyer_id)
);
CREATE INDEX IF NOT EXISTS store_buyers_regular ON store_buyers(store_id, prev_completed_ms);
-- One review-integrity case per store and detector run that found
-- something: the evidence an agent reads and can reverse.
CREATE TABLE IF NOT EXISTS integrity_cases (
    id TEXT COLLATE "C" PRIMARY KEY,
    store_id TEXT COLLATE "C" NOT NULL,
    status TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    data TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS integrity_cases_by_status ON integrity_cases(status, created_at_ms, id);
CREATE INDEX IF NOT EXISTS integrity_cases_by_store ON integrity_cases(store_id, created_at_ms);
