-- Migration 15: search. Each listing counts the units its orders took and
-- kept (moved by the same statement that moves its stock), which search
-- sorts "most sold" by, and says whether trust and safety holds it (held
-- listings are out of browse and search). The backfill counts every order
-- whose stock was not given back: not cancelled, and not refunded before
-- it shipped.
ALTER TABLE listings ADD COLUMN units_sold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE listings ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
UPDATE listings SET units_sold = COALESCE((
    SELECT SUM(json_extract(o.data, '$.quantity')) FROM orders o
    WHERE json_extract(o.data, '$.listing_id') = listings.id
      AND NOT (o.state = 'cancelled'
               OR (o.state = 'refunded' AND json_extract(o.data, '$.shipment') IS NULL))
), 0);
CREATE INDEX IF NOT EXISTS listings_by_id_store ON listings(store_id, id);
