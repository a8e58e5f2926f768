//! The register of personal data provided to third parties and received from them (APPI Arts. 29–30):
//! what a record must hold, how long it is kept, and which records may be a requester's, for the
//! officer to confirm before they are disclosed (Art. 33(5)).
//!
//! The law's numbers and words (how a record was made and how long each is kept, the bases of a
//! provision) are the regime's data (`[provision_records]` in `seeds/regimes`); this module knows the
//! kinds of rule only.

use chrono::{Days, NaiveDate};

use super::FieldErrors;
use super::deadline::{Period, add_days, add_months};
use super::definition::Label;
use super::field::{bounded, clean_text};
use super::kana;
use super::postal::parse_date;
use super::request::SubjectEmail;
use crate::domain::code::{apply, coded};

/// A regime's rules for its register of provision records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionRules {
    /// How a record was made, each with how long it is kept.
    pub methods: Vec<ProvisionMethod>,
    /// On what the data went to the third party (consent, opt-out, ...).
    pub bases: Vec<Coded>,
}

/// How a record was made, and how long it is kept from the last provision it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionMethod {
    pub code: String,
    pub label: Label,
    pub keep: Period,
}

/// A code with its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coded {
    pub code: String,
    pub label: Label,
}

impl ProvisionRules {
    pub fn method(&self, code: &str) -> Option<&ProvisionMethod> {
        self.methods.iter().find(|m| m.code == code)
    }

    pub fn basis(&self, code: &str) -> Option<&Coded> {
        self.bases.iter().find(|b| b.code == code)
    }
}

/// Which way the data went.
#[apply(coded)]
pub enum Direction {
    /// Given to a third party (Art. 29).
    Provided,
    /// Received from a third party, after confirming who they are and how they came by it (Art. 30).
    Received,
}

/// A record as an officer types it in, or a system posts it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawProvisionRecord {
    pub direction: String,
    pub method: String,
    pub basis: String,
    pub provided_on: String,
    pub last_provided_on: String,
    pub counterparty_name: String,
    pub counterparty_address: String,
    pub counterparty_representative: String,
    pub acquired_how: String,
    pub person_name: String,
    pub person_kana: String,
    pub person_email: String,
    pub person_address: String,
    pub items: String,
}

/// Who a record is about, as it names them.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonOnRecord {
    pub name: String,
    pub kana: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

// Personal data: Debug never shows it, so it cannot reach a log.
impl std::fmt::Debug for PersonOnRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonOnRecord(<redacted>)")
    }
}

impl PersonOnRecord {
    /// The folded name and kana, and the lower-cased address, that a requester is looked up by.
    pub fn keys(&self) -> PersonKeys {
        PersonKeys {
            name: kana::fold(&self.name),
            kana: self
                .kana
                .as_deref()
                .map(kana::fold)
                .filter(|k| !k.is_empty()),
            email: self.email.as_deref().map(str::to_lowercase),
        }
    }
}

/// What a requester and a record are compared by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonKeys {
    pub name: String,
    pub kana: Option<String>,
    pub email: Option<String>,
}

/// Why a record may be the requester's: the officer confirms it before it is disclosed.
#[apply(coded)]
pub enum LikelyBy {
    Email,
    Name,
    Kana,
}

/// Why the record keyed `record` may be the requester's, if it may: the e-mail address first, then
/// the written name, then the name in kana (spaces, width, small kana and dashes folded).
pub fn likely_by(record: &PersonKeys, requester: &PersonKeys) -> Option<LikelyBy> {
    let same = |a: &Option<String>, b: &Option<String>| matches!((a, b), (Some(a), Some(b)) if !a.is_empty() && a == b);
    if same(&record.email, &requester.email) {
        Some(LikelyBy::Email)
    } else if !record.name.is_empty() && record.name == requester.name {
        Some(LikelyBy::Name)
    } else if same(&record.kana, &requester.kana) {
        Some(LikelyBy::Kana)
    } else {
        None
    }
}

/// A record of one provision (or a run of them under one record), checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionRecord {
    pub direction: Direction,
    pub method: String,
    pub basis: String,
    pub provided_on: NaiveDate,
    /// For a record that covers repeated provision: the last one so far.
    pub last_provided_on: Option<NaiveDate>,
    pub counterparty_name: String,
    pub counterparty_address: Option<String>,
    pub counterparty_representative: Option<String>,
    /// How the provider came by the data (Art. 30(1)(ii)); received records only.
    pub acquired_how: Option<String>,
    pub person: PersonOnRecord,
    /// The items of personal data.
    pub items: String,
    /// The last day the record must be kept.
    pub kept_until: NaiveDate,
}

const NAME_MAX: usize = 200;
const ADDRESS_MAX: usize = 500;
const TEXT_MAX: usize = 2000;

fn optional(raw: &str, max: usize) -> Result<Option<String>, &'static str> {
    let t = clean_text(raw, false)?;
    if t.is_empty() {
        Ok(None)
    } else if t.chars().count() > max {
        Err("too_long")
    } else {
        Ok(Some(t))
    }
}

/// The last day a record made by `method` is kept: the period counted from the day of the last
/// provision it covers, that day included (規則第21条「起算して…を経過する日まで」): it ends the day
/// before the corresponding day, or, counted in months where the last month has no corresponding day
/// (29 February a year on), on that month's last day (民法第143条第2項ただし書).
pub fn kept_until(last: NaiveDate, keep: Period) -> Option<NaiveDate> {
    let end = match keep {
        Period::Days(n) => add_days(last, i64::from(n)).ok()?,
        Period::Weeks(n) => add_days(last, i64::from(n) * 7).ok()?,
        Period::Months(n) => {
            let end = add_months(last, n).ok()?;
            if chrono::Datelike::day(&end) != chrono::Datelike::day(&last) {
                // No corresponding day: `add_months` clamped to the month's end, which is the last day.
                return Some(end);
            }
            end
        }
        // Refused when the regime is read: a retention is not counted in business days.
        Period::BusinessDays(_) => return None,
    };
    end.checked_sub_days(Days::new(1))
}

impl ProvisionRecord {
    pub fn parse(
        raw: &RawProvisionRecord,
        rules: &ProvisionRules,
        today: NaiveDate,
    ) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::new();
        let direction = e.check(
            "direction",
            match raw.direction.trim() {
                "" => Err("required"),
                d => d.parse::<Direction>().map_err(|_| "unknown_direction"),
            },
        );
        let method = e.check(
            "method",
            match raw.method.trim() {
                "" => Err("required"),
                m => rules.method(m).ok_or("unknown_method"),
            },
        );
        let basis = e.check(
            "basis",
            match raw.basis.trim() {
                "" => Err("required"),
                b => rules
                    .basis(b)
                    .map(|b| b.code.clone())
                    .ok_or("unknown_basis"),
            },
        );
        let not_future = |d: NaiveDate| {
            if d > today {
                Err("date_in_future")
            } else {
                Ok(d)
            }
        };
        let provided_on = e.check(
            "provided_on",
            parse_date(&raw.provided_on).and_then(not_future),
        );
        let last_provided_on = e
            .check_optional("last_provided_on", &raw.last_provided_on, |s| {
                parse_date(s)
                    .and_then(not_future)
                    .and_then(|d| match provided_on {
                        Some(first) if d < first => Err("before_the_first"),
                        _ => Ok(d),
                    })
            })
            .flatten();
        let counterparty_name = e.check(
            "counterparty_name",
            bounded(&raw.counterparty_name, NAME_MAX),
        );
        // A provider's name and address are what Art. 30(1)(i) has the receiver confirm.
        let counterparty_address = e.check(
            "counterparty_address",
            optional(&raw.counterparty_address, ADDRESS_MAX).and_then(|a| match (a, direction) {
                (None, Some(Direction::Received)) => Err("required"),
                (a, _) => Ok(a),
            }),
        );
        let counterparty_representative = e.check(
            "counterparty_representative",
            optional(&raw.counterparty_representative, NAME_MAX),
        );
        let acquired_how = e.check(
            "acquired_how",
            optional(&raw.acquired_how, TEXT_MAX).and_then(|a| match (a, direction) {
                (None, Some(Direction::Received)) => Err("required"),
                (Some(_), Some(Direction::Provided)) => Err("only_when_received"),
                (a, _) => Ok(a),
            }),
        );
        let name = e.check("person_name", bounded(&raw.person_name, NAME_MAX));
        let kana = e.check("person_kana", optional(&raw.person_kana, NAME_MAX));
        let email = e
            .check_optional("person_email", &raw.person_email, SubjectEmail::parse)
            .map(|m| m.map(|m| m.as_ref().to_owned()));
        let address = e.check("person_address", optional(&raw.person_address, ADDRESS_MAX));
        let items = e.check("items", {
            let t = clean_text(&raw.items, true);
            t.and_then(|t| match t.chars().count() {
                0 => Err("required"),
                n if n > TEXT_MAX => Err("too_long"),
                _ => Ok(t),
            })
        });
        let kept = match (method, provided_on) {
            (Some(m), Some(first)) => kept_until(last_provided_on.unwrap_or(first), m.keep)
                .or_else(|| {
                    e.push("provided_on", "out_of_range");
                    None
                }),
            _ => None,
        };
        let person = match (name, kana, email, address) {
            (Some(name), Some(kana), Some(email), Some(address)) => Some(PersonOnRecord {
                name,
                kana,
                email,
                address,
            }),
            _ => None,
        };
        let parsed = match (
            direction,
            method,
            basis,
            provided_on,
            counterparty_name,
            counterparty_address,
            counterparty_representative,
            acquired_how,
            person,
            items,
            kept,
        ) {
            (
                Some(direction),
                Some(method),
                Some(basis),
                Some(provided_on),
                Some(counterparty_name),
                Some(counterparty_address),
                Some(counterparty_representative),
                Some(acquired_how),
                Some(person),
                Some(items),
                Some(kept_until),
            ) => Some(ProvisionRecord {
                direction,
                method: method.code.clone(),
                basis,
                provided_on,
                last_provided_on,
                counterparty_name,
                counterparty_address,
                counterparty_representative,
                acquired_how,
                person,
                items,
                kept_until,
            }),
            _ => None,
        };
        e.into_result(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn rules() -> ProvisionRules {
        let coded = |c: &str| Coded {
            code: c.into(),
            label: Label::plain(c),
        };
        ProvisionRules {
            methods: vec![
                ProvisionMethod {
                    code: "individual".into(),
                    label: Label::plain("individual"),
                    keep: Period::Months(36),
                },
                ProvisionMethod {
                    code: "with_goods_or_services".into(),
                    label: Label::plain("contract"),
                    keep: Period::Months(12),
                },
            ],
            bases: vec![coded("consent"), coded("opt_out")],
        }
    }

    fn provided() -> RawProvisionRecord {
        RawProvisionRecord {
            direction: "provided".into(),
            method: "individual".into(),
            basis: "consent".into(),
            provided_on: "2026-04-01".into(),
            counterparty_name: "株式会社サンプル物流".into(),
            person_name: "山田 太郎".into(),
            person_kana: "ﾔﾏﾀﾞ ﾀﾛｳ".into(),
            person_email: "Taro@Example.jp".into(),
            items: "氏名、住所、電話番号".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_record_is_kept_from_its_last_provision_that_day_included() {
        let r = ProvisionRecord::parse(&provided(), &rules(), d("2026-12-06")).unwrap();
        assert_eq!(r.kept_until, d("2029-03-31"));
        assert_eq!(r.person.email.as_deref(), Some("Taro@Example.jp"));
        let mut raw = provided();
        raw.method = "with_goods_or_services".into();
        raw.last_provided_on = "2026-02-28".into();
        raw.provided_on = "2025-02-28".into();
        let r = ProvisionRecord::parse(&raw, &rules(), d("2026-12-06")).unwrap();
        assert_eq!(r.kept_until, d("2027-02-27"));
        // 29 February has no corresponding day a year on: the period ends on 28 February, the
        // month's last day (民法第143条第2項ただし書), not the day before it.
        assert_eq!(
            kept_until(d("2024-02-29"), Period::Months(12)),
            Some(d("2025-02-28"))
        );
        assert_eq!(
            kept_until(d("2026-01-31"), Period::Months(1)),
            Some(d("2026-02-28"))
        );
        assert_eq!(
            kept_until(d("2026-01-30"), Period::Months(1)),
            Some(d("2026-02-28")),
            "30 January has no corresponding day in February either"
        );
        assert_eq!(
            kept_until(d("2026-01-28"), Period::Months(1)),
            Some(d("2026-02-27"))
        );
        assert_eq!(kept_until(d("2026-01-01"), Period::BusinessDays(5)), None);
    }

    #[test]
    fn a_received_record_names_the_provider_and_how_they_came_by_it() {
        let mut raw = provided();
        raw.direction = "received".into();
        let e = ProvisionRecord::parse(&raw, &rules(), d("2026-12-06")).unwrap_err();
        assert_eq!(e.code_for("counterparty_address"), Some("required"));
        assert_eq!(e.code_for("acquired_how"), Some("required"));
        raw.counterparty_address = "東京都千代田区1-1".into();
        raw.acquired_how = "本人から会員登録時に取得".into();
        let r = ProvisionRecord::parse(&raw, &rules(), d("2026-12-06")).unwrap();
        assert_eq!(r.direction, Direction::Received);
        let mut raw = provided();
        raw.acquired_how = "x".into();
        let e = ProvisionRecord::parse(&raw, &rules(), d("2026-12-06")).unwrap_err();
        assert_eq!(e.code_for("acquired_how"), Some("only_when_received"));
    }

    #[test]
    fn every_bad_field_is_named() {
        let raw = RawProvisionRecord {
            direction: "sideways".into(),
            method: "by_fax".into(),
            basis: "whim".into(),
            provided_on: "2027-01-01".into(),
            last_provided_on: "2026-01-01".into(),
            counterparty_name: "x".repeat(201),
            person_name: "\u{202E}evil".into(),
            person_email: "not an address".into(),
            items: String::new(),
            ..Default::default()
        };
        let e = ProvisionRecord::parse(&raw, &rules(), d("2026-12-06")).unwrap_err();
        let codes: Vec<(&str, &str)> = e.iter().map(|e| (e.field.as_ref(), e.code)).collect();
        assert_eq!(
            codes,
            [
                ("direction", "unknown_direction"),
                ("method", "unknown_method"),
                ("basis", "unknown_basis"),
                ("provided_on", "date_in_future"),
                ("counterparty_name", "too_long"),
                ("person_name", "invalid_characters"),
                ("person_email", "invalid_email"),
                ("items", "required"),
            ]
        );
        let mut raw = provided();
        raw.last_provided_on = "2026-03-31".into();
        let e = ProvisionRecord::parse(&raw, &rules(), d("2026-12-06")).unwrap_err();
        assert_eq!(e.code_for("last_provided_on"), Some("before_the_first"));
    }

    #[test]
    fn a_requester_is_found_by_address_then_name_then_kana() {
        let r = ProvisionRecord::parse(&provided(), &rules(), d("2026-12-06")).unwrap();
        let keys = r.person.keys();
        let asker = |name: &str, kana: Option<&str>, email: Option<&str>| {
            PersonOnRecord {
                name: name.into(),
                kana: kana.map(Into::into),
                email: email.map(Into::into),
                address: None,
            }
            .keys()
        };
        assert_eq!(
            likely_by(&keys, &asker("別人", None, Some("taro@example.JP"))),
            Some(LikelyBy::Email)
        );
        assert_eq!(
            likely_by(&keys, &asker("山田　太郎", None, None)),
            Some(LikelyBy::Name)
        );
        assert_eq!(
            likely_by(&keys, &asker("山田 太朗", Some("やまだ たろう"), None)),
            Some(LikelyBy::Kana)
        );
        assert_eq!(likely_by(&keys, &asker("佐藤 花子", None, None)), None);
        // Nothing given matches nothing: an empty kana or address is no evidence.
        let blank = PersonKeys {
            name: String::new(),
            kana: Some(String::new()),
            email: None,
        };
        assert_eq!(likely_by(&blank, &blank), None);
    }

    proptest! {
        #[test]
        fn a_record_is_kept_at_least_its_period_and_never_a_day_more(
            days in 0u32..20_000, months in 1u32..120
        ) {
            let last = d("1990-01-01") + chrono::Duration::days(i64::from(days));
            let until = kept_until(last, Period::Months(months)).unwrap();
            let same_day = add_months(last, months).unwrap();
            prop_assert!(until >= last);
            if chrono::Datelike::day(&same_day) == chrono::Datelike::day(&last) {
                // The day before the corresponding day.
                prop_assert_eq!(until + chrono::Duration::days(1), same_day);
            } else {
                // No corresponding day: the last day of that month.
                prop_assert_eq!(until, same_day);
                prop_assert!(chrono::Datelike::month(&(until + chrono::Duration::days(1)))
                    != chrono::Datelike::month(&until));
            }
        }
    }
}
