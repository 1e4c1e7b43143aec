//! Reading Jira's error collections, whatever the body turns out to be.

use super::*;

#[test]
fn error_messages_tolerate_non_json_bodies() {
    assert!(error_messages(b"<html>Oops, you've found a dead link</html>").is_empty());
    assert!(error_messages(b"").is_empty());
    assert_eq!(
        error_messages(br#"{"errorMessages":["a",""],"errors":{"jql":"b"},"status":400}"#),
        vec!["a".to_owned(), "b".to_owned()]
    );
}
