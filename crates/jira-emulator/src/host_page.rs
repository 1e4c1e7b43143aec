//! The site's browser side: a small Jira-like page with an Apps menu that shows the app in an
//! iframe (signed exactly like Jira signs it), a user switcher, the users' API tokens, the CAPTCHA
//! login page and a no-op `all.js`, so the app can be tried by hand with no Atlassian account.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::install::module_url;
use super::state::SiteCtx;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(host_page))
        .route("/login.jsp", web::get().to(login_page))
        .route("/login.jsp", web::post().to(login))
        .route("/atlassian-connect/all.js", web::get().to(all_js));
}

struct UserRow {
    index: usize,
    display_name: String,
    email: String,
    api_token: String,
    account_id: String,
    notes: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "host_page.html")]
struct HostPage {
    site_name: String,
    base_url: String,
    app_url: String,
    users: Vec<UserRow>,
    current: usize,
    current_name: String,
    app_name: Option<String>,
    /// The app's admin page link, shown only to administrators (`user_is_admin`).
    admin_name: Option<String>,
    app_title: String,
    installed: bool,
    enabled: bool,
    last_event: Option<String>,
    show_app: bool,
    iframe_src: Option<String>,
    iframe_error: String,
    other_sites: Vec<(String, String)>,
    allowed_hosts: String,
    install_keys_url: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    #[serde(rename = "as")]
    pub as_user: Option<String>,
    pub app: Option<String>,
}

async fn host_page(ctx: web::Data<SiteCtx>, query: web::Query<PageQuery>) -> HttpResponse {
    let site = ctx.site();
    let shared = &ctx.shared;
    let current = site.user_by_handle(query.as_user.as_deref());
    let show_app = query.app.as_deref().is_some_and(|app| app != "0");
    let current_is_admin = crate::groups::is_admin(&site.groups(), current);
    // `user_is_admin` (the only condition the app's admin page declares): like Jira, the link
    // is hidden from everyone else; opening the URL anyway is the app's check to make.
    let show_admin = query.app.as_deref() == Some("admin");
    let admin_name = {
        let state = site.install_state();
        state
            .descriptor
            .as_ref()
            .and_then(|d| d.admin_page.as_ref())
            .filter(|_| state.installed && current_is_admin)
            .map(|page| page.name.clone())
    };
    let (installed, enabled, last_event, app_name) = {
        let state = site.install_state();
        (
            state.installed,
            state.enabled,
            state.last_event.clone(),
            state.descriptor.as_ref().map(|descriptor| {
                descriptor
                    .page
                    .as_ref()
                    .map_or(descriptor.name.clone(), |page| page.name.clone())
            }),
        )
    };
    let (iframe_src, iframe_error) = if show_app {
        match module_url(shared, ctx.index, current, show_admin, &[]) {
            Ok(url) => (Some(url), String::new()),
            Err(error) => (None, error.to_string()),
        }
    } else {
        (None, String::new())
    };
    let users = site
        .info
        .users
        .iter()
        .enumerate()
        .map(|(index, user)| {
            let mut notes = Vec::new();
            if !user.hidden_projects.is_empty() {
                notes.push(format!("cannot browse {}", user.hidden_projects.join(", ")));
            }
            if site.captcha_locked(index) {
                notes.push(
                    "CAPTCHA-locked: REST answers 403 until you log in at /login.jsp".to_owned(),
                );
            }
            UserRow {
                index,
                display_name: user.display_name.clone(),
                email: user.email.clone(),
                api_token: user.api_token.clone(),
                account_id: user.account_id.clone(),
                notes: notes.join("; "),
                selected: index == current,
            }
        })
        .collect();
    let page = HostPage {
        site_name: site.info.name.clone(),
        base_url: site.info.base_url.clone(),
        app_url: shared.app_url(),
        current_name: site
            .info
            .users
            .get(current)
            .map(|user| user.display_name.clone())
            .unwrap_or_default(),
        users,
        current,
        app_title: app_name.clone().unwrap_or_default(),
        admin_name,
        app_name,
        installed,
        enabled,
        last_event,
        show_app,
        iframe_src,
        iframe_error,
        other_sites: shared
            .sites
            .iter()
            .map(|other| (other.info.name.clone(), other.info.base_url.clone()))
            .collect(),
        allowed_hosts: shared
            .sites
            .iter()
            .map(|other| other.info.base_url.clone())
            .collect::<Vec<_>>()
            .join(","),
        install_keys_url: install_keys_url(&ctx),
    };
    render(&page)
}

pub(crate) fn install_keys_url(ctx: &SiteCtx) -> String {
    let first = ctx
        .shared
        .sites
        .first()
        .map(|site| site.info.base_url.as_str())
        .unwrap_or_default();
    format!("{first}/connect-install-keys")
}

fn render(page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html;charset=UTF-8")
            .body(html),
        Err(error) => {
            tracing::error!(error = %error, "emulator page failed to render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    site_name: String,
    locked: Vec<(usize, String)>,
}

async fn login_page(ctx: web::Data<SiteCtx>) -> HttpResponse {
    let site = ctx.site();
    render(&LoginPage {
        site_name: site.info.name.clone(),
        locked: site
            .info
            .users
            .iter()
            .enumerate()
            .filter(|(index, _)| site.captcha_locked(*index))
            .map(|(index, user)| (index, user.display_name.clone()))
            .collect(),
    })
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    user: usize,
}

/// "Solving the CAPTCHA": clears the lock so REST calls with that account work again.
async fn login(ctx: web::Data<SiteCtx>, form: web::Form<LoginForm>) -> HttpResponse {
    ctx.site().set_captcha_locked(form.user, false);
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/?as={}", form.user)))
        .finish()
}

/// Stand-in for Atlassian's `all.js`: the app's pages may call `AP.*`; here those calls do nothing.
async fn all_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/javascript;charset=UTF-8")
        .body(ALL_JS)
}

const ALL_JS: &str = r"/* Jira emulator: no-op stand-in for Atlassian Connect all.js */
(function () {
  if (window.AP) { return; }
  var noop = function () {};
  var unavailable = function (name) {
    return function (callback) {
      var error = new Error(name + ' is not available in the Jira emulator');
      if (typeof callback === 'function') { callback(undefined, error); return undefined; }
      return Promise.reject(error);
    };
  };
  window.AP = {
    resize: noop,
    sizeToParent: noop,
    hideFooter: noop,
    require: function (deps, callback) { if (typeof callback === 'function') { callback(window.AP); } },
    navigator: { go: noop, reload: function () { window.parent.postMessage({ emulator: 'reload' }, '*'); } },
    events: { on: noop, once: noop, off: noop, emit: noop },
    flag: { create: function () { return { close: noop }; } },
    dialog: { close: noop, create: function () { return { on: noop }; } },
    context: {
      getToken: unavailable('AP.context.getToken'),
      getContext: function (callback) { var context = {}; if (typeof callback === 'function') { callback(context); } return Promise.resolve(context); }
    },
    request: unavailable('AP.request')
  };
}());
";
