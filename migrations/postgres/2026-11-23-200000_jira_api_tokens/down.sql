DROP TABLE jira_api_tokens;
