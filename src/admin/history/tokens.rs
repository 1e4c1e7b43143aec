//! `GET /app/admin/history/tokens`: for a Jira administrator, the site's access tokens (every
//! user's, narrowed by the filter's user; label, dates and a Revoke button, never a secret) and
//! the tokens history (created, revoked, expired, revoked by an administrator), filterable by
//! user and date, paged, with a CSV download.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use time::OffsetDateTime;

use crate::admin::guard::JiraAdmin;
use crate::admin::history::filter::HistoryFilter;
use crate::admin::history::load;
use crate::admin::history::view::HistorySection;
use crate::admin::tabs::AdminTab;
use crate::audit::Area;
use crate::connect::qsh;
use crate::db;
use crate::pages::people_names;
use crate::pages::shared::{Banner, format_utc};
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;
use crate::tokens::store::site::{SiteToken, SiteTokenPage, list_site};

pub const PATH: &str = "/app/admin/history/tokens";
pub const CSV_PATH: &str = "/app/admin/history/tokens.csv";

/// Tokens listed per page.
const TOKENS_PAGE_SIZE: i64 = 50;

/// A token as the administrator sees it.
pub struct SiteTokenView {
    pub owner: String,
    /// The owner's display name, when Jira gave one.
    pub owner_name: Option<String>,
    pub label: String,
    pub created: String,
    pub expires: String,
    pub expired: bool,
    pub last_used: String,
    pub revoke_path: String,
}

impl SiteTokenView {
    fn named(self, names: &HashMap<String, String>) -> Self {
        Self {
            owner_name: names.get(&self.owner).cloned(),
            ..self
        }
    }

    pub fn new(site_token: &SiteToken, now: OffsetDateTime) -> Self {
        let token = &site_token.token;
        Self {
            owner: site_token.owner.clone(),
            owner_name: None,
            label: token.label.clone(),
            created: token.created_at.map_or_else(|| "—".to_owned(), format_utc),
            expires: token
                .expires_on
                .map_or_else(|| "Never".to_owned(), |e| e.to_string()),
            expired: token.is_expired_at(now),
            last_used: token
                .last_used_at
                .map_or_else(|| "Not used yet".to_owned(), format_utc),
            revoke_path: format!("/app/admin/tokens/{}/revoke", token.id),
        }
    }
}

#[derive(Template)]
#[template(path = "admin_tokens_history.html")]
pub struct TokensHistoryPage {
    pub layout: Layout,
    pub tab: AdminTab,
    pub banner: Option<Banner>,
    pub tokens: Vec<SiteTokenView>,
    pub tokens_total: i64,
    pub tokens_page: i64,
    pub tokens_pages: i64,
    pub tokens_previous: Option<String>,
    pub tokens_next: Option<String>,
    pub history: HistorySection,
}

/// `tokens_page=N` of the query (1 when absent or not a small positive number).
fn tokens_page(query: &str) -> i64 {
    qsh::parse_params(query)
        .into_iter()
        .find(|(name, _)| name == "tokens_page")
        .filter(|(_, v)| (1..=9).contains(&v.len()))
        .and_then(|(_, v)| v.parse::<i64>().ok())
        .filter(|page| *page >= 1)
        .unwrap_or(1)
}

/// Renders the tab for `query` (also after a revoke, with its banner).
pub async fn render(
    admin: &JiraAdmin,
    state: &AppState,
    query: &str,
    banner: Option<Banner>,
) -> Result<HttpResponse, PageError> {
    let user = admin.user();
    let filter = HistoryFilter::from_query(query);
    let wanted_tokens_page = tokens_page(query);
    let now = state.clock.now();
    let tenant_id = user.tenant.id;
    let (history, tokens): (_, SiteTokenPage) = {
        let filter = filter.clone();
        db::run(&state.pool, move |conn| {
            let history = load::page(conn, tenant_id, Area::Tokens, &filter, now)?;
            let owner = filter.user_id().filter(|_| filter.is_valid());
            let tokens = list_site(conn, tenant_id, owner, wanted_tokens_page, TOKENS_PAGE_SIZE)?;
            Ok((history, tokens))
        })
        .await?
    };
    let filter_query = filter.query(0);
    let tokens_link = |page: i64| {
        let mut query = filter_query.clone();
        query.push_str(if query.is_empty() { "" } else { "&" });
        format!("{PATH}?{query}tokens_page={page}")
    };
    let mut history = HistorySection::new(PATH, CSV_PATH, filter, history);
    let mut ids = history.account_ids();
    ids.extend(tokens.tokens.iter().map(|t| t.owner.clone()));
    let names = people_names::names_of(state, &user.tenant, ids).await;
    history.name_people(&names);
    let page = TokensHistoryPage {
        layout: Layout::new(state, user, "Tokens history", Nav::Admin)?,
        tab: AdminTab::TokensHistory,
        banner,
        tokens_previous: (tokens.page > 1).then(|| tokens_link(tokens.page - 1)),
        tokens_next: (tokens.page < tokens.pages).then(|| tokens_link(tokens.page + 1)),
        tokens_total: tokens.total,
        tokens_page: tokens.page,
        tokens_pages: tokens.pages,
        tokens: tokens
            .tokens
            .iter()
            .map(|t| SiteTokenView::new(t, now).named(&names))
            .collect(),
        history,
    };
    Ok(page.layout.respond(StatusCode::OK, &page)?)
}

#[get("/app/admin/history/tokens")]
pub async fn tokens_history(
    admin: JiraAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    render(&admin, &state, req.query_string(), None).await
}
