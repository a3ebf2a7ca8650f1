-- Migration 25: the seller centre's to-do list. A store's orders waiting
-- to be shipped, and its open disputes, each found through a small partial
-- index instead of a walk through the store's whole history.
CREATE INDEX IF NOT EXISTS orders_to_ship ON orders(store_id, created_at_ms) WHERE state = 'paid';
CREATE INDEX IF NOT EXISTS disputes_open_by_store ON disputes(store_id, created_at_ms) WHERE is_open;
