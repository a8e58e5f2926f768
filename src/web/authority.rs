//! An agent's proof of authority, checked by an officer from the request page or the API before any system
//! acts or discloses for the agent.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::csrf::CsrfForm;
use super::error::PageError;
use super::outcome::{self, PageOf};
use super::session::{Authorized, WorkRequests};
use super::staff::Feedback;
use crate::app::AppState;
use crate::domain::ids::RequestId;
use crate::i18n::Tr;

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct AuthorityForm {
    how: String,
    expected_version: i64,
}

/// The officer records, from the request page, how they checked the agent's authority.
pub async fn record(
    state: web::Data<AppState>,
    who: Authorized<WorkRequests>,
    tr: Tr,
    id: web::Path<RequestId>,
    CsrfForm { input, fresh, csrf }: CsrfForm<AuthorityForm>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let call = crate::app::identity::record_authority(
        &state,
        &who.staff,
        id.clone(),
        input.expected_version,
        input.how.clone(),
    );
    let answer = outcome::of(fresh, call).await?;
    let page = PageOf::new(&state, who.staff, tr, &csrf, id);
    page.settle(answer, "authority", |back| {
        Feedback::beside(back, &tr, &["how"])
            .keeping("authority".to_owned(), vec![("how", input.how)])
    })
    .await
}

/// How an agent's proof of authority was checked.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorityBody {
    /// How the authority was checked (e.g. "signed permission uploaded, signature matches"), at most
    /// 500 characters; kept in the audit log.
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*[^\s\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]*$"
    )]
    how: String,
    /// The request's `version` as last read (else 409 `version_conflict`).
    expected_version: i64,
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/authority", tag = "requests", operation_id = "recordAgentAuthority",
    description = "Record that the agent's proof of authority (the person's signed permission, a power of attorney) was checked, and how; until then no data-system task opens for an agent's request (`authority_checked`)",
    params(("id" = String, Path, description = "The request's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = AuthorityBody,
        description = "How the authority was checked, at the version read",
        example = json!({"how": "Signed permission uploaded; the signature matches the account's ID document.", "expected_version": 2})
    ),
    responses(
        (status = 204, description = "Recorded"),
        (status = 409, description = "`version_conflict`: the request changed since `expected_version` was read", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `how` `required`, `too_long`, `invalid_characters`, `not_now` (the request is closed), `not_an_agent`, `authority_already_checked`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn record_api(
    state: web::Data<AppState>,
    who: super::session::ApiStaff<WorkRequests>,
    id: web::Path<RequestId>,
    body: super::body::ApiJson<AuthorityBody>,
) -> Result<HttpResponse, super::error::ApiError> {
    let body = body.parse()?.into_inner();
    crate::app::identity::record_authority(
        &state,
        &who.staff,
        id.into_inner(),
        body.expected_version,
        body.how,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
