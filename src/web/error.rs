//! Errors at the HTTP edge. `WebError::status_and_code` is the one place an error becomes a status and a
//! stable code; `ApiError` renders it as JSON, `PageError` as an HTML page.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::app::AppError;
use crate::domain::FieldErrors;
use crate::domain::request::Language;
use crate::domain::workflow::TransitionError;
use crate::i18n::Tr;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("the request body is larger than this endpoint accepts ({limit} bytes at most)")]
    PayloadTooLarge { limit: u64 },
    #[error("the request body could not be read: {0}")]
    BadBody(String),
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the form expired or was not sent from this site; reload the page and try again")]
    Csrf,
    #[error("there is no such page")]
    NoRoute,
    #[error("this path is not served with this method; it is with {}", allow.join(", "))]
    MethodNotAllowed { allow: Vec<String> },
    #[error("a page could not be rendered: {0}")]
    Render(String),
}

impl WebError {
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            WebError::App(e) => app_status_and_code(e),
            WebError::PayloadTooLarge { .. } => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            WebError::BadBody(_) => (StatusCode::BAD_REQUEST, "invalid_body"),
            WebError::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            WebError::Csrf => (StatusCode::FORBIDDEN, "csrf_failed"),
            WebError::NoRoute => (StatusCode::NOT_FOUND, "not_found"),
            WebError::MethodNotAllowed { .. } => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
            }
            WebError::Render(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }

    /// What may be said to the client. Server faults are logged in full and described generically.
    fn public_message(&self) -> String {
        let (status, _) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            return "something went wrong on our side; nothing was changed".into();
        }
        self.to_string()
    }

    fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            WebError::App(AppError::Invalid(f)) => Some(f),
            _ => None,
        }
    }
}

/// An app error's status and stable code (also for a refusal shown on a form instead of an error page).
pub fn app_status_and_code(e: &AppError) -> (StatusCode, &'static str) {
    match e {
        AppError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
        AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        AppError::SecondStepDue(_) => (StatusCode::UNAUTHORIZED, "second_step_due"),
        AppError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
        AppError::SignInThrottled { .. } => (StatusCode::TOO_MANY_REQUESTS, "sign_in_throttled"),
        AppError::Conflict => (StatusCode::CONFLICT, "version_conflict"),
        AppError::Transition(
            TransitionError::RoleNotPermitted { .. }
            | TransitionError::RequesterNotPermitted { .. },
        ) => (StatusCode::FORBIDDEN, "role_not_permitted"),
        AppError::Transition(TransitionError::NotAllowedHere { .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "event_not_allowed")
        }
        AppError::Transition(TransitionError::GuardFailed { .. }) => {
            (StatusCode::UNPROCESSABLE_ENTITY, "guard_failed")
        }
        AppError::Transition(
            TransitionError::UnknownState { .. } | TransitionError::Deadline(_),
        ) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        AppError::BadEventData(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_event_data"),
        AppError::Purged => (StatusCode::GONE, "file_purged"),
        AppError::AuditKeyMismatch { .. } => (StatusCode::CONFLICT, "audit_key_mismatch"),
        AppError::AuditLogDamaged(_) => (StatusCode::INTERNAL_SERVER_ERROR, "audit_log_damaged"),
        AppError::NotYetIntegrated => (StatusCode::CONFLICT, "not_yet_integrated"),
        AppError::LinkExpired => (StatusCode::GONE, "link_expired"),
        AppError::LinkUsed => (StatusCode::GONE, "link_used"),
        AppError::Assertion(_) => (StatusCode::FORBIDDEN, "assertion_rejected"),
        AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        AppError::LinkRevoked => (StatusCode::GONE, "link_revoked"),
        AppError::DownloadLimitReached => (StatusCode::GONE, "download_limit_reached"),
        AppError::PaymentAlreadyMatched => (StatusCode::CONFLICT, "payment_already_matched"),
        AppError::NotConfigured(_) => (StatusCode::UNPROCESSABLE_ENTITY, "not_configured"),
        AppError::SetupLinkInvalid => (StatusCode::NOT_FOUND, "setup_link_invalid"),
        AppError::StaffEmailTaken => (StatusCode::CONFLICT, "staff_email_taken"),
        AppError::NoWorkflow { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "no_workflow"),
        AppError::Definition(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        AppError::Db(_) if e.is_unavailable() => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        AppError::Db(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
    }
}

/// Extractor failures of actix (body too large, malformed JSON or form) in our terms.
pub fn from_payload_error(e: &actix_web::error::PayloadError) -> WebError {
    match e {
        actix_web::error::PayloadError::Overflow => WebError::PayloadTooLarge {
            limit: super::BODY_LIMIT as u64,
        },
        other => WebError::BadBody(other.to_string()),
    }
}

pub fn from_json_error(e: &actix_web::error::JsonPayloadError) -> WebError {
    use actix_web::error::JsonPayloadError as J;
    match e {
        J::Overflow { .. } | J::OverflowKnownLength { .. } => WebError::PayloadTooLarge {
            limit: super::BODY_LIMIT as u64,
        },
        J::ContentType => WebError::UnsupportedMediaType,
        J::Payload(p) => from_payload_error(p),
        other => WebError::BadBody(other.to_string()),
    }
}

pub fn from_form_error(e: &actix_web::error::UrlencodedError) -> WebError {
    use actix_web::error::UrlencodedError as U;
    match e {
        U::Overflow { .. } => WebError::PayloadTooLarge {
            limit: super::BODY_LIMIT as u64,
        },
        U::Payload(p) => from_payload_error(p),
        other => WebError::BadBody(other.to_string()),
    }
}

/// Every API error: `{"error": {"code", "message", "fields"}}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: `validation_failed`, `not_found`, `version_conflict`, `rate_limited`, …
    pub code: &'static str,
    /// For people (English).
    pub message: String,
    /// Per bad field: `[{"code", "message"}]`.
    #[schema(value_type = Object)]
    pub fields: BTreeMap<String, Vec<FieldProblem>>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pub code: &'static str,
    pub message: String,
}

/// JSON errors for the API: `{"error": {"code", "message", "fields"}}`.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub WebError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(WebError::App(e))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code) = self.0.status_and_code();
        let tr = Tr::new(Language::EN);
        let mut fields: BTreeMap<String, Vec<FieldProblem>> = BTreeMap::new();
        if let Some(errors) = self.0.field_errors() {
            for e in errors.iter() {
                fields
                    .entry(e.field.to_string())
                    .or_default()
                    .push(FieldProblem {
                        code: e.code,
                        message: tr.field_error(e.code),
                    });
            }
        }
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        allow_and_challenge(&mut res, &self.0, status);
        if let WebError::App(
            AppError::RateLimited { retry_after_secs }
            | AppError::SignInThrottled { retry_after_secs },
        ) = &self.0
        {
            res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        res.json(ErrorBody {
            error: ErrorDetail {
                code,
                message: self.0.public_message(),
                fields,
            },
        })
    }
}

/// The headers some errors carry: `Allow` on a 405 (RFC 9110 §15.5.6) and, on the API, a bearer
/// challenge on a 401 (RFC 9110 §11.6.1, RFC 6750 §3).
fn allow_and_challenge(
    res: &mut actix_web::HttpResponseBuilder,
    err: &WebError,
    status: StatusCode,
) {
    if let WebError::MethodNotAllowed { allow } = err {
        res.insert_header((header::ALLOW, allow.join(", ")));
    }
    if status == StatusCode::UNAUTHORIZED {
        res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"kaiji\""));
    }
}

/// HTML errors for pages: a short bilingual page, or a redirect to sign in.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct PageError(#[from] pub WebError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(WebError::App(e))
    }
}

#[derive(Template)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    status: u16,
    code: &'static str,
    message: String,
    ja: &'static str,
}

fn japanese_message(code: &str) -> &'static str {
    match code {
        "not_found" => "ページが見つかりません。",
        "method_not_allowed" => "このページはこの方法では開けません。",
        "forbidden" | "role_not_permitted" => "この操作を行う権限がありません。",
        "csrf_failed" => {
            "入力画面の有効期限が切れました。ページを再読み込みして、もう一度お試しください。"
        }
        "payload_too_large" => "送信された内容が大きすぎます。",
        "invalid_body" => "送信された内容を読み取れませんでした。",
        "setup_link_invalid" => "このリンクは無効、期限切れ、または使用済みです。",
        "download_limit_reached" => {
            "このリンクはダウンロードできる回数の上限に達しました。担当窓口にお問い合わせください。"
        }
        "link_revoked" => "このリンクは取り消されました。担当窓口にお問い合わせください。",
        "rate_limited" => "短時間に多くの請求が送信されました。しばらくしてからお試しください。",
        "assertion_rejected" => {
            "ログイン情報による本人確認ができませんでした。もう一度アカウントからお試しください。"
        }
        "link_used" => "このリンクは使用済みです。",
        "link_expired" => "このリンクの有効期限が切れました。担当窓口にお問い合わせください。",
        "file_purged" => "このファイルは保存期間の経過により削除されました。",
        "payment_already_matched" => "この入金はすでに請求書に割り当てられています。",
        "version_conflict" => "他の担当者が先に更新しました。再読み込みしてください。",
        "unavailable" => "ただいま混み合っています。しばらくしてからお試しください。",
        _ => "エラーが発生しました。内容は変更されていません。",
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.0.status_and_code().0
    }

    fn error_response(&self) -> HttpResponse {
        match &self.0 {
            WebError::App(AppError::Unauthenticated) => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/staff/login"))
                    .finish();
            }
            WebError::App(AppError::SecondStepDue(step)) => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, step.page()))
                    .finish();
            }
            _ => {}
        }
        let (status, code) = self.0.status_and_code();
        let page = ErrorPage {
            status: status.as_u16(),
            code,
            message: self.0.public_message(),
            ja: japanese_message(code),
        };
        let mut res = HttpResponse::build(status);
        res.insert_header((header::CACHE_CONTROL, "no-store"));
        if let WebError::MethodNotAllowed { allow } = &self.0 {
            res.insert_header((header::ALLOW, allow.join(", ")));
        }
        match page.render() {
            Ok(body) => res.content_type(ContentType::html()).body(body),
            Err(_) => res.body(code),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::staff::Role;

    #[test]
    fn every_error_has_a_pinned_status_and_code() {
        let cases: Vec<(WebError, u16, &str)> = vec![
            (
                AppError::Invalid(FieldErrors::new()).into(),
                422,
                "validation_failed",
            ),
            (AppError::NotFound.into(), 404, "not_found"),
            (AppError::Unauthenticated.into(), 401, "unauthenticated"),
            (AppError::Forbidden.into(), 403, "forbidden"),
            (AppError::BadCredentials.into(), 401, "bad_credentials"),
            (
                AppError::SignInThrottled {
                    retry_after_secs: 30,
                }
                .into(),
                429,
                "sign_in_throttled",
            ),
            (AppError::Conflict.into(), 409, "version_conflict"),
            (
                AppError::Transition(TransitionError::RoleNotPermitted {
                    event: "e".into(),
                    role: Role::Auditor,
                })
                .into(),
                403,
                "role_not_permitted",
            ),
            (
                AppError::Transition(TransitionError::NotAllowedHere {
                    event: "e".into(),
                    state: "s".into(),
                })
                .into(),
                422,
                "event_not_allowed",
            ),
            (AppError::SetupLinkInvalid.into(), 404, "setup_link_invalid"),
            (AppError::StaffEmailTaken.into(), 409, "staff_email_taken"),
            (
                AppError::Transition(TransitionError::GuardFailed {
                    guard: crate::domain::workflow::Guard::FeePaid,
                    reason: "the fee has not been paid".into(),
                })
                .into(),
                422,
                "guard_failed",
            ),
            (
                AppError::BadEventData("x").into(),
                422,
                "invalid_event_data",
            ),
            (AppError::Purged.into(), 410, "file_purged"),
            (
                AppError::AuditKeyMismatch {
                    recorded: "k".into(),
                }
                .into(),
                409,
                "audit_key_mismatch",
            ),
            (
                AppError::AuditLogDamaged("x".into()).into(),
                500,
                "audit_log_damaged",
            ),
            (AppError::NotYetIntegrated.into(), 409, "not_yet_integrated"),
            (AppError::NotConfigured("X").into(), 422, "not_configured"),
            (
                AppError::NoWorkflow {
                    request_type: "access".into(),
                    channel: "web",
                    jurisdiction: "EEA".into(),
                }
                .into(),
                422,
                "no_workflow",
            ),
            (
                AppError::Definition("x".into()).into(),
                500,
                "internal_error",
            ),
            (
                WebError::PayloadTooLarge { limit: 1 },
                413,
                "payload_too_large",
            ),
            (WebError::BadBody("x".into()), 400, "invalid_body"),
            (
                WebError::UnsupportedMediaType,
                415,
                "unsupported_media_type",
            ),
            (WebError::Csrf, 403, "csrf_failed"),
            (WebError::NoRoute, 404, "not_found"),
            (WebError::Render("x".into()), 500, "internal_error"),
        ];
        for (e, status, code) in cases {
            assert_eq!(
                e.status_and_code(),
                (StatusCode::from_u16(status).unwrap(), code),
                "{e:?}"
            );
        }
    }

    #[test]
    fn server_errors_do_not_leak_their_cause() {
        let e = WebError::App(AppError::Definition("secret detail".into()));
        assert!(!e.public_message().contains("secret"));
    }
}
