//! Storage of data sources. Every read and write filters by owner (site and account), so another
//! user's id behaves exactly like an id that does not exist; [`shares`] adds the people and
//! groups an owner shares one with. Create, update and delete run in
//! one write transaction locked on the owner ([`db::write_transaction`]) with their audit record, so the per-user limit, the
//! case-insensitive name uniqueness and the one-time form id hold under concurrent requests, on every instance.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::audit::{self, Actor, AuditAction};
use crate::datasources::domain::{
    DataSourceDefinition, IssueMode, MAX_DATA_SOURCES_PER_USER, TableSelection,
};
use crate::db::schema::{data_source_shares, data_sources};
use crate::db::{self, Conn, LockScope};
use crate::error::AppError;
use crate::tokens::domain::FormId;

#[derive(Queryable, Selectable)]
#[diesel(table_name = data_sources)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct Row {
    id: i64,
    name: String,
    issue_mode: String,
    jql: String,
    project_keys: String,
    fields: String,
    created_at: i64,
    updated_at: i64,
    tables: String,
}

/// A stored data source, as its owner and the feeds see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSource {
    pub id: i64,
    pub name: String,
    /// The query the feed runs (for picked projects, the `project in (…)` built from them).
    pub jql: String,
    /// How the issues were picked, for the edit form.
    pub mode: IssueMode,
    /// The picked projects when `mode` is `Projects`, else empty.
    pub project_keys: Vec<String>,
    /// Jira field ids, in the user's order.
    pub fields: Vec<String>,
    /// The tables exported besides `Issues`.
    pub tables: TableSelection,
    /// Unix seconds.
    pub created_at: i64,
    pub updated_at: i64,
}

fn json_list(raw: &str, column: &str) -> Result<Vec<String>, AppError> {
    serde_json::from_str(raw)
        .map_err(|e| AppError::internal(format!("stored data source {column}: {e}")))
}

fn to_json(values: &[String]) -> Result<String, AppError> {
    serde_json::to_string(values)
        .map_err(|e| AppError::internal(format!("encoding data source list: {e}")))
}

impl Row {
    fn into_data_source(self) -> Result<DataSource, AppError> {
        let mode = IssueMode::parse(&self.issue_mode).ok_or_else(|| {
            AppError::internal(format!("stored data source mode {:?}", self.issue_mode))
        })?;
        Ok(DataSource {
            id: self.id,
            name: self.name,
            jql: self.jql,
            mode,
            project_keys: json_list(&self.project_keys, "project_keys")?,
            fields: json_list(&self.fields, "fields")?,
            tables: TableSelection::parse(&json_list(&self.tables, "tables")?)
                .map_err(|e| AppError::internal(format!("stored data source tables: {e}")))?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn owned_by(tenant_id: i64, account_id: &str) -> data_sources::BoxedQuery<'_, db::Backend> {
    data_sources::table
        .filter(data_sources::tenant_id.eq(tenant_id))
        .filter(data_sources::account_id.eq(account_id))
        .into_boxed()
}

/// The user's data sources, by name ignoring case.
pub fn list(
    conn: &mut Conn,
    tenant_id: i64,
    account_id: &str,
) -> Result<Vec<DataSource>, AppError> {
    owned_by(tenant_id, account_id)
        .order((data_sources::name_normalized.asc(), data_sources::id.asc()))
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Row::into_data_source)
        .collect()
}

/// One of the user's own data sources; `None` when the id is unknown or someone else's.
pub fn find_owned(
    conn: &mut Conn,
    tenant_id: i64,
    account_id: &str,
    id: i64,
) -> Result<Option<DataSource>, AppError> {
    owned_by(tenant_id, account_id)
        .filter(data_sources::id.eq(id))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_data_source)
        .transpose()
}

fn name_taken(
    conn: &mut Conn,
    actor: &Actor,
    normalized: &str,
    except_id: Option<i64>,
) -> Result<bool, AppError> {
    let mut query = owned_by(actor.tenant_id, actor.account_id.as_str())
        .filter(data_sources::name_normalized.eq(normalized));
    if let Some(id) = except_id {
        query = query.filter(data_sources::id.ne(id));
    }
    Ok(query.count().get_result::<i64>(conn)? > 0)
}

/// How a create ended; everything but `Created` changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateOutcome {
    Created(DataSource),
    /// This form was submitted before (reload, double click); it created the data source with
    /// this id.
    AlreadySubmitted(i64),
    LimitReached,
    NameTaken,
}

/// Stores a new data source for `actor` if the form is new, the user is below the limit and the
/// name is free, and records the audit event, all in one transaction.
pub fn create(
    conn: &mut Conn,
    actor: &Actor,
    definition: &DataSourceDefinition,
    form_id: &FormId,
    now: OffsetDateTime,
) -> Result<CreateOutcome, AppError> {
    let project_keys = to_json(&definition.issues.project_keys())?;
    let fields = to_json(definition.fields.as_slice())?;
    let tables = to_json(&definition.tables.names())?;
    db::write_transaction(
        conn,
        &LockScope::Owner {
            tenant_id: actor.tenant_id,
            account_id: actor.account_id.as_str(),
        },
        |conn| {
            let earlier = owned_by(actor.tenant_id, actor.account_id.as_str())
                .filter(data_sources::form_id.eq(form_id.as_str()))
                .select(data_sources::id)
                .first::<i64>(conn)
                .optional()?;
            if let Some(id) = earlier {
                return Ok(CreateOutcome::AlreadySubmitted(id));
            }
            let held = owned_by(actor.tenant_id, actor.account_id.as_str())
                .count()
                .get_result::<i64>(conn)?;
            if usize::try_from(held).unwrap_or(usize::MAX) >= MAX_DATA_SOURCES_PER_USER {
                return Ok(CreateOutcome::LimitReached);
            }
            let normalized = definition.name.normalized();
            if name_taken(conn, actor, &normalized, None)? {
                return Ok(CreateOutcome::NameTaken);
            }
            let at = now.unix_timestamp();
            diesel::insert_into(data_sources::table)
                .values((
                    data_sources::tenant_id.eq(actor.tenant_id),
                    data_sources::account_id.eq(actor.account_id.as_str()),
                    data_sources::name.eq(definition.name.as_str()),
                    data_sources::name_normalized.eq(&normalized),
                    data_sources::issue_mode.eq(definition.issues.mode().as_str()),
                    data_sources::jql.eq(definition.issues.jql()),
                    data_sources::project_keys.eq(&project_keys),
                    data_sources::fields.eq(&fields),
                    data_sources::tables.eq(&tables),
                    data_sources::form_id.eq(Some(form_id.as_str())),
                    data_sources::created_at.eq(at),
                    data_sources::updated_at.eq(at),
                ))
                .execute(conn)?;
            // Read back by the unique form id (the returning clause is not in the subset both
            // backends share through `MultiConnection`).
            let row = data_sources::table
                .filter(data_sources::form_id.eq(form_id.as_str()))
                .select(Row::as_select())
                .first(conn)?;
            audit::record(
                conn,
                actor,
                AuditAction::DataSourceCreated,
                definition.name.as_str(),
                now,
            )?;
            Ok(CreateOutcome::Created(row.into_data_source()?))
        },
    )
}

/// How an update ended; everything but `Updated` changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateOutcome {
    Updated(DataSource),
    /// The id is unknown or someone else's.
    NotFound,
    NameTaken,
}

/// Replaces the definition of one of the actor's own data sources and records the audit event.
pub fn update(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    definition: &DataSourceDefinition,
    now: OffsetDateTime,
) -> Result<UpdateOutcome, AppError> {
    let project_keys = to_json(&definition.issues.project_keys())?;
    let fields = to_json(definition.fields.as_slice())?;
    let tables = to_json(&definition.tables.names())?;
    db::write_transaction(
        conn,
        &LockScope::Owner {
            tenant_id: actor.tenant_id,
            account_id: actor.account_id.as_str(),
        },
        |conn| {
            if find_owned(conn, actor.tenant_id, actor.account_id.as_str(), id)?.is_none() {
                return Ok(UpdateOutcome::NotFound);
            }
            let normalized = definition.name.normalized();
            if name_taken(conn, actor, &normalized, Some(id))? {
                return Ok(UpdateOutcome::NameTaken);
            }
            diesel::update(
                data_sources::table
                    .filter(data_sources::id.eq(id))
                    .filter(data_sources::tenant_id.eq(actor.tenant_id))
                    .filter(data_sources::account_id.eq(actor.account_id.as_str())),
            )
            .set((
                data_sources::name.eq(definition.name.as_str()),
                data_sources::name_normalized.eq(&normalized),
                data_sources::issue_mode.eq(definition.issues.mode().as_str()),
                data_sources::jql.eq(definition.issues.jql()),
                data_sources::project_keys.eq(&project_keys),
                data_sources::fields.eq(&fields),
                data_sources::tables.eq(&tables),
                data_sources::updated_at.eq(now.unix_timestamp()),
            ))
            .execute(conn)?;
            let row = data_sources::table
                .filter(data_sources::id.eq(id))
                .select(Row::as_select())
                .first(conn)?;
            audit::record(
                conn,
                actor,
                AuditAction::DataSourceUpdated,
                definition.name.as_str(),
                now,
            )?;
            Ok(UpdateOutcome::Updated(row.into_data_source()?))
        },
    )
}

/// Deletes one of the actor's own data sources and records the audit event. `None` when the id
/// is unknown or someone else's; then nothing changes.
pub fn delete(
    conn: &mut Conn,
    actor: &Actor,
    id: i64,
    now: OffsetDateTime,
) -> Result<Option<DataSource>, AppError> {
    db::write_transaction(
        conn,
        &LockScope::Owner {
            tenant_id: actor.tenant_id,
            account_id: actor.account_id.as_str(),
        },
        |conn| {
            let Some(source) = find_owned(conn, actor.tenant_id, actor.account_id.as_str(), id)?
            else {
                return Ok(None);
            };
            // The foreign key cascades too; deleting here keeps it one visible step.
            diesel::delete(
                data_source_shares::table.filter(data_source_shares::data_source_id.eq(id)),
            )
            .execute(conn)?;
            diesel::delete(
                data_sources::table
                    .filter(data_sources::id.eq(id))
                    .filter(data_sources::tenant_id.eq(actor.tenant_id))
                    .filter(data_sources::account_id.eq(actor.account_id.as_str())),
            )
            .execute(conn)?;
            audit::record(
                conn,
                actor,
                AuditAction::DataSourceDeleted,
                &source.name,
                now,
            )?;
            Ok(Some(source))
        },
    )
}

pub mod shares;

#[cfg(test)]
mod tests;
