//! Published workflow definitions and the regime versions they were checked against. A version, once
//! published, is never changed: requests pin the workflow, the workflow pins its regime.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{regime_definitions, workflow_definitions};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = workflow_definitions)]
pub struct WorkflowRow {
    pub workflow_id: String,
    pub version: i64,
    pub source: String,
    pub source_sha256: String,
    pub published_at: NaiveDateTime,
    /// The regime it was checked against; `None` for versions published before regimes were pinned.
    pub regime_id: Option<String>,
    pub regime_version: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = regime_definitions)]
pub struct RegimeRow {
    pub regime_id: String,
    pub version: i64,
    pub source: String,
    pub source_sha256: String,
    pub published_at: NaiveDateTime,
}

pub fn insert_regime(conn: &mut AnyConnection, row: &RegimeRow) -> QueryResult<()> {
    diesel::insert_into(regime_definitions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_regime(
    conn: &mut AnyConnection,
    id: &str,
    version: i64,
) -> QueryResult<Option<RegimeRow>> {
    regime_definitions::table
        .find((id, version))
        .select(RegimeRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut AnyConnection, row: &WorkflowRow) -> QueryResult<()> {
    diesel::insert_into(workflow_definitions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut AnyConnection, id: &str, version: i64) -> QueryResult<Option<WorkflowRow>> {
    workflow_definitions::table
        .find((id, version))
        .select(WorkflowRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<WorkflowRow>> {
    workflow_definitions::table
        .order((
            workflow_definitions::workflow_id.asc(),
            workflow_definitions::version.asc(),
        ))
        .select(WorkflowRow::as_select())
        .load(conn)
}

/// Every published (id, version), ordered by id then version.
pub fn list_versions(conn: &mut AnyConnection) -> QueryResult<Vec<(String, i64)>> {
    workflow_definitions::table
        .order((
            workflow_definitions::workflow_id.asc(),
            workflow_definitions::version.asc(),
        ))
        .select((
            workflow_definitions::workflow_id,
            workflow_definitions::version,
        ))
        .load(conn)
}
