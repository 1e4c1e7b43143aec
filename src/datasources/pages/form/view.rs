//! The form as the template renders it: the values and errors, plus the checkboxes built from
//! the user's projects and the site's fields (named as the feed will name their columns) and the
//! tables a data source can export (`Issues` always, the others as `ExtraTable` lists them).

use std::collections::{HashMap, HashSet};

use super::submission::{FormErrors, FormValues};
use crate::datasources::domain::{ExtraTable, IssueMode};
use crate::datasources::pages::Catalog;
use crate::feed::columns::ColumnSet;
use crate::feed::tables::catalog::{ISSUES, ISSUES_DESCRIPTION};
use crate::jira::client::JiraField;

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

/// One checkbox of the "Tables" group; its name is also its value and part of its DOM id (table
/// names are plain identifiers).
pub(crate) struct TableOption {
    pub name: &'static str,
    pub description: &'static str,
    pub checked: bool,
}

/// The form as the template renders it.
pub(crate) struct FormView {
    pub values: FormValues,
    pub errors: FormErrors,
    pub projects: Vec<ProjectOption>,
    pub field_groups: Vec<FieldGroup>,
    /// The columns every data source has, whatever fields are picked.
    pub standard_columns: Vec<String>,
    /// The table every data source has (shown ticked, it cannot be unticked) and what it holds.
    pub issues_table: (&'static str, &'static str),
    /// One checkbox per extra table, ticked as submitted or stored.
    pub tables: Vec<TableOption>,
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
        let tables = ExtraTable::ALL
            .iter()
            .map(|table| TableOption {
                name: table.as_str(),
                description: table.description(),
                checked: values.tables.iter().any(|t| t.trim() == table.as_str()),
            })
            .collect();
        let mut view = Self {
            values,
            errors,
            issues_table: (ISSUES, ISSUES_DESCRIPTION),
            tables,
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
            "tables" => self.errors.tables.is_some(),
            _ => false,
        };
        if error {
            format!("ds-{part}-error ds-{part}-help")
        } else {
            format!("ds-{part}-help")
        }
    }

    /// `aria-describedby` of a table's checkbox: the group's error if any, then its description.
    pub(crate) fn table_described_by(&self, name: &str) -> String {
        if self.errors.tables.is_some() {
            format!("ds-tables-error ds-table-{name}-help")
        } else {
            format!("ds-table-{name}-help")
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
