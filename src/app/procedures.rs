//! What the laws in force offer a requester from one place: the rights a published workflow takes there
//! through a channel, each with its deadline and fee, read from the same definitions the engine runs, so
//! the form (and the procedure pages) can never offer what intake would refuse.

use super::{AppError, AppState};
use crate::domain::request::{Channel, PlaceCode, RightCode};
use crate::domain::workflow::{Label, WorkflowDefinition};

/// A right as the form offers it.
#[derive(Debug, Clone)]
pub struct OfferedRight {
    pub code: RightCode,
    pub label: Label,
    pub article: Option<Label>,
    /// The answer's deadline as the procedure states it (its `response` clock, else its first).
    pub deadline: Option<Label>,
    /// The fee in integer yen and what it is charged per (`service` or `request`), where one applies.
    pub fee: Option<(i64, String)>,
    /// The workflow that would take it.
    pub workflow: String,
}

/// The rights offered to requesters from `place` through `channel`, in the order the regime lists them.
pub async fn offered(
    state: &AppState,
    place: PlaceCode,
    channel: Channel,
) -> Result<Vec<OfferedRight>, AppError> {
    let catalog = state.workflows.clone();
    state
        .db
        .run(move |conn| {
            let laws = catalog.laws().clone();
            let Some(regime) = laws.regime_of(place.as_str()) else {
                return Ok(Vec::new());
            };
            // One read of the published versions for every right.
            let newest = catalog.newest_published(conn)?;
            let mut out = Vec::new();
            for right in &regime.rights {
                let Some(def) = newest
                    .iter()
                    .find(|d| d.serves(&right.code, channel, &place))
                else {
                    continue;
                };
                let clock = def.clock("response").or_else(|| def.clocks.first());
                out.push(OfferedRight {
                    code: right.code.clone(),
                    label: right.label.clone(),
                    article: right.article.clone(),
                    deadline: clock.map(|k| k.label.clone()),
                    fee: def
                        .fee
                        .as_ref()
                        .filter(|_| def.fee_applies(&right.code))
                        .map(|f| (f.amount_yen, f.per.clone())),
                    workflow: def.id.clone(),
                });
            }
            Ok(out)
        })
        .await
}

/// A published procedure as its public page shows it: everything read from the definitions.
#[derive(Debug, Clone)]
pub struct ProcedureView {
    pub id: String,
    pub version: i64,
    pub name: Label,
    /// The law's name (`seeds/regimes`), or its id where no file names it.
    pub regime: Label,
    pub places: Vec<Label>,
    pub channels: Vec<Channel>,
    pub rights: Vec<RightTerms>,
    /// Each deadline as the engine counts it.
    pub deadlines: Vec<DeadlineTerms>,
    pub confirm_email: bool,
    pub complaint_authority: Option<Label>,
    pub postal: Option<crate::domain::workflow::PostalRule>,
    /// How a fee is paid, where the procedure charges one.
    pub fee_payment: Option<Label>,
    /// Who the law lets file: `self`, `agent`, `guardian`.
    pub requesters: Vec<String>,
    /// When we may refuse, as the law says: each ground with the rights it applies to (their labels).
    pub grounds: Vec<(crate::domain::law::RefusalGround, Vec<Label>)>,
    /// Who answers and how to reach them.
    pub desk: Option<crate::domain::workflow::Desk>,
    /// Identity documents and how fresh they must be (postal procedures).
    pub documents: Option<crate::domain::documents::DocumentRules>,
    pub non_discrimination: Option<Label>,
}

/// A deadline: its statement, its length, whether it stops while the desk waits on the requester, and
/// how it may be extended (period, times).
#[derive(Debug, Clone)]
pub struct DeadlineTerms {
    pub label: Label,
    pub period: crate::domain::deadline::Period,
    pub pauses: bool,
    pub extension: Option<(crate::domain::deadline::Period, u32)>,
}

/// A right as a procedure takes it: what it is, where the law grants it, its fee and identity proof.
#[derive(Debug, Clone)]
pub struct RightTerms {
    pub code: RightCode,
    pub label: Label,
    pub article: Option<Label>,
    /// Integer yen, what it is charged per, and the days to pay.
    pub fee: Option<(i64, String, u32)>,
    /// Data points that must match our records, and whether a signed declaration is needed too.
    pub points: Option<u32>,
    pub declaration: bool,
    /// The law makes it free of charge: no procedure may set a fee for it.
    pub free_by_law: bool,
}

fn view_of(
    laws: &crate::domain::law::Laws,
    def: &WorkflowDefinition,
    now: chrono::DateTime<chrono::Utc>,
) -> ProcedureView {
    // The law as read with this version of the procedure.
    let regime = &def.law;
    ProcedureView {
        id: def.id.clone(),
        version: def.version,
        name: def.name.clone(),
        regime: regime.name.clone(),
        places: def
            .jurisdictions
            .iter()
            .filter_map(|p| laws.place(p.as_str()).map(|p| p.name.clone()))
            .collect(),
        channels: def.channels.clone(),
        rights: def
            .request_types
            .iter()
            .map(|code| {
                let right = regime.right(code.as_str());
                let verification = def.verification.as_ref();
                RightTerms {
                    code: code.clone(),
                    label: right
                        .map(|r| r.label.clone())
                        .unwrap_or_else(|| Label::plain(code.to_string())),
                    article: right.and_then(|r| r.article.clone()),
                    fee: def
                        .fee
                        .as_ref()
                        .filter(|_| def.fee_applies(code))
                        .map(|f| (f.amount_yen, f.per.clone(), f.due_days)),
                    points: verification.and_then(|v| v.points.get(code.as_str()).copied()),
                    declaration: verification
                        .is_some_and(|v| v.declaration_for.iter().any(|d| d == code.as_str())),
                    free_by_law: right
                        .is_some_and(|r| r.fee == Some(crate::domain::law::FeeByLaw::Free)),
                }
            })
            .collect(),
        deadlines: def
            .clocks
            .iter()
            .map(|k| DeadlineTerms {
                label: k.label.clone(),
                period: k.rule.period,
                pauses: k.rule.pauses_while_waiting,
                extension: k.rule.extension.map(|e| (e.period, e.times)),
            })
            .collect(),
        confirm_email: def.confirm_email,
        complaint_authority: def.complaint_authority.clone(),
        postal: def.postal.clone(),
        desk: def.desk.clone(),
        fee_payment: def.fee.as_ref().and_then(|f| f.payment.clone()),
        requesters: regime.requesters.clone(),
        grounds: regime
            .grounds
            .iter()
            .filter(|g| def.request_types.iter().any(|t| g.applies_to(t.as_str())))
            .map(|g| {
                let rights = def
                    .request_types
                    .iter()
                    .filter(|t| !g.rights.is_empty() && g.applies_to(t.as_str()))
                    .filter_map(|t| regime.right(t.as_str()).map(|d| d.label.clone()))
                    .collect();
                (g.clone(), rights)
            })
            .collect(),
        // The documents a request filed today may enclose.
        documents: def
            .documents
            .as_ref()
            .map(|d| d.as_of(super::cases::today_in(def, now))),
        non_discrimination: def.non_discrimination.clone(),
    }
}

/// Every procedure published for a place this deployment serves, newest version of each, as its page
/// shows it.
pub async fn published(state: &AppState) -> Result<Vec<ProcedureView>, AppError> {
    let catalog = state.workflows.clone();
    let now = state.clock.now();
    state
        .db
        .run(move |conn| {
            let laws = catalog.laws().clone();
            Ok(catalog
                .newest_published(conn)?
                .iter()
                .filter(|d| d.jurisdictions.iter().any(|p| laws.serves(p)))
                .map(|d| view_of(&laws, d, now))
                .collect())
        })
        .await
}

/// One published procedure's page, by workflow id.
pub async fn one(state: &AppState, id: String) -> Result<ProcedureView, AppError> {
    published(state)
        .await?
        .into_iter()
        .find(|p| p.id == id)
        .ok_or(AppError::NotFound)
}
