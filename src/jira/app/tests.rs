//! The app calls against the scripted Jira: what goes over the wire (path, query, body, a JWT
//! that verifies under the site's secret with the right qsh) and how answers and failures read.

use std::collections::HashSet;

use actix_web::HttpResponse;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::json;

use super::*;
use crate::connect::app_jwt::{AppClaims, OutgoingRequest};
use crate::connect::tenants::TenantRow;
use crate::crypto::MasterKey;
use crate::jira::client::mock::{MockJira, Recorded, client, ok_json};

const SECRET: &str = "site-shared-secret";
const CLIENT_KEY: &str = "jira:site-1";

struct Fixture {
    _dir: tempfile::TempDir,
    app: JiraApp,
    tenant: Tenant,
}

fn fixture(jira: &MockJira, max_retries: u32) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let sealer = MasterKey::load_or_create(dir.path())
        .unwrap()
        .sealer(b"tenant-shared-secret-v1");
    let tenant = Tenant::from_row(TenantRow {
        id: 1,
        client_key: CLIENT_KEY.into(),
        shared_secret_sealed: sealer.seal(SECRET, CLIENT_KEY).unwrap(),
        base_url: jira.base.clone(),
        display_url: jira.base.clone(),
        product_type: "jira".into(),
        oauth_client_id: None,
        installed: true,
        enabled: true,
        installed_at: 0,
        uninstalled_at: None,
        updated_at: 0,
    })
    .unwrap();
    let app =
        JiraApp::new(&client(0), sealer, "jira-bi-connector").with_client(client(max_retries));
    Fixture {
        _dir: dir,
        app,
        tenant,
    }
}

fn account(raw: &str) -> AccountId {
    AccountId::parse(raw).unwrap()
}

/// The request's JWT verifies under the site's secret, names us and the site, and its qsh is the
/// hash of the request Jira received.
fn assert_signed_for(request: &Recorded) {
    let token = request
        .authorization
        .as_deref()
        .and_then(|h| h.strip_prefix("JWT "))
        .expect("an app JWT, never Basic");
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<AppClaims>(
        token,
        &DecodingKey::from_secret(SECRET.as_bytes()),
        &validation,
    )
    .unwrap()
    .claims;
    assert_eq!(claims.iss, "jira-bi-connector");
    assert_eq!(claims.aud, vec![CLIENT_KEY.to_owned()]);
    assert_eq!(claims.exp - claims.iat, 180);
    let query = crate::connect::qsh::parse_params(&request.query);
    let expected = OutgoingRequest {
        method: &request.method,
        path: &request.path,
        query: &query,
    }
    .qsh();
    assert_eq!(claims.qsh, expected);
}

#[actix_web::test]
async fn an_admin_check_posts_administer_for_the_account_as_the_app() {
    let jira = MockJira::start(|_, _| {
        ok_json(json!({"globalPermissions": ["ADMINISTER"], "projectPermissions": []}))
    })
    .await;
    let f = fixture(&jira, 0);

    let admin = f
        .app
        .is_jira_admin(&f.tenant, &account("557058:f58131cb-b67d"))
        .await
        .unwrap();

    assert!(admin);
    let requests = jira.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/rest/api/3/permissions/check");
    assert_eq!(
        requests[0].json(),
        json!({"accountId": "557058:f58131cb-b67d", "globalPermissions": ["ADMINISTER"]})
    );
    assert_signed_for(&requests[0]);
    jira.stop().await;
}

#[actix_web::test]
async fn an_empty_grant_is_not_an_admin() {
    let jira =
        MockJira::start(|_, _| ok_json(json!({"globalPermissions": [], "projectPermissions": []})))
            .await;
    let f = fixture(&jira, 0);
    assert!(
        !f.app
            .is_jira_admin(&f.tenant, &account("u1"))
            .await
            .unwrap()
    );
    jira.stop().await;
}

#[actix_web::test]
async fn a_jira_that_cannot_answer_is_an_error_not_a_no() {
    let jira = MockJira::start(|_, _| HttpResponse::ServiceUnavailable().finish()).await;
    let f = fixture(&jira, 1);

    let result = f.app.is_jira_admin(&f.tenant, &account("u1")).await;

    assert!(matches!(result, Err(AppCallError::Jira(_))), "{result:?}");
    // Each attempt carries its own signature.
    let requests = jira.requests();
    assert_eq!(requests.len(), 2);
    requests.iter().for_each(assert_signed_for);
    let page = AppError::from(result.unwrap_err());
    assert_eq!(page.status().as_u16(), 503);
    jira.stop().await;
}

#[actix_web::test]
async fn a_rejected_app_jwt_asks_for_a_reinstall() {
    let jira = MockJira::start(|_, _| HttpResponse::Unauthorized().finish()).await;
    let f = fixture(&jira, 0);
    let err = f
        .app
        .user_groups(&f.tenant, &account("u1"))
        .await
        .unwrap_err();
    let page = AppError::from(err);
    assert!(page.to_string().contains("reinstall"), "{page}");
    jira.stop().await;
}

#[actix_web::test]
async fn user_groups_reads_the_array_and_signs_the_encoded_account_id() {
    let jira = MockJira::start(|_, _| {
        ok_json(json!([
            {"groupId": "g-1", "name": "bi-viewers", "self": "https://x/rest/api/3/group?groupId=g-1"},
            {"groupId": null, "name": "legacy"}
        ]))
    })
    .await;
    let f = fixture(&jira, 0);

    let groups = f
        .app
        .user_groups(&f.tenant, &account("557058:f58131cb"))
        .await
        .unwrap();

    assert_eq!(
        groups,
        vec![JiraGroup {
            group_id: "g-1".into(),
            name: "bi-viewers".into()
        }]
    );
    let requests = jira.requests();
    assert_eq!(requests[0].path, "/rest/api/3/user/groups");
    assert_eq!(requests[0].query, "accountId=557058%3Af58131cb");
    assert_signed_for(&requests[0]);
    jira.stop().await;
}

#[actix_web::test]
async fn pickers_query_jira_and_leave_out_app_accounts() {
    let jira = MockJira::start(|_, request: &Recorded| {
        if request.path.ends_with("/groups/picker") {
            ok_json(json!({"header": "Showing 1", "total": 1,
                "groups": [{"groupId": "g-2", "name": "bi team", "html": "<b>bi</b> team"}]}))
        } else {
            ok_json(json!({"total": 2, "users": [
                {"accountId": "a-1", "displayName": "Ana Lima", "accountType": "atlassian"},
                {"accountId": "bot", "displayName": "Some app", "accountType": "app"}
            ]}))
        }
    })
    .await;
    let f = fixture(&jira, 0);

    let groups = f.app.find_groups(&f.tenant, "bi t").await.unwrap();
    let users = f.app.find_users(&f.tenant, "ana").await.unwrap();

    assert_eq!(groups[0].name, "bi team");
    assert_eq!(
        users,
        vec![JiraPerson {
            account_id: "a-1".into(),
            display_name: "Ana Lima".into()
        }]
    );
    let requests = jira.requests();
    assert_eq!(requests[0].query, "query=bi+t&maxResults=20");
    assert_eq!(requests[1].path, "/rest/api/3/user/picker");
    requests.iter().for_each(assert_signed_for);
    jira.stop().await;
}

#[actix_web::test]
async fn an_unknown_user_is_none_not_an_error() {
    let jira = MockJira::start(|_, _| HttpResponse::NotFound().finish()).await;
    let f = fixture(&jira, 0);
    assert_eq!(
        f.app.find_user(&f.tenant, &account("gone")).await.unwrap(),
        None
    );
    jira.stop().await;
}

#[actix_web::test]
async fn display_names_ask_in_chunks_page_by_is_last_and_leave_out_app_accounts() {
    let jira = MockJira::start(|_, request: &Recorded| {
        let asked = request.query.matches("accountId=").count();
        if request.query.contains("startAt=0") && asked == BULK_USERS_PER_CALL {
            // A first page that says more follow.
            ok_json(json!({"startAt": 0, "maxResults": 1, "total": 2, "isLast": false,
                "values": [{"accountId": "p0", "displayName": "Person 0", "accountType": "atlassian"}]}))
        } else if asked == BULK_USERS_PER_CALL {
            ok_json(json!({"startAt": 1, "maxResults": 1, "total": 2, "isLast": true,
                "values": [{"accountId": "bot", "displayName": "An app", "accountType": "app"}]}))
        } else {
            ok_json(json!({"startAt": 0, "maxResults": 50, "total": 1, "isLast": true,
                "values": [{"accountId": "p50", "displayName": "Person 50", "accountType": "atlassian"}]}))
        }
    })
    .await;
    let f = fixture(&jira, 0);
    // 51 distinct ids (one repeated, one empty): two chunks, the first one paged.
    let mut ids: Vec<String> = (0..=50).map(|n| format!("p{n}")).collect();
    ids.push("p7".into());
    ids.push(String::new());

    let names = f.app.display_names(&f.tenant, &ids).await.unwrap();

    assert_eq!(
        names,
        HashMap::from([
            ("p0".to_owned(), "Person 0".to_owned()),
            ("p50".to_owned(), "Person 50".to_owned()),
        ])
    );
    let requests = jira.requests();
    assert_eq!(
        requests.len(),
        3,
        "two pages of the first chunk, one of the second"
    );
    assert!(requests.iter().all(|r| r.path == "/rest/api/3/user/bulk"));
    assert!(requests[1].query.contains("startAt=1"));
    requests.iter().for_each(assert_signed_for);
    assert!(
        f.app
            .display_names(&f.tenant, &[])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(jira.requests().len(), 3, "nobody to name: no request");
    jira.stop().await;
}
