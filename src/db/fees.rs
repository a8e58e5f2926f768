//! Invoices and payments, in integer yen.

use crate::domain::fees::{InvoiceStatus, PaymentSource};
use crate::domain::ids::{InvoiceId, PaymentId, RequestId};
use crate::domain::payment_match::MatchedBy;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::AnyConnection;
use super::schema::{invoices, payments, postal_details, requests};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = invoices)]
pub struct InvoiceRow {
    pub id: InvoiceId,
    pub request_id: RequestId,
    pub number: String,
    pub unit_yen: i64,
    pub services: i64,
    pub amount_yen: i64,
    pub issued_on: String,
    pub due_on: String,
    pub status: InvoiceStatus,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    /// A qualified invoice's consumption tax: the rate of its day and the tax its total contains.
    pub tax_rate_percent: Option<i64>,
    pub tax_yen: Option<i64>,
    /// The issuer's registration number, as printed on it.
    pub registration_number: Option<String>,
}

#[derive(Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments)]
pub struct PaymentRow {
    pub id: PaymentId,
    pub invoice_id: Option<String>,
    pub paid_on: String,
    pub amount_yen: i64,
    pub payer_name: String,
    pub reference: String,
    pub source: PaymentSource,
    pub matched_by: Option<MatchedBy>,
    pub recorded_by: String,
    pub created_at: NaiveDateTime,
    /// Why it was matched, or left for an officer (`payment_match::MatchReason` as JSON).
    pub match_reason: Option<String>,
}

/// Payers' names never reach a log through `Debug`.
impl std::fmt::Debug for PaymentRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentRow")
            .field("id", &self.id)
            .field("invoice_id", &self.invoice_id)
            .field("amount_yen", &self.amount_yen)
            .finish_non_exhaustive()
    }
}

pub fn insert_invoice(conn: &mut AnyConnection, row: &InvoiceRow) -> QueryResult<()> {
    diesel::insert_into(invoices::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn invoices_for_request(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<InvoiceRow>> {
    invoices::table
        .filter(invoices::request_id.eq(request_id))
        .order(invoices::created_at.asc())
        .select(InvoiceRow::as_select())
        .load(conn)
}

pub fn find_invoice_by_number(
    conn: &mut AnyConnection,
    number: &str,
) -> QueryResult<Option<InvoiceRow>> {
    invoices::table
        .filter(invoices::number.eq(number))
        .select(InvoiceRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_invoice(conn: &mut AnyConnection, id: &InvoiceId) -> QueryResult<Option<InvoiceRow>> {
    invoices::table
        .find(id)
        .select(InvoiceRow::as_select())
        .first(conn)
        .optional()
}

/// An unpaid invoice and the names a transfer for it may come under.
pub struct OpenInvoiceRow {
    pub invoice: InvoiceRow,
    pub subject_name: String,
    pub subject_name_kana: Option<String>,
    pub agent_name: Option<String>,
    pub agent_name_kana: Option<String>,
}

/// Unpaid invoices of requests still open: a closed request's invoice takes no more payments by matching.
pub fn open_invoices(conn: &mut AnyConnection) -> QueryResult<Vec<OpenInvoiceRow>> {
    // The invoice, the requester's name and kana, the agent's name and kana.
    type Row = (
        InvoiceRow,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = invoices::table
        .inner_join(requests::table.left_join(postal_details::table))
        .filter(invoices::status.eq(InvoiceStatus::Unpaid))
        .filter(requests::closed_at.is_null())
        .select((
            InvoiceRow::as_select(),
            requests::subject_name,
            postal_details::subject_name_kana.nullable(),
            postal_details::agent_name.nullable(),
            postal_details::agent_name_kana.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(invoice, subject_name, subject_name_kana, agent_name, agent_name_kana)| {
                OpenInvoiceRow {
                    invoice,
                    subject_name,
                    subject_name_kana,
                    agent_name,
                    agent_name_kana,
                }
            },
        )
        .collect())
}

/// Marks an unpaid invoice paid; false if it already was.
pub fn mark_paid(conn: &mut AnyConnection, id: &InvoiceId) -> QueryResult<bool> {
    let n = diesel::update(
        invoices::table
            .find(id)
            .filter(invoices::status.eq(InvoiceStatus::Unpaid)),
    )
    .set(invoices::status.eq(InvoiceStatus::Paid))
    .execute(conn)?;
    Ok(n == 1)
}

/// Takes the invoice's row lock (PostgreSQL; SQLite writers are already serialised), so two payments
/// settling the same invoice at once see each other's amounts.
pub fn lock_invoice(conn: &mut AnyConnection, id: &InvoiceId) -> QueryResult<()> {
    diesel::update(invoices::table.find(id))
        .set(invoices::status.eq(invoices::status))
        .execute(conn)
        .map(|_| ())
}

pub fn insert_payment(conn: &mut AnyConnection, row: &PaymentRow) -> QueryResult<()> {
    diesel::insert_into(payments::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn payments_for_invoice(
    conn: &mut AnyConnection,
    invoice_id: &InvoiceId,
) -> QueryResult<Vec<PaymentRow>> {
    payments::table
        .filter(payments::invoice_id.eq(invoice_id))
        .order(payments::created_at.asc())
        .select(PaymentRow::as_select())
        .load(conn)
}

pub fn paid_total(conn: &mut AnyConnection, invoice_id: &InvoiceId) -> QueryResult<i64> {
    Ok(payments_for_invoice(conn, invoice_id)?
        .iter()
        .fold(0i64, |sum, p| sum.saturating_add(p.amount_yen)))
}

pub fn unmatched_payments(conn: &mut AnyConnection) -> QueryResult<Vec<PaymentRow>> {
    payments::table
        .filter(payments::invoice_id.is_null())
        .order(payments::created_at.asc())
        .select(PaymentRow::as_select())
        .load(conn)
}

pub fn find_payment(conn: &mut AnyConnection, id: &PaymentId) -> QueryResult<Option<PaymentRow>> {
    payments::table
        .find(id)
        .select(PaymentRow::as_select())
        .first(conn)
        .optional()
}

/// Attaches an unmatched payment to an invoice; false if it was matched meanwhile.
pub fn assign_payment(
    conn: &mut AnyConnection,
    id: &PaymentId,
    invoice_id: &InvoiceId,
) -> QueryResult<bool> {
    let n = diesel::update(
        payments::table
            .filter(payments::id.eq(id))
            .filter(payments::invoice_id.is_null()),
    )
    .set((
        payments::invoice_id.eq(invoice_id),
        payments::matched_by.eq(MatchedBy::Officer),
    ))
    .execute(conn)?;
    Ok(n == 1)
}
