//! The register of provision to and receipt from third parties, and the records confirmed as a
//! request's person's.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{provision_records, request_provision_records};
use crate::domain::ids::{ProvisionRecordId, RequestId};

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = provision_records)]
pub struct ProvisionRow {
    pub id: ProvisionRecordId,
    pub regime: String,
    pub direction: String,
    pub method: String,
    pub basis: String,
    pub provided_on: String,
    pub last_provided_on: Option<String>,
    pub counterparty_name: String,
    pub counterparty_address: Option<String>,
    pub counterparty_representative: Option<String>,
    pub acquired_how: Option<String>,
    pub person_name: String,
    pub person_kana: Option<String>,
    pub person_email: Option<String>,
    pub person_address: Option<String>,
    pub name_key: String,
    pub kana_key: Option<String>,
    pub email_key: Option<String>,
    pub items: String,
    pub kept_until: String,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
}

// The register holds people's names and addresses: Debug shows none of it.
impl std::fmt::Debug for ProvisionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvisionRow")
            .field("id", &self.id)
            .field("direction", &self.direction)
            .field("kept_until", &self.kept_until)
            .finish_non_exhaustive()
    }
}

pub fn insert(conn: &mut AnyConnection, row: &ProvisionRow) -> QueryResult<()> {
    diesel::insert_into(provision_records::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut AnyConnection, id: &ProvisionRecordId) -> QueryResult<Option<ProvisionRow>> {
    provision_records::table
        .find(id)
        .select(ProvisionRow::as_select())
        .first(conn)
        .optional()
}

/// One page of the register, newest provision first; `key` (folded) narrows it to one person's name,
/// kana or e-mail address.
pub fn page(
    conn: &mut AnyConnection,
    key: Option<&str>,
    direction: Option<&str>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<ProvisionRow>, i64)> {
    let query = || {
        let mut q = provision_records::table.into_boxed();
        if let Some(k) = key {
            q = q.filter(
                provision_records::name_key
                    .eq(k.to_owned())
                    .or(provision_records::kana_key.eq(k.to_owned()))
                    .or(provision_records::email_key.eq(k.to_lowercase())),
            );
        }
        if let Some(d) = direction {
            q = q.filter(provision_records::direction.eq(d.to_owned()));
        }
        q
    };
    let total = query().count().get_result::<i64>(conn)?;
    let rows = query()
        .order((
            provision_records::provided_on.desc(),
            provision_records::created_at.desc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(ProvisionRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The records whose person shares the requester's folded name, kana or e-mail address.
pub fn candidates(
    conn: &mut AnyConnection,
    regime: &str,
    name_key: &str,
    kana_key: Option<&str>,
    email_key: Option<&str>,
) -> QueryResult<Vec<ProvisionRow>> {
    // A NULL key compares as unknown, so a blank kana or address matches nothing.
    let by =
        provision_records::name_key
            .eq(name_key.to_owned())
            .or(provision_records::kana_key
                .eq(kana_key.filter(|k| !k.is_empty()).map(str::to_owned)))
            .or(provision_records::email_key
                .eq(email_key.filter(|e| !e.is_empty()).map(str::to_owned)));
    provision_records::table
        .filter(provision_records::regime.eq(regime))
        .filter(by)
        .order(provision_records::provided_on.desc())
        .limit(500)
        .select(ProvisionRow::as_select())
        .load(conn)
}

/// The records confirmed as the request's person's.
pub fn attached(conn: &mut AnyConnection, request: &RequestId) -> QueryResult<Vec<ProvisionRow>> {
    provision_records::table
        .inner_join(request_provision_records::table)
        .filter(request_provision_records::request_id.eq(request))
        .order(provision_records::provided_on.asc())
        .select(ProvisionRow::as_select())
        .load(conn)
}

/// Confirms a record as the request's person's; false if it already was.
pub fn attach(
    conn: &mut AnyConnection,
    request: &RequestId,
    record: &str,
    staff: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let exists = request_provision_records::table
        .find((request.as_str(), record))
        .count()
        .get_result::<i64>(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(request_provision_records::table)
        .values((
            request_provision_records::request_id.eq(request),
            request_provision_records::record_id.eq(record),
            request_provision_records::attached_by.eq(staff),
            request_provision_records::attached_at.eq(at),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Takes a record off the request; false if it was not on it.
pub fn detach(conn: &mut AnyConnection, request: &RequestId, record: &str) -> QueryResult<bool> {
    diesel::delete(request_provision_records::table.find((request.as_str(), record)))
        .execute(conn)
        .map(|n| n > 0)
}

/// Erases `regime`'s records kept to a day before `today` (ISO dates compare as text), with their
/// links to closed requests (answers already queued carry their own copy); how many. A record an open
/// or held request has confirmed waits for it: the person asked to see it.
pub fn erase_expired(conn: &mut AnyConnection, regime: &str, today: &str) -> QueryResult<usize> {
    use super::schema::requests;
    let open_or_held = requests::table
        .filter(
            requests::closed_at
                .is_null()
                .or(requests::legal_hold_since.is_not_null()),
        )
        .select(requests::id);
    let waited_for: Vec<String> = request_provision_records::table
        .filter(request_provision_records::request_id.eq_any(open_or_held))
        .select(request_provision_records::record_id)
        .load(conn)?;
    let ids: Vec<String> = provision_records::table
        .filter(provision_records::regime.eq(regime))
        .filter(provision_records::kept_until.lt(today))
        .filter(provision_records::id.ne_all(&waited_for))
        .select(provision_records::id)
        .limit(1000)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::delete(
        request_provision_records::table.filter(request_provision_records::record_id.eq_any(&ids)),
    )
    .execute(conn)?;
    diesel::delete(provision_records::table.filter(provision_records::id.eq_any(&ids)))
        .execute(conn)
}
