//! Fee invoices and payments for the postal procedure: invoices issued by the workflow, payments recorded
//! one by one or imported from a bank statement, matched to invoices, and the request told when its fee is
//! paid (short payments get a notice, overpayments are shown for refund).

use crate::config::UploadKind;
use crate::domain::ids::{InvoiceId, PaymentId, RequestId};
use std::collections::BTreeMap;

use chrono::{DateTime, Days, Utc};
use serde::Serialize;
use serde_json::json;

use super::cases::{Case, stored_date, today_in};
use super::notices::queue_notices;
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::config::Config;
use crate::db::fees::{self as repo, InvoiceRow, PaymentRow};
use crate::db::{self, AnyConnection, audit, postal};
use crate::domain::FieldErrors;
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::fees::{
    Balance, InvoiceStatus, PaymentSource, StatementProblem, invoice_number, parse_yen,
};
use crate::domain::notice::{InvoiceNotice, NoticeKind, NoticePayload};
use crate::domain::payment_match::{MatchReason, MatchedBy, NameOf, OpenInvoice, match_payment};
use crate::domain::postal::parse_date;
use crate::domain::statements::read_statement;
use crate::domain::workflow::Fact;

/// Carries out the `issue_invoice` effect inside the transition's transaction.
pub(crate) fn issue_invoice(
    conn: &mut AnyConnection,
    config: &Config,
    case: &Case,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<InvoiceRow, AppError> {
    if config.intake.bank_account.is_none() {
        return Err(AppError::NotConfigured("KAIJI_BANK_ACCOUNT"));
    }
    let fee = case
        .def
        .fee
        .as_ref()
        .ok_or(AppError::Definition("issue_invoice without a fee".into()))?;
    if !case.def.fee_applies(&case.request_type) {
        return Err(AppError::Definition(format!(
            "issue_invoice on a {} request, which carries no fee",
            case.request_type.as_str()
        )));
    }
    let services = match postal::find(conn, &case.row.id)? {
        Some(p) => serde_json::from_str::<Vec<String>>(&p.services)
            .map(|s| s.len())
            .unwrap_or(1),
        None => 1,
    };
    let fees = fee
        .amount_for(services)
        .ok_or(AppError::Definition("fee overflows".into()))?;
    let issued_on = today_in(&case.def, now);
    // The consumption tax of the invoice's day, once per invoice; stated when the company issues
    // qualified invoices (a tax-exclusive fee is charged with its tax either way).
    let tax = match &fee.tax {
        None => None,
        Some(t) => {
            let rate = crate::domain::tax::rate_on(&t.rates, issued_on).ok_or_else(|| {
                AppError::Definition(format!(
                    "no consumption tax rate in {} on {issued_on}",
                    t.place
                ))
            })?;
            Some(
                crate::domain::tax::invoice_tax(fees, rate, t.included)
                    .ok_or(AppError::Definition("fee overflows".into()))?,
            )
        }
    };
    let amount = tax.map_or(fees, |t| t.total_yen);
    let registration_number = config.intake.invoice_registration_number.clone();
    let stated = tax.filter(|_| registration_number.is_some());
    let due_on = issued_on
        .checked_add_days(Days::new(u64::from(fee.due_days)))
        .unwrap_or(issued_on);
    let row = InvoiceRow {
        id: db::new_id().into(),
        request_id: case.row.id.clone(),
        number: invoice_number(&case.row.receipt_number),
        unit_yen: fee.amount_yen,
        // Charged per request, one "service" is what the invoice shows.
        services: if fee.per == "service" {
            i64::try_from(services.max(1)).unwrap_or(1)
        } else {
            1
        },
        amount_yen: amount,
        issued_on: issued_on.to_string(),
        due_on: due_on.to_string(),
        status: InvoiceStatus::Unpaid,
        created_by: actor.id().unwrap_or_default(),
        created_at: db::to_db_time(now),
        tax_rate_percent: stated.map(|t| i64::from(t.rate_percent)),
        tax_yen: stated.map(|t| t.tax_yen),
        registration_number: registration_number.filter(|_| stated.is_some()),
    };
    if repo::find_invoice_by_number(conn, &row.number)?.is_some() {
        return Err(AppError::Conflict);
    }
    repo::insert_invoice(conn, &row)?;
    audit::append(
        conn,
        &NewAuditEvent::new(AuditAction::InvoiceIssued, actor.clone(), now)
            .for_request(&case.row.id)
            .details(json!({"invoice": row.number, "amount_yen": amount, "services": services, "due_on": row.due_on})),
    )?;
    Ok(row)
}

/// What a payment did to its invoice.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Settlement {
    pub invoice: String,
    pub balance: Balance,
    pub shortfall_yen: i64,
    pub overpaid_yen: i64,
    pub paid: bool,
    /// The request had already ended (refused, say): the money is recorded for refund and changes
    /// nothing else.
    pub request_closed: bool,
}

/// Records a matched payment's effect: the invoice paid in full marks the request's fee as paid; a short
/// payment queues the "payment short" notice with the shortfall.
fn settle(
    conn: &mut AnyConnection,
    state: &super::workflows::WorkflowCatalog,
    invoice: &InvoiceRow,
    payment: &PaymentRow,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Settlement, AppError> {
    repo::lock_invoice(conn, &invoice.id)?;
    let balance = Balance {
        amount_yen: invoice.amount_yen,
        paid_yen: repo::paid_total(conn, &invoice.id)?,
    };
    let mut case = Case::load(conn, state, &invoice.request_id)?;
    let request_closed = case.state_label().1;
    if request_closed {
        // Nothing to settle on an ended request; the payment stays on record, to be refunded.
    } else if balance.is_paid() {
        if repo::mark_paid(conn, &invoice.id)? {
            case.facts.insert(Fact::FeePaid);
            case.save_facts(conn, now)?;
        }
    } else {
        queue_notices(
            conn,
            &case.row.id,
            case.row.subject_email.is_some(),
            case.language,
            [NoticeKind::PaymentShort],
            &NoticePayload {
                invoice: Some(InvoiceNotice {
                    number: invoice.number.clone(),
                    amount_yen: invoice.amount_yen,
                    due_on: stored_date(&invoice.due_on)?,
                    unit_yen: None,
                    services: None,
                    issued_on: None,
                    bank_account: None,
                    registration_number: None,
                    tax_rate_percent: None,
                    tax_yen: None,
                }),
                paid_yen: Some(balance.paid_yen),
                shortfall_yen: Some(balance.shortfall_yen()),
                ..NoticePayload::default()
            },
            now,
        )?;
    }
    audit::append(
        conn,
        &NewAuditEvent::new(AuditAction::PaymentRecorded, actor.clone(), now)
            .for_request(&invoice.request_id)
            .details(json!({
                "payment_id": payment.id,
                "invoice": invoice.number,
                "amount_yen": payment.amount_yen,
                "matched_by": payment.matched_by,
                "paid_yen": balance.paid_yen,
                "shortfall_yen": balance.shortfall_yen(),
                "overpaid_yen": balance.overpaid_yen(),
                "request_closed": request_closed,
            })),
    )?;
    Ok(Settlement {
        invoice: invoice.number.clone(),
        shortfall_yen: balance.shortfall_yen(),
        overpaid_yen: balance.overpaid_yen(),
        paid: balance.is_paid(),
        request_closed,
        balance,
    })
}

/// A payment an officer enters by hand, against an invoice number.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawPayment {
    pub invoice: String,
    pub paid_on: String,
    pub amount_yen: String,
    pub payer_name: String,
    pub reference: String,
}

pub async fn record_payment(
    state: &AppState,
    staff: &StaffMember,
    raw: RawPayment,
) -> Result<Settlement, AppError> {
    let mut errors = FieldErrors::new();
    let paid_on = errors.check("paid_on", parse_date(&raw.paid_on));
    let amount = errors.check(
        "amount_yen",
        parse_yen(&raw.amount_yen).and_then(|a| if a > 0 { Ok(a) } else { Err("invalid_amount") }),
    );
    let payer = raw.payer_name.trim().to_owned();
    if payer.is_empty() {
        errors.push("payer_name", "required");
    }
    if raw.invoice.trim().is_empty() {
        errors.push("invoice", "required");
    }
    let (Some(paid_on), Some(amount)) = (paid_on, amount) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    let staff_id = staff.id.clone();
    state
        .db
        .write(move |conn| {
            let Some(invoice) = repo::find_invoice_by_number(conn, raw.invoice.trim())? else {
                return Err(AppError::invalid("invoice", "unknown_invoice"));
            };
            let payment = PaymentRow {
                id: db::new_id().into(),
                invoice_id: Some(invoice.id.to_string()),
                paid_on: paid_on.to_string(),
                amount_yen: amount,
                payer_name: payer.clone(),
                reference: raw.reference.trim().chars().take(200).collect(),
                source: PaymentSource::Manual,
                matched_by: Some(MatchedBy::Officer),
                recorded_by: staff_id.to_string(),
                created_at: db::to_db_time(now),
                match_reason: None,
            };
            repo::insert_payment(conn, &payment)?;
            settle(conn, &catalog, &invoice, &payment, &actor, now)
        })
        .await
}

/// What importing a bank statement did, line by line.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Each line matched to an invoice: `[line, settlement, matched_by]`, `matched_by` being
    /// `invoice_number` or `payer_and_amount`.
    pub matched: Vec<(usize, Settlement, MatchedBy)>,
    /// The lines recorded without an invoice: they wait for an officer.
    pub unmatched: Vec<usize>,
    /// The lines imported before, recorded nothing.
    pub duplicates: Vec<usize>,
    pub problems: Vec<StatementProblem>,
    /// Why each new line was matched, or left for an officer: `[line, reason]`.
    pub reasons: Vec<(usize, MatchReason)>,
}

/// Imports a bank-statement CSV: each line becomes a payment, matched to an invoice where it can be; the
/// rest wait for an officer. Lines already imported are skipped. All or nothing.
pub async fn import_statement(
    state: &AppState,
    staff: &StaffMember,
    file: Vec<u8>,
) -> Result<ImportReport, AppError> {
    if file.len() as u64 > state.config.http.upload_limit(UploadKind::Statement) {
        return Err(AppError::invalid("file", "file_too_large"));
    }
    // Japanese banks date their statements in Tokyo.
    let today = state
        .clock
        .now()
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .date_naive();
    let (lines, problems) =
        read_statement(&file, today).map_err(|_| AppError::invalid("file", "bad_statement"))?;
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    let staff_id = staff.id.clone();
    state
        .db
        .write(move |conn| {
                let mut report = ImportReport {
                    problems,
                    ..ImportReport::default()
                };
                // A statement imported again records nothing twice, yet two identical transfers on one
                // statement are two payments: the k-th identical line is new only if fewer than k such
                // payments were on record before this import.
                let mut on_record: BTreeMap<LineKey, (i64, i64)> = BTreeMap::new();
                for line in &lines {
                    let key = LineKey::of(line);
                    if let std::collections::btree_map::Entry::Vacant(e) = on_record.entry(key) {
                        e.insert((imported_count(conn, line)?, 0));
                    }
                }
                // The open invoices, read once and kept current as lines settle them.
                let mut open = Vec::new();
                for row in repo::open_invoices(conn)? {
                    let paid = repo::paid_total(conn, &row.invoice.id)?;
                    let names = [
                        (NameOf::RequesterKana, row.subject_name_kana),
                        (NameOf::Requester, Some(row.subject_name)),
                        (NameOf::AgentKana, row.agent_name_kana),
                        (NameOf::Agent, row.agent_name),
                    ];
                    open.push(OpenInvoice {
                        outstanding_yen: row.invoice.amount_yen.saturating_sub(paid),
                        id: row.invoice.id.into_string(),
                        number: row.invoice.number,
                        names: names
                            .into_iter()
                            .filter_map(|(whose, n)| n.map(|n| (whose, n)))
                            .collect(),
                    });
                }
                for line in &lines {
                    let seen = on_record.get_mut(&LineKey::of(line)).ok_or(AppError::NotFound)?;
                    seen.1 += 1;
                    if seen.1 <= seen.0 {
                        report.duplicates.push(line.line);
                        continue;
                    }
                    let m = match_payment(&line.payer_name, &line.reference, line.amount_yen, &open);
                    let matched_by = m.reason.matched_by();
                    let invoice_id = m.invoice_id.clone();
                    report.reasons.push((line.line, m.reason.clone()));
                    let payment = PaymentRow {
                        id: db::new_id().into(),
                        invoice_id: invoice_id.clone(),
                        paid_on: line.paid_on.to_string(),
                        amount_yen: line.amount_yen,
                        payer_name: line.payer_name.clone(),
                        reference: line.reference.clone(),
                        source: PaymentSource::BankStatement,
                        matched_by,
                        recorded_by: staff_id.to_string(),
                        created_at: db::to_db_time(now),
                        match_reason: serde_json::to_string(&m.reason).ok(),
                    };
                    repo::insert_payment(conn, &payment)?;
                    match (invoice_id, matched_by) {
                        (Some(id), Some(by)) => {
                            let invoice = repo::find_invoice(conn, &InvoiceId::new(id.as_str()))?.ok_or(AppError::NotFound)?;
                            let s = settle(conn, &catalog, &invoice, &payment, &actor, now)?;
                            if s.paid {
                                open.retain(|o| o.id != id);
                            } else if let Some(o) = open.iter_mut().find(|o| o.id == id) {
                                o.outstanding_yen = s.shortfall_yen;
                            }
                            report.matched.push((line.line, s, by));
                        }
                        _ => {
                            audit::append(
                                conn,
                                &NewAuditEvent::new(AuditAction::PaymentRecorded, actor.clone(), now)
                                    .details(json!({"payment_id": payment.id, "amount_yen": payment.amount_yen, "matched_by": null})),
                            )?;
                            report.unmatched.push(line.line);
                        }
                    }
                }
                Ok(report)
            })
        .await
}

/// What makes two statement lines the same transfer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct LineKey(String, i64, String, String);

impl LineKey {
    fn of(line: &crate::domain::fees::StatementLine) -> Self {
        LineKey(
            line.paid_on.to_string(),
            line.amount_yen,
            line.payer_name.clone(),
            line.reference.clone(),
        )
    }
}

fn imported_count(
    conn: &mut AnyConnection,
    line: &crate::domain::fees::StatementLine,
) -> Result<i64, AppError> {
    use crate::db::schema::payments::dsl as p;
    use diesel::prelude::*;
    let n: i64 = p::payments
        .filter(p::source.eq("bank_statement"))
        .filter(p::paid_on.eq(line.paid_on.to_string()))
        .filter(p::amount_yen.eq(line.amount_yen))
        .filter(p::payer_name.eq(&line.payer_name))
        .filter(p::reference.eq(&line.reference))
        .count()
        .get_result(conn)?;
    Ok(n)
}

/// An officer attaches an unmatched payment to an invoice.
pub async fn assign_payment(
    state: &AppState,
    staff: &StaffMember,
    payment_id: PaymentId,
    invoice: String,
) -> Result<Settlement, AppError> {
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let Some(inv) = repo::find_invoice_by_number(conn, invoice.trim())? else {
                return Err(AppError::invalid("invoice", "unknown_invoice"));
            };
            let payment = repo::find_payment(conn, &payment_id)?.ok_or(AppError::NotFound)?;
            if !repo::assign_payment(conn, &payment.id, &inv.id)? {
                return Err(AppError::PaymentAlreadyMatched);
            }
            let payment = repo::find_payment(conn, &payment_id)?.ok_or(AppError::NotFound)?;
            settle(conn, &catalog, &inv, &payment, &actor, now)
        })
        .await
}

/// An invoice with its payments and balance, for pages and the API.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvoiceView {
    pub number: String,
    /// A qualified invoice's registration number, tax rate and the tax within `amount_yen`.
    pub registration_number: Option<String>,
    pub tax_rate_percent: Option<i64>,
    pub tax_yen: Option<i64>,
    pub unit_yen: i64,
    pub services: i64,
    pub amount_yen: i64,
    #[schema(format = Date)]
    pub issued_on: String,
    #[schema(format = Date)]
    pub due_on: String,
    pub status: InvoiceStatus,
    pub paid_yen: i64,
    pub shortfall_yen: i64,
    pub overpaid_yen: i64,
    pub payments: Vec<PaymentView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    #[schema(format = Date)]
    pub paid_on: String,
    pub amount_yen: i64,
    pub matched_by: Option<MatchedBy>,
    pub source: PaymentSource,
    pub match_reason: Option<MatchReason>,
}

/// A stored reason, if it still reads (a reason kaiji no longer knows is shown as none).
fn reason_of(stored: Option<&str>) -> Option<MatchReason> {
    stored.and_then(|r| serde_json::from_str(r).ok())
}

pub(crate) fn invoice_views(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<Vec<InvoiceView>, AppError> {
    let mut out = Vec::new();
    for inv in repo::invoices_for_request(conn, request_id)? {
        let payments = repo::payments_for_invoice(conn, &inv.id)?;
        let balance = Balance {
            amount_yen: inv.amount_yen,
            paid_yen: payments.iter().map(|p| p.amount_yen).sum(),
        };
        out.push(InvoiceView {
            shortfall_yen: balance.shortfall_yen(),
            overpaid_yen: balance.overpaid_yen(),
            paid_yen: balance.paid_yen,
            payments: payments
                .into_iter()
                .map(|p| PaymentView {
                    match_reason: reason_of(p.match_reason.as_deref()),
                    paid_on: p.paid_on,
                    amount_yen: p.amount_yen,
                    matched_by: p.matched_by,
                    source: p.source,
                })
                .collect(),
            number: inv.number,
            registration_number: inv.registration_number,
            tax_rate_percent: inv.tax_rate_percent,
            tax_yen: inv.tax_yen,
            unit_yen: inv.unit_yen,
            services: inv.services,
            amount_yen: inv.amount_yen,
            issued_on: inv.issued_on,
            due_on: inv.due_on,
            status: inv.status,
        });
    }
    Ok(out)
}

/// Payments no invoice claims yet.
/// A payment no invoice claims yet, as the payments page and the API show it.
#[derive(Clone, Serialize, utoipa::ToSchema)]
pub struct UnmatchedPayment {
    pub id: String,
    #[schema(format = Date)]
    pub paid_on: String,
    pub amount_yen: i64,
    pub payer_name: String,
    pub reference: String,
    /// Why no invoice was matched (imported payments).
    pub why: Option<MatchReason>,
}

/// Payers' names never reach a log through `Debug`.
impl std::fmt::Debug for UnmatchedPayment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnmatchedPayment")
            .field("id", &self.id)
            .field("amount_yen", &self.amount_yen)
            .finish_non_exhaustive()
    }
}

impl From<PaymentRow> for UnmatchedPayment {
    fn from(p: PaymentRow) -> Self {
        UnmatchedPayment {
            why: reason_of(p.match_reason.as_deref()),
            id: p.id.to_string(),
            paid_on: p.paid_on,
            amount_yen: p.amount_yen,
            payer_name: p.payer_name,
            reference: p.reference,
        }
    }
}

pub async fn unmatched(state: &AppState) -> Result<Vec<UnmatchedPayment>, AppError> {
    state
        .db
        .run(move |conn| {
            Ok(repo::unmatched_payments(conn)?
                .into_iter()
                .map(UnmatchedPayment::from)
                .collect())
        })
        .await
}
