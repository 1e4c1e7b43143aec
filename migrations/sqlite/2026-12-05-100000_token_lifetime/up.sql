-- The longest an access token may live on a site, as its Jira administrators chose (days).
-- No row, or max_days NULL, means no maximum (the default). With a maximum, new tokens need an
-- expiry date within it, and turning it on or shortening it clamped the longer tokens then
-- issued to created + maximum (tokens without a creation date: to that day + maximum).
CREATE TABLE token_lifetime_policies (
    tenant_id BIGINT PRIMARY KEY NOT NULL REFERENCES tenants (id),
    max_days BIGINT,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);
