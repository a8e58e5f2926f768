//! A bank statement in whichever format the bank exported it: the 全銀協 fixed-length records
//! (`zengin`), or CSV in UTF-8 or Shift_JIS (`fees::parse_statement`).

use chrono::NaiveDate;

use super::fees::{StatementLine, StatementProblem, decode_statement, parse_statement};
use super::zengin;

/// `today` reads the Zengin format's two-digit years.
pub fn read_statement(
    bytes: &[u8],
    today: NaiveDate,
) -> Result<(Vec<StatementLine>, Vec<StatementProblem>), String> {
    if zengin::looks_like_zengin(bytes) {
        return zengin::parse(bytes, today);
    }
    let text = decode_statement(bytes).map_err(str::to_owned)?;
    parse_statement(&text)
}
