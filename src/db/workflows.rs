//! Published workflow definitions. A version, once published, is never changed: requests pin it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::workflow_definitions;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = workflow_definitions)]
pub struct WorkflowRow {
    pub workflow_id: String,
    pub version: i64,
    pub source: String,
    pub source_sha256: String,
    pub published_at: NaiveDateTime,
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
