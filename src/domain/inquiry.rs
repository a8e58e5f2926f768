//! Inquiries and complaints about how personal data is handled: a kind of matter of its own, not a
//! right under one law (seed 004 §6's desk; APPI Art. 40; the UK's complaints to controllers, DPA 2018
//! s. 164A). Each is recorded, acknowledged and answered, with the dates the desk sets itself
//! (`seeds/inquiries.toml`) and, where the person's law sets a shorter one, that date instead.

use chrono::NaiveDate;
use serde::Deserialize;

use super::FieldErrors;
use super::deadline::{Period, RawPeriod, add_days, add_months};
use super::definition::{DefinitionError, Label};
use super::field::{bounded, clean_text};
use super::notice::NoticeChannel;
use super::postal::parse_date;
use super::request::{LawBook, PlaceCode, SubjectEmail, SubjectName};
use crate::domain::code::{apply, coded};

/// The desk's kinds of matter, with its own targets (`seeds/inquiries.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InquiryRules {
    pub version: i64,
    pub kinds: Vec<InquiryKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InquiryKind {
    pub code: String,
    pub label: Label,
    /// What the person is told the kind is for, on the form.
    pub hint: Option<Label>,
    /// The desk acknowledges within this, from the day it arrived.
    pub acknowledge: Period,
    /// And answers within this.
    pub answer: Period,
}

/// What a law says of complaints made to the business (a regime's `[complaints]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LawOnComplaints {
    /// Where the duty is (APPI Art. 40; DPA 2018 s. 164A).
    pub article: Label,
    /// The kinds of matter the law's period applies to.
    pub kinds: Vec<String>,
    /// Acknowledged within this, where the law fixes it.
    pub acknowledge: Option<Period>,
    /// For matters arriving on or after this day (the duty's commencement).
    pub from: Option<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    version: i64,
    kinds: Vec<RawKind>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKind {
    code: String,
    label: Label,
    hint: Option<Label>,
    acknowledge: RawPeriod,
    answer: RawPeriod,
}

/// A period a desk or a law counts in calendar terms (days, weeks, months), checked.
pub(crate) fn calendar_period(raw: &RawPeriod) -> Result<Period, String> {
    match raw.period()? {
        Period::BusinessDays(_) => Err("count it in days, weeks or months".into()),
        p => Ok(p),
    }
}

fn invalid(reason: String) -> DefinitionError {
    DefinitionError { line: None, reason }
}

impl InquiryRules {
    pub fn parse(src: &str) -> Result<Self, DefinitionError> {
        let raw: RawRules = toml::from_str(src).map_err(|e| DefinitionError {
            line: e
                .span()
                .map(|s| src[..s.start.min(src.len())].matches('\n').count() + 1),
            reason: e.message().to_owned(),
        })?;
        if raw.version < 1 {
            return Err(invalid("version must be 1 or more".into()));
        }
        let mut kinds: Vec<InquiryKind> = Vec::new();
        for k in raw.kinds {
            if k.code.is_empty() || !k.code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                return Err(invalid(format!(
                    "kind `{}` must be lower-case letters or `_`",
                    k.code
                )));
            }
            if kinds.iter().any(|x| x.code == k.code) {
                return Err(invalid(format!("kind `{}` is listed twice", k.code)));
            }
            let period = |p: &RawPeriod, what: &str| {
                calendar_period(p)
                    .map_err(|why| invalid(format!("kind `{}` {what}: {why}", k.code)))
            };
            kinds.push(InquiryKind {
                acknowledge: period(&k.acknowledge, "acknowledge")?,
                answer: period(&k.answer, "answer")?,
                code: k.code,
                label: k.label,
                hint: k.hint,
            });
        }
        if kinds.is_empty() {
            return Err(invalid("the desk takes at least one kind of matter".into()));
        }
        Ok(InquiryRules {
            version: raw.version,
            kinds,
        })
    }

    pub fn kind(&self, code: &str) -> Option<&InquiryKind> {
        self.kinds.iter().find(|k| k.code == code)
    }
}

/// `start` plus a calendar period.
pub fn after(start: NaiveDate, p: Period) -> Option<NaiveDate> {
    match p {
        Period::Days(n) => add_days(start, i64::from(n)).ok(),
        Period::Weeks(n) => add_days(start, i64::from(n) * 7).ok(),
        Period::Months(n) => add_months(start, n).ok(),
        Period::BusinessDays(_) => None,
    }
}

/// When a matter arriving on `received_on` is to be acknowledged and answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dues {
    pub acknowledge_on: NaiveDate,
    pub answer_on: NaiveDate,
    /// The law's own date, where it sets one for this kind (reports count it).
    pub law_acknowledge_on: Option<NaiveDate>,
}

pub fn dues(kind: &InquiryKind, law: Option<&LawOnComplaints>, received_on: NaiveDate) -> Dues {
    let own = after(received_on, kind.acknowledge).unwrap_or(received_on);
    let law_acknowledge_on = law
        .filter(|l| l.kinds.contains(&kind.code))
        .filter(|l| l.from.is_none_or(|from| received_on >= from))
        .and_then(|l| l.acknowledge)
        .and_then(|p| after(received_on, p));
    Dues {
        acknowledge_on: law_acknowledge_on.map_or(own, |l| l.min(own)),
        answer_on: after(received_on, kind.answer).unwrap_or(received_on),
        law_acknowledge_on,
    }
}

/// How a matter reached the desk.
#[apply(coded)]
pub enum InquiryChannel {
    /// The public form.
    Web,
    Postal,
    Email,
    Phone,
    Visit,
}

/// How the desk told the person their matter was received: by the notice's channel, in person (by
/// telephone or at the desk: nothing to send), or with the answer itself when that came first.
#[apply(coded)]
pub enum AcknowledgedHow {
    Email,
    Letter,
    InPerson,
    WithAnswer,
}

impl From<NoticeChannel> for AcknowledgedHow {
    fn from(channel: NoticeChannel) -> Self {
        match channel {
            NoticeChannel::Email => AcknowledgedHow::Email,
            NoticeChannel::Letter => AcknowledgedHow::Letter,
        }
    }
}

/// A matter as typed on the public form or by an officer who took it by post, telephone or in person.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RawInquiry {
    pub kind: String,
    pub place: String,
    pub name: String,
    pub email: String,
    pub postal_address: String,
    pub subject: String,
    pub body: String,
    /// The receipt number of a request it is about, if any.
    pub about: String,
    /// Staff only: how it came, and the day it arrived.
    pub channel: String,
    pub received_on: String,
}

/// A matter, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInquiry {
    pub kind: String,
    pub place: PlaceCode,
    pub channel: InquiryChannel,
    pub name: SubjectName,
    pub email: Option<SubjectEmail>,
    pub postal_address: Option<String>,
    pub subject: String,
    pub body: String,
    pub about: Option<String>,
    pub received_on: NaiveDate,
}

pub const SUBJECT_MAX: usize = 200;
pub const BODY_MAX: usize = 5000;
pub const ANSWER_MAX: usize = 10_000;

impl NewInquiry {
    /// `channel` is `None` for the public form (web, today); an officer names how it came and when.
    pub fn parse(
        raw: &RawInquiry,
        rules: &InquiryRules,
        laws: &dyn LawBook,
        staff: bool,
        today: NaiveDate,
    ) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = e.check(
            "kind",
            match raw.kind.trim() {
                "" => Err("required"),
                k => rules.kind(k).map(|k| k.code.clone()).ok_or("unknown_kind"),
            },
        );
        let place = e.check("place", laws.served_place(raw.place.trim()));
        let channel = if staff {
            e.check(
                "channel",
                match raw.channel.trim() {
                    "" => Err("required"),
                    // The form records its own: an officer names how it came otherwise.
                    c => match c.parse::<InquiryChannel>() {
                        Ok(InquiryChannel::Web) | Err(_) => Err("unknown_channel"),
                        Ok(ch) => Ok(ch),
                    },
                },
            )
        } else {
            Some(InquiryChannel::Web)
        };
        let received_on = if staff {
            e.check(
                "received_on",
                parse_date(&raw.received_on).and_then(|d| {
                    if d > today {
                        Err("date_in_future")
                    } else {
                        Ok(d)
                    }
                }),
            )
        } else {
            Some(today)
        };
        let name = e.check("name", SubjectName::parse(&raw.name));
        // The form answers by e-mail only: an address typed there would have the desk post letters to
        // whomever a stranger names. An officer may record a postal address for a matter that came by
        // post, telephone or in person.
        let email = if staff {
            e.check_optional("email", &raw.email, SubjectEmail::parse)
        } else {
            e.check("email", SubjectEmail::parse(&raw.email).map(Some))
        };
        let postal_address = if staff {
            e.check(
                "postal_address",
                clean_text(&raw.postal_address, true).and_then(|a| match a.chars().count() {
                    0 => Ok(None),
                    n if n > 500 => Err("too_long"),
                    _ => Ok(Some(a)),
                }),
            )
        } else {
            Some(None)
        };
        if let (Some(None), Some(None)) = (&email, &postal_address) {
            e.push("postal_address", "required");
        }
        let subject = e.check("subject", bounded(&raw.subject, SUBJECT_MAX));
        let body = e.check(
            "body",
            clean_text(&raw.body, true).and_then(|b| match b.chars().count() {
                0 => Err("required"),
                n if n > BODY_MAX => Err("too_long"),
                _ => Ok(b),
            }),
        );
        let about = e.check(
            "about",
            clean_text(&raw.about, false).and_then(|a| match a.chars().count() {
                0 => Ok(None),
                n if n > 40 => Err("too_long"),
                _ => Ok(Some(a.to_uppercase())),
            }),
        );
        let parsed = match (
            kind,
            place,
            channel,
            name,
            email,
            postal_address,
            subject,
            body,
            about,
            received_on,
        ) {
            (
                Some(kind),
                Some(place),
                Some(channel),
                Some(name),
                Some(email),
                Some(postal_address),
                Some(subject),
                Some(body),
                Some(about),
                Some(received_on),
            ) => Some(NewInquiry {
                kind,
                place,
                channel,
                name,
                email,
                postal_address,
                subject,
                body,
                about,
                received_on,
            }),
            _ => None,
        };
        e.into_result(parsed)
    }
}

/// An answer as the officer writes it: required, at most `ANSWER_MAX` characters.
pub fn parse_answer(raw: &str) -> Result<String, &'static str> {
    super::field::required_text(raw, true, ANSWER_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::law::Laws;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn rules() -> InquiryRules {
        InquiryRules::parse(include_str!("../../seeds/inquiries.toml")).unwrap()
    }

    #[test]
    fn the_shipped_desk_takes_inquiries_and_complaints() {
        let r = rules();
        let codes: Vec<&str> = r.kinds.iter().map(|k| k.code.as_str()).collect();
        assert_eq!(codes, ["inquiry", "complaint"]);
        for bad in [
            "version = 1\nkinds = []\n",
            "version = 0\n[[kinds]]\ncode = \"a\"\nlabel = { en = \"A\" }\nacknowledge = { days = 1 }\nanswer = { days = 1 }\n",
            "version = 1\n[[kinds]]\ncode = \"A\"\nlabel = { en = \"A\" }\nacknowledge = { days = 1 }\nanswer = { days = 1 }\n",
            "version = 1\n[[kinds]]\ncode = \"a\"\nlabel = { en = \"A\" }\nacknowledge = { business_days = 1 }\nanswer = { days = 1 }\n",
        ] {
            assert!(InquiryRules::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_law_that_fixes_a_shorter_acknowledgement_wins_from_its_first_day() {
        let kind = InquiryKind {
            code: "complaint".into(),
            label: Label::plain("c"),
            hint: None,
            acknowledge: Period::Months(2),
            answer: Period::Months(3),
        };
        let uk = LawOnComplaints {
            article: Label::plain("s. 164A"),
            kinds: vec!["complaint".into()],
            acknowledge: Some(Period::Days(30)),
            from: Some(d("2026-06-19")),
        };
        let before = dues(&kind, Some(&uk), d("2026-06-18"));
        assert_eq!(before.acknowledge_on, d("2026-08-18"));
        assert_eq!(before.law_acknowledge_on, None);
        let after = dues(&kind, Some(&uk), d("2026-06-19"));
        assert_eq!(after.acknowledge_on, d("2026-07-19"));
        assert_eq!(after.law_acknowledge_on, Some(d("2026-07-19")));
        assert_eq!(after.answer_on, d("2026-09-19"));
        // A law's period never lengthens the desk's own.
        let quick = InquiryKind {
            acknowledge: Period::Days(5),
            ..kind.clone()
        };
        assert_eq!(
            dues(&quick, Some(&uk), d("2026-12-01")).acknowledge_on,
            d("2026-12-06")
        );
        // Nor does it touch a kind it does not name.
        let inquiry = InquiryKind {
            code: "inquiry".into(),
            ..kind
        };
        assert_eq!(
            dues(&inquiry, Some(&uk), d("2026-12-01")).law_acknowledge_on,
            None
        );
    }

    fn raw() -> RawInquiry {
        RawInquiry {
            kind: "complaint".into(),
            place: "JP".into(),
            name: "山田 太郎".into(),
            email: "taro@example.jp".into(),
            subject: "回答が届きません".into(),
            body: "開示請求の回答がまだ届きません。".into(),
            about: "kj-20261119-00000001".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_public_form_needs_an_email_and_staff_name_how_and_when_it_came() {
        let laws = Laws::shipped();
        let today = d("2026-12-06");
        let q = NewInquiry::parse(&raw(), &rules(), &laws, false, today).unwrap();
        assert_eq!(
            (q.channel, q.received_on, q.about.as_deref()),
            (InquiryChannel::Web, today, Some("KJ-20261119-00000001"))
        );
        let mut no_mail = raw();
        no_mail.email = String::new();
        no_mail.postal_address = "東京都千代田区1-1".into();
        let e = NewInquiry::parse(&no_mail, &rules(), &laws, false, today).unwrap_err();
        assert_eq!(e.code_for("email"), Some("required"));
        let e = NewInquiry::parse(&no_mail, &rules(), &laws, true, today).unwrap_err();
        assert_eq!(e.code_for("channel"), Some("required"));
        assert_eq!(e.code_for("received_on"), Some("required"));
        no_mail.channel = "phone".into();
        no_mail.received_on = "2026-12-04".into();
        let q = NewInquiry::parse(&no_mail, &rules(), &laws, true, today).unwrap();
        assert_eq!(q.channel, InquiryChannel::Phone);
        let bad = RawInquiry {
            kind: "gossip".into(),
            place: "atlantis".into(),
            body: "x".repeat(BODY_MAX + 1),
            channel: "fax".into(),
            received_on: "2026-12-07".into(),
            ..Default::default()
        };
        let e = NewInquiry::parse(&bad, &rules(), &laws, true, today).unwrap_err();
        let codes: Vec<(&str, &str)> = e.iter().map(|e| (e.field.as_ref(), e.code)).collect();
        assert_eq!(
            codes,
            [
                ("kind", "unknown_kind"),
                ("place", "unknown_jurisdiction"),
                ("channel", "unknown_channel"),
                ("received_on", "date_in_future"),
                ("name", "required"),
                ("postal_address", "required"),
                ("subject", "required"),
                ("body", "too_long"),
            ]
        );
        assert_eq!(parse_answer("  "), Err("required"));
        assert_eq!(parse_answer("\u{202E}x"), Err("invalid_characters"));
    }
}
