//! The status a request shows the agent that filed it (DRP §3.03), read from its workflow every time
//! it is asked for, so that it never disagrees with what an officer sees.

use chrono::{DateTime, NaiveDate, Utc};

use super::AppError;
use super::cases::{Case, clock_views, today_in};
use crate::db::drp::DrpRequestRow;
use crate::db::{self, AnyConnection};
use crate::domain::code::Code;
use crate::domain::drp::{DrpStatus, WorkflowPosition};
use crate::domain::notice::NoticeKind;
use crate::domain::request::Language;
use crate::domain::workflow::{Fact, Guard};

/// A request's status, as the protocol shows it (§3.03).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct DrpStatusView {
    pub request_id: String,
    pub received_at: DateTime<Utc>,
    /// The day the answer is due (end of that day, in the procedure's zone, as UTC), once in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_by: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_request_id: Option<String>,
    /// `open`, `in_progress`, `fulfilled`, `revoked`, `denied` or `expired`.
    pub status: String,
    /// `need_user_verification`; for `denied`: `suspected_fraud`, `insuf_verification`, `no_match`,
    /// `claim_not_covered` or `other`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_details: Option<String>,
    /// With `need_user_verification`: the page the agent opens for the person (with `redirect_to` and
    /// `request_id`), which asks the person to confirm from their own mailbox.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_verification_url: Option<String>,
}

const VERIFY_LINK: &str = "drp-verify";

/// Where a status object's links point: this service's public address, and the key that signs them.
pub struct StatusLinks<'a> {
    pub public_url: &'a str,
    pub keys: &'a crate::config::Keys,
}

/// The page an agent opens for the person when their own step is awaited: the request's id with an
/// HMAC, so that nobody can open it for a request by guessing or reading its id elsewhere.
pub fn verification_path(keys: &crate::config::Keys, request_id: &str) -> String {
    format!(
        "/drp/verify/{}",
        crate::security::tokens::signed_id(keys.session.expose(), VERIFY_LINK, request_id)
    )
}

/// The request a verification link names, if its signature holds.
pub fn verified_request(keys: &crate::config::Keys, link: &str) -> Option<String> {
    keys.session.verify_signed_id(VERIFY_LINK, link)
}

/// What a request waits on from the person (or whoever filed for them), if anything.
pub(crate) struct PersonStep {
    /// The state waits on the requester (identity information, documents).
    pub waits_on_requester: bool,
    /// The person's own confirmation is still awaited (their address, an agent's filing).
    pub awaiting_person: bool,
}

pub(crate) fn person_step(case: &Case) -> PersonStep {
    let waits_on_requester = case
        .def
        .states
        .iter()
        .find(|s| s.id == case.row.state)
        .is_some_and(|s| s.waits_on_requester);
    // The person's own step is awaited where a way on from here needs it and it has not happened.
    let needs =
        |guard: Guard, fact: Fact| {
            !case.facts.contains(&fact)
                && case.def.transitions.iter().any(|t| {
                    t.from.contains(&case.row.state) && !t.system && t.guards.contains(&guard)
                })
        };
    let awaiting_person = needs(Guard::EmailConfirmed, Fact::EmailConfirmed)
        || (case.facts.contains(&Fact::FiledByAgent)
            && needs(Guard::PersonConfirmed, Fact::PersonConfirmed));
    PersonStep {
        waits_on_requester,
        awaiting_person,
    }
}

/// The status of one request, read from its workflow.
pub(crate) fn status_view(
    conn: &mut AnyConnection,
    state_catalog: &super::workflows::WorkflowCatalog,
    link: &DrpRequestRow,
    links: &StatusLinks<'_>,
    now: DateTime<Utc>,
) -> Result<DrpStatusView, AppError> {
    let case = Case::load(conn, state_catalog, &link.request_id)?;
    let (_, terminal) = case.state_label();
    // One read of the request's notices: the outcomes they tell, and a refusal's ground.
    let rows = crate::db::notices::for_request(conn, &case.row.id)?;
    let notices: Vec<NoticeKind> = rows
        .iter()
        .filter(|n| n.recipient_staff_id.is_none())
        .filter_map(|n| n.kind.parse().ok())
        .collect();
    let last_payload = |kind: NoticeKind| {
        rows.iter()
            .rev()
            .find(|n| n.recipient_staff_id.is_none() && n.kind == kind.as_str())
            .and_then(|n| crate::domain::notice::NoticePayload::from_stored(&n.payload).ok())
    };
    let ground = last_payload(NoticeKind::Refused).and_then(|p| p.ground.map(|g| g.code));
    // Why `expected_by` moved, when it did (§3.03: an extension must say why).
    let extension = last_payload(NoticeKind::DeadlineExtended);
    let PersonStep {
        waits_on_requester: waits,
        awaiting_person,
    } = person_step(&case);
    let position = WorkflowPosition {
        terminal,
        // Nobody has acted yet: neither an officer nor the person, whose confirmation finishes the
        // user verification (§3.02: `in_progress` once "the user finished verification").
        at_start: case.row.state == case.def.initial_state
            && case.row.version == 1
            && !case.facts.contains(&Fact::PersonConfirmed),
        waits_on_requester: waits,
        awaiting_person,
        notices: &notices,
        ground: ground.as_deref(),
    };
    let (status, reason) = crate::domain::drp::status_of(&position);
    let today = today_in(&case.def, now);
    let expected_on: Option<NaiveDate> = (status == DrpStatus::InProgress)
        .then(|| {
            clock_views(&case.def, &case.clocks, today, state_catalog.calendars())
                .into_iter()
                .filter(|c| c.stopped_on.is_none())
                .filter_map(|c| c.due_on)
                .max()
        })
        .flatten();
    let expected_by = expected_on
        .and_then(|d| d.and_hms_opt(23, 59, 59))
        .and_then(|t| t.and_local_timezone(case.def.timezone).single())
        .map(|t| t.with_timezone(&Utc));
    let processing_details = match (status, reason) {
        (DrpStatus::InProgress, Some(_)) if awaiting_person => Some(
            "The consumer must confirm this request directly, through the link the business emailed them."
                .to_owned(),
        ),
        (DrpStatus::InProgress, Some(_)) => Some(
            "The business needs more identity information; it wrote to the agent's contact address with \
             the private link where it can be given."
                .to_owned(),
        ),
        (DrpStatus::InProgress, None) if extension.is_some() => {
            let why = extension
                .and_then(|p| p.reason)
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty())
                .map_or_else(|| ".".to_owned(), |r| format!(": {r}"));
            let until = expected_on.map(|d| format!(" to {d}")).unwrap_or_default();
            Some(format!("The business extended the time to answer{until}{why}"))
        }
        (DrpStatus::Denied, _) | (DrpStatus::InProgress, None) => {
            Some(format!("{} ({})", case.state_label().0.get(Language::EN), case.def.name.get(Language::EN)))
        }
        _ => None,
    };
    Ok(DrpStatusView {
        request_id: link.request_id.to_string(),
        received_at: db::from_db_time(case.row.received_at),
        expected_by,
        agent_request_id: link.agent_request_id.clone(),
        status: status.as_str().to_owned(),
        reason: reason.map(str::to_owned),
        processing_details,
        user_verification_url: (reason == Some("need_user_verification")).then(|| {
            format!(
                "{}{}",
                links.public_url,
                verification_path(links.keys, &link.request_id)
            )
        }),
    })
}
