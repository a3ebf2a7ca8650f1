-- Migration 15: search. Each listing counts the units its orders took and
-- kept (moved by the same statement that moves its stock), which search
-- sorts "most sold" by, and says whether trust and safety holds it (held
-- listings are out of browse and search). The backfill counts every order
-- whose stock was not given back: every order but the cancelled ones (an
-- order refunded before it shipped ends cancelled; a chargeback before
-- shipping keeps its stock taken).
ALTER TABLE listings ADD COLUMN units_sold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE listings ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
-- One pass over the orders, not one per listing.
UPDATE listings SET units_sold = kept.units
FROM (
    SELECT json_extract(data, '$.listing_id') AS listing_id,
           SUM(json_extract(data, '$.quantity')) AS units
    FROM orders WHERE state <> 'cancelled'
    GROUP BY 1
) AS kept
WHERE kept.listing_id = listings.id;
CREATE INDEX IF NOT EXISTS listings_by_id_store ON listings(store_id, id);
