//! Tenants (installed Jira sites) and their storage. The shared secret is sealed with AES-GCM
//! under a key derived for this purpose, bound to the clientKey, and only opened to verify or
//! sign a JWT.

use diesel::prelude::*;
use url::Url;

use crate::crypto::{Sealer, SecretString};
use crate::db::schema::tenants;
use crate::db::{self, Conn, LockScope};
use crate::error::AppError;

/// A Jira site's stable identifier (`clientKey`), as Atlassian sends it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientKey(String);

impl ClientKey {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.len() > 255 {
            return Err("clientKey must be 1 to 255 characters".into());
        }
        if trimmed.chars().any(char::is_control) {
            return Err("clientKey contains control characters".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = tenants)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
pub struct TenantRow {
    pub id: i64,
    pub client_key: String,
    pub shared_secret_sealed: String,
    pub base_url: String,
    pub display_url: String,
    pub product_type: String,
    pub oauth_client_id: Option<String>,
    pub installed: bool,
    pub enabled: bool,
    pub installed_at: i64,
    pub uninstalled_at: Option<i64>,
    pub updated_at: i64,
}

/// A tenant as the rest of the app sees it: parsed URLs, and the secret still sealed.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: i64,
    pub client_key: ClientKey,
    pub base_url: Url,
    pub display_url: Url,
    pub installed: bool,
    pub enabled: bool,
    shared_secret_sealed: String,
}

impl Tenant {
    pub fn from_row(row: TenantRow) -> Result<Self, AppError> {
        let base_url = Url::parse(&row.base_url)
            .map_err(|e| AppError::internal(format!("stored baseUrl: {e}")))?;
        let display_url = Url::parse(&row.display_url).unwrap_or_else(|_| base_url.clone());
        Ok(Self {
            id: row.id,
            client_key: ClientKey(row.client_key),
            base_url,
            display_url,
            installed: row.installed,
            enabled: row.enabled,
            shared_secret_sealed: row.shared_secret_sealed,
        })
    }

    /// Opens the shared secret; the result is redacted in logs.
    pub fn shared_secret(&self, sealer: &Sealer) -> Result<SecretString, AppError> {
        Ok(sealer.open(&self.shared_secret_sealed, self.client_key.as_str())?)
    }

    /// True when the app may serve this site's users.
    pub fn is_active(&self) -> bool {
        self.installed && self.enabled
    }

    /// The site's origin (`https://acme.atlassian.net`), for CSP and links.
    pub fn origins(&self) -> Vec<String> {
        let mut origins = vec![self.base_url.origin().ascii_serialization()];
        let display = self.display_url.origin().ascii_serialization();
        if !origins.contains(&display) {
            origins.push(display);
        }
        origins
    }
}

pub fn find_by_client_key(conn: &mut Conn, client_key: &str) -> Result<Option<Tenant>, AppError> {
    find_row(conn, client_key)?
        .map(Tenant::from_row)
        .transpose()
}

pub fn find_by_id(conn: &mut Conn, id: i64) -> Result<Option<Tenant>, AppError> {
    tenants::table
        .filter(tenants::id.eq(id))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?
        .map(Tenant::from_row)
        .transpose()
}

pub fn find_row(conn: &mut Conn, client_key: &str) -> Result<Option<TenantRow>, AppError> {
    Ok(tenants::table
        .filter(tenants::client_key.eq(client_key))
        .select(TenantRow::as_select())
        .first(conn)
        .optional()?)
}

/// What a verified `installed` callback tells us.
pub struct Installation {
    pub client_key: ClientKey,
    pub shared_secret_sealed: String,
    pub base_url: Url,
    pub display_url: Url,
    pub product_type: String,
    pub oauth_client_id: Option<String>,
}

/// What an install changed, for the log.
#[derive(Debug, PartialEq, Eq)]
pub enum InstallOutcome {
    New,
    Reinstalled { base_url_changed: bool },
}

/// Inserts a tenant or, on a repeat `installed`, rotates its secret and base URL.
pub fn record_installation(
    conn: &mut Conn,
    installation: &Installation,
    now: i64,
) -> Result<InstallOutcome, AppError> {
    db::write_transaction(
        conn,
        &LockScope::Site {
            client_key: installation.client_key.as_str(),
        },
        |conn| {
            let existing = find_row(conn, installation.client_key.as_str())?;
            let base_url = installation.base_url.as_str().trim_end_matches('/');
            let display_url = installation.display_url.as_str().trim_end_matches('/');
            match existing {
                None => {
                    diesel::insert_into(tenants::table)
                        .values((
                            tenants::client_key.eq(installation.client_key.as_str()),
                            tenants::shared_secret_sealed.eq(&installation.shared_secret_sealed),
                            tenants::base_url.eq(base_url),
                            tenants::display_url.eq(display_url),
                            tenants::product_type.eq(&installation.product_type),
                            tenants::oauth_client_id.eq(&installation.oauth_client_id),
                            tenants::installed.eq(true),
                            tenants::enabled.eq(true),
                            tenants::installed_at.eq(now),
                            tenants::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                    Ok(InstallOutcome::New)
                }
                Some(row) => {
                    diesel::update(tenants::table.filter(tenants::id.eq(row.id)))
                        .set((
                            tenants::shared_secret_sealed.eq(&installation.shared_secret_sealed),
                            tenants::base_url.eq(base_url),
                            tenants::display_url.eq(display_url),
                            tenants::product_type.eq(&installation.product_type),
                            tenants::oauth_client_id.eq(&installation.oauth_client_id),
                            tenants::installed.eq(true),
                            tenants::enabled.eq(true),
                            tenants::uninstalled_at.eq(None::<i64>),
                            tenants::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                    Ok(InstallOutcome::Reinstalled {
                        base_url_changed: row.base_url != base_url,
                    })
                }
            }
        },
    )
}

/// Marks a tenant uninstalled, keeping its rows. Returns false when it was unknown.
pub fn mark_uninstalled(
    conn: &mut Conn,
    client_key: &ClientKey,
    now: i64,
) -> Result<bool, AppError> {
    let updated =
        diesel::update(tenants::table.filter(tenants::client_key.eq(client_key.as_str())))
            .set((
                tenants::installed.eq(false),
                tenants::uninstalled_at.eq(Some(now)),
                tenants::updated_at.eq(now),
            ))
            .execute(conn)?;
    Ok(updated > 0)
}

pub fn set_enabled(
    conn: &mut Conn,
    tenant_id: i64,
    enabled: bool,
    now: i64,
) -> Result<(), AppError> {
    diesel::update(tenants::table.filter(tenants::id.eq(tenant_id)))
        .set((tenants::enabled.eq(enabled), tenants::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}
