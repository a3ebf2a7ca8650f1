-- Migration 8, PostgreSQL dialect: as sqlite/schema8.sql.
CREATE TABLE IF NOT EXISTS balance_shards (
    account TEXT COLLATE "C" NOT NULL,
    currency TEXT COLLATE "C" NOT NULL,
    shard INTEGER NOT NULL,
    balance_minor BIGINT NOT NULL,
    PRIMARY KEY (account, currency, shard)
);
