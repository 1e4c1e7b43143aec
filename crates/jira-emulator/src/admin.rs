//! Control endpoints under `/_emulator/`: the host page's install buttons and the JSON API for
//! faults and counters (`curl` or a benchmark script can drive them).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::config::FaultConfig;
use super::install;
use super::state::SiteCtx;

pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/_emulator")
            .route("/install", web::post().to(install_app))
            .route("/uninstall", web::post().to(uninstall_app))
            .route("/enable", web::post().to(enable_app))
            .route("/disable", web::post().to(disable_app))
            .route("/faults", web::get().to(get_faults))
            .route("/faults", web::post().to(set_faults))
            .route("/stats", web::get().to(get_stats))
            .route("/stats/reset", web::post().to(reset_stats)),
    );
}

#[derive(Debug, Default, Deserialize)]
struct ActionForm {
    #[serde(rename = "as")]
    as_user: Option<String>,
}

#[derive(Clone, Copy)]
enum Action {
    Install,
    Uninstall,
    Enable,
    Disable,
}

async fn install_app(
    ctx: web::Data<SiteCtx>,
    request: HttpRequest,
    form: Option<web::Form<ActionForm>>,
) -> HttpResponse {
    act(ctx, request, form, Action::Install).await
}

async fn uninstall_app(
    ctx: web::Data<SiteCtx>,
    request: HttpRequest,
    form: Option<web::Form<ActionForm>>,
) -> HttpResponse {
    act(ctx, request, form, Action::Uninstall).await
}

async fn enable_app(
    ctx: web::Data<SiteCtx>,
    request: HttpRequest,
    form: Option<web::Form<ActionForm>>,
) -> HttpResponse {
    act(ctx, request, form, Action::Enable).await
}

async fn disable_app(
    ctx: web::Data<SiteCtx>,
    request: HttpRequest,
    form: Option<web::Form<ActionForm>>,
) -> HttpResponse {
    act(ctx, request, form, Action::Disable).await
}

/// Runs a lifecycle action; browsers are sent back to the host page, JSON clients get the result.
async fn act(
    ctx: web::Data<SiteCtx>,
    request: HttpRequest,
    form: Option<web::Form<ActionForm>>,
    action: Action,
) -> HttpResponse {
    let shared = &ctx.shared;
    let result = match action {
        Action::Install => install::install(shared, ctx.index).await,
        Action::Uninstall => install::uninstall(shared, ctx.index).await,
        Action::Enable => install::set_enabled(shared, ctx.index, true).await,
        Action::Disable => install::set_enabled(shared, ctx.index, false).await,
    };
    let wants_json = request
        .headers()
        .get("Accept")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    if wants_json {
        return match result {
            Ok(()) => HttpResponse::Ok().json(json!({"ok": true})),
            Err(error) => {
                HttpResponse::BadGateway().json(json!({"ok": false, "error": error.to_string()}))
            }
        };
    }
    let user = ctx
        .site()
        .user_by_handle(form.and_then(|form| form.into_inner().as_user).as_deref());
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("/?as={user}")))
        .finish()
}

async fn get_faults(ctx: web::Data<SiteCtx>) -> HttpResponse {
    HttpResponse::Ok().json(ctx.shared.faults.current())
}

/// `POST /_emulator/faults` with a (partial) `FaultConfig` JSON; missing keys take defaults.
async fn set_faults(ctx: web::Data<SiteCtx>, body: web::Bytes) -> HttpResponse {
    match serde_json::from_slice::<FaultConfig>(&body) {
        Ok(faults) => {
            ctx.shared.faults.set(faults.clone());
            HttpResponse::Ok().json(faults)
        }
        Err(error) => HttpResponse::BadRequest().json(json!({"error": error.to_string()})),
    }
}

async fn get_stats(ctx: web::Data<SiteCtx>) -> HttpResponse {
    HttpResponse::Ok().json(ctx.shared.stats.snapshot())
}

async fn reset_stats(ctx: web::Data<SiteCtx>) -> HttpResponse {
    ctx.shared.stats.reset();
    HttpResponse::NoContent().finish()
}
