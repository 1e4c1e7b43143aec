-- Creation and expiry dates. Rows from the first release keep NULL in both: the list shows "—"
-- for the creation date and "Never" for the expiry, and such tokens never expire.
-- expires_on is the last valid calendar day in UTC, as 'YYYY-MM-DD' (the token works through
-- 23:59:59 UTC of that day); created_at is Unix seconds like every other time column.
ALTER TABLE access_tokens ADD COLUMN created_at BIGINT;
ALTER TABLE access_tokens ADD COLUMN expires_on TEXT;

-- Revoking now deletes the row (the audit trail keeps the record), so soft-deleted rows go and
-- the column with them: a revoked token has no row, and nothing can forget to check a flag.
DELETE FROM access_tokens WHERE revoked_at IS NOT NULL;
ALTER TABLE access_tokens DROP COLUMN revoked_at;

-- One label per user, ignoring case; the index also serves "this user's tokens".
CREATE UNIQUE INDEX access_tokens_owner_label
    ON access_tokens (tenant_id, account_id, label_normalized);
