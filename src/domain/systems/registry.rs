//! The data-system registry as an administrator writes it: who answers for each system, what it holds and
//! for which purposes, which rights it carries out, how it erases, and whom it discloses to.

use serde::Serialize;

use super::TaskKind;
use crate::domain::FieldErrors;
use crate::domain::code::Code;
use crate::domain::code::{apply, coded};
use crate::domain::field::bounded;
use crate::domain::request::{Language, SubjectEmail};

/// Whom a system discloses personal data to, which decides what they are told when a person's data
/// changes: those acting for the business are instructed to do the same, others are told and asked to.
#[apply(coded)]
pub enum RecipientRole {
    /// Processes on the business's behalf (GDPR Art. 28).
    Processor,
    /// CCPA §1798.140(ag): processes on the business's behalf under a written contract.
    ServiceProvider,
    /// CCPA §1798.140(j): receives data for a business purpose under a written contract.
    Contractor,
    /// Anyone else the data was disclosed, sold or shared to (GDPR Art. 19; CCPA §1798.105(c)(1)).
    ThirdParty,
}

impl RecipientRole {
    /// Acts for the business, so it is instructed rather than asked.
    pub fn acts_for_the_business(self) -> bool {
        !matches!(self, RecipientRole::ThirdParty)
    }
}

/// Someone a system discloses to, and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Recipient {
    pub role: RecipientRole,
    pub name: String,
    pub email: String,
    /// The language their notices are written in (kaiji must speak it).
    pub language: Language,
}

/// A data system as an administrator registers it (the form's and the API's text fields).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RawDataSystem {
    pub name: String,
    pub owner_email: String,
    /// Comma- or line-separated.
    pub categories: String,
    pub retention: String,
    pub deletion_method: String,
    /// The task kinds it carries out, comma-separated; empty: every kind.
    pub serves: String,
    /// The purposes it processes for, comma- or line-separated; may be empty.
    pub purposes: String,
    /// One per line: `role | name | email` and optionally `| language` (English by default).
    pub recipients: String,
    /// Where its data comes from (GDPR Art. 15(1)(g)); may be empty.
    pub sources: String,
    /// The automated decision-making it does, with its logic and effects (Art. 15(1)(h)); empty: none
    /// declared.
    pub automated_decisions: String,
    /// Fields it holds but never discloses (CCPA Regs. §7024(d)), comma- or line-separated.
    pub never_disclose: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataSystem {
    pub name: String,
    pub owner_email: String,
    pub categories: Vec<String>,
    pub retention: String,
    pub deletion_method: String,
    pub serves: Vec<TaskKind>,
    pub purposes: Vec<String>,
    pub recipients: Vec<Recipient>,
    pub sources: String,
    pub automated_decisions: String,
    pub never_disclose: Vec<String>,
}

fn list(raw: &str) -> Vec<String> {
    raw.split([',', '\n', '、'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn short_list(raw: &str, required: bool) -> Result<Vec<String>, &'static str> {
    let items = list(raw);
    if required && items.is_empty() {
        Err("required")
    } else if items.len() > 50 || items.iter().any(|c| c.chars().count() > 100) {
        Err("too_long")
    } else {
        Ok(items)
    }
}

/// Text that may be left empty, at most `max` characters.
fn optional_text(raw: &str, max: usize) -> Result<String, &'static str> {
    if raw.trim().is_empty() {
        Ok(String::new())
    } else {
        bounded(raw, max)
    }
}

/// The task kinds a system serves, as typed; empty means every kind, in their order.
pub fn parse_serves(raw: &str) -> Result<Vec<TaskKind>, &'static str> {
    let mut kinds = Vec::new();
    for code in list(raw) {
        let kind: TaskKind = code.parse().map_err(|_| "unknown_task_kind")?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    if kinds.is_empty() {
        return Ok(TaskKind::ALL.to_vec());
    }
    kinds.sort();
    Ok(kinds)
}

/// The recipients, one per line: `role | name | email [| language]`.
pub fn parse_recipients(raw: &str) -> Result<Vec<Recipient>, &'static str> {
    let mut out: Vec<Recipient> = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let (role, name, email, language) = match parts.as_slice() {
            [r, n, e] => (*r, *n, *e, "en"),
            [r, n, e, l] => (*r, *n, *e, *l),
            _ => return Err("recipient_format"),
        };
        let role: RecipientRole = role.parse().map_err(|_| "unknown_recipient_role")?;
        let name = bounded(name, 200)?;
        let email = SubjectEmail::parse(email)?.as_ref().to_owned();
        let language: Language = language.parse()?;
        if out.iter().any(|r| r.email.eq_ignore_ascii_case(&email)) {
            return Err("recipient_repeated");
        }
        out.push(Recipient {
            role,
            name,
            email,
            language,
        });
    }
    if out.len() > 50 {
        return Err("too_long");
    }
    Ok(out)
}

/// The recipients as the form shows them again (`parse_recipients` reads it back).
pub fn recipients_text(recipients: &[Recipient]) -> String {
    recipients
        .iter()
        .map(|r| {
            format!(
                "{} | {} | {} | {}",
                r.role.as_str(),
                r.name,
                r.email,
                r.language
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn parse_system(raw: &RawDataSystem) -> Result<DataSystem, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", bounded(&raw.name, 100));
    let owner = errors.check(
        "owner_email",
        SubjectEmail::parse(&raw.owner_email).map(|e| e.as_ref().to_owned()),
    );
    let categories = errors.check("categories", short_list(&raw.categories, true));
    let retention = errors.check("retention", bounded(&raw.retention, 1000));
    let deletion = errors.check("deletion_method", bounded(&raw.deletion_method, 1000));
    let serves = errors.check("serves", parse_serves(&raw.serves));
    let purposes = errors.check("purposes", short_list(&raw.purposes, false));
    let recipients = errors.check("recipients", parse_recipients(&raw.recipients));
    let sources = errors.check("sources", optional_text(&raw.sources, 1000));
    let automated = errors.check(
        "automated_decisions",
        optional_text(&raw.automated_decisions, 2000),
    );
    let never = errors.check("never_disclose", short_list(&raw.never_disclose, false));
    let (
        Some(name),
        Some(owner_email),
        Some(categories),
        Some(retention),
        Some(deletion_method),
        Some(serves),
        Some(purposes),
        Some(recipients),
        Some(sources),
        Some(automated_decisions),
        Some(never_disclose),
    ) = (
        name, owner, categories, retention, deletion, serves, purposes, recipients, sources,
        automated, never,
    )
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(DataSystem {
        name,
        owner_email,
        categories,
        retention,
        deletion_method,
        serves,
        purposes,
        recipients,
        sources,
        automated_decisions,
        never_disclose,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawDataSystem {
        RawDataSystem {
            name: "Orders".into(),
            owner_email: "orders-team@example.com".into(),
            categories: "order history, payment method\ndelivery address".into(),
            retention: "10 years (commercial law)".into(),
            deletion_method: "Row deletion, backups expire after 35 days".into(),
            ..Default::default()
        }
    }

    #[test]
    fn systems_need_a_name_an_owner_categories_retention_and_a_deletion_method() {
        let ok = parse_system(&raw()).unwrap();
        assert_eq!(
            ok.categories,
            ["order history", "payment method", "delivery address"]
        );
        assert_eq!(ok.serves, TaskKind::ALL, "an empty list serves every kind");
        assert!(ok.purposes.is_empty() && ok.recipients.is_empty());
        let e = parse_system(&RawDataSystem::default()).unwrap_err();
        for f in [
            "name",
            "owner_email",
            "categories",
            "retention",
            "deletion_method",
        ] {
            assert!(e.code_for(f).is_some(), "{f}");
        }
    }

    #[test]
    fn a_system_names_the_rights_it_carries_out_and_its_purposes() {
        let ok = parse_system(&RawDataSystem {
            serves: "erase, export, erase".into(),
            purposes: "order fulfilment\nfraud prevention".into(),
            ..raw()
        })
        .unwrap();
        assert_eq!(ok.serves, [TaskKind::Export, TaskKind::Erase]);
        assert_eq!(ok.purposes, ["order fulfilment", "fraud prevention"]);
        let e = parse_system(&RawDataSystem {
            serves: "export, shred".into(),
            ..raw()
        })
        .unwrap_err();
        assert_eq!(e.code_for("serves"), Some("unknown_task_kind"));
    }

    #[test]
    fn recipients_are_a_role_a_name_an_address_and_a_language() {
        let r = parse_recipients(
            "processor | Mailer GmbH | privacy@mailer.example\n\n third_party | 広告社 | dpo@ads.example | ja ",
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].role, r[0].language, r[1].role, r[1].language),
            (
                RecipientRole::Processor,
                Language::EN,
                RecipientRole::ThirdParty,
                Language::JA
            )
        );
        assert!(r[0].role.acts_for_the_business() && !r[1].role.acts_for_the_business());
        assert_eq!(parse_recipients(&recipients_text(&r)), Ok(r));
        for (bad, code) in [
            ("processor, Mailer, a@b.example", "recipient_format"),
            ("broker | X | a@b.example", "unknown_recipient_role"),
            ("processor | X | not-an-address", "invalid_email"),
            ("processor |  | a@b.example", "required"),
            ("processor | X | a@b.example | Japanese", "unknown_language"),
            (
                "processor | X | a@b.example\nthird_party | Y | A@B.example",
                "recipient_repeated",
            ),
        ] {
            assert_eq!(parse_recipients(bad), Err(code), "{bad}");
        }
    }
}
