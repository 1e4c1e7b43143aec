-- Who besides its owner may read a data source: people (accountId) and Jira groups (groupId),
-- chosen by the owner. A reader sees the definition and uses its feed URLs, and reads Jira with
-- their own saved Jira API token, so each reader gets only the issues Jira lets them see.
-- principal_name is the person's or group's name when it was shared, owner_name the owner's
-- (both for display; access is decided by the ids). Deleting the data source deletes its
-- shares.
CREATE TABLE data_source_shares (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    data_source_id BIGINT NOT NULL REFERENCES data_sources (id) ON DELETE CASCADE,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group')),
    principal_id TEXT NOT NULL,
    principal_name TEXT NOT NULL,
    owner_name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE UNIQUE INDEX data_source_shares_principal
    ON data_source_shares (data_source_id, principal_kind, principal_id);

-- "Shared with me": a person's own shares and their groups'.
CREATE INDEX data_source_shares_by_principal
    ON data_source_shares (tenant_id, principal_kind, principal_id);
