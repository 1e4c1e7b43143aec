DROP INDEX access_tokens_owner_label;
ALTER TABLE access_tokens ADD COLUMN revoked_at BIGINT;
ALTER TABLE access_tokens DROP COLUMN expires_on;
ALTER TABLE access_tokens DROP COLUMN created_at;
