//! The app calling Jira *as itself*: `Authorization: JWT <token>`, HS256 under the shared secret
//! the site sent the app in its last `installed` callback, `iss` = the installed app's key, `qsh`
//! = the hash of the request as received here (method, path, query; a body is not hashed), and
//! `exp` checked against the emulator's clock (no leeway beyond [`LEEWAY_SECONDS`]). Any failure
//! is Jira's 401. Read from `connect-auth.md` (qsh, "JWT" scheme); the emulator's own qsh code.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::auth::{AuthError, JiraUser};
use super::qsh;
use super::state::SiteCtx;
use super::stats::Event;

/// Clock skew tolerated on `exp` and `iat`.
pub(crate) const LEEWAY_SECONDS: i64 = 30;

/// Who is calling a REST endpoint that the app may call as itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Caller {
    /// The app's own user (an app JWT).
    App,
    /// A person, by HTTP Basic.
    User(usize),
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    iat: i64,
    exp: i64,
    qsh: String,
}

/// Why an app JWT was refused (for the log line; the answer is always the same 401).
fn verify(ctx: &SiteCtx, req: &HttpRequest, token: &str) -> Result<(), &'static str> {
    let (key, secret) = {
        let state = ctx.site().install_state();
        match (&state.descriptor, &state.shared_secret, state.installed) {
            (Some(descriptor), Some(secret), true) => {
                (descriptor.key.clone(), secret.expose().to_owned())
            }
            _ => return Err("the app is not installed on this site"),
        }
    };
    let mut validation = Validation::new(Algorithm::HS256);
    // exp is checked below against the emulator's clock, not the system's.
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .map_err(|_| "signature or claims invalid")?
    .claims;
    if claims.iss != key {
        return Err("iss is not the installed app's key");
    }
    let now = ctx.shared.clock.now_unix();
    if claims.exp + LEEWAY_SECONDS < now {
        return Err("expired");
    }
    if claims.iat > now + LEEWAY_SECONDS || claims.iat > claims.exp {
        return Err("iat in the future");
    }
    let params = qsh::parse_query(req.query_string());
    let expected = qsh::hash(req.method().as_str(), req.path(), "", &params);
    if !crate::crypto::constant_time_eq(expected.as_bytes(), claims.qsh.as_bytes()) {
        return Err("qsh does not match the request");
    }
    Ok(())
}

impl FromRequest for Caller {
    type Error = AuthError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let Some(ctx) = req.app_data::<web::Data<SiteCtx>>() else {
            return ready(Err(AuthError::Misconfigured));
        };
        let header = req
            .headers()
            .get("Authorization")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let Some(token) = header
            .split_once(' ')
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("jwt"))
            .map(|(_, token)| token.trim().to_owned())
        else {
            return match JiraUser::from_request(req, payload).into_inner() {
                Ok(user) => ready(Ok(Caller::User(user.user))),
                Err(err) => ready(Err(err)),
            };
        };
        match verify(ctx, req, &token) {
            Ok(()) => ready(Ok(Caller::App)),
            Err(reason) => {
                tracing::info!(reason, path = req.path(), "app JWT rejected");
                ctx.shared.stats.record(Event::AuthFailure);
                ready(Err(AuthError::Unauthenticated))
            }
        }
    }
}
