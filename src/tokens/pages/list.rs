//! `GET /app/tokens/access`: the user's tokens and the create form. Never shows a token's secret.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};

use crate::pages::PageError;
use crate::pages::session::JiraUser;
use crate::state::AppState;
use crate::tokens::pages::{TabView, render_tab};

#[get("/app/tokens/access")]
pub async fn list(user: JiraUser, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    render_tab(&state, &user, TabView::fresh(StatusCode::OK)?).await
}
