//! The one shape of a posted form: ask the app, then redirect on success (303, so a reload does not post
//! again), or show the form's page again with what was typed and a message beside each field. Any other
//! error is an error page. Handlers write
//!
//! ```text
//! match outcome::of(fresh, app::do_it(&state, input.clone())).await? {
//!     Ok(_) => Ok(redirect("/where/next")),
//!     Err(back) => page(back.status(), input, back.into_errors()),
//! }
//! ```

use std::future::Future;

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};

use super::csrf::Csrf;
use super::error::{PageError, app_status_and_code};
use crate::app::staff::StaffMember;
use crate::app::{AppError, AppState};
use crate::domain::FieldErrors;
use crate::i18n::Tr;

/// Why a posted form is shown again instead of moving on.
pub enum Back {
    /// Its CSRF token did not match (an old tab, another site): the app was not asked.
    Expired,
    /// The app refused the input, field by field.
    Invalid(FieldErrors),
    /// A refusal the handler shows on the form rather than on an error page (a wrong password, a
    /// version conflict, an event the workflow does not allow).
    Refused(AppError),
}

impl Back {
    /// 403 for an expired form, 422 for refused input, a refusal's own status.
    pub fn status(&self) -> StatusCode {
        match self {
            Back::Expired => StatusCode::FORBIDDEN,
            Back::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Back::Refused(e) => app_status_and_code(e).0,
        }
    }

    /// Seconds until a rate limit lets the form be sent again, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Back::Refused(
                AppError::RateLimited { retry_after_secs }
                | AppError::SignInThrottled { retry_after_secs },
            ) => Some(*retry_after_secs),
            _ => None,
        }
    }

    pub fn is_expired(&self) -> bool {
        matches!(self, Back::Expired)
    }

    /// The line above a form whose fields carry their own messages: only that it expired.
    pub fn expiry_notice(&self, tr: Tr) -> Option<String> {
        self.is_expired().then(|| tr.t("form-expired"))
    }

    /// The line above the form for an expired form or refused input; a refusal has none here (its
    /// wording is the handler's).
    pub fn summary(&self, tr: Tr) -> Option<String> {
        match self {
            Back::Expired => Some(tr.t("form-expired")),
            Back::Invalid(_) => Some(tr.t("form-errors-summary")),
            Back::Refused(_) => None,
        }
    }

    /// An app error as a reason to show the form again: bad input always, another refusal when `shown`
    /// picks it. Any other error stays one, for an error page.
    pub fn from_error(
        e: AppError,
        shown: impl FnOnce(&AppError) -> bool,
    ) -> Result<Back, PageError> {
        match e {
            AppError::Invalid(errors) => Ok(Back::Invalid(errors)),
            e if shown(&e) => Ok(Back::Refused(e)),
            e => Err(e.into()),
        }
    }

    /// The messages for beside the fields: none unless the input was refused.
    pub fn into_errors(self) -> FieldErrors {
        match self {
            Back::Invalid(errors) => errors,
            Back::Expired | Back::Refused(_) => FieldErrors::new(),
        }
    }
}

/// The staff page of one thing (a request, an inquiry) that its posted forms come back to: who looks, in
/// which language, with which CSRF token. Each page's `settle` redirects or shows it again.
pub struct PageOf<'a, Id> {
    pub state: &'a AppState,
    pub staff: StaffMember,
    pub tr: Tr,
    pub csrf: &'a Csrf,
    pub id: Id,
}

impl<'a, Id> PageOf<'a, Id> {
    pub fn new(state: &'a AppState, staff: StaffMember, tr: Tr, csrf: &'a Csrf, id: Id) -> Self {
        PageOf {
            state,
            staff,
            tr,
            csrf,
            id,
        }
    }
}

/// What a posted form comes to: the app's answer to `call`, asked only when the form is `fresh` (its CSRF
/// token matched). `Ok(Err(back))` when the form comes back; `Err` for every other error, for `?`.
pub async fn of<T>(
    fresh: bool,
    call: impl Future<Output = Result<T, AppError>>,
) -> Result<Result<T, Back>, PageError> {
    of_showing(fresh, call, |_| false).await
}

/// As `of`, and the refusals `shown` picks come back to the form too.
pub async fn of_showing<T>(
    fresh: bool,
    call: impl Future<Output = Result<T, AppError>>,
    shown: impl FnOnce(&AppError) -> bool,
) -> Result<Result<T, Back>, PageError> {
    if !fresh {
        return Ok(Err(Back::Expired));
    }
    match call.await {
        Ok(value) => Ok(Ok(value)),
        Err(e) => Back::from_error(e, shown).map(Err),
    }
}

/// A form's page shown again, with `Retry-After` when a rate limit sent it back (`Back::retry_after`).
pub fn with_retry_after(
    rendered: Result<HttpResponse, PageError>,
    retry_after: Option<u64>,
) -> Result<HttpResponse, PageError> {
    let mut res = rendered?;
    if let Some(secs) = retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
    Ok(res)
}
