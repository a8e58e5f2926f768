//! The user-verification page of a request an agent filed (DRP §3.02.1): the agent opens it for the
//! person with `?redirect_to=…&request_id=…`. It never lets the agent act in the person's place: the
//! person confirms through the link emailed to their own address (this page can only send it again,
//! to that address), and only then are they sent back, to the agent's registered web origin alone.

use chrono::{DateTime, Duration, Utc};

use super::cases::Case;
use super::drp_status::{PersonStep, person_step};
use super::{AppError, AppState};
use crate::db::drp as repo;
use crate::db::{self, AnyConnection, notices, requests};
use crate::domain::code::Code;
use crate::domain::ids::RequestId;
use crate::domain::notice::{Addressee, NoticeKind, NoticePayload};
use crate::domain::request::Language;
use crate::domain::workflow::{Fact, Label};

/// The link is sent again at most this often for one request.
const RESEND_EVERY_MINUTES: i64 = 15;

/// What the person is asked to do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationStep {
    /// Confirm through the link emailed to their address.
    ConfirmByEmail,
    /// The business waits for identity information, asked of the agent.
    IdentityInformation,
    /// Nothing is needed from them now (confirmed, or being worked on).
    NothingNeeded,
    /// The request is closed.
    Closed,
}

#[derive(Debug, Clone)]
pub struct VerificationView {
    pub receipt_number: String,
    pub language: Language,
    pub agent_name: String,
    pub right: Label,
    pub step: VerificationStep,
    /// The person's address, partly hidden: where the link went.
    pub sent_to: Option<String>,
    /// Where the person goes back to once confirmed (the agent's own site), if the agent said.
    pub return_to: Option<String>,
    /// The agent asked to send the person somewhere other than its registered site: not followed.
    pub return_refused: bool,
    /// The link was just sent again (or had been within the last minutes).
    pub resent: bool,
}

/// `t•••@example.com`: enough for the person to recognise their address, not enough to read it off.
fn hide(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

fn load(
    conn: &mut AnyConnection,
    catalog: &super::workflows::WorkflowCatalog,
    request_id: &RequestId,
) -> Result<(Case, repo::DrpRequestRow, repo::AgentRow, Option<String>), AppError> {
    let link = repo::find_request(conn, request_id)?.ok_or(AppError::NotFound)?;
    let agent = repo::find_agent(conn, &link.agent_id)?.ok_or(AppError::NotFound)?;
    let case = Case::load(conn, catalog, request_id)?;
    let person_email = requests::find_on_behalf(conn, request_id)?.and_then(|b| b.person_email);
    Ok((case, link, agent, person_email))
}

fn view(
    case: &Case,
    link: &repo::DrpRequestRow,
    agent: &repo::AgentRow,
    person_email: Option<&str>,
) -> VerificationView {
    let PersonStep {
        waits_on_requester,
        awaiting_person,
    } = person_step(case);
    let step = if case.state_label().1 {
        VerificationStep::Closed
    } else if awaiting_person && !case.facts.contains(&Fact::PersonConfirmed) {
        VerificationStep::ConfirmByEmail
    } else if waits_on_requester {
        VerificationStep::IdentityInformation
    } else {
        VerificationStep::NothingNeeded
    };
    VerificationView {
        receipt_number: case.row.receipt_number.clone(),
        language: case.language,
        agent_name: agent.name.clone(),
        right: case.right_name(),
        step,
        sent_to: person_email.map(hide),
        return_to: link.redirect_to.clone(),
        return_refused: false,
        resent: false,
    }
}

/// The request a verification link (`{id}.{HMAC}`) names, or 404.
fn request_of(state: &AppState, link: &str) -> Result<RequestId, AppError> {
    super::drp_status::verified_request(&state.keys, link)
        .map(RequestId::new)
        .ok_or(AppError::NotFound)
}

/// Opens the page. A `request_id` that is not this page's is refused (404); a `redirect_to` on the
/// agent's registered web origin is kept for after the person's confirmation, any other is not.
pub async fn open(
    state: &AppState,
    link: String,
    query_request_id: Option<String>,
    redirect_to: Option<String>,
) -> Result<VerificationView, AppError> {
    let request_id = request_of(state, &link)?;
    if query_request_id.is_some_and(|q| q != request_id.as_str()) {
        return Err(AppError::NotFound);
    }
    let catalog = state.workflows.clone();
    let redirect_to = redirect_to.filter(|r| !r.is_empty());
    // Only a return address to keep needs a write transaction; a plain visit reads.
    let writes = redirect_to.is_some();
    let work = move |conn: &mut AnyConnection| {
        let (case, mut link, agent, person_email) = load(conn, &catalog, &request_id)?;
        let mut refused = false;
        if let Some(to) = redirect_to {
            match crate::domain::drp::return_allowed(agent.web_url.as_deref(), &to) {
                Some(to) if link.redirect_to.as_deref() != Some(to.as_str()) => {
                    repo::set_redirect_to(conn, &link.request_id, &to)?;
                    link.redirect_to = Some(to);
                }
                Some(_) => {}
                None => refused = true,
            }
        }
        Ok(VerificationView {
            return_refused: refused,
            ..view(&case, &link, &agent, person_email.as_deref())
        })
    };
    if writes {
        state.db.write(work).await
    } else {
        state.db.run(work).await
    }
}

/// Sends the person's confirmation link again, to the address the agent gave for them (never to
/// one typed here), at most once per quarter hour.
pub async fn resend(state: &AppState, link: String) -> Result<VerificationView, AppError> {
    let request_id = request_of(state, &link)?;
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    state
        .db
        .write(move |conn| {
            if !requests::lock(conn, &request_id)? {
                return Err(AppError::NotFound);
            }
            let (case, link, agent, person_email) = load(conn, &catalog, &request_id)?;
            let v = view(&case, &link, &agent, person_email.as_deref());
            if v.step != VerificationStep::ConfirmByEmail || person_email.is_none() {
                return Ok(v);
            }
            if !sent_lately(conn, &request_id, now)? {
                super::notices::queue_notices(
                    conn,
                    &request_id,
                    true,
                    case.language,
                    [NoticeKind::PersonConfirmation],
                    &NoticePayload {
                        to: Some(Addressee::Person),
                        ..NoticePayload::default()
                    },
                    now,
                )?;
            }
            Ok(VerificationView { resent: true, ..v })
        })
        .await
}

fn sent_lately(
    conn: &mut AnyConnection,
    id: &RequestId,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    Ok(notices::for_request(conn, id)?.iter().any(|n| {
        n.kind == NoticeKind::PersonConfirmation.as_str()
            && db::from_db_time(n.created_at) > now - Duration::minutes(RESEND_EVERY_MINUTES)
    }))
}

#[cfg(test)]
mod tests {
    use super::hide;

    #[test]
    fn the_address_is_recognisable_but_not_readable() {
        assert_eq!(hide("taro@example.jp"), "t•••@example.jp");
        assert_eq!(hide("花子@example.jp"), "花•••@example.jp");
        assert_eq!(hide("nonsense"), "•••");
    }
}
