//! The audit log for auditors and admins: the page (recent events, the log's key and latest signed
//! checkpoint, where checkpoints go, downloads), full verification, the export with its trailer, and
//! the proofs a party outside kaiji checks: checkpoints, inclusion and consistency proofs, a request's
//! evidence pack, and the check of a checkpoint kept elsewhere.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::csrf::Csrf;
use super::error::{ApiError, PageError, WebError};
use super::render;
use super::session::{ApiStaff, Authorized, ReadAudit};
use crate::app::staff::StaffMember;
use crate::app::{AppError, AppState, audit_log, audit_proofs, audit_verify, requests};
use crate::domain::FieldErrors;
use crate::i18n::Tr;

/// Runs blocking audit work on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    web::block(f)
        .await
        .map_err(|e| AppError::Definition(e.to_string()))?
}

fn json_no_store<T: serde::Serialize>(body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

#[derive(Template)]
#[template(path = "pages/staff/audit.html")]
pub struct AuditPage {
    pub tr: Tr,
    pub csrf: String,
    pub staff: StaffMember,
    pub events: Vec<crate::app::requests::AuditLine>,
    pub overview: audit_proofs::Overview,
    /// Where this instance pushes checkpoints, if it does.
    pub push_dir: Option<String>,
    pub push_seconds: u32,
}

pub async fn page(
    state: web::Data<AppState>,
    who: Authorized<ReadAudit>,
    tr: Tr,
    csrf: Csrf,
) -> Result<HttpResponse, PageError> {
    let events = requests::recent_audit(&state, &who.staff, 500).await?;
    let s = state.clone();
    let overview = blocking(move || audit_proofs::overview(&s.db, &s.config, &s.keys)).await?;
    render(
        StatusCode::OK,
        &AuditPage {
            tr,
            csrf: csrf.token(),
            staff: who.staff,
            events,
            overview,
            push_dir: state
                .config
                .audit
                .audit_checkpoint_dir
                .as_ref()
                .map(|d| d.display().to_string()),
            push_seconds: state.config.audit.audit_push_seconds,
        },
    )
}

/// Checks the whole log: every event, the tree, every checkpoint, every erasure.
#[utoipa::path(
    get, path = "/api/v1/audit/verify", tag = "audit",
    description = "Check the whole audit log from its rows: every event's leaf and details, the hash chain before the tree, the Merkle tree against every signed checkpoint, every erasure against its redaction record. `first_broken` names the first event or checkpoint that does not check out, and its era.",
    responses((status = 200, body = audit_verify::LogReport), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn verify_api(
    state: web::Data<AppState>,
    _who: ApiStaff<ReadAudit>,
) -> Result<HttpResponse, ApiError> {
    let db = state.db.clone();
    let report = blocking(move || audit_verify::verify(&db, &[])).await?;
    Ok(json_no_store(&report))
}

/// The largest checkpoint note accepted (a C2SP checkpoint is a few hundred bytes).
const NOTE_LIMIT: usize = 16 * 1024;

/// Proves the log extends a checkpoint kept elsewhere (the API's `kaiji audit verify --against`).
#[utoipa::path(
    post, path = "/api/v1/audit/verify", tag = "audit",
    description = "Send a signed checkpoint kept outside kaiji (text/plain, as `kaiji audit checkpoint` prints it). The answer says whether it is the log's (signature) and whether the log's latest checkpoint extends it, with the RFC 9162 consistency proof; `problem` names what does not hold (`truncated`, `fork`, `inconsistent`, `bad_signature`, …).",
    request_body(content = String, content_type = "text/plain"),
    responses((status = 200, body = audit_proofs::KeptCheck), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn verify_against_api(
    state: web::Data<AppState>,
    _who: ApiStaff<ReadAudit>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    if body.len() > NOTE_LIMIT {
        return Err(WebError::PayloadTooLarge {
            limit: NOTE_LIMIT as u64,
        }
        .into());
    }
    let mut errors = FieldErrors::new();
    if body.iter().all(u8::is_ascii_whitespace) {
        errors.push("checkpoint", "required");
        return Err(AppError::Invalid(errors).into());
    }
    let s = state.clone();
    let check =
        blocking(move || audit_proofs::verify_against(&s.db, &s.config, &s.keys, &body)).await?;
    Ok(json_no_store(&check))
}

#[derive(Deserialize)]
pub struct SizeQuery {
    size: Option<String>,
}

#[derive(Deserialize)]
pub struct InclusionQuery {
    event: Option<String>,
    size: Option<String>,
}

#[derive(Deserialize)]
pub struct ConsistencyQuery {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize)]
pub struct EvidenceQuery {
    request: Option<String>,
}

/// A tree size as typed: absent, or a whole number of events.
fn tree_size(errors: &mut FieldErrors, field: &'static str, raw: Option<&str>) -> Option<i64> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match raw.parse::<i64>() {
        Ok(n) if n >= 0 => Some(n),
        _ => {
            errors.push(field, "invalid_number");
            None
        }
    }
}

fn required_text(errors: &mut FieldErrors, field: &'static str, raw: Option<&str>) -> String {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) if s.len() <= 100 => s.to_owned(),
        Some(_) => {
            errors.push(field, "too_long");
            String::new()
        }
        None => {
            errors.push(field, "required");
            String::new()
        }
    }
}

/// The latest signed checkpoint, or the one of `size` events.
#[utoipa::path(
    get, path = "/api/v1/audit/checkpoint", tag = "audit",
    description = "The latest signed checkpoint (C2SP tlog-checkpoint on a C2SP signed note, Ed25519), or the one of `size` events, with the verifier key to check it.",
    params(("size" = Option<i64>, Query, description = "a tree size the log signed")),
    responses((status = 200, body = audit_proofs::CheckpointView), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn checkpoint_api(
    state: web::Data<AppState>,
    _who: ApiStaff<ReadAudit>,
    query: super::body::ApiQuery<SizeQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::new();
    let size = tree_size(&mut errors, "size", query.size.as_deref());
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let s = state.clone();
    let cp = blocking(move || audit_proofs::checkpoint(&s.db, &s.config, &s.keys, size)).await?;
    Ok(json_no_store(&cp))
}

/// An event's inclusion proof.
#[utoipa::path(
    get, path = "/api/v1/audit/proof/inclusion", tag = "audit",
    description = "The RFC 9162 inclusion proof of one event in the latest signed checkpoint (or the one of `size` events): the leaf's exact bytes, its hash, and the audit path (base64 SHA-256, leaf to root). 409 `not_yet_integrated` for an event still in the merge window.",
    params(("event" = String, Query, description = "the event's id"), ("size" = Option<i64>, Query, description = "a tree size the log signed")),
    responses((status = 200, body = audit_proofs::InclusionProof), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn inclusion_api(
    state: web::Data<AppState>,
    _who: ApiStaff<ReadAudit>,
    query: super::body::ApiQuery<InclusionQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::new();
    let event = required_text(&mut errors, "event", query.event.as_deref());
    let size = tree_size(&mut errors, "size", query.size.as_deref());
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let s = state.clone();
    let proof =
        blocking(move || audit_proofs::inclusion(&s.db, &s.config, &s.keys, &event, size)).await?;
    Ok(json_no_store(&proof))
}

/// A consistency proof between two sizes of the log.
#[utoipa::path(
    get, path = "/api/v1/audit/proof/consistency", tag = "audit",
    description = "The RFC 9162 consistency proof that the latest signed checkpoint (or the one of `to` events) extends the log's first `from` events, with both roots.",
    params(("from" = i64, Query, description = "the smaller tree size"), ("to" = Option<i64>, Query, description = "a tree size the log signed")),
    responses((status = 200, body = audit_proofs::ConsistencyProof), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn consistency_api(
    state: web::Data<AppState>,
    _who: ApiStaff<ReadAudit>,
    query: super::body::ApiQuery<ConsistencyQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::new();
    let from = tree_size(&mut errors, "from", query.from.as_deref());
    let to = tree_size(&mut errors, "to", query.to.as_deref());
    if from.is_none() && errors.is_empty() {
        errors.push("from", "required");
    }
    let (Some(from), true) = (from, errors.is_empty()) else {
        return Err(AppError::Invalid(errors).into());
    };
    let s = state.clone();
    let proof =
        blocking(move || audit_proofs::consistency(&s.db, &s.config, &s.keys, from, to)).await?;
    Ok(json_no_store(&proof))
}

async fn evidence(
    state: &AppState,
    staff: &StaffMember,
    query: EvidenceQuery,
) -> Result<audit_proofs::EvidencePack, WebError> {
    let mut errors = FieldErrors::new();
    let request = required_text(&mut errors, "request", query.request.as_deref());
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors).into());
    }
    let s = state.clone();
    let (actor, now) = (staff.actor(), state.clock.now());
    Ok(blocking(move || {
        // The pack holds the request's audit details: taking it is on record, and covered by it.
        let record = audit_log::record_evidence_export(&s.db, actor, &request, now)?;
        audit_log::integrate_now(&s.db, &s.config, &s.keys, &record)?;
        audit_proofs::evidence_pack(&s.db, &s.config, &s.keys, &request)
    })
    .await?)
}

/// One request's evidence pack.
#[utoipa::path(
    get, path = "/api/v1/audit/evidence", tag = "audit",
    description = "One request's evidence pack: its events (details, salts, digests, the exact leaf bytes), each event's inclusion proof in one signed checkpoint, the checkpoint and the verifier key, and how to check it all offline. Taking it is audited.",
    params(("request" = String, Query, description = "the request's id")),
    responses((status = 200, body = audit_proofs::EvidencePack), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn evidence_api(
    state: web::Data<AppState>,
    who: ApiStaff<ReadAudit>,
    query: super::body::ApiQuery<EvidenceQuery>,
) -> Result<HttpResponse, ApiError> {
    let pack = evidence(&state, &who.staff, query.into_inner()).await?;
    Ok(json_no_store(&pack))
}

/// The same pack as a download from the audit page.
pub async fn evidence_page(
    state: web::Data<AppState>,
    who: Authorized<ReadAudit>,
    query: web::Query<EvidenceQuery>,
) -> Result<HttpResponse, PageError> {
    let pack = evidence(&state, &who.staff, query.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"kaiji-evidence.json\"",
        ))
        .json(pack))
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: Option<String>,
    from: Option<String>,
    to: Option<String>,
    request: Option<String>,
    actor: Option<String>,
}

/// Streams the audit log with its hashes (auditors and admins): CSV or JSON lines, page by page from a
/// blocking reader through a small channel, so memory stays flat whatever the size.
#[utoipa::path(
    get, path = "/api/v1/audit/export", tag = "audit",
    description = "Stream the audit log with its hashes and leaf hashes: format=csv|jsonl, from/to (YYYY-MM-DD, UTC, inclusive), request, actor (staff id or requester|staff|system). The last record is the trailer (CSV: a row whose first field is `#kaiji-trailer`, then tree size, root hash, checkpoint, verifier key, events exported; JSON lines: `{\"trailer\": …}`) holding the signed checkpoint that covers every exported event.",
    responses((status = 200, description = "text/csv or application/x-ndjson"), (status = "4XX", body = super::error::ErrorBody)),
    security(("bearer" = []))
)]
pub async fn export_api(
    state: web::Data<AppState>,
    who: ApiStaff<ReadAudit>,
    query: super::body::ApiQuery<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    Ok(stream_export(&state, &who.staff, query.into_inner()).await?)
}

/// The same download from the audit page (a signed-in auditor's session).
pub async fn export_page(
    state: web::Data<AppState>,
    who: Authorized<ReadAudit>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, PageError> {
    Ok(stream_export(&state, &who.staff, query.into_inner()).await?)
}

async fn stream_export(
    state: &AppState,
    staff: &StaffMember,
    q: ExportQuery,
) -> Result<HttpResponse, WebError> {
    use crate::app::audit_log::ExportFormat;
    let mut errors = FieldErrors::new();
    let format = errors.check(
        "format",
        q.format.as_deref().unwrap_or("csv").parse::<ExportFormat>(),
    );
    let filter = audit_log::parse_filter(
        q.from.as_deref(),
        q.to.as_deref(),
        q.request.as_deref(),
        q.actor.as_deref(),
    );
    let (format, filter) = match (format, filter) {
        (Some(f), Ok(filter)) if errors.is_empty() => (f, filter),
        (_, Err(more)) => {
            for e in more.iter() {
                errors.push(e.field.clone(), e.code);
            }
            return Err(AppError::Invalid(errors).into());
        }
        _ => return Err(AppError::Invalid(errors).into()),
    };
    let s = state.clone();
    let (actor, now) = (staff.actor(), state.clock.now());
    let f = filter.clone();
    blocking(move || {
        // The export's own record is part of it: integrated before the export reads.
        let record = audit_log::record_export(&s.db, actor, &f, format, now)?;
        audit_log::integrate_now(&s.db, &s.config, &s.keys, &record)
    })
    .await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<web::Bytes>(4);
    let s = state.clone();
    tokio::task::spawn_blocking(move || {
        let sent = audit_log::export(&s.db, &s.config, &s.keys, &filter, format, |chunk| {
            tx.blocking_send(web::Bytes::from(chunk)).is_ok()
        });
        if let Err(e) = sent {
            tracing::error!(error = %e, "audit export failed part-way");
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, actix_web::Error>(b), rx))
    });
    let (content_type, ext) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Jsonl => ("application/x-ndjson", "jsonl"),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"kaiji-audit.{ext}\""),
        ))
        .streaming(body))
}
