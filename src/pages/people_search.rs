//! Finding Jira groups and people for a choice (who may use the app, whom a data source is
//! shared with): the two search boxes ask Jira as the app, and a submitted choice is checked
//! with Jira again before it is stored, with Jira's name, never the form's. A forged form can
//! name only what exists on the user's own site.

use crate::app_access::policy::{Grant, PrincipalKind};
use crate::connect::qsh;
use crate::connect::tenants::Tenant;
use crate::error::AppError;
use crate::ids::AccountId;
use crate::jira::app::{JiraGroup, JiraPerson};
use crate::pages::form_body::FormFields;
use crate::state::AppState;

/// Longest search Jira is asked for.
pub const MAX_SEARCH_CHARS: usize = 100;

/// A search box's state: what was typed, its error, and what Jira found.
pub struct Search<T> {
    pub typed: String,
    pub error: Option<String>,
    pub searched: bool,
    pub found: Vec<T>,
}

impl<T> Default for Search<T> {
    fn default() -> Self {
        Self {
            typed: String::new(),
            error: None,
            searched: false,
            found: Vec::new(),
        }
    }
}

/// Both search boxes of a page.
#[derive(Default)]
pub struct Searches {
    pub groups: Search<JiraGroup>,
    pub users: Search<JiraPerson>,
}

impl Searches {
    /// Whether a typed search was refused (the page then answers 422).
    pub fn refused(&self) -> bool {
        self.groups.error.is_some() || self.users.error.is_some()
    }
}

/// What the searches are for on a page: where they search and post, and what the buttons say.
pub struct Picker {
    /// The page itself (the searches are GET parameters of it).
    pub search_path: String,
    /// Where a match's button posts `kind`, `id` (and a group's `name`).
    pub add_path: String,
    pub add_word: &'static str,
    pub group_heading: &'static str,
    pub user_heading: &'static str,
    /// Where a person's second button ("Make owner") posts their `id`, if the page has one.
    pub owner_path: Option<String>,
}

/// The query's `name` parameter, if present.
fn param(query: &str, name: &str) -> Option<String> {
    qsh::parse_params(query)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Checks a typed search: `Err` with the field's message when it cannot be sent to Jira.
pub fn search_text(raw: &str) -> Result<String, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err("Type part of a name to search for.".to_owned());
    }
    if text.chars().count() > MAX_SEARCH_CHARS {
        return Err(format!(
            "Type at most {MAX_SEARCH_CHARS} characters of the name."
        ));
    }
    if text.chars().any(char::is_control) {
        return Err("Use letters, digits, spaces and punctuation only.".to_owned());
    }
    Ok(text.to_owned())
}

/// Runs the searches the query asks for (`find_group`, `find_user`) on `tenant`'s Jira.
pub async fn run(state: &AppState, tenant: &Tenant, query: &str) -> Searches {
    let mut searches = Searches::default();
    if let Some(raw) = param(query, "find_group") {
        let search = &mut searches.groups;
        search.typed.clone_from(&raw);
        match search_text(&raw) {
            Err(message) => search.error = Some(message),
            Ok(text) => match state.jira_app.find_groups(tenant, &text).await {
                Ok(found) => {
                    search.searched = true;
                    search.found = found;
                }
                Err(err) => search.error = Some(AppError::from(err).to_string()),
            },
        }
    }
    if let Some(raw) = param(query, "find_user") {
        let search = &mut searches.users;
        search.typed.clone_from(&raw);
        match search_text(&raw) {
            Err(message) => search.error = Some(message),
            Ok(text) => match state.jira_app.find_users(tenant, &text).await {
                Ok(found) => {
                    search.searched = true;
                    search.found = found;
                }
                Err(err) => search.error = Some(AppError::from(err).to_string()),
            },
        }
    }
    searches
}

fn text(fields: &FormFields, name: &str) -> String {
    fields.field(name).typed().trim().to_owned()
}

/// The person `account` as Jira knows them on `tenant`; `Err` with what to tell the user.
pub async fn verified_person(
    state: &AppState,
    tenant: &Tenant,
    raw_account: &str,
) -> Result<Result<JiraPerson, String>, AppError> {
    let Ok(account) = AccountId::parse(raw_account) else {
        return Ok(Err("Choose a person from the search results.".to_owned()));
    };
    Ok(state
        .jira_app
        .find_user(tenant, &account)
        .await?
        .ok_or_else(|| "Jira does not know this person on your site.".to_owned()))
}

/// The group or person a submitted form names (`kind`, `id`, and for a group the `name` Jira
/// is searched for), as Jira knows it; `Err` with what to tell the user.
pub async fn verified_choice(
    state: &AppState,
    tenant: &Tenant,
    fields: &FormFields,
) -> Result<Result<Grant, String>, AppError> {
    let id = text(fields, "id");
    match PrincipalKind::parse(&text(fields, "kind")) {
        Some(PrincipalKind::User) => {
            Ok(verified_person(state, tenant, &id)
                .await?
                .map(|person| Grant {
                    kind: PrincipalKind::User,
                    id: person.account_id,
                    name: person.display_name,
                }))
        }
        Some(PrincipalKind::Group) => {
            let Ok(name) = search_text(&text(fields, "name")) else {
                return Ok(Err("Choose a group from the search results.".to_owned()));
            };
            let found = state.jira_app.find_groups(tenant, &name).await?;
            Ok(found
                .into_iter()
                .find(|group| group.group_id == id)
                .map(|group| Grant {
                    kind: PrincipalKind::Group,
                    id: group.group_id,
                    name: group.name,
                })
                .ok_or_else(|| "Jira does not know this group on your site.".to_owned()))
        }
        None => Ok(Err(
            "Choose a group or a person from the search results.".to_owned()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_trimmed_bounded_and_printable() {
        assert_eq!(search_text("  data "), Ok("data".to_owned()));
        assert!(search_text("   ").is_err());
        assert!(search_text(&"x".repeat(MAX_SEARCH_CHARS)).is_ok());
        assert!(search_text(&"x".repeat(MAX_SEARCH_CHARS + 1)).is_err());
        assert!(search_text("a\u{0}b").is_err());
    }
}
