//! What `/api/datasources` says about a data source: its tables, their columns and
//! absolute feed URLs. Kept apart from the endpoints so both read it without a module cycle.

use serde::Serialize;

use crate::datasources::store::DataSource;
use crate::feed::columns::ColumnSet;
use crate::feed::tables::catalog::{self, ISSUES, TableUrls};
use crate::feed::tables::column::TableColumn;

#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct DataSourceBody {
    pub id: i64,
    pub name: String,
    /// This description's own URL (`/api/datasources/{id}`).
    pub url: String,
    /// Set when the data source is shared with the token's owner: its owner's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_by: Option<String>,
    pub tables: Vec<TableBody>,
}

#[derive(Serialize, Debug)]
pub struct TableBody {
    pub name: String,
    pub description: &'static str,
    pub columns: Vec<ColumnBody>,
    pub feeds: TableUrls,
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

/// What the API says about `data_source`, whose `Issues` columns are `columns` and whose other
/// tables are `extra` (see `feed::odata::metadata::extra_tables`); `base_url` without a
/// trailing slash.
pub fn describe(
    base_url: &str,
    data_source: &DataSource,
    columns: &ColumnSet,
    extra: &[(String, &'static [TableColumn])],
) -> DataSourceBody {
    let id = data_source.id;
    let issues = TableBody {
        name: ISSUES.to_owned(),
        description: "One row per issue, with the data source's fields.",
        columns: columns
            .columns()
            .iter()
            .map(|column| ColumnBody {
                name: column.name().to_owned(),
                json_type: column.edm_type().as_str(),
                edm_type: column.edm_type().edm_name(),
                // The id and the key are the only columns that are never null (see
                // `$metadata`), and each identifies an issue.
                key: !column.nullable(),
                nullable: column.nullable(),
            })
            .collect(),
        feeds: TableUrls::new(base_url, id, ISSUES),
    };
    let descriptions: Vec<(String, &'static str)> = catalog::list(
        data_source,
        &extra
            .iter()
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>(),
    )
    .into_iter()
    .map(|table| (table.name, table.description))
    .collect();
    let mut tables = vec![issues];
    for (name, table_columns) in extra {
        tables.push(TableBody {
            name: name.clone(),
            description: descriptions
                .iter()
                .find(|(known, _)| known == name)
                .map_or("", |(_, description)| description),
            columns: table_columns
                .iter()
                .map(|column| ColumnBody {
                    name: column.name.to_owned(),
                    json_type: column.edm_type.as_str(),
                    edm_type: column.edm_type.edm_name(),
                    key: column.key,
                    nullable: column.nullable,
                })
                .collect(),
            feeds: TableUrls::new(base_url, id, name),
        });
    }
    DataSourceBody {
        id,
        name: data_source.name.clone(),
        url: format!("{base_url}/api/datasources/{id}"),
        shared_by: None,
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
        let body = describe("https://bi.example.com", &data_source(), &columns, &[]);
        assert_eq!(body.url, "https://bi.example.com/api/datasources/7");
        let names: Vec<&str> = body.tables.iter().map(|t| t.name.as_str()).collect();
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
