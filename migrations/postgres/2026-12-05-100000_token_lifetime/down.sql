DROP TABLE token_lifetime_policies;
