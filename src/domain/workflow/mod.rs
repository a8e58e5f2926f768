//! Workflows as data. A procedure's states, clocks and transitions are read from a TOML definition and
//! checked once; the engine then decides events: given a request's state, facts and clocks, an event, the
//! actor's role and the event's data, it returns the next state and the effects to carry out, or a typed
//! refusal. Guards and effects are names bound to the Rust code below, so a new procedure that reuses them
//! needs no recompilation.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::ops::Range;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::deadline::{Calendars, ClockRule, ClockState, DeadlineError, RawPeriod};
use super::documents::{DocumentRules, Requirement};
use super::law::{Laws, Regime};
use super::notice::NoticeKind;
use super::postal::{MailClass, RequesterKind};
use super::request::{Channel, Language, PlaceCode, RightCode};
use super::staff::Role;
use crate::domain::code::{apply, coded};

pub use super::definition::{DefinitionError, Label};

mod check;
mod dot;
mod engine;
mod raw;

/// What is known about a request, set by effects (and, later, by document checks and payments).
#[apply(coded)]
pub enum Fact {
    IdentityVerified,
    FeePaid,
    DocumentsComplete,
    DocumentsFresh,
    /// The requester chose electronic disclosure (APPI Art. 33(1), since 2022).
    ElectronicDelivery,
    /// Every data-system task of the request is closed (set by the application).
    TasksDone,
    /// The requester opened the confirmation link sent to their email address.
    EmailConfirmed,
    /// An agent filed the request for someone else (set at intake).
    FiledByAgent,
    /// The person an agent filed for confirmed the request directly.
    PersonConfirmed,
    /// An officer checked the agent's proof of authority (signed permission, power of attorney).
    AuthorityChecked,
}

/// A condition a transition needs.
#[apply(coded)]
pub enum Guard {
    IdentityVerified,
    /// The fee is paid, or the request type carries none.
    FeePaid,
    FeeRequired,
    NoFeeRequired,
    DocumentsComplete,
    DocumentsFresh,
    /// The event's data carries a non-empty `reason`.
    ReasonGiven,
    /// Every deadline the transition extends may still be extended today.
    ExtensionAvailable,
    ElectronicDelivery,
    PostalDelivery,
    /// Every data-system task is closed, or the request type creates none.
    TasksDone,
    /// The requester confirmed their email address, or the procedure does not ask them to.
    EmailConfirmed,
    /// The email address is still unconfirmed (for expiring such requests).
    EmailUnconfirmed,
    /// The person confirmed an agent's request directly, or no agent filed it.
    PersonConfirmed,
    /// An officer checked the agent's proof of authority, or no agent filed it: nothing is disclosed
    /// or done in any system for an agent before (CCPA Regs. §7063(a), GDPR Art. 12(6), APPI 施行令
    /// 第13条).
    AuthorityChecked,
    /// Identity is not verified yet: no further proof is asked of someone already verified by a
    /// stronger method (their own sign-in).
    IdentityUnverified,
}

pub type Facts = BTreeSet<Fact>;
pub type Clocks = BTreeMap<String, ClockState>;

/// Something a transition does besides changing state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "effect", content = "target", rename_all = "snake_case")]
pub enum Effect {
    StartClock(String),
    StopClock(String),
    PauseClock(String),
    ResumeClock(String),
    /// The clock runs afresh from today, its pauses forgotten and its extensions kept: the time limit
    /// counts from the latest of receipt, the identity information asked for, and the fee (UK GDPR
    /// Art. 12A).
    RestartClock(String),
    ExtendDeadline(String),
    SetFact(Fact),
    ClearFact(Fact),
    SendNotice(NoticeKind),
    /// Issue the fee invoice (carried out by the application: number, amount per service, due date).
    IssueInvoice,
    /// Record the reply's dispatch by registered mail: the event carries `tracking_number` and
    /// `dispatched_on` (carried out by the application).
    RecordDispatch,
    /// Record the date on the delivery certificate: the event carries `delivered_on`.
    RecordDelivery,
    /// Release the uploaded reply as an expiring download (carried out by the application).
    ReleaseDownload,
    /// Open one task per active data system (export or erase, by request type); idempotent.
    CreateTasks,
    /// Pack the exports and the processing information into an encrypted answer package and release it
    /// as an expiring, download-limited link (access and portability; nothing for other types).
    ReleasePackage,
    /// Record the choice the right's `preference` names (an opt-out of sale or sharing) for the person
    /// the request is about, where data systems read it (carried out by the application).
    RecordPreference,
}

impl Effect {
    /// The values an officer types in for this effect, by field name.
    pub fn inputs(&self) -> &'static [&'static str] {
        match self {
            Effect::RecordDispatch => &["tracking_number", "dispatched_on"],
            Effect::RecordDelivery => &["delivered_on"],
            _ => &[],
        }
    }
}

impl Effect {
    fn fact(f: Fact, set: bool) -> Self {
        if set {
            Effect::SetFact(f)
        } else {
            Effect::ClearFact(f)
        }
    }
}

/// The names effects are written with in a definition: `name:argument`.
pub const EFFECT_NAMES: [&str; 16] = [
    "start_clock",
    "stop_clock",
    "pause_clock",
    "resume_clock",
    "restart_clock",
    "extend_deadline",
    "set_fact",
    "clear_fact",
    "send_notice",
    "issue_invoice",
    "record_dispatch",
    "record_delivery",
    "release_download",
    "create_tasks",
    "release_package",
    "record_preference",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDef {
    pub id: String,
    pub label: Label,
    pub terminal: bool,
    /// The request waits on the requester here (documents, payment, information).
    pub waits_on_requester: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockStart {
    /// Runs from the day the request was received.
    Receipt,
    /// Starts when the request first enters one of these states (or by a `start_clock` effect).
    Entering(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockDef {
    pub id: String,
    pub label: Label,
    pub start: ClockStart,
    /// Entering one of these states stops the clock (terminal states stop every clock).
    pub stop_when: Vec<String>,
    pub rule: ClockRule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionDef {
    pub event: String,
    pub from: Vec<String>,
    /// `None`: the request stays where it is (e.g. an extension or a recorded choice).
    pub to: Option<String>,
    pub roles: Vec<Role>,
    /// The requester's own act fires it too (e.g. downloading the reply).
    pub requester: bool,
    /// Offered to the requester as a button on their tracking page, with this wording (withdrawing);
    /// without it a requester transition fires only by their act (downloading).
    pub requester_action: Option<Label>,
    /// kaiji fires it on a timer (e.g. expiring a request whose email was never confirmed).
    pub system: bool,
    pub guards: Vec<Guard>,
    pub effects: Vec<Effect>,
    pub label: Label,
}

impl TransitionDef {
    /// Whether it sends an answer or a refusal (what four eyes must approve).
    pub fn decides(&self) -> bool {
        self.effects
            .iter()
            .any(|e| matches!(e, Effect::SendNotice(n) if n.decides()))
    }

    pub fn needs_reason(&self) -> bool {
        self.guards.contains(&Guard::ReasonGiven)
    }

    /// The transition refuses the request (sends `refused`): it names the law's ground, where there are any.
    pub fn refuses(&self) -> bool {
        self.effects
            .iter()
            .any(|e| matches!(e, Effect::SendNotice(NoticeKind::Refused)))
    }

    /// The transition sends the answer: it may say which part is refused, and why (partial refusal).
    pub fn answers(&self) -> bool {
        self.effects.iter().any(|e| {
            matches!(
                e,
                Effect::SendNotice(
                    NoticeKind::AnswerReady
                        | NoticeKind::AnswerDispatched
                        | NoticeKind::ActionCompleted
                )
            )
        })
    }

    /// What an officer types in besides a reason (dispatch tracking number and date, delivery date).
    pub fn inputs(&self) -> Vec<&'static str> {
        self.effects
            .iter()
            .flat_map(|e| e.inputs().iter().copied())
            .collect()
    }
}

/// The fee a procedure charges, in integer yen, for some request types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeRule {
    pub amount_yen: i64,
    /// "service": charged per service (サービス) the request covers; "request": once.
    pub per: String,
    pub request_types: Vec<RightCode>,
    /// Days the requester has to pay, from the day the invoice is issued.
    pub due_days: u32,
    /// How to pay, in the procedure's words (for the procedure page).
    pub payment: Option<Label>,
    /// The consumption tax the fee carries (a qualified invoice states it).
    pub tax: Option<FeeTax>,
}

pub use super::tax::FeeTax;

impl FeeRule {
    /// The fee, in integer yen, for a request covering `services` services; `None` if it overflows.
    pub fn amount_for(&self, services: usize) -> Option<i64> {
        match self.per.as_str() {
            "service" => i64::try_from(services.max(1))
                .ok()?
                .checked_mul(self.amount_yen),
            _ => Some(self.amount_yen),
        }
    }
}

/// A checked workflow definition. Only `parse` builds one, so every instance is internally consistent.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowDefinition {
    pub id: String,
    pub version: i64,
    pub name: Label,
    /// The law its places share (`seeds/regimes/<id>.toml`).
    pub regime: String,
    /// That law as the definition was read against it: the version published with it, so a later
    /// version of the law's file does not change the rules a request filed under it runs by.
    pub law: Regime,
    /// The places it serves, by their current codes (aliases resolved when it was read).
    pub jurisdictions: Vec<PlaceCode>,
    pub request_types: Vec<RightCode>,
    pub channels: Vec<Channel>,
    /// Deadlines are counted in this zone's calendar days.
    pub timezone: chrono_tz::Tz,
    pub initial_state: String,
    pub intake_notice: Option<NoticeKind>,
    pub fee: Option<FeeRule>,
    /// Named in refusals: where the requester may complain.
    pub complaint_authority: Option<Label>,
    /// Said in every answer, refusal and receipt: exercising a right costs the requester nothing in
    /// service, price or quality (CCPA §1798.125).
    pub non_discrimination: Option<Label>,
    /// Requests filed online wait for the requester to confirm their email address (a signed link);
    /// unconfirmed ones expire.
    pub confirm_email: bool,
    /// Answers and refusals go out only once a second officer approved them at the request's current
    /// version (four eyes); the one who approves cannot be the one who sends.
    pub four_eyes: bool,
    /// When an agent files, the person verifies their identity directly with the business, never through
    /// the agent (CCPA Regs. §7063(a)(1)): only a check the officer made with the person counts.
    pub person_verifies_directly: bool,
    /// Data points an officer must match per request type (and where a signed declaration is needed).
    pub verification: Option<super::identity::VerificationRule>,
    /// What an access answer must tell besides the data (GDPR Art. 15(1), CCPA §1798.110, PIPEDA 4.9,
    /// APPI Art. 32): packed with the data as `processing-information.json`.
    pub disclosure: Option<DisclosureInfo>,
    /// For procedures taking letters: which mail is accepted and where it goes.
    pub postal: Option<PostalRule>,
    /// The desk that answers: on the procedure page, and the sender of every letter.
    pub desk: Option<Desk>,
    /// Identity documents to enclose, per kind of requester.
    pub documents: Option<DocumentRules>,
    pub states: Vec<StateDef>,
    pub clocks: Vec<ClockDef>,
    pub transitions: Vec<TransitionDef>,
}

/// The privacy desk a procedure names (`[desk]`): who answers, where letters go, how to reach it and
/// when. Every part is optional; a procedure says only what its notice publishes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Desk {
    pub name: Option<Label>,
    /// The postal address, as printed on forms and letters (several lines).
    pub address: Option<Label>,
    pub phone: Option<String>,
    pub hours: Option<Label>,
    pub email: Option<String>,
    /// The page where the desk takes questions.
    pub web: Option<String>,
}

impl Desk {
    /// The sender block of a letter in `lang`: the address (or else the name), then how to reach the
    /// desk and when.
    pub fn sender_lines(&self, lang: Language) -> Vec<String> {
        let mut lines: Vec<String> = match (&self.address, &self.name) {
            (Some(a), _) => a.get(lang).lines().map(str::to_owned).collect(),
            (None, Some(n)) => vec![n.get(lang).to_owned()],
            (None, None) => Vec::new(),
        };
        lines.extend(self.contact_lines(lang));
        lines
    }

    /// How to reach the desk with a question, and when: telephone, e-mail, the inquiry page, hours.
    pub fn contact_lines(&self, lang: Language) -> Vec<String> {
        let mut lines = Vec::new();
        lines.extend(self.phone.as_ref().map(|p| format!("TEL {p}")));
        lines.extend(self.email.clone());
        lines.extend(self.web.clone());
        lines.extend(self.hours.as_ref().map(|h| h.get(lang).to_owned()));
        lines
    }

    /// Nothing said: the section is there but empty.
    pub fn is_empty(&self) -> bool {
        *self == Desk::default()
    }
}

/// The processing information an access answer carries, in the procedure's words.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureInfo {
    /// Who is responsible for the data (the controller, or the business).
    pub controller: Label,
    pub purposes: Label,
    pub categories: Label,
    pub recipients: Label,
    pub retention: Label,
    pub sources: Label,
    pub rights: Label,
    /// Transfers abroad and their safeguards, where the law asks.
    #[serde(default)]
    pub transfers: Option<Label>,
}

/// How a procedure takes letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalRule {
    pub accepted_mail_classes: Vec<MailClass>,
    /// The desk's postal address, as printed on the forms.
    pub desk: Label,
    /// Who handles shareholder data instead (名義書換代理人), for the referral letter.
    pub transfer_agent: Option<Label>,
    /// An agent's or legal agent's case: letters go to the agent at the agent's address, naming the
    /// person they act for; else to the person, naming the agent.
    pub letters_to_agent: bool,
}

/// Why the engine refused an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the request is in state `{state}`, which its workflow does not define")]
    UnknownState { state: String },
    #[error("event `{event}` is not allowed in state `{state}`")]
    NotAllowedHere { event: String, state: String },
    #[error("role `{role}` may not fire event `{event}`")]
    RoleNotPermitted { event: String, role: Role },
    #[error("the requester may not fire event `{event}`")]
    RequesterNotPermitted { event: String },
    #[error("{reason}")]
    GuardFailed { guard: Guard, reason: String },
    #[error(transparent)]
    Deadline(#[from] DeadlineError),
}

/// What the engine knows about a request when it decides.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub state: &'a str,
    pub request_type: &'a RightCode,
    /// The task each data system gets for this right, as its regime says (`RightDef::task`).
    pub task: Option<super::systems::TaskKind>,
    pub facts: &'a Facts,
    pub clocks: &'a Clocks,
    /// Today in the procedure's time zone.
    pub today: NaiveDate,
    pub calendars: &'a Calendars,
}

/// An event as an actor fires it.
#[derive(Debug, Clone, Copy)]
pub struct EventInput<'a> {
    pub event: &'a str,
    pub by: Party,
    pub data: &'a serde_json::Map<String, serde_json::Value>,
}

/// Who fires an event: a staff member in a role, or the requester through their own act (downloading the
/// reply), on transitions the definition marks `requester = true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Staff(Role),
    Requester,
    /// kaiji itself, on a timer (expiring unconfirmed requests), on transitions marked `system = true`.
    System,
}

impl From<Role> for Party {
    fn from(r: Role) -> Self {
        Party::Staff(r)
    }
}

/// The engine's answer to an allowed event: where the request goes and what else must happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub event: String,
    pub from: String,
    pub to: String,
    pub effects: Vec<Effect>,
}

impl Transition {
    /// Whether it decides the request: sends an answer, or refuses (what four eyes must approve).
    pub fn decides(&self) -> bool {
        self.notices().any(NoticeKind::decides)
    }

    pub fn notices(&self) -> impl Iterator<Item = NoticeKind> + '_ {
        self.effects.iter().filter_map(|e| match e {
            Effect::SendNotice(n) => Some(*n),
            _ => None,
        })
    }
}

impl WorkflowDefinition {
    pub fn state(&self, id: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.id == id)
    }

    /// How a requester appeals a decision that left the request in `state`: the label of their own
    /// action from there that keeps the request open (an appeal, not a withdrawal), if there is one.
    pub fn appeal_from(&self, state: &str) -> Option<&Label> {
        self.transitions
            .iter()
            .filter(|t| t.requester && t.from.iter().any(|f| f == state))
            .filter(|t| {
                t.to.as_deref()
                    .and_then(|to| self.state(to))
                    .is_some_and(|s| !s.terminal)
            })
            .find_map(|t| t.requester_action.as_ref())
    }

    pub fn clock(&self, id: &str) -> Option<&ClockDef> {
        self.clocks.iter().find(|k| k.id == id)
    }

    /// Whether it takes this right through this channel from this place (its current code).
    pub fn serves(&self, request_type: &RightCode, channel: Channel, place: &PlaceCode) -> bool {
        self.request_types.contains(request_type)
            && self.channels.contains(&channel)
            && self.jurisdictions.contains(place)
    }

    pub fn fee_applies(&self, request_type: &RightCode) -> bool {
        self.fee
            .as_ref()
            .is_some_and(|f| f.request_types.contains(request_type))
    }

    /// The clocks that run from the day of receipt.
    pub fn clocks_at_intake(&self, received_on: NaiveDate) -> Clocks {
        self.clocks
            .iter()
            .filter(|k| k.start == ClockStart::Receipt)
            .map(|k| (k.id.clone(), ClockState::start(received_on)))
            .collect()
    }
}

/// Two workflows that would both take the same kind of request: routing must never depend on file order.
pub fn overlap<'a>(
    defs: &[&'a WorkflowDefinition],
) -> Option<(&'a str, &'a str, RightCode, Channel, PlaceCode)> {
    for (i, a) in defs.iter().enumerate() {
        for b in &defs[i + 1..] {
            if a.id == b.id {
                continue;
            }
            for t in &a.request_types {
                for &c in &a.channels {
                    for j in &a.jurisdictions {
                        if b.serves(t, c, j) {
                            return Some((&a.id, &b.id, t.clone(), c, j.clone()));
                        }
                    }
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
