//! Delivering the outbox at volume. One round claims due notices a few at a time (each claim is a
//! notice's own row, leased to this worker), hands them to `mail_concurrency` senders that share a
//! pooled SMTP transport, and records each outcome as soon as it is known. A heartbeat renews the
//! leases of the notices this worker still holds, so a slow round never lets a second worker take a
//! notice that is being sent; a worker killed mid-round can send again at most the notices it had in
//! flight (`mail_concurrency`), each with its one Message-ID. The round goes on claiming while there is
//! a backlog, up to its limit. Notices about one request (or inquiry) go out in the order they were
//! queued: while one is being sent, the next ones about it wait for the same sender, so a person never
//! reads "answered" before "received".

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::{Mailer, NotSent, message};
use crate::app::{AppError, AppState};
use crate::db::{self, audit, notices, write_tx};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::ids::NoticeId;

/// What one round of delivery did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl DeliveryReport {
    /// Notices this round finished with, however it went.
    pub fn handled(&self) -> usize {
        self.sent + self.retrying + self.failed
    }

    fn add(&mut self, other: DeliveryReport) {
        self.sent += other.sent;
        self.retrying += other.retrying;
        self.failed += other.failed;
    }
}

/// The wait before the next attempt after `attempts` failed ones: the base, doubled each time, at most
/// six hours.
pub fn backoff(base_seconds: u32, attempts: i64) -> TimeDelta {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let secs = i64::from(base_seconds).saturating_mul(1_i64 << doublings);
    TimeDelta::seconds(secs.min(6 * 3600))
}

/// The notices this worker holds (claimed, outcome not yet recorded): the heartbeat renews exactly these.
type Held = Mutex<HashSet<NoticeId>>;

type Claim = (notices::NoticeRow, i64);

/// The subjects (request or inquiry) a sender is working on, each with the notices about it claimed
/// since, in order: that sender sends them after the one in hand.
type InFlight = Mutex<HashMap<String, VecDeque<Claim>>>;

fn subject(notice: &notices::NoticeRow) -> String {
    super::subject_of(notice).to_owned()
}

/// Claims due email notices for `worker` and delivers them, at most `limit` in this round, with
/// `mail_concurrency` sends at once; keeps claiming while notices are due. Blocking: run it on a blocking
/// thread. A database error ends the round (after the notices already handed out are finished) and is
/// returned; notices it left claimed are sent by the next round once their lease ends.
pub fn deliver_due(
    state: &AppState,
    mailer: &Mailer,
    worker: &str,
    limit: i64,
) -> Result<DeliveryReport, AppError> {
    let concurrency = usize::try_from(state.config.mail.mail_concurrency.max(1)).unwrap_or(1);
    let limit = usize::try_from(limit.max(0)).unwrap_or(0);
    let held: Held = Mutex::new(HashSet::new());
    let in_flight: InFlight = Mutex::new(HashMap::new());
    let (hand_out, inbox) = mpsc::sync_channel::<Claim>(concurrency);
    let inbox = Mutex::new(inbox);
    let (stop_heartbeat, stopped) = mpsc::channel::<()>();
    let (held, inbox, in_flight) = (&held, &inbox, &in_flight);
    std::thread::scope(|scope| {
        let heartbeat = scope.spawn(move || renew_leases(state, worker, held, &stopped));
        let senders: Vec<_> = (0..concurrency)
            .map(|_| {
                scope.spawn(move || send_handed_out(state, mailer, worker, held, inbox, in_flight))
            })
            .collect();
        let claimed = claim_while_due(state, worker, held, in_flight, limit, concurrency, hand_out);
        let mut report = DeliveryReport::default();
        let mut error = claimed.err();
        for sender in senders {
            let (r, e) = sender
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            report.add(r);
            if error.is_none() {
                error = e;
            }
        }
        drop(stop_heartbeat);
        if let Err(panic) = heartbeat.join() {
            std::panic::resume_unwind(panic);
        }
        match error {
            Some(e) => Err(e),
            None => Ok(report),
        }
    })
}

/// Claims up to `limit` notices, a handful at a time so that none waits long for a sender, and hands
/// them out; stops when none is due. Dropping `hand_out` tells the senders the round is over.
fn claim_while_due(
    state: &AppState,
    worker: &str,
    held: &Held,
    in_flight: &InFlight,
    limit: usize,
    concurrency: usize,
    hand_out: SyncSender<Claim>,
) -> Result<(), AppError> {
    let lease = lease(state);
    let mut claimed = 0;
    while claimed < limit {
        let want = concurrency.min(limit - claimed);
        let now = state.clock.now();
        let batch = {
            let mut conn = state.db.conn()?;
            write_tx(&mut conn, |c| -> Result<_, AppError> {
                Ok(notices::claim(
                    c,
                    worker,
                    db::to_db_time(now),
                    db::to_db_time(now + lease),
                    i64::try_from(want).unwrap_or(i64::MAX),
                )?)
            })?
        };
        let got = batch.len();
        held.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(batch.iter().map(|(n, _)| n.id.clone()));
        for claim in batch {
            // A notice about a subject a sender is working on waits for that sender, in order.
            {
                let mut busy = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
                match busy.get_mut(&subject(&claim.0)) {
                    Some(waiting) => {
                        waiting.push_back(claim);
                        continue;
                    }
                    None => {
                        busy.insert(subject(&claim.0), VecDeque::new());
                    }
                }
            }
            if hand_out.send(claim).is_err() {
                // Every sender is gone (they only stop when the channel closes): nothing to do.
                return Ok(());
            }
        }
        claimed += got;
        if got < want {
            break;
        }
    }
    Ok(())
}

/// One sender: takes handed-out notices until the round ends, sends each and records its outcome.
/// Keeps going after a database error (the notice's claim simply runs out) and reports the first.
fn send_handed_out(
    state: &AppState,
    mailer: &Mailer,
    worker: &str,
    held: &Held,
    inbox: &Mutex<Receiver<Claim>>,
    in_flight: &InFlight,
) -> (DeliveryReport, Option<AppError>) {
    let mut report = DeliveryReport::default();
    let mut first_error = None;
    loop {
        let next = inbox.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(mut claim) = next else {
            return (report, first_error);
        };
        // This subject's notices, the handed-out one first, then those claimed meanwhile.
        loop {
            let (notice, attempts) = &claim;
            if let Err(e) = send_one(state, mailer, worker, notice, *attempts, &mut report) {
                tracing::error!(notice = %notice.id, error = %e, "recording a notice's delivery failed");
                first_error.get_or_insert(e);
            }
            held.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&notice.id);
            let key = subject(notice);
            let mut busy = in_flight.lock().unwrap_or_else(PoisonError::into_inner);
            match busy.get_mut(&key).and_then(VecDeque::pop_front) {
                Some(following) => claim = following,
                None => {
                    busy.remove(&key);
                    break;
                }
            }
        }
    }
}

/// Writes and sends one notice, then records the outcome (sent, retry later, or failed) with its audit
/// event. The database connection is not held during the send.
fn send_one(
    state: &AppState,
    mailer: &Mailer,
    worker: &str,
    notice: &notices::NoticeRow,
    attempts: i64,
    report: &mut DeliveryReport,
) -> Result<(), AppError> {
    let written = {
        let mut conn = state.db.conn()?;
        message(&mut conn, state, notice)
    };
    let sent = written
        .map_err(NotSent::ours)
        .and_then(|m| mailer.send(notice, &m));
    if let Err(e) = &sent {
        tracing::warn!(notice = %notice.id, kind = %notice.kind, attempts, error = %e.for_log, "notice not delivered");
    }
    let now = state.clock.now();
    let mut conn = state.db.conn()?;
    write_tx(&mut conn, |c| -> Result<(), AppError> {
        match &sent {
            Ok(()) => {
                if notices::mark_sent(c, &notice.id, worker, db::to_db_time(now))? {
                    audit::append(
                        c,
                        &outcome_event(AuditAction::NoticeSent, notice, attempts, now),
                    )?;
                    report.sent += 1;
                }
            }
            Err(error) => {
                let retry_at = (!error.permanent
                    && attempts < i64::from(state.config.mail.mail_max_attempts))
                .then(|| now + backoff(state.config.mail.mail_retry_seconds, attempts));
                // Staff read the server's first line; the rest of a long refusal is not kept.
                let error: String = error
                    .for_staff
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(300)
                    .collect();
                if notices::mark_attempt_failed(
                    c,
                    &notice.id,
                    worker,
                    &error,
                    retry_at.map(db::to_db_time),
                )? {
                    if retry_at.is_some() {
                        report.retrying += 1;
                    } else {
                        audit::append(
                            c,
                            &outcome_event(AuditAction::NoticeFailed, notice, attempts, now),
                        )?;
                        report.failed += 1;
                    }
                }
            }
        }
        Ok(())
    })
}

/// Every third of a lease, extends the lease of each notice this worker still holds, until the round
/// ends. A worker that is alive never loses a notice it is sending; one that died stops renewing.
fn renew_leases(state: &AppState, worker: &str, held: &Held, stopped: &Receiver<()>) {
    let lease = lease(state);
    let every = lease
        .to_std()
        .map_or(std::time::Duration::from_secs(1), |d| d / 3);
    while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
        let ids: Vec<NoticeId> = held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect();
        if ids.is_empty() {
            continue;
        }
        let until = db::to_db_time(state.clock.now() + lease);
        let renewed = state
            .db
            .conn()
            .map_err(AppError::from)
            .and_then(|mut conn| {
                write_tx(&mut conn, |c| -> Result<usize, AppError> {
                    Ok(notices::renew(c, worker, &ids, until)?)
                })
            });
        if let Err(e) = renewed {
            tracing::error!(error = %e, "renewing the notice claims failed");
        }
    }
}

fn lease(state: &AppState) -> TimeDelta {
    TimeDelta::seconds(i64::from(state.config.mail.mail_lease_seconds))
}

fn outcome_event(
    action: AuditAction,
    notice: &notices::NoticeRow,
    attempts: i64,
    now: DateTime<Utc>,
) -> NewAuditEvent {
    let event = NewAuditEvent::new(action, Actor::System("mailer"), now);
    match &notice.request_id {
        Some(r) => event
            .for_request(r)
            .details(json!({"notice_id": notice.id, "kind": notice.kind, "attempts": attempts})),
        None => event.details(json!({"notice_id": notice.id, "kind": notice.kind,
                "inquiry": notice.inquiry_id, "attempts": attempts})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(60, 1), TimeDelta::seconds(60));
        assert_eq!(backoff(60, 2), TimeDelta::seconds(120));
        assert_eq!(backoff(60, 4), TimeDelta::seconds(480));
        assert_eq!(backoff(60, 30), TimeDelta::hours(6));
        assert_eq!(backoff(3600, 50), TimeDelta::hours(6));
    }
}
