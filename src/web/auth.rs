//! Staff sign-in and sign-out, and the first administrator's setup.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::client::ClientAddr;
use super::cookies::CookieNames;
use super::csrf::{Button, CheckedForm, Csrf, CsrfForm, cookie};
use super::error::{PageError, WebError};
use super::outcome::{self, Back};
use super::session::{AnyStaff, Authorized, SignedIn};
use super::{redirect, render};
use crate::app::sign_in;
use crate::app::staff::{self, SetupInput};
use crate::app::{AppError, AppState};
use crate::domain::FieldErrors;
use crate::domain::staff::Role;
use crate::i18n::Tr;
use crate::security::tokens;

#[derive(Template)]
#[template(path = "pages/staff/login.html")]
pub struct LoginPage {
    pub tr: Tr,
    pub csrf: String,
    pub email: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    setup: Option<String>,
}

pub async fn login_form(
    tr: Tr,
    csrf: Csrf,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, PageError> {
    let page = LoginPage {
        tr,
        csrf: csrf.token(),
        email: String::new(),
        error: None,
        notice: query.setup.as_ref().map(|_| tr.t("setup-done")),
    };
    render(StatusCode::OK, &page)
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct LoginInput {
    email: String,
    password: String,
}

pub(super) fn landing(role: Role) -> &'static str {
    match role {
        Role::Officer | Role::Admin => "/staff/requests",
        Role::Auditor => "/staff/audit",
        Role::SystemOwner => "/staff/systems",
    }
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    client: ClientAddr,
    tr: Tr,
    CsrfForm { input, fresh, csrf }: CsrfForm<LoginInput>,
) -> Result<HttpResponse, PageError> {
    let LoginInput { email, password } = input;
    let held = req
        .cookie(CookieNames::for_config(&state.config.http).session)
        .map(|c| c.value().to_owned());
    let call = sign_in::login(&state, email.clone(), password, client.0, held);
    let wrong = |e: &AppError| {
        matches!(
            e,
            AppError::BadCredentials | AppError::SignInThrottled { .. }
        )
    };
    match outcome::of_showing(fresh, call, wrong).await? {
        Ok(login) => {
            let secure = state.config.http.cookie_secure;
            let names = CookieNames::for_config(&state.config.http);
            let next = if login.second_step.done() {
                landing(login.staff.role)
            } else {
                login.second_step.page()
            };
            let mut res = redirect(next);
            res.add_cookie(&cookie(names.session, login.session_token, secure))
                .map_err(|e| WebError::BadBody(e.to_string()))?;
            // A fresh CSRF seed after sign-in, so a token planted before it is worthless.
            res.add_cookie(&cookie(names.csrf, tokens::new_token(), secure))
                .map_err(|e| WebError::BadBody(e.to_string()))?;
            Ok(res)
        }
        Err(back) => {
            let error = match &back {
                Back::Expired => tr.t("form-expired"),
                Back::Refused(AppError::SignInThrottled { retry_after_secs }) => tr.t_args(
                    "staff-login-throttled",
                    &[("minutes", retry_after_secs.div_ceil(60).to_string())],
                ),
                _ => tr.t("staff-login-failed"),
            };
            let page = LoginPage {
                tr,
                csrf: csrf.token(),
                email,
                error: Some(error),
                notice: None,
            };
            let retry_after = back.retry_after();
            outcome::with_retry_after(render(back.status(), &page), retry_after)
        }
    }
}

pub async fn logout(
    state: web::Data<AppState>,
    who: SignedIn,
    _form: CheckedForm<Button>,
) -> Result<HttpResponse, PageError> {
    staff::logout(&state, &who.staff, who.session_token).await?;
    signed_out(&state)
}

/// After signing out (here or everywhere): to the sign-in page, the browser's session cookie removed.
pub(super) fn signed_out(state: &AppState) -> Result<HttpResponse, PageError> {
    let mut res = redirect("/staff/login");
    let mut gone = Cookie::new(CookieNames::for_config(&state.config.http).session, "");
    gone.set_path("/");
    res.add_removal_cookie(&gone)
        .map_err(|e| WebError::BadBody(e.to_string()))?;
    Ok(res)
}

pub async fn home(who: Authorized<AnyStaff>) -> HttpResponse {
    redirect(landing(who.staff.role))
}

#[derive(Template)]
#[template(path = "pages/staff/setup.html")]
pub struct SetupPage {
    pub tr: Tr,
    pub csrf: String,
    pub token: String,
    pub email: String,
    pub name: String,
    pub has_errors: bool,
    pub email_error: Option<String>,
    pub name_error: Option<String>,
    pub password_error: Option<String>,
    pub confirmation_error: Option<String>,
}

impl SetupPage {
    fn new(
        tr: Tr,
        csrf: &Csrf,
        token: String,
        (email, name): (String, String),
        errors: &FieldErrors,
    ) -> Self {
        let err = |f: &str| errors.code_for(f).map(|c| tr.field_error(c));
        Self {
            tr,
            csrf: csrf.token(),
            token,
            email,
            name,
            has_errors: !errors.is_empty(),
            email_error: err("email"),
            name_error: err("name"),
            password_error: err("password"),
            confirmation_error: err("password_confirmation"),
        }
    }
}

pub async fn setup_form(
    state: web::Data<AppState>,
    tr: Tr,
    csrf: Csrf,
    token: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    if !staff::setup_link_is_valid(&state, token.clone()).await? {
        return Err(AppError::SetupLinkInvalid.into());
    }
    render(
        StatusCode::OK,
        &SetupPage::new(tr, &csrf, token, Default::default(), &FieldErrors::new()),
    )
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct SetupFormInput {
    email: String,
    name: String,
    password: String,
    password_confirmation: String,
}

pub async fn setup(
    state: web::Data<AppState>,
    tr: Tr,
    token: web::Path<String>,
    csrf: Csrf,
    CheckedForm(form): CheckedForm<SetupFormInput>,
) -> Result<HttpResponse, PageError> {
    let token = token.into_inner();
    let kept = (form.email.clone(), form.name.clone());
    let input = SetupInput {
        email: form.email,
        name: form.name,
        password: form.password,
        password_confirmation: form.password_confirmation,
    };
    match outcome::of(true, staff::complete_setup(&state, token.clone(), input)).await? {
        Ok(_) => Ok(redirect("/staff/login?setup=done")),
        Err(back) => render(
            back.status(),
            &SetupPage::new(tr, &csrf, token, kept, &back.into_errors()),
        ),
    }
}
