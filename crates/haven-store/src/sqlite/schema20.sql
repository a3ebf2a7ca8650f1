-- Migration 20: listing risk.
-- The price column lets the category reference (the median price of
-- visible listings) be read from an index.
ALTER TABLE listings ADD COLUMN price_minor INTEGER;
UPDATE listings SET price_minor = json_extract(data, '$.price.amount_minor');
CREATE INDEX listings_by_category_price ON listings(category, price_minor) WHERE held = 0;
-- Fingerprints of listings' text and pictures, one row per band, so a new
-- listing finds near-copies from other stores by exact band matches.
CREATE TABLE listing_fingerprints (
    kind TEXT NOT NULL,
    band INTEGER NOT NULL,
    band_value INTEGER NOT NULL,
    listing_id TEXT NOT NULL,
    store_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (kind, band, band_value, listing_id)
);
-- A store's proof for a brand; an approved one allows Guaranteed Genuine.
CREATE TABLE brand_approvals (
    store_id TEXT NOT NULL,
    brand_key TEXT NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    PRIMARY KEY (store_id, brand_key)
);
CREATE INDEX brand_approvals_by_status ON brand_approvals(status, updated_at_ms, store_id);
CREATE INDEX IF NOT EXISTS listings_held ON listings(created_at_ms DESC, id DESC) WHERE held = 1;
