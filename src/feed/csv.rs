//! `GET /feed/{id}/csv`: the whole data source as one streamed CSV file, for Google Sheets, Excel
//! and anything else. It takes the same `$select`, `$filter`, `$orderby`, `$top` and `$skip` as
//! the OData feed, and `bom=true` for Excel. Errors are plain text.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION};
use actix_web::{HttpResponse, get, web};

use super::FeedState;
use super::csv_format;
use super::error::FeedError;
use super::export::{Resume, Row};
use super::query::{Params, encode_component};
use super::request::{Csv, FeedQuery, Rejection};
use super::stream::Encoder;
use super::tables::catalog::ISSUES;
use crate::state::AppState;

#[get("/feed/{id}/csv")]
pub async fn csv(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    query: FeedQuery<Csv>,
) -> Result<HttpResponse, Rejection<Csv>> {
    table_csv(&state, &feed, &query, ISSUES).await
}

/// `GET /feed/{id}/csv/{table}`: any table of the data source (`Issues` too).
#[get("/feed/{id}/csv/{table}")]
pub async fn csv_table(
    state: web::Data<AppState>,
    feed: web::Data<FeedState>,
    query: FeedQuery<Csv>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Rejection<Csv>> {
    table_csv(&state, &feed, &query, &path.1).await
}

async fn table_csv(
    state: &web::Data<AppState>,
    feed: &FeedState,
    query: &FeedQuery<Csv>,
    table: &str,
) -> Result<HttpResponse, Rejection<Csv>> {
    let bom = bom(&query.params)?;
    let open = query.open(state, feed).await?;
    let prepared = query.prepare_table(&open, &query.options, table, state.clock.now())?;
    let plan = open.plan_table(feed, &prepared, None, query.options.skip, query.options.top);
    let encoder = CsvEncoder {
        bom,
        names: prepared.names().into_iter().map(str::to_owned).collect(),
    };
    let file = if table == ISSUES {
        query.data_source.name.clone()
    } else {
        format!("{} {table}", query.data_source.name)
    };
    let mut head = HttpResponse::build(StatusCode::OK);
    head.content_type("text/csv; charset=utf-8")
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((CONTENT_DISPOSITION, content_disposition(&file)));
    Ok(query.stream(state, open.permit, plan, encoder, head).await)
}

/// `bom=true` starts the file with a byte order mark, so Excel reads it as UTF-8.
fn bom(params: &Params) -> Result<bool, FeedError> {
    match params.get("bom").map(str::to_ascii_lowercase).as_deref() {
        None | Some("false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(other) => Err(FeedError::bad_request(format!(
            "bom must be true or false, not '{other}'."
        ))),
    }
}

/// `attachment; filename="<ASCII name>.csv"; filename*=UTF-8''<name>.csv` (RFC 6266), so every
/// browser saves it under the data source's name and none can be tricked by quotes or slashes.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " -_.()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ascii = ascii.trim();
    let ascii = if ascii.is_empty() { "issues" } else { ascii };
    format!(
        "attachment; filename=\"{ascii}.csv\"; filename*=UTF-8''{}.csv",
        encode_component(&name.replace('/', "_"))
    )
}

struct CsvEncoder {
    bom: bool,
    names: Vec<String>,
}

impl Encoder for CsvEncoder {
    fn head(&mut self, out: &mut Vec<u8>) {
        if self.bom {
            out.extend_from_slice(csv_format::BOM);
        }
        csv_format::header(&self.names, out);
    }

    fn rows(&mut self, rows: &[Row], out: &mut Vec<u8>) {
        for row in rows {
            csv_format::row(row, out);
        }
    }

    fn tail(&mut self, _resume: Option<Resume>, _out: &mut Vec<u8>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_keep_unicode_in_the_extended_form() {
        assert_eq!(
            content_disposition("Sprint report"),
            "attachment; filename=\"Sprint report.csv\"; filename*=UTF-8''Sprint%20report.csv"
        );
        let tricky = content_disposition("a\"b/c\\d é");
        assert!(
            tricky.starts_with("attachment; filename=\"a_b_c_d _.csv\";"),
            "{tricky}"
        );
        assert!(
            tricky.ends_with("filename*=UTF-8''a%22b_c%5Cd%20%C3%A9.csv"),
            "{tricky}"
        );
        assert!(content_disposition("???").contains("filename=\"___.csv\""));
    }
}
