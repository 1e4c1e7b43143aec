//! The query options every feed shares, parsed once: OData's `$select`, `$filter`, `$orderby`,
//! `$top`, `$skip` (the CSV and JSON feeds take the same options, so one syntax serves all),
//! plus OData's `$count` and `$skiptoken`. An option the service does not implement is refused
//! (501), a malformed one too (400): a BI tool that folded a step into the URL must never get
//! silently different data. Parameters without `$` are not OData's and are left to the caller.

use std::sync::Arc;

use super::columns::ColumnSet;
use super::error::{FeedError, Format};
use super::export::{ExportPlan, IssueRows, JqlVariant, Resume, Tuning};
use super::filter::{Expr, FilterError, Predicate};
use super::jql::{PushLevel, SortColumn, compose, push_down};
use crate::jira::client::{JiraCredentials, JiraSite};

/// System query options we implement, per format.
const ODATA_OPTIONS: &[&str] = &[
    "$select",
    "$filter",
    "$orderby",
    "$top",
    "$skip",
    "$count",
    "$skiptoken",
    "$format",
];
const TABLE_OPTIONS: &[&str] = &["$select", "$filter", "$orderby", "$top", "$skip"];
/// OData options that exist but that this flat, read-only model does not offer.
const NOT_IMPLEMENTED: &[&str] = &[
    "$expand",
    "$search",
    "$apply",
    "$compute",
    "$levels",
    "$index",
    "$schemaversion",
    "$deltatoken",
    "$id",
];

/// The decoded query string, in order (`+` is a space, as in forms).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: &str) -> Self {
        Self(
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The pairs except those named in `without`, re-encoded (for next-page links). OData's
    /// punctuation (`$ , : ' ( )`) stays readable; space is `%20` and `+` is `%2B`.
    pub fn encode_without(&self, without: &[&str]) -> String {
        self.0
            .iter()
            .filter(|(key, _)| !without.contains(&key.as_str()))
            .map(|(key, value)| format!("{}={}", encode_component(key), encode_component(value)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// Percent-encodes a query component, keeping unreserved characters and OData punctuation.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~$,:'()*!@/;".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What a request asks for, independent of the columns (checked in [`prepare`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeedOptions {
    pub select: Option<Vec<String>>,
    pub filter: Option<Expr>,
    /// `(column, descending)` as written.
    pub order_by: Vec<(String, bool)>,
    pub top: Option<u64>,
    pub skip: u64,
    pub count: bool,
    pub skiptoken: Option<String>,
    /// The option texts that define the result, for binding paging cursors to the query.
    pub defining: Vec<String>,
}

/// Parses the system query options for `format`.
pub fn parse_options(params: &Params, format: Format) -> Result<FeedOptions, FeedError> {
    let allowed = match format {
        Format::OData => ODATA_OPTIONS,
        Format::Csv | Format::Json => TABLE_OPTIONS,
    };
    let mut seen: Vec<&str> = Vec::new();
    for (name, _) in params.pairs() {
        if !name.starts_with('$') {
            continue;
        }
        if NOT_IMPLEMENTED.contains(&name.as_str()) {
            return Err(FeedError::not_implemented(format!(
                "The query option {name} is not supported: the model is flat and read-only."
            )));
        }
        if !allowed.contains(&name.as_str()) {
            let hint = match format {
                Format::OData => "",
                _ => " The CSV and JSON feeds accept $select, $filter, $orderby, $top and $skip.",
            };
            return Err(FeedError::bad_request(format!(
                "Unknown query option {name}.{hint}"
            )));
        }
        if seen.contains(&name.as_str()) {
            return Err(FeedError::bad_request(format!(
                "The query option {name} is given more than once."
            )));
        }
        seen.push(name);
    }
    let get = |name: &str| params.get(name);
    if let Some(requested) = get("$format") {
        let kind = requested.split(';').next().unwrap_or_default().trim();
        if !matches!(kind, "json" | "application/json") {
            return Err(FeedError::not_implemented(format!(
                "$format={requested} is not supported; this service answers in JSON."
            )));
        }
    }
    let select = match get("$select") {
        None => None,
        Some(raw) => parse_select(raw)?,
    };
    let filter = match get("$filter") {
        None => None,
        Some(raw) if raw.trim().is_empty() => {
            return Err(FeedError::bad_request("$filter is empty."));
        }
        Some(raw) => Some(Expr::parse(raw).map_err(filter_error)?),
    };
    let order_by = match get("$orderby") {
        None => Vec::new(),
        Some(raw) => parse_order_by(raw)?,
    };
    let count = match get("$count") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(FeedError::bad_request(format!(
                "$count must be true or false, not '{other}'."
            )));
        }
    };
    let defining = ["$select", "$filter", "$orderby", "$top", "$skip", "$count"]
        .iter()
        .map(|name| format!("{name}={}", get(name).unwrap_or("\u{0}")))
        .collect();
    Ok(FeedOptions {
        select,
        filter,
        order_by,
        top: get("$top")
            .map(|raw| non_negative("$top", raw))
            .transpose()?,
        skip: get("$skip")
            .map(|raw| non_negative("$skip", raw))
            .transpose()?
            .unwrap_or(0),
        count,
        skiptoken: get("$skiptoken").map(str::to_owned),
        defining,
    })
}

impl FeedOptions {
    /// What counting needs: the filter, and no column beyond the id (so only the filter's
    /// fields are read when rows must be fetched).
    pub fn for_count(&self) -> FeedOptions {
        FeedOptions {
            select: Some(vec!["Id".to_owned()]),
            filter: self.filter.clone(),
            ..FeedOptions::default()
        }
    }
}

fn non_negative(name: &str, raw: &str) -> Result<u64, FeedError> {
    raw.trim().parse::<u64>().map_err(|_| {
        FeedError::bad_request(format!("{name} must be a whole number ≥ 0, not '{raw}'."))
    })
}

fn parse_select(raw: &str) -> Result<Option<Vec<String>>, FeedError> {
    let items: Vec<String> = raw.split(',').map(|item| item.trim().to_owned()).collect();
    if items.iter().any(String::is_empty) {
        return Err(FeedError::bad_request("$select has an empty item."));
    }
    if items.iter().any(|item| item == "*") {
        return Ok(None);
    }
    if let Some(bad) = items
        .iter()
        .find(|item| item.contains(['/', '(', ')', '*']))
    {
        return Err(FeedError::not_implemented(format!(
            "$select={bad} is not supported: only column names (or *) can be selected."
        )));
    }
    Ok(Some(items))
}

fn parse_order_by(raw: &str) -> Result<Vec<(String, bool)>, FeedError> {
    raw.split(',')
        .map(|item| {
            let mut words = item.split_whitespace();
            let column = words
                .next()
                .ok_or_else(|| FeedError::bad_request("$orderby has an empty item."))?;
            let descending = match words.next() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => {
                    return Err(FeedError::bad_request(format!(
                        "$orderby direction must be asc or desc, not '{other}'."
                    )));
                }
            };
            if words.next().is_some() {
                return Err(FeedError::bad_request(format!(
                    "$orderby item '{item}' is malformed."
                )));
            }
            Ok((column.to_owned(), descending))
        })
        .collect()
}

pub(crate) fn filter_error(err: FilterError) -> FeedError {
    match err {
        FilterError::NotImplemented(message) => FeedError::not_implemented(message),
        other => FeedError::bad_request(other.to_string()),
    }
}

/// A request resolved against the data source's columns, ready to become export plans.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The columns the response shows (`$select`, or all).
    pub output: ColumnSet,
    /// What each issue is turned into: the output columns, then any the filter needs.
    pub computed: Arc<ColumnSet>,
    pub filter: Option<Arc<Predicate>>,
    pub variants: Vec<JqlVariant>,
}

/// Checks the options against `columns` and composes the JQL variants.
pub fn prepare(
    source_jql: &str,
    columns: &ColumnSet,
    options: &FeedOptions,
) -> Result<Prepared, FeedError> {
    let output = match &options.select {
        None => columns.clone(),
        Some(names) => columns
            .subset(names)
            .map_err(|err| FeedError::bad_request(format!("Invalid $select: {err}")))?,
    };
    let mut sort = Vec::with_capacity(options.order_by.len());
    for (name, descending) in &options.order_by {
        if columns.column(name).is_none() {
            return Err(FeedError::bad_request(format!(
                "Invalid $orderby: there is no column named '{name}'."
            )));
        }
        let column = SortColumn::parse(name).ok_or_else(|| {
            FeedError::not_implemented(format!(
                "Ordering by {name} is not supported; order by Key, Created or Updated."
            ))
        })?;
        // Each sort column once, so the `ORDER BY` sent to Jira stays a few words long.
        if sort.iter().any(|(known, _)| *known == column) {
            return Err(FeedError::bad_request(format!(
                "Invalid $orderby: {name} is listed more than once."
            )));
        }
        sort.push((column, *descending));
    }
    let (computed, filter) = match &options.filter {
        None => (output.clone(), None),
        Some(expr) => {
            let mut needed = Vec::new();
            for name in expr.columns() {
                let column = columns
                    .column(name)
                    .ok_or_else(|| filter_error(FilterError::UnknownColumn(name.to_owned())))?;
                needed.push(column);
            }
            let computed = output.with(&needed);
            let predicate = expr.compile(&computed).map_err(filter_error)?;
            (computed, Some(Arc::new(predicate)))
        }
    };
    let mut variants: Vec<JqlVariant> = Vec::new();
    match &options.filter {
        None => variants.push(JqlVariant {
            jql: compose(source_jql, None, &sort),
            exact: true,
        }),
        Some(expr) => {
            for level in [PushLevel::Full, PushLevel::DatesOnly] {
                let pushed = push_down(expr, level);
                let jql = compose(source_jql, pushed.jql.as_deref(), &sort);
                if !variants.iter().any(|v| v.jql == jql) {
                    variants.push(JqlVariant {
                        jql,
                        exact: pushed.exact,
                    });
                }
            }
        }
    }
    Ok(Prepared {
        output,
        computed: Arc::new(computed),
        filter,
        variants,
    })
}

impl Prepared {
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
            rows: Arc::new(IssueRows::new(
                Arc::clone(&self.computed),
                self.output.len(),
            )),
            materialized: None,
            filter: self.filter.clone(),
            start,
            skip,
            limit,
            tuning,
        }
    }
}

#[cfg(test)]
mod tests;
