//! The page's language: `?lang=`, the language switch's cookie, or the browser's Accept-Language.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload};

use crate::domain::request::Language;
use crate::i18n::{Tr, accept_language};

/// Picks the page language: `?lang=`, then the language cookie (`kaiji_lang`, `__Host-` prefixed over
/// https), then Accept-Language, then Japanese.
pub fn negotiate(req: &HttpRequest) -> Language {
    if let Some(l) = chosen(req) {
        return l;
    }
    accept_language(
        req.headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
            .unwrap_or(""),
    )
}

/// A language the client stated: `?lang=`, the switch's cookie, or an Accept-Language header; `None`
/// when it said nothing (an API client with no header), so the caller can choose by other means.
pub fn stated(req: &HttpRequest) -> Option<Language> {
    chosen(req).or_else(|| {
        req.headers()
            .get(actix_web::http::header::ACCEPT_LANGUAGE)
            .and_then(|h| h.to_str().ok())
            .filter(|h| !h.trim().is_empty())
            .map(accept_language)
    })
}

/// A language the visitor picked explicitly (`?lang=` or the switch's cookie), if any.
pub fn chosen(req: &HttpRequest) -> Option<Language> {
    let name = super::cookies::CookieNames::of(req).lang;
    query_lang(req).or_else(|| {
        req.cookie(name)
            .and_then(|c| crate::i18n::parse_spoken(c.value()).ok())
    })
}

pub fn query_lang(req: &HttpRequest) -> Option<Language> {
    req.query_string()
        .split('&')
        .find_map(|kv| kv.strip_prefix("lang="))
        .and_then(|v| crate::i18n::parse_spoken(v).ok())
}

impl FromRequest for Tr {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Tr::new(negotiate(req))))
    }
}
