//! Tokens page frame: the Access Token and Jira API Token tabs.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;

use crate::connect::auth::JiraUser;
use crate::pages::{Layout, Nav, PageError};
use crate::startup::AppState;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TokenTab {
    Access,
    Jira,
}

#[derive(Template)]
#[template(path = "tokens_jira.html")]
struct JiraTokenPage {
    layout: Layout,
    tab: TokenTab,
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

#[get("/app/tokens/jira")]
pub async fn jira_tab(
    user: JiraUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    let layout = Layout::new(&state, &user, "Jira API Token", Nav::Tokens)?;
    let page = JiraTokenPage {
        layout,
        tab: TokenTab::Jira,
    };
    Ok(page.layout.respond(StatusCode::OK, &page)?)
}
