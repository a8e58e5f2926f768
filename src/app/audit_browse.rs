//! The audit page's table: the log newest first, fifty events a page (keyset: older than an event),
//! filtered by what happened, who did it and which request; each event with its leaf hash, and the
//! words (names, receipt numbers, labels) to tell it as a sentence.

use chrono::{DateTime, Utc};

use super::vocabulary::Vocabulary;
use super::{AppError, AppState};
use crate::db::audit::AuditEventRow;
use crate::db::audit_browse::{self as repo, BrowseFilter};
use crate::db::{self, tlog};
use crate::domain::FieldErrors;
use crate::domain::audit::AuditAction;

pub const PAGE_SIZE: i64 = 50;

/// The page's filter as typed, each part optional.
#[derive(Debug, Clone, Default)]
pub struct BrowseInput {
    pub action: Option<String>,
    /// `requester`, `staff`, `system` or a staff member's id.
    pub actor: Option<String>,
    /// A receipt number (KJ-…) or a request id.
    pub request: Option<String>,
    /// The id of the last event of the previous page.
    pub before: Option<String>,
}

/// One event of the page.
#[derive(Debug, Clone)]
pub struct BrowsedEvent {
    pub occurred_at: DateTime<Utc>,
    pub row: AuditEventRow,
    /// Base64 SHA-256 of its leaf; none before it is in the tree, or for an event from before it.
    pub leaf_hash: Option<String>,
}

impl BrowsedEvent {
    /// The stored record, pretty-printed (what the export carries for it).
    pub fn record(&self) -> String {
        let details: serde_json::Value =
            serde_json::from_str(&self.row.details).unwrap_or(serde_json::Value::Null);
        let r = &self.row;
        serde_json::to_string_pretty(&serde_json::json!({
            "seq": r.seq, "id": r.id, "occurred_at": db::audit::chain_time(r.occurred_at),
            "action": r.action, "actor_kind": r.actor_kind, "actor_id": r.actor_id,
            "request_id": r.request_id, "from_state": r.from_state, "to_state": r.to_state,
            "details": details, "details_sha256": r.details_sha256,
        }))
        .unwrap_or_default()
    }
}

pub struct AuditBrowse {
    pub events: Vec<BrowsedEvent>,
    /// Events the filter matches, on every page.
    pub total: i64,
    /// The `before` of the next (older) page, if there is one.
    pub older: Option<String>,
    pub vocabulary: Vocabulary,
}

/// Reads one page; an unknown action or an unreadable part is a field error, an unknown receipt number
/// simply matches nothing.
pub async fn browse(state: &AppState, input: BrowseInput) -> Result<AuditBrowse, AppError> {
    let mut errors = FieldErrors::new();
    let some = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let action = some(&input.action);
    if let Some(a) = &action
        && a.parse::<AuditAction>().is_err()
    {
        errors.push("action", "unknown_value");
    }
    let (actor, request, before) = (
        some(&input.actor),
        some(&input.request),
        some(&input.before),
    );
    for (field, value) in [
        ("actor", &actor),
        ("request", &request),
        ("before", &before),
    ] {
        if let Some(v) = value
            && (v.len() > 64 || v.chars().any(char::is_control))
        {
            errors.push(field, "invalid_value");
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let catalog = state.workflows.clone();
    state
        .db
        .run(move |conn| {
            let request_id = match &request {
                None => None,
                Some(r) => Some(
                    crate::db::requests::id_by_receipt_number(conn, r)?
                        .unwrap_or_else(|| r.clone()),
                ),
            };
            let filter = BrowseFilter {
                action,
                actor,
                request_id,
            };
            let position = match &before {
                Some(id) => repo::position(conn, id)?,
                None => None,
            };
            let mut rows = repo::page(conn, &filter, position.as_ref(), PAGE_SIZE + 1)?;
            let older = if rows.len() as i64 > PAGE_SIZE {
                rows.truncate(PAGE_SIZE as usize);
                rows.last().map(|r| r.id.clone())
            } else {
                None
            };
            let total = repo::count(conn, &filter)?;
            let chain_size = tlog::state(conn)?.chain_size;
            let vocabulary = Vocabulary::load(conn, &catalog)?
                .with_receipts(conn, rows.iter().filter_map(|r| r.request_id.as_deref()))?;
            let mut buf = Vec::with_capacity(320);
            let events = rows
                .into_iter()
                .map(|row| {
                    buf.clear();
                    let leaf_hash = row.seq.and_then(|_| {
                        row.write_leaf_data(chain_size, &mut buf).ok().map(|_| {
                            crate::domain::tlog::to_base64(&crate::domain::tlog::leaf_hash(&buf))
                        })
                    });
                    BrowsedEvent {
                        occurred_at: db::from_db_time(row.occurred_at),
                        row,
                        leaf_hash,
                    }
                })
                .collect();
            Ok(AuditBrowse {
                events,
                total,
                older,
                vocabulary,
            })
        })
        .await
}
