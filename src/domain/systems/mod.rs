//! Data systems and the tasks a request creates in them, one per system that serves the right: export the
//! person's data, erase it, rectify it, restrict its processing or stop it. Each task ends in a recorded
//! outcome, or in the legal ground for not acting; the request cannot be answered while a task is open.

use serde::Serialize;

use super::FieldErrors;
use super::field::bounded;
use super::reply::{ChangeAction, DataChange, RawChange, parse_change};
use crate::domain::code::{apply, coded};

mod registry;

pub use registry::{
    DataSystem, RawDataSystem, Recipient, RecipientRole, parse_recipients, parse_serves,
    parse_system, recipients_text,
};

/// What a request asks of each data system (a regime's right names it: `task = "…"`).
#[apply(coded)]
pub enum TaskKind {
    /// Extract the person's data (access, the CCPA right to know, portability, third-party records).
    Export,
    /// Erase the person's data, or record why some must be kept.
    Erase,
    /// Make the requested corrections, recording each item's value before and after (GDPR Art. 16,
    /// CCPA §1798.106, APPI Art. 34).
    Rectify,
    /// Mark the data restricted: stored, not otherwise processed except for the purposes still allowed
    /// (GDPR Art. 18(2)). It stays until lifted, and the person is told before it is (Art. 18(3)).
    Restrict,
    /// Stop processing for the purposes the objection, stop of use, opt-out or consent withdrawal
    /// covers (GDPR Art. 21, 7(3); APPI Art. 35; VCDPA §59.1-577(A)(5)).
    StopProcessing,
    /// Say whether the system holds data about the person, and nothing more: purpose notification
    /// (APPI Art. 32(2)) and the CCPA right to know the categories (§1798.110(a)(1)–(4)) are answered
    /// from the registry for the systems that do.
    Locate,
}

impl TaskKind {
    /// Some outcome of this kind rests on a legal ground (keeping data, or not acting): its form asks for
    /// one. An export or a locate never does: the system holds the data or not.
    pub fn takes_legal_ground(self) -> bool {
        self.outcomes()
            .iter()
            .any(|o| matches!(*o, "retained" | "declined"))
    }

    /// The outcomes a task of this kind may close with: first what acting records, then not acting.
    pub fn outcomes(self) -> &'static [&'static str] {
        match self {
            TaskKind::Export => &["exported", "no_data"],
            TaskKind::Erase => &["erased", "retained", "no_data"],
            TaskKind::Rectify => &["rectified", "declined", "no_data"],
            TaskKind::Restrict => &["restricted", "declined", "no_data"],
            TaskKind::StopProcessing => &["stopped", "declined", "no_data"],
            TaskKind::Locate => &["held", "no_data"],
        }
    }
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, strum::IntoStaticStr, strum::VariantNames)]
#[strum(serialize_all = "snake_case")]
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

impl TaskOutcome {
    /// The outcome's code, as its JSON `outcome` tag spells it.
    pub fn as_str(&self) -> &'static str {
        self.into()
    }

    /// The legal ground for keeping data or not acting, where the outcome rests on one.
    pub fn legal_ground(&self) -> Option<&str> {
        match self {
            TaskOutcome::Retained { legal_ground } | TaskOutcome::Declined { legal_ground } => {
                Some(legal_ground)
            }
            _ => None,
        }
    }

    /// The purposes a restriction still allows, or a stop covers.
    pub fn purposes(&self) -> Option<&str> {
        match self {
            TaskOutcome::Restricted { allowed } => Some(allowed),
            TaskOutcome::Stopped { purposes } => Some(purposes),
            _ => None,
        }
    }

    /// Whether the system did what the right asks (as opposed to holding nothing or not acting), so the
    /// recipients it disclosed to must be told (GDPR Art. 19).
    pub fn tells_recipients(&self) -> bool {
        outcome_tells_recipients(self.as_str())
    }
}

impl TaskOutcome {
    /// Whether the system did what was asked of it (erased, corrected, restricted or stopped), as
    /// opposed to holding nothing, exporting, keeping on a ground or declining.
    pub fn carried_out(&self) -> bool {
        outcome_carried_out(self.as_str())
    }
}

/// `TaskOutcome::carried_out` for a stored outcome code.
pub fn outcome_carried_out(outcome: &str) -> bool {
    matches!(outcome, "erased" | "rectified" | "restricted" | "stopped")
}

/// Whether a task that ended so (its stored code) tells the system's recipients: erasure, rectification
/// and restriction (GDPR Art. 19 covers Arts. 16, 17(1) and 18).
pub fn outcome_tells_recipients(outcome: &str) -> bool {
    matches!(outcome, "erased" | "rectified" | "restricted")
}

/// How an owner closes a task, as typed in.
#[derive(Debug, Clone, Default)]
pub struct OutcomeInput<'a> {
    pub outcome: &'a str,
    pub legal_ground: &'a str,
    pub purposes: &'a str,
    /// Rows left wholly blank (the form offers several) are ignored.
    pub corrections: &'a [RawChange],
    pub has_export: bool,
}

/// At most this many corrections close one task (more go through the API in several requests).
pub const MAX_CORRECTIONS: usize = 50;

/// Parses how an owner closes a task of `kind`. Exports need the data; keeping data or not acting needs
/// its legal ground; a rectification at least one correction; a stop the purposes it covers.
pub fn parse_outcome(kind: TaskKind, input: &OutcomeInput<'_>) -> Result<TaskOutcome, FieldErrors> {
    let mut errors = FieldErrors::new();
    let outcome = input.outcome.trim();
    if outcome.is_empty() {
        errors.push("outcome", "required");
        return Err(errors);
    }
    if !kind.outcomes().contains(&outcome) {
        errors.push("outcome", "outcome_not_for_task");
        return Err(errors);
    }
    let ground =
        |errors: &mut FieldErrors| errors.check("legal_ground", bounded(input.legal_ground, 500));
    let parsed = match outcome {
        "exported" if input.has_export => Some(TaskOutcome::Exported),
        "exported" => {
            errors.push("file", "export_required");
            None
        }
        "no_data" => Some(TaskOutcome::NoData),
        "held" => Some(TaskOutcome::Held),
        "erased" => Some(TaskOutcome::Erased),
        "retained" => {
            ground(&mut errors).map(|legal_ground| TaskOutcome::Retained { legal_ground })
        }
        "declined" => {
            ground(&mut errors).map(|legal_ground| TaskOutcome::Declined { legal_ground })
        }
        "restricted" => {
            let allowed = input.purposes.trim();
            if allowed.chars().count() > 1000 {
                errors.push("purposes", "too_long");
            }
            Some(TaskOutcome::Restricted {
                allowed: allowed.to_owned(),
            })
        }
        "stopped" => errors
            .check("purposes", bounded(input.purposes, 1000))
            .map(|purposes| TaskOutcome::Stopped { purposes }),
        _ => corrections(input.corrections, &mut errors)
            .map(|changes| TaskOutcome::Rectified { changes }),
    };
    match parsed {
        Some(o) if errors.is_empty() => Ok(o),
        _ => Err(errors),
    }
}

fn corrections(raw: &[RawChange], errors: &mut FieldErrors) -> Option<Vec<DataChange>> {
    let typed: Vec<&RawChange> = raw.iter().filter(|c| !c.is_blank()).collect();
    if typed.is_empty() {
        errors.push("item", "correction_required");
        return None;
    }
    if typed.len() > MAX_CORRECTIONS {
        errors.push("item", "too_many_corrections");
        return None;
    }
    let mut changes = Vec::new();
    for c in typed {
        match parse_change(
            Some(ChangeAction::Corrected),
            &c.item,
            &c.prior_value,
            &c.new_value,
        ) {
            Ok(change) => changes.push(change),
            Err(e) => {
                for fe in e.iter() {
                    if errors.code_for(&fe.field).is_none() {
                        errors.push(fe.field.clone(), fe.code);
                    }
                }
            }
        }
    }
    (changes.len() == raw.iter().filter(|c| !c.is_blank()).count()).then_some(changes)
}

/// The export formats a system may upload: structured, commonly used, machine-readable (GDPR Art. 20).
pub fn export_media_type(bytes: &[u8]) -> Result<&'static str, &'static str> {
    if bytes.is_empty() {
        return Err("file_empty");
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "export_type")?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.trim_start().chars().next();
    if matches!(first, Some('{') | Some('[')) {
        return serde_json::from_str::<serde_json::Value>(text)
            .map(|_| "application/json")
            .map_err(|_| "export_type");
    }
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let width = reader.headers().map_err(|_| "export_type")?.len();
    if width < 2 {
        return Err("export_type");
    }
    let mut rows = 0;
    for record in reader.records() {
        if record.map_err(|_| "export_type")?.len() != width {
            return Err("export_type");
        }
        rows += 1;
    }
    // A header and nothing else is no export: that is the "no data" outcome.
    if rows == 0 {
        return Err("export_type");
    }
    Ok("text/csv")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::code::Code;

    fn close(outcome: &str) -> OutcomeInput<'_> {
        OutcomeInput {
            outcome,
            ..Default::default()
        }
    }

    #[test]
    fn outcomes_fit_the_task() {
        let exported = OutcomeInput {
            has_export: true,
            ..close("exported")
        };
        assert_eq!(
            parse_outcome(TaskKind::Export, &exported),
            Ok(TaskOutcome::Exported)
        );
        let e = parse_outcome(TaskKind::Export, &close("exported")).unwrap_err();
        assert_eq!(e.code_for("file"), Some("export_required"));
        for kind in TaskKind::ALL {
            assert_eq!(
                parse_outcome(*kind, &close(" no_data ")),
                Ok(TaskOutcome::NoData),
                "{kind:?}"
            );
            let e = parse_outcome(*kind, &close("")).unwrap_err();
            assert_eq!(e.code_for("outcome"), Some("required"));
            // Every outcome not listed for the kind is refused, and every listed one is a real outcome.
            for other in [
                "exported",
                "erased",
                "retained",
                "rectified",
                "restricted",
                "stopped",
                "declined",
                "held",
                "vanished",
            ] {
                let r = parse_outcome(*kind, &close(other));
                if kind.outcomes().contains(&other) {
                    assert_ne!(
                        r.as_ref().err().and_then(|e| e.code_for("outcome")),
                        Some("outcome_not_for_task"),
                        "{kind:?} {other}"
                    );
                } else {
                    assert_eq!(
                        r.unwrap_err().code_for("outcome"),
                        Some("outcome_not_for_task")
                    );
                }
            }
        }
        let e = parse_outcome(TaskKind::Export, &close("erased")).unwrap_err();
        assert_eq!(e.code_for("outcome"), Some("outcome_not_for_task"));
        let e = parse_outcome(
            TaskKind::Erase,
            &OutcomeInput {
                legal_ground: " ",
                ..close("retained")
            },
        )
        .unwrap_err();
        assert_eq!(e.code_for("legal_ground"), Some("required"));
        let kept = OutcomeInput {
            legal_ground: "Invoices kept 7 years (tax law)",
            ..close("retained")
        };
        assert_eq!(
            parse_outcome(TaskKind::Erase, &kept),
            Ok(TaskOutcome::Retained {
                legal_ground: "Invoices kept 7 years (tax law)".into()
            })
        );
    }

    #[test]
    fn a_locate_task_only_says_whether_the_system_holds_the_person() {
        assert_eq!(
            parse_outcome(TaskKind::Locate, &close("held")),
            Ok(TaskOutcome::Held)
        );
        let held = TaskOutcome::Held;
        assert_eq!(held.as_str(), "held");
        assert!(!held.tells_recipients(), "nothing was changed");
        assert!(!TaskKind::Locate.takes_legal_ground() && !TaskKind::Export.takes_legal_ground());
        assert!(TaskKind::Erase.takes_legal_ground() && TaskKind::Restrict.takes_legal_ground());
        assert_eq!(held.legal_ground(), None);
        for acting in ["exported", "erased", "declined"] {
            let e = parse_outcome(TaskKind::Locate, &close(acting)).unwrap_err();
            assert_eq!(e.code_for("outcome"), Some("outcome_not_for_task"));
        }
    }

    #[test]
    fn not_acting_needs_a_legal_ground() {
        for kind in [
            TaskKind::Rectify,
            TaskKind::Restrict,
            TaskKind::StopProcessing,
        ] {
            let e = parse_outcome(kind, &close("declined")).unwrap_err();
            assert_eq!(e.code_for("legal_ground"), Some("required"), "{kind:?}");
            let declined = OutcomeInput {
                legal_ground: "Art. 21(1): compelling legitimate grounds",
                ..close("declined")
            };
            let o = parse_outcome(kind, &declined).unwrap();
            assert_eq!(
                o.legal_ground(),
                Some("Art. 21(1): compelling legitimate grounds")
            );
            assert!(!o.tells_recipients());
        }
    }

    #[test]
    fn a_rectification_records_each_item_before_and_after() {
        let rows = [
            RawChange {
                item: "Postal address".into(),
                prior_value: "1-1 Old Street".into(),
                new_value: "2-2 New Street".into(),
            },
            RawChange::default(),
        ];
        let input = OutcomeInput {
            corrections: &rows,
            ..close("rectified")
        };
        let o = parse_outcome(TaskKind::Rectify, &input).unwrap();
        let TaskOutcome::Rectified { changes } = &o else {
            panic!("{o:?}")
        };
        assert_eq!(changes.len(), 1, "the blank row is ignored");
        assert_eq!(
            (
                changes[0].item.as_str(),
                changes[0].prior_value.as_deref(),
                changes[0].new_value.as_deref()
            ),
            (
                "Postal address",
                Some("1-1 Old Street"),
                Some("2-2 New Street")
            )
        );
        assert!(o.tells_recipients());
        let none = OutcomeInput {
            corrections: &rows[1..],
            ..close("rectified")
        };
        let e = parse_outcome(TaskKind::Rectify, &none).unwrap_err();
        assert_eq!(e.code_for("item"), Some("correction_required"));
        let half = [RawChange {
            item: "Name".into(),
            ..Default::default()
        }];
        let e = parse_outcome(
            TaskKind::Rectify,
            &OutcomeInput {
                corrections: &half,
                ..close("rectified")
            },
        )
        .unwrap_err();
        assert_eq!(e.code_for("prior_value"), Some("required"));
        assert_eq!(e.code_for("new_value"), Some("required"));
        let many = vec![half[0].clone(); MAX_CORRECTIONS + 1];
        let e = parse_outcome(
            TaskKind::Rectify,
            &OutcomeInput {
                corrections: &many,
                ..close("rectified")
            },
        )
        .unwrap_err();
        assert_eq!(e.code_for("item"), Some("too_many_corrections"));
    }

    #[test]
    fn a_stop_names_its_purposes_and_a_restriction_may_allow_some() {
        let e = parse_outcome(TaskKind::StopProcessing, &close("stopped")).unwrap_err();
        assert_eq!(e.code_for("purposes"), Some("required"));
        let stopped = OutcomeInput {
            purposes: "direct marketing",
            ..close("stopped")
        };
        let o = parse_outcome(TaskKind::StopProcessing, &stopped).unwrap();
        assert_eq!(
            (o.as_str(), o.purposes()),
            ("stopped", Some("direct marketing"))
        );
        assert!(
            !o.tells_recipients(),
            "Art. 19 covers Arts. 16, 17(1) and 18 only"
        );
        let o = parse_outcome(TaskKind::Restrict, &close("restricted")).unwrap();
        assert_eq!(
            o,
            TaskOutcome::Restricted {
                allowed: String::new()
            },
            "storage only"
        );
        assert!(o.tells_recipients());
        let long = "x".repeat(1001);
        let e = parse_outcome(
            TaskKind::Restrict,
            &OutcomeInput {
                purposes: &long,
                ..close("restricted")
            },
        )
        .unwrap_err();
        assert_eq!(e.code_for("purposes"), Some("too_long"));
    }

    #[test]
    fn exports_are_json_or_csv_judged_by_content() {
        assert_eq!(
            export_media_type(br#"{"orders": [1, 2]}"#),
            Ok("application/json")
        );
        assert_eq!(export_media_type(b"[]"), Ok("application/json"));
        assert_eq!(
            export_media_type(b"order,date\n1,2026-01-01\n"),
            Ok("text/csv")
        );
        assert_eq!(export_media_type(b"{broken"), Err("export_type"));
        assert_eq!(export_media_type(b"a,b\n1\n"), Err("export_type"));
        assert_eq!(export_media_type(b"just words"), Err("export_type"));
        assert_eq!(
            export_media_type(b"order,date\n"),
            Err("export_type"),
            "a header alone"
        );
        assert_eq!(export_media_type(b"%PDF-1.7"), Err("export_type"));
        assert_eq!(export_media_type(&[0xff, 0xfe]), Err("export_type"));
        assert_eq!(export_media_type(b""), Err("file_empty"));
    }
}
