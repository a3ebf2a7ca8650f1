-- Migration 15: search. Each listing counts the units its orders took and
-- kept (moved by the same statement that moves its stock), which search
-- sorts "most sold" by, and says whether trust and safety holds it (held
-- listings are out of browse and search). The backfill counts every order
-- whose stock was not given back: every order but the cancelled ones (an
-- order refunded before it shipped ends cancelled; a chargeback before
-- shipping keeps its stock taken).
ALTER TABLE listings ADD COLUMN IF NOT EXISTS units_sold BIGINT NOT NULL DEFAULT 0;
ALTER TABLE listings ADD COLUMN IF NOT EXISTS held BIGINT NOT NULL DEFAULT 0;
UPDATE listings l SET units_sold = kept.units
FROM (
    SELECT data::jsonb ->> 'listing_id' AS listing_id,
           SUM((data::jsonb ->> 'quantity')::bigint) AS units
    FROM orders
    WHERE state <> 'cancelled'
    GROUP BY 1
) kept
WHERE kept.listing_id = l.id;
CREATE INDEX IF NOT EXISTS listings_by_id_store ON listings(store_id, id);
