//! A staff member's own account: change the password, sign out everywhere; and an admin's unlock.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{Button, CheckedForm, Csrf};
use super::error::{ApiError, PageError};
use super::session::{Administer, AnyStaff, ApiStaff, Authorized};
use super::{outcome, redirect, render};
use crate::app::AppState;
use crate::app::staff::{self, StaffMember};
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
    CheckedForm(f): CheckedForm<PasswordForm>,
) -> Result<HttpResponse, PageError> {
    let call = staff::change_password(
        &state,
        &who.staff,
        who.session_token.clone(),
        f.current_password,
        f.new_password,
        f.new_password_confirmation,
    );
    match outcome::of(true, call).await? {
        Ok(()) => Ok(redirect("/staff/account?done=1")),
        Err(back) => render(
            back.status(),
            &AccountPage {
                tr,
                csrf: csrf.token(),
                staff: who.staff,
                errors: back.into_errors(),
                done: false,
            },
        ),
    }
}

/// Ends every session of the signed-in staff member, this one included.
pub async fn logout_everywhere(
    state: web::Data<AppState>,
    who: Authorized<AnyStaff>,
    _form: CheckedForm<Button>,
) -> Result<HttpResponse, PageError> {
    staff::logout_everywhere(&state, &who.staff).await?;
    super::auth::signed_out(&state)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockBody {
    email: String,
}

/// An admin lifts the waits failed sign-ins put on an account.
#[utoipa::path(
    post, path = "/api/v1/staff/unlock", tag = "staff",
    description = "Lift the waits failed sign-ins put on a staff account, from every address (admins)",
    request_body = UnlockBody,
    responses((status = 204, description = "Lifted"), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn unlock_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    body: super::uploads::StaffJson<UnlockBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    crate::app::sign_in::lift_throttle(&state, who.staff.actor(), body.into_inner().email).await?;
    Ok(HttpResponse::NoContent().finish())
}
