//! `POST /app/tokens/access`: creates a token and shows it once, in this response only (never in a
//! URL, a redirect or a log). Refused input shows the form again with the reason next to the field
//! and what the user typed; the form's one-time id makes a reload or double submit harmless.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use time::Date;

use crate::db;
use crate::error::AppError;
use crate::pages::PageError;
use crate::pages::form_body::{Field, FormFields, read_form};
use crate::pages::session::JiraUser;
use crate::pages::shared::{Banner, actor};
use crate::state::AppState;
use crate::tokens::domain::{ExpiryDate, FormId, MAX_TOKENS_PER_USER, NewAccessToken, TokenLabel};
use crate::tokens::lifetime::beyond_maximum_message;
use crate::tokens::pages::{CreateForm, NewTokenView, TabView, render_tab, today};
use crate::tokens::store::{self, CreateOutcome, CreateRequest};

const NOT_UTF8: &str =
    "This field contained characters that could not be read. Type it again and select Create.";
const STALE_FORM: &str = "This form was incomplete or out of date, so nothing was created. \
     Check the values below and select Create again.";
const LABEL_TAKEN: &str = "You already have a token with this label. Choose another label.";

/// A submission the form refuses, with everything needed to show it again.
#[derive(Debug)]
struct Refused {
    status: StatusCode,
    form: CreateForm,
    banner: Option<Banner>,
}

/// Parses the submitted fields into a request for the store, or the form with its errors.
/// `form_id` is left empty in the refused form when the submitted one was unusable.
fn parse_submission(fields: &FormFields, today: Date) -> Result<CreateRequest, Box<Refused>> {
    let label_field = fields.field("label");
    let expiry_field = fields.field("expires_on");
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    let label = match &label_field {
        Field::Text(raw) => TokenLabel::parse(raw).map_err(str::to_owned),
        Field::Missing => TokenLabel::parse("").map_err(str::to_owned),
        Field::NotUtf8 { .. } => {
            status = StatusCode::BAD_REQUEST;
            Err(NOT_UTF8.to_owned())
        }
    };
    let expiry = match &expiry_field {
        Field::Text(raw) => ExpiryDate::parse(raw, today).map_err(str::to_owned),
        Field::Missing => Ok(None),
        Field::NotUtf8 { .. } => {
            status = StatusCode::BAD_REQUEST;
            Err(NOT_UTF8.to_owned())
        }
    };
    let form_id = match fields.field("form_id") {
        Field::Text(raw) => FormId::parse(&raw).ok(),
        Field::Missing | Field::NotUtf8 { .. } => None,
    };
    match (label, expiry, form_id) {
        (Ok(label), Ok(expiry), Some(form_id)) => Ok(CreateRequest {
            label,
            expiry,
            form_id,
        }),
        (label, expiry, form_id) => {
            let banner = if form_id.is_none() {
                status = StatusCode::BAD_REQUEST;
                Some(Banner::error(STALE_FORM))
            } else {
                None
            };
            Err(Box::new(Refused {
                status,
                form: CreateForm {
                    label: label_field.typed().to_owned(),
                    expires_on: expiry_field.typed().to_owned(),
                    form_id: form_id.map(|id| id.as_str().to_owned()).unwrap_or_default(),
                    label_error: label.err(),
                    expiry_error: expiry.err(),
                },
                banner,
            }))
        }
    }
}

/// The form as the user typed it, to show again with `label_error`.
fn typed_form(request: &CreateRequest) -> CreateForm {
    CreateForm {
        label: request.label.as_str().to_owned(),
        expires_on: request.expiry.map(|e| e.to_string()).unwrap_or_default(),
        form_id: request.form_id.as_str().to_owned(),
        label_error: None,
        expiry_error: None,
    }
}

#[post("/app/tokens/access")]
pub async fn create(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let now = state.clock.now();
    let fields = match read_form(&req, payload).await {
        Ok(fields) => fields,
        Err(err) => {
            let view = TabView::fresh(err.status())?.with_banner(Banner::error(err.to_string()));
            return render_tab(&state, &user, view).await;
        }
    };
    let request = match parse_submission(&fields, today(now)) {
        Ok(request) => request,
        Err(mut refused) => {
            if refused.form.form_id.is_empty() {
                refused.form.form_id = FormId::generate()
                    .map_err(AppError::from)?
                    .as_str()
                    .to_owned();
            }
            let view = TabView {
                status: refused.status,
                form: refused.form,
                banner: refused.banner,
                created: None,
            };
            return render_tab(&state, &user, view).await;
        }
    };

    let actor = actor(&user, &req);
    let typed = typed_form(&request);
    let expiry = request.expiry;
    let (outcome, token) = db::run(&state.pool, move |conn| {
        let token = NewAccessToken::generate()?;
        let outcome = store::create(conn, &actor, &token, &request, now)?;
        Ok((outcome, token))
    })
    .await?;

    let view = match outcome {
        CreateOutcome::Created(summary) => {
            tracing::info!(
                tenant.client_key = %user.tenant.client_key.as_str(),
                token.id = %summary.token_id,
                "access token created"
            );
            TabView {
                created: Some(NewTokenView {
                    label: summary.label,
                    plaintext: token.plaintext().clone(),
                }),
                ..TabView::fresh(StatusCode::CREATED)?
            }
        }
        CreateOutcome::AlreadySubmitted => {
            TabView::fresh(StatusCode::CONFLICT)?.with_banner(Banner::info(
                "This form was already submitted, so no second token was created. The token it \
                 created is in the list below; for your security it is shown only once. If you \
                 did not copy it, revoke it and create a new one.",
            ))
        }
        CreateOutcome::LimitReached => TabView {
            status: StatusCode::CONFLICT,
            form: typed,
            banner: Some(Banner::error(format!(
                "You already have {MAX_TOKENS_PER_USER} tokens, the maximum, so no token was \
                 created. Revoke one you no longer use to create another."
            ))),
            created: None,
        },
        CreateOutcome::BeyondMaxLifetime(max) => TabView {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            form: CreateForm {
                expiry_error: Some(beyond_maximum_message(max, expiry, now)),
                ..typed
            },
            banner: None,
            created: None,
        },
        CreateOutcome::LabelTaken => TabView {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            form: CreateForm {
                label_error: Some(LABEL_TAKEN.to_owned()),
                ..typed
            },
            banner: None,
            created: None,
        },
    };
    render_tab(&state, &user, view).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 03 - 10);

    fn submit(body: &[u8]) -> Result<CreateRequest, Box<Refused>> {
        parse_submission(&FormFields::parse(body), TODAY)
    }

    fn form_id() -> String {
        FormId::generate().unwrap().as_str().to_owned()
    }

    #[test]
    fn a_complete_form_becomes_a_request() {
        let id = form_id();
        let body = format!("form_id={id}&label=+Power+BI+&expires_on=2026-03-10");
        let request = submit(body.as_bytes()).unwrap();
        assert_eq!(request.label.as_str(), "Power BI");
        assert_eq!(
            request.expiry.map(|e| e.to_string()).as_deref(),
            Some("2026-03-10")
        );
        assert_eq!(request.form_id.as_str(), id);
    }

    #[test]
    fn missing_expiry_means_never() {
        let body = format!("form_id={}&label=x", form_id());
        assert_eq!(submit(body.as_bytes()).unwrap().expiry, None);
    }

    #[test]
    fn field_errors_keep_what_was_typed_and_the_form_id() {
        let id = form_id();
        let long = "x".repeat(10_000);
        let body = format!("form_id={id}&label={long}&expires_on=2026-03-09");
        let refused = submit(body.as_bytes()).unwrap_err();
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(refused.form.label, long);
        assert_eq!(refused.form.expires_on, "2026-03-09");
        assert_eq!(refused.form.form_id, id);
        assert!(refused.form.label_error.unwrap().contains("100 characters"));
        assert!(
            refused
                .form
                .expiry_error
                .unwrap()
                .contains("today or later")
        );
        assert!(refused.banner.is_none());
    }

    #[test]
    fn missing_label_is_a_field_error() {
        let body = format!("form_id={}", form_id());
        let refused = submit(body.as_bytes()).unwrap_err();
        assert_eq!(refused.form.label_error.as_deref(), Some("Enter a label"));
        assert_eq!(refused.form.expiry_error, None);
    }

    #[test]
    fn non_utf8_fields_are_a_bad_request_with_a_field_error() {
        let body = format!("form_id={}&label=caf%E9&expires_on=%FF", form_id());
        let refused = submit(body.as_bytes()).unwrap_err();
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(refused.form.label_error.as_deref(), Some(NOT_UTF8));
        assert_eq!(refused.form.expiry_error.as_deref(), Some(NOT_UTF8));
        assert_eq!(refused.form.label, "caf\u{FFFD}");
    }

    #[test]
    fn a_missing_or_forged_form_id_is_refused_even_with_valid_fields() {
        for body in ["label=ok", "label=ok&form_id=short", "label=ok&form_id=%FF"] {
            let refused = submit(body.as_bytes()).unwrap_err();
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(refused.form.form_id, "", "{body}");
            assert_eq!(refused.form.label, "ok");
            assert!(refused.banner.is_some());
        }
    }
}
