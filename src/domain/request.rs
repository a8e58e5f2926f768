//! A data subject's rights request as it enters kaiji: who asks, what they ask for, in which language.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::field::{FieldErrors, required_text};
pub use super::language::Language;
use crate::domain::code::{apply, coded};

/// A code stored in requests and written in definitions: letters, digits and a little punctuation, so it
/// is safe in URLs, CSV and logs. Which codes exist is data (`seeds/regimes`, `seeds/places`).
macro_rules! law_code {
    ($(#[$doc:meta])* $t:ident, $max:expr, $ok:expr, $err:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $t(String);

        impl $t {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// A code written in the source (tests, examples); panics if it is not a valid code.
            pub fn literal(s: &'static str) -> Self {
                s.parse().expect("a valid code literal")
            }
        }

        impl FromStr for $t {
            type Err = &'static str;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let ok: fn(char) -> bool = $ok;
                if s.is_empty() || s.len() > $max || !s.chars().all(ok) {
                    return Err($err);
                }
                Ok(Self(s.to_owned()))
            }
        }

        impl TryFrom<String> for $t {
            type Error = &'static str;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$t> for String {
            fn from(c: $t) -> String {
                c.0
            }
        }

        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

law_code!(
    /// A right a data subject exercises (`access`, `deletion`, …), as a regime in `seeds/regimes` names it.
    /// Stored with the request and used by the API; a stored code never changes meaning.
    RightCode,
    40,
    |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_',
    "unknown_request_type"
);

law_code!(
    /// Where the requester lives: an ISO 3166 code (`JP`, `US-CA`) or a named place (`EEA`, `other`) of
    /// `seeds/places`. It picks the law, hence the procedure.
    PlaceCode,
    24,
    |c| c.is_ascii_alphanumeric() || c == '-' || c == '_',
    "unknown_jurisdiction"
);

/// What intake checks a request's place and rights against: the laws of `seeds/` (`law::Laws`).
pub trait LawBook {
    /// The place a code or an old alias names, by its current code, if the deployment serves it; an
    /// empty answer names the fallback place.
    fn served_place(&self, code: &str) -> Result<PlaceCode, &'static str>;
    /// Some law grants this right.
    fn grants(&self, right: &RightCode) -> bool;
    /// The place's law lets this kind of requester (`self`, `agent`, `guardian`) file.
    fn admits(&self, place: &PlaceCode, requester_kind: &str) -> bool;
    /// The earliest day a requester may ask this right's answer to cover, where the law lets them say.
    fn period_earliest(&self, place: &PlaceCode, right: &RightCode) -> Option<chrono::NaiveDate>;
    /// The age under which the place's law lets a guardian file for a minor.
    fn minor_under(&self, place: &PlaceCode) -> Option<u32>;
    /// The place's time zone: its day is the day of filing.
    fn timezone(&self, place: &PlaceCode) -> Option<chrono_tz::Tz>;
    /// The right is a choice the person states (an opt-out): the request needs no message.
    fn asks_no_details(&self, place: &PlaceCode, right: &RightCode) -> bool;
}

/// How a request reached the desk. Procedures accept some channels and refuse others.
#[apply(coded)]
pub enum Channel {
    Web,
    Api,
    Postal,
}

/// Personal data: `Debug` never shows the content, so it cannot leak into logs.
macro_rules! redacted_debug {
    ($t:ident) => {
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($t), "(<redacted>)"))
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

/// The requester's name as they wrote it.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectName(String);
redacted_debug!(SubjectName);

impl SubjectName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        required_text(raw, false, Self::MAX_CHARS).map(Self)
    }
}

/// An email address the requester can be reached at.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectEmail(String);
redacted_debug!(SubjectEmail);

impl SubjectEmail {
    /// RFC 5321's limit on a forward path.
    pub const MAX_CHARS: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = required_text(raw, false, Self::MAX_CHARS)?;
        if !super::field::deliverable(&s) {
            return Err("invalid_email");
        }
        Ok(Self(s))
    }
}

/// What the requester tells the desk about their request.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestMessage(String);
redacted_debug!(RequestMessage);

impl RequestMessage {
    pub const MAX_CHARS: usize = 5000;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        required_text(raw, true, Self::MAX_CHARS).map(Self)
    }
}

/// The fields of a request as submitted, before parsing. The web form and the JSON API share these names.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub struct RawRequest {
    pub name: String,
    pub email: String,
    pub request_type: String,
    /// More rights asked for in the same submission (each becomes its own request, filed together).
    pub request_types: Vec<String>,
    pub message: String,
    /// Where the requester lives; empty means "elsewhere" (the company's home law applies).
    pub jurisdiction: String,
    /// Who is asking: `self` (default), `agent` (an authorised agent) or `guardian` (a parent or
    /// guardian). For the last two, `name` and `email` are the agent's and the person's follow.
    pub requester_kind: String,
    pub person_name: String,
    /// The person's own address: an agent's request waits for the person to confirm it directly.
    pub person_email: String,
    /// A guardian's basis: `minor` (with `person_born_on`) or `guardianship` (an adult ward).
    pub guardian_basis: String,
    /// The minor's date of birth, `YYYY-MM-DD`: the law's age is checked on the day of filing.
    pub person_born_on: String,
    /// Optional: the account the request is about (its ID or sign-in email), for matching records.
    pub account_id: String,
    /// Optional, where the law lets the requester say (CCPA "know"): the day from which the answer should
    /// cover, `YYYY-MM-DD`; empty for the law's default (the 12 months before the request).
    pub period_from: String,
}

impl fmt::Debug for RawRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawRequest")
            .field("request_type", &self.request_type)
            .field("jurisdiction", &self.jurisdiction)
            .finish_non_exhaustive()
    }
}

pub use super::on_behalf::{GuardianBasis, OnBehalfKind};

/// A request filed for someone else: the person the data is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnBehalf {
    pub kind: OnBehalfKind,
    pub person_name: SubjectName,
    /// Required for agents, so the person can confirm directly; a guardian's child may have none.
    pub person_email: Option<SubjectEmail>,
    /// Why a guardian may act: always set for guardians, never for agents.
    pub guardian: Option<GuardianBasis>,
}

/// A request that passed every check and can be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    pub name: SubjectName,
    /// Always present for web and API requests; a letter may come without one.
    pub email: Option<SubjectEmail>,
    pub request_type: RightCode,
    /// The other rights asked for in the same submission: each is filed as its own request, together.
    pub also: Vec<RightCode>,
    pub message: RequestMessage,
    pub jurisdiction: PlaceCode,
    pub language: Language,
    pub channel: Channel,
    /// Filed by an agent or guardian for this person; `None` when the person asks themselves.
    pub on_behalf: Option<OnBehalf>,
    /// The account the request is about, as typed; kept sealed with the identity evidence.
    pub account_id: Option<String>,
    /// From when the answer should cover, for the rights whose law lets the requester say.
    pub period_from: Option<chrono::NaiveDate>,
}

/// The rights asked for: `request_type` then `request_types`, in order, each once. The first is the
/// request's own; the rest are filed beside it.
fn parse_types(
    raw: &RawRequest,
    laws: &impl LawBook,
) -> Result<(RightCode, Vec<RightCode>), &'static str> {
    let mut types = Vec::new();
    for code in std::iter::once(&raw.request_type).chain(raw.request_types.iter()) {
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        let t: RightCode = code.parse()?;
        if !laws.grants(&t) {
            return Err("unknown_request_type");
        }
        if !types.contains(&t) {
            types.push(t);
        }
    }
    let mut types = types.into_iter();
    let first = types.next().ok_or("required")?;
    Ok((first, types.collect()))
}

impl NewRequest {
    /// Parses every field and reports every problem at once, so a form can show them all.
    /// Places and rights are checked against `laws`: a place by its code or an old alias (stored under
    /// its current code), only where the deployment serves it; a right only if some regime grants it.
    pub fn parse(
        raw: &RawRequest,
        language: Language,
        channel: Channel,
        laws: &impl LawBook,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", SubjectName::parse(&raw.name));
        let email = if channel == Channel::Postal && raw.email.trim().is_empty() {
            Some(None)
        } else {
            errors.check("email", SubjectEmail::parse(&raw.email).map(Some))
        };
        let types = errors.check("request_type", parse_types(raw, laws));
        // A choice (an opt-out of sale or sharing) needs no description: asking for more than the law
        // lets a business ask is itself a barrier (CCPA 11 CCR §7026(c)).
        let message = if raw.message.trim().is_empty()
            && let Some((first, also)) = &types
            && let Ok(place) = laws.served_place(raw.jurisdiction.trim())
            && std::iter::once(first)
                .chain(also.iter())
                .all(|t| laws.asks_no_details(&place, t))
        {
            Some(RequestMessage(String::new()))
        } else {
            errors.check("message", RequestMessage::parse(&raw.message))
        };
        let jurisdiction = errors.check("jurisdiction", laws.served_place(raw.jurisdiction.trim()));
        let on_behalf = match raw.requester_kind.trim() {
            "" | "self" => Some(None),
            kind @ ("agent" | "guardian") => {
                let kind = if kind == "agent" {
                    OnBehalfKind::Agent
                } else {
                    OnBehalfKind::Guardian
                };
                let person_name = errors.check("person_name", SubjectName::parse(&raw.person_name));
                let person_email = match (kind, raw.person_email.trim()) {
                    (OnBehalfKind::Guardian, "") => Some(None),
                    _ => errors.check(
                        "person_email",
                        SubjectEmail::parse(&raw.person_email).map(Some),
                    ),
                };
                // The person confirms through their own link: an agent's own address would let the
                // agent confirm for them.
                let same = |a: &SubjectEmail, b: &SubjectEmail| {
                    a.as_ref().eq_ignore_ascii_case(b.as_ref())
                };
                if let (Some(Some(p)), Some(Some(e))) = (&person_email, &email)
                    && same(p, e)
                {
                    errors.push("person_email", "same_as_requester");
                }
                // A guardian says why they may act: a minor under the law's age, or a guardianship.
                let guardian = match (kind, &jurisdiction) {
                    (OnBehalfKind::Agent, _) => Some(None),
                    (OnBehalfKind::Guardian, Some(place)) => match GuardianBasis::parse(
                        &raw.guardian_basis,
                        &raw.person_born_on,
                        laws.minor_under(place),
                        laws.timezone(place)
                            .map_or(now.date_naive(), |tz| now.with_timezone(&tz).date_naive()),
                    ) {
                        Ok(b) => Some(Some(b)),
                        Err((field, code)) => {
                            errors.push(field, code);
                            None
                        }
                    },
                    // The place is wrong already: its message says so.
                    (OnBehalfKind::Guardian, None) => None,
                };
                match (person_name, person_email, guardian) {
                    (Some(person_name), Some(person_email), Some(guardian)) => {
                        Some(Some(OnBehalf {
                            kind,
                            person_name,
                            person_email,
                            guardian,
                        }))
                    }
                    _ => None,
                }
            }
            _ => {
                errors.push("requester_kind", "unknown_requester_kind");
                None
            }
        };
        // An agent or guardian only where the place's law provides for one (VCDPA: no agents).
        if let (Some(place), Some(Some(b))) = (&jurisdiction, &on_behalf) {
            let kind = match b.kind {
                OnBehalfKind::Agent => "agent",
                OnBehalfKind::Guardian => "guardian",
            };
            if !laws.admits(place, kind) {
                errors.push("requester_kind", "not_offered_here");
            }
        }
        let period_from = match (raw.period_from.trim(), &jurisdiction, &types) {
            ("", _, _) => Some(None),
            (p, Some(place), Some((first, also))) => {
                // The rights asked for whose law takes a period; the earliest day they all allow.
                let earliest = std::iter::once(first)
                    .chain(also.iter())
                    .filter_map(|r| laws.period_earliest(place, r))
                    .max();
                match (chrono::NaiveDate::parse_from_str(p, "%Y-%m-%d"), earliest) {
                    (_, None) => {
                        errors.push("period_from", "not_offered_here");
                        None
                    }
                    // Exactly YYYY-MM-DD (chrono also reads signed and unpadded years).
                    (Err(_), _) | (Ok(_), _) if p.len() != 10 => {
                        errors.push("period_from", "invalid_date");
                        None
                    }
                    (Err(_), _) => {
                        errors.push("period_from", "invalid_date");
                        None
                    }
                    (Ok(d), Some(e)) if d < e => {
                        errors.push("period_from", "too_early");
                        None
                    }
                    (Ok(d), Some(_)) => Some(Some(d)),
                }
            }
            // The place or the rights are wrong already: their messages say so.
            _ => None,
        };
        let account_id = match raw.account_id.trim() {
            "" => Some(None),
            a => errors.check("account_id", super::field::bounded(a, 200).map(Some)),
        };
        let parsed = match (
            name,
            email,
            types,
            message,
            jurisdiction,
            on_behalf,
            account_id,
            period_from,
        ) {
            (
                Some(name),
                Some(email),
                Some((request_type, also)),
                Some(message),
                Some(jurisdiction),
                Some(on_behalf),
                Some(account_id),
                Some(period_from),
            ) => Some(NewRequest {
                period_from,
                name,
                email,
                request_type,
                also,
                message,
                jurisdiction,
                language,
                channel,
                on_behalf,
                account_id,
            }),
            _ => None,
        };
        errors.into_result(parsed)
    }
}

/// The number a requester quotes when they write or call: `KJ-YYYYMMDD-NNNNNNNN`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ReceiptNumber(String);

impl ReceiptNumber {
    /// Builds the number from the receipt date and eight random decimal digits drawn by the caller.
    pub fn new(received_on: chrono::NaiveDate, random: u64) -> Self {
        Self(format!(
            "KJ-{}-{:08}",
            received_on.format("%Y%m%d"),
            random % 100_000_000
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Display for ReceiptNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::code::Code;
    use crate::domain::law::Laws;

    fn laws() -> Laws {
        Laws::shipped()
    }

    /// 2026-12-01 09:00 in Tokyo.
    fn now() -> chrono::DateTime<chrono::Utc> {
        "2026-12-01T00:00:00Z".parse().unwrap()
    }

    fn raw(name: &str, email: &str, t: &str, msg: &str) -> RawRequest {
        RawRequest {
            name: name.into(),
            email: email.into(),
            request_type: t.into(),
            message: msg.into(),
            jurisdiction: String::new(),
            ..RawRequest::default()
        }
    }

    #[test]
    fn codes_round_trip_and_only_granted_rights_are_taken() {
        let laws = laws();
        for t in laws.right_codes() {
            assert_eq!(t.as_str().parse::<RightCode>().as_ref(), Ok(t));
        }
        for bad in ["", "Sell", "sell it", "a/b", &"x".repeat(41)] {
            assert_eq!(
                bad.parse::<RightCode>(),
                Err("unknown_request_type"),
                "{bad}"
            );
        }
        for bad in ["", "J P", "jp/1", &"X".repeat(25)] {
            assert_eq!(
                bad.parse::<PlaceCode>(),
                Err("unknown_jurisdiction"),
                "{bad}"
            );
        }
        // Well-formed, but no law grants it: refused beside the field, like an unknown place.
        let sell = raw("A", "a@example.com", "sell", "m");
        let errs = NewRequest::parse(&sell, Language::EN, Channel::Web, &laws, now()).unwrap_err();
        assert_eq!(errs.code_for("request_type"), Some("unknown_request_type"));
        // A place the deployment does not serve is refused; its old alias resolves first.
        let only_japan = Laws::new(
            laws.calendars.clone(),
            laws.places().to_vec(),
            laws.regimes().cloned().collect(),
            &["japan".into()],
        )
        .unwrap();
        let eea = RawRequest {
            jurisdiction: "eea".into(),
            ..raw("A", "a@example.com", "access", "m")
        };
        let errs =
            NewRequest::parse(&eea, Language::EN, Channel::Web, &only_japan, now()).unwrap_err();
        assert_eq!(errs.code_for("jurisdiction"), Some("not_offered_here"));
        // No fallback place served: a request must name its place.
        let errs = NewRequest::parse(
            &raw("A", "a@example.com", "access", "m"),
            Language::EN,
            Channel::Web,
            &only_japan,
            now(),
        )
        .unwrap_err();
        assert_eq!(errs.code_for("jurisdiction"), Some("required"));
    }

    #[test]
    fn channel_and_language_codes_round_trip() {
        for &c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>(), Ok(c));
        }
        for code in ["ja", "en", "ko", "pt", "fil"] {
            assert_eq!(code.parse::<Language>().unwrap().as_str(), code);
        }
        for bad in ["", "e", "EN", "en-US", "engl", "ja\0", "日本"] {
            assert_eq!(bad.parse::<Language>(), Err("unknown_language"));
        }
        assert_eq!(Language::default(), Language::JA);
        assert_eq!(serde_json::to_string(&Language::EN).unwrap(), "\"en\"");
        assert!(serde_json::from_str::<Language>("\"EN\"").is_err());
    }

    #[test]
    fn a_valid_request_parses_with_trimmed_fields() {
        let r = NewRequest::parse(
            &raw(
                " 山田 太郎 ",
                " taro@example.jp ",
                "access",
                "全部\n見せてください",
            ),
            Language::JA,
            Channel::Web,
            &laws(),
            now(),
        )
        .unwrap();
        assert_eq!(r.name.as_ref(), "山田 太郎");
        assert_eq!(r.email.as_ref().unwrap().as_ref(), "taro@example.jp");
        assert_eq!(r.request_type, RightCode::literal("access"));
        assert_eq!(r.message.as_ref(), "全部\n見せてください");
        assert_eq!(
            r.jurisdiction,
            PlaceCode::literal("other"),
            "no answer means elsewhere"
        );
        let eea = RawRequest {
            jurisdiction: "eea".into(),
            ..raw("A", "a@example.com", "access", "m")
        };
        assert_eq!(
            NewRequest::parse(&eea, Language::EN, Channel::Web, &laws(), now())
                .unwrap()
                .jurisdiction,
            PlaceCode::literal("EEA")
        );
        let mars = RawRequest {
            jurisdiction: "mars".into(),
            ..raw("A", "a@example.com", "access", "m")
        };
        let errs =
            NewRequest::parse(&mars, Language::EN, Channel::Web, &laws(), now()).unwrap_err();
        assert_eq!(errs.code_for("jurisdiction"), Some("unknown_jurisdiction"));
        // Agents name the person and their address; guardians may leave a child's address out.
        let agent = RawRequest {
            requester_kind: "agent".into(),
            person_name: "Pat".into(),
            ..raw("Agent", "agent@example.com", "access", "m")
        };
        let errs =
            NewRequest::parse(&agent, Language::EN, Channel::Web, &laws(), now()).unwrap_err();
        assert_eq!(errs.code_for("person_email"), Some("required"));
        // The person's own address, never the agent's: they confirm the request themselves.
        let own = RawRequest {
            person_email: " AGENT@example.com ".into(),
            ..agent.clone()
        };
        let errs = NewRequest::parse(&own, Language::EN, Channel::Web, &laws(), now()).unwrap_err();
        assert_eq!(errs.code_for("person_email"), Some("same_as_requester"));
        let guardian = RawRequest {
            requester_kind: "guardian".into(),
            person_name: "Child".into(),
            ..raw("Parent", "parent@example.com", "access", "m")
        };
        // A guardian says on what basis they act.
        let errs =
            NewRequest::parse(&guardian, Language::EN, Channel::Web, &laws(), now()).unwrap_err();
        assert_eq!(errs.code_for("guardian_basis"), Some("required"));
        let minor = |born: &str, place: &str| RawRequest {
            guardian_basis: "minor".into(),
            person_born_on: born.into(),
            jurisdiction: place.into(),
            ..guardian.clone()
        };
        let r = NewRequest::parse(
            &minor("2010-12-02", "JP"),
            Language::EN,
            Channel::Web,
            &laws(),
            now(),
        )
        .unwrap();
        let b = r.on_behalf.unwrap();
        assert_eq!((b.kind, b.person_email), (OnBehalfKind::Guardian, None));
        assert_eq!(
            b.guardian,
            Some(GuardianBasis::Minor {
                born_on: chrono::NaiveDate::from_ymd_opt(2010, 12, 2).unwrap(),
                minor_under: 18
            }),
            "15 on the day of filing, under Japan's 18"
        );
        // Eighteen on the day of filing in Japan: an adult, whom a guardian of a minor cannot act for.
        for (born, place, code) in [
            ("2008-12-01", "JP", "not_a_minor"),
            ("2013-11-30", "US-VA", "not_a_minor"),
            ("2027-01-01", "JP", "in_future"),
            ("2010-2-3", "JP", "invalid_date"),
            ("2010-02-30", "JP", "invalid_date"),
            ("", "JP", "required"),
        ] {
            let errs = NewRequest::parse(
                &minor(born, place),
                Language::EN,
                Channel::Web,
                &laws(),
                now(),
            )
            .unwrap_err();
            assert_eq!(
                errs.code_for("person_born_on"),
                Some(code),
                "{born} {place}"
            );
        }
        // Virginia's known child is under 13: twelve still is.
        assert!(
            NewRequest::parse(
                &minor("2014-01-01", "US-VA"),
                Language::EN,
                Channel::Web,
                &laws(),
                now()
            )
            .is_ok()
        );
        let ward = RawRequest {
            guardian_basis: "guardianship".into(),
            ..guardian.clone()
        };
        let r = NewRequest::parse(&ward, Language::EN, Channel::Web, &laws(), now()).unwrap();
        assert_eq!(
            r.on_behalf.unwrap().guardian,
            Some(GuardianBasis::Guardianship)
        );
        let odd_basis = RawRequest {
            guardian_basis: "neighbour".into(),
            ..guardian.clone()
        };
        let errs =
            NewRequest::parse(&odd_basis, Language::EN, Channel::Web, &laws(), now()).unwrap_err();
        assert_eq!(
            errs.code_for("guardian_basis"),
            Some("unknown_guardian_basis")
        );
        let odd = RawRequest {
            requester_kind: "cousin".into(),
            ..raw("A", "a@example.com", "access", "m")
        };
        let errs = NewRequest::parse(&odd, Language::EN, Channel::Web, &laws(), now()).unwrap_err();
        assert_eq!(
            errs.code_for("requester_kind"),
            Some("unknown_requester_kind")
        );
    }

    #[test]
    fn an_address_must_be_reachable_from_the_internet() {
        for ok in [
            "a@example.com",
            "y.tanaka+kaiji@mail.example.co.jp",
            "x@xn--eckwd4c7c.xn--zckzah",
        ] {
            assert!(SubjectEmail::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "a@b",
            "a@localhost",
            "a@example.",
            "a@.com",
            "a@1.2.3.4",
            "a@@b.com",
            "@b.com",
        ] {
            assert_eq!(
                SubjectEmail::parse(bad).err(),
                Some("invalid_email"),
                "{bad}"
            );
        }
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let errs = NewRequest::parse(
            &raw("", "not-an-email", "", " "),
            Language::EN,
            Channel::Api,
            &laws(),
            now(),
        )
        .unwrap_err();
        let got: Vec<_> = errs.iter().map(|e| (e.field.as_ref(), e.code)).collect();
        assert_eq!(
            got,
            vec![
                ("name", "required"),
                ("email", "invalid_email"),
                ("request_type", "required"),
                ("message", "required"),
            ]
        );
    }

    #[test]
    fn only_letters_may_come_without_an_email_address() {
        let no_email = raw("A", "", "access", "m");
        assert!(
            NewRequest::parse(&no_email, Language::JA, Channel::Postal, &laws(), now())
                .unwrap()
                .email
                .is_none()
        );
        let errs =
            NewRequest::parse(&no_email, Language::JA, Channel::Web, &laws(), now()).unwrap_err();
        assert_eq!(errs.code_for("email"), Some("required"));
        let bad = raw("A", "nope", "access", "m");
        assert!(NewRequest::parse(&bad, Language::JA, Channel::Postal, &laws(), now()).is_err());
    }

    #[test]
    fn limits_and_control_characters_are_enforced() {
        assert_eq!(SubjectName::parse(&"あ".repeat(201)), Err("too_long"));
        assert!(SubjectName::parse(&"あ".repeat(200)).is_ok());
        assert_eq!(SubjectName::parse("a\u{0}b"), Err("invalid_characters"));
        assert_eq!(SubjectName::parse("a\nb"), Err("invalid_characters"));
        assert_eq!(RequestMessage::parse(&"x".repeat(5001)), Err("too_long"));
        assert!(RequestMessage::parse("line1\r\nline2\tend").is_ok());
        assert_eq!(
            SubjectEmail::parse(&format!("{}@example.com", "a".repeat(250))),
            Err("too_long")
        );
        assert_eq!("X".parse::<RightCode>(), Err("unknown_request_type"));
    }

    #[test]
    fn personal_data_never_shows_in_debug() {
        let r = NewRequest::parse(
            &raw(
                "Secret Name",
                "secret@example.com",
                "deletion",
                "secret text",
            ),
            Language::EN,
            Channel::Web,
            &laws(),
            now(),
        )
        .unwrap();
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("Secret"));
        assert!(!dbg.contains("secret"));
    }

    #[test]
    fn receipt_numbers_have_a_fixed_shape() {
        let d = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert_eq!(ReceiptNumber::new(d, 42).as_str(), "KJ-20261122-00000042");
        assert_eq!(
            ReceiptNumber::new(d, 1_234_567_890).as_str(),
            "KJ-20261122-34567890"
        );
    }
}
