//! Bank statements in the 全銀協 (Zengin) fixed-length formats Japanese banks export: 200-byte records in
//! JIS X 0201 / Shift_JIS, with or without line breaks: a header (1), data records (2), a trailer (8) and
//! an end record (9). Two kinds carry incoming transfers:
//!
//! - 01 振込入金通知 (transfer-credit notice): every data record is a transfer received;
//! - 03 入出金取引明細 (transaction detail): data records are deposits (入払区分 1) or withdrawals (2);
//!   only deposits are payments.
//!
//! Dates are YYMMDD in the Japanese era (和暦, Reiwa since 2019-05-01); some banks write the Western
//! year instead, so a Reiwa reading that lands after the import day is read as 20YY. Fields are sliced
//! by byte, as the format defines them, then decoded.

use chrono::NaiveDate;

use super::fees::{StatementLine, StatementProblem, parse_yen};

pub const RECORD_LEN: usize = 200;

/// Byte ranges of the fields kaiji reads, per kind of statement.
struct Layout {
    date: (usize, usize),
    amount: (usize, usize),
    payer_code: (usize, usize),
    payer_name: (usize, usize),
    /// Free text the bank carries with the transfer (EDI情報, 摘要).
    references: &'static [(usize, usize)],
    /// 03 only: 入払区分 (1 deposit, 2 withdrawal) and 取引区分 (19 correction).
    direction: Option<(usize, usize)>,
    kind_of_entry: Option<(usize, usize)>,
    /// 01 only: 取消区分 (1 cancelled).
    cancelled: Option<(usize, usize)>,
    /// The trailer's deposit count and total.
    trailer_count: (usize, usize),
    trailer_total: (usize, usize),
}

/// 振込入金通知: 区分1 照会番号6 勘定日6 起算日6 金額10 他店券10 依頼人コード10 依頼人名48 仕向銀行15
/// 仕向店15 取消区分1 EDI20 ダミー52; trailer 区分1 件数6 合計金額12.
const TRANSFER_NOTICE: Layout = Layout {
    date: (7, 13),
    amount: (19, 29),
    payer_code: (39, 49),
    payer_name: (49, 97),
    references: &[(128, 148)],
    direction: None,
    kind_of_entry: None,
    cancelled: Some((127, 128)),
    trailer_count: (1, 7),
    trailer_total: (7, 19),
};

/// 入出金取引明細: 区分1 照会番号8 勘定日6 預入払出日6 入払区分1 取引区分2 取引金額12 他店券12 交換呈示日6
/// 不渡返還日6 手形小切手区分1 番号7 僚店番号3 依頼人コード10 依頼人名48 仕向銀行15 仕向店15 摘要20
/// EDI20 ダミー1; trailer 区分1 入金件数6 入金額合計13.
const TRANSACTION_DETAIL: Layout = Layout {
    date: (9, 15),
    amount: (24, 36),
    payer_code: (71, 81),
    payer_name: (81, 129),
    references: &[(159, 179), (179, 199)],
    direction: Some((21, 22)),
    kind_of_entry: Some((22, 24)),
    cancelled: None,
    trailer_count: (1, 7),
    trailer_total: (7, 20),
};

/// Whether these bytes look like a Zengin file (a header record of a kind kaiji reads) rather than CSV.
pub fn looks_like_zengin(bytes: &[u8]) -> bool {
    let first = records(bytes).next();
    first.is_some_and(|r| r.len() == RECORD_LEN && (r.starts_with(b"101") || r.starts_with(b"103")))
}

/// The records, split at line breaks when there are any, else every 200 bytes; the end-of-file mark
/// (0x1A) some exports append is dropped.
fn records(bytes: &[u8]) -> Box<dyn Iterator<Item = &[u8]> + '_> {
    let end = bytes
        .iter()
        .rposition(|b| !matches!(b, 0x1a | b'\r' | b'\n'))
        .map_or(0, |i| i + 1);
    let bytes = &bytes[..end];
    if bytes.contains(&b'\n') {
        Box::new(
            bytes
                .split(|b| *b == b'\n')
                .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
                .filter(|l| !l.is_empty()),
        )
    } else {
        Box::new(bytes.chunks(RECORD_LEN))
    }
}

fn text(record: &[u8], (from, to): (usize, usize)) -> String {
    let raw = record.get(from..to).unwrap_or_default();
    encoding_rs::SHIFT_JIS
        .decode_without_bom_handling(raw)
        .0
        .trim_end_matches([' ', '\u{3000}'])
        .trim()
        .to_owned()
}

/// A count or an amount as the format writes it (digits, zero-padded), without `parse_yen`'s cap on a
/// single payment: a trailer's total may be far larger.
fn digits(raw: &str) -> Option<i64> {
    (!raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()))
        .then(|| raw.parse().ok())
        .flatten()
}

/// YYMMDD in the Reiwa era, or, where that lands after `today`, in the Western calendar.
pub fn era_date(raw: &str, today: NaiveDate) -> Option<NaiveDate> {
    if raw.len() != 6 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let yy: i32 = raw[0..2].parse().ok()?;
    let mm: u32 = raw[2..4].parse().ok()?;
    let dd: u32 = raw[4..6].parse().ok()?;
    let reiwa = NaiveDate::from_ymd_opt(2018 + yy, mm, dd)
        .filter(|d| *d >= NaiveDate::from_ymd_opt(2019, 5, 1).unwrap_or(*d));
    match reiwa {
        Some(d) if d <= today => Some(d),
        _ => NaiveDate::from_ymd_opt(2000 + yy, mm, dd).filter(|d| *d <= today),
    }
}

/// Reads a Zengin statement: the incoming transfers, and every record that could not be taken, with why.
/// A file whose trailer disagrees with its records (truncated, or edited) is reported, not trusted
/// silently.
pub fn parse(
    bytes: &[u8],
    today: NaiveDate,
) -> Result<(Vec<StatementLine>, Vec<StatementProblem>), String> {
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    let mut layout: Option<&Layout> = None;
    let mut counted = 0i64;
    let mut total = 0i64;
    let mut trailer_seen = false;
    for (i, record) in records(bytes).enumerate() {
        let line = i + 1;
        if record.len() != RECORD_LEN {
            problems.push(StatementProblem {
                line,
                reason: format!("record is {} bytes, not {RECORD_LEN}", record.len()),
            });
            continue;
        }
        match (record[0], layout) {
            (b'1', _) => {
                layout = match &record[1..3] {
                    b"01" => Some(&TRANSFER_NOTICE),
                    b"03" => Some(&TRANSACTION_DETAIL),
                    other => {
                        return Err(format!(
                            "Zengin kind {} is not a statement of transfers (01 or 03)",
                            String::from_utf8_lossy(other)
                        ));
                    }
                };
            }
            (b'2', Some(l)) => {
                // The trailer counts every deposit record, cancellations and corrections included.
                if l.direction.is_none_or(|d| text(record, d) == "1") {
                    counted += 1;
                    total = total.saturating_add(digits(&text(record, l.amount)).unwrap_or(0));
                }
                if let Some(p) = data_record(l, record, line, today, &mut lines) {
                    problems.push(p);
                }
            }
            (b'8', Some(l)) => {
                trailer_seen = true;
                let (n, sum) = (
                    digits(&text(record, l.trailer_count)),
                    digits(&text(record, l.trailer_total)),
                );
                if n != Some(counted) || sum != Some(total) {
                    problems.push(StatementProblem {
                        line,
                        reason: format!(
                            "the trailer says {} deposits totalling ¥{}, the records hold {counted} totalling ¥{total}: check the file is complete",
                            text(record, l.trailer_count).trim_start_matches('0'),
                            text(record, l.trailer_total).trim_start_matches('0')
                        ),
                    });
                }
                counted = 0;
                total = 0;
            }
            (b'9', _) => {}
            (_, None) => return Err("the file does not start with a Zengin header record".into()),
            (other, _) => problems.push(StatementProblem {
                line,
                reason: format!("unknown record type `{}`", char::from(other)),
            }),
        }
    }
    if layout.is_none() {
        return Err("the file holds no Zengin header record".into());
    }
    if !trailer_seen {
        problems.push(StatementProblem {
            line: 0,
            reason: "the file has no trailer record: it may be incomplete".into(),
        });
    }
    Ok((lines, problems))
}

/// One data record: a payment line, nothing (a withdrawal), or why it cannot be taken.
fn data_record(
    l: &Layout,
    record: &[u8],
    line: usize,
    today: NaiveDate,
    lines: &mut Vec<StatementLine>,
) -> Option<StatementProblem> {
    let problem = |reason: String| Some(StatementProblem { line, reason });
    if let Some(d) = l.direction
        && text(record, d) != "1"
    {
        // A withdrawal: not a payment to us.
        return None;
    }
    if let Some(c) = l.cancelled
        && text(record, c) == "1"
    {
        return problem(
            "a cancelled transfer (取消): check it against the earlier record by hand".into(),
        );
    }
    if let Some(k) = l.kind_of_entry
        && text(record, k) == "19"
    {
        return problem("a correction entry (訂正): check it by hand".into());
    }
    let raw_date = text(record, l.date);
    let Some(paid_on) = era_date(&raw_date, today) else {
        return problem(format!("date `{raw_date}` is not a date"));
    };
    let raw_amount = text(record, l.amount);
    let amount_yen = match parse_yen(&raw_amount) {
        Ok(a) if a > 0 => a,
        _ => {
            return problem(format!(
                "amount `{raw_amount}` is not a positive number of yen"
            ));
        }
    };
    let payer_name = text(record, l.payer_name);
    if payer_name.is_empty() {
        return problem("the payer's name is missing".into());
    }
    let code = text(record, l.payer_code);
    let mut reference: Vec<String> = l
        .references
        .iter()
        .map(|r| text(record, *r))
        .filter(|s| !s.is_empty())
        .collect();
    if !code.trim_start_matches('0').is_empty() {
        reference.push(code);
    }
    lines.push(StatementLine {
        line,
        paid_on,
        amount_yen,
        payer_name,
        // Joined so that no number runs from one field into the next (`payment_match` ends a group at `|`).
        reference: reference.join(" | "),
    });
    None
}

/// Builds Zengin files for tests: records padded to 200 bytes in Shift_JIS.
#[cfg(test)]
pub mod build {
    use super::RECORD_LEN;

    /// A record from (width, text) fields, numbers right-aligned with zeros, text left-aligned.
    pub fn record(fields: &[(usize, &str)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (width, value) in fields {
            let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(value);
            let mut field: Vec<u8> = bytes.into_owned();
            let numeric = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
            if numeric && field.len() < *width {
                let mut padded = vec![b'0'; width - field.len()];
                padded.extend(field);
                field = padded;
            }
            field.resize(*width, b' ');
            out.extend(field);
        }
        out.resize(RECORD_LEN, b' ');
        out
    }

    /// A 振込入金通知 file: (勘定日 YYMMDD, amount, payer name in half-width kana, EDI text).
    pub fn transfer_notice(transfers: &[(&str, i64, &str, &str)], line_breaks: bool) -> Vec<u8> {
        let mut records = vec![record(&[
            (1, "1"),
            (2, "01"),
            (1, "0"),
            (6, "081130"),
            (6, "081101"),
            (6, "081130"),
            (4, "0005"),
            (15, "ﾐﾂﾋﾞｼﾕ-ｴﾌｼﾞｪｲ"),
            (3, "001"),
            (15, "ﾎﾝﾃﾝ"),
            (1, "1"),
            (7, "1234567"),
            (40, "ｼﾞ-ｴﾑｵ-ｲﾝﾀ-ﾈﾂﾄ(ｶ"),
        ])];
        let mut total = 0;
        for (n, (date, amount, payer, edi)) in transfers.iter().enumerate() {
            total += amount;
            let amount = amount.to_string();
            let n = (n + 1).to_string();
            records.push(record(&[
                (1, "2"),
                (6, &n),
                (6, date),
                (6, date),
                (10, &amount),
                (10, "0"),
                (10, "0"),
                (48, payer),
                (15, "ﾐｽﾞﾎ"),
                (15, "ｼﾌﾞﾔ"),
                (1, "0"),
                (20, edi),
            ]));
        }
        let count = transfers.len().to_string();
        let total = total.to_string();
        records.push(record(&[(1, "8"), (6, &count), (12, &total)]));
        records.push(record(&[(1, "9")]));
        records.join(if line_breaks { &b"\r\n"[..] } else { &b""[..] })
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn era_dates_read_as_reiwa_or_else_western() {
        let today = d("2026-12-06");
        assert_eq!(era_date("081125", today), Some(d("2026-11-25")));
        assert_eq!(
            era_date("261125", today),
            Some(d("2026-11-25")),
            "a Western year"
        );
        assert_eq!(era_date("081131", today), None);
        assert_eq!(era_date("08112", today), None);
        assert_eq!(era_date("0811x5", today), None);
        assert_eq!(
            era_date("010430", today),
            Some(d("2001-04-30")),
            "before Reiwa began"
        );
        assert_eq!(
            era_date("261231", today),
            None,
            "after the import day in either reading"
        );
    }

    #[test]
    fn a_transfer_notice_reads_with_or_without_line_breaks() {
        let transfers = [
            ("081125", 5_400, "2026111900000001ﾔﾏﾀﾞ ﾀﾛｳ", ""),
            ("081126", 10_360, "ｻﾄｳ ﾊﾅｺ", "INV-KJ-20261119-2"),
        ];
        for breaks in [true, false] {
            let file = transfer_notice(&transfers, breaks);
            assert!(looks_like_zengin(&file));
            let (lines, problems) = parse(&file, d("2026-12-06")).unwrap();
            assert!(problems.is_empty(), "{problems:?}");
            assert_eq!(lines.len(), 2);
            assert_eq!(lines[0].paid_on, d("2026-11-25"));
            assert_eq!(lines[0].amount_yen, 5_400);
            assert_eq!(lines[0].payer_name, "2026111900000001ﾔﾏﾀﾞ ﾀﾛｳ");
            assert_eq!(lines[1].reference, "INV-KJ-20261119-2");
            // A payer code beside the number does not run into it.
            assert!(!lines[0].reference.contains("2026"));
            assert_eq!(lines[1].line, 3);
        }
    }

    #[test]
    fn a_truncated_file_or_a_cancellation_is_reported() {
        let mut file = transfer_notice(&[("081125", 5_400, "ﾔﾏﾀﾞ ﾀﾛｳ", "")], true);
        // Drop the data record: the trailer still counts it.
        let kept: Vec<&[u8]> = file
            .split(|b| *b == b'\n')
            .filter(|r| !r.starts_with(b"2"))
            .collect();
        let (lines, problems) = parse(&kept.join(&b'\n'), d("2026-12-06")).unwrap();
        assert!(lines.is_empty());
        assert!(
            problems[0].reason.contains("trailer says 1"),
            "{problems:?}"
        );

        // Mark the transfer cancelled (取消区分 at byte 127 of the data record).
        file[RECORD_LEN + 2 + 127] = b'1';
        let (lines, problems) = parse(&file, d("2026-12-06")).unwrap();
        assert!(lines.is_empty());
        assert!(problems.iter().any(|p| p.reason.contains("cancelled")));
    }

    #[test]
    fn a_transaction_detail_takes_deposits_only() {
        let deposit = |direction: &str, kind: &str, amount: &str, payer: &str| {
            record(&[
                (1, "2"),
                (8, "1"),
                (6, "081125"),
                (6, "081125"),
                (1, direction),
                (2, kind),
                (12, amount),
                (12, "0"),
                (6, "0"),
                (6, "0"),
                (1, "0"),
                (7, "0"),
                (3, "0"),
                (10, "0"),
                (48, payer),
                (15, "ﾐｽﾞﾎ"),
                (15, "ｼﾌﾞﾔ"),
                (20, "ﾌﾘｺﾐ"),
                (20, ""),
            ])
        };
        let file = [
            record(&[(1, "1"), (2, "03"), (1, "0")]),
            deposit("1", "11", "5400", "ﾔﾏﾀﾞ ﾀﾛｳ"),
            deposit("2", "11", "300000", "ﾔﾁﾝ"),
            deposit("1", "19", "5400", "ﾔﾏﾀﾞ ﾀﾛｳ"),
            record(&[(1, "8"), (6, "2"), (13, "10800")]),
            record(&[(1, "9")]),
        ]
        .concat();
        assert!(looks_like_zengin(&file));
        let (lines, problems) = parse(&file, d("2026-12-06")).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].payer_name, "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(lines[0].reference, "ﾌﾘｺﾐ");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].reason.contains("訂正"));
    }

    #[test]
    fn other_files_are_not_taken_for_zengin() {
        assert!(!looks_like_zengin("日付,金額,振込依頼人\n".as_bytes()));
        assert!(!looks_like_zengin(b"1"));
        assert!(parse(&record(&[(1, "1"), (2, "21")]), d("2026-12-06")).is_err());
        assert!(parse(b"", d("2026-12-06")).is_err());
    }
}
