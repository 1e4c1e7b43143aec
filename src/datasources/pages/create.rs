//! `GET /app/datasources/new` shows the create form; `POST /app/datasources` checks the
//! submission (locally, then with Jira as the user), stores it and redirects to the new data
//! source, so a reload does not post again. The form's one-time id makes a double submit land on
//! the data source the first one created.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::datasources::domain::MAX_DATA_SOURCES_PER_USER;
use crate::datasources::pages::form::{
    FormContent, FormTarget, FormValues, check_submission, render, render_with_catalog,
};
use crate::datasources::pages::{LIST_PATH, show_path};
use crate::datasources::store::{self, CreateOutcome};
use crate::db;
use crate::error::AppError;
use crate::pages::session::JiraUser;
use crate::pages::shared::{Banner, actor};
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;

const NAME_TAKEN: &str = "You already have a data source with this name. Choose another name.";

fn limit_reached() -> Banner {
    Banner::warning(format!(
        "You have {MAX_DATA_SOURCES_PER_USER} data sources, the maximum. Delete one you no longer \
         use to create another."
    ))
    .with_link(LIST_PATH, "Back to Data sources")
}

/// A 303 to `path` (with a fresh session), after a successful POST.
pub(crate) fn see_other(
    state: &AppState,
    user: &JiraUser,
    path: &str,
) -> Result<HttpResponse, PageError> {
    let layout = Layout::new(state, user, "", Nav::DataSources)?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", layout.link(path)))
        .insert_header(("Cache-Control", "no-store"))
        .finish())
}

async fn owned_count(state: &AppState, user: &JiraUser) -> Result<usize, AppError> {
    let (tenant_id, account_id) = (user.tenant.id, user.account_id.clone());
    db::run(&state.pool, move |conn| {
        store::list(conn, tenant_id, account_id.as_str()).map(|all| all.len())
    })
    .await
}

#[get("/app/datasources/new")]
pub async fn new_form(
    user: JiraUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, PageError> {
    if owned_count(&state, &user).await? >= MAX_DATA_SOURCES_PER_USER {
        return render(
            &state,
            &user,
            &FormTarget::Create,
            StatusCode::OK,
            Some(limit_reached()),
            FormContent::Nothing,
        );
    }
    render_with_catalog(
        &state,
        &user,
        &FormTarget::Create,
        StatusCode::OK,
        None,
        FormValues::fresh()?,
    )
    .await
}

#[post("/app/datasources")]
pub async fn create(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let target = FormTarget::Create;
    let ready =
        match check_submission(&state, &user, &target, &req, payload, FormValues::fresh).await? {
            Ok(ready) => ready,
            Err(refused) => return Ok(refused),
        };
    let Some(form_id) = ready.submission.form_id().cloned() else {
        return Err(AppError::internal("a ready create form without a form id").into());
    };

    let actor = actor(&user, &req);
    let now = state.clock.now();
    let definition = ready.definition.clone();
    let outcome = db::run(&state.pool, move |conn| {
        store::create(conn, &actor, &definition, &form_id, now)
    })
    .await?;
    match outcome {
        CreateOutcome::Created(source) => {
            tracing::info!(
                tenant.client_key = %user.tenant.client_key.as_str(),
                data_source.id = source.id,
                "data source created"
            );
            see_other(
                &state,
                &user,
                &format!("{}?created=1", show_path(source.id)),
            )
        }
        CreateOutcome::AlreadySubmitted(id) => see_other(&state, &user, &show_path(id)),
        CreateOutcome::LimitReached => ready.render_again(
            &state,
            &user,
            &target,
            StatusCode::CONFLICT,
            Some(limit_reached()),
        ),
        CreateOutcome::NameTaken => ready.name_taken(&state, &user, &target, NAME_TAKEN),
    }
}
