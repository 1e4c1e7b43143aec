//! [`JiraAdmin`]: a page request from a Jira administrator, asked of Jira on every request
//! (`permissions/check` for ADMINISTER, as the app). Nothing in the request (a page parameter,
//! a forged query) can make someone an administrator, and losing the permission in Jira counts
//! from the next request. A Jira that cannot answer is a 503, never a yes.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};

use crate::error::AppError;
use crate::pages::PageError;
use crate::pages::extractors::session_user;
use crate::pages::session::JiraUser;
use crate::state::{AppState, app_state};

/// What a non-administrator reads on an admin page's URL.
pub const NOT_AN_ADMIN: &str = "Only Jira administrators can open BI Connector's \
     administration. If you need a setting changed, ask your Jira administrator.";

/// A Jira administrator with a valid session.
pub struct JiraAdmin(JiraUser);

impl JiraAdmin {
    pub fn user(&self) -> &JiraUser {
        &self.0
    }
}

/// `Ok` when Jira says `user` holds *Administer Jira*; a 403 otherwise.
pub async fn require_admin(state: &AppState, user: &JiraUser) -> Result<(), AppError> {
    if state
        .jira_app
        .is_jira_admin(&user.tenant, &user.account_id)
        .await?
    {
        return Ok(());
    }
    tracing::warn!(
        tenant.client_key = %user.tenant.client_key.as_str(),
        "admin page refused: not a Jira administrator"
    );
    Err(AppError::Forbidden(NOT_AN_ADMIN.to_owned()))
}

impl FromRequest for JiraAdmin {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            let user = session_user(&state, &req).await?;
            // The error page keeps the menu for a signed-in user, administrator or not.
            req.extensions_mut().insert(user.clone());
            require_admin(&state, &user).await?;
            Ok(JiraAdmin(user))
        })
    }
}
