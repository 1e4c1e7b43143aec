//! A submitted create/edit form, parsed as far as it can be without Jira, then checked against
//! what Jira offers the user. Every reason lands next to its field, and the values stay as typed,
//! so a refused form comes back exactly as the user left it.

use std::collections::HashSet;

use actix_web::http::StatusCode;

use crate::datasources::domain::{
    DataSourceDefinition, DataSourceName, FieldIds, IssueMode, IssueSelection, Jql, TableSelection,
};
use crate::datasources::pages::{Banner, Catalog};
use crate::datasources::store::DataSource;
use crate::error::AppError;
use crate::pages::form_body::{Field, FormFields};
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
    /// Names of the extra tables ticked (besides Issues).
    pub tables: Vec<String>,
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
            tables: Vec::new(),
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
            tables: source.tables.names(),
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
    pub tables: Option<String>,
}

impl FormErrors {
    fn any(&self) -> bool {
        self.name.is_some()
            || self.mode.is_some()
            || self.jql.is_some()
            || self.projects.is_some()
            || self.fields.is_some()
            || self.tables.is_some()
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
    tables: Option<TableSelection>,
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

        let (tables, tables_typed) = match texts(form.all("tables")) {
            Ok(values) => (
                TableSelection::parse(&values)
                    .map_err(|reason| errors.tables = Some(reason.to_owned()))
                    .ok(),
                values,
            ),
            Err(values) => {
                unreadable = true;
                errors.tables = Some(NOT_UTF8.to_owned());
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
                tables: tables_typed,
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
            tables,
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
                .map(crate::datasources::domain::ProjectKey::as_str)
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
            tables: self.tables.clone()?,
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
pub(super) fn name_some(items: &[&str], one: &str, many: &str) -> String {
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
