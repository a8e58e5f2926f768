//! What one notice says as an email: subject, greeting, paragraphs, particulars and links, in the
//! requester's language (Fluent, `templates/i18n/*/kaiji.ftl`), rendered as plain text and HTML
//! (`templates/email/`). Emails never carry identity documents or disclosed data: they point to the
//! tracking page, the confirmation link or the download link.

use crate::domain::code::Code;
use crate::domain::notice::{NoticeKind, NoticePayload};
use crate::domain::request::Language;
use crate::domain::workflow::WorkflowDefinition;
use crate::i18n::Tr;
use askama::Template;

/// Everything a notice's email may mention, gathered by the worker.
pub struct NoticeContext<'a> {
    pub kind: NoticeKind,
    pub language: Language,
    pub receipt_number: &'a str,
    /// The right asked for, named in the notice's language.
    pub right: String,
    /// The requester's place's zone: times in the email are shown there.
    pub timezone: chrono_tz::Tz,
    /// Whom the email greets (the requester, or the person an agent filed for).
    pub addressee: &'a str,
    pub def: &'a WorkflowDefinition,
    pub payload: &'a NoticePayload,
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

/// Builds the content of a notice (pure: no I/O).
pub fn content(c: &NoticeContext<'_>) -> Content {
    let tr = Tr::new(c.language);
    let kind = c.kind.as_str();
    let args = || {
        vec![
            ("receipt", c.receipt_number.to_owned()),
            ("right", c.right.clone()),
            ("procedure", c.def.name.get(c.language).to_owned()),
        ]
    };
    let p = c.payload;
    let mut out = Content {
        subject: tr.t_args(&format!("email-subject-{kind}"), &args()),
        // An organisation is addressed as one (御中), never as a person (様).
        greeting: tr.t_args(
            if c.kind.to_recipient() {
                "email-greeting-organisation"
            } else {
                "email-greeting"
            },
            &[("name", c.addressee.to_owned())],
        ),
        paragraphs: vec![tr.t_args(&format!("email-body-{kind}"), &args())],
        ..Content::default()
    };
    let row = |out: &mut Content, key: &str, value: String| {
        out.rows.push((tr.t(&format!("email-row-{key}")), value));
    };
    row(&mut out, "receipt", c.receipt_number.to_owned());
    // What the requester did, in the procedure's words.
    if c.kind == NoticeKind::StaffRequesterActed
        && let Some(t) = p
            .event
            .as_deref()
            .and_then(|e| c.def.transitions.iter().find(|t| t.event == e))
    {
        let said = t.requester_action.as_ref().unwrap_or(&t.label);
        row(&mut out, "action", said.get(c.language).to_owned());
    }
    if let Some(g) = &p.ground {
        row(&mut out, "ground", Tr::new(c.language).ground(g));
    }
    if let Some(r) = p.reason.as_deref().filter(|r| !r.trim().is_empty()) {
        row(&mut out, "reason", r.to_owned());
    }
    for e in &p.extended {
        if let Some(d) = e.due_on {
            row(&mut out, "new-due", d.to_string());
        }
    }
    if let Some(d) = p.answer_due {
        row(&mut out, "answer-due", d.to_string());
    }
    if let Some(v) = p.verification {
        out.paragraphs.push(tr.t_args(
            "email-verification",
            &[
                ("points", v.points.to_string()),
                (
                    "declaration",
                    if v.declaration { "yes" } else { "no" }.to_owned(),
                ),
            ],
        ));
    }
    if let Some(inv) = &p.invoice {
        row(&mut out, "invoice", inv.number.clone());
        row(&mut out, "amount", tr.yen(inv.amount_yen));
        row(&mut out, "pay-by", inv.due_on.to_string());
        if let Some(b) = &inv.bank_account {
            row(&mut out, "bank", b.clone());
        }
    }
    if let Some(a) = p.paid_yen {
        row(&mut out, "paid", tr.yen(a));
    }
    if let Some(a) = p.shortfall_yen {
        row(&mut out, "shortfall", tr.yen(a));
    }
    if let Some(d) = &p.dispatch {
        row(&mut out, "mail-tracking", d.tracking_number.clone());
        row(&mut out, "dispatched-on", d.dispatched_on.to_string());
    }
    if let Some(d) = &p.deadline {
        let label = d.label.as_deref().unwrap_or("");
        row(
            &mut out,
            "deadline",
            format!("{} {label}", d.due_on).trim().to_owned(),
        );
    }
    if let Some(d) = p.delivered_on {
        row(&mut out, "delivered-on", d.to_string());
    }
    for item in &p.missing {
        let names: Vec<String> = item
            .requirement
            .one_of
            .iter()
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
    for sys in &p.systems {
        let mut text = tr.t(&format!("email-outcome-{}", sys.outcome));
        if let Some(g) = &sys.legal_ground {
            text = format!("{text} ({g})");
        }
        if let Some(x) = sys.purposes.as_deref().filter(|x| !x.is_empty()) {
            text = format!("{text}: {x}");
        }
        out.rows.push((sys.system.clone(), text));
        if !sys.recipients_told.is_empty() {
            out.rows.push((
                tr.t_args(
                    "email-row-recipients-told",
                    &[("system", sys.system.clone())],
                ),
                sys.recipients_told
                    .iter()
                    .map(|r| {
                        format!(
                            "{} ({})",
                            r.name,
                            tr.t(&format!("recipient-role-{}", r.role))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
        }
    }
    if let Some(r) = &p.recipient {
        recipient_rows(&tr, r, &mut out);
    }
    for ch in &p.changes {
        // A recipient is given the value to correct to; the requester is told what was done.
        let value = match (&p.recipient, &ch.new_value) {
            (Some(_), Some(new)) => new.clone(),
            _ => tr.t(&format!("email-change-{}", ch.action)),
        };
        out.rows.push((ch.item.clone(), value));
    }
    if let Some(t) = &p.task {
        row(&mut out, "system", t.system.clone());
        row(
            &mut out,
            "task-kind",
            tr.t(&format!("task-kind-{}", t.kind)),
        );
    }
    if let Some(x) = &p.lifting {
        row(&mut out, "system", x.system.clone());
        row(&mut out, "lifted-on", x.lifted_on.to_string());
        row(&mut out, "reason", x.reason.clone());
    }
    if let Some(part) = p
        .partial_refusal
        .as_deref()
        .filter(|x| !x.trim().is_empty())
    {
        row(&mut out, "partial-refusal", part.to_owned());
    }
    if let Some(d) = &p.download {
        row(
            &mut out,
            "download-until",
            tr.time_in(&d.expires_at, &c.timezone),
        );
    }
    if let Some(url) = &c.action_url {
        // The confirmation links, or else a released answer.
        let label = match c.kind {
            NoticeKind::EmailConfirmation | NoticeKind::PersonConfirmation => {
                tr.t(&format!("email-action-{kind}"))
            }
            // A system owner opens their task, never the request.
            NoticeKind::StaffTaskOpened | NoticeKind::StaffTaskDue => tr.t("email-action-task"),
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
    ) || p.partial_refusal.is_some();
    // Refusals say where to complain; so do extensions (PIPEDA s. 8(4): the person may complain to the
    // Commissioner about the extension), as their letters do.
    let complaint = match c.kind {
        _ if refusal => Some("email-complaint"),
        NoticeKind::DeadlineExtended => Some("email-complaint-extension"),
        k if k.answers() => Some("email-complaint-answer"),
        _ => None,
    };
    if let Some(a) = &p.appeal {
        // How to appeal, after the reasons and before where to complain (VCDPA §59.1-578(B)).
        row(
            &mut out,
            "appeal",
            tr.t_args("email-appeal", &[("action", a.get(c.language).to_owned())]),
        );
    }
    if let (Some(key), Some(a)) = (complaint, c.def.complaint_authority.as_ref()) {
        out.footer
            .push(tr.t_args(key, &[("authority", a.get(c.language).to_owned())]));
    }
    if !matches!(
        c.kind,
        NoticeKind::EmailConfirmation | NoticeKind::PersonConfirmation
    ) && !c.kind.to_staff()
        && !c.kind.to_recipient()
        && let Some(nd) = &c.def.non_discrimination
    {
        out.footer.push(nd.get(c.language).to_owned());
    }
    out.footer.push(tr.t("email-automatic"));
    out
}

/// Whose data, where, and what the recipient is to do: a processor, service provider or contractor is
/// instructed; a third party is asked.
fn recipient_rows(tr: &Tr, r: &crate::domain::notice::RecipientNotice, out: &mut Content) {
    let whom = if matches!(r.role.as_str(), "third_party") {
        "asked"
    } else {
        "instructed"
    };
    out.paragraphs
        .push(tr.t(&format!("email-recipient-{}-{whom}", r.outcome)));
    let mut row = |key: &str, value: String| {
        out.rows.push((tr.t(&format!("email-row-{key}")), value));
    };
    row("system", r.system.clone());
    row("person", r.subject_name.clone());
    if let Some(e) = &r.subject_email {
        row("person-email", e.clone());
    }
    if let Some(d) = r.lifted_on {
        row("lifted-on", d.to_string());
    }
    if let Some(p) = &r.stopped_for {
        row("stopped-for", p.clone());
    }
    if let Some(a) = &r.allowed {
        row(
            "allowed",
            if a.is_empty() {
                tr.t("email-allowed-storage-only")
            } else {
                a.clone()
            },
        );
    }
}

/// Renders a notice as plain text and HTML.
pub fn render(c: &NoticeContext<'_>) -> Result<Email, askama::Error> {
    render_content(&content(c), c.language)
}

/// Renders composed content as text and HTML (every notice's email shares the two templates).
pub fn render_content(content: &Content, language: Language) -> Result<Email, askama::Error> {
    Ok(Email {
        subject: content.subject.clone(),
        text: TextBody { c: content }.render()?,
        html: HtmlBody {
            c: content,
            lang: language.as_str(),
        }
        .render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(src: &str) -> WorkflowDefinition {
        WorkflowDefinition::parse(src, &crate::domain::law::Laws::shipped()).unwrap()
    }

    /// A payload with everything any notice may carry.
    fn full_payload() -> NoticePayload {
        serde_json::from_value(json!({
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
        }))
        .unwrap()
    }

    #[test]
    fn every_notice_renders_in_every_language() {
        let defs = [
            def(include_str!("../../seeds/workflows/gdpr.toml")),
            def(include_str!("../../seeds/workflows/jp-postal.toml")),
            def(include_str!("../../seeds/workflows/ccpa.toml")),
        ];
        let payload = full_payload();
        for d in &defs {
            for &kind in NoticeKind::ALL {
                for language in crate::i18n::spoken() {
                    let c = NoticeContext {
                        kind,
                        language,
                        receipt_number: "R-20261122-ABCD",
                        right: "Delete my data".into(),
                        timezone: chrono_tz::Asia::Tokyo,
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
                    assert!(e.html.contains(&format!("lang=\"{language}\"")));
                    if language != Language::EN {
                        let en = render(&NoticeContext {
                            language: Language::EN,
                            ..c
                        })
                        .unwrap();
                        assert_ne!(
                            e.text, en.text,
                            "{kind:?} is not translated into {language}"
                        );
                    }
                }
            }
        }
        // Language shows in the words, not only the header.
        let c = |language| NoticeContext {
            kind: NoticeKind::Invoice,
            language,
            receipt_number: "R-1",
            right: "See my data".into(),
            timezone: chrono_tz::Asia::Tokyo,
            addressee: "山田花子",
            def: &defs[1],
            payload: &payload,
            tracking_url: None,
            action_url: None,
        };
        let ja = render(&c(Language::JA)).unwrap();
        assert!(
            ja.text.contains("山田花子 様") && ja.text.contains("10,800円"),
            "{}",
            ja.text
        );
        let en = render(&c(Language::EN)).unwrap();
        assert!(en.text.contains("Dear 山田花子") && en.text.contains("¥10,800"));
        // The CCPA promise closes its answers, not the confirmation links.
        let ccpa = |kind| NoticeContext {
            kind,
            language: Language::EN,
            receipt_number: "R-1",
            right: "See my data".into(),
            timezone: chrono_tz::Asia::Tokyo,
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
            ..c(Language::EN)
        })
        .unwrap();
        assert!(refused.text.contains("complain"), "{}", refused.text);
    }
}
