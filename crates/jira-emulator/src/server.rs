//! One actix server per site, each on its own port (and so its own origin), all sharing state.
//! The route table lives here, in one place, for the servers and the tests alike.

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};

use super::state::SiteCtx;
use super::{admin, faults, host_page, install, rest};

/// Every route of an emulated site.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/rest")
            .wrap(DefaultHeaders::new().add(("X-Seraph-LoginReason", "OK")))
            .wrap(from_fn(faults::rest_faults))
            .configure(rest::configure),
    )
    .route(
        "/connect-install-keys/{kid}",
        web::get().to(install::public_key),
    )
    .configure(admin::configure)
    .configure(host_page::configure);
}

/// Starts serving `ctx`'s site on `listener`; the caller spawns the returned future.
pub(crate) fn serve(
    ctx: SiteCtx,
    listener: TcpListener,
    workers: usize,
) -> std::io::Result<(Server, ServerHandle)> {
    let data = web::Data::new(ctx);
    let server = HttpServer::new(move || App::new().app_data(data.clone()).configure(configure))
        .workers(workers.max(1))
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)?
        .run();
    let handle = server.handle();
    Ok((server, handle))
}
