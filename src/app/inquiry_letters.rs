//! An inquiry's letters and e-mails after they are queued: the letter as the PDF prints it, its
//! posting (a failed e-mail is sent again by `notices::retry_failed`).

use serde_json::json;

use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::inquiries as repo;
use crate::db::{self, audit};
use crate::domain::audit::{AuditAction, NewAuditEvent};
use crate::domain::ids::{InquiryId, NoticeId};
use crate::domain::notice::{NoticeChannel, NoticeStatus};
use crate::domain::request::Language;

/// The letter about an inquiry, as the PDF prints it: in Japanese (the desk's letters are), to the
/// person at their address, from the postal desk.
pub async fn letter(
    state: &AppState,
    _staff: &StaffMember,
    id: InquiryId,
    notice_id: NoticeId,
) -> Result<crate::i18n::pdf::LetterSheet, AppError> {
    let catalog = state.workflows.clone();
    state
        .db
        .run(move |conn| {
            let row = repo::find(conn, &id)?.ok_or(AppError::NotFound)?;
            let notice = repo::notices_of(conn, &row.id)?
                .into_iter()
                .find(|n| n.id == notice_id && n.channel == NoticeChannel::Letter)
                .ok_or(AppError::NotFound)?;
            if row.erased_at.is_some() {
                return Err(AppError::NotFound);
            }
            let desk = catalog.postal_procedure(conn).ok();
            let from = desk
                .as_ref()
                .and_then(|d| d.desk.as_ref())
                .map(|d| d.sender_lines(Language::JA))
                .unwrap_or_default();
            let kind = catalog
                .laws()
                .inquiries
                .kind(&row.kind)
                .map(|k| k.label.get(Language::JA).to_owned())
                .unwrap_or_else(|| row.kind.clone());
            let payload: serde_json::Value =
                serde_json::from_str(&notice.payload).unwrap_or_default();
            let mut to: Vec<String> = row
                .postal_address
                .as_deref()
                .map(|a| a.lines().map(str::to_owned).collect())
                .unwrap_or_default();
            to.push(format!("{}　様", row.name));
            let sent_on = db::from_db_time(notice.created_at)
                .with_timezone(&chrono_tz::Asia::Tokyo)
                .date_naive();
            Ok(crate::i18n::pdf::LetterSheet {
                date: crate::i18n::letter::ja_date(sent_on),
                receipt_number: row.reference.clone(),
                to,
                from,
                letter: crate::i18n::letter::inquiry_letter(
                    &notice.kind,
                    &row.reference,
                    &kind,
                    &row.subject,
                    crate::i18n::letter::ja_date(row.received_on.parse().unwrap_or(sent_on)),
                    &payload,
                ),
            })
        })
        .await
}

/// Records that a printed letter about an inquiry was posted: the notice counts as sent.
pub async fn letter_posted(
    state: &AppState,
    staff: &StaffMember,
    id: InquiryId,
    notice_id: NoticeId,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let row = repo::find(conn, &id)?.ok_or(AppError::NotFound)?;
            if row.erased_at.is_some() {
                return Err(AppError::NotFound);
            }
            let notice = repo::notices_of(conn, &row.id)?
                .into_iter()
                .find(|n| n.id == notice_id && n.channel == NoticeChannel::Letter)
                .ok_or(AppError::NotFound)?;
            if notice.status == NoticeStatus::Sent {
                return Err(AppError::invalid("notice", "already_posted"));
            }
            crate::db::notices::mark_posted(conn, &notice.id, db::to_db_time(now))?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::LetterPosted, actor, now)
                    .details(json!({"inquiry": id, "notice": notice.kind})),
            )?;
            Ok(())
        })
        .await
}
