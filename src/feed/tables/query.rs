//! A request's options resolved against one extra table: which columns it shows, the exact row
//! filter, and the JQL that narrows the issues read. Same rules as `Issues` (unknown names are
//! 400, valid OData we do not implement is 501), with the table's own columns.
//!
//! What reaches Jira (the rest is applied to every row, so results are exact either way):
//! * `IssueKey` conditions, as `key` conditions;
//! * lower bounds on a row's time columns that can only lie at or before the issue's last
//!   update (`Changed`, `Entered`, `Left`, a worklog's `Created`/`Updated`), as
//!   `updated >= …`: a change, a status stay ending or a worklog written after a moment makes the
//!   issue updated after it. This is what makes an incremental refresh of `IssueChanges`,
//!   `StatusPeriods` and `Worklogs` cheap.
//!
//! A row's other columns say nothing about which issues match, so they are not pushed; an `or`
//! or `not` over them pushes nothing.

use std::sync::Arc;

use super::column::TableColumn;
use crate::feed::columns::EdmType;
use crate::feed::error::FeedError;
use crate::feed::export::JqlVariant;
use crate::feed::filter::{ColumnTypes, CompareOp, Expr, Predicate};
use crate::feed::jql::{PushLevel, SortColumn, compose, push_down};
use crate::feed::query::{FeedOptions, filter_error};

/// The columns of an extra table, for compiling a filter against its rows.
pub struct Columns<'a>(pub &'a [TableColumn]);

impl ColumnTypes for Columns<'_> {
    fn column_type(&self, name: &str) -> Option<(usize, EdmType)> {
        self.0
            .iter()
            .position(|column| column.name == name)
            .map(|index| (index, self.0[index].edm_type))
    }
}

/// How a table's rows relate to the issues they come from, for pushdown and ordering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Rows belong to one issue each and come in the issues' order (`IssueKey` is theirs).
    PerIssue {
        /// Time columns whose value is never after the issue's `updated`.
        bounded_by_updated: &'static [&'static str],
    },
    /// Rows are distinct things referred to by the issues (sprints, versions), read in full and
    /// ordered in memory.
    Dimension,
}

/// A request against one extra table, ready to become export plans.
#[derive(Clone, Debug)]
pub struct PreparedTable {
    /// Positions of the shown columns in the table's rows.
    pub output: Vec<usize>,
    pub filter: Option<Arc<Predicate>>,
    /// For per-issue tables; never exact (an issue has many rows or none), so rows are counted
    /// and skipped as rows.
    pub variants: Vec<JqlVariant>,
    /// For dimension tables: `(column position, descending)`.
    pub order_by: Vec<(usize, bool)>,
}

impl PreparedTable {
    /// Names of the shown columns.
    pub fn names(&self, columns: &[TableColumn]) -> Vec<&'static str> {
        self.output.iter().map(|&i| columns[i].name).collect()
    }
}

/// Checks `options` against `columns` and composes the JQL that reads the issues.
pub fn prepare(
    source_jql: &str,
    columns: &[TableColumn],
    shape: Shape,
    options: &FeedOptions,
) -> Result<PreparedTable, FeedError> {
    let lookup = Columns(columns);
    let position = |name: &str| lookup.column_type(name).map(|(index, _)| index);
    let output = match &options.select {
        None => (0..columns.len()).collect(),
        Some(names) => {
            let mut output = Vec::with_capacity(names.len());
            for name in names {
                let index = position(name).ok_or_else(|| {
                    FeedError::bad_request(format!(
                        "Invalid $select: There is no column named '{name}'."
                    ))
                })?;
                if !output.contains(&index) {
                    output.push(index);
                }
            }
            output
        }
    };
    let mut sort: Vec<(SortColumn, bool)> = Vec::new();
    let mut order_by: Vec<(usize, bool)> = Vec::new();
    for (name, descending) in &options.order_by {
        let index = position(name).ok_or_else(|| {
            FeedError::bad_request(format!(
                "Invalid $orderby: there is no column named '{name}'."
            ))
        })?;
        if order_by.iter().any(|(known, _)| *known == index) {
            return Err(FeedError::bad_request(format!(
                "Invalid $orderby: {name} is listed more than once."
            )));
        }
        order_by.push((index, *descending));
        if let Shape::PerIssue { .. } = shape {
            if name != "IssueKey" {
                return Err(FeedError::not_implemented(format!(
                    "Ordering by {name} is not supported on this table; order by IssueKey."
                )));
            }
            sort.push((SortColumn::Key, *descending));
        }
    }
    let filter = options
        .filter
        .as_ref()
        .map(|expr| expr.compile(&lookup).map(Arc::new))
        .transpose()
        .map_err(filter_error)?;
    let mut variants: Vec<JqlVariant> = Vec::new();
    if let Shape::PerIssue { bounded_by_updated } = shape {
        let issue_filter = options
            .filter
            .as_ref()
            .and_then(|expr| issue_condition(expr, bounded_by_updated));
        let levels: &[PushLevel] = match issue_filter {
            None => &[],
            Some(_) => &[PushLevel::Full, PushLevel::DatesOnly],
        };
        for &level in levels {
            let pushed = issue_filter.as_ref().and_then(|e| push_down(e, level).jql);
            let jql = compose(source_jql, pushed.as_deref(), &sort);
            if !variants.iter().any(|v| v.jql == jql) {
                variants.push(JqlVariant { jql, exact: false });
            }
        }
        if variants.is_empty() {
            variants.push(JqlVariant {
                jql: compose(source_jql, None, &sort),
                exact: false,
            });
        }
    } else {
        variants.push(JqlVariant {
            jql: compose(source_jql, None, &[]),
            exact: false,
        });
    }
    Ok(PreparedTable {
        output,
        filter,
        variants,
        order_by,
    })
}

/// A condition on issues (with `Issues` column names) that every issue with a matching row
/// satisfies, or `None` when the filter says nothing about issues.
fn issue_condition(expr: &Expr, bounded_by_updated: &[&str]) -> Option<Expr> {
    match expr {
        Expr::And(terms) => {
            let mut kept: Vec<Expr> = terms
                .iter()
                .filter_map(|term| issue_condition(term, bounded_by_updated))
                .collect();
            match kept.len() {
                0 => None,
                1 => kept.pop(),
                _ => Some(Expr::And(kept)),
            }
        }
        // Every term must say something, else the `or` admits any issue.
        Expr::Or(terms) => terms
            .iter()
            .map(|term| issue_condition(term, bounded_by_updated))
            .collect::<Option<Vec<Expr>>>()
            .map(Expr::Or),
        Expr::Not(_) | Expr::Text { .. } => None,
        Expr::Compare { column, op, value } => {
            if column == "IssueKey" {
                return Some(Expr::Compare {
                    column: "Key".to_owned(),
                    op: *op,
                    value: value.clone(),
                });
            }
            let bounded = bounded_by_updated.contains(&column.as_str());
            let lower = matches!(op, CompareOp::Ge | CompareOp::Gt | CompareOp::Eq);
            let dated = matches!(
                value,
                crate::feed::filter::Literal::Date(_) | crate::feed::filter::Literal::DateTime(_)
            );
            (bounded && lower && dated).then(|| Expr::Compare {
                column: "Updated".to_owned(),
                op: CompareOp::Ge,
                value: value.clone(),
            })
        }
    }
}

#[cfg(test)]
mod tests;
