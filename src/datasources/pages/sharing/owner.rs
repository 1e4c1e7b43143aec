//! `POST /app/datasources/{id}/owner`: hands the data source to another person of the site. The
//! first post (from "Make owner") only asks for confirmation; the one with `confirm=yes` hands it
//! over. The person is checked with Jira and must be allowed to use the app; the new owner must
//! not have a data source of that name or be at the limit; the former owner keeps reading it,
//! shared with them by name.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{Outcome, own_name, render};
use crate::app_access::check;
use crate::datasources::domain::MAX_DATA_SOURCES_PER_USER;
use crate::datasources::pages::create::see_other;
use crate::datasources::pages::edit::owned;
use crate::datasources::pages::show_path;
use crate::datasources::store::shares::{self, HandOverOutcome, NewOwner};
use crate::db;
use crate::error::AppError;
use crate::ids::AccountId;
use crate::pages::PageError;
use crate::pages::form_body::read_form;
use crate::pages::people_search;
use crate::pages::session::JiraUser;
use crate::pages::shared::actor;
use crate::state::AppState;

#[post("/app/datasources/{id}/owner")]
pub async fn hand_over(
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
    let raw_id = fields.field("id").typed().trim().to_owned();
    let person = match people_search::verified_person(&state, &user.tenant, &raw_id).await? {
        Ok(person) => person,
        Err(message) => {
            return render(&state, &user, &source, Outcome::unprocessable(message)).await;
        }
    };
    if person.account_id == user.account_id.as_str() {
        let message = "You own this data source already.".to_owned();
        return render(&state, &user, &source, Outcome::unprocessable(message)).await;
    }
    let new_account = AccountId::parse(&person.account_id)
        .map_err(|_| AppError::internal("Jira answered an unusable accountId"))?;
    if !check::may_use(&state.pool, &state.jira_app, &user.tenant, &new_account).await? {
        let message = format!(
            "{} may not use BI Connector on this site: your Jira administrator limited it to \
             some groups and people. Choose someone who may, or ask your Jira administrator.",
            person.display_name
        );
        return render(&state, &user, &source, Outcome::unprocessable(message)).await;
    }
    if fields.field("confirm").typed() != "yes" {
        let outcome = Outcome {
            confirm_owner: Some(person),
            ..Outcome::default()
        };
        return render(&state, &user, &source, outcome).await;
    }
    let new_owner = NewOwner {
        account_id: new_account,
        name: person.display_name.clone(),
    };
    let owner_name = own_name(&state, &user).await?;
    let actor = actor(&user, &req);
    let now = state.clock.now();
    let id = source.id;
    let outcome = db::run(&state.pool, move |conn| {
        shares::hand_over(conn, &actor, id, &new_owner, &owner_name, now)
    })
    .await?;
    let refused = match outcome {
        HandOverOutcome::HandedOver(_) => {
            tracing::info!(
                tenant.client_key = %user.tenant.client_key.as_str(),
                data_source.id = id,
                "data source handed to a new owner"
            );
            return see_other(&state, &user, &format!("{}?handed_over=1", show_path(id)));
        }
        HandOverOutcome::NotFound => return Err(AppError::NotFound.into()),
        HandOverOutcome::SameOwner => "You own this data source already.".to_owned(),
        HandOverOutcome::NameTaken => format!(
            "{} already has a data source named “{}”. Rename this one first.",
            person.display_name, source.name
        ),
        HandOverOutcome::LimitReached => format!(
            "{} already has {MAX_DATA_SOURCES_PER_USER} data sources, the most one person may \
             have.",
            person.display_name
        ),
    };
    render(
        &state,
        &user,
        &source,
        Outcome::refused(StatusCode::CONFLICT, refused),
    )
    .await
}
