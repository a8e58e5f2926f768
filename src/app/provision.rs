//! The register of provision to and receipt from third parties (APPI Arts. 29–30) and its answer to
//! Art. 33(5): officers (or a system, through the API) enter records; on a request for the records,
//! the request page offers those whose person shares the requester's name, kana or e-mail address, the
//! officer confirms which are the requester's, and the answer discloses exactly those. Records are
//! erased once their retention ends. Every step is audited without the person's data.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use super::cases::Case;
use super::staff::StaffMember;
use super::{AppError, AppState};
use crate::db::provision::{self as repo, ProvisionRow};
use crate::db::{self, AnyConnection, audit};
use crate::domain::audit::{Actor, AuditAction, NewAuditEvent};
use crate::domain::code::Code;
use crate::domain::ids::{ProvisionRecordId, RequestId};
use crate::domain::law::{AnswerKind, Laws};
use crate::domain::notice::ProvisionNotice;
use crate::domain::provision::{
    LikelyBy, PersonKeys, PersonOnRecord, ProvisionRecord, ProvisionRules, RawProvisionRecord,
    likely_by,
};
use crate::domain::request::Language;

/// How many records a page of the register shows.
pub const PAGE_SIZE: i64 = 50;

/// A record as the register page, the request page and the API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub id: String,
    pub regime: String,
    pub direction: String,
    pub method: String,
    pub method_label: String,
    pub basis: String,
    pub basis_label: String,
    #[schema(format = Date)]
    pub provided_on: String,
    #[schema(format = Date)]
    pub last_provided_on: Option<String>,
    pub counterparty_name: String,
    pub counterparty_address: Option<String>,
    pub counterparty_representative: Option<String>,
    pub acquired_how: Option<String>,
    pub person_name: String,
    pub person_kana: Option<String>,
    pub person_email: Option<String>,
    pub person_address: Option<String>,
    pub items: String,
    #[schema(format = Date)]
    pub kept_until: String,
}

impl RecordView {
    fn of(r: ProvisionRow, laws: &Laws, lang: Language) -> Self {
        let rules = laws.regime(&r.regime).and_then(|g| g.provision.as_ref());
        let method_label = rules
            .and_then(|x| x.method(&r.method))
            .map(|m| m.label.get(lang).to_owned())
            .unwrap_or_else(|| r.method.clone());
        let basis_label = rules
            .and_then(|x| x.basis(&r.basis))
            .map(|b| b.label.get(lang).to_owned())
            .unwrap_or_else(|| r.basis.clone());
        RecordView {
            id: r.id.into_string(),
            regime: r.regime,
            direction: r.direction,
            method: r.method,
            method_label,
            basis: r.basis,
            basis_label,
            provided_on: r.provided_on,
            last_provided_on: r.last_provided_on,
            counterparty_name: r.counterparty_name,
            counterparty_address: r.counterparty_address,
            counterparty_representative: r.counterparty_representative,
            acquired_how: r.acquired_how,
            person_name: r.person_name,
            person_kana: r.person_kana,
            person_email: r.person_email,
            person_address: r.person_address,
            items: r.items,
            kept_until: r.kept_until,
        }
    }
}

/// The regimes that keep a register, with their rules.
pub fn registers(laws: &Laws) -> Vec<(String, ProvisionRules)> {
    laws.regimes()
        .filter_map(|r| r.provision.clone().map(|p| (r.id.clone(), p)))
        .collect()
}

fn rules_of<'l>(laws: &'l Laws, regime: &str) -> Result<&'l ProvisionRules, AppError> {
    laws.regime(regime)
        .and_then(|r| r.provision.as_ref())
        .ok_or_else(|| AppError::invalid("regime", "no_register"))
}

/// Enters a record in `regime`'s register.
pub async fn record(
    state: &AppState,
    staff: &StaffMember,
    regime: String,
    raw: RawProvisionRecord,
) -> Result<RecordView, AppError> {
    let laws = state.workflows.laws().clone();
    let now = state.clock.now();
    let actor = staff.actor();
    let staff_id = staff.id.to_string();
    let lang = Language::JA;
    // The register's days are Japan's: the law whose register it is counts them.
    let today = laws
        .places()
        .iter()
        .find(|p| p.regime == regime)
        .map(|p| now.with_timezone(&p.timezone).date_naive())
        .unwrap_or_else(|| now.date_naive());
    let rules = rules_of(&laws, &regime)?.clone();
    let parsed = ProvisionRecord::parse(&raw, &rules, today).map_err(AppError::Invalid)?;
    state
        .db
        .write(move |conn| {
            let keys = parsed.person.keys();
            let p = &parsed.person;
            let row = ProvisionRow {
                id: ProvisionRecordId::new(db::new_id()),
                regime: regime.clone(),
                direction: parsed.direction.as_str().to_owned(),
                method: parsed.method.clone(),
                basis: parsed.basis.clone(),
                provided_on: parsed.provided_on.to_string(),
                last_provided_on: parsed.last_provided_on.map(|d| d.to_string()),
                counterparty_name: parsed.counterparty_name.clone(),
                counterparty_address: parsed.counterparty_address.clone(),
                counterparty_representative: parsed.counterparty_representative.clone(),
                acquired_how: parsed.acquired_how.clone(),
                person_name: p.name.clone(),
                person_kana: p.kana.clone(),
                person_email: p.email.clone(),
                person_address: p.address.clone(),
                name_key: keys.name,
                kana_key: keys.kana,
                email_key: keys.email,
                items: parsed.items.clone(),
                kept_until: parsed.kept_until.to_string(),
                recorded_by: staff_id,
                created_at: db::to_db_time(now),
            };
            repo::insert(conn, &row)?;
            audit::append(
                conn,
                &NewAuditEvent::new(AuditAction::ProvisionRecorded, actor, now).details(json!({
                    "record": row.id, "regime": row.regime, "direction": row.direction,
                    "method": row.method, "basis": row.basis, "kept_until": row.kept_until,
                })),
            )?;
            Ok(RecordView::of(row, &laws, lang))
        })
        .await
}

/// One page of the register.
pub struct RegisterPage {
    pub records: Vec<RecordView>,
    pub total: i64,
    pub page: i64,
}

/// The register, newest first, optionally one person's (by name, kana or e-mail address) or one
/// direction's.
pub async fn register(
    state: &AppState,
    person: Option<String>,
    direction: Option<String>,
    page: i64,
    lang: Language,
) -> Result<RegisterPage, AppError> {
    let laws = state.workflows.laws().clone();
    // Fifty to a page: 10,000 pages is half a million records, more than a page-by-page search serves.
    let page = page.clamp(1, 10_000);
    if let Some(d) = direction.as_deref()
        && d.parse::<crate::domain::provision::Direction>().is_err()
    {
        return Err(AppError::invalid("direction", "unknown_direction"));
    }
    // A query is folded like the names it is compared with; an address keeps its characters.
    let key = person
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.contains('@') {
                p.to_lowercase()
            } else {
                crate::domain::kana::fold(p)
            }
        });
    state
        .db
        .run(move |conn| {
            let (rows, total) = repo::page(
                conn,
                key.as_deref(),
                direction.as_deref(),
                PAGE_SIZE,
                (page - 1) * PAGE_SIZE,
            )?;
            Ok(RegisterPage {
                records: rows
                    .into_iter()
                    .map(|r| RecordView::of(r, &laws, lang))
                    .collect(),
                total,
                page,
            })
        })
        .await
}

/// A record that may be the requester's, and whether the officer confirmed it.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub record: RecordView,
    /// `email`, `name` or `kana`: why it was offered (confirmed records no longer match are `None`).
    pub likely_by: Option<&'static str>,
    pub attached: bool,
}

/// Whether a request's answer comes from the register (a request for the records, Art. 33(5)).
pub fn answers_from_register(case: &Case) -> bool {
    case.right
        .as_ref()
        .is_some_and(|r| r.answer == Some(AnswerKind::ProvisionRecords))
}

fn requester_keys(conn: &mut AnyConnection, case: &Case) -> Result<PersonKeys, AppError> {
    let kana = crate::db::postal::find(conn, &case.row.id)?.and_then(|p| p.subject_name_kana);
    Ok(PersonOnRecord {
        name: case.row.subject_name.clone(),
        kana,
        email: case.row.subject_email.clone(),
        address: None,
    }
    .keys())
}

/// The records the request page offers: those confirmed, then those that may be the requester's.
pub(crate) fn candidates(
    conn: &mut AnyConnection,
    laws: &Laws,
    case: &Case,
    lang: Language,
) -> Result<Vec<Candidate>, AppError> {
    if !answers_from_register(case) {
        return Ok(Vec::new());
    }
    let keys = requester_keys(conn, case)?;
    let attached = repo::attached(conn, &case.row.id)?;
    let found = repo::candidates(
        conn,
        &case.def.regime,
        &keys.name,
        keys.kana.as_deref(),
        keys.email.as_deref(),
    )?;
    let by = |r: &ProvisionRow| -> Option<LikelyBy> {
        let rec = PersonKeys {
            name: r.name_key.clone(),
            kana: r.kana_key.clone(),
            email: r.email_key.clone(),
        };
        likely_by(&rec, &keys)
    };
    let ids: Vec<ProvisionRecordId> = attached.iter().map(|r| r.id.clone()).collect();
    let mut out: Vec<Candidate> = attached
        .into_iter()
        .map(|r| Candidate {
            likely_by: by(&r).map(LikelyBy::as_str),
            record: RecordView::of(r, laws, lang),
            attached: true,
        })
        .collect();
    out.extend(
        found
            .into_iter()
            .filter(|r| !ids.contains(&r.id))
            .filter_map(|r| {
                by(&r).map(|b| Candidate {
                    likely_by: Some(b.as_str()),
                    record: RecordView::of(r, laws, lang),
                    attached: false,
                })
            }),
    );
    Ok(out)
}

/// Confirms (`attach`) a record as the requester's, or takes it off, while the answer has not gone.
pub async fn confirm(
    state: &AppState,
    staff: &StaffMember,
    request_id: RequestId,
    record_id: ProvisionRecordId,
    attach: bool,
) -> Result<(), AppError> {
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    let actor = staff.actor();
    let staff_id = staff.id.to_string();
    state
        .db
        .write(move |conn| {
            crate::db::requests::lock(conn, &request_id)?;
            let case = Case::load(conn, &catalog, &request_id)?;
            if !answers_from_register(&case) {
                return Err(AppError::invalid("record", "not_a_records_request"));
            }
            if case.row.closed_at.is_some() {
                return Err(AppError::invalid("record", "request_closed"));
            }
            let row = repo::find(conn, &record_id)?.ok_or(AppError::NotFound)?;
            if row.regime != case.def.regime {
                return Err(AppError::invalid("record", "other_regime"));
            }
            // Only a record whose person shares the requester's name, kana or address can be theirs:
            // anything else would disclose a stranger's record.
            let keys = requester_keys(conn, &case)?;
            let rec = PersonKeys {
                name: row.name_key.clone(),
                kana: row.kana_key.clone(),
                email: row.email_key.clone(),
            };
            if attach && likely_by(&rec, &keys).is_none() {
                return Err(AppError::invalid("record", "not_the_requesters"));
            }
            let changed = if attach {
                repo::attach(conn, &request_id, &row.id, &staff_id, db::to_db_time(now))?
            } else {
                repo::detach(conn, &request_id, &row.id)?
            };
            if changed {
                let action = if attach {
                    AuditAction::ProvisionAttached
                } else {
                    AuditAction::ProvisionDetached
                };
                audit::append(
                    conn,
                    &NewAuditEvent::new(action, actor, now)
                        .for_request(&request_id)
                        .details(json!({"record": row.id, "direction": row.direction})),
                )?;
            }
            Ok(())
        })
        .await
}

/// The records an answer discloses, as its notice carries them. An answer from the register with none
/// confirmed is refused: the officer answers "no such records" instead (Art. 33(3)'s notice).
pub(crate) fn for_answer(
    conn: &mut AnyConnection,
    laws: &Laws,
    case: &Case,
) -> Result<Vec<ProvisionNotice>, AppError> {
    let records = confirmed(conn, laws, case)?;
    if answers_from_register(case) && records.is_empty() {
        return Err(AppError::invalid("records", "no_provision_records"));
    }
    Ok(records)
}

/// The records confirmed so far as the request's person's (none for a right not answered from the
/// register): what the answer would disclose, and what the officer's preview shows.
pub(crate) fn confirmed(
    conn: &mut AnyConnection,
    laws: &Laws,
    case: &Case,
) -> Result<Vec<ProvisionNotice>, AppError> {
    if !answers_from_register(case) {
        return Ok(Vec::new());
    }
    let rules = laws
        .regime(&case.def.regime)
        .and_then(|r| r.provision.as_ref());
    let records: Vec<ProvisionNotice> = repo::attached(conn, &case.row.id)?
        .into_iter()
        .map(|r| {
            let date = |s: &str| s.parse::<NaiveDate>().ok();
            ProvisionNotice {
                direction: r.direction,
                provided_on: date(&r.provided_on).unwrap_or_default(),
                last_provided_on: r.last_provided_on.as_deref().and_then(date),
                counterparty: r.counterparty_name,
                counterparty_address: r.counterparty_address,
                counterparty_representative: r.counterparty_representative,
                acquired_how: r.acquired_how,
                person: r.person_name,
                items: r.items,
                basis: rules
                    .and_then(|x| x.basis(&r.basis))
                    .map(|b| b.label.clone())
                    .unwrap_or_else(|| crate::domain::definition::Label::plain(r.basis)),
            }
        })
        .collect();
    Ok(records)
}

/// Erases the register's records past their retention (the day after `kept_until`, counted in the
/// days of the places whose law keeps the register), audited by count. Blocking: one of the hourly jobs.
pub fn erase_expired(state: &AppState) -> Result<usize, AppError> {
    let now: DateTime<Utc> = state.clock.now();
    let laws = state.workflows.laws().clone();
    let mut conn = state.db.conn()?;
    let mut erased = 0;
    for (regime, _) in registers(&laws) {
        // The earliest "today" of the law's places: no record goes before its last day has ended in each.
        let Some(today) = laws
            .places()
            .iter()
            .filter(|p| p.regime == regime)
            .map(|p| now.with_timezone(&p.timezone).date_naive())
            .min()
        else {
            continue;
        };
        erased += db::write_tx(&mut conn, |conn| {
            let n = repo::erase_expired(conn, &regime, &today.to_string())?;
            if n > 0 {
                audit::append(
                    conn,
                    &NewAuditEvent::new(
                        AuditAction::ProvisionErased,
                        Actor::System("retention"),
                        now,
                    )
                    .details(json!({"regime": regime, "records": n, "kept_until_before": today.to_string()})),
                )?;
            }
            Ok::<_, AppError>(n)
        })?;
    }
    Ok(erased)
}
