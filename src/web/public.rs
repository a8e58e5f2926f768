//! The data subject's pages: the request form, and the private tracking page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client::ClientAddr;
use super::csrf::{CheckedForm, Csrf, CsrfForm};
use super::error::PageError;
use super::language;
use super::outcome::{self, Back};
use super::{redirect, render};
use crate::app::procedures;
use crate::app::{AppError, AppState, intake, limits};
use crate::domain::FieldErrors;
use crate::domain::audit::Actor;
use crate::domain::law::{Laws, Place};
use crate::domain::request::{Channel, Language, NewRequest, RawRequest};
use crate::i18n::Tr;

pub struct TypeOption {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "pages/public/request_form.html")]
pub struct RequestFormPage {
    pub tr: Tr,
    pub csrf: String,
    pub input: RawRequest,
    /// Step 1: the places served, the chosen one selected.
    pub places: Vec<TypeOption>,
    /// The place the rights below are offered for (its code goes with the request).
    pub place: String,
    pub place_name: String,
    /// Step 2: only the rights the place's law grants and a procedure here takes.
    pub types: Vec<TypeOption>,
    /// "Also ask for" boxes, ticked as submitted.
    pub also_types: Vec<TypeOption>,
    /// Each offered right with what the law promises: (label, deadline, fee).
    pub terms: Vec<(String, Option<String>, Option<String>)>,
    /// What the data typed in here is used for and how long it is kept (notice at collection).
    pub collection_notice: String,
    /// Who the place's law lets file (`self`, `agent`, `guardian`): only those are offered.
    pub requesters: Vec<String>,
    /// The age under which a guardian files for a minor here.
    pub minor_under: Option<u32>,
    pub notice: Option<String>,
    pub has_errors: bool,
    pub name_error: Option<String>,
    pub email_error: Option<String>,
    pub request_type_error: Option<String>,
    pub jurisdiction_error: Option<String>,
    pub message_error: Option<String>,
    pub requester_kind_error: Option<String>,
    pub person_name_error: Option<String>,
    pub person_email_error: Option<String>,
    pub guardian_basis_error: Option<String>,
    pub person_born_on_error: Option<String>,
    pub account_id_error: Option<String>,
    /// Where the place's law lets the requester say from when the answer covers (CCPA "know"): the earliest
    /// day, and the rights it is for.
    pub period: Option<(String, String)>,
    pub period_from_error: Option<String>,
    /// The links the served laws word ("Do Not Sell or Share My Personal Information").
    pub privacy_links: Vec<super::preferences::PrivacyLink>,
    /// The browser sends the opt-out preference signal and a law served here honours it.
    pub signal: bool,
    /// The right chosen is a choice (an opt-out): no message is needed.
    pub message_optional: bool,
}

/// The form's place: the one asked for (a served code or alias), else the one the page's language
/// suggests, else the first served.
fn chosen_place<'l>(laws: &'l Laws, asked: &str, lang: Language) -> Option<&'l Place> {
    laws.place(asked.trim())
        .filter(|p| laws.serves(&p.code))
        .or_else(|| laws.default_place(lang))
        .or_else(|| laws.served().next())
}

impl RequestFormPage {
    /// The place's law lets this kind of requester file.
    pub fn admits(&self, kind: &str) -> bool {
        self.requesters.iter().any(|k| k == kind)
    }

    /// The "who is asking" choices, the typed one (or "self") checked.
    pub fn who_options(&self) -> Vec<(&'static str, &'static str, bool)> {
        let chosen = match self.input.requester_kind.trim() {
            "" => "self",
            k => k,
        };
        [
            ("self", "form-who-self"),
            ("agent", "form-who-agent"),
            ("guardian", "form-who-guardian"),
        ]
        .into_iter()
        .filter(|(code, _)| self.requesters.iter().any(|k| k == code))
        .map(|(code, key)| (code, key, chosen == code))
        .collect()
    }

    /// Builds the form for `input.jurisdiction` (or the suggested place), offering what the laws in
    /// force offer there.
    async fn build(
        state: &AppState,
        tr: Tr,
        csrf: &Csrf,
        mut input: RawRequest,
        errors: &FieldErrors,
        notice: Option<String>,
    ) -> Result<Self, PageError> {
        let laws = state.workflows.laws().clone();
        let place = chosen_place(&laws, &input.jurisdiction, tr.lang).cloned();
        let offered = match &place {
            Some(p) => procedures::offered(state, p.code.clone(), Channel::Web).await?,
            None => Vec::new(),
        };
        input.jurisdiction = place
            .as_ref()
            .map(|p| p.code.to_string())
            .unwrap_or_default();
        let err = |field: &str| errors.code_for(field).map(|c| tr.field_error(c));
        let retention = &state.config.retention;
        Ok(Self {
            privacy_links: super::preferences::privacy_links(&laws, &tr),
            signal: false,
            message_optional: place.as_ref().is_some_and(|p| {
                laws.right(p.code.as_str(), input.request_type.trim())
                    .is_some_and(|r| r.preference.is_some())
            }),
            places: laws
                .served()
                .map(|p| TypeOption {
                    code: p.code.to_string(),
                    label: p.name.get(tr.lang).to_owned(),
                    selected: place.as_ref().is_some_and(|c| c.code == p.code),
                })
                .collect(),
            place_name: place
                .as_ref()
                .map(|p| p.name.get(tr.lang).to_owned())
                .unwrap_or_default(),
            place: input.jurisdiction.clone(),
            types: offered
                .iter()
                .map(|r| TypeOption {
                    code: r.code.to_string(),
                    label: r.label.get(tr.lang).to_owned(),
                    selected: input.request_type == r.code.as_str(),
                })
                .collect(),
            also_types: offered
                .iter()
                .map(|r| TypeOption {
                    code: r.code.to_string(),
                    label: r.label.get(tr.lang).to_owned(),
                    selected: input.request_types.iter().any(|c| c == r.code.as_str()),
                })
                .collect(),
            terms: offered
                .iter()
                .map(|r| {
                    (
                        r.label.get(tr.lang).to_owned(),
                        r.deadline.as_ref().map(|d| d.get(tr.lang).to_owned()),
                        r.fee.as_ref().map(|(yen, per)| {
                            tr.t_args(&format!("form-fee-per-{per}"), &[("amount", tr.yen(yen))])
                        }),
                    )
                })
                .collect(),
            requesters: place
                .as_ref()
                .and_then(|p| laws.regime(&p.regime))
                .map(|r| r.requesters.clone())
                .unwrap_or_else(|| vec!["self".to_owned()]),
            minor_under: place
                .as_ref()
                .and_then(|p| laws.regime(&p.regime))
                .and_then(|r| r.minor_under),
            collection_notice: tr.t_args(
                "form-collection-notice",
                &[
                    ("days", retention.document_retention_days.to_string()),
                    ("months", retention.record_retention_months.to_string()),
                ],
            ),
            csrf: csrf.token(),
            notice,
            has_errors: !errors.is_empty(),
            name_error: err("name"),
            email_error: err("email"),
            request_type_error: err("request_type"),
            jurisdiction_error: err("jurisdiction"),
            message_error: err("message"),
            requester_kind_error: err("requester_kind"),
            person_name_error: err("person_name"),
            person_email_error: err("person_email"),
            guardian_basis_error: err("guardian_basis"),
            person_born_on_error: err("person_born_on"),
            account_id_error: err("account_id"),
            period_from_error: err("period_from"),
            period: place.as_ref().and_then(|p| {
                let with: Vec<_> = offered
                    .iter()
                    .filter_map(|r| {
                        laws.right(p.code.as_str(), r.code.as_str())
                            .and_then(|d| d.period_earliest)
                            .map(|e| (e, r.label.get(tr.lang).to_owned()))
                    })
                    .collect();
                let earliest = with.iter().map(|(e, _)| *e).max()?;
                let names: Vec<String> = with.into_iter().map(|(_, l)| l).collect();
                Some((earliest.to_string(), names.join(" · ")))
            }),
            input,
            tr,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct PlaceQuery {
    pub place: Option<String>,
    /// A right to preselect (the "Do Not Sell or Share" link opens the form at the opt-out).
    pub right: Option<String>,
}

/// The request form: step 1 asks where the requester lives (`?place=`, preselected from the page's
/// language), step 2 offers that place's rights. Without JavaScript the place form reloads the page.
pub async fn form(
    state: web::Data<AppState>,
    req: HttpRequest,
    tr: Tr,
    csrf: Csrf,
    q: web::Query<PlaceQuery>,
) -> Result<HttpResponse, PageError> {
    let q = q.into_inner();
    let input = RawRequest {
        jurisdiction: q.place.unwrap_or_default(),
        // Only a short code is kept; the form offers it only where the place's law grants it.
        request_type: q.right.filter(|r| r.len() <= 40).unwrap_or_default(),
        ..RawRequest::default()
    };
    let mut page =
        RequestFormPage::build(&state, tr, &csrf, input, &FieldErrors::new(), None).await?;
    page.signal = super::preferences::signal_sent(&req)
        && super::preferences::signal_honoured_here(state.workflows.laws());
    render(StatusCode::OK, &page)
}

pub async fn submit(
    state: web::Data<AppState>,
    client: ClientAddr,
    tr: Tr,
    // The request's own fields (the token is not one of them); the "also ask for" boxes, one field
    // per ticked right, become a list.
    CsrfForm {
        input: raw,
        fresh,
        csrf,
    }: CsrfForm<RawRequest>,
) -> Result<HttpResponse, PageError> {
    let call = async {
        let parsed = NewRequest::parse(
            &raw,
            tr.lang,
            Channel::Web,
            &**state.workflows.laws(),
            state.clock.now(),
        );
        let admitted = limits::admit(&state, client.0, parsed).await?;
        intake::submit(&state, admitted, Actor::Requester).await
    };
    let limited = |e: &AppError| matches!(e, AppError::RateLimited { .. });
    match outcome::of_showing(fresh, call, limited).await? {
        // The other rights' tracking links ride along once, to be shown on the receipt.
        Ok(receipt) => Ok(redirect(&format!(
            "/track/{}?received=1&lang={}{}",
            receipt.tracking_token,
            tr.lang.as_str(),
            if receipt.also.is_empty() {
                String::new()
            } else {
                format!(
                    "&also={}",
                    receipt
                        .also
                        .iter()
                        .map(|(_, r)| r.tracking_token.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                )
            }
        ))),
        // What was typed is kept: an expired form or a flood's pause should cost a click, not the text.
        Err(back) => {
            let notice = match &back {
                Back::Expired => Some(tr.t("form-expired")),
                Back::Refused(_) => Some(tr.t("form-rate-limited")),
                Back::Invalid(_) => None,
            };
            let (status, retry_after) = (back.status(), back.retry_after());
            let page =
                RequestFormPage::build(&state, tr, &csrf, raw, &back.into_errors(), notice).await?;
            outcome::with_retry_after(render(status, &page), retry_after)
        }
    }
}

#[derive(Template)]
#[template(path = "pages/public/confirm.html")]
pub struct ConfirmPage {
    pub tr: Tr,
    pub csrf: String,
    pub link: String,
    pub v: crate::app::confirm::ConfirmView,
    pub done: bool,
}

/// The link from the confirmation notice: a page with a button, so that a mail scanner opening the
/// link confirms nothing.
pub async fn confirm_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: Csrf,
    link: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    email_link_page(&state, &req, &csrf, link.into_inner(), false).await
}

#[derive(Deserialize)]
pub struct ConfirmForm {}

pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: Csrf,
    link: web::Path<String>,
    _form: CheckedForm<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    email_link_page(&state, &req, &csrf, link.into_inner(), true).await
}

/// An email link's page, before the button is pressed or after (then the address is confirmed first),
/// in the reader's chosen language or else the request's.
async fn email_link_page(
    state: &AppState,
    req: &HttpRequest,
    csrf: &Csrf,
    link: String,
    pressed: bool,
) -> Result<HttpResponse, PageError> {
    let v = if pressed {
        crate::app::confirm::confirm(state, link.clone()).await?
    } else {
        crate::app::confirm::view(state, link.clone()).await?
    };
    let tr = Tr::new(language::chosen(req).unwrap_or(v.language));
    render(
        StatusCode::OK,
        &ConfirmPage {
            tr,
            csrf: csrf.token(),
            link,
            v,
            done: pressed,
        },
    )
}

#[derive(Template)]
#[template(path = "pages/public/person_confirm.html")]
pub struct PersonConfirmPage {
    pub tr: Tr,
    pub csrf: String,
    pub link: String,
    pub v: crate::app::confirm::PersonView,
    pub done: bool,
}

/// The link sent to the person an agent filed for: a page with a button.
pub async fn person_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: Csrf,
    link: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    person_link_page(&state, &req, &csrf, link.into_inner(), false).await
}

pub async fn person_confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: Csrf,
    link: web::Path<String>,
    _form: CheckedForm<ConfirmForm>,
) -> Result<HttpResponse, PageError> {
    person_link_page(&state, &req, &csrf, link.into_inner(), true).await
}

/// The person's link page, as `email_link_page` is the requester's.
async fn person_link_page(
    state: &AppState,
    req: &HttpRequest,
    csrf: &Csrf,
    link: String,
    pressed: bool,
) -> Result<HttpResponse, PageError> {
    let v = if pressed {
        let v = crate::app::confirm::confirm_person(state, link.clone()).await?;
        // Back to the agent that opened the verification page for the person (DRP §3.02.1).
        if let Some(to) = &v.return_to {
            return Ok(redirect(to));
        }
        v
    } else {
        crate::app::confirm::person_view_for(state, link.clone()).await?
    };
    let tr = Tr::new(language::chosen(req).unwrap_or(v.language));
    render(
        StatusCode::OK,
        &PersonConfirmPage {
            tr,
            csrf: csrf.token(),
            link,
            v,
            done: pressed,
        },
    )
}
