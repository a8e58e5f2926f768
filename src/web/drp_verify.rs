//! The user-verification page an authorised agent opens for the person (DRP §3.02.1): it says what
//! is awaited, sends the person's confirmation link again to their own address, and never confirms.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{Csrf, CsrfForm};
use super::error::{PageError, WebError};
use super::{language, render};
use crate::app::AppState;
use crate::app::drp_verification::{self, VerificationStep, VerificationView};
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "pages/public/drp_verify.html")]
pub struct VerifyPage {
    pub tr: Tr,
    pub csrf: String,
    /// The page's own link (`{id}.{HMAC}`), for the form.
    pub link: String,
    pub v: VerificationView,
}

impl VerifyPage {
    fn confirm_by_email(&self) -> bool {
        self.v.step == VerificationStep::ConfirmByEmail
    }
    fn identity_information(&self) -> bool {
        self.v.step == VerificationStep::IdentityInformation
    }
    fn closed(&self) -> bool {
        self.v.step == VerificationStep::Closed
    }
}

/// What the agent appends (§3.02.1).
#[derive(Debug, Deserialize)]
pub struct VerifyQuery {
    redirect_to: Option<String>,
    request_id: Option<String>,
}

fn page(
    req: &HttpRequest,
    csrf: &Csrf,
    link: String,
    v: VerificationView,
) -> Result<HttpResponse, PageError> {
    let tr = Tr::new(language::chosen(req).unwrap_or(v.language));
    render(
        StatusCode::OK,
        &VerifyPage {
            tr,
            csrf: csrf.token(),
            link,
            v,
        },
    )
}

/// `GET /drp/verify/{link}?redirect_to=…&request_id=…`
pub async fn verify_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    csrf: Csrf,
    id: web::Path<String>,
    query: web::Query<VerifyQuery>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let VerifyQuery {
        redirect_to,
        request_id,
    } = query.into_inner();
    let v = drp_verification::open(&state, id.clone(), request_id, redirect_to).await?;
    page(&req, &csrf, id, v)
}

#[derive(Debug, Deserialize)]
pub struct ResendForm {}

/// `POST /drp/verify/{link}`: the confirmation link again, to the person's own address.
pub async fn resend(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    form: CsrfForm<ResendForm>,
) -> Result<HttpResponse, PageError> {
    let CsrfForm { fresh, csrf, .. } = form;
    if !fresh {
        return Err(WebError::Csrf.into());
    }
    let id = id.into_inner();
    let v = drp_verification::resend(&state, id.clone()).await?;
    page(&req, &csrf, id, v)
}
