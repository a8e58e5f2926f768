//! Inquiries and complaints (seed 004 §6; APPI Art. 40; DPA 2018 s. 164A): anyone may send one from the
//! public form, or an officer records one that came by post, telephone, e-mail or in person. Each gets
//! a reference and the days it is to be acknowledged and answered (the desk's targets, or the person's
//! law's where shorter); a matter from the form, or with an e-mail address, is acknowledged at once by
//! e-mail, others when the officer acknowledges them (a letter to post, or in person). The officer's
//! answer goes the same way. Notices go through the outbox in the transaction that caused them; every
//! step is audited without the person's words.

use crate::domain::code::Code;
use crate::domain::ids::InquiryId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::inquiries::{self as repo, InquiryRow};
use crate::db::notices::NoticeRow;
use crate::db::{self, AnyConnection, audit};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::inquiry::{AcknowledgedHow, NewInquiry, RawInquiry, dues, parse_answer};
use crate::domain::law::Laws;
use crate::domain::notice::{NoticeChannel, NoticeStatus};
use crate::domain::request::{Language, ReceiptNumber};
use crate::security::tokens;

/// What a notice about an inquiry says: `inquiry_acknowledged` or `inquiry_answered`.
pub const ACKNOWLEDGED: &str = "inquiry_acknowledged";
pub const ANSWERED: &str = "inquiry_answered";

/// An inquiry as the staff pages and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InquiryView {
    pub id: String,
    pub reference: String,
    pub kind: String,
    pub place: String,
    pub language: String,
    pub channel: String,
    /// `received`, `acknowledged` or `answered`.
    pub status: &'static str,
    pub name: String,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    pub subject: String,
    pub body: String,
    pub about: Option<String>,
    #[schema(format = Date)]
    pub received_on: String,
    #[schema(format = Date)]
    pub acknowledge_due: String,
    /// The law's own day for the acknowledgement, where it sets one.
    #[schema(format = Date)]
    pub law_acknowledge_due: Option<String>,
    /// Where the person's law speaks of complaints (its page shows it; lists leave it out): text by
    /// language (`en` always).
    #[schema(value_type = Option<std::collections::BTreeMap<String, String>>)]
    pub law: Option<crate::domain::definition::Label>,
    #[schema(format = Date)]
    pub answer_due: String,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledged_how: Option<AcknowledgedHow>,
    pub answered_at: Option<DateTime<Utc>>,
    pub answer: Option<String>,
    /// Past its day, still not acknowledged or not answered.
    pub overdue: bool,
}

impl InquiryView {
    fn of(r: InquiryRow, today: NaiveDate) -> Self {
        let status = match (&r.acknowledged_at, &r.answered_at) {
            (_, Some(_)) => "answered",
            (Some(_), None) => "acknowledged",
            (None, None) => "received",
        };
        let past = |due: &str| due.parse::<NaiveDate>().is_ok_and(|d| d < today);
        let overdue = match status {
            "received" => past(&r.acknowledge_due) || past(&r.answer_due),
            "acknowledged" => past(&r.answer_due),
            _ => false,
        };
        InquiryView {
            status,
            overdue,
            acknowledged_at: r.acknowledged_at.map(db::from_db_time),
            answered_at: r.answered_at.map(db::from_db_time),
            id: r.id.into_string(),
            reference: r.reference,
            kind: r.kind,
            place: r.place,
            language: r.language,
            channel: r.channel,
            name: r.name,
            email: r.email,
            postal_address: r.postal_address,
            subject: r.subject,
            body: r.body,
            about: r.about,
            received_on: r.received_on,
            acknowledge_due: r.acknowledge_due,
            law_acknowledge_due: r.law_acknowledge_due,
            law: None,
            answer_due: r.answer_due,
            acknowledged_how: r.acknowledged_how,
            answer: r.answer,
        }
    }
}

/// Today in the place's zone (the desk counts the person's days).
fn today_at(laws: &Laws, place: &str, now: DateTime<Utc>) -> NaiveDate {
    laws.place(place)
        .map(|p| now.with_timezone(&p.timezone).date_naive())
        .unwrap_or_else(|| now.date_naive())
}

/// Queues the inquiry's notice: an e-mail where there is an address, else a letter to print.
fn queue(
    conn: &mut AnyConnection,
    row: &InquiryRow,
    kind: &str,
    payload: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<NoticeChannel, AppError> {
    let channel = if row.email.is_some() {
        NoticeChannel::Email
    } else {
        NoticeChannel::Letter
    };
    crate::db::notices::insert(
        conn,
        &NoticeRow {
            id: db::new_id().into(),
            request_id: None,
            inquiry_id: Some(row.id.clone()),
            kind: kind.to_owned(),
            channel,
            language: row.language.clone(),
            status: NoticeStatus::Queued,
            created_at: db::to_db_time(now),
            payload: payload.to_string(),
            recipient_staff_id: None,
        },
    )?;
    Ok(channel)
}

fn acknowledgement(row: &InquiryRow) -> serde_json::Value {
    json!({"acknowledge_due": row.acknowledge_due, "answer_due": row.answer_due})
}

/// Records a matter; from the form (`staff` none) or an officer. Acknowledged at once by e-mail when
/// there is an address to write to.
pub async fn receive(
    state: &AppState,
    staff: Option<&StaffMember>,
    client: Option<std::net::IpAddr>,
    raw: RawInquiry,
    language: Language,
) -> Result<InquiryView, AppError> {
    let laws = state.workflows.laws().clone();
    let now = state.clock.now();
    let place_today = today_at(&laws, raw.place.trim(), now);
    let parsed =
        match NewInquiry::parse(&raw, &laws.inquiries, &*laws, staff.is_some(), place_today) {
            Ok(p) => p,
            Err(errors) => {
                // A stranger's failed tries count against their network, as on the request form.
                if staff.is_none() {
                    super::limits::admit_invalid(state, client).await?;
                }
                return Err(AppError::Invalid(errors));
            }
        };
    let kind = laws
        .inquiries
        .kind(&parsed.kind)
        .cloned()
        .ok_or_else(|| AppError::invalid("kind", "unknown_kind"))?;
    let law = laws
        .regime_of(parsed.place.as_str())
        .and_then(|r| r.complaints.clone());
    let due = dues(&kind, law.as_ref(), parsed.received_on);
    let actor = staff.map_or(Actor::Requester, StaffMember::actor);
    let recorded_by = staff.map(|s| s.id.to_string());
    // The public form counts as a filing against the intake limits (an officer's entry does not).
    if staff.is_none()
        && let Some(email) = &parsed.email
    {
        super::limits::admit_inquiry(state, client, email.as_ref()).await?;
    }
    state
        .db
        .write(move |conn| {
            let row = InquiryRow {
                id: InquiryId::new(db::new_id()),
                reference: ReceiptNumber::new(parsed.received_on, tokens::random_u64())
                    .as_str()
                    .replacen("KJ-", "KQ-", 1),
                kind: parsed.kind.clone(),
                place: parsed.place.as_str().to_owned(),
                language: language.as_str().to_owned(),
                channel: parsed.channel.as_str().to_owned(),
                name: parsed.name.as_ref().to_owned(),
                email: parsed.email.as_ref().map(|e| e.as_ref().to_owned()),
                postal_address: parsed.postal_address.clone(),
                subject: parsed.subject.clone(),
                body: parsed.body.clone(),
                about: parsed.about.clone(),
                received_on: parsed.received_on.to_string(),
                received_at: db::to_db_time(now),
                recorded_by,
                acknowledge_due: due.acknowledge_on.to_string(),
                law_acknowledge_due: due.law_acknowledge_on.map(|d| d.to_string()),
                answer_due: due.answer_on.to_string(),
                acknowledged_at: None,
                acknowledged_by: None,
                acknowledged_how: None,
                answered_at: None,
                answered_by: None,
                answer: None,
                erased_at: None,
            };
            repo::insert(conn, &row)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::InquiryReceived, actor.clone(), now).details(
                    json!({"inquiry": row.id, "reference": row.reference, "kind": row.kind,
                           "place": row.place, "channel": row.channel}),
                ),
            )?;
            let mut row = row;
            if row.email.is_some() {
                acknowledge_in(conn, &mut row, &Actor::System("desk"), None, now)?;
            }
            Ok(InquiryView::of(row, place_today))
        })
        .await
}

/// Records the acknowledgement and queues its notice (`in_person`: told by telephone or at the desk,
/// nothing to send).
fn acknowledge_in(
    conn: &mut AnyConnection,
    row: &mut InquiryRow,
    actor: &Actor,
    in_person: Option<()>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let how = match in_person {
        Some(()) => AcknowledgedHow::InPerson,
        None => queue(conn, row, ACKNOWLEDGED, acknowledgement(row), now)?.into(),
    };
    let by = actor.id().unwrap_or_else(|| "desk".to_owned());
    if !repo::acknowledge(conn, &row.id, &by, how, db::to_db_time(now))? {
        return Err(AppError::invalid("inquiry", "already_acknowledged"));
    }
    row.acknowledged_at = Some(db::to_db_time(now));
    row.acknowledged_how = Some(how);
    audit::append(
        conn,
        &NewAuditEvent::new(AuditAction::InquiryAcknowledged, actor.clone(), now)
            .details(json!({"inquiry": row.id, "how": how, "due": row.acknowledge_due})),
    )?;
    Ok(())
}

/// An officer acknowledges a matter that came without an e-mail address: a letter to post, or
/// (`in_person`) one told at the desk or on the telephone.
pub async fn acknowledge(
    state: &AppState,
    staff: &StaffMember,
    id: InquiryId,
    in_person: bool,
) -> Result<InquiryView, AppError> {
    let laws = state.workflows.laws().clone();
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let mut row = repo::find(conn, &id)?.ok_or(AppError::NotFound)?;
            if row.erased_at.is_some() || row.answered_at.is_some() {
                return Err(AppError::invalid("inquiry", "already_answered"));
            }
            if !in_person && row.email.is_none() && row.postal_address.is_none() {
                return Err(AppError::invalid("inquiry", "nowhere_to_write"));
            }
            acknowledge_in(conn, &mut row, &actor, in_person.then_some(()), now)?;
            let today = today_at(&laws, &row.place, now);
            Ok(InquiryView::of(row, today))
        })
        .await
}

/// An officer answers; the answer goes by e-mail, or as a letter to post. A matter never acknowledged
/// is acknowledged by its answer.
pub async fn answer(
    state: &AppState,
    staff: &StaffMember,
    id: InquiryId,
    text: String,
) -> Result<InquiryView, AppError> {
    let laws = state.workflows.laws().clone();
    let now = state.clock.now();
    let actor = staff.actor();
    let staff_id = staff.id.to_string();
    let text = parse_answer(&text).map_err(|code| AppError::invalid("answer", code))?;
    state
        .db
        .write(move |conn| {
            let mut row = repo::find(conn, &id)?.ok_or(AppError::NotFound)?;
            if row.erased_at.is_some() {
                return Err(AppError::NotFound);
            }
            if row.email.is_none() && row.postal_address.is_none() {
                return Err(AppError::invalid("answer", "nowhere_to_write"));
            }
            if !repo::answer(conn, &row.id, &staff_id, &text, db::to_db_time(now))? {
                return Err(AppError::invalid("answer", "already_answered"));
            }
            if row.acknowledged_at.is_none() {
                let how = AcknowledgedHow::WithAnswer;
                repo::acknowledge(conn, &row.id, &staff_id, how, db::to_db_time(now))
                    .map(|_| ())?;
                row.acknowledged_at = Some(db::to_db_time(now));
                row.acknowledged_how = Some(how);
            }
            let channel = queue(conn, &row, ANSWERED, json!({"answer": text}), now)?;
            row.answered_at = Some(db::to_db_time(now));
            row.answer = Some(text.clone());
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::InquiryAnswered, actor, now)
                    .details(json!({"inquiry": row.id, "channel": channel, "due": row.answer_due})),
            )?;
            let today = today_at(&laws, &row.place, now);
            Ok(InquiryView::of(row, today))
        })
        .await
}

/// The inquiries, open first by the day they are due.
pub async fn list(
    state: &AppState,
    open_only: bool,
    kind: Option<String>,
) -> Result<Vec<InquiryView>, AppError> {
    let laws = state.workflows.laws().clone();
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            Ok(repo::list(conn, open_only, kind.as_deref(), 500)?
                .into_iter()
                .map(|r| {
                    let today = today_at(&laws, &r.place, now);
                    InquiryView::of(r, today)
                })
                .collect())
        })
        .await
}

/// A notice about an inquiry, as its page lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InquiryNotice {
    pub id: String,
    pub kind: String,
    pub channel: NoticeChannel,
    pub status: NoticeStatus,
    pub created_at: DateTime<Utc>,
}

/// One inquiry and its notices; viewing it is audited like every view of a person's words.
pub async fn detail(
    state: &AppState,
    staff: &StaffMember,
    id: InquiryId,
) -> Result<(InquiryView, Vec<InquiryNotice>), AppError> {
    let laws = state.workflows.laws().clone();
    let now = state.clock.now();
    let actor = staff.actor();
    state
        .db
        .write(move |conn| {
            let row = repo::find(conn, &id)?.ok_or(AppError::NotFound)?;
            let notices = repo::notices_of(conn, &row.id)?
                .into_iter()
                .map(|n| InquiryNotice {
                    id: n.id.into_string(),
                    kind: n.kind,
                    channel: n.channel,
                    status: n.status,
                    created_at: db::from_db_time(n.created_at),
                })
                .collect();
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::InquiryViewed, actor, now)
                    .details(json!({"inquiry": row.id})),
            )?;
            let today = today_at(&laws, &row.place, now);
            let law = laws
                .regime_of(&row.place)
                .and_then(|r| r.complaints.as_ref())
                .map(|c| c.article.clone());
            Ok((
                InquiryView {
                    law,
                    ..InquiryView::of(row, today)
                },
                notices,
            ))
        })
        .await
}

/// What an inquiry's notice needs to be written: the row and the notice's payload.
pub(crate) fn for_notice(
    conn: &mut AnyConnection,
    notice: &NoticeRow,
) -> Result<InquiryRow, AppError> {
    let id = notice.inquiry_id.as_ref().ok_or(AppError::NotFound)?;
    let row = repo::find(conn, id)?.ok_or(AppError::NotFound)?;
    if row.erased_at.is_some() {
        return Err(AppError::NotFound);
    }
    Ok(row)
}

/// Erases the personal data of inquiries answered more than `months` ago, or left unanswered that long
/// since they came (the record retention, in calendar months), and their e-mail copies once the
/// erasure is committed; the counts the reports need stay. Blocking: one of the hourly jobs.
pub fn erase_expired(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now();
    let months = state.config.retention.record_retention_months;
    let Some(cutoff) = now.checked_sub_months(chrono::Months::new(months)) else {
        return Ok(0);
    };
    let cutoff = db::to_db_time(cutoff);
    let mail_dir = state.config.mail_dir();
    let mut conn = state.db.conn()?;
    let erased: Vec<InquiryId> = db::write_tx(&mut conn, |conn| {
        let mut erased = Vec::new();
        for id in repo::erasable(conn, cutoff)? {
            if repo::erase(conn, &id, db::to_db_time(now))? {
                audit::append(
                    conn,
                    &NewAuditEvent::new(
                        AuditAction::InquiryErased,
                        Actor::System("retention"),
                        now,
                    )
                    .details(json!({"inquiry": id, "retention_months": months})),
                )?;
                erased.push(id);
            }
        }
        Ok::<_, AppError>(erased)
    })?;
    // The .eml copies the file transport wrote: gone once the erasure stands, never before it.
    for id in &erased {
        let _ = std::fs::remove_dir_all(mail_dir.join(id.as_str()));
    }
    Ok(erased.len())
}

/// What the reports count of inquiries received in a period, by kind.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct InquiryCounts {
    pub kind: String,
    pub received: i64,
    pub acknowledged_on_time: i64,
    pub acknowledged_late: i64,
    pub answered_on_time: i64,
    pub answered_late: i64,
    pub open: i64,
    pub overdue: i64,
    /// Of those answered: the median days from arrival to the answer.
    pub median_days_to_answer: Option<i64>,
}

pub(crate) fn counts(
    conn: &mut AnyConnection,
    laws: &Laws,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Vec<InquiryCounts>, AppError> {
    let rows = repo::received_between(conn, &from.to_string(), &to.to_string())?;
    let mut out = Vec::new();
    for kind in &laws.inquiries.kinds {
        let mut c = InquiryCounts {
            kind: kind.code.clone(),
            ..Default::default()
        };
        let mut days = Vec::new();
        for r in rows.iter().filter(|r| r.kind == kind.code) {
            c.received += 1;
            let today = today_at(laws, &r.place, now);
            let day_of = |t: chrono::NaiveDateTime| today_at(laws, &r.place, db::from_db_time(t));
            let due = |d: &str| d.parse::<NaiveDate>().ok();
            if let Some(at) = r.acknowledged_at {
                if due(&r.acknowledge_due).is_some_and(|d| day_of(at) > d) {
                    c.acknowledged_late += 1;
                } else {
                    c.acknowledged_on_time += 1;
                }
            }
            match r.answered_at {
                Some(at) => {
                    if due(&r.answer_due).is_some_and(|d| day_of(at) > d) {
                        c.answered_late += 1;
                    } else {
                        c.answered_on_time += 1;
                    }
                    if let Some(received) = due(&r.received_on) {
                        days.push((day_of(at) - received).num_days());
                    }
                }
                None => {
                    c.open += 1;
                    let view = InquiryView::of(r.clone(), today);
                    if view.overdue {
                        c.overdue += 1;
                    }
                }
            }
        }
        days.sort_unstable();
        c.median_days_to_answer = (!days.is_empty()).then(|| days[days.len() / 2]);
        out.push(c);
    }
    Ok(out)
}
