//! The register of provision to and receipt from third parties: its page (search, pages, a form to
//! enter a record), its API, and confirming a record as a request's person's from the request page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::csrf::{CheckedForm, Csrf, CsrfForm};
use super::error::{ApiError, PageError};
use super::session::{ApiStaff, Authorized, WorkRequests};
use super::{outcome, redirect, render};
use crate::app::provision::{self, RecordView, RegisterPage};
use crate::app::staff::StaffMember;
use crate::app::{AppError, AppState};
use crate::domain::FieldErrors;
use crate::domain::ids::RequestId;
use crate::domain::provision::{ProvisionRules, RawProvisionRecord};
use crate::i18n::Tr;

/// A record as typed in the page's form, with the register it goes to.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    regime: String,
    #[serde(flatten)]
    record: RawProvisionRecord,
}

#[derive(Template)]
#[template(path = "pages/staff/provision_records.html")]
pub struct ProvisionPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub registers: Vec<(String, ProvisionRules)>,
    pub register: RegisterPage,
    pub pages: i64,
    pub person: String,
    pub direction: String,
    pub input: RecordForm,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

impl ProvisionPage {
    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }

    pub fn value(&self, field: &str) -> &str {
        let r = &self.input.record;
        match field {
            "regime" => &self.input.regime,
            "direction" => &r.direction,
            "method" => &r.method,
            "basis" => &r.basis,
            "provided_on" => &r.provided_on,
            "last_provided_on" => &r.last_provided_on,
            "counterparty_name" => &r.counterparty_name,
            "counterparty_address" => &r.counterparty_address,
            "counterparty_representative" => &r.counterparty_representative,
            "acquired_how" => &r.acquired_how,
            "person_name" => &r.person_name,
            "person_kana" => &r.person_kana,
            "person_email" => &r.person_email,
            "person_address" => &r.person_address,
            "items" => &r.items,
            _ => "",
        }
    }

    /// The one-line fields, in the order the law lists the items (Art. 29: who received it, whose
    /// data, which items).
    pub fn text_fields(&self) -> Vec<(&'static str, String)> {
        [
            "counterparty_name",
            "counterparty_address",
            "counterparty_representative",
            "person_name",
            "person_kana",
            "person_email",
            "person_address",
        ]
        .into_iter()
        .map(|f| (f, self.tr.t(&format!("provision-field-{f}"))))
        .collect()
    }

    /// The options of a select: the register's methods or bases, in the page's language.
    pub fn options(&self, rules: &ProvisionRules, which: &str) -> Vec<(String, String)> {
        let lang = self.tr.lang;
        match which {
            "method" => rules
                .methods
                .iter()
                .map(|m| (m.code.clone(), m.label.get(lang).to_owned()))
                .collect(),
            _ => rules
                .bases
                .iter()
                .map(|b| (b.code.clone(), b.label.get(lang).to_owned()))
                .collect(),
        }
    }

    /// The link to another page of the same search (askama escapes the `&`).
    pub fn query(&self, page: i64) -> String {
        let page = page.to_string();
        let mut q = vec![("page", page.as_str())];
        if !self.person.is_empty() {
            q.push(("person", self.person.as_str()));
        }
        if !self.direction.is_empty() {
            q.push(("direction", self.direction.as_str()));
        }
        serde_urlencoded::to_string(q).unwrap_or_default()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RegisterQuery {
    #[serde(default)]
    person: String,
    #[serde(default)]
    direction: String,
    #[serde(default)]
    page: Option<i64>,
    done: Option<String>,
}

struct Shown {
    status: StatusCode,
    input: RecordForm,
    errors: FieldErrors,
    notice: Option<String>,
}

async fn page(
    state: &AppState,
    staff: StaffMember,
    tr: Tr,
    csrf: &Csrf,
    q: RegisterQuery,
    shown: Shown,
) -> Result<HttpResponse, PageError> {
    let direction = Some(q.direction.clone()).filter(|d| !d.is_empty());
    let register = provision::register(
        state,
        Some(q.person.clone()),
        direction,
        q.page.unwrap_or(1),
        tr.lang,
    )
    .await?;
    let pages = ((register.total + provision::PAGE_SIZE - 1) / provision::PAGE_SIZE).max(1);
    let registers = provision::registers(state.workflows.laws());
    let mut input = shown.input;
    if input.regime.is_empty()
        && let Some((id, _)) = registers.first()
    {
        input.regime = id.clone();
    }
    render(
        shown.status,
        &ProvisionPage {
            tr,
            csrf: csrf.token(),
            staff,
            registers,
            register,
            pages,
            person: q.person,
            direction: q.direction,
            input,
            errors: shown.errors,
            notice: shown.notice,
        },
    )
}

pub async fn show(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    q: web::Query<RegisterQuery>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let notice = q.done.as_ref().map(|_| tr.t("provision-recorded"));
    let shown = Shown {
        status: StatusCode::OK,
        input: RecordForm::default(),
        errors: FieldErrors::new(),
        notice,
    };
    page(&state, who.staff, tr, &csrf, q, shown).await
}

pub async fn record(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    CsrfForm { input, fresh, csrf }: CsrfForm<RecordForm>,
) -> Result<HttpResponse, PageError> {
    let call = provision::record(
        &state,
        &who.staff,
        input.regime.clone(),
        input.record.clone(),
    );
    match outcome::of(fresh, call).await? {
        Ok(_) => Ok(redirect("/staff/provision-records?done=1")),
        Err(back) => {
            let shown = Shown {
                status: back.status(),
                input,
                notice: back.is_expired().then(|| tr.t("form-expired")),
                errors: back.into_errors(),
            };
            page(
                &state,
                who.staff,
                tr,
                &csrf,
                RegisterQuery::default(),
                shown,
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    /// `attach` (the record is the requester's) or `detach`.
    #[serde(default)]
    action: String,
}

fn attaching(action: &str) -> Result<bool, AppError> {
    match action {
        "attach" => Ok(true),
        "detach" => Ok(false),
        _ => Err(AppError::invalid("action", "unknown_action")),
    }
}

/// From the request page: the record is (or is not) the requester's.
pub async fn confirm(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    path: web::Path<(RequestId, String)>,
    csrf: Csrf,
    CheckedForm(form): CheckedForm<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    let (id, record) = path.into_inner();
    let call = async {
        let attach = attaching(&form.action)?;
        provision::confirm(&state, &who.staff, id.clone(), record, attach).await
    };
    match outcome::of(true, call).await? {
        Ok(()) => Ok(redirect(&format!(
            "/staff/requests/{id}?moved=1#provision-records"
        ))),
        Err(back) => {
            let feedback = super::staff::Feedback {
                status: back.status(),
                problem: Some(super::staff::problem_beside(back, &tr, &["record"])),
                ..Default::default()
            };
            super::staff::request_page(&state, who.staff, tr, &csrf, id, feedback).await
        }
    }
}

/// A record as the API takes it: the register (`regime`) and the record's fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// The regime whose register it goes to (`appi`).
    regime: String,
    /// `provided` (to a third party, Art. 29) or `received` (from one, Art. 30).
    direction: String,
    /// How the record was made, as the regime lists them (`individual`, `continuous`, `with_goods_or_services`).
    method: String,
    /// On what the data went, as the regime lists them (`consent`, `opt_out`, `foreign_consent`).
    basis: String,
    /// The day of the provision (or receipt), YYYY-MM-DD; the first, for a record of repeated provision.
    provided_on: String,
    /// For a record of repeated provision: the last so far; its retention counts from this day.
    #[serde(default)]
    last_provided_on: String,
    /// The recipient (provided) or the provider (received).
    counterparty_name: String,
    /// Required for a record received.
    #[serde(default)]
    counterparty_address: String,
    #[serde(default)]
    counterparty_representative: String,
    /// How the provider came by the data; received records only, and required for them.
    #[serde(default)]
    acquired_how: String,
    person_name: String,
    #[serde(default)]
    person_kana: String,
    #[serde(default)]
    person_email: String,
    #[serde(default)]
    person_address: String,
    /// The items of personal data.
    items: String,
}

#[utoipa::path(
    post, path = "/api/v1/provision-records", tag = "provision",
    description = "Enter a record of provision to (Art. 29) or receipt from (Art. 30) a third party in a regime's register; its retention is computed from the regime's rules (`kept_until`); audited (`provision.recorded`)",
    request_body = RecordBody,
    responses(
        (status = 201, description = "Recorded", body = Object),
        (status = 422, description = "`validation_failed`: each field's code (`required`, `too_long`, `unknown_direction`, `unknown_method`, `unknown_basis`, `date_in_future`, `before_the_first`, `only_when_received`, `invalid_email`; `regime` `no_register`)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn record_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    body: super::body::ApiJson<RecordBody>,
) -> Result<HttpResponse, ApiError> {
    let b = body.parse()?.into_inner();
    let raw = RawProvisionRecord {
        direction: b.direction,
        method: b.method,
        basis: b.basis,
        provided_on: b.provided_on,
        last_provided_on: b.last_provided_on,
        counterparty_name: b.counterparty_name,
        counterparty_address: b.counterparty_address,
        counterparty_representative: b.counterparty_representative,
        acquired_how: b.acquired_how,
        person_name: b.person_name,
        person_kana: b.person_kana,
        person_email: b.person_email,
        person_address: b.person_address,
        items: b.items,
    };
    let view = provision::record(&state, &who.staff, b.regime, raw).await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Serialize)]
struct RegisterJson {
    records: Vec<RecordView>,
    total: i64,
    page: i64,
    page_size: i64,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RegisterParams {
    /// A person's name, kana or e-mail address (compared folded: spaces, width and case ignored).
    #[serde(default)]
    person: String,
    /// `provided` or `received`.
    #[serde(default)]
    direction: String,
    /// From 1.
    page: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/provision-records", tag = "provision",
    description = "The register, newest provision first, 50 to a page; optionally one person's or one direction's",
    params(RegisterParams),
    responses(
        (status = 200, description = "A page of the register", body = Object),
        (status = 422, description = "`validation_failed`: `direction` `unknown_direction`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_api(
    state: web::Data<AppState>,
    _who: ApiStaff<WorkRequests>,
    q: super::body::ApiQuery<RegisterParams>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let direction = Some(q.direction).filter(|d| !d.is_empty());
    let p = provision::register(
        &state,
        Some(q.person),
        direction,
        q.page.unwrap_or(1),
        crate::domain::request::Language::JA,
    )
    .await?;
    Ok(HttpResponse::Ok().json(RegisterJson {
        records: p.records,
        total: p.total,
        page: p.page,
        page_size: provision::PAGE_SIZE,
    }))
}

#[utoipa::path(
    put, path = "/api/v1/requests/{id}/provision-records/{record_id}", tag = "provision",
    description = "Confirm a register record as the person's of a request for the records (Art. 33(5)): its answer discloses it; audited (`request.provision_record_attached`)",
    params(("id" = String, Path), ("record_id" = String, Path)),
    responses(
        (status = 204, description = "Confirmed"),
        (status = 404, description = "`not_found`: no such request or record"),
        (status = 422, description = "`validation_failed`: `record` `not_a_records_request`, `request_closed`, `other_regime`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn attach_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, record) = path.into_inner();
    provision::confirm(&state, &who.staff, id, record, true).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    delete, path = "/api/v1/requests/{id}/provision-records/{record_id}", tag = "provision",
    description = "Take a record off a request's answer; audited (`request.provision_record_detached`)",
    params(("id" = String, Path), ("record_id" = String, Path)),
    responses(
        (status = 204, description = "Taken off"),
        (status = 404, description = "`not_found`: no such request or record"),
        (status = 422, description = "`validation_failed`: `record` `not_a_records_request`, `request_closed`, `other_regime`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn detach_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, record) = path.into_inner();
    provision::confirm(&state, &who.staff, id, record, false).await?;
    Ok(HttpResponse::NoContent().finish())
}
