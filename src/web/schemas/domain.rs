//! How the API document describes the domain's values. The domain knows nothing of the API: its types
//! derive serde only, and this module gives each one the web layer sends a schema. A kind written as a
//! code (a strum enum) is described from its codes; a value with fields is described by a type of the
//! same name here, written for API readers. The test below serializes every such value, each variant of
//! each enum, and validates it against the document, so a description cannot drift from what is sent.

use std::borrow::Cow;

use chrono::NaiveDate;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, schema};

use crate::domain;
use crate::domain::code::Code;

/// The schema of `$domain` is the one of `$described` (a type below, of the same name).
macro_rules! described_by {
    ($($domain:ty => $described:ty),* $(,)?) => {$(
        impl utoipa::PartialSchema for $domain {
            fn schema() -> RefOr<Schema> {
                <$described as utoipa::PartialSchema>::schema()
            }
        }
        impl utoipa::ToSchema for $domain {
            fn name() -> Cow<'static, str> {
                <$described as utoipa::ToSchema>::name()
            }
            fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
                <$described as utoipa::ToSchema>::schemas(schemas)
            }
        }
    )*};
}

/// A kind written as a code: a string, one of the kind's codes, with what the kind is.
macro_rules! described_by_codes {
    ($($domain:ty: $description:literal),* $(,)?) => {$(
        impl utoipa::PartialSchema for $domain {
            fn schema() -> RefOr<Schema> {
                codes(<$domain>::codes(), $description)
            }
        }
        impl utoipa::ToSchema for $domain {}
    )*};
}

fn codes(codes: Vec<&'static str>, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(schema::SchemaType::new(Type::String))
        .enum_values(Some(codes))
        .description(Some(description))
        .into()
}

described_by_codes! {
    domain::staff::Role: "What a staff member may do. Stored as text; the codes are stable.",
    domain::documents::Holder: "Whose document it is.",
    domain::systems::TaskKind: "What a request asks of each data system (a regime's right names it: `task = \"…\"`).",
    domain::systems::RecipientRole: "Whom a system discloses personal data to, which decides what they are told when a person's data\nchanges: those acting for the business are instructed to do the same, others are told and asked to.",
    domain::reply::ChangeAction: "What a request's answer changed.",
    domain::payment_match::NameOf: "Whose name, in which writing, a transfer was matched by.",
    domain::payment_match::MatchedBy: "How a payment was tied to its invoice: by the number the payer quoted, by payer and amount, or by an officer.",
    domain::fees::InvoiceStatus: "Whether an invoice is still owed.",
    domain::fees::PaymentSource: "Where a recorded payment came from: recorded by hand, or a line of an imported bank statement.",
    domain::notice::NoticeStatus: "Where a notice in the outbox stands. A letter is `sent` once its posting is recorded.",
    domain::notice::NoticeChannel: "How a notice reaches its reader: by e-mail, or as a letter the desk prints and posts.",
    domain::identity::EvidenceKind: "What a piece of evidence the requester sent is: data points to compare with the records (with any\ndeclaration signed with them), a copy of an identity document, or the person's signed authorisation\nfor their agent.",
    domain::inquiry::AcknowledgedHow: "How the desk told the person their matter was received: by the notice's channel, in person (by\ntelephone or at the desk: nothing to send), or with the answer itself when that came first.",
}

described_by! {
    domain::documents::Checklist => described::Checklist,
    domain::documents::ItemStatus => described::ItemStatus,
    domain::documents::Requirement => described::Requirement,
    domain::documents::Problem => described::Problem,
    domain::fees::Balance => described::Balance,
    domain::fees::StatementProblem => described::StatementProblem,
    domain::identity::Degree => described::Degree,
    domain::notice::ToldRecipient => described::ToldRecipient,
    domain::payment_match::MatchReason => described::MatchReason,
    domain::reply::DataChange => described::DataChange,
    domain::reports::Report => described::Report,
    domain::reports::RightMetrics => described::RightMetrics,
    domain::systems::Recipient => described::Recipient,
    domain::systems::TaskOutcome => described::TaskOutcome,
}

/// Descriptions only: nothing here is built or sent (the domain's own values are).
#[allow(dead_code)]
mod described {
    use std::collections::BTreeMap;

    use super::NaiveDate;
    use crate::domain::documents::Holder;
    use crate::domain::payment_match::NameOf;
    use crate::domain::reply::ChangeAction;
    use crate::domain::systems::RecipientRole;

    #[derive(utoipa::ToSchema)]
    pub struct Checklist {
        pub items: Vec<ItemStatus>,
        /// Every line has a document of the right kind, holder and originality.
        pub complete: bool,
        /// No line fails on age.
        pub fresh: bool,
    }

    #[derive(utoipa::ToSchema)]
    pub struct ItemStatus {
        pub requirement: Requirement,
        /// The document that satisfies the line, or came closest.
        pub document_id: Option<String>,
        pub problem: Option<Problem>,
    }

    /// One line of a checklist: one document of any of these kinds, held by `holder`.
    #[derive(utoipa::ToSchema)]
    pub struct Requirement {
        pub holder: Holder,
        pub one_of: Vec<String>,
        /// The original is required (原本), not a copy.
        pub original: bool,
        /// The document must be created within `max_age_months` before the request date.
        pub fresh: bool,
    }

    /// Why a checklist line is not satisfied.
    #[derive(utoipa::ToSchema)]
    #[serde(tag = "problem", rename_all = "snake_case")]
    #[schema(as = ChecklistProblem)]
    pub enum Problem {
        Missing,
        /// A copy came where the original is required.
        NotOriginal,
        /// The document carries no creation date, so its age cannot be checked.
        DateMissing,
        /// Created before the earliest acceptable day.
        Stale {
            created_on: NaiveDate,
            earliest: NaiveDate,
        },
        /// Dated after the request: not plausible for a document enclosed with it.
        DatedAfterRequest {
            created_on: NaiveDate,
        },
        /// Only a document an officer rejected came for this line; the reason is what the officer wrote.
        Rejected {
            reason: String,
        },
        /// A kind the procedure did not accept on the day it counts from (abolished, or no longer valid).
        NotAccepted {
            from: Option<NaiveDate>,
            until: Option<NaiveDate>,
        },
    }

    /// Where an invoice stands. Amounts are integer yen; nothing here is ever a float.
    #[derive(utoipa::ToSchema)]
    pub struct Balance {
        pub amount_yen: i64,
        pub paid_yen: i64,
    }

    /// A statement line that could not be read, and why.
    #[derive(utoipa::ToSchema)]
    pub struct StatementProblem {
        pub line: usize,
        pub reason: String,
    }

    /// What a set of checked data points reaches for a request type.
    #[derive(utoipa::ToSchema)]
    pub struct Degree {
        pub matched: u32,
        pub required: u32,
        pub declaration_required: bool,
        pub verified: bool,
    }

    /// Someone a system told of what it did for the person, as the answer names them.
    #[derive(utoipa::ToSchema)]
    pub struct ToldRecipient {
        pub name: String,
        /// `processor`, `service_provider`, `contractor` or `third_party`.
        pub role: String,
    }

    /// Why a transfer was matched to an invoice, or left for an officer.
    #[derive(utoipa::ToSchema)]
    #[serde(tag = "reason", rename_all = "snake_case")]
    pub enum MatchReason {
        /// The statement quotes the invoice's number (`quoted` is how it was written, digits only).
        InvoiceNumber { number: String, quoted: String },
        /// The only open invoice of this amount whose requester or agent the payer names.
        NameAndAmount { number: String, name: NameOf },
        /// The statement quotes an invoice number of no open invoice (paid already, or of a closed request).
        NotOpen { quoted: String },
        /// Several open invoices fit the name and amount.
        Several { numbers: Vec<String> },
        /// The payer names an open invoice's requester, but the amount is not what it owes (a deducted
        /// transfer charge, or two invoices paid at once).
        NameNotAmount {
            number: String,
            outstanding_yen: i64,
        },
        /// No open invoice's number or name appears in the transfer.
        Nothing,
    }

    /// One change, as the reply will list it.
    #[derive(utoipa::ToSchema)]
    pub struct DataChange {
        pub action: ChangeAction,
        /// What was changed, in the requester's terms (e.g. "住所", "メールアドレス").
        pub item: String,
        pub prior_value: Option<String>,
        pub new_value: Option<String>,
    }

    #[derive(utoipa::ToSchema)]
    pub struct Report {
        pub by_state: BTreeMap<String, u64>,
        pub by_right: BTreeMap<String, u64>,
        pub by_regime: BTreeMap<String, u64>,
        pub metrics: BTreeMap<String, RightMetrics>,
        pub median_days_to_close: Option<i64>,
        pub p90_days_to_close: Option<i64>,
        /// Open requests (received any year) whose nearest deadline has passed, as of today.
        pub overdue_now: u64,
    }

    /// The CCPA-style metrics of one right.
    #[derive(utoipa::ToSchema)]
    pub struct RightMetrics {
        pub received: u64,
        pub complied: u64,
        pub denied: u64,
        pub withdrawn: u64,
        pub open: u64,
        /// Days from receipt to the final answer, of the requests closed.
        pub median_days: Option<i64>,
        pub p90_days: Option<i64>,
    }

    /// Someone a system discloses to, and how to reach them.
    #[derive(utoipa::ToSchema)]
    pub struct Recipient {
        pub role: RecipientRole,
        pub name: String,
        pub email: String,
        /// The language their notices are written in (kaiji must speak it).
        #[schema(example = "en")]
        pub language: String,
    }

    /// How a task ended.
    #[derive(utoipa::ToSchema)]
    #[serde(tag = "outcome", rename_all = "snake_case")]
    pub enum TaskOutcome {
        /// The system's data for the person, uploaded (JSON or CSV).
        Exported,
        /// The system holds nothing about the person.
        NoData,
        /// The system holds data about the person (a `locate` task: the registry says what and why).
        Held,
        /// Erased, irrecoverably (the system's deletion method says how).
        Erased,
        /// Some data kept, on a legal ground (e.g. GDPR Art. 17(3)(b), CCPA §1798.105(d)(8), tax law).
        Retained { legal_ground: String },
        /// Corrected, each item with its value before and after.
        Rectified { changes: Vec<DataChange> },
        /// Restricted; `allowed` is the processing still permitted (empty: storage only).
        Restricted { allowed: String },
        /// Processing stopped for these purposes.
        Stopped { purposes: String },
        /// Not done, on a legal ground (the data is accurate, compelling legitimate grounds, …).
        Declined { legal_ground: String },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::NaiveDate;
    use serde::Serialize;
    use serde_json::{Value, json};
    use utoipa::ToSchema;

    use crate::domain::code::Code;
    use crate::domain::documents::{Checklist, Holder, ItemStatus, Problem, Requirement};
    use crate::domain::fees::{Balance, InvoiceStatus, PaymentSource, StatementProblem};
    use crate::domain::identity::Degree;
    use crate::domain::identity::EvidenceKind;
    use crate::domain::inquiry::AcknowledgedHow;
    use crate::domain::notice::{NoticeChannel, NoticeStatus, ToldRecipient};
    use crate::domain::payment_match::{MatchReason, MatchedBy, NameOf};
    use crate::domain::reply::{ChangeAction, DataChange};
    use crate::domain::reports::{Report, RightMetrics};
    use crate::domain::request::Language;
    use crate::domain::staff::Role;
    use crate::domain::systems::{Recipient, RecipientRole, TaskKind, TaskOutcome};

    /// Each value, serialized as the API sends it, is valid against its schema in the served document,
    /// with every object in it closed: a field the domain sends and the description lacks fails, as does
    /// a variant, a code or a null it does not allow.
    fn sent_as_described<T: Serialize + ToSchema>(values: &[T]) {
        let name = T::name();
        let mut components = crate::web::openapi::document_json()["components"].clone();
        assert!(
            components["schemas"].get(name.as_ref()).is_some(),
            "{name} is described but no API route sends or takes it: drop its description"
        );
        closed(&mut components);
        let root =
            json!({"$ref": format!("#/components/schemas/{name}"), "components": components});
        let validator =
            jsonschema::draft202012::new(&root).expect("the document is a valid schema");
        assert!(!values.is_empty());
        for value in values {
            let sent = serde_json::to_value(value).unwrap();
            let problems: Vec<String> = validator
                .iter_errors(&sent)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                problems.is_empty(),
                "{name}: {sent} is not as described: {problems:?}"
            );
        }
    }

    /// Every object schema with properties allows no others.
    fn closed(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".into(), Value::Bool(false));
                }
                map.values_mut().for_each(closed);
            }
            Value::Array(items) => items.iter_mut().for_each(closed),
            _ => {}
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn every_code_is_sent_as_described() {
        sent_as_described(Role::ALL);
        sent_as_described(Holder::ALL);
        sent_as_described(TaskKind::ALL);
        sent_as_described(RecipientRole::ALL);
        sent_as_described(ChangeAction::ALL);
        sent_as_described(NameOf::ALL);
        sent_as_described(MatchedBy::ALL);
        sent_as_described(InvoiceStatus::ALL);
        sent_as_described(PaymentSource::ALL);
        sent_as_described(NoticeStatus::ALL);
        sent_as_described(NoticeChannel::ALL);
        sent_as_described(EvidenceKind::ALL);
        sent_as_described(AcknowledgedHow::ALL);
    }

    fn problems() -> Vec<Problem> {
        let all = vec![
            Problem::Missing,
            Problem::NotOriginal,
            Problem::DateMissing,
            Problem::Stale {
                created_on: day(1),
                earliest: day(2),
            },
            Problem::DatedAfterRequest { created_on: day(3) },
            Problem::Rejected {
                reason: "読めない".into(),
            },
            Problem::NotAccepted {
                from: Some(day(1)),
                until: None,
            },
            Problem::NotAccepted {
                from: None,
                until: Some(day(1)),
            },
        ];
        // On purpose without `_`: a new problem does not compile here until it has a sample above.
        for p in &all {
            match p {
                Problem::Missing
                | Problem::NotOriginal
                | Problem::DateMissing
                | Problem::Stale { .. }
                | Problem::DatedAfterRequest { .. }
                | Problem::Rejected { .. }
                | Problem::NotAccepted { .. } => {}
            }
        }
        all
    }

    #[test]
    fn a_checklist_is_sent_as_described() {
        let requirement = Requirement {
            holder: Holder::Agent,
            one_of: vec!["passport".into()],
            original: true,
            fresh: false,
        };
        let mut items: Vec<ItemStatus> = problems()
            .into_iter()
            .map(|p| ItemStatus {
                requirement: requirement.clone(),
                document_id: Some("d1".into()),
                problem: Some(p),
            })
            .collect();
        items.push(ItemStatus {
            requirement,
            document_id: None,
            problem: None,
        });
        sent_as_described(&[Checklist {
            items,
            complete: false,
            fresh: true,
        }]);
    }

    #[test]
    fn every_match_reason_is_sent_as_described() {
        let all = vec![
            MatchReason::InvoiceNumber {
                number: "INV-KJ-20261119-00000001".into(),
                quoted: "2026111900000001".into(),
            },
            MatchReason::NameAndAmount {
                number: "INV-KJ-20261119-00000001".into(),
                name: NameOf::RequesterKana,
            },
            MatchReason::NotOpen {
                quoted: "20261119-1".into(),
            },
            MatchReason::Several {
                numbers: vec!["a".into(), "b".into()],
            },
            MatchReason::NameNotAmount {
                number: "INV-KJ-20261119-00000001".into(),
                outstanding_yen: 5400,
            },
            MatchReason::Nothing,
        ];
        // On purpose without `_`: a new reason does not compile here until it has a sample above.
        for r in &all {
            match r {
                MatchReason::InvoiceNumber { .. }
                | MatchReason::NameAndAmount { .. }
                | MatchReason::NotOpen { .. }
                | MatchReason::Several { .. }
                | MatchReason::NameNotAmount { .. }
                | MatchReason::Nothing => {}
            }
        }
        sent_as_described(&all);
    }

    fn changes() -> Vec<DataChange> {
        vec![
            DataChange {
                action: ChangeAction::Corrected,
                item: "住所".into(),
                prior_value: Some("東京都".into()),
                new_value: Some("大阪府".into()),
            },
            DataChange {
                action: ChangeAction::Deleted,
                item: "メールアドレス".into(),
                prior_value: None,
                new_value: None,
            },
        ]
    }

    #[test]
    fn every_task_outcome_is_sent_as_described() {
        let ground = || "GDPR Art. 17(3)(b)".to_owned();
        let all = vec![
            TaskOutcome::Exported,
            TaskOutcome::NoData,
            TaskOutcome::Held,
            TaskOutcome::Erased,
            TaskOutcome::Retained {
                legal_ground: ground(),
            },
            TaskOutcome::Rectified { changes: changes() },
            TaskOutcome::Restricted {
                allowed: String::new(),
            },
            TaskOutcome::Stopped {
                purposes: "marketing".into(),
            },
            TaskOutcome::Declined {
                legal_ground: ground(),
            },
        ];
        let sampled: Vec<&str> = all.iter().map(|o| o.into()).collect();
        assert_eq!(sampled, <TaskOutcome as strum::VariantNames>::VARIANTS);
        sent_as_described(&all);
        sent_as_described(&changes());
    }

    #[test]
    fn the_other_values_are_sent_as_described() {
        sent_as_described(&[Balance {
            amount_yen: 5400,
            paid_yen: 0,
        }]);
        sent_as_described(&[StatementProblem {
            line: 3,
            reason: "no amount".into(),
        }]);
        sent_as_described(&[Degree {
            matched: 2,
            required: 3,
            declaration_required: true,
            verified: false,
        }]);
        sent_as_described(&[ToldRecipient {
            name: "Mailer Inc.".into(),
            role: "processor".into(),
        }]);
        sent_as_described(&[Recipient {
            role: RecipientRole::Processor,
            name: "Mailer Inc.".into(),
            email: "privacy@mailer.example".into(),
            language: Language::EN,
        }]);
        let closed_some = RightMetrics {
            received: 3,
            complied: 1,
            denied: 1,
            withdrawn: 0,
            open: 1,
            median_days: Some(12),
            p90_days: Some(30),
        };
        let count = |k: &str| BTreeMap::from([(k.to_owned(), 1)]);
        sent_as_described(&[
            Report::default(),
            Report {
                by_state: count("received"),
                by_right: count("access"),
                by_regime: count("gdpr"),
                metrics: BTreeMap::from([
                    ("access".to_owned(), closed_some),
                    ("deletion".to_owned(), RightMetrics::default()),
                ]),
                median_days_to_close: Some(12),
                p90_days_to_close: None,
                overdue_now: 1,
            },
        ]);
    }
}
