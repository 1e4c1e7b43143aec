use super::*;

#[test]
fn stored_action_names_parse_back_and_unknown_ones_do_not() {
    for action in ALL_ACTIONS {
        assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        assert!(!action.describe().is_empty());
        assert!(AuditAction::names_in(action.area()).contains(&action.as_str()));
    }
    assert_eq!(AuditAction::parse("access_token.teleported"), None);
}
