//! Rights requests: insert, find, list for the queue, and the optimistic state update.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::ids::{RequestId, StaffId};

use super::AnyConnection;
use super::schema::requests;

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = requests)]
pub struct RequestRow {
    pub id: RequestId,
    pub receipt_number: String,
    pub tracking_token_sha256: String,
    pub workflow_id: String,
    pub workflow_version: i64,
    pub state: String,
    pub version: i64,
    pub request_type: String,
    pub jurisdiction: String,
    pub channel: String,
    pub language: String,
    pub subject_name: String,
    pub subject_email: Option<String>,
    pub message: String,
    pub facts: String,
    pub received_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    /// Shared by the requests one submission asked for.
    pub filing_id: Option<String>,
    /// From when the answer should cover (`YYYY-MM-DD`), where the requester said (CCPA "know").
    pub period_from: Option<String>,
    /// Held while a complaint, appeal or lawsuit is pending: no erasure touches it.
    pub legal_hold_since: Option<NaiveDateTime>,
    pub legal_hold_reason: Option<String>,
    /// The id of the session key the tracking token was derived with (none for older requests).
    pub token_key_id: Option<String>,
}

/// Places a legal hold (`Some(reason)`) or lifts it (`None`); false if the request was not in the state
/// the change starts from (already held, or not held).
pub fn set_legal_hold(
    conn: &mut AnyConnection,
    id: &RequestId,
    hold: Option<(&str, NaiveDateTime)>,
) -> QueryResult<bool> {
    let n = match hold {
        Some((reason, now)) => diesel::update(
            requests::table
                .filter(requests::id.eq(id))
                .filter(requests::legal_hold_since.is_null()),
        )
        .set((
            requests::legal_hold_since.eq(Some(now)),
            requests::legal_hold_reason.eq(Some(reason)),
        ))
        .execute(conn)?,
        None => diesel::update(
            requests::table
                .filter(requests::id.eq(id))
                .filter(requests::legal_hold_since.is_not_null()),
        )
        .set((
            requests::legal_hold_since.eq(None::<NaiveDateTime>),
            requests::legal_hold_reason.eq(None::<String>),
        ))
        .execute(conn)?,
    };
    Ok(n == 1)
}

/// The requester's name, address and words never reach a log through `Debug`.
impl std::fmt::Debug for RequestRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestRow")
            .field("id", &self.id)
            .field("receipt_number", &self.receipt_number)
            .field("workflow", &(&self.workflow_id, self.workflow_version))
            .field("state", &self.state)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = requests)]
pub struct NewRequestRow<'a> {
    pub id: &'a str,
    pub receipt_number: &'a str,
    pub tracking_token_sha256: &'a str,
    pub workflow_id: &'a str,
    pub workflow_version: i64,
    pub state: &'a str,
    pub version: i64,
    pub request_type: &'a str,
    pub jurisdiction: &'a str,
    pub channel: &'a str,
    pub language: &'a str,
    pub subject_name: &'a str,
    pub subject_email: Option<&'a str>,
    pub message: &'a str,
    pub facts: &'a str,
    pub received_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub filing_id: Option<&'a str>,
    /// The nearest running deadline (the queue's order), known at intake from the clocks it starts.
    pub queue_due: &'a str,
    /// From when the answer should cover (`YYYY-MM-DD`), where the requester said (CCPA "know").
    pub period_from: Option<&'a str>,
    /// The id of the session key the tracking token was derived with.
    pub token_key_id: Option<&'a str>,
}

/// What the queue shows: no free text, no contact details.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = requests)]
pub struct QueueRow {
    pub id: String,
    pub receipt_number: String,
    pub workflow_id: String,
    pub workflow_version: i64,
    pub state: String,
    pub request_type: String,
    pub jurisdiction: String,
    pub channel: String,
    pub received_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut AnyConnection, row: &NewRequestRow<'_>) -> QueryResult<()> {
    diesel::insert_into(requests::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut AnyConnection, id: &RequestId) -> QueryResult<Option<RequestRow>> {
    requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_token_digest(
    conn: &mut AnyConnection,
    digest: &str,
) -> QueryResult<Option<RequestRow>> {
    requests::table
        .filter(requests::tracking_token_sha256.eq(digest))
        .select(RequestRow::as_select())
        .first(conn)
        .optional()
}

diesel::define_sql_function! {
    /// SQL `lower()`, the same on SQLite and PostgreSQL for the ASCII of an email address.
    fn lower(x: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Nullable<diesel::sql_types::Text>;
}

/// The newest `limit` requests filed with this email address (compared in lower case), for sending their
/// tracking links again.
pub fn filed_with_email(
    conn: &mut AnyConnection,
    email_lowercase: &str,
    limit: i64,
) -> QueryResult<Vec<RequestRow>> {
    requests::table
        .filter(lower(requests::subject_email).eq(email_lowercase))
        .order((requests::received_at.desc(), requests::id.asc()))
        .limit(limit)
        .select(RequestRow::as_select())
        .load(conn)
}

/// The newest requests first.
/// Open requests, oldest first (the oldest are nearest their deadlines).
pub fn list_open(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<QueueRow>> {
    requests::table
        .filter(requests::closed_at.is_null())
        .order((requests::received_at.asc(), requests::id.asc()))
        .limit(limit)
        .select(QueueRow::as_select())
        .load(conn)
}

pub fn count_open(conn: &mut AnyConnection) -> QueryResult<i64> {
    requests::table
        .filter(requests::closed_at.is_null())
        .count()
        .get_result(conn)
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    requests::table.count().get_result(conn)
}

/// Moves a request to a new state (and records what is now known about it) only if nobody changed it
/// since `expected_version` was read. Returns false when another writer got there first.
/// Takes the request's row lock whatever its version (PostgreSQL; SQLite writers are serialised), so
/// what is read next is what the other writers committed.
pub fn lock(conn: &mut AnyConnection, id: &RequestId) -> QueryResult<bool> {
    let n = diesel::update(requests::table.filter(requests::id.eq(id)))
        .set(requests::version.eq(requests::version))
        .execute(conn)?;
    Ok(n == 1)
}

/// Records facts learnt outside a transition (the email confirmed) if the request is still at
/// `expected_version`; the version stays, as no officer decision changed.
pub fn set_facts(
    conn: &mut AnyConnection,
    id: &RequestId,
    expected_version: i64,
    facts: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        requests::table
            .filter(requests::id.eq(id))
            .filter(requests::version.eq(expected_version)),
    )
    .set(requests::facts.eq(facts))
    .execute(conn)?;
    Ok(n == 1)
}

/// Open requests with an unconfirmed email address received at or before `cutoff` (candidates for
/// expiry). The condition is spelt as the partial index `requests_unconfirmed` (migration 000014) is,
/// so the hourly sweep reads only unconfirmed requests, not every open one.
pub fn open_received_before(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<Vec<RequestId>> {
    requests::table
        .filter(requests::closed_at.is_null())
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(UNCONFIRMED))
        .filter(requests::received_at.le(cutoff))
        .order(requests::received_at.asc())
        .select(requests::id)
        .load(conn)
}

/// Takes the request's row lock if it is still at `expected_version` (PostgreSQL blocks a concurrent
/// writer here until the first commits, then finds the version moved on). False: someone else won.
pub fn claim(conn: &mut AnyConnection, id: &RequestId, expected_version: i64) -> QueryResult<bool> {
    let n = diesel::update(
        requests::table
            .filter(requests::id.eq(id))
            .filter(requests::version.eq(expected_version)),
    )
    .set(requests::version.eq(expected_version))
    .execute(conn)?;
    Ok(n == 1)
}

pub fn update_after_transition(
    conn: &mut AnyConnection,
    id: &RequestId,
    expected_version: i64,
    new_state: &str,
    facts: &str,
    closed: bool,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(
        requests::table
            .filter(requests::id.eq(id))
            .filter(requests::version.eq(expected_version)),
    )
    .set((
        requests::state.eq(new_state),
        requests::facts.eq(facts),
        requests::version.eq(expected_version + 1),
        requests::updated_at.eq(now),
        requests::closed_at.eq(closed.then_some(now)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Who a request was filed for, when an agent or guardian filed it.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = super::schema::request_on_behalf)]
pub struct OnBehalfRow {
    pub request_id: RequestId,
    pub kind: String,
    pub person_name: String,
    pub person_email: Option<String>,
    pub person_confirmed_at: Option<NaiveDateTime>,
    /// A guardian's basis (`minor` or `guardianship`); for a minor, the birth date and the law's age
    /// the filing was checked against.
    pub guardian_basis: Option<String>,
    pub person_born_on: Option<String>,
    pub minor_under: Option<i32>,
}

pub fn insert_on_behalf(conn: &mut AnyConnection, row: &OnBehalfRow) -> QueryResult<()> {
    diesel::insert_into(super::schema::request_on_behalf::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_on_behalf(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Option<OnBehalfRow>> {
    use super::schema::request_on_behalf as b;
    b::table
        .find(request_id)
        .select(OnBehalfRow::as_select())
        .first(conn)
        .optional()
}

pub fn set_person_confirmed(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    use super::schema::request_on_behalf as b;
    let n = diesel::update(
        b::table
            .filter(b::request_id.eq(request_id))
            .filter(b::person_confirmed_at.is_null()),
    )
    .set(b::person_confirmed_at.eq(Some(now)))
    .execute(conn)?;
    Ok(n == 1)
}

/// The other requests filed in the same submission as `id`.
pub fn siblings(
    conn: &mut AnyConnection,
    filing_id: &str,
    id: &RequestId,
) -> QueryResult<Vec<RequestId>> {
    requests::table
        .filter(requests::filing_id.eq(filing_id))
        .filter(requests::id.ne(id))
        .order(requests::received_at.asc())
        .select(requests::id)
        .load(conn)
}

/// Assigns a request to a staff member (or to nobody).
pub fn set_assignee(
    conn: &mut AnyConnection,
    id: &RequestId,
    staff_id: Option<&StaffId>,
) -> QueryResult<bool> {
    let n = diesel::update(requests::table.filter(requests::id.eq(id)))
        .set(requests::assigned_to.eq(staff_id.map(StaffId::as_str)))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn assignee(conn: &mut AnyConnection, id: &RequestId) -> QueryResult<Option<StaffId>> {
    requests::table
        .filter(requests::id.eq(id))
        .select(requests::assigned_to)
        .first::<Option<StaffId>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Which open requests the queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Any of these states (empty: any state).
    pub states: Vec<String>,
    pub workflow_id: Option<String>,
    pub request_type: Option<String>,
    pub jurisdiction: Option<String>,
    /// `Some(None)`: nobody assigned; `Some(Some(id))`: this staff member.
    pub assignee: Option<Option<StaffId>>,
    /// Due on or before this day (`YYYY-MM-DD`).
    pub due_by: Option<String>,
    /// Due before this day: overdue.
    pub due_before: Option<String>,
    /// `Some(true)`: only requests whose requester has not confirmed their e-mail address yet;
    /// `Some(false)`: only the others (those officers can work).
    pub unconfirmed: Option<bool>,
}

/// Open requests awaiting the requester's e-mail confirmation, spelt as the partial index
/// `requests_unconfirmed` (migration 000014) is.
const UNCONFIRMED: &str = "subject_email IS NOT NULL AND facts NOT LIKE '%\"email_confirmed\"%'";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = requests)]
pub struct QueueEntry {
    pub id: String,
    pub receipt_number: String,
    pub workflow_id: String,
    pub workflow_version: i64,
    pub state: String,
    pub request_type: String,
    pub jurisdiction: String,
    pub channel: String,
    pub received_at: NaiveDateTime,
    pub queue_due: String,
    pub assigned_to: Option<StaffId>,
    #[diesel(select_expression = requests::subject_email.is_not_null())]
    #[diesel(select_expression_type = diesel::dsl::IsNotNull<requests::subject_email>)]
    pub has_email: bool,
    pub facts: String,
}

impl QueueEntry {
    /// The requester gave an e-mail address and has not confirmed it yet: officers cannot work it.
    pub fn awaiting_confirmation(&self) -> bool {
        self.has_email && !self.facts.contains("\"email_confirmed\"")
    }
}

impl QueueFilter {
    /// Whether the filter's total can be read from the kept bucket counts: every condition but the
    /// due dates is part of a bucket's key.
    pub fn counts_by_bucket(&self) -> bool {
        self.due_by.is_none() && self.due_before.is_none() && self.unconfirmed.is_none()
    }

    /// Whether a bucket's requests match the filter (the due dates aside).
    pub fn matches(&self, b: &super::queue_counts::OpenBucket) -> bool {
        (self.states.is_empty() || self.states.contains(&b.state))
            && self
                .workflow_id
                .as_ref()
                .is_none_or(|w| *w == b.workflow_id)
            && self
                .request_type
                .as_ref()
                .is_none_or(|t| *t == b.request_type)
            && self
                .jurisdiction
                .as_ref()
                .is_none_or(|j| *j == b.jurisdiction)
            && self.assignee.as_ref().is_none_or(|a| *a == b.assigned_to)
    }
}

type Boxed<'a> = requests::BoxedQuery<'a, <AnyConnection as diesel::Connection>::Backend>;

fn filtered(filter: &QueueFilter) -> Boxed<'static> {
    let mut q = requests::table
        .filter(requests::closed_at.is_null())
        .into_boxed();
    if !filter.states.is_empty() {
        q = q.filter(requests::state.eq_any(filter.states.clone()));
    }
    if let Some(w) = &filter.workflow_id {
        q = q.filter(requests::workflow_id.eq(w.clone()));
    }
    if let Some(t) = &filter.request_type {
        q = q.filter(requests::request_type.eq(t.clone()));
    }
    if let Some(j) = &filter.jurisdiction {
        q = q.filter(requests::jurisdiction.eq(j.clone()));
    }
    match &filter.assignee {
        Some(Some(id)) => q = q.filter(requests::assigned_to.eq(id.clone())),
        Some(None) => q = q.filter(requests::assigned_to.is_null()),
        None => {}
    }
    if let Some(d) = &filter.due_by {
        q = q.filter(requests::queue_due.le(d.clone()));
    }
    if let Some(d) = &filter.due_before {
        q = q.filter(requests::queue_due.lt(d.clone()));
    }
    match filter.unconfirmed {
        Some(true) => q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(UNCONFIRMED)),
        Some(false) => {
            q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
                "NOT ({UNCONFIRMED})"
            )))
        }
        None => {}
    }
    q
}

/// Open requests awaiting the requester's e-mail confirmation.
pub fn count_unconfirmed(conn: &mut AnyConnection) -> QueryResult<i64> {
    requests::table
        .filter(requests::closed_at.is_null())
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(UNCONFIRMED))
        .count()
        .get_result(conn)
}

/// One page of the queue, nearest deadline first, after the cursor `(queue_due, id)` (keyset: page
/// 10,000 costs what page 1 does).
pub fn queue_page(
    conn: &mut AnyConnection,
    filter: &QueueFilter,
    after: Option<&(String, String)>,
    limit: i64,
) -> QueryResult<Vec<QueueEntry>> {
    let page = |q: Boxed<'static>, limit: i64| {
        q.order((requests::queue_due.asc(), requests::id.asc()))
            .limit(limit)
            .select(QueueEntry::as_select())
    };
    let Some((due, id)) = after else {
        return page(filtered(filter), limit).load(conn);
    };
    // The rest of the cursor's day, then the days after: two index ranges, each a statement the
    // database keeps prepared. (A row-value comparison is one range, but as raw SQL it is planned
    // anew for every page; `due > d OR (due = d AND id > i)` makes the database filter the whole day.)
    let mut rows = page(
        filtered(filter)
            .filter(requests::queue_due.eq(due.clone()))
            .filter(requests::id.gt(id.clone())),
        limit,
    )
    .load(conn)?;
    let short = limit - rows.len() as i64;
    if short > 0 {
        rows.extend(
            page(
                filtered(filter).filter(requests::queue_due.gt(due.clone())),
                short,
            )
            .load(conn)?,
        );
    }
    Ok(rows)
}

/// How many open requests the filter matches.
pub fn queue_count(conn: &mut AnyConnection, filter: &QueueFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

/// What reports need of a request.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = requests)]
pub struct ReportRow {
    pub request_type: String,
    pub jurisdiction: String,
    pub state: String,
    pub received_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
}

/// Requests received in `[from, to)`.
pub fn received_between(
    conn: &mut AnyConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<ReportRow>> {
    requests::table
        .filter(requests::received_at.ge(from))
        .filter(requests::received_at.lt(to))
        .select(ReportRow::as_select())
        .load(conn)
}

/// The receipt numbers of these requests, by id (unknown ids are left out).
pub fn receipt_numbers(
    conn: &mut AnyConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(
            requests::table
                .filter(requests::id.eq_any(chunk))
                .select((requests::id, requests::receipt_number))
                .load::<(String, String)>(conn)?,
        );
    }
    Ok(out)
}

/// The request with this receipt number, if any.
pub fn id_by_receipt_number(
    conn: &mut AnyConnection,
    receipt: &str,
) -> QueryResult<Option<String>> {
    requests::table
        .filter(requests::receipt_number.eq(receipt))
        .select(requests::id)
        .first::<String>(conn)
        .optional()
}
