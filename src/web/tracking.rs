//! The requester's tracking page and what they do from it: send evidence, press the procedure's buttons
//! (withdraw, appeal), and the page that sends lost tracking links again without telling whether any exist.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client::ClientAddr;
use super::csrf::{Csrf, CsrfForm};
use super::error::{PageError, WebError};
use super::language;
use super::outcome::{self, Back};
use super::{redirect, render};
use crate::app::tracking::{self, RawAction};
use crate::app::{AppError, AppState};
use crate::config::UploadKind;
use crate::domain::FieldErrors;
use crate::domain::identity::RawEvidence;
use crate::i18n::Tr;

/// A button of the tracking page (`requester_action` in the workflow): the state change and its notice, or
/// the page again with why not, the statement kept.
pub async fn act(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    form: CsrfForm<RawAction>,
) -> Result<HttpResponse, PageError> {
    let (token, event) = path.into_inner();
    let CsrfForm { input, fresh, csrf } = form;
    let call = tracking::act(&state, token.clone(), event.clone(), input.clone());
    // The request moved on meanwhile (a second tab, a replayed post): said on the page, nothing written.
    let moved_on = |e: &AppError| matches!(e, AppError::Transition(_) | AppError::Conflict);
    match outcome::of_showing(fresh, call, moved_on).await? {
        Ok(()) => Ok(redirect(&format!("/track/{token}?done={event}#track-next"))),
        Err(back) => {
            let status = back.status();
            let mut page = track_page(&state, &req, &csrf, token).await?;
            page.action_errors = match back {
                Back::Expired => one("action", "form_expired"),
                Back::Refused(_) => one("action", "action_unavailable"),
                back => back.into_errors(),
            };
            page.action_event = event;
            page.action_input = input;
            render(status, &page)
        }
    }
}

fn one(field: &'static str, code: &'static str) -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.push(field, code);
    errors
}

#[derive(Template)]
#[template(path = "pages/public/track_lost.html")]
pub struct LostLinksPage {
    pub tr: Tr,
    pub csrf: String,
    pub email: String,
    pub errors: FieldErrors,
    /// The ask was taken: the same words whether or not a request was filed with the address.
    pub sent: bool,
    pub notice: Option<String>,
}

impl LostLinksPage {
    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }
}

#[derive(Clone, Default, Deserialize)]
pub struct LostLinksForm {
    #[serde(default)]
    email: String,
}

/// The address never reaches a log through `Debug`.
impl std::fmt::Debug for LostLinksForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LostLinksForm").finish_non_exhaustive()
    }
}

#[derive(Debug, Deserialize)]
pub struct LostLinksQuery {
    sent: Option<String>,
}

/// The form asking for lost tracking links.
pub async fn lost_page(
    req: HttpRequest,
    csrf: Csrf,
    q: web::Query<LostLinksQuery>,
) -> Result<HttpResponse, PageError> {
    let page = LostLinksPage {
        tr: Tr::new(language::negotiate(&req)),
        csrf: csrf.token(),
        email: String::new(),
        errors: FieldErrors::new(),
        sent: q.sent.is_some(),
        notice: None,
    };
    render(StatusCode::OK, &page)
}

/// Sends the links again: a malformed address comes back with its message; any well-formed one is
/// answered alike, found or not.
pub async fn lost_send(
    state: web::Data<AppState>,
    req: HttpRequest,
    client: ClientAddr,
    form: CsrfForm<LostLinksForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { input, fresh, csrf } = form;
    let call = tracking::resend_links(&state, client.0, &input.email);
    let limited = |e: &AppError| matches!(e, AppError::RateLimited { .. });
    match outcome::of_showing(fresh, call, limited).await? {
        Ok(_queued) => Ok(redirect("/track?sent=1")),
        Err(back) => {
            let tr = Tr::new(language::negotiate(&req));
            let notice = match &back {
                Back::Refused(_) => Some(tr.t("form-rate-limited")),
                other => other.summary(tr),
            };
            let (status, retry_after) = (back.status(), back.retry_after());
            let page = LostLinksPage {
                tr,
                csrf: csrf.token(),
                email: input.email,
                errors: back.into_errors(),
                sent: false,
                notice,
            };
            outcome::with_retry_after(render(status, &page), retry_after)
        }
    }
}

#[derive(Template)]
#[template(path = "pages/public/track.html")]
pub struct TrackPage {
    pub tr: Tr,
    pub view: tracking::TrackingView,
    pub just_received: bool,
    pub tracking_url: String,
    pub token: String,
    pub csrf: String,
    /// What was typed into the evidence form, kept when it is shown again with errors.
    pub input: RawEvidence,
    pub file_kind: String,
    pub errors: FieldErrors,
    /// Evidence was just received.
    pub sent: bool,
    /// On the receipt: the other requests filed in the same submission (receipt number, right, link).
    pub also: Vec<(String, String, String)>,
    /// A requester action was just carried out (its event).
    pub done: Option<String>,
    /// A requester action sent back: which, what was typed, and why.
    pub action_event: String,
    pub action_input: crate::app::tracking::RawAction,
    pub action_errors: FieldErrors,
    /// The browser's opt-out preference signal holds for the person (recorded now or before).
    pub signal_honoured: bool,
}

impl TrackPage {
    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }

    /// The message beside a field of the action `event`'s form, if that form was sent back.
    pub fn action_err(&self, event: &str, field: &str) -> Option<String> {
        (self.action_event == event)
            .then(|| self.action_errors.code_for(field))
            .flatten()
            .map(|c| self.tr.field_error(c))
    }

    /// Something other than closing the request is offered (an appeal): a refusal may be reconsidered.
    pub fn reconsider_offered(&self) -> bool {
        self.view.actions.iter().any(|a| !a.closes)
    }

    /// Why an action sent back is no longer offered (the request moved on): shown above the next steps,
    /// since its form is gone.
    pub fn gone_action_error(&self) -> Option<String> {
        if self
            .view
            .actions
            .iter()
            .any(|a| a.event == self.action_event)
        {
            return None;
        }
        self.action_err(&self.action_event, "action")
    }

    /// What was typed into the action `event`'s statement, kept when its form comes back.
    pub fn statement_for(&self, event: &str) -> &str {
        if self.action_event == event {
            &self.action_input.statement
        } else {
            ""
        }
    }

    /// The data points a requester may offer, with what they typed.
    pub fn point_fields(&self) -> Vec<(&'static str, &str)> {
        crate::domain::identity::OFFERED_POINTS
            .iter()
            .map(|&name| {
                let value = match name {
                    "account_id" => &self.input.account_id,
                    "phone" => &self.input.phone,
                    "postal_code" => &self.input.postal_code,
                    _ => &self.input.last_order,
                };
                (name, value.as_str())
            })
            .collect()
    }
}

#[derive(Debug, Deserialize)]
pub struct TrackQuery {
    received: Option<String>,
    sent: Option<String>,
    also: Option<String>,
    done: Option<String>,
}

pub async fn track(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: Csrf,
    token: web::Path<String>,
    query: web::Query<TrackQuery>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let mut page = track_page(&state, &req, &csrf, token.clone()).await?;
    // Global Privacy Control: the person is known here, so the signal is their opt-out (CCPA §7025),
    // and the page says it was honoured (§7025(c)(6)). A failure to record it never costs the page.
    if super::preferences::signal_sent(&req) {
        page.signal_honoured =
            match crate::app::preferences::honour_signal(&state, token.clone()).await {
                Ok(held) => held.is_some(),
                Err(e) => {
                    tracing::warn!(error = %e, "the opt-out preference signal was not recorded");
                    false
                }
            };
    }
    page.just_received = query.received.is_some();
    page.sent = query.sent.is_some();
    page.done = query.done.clone().filter(|d| d.len() <= 64);
    if let Some(also) = query.also.as_deref().filter(|_| page.just_received) {
        let others = also.split(',').map(str::to_owned).collect();
        page.also = tracking::filed_with(&state, token, others)
            .await?
            .into_iter()
            .map(|(number, kind, t)| {
                (
                    number,
                    state
                        .workflows
                        .laws()
                        .right_label(None, kind.as_str(), page.tr.lang),
                    format!("{}/track/{t}", state.config.http.public_url),
                )
            })
            .collect();
    }
    render(StatusCode::OK, &page)
}

pub(super) async fn track_page(
    state: &AppState,
    req: &HttpRequest,
    csrf: &Csrf,
    token: String,
) -> Result<TrackPage, PageError> {
    let view = tracking::track(state, token.clone()).await?;
    // The requester's own language unless they switched.
    let tr = Tr::new(language::chosen(req).unwrap_or(view.language));
    Ok(TrackPage {
        tr,
        view,
        just_received: false,
        tracking_url: format!("{}/track/{token}", state.config.http.public_url),
        token,
        csrf: csrf.token(),
        input: RawEvidence::default(),
        file_kind: String::new(),
        errors: FieldErrors::new(),
        sent: false,
        also: Vec::new(),
        done: None,
        action_event: String::new(),
        action_input: Default::default(),
        action_errors: FieldErrors::new(),
        signal_honoured: false,
    })
}

/// Data points, a declaration, an identity document or an agent's authorisation, sent from the tracking
/// page. Problems re-render the page with the typed values kept (the file must be chosen again).
pub async fn submit_evidence(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: Csrf,
    token: web::Path<String>,
    payload: actix_multipart::Multipart,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    // A made-up link is answered before its body is read.
    if !crate::app::tracking::leads_somewhere(&state, &token).await? {
        return Err(WebError::App(AppError::NotFound).into());
    }
    let read = super::uploads::read(
        payload,
        state.config.http.upload_limit(UploadKind::Scan),
        &csrf,
    )
    .await;
    let (raw, file_kind, answer) = match read {
        Ok(upload) => {
            let raw = RawEvidence {
                account_id: upload.text("account_id"),
                phone: upload.text("phone"),
                postal_code: upload.text("postal_code"),
                last_order: upload.text("last_order"),
                declaration: upload.text("declaration"),
                declaration_name: upload.text("declaration_name"),
            };
            let file_kind = upload.text("file_kind");
            let fresh = upload.fresh;
            let file = upload.file.map(|bytes| crate::app::evidence::AttachedFile {
                kind: file_kind.clone(),
                bytes,
            });
            let call = crate::app::evidence::submit(&state, token.clone(), raw.clone(), file);
            (raw, file_kind, outcome::of(fresh, call).await?)
        }
        // An upload refused as it was read (too large, not a kind we take) comes back like bad input.
        Err(WebError::App(AppError::Invalid(errors))) => (
            RawEvidence::default(),
            String::new(),
            Err(Back::Invalid(errors)),
        ),
        Err(e) => return Err(e.into()),
    };
    match answer {
        Ok(()) => Ok(redirect(&format!("/track/{token}?sent=1#evidence"))),
        Err(back) => {
            let status = back.status();
            let mut page = track_page(&state, &req, &csrf, token).await?;
            page.errors = match back {
                Back::Expired => {
                    let mut errors = FieldErrors::new();
                    errors.push("evidence", "form_expired");
                    errors
                }
                back => back.into_errors(),
            };
            page.input = raw;
            page.file_kind = file_kind;
            render(status, &page)
        }
    }
}

#[derive(Deserialize)]
pub struct AssertionQuery {
    #[serde(default)]
    assertion: String,
}

/// The company's account page sends the signed-in requester here with an identity assertion; verified,
/// they land on their tracking page.
pub async fn account_verified(
    state: web::Data<AppState>,
    token: web::Path<String>,
    q: web::Query<AssertionQuery>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    crate::app::identity::verify_by_assertion(&state, token.clone(), q.into_inner().assertion)
        .await?;
    Ok(redirect(&format!("/track/{token}")))
}
