//! Fees in integer yen: what an invoice is owed and what a bank statement (CSV, or the 全銀協 format in
//! `zengin`) says was paid. Which payment belongs to which invoice is `payment_match`.

use chrono::NaiveDate;
use serde::Serialize;
use unicode_normalization::UnicodeNormalization;

use crate::domain::code::{apply, coded};

/// Whether an invoice is still owed.
#[apply(coded)]
pub enum InvoiceStatus {
    Unpaid,
    Paid,
}

/// Where a recorded payment came from.
#[apply(coded)]
pub enum PaymentSource {
    /// An officer recorded it by hand.
    Manual,
    /// A line of an imported bank statement.
    BankStatement,
}

/// Where an invoice stands. Amounts are integer yen; nothing here is ever a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Balance {
    pub amount_yen: i64,
    pub paid_yen: i64,
}

impl Balance {
    pub fn is_paid(&self) -> bool {
        self.paid_yen >= self.amount_yen
    }

    /// Still owed (e.g. the transfer charge deducted from a transfer).
    pub fn shortfall_yen(&self) -> i64 {
        (self.amount_yen - self.paid_yen).max(0)
    }

    /// Paid beyond the amount, to be refunded.
    pub fn overpaid_yen(&self) -> i64 {
        (self.paid_yen - self.amount_yen).max(0)
    }
}

/// 10800 as "10,800".
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// The number printed on an invoice: `INV-` and the request's receipt number.
pub fn invoice_number(receipt_number: &str) -> String {
    format!("{INVOICE_PREFIX}{receipt_number}")
}

pub const INVOICE_PREFIX: &str = "INV-";

/// What a payer types before their name in a transfer: the invoice number's digits (banks take only
/// kana, digits and capitals there). `INV-KJ-20261119-00000001` → `2026111900000001`.
pub fn transfer_code(invoice_number: &str) -> String {
    invoice_number
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// Names as banks print them vary in width, spacing and kana: compare them folded (NFKC, no spaces,
/// hiragana as katakana, upper case).
pub fn fold_name(name: &str) -> String {
    name.nfkc()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            'ぁ'..='ゖ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        })
        .flat_map(char::to_uppercase)
        .collect()
}

/// One line of a bank statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementLine {
    pub line: usize,
    pub paid_on: NaiveDate,
    pub amount_yen: i64,
    pub payer_name: String,
    pub reference: String,
}

/// A statement line that could not be read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementProblem {
    pub line: usize,
    pub reason: String,
}

fn column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers
        .iter()
        .position(|h| names.iter().any(|n| fold_name(h) == fold_name(n)))
}

/// A statement file as text: UTF-8 (with or without a byte-order mark) or, as many Japanese banks export
/// it, Shift_JIS. Anything else is refused rather than guessed.
pub fn decode_statement(bytes: &[u8]) -> Result<String, &'static str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    encoding_rs::SHIFT_JIS
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|t| t.into_owned())
        .ok_or("bad_statement")
}

/// The largest single payment kaiji records (¥100,000,000): far above any fee, far below overflow.
pub const MAX_PAYMENT_YEN: i64 = 100_000_000;

/// Parses integer yen as banks write it: `10800`, `10,800`, `¥10,800`, `10,800円`. No fractions.
pub fn parse_yen(raw: &str) -> Result<i64, &'static str> {
    let folded: String = raw
        .nfkc()
        .filter(|c| !matches!(c, ',' | '¥' | '円' | ' ' | '\\'))
        .collect();
    if folded.is_empty() {
        return Err("required");
    }
    if !folded.chars().all(|c| c.is_ascii_digit()) {
        return Err("invalid_amount");
    }
    match folded.parse::<i64>() {
        Ok(n) if n <= MAX_PAYMENT_YEN => Ok(n),
        _ => Err("invalid_amount"),
    }
}

/// Reads a bank-statement CSV with a header row naming the date, amount, payer and reference columns
/// (English or Japanese headings). Every unreadable line is reported; the readable ones are returned.
pub fn parse_statement(text: &str) -> Result<(Vec<StatementLine>, Vec<StatementProblem>), String> {
    // Spreadsheets write a byte-order mark before the header row.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| format!("the header row cannot be read: {e}"))?
        .clone();
    let date =
        column(&headers, &["date", "日付", "取引日"]).ok_or("no date column (date / 日付)")?;
    let amount = column(&headers, &["amount", "金額", "入金額"])
        .ok_or("no amount column (amount / 金額)")?;
    let payer = column(&headers, &["payer_name", "payer", "振込依頼人", "依頼人名"])
        .ok_or("no payer column (payer_name / 振込依頼人)")?;
    let reference = column(&headers, &["reference", "摘要", "備考"]);
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(StatementProblem {
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let get = |c: usize| record.get(c).unwrap_or("").to_owned();
        let paid_on = match crate::domain::postal::parse_date(&get(date)) {
            Ok(d) => d,
            Err(_) => {
                problems.push(StatementProblem {
                    line,
                    reason: format!("date `{}` is not a date", get(date)),
                });
                continue;
            }
        };
        let amount_yen = match parse_yen(&get(amount)) {
            Ok(a) if a > 0 => a,
            _ => {
                problems.push(StatementProblem {
                    line,
                    reason: format!("amount `{}` is not a positive number of yen", get(amount)),
                });
                continue;
            }
        };
        let payer_name = get(payer);
        if payer_name.is_empty() || payer_name.chars().count() > 200 {
            problems.push(StatementProblem {
                line,
                reason: "the payer's name is missing or too long".into(),
            });
            continue;
        }
        let reference = reference.map(get).unwrap_or_default();
        lines.push(StatementLine {
            line,
            paid_on,
            amount_yen,
            payer_name,
            reference: reference.chars().take(200).collect(),
        });
    }
    Ok((lines, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_in_integer_yen() {
        let short = Balance {
            amount_yen: 10_800,
            paid_yen: 10_360,
        };
        assert!(!short.is_paid());
        assert_eq!((short.shortfall_yen(), short.overpaid_yen()), (440, 0));
        let over = Balance {
            amount_yen: 10_800,
            paid_yen: 11_000,
        };
        assert!(over.is_paid());
        assert_eq!((over.shortfall_yen(), over.overpaid_yen()), (0, 200));
    }

    #[test]
    fn names_fold_across_width_spacing_and_kana() {
        assert_eq!(fold_name("ﾔﾏﾀﾞ ﾀﾛｳ"), fold_name("ヤマダ　タロウ"));
        assert_eq!(fold_name("やまだたろう"), fold_name("ヤマダタロウ"));
        assert_eq!(fold_name("inv-kj-1"), "INV-KJ-1");
        assert_eq!(fold_name("ＩＮＶ－ＫＪ"), "INV-KJ");
    }

    #[test]
    fn yen_amounts_as_banks_write_them() {
        assert_eq!(parse_yen("10,800"), Ok(10_800));
        assert_eq!(parse_yen("¥10,800"), Ok(10_800));
        assert_eq!(parse_yen("１０，８００円"), Ok(10_800));
        assert_eq!(parse_yen("10800.50"), Err("invalid_amount"));
        assert_eq!(parse_yen(""), Err("required"));
        assert_eq!(parse_yen("100,000,000"), Ok(MAX_PAYMENT_YEN));
        assert_eq!(parse_yen("100,000,001"), Err("invalid_amount"));
        assert_eq!(parse_yen("99999999999999999999"), Err("invalid_amount"));
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(group_thousands(0), "0");
    }

    #[test]
    fn statements_come_in_utf8_with_a_bom_or_shift_jis() {
        let csv = "日付,金額,振込依頼人,摘要\n2026/11/25,5400,ﾔﾏﾀﾞ ﾀﾛｳ,\n";
        let with_bom = format!("\u{feff}{csv}");
        assert_eq!(
            parse_statement(&decode_statement(with_bom.as_bytes()).unwrap())
                .unwrap()
                .0
                .len(),
            1
        );
        let (sjis, _, unmappable) = encoding_rs::SHIFT_JIS.encode(csv);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&sjis).is_err(), "really Shift_JIS");
        let text = decode_statement(&sjis).unwrap();
        assert_eq!(parse_statement(&text).unwrap().0[0].payer_name, "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(
            decode_statement(&[0xff, 0xfe, 0xfd, 0x80]),
            Err("bad_statement")
        );
    }

    #[test]
    fn statements_parse_with_english_or_japanese_headings_and_report_bad_lines() {
        let csv = "日付,金額,振込依頼人,摘要\n2026/11/25,\"10,360\",ﾔﾏﾀﾞ ﾀﾛｳ,INV-KJ-20261119-00000001\n2026-11-26,abc,X,\n,100,Y,\n";
        let (lines, problems) = parse_statement(csv).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].amount_yen, 10_360);
        assert_eq!(lines[0].paid_on.to_string(), "2026-11-25");
        assert_eq!(
            problems.iter().map(|p| p.line).collect::<Vec<_>>(),
            vec![3, 4]
        );
        assert!(
            parse_statement("when,how much\n")
                .unwrap_err()
                .contains("no date column")
        );
    }

    #[test]
    fn invoice_numbers_quote_the_receipt_number() {
        assert_eq!(invoice_number("KJ-1"), "INV-KJ-1");
        assert_eq!(
            transfer_code("INV-KJ-20261119-00000001"),
            "2026111900000001"
        );
    }
}
