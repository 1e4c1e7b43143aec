-- Whose object an event is about: the token's or the data source's owner. It differs from
-- account_id (who acted) when an administrator revokes a user's token or an owner hands a data
-- source to someone else, and both people's histories show the event. Earlier rows were all
-- people acting on their own objects.
ALTER TABLE audit_events ADD COLUMN target_account_id TEXT NOT NULL DEFAULT '';
UPDATE audit_events SET target_account_id = account_id;
CREATE INDEX audit_events_tenant_target ON audit_events (tenant_id, target_account_id, created_at);
CREATE INDEX audit_events_tenant_actor ON audit_events (tenant_id, account_id, created_at);
