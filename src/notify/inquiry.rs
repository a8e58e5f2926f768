//! The e-mail about an inquiry or complaint: that it was received (its reference and the days the desk
//! answers by), or the desk's answer. In the language it was sent in.

use super::compose::{self, Content, Email};
use crate::app::AppState;
use crate::db::AnyConnection;
use crate::db::notices::NoticeRow;
use crate::domain::request::Language;
use crate::i18n::Tr;

/// The language, the address and the e-mail of an inquiry's notice, or why it cannot be written.
pub(super) fn email(
    conn: &mut AnyConnection,
    state: &AppState,
    notice: &NoticeRow,
) -> Result<(Language, String, Email), String> {
    let row = crate::app::inquiries::for_notice(conn, notice).map_err(|e| e.to_string())?;
    let address = row
        .email
        .clone()
        .ok_or("the inquiry has no email address")?;
    let language: Language = row
        .language
        .parse()
        .map_err(|_| "the inquiry's language cannot be read".to_owned())?;
    let payload: serde_json::Value =
        crate::domain::stored::read_json("inquiry notice particulars", notice.payload.as_bytes())
            .map_err(|e| e.to_string())?;
    let text = |key: &str| payload[key].as_str().unwrap_or_default().to_owned();
    let tr = Tr::new(language);
    let laws = state.workflows.laws();
    let kind = laws
        .inquiries
        .kind(&row.kind)
        .map(|k| k.label.get(language).to_owned())
        .unwrap_or_else(|| row.kind.clone());
    let args = vec![("reference", row.reference.clone()), ("kind", kind.clone())];
    let mut c = Content {
        subject: tr.t_args(&format!("email-subject-{}", notice.kind), &args),
        greeting: tr.t_args("email-greeting", &[("name", row.name.clone())]),
        paragraphs: vec![tr.t_args(&format!("email-body-{}", notice.kind), &args)],
        ..Content::default()
    };
    let mut row_of = |key: &str, value: String| {
        c.rows.push((tr.t(&format!("inquiry-{key}")), value));
    };
    row_of("reference", row.reference.clone());
    row_of("kind", kind);
    match notice.kind.as_str() {
        crate::app::inquiries::ANSWERED => {
            // The acknowledgement goes automatically to the address typed on the form, so it repeats
            // nothing else the sender typed (no one can send their own text through it); the answer,
            // written by the desk, names the subject.
            row_of("subject", row.subject.clone());
            // The answer itself, paragraph by paragraph as the officer wrote it.
            c.paragraphs.extend(
                text("answer")
                    .split("\n\n")
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned),
            );
            if let Some(a) = laws
                .regime_of(&row.place)
                .and_then(|r| r.complaint_authority.as_ref())
            {
                c.paragraphs.push(tr.t_args(
                    "email-inquiry-authority",
                    &[("authority", a.get(language).to_owned())],
                ));
            }
        }
        _ => {
            row_of("answer-due", text("answer_due"));
        }
    }
    c.footer.push(tr.t("email-automatic"));
    compose::render_content(&c, language)
        .map(|e| (language, address, e))
        .map_err(|e| format!("rendering: {e}"))
}
