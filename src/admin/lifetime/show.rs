//! `GET /app/admin/lifetime`: the site's maximum access token lifetime and the form to change it.

use actix_web::{HttpResponse, get, web};

use crate::admin::guard::JiraAdmin;
use crate::admin::lifetime::{Outcome, render};
use crate::pages::PageError;
use crate::state::AppState;

#[get("/app/admin/lifetime")]
pub async fn show(admin: JiraAdmin, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    render(&admin, &state, Outcome::default()).await
}
