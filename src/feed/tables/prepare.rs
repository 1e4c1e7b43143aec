//! A feed request against any table turned into what the export engine runs: `Issues` through
//! its own preparation (`feed::query`), the other tables through [`super::query`], with the
//! reader ([`super::read`]) or whole-table source ([`super::dimension`]) each needs.

use std::sync::Arc;

use time::OffsetDateTime;

use super::catalog::{TableKind, columns_of, shape_of};
use super::dimension::{Dimension, DimensionTable};
use super::query;
use super::read::{ExtraRows, Source};
use super::rows;
use crate::datasources::domain::ExtraTable;
use crate::feed::columns::EdmType;
use crate::feed::error::FeedError;
use crate::feed::export::{
    ExportPlan, IssueRows, JqlVariant, Materialized, Resume, TableRows, Tuning,
};
use crate::feed::filter::Predicate;
use crate::feed::query::{FeedOptions, Prepared};
use crate::jira::client::{JiraCredentials, JiraField, JiraSite};

/// A request against any table, ready to become export plans.
#[derive(Clone)]
pub struct PreparedFeed {
    /// The shown columns: name and type.
    pub columns: Vec<(String, EdmType)>,
    pub rows: Arc<dyn TableRows>,
    pub materialized: Option<Arc<dyn Materialized>>,
    pub filter: Option<Arc<Predicate>>,
    pub variants: Vec<JqlVariant>,
}

impl PreparedFeed {
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// The `Issues` request as the engine runs it.
    pub fn issues(prepared: &Prepared) -> Self {
        Self {
            columns: prepared
                .output
                .columns()
                .iter()
                .map(|c| (c.name().to_owned(), c.edm_type()))
                .collect(),
            rows: Arc::new(IssueRows::new(
                Arc::clone(&prepared.computed),
                prepared.output.len(),
            )),
            materialized: None,
            filter: prepared.filter.clone(),
            variants: prepared.variants.clone(),
        }
    }

    /// An extra table's request; `now` is when time in status is measured to, `site_fields`
    /// name the sprint field.
    pub fn extra(
        source_jql: &str,
        kind: &TableKind,
        site_fields: &[JiraField],
        options: &FeedOptions,
        now: OffsetDateTime,
    ) -> Result<Self, FeedError> {
        let columns = columns_of(kind);
        let shape = shape_of(kind);
        let prepared = query::prepare(source_jql, columns, shape, options)?;
        let sprint_field = rows::sprints::sprint_field_id(site_fields);
        let source = match kind {
            TableKind::Values { field_id } => Source::Values {
                field: field_id.clone(),
            },
            TableKind::Issues | TableKind::Extra(ExtraTable::FieldValues) => {
                return Err(FeedError::internal("not an extra table"));
            }
            TableKind::Extra(table) => match table {
                ExtraTable::IssueChanges => Source::Changes,
                ExtraTable::StatusPeriods => Source::Periods { now, time: false },
                ExtraTable::TimeInStatus => Source::Periods { now, time: true },
                ExtraTable::Worklogs => Source::Worklogs,
                // Read by the dimension table; the source here only cuts rows to the output.
                ExtraTable::Sprints | ExtraTable::Versions => Source::ProjectRefs,
                ExtraTable::IssueSprints => match &sprint_field {
                    Some(field) => Source::IssueSprints {
                        field: field.clone(),
                    },
                    // No Jira Software on the site: no sprints, so no rows.
                    None => Source::Labels,
                },
                ExtraTable::IssueFixVersions => Source::IssueVersions {
                    field: rows::versions::FIX_VERSIONS,
                },
                ExtraTable::IssueAffectedVersions => Source::IssueVersions {
                    field: rows::versions::AFFECTED_VERSIONS,
                },
                ExtraTable::IssueLinks => Source::Links,
                ExtraTable::IssueLabels => Source::Labels,
                ExtraTable::IssueComponents => Source::Components,
                ExtraTable::FieldValues => unreachable_table(),
            },
        };
        let no_sprints =
            sprint_field.is_none() && matches!(kind, TableKind::Extra(ExtraTable::IssueSprints));
        let materialized: Option<Arc<dyn Materialized>> = match kind {
            TableKind::Extra(ExtraTable::Sprints) => Some(Arc::new(DimensionTable {
                dimension: Dimension::Sprints {
                    field: sprint_field.clone(),
                },
                order_by: prepared.order_by.clone(),
            })),
            TableKind::Extra(ExtraTable::Versions) => Some(Arc::new(DimensionTable {
                dimension: Dimension::Versions,
                order_by: prepared.order_by.clone(),
            })),
            _ if no_sprints => Some(Arc::new(DimensionTable {
                dimension: Dimension::Sprints { field: None },
                order_by: Vec::new(),
            })),
            _ => None,
        };
        Ok(Self {
            columns: prepared
                .output
                .iter()
                .map(|&i| (columns[i].name.to_owned(), columns[i].edm_type))
                .collect(),
            rows: Arc::new(ExtraRows::new(source, prepared.output.clone())),
            materialized,
            filter: prepared.filter,
            variants: prepared.variants,
        })
    }

    pub fn plan(
        &self,
        site: &JiraSite,
        creds: &JiraCredentials,
        start: Option<Resume>,
        skip: u64,
        limit: Option<u64>,
        tuning: Tuning,
    ) -> ExportPlan {
        ExportPlan {
            site: site.clone(),
            creds: creds.clone(),
            variants: self.variants.clone(),
            rows: Arc::clone(&self.rows),
            materialized: self.materialized.clone(),
            filter: self.filter.clone(),
            start,
            skip,
            limit,
            tuning,
        }
    }
}

fn unreachable_table() -> Source {
    // `FieldValues` is resolved to `TableKind::Values` before preparing; as a source it reads
    // nothing.
    Source::Labels
}
