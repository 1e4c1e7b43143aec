use serde_json::json;
use time::macros::{date, datetime};

use super::*;
use jira_emulator::testing::{field_catalogue, site_data};
use jira_emulator::{Dataset, DatasetConfig};

fn emulator_fields() -> Vec<JiraField> {
    serde_json::from_value(field_catalogue()).expect("the catalogue parses as JiraField")
}

fn dataset(issues: usize) -> Dataset {
    site_data(
        0,
        "http://127.0.0.1:9001",
        &DatasetConfig { issues, seed: 42 },
    )
    .dataset
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|id| (*id).to_owned()).collect()
}

fn field(id: &str, name: &str, custom: Option<(&str, &str)>, kind: &str) -> JiraField {
    serde_json::from_value(json!({
        "id": id,
        "name": name,
        "custom": custom.is_some(),
        "schema": match custom {
            Some((plugin, _)) => json!({"type": kind, "custom": plugin, "customId": 1}),
            None => json!({"type": kind, "system": id}),
        }
    }))
    .expect("a field")
}

const FIXED: &[&str] = &[
    "Id",
    "Key",
    "Summary",
    "ProjectKey",
    "ProjectName",
    "IssueType",
    "Status",
    "StatusCategory",
    "Priority",
    "Resolution",
    "Assignee",
    "AssigneeAccountId",
    "Reporter",
    "ReporterAccountId",
    "Created",
    "Updated",
    "Resolved",
    "DueDate",
    "Labels",
    "Components",
    "FixVersions",
    "Sprint",
    "ParentKey",
    "StoryPoints",
    "OriginalEstimateSeconds",
    "TimeSpentSeconds",
    "RemainingEstimateSeconds",
];

fn names(set: &ColumnSet) -> Vec<&str> {
    set.columns().iter().map(Column::name).collect()
}

#[test]
fn fixed_columns_come_first_in_a_stable_order_with_precise_types() {
    let set = ColumnSet::build(&emulator_fields(), &[]);
    assert_eq!(names(&set), FIXED);
    let type_of = |name: &str| set.column(name).expect(name).edm_type();
    assert_eq!(type_of("Id"), EdmType::String);
    assert_eq!(type_of("Created"), EdmType::DateTimeOffset);
    assert_eq!(type_of("Resolved"), EdmType::DateTimeOffset);
    assert_eq!(type_of("DueDate"), EdmType::Date);
    assert_eq!(type_of("StoryPoints"), EdmType::Double);
    assert_eq!(type_of("TimeSpentSeconds"), EdmType::Int64);
    assert!(!set.column("Id").expect("Id").nullable());
    assert!(!set.column("Key").expect("Key").nullable());
    assert!(set.column("Resolved").expect("Resolved").nullable());
}

#[test]
fn selected_fields_get_friendly_unique_names_in_site_order() {
    let selected = ids(&[
        "customfield_10037",
        "customfield_10036",
        "customfield_10035",
        "customfield_10034",
        "customfield_10033",
        "customfield_10032",
        "customfield_10031",
        "customfield_10030",
        "description",
        "summary",
        "customfield_10020",
        "customfield_10016",
        "customfield_99999",
        "customfield_10030",
    ]);
    let set = ColumnSet::build(&emulator_fields(), &selected);
    let extra: Vec<&str> = names(&set)[FIXED.len()..].to_vec();
    assert_eq!(
        extra,
        [
            "Description",
            "Severity",
            "Platforms",
            "Reviewers",
            "CustomerReference",
            "TargetDate",
            "Team_customfield_10035",
            "Team_customfield_10036",
            "Tags",
        ]
    );
    assert_eq!(
        set.column("TargetDate").map(Column::edm_type),
        Some(EdmType::Date)
    );
    assert_eq!(
        set.column("Severity").and_then(Column::field_id),
        Some("customfield_10030")
    );
}

#[test]
fn collision_suffixes_do_not_depend_on_what_else_is_selected() {
    let only_one = ColumnSet::build(&emulator_fields(), &ids(&["customfield_10036"]));
    assert_eq!(
        names(&only_one).last().copied(),
        Some("Team_customfield_10036")
    );
}

#[test]
fn a_custom_field_named_like_a_fixed_column_is_disambiguated_with_its_id() {
    let mut fields = emulator_fields();
    fields.push(field(
        "customfield_20000",
        "Status",
        Some((
            "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
            "",
        )),
        "string",
    ));
    fields.push(field(
        "customfield_20001",
        "status",
        Some((
            "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
            "",
        )),
        "string",
    ));
    let set = ColumnSet::build(&fields, &ids(&["customfield_20001", "customfield_20000"]));
    assert_eq!(
        names(&set)[FIXED.len()..],
        ["Status_customfield_20000", "Status_customfield_20001"]
    );
}

#[test]
fn names_are_valid_odata_identifiers() {
    assert_eq!(friendly_name("Story Points", "x"), "StoryPoints");
    assert_eq!(
        friendly_name("customer  reference", "x"),
        "CustomerReference"
    );
    assert_eq!(friendly_name("Team[Dropdown]", "x"), "TeamDropdown");
    assert_eq!(friendly_name("3D model", "x"), "_3DModel");
    assert_eq!(friendly_name("Équipe données", "x"), "ÉquipeDonnées");
    assert_eq!(friendly_name("% done (est.)", "x"), "DoneEst");
    assert_eq!(friendly_name("!!!", "customfield_1"), "customfield_1");
    assert_eq!(friendly_name("", "a.b-c"), "a_b_c");
    assert_eq!(
        friendly_name("x".repeat(300).as_str(), "f").chars().count(),
        128
    );
    let valid = |name: &str| {
        let mut chars = name.chars();
        chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
            && chars.all(|c| c.is_alphabetic() || c.is_ascii_digit() || c == '_')
    };
    let all = ColumnSet::build(
        &emulator_fields(),
        &emulator_fields()
            .iter()
            .map(|f| f.id.clone())
            .collect::<Vec<_>>(),
    );
    for column in all.columns() {
        assert!(valid(column.name()), "{}", column.name());
    }
    let unique: HashSet<String> = all
        .columns()
        .iter()
        .map(|c| c.name().to_lowercase())
        .collect();
    assert_eq!(unique.len(), all.len());
}

#[test]
fn sprint_and_story_points_are_found_by_schema_not_by_name() {
    let fields = vec![
        field(
            "customfield_1",
            "스프린트",
            Some(("com.pyxis.greenhopper.jira:gh-sprint", "")),
            "array",
        ),
        field(
            "customfield_2",
            "Story Points",
            Some((
                "com.atlassian.jira.plugin.system.customfieldtypes:float",
                "",
            )),
            "number",
        ),
        field(
            "customfield_3",
            "Schätzung",
            Some(("com.pyxis.greenhopper.jira:jsw-story-points", "")),
            "number",
        ),
    ];
    let set = ColumnSet::build(&fields, &ids(&["customfield_1", "customfield_2"]));
    assert_eq!(
        set.column("Sprint").and_then(Column::field_id),
        Some("customfield_1")
    );
    assert_eq!(
        set.column("StoryPoints").and_then(Column::field_id),
        Some("customfield_3")
    );
    // The float named "Story Points" is then an ordinary selected field.
    assert_eq!(names(&set)[FIXED.len()..], ["StoryPoints_customfield_2"]);
}

#[test]
fn the_emulators_story_points_number_field_is_the_fallback() {
    let set = ColumnSet::build(&emulator_fields(), &[]);
    assert_eq!(
        set.column("StoryPoints").and_then(Column::field_id),
        Some("customfield_10016")
    );
    assert_eq!(
        set.column("Sprint").and_then(Column::field_id),
        Some("customfield_10020")
    );
}

#[test]
fn a_site_without_sprints_still_has_an_always_null_sprint_column() {
    let set = ColumnSet::build(&[], &[]);
    assert_eq!(names(&set), FIXED);
    assert!(set.column("Sprint").and_then(Column::field_id).is_none());
    let row = set
        .row(&json!({"id": "1", "key": "A-1", "fields": {"customfield_10020": [{"name": "S"}]}}));
    assert_eq!(
        row[set.index_of("Sprint").expect("Sprint")],
        CellValue::Null
    );
    assert!(!set.jira_fields().iter().any(std::string::String::is_empty));
}

#[test]
fn jira_fields_lists_each_needed_field_once() {
    let set = ColumnSet::build(&emulator_fields(), &ids(&["customfield_10030"]));
    let fields = set.jira_fields();
    for expected in [
        "summary",
        "project",
        "status",
        "assignee",
        "resolutiondate",
        "customfield_10020",
        "customfield_10016",
        "timespent",
        "customfield_10030",
    ] {
        assert!(fields.iter().any(|f| f == expected), "{expected}");
    }
    let unique: HashSet<&String> = fields.iter().collect();
    assert_eq!(unique.len(), fields.len());
    let select = set.subset(&["Key", "Created"]).expect("known columns");
    assert_eq!(select.jira_fields(), ["created"]);
}

#[test]
fn subset_keeps_the_requested_order_and_rejects_unknown_names() {
    let set = ColumnSet::build(&emulator_fields(), &[]);
    let subset = set.subset(&["Summary", "Key", "Summary"]).expect("known");
    assert_eq!(names(&subset), ["Summary", "Key"]);
    assert_eq!(set.subset(&["Nope"]), Err(UnknownColumn("Nope".to_owned())));
    // Names are case-sensitive, as OData identifiers are.
    assert!(set.subset(&["key"]).is_err());
    let widened = subset.with(&[set.column("Updated").expect("Updated")]);
    assert_eq!(names(&widened), ["Summary", "Key", "Updated"]);
}

#[test]
fn jira_timestamps_become_iso_8601_in_utc() {
    let parse = |text: &str| parse_jira_datetime(text).map(format_instant);
    assert_eq!(
        parse("2023-06-24T19:24:50.000+0000").as_deref(),
        Some("2023-06-24T19:24:50Z")
    );
    assert_eq!(
        parse("2023-06-24T19:24:50.123+0000").as_deref(),
        Some("2023-06-24T19:24:50.123Z")
    );
    assert_eq!(
        parse("2023-06-24T21:24:50.000+0200").as_deref(),
        Some("2023-06-24T19:24:50Z")
    );
    assert_eq!(
        parse("2023-06-24T19:24:50-05:30").as_deref(),
        Some("2023-06-25T00:54:50Z")
    );
    assert_eq!(
        parse("2023-06-24T19:24:50Z").as_deref(),
        Some("2023-06-24T19:24:50Z")
    );
    assert_eq!(
        parse("2023-06-24T19:24Z").as_deref(),
        Some("2023-06-24T19:24:00Z")
    );
    for bad in [
        "",
        "2023-06-24",
        "2023-13-24T19:24:50.000+0000",
        "2023-06-24T25:24:50.000+0000",
        "2023-06-24T19:24:50.+0000",
        "2023-06-24T19:24:50.000+00",
        "2023-06-24T19:24:50.000",
        "yesterday",
    ] {
        assert_eq!(parse_jira_datetime(bad), None, "{bad:?}");
    }
    assert_eq!(
        parse_jira_datetime("2024-02-29T00:00:00.000+0000"),
        Some(datetime!(2024-02-29 00:00 UTC))
    );
}

#[test]
fn dates_parse_strictly() {
    assert_eq!(parse_date("2024-02-29"), Some(date!(2024 - 02 - 29)));
    for bad in [
        "2023-02-29",
        "2024-2-29",
        "2024/02/29",
        "20240229",
        "2024-02-2x",
    ] {
        assert_eq!(parse_date(bad), None, "{bad:?}");
    }
    assert_eq!(format_date(date!(2024 - 01 - 05)), "2024-01-05");
}

#[test]
fn cells_render_as_odata_json_and_as_text() {
    let at = CellValue::DateTimeOffset(datetime!(2024-01-02 03:04:05.006 +01:00));
    assert_eq!(at.to_text(), "2024-01-02T02:04:05.006Z");
    assert_eq!(at.to_json(), json!("2024-01-02T02:04:05.006Z"));
    assert_eq!(
        CellValue::Date(date!(2024 - 01 - 02)).to_json(),
        json!("2024-01-02")
    );
    assert_eq!(CellValue::Double(3.0).to_json(), json!(3.0));
    assert_eq!(CellValue::Double(3.0).to_text(), "3.0");
    assert_eq!(CellValue::Double(0.5).to_text(), "0.5");
    assert_eq!(CellValue::Double(f64::NAN).to_json(), Value::Null);
    assert_eq!(CellValue::Int64(12_000).to_json(), json!(12_000));
    assert_eq!(CellValue::Boolean(true).to_text(), "true");
    assert_eq!(CellValue::Null.to_text(), "");
    assert_eq!(CellValue::Null.to_json(), Value::Null);
}

/// Reads what the row should hold straight from the emulator's ground truth JSON.
fn expected_row(issue: &Value) -> HashMap<&'static str, CellValue> {
    let f = &issue["fields"];
    let s = |v: &Value| {
        v.as_str()
            .map_or(CellValue::Null, |t| CellValue::String(t.to_owned()))
    };
    let dt = |v: &Value| {
        v.as_str().map_or(CellValue::Null, |t| {
            CellValue::DateTimeOffset(parse_jira_datetime(t).expect("a Jira timestamp"))
        })
    };
    let joined = |v: &Value, key: Option<&str>| {
        let items: Vec<String> = v
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|item| match key {
                        Some(key) => item[key].as_str().expect("named").to_owned(),
                        None => item.as_str().expect("text").to_owned(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        if items.is_empty() {
            CellValue::Null
        } else {
            CellValue::String(items.join("; "))
        }
    };
    let int = |v: &Value| v.as_i64().map_or(CellValue::Null, CellValue::Int64);
    HashMap::from([
        ("Id", s(&issue["id"])),
        ("Key", s(&issue["key"])),
        ("Summary", s(&f["summary"])),
        ("ProjectKey", s(&f["project"]["key"])),
        ("ProjectName", s(&f["project"]["name"])),
        ("IssueType", s(&f["issuetype"]["name"])),
        ("Status", s(&f["status"]["name"])),
        ("StatusCategory", s(&f["status"]["statusCategory"]["name"])),
        ("Priority", s(&f["priority"]["name"])),
        ("Resolution", s(&f["resolution"]["name"])),
        ("Assignee", s(&f["assignee"]["displayName"])),
        ("AssigneeAccountId", s(&f["assignee"]["accountId"])),
        ("Reporter", s(&f["reporter"]["displayName"])),
        ("ReporterAccountId", s(&f["reporter"]["accountId"])),
        ("Created", dt(&f["created"])),
        ("Updated", dt(&f["updated"])),
        ("Resolved", dt(&f["resolutiondate"])),
        (
            "DueDate",
            f["duedate"].as_str().map_or(CellValue::Null, |d| {
                CellValue::Date(parse_date(d).expect("a date"))
            }),
        ),
        ("Labels", joined(&f["labels"], None)),
        ("Components", joined(&f["components"], Some("name"))),
        ("FixVersions", joined(&f["fixVersions"], Some("name"))),
        ("Sprint", joined(&f["customfield_10020"], Some("name"))),
        ("ParentKey", s(&f["parent"]["key"])),
        (
            "StoryPoints",
            f["customfield_10016"]
                .as_f64()
                .map_or(CellValue::Null, CellValue::Double),
        ),
        ("OriginalEstimateSeconds", int(&f["timeoriginalestimate"])),
        ("TimeSpentSeconds", int(&f["timespent"])),
        ("RemainingEstimateSeconds", int(&f["timeestimate"])),
        ("Severity", s(&f["customfield_10030"]["value"])),
        ("Platforms", joined(&f["customfield_10031"], Some("value"))),
        (
            "Reviewers",
            joined(&f["customfield_10032"], Some("displayName")),
        ),
        ("CustomerReference", s(&f["customfield_10033"])),
        (
            "TargetDate",
            f["customfield_10034"]
                .as_str()
                .map_or(CellValue::Null, |d| {
                    CellValue::Date(parse_date(d).expect("a date"))
                }),
        ),
        (
            "Team_customfield_10035",
            s(&f["customfield_10035"]["value"]),
        ),
        ("Team_customfield_10036", s(&f["customfield_10036"])),
        ("Tags", joined(&f["customfield_10037"], None)),
    ])
}

#[test]
fn rows_match_the_emulator_ground_truth_field_by_field() {
    let data = dataset(800);
    let selected = ids(&[
        "customfield_10030",
        "customfield_10031",
        "customfield_10032",
        "customfield_10033",
        "customfield_10034",
        "customfield_10035",
        "customfield_10036",
        "customfield_10037",
    ]);
    let set = ColumnSet::build(&emulator_fields(), &selected);
    let mut nulls = HashMap::<&str, usize>::new();
    let mut multi = 0;
    for index in 0..data.len() {
        let issue = data.issue(index).expect("an issue");
        let expected = expected_row(&issue);
        let row = set.row(&issue);
        assert_eq!(row.len(), set.len());
        for (column, cell) in set.columns().iter().zip(&row) {
            let want = expected
                .get(column.name())
                .unwrap_or_else(|| panic!("no expectation for {}", column.name()));
            assert_eq!(cell, want, "issue {index}, column {}", column.name());
            if cell.is_null() {
                *nulls.entry(column.name()).or_default() += 1;
            }
            if let CellValue::String(text) = cell
                && text.contains("; ")
                && column.name() != "Summary"
            {
                multi += 1;
            }
        }
    }
    // The data set exercises empty values and multi-value fields, so the comparison means something.
    for column in [
        "Resolved",
        "Assignee",
        "DueDate",
        "Sprint",
        "StoryPoints",
        "Tags",
        "Labels",
    ] {
        assert!(
            nulls.get(column).copied().unwrap_or(0) > 0,
            "{column} is never empty"
        );
        assert!(
            nulls.get(column).copied().unwrap_or(0) < data.len(),
            "{column} always empty"
        );
    }
    assert!(multi > 0);
}

#[test]
fn timestamps_of_the_emulator_keep_their_milliseconds() {
    let data = dataset(50);
    let set = ColumnSet::build(&emulator_fields(), &[]);
    let created = set.index_of("Created").expect("Created");
    for index in 0..data.len() {
        let issue = data.issue(index).expect("issue");
        let raw = issue["fields"]["created"].as_str().expect("created");
        let text = set.row(&issue)[created].to_text();
        // 2024-01-01T10:00:00.123+0000 → 2024-01-01T10:00:00.123Z (or no fraction at .000).
        let expected = raw.replace("+0000", "Z").replace(".000Z", "Z");
        assert_eq!(text, expected);
    }
}

#[test]
fn legacy_sprint_strings_and_missing_values() {
    let mut fields = emulator_fields();
    fields.retain(|f| f.id != "customfield_10020");
    fields.push(field(
        "customfield_10020",
        "Sprint",
        Some(("com.pyxis.greenhopper.jira:gh-sprint", "")),
        "array",
    ));
    let set = ColumnSet::build(&fields, &[]);
    let sprint = set.index_of("Sprint").expect("Sprint");
    let row = set.row(&json!({
        "id": 10001,
        "key": "X-1",
        "fields": {
            "customfield_10020": [
                "com.atlassian.greenhopper.service.sprint.Sprint@1a[id=1,rapidViewId=2,state=CLOSED,name=Sprint 1, part A,startDate=2020]",
                "com.atlassian.greenhopper.service.sprint.Sprint@1b[id=2,name=Sprint 2]",
                {"id": 3, "name": "Sprint 3"}
            ]
        }
    }));
    assert_eq!(
        row[sprint],
        CellValue::String("Sprint 1, part A; Sprint 2; Sprint 3".to_owned())
    );
    assert_eq!(row[0], CellValue::String("10001".to_owned()));
    // No `fields` at all: every field column is null, the key and id are still there.
    let bare = set.row(&json!({"id": "5", "key": "X-5"}));
    assert_eq!(bare.iter().filter(|c| !c.is_null()).count(), 2);
}

#[test]
fn other_shapes_flatten_to_readable_text() {
    let fields = vec![
        field("description", "Description", None, "string"),
        field(
            "customfield_1",
            "Region",
            Some((
                "com.atlassian.jira.plugin.system.customfieldtypes:cascadingselect",
                "",
            )),
            "option-with-child",
        ),
        field("votes", "Votes", None, "votes"),
        field("creator", "Creator", None, "user"),
        field("issuelinks", "Linked Issues", None, "array"),
        field(
            "customfield_2",
            "Approved",
            Some(("vendor:flag", "")),
            "boolean",
        ),
    ];
    let set = ColumnSet::build(
        &fields,
        &ids(&[
            "description",
            "customfield_1",
            "votes",
            "creator",
            "issuelinks",
            "customfield_2",
        ]),
    );
    let row = set.row(&json!({
        "id": "1", "key": "A-1",
        "fields": {
            "description": {"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "Hello"}, {"type": "hardBreak"}, {"type": "text", "text": "world"}]},
                {"type": "paragraph", "content": [{"type": "mention", "attrs": {"text": "@Ann"}}]}
            ]},
            "customfield_1": {"value": "EMEA", "child": {"value": "France"}},
            "votes": {"votes": 3, "hasVoted": false},
            "creator": {"displayName": "Ann", "accountId": "a"},
            "issuelinks": [{"outwardIssue": {"key": "A-2"}}, {"inwardIssue": {"key": "A-3"}}],
            "customfield_2": true
        }
    }));
    let cell = |name: &str| row[set.index_of(name).expect(name)].clone();
    assert_eq!(
        cell("Description"),
        CellValue::String("Hello\nworld\n@Ann".into())
    );
    assert_eq!(cell("Region"), CellValue::String("EMEA - France".into()));
    assert_eq!(cell("Votes"), CellValue::Int64(3));
    assert_eq!(cell("Creator"), CellValue::String("Ann".into()));
    assert_eq!(cell("LinkedIssues"), CellValue::String("A-2; A-3".into()));
    assert_eq!(cell("Approved"), CellValue::Boolean(true));
    assert_eq!(
        set.column("Approved").map(Column::edm_type),
        Some(EdmType::Boolean)
    );
}
