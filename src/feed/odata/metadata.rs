//! `GET /feed/{id}/odata/$metadata`: the CSDL of the data source's flat `Issue` type. Properties
//! keep the column order (stable across calls: BI tools fetch it repeatedly), timestamps
//! declare millisecond precision, and only the id and key are non-nullable.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};

use super::{ENTITY_SET, ENTITY_TYPE, NAMESPACE, OData, builder};
use crate::feed::FeedState;
use crate::feed::columns::{ColumnSet, EdmType};
use crate::feed::request::{OwnedSource, Rejection};
use crate::feed::source;
use crate::state::AppState;

#[get("/feed/{id}/odata/$metadata")]
pub async fn metadata(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    owned: OwnedSource<OData>,
) -> Result<HttpResponse, Rejection<OData>> {
    let owner = &owned.owner;
    let access = source::jira_access(&state, owner).await?;
    let columns = source::columns(&state, &feed, owner, &access, &owned.data_source).await?;
    Ok(builder(StatusCode::OK, "application/xml").body(csdl(&columns)))
}

/// The CSDL XML document for `columns`.
pub fn csdl(columns: &ColumnSet) -> String {
    let mut properties = String::new();
    for column in columns.columns() {
        properties.push_str(&format!(
            "        <Property Name=\"{}\" Type=\"{}\"",
            escape(column.name()),
            column.edm_type().edm_name()
        ));
        if !column.nullable() {
            properties.push_str(" Nullable=\"false\"");
        }
        if column.edm_type() == EdmType::DateTimeOffset {
            properties.push_str(" Precision=\"3\"");
        }
        properties.push_str("/>\n");
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
      <EntityContainer Name="Container">
        <EntitySet Name="{ENTITY_SET}" EntityType="{NAMESPACE}.{ENTITY_TYPE}"/>
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
"#
    )
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
        let xml = csdl(&columns);
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
        assert_eq!(xml, csdl(&columns), "deterministic");
    }
}
