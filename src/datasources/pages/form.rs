//! The create/edit form, shared by both pages: parsing a submission (everything that needs no
//! Jira), checking it against the user's projects and the site's fields, turning Jira's verdict on
//! the JQL into a message next to the field, and the view the template renders. A refused
//! submission always comes back as typed, with each reason next to its field.

use std::collections::{HashMap, HashSet};

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use futures_util::future::join;

use crate::datasources::domain::{
    DataSourceDefinition, DataSourceName, FieldIds, IssueMode, IssueSelection, Jql,
};
use crate::datasources::pages::{
    Catalog, LIST_PATH, TokenProblem, Trouble, UserJira, edit_path, show_path,
};
use crate::datasources::store::DataSource;
use crate::error::AppError;
use crate::feed::columns::ColumnSet;
use crate::jira::client::{JiraError, JiraField};
use crate::pages::form_body::{Field, FormFields};
use crate::pages::session::JiraUser;
use crate::pages::shared::Banner;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;
use crate::tokens::domain::FormId;

const NOT_UTF8: &str = "This contained characters that could not be read. Enter it again and save.";
const STALE_FORM: &str = "This form was incomplete or out of date, so nothing was saved. Check \
     the values below and save again.";
/// Unknown ids named in a message; the rest are counted.
const MAX_NAMED: usize = 5;

/// What the form shows: what the user typed, or what is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FormValues {
    pub name: String,
    pub mode: IssueMode,
    pub jql: String,
    pub projects: Vec<String>,
    pub fields: Vec<String>,
    /// The create form's one-time id; empty on the edit form.
    pub form_id: String,
}

impl FormValues {
    /// An empty create form with a fresh one-time id; projects are the easier start.
    pub(crate) fn fresh() -> Result<Self, AppError> {
        Ok(Self {
            name: String::new(),
            mode: IssueMode::Projects,
            jql: String::new(),
            projects: Vec::new(),
            fields: Vec::new(),
            form_id: FormId::generate()?.as_str().to_owned(),
        })
    }

    /// The edit form of a stored data source. In project mode the JQL box starts with the query
    /// built from the projects, a good start if the user switches to JQL.
    pub(crate) fn from_stored(source: &DataSource) -> Self {
        Self {
            name: source.name.clone(),
            mode: source.mode,
            jql: source.jql.clone(),
            projects: source.project_keys.clone(),
            fields: source.fields.clone(),
            form_id: String::new(),
        }
    }
}

/// Reasons next to each part of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FormErrors {
    pub name: Option<String>,
    pub mode: Option<String>,
    pub jql: Option<String>,
    pub projects: Option<String>,
    pub fields: Option<String>,
}

impl FormErrors {
    fn any(&self) -> bool {
        self.name.is_some()
            || self.mode.is_some()
            || self.jql.is_some()
            || self.projects.is_some()
            || self.fields.is_some()
    }
}

/// A submitted form, parsed as far as it can be without Jira.
#[derive(Debug)]
pub(crate) struct Submission {
    pub values: FormValues,
    pub errors: FormErrors,
    /// Set when something could not be read at all (bytes that are not UTF-8, a missing or forged
    /// form id): the answer is then 400 rather than 422.
    unreadable: bool,
    /// Shown above the form (the form id was unusable).
    pub banner: Option<Banner>,
    name: Option<DataSourceName>,
    issues: Option<IssueSelection>,
    fields: Option<FieldIds>,
    form_id: Option<FormId>,
}

fn texts(values: Vec<Field>) -> Result<Vec<String>, Vec<String>> {
    let mut unreadable = false;
    let typed: Vec<String> = values
        .into_iter()
        .map(|field| {
            if matches!(field, Field::NotUtf8 { .. }) {
                unreadable = true;
            }
            field.typed().to_owned()
        })
        .collect();
    if unreadable { Err(typed) } else { Ok(typed) }
}

impl Submission {
    /// Parses the fields of a create (`expect_form_id`) or edit form.
    pub(crate) fn parse(form: &FormFields, expect_form_id: bool) -> Self {
        let mut errors = FormErrors::default();
        let mut unreadable = false;

        let name_field = form.field("name");
        let name = match &name_field {
            Field::NotUtf8 { .. } => {
                unreadable = true;
                errors.name = Some(NOT_UTF8.to_owned());
                None
            }
            other => DataSourceName::parse(other.typed())
                .map_err(|reason| errors.name = Some(reason.to_owned()))
                .ok(),
        };

        let jql_field = form.field("jql");
        let (projects, projects_unreadable) = match texts(form.all("projects")) {
            Ok(values) => (values, false),
            Err(values) => (values, true),
        };
        let mode = match form.field("issue_mode") {
            Field::Text(raw) => IssueMode::parse(&raw),
            // Without the switch (a hand-made request), picked projects mean project mode.
            Field::Missing if !projects.is_empty() && jql_field == Field::Missing => {
                Some(IssueMode::Projects)
            }
            Field::Missing => Some(IssueMode::Jql),
            Field::NotUtf8 { .. } => None,
        };
        let issues = match mode {
            None => {
                unreadable = true;
                errors.mode = Some("Choose whether to pick projects or write JQL.".to_owned());
                None
            }
            Some(IssueMode::Jql) => match &jql_field {
                Field::NotUtf8 { .. } => {
                    unreadable = true;
                    errors.jql = Some(NOT_UTF8.to_owned());
                    None
                }
                other => Jql::parse(other.typed())
                    .map(IssueSelection::Jql)
                    .map_err(|reason| errors.jql = Some(reason.to_owned()))
                    .ok(),
            },
            Some(IssueMode::Projects) if projects_unreadable => {
                unreadable = true;
                errors.projects = Some(NOT_UTF8.to_owned());
                None
            }
            Some(IssueMode::Projects) => IssueSelection::projects(&projects)
                .map_err(|reason| errors.projects = Some(reason.to_owned()))
                .ok(),
        };

        let (fields, fields_typed) = match texts(form.all("fields")) {
            Ok(values) => (
                FieldIds::parse(&values)
                    .map_err(|reason| errors.fields = Some(reason.to_owned()))
                    .ok(),
                values,
            ),
            Err(values) => {
                unreadable = true;
                errors.fields = Some(NOT_UTF8.to_owned());
                (None, values)
            }
        };

        let form_id = match form.field("form_id") {
            Field::Text(raw) => FormId::parse(&raw).ok(),
            Field::Missing | Field::NotUtf8 { .. } => None,
        };
        let mut banner = None;
        if expect_form_id && form_id.is_none() {
            unreadable = true;
            banner = Some(Banner::error(STALE_FORM));
        }

        Self {
            values: FormValues {
                name: name_field.typed().to_owned(),
                mode: mode.unwrap_or(IssueMode::Jql),
                jql: jql_field.typed().to_owned(),
                projects,
                fields: fields_typed,
                form_id: form_id
                    .as_ref()
                    .map(|id| id.as_str().to_owned())
                    .unwrap_or_default(),
            },
            errors,
            unreadable,
            banner,
            name,
            issues,
            fields,
            form_id,
        }
    }

    /// The JQL to check with Jira, once the issue part parsed.
    pub(crate) fn jql(&self) -> Option<String> {
        self.issues.as_ref().map(IssueSelection::jql)
    }

    /// Picked projects must be ones the user can see, and fields must exist on the site.
    pub(crate) fn check_against(&mut self, catalog: &Catalog) {
        if let Some(IssueSelection::Projects(keys)) = &self.issues {
            let visible: HashSet<&str> = catalog.projects.iter().map(|p| p.key.as_str()).collect();
            let missing: Vec<&str> = keys
                .iter()
                .map(|key| key.as_str())
                .filter(|key| !visible.contains(key))
                .collect();
            if !missing.is_empty() {
                self.errors.projects = Some(format!(
                    "You cannot see {} in Jira, or it no longer exists. Pick projects from the list.",
                    name_some(&missing, "project", "projects")
                ));
                self.issues = None;
            }
        }
        if let Some(fields) = &self.fields {
            let known: HashSet<&str> = catalog.fields.iter().map(|f| f.id.as_str()).collect();
            let unknown = fields.unknown(&known);
            if !unknown.is_empty() {
                self.errors.fields = Some(format!(
                    "Your Jira site has no {}. Pick fields from the list.",
                    name_some(&unknown, "field", "fields")
                ));
                self.fields = None;
            }
        }
    }

    /// Jira refused the query (400): its messages go next to the part that made the query.
    pub(crate) fn jql_refused(&mut self, messages: &[String]) {
        let reason = if messages.is_empty() {
            "Jira could not run this query. Check it and try again.".to_owned()
        } else {
            format!("Jira could not run this query: {}", messages.join(" "))
        };
        match self.issues.as_ref().map(IssueSelection::mode) {
            Some(IssueMode::Projects) => self.errors.projects = Some(reason),
            _ => self.errors.jql = Some(reason),
        }
        self.issues = None;
    }

    /// The definition to store, when nothing was refused.
    pub(crate) fn definition(&self) -> Option<DataSourceDefinition> {
        if self.errors.any() || self.banner.is_some() {
            return None;
        }
        Some(DataSourceDefinition {
            name: self.name.clone()?,
            issues: self.issues.clone()?,
            fields: self.fields.clone()?,
        })
    }

    pub(crate) fn form_id(&self) -> Option<&FormId> {
        self.form_id.as_ref()
    }

    /// The status of the refused form.
    pub(crate) fn status(&self) -> StatusCode {
        if self.unreadable {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        }
    }
}

/// `project “X”` / `projects “X”, “Y” and 3 more`.
fn name_some(items: &[&str], one: &str, many: &str) -> String {
    let named = items
        .iter()
        .take(MAX_NAMED)
        .map(|item| format!("“{item}”"))
        .collect::<Vec<_>>()
        .join(", ");
    let rest = items.len().saturating_sub(MAX_NAMED);
    let noun = if items.len() == 1 { one } else { many };
    if rest > 0 {
        format!("{noun} {named} and {rest} more")
    } else {
        format!("{noun} {named}")
    }
}

/// One project checkbox.
pub(crate) struct ProjectOption {
    pub key: String,
    pub name: String,
    pub checked: bool,
}

/// One field checkbox: Jira's name (names collide, so the id is shown too) and the column it
/// becomes in the feed.
pub(crate) struct FieldOption {
    pub id: String,
    pub name: String,
    pub column: String,
    pub checked: bool,
    /// Unique within the page, for `id`/`for` (field ids may hold any character).
    pub dom_id: String,
}

pub(crate) struct FieldGroup {
    pub title: &'static str,
    pub options: Vec<FieldOption>,
}

/// The form as the template renders it.
pub(crate) struct FormView {
    pub values: FormValues,
    pub errors: FormErrors,
    pub projects: Vec<ProjectOption>,
    pub field_groups: Vec<FieldGroup>,
    /// The columns every data source has, whatever fields are picked.
    pub standard_columns: Vec<String>,
    /// False when Jira could not be asked: the lists then hold only what was already picked.
    pub catalog_loaded: bool,
}

impl FormView {
    pub(crate) fn build(values: FormValues, errors: FormErrors, catalog: Option<&Catalog>) -> Self {
        let picked_projects: HashSet<&str> = values.projects.iter().map(String::as_str).collect();
        let picked_fields: HashSet<&str> = values.fields.iter().map(String::as_str).collect();
        let (projects, field_groups, standard_columns) = match catalog {
            Some(catalog) => {
                let mut projects: Vec<ProjectOption> = catalog
                    .projects
                    .iter()
                    .map(|project| ProjectOption {
                        key: project.key.clone(),
                        name: project.name.clone(),
                        checked: picked_projects.contains(project.key.as_str()),
                    })
                    .collect();
                projects.sort_by(|a, b| a.key.cmp(&b.key));
                let (standard, extra) = pickable_fields(&catalog.fields);
                let mut system = Vec::new();
                let mut custom = Vec::new();
                for field in &catalog.fields {
                    let Some(column) = extra.get(field.id.as_str()) else {
                        continue;
                    };
                    let option = FieldOption {
                        id: field.id.clone(),
                        name: if field.name.trim().is_empty() {
                            field.id.clone()
                        } else {
                            field.name.clone()
                        },
                        column: column.clone(),
                        checked: picked_fields.contains(field.id.as_str()),
                        dom_id: String::new(),
                    };
                    if field.custom {
                        custom.push(option);
                    } else {
                        system.push(option);
                    }
                }
                let mut groups = vec![
                    FieldGroup {
                        title: "Custom fields",
                        options: custom,
                    },
                    FieldGroup {
                        title: "Other Jira fields",
                        options: system,
                    },
                ];
                for group in &mut groups {
                    group.options.sort_by(|a, b| {
                        (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id))
                    });
                }
                (projects, groups, standard)
            }
            None => {
                let projects = values
                    .projects
                    .iter()
                    .map(|key| ProjectOption {
                        key: key.clone(),
                        name: String::new(),
                        checked: true,
                    })
                    .collect();
                let options = values
                    .fields
                    .iter()
                    .map(|id| FieldOption {
                        id: id.clone(),
                        name: id.clone(),
                        column: String::new(),
                        checked: true,
                        dom_id: String::new(),
                    })
                    .collect();
                let groups = vec![FieldGroup {
                    title: "Picked fields",
                    options,
                }];
                (projects, groups, standard_column_names(&[]))
            }
        };
        let mut view = Self {
            values,
            errors,
            projects,
            field_groups: field_groups
                .into_iter()
                .filter(|group| !group.options.is_empty())
                .collect(),
            standard_columns,
            catalog_loaded: catalog.is_some(),
        };
        let mut n = 0;
        for group in &mut view.field_groups {
            for option in &mut group.options {
                n += 1;
                option.dom_id = format!("ds-field-{n}");
            }
        }
        view
    }

    pub(crate) fn is_jql(&self) -> bool {
        self.values.mode == IssueMode::Jql
    }

    pub(crate) fn is_projects(&self) -> bool {
        self.values.mode == IssueMode::Projects
    }

    pub(crate) fn field_option_count(&self) -> usize {
        self.field_groups.iter().map(|g| g.options.len()).sum()
    }

    pub(crate) fn picked_field_count(&self) -> usize {
        self.field_groups
            .iter()
            .flat_map(|g| &g.options)
            .filter(|o| o.checked)
            .count()
    }

    /// `aria-describedby` of an input: its help text, then its error if any.
    pub(crate) fn described_by(&self, part: &str) -> String {
        let error = match part {
            "name" => self.errors.name.is_some(),
            "jql" => self.errors.jql.is_some(),
            "projects" => self.errors.projects.is_some(),
            "fields" => self.errors.fields.is_some(),
            _ => false,
        };
        if error {
            format!("ds-{part}-error ds-{part}-help")
        } else {
            format!("ds-{part}-help")
        }
    }
}

/// The standard columns' names, and for every other field of the site (by id) the column it
/// becomes. Built from the feed's own [`ColumnSet`], so the form names columns exactly as the
/// feed will.
fn pickable_fields(site_fields: &[JiraField]) -> (Vec<String>, HashMap<String, String>) {
    let standard = ColumnSet::build(site_fields, &[]);
    let all_ids: Vec<String> = site_fields.iter().map(|f| f.id.clone()).collect();
    let everything = ColumnSet::build(site_fields, &all_ids);
    let standard_names = standard
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect();
    let extra = everything
        .columns()
        .iter()
        .skip(standard.len())
        .filter_map(|column| Some((column.field_id()?.to_owned(), column.name().to_owned())))
        .collect();
    (standard_names, extra)
}

fn standard_column_names(site_fields: &[JiraField]) -> Vec<String> {
    ColumnSet::build(site_fields, &[])
        .columns()
        .iter()
        .map(|c| c.name().to_owned())
        .collect()
}

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
    let jira = match UserJira::connect(state, user).await? {
        Ok(jira) => jira,
        Err(problem) => {
            return render(
                state,
                user,
                target,
                status,
                banner,
                FormContent::NeedsToken(problem),
            );
        }
    };
    let (catalog, jira_banner) = match jira.catalog().await {
        Ok(catalog) => (Some(catalog), None),
        Err(err) => {
            let trouble = jira.trouble(state, user, err).await;
            if let Trouble::Token(problem) = trouble {
                return render(
                    state,
                    user,
                    target,
                    status,
                    banner,
                    FormContent::NeedsToken(problem),
                );
            }
            (None, Some(trouble.banner()))
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

/// A submission after Jira had its say.
pub(crate) enum Checked {
    /// Store this; the catalog is kept to show the form again if the store refuses.
    Ready {
        definition: DataSourceDefinition,
        submission: Box<Submission>,
        catalog: Catalog,
    },
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

/// Parses a submitted form and checks it with Jira as the user: the picked projects must be
/// ones they can see, the fields must exist, and Jira must accept the JQL (the same search the
/// feed runs). The catalog and the JQL check run concurrently.
pub(crate) async fn check_submission(
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
        (Some(definition), Some(catalog)) => Ok(Checked::Ready {
            definition,
            submission: Box::new(submission),
            catalog,
        }),
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
