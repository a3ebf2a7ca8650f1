-- Migration 16: flash deals. The units a listing's flash deal has left,
-- taken by a conditional update in the order's own transaction (never
-- below zero), so a deal is never oversold.
ALTER TABLE listings ADD COLUMN deal_remaining INTEGER NOT NULL DEFAULT 0;
