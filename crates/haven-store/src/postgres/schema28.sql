-- Migration 28: the seller centre shows the money a store has in escrow:
-- the escrow balances of its open orders. A partial index keeps that read
-- to the open orders, whatever the store has sold before.
CREATE INDEX orders_open_by_store ON orders(store_id) WHERE state IN ('paid', 'shipped', 'delivered');
