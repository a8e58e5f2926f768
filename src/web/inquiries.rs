//! Inquiries and complaints on the web: the public form and its receipt, the desk's list, its form to
//! record one that came another way, each one's page (acknowledge, answer, its letters as PDF), and the
//! same over the API.

use crate::domain::code::Code;
use crate::domain::ids::{InquiryId, NoticeId};
use crate::domain::notice::{NoticeChannel, NoticeStatus};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client::ClientAddr;
use super::csrf::{Csrf, CsrfForm};
use super::error::PageError;
use super::outcome::{self, Back, PageOf};
use super::session::{Authorized, WorkRequests};
use super::{redirect, render};
use crate::app::AppState;
use crate::app::inquiries::{self, InquiryNotice, InquiryView};
use crate::app::staff::StaffMember;
use crate::domain::FieldErrors;
use crate::domain::inquiry::{InquiryChannel, RawInquiry};
use crate::i18n::Tr;

/// A kind of inquiry in the reader's language (its code where no file names it any more).
pub fn kind_label(laws: &crate::domain::law::Laws, tr: &Tr, code: &str) -> String {
    laws.inquiries
        .kind(code)
        .map(|k| k.label.get(tr.lang).to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// What the public form and the desk's form share: the fields, their values and their problems.
pub struct InquiryForm {
    pub tr: Tr,
    pub input: RawInquiry,
    pub errors: FieldErrors,
    /// (code, label, hint) of each kind the desk takes.
    pub kinds: Vec<(String, String, String)>,
    /// (code, name) of each place served.
    pub places: Vec<(String, String)>,
}

impl InquiryForm {
    fn new(state: &AppState, tr: Tr, mut input: RawInquiry, errors: FieldErrors) -> Self {
        let laws = state.workflows.laws();
        // A Japanese page suggests Japan, as on the request form; the person may choose otherwise.
        if input.place.is_empty()
            && errors.is_empty()
            && let Some(p) = laws.default_place(tr.lang)
        {
            input.place = p.code.as_str().to_owned();
        }
        let kinds = laws
            .inquiries
            .kinds
            .iter()
            .map(|k| {
                (
                    k.code.clone(),
                    k.label.get(tr.lang).to_owned(),
                    k.hint
                        .as_ref()
                        .map(|h| h.get(tr.lang).to_owned())
                        .unwrap_or_default(),
                )
            })
            .collect();
        let places = laws
            .served()
            .map(|p| (p.code.as_str().to_owned(), p.name.get(tr.lang).to_owned()))
            .collect();
        InquiryForm {
            tr,
            input,
            errors,
            kinds,
            places,
        }
    }

    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }

    pub fn value(&self, field: &str) -> &str {
        let i = &self.input;
        match field {
            "kind" => &i.kind,
            "place" => &i.place,
            "name" => &i.name,
            "email" => &i.email,
            "postal_address" => &i.postal_address,
            "subject" => &i.subject,
            "body" => &i.body,
            "about" => &i.about,
            "channel" => &i.channel,
            "received_on" => &i.received_on,
            _ => "",
        }
    }

    /// `aria-invalid` and `aria-describedby` for a field with a problem.
    pub fn aria(&self, field: &str) -> String {
        if self.errors.code_for(field).is_some() {
            format!(" aria-invalid=\"true\" aria-describedby=\"{field}-error\"")
        } else {
            String::new()
        }
    }

    pub fn channels(&self) -> Vec<(&'static str, String)> {
        InquiryChannel::ALL
            .iter()
            .filter(|c| **c != InquiryChannel::Web)
            .map(|c| {
                (
                    c.as_str(),
                    self.tr.t(&format!("inquiry-channel-{}", c.as_str())),
                )
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "pages/public/inquiry.html")]
pub struct PublicPage {
    pub tr: Tr,
    pub csrf: String,
    pub f: InquiryForm,
    pub notice: Option<String>,
    /// The reference of the matter just received.
    pub received: Option<InquiryView>,
}

pub async fn form(
    state: web::Data<AppState>,
    tr: Tr,
    csrf: Csrf,
    q: web::Query<super::public::PlaceQuery>,
) -> Result<HttpResponse, PageError> {
    let input = RawInquiry {
        place: q.into_inner().place.unwrap_or_default(),
        ..RawInquiry::default()
    };
    let f = InquiryForm::new(&state, tr, input, FieldErrors::new());
    render(
        StatusCode::OK,
        &PublicPage {
            tr,
            csrf: csrf.token(),
            f,
            notice: None,
            received: None,
        },
    )
}

pub async fn submit(
    state: web::Data<AppState>,
    client: ClientAddr,
    tr: Tr,
    CsrfForm { input, fresh, csrf }: CsrfForm<RawInquiry>,
) -> Result<HttpResponse, PageError> {
    // The public form takes neither a channel nor a day: it is the web, today.
    let raw = RawInquiry {
        channel: String::new(),
        received_on: String::new(),
        ..input
    };
    let call = inquiries::receive(&state, None, client.0, raw.clone(), tr.lang);
    let limited = |e: &crate::app::AppError| matches!(e, crate::app::AppError::RateLimited { .. });
    let (status, f, notice, received, retry_after) =
        match outcome::of_showing(fresh, call, limited).await? {
            Ok(view) => (
                StatusCode::OK,
                InquiryForm::new(&state, tr, RawInquiry::default(), FieldErrors::new()),
                None,
                Some(view),
                None,
            ),
            Err(back) => {
                let notice = match &back {
                    Back::Expired => Some(tr.t("form-expired")),
                    Back::Refused(_) => Some(tr.t("form-rate-limited")),
                    Back::Invalid(_) => None,
                };
                let (status, retry) = (back.status(), back.retry_after());
                let f = InquiryForm::new(&state, tr, raw, back.into_errors());
                (status, f, notice, None, retry)
            }
        };
    let page = PublicPage {
        tr,
        csrf: csrf.token(),
        f,
        notice,
        received,
    };
    outcome::with_retry_after(render(status, &page), retry_after)
}

#[derive(Template)]
#[template(path = "pages/staff/inquiries.html")]
pub struct ListPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub inquiries: Vec<InquiryView>,
    pub open_only: bool,
    pub f: InquiryForm,
    pub notice: Option<String>,
}

impl ListPage {
    pub fn kind(&self, code: &str) -> String {
        self.f
            .kinds
            .iter()
            .find(|(c, _, _)| c == code)
            .map(|(_, l, _)| l.clone())
            .unwrap_or_else(|| code.to_owned())
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    /// `all` shows answered ones too.
    show: Option<String>,
    kind: Option<String>,
}

/// The desk's form as the list page shows it: empty, or back with its problems.
struct Shown {
    f: InquiryForm,
    status: StatusCode,
    notice: Option<String>,
}

async fn list_page(
    state: &AppState,
    staff: StaffMember,
    tr: Tr,
    csrf: &Csrf,
    q: ListQuery,
    Shown { f, status, notice }: Shown,
) -> Result<HttpResponse, PageError> {
    let open_only = q.show.as_deref() != Some("all");
    let inquiries = inquiries::list(state, open_only, q.kind.filter(|k| !k.is_empty())).await?;
    render(
        status,
        &ListPage {
            tr,
            csrf: csrf.token(),
            staff,
            inquiries,
            open_only,
            f,
            notice,
        },
    )
}

pub async fn list(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let shown = Shown {
        f: InquiryForm::new(&state, tr, RawInquiry::default(), FieldErrors::new()),
        status: StatusCode::OK,
        notice: None,
    };
    list_page(&state, who.staff, tr, &csrf, q.into_inner(), shown).await
}

/// An officer records a matter that came by post, telephone, e-mail or in person.
pub async fn record(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    CsrfForm { input, fresh, csrf }: CsrfForm<RawInquiry>,
) -> Result<HttpResponse, PageError> {
    let call = inquiries::receive(&state, Some(&who.staff), None, input.clone(), tr.lang);
    match outcome::of(fresh, call).await? {
        Ok(view) => Ok(redirect(&format!("/staff/inquiries/{}", view.id))),
        Err(back) => {
            let notice = back.expiry_notice(tr);
            let status = back.status();
            let shown = Shown {
                f: InquiryForm::new(&state, tr, input, back.into_errors()),
                status,
                notice,
            };
            list_page(&state, who.staff, tr, &csrf, ListQuery::default(), shown).await
        }
    }
}

#[derive(Template)]
#[template(path = "pages/staff/inquiry.html")]
pub struct DetailPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub q: InquiryView,
    pub notices: Vec<InquiryNotice>,
    pub kind: String,
    pub answer: String,
    pub problem: Option<String>,
}

async fn detail_page(
    state: &AppState,
    staff: StaffMember,
    tr: Tr,
    csrf: &Csrf,
    id: InquiryId,
    answer: String,
    problem: Option<(StatusCode, String)>,
) -> Result<HttpResponse, PageError> {
    let (q, notices) = inquiries::detail(state, &staff, id).await?;
    let kind = kind_label(state.workflows.laws(), &tr, &q.kind);
    let (status, problem) = match problem {
        Some((s, p)) => (s, Some(p)),
        None => (StatusCode::OK, None),
    };
    render(
        status,
        &DetailPage {
            tr,
            csrf: csrf.token(),
            staff,
            q,
            notices,
            kind,
            answer,
            problem,
        },
    )
}

pub async fn show(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    csrf: Csrf,
    id: web::Path<InquiryId>,
) -> Result<HttpResponse, PageError> {
    detail_page(
        &state,
        who.staff,
        tr,
        &csrf,
        id.into_inner(),
        String::new(),
        None,
    )
    .await
}

#[derive(Deserialize, Clone, Default)]
#[serde(default)]
pub struct ActForm {
    /// Acknowledging: `letter` (or e-mail, where there is an address) or `in_person`.
    how: String,
    /// Answering: the answer.
    answer: String,
}

/// What an officer's act on an inquiry's page comes to: back on the page, or the page again with the
/// problem beside `field` and the answer as typed.
impl PageOf<'_, InquiryId> {
    async fn settle<T>(
        self,
        answer: Result<T, Back>,
        field: &str,
        kept_answer: String,
    ) -> Result<HttpResponse, PageError> {
        match answer {
            Ok(_) => Ok(redirect(&format!("/staff/inquiries/{}", self.id))),
            Err(back) => {
                let status = back.status();
                let problem = super::staff::problem_beside(back, &self.tr, &[field]);
                let shown = Some((status, problem));
                let (state, staff, tr, csrf) = (self.state, self.staff, self.tr, self.csrf);
                detail_page(state, staff, tr, csrf, self.id, kept_answer, shown).await
            }
        }
    }
}

pub async fn acknowledge(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    id: web::Path<InquiryId>,
    CsrfForm { input, fresh, csrf }: CsrfForm<ActForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let call = inquiries::acknowledge(&state, &who.staff, id.clone(), input.how == "in_person");
    let answer = outcome::of(fresh, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "inquiry", String::new()).await
}

pub async fn answer(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    id: web::Path<InquiryId>,
    CsrfForm { input, fresh, csrf }: CsrfForm<ActForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let call = inquiries::answer(&state, &who.staff, id.clone(), input.answer.clone());
    let answer = outcome::of(fresh, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "answer", input.answer).await
}

/// A letter about an inquiry (its acknowledgement or answer, for a matter with no e-mail address) as
/// an A4 PDF, its addressee in the envelope window.
pub async fn letter_pdf(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    path: web::Path<(InquiryId, NoticeId)>,
) -> Result<HttpResponse, PageError> {
    let (id, notice_id) = path.into_inner();
    let sheet =
        crate::app::inquiry_letters::letter(&state, &who.staff, id, notice_id.clone()).await?;
    let filename = format!("letter-{}-{notice_id}.pdf", sheet.receipt_number);
    super::replies::pdf_response(&state, sheet, &filename).await
}

/// An officer records that a printed letter about an inquiry went out.
pub async fn posted(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    path: web::Path<(InquiryId, NoticeId)>,
    csrf: Csrf,
    super::csrf::CheckedForm(_): super::csrf::CheckedForm<ActForm>,
) -> Result<HttpResponse, PageError> {
    let (id, notice_id) = path.into_inner();
    let call =
        crate::app::inquiry_letters::letter_posted(&state, &who.staff, id.clone(), notice_id);
    let answer = outcome::of(true, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "notice", String::new()).await
}

/// An officer sends a failed e-mail about an inquiry again.
pub async fn retry(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    path: web::Path<(InquiryId, NoticeId)>,
    csrf: Csrf,
    super::csrf::CheckedForm(_): super::csrf::CheckedForm<ActForm>,
) -> Result<HttpResponse, PageError> {
    let (id, notice_id) = path.into_inner();
    let call = crate::app::notices::retry_failed(
        &state,
        &who.staff,
        crate::app::notices::NoticeOwner::Inquiry(id.clone()),
        notice_id,
    );
    let answer = outcome::of(true, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "notice", String::new()).await
}
