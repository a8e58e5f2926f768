//! The data-system registry and the tasks requests open in it.

use crate::domain::ids::{DataSystemId, RequestId, TaskId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{data_systems, requests, system_tasks};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = data_systems)]
pub struct DataSystemRow {
    pub id: DataSystemId,
    pub name: String,
    pub owner_email: String,
    pub categories: String,
    pub retention: String,
    pub deletion_method: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// JSON array of the task kinds it carries out.
    pub serves: String,
    /// JSON array of the purposes it processes for.
    pub purposes: String,
    /// JSON array of `Recipient`s.
    pub recipients: String,
    /// Where its data comes from.
    pub sources: String,
    /// The automated decision-making it does; empty: none declared.
    pub automated_decisions: String,
    /// JSON array of field names it never discloses.
    pub never_disclose: String,
}

pub fn insert_system(conn: &mut AnyConnection, row: &DataSystemRow) -> QueryResult<()> {
    diesel::insert_into(data_systems::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_system_by_name(
    conn: &mut AnyConnection,
    name: &str,
) -> QueryResult<Option<DataSystemRow>> {
    data_systems::table
        .filter(data_systems::name.eq(name))
        .select(DataSystemRow::as_select())
        .first(conn)
        .optional()
}

pub fn list_systems(conn: &mut AnyConnection) -> QueryResult<Vec<DataSystemRow>> {
    data_systems::table
        .order(data_systems::name.asc())
        .select(DataSystemRow::as_select())
        .load(conn)
}

pub fn active_systems(conn: &mut AnyConnection) -> QueryResult<Vec<DataSystemRow>> {
    data_systems::table
        .filter(data_systems::active.eq(true))
        .order(data_systems::name.asc())
        .select(DataSystemRow::as_select())
        .load(conn)
}

pub fn set_active(
    conn: &mut AnyConnection,
    id: &DataSystemId,
    active: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(data_systems::table.find(id))
        .set((
            data_systems::active.eq(active),
            data_systems::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = system_tasks)]
pub struct TaskRow {
    pub id: TaskId,
    pub request_id: RequestId,
    pub system_id: DataSystemId,
    pub kind: String,
    pub status: String,
    pub legal_ground: Option<String>,
    pub note: String,
    pub export_media_type: Option<String>,
    pub export_size: Option<i64>,
    pub export_nonce: Option<Vec<u8>>,
    pub export_ciphertext: Option<Vec<u8>>,
    pub export_purged_at: Option<NaiveDateTime>,
    pub completed_by: Option<String>,
    pub completed_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Restricted: the processing still allowed; stopped: the purposes the stop covers.
    pub purposes: Option<String>,
    /// The day a restriction ends, once the person has been told (`YYYY-MM-DD`).
    pub lifted_on: Option<String>,
    pub lift_reason: Option<String>,
    /// The ground an officer withheld the export on, reviewing the answer before release.
    pub withheld_ground: Option<String>,
}

impl std::fmt::Debug for TaskRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskRow")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

pub fn insert_task(conn: &mut AnyConnection, row: &TaskRow) -> QueryResult<()> {
    diesel::insert_into(system_tasks::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// A request's tasks with their systems, in the systems' order.
pub fn tasks_for_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<(TaskRow, DataSystemRow)>> {
    system_tasks::table
        .inner_join(data_systems::table)
        .filter(system_tasks::request_id.eq(request_id))
        .order(data_systems::name.asc())
        .select((TaskRow::as_select(), DataSystemRow::as_select()))
        .load(conn)
}

pub fn find_task(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    id: &TaskId,
) -> QueryResult<Option<(TaskRow, DataSystemRow)>> {
    system_tasks::table
        .inner_join(data_systems::table)
        .filter(system_tasks::request_id.eq(request_id))
        .filter(system_tasks::id.eq(id))
        .select((TaskRow::as_select(), DataSystemRow::as_select()))
        .first(conn)
        .optional()
}

/// What closing a task writes.
pub struct TaskCompletion<'a> {
    pub status: &'a str,
    pub legal_ground: Option<&'a str>,
    pub purposes: Option<&'a str>,
    pub note: &'a str,
    pub export: Option<(&'a str, i64, Vec<u8>, Vec<u8>)>,
    pub completed_by: &'a str,
    pub completed_at: NaiveDateTime,
}

/// Closes an open task; false if it was already closed.
pub fn complete_task(
    conn: &mut AnyConnection,
    id: &TaskId,
    c: TaskCompletion<'_>,
) -> QueryResult<bool> {
    let (media, size, nonce, ciphertext) = match c.export {
        Some((m, s, n, ct)) => (Some(m), Some(s), Some(n), Some(ct)),
        None => (None, None, None, None),
    };
    let n = diesel::update(
        system_tasks::table
            .filter(system_tasks::id.eq(id))
            .filter(system_tasks::status.eq("open")),
    )
    .set((
        system_tasks::status.eq(c.status),
        system_tasks::legal_ground.eq(c.legal_ground),
        system_tasks::purposes.eq(c.purposes),
        system_tasks::note.eq(c.note),
        system_tasks::export_media_type.eq(media),
        system_tasks::export_size.eq(size),
        system_tasks::export_nonce.eq(nonce),
        system_tasks::export_ciphertext.eq(ciphertext),
        system_tasks::completed_by.eq(Some(c.completed_by)),
        system_tasks::completed_at.eq(Some(c.completed_at)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn open_count(conn: &mut AnyConnection, request_id: &RequestId) -> QueryResult<i64> {
    system_tasks::table
        .filter(system_tasks::request_id.eq(request_id))
        .filter(system_tasks::status.eq("open"))
        .count()
        .get_result(conn)
}

/// Open tasks of open requests in systems this person owns, oldest first.
pub fn open_tasks_for_owner(
    conn: &mut AnyConnection,
    owner_email: &str,
) -> QueryResult<Vec<(TaskRow, DataSystemRow, String)>> {
    system_tasks::table
        .inner_join(data_systems::table)
        .inner_join(requests::table)
        .filter(system_tasks::status.eq("open"))
        .filter(requests::closed_at.is_null())
        .filter(data_systems::owner_email.eq(owner_email))
        .order(system_tasks::created_at.asc())
        .select((
            TaskRow::as_select(),
            DataSystemRow::as_select(),
            requests::receipt_number,
        ))
        .load(conn)
}

/// Exports of requests closed before `cutoff` still holding data.
pub fn purgeable_exports(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<Vec<(TaskId, RequestId)>> {
    system_tasks::table
        .inner_join(requests::table)
        .filter(system_tasks::export_ciphertext.is_not_null())
        .filter(system_tasks::export_purged_at.is_null())
        .filter(requests::closed_at.lt(cutoff))
        .filter(requests::legal_hold_since.is_null())
        .select((system_tasks::id, system_tasks::request_id))
        .load(conn)
}

pub fn purge_export(
    conn: &mut AnyConnection,
    id: &TaskId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        system_tasks::table
            .filter(system_tasks::id.eq(id))
            .filter(system_tasks::export_purged_at.is_null()),
    )
    .set((
        system_tasks::export_nonce.eq(None::<Vec<u8>>),
        system_tasks::export_ciphertext.eq(None::<Vec<u8>>),
        system_tasks::export_purged_at.eq(Some(now)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records that a restriction ends on `lifted_on` (the person is told in the same transaction); false if
/// the task is not a restriction in force.
pub fn lift_restriction(
    conn: &mut AnyConnection,
    id: &TaskId,
    lifted_on: &str,
    reason: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        system_tasks::table
            .filter(system_tasks::id.eq(id))
            .filter(system_tasks::status.eq("restricted"))
            .filter(system_tasks::lifted_on.is_null()),
    )
    .set((
        system_tasks::lifted_on.eq(Some(lifted_on)),
        system_tasks::lift_reason.eq(Some(reason)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Rewrites a system's registration (its tasks stay as they are); false if no such system.
pub fn update_system(
    conn: &mut AnyConnection,
    id: &DataSystemId,
    row: &DataSystemRow,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(data_systems::table.find(id))
        .set((
            data_systems::name.eq(&row.name),
            data_systems::owner_email.eq(&row.owner_email),
            data_systems::categories.eq(&row.categories),
            data_systems::retention.eq(&row.retention),
            data_systems::deletion_method.eq(&row.deletion_method),
            data_systems::serves.eq(&row.serves),
            data_systems::purposes.eq(&row.purposes),
            data_systems::recipients.eq(&row.recipients),
            data_systems::sources.eq(&row.sources),
            data_systems::automated_decisions.eq(&row.automated_decisions),
            data_systems::never_disclose.eq(&row.never_disclose),
            data_systems::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn find_system(
    conn: &mut AnyConnection,
    id: &DataSystemId,
) -> QueryResult<Option<DataSystemRow>> {
    data_systems::table
        .find(id)
        .select(DataSystemRow::as_select())
        .first(conn)
        .optional()
}

/// Withholds a closed export from the answer on `ground`, or restores it (`None`); false if the task is
/// not an export held for this request.
pub fn set_withheld(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    id: &TaskId,
    ground: Option<&str>,
) -> QueryResult<bool> {
    let n = diesel::update(
        system_tasks::table
            .filter(system_tasks::id.eq(id))
            .filter(system_tasks::request_id.eq(request_id))
            .filter(system_tasks::status.eq("exported")),
    )
    .set(system_tasks::withheld_ground.eq(ground))
    .execute(conn)?;
    Ok(n == 1)
}

/// A task by its id alone, with its system (a system owner's task page).
pub fn find_task_by_id(
    conn: &mut AnyConnection,
    id: &TaskId,
) -> QueryResult<Option<(TaskRow, DataSystemRow)>> {
    system_tasks::table
        .inner_join(data_systems::table)
        .filter(system_tasks::id.eq(id))
        .select((TaskRow::as_select(), DataSystemRow::as_select()))
        .first(conn)
        .optional()
}
