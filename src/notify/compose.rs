//! What one notice says as an email: subject, greeting, paragraphs, particulars and links, in the
//! requester's language (Fluent, `templates/i18n/*/kaiji.ftl`), rendered as plain text and HTML
//! (`templates/email/`). Emails never carry identity documents or disclosed data: they point to the
//! tracking page, the confirmation link or the download link.

use askama::Template;
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::notice::NoticeKind;
use crate::domain::request::{Language, RequestType};
use crate::domain::workflow::WorkflowDefinition;
use crate::web::i18n::Tr;

/// Everything a notice's email may mention, gathered by the worker.
pub struct NoticeContext<'a> {
    pub kind: NoticeKind,
    pub language: Language,
    pub receipt_number: &'a str,
    pub request_type: RequestType,
    /// Whom the email greets (the requester, or the person an agent filed for).
    pub addressee: &'a str,
    pub def: &'a WorkflowDefinition,
    pub payload: &'a Value,
    /// Full addresses, when the notice has them.
    pub tracking_url: Option<String>,
    pub action_url: Option<String>,
}

/// A composed email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Template)]
#[template(path = "email/notice.txt")]
struct TextBody<'a> {
    c: &'a Content,
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct HtmlBody<'a> {
    c: &'a Content,
    lang: &'a str,
}

/// The parts both renderings share.
#[derive(Debug, Clone, Default)]
pub struct Content {
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    pub rows: Vec<(String, String)>,
    /// The one thing to click, with its label.
    pub action: Option<(String, String)>,
    pub tracking: Option<(String, String)>,
    pub footer: Vec<String>,
}

fn s<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn n(v: &Value, path: &[&str]) -> Option<i64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_i64()
}

/// Builds the content of a notice (pure: no I/O).
pub fn content(c: &NoticeContext<'_>) -> Content {
    let tr = Tr::new(c.language);
    let kind = c.kind.as_str();
    let args = || {
        vec![
            ("receipt", c.receipt_number.to_owned()),
            ("right", tr.request_type(&c.request_type)),
            ("procedure", c.def.name.get(c.language).to_owned()),
        ]
    };
    let p = c.payload;
    let mut out = Content {
        subject: tr.t_args(&format!("email-subject-{kind}"), &args()),
        greeting: tr.t_args("email-greeting", &[("name", c.addressee.to_owned())]),
        paragraphs: vec![tr.t_args(&format!("email-body-{kind}"), &args())],
        ..Content::default()
    };
    let row = |out: &mut Content, key: &str, value: String| {
        out.rows.push((tr.t(&format!("email-row-{key}")), value));
    };
    row(&mut out, "receipt", c.receipt_number.to_owned());
    if let Some(r) = s(p, &["reason"]).filter(|r| !r.trim().is_empty()) {
        row(&mut out, "reason", r.to_owned());
    }
    for e in p["extended"].as_array().into_iter().flatten() {
        if let Some(d) = s(e, &["due_on"]) {
            row(&mut out, "new-due", d.to_owned());
        }
    }
    if p.get("invoice").is_some() {
        if let Some(num) = s(p, &["invoice", "number"]) {
            row(&mut out, "invoice", num.to_owned());
        }
        if let Some(a) = n(p, &["invoice", "amount_yen"]) {
            row(&mut out, "amount", tr.yen(a));
        }
        if let Some(d) = s(p, &["invoice", "due_on"]) {
            row(&mut out, "pay-by", d.to_owned());
        }
        if let Some(b) = s(p, &["invoice", "bank_account"]) {
            row(&mut out, "bank", b.to_owned());
        }
    }
    if let Some(a) = n(p, &["paid_yen"]) {
        row(&mut out, "paid", tr.yen(a));
    }
    if let Some(a) = n(p, &["shortfall_yen"]) {
        row(&mut out, "shortfall", tr.yen(a));
    }
    if let Some(t) = s(p, &["dispatch", "tracking_number"]) {
        row(&mut out, "mail-tracking", t.to_owned());
    }
    if let Some(d) = s(p, &["dispatch", "dispatched_on"]) {
        row(&mut out, "dispatched-on", d.to_owned());
    }
    if let Some(d) = s(p, &["deadline", "due_on"]) {
        let label = s(p, &["deadline", "label"]).unwrap_or("");
        row(
            &mut out,
            "deadline",
            format!("{d} {label}").trim().to_owned(),
        );
    }
    if let Some(d) = s(p, &["delivered_on"]) {
        row(&mut out, "delivered-on", d.to_owned());
    }
    for item in p["missing"].as_array().into_iter().flatten() {
        let names: Vec<String> = item["requirement"]["one_of"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|k| {
                c.def
                    .documents
                    .as_ref()
                    .and_then(|d| d.kind_label(k))
                    .map(|l| l.get(c.language).to_owned())
                    .unwrap_or_else(|| k.to_owned())
            })
            .collect();
        if !names.is_empty() {
            row(&mut out, "needed", names.join(" / "));
        }
    }
    for sys in p["systems"].as_array().into_iter().flatten() {
        let outcome = s(sys, &["outcome"]).unwrap_or("");
        let mut text = tr.t(&format!("email-outcome-{outcome}"));
        if let Some(g) = s(sys, &["legal_ground"]) {
            text = format!("{text} ({g})");
        }
        out.rows
            .push((s(sys, &["system"]).unwrap_or("").to_owned(), text));
    }
    for ch in p["changes"].as_array().into_iter().flatten() {
        let action = s(ch, &["action"]).unwrap_or("");
        out.rows.push((
            s(ch, &["item"]).unwrap_or("").to_owned(),
            tr.t(&format!("email-change-{action}")),
        ));
    }
    if let Some(part) = s(p, &["partial_refusal"]).filter(|x| !x.trim().is_empty()) {
        row(&mut out, "partial-refusal", part.to_owned());
    }
    if let Some(until) =
        s(p, &["download", "expires_at"]).and_then(|t| t.parse::<DateTime<Utc>>().ok())
    {
        row(&mut out, "download-until", tr.time(&until));
    }
    if let Some(url) = &c.action_url {
        // The confirmation links, or else a released answer.
        let label = match c.kind {
            NoticeKind::EmailConfirmation | NoticeKind::PersonConfirmation => {
                tr.t(&format!("email-action-{kind}"))
            }
            k if k.to_staff() => tr.t("email-action-staff"),
            _ => tr.t("email-action-download"),
        };
        out.action = Some((label, url.clone()));
    }
    if let Some(url) = &c.tracking_url {
        out.tracking = Some((tr.t("email-track"), url.clone()));
    }
    let refusal = matches!(
        c.kind,
        NoticeKind::Refused | NoticeKind::IdentityNotVerified
    ) || p.get("partial_refusal").is_some();
    if let Some(a) = c.def.complaint_authority.as_ref().filter(|_| refusal) {
        out.footer.push(tr.t_args(
            "email-complaint",
            &[("authority", a.get(c.language).to_owned())],
        ));
    }
    if !matches!(
        c.kind,
        NoticeKind::EmailConfirmation | NoticeKind::PersonConfirmation
    ) && !c.kind.to_staff()
        && let Some(nd) = &c.def.non_discrimination
    {
        out.footer.push(nd.get(c.language).to_owned());
    }
    out.footer.push(tr.t("email-automatic"));
    out
}

/// Renders a notice as plain text and HTML.
pub fn render(c: &NoticeContext<'_>) -> Result<Email, askama::Error> {
    let content = content(c);
    Ok(Email {
        subject: content.subject.clone(),
        text: TextBody { c: &content }.render()?,
        html: HtmlBody {
            c: &content,
            lang: c.language.as_str(),
        }
        .render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(src: &str) -> WorkflowDefinition {
        let ids = ["jp", "us-ca", "lu", "ca"]
            .into_iter()
            .map(String::from)
            .collect();
        WorkflowDefinition::parse(src, &ids).unwrap()
    }

    /// A payload with everything any notice may carry.
    fn full_payload() -> Value {
        json!({
            "reason": "Art. 12(5): manifestly unfounded <script>",
            "extended": [{"clock": "response", "due_on": "2027-03-01"}],
            "invoice": {"number": "INV-1", "amount_yen": 10800, "due_on": "2026-12-14", "bank_account": "みずほ銀行"},
            "paid_yen": 5000, "shortfall_yen": 5800,
            "dispatch": {"tracking_number": "131-12-38385-2", "dispatched_on": "2026-12-01"},
            "delivered_on": "2026-12-03",
            "systems": [{"system": "Orders", "outcome": "erased"}, {"system": "Billing", "outcome": "retained", "legal_ground": "tax law"}],
            "changes": [{"item": "address", "action": "corrected"}],
            "partial_refusal": "Third parties' data withheld.",
            "download": {"id": "d1", "expires_at": "2026-12-15T00:00:00Z"},
        })
    }

    #[test]
    fn every_notice_renders_in_both_languages() {
        let defs = [
            def(include_str!("../../seeds/workflows/gdpr.toml")),
            def(include_str!("../../seeds/workflows/jp-postal.toml")),
            def(include_str!("../../seeds/workflows/ccpa.toml")),
        ];
        let payload = full_payload();
        for d in &defs {
            for kind in NoticeKind::ALL {
                for language in [Language::En, Language::Ja] {
                    let c = NoticeContext {
                        kind,
                        language,
                        receipt_number: "R-20261122-ABCD",
                        request_type: RequestType::Deletion,
                        addressee: "Pat <Doe>",
                        def: d,
                        payload: &payload,
                        tracking_url: Some("https://privacy.example/track/t".into()),
                        action_url: Some("https://privacy.example/x".into()),
                    };
                    let e = render(&c).unwrap();
                    let all = format!("{}\n{}\n{}", e.subject, e.text, e.html);
                    assert!(
                        e.subject.contains("R-20261122-ABCD"),
                        "{kind:?} {language:?}"
                    );
                    assert!(
                        !all.contains("email-") && !all.contains("{ $"),
                        "a missing translation in {kind:?} {language:?}: {all}"
                    );
                    assert!(e.text.contains("Pat <Doe>"), "plain text is not escaped");
                    assert!(
                        e.html.contains("Pat &#60;Doe&#62;") || e.html.contains("Pat &lt;Doe&gt;")
                    );
                    assert!(!e.html.contains("<script>"), "HTML is escaped");
                    assert!(e.text.contains("https://privacy.example/track/t"));
                    let expect_lang = if language == Language::Ja { "ja" } else { "en" };
                    assert!(e.html.contains(&format!("lang=\"{expect_lang}\"")));
                }
            }
        }
        // Language shows in the words, not only the header.
        let c = |language| NoticeContext {
            kind: NoticeKind::Invoice,
            language,
            receipt_number: "R-1",
            request_type: RequestType::Access,
            addressee: "山田花子",
            def: &defs[1],
            payload: &payload,
            tracking_url: None,
            action_url: None,
        };
        let ja = render(&c(Language::Ja)).unwrap();
        assert!(
            ja.text.contains("山田花子 様") && ja.text.contains("10,800円"),
            "{}",
            ja.text
        );
        let en = render(&c(Language::En)).unwrap();
        assert!(en.text.contains("Dear 山田花子") && en.text.contains("¥10,800"));
        // The CCPA promise closes its answers, not the confirmation links.
        let ccpa = |kind| NoticeContext {
            kind,
            language: Language::En,
            receipt_number: "R-1",
            request_type: RequestType::Access,
            addressee: "Pat",
            def: &defs[2],
            payload: &payload,
            tracking_url: None,
            action_url: None,
        };
        assert!(
            render(&ccpa(NoticeKind::AnswerReady))
                .unwrap()
                .text
                .contains("different price")
        );
        assert!(
            !render(&ccpa(NoticeKind::EmailConfirmation))
                .unwrap()
                .text
                .contains("different price")
        );
        // Refusals name where to complain.
        let refused = render(&NoticeContext {
            kind: NoticeKind::Refused,
            ..c(Language::En)
        })
        .unwrap();
        assert!(refused.text.contains("complain"), "{}", refused.text);
    }
}
