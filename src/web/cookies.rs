//! The names of kaiji's cookies: `__Host-` prefixed when served over https, so that a sibling
//! subdomain cannot plant one.

use actix_web::{HttpRequest, web};

use crate::app::AppState;

/// The names of the session, CSRF and language cookies. Served over https they carry the `__Host-`
/// prefix: browsers then accept them only `Secure`, for this host alone and path `/`, so neither a
/// sibling subdomain nor a plain-http page can plant one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieNames {
    pub session: &'static str,
    pub csrf: &'static str,
    /// The language switch's choice.
    pub lang: &'static str,
}

impl CookieNames {
    pub fn for_config(http: &crate::config::Http) -> Self {
        if http.cookie_secure && http.public_url.starts_with("https://") {
            CookieNames {
                session: "__Host-kaiji_session",
                csrf: "__Host-kaiji_csrf",
                lang: "__Host-kaiji_lang",
            }
        } else {
            CookieNames {
                session: "kaiji_session",
                csrf: "kaiji_csrf",
                lang: "kaiji_lang",
            }
        }
    }

    pub fn of(req: &HttpRequest) -> Self {
        match req.app_data::<web::Data<AppState>>() {
            Some(state) => Self::for_config(&state.config.http),
            None => Self::for_config(&crate::config::Http::default()),
        }
    }
}
