//! The emulator's responses validated against Atlassian's own OpenAPI schemas (which forbid
//! unknown keys), so an emulator drift shows up here before it misleads the app's tests.

use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use super::{client, get, post, start_emulator};

const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/jira-platform-openapi-v3.json"
);

/// `components` of the platform spec with OpenAPI-only `nullable` turned into JSON Schema.
pub(super) fn components() -> &'static Value {
    static COMPONENTS: OnceLock<Value> = OnceLock::new();
    COMPONENTS.get_or_init(|| {
        let text = std::fs::read_to_string(SPEC_PATH)
            .unwrap_or_else(|error| panic!("read the Jira OpenAPI spec at {SPEC_PATH}: {error}"));
        let spec: Value = serde_json::from_str(&text).expect("the spec is JSON");
        let mut components = spec["components"].clone();
        convert_nullable(&mut components);
        components
    })
}

/// OpenAPI 3.0 `nullable: true` → JSON Schema: add "null" to `type`, or allow null beside a
/// `$ref`/`allOf` that has no `type`.
pub(super) fn convert_nullable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for child in map.values_mut() {
                convert_nullable(child);
            }
            if map.remove("nullable") == Some(Value::Bool(true)) {
                match map.get("type").cloned() {
                    Some(Value::String(kind)) => {
                        map.insert("type".into(), json!([kind, "null"]));
                    }
                    _ => {
                        let inner = Value::Object(std::mem::take(map));
                        map.insert("anyOf".into(), json!([inner, {"type": "null"}]));
                    }
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(convert_nullable),
        _ => {}
    }
}

pub(super) fn validator(schema: Value) -> jsonschema::Validator {
    let mut root = Map::new();
    root.insert("components".into(), components().clone());
    if let Value::Object(schema) = schema {
        root.extend(schema);
    }
    jsonschema::validator_for(&Value::Object(root)).expect("the schema compiles")
}

pub(super) fn schema(name: &str) -> jsonschema::Validator {
    validator(json!({"$ref": format!("#/components/schemas/{name}")}))
}

#[track_caller]
pub(super) fn assert_conforms(validator: &jsonschema::Validator, name: &str, instance: &Value) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path))
        .take(10)
        .collect();
    assert!(errors.is_empty(), "{name} does not conform: {errors:#?}");
}

#[test]
fn the_validator_rejects_extra_keys() {
    let user = schema("User");
    assert!(user.is_valid(&json!({"accountId": "x", "displayName": "X"})));
    assert!(!user.is_valid(&json!({"accountId": "x", "unexpected": true})));
    assert!(!user.is_valid(&json!({"accountId": "x", "avatarUrls": {"64x64": "http://x"}})));
    let nullable = validator(
        json!({"type": "object", "properties": {"a": {"type": "string", "nullable": true}}}),
    );
    assert!(nullable.is_valid(&json!({"a": "x"})));
}

#[tokio::test]
async fn responses_conform_to_the_jira_openapi_schemas() {
    let emulator = start_emulator(300).await;
    let site = &emulator.sites()[0];
    let alice = &site.users[0];
    let fetch = |request: reqwest::RequestBuilder| async move {
        let response = request.send().await.expect("answers");
        response.json::<Value>().await.expect("JSON")
    };

    let myself = fetch(get(&site.base_url, "/rest/api/3/myself", alice)).await;
    assert_conforms(&schema("User"), "myself", &myself);

    let search_schema = schema("SearchAndReconcileResults");
    for request in [
        json!({"jql": "project = ALPHA", "maxResults": 3}),
        json!({"jql": "project = ALPHA", "maxResults": 5, "fields": ["*all"], "expand": "names,schema"}),
        json!({"jql": "key = ALPHA-1", "fields": ["key", "summary"]}),
        json!({"jql": "project = ALPHA", "maxResults": 5000, "fields": ["id", "key"]}),
    ] {
        let page = fetch(post(
            &site.base_url,
            "/rest/api/3/search/jql",
            alice,
            &request,
        ))
        .await;
        assert_conforms(&search_schema, "search/jql", &page);
        if let Some(token) = page["nextPageToken"].as_str() {
            let mut next = request.clone();
            next["nextPageToken"] = json!(token);
            let second = fetch(post(&site.base_url, "/rest/api/3/search/jql", alice, &next)).await;
            assert_conforms(&search_schema, "search/jql page 2", &second);
        }
    }
    let via_get = fetch(get(
        &site.base_url,
        "/rest/api/3/search/jql?jql=project%3DBETA&fields=summary,assignee&expand=names",
        alice,
    ))
    .await;
    assert_conforms(&search_schema, "GET search/jql", &via_get);

    let count = fetch(post(
        &site.base_url,
        "/rest/api/3/search/approximate-count",
        alice,
        &json!({"jql": "project = ALPHA"}),
    ))
    .await;
    assert_conforms(&schema("JQLCountResultsBean"), "approximate-count", &count);

    let bulk = fetch(post(
        &site.base_url,
        "/rest/api/3/issue/bulkfetch",
        alice,
        &json!({"issueIdsOrKeys": ["ALPHA-1", "10002", "NOPE-9"], "fields": ["*all"], "expand": ["names", "schema"]}),
    ))
    .await;
    assert_conforms(&schema("BulkIssueResults"), "bulkfetch", &bulk);

    let dataset = emulator.dataset(0).expect("site 0");
    let long = dataset.issues_with_over_100_changes();
    let busy = dataset.issues_with_over_20_worklogs();
    let some_ids: Vec<String> = (0..40)
        .chain(long.iter().copied().take(2))
        .filter_map(|index| dataset.issue_id(index))
        .collect();
    let changelog_schema = schema("BulkChangelogResponseBean");
    let first = fetch(post(
        &site.base_url,
        "/rest/api/3/changelog/bulkfetch",
        alice,
        &json!({"issueIdsOrKeys": some_ids, "maxResults": 50}),
    ))
    .await;
    assert_conforms(&changelog_schema, "changelog/bulkfetch", &first);
    let token = first["nextPageToken"].as_str().expect("more pages");
    let filtered = fetch(post(
        &site.base_url,
        "/rest/api/3/changelog/bulkfetch",
        alice,
        &json!({"issueIdsOrKeys": some_ids, "maxResults": 50, "nextPageToken": token}),
    ))
    .await;
    assert_conforms(&changelog_schema, "changelog/bulkfetch page 2", &filtered);
    let by_field = fetch(post(
        &site.base_url,
        "/rest/api/3/changelog/bulkfetch",
        alice,
        &json!({"issueIdsOrKeys": some_ids, "fieldIds": ["status", "project", "issuekey"]}),
    ))
    .await;
    assert_conforms(&changelog_schema, "changelog/bulkfetch fieldIds", &by_field);
    let one_issue = dataset.issue_id(long[0]).expect("id");
    let page = fetch(get(
        &site.base_url,
        &format!("/rest/api/3/issue/{one_issue}/changelog?startAt=20&maxResults=30"),
        alice,
    ))
    .await;
    assert_conforms(&schema("PageBeanChangelog"), "issue changelog", &page);
    let worklog_page = schema("PageOfWorklogs");
    let busy_issue = dataset.issue_id(busy[0]).expect("id");
    for version in [2, 3] {
        let worklogs = fetch(get(
            &site.base_url,
            &format!("/rest/api/{version}/issue/{busy_issue}/worklog?maxResults=30"),
            alice,
        ))
        .await;
        assert_conforms(&worklog_page, "issue worklog", &worklogs);
    }
    let with_worklogs = fetch(post(
        &site.base_url,
        "/rest/api/3/issue/bulkfetch",
        alice,
        &json!({"issueIdsOrKeys": [busy_issue], "fields": ["worklog", "timespent"]}),
    ))
    .await;
    assert_conforms(
        &schema("BulkIssueResults"),
        "bulkfetch worklog",
        &with_worklogs,
    );
    assert_conforms(
        &worklog_page,
        "the worklog field",
        &with_worklogs["issues"][0]["fields"]["worklog"],
    );
    let statuses = fetch(get(&site.base_url, "/rest/api/3/status", alice)).await;
    let status_list = validator(
        json!({"type": "array", "items": {"$ref": "#/components/schemas/StatusDetails"}}),
    );
    assert_conforms(&status_list, "status", &statuses);
    let updated = fetch(get(
        &site.base_url,
        "/rest/api/3/worklog/updated?since=0",
        alice,
    ))
    .await;
    assert_conforms(&schema("ChangedWorklogs"), "worklog/updated", &updated);
    let ids: Vec<&Value> = updated["values"]
        .as_array()
        .expect("values")
        .iter()
        .take(5)
        .map(|value| &value["worklogId"])
        .collect();
    assert_eq!(ids.len(), 5);
    let listed = fetch(post(
        &site.base_url,
        "/rest/api/3/worklog/list",
        alice,
        &json!({ "ids": ids }),
    ))
    .await;
    let worklog_list =
        validator(json!({"type": "array", "items": {"$ref": "#/components/schemas/Worklog"}}));
    assert_conforms(&worklog_list, "worklog/list", &listed);
    assert_eq!(listed.as_array().map(Vec::len), Some(5));

    let fields = fetch(get(&site.base_url, "/rest/api/3/field", alice)).await;
    let field_list =
        validator(json!({"type": "array", "items": {"$ref": "#/components/schemas/FieldDetails"}}));
    assert_conforms(&field_list, "field", &fields);

    let projects = fetch(get(
        &site.base_url,
        "/rest/api/3/project/search?maxResults=2",
        alice,
    ))
    .await;
    assert_conforms(&schema("PageBeanProject"), "project/search", &projects);

    // user/bulk: the named people who exist, in the order asked, paged by isLast.
    let (alice_id, bob_id) = (&alice.account_id, &site.users[1].account_id);
    let bulk_path = |start: usize| {
        format!(
            "/rest/api/3/user/bulk?accountId={bob_id}&accountId=nobody&accountId={alice_id}\
             &maxResults=1&startAt={start}"
        )
    };
    let first = fetch(get(&site.base_url, &bulk_path(0), alice)).await;
    assert_conforms(&schema("PageBeanUser"), "user/bulk", &first);
    assert_eq!(
        (first["total"].as_u64(), first["isLast"].as_bool()),
        (Some(2), Some(false))
    );
    assert_eq!(first["values"][0]["displayName"], "Bob Brown");
    let last = fetch(get(&site.base_url, &bulk_path(1), alice)).await;
    assert_eq!(last["isLast"], true);
    assert_eq!(
        last["values"][0]["accountId"].as_str(),
        Some(alice_id.as_str())
    );
    let none = client()
        .get(format!("{}/rest/api/3/user/bulk", site.base_url))
        .basic_auth(&alice.email, Some(&alice.api_token))
        .send()
        .await
        .expect("answers");
    assert_eq!(none.status(), 400, "no accountId");

    let unauthorized = client()
        .get(format!("{}/rest/api/3/myself", site.base_url))
        .send()
        .await
        .expect("answers")
        .json::<Value>()
        .await
        .expect("JSON");
    let error_schema = schema("ErrorCollection");
    assert_conforms(&error_schema, "401 body", &unauthorized);
    let bad_jql = fetch(post(
        &site.base_url,
        "/rest/api/3/search/jql",
        alice,
        &json!({"jql": "project = NOPE"}),
    ))
    .await;
    assert_conforms(&error_schema, "400 body", &bad_jql);

    // Sanity: the same validators catch a single extra key in a real response.
    let mut tampered = myself.clone();
    tampered["unexpected"] = json!(1);
    assert!(!schema("User").is_valid(&tampered));
    let mut tampered = bulk.clone();
    tampered["expand"] = json!("names");
    assert!(!schema("BulkIssueResults").is_valid(&tampered));
}
