DROP INDEX audit_events_tenant_actor;
DROP INDEX audit_events_tenant_target;
ALTER TABLE audit_events DROP COLUMN target_account_id;
