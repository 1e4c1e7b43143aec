//! The "Tables" group of the form: ticked tables survive a refused form and the edit form, an
//! unknown table is refused next to the group, and no `tables` at all means Issues alone.

use actix_web::http::StatusCode;

use super::{body, catalog, create, only_error, posted, stored};
use crate::datasources::domain::{ExtraTable, IssueMode, TableSelection};
use crate::datasources::pages::form::submission::{FormErrors, FormValues, Submission};
use crate::datasources::pages::form::view::FormView;

/// The names of the ticked table checkboxes, in the order the form shows them.
fn ticked(view: &FormView) -> Vec<&'static str> {
    view.tables
        .iter()
        .filter(|t| t.checked)
        .map(|t| t.name)
        .collect()
}

#[test]
fn the_group_offers_every_extra_table_with_its_description_after_issues() {
    let view = FormView::build(
        FormValues::fresh().expect("a form id"),
        FormErrors::default(),
        Some(&catalog()),
    );
    assert_eq!(view.issues_table.0, "Issues");
    assert!(!view.issues_table.1.is_empty());
    let offered: Vec<(&str, &str)> = view
        .tables
        .iter()
        .map(|t| (t.name, t.description))
        .collect();
    let expected: Vec<(&str, &str)> = ExtraTable::ALL
        .iter()
        .map(|t| (t.as_str(), t.description()))
        .collect();
    assert_eq!(offered, expected);
    assert!(
        ticked(&view).is_empty(),
        "a new data source starts with Issues alone"
    );
    assert_eq!(view.described_by("tables"), "ds-tables-help");
    assert_eq!(
        view.table_described_by("Worklogs"),
        "ds-table-Worklogs-help"
    );
}

#[test]
fn ticked_tables_come_back_ticked_when_the_form_is_refused() {
    let refused = create(&[
        ("name", ""),
        ("issue_mode", "jql"),
        ("jql", "project = ALPHA"),
        ("tables", "Worklogs"),
        ("tables", "IssueChanges"),
    ]);
    assert!(refused.definition().is_none());
    assert_eq!(only_error(&refused.errors, "name"), "Enter a name");
    let view = FormView::build(refused.values, refused.errors, Some(&catalog()));
    assert_eq!(ticked(&view), ["IssueChanges", "Worklogs"]);
}

#[test]
fn stored_tables_open_ticked_in_the_edit_form_and_are_kept_on_save() {
    let mut source = stored(IssueMode::Jql, "project = ALPHA", &[], &["labels"]);
    source.tables = TableSelection::parse(&["StatusPeriods", "Sprints", "IssueLinks"]).unwrap();
    let values = FormValues::from_stored(&source);
    let view = FormView::build(values.clone(), FormErrors::default(), Some(&catalog()));
    assert_eq!(ticked(&view), ["StatusPeriods", "Sprints", "IssueLinks"]);

    let saved = Submission::parse(&posted(&values), false);
    let definition = saved.definition().expect("a definition");
    assert_eq!(definition.tables, source.tables);
}

#[test]
fn an_unknown_table_is_refused_next_to_the_group_with_422() {
    let submission = create(&[
        ("name", "Report"),
        ("issue_mode", "jql"),
        ("jql", "project = ALPHA"),
        ("tables", "Worklogs"),
        ("tables", "Passwords"),
    ]);
    assert!(submission.definition().is_none());
    assert_eq!(
        only_error(&submission.errors, "tables"),
        "Pick tables from the list; one of them is not a table"
    );
    assert_eq!(submission.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let view = FormView::build(submission.values, submission.errors, Some(&catalog()));
    assert_eq!(ticked(&view), ["Worklogs"], "the real table stays ticked");
    assert_eq!(
        view.described_by("tables"),
        "ds-tables-error ds-tables-help"
    );
    assert_eq!(
        view.table_described_by("Worklogs"),
        "ds-tables-error ds-table-Worklogs-help"
    );
}

#[test]
fn issues_cannot_be_posted_as_an_extra_table() {
    let submission = create(&[("name", "R"), ("jql", "x = 1"), ("tables", "Issues")]);
    assert!(only_error(&submission.errors, "tables").contains("not a table"));
}

#[test]
fn a_hand_made_post_without_tables_exports_issues_alone() {
    let submission = Submission::parse(
        &body(&[
            ("form_id", super::FORM_ID),
            ("name", "Scripted"),
            ("jql", "project = ALPHA"),
        ]),
        true,
    );
    let definition = submission.definition().expect("a definition");
    assert_eq!(definition.tables, TableSelection::default());
    assert!(definition.tables.as_slice().is_empty());
}
