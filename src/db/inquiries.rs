//! Inquiries and complaints: the matter, when it was acknowledged and answered, and by whom.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::notices::NoticeRow;
use super::schema::{inquiries, notices};
use crate::domain::ids::InquiryId;
use crate::domain::inquiry::AcknowledgedHow;

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = inquiries)]
pub struct InquiryRow {
    pub id: InquiryId,
    pub reference: String,
    pub kind: String,
    pub place: String,
    pub language: String,
    pub channel: String,
    pub name: String,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub subject: String,
    pub body: String,
    pub about: Option<String>,
    pub received_on: String,
    pub received_at: NaiveDateTime,
    pub recorded_by: Option<String>,
    pub acknowledge_due: String,
    pub law_acknowledge_due: Option<String>,
    pub answer_due: String,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_how: Option<AcknowledgedHow>,
    pub answered_at: Option<NaiveDateTime>,
    pub answered_by: Option<String>,
    pub answer: Option<String>,
    pub erased_at: Option<NaiveDateTime>,
}

// Names, addresses and what people wrote: Debug shows none of it.
impl std::fmt::Debug for InquiryRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InquiryRow")
            .field("id", &self.id)
            .field("reference", &self.reference)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

pub fn insert(conn: &mut AnyConnection, row: &InquiryRow) -> QueryResult<()> {
    diesel::insert_into(inquiries::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut AnyConnection, id: &InquiryId) -> QueryResult<Option<InquiryRow>> {
    inquiries::table
        .find(id)
        .select(InquiryRow::as_select())
        .first(conn)
        .optional()
}

/// The inquiries, open ones first by the day they are due, then answered ones newest first.
pub fn list(
    conn: &mut AnyConnection,
    open_only: bool,
    kind: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<InquiryRow>> {
    let mut q = inquiries::table.into_boxed();
    if open_only {
        q = q.filter(inquiries::answered_at.is_null());
    }
    if let Some(k) = kind {
        q = q.filter(inquiries::kind.eq(k.to_owned()));
    }
    q.order((
        inquiries::answered_at.is_not_null(),
        inquiries::answer_due.asc(),
        inquiries::received_at.desc(),
    ))
    .limit(limit)
    .select(InquiryRow::as_select())
    .load(conn)
}

/// Every inquiry received from `from` to `to` (ISO days, both included), for the reports.
pub fn received_between(
    conn: &mut AnyConnection,
    from: &str,
    to: &str,
) -> QueryResult<Vec<InquiryRow>> {
    inquiries::table
        .filter(inquiries::received_on.ge(from))
        .filter(inquiries::received_on.le(to))
        .select(InquiryRow::as_select())
        .load(conn)
}

/// Records the acknowledgement; false if it was already acknowledged (or answered).
pub fn acknowledge(
    conn: &mut AnyConnection,
    id: &InquiryId,
    by: &str,
    how: AcknowledgedHow,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        inquiries::table
            .find(id)
            .filter(inquiries::acknowledged_at.is_null()),
    )
    .set((
        inquiries::acknowledged_at.eq(at),
        inquiries::acknowledged_by.eq(by),
        inquiries::acknowledged_how.eq(how),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Records the answer; false if it was already answered.
pub fn answer(
    conn: &mut AnyConnection,
    id: &InquiryId,
    by: &str,
    text: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        inquiries::table
            .find(id)
            .filter(inquiries::answered_at.is_null()),
    )
    .set((
        inquiries::answered_at.eq(at),
        inquiries::answered_by.eq(by),
        inquiries::answer.eq(text),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// The notices about an inquiry, oldest first.
pub fn notices_of(conn: &mut AnyConnection, id: &InquiryId) -> QueryResult<Vec<NoticeRow>> {
    notices::table
        .filter(notices::inquiry_id.eq(id))
        .order((notices::created_at.asc(), notices::id.asc()))
        .select(NoticeRow::as_select())
        .load(conn)
}

/// Inquiries whose personal data is past retention, not yet erased: answered before `cutoff`, or
/// never answered and received before it.
pub fn erasable(conn: &mut AnyConnection, cutoff: NaiveDateTime) -> QueryResult<Vec<InquiryId>> {
    inquiries::table
        .filter(
            inquiries::answered_at.lt(cutoff).or(inquiries::answered_at
                .is_null()
                .and(inquiries::received_at.lt(cutoff))),
        )
        .filter(inquiries::erased_at.is_null())
        .select(inquiries::id)
        .limit(500)
        .load(conn)
}

/// Erases what identifies the person and what they wrote, keeping the kind, place, channel and dates
/// the reports count; the notices' payloads with it.
pub fn erase(conn: &mut AnyConnection, id: &InquiryId, at: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(
        inquiries::table
            .find(id)
            .filter(inquiries::erased_at.is_null()),
    )
    .set((
        inquiries::name.eq(""),
        inquiries::email.eq(None::<String>),
        inquiries::postal_address.eq(None::<String>),
        inquiries::subject.eq(""),
        inquiries::body.eq(""),
        inquiries::about.eq(None::<String>),
        inquiries::answer.eq(None::<String>),
        inquiries::erased_at.eq(at),
    ))
    .execute(conn)?;
    // A delivery error may quote the address.
    diesel::update(notices::table.filter(notices::inquiry_id.eq(id)))
        .set((
            notices::payload.eq("{}"),
            notices::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
