//! `kaiji dev synth`: realistic synthetic requests and their audit trails, bulk-loaded for benchmarks
//! and demonstrations. Every request runs under a published workflow that serves its right and place;
//! about two in three are closed in a terminal state (their last event is the `request.closed` the
//! log records for closures); each has `events_per_request` audit events, integrated into the Merkle
//! tree as the sequencer would (synth holds the sequencer's role for each batch and signs its
//! checkpoint). Batches of 1,000 requests per transaction.

use crate::domain::code::Code;
use crate::domain::ids::RequestId;
use chrono::TimeDelta;

use super::sequencer::{self, Batch, Pass};
use super::{AppError, AppState};
use crate::db::audit::AuditEventRow;
use crate::db::synth::{self, SynthRequest};
use crate::db::{self, write_tx};
use crate::domain::audit::{AuditAction, Closure, salted_details_digest};
use crate::domain::deadline::{DeadlineReminder, reminder_due};
use crate::domain::request::{Channel, PlaceCode, RightCode};
use crate::security::tokens;

/// A right, a place, and the workflow that serves them.
struct Combo {
    right: RightCode,
    place: PlaceCode,
    workflow_id: String,
    version: i64,
    open_state: String,
    closed_states: Vec<String>,
    def: std::sync::Arc<crate::domain::workflow::WorkflowDefinition>,
}

const BATCH: u64 = 1_000;

/// Loads `requests` requests with `events_per_request` audit events each (and, with `queued_notices`,
/// an acknowledgement queued to each requester); `progress` hears how many requests are in. Blocking.
pub fn run(
    state: &AppState,
    requests: u64,
    events_per_request: u32,
    queued_notices: bool,
    mut progress: impl FnMut(u64),
) -> Result<(), AppError> {
    let mut conn = state.db.conn()?;
    let mut combos = Vec::new();
    let laws = state.workflows.laws().clone();
    for right in laws.right_codes() {
        for place in laws.served() {
            if let Ok(def) =
                state
                    .workflows
                    .for_new_request(&mut conn, right, Channel::Web, &place.code)
            {
                combos.push(Combo {
                    right: right.clone(),
                    place: place.code.clone(),
                    workflow_id: def.id.clone(),
                    version: def.version,
                    open_state: def.initial_state.clone(),
                    closed_states: def
                        .states
                        .iter()
                        .filter(|s| s.terminal)
                        .map(|s| s.id.clone())
                        .collect(),
                    def,
                });
            }
        }
    }
    if combos.is_empty() {
        return Err(AppError::Definition(
            "no published workflow serves web requests".into(),
        ));
    }
    // Whatever waits (the seeds' events, say) goes into the tree first.
    while let Pass::Integrated { .. } =
        sequencer::integrate(&state.db, &state.config, &state.keys, sequencer::BATCH)?
    {}
    let now = state.clock.now();
    let pick = |n: usize| (tokens::random_u64() % n as u64) as usize;
    let mut done = 0_u64;
    while done < requests {
        let n = BATCH.min(requests - done);
        let mut reqs = Vec::with_capacity(n as usize);
        let mut clocks = Vec::new();
        for i in 0..n {
            let c = &combos[pick(combos.len())];
            // Two in three closed: received over the last two years and closed within 40 days. The
            // open ones arrived in the last 40 days, as on a desk that keeps up.
            let closes = !tokens::random_u64().is_multiple_of(3) && !c.closed_states.is_empty();
            let minutes =
                |days: u64| TimeDelta::minutes((tokens::random_u64() % (days * 24 * 60)) as i64);
            let received = now
                - if closes {
                    minutes(2 * 365)
                } else {
                    minutes(40)
                };
            let closed = closes.then(|| received + minutes(40)).map(|t| t.min(now));
            let id = RequestId::new(db::new_id());
            let k = done + i;
            // Open requests run the clocks their procedure starts at receipt, as intake does; the
            // queue sorts by the nearest.
            let first = clocks.len();
            if closed.is_none() {
                let received_on = received.with_timezone(&c.def.timezone).date_naive();
                let today = now.with_timezone(&c.def.timezone).date_naive();
                for (clock_id, st) in c.def.clocks_at_intake(received_on) {
                    let due = c
                        .def
                        .clock(&clock_id)
                        .and_then(|k| k.rule.due(&st, today, state.workflows.calendars()).ok());
                    let mut row = crate::db::clocks::ClockRow::new(&id, &clock_id, &st, due);
                    // The reminder whose day has come went out when it came (the desk was running):
                    // the worker starts with none pending, as it would on a live desk.
                    let marker = due.map(crate::db::clocks::date_text);
                    match due.and_then(|d| reminder_due(d, today, false, false)) {
                        Some(DeadlineReminder::Overdue) => {
                            row.due_soon_notice_for = marker.clone();
                            row.overdue_notice_for = marker;
                        }
                        Some(DeadlineReminder::DueSoon) => row.due_soon_notice_for = marker,
                        None => {}
                    }
                    row.schedule_reminders(c.def.timezone);
                    clocks.push(row);
                }
            }
            let queue_due = crate::db::clocks::nearest_due(&clocks[first..]);
            reqs.push(SynthRequest {
                receipt_number: format!(
                    "S-{}-{:012X}",
                    received.format("%Y%m%d"),
                    tokens::random_u64() & 0xFFFF_FFFF_FFFF
                ),
                token_digest: tokens::digest(&tokens::new_token()),
                workflow_id: c.workflow_id.clone(),
                workflow_version: c.version,
                state: match closed {
                    Some(_) => c.closed_states[pick(c.closed_states.len())].clone(),
                    None => c.open_state.clone(),
                },
                request_type: c.right.as_str().to_owned(),
                jurisdiction: c.place.as_str().to_owned(),
                name: format!("Synthetic Requester {k}"),
                email: format!("synth{k}@example.invalid"),
                received_at: db::to_db_time(received),
                closed_at: closed.map(db::to_db_time),
                queue_due,
                id,
            });
        }
        loop {
            let stored = write_tx(&mut conn, |conn| -> Result<bool, AppError> {
                // The sequencer's role for the batch (another instance may hold it for a moment).
                let Some(mut batch) = Batch::begin(conn, &state.config, &state.keys)? else {
                    return Ok(false);
                };
                synth::insert_requests(conn, &reqs)?;
                synth::insert_clocks(conn, &clocks)?;
                if queued_notices {
                    for r in &reqs {
                        super::notices::queue_notices(
                            conn,
                            &r.id,
                            true,
                            crate::domain::request::Language::EN,
                            [crate::domain::notice::NoticeKind::Received],
                            &crate::domain::notice::NoticePayload::default(),
                            now,
                        )?;
                    }
                }
                let wall = db::to_db_time(chrono::Utc::now());
                let mut events = Vec::with_capacity(reqs.len() * events_per_request as usize);
                for r in &reqs {
                    for e in 0..events_per_request {
                        let at = r.received_at + TimeDelta::minutes(i64::from(e));
                        let closes = r.closed_at.is_some() && e + 1 == events_per_request;
                        let (action, details, at) = if closes {
                            let closure = Closure {
                                state: r.state.clone(),
                                closed_at: None,
                            };
                            (
                                AuditAction::RequestClosed,
                                serde_json::to_string(&closure).unwrap_or_default(),
                                r.closed_at.unwrap_or(at),
                            )
                        } else {
                            (
                                AuditAction::RequestTransitioned,
                                format!("{{\"event\":\"synthetic\",\"step\":{e}}}"),
                                at,
                            )
                        };
                        let salt = tokens::random_bytes::<32>();
                        let row = AuditEventRow {
                            id: db::new_id(),
                            occurred_at: at.min(db::to_db_time(now)),
                            action: action.as_str().to_owned(),
                            actor_kind: "system".into(),
                            actor_id: None,
                            request_id: Some(r.id.to_string()),
                            from_state: None,
                            to_state: closes.then(|| r.state.clone()),
                            details_sha256: Some(salted_details_digest(&salt, &details)),
                            details,
                            seq: Some(batch.size() + 1),
                            prev_hash: None,
                            hash: None,
                            redacted_at: None,
                            details_salt: Some(hex::encode(salt)),
                            committed_at: Some(wall),
                            integrated_at: Some(wall),
                        };
                        batch.push(&row)?;
                        events.push(row);
                    }
                }
                synth::insert_events(conn, &events)?;
                batch.finish(conn, wall)?;
                Ok(true)
            })?;
            if stored {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        done += n;
        progress(done);
    }
    // The open requests' count deltas, folded now rather than by the first worker round.
    crate::db::queue_counts::fold(&mut conn)?;
    synth::analyze(&mut conn)?;
    Ok(())
}
