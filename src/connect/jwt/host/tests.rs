//! Jira host tokens: what is accepted, and every reason one is refused.

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use time::Duration;

use super::*;
use crate::connect::jwt::common::*;
use crate::connect::jwt::test_fixtures::*;
use crate::connect::qsh::query_string_hash;

#[test]
fn a_valid_host_token_is_accepted_and_its_claims_are_returned() {
    let token = sign_host_jwt(
        SECRET,
        CLIENT_KEY,
        Some(ACCOUNT_ID),
        PAGE_QSH,
        now() - Duration::seconds(10),
        Duration::minutes(3),
    )
    .unwrap();

    let claims = verify_host(&token).unwrap();

    assert_eq!(claims.iss, CLIENT_KEY);
    assert_eq!(claims.sub.as_deref(), Some(ACCOUNT_ID));
    assert_eq!(claims.qsh, PAGE_QSH);
    assert_eq!(claims.iat, at(-10));
    assert_eq!(claims.exp, at(170));
    assert_eq!(claims.context, Value::Null);
}

#[test]
fn a_host_token_without_sub_is_accepted_with_no_subject() {
    let token = sign_host_jwt(
        SECRET,
        CLIENT_KEY,
        None,
        PAGE_QSH,
        now(),
        Duration::minutes(3),
    )
    .unwrap();
    assert_eq!(verify_host(&token).unwrap().sub, None);
}

#[test]
fn the_jira_context_object_is_passed_through() {
    let context = json!({ "license": "none", "jira": { "project": { "key": "ABC" } } });
    let token = host_token_with(|c| {
        c.insert("context".into(), context.clone());
    });
    assert_eq!(verify_host(&token).unwrap().context, context);
}

#[test]
fn the_unverified_issuer_of_an_hs256_token_is_readable_for_tenant_lookup() {
    let token = host_token_with(|_| {});
    assert_eq!(unverified_hs256_issuer(&token).unwrap(), CLIENT_KEY);
}

#[test]
fn the_unverified_issuer_peek_refuses_other_algorithms_and_missing_issuers() {
    let rs = rs_token(Algorithm::RS256, None, &keys().private_pem, &host_claims());
    assert_eq!(
        unverified_hs256_issuer(&rs),
        Err(JwtError::WrongAlgorithm("RS256".into()))
    );
    let no_iss = host_token_with(|c| {
        c.remove("iss");
    });
    assert_eq!(
        unverified_hs256_issuer(&no_iss),
        Err(JwtError::MissingIssuer)
    );
    assert_eq!(unverified_hs256_issuer("abc.def"), Err(JwtError::Malformed));
}

#[test]
fn an_alg_none_token_is_rejected_on_the_host_path() {
    let header = b64_json(&json!({ "alg": "none", "typ": "JWT" }));
    let payload = b64_json(&host_claims());
    let token = format!("{header}.{payload}.");

    assert_eq!(
        verify_host(&token),
        Err(JwtError::WrongAlgorithm("none".into()))
    );
    assert_eq!(
        unverified_hs256_issuer(&token),
        Err(JwtError::WrongAlgorithm("none".into()))
    );
}

#[test]
fn hs512_and_hs384_tokens_are_rejected_even_with_the_right_secret() {
    let hs512 = hs_token(Algorithm::HS512, SECRET, &host_claims());
    let hs384 = hs_token(Algorithm::HS384, SECRET, &host_claims());
    assert_eq!(
        verify_host(&hs512),
        Err(JwtError::WrongAlgorithm("HS512".into()))
    );
    assert_eq!(
        verify_host(&hs384),
        Err(JwtError::WrongAlgorithm("HS384".into()))
    );
}

#[test]
fn an_rs256_signed_token_is_rejected_on_the_host_path() {
    let token = rs_token(
        Algorithm::RS256,
        Some(KID),
        &keys().private_pem,
        &host_claims(),
    );
    assert_eq!(
        verify_host(&token),
        Err(JwtError::WrongAlgorithm("RS256".into()))
    );
}

#[test]
fn a_token_signed_with_the_public_key_pem_as_hmac_secret_is_a_bad_signature() {
    let token = hs_token(
        Algorithm::HS256,
        keys().public_pem.as_bytes(),
        &host_claims(),
    );
    assert_eq!(verify_host(&token), Err(JwtError::BadSignature));
}

#[test]
fn a_token_signed_with_another_secret_is_a_bad_signature() {
    let token = hs_token(Algorithm::HS256, b"someone-elses-secret", &host_claims());
    assert_eq!(verify_host(&token), Err(JwtError::BadSignature));
}

#[test]
fn an_edited_payload_is_a_bad_signature() {
    let genuine = host_token_with(|_| {});
    let forged_payload = b64_json(&json!({
        "iss": CLIENT_KEY, "sub": "admin", "iat": at(-10), "exp": at(170), "qsh": PAGE_QSH,
    }));
    let parts: Vec<&str> = genuine.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
    assert_eq!(verify_host(&forged), Err(JwtError::BadSignature));
}

#[test]
fn an_empty_shared_secret_is_refused_as_a_bad_key() {
    let token = host_token_with(|_| {});
    assert_eq!(
        verify_host_jwt(&token, b"", PAGE_QSH, now()),
        Err(JwtError::BadKey)
    );
}

#[test]
fn a_token_expired_beyond_the_leeway_is_rejected() {
    let token = host_token_with(|c| {
        c.insert("iat".into(), json!(at(-600)));
        c.insert("exp".into(), json!(at(-LEEWAY_SECONDS - 1)));
    });
    assert_eq!(verify_host(&token), Err(JwtError::Expired));
}

#[test]
fn a_token_expiring_exactly_at_the_leeway_edge_is_rejected() {
    let token = host_token_with(|c| {
        c.insert("iat".into(), json!(at(-600)));
        c.insert("exp".into(), json!(at(-LEEWAY_SECONDS)));
    });
    assert_eq!(verify_host(&token), Err(JwtError::Expired));
}

#[test]
fn a_token_expired_within_the_leeway_is_accepted() {
    let token = host_token_with(|c| {
        c.insert("iat".into(), json!(at(-600)));
        c.insert("exp".into(), json!(at(-LEEWAY_SECONDS + 1)));
    });
    assert!(verify_host(&token).is_ok());
}

#[test]
fn a_token_without_exp_is_rejected() {
    let token = host_token_with(|c| {
        c.remove("exp");
    });
    assert_eq!(verify_host(&token), Err(JwtError::MissingExp));
}

#[test]
fn a_token_without_iat_is_rejected() {
    let token = host_token_with(|c| {
        c.remove("iat");
    });
    assert_eq!(verify_host(&token), Err(JwtError::MissingIat));
}

#[test]
fn a_token_issued_far_in_the_future_is_rejected() {
    let token = host_token_with(|c| {
        c.insert("iat".into(), json!(at(3600)));
        c.insert("exp".into(), json!(at(3780)));
    });
    assert_eq!(verify_host(&token), Err(JwtError::IssuedInFuture));
}

#[test]
fn a_token_issued_slightly_in_the_future_within_the_leeway_is_accepted() {
    let token = host_token_with(|c| {
        c.insert("iat".into(), json!(at(LEEWAY_SECONDS)));
    });
    assert!(verify_host(&token).is_ok());
}

#[test]
fn a_token_not_valid_before_a_future_time_is_rejected() {
    let token = host_token_with(|c| {
        c.insert("nbf".into(), json!(at(120)));
    });
    assert_eq!(verify_host(&token), Err(JwtError::NotYetValid));
}

#[test]
fn a_token_expiring_before_it_was_issued_is_rejected() {
    let token = host_token_with(|c| {
        c.insert("iat".into(), json!(at(20)));
        c.insert("exp".into(), json!(at(10)));
    });
    assert_eq!(verify_host(&token), Err(JwtError::ExpiresBeforeIssued));
}

#[test]
fn time_claims_that_are_not_whole_numbers_are_malformed() {
    let token = host_token_with(|c| {
        c.insert("exp".into(), json!(at(170).to_string()));
    });
    assert_eq!(verify_host(&token), Err(JwtError::Malformed));
}

#[test]
fn a_token_for_another_request_is_a_qsh_mismatch() {
    let other_qsh = query_string_hash("GET", "/app/tokens/access", "", &[]);
    let token = host_token_with(|c| {
        c.insert("qsh".into(), json!(other_qsh));
    });
    assert_eq!(verify_host(&token), Err(JwtError::QshMismatch));
}

#[test]
fn a_token_without_qsh_is_rejected() {
    let token = host_token_with(|c| {
        c.remove("qsh");
    });
    assert_eq!(verify_host(&token), Err(JwtError::MissingQsh));
}

#[test]
fn a_context_jwt_is_rejected_on_the_host_path() {
    let token = host_token_with(|c| {
        c.insert("qsh".into(), json!(CONTEXT_QSH));
    });
    assert_eq!(verify_host(&token), Err(JwtError::ContextQshNotAllowed));
}

#[test]
fn a_token_without_iss_is_rejected() {
    let token = host_token_with(|c| {
        c.remove("iss");
    });
    assert_eq!(verify_host(&token), Err(JwtError::MissingIssuer));
}

#[test]
fn tokens_that_are_not_three_segments_or_have_garbage_headers_are_malformed() {
    let genuine = host_token_with(|_| {});
    for token in [
        String::new(),
        "abc".to_owned(),
        "abc.def".to_owned(),
        format!("{genuine}.extra"),
        format!(".{}", genuine.split_once('.').unwrap().1),
        format!("!!!.{}", genuine.split_once('.').unwrap().1),
        format!(
            "{}.{}",
            b64_json(&json!(["not", "an", "object"])),
            genuine.split_once('.').unwrap().1
        ),
    ] {
        assert_eq!(verify_host(&token), Err(JwtError::Malformed), "{token}");
    }
}

#[test]
fn an_oversized_token_is_refused_before_parsing() {
    let token = "a".repeat(MAX_TOKEN_BYTES + 1);
    assert_eq!(verify_host(&token), Err(JwtError::TooLarge));
    assert_eq!(unverified_hs256_issuer(&token), Err(JwtError::TooLarge));
}

#[test]
fn the_algorithm_name_is_matched_exactly() {
    let header = b64_json(&json!({ "alg": "hs256", "typ": "JWT" }));
    let rest = host_token_with(|_| {});
    let token = format!("{header}.{}", rest.split_once('.').unwrap().1);
    assert_eq!(
        verify_host(&token),
        Err(JwtError::WrongAlgorithm("hs256".into()))
    );
}

#[test]
fn a_header_with_critical_extensions_is_refused() {
    let header = b64_json(&json!({ "alg": "HS256", "crit": ["b64"], "b64": false }));
    let rest = host_token_with(|_| {});
    let token = format!("{header}.{}", rest.split_once('.').unwrap().1);
    assert_eq!(verify_host(&token), Err(JwtError::Malformed));
}

#[test]
fn an_odd_algorithm_name_is_never_echoed_into_logs() {
    let header = b64_json(&json!({ "alg": "<script>\nalert(1)" }));
    let token = format!("{header}.{}.", b64_json(&host_claims()));
    let err = verify_host(&token).unwrap_err();
    assert_eq!(err, JwtError::WrongAlgorithm("(unrecognised)".into()));
    assert!(!err.to_string().contains("script"));
}
