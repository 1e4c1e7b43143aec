-- The audit trail: who did what to which object, when and from which address. Admins will read
-- it later; rows are only ever inserted. subject is the object's user-visible name (a label).
CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    account_id TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    ip TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, created_at);

-- One-time ids of submitted "Create token" forms, so that a reload or a double click cannot mint a
-- second token. Kept apart from access_tokens because revoking deletes the token row.
CREATE TABLE token_form_submissions (
    form_id TEXT PRIMARY KEY NOT NULL,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    account_id TEXT NOT NULL,
    submitted_at BIGINT NOT NULL
);
