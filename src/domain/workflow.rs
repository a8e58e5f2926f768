//! Workflows as data. A procedure's states, clocks and transitions are read from a TOML definition and
//! checked once; the engine then decides events: given a request's state, facts and clocks, an event, the
//! actor's role and the event's data, it returns the next state and the effects to carry out, or a typed
//! refusal. Guards and effects are names bound to the Rust code below, so a new procedure that reuses them
//! needs no recompilation.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::deadline::{
    Calendars, ClockRule, ClockState, DeadlineError, Extension, Period, RawPeriod,
};
use super::documents::{DocumentRules, Requirement};
use super::notice::NoticeKind;
use super::postal::{MailClass, RequesterKind};
use super::request::{Channel, Jurisdiction, Language, RequestType};
use super::staff::Role;

/// Text shown to people, in each language kaiji speaks.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub en: String,
    pub ja: String,
}

impl Label {
    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.en,
            Language::Ja => &self.ja,
        }
    }
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident, $err:literal { $($(#[$vm:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
        }

        impl FromStr for $name {
            type Err = &'static str;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or($err)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum!(
    /// What is known about a request, set by effects (and, later, by document checks and payments).
    Fact, "unknown_fact" {
        IdentityVerified => "identity_verified",
        FeePaid => "fee_paid",
        DocumentsComplete => "documents_complete",
        DocumentsFresh => "documents_fresh",
        /// The requester chose electronic disclosure (APPI Art. 33(1), since 2022).
        ElectronicDelivery => "electronic_delivery",
        /// Every data-system task of the request is closed (set by the application).
        TasksDone => "tasks_done",
        /// The requester opened the confirmation link sent to their email address.
        EmailConfirmed => "email_confirmed",
        /// An agent filed the request for someone else (set at intake).
        FiledByAgent => "filed_by_agent",
        /// The person an agent filed for confirmed the request directly.
        PersonConfirmed => "person_confirmed",
    }
);

named_enum!(
    /// A condition a transition needs.
    Guard, "unknown_guard" {
        IdentityVerified => "identity_verified",
        /// The fee is paid, or the request type carries none.
        FeePaid => "fee_paid",
        FeeRequired => "fee_required",
        NoFeeRequired => "no_fee_required",
        DocumentsComplete => "documents_complete",
        DocumentsFresh => "documents_fresh",
        /// The event's data carries a non-empty `reason`.
        ReasonGiven => "reason_given",
        /// Every deadline the transition extends may still be extended today.
        ExtensionAvailable => "extension_available",
        ElectronicDelivery => "electronic_delivery",
        PostalDelivery => "postal_delivery",
        /// Every data-system task is closed, or the request type creates none.
        TasksDone => "tasks_done",
        /// The requester confirmed their email address, or the procedure does not ask them to.
        EmailConfirmed => "email_confirmed",
        /// The email address is still unconfirmed (for expiring such requests).
        EmailUnconfirmed => "email_unconfirmed",
        /// The person confirmed an agent's request directly, or no agent filed it.
        PersonConfirmed => "person_confirmed",
        /// Identity is not verified yet: no further proof is asked of someone already verified by a
        /// stronger method (their own sign-in).
        IdentityUnverified => "identity_unverified",
    }
);

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
    ExtendDeadline(String),
    SetFact(&'static str),
    ClearFact(&'static str),
    SendNotice(&'static str),
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
            Effect::SetFact(f.as_str())
        } else {
            Effect::ClearFact(f.as_str())
        }
    }
}

/// The names effects are written with in a definition: `name:argument`.
pub const EFFECT_NAMES: [&str; 14] = [
    "start_clock",
    "stop_clock",
    "pause_clock",
    "resume_clock",
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
    /// kaiji fires it on a timer (e.g. expiring a request whose email was never confirmed).
    pub system: bool,
    pub guards: Vec<Guard>,
    pub effects: Vec<Effect>,
    pub label: Label,
}

impl TransitionDef {
    pub fn needs_reason(&self) -> bool {
        self.guards.contains(&Guard::ReasonGiven)
    }

    /// The transition sends the answer: it may say which part is refused, and why (partial refusal).
    pub fn answers(&self) -> bool {
        self.effects.iter().any(|e| {
            matches!(
                e,
                Effect::SendNotice("answer_ready" | "answer_dispatched" | "action_completed")
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
    pub request_types: Vec<RequestType>,
    /// Days the requester has to pay, from the day the invoice is issued.
    pub due_days: u32,
}

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
    pub jurisdictions: Vec<Jurisdiction>,
    pub request_types: Vec<RequestType>,
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
    /// Data points an officer must match per request type (and where a signed declaration is needed).
    pub verification: Option<super::identity::VerificationRule>,
    /// What an access answer must tell besides the data (GDPR Art. 15(1), CCPA §1798.110, PIPEDA 4.9,
    /// APPI Art. 32): packed with the data as `processing-information.json`.
    pub disclosure: Option<DisclosureInfo>,
    /// For procedures taking letters: which mail is accepted and where it goes.
    pub postal: Option<PostalRule>,
    /// Identity documents to enclose, per kind of requester.
    pub documents: Option<DocumentRules>,
    pub states: Vec<StateDef>,
    pub clocks: Vec<ClockDef>,
    pub transitions: Vec<TransitionDef>,
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
}

/// Why a definition was refused: the line in the file (when known) and a plain reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub line: Option<usize>,
    pub reason: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for DefinitionError {}

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
    pub request_type: RequestType,
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
    pub fn notices(&self) -> impl Iterator<Item = NoticeKind> + '_ {
        self.effects.iter().filter_map(|e| match e {
            Effect::SendNotice(n) => n.parse().ok(),
            _ => None,
        })
    }
}

// ---- reading definitions -------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    id: Spanned<String>,
    version: Spanned<i64>,
    name: Label,
    jurisdictions: Vec<Spanned<String>>,
    request_types: Vec<Spanned<String>>,
    channels: Vec<Spanned<String>>,
    #[serde(default = "default_timezone")]
    timezone: Spanned<String>,
    initial_state: Spanned<String>,
    intake_notice: Option<Spanned<String>>,
    fee: Option<RawFee>,
    complaint_authority: Option<Label>,
    non_discrimination: Option<Label>,
    #[serde(default)]
    confirm_email: bool,
    verification: Option<super::identity::VerificationRule>,
    disclosure: Option<DisclosureInfo>,
    postal: Option<RawPostal>,
    documents: Option<RawDocuments>,
    states: Vec<RawState>,
    #[serde(default)]
    clocks: Vec<RawClock>,
    transitions: Vec<RawTransition>,
}

fn default_timezone() -> Spanned<String> {
    Spanned::new(0..0, "Asia/Tokyo".to_owned())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFee {
    amount_yen: Spanned<i64>,
    per: Spanned<String>,
    request_types: Vec<Spanned<String>>,
    #[serde(default = "default_due_days")]
    due_days: Spanned<u32>,
}

fn default_due_days() -> Spanned<u32> {
    Spanned::new(0..0, 14)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPostal {
    accepted_mail_classes: Vec<Spanned<String>>,
    desk: Label,
    transfer_agent: Option<Label>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDocuments {
    max_age_months: Spanned<u32>,
    kinds: BTreeMap<String, Label>,
    checklists: Spanned<BTreeMap<String, Vec<RawRequirement>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    holder: Spanned<String>,
    one_of: Vec<Spanned<String>>,
    #[serde(default)]
    original: bool,
    #[serde(default)]
    fresh: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    id: Spanned<String>,
    label: Label,
    #[serde(default)]
    terminal: bool,
    #[serde(default)]
    waits_on_requester: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClock {
    id: Spanned<String>,
    label: Label,
    start: Option<Spanned<String>>,
    #[serde(default)]
    start_when: Vec<Spanned<String>>,
    #[serde(default)]
    stop_when: Vec<Spanned<String>>,
    duration: Spanned<RawPeriod>,
    calendar: Option<Spanned<String>>,
    #[serde(default)]
    roll_forward: bool,
    pauses_while_waiting: bool,
    #[serde(default)]
    includes_start_day: bool,
    extension: Option<RawExtension>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtension {
    duration: Spanned<RawPeriod>,
    times: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    event: Spanned<String>,
    from: Vec<Spanned<String>>,
    to: Option<Spanned<String>>,
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    requester: bool,
    #[serde(default)]
    system: bool,
    #[serde(default)]
    guards: Vec<Spanned<String>>,
    #[serde(default)]
    effects: Vec<Spanned<String>>,
    notice: Option<Spanned<String>>,
    label: Label,
}

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

struct Checker<'s> {
    src: &'s str,
}

impl Checker<'_> {
    fn err(&self, span: Range<usize>, reason: impl Into<String>) -> DefinitionError {
        DefinitionError {
            line: (span.end > 0).then(|| line_of(self.src, span.start)),
            reason: reason.into(),
        }
    }

    fn parse<T: FromStr>(&self, s: &Spanned<String>, what: &str) -> Result<T, DefinitionError> {
        s.get_ref()
            .parse()
            .map_err(|_| self.err(s.span(), format!("unknown {what} `{}`", s.get_ref())))
    }
}

impl WorkflowDefinition {
    /// Parses and checks a definition against the calendars that exist. Refuses, with the line, anything
    /// the engine could not run safely.
    pub fn parse(src: &str, calendars: &BTreeSet<String>) -> Result<Self, DefinitionError> {
        let raw: RawDefinition = toml::from_str(src).map_err(|e| DefinitionError {
            line: e.span().map(|s| line_of(src, s.start)),
            reason: e.message().to_owned(),
        })?;
        let c = Checker { src };

        let id = raw.id.get_ref().clone();
        if id.is_empty()
            || !id
                .chars()
                .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_')
        {
            return Err(c.err(
                raw.id.span(),
                format!("workflow id `{id}` must be lower-case letters, digits, `-` or `_`"),
            ));
        }
        if *raw.version.get_ref() < 1 {
            return Err(c.err(raw.version.span(), "version must be 1 or more"));
        }
        let jurisdictions = raw
            .jurisdictions
            .iter()
            .map(|j| c.parse::<Jurisdiction>(j, "jurisdiction"))
            .collect::<Result<Vec<_>, _>>()?;
        let request_types = raw
            .request_types
            .iter()
            .map(|t| c.parse::<RequestType>(t, "request type"))
            .collect::<Result<Vec<_>, _>>()?;
        let channels = raw
            .channels
            .iter()
            .map(|ch| c.parse::<Channel>(ch, "channel"))
            .collect::<Result<Vec<_>, _>>()?;
        let timezone: chrono_tz::Tz = c.parse(&raw.timezone, "time zone")?;
        let intake_notice = raw
            .intake_notice
            .as_ref()
            .map(|n| c.parse::<NoticeKind>(n, "notice"))
            .transpose()?;
        let fee = match &raw.fee {
            None => None,
            Some(f) => {
                if *f.amount_yen.get_ref() <= 0 {
                    return Err(c.err(
                        f.amount_yen.span(),
                        "the fee must be a positive number of yen",
                    ));
                }
                if !["service", "request"].contains(&f.per.get_ref().as_str()) {
                    return Err(c.err(f.per.span(), "`per` must be `service` or `request`"));
                }
                let mut types = Vec::new();
                for t in &f.request_types {
                    let rt: RequestType = c.parse(t, "request type")?;
                    if !request_types.contains(&rt) {
                        return Err(c.err(
                            t.span(),
                            format!("the fee names `{rt}`, which this workflow does not serve"),
                        ));
                    }
                    types.push(rt);
                }
                if !(1..=90).contains(f.due_days.get_ref()) {
                    return Err(c.err(f.due_days.span(), "due_days must be between 1 and 90"));
                }
                Some(FeeRule {
                    amount_yen: *f.amount_yen.get_ref(),
                    per: f.per.get_ref().clone(),
                    request_types: types,
                    due_days: *f.due_days.get_ref(),
                })
            }
        };

        let postal = match &raw.postal {
            None => None,
            Some(p) => Some(PostalRule {
                accepted_mail_classes: p
                    .accepted_mail_classes
                    .iter()
                    .map(|m| c.parse::<MailClass>(m, "mail class"))
                    .collect::<Result<_, _>>()?,
                desk: p.desk.clone(),
                transfer_agent: p.transfer_agent.clone(),
            }),
        };
        let documents = match &raw.documents {
            None => None,
            Some(d) => {
                if !(1..=24).contains(d.max_age_months.get_ref()) {
                    return Err(c.err(
                        d.max_age_months.span(),
                        "max_age_months must be between 1 and 24",
                    ));
                }
                let mut checklists = BTreeMap::new();
                for (who, lines) in d.checklists.get_ref() {
                    let kind: RequesterKind = who.parse().map_err(|_| {
                        c.err(
                            d.checklists.span(),
                            format!("unknown requester kind `{who}` (self, agent, legal_agent)"),
                        )
                    })?;
                    let mut reqs = Vec::new();
                    for l in lines {
                        for k in &l.one_of {
                            if !d.kinds.contains_key(k.get_ref()) {
                                return Err(c.err(
                                    k.span(),
                                    format!("unknown document kind `{}`", k.get_ref()),
                                ));
                            }
                        }
                        if l.one_of.is_empty() {
                            return Err(c.err(
                                l.holder.span(),
                                "a checklist line needs at least one document kind",
                            ));
                        }
                        reqs.push(Requirement {
                            holder: c.parse(&l.holder, "holder")?,
                            one_of: l.one_of.iter().map(|k| k.get_ref().clone()).collect(),
                            original: l.original,
                            fresh: l.fresh,
                        });
                    }
                    checklists.insert(kind, reqs);
                }
                Some(DocumentRules {
                    max_age_months: *d.max_age_months.get_ref(),
                    kinds: d.kinds.clone(),
                    checklists,
                })
            }
        };

        // States.
        let mut states: Vec<StateDef> = Vec::new();
        let mut state_spans: HashMap<String, Range<usize>> = HashMap::new();
        for s in &raw.states {
            let sid = s.id.get_ref().clone();
            if state_spans.insert(sid.clone(), s.id.span()).is_some() {
                return Err(c.err(s.id.span(), format!("state `{sid}` is defined twice")));
            }
            if s.terminal && s.waits_on_requester {
                return Err(c.err(
                    s.id.span(),
                    format!("terminal state `{sid}` cannot wait on the requester"),
                ));
            }
            states.push(StateDef {
                id: sid,
                label: s.label.clone(),
                terminal: s.terminal,
                waits_on_requester: s.waits_on_requester,
            });
        }
        let known_state = |s: &Spanned<String>, what: &str| -> Result<String, DefinitionError> {
            if state_spans.contains_key(s.get_ref()) {
                Ok(s.get_ref().clone())
            } else {
                Err(c.err(
                    s.span(),
                    format!("{what} undefined state `{}`", s.get_ref()),
                ))
            }
        };
        known_state(&raw.initial_state, "initial_state names")?;
        let terminal: HashSet<&str> = states
            .iter()
            .filter(|s| s.terminal)
            .map(|s| s.id.as_str())
            .collect();

        // Clocks.
        let mut clocks: Vec<ClockDef> = Vec::new();
        for k in &raw.clocks {
            let kid = k.id.get_ref().clone();
            if clocks.iter().any(|x| x.id == kid) {
                return Err(c.err(k.id.span(), format!("clock `{kid}` is defined twice")));
            }
            let period = k
                .duration
                .get_ref()
                .period()
                .map_err(|e| c.err(k.duration.span(), e))?;
            let start = match (&k.start, k.start_when.is_empty()) {
                (Some(s), true) if s.get_ref() == "receipt" => ClockStart::Receipt,
                (Some(s), true) => {
                    return Err(c.err(
                        s.span(),
                        format!("clock `{kid}`: `start` can only be \"receipt\""),
                    ));
                }
                (None, false) => ClockStart::Entering(
                    k.start_when
                        .iter()
                        .map(|s| known_state(s, &format!("clock `{kid}` starts in")))
                        .collect::<Result<_, _>>()?,
                ),
                (None, true) => {
                    return Err(c.err(
                        k.id.span(),
                        format!("clock `{kid}` needs `start = \"receipt\"` or `start_when`"),
                    ));
                }
                (Some(s), false) => {
                    return Err(c.err(
                        s.span(),
                        format!("clock `{kid}` has both `start` and `start_when`"),
                    ));
                }
            };
            let stop_when = k
                .stop_when
                .iter()
                .map(|s| known_state(s, &format!("clock `{kid}` stops in")))
                .collect::<Result<Vec<_>, _>>()?;
            let calendar = match &k.calendar {
                Some(cal) if !calendars.contains(cal.get_ref()) => {
                    return Err(c.err(
                        cal.span(),
                        format!("clock `{kid}` uses unknown calendar `{}`", cal.get_ref()),
                    ));
                }
                Some(cal) => Some(cal.get_ref().clone()),
                None => None,
            };
            let extension = match &k.extension {
                None => None,
                Some(e) => Some(Extension {
                    period: e
                        .duration
                        .get_ref()
                        .period()
                        .map_err(|m| c.err(e.duration.span(), m))?,
                    times: e.times,
                }),
            };
            let needs_calendar = k.roll_forward
                || matches!(period, super::deadline::Period::BusinessDays(_))
                || matches!(
                    extension,
                    Some(Extension {
                        period: super::deadline::Period::BusinessDays(_),
                        ..
                    })
                );
            if needs_calendar && calendar.is_none() {
                return Err(c.err(
                    k.id.span(),
                    format!("clock `{kid}` counts business days or rolls forward, so it needs a `calendar`"),
                ));
            }
            for (p, span) in [
                (Some(period), k.duration.span()),
                (extension.map(|e| e.period), k.id.span()),
            ] {
                let too_long = match p {
                    Some(Period::Days(n)) => n > 3660,
                    Some(Period::Months(n)) => n > 120,
                    Some(Period::BusinessDays(n)) => n > 2600,
                    None => false,
                };
                if too_long {
                    return Err(c.err(
                        span,
                        format!(
                            "clock `{kid}`: a period longer than ten years is not a legal deadline"
                        ),
                    ));
                }
            }
            if extension.is_some_and(|e| e.times > 12) {
                return Err(c.err(k.id.span(), format!("clock `{kid}`: at most 12 extensions")));
            }
            if k.includes_start_day && !matches!(period, Period::Days(_)) {
                return Err(c.err(
                    k.id.span(),
                    format!("clock `{kid}`: `includes_start_day` applies to calendar days only"),
                ));
            }
            clocks.push(ClockDef {
                id: kid,
                label: k.label.clone(),
                start,
                stop_when,
                rule: ClockRule {
                    period,
                    calendar,
                    roll_forward: k.roll_forward,
                    pauses_while_waiting: k.pauses_while_waiting,
                    includes_start_day: k.includes_start_day,
                    extension,
                },
            });
        }
        let clock = |arg: &str, span: Range<usize>| -> Result<&ClockDef, DefinitionError> {
            clocks
                .iter()
                .find(|k| k.id == arg)
                .ok_or_else(|| c.err(span, format!("effect names undefined clock `{arg}`")))
        };

        // Transitions.
        let mut transitions = Vec::new();
        let mut seen_pairs: HashSet<(String, String)> = HashSet::new();
        for t in &raw.transitions {
            let event = t.event.get_ref().clone();
            if t.from.is_empty() {
                return Err(c.err(
                    t.event.span(),
                    format!("transition `{event}` has no `from` state"),
                ));
            }
            let mut from = Vec::new();
            for f in &t.from {
                let fid = known_state(f, &format!("transition `{event}` starts from"))?;
                if terminal.contains(fid.as_str()) {
                    return Err(c.err(
                        f.span(),
                        format!("transition `{event}` leaves terminal state `{fid}`"),
                    ));
                }
                if !seen_pairs.insert((event.clone(), fid.clone())) {
                    return Err(c.err(
                        t.event.span(),
                        format!("event `{event}` is defined twice for state `{fid}`"),
                    ));
                }
                from.push(fid);
            }
            let to =
                t.to.as_ref()
                    .map(|to| known_state(to, &format!("transition `{event}` leads to")))
                    .transpose()?;
            if t.roles.is_empty() && !t.system {
                return Err(c.err(
                    t.event.span(),
                    format!("transition `{event}` names no role that may fire it"),
                ));
            }
            let roles = t
                .roles
                .iter()
                .map(|r| c.parse::<Role>(r, "role"))
                .collect::<Result<Vec<_>, _>>()?;
            let guards = t
                .guards
                .iter()
                .map(|g| c.parse::<Guard>(g, "guard"))
                .collect::<Result<Vec<_>, _>>()?;
            for (g, span) in guards.iter().zip(t.guards.iter().map(|g| g.span())) {
                if matches!(g, Guard::DocumentsComplete | Guard::DocumentsFresh)
                    && documents.is_none()
                {
                    return Err(c.err(span, format!("guard `{g}` needs a [documents] section")));
                }
            }
            let mut effects = Vec::new();
            for e in &t.effects {
                let (name, arg) = e.get_ref().split_once(':').unwrap_or((e.get_ref(), ""));
                let effect = match name {
                    "start_clock" => Effect::StartClock(clock(arg, e.span())?.id.clone()),
                    "stop_clock" => Effect::StopClock(clock(arg, e.span())?.id.clone()),
                    "pause_clock" => Effect::PauseClock(clock(arg, e.span())?.id.clone()),
                    "resume_clock" => Effect::ResumeClock(clock(arg, e.span())?.id.clone()),
                    "extend_deadline" => {
                        let k = clock(arg, e.span())?;
                        if k.rule.extension.is_none() {
                            return Err(
                                c.err(e.span(), format!("clock `{arg}` has no extension rule"))
                            );
                        }
                        if !guards.contains(&Guard::ReasonGiven) {
                            return Err(c.err(e.span(), format!("transition `{event}` extends a deadline, so it needs the `reason_given` guard")));
                        }
                        Effect::ExtendDeadline(k.id.clone())
                    }
                    "set_fact" | "clear_fact" => {
                        let f: Fact = arg
                            .parse()
                            .map_err(|_| c.err(e.span(), format!("unknown fact `{arg}`")))?;
                        Effect::fact(f, name == "set_fact")
                    }
                    "issue_invoice" => {
                        if fee.is_none() {
                            return Err(
                                c.err(e.span(), "effect `issue_invoice` needs a [fee] section")
                            );
                        }
                        Effect::IssueInvoice
                    }
                    "record_dispatch" => Effect::RecordDispatch,
                    "record_delivery" => Effect::RecordDelivery,
                    "release_download" => Effect::ReleaseDownload,
                    "create_tasks" => Effect::CreateTasks,
                    "release_package" => Effect::ReleasePackage,
                    "send_notice" => Effect::SendNotice(
                        arg.parse::<NoticeKind>()
                            .map_err(|_| c.err(e.span(), format!("unknown notice `{arg}`")))?
                            .as_str(),
                    ),
                    _ => {
                        return Err(c.err(
                            e.span(),
                            format!(
                                "unknown effect `{name}` (known: {})",
                                EFFECT_NAMES.join(", ")
                            ),
                        ));
                    }
                };
                effects.push(effect);
            }
            if let Some(n) = &t.notice {
                effects.push(Effect::SendNotice(
                    c.parse::<NoticeKind>(n, "notice")?.as_str(),
                ));
            }
            let extends = effects
                .iter()
                .any(|e| matches!(e, Effect::ExtendDeadline(_)));
            if extends && !effects.iter().any(|e| matches!(e, Effect::SendNotice(_))) {
                return Err(c.err(
                    t.event.span(),
                    format!("transition `{event}` extends a deadline, so it must send a notice"),
                ));
            }
            transitions.push(TransitionDef {
                event,
                from,
                to,
                roles,
                requester: t.requester,
                system: t.system,
                guards,
                effects,
                label: t.label.clone(),
            });
        }

        if let Some(v) = &raw.verification {
            for t in v.points.keys().chain(v.declaration_for.iter()) {
                if t.parse::<RequestType>().is_err() {
                    return Err(c.err(
                        0..0,
                        format!("[verification] names unknown request type `{t}`"),
                    ));
                }
            }
        }
        let def = WorkflowDefinition {
            id,
            version: *raw.version.get_ref(),
            name: raw.name,
            jurisdictions,
            request_types,
            channels,
            timezone,
            initial_state: raw.initial_state.into_inner(),
            intake_notice,
            fee,
            complaint_authority: raw.complaint_authority,
            non_discrimination: raw.non_discrimination,
            confirm_email: raw.confirm_email,
            verification: raw.verification,
            disclosure: raw.disclosure,
            postal,
            documents,
            states,
            clocks,
            transitions,
        };

        // Every state reachable from the start; every non-terminal state has a way to another state.
        let reachable = def.reachable_states();
        for s in &def.states {
            if !reachable.contains(s.id.as_str()) {
                return Err(c.err(
                    state_spans[&s.id].clone(),
                    format!(
                        "state `{}` cannot be reached from `{}`",
                        s.id, def.initial_state
                    ),
                ));
            }
            let leaves = def
                .transitions
                .iter()
                .any(|t| t.from.contains(&s.id) && t.to.as_ref().is_some_and(|to| *to != s.id));
            if !s.terminal && !leaves {
                return Err(c.err(
                    state_spans[&s.id].clone(),
                    format!("state `{}` is not terminal but has no transition out", s.id),
                ));
            }
        }
        Ok(def)
    }

    fn reachable_states(&self) -> BTreeSet<&str> {
        let mut seen = BTreeSet::from([self.initial_state.as_str()]);
        let mut queue = VecDeque::from([self.initial_state.as_str()]);
        while let Some(s) = queue.pop_front() {
            for t in self
                .transitions
                .iter()
                .filter(|t| t.from.iter().any(|f| f == s))
            {
                if let Some(to) = &t.to
                    && seen.insert(to.as_str())
                {
                    queue.push_back(to.as_str());
                }
            }
        }
        seen
    }

    pub fn state(&self, id: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.id == id)
    }

    pub fn clock(&self, id: &str) -> Option<&ClockDef> {
        self.clocks.iter().find(|k| k.id == id)
    }

    pub fn serves(
        &self,
        request_type: RequestType,
        channel: Channel,
        jurisdiction: Jurisdiction,
    ) -> bool {
        self.request_types.contains(&request_type)
            && self.channels.contains(&channel)
            && self.jurisdictions.contains(&jurisdiction)
    }

    pub fn fee_applies(&self, request_type: RequestType) -> bool {
        self.fee
            .as_ref()
            .is_some_and(|f| f.request_types.contains(&request_type))
    }

    /// The clocks that run from the day of receipt.
    pub fn clocks_at_intake(&self, received_on: NaiveDate) -> Clocks {
        self.clocks
            .iter()
            .filter(|k| k.start == ClockStart::Receipt)
            .map(|k| (k.id.clone(), ClockState::start(received_on)))
            .collect()
    }

    fn check_guard(
        &self,
        g: Guard,
        t: &TransitionDef,
        s: &Subject<'_>,
        data: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Result<Result<(), String>, DeadlineError> {
        let fact = |f: Fact, why: &str| {
            if s.facts.contains(&f) {
                Ok(())
            } else {
                Err(why.to_owned())
            }
        };
        Ok(match g {
            Guard::IdentityVerified => fact(
                Fact::IdentityVerified,
                "the requester's identity has not been verified",
            ),
            Guard::FeePaid => {
                if self.fee_applies(s.request_type) {
                    fact(Fact::FeePaid, "the fee has not been paid")
                } else {
                    Ok(())
                }
            }
            Guard::FeeRequired => {
                if self.fee_applies(s.request_type) {
                    Ok(())
                } else {
                    Err("this request type carries no fee".into())
                }
            }
            Guard::NoFeeRequired => {
                if self.fee_applies(s.request_type) {
                    Err("this request type carries a fee: invoice it first".into())
                } else {
                    Ok(())
                }
            }
            Guard::DocumentsComplete => {
                fact(Fact::DocumentsComplete, "identity documents are missing")
            }
            Guard::DocumentsFresh => fact(
                Fact::DocumentsFresh,
                "an identity document is older than the procedure allows",
            ),
            Guard::ReasonGiven => match data {
                // Without data (listing what is offered), a reason can still be typed in.
                None => Ok(()),
                Some(d) => match d.get("reason").and_then(|r| r.as_str()) {
                    Some(r) if !r.trim().is_empty() => Ok(()),
                    _ => Err("a reason is required".into()),
                },
            },
            Guard::ExtensionAvailable => {
                for e in &t.effects {
                    if let Effect::ExtendDeadline(k) = e
                        && let Err(why) = self.can_extend(k, s)?
                    {
                        return Ok(Err(why.into()));
                    }
                }
                Ok(())
            }
            Guard::ElectronicDelivery => fact(
                Fact::ElectronicDelivery,
                "the requester did not choose electronic delivery",
            ),
            Guard::TasksDone => {
                if super::systems::TaskKind::for_request(s.request_type).is_some() {
                    fact(Fact::TasksDone, "a data-system task is still open")
                } else {
                    Ok(())
                }
            }
            Guard::EmailConfirmed => {
                if !self.confirm_email || s.facts.contains(&Fact::EmailConfirmed) {
                    Ok(())
                } else {
                    Err("the requester has not confirmed their email address yet".into())
                }
            }
            Guard::PersonConfirmed => {
                if s.facts.contains(&Fact::FiledByAgent)
                    && !s.facts.contains(&Fact::PersonConfirmed)
                {
                    Err("the person has not yet confirmed the agent's request".into())
                } else {
                    Ok(())
                }
            }
            Guard::IdentityUnverified => {
                if s.facts.contains(&Fact::IdentityVerified) {
                    Err("identity is already verified (the requester signed in to their account); no further proof is asked".into())
                } else {
                    Ok(())
                }
            }
            Guard::EmailUnconfirmed => {
                if s.facts.contains(&Fact::EmailConfirmed) {
                    Err("the email address is confirmed".into())
                } else {
                    Ok(())
                }
            }
            Guard::PostalDelivery => {
                if s.facts.contains(&Fact::ElectronicDelivery) {
                    Err("the requester chose electronic delivery".into())
                } else {
                    Ok(())
                }
            }
        })
    }

    fn can_extend(
        &self,
        clock_id: &str,
        s: &Subject<'_>,
    ) -> Result<Result<(), &'static str>, DeadlineError> {
        match (self.clock(clock_id), s.clocks.get(clock_id)) {
            (Some(def), Some(st)) => def.rule.can_extend(st, s.today, s.calendars),
            _ => Ok(Err("the deadline has not started")),
        }
    }

    /// A transition's guards, plus `extension_available` wherever it extends a deadline: the law's cap and
    /// window are checked whether or not the file says so.
    fn guards_of(t: &TransitionDef) -> Vec<Guard> {
        let mut guards = t.guards.clone();
        if t.effects
            .iter()
            .any(|e| matches!(e, Effect::ExtendDeadline(_)))
            && !guards.contains(&Guard::ExtensionAvailable)
        {
            guards.push(Guard::ExtensionAvailable);
        }
        guards
    }

    fn transition_for(&self, state: &str, event: &str) -> Option<&TransitionDef> {
        self.transitions
            .iter()
            .find(|t| t.event == event && t.from.iter().any(|f| f == state))
    }

    /// Decides an event: the next state and every effect, or why not.
    pub fn decide(
        &self,
        s: &Subject<'_>,
        input: &EventInput<'_>,
    ) -> Result<Transition, TransitionError> {
        let current = self
            .state(s.state)
            .ok_or_else(|| TransitionError::UnknownState {
                state: s.state.to_owned(),
            })?;
        let t = self
            .transition_for(&current.id, input.event)
            .ok_or_else(|| TransitionError::NotAllowedHere {
                event: input.event.to_owned(),
                state: s.state.to_owned(),
            })?;
        match input.by {
            Party::Staff(role) if !t.roles.contains(&role) => {
                return Err(TransitionError::RoleNotPermitted {
                    event: input.event.to_owned(),
                    role,
                });
            }
            Party::Requester if !t.requester => {
                return Err(TransitionError::RequesterNotPermitted {
                    event: input.event.to_owned(),
                });
            }
            Party::System if !t.system => {
                return Err(TransitionError::RequesterNotPermitted {
                    event: input.event.to_owned(),
                });
            }
            _ => {}
        }
        for g in Self::guards_of(t) {
            let outcome = match self.check_guard(g, t, s, Some(input.data)) {
                Ok(outcome) => outcome,
                // A deadline that cannot be counted (a calendar lacking the year) refuses this event with
                // the reason; it is not a server fault.
                Err(e) => Err(e.to_string()),
            };
            if let Err(reason) = outcome {
                return Err(TransitionError::GuardFailed { guard: g, reason });
            }
        }
        let to = t.to.clone().unwrap_or_else(|| current.id.clone());
        let mut effects = t.effects.clone();
        effects.extend(self.clock_effects(s, current, &to, &effects));
        Ok(Transition {
            event: t.event.clone(),
            from: current.id.clone(),
            to,
            effects,
        })
    }

    /// The clock changes that follow from moving between states: starts, pauses while waiting on the
    /// requester (where the law allows), resumptions, and stops.
    fn clock_effects(
        &self,
        s: &Subject<'_>,
        from: &StateDef,
        to: &str,
        explicit: &[Effect],
    ) -> Vec<Effect> {
        let Some(to_def) = self.state(to) else {
            return Vec::new();
        };
        if to_def.id == from.id {
            return Vec::new();
        }
        let mut out = Vec::new();
        for k in &self.clocks {
            let started = s.clocks.contains_key(&k.id)
                || explicit.contains(&Effect::StartClock(k.id.clone()));
            let stopped = s.clocks.get(&k.id).is_some_and(|c| c.is_stopped())
                || explicit.contains(&Effect::StopClock(k.id.clone()));
            if !started {
                if let ClockStart::Entering(states) = &k.start
                    && states.contains(&to_def.id)
                    && !to_def.terminal
                {
                    out.push(Effect::StartClock(k.id.clone()));
                }
                continue;
            }
            if stopped {
                continue;
            }
            if to_def.terminal || k.stop_when.contains(&to_def.id) {
                out.push(Effect::StopClock(k.id.clone()));
            } else if k.rule.pauses_while_waiting {
                if to_def.waits_on_requester && !from.waits_on_requester {
                    out.push(Effect::PauseClock(k.id.clone()));
                } else if from.waits_on_requester && !to_def.waits_on_requester {
                    out.push(Effect::ResumeClock(k.id.clone()));
                }
            }
        }
        out
    }

    /// Carries out a decided transition's effects on facts and clocks (the pure part of applying it).
    pub fn apply(&self, facts: &mut Facts, clocks: &mut Clocks, t: &Transition, today: NaiveDate) {
        for e in &t.effects {
            match e {
                Effect::StartClock(k) => {
                    clocks
                        .entry(k.clone())
                        .or_insert_with(|| ClockState::start(today));
                }
                Effect::StopClock(k) => {
                    if let Some(c) = clocks.get_mut(k) {
                        c.stop(today);
                    }
                }
                Effect::PauseClock(k) => {
                    if let Some(c) = clocks.get_mut(k) {
                        c.pause(today);
                    }
                }
                Effect::ResumeClock(k) => {
                    if let Some(c) = clocks.get_mut(k) {
                        c.resume(today);
                    }
                }
                Effect::ExtendDeadline(k) => {
                    if let Some(c) = clocks.get_mut(k) {
                        c.extensions += 1;
                    }
                }
                Effect::SetFact(f) => {
                    if let Ok(f) = f.parse() {
                        facts.insert(f);
                    }
                }
                Effect::ClearFact(f) => {
                    if let Ok(f) = f.parse::<Fact>() {
                        facts.remove(&f);
                    }
                }
                Effect::SendNotice(_)
                | Effect::IssueInvoice
                | Effect::RecordDispatch
                | Effect::RecordDelivery
                | Effect::ReleaseDownload
                | Effect::CreateTasks
                | Effect::ReleasePackage => {}
            }
        }
    }

    /// The events this role may fire now: right state, right role, and every guard that does not depend
    /// on the event's own data passes.
    pub fn allowed_events(&self, s: &Subject<'_>, role: Role) -> Vec<&TransitionDef> {
        self.transitions
            .iter()
            .filter(|t| t.from.iter().any(|f| f == s.state) && t.roles.contains(&role))
            .filter(|t| {
                Self::guards_of(t)
                    .into_iter()
                    .all(|g| matches!(self.check_guard(g, t, s, None), Ok(Ok(()))))
            })
            .collect()
    }

    /// The definition as a Graphviz DOT graph, with `current` highlighted.
    pub fn to_dot(&self, current: Option<&str>, lang: Language) -> String {
        let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let mut out = format!(
            "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box];\n",
            q(&self.id)
        );
        for s in &self.states {
            let mut attrs = vec![format!("label=\"{}\"", q(s.label.get(lang)))];
            if current == Some(s.id.as_str()) {
                attrs.push("style=filled".into());
                attrs.push("fillcolor=\"#8ec5ff\"".into());
            } else if s.terminal {
                attrs.push("style=filled".into());
                attrs.push("fillcolor=\"#e4e7eb\"".into());
            }
            out.push_str(&format!("  \"{}\" [{}];\n", q(&s.id), attrs.join(", ")));
        }
        for t in &self.transitions {
            for f in &t.from {
                let to = t.to.as_deref().unwrap_or(f);
                out.push_str(&format!(
                    "  \"{}\" -> \"{}\" [label=\"{}\"];\n",
                    q(f),
                    q(to),
                    q(&t.event)
                ));
            }
        }
        out.push_str("}\n");
        out
    }
}

/// Two workflows that would both take the same kind of request: routing must never depend on file order.
pub fn overlap<'a>(
    defs: &[&'a WorkflowDefinition],
) -> Option<(&'a str, &'a str, RequestType, Channel, Jurisdiction)> {
    for (i, a) in defs.iter().enumerate() {
        for b in &defs[i + 1..] {
            if a.id == b.id {
                continue;
            }
            for &t in &a.request_types {
                for &c in &a.channels {
                    for &j in &a.jurisdictions {
                        if b.serves(t, c, j) {
                            return Some((&a.id, &b.id, t, c, j));
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
