//! The audit log for auditors and admins: the page (recent events, the log's key and latest signed
//! checkpoint, where checkpoints go, downloads), full verification, the export with its trailer, and
//! the proofs a party outside kaiji checks: checkpoints, inclusion and consistency proofs, a request's
//! evidence pack, and the check of a checkpoint kept elsewhere.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::error::{ApiError, PageError, WebError};
use super::session::{ApiStaff, Authorized, ReadAudit};
use crate::app::staff::StaffMember;
use crate::app::{AppError, AppState, audit_log, audit_proofs, audit_verify};
use crate::domain::FieldErrors;

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

/// Checks the whole log: every event, the tree, every checkpoint, every erasure.
#[utoipa::path(
    get, path = "/api/v1/audit/verify", tag = "audit",
    operation_id = "verifyAudit",
    description = "Check the whole audit log from its rows: every event's leaf and details, the hash chain before the tree, the Merkle tree against every signed checkpoint, every erasure against its redaction record. `first_broken` names the first event or checkpoint that does not check out, and its era.",
    responses(
        (status = 200, description = "The log checked: `intact`, or the first problem found (`first_broken`)", body = audit_verify::LogReport, example = json!({
            "intact": true, "events": 1204, "chain_events": 0, "before_chain": 0, "pending": 2,
            "tree_size": 1204, "root_hash": "3q2+7w0ZJ0s1bS2m6K8x0O4gk7sQy5a0X0f6lO2mWkI=", "checkpoints": 37,
            "verifier_key": "kaiji.example.com/audit+5f1c2a3b+AQ0J5o2zv2o0mS0b3nJQh8pD2bqRj9m0iB3m2gS4cWkE",
            "first_broken": null, "kept": []
        })),
    ),
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

/// A checkpoint note as the body of `POST /api/v1/audit/verify`: text with something besides ASCII
/// white space in it, at most 16 KiB.
#[derive(utoipa::ToSchema)]
#[schema(min_length = 1, max_length = 16384, pattern = r"[^\t\n\f\r ]")]
#[allow(dead_code)]
pub struct CheckpointNote(String);

/// Proves the log extends a checkpoint kept elsewhere (the API's `kaiji audit verify --against`).
#[utoipa::path(
    post, path = "/api/v1/audit/verify", tag = "audit",
    operation_id = "verifyAuditAgainstCheckpoint",
    description = "Send a signed checkpoint kept outside kaiji (text/plain, as `kaiji audit checkpoint` prints it). The answer says whether it is the log's (signature) and whether the log's latest checkpoint extends it, with the RFC 9162 consistency proof; `problem` names what does not hold (`malformed`, `bad_signature`, `wrong_origin`, `nothing_signed`, `truncated`, `fork`, `inconsistent`, `tree_damaged`). A note that is not a checkpoint at all is answered 200 with `problem` `malformed`, not refused.",
    request_body(
        content = CheckpointNote, content_type = "text/plain",
        description = "One C2SP signed note: the checkpoint's origin, tree size and root hash (base64) lines, a blank line, then its signature lines; at most 16 KiB",
        example = json!("kaiji.example.com/audit\n1204\n3q2+7w0ZJ0s1bS2m6K8x0O4gk7sQy5a0X0f6lO2mWkI=\n\n— kaiji.example.com/audit X8sMbWc5m2o9QzC8h0n7yRk3b4VwT1uJd6eLfA2pZq0gHs9xYv3iNjK7lMtOuPwQrSe1UaXbYcZd0f2g4h6j8k==\n")
    ),
    responses(
        (status = 200, description = "What the kept checkpoint proves: `consistent` when the log extends it, else `problem`", body = audit_proofs::KeptCheck, example = json!({
            "consistent": true, "problem": null, "kept_size": 1180,
            "kept_root": "Ld3lq0pM8u8rJ4y9oZ1c2b6P7x5T2wA3sV4nE6kH0gQ=",
            "current_size": 1204, "current_root": "3q2+7w0ZJ0s1bS2m6K8x0O4gk7sQy5a0X0f6lO2mWkI=",
            "current_checkpoint": "kaiji.example.com/audit\n1204\n3q2+7w0ZJ0s1bS2m6K8x0O4gk7sQy5a0X0f6lO2mWkI=\n\n— kaiji.example.com/audit X8sMbWc5m2o9QzC8h0n7yRk3b4VwT1uJd6eLfA2pZq0g==\n",
            "proof": ["q8m3Jt0cXxX0r6p5aS3dYb1eN4wZ2u7vK9fG0hL1iMo=", "b2VtZXJrbGVwcm9vZmhhc2h0d29vZmZvdXJhYmNkZWY="]
        })),
        (status = 413, description = "`payload_too_large`: the note is larger than 16 KiB", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `checkpoint` `required` (the body is empty or blank)", body = super::error::ErrorBody),
    ),
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

/// A tree size as a query parameter: a whole number of events from 0, or empty (as if absent).
fn tree_size_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .minimum(Some(0)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .into()
}

/// `format`: `csv`, `jsonl`, or empty (`csv`).
fn export_format_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(["csv", "jsonl", ""]))
        .into()
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SizeQuery {
    /// A tree size the log signed a checkpoint for; the latest checkpoint when absent or empty.
    #[param(schema_with = tree_size_schema, example = 1204)]
    size: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// The event's id (as the export and the evidence pack name it): at most 100 bytes.
    #[param(value_type = String, required = true, min_length = 1, max_length = 100, pattern = "^[!-~]+$", example = "0197a3c2-5b1e-7c3d-9f10-2a4b6c8d0e1f")]
    event: Option<String>,
    /// A tree size the log signed a checkpoint for; the latest checkpoint when absent or empty.
    #[param(schema_with = tree_size_schema, example = 1204)]
    size: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// The smaller tree size (a checkpoint kept elsewhere), at most the larger one.
    #[param(value_type = i64, required = true, minimum = 0, example = 1180)]
    from: Option<String>,
    /// A tree size the log signed a checkpoint for; the latest checkpoint when absent or empty.
    #[param(schema_with = tree_size_schema, example = 1204)]
    to: Option<String>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvidenceQuery {
    /// The request's id: at most 100 bytes.
    #[param(value_type = String, required = true, min_length = 1, max_length = 100, pattern = "^[!-~]+$", example = "0197a3c2-4d2f-7e01-8a9b-0c1d2e3f4a5b")]
    request: Option<String>,
}

/// A tree size as typed: absent or empty, or a whole number of events. Nothing else, not even
/// blanks: the contract says a number or the empty string, and `size=%20` is neither.
fn tree_size(errors: &mut FieldErrors, field: &'static str, raw: Option<&str>) -> Option<i64> {
    let raw = raw.filter(|s| !s.is_empty())?;
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
    operation_id = "getCheckpoint",
    description = "The latest signed checkpoint (C2SP tlog-checkpoint on a C2SP signed note, Ed25519), or the one of `size` events, with the verifier key to check it.",
    params(SizeQuery),
    responses(
        (status = 200, description = "The signed checkpoint and the key it is signed with", body = audit_proofs::CheckpointView, example = json!({
            "origin": "kaiji.example.com/audit", "tree_size": 1204,
            "root_hash": "3q2+7w0ZJ0s1bS2m6K8x0O4gk7sQy5a0X0f6lO2mWkI=",
            "checkpoint": "kaiji.example.com/audit\n1204\n3q2+7w0ZJ0s1bS2m6K8x0O4gk7sQy5a0X0f6lO2mWkI=\n\n— kaiji.example.com/audit X8sMbWc5m2o9QzC8h0n7yRk3b4VwT1uJd6eLfA2pZq0g==\n",
            "verifier_key": "kaiji.example.com/audit+5f1c2a3b+AQ0J5o2zv2o0mS0b3nJQh8pD2bqRj9m0iB3m2gS4cWkE",
            "signed_at": "2026-03-02T09:15:04.120Z"
        })),
        (status = 404, description = "`not_found`: no checkpoint of `size` events, or none signed yet", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `size` `invalid_number` (not a whole number from 0)", body = super::error::ErrorBody),
    ),
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
    operation_id = "getInclusionProof",
    description = "The RFC 9162 inclusion proof of one event in the latest signed checkpoint (or the one of `size` events): the leaf's exact bytes, its hash, and the audit path (base64 SHA-256, leaf to root). 409 `not_yet_integrated` for an event still in the merge window.",
    params(InclusionQuery),
    responses(
        (status = 200, description = "The event's leaf and its audit path to the checkpoint's root", body = audit_proofs::InclusionProof, example = json!({
            "event_id": "0197a3c2-5b1e-7c3d-9f10-2a4b6c8d0e1f", "seq": 1180, "leaf_index": 1179, "tree_size": 1204,
            "root_hash": "3q2+7w0ZJ0s1bS2m6K8x0O4gk7sQy5a0X0f6lO2mWkI=",
            "leaf_data": "WyJrYWlqaS1hdWRpdC8yIiwxMTgwXQ==",
            "leaf_hash": "Jm0xQ3b2mY1a8R4e5T6u7I8o9P0aSdFgHjKlZxCvBnM=",
            "audit_path": ["q8m3Jt0cXxX0r6p5aS3dYb1eN4wZ2u7vK9fG0hL1iMo="],
            "checkpoint": "kaiji.example.com/audit\n1204\n3q2+7w0ZJ0s1bS2m6K8x0O4gk7sQy5a0X0f6lO2mWkI=\n\n— kaiji.example.com/audit X8sMbWc5m2o9QzC8h0n7yRk3b4VwT1uJd6eLfA2pZq0g==\n"
        })),
        (status = 404, description = "`not_found`: no such event (or one written before the log was chained), no checkpoint of `size` events, or the event is not in that tree", body = super::error::ErrorBody),
        (status = 409, description = "`not_yet_integrated`: the event is still in the merge window (no signed checkpoint covers it yet); ask again in a moment", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `event` `required` or `too_long`; `size` `invalid_number`", body = super::error::ErrorBody),
    ),
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
    operation_id = "getConsistencyProof",
    description = "The RFC 9162 consistency proof that the latest signed checkpoint (or the one of `to` events) extends the log's first `from` events, with both roots.",
    params(ConsistencyQuery),
    responses(
        (status = 200, description = "Both roots and the proof that the larger tree extends the smaller", body = audit_proofs::ConsistencyProof, example = json!({
            "first_size": 1180, "first_root": "Ld3lq0pM8u8rJ4y9oZ1c2b6P7x5T2wA3sV4nE6kH0gQ=",
            "first_checkpoint": null,
            "second_size": 1204, "second_root": "3q2+7w0ZJ0s1bS2m6K8x0O4gk7sQy5a0X0f6lO2mWkI=",
            "second_checkpoint": "kaiji.example.com/audit\n1204\n3q2+7w0ZJ0s1bS2m6K8x0O4gk7sQy5a0X0f6lO2mWkI=\n\n— kaiji.example.com/audit X8sMbWc5m2o9QzC8h0n7yRk3b4VwT1uJd6eLfA2pZq0g==\n",
            "proof": ["q8m3Jt0cXxX0r6p5aS3dYb1eN4wZ2u7vK9fG0hL1iMo="]
        })),
        (status = 404, description = "`not_found`: no checkpoint of `to` events (or none signed yet), or `from` is larger than the tree", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `from` `required` or `invalid_number`; `to` `invalid_number`", body = super::error::ErrorBody),
    ),
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
    operation_id = "getEvidencePack",
    description = "One request's evidence pack: its events (details, salts, digests, the exact leaf bytes), each event's inclusion proof in one signed checkpoint, the checkpoint and the verifier key, and how to check it all offline. Taking it is audited. `occurred_at` and `redacted_at` are given as the leaf holds them (UTC, no offset: `YYYY-MM-DDTHH:MM:SS.ffffff`), since the leaf is rebuilt from them.",
    params(EvidenceQuery),
    responses(
        (status = 200, description = "The request's events, each with its inclusion proof in one signed checkpoint", body = audit_proofs::EvidencePack),
        (status = 404, description = "`not_found`: the log holds no event of this request", body = super::error::ErrorBody),
        (status = 409, description = "`not_yet_integrated`: no checkpoint is signed yet; ask again in a moment", body = super::error::ErrorBody),
        (status = 422, description = "`validation_failed`: `request` `required` or `too_long`", body = super::error::ErrorBody),
    ),
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (the default, also when empty) or `jsonl` (one JSON object a line).
    #[param(schema_with = export_format_schema, example = "jsonl")]
    format: Option<String>,
    /// The first day (UTC) whose events are exported, `YYYY-MM-DD`.
    #[param(schema_with = super::schemas::date_or_empty, example = "2026-01-01")]
    from: Option<String>,
    /// The last day (UTC) whose events are exported, inclusive, `YYYY-MM-DD`.
    #[param(schema_with = super::schemas::date_or_empty, example = "2026-03-31")]
    to: Option<String>,
    /// Only this request's events (its id).
    request: Option<String>,
    /// Only this actor's events: a staff member's id, or a kind of actor (`requester`, `staff`,
    /// `system`).
    #[param(example = "staff")]
    actor: Option<String>,
}

/// Streams the audit log with its hashes (auditors and admins): CSV or JSON lines, page by page from a
/// blocking reader through a small channel, so memory stays flat whatever the size.
#[utoipa::path(
    get, path = "/api/v1/audit/export", tag = "audit",
    operation_id = "exportAudit",
    description = "Stream the audit log with its hashes and leaf hashes: format=csv|jsonl, from/to (YYYY-MM-DD, UTC, inclusive), request, actor (staff id or requester|staff|system). The last record is the trailer (CSV: a row whose first field is `#kaiji-trailer`, then tree size, root hash, checkpoint, verifier key, events exported, …; JSON lines: `{\"trailer\": …}`) holding the signed checkpoint that covers every exported event. Times are UTC as the leaves hold them (`YYYY-MM-DDTHH:MM:SS.ffffff`). Taking it is audited, and the export holds its own record.",
    params(ExportQuery),
    responses(
        (status = 200, description = "The events, streamed as an attachment: CSV with a header row (`format=csv`, the default) or JSON lines (`format=jsonl`), the trailer last", content(
            (String = "text/csv", example = json!("seq,id,occurred_at,action,actor_kind,actor_id,request_id,from_state,to_state,details,details_salt,details_sha256,redacted_at,prev_hash,hash,leaf_hash\n1,0197a3c2-5b1e-7c3d-9f10-2a4b6c8d0e1f,2026-01-05T09:00:00.000000,request.received,requester,,0197a3c2-4d2f-7e01-8a9b-0c1d2e3f4a5b,,received,{},9f8e7d6c5b4a39281706f5e4d3c2b1a0,5d41402abc4b2a76b9719d911017c592,,,,Jm0xQ3b2mY1a8R4e5T6u7I8o9P0aSdFgHjKlZxCvBnM=\n")),
            (String = "application/x-ndjson", example = json!("{\"seq\":1,\"id\":\"0197a3c2-5b1e-7c3d-9f10-2a4b6c8d0e1f\",\"occurred_at\":\"2026-01-05T09:00:00.000000\",\"action\":\"request.received\",\"actor_kind\":\"requester\",\"actor_id\":null,\"request_id\":\"0197a3c2-4d2f-7e01-8a9b-0c1d2e3f4a5b\",\"from_state\":null,\"to_state\":\"received\",\"details\":\"{}\",\"details_salt\":\"9f8e7d6c5b4a39281706f5e4d3c2b1a0\",\"details_sha256\":\"5d41402abc4b2a76b9719d911017c592\",\"redacted_at\":null,\"prev_hash\":null,\"hash\":null,\"leaf_hash\":\"Jm0xQ3b2mY1a8R4e5T6u7I8o9P0aSdFgHjKlZxCvBnM=\"}\n{\"trailer\":{\"tree_size\":1,\"root_hash\":\"Jm0xQ3b2mY1a8R4e5T6u7I8o9P0aSdFgHjKlZxCvBnM=\",\"checkpoint\":\"kaiji.example.com/audit\\n1\\n…\",\"verifier_key\":\"kaiji.example.com/audit+5f1c2a3b+AQ0J5o2zv2o0mS0b3nJQh8pD2bqRj9m0iB3m2gS4cWkE\",\"events_exported\":1}}\n"))
        )),
        (status = 422, description = "`validation_failed`: `format` `unknown_format`; `from` or `to` `invalid_date`", body = super::error::ErrorBody),
    ),
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
    // The export runs on a blocking thread and hands its pages over a small channel. Nothing is answered
    // before its first bytes: a failure until then (the log's key, a damaged checkpoint) is an error
    // response, never an empty 200. A failure later aborts the chunked body without its last chunk,
    // and the trailer (the row count and digest `kaiji audit verify-export` checks) never comes.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, AppError>>(4);
    let s = state.clone();
    tokio::task::spawn_blocking(move || {
        let sent = audit_log::export(&s.db, &s.config, &s.keys, &filter, format, |chunk| {
            tx.blocking_send(Ok(web::Bytes::from(chunk))).is_ok()
        });
        if let Err(e) = sent {
            tracing::error!(error = %e, "audit export failed");
            let _ = tx.blocking_send(Err(e));
        }
    });
    let first = match rx.recv().await {
        Some(Ok(bytes)) => bytes,
        Some(Err(e)) => return Err(e.into()),
        None => {
            return Err(AppError::Definition(
                "the audit export ended before its first bytes".into(),
            )
            .into());
        }
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|r| {
            let item = r.map_err(|e| {
                actix_web::error::ErrorInternalServerError(format!("audit export failed: {e}"))
            });
            (item, rx)
        })
    });
    let body = futures_util::StreamExt::chain(
        futures_util::stream::iter([Ok::<_, actix_web::Error>(first)]),
        rest,
    );
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
