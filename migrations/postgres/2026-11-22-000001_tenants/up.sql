-- PostgreSQL mirror of migrations/sqlite, one directory per SQLite migration with the same name
-- and the same meaning; only the types differ where the backends do (SQLite's INTEGER PRIMARY KEY
-- is BIGSERIAL here, BLOB is BYTEA), so src/db/schema.rs describes both.
-- Jira sites that installed the app. Rows are kept after uninstall so a signed reinstall and the
-- audit trail still find them. Times are Unix seconds (BIGINT) to stay portable to PostgreSQL.
CREATE TABLE tenants (
    id BIGSERIAL PRIMARY KEY,
    client_key TEXT NOT NULL UNIQUE,
    shared_secret_sealed TEXT NOT NULL,
    base_url TEXT NOT NULL,
    display_url TEXT NOT NULL,
    product_type TEXT NOT NULL,
    oauth_client_id TEXT,
    installed BOOLEAN NOT NULL,
    enabled BOOLEAN NOT NULL,
    installed_at BIGINT NOT NULL,
    uninstalled_at BIGINT,
    updated_at BIGINT NOT NULL
);
