DROP TABLE app_access_grants;
DROP TABLE app_access_policies;
