//! The effects of a transition that the application carries out itself (the engine applies the rest to
//! the request's facts and clocks): each one writes its rows in the transition's transaction and puts
//! what it did into the notices' payload, so the email and the letter say exactly that.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::AppError;
use super::cases::{Case, received_on, stored_date, today_in};
use super::workflows::WorkflowCatalog;
use crate::config::{Config, Keys};
use crate::db::replies::{self as repo, DispatchRow, DownloadRow};
use crate::db::{self, AnyConnection};
use crate::domain::audit::Actor;
use crate::domain::notice::{DispatchNotice, DownloadNotice, InvoiceNotice, NoticePayload};
use crate::domain::postal::TrackingNumber;
use crate::domain::reply::{parse_delivery, parse_dispatch};
use crate::domain::workflow::{Effect, Party};

/// Who fires an event, with what the effects need, at which instant.
pub struct TransitionContext<'a> {
    pub catalog: &'a WorkflowCatalog,
    pub config: &'a Config,
    pub keys: &'a Keys,
    pub actor: &'a Actor,
    /// The party the engine checks the transition against.
    pub by: Party,
    pub now: DateTime<Utc>,
}

/// Carries out one effect of a decided transition.
pub(super) fn carry_out(
    conn: &mut AnyConnection,
    cx: &TransitionContext<'_>,
    case: &mut Case,
    effect: &Effect,
    data: &Map<String, Value>,
    payload: &mut NoticePayload,
) -> Result<(), AppError> {
    match effect {
        // The engine's own: `WorkflowDefinition::apply` changes the facts and clocks, and the notices are
        // queued with the new state.
        Effect::StartClock(_)
        | Effect::StopClock(_)
        | Effect::PauseClock(_)
        | Effect::ResumeClock(_)
        | Effect::RestartClock(_)
        | Effect::ExtendDeadline(_)
        | Effect::SetFact(_)
        | Effect::ClearFact(_)
        | Effect::SendNotice(_) => {}
        Effect::IssueInvoice => {
            let inv = super::fees::issue_invoice(conn, cx.config, case, cx.actor, cx.now)?;
            payload.invoice = Some(InvoiceNotice {
                number: inv.number,
                amount_yen: inv.amount_yen,
                due_on: stored_date(&inv.due_on)?,
                unit_yen: Some(inv.unit_yen),
                services: Some(inv.services),
                issued_on: Some(stored_date(&inv.issued_on)?),
                bank_account: cx.config.intake.bank_account.clone(),
                registration_number: inv.registration_number,
                tax_rate_percent: inv.tax_rate_percent,
                tax_yen: inv.tax_yen,
            });
        }
        Effect::RecordDispatch => {
            let d = record_dispatch(conn, case, data, cx.actor, cx.now)?;
            payload.dispatch = Some(DispatchNotice {
                tracking_number: TrackingNumber::from_stored(d.tracking_number).display(),
                dispatched_on: stored_date(&d.dispatched_on)?,
            });
        }
        Effect::RecordDelivery => {
            let on = record_delivery(conn, case, data, cx.now)?;
            payload.delivered_on = Some(stored_date(&on)?);
        }
        Effect::CreateTasks => super::systems::create_tasks(conn, case, cx.now)?,
        Effect::ReleasePackage => {
            let released = super::package::release_package(
                conn,
                cx.catalog.laws(),
                cx.config,
                cx.keys,
                case,
                cx.actor,
                cx.now,
            )?;
            if let Some(d) = released {
                payload.download = Some(DownloadNotice {
                    id: d.id.to_string(),
                    expires_at: db::from_db_time(d.expires_at),
                    max_downloads: Some(d.max_downloads),
                });
            }
        }
        Effect::RecordPreference => {
            super::preferences::record_for_request(conn, &cx.keys.document, case, cx.actor, cx.now)?
        }
        Effect::ReleaseDownload => {
            let d = release_download(conn, cx.config, case, cx.actor, cx.now)?;
            payload.download = Some(DownloadNotice {
                id: d.id.to_string(),
                expires_at: db::from_db_time(d.expires_at),
                max_downloads: None,
            });
        }
    }
    Ok(())
}

/// Carries out `record_dispatch` inside the transition's transaction.
pub(crate) fn record_dispatch(
    conn: &mut AnyConnection,
    case: &Case,
    data: &Map<String, Value>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<DispatchRow, AppError> {
    let d = parse_dispatch(data, received_on(conn, case)?, today_in(&case.def, now))
        .map_err(AppError::Invalid)?;
    if repo::find_dispatch(conn, &case.row.id)?.is_some() {
        return Err(AppError::Conflict);
    }
    let row = DispatchRow {
        request_id: case.row.id.clone(),
        tracking_number: d.tracking_number.as_str().to_owned(),
        dispatched_on: d.dispatched_on.to_string(),
        delivered_on: None,
        recorded_by: actor.id().unwrap_or_default(),
        created_at: db::to_db_time(now),
    };
    repo::insert_dispatch(conn, &row)?;
    Ok(row)
}

/// Carries out `record_delivery`: the date on the delivery certificate.
pub(crate) fn record_delivery(
    conn: &mut AnyConnection,
    case: &Case,
    data: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let Some(dispatch) = repo::find_dispatch(conn, &case.row.id)? else {
        return Err(AppError::invalid("delivered_on", "no_dispatch"));
    };
    let dispatched_on = dispatch
        .dispatched_on
        .parse()
        .map_err(|_| AppError::Definition("stored dispatch date".into()))?;
    let on = parse_delivery(data, dispatched_on, today_in(&case.def, now))
        .map_err(AppError::Invalid)?
        .to_string();
    if !repo::set_delivered(conn, &case.row.id, &on)? {
        return Err(AppError::Conflict);
    }
    Ok(on)
}

/// Carries out `release_download`: the newest uploaded reply becomes downloadable until the expiry.
pub(crate) fn release_download(
    conn: &mut AnyConnection,
    config: &Config,
    case: &Case,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<DownloadRow, AppError> {
    let Some(file_id) = repo::latest_reply_file(conn, &case.row.id)? else {
        return Err(AppError::invalid("file", "no_reply_file"));
    };
    let row = DownloadRow {
        file_id: Some(file_id),
        ..super::package::new_download(config, &case.row.id, actor, now)
    };
    repo::insert_download(conn, &row)?;
    Ok(row)
}
