//! The page frame: what `base.html` needs (title, menu, session token for links, the site's
//! `all.js`, the warnings banner) and the response with a CSP that lets only the page's own Jira site frame it.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::error::AppError;
use crate::pages::session::JiraUser;
use crate::pages::warnings::Warnings;
use crate::security::page_csp;
use crate::settings::is_atlassian_host;
use crate::state::AppState;

/// The left-hand menu entry a page belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    DataSources,
    Tokens,
    Admin,
}

/// What `base.html` needs: title, menu state, and the session token for links.
pub struct Layout {
    pub title: String,
    pub nav: Nav,
    pub session: String,
    pub base_path: String,
    pub all_js_url: String,
    pub site_name: String,
    /// What the banner above the content warns of. A page that shows a warning in full (the
    /// Jira API Token tab) or has fresher data (the Access Token tab) replaces it.
    pub warnings: Warnings,
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
            warnings: user.warnings.clone(),
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

/// Where Atlassian serves `all.js` for every Jira Cloud site.
pub const ATLASSIAN_ALL_JS: &str = "https://connect-cdn.atl-paas.net/all.js";

/// Jira needs `all.js` to show and size the iframe. Atlassian serves it from its CDN; a site
/// outside Atlassian's domains (the local emulator) serves its own copy.
pub(crate) fn all_js_url(base_url: &url::Url) -> String {
    if base_url.host_str().is_some_and(is_atlassian_host) {
        ATLASSIAN_ALL_JS.to_owned()
    } else {
        format!(
            "{}/atlassian-connect/all.js",
            base_url.as_str().trim_end_matches('/')
        )
    }
}
