//! Boards, sprints, project versions and issue links over HTTP: shapes against the Jira Software
//! and platform OpenAPI documents (sprints, which the agile spec gives no response schema, against
//! its `SprintBean` with the documented required fields), paging to the end, hidden projects, and
//! the fault knobs of these endpoints.

use std::collections::HashSet;
use std::sync::OnceLock;

use jira_emulator::testing::site_data;
use jira_emulator::{DatasetConfig, EmulatorConfig, FaultConfig, SiteInfo, UserInfo};
use serde_json::{Map, Value, json};

use super::conformance::{assert_conforms, components, convert_nullable, schema, validator};
use super::{get, post, start_with};

const SOFTWARE_SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/jira-software-openapi.json"
);
const ISSUES: usize = 600;

fn software_spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let text = std::fs::read_to_string(SOFTWARE_SPEC_PATH).unwrap_or_else(|error| {
            panic!("read the Jira Software OpenAPI spec at {SOFTWARE_SPEC_PATH}: {error}")
        });
        let mut spec: Value = serde_json::from_str(&text).expect("the spec is JSON");
        convert_nullable(&mut spec);
        spec
    })
}

/// A validator for `schema` resolved against the Jira Software spec's components.
fn software_validator(schema: Value) -> jsonschema::Validator {
    let mut root = Map::new();
    root.insert("components".into(), software_spec()["components"].clone());
    if let Value::Object(schema) = schema {
        root.extend(schema);
    }
    jsonschema::validator_for(&Value::Object(root)).expect("the schema compiles")
}

/// The 200 schema the software spec gives `GET path` inline.
fn software_response(path: &str) -> jsonschema::Validator {
    software_validator(
        software_spec()["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]
            .clone(),
    )
}

/// `SprintBean` with the fields the agile note documents as always present.
fn sprint_schema() -> Value {
    json!({"allOf": [{"$ref": "#/components/schemas/SprintBean"}], "required": ["id", "state", "name"]})
}

fn sprint_page_schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["isLast", "maxResults", "startAt", "values"],
        "properties": {
            "isLast": {"type": "boolean"},
            "maxResults": {"type": "integer"},
            "startAt": {"type": "integer"},
            "total": {"type": "integer"},
            "values": {"type": "array", "items": sprint_schema()},
        },
    })
}

async fn start() -> jira_emulator::Emulator {
    start_with(EmulatorConfig {
        dataset: DatasetConfig {
            issues: ISSUES,
            seed: 1,
        },
        ..EmulatorConfig::default()
    })
    .await
}

fn truth(site: &SiteInfo) -> jira_emulator::testing::SiteData {
    site_data(
        0,
        &site.base_url,
        &DatasetConfig {
            issues: ISSUES,
            seed: 1,
        },
    )
}

async fn fetch(site: &SiteInfo, path: &str, user: &UserInfo) -> (u16, Value) {
    let response = get(&site.base_url, path, user)
        .send()
        .await
        .expect("answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Follows `startAt` until `isLast`, returning every value and the page sizes served.
async fn walk(site: &SiteInfo, path: &str, user: &UserInfo, max: usize) -> (Vec<Value>, Vec<u64>) {
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut values = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let url = format!("{path}{separator}startAt={}&maxResults={max}", values.len());
        let (status, page) = fetch(site, &url, user).await;
        assert_eq!(status, 200, "{url}: {page}");
        sizes.push(page["maxResults"].as_u64().expect("maxResults"));
        let items = page["values"].as_array().expect("values");
        values.extend(items.iter().cloned());
        if page["isLast"] == json!(true) {
            return (values, sizes);
        }
        assert!(!items.is_empty(), "an empty page that is not the last");
        assert!(sizes.len() < 1_000, "paging does not end");
    }
}

#[tokio::test]
async fn agile_version_and_link_responses_conform_to_the_specs() {
    let emulator = start().await;
    let site = &emulator.sites()[0];
    let alice = &site.users[0];

    let (_, boards) = fetch(site, "/rest/agile/1.0/board?maxResults=2", alice).await;
    assert_conforms(
        &software_response("/rest/agile/1.0/board"),
        "board list",
        &boards,
    );
    let (_, board) = fetch(site, "/rest/agile/1.0/board/1", alice).await;
    assert_conforms(
        &software_response("/rest/agile/1.0/board/{boardId}"),
        "board",
        &board,
    );
    let sprint_page = software_validator(sprint_page_schema());
    for state in ["closed", "active", "future", "active,future"] {
        let (status, sprints) = fetch(
            site,
            &format!("/rest/agile/1.0/board/5/sprint?state={state}"),
            alice,
        )
        .await;
        assert_eq!(status, 200);
        assert_conforms(&sprint_page, "board sprints", &sprints);
        assert!(sprints.get("total").is_none(), "Jira Cloud sends no total");
    }
    let sprint = software_validator(sprint_schema());
    for id in [101, 153, 154, 155, 552] {
        let (status, body) = fetch(site, &format!("/rest/agile/1.0/sprint/{id}"), alice).await;
        assert_eq!(status, 200, "sprint {id}");
        assert_conforms(&sprint, "sprint", &body);
    }
    let search_results = software_validator(json!({"$ref": "#/components/schemas/SearchResults"}));
    let (_, issues) = fetch(
        site,
        "/rest/agile/1.0/sprint/110/issue?maxResults=5&expand=names,schema",
        alice,
    )
    .await;
    assert!(!issues["issues"].as_array().expect("issues").is_empty());
    assert_conforms(&search_results, "sprint issues", &issues);

    let (_, versions) = fetch(
        site,
        "/rest/api/3/project/ALPHA/version?maxResults=20",
        alice,
    )
    .await;
    assert_conforms(&schema("PageBeanVersion"), "project versions", &versions);
    let (_, all) = fetch(site, "/rest/api/3/project/10001/versions", alice).await;
    let version_list =
        validator(json!({"type": "array", "items": {"$ref": "#/components/schemas/Version"}}));
    assert_conforms(&version_list, "project versions (unpaged)", &all);
    let (_, link_types) = fetch(site, "/rest/api/3/issueLinkType", alice).await;
    assert_conforms(&schema("IssueLinkTypes"), "issueLinkType", &link_types);

    // Issues' links and versions, field by field: a link on an issue names one side only, so
    // `IssueLink` is checked without its `required` list.
    let ids: Vec<String> = (10_000..10_100).map(|id| id.to_string()).collect();
    let response = post(
        &site.base_url,
        "/rest/api/3/issue/bulkfetch",
        alice,
        &json!({"issueIdsOrKeys": ids, "fields": ["issuelinks", "fixVersions", "versions"]}),
    )
    .send()
    .await
    .expect("answers");
    let bulk: Value = response.json().await.expect("JSON");
    let mut one_sided = components()["schemas"]["IssueLink"].clone();
    one_sided["required"] = json!(["id", "self", "type"]);
    one_sided["oneOf"] = json!([{"required": ["inwardIssue"]}, {"required": ["outwardIssue"]}]);
    let link = validator(one_sided);
    let embedded_version = schema("Version");
    let (mut links, mut fix_versions) = (0, 0);
    for issue in bulk["issues"].as_array().expect("issues") {
        for entry in issue["fields"]["issuelinks"]
            .as_array()
            .expect("issuelinks")
        {
            assert_conforms(&link, "issuelinks entry", entry);
            links += 1;
        }
        for field in ["fixVersions", "versions"] {
            for entry in issue["fields"][field].as_array().expect("versions") {
                assert_conforms(&embedded_version, field, entry);
                fix_versions += 1;
            }
        }
    }
    assert!(
        links > 20 && fix_versions > 20,
        "{links} links, {fix_versions} versions"
    );

    // Sanity: the sprint validator refuses what the field shape has and the agile shape has not.
    let mut tampered = sprint_schema_instance(site, 101).await;
    tampered["boardId"] = json!(1);
    assert!(!sprint.is_valid(&tampered));
}

async fn sprint_schema_instance(site: &SiteInfo, id: u64) -> Value {
    fetch(
        site,
        &format!("/rest/agile/1.0/sprint/{id}"),
        &site.users[0],
    )
    .await
    .1
}

#[tokio::test]
async fn paging_boards_sprints_versions_and_sprint_issues_returns_every_item_once() {
    let emulator = start().await;
    let site = &emulator.sites()[0];
    let alice = &site.users[0];
    let truth = truth(site);

    let (boards, sizes) = walk(site, "/rest/agile/1.0/board", alice, 2).await;
    assert!(sizes.iter().all(|&size| size == 2));
    let ids: Vec<u64> = boards
        .iter()
        .map(|board| board["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);

    // maxResults is capped at 50 on sprint lists, and read back from the response.
    let (sprints, sizes) = walk(site, "/rest/agile/1.0/board/1/sprint", alice, 500).await;
    assert!(sizes.iter().all(|&size| size == 50), "{sizes:?}");
    let expected: Vec<Value> = truth
        .sprints()
        .iter()
        .filter(|sprint| sprint.board.id == 1)
        .map(|sprint| truth.sprint(sprint.id()).expect("sprint"))
        .collect();
    assert_eq!(sprints, expected);
    let states: Vec<&str> = sprints
        .iter()
        .map(|sprint| sprint["state"].as_str().unwrap())
        .collect();
    assert!(states.is_sorted_by_key(|state| {
        ["closed", "active", "future"]
            .iter()
            .position(|known| known == state)
    }));
    let (closed, _) = walk(
        site,
        "/rest/agile/1.0/board/1/sprint?state=closed",
        alice,
        50,
    )
    .await;
    assert!(closed.iter().all(|sprint| sprint["state"] == "closed"));
    assert_eq!(
        closed.len(),
        states.iter().filter(|s| **s == "closed").count()
    );

    let (versions, _) = walk(site, "/rest/api/3/project/ALPHA/version", alice, 7).await;
    assert!(versions.len() > 50);
    assert_eq!(versions, truth.project_versions("ALPHA"));
    let (_, default_page) = fetch(site, "/rest/api/3/project/ALPHA/version", alice).await;
    assert_eq!(default_page["maxResults"], json!(50));
    assert_eq!(default_page["isLast"], json!(false));
    assert!(default_page["nextPage"].as_str().is_some());
    let (released, _) = walk(
        site,
        "/rest/api/2/project/ALPHA/version?status=released&orderBy=-releaseDate",
        alice,
        10,
    )
    .await;
    assert!(
        released
            .iter()
            .all(|v| v["released"] == true && v["archived"] == false)
    );
    let dates: Vec<&str> = released
        .iter()
        .map(|v| v["releaseDate"].as_str().unwrap())
        .collect();
    assert!(dates.is_sorted_by(|a, b| a >= b));
    let (_, all) = fetch(site, "/rest/api/3/project/ALPHA/versions", alice).await;
    assert_eq!(all, json!(truth.project_versions("ALPHA")));

    // A sprint's issues in pages of 7 (SearchResults: total, no isLast).
    let sprint_id = truth
        .sprints()
        .iter()
        .map(jira_emulator::Sprint::id)
        .max_by_key(|&id| truth.sprint_issues(id).len())
        .expect("sprints");
    let expected = truth.sprint_issues(sprint_id);
    assert!(expected.len() > 7, "{} issues", expected.len());
    let mut keys = Vec::new();
    loop {
        let (_, page) = fetch(
            site,
            &format!(
                "/rest/agile/1.0/sprint/{sprint_id}/issue?fields=key,customfield_10020&startAt={}&maxResults=7",
                keys.len()
            ),
            alice,
        )
        .await;
        assert_eq!(page["total"], json!(expected.len()));
        let issues = page["issues"].as_array().expect("issues");
        if issues.is_empty() {
            break;
        }
        for issue in issues {
            assert!(
                issue["fields"]["customfield_10020"]
                    .as_array()
                    .expect("sprints")
                    .iter()
                    .any(|sprint| sprint["id"] == json!(sprint_id))
            );
            keys.push(issue["key"].as_str().unwrap().to_owned());
        }
    }
    let expected_keys: Vec<String> = expected
        .iter()
        .map(|&index| truth.dataset.issue_key(index).unwrap())
        .collect();
    assert_eq!(keys, expected_keys);
}

#[tokio::test]
async fn every_sprint_an_issue_names_resolves_to_its_full_object() {
    let emulator = start().await;
    let site = &emulator.sites()[0];
    let alice = &site.users[0];
    let truth = truth(site);
    let mut checked = HashSet::new();
    let mut closed_seen = false;
    for index in 0..200 {
        let from_truth = truth.issue_sprints(index);
        let issue = truth.dataset.issue(index).expect("issue");
        let field = issue["fields"]["customfield_10020"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(field.len(), from_truth.len());
        for (entry, full) in field.iter().zip(&from_truth) {
            assert_eq!(entry["id"], full["id"]);
            assert_eq!(entry["boardId"], full["originBoardId"]);
            closed_seen |= entry["state"] == "closed";
            let id = entry["id"].as_u64().expect("id");
            if checked.insert(id) {
                let (status, served) =
                    fetch(site, &format!("/rest/agile/1.0/sprint/{id}"), alice).await;
                assert_eq!(status, 200);
                assert_eq!(&served, full);
            }
        }
    }
    assert!(checked.len() > 10 && closed_seen);
}

#[tokio::test]
async fn hidden_projects_have_no_boards_versions_or_links_for_the_user() {
    let emulator = start().await;
    let site = &emulator.sites()[0];
    let (alice, bob) = (&site.users[0], &site.users[1]);
    let truth = truth(site);

    let (_, boards) = fetch(site, "/rest/agile/1.0/board?type=kanban", bob).await;
    assert_eq!(boards["values"], json!([]));
    for path in [
        "/rest/agile/1.0/board/3",
        "/rest/agile/1.0/board/3/sprint",
        "/rest/api/3/project/OPS/version",
        "/rest/api/3/project/10002/versions",
        "/rest/agile/1.0/sprint/999",
        "/rest/agile/1.0/board/9",
    ] {
        let (status, body) = fetch(site, path, bob).await;
        assert_eq!(status, 404, "{path}");
        assert!(body["errorMessages"][0].is_string(), "{path}: {body}");
    }
    let (status, _) = fetch(site, "/rest/api/3/project/OPS/version", alice).await;
    assert_eq!(status, 200);
    let (status, _) = fetch(site, "/rest/agile/1.0/board/3/sprint", alice).await;
    assert_eq!(status, 400, "a kanban board has no sprints");

    // Issues (Bob can see them) linked to OPS issues (he cannot): the links are left out for him.
    let linked: Vec<usize> = (0..ISSUES)
        .filter(|&index| truth.dataset.project_key(index) != Some("OPS"))
        .filter(|&index| {
            truth.issue_links(index, Some(1)).len() < truth.issue_links(index, None).len()
        })
        .take(20)
        .collect();
    assert!(linked.len() >= 5);
    let ids: Vec<String> = linked
        .iter()
        .map(|&index| truth.dataset.issue_id(index).unwrap())
        .collect();
    let request = json!({"issueIdsOrKeys": ids, "fields": ["issuelinks"]});
    let link_ids = |body: &Value| -> Vec<Vec<String>> {
        body["issues"]
            .as_array()
            .expect("issues")
            .iter()
            .map(|issue| {
                issue["fields"]["issuelinks"]
                    .as_array()
                    .expect("links")
                    .iter()
                    .map(|link| link["id"].as_str().unwrap().to_owned())
                    .collect()
            })
            .collect()
    };
    let expected = |user: Option<usize>| -> Vec<Vec<String>> {
        linked
            .iter()
            .map(|&index| {
                truth
                    .issue_links(index, user)
                    .iter()
                    .map(|link| link.id.to_string())
                    .collect()
            })
            .collect()
    };
    let bulk = |user: &UserInfo| {
        let request = request.clone();
        let base = site.base_url.clone();
        let user = user.clone();
        async move {
            post(&base, "/rest/api/3/issue/bulkfetch", &user, &request)
                .send()
                .await
                .expect("answers")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };
    assert_eq!(link_ids(&bulk(alice).await), expected(None));
    assert_eq!(link_ids(&bulk(bob).await), expected(Some(1)));

    // The same through search.
    let keys: Vec<String> = linked
        .iter()
        .map(|&index| truth.dataset.issue_key(index).unwrap())
        .collect();
    let jql = format!("key in ({}) ORDER BY id", keys.join(","));
    let searched = post(
        &site.base_url,
        "/rest/api/3/search/jql",
        bob,
        &json!({"jql": jql, "fields": ["issuelinks"], "maxResults": 100}),
    )
    .send()
    .await
    .expect("answers")
    .json::<Value>()
    .await
    .expect("JSON");
    assert_eq!(link_ids(&searched), expected(Some(1)));

    // The fault knob leaks them, so the app's own filtering can be tested.
    emulator.set_faults(FaultConfig {
        leak_hidden_links: true,
        ..FaultConfig::default()
    });
    assert_eq!(link_ids(&bulk(bob).await), expected(None));
}

#[tokio::test]
async fn agile_faults_give_429s_5xx_and_deleted_sprints() {
    let emulator = start().await;
    let site = &emulator.sites()[0];
    let alice = &site.users[0];

    emulator.set_faults(FaultConfig {
        fault_path_contains: Some("/rest/agile/".to_owned()),
        rate_limit_every: Some(1),
        retry_after_secs: 3,
        ..FaultConfig::default()
    });
    let limited = get(&site.base_url, "/rest/agile/1.0/board", alice)
        .send()
        .await
        .expect("answers");
    assert_eq!(limited.status(), 429);
    assert_eq!(
        limited
            .headers()
            .get("Retry-After")
            .and_then(|value| value.to_str().ok()),
        Some("3")
    );
    let (status, _) = fetch(site, "/rest/api/3/project/ALPHA/version", alice).await;
    assert_eq!(status, 200, "outside the prefix: no fault");

    emulator.set_faults(FaultConfig {
        fault_path_contains: Some("/rest/api/3/project/".to_owned()),
        error_5xx_every: Some(2),
        ..FaultConfig::default()
    });
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            fetch(site, "/rest/api/3/project/ALPHA/versions", alice)
                .await
                .0,
        );
        let (status, _) = fetch(site, "/rest/agile/1.0/sprint/101", alice).await;
        assert_eq!(status, 200);
    }
    assert_eq!(statuses, [200, 503, 200, 503]);

    emulator.set_faults(FaultConfig {
        missing_sprints: vec![101],
        ..FaultConfig::default()
    });
    let (status, _) = fetch(site, "/rest/agile/1.0/sprint/101", alice).await;
    assert_eq!(status, 404);
    let (status, _) = fetch(site, "/rest/agile/1.0/sprint/101/issue", alice).await;
    assert_eq!(status, 404);
    let (status, _) = fetch(site, "/rest/agile/1.0/sprint/102", alice).await;
    assert_eq!(status, 200);
}
