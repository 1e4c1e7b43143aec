//! `GET /app/admin/history/{tokens,data-sources}.csv`: every event the filter selects, as CSV,
//! for a Jira administrator. Complete or refused: a filter selecting more than
//! [`load::MAX_DOWNLOAD_ROWS`] events is answered 400 with a request to narrow the dates, never
//! with the first rows only.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::admin::guard::JiraAdmin;
use crate::admin::history::filter::HistoryFilter;
use crate::admin::history::load;
use crate::admin::history::rows::{self, AdminHistoryRow};
use crate::audit::Area;
use crate::db;
use crate::error::AppError;
use crate::feed::csv::content_disposition;
use crate::pages::PageError;
use crate::pages::people_names;
use crate::state::AppState;

async fn download(
    admin: &JiraAdmin,
    state: &AppState,
    query: &str,
    area: Area,
) -> Result<HttpResponse, PageError> {
    let filter = HistoryFilter::from_query(query);
    if !filter.is_valid() {
        let reasons: Vec<&str> = [filter.user_error, filter.from_error, filter.to_error]
            .into_iter()
            .flatten()
            .collect();
        return Err(AppError::BadRequest(reasons.join(". ")).into());
    }
    let user = admin.user();
    let tenant_id = user.tenant.id;
    let now = state.clock.now();
    let selected = {
        let filter = filter.clone();
        db::run(&state.pool, move |conn| {
            load::everything(conn, tenant_id, area, &filter, now)
        })
        .await?
    };
    let mut rows = selected.map_err(|total| {
        AppError::BadRequest(format!(
            "This filter selects {total} events; a download holds at most {}. Narrow the dates \
             or pick a user, and download the parts one by one.",
            load::MAX_DOWNLOAD_ROWS
        ))
    })?;
    let ids = rows
        .iter()
        .flat_map(AdminHistoryRow::account_ids)
        .cloned()
        .collect();
    let names = people_names::names_of(state, &user.tenant, ids).await;
    rows.iter_mut().for_each(|row| row.name_people(&names));
    let mut body = Vec::new();
    rows::csv_header(&mut body);
    rows::csv_rows(&rows, &mut body);
    let name = match area {
        Area::Tokens => "tokens-history",
        Area::DataSources => "data-sources-history",
    };
    let name = format!("{name}-{}", now.date());
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", content_disposition(&name)))
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(body))
}

#[get("/app/admin/history/tokens.csv")]
pub async fn tokens_csv(
    admin: JiraAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    download(&admin, &state, req.query_string(), Area::Tokens).await
}

#[get("/app/admin/history/data-sources.csv")]
pub async fn data_sources_csv(
    admin: JiraAdmin,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    download(&admin, &state, req.query_string(), Area::DataSources).await
}
