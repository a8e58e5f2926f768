//! `kaiji dev synth`: realistic synthetic requests and their audit trails, bulk-loaded for benchmarks
//! and demonstrations. Every request runs under a published workflow that serves its right and place;
//! about two in three are closed in a terminal state; each has `events_per_request` chained audit
//! events (the chain stays verifiable). Batches of 1,000 requests per transaction.

use chrono::TimeDelta;

use super::{AppError, AppState};
use crate::db::synth::{self, SynthEvent, SynthRequest};
use crate::db::{self, audit, write_tx};
use crate::domain::audit::{ChainedEvent, details_digest};
use crate::domain::deadline::{DeadlineReminder, reminder_due};
use crate::domain::request::{Channel, Jurisdiction, RequestType};
use crate::security::tokens;

/// A right, a place, and the workflow that serves them.
struct Combo {
    right: RequestType,
    place: Jurisdiction,
    workflow_id: String,
    version: i64,
    open_state: String,
    closed_states: Vec<String>,
    def: std::sync::Arc<crate::domain::workflow::WorkflowDefinition>,
}

const BATCH: u64 = 1_000;

/// Loads `requests` requests with `events_per_request` audit events each; `progress` hears how many
/// requests are in. Blocking.
pub fn run(
    state: &AppState,
    requests: u64,
    events_per_request: u32,
    mut progress: impl FnMut(u64),
) -> Result<(), AppError> {
    let mut conn = state.db.conn()?;
    let mut combos = Vec::new();
    for right in RequestType::ALL {
        for place in Jurisdiction::ALL {
            if let Ok(def) = state
                .workflows
                .for_new_request(&mut conn, right, Channel::Web, place)
            {
                combos.push(Combo {
                    right,
                    place,
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
            let id = db::new_id();
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
        write_tx(&mut conn, |conn| -> Result<(), AppError> {
            synth::insert_requests(conn, &reqs)?;
            synth::insert_clocks(conn, &clocks)?;
            // Lock the chain's head for the batch, then continue it.
            let (mut seq, mut prev) = audit::head(conn)?;
            synth::set_head(conn, seq, &prev)?;
            let mut events = Vec::with_capacity(reqs.len() * events_per_request as usize);
            for r in &reqs {
                for e in 0..events_per_request {
                    seq += 1;
                    let at = r.received_at + TimeDelta::minutes(i64::from(e));
                    let at = at.min(db::to_db_time(now));
                    let id = db::new_id();
                    let details = format!("{{\"event\":\"synthetic\",\"step\":{e}}}");
                    let digest = details_digest(&details);
                    let hash = ChainedEvent {
                        seq,
                        id: &id,
                        occurred_at: audit::chain_time(at),
                        action: "request.transitioned",
                        actor_kind: "system",
                        actor_id: None,
                        request_id: Some(&r.id),
                        from_state: None,
                        to_state: None,
                        details_sha256: &digest,
                        prev_hash: &prev,
                    }
                    .hash();
                    events.push(SynthEvent {
                        id,
                        occurred_at: at,
                        request_id: r.id.clone(),
                        details,
                        seq,
                        prev_hash: std::mem::replace(&mut prev, hash.clone()),
                        hash,
                        details_sha256: digest,
                    });
                }
            }
            for chunk in events.chunks(1_000) {
                synth::insert_events(conn, chunk)?;
            }
            synth::set_head(conn, seq, &prev)?;
            Ok(())
        })?;
        done += n;
        progress(done);
    }
    // The open requests' count deltas, folded now rather than by the first worker round.
    crate::db::queue_counts::fold(&mut conn)?;
    synth::analyze(&mut conn)?;
    Ok(())
}
