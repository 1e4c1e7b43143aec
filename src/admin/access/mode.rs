//! `POST /app/admin/access/mode`: everyone (`mode=everyone`) or only the chosen groups and
//! people (`mode=chosen`). Restricting with nobody chosen is refused next to the choice.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::admin::access::show::{Outcome, render};
use crate::admin::guard::JiraAdmin;
use crate::app_access::store::{self, SetOutcome};
use crate::db;
use crate::pages::PageError;
use crate::pages::form_body::{Field, read_form};
use crate::pages::shared::{Banner, actor};
use crate::state::AppState;

/// What the form's `mode` asks for; `None` for anything else.
fn restricted(field: &Field) -> Option<bool> {
    match field {
        Field::Text(value) if value == "everyone" => Some(false),
        Field::Text(value) if value == "chosen" => Some(true),
        _ => None,
    }
}

fn refused(message: &str) -> Outcome {
    Outcome {
        status: Some(StatusCode::UNPROCESSABLE_ENTITY),
        mode_error: Some(message.to_owned()),
        ..Outcome::default()
    }
}

#[post("/app/admin/access/mode")]
pub async fn save_mode(
    admin: JiraAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let fields = match read_form(&req, payload).await {
        Ok(fields) => fields,
        Err(err) => return render(&admin, &state, refused(&err.to_string())).await,
    };
    let Some(restricted) = restricted(&fields.field("mode")) else {
        return render(&admin, &state, refused("Choose who may use BI Connector.")).await;
    };
    let actor = actor(admin.user(), &req);
    let now = state.clock.now();
    let outcome = db::run(&state.pool, move |conn| {
        store::set_restricted(conn, &actor, restricted, now)
    })
    .await?;
    if outcome == SetOutcome::NobodyChosen {
        return render(
            &admin,
            &state,
            refused(
                "Add at least one group or person below first: with nobody chosen, only Jira \
                 administrators could use BI Connector.",
            ),
        )
        .await;
    }
    let message = match (outcome == SetOutcome::Changed, restricted) {
        (false, _) => "Nothing changed.",
        (true, true) => {
            "Saved: only the groups and people below (and Jira administrators) may use BI \
             Connector. Everyone else sees a page asking them to ask you, and their access \
             tokens stop working on feeds, without being deleted."
        }
        (true, false) => {
            "Saved: everyone on this site may use BI Connector again; access tokens that were \
             refused work again."
        }
    };
    tracing::info!(
        tenant.client_key = %admin.user().tenant.client_key.as_str(),
        restricted,
        "who may use the app changed"
    );
    let outcome = Outcome {
        banner: Some(Banner::success(message)),
        ..Outcome::default()
    };
    render(&admin, &state, outcome).await
}
