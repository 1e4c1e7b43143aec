//! Jira's JSON (issues, change histories, worklogs, sprints, versions) turned into the rows of
//! the extra tables. Pure functions, so every rule is unit-tested without Jira.
