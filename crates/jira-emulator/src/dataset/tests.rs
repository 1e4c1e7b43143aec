//! The data set's own checks: reproducible, ids and keys round trip, plausible values, Jira's
//! formats, and no memory spent up front.

use super::calendar::{DAY_MS, format_datetime, parse_date};
use super::catalogue::{AWKWARD_SUMMARIES, START_MS, SUBTASK};
use super::rendering::format_duration;
use super::*;
use crate::directory;

pub(crate) fn alpha_dataset(issues: usize) -> Dataset {
    let site = directory::site(0, "http://127.0.0.1:9001");
    let people = directory::people(0, &site);
    Dataset::new(
        &DatasetConfig { issues, seed: 7 },
        0,
        &site.base_url,
        people,
    )
}

#[test]
fn the_same_seed_gives_the_same_issues() {
    let first = alpha_dataset(200);
    let second = alpha_dataset(200);
    for index in [0, 1, 57, 199] {
        assert_eq!(first.issue(index), second.issue(index));
    }
    let other_site = Dataset::new(
        &DatasetConfig {
            issues: 200,
            seed: 7,
        },
        1,
        "http://127.0.0.1:9001",
        first.people().to_vec(),
    );
    assert_ne!(first.issue(3), other_site.issue(3));
    assert!(first.issue(200).is_none());
}

#[test]
fn ids_and_keys_round_trip() {
    let dataset = alpha_dataset(1000);
    assert_eq!(dataset.issue_id(0).as_deref(), Some("10000"));
    assert_eq!(dataset.issue_key(0).as_deref(), Some("ALPHA-1"));
    assert_eq!(dataset.issue_key(1).as_deref(), Some("BETA-1"));
    assert_eq!(dataset.issue_key(2).as_deref(), Some("ALPHA-2"));
    assert_eq!(dataset.issue_key(12).as_deref(), Some("ALPHA-6"));
    for index in 0..1000 {
        let key = dataset.issue_key(index).expect("key");
        let id = dataset.issue_id(index).expect("id");
        assert_eq!(dataset.index_of(&key), Some(index), "{key}");
        assert_eq!(dataset.index_of(&id), Some(index));
    }
    assert_eq!(dataset.index_of("alpha-1"), Some(0));
    assert_eq!(dataset.index_of("ALPHA-0"), None);
    assert_eq!(dataset.index_of("ALPHA-100000"), None);
    assert_eq!(dataset.index_of("NOPE-1"), None);
    assert_eq!(dataset.index_of("9999"), None);
}

#[test]
fn issues_are_plausible() {
    let dataset = alpha_dataset(2000);
    let mut awkward = 0;
    let mut subtasks = 0;
    let mut unassigned = 0;
    for index in 0..dataset.len() {
        let core = dataset.core(index);
        assert!(core.updated >= core.created);
        if let Some(resolved) = core.resolved {
            assert!(resolved >= core.created && resolved <= core.updated);
            assert_eq!(core.category(), 2);
        }
        if let Some(parent) = core.parent {
            assert!(parent < index);
            assert_eq!(dataset.core(parent).project, core.project);
        }
        if core.issue_type == SUBTASK {
            subtasks += 1;
            assert!(core.parent.is_some());
        }
        unassigned += usize::from(core.assignee.is_none());
        let issue = dataset.issue(index).expect("issue exists");
        let summary = issue["fields"]["summary"].as_str().expect("summary");
        awkward += usize::from(AWKWARD_SUMMARIES.contains(&summary));
    }
    assert!(awkward > 40);
    assert!(subtasks > 100);
    assert!(unassigned > 100);
}

#[test]
fn timestamps_use_jiras_format() {
    assert_eq!(format_datetime(START_MS), "2024-01-01T00:00:00.000+0000");
    assert_eq!(
        format_datetime(START_MS + 65 * DAY_MS + 37_230_123),
        "2024-03-06T10:20:30.123+0000"
    );
    assert_eq!(parse_date("2024-02-29"), Some(START_MS / DAY_MS + 59));
    assert_eq!(parse_date("2023-02-29"), None);
    assert_eq!(format_duration(3600 * 8 * 5 + 3600 * 3 + 1800), "1w 3h 30m");
}

#[test]
fn a_large_dataset_costs_no_memory_up_front() {
    let dataset = alpha_dataset(500_000);
    assert_eq!(dataset.len(), 500_000);
    let last = dataset.issue(499_999).expect("last issue");
    assert_eq!(last["id"], "509999");
    assert!(
        last["fields"]["created"]
            .as_str()
            .expect("created")
            .starts_with("2025-12")
    );
}
