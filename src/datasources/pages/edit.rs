//! `GET /app/datasources/{id}/edit` shows the form filled in the way the data source was made
//! (typed JQL or picked projects); `POST` checks the change with Jira as the user, stores it and
//! redirects to the data source. Ids that are not the user's own answer 404 before anything
//! else happens, exactly like ids that do not exist.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};

use crate::datasources::pages::create::see_other;
use crate::datasources::pages::form::{
    FormTarget, FormValues, check_submission, render_with_catalog,
};
use crate::datasources::pages::show_path;
use crate::datasources::store::{self, DataSource, UpdateOutcome};
use crate::db;
use crate::error::AppError;
use crate::ids::DataSourceId;
use crate::pages::PageError;
use crate::pages::session::JiraUser;
use crate::pages::shared::actor;
use crate::state::AppState;

const NAME_TAKEN: &str =
    "You already have another data source with this name. Choose another name.";

/// The user's own data source `raw_id`, or 404.
pub(crate) async fn owned(
    state: &AppState,
    user: &JiraUser,
    raw_id: &str,
) -> Result<DataSource, AppError> {
    let id: DataSourceId = raw_id.parse()?;
    let (tenant_id, account_id) = (user.tenant.id, user.account_id.clone());
    db::run(&state.pool, move |conn| {
        store::find_owned(conn, tenant_id, account_id.as_str(), id.get())
    })
    .await?
    .ok_or(AppError::NotFound)
}

fn target(source: &DataSource) -> FormTarget {
    FormTarget::Edit {
        id: source.id,
        name: source.name.clone(),
    }
}

#[get("/app/datasources/{id}/edit")]
pub async fn edit_form(
    user: JiraUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let source = owned(&state, &user, &path).await?;
    render_with_catalog(
        &state,
        &user,
        &target(&source),
        StatusCode::OK,
        None,
        FormValues::from_stored(&source),
    )
    .await
}

#[post("/app/datasources/{id}/edit")]
pub async fn update(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let source = owned(&state, &user, &path).await?;
    let target = target(&source);
    let unread = || Ok(FormValues::from_stored(&source));
    let ready = match check_submission(&state, &user, &target, &req, payload, unread).await? {
        Ok(ready) => ready,
        Err(refused) => return Ok(refused),
    };

    let actor = actor(&user, &req);
    let now = state.clock.now();
    let id = source.id;
    let definition = ready.definition.clone();
    let outcome = db::run(&state.pool, move |conn| {
        store::update(conn, &actor, id, &definition, now)
    })
    .await?;
    match outcome {
        UpdateOutcome::Updated(updated) => {
            tracing::info!(
                tenant.client_key = %user.tenant.client_key.as_str(),
                data_source.id = updated.id,
                "data source updated"
            );
            see_other(&state, &user, &format!("{}?saved=1", show_path(updated.id)))
        }
        UpdateOutcome::NotFound => Err(AppError::NotFound.into()),
        UpdateOutcome::NameTaken => ready.name_taken(&state, &user, &target, NAME_TAKEN),
    }
}
