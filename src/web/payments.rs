//! Payments: entered by hand, imported from a bank statement (CSV or 全銀協), and matched to invoices;
//! the unmatched ones wait on the payments page for an officer, each with why it was not matched.

use crate::config::UploadKind;
use crate::domain::code::Code;
use crate::domain::ids::PaymentId;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{CheckedForm, Csrf, CsrfForm};
use super::error::{ApiError, PageError};
use super::outcome::{self, Back};
use super::session::{ApiStaff, Authorized, WorkRequests};
use super::{redirect, render, uploads};
use crate::app::fees::{self, ImportReport, RawPayment};
use crate::app::staff::StaffMember;
use crate::app::{AppError, AppState};
use crate::domain::FieldErrors;
use crate::domain::payment_match::{MatchReason, NameOf};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "pages/staff/payments.html")]
pub struct PaymentsPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub unmatched: Vec<fees::UnmatchedPayment>,
    pub report: Option<ImportReport>,
    pub input: RawPayment,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

impl PaymentsPage {
    pub fn fields(&self) -> Vec<(&'static str, &'static str, String)> {
        let i = &self.input;
        vec![
            ("invoice", "payments-invoice", i.invoice.clone()),
            ("paid_on", "payments-paid-on", i.paid_on.clone()),
            ("amount_yen", "payments-amount", i.amount_yen.clone()),
            ("payer_name", "payments-payer", i.payer_name.clone()),
            ("reference", "payments-reference", i.reference.clone()),
        ]
    }

    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }

    /// Why the statement's line was matched, or left, in the officer's words.
    pub fn why_line(&self, line: &usize) -> String {
        self.report
            .as_ref()
            .and_then(|r| r.reasons.iter().find(|(l, _)| l == line))
            .map(|(_, reason)| explain(self.tr, reason))
            .unwrap_or_default()
    }

    pub fn why(&self, reason: &Option<MatchReason>) -> String {
        reason
            .as_ref()
            .map(|r| explain(self.tr, r))
            .unwrap_or_default()
    }
}

/// A match reason as a sentence for the officer.
pub fn explain(tr: Tr, reason: &MatchReason) -> String {
    match reason {
        MatchReason::InvoiceNumber { number, quoted } => tr.t_args(
            "payment-why-invoice_number",
            &[("number", number.clone()), ("quoted", quoted.clone())],
        ),
        MatchReason::NameAndAmount { number, name } => tr.t_args(
            "payment-why-name_and_amount",
            &[
                ("number", number.clone()),
                ("name", tr.t(&format!("payment-name-{}", name_code(*name)))),
            ],
        ),
        MatchReason::NotOpen { quoted } => {
            tr.t_args("payment-why-not_open", &[("quoted", quoted.clone())])
        }
        MatchReason::Several { numbers } => {
            tr.t_args("payment-why-several", &[("numbers", numbers.join(", "))])
        }
        MatchReason::NameNotAmount {
            number,
            outstanding_yen,
        } => tr.t_args(
            "payment-why-name_not_amount",
            &[
                ("number", number.clone()),
                ("owed", tr.yen(*outstanding_yen)),
            ],
        ),
        MatchReason::Nothing => tr.t("payment-why-nothing"),
    }
}

fn name_code(n: NameOf) -> &'static str {
    match n {
        NameOf::RequesterKana => "requester_kana",
        NameOf::Requester => "requester",
        NameOf::AgentKana => "agent_kana",
        NameOf::Agent => "agent",
    }
}

/// What the page shows besides the unmatched payments: an import report, or a form coming back.
struct Shown {
    status: StatusCode,
    report: Option<ImportReport>,
    input: RawPayment,
    errors: FieldErrors,
    notice: Option<String>,
}

impl Shown {
    fn ok() -> Self {
        Shown {
            status: StatusCode::OK,
            report: None,
            input: RawPayment::default(),
            errors: FieldErrors::new(),
            notice: None,
        }
    }

    /// A form come back, with what was typed and the line above it.
    fn back(back: Back, notice: Option<String>, input: RawPayment) -> Self {
        Shown {
            status: back.status(),
            input,
            notice,
            errors: back.into_errors(),
            report: None,
        }
    }
}

async fn page(
    state: &AppState,
    staff: StaffMember,
    tr: Tr,
    csrf: &Csrf,
    shown: Shown,
) -> Result<HttpResponse, PageError> {
    let unmatched = fees::unmatched(state).await?;
    render(
        shown.status,
        &PaymentsPage {
            tr,
            csrf: csrf.token(),
            staff,
            unmatched,
            report: shown.report,
            input: shown.input,
            errors: shown.errors,
            notice: shown.notice,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct PaymentsQuery {
    done: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    q: web::Query<PaymentsQuery>,
) -> Result<HttpResponse, PageError> {
    let notice = q.done.as_ref().map(|_| tr.t("request-moved"));
    page(
        &state,
        who.staff,
        tr,
        &csrf,
        Shown {
            notice,
            ..Shown::ok()
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct PaymentForm {
    #[serde(flatten)]
    payment: RawPayment,
}

pub async fn record(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    CsrfForm { input, fresh, csrf }: CsrfForm<PaymentForm>,
) -> Result<HttpResponse, PageError> {
    let call = fees::record_payment(&state, &who.staff, input.payment.clone());
    match outcome::of(fresh, call).await? {
        Ok(_) => Ok(redirect("/staff/payments?done=1")),
        Err(back) => {
            let notice = back.expiry_notice(tr);
            let shown = Shown::back(back, notice, input.payment);
            page(&state, who.staff, tr, &csrf, shown).await
        }
    }
}

/// A bank statement uploaded from the payments page; its report (or its problems) on the same page.
pub async fn import(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    payload: Multipart,
) -> Result<HttpResponse, PageError> {
    let upload = uploads::read(payload, 5 * 1024 * 1024, &csrf).await?;
    let fresh = upload.fresh;
    let call = async {
        let Some(file) = upload.file else {
            return Err(AppError::invalid("file", "bad_statement"));
        };
        fees::import_statement(&state, &who.staff, file).await
    };
    let shown = match outcome::of(fresh, call).await? {
        Ok(report) => Shown {
            report: Some(report),
            ..Shown::ok()
        },
        Err(back) => {
            let notice = if back.is_expired() {
                tr.t("form-expired")
            } else {
                tr.field_error("bad_statement")
            };
            Shown::back(back, Some(notice), RawPayment::default())
        }
    };
    page(&state, who.staff, tr, &csrf, shown).await
}

#[derive(Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    invoice: String,
}

pub async fn assign(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    id: web::Path<PaymentId>,
    csrf: Csrf,
    CheckedForm(form): CheckedForm<AssignForm>,
) -> Result<HttpResponse, PageError> {
    let call = fees::assign_payment(&state, &who.staff, id.into_inner(), form.invoice);
    match outcome::of(true, call).await? {
        Ok(_) => Ok(redirect("/staff/payments?done=1")),
        Err(back) => {
            let notice = Some(tr.field_error("unknown_invoice"));
            let shown = Shown::back(back, notice, RawPayment::default());
            page(&state, who.staff, tr, &csrf, shown).await
        }
    }
}

/// A payment an officer enters by hand.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentBody {
    /// The invoice's number, as the invoice shows it.
    #[schema(min_length = 1, example = "INV-KJ-20260105-00000001")]
    invoice: String,
    /// The day the money arrived: `YYYY-MM-DD` (`YYYY/MM/DD` is read too).
    #[schema(format = Date, example = "2026-01-20")]
    paid_on: String,
    /// Whole yen received, from 1 to 100,000,000: a number, or text as a statement writes it
    /// (`1,000`, `¥1,000`, `1000円`, full-width digits).
    #[schema(schema_with = amount_yen_schema)]
    amount_yen: serde_json::Value,
    /// The payer's name as the bank shows it.
    #[schema(min_length = 1, example = "ﾀﾅｶ ﾀﾛｳ")]
    payer_name: String,
    /// The transfer's reference; longer than 200 characters it is cut.
    #[serde(default)]
    #[schema(example = "2026010500000001")]
    reference: String,
}

/// `amount_yen`: whole yen as a number, or as text a statement would hold.
fn amount_yen_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(crate::domain::fees::MAX_PAYMENT_YEN as usize)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(r"^[0-9０-９,，¥￥円 　\\]*[0-9０-９][0-9０-９,，¥￥円 　\\]*$")),
        )
        .description(Some(
            "Whole yen received, from 1 to 100,000,000: a number, or text as a statement writes it (`1,000`, `¥1,000`, `1000円`, full-width digits)",
        ))
        .examples([serde_json::json!(1000)])
        .into()
}

#[utoipa::path(
    post, path = "/api/v1/payments", tag = "fees",
    operation_id = "recordPayment",
    description = "Record a payment against an invoice; the invoice paid in full marks the request's fee as paid, a short payment sends the requester a notice of the shortfall, money for a request already ended is kept for refund; audited (`payment.recorded`)",
    request_body(
        content = PaymentBody,
        description = "The payment",
        example = json!({"invoice": "INV-KJ-20260105-00000001", "paid_on": "2026-01-20", "amount_yen": 1000, "payer_name": "ﾀﾅｶ ﾀﾛｳ", "reference": "2026010500000001"})
    ),
    responses(
        (status = 201, description = "Recorded: what it did to the invoice", body = fees::Settlement, example = json!({
            "invoice": "INV-KJ-20260105-00000001", "balance": {"amount_yen": 1000, "paid_yen": 1000},
            "shortfall_yen": 0, "overpaid_yen": 0, "paid": true, "request_closed": false
        })),
        (status = 422, description = "`validation_failed`: `invoice` `required` or `unknown_invoice` (no invoice has this number); `paid_on` `required` or `invalid_date`; `amount_yen` `required` or `invalid_amount`; `payer_name` `required`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn record_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    body: super::body::ApiJson<PaymentBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let b = body.into_inner();
    let raw = RawPayment {
        invoice: b.invoice,
        paid_on: b.paid_on,
        amount_yen: match b.amount_yen {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        },
        payer_name: b.payer_name,
        reference: b.reference,
    };
    let s = fees::record_payment(&state, &who.staff, raw).await?;
    Ok(HttpResponse::Created().json(s))
}

/// A bank statement as CSV in the request body.
#[utoipa::path(
    post, path = "/api/v1/payments/import", tag = "fees",
    operation_id = "importPayments",
    description = "Import a bank statement: the 全銀協 (Zengin) fixed-length format (振込入金通知 or 入出金取引明細), or CSV (UTF-8 or Shift_JIS; header naming date, amount, payer and reference). Each new line becomes a payment, matched to an open invoice where it can be; lines imported before are skipped (`duplicates`); all or nothing. Every new line reports why it was matched or left (`reasons`). The body is read as bytes, whatever its content type.",
    request_body(
        description = "The statement file as the bank gives it",
        content(
            (String = "text/csv", example = json!("日付,金額,振込依頼人,摘要\n2026-01-20,1000,ﾀﾅｶ ﾀﾛｳ,2026010500000001\n")),
            (String = "text/plain", example = json!("日付,金額,振込依頼人,摘要\n2026-01-20,1000,ﾀﾅｶ ﾀﾛｳ,2026010500000001\n"))
        )
    ),
    responses(
        (status = 200, description = "Imported: what each line did", body = fees::ImportReport, example = json!({
            "matched": [[2, {"invoice": "INV-KJ-20260105-00000001", "balance": {"amount_yen": 1000, "paid_yen": 1000}, "shortfall_yen": 0, "overpaid_yen": 0, "paid": true, "request_closed": false}, "invoice_number"]],
            "unmatched": [3],
            "duplicates": [],
            "problems": [{"line": 4, "reason": "amount `1,0a0` is not a positive number of yen"}],
            "reasons": [[2, {"reason": "invoice_number", "number": "INV-KJ-20260105-00000001", "quoted": "2026010500000001"}], [3, {"reason": "nothing"}]]
        })),
        (status = 413, description = "`payload_too_large`: the file is larger than the statement limit (`KAIJI_STATEMENT_MAX_BYTES`)", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `file` `bad_statement` (neither a Zengin file nor a CSV with the columns named; or an encoding other than UTF-8 and Shift_JIS)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn import_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let limit = state.config.http.upload_limit(UploadKind::Statement);
    let body = super::uploads::body(payload, limit).await?;
    let report = fees::import_statement(&state, &who.staff, body).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The invoice an unmatched payment is for.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// The invoice's number.
    #[schema(min_length = 1, example = "INV-KJ-20260105-00000001")]
    invoice: String,
}

#[utoipa::path(
    post, path = "/api/v1/payments/{id}/assign", tag = "fees",
    operation_id = "assignPayment",
    description = "Assign an unmatched payment to an invoice, settling it as a payment recorded against it would; audited (`payment.recorded`)",
    params(("id" = String, Path, description = "The unmatched payment's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = AssignBody,
        description = "The invoice",
        example = json!({"invoice": "INV-KJ-20260105-00000001"})
    ),
    responses(
        (status = 200, description = "Assigned: what it did to the invoice", body = fees::Settlement, example = json!({
            "invoice": "INV-KJ-20260105-00000001", "balance": {"amount_yen": 1000, "paid_yen": 700},
            "shortfall_yen": 300, "overpaid_yen": 0, "paid": false, "request_closed": false
        })),
        (status = 404, description = "`not_found`: no payment has this id", body = super::error::ErrorBody),
        (status = 409, description = "`payment_already_matched`: the payment is already assigned to an invoice", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `invoice` `unknown_invoice` (no invoice has this number)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn assign_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    id: web::Path<PaymentId>,
    body: super::body::ApiJson<AssignBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let s = fees::assign_payment(
        &state,
        &who.staff,
        id.into_inner(),
        body.into_inner().invoice,
    )
    .await?;
    Ok(HttpResponse::Ok().json(s))
}

#[utoipa::path(
    get, path = "/api/v1/payments/unmatched", tag = "fees",
    operation_id = "listUnmatchedPayments",
    description = "Payments no invoice claims yet, each with why it was not matched (imported ones)",
    responses(
        (status = 200, description = "The unmatched payments", body = Vec<fees::UnmatchedPayment>, example = json!([{
            "id": "0197a3c2-6c3d-7a01-9b2c-3d4e5f6a7b8c", "paid_on": "2026-01-21", "amount_yen": 700,
            "payer_name": "ﾀﾅｶ ﾀﾛｳ", "reference": "",
            "why": {"reason": "name_not_amount", "number": "INV-KJ-20260105-00000001", "outstanding_yen": 1000}
        }])),
    ),
    security(("bearer" = []))
)]
pub async fn unmatched_api(
    state: web::Data<AppState>,
    _who: ApiStaff<WorkRequests>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(fees::unmatched(&state).await?))
}
