//! The Data sources pages (left-hand menu "Data sources"): list, create, show (preview, count and
//! feed URLs), edit, share and delete. One file per page; this module holds what they share: paths,
//! banners, and reading Jira *as the user* with their saved API token, so every project, field
//! and preview row shown is one Jira lets them see.

pub mod create;
pub mod delete;
pub mod edit;
mod form;
pub mod list;
pub mod sharing;
pub mod show;

use std::time::Duration;

use futures_util::future::join;

use crate::error::AppError;
use crate::jira::client::{
    JiraClient, JiraCredentials, JiraError, JiraField, JiraProject, JiraSite, SearchRequest,
};
use crate::jira::credentials::{self, CredentialsError};
use crate::pages::session::JiraUser;
use crate::pages::shared::Banner;
use crate::state::AppState;

pub(crate) const LIST_PATH: &str = "/app/datasources";
pub(crate) const NEW_PATH: &str = "/app/datasources/new";
/// Where users save the Jira API token these pages read Jira with.
pub(crate) const JIRA_TOKEN_PATH: &str = "/app/tokens/jira";
pub(crate) const ACCESS_TOKEN_PATH: &str = "/app/tokens/access";

pub(crate) fn show_path(id: i64) -> String {
    format!("{LIST_PATH}/{id}")
}

pub(crate) fn edit_path(id: i64) -> String {
    format!("{LIST_PATH}/{id}/edit")
}

pub(crate) fn delete_path(id: i64) -> String {
    format!("{LIST_PATH}/{id}/delete")
}

/// Why the pages cannot read Jira for the user: each comes with a call to action pointing at
/// Tokens → Jira API Token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    NotSaved,
    Rejected,
    Unreadable,
}

impl TokenProblem {
    pub fn heading(self) -> &'static str {
        match self {
            Self::NotSaved => "Save your Jira API token first.",
            Self::Rejected => "Jira rejected your saved API token.",
            Self::Unreadable => "Your saved Jira API token could not be read.",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::NotSaved => {
                "BI Connector reads Jira as you, with your own Atlassian API token, so a data \
                 source contains exactly what you can see in Jira. Save your token once under \
                 Tokens → Jira API Token; all your data sources and BI tools use it."
            }
            Self::Rejected => {
                "It may have expired or been revoked. Create a new API token in your Atlassian \
                 account and save it under Tokens → Jira API Token."
            }
            Self::Unreadable => "Save your Jira API token again under Tokens → Jira API Token.",
        }
    }

    /// A stable name for the page (`data-token-problem`), for tests and styling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotSaved => "not-saved",
            Self::Rejected => "rejected",
            Self::Unreadable => "unreadable",
        }
    }
}

/// A failed read of Jira, as the page must explain it.
#[derive(Debug, Clone)]
pub(crate) enum Trouble {
    /// The saved API token is the problem: the user must save a new one.
    Token(TokenProblem),
    Jira(JiraError),
}

impl Trouble {
    /// What a Jira failure means for the user, as a banner.
    fn banner(&self) -> Banner {
        match self {
            Self::Token(problem) => {
                Banner::error(format!("{} {}", problem.heading(), problem.message()))
                    .with_link(JIRA_TOKEN_PATH, "Go to Jira API Token")
            }
            Self::Jira(err) => Banner::error(err.user_message()),
        }
    }
}

/// A person is waiting: each attempt of a Jira call gets this long (one quick retry at most).
const PAGE_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// The user's Jira, ready to call: their site, their saved credentials and a client handle for
/// calls a person waits on.
pub(crate) struct UserJira {
    site: JiraSite,
    creds: JiraCredentials,
    client: JiraClient,
}

/// What the user can pick from: their site's fields and the projects they can browse.
pub(crate) struct Catalog {
    pub fields: Vec<JiraField>,
    pub projects: Vec<JiraProject>,
}

impl UserJira {
    /// The user's Jira, or why there is none (no token saved, rejected, unreadable).
    pub(crate) async fn connect(
        state: &AppState,
        user: &JiraUser,
    ) -> Result<Result<Self, TokenProblem>, AppError> {
        match credentials::credentials_for(state, &user.tenant, &user.account_id).await {
            Ok((site, creds)) => Ok(Ok(Self {
                site,
                creds,
                client: state.jira.interactive(PAGE_ATTEMPT_TIMEOUT),
            })),
            Err(CredentialsError::NotSaved) => Ok(Err(TokenProblem::NotSaved)),
            Err(CredentialsError::Rejected) => Ok(Err(TokenProblem::Rejected)),
            Err(CredentialsError::Unreadable) => Ok(Err(TokenProblem::Unreadable)),
            Err(CredentialsError::Internal(err)) => Err(err),
        }
    }

    /// The email the user saved with their token: the user name BI tools ask for.
    pub(crate) fn email(&self) -> &str {
        &self.creds.email
    }

    /// Explains a failed call; a 401 also marks the saved token rejected, so the Jira API Token
    /// tab and the feeds tell the user too.
    pub(crate) async fn trouble(
        &self,
        state: &AppState,
        user: &JiraUser,
        err: JiraError,
    ) -> Trouble {
        let err =
            credentials::note_jira_error(state, &user.tenant, &user.account_id, &self.creds, err)
                .await;
        if err == JiraError::Unauthorized {
            Trouble::Token(TokenProblem::Rejected)
        } else {
            Trouble::Jira(err)
        }
    }

    pub(crate) async fn catalog(&self) -> Result<Catalog, JiraError> {
        let (fields, projects) = join(
            self.client.fields(&self.site, &self.creds),
            self.client.projects(&self.site, &self.creds),
        )
        .await;
        Ok(Catalog {
            fields: fields?,
            projects: projects?,
        })
    }

    pub(crate) async fn fields(&self) -> Result<Vec<JiraField>, JiraError> {
        self.client.fields(&self.site, &self.creds).await
    }

    /// Asks Jira to run `jql` for one issue id: the call the feed makes, so a query Jira
    /// refuses here (invalid, unbounded) is refused before it is saved.
    pub(crate) async fn check_jql(&self, jql: &str) -> Result<(), JiraError> {
        self.search(jql, 1, vec!["id".to_owned()]).await.map(|_| ())
    }

    pub(crate) async fn search(
        &self,
        jql: &str,
        max_results: u32,
        fields: Vec<String>,
    ) -> Result<Vec<serde_json::Value>, JiraError> {
        let request = SearchRequest {
            jql: jql.to_owned(),
            next_page_token: None,
            max_results,
            fields,
        };
        Ok(self
            .client
            .search_jql(&self.site, &self.creds, &request)
            .await?
            .issues)
    }

    pub(crate) async fn approximate_count(&self, jql: &str) -> Result<u64, JiraError> {
        self.client
            .approximate_count(&self.site, &self.creds, jql)
            .await
    }
}
