//! `GET /app/datasources/{id}`: one data source — its query and fields, Jira's approximate issue
//! count, a preview of the first rows with exactly the feed's columns (the feed's own
//! [`ColumnSet`]), and the feed URLs with a Copy button and short instructions per BI tool: the
//! OData service root (BI tools list its tables) and each table's own OData, CSV and JSON URLs.
//! Jira is read as the user; if it cannot be, the rest of the page still shows. Someone the data
//! source is shared with sees the same page without Edit, Share and Delete.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use futures_util::future::join;

use crate::connect::qsh;
use crate::datasources::access;
use crate::datasources::domain::IssueMode;
use crate::datasources::pages::list::SourceRow;
use crate::datasources::pages::{
    ACCESS_TOKEN_PATH, JIRA_TOKEN_PATH, TokenProblem, Trouble, UserJira,
};
use crate::datasources::store::DataSource;
use crate::datasources::store::shares::{Access, Readable};
use crate::error::AppError;
use crate::feed::columns::ColumnSet;
use crate::feed::tables::catalog::{self, TableUrls};
use crate::ids::DataSourceId;
use crate::jira::client::{JiraError, JiraField};
use crate::pages::session::JiraUser;
use crate::pages::shared::{Banner, format_unix_utc};
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;

/// Rows in the preview.
pub const PREVIEW_ROWS: u32 = 10;

/// The first rows of the feed, or why they cannot be shown.
pub(crate) enum Preview {
    Rows {
        columns: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    NeedsToken(TokenProblem),
    Unavailable(Banner),
}

/// One picked field as the page names it.
pub(crate) struct FieldView {
    pub id: String,
    pub name: String,
    /// False when the site no longer has the field (it is then left out of the feed).
    pub on_site: bool,
}

/// The absolute feed URLs of a data source, from the app's BASE_URL.
pub(crate) struct FeedUrls {
    pub odata: String,
    pub csv: String,
    pub json: String,
}

impl FeedUrls {
    pub(crate) fn new(base_url: &str, id: i64) -> Self {
        let root = format!("{}/feed/{id}", base_url.trim_end_matches('/'));
        Self {
            odata: format!("{root}/odata"),
            csv: format!("{root}/csv"),
            json: format!("{root}/json"),
        }
    }

    /// A Google Apps Script that reads the CSV feed into the active sheet, with the sign-in
    /// kept in the script's properties rather than in its text.
    pub(crate) fn apps_script(&self) -> String {
        format!(
            "function importJiraIssues() {{\n\
             \x20 var props = PropertiesService.getScriptProperties();\n\
             \x20 var auth = Utilities.base64Encode(props.getProperty('JIRA_EMAIL') + ':' + props.getProperty('BI_ACCESS_TOKEN'));\n\
             \x20 var response = UrlFetchApp.fetch('{}', {{headers: {{Authorization: 'Basic ' + auth}}}});\n\
             \x20 var rows = Utilities.parseCsv(response.getContentText('UTF-8'));\n\
             \x20 var sheet = SpreadsheetApp.getActiveSheet();\n\
             \x20 sheet.clearContents();\n\
             \x20 sheet.getRange(1, 1, rows.length, rows[0].length).setValues(rows);\n\
             }}\n",
            self.csv
        )
    }
}

/// One of a table's feed URLs with its Copy button.
pub(crate) struct TableLink {
    /// `odata`, `csv` or `json`: part of the DOM ids.
    pub kind: &'static str,
    pub label: &'static str,
    pub url: String,
}

/// One table of the data source as the page lists it. Table names are OData identifiers, so
/// they can be part of DOM ids.
pub(crate) struct TableFeed {
    pub name: String,
    pub description: &'static str,
    pub links: [TableLink; 3],
}

impl TableFeed {
    /// Every table `source` exports, `Issues` first, with its absolute URLs.
    /// `value_tables` names the multi-value field tables (`FieldValues`), which only the site's
    /// fields can tell.
    pub(crate) fn list(base_url: &str, source: &DataSource, value_tables: &[String]) -> Vec<Self> {
        catalog::list(source, value_tables)
            .into_iter()
            .map(|table| {
                let urls = TableUrls::new(base_url, source.id, &table.name);
                Self {
                    links: [
                        TableLink {
                            kind: "odata",
                            label: "OData",
                            url: urls.odata,
                        },
                        TableLink {
                            kind: "csv",
                            label: "CSV",
                            url: urls.csv,
                        },
                        TableLink {
                            kind: "json",
                            label: "JSON",
                            url: urls.json,
                        },
                    ],
                    name: table.name,
                    description: table.description,
                }
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "datasource.html")]
struct ShowPage {
    layout: Layout,
    source: SourceRow,
    jql: String,
    projects: Option<String>,
    fields: Vec<FieldView>,
    created: String,
    count: Option<String>,
    preview: Preview,
    banner: Option<Banner>,
    urls: FeedUrls,
    /// Every table, `Issues` first.
    tables: Vec<TableFeed>,
    apps_script: String,
    /// The email saved with the user's Jira API token: the user name BI tools ask for.
    email: Option<String>,
    access_token_path: &'static str,
    jira_token_path: &'static str,
    /// Set when the data source is shared with the user: its owner's name (no edit, share or
    /// delete then).
    shared_by: Option<String>,
}

/// Data source `raw_id` if the user may read it now (theirs, or shared with them), or 404.
async fn readable(state: &AppState, user: &JiraUser, raw_id: &str) -> Result<Readable, AppError> {
    let id: DataSourceId = raw_id.parse()?;
    access::readable(
        &state.pool,
        &state.jira_app,
        &user.tenant,
        &user.account_id,
        id.get(),
    )
    .await?
    .ok_or(AppError::NotFound)
}

/// `1234567` → `1,234,567`.
pub(crate) fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn count_text(count: u64) -> String {
    match count {
        1 => "About 1 issue".to_owned(),
        n => format!("About {} issues", group_thousands(n)),
    }
}

/// Jira no longer runs the stored query (a project was renamed, a field removed…).
/// Its owner can fix it; someone it is shared with is told to ask them.
fn query_refused(source: &DataSource, access: &Access, messages: &[String]) -> Banner {
    let detail = if messages.is_empty() {
        String::new()
    } else {
        format!(": {}", messages.join(" "))
    };
    match access {
        Access::Owner => Banner::error(format!(
            "Jira can no longer run this data source's query{detail}. Edit the data source to \
             fix it."
        ))
        .with_link(
            crate::datasources::pages::edit_path(source.id),
            "Edit data source",
        ),
        Access::Shared { owner_name } => Banner::error(format!(
            "Jira can no longer run this data source's query for you{detail}. Ask its owner, \
             {owner_name}, to fix it."
        )),
    }
}

fn field_views(source: &DataSource, site_fields: Option<&[JiraField]>) -> Vec<FieldView> {
    source
        .fields
        .iter()
        .map(|id| {
            let known = site_fields.and_then(|fields| fields.iter().find(|f| &f.id == id));
            FieldView {
                id: id.clone(),
                name: known
                    .map(|f| f.name.clone())
                    .filter(|name| !name.trim().is_empty())
                    .unwrap_or_else(|| id.clone()),
                on_site: known.is_some() || site_fields.is_none(),
            }
        })
        .collect()
}

/// What Jira says about the data source: site fields (for names), count and preview.
struct FromJira {
    site_fields: Option<Vec<JiraField>>,
    count: Option<u64>,
    preview: Preview,
}

async fn read_jira(
    state: &AppState,
    user: &JiraUser,
    jira: &UserJira,
    source: &DataSource,
    access: &Access,
) -> FromJira {
    let (fields, count) = join(jira.fields(), jira.approximate_count(&source.jql)).await;
    let count = count.ok();
    let site_fields = match fields {
        Ok(fields) => fields,
        Err(err) => {
            let preview = match jira.trouble(state, user, err).await {
                Trouble::Token(problem) => Preview::NeedsToken(problem),
                trouble @ Trouble::Jira(_) => Preview::Unavailable(trouble.banner()),
            };
            return FromJira {
                site_fields: None,
                count,
                preview,
            };
        }
    };
    let columns = ColumnSet::build(&site_fields, &source.fields);
    let preview = match jira
        .search(&source.jql, PREVIEW_ROWS, columns.jira_fields())
        .await
    {
        Ok(issues) => Preview::Rows {
            columns: columns
                .columns()
                .iter()
                .map(|c| c.name().to_owned())
                .collect(),
            rows: issues
                .iter()
                .take(PREVIEW_ROWS as usize)
                .map(|issue| {
                    columns
                        .row(issue)
                        .iter()
                        .map(crate::feed::columns::CellValue::to_text)
                        .collect()
                })
                .collect(),
        },
        Err(JiraError::BadRequest { messages }) => {
            Preview::Unavailable(query_refused(source, access, &messages))
        }
        Err(err) => match jira.trouble(state, user, err).await {
            Trouble::Token(problem) => Preview::NeedsToken(problem),
            trouble @ Trouble::Jira(_) => Preview::Unavailable(trouble.banner()),
        },
    };
    FromJira {
        site_fields: Some(site_fields),
        count,
        preview,
    }
}

/// `?created=1` / `?saved=1` after the redirect from the form.
fn notice(req: &HttpRequest) -> Option<Banner> {
    let params = qsh::parse_params(req.query_string());
    let flag = |name: &str| params.iter().any(|(n, v)| n == name && v == "1");
    if flag("created") {
        Some(Banner::success(
            "Data source created. Copy a feed URL below into your BI tool; it signs in with your \
             Jira email and an access token.",
        ))
    } else if flag("saved") {
        Some(Banner::success(
            "Changes saved. BI tools get them on their next refresh.",
        ))
    } else if flag("handed_over") {
        Some(Banner::success(
            "The data source has its new owner. You keep using it and its feed URLs: it is \
             shared with you.",
        ))
    } else {
        None
    }
}

#[get("/app/datasources/{id}")]
pub async fn show(
    user: JiraUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let Readable { source, access } = readable(&state, &user, &path).await?;
    let (from_jira, email) = match UserJira::connect(&state, &user).await? {
        Ok(jira) => (
            read_jira(&state, &user, &jira, &source, &access).await,
            Some(jira.email().to_owned()),
        ),
        Err(problem) => (
            FromJira {
                site_fields: None,
                count: None,
                preview: Preview::NeedsToken(problem),
            },
            None,
        ),
    };
    let base_url = state.settings.base_url_str();
    let urls = FeedUrls::new(&base_url, source.id);
    let value_tables: Vec<String> = from_jira
        .site_fields
        .as_deref()
        .map(|fields| {
            let columns = ColumnSet::build(fields, &source.fields);
            catalog::value_tables(&columns, fields)
                .into_iter()
                .map(|(name, _)| name)
                .collect()
        })
        .unwrap_or_default();
    let tables = TableFeed::list(&base_url, &source, &value_tables);
    let layout = Layout::new(&state, &user, source.name.clone(), Nav::DataSources)?;
    let page = ShowPage {
        layout,
        jql: source.jql.clone(),
        projects: (source.mode == IssueMode::Projects).then(|| source.project_keys.join(", ")),
        fields: field_views(&source, from_jira.site_fields.as_deref()),
        created: format_unix_utc(source.created_at),
        count: from_jira.count.map(count_text),
        preview: from_jira.preview,
        banner: notice(&req),
        apps_script: urls.apps_script(),
        urls,
        tables,
        email,
        access_token_path: ACCESS_TOKEN_PATH,
        jira_token_path: JIRA_TOKEN_PATH,
        source: SourceRow::new(&source),
        shared_by: match access {
            Access::Owner => None,
            Access::Shared { owner_name } => Some(owner_name),
        },
    };
    Ok(page.layout.respond(StatusCode::OK, &page)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1,000");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(count_text(1), "About 1 issue");
        assert_eq!(count_text(500), "About 500 issues");
    }

    #[test]
    fn feed_urls_are_absolute_under_the_base_url() {
        let urls = FeedUrls::new("https://bi.example.com/connector/", 7);
        assert_eq!(urls.odata, "https://bi.example.com/connector/feed/7/odata");
        assert_eq!(urls.csv, "https://bi.example.com/connector/feed/7/csv");
        assert_eq!(urls.json, "https://bi.example.com/connector/feed/7/json");
        assert!(
            urls.apps_script()
                .contains("UrlFetchApp.fetch('https://bi.example.com/connector/feed/7/csv'")
        );
    }

    #[test]
    fn the_page_lists_issues_then_the_chosen_tables_with_their_three_urls() {
        let source = DataSource {
            id: 7,
            name: "Report".to_owned(),
            jql: "project = ALPHA".to_owned(),
            mode: IssueMode::Jql,
            project_keys: Vec::new(),
            fields: Vec::new(),
            tables: crate::datasources::domain::TableSelection::parse(&["Worklogs", "Sprints"])
                .unwrap(),
            created_at: 0,
            updated_at: 0,
        };
        let tables = TableFeed::list("https://bi.example.com", &source, &[]);
        let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["Issues", "Worklogs", "Sprints"]);
        let worklogs: Vec<(&str, &str)> = tables[1]
            .links
            .iter()
            .map(|link| (link.kind, link.url.as_str()))
            .collect();
        assert_eq!(
            worklogs,
            [
                ("odata", "https://bi.example.com/feed/7/odata/Worklogs"),
                ("csv", "https://bi.example.com/feed/7/csv/Worklogs"),
                ("json", "https://bi.example.com/feed/7/json/Worklogs"),
            ]
        );
        assert_eq!(
            tables[0].links[1].url, "https://bi.example.com/feed/7/csv",
            "Issues keeps its URLs"
        );
        assert!(tables.iter().all(|t| !t.description.is_empty()));
    }
}
