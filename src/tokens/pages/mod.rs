//! The Access Token tab: list, create (the new token is shown once, in the POST response) and
//! revoke; and the History tab. One file per endpoint; this module holds the page the Access
//! Token endpoints all render and its view model.

pub mod create;
pub mod history;
pub mod list;
pub mod revoke;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use time::{OffsetDateTime, UtcOffset};

use crate::crypto::SecretString;
use crate::db;
use crate::error::AppError;
use crate::pages::session::JiraUser;
use crate::pages::shared::{Banner, format_utc};
use crate::pages::tokens::TokenTab;
use crate::pages::warnings;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;
use crate::tokens::domain::{FormId, MAX_TOKENS_PER_USER};
use crate::tokens::store::{self, TokenSummary, lifetime};

/// The path of the tab, also the target of the create form.
pub const TAB_PATH: &str = "/app/tokens/access";

fn revoke_path(id: i64) -> String {
    format!("{TAB_PATH}/{id}/revoke")
}

/// The UTC calendar day of `now`: the earliest expiry date the form accepts.
fn today(now: OffsetDateTime) -> time::Date {
    now.to_offset(UtcOffset::UTC).date()
}

/// One row of the token table.
pub struct TokenRowView {
    pub id: i64,
    pub label: String,
    pub created: String,
    pub expires: String,
    pub expired: bool,
    /// Still working, and stops within the expiry warning window (7 days).
    pub expires_soon: bool,
    pub last_used: String,
    pub revoke_path: String,
}

impl TokenRowView {
    fn new(token: &TokenSummary, now: OffsetDateTime) -> Self {
        Self {
            id: token.id,
            label: token.label.clone(),
            created: token.created_at.map_or_else(|| "—".to_owned(), format_utc),
            expires: token
                .expires_on
                .map_or_else(|| "Never".to_owned(), |e| e.to_string()),
            expired: token.is_expired_at(now),
            expires_soon: token.expires_on.is_some_and(|e| e.expires_soon_at(now)),
            last_used: token
                .last_used_at
                .map_or_else(|| "Not used yet".to_owned(), format_utc),
            revoke_path: revoke_path(token.id),
        }
    }
}

/// The create form as shown: what the user typed and the reasons it was refused.
#[derive(Debug, Clone, Default)]
pub struct CreateForm {
    pub label: String,
    pub expires_on: String,
    pub form_id: String,
    pub label_error: Option<String>,
    pub expiry_error: Option<String>,
}

impl CreateForm {
    /// An empty form with a fresh one-time id.
    pub fn fresh() -> Result<Self, AppError> {
        Ok(Self {
            form_id: FormId::generate()?.as_str().to_owned(),
            ..Self::default()
        })
    }

    /// `aria-describedby` of the label input: help text, then the error if any.
    pub fn label_described_by(&self) -> &'static str {
        if self.label_error.is_some() {
            "token-label-error token-label-help"
        } else {
            "token-label-help"
        }
    }

    pub fn expiry_described_by(&self) -> &'static str {
        if self.expiry_error.is_some() {
            "token-expiry-error token-expiry-help"
        } else {
            "token-expiry-help"
        }
    }
}

/// The token just created: rendered once into this response and never stored in plaintext.
pub struct NewTokenView {
    pub label: String,
    pub plaintext: SecretString,
}

#[derive(Template)]
#[template(path = "tokens_access.html")]
pub struct AccessTokenPage {
    pub layout: Layout,
    pub tab: TokenTab,
    pub tokens: Vec<TokenRowView>,
    pub max_tokens: usize,
    pub at_limit: bool,
    pub form: CreateForm,
    pub banner: Option<Banner>,
    pub created: Option<NewTokenView>,
    /// The earliest date the expiry picker offers (`min`), `YYYY-MM-DD`.
    pub min_expiry: String,
    /// The site's maximum lifetime ("30 days") and the latest expiry it allows today, when an
    /// administrator set one: the expiry is then required.
    pub max_lifetime: Option<(String, String)>,
}

/// What a handler wants on the tab besides the list, which is always read fresh.
pub struct TabView {
    pub status: StatusCode,
    pub form: CreateForm,
    pub banner: Option<Banner>,
    pub created: Option<NewTokenView>,
}

impl TabView {
    pub fn fresh(status: StatusCode) -> Result<Self, AppError> {
        Ok(Self {
            status,
            form: CreateForm::fresh()?,
            banner: None,
            created: None,
        })
    }

    pub fn with_banner(mut self, banner: Banner) -> Self {
        self.banner = Some(banner);
        self
    }
}

/// Renders the tab for `user` with their current tokens.
pub async fn render_tab(
    state: &AppState,
    user: &JiraUser,
    view: TabView,
) -> Result<HttpResponse, PageError> {
    let tenant_id = user.tenant.id;
    let account_id = user.account_id.clone();
    let (tokens, max) = db::run(&state.pool, move |conn| {
        Ok((
            store::list(conn, tenant_id, &account_id)?,
            lifetime::load_max(conn, tenant_id)?,
        ))
    })
    .await?;
    let now = state.clock.now();
    let mut layout = Layout::new(state, user, "Access Token", Nav::Tokens)?;
    // The list was read after any change this request made (a revoke), so the banner agrees.
    layout.warnings.expiring = warnings::expiring(&tokens, now);
    let page = AccessTokenPage {
        layout,
        tab: TokenTab::Access,
        at_limit: tokens.len() >= MAX_TOKENS_PER_USER,
        tokens: tokens.iter().map(|t| TokenRowView::new(t, now)).collect(),
        max_tokens: MAX_TOKENS_PER_USER,
        form: view.form,
        banner: view.banner,
        created: view.created,
        min_expiry: today(now).to_string(),
        max_lifetime: max.map(|max| (max.to_string(), max.latest_expiry_for_new(now).to_string())),
    };
    Ok(page.layout.respond(view.status, &page)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn today_is_the_utc_day() {
        assert_eq!(
            today(datetime!(2026-03-10 23:30 -02:00)).to_string(),
            "2026-03-11"
        );
    }
}
