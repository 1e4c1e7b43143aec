//! The create/edit form, shared by both pages: the page around it, and the round trip of a
//! submission through Jira (the user's projects, the site's fields, Jira's verdict on the JQL).
//! Parsing is [`submission`]'s, the checkboxes are [`view`]'s. A refused submission always comes
//! back as typed, with each reason next to its field.

mod submission;
#[cfg(test)]
mod tests;
mod view;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::future::join;

pub(crate) use submission::{FormErrors, FormValues, Submission};
pub(crate) use view::FormView;

use crate::datasources::domain::{DataSourceDefinition, IssueMode};
use crate::datasources::pages::{
    Banner, Catalog, LIST_PATH, TokenProblem, Trouble, UserJira, edit_path, show_path,
};
use crate::error::AppError;
use crate::jira::client::JiraError;
use crate::pages::form_body::{FormFields, read_form};
use crate::pages::session::JiraUser;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;
use submission::name_some;

/// The create and edit page: the form, or the call to action when Jira cannot be read as the
/// user.
#[derive(Template)]
#[template(path = "datasource_form.html")]
pub(crate) struct FormPage {
    pub layout: Layout,
    pub heading: String,
    /// Where the form posts (the template adds the session).
    pub action: String,
    pub submit_label: &'static str,
    pub cancel_path: String,
    pub banner: Option<Banner>,
    pub token_problem: Option<TokenProblem>,
    pub form: Option<FormView>,
}

/// Which form is shown: a new data source, or an existing one.
#[derive(Debug, Clone)]
pub(crate) enum FormTarget {
    Create,
    Edit { id: i64, name: String },
}

impl FormTarget {
    fn page(&self) -> (String, String, &'static str, String) {
        match self {
            Self::Create => (
                "Create data source".to_owned(),
                LIST_PATH.to_owned(),
                "Create",
                LIST_PATH.to_owned(),
            ),
            Self::Edit { id, name } => (
                format!("Edit “{name}”"),
                edit_path(*id),
                "Save",
                show_path(*id),
            ),
        }
    }
}

/// What the page around the form shows.
pub(crate) enum FormContent {
    Form(Box<FormView>),
    /// Jira cannot be read as the user: the call to action instead of the form.
    NeedsToken(TokenProblem),
    /// Nothing to fill in (e.g. the user is at the limit); the banner says why.
    Nothing,
}

/// Renders the create or edit page.
pub(crate) fn render(
    state: &AppState,
    user: &JiraUser,
    target: &FormTarget,
    status: StatusCode,
    banner: Option<Banner>,
    content: FormContent,
) -> Result<HttpResponse, PageError> {
    let (heading, action, submit_label, cancel_path) = target.page();
    let layout = Layout::new(state, user, heading.clone(), Nav::DataSources)?;
    let (form, token_problem) = match content {
        FormContent::Form(view) => (Some(*view), None),
        FormContent::NeedsToken(problem) => (None, Some(problem)),
        FormContent::Nothing => (None, None),
    };
    let page = FormPage {
        layout,
        heading,
        action,
        submit_label,
        cancel_path,
        banner,
        token_problem,
        form,
    };
    Ok(page.layout.respond(status, &page)?)
}

/// Loads the user's projects and the site's fields and renders `values` in the form; when Jira
/// cannot be asked, the form still shows (with what is already picked) under a banner.
pub(crate) async fn render_with_catalog(
    state: &AppState,
    user: &JiraUser,
    target: &FormTarget,
    status: StatusCode,
    banner: Option<Banner>,
    values: FormValues,
) -> Result<HttpResponse, PageError> {
    let loaded = match UserJira::connect(state, user).await? {
        Err(problem) => Err(problem),
        Ok(jira) => match jira.catalog().await {
            Ok(catalog) => Ok((Some(catalog), None)),
            Err(err) => match jira.trouble(state, user, err).await {
                Trouble::Token(problem) => Err(problem),
                trouble => Ok((None, Some(trouble.banner()))),
            },
        },
    };
    let (catalog, jira_banner) = match loaded {
        Ok(loaded) => loaded,
        Err(problem) => {
            let content = FormContent::NeedsToken(problem);
            return render(state, user, target, status, banner, content);
        }
    };
    let gone = catalog
        .as_ref()
        .and_then(|catalog| gone_picks(&values, catalog));
    let view = FormView::build(values, FormErrors::default(), catalog.as_ref());
    render(
        state,
        user,
        target,
        status,
        banner.or(jira_banner).or(gone),
        FormContent::Form(Box::new(view)),
    )
}

/// A warning when stored picks are no longer offered (a project the user lost access to, a
/// custom field an admin deleted): saving the form drops them, so say so before it happens.
fn gone_picks(values: &FormValues, catalog: &Catalog) -> Option<Banner> {
    let projects: Vec<&str> = if values.mode == IssueMode::Projects {
        values
            .projects
            .iter()
            .map(String::as_str)
            .filter(|key| !catalog.projects.iter().any(|p| p.key == *key))
            .collect()
    } else {
        Vec::new()
    };
    let fields: Vec<&str> = values
        .fields
        .iter()
        .map(String::as_str)
        .filter(|id| !catalog.fields.iter().any(|f| f.id == *id))
        .collect();
    let mut parts = Vec::new();
    if !projects.is_empty() {
        parts.push(name_some(&projects, "project", "projects"));
    }
    if !fields.is_empty() {
        parts.push(name_some(&fields, "field", "fields"));
    }
    (!parts.is_empty()).then(|| {
        Banner::warning(format!(
            "Jira no longer offers you {}. Saving removes them from this data source.",
            parts.join(" and ")
        ))
    })
}

/// A submission Jira accepted: the definition to store, and what shows the form again if the
/// store still refuses it (the name taken meanwhile, the limit reached).
pub(crate) struct Ready {
    pub definition: DataSourceDefinition,
    pub submission: Submission,
    pub catalog: Catalog,
}

impl Ready {
    /// The form again, as submitted, with `status` and `banner`.
    pub(crate) fn render_again(
        self,
        state: &AppState,
        user: &JiraUser,
        target: &FormTarget,
        status: StatusCode,
        banner: Option<Banner>,
    ) -> Result<HttpResponse, PageError> {
        let view = FormView::build(
            self.submission.values,
            self.submission.errors,
            Some(&self.catalog),
        );
        render(
            state,
            user,
            target,
            status,
            banner,
            FormContent::Form(Box::new(view)),
        )
    }

    /// The form again with `reason` next to the name (422).
    pub(crate) fn name_taken(
        mut self,
        state: &AppState,
        user: &JiraUser,
        target: &FormTarget,
        reason: &str,
    ) -> Result<HttpResponse, PageError> {
        self.submission.errors.name = Some(reason.to_owned());
        self.render_again(state, user, target, StatusCode::UNPROCESSABLE_ENTITY, None)
    }
}

/// A submission after Jira had its say.
enum Checked {
    Ready(Box<Ready>),
    Refused {
        status: StatusCode,
        banner: Option<Banner>,
        content: FormContent,
    },
}

impl Checked {
    fn needs_token(problem: TokenProblem) -> Self {
        Self::Refused {
            status: StatusCode::FORBIDDEN,
            banner: None,
            content: FormContent::NeedsToken(problem),
        }
    }
}

/// Reads and checks a submission of `target`'s form (see [`check`]): what to store, or the page
/// that refuses it, with each reason next to its field. A body that cannot be read at all shows
/// the form with `unread()`'s values under a banner.
pub(crate) async fn check_submission(
    state: &AppState,
    user: &JiraUser,
    target: &FormTarget,
    req: &HttpRequest,
    payload: web::Payload,
    unread: impl FnOnce() -> Result<FormValues, AppError>,
) -> Result<Result<Ready, HttpResponse>, PageError> {
    let form = match read_form(req, payload).await {
        Ok(form) => form,
        Err(err) => {
            let banner = Some(Banner::error(err.to_string()));
            return render_with_catalog(state, user, target, err.status(), banner, unread()?)
                .await
                .map(Err);
        }
    };
    let expect_form_id = matches!(target, FormTarget::Create);
    match check(state, user, &form, expect_form_id).await? {
        Checked::Ready(ready) => Ok(Ok(*ready)),
        Checked::Refused {
            status,
            banner,
            content,
        } => render(state, user, target, status, banner, content).map(Err),
    }
}

/// Parses a submitted form and checks it with Jira as the user: the picked projects must be
/// ones they can see, the fields must exist, and Jira must accept the JQL (the same search the
/// feed runs). The catalog and the JQL check run concurrently.
async fn check(
    state: &AppState,
    user: &JiraUser,
    form: &FormFields,
    expect_form_id: bool,
) -> Result<Checked, AppError> {
    let mut submission = Submission::parse(form, expect_form_id);
    let jira = match UserJira::connect(state, user).await? {
        Ok(jira) => jira,
        Err(problem) => return Ok(Checked::needs_token(problem)),
    };
    let jql = submission.jql();
    let (catalog, jql_check) = join(jira.catalog(), async {
        match &jql {
            Some(jql) => Some(jira.check_jql(jql).await),
            None => None,
        }
    })
    .await;

    let mut trouble = None;
    let catalog = match catalog {
        Ok(catalog) => {
            submission.check_against(&catalog);
            Some(catalog)
        }
        Err(err) => {
            trouble = Some(jira.trouble(state, user, err).await);
            None
        }
    };
    match jql_check {
        Some(Err(JiraError::BadRequest { messages })) => submission.jql_refused(&messages),
        Some(Err(err)) if trouble.is_none() => trouble = Some(jira.trouble(state, user, err).await),
        _ => {}
    }

    if let Some(trouble) = trouble {
        if let Trouble::Token(problem) = trouble {
            return Ok(Checked::needs_token(problem));
        }
        let banner = submission.banner.take().unwrap_or_else(|| trouble.banner());
        return Ok(Checked::Refused {
            status: StatusCode::BAD_GATEWAY,
            banner: Some(banner),
            content: FormContent::Form(Box::new(FormView::build(
                submission.values,
                submission.errors,
                catalog.as_ref(),
            ))),
        });
    }
    match (submission.definition(), catalog) {
        (Some(definition), Some(catalog)) => Ok(Checked::Ready(Box::new(Ready {
            definition,
            submission,
            catalog,
        }))),
        (_, catalog) => Ok(Checked::Refused {
            status: submission.status(),
            banner: submission.banner.take(),
            content: FormContent::Form(Box::new(FormView::build(
                submission.values,
                submission.errors,
                catalog.as_ref(),
            ))),
        }),
    }
}
