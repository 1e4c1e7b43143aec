-- Who may use the app on a site, as its Jira administrators chose. No policy row means
-- everyone may (the default). With restricted set, only the accounts and the members of the
-- groups in app_access_grants may (Jira administrators always may, so nobody locks the
-- administrators out). Group ids are Jira's stable groupId; names are kept for display, as
-- they were when chosen. Access tokens of people left out are kept, and refused on the feeds.
CREATE TABLE app_access_policies (
    tenant_id BIGINT PRIMARY KEY NOT NULL REFERENCES tenants (id),
    restricted BOOLEAN NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE app_access_grants (
    id INTEGER PRIMARY KEY NOT NULL,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group')),
    principal_id TEXT NOT NULL,
    principal_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX app_access_grants_principal
    ON app_access_grants (tenant_id, principal_kind, principal_id);
