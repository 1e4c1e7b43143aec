//! Who is asking, for page routes. Two extractors: [`PageLoad`] accepts only Jira's HS256 page
//! JWT with the computed qsh (declared module URLs, verified by [`crate::connect::auth`]), and
//! [`JiraUser`] accepts only our own short-lived session token, which every page hands to its
//! links and forms. Neither reads a cookie, so cross-site requests carry no credential and CSRF
//! is impossible by construction. They live with the pages because their failures render as
//! pages ([`PageError`]).

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use crate::app_access::check::may_use;
use crate::app_access::policy::DENIED_MESSAGE;
use crate::connect::auth::{jira_jwt_from_request, verify_jira_request};
use crate::connect::jwt::JwtError;
use crate::connect::qsh;
use crate::connect::tenants::{self, Tenant};
use crate::db;
use crate::error::AppError;
use crate::ids::AccountId;
use crate::pages::error_page::PageError;
use crate::pages::session::{ExpiredSession, JiraUser};
use crate::pages::session_token;
use crate::pages::warnings::Warnings;
use crate::state::{AppState, app_state};

/// A page load from Jira (a module URL declared in the descriptor).
pub struct PageLoad(pub JiraUser);

impl FromRequest for PageLoad {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            let token = jira_jwt_from_request(&req)
                .map_err(AppError::from)?
                .ok_or_else(|| {
                    AppError::Unauthorized("This page must be opened from Jira's Apps menu.".into())
                })?;
            let (tenant, claims) = verify_jira_request(&state, &req, &token)
                .await
                .map_err(AppError::from)?;
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
                warnings: Warnings::default(),
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

    /// The session's user, if the site's administrators let them use the app.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            let user = session_user(&state, &req).await?;
            if !may_use(&state.pool, &state.jira_app, &user.tenant, &user.account_id).await? {
                tracing::info!(
                    tenant.client_key = %user.tenant.client_key.as_str(),
                    "page refused: the site's administrators limited who may use the app"
                );
                // The page stands alone (no menu into what they cannot use), still in Jira's frame.
                req.extensions_mut().insert(ExpiredSession {
                    tenant: user.tenant.clone(),
                });
                return Err(AppError::Forbidden(DENIED_MESSAGE.to_owned()).into());
            }
            // Error pages find the user here, to keep the menu.
            req.extensions_mut().insert(user.clone());
            Ok(user)
        })
    }
}

/// The user of a valid session token, whoever the site lets use the app: the base of
/// [`JiraUser`] and of the admin pages' extractor (Jira administrators may always use them).
pub async fn session_user(
    state: &web::Data<AppState>,
    req: &HttpRequest,
) -> Result<JiraUser, PageError> {
    let token = session_token_from_request(req).ok_or(AppError::SessionExpired)?;
    let claims = match session_token::verify_session_token(
        &state.session_key,
        &token,
        state.clock.now(),
        state.settings.session_max,
    ) {
        Ok(claims) => claims,
        Err(JwtError::Expired) => {
            remember_expired_session(state, req, &token).await;
            return Err(AppError::SessionExpired.into());
        }
        // Past SESSION_MAX_MINUTES (or issued before sessions had a start time): the
        // user reloads Jira's page, which opens a new session.
        Err(err @ (JwtError::SessionTooOld | JwtError::MissingAuthTime)) => {
            tracing::info!(auth.reason = %err, "session ended at its maximum lifetime");
            remember_expired_session(state, req, &token).await;
            return Err(AppError::SessionExpired.into());
        }
        Err(err) => {
            tracing::warn!(auth.reason = %err, http.path = %req.path(), "session token rejected");
            return Err(AppError::Unauthorized(
                "This page must be opened from Jira. Reload the page in Jira to continue.".into(),
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
    let account_id = AccountId::parse(&claims.account_id).map_err(AppError::Unauthorized)?;
    let (tenant_id, owner, now) = (tenant.id, account_id.clone(), state.clock.now());
    let warnings = db::run(&state.pool, move |conn| {
        Warnings::read(conn, tenant_id, &owner, now)
    })
    .await?;
    Ok(JiraUser {
        tenant,
        account_id,
        session_began: claims.auth_time,
        warnings,
    })
}

async fn remember_expired_session(state: &web::Data<AppState>, req: &HttpRequest, token: &str) {
    let Ok(client_key) = session_token::session_token_tenant(&state.session_key, token) else {
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
