use actix_web::http::StatusCode;
use serde_json::json;

use super::gone_picks;
use super::submission::{FormErrors, FormValues, Submission};
use super::view::FormView;
use crate::datasources::domain::{IssueMode, IssueSelection, MAX_FIELDS, MAX_PROJECTS};
use crate::datasources::pages::Catalog;
use crate::datasources::store::DataSource;
use crate::pages::form_body::FormFields;

/// The "Tables" group.
mod tables;

const FORM_ID: &str = "AAAAAAAAAAAAAAAAAAAAAA";
const NOT_UTF8: &str = "This contained characters that could not be read. Enter it again and save.";

/// A urlencoded body of `pairs`, as a browser sends the form.
fn body(pairs: &[(&str, &str)]) -> FormFields {
    let mut encoded = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        encoded.append_pair(name, value);
    }
    FormFields::parse(encoded.finish().as_bytes())
}

/// A create form: `pairs` plus a valid one-time form id.
fn create(pairs: &[(&str, &str)]) -> Submission {
    let mut all = vec![("form_id", FORM_ID)];
    all.extend_from_slice(pairs);
    Submission::parse(&body(&all), true)
}

fn jql_form(name: &str, jql: &str) -> Submission {
    create(&[("name", name), ("issue_mode", "jql"), ("jql", jql)])
}

/// Only `part` has a reason (the others are `None`).
fn only_error(errors: &FormErrors, part: &str) -> String {
    let parts = [
        ("name", &errors.name),
        ("mode", &errors.mode),
        ("jql", &errors.jql),
        ("projects", &errors.projects),
        ("fields", &errors.fields),
        ("tables", &errors.tables),
    ];
    for (name, error) in parts {
        if name != part {
            assert_eq!(error, &None, "{name} has no reason: {errors:?}");
        }
    }
    parts
        .into_iter()
        .find(|(name, _)| *name == part)
        .and_then(|(_, error)| error.clone())
        .unwrap_or_else(|| panic!("{part} has a reason: {errors:?}"))
}

fn catalog() -> Catalog {
    Catalog {
        fields: serde_json::from_value(json!([
            {"id": "summary", "name": "Summary", "custom": false,
             "schema": {"type": "string", "system": "summary"}},
            {"id": "environment", "name": "Environment", "custom": false,
             "schema": {"type": "string", "system": "environment"}},
            {"id": "customfield_2", "name": "team", "custom": true,
             "schema": {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield"}},
            {"id": "customfield_1", "name": "Area", "custom": true,
             "schema": {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield"}},
            {"id": "customfield_3", "name": " ", "custom": true,
             "schema": {"type": "string", "custom": "com.atlassian.jira.plugin.system.customfieldtypes:textfield"}},
        ]))
        .expect("fields"),
        projects: serde_json::from_value(json!([
            {"id": "2", "key": "BETA", "name": "Beta"},
            {"id": "1", "key": "ALPHA", "name": "Alpha"},
        ]))
        .expect("projects"),
    }
}

fn stored(mode: IssueMode, jql: &str, projects: &[&str], fields: &[&str]) -> DataSource {
    DataSource {
        id: 7,
        name: "Sprint report".to_owned(),
        jql: jql.to_owned(),
        mode,
        project_keys: projects.iter().map(|p| (*p).to_owned()).collect(),
        fields: fields.iter().map(|f| (*f).to_owned()).collect(),
        tables: crate::datasources::domain::TableSelection::default(),
        created_at: 0,
        updated_at: 0,
    }
}

/// The edit form's body for `values`, as the browser posts it back unchanged.
fn posted(values: &FormValues) -> FormFields {
    let mut pairs = vec![
        ("name", values.name.as_str()),
        ("issue_mode", values.mode.as_str()),
        ("jql", values.jql.as_str()),
    ];
    pairs.extend(values.projects.iter().map(|p| ("projects", p.as_str())));
    pairs.extend(values.fields.iter().map(|f| ("fields", f.as_str())));
    pairs.extend(values.tables.iter().map(|t| ("tables", t.as_str())));
    body(&pairs)
}

#[test]
fn a_complete_jql_form_becomes_a_definition_with_trimmed_values() {
    let submission = create(&[
        ("name", "  Sprint report "),
        ("issue_mode", "jql"),
        ("jql", " project = ALPHA\n"),
        ("fields", "customfield_1"),
        ("fields", "customfield_1"),
        ("fields", "labels"),
    ]);
    let definition = submission.definition().expect("a definition");
    assert_eq!(definition.name.as_str(), "Sprint report");
    assert_eq!(definition.issues.jql(), "project = ALPHA");
    assert_eq!(definition.fields.as_slice(), ["customfield_1", "labels"]);
    assert_eq!(
        submission
            .form_id()
            .map(crate::tokens::domain::FormId::as_str),
        Some(FORM_ID)
    );
    assert_eq!(submission.jql().as_deref(), Some("project = ALPHA"));
    // What the form shows again is what was typed, not the trimmed value.
    assert_eq!(submission.values.name, "  Sprint report ");
    assert_eq!(submission.values.fields.len(), 3);
}

#[test]
fn picked_projects_become_quoted_jql_without_duplicates() {
    let submission = create(&[
        ("name", "Both"),
        ("issue_mode", "projects"),
        ("projects", "BETA"),
        ("projects", "ALPHA"),
        ("projects", "BETA"),
        ("jql", "ignored in project mode"),
    ]);
    let definition = submission.definition().expect("a definition");
    assert_eq!(
        definition.issues,
        IssueSelection::projects(&["BETA".to_owned(), "ALPHA".to_owned()]).expect("keys")
    );
    assert_eq!(
        submission.jql().as_deref(),
        Some("project in (\"BETA\", \"ALPHA\")")
    );
    assert!(definition.fields.as_slice().is_empty());
}

#[test]
fn without_the_mode_switch_projects_alone_mean_project_mode() {
    let projects = create(&[("name", "P"), ("projects", "ALPHA")]);
    assert_eq!(projects.values.mode, IssueMode::Projects);
    assert!(projects.definition().is_some());

    let both = create(&[("name", "P"), ("projects", "ALPHA"), ("jql", "x = 1")]);
    assert_eq!(both.values.mode, IssueMode::Jql);
    assert_eq!(both.jql().as_deref(), Some("x = 1"));

    let neither = create(&[("name", "P")]);
    assert_eq!(neither.values.mode, IssueMode::Jql);
    assert!(only_error(&neither.errors, "jql").starts_with("Enter a JQL query"));
}

#[test]
fn an_unknown_mode_is_unreadable_and_said_next_to_the_switch() {
    let submission = create(&[("name", "P"), ("issue_mode", "sql"), ("jql", "x = 1")]);
    assert_eq!(
        only_error(&submission.errors, "mode"),
        "Choose whether to pick projects or write JQL."
    );
    assert_eq!(submission.status(), StatusCode::BAD_REQUEST);
    assert!(submission.definition().is_none());
    assert_eq!(submission.jql(), None);
}

#[test]
fn name_reasons_go_next_to_the_name() {
    for (name, reason) in [
        ("", "Enter a name"),
        ("   ", "Enter a name"),
        (&"n".repeat(101), "The name must be at most 100 characters"),
        (
            "Tab\there",
            "The name must not contain control characters such as tabs or line breaks",
        ),
    ] {
        let submission = jql_form(name, "project = ALPHA");
        assert_eq!(only_error(&submission.errors, "name"), reason, "{name:?}");
        assert_eq!(submission.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(submission.definition().is_none());
        assert_eq!(submission.values.name, name, "shown as typed");
    }
    assert!(jql_form(&"é".repeat(100), "x = 1").definition().is_some());
}

#[test]
fn jql_reasons_go_next_to_the_query() {
    for (jql, reason) in [
        (
            " ".to_owned(),
            "Enter a JQL query, for example: project = ABC AND created >= -90d",
        ),
        (
            "a".repeat(10_001),
            "The JQL query must be at most 10,000 characters",
        ),
        (
            "project = A\u{0}".to_owned(),
            "The JQL query contains characters that are not allowed",
        ),
    ] {
        let submission = jql_form("Report", &jql);
        assert_eq!(only_error(&submission.errors, "jql"), reason);
        assert_eq!(submission.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(submission.jql(), None);
    }
    let long = jql_form(
        "Report",
        &format!("x = 1\n\tAND y = 2{}", " ".repeat(9_000)),
    );
    assert!(long.definition().is_some(), "{:?}", long.errors);
}

#[test]
fn project_reasons_go_next_to_the_projects() {
    let too_many: Vec<String> = (0..=MAX_PROJECTS).map(|n| format!("P{n}")).collect();
    let mut many = vec![("name", "R"), ("issue_mode", "projects")];
    many.extend(too_many.iter().map(|key| ("projects", key.as_str())));
    let at_limit = &many[..many.len() - 1];
    for (submission, reason) in [
        (
            create(&[("name", "R"), ("issue_mode", "projects")]),
            "Pick at least one project",
        ),
        (
            create(&[
                ("name", "R"),
                ("issue_mode", "projects"),
                ("projects", "1X"),
            ]),
            "Pick projects from the list; one of them is not a project key",
        ),
        (
            create(&many),
            "Pick at most 100 projects, or write the query as JQL",
        ),
    ] {
        assert_eq!(only_error(&submission.errors, "projects"), reason);
        assert_eq!(submission.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    assert!(create(at_limit).definition().is_some());
}

#[test]
fn field_reasons_go_next_to_the_fields() {
    let ids: Vec<String> = (0..=MAX_FIELDS)
        .map(|n| format!("customfield_{n}"))
        .collect();
    let mut many = vec![("name", "R"), ("jql", "x = 1")];
    many.extend(ids.iter().map(|id| ("fields", id.as_str())));
    let too_many = create(&many);
    assert_eq!(
        only_error(&too_many.errors, "fields"),
        "Pick at most 500 fields"
    );
    assert!(create(&many[..many.len() - 1]).definition().is_some());

    let blank = create(&[("name", "R"), ("jql", "x = 1"), ("fields", "a b")]);
    assert_eq!(
        only_error(&blank.errors, "fields"),
        "Pick fields from the list; one of them is not a Jira field id"
    );
    assert_eq!(blank.values.fields, ["a b"], "shown as typed");
}

#[test]
fn bytes_that_are_not_utf8_are_refused_next_to_their_field_with_400() {
    let form_id = format!("form_id={FORM_ID}");
    for (raw, part) in [
        ("name=%FF&jql=x", "name"),
        ("name=R&issue_mode=jql&jql=%FF", "jql"),
        ("name=R&issue_mode=projects&projects=%FF", "projects"),
        ("name=R&jql=x&fields=%FF", "fields"),
    ] {
        let form = FormFields::parse(format!("{form_id}&{raw}").as_bytes());
        let submission = Submission::parse(&form, true);
        assert_eq!(only_error(&submission.errors, part), NOT_UTF8, "{raw}");
        assert_eq!(submission.status(), StatusCode::BAD_REQUEST, "{raw}");
        assert!(submission.definition().is_none());
    }
    let unreadable_switch = FormFields::parse(b"name=R&issue_mode=%FF&jql=x");
    let submission = Submission::parse(&unreadable_switch, false);
    assert_eq!(
        submission.errors.mode.as_deref(),
        Some("Choose whether to pick projects or write JQL.")
    );
    assert_eq!(submission.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn a_create_form_without_a_usable_form_id_saves_nothing() {
    let stale = "This form was incomplete or out of date, so nothing was saved. Check the values \
                 below and save again.";
    for form_id in [None, Some("short"), Some("AAAAAAAAAAAAAAAAAAAAA!")] {
        let mut pairs = vec![("name", "R"), ("jql", "x = 1")];
        if let Some(id) = form_id {
            pairs.push(("form_id", id));
        }
        let submission = Submission::parse(&body(&pairs), true);
        assert_eq!(
            submission.banner.as_ref().map(|b| b.message.as_str()),
            Some(stale)
        );
        assert_eq!(submission.errors, FormErrors::default());
        assert_eq!(submission.status(), StatusCode::BAD_REQUEST);
        assert!(submission.definition().is_none());
        assert!(submission.form_id().is_none());
        assert_eq!(submission.values.form_id, "");
    }
    // The edit form has no form id.
    let edit = Submission::parse(&body(&[("name", "R"), ("jql", "x = 1")]), false);
    assert!(edit.banner.is_none());
    assert!(edit.definition().is_some());
}

#[test]
fn projects_the_user_cannot_see_and_unknown_fields_are_named_next_to_their_part() {
    let mut submission = create(&[
        ("name", "R"),
        ("issue_mode", "projects"),
        ("projects", "ALPHA"),
        ("projects", "GONE"),
        ("fields", "customfield_1"),
        ("fields", "customfield_9"),
    ]);
    submission.check_against(&catalog());
    assert_eq!(
        submission.errors.projects.as_deref(),
        Some(
            "You cannot see project “GONE” in Jira, or it no longer exists. Pick projects from \
             the list."
        )
    );
    assert_eq!(
        submission.errors.fields.as_deref(),
        Some("Your Jira site has no field “customfield_9”. Pick fields from the list.")
    );
    assert!(submission.definition().is_none());

    let mut fine = create(&[
        ("name", "R"),
        ("issue_mode", "projects"),
        ("projects", "BETA"),
        ("fields", "environment"),
    ]);
    fine.check_against(&catalog());
    assert!(fine.definition().is_some(), "{:?}", fine.errors);
}

#[test]
fn long_lists_of_unknown_ids_name_five_and_count_the_rest() {
    let ids: Vec<String> = (1..=8).map(|n| format!("cf_{n}")).collect();
    let mut pairs = vec![("name", "R"), ("jql", "x = 1")];
    pairs.extend(ids.iter().map(|id| ("fields", id.as_str())));
    let mut submission = create(&pairs);
    submission.check_against(&catalog());
    assert_eq!(
        submission.errors.fields.as_deref(),
        Some(
            "Your Jira site has no fields “cf_1”, “cf_2”, “cf_3”, “cf_4”, “cf_5” and 3 more. \
             Pick fields from the list."
        )
    );
}

#[test]
fn jira_refusing_the_query_is_said_next_to_the_part_that_made_it() {
    let mut typed = jql_form("R", "bogus = 1");
    typed.jql_refused(&["Field 'bogus' does not exist.".to_owned()]);
    assert_eq!(
        only_error(&typed.errors, "jql"),
        "Jira could not run this query: Field 'bogus' does not exist."
    );
    assert!(typed.definition().is_none());

    let mut picked = create(&[("name", "R"), ("projects", "ALPHA")]);
    picked.jql_refused(&[]);
    assert_eq!(
        only_error(&picked.errors, "projects"),
        "Jira could not run this query. Check it and try again."
    );
    assert_eq!(picked.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[test]
fn a_stored_data_source_round_trips_through_its_edit_form() {
    for source in [
        stored(
            IssueMode::Jql,
            "project = ALPHA ORDER BY created",
            &[],
            &["customfield_1", "labels"],
        ),
        stored(
            IssueMode::Projects,
            "project in (\"BETA\", \"ALPHA\")",
            &["BETA", "ALPHA"],
            &[],
        ),
    ] {
        let values = FormValues::from_stored(&source);
        assert_eq!(values.form_id, "", "the edit form has no form id");
        let submission = Submission::parse(&posted(&values), false);
        assert_eq!(submission.values, values);
        let definition = submission.definition().expect("a definition");
        assert_eq!(definition.name.as_str(), source.name);
        assert_eq!(definition.issues.mode(), source.mode);
        assert_eq!(definition.issues.jql(), source.jql);
        assert_eq!(definition.issues.project_keys(), source.project_keys);
        assert_eq!(definition.fields.as_slice(), source.fields);
    }
}

#[test]
fn a_fresh_form_starts_with_projects_and_a_usable_form_id() {
    let fresh = FormValues::fresh().expect("a form id");
    assert_eq!(fresh.mode, IssueMode::Projects);
    assert!(fresh.name.is_empty() && fresh.projects.is_empty() && fresh.fields.is_empty());
    let submission = Submission::parse(
        &body(&[("form_id", &fresh.form_id), ("name", "R"), ("jql", "x = 1")]),
        true,
    );
    assert_eq!(
        submission
            .form_id()
            .map(crate::tokens::domain::FormId::as_str),
        Some(fresh.form_id.as_str())
    );
    assert!(submission.definition().is_some());
}

#[test]
fn the_view_offers_sorted_projects_and_non_standard_fields_with_unique_dom_ids() {
    let mut values = FormValues::from_stored(&stored(
        IssueMode::Projects,
        "project in (\"BETA\")",
        &["BETA"],
        &["customfield_2"],
    ));
    values.fields.push("environment".to_owned());
    let view = FormView::build(values, FormErrors::default(), Some(&catalog()));
    assert!(view.catalog_loaded);
    let projects: Vec<(&str, bool)> = view
        .projects
        .iter()
        .map(|p| (p.key.as_str(), p.checked))
        .collect();
    assert_eq!(projects, [("ALPHA", false), ("BETA", true)]);
    type Options<'a> = Vec<(&'a str, &'a str, bool)>;
    let groups: Vec<(&str, Options)> = view
        .field_groups
        .iter()
        .map(|group| {
            let options = group
                .options
                .iter()
                .map(|o| (o.id.as_str(), o.name.as_str(), o.checked))
                .collect();
            (group.title, options)
        })
        .collect();
    assert_eq!(
        groups,
        [
            (
                "Custom fields",
                vec![
                    ("customfield_1", "Area", false),
                    ("customfield_3", "customfield_3", false),
                    ("customfield_2", "team", true),
                ]
            ),
            (
                "Other Jira fields",
                vec![("environment", "Environment", true)]
            ),
        ],
        "summary is a standard column, not an option"
    );
    let dom_ids: Vec<&str> = view
        .field_groups
        .iter()
        .flat_map(|g| &g.options)
        .map(|o| o.dom_id.as_str())
        .collect();
    assert_eq!(
        dom_ids,
        ["ds-field-1", "ds-field-2", "ds-field-3", "ds-field-4"]
    );
    assert!(
        view.field_groups
            .iter()
            .flat_map(|g| &g.options)
            .all(|o| !o.column.is_empty())
    );
    assert!(view.standard_columns.iter().any(|c| c == "Summary"));
    assert_eq!(view.field_option_count(), 4);
    assert_eq!(view.picked_field_count(), 2);
    assert!(view.is_projects() && !view.is_jql());
}

#[test]
fn without_jira_the_view_shows_only_what_is_picked() {
    let values = FormValues::from_stored(&stored(IssueMode::Jql, "x = 1", &[], &["customfield_1"]));
    let view = FormView::build(values, FormErrors::default(), None);
    assert!(!view.catalog_loaded);
    assert!(view.projects.is_empty());
    assert_eq!(view.field_groups.len(), 1);
    assert_eq!(view.field_groups[0].title, "Picked fields");
    assert_eq!(view.picked_field_count(), 1);
    assert!(view.standard_columns.iter().any(|c| c == "Key"));
    assert!(view.is_jql());
}

#[test]
fn an_input_is_described_by_its_help_then_its_error() {
    let errors = FormErrors {
        name: Some("Enter a name".to_owned()),
        ..FormErrors::default()
    };
    let view = FormView::build(
        FormValues::from_stored(&stored(IssueMode::Jql, "x", &[], &[])),
        errors,
        None,
    );
    assert_eq!(view.described_by("name"), "ds-name-error ds-name-help");
    assert_eq!(view.described_by("jql"), "ds-jql-help");
    assert_eq!(view.described_by("other"), "ds-other-help");
}

#[test]
fn picks_jira_no_longer_offers_are_warned_about_before_saving() {
    let values = FormValues::from_stored(&stored(
        IssueMode::Projects,
        "project in (\"ALPHA\", \"GONE\")",
        &["ALPHA", "GONE"],
        &["customfield_1", "customfield_8"],
    ));
    let banner = gone_picks(&values, &catalog()).expect("a warning");
    assert_eq!(banner.kind, "warning");
    assert_eq!(
        banner.message,
        "Jira no longer offers you project “GONE” and field “customfield_8”. Saving removes \
         them from this data source."
    );
    let jql = FormValues::from_stored(&stored(IssueMode::Jql, "x", &["GONE"], &[]));
    assert!(
        gone_picks(&jql, &catalog()).is_none(),
        "projects only count in project mode"
    );
}
