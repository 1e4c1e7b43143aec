//! `POST /app/datasources/{id}/sharing/add`: shares the data source with the group or person the
//! form names, once Jira confirms they exist on the owner's site (with Jira's name for them).

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{Outcome, own_name, render};
use crate::datasources::pages::edit::owned;
use crate::datasources::store::shares::{self, MAX_SHARES_PER_DATA_SOURCE, ShareOutcome};
use crate::db;
use crate::error::AppError;
use crate::pages::PageError;
use crate::pages::form_body::read_form;
use crate::pages::people_search;
use crate::pages::session::JiraUser;
use crate::pages::shared::{Banner, actor};
use crate::state::AppState;

#[post("/app/datasources/{id}/sharing/add")]
pub async fn add(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let source = owned(&state, &user, &path).await?;
    let fields = match read_form(&req, payload).await {
        Ok(fields) => fields,
        Err(err) => {
            return render(
                &state,
                &user,
                &source,
                Outcome::unprocessable(err.to_string()),
            )
            .await;
        }
    };
    let grant = match people_search::verified_choice(&state, &user.tenant, &fields).await? {
        Ok(grant) => grant,
        Err(message) => {
            return render(&state, &user, &source, Outcome::unprocessable(message)).await;
        }
    };
    let owner_name = own_name(&state, &user).await?;
    let actor = actor(&user, &req);
    let now = state.clock.now();
    let (id, stored) = (source.id, grant.clone());
    let shared = db::run(&state.pool, move |conn| {
        shares::share(conn, &actor, id, &stored, &owner_name, now)
    })
    .await?;
    let outcome = match shared {
        ShareOutcome::Shared => Outcome::done(Banner::success(format!(
            "“{}” is shared with {}. They find it under Data sources → Shared with me and read \
             it with their own Jira API token: they get only the issues Jira lets them see.",
            source.name, grant.name
        ))),
        ShareOutcome::AlreadyShared => Outcome::done(Banner::info(format!(
            "“{}” is already shared with {}.",
            source.name, grant.name
        ))),
        ShareOutcome::IsOwner => Outcome::unprocessable(
            "You own this data source already; choose someone else to share it with.".to_owned(),
        ),
        ShareOutcome::TooMany => Outcome::unprocessable(format!(
            "A data source is shared with at most {MAX_SHARES_PER_DATA_SOURCE} groups and \
             people. Share it with a Jira group for a larger audience."
        )),
        ShareOutcome::NotFound => return Err(AppError::NotFound.into()),
    };
    render(&state, &user, &source, outcome).await
}
