//! The printed letter for each outgoing notice (Japanese, A4): which paragraphs, particulars and list
//! it has, composed from the request and the notice's payload as it was when queued. The wording is in
//! `templates/i18n/ja/letters.ftl`; rendering to HTML is the template's job.

use chrono::{DateTime, NaiveDate, Utc};

use super::Tr;
use crate::domain::code::Code;
use crate::domain::documents::{Holder, ItemStatus, Problem};
use crate::domain::notice::{NoticeKind, NoticePayload};
use crate::domain::request::Language;

/// Everything a letter may mention.
pub struct LetterInput<'a> {
    pub kind: NoticeKind,
    /// The day the notice was queued, at the desk.
    pub sent_on: NaiveDate,
    pub receipt_number: &'a str,
    /// The right asked for, as its regime names it in Japanese.
    pub right: &'a str,
    pub requester_name: &'a str,
    pub postal_address: Option<&'a str>,
    pub received_on: NaiveDate,
    /// The desk's name and address, as printed on the procedure's forms.
    pub desk: Option<&'a str>,
    pub complaint_authority: Option<&'a str>,
    /// The procedure's promise not to discriminate for exercising a right (CCPA), closing each letter.
    pub non_discrimination: Option<&'a str>,
    pub transfer_agent: Option<&'a str>,
    /// The notice's payload: reason, invoice, dispatch, download, missing documents, changes.
    pub payload: &'a NoticePayload,
    /// The full download address, for a released reply.
    pub download_url: Option<String>,
    /// The email-confirmation address, for that notice.
    pub confirm_url: Option<String>,
    /// The account fees are paid into, when the payload does not name it.
    pub bank_account: Option<&'a str>,
    /// Names of document kinds, in Japanese; none for a kind not accepted on the letter's day.
    pub document_name: &'a dyn Fn(&str) -> Option<String>,
    /// How to send the documents the letter asks for (what to hide, which sides, never the 個人番号).
    pub document_notes: &'a [String],
}

/// A composed letter: a title, paragraphs, a table of particulars and a list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Letter {
    pub title: String,
    pub paragraphs: Vec<String>,
    pub rows: Vec<(String, String)>,
    pub list_heading: Option<String>,
    pub list: Vec<String>,
    /// Cautions under the list (how to send the documents asked for).
    pub notes: Vec<String>,
}

/// 2026年11月22日
pub fn ja_date(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// 2026年12月17日 12:00（日本時間）
pub fn ja_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y年%-m月%-d日 %H:%M（日本時間）")
        .to_string()
}

/// The letters' wording, in Japanese.
fn tr() -> Tr {
    Tr::new(Language::JA)
}

fn t(key: &str, args: &[(&'static str, String)]) -> String {
    tr().t_args(key, args)
}

/// The right asked for, as letters name it.
/// The message family of a notice kind's letter (kinds that read alike share one).
fn letter_key(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Received | NoticeKind::Acknowledgement => "received",
        NoticeKind::StaffAssigned
        | NoticeKind::StaffDueSoon
        | NoticeKind::StaffOverdue
        | NoticeKind::StaffRequesterActed
        | NoticeKind::StaffTaskOpened
        | NoticeKind::StaffTaskDue
        // Recipients are written to by email only; their letter is never printed.
        | NoticeKind::RecipientNotified => "staff",
        other => other.as_str(),
    }
}

fn problem_text(item: &ItemStatus, names: &dyn Fn(&str) -> Option<String>) -> String {
    // Only what may be sent now: a kind since abolished is not offered again.
    let kinds: Vec<String> = item
        .requirement
        .one_of
        .iter()
        .filter_map(|k| names(k))
        .collect();
    // Every kind of the line has since been abolished: ask for an identity document, not for one of them.
    let kinds = if kinds.is_empty() && !item.requirement.one_of.is_empty() {
        vec![t("letter-document-any", &[])]
    } else {
        kinds
    };
    let whose = match item.requirement.holder {
        Holder::Agent => "letter-document-agent",
        Holder::Principal => "letter-document-principal",
    };
    let what = ("what", t(whose, &[("kinds", kinds.join("・"))]));
    match &item.problem {
        Some(Problem::NotOriginal) => t("letter-problem-not_original", &[what]),
        Some(Problem::DateMissing) => t("letter-problem-date_missing", &[what]),
        Some(Problem::Stale {
            created_on,
            earliest,
        }) => t(
            "letter-problem-stale",
            &[
                what,
                ("created", ja_date(*created_on)),
                ("earliest", ja_date(*earliest)),
            ],
        ),
        Some(Problem::DatedAfterRequest { .. }) => t("letter-problem-dated_after_request", &[what]),
        Some(Problem::Rejected { reason }) => t(
            "letter-problem-rejected",
            &[what, ("reason", reason.clone())],
        ),
        Some(Problem::NotAccepted {
            until: Some(until), ..
        }) => t(
            "letter-problem-not_accepted",
            &[what, ("until", ja_date(*until))],
        ),
        Some(Problem::NotAccepted { from, .. }) => t(
            "letter-problem-not_yet_accepted",
            &[what, ("from", from.map(ja_date).unwrap_or_default())],
        ),
        Some(Problem::Missing) | None => t("letter-problem-missing", &[what]),
    }
}

/// What each data system did: erasures, what was kept and on which ground, exports.
fn system_lines(payload: &NoticePayload) -> impl Iterator<Item = String> + '_ {
    payload.systems.iter().map(|s| {
        let system = ("system", s.system.clone());
        match s.outcome.as_str() {
            "erased" => match s.deletion_method.as_deref().filter(|m| !m.is_empty()) {
                Some(method) => t(
                    "letter-system-erased-by",
                    &[system, ("method", method.to_owned())],
                ),
                None => t("letter-system-erased", &[system]),
            },
            "retained" => t(
                "letter-system-retained",
                &[
                    system,
                    ("ground", s.legal_ground.clone().unwrap_or_default()),
                ],
            ),
            "exported" => t("letter-system-exported", &[system]),
            "no_data" => t("letter-system-no_data", &[system]),
            "rectified" => t("letter-system-rectified", &[system]),
            "restricted" => match s.purposes.as_deref().filter(|x| !x.is_empty()) {
                Some(allowed) => t(
                    "letter-system-restricted-allowing",
                    &[system, ("allowed", allowed.to_owned())],
                ),
                None => t("letter-system-restricted", &[system]),
            },
            "held" => t(
                "letter-system-held",
                &[system, ("purposes", s.purposes.clone().unwrap_or_default())],
            ),
            "stopped" => t(
                "letter-system-stopped",
                &[system, ("purposes", s.purposes.clone().unwrap_or_default())],
            ),
            "withheld" => t(
                "letter-system-withheld",
                &[
                    system,
                    ("ground", s.legal_ground.clone().unwrap_or_default()),
                ],
            ),
            "declined" => t(
                "letter-system-declined",
                &[
                    system,
                    ("ground", s.legal_ground.clone().unwrap_or_default()),
                ],
            ),
            _ => t("letter-system-pending", &[system]),
        }
    })
}

/// Those each system told of its change (GDPR Art. 19).
fn recipient_lines(payload: &NoticePayload) -> impl Iterator<Item = String> + '_ {
    payload
        .systems
        .iter()
        .filter(|s| !s.recipients_told.is_empty())
        .map(|s| {
            t(
                "letter-system-recipients-told",
                &[
                    ("system", s.system.clone()),
                    (
                        "recipients",
                        s.recipients_told
                            .iter()
                            .map(|r| {
                                format!(
                                    "{}（{}）",
                                    r.name,
                                    tr().t(&format!("recipient-role-{}", r.role))
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("、"),
                    ),
                ],
            )
        })
}

/// Each record of provision disclosed, with the items Arts. 29 and 30 have recorded.
fn provision_lines(payload: &NoticePayload) -> impl Iterator<Item = String> + '_ {
    payload.provision_records.iter().map(|r| {
        let when = match r.last_provided_on {
            Some(last) if last != r.provided_on => t(
                "letter-provision-period",
                &[("first", ja_date(r.provided_on)), ("last", ja_date(last))],
            ),
            _ => ja_date(r.provided_on),
        };
        let mut whom: Vec<String> = r.counterparty_address.iter().cloned().collect();
        if let Some(rep) = &r.counterparty_representative {
            whom.push(t(
                "letter-provision-representative",
                &[("name", rep.clone())],
            ));
        }
        let whom = if whom.is_empty() {
            String::new()
        } else {
            format!("（{}）", whom.join("、"))
        };
        let args = [
            ("when", when),
            ("counterparty", format!("{}{whom}", r.counterparty)),
            ("items", r.items.clone()),
            ("person", r.person.clone()),
            ("basis", r.basis.ja().to_owned()),
            ("how", r.acquired_how.clone().unwrap_or_default()),
        ];
        match r.direction.as_str() {
            "received" => t("letter-provision-received", &args),
            _ => t("letter-provision-provided", &args),
        }
    })
}

/// What was changed item by item, then what each data system did.
fn change_lines(payload: &NoticePayload) -> Vec<String> {
    let changes = payload.changes.iter().map(|c| {
        let item = ("item", c.item.clone());
        match c.action.as_str() {
            "corrected" => t(
                "letter-change-corrected",
                &[
                    item,
                    ("prior", c.prior_value.clone().unwrap_or_default()),
                    ("new", c.new_value.clone().unwrap_or_default()),
                ],
            ),
            "deleted" => t("letter-change-deleted", &[item]),
            _ => t("letter-change-stopped", &[item]),
        }
    });
    changes
        .chain(system_lines(payload))
        .chain(recipient_lines(payload))
        .collect()
}

/// Where the requester may turn about a decision: the desk, or the procedure's complaint authority.
fn where_to_turn(i: &LetterInput<'_>, what: &str) -> Option<String> {
    i.complaint_authority.map(|a| {
        t(
            "letter-where-to-turn",
            &[("what", tr().t(what)), ("authority", a.to_owned())],
        )
    })
}

impl Letter {
    fn row(&mut self, label: &str, value: impl Into<String>) {
        self.rows.push((tr().t(label), value.into()));
    }

    /// The list of what was done, headed only when there is something in it.
    fn actions(&mut self, payload: &NoticePayload, always_headed: bool) {
        self.list = change_lines(payload);
        if always_headed || !self.list.is_empty() {
            self.list_heading = Some(tr().t("letter-list-actions"));
        }
    }
}

/// The letter about an inquiry or complaint (`inquiry_acknowledged`, `inquiry_answered`): what it is
/// about, then the dates the desk answers by, or the answer as the officer wrote it.
pub fn inquiry_letter(
    kind: &str,
    reference: &str,
    inquiry_kind: &str,
    subject: &str,
    received: String,
    payload: &serde_json::Value,
) -> Letter {
    let text = |key: &str| payload[key].as_str().unwrap_or_default().to_owned();
    let args = [
        ("reference", reference.to_owned()),
        ("kind", inquiry_kind.to_owned()),
        ("received", received),
    ];
    let mut l = Letter {
        title: t(&format!("letter-{kind}-title"), &args),
        paragraphs: vec![t(&format!("letter-{kind}-body"), &args)],
        ..Letter::default()
    };
    l.row("letter-row-inquiry-reference", reference.to_owned());
    l.row("letter-row-inquiry-subject", subject.to_owned());
    if kind == "inquiry_answered" {
        l.paragraphs.extend(
            text("answer")
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        );
    } else if let Ok(d) = text("answer_due").parse::<NaiveDate>() {
        l.row("letter-row-answer-due", ja_date(d));
    }
    l
}

/// Composes the letter for a notice.
pub fn compose(i: &LetterInput<'_>) -> Letter {
    let p = i.payload;
    let kind_ja = i.right.to_owned();
    let received = ja_date(i.received_on);
    let receipt = i.receipt_number.to_owned();
    let about = t(
        "letter-about",
        &[
            ("received", received.clone()),
            ("kind", kind_ja.clone()),
            ("receipt", receipt.clone()),
        ],
    );
    let args = [
        ("about", about),
        ("received", received),
        ("kind", kind_ja),
        ("receipt", receipt),
        ("requester", i.requester_name.to_owned()),
    ];
    let key = letter_key(i.kind);
    let mut l = Letter {
        title: tr().t(&format!("letter-{key}-title")),
        paragraphs: vec![t(&format!("letter-{key}-body"), &args)],
        ..Letter::default()
    };
    l.paragraphs
        .extend(tr().try_t(&format!("letter-{key}-note")));
    match i.kind {
        NoticeKind::Received
        | NoticeKind::Acknowledgement
        | NoticeKind::IdentityRequested
        | NoticeKind::PaymentReceived
        | NoticeKind::NoDataHeld
        | NoticeKind::StaffAssigned
        | NoticeKind::StaffDueSoon
        | NoticeKind::StaffOverdue
        | NoticeKind::StaffRequesterActed
        | NoticeKind::StaffTaskOpened
        | NoticeKind::StaffTaskDue
        | NoticeKind::RecipientNotified
        | NoticeKind::UnconfirmedExpired
        | NoticeKind::Withdrawn
        | NoticeKind::AppealReceived
        | NoticeKind::TrackingLink
        | NoticeKind::DeliveryMethodChanged
        | NoticeKind::ChannelNotAccepted => {}
        NoticeKind::DocumentsRequested => {
            l.list_heading = Some(tr().t("letter-list-documents"));
            l.list = p
                .missing
                .iter()
                .map(|x| problem_text(x, i.document_name))
                .collect();
            l.notes = i.document_notes.to_vec();
        }
        NoticeKind::Invoice => {
            let inv = p.invoice.as_ref();
            l.row(
                "letter-row-invoice-number",
                inv.map(|v| v.number.clone()).unwrap_or_default(),
            );
            // Banks carry only kana, digits and capitals in the payer's name: the number's digits are
            // what a payer can type there, and what matching finds (`payment_match`).
            l.row(
                "letter-row-transfer-code",
                inv.map(|v| crate::domain::fees::transfer_code(&v.number))
                    .unwrap_or_default(),
            );
            l.row(
                "letter-row-amount-with-tax",
                t(
                    "letter-amount-per-service",
                    &[
                        ("amount", ja_yen(inv.map_or(0, |v| v.amount_yen))),
                        ("unit", ja_yen(inv.and_then(|v| v.unit_yen).unwrap_or(0))),
                        (
                            "services",
                            inv.and_then(|v| v.services).unwrap_or(1).to_string(),
                        ),
                    ],
                ),
            );
            // A qualified invoice (適格請求書): the rate and the tax within the total, and the issuer's
            // registration number.
            if let Some(v) = inv
                && let (Some(number), Some(rate), Some(tax)) =
                    (&v.registration_number, v.tax_rate_percent, v.tax_yen)
            {
                l.row(
                    "letter-row-tax",
                    t(
                        "letter-tax",
                        &[
                            ("rate", rate.to_string()),
                            ("amount", ja_yen(v.amount_yen)),
                            ("tax", ja_yen(tax)),
                        ],
                    ),
                );
                l.row("letter-row-registration-number", number.clone());
            }
            l.row(
                "letter-row-due-on",
                inv.map(|v| ja_date(v.due_on)).unwrap_or_default(),
            );
            l.row(
                "letter-row-bank-account",
                inv.and_then(|v| v.bank_account.as_deref())
                    .or(i.bank_account)
                    .unwrap_or(""),
            );
        }
        NoticeKind::PaymentShort => {
            let inv = p.invoice.as_ref();
            l.row(
                "letter-row-invoice-number",
                inv.map(|v| v.number.clone()).unwrap_or_default(),
            );
            l.row("letter-row-amount", ja_yen(inv.map_or(0, |v| v.amount_yen)));
            l.row("letter-row-paid", ja_yen(p.paid_yen.unwrap_or(0)));
            l.row("letter-row-shortfall", ja_yen(p.shortfall_yen.unwrap_or(0)));
            if let Some(b) = i.bank_account {
                l.row("letter-row-bank-account", b);
            }
        }
        NoticeKind::DeadlineExtended => {
            if let Some(due) = p.extended.first().and_then(|e| e.due_on) {
                l.row("letter-row-extended-due", ja_date(due));
            }
            l.paragraphs
                .extend(where_to_turn(i, "letter-this-extension"));
        }
        NoticeKind::AnswerReady => {
            if let Some(url) = &i.download_url {
                l.row("letter-row-download-url", url.clone());
            }
            if let Some(d) = &p.download {
                l.row("letter-row-expires-at", ja_time(d.expires_at));
            }
            l.actions(p, false);
        }
        NoticeKind::AnswerDispatched => {
            if let Some(d) = &p.dispatch {
                l.row("letter-row-tracking-number", d.tracking_number.clone());
                l.row("letter-row-dispatched-on", ja_date(d.dispatched_on));
            }
            l.actions(p, false);
            // A request for the records of provision (Art. 33(5)) is answered by the records themselves.
            if !p.provision_records.is_empty() {
                l.list_heading = Some(tr().t("letter-list-provision-records"));
                l.list.extend(provision_lines(p));
            }
        }
        NoticeKind::ActionCompleted => l.actions(p, true),
        NoticeKind::Refused | NoticeKind::IdentityNotVerified => {
            if let Some(a) = &p.appeal {
                l.paragraphs
                    .push(t("letter-appeal", &[("action", a.ja().to_owned())]));
            }
            l.paragraphs
                .extend(where_to_turn(i, "letter-this-decision"));
        }
        NoticeKind::Referral => {
            if let Some(agent) = i.transfer_agent {
                l.paragraphs
                    .push(t("letter-referral-agent", &[("agent", agent.to_owned())]));
            }
        }
        NoticeKind::EmailConfirmation | NoticeKind::PersonConfirmation => {
            if let Some(url) = &i.confirm_url {
                l.row("letter-row-confirm-url", url.clone());
            }
        }
        NoticeKind::DownloadExpiring => {
            if let Some(d) = &p.download {
                l.row("letter-row-expires-at", ja_time(d.expires_at));
            }
        }
        NoticeKind::RestrictionLifting => {
            if let Some(x) = &p.lifting {
                l.row("letter-row-system", x.system.clone());
                l.row("letter-row-lifted-on", ja_date(x.lifted_on));
                l.row("letter-row-reason", x.reason.clone());
            }
            l.paragraphs
                .extend(where_to_turn(i, "letter-this-decision"));
        }
    }
    if let Some(part) = p
        .partial_refusal
        .as_deref()
        .filter(|x| !x.trim().is_empty())
    {
        // Answered in part: what was refused, why, and where to turn.
        l.paragraphs
            .push(t("letter-partial-refusal", &[("part", part.to_owned())]));
        l.paragraphs
            .extend(where_to_turn(i, "letter-this-decision"));
    } else if i.kind.answers() {
        // A full answer says where to turn too, if the requester is not satisfied with it.
        l.paragraphs.extend(where_to_turn(i, "letter-this-answer"));
    }
    if let Some(g) = &p.ground {
        let article = g
            .article
            .as_ref()
            .map(|a| format!("（{}）", a.ja()))
            .unwrap_or_default();
        l.row("letter-row-ground", format!("{}{article}", g.label.ja()));
    }
    if let Some(r) = &p.reason {
        l.row("letter-row-reason", r.clone());
    }
    if let Some(d) = p.answer_due {
        l.row("letter-row-answer-due", ja_date(d));
    }
    if let Some(v) = p.verification {
        l.paragraphs.push(tr().t_args(
            "letter-verification",
            &[
                ("points", v.points.to_string()),
                (
                    "declaration",
                    if v.declaration { "yes" } else { "no" }.to_owned(),
                ),
            ],
        ));
    }
    // Every letter about the request says that asking costs nothing in service, price or quality, except
    // the confirmation links (they are about the address, not a right yet).
    if !matches!(
        i.kind,
        NoticeKind::EmailConfirmation | NoticeKind::PersonConfirmation
    ) {
        l.paragraphs.extend(i.non_discrimination.map(str::to_owned));
    }
    l
}

/// ¥10,800 as 10,800円.
pub fn ja_yen(amount: i64) -> String {
    tr().yen(amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload(v: serde_json::Value) -> NoticePayload {
        serde_json::from_value(v).unwrap()
    }

    fn input<'a>(
        kind: NoticeKind,
        payload: &'a NoticePayload,
        names: &'a dyn Fn(&str) -> Option<String>,
    ) -> LetterInput<'a> {
        LetterInput {
            kind,
            sent_on: "2026-11-22".parse().unwrap(),
            receipt_number: "KJ-20261119-ABCD",
            right: "保有個人データの開示",
            requester_name: "山田 太郎",
            postal_address: Some("〒100-0001 東京都千代田区千代田1-1"),
            received_on: "2026-11-19".parse().unwrap(),
            desk: Some("個人情報担当"),
            complaint_authority: Some("個人情報保護委員会"),
            non_discrimination: None,
            transfer_agent: Some("信託銀行"),
            payload,
            download_url: Some("https://kaiji.example/download/x.y".into()),
            confirm_url: None,
            bank_account: Some("銀行 普通 1234567"),
            document_name: names,
            document_notes: &[],
        }
    }

    #[test]
    fn every_kind_has_its_wording_in_the_catalogue() {
        let args = ["about", "received", "kind", "receipt", "requester"].map(|a| (a, a.to_owned()));
        for &kind in NoticeKind::ALL {
            let key = letter_key(kind);
            for part in ["title", "body"] {
                assert!(
                    tr().try_t_args(&format!("letter-{key}-{part}"), &args)
                        .is_some(),
                    "letter-{key}-{part} is missing from letters.ftl"
                );
            }
        }
    }

    #[test]
    fn every_kind_has_a_letter_with_a_title() {
        let names = |k: &str| Some(k.to_owned());
        for &kind in NoticeKind::ALL {
            let p = NoticePayload::default();
            let l = compose(&input(kind, &p, &names));
            assert!(!l.title.is_empty() && !l.paragraphs.is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn the_invoice_states_amount_per_service_due_date_and_account() {
        let names = |k: &str| Some(k.to_owned());
        let p = payload(
            json!({"invoice": {"number": "INV-1", "unit_yen": 5400, "services": 2, "amount_yen": 10800, "due_on": "2026-12-06"}}),
        );
        let l = compose(&input(NoticeKind::Invoice, &p, &names));
        assert!(l.rows.contains(&(
            "ご請求額（税込）".into(),
            "10,800円（5,400円 × 2サービス）".into()
        )));
        assert!(
            l.rows
                .contains(&("お支払期限".into(), "2026年12月6日".into()))
        );
        assert!(
            l.rows
                .contains(&("振込時にご入力いただく番号".into(), "1".into()))
        );
        assert!(
            l.rows
                .contains(&("お振込先".into(), "銀行 普通 1234567".into()))
        );
    }

    #[test]
    fn a_qualified_invoice_states_its_rate_tax_and_registration_number() {
        let names = |k: &str| Some(k.to_owned());
        let p = payload(
            json!({"invoice": {"number": "INV-1", "unit_yen": 5400, "services": 2,
            "amount_yen": 10800, "due_on": "2026-12-06", "registration_number": "T1234567890123",
            "tax_rate_percent": 10, "tax_yen": 981}}),
        );
        let l = compose(&input(NoticeKind::Invoice, &p, &names));
        assert!(l.rows.contains(&(
            "適用税率・消費税額".into(),
            "10%対象 10,800円（うち消費税等 981円）".into()
        )));
        assert!(l.rows.contains(&(
            "登録番号（適格請求書発行事業者）".into(),
            "T1234567890123".into()
        )));
        // Without a registration number the invoice states no tax.
        let p = payload(
            json!({"invoice": {"number": "INV-1", "amount_yen": 10800, "due_on": "2026-12-06"}}),
        );
        let l = compose(&input(NoticeKind::Invoice, &p, &names));
        assert!(
            !l.rows
                .iter()
                .any(|(k, _)| k.contains("登録番号") || k.contains("税率"))
        );
    }

    #[test]
    fn missing_documents_are_listed_with_why() {
        let names = |k: &str| match k {
            "seal_certificate" => Some("印鑑証明書".to_owned()),
            "juminhyo" => Some("住民票の写し".to_owned()),
            "gaikokujin_toroku_genpyo" => None,
            other => Some(other.to_owned()),
        };
        let p = payload(json!({"reason": "印鑑証明書がありません", "missing": [
            {"requirement": {"holder": "principal", "one_of": ["seal_certificate"], "original": true, "fresh": false}, "problem": {"problem": "missing"}},
            {"requirement": {"holder": "principal", "one_of": ["juminhyo", "gaikokujin_toroku_genpyo"], "original": true, "fresh": true}, "problem": {"problem": "stale", "created_on": "2026-02-27", "earliest": "2026-02-28"}},
        ]}));
        let l = compose(&input(NoticeKind::DocumentsRequested, &p, &names));
        assert_eq!(l.list[0], "ご本人の印鑑証明書（同封されていませんでした）");
        assert!(l.list[1].contains("2026年2月27日") && l.list[1].contains("2026年2月28日以降"));
        assert!(
            l.list[1].starts_with("ご本人の住民票の写し（"),
            "an abolished kind is not asked for again: {}",
            l.list[1]
        );
        assert!(
            l.rows
                .contains(&("理由".into(), "印鑑証明書がありません".into()))
        );
    }

    #[test]
    fn extensions_give_the_new_date_and_partial_refusals_their_reasons() {
        let names = |k: &str| Some(k.to_owned());
        let p = payload(
            json!({"reason": "多数の請求", "extended": [{"clock": "response", "due_on": "2027-02-22"}]}),
        );
        let l = compose(&input(NoticeKind::DeadlineExtended, &p, &names));
        assert!(
            l.rows
                .contains(&("延長後の回答期限".into(), "2027年2月22日".into()))
        );
        assert!(l.rows.contains(&("理由".into(), "多数の請求".into())));
        let p =
            payload(json!({"partial_refusal": "第三者の個人情報を含む通話録音（法33条2項1号）"}));
        let l = compose(&input(NoticeKind::AnswerReady, &p, &names));
        assert!(
            l.paragraphs
                .iter()
                .any(|x| x.contains("一部には応じられません") && x.contains("通話録音"))
        );
        assert!(
            l.paragraphs
                .iter()
                .any(|x| x.contains("個人情報保護委員会"))
        );
    }

    #[test]
    fn a_deletion_reply_lists_each_systems_outcome() {
        let names = |k: &str| Some(k.to_owned());
        let p = payload(json!({"systems": [
            {"system": "Orders", "kind": "erase", "outcome": "retained", "legal_ground": "法人税法による帳簿保存"},
            {"system": "Support", "kind": "erase", "outcome": "erased"},
            {"system": "Marketing", "kind": "erase", "outcome": "no_data"}]}));
        let l = compose(&input(NoticeKind::ActionCompleted, &p, &names));
        assert_eq!(
            l.list,
            [
                "Orders：次の法的根拠により一部のデータを保持しています（法人税法による帳簿保存）",
                "Support：復元できない方法で消去しました",
                "Marketing：該当するデータはありませんでした"
            ]
        );
    }

    #[test]
    fn replies_say_what_was_changed_and_refusals_where_to_complain() {
        let names = |k: &str| Some(k.to_owned());
        let p = payload(
            json!({"dispatch": {"tracking_number": "1311-2383-852", "dispatched_on": "2026-11-25"},
                       "changes": [{"action": "corrected", "item": "住所", "prior_value": "旧", "new_value": "新"},
                                   {"action": "deleted", "item": "購買履歴"}]}),
        );
        let l = compose(&input(NoticeKind::AnswerDispatched, &p, &names));
        assert_eq!(
            l.list,
            [
                "住所：「旧」を「新」に訂正しました",
                "購買履歴：消去しました"
            ]
        );
        assert!(l.rows.contains(&("発送日".into(), "2026年11月25日".into())));
        let p = payload(json!({"reason": "法第33条第2項第2号に該当するため"}));
        let l = compose(&input(NoticeKind::Refused, &p, &names));
        assert!(
            l.paragraphs
                .iter()
                .any(|x| x.contains("個人情報保護委員会"))
        );
        // The duty to explain (Art. 36) is not a ground: the letter cites the ground's own article.
        assert!(!l.paragraphs[0].contains("第36条"));
        assert_eq!(ja_yen(1_234_567), "1,234,567円");
        let mut i = input(NoticeKind::Refused, &p, &names);
        i.non_discrimination = Some("差別しません。");
        assert_eq!(compose(&i).paragraphs.last().unwrap(), "差別しません。");
        i.kind = NoticeKind::EmailConfirmation;
        assert!(!compose(&i).paragraphs.iter().any(|x| x == "差別しません。"));
    }
}
