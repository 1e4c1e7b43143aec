//! What a data source is made of, parsed from the form once: a name, the issues to include (typed
//! JQL or picked projects, always turned into JQL) and the Jira field ids to export. Whether the
//! JQL is valid and bounded, and whether projects and fields exist, only Jira can say; these
//! types check everything that does not need Jira, with messages meant for the form.

use std::collections::HashSet;
use std::fmt;

/// A user can keep this many data sources.
pub const MAX_DATA_SOURCES_PER_USER: usize = 50;
const NAME_MAX_CHARS: usize = 100;
/// Far beyond any hand-written query; keeps rows and Jira requests small.
const JQL_MAX_CHARS: usize = 10_000;
/// Jira's own limit for a `project in (…)` clause is much higher; a BI feed over more projects
/// is better written as JQL.
pub const MAX_PROJECTS: usize = 100;
/// Sites can have hundreds of custom fields; a feed with more columns than this is unusable.
pub const MAX_FIELDS: usize = 500;
const ID_MAX_CHARS: usize = 255;

fn is_disallowed_in_name(c: char) -> bool {
    c.is_control()
}

/// The user's name for a data source ("Sprint report"). Rendered verbatim; escaping is the
/// template's job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSourceName(String);

impl DataSourceName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("Enter a name");
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Err("The name must be at most 100 characters");
        }
        if name.chars().any(is_disallowed_in_name) {
            return Err("The name must not contain control characters such as tabs or line breaks");
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Lower-cased form the store uses to keep names unique per user, ignoring case.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for DataSourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A JQL query as typed: not empty, not huge, no control characters other than line breaks and
/// tabs. Jira decides whether it is valid and bounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jql(String);

impl Jql {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let jql = raw.trim();
        if jql.is_empty() {
            return Err("Enter a JQL query, for example: project = ABC AND created >= -90d");
        }
        if jql.chars().count() > JQL_MAX_CHARS {
            return Err("The JQL query must be at most 10,000 characters");
        }
        if jql
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err("The JQL query contains characters that are not allowed");
        }
        Ok(Self(jql.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Jira project key as Jira allows them: a letter, then letters, digits or underscores.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProjectKey(String);

impl ProjectKey {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let mut chars = raw.chars();
        let shaped = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && raw.len() <= ID_MAX_CHARS;
        if shaped {
            Ok(Self(raw.to_owned()))
        } else {
            Err("This is not a Jira project key")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the issues were chosen; stored so the edit form opens the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueMode {
    Jql,
    Projects,
}

impl IssueMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jql => "jql",
            Self::Projects => "projects",
        }
    }

    /// The stored or submitted value; `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "jql" => Some(Self::Jql),
            "projects" => Some(Self::Projects),
            _ => None,
        }
    }
}

/// The issues a data source includes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueSelection {
    Jql(Jql),
    /// One or more distinct projects, in the order picked.
    Projects(Vec<ProjectKey>),
}

impl IssueSelection {
    /// Picked projects: at least one, at most [`MAX_PROJECTS`], duplicates dropped.
    pub fn projects(raw: &[String]) -> Result<Self, &'static str> {
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        for value in raw {
            let key = ProjectKey::parse(value.trim())
                .map_err(|_| "Pick projects from the list; one of them is not a project key")?;
            if seen.insert(key.clone()) {
                keys.push(key);
            }
        }
        if keys.is_empty() {
            return Err("Pick at least one project");
        }
        if keys.len() > MAX_PROJECTS {
            return Err("Pick at most 100 projects, or write the query as JQL");
        }
        Ok(Self::Projects(keys))
    }

    pub fn mode(&self) -> IssueMode {
        match self {
            Self::Jql(_) => IssueMode::Jql,
            Self::Projects(_) => IssueMode::Projects,
        }
    }

    /// The JQL the feed runs. Project keys are quoted so that a key that is also a JQL reserved
    /// word (`OR`, `IN`, `EMPTY`…) still means the project.
    pub fn jql(&self) -> String {
        match self {
            Self::Jql(jql) => jql.as_str().to_owned(),
            Self::Projects(keys) => {
                let list = keys
                    .iter()
                    .map(|key| format!("\"{}\"", key.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("project in ({list})")
            }
        }
    }

    pub fn project_keys(&self) -> Vec<String> {
        match self {
            Self::Jql(_) => Vec::new(),
            Self::Projects(keys) => keys.iter().map(|k| k.as_str().to_owned()).collect(),
        }
    }
}

/// The Jira field ids to export besides the feed's standard columns (which every data source
/// has, see [`crate::feed::columns::ColumnSet`]): at most [`MAX_FIELDS`], duplicates dropped, in
/// the order given. None at all is fine: the standard columns alone are a useful feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIds(Vec<String>);

impl FieldIds {
    pub fn parse(raw: &[String]) -> Result<Self, &'static str> {
        let mut seen = HashSet::new();
        let mut ids = Vec::new();
        for value in raw {
            let id = value.trim();
            let shaped = !id.is_empty()
                && id.len() <= ID_MAX_CHARS
                && !id.chars().any(|c| c.is_control() || c.is_whitespace());
            if !shaped {
                return Err("Pick fields from the list; one of them is not a Jira field id");
            }
            if seen.insert(id.to_owned()) {
                ids.push(id.to_owned());
            }
        }
        if ids.len() > MAX_FIELDS {
            return Err("Pick at most 500 fields");
        }
        Ok(Self(ids))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// The ids that are not among `known` (the site's field ids), in order.
    pub fn unknown<'a>(&'a self, known: &HashSet<&str>) -> Vec<&'a str> {
        self.0
            .iter()
            .map(String::as_str)
            .filter(|id| !known.contains(id))
            .collect()
    }
}

/// A table a data source can export besides `Issues` (which every data source has). Each is
/// one OData entity set and one CSV and JSON feed; see `crate::feed::tables` for their columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExtraTable {
    IssueChanges,
    StatusPeriods,
    TimeInStatus,
    Worklogs,
    Sprints,
    IssueSprints,
    Versions,
    IssueFixVersions,
    IssueAffectedVersions,
    IssueLinks,
    IssueLabels,
    IssueComponents,
    /// One table per selected multi-value custom field (`Issue<Column>Values`).
    FieldValues,
}

impl ExtraTable {
    /// Every extra table, in the order forms and connectors list them.
    pub const ALL: [ExtraTable; 13] = [
        Self::IssueChanges,
        Self::StatusPeriods,
        Self::TimeInStatus,
        Self::Worklogs,
        Self::Sprints,
        Self::IssueSprints,
        Self::Versions,
        Self::IssueFixVersions,
        Self::IssueAffectedVersions,
        Self::IssueLinks,
        Self::IssueLabels,
        Self::IssueComponents,
        Self::FieldValues,
    ];

    /// The stored and submitted name (also the entity set name, except for `FieldValues`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IssueChanges => "IssueChanges",
            Self::StatusPeriods => "StatusPeriods",
            Self::TimeInStatus => "TimeInStatus",
            Self::Worklogs => "Worklogs",
            Self::Sprints => "Sprints",
            Self::IssueSprints => "IssueSprints",
            Self::Versions => "Versions",
            Self::IssueFixVersions => "IssueFixVersions",
            Self::IssueAffectedVersions => "IssueAffectedVersions",
            Self::IssueLinks => "IssueLinks",
            Self::IssueLabels => "IssueLabels",
            Self::IssueComponents => "IssueComponents",
            Self::FieldValues => "FieldValues",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|table| table.as_str() == raw)
    }

    /// One line for the form and the data source page.
    pub fn description(self) -> &'static str {
        match self {
            Self::IssueChanges => {
                "Every change of every field, with the full history (one row per changed field)."
            }
            Self::StatusPeriods => {
                "Each stay of an issue in a status: when it entered, when it left, for how long."
            }
            Self::TimeInStatus => "Total time and number of visits per issue and status.",
            Self::Worklogs => "Every work log: who logged how much time, when, with its comment.",
            Self::Sprints => {
                "The sprints the issues have been in, with their dates, state and goal."
            }
            Self::IssueSprints => {
                "Which issue was in which sprint (all sprints, not only the current one)."
            }
            Self::Versions => "The versions of the issues' projects, with release dates and flags.",
            Self::IssueFixVersions => "Which issue is fixed in which version.",
            Self::IssueAffectedVersions => "Which issue affects which version.",
            Self::IssueLinks => "Links between issues (blocks, relates to…), in both directions.",
            Self::IssueLabels => "One row per issue and label.",
            Self::IssueComponents => "One row per issue and component.",
            Self::FieldValues => {
                "One table per selected multi-value custom field, one row per issue and value."
            }
        }
    }
}

/// The extra tables a data source exports: distinct, in [`ExtraTable::ALL`] order. Empty (only
/// `Issues`) is what data sources made before tables existed keep exporting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableSelection(Vec<ExtraTable>);

impl TableSelection {
    /// Submitted or stored names; anything that is not a table name is refused.
    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, &'static str> {
        let mut tables = Vec::with_capacity(raw.len());
        for name in raw {
            let table = ExtraTable::parse(name.as_ref().trim())
                .ok_or("Pick tables from the list; one of them is not a table")?;
            tables.push(table);
        }
        Ok(Self::from_tables(tables))
    }

    pub fn from_tables(mut tables: Vec<ExtraTable>) -> Self {
        tables.sort_unstable();
        tables.dedup();
        Self(tables)
    }

    pub fn as_slice(&self) -> &[ExtraTable] {
        &self.0
    }

    pub fn contains(&self, table: ExtraTable) -> bool {
        self.0.contains(&table)
    }

    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(|t| t.as_str().to_owned()).collect()
    }
}

/// A complete, parsed data source, ready to be checked with Jira and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSourceDefinition {
    pub name: DataSourceName,
    pub issues: IssueSelection,
    pub fields: FieldIds,
    pub tables: TableSelection,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_selections_are_distinct_known_names_in_list_order() {
        let tables = TableSelection::parse(&["Worklogs", " IssueChanges ", "Worklogs"]).unwrap();
        assert_eq!(tables.names(), ["IssueChanges", "Worklogs"]);
        assert!(tables.contains(ExtraTable::Worklogs));
        assert!(!tables.contains(ExtraTable::Sprints));
        assert!(
            TableSelection::parse(&["Issues"]).is_err(),
            "Issues is always there"
        );
        assert!(
            TableSelection::parse(&["worklogs"]).is_err(),
            "names are exact"
        );
        let every: Vec<&str> = ExtraTable::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            TableSelection::parse(&every).unwrap().as_slice(),
            ExtraTable::ALL
        );
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn names_are_trimmed_limited_and_compared_ignoring_case() {
        let name = DataSourceName::parse("  Sprint Report ").unwrap();
        assert_eq!(name.as_str(), "Sprint Report");
        assert_eq!(name.normalized(), "sprint report");
        assert_eq!(DataSourceName::parse(" "), Err("Enter a name"));
        assert!(DataSourceName::parse(&"é".repeat(100)).is_ok());
        assert!(
            DataSourceName::parse(&"é".repeat(101))
                .unwrap_err()
                .contains("100 characters")
        );
        assert!(DataSourceName::parse("a\tb").is_err());
    }

    #[test]
    fn jql_keeps_line_breaks_but_not_other_control_characters() {
        assert_eq!(
            Jql::parse(" project = A\nAND created >= -1d ")
                .unwrap()
                .as_str(),
            "project = A\nAND created >= -1d"
        );
        assert!(Jql::parse("   ").unwrap_err().starts_with("Enter a JQL"));
        assert!(Jql::parse("project = A\u{0}").is_err());
        assert!(Jql::parse(&"x".repeat(10_001)).is_err());
    }

    #[test]
    fn project_keys_become_quoted_jql_without_duplicates() {
        let issues =
            IssueSelection::projects(&strings(&["ALPHA", "OR", "ALPHA", " OPS "])).unwrap();
        assert_eq!(issues.mode(), IssueMode::Projects);
        assert_eq!(issues.jql(), r#"project in ("ALPHA", "OR", "OPS")"#);
        assert_eq!(issues.project_keys(), strings(&["ALPHA", "OR", "OPS"]));
    }

    #[test]
    fn project_keys_that_could_inject_jql_are_refused() {
        for bad in ["A\" OR x = \"y", "1ABC", "", "A B", "A)"] {
            assert!(IssueSelection::projects(&strings(&[bad])).is_err(), "{bad}");
        }
        assert_eq!(
            IssueSelection::projects(&[]),
            Err("Pick at least one project")
        );
        let many: Vec<String> = (0..101).map(|i| format!("P{i}")).collect();
        assert!(IssueSelection::projects(&many).is_err());
    }

    #[test]
    fn field_ids_keep_order_and_drop_duplicates() {
        let fields =
            FieldIds::parse(&strings(&["summary", "customfield_10020", "summary"])).unwrap();
        assert_eq!(
            fields.as_slice(),
            strings(&["summary", "customfield_10020"])
        );
        let known: HashSet<&str> = ["summary"].into_iter().collect();
        assert_eq!(fields.unknown(&known), vec!["customfield_10020"]);
        assert!(FieldIds::parse(&[]).unwrap().as_slice().is_empty());
        assert!(FieldIds::parse(&strings(&["a b"])).is_err());
        assert!(FieldIds::parse(&strings(&[""])).is_err());
    }

    #[test]
    fn issue_modes_round_trip() {
        for mode in [IssueMode::Jql, IssueMode::Projects] {
            assert_eq!(IssueMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(IssueMode::parse("JQL"), None);
    }
}
