//! CSRF protection for every form: a signed double-submit token (OWASP). A random value lives in an
//! HttpOnly cookie; forms carry its HMAC under the session key; a POST must bring both, matching.

use std::future::{Ready, ready};

use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::error::{PageError, WebError};
use super::language::query_lang;
use crate::app::AppState;
use crate::security::tokens;

use super::cookies::CookieNames;

/// The random half of the pair, for this request.
#[derive(Clone)]
struct CsrfSeed(String);

pub fn cookie<'a>(name: &'a str, value: String, secure: bool) -> Cookie<'a> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Strict)
        .finish()
}

fn valid_seed(v: &str) -> bool {
    tokens::looks_like_token(v)
}

/// Gives every browser a CSRF seed cookie, and remembers an explicit `?lang=` choice.
pub async fn browser_cookies(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let secure = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.config.http.cookie_secure)
        .unwrap_or(true);
    let names = CookieNames::of(req.request());
    let existing = req
        .cookie(names.csrf)
        .map(|c| c.value().to_owned())
        .filter(|v| valid_seed(v));
    let new_seed = match existing {
        Some(seed) => {
            req.extensions_mut().insert(CsrfSeed(seed));
            None
        }
        None => {
            let seed = tokens::new_token();
            req.extensions_mut().insert(CsrfSeed(seed.clone()));
            Some(seed)
        }
    };
    let lang = query_lang(req.request());
    let mut res = next.call(req).await?;
    if let Some(seed) = new_seed {
        res.response_mut()
            .add_cookie(&cookie(names.csrf, seed, secure))?;
    }
    if let Some(lang) = lang {
        let c = Cookie::build(names.lang, lang.as_str())
            .path("/")
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        res.response_mut().add_cookie(&c)?;
    }
    Ok(res)
}

/// The CSRF token for this browser: put `token()` in a hidden `csrf_token` field, `verify` it on POST.
pub struct Csrf {
    seed: String,
    state: web::Data<AppState>,
}

impl Csrf {
    pub fn token(&self) -> String {
        tokens::sign(
            self.state.keys.session.expose(),
            format!("csrf:{}", self.seed).as_bytes(),
        )
    }

    pub fn verify(&self, submitted: &str) -> Result<(), WebError> {
        if self
            .state
            .keys
            .session
            .verify(format!("csrf:{}", self.seed).as_bytes(), submitted)
        {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }
}

impl FromRequest for Csrf {
    type Error = PageError;
    type Future = Ready<Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let seed = req.extensions().get::<CsrfSeed>().map(|s| s.0.clone());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        ready(match (seed, state) {
            (Some(seed), Some(state)) => Ok(Csrf { seed, state }),
            _ => Err(PageError(WebError::Csrf)),
        })
    }
}

/// A form body (`application/x-www-form-urlencoded`; a repeated field becomes a list) with its CSRF
/// token checked against this browser's seed. The input is kept either way: when `fresh` is false the
/// handler re-renders the form saying it expired (an expired form costs a click, not the text). Forms
/// with nothing to re-render take `CheckedForm`.
pub struct CsrfForm<T> {
    pub input: T,
    /// The token matched.
    pub fresh: bool,
    /// For the page rendered in answer.
    pub csrf: Csrf,
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let csrf = Csrf::from_request(req, payload).into_inner();
        // The form extractor's limit and errors (FormConfig), then the fields as sent.
        let body = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        let denial = super::session::Denial::of(req);
        Box::pin(async move {
            let csrf = csrf?;
            let pairs = body.await?.into_inner();
            let token = pairs
                .iter()
                .find(|(k, _)| k == "csrf_token")
                .map_or("", |(_, v)| v.as_str());
            let fresh = csrf.verify(token).is_ok();
            if !fresh {
                denial.csrf().await;
            }
            let input = serde_html_form::to_string(&pairs)
                .map_err(|e| e.to_string())
                .and_then(|s| serde_html_form::from_str::<T>(&s).map_err(|e| e.to_string()))
                .map_err(|e| PageError(WebError::BadBody(e)))?;
            Ok(CsrfForm { input, fresh, csrf })
        })
    }
}

/// A form body whose CSRF token must match: without it the request is refused before the handler runs.
pub struct CheckedForm<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for CheckedForm<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let form = CsrfForm::<T>::from_request(req, payload);
        Box::pin(async move {
            let form = form.await?;
            if form.fresh {
                Ok(CheckedForm(form.input))
            } else {
                Err(PageError(WebError::Csrf).into())
            }
        })
    }
}

/// A form with no fields but its CSRF token (a button).
#[derive(serde::Deserialize)]
pub struct Button {}
