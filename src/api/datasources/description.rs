//! What `/api/datasources` says about a data source: its tables ([`TABLES`]), their columns and
//! absolute feed URLs. Kept apart from the endpoints so both read it without a module cycle.

use serde::Serialize;

use crate::datasources::store::DataSource;
use crate::feed::columns::ColumnSet;
use crate::feed::odata;

/// A table of a data source: one entity set of its OData service and one JSON/CSV feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// One row per issue, with the data source's columns.
    Issues,
}

/// The tables every data source offers, in the order connectors list them.
pub const TABLES: &[Table] = &[Table::Issues];

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Self::Issues => odata::ENTITY_SET,
        }
    }
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct DataSourceBody {
    pub id: i64,
    pub name: String,
    /// This description's own URL (`/api/datasources/{id}`).
    pub url: String,
    pub tables: Vec<TableBody>,
}

#[derive(Serialize, Debug)]
pub struct TableBody {
    pub name: &'static str,
    pub columns: Vec<ColumnBody>,
    pub feeds: FeedUrls,
}

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ColumnBody {
    pub name: String,
    /// As the JSON feed's `columns` name it: `String`, `DateTimeOffset`, `Date`, `Double`,
    /// `Int64`, `Boolean`.
    #[serde(rename = "type")]
    pub json_type: &'static str,
    /// As `$metadata` names it: `Edm.String`, …
    pub edm_type: &'static str,
    /// The column identifies its row (the issue's id and key).
    pub key: bool,
    pub nullable: bool,
}

/// Absolute URLs of a table's feeds.
#[derive(Serialize, Debug)]
pub struct FeedUrls {
    pub odata: String,
    pub csv: String,
    pub json: String,
}

/// What the API says about `data_source`, whose columns are `columns`; `base_url` without a
/// trailing slash.
pub fn describe(base_url: &str, data_source: &DataSource, columns: &ColumnSet) -> DataSourceBody {
    let id = data_source.id;
    let tables = TABLES
        .iter()
        .map(|table| match table {
            Table::Issues => TableBody {
                name: table.name(),
                columns: columns
                    .columns()
                    .iter()
                    .map(|column| ColumnBody {
                        name: column.name().to_owned(),
                        json_type: column.edm_type().as_str(),
                        edm_type: column.edm_type().edm_name(),
                        // The id and the key are the only columns that are never null
                        // (see `$metadata`), and each identifies an issue.
                        key: !column.nullable(),
                        nullable: column.nullable(),
                    })
                    .collect(),
                feeds: FeedUrls {
                    odata: format!("{base_url}/feed/{id}/odata/{}", table.name()),
                    csv: format!("{base_url}/feed/{id}/csv"),
                    json: format!("{base_url}/feed/{id}/json"),
                },
            },
        })
        .collect();
    DataSourceBody {
        id,
        name: data_source.name.clone(),
        url: format!("{base_url}/api/datasources/{id}"),
        tables,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasources::domain::{IssueMode, TableSelection};

    fn data_source() -> DataSource {
        DataSource {
            id: 7,
            name: "Platform".into(),
            jql: "project = PLAT".into(),
            mode: IssueMode::Jql,
            project_keys: vec![],
            fields: vec![],
            tables: TableSelection::default(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn every_table_is_described_with_its_columns_and_absolute_feed_urls() {
        let columns = ColumnSet::build(&[], &[]);
        let body = describe("https://bi.example.com", &data_source(), &columns);
        assert_eq!(body.url, "https://bi.example.com/api/datasources/7");
        let names: Vec<&str> = body.tables.iter().map(|t| t.name).collect();
        assert_eq!(names, ["Issues"]);
        let issues = &body.tables[0];
        assert_eq!(issues.feeds.json, "https://bi.example.com/feed/7/json");
        assert_eq!(issues.feeds.csv, "https://bi.example.com/feed/7/csv");
        assert_eq!(
            issues.feeds.odata,
            "https://bi.example.com/feed/7/odata/Issues"
        );
        assert_eq!(issues.columns.len(), columns.len());
        let keys: Vec<&str> = issues
            .columns
            .iter()
            .filter(|c| c.key)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(keys, ["Id", "Key"]);
        let updated = issues.columns.iter().find(|c| c.name == "Updated");
        assert_eq!(
            updated.map(|c| (c.json_type, c.edm_type)),
            Some(("DateTimeOffset", "Edm.DateTimeOffset"))
        );
    }
}
