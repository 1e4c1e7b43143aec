//! `GET /pages/main`: the general page Jira opens from the Apps menu. Jira's JWT is verified
//! here once; the user continues with our own session token, on the Data sources page.

use actix_web::{HttpResponse, get, web};

use crate::pages::PageError;
use crate::pages::extractors::PageLoad;
use crate::state::AppState;

#[get("/pages/main")]
pub async fn main_page(
    PageLoad(user): PageLoad,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let session = user.session_token(&state)?;
    let location = format!(
        "{}/app/datasources?session={}",
        state.settings.base_path(),
        session
    );
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}
