//! `GET /feed/whoami`: which site and account an access token belongs to. Lets users check a
//! token with curl before configuring a BI tool, and proves BI authentication end to end.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, get};
use serde::Serialize;

use crate::tokens::auth::TokenOwner;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WhoAmI<'a> {
    site: &'a str,
    account_id: &'a str,
}

#[get("/feed/whoami")]
pub async fn whoami(owner: TokenOwner) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(WhoAmI {
            site: owner.tenant.base_url.as_str().trim_end_matches('/'),
            account_id: owner.account_id.as_str(),
        })
}
