//! Session tokens: round trips, renewals, maximum age, and never a Jira token in their place.

use jsonwebtoken::Algorithm;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::connect::jwt::common::*;
use crate::connect::jwt::test_fixtures::*;
use crate::connect::jwt::verify_host_jwt;

fn session_token() -> String {
    sign_session_token(
        &SESSION_KEY,
        CLIENT_KEY,
        ACCOUNT_ID,
        now(),
        Duration::minutes(15),
    )
    .unwrap()
}

#[test]
fn a_session_token_round_trips() {
    let claims = verify_session_token(&SESSION_KEY, &session_token(), now(), MAX_AGE).unwrap();
    assert_eq!(
        claims,
        SessionClaims {
            client_key: CLIENT_KEY.to_owned(),
            account_id: ACCOUNT_ID.to_owned(),
            iat: at(0),
            exp: at(15 * 60),
            auth_time: at(0),
        }
    );
}

#[test]
fn a_session_token_with_a_flipped_signature_character_is_rejected() {
    let token = flip_char(&session_token(), 2, 5);
    assert_eq!(
        verify_session_token(&SESSION_KEY, &token, now(), MAX_AGE),
        Err(JwtError::BadSignature)
    );
}

#[test]
fn a_session_token_with_a_flipped_payload_character_is_rejected() {
    let token = flip_char(&session_token(), 1, 10);
    assert_eq!(
        verify_session_token(&SESSION_KEY, &token, now(), MAX_AGE),
        Err(JwtError::BadSignature)
    );
}

#[test]
fn a_session_token_for_another_user_cannot_be_forged_by_swapping_the_payload() {
    let genuine = session_token();
    let parts: Vec<&str> = genuine.split('.').collect();
    let forged_payload = b64_json(&json!({
        "iss": SESSION_ISSUER, "typ": SESSION_TOKEN_TYPE, "tnt": CLIENT_KEY,
        "sub": "someone-else", "iat": at(0), "exp": at(900),
    }));
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_eq!(
        verify_session_token(&SESSION_KEY, &forged, now(), MAX_AGE),
        Err(JwtError::BadSignature)
    );
}

#[test]
fn an_expired_session_token_says_expired() {
    let later = now() + Duration::minutes(15) + Duration::seconds(LEEWAY_SECONDS);
    assert_eq!(
        verify_session_token(&SESSION_KEY, &session_token(), later, MAX_AGE),
        Err(JwtError::Expired)
    );
}

/// A token renewed at `renewed` (fresh for 15 minutes) of a session that began at `began`.
fn renewed_session_token(began: OffsetDateTime, renewed: OffsetDateTime) -> String {
    sign_session_token_since(
        &SESSION_KEY,
        CLIENT_KEY,
        ACCOUNT_ID,
        began.unix_timestamp(),
        renewed,
        Duration::minutes(15),
    )
    .unwrap()
}

#[test]
fn a_renewed_session_token_keeps_the_time_the_session_began() {
    let began = now() - Duration::hours(2);
    let claims = verify_session_token(
        &SESSION_KEY,
        &renewed_session_token(began, now()),
        now(),
        MAX_AGE,
    )
    .unwrap();
    assert_eq!(claims.auth_time, began.unix_timestamp());
    assert_eq!(claims.iat, at(0));
}

#[test]
fn a_freshly_renewed_token_is_refused_once_its_session_is_older_than_the_maximum() {
    let began = now() - MAX_AGE;
    let just_renewed = renewed_session_token(began, now());
    assert_eq!(
        verify_session_token(&SESSION_KEY, &just_renewed, now(), MAX_AGE),
        Err(JwtError::SessionTooOld)
    );
    let a_second_younger = renewed_session_token(began + Duration::seconds(1), now());
    assert!(verify_session_token(&SESSION_KEY, &a_second_younger, now(), MAX_AGE).is_ok());
    assert_eq!(
        verify_session_token(
            &SESSION_KEY,
            &a_second_younger,
            now() + Duration::seconds(1),
            MAX_AGE
        ),
        Err(JwtError::SessionTooOld)
    );
}

#[test]
fn a_session_token_without_a_start_time_or_starting_in_the_future_is_refused() {
    let no_start = hs_token(
        Algorithm::HS256,
        &SESSION_KEY,
        &json!({ "iss": SESSION_ISSUER, "typ": SESSION_TOKEN_TYPE, "tnt": CLIENT_KEY,
                 "sub": ACCOUNT_ID, "iat": at(0), "exp": at(900) }),
    );
    assert_eq!(
        verify_session_token(&SESSION_KEY, &no_start, now(), MAX_AGE),
        Err(JwtError::MissingAuthTime)
    );
    let future = renewed_session_token(now() + Duration::minutes(5), now());
    assert_eq!(
        verify_session_token(&SESSION_KEY, &future, now(), MAX_AGE),
        Err(JwtError::IssuedInFuture)
    );
}

#[test]
fn a_session_names_its_tenant_expired_or_not_but_only_when_it_is_ours() {
    assert_eq!(
        session_token_tenant(&SESSION_KEY, &session_token()).as_deref(),
        Ok(CLIENT_KEY)
    );
    let forged = flip_char(&session_token(), 1, 10);
    assert_eq!(
        session_token_tenant(&SESSION_KEY, &forged),
        Err(JwtError::BadSignature)
    );
    assert!(session_token_tenant(&[8u8; 32], &session_token()).is_err());
}

#[test]
fn a_session_token_signed_with_another_key_is_rejected() {
    let token = sign_session_token(
        &[8u8; 32],
        CLIENT_KEY,
        ACCOUNT_ID,
        now(),
        Duration::minutes(15),
    )
    .unwrap();
    assert_eq!(
        verify_session_token(&SESSION_KEY, &token, now(), MAX_AGE),
        Err(JwtError::BadSignature)
    );
}

#[test]
fn a_jira_host_token_is_not_accepted_as_a_session_token() {
    let token = host_token_with(|_| {});
    assert_eq!(
        verify_session_token(&SESSION_KEY, &token, now(), MAX_AGE),
        Err(JwtError::BadSignature)
    );
}

#[test]
fn a_jira_shaped_token_under_the_session_key_is_still_not_a_session_token() {
    let jira_shaped = hs_token(Algorithm::HS256, &SESSION_KEY, &host_claims());
    assert_eq!(
        verify_session_token(&SESSION_KEY, &jira_shaped, now(), MAX_AGE),
        Err(JwtError::WrongIssuer)
    );
    let untyped = hs_token(
        Algorithm::HS256,
        &SESSION_KEY,
        &json!({ "iss": SESSION_ISSUER, "tnt": CLIENT_KEY, "sub": ACCOUNT_ID,
                 "iat": at(0), "exp": at(900) }),
    );
    assert_eq!(
        verify_session_token(&SESSION_KEY, &untyped, now(), MAX_AGE),
        Err(JwtError::WrongTokenType)
    );
}

#[test]
fn a_session_token_is_not_accepted_as_a_jira_host_token() {
    assert_eq!(
        verify_host_jwt(&session_token(), &SESSION_KEY, PAGE_QSH, now()),
        Err(JwtError::MissingQsh)
    );
    assert_eq!(
        verify_host_jwt(&session_token(), SECRET, PAGE_QSH, now()),
        Err(JwtError::BadSignature)
    );
}

#[test]
fn a_session_token_with_another_algorithm_is_rejected() {
    let claims = json!({
        "iss": SESSION_ISSUER, "typ": SESSION_TOKEN_TYPE, "tnt": CLIENT_KEY,
        "sub": ACCOUNT_ID, "iat": at(0), "exp": at(900),
    });
    let token = hs_token(Algorithm::HS512, &SESSION_KEY, &claims);
    assert_eq!(
        verify_session_token(&SESSION_KEY, &token, now(), MAX_AGE),
        Err(JwtError::WrongAlgorithm("HS512".into()))
    );
}

#[test]
fn session_tokens_need_a_tenant_a_user_and_a_positive_lifetime() {
    let sign = |client: &str, account: &str, ttl: Duration| {
        sign_session_token(&SESSION_KEY, client, account, now(), ttl)
    };
    assert!(matches!(
        sign("", ACCOUNT_ID, Duration::minutes(1)),
        Err(JwtError::InvalidInput(_))
    ));
    assert!(matches!(
        sign(CLIENT_KEY, "", Duration::minutes(1)),
        Err(JwtError::InvalidInput(_))
    ));
    assert!(matches!(
        sign(CLIENT_KEY, ACCOUNT_ID, Duration::ZERO),
        Err(JwtError::InvalidInput(_))
    ));
    let no_tenant = hs_token(
        Algorithm::HS256,
        &SESSION_KEY,
        &json!({ "iss": SESSION_ISSUER, "typ": SESSION_TOKEN_TYPE, "sub": ACCOUNT_ID,
                 "iat": at(0), "exp": at(900) }),
    );
    assert_eq!(
        verify_session_token(&SESSION_KEY, &no_tenant, now(), MAX_AGE),
        Err(JwtError::MissingTenant)
    );
    let no_user = hs_token(
        Algorithm::HS256,
        &SESSION_KEY,
        &json!({ "iss": SESSION_ISSUER, "typ": SESSION_TOKEN_TYPE, "tnt": CLIENT_KEY,
                 "iat": at(0), "exp": at(900) }),
    );
    assert_eq!(
        verify_session_token(&SESSION_KEY, &no_user, now(), MAX_AGE),
        Err(JwtError::MissingSubject)
    );
}
