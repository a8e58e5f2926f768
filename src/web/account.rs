//! A staff member's own account: change the password, sign out everywhere; and an admin's unlock.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::{Button, CheckedForm, Csrf, CsrfForm};
use super::error::{ApiError, PageError};
use super::session::{Administer, AnyStaff, ApiStaff, Authorized};
use super::{outcome, redirect, render};
use crate::app::accounts;
use crate::app::mfa::{self, MfaStatus};
use crate::app::staff::{self, SecondStep, StaffMember};
use crate::app::{AppError, AppState};
use crate::domain::FieldErrors;
use crate::domain::code::Code;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "pages/staff/account.html")]
pub struct AccountPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub errors: FieldErrors,
    pub done: bool,
    pub mfa: MfaStatus,
    /// This session passed the second step: tokens may be created from it.
    pub second_step_passed: bool,
    /// A token just created, shown once.
    pub new_token: Option<String>,
    /// The token form's label as typed, when the form comes back.
    pub label: String,
    /// The name form's value: as typed when it comes back, else the member's name.
    pub name: String,
    pub renamed: bool,
}

impl AccountPage {
    pub fn err(&self, field: &str) -> Option<String> {
        self.errors.code_for(field).map(|c| self.tr.field_error(c))
    }

    pub fn mfa_on(&self) -> String {
        self.tr.t_args(
            "account-mfa-on",
            &[("left", self.mfa.recovery_codes_left.to_string())],
        )
    }
}

/// What the page shows besides the member: field errors, a notice, a new token.
#[derive(Default)]
struct Shown {
    errors: FieldErrors,
    done: bool,
    new_token: Option<String>,
    label: String,
    name: Option<String>,
    renamed: bool,
}

async fn page(
    state: &AppState,
    who: Authorized<AnyStaff>,
    tr: Tr,
    csrf: &Csrf,
    status: StatusCode,
    shown: Shown,
) -> Result<HttpResponse, PageError> {
    let mfa = mfa::status(state, &who.staff).await?;
    render(
        status,
        &AccountPage {
            tr,
            csrf: csrf.token(),
            errors: shown.errors,
            done: shown.done,
            mfa,
            second_step_passed: who.second_step == SecondStep::Passed,
            new_token: shown.new_token,
            label: shown.label,
            name: shown.name.unwrap_or_else(|| who.staff.name.clone()),
            renamed: shown.renamed,
            staff: who.staff,
        },
    )
}

/// The page again with the refused form's messages, and the token label as typed.
async fn page_again(
    state: &AppState,
    who: Authorized<AnyStaff>,
    tr: Tr,
    csrf: &Csrf,
    back: outcome::Back,
    label: String,
) -> Result<HttpResponse, PageError> {
    let status = back.status();
    let shown = Shown {
        errors: back.into_errors(),
        label,
        ..Shown::default()
    };
    page(state, who, tr, csrf, status, shown).await
}

#[derive(Deserialize)]
pub struct AccountQuery {
    done: Option<String>,
    renamed: Option<String>,
}

pub async fn show(
    state: web::Data<AppState>,
    who: Authorized<AnyStaff>,
    tr: Tr,
    csrf: Csrf,
    q: web::Query<AccountQuery>,
) -> Result<HttpResponse, PageError> {
    let shown = Shown {
        done: q.done.is_some(),
        renamed: q.renamed.is_some(),
        ..Shown::default()
    };
    page(&state, who, tr, &csrf, StatusCode::OK, shown).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    label: String,
}

/// A member creates an API token for themselves, shown once; only from a session that passed the
/// second step.
pub async fn create_token(
    state: web::Data<AppState>,
    who: Authorized<AnyStaff>,
    tr: Tr,
    CsrfForm { input, fresh, csrf }: CsrfForm<TokenForm>,
) -> Result<HttpResponse, PageError> {
    let passed = who.second_step == SecondStep::Passed;
    let call = async {
        if !passed {
            return Err(AppError::invalid("label", "needs_second_step"));
        }
        staff::create_own_api_token(&state, &who.staff, input.label.clone()).await
    };
    match outcome::of(fresh, call).await? {
        Ok(issued) => {
            let shown = Shown {
                new_token: Some(issued.token),
                ..Shown::default()
            };
            page(&state, who, tr, &csrf, StatusCode::OK, shown).await
        }
        // What was typed comes back with the message.
        Err(back) => page_again(&state, who, tr, &csrf, back, input.label).await,
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
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
        // Passwords are never echoed.
        Err(back) => page_again(&state, who, tr, &csrf, back, String::new()).await,
    }
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

/// A member changes the name colleagues and the audit log know them by; a refused name comes back as
/// typed, beside its field.
pub async fn rename(
    state: web::Data<AppState>,
    who: Authorized<AnyStaff>,
    tr: Tr,
    csrf: Csrf,
    CheckedForm(f): CheckedForm<NameForm>,
) -> Result<HttpResponse, PageError> {
    match outcome::of(true, accounts::rename(&state, &who.staff, f.name.clone())).await? {
        Ok(()) => Ok(redirect("/staff/account?renamed=1")),
        Err(back) => {
            let shown = Shown {
                name: Some(f.name),
                ..Shown::default()
            };
            let status = back.status();
            let shown = Shown {
                errors: back.into_errors(),
                ..shown
            };
            page(&state, who, tr, &csrf, status, shown).await
        }
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

/// The account whose sign-in waits are lifted.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnlockBody {
    /// The staff member's sign-in address.
    #[schema(format = Email, max_length = 254, example = "admin@example.com")]
    email: String,
}

/// An admin lifts the waits failed sign-ins put on an account.
#[utoipa::path(
    post, path = "/api/v1/staff/unlock", tag = "staff",
    operation_id = "unlockStaff",
    description = "Lift the waits failed sign-ins put on a staff account, from every address (admins); audited (`staff.unlocked`)",
    request_body(
        content = UnlockBody,
        description = "Whose account",
        example = json!({"email": "admin@example.com"})
    ),
    responses(
        (status = 204, description = "Lifted (also when there was no wait to lift)"),
        (status = 404, description = "`not_found`: no staff account has this address", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn unlock_api(
    state: web::Data<AppState>,
    who: ApiStaff<Administer>,
    body: super::body::ApiJson<UnlockBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    crate::app::sign_in::lift_throttle(&state, who.staff.actor(), body.into_inner().email).await?;
    Ok(HttpResponse::NoContent().finish())
}
