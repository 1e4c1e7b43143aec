//! The one route registry, used by the server and by the tests alike. Read it to see every way
//! into the app and which extractor authenticates each route.

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::connect::{descriptor, lifecycle};
use crate::datasources::pages as datasources;
use crate::feed::{csv, json, odata, whoami};
use crate::pages::{error_page, main_page, tokens};
use crate::state::AppState;
use crate::tokens::pages as access_tokens;
use crate::{admin, health, jira, static_files};

pub fn configure(cfg: &mut web::ServiceConfig, state: &web::Data<AppState>) {
    cfg.service(
        web::scope(state.settings.base_path())
            // A failed page request is answered with a page (in the layout when signed in).
            .wrap(from_fn(error_page::render_error_pages))
            .default_service(web::to(error_page::not_found))
            // Public: Jira reads the descriptor; operators probe health; assets hold no data.
            .service(descriptor::serve_descriptor)
            .service(health::healthz)
            .service(static_files::asset)
            // Atlassian-signed lifecycle callbacks (RS256 install / HS256 enable).
            .service(lifecycle::on_installed)
            .service(lifecycle::on_uninstalled)
            .service(lifecycle::on_enabled)
            .service(lifecycle::on_disabled)
            // Page loads from Jira (HS256 page JWT with qsh): PageLoad extractor.
            .service(main_page::main_page)
            .service(admin::entry::admin_page)
            // In-app pages (our session token): JiraUser extractor.
            .service(datasources::list::list)
            // `new` before `{id}`, so it is not taken for an id.
            .service(datasources::create::new_form)
            .service(datasources::create::create)
            .service(datasources::show::show)
            .service(datasources::edit::edit_form)
            .service(datasources::edit::update)
            .service(datasources::delete::confirm)
            .service(datasources::delete::delete)
            .service(datasources::sharing::show::show)
            .service(datasources::sharing::add::add)
            .service(datasources::sharing::remove::remove)
            .service(datasources::sharing::owner::hand_over)
            .service(tokens::tokens_root)
            .service(jira::tab::show)
            .service(jira::tab::validate_and_save)
            .service(jira::tab::validate_again)
            .service(jira::revoke::confirm)
            .service(jira::revoke::revoke)
            .service(access_tokens::list::list)
            .service(access_tokens::create::create)
            .service(access_tokens::revoke::confirm)
            .service(access_tokens::revoke::revoke)
            .service(access_tokens::history::history)
            // Jira administrators only (JiraAdmin: re-checked with Jira on every request).
            .service(admin::access::show::show)
            .service(admin::access::mode::save_mode)
            .service(admin::access::grants::add)
            .service(admin::access::grants::remove)
            .service(admin::lifetime::show::show)
            .service(admin::lifetime::save::save)
            .service(admin::history::tokens::tokens_history)
            .service(admin::history::download::tokens_csv)
            .service(admin::history::data_sources::data_sources_history)
            .service(admin::history::download::data_sources_csv)
            .service(admin::revoke::confirm)
            .service(admin::revoke::revoke)
            // BI clients (personal access token as Basic password or Bearer): TokenOwner extractor.
            .service(whoami::whoami)
            .configure(crate::api::datasources::configure)
            .service(odata::service::service_document)
            .service(odata::metadata::metadata)
            .service(odata::issues::issues)
            .service(odata::count::issue_count)
            // Every other table; after `$metadata` and `Issues`, so those are not taken for one.
            .service(odata::count::table_count)
            .service(odata::issues::table_entity_set)
            .service(csv::csv)
            .service(csv::csv_table)
            .service(json::json)
            .service(json::json_table),
    );
}
