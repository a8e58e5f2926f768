//! Staff sessions in the browser, and the role check every staff route goes through.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::client::ClientAddr;
use super::cookies::CookieNames;
use super::error::{ApiError, PageError};
use crate::app::refusals::{self, Refusal};
use crate::app::staff::{self, SecondStep, StaffMember};
use crate::app::{AppError, AppState};
use crate::domain::staff::Role;

/// A set of roles allowed on a route.
pub trait Permission {
    const ROLES: &'static [Role];
}

/// Officers work requests; administrators may too.
pub struct WorkRequests;
impl Permission for WorkRequests {
    const ROLES: &'static [Role] = &[Role::Officer, Role::Admin];
}

/// Auditors read the log; administrators may too.
pub struct ReadAudit;
impl Permission for ReadAudit {
    const ROLES: &'static [Role] = &[Role::Auditor, Role::Admin];
}

/// Who holds which role and token: administrators manage it, auditors review it.
pub struct ReadStaff;
impl Permission for ReadStaff {
    const ROLES: &'static [Role] = &[Role::Auditor, Role::Admin];
}

/// Administrators only (staff accounts).
pub struct Administer;
impl Permission for Administer {
    const ROLES: &'static [Role] = &[Role::Admin];
}

/// The yearly counts: everyone but system owners, who see only their own tasks.
pub struct ReadReports;
impl Permission for ReadReports {
    const ROLES: &'static [Role] = &[Role::Officer, Role::Auditor, Role::Admin];
}

/// Those who close data-system tasks: officers and administrators any task, system owners their own
/// systems' (the use cases check which).
pub struct WorkTasks;
impl Permission for WorkTasks {
    const ROLES: &'static [Role] = &[Role::Officer, Role::Admin, Role::SystemOwner];
}

/// Any signed-in staff member (signing out, the landing page, their own account).
pub struct AnyStaff;
impl Permission for AnyStaff {
    const ROLES: &'static [Role] = &[Role::Officer, Role::Auditor, Role::Admin, Role::SystemOwner];
}

/// A signed-in staff member whose role `P` allows the route. Without a session: a redirect to sign in;
/// with the wrong role: 403.
pub struct Authorized<P: Permission> {
    pub staff: StaffMember,
    pub session_token: String,
    /// Passed, or not required of this member.
    pub second_step: SecondStep,
    _permission: PhantomData<P>,
}

impl<P: Permission + 'static> FromRequest for Authorized<P> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        let denied = Denial::of(req);
        Box::pin(async move {
            let s = signed_in.await?;
            if !s.second_step.done() {
                return Err(AppError::SecondStepDue(s.second_step).into());
            }
            if !P::ROLES.contains(&s.staff.role) {
                denied.note(&s.staff).await;
                return Err(AppError::Forbidden.into());
            }
            Ok(Authorized {
                staff: s.staff,
                session_token: s.session_token,
                second_step: s.second_step,
                _permission: PhantomData,
            })
        })
    }
}

/// A staff member past the password, whatever their second step: the pages that take the second step
/// (or enrol for it), and signing out.
pub struct SignedIn {
    pub staff: StaffMember,
    pub session_token: String,
    pub second_step: SecondStep,
}

impl FromRequest for SignedIn {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .cookie(CookieNames::of(req).session)
            .map(|c| c.value().to_owned());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let denied = Denial::of(req);
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(AppError::Unauthenticated.into());
            };
            let session = staff::authenticate(&state, token.clone()).await;
            let session = denied.unless_opened("session", session).await?;
            Ok(SignedIn {
                staff: session.staff,
                session_token: token,
                second_step: session.second_step,
            })
        })
    }
}

/// A staff member on the JSON API: a bearer token (`Authorization: Bearer …`, from `kaiji token create`),
/// or for reads the browser session. Errors are JSON: 401 without credentials, 403 with the wrong role.
pub struct ApiStaff<P: Permission> {
    pub staff: StaffMember,
    _permission: PhantomData<P>,
}

impl<P: Permission + 'static> FromRequest for ApiStaff<P> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bearer = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        // The browser session may read; writing through the API takes a bearer token, so no page on any
        // site can make a signed-in browser write (defence in depth beside SameSite cookies).
        let reads = matches!(
            *req.method(),
            actix_web::http::Method::GET | actix_web::http::Method::HEAD
        );
        let cookie = req
            .cookie(CookieNames::of(req).session)
            .map(|c| c.value().to_owned())
            .filter(|_| reads);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let denied = Denial::of(req);
        Box::pin(async move {
            let Some(state) = state else {
                return Err(AppError::Unauthenticated.into());
            };
            let staff = match (bearer, cookie) {
                (Some(token), _) => {
                    let opened = staff::authenticate_token(&state, token).await;
                    denied.unless_opened("bearer", opened).await?
                }
                (None, Some(session)) => {
                    let session = staff::authenticate(&state, session).await;
                    let session = denied.unless_opened("session", session).await?;
                    if !session.second_step.done() {
                        return Err(AppError::SecondStepDue(session.second_step).into());
                    }
                    session.staff
                }
                (None, None) => return Err(AppError::Unauthenticated.into()),
            };
            if !P::ROLES.contains(&staff.role) {
                denied.note(&staff).await;
                return Err(AppError::Forbidden.into());
            }
            Ok(ApiStaff {
                staff,
                _permission: PhantomData,
            })
        })
    }
}

/// Where a refusal happened: the request, kept (a cheap handle) so that its address and route are
/// worked out only when something is refused; audited by `app::refusals` (once per subject and hour).
pub(super) struct Denial(HttpRequest);

impl Denial {
    pub(super) fn of(req: &HttpRequest) -> Self {
        Denial(req.clone())
    }

    fn state(&self) -> Option<web::Data<AppState>> {
        self.0.app_data::<web::Data<AppState>>().cloned()
    }

    fn client(&self) -> Option<std::net::IpAddr> {
        ClientAddr::from_request(&self.0, &mut Payload::None)
            .into_inner()
            .ok()
            .and_then(|c| c.0)
    }

    /// The route's pattern, never the path (a path may hold a token).
    fn route(&self) -> String {
        self.0
            .match_pattern()
            .unwrap_or_else(|| "(no route)".to_owned())
    }

    /// A member refused for their role.
    async fn note(&self, staff: &StaffMember) {
        if let Some(state) = self.state() {
            let refusal = Refusal::Denied {
                staff: staff.clone(),
                method: self.0.method().to_string(),
                route: self.route(),
            };
            refusals::note(&state, refusal).await;
        }
    }

    /// A credential (`bearer` or `session`) that opened nothing is noted; the outcome passes through.
    async fn unless_opened<T>(
        &self,
        kind: &'static str,
        opened: Result<T, AppError>,
    ) -> Result<T, AppError> {
        if let (Err(AppError::Unauthenticated), Some(state)) = (&opened, self.state()) {
            let refusal = Refusal::Credential {
                kind,
                client: self.client(),
                route: self.route(),
            };
            refusals::note(&state, refusal).await;
        }
        opened
    }

    /// A form whose CSRF token did not match.
    pub(super) async fn csrf(&self) {
        if let Some(state) = self.state() {
            let refusal = Refusal::Csrf {
                client: self.client(),
                route: self.route(),
            };
            refusals::note(&state, refusal).await;
        }
    }
}
