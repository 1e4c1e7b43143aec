//! Signed installs: what is accepted, and every reason one is refused.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use time::Duration;

use super::*;
use crate::connect::jwt::common::*;
use crate::connect::jwt::test_fixtures::*;
use crate::connect::qsh::query_string_hash;
use rsa::pkcs8::LineEnding;

#[test]
fn a_valid_signed_install_token_is_accepted() {
    let token = sign_install_jwt(
        &keys().private_pem,
        KID,
        CLIENT_KEY,
        APP_URL,
        &install_qsh(),
        now() - Duration::seconds(5),
        Duration::minutes(3),
    )
    .unwrap();

    assert_eq!(install_kid(&token).unwrap(), KID);
    let claims = verify_install(&token).unwrap();

    assert_eq!(claims.iss, CLIENT_KEY);
    assert_eq!(claims.aud, vec![APP_URL.to_owned()]);
    assert_eq!(claims.qsh, install_qsh());
    assert_eq!((claims.iat, claims.exp), (at(-5), at(175)));
}

#[test]
fn a_pkcs1_public_key_pem_is_also_understood() {
    use rsa::pkcs1::EncodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    let public = rsa::RsaPublicKey::from_public_key_pem(&keys().public_pem).unwrap();
    let pkcs1 = public.to_pkcs1_pem(LineEnding::LF).unwrap();
    let token = install_token_with(|_| {});
    assert!(verify_install_jwt(&token, &pkcs1, APP_URL, CLIENT_KEY, &install_qsh(), now()).is_ok());
}

#[test]
fn the_audience_may_be_a_plain_string_with_a_trailing_slash_and_upper_case_scheme() {
    let token = install_token_with(|c| {
        c.insert("aud".into(), json!("HTTP://127.0.0.1:8080/"));
    });
    assert!(verify_install(&token).is_ok());
}

#[test]
fn audience_and_expected_base_url_are_compared_after_normalising_both() {
    let token = install_token_with(|c| {
        c.insert("aud".into(), json!(["https://BI.Example.COM:443/connect/"]));
    });
    let verify = |expected: &str| {
        verify_install_jwt(
            &token,
            &keys().public_pem,
            expected,
            CLIENT_KEY,
            &install_qsh(),
            now(),
        )
    };
    assert!(verify("https://bi.example.com/connect").is_ok());
    assert!(verify("HTTPS://bi.example.com/connect/").is_ok());
    assert_eq!(
        verify("https://bi.example.com/Connect"),
        Err(JwtError::WrongAudience)
    );
    assert_eq!(verify("not a url"), Err(JwtError::WrongAudience));
}

#[test]
fn an_hs256_signed_install_token_is_rejected() {
    let token = hs_token(Algorithm::HS256, SECRET, &install_claims());
    assert_eq!(
        install_kid(&token),
        Err(JwtError::WrongAlgorithm("HS256".into()))
    );
    assert_eq!(
        verify_install(&token),
        Err(JwtError::WrongAlgorithm("HS256".into()))
    );
}

#[test]
fn an_hs256_token_keyed_with_the_install_public_key_is_rejected() {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(KID.to_owned());
    let token = jsonwebtoken::encode(
        &header,
        &install_claims(),
        &EncodingKey::from_secret(keys().public_pem.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        verify_install(&token),
        Err(JwtError::WrongAlgorithm("HS256".into()))
    );
}

#[test]
fn other_rsa_algorithms_are_rejected_on_the_install_path() {
    for (alg, name) in [(Algorithm::RS512, "RS512"), (Algorithm::PS256, "PS256")] {
        let token = rs_token(alg, Some(KID), &keys().private_pem, &install_claims());
        assert_eq!(
            install_kid(&token),
            Err(JwtError::WrongAlgorithm(name.into()))
        );
        assert_eq!(
            verify_install(&token),
            Err(JwtError::WrongAlgorithm(name.into()))
        );
    }
}

#[test]
fn an_install_token_signed_with_another_key_is_a_bad_signature() {
    let token = rs_token(
        Algorithm::RS256,
        Some(KID),
        &other_keys().private_pem,
        &install_claims(),
    );
    assert_eq!(verify_install(&token), Err(JwtError::BadSignature));
}

#[test]
fn an_install_token_for_another_app_is_a_wrong_audience() {
    for aud in [
        json!(["https://evil.example.com"]),
        json!(["http://127.0.0.1:8080/other"]),
        json!(["http://127.0.0.1:8081"]),
        json!(["https://127.0.0.1:8080"]),
        json!("127.0.0.1:8080"),
    ] {
        let token = install_token_with(|c| {
            c.insert("aud".into(), aud.clone());
        });
        assert_eq!(
            verify_install(&token),
            Err(JwtError::WrongAudience),
            "{aud}"
        );
    }
}

#[test]
fn only_the_first_audience_entry_counts() {
    let token = install_token_with(|c| {
        c.insert("aud".into(), json!(["https://evil.example.com", APP_URL]));
    });
    assert_eq!(verify_install(&token), Err(JwtError::WrongAudience));
}

#[test]
fn an_install_token_without_audience_is_rejected() {
    for edit in [None, Some(json!([]))] {
        let token = install_token_with(|c| match edit {
            None => {
                c.remove("aud");
            }
            Some(aud) => {
                c.insert("aud".into(), aud);
            }
        });
        assert_eq!(verify_install(&token), Err(JwtError::MissingAudience));
    }
}

#[test]
fn an_install_token_from_another_tenant_is_a_wrong_issuer() {
    let token = install_token_with(|c| {
        c.insert("iss".into(), json!("jira:another-tenant"));
    });
    assert_eq!(verify_install(&token), Err(JwtError::WrongIssuer));
}

#[test]
fn an_install_token_for_another_callback_is_a_qsh_mismatch() {
    let token = install_token_with(|c| {
        c.insert(
            "qsh".into(),
            json!(query_string_hash("POST", "/lifecycle/uninstalled", "", &[])),
        );
    });
    assert_eq!(verify_install(&token), Err(JwtError::QshMismatch));
    let context = install_token_with(|c| {
        c.insert("qsh".into(), json!(CONTEXT_QSH));
    });
    assert_eq!(
        verify_install(&context),
        Err(JwtError::ContextQshNotAllowed)
    );
}

#[test]
fn an_expired_install_token_is_rejected() {
    let token = install_token_with(|c| {
        c.insert("iat".into(), json!(at(-600)));
        c.insert("exp".into(), json!(at(-420)));
    });
    assert_eq!(verify_install(&token), Err(JwtError::Expired));
}

#[test]
fn an_install_token_issued_too_long_ago_is_rejected_even_if_not_expired() {
    let token = install_token_with(|c| {
        c.insert("iat".into(), json!(at(-MAX_INSTALL_TOKEN_AGE_SECONDS - 1)));
        c.insert("exp".into(), json!(at(3600)));
    });
    assert_eq!(verify_install(&token), Err(JwtError::TooOld));
}

#[test]
fn an_install_token_without_kid_is_rejected() {
    let token = rs_token(
        Algorithm::RS256,
        None,
        &keys().private_pem,
        &install_claims(),
    );
    assert_eq!(install_kid(&token), Err(JwtError::MissingKid));
    assert_eq!(verify_install(&token), Err(JwtError::MissingKid));
}

#[test]
fn a_kid_that_walks_up_the_key_server_path_is_rejected() {
    for kid in ["../secrets", "connect/../../etc", "a/..", "..", "a..b"] {
        let token = rs_token(
            Algorithm::RS256,
            Some(kid),
            &keys().private_pem,
            &install_claims(),
        );
        assert_eq!(install_kid(&token), Err(JwtError::InvalidKid), "{kid}");
        assert_eq!(verify_install(&token), Err(JwtError::InvalidKid), "{kid}");
    }
}

#[test]
fn a_kid_with_odd_characters_or_shape_is_rejected() {
    let long = "k".repeat(MAX_KID_LEN + 1);
    for kid in [
        "",
        "/absolute",
        "a b",
        "a?x=1",
        "a#frag",
        "a%2e%2e",
        "a\\b",
        "host:443",
        "ké",
        "a\nb",
        "a//b",
        "a/./b",
        "trailing/",
        long.as_str(),
    ] {
        assert_eq!(validate_kid(kid), Err(JwtError::InvalidKid), "{kid:?}");
    }
    let token = rs_token(
        Algorithm::RS256,
        Some("https://evil.example.com/key"),
        &keys().private_pem,
        &install_claims(),
    );
    assert_eq!(install_kid(&token), Err(JwtError::InvalidKid));
}

#[test]
fn ordinary_kids_are_accepted() {
    for kid in [
        "connect/prod/3a2b1c",
        "micros/connect-install-keys/abc-123_DEF",
        "key.v2",
        &"k".repeat(MAX_KID_LEN),
    ] {
        assert_eq!(validate_kid(kid), Ok(()), "{kid}");
    }
}

#[test]
fn an_unusable_or_small_public_key_is_refused() {
    let token = install_token_with(|_| {});
    for pem in ["", "not a pem", keys().private_pem.as_str()] {
        assert_eq!(
            verify_install_jwt(&token, pem, APP_URL, CLIENT_KEY, &install_qsh(), now()),
            Err(JwtError::BadKey)
        );
    }
    let small = generate(1024);
    let small_token = rs_token(
        Algorithm::RS256,
        Some(KID),
        &small.private_pem,
        &install_claims(),
    );
    assert_eq!(
        verify_install_jwt(
            &small_token,
            &small.public_pem,
            APP_URL,
            CLIENT_KEY,
            &install_qsh(),
            now()
        ),
        Err(JwtError::BadKey)
    );
}
