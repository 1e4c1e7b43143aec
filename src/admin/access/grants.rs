//! `POST /app/admin/access/add` lets a group or person in; `POST /app/admin/access/remove` takes
//! one off the list. What is added is checked with Jira first
//! ([`people_search::verified_choice`]): a forged form can add only what exists on the
//! administrator's own site.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::admin::access::show::{Outcome, render};
use crate::admin::guard::JiraAdmin;
use crate::app_access::policy::PrincipalKind;
use crate::app_access::store::{self, AddOutcome, MAX_GRANTS};
use crate::db;
use crate::error::AppError;
use crate::pages::PageError;
use crate::pages::form_body::{FormFields, read_form};
use crate::pages::people_search;
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
    let grant = match people_search::verified_choice(&state, &admin.user().tenant, &fields).await? {
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
