-- Each Jira user's saved Atlassian API token: one row per (tenant, account), replaced atomically on
-- every successful Validate & Save and deleted on Revoke. token_sealed is AES-256-GCM ("v1." +
-- base64url(nonce ‖ ciphertext ‖ tag)) bound to "<tenant_id>:<account_id>", so a value copied to
-- another row does not open. rejected_at is set when Jira later answers 401 to the saved token.
-- Times are Unix seconds (BIGINT) to stay portable to PostgreSQL.
CREATE TABLE jira_api_tokens (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    account_id TEXT NOT NULL,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    token_sealed TEXT NOT NULL,
    validated_at BIGINT NOT NULL,
    rejected_at BIGINT,
    UNIQUE (tenant_id, account_id)
);
