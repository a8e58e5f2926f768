//! Laws as data: the places requests come from (`seeds/places/`) and the regimes, the laws that grant
//! rights there (`seeds/regimes/`). The engine knows only the kinds of rule a right can carry (which task
//! answers it, what its answer packs, what it changes, which postal form asks for it); which rights exist,
//! what they are called and where they apply is read from the files, so a new law needs no Rust.

use std::collections::{BTreeMap, BTreeSet};

use super::deadline::Calendars;
use super::definition::{DefinitionError, Label};
use super::postal::FormKind;
use super::preference::{PreferenceKind, PreferenceRule};
use super::reply::ChangeAction;
use super::request::{Language, LawBook, PlaceCode, RightCode};
use super::systems::TaskKind;
use crate::domain::code::{apply, coded};

pub mod deadlines;
mod read;

pub use deadlines::LawDeadline;

/// What an answer to a right packs for the requester, besides closing the request.
#[apply(coded)]
pub enum AnswerKind {
    /// The exported data and the processing information (access, third-party records).
    Data,
    /// The exported data in a structured, machine-readable form (portability).
    Portable,
    /// What each system holds and for how long, from the registry, without the specific pieces (CCPA
    /// §1798.110 categories).
    Categories,
    /// The records of provision to and receipt from third parties that the officer confirmed are the
    /// person's, from the register (APPI Art. 33(5)).
    ProvisionRecords,
}

/// A right a regime grants, and the kinds of rule that carry it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RightDef {
    pub code: RightCode,
    /// What the requester ticks, in their words.
    pub label: Label,
    /// Where the law grants it (e.g. "Art. 15").
    pub article: Option<Label>,
    /// The task each data system gets (export or erase); none where the desk answers alone.
    pub task: Option<TaskKind>,
    pub answer: Option<AnswerKind>,
    /// What the answer records as changed (訂正等, 消去, 利用停止等), where the reply lists changes.
    pub change: Option<ChangeAction>,
    /// The printable postal form that asks for it, where the regime's procedure takes letters.
    pub form: Option<FormKind>,
    /// The requester may say from when the answer should cover, back to this day (CCPA §1798.130(a)(2)(B):
    /// beyond the 12 months before the request, to 1 January 2022); `None`: the law asks no period.
    pub period_earliest: Option<chrono::NaiveDate>,
    /// Whether the law lets a fee be charged for it; `None`: the file does not say.
    pub fee: Option<FeeByLaw>,
    /// How surely the law wants the requester identified before answering it.
    pub verification: Option<VerificationByLaw>,
    /// The choice honouring it records for the person (an opt-out of sale or sharing), which data
    /// systems then read (`POST /api/v1/preferences/lookup`).
    pub preference: Option<PreferenceRule>,
    /// Those a system disclosed to are told whatever its task did for the person (CCPA §7026(f)(2):
    /// the third parties it sold or shared to must also stop), not only of erasures, rectifications
    /// and restrictions.
    pub tells_recipients: bool,
    /// The words of the link the law wants on the business's pages ("Do Not Sell or Share My
    /// Personal Information", CCPA §7013, §7015), which opens the form at this right.
    pub public_link: Option<Label>,
}

/// What the law says about charging for a right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeByLaw {
    /// Free of charge (GDPR Art. 12(5), CCPA §1798.100(d), LGPD Art. 18 §5): a procedure may not charge.
    Free,
    /// A reasonable fee may be charged (APPI Art. 38, PIPA Art. 38(3)); the procedure sets it.
    Permitted,
}

/// The identity verification the law asks before a right is answered (CCPA Regs. §7062): how many
/// data points the requester gives must match the business's records, and whether they also sign a
/// declaration under penalty of perjury.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationByLaw {
    pub points: u32,
    #[serde(default)]
    pub declaration: bool,
}

impl RightDef {
    /// Corrections name the prior and the new value; other changes only the item.
    pub fn changes_values(&self) -> bool {
        self.change == Some(ChangeAction::Corrected)
    }
}

/// A law: the rights it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regime {
    pub id: String,
    pub version: i64,
    pub name: Label,
    /// Who may file: `self`, and where the law lets them, an `agent` or a `guardian`.
    pub requesters: Vec<String>,
    /// A guardian files for a minor under this age on the day of filing (the law's age of majority, or
    /// the age below which a child is represented); set wherever a guardian may file.
    pub minor_under: Option<u32>,
    pub rights: Vec<RightDef>,
    /// The grounds a refusal may rest on; where a right has some, a refusal of it must name one.
    pub grounds: Vec<RefusalGround>,
    /// Where a requester may complain under this law; a procedure may name its own instead.
    pub complaint_authority: Option<Label>,
    /// The deadlines the law sets for answering.
    pub deadlines: Vec<LawDeadline>,
    /// Its register of provision to and receipt from third parties, where the law has one.
    pub provision: Option<crate::domain::provision::ProvisionRules>,
    /// What it says of complaints made to the business, where it says something.
    pub complaints: Option<crate::domain::inquiry::LawOnComplaints>,
    /// The kind of preference an opt-out preference signal (Global Privacy Control, `Sec-GPC: 1`)
    /// opts the person out of (CCPA §7025); `None`: the law gives the signal no effect.
    pub gpc: Option<PreferenceKind>,
    /// What this law answers over the Data Rights Protocol: its regime names there and which right
    /// each action is filed as; `None`: agents cannot file under it over DRP.
    pub drp: Option<DrpRules>,
    /// The file as written: what is published, and pinned by the workflows checked against it.
    pub source: String,
}

/// A regime's `[drp]`: the DRP regimes (`ccpa`, `voluntary` for none) it answers, and the right each
/// DRP action (`access`, `sale:opt-out`, …) is filed as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrpRules {
    pub regimes: Vec<String>,
    pub actions: BTreeMap<String, RightCode>,
}

/// A ground on which the law lets a request be refused, and the rights it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalGround {
    pub code: String,
    /// What it means, in the words the requester reads.
    pub label: Label,
    pub article: Option<Label>,
    /// The rights it applies to; empty: every right of the regime.
    pub rights: Vec<RightCode>,
}

impl RefusalGround {
    pub fn applies_to(&self, right: &str) -> bool {
        self.rights.is_empty() || self.rights.iter().any(|r| r.as_str() == right)
    }
}

/// The kinds of requester the engine knows how to handle (intake asks an agent for the person's
/// confirmation, a guardian for the person's name).
pub const REQUESTER_KINDS: [&str; 3] = ["self", "agent", "guardian"];

impl Regime {
    /// The grounds on which this right may be refused.
    pub fn grounds_for(&self, right: &str) -> Vec<&RefusalGround> {
        self.grounds
            .iter()
            .filter(|g| g.applies_to(right))
            .collect()
    }

    /// The law lets this kind of requester file (`self`, `agent`, `guardian`).
    pub fn admits(&self, requester_kind: &str) -> bool {
        self.requesters.iter().any(|k| k == requester_kind)
    }

    pub fn right(&self, code: &str) -> Option<&RightDef> {
        self.rights.iter().find(|r| r.code.as_str() == code)
    }
}

/// Where a requester lives: a country or subdivision (ISO 3166 code), or a named group of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub code: PlaceCode,
    pub version: i64,
    /// Codes requests were filed under before this file existed; still accepted and still shown.
    pub aliases: Vec<String>,
    pub name: Label,
    /// The law that applies to requesters from here.
    pub regime: String,
    /// Requesters' dates and times are shown in this zone.
    pub timezone: chrono_tz::Tz,
    /// Working days and holidays here, where a deadline counts them.
    pub calendar: Option<String>,
    /// The languages people here read, most used first, whether or not kaiji speaks them yet.
    pub languages: Vec<Language>,
    /// For a named group: the ISO 3166 codes it covers (the EEA's member countries).
    pub members: Vec<String>,
    /// Requests that name no place are filed here (`other`: the company's home law).
    pub fallback: bool,
    /// Consumption tax rates, each from its first day (fees invoiced here are taxed at these).
    pub consumption_tax: Vec<crate::domain::tax::TaxRate>,
}

impl Place {
    /// The code, or one of its aliases, case-insensitively.
    pub fn answers_to(&self, code: &str) -> bool {
        self.code.as_str().eq_ignore_ascii_case(code)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(code))
    }
}

/// Why a set of places and regimes does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LawsError {
    #[error("place `{place}` names regime `{regime}`, which no file in seeds/regimes defines")]
    UnknownRegime { place: String, regime: String },
    #[error("places `{a}` and `{b}` both answer to `{code}`")]
    SameCode { a: String, b: String, code: String },
    #[error("regime `{0}` is defined twice")]
    RegimeTwice(String),
    #[error("KAIJI_PLACES names `{0}`, which no file in seeds/places defines")]
    UnknownServed(String),
    #[error(
        "places `{0}` and `{1}` are both marked `fallback`; requests naming no place go to one"
    )]
    TwoFallbacks(String, String),
}

/// Every place and regime a deployment knows, the holiday calendars their deadlines count in, and the
/// places it serves (the form lists only those).
#[derive(Debug, Clone, Default)]
pub struct Laws {
    pub calendars: Calendars,
    places: Vec<Place>,
    regimes: BTreeMap<String, Regime>,
    served: Vec<PlaceCode>,
    /// The languages kaiji speaks (a Fluent folder each), as the i18n layer found them.
    spoken: Vec<Language>,
    /// The desk's kinds of inquiry and complaint (`seeds/inquiries.toml`), whatever the place.
    pub inquiries: crate::domain::inquiry::InquiryRules,
}

impl Laws {
    /// Checks the places and regimes against each other. `served` limits the places requests may come
    /// from (codes or aliases); empty means every place.
    pub fn new(
        calendars: Calendars,
        places: Vec<Place>,
        regimes: Vec<Regime>,
        served: &[String],
    ) -> Result<Self, LawsError> {
        let mut by_id = BTreeMap::new();
        for r in regimes {
            if by_id.contains_key(&r.id) {
                return Err(LawsError::RegimeTwice(r.id));
            }
            by_id.insert(r.id.clone(), r);
        }
        let mut seen: BTreeMap<String, &PlaceCode> = BTreeMap::new();
        for p in &places {
            if !by_id.contains_key(&p.regime) {
                return Err(LawsError::UnknownRegime {
                    place: p.code.to_string(),
                    regime: p.regime.clone(),
                });
            }
            let own: BTreeSet<String> = std::iter::once(p.code.as_str())
                .chain(p.aliases.iter().map(String::as_str))
                .map(str::to_ascii_lowercase)
                .collect();
            for code in own {
                if let Some(a) = seen.insert(code.clone(), &p.code) {
                    return Err(LawsError::SameCode {
                        a: a.to_string(),
                        b: p.code.to_string(),
                        code,
                    });
                }
            }
        }
        let fallbacks: Vec<&Place> = places.iter().filter(|p| p.fallback).collect();
        if let [a, b, ..] = fallbacks.as_slice() {
            return Err(LawsError::TwoFallbacks(
                a.code.to_string(),
                b.code.to_string(),
            ));
        }
        let mut laws = Laws {
            calendars,
            places,
            regimes: by_id,
            served: Vec::new(),
            spoken: Vec::new(),
            inquiries: Default::default(),
        };
        for s in served {
            let code = laws
                .place(s)
                .map(|p| p.code.clone())
                .ok_or_else(|| LawsError::UnknownServed(s.clone()))?;
            if !laws.served.contains(&code) {
                laws.served.push(code);
            }
        }
        if laws.served.is_empty() {
            laws.served = laws.places.iter().map(|p| p.code.clone()).collect();
        }
        Ok(laws)
    }

    /// The same laws with one regime replaced by another version of it: a published workflow is read
    /// against the version it was published with.
    pub fn with_regime(&self, regime: Regime) -> Self {
        let mut laws = self.clone();
        laws.regimes.insert(regime.id.clone(), regime);
        laws
    }

    /// The same laws, told which languages kaiji speaks (pages and notices can be written in them).
    /// The desk's inquiry and complaint kinds.
    pub fn with_inquiries(mut self, rules: crate::domain::inquiry::InquiryRules) -> Self {
        self.inquiries = rules;
        self
    }

    pub fn speaking(mut self, spoken: Vec<Language>) -> Self {
        self.spoken = spoken;
        self
    }

    /// The places' languages kaiji does not speak yet: each place's code with those languages.
    pub fn unspoken(&self) -> Vec<(&PlaceCode, Vec<Language>)> {
        self.places
            .iter()
            .map(|p| {
                let missing = p
                    .languages
                    .iter()
                    .filter(|l| !self.spoken.contains(l))
                    .copied()
                    .collect::<Vec<_>>();
                (&p.code, missing)
            })
            .filter(|(_, m)| !m.is_empty())
            .collect()
    }

    /// Where a request that names no place is filed, if the deployment serves such a place.
    pub fn fallback_place(&self) -> Option<&Place> {
        self.served().find(|p| p.fallback)
    }

    /// The place a code or alias names.
    pub fn place(&self, code: &str) -> Option<&Place> {
        self.places.iter().find(|p| p.answers_to(code))
    }

    /// Every place, in file order.
    pub fn places(&self) -> &[Place] {
        &self.places
    }

    /// The places this deployment takes requests from.
    pub fn served(&self) -> impl Iterator<Item = &Place> {
        self.places.iter().filter(|p| self.served.contains(&p.code))
    }

    pub fn serves(&self, place: &PlaceCode) -> bool {
        self.served.contains(place)
    }

    pub fn regime(&self, id: &str) -> Option<&Regime> {
        self.regimes.get(id)
    }

    pub fn regimes(&self) -> impl Iterator<Item = &Regime> {
        self.regimes.values()
    }

    /// The law that applies to requesters from a place (code or alias).
    pub fn regime_of(&self, place: &str) -> Option<&Regime> {
        self.place(place).and_then(|p| self.regime(&p.regime))
    }

    /// A right as the law of `place` grants it.
    pub fn right(&self, place: &str, code: &str) -> Option<&RightDef> {
        self.regime_of(place).and_then(|r| r.right(code))
    }

    /// A right as the first regime that grants it defines it: for pages that list rights of every law.
    pub fn any_right(&self, code: &str) -> Option<&RightDef> {
        self.regimes.values().find_map(|r| r.right(code))
    }

    /// Every right code some regime grants, each once.
    pub fn right_codes(&self) -> Vec<&RightCode> {
        let mut seen = BTreeSet::new();
        self.regimes
            .values()
            .flat_map(|r| r.rights.iter().map(|d| &d.code))
            .filter(|c| seen.insert(*c))
            .collect()
    }

    /// A right's label under `place`'s law, else under any law, else its code (a right a stored request
    /// was filed under and no file defines any more still shows).
    pub fn right_label(&self, place: Option<&str>, code: &str, lang: Language) -> String {
        place
            .and_then(|p| self.right(p, code))
            .or_else(|| self.any_right(code))
            .map(|r| r.label.get(lang).to_owned())
            .unwrap_or_else(|| code.to_owned())
    }

    /// A right's label under one regime, else its code.
    pub fn label_under(&self, regime: &str, code: &str, lang: Language) -> String {
        self.regime(regime)
            .and_then(|r| r.right(code))
            .map(|r| r.label.get(lang).to_owned())
            .unwrap_or_else(|| code.to_owned())
    }

    /// A place's name, or its code where no file defines it any more.
    pub fn place_name(&self, code: &str, lang: Language) -> String {
        self.place(code)
            .map(|p| p.name.get(lang).to_owned())
            .unwrap_or_else(|| code.to_owned())
    }

    /// The language a requester from `place` (code or alias; empty: the fallback place) is written to:
    /// the first of the place's languages kaiji speaks.
    pub fn language_for(&self, place: &str) -> Option<Language> {
        let place = match place.trim() {
            "" => self.fallback_place(),
            p => self.place(p),
        }?;
        place
            .languages
            .iter()
            .find(|l| self.spoken.contains(l))
            .copied()
    }

    /// The place a page in `lang` preselects: the one served place whose people read `lang` first, if
    /// exactly one does, else the fallback place.
    pub fn default_place(&self, lang: Language) -> Option<&Place> {
        let mut first = self.served().filter(|p| p.languages.first() == Some(&lang));
        match (first.next(), first.next()) {
            (Some(p), None) => Some(p),
            _ => self.fallback_place(),
        }
    }

    /// The shipped places and regimes, for unit tests.
    #[cfg(test)]
    pub fn shipped() -> Self {
        shipped::laws()
    }
}

impl LawBook for Laws {
    fn served_place(&self, code: &str) -> Result<PlaceCode, &'static str> {
        let place = match code {
            "" => self.fallback_place().ok_or("required")?,
            c => self.place(c).ok_or("unknown_jurisdiction")?,
        };
        if self.serves(&place.code) {
            Ok(place.code.clone())
        } else {
            Err("not_offered_here")
        }
    }

    fn grants(&self, right: &RightCode) -> bool {
        self.any_right(right.as_str()).is_some()
    }

    fn period_earliest(&self, place: &PlaceCode, right: &RightCode) -> Option<chrono::NaiveDate> {
        self.right(place.as_str(), right.as_str())
            .and_then(|r| r.period_earliest)
    }

    fn admits(&self, place: &PlaceCode, requester_kind: &str) -> bool {
        self.regime_of(place.as_str())
            .is_some_and(|r| r.admits(requester_kind))
    }

    fn minor_under(&self, place: &PlaceCode) -> Option<u32> {
        self.regime_of(place.as_str()).and_then(|r| r.minor_under)
    }

    fn timezone(&self, place: &PlaceCode) -> Option<chrono_tz::Tz> {
        self.place(place.as_str()).map(|p| p.timezone)
    }

    fn asks_no_details(&self, place: &PlaceCode, right: &RightCode) -> bool {
        self.right(place.as_str(), right.as_str())
            .is_some_and(|r| r.preference.is_some())
    }
}

#[cfg(test)]
pub(crate) mod shipped {
    use super::*;
    use crate::domain::deadline::Calendar;

    pub(crate) const CALENDARS: &[&str] = &[
        include_str!("../../../seeds/calendars/br.toml"),
        include_str!("../../../seeds/calendars/gb-eng.toml"),
        include_str!("../../../seeds/calendars/kr.toml"),
        include_str!("../../../seeds/calendars/us-va.toml"),
        include_str!("../../../seeds/calendars/ca.toml"),
        include_str!("../../../seeds/calendars/jp.toml"),
        include_str!("../../../seeds/calendars/lu.toml"),
        include_str!("../../../seeds/calendars/us-ca.toml"),
    ];
    pub(crate) const PLACES: &[&str] = &[
        include_str!("../../../seeds/places/jp.toml"),
        include_str!("../../../seeds/places/eea.toml"),
        include_str!("../../../seeds/places/us-ca.toml"),
        include_str!("../../../seeds/places/ca.toml"),
        include_str!("../../../seeds/places/other.toml"),
        include_str!("../../../seeds/places/gb.toml"),
        include_str!("../../../seeds/places/br.toml"),
        include_str!("../../../seeds/places/kr.toml"),
        include_str!("../../../seeds/places/us-va.toml"),
    ];
    pub(crate) const REGIMES: &[&str] = &[
        include_str!("../../../seeds/regimes/appi.toml"),
        include_str!("../../../seeds/regimes/gdpr.toml"),
        include_str!("../../../seeds/regimes/ccpa.toml"),
        include_str!("../../../seeds/regimes/pipeda.toml"),
        include_str!("../../../seeds/regimes/uk-gdpr.toml"),
        include_str!("../../../seeds/regimes/lgpd.toml"),
        include_str!("../../../seeds/regimes/pipa.toml"),
        include_str!("../../../seeds/regimes/vcdpa.toml"),
    ];

    pub(crate) fn laws() -> Laws {
        let calendars: Calendars = CALENDARS
            .iter()
            .map(|s| {
                let c = Calendar::parse(s).unwrap();
                (c.id.clone(), c)
            })
            .collect();
        let places = PLACES
            .iter()
            .map(|s| Place::parse(s, &calendars).unwrap())
            .collect();
        let regimes = REGIMES
            .iter()
            .map(|s| Regime::parse(s, &calendars).unwrap())
            .collect();
        Laws::new(calendars, places, regimes, &[])
            .unwrap()
            .speaking(vec![Language::JA, Language::EN])
            .with_inquiries(
                crate::domain::inquiry::InquiryRules::parse(include_str!(
                    "../../../seeds/inquiries.toml"
                ))
                .unwrap(),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped laws with their places replaced (changed by a test) and `served` limiting them.
    fn shipped_with(places: Vec<Place>, served: &[String]) -> Result<Laws, LawsError> {
        let all = Laws::shipped();
        Laws::new(
            all.calendars.clone(),
            places,
            all.regimes().cloned().collect(),
            served,
        )
        .map(|l| l.speaking(vec![Language::JA, Language::EN]))
    }

    #[test]
    fn shipped_places_resolve_their_old_codes() {
        let laws = Laws::shipped();
        for (old, new) in [
            ("japan", "JP"),
            ("eea", "EEA"),
            ("california", "US-CA"),
            ("canada", "CA"),
            ("other", "other"),
            ("jp", "JP"),
        ] {
            assert_eq!(laws.place(old).unwrap().code.as_str(), new, "{old}");
        }
        assert!(laws.place("atlantis").is_none());
        assert_eq!(laws.place("uk").unwrap().code.as_str(), "GB");
        assert_eq!(laws.regime_of("california").unwrap().id, "ccpa");
        assert_eq!(laws.regime_of("other").unwrap().id, "appi");
        assert_eq!(
            laws.default_place(Language::JA).unwrap().code.as_str(),
            "JP"
        );
        // A place's first language kaiji speaks: Japanese for Japan, English for the EEA (German,
        // French… have no Fluent file yet) and for a request naming no place.
        assert_eq!(laws.language_for("japan"), Some(Language::JA));
        assert_eq!(laws.language_for("EEA"), Some(Language::EN));
        assert_eq!(laws.language_for(""), Some(Language::EN));
        assert_eq!(
            laws.language_for("KR"),
            None,
            "Korean has no Fluent file yet"
        );
        // English is the first language of three places: none is guessed, and the form starts at
        // "elsewhere".
        assert_eq!(
            laws.default_place(Language::EN).unwrap().code.as_str(),
            "other"
        );
    }

    #[test]
    fn rights_carry_their_kinds_of_rule() {
        let laws = Laws::shipped();
        let access = laws.right("JP", "access").unwrap();
        assert_eq!(
            (access.task, access.answer, access.form),
            (
                Some(TaskKind::Export),
                Some(AnswerKind::Data),
                Some(FormKind::Disclosure)
            )
        );
        assert_eq!(
            laws.right("EEA", "portability").unwrap().answer,
            Some(AnswerKind::Portable)
        );
        let know = laws.right("US-CA", "know_categories").unwrap();
        assert_eq!(
            (know.task, know.answer),
            (Some(TaskKind::Locate), Some(AnswerKind::Categories))
        );
        assert_eq!(
            laws.right("JP", "deletion").unwrap().change,
            Some(ChangeAction::Deleted)
        );
        assert!(laws.right("JP", "correction").unwrap().changes_values());
        for (place, right, task) in [
            ("EEA", "deletion", Some(TaskKind::Erase)),
            ("CA", "deletion", Some(TaskKind::Erase)),
            ("EEA", "portability", Some(TaskKind::Export)),
            ("JP", "third_party_records", None),
            ("EEA", "correction", Some(TaskKind::Rectify)),
            ("EEA", "restriction", Some(TaskKind::Restrict)),
            ("EEA", "objection", Some(TaskKind::StopProcessing)),
            ("JP", "stop_of_use", Some(TaskKind::StopProcessing)),
            ("US-VA", "opt_out", Some(TaskKind::StopProcessing)),
            ("JP", "purpose_notification", Some(TaskKind::Locate)),
        ] {
            assert_eq!(
                laws.right(place, right).unwrap().task,
                task,
                "{place} {right}"
            );
        }
        assert!(laws.right("US-CA", "portability").is_none());
        assert_eq!(
            laws.right_label(None, "no_such_right", Language::EN),
            "no_such_right"
        );
        let codes: Vec<&str> = laws.right_codes().iter().map(|c| c.as_str()).collect();
        for c in [
            "access",
            "third_party_records",
            "know_categories",
            "withdraw_consent",
        ] {
            assert!(codes.contains(&c), "{c}");
        }
    }

    #[test]
    fn served_places_limit_the_form_and_unknown_ones_are_named() {
        let all = Laws::shipped();
        let only = shipped_with(all.places().to_vec(), &["japan".into(), "EEA".into()]).unwrap();
        let served: Vec<&str> = only.served().map(|p| p.code.as_str()).collect();
        assert_eq!(served, ["JP", "EEA"]);
        assert!(!only.serves(&"CA".parse().unwrap()));
        let e = shipped_with(all.places().to_vec(), &["atlantis".into()]).unwrap_err();
        assert_eq!(e, LawsError::UnknownServed("atlantis".into()));
    }

    #[test]
    fn bad_files_are_refused_with_their_line() {
        let cal = Laws::shipped().calendars;
        let place = |extra: &str| {
            format!(
                "code = \"GB\"\nversion = 1\nname = {{ en = \"UK\", ja = \"英国\" }}\nregime = \"uk\"\ntimezone = \"Europe/London\"\nlanguages = [\"en\"]\n{extra}"
            )
        };
        assert!(Place::parse(&place(""), &cal).is_ok());
        let e = Place::parse(&place("calendar = \"gb\""), &cal).unwrap_err();
        assert_eq!(e.line, Some(7));
        assert!(e.reason.contains("unknown calendar `gb`"), "{}", e.reason);
        let e = Place::parse(&place("").replace("Europe/London", "Mars/Base"), &cal).unwrap_err();
        assert_eq!(e.line, Some(5));
        let e = Place::parse(&place("").replace("[\"en\"]", "[\"English\"]"), &cal).unwrap_err();
        assert!(e.reason.contains("BCP 47"), "{}", e.reason);
        let e = Place::parse(&place("").replace("\"GB\"", "\"G B\""), &cal).unwrap_err();
        assert_eq!(e.line, Some(1));
        let regime = |right: &str| {
            format!(
                "id = \"uk\"\nversion = 1\nname = {{ en = \"UK GDPR\", ja = \"英国GDPR\" }}\n[[rights]]\n{right}label = {{ en = \"See\", ja = \"開示\" }}\n"
            )
        };
        assert!(
            Regime::parse(
                &regime("code = \"access\"\ntask = \"export\"\n"),
                &Calendars::new()
            )
            .is_ok()
        );
        let e = Regime::parse(
            &regime("code = \"access\"\ntask = \"shred\"\n"),
            &Calendars::new(),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(6));
        assert!(e.reason.contains("known: export, erase"), "{}", e.reason);
        let e = Regime::parse(
            &regime("code = \"access\"\nanswer = \"data\"\n"),
            &Calendars::new(),
        )
        .unwrap_err();
        assert!(e.reason.contains("task must be `export`"), "{}", e.reason);
        let e = Regime::parse(&regime("code = \"Access!\"\n"), &Calendars::new()).unwrap_err();
        assert_eq!(e.line, Some(5));
        let e = Regime::parse(
            &regime("code = \"access\"\ncolour = \"red\"\n"),
            &Calendars::new(),
        )
        .unwrap_err();
        assert!(e.reason.contains("colour"), "{}", e.reason);
    }

    #[test]
    fn who_may_file_and_on_what_grounds_a_refusal_rests_are_the_regimes() {
        let laws = Laws::shipped();
        assert!(laws.regime("vcdpa").unwrap().admits("guardian"));
        assert!(!laws.regime("vcdpa").unwrap().admits("agent"));
        assert!(laws.regime("gdpr").unwrap().admits("agent"));
        let gdpr = laws.regime("gdpr").unwrap();
        let access: Vec<&str> = gdpr
            .grounds_for("access")
            .iter()
            .map(|g| g.code.as_str())
            .collect();
        assert!(
            access.contains(&"manifestly_unfounded_or_excessive")
                && access.contains(&"rights_of_others")
        );
        assert!(!access.contains(&"erasure_exception"));
        assert!(
            laws.regime("ccpa")
                .unwrap()
                .grounds_for("access")
                .is_empty()
        );
        assert_eq!(
            laws.right("US-CA", "access").unwrap().period_earliest,
            chrono::NaiveDate::from_ymd_opt(2022, 1, 1)
        );
        assert_eq!(laws.right("EEA", "access").unwrap().period_earliest, None);

        let regime = |extra: &str| {
            format!(
                "id = \"xx\"\nversion = 1\nname = {{ en = \"X\", ja = \"X\" }}\n{extra}[[rights]]\ncode = \"access\"\nlabel = {{ en = \"See\", ja = \"開示\" }}\n"
            )
        };
        // Unsaid, only the person may file.
        assert_eq!(
            Regime::parse(&regime(""), &Calendars::new())
                .unwrap()
                .requesters,
            ["self"]
        );
        let e =
            Regime::parse(&regime("requesters = [\"agent\"]\n"), &Calendars::new()).unwrap_err();
        assert!(e.reason.contains("must include `self`"), "{}", e.reason);
        let e = Regime::parse(
            &regime("requesters = [\"self\", \"cousin\"]\n"),
            &Calendars::new(),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(4));
        // A guardian files for a minor: the law must say under which age.
        let e = Regime::parse(
            &regime("requesters = [\"self\", \"guardian\"]\n"),
            &Calendars::new(),
        )
        .unwrap_err();
        assert!(e.reason.contains("minor_under"), "{}", e.reason);
        let e = Regime::parse(
            &regime("requesters = [\"self\", \"guardian\"]\nminor_under = 0\n"),
            &Calendars::new(),
        )
        .unwrap_err();
        assert!(e.reason.contains("from 1 to 25"), "{}", e.reason);
        let ok = Regime::parse(
            &regime("requesters = [\"self\", \"guardian\"]\nminor_under = 14\n"),
            &Calendars::new(),
        )
        .unwrap();
        assert_eq!(ok.minor_under, Some(14));
        for (place, age) in [("JP", 18), ("US-CA", 18), ("US-VA", 13), ("KR", 14)] {
            assert_eq!(
                laws.regime_of(place).unwrap().minor_under,
                Some(age),
                "{place}"
            );
        }
        let ground = |rights: &str| {
            format!(
                "{}[[grounds]]\ncode = \"too_many\"\nlabel = {{ en = \"Too many\", ja = \"多数\" }}\nrights = [{rights}]\n",
                regime("")
            )
        };
        let ok = Regime::parse(&ground("\"access\""), &Calendars::new()).unwrap();
        assert_eq!(ok.grounds_for("access").len(), 1);
        let e = Regime::parse(&ground("\"deletion\""), &Calendars::new()).unwrap_err();
        assert!(e.reason.contains("does not grant"), "{}", e.reason);
        let e = Regime::parse(
            &regime("").replace(
                "label = { en = \"See\", ja = \"開示\" }\n",
                "label = { en = \"See\", ja = \"開示\" }\nperiod_earliest = \"2022-13-01\"\n",
            ),
            &Calendars::new(),
        )
        .unwrap_err();
        assert!(e.reason.contains("period_earliest"), "{}", e.reason);

        // What the law says of fees, identity checks and deadlines is read and checked.
        let right = |extra: &str| {
            regime("").replace(
                "label = { en = \"See\", ja = \"開示\" }\n",
                &format!("label = {{ en = \"See\", ja = \"開示\" }}\n{extra}"),
            )
        };
        let cals = Laws::shipped().calendars;
        let ok = Regime::parse(
            &right("fee = \"free\"\nverification = { points = 3, declaration = true }\n"),
            &cals,
        )
        .unwrap();
        assert_eq!(ok.rights[0].fee, Some(FeeByLaw::Free));
        assert_eq!(
            ok.rights[0].verification,
            Some(VerificationByLaw {
                points: 3,
                declaration: true
            })
        );
        for (extra, why) in [
            ("fee = \"cheap\"\n", "`free` or `permitted`"),
            ("verification = { points = 0 }\n", "between 1 and 10"),
            (
                "verification = { points = 2, photo = true }\n",
                "unknown field",
            ),
        ] {
            let e = Regime::parse(&right(extra), &cals).unwrap_err();
            assert!(e.reason.contains(why), "{extra}: {}", e.reason);
        }
        let deadline = |extra: &str| {
            format!(
                "{}[[deadlines]]\nid = \"response\"\nlabel = {{ en = \"A month\", ja = \"1か月\" }}\n\
                 duration = {{ months = 1 }}\npauses_while_waiting = false\n{extra}",
                regime("")
            )
        };
        let ok =
            Regime::parse(&deadline("calendar = \"lu\"\nroll_forward = true\n"), &cals).unwrap();
        assert_eq!(ok.deadlines[0].rule.calendar.as_deref(), Some("lu"));
        assert!(ok.deadlines[0].covers(&"access".parse().unwrap()));
        for (extra, why) in [
            ("calendar = \"mars\"\n", "unknown calendar `mars`"),
            ("roll_forward = true\n", "needs a `calendar`"),
            ("rights = [\"deletion\"]\n", "does not grant"),
            ("start = \"receipt\"\n", "unknown field"),
        ] {
            let e = Regime::parse(&deadline(extra), &cals).unwrap_err();
            assert!(e.reason.contains(why), "{extra}: {}", e.reason);
            assert!(e.line.is_some(), "{extra}: names the line");
        }
        let twice = format!(
            "{}{}",
            deadline(""),
            deadline("")
                .split("[[deadlines]]")
                .nth(1)
                .map(|d| format!("[[deadlines]]{d}"))
                .unwrap()
        );
        let e = Regime::parse(&twice, &cals).unwrap_err();
        assert!(e.reason.contains("defined twice"), "{}", e.reason);
    }

    #[test]
    fn places_and_regimes_must_agree() {
        let all = Laws::shipped();
        let mut places = all.places().to_vec();
        places[0].regime = "nowhere".into();
        let e = shipped_with(places, &[]).unwrap_err();
        assert!(matches!(e, LawsError::UnknownRegime { .. }));
        let mut places = all.places().to_vec();
        places[1].aliases.push("japan".into());
        let e = shipped_with(places, &[]).unwrap_err();
        assert!(matches!(e, LawsError::SameCode { .. }), "{e}");
    }
}
