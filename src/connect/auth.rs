//! Who is asking, for every Jira-originated request. Two route classes, two extractors:
//! [`PageLoad`] accepts only Jira's HS256 page JWT with the computed qsh (declared module URLs),
//! and [`JiraUser`] accepts only our own short-lived session token, which every page hands to
//! its links and forms. Neither reads a cookie, so cross-site requests carry no credential and
//! CSRF is impossible by construction.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::connect::jwt::{self, JwtError};
use crate::connect::qsh;
use crate::connect::tenants::{self, Tenant};
use crate::db;
use crate::error::AppError;
use crate::ids::AccountId;
use crate::pages::PageError;
use crate::state::AppState;

/// A Jira user of an installed site, as proven by a Jira JWT or our session token.
#[derive(Clone, Debug)]
pub struct JiraUser {
    pub tenant: Tenant,
    pub account_id: AccountId,
    /// When this session began (unix seconds): the `iat` of the Jira page JWT that opened it.
    /// Every renewed session token carries it, so `SESSION_MAX_MINUTES` bounds the session.
    pub session_began: i64,
}

impl JiraUser {
    /// A fresh session token for links and forms on the page being rendered; the session keeps
    /// the time it began.
    pub fn session_token(&self, state: &AppState) -> Result<String, AppError> {
        jwt::sign_session_token_since(
            &state.session_key,
            self.tenant.client_key.as_str(),
            self.account_id.as_str(),
            self.session_began,
            state.clock.now(),
            state.settings.session_ttl,
        )
        .map_err(|e| AppError::internal(format!("signing a session token: {e}")))
    }
}

/// Where a Jira JWT arrived. Exactly one location is accepted.
pub fn jira_jwt_from_request(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let from_query = qsh::parse_params(req.query_string())
        .into_iter()
        .filter(|(name, _)| name == "jwt")
        .map(|(_, value)| value)
        .collect::<Vec<_>>();
    let from_header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("JWT "))
        .map(|v| v.trim().to_owned());
    match (from_query.as_slice(), from_header) {
        ([], None) => Ok(None),
        ([token], None) => Ok(Some(token.clone())),
        ([], Some(token)) => Ok(Some(token)),
        _ => Err(AppError::Unauthorized(
            "The request carries more than one Jira token.".into(),
        )),
    }
}

/// Verifies a Jira HS256 JWT for this request (tenant by `iss`, computed qsh) and returns the
/// tenant with the verified claims. Rejections are logged with the reason and canonical request.
pub async fn verify_jira_request(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    token: &str,
) -> Result<(Tenant, jwt::HostClaims), AppError> {
    let rejected = |reason: &dyn std::fmt::Display| {
        tracing::warn!(
            auth.reason = %reason,
            http.path = %req.path(),
            "Jira JWT rejected"
        );
        AppError::Unauthorized(
            "This page must be opened from Jira. Reload the page in Jira to continue.".into(),
        )
    };
    let issuer = jwt::unverified_hs256_issuer(token).map_err(|e| rejected(&e))?;
    let lookup = issuer.clone();
    let tenant = db::run(&state.pool, move |conn| {
        tenants::find_by_client_key(conn, &lookup)
    })
    .await?
    .ok_or_else(|| rejected(&"unknown issuer"))?;
    if !tenant.installed {
        return Err(rejected(&"tenant is uninstalled"));
    }
    let secret = tenant.shared_secret(&state.tenant_secrets)?;
    let params = qsh::parse_params(req.query_string());
    let canonical = qsh::canonical_request(
        req.method().as_str(),
        req.path(),
        state.settings.base_path(),
        &params,
    );
    let expected_qsh = qsh::hash_canonical(&canonical);
    match jwt::verify_host_jwt(
        token,
        secret.expose().as_bytes(),
        &expected_qsh,
        state.clock.now(),
    ) {
        Ok(claims) if claims.iss == tenant.client_key.as_str() => Ok((tenant, claims)),
        Ok(_) => Err(rejected(&"issuer changed between lookup and verification")),
        Err(err @ JwtError::QshMismatch) => {
            // The canonical request holds percent-decoded query values: logged escaped.
            tracing::warn!(auth.canonical_request = ?canonical, "qsh mismatch");
            Err(rejected(&err))
        }
        Err(err) => Err(rejected(&err)),
    }
}

/// A page load from Jira (a module URL declared in the descriptor).
pub struct PageLoad(pub JiraUser);

impl FromRequest for PageLoad {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            let token = jira_jwt_from_request(&req)?.ok_or_else(|| {
                AppError::Unauthorized("This page must be opened from Jira's Apps menu.".into())
            })?;
            let (tenant, claims) = verify_jira_request(&state, &req, &token).await?;
            if !tenant.enabled {
                return Err(AppError::Forbidden(
                    "BI Connector is disabled on this Jira site. Ask a Jira admin to enable it."
                        .into(),
                )
                .into());
            }
            let account_id = claims
                .sub
                .as_deref()
                .map(AccountId::parse)
                .transpose()
                .map_err(AppError::Unauthorized)?
                .ok_or_else(|| {
                    AppError::Unauthorized("Log in to Jira to use BI Connector.".into())
                })?;
            // Jira's clock may run a little ahead of ours (the JWT leeway): never start later
            // than now.
            let session_began = claims.iat.min(state.clock.now().unix_timestamp());
            Ok(PageLoad(JiraUser {
                tenant,
                account_id,
                session_began,
            }))
        })
    }
}

/// The in-app session token: `session` query parameter (links and form actions) or
/// `Authorization: Bearer` (scripts).
fn session_token_from_request(req: &HttpRequest) -> Option<String> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|v| v.trim().to_owned());
    header.or_else(|| {
        qsh::parse_params(req.query_string())
            .into_iter()
            .find(|(name, _)| name == "session")
            .map(|(_, value)| value)
    })
}

impl FromRequest for JiraUser {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            let token = session_token_from_request(&req).ok_or(AppError::SessionExpired)?;
            let claims = match jwt::verify_session_token(
                &state.session_key,
                &token,
                state.clock.now(),
                state.settings.session_max,
            ) {
                Ok(claims) => claims,
                Err(JwtError::Expired) => {
                    remember_expired_session(&state, &req, &token).await;
                    return Err(AppError::SessionExpired.into());
                }
                // Past SESSION_MAX_MINUTES (or issued before sessions had a start time): the
                // user reloads Jira's page, which opens a new session.
                Err(err @ (JwtError::SessionTooOld | JwtError::MissingAuthTime)) => {
                    tracing::info!(auth.reason = %err, "session ended at its maximum lifetime");
                    remember_expired_session(&state, &req, &token).await;
                    return Err(AppError::SessionExpired.into());
                }
                Err(err) => {
                    tracing::warn!(auth.reason = %err, http.path = %req.path(), "session token rejected");
                    return Err(AppError::Unauthorized(
                        "This page must be opened from Jira. Reload the page in Jira to continue."
                            .into(),
                    )
                    .into());
                }
            };
            let client_key = claims.client_key.clone();
            let tenant = db::run(&state.pool, move |conn| {
                tenants::find_by_client_key(conn, &client_key)
            })
            .await?
            .filter(Tenant::is_active)
            .ok_or_else(|| {
                AppError::Unauthorized(
                    "BI Connector is not installed or not enabled on this Jira site.".into(),
                )
            })?;
            let account_id =
                AccountId::parse(&claims.account_id).map_err(AppError::Unauthorized)?;
            let user = JiraUser {
                tenant,
                account_id,
                session_began: claims.auth_time,
            };
            // Error pages find the user here, to keep the menu.
            req.extensions_mut().insert(user.clone());
            Ok(user)
        })
    }
}

/// The site of a session that expired (signature, issuer and type still valid): its error page
/// loads that site's `all.js`, so Jira shows the frame and the Reload button can reload Jira.
#[derive(Clone, Debug)]
pub struct ExpiredSession {
    pub tenant: Tenant,
}

async fn remember_expired_session(state: &web::Data<AppState>, req: &HttpRequest, token: &str) {
    let Ok(client_key) = jwt::session_token_tenant(&state.session_key, token) else {
        return;
    };
    let found = db::run(&state.pool, move |conn| {
        tenants::find_by_client_key(conn, &client_key)
    })
    .await;
    if let Ok(Some(tenant)) = found
        && tenant.is_active()
    {
        req.extensions_mut().insert(ExpiredSession { tenant });
    }
}

/// The shared application state, for extractors.
pub fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("application state missing"))
}
