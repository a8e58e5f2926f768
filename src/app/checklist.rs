//! A request by post's identity-document checklist, as things stand: every recorded document (rejected
//! ones with their reasons) against the procedure's rules, counted from the request's date or from the
//! desk's request for documents; and the facts the workflow's guards read from it.

use chrono::NaiveDate;

use super::AppError;
use super::cases::Case;
use crate::db::documents as repo;
use crate::db::{AnyConnection, postal};
use crate::domain::code::Code;
use crate::domain::documents::{Answering, Checklist, DocumentRecord, Holder};
use crate::domain::notice::NoticeKind;
use crate::domain::postal::RequesterKind;
use crate::domain::workflow::Fact;

/// The checklist of a request by post, as things stand.
pub(crate) fn checklist_of(
    conn: &mut AnyConnection,
    case: &Case,
) -> Result<Option<Checklist>, AppError> {
    let (Some(rules), Some(p)) = (&case.def.documents, postal::find(conn, &case.row.id)?) else {
        return Ok(None);
    };
    let kind: RequesterKind = p
        .requester_kind
        .parse()
        .map_err(|_| AppError::Definition("stored requester kind".into()))?;
    // The one-month rule counts back from the date on the form; without one, from arrival.
    let date_text = p.request_date.as_deref().unwrap_or(&p.received_on);
    let request_date: NaiveDate = date_text
        .parse()
        .map_err(|_| AppError::Definition("stored request date".into()))?;
    // The days the desk asked for documents (in the procedure's zone): a document recorded after one
    // answers the latest of them.
    let day = |t: chrono::NaiveDateTime| {
        crate::db::from_db_time(t)
            .with_timezone(&case.def.timezone)
            .date_naive()
    };
    let asked: Vec<NaiveDate> =
        crate::db::notices::queued_at(conn, &case.row.id, NoticeKind::DocumentsRequested.as_str())?
            .into_iter()
            .map(day)
            .collect();
    let docs: Vec<DocumentRecord> = repo::documents_for_request(conn, &case.row.id)?
        .into_iter()
        .map(|d| {
            let arrived_on = day(d.recorded_at);
            DocumentRecord {
                holder: d.holder.parse().unwrap_or(Holder::Principal),
                created_on: d.created_on.as_deref().and_then(|c| c.parse().ok()),
                answers_request_of: asked.iter().filter(|a| **a <= arrived_on).max().map(
                    |&asked_on| Answering {
                        asked_on,
                        arrived_on,
                    },
                ),
                rejected: d.rejected_reason,
                id: d.id.into_string(),
                kind: d.kind,
                original: d.original,
            }
        })
        .collect();
    let list = rules
        .evaluate(kind, request_date, &docs)
        .map_err(|e| AppError::Definition(e.to_string()))?;
    Ok(Some(list))
}

/// Re-checks the list after a document came or was rejected, and records whether documents are now
/// complete and fresh (the facts the workflow's guards read).
pub(crate) fn recheck(
    conn: &mut AnyConnection,
    case: &mut Case,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Checklist, AppError> {
    let list = checklist_of(conn, case)?.ok_or(AppError::NotFound)?;
    for (fact, holds) in [
        (Fact::DocumentsComplete, list.complete),
        (Fact::DocumentsFresh, list.fresh),
    ] {
        if holds {
            case.facts.insert(fact);
        } else {
            case.facts.remove(&fact);
        }
    }
    case.save_facts(conn, now)?;
    Ok(list)
}
