//! Reading an admin history: one page for the screen, or every event the filter selects for the
//! CSV download (up to a bound, past which the download refuses rather than cut rows). A
//! token's expiry is derived from its date, as on the user's own History tab.

use time::OffsetDateTime;

use crate::admin::history::filter::HistoryFilter;
use crate::admin::history::rows::AdminHistoryRow;
use crate::audit::Area;
use crate::audit::AuditAction;
use crate::audit::history::{HistoryEntry, HistoryPage, HistoryScope, history, last_id};
use crate::db::Conn;
use crate::error::AppError;
use crate::tokens::store::site::expired_on_site;

/// Events per screen page.
pub const PAGE_SIZE: i64 = 50;

/// The most events one download holds; more is refused with a request to narrow the dates.
pub const MAX_DOWNLOAD_ROWS: i64 = 100_000;

/// Events read per query while a download is assembled.
const DOWNLOAD_CHUNK: i64 = 5_000;

/// The tokens that expired on their own, as history entries (only the tokens area has them).
fn derived(
    conn: &mut Conn,
    tenant_id: i64,
    area: Area,
    filter: &HistoryFilter,
    now: OffsetDateTime,
) -> Result<Vec<HistoryEntry>, AppError> {
    if area != Area::Tokens {
        return Ok(Vec::new());
    }
    Ok(expired_on_site(conn, tenant_id, filter.user_id(), now)?
        .into_iter()
        .filter_map(|expired| {
            Some(HistoryEntry {
                action: AuditAction::AccessTokenExpired.as_str().to_owned(),
                at: expired.token.expires_on?.ends_at().unix_timestamp(),
                subject: expired.token.label,
                actor: None,
                target: expired.owner,
                ip: None,
            })
        })
        .collect())
}

/// The filter's page of the area's history on the site. An invalid filter reads nothing.
pub fn page(
    conn: &mut Conn,
    tenant_id: i64,
    area: Area,
    filter: &HistoryFilter,
    now: OffsetDateTime,
) -> Result<HistoryPage, AppError> {
    if !filter.is_valid() {
        return Ok(HistoryPage {
            entries: Vec::new(),
            page: 1,
            pages: 1,
            total: 0,
        });
    }
    let derived = derived(conn, tenant_id, area, filter, now)?;
    let scope = filter.scope(tenant_id, area);
    history(conn, &scope, &derived, filter.page, PAGE_SIZE)
}

/// Every event the filter selects, newest first, or `Err(total)` when there are more than
/// [`MAX_DOWNLOAD_ROWS`].
pub fn everything(
    conn: &mut Conn,
    tenant_id: i64,
    area: Area,
    filter: &HistoryFilter,
    now: OffsetDateTime,
) -> Result<Result<Vec<AdminHistoryRow>, i64>, AppError> {
    let derived = derived(conn, tenant_id, area, filter, now)?;
    let scope = HistoryScope {
        up_to_id: Some(last_id(conn, tenant_id)?),
        ..filter.scope(tenant_id, area)
    };
    let first = history(conn, &scope, &derived, 1, DOWNLOAD_CHUNK)?;
    if first.total > MAX_DOWNLOAD_ROWS {
        return Ok(Err(first.total));
    }
    let mut rows: Vec<AdminHistoryRow> = Vec::new();
    let pages = first.pages;
    rows.extend(first.entries.into_iter().map(AdminHistoryRow::from));
    for page in 2..=pages {
        let next = history(conn, &scope, &derived, page, DOWNLOAD_CHUNK)?;
        rows.extend(next.entries.into_iter().map(AdminHistoryRow::from));
    }
    Ok(Ok(rows))
}
