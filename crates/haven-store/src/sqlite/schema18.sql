-- Migration 18: recommendations. One row per listing of a completed order
-- (written with the release, removed if the order is refunded later), the
-- co-purchase graph "customers who bought this also bought" reads.
CREATE TABLE purchases (
    order_id TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    PRIMARY KEY (order_id, listing_id)
);
CREATE INDEX purchases_by_listing ON purchases(listing_id, buyer_id);
CREATE INDEX purchases_by_buyer ON purchases(buyer_id, listing_id);
-- Orders completed before this migration held one listing each.
INSERT INTO purchases (order_id, listing_id, buyer_id)
SELECT id, json_extract(data, '$.listing_id'), buyer_id FROM orders WHERE state = 'completed'
ON CONFLICT DO NOTHING;
