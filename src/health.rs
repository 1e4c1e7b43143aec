//! `GET /healthz`: 200 when the database answers, 503 otherwise, for load balancers and operators.

use actix_web::{HttpResponse, get, web};

use crate::db;
use crate::state::AppState;

#[get("/healthz")]
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match db::run(&state.pool, |conn| Ok(db::ping(conn))).await {
        Ok(true) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ok"),
        _ => HttpResponse::ServiceUnavailable()
            .content_type("text/plain; charset=utf-8")
            .body("database unavailable"),
    }
}
