-- Migration 29: the admin's settings list past policy versions with who
-- published each (none for the versions a server started with).
ALTER TABLE policy_versions ADD COLUMN published_by TEXT;
