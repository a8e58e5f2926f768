//! Replies: the dispatch by 配達証明付書留 and its delivery certificate, the expiring download for
//! electronic disclosure (the first download closes the request), and the changes an answer made.

use crate::domain::code::Code;
use crate::domain::ids::{DownloadId, NoticeId, RequestId};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, json};

use super::cases::{Case, received_on, today_in};
use super::staff::StaffMember;
use super::transition::{TransitionContext, apply_event};
use super::{AppError, AppState};
use crate::config::Keys;
use crate::db::replies::{self as repo, DataChangeRow, DownloadRow};
use crate::db::{self, AnyConnection, audit, postal};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::postal::TrackingNumber;
use crate::domain::reply::{RawChange, download_open, parse_change};
use crate::domain::request::Language;
use crate::domain::workflow::{Fact, Party};
use crate::security::documents::Sealed;
use crate::security::tokens;

const DOWNLOAD_LINK: &str = "reply-download";

/// The path of a released download: its id signed under the server's session key, so it can be printed
/// again on a letter and nothing secret is stored.
pub fn download_path(keys: &Keys, id: &str) -> String {
    format!(
        "/download/{}",
        tokens::signed_id(keys.session.expose(), DOWNLOAD_LINK, id)
    )
}

fn verify_link(keys: &Keys, link: &str) -> Option<String> {
    keys.session.verify_signed_id(DOWNLOAD_LINK, link)
}

/// What the download page shows before the requester asks for the file.
#[derive(Debug, Clone)]
pub struct DownloadView {
    pub receipt_number: String,
    pub language: Language,
    pub expires_at: DateTime<Utc>,
    pub media_type: String,
    pub size_bytes: i64,
    pub downloads_left: i64,
}

fn load_download(
    conn: &mut AnyConnection,
    keys: &Keys,
    link: &str,
    now: DateTime<Utc>,
) -> Result<DownloadRow, AppError> {
    let id = DownloadId::new(verify_link(keys, link).ok_or(AppError::NotFound)?);
    let row = repo::find_download(conn, &id)?.ok_or(AppError::NotFound)?;
    if row.revoked_at.is_some() {
        return Err(AppError::LinkRevoked);
    }
    if !download_open(db::from_db_time(row.expires_at), now) {
        return Err(AppError::LinkExpired);
    }
    if row.downloads >= row.max_downloads {
        return Err(AppError::DownloadLimitReached);
    }
    Ok(row)
}

/// What a link serves: an uploaded reply (PDF or image) or an answer package (ZIP).
struct Content {
    media_type: String,
    size_bytes: i64,
    extension: &'static str,
    sealed: Sealed,
    aad: Vec<u8>,
}

fn content_of(conn: &mut AnyConnection, row: &DownloadRow) -> Result<Content, AppError> {
    match (&row.file_id, &row.package_id) {
        (Some(file_id), _) => {
            let file = crate::db::documents::find_file(conn, &row.request_id, file_id)?
                .ok_or(AppError::NotFound)?;
            if file.purged_at.is_some() {
                return Err(AppError::Purged);
            }
            let extension = match file.media_type.as_str() {
                "application/pdf" => "pdf",
                "image/png" => "png",
                _ => "jpg",
            };
            Ok(Content {
                media_type: file.media_type,
                size_bytes: file.size_bytes,
                extension,
                sealed: Sealed {
                    nonce: file.nonce,
                    ciphertext: file.ciphertext,
                },
                aad: super::documents::file_aad(&row.request_id, file_id),
            })
        }
        (None, Some(package_id)) => {
            let p = repo::find_package(conn, package_id)?.ok_or(AppError::NotFound)?;
            if p.purged_at.is_some() {
                return Err(AppError::Purged);
            }
            Ok(Content {
                media_type: "application/zip".into(),
                size_bytes: p.size_bytes,
                extension: "zip",
                sealed: Sealed {
                    nonce: p.nonce,
                    ciphertext: p.ciphertext,
                },
                aad: super::package::package_aad(&row.request_id, package_id),
            })
        }
        (None, None) => Err(AppError::NotFound),
    }
}

pub async fn download_view(state: &AppState, link: String) -> Result<DownloadView, AppError> {
    let keys = state.keys.clone();
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            let row = load_download(conn, &keys, &link, now)?;
            let case = Case::load(conn, &catalog, &row.request_id)?;
            let content = content_of(conn, &row)?;
            Ok(DownloadView {
                receipt_number: case.row.receipt_number.clone(),
                language: case.language,
                expires_at: db::from_db_time(row.expires_at),
                media_type: content.media_type,
                size_bytes: content.size_bytes,
                downloads_left: row.max_downloads - row.downloads,
            })
        })
        .await
}

/// The requester downloads the reply: decrypted, counted against the link's limit, audited, and the
/// first download of a released postal reply closes the request (the workflow's requester-fired
/// `record_download`). All in one transaction.
pub async fn download(
    state: &AppState,
    link: String,
) -> Result<(String, Vec<u8>, String), AppError> {
    let keys = state.keys.clone();
    let catalog = state.workflows.clone();
    let config = state.config.clone();
    let now = state.clock.now();
    state
        .db
        .write(move |conn| {
            let row = load_download(conn, &keys, &link, now)?;
            // Take the download atomically before decrypting anything; a lost race reads again
            // to say why.
            if !repo::take_download(conn, &row.id, db::to_db_time(now))? {
                load_download(conn, &keys, &link, now)?;
                return Err(AppError::DownloadLimitReached);
            }
            let content = content_of(conn, &row)?;
            let plain = keys
                .document
                .open(&content.aad, &content.sealed)
                .map_err(|e| AppError::Definition(e.to_string()))?;
            let first = repo::count_download(conn, &row.id, db::to_db_time(now))?;
            let mut case = Case::load(conn, &catalog, &row.request_id)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::ReplyDownloaded, Actor::Requester, now)
                    .for_request(&row.request_id)
                    .details(json!({"download_id": row.id, "file_id": row.file_id,
                                        "package_id": row.package_id, "first": first,
                                        "download": row.downloads + 1, "of": row.max_downloads})),
            )?;
            let offered = case.def.transitions.iter().any(|t| {
                t.event == "record_download" && t.requester && t.from.contains(&case.row.state)
            });
            if first && offered {
                let cx = TransitionContext {
                    catalog: &catalog,
                    config: &config,
                    keys: &keys,
                    actor: &Actor::Requester,
                    by: Party::Requester,
                    now,
                };
                apply_event(conn, &cx, &mut case, "record_download", Map::new())?;
            }
            Ok((
                content.media_type,
                plain,
                format!("{}.{}", case.row.receipt_number, content.extension),
            ))
        })
        .await
}

/// An officer withdraws a released link (sent to the wrong address, say). Audited.
pub async fn revoke_download(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    download_id: DownloadId,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            if !repo::revoke_download(conn, &request_id, &download_id, db::to_db_time(now))? {
                return Err(AppError::NotFound);
            }
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::DownloadRevoked, actor, now)
                    .for_request(&request_id)
                    .details(json!({"download_id": download_id})),
            )?;
            Ok(())
        })
        .await
}

/// Records what a correction, deletion or stop of use changed, once identity is confirmed and while the
/// request is open. The audit names the item, not the values.
pub async fn record_change(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    raw: RawChange,
) -> Result<RecordedChange, AppError> {
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    let staff_id = staff.id.clone();
    state
        .db
        .write(move |conn| {
            let case = Case::load(conn, &catalog, &request_id)?;
            let change = parse_change(
                case.right.as_ref().and_then(|r| r.change),
                &raw.item,
                &raw.prior_value,
                &raw.new_value,
            )
            .map_err(AppError::Invalid)?;
            // Changes belong to the reply: none once it has gone out (or before identity is known).
            let replied = repo::find_dispatch(conn, &request_id)?.is_some()
                || !repo::downloads_for_request(conn, &request_id)?.is_empty();
            if replied || case.state_label().1 || !case.facts.contains(&Fact::IdentityVerified) {
                return Err(AppError::invalid("item", "not_now"));
            }
            let row = DataChangeRow {
                id: db::new_id().into(),
                request_id: request_id.clone(),
                action: change.action.as_str().to_owned(),
                item: change.item,
                prior_value: change.prior_value,
                new_value: change.new_value,
                recorded_by: staff_id.to_string(),
                recorded_at: db::to_db_time(now),
                task_id: None,
            };
            repo::insert_change(conn, &row)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::ChangeRecorded, actor.clone(), now)
                    .for_request(&request_id)
                    .details(json!({"change_id": row.id, "action": row.action, "item": row.item})),
            )?;
            Ok(row.into())
        })
        .await
}

/// The reply's state as the request page and API show it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReplyView {
    pub dispatch: Option<DispatchView>,
    pub downloads: Vec<DownloadInfo>,
    pub changes: Vec<RecordedChange>,
}

/// A change the answer reports, as recorded: what the request page lists and the API answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordedChange {
    pub id: String,
    pub request_id: String,
    /// `corrected`, `deleted` or `use_stopped`, as the request's right records.
    pub action: String,
    pub item: String,
    pub prior_value: Option<String>,
    pub new_value: Option<String>,
    /// The staff member's id.
    pub recorded_by: String,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    /// The rectification task whose owner recorded it; null: recorded at the desk.
    pub task_id: Option<String>,
}

impl From<DataChangeRow> for RecordedChange {
    fn from(c: DataChangeRow) -> Self {
        RecordedChange {
            id: c.id.to_string(),
            request_id: c.request_id.to_string(),
            action: c.action,
            item: c.item,
            prior_value: c.prior_value,
            new_value: c.new_value,
            recorded_by: c.recorded_by,
            recorded_at: c.recorded_at.and_utc(),
            task_id: c.task_id.map(|t| t.to_string()),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DispatchView {
    /// As printed on Japan Post's receipt.
    pub tracking_number: String,
    #[schema(format = Date)]
    pub dispatched_on: String,
    #[schema(format = Date)]
    pub delivered_on: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DownloadInfo {
    pub id: String,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub first_downloaded_at: Option<DateTime<Utc>>,
    pub downloads: i64,
}

pub(crate) fn reply_view(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<ReplyView, AppError> {
    Ok(ReplyView {
        dispatch: repo::find_dispatch(conn, request_id)?.map(|d| DispatchView {
            tracking_number: TrackingNumber::from_stored(d.tracking_number).display(),
            dispatched_on: d.dispatched_on,
            delivered_on: d.delivered_on,
        }),
        downloads: repo::downloads_for_request(conn, request_id)?
            .into_iter()
            .map(|d| DownloadInfo {
                id: d.id.to_string(),
                expires_at: db::from_db_time(d.expires_at),
                revoked_at: d.revoked_at.map(db::from_db_time),
                first_downloaded_at: d.first_downloaded_at.map(db::from_db_time),
                downloads: d.downloads,
            })
            .collect(),
        changes: repo::changes_for_request(conn, request_id)?
            .into_iter()
            .map(RecordedChange::from)
            .collect(),
    })
}

/// A printable letter for one of a request's notices.
#[derive(Debug, Clone)]
pub struct LetterView {
    pub letter: crate::i18n::letter::Letter,
    pub sent_on: chrono::NaiveDate,
    pub receipt_number: String,
    /// Whom the letter is to: the person, or in an agent's case the one the procedure writes to.
    pub addressee: crate::domain::addressee::Addressee,
    pub desk: Option<String>,
}

pub async fn letter(
    state: &AppState,
    _staff: &StaffMember,
    request_id: RequestId,
    notice_id: NoticeId,
) -> Result<LetterView, AppError> {
    use crate::domain::notice::NoticePayload;
    use crate::i18n::letter::{LetterInput, compose};
    let catalog = state.workflows.clone();
    let config = state.config.clone();
    let keys = state.keys.clone();
    state
        .db
        .run(move |conn| {
            let notice = crate::db::notices::find(conn, &request_id, &notice_id)?
                .ok_or(AppError::NotFound)?;
            let case = Case::load(conn, &catalog, &request_id)?;
            let kind = notice
                .kind
                .parse()
                .map_err(|_| AppError::Definition("stored notice kind".into()))?;
            let payload = NoticePayload::from_stored(&notice.payload)
                .map_err(|e| AppError::Definition(e.to_string()))?;
            let postal_row = postal::find(conn, &request_id)?;
            let def = case.def.clone();
            let postal_settings = def.postal.as_ref();
            let ja = Language::JA;
            let right_ja = case.right_label(ja);
            let download_url = payload
                .download
                .as_ref()
                .map(|d| format!("{}{}", config.http.public_url, download_path(&keys, &d.id)));
            let sent_on = today_in(&def, db::from_db_time(notice.created_at));
            // A letter offers the documents accepted on its own day, with how to send them.
            let documents = def.documents.as_ref().map(|d| d.as_of(sent_on));
            let names = |k: &str| {
                documents
                    .as_ref()
                    .and_then(|d| d.kind_label(k))
                    .map(|l| l.get(ja).to_owned())
            };
            let document_notes = documents
                .as_ref()
                .map(|d| document_notes(d, &payload))
                .unwrap_or_default();
            // The sender: the procedure's desk, its address and how to reach it.
            let desk_lines = def
                .desk
                .as_ref()
                .map(|d| d.sender_lines(ja).join("\n"))
                .filter(|l| !l.is_empty());
            let input = LetterInput {
                kind,
                sent_on,
                receipt_number: &case.row.receipt_number,
                right: &right_ja,
                requester_name: &case.row.subject_name,
                postal_address: postal_row
                    .as_ref()
                    .map(|p| p.postal_address.as_str())
                    .filter(|a| !a.is_empty()),
                received_on: received_on(conn, &case)?,
                desk: desk_lines.as_deref(),
                complaint_authority: def.complaint_authority.as_ref().map(|a| a.get(ja)),
                non_discrimination: def.non_discrimination.as_ref().map(|a| a.get(ja)),
                transfer_agent: postal_settings
                    .and_then(|p| p.transfer_agent.as_ref())
                    .map(|t| t.get(ja)),
                payload: &payload,
                download_url,
                confirm_url: match kind {
                    crate::domain::notice::NoticeKind::EmailConfirmation => Some(format!(
                        "{}{}",
                        config.http.public_url,
                        super::confirm::confirm_path(&keys, &request_id)
                    )),
                    crate::domain::notice::NoticeKind::PersonConfirmation => Some(format!(
                        "{}{}",
                        config.http.public_url,
                        super::confirm::person_path(&keys, &request_id)
                    )),
                    _ => None,
                },
                bank_account: config.intake.bank_account.as_deref(),
                document_name: &names,
                document_notes: &document_notes,
            };
            let letter = compose(&input);
            let addressee = {
                use crate::domain::addressee::{Party, addressee};
                let person = Party {
                    name: &case.row.subject_name,
                    address: postal_row
                        .as_ref()
                        .map(|p| p.postal_address.as_str())
                        .filter(|a| !a.is_empty()),
                };
                let kind = postal_row
                    .as_ref()
                    .and_then(|p| p.requester_kind.parse().ok())
                    .unwrap_or(crate::domain::postal::RequesterKind::Person);
                let agent = postal_row.as_ref().and_then(|p| {
                    p.agent_name.as_deref().map(|name| Party {
                        name,
                        address: p.agent_address.as_deref(),
                    })
                });
                addressee(
                    kind,
                    postal_settings.is_some_and(|s| s.letters_to_agent),
                    person,
                    agent,
                )
            };
            Ok(LetterView {
                letter,
                sent_on,
                receipt_number: case.row.receipt_number.clone(),
                addressee,
                desk: desk_lines.clone(),
            })
        })
        .await
}

/// What a documents request tells the requester about sending what it asks for: each kind's
/// instruction (what to hide, which sides), and what never to send.
pub fn document_notes(
    rules: &crate::domain::documents::DocumentRules,
    payload: &crate::domain::notice::NoticePayload,
) -> Vec<String> {
    let ja = crate::domain::request::Language::JA;
    let lines: Vec<_> = payload
        .missing
        .iter()
        .map(|m| m.requirement.clone())
        .collect();
    if lines.is_empty() {
        return Vec::new();
    }
    rules
        .how_to_send(&lines)
        .into_iter()
        .map(|(name, how)| format!("{}：{}", name.get(ja), how.get(ja)))
        .chain(rules.never_send.iter().map(|n| n.get(ja).to_owned()))
        .collect()
}
