//! Proves a request comes from Jira: finds the Jira JWT (query or `Authorization: JWT`, exactly
//! one), the tenant by its `iss`, and verifies signature, expiry and the computed qsh. Pages and
//! lifecycle callbacks build on this; it knows nothing of either, so it answers with its own
//! [`ConnectError`] and each caller decides how a rejection looks.

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, web};

use crate::connect::jwt::{self, JwtError};
use crate::connect::qsh;
use crate::connect::tenants::{self, Tenant};
use crate::db;
use crate::error::AppError;
use crate::state::AppState;

/// Why a request was not proven to come from Jira. The reason is logged where it is found; the
/// texts are safe to show.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("The request carries more than one Jira token.")]
    AmbiguousToken,
    #[error("This page must be opened from Jira. Reload the page in Jira to continue.")]
    Rejected,
    /// The database or the tenant's sealed secret failed: not the caller's fault.
    #[error(transparent)]
    Internal(#[from] AppError),
}

impl From<ConnectError> for AppError {
    fn from(err: ConnectError) -> Self {
        match err {
            ConnectError::Internal(err) => err,
            rejected => AppError::Unauthorized(rejected.to_string()),
        }
    }
}

/// Where a Jira JWT arrived. Exactly one location is accepted.
pub fn jira_jwt_from_request(req: &HttpRequest) -> Result<Option<String>, ConnectError> {
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
        _ => Err(ConnectError::AmbiguousToken),
    }
}

/// Verifies a Jira HS256 JWT for this request (tenant by `iss`, computed qsh) and returns the
/// tenant with the verified claims. Rejections are logged with the reason and canonical request.
pub async fn verify_jira_request(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    token: &str,
) -> Result<(Tenant, jwt::HostClaims), ConnectError> {
    let rejected = |reason: &dyn std::fmt::Display| {
        tracing::warn!(
            auth.reason = %reason,
            http.path = %req.path(),
            "Jira JWT rejected"
        );
        ConnectError::Rejected
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
