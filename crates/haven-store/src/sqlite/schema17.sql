-- Migration 17: cart, coupons and compare-sellers.
-- A buyer's cart: one line per listing, kept until checkout or removal.
CREATE TABLE cart_lines (
    buyer_id TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    added_at_ms INTEGER NOT NULL,
    PRIMARY KEY (buyer_id, listing_id)
);
-- Coupons: the definition as JSON; the counters a redemption takes in the
-- order's own transaction as columns (never more than total_limit).
CREATE TABLE coupons (
    id TEXT PRIMARY KEY,
    code TEXT UNIQUE,
    store_id TEXT,
    data TEXT NOT NULL,
    total_limit INTEGER NOT NULL,
    redeemed INTEGER NOT NULL DEFAULT 0 CHECK (redeemed >= 0),
    starts_at_ms INTEGER NOT NULL,
    ends_at_ms INTEGER NOT NULL,
    claimable INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX coupons_by_store ON coupons(store_id, created_at_ms DESC, id DESC);
CREATE TABLE coupon_claims (
    coupon_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    claimed_at_ms INTEGER NOT NULL,
    PRIMARY KEY (coupon_id, buyer_id)
);
CREATE INDEX coupon_claims_by_buyer ON coupon_claims(buyer_id, claimed_at_ms DESC);
-- One row per order a coupon discounted; released (the order was
-- cancelled or refunded in full) rows no longer count against the limits.
CREATE TABLE coupon_redemptions (
    coupon_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    redeemed_at_ms INTEGER NOT NULL,
    released_at_ms INTEGER,
    PRIMARY KEY (order_id, coupon_id)
);
CREATE INDEX coupon_redemptions_by_buyer ON coupon_redemptions(coupon_id, buyer_id);
-- Compare sellers: the seller's product key (brand + model, or a GTIN).
ALTER TABLE listings ADD COLUMN product_key TEXT;
CREATE INDEX listings_by_product ON listings(product_key) WHERE product_key IS NOT NULL;
