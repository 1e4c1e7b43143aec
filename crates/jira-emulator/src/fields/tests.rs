//! The `fields` parameter's defaults, lists and exclusions per endpoint, and the catalogue's
//! quirks (two fields named Team) that Jira has too.

use super::*;

fn ids(selection: &FieldSelection) -> Vec<&'static str> {
    selection
        .field_indices()
        .iter()
        .map(|&index| FIELDS[index].id)
        .collect()
}

#[test]
fn search_defaults_to_ids_only() {
    let selection = FieldSelection::parse::<&str>(&[], DefaultFields::IdOnly);
    assert!(selection.ids_and_keys_only());
    assert!(!selection.includes_key());
}

#[test]
fn bulkfetch_defaults_to_navigable_fields() {
    let selection = FieldSelection::parse::<&str>(&[], DefaultFields::Navigable);
    assert!(ids(&selection).contains(&"summary"));
    assert!(!ids(&selection).contains(&"timetracking"));
}

#[test]
fn explicit_lists_comma_values_and_exclusions_combine() {
    let selection = FieldSelection::parse(
        &["summary,status", "customfield_10020"],
        DefaultFields::IdOnly,
    );
    assert_eq!(
        ids(&selection),
        vec!["summary", "status", "customfield_10020"]
    );
    assert!(selection.includes_key());

    let all_but = FieldSelection::parse(&["*all", "-description"], DefaultFields::IdOnly);
    assert!(ids(&all_but).contains(&"timetracking"));
    assert!(!ids(&all_but).contains(&"description"));

    let only_exclusion = FieldSelection::parse(&["-summary"], DefaultFields::IdOnly);
    assert!(!ids(&only_exclusion).contains(&"summary"));
    assert!(ids(&only_exclusion).contains(&"status"));
}

#[test]
fn id_and_key_stay_in_the_large_page_class() {
    let selection = FieldSelection::parse(&["id,key"], DefaultFields::IdOnly);
    assert!(selection.ids_and_keys_only());
    assert!(selection.includes_key());
    let unknown = FieldSelection::parse(&["nonsense"], DefaultFields::IdOnly);
    assert!(unknown.ids_and_keys_only());
}

#[test]
fn the_catalogue_has_two_fields_named_team() {
    let teams = FIELDS.iter().filter(|field| field.name == "Team").count();
    assert_eq!(teams, 2);
    let sprint = FIELDS[field_index("customfield_10020").expect("sprint exists")];
    assert_eq!(
        sprint.schema_json(),
        Some(
            json!({"type":"array","items":"json","custom":"com.pyxis.greenhopper.jira:gh-sprint","customId":10020})
        )
    );
}
