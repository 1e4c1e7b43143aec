//! `GET /pages/admin`: the admin page Jira opens from Apps → Manage apps (the `adminPages`
//! module). Jira's page JWT is verified here, the user is re-checked as a Jira administrator,
//! and the administration continues with our session token on its first tab.

use actix_web::{HttpResponse, get, web};

use crate::admin::access::show::PATH as ACCESS_PATH;
use crate::admin::guard::require_admin;
use crate::pages::PageError;
use crate::pages::extractors::PageLoad;
use crate::state::AppState;

/// The module's URL, as the descriptor declares it.
pub const PATH: &str = "/pages/admin";

#[get("/pages/admin")]
pub async fn admin_page(
    PageLoad(user): PageLoad,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    require_admin(&state, &user).await?;
    let session = user.session_token(&state)?;
    let location = format!(
        "{}{ACCESS_PATH}?session={session}",
        state.settings.base_path()
    );
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}
