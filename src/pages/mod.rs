//! Server-rendered pages inside Jira's iframe. Every page gets a [`Layout`] carrying a fresh
//! session token for its links and forms, and answers with a CSP that lets only its own Jira site
//! frame it. Errors render as proper pages ([`PageError`]), never as a raw body.

pub mod error_page;
pub mod form_body;
pub mod main_page;
pub mod tokens;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::connect::auth::JiraUser;
use crate::error::AppError;
use crate::security::page_csp;
use crate::state::AppState;

/// The left-hand menu entry a page belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    DataSources,
    Tokens,
}

/// What `base.html` needs: title, menu state, and the session token for links.
pub struct Layout {
    pub title: String,
    pub nav: Nav,
    pub session: String,
    pub base_path: String,
    pub all_js_url: String,
    pub site_name: String,
    frame_ancestors: Vec<String>,
}

impl Layout {
    pub fn new(
        state: &AppState,
        user: &JiraUser,
        title: impl Into<String>,
        nav: Nav,
    ) -> Result<Self, AppError> {
        let site = &user.tenant;
        Ok(Self {
            title: title.into(),
            nav,
            session: user.session_token(state)?,
            base_path: state.settings.base_path().to_owned(),
            all_js_url: all_js_url(&site.base_url),
            site_name: site
                .display_url
                .host_str()
                .unwrap_or("your Jira site")
                .to_owned(),
            frame_ancestors: site.origins(),
        })
    }

    /// An in-app URL carrying the session token.
    pub fn link(&self, path: &str) -> String {
        let separator = if path.contains('?') { '&' } else { '?' };
        format!(
            "{}{}{}session={}",
            self.base_path, path, separator, self.session
        )
    }

    /// A URL for a static asset.
    pub fn asset(&self, path: &str) -> String {
        format!("{}/static/{}", self.base_path, path)
    }

    pub fn is_current(&self, nav: Nav) -> bool {
        self.nav == nav
    }

    /// Renders `page` as this layout's response, with the tenant-specific CSP.
    pub fn respond(
        &self,
        status: StatusCode,
        page: &impl Template,
    ) -> Result<HttpResponse, AppError> {
        let html = page.render()?;
        let script_origin = url::Url::parse(&self.all_js_url)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .insert_header((
                "Content-Security-Policy",
                page_csp(&self.frame_ancestors, &[script_origin]),
            ))
            .body(html))
    }
}

/// Jira needs `all.js` to show and size the iframe. Atlassian serves it from its CDN; a site
/// outside Atlassian's domains (the local emulator) serves its own copy.
pub(crate) fn all_js_url(base_url: &url::Url) -> String {
    let host = base_url.host_str().unwrap_or_default();
    let atlassian = [".atlassian.net", ".jira.com", ".jira-dev.com"]
        .iter()
        .any(|suffix| host.ends_with(suffix));
    if atlassian {
        "https://connect-cdn.atl-paas.net/all.js".to_owned()
    } else {
        format!(
            "{}/atlassian-connect/all.js",
            base_url.as_str().trim_end_matches('/')
        )
    }
}

/// An [`AppError`] rendered as an HTML page (for page routes and their extractors).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(err: AppError) -> Self {
        Self(err)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    /// A standalone page; [`error_page::render_error_pages`] re-renders it in the app's layout
    /// (menu, site's `all.js`, base path) before it leaves the app.
    fn error_response(&self) -> HttpResponse {
        let page = error_page::StandaloneError {
            base_path: String::new(),
            all_js_url: "https://connect-cdn.atl-paas.net/all.js".to_owned(),
            error: error_page::ErrorView::of(&self.0),
        };
        match page.render() {
            Ok(html) => HttpResponse::build(self.status_code())
                .content_type("text/html; charset=utf-8")
                .insert_header(("Cache-Control", "no-store"))
                .body(html),
            Err(_) => self.0.error_response(),
        }
    }
}
