//! Registering a request that came by registered mail, with the forms it enclosed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::csrf::{Csrf, CsrfForm};
use super::error::PageError;
use super::session::{Authorized, WorkRequests};
use super::{outcome, redirect, render};
use crate::app::staff::StaffMember;
use crate::app::{AppError, AppState, intake};
use crate::domain::FieldErrors;
use crate::domain::postal::{MailClass, PostalIntake, RawPostalIntake, RequesterKind};
use crate::domain::request::RequestType;
use crate::i18n::Tr;

/// How a field of a generated form is drawn.
pub enum FieldKind {
    Text,
    Date,
    Area,
    Choice,
    Checks,
}

pub struct FormField {
    pub name: &'static str,
    pub label: String,
    pub kind: FieldKind,
    pub value: String,
    pub options: Vec<super::public::TypeOption>,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/staff/postal_new.html")]
pub struct PostalPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub fields: Vec<FormField>,
    pub has_errors: bool,
}

impl PostalPage {
    fn new(
        tr: Tr,
        csrf: &Csrf,
        staff: StaffMember,
        raw: &RawPostalIntake,
        errors: &FieldErrors,
    ) -> Self {
        let err = |f: &str| errors.code_for(f).map(|c| tr.field_error(c));
        let opt = |code: &'static str, label: String, selected: bool| super::public::TypeOption {
            code,
            label,
            selected,
        };
        let text = |name: &'static str, key: &str, kind: FieldKind, value: &str| FormField {
            name,
            label: tr.t(key),
            kind,
            value: value.to_owned(),
            options: Vec::new(),
            error: err(name),
        };
        let fields = vec![
            text(
                "received_on",
                "postal-received-on",
                FieldKind::Date,
                &raw.received_on,
            ),
            FormField {
                options: MailClass::ALL
                    .iter()
                    .map(|m| {
                        opt(
                            m.as_str(),
                            tr.t(&format!("mail-{m}")),
                            raw.mail_class == m.as_str(),
                        )
                    })
                    .collect(),
                ..text("mail_class", "postal-mail-class", FieldKind::Choice, "")
            },
            text(
                "tracking_number",
                "postal-tracking-number",
                FieldKind::Text,
                &raw.tracking_number,
            ),
            text(
                "request_date",
                "postal-request-date",
                FieldKind::Date,
                &raw.request_date,
            ),
            FormField {
                options: RequestType::ALL
                    .iter()
                    .map(|t| {
                        opt(
                            t.as_str(),
                            tr.request_type(t),
                            raw.request_types.iter().any(|r| r == t.as_str()),
                        )
                    })
                    .collect(),
                ..text(
                    "request_types",
                    "postal-request-types",
                    FieldKind::Checks,
                    "",
                )
            },
            text(
                "services",
                "postal-services",
                FieldKind::Area,
                &raw.services.join("\n"),
            ),
            text("name", "form-name", FieldKind::Text, &raw.name),
            text(
                "postal_address",
                "postal-address",
                FieldKind::Area,
                &raw.postal_address,
            ),
            text("email", "postal-email", FieldKind::Text, &raw.email),
            FormField {
                options: RequesterKind::ALL
                    .iter()
                    .map(|k| {
                        opt(
                            k.as_str(),
                            tr.t(&format!("requester-{k}")),
                            raw.requester_kind == k.as_str(),
                        )
                    })
                    .collect(),
                ..text(
                    "requester_kind",
                    "postal-requester-kind",
                    FieldKind::Choice,
                    "",
                )
            },
            text(
                "agent_name",
                "postal-agent-name",
                FieldKind::Text,
                &raw.agent_name,
            ),
            text("message", "form-message", FieldKind::Area, &raw.message),
        ];
        Self {
            tr,
            csrf: csrf.token(),
            staff,
            fields,
            has_errors: !errors.is_empty(),
        }
    }
}

pub async fn postal_form(
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
) -> Result<HttpResponse, PageError> {
    let raw = RawPostalIntake::default();
    render(
        StatusCode::OK,
        &PostalPage::new(tr, &csrf, who.staff, &raw, &FieldErrors::new()),
    )
}

/// The registration form posts repeated `request_types` (a list) and a multi-line `services`.
pub async fn register_postal(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    CsrfForm {
        input: mut raw,
        fresh,
        csrf,
    }: CsrfForm<RawPostalIntake>,
) -> Result<HttpResponse, PageError> {
    raw.services = raw
        .services
        .iter()
        .flat_map(|s| s.lines().map(str::to_owned))
        .collect();
    let call = async {
        let parsed = PostalIntake::parse(&raw, intake::desk_today(&state));
        intake::register_postal(&state, &who.staff, parsed.map_err(AppError::Invalid)?).await
    };
    match outcome::of(fresh, call).await? {
        Ok(out) => {
            let first = out
                .requests
                .first()
                .map(|(_, r)| r.request_id.to_string())
                .unwrap_or_default();
            Ok(redirect(&format!(
                "/staff/requests/{first}?registered={}",
                out.requests.len()
            )))
        }
        Err(back) => {
            let status = back.status();
            // An expired form has no field to blame, but its page still says something is wrong.
            let expired = back.is_expired();
            let mut page = PostalPage::new(tr, &csrf, who.staff, &raw, &back.into_errors());
            page.has_errors |= expired;
            render(status, &page)
        }
    }
}
