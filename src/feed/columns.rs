//! The flat table every feed serves: a fixed set of issue columns plus the data source's chosen
//! fields, each with a precise Edm type, and the conversion of Jira's issue JSON into typed cells.
//! One module so OData, CSV, JSON and the data source preview can never disagree on a value.
//! (That is also why it is one file of ~840 lines.)
//!
//! Naming: fixed columns have fixed names. Every other selected field gets its Jira name turned
//! into an OData identifier (`Customer Reference` → `CustomerReference`). If that name is taken —
//! by a fixed column or by another field *of the site* with the same friendly name, compared
//! case-insensitively — the field id is appended (`Team_customfield_10035`). Collisions are
//! judged against the whole site, not only the selection, so picking another field never renames
//! a column a report already uses. Sprint and story points are recognised by `schema.custom`
//! (names are localised); a number field literally named "Story Points" / "Story point estimate"
//! is the fallback for sites whose story points are a plain number field.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::Value;
use time::{Date, Month, OffsetDateTime, UtcOffset};

use crate::jira::client::JiraField;

/// Separator of multi-value fields (labels, components, sprints…) flattened into one cell.
pub const MULTI_VALUE_SEPARATOR: &str = "; ";

/// OData identifiers are at most 128 characters.
const MAX_NAME_LEN: usize = 128;

/// `schema.custom` of the sprint field (recognised by type, since its name is localised).
pub(crate) const SPRINT_SCHEMAS: &[&str] = &["com.pyxis.greenhopper.jira:gh-sprint"];
const STORY_POINT_SCHEMAS: &[&str] = &[
    "com.pyxis.greenhopper.jira:jsw-story-points",
    "com.pyxis.greenhopper.jira:gh-story-points",
];
const STORY_POINT_NAMES: &[&str] = &["story points", "story point estimate"];

/// System fields the fixed columns already cover; selecting them adds nothing.
const COVERED_SYSTEM_FIELDS: &[&str] = &[
    "issuekey",
    "summary",
    "project",
    "issuetype",
    "status",
    "priority",
    "resolution",
    "assignee",
    "reporter",
    "created",
    "updated",
    "resolutiondate",
    "duedate",
    "labels",
    "components",
    "fixVersions",
    "parent",
    "timeoriginalestimate",
    "timeestimate",
    "timespent",
    "timetracking",
];

/// The primitive types a column can have (the flat model: no complex types or collections).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdmType {
    String,
    DateTimeOffset,
    Date,
    Double,
    Int64,
    Boolean,
}

impl EdmType {
    /// `String`, `Date`… (as the JSON feed's `columns` list names them).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "String",
            Self::DateTimeOffset => "DateTimeOffset",
            Self::Date => "Date",
            Self::Double => "Double",
            Self::Int64 => "Int64",
            Self::Boolean => "Boolean",
        }
    }

    /// `Edm.String`, `Edm.Date`… (as CSDL names them).
    pub fn edm_name(self) -> &'static str {
        match self {
            Self::String => "Edm.String",
            Self::DateTimeOffset => "Edm.DateTimeOffset",
            Self::Date => "Edm.Date",
            Self::Double => "Edm.Double",
            Self::Int64 => "Edm.Int64",
            Self::Boolean => "Edm.Boolean",
        }
    }
}

impl fmt::Display for EdmType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One typed cell. Timestamps are instants (normalised to UTC when written).
#[derive(Clone, Debug, PartialEq)]
pub enum CellValue {
    Null,
    String(String),
    DateTimeOffset(OffsetDateTime),
    Date(Date),
    Double(f64),
    Int64(i64),
    Boolean(bool),
}

impl CellValue {
    pub fn is_null(&self) -> bool {
        matches!(self, Self::Null)
    }

    /// The value as text: what CSV writes and a preview shows; empty for null. Timestamps are
    /// ISO-8601 in UTC (`2023-06-24T19:24:50Z`, with `.123` when there are milliseconds).
    pub fn to_text(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::String(text) => text.clone(),
            Self::DateTimeOffset(at) => format_instant(*at),
            Self::Date(date) => format_date(*date),
            Self::Double(number) => format_double(*number),
            Self::Int64(number) => number.to_string(),
            Self::Boolean(flag) => flag.to_string(),
        }
    }

    /// The value as OData JSON (`Edm.Int64` as a number: we answer `IEEE754Compatible=false`).
    /// Non-finite doubles become null, since JSON has no literal for them.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::String(text) => Value::String(text.clone()),
            Self::DateTimeOffset(_) | Self::Date(_) => Value::String(self.to_text()),
            Self::Double(number) => {
                serde_json::Number::from_f64(*number).map_or(Value::Null, Value::Number)
            }
            Self::Int64(number) => Value::from(*number),
            Self::Boolean(flag) => Value::Bool(*flag),
        }
    }
}

/// `2023-06-24T19:24:50Z`, or `2023-06-24T19:24:50.123Z` when the instant has milliseconds.
pub fn format_instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let base = format!(
        "{}T{:02}:{:02}:{:02}",
        format_date(at.date()),
        at.hour(),
        at.minute(),
        at.second()
    );
    match at.millisecond() {
        0 => format!("{base}Z"),
        millis => format!("{base}.{millis:03}Z"),
    }
}

/// `2023-06-24` (years outside 0–9999 keep their sign and digits).
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn format_double(number: f64) -> String {
    if number.is_finite() && number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{number:.1}")
    } else {
        number.to_string()
    }
}

/// Parses Jira's `2023-06-24T19:24:50.000+0000` and the ISO forms (`Z`, `+00:00`, no fraction).
pub fn parse_jira_datetime(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    let date = parse_date(text.get(..10)?)?;
    let rest = text.get(10..)?.strip_prefix(['T', ' '])?;
    let number = |s: &str| -> Option<u8> {
        (s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let hour = number(rest.get(0..2)?)?;
    if rest.get(2..3)? != ":" {
        return None;
    }
    let minute = number(rest.get(3..5)?)?;
    let (second, mut rest) = if rest.get(5..6) == Some(":") {
        (number(rest.get(6..8)?)?, rest.get(8..)?)
    } else {
        (0, rest.get(5..)?)
    };
    let mut nanos: u32 = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let kept = &fraction[..digits.min(9)];
        nanos = kept.parse::<u32>().ok()? * 10u32.pow(9 - kept.len() as u32);
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => UtcOffset::UTC,
        _ => {
            let sign: i8 = match rest.get(..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let body = rest.get(1..)?.replace(':', "");
            if body.len() != 4 {
                return None;
            }
            let hours = number(body.get(..2)?)? as i8;
            let minutes = number(body.get(2..)?)? as i8;
            UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()?
        }
    };
    let time = time::Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    Some(time::PrimitiveDateTime::new(date, time).assume_offset(offset))
}

/// Parses `yyyy-MM-dd`.
pub fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let year = i32::try_from(digits(0..4)?).ok()?;
    let month = Month::try_from(u8::try_from(digits(5..7)?).ok()?).ok()?;
    let day = u8::try_from(digits(8..10)?).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// How a column's cell is read from an `IssueBean`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Extract {
    Id,
    Key,
    /// A string field (summary).
    Text,
    /// `{name}` of an object field (issue type, status, priority, resolution).
    Name,
    ProjectKey,
    StatusCategory,
    UserName,
    UserAccountId,
    DateTime,
    Date,
    /// A number as `Edm.Double`.
    Double,
    /// A whole number as `Edm.Int64` (seconds of time tracking).
    Integer,
    /// An array of strings, joined.
    Strings,
    /// An array of `{name}` objects, joined.
    Names,
    /// The sprint field: objects with `name` (or legacy `…[name=…,…]` strings), joined.
    Sprints,
    ParentKey,
    /// `{<key>: n}` objects such as votes (`votes`) and watchers (`watchCount`).
    CountOf(&'static str),
    /// Any other value, flattened to readable text (options, users, ADF documents…).
    AnyText,
    Boolean,
    /// A fixed column the site has no field for (e.g. no sprints): always null.
    Missing,
}

/// One column of the feed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    name: String,
    edm_type: EdmType,
    nullable: bool,
    /// The Jira field this column is read from (`None` for the issue's own id and key).
    field_id: Option<String>,
    extract: Extract,
}

impl Column {
    /// The OData property name (a valid identifier, unique in its set).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn edm_type(&self) -> EdmType {
        self.edm_type
    }

    pub fn nullable(&self) -> bool {
        self.nullable
    }

    /// The Jira field id the value comes from, if any.
    pub fn field_id(&self) -> Option<&str> {
        self.field_id.as_deref()
    }

    fn fixed(name: &str, edm_type: EdmType, field_id: Option<&str>, extract: Extract) -> Self {
        Self {
            name: name.to_owned(),
            edm_type,
            nullable: !matches!(extract, Extract::Id | Extract::Key),
            field_id: field_id.map(str::to_owned),
            extract,
        }
    }

    fn cell(&self, issue: &Value) -> CellValue {
        if self.extract == Extract::Missing {
            return CellValue::Null;
        }
        let value = match &self.field_id {
            Some(field) => match issue.get("fields").and_then(|fields| fields.get(field)) {
                Some(value) if !value.is_null() => value,
                _ => return CellValue::Null,
            },
            None => issue,
        };
        let text = |value: Option<&Value>| match value.and_then(Value::as_str) {
            Some(text) => CellValue::String(text.to_owned()),
            None => CellValue::Null,
        };
        match &self.extract {
            Extract::Id => match issue.get("id") {
                Some(Value::String(id)) => CellValue::String(id.clone()),
                Some(Value::Number(id)) => CellValue::String(id.to_string()),
                _ => CellValue::Null,
            },
            Extract::Key => text(issue.get("key")),
            Extract::Text => match value {
                Value::String(text) => CellValue::String(text.clone()),
                other => non_empty(flatten_text(other)),
            },
            Extract::Name => text(value.get("name")),
            Extract::ProjectKey => text(value.get("key")),
            Extract::StatusCategory => {
                text(value.get("statusCategory").and_then(|c| c.get("name")))
            }
            Extract::UserName => text(value.get("displayName")),
            Extract::UserAccountId => text(value.get("accountId")),
            Extract::DateTime => value
                .as_str()
                .and_then(parse_jira_datetime)
                .map_or(CellValue::Null, CellValue::DateTimeOffset),
            Extract::Date => value
                .as_str()
                .and_then(|text| parse_date(text.get(..10).unwrap_or(text)))
                .map_or(CellValue::Null, CellValue::Date),
            Extract::Double => match value {
                Value::Number(number) => number.as_f64().map_or(CellValue::Null, CellValue::Double),
                Value::String(text) => text
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|n| n.is_finite())
                    .map_or(CellValue::Null, CellValue::Double),
                _ => CellValue::Null,
            },
            Extract::Integer => match value {
                Value::Number(number) => number
                    .as_i64()
                    .or_else(|| number.as_f64().map(|n| n.round() as i64))
                    .map_or(CellValue::Null, CellValue::Int64),
                _ => CellValue::Null,
            },
            Extract::CountOf(key) => value
                .get(*key)
                .and_then(Value::as_i64)
                .map_or(CellValue::Null, CellValue::Int64),
            Extract::Strings | Extract::Names | Extract::Sprints => {
                let items: Vec<String> = match value {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(|item| match &self.extract {
                            Extract::Sprints => sprint_name(item),
                            Extract::Names => item
                                .get("name")
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                                .or_else(|| flatten_text(item)),
                            _ => flatten_text(item),
                        })
                        .collect(),
                    other => flatten_text(other).into_iter().collect(),
                };
                join(items)
            }
            Extract::ParentKey => text(value.get("key")),
            Extract::AnyText => non_empty(flatten_text(value)),
            Extract::Boolean => value.as_bool().map_or(CellValue::Null, CellValue::Boolean),
            Extract::Missing => CellValue::Null,
        }
    }
}

fn non_empty(text: Option<String>) -> CellValue {
    match text {
        Some(text) if !text.is_empty() => CellValue::String(text),
        _ => CellValue::Null,
    }
}

fn join(items: Vec<String>) -> CellValue {
    let items: Vec<String> = items.into_iter().filter(|item| !item.is_empty()).collect();
    if items.is_empty() {
        CellValue::Null
    } else {
        CellValue::String(items.join(MULTI_VALUE_SEPARATOR))
    }
}

/// `{name: …}`, or the legacy `com.atlassian.greenhopper.service.sprint.Sprint@1a2b[id=1,name=X,…]`.
fn sprint_name(item: &Value) -> Option<String> {
    match item {
        Value::Object(map) => map.get("name").and_then(Value::as_str).map(str::to_owned),
        Value::String(text) => {
            let start = text.find("name=")? + "name=".len();
            let rest = &text[start..];
            // The next `,key=` ends the name (names themselves may contain commas).
            let end = rest
                .match_indices(',')
                .find(|(at, _)| {
                    let tail = &rest[at + 1..];
                    tail.find('=').is_some_and(|eq| {
                        tail[..eq].bytes().all(|b| b.is_ascii_alphanumeric()) && eq > 0
                    })
                })
                .map_or_else(
                    || rest.strip_suffix(']').map_or(rest.len(), str::len),
                    |(at, _)| at,
                );
            Some(rest[..end].to_owned())
        }
        _ => None,
    }
}

/// Readable text of any Jira value: strings as they are, numbers and booleans as written,
/// options by `value` (with a cascading child as `Parent - Child`), users by `displayName`,
/// named things by `name`, issues by `key`, ADF documents by their text, arrays joined.
fn flatten_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(text) => Some(text.clone()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        Value::Array(items) => {
            let parts: Vec<String> = items
                .iter()
                .filter_map(flatten_text)
                .filter(|part| !part.is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join(MULTI_VALUE_SEPARATOR))
        }
        Value::Object(map) => {
            if map.get("type").and_then(Value::as_str) == Some("doc") {
                return Some(adf_to_text(value));
            }
            if let Some(option) = map.get("value").and_then(Value::as_str) {
                return Some(match map.get("child").and_then(flatten_text) {
                    Some(child) => format!("{option} - {child}"),
                    None => option.to_owned(),
                });
            }
            for key in ["displayName", "name", "key"] {
                if let Some(text) = map.get(key).and_then(Value::as_str) {
                    return Some(text.to_owned());
                }
            }
            // Issue links: the other issue's key.
            for key in ["outwardIssue", "inwardIssue"] {
                if let Some(text) = map
                    .get(key)
                    .and_then(|i| i.get("key"))
                    .and_then(Value::as_str)
                {
                    return Some(text.to_owned());
                }
            }
            Some(value.to_string())
        }
    }
}

/// The plain text of an Atlassian Document Format document (descriptions, worklog comments):
/// block nodes end with a newline, mentions and emoji keep their text, trailing newlines go.
pub fn adf_to_text(document: &Value) -> String {
    let mut out = String::new();
    adf_text(document, &mut out);
    out.trim_end_matches('\n').to_owned()
}

/// Appends the text of an Atlassian Document Format node; block nodes end with a newline.
fn adf_text(node: &Value, out: &mut String) {
    match node.get("type").and_then(Value::as_str) {
        Some("text") => {
            if let Some(text) = node.get("text").and_then(Value::as_str) {
                out.push_str(text);
            }
        }
        Some("hardBreak") => out.push('\n'),
        Some("mention" | "emoji" | "status" | "date" | "inlineCard") => {
            let attrs = node.get("attrs");
            let text = attrs
                .and_then(|a| a.get("text").or_else(|| a.get("url")))
                .and_then(Value::as_str);
            if let Some(text) = text {
                out.push_str(text);
            }
        }
        kind => {
            if let Some(children) = node.get("content").and_then(Value::as_array) {
                for child in children {
                    adf_text(child, out);
                }
            }
            let block = matches!(
                kind,
                Some("paragraph" | "heading" | "codeBlock" | "blockquote" | "rule" | "listItem")
            );
            if block && !out.ends_with('\n') {
                out.push('\n');
            }
        }
    }
}

/// The columns of one data source, in their stable order: the fixed ones, then the selected
/// fields in the order the site lists them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSet {
    columns: Vec<Column>,
}

/// A name in `$select`/`$filter` (or the JSON feed's `select`) that is not a column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("There is no column named '{0}'.")]
pub struct UnknownColumn(pub String);

impl ColumnSet {
    /// The columns for a data source that selected the Jira field ids `selected`, given the
    /// site's field catalogue (`GET /rest/api/3/field`). Ids the site no longer has are skipped.
    pub fn build(site_fields: &[JiraField], selected: &[String]) -> ColumnSet {
        let custom_of = |field: &JiraField| {
            field
                .schema
                .as_ref()
                .and_then(|schema| schema.custom.as_deref())
                .unwrap_or_default()
                .to_owned()
        };
        let sprint = site_fields
            .iter()
            .find(|field| SPRINT_SCHEMAS.contains(&custom_of(field).as_str()))
            .map(|field| field.id.clone());
        let story_points = site_fields
            .iter()
            .find(|field| STORY_POINT_SCHEMAS.contains(&custom_of(field).as_str()))
            .or_else(|| {
                site_fields.iter().find(|field| {
                    field.custom
                        && field
                            .schema
                            .as_ref()
                            .is_some_and(|schema| schema.field_type == "number")
                        && STORY_POINT_NAMES.contains(&field.name.trim().to_lowercase().as_str())
                })
            })
            .map(|field| field.id.clone());

        let mut columns = fixed_columns(sprint.as_deref(), story_points.as_deref());
        let covered = |id: &str| {
            COVERED_SYSTEM_FIELDS.contains(&id)
                || Some(id) == sprint.as_deref()
                || Some(id) == story_points.as_deref()
        };

        // Friendly names of every field that could become a column, to judge collisions
        // site-wide (so the names do not depend on what else is selected).
        let mut taken: HashMap<String, usize> = columns
            .iter()
            .map(|column| (column.name.to_lowercase(), 1))
            .collect();
        for field in site_fields.iter().filter(|field| !covered(&field.id)) {
            *taken
                .entry(friendly_name(&field.name, &field.id).to_lowercase())
                .or_default() += 1;
        }
        let wanted: HashSet<&str> = selected.iter().map(String::as_str).collect();
        let mut used: HashSet<String> = columns.iter().map(|c| c.name.to_lowercase()).collect();
        let mut seen_ids = HashSet::new();
        for field in site_fields {
            if !wanted.contains(field.id.as_str())
                || covered(&field.id)
                || !seen_ids.insert(field.id.as_str())
            {
                continue;
            }
            let friendly = friendly_name(&field.name, &field.id);
            let mut name = if taken.get(&friendly.to_lowercase()).copied().unwrap_or(0) > 1 {
                truncate(format!("{friendly}_{}", sanitize_id(&field.id)))
            } else {
                friendly
            };
            let mut counter = 2;
            let base = name.clone();
            while used.contains(&name.to_lowercase()) {
                name = truncate(format!("{base}_{counter}"));
                counter += 1;
            }
            used.insert(name.to_lowercase());
            let (edm_type, extract) = generic_shape(field);
            columns.push(Column {
                name,
                edm_type,
                nullable: true,
                field_id: Some(field.id.clone()),
                extract,
            });
        }
        ColumnSet { columns }
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn len(&self) -> usize {
        self.columns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|column| column.name == name)
    }

    /// The Jira field ids to request so every column can be filled (each once, in column order).
    pub fn jira_fields(&self) -> Vec<String> {
        let mut fields: Vec<String> = Vec::new();
        for field in self.columns.iter().filter_map(|c| c.field_id.as_deref()) {
            if !fields.iter().any(|known| known == field) {
                fields.push(field.to_owned());
            }
        }
        fields
    }

    /// The columns named in `names`, in that order (for `$select`); duplicates are kept once.
    pub fn subset<S: AsRef<str>>(&self, names: &[S]) -> Result<ColumnSet, UnknownColumn> {
        let mut columns: Vec<Column> = Vec::with_capacity(names.len());
        for name in names {
            let name = name.as_ref();
            let column = self
                .column(name)
                .ok_or_else(|| UnknownColumn(name.to_owned()))?;
            if !columns.iter().any(|c| c.name == column.name) {
                columns.push(column.clone());
            }
        }
        Ok(ColumnSet { columns })
    }

    /// This set plus those of `extra` it lacks (appended), e.g. the columns a filter needs.
    pub fn with(&self, extra: &[&Column]) -> ColumnSet {
        let mut columns = self.columns.clone();
        for column in extra {
            if !columns.iter().any(|c| c.name == column.name) {
                columns.push((*column).clone());
            }
        }
        ColumnSet { columns }
    }

    /// The typed cells of one issue (an `IssueBean` from search or bulk fetch), in column order.
    pub fn row(&self, issue: &Value) -> Vec<CellValue> {
        self.columns
            .iter()
            .map(|column| column.cell(issue))
            .collect()
    }
}

fn fixed_columns(sprint: Option<&str>, story_points: Option<&str>) -> Vec<Column> {
    use EdmType as T;
    use Extract as E;
    let mut columns = vec![
        Column::fixed("Id", T::String, None, E::Id),
        Column::fixed("Key", T::String, None, E::Key),
        Column::fixed("Summary", T::String, Some("summary"), E::Text),
        Column::fixed("ProjectKey", T::String, Some("project"), E::ProjectKey),
        Column::fixed("ProjectName", T::String, Some("project"), E::Name),
        Column::fixed("IssueType", T::String, Some("issuetype"), E::Name),
        Column::fixed("Status", T::String, Some("status"), E::Name),
        Column::fixed(
            "StatusCategory",
            T::String,
            Some("status"),
            E::StatusCategory,
        ),
        Column::fixed("Priority", T::String, Some("priority"), E::Name),
        Column::fixed("Resolution", T::String, Some("resolution"), E::Name),
        Column::fixed("Assignee", T::String, Some("assignee"), E::UserName),
        Column::fixed(
            "AssigneeAccountId",
            T::String,
            Some("assignee"),
            E::UserAccountId,
        ),
        Column::fixed("Reporter", T::String, Some("reporter"), E::UserName),
        Column::fixed(
            "ReporterAccountId",
            T::String,
            Some("reporter"),
            E::UserAccountId,
        ),
        Column::fixed("Created", T::DateTimeOffset, Some("created"), E::DateTime),
        Column::fixed("Updated", T::DateTimeOffset, Some("updated"), E::DateTime),
        Column::fixed(
            "Resolved",
            T::DateTimeOffset,
            Some("resolutiondate"),
            E::DateTime,
        ),
        Column::fixed("DueDate", T::Date, Some("duedate"), E::Date),
        Column::fixed("Labels", T::String, Some("labels"), E::Strings),
        Column::fixed("Components", T::String, Some("components"), E::Names),
        Column::fixed("FixVersions", T::String, Some("fixVersions"), E::Names),
        Column::fixed("Sprint", T::String, sprint, E::Sprints),
        Column::fixed("ParentKey", T::String, Some("parent"), E::ParentKey),
        Column::fixed("StoryPoints", T::Double, story_points, E::Double),
        Column::fixed(
            "OriginalEstimateSeconds",
            T::Int64,
            Some("timeoriginalestimate"),
            E::Integer,
        ),
        Column::fixed("TimeSpentSeconds", T::Int64, Some("timespent"), E::Integer),
        Column::fixed(
            "RemainingEstimateSeconds",
            T::Int64,
            Some("timeestimate"),
            E::Integer,
        ),
    ];
    // A site without sprints or story points still has the columns (always null), so the
    // model is the same everywhere; they read from no field.
    for column in &mut columns {
        if column.field_id.is_none() && !matches!(column.extract, E::Id | E::Key) {
            column.extract = E::Missing;
        }
    }
    columns
}

/// The Edm type and reader of a selected field, from its schema.
fn generic_shape(field: &JiraField) -> (EdmType, Extract) {
    let Some(schema) = &field.schema else {
        return (EdmType::String, Extract::AnyText);
    };
    match (schema.field_type.as_str(), schema.items.as_deref()) {
        ("string", _) => (EdmType::String, Extract::Text),
        ("number", _) if field.custom => (EdmType::Double, Extract::Double),
        ("number", _) => (EdmType::Int64, Extract::Integer),
        ("date", _) => (EdmType::Date, Extract::Date),
        ("datetime", _) => (EdmType::DateTimeOffset, Extract::DateTime),
        ("boolean", _) => (EdmType::Boolean, Extract::Boolean),
        ("votes", _) => (EdmType::Int64, Extract::CountOf("votes")),
        ("watches", _) => (EdmType::Int64, Extract::CountOf("watchCount")),
        ("user", _) => (EdmType::String, Extract::UserName),
        ("array", Some("string")) => (EdmType::String, Extract::Strings),
        ("array", Some("version" | "component")) => (EdmType::String, Extract::Names),
        _ => (EdmType::String, Extract::AnyText),
    }
}

/// `Customer Reference` → `CustomerReference`: words joined in PascalCase, only letters, digits
/// and `_`, starting with a letter or `_`; the field id when nothing usable is left.
fn friendly_name(name: &str, field_id: &str) -> String {
    let mut out = String::new();
    for word in name.split(|c: char| !(c.is_alphabetic() || c.is_ascii_digit() || c == '_')) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() {
        return sanitize_id(field_id);
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    truncate(out)
}

fn sanitize_id(field_id: &str) -> String {
    let cleaned: String = field_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        cleaned
    } else {
        format!("_{cleaned}")
    }
}

fn truncate(mut name: String) -> String {
    if name.chars().count() > MAX_NAME_LEN {
        name = name.chars().take(MAX_NAME_LEN).collect();
    }
    name
}

#[cfg(test)]
mod tests;
