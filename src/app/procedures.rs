//! What the laws in force offer a requester from one place: the rights a published workflow takes there
//! through a channel, each with its deadline and fee, read from the same definitions the engine runs, so
//! the form (and the procedure pages) can never offer what intake would refuse.

use super::{AppError, AppState};
use crate::domain::request::{Channel, PlaceCode, RightCode};
use crate::domain::workflow::Label;

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
            let mut out = Vec::new();
            for right in &regime.rights {
                let def = match catalog.for_new_request(conn, &right.code, channel, &place) {
                    Ok(def) => def,
                    Err(AppError::NoWorkflow { .. }) => continue,
                    Err(e) => return Err(e),
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
