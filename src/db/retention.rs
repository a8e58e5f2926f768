//! Erasing a closed request's personal data when its record's retention ends: what reports and the
//! audit chain need stays (ids, dates, types, states, digests); names, addresses, messages, notes,
//! notice contents and recorded changes go.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{
    data_changes, identity_documents, invoices, notices, payments, postal_details, request_notes,
    request_on_behalf, requests,
};

/// Requests closed before `closed_before` whose personal data is still held.
pub fn due(
    conn: &mut AnyConnection,
    closed_before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    requests::table
        .filter(requests::closed_at.lt(closed_before))
        .filter(requests::personal_data_purged_at.is_null())
        .filter(requests::legal_hold_since.is_null())
        .order(requests::closed_at.asc())
        .limit(limit)
        .select(requests::id)
        .load(conn)
}

/// Erases one request's personal data (inside the caller's transaction).
pub fn erase(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(requests::table.filter(requests::id.eq(id)))
        .set((
            requests::subject_name.eq(""),
            requests::subject_email.eq(None::<String>),
            requests::message.eq(""),
            requests::personal_data_purged_at.eq(now),
        ))
        .execute(conn)?;
    diesel::update(request_on_behalf::table.filter(request_on_behalf::request_id.eq(id)))
        .set((
            request_on_behalf::person_name.eq(""),
            request_on_behalf::person_email.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::update(request_notes::table.filter(request_notes::request_id.eq(id)))
        .set(request_notes::body.eq(""))
        .execute(conn)?;
    diesel::update(notices::table.filter(notices::request_id.eq(id)))
        .set((
            notices::payload.eq("{}"),
            notices::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::update(data_changes::table.filter(data_changes::request_id.eq(id)))
        .set((
            data_changes::item.eq(""),
            data_changes::prior_value.eq(None::<String>),
            data_changes::new_value.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::update(postal_details::table.filter(postal_details::request_id.eq(id)))
        .set((
            postal_details::postal_address.eq(""),
            postal_details::agent_name.eq(None::<String>),
            postal_details::subject_name_kana.eq(None::<String>),
            postal_details::agent_name_kana.eq(None::<String>),
            postal_details::agent_address.eq(None::<String>),
        ))
        .execute(conn)?;
    // An officer's reason for rejecting a document may describe it.
    diesel::update(identity_documents::table.filter(identity_documents::request_id.eq(id)))
        .set(identity_documents::rejected_reason.eq(None::<String>))
        .execute(conn)?;
    // Who paid the request's fee, and what they wrote with the transfer, are the payer's data too; the
    // amounts and dates stay for the accounts.
    let its_invoices = invoices::table
        .filter(invoices::request_id.eq(id))
        .select(invoices::id);
    diesel::update(payments::table.filter(payments::invoice_id.eq_any(its_invoices.nullable())))
        .set((payments::payer_name.eq(""), payments::reference.eq("")))
        .execute(conn)?;
    Ok(())
}
