//! What the app-wide banner warns a user of before something stops working: their access tokens
//! that expire within [`EXPIRY_WARNING`](crate::tokens::domain::EXPIRY_WARNING), and a Jira API token that Jira rejected or that has not
//! been validated for [`REVALIDATE_AFTER`] (Atlassian API tokens expire after at most a year and
//! cannot be renewed). Read once per page request, with the user, so every page can show it.

use time::{Duration, OffsetDateTime};

use crate::db::Conn;
use crate::error::AppError;
use crate::ids::AccountId;
use crate::jira::token_store::{self, SavedToken};
use crate::tokens::store::{self, TokenSummary};

/// How long a saved Jira API token may go without a successful validation before the app asks
/// the user to validate it again.
pub const REVALIDATE_AFTER: Duration = Duration::days(30);

/// An access token that stops working soon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiringToken {
    pub label: String,
    /// The last day it works, `YYYY-MM-DD` (UTC).
    pub expires_on: String,
}

/// Why the saved Jira API token needs the user's attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JiraTokenWarning {
    /// Jira answered 401 to it since it was saved.
    Rejected,
    /// Not validated for [`REVALIDATE_AFTER`].
    NotValidatedRecently,
}

impl JiraTokenWarning {
    pub fn heading(self) -> &'static str {
        match self {
            Self::Rejected => "Jira rejected your Jira API token",
            Self::NotValidatedRecently => "Validate your Jira API token again",
        }
    }

    /// The banner of the Jira API Token tab, above its "Validate again" button.
    pub fn message(self) -> &'static str {
        match self {
            Self::Rejected => {
                "Jira rejected your saved Jira API token, so your data feeds cannot read Jira. If \
                 you changed nothing, validate it again; if it was revoked or has expired \
                 (Atlassian API tokens last at most a year), create a new one and save it below."
            }
            Self::NotValidatedRecently => {
                "Your Jira API token was last validated more than 30 days ago. Atlassian API \
                 tokens expire after at most a year and cannot be renewed: validate it again to \
                 check that it still works."
            }
        }
    }

    /// The short banner of every other page.
    pub fn short_message(self) -> &'static str {
        match self {
            Self::Rejected => {
                "Jira rejected your saved Jira API token: your data feeds cannot read Jira until \
                 you validate it again or save a new one."
            }
            Self::NotValidatedRecently => {
                "Your Jira API token has not been validated for 30 days. Validate it again."
            }
        }
    }
}

/// Everything the banner may announce; empty when all is well.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Warnings {
    pub expiring: Vec<ExpiringToken>,
    pub jira_token: Option<JiraTokenWarning>,
}

impl Warnings {
    /// Reads the user's tokens and saved Jira API token and says what to warn of at `now`.
    pub fn read(
        conn: &mut Conn,
        tenant_id: i64,
        account_id: &AccountId,
        now: OffsetDateTime,
    ) -> Result<Self, AppError> {
        let tokens = store::list(conn, tenant_id, account_id)?;
        let saved = token_store::find(conn, tenant_id, account_id)?;
        Ok(Self {
            expiring: expiring(&tokens, now),
            jira_token: saved
                .as_ref()
                .and_then(|saved| jira_token_warning(saved, now)),
        })
    }

    /// The banner's sentence about expiring access tokens, if any expire soon.
    pub fn expiry_message(&self) -> Option<String> {
        match self.expiring.as_slice() {
            [] => None,
            [one] => Some(format!(
                "Your access token “{}” expires on {} (UTC). Create a new one before then and \
                 enter it in your BI tool as the password.",
                one.label, one.expires_on
            )),
            many => {
                let list: Vec<String> = many
                    .iter()
                    .map(|t| format!("“{}” on {}", t.label, t.expires_on))
                    .collect();
                Some(format!(
                    "{} of your access tokens expire within 7 days (UTC): {}. Create new ones \
                     before then and enter them in your BI tools.",
                    many.len(),
                    list.join(", ")
                ))
            }
        }
    }
}

/// The tokens still working at `now` that stop within 7 days, soonest first.
pub fn expiring(tokens: &[TokenSummary], now: OffsetDateTime) -> Vec<ExpiringToken> {
    let mut soon: Vec<(OffsetDateTime, ExpiringToken)> = tokens
        .iter()
        .filter_map(|token| {
            let expiry = token.expires_on?;
            expiry.expires_soon_at(now).then(|| {
                let entry = ExpiringToken {
                    label: token.label.clone(),
                    expires_on: expiry.to_string(),
                };
                (expiry.ends_at(), entry)
            })
        })
        .collect();
    soon.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.label.cmp(&b.1.label)));
    soon.into_iter().map(|(_, entry)| entry).collect()
}

/// Whether a saved Jira API token needs validating again at `now`.
pub fn jira_token_warning(saved: &SavedToken, now: OffsetDateTime) -> Option<JiraTokenWarning> {
    if saved.rejected_at.is_some() {
        Some(JiraTokenWarning::Rejected)
    } else if now - saved.validated_at >= REVALIDATE_AFTER {
        Some(JiraTokenWarning::NotValidatedRecently)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::tokens::domain::ExpiryDate;

    fn token(label: &str, expires_on: Option<time::Date>) -> TokenSummary {
        TokenSummary {
            id: 1,
            token_id: "AbCdEf012345".into(),
            label: label.into(),
            created_at: None,
            expires_on: expires_on.map(ExpiryDate::from_stored),
            last_used_at: None,
        }
    }

    #[test]
    fn tokens_in_their_last_seven_days_are_announced_soonest_first() {
        // "late" stops at 2026-03-18 00:00 UTC: 6 days 23 hours after `now`.
        let now = datetime!(2026-03-11 01:00 UTC);
        let tokens = [
            token("late", Some(date!(2026 - 03 - 17))),
            token("tomorrow", Some(date!(2026 - 03 - 12))),
            token(
                "in 7 days 1 hour",
                Some(date!(2026 - 03 - 17) + Duration::days(1)),
            ),
            token("never", None),
            token("expired", Some(date!(2026 - 03 - 10))),
        ];
        let labels: Vec<String> = expiring(&tokens, now)
            .into_iter()
            .map(|t| t.label)
            .collect();
        assert_eq!(labels, ["tomorrow", "late"]);
    }

    #[test]
    fn the_banner_names_one_token_or_counts_several() {
        let one = Warnings {
            expiring: vec![ExpiringToken {
                label: "Power BI".into(),
                expires_on: "2026-03-12".into(),
            }],
            jira_token: None,
        };
        let message = one.expiry_message().unwrap();
        assert!(
            message.contains("“Power BI” expires on 2026-03-12"),
            "{message}"
        );
        let mut two = one.clone();
        two.expiring.push(ExpiringToken {
            label: "Excel".into(),
            expires_on: "2026-03-13".into(),
        });
        let message = two.expiry_message().unwrap();
        assert!(message.starts_with("2 of your access tokens"), "{message}");
        assert!(message.contains("“Excel” on 2026-03-13"), "{message}");
        assert_eq!(Warnings::default().expiry_message(), None);
    }
}
