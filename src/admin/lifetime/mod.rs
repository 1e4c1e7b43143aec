//! The "Token lifetime" tab: the site's maximum access token lifetime (off by default). Turning
//! it on or shortening it clamps tokens already issued, so the page lists what a save would clamp
//! and saves only once the administrator confirmed that many. The rules are in
//! [`crate::tokens::lifetime`].

pub mod save;
pub mod show;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

use crate::admin::guard::JiraAdmin;
use crate::admin::tabs::AdminTab;
use crate::db;
use crate::pages::shared::Banner;
use crate::pages::{Layout, Nav, PageError};
use crate::state::AppState;
use crate::tokens::lifetime::MaxLifetime;
use crate::tokens::store::lifetime::{self, PlannedClamp};

pub const PATH: &str = "/app/admin/lifetime";

/// At most this many of the tokens a save would clamp are listed; the count is always exact.
pub const PREVIEW_ROWS: usize = 50;

/// One token the confirmation lists.
pub struct ClampRow {
    pub owner: String,
    pub label: String,
    pub from: String,
    pub to: String,
    /// The new expiry is already past: the token stops working at once.
    pub stops_now: bool,
}

/// What saving would clamp, for the administrator to confirm.
pub struct Confirmation {
    pub tokens: usize,
    pub owners: usize,
    pub stop_now: usize,
    pub rows: Vec<ClampRow>,
    /// The form values to send again with the confirmation.
    pub mode: &'static str,
    pub days: String,
}

impl Confirmation {
    pub fn new(plan: &[PlannedClamp], max: MaxLifetime, now: time::OffsetDateTime) -> Self {
        Self {
            tokens: plan.len(),
            owners: lifetime::owners_in(plan),
            stop_now: plan.iter().filter(|c| c.to.is_expired_at(now)).count(),
            rows: plan
                .iter()
                .take(PREVIEW_ROWS)
                .map(|c| ClampRow {
                    owner: c.owner.clone(),
                    label: c.label.clone(),
                    from: c.from.map_or_else(|| "Never".to_owned(), |e| e.to_string()),
                    to: c.to.to_string(),
                    stops_now: c.to.is_expired_at(now),
                })
                .collect(),
            mode: "on",
            days: max.days().to_string(),
        }
    }

    pub fn more(&self) -> usize {
        self.tokens - self.rows.len()
    }
}

/// The form as shown: the stored maximum, or what was typed with its errors.
#[derive(Default)]
pub struct Outcome {
    pub status: Option<StatusCode>,
    pub banner: Option<Banner>,
    /// `Some` when the form shows typed values instead of the stored ones.
    pub typed: Option<(bool, String)>,
    pub days_error: Option<String>,
    pub mode_error: Option<String>,
    pub confirmation: Option<Confirmation>,
}

#[derive(Template)]
#[template(path = "admin_lifetime.html")]
struct LifetimePage {
    layout: Layout,
    tab: AdminTab,
    /// The stored maximum, as "30 days".
    current: Option<String>,
    enabled: bool,
    days: String,
    outcome: Outcome,
}

impl LifetimePage {
    fn days_described_by(&self) -> &'static str {
        if self.outcome.days_error.is_some() {
            "lifetime-days-error lifetime-days-help"
        } else {
            "lifetime-days-help"
        }
    }
}

/// Renders the tab with `outcome` over the stored maximum.
pub async fn render(
    admin: &JiraAdmin,
    state: &AppState,
    outcome: Outcome,
) -> Result<HttpResponse, PageError> {
    let user = admin.user();
    let tenant_id = user.tenant.id;
    let stored = db::run(&state.pool, move |conn| lifetime::load_max(conn, tenant_id)).await?;
    let (enabled, days) = outcome.typed.clone().unwrap_or_else(|| {
        (
            stored.is_some(),
            stored.map(|m| m.days().to_string()).unwrap_or_default(),
        )
    });
    let page = LifetimePage {
        layout: Layout::new(state, user, "Token lifetime", Nav::Admin)?,
        tab: AdminTab::Lifetime,
        current: stored.map(|m| m.to_string()),
        enabled,
        days,
        outcome,
    };
    let status = page.outcome.status.unwrap_or(StatusCode::OK);
    Ok(page.layout.respond(status, &page)?)
}
