//! Where a person stands on the choices the law lets them make once for all the business's systems: an
//! opt-out of the sale or sharing of their personal information, a limit on the use of their sensitive
//! data, their own opt-in again (CCPA §§1798.120, 1798.121, 11 CCR §§7026–7028). A choice is recorded
//! when an officer honours the request that carried it (`record_preference`), or at once when the
//! person's browser sends an opt-out preference signal (Global Privacy Control, §7025); data systems
//! read the result (`POST /api/v1/preferences/lookup`). Every record is appended and audited; none is
//! changed.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::cases::Case;
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::preferences::{self as repo, PreferenceRow};
use crate::db::{self, AnyConnection, audit};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::domain::ids::RequestId;
use crate::domain::law::Laws;
use crate::domain::preference::{
    PreferenceKind, PreferenceSource, PreferenceValue, account_lookup_form, email_lookup_form,
};
use crate::security::tokens;

/// Whom a choice belongs to, as data systems know them: an email address, an account id, or both.
#[derive(Clone, Default)]
pub struct PreferenceSubject {
    email: Option<String>,
    account_id: Option<String>,
}

// An address and an account id are personal data: Debug shows neither.
impl std::fmt::Debug for PreferenceSubject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreferenceSubject")
            .field("email", &self.email.as_ref().map(|_| "…"))
            .field("account_id", &self.account_id.as_ref().map(|_| "…"))
            .finish()
    }
}

impl PreferenceSubject {
    /// `None` when neither is given (blank counts as not given).
    pub fn new(email: Option<&str>, account_id: Option<&str>) -> Option<Self> {
        let email = email.map(email_lookup_form).filter(|e| !e.is_empty());
        let account_id = account_id
            .map(account_lookup_form)
            .filter(|a| !a.is_empty());
        (email.is_some() || account_id.is_some()).then_some(Self { email, account_id })
    }

    /// The digests stored and looked up: SHA-256 of the lookup form, with a label so that a digest
    /// here never equals one kept elsewhere for the same text.
    fn digests(&self) -> (Option<String>, Option<String>) {
        (
            self.email
                .as_ref()
                .map(|e| tokens::digest(&format!("kaiji-preference-email:{e}"))),
            self.account_id
                .as_ref()
                .map(|a| tokens::digest(&format!("kaiji-preference-account:{a}"))),
        )
    }
}

/// One kind of choice, as it stands now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StandingPreference {
    pub kind: String,
    pub value: PreferenceValue,
    /// When the choice that holds now was recorded.
    pub since: DateTime<Utc>,
    pub source: PreferenceSource,
    /// The law it was made under.
    pub regime: String,
    /// How many choices of this kind were recorded in all.
    pub history: usize,
}

/// What a choice is, where it came from and under which law.
pub(crate) struct Choice<'a> {
    pub kind: &'a PreferenceKind,
    pub value: PreferenceValue,
    pub source: PreferenceSource,
    pub regime: &'a str,
    pub request_id: Option<&'a RequestId>,
}

/// Appends a choice and its audit event inside the caller's transaction. A signal that repeats what
/// already holds is not recorded again (a browser sends it with every page), so `false` then.
pub(crate) fn record(
    conn: &mut AnyConnection,
    subject: &PreferenceSubject,
    choice: &Choice<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let (email_sha256, account_sha256) = subject.digests();
    if choice.source == PreferenceSource::Gpc {
        let standing = standing_from(repo::history(
            conn,
            email_sha256.as_deref(),
            account_sha256.as_deref(),
        )?);
        if standing
            .iter()
            .any(|s| s.kind == choice.kind.as_str() && s.value == choice.value)
        {
            return Ok(false);
        }
    }
    repo::insert(
        conn,
        &PreferenceRow {
            id: db::new_id(),
            email_sha256,
            account_sha256,
            kind: choice.kind.as_str().to_owned(),
            value: choice.value.as_str().to_owned(),
            source: choice.source.as_str().to_owned(),
            regime: choice.regime.to_owned(),
            request_id: choice.request_id.map(|r| r.to_string()),
            recorded_at: db::to_db_time(now),
        },
    )?;
    let mut event = NewAuditEvent::new(AuditAction::PreferenceRecorded, actor.clone(), now)
        .details(json!({
            "kind": choice.kind.as_str(),
            "value": choice.value.as_str(),
            "source": choice.source.as_str(),
            "regime": choice.regime,
            "by_email": subject.email.is_some(),
            "by_account": subject.account_id.is_some(),
        }));
    if let Some(r) = choice.request_id {
        event = event.for_request(r);
    }
    audit::append(conn, &event)?;
    Ok(true)
}

/// The newest choice of each kind, by kind.
fn standing_from(history: Vec<PreferenceRow>) -> Vec<StandingPreference> {
    let mut out: Vec<StandingPreference> = Vec::new();
    for row in history {
        let (Ok(value), Ok(source)) = (
            row.value.parse::<PreferenceValue>(),
            row.source.parse::<PreferenceSource>(),
        ) else {
            continue;
        };
        let since = db::from_db_time(row.recorded_at);
        match out.iter_mut().find(|s| s.kind == row.kind) {
            Some(s) => {
                s.value = value;
                s.since = since;
                s.source = source;
                s.regime = row.regime;
                s.history += 1;
            }
            None => out.push(StandingPreference {
                kind: row.kind,
                value,
                since,
                source,
                regime: row.regime,
                history: 1,
            }),
        }
    }
    out.sort_by(|a, b| a.kind.cmp(&b.kind));
    out
}

/// Carries out `record_preference` for a request inside its transition: the choice the right names,
/// for the person the request is about (the person an agent filed for, else the requester).
pub(crate) fn record_for_request(
    conn: &mut AnyConnection,
    document_key: &crate::config::KeyRing,
    case: &Case,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(rule) = case.right.as_ref().and_then(|r| r.preference.as_ref()) else {
        return Ok(());
    };
    let regime = case.def.regime.clone();
    let email = match crate::db::requests::find_on_behalf(conn, &case.row.id)? {
        Some(b) => b.person_email,
        None => case.row.subject_email.clone(),
    };
    let account = super::evidence::offered_account_id(conn, document_key, &case.row.id)?;
    let Some(subject) = PreferenceSubject::new(email.as_deref(), account.as_deref()) else {
        // Nobody to record it for (a letter without an address or an account): the officer's
        // answer is the record.
        return Ok(());
    };
    record(
        conn,
        &subject,
        &Choice {
            kind: &rule.kind,
            value: rule.value,
            source: PreferenceSource::Request,
            regime: &regime,
            request_id: Some(&case.row.id),
        },
        actor,
        now,
    )?;
    Ok(())
}

/// Where someone stands, for a staff member or a data system's owner; the asking is audited (how
/// many kinds were found, never whom).
pub async fn lookup(
    state: &AppState,
    staff: &StaffMember,
    subject: PreferenceSubject,
) -> Result<Vec<StandingPreference>, AppError> {
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let (e, a) = subject.digests();
            let standing = standing_from(repo::history(conn, e.as_deref(), a.as_deref())?);
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::PreferencesLookedUp, actor, now).details(json!({
                    "by_email": subject.email.is_some(),
                    "by_account": subject.account_id.is_some(),
                    "kinds_found": standing.len(),
                })),
            )?;
            Ok(standing)
        })
        .await
}

/// Honours a browser's opt-out preference signal for the person a request is about, where the
/// request's law gives the signal an effect: `Some(true)` when it was recorded now, `Some(false)` when
/// it already held, `None` when the law gives it none or nobody can be named.
pub(crate) fn honour_signal_in(
    conn: &mut AnyConnection,
    laws: &Laws,
    case: &Case,
    now: DateTime<Utc>,
) -> Result<Option<bool>, AppError> {
    let Some(regime) = laws.regime(&case.def.regime) else {
        return Ok(None);
    };
    let Some(kind) = regime.gpc.clone() else {
        return Ok(None);
    };
    let email = match crate::db::requests::find_on_behalf(conn, &case.row.id)? {
        Some(b) => b.person_email,
        None => case.row.subject_email.clone(),
    };
    let Some(subject) = PreferenceSubject::new(email.as_deref(), None) else {
        return Ok(None);
    };
    record(
        conn,
        &subject,
        &Choice {
            kind: &kind,
            value: PreferenceValue::OptedOut,
            source: PreferenceSource::Gpc,
            regime: &regime.id,
            request_id: Some(&case.row.id),
        },
        &Actor::Requester,
        now,
    )
    .map(Some)
}

/// The signal on a request's own pages (the receipt, the tracking page), found by its tracking token:
/// honoured in a transaction of its own, so that the filing or the page never fails on it.
pub async fn honour_signal(
    state: &AppState,
    tracking_token: String,
) -> Result<Option<bool>, AppError> {
    if !tokens::looks_like_token(&tracking_token) {
        return Ok(None);
    }
    let now = state.clock.now();
    let catalog = state.workflows.clone();
    state
        .db
        .write(move |conn| {
            let Some(row) =
                crate::db::requests::find_by_token_digest(conn, &tokens::digest(&tracking_token))?
            else {
                return Ok(None);
            };
            let case = Case::from_row(conn, &catalog, row)?;
            honour_signal_in(conn, catalog.laws(), &case, now)
        })
        .await
}

/// How many opt-outs browsers' signals recorded in `[from, to)` (the reports page).
pub(crate) fn signal_opt_outs(
    conn: &mut AnyConnection,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
) -> Result<i64, AppError> {
    Ok(repo::count_by_source(
        conn,
        PreferenceSource::Gpc.as_str(),
        PreferenceValue::OptedOut.as_str(),
        from,
        to,
    )?)
}
