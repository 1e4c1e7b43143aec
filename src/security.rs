//! Response headers that keep our pages safe inside Jira's iframe. Pages that know their tenant
//! set a CSP naming that site; everything else gets the default, which allows framing only by
//! Atlassian cloud sites and the configured extra origins.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_SECURITY_POLICY, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::state::AppState;

/// The Content-Security-Policy for an app page; `frame_ancestors` are the sites allowed to
/// frame it and `script_sources` where `all.js` may come from.
pub fn page_csp(frame_ancestors: &[String], script_sources: &[String]) -> String {
    format!(
        "default-src 'self'; script-src 'self' {}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors {}; form-action 'self'; base-uri 'none'; object-src 'none'",
        script_sources.join(" "),
        frame_ancestors.join(" ")
    )
}

/// Middleware: adds the default CSP where a handler did not set a tenant-specific one.
pub async fn default_csp(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let ancestors = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.settings.allowed_jira_hosts.frame_ancestor_sources())
        .unwrap_or_default();
    let mut response = next.call(req).await?;
    if !response.headers().contains_key(CONTENT_SECURITY_POLICY) {
        let scripts = vec!["https://connect-cdn.atl-paas.net".to_owned()];
        if let Ok(value) = HeaderValue::from_str(&page_csp(&ancestors, &scripts)) {
            response
                .headers_mut()
                .insert(CONTENT_SECURITY_POLICY, value);
        }
    }
    Ok(response)
}
