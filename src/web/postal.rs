//! Registering a request that came by registered mail, with the forms it enclosed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::csrf::{Csrf, CsrfForm};
use super::error::PageError;
use super::public::TypeOption;
use super::session::{Authorized, WorkRequests};
use super::{outcome, redirect, render};
use crate::app::staff::StaffMember;
use crate::app::{AppError, AppState, intake};
use crate::domain::FieldErrors;
use crate::domain::code::Code;
use crate::domain::postal::{MailClass, PostalIntake, RawPostalIntake, RequesterKind};
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
    pub options: Vec<TypeOption>,
    pub error: Option<String>,
}

/// Makes the fields of a generated form (the officer's letter page, the requester's printable form) in
/// the reader's language, each with its error from the last submission.
pub struct FieldMaker<'a> {
    pub tr: &'a Tr,
    pub errors: &'a FieldErrors,
}

impl FieldMaker<'_> {
    pub fn field(&self, name: &'static str, key: &str, kind: FieldKind, value: &str) -> FormField {
        FormField {
            name,
            label: self.tr.t(key),
            kind,
            value: value.to_owned(),
            options: Vec::new(),
            error: self.errors.code_for(name).map(|c| self.tr.field_error(c)),
        }
    }

    /// A field whose answers are picked from `options` (a choice, or boxes to tick).
    pub fn options(
        &self,
        name: &'static str,
        key: &str,
        kind: FieldKind,
        options: Vec<TypeOption>,
    ) -> FormField {
        FormField {
            options,
            ..self.field(name, key, kind, "")
        }
    }

    /// Who files: the person, an agent or a legal agent, as both forms ask it.
    pub fn requester_kind(&self, chosen: &str) -> FormField {
        let kinds = RequesterKind::ALL.iter().map(|k| {
            option(
                k.as_str(),
                self.tr.t(&format!("requester-{k}")),
                chosen == k.as_str(),
            )
        });
        self.options(
            "requester_kind",
            "postal-requester-kind",
            FieldKind::Choice,
            kinds.collect(),
        )
    }
}

pub fn option(code: impl Into<String>, label: String, selected: bool) -> TypeOption {
    TypeOption {
        code: code.into(),
        label,
        selected,
    }
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
        rights: &[(String, String)],
    ) -> Self {
        let make = FieldMaker { tr: &tr, errors };
        let fields = vec![
            make.field(
                "received_on",
                "postal-received-on",
                FieldKind::Date,
                &raw.received_on,
            ),
            make.options(
                "mail_class",
                "postal-mail-class",
                FieldKind::Choice,
                MailClass::ALL
                    .iter()
                    .map(|m| {
                        option(
                            m.as_str(),
                            tr.t(&format!("mail-{m}")),
                            raw.mail_class == m.as_str(),
                        )
                    })
                    .collect(),
            ),
            make.field(
                "tracking_number",
                "postal-tracking-number",
                FieldKind::Text,
                &raw.tracking_number,
            ),
            make.field(
                "request_date",
                "postal-request-date",
                FieldKind::Date,
                &raw.request_date,
            ),
            make.options(
                "request_types",
                "postal-request-types",
                FieldKind::Checks,
                rights
                    .iter()
                    .map(|(code, label)| {
                        option(
                            code.as_str(),
                            label.clone(),
                            raw.request_types.iter().any(|r| r == code),
                        )
                    })
                    .collect(),
            ),
            make.field(
                "services",
                "postal-services",
                FieldKind::Area,
                &raw.services.join("\n"),
            ),
            make.field("name", "form-name", FieldKind::Text, &raw.name),
            make.field(
                "name_kana",
                "postal-name-kana",
                FieldKind::Text,
                &raw.name_kana,
            ),
            make.field(
                "postal_address",
                "postal-address",
                FieldKind::Area,
                &raw.postal_address,
            ),
            make.field("email", "postal-email", FieldKind::Text, &raw.email),
            make.requester_kind(&raw.requester_kind),
            make.field(
                "agent_name",
                "postal-agent-name",
                FieldKind::Text,
                &raw.agent_name,
            ),
            make.field(
                "agent_name_kana",
                "postal-agent-name-kana",
                FieldKind::Text,
                &raw.agent_name_kana,
            ),
            make.field(
                "agent_address",
                "postal-agent-address",
                FieldKind::Area,
                &raw.agent_address,
            ),
            make.field("message", "form-message", FieldKind::Area, &raw.message),
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

/// The rights the procedure that takes letters serves, named under its law: (code, label).
async fn letter_rights(state: &AppState, tr: &Tr) -> Result<Vec<(String, String)>, PageError> {
    let def = intake::postal_procedure(state).await?;
    let laws = state.workflows.laws();
    Ok(def
        .request_types
        .iter()
        .map(|t| {
            (
                t.to_string(),
                laws.label_under(&def.regime, t.as_str(), tr.lang),
            )
        })
        .collect())
}

pub async fn postal_form(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
) -> Result<HttpResponse, PageError> {
    let raw = RawPostalIntake::default();
    let rights = letter_rights(&state, &tr).await?;
    render(
        StatusCode::OK,
        &PostalPage::new(tr, &csrf, who.staff, &raw, &FieldErrors::new(), &rights),
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
            let rights = letter_rights(&state, &tr).await?;
            let mut page =
                PostalPage::new(tr, &csrf, who.staff, &raw, &back.into_errors(), &rights);
            page.has_errors |= expired;
            render(status, &page)
        }
    }
}
