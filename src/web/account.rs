//! A staff member's own account: change the password, sign out everywhere; and an admin's unlock.

use actix_web::cookie::Cookie;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{Button, CheckedForm, Csrf};
use super::error::{ApiError, PageError, WebError};
use super::session::{Administer, AnyStaff, ApiStaff, Authorized, SESSION_COOKIE};
use super::{redirect, render};
use crate::app::staff::{self, StaffMember};
use crate::app::{AppError, AppState};
use crate::domain::FieldErrors;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "pages/staff/account.html")]
pub struct AccountPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub errors: FieldErrors,
    pub done: bool,
}

impl AccountPage {
    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }
}

#[derive(Deserialize)]
pub struct AccountQuery {
    done: Option<String>,
}

pub async fn show(
    who: Authorized<AnyStaff>,
    tr: Tr,
    csrf: Csrf,
    q: web::Query<AccountQuery>,
) -> Result<HttpResponse, PageError> {
    render(
        StatusCode::OK,
        &AccountPage {
            tr,
            csrf: csrf.token(),
            staff: who.staff,
            errors: FieldErrors::new(),
            done: q.done.is_some(),
        },
    )
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_confirmation: String,
}

/// Changes the password; other sessions end. Problems come back beside their fields (passwords are
/// never echoed).
pub async fn change_password(
    state: web::Data<AppState>,
    who: Authorized<AnyStaff>,
    tr: Tr,
    csrf: Csrf,
    form: CheckedForm<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let f = form.0;
    match staff::change_password(
        &state,
        &who.staff,
        who.session_token.clone(),
        f.current_password,
        f.new_password,
        f.new_password_confirmation,
    )
    .await
    {
        Ok(()) => Ok(redirect("/staff/account?done=1")),
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &AccountPage {
                tr,
                csrf: csrf.token(),
                staff: who.staff,
                errors,
                done: false,
            },
        ),
        Err(e) => Err(e.into()),
    }
}

/// Ends every session of the signed-in staff member, this one included.
pub async fn logout_everywhere(
    state: web::Data<AppState>,
    who: Authorized<AnyStaff>,
    _form: CheckedForm<Button>,
) -> Result<HttpResponse, PageError> {
    staff::logout_everywhere(&state, &who.staff).await?;
    let mut res = redirect("/staff/login");
    let mut gone = Cookie::new(SESSION_COOKIE, "");
    gone.set_path("/");
    res.add_removal_cookie(&gone)
        .map_err(|e| WebError::BadBody(e.to_string()))?;
    Ok(res)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockBody {
    email: String,
}

/// An admin unlocks an account locked by failed sign-ins.
#[utoipa::path(
    post, path = "/api/v1/staff/unlock", tag = "staff",
    description = "Unlock a staff account locked after failed sign-ins (admins)",
    request_body = UnlockBody,
    responses((status = 204, description = "Unlocked"), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn unlock_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    body: super::uploads::StaffJson<UnlockBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    staff::unlock(&state, who.staff.actor(), body.into_inner().email).await?;
    Ok(HttpResponse::NoContent().finish())
}
