-- Migration 26: payouts settle, and sellers read statements.
-- A payout becomes `paid` when the bank confirms it, with the time and the
-- bank's reference. A seller's statement lists the postings to one of the
-- store's accounts, newest first: a partial index over seller and payout
-- accounts only, so checkouts (gateway and escrow postings) pay nothing
-- for it.
ALTER TABLE payouts ADD COLUMN settled_at_ms INTEGER;
ALTER TABLE payouts ADD COLUMN bank_reference TEXT;
CREATE INDEX ledger_postings_statement ON ledger_postings(account, entry_seq)
    WHERE substr(account, 1, 7) IN ('seller:', 'payout:');
