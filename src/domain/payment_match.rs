//! Which open invoice a bank transfer pays, and why: the reason is kept with the payment and shown to the
//! officer, for matches and for transfers left to them alike.
//!
//! 1. The invoice's number, in any form a payer types it: `INV-KJ-20261119-00000001`,
//!    `INVｰKJｰ20261119ｰ00000001`, `2026111900000001` before the name, `20261119-1`.
//! 2. Else the only open invoice whose outstanding amount is exactly what arrived and whose requester's
//!    or agent's name the payer wrote: in kana (as banks print it) or as written on the form.
//!
//! A transfer quoting an invoice that is not open, or fitting several, is left for an officer.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::kana;
use crate::domain::code::{apply, coded};

/// How a payment was tied to its invoice: by the number the payer quoted, by payer and amount, or by an
/// officer.
#[apply(coded)]
pub enum MatchedBy {
    InvoiceNumber,
    PayerAndAmount,
    Officer,
}

/// Whose name, in which writing, a transfer was matched by.
#[apply(coded)]
pub enum NameOf {
    RequesterKana,
    Requester,
    AgentKana,
    Agent,
}

/// An unpaid invoice, as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice {
    pub id: String,
    pub number: String,
    pub outstanding_yen: i64,
    /// The names a transfer for it may come under.
    pub names: Vec<(NameOf, String)>,
}

/// Why a transfer was matched to an invoice, or left for an officer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl MatchReason {
    /// `matched_by` as payments record it.
    pub fn matched_by(&self) -> Option<MatchedBy> {
        match self {
            MatchReason::InvoiceNumber { .. } => Some(MatchedBy::InvoiceNumber),
            MatchReason::NameAndAmount { .. } => Some(MatchedBy::PayerAndAmount),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchOutcome {
    pub invoice_id: Option<String>,
    pub reason: MatchReason,
}

/// Separators payers and banks put inside a number.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '.' | '/' | '_' | ':' | ',') || kana::is_dash(c)
}

/// The groups of digit runs in a text that only separators join, each as its runs: `INV-KJ-20261119-1`
/// holds one group, `["20261119", "1"]`.
fn number_groups(text: &str) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut runs: Vec<String> = Vec::new();
    let mut run = String::new();
    for c in text.nfkc() {
        if c.is_ascii_digit() {
            run.push(c);
            continue;
        }
        if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
        if !is_separator(c) && !runs.is_empty() {
            groups.push(std::mem::take(&mut runs));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    if !runs.is_empty() {
        groups.push(runs);
    }
    groups
}

/// Whether a group of digit runs writes this invoice number: all its digits in one (`2026111900000001`),
/// or run for run with the zeros dropped (`20261119-1`).
fn writes(group: &[String], number: &str) -> bool {
    let own: Vec<String> = number_groups(number).into_iter().flatten().collect();
    if own.is_empty() {
        return false;
    }
    let numeric = |runs: &[String]| -> Vec<u64> {
        runs.iter()
            .map(|r| r.trim_start_matches('0').parse::<u64>().unwrap_or(0))
            .collect()
    };
    group.concat() == own.concat() || (group.len() == own.len() && numeric(group) == numeric(&own))
}

/// A group that reads like some invoice number: a date and a serial, or the two run together.
fn looks_like_invoice(group: &[String]) -> bool {
    let all = group.concat();
    let dated = |s: &str| s.len() == 8 && s.starts_with("20");
    (all.len() == 16 && dated(&all[..8])) || (group.len() == 2 && dated(&group[0]))
}

/// A name as matching compares it: folded; a kana key drops what payers type around the name.
fn name_key(name: &str) -> String {
    let folded = kana::fold(name);
    if !folded.is_ascii() {
        kana::payer_key(name)
    } else {
        folded.chars().filter(|c| !c.is_ascii_digit()).collect()
    }
}

pub fn match_payment(
    payer_name: &str,
    reference: &str,
    amount_yen: i64,
    open: &[OpenInvoice],
) -> MatchOutcome {
    // Fields never run into one number: `|` ends a group (a bank's references come joined by it).
    let groups = number_groups(&format!("{reference}|{payer_name}"));
    for g in &groups {
        if let Some(inv) = open.iter().find(|i| writes(g, &i.number)) {
            return MatchOutcome {
                invoice_id: Some(inv.id.clone()),
                reason: MatchReason::InvoiceNumber {
                    number: inv.number.clone(),
                    quoted: g.join("-"),
                },
            };
        }
    }
    let unmatched = |reason| MatchOutcome {
        invoice_id: None,
        reason,
    };
    if let Some(g) = groups.iter().find(|g| looks_like_invoice(g)) {
        return unmatched(MatchReason::NotOpen {
            quoted: g.join("-"),
        });
    }
    let payer = name_key(payer_name);
    if payer.is_empty() {
        return unmatched(MatchReason::Nothing);
    }
    let named = |i: &OpenInvoice| {
        i.names
            .iter()
            .find(|(_, n)| name_key(n) == payer)
            .map(|(whose, _)| *whose)
    };
    let fits: Vec<(&OpenInvoice, NameOf)> = open
        .iter()
        .filter(|i| i.outstanding_yen == amount_yen)
        .filter_map(|i| named(i).map(|w| (i, w)))
        .collect();
    match fits.as_slice() {
        [(inv, whose)] => MatchOutcome {
            invoice_id: Some(inv.id.clone()),
            reason: MatchReason::NameAndAmount {
                number: inv.number.clone(),
                name: *whose,
            },
        },
        [] => match open.iter().find(|i| named(i).is_some()) {
            Some(inv) => unmatched(MatchReason::NameNotAmount {
                number: inv.number.clone(),
                outstanding_yen: inv.outstanding_yen,
            }),
            None => unmatched(MatchReason::Nothing),
        },
        several => unmatched(MatchReason::Several {
            numbers: several.iter().map(|(i, _)| i.number.clone()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn invoice(id: &str, serial: u32, yen: i64, kana: &str, name: &str) -> OpenInvoice {
        OpenInvoice {
            id: id.into(),
            number: format!("INV-KJ-20261119-{serial:08}"),
            outstanding_yen: yen,
            names: vec![
                (NameOf::RequesterKana, kana.into()),
                (NameOf::Requester, name.into()),
            ],
        }
    }

    fn open() -> Vec<OpenInvoice> {
        vec![
            invoice("a", 1, 10_800, "ヤマダ　タロウ", "山田 太郎"),
            invoice("b", 2, 5_400, "スズキ　ハナコ", "鈴木 花子"),
            invoice("c", 3, 5_400, "スズキ　ハナコ", "鈴木 花子"),
            invoice("d", 4, 5_400, "サトウ　ショウコ", "佐藤 祥子"),
        ]
    }

    fn by(m: &MatchOutcome) -> (Option<&str>, Option<&'static str>) {
        (
            m.invoice_id.as_deref(),
            m.reason.matched_by().map(Into::into),
        )
    }

    #[test]
    fn the_invoice_number_matches_in_every_printed_form() {
        for quoted in [
            "INV-KJ-20261119-00000001",
            "inv-kj-20261119-00000001",
            "ＩＮＶ－ＫＪ－２０２６１１１９－００００００００１",
            "INVｰKJｰ20261119ｰ00000001",
            "KJ2026111900000001",
            "20261119-1",
            "20261119 0000 0001",
        ] {
            let m = match_payment("ﾔﾏﾀﾞ ﾀﾛｳ", quoted, 10_360, &open());
            assert_eq!(by(&m), (Some("a"), Some("invoice_number")), "{quoted}");
        }
        // Typed before the name in the payer field, as Japanese transfers allow.
        let m = match_payment("2026111900000001ﾔﾏﾀﾞ ﾀﾛｳ", "", 1, &open());
        assert_eq!(by(&m), (Some("a"), Some("invoice_number")));
        // A longer number that only contains it is not it.
        let m = match_payment("ﾔﾏﾀﾞ", "92026111900000001", 1, &open());
        assert_eq!(m.invoice_id, None);
    }

    #[test]
    fn a_kana_payer_matches_the_requester_s_furigana_and_amount() {
        let m = match_payment("ｻﾄｳ ｼﾖｳｺ", "", 5_400, &open());
        assert_eq!(by(&m), (Some("d"), Some("payer_and_amount")));
        assert_eq!(
            m.reason,
            MatchReason::NameAndAmount {
                number: "INV-KJ-20261119-00000004".into(),
                name: NameOf::RequesterKana
            }
        );
        let m = match_payment("山田 太郎", "", 10_800, &open());
        assert_eq!(
            m.reason,
            MatchReason::NameAndAmount {
                number: "INV-KJ-20261119-00000001".into(),
                name: NameOf::Requester
            }
        );
    }

    #[test]
    fn an_agent_paying_for_the_requester_matches_by_the_agent_s_name() {
        let mut inv = open();
        inv[3]
            .names
            .push((NameOf::AgentKana, "タナカ　イチロウ".into()));
        let m = match_payment("ﾀﾅｶ ｲﾁﾛｳ", "", 5_400, &inv);
        assert_eq!(
            m.reason,
            MatchReason::NameAndAmount {
                number: "INV-KJ-20261119-00000004".into(),
                name: NameOf::AgentKana
            }
        );
    }

    #[test]
    fn what_is_left_for_an_officer_says_why() {
        let m = match_payment("ｽｽﾞｷ ﾊﾅｺ", "", 5_400, &open());
        assert_eq!(
            m.reason,
            MatchReason::Several {
                numbers: vec![
                    "INV-KJ-20261119-00000002".into(),
                    "INV-KJ-20261119-00000003".into()
                ]
            }
        );
        let m = match_payment("ﾔﾏﾀﾞ ﾀﾛｳ", "", 10_360, &open());
        assert_eq!(
            m.reason,
            MatchReason::NameNotAmount {
                number: "INV-KJ-20261119-00000001".into(),
                outstanding_yen: 10_800
            }
        );
        let m = match_payment("ﾔﾏﾀﾞ ﾀﾛｳ", "INV-KJ-20261119-00000009", 10_800, &open());
        assert_eq!(
            m.reason,
            MatchReason::NotOpen {
                quoted: "20261119-00000009".into()
            }
        );
        let m = match_payment("ﾀﾅｶ ｲﾁﾛｳ", "", 5_400, &open());
        assert_eq!(m.reason, MatchReason::Nothing);
        assert_eq!(m.reason.matched_by(), None);
        let m = match_payment("1234", "", 5_400, &open());
        assert_eq!(m.reason, MatchReason::Nothing, "digits alone name nobody");
    }

    proptest! {
        #[test]
        fn a_number_matches_only_its_own_invoice(serial in 1u32..99_999_999, other in 1u32..99_999_999) {
            prop_assume!(serial != other);
            let inv = vec![invoice("x", serial, 5_400, "ア", "a")];
            let own = format!("20261119-{serial}");
            let m = match_payment("", &own, 1, &inv);
            prop_assert_eq!(m.invoice_id.as_deref(), Some("x"));
            let theirs = format!("20261119-{other}");
            prop_assert_eq!(match_payment("", &theirs, 5_400, &inv).invoice_id, None);
        }
    }
}
