//! The Jira API Token tab: how to create a token, the status indicator (warning sign, orange once
//! saved), and Validate & Save. The token is checked with the tenant's own Jira site before it is
//! stored; any failure keeps the previous token and explains itself next to the form. A saved
//! token that Jira rejected, or that has not been validated for 30 days, gets a banner whose
//! "Validate again" checks the stored token with Jira once more (no need to paste it again).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;

use crate::connect::qsh;
use crate::db;
use crate::error::AppError;
use crate::jira::api_token::{
    CREATE_TOKEN_URL, JiraApiToken, JiraEmail, Rejection, VALIDATION_ATTEMPT_TIMEOUT,
    check_with_jira,
};
use crate::jira::client::{JiraAccount, JiraCredentials, JiraSite};
use crate::jira::token_store::{self, ValidatedToken};
use crate::pages::form_body::{Field, read_form};
use crate::pages::session::JiraUser;
use crate::pages::shared::{actor, utc_minutes};
use crate::pages::tokens::TokenTab;
use crate::pages::warnings::{JiraTokenWarning, jira_token_warning};
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;

pub(crate) const TAB_PATH: &str = "/app/tokens/jira";

/// A field whose bytes were not UTF-8 (the browser always sends UTF-8, so something mangled it).
const UNREADABLE_CHARACTERS: &str =
    "This contains characters that could not be read. Type or paste it again.";

/// What the status indicator shows.
pub(crate) enum Status {
    NotSaved,
    Saved {
        display_name: String,
        validated_at: String,
    },
    /// Jira answered 401 to the saved token after it was saved.
    Rejected {
        display_name: String,
        rejected_at: String,
    },
    /// The sealed token no longer opens.
    Unreadable {
        display_name: String,
    },
}

impl Status {
    pub(crate) fn is_saved(&self) -> bool {
        !matches!(self, Self::NotSaved)
    }
}

/// The form as re-rendered after a failed submission. The token is never echoed; the email is
/// echoed only from the submission being answered (so the user can spot a typo), never from
/// storage.
#[derive(Default)]
struct FormView {
    email: String,
    email_error: Option<&'static str>,
    token_error: Option<&'static str>,
    failure: Option<String>,
    login_url: Option<String>,
}

#[derive(Template)]
#[template(path = "tokens_jira.html")]
struct JiraTokenTab {
    layout: Layout,
    tab: TokenTab,
    create_token_url: &'static str,
    status: Status,
    /// The banner with "Validate again", read with the status.
    revalidate: Option<JiraTokenWarning>,
    notice: Option<&'static str>,
    form: FormView,
}

#[get("/app/tokens/jira")]
pub async fn show(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let flag = qsh::parse_params(req.query_string())
        .into_iter()
        .find_map(|(name, _)| match name.as_str() {
            "saved" | "revoked" | "validated" => Some(name),
            _ => None,
        });
    let (status, revalidate) = load_view(&state, &user).await?;
    // The flag only chooses the wording; the notice must agree with what is stored.
    let notice = match (flag.as_deref(), &status) {
        (Some("saved"), Status::Saved { .. }) => {
            Some("Your Jira API token is validated and saved.")
        }
        (Some("revoked"), Status::NotSaved) => Some("Your Jira API token was revoked and deleted."),
        (Some("validated"), Status::Saved { .. }) if revalidate.is_none() => {
            Some("Jira accepted your saved Jira API token again.")
        }
        _ => None,
    };
    Ok(render_with(
        &state,
        &user,
        StatusCode::OK,
        (status, revalidate),
        notice,
        FormView::default(),
    )?)
}

#[post("/app/tokens/jira")]
pub async fn validate_and_save(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let failed = |status, form| render(&state, &user, status, form);
    let fields = match read_form(&req, payload).await {
        Ok(fields) => fields,
        Err(err) => {
            let form = FormView {
                failure: Some(err.to_string()),
                ..FormView::default()
            };
            return Ok(failed(err.status(), form).await?);
        }
    };
    let (email_field, token_field) = (fields.field("email"), fields.field("api_token"));
    if email_field == Field::Missing || token_field == Field::Missing {
        let form = FormView {
            failure: Some(
                "The form arrived without its Email or API token field. Reload the page and try \
                 again."
                    .to_owned(),
            ),
            ..FormView::default()
        };
        return Ok(failed(StatusCode::BAD_REQUEST, form).await?);
    }
    let echoed_email: String = email_field.typed().trim().chars().take(254).collect();
    let email = match &email_field {
        Field::Text(raw) => JiraEmail::parse(raw),
        _ => Err(UNREADABLE_CHARACTERS),
    };
    let token = match &token_field {
        Field::Text(raw) => JiraApiToken::parse(raw),
        _ => Err(UNREADABLE_CHARACTERS),
    };
    let (email, token) = match (email, token) {
        (Ok(email), Ok(token)) => (email, token),
        (email, token) => {
            let unreadable = [&email_field, &token_field]
                .iter()
                .any(|field| matches!(field, Field::NotUtf8 { .. }));
            let form = FormView {
                email: echoed_email,
                email_error: email.err(),
                token_error: token.err(),
                ..FormView::default()
            };
            let status = if unreadable {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return Ok(failed(status, form).await?);
        }
    };

    let credentials = token.credentials(&email);
    let account = match check(&state, &user, &credentials).await? {
        Ok(account) => account,
        Err(rejection) => {
            tracing::info!(
                tenant.client_key = user.tenant.client_key.as_str(),
                user.account_id = user.account_id.as_str(),
                jira_token.rejection = rejection.kind(),
                "Jira API token not saved"
            );
            let form = FormView {
                email: echoed_email,
                failure: Some(rejection.message()),
                login_url: rejection.login_url().map(str::to_owned),
                ..FormView::default()
            };
            return Ok(failed(rejection_status(&rejection), form).await?);
        }
    };

    let sealer = state.jira_tokens.clone();
    let owner = actor(&user, &req);
    let validated_at = state.clock.now();
    db::run(&state.pool, move |conn| {
        token_store::save(
            conn,
            &sealer,
            &owner,
            &ValidatedToken {
                email: &email,
                token: &token,
                display_name: &account.display_name,
                validated_at,
            },
        )
    })
    .await?;
    tracing::info!(
        tenant.client_key = user.tenant.client_key.as_str(),
        user.account_id = user.account_id.as_str(),
        "Jira API token validated and saved"
    );
    let layout = Layout::new(&state, &user, "Jira API Token", Nav::Tokens)?;
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", layout.link(&format!("{TAB_PATH}?saved=1"))))
        .finish())
}

/// `POST /app/tokens/jira/validate`: checks the saved token with Jira again. Accepted, it is
/// saved again with a new validation time; refused by Jira (401), it is marked rejected; either
/// way the tab says what happened.
#[post("/app/tokens/jira/validate")]
pub async fn validate_again(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let sealer = state.jira_tokens.clone();
    let (tenant_id, account_id) = (user.tenant.id, user.account_id.clone());
    let saved = db::run(&state.pool, move |conn| {
        token_store::find(conn, tenant_id, &account_id)
    })
    .await?;
    let layout = Layout::new(&state, &user, "Jira API Token", Nav::Tokens)?;
    let Some(saved) = saved else {
        // Revoked meanwhile (another tab): the tab shows that nothing is saved.
        return Ok(HttpResponse::SeeOther()
            .insert_header(("Location", layout.link(TAB_PATH)))
            .finish());
    };
    let unreadable = || {
        FormView {
        failure: Some(
            "The saved token cannot be read, so it was not validated. Save your token again              below."
                .to_owned(),
        ),
        ..FormView::default()
    }
    };
    let Ok(credentials) = saved.open(&sealer) else {
        return Ok(render(&state, &user, StatusCode::CONFLICT, unreadable()).await?);
    };
    let (Ok(email), Ok(token)) = (
        JiraEmail::parse(&credentials.email),
        JiraApiToken::parse(credentials.api_token.expose()),
    ) else {
        return Ok(render(&state, &user, StatusCode::CONFLICT, unreadable()).await?);
    };
    let account = match check(&state, &user, &credentials).await? {
        Ok(account) => account,
        Err(rejection) => {
            tracing::info!(
                tenant.client_key = user.tenant.client_key.as_str(),
                user.account_id = user.account_id.as_str(),
                jira_token.rejection = rejection.kind(),
                "saved Jira API token not validated again"
            );
            if rejection == Rejection::WrongCredentials {
                let (sealer, now) = (state.jira_tokens.clone(), state.clock.now());
                let (tenant_id, account_id) = (user.tenant.id, user.account_id.clone());
                db::run(&state.pool, move |conn| {
                    token_store::mark_rejected(
                        conn,
                        &sealer,
                        tenant_id,
                        &account_id,
                        &credentials,
                        now,
                    )
                })
                .await?;
            }
            let form = FormView {
                failure: Some(format!(
                    "Validating your saved token again failed. {}",
                    rejection.message()
                )),
                login_url: rejection.login_url().map(str::to_owned),
                ..FormView::default()
            };
            return Ok(render(&state, &user, rejection_status(&rejection), form).await?);
        }
    };
    let owner = actor(&user, &req);
    let validated_at = state.clock.now();
    db::run(&state.pool, move |conn| {
        token_store::save(
            conn,
            &sealer,
            &owner,
            &ValidatedToken {
                email: &email,
                token: &token,
                display_name: &account.display_name,
                validated_at,
            },
        )
    })
    .await?;
    tracing::info!(
        tenant.client_key = user.tenant.client_key.as_str(),
        user.account_id = user.account_id.as_str(),
        "saved Jira API token validated again"
    );
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", layout.link(&format!("{TAB_PATH}?validated=1"))))
        .finish())
}

/// Asks the tenant's own Jira site whether `credentials` are the signed-in user's.
async fn check(
    state: &AppState,
    user: &JiraUser,
    credentials: &JiraCredentials,
) -> Result<Result<JiraAccount, Rejection>, AppError> {
    // Only ever the tenant's stored baseUrl: the form cannot choose where credentials go.
    let site = JiraSite::parse(user.tenant.base_url.as_str()).map_err(|reason| {
        AppError::internal(format!(
            "tenant {} has an unusable baseUrl: {reason}",
            user.tenant.client_key.as_str()
        ))
    })?;
    let client = state
        .jira
        .interactive(VALIDATION_ATTEMPT_TIMEOUT.min(state.settings.outbound_timeout));
    Ok(check_with_jira(&client, &site, credentials, &user.account_id).await)
}

fn rejection_status(rejection: &Rejection) -> StatusCode {
    match rejection {
        Rejection::TimedOut => StatusCode::GATEWAY_TIMEOUT,
        Rejection::Unreachable | Rejection::Unexpected { .. } => StatusCode::BAD_GATEWAY,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// The tab after a failed submission, with the current status.
async fn render(
    state: &web::Data<AppState>,
    user: &JiraUser,
    http_status: StatusCode,
    form: FormView,
) -> Result<HttpResponse, AppError> {
    let view = load_view(state, user).await?;
    render_with(state, user, http_status, view, None, form)
}

fn render_with(
    state: &AppState,
    user: &JiraUser,
    http_status: StatusCode,
    (status, revalidate): (Status, Option<JiraTokenWarning>),
    notice: Option<&'static str>,
    form: FormView,
) -> Result<HttpResponse, AppError> {
    let mut layout = Layout::new(state, user, "Jira API Token", Nav::Tokens)?;
    // This tab shows the warning in full, read just now, with its button.
    layout.warnings.jira_token = None;
    let page = JiraTokenTab {
        layout,
        tab: TokenTab::Jira,
        create_token_url: CREATE_TOKEN_URL,
        status,
        revalidate,
        notice,
        form,
    };
    page.layout.respond(http_status, &page)
}

/// The user's saved token as the indicator shows it; opening the seal detects tampering.
pub(crate) async fn load_status(state: &AppState, user: &JiraUser) -> Result<Status, AppError> {
    Ok(load_view(state, user).await?.0)
}

/// The status and, for a readable saved token, whether it needs validating again.
async fn load_view(
    state: &AppState,
    user: &JiraUser,
) -> Result<(Status, Option<JiraTokenWarning>), AppError> {
    let sealer = state.jira_tokens.clone();
    let (tenant_id, account_id) = (user.tenant.id, user.account_id.clone());
    let found = db::run(&state.pool, move |conn| {
        let saved = token_store::find(conn, tenant_id, &account_id)?;
        Ok(saved.map(|saved| {
            let readable = saved.open(&sealer).is_ok();
            (saved, readable)
        }))
    })
    .await?;
    let Some((saved, readable)) = found else {
        return Ok((Status::NotSaved, None));
    };
    let revalidate = readable
        .then(|| jira_token_warning(&saved, state.clock.now()))
        .flatten();
    let display_name = if saved.display_name.trim().is_empty() {
        "your Jira account".to_owned()
    } else {
        saved.display_name
    };
    let status = if !readable {
        tracing::warn!(
            tenant.client_key = user.tenant.client_key.as_str(),
            user.account_id = user.account_id.as_str(),
            "saved Jira API token does not open"
        );
        Status::Unreadable { display_name }
    } else if let Some(rejected_at) = saved.rejected_at {
        Status::Rejected {
            display_name,
            rejected_at: utc_minutes(rejected_at).unwrap_or_else(|| "an unknown time".to_owned()),
        }
    } else {
        Status::Saved {
            display_name,
            validated_at: utc_minutes(saved.validated_at)
                .unwrap_or_else(|| "an unknown time".to_owned()),
        }
    };
    Ok((status, revalidate))
}
