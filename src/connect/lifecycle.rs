//! Lifecycle callbacks. `installed`/`uninstalled` accept only Atlassian's RS256 signed-install
//! JWT (key fetched by kid, `aud` = our base URL, `iss` = the body's clientKey, computed qsh);
//! `enabled`/`disabled` accept the tenant's HS256 JWT. Nothing about a tenant changes unless the
//! request verified.

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use url::Url;

use crate::connect::auth::{jira_jwt_from_request, verify_jira_request};
use crate::connect::install_keys::KeyError;
use crate::connect::jwt;
use crate::connect::qsh;
use crate::connect::tenants::{self, ClientKey, InstallOutcome, Installation};
use crate::db;
use crate::error::AppError;
use crate::state::AppState;

/// The callback body (fields we use; Atlassian adds more over time, which we ignore).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LifecyclePayload {
    key: String,
    client_key: String,
    shared_secret: Option<String>,
    base_url: String,
    display_url: Option<String>,
    product_type: Option<String>,
    event_type: String,
    oauth_client_id: Option<String>,
}

fn parse_payload(body: &[u8], expected_event: &str) -> Result<LifecyclePayload, AppError> {
    let payload: LifecyclePayload = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("invalid lifecycle payload: {e}")))?;
    if payload.event_type != expected_event {
        return Err(AppError::BadRequest(format!(
            "eventType must be `{expected_event}`"
        )));
    }
    if payload.key != "jira-bi-connector" {
        return Err(AppError::BadRequest(
            "payload is for another app key".into(),
        ));
    }
    Ok(payload)
}

/// Verifies Atlassian's signed-install JWT against the payload; logs and rejects otherwise.
async fn verify_signed_install(
    state: &AppState,
    req: &HttpRequest,
    payload: &LifecyclePayload,
) -> Result<(), AppError> {
    let rejected = |reason: &dyn std::fmt::Display| {
        tracing::warn!(
            auth.reason = %reason,
            // Not verified yet (the signature is what failed): escaped, so a `\n` in the body
            // cannot start a forged log line.
            tenant.client_key = ?payload.client_key,
            http.path = %req.path(),
            "lifecycle callback rejected"
        );
        AppError::Unauthorized("Lifecycle callbacks must be signed by Atlassian.".into())
    };
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("JWT "))
        .map(str::trim)
        .ok_or_else(|| rejected(&"no JWT in the Authorization header"))?;
    let kid = jwt::install_kid(token).map_err(|e| rejected(&e))?;
    let public_key = match state.install_keys.public_key(&kid, state.clock.now()).await {
        Ok(pem) => pem,
        Err(err @ KeyError::Unreachable(_)) => {
            tracing::error!(error = %err, "install key server unreachable");
            return Err(AppError::Unavailable {
                message: "The install key server could not be reached; try again.".into(),
            });
        }
        Err(err) => return Err(rejected(&err)),
    };
    let expected_qsh = qsh::query_string_hash(
        req.method().as_str(),
        req.path(),
        state.settings.base_path(),
        &qsh::parse_params(req.query_string()),
    );
    jwt::verify_install_jwt(
        token,
        &public_key,
        &state.settings.base_url_str(),
        &payload.client_key,
        &expected_qsh,
        state.clock.now(),
    )
    .map_err(|e| rejected(&e))?;
    Ok(())
}

#[post("/lifecycle/installed")]
pub async fn on_installed(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let payload = parse_payload(&body, "installed")?;
    verify_signed_install(&state, &req, &payload).await?;

    let client_key = ClientKey::parse(&payload.client_key).map_err(AppError::BadRequest)?;
    let base_url = Url::parse(&payload.base_url)
        .map_err(|_| AppError::BadRequest("baseUrl is not a URL".into()))?;
    if !state.settings.allowed_jira_hosts.allows(&base_url) {
        tracing::warn!(tenant.client_key = %client_key.as_str(), tenant.base_url = %base_url, "install from a site outside ALLOWED_JIRA_HOSTS");
        return Err(AppError::Forbidden(
            "This Jira site is not allowed to install the app.".into(),
        ));
    }
    let display_url = payload
        .display_url
        .as_deref()
        .and_then(|u| Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or_else(|| base_url.clone());
    let shared_secret = payload
        .shared_secret
        .as_deref()
        .filter(|s| s.len() >= 32)
        .ok_or_else(|| AppError::BadRequest("sharedSecret is missing or too short".into()))?;
    let installation = Installation {
        shared_secret_sealed: state
            .tenant_secrets
            .seal(shared_secret, client_key.as_str())?,
        client_key,
        base_url,
        display_url,
        product_type: payload.product_type.unwrap_or_else(|| "jira".into()),
        oauth_client_id: payload.oauth_client_id,
    };
    let now = state.clock.now().unix_timestamp();
    let (outcome, installation) = db::run(&state.pool, move |conn| {
        tenants::record_installation(conn, &installation, now).map(|o| (o, installation))
    })
    .await?;
    match outcome {
        InstallOutcome::New => tracing::info!(
            tenant.client_key = %installation.client_key.as_str(),
            tenant.base_url = %installation.base_url,
            "app installed"
        ),
        InstallOutcome::Reinstalled { base_url_changed } => tracing::info!(
            tenant.client_key = %installation.client_key.as_str(),
            tenant.base_url = %installation.base_url,
            tenant.base_url_changed = base_url_changed,
            "app reinstalled; shared secret rotated"
        ),
    }
    Ok(HttpResponse::NoContent().finish())
}

#[post("/lifecycle/uninstalled")]
pub async fn on_uninstalled(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let payload = parse_payload(&body, "uninstalled")?;
    verify_signed_install(&state, &req, &payload).await?;
    let client_key = ClientKey::parse(&payload.client_key).map_err(AppError::BadRequest)?;
    let now = state.clock.now().unix_timestamp();
    let key = client_key.clone();
    let known = db::run(&state.pool, move |conn| {
        tenants::mark_uninstalled(conn, &key, now)
    })
    .await?;
    tracing::info!(tenant.client_key = %client_key.as_str(), tenant.known = known, "app uninstalled");
    Ok(HttpResponse::NoContent().finish())
}

/// `enabled`/`disabled`: HS256 with the tenant's secret; the body must name the same tenant.
async fn set_enabled(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    event: &'static str,
    enabled: bool,
) -> Result<HttpResponse, AppError> {
    let payload = parse_payload(&body, event)?;
    let token = jira_jwt_from_request(&req)?
        .ok_or_else(|| AppError::Unauthorized("Lifecycle callbacks must be signed.".into()))?;
    let (tenant, claims) = verify_jira_request(&state, &req, &token).await?;
    if claims.iss != payload.client_key {
        tracing::warn!(tenant.client_key = %tenant.client_key.as_str(), "lifecycle body names another tenant");
        return Err(AppError::Unauthorized(
            "Lifecycle callbacks must be signed.".into(),
        ));
    }
    let now = state.clock.now().unix_timestamp();
    let tenant_id = tenant.id;
    db::run(&state.pool, move |conn| {
        tenants::set_enabled(conn, tenant_id, enabled, now)
    })
    .await?;
    tracing::info!(tenant.client_key = %tenant.client_key.as_str(), tenant.enabled = enabled, "app {event}");
    Ok(HttpResponse::NoContent().finish())
}

#[post("/lifecycle/enabled")]
pub async fn on_enabled(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    set_enabled(req, body, state, "enabled", true).await
}

#[post("/lifecycle/disabled")]
pub async fn on_disabled(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    set_enabled(req, body, state, "disabled", false).await
}
