//! `GET /app/tokens/history?page=N`: the signed-in user's own history, newest first, 50 a page:
//! their access and Jira API token events, the changes to their data sources, and the expiry of
//! their tokens (derived from the expiry date, since nobody acts when a token expires). Only the
//! user's own rows of their own site are read; nothing here lets them name another user.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use time::OffsetDateTime;

use crate::audit::AuditAction;
use crate::audit::history::{HistoryEntry, owner_history};
use crate::connect::qsh;
use crate::db;
use crate::ids::AccountId;
use crate::pages::people_names;
use crate::pages::session::JiraUser;
use crate::pages::shared::format_unix_utc;
use crate::pages::tokens::TokenTab;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;
use crate::tokens::store::{self, TokenSummary};

pub const HISTORY_PATH: &str = "/app/tokens/history";

/// Events per page.
pub const PAGE_SIZE: i64 = 50;

/// The page the query asks for: `page=N` with 1 ≤ N (at most 9 digits); anything else is the
/// first page. A page past the end is clamped by the query to the last one.
fn requested_page(query: &str) -> i64 {
    qsh::parse_params(query)
        .into_iter()
        .find(|(name, _)| name == "page")
        .filter(|(_, value)| (1..=9).contains(&value.len()))
        .and_then(|(_, value)| value.parse::<i64>().ok())
        .filter(|page| *page >= 1)
        .unwrap_or(1)
}

/// One "expired" entry per token of the user past its expiry, at the instant it stopped working.
fn expired_entries(
    tokens: &[TokenSummary],
    owner: &AccountId,
    now: OffsetDateTime,
) -> Vec<HistoryEntry> {
    tokens
        .iter()
        .filter(|token| token.is_expired_at(now))
        .filter_map(|token| {
            Some(HistoryEntry {
                action: AuditAction::AccessTokenExpired.as_str().to_owned(),
                subject: token.label.clone(),
                actor: None,
                target: owner.as_str().to_owned(),
                ip: None,
                at: token.expires_on?.ends_at().unix_timestamp(),
            })
        })
        .collect()
}

/// One row of the history table.
struct HistoryRow {
    action: String,
    time: String,
    event: String,
    name: String,
    /// "You", "—" when nobody acted (an expiry), or the account of whoever else did (an
    /// administrator who revoked the token, the owner who handed a data source over).
    by: String,
    /// That someone else's display name, when Jira gave one.
    by_name: Option<String>,
    ip: String,
}

impl HistoryRow {
    fn new(entry: HistoryEntry, viewer: &AccountId) -> Self {
        let event = AuditAction::parse(&entry.action)
            .map_or_else(|| entry.action.clone(), |a| a.describe().to_owned());
        Self {
            by: match entry.actor {
                None => "—".to_owned(),
                Some(actor) if actor == viewer.as_str() => "You".to_owned(),
                Some(actor) => actor,
            },
            by_name: None,
            time: format_unix_utc(entry.at),
            event,
            name: entry.subject,
            ip: entry.ip.unwrap_or_else(|| "—".to_owned()),
            action: entry.action,
        }
    }
}

#[derive(Template)]
#[template(path = "tokens_history.html")]
struct HistoryPage {
    layout: Layout,
    tab: TokenTab,
    rows: Vec<HistoryRow>,
    page: i64,
    pages: i64,
    total: i64,
    previous_path: Option<String>,
    next_path: Option<String>,
}

fn page_path(page: i64) -> String {
    format!("{HISTORY_PATH}?page={page}")
}

/// The rows, with the names of the others who acted (administrators, owners handing over).
async fn named(state: &AppState, user: &JiraUser, entries: Vec<HistoryEntry>) -> Vec<HistoryRow> {
    let mut rows: Vec<HistoryRow> = entries
        .into_iter()
        .map(|entry| HistoryRow::new(entry, &user.account_id))
        .collect();
    let others: Vec<String> = rows
        .iter()
        .filter(|row| row.by != "You" && row.by != "—")
        .map(|row| row.by.clone())
        .collect();
    let names = people_names::names_of(state, &user.tenant, others).await;
    for row in &mut rows {
        row.by_name = names.get(&row.by).cloned();
    }
    rows
}

#[get("/app/tokens/history")]
pub async fn history(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let page = requested_page(req.query_string());
    let now = state.clock.now();
    let (tenant_id, account_id) = (user.tenant.id, user.account_id.clone());
    let history = db::run(&state.pool, move |conn| {
        let tokens = store::list(conn, tenant_id, &account_id)?;
        let derived = expired_entries(&tokens, &account_id, now);
        owner_history(conn, tenant_id, &account_id, &derived, page, PAGE_SIZE)
    })
    .await?;
    let layout = Layout::new(&state, &user, "History", Nav::Tokens)?;
    let page = HistoryPage {
        layout,
        tab: TokenTab::History,
        previous_path: (history.page > 1).then(|| page_path(history.page - 1)),
        next_path: (history.page < history.pages).then(|| page_path(history.page + 1)),
        page: history.page,
        pages: history.pages,
        total: history.total,
        rows: named(&state, &user, history.entries).await,
    };
    Ok(page.layout.respond(StatusCode::OK, &page)?)
}

#[cfg(test)]
mod tests {
    use time::macros::{date, datetime};

    use super::*;
    use crate::tokens::domain::ExpiryDate;

    #[test]
    fn the_page_number_is_a_small_positive_integer_or_the_first_page() {
        assert_eq!(requested_page("page=3"), 3);
        assert_eq!(requested_page("session=x&page=2"), 2);
        for query in [
            "",
            "page=",
            "page=0",
            "page=-1",
            "page=abc",
            "page=1e3",
            "page=9999999999",
        ] {
            assert_eq!(requested_page(query), 1, "{query:?}");
        }
    }

    #[test]
    fn expired_tokens_become_entries_at_the_midnight_they_stopped() {
        let token = |label: &str, expiry: Option<time::Date>| TokenSummary {
            id: 1,
            token_id: "AbCdEf012345".into(),
            label: label.into(),
            created_at: None,
            expires_on: expiry.map(ExpiryDate::from_stored),
            last_used_at: None,
        };
        let tokens = [
            token("old", Some(date!(2026 - 03 - 01))),
            token("today", Some(date!(2026 - 03 - 10))),
            token("never", None),
        ];
        let alice = AccountId::parse("alice").unwrap();
        let entries = expired_entries(&tokens, &alice, datetime!(2026-03-10 12:00 UTC));
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].subject, "old");
        assert_eq!(
            entries[0].at,
            datetime!(2026-03-02 00:00 UTC).unix_timestamp()
        );
        assert_eq!(entries[0].ip, None);
        assert_eq!(
            (entries[0].actor.as_deref(), entries[0].target.as_str()),
            (None, "alice")
        );
    }

    #[test]
    fn unknown_actions_are_shown_as_stored_and_others_acts_by_account() {
        let alice = AccountId::parse("alice").unwrap();
        let entry = |action: &str, actor: Option<&str>| HistoryEntry {
            action: action.into(),
            subject: "Power BI".into(),
            actor: actor.map(str::to_owned),
            target: "alice".into(),
            ip: None,
            at: 0,
        };
        let row = HistoryRow::new(entry("access_token.created", Some("alice")), &alice);
        assert_eq!(
            (row.event.as_str(), row.by.as_str()),
            ("Access token created", "You")
        );
        assert_eq!(row.ip, "—");
        let row = HistoryRow::new(entry("something.new", Some("admin-1")), &alice);
        assert_eq!(
            (row.event.as_str(), row.by.as_str()),
            ("something.new", "admin-1")
        );
        assert_eq!(HistoryRow::new(entry("x", None), &alice).by, "—");
    }
}
