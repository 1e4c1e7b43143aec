//! Errors a user can read. Every failed request for a page (a [`PageError`], or a bare 404/405 from
//! routing) is answered with a styled page: inside the app's layout, menu included, when the
//! session is valid; on its own otherwise, still loading `all.js` so Jira shows the frame.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;

use crate::connect::tenants::Tenant;
use crate::error::AppError;
use crate::ids::InvalidId;
use crate::pages::layout::{ATLASSIAN_ALL_JS, Layout, Nav, all_js_url};
use crate::pages::session::{ExpiredSession, JiraUser};
use crate::security::page_csp;
use crate::state::AppState;

/// What an error page says. Titles name the problem; hints say what to do next.
pub struct ErrorView {
    /// Short, for `<title>` (kept stable: support and tests recognise pages by it).
    pub title: &'static str,
    pub heading: &'static str,
    pub message: String,
    pub hint: &'static str,
    /// Offer a Reload button (Jira reloads the host page, which signs the user in again).
    pub reload: bool,
}

impl ErrorView {
    pub fn of(error: &AppError) -> Self {
        let message = match error {
            AppError::SessionExpired => "For your security, BI Connector's pages stop working a \
                 while after they were opened."
                .to_owned(),
            AppError::NotFound => {
                "There is nothing here, or it belongs to someone else.".to_owned()
            }
            other => other.to_string(),
        };
        let (title, heading, hint, reload) = match error {
            AppError::SessionExpired => (
                "Session expired",
                "Your session has expired",
                "Reload the page in your browser (press F5, or Ctrl+R; ⌘R on a Mac): Jira signs \
                 you in again and you can carry on. If you were saving something, do it again \
                 after reloading.",
                true,
            ),
            AppError::Unauthorized(_) => (
                "Open BI Connector from Jira",
                "Open BI Connector from Jira",
                "In Jira, choose Apps in the top menu, then BI Connector. If you were already \
                 there, reload the page in your browser.",
                true,
            ),
            AppError::Forbidden(_) => (
                "Not available",
                "BI Connector is not available here",
                "If you think you should have access, ask your Jira admin.",
                false,
            ),
            AppError::NotFound => (
                "Not found",
                "Not found",
                "It may have been deleted. Use the menu to find what you were looking for.",
                false,
            ),
            AppError::Internal { .. } => (
                "Something went wrong",
                "Something went wrong",
                "Try again in a moment. If it keeps happening, send the reference to your Jira \
                 admin.",
                false,
            ),
            AppError::Unavailable { .. } => (
                "Not available right now",
                "BI Connector can't do this right now",
                "Try again in a few minutes.",
                false,
            ),
            AppError::BadRequest(_) | AppError::Conflict(_) => (
                "That didn't work",
                "That didn't work",
                "Go back, check what you entered and try again.",
                false,
            ),
        };
        Self {
            title,
            heading,
            message,
            hint,
            reload,
        }
    }

    /// For responses routing produced without an error value (a URL or method no page has).
    fn of_status(status: StatusCode) -> Self {
        match status {
            StatusCode::NOT_FOUND => Self::of(&AppError::NotFound),
            StatusCode::METHOD_NOT_ALLOWED => Self::of(&AppError::BadRequest(
                "This page cannot be used that way.".to_owned(),
            )),
            status if status.is_server_error() => Self {
                title: "Something went wrong",
                heading: "Something went wrong",
                message: "Something went wrong on our side.".to_owned(),
                hint: "Try again in a moment.",
                reload: false,
            },
            _ => Self::of(&AppError::BadRequest(
                "The request could not be understood.".to_owned(),
            )),
        }
    }
}

/// The error inside the app's layout (a signed-in user: the menu stays).
#[derive(Template)]
#[template(path = "errors/error_in_layout.html")]
struct ErrorInLayout {
    layout: Layout,
    error: ErrorView,
}

/// The error on its own (no usable session).
#[derive(Template)]
#[template(path = "errors/error.html")]
pub(crate) struct StandaloneError {
    pub base_path: String,
    pub all_js_url: String,
    pub error: ErrorView,
}

/// Middleware for the app's scope: replaces every error answer to a page request with a page.
pub async fn render_error_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(req).await?.map_into_boxed_body();
    if response.status().as_u16() < 400 {
        return Ok(response);
    }
    let Some(state) = response
        .request()
        .app_data::<web::Data<AppState>>()
        .cloned()
    else {
        return Ok(response);
    };
    let path = response.request().path();
    let in_app = path
        .strip_prefix(state.settings.base_path())
        .is_some_and(|p| p.starts_with("/app/") || p == "/app" || p.starts_with("/pages/"));
    if !in_app {
        return Ok(response);
    }
    let status = response.status();
    let view = if let Some(page_error) = response
        .response()
        .error()
        .and_then(|e| e.as_error::<PageError>())
    {
        ErrorView::of(&page_error.0)
    } else if is_html(response.response()) {
        // A page that renders its own errors (a form shown again with its messages).
        return Ok(response);
    } else {
        ErrorView::of_status(status)
    };
    let request = response.request().clone();
    // (Bound first: a borrow of the extensions must not live into the extractor, which writes.)
    let signed_in = request.extensions().get::<JiraUser>().cloned();
    let user = match signed_in {
        Some(user) => Some(user),
        // Routing answered before any extractor ran (an unknown URL or method): a valid session
        // still earns the menu.
        None if status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED => {
            JiraUser::extract(&request).await.ok()
        }
        None => None,
    };
    let page = render(&state, &request, user, status, view);
    Ok(response.into_response(page))
}

fn is_html(response: &HttpResponse) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The menu item whose area the failed URL belongs to.
fn nav_for(path: &str) -> Nav {
    if path.contains("/app/tokens") {
        Nav::Tokens
    } else {
        Nav::DataSources
    }
}

fn render(
    state: &AppState,
    req: &HttpRequest,
    user: Option<JiraUser>,
    status: StatusCode,
    error: ErrorView,
) -> HttpResponse {
    let expired = req.extensions().get::<ExpiredSession>().cloned();
    if let Some(user) = user
        && let Ok(layout) = Layout::new(state, &user, error.title, nav_for(req.path()))
    {
        let page = ErrorInLayout { layout, error };
        if let Ok(response) = page.layout.respond(status, &page) {
            return response;
        }
        return plain(status, "Something went wrong.");
    }
    let tenant: Option<&Tenant> = expired.as_ref().map(|e| &e.tenant);
    let all_js = tenant.map_or_else(|| ATLASSIAN_ALL_JS.to_owned(), |t| all_js_url(&t.base_url));
    let script_origin = url::Url::parse(&all_js)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let ancestors = tenant.map_or_else(
        || state.settings.allowed_jira_hosts.frame_ancestor_sources(),
        Tenant::origins,
    );
    let page = StandaloneError {
        base_path: state.settings.base_path().to_owned(),
        all_js_url: all_js,
        error,
    };
    match page.render() {
        Ok(html) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .insert_header((
                "Content-Security-Policy",
                page_csp(&ancestors, &[script_origin]),
            ))
            .body(html),
        Err(_) => plain(status, "Something went wrong."),
    }
}

fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .body(text)
}

/// Any other URL under the app's scope: a 404 page (with the menu when the session is valid).
pub async fn not_found() -> Result<HttpResponse, PageError> {
    Err(PageError(AppError::NotFound))
}

/// An [`AppError`] rendered as an HTML page (for page routes and their extractors).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(err: AppError) -> Self {
        Self(err)
    }
}

/// A malformed row id in a page URL is a 404 page, like an id that does not exist.
impl From<InvalidId> for PageError {
    fn from(err: InvalidId) -> Self {
        Self(err.into())
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

    /// A standalone page; [`render_error_pages`] re-renders it in the app's layout
    /// (menu, site's `all.js`, base path) before it leaves the app.
    fn error_response(&self) -> HttpResponse {
        let page = StandaloneError {
            base_path: String::new(),
            all_js_url: ATLASSIAN_ALL_JS.to_owned(),
            error: ErrorView::of(&self.0),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_title_a_heading_and_says_what_to_do() {
        for error in [
            AppError::SessionExpired,
            AppError::Unauthorized("x".into()),
            AppError::NotFound,
            AppError::Internal {
                reference: "abc".into(),
            },
            AppError::Unavailable {
                message: "x".into(),
            },
            AppError::BadRequest("x".into()),
        ] {
            let view = ErrorView::of(&error);
            assert!(!view.title.is_empty() && !view.heading.is_empty());
            assert!(!view.hint.is_empty(), "{error:?}");
        }
    }

    #[test]
    fn an_expired_session_explains_how_to_reload() {
        let view = ErrorView::of(&AppError::SessionExpired);
        assert_eq!(view.title, "Session expired");
        assert!(view.hint.contains("F5") && view.reload);
    }

    #[test]
    fn failed_urls_keep_their_menu_item() {
        assert_eq!(nav_for("/app/tokens/access/9/revoke"), Nav::Tokens);
        assert_eq!(nav_for("/app/datasources/9"), Nav::DataSources);
    }
}
