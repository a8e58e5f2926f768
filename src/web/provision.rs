//! The register of provision to and receipt from third parties: its page (search, pages, a form to
//! enter a record), its API, and confirming a record as a request's person's from the request page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use super::csrf::{CheckedForm, Csrf, CsrfForm};
use super::error::{ApiError, PageError};
use super::outcome::{self, Back, PageOf};
use super::session::{ApiStaff, Authorized, WorkRequests};
use super::staff::Feedback;
use super::{redirect, render};
use crate::app::provision::{self, RecordView, RegisterPage};
use crate::app::staff::StaffMember;
use crate::app::{AppError, AppState};
use crate::domain::FieldErrors;
use crate::domain::code::Code;
use crate::domain::ids::{ProvisionRecordId, RequestId};
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

impl Shown {
    /// The form come back with what was typed.
    fn back(back: Back, tr: Tr, input: RecordForm) -> Self {
        Shown {
            status: back.status(),
            input,
            notice: back.expiry_notice(tr),
            errors: back.into_errors(),
        }
    }
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
            let shown = Shown::back(back, tr, input);
            let q = RegisterQuery::default();
            page(&state, who.staff, tr, &csrf, q, shown).await
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
    path: web::Path<(RequestId, ProvisionRecordId)>,
    csrf: Csrf,
    CheckedForm(form): CheckedForm<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    let (id, record) = path.into_inner();
    let call = async {
        let attach = attaching(&form.action)?;
        provision::confirm(&state, &who.staff, id.clone(), record, attach).await
    };
    let answer = outcome::of(true, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "provision-records", |back| {
        Feedback::beside(back, &tr, &["record"])
    })
    .await
}

/// `direction` of a record: `provided` or `received`.
fn direction_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["provided", "received"]))
        .description(Some(
            "`provided` (to a third party, Art. 29) or `received` (from one, Art. 30)",
        ))
        .examples(["provided"])
        .into()
}

/// A record as the API takes it: the register (`regime`) and the record's fields.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordBody {
    /// The regime whose register it goes to (`appi`).
    #[schema(min_length = 1, example = "appi")]
    regime: String,
    /// `provided` (to a third party, Art. 29) or `received` (from one, Art. 30).
    #[schema(schema_with = direction_schema)]
    direction: String,
    /// How the record was made, as the regime lists them (`individual`, `continuous`, `with_goods_or_services`).
    #[schema(min_length = 1, example = "individual")]
    method: String,
    /// On what the data went, as the regime lists them (`consent`, `opt_out`, `foreign_consent`).
    #[schema(min_length = 1, example = "consent")]
    basis: String,
    /// The day of the provision (or receipt), YYYY-MM-DD, not after today; the first, for a record of
    /// repeated provision.
    #[schema(format = Date, example = "2026-01-15")]
    provided_on: String,
    /// For a record of repeated provision: the last so far, not before `provided_on` nor after today;
    /// its retention counts from this day.
    #[serde(default)]
    #[schema(schema_with = super::schemas::date_or_empty)]
    last_provided_on: String,
    /// The recipient (provided) or the provider (received).
    #[schema(min_length = 1, max_length = 200, example = "株式会社サンプル物流")]
    counterparty_name: String,
    /// Required for a record received.
    #[serde(default)]
    #[schema(max_length = 500)]
    counterparty_address: String,
    #[serde(default)]
    #[schema(max_length = 200)]
    counterparty_representative: String,
    /// How the provider came by the data; received records only, and required for them.
    #[serde(default)]
    #[schema(max_length = 2000)]
    acquired_how: String,
    /// The person whose data it is.
    #[schema(min_length = 1, max_length = 200, example = "山田 花子")]
    person_name: String,
    #[serde(default)]
    #[schema(max_length = 200, example = "ヤマダ ハナコ")]
    person_kana: String,
    #[serde(default)]
    #[schema(schema_with = super::schemas::email_or_empty, example = "hanako@example.com")]
    person_email: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    person_address: String,
    /// The items of personal data.
    #[schema(min_length = 1, max_length = 2000, example = "氏名、住所、電話番号")]
    items: String,
}

#[utoipa::path(
    post, path = "/api/v1/provision-records", tag = "provision",
    operation_id = "recordProvision",
    description = "Enter a record of provision to (Art. 29) or receipt from (Art. 30) a third party in a regime's register; its retention is computed from the regime's rules (`kept_until`); audited (`provision.recorded`)",
    request_body(
        content = RecordBody,
        description = "The record and the register it goes to",
        example = json!({
            "regime": "appi", "direction": "provided", "method": "individual", "basis": "consent",
            "provided_on": "2026-01-15", "counterparty_name": "株式会社サンプル物流",
            "person_name": "山田 花子", "person_kana": "ヤマダ ハナコ", "person_email": "hanako@example.com",
            "items": "氏名、住所、電話番号"
        })
    ),
    responses(
        (status = 201, description = "Recorded", body = provision::RecordView, example = json!({
            "id": "0197a3c2-7d4e-7b02-8c3d-4e5f6a7b8c9d", "regime": "appi", "direction": "provided",
            "method": "individual", "method_label": "提供（受領）の都度作成した記録", "basis": "consent", "basis_label": "本人の同意（第27条第1項）",
            "provided_on": "2026-01-15", "last_provided_on": null,
            "counterparty_name": "株式会社サンプル物流", "counterparty_address": null, "counterparty_representative": null,
            "acquired_how": null, "person_name": "山田 花子", "person_kana": "ヤマダ ハナコ",
            "person_email": "hanako@example.com", "person_address": null, "items": "氏名、住所、電話番号",
            "kept_until": "2029-01-15"
        })),
        (status = 422, description = "`validation_failed`: each field's code (`required`, `too_long`, `unknown_direction`, `unknown_method`, `unknown_basis`, `invalid_date`, `date_in_future`, `before_the_first`, `out_of_range`, `only_when_received`, `invalid_email`, `invalid_characters`; `regime` `no_register`)", body = super::error::ErrorBody),
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

/// A page of the register.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ProvisionRegisterPage {
    /// The page's records, newest provision first.
    records: Vec<RecordView>,
    /// How many records the search finds, on every page.
    total: i64,
    /// This page's number, from 1.
    page: i64,
    /// Records to a page (50).
    page_size: i64,
}

/// `direction` as a filter: `provided`, `received`, or empty (both).
fn direction_filter_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["provided", "received", ""]))
        .into()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RegisterParams {
    /// A person's name, kana or e-mail address (compared folded: spaces, width and case ignored).
    #[serde(default)]
    #[param(pattern = r"^[^\x00]*$", example = "山田 花子")]
    person: String,
    /// `provided` or `received`; both when absent or empty.
    #[serde(default)]
    #[param(schema_with = direction_filter_schema)]
    direction: String,
    /// The page, from 1 (a number below 1 is the first page, above 10,000 the 10,000th).
    #[param(example = 1)]
    page: Option<i64>,
}

#[utoipa::path(
    get, path = "/api/v1/provision-records", tag = "provision",
    operation_id = "listProvisionRecords",
    description = "The register, newest provision first, 50 to a page; optionally one person's or one direction's",
    params(RegisterParams),
    responses(
        (status = 200, description = "A page of the register", body = ProvisionRegisterPage, example = json!({
            "records": [{
                "id": "0197a3c2-7d4e-7b02-8c3d-4e5f6a7b8c9d", "regime": "appi", "direction": "provided",
                "method": "individual", "method_label": "提供（受領）の都度作成した記録", "basis": "consent", "basis_label": "本人の同意（第27条第1項）",
                "provided_on": "2026-01-15", "last_provided_on": null,
                "counterparty_name": "株式会社サンプル物流", "counterparty_address": null, "counterparty_representative": null,
                "acquired_how": null, "person_name": "山田 花子", "person_kana": "ヤマダ ハナコ",
                "person_email": "hanako@example.com", "person_address": null, "items": "氏名、住所、電話番号",
                "kept_until": "2029-01-15"
            }],
            "total": 1, "page": 1, "page_size": 50
        })),
        (status = 422, description = "`validation_failed`: `direction` `unknown_direction`; `page` not a whole number; a parameter not listed here `unknown_field`", body = super::error::ErrorBody),
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
    Ok(HttpResponse::Ok().json(ProvisionRegisterPage {
        records: p.records,
        total: p.total,
        page: p.page,
        page_size: provision::PAGE_SIZE,
    }))
}

#[utoipa::path(
    put, path = "/api/v1/requests/{id}/provision-records/{record_id}", tag = "provision",
    operation_id = "attachProvisionRecord",
    description = "Confirm a register record as the person's of a request for the records (Art. 33(5)): its answer discloses it; audited (`request.provision_record_attached`). Confirming one already confirmed changes nothing.",
    params(
        ("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
        ("record_id" = String, Path, description = "The register record's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
    ),
    responses(
        (status = 204, description = "Confirmed"),
        (status = 404, description = "`not_found`: no such request or record", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `record` `not_a_records_request` (the request's right is not answered from the register), `request_closed`, `other_regime` (the record is in another regime's register), `not_the_requesters` (its person shares neither the requester's name, kana nor address)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn attach_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, ProvisionRecordId)>,
) -> Result<HttpResponse, ApiError> {
    confirmed(&state, who, path, true).await
}

/// The API's answer to attaching a record to a request or taking it off: 204, or the JSON error.
async fn confirmed(
    state: &AppState,
    who: ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, ProvisionRecordId)>,
    attach: bool,
) -> Result<HttpResponse, ApiError> {
    let (id, record) = path.into_inner();
    provision::confirm(state, &who.staff, id, record, attach).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    delete, path = "/api/v1/requests/{id}/provision-records/{record_id}", tag = "provision",
    operation_id = "detachProvisionRecord",
    description = "Take a record off a request's answer; audited (`request.provision_record_detached`). Taking off one not confirmed changes nothing.",
    params(
        ("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
        ("record_id" = String, Path, description = "The register record's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9"),
    ),
    responses(
        (status = 204, description = "Taken off"),
        (status = 404, description = "`not_found`: no such request or record", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `record` `not_a_records_request` (the request's right is not answered from the register), `request_closed`, `other_regime`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn detach_api(
    state: web::Data<AppState>,
    who: ApiStaff<WorkRequests>,
    path: web::Path<(RequestId, ProvisionRecordId)>,
) -> Result<HttpResponse, ApiError> {
    confirmed(&state, who, path, false).await
}
