//! The domain types on their own: which sites are accepted, redacted `Debug`s, user messages.

use super::*;
use crate::jira::client::mock::creds;

#[test]
fn site_accepts_https_and_loopback_http_only() {
    assert!(JiraSite::parse("https://example.atlassian.net").is_ok());
    assert!(JiraSite::parse("http://127.0.0.1:8090").is_ok());
    assert!(JiraSite::parse("http://localhost:8090").is_ok());
    assert!(JiraSite::parse("http://[::1]:8090").is_ok());
    assert_eq!(
        JiraSite::parse("http://example.atlassian.net"),
        Err("the Jira base URL must use https")
    );
    assert_eq!(
        JiraSite::parse("ftp://example.atlassian.net"),
        Err("the Jira base URL must use https")
    );
    assert!(JiraSite::parse("https://user:pw@example.atlassian.net").is_err());
    assert!(JiraSite::parse("https://example.atlassian.net/?x=1").is_err());
    assert!(JiraSite::parse("https://example.atlassian.net/#x").is_err());
    assert!(JiraSite::parse("not a url").is_err());
}

#[test]
fn site_endpoints_are_fixed_paths_on_the_site() {
    let site = JiraSite::parse("https://example.atlassian.net/").unwrap();
    assert_eq!(
        site.endpoint("/rest/api/3/myself").as_str(),
        "https://example.atlassian.net/rest/api/3/myself"
    );
    let with_path = JiraSite::parse("https://example.com/jira").unwrap();
    assert_eq!(
        with_path.endpoint("/rest/api/3/search/jql").as_str(),
        "https://example.com/jira/rest/api/3/search/jql"
    );
}

#[test]
fn credentials_debug_hides_email_and_token() {
    let debug = format!("{:?}", creds());
    assert!(!debug.contains("ana@example.com"));
    assert!(!debug.contains("ATATT"));
    let account = JiraAccount {
        account_id: "a1".to_owned(),
        display_name: "Ana".to_owned(),
        email_address: Some("ana@example.com".to_owned()),
    };
    assert!(!format!("{account:?}").contains("ana@example.com"));
}
#[test]
fn every_error_has_a_user_message() {
    let all = [
        JiraError::Unauthorized,
        JiraError::CaptchaChallenge { login_url: None },
        JiraError::Forbidden,
        JiraError::NotFound,
        JiraError::BadRequest { messages: vec![] },
        JiraError::RateLimited,
        JiraError::Timeout,
        JiraError::Unreachable,
        JiraError::Unexpected { status: 302 },
        JiraError::Unexpected { status: 503 },
        JiraError::Unexpected { status: 418 },
        JiraError::InvalidResponse("GET /x: not valid JSON at line 1 column 1".to_owned()),
        JiraError::ResponseTooLarge {
            limit_bytes: 32 * 1024 * 1024,
        },
        JiraError::IssuesUnavailable { count: 3 },
    ];
    let messages: std::collections::HashSet<String> =
        all.iter().map(JiraError::user_message).collect();
    assert_eq!(messages.len(), all.len());
    assert!(
        messages
            .iter()
            .all(|m| !m.is_empty() && !m.contains("GET /x"))
    );
}
