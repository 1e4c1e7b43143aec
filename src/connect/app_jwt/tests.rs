use std::collections::HashSet;

use jsonwebtoken::{DecodingKey, Validation};
use time::OffsetDateTime;

use super::*;

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
        .collect()
}

fn decode(token: &str, secret: &[u8]) -> AppClaims {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<AppClaims>(token, &DecodingKey::from_secret(secret), &validation)
        .unwrap()
        .claims
}

#[test]
fn qsh_of_the_calls_matches_atlassians_published_vectors() {
    let check = OutgoingRequest {
        method: "POST",
        path: "/rest/api/3/permissions/check",
        query: &[],
    };
    assert_eq!(
        check.qsh(),
        "f376e8d4bd28bfbf285b9f7344dc08f1fbaa95eb13c4f4decdc9331ac60f6cf1"
    );
    let groups = params(&[("accountId", "5b10ac8d82e05b22cc7d4ef5")]);
    let request = OutgoingRequest {
        method: "GET",
        path: "/rest/api/3/user/groups",
        query: &groups,
    };
    assert_eq!(
        request.qsh(),
        "aa9dac64ddeb0a771b789fdfa7e23478611f241824c7c93101c1c9b010917a84"
    );
    // A `:` in the accountId is hashed as %3A.
    let colon = params(&[("accountId", "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077")]);
    let request = OutgoingRequest {
        method: "get",
        path: "/rest/api/3/user/groups",
        query: &colon,
    };
    assert_eq!(
        request.qsh(),
        "f6accdee41e499a893b014af375eaa7efa0e3df690a693e0e49250673a762c8b"
    );
}

#[test]
fn the_token_carries_the_app_key_the_site_the_qsh_and_a_three_minute_expiry() {
    let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    let request = OutgoingRequest {
        method: "POST",
        path: "/rest/api/3/permissions/check",
        query: &[],
    };
    let client_key = "jira:00000000-0000-0000-0000-000000000000";
    let token = sign_app_jwt(
        "com.example.jira-bi",
        client_key,
        b"test-shared-secret",
        &request,
        now,
    )
    .unwrap();
    // Atlassian's full vector (connect-app-calls-and-admin.md §1.2): the same claims.
    assert_eq!(
        decode(&token, b"test-shared-secret"),
        AppClaims {
            iss: "com.example.jira-bi".into(),
            iat: 1_700_000_000,
            exp: 1_700_000_180,
            qsh: "f376e8d4bd28bfbf285b9f7344dc08f1fbaa95eb13c4f4decdc9331ac60f6cf1".into(),
            aud: vec![client_key.into()],
        }
    );
    // Same header bytes and claim order as atlassian-jwt's encodeSymmetric: the same token.
    assert!(
        token.ends_with("7tA0REshi6YoXRCwzBqwGzKVpdcqOJd0xMVLU5Z9UG0"),
        "{token}"
    );
}

#[test]
fn the_token_verifies_only_under_the_tenants_secret() {
    let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    let request = OutgoingRequest {
        method: "GET",
        path: "/rest/api/3/groups/picker",
        query: &[],
    };
    let token = sign_app_jwt("app", "site", b"right", &request, now).unwrap();
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims = HashSet::new();
    validation.validate_exp = false;
    validation.validate_aud = false;
    assert!(
        jsonwebtoken::decode::<AppClaims>(&token, &DecodingKey::from_secret(b"wrong"), &validation)
            .is_err()
    );
}

#[test]
fn an_empty_secret_or_app_key_is_refused() {
    let now = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
    let request = OutgoingRequest {
        method: "GET",
        path: "/",
        query: &[],
    };
    assert_eq!(
        sign_app_jwt("app", "site", b"", &request, now),
        Err(JwtError::BadKey)
    );
    assert!(matches!(
        sign_app_jwt("", "site", b"s", &request, now),
        Err(JwtError::InvalidInput(_))
    ));
}
