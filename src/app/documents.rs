//! Identity documents and scans: stored encrypted, viewed by staff only (every view audited), checked
//! against the procedure's checklist, and erased a set number of days after the request closes.

use crate::config::UploadKind;
use crate::domain::code::Code;
use crate::domain::code::{apply, coded};
use crate::domain::ids::{DocumentId, FileId, RequestId};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use serde_json::json;

use super::cases::Case;
use super::checklist::recheck;
use super::staff::StaffMember;
use super::workflows::WorkflowCatalog;
use super::{AppError, AppState, Clock};
use crate::config::KeyRing;
use crate::db::documents::{self as repo, FileInfo, IdentityDocumentRow, StoredFileRow};
use crate::db::{self, AnyConnection, Db, audit, write_tx};
use crate::domain::FieldErrors;
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::documents::{Checklist, Holder};
use crate::domain::postal::parse_date;
use crate::security::documents::{self as crypto, Sealed};

/// What a file is for.
#[apply(coded)]
pub enum FilePurpose {
    /// A scanned page of the letter or form.
    Scan,
    IdentityDocument,
    Reply,
}

impl FilePurpose {
    /// Which size limit a file of this purpose is held to.
    pub fn upload_kind(self) -> UploadKind {
        match self {
            FilePurpose::Scan | FilePurpose::IdentityDocument => UploadKind::Scan,
            FilePurpose::Reply => UploadKind::Reply,
        }
    }
}

/// Accepts PDF, JPEG and PNG, judged by the bytes themselves and never by the file's name.
pub fn check_upload(bytes: &[u8], max: u64) -> Result<&'static str, &'static str> {
    if bytes.is_empty() {
        return Err("file_empty");
    }
    if bytes.len() as u64 > max {
        return Err("file_too_large");
    }
    match infer::get(bytes).map(|t| t.mime_type()) {
        Some("application/pdf") => Ok("application/pdf"),
        Some("image/jpeg") => Ok("image/jpeg"),
        Some("image/png") => Ok("image/png"),
        _ => Err("file_type"),
    }
}

fn file_error(code: &'static str) -> AppError {
    AppError::invalid("file", code)
}

pub(crate) fn file_aad(request_id: &RequestId, file_id: &str) -> Vec<u8> {
    format!("kaiji-file:{request_id}:{file_id}").into_bytes()
}

/// A file about to be stored.
struct NewFile<'a> {
    purpose: FilePurpose,
    media_type: &'a str,
    bytes: &'a [u8],
}

/// Seals and stores a file inside the caller's transaction; returns its id.
fn store_file(
    conn: &mut AnyConnection,
    key: &[u8],
    request_id: &RequestId,
    file: NewFile<'_>,
    staff: &StaffMember,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let NewFile {
        purpose,
        media_type,
        bytes,
    } = file;
    let id = db::new_id();
    let sealed = crypto::seal(key, &file_aad(request_id, &id), bytes);
    repo::insert_file(
        conn,
        &StoredFileRow {
            id: id.clone().into(),
            request_id: request_id.to_owned(),
            purpose: purpose.as_str().to_owned(),
            media_type: media_type.to_owned(),
            size_bytes: bytes.len() as i64,
            nonce: sealed.nonce,
            ciphertext: sealed.ciphertext,
            created_by: staff.id.to_string(),
            created_at: db::to_db_time(now),
            purged_at: None,
        },
    )?;
    audit::append(
        conn,
        &NewAuditEvent::new(AuditAction::FileStored, staff.actor(), now)
            .for_request(request_id)
            .details(json!({"file_id": id, "purpose": purpose.as_str(), "media_type": media_type, "size_bytes": bytes.len()})),
    )?;
    Ok(id)
}

/// A scanned page of a letter, stored encrypted.
pub async fn store_scan(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    bytes: Vec<u8>,
) -> Result<String, AppError> {
    store_upload(state, staff, request_id, FilePurpose::Scan, bytes).await
}

/// An uploaded scan or reply, stored encrypted.
pub async fn store_upload(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    purpose: FilePurpose,
    bytes: Vec<u8>,
) -> Result<String, AppError> {
    let media_type = check_upload(
        &bytes,
        state.config.http.upload_limit(purpose.upload_kind()),
    )
    .map_err(file_error)?;
    let key = state.keys.document.clone();
    super::staff::on_request(
        state,
        staff,
        request_id,
        move |conn, staff, now, request_id| {
            store_file(
                conn,
                key.expose(),
                request_id,
                NewFile {
                    purpose,
                    media_type,
                    bytes: &bytes,
                },
                staff,
                now,
            )
        },
    )
    .await
}

/// Someone on staff opening sealed content: a stored file, an item of evidence, a task's export. The
/// content is decrypted and the view audited (`file.viewed`, naming what was opened) in the caller's
/// transaction, so that nothing is shown that the log does not hold.
pub(crate) struct StaffViewer {
    key: KeyRing,
    actor: Actor,
    now: DateTime<Utc>,
}

impl StaffViewer {
    pub(crate) fn new(state: &AppState, staff: &StaffMember) -> Self {
        Self {
            key: state.keys.document.clone(),
            actor: staff.actor(),
            now: state.clock.now(),
        }
    }

    pub(crate) fn open(
        self,
        conn: &mut AnyConnection,
        request_id: &RequestId,
        aad: &[u8],
        sealed: &Sealed,
        opened: serde_json::Value,
    ) -> Result<Vec<u8>, AppError> {
        let plain = self
            .key
            .open(aad, sealed)
            .map_err(|e| AppError::Definition(e.to_string()))?;
        audit::append(
            conn,
            &NewAuditEvent::new(AuditAction::FileViewed, self.actor, self.now)
                .for_request(request_id)
                .details(opened),
        )?;
        Ok(plain)
    }
}

/// Opens a stored file for a staff member; the view is audited before the bytes are returned.
pub async fn view_file(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    file_id: FileId,
) -> Result<(String, Vec<u8>), AppError> {
    let viewer = StaffViewer::new(state, staff);
    state
        .db
        .write(move |conn| {
            let row = repo::find_file(conn, &request_id, &file_id)?.ok_or(AppError::NotFound)?;
            if row.purged_at.is_some() {
                return Err(AppError::Purged);
            }
            let plain = viewer.open(
                conn,
                &request_id,
                &file_aad(&request_id, &file_id),
                &Sealed {
                    nonce: row.nonce,
                    ciphertext: row.ciphertext,
                },
                json!({"file_id": file_id, "purpose": row.purpose}),
            )?;
            Ok((row.media_type, plain))
        })
        .await
}

/// A document as typed in, before checking against the procedure's list of kinds.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawDocument {
    pub kind: String,
    pub holder: String,
    /// "on", "true" or "1": the original, not a copy.
    pub original: String,
    pub created_on: String,
}

struct ParsedDocument {
    kind: String,
    holder: Holder,
    original: bool,
    created_on: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct DocumentOutcome {
    pub document_id: DocumentId,
    pub version: i64,
    pub checklist: Checklist,
}

/// Records an identity document read from the envelope (with its scan, if any), re-checks the list,
/// and records whether documents are now complete and fresh, which the workflow's guards read. One
/// transaction; guarded by the version the officer saw.
pub async fn record_document(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    expected_version: i64,
    raw: RawDocument,
    scan: Option<Vec<u8>>,
) -> Result<DocumentOutcome, AppError> {
    let media_type = match &scan {
        Some(bytes) => Some(
            check_upload(bytes, state.config.http.upload_limit(UploadKind::Scan))
                .map_err(file_error)?,
        ),
        None => None,
    };
    let catalog = state.workflows.clone();
    let key = state.keys.document.clone();
    let now = state.clock.now();
    let staff = staff.clone();
    state
        .db
        .write(move |conn| {
            let mut case = Case::load_at(conn, &catalog, &request_id, expected_version)?;
            let doc = parse_document(&catalog, &case, &raw)?;
            if case.def.state(&case.row.state).is_some_and(|s| s.terminal) {
                return Err(AppError::Conflict);
            }
            let file_id = match (&scan, media_type) {
                (Some(bytes), Some(mt)) => Some(store_file(
                    conn,
                    key.expose(),
                    &request_id,
                    NewFile {
                        purpose: FilePurpose::IdentityDocument,
                        media_type: mt,
                        bytes,
                    },
                    &staff,
                    now,
                )?),
                _ => None,
            };
            let document_id = DocumentId::new(db::new_id());
            repo::insert_document(
                conn,
                &IdentityDocumentRow {
                    id: document_id.clone(),
                    request_id: request_id.clone(),
                    kind: doc.kind.clone(),
                    holder: doc.holder.as_str().to_owned(),
                    original: doc.original,
                    created_on: doc.created_on.map(|d| d.to_string()),
                    file_id: file_id.clone(),
                    recorded_by: staff.id.to_string(),
                    recorded_at: db::to_db_time(now),
                    rejected_reason: None,
                    rejected_by: None,
                    rejected_at: None,
                },
            )?;
            let list = recheck(conn, &mut case, now)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::DocumentRecorded, staff.actor(), now)
                    .for_request(&request_id)
                    .details(json!({
                        "document_id": document_id,
                        "kind": doc.kind,
                        "holder": doc.holder.as_str(),
                        "original": doc.original,
                        "created_on": doc.created_on.map(|d| d.to_string()),
                        "file_id": file_id,
                        "complete": list.complete,
                        "fresh": list.fresh,
                        "version": expected_version + 1,
                    })),
            )?;
            Ok(DocumentOutcome {
                document_id,
                version: expected_version + 1,
                checklist: list,
            })
        })
        .await
}

fn parse_document(
    _catalog: &WorkflowCatalog,
    case: &Case,
    raw: &RawDocument,
) -> Result<ParsedDocument, AppError> {
    let rules = case.def.documents.as_ref().ok_or(AppError::NotFound)?;
    let mut errors = FieldErrors::new();
    let kind = errors.check(
        "kind",
        if raw.kind.trim().is_empty() {
            Err("required")
        } else if rules.kinds.contains_key(raw.kind.trim()) {
            Ok(raw.kind.trim().to_owned())
        } else {
            Err("unknown_document_kind")
        },
    );
    let holder = errors.check(
        "holder",
        raw.holder.trim().parse::<Holder>().map_err(|_| "required"),
    );
    let created_on = if raw.created_on.trim().is_empty() {
        Some(None)
    } else {
        errors.check("created_on", parse_date(&raw.created_on).map(Some))
    };
    let original = matches!(raw.original.trim(), "on" | "true" | "1" | "original");
    match (kind, holder, created_on) {
        (Some(kind), Some(holder), Some(created_on)) if errors.is_empty() => Ok(ParsedDocument {
            kind,
            holder,
            original,
            created_on,
        }),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// A file stored for a request (its contents sealed, and gone once erased), as its page lists it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub id: FileId,
    /// `scan`, `identity_document` or `reply`.
    pub purpose: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub created_at: NaiveDateTime,
    pub purged_at: Option<NaiveDateTime>,
}

impl From<FileInfo> for StoredFile {
    fn from(f: FileInfo) -> Self {
        StoredFile {
            id: f.id,
            purpose: f.purpose,
            media_type: f.media_type,
            size_bytes: f.size_bytes,
            created_at: f.created_at,
            purged_at: f.purged_at,
        }
    }
}

/// An identity document read from the envelope, as the request page lists it.
#[derive(Clone)]
pub struct IdentityDocument {
    pub id: DocumentId,
    pub kind: String,
    pub holder: String,
    pub original: bool,
    pub created_on: Option<String>,
    /// Its scan, when one was stored.
    pub file_id: Option<String>,
    /// Why an officer rejected it (it no longer counts).
    pub rejected_reason: Option<String>,
}

/// The reason an officer rejected it may describe the person: never in a log.
impl std::fmt::Debug for IdentityDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityDocument")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl From<IdentityDocumentRow> for IdentityDocument {
    fn from(d: IdentityDocumentRow) -> Self {
        IdentityDocument {
            id: d.id,
            kind: d.kind,
            holder: d.holder,
            original: d.original,
            created_on: d.created_on,
            file_id: d.file_id,
            rejected_reason: d.rejected_reason,
        }
    }
}

/// Everything stored for a request (without contents), for the request page.
pub async fn files(
    state: &AppState,
    request_id: RequestId,
) -> Result<(Vec<FileInfo>, Vec<IdentityDocumentRow>), AppError> {
    state
        .db
        .run(move |conn| {
            Ok((
                repo::files_for_request(conn, &request_id)?,
                repo::documents_for_request(conn, &request_id)?,
            ))
        })
        .await
}

/// Erases the contents of files whose request closed more than `retention_days` ago; each erasure is
/// audited. Returns how many were erased.
pub fn purge(db: &Db, clock: &Clock, retention_days: u32) -> Result<usize, AppError> {
    let now = clock.now();
    let cutoff = db::to_db_time(now - TimeDelta::days(i64::from(retention_days)));
    let mut conn = db.conn()?;
    write_tx(&mut conn, |conn| {
        let mut n = 0;
        for f in repo::purgeable(conn, cutoff)? {
            if repo::purge_file(conn, &f.id, db::to_db_time(now))? {
                audit::append(
                    conn,
                    &NewAuditEvent::new(AuditAction::FilePurged, Actor::System("retention"), now)
                        .for_request(&f.request_id)
                        .details(json!({"file_id": f.id, "purpose": f.purpose, "retention_days": retention_days})),
                )?;
                n += 1;
            }
        }
        // Answer packages are erased as soon as their link expires.
        for (package_id, request_id) in
            crate::db::replies::expired_packages(conn, db::to_db_time(now))?
        {
            if crate::db::replies::purge_package(conn, &package_id, db::to_db_time(now))? {
                audit::append(
                    conn,
                    &NewAuditEvent::new(AuditAction::FilePurged, Actor::System("expiry"), now)
                        .for_request(&request_id)
                        .details(json!({"package_id": package_id, "purpose": "answer_package"})),
                )?;
                n += 1;
            }
        }
        // Exports uploaded by data systems go the same way.
        for (task_id, request_id) in crate::db::systems::purgeable_exports(conn, cutoff)? {
            if crate::db::systems::purge_export(conn, &task_id, db::to_db_time(now))? {
                audit::append(
                    conn,
                    &NewAuditEvent::new(AuditAction::FilePurged, Actor::System("retention"), now)
                        .for_request(&request_id)
                        .details(json!({"task_id": task_id, "purpose": "export", "retention_days": retention_days})),
                )?;
                n += 1;
            }
        }
        Ok(n)
    })
}
