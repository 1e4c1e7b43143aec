//! `GET /feed/{id}/odata/$metadata`: the CSDL of the data source's flat `Issue` type. Properties
//! keep the column order (stable across calls: BI tools fetch it repeatedly), timestamps
//! declare millisecond precision, and only the id and key are non-nullable.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};

use super::{ENTITY_SET, ENTITY_TYPE, NAMESPACE, OData, builder};
use crate::datasources::store::DataSource;
use crate::feed::FeedState;
use crate::feed::columns::{ColumnSet, EdmType};
use crate::feed::request::{OwnedSource, Rejection};
use crate::feed::source;
use crate::feed::tables::catalog::{self, TableKind};
use crate::feed::tables::column::TableColumn;
use crate::jira::client::JiraField;
use crate::state::AppState;

#[get("/feed/{id}/odata/$metadata")]
pub async fn metadata(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    owned: OwnedSource<OData>,
) -> Result<HttpResponse, Rejection<OData>> {
    let owner = &owned.owner;
    let access = source::jira_access(&state, owner).await?;
    let fields = source::site_fields(&state, &feed, owner, &access).await?;
    let columns = ColumnSet::build(&fields, &owned.data_source.fields);
    let extra = extra_tables(&owned.data_source, &columns, &fields);
    Ok(builder(StatusCode::OK, "application/xml").body(csdl(&columns, &extra)))
}

/// The data source's tables besides `Issues`, with their columns, in the order they are listed.
pub fn extra_tables(
    data_source: &DataSource,
    columns: &ColumnSet,
    fields: &[JiraField],
) -> Vec<(String, &'static [TableColumn])> {
    let values: Vec<String> = catalog::value_tables(columns, fields)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    catalog::list(data_source, &values)
        .into_iter()
        .filter_map(|table| {
            let kind = catalog::resolve(data_source, columns, fields, &table.name)?;
            (kind != TableKind::Issues).then(|| (table.name, catalog::columns_of(&kind)))
        })
        .collect()
}

/// The CSDL XML document for the `Issues` `columns` and the `extra` tables. Every table is its
/// own entity type (named like its set) keyed by its key columns; the shared key names
/// (`IssueId`, `SprintId`, `VersionId`) are what BI tools relate tables by.
pub fn csdl(columns: &ColumnSet, extra: &[(String, &'static [TableColumn])]) -> String {
    let mut properties = String::new();
    for column in columns.columns() {
        properties.push_str(&property(
            column.name(),
            column.edm_type(),
            column.nullable(),
        ));
    }
    let mut types = String::new();
    let mut sets = String::new();
    for (name, table_columns) in extra {
        let name = escape(name);
        types.push_str(&format!(
            "      <EntityType Name=\"{name}\">\n        <Key>\n"
        ));
        for column in table_columns.iter().filter(|c| c.key) {
            types.push_str(&format!(
                "          <PropertyRef Name=\"{}\"/>\n",
                column.name
            ));
        }
        types.push_str("        </Key>\n");
        for column in *table_columns {
            types.push_str(&property(column.name, column.edm_type, column.nullable));
        }
        types.push_str("      </EntityType>\n");
        sets.push_str(&format!(
            "        <EntitySet Name=\"{name}\" EntityType=\"{NAMESPACE}.{name}\"/>\n"
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="{NAMESPACE}" xmlns="http://docs.oasis-open.org/odata/ns/edm">
      <EntityType Name="{ENTITY_TYPE}">
        <Key>
          <PropertyRef Name="Id"/>
        </Key>
{properties}      </EntityType>
{types}      <EntityContainer Name="Container">
        <EntitySet Name="{ENTITY_SET}" EntityType="{NAMESPACE}.{ENTITY_TYPE}"/>
{sets}      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
"#
    )
}

fn property(name: &str, edm_type: EdmType, nullable: bool) -> String {
    let mut out = format!(
        "        <Property Name=\"{}\" Type=\"{}\"",
        escape(name),
        edm_type.edm_name()
    );
    if !nullable {
        out.push_str(" Nullable=\"false\"");
    }
    if edm_type == EdmType::DateTimeOffset {
        out.push_str(" Precision=\"3\"");
    }
    out.push_str("/>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_lists_every_column_in_order_with_its_type() {
        let columns = ColumnSet::build(&[], &[]);
        let xml = csdl(&columns, &[]);
        assert!(xml.contains(r#"<Property Name="Id" Type="Edm.String" Nullable="false"/>"#));
        assert!(
            xml.contains(r#"<Property Name="Updated" Type="Edm.DateTimeOffset" Precision="3"/>"#)
        );
        assert!(xml.contains(r#"<Property Name="DueDate" Type="Edm.Date"/>"#));
        assert!(xml.contains(r#"<EntitySet Name="Issues" EntityType="JiraBI.Issue"/>"#));
        let positions: Vec<usize> = columns
            .columns()
            .iter()
            .map(|c| xml.find(&format!("Name=\"{}\"", c.name())).expect("listed"))
            .collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(xml, csdl(&columns, &[]), "deterministic");
    }
}
