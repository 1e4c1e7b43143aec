//! What a feed gets for each state of the saved token, with a real app state over a temp SQLite.

use diesel::prelude::*;

use super::*;
use crate::audit::Actor;
use crate::clock::Clock;
use crate::connect::tenants::{self, ClientKey, Installation};
use crate::crypto::MasterKey;
use crate::db::schema::jira_api_tokens;
use crate::jira::api_token::{JiraApiToken, JiraEmail};
use crate::jira::client::Pause;
use crate::jira::token_store::ValidatedToken;
use crate::settings::Settings;

const TOKEN: &str = "ATATT-alice-token";

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
    tenant: Tenant,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().display().to_string();
    let settings = Settings::from_lookup(|name| match name {
        "DATA_DIR" => Some(data_dir.clone()),
        _ => None,
    })
    .unwrap();
    let pool = db::connect(&settings.database_url, 2).unwrap();
    let master = MasterKey::from_bytes([3u8; 32]);
    let mut conn = pool.get().unwrap();
    tenants::record_installation(
        &mut conn,
        &Installation {
            client_key: ClientKey::parse("site-a").unwrap(),
            shared_secret_sealed: "v1.unused".to_owned(),
            base_url: url::Url::parse("https://site-a.atlassian.net").unwrap(),
            display_url: url::Url::parse("https://site-a.atlassian.net").unwrap(),
            product_type: "jira".to_owned(),
            oauth_client_id: None,
        },
        1_700_000_000,
    )
    .unwrap();
    let tenant = tenants::find_by_client_key(&mut conn, "site-a")
        .unwrap()
        .unwrap();
    drop(conn);
    let state = AppState::new(
        settings,
        pool,
        Clock::system(),
        &master.into(),
        Pause::real(),
    )
    .unwrap();
    Fixture {
        _dir: dir,
        state,
        tenant,
    }
}

fn alice() -> AccountId {
    AccountId::parse("712020:alice").unwrap()
}

fn save_token(fx: &Fixture) {
    let mut conn = fx.state.pool.get().unwrap();
    token_store::save(
        &mut conn,
        &fx.state.jira_tokens,
        &Actor {
            tenant_id: fx.tenant.id,
            account_id: alice(),
            ip: None,
        },
        &ValidatedToken {
            email: &JiraEmail::parse("alice@example.com").unwrap(),
            token: &JiraApiToken::parse(TOKEN).unwrap(),
            display_name: "Alice",
            validated_at: fx.state.clock.now(),
        },
    )
    .unwrap();
}

#[actix_web::test]
async fn without_a_saved_token_the_feed_is_told_to_save_one() {
    let fx = fixture();

    let err = credentials_for(&fx.state, &fx.tenant, &alice())
        .await
        .unwrap_err();

    assert!(matches!(err, CredentialsError::NotSaved));
    assert_eq!(
        err.to_string(),
        "No Jira API token saved: open BI Connector in Jira → Tokens → Jira API Token and save one."
    );
    let as_app_error = AppError::from(err);
    assert_eq!(
        as_app_error.status(),
        actix_web::http::StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn a_saved_token_comes_with_the_tenants_own_site() {
    let fx = fixture();
    save_token(&fx);

    let (site, creds) = credentials_for(&fx.state, &fx.tenant, &alice())
        .await
        .unwrap();

    assert_eq!(site.base_url().as_str(), "https://site-a.atlassian.net/");
    assert_eq!(creds.email, "alice@example.com");
    assert_eq!(creds.api_token.expose(), TOKEN);
}

#[actix_web::test]
async fn a_401_marks_the_token_invalid_and_the_feed_is_told_to_save_a_new_one() {
    let fx = fixture();
    save_token(&fx);
    let (_, creds) = credentials_for(&fx.state, &fx.tenant, &alice())
        .await
        .unwrap();

    let returned = note_jira_error(
        &fx.state,
        &fx.tenant,
        &alice(),
        &creds,
        JiraError::Unauthorized,
    )
    .await;

    assert_eq!(returned, JiraError::Unauthorized);
    let err = credentials_for(&fx.state, &fx.tenant, &alice())
        .await
        .unwrap_err();
    assert!(matches!(err, CredentialsError::Rejected));
    assert!(
        err.to_string()
            .starts_with("Your saved Jira API token was rejected by Jira; save a new one")
    );
}

#[actix_web::test]
async fn other_jira_errors_do_not_mark_the_token() {
    let fx = fixture();
    save_token(&fx);
    let (_, creds) = credentials_for(&fx.state, &fx.tenant, &alice())
        .await
        .unwrap();

    for err in [
        JiraError::Forbidden,
        JiraError::CaptchaChallenge { login_url: None },
        JiraError::Timeout,
        JiraError::RateLimited,
    ] {
        note_jira_error(&fx.state, &fx.tenant, &alice(), &creds, err).await;
    }

    assert!(
        credentials_for(&fx.state, &fx.tenant, &alice())
            .await
            .is_ok()
    );
}

#[actix_web::test]
async fn a_tampered_token_is_refused_cleanly() {
    let fx = fixture();
    save_token(&fx);
    let mut conn = fx.state.pool.get().unwrap();
    let sealed: String = jira_api_tokens::table
        .select(jira_api_tokens::token_sealed)
        .first(&mut conn)
        .unwrap();
    let mut chars: Vec<char> = sealed.chars().collect();
    let last = chars.len() - 3;
    chars[last] = if chars[last] == 'x' { 'y' } else { 'x' };
    diesel::update(jira_api_tokens::table)
        .set(jira_api_tokens::token_sealed.eq(chars.into_iter().collect::<String>()))
        .execute(&mut conn)
        .unwrap();
    drop(conn);

    let err = credentials_for(&fx.state, &fx.tenant, &alice())
        .await
        .unwrap_err();

    assert!(matches!(err, CredentialsError::Unreadable));
    assert_eq!(
        AppError::from(err).status(),
        actix_web::http::StatusCode::FORBIDDEN
    );
}
