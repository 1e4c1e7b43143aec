//! The OData v4 feed as BI tools use it: service document and `$metadata` (validated against
//! the OASIS schemas), a full export compared row by row with the emulator's data, server-driven
//! paging, `$filter` pushed into JQL for incremental refresh, `$count`, `$select`/`$orderby`/
//! `$top`, loud refusals of what is not supported, isolation between users, and a real OData
//! client library reading the feed with Basic auth.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use crate::support::TestApp;
use crate::support::feed::{
    ALICE, ALPHA, BETA, BOB, CUSTOM_FIELDS, Reader, assert_row_matches, create_data_source,
    feed_app, iso, reader, run_python,
};

const JQL: &str = "project in (ALPHA, BETA, OPS, DATA)";
const ODATA_JSON: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false";

async fn alice_with_source(app: &TestApp) -> (Reader, i64) {
    let alice = reader(app, ALPHA, ALICE).await;
    let id = create_data_source(app, &alice.session, "All issues", JQL, CUSTOM_FIELDS).await;
    (alice, id)
}

async fn get_json(
    reader: &Reader,
    app: &TestApp,
    url: &str,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let response = reader.get(app, url).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"));
    (status, body, headers)
}

fn one_odata_version(headers: &reqwest::header::HeaderMap) {
    let versions: Vec<_> = headers.get_all("OData-Version").iter().collect();
    assert_eq!(versions, ["4.0"], "exactly one OData-Version header");
}

/// Follows `@odata.nextLink` from `url`; returns every row and the number of pages.
async fn read_all_pages(
    reader: &Reader,
    app: &TestApp,
    url: &str,
    page_size: Option<u32>,
) -> (Vec<Value>, usize) {
    let mut rows = Vec::new();
    let mut next = Some(url.to_owned());
    let mut pages = 0;
    while let Some(url) = next {
        let mut request = reader.get(app, &url);
        if let Some(size) = page_size {
            request = request.header("Prefer", format!("odata.maxpagesize={size}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        one_odata_version(response.headers());
        let body: Value = response.json().await.unwrap();
        rows.extend(body["value"].as_array().unwrap().iter().cloned());
        next = body["@odata.nextLink"].as_str().map(str::to_owned);
        if let Some(link) = &next {
            assert!(link.starts_with(&app.address), "absolute next link: {link}");
        }
        pages += 1;
        assert!(pages < 1_000);
    }
    (rows, pages)
}

#[tokio::test]
async fn the_service_document_is_cheap_and_names_the_entity_set() {
    let app = feed_app(50).await;
    let (alice, id) = alice_with_source(&app).await;
    app.emulator.reset_stats();
    for path in [format!("/feed/{id}/odata"), format!("/feed/{id}/odata/")] {
        let (status, body, headers) = get_json(&alice, &app, &path).await;
        assert_eq!(status, 200);
        one_odata_version(&headers);
        assert_eq!(headers.get("content-type").unwrap(), ODATA_JSON);
        assert_eq!(
            body,
            serde_json::json!({
                "@odata.context": format!("{}/feed/{id}/odata/$metadata", app.address),
                "value": [{"name": "Issues", "kind": "EntitySet", "url": "Issues"}]
            })
        );
    }
    assert_eq!(app.emulator.stats().rest_requests, 0, "no Jira call");
}

#[tokio::test]
async fn metadata_is_valid_csdl_and_fetched_from_jira_at_most_once_in_a_while() {
    let app = feed_app(50).await;
    let (alice, id) = alice_with_source(&app).await;
    app.emulator.reset_stats();
    let mut documents = Vec::new();
    for _ in 0..3 {
        let response = alice
            .get(&app, &format!("/feed/{id}/odata/$metadata"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        one_odata_version(response.headers());
        assert_eq!(
            response.headers().get("content-type").unwrap(),
            "application/xml"
        );
        documents.push(response.text().await.unwrap());
    }
    assert!(documents.windows(2).all(|w| w[0] == w[1]), "stable");
    assert_eq!(
        app.emulator.stats().requests.get("GET /rest/api/3/field"),
        Some(&1),
        "the field catalogue is cached"
    );
    let xml = &documents[0];
    for property in [
        r#"<Property Name="Id" Type="Edm.String" Nullable="false"/>"#,
        r#"<Property Name="Created" Type="Edm.DateTimeOffset" Precision="3"/>"#,
        r#"<Property Name="DueDate" Type="Edm.Date"/>"#,
        r#"<Property Name="StoryPoints" Type="Edm.Double"/>"#,
        r#"<Property Name="TimeSpentSeconds" Type="Edm.Int64"/>"#,
        r#"<Property Name="Team_customfield_10035" Type="Edm.String"/>"#,
        r#"<Property Name="TargetDate" Type="Edm.Date"/>"#,
    ] {
        assert!(xml.contains(property), "{property} in\n{xml}");
    }
    let schemas = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/odata-csdl/");
    let (valid, out, err) = run_python(
        "validate_csdl.py",
        vec![schemas.to_owned()],
        xml.clone().into_bytes(),
    )
    .await;
    assert!(
        valid,
        "the CSDL validates against the OASIS XSDs: {out}{err}"
    );
}

#[tokio::test]
async fn a_full_export_equals_the_data_set_row_for_row_across_pages() {
    let app = feed_app(1_200).await;
    let (alice, id) = alice_with_source(&app).await;
    let url = format!("/feed/{id}/odata/Issues");
    let (rows, pages) = read_all_pages(&alice, &app, &url, Some(500)).await;
    let truth = alice.truth(&app, &format!("{JQL} ORDER BY key ASC"));
    assert_eq!(truth.len(), 1_200);
    assert_eq!(pages, 3);
    assert_eq!(rows.len(), truth.len());
    for (row, issue) in rows.iter().zip(&truth) {
        assert_row_matches(row, issue);
    }
    // Each issue exactly once.
    let keys: HashSet<&str> = rows.iter().map(|r| r["Key"].as_str().unwrap()).collect();
    assert_eq!(keys.len(), 1_200);
    // The data covers what makes the comparison meaningful.
    let nulls = |column: &str| rows.iter().filter(|r| r[column].is_null()).count();
    for column in [
        "Resolved",
        "Assignee",
        "Sprint",
        "Platforms",
        "Tags",
        "StoryPoints",
    ] {
        assert!(nulls(column) > 0 && nulls(column) < rows.len(), "{column}");
    }
    assert!(
        rows.iter()
            .any(|r| r["Platforms"].as_str().is_some_and(|p| p.contains("; ")))
    );
    assert!(
        rows.iter()
            .any(|r| r["Summary"].as_str().is_some_and(|s| s.contains('\n')))
    );
}

#[tokio::test]
async fn paging_through_next_links_returns_each_issue_exactly_once() {
    let app = feed_app(700).await;
    let (alice, id) = alice_with_source(&app).await;
    let url = format!("/feed/{id}/odata/Issues?$select=Key&$orderby=Updated desc");
    let (rows, pages) = read_all_pages(&alice, &app, &url, Some(99)).await;
    assert_eq!(pages, 8);
    let keys: Vec<&str> = rows.iter().map(|r| r["Key"].as_str().unwrap()).collect();
    let unique: HashSet<&&str> = keys.iter().collect();
    assert_eq!(unique.len(), 700);
    let truth: Vec<String> = alice
        .truth(&app, &format!("{JQL} ORDER BY updated DESC"))
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, truth);
}

#[tokio::test]
async fn filter_on_updated_returns_exactly_the_issues_updated_in_range_and_reaches_jira() {
    let app = feed_app(1_000).await;
    let (alice, id) = alice_with_source(&app).await;
    let truth = alice.truth(&app, &format!("{JQL} ORDER BY key ASC"));
    // A window with second precision, bounded by real values so the edges matter.
    let mut updated: Vec<String> = truth
        .iter()
        .map(|i| iso(&i["fields"]["updated"]).as_str().unwrap().to_owned())
        .collect();
    updated.sort();
    let (from, to) = (updated[300].clone(), updated[420].clone());
    let expected: BTreeSet<String> = truth
        .iter()
        .filter(|i| {
            let u = iso(&i["fields"]["updated"]).as_str().unwrap().to_owned();
            // ISO strings of one format and zone compare like instants… except a ".000"-less
            // value; compare as parsed instants instead.
            let at = |s: &str| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .unwrap()
            };
            at(&u) >= at(&from) && at(&u) < at(&to)
        })
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect();
    assert!(expected.len() >= 100);
    app.emulator.reset_stats();
    let url = format!(
        "/feed/{id}/odata/Issues?$filter=Updated ge {from} and Updated lt {to}&$select=Key,Updated"
    );
    let (rows, _) = read_all_pages(&alice, &app, &url, None).await;
    let got: BTreeSet<String> = rows
        .iter()
        .map(|r| r["Key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, expected);
    assert_eq!(
        rows[0].as_object().unwrap().len(),
        2,
        "only the selected columns"
    );
    // Jira was asked for the range, not for everything.
    let returned = app.emulator.stats().issues_returned;
    assert!(
        returned < 2 * 1_000,
        "Jira returned {returned} issues (ids and details)"
    );
}

#[tokio::test]
async fn count_and_dollar_count_are_exact() {
    let app = feed_app(600).await;
    let (alice, id) = alice_with_source(&app).await;
    let truth = alice.truth(&app, &format!("{JQL} ORDER BY key ASC"));
    let (_, body, _) = get_json(
        &alice,
        &app,
        &format!("/feed/{id}/odata/Issues?$count=true&$top=3"),
    )
    .await;
    assert_eq!(body["@odata.count"], 600);
    assert_eq!(body["value"].as_array().unwrap().len(), 3);
    assert!(body.get("@odata.nextLink").is_none(), "$top reached");

    let response = alice
        .get(&app, &format!("/feed/{id}/odata/Issues/$count"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    one_odata_version(response.headers());
    assert!(
        response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(response.text().await.unwrap(), "600");

    let bugs = truth
        .iter()
        .filter(|i| {
            i["fields"]["issuetype"]["name"] == "Bug" && i["fields"]["resolutiondate"].is_null()
        })
        .count();
    let response = alice
        .get(
            &app,
            &format!(
                "/feed/{id}/odata/Issues/$count?$filter=IssueType eq 'Bug' and Resolved eq null"
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.text().await.unwrap(), bugs.to_string());

    // The count survives paging without being recounted.
    let (_, first, _) = get_json(
        &alice,
        &app,
        &format!("/feed/{id}/odata/Issues?$count=true&$select=Key"),
    )
    .await;
    assert_eq!(first["@odata.count"], 600);
}

#[tokio::test]
async fn select_orderby_top_and_skip_shape_the_result() {
    let app = feed_app(300).await;
    let (alice, id) = alice_with_source(&app).await;
    let (status, body, _) = get_json(
        &alice,
        &app,
        &format!(
            "/feed/{id}/odata/Issues?$select=Key,Updated&$orderby=Updated desc&$top=5&$skip=2"
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["@odata.context"],
        format!(
            "{}/feed/{id}/odata/$metadata#Issues(Key,Updated)",
            app.address
        )
    );
    let truth = alice.truth(&app, &format!("{JQL} ORDER BY updated DESC"));
    let want: Vec<Value> = truth[2..7]
        .iter()
        .map(|i| serde_json::json!({"Key": i["key"], "Updated": iso(&i["fields"]["updated"])}))
        .collect();
    assert_eq!(body["value"], Value::Array(want));
}

#[tokio::test]
async fn unsupported_or_malformed_options_are_refused_with_odata_errors() {
    let app = feed_app(30).await;
    let (alice, id) = alice_with_source(&app).await;
    let base = format!("/feed/{id}/odata/Issues");
    for (query, status) in [
        ("$expand=Project", 501),
        ("$search=login", 501),
        ("$apply=groupby((Status))", 501),
        ("$filter=tolower(Status) eq 'done'", 501),
        ("$filter=Labels has 'x'", 501),
        ("$orderby=Summary", 501),
        ("$format=atom", 501),
        ("$filter=Status eq", 400),
        ("$filter=Nope eq 1", 400),
        ("$filter=Updated ge 'yesterday'", 400),
        ("$select=Nope", 400),
        ("$top=-1", 400),
        ("$bogus=1", 400),
        ("$skiptoken=1.abc.def", 400),
    ] {
        let (got, body, headers) = get_json(&alice, &app, &format!("{base}?{query}")).await;
        assert_eq!(got, status, "{query}: {body}");
        one_odata_version(&headers);
        assert!(body["error"]["code"].is_string(), "{query}: {body}");
        assert!(body["error"]["message"].is_string(), "{query}: {body}");
    }
    // A custom (non-$) parameter is ignored, as OData allows.
    let (status, _, _) = get_json(&alice, &app, &format!("{base}?source=powerbi&$top=1")).await;
    assert_eq!(status, 200);
    // A next link edited by hand is refused.
    let (_, body, _) = get_json(&alice, &app, &format!("{base}?$top=20&$select=Key")).await;
    assert!(body.get("@odata.nextLink").is_none());
    let response = alice
        .get(&app, &base)
        .header("Prefer", "odata.maxpagesize=10")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers().get("Preference-Applied").unwrap(),
        "odata.maxpagesize=10"
    );
    let body: Value = response.json().await.unwrap();
    let link = body["@odata.nextLink"].as_str().unwrap();
    let tampered = link.replace("$skiptoken=1.", "$skiptoken=1.e");
    let (status, _, _) = get_json(&alice, &app, &tampered).await;
    assert_eq!(status, 400);
    let other_query = link.replace("$skiptoken", "$top=5&$skiptoken");
    let (status, body, _) = get_json(&alice, &app, &other_query).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn other_users_and_sites_cannot_read_a_data_source() {
    let app = feed_app(30).await;
    let (alice, id) = alice_with_source(&app).await;
    let bob = reader(&app, ALPHA, BOB).await;
    let carol = reader(&app, BETA, 0).await;
    for intruder in [&bob, &carol] {
        for path in [
            format!("/feed/{id}/odata"),
            format!("/feed/{id}/odata/$metadata"),
            format!("/feed/{id}/odata/Issues"),
            format!("/feed/{id}/odata/Issues/$count"),
        ] {
            let (status, body, headers) = get_json(intruder, &app, &path).await;
            assert_eq!(status, 404, "{path}");
            assert_eq!(body["error"]["code"], "NotFound");
            one_odata_version(&headers);
        }
        for path in [format!("/feed/{id}/csv"), format!("/feed/{id}/json")] {
            let response = intruder.get(&app, &path).send().await.unwrap();
            assert_eq!(response.status(), 404, "{path}");
        }
    }
    for path in [
        "/feed/999999/odata",
        "/feed/abc/odata/Issues",
        "/feed/0/odata/$metadata",
    ] {
        let (status, _, _) = get_json(&alice, &app, path).await;
        assert_eq!(status, 404, "{path}");
    }
    // No credentials: 401 with a challenge, so BI tools ask for them.
    let response = app
        .client
        .get(app.url(&format!("/feed/{id}/odata/Issues")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("www-authenticate").is_some());
    one_odata_version(response.headers());
}

#[tokio::test]
async fn a_real_odata_client_library_reads_the_feed_with_basic_auth() {
    let app = feed_app(450).await;
    let (alice, id) = alice_with_source(&app).await;
    let root = format!("{}/feed/{id}/odata/", app.address);
    let (ok, out, err) = run_python(
        "odata_client.py",
        vec![root, alice.email.clone(), alice.access_token.clone()],
        Vec::new(),
    )
    .await;
    assert!(ok, "python-odata failed:\n{err}");
    let result: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(result["entity_sets"], serde_json::json!(["Issues"]));
    for property in [
        "Key",
        "Updated",
        "StoryPoints",
        "Tags",
        "Team_customfield_10036",
    ] {
        assert!(
            result["properties"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p == property),
            "{property}: {}",
            result["properties"]
        );
    }
    let keys: Vec<&str> = result["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Key"].as_str().unwrap())
        .collect();
    let truth: Vec<String> = alice
        .truth(&app, &format!("{JQL} ORDER BY key ASC"))
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, truth);
    assert!(result["rows"][0]["Updated"].is_string());
}
