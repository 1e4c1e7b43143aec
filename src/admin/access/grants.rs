//! `POST /app/admin/access/add` lets a group or person in; `POST /app/admin/access/remove` takes
//! one off the list. What is added is checked with Jira first (a person by accountId, a group by
//! its groupId among Jira's matches for its name), and the name shown is Jira's, never the
//! form's: a forged form can add only what exists on the administrator's own site.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::admin::access::show::{Outcome, render, search_text};
use crate::admin::guard::JiraAdmin;
use crate::app_access::policy::{Grant, PrincipalKind};
use crate::app_access::store::{self, AddOutcome, MAX_GRANTS};
use crate::db;
use crate::error::AppError;
use crate::ids::AccountId;
use crate::pages::PageError;
use crate::pages::form_body::{FormFields, read_form};
use crate::pages::shared::{Banner, actor};
use crate::state::AppState;

fn text(fields: &FormFields, name: &str) -> String {
    fields.field(name).typed().trim().to_owned()
}

fn refused(message: impl Into<String>) -> Outcome {
    Outcome {
        status: Some(StatusCode::UNPROCESSABLE_ENTITY),
        banner: Some(Banner::error(message)),
        ..Outcome::default()
    }
}

/// The grant the form names, as Jira knows it; `Err` with what to tell the administrator.
async fn verified(
    admin: &JiraAdmin,
    state: &AppState,
    fields: &FormFields,
) -> Result<Result<Grant, String>, AppError> {
    let tenant = &admin.user().tenant;
    let id = text(fields, "id");
    match PrincipalKind::parse(&text(fields, "kind")) {
        Some(PrincipalKind::User) => {
            let Ok(account) = AccountId::parse(&id) else {
                return Ok(Err("Choose a person from the search results.".to_owned()));
            };
            Ok(match state.jira_app.find_user(tenant, &account).await? {
                Some(person) => Ok(Grant {
                    kind: PrincipalKind::User,
                    id: person.account_id,
                    name: person.display_name,
                }),
                None => Err("Jira does not know this person on your site.".to_owned()),
            })
        }
        Some(PrincipalKind::Group) => {
            let Ok(name) = search_text(&text(fields, "name")) else {
                return Ok(Err("Choose a group from the search results.".to_owned()));
            };
            let found = state.jira_app.find_groups(tenant, &name).await?;
            Ok(found
                .into_iter()
                .find(|group| group.group_id == id)
                .map(|group| Grant {
                    kind: PrincipalKind::Group,
                    id: group.group_id,
                    name: group.name,
                })
                .ok_or_else(|| "Jira does not know this group on your site.".to_owned()))
        }
        None => Ok(Err(
            "Choose a group or a person from the search results.".to_owned()
        )),
    }
}

#[post("/app/admin/access/add")]
pub async fn add(
    admin: JiraAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let fields = match read_form(&req, payload).await {
        Ok(fields) => fields,
        Err(err) => return render(&admin, &state, refused(err.to_string())).await,
    };
    let grant = match verified(&admin, &state, &fields).await? {
        Ok(grant) => grant,
        Err(message) => return render(&admin, &state, refused(message)).await,
    };
    let actor = actor(admin.user(), &req);
    let now = state.clock.now();
    let stored = grant.clone();
    let outcome = db::run(&state.pool, move |conn| {
        store::add_grant(conn, &actor, &stored, now)
    })
    .await?;
    let outcome = match outcome {
        AddOutcome::Added => Outcome {
            banner: Some(Banner::success(format!("{} was added.", grant.name))),
            ..Outcome::default()
        },
        AddOutcome::AlreadyThere => Outcome {
            banner: Some(Banner::info(format!(
                "{} is already on the list.",
                grant.name
            ))),
            ..Outcome::default()
        },
        AddOutcome::TooMany => refused(format!(
            "The list holds at most {MAX_GRANTS} groups and people. Use a Jira group for larger \
             audiences."
        )),
    };
    render(&admin, &state, outcome).await
}

#[post("/app/admin/access/remove")]
pub async fn remove(
    admin: JiraAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let fields = match read_form(&req, payload).await {
        Ok(fields) => fields,
        Err(err) => return render(&admin, &state, refused(err.to_string())).await,
    };
    let Some(kind) = PrincipalKind::parse(&text(&fields, "kind")) else {
        return Err(AppError::NotFound.into());
    };
    let id = text(&fields, "id");
    let actor = actor(admin.user(), &req);
    let now = state.clock.now();
    let removed = db::run(&state.pool, move |conn| {
        store::remove_grant(conn, &actor, kind, &id, now)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    let outcome = Outcome {
        banner: Some(Banner::success(format!(
            "{} was removed. If BI Connector is limited to the list, they can no longer use it \
             (unless another entry or Jira administration lets them).",
            removed.name
        ))),
        ..Outcome::default()
    };
    render(&admin, &state, outcome).await
}
