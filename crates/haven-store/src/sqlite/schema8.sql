-- Migration 8: shared balances in shards.
-- Accounts every order touches and nobody's money depends on staying
-- non-negative (`gateway:*`, `platform:*`) are kept as 16 partial sums, so
-- concurrent orders do not queue on one row. An account's balance is its
-- row in account_balances (if any) plus the sum of its shards.
CREATE TABLE balance_shards (
    account TEXT NOT NULL,
    currency TEXT NOT NULL,
    shard INTEGER NOT NULL,
    balance_minor INTEGER NOT NULL,
    PRIMARY KEY (account, currency, shard)
);
