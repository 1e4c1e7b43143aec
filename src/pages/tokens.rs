//! Tokens page frame: the Access Token, Jira API Token and History tabs.

use actix_web::{HttpResponse, get, web};

use crate::pages::session::JiraUser;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TokenTab {
    Access,
    Jira,
    History,
}

/// `/app/tokens` opens the Access Token tab, selected by default.
#[get("/app/tokens")]
pub async fn tokens_root(
    user: JiraUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let layout = Layout::new(&state, &user, "Tokens", Nav::Tokens)?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", layout.link("/app/tokens/access")))
        .finish())
}
