//! The access answer as one package: every system's export (less what an officer withheld and the fields
//! a system never discloses), the person's own `index.json` and `README.html` (see `package_index`) and
//! the procedure's processing information, zipped, sealed, and released as an expiring link with a
//! download limit. Portability gets the data as JSON only (CSV exports converted to records).

use crate::domain::ids::RequestId;
use std::collections::BTreeSet;
use std::io::Write;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::AppError;
use super::cases::{Case, today_in};
use super::package_index::{HeldBy, PersonIndex, readme};
use crate::config::{Config, Keys};
use crate::db::replies::{self as repo, DownloadRow, PackageRow};
use crate::db::{self, AnyConnection, systems};
use crate::domain::audit::Actor;
use crate::domain::law::AnswerKind;
use crate::domain::reply::download_expires;
use crate::security::documents::{self as crypto, Sealed};

pub(crate) fn package_aad(request_id: &RequestId, package_id: &str) -> Vec<u8> {
    format!("kaiji-answer-package:{request_id}:{package_id}").into_bytes()
}

/// CSV rows as JSON records keyed by the header.
fn csv_to_json(text: &str) -> Result<Value, AppError> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    // Repeated column names stay apart ("note", "note_2") rather than overwrite each other.
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::Definition(format!("stored export: {e}")))?
        .iter()
        .map(|h| {
            let n = seen.entry(h.to_owned()).or_insert(0);
            *n += 1;
            if *n == 1 {
                h.to_owned()
            } else {
                format!("{h}_{n}")
            }
        })
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| AppError::Definition(format!("stored export: {e}")))?;
        let row: serde_json::Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.to_owned(), Value::String(v.to_owned())))
            .collect();
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}

/// A file name from a system's name: letters, digits and dashes.
fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s.trim_matches('-').to_owned();
    if s.is_empty() { "system".into() } else { s }
}

/// One system's export as it goes into the answer: its file name and the fields it held back.
struct Packed {
    name: String,
    body: String,
    not_disclosed: Vec<String>,
}

/// Drops the fields a system never discloses (CCPA Regs. §7024(d)) from an export, by name and without
/// regard to case; returns the export and the names it dropped.
fn without_fields(
    text: &str,
    media: &str,
    never: &[String],
) -> Result<(String, Vec<String>), AppError> {
    let never: BTreeSet<String> = never.iter().map(|n| n.to_lowercase()).collect();
    let mut dropped = BTreeSet::new();
    if never.is_empty() {
        return Ok((text.to_owned(), Vec::new()));
    }
    let broken = |e: String| AppError::Definition(format!("stored export: {e}"));
    if media == "text/csv" {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers = reader.headers().map_err(|e| broken(e.to_string()))?.clone();
        let keep: Vec<usize> = (0..headers.len())
            .filter(|&i| {
                let hidden = never.contains(&headers[i].to_lowercase());
                if hidden {
                    dropped.insert(headers[i].to_owned());
                }
                !hidden
            })
            .collect();
        let mut out = csv::Writer::from_writer(Vec::new());
        out.write_record(keep.iter().map(|&i| &headers[i]))
            .map_err(|e| broken(e.to_string()))?;
        for record in reader.records() {
            let record = record.map_err(|e| broken(e.to_string()))?;
            out.write_record(keep.iter().map(|&i| &record[i]))
                .map_err(|e| broken(e.to_string()))?;
        }
        if dropped.is_empty() {
            return Ok((text.to_owned(), Vec::new()));
        }
        let bytes = out.into_inner().map_err(|e| broken(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| broken(e.to_string()))?;
        return Ok((text, dropped.into_iter().collect()));
    }
    let mut value: Value = serde_json::from_str(text).map_err(|e| broken(e.to_string()))?;
    fn strip(v: &mut Value, never: &BTreeSet<String>, dropped: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                map.retain(|k, _| {
                    let hidden = never.contains(&k.to_lowercase());
                    if hidden {
                        dropped.insert(k.clone());
                    }
                    !hidden
                });
                map.values_mut().for_each(|x| strip(x, never, dropped));
            }
            Value::Array(items) => items.iter_mut().for_each(|x| strip(x, never, dropped)),
            _ => {}
        }
    }
    strip(&mut value, &never, &mut dropped);
    if dropped.is_empty() {
        // Nothing held back: the system's export as it sent it.
        return Ok((text.to_owned(), Vec::new()));
    }
    let text = serde_json::to_string_pretty(&value).map_err(|e| broken(e.to_string()))?;
    Ok((text, dropped.into_iter().collect()))
}

/// The answer package as it would go out today: every system's export (less what the officer withheld
/// and the fields never disclosed), a per-person `index.json`, a `README.html` in the requester's
/// language and the procedure's `processing-information.json`. Also the officer's preview.
pub(crate) fn build(
    conn: &mut AnyConnection,
    laws: &crate::domain::law::Laws,
    keys: &Keys,
    case: &Case,
    answer: AnswerKind,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, AppError> {
    let portability = answer == AnswerKind::Portable;
    let lang = case.language;
    let zip_error =
        |e: zip::result::ZipError| AppError::Definition(format!("packing the answer: {e}"));
    let io_error = |e: std::io::Error| AppError::Definition(format!("packing the answer: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut index = Vec::new();
    let mut held = Vec::new();
    let mut used = BTreeSet::new();
    for (task, system) in systems::tasks_for_request(conn, &case.row.id)? {
        let categories: Value = serde_json::from_str(&system.categories).unwrap_or(json!([]));
        let mut entry = json!({
            "system": system.name, "categories": categories, "retention": system.retention,
            "outcome": task.status,
        });
        let never: Vec<String> = serde_json::from_str(&system.never_disclose).unwrap_or_default();
        let packed = match (
            task.export_media_type.as_deref(),
            task.export_nonce.clone(),
            task.export_ciphertext.clone(),
            &task.withheld_ground,
        ) {
            (Some(media), Some(nonce), Some(ciphertext), None) => {
                let plain = keys
                    .document
                    .open(
                        &format!("kaiji-task-export:{}:{}", case.row.id, task.id).into_bytes(),
                        &Sealed { nonce, ciphertext },
                    )
                    .map_err(|e| AppError::Definition(e.to_string()))?;
                let text = String::from_utf8(plain)
                    .map_err(|_| AppError::Definition("stored export is not UTF-8".into()))?;
                let (text, not_disclosed) = without_fields(&text, media, &never)?;
                // Names that fold to the same slug ("CRM", "crm") get a number.
                let mut base = slug(&system.name);
                let mut n = 2;
                while !used.insert(base.clone()) {
                    base = format!("{}-{n}", slug(&system.name));
                    n += 1;
                }
                let (name, body) = match (media, portability) {
                    ("text/csv", true) => (
                        format!("data/{base}.json"),
                        serde_json::to_string_pretty(&csv_to_json(&text)?)
                            .map_err(|e| AppError::Definition(e.to_string()))?,
                    ),
                    ("text/csv", false) => (format!("data/{base}.csv"), text),
                    _ => (format!("data/{base}.json"), text),
                };
                Some(Packed {
                    name,
                    body,
                    not_disclosed,
                })
            }
            _ => None,
        };
        if let Some(p) = &packed {
            zip.start_file(p.name.as_str(), options)
                .map_err(zip_error)?;
            zip.write_all(p.body.as_bytes()).map_err(io_error)?;
            entry["file"] = json!(p.name);
        }
        if let Some(g) = &task.withheld_ground {
            entry["withheld_ground"] = json!(g);
        }
        index.push(entry);
        // The information the law asks for is about the systems that hold the person's data: for the
        // CCPA categories (§1798.110(a)(1)–(4)), those a `locate` task found, never every system.
        if matches!(task.status.as_str(), "exported" | "retained" | "held") {
            let (file, not_disclosed) = match packed {
                Some(p) => (Some(p.name), p.not_disclosed),
                None => (None, Vec::new()),
            };
            held.push(HeldBy::from_row(
                &system,
                file,
                not_disclosed,
                task.withheld_ground.clone(),
            ));
        }
    }
    // A request for the records of provision (Art. 33(5)) is answered with those the officer confirmed.
    let provision: Vec<super::package_index::ProvisionEntry> =
        if answer == AnswerKind::ProvisionRecords {
            super::provision::confirmed(conn, laws, case)?
                .iter()
                .map(|r| super::package_index::ProvisionEntry::from_notice(r, lang))
                .collect()
        } else {
            Vec::new()
        };
    let person = PersonIndex::new(case, &held, provision, now);
    if !person.provision_records.is_empty() {
        zip.start_file("provision-records.json", options)
            .map_err(zip_error)?;
        let body = serde_json::to_string_pretty(&person.provision_records)
            .map_err(|e| AppError::Definition(e.to_string()))?;
        zip.write_all(body.as_bytes()).map_err(io_error)?;
    }
    for (name, body) in [
        (
            "index.json",
            serde_json::to_string_pretty(&person)
                .map_err(|e| AppError::Definition(e.to_string()))?,
        ),
        ("README.html", readme(case, &person)?),
    ] {
        zip.start_file(name, options).map_err(zip_error)?;
        zip.write_all(body.as_bytes()).map_err(io_error)?;
    }
    let info = case.def.disclosure.as_ref().map(|d| {
        json!({
            "controller": d.controller.get(lang), "purposes": d.purposes.get(lang),
            "categories": d.categories.get(lang), "recipients": d.recipients.get(lang),
            "retention": d.retention.get(lang), "sources": d.sources.get(lang),
            "rights": d.rights.get(lang), "transfers": d.transfers.as_ref().map(|t| t.get(lang)),
        })
    });
    let processing = json!({
        "receipt_number": case.row.receipt_number,
        "request_type": case.request_type.as_str(),
        "answered_on": today_in(&case.def, now).to_string(),
        "procedure": case.def.name.get(lang),
        "processing_information": info,
        "complaint_authority": case.def.complaint_authority.as_ref().map(|a| a.get(lang)),
        "non_discrimination": case.def.non_discrimination.as_ref().map(|a| a.get(lang)),
        "systems": index,
    });
    zip.start_file("processing-information.json", options)
        .map_err(zip_error)?;
    zip.write_all(
        serde_json::to_string_pretty(&processing)
            .map_err(|e| AppError::Definition(e.to_string()))?
            .as_bytes(),
    )
    .map_err(io_error)?;
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}

/// Carries out `release_package`: nothing for rights whose answer packs nothing.
pub(crate) fn release_package(
    conn: &mut AnyConnection,
    laws: &crate::domain::law::Laws,
    config: &Config,
    keys: &Keys,
    case: &Case,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Option<DownloadRow>, AppError> {
    // What the right's regime says its answer packs; a categories answer (CCPA §1798.110) comes from
    // the registry: what each system holds and for how long, without the specific pieces.
    let Some(answer) = case.right.as_ref().and_then(|r| r.answer) else {
        return Ok(None);
    };
    let bytes = build(conn, laws, keys, case, answer, now)?;
    let expires_at = db::to_db_time(download_expires(now, config.retention.download_days));
    let package_id = db::new_id();
    let sealed = crypto::seal(
        keys.document.expose(),
        &package_aad(&case.row.id, &package_id),
        &bytes,
    );
    repo::insert_package(
        conn,
        &PackageRow {
            id: package_id.clone().into(),
            request_id: case.row.id.clone(),
            size_bytes: bytes.len() as i64,
            nonce: sealed.nonce,
            ciphertext: sealed.ciphertext,
            expires_at,
            purged_at: None,
            created_at: db::to_db_time(now),
        },
    )?;
    let row = DownloadRow {
        package_id: Some(package_id.into()),
        ..new_download(config, &case.row.id, actor, now)
    };
    repo::insert_download(conn, &row)?;
    Ok(Some(row))
}

/// A download link to a request's answer, released now: open until the retention's expiry and for as
/// many downloads as it allows. The caller names what it serves, a reply file or a package.
pub(crate) fn new_download(
    config: &Config,
    request_id: &RequestId,
    actor: &Actor,
    now: DateTime<Utc>,
) -> DownloadRow {
    DownloadRow {
        id: db::new_id().into(),
        request_id: request_id.clone(),
        file_id: None,
        package_id: None,
        max_downloads: i64::from(config.retention.download_limit),
        expires_at: db::to_db_time(download_expires(now, config.retention.download_days)),
        revoked_at: None,
        first_downloaded_at: None,
        downloads: 0,
        created_by: actor.id().unwrap_or_default(),
        created_at: db::to_db_time(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_exports_become_records_for_portability() {
        let v = csv_to_json("order,total\nA-1,3200\nA-2,10\n").unwrap();
        assert_eq!(
            v,
            json!([{"order": "A-1", "total": "3200"}, {"order": "A-2", "total": "10"}])
        );
        let v = csv_to_json("note,note\na,b\n").unwrap();
        assert_eq!(v, json!([{"note": "a", "note_2": "b"}]));
        assert_eq!(slug("Orders and billing"), "orders-and-billing");
        assert_eq!(slug("顧客DB"), "顧客db");
        assert_eq!(slug("!!!"), "system");
    }
}
