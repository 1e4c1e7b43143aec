use proptest::prelude::*;
use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::feed::tables::rows::test_support::{assert_rows_fit, cell, s};

/// `GET /rest/api/3/status`, shaped like the spec's `StatusDetails` example.
fn catalogue() -> StatusCatalogue {
    let status = |id: &str, name: &str, category: &str| {
        json!({"id": id, "name": name, "description": "", "iconUrl": "",
               "self": format!("https://your-domain.atlassian.net/rest/api/3/status/{id}"),
               "statusCategory": {"id": 1, "key": "k", "colorName": "c", "name": category}})
    };
    StatusCatalogue::from_statuses(&[
        status("10000", "To Do", "To Do"),
        status("3", "In Progress", "In Progress"),
        status("10001", "Code Review", "In Progress"),
        status("10002", "Done", "Done"),
        json!({"name": "no id"}),
    ])
}

fn issue(key: &str, status_id: &str, status_name: &str) -> Value {
    json!({
        "id": "10100",
        "key": key,
        "fields": {
            "created": "2024-03-01T09:00:00.000+0000",
            "status": {"id": status_id, "name": status_name,
                       "statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"}}
        }
    })
}

fn transition(id: &str, at: &str, from: (&str, &str), to: (&str, &str)) -> Value {
    json!({
        "id": id,
        "created": at,
        "author": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Mia Krystof"},
        "items": [{"field": "status", "fieldId": "status", "fieldtype": "jira",
                   "from": from.0, "fromString": from.1, "to": to.0, "toString": to.1}]
    })
}

const NOW: OffsetDateTime = datetime!(2024-03-10 09:00 UTC);

fn summary(periods: &[Period]) -> Vec<(Option<&str>, Option<&str>, i64)> {
    periods
        .iter()
        .map(|p| (p.status_id.as_deref(), p.status.as_deref(), p.seconds))
        .collect()
}

#[test]
fn an_issue_never_moved_has_one_current_stay_since_creation() {
    let periods = periods(&issue("ED-1", "10000", "To Do"), &[], &catalogue(), NOW);

    assert_eq!(
        periods,
        [Period {
            issue_id: "10100".to_owned(),
            issue_key: "ED-1".to_owned(),
            period: 1,
            status_id: Some("10000".to_owned()),
            status: Some("To Do".to_owned()),
            category: Some("To Do".to_owned()),
            entered: datetime!(2024-03-01 09:00 UTC),
            left: None,
            seconds: 9 * 86_400,
        }]
    );
    let rows = period_rows(&periods);
    assert_rows_fit(PERIOD_COLUMNS, &rows);
    assert_eq!(cell(PERIOD_COLUMNS, &rows[0], "Left"), &CellValue::Null);
}

#[test]
fn stays_follow_the_transitions_and_time_in_status_sums_them_per_status() {
    let histories = [
        transition(
            "20",
            "2024-03-02T09:00:00.000+0000",
            ("3", "In Progress"),
            ("10002", "Done"),
        ),
        transition(
            "10",
            "2024-03-01T10:00:00.000+0000",
            ("10000", "To Do"),
            ("3", "In Progress"),
        ),
        transition(
            "30",
            "2024-03-03T09:00:00.000+0000",
            ("10002", "Done"),
            ("3", "In Progress"),
        ),
    ];
    let periods = periods(
        &issue("ED-1", "3", "In Progress"),
        &histories,
        &catalogue(),
        NOW,
    );

    assert_eq!(
        summary(&periods),
        [
            (Some("10000"), Some("To Do"), 3600),
            (Some("3"), Some("In Progress"), 23 * 3600),
            (Some("10002"), Some("Done"), 86_400),
            (Some("3"), Some("In Progress"), 7 * 86_400),
        ]
    );
    assert_eq!(periods[1].left, Some(datetime!(2024-03-02 09:00 UTC)));
    assert_eq!(periods[2].category.as_deref(), Some("Done"));
    let total: i64 = periods.iter().map(|p| p.seconds).sum();
    assert_eq!(total, 9 * 86_400);

    let rows = time_rows(&periods);
    assert_rows_fit(TIME_COLUMNS, &rows);
    assert_eq!(
        rows[1],
        vec![
            s("10100"),
            s("ED-1"),
            s("3"),
            s("In Progress"),
            s("In Progress"),
            CellValue::Int64(23 * 3600 + 7 * 86_400),
            CellValue::Int64(2),
            CellValue::Boolean(true),
        ]
    );
    assert_eq!(
        cell(TIME_COLUMNS, &rows[2], "Current"),
        &CellValue::Boolean(false)
    );
    assert_eq!(rows.len(), 3);
}

#[test]
fn a_renamed_status_is_one_status_under_its_current_name() {
    // The history was written while 10001 was called "In Review"; it is "Code Review" now.
    let histories = [
        transition(
            "1",
            "2024-03-01T10:00:00Z",
            ("3", "In Progress"),
            ("10001", "In Review"),
        ),
        transition(
            "2",
            "2024-03-01T11:00:00Z",
            ("10001", "In Review"),
            ("3", "In Progress"),
        ),
        transition(
            "3",
            "2024-03-01T12:00:00Z",
            ("3", "In Progress"),
            ("10001", "In Review"),
        ),
    ];
    let periods = periods(
        &issue("ED-1", "10001", "Code Review"),
        &histories,
        &catalogue(),
        NOW,
    );

    let names: Vec<_> = periods.iter().map(|p| p.status.as_deref()).collect();
    assert_eq!(
        names,
        [
            Some("In Progress"),
            Some("Code Review"),
            Some("In Progress"),
            Some("Code Review")
        ]
    );
    let rows = time_rows(&periods);
    let review = rows
        .iter()
        .find(|row| cell(TIME_COLUMNS, row, "StatusId") == &s("10001"))
        .expect("a row for 10001");
    assert_eq!(cell(TIME_COLUMNS, review, "Status"), &s("Code Review"));
    assert_eq!(cell(TIME_COLUMNS, review, "Visits"), &CellValue::Int64(2));
    assert_eq!(rows.len(), 2);
}

#[test]
fn a_status_the_catalogue_no_longer_has_keeps_the_historys_text_and_no_category() {
    let histories = [
        transition(
            "1",
            "2024-03-01T10:00:00Z",
            ("10000", "To Do"),
            ("777", "Triage"),
        ),
        transition(
            "2",
            "2024-03-01T11:00:00Z",
            ("777", "Triage"),
            ("888", "Waiting"),
        ),
    ];
    // 888 is the current status: the issue's own status object names it.
    let periods = periods(
        &issue("ED-1", "888", "Waiting for customer"),
        &histories,
        &catalogue(),
        NOW,
    );

    assert_eq!(periods[1].status.as_deref(), Some("Triage"));
    assert_eq!(periods[1].category, None);
    assert_eq!(periods[2].status.as_deref(), Some("Waiting for customer"));
    assert_eq!(periods[2].category.as_deref(), Some("In Progress"));
    assert_rows_fit(PERIOD_COLUMNS, &period_rows(&periods));
}

#[test]
fn an_issue_moved_between_projects_keeps_its_stays_under_its_current_key() {
    // ED-3 moved to OPS (now OPS-9); the move mapped its status into OPS's workflow.
    let moved = json!({
        "id": "50",
        "created": "2024-03-02T09:00:00.000+0000",
        "items": [
            {"field": "project", "fieldId": "project", "fieldtype": "jira",
             "from": "10000", "fromString": "Editorial", "to": "10001", "toString": "Operations"},
            {"field": "Key", "fieldtype": "jira", "from": null, "fromString": "ED-3",
             "to": null, "toString": "OPS-9"},
            {"field": "status", "fieldId": "status", "fieldtype": "jira",
             "from": "3", "fromString": "In Progress", "to": "10001", "toString": "In Review"}
        ]
    });
    let histories = [
        transition(
            "40",
            "2024-03-01T10:00:00Z",
            ("10000", "To Do"),
            ("3", "In Progress"),
        ),
        moved,
        transition(
            "60",
            "2024-03-03T09:00:00Z",
            ("10001", "In Review"),
            ("10002", "Done"),
        ),
    ];
    let periods = periods(
        &issue("OPS-9", "10002", "Done"),
        &histories,
        &catalogue(),
        NOW,
    );

    assert_eq!(
        summary(&periods),
        [
            (Some("10000"), Some("To Do"), 3600),
            (Some("3"), Some("In Progress"), 23 * 3600),
            (Some("10001"), Some("Code Review"), 86_400),
            (Some("10002"), Some("Done"), 7 * 86_400),
        ]
    );
    assert!(
        periods
            .iter()
            .all(|p| p.issue_key == "OPS-9" && p.issue_id == "10100")
    );
}

#[test]
fn changes_at_one_instant_go_by_id_and_their_zero_second_stays_are_visits() {
    let at = "2024-03-01T10:00:00Z";
    let histories = [
        transition("102", at, ("3", "In Progress"), ("10002", "Done")),
        transition("101", at, ("10000", "To Do"), ("3", "In Progress")),
    ];
    let periods = periods(
        &issue("ED-1", "10002", "Done"),
        &histories,
        &catalogue(),
        NOW,
    );

    assert_eq!(
        summary(&periods),
        [
            (Some("10000"), Some("To Do"), 3600),
            (Some("3"), Some("In Progress"), 0),
            (Some("10002"), Some("Done"), 9 * 86_400 - 3600),
        ]
    );
    let rows = time_rows(&periods);
    let progress = &rows[1];
    assert_eq!(cell(TIME_COLUMNS, progress, "Visits"), &CellValue::Int64(1));
    assert_eq!(
        cell(TIME_COLUMNS, progress, "Seconds"),
        &CellValue::Int64(0)
    );
}

#[test]
fn a_from_that_does_not_match_the_running_status_still_starts_its_to() {
    let histories = [
        transition(
            "1",
            "2024-03-01T10:00:00Z",
            ("10000", "To Do"),
            ("3", "In Progress"),
        ),
        // Says it left Code Review, but the issue was In Progress: trust the `to`.
        transition(
            "2",
            "2024-03-01T12:00:00Z",
            ("10001", "In Review"),
            ("10002", "Done"),
        ),
    ];
    let periods = periods(
        &issue("ED-1", "10002", "Done"),
        &histories,
        &catalogue(),
        NOW,
    );

    assert_eq!(
        summary(&periods),
        [
            (Some("10000"), Some("To Do"), 3600),
            (Some("3"), Some("In Progress"), 7200),
            (Some("10002"), Some("Done"), 9 * 86_400 - 3 * 3600),
        ]
    );
}

#[test]
fn changes_dated_before_creation_are_clamped_and_no_stay_is_negative() {
    let histories = [
        transition(
            "1",
            "2024-02-20T10:00:00Z",
            ("10000", "To Do"),
            ("3", "In Progress"),
        ),
        transition(
            "2",
            "2024-03-01T10:00:00Z",
            ("3", "In Progress"),
            ("10002", "Done"),
        ),
    ];
    let periods = periods(
        &issue("ED-1", "10002", "Done"),
        &histories,
        &catalogue(),
        NOW,
    );

    assert_eq!(
        summary(&periods),
        [
            (Some("10000"), Some("To Do"), 0),
            (Some("3"), Some("In Progress"), 3600),
            (Some("10002"), Some("Done"), 9 * 86_400 - 3600),
        ]
    );
    assert_eq!(periods[1].entered, datetime!(2024-03-01 09:00 UTC));
}

#[test]
fn a_now_before_the_last_change_gives_the_current_stay_zero_seconds() {
    let histories = [transition(
        "1",
        "2024-03-20T10:00:00Z",
        ("10000", "To Do"),
        ("3", "In Progress"),
    )];
    let periods = periods(
        &issue("ED-1", "3", "In Progress"),
        &histories,
        &catalogue(),
        NOW,
    );

    assert_eq!(periods[1].seconds, 0);
    assert!(periods[0].seconds > 0);
}

#[test]
fn seconds_are_cut_to_whole_seconds_before_subtracting_so_stays_sum_exactly() {
    let mut issue = issue("ED-1", "3", "In Progress");
    issue["fields"]["created"] = json!("2024-03-01T09:00:00.600+0000");
    let histories = [transition(
        "1",
        "2024-03-01T09:00:01.400+0000",
        ("10000", "To Do"),
        ("3", "In Progress"),
    )];
    let now = datetime!(2024-03-01 09:00:02.100 UTC);
    let periods = periods(&issue, &histories, &catalogue(), now);

    assert_eq!(summary(&periods)[0].2, 1);
    assert_eq!(summary(&periods)[1].2, 1);
}

#[test]
fn malformed_history_never_panics_and_keeps_the_tiling() {
    let histories = [
        json!({"id": "1", "created": "2024-03-01T10:00:00Z",
               "items": [{"field": "status", "fieldId": "status", "fromString": "To Do"}]}),
        json!({"id": "2", "created": "2024-03-01T11:00:00Z",
               "items": [{"field": "status", "fieldtype": "custom", "from": "1", "to": "2"}]}),
        json!({"id": "3", "created": "2024-03-01T12:00:00Z",
               "items": [{"field": "status", "fieldtype": "jira", "to": "3"}]}),
        json!({"id": "4", "items": [{"fieldId": "status", "to": "10002"}]}),
        json!(42),
    ];
    let periods = periods(
        &issue("ED-1", "3", "In Progress"),
        &histories,
        &catalogue(),
        NOW,
    );

    // Only change 3 is a transition; it has no `from`, so the first stay has no status.
    assert_eq!(
        summary(&periods),
        [
            (None, None, 3 * 3600),
            (Some("3"), Some("In Progress"), 9 * 86_400 - 3 * 3600),
        ]
    );
    assert_rows_fit(PERIOD_COLUMNS, &period_rows(&periods));
    assert_eq!(time_rows(&periods).len(), 1);

    let mut no_created = issue("ED-1", "3", "In Progress");
    no_created["fields"]["created"] = json!(null);
    assert!(super::periods(&no_created, &histories, &catalogue(), NOW).is_empty());
    assert!(super::periods(&json!({"fields": {}}), &[], &catalogue(), NOW).is_empty());
}

const STATUSES: &[&str] = &["10000", "3", "10001", "10002", "999"];

proptest! {
    /// Changes at random times (some before creation, some at the same instant, with random
    /// `from`s) and a random `now`: no stay is negative, the stays tile `[created, end]`, and
    /// their seconds sum to exactly the whole seconds from `created` to `end`.
    #[test]
    fn stays_never_go_negative_and_tile_creation_to_now(
        changes in proptest::collection::vec(
            (-5_000_i64..200_000, 0_usize..5, 0_usize..5, 0_u32..1000, 1_u64..50), 0..40),
        now_offset in -10_000_i64..400_000,
    ) {
        let created = datetime!(2024-03-01 09:00:00.250 UTC);
        let mut issue = issue("ED-1", "10002", "Done");
        issue["fields"]["created"] = json!("2024-03-01T09:00:00.250+0000");
        let histories: Vec<Value> = changes
            .iter()
            .enumerate()
            .map(|(n, (offset, from, to, millis, id))| {
                let at = created + time::Duration::seconds(*offset)
                    + time::Duration::milliseconds(i64::from(*millis));
                json!({"id": (id * 1000 + n as u64).to_string(), "created": crate::feed::columns::format_instant(at),
                       "items": [{"field": "status", "fieldId": "status",
                                  "from": STATUSES[*from], "to": STATUSES[*to]}]})
            })
            .collect();
        let now = created + time::Duration::seconds(now_offset);

        let periods = periods(&issue, &histories, &catalogue(), now);

        prop_assert_eq!(periods.len(), histories.len() + 1);
        prop_assert_eq!(periods[0].entered, created);
        for pair in periods.windows(2) {
            prop_assert_eq!(pair[0].left, Some(pair[1].entered));
            prop_assert!(pair[0].entered <= pair[1].entered);
        }
        let last = periods.last().expect("at least one stay");
        prop_assert_eq!(last.left, None);
        prop_assert!(periods.iter().all(|p| p.seconds >= 0));
        let end = now.max(last.entered);
        let total: i64 = periods.iter().map(|p| p.seconds).sum();
        prop_assert_eq!(total, end.unix_timestamp() - created.unix_timestamp());
        let by_status: i64 = time_rows(&periods)
            .iter()
            .map(|row| match cell(TIME_COLUMNS, row, "Seconds") {
                CellValue::Int64(n) => *n,
                other => panic!("seconds {other:?}"),
            })
            .sum();
        prop_assert_eq!(by_status, total);
        assert_rows_fit(PERIOD_COLUMNS, &period_rows(&periods));
        assert_rows_fit(TIME_COLUMNS, &time_rows(&periods));
    }
}
