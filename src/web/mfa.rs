//! The second step of staff sign-in on the web: the code after the password, enrolling an
//! authenticator app (QR code, then the recovery codes shown once), and an administrator's reset of a
//! member's enrolment.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::auth::landing;
use super::client::ClientAddr;
use super::cookies::CookieNames;
use super::csrf::{Csrf, CsrfForm, cookie};
use super::error::{PageError, WebError};
use super::outcome::{self, Back};
use super::session::{Administer, Authorized, SignedIn};
use super::{redirect, render};
use crate::app::mfa::{self, Enrolment};
use crate::app::staff::SecondStep;
use crate::app::{AppError, AppState};
use crate::domain::ids::StaffId;
use crate::i18n::Tr;

pub enum MfaView {
    Code,
    Enrol(Enrolment),
    RecoveryCodes(Vec<String>),
}

#[derive(Template)]
#[template(path = "pages/staff/mfa.html")]
pub struct MfaPage {
    pub tr: Tr,
    pub csrf: String,
    pub view: MfaView,
    pub error: Option<String>,
    /// Where "continue" leads after the recovery codes.
    pub next: &'static str,
}

impl MfaPage {
    /// The page for `who`, showing `view` with `error` above it.
    fn new(tr: Tr, csrf: &Csrf, who: &SignedIn, view: MfaView, error: Option<String>) -> Self {
        MfaPage {
            tr,
            csrf: csrf.token(),
            view,
            error,
            next: landing(who.staff.role),
        }
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// The message above the form when it comes back.
fn problem(tr: Tr, back: &Back) -> String {
    match back {
        Back::Refused(AppError::SignInThrottled { retry_after_secs }) => tr.t_args(
            "staff-login-throttled",
            &[("minutes", retry_after_secs.div_ceil(60).to_string())],
        ),
        Back::Expired => tr.t("form-expired"),
        _ => tr.t("error-wrong_code"),
    }
}

fn shown(e: &AppError) -> bool {
    matches!(e, AppError::SignInThrottled { .. })
}

/// The answer with the session's new cookie (the token changes when the second step is passed).
fn with_session(
    state: &AppState,
    mut res: HttpResponse,
    token: String,
) -> Result<HttpResponse, PageError> {
    let names = CookieNames::for_config(&state.config.http);
    res.add_cookie(&cookie(
        names.session,
        token,
        state.config.http.cookie_secure,
    ))
    .map_err(|e| WebError::BadBody(e.to_string()))?;
    Ok(res)
}

pub async fn code_form(who: SignedIn, tr: Tr, csrf: Csrf) -> Result<HttpResponse, PageError> {
    match who.second_step {
        SecondStep::Due => {}
        SecondStep::EnrolFirst => return Ok(redirect(SecondStep::EnrolFirst.page())),
        SecondStep::Passed | SecondStep::NotRequired => {
            return Ok(redirect(landing(who.staff.role)));
        }
    }
    render(
        StatusCode::OK,
        &MfaPage::new(tr, &csrf, &who, MfaView::Code, None),
    )
}

pub async fn verify(
    state: web::Data<AppState>,
    who: SignedIn,
    client: ClientAddr,
    tr: Tr,
    CsrfForm { input, fresh, csrf }: CsrfForm<CodeForm>,
) -> Result<HttpResponse, PageError> {
    let call = mfa::verify(
        &state,
        &who.staff,
        who.session_token.clone(),
        input.code,
        client.0,
    );
    match outcome::of_showing(fresh, call, shown).await? {
        Ok(token) => with_session(&state, redirect(landing(who.staff.role)), token),
        Err(back) => {
            let error = Some(problem(tr, &back));
            let page = MfaPage::new(tr, &csrf, &who, MfaView::Code, error);
            let retry_after = back.retry_after();
            outcome::with_retry_after(render(back.status(), &page), retry_after)
        }
    }
}

pub async fn enrol_form(
    state: web::Data<AppState>,
    who: SignedIn,
    tr: Tr,
    csrf: Csrf,
) -> Result<HttpResponse, PageError> {
    // Enrolling is for a session past the password that is not waiting for a code.
    if who.second_step == SecondStep::Due {
        return Ok(redirect(SecondStep::Due.page()));
    }
    match mfa::enrolment(&state, &who.staff).await? {
        None => Ok(redirect("/staff/account")),
        Some(enrolment) => {
            let page = MfaPage::new(tr, &csrf, &who, MfaView::Enrol(enrolment), None);
            render(StatusCode::OK, &page)
        }
    }
}

pub async fn enrol(
    state: web::Data<AppState>,
    who: SignedIn,
    client: ClientAddr,
    tr: Tr,
    CsrfForm { input, fresh, csrf }: CsrfForm<CodeForm>,
) -> Result<HttpResponse, PageError> {
    if who.second_step == SecondStep::Due {
        return Ok(redirect(SecondStep::Due.page()));
    }
    let call = mfa::confirm(
        &state,
        &who.staff,
        who.session_token.clone(),
        input.code,
        client.0,
    );
    let mut new_token = None;
    let (status, view, error, retry_after) = match outcome::of_showing(fresh, call, shown).await? {
        Ok(enrolled) => {
            new_token = Some(enrolled.session_token);
            let codes = MfaView::RecoveryCodes(enrolled.recovery_codes);
            (StatusCode::OK, codes, None, None)
        }
        Err(back) => match mfa::enrolment(&state, &who.staff).await? {
            None => return Ok(redirect("/staff/account")),
            Some(e) => (
                back.status(),
                MfaView::Enrol(e),
                Some(problem(tr, &back)),
                back.retry_after(),
            ),
        },
    };
    let page = MfaPage::new(tr, &csrf, &who, view, error);
    let res = outcome::with_retry_after(render(status, &page), retry_after)?;
    match new_token {
        Some(token) => with_session(&state, res, token),
        None => Ok(res),
    }
}

/// An administrator resets a member's enrolment with a fresh code of their own.
pub async fn reset(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    client: ClientAddr,
    tr: Tr,
    id: web::Path<StaffId>,
    CsrfForm { input, fresh, csrf }: CsrfForm<CodeForm>,
) -> Result<HttpResponse, PageError> {
    let call = mfa::reset(&state, &who.staff, input.code, id.into_inner(), client.0);
    match outcome::of_showing(fresh, call, shown).await? {
        Ok(()) => Ok(redirect("/staff/people")),
        Err(back) => {
            let message = problem(tr, &back);
            super::people::shown_again(&state, who.staff, tr, &csrf, &back, message).await
        }
    }
}
