//! The postal procedure's printable request forms (A4): blank, or filled in from a draft the requester
//! types online. Drafts are never stored; they go straight back to the requester's printer.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::csrf::{Csrf, CsrfForm};
use super::error::PageError;
use super::postal::{FieldKind, FieldMaker, FormField, option};
use super::render;
use crate::app::{AppError, AppState, intake};
use crate::domain::FieldErrors;
use crate::domain::code::Code;
use crate::domain::documents::Holder;
use crate::domain::law::RightDef;
use crate::domain::postal::{FormDraft, FormKind, RawFormDraft, RequesterKind};
use crate::domain::request::Language;
use crate::domain::workflow::WorkflowDefinition;
use crate::i18n::Tr;

pub(super) fn form_kind(code: &str) -> Result<FormKind, PageError> {
    code.parse().map_err(|_| AppError::NotFound.into())
}

pub(super) fn requester(q: &RequesterQuery) -> RequesterKind {
    q.requester
        .as_deref()
        .and_then(|r| r.parse().ok())
        .unwrap_or(RequesterKind::Person)
}

#[derive(Debug, Deserialize)]
pub struct RequesterQuery {
    requester: Option<String>,
}

/// The procedure that takes letters (its forms' rights come from the law it was published with).
pub(super) struct Procedure {
    def: Arc<WorkflowDefinition>,
    /// Today at the desk: forms offer the documents accepted today.
    today: NaiveDate,
}

impl Procedure {
    /// The rights a form asks for under the procedure's law (`form` in `seeds/regimes`), its own first.
    fn rights(&self, form: FormKind) -> Vec<RightDef> {
        self.def
            .law
            .rights
            .iter()
            .filter(|d| d.form == Some(form) && self.def.request_types.contains(&d.code))
            .cloned()
            .collect()
    }
}

/// The fee line of a form: per service, in integer yen.
fn fee_text(p: &Procedure, form: FormKind, services: Option<usize>, tr: Tr) -> Option<String> {
    let def = &p.def;
    let own = p.rights(form).into_iter().next()?;
    let fee = def.fee.as_ref().filter(|_| def.fee_applies(&own.code))?;
    let unit = tr.yen(fee.amount_yen);
    Some(
        match services.and_then(|n| fee.amount_for(n).map(|t| (n, t))) {
            Some((n, total)) => format!(
                "{unit}（税込）× {n}サービス ＝ {}。本人確認の後に請求書をお送りしますので、記載の口座にお振り込みください（振込手数料はご負担ください）。",
                tr.yen(total)
            ),
            None => format!(
                "1サービスにつき{unit}（税込）。本人確認の後に請求書をお送りしますので、記載の口座にお振り込みください（振込手数料はご負担ください）。"
            ),
        },
    )
}

/// The documents to enclose, as accepted for a request of `day`, and how to send them (what to hide,
/// which sides, what never to send).
fn checklist(
    def: &WorkflowDefinition,
    kind: RequesterKind,
    lang: Language,
    day: NaiveDate,
) -> (Vec<String>, Vec<String>) {
    let Some(rules) = def.documents.as_ref().map(|d| d.as_of(day)) else {
        return (Vec::new(), Vec::new());
    };
    let lines = rules.checklists.get(&kind).cloned().unwrap_or_default();
    let items = lines
        .iter()
        .map(|r| {
            let names: Vec<&str> = r
                .one_of
                .iter()
                .map(|k| rules.kind_label(k).map(|l| l.get(lang)).unwrap_or(k))
                .collect();
            let whose = match (r.holder, kind) {
                (Holder::Principal, RequesterKind::Person) => "",
                (Holder::Principal, _) => "ご本人の",
                (Holder::Agent, _) => "代理人の",
            };
            let mut s = format!("{whose}{}", names.join("、"));
            // An identity card is sent as a copy, never the card itself; certificates as issued.
            s.push_str(if r.original {
                "（原本）"
            } else {
                "（コピー）"
            });
            if r.fresh {
                s.push_str(&format!(
                    "　※請求日前{}か月以内に作成されたもの",
                    rules.max_age_months
                ));
            }
            s
        })
        .collect();
    let notes = rules
        .how_to_send(&lines)
        .into_iter()
        .map(|(name, how)| format!("{}：{}", name.get(lang), how.get(lang)))
        .chain(rules.never_send.iter().map(|n| n.get(lang).to_owned()))
        .collect();
    (items, notes)
}

#[derive(Template)]
#[template(path = "pages/public/forms_index.html")]
pub struct FormsIndex {
    pub tr: Tr,
    pub desk: crate::domain::workflow::Label,
    pub forms: Vec<FormChoice>,
    pub requester_kinds: Vec<(&'static str, String)>,
}

pub struct FormChoice {
    pub code: &'static str,
    pub title: &'static str,
    pub covers: String,
    pub fee: Option<String>,
}

pub(super) async fn procedure(state: &AppState) -> Result<Procedure, PageError> {
    Ok(Procedure {
        def: intake::postal_procedure(state).await?,
        today: intake::desk_today(state),
    })
}

pub async fn index(state: web::Data<AppState>, tr: Tr) -> Result<HttpResponse, PageError> {
    let p = procedure(&state).await?;
    let postal = p.def.postal.clone().ok_or(AppError::NotFound)?;
    let page = FormsIndex {
        forms: FormKind::ALL
            .iter()
            .map(|f| FormChoice {
                code: f.as_str(),
                title: f.title_ja(),
                covers: p
                    .rights(*f)
                    .iter()
                    .map(|r| r.label.get(tr.lang).to_owned())
                    .collect::<Vec<_>>()
                    .join(" · "),
                fee: fee_text(&p, *f, None, tr),
            })
            .collect(),
        requester_kinds: RequesterKind::ALL
            .iter()
            .map(|k| (k.as_str(), tr.t(&format!("requester-{k}"))))
            .collect(),
        desk: postal.desk,
        tr,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "pages/public/form_print.html")]
pub struct PrintPage {
    pub title: &'static str,
    pub code: &'static str,
    pub desk: String,
    /// Who the form is addressed to (the desk's name, else its address), before 御中.
    pub addressee: String,
    pub draft: Option<FormDraft>,
    pub requester_kind: &'static str,
    pub requester_label: String,
    pub checklist: Vec<String>,
    /// How to send the documents: what to hide, which sides, never the 個人番号.
    pub document_notes: Vec<String>,
    pub fee: Option<String>,
    /// The desk's contact for questions (seed 004 §6: its inquiry page).
    pub contact: Vec<String>,
    pub mail: String,
    pub changes: Vec<(String, String, bool)>,
}

pub(super) fn print_page(
    p: &Procedure,
    form: FormKind,
    kind: RequesterKind,
    draft: Option<FormDraft>,
) -> Result<PrintPage, PageError> {
    let def = &p.def;
    let ja = Tr::new(Language::JA);
    let postal = def.postal.as_ref().ok_or(AppError::NotFound)?;
    let day = draft
        .as_ref()
        .map_or(p.today, |d| d.request_date.max(p.today));
    let (checklist, document_notes) = checklist(def, kind, Language::JA, day);
    let changes = if form == FormKind::Correction {
        p.rights(form)
            .into_iter()
            .map(|r| {
                let chosen = draft
                    .as_ref()
                    .is_some_and(|d| d.change.as_ref() == Some(&r.code));
                (r.code.to_string(), r.label.ja().to_owned(), chosen)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(PrintPage {
        title: form.title_ja(),
        code: form.as_str(),
        desk: postal.desk.ja().to_owned(),
        addressee: def
            .desk
            .as_ref()
            .and_then(|d| d.name.as_ref())
            .unwrap_or(&postal.desk)
            .ja()
            .to_owned(),
        fee: fee_text(p, form, draft.as_ref().map(|d| d.services.len()), ja),
        requester_kind: kind.as_str(),
        requester_label: ja.t(&format!("requester-{kind}")),
        checklist,
        document_notes,
        contact: def
            .desk
            .as_ref()
            .map(|d| d.contact_lines(Language::JA))
            .unwrap_or_default(),
        mail: postal
            .accepted_mail_classes
            .iter()
            .map(|m| ja.t(&format!("mail-{m}")))
            .collect::<Vec<_>>()
            .join("または"),
        changes,
        draft,
    })
}

pub async fn blank(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<RequesterQuery>,
) -> Result<HttpResponse, PageError> {
    let form = form_kind(&code)?;
    let p = procedure(&state).await?;
    render(
        StatusCode::OK,
        &print_page(&p, form, requester(&query), None)?,
    )
}

#[derive(Template)]
#[template(path = "pages/public/form_draft.html")]
pub struct DraftPage {
    pub tr: Tr,
    pub csrf: String,
    pub code: &'static str,
    pub title: &'static str,
    pub fields: Vec<FormField>,
    pub has_errors: bool,
}

impl DraftPage {
    fn new(
        tr: Tr,
        csrf: &Csrf,
        form: FormKind,
        rights: &[RightDef],
        raw: &RawFormDraft,
        errors: &FieldErrors,
    ) -> Self {
        let make = FieldMaker { tr: &tr, errors };
        let mut fields = vec![
            make.requester_kind(&raw.requester_kind),
            make.field("name", "form-name", FieldKind::Text, &raw.name),
            make.field(
                "name_kana",
                "forms-name-kana",
                FieldKind::Text,
                &raw.name_kana,
            ),
            make.field(
                "postal_address",
                "postal-address",
                FieldKind::Area,
                &raw.postal_address,
            ),
            make.field("phone", "forms-phone", FieldKind::Text, &raw.phone),
            make.field("email", "postal-email", FieldKind::Text, &raw.email),
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
                "forms-agent-address",
                FieldKind::Area,
                &raw.agent_address,
            ),
            make.field(
                "request_date",
                "postal-request-date",
                FieldKind::Date,
                &raw.request_date,
            ),
            make.field(
                "services",
                "postal-services",
                FieldKind::Area,
                &raw.services,
            ),
        ];
        match form {
            FormKind::Disclosure => {
                fields.push(make.options(
                    "delivery",
                    "forms-delivery",
                    FieldKind::Choice,
                    vec![
                        option(
                            "registered_mail",
                            tr.t("forms-delivery-post"),
                            raw.delivery != "electronic",
                        ),
                        option(
                            "electronic",
                            tr.t("forms-delivery-electronic"),
                            raw.delivery == "electronic",
                        ),
                    ],
                ));
                fields.push(
                    make.options(
                        "third_party_records",
                        "forms-also",
                        FieldKind::Checks,
                        // The form's other right (the records of provision to third parties).
                        rights
                            .iter()
                            .skip(1)
                            .take(1)
                            .map(|r| {
                                option(
                                    "on",
                                    r.label.get(tr.lang).to_owned(),
                                    !raw.third_party_records.is_empty(),
                                )
                            })
                            .collect(),
                    ),
                );
            }
            FormKind::Correction => {
                fields.push(
                    make.options(
                        "change",
                        "forms-change",
                        FieldKind::Choice,
                        rights
                            .iter()
                            .map(|r| {
                                option(
                                    r.code.as_str(),
                                    r.label.get(tr.lang).to_owned(),
                                    raw.change == r.code.as_str(),
                                )
                            })
                            .collect(),
                    ),
                );
                fields.push(make.field(
                    "current_content",
                    "forms-current",
                    FieldKind::Area,
                    &raw.current_content,
                ));
                fields.push(make.field(
                    "new_content",
                    "forms-new",
                    FieldKind::Area,
                    &raw.new_content,
                ));
            }
            FormKind::PurposeNotification => {}
        }
        fields.push(make.field("details", "form-message", FieldKind::Area, &raw.details));
        Self {
            tr,
            csrf: csrf.token(),
            code: form.as_str(),
            title: form.title_ja(),
            fields,
            has_errors: !errors.is_empty(),
        }
    }
}

pub async fn draft_form(
    state: web::Data<AppState>,
    tr: Tr,
    csrf: Csrf,
    code: web::Path<String>,
    query: web::Query<RequesterQuery>,
) -> Result<HttpResponse, PageError> {
    let form = form_kind(&code)?;
    let raw = RawFormDraft {
        requester_kind: requester(&query).as_str().to_owned(),
        ..RawFormDraft::default()
    };
    let rights = procedure(&state).await?.rights(form);
    render(
        StatusCode::OK,
        &DraftPage::new(tr, &csrf, form, &rights, &raw, &FieldErrors::new()),
    )
}

#[derive(Deserialize)]
pub struct DraftInput {
    #[serde(flatten)]
    draft: RawFormDraft,
}

pub async fn print_draft(
    state: web::Data<AppState>,
    tr: Tr,
    code: web::Path<String>,
    input: CsrfForm<DraftInput>,
) -> Result<HttpResponse, PageError> {
    match checked_draft(&state, tr, &code, input).await? {
        Ok(page) => render(StatusCode::OK, &page),
        Err(back) => Ok(back),
    }
}

/// A draft checked into its printable form, or the draft page again with what is wrong (a stale
/// CSRF token: 403; bad input: 422, every field kept).
pub(super) async fn checked_draft(
    state: &AppState,
    tr: Tr,
    code: &str,
    input: CsrfForm<DraftInput>,
) -> Result<Result<PrintPage, HttpResponse>, PageError> {
    let CsrfForm { input, fresh, csrf } = input;
    let form = form_kind(code)?;
    let p = procedure(state).await?;
    let rights = p.rights(form);
    if !fresh {
        let mut page = DraftPage::new(tr, &csrf, form, &rights, &input.draft, &FieldErrors::new());
        page.has_errors = true;
        return Ok(Err(render(StatusCode::FORBIDDEN, &page)?));
    }
    let codes: Vec<_> = rights.iter().map(|r| r.code.clone()).collect();
    match FormDraft::parse(form, &codes, &input.draft, intake::desk_today(state)) {
        Err(errors) => Ok(Err(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &DraftPage::new(tr, &csrf, form, &rights, &input.draft, &errors),
        )?)),
        Ok(draft) => {
            let kind = draft.requester_kind;
            Ok(Ok(print_page(&p, form, kind, Some(draft))?))
        }
    }
}
