-- Personal access tokens as the first release stored them: no creation date, no expiry, and
-- revocation as a soft delete (revoked_at). The next migration brings the current shape; this one
-- is kept as it was so that databases created by that release upgrade through the same path.
-- token_id is the public lookup id from the token itself; only a hash of the secret is stored.
CREATE TABLE access_tokens (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    account_id TEXT NOT NULL,
    token_id TEXT NOT NULL UNIQUE,
    secret_hash BYTEA NOT NULL,
    label TEXT NOT NULL,
    label_normalized TEXT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
