//! What a requester sends from their tracking page to prove who they are — data points to match, an
//! identity document — or, for an agent, the person's signed authorisation. Everything is sealed at
//! rest, opened only by staff (each opening audited), and emptied as soon as it has served: identity
//! evidence right after the identity decision (as the EDPB advises), an authorisation when the request
//! closes.

use crate::config::UploadKind;
use crate::domain::ids::{EvidenceId, RequestId};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::json;

use super::cases::Case;
use super::documents::{StaffViewer, check_upload};
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::evidence::{self as repo, EvidenceInfo, EvidenceRow};
use crate::db::{self, AnyConnection, audit};
use crate::domain::FieldErrors;
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::domain::identity::EvidenceKind::{
    self, AgentAuthorisation, DataPoints, IdentityDocument,
};
use crate::domain::identity::{OfferedEvidence, RawEvidence, parse_evidence};
use crate::domain::stored::read_json;
use crate::domain::workflow::{Fact, Facts};
use crate::security::documents::{self as crypto, Sealed};
use crate::security::tokens;

pub(crate) fn aad(request_id: &RequestId, id: &str) -> Vec<u8> {
    format!("kaiji-evidence:{request_id}:{id}").into_bytes()
}

/// A file the requester attached, and what they say it is.
pub struct AttachedFile {
    /// `identity_document` or `agent_authorisation`.
    pub kind: String,
    pub bytes: Vec<u8>,
}

/// Stores what the requester sent for the request behind `tracking_token`. Refused, field by field,
/// when it is not wanted: identity already verified (no document is asked for after a stronger method
/// succeeded), an authorisation on a request the person filed themselves, a closed request, nothing sent.
pub async fn submit(
    state: &AppState,
    tracking_token: String,
    raw: RawEvidence,
    file: Option<AttachedFile>,
) -> Result<(), AppError> {
    if !tokens::looks_like_token(&tracking_token) {
        return Err(AppError::NotFound);
    }
    let mut errors = FieldErrors::new();
    let offered = match parse_evidence(&raw) {
        Ok(o) => Some(o),
        Err(e) => {
            errors = e;
            None
        }
    };
    let file = match file {
        None => None,
        Some(f) => {
            // Data points come in the form's fields, not as a file.
            let kind = match f.kind.parse() {
                Ok(k @ (IdentityDocument | AgentAuthorisation)) => Some(k),
                Ok(DataPoints) | Err(_) => {
                    errors.push("file_kind", "required");
                    None
                }
            };
            let media = errors.check(
                "file",
                check_upload(&f.bytes, state.config.http.upload_limit(UploadKind::Scan)),
            );
            kind.zip(media).map(|(k, m)| (k, m, f.bytes))
        }
    };
    let Some(offered) = offered.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let catalog = state.workflows.clone();
    let key = state.keys.document.clone();
    let now = state.clock.now();
    let most = i64::from(state.config.intake.evidence_per_request);
    state
        .db
        .write(move |conn| {
            let case = Case::lock_by_tracking_token(conn, &catalog, &tracking_token)?;
            if case.state_label().1 {
                return Err(AppError::invalid("evidence", "request_closed"));
            }
            if repo::count_for_request(conn, &case.row.id)? >= most {
                return Err(AppError::invalid("evidence", "too_much_evidence"));
            }
            let verified = case.facts.contains(&Fact::IdentityVerified);
            let proves_identity = !offered.points.is_empty()
                || offered.declared_by.is_some()
                || file.as_ref().is_some_and(|f| f.0 == IdentityDocument);
            if verified && proves_identity {
                return Err(AppError::invalid("evidence", "already_verified"));
            }
            if file.as_ref().is_some_and(|f| f.0 == AgentAuthorisation)
                && !case.facts.contains(&Fact::FiledByAgent)
            {
                return Err(AppError::invalid("file_kind", "not_filed_by_agent"));
            }
            if !proves_identity && file.is_none() {
                return Err(AppError::invalid("evidence", "nothing_supplied"));
            }
            let mut kinds = Vec::new();
            if !offered.points.is_empty() || offered.declared_by.is_some() {
                store_offered(conn, key.expose(), &case.row.id, &offered, now)?;
                kinds.push(DataPoints);
            }
            if let Some((kind, media, bytes)) = &file {
                store(
                    conn,
                    key.expose(),
                    &case.row.id,
                    *kind,
                    media,
                    bytes,
                    None,
                    now,
                )?;
                kinds.push(*kind);
            }
            // Names only: the values are personal data and stay sealed.
            let names: Vec<&String> = offered.points.keys().collect();
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::EvidenceReceived, Actor::Requester, now)
                    .for_request(&case.row.id)
                    .details(json!({"kinds": kinds, "points": names,
                                        "declaration_signed": offered.declared_by.is_some()})),
            )?;
            Ok(())
        })
        .await
}

/// Seals offered data points (and the declaration's name) inside the caller's transaction.
pub(crate) fn store_offered(
    conn: &mut AnyConnection,
    key: &[u8],
    request_id: &RequestId,
    offered: &OfferedEvidence,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let body = serde_json::to_vec(offered).map_err(|e| AppError::Definition(e.to_string()))?;
    store(
        conn,
        key,
        request_id,
        DataPoints,
        "application/json",
        &body,
        offered.declared_by.clone(),
        now,
    )
}

#[allow(clippy::too_many_arguments)]
fn store(
    conn: &mut AnyConnection,
    key: &[u8],
    request_id: &RequestId,
    kind: EvidenceKind,
    media_type: &str,
    bytes: &[u8],
    declared_by: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let id = db::new_id();
    let sealed = crypto::seal(key, &aad(request_id, &id), bytes);
    repo::insert(
        conn,
        &EvidenceRow {
            id: id.into(),
            request_id: request_id.to_owned(),
            kind: kind.to_owned(),
            media_type: media_type.to_owned(),
            size_bytes: bytes.len() as i64,
            nonce: sealed.nonce,
            ciphertext: sealed.ciphertext,
            declared_by,
            created_at: db::to_db_time(now),
            purged_at: None,
        },
    )?;
    Ok(())
}

/// The account id the requester gave with the request, if they gave one and it is still held.
pub(crate) fn offered_account_id(
    conn: &mut AnyConnection,
    key: &crate::config::KeyRing,
    request_id: &RequestId,
) -> Result<Option<String>, AppError> {
    for info in repo::for_request(conn, request_id)? {
        if info.kind != DataPoints || info.purged_at.is_some() {
            continue;
        }
        let Some(row) = repo::find(conn, request_id, &info.id)? else {
            continue;
        };
        let plain = key
            .open(
                &aad(request_id, &info.id),
                &Sealed {
                    nonce: row.nonce,
                    ciphertext: row.ciphertext,
                },
            )
            .map_err(|_| AppError::Definition("sealed data points do not open".into()))?;
        let offered: OfferedEvidence =
            read_json("data points", &plain).map_err(|e| AppError::Definition(e.to_string()))?;
        if let Some(a) = offered.points.get("account_id") {
            return Ok(Some(a.clone()));
        }
    }
    Ok(None)
}

/// Whether the requester has signed the declaration under penalty of perjury on this request.
pub(crate) fn declaration_signed(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<bool, AppError> {
    Ok(repo::for_request(conn, request_id)?
        .iter()
        .any(|e| e.declared_by.is_some()))
}

/// Something the requester sent (its contents sealed, and gone once erased), as the request page and
/// the API list it.
#[derive(Debug, Clone)]
pub struct SentEvidence {
    pub id: EvidenceId,
    pub kind: EvidenceKind,
    pub media_type: String,
    /// The requester signed the declaration that it is true (by typing their name).
    pub declaration_signed: bool,
    pub created_at: NaiveDateTime,
    pub purged_at: Option<NaiveDateTime>,
}

impl From<EvidenceInfo> for SentEvidence {
    fn from(e: EvidenceInfo) -> Self {
        SentEvidence {
            id: e.id,
            kind: e.kind,
            media_type: e.media_type,
            declaration_signed: e.declared_by.is_some(),
            created_at: e.created_at,
            purged_at: e.purged_at,
        }
    }
}

/// What was received for a request (without contents), for the request page.
pub async fn list(state: &AppState, request_id: RequestId) -> Result<Vec<EvidenceInfo>, AppError> {
    state
        .db
        .run(move |conn| Ok(repo::for_request(conn, &request_id)?))
        .await
}

/// Opens one item for a staff member; the opening is audited before the contents are returned.
pub async fn open(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    evidence_id: EvidenceId,
) -> Result<(String, Vec<u8>), AppError> {
    let viewer = StaffViewer::new(state, staff);
    state
        .db
        .write(move |conn| {
            let row = repo::find(conn, &request_id, &evidence_id)?.ok_or(AppError::NotFound)?;
            if row.purged_at.is_some() {
                return Err(AppError::Purged);
            }
            let mut plain = viewer.open(
                conn,
                &request_id,
                &aad(&request_id, &evidence_id),
                &Sealed {
                    nonce: row.nonce,
                    ciphertext: row.ciphertext,
                },
                json!({"evidence_id": evidence_id, "purpose": row.kind}),
            )?;
            if row.kind == DataPoints {
                // Shown with the declaration the requester signed, if any.
                let mut offered: OfferedEvidence = read_json("data points", &plain)
                    .map_err(|e| AppError::Definition(e.to_string()))?;
                offered.declared_by = row.declared_by.clone();
                plain = serde_json::to_vec_pretty(&json!({
                    "points": offered.points,
                    "declaration_signed_by": offered.declared_by,
                }))
                .map_err(|e| AppError::Definition(e.to_string()))?;
            }
            Ok((row.media_type, plain))
        })
        .await
}

/// Records an officer's finding that identity is verified, and erases the requester's identity
/// evidence in the same transaction (it has served).
pub(crate) fn mark_identity_verified(
    conn: &mut AnyConnection,
    case: &mut Case,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    case.facts.insert(Fact::IdentityVerified);
    case.save_facts(conn, now)?;
    purge_after_decision(conn, &case.row.id, &case.facts, false, now)
}

/// Empties evidence that has served, inside the caller's transaction: identity evidence once identity
/// is decided (verified, or the request closed), everything once the request closes. Each erasure is
/// audited.
pub(crate) fn purge_after_decision(
    conn: &mut AnyConnection,
    request_id: &RequestId,
    facts: &Facts,
    closed: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    let kinds: &[EvidenceKind] = if closed {
        EvidenceKind::ALL
    } else if facts.contains(&Fact::IdentityVerified) {
        &[DataPoints, IdentityDocument]
    } else {
        return Ok(());
    };
    for (id, kind) in repo::purge(conn, request_id, kinds, db::to_db_time(now))? {
        audit::append(
            conn,
            &NewAuditEvent::new(
                AuditAction::FilePurged,
                Actor::System("identity_decision"),
                now,
            )
            .for_request(request_id)
            .details(json!({"evidence_id": id, "purpose": kind})),
        )?;
    }
    Ok(())
}
