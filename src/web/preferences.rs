//! Privacy choices on the web: data systems ask where someone stands (`POST /api/v1/preferences/lookup`),
//! browsers' opt-out preference signals (Global Privacy Control) are read and the site says it honours
//! them (`/.well-known/gpc.json`), and the public pages carry the links the law words ("Do Not Sell or
//! Share My Personal Information").

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::session::{ApiStaff, Permission};
use crate::app::AppState;
use crate::app::preferences::{self, PreferenceSubject, StandingPreference};
use crate::domain::FieldErrors;
use crate::domain::code::Code;
use crate::domain::law::Laws;
use crate::domain::request::SubjectEmail;
use crate::domain::staff::Role;
use crate::i18n::Tr;

/// Those who may ask where someone stands: officers and administrators, and the owners of the data
/// systems that must honour it.
pub struct ReadPreferences;
impl Permission for ReadPreferences {
    const ROLES: &'static [Role] = &[Role::Officer, Role::Admin, Role::SystemOwner];
}

/// The browser sent the opt-out preference signal (`Sec-GPC: 1`; any other value is no signal).
pub fn signal_sent(req: &HttpRequest) -> bool {
    req.headers()
        .get("sec-gpc")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim() == "1")
}

/// Whether any law the deployment serves gives the signal an effect.
pub fn signal_honoured_here(laws: &Laws) -> bool {
    laws.served()
        .filter_map(|p| laws.regime(&p.regime))
        .any(|r| r.gpc.is_some())
}

/// A link the law wants on the business's pages, opening the form at its right.
#[derive(Debug, Clone)]
pub struct PrivacyLink {
    pub href: String,
    pub label: String,
}

/// The links of every served place whose law words one, in the page's language, each once.
pub fn privacy_links(laws: &Laws, tr: &Tr) -> Vec<PrivacyLink> {
    let mut out: Vec<PrivacyLink> = Vec::new();
    for place in laws.served() {
        let Some(regime) = laws.regime(&place.regime) else {
            continue;
        };
        for right in &regime.rights {
            let Some(label) = &right.public_link else {
                continue;
            };
            let label = label.get(tr.lang).to_owned();
            if out.iter().any(|l| l.label == label) {
                continue;
            }
            out.push(PrivacyLink {
                href: format!(
                    "/?place={}&right={}&lang={}#request_type",
                    place.code.as_str(),
                    right.code.as_str(),
                    tr.lang.as_str()
                ),
                label,
            });
        }
    }
    out
}

/// `/.well-known/gpc.json` (Global Privacy Control, §3.4 of the W3C draft): the site honours the signal,
/// where a law it serves gives the signal an effect; otherwise there is nothing to declare.
pub async fn gpc_json(state: web::Data<AppState>) -> HttpResponse {
    if !signal_honoured_here(state.workflows.laws()) {
        return HttpResponse::NotFound().finish();
    }
    HttpResponse::Ok().json(serde_json::json!({
        "gpc": true,
        // The day kaiji began honouring the signal (this file changes only when that support does).
        "lastUpdate": GPC_SUPPORT_SINCE,
    }))
}

/// When kaiji's support for the signal last changed: what `lastUpdate` declares.
const GPC_SUPPORT_SINCE: &str = "2026-12-06";

/// Whom to look up: an email address, an account id, or both (either matches).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupBody {
    /// The person's email address (any letter case). Sent in the body, never in a URL.
    #[schema(max_length = 254, example = "ann@example.com")]
    #[serde(default)]
    email: Option<String>,
    /// The person's account id with the business, as the request form took it.
    #[schema(max_length = 200, example = "AB-1234")]
    #[serde(default)]
    account_id: Option<String>,
}

/// Where the person stands.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LookupAnswer {
    /// One entry per kind of choice the person made; empty when they made none (nothing is sold or
    /// shared only where the business's own default says so).
    preferences: Vec<StandingJson>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct StandingJson {
    /// The kind of choice, as the law's file names it: `sale_sharing` (sale or sharing of personal
    /// information), `sensitive_use` (use of sensitive personal information).
    kind: String,
    /// `opted_out` or `opted_in`.
    #[schema(example = "opted_out")]
    value: String,
    /// When the choice that holds was recorded.
    since: chrono::DateTime<chrono::Utc>,
    /// `request` (a request an officer honoured) or `gpc` (the browser's opt-out preference signal).
    source: String,
    /// The law it was made under (`ccpa`).
    regime: String,
    /// How many choices of this kind were recorded for the person in all.
    history: usize,
}

impl From<StandingPreference> for StandingJson {
    fn from(s: StandingPreference) -> Self {
        Self {
            kind: s.kind,
            value: s.value.as_str().to_owned(),
            since: s.since,
            source: s.source.as_str().to_owned(),
            regime: s.regime,
            history: s.history,
        }
    }
}

/// The person to look up, parsed: a blank field is an absent one; at least one is needed.
fn subject_of(body: &LookupBody) -> Result<PreferenceSubject, FieldErrors> {
    let mut errors = FieldErrors::new();
    let email = body
        .email
        .as_deref()
        .filter(|e| !e.trim().is_empty())
        .map(SubjectEmail::parse)
        .transpose();
    let email = errors.check("email", email);
    let account = body
        .account_id
        .as_deref()
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            if a.chars().count() > 200 {
                Err("too_long")
            } else if a.chars().any(char::is_control) {
                Err("invalid_characters")
            } else {
                Ok(a.to_owned())
            }
        })
        .transpose();
    let account = errors.check("account_id", account);
    let (Some(email), Some(account)) = (email, account) else {
        return Err(errors);
    };
    let email = email.map(|e| e.as_ref().to_owned());
    PreferenceSubject::new(email.as_deref(), account.as_deref()).ok_or_else(|| {
        let mut e = FieldErrors::new();
        e.push("email", "required");
        e
    })
}

#[utoipa::path(
    post, path = "/api/v1/preferences/lookup", tag = "preferences",
    operation_id = "lookupPreferences",
    description = "Where a person stands on the choices the law lets them make once for every system (an opt-out of the sale or sharing of their personal information, a limit on the use of their sensitive data, an opt-in again), by email address or account id (officers, administrators, system owners); the lookup is audited (`preference.looked_up`, without whom)",
    request_body(
        content = LookupBody,
        description = "`email`, `account_id`, or both (either matches)",
        example = json!({"email": "ann@example.com"})
    ),
    responses(
        (status = 200, description = "The person's choices, newest of each kind", body = LookupAnswer, example = json!({
            "preferences": [{"kind": "sale_sharing", "value": "opted_out", "since": "2026-12-06T08:00:00Z",
                             "source": "gpc", "regime": "ccpa", "history": 1}]
        })),
        (status = 422, description = "`validation_failed`: `email` `required` (neither given), `invalid_email`, `too_long`; `account_id` `too_long`, `invalid_characters`", body = super::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn lookup_api(
    state: web::Data<AppState>,
    who: ApiStaff<ReadPreferences>,
    body: super::body::ApiJson<LookupBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.parse()?;
    let subject = subject_of(&body).map_err(crate::app::AppError::Invalid)?;
    let standing = preferences::lookup(&state, &who.staff, subject).await?;
    Ok(HttpResponse::Ok().json(LookupAnswer {
        preferences: standing.into_iter().map(StandingJson::from).collect(),
    }))
}
