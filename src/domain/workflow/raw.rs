//! A definition as written in TOML, before it is checked: spans kept, so each refusal names its line.

use super::*;
pub(super) use crate::domain::law::deadlines::RawExtension;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefinition {
    pub(super) id: Spanned<String>,
    pub(super) version: Spanned<i64>,
    pub(super) name: Label,
    /// Codes (or aliases) of `seeds/places`; `jurisdictions` in definitions written before places were data.
    #[serde(alias = "jurisdictions")]
    pub(super) places: Vec<Spanned<String>>,
    /// Codes of rights the places' regime grants; `request_types` in older definitions.
    #[serde(alias = "request_types")]
    pub(super) rights: Vec<Spanned<String>>,
    pub(super) channels: Vec<Spanned<String>>,
    #[serde(default = "default_timezone")]
    pub(super) timezone: Spanned<String>,
    pub(super) initial_state: Spanned<String>,
    pub(super) intake_notice: Option<Spanned<String>>,
    pub(super) fee: Option<RawFee>,
    pub(super) complaint_authority: Option<Label>,
    pub(super) non_discrimination: Option<Label>,
    #[serde(default)]
    pub(super) confirm_email: bool,
    #[serde(default)]
    pub(super) four_eyes: bool,
    #[serde(default)]
    pub(super) person_verifies_directly: bool,
    pub(super) verification: Option<super::super::identity::VerificationRule>,
    pub(super) disclosure: Option<DisclosureInfo>,
    pub(super) postal: Option<RawPostal>,
    pub(super) desk: Option<Desk>,
    pub(super) documents: Option<RawDocuments>,
    pub(super) states: Vec<RawState>,
    #[serde(default)]
    pub(super) clocks: Vec<RawClock>,
    pub(super) transitions: Vec<RawTransition>,
}

fn default_timezone() -> Spanned<String> {
    Spanned::new(0..0, "Asia/Tokyo".to_owned())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFee {
    pub(super) amount_yen: Spanned<i64>,
    pub(super) per: Spanned<String>,
    pub(super) request_types: Vec<Spanned<String>>,
    #[serde(default = "default_due_days")]
    pub(super) due_days: Spanned<u32>,
    pub(super) payment: Option<Label>,
    /// Whose consumption tax the fee carries, and whether `amount_yen` includes it.
    pub(super) tax: Option<RawFeeTax>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeeTax {
    pub(super) place: Spanned<String>,
    pub(super) included: bool,
}

fn default_due_days() -> Spanned<u32> {
    Spanned::new(0..0, 14)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPostal {
    pub(super) accepted_mail_classes: Vec<Spanned<String>>,
    /// Where letters go; definitions written before `[desk]` said it here, newer ones in `[desk] address`.
    pub(super) desk: Option<Label>,
    pub(super) transfer_agent: Option<Label>,
    /// An agent's case: letters go to the agent (else to the person), naming both.
    #[serde(default)]
    pub(super) letters_to_agent: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDocuments {
    pub(super) max_age_months: Spanned<u32>,
    pub(super) kinds: BTreeMap<String, Spanned<RawDocumentKind>>,
    pub(super) checklists: Spanned<BTreeMap<String, Vec<RawRequirement>>>,
    #[serde(default)]
    pub(super) never_send: Option<Label>,
}

/// A document kind: its name alone (definitions before the 2026 catalogue), or with the days it is
/// accepted and how to send it.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawDocumentKind {
    Full(RawDocumentKindFull),
    Named(Label),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDocumentKindFull {
    pub(super) name: Label,
    #[serde(default)]
    pub(super) accepted_from: Option<String>,
    #[serde(default)]
    pub(super) accepted_until: Option<String>,
    #[serde(default)]
    pub(super) how_to_send: Option<Label>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRequirement {
    pub(super) holder: Spanned<String>,
    pub(super) one_of: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) original: bool,
    #[serde(default)]
    pub(super) fresh: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawState {
    pub(super) id: Spanned<String>,
    pub(super) label: Label,
    #[serde(default)]
    pub(super) terminal: bool,
    #[serde(default)]
    pub(super) waits_on_requester: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClock {
    pub(super) id: Spanned<String>,
    pub(super) label: Label,
    pub(super) start: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) start_when: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) stop_when: Vec<Spanned<String>>,
    pub(super) duration: Spanned<RawPeriod>,
    pub(super) calendar: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) roll_forward: bool,
    pub(super) pauses_while_waiting: bool,
    #[serde(default)]
    pub(super) includes_start_day: bool,
    pub(super) extension: Option<RawExtension>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTransition {
    pub(super) event: Spanned<String>,
    pub(super) from: Vec<Spanned<String>>,
    pub(super) to: Option<Spanned<String>>,
    pub(super) roles: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) requester: bool,
    /// The button the requester presses on their tracking page to fire it (e.g. withdrawing).
    pub(super) requester_action: Option<Label>,
    #[serde(default)]
    pub(super) system: bool,
    #[serde(default)]
    pub(super) guards: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) effects: Vec<Spanned<String>>,
    pub(super) notice: Option<Spanned<String>>,
    pub(super) label: Label,
}
