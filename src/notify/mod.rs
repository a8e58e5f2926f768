//! Delivering the notice outbox. A worker (inside `kaiji serve`, or alone as `kaiji worker`) claims due
//! email notices for a lease it renews while it holds them, renders each in the requester's language,
//! sends several at once through pooled SMTP connections (or writes `.eml` files when no server is
//! configured; see `delivery`), and records each outcome: sent, retried later with exponential backoff,
//! or failed after the last attempt (officers may queue it again). A worker that dies mid-send loses
//! nothing: its leases end and another worker sends the notices. Each notice keeps one Message-ID across
//! attempts, so a receiving server can drop a duplicate.

pub mod compose;
mod delivery;
mod inquiry;

pub use delivery::{DeliveryReport, backoff, deliver_due};

use std::path::PathBuf;

use chrono::TimeDelta;
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{Message, SmtpTransport, Transport};
use secrecy::ExposeSecret;

use crate::app::cases::Case;
use crate::app::{AppError, AppState};
use crate::config::Config;
use crate::db::{self, AnyConnection, notices, requests, write_tx};
use crate::domain::deadline::{DeadlineReminder, next_reminder_at, reminder_due};
use crate::domain::notice::{DeadlineNotice, DownloadNotice, NoticeKind, NoticePayload};
use crate::security::files;

/// Where notices go.
pub enum Mailer {
    Smtp(Box<SmtpTransport>),
    /// No SMTP server configured: `.eml` files in this directory.
    Files(PathBuf),
}

impl Mailer {
    pub fn from_config(config: &Config) -> Result<Self, AppError> {
        match &config.mail.smtp_url {
            // One pooled connection per concurrent send, kept open between rounds for a while.
            Some(url) => SmtpTransport::from_url(url.expose_secret())
                .map(|b| {
                    let pool = PoolConfig::new()
                        .max_size(config.mail.mail_concurrency.max(1))
                        .idle_timeout(std::time::Duration::from_secs(60));
                    Mailer::Smtp(Box::new(
                        b.timeout(Some(std::time::Duration::from_secs(30)))
                            .pool_config(pool)
                            .build(),
                    ))
                })
                .map_err(|_| AppError::NotConfigured("KAIJI_SMTP_URL")),
            None => Ok(Mailer::Files(config.mail_dir())),
        }
    }

    /// Sends the notice's message. As a file it is `<dir>/<request id>/<notice id>.eml` (0600, in
    /// directories only kaiji's user may open): a second attempt replaces the first, and record
    /// retention erases the request's folder with its record.
    fn send(&self, notice: &notices::NoticeRow, message: &Message) -> Result<(), NotSent> {
        match self {
            Mailer::Smtp(t) => t.send(message).map(|_| ()).map_err(|e| NotSent::smtp(&e)),
            Mailer::Files(dir) => {
                let folder = dir.join(subject_of(notice));
                files::private_dir(dir)
                    .and_then(|()| files::private_dir(&folder))
                    .and_then(|()| {
                        files::write_private(
                            &folder.join(format!("{}.eml", notice.id.as_str())),
                            &message.formatted(),
                        )
                    })
                    .map_err(|e| NotSent::ours(e.to_string()))
            }
        }
    }
}

/// Why a notice was not sent. A mail server's refusal often quotes the address (`550 5.1.1
/// <ann@example.com>: user unknown`): its words are kept with the notice, where staff read them, and
/// the log gets only the kind of failure and the reply code, as a log holds no personal data.
struct NotSent {
    for_staff: String,
    for_log: String,
    /// The server refused for good (a 5xx reply): sending the same again would be refused again (RFC
    /// 5321, 4.2.1), so the notice fails now and staff see it at once.
    permanent: bool,
}

impl NotSent {
    /// kaiji's own words (a message that could not be written, a file that could not be saved).
    fn ours(words: String) -> Self {
        Self {
            for_log: words.clone(),
            for_staff: words,
            permanent: false,
        }
    }

    fn smtp(e: &lettre::transport::smtp::Error) -> Self {
        let for_log = match e.status() {
            Some(code) if e.is_permanent() => format!("permanent error ({code})"),
            Some(code) => format!("transient error ({code})"),
            // A reply lettre could not read: the error quotes it.
            None if e.is_response() => "response error (the server's reply is not logged)".into(),
            // Network, connection, TLS and lettre's own client errors: the local system's words.
            None => e.to_string(),
        };
        Self {
            for_staff: e.to_string(),
            for_log,
            permanent: e.is_permanent(),
        }
    }
}

/// The request (or inquiry) a notice is about: its mail folder, and what its audit events name.
fn subject_of(notice: &notices::NoticeRow) -> &str {
    notice
        .request_id
        .as_ref()
        .map(|r| r.as_str())
        .or(notice.inquiry_id.as_deref())
        .unwrap_or("unaddressed")
}

/// `Content-Language`, so that mail clients (and tests) know the language without reading it.
#[derive(Clone)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_owned()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): no vacation replies to the desk.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// The message for a notice, or why it cannot be written (no address: it can never be sent).
fn message(
    conn: &mut AnyConnection,
    state: &AppState,
    notice: &notices::NoticeRow,
) -> Result<Message, String> {
    let Some(request_id) = &notice.request_id else {
        // A notice about an inquiry or complaint: the desk's own wording.
        let (language, address, email) = inquiry::email(conn, state, notice)?;
        return mail(state, notice, language, &address, email);
    };
    let kind: NoticeKind = notice
        .kind
        .parse()
        .map_err(|_| format!("unknown notice kind {}", notice.kind))?;
    let case = Case::load(conn, &state.workflows, request_id).map_err(|e| e.to_string())?;
    let payload = NoticePayload::from_stored(&notice.payload).map_err(|e| e.to_string())?;
    let base = &state.config.http.public_url;
    let to_person = payload.to_person();
    let behalf = requests::find_on_behalf(conn, &case.row.id).map_err(|e| e.to_string())?;
    let staff = match &notice.recipient_staff_id {
        Some(id) => Some(
            crate::db::staff::find_by_id(conn, id)
                .map_err(|e| e.to_string())?
                .filter(|s| s.disabled_at.is_none())
                .ok_or("the staff member is gone or disabled")?,
        ),
        None => None,
    };
    let recipient = payload.recipient_address();
    let language = if staff.is_some() {
        crate::domain::request::Language::JA
    } else if recipient.is_some() {
        // A recipient reads the language the registry gives them.
        notice
            .language
            .parse()
            .map_err(|_| "the notice's language cannot be read".to_owned())?
    } else {
        case.language
    };
    let (address, addressee) = if let Some(s) = &staff {
        (Some(s.email.clone()), s.email.clone())
    } else if let Some((email, name)) = recipient {
        (Some(email.to_owned()), name.to_owned())
    } else if to_person {
        let b = behalf.as_ref().ok_or("no person to write to")?;
        (b.person_email.clone(), b.person_name.clone())
    } else {
        (
            case.row.subject_email.clone(),
            case.row.subject_name.clone(),
        )
    };
    let address = address.ok_or("the request has no email address")?;
    // The tracking link is derivable for requests filed since links were derived; older ones get none.
    // Derived with the session key the token came from, which may since have been rotated out of signing.
    let tracking_url = (!to_person && staff.is_none() && recipient.is_none())
        .then(|| {
            crate::app::tracking::derive_token(
                &state.keys.session,
                &case.row.id,
                case.row.token_key_id.as_deref(),
                &case.row.tracking_token_sha256,
            )
        })
        .flatten()
        .map(|token| format!("{base}/track/{token}"));
    let action_url = match kind {
        // A system owner works the task on its own page; they never see the request.
        NoticeKind::StaffTaskOpened | NoticeKind::StaffTaskDue => payload
            .task
            .as_ref()
            .map(|t| format!("{base}/staff/tasks/{}", t.id)),
        _ if staff.is_some() => Some(format!("{base}/staff/requests/{}", case.row.id)),
        _ if recipient.is_some() => None,
        NoticeKind::EmailConfirmation => Some(format!(
            "{base}{}",
            crate::app::confirm::confirm_path(&state.keys, &case.row.id)
        )),
        NoticeKind::PersonConfirmation => Some(format!(
            "{base}{}",
            crate::app::confirm::person_path(&state.keys, &case.row.id)
        )),
        _ => payload.download.as_ref().map(|d| {
            format!(
                "{base}{}",
                crate::app::reply::download_path(&state.keys, &d.id)
            )
        }),
    };
    let email = compose::render(&compose::NoticeContext {
        kind,
        language,
        receipt_number: &case.row.receipt_number,
        right: case.right_label(language),
        timezone: case.place_timezone(state.workflows.laws()),
        addressee: &addressee,
        def: &case.def,
        payload: &payload,
        tracking_url,
        action_url,
    })
    .map_err(|e| format!("rendering: {e}"))?;
    mail(state, notice, language, &address, email)
}

/// The message itself: from the desk's address, with the notice's one Message-ID across attempts.
fn mail(
    state: &AppState,
    notice: &notices::NoticeRow,
    language: crate::domain::request::Language,
    address: &str,
    email: compose::Email,
) -> Result<Message, String> {
    let from: Mailbox = state
        .config
        .mail
        .mail_from
        .parse()
        .map_err(|_| "KAIJI_MAIL_FROM is not an address".to_owned())?;
    let domain = from.email.domain().to_owned();
    let to: Mailbox = address
        .parse()
        .map_err(|_| "the email address cannot be written to".to_owned())?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject)
        .message_id(Some(format!("<notice-{}@{domain}>", notice.id)))
        .header(ContentLanguage(language.as_str().to_owned()))
        .header(AutoSubmitted)
        .multipart(MultiPart::alternative_plain_html(email.text, email.html))
        .map_err(|e| e.to_string())
}

/// Queues the reminders that are due, once each: to the requester, a released answer whose link expires
/// within two days unused; to the assigned officer (or every officer and admin when nobody is assigned),
/// a legal deadline within three days, and one that has passed. Returns how many were queued.
pub fn queue_reminders(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now();
    let mut conn = state.db.conn()?;
    write_tx(&mut conn, |conn| -> Result<usize, AppError> {
        let mut queued = 0;
        let until = now + TimeDelta::days(2);
        for (id, request_id, expires_at) in
            crate::db::replies::expiring_unused(conn, db::to_db_time(now), db::to_db_time(until))?
        {
            let row = requests::find(conn, &request_id)?.ok_or(AppError::NotFound)?;
            let case = Case::from_row(conn, &state.workflows, row)?;
            crate::app::notices::queue_notices(
                conn,
                &request_id,
                case.row.subject_email.is_some(),
                case.language,
                [NoticeKind::DownloadExpiring],
                &NoticePayload {
                    download: Some(DownloadNotice {
                        id: id.to_string(),
                        expires_at: db::from_db_time(expires_at),
                        max_downloads: None,
                    }),
                    ..NoticePayload::default()
                },
                now,
            )?;
            crate::db::replies::mark_expiry_notice(conn, &id, db::to_db_time(now))?;
            queued += 1;
        }
        let workers = crate::db::staff::workers(conn)?;
        // Only clocks whose reminder time has come (see `clocks::reminders_due`); each is judged in
        // its procedure's calendar and rescheduled.
        for c in crate::db::clocks::reminders_due(conn, db::to_db_time(now), 500)? {
            let row = requests::find(conn, &c.request_id)?.ok_or(AppError::NotFound)?;
            let case = Case::from_row(conn, &state.workflows, row)?;
            let today = crate::app::cases::today_in(&case.def, now);
            let sent = |marker: &Option<String>| marker.as_deref() == Some(c.due_on.as_str());
            let (soon_sent, overdue_sent) =
                (sent(&c.due_soon_notice_for), sent(&c.overdue_notice_for));
            let Ok(due) = c.due_on.parse::<chrono::NaiveDate>() else {
                crate::db::clocks::reschedule(conn, &c.request_id, &c.clock_id, None)?;
                continue;
            };
            let next = |soon: bool, overdue: bool| {
                next_reminder_at(due, case.def.timezone, soon, overdue).map(db::to_db_time)
            };
            let (kind, overdue) = match reminder_due(due, today, soon_sent, overdue_sent) {
                Some(DeadlineReminder::Overdue) => (NoticeKind::StaffOverdue, true),
                Some(DeadlineReminder::DueSoon) => (NoticeKind::StaffDueSoon, false),
                None => {
                    // Not due yet in this zone (or a schedule from before this rule): look again
                    // when it is, never sooner than a minute from now.
                    let at = next(soon_sent, overdue_sent)
                        .map(|t| t.max(db::to_db_time(now + TimeDelta::minutes(1))));
                    crate::db::clocks::reschedule(conn, &c.request_id, &c.clock_id, at)?;
                    continue;
                }
            };
            let to: Vec<crate::domain::ids::StaffId> =
                match requests::assignee(conn, &c.request_id)? {
                    Some(id) => vec![id],
                    None => workers.iter().map(|(id, _)| id.clone()).collect(),
                };
            let label = case
                .def
                .clocks
                .iter()
                .find(|d| d.id == c.clock_id)
                .map(|d| d.label.get(crate::domain::request::Language::JA).to_owned());
            let deadline = DeadlineNotice {
                clock: c.clock_id.clone(),
                due_on: due,
                label: label.clone(),
            };
            for staff_id in &to {
                crate::app::notices::queue_staff_notice(
                    conn,
                    &c.request_id,
                    staff_id,
                    kind,
                    &NoticePayload {
                        deadline: Some(deadline.clone()),
                        ..NoticePayload::default()
                    },
                    now,
                )?;
                queued += 1;
            }
            queued += remind_task_owners(conn, &c.request_id, &to, &deadline, now)?;
            crate::db::clocks::mark_reminded(
                conn,
                &c.request_id,
                &c.clock_id,
                overdue,
                &c.due_on,
                next(soon_sent || !overdue, overdue),
            )?;
        }
        Ok(queued)
    })
}

/// With each deadline reminder, the owner of every data system whose task on the request is still open
/// is reminded too (the answer waits for their system), once per task, on the task's own page. Owners
/// already reminded as the request's officers, and owners without an active staff account, are not.
fn remind_task_owners(
    conn: &mut db::AnyConnection,
    request_id: &crate::domain::ids::RequestId,
    already: &[crate::domain::ids::StaffId],
    deadline: &DeadlineNotice,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, AppError> {
    let mut queued = 0;
    for (task, system) in crate::db::systems::tasks_for_request(conn, request_id)? {
        if task.status != "open" {
            continue;
        }
        let Some(owner) = crate::db::staff::find_by_email(conn, &system.owner_email)?
            .filter(|s| s.disabled_at.is_none())
        else {
            continue;
        };
        if already.contains(&owner.id) {
            continue;
        }
        crate::app::notices::queue_staff_notice(
            conn,
            request_id,
            &owner.id,
            NoticeKind::StaffTaskDue,
            &NoticePayload {
                task: Some(crate::domain::notice::TaskNotice {
                    id: task.id.to_string(),
                    system: system.name.clone(),
                    kind: task.kind.clone(),
                }),
                deadline: Some(deadline.clone()),
                ..NoticePayload::default()
            },
            now,
        )?;
        queued += 1;
    }
    Ok(queued)
}

/// Moves the queue's appended count changes into its totals (see `db::queue_counts`).
pub fn fold_queue_counts(state: &AppState) -> Result<usize, AppError> {
    let mut conn = state.db.conn()?;
    Ok(db::queue_counts::fold(&mut conn)?)
}

/// Notices one round delivers at most, so that reminders and callbacks still get their turn during a
/// long backlog.
const ROUND: i64 = 5_000;

/// Delivers until the process ends (`serve` and `kaiji worker`): a round, then the next one at once
/// while a backlog remains, or after `every` when the outbox is empty.
pub async fn run_worker(state: AppState, every: std::time::Duration) {
    let mailer = match Mailer::from_config(&state.config) {
        Ok(m) => std::sync::Arc::new(m),
        Err(e) => {
            tracing::error!(error = %e, "the notice worker cannot start");
            return;
        }
    };
    let worker = format!("{}-{}", std::process::id(), db::new_id());
    loop {
        let (s, m, w) = (state.clone(), mailer.clone(), worker.clone());
        let backlog = match tokio::task::spawn_blocking(move || {
            // Reminders first, so that they go out in the same round.
            if let Err(e) = queue_reminders(&s) {
                tracing::error!(error = %e, "queueing reminders failed");
            }
            // Housekeeping that rides on the same tick: the queue's counts stay cheap to read.
            if let Err(e) = fold_queue_counts(&s) {
                tracing::error!(error = %e, "folding the queue counts failed");
            }
            deliver_due(&s, &m, &w, ROUND)
        })
        .await
        {
            Ok(Ok(r)) if r == DeliveryReport::default() => false,
            Ok(Ok(r)) => {
                tracing::info!(
                    sent = r.sent,
                    retrying = r.retrying,
                    failed = r.failed,
                    "notices delivered"
                );
                i64::try_from(r.handled()).unwrap_or(i64::MAX) >= ROUND
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "notice delivery failed");
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "notice worker task failed");
                false
            }
        };
        // Authorised agents' status callbacks ride on the same round.
        match crate::app::drp_callbacks::deliver_due(&state).await {
            Ok(r) if r == crate::app::drp_callbacks::CallbackReport::default() => {}
            Ok(r) => tracing::info!(
                sent = r.sent,
                retrying = r.retrying,
                failed = r.failed,
                "DRP callbacks delivered"
            ),
            Err(e) => tracing::error!(error = %e, "DRP callback delivery failed"),
        }
        if !backlog {
            tokio::time::sleep(every).await;
        }
    }
}
