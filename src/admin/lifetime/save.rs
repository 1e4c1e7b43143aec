//! `POST /app/admin/lifetime`: `mode=off`, or `mode=on` with `days`. When the change clamps
//! tokens already issued, the first POST only shows which (nothing is saved); the confirmation
//! sends `confirm` = the number of tokens shown, and the store saves only if that still holds.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};

use crate::admin::guard::JiraAdmin;
use crate::admin::lifetime::{Confirmation, Outcome, render};
use crate::db;
use crate::pages::PageError;
use crate::pages::form_body::{FormFields, read_form};
use crate::pages::shared::{Banner, actor};
use crate::state::AppState;
use crate::tokens::lifetime::MaxLifetime;
use crate::tokens::store::lifetime::{self, SaveOutcome};

/// A parsed form: the new maximum (`None` = off) and the count confirmed, if any.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    max: Option<MaxLifetime>,
    confirmed: Option<usize>,
}

/// The form's request, or the tab showing what was typed with the errors.
fn parse(fields: &FormFields) -> Result<Request, Box<Outcome>> {
    let mode = fields.field("mode").typed().to_owned();
    let days = fields.field("days").typed().to_owned();
    let confirmed = fields.field("confirm").typed().parse::<usize>().ok();
    let refused = |enabled: bool, mode_error: Option<&str>, days_error: Option<&str>| {
        Box::new(Outcome {
            status: Some(StatusCode::UNPROCESSABLE_ENTITY),
            typed: Some((enabled, days.clone())),
            mode_error: mode_error.map(str::to_owned),
            days_error: days_error.map(str::to_owned),
            ..Outcome::default()
        })
    };
    match mode.as_str() {
        "off" => Ok(Request {
            max: None,
            confirmed,
        }),
        "on" => match MaxLifetime::parse(&days) {
            Ok(max) => Ok(Request {
                max: Some(max),
                confirmed,
            }),
            Err(message) => Err(refused(true, None, Some(message))),
        },
        _ => Err(refused(
            false,
            Some("Choose whether access tokens have a maximum lifetime."),
            None,
        )),
    }
}

fn saved_message(max: Option<MaxLifetime>, clamped: usize, owners: usize) -> String {
    match max {
        None => "Saved: access tokens have no maximum lifetime any more. Tokens already issued \
                 keep the expiry they have."
            .to_owned(),
        Some(max) if clamped == 0 => format!(
            "Saved: new access tokens need an expiry within {max}. No token already issued \
             needed to change."
        ),
        Some(max) => format!(
            "Saved: new access tokens need an expiry within {max}. {clamped} access token{} of \
             {owners} user{} now expire{} at most {max} after {} created; their owners see the \
             new expiry on their Access Token tab.",
            plural(clamped),
            plural(owners),
            if clamped == 1 { "s" } else { "" },
            if clamped == 1 { "it was" } else { "they were" },
        ),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[post("/app/admin/lifetime")]
pub async fn save(
    admin: JiraAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, PageError> {
    let fields = match read_form(&req, payload).await {
        Ok(fields) => fields,
        Err(err) => {
            let outcome = Outcome {
                status: Some(err.status()),
                banner: Some(Banner::error(err.to_string())),
                ..Outcome::default()
            };
            return render(&admin, &state, outcome).await;
        }
    };
    let request = match parse(&fields) {
        Ok(request) => request,
        Err(outcome) => return render(&admin, &state, *outcome).await,
    };
    let actor = actor(admin.user(), &req);
    let now = state.clock.now();
    let Request { max, confirmed } = request;
    let saved = db::run(&state.pool, move |conn| {
        lifetime::save(conn, &actor, max, confirmed, now)
    })
    .await?;
    let outcome = match saved {
        SaveOutcome::Unchanged => Outcome {
            banner: Some(Banner::info("Nothing changed.")),
            ..Outcome::default()
        },
        SaveOutcome::Saved { clamped } => {
            let owners = lifetime::owners_in(&clamped);
            tracing::info!(
                tenant.client_key = %admin.user().tenant.client_key.as_str(),
                max_days = max.map(MaxLifetime::days),
                clamped = clamped.len(),
                "maximum token lifetime changed"
            );
            Outcome {
                banner: Some(Banner::success(saved_message(max, clamped.len(), owners))),
                ..Outcome::default()
            }
        }
        SaveOutcome::NeedsConfirmation { plan } => {
            let Some(max) = max else {
                // Only a maximum clamps; turning it off never asks.
                return Err(
                    crate::error::AppError::internal("confirmation without maximum").into(),
                );
            };
            let stale = confirmed.is_some();
            Outcome {
                status: Some(if stale {
                    StatusCode::CONFLICT
                } else {
                    StatusCode::OK
                }),
                banner: stale.then(|| {
                    Banner::error(
                        "The tokens changed since you looked, so nothing was saved. Check the \
                         list below again before you confirm.",
                    )
                }),
                typed: Some((true, max.days().to_string())),
                confirmation: Some(Confirmation::new(&plan, max, now)),
                ..Outcome::default()
            }
        }
    };
    render(&admin, &state, outcome).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_body(body: &str) -> Result<Request, Box<Outcome>> {
        parse(&FormFields::parse(body.as_bytes()))
    }

    #[test]
    fn off_needs_no_days() {
        assert_eq!(
            parse_body("mode=off&days=abc").ok().unwrap(),
            Request {
                max: None,
                confirmed: None
            }
        );
    }

    #[test]
    fn on_needs_valid_days_and_keeps_what_was_typed() {
        let request = parse_body("mode=on&days=30&confirm=4").ok().unwrap();
        assert_eq!(request.max.map(MaxLifetime::days), Some(30));
        assert_eq!(request.confirmed, Some(4));
        let refused = parse_body("mode=on&days=0").err().unwrap();
        assert_eq!(refused.status, Some(StatusCode::UNPROCESSABLE_ENTITY));
        assert_eq!(refused.typed, Some((true, "0".to_owned())));
        assert!(refused.days_error.unwrap().contains("1 to 3650"));
    }

    #[test]
    fn an_unknown_mode_is_refused_next_to_the_choice() {
        for body in ["", "mode=maybe", "mode=%FF"] {
            let refused = parse_body(body).err().unwrap();
            assert!(refused.mode_error.is_some(), "{body}");
        }
    }

    #[test]
    fn the_message_counts_tokens_and_owners() {
        let max = MaxLifetime::parse("30").ok();
        assert!(saved_message(max, 3, 2).contains("3 access tokens of 2 users"));
        assert!(saved_message(max, 1, 1).contains("1 access token of 1 user now expires"));
        assert!(saved_message(None, 0, 0).contains("keep the expiry"));
    }
}
