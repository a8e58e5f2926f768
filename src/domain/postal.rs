//! Requests that arrive by post: how the envelope came (mail class), Japan Post's tracking numbers, and
//! who is asking (the person, an agent, a legal agent).

use std::fmt;

use serde::Serialize;

use crate::domain::code::{apply, coded};

/// How a request reached the desk. The procedure names the classes it accepts; anything else is
/// recorded and answered with the "channel not accepted" letter.
#[apply(coded)]
pub enum MailClass {
    /// 簡易書留郵便
    SimpleRegistered,
    /// 配達証明付書留郵便
    RegisteredWithDeliveryCertificate,
    /// 普通郵便 (no tracking)
    Ordinary,
    Fax,
    Email,
    Telephone,
    /// A visit to the office.
    Visit,
}

impl MailClass {
    /// Registered classes carry a tracking number (お問い合わせ番号).
    pub fn is_registered(self) -> bool {
        matches!(
            self,
            MailClass::SimpleRegistered | MailClass::RegisteredWithDeliveryCertificate
        )
    }
}

/// Who files the request (APPI Art. 37(3) and the GMO procedure).
#[apply(coded)]
pub enum RequesterKind {
    /// ご本人
    #[strum(serialize = "self")]
    #[serde(rename = "self")]
    Person,
    /// 任意代理人: holds a power of attorney (委任状).
    Agent,
    /// 法定代理人: a parent or guardian.
    LegalAgent,
}

impl RequesterKind {
    /// As answered on a form: required, and one of the codes.
    pub fn parse_answer(raw: &str) -> Result<Self, &'static str> {
        match raw.trim() {
            "" => Err("required"),
            code => code.parse().map_err(|_| "unknown_requester_kind"),
        }
    }
}

/// A Japan Post tracking number (お問い合わせ番号) of registered mail: 11 or 12 digits whose last digit is
/// the remainder of the others, read as one number, divided by 7. Hyphens, spaces and full-width digits
/// are accepted as people write them and normalised away.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct TrackingNumber(String);

impl TrackingNumber {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let mut digits = String::new();
        for c in raw.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                // Full-width digits, as typed with a Japanese input method.
                '０'..='９' => digits.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
                '-' | '－' | '‐' | '−' | 'ー' | ' ' | '\u{3000}' => {}
                _ => return Err("invalid_characters"),
            }
        }
        if digits.is_empty() {
            return Err("required");
        }
        if !(11..=12).contains(&digits.len()) {
            return Err("tracking_number_length");
        }
        let (body, check) = digits.split_at(digits.len() - 1);
        let body: u64 = body.parse().map_err(|_| "invalid_characters")?;
        let check: u64 = check.parse().map_err(|_| "invalid_characters")?;
        if body % 7 != check {
            return Err("tracking_number_check_digit");
        }
        Ok(Self(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As printed on the receipt: 123-45-67890-1 (11 digits) or 1234-5678-9012 (12 digits).
    pub fn display(&self) -> String {
        let d = &self.0;
        if d.len() == 11 {
            format!("{}-{}-{}-{}", &d[..3], &d[3..5], &d[5..10], &d[10..])
        } else {
            format!("{}-{}-{}", &d[..4], &d[4..8], &d[8..])
        }
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for m in MailClass::ALL {
            assert_eq!(m.as_str().parse::<MailClass>(), Ok(*m));
        }
        for k in RequesterKind::ALL {
            assert_eq!(k.as_str().parse::<RequesterKind>(), Ok(*k));
        }
        assert!(MailClass::SimpleRegistered.is_registered());
        assert!(!MailClass::Fax.is_registered());
    }

    #[test]
    fn tracking_numbers_are_normalised_and_checked() {
        // 1311238385 mod 7 = 2: a registered-mail number as printed on a receipt.
        let t = TrackingNumber::parse("131-12-38385-2").unwrap();
        assert_eq!(t.as_str(), "13112383852");
        assert_eq!(t.display(), "131-12-38385-2");
        assert_eq!(
            TrackingNumber::parse("１３１－１２－３８３８５－２").unwrap(),
            t,
            "full-width"
        );
        assert_eq!(TrackingNumber::parse(" 1311 2383 852 ").unwrap(), t);
        assert_eq!(
            TrackingNumber::parse("131-12-38385-3"),
            Err("tracking_number_check_digit")
        );
        assert_eq!(
            TrackingNumber::parse("131-12-3838"),
            Err("tracking_number_length")
        );
        assert_eq!(
            TrackingNumber::parse("1311238385123"),
            Err("tracking_number_length")
        );
        assert_eq!(
            TrackingNumber::parse("131-12-3838A-2"),
            Err("invalid_characters")
        );
        assert_eq!(TrackingNumber::parse(""), Err("required"));
        // 12 digits: 11-digit body mod 7.
        let body: u64 = 12345678901;
        let twelve = format!("{body}{}", body % 7);
        let t = TrackingNumber::parse(&twelve).unwrap();
        assert_eq!(t.display(), format!("1234-5678-901{}", body % 7));
    }
}

use chrono::NaiveDate;

use super::field::{FieldErrors, clean_text};
use super::kana::KanaName;
use super::request::{
    Channel, Language, NewRequest, PlaceCode, RequestMessage, RightCode, SubjectEmail, SubjectName,
};

use crate::domain::code::Code;

/// A postal address as written on the form; replies by registered mail go there.
#[derive(Clone, PartialEq, Eq)]
pub struct PostalAddress(String);

impl fmt::Debug for PostalAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PostalAddress(<redacted>)")
    }
}

impl PostalAddress {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        super::field::required_text(raw, true, 500).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A service (サービス) a request covers; the fee is charged per service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceName(String);

impl ServiceName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        super::field::required_text(raw, false, 100).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The services a letter or a form names, one an entry: blank entries skipped, repeats counted once,
/// at least one and at most `MAX_SERVICES` (the fee is per service).
fn parse_services<'a>(
    entries: impl Iterator<Item = &'a str>,
    errors: &mut FieldErrors,
) -> Vec<ServiceName> {
    let mut services = Vec::new();
    for entry in entries.filter(|e| !e.trim().is_empty()) {
        match ServiceName::parse(entry) {
            Ok(s) if !services.contains(&s) => services.push(s),
            Ok(_) => {}
            Err(code) => errors.push("services", code),
        }
    }
    if services.is_empty() {
        errors.push("services", "required");
    } else if services.len() > MAX_SERVICES {
        errors.push("services", "too_many");
    }
    services
}

/// A date as written in a form field: `2026-03-31` (a date input) or `2026/03/31`.
/// How many days before its arrival a letter's form is dated, when that is more than `max_days`: the
/// documents' one-month rule counts from the form's date, so an old date deserves a second look.
pub fn form_dated_long_before(
    request_date: NaiveDate,
    received_on: NaiveDate,
    max_days: u32,
) -> Option<i64> {
    let gap = (received_on - request_date).num_days();
    (gap > i64::from(max_days)).then_some(gap)
}

/// The tracking number of a letter sent by `class`: required for registered mail, optional (but
/// checked when given) otherwise.
pub(crate) fn tracking_for(
    class: Option<MailClass>,
    raw: &str,
    errors: &mut FieldErrors,
) -> Option<Option<TrackingNumber>> {
    if !class.is_some_and(MailClass::is_registered) && raw.trim().is_empty() {
        return Some(None);
    }
    errors.check("tracking_number", TrackingNumber::parse(raw).map(Some))
}

pub fn parse_date(raw: &str) -> Result<NaiveDate, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("required");
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .map_err(|_| "invalid_date")
}

/// An envelope's contents as the officer types them in, before parsing.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawPostalIntake {
    pub name: String,
    pub email: String,
    pub postal_address: String,
    pub message: String,
    pub received_on: String,
    pub mail_class: String,
    pub tracking_number: String,
    pub request_date: String,
    pub requester_kind: String,
    pub agent_name: String,
    /// フリガナ of the requester's and the agent's names, as the form gives them (for bank matching).
    pub name_kana: String,
    pub agent_name_kana: String,
    /// Where letters to the agent go.
    pub agent_address: String,
    pub request_types: Vec<String>,
    pub services: Vec<String>,
    pub language: String,
}

impl fmt::Debug for RawPostalIntake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawPostalIntake")
            .field("mail_class", &self.mail_class)
            .field("request_types", &self.request_types)
            .finish_non_exhaustive()
    }
}

/// A letter, checked and ready to record: one request per request type it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalIntake {
    pub name: SubjectName,
    pub email: Option<SubjectEmail>,
    /// Where letters go; a request that came by e-mail may give only its e-mail address, and is then
    /// answered by e-mail.
    pub postal_address: Option<PostalAddress>,
    pub message: RequestMessage,
    pub received_on: NaiveDate,
    pub mail_class: MailClass,
    pub tracking_number: Option<TrackingNumber>,
    pub request_date: Option<NaiveDate>,
    pub requester_kind: RequesterKind,
    pub agent_name: Option<SubjectName>,
    pub name_kana: Option<KanaName>,
    pub agent_name_kana: Option<KanaName>,
    pub agent_address: Option<PostalAddress>,
    pub request_types: Vec<RightCode>,
    pub services: Vec<ServiceName>,
    pub language: Language,
}

/// Letters older than this are typed in late, not received late: refuse the date and ask for a check.
pub const MAX_DAYS_SINCE_RECEIPT: i64 = 366;
pub const MAX_SERVICES: usize = 20;

impl PostalIntake {
    pub fn parse(raw: &RawPostalIntake, today: NaiveDate) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", SubjectName::parse(&raw.name));
        let email = errors.check_optional("email", &raw.email, SubjectEmail::parse);
        // A request that came by e-mail is answered where it came from: its postal address may be
        // missing when its e-mail address is given.
        let by_email = raw.mail_class.trim() == MailClass::Email.as_str()
            && email.as_ref().is_some_and(Option::is_some);
        let postal_address = if by_email && raw.postal_address.trim().is_empty() {
            Some(None)
        } else {
            errors.check(
                "postal_address",
                PostalAddress::parse(&raw.postal_address).map(Some),
            )
        };
        let message = errors.check(
            "message",
            if raw.message.trim().is_empty() {
                RequestMessage::parse("（郵送による請求。内容は請求書のとおり）")
            } else {
                RequestMessage::parse(&raw.message)
            },
        );
        let received_on = errors.check(
            "received_on",
            parse_date(&raw.received_on).and_then(|d| {
                if d > today {
                    Err("date_in_future")
                } else if (today - d).num_days() > MAX_DAYS_SINCE_RECEIPT {
                    Err("date_too_old")
                } else {
                    Ok(d)
                }
            }),
        );
        let mail_class = errors.check(
            "mail_class",
            raw.mail_class.trim().parse::<MailClass>().map_err(|_| {
                if raw.mail_class.trim().is_empty() {
                    "required"
                } else {
                    "unknown_mail_class"
                }
            }),
        );
        let tracking_number = tracking_for(mail_class, &raw.tracking_number, &mut errors);
        let request_date = errors.check_optional("request_date", &raw.request_date, |d| {
            parse_date(d).and_then(|d| match received_on {
                Some(r) if d > r => Err("date_after_receipt"),
                _ => Ok(d),
            })
        });
        let requester_kind = errors.check(
            "requester_kind",
            RequesterKind::parse_answer(&raw.requester_kind),
        );
        let is_agent = matches!(
            requester_kind,
            Some(RequesterKind::Agent | RequesterKind::LegalAgent)
        );
        let (agent_name, agent_name_kana, agent_address) = if is_agent {
            (
                errors.check("agent_name", SubjectName::parse(&raw.agent_name).map(Some)),
                errors.check_optional("agent_name_kana", &raw.agent_name_kana, KanaName::parse),
                errors.check(
                    "agent_address",
                    PostalAddress::parse(&raw.agent_address).map(Some),
                ),
            )
        } else {
            (Some(None), Some(None), Some(None))
        };
        let name_kana = errors.check_optional("name_kana", &raw.name_kana, KanaName::parse);
        let mut request_types = Vec::new();
        for t in &raw.request_types {
            match t.trim().parse::<RightCode>() {
                Ok(t) if !request_types.contains(&t) => request_types.push(t),
                Ok(_) => {}
                Err(code) => errors.push("request_types", code),
            }
        }
        if raw.request_types.is_empty() {
            errors.push("request_types", "required");
        }
        let services = parse_services(raw.services.iter().map(String::as_str), &mut errors);
        let language = errors.check(
            "language",
            match raw.language.trim() {
                "" => Ok(Language::JA),
                l => l.parse(),
            },
        );
        let parsed = match (
            name,
            email,
            postal_address,
            message,
            received_on,
            mail_class,
            tracking_number,
            request_date,
            requester_kind,
            (agent_name, agent_name_kana, agent_address),
            (name_kana, language),
        ) {
            (
                Some(name),
                Some(email),
                Some(postal_address),
                Some(message),
                Some(received_on),
                Some(mail_class),
                Some(tracking_number),
                Some(request_date),
                Some(requester_kind),
                (Some(agent_name), Some(agent_name_kana), Some(agent_address)),
                (Some(name_kana), Some(language)),
            ) => Some(PostalIntake {
                name,
                email,
                postal_address,
                message,
                received_on,
                mail_class,
                tracking_number,
                request_date,
                requester_kind,
                agent_name,
                name_kana,
                agent_name_kana,
                agent_address,
                request_types,
                services,
                language,
            }),
            _ => None,
        };
        errors.into_result(parsed)
    }

    /// The request this letter makes for one right, from the place the postal desk serves.
    pub fn request(&self, request_type: RightCode, place: PlaceCode) -> NewRequest {
        NewRequest {
            name: self.name.clone(),
            email: self.email.clone(),
            request_type,
            also: Vec::new(),
            account_id: None,
            period_from: None,
            message: self.message.clone(),
            jurisdiction: place,
            language: self.language,
            channel: Channel::Postal,
            // Agents by post are recorded with the envelope (requester kind, agent name).
            on_behalf: None,
        }
    }
}

#[cfg(test)]
mod intake_tests {
    use super::*;

    fn raw() -> RawPostalIntake {
        RawPostalIntake {
            name: "山田 太郎".into(),
            postal_address: "〒100-0001 東京都千代田区千代田1-1".into(),
            received_on: "2026-04-02".into(),
            mail_class: "simple_registered".into(),
            tracking_number: "131-12-38385-2".into(),
            request_date: "2026-03-31".into(),
            requester_kind: "self".into(),
            request_types: vec![
                "access".into(),
                "purpose_notification".into(),
                "access".into(),
            ],
            services: vec!["GPUクラウド".into(), "ConoHa".into(), " ".into()],
            ..RawPostalIntake::default()
        }
    }

    fn today() -> NaiveDate {
        "2026-04-03".parse().unwrap()
    }

    /// The code the letter is refused with on `field`.
    fn refusal(r: &RawPostalIntake, field: &str) -> Option<&'static str> {
        PostalIntake::parse(r, today()).unwrap_err().code_for(field)
    }

    #[test]
    fn a_registered_letter_parses() {
        let p = PostalIntake::parse(&raw(), today()).unwrap();
        assert_eq!(
            p.request_types,
            vec![
                RightCode::literal("access"),
                RightCode::literal("purpose_notification")
            ]
        );
        assert_eq!(p.services.len(), 2);
        assert_eq!(p.tracking_number.as_ref().unwrap().as_str(), "13112383852");
        assert!(p.email.is_none());
        let r = p.request(RightCode::literal("access"), PlaceCode::literal("JP"));
        assert_eq!(
            (r.channel, r.jurisdiction.as_str()),
            (Channel::Postal, "JP")
        );
    }

    #[test]
    fn every_problem_is_named() {
        let r = RawPostalIntake {
            received_on: "2026-04-05".into(),
            tracking_number: "131-12-38385-3".into(),
            request_date: "2026-04-04".into(),
            requester_kind: "agent".into(),
            request_types: vec![],
            services: vec![],
            ..raw()
        };
        let e = PostalIntake::parse(&r, today()).unwrap_err();
        for (field, code) in [
            ("received_on", "date_in_future"),
            ("tracking_number", "tracking_number_check_digit"),
            ("agent_name", "required"),
            ("request_types", "required"),
            ("services", "required"),
        ] {
            assert_eq!(e.code_for(field), Some(code), "{field}");
        }
        let r = RawPostalIntake {
            request_date: "2026-04-03".into(),
            ..raw()
        };
        assert_eq!(refusal(&r, "request_date"), Some("date_after_receipt"));
        let r = RawPostalIntake {
            received_on: "2024-01-01".into(),
            ..raw()
        };
        assert_eq!(refusal(&r, "received_on"), Some("date_too_old"));
        let r = RawPostalIntake {
            received_on: "yesterday".into(),
            ..raw()
        };
        assert_eq!(refusal(&r, "received_on"), Some("invalid_date"));
    }

    #[test]
    fn a_fax_needs_no_tracking_number() {
        let r = RawPostalIntake {
            mail_class: "fax".into(),
            tracking_number: String::new(),
            ..raw()
        };
        let p = PostalIntake::parse(&r, today()).unwrap();
        assert_eq!((p.mail_class, p.tracking_number), (MailClass::Fax, None));
        let r = RawPostalIntake {
            mail_class: "pigeon".into(),
            ..raw()
        };
        assert_eq!(refusal(&r, "mail_class"), Some("unknown_mail_class"));
    }
}

/// The three request forms of the postal procedure (弊社所定のフォーム, seed 004 section 5(1)).
#[apply(coded)]
pub enum FormKind {
    /// 個人情報開示請求書: disclosure, and (since 2022) the records of provision to third parties.
    Disclosure,
    /// 個人情報の内容の訂正等請求書: correction, addition, deletion; kaiji adds stop of use here.
    Correction,
    /// 利用目的通知請求書
    #[strum(serialize = "purpose")]
    #[serde(rename = "purpose")]
    PurposeNotification,
}

impl FormKind {
    pub fn title_ja(self) -> &'static str {
        match self {
            FormKind::Disclosure => "個人情報開示請求書",
            FormKind::Correction => "個人情報の内容の訂正等請求書",
            FormKind::PurposeNotification => "利用目的通知請求書",
        }
    }
}

/// What a requester types in online before printing a form, as submitted.
#[derive(Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawFormDraft {
    pub name: String,
    pub postal_address: String,
    pub phone: String,
    pub email: String,
    pub request_date: String,
    pub requester_kind: String,
    pub agent_name: String,
    pub name_kana: String,
    pub agent_name_kana: String,
    pub agent_address: String,
    pub services: String,
    pub details: String,
    /// `registered_mail` or `electronic` (disclosure only).
    pub delivery: String,
    /// Also ask for the records of provision to third parties (disclosure only).
    pub third_party_records: String,
    /// What to change (correction form): correction, deletion or stop_of_use.
    pub change: String,
    pub current_content: String,
    pub new_content: String,
}

impl fmt::Debug for RawFormDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawFormDraft(<redacted>)")
    }
}

/// A checked draft, ready to print. Nothing of it is stored: it goes back to the requester's printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormDraft {
    pub name: SubjectName,
    pub postal_address: PostalAddress,
    pub phone: String,
    pub email: Option<SubjectEmail>,
    pub request_date: NaiveDate,
    pub requester_kind: RequesterKind,
    pub agent_name: Option<SubjectName>,
    /// フリガナ: banks print the payer of the fee in kana.
    pub name_kana: KanaName,
    pub agent_name_kana: Option<KanaName>,
    pub agent_address: Option<PostalAddress>,
    pub services: Vec<ServiceName>,
    pub details: String,
    pub electronic_delivery: bool,
    pub third_party_records: bool,
    pub change: Option<RightCode>,
    pub current_content: String,
    pub new_content: String,
}

fn short_text(raw: &str, max: usize, multiline: bool) -> Result<String, &'static str> {
    let s = clean_text(raw, multiline)?;
    if s.chars().count() > max {
        return Err("too_long");
    }
    Ok(s)
}

impl FormDraft {
    /// `rights` are those the form asks for under its regime (`RightDef::form`), its own first.
    pub fn parse(
        form: FormKind,
        rights: &[RightCode],
        raw: &RawFormDraft,
        today: NaiveDate,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", SubjectName::parse(&raw.name));
        let postal_address =
            errors.check("postal_address", PostalAddress::parse(&raw.postal_address));
        let phone = errors.check("phone", short_text(&raw.phone, 40, false));
        let email = errors.check_optional("email", &raw.email, SubjectEmail::parse);
        let request_date = errors.check(
            "request_date",
            if raw.request_date.trim().is_empty() {
                Ok(today)
            } else {
                parse_date(&raw.request_date)
            },
        );
        let requester_kind = errors.check(
            "requester_kind",
            RequesterKind::parse_answer(&raw.requester_kind),
        );
        let is_agent = matches!(
            requester_kind,
            Some(RequesterKind::Agent | RequesterKind::LegalAgent)
        );
        let agent_name = if is_agent {
            errors.check("agent_name", SubjectName::parse(&raw.agent_name).map(Some))
        } else {
            Some(None)
        };
        let agent_address = if is_agent {
            errors.check(
                "agent_address",
                PostalAddress::parse(&raw.agent_address).map(Some),
            )
        } else {
            Some(None)
        };
        let name_kana = errors.check("name_kana", KanaName::parse(&raw.name_kana));
        let agent_name_kana = if is_agent {
            errors.check(
                "agent_name_kana",
                KanaName::parse(&raw.agent_name_kana).map(Some),
            )
        } else {
            Some(None)
        };
        let services = parse_services(raw.services.lines(), &mut errors);
        let details = errors.check("details", short_text(&raw.details, 2000, true));
        let change = if form == FormKind::Correction {
            errors.check(
                "change",
                match raw.change.trim().parse::<RightCode>() {
                    Ok(t) if rights.contains(&t) => Ok(Some(t)),
                    _ if raw.change.trim().is_empty() => Err("required"),
                    _ => Err("unknown_request_type"),
                },
            )
        } else {
            Some(None)
        };
        let current_content = errors.check(
            "current_content",
            short_text(&raw.current_content, 2000, true),
        );
        let new_content = errors.check("new_content", short_text(&raw.new_content, 2000, true));
        let electronic_delivery =
            form == FormKind::Disclosure && raw.delivery.trim() == "electronic";
        let third_party_records =
            form == FormKind::Disclosure && !raw.third_party_records.trim().is_empty();
        let parsed = match (
            name,
            postal_address,
            phone,
            email,
            request_date,
            requester_kind,
            (agent_name, agent_address),
            (name_kana, agent_name_kana),
            details,
            change,
            current_content,
            new_content,
        ) {
            (
                Some(name),
                Some(postal_address),
                Some(phone),
                Some(email),
                Some(request_date),
                Some(requester_kind),
                (Some(agent_name), Some(agent_address)),
                (Some(name_kana), Some(agent_name_kana)),
                Some(details),
                Some(change),
                Some(current_content),
                Some(new_content),
            ) => Some(FormDraft {
                name,
                postal_address,
                phone,
                email,
                request_date,
                requester_kind,
                agent_name,
                name_kana,
                agent_name_kana,
                agent_address,
                services,
                details,
                electronic_delivery,
                third_party_records,
                change,
                current_content,
                new_content,
            }),
            _ => None,
        };
        errors.into_result(parsed)
    }
}

#[cfg(test)]
mod form_tests {
    use super::*;

    #[test]
    fn drafts_parse_per_form() {
        let today: NaiveDate = "2026-11-22".parse().unwrap();
        let raw = RawFormDraft {
            name: "山田 太郎".into(),
            name_kana: "やまだ たろう".into(),
            postal_address: "東京都千代田区千代田1-1".into(),
            requester_kind: "self".into(),
            services: "GPUクラウド\nConoHa\n\nConoHa".into(),
            delivery: "electronic".into(),
            third_party_records: "on".into(),
            ..RawFormDraft::default()
        };
        let disclosure = [
            RightCode::literal("access"),
            RightCode::literal("third_party_records"),
        ];
        let changes = [
            RightCode::literal("correction"),
            RightCode::literal("deletion"),
            RightCode::literal("stop_of_use"),
        ];
        let d = FormDraft::parse(FormKind::Disclosure, &disclosure, &raw, today).unwrap();
        assert_eq!(
            (
                d.services.len(),
                d.request_date,
                d.electronic_delivery,
                d.third_party_records
            ),
            (2, today, true, true)
        );
        let e = FormDraft::parse(FormKind::Correction, &changes, &raw, today).unwrap_err();
        assert_eq!(e.code_for("change"), Some("required"));
        // A right the form does not ask for is refused, even one some law grants.
        let e = FormDraft::parse(
            FormKind::Correction,
            &changes,
            &RawFormDraft {
                change: "access".into(),
                ..raw.clone()
            },
            today,
        )
        .unwrap_err();
        assert_eq!(e.code_for("change"), Some("unknown_request_type"));
        let d = FormDraft::parse(
            FormKind::Correction,
            &changes,
            &RawFormDraft {
                change: "deletion".into(),
                ..raw.clone()
            },
            today,
        )
        .unwrap();
        assert_eq!(
            (d.change, d.electronic_delivery),
            (Some(RightCode::literal("deletion")), false)
        );
        let e = FormDraft::parse(
            FormKind::PurposeNotification,
            &[RightCode::literal("purpose_notification")],
            &RawFormDraft {
                requester_kind: "agent".into(),
                services: String::new(),
                ..raw
            },
            today,
        )
        .unwrap_err();
        assert_eq!(e.code_for("agent_name"), Some("required"));
        assert_eq!(e.code_for("agent_name_kana"), Some("required"));
        assert_eq!(e.code_for("services"), Some("required"));
        assert_eq!(d.name_kana.as_str(), "ヤマダ\u{3000}タロウ");
        let e = FormDraft::parse(
            FormKind::Disclosure,
            &disclosure,
            &RawFormDraft {
                name_kana: "山田".into(),
                ..RawFormDraft::default()
            },
            today,
        )
        .unwrap_err();
        assert_eq!(e.code_for("name_kana"), Some("not_kana"));
        for f in FormKind::ALL {
            assert_eq!(f.as_str().parse::<FormKind>(), Ok(*f));
        }
    }

    #[test]
    fn a_form_dated_long_before_it_arrived_is_flagged() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            form_dated_long_before(d("2026-10-21"), d("2026-11-20"), 30),
            None
        );
        assert_eq!(
            form_dated_long_before(d("2026-10-20"), d("2026-11-20"), 30),
            Some(31)
        );
        // A form dated after it arrived is another matter (refused at registration), never flagged here.
        assert_eq!(
            form_dated_long_before(d("2026-11-21"), d("2026-11-20"), 30),
            None
        );
    }
}
