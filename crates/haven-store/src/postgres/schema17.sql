-- Migration 17: cart, coupons and compare-sellers.
-- A buyer's cart: one line per listing, kept until checkout or removal.
CREATE TABLE IF NOT EXISTS cart_lines (
    buyer_id TEXT COLLATE "C" NOT NULL,
    listing_id TEXT COLLATE "C" NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    added_at_ms BIGINT NOT NULL,
    PRIMARY KEY (buyer_id, listing_id)
);
-- Coupons: the definition as JSON; the counters a redemption takes in the
-- order's own transaction as columns (never more than total_limit).
CREATE TABLE IF NOT EXISTS coupons (
    id TEXT COLLATE "C" PRIMARY KEY,
    code TEXT COLLATE "C" UNIQUE,
    store_id TEXT COLLATE "C",
    data TEXT NOT NULL,
    total_limit BIGINT NOT NULL,
    redeemed BIGINT NOT NULL DEFAULT 0 CHECK (redeemed >= 0),
    starts_at_ms BIGINT NOT NULL,
    ends_at_ms BIGINT NOT NULL,
    claimable BIGINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS coupons_by_store ON coupons(store_id, created_at_ms DESC, id DESC);
CREATE TABLE IF NOT EXISTS coupon_claims (
    coupon_id TEXT COLLATE "C" NOT NULL,
    buyer_id TEXT COLLATE "C" NOT NULL,
    claimed_at_ms BIGINT NOT NULL,
    PRIMARY KEY (coupon_id, buyer_id)
);
CREATE INDEX IF NOT EXISTS coupon_claims_by_buyer ON coupon_claims(buyer_id, claimed_at_ms DESC);
-- One row per order a coupon discounted; released (the order was
-- cancelled or refunded in full) rows no longer count against the limits.
CREATE TABLE IF NOT EXISTS coupon_redemptions (
    coupon_id TEXT COLLATE "C" NOT NULL,
    order_id TEXT COLLATE "C" NOT NULL,
    buyer_id TEXT COLLATE "C" NOT NULL,
    redeemed_at_ms BIGINT NOT NULL,
    released_at_ms BIGINT,
    PRIMARY KEY (order_id, coupon_id)
);
CREATE INDEX IF NOT EXISTS coupon_redemptions_by_buyer ON coupon_redemptions(coupon_id, buyer_id);
-- Compare sellers: the seller's product key (brand + model, or a GTIN).
ALTER TABLE listings ADD COLUMN IF NOT EXISTS product_key TEXT;
CREATE INDEX IF NOT EXISTS listings_by_product ON listings(product_key) WHERE product_key IS NOT NULL;
