DROP TABLE token_form_submissions;
DROP TABLE audit_events;
