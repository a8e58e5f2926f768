//! Payments: entered by hand, imported from a bank statement (CSV or 全銀協), and matched to invoices;
//! the unmatched ones wait on the payments page for an officer, each with why it was not matched.

use crate::config::UploadKind;
use crate::domain::ids::PaymentId;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{CheckedForm, Csrf, CsrfForm};
use super::error::{ApiError, PageError};
use super::session::{ApiStaff, Authorized, WorkRequests};
use super::{outcome, redirect, render, uploads};
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
            let shown = Shown {
                status: back.status(),
                input: input.payment,
                notice: back.is_expired().then(|| tr.t("form-expired")),
                errors: back.into_errors(),
                ..Shown::ok()
            };
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
        Err(back) => Shown {
            status: back.status(),
            notice: Some(if back.is_expired() {
                tr.t("form-expired")
            } else {
                tr.field_error("bad_statement")
            }),
            errors: back.into_errors(),
            ..Shown::ok()
        },
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
            let shown = Shown {
                status: back.status(),
                errors: back.into_errors(),
                notice: Some(tr.field_error("unknown_invoice")),
                ..Shown::ok()
            };
            page(&state, who.staff, tr, &csrf, shown).await
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentBody {
    invoice: String,
    paid_on: String,
    amount_yen: serde_json::Value,
    payer_name: String,
    #[serde(default)]
    reference: String,
}

#[utoipa::path(
    post, path = "/api/v1/payments", tag = "fees",
    description = "Record a payment against an invoice: `{\"invoice\", \"paid_on\", \"amount_yen\", \"payer_name\", \"reference\"?}`",
    request_body(content = Object),
    responses((status = 201, body = Object), (status = "4XX", body = super::error::ErrorBody)),
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
    description = "Import a bank statement: the 全銀協 (Zengin) fixed-length format (振込入金通知 or 入出金取引明細), or CSV (UTF-8 or Shift_JIS; header naming date, amount, payer and reference). Every new line reports why it was matched or left (`reasons`).",
    request_body(content = String),
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    invoice: String,
}

#[utoipa::path(
    post, path = "/api/v1/payments/{id}/assign", tag = "fees",
    description = "Assign an unmatched payment to an invoice: `{\"invoice\"}`",
    params(("id" = String, Path)),
    request_body(content = Object),
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
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
    description = "Payments no invoice claims yet",
    responses((status = 200, body = Object), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn unmatched_api(
    state: web::Data<AppState>,
    _who: ApiStaff<WorkRequests>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(fees::unmatched(&state).await?))
}
