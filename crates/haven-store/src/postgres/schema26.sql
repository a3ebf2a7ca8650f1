-- Migration 26: payouts settle, and sellers read statements (see the
-- SQLite migration of the same number).
ALTER TABLE payouts ADD COLUMN IF NOT EXISTS settled_at_ms BIGINT;
ALTER TABLE payouts ADD COLUMN IF NOT EXISTS bank_reference TEXT;
CREATE INDEX IF NOT EXISTS ledger_postings_statement ON ledger_postings(account, entry_seq)
    WHERE substr(account, 1, 7) IN ('seller:', 'payout:');
