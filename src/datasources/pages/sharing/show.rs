//! `GET /app/datasources/{id}/sharing`: whom the data source is shared with (with Remove), and
//! the searches that find groups and people to share with or hand it to.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{Outcome, render};
use crate::datasources::pages::edit::owned;
use crate::pages::PageError;
use crate::pages::people_search;
use crate::pages::session::JiraUser;
use crate::state::AppState;

#[get("/app/datasources/{id}/sharing")]
pub async fn show(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let source = owned(&state, &user, &path).await?;
    let searches = people_search::run(&state, &user.tenant, req.query_string()).await;
    let outcome = Outcome {
        status: searches
            .refused()
            .then_some(StatusCode::UNPROCESSABLE_ENTITY),
        searches,
        ..Outcome::default()
    };
    render(&state, &user, &source, outcome).await
}
