//! Every notice kind, rendered from the payload kaiji stores for it (`tests/fixtures/notices/`, one file
//! per kind as the writers store it, `<kind>.<variant>.json` for another shape), as the email in both
//! languages and as the printed letter. The snapshots pin the words: a change to how payloads are
//! written or read must leave notices already queued saying the same thing.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use kaiji::domain::code::Code;
use kaiji::domain::notice::{NoticeKind, NoticePayload};
use kaiji::domain::request::Language;

use crate::common;
use kaiji::domain::workflow::WorkflowDefinition;
use kaiji::i18n::letter::{self, LetterInput};
use kaiji::notify::compose::{self, NoticeContext};

fn def(file: &str) -> WorkflowDefinition {
    let src = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("seeds/workflows")
            .join(file),
    )
    .unwrap();
    WorkflowDefinition::parse(&src, &common::laws()).unwrap()
}

fn fixtures() -> Vec<(String, NoticeKind, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/notices");
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_str().unwrap().to_owned();
            let kind = name.split('.').next().unwrap().parse().unwrap();
            (name, kind, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// A stored payload as the mailer and the letter page read it; a fixture must read whole (a payload
/// that fails to read renders without particulars, which would hide a broken reader here).
fn stored(raw: &str) -> NoticePayload {
    let strict: NoticePayload = serde_json::from_str(raw).unwrap();
    assert_eq!(NoticePayload::from_stored(raw), Ok(strict.clone()));
    strict
}

fn email(kind: NoticeKind, language: Language, d: &WorkflowDefinition, payload: &str) -> String {
    let payload = stored(payload);
    // The links as the mailer gives them: the confirmation links, the staff page, or a released answer.
    let action_url = match kind {
        k if k.to_staff() => Some("https://privacy.example/staff/requests/ID".to_owned()),
        NoticeKind::EmailConfirmation | NoticeKind::PersonConfirmation => {
            Some("https://privacy.example/confirm/LINK".to_owned())
        }
        _ => payload
            .download
            .as_ref()
            .map(|_| "https://privacy.example/download/LINK".to_owned()),
    };
    let tracking_url =
        (!kind.to_staff() && !kind.to_recipient() && kind != NoticeKind::PersonConfirmation)
            .then(|| "https://privacy.example/track/TOKEN".to_owned());
    let e = compose::render(&NoticeContext {
        kind,
        language,
        receipt_number: "R-20261122-ABCD",
        right: common::laws().label_under(&d.regime, "access", language),
        // The fixtures' times read in Tokyo, as the snapshots were taken.
        timezone: chrono_tz::Asia::Tokyo,
        addressee: "山田花子",
        def: d,
        payload: &payload,
        tracking_url,
        action_url,
    })
    .unwrap();
    format!(
        "Subject: {}\n--- text\n{}\n--- html\n{}",
        e.subject, e.text, e.html
    )
}

fn letter_text(kind: NoticeKind, d: &WorkflowDefinition, payload: &str) -> String {
    let l = compose_letter(kind, d, payload);
    let mut out = format!("# {}\n", l.title);
    for p in &l.paragraphs {
        out += &format!("{p}\n");
    }
    for (k, v) in &l.rows {
        out += &format!("| {k} | {v} |\n");
    }
    if let Some(h) = &l.list_heading {
        out += &format!("## {h}\n");
    }
    for x in &l.list {
        out += &format!("- {x}\n");
    }
    if !l.notes.is_empty() {
        out += "## 書類をお送りいただく際のご注意\n";
    }
    for n in &l.notes {
        out += &format!("* {n}\n");
    }
    out
}

fn compose_letter(kind: NoticeKind, d: &WorkflowDefinition, payload: &str) -> letter::Letter {
    let payload = stored(payload);
    let sent_on = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
    let documents = d.documents.as_ref().map(|x| x.as_of(sent_on));
    let names = |k: &str| {
        documents
            .as_ref()
            .and_then(|x| x.kind_label(k))
            .map(|l| l.ja().to_owned())
    };
    let notes = documents
        .as_ref()
        .map(|x| kaiji::app::reply::document_notes(x, &payload))
        .unwrap_or_default();
    letter::compose(&LetterInput {
        kind,
        sent_on,
        receipt_number: "R-20261122-ABCD",
        right: &common::laws().label_under(
            &d.regime,
            "access",
            kaiji::domain::request::Language::JA,
        ),
        requester_name: "山田花子",
        postal_address: Some("〒150-0001 東京都渋谷区神宮前1-1-1"),
        received_on: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        desk: Some("個人情報お問い合わせ窓口"),
        complaint_authority: Some("個人情報保護委員会"),
        non_discrimination: None,
        transfer_agent: Some("株主名簿管理人 三井住友信託銀行"),
        payload: &payload,
        download_url: Some("https://privacy.example/download/LINK".into()),
        confirm_url: Some("https://privacy.example/confirm/LINK".into()),
        bank_account: Some("三菱UFJ銀行 本店 普通 7654321"),
        document_name: &names,
        document_notes: &notes,
    })
}

#[test]
fn every_notice_kind_has_a_stored_payload() {
    let have: BTreeSet<NoticeKind> = fixtures().into_iter().map(|(_, k, _)| k).collect();
    let missing: Vec<_> = NoticeKind::ALL
        .iter()
        .filter(|k| !have.contains(k))
        .collect();
    assert!(missing.is_empty(), "no fixture for {missing:?}");
}

#[test]
fn stored_payloads_render_the_same_words() {
    let postal = def("jp-postal.toml");
    let gdpr = def("gdpr.toml");
    let ccpa = def("ccpa.toml");
    for (name, kind, payload) in fixtures() {
        let out = format!(
            "=== email ja (jp-postal)\n{}\n=== email en (gdpr)\n{}\n=== email en (ccpa)\n{}\n=== letter\n{}",
            email(kind, Language::JA, &postal, &payload),
            email(kind, Language::EN, &gdpr, &payload),
            email(kind, Language::EN, &ccpa, &payload),
            letter_text(kind, &postal, &payload),
        );
        insta::assert_snapshot!(name, out);
    }
}

/// Every letter kind as the PDF the desk prints: the text poppler reads back from it, pinned per kind,
/// with the forms of address checked mechanically (様 for the person; no 御中 or 宛 on a letter; the date
/// in Japanese style; the desk's contact block).
#[test]
fn letters_print_as_pdf_with_the_same_words() {
    let postal = def("jp-postal.toml");
    for (name, kind, payload) in fixtures() {
        let sheet = kaiji::i18n::pdf::LetterSheet {
            date: "2026年12月3日".into(),
            receipt_number: "R-20261122-ABCD".into(),
            to: vec![
                "〒150-0001 東京都渋谷区神宮前1-1-1".into(),
                "山田花子　様".into(),
            ],
            from: postal.desk.as_ref().unwrap().sender_lines(Language::JA),
            letter: compose_letter(kind, &postal, &payload),
        };
        let pdf = kaiji::i18n::pdf::letter_pdf(&sheet, kaiji::i18n::pdf::WindowMm::NAGA3).unwrap();
        let Some(text) = common::poppler("pdftotext", &[], &pdf) else {
            return;
        };
        for expected in [
            "山田花子",
            "様",
            "2026年12月3日",
            "https://gpu.cloud.gmo.jp",
            "敬具",
        ] {
            assert!(text.contains(expected), "{name}: {expected}: {text}");
        }
        for never in ["御中", "宛"] {
            assert!(!text.contains(never), "{name}: {never}: {text}");
        }
        insta::assert_snapshot!(format!("{name}.pdf"), text);
    }
}
