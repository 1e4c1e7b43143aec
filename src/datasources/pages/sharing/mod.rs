//! Sharing a data source (Data sources → a data source → Share): its owner shares it with people
//! and groups of their site, stops sharing, or hands it to someone else. Everyone it is shared
//! with views it and uses its feed URLs, and reads Jira with their *own* Jira API token, so each
//! gets only the issues Jira lets them see: sharing a definition never shares data. Only the
//! owner reaches these pages; for anyone else the id is not found. One file per endpoint; this
//! module renders the page they share.

pub mod add;
pub mod owner;
pub mod remove;
pub mod show;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::app_access::policy::{Grant, PrincipalKind};
use crate::datasources::pages::{LIST_PATH, show_path};
use crate::datasources::store::DataSource;
use crate::datasources::store::shares::{self, MAX_SHARES_PER_DATA_SOURCE};
use crate::db;
use crate::error::AppError;
use crate::jira::app::JiraPerson;
use crate::pages::people_search::{Picker, Searches};
use crate::pages::session::JiraUser;
use crate::pages::shared::Banner;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;

pub(crate) fn sharing_path(id: i64) -> String {
    format!("{LIST_PATH}/{id}/sharing")
}

fn add_path(id: i64) -> String {
    format!("{LIST_PATH}/{id}/sharing/add")
}

pub(crate) fn remove_path(id: i64) -> String {
    format!("{LIST_PATH}/{id}/sharing/remove")
}

pub(crate) fn owner_path(id: i64) -> String {
    format!("{LIST_PATH}/{id}/owner")
}

/// Someone the data source is shared with, as listed.
pub(crate) struct ShareRow {
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub id: String,
    pub name: String,
}

impl ShareRow {
    fn new(grant: &Grant) -> Self {
        Self {
            kind: grant.kind.as_str(),
            kind_label: match grant.kind {
                PrincipalKind::Group => "Group",
                PrincipalKind::User => "Person",
            },
            id: grant.id.clone(),
            name: grant.name.clone(),
        }
    }
}

/// What the page shows besides the stored shares (a POST's outcome, the searches).
#[derive(Default)]
pub(crate) struct Outcome {
    pub status: Option<StatusCode>,
    pub banner: Option<Banner>,
    pub searches: Searches,
    /// A handover to confirm: the person, as Jira names them.
    pub confirm_owner: Option<JiraPerson>,
}

impl Outcome {
    pub(crate) fn refused(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status: Some(status),
            banner: Some(Banner::error(message)),
            ..Self::default()
        }
    }

    /// Refused input (422), said in the banner.
    pub(crate) fn unprocessable(message: impl Into<String>) -> Self {
        Self::refused(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub(crate) fn done(banner: Banner) -> Self {
        Self {
            banner: Some(banner),
            ..Self::default()
        }
    }
}

#[derive(Template)]
#[template(path = "datasource_sharing.html")]
struct SharingPage {
    layout: Layout,
    name: String,
    show_path: String,
    remove_path: String,
    owner_path: String,
    shares: Vec<ShareRow>,
    max_shares: usize,
    outcome: Outcome,
    picker: Picker,
}

/// The user's display name as Jira has it (shown to those they share with), or their id.
pub(crate) async fn own_name(state: &AppState, user: &JiraUser) -> Result<String, AppError> {
    let person = state
        .jira_app
        .find_user(&user.tenant, &user.account_id)
        .await?;
    Ok(person.map_or_else(|| user.account_id.as_str().to_owned(), |p| p.display_name))
}

/// Renders the page of the user's own `source` with `outcome`; 404 if it stopped being theirs.
pub(crate) async fn render(
    state: &AppState,
    user: &JiraUser,
    source: &DataSource,
    outcome: Outcome,
) -> Result<HttpResponse, PageError> {
    let (tenant_id, account_id, id) = (user.tenant.id, user.account_id.clone(), source.id);
    let grants = db::run(&state.pool, move |conn| {
        shares::shares_of(conn, tenant_id, account_id.as_str(), id)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let page = SharingPage {
        layout: Layout::new(
            state,
            user,
            format!("Share “{}”", source.name),
            Nav::DataSources,
        )?,
        name: source.name.clone(),
        show_path: show_path(id),
        remove_path: remove_path(id),
        owner_path: owner_path(id),
        shares: grants.iter().map(ShareRow::new).collect(),
        max_shares: MAX_SHARES_PER_DATA_SOURCE,
        outcome,
        picker: Picker {
            search_path: sharing_path(id),
            add_path: add_path(id),
            add_word: "Share",
            group_heading: "Share with a group",
            user_heading: "Share with a person, or make them the owner",
            owner_path: Some(owner_path(id)),
        },
    };
    let status = page.outcome.status.unwrap_or(StatusCode::OK);
    Ok(page.layout.respond(status, &page)?)
}
