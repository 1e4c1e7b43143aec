-- Data sources: a user's saved choice of Jira issues (as JQL) and fields, which the BI feeds
-- export. A data source belongs to one user of one site; every query filters by both.
-- issue_mode remembers how the issues were picked ('jql' typed, or 'projects' picked from a
-- list, then project_keys holds them) so the edit form opens the way it was filled in; jql is
-- always the query the feed runs. project_keys and fields are JSON arrays of strings (Jira
-- project keys and Jira field ids, in the user's order). name_normalized (lower-cased) keeps
-- names unique per user ignoring case. form_id is the create form's one-time id, so a reload
-- or double submit finds the data source it created instead of making another.
-- Times are Unix seconds (BIGINT) to stay portable to PostgreSQL.
CREATE TABLE data_sources (
    id BIGSERIAL PRIMARY KEY,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    account_id TEXT NOT NULL,
    name TEXT NOT NULL,
    name_normalized TEXT NOT NULL,
    issue_mode TEXT NOT NULL CHECK (issue_mode IN ('jql', 'projects')),
    jql TEXT NOT NULL,
    project_keys TEXT NOT NULL,
    fields TEXT NOT NULL,
    form_id TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- One name per user, ignoring case; the index also serves "this user's data sources".
CREATE UNIQUE INDEX data_sources_owner_name
    ON data_sources (tenant_id, account_id, name_normalized);
