//! Data systems and the tasks a request creates in them: an access or portability request asks each system
//! for an export, a deletion request asks each to erase (or to name the legal ground for keeping data).
//! The request cannot be answered while a task is open.

use serde::Serialize;

use super::FieldErrors;
use super::field::bounded;
use super::request::SubjectEmail;

/// What a request asks of each data system.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Extract the person's data (access, the CCPA right to know, portability, third-party records).
    Export,
    /// Erase the person's data, or record why some must be kept.
    Erase,
}

impl TaskKind {
    pub const ALL: &'static [TaskKind] = <TaskKind as strum::VariantArray>::VARIANTS;

    /// The code stored in `system_tasks.kind`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TaskOutcome {
    /// The system's data for the person, uploaded (JSON or CSV).
    Exported,
    /// The system holds nothing about the person.
    NoData,
    /// Erased, irrecoverably (the system's deletion method says how).
    Erased,
    /// Some data kept, on a legal ground (e.g. GDPR Art. 17(3)(b), CCPA §1798.105(d)(8), tax law).
    Retained { legal_ground: String },
}

impl TaskOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            TaskOutcome::Exported => "exported",
            TaskOutcome::NoData => "no_data",
            TaskOutcome::Erased => "erased",
            TaskOutcome::Retained { .. } => "retained",
        }
    }
}

/// Parses how an owner closes a task. Exports need the data (`has_export`); a retention needs its ground.
pub fn parse_outcome(
    kind: TaskKind,
    outcome: &str,
    legal_ground: &str,
    has_export: bool,
) -> Result<TaskOutcome, FieldErrors> {
    let mut errors = FieldErrors::new();
    let parsed = match (kind, outcome.trim()) {
        (TaskKind::Export, "exported") => {
            if has_export {
                Some(TaskOutcome::Exported)
            } else {
                errors.push("file", "export_required");
                None
            }
        }
        (_, "no_data") => Some(TaskOutcome::NoData),
        (TaskKind::Erase, "erased") => Some(TaskOutcome::Erased),
        (TaskKind::Erase, "retained") => errors
            .check("legal_ground", bounded(legal_ground, 500))
            .map(|legal_ground| TaskOutcome::Retained { legal_ground }),
        (_, "") => {
            errors.push("outcome", "required");
            None
        }
        _ => {
            errors.push("outcome", "outcome_not_for_task");
            None
        }
    };
    parsed.ok_or(errors)
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

/// A data system as an administrator registers it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RawDataSystem {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub owner_email: String,
    /// Comma- or line-separated.
    #[serde(default)]
    pub categories: String,
    #[serde(default)]
    pub retention: String,
    #[serde(default)]
    pub deletion_method: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataSystem {
    pub name: String,
    pub owner_email: String,
    pub categories: Vec<String>,
    pub retention: String,
    pub deletion_method: String,
}

pub fn parse_system(raw: &RawDataSystem) -> Result<DataSystem, FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = errors.check("name", bounded(&raw.name, 100));
    let owner = errors.check(
        "owner_email",
        SubjectEmail::parse(&raw.owner_email).map(|e| e.as_ref().to_owned()),
    );
    let categories: Vec<String> = raw
        .categories
        .split([',', '\n', '、'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect();
    if categories.is_empty() {
        errors.push("categories", "required");
    } else if categories.len() > 50 || categories.iter().any(|c| c.chars().count() > 100) {
        errors.push("categories", "too_long");
    }
    let retention = errors.check("retention", bounded(&raw.retention, 1000));
    let deletion = errors.check("deletion_method", bounded(&raw.deletion_method, 1000));
    match (name, owner, retention, deletion) {
        (Some(name), Some(owner_email), Some(retention), Some(deletion_method))
            if errors.is_empty() =>
        {
            Ok(DataSystem {
                name,
                owner_email,
                categories,
                retention,
                deletion_method,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_fit_the_task() {
        assert_eq!(
            parse_outcome(TaskKind::Export, "exported", "", true),
            Ok(TaskOutcome::Exported)
        );
        let e = parse_outcome(TaskKind::Export, "exported", "", false).unwrap_err();
        assert_eq!(e.code_for("file"), Some("export_required"));
        assert_eq!(
            parse_outcome(TaskKind::Erase, "no_data", "", false),
            Ok(TaskOutcome::NoData)
        );
        let e = parse_outcome(TaskKind::Export, "erased", "", false).unwrap_err();
        assert_eq!(e.code_for("outcome"), Some("outcome_not_for_task"));
        let e = parse_outcome(TaskKind::Erase, "retained", " ", false).unwrap_err();
        assert_eq!(e.code_for("legal_ground"), Some("required"));
        assert_eq!(
            parse_outcome(
                TaskKind::Erase,
                "retained",
                "Invoices kept 7 years (tax law)",
                false
            ),
            Ok(TaskOutcome::Retained {
                legal_ground: "Invoices kept 7 years (tax law)".into()
            })
        );
        let e = parse_outcome(TaskKind::Erase, "", "", false).unwrap_err();
        assert_eq!(e.code_for("outcome"), Some("required"));
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

    #[test]
    fn systems_need_a_name_an_owner_categories_retention_and_a_deletion_method() {
        let ok = parse_system(&RawDataSystem {
            name: "Orders".into(),
            owner_email: "orders-team@example.com".into(),
            categories: "order history, payment method\ndelivery address".into(),
            retention: "10 years (commercial law)".into(),
            deletion_method: "Row deletion, backups expire after 35 days".into(),
        })
        .unwrap();
        assert_eq!(
            ok.categories,
            ["order history", "payment method", "delivery address"]
        );
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
}
