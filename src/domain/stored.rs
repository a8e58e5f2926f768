//! Reading back JSON that kaiji stored itself: notice particulars, the data points a requester offered.
//! Such JSON carries personal data, and serde's messages quote the value they stumble on ("invalid type:
//! integer `312345678`, expected a string"); an error that reaches a log or a notice's last error must not.
//! So the error says what was being read and where it broke, never what it holds.

use serde::de::DeserializeOwned;

/// Stored JSON that does not read as what it should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the stored {what} cannot be read (line {line}, column {column})")]
pub struct Unreadable {
    pub what: &'static str,
    pub line: usize,
    pub column: usize,
}

/// Reads stored JSON as `T`; `what` names it in the error ("notice particulars").
pub fn read_json<T: DeserializeOwned>(what: &'static str, raw: &[u8]) -> Result<T, Unreadable> {
    serde_json::from_slice(raw).map_err(|e| Unreadable {
        what,
        line: e.line(),
        column: e.column(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_value_of_the_wrong_kind_is_placed_not_quoted() {
        let e = read_json::<BTreeMap<String, String>>("data points", br#"{"phone": 312345678}"#)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the stored data points cannot be read (line 1, column 19)"
        );
        let e = read_json::<Vec<u32>>("list", "[\"山田花子\"]".as_bytes()).unwrap_err();
        assert!(!e.to_string().contains("山田"), "{e}");
    }

    proptest! {
        /// Whatever the stored text holds, none of it comes back in the error.
        #[test]
        fn no_stored_text_reaches_the_error(secret in "[a-zA-Z0-9@.]{8,20}") {
            for raw in [
                format!(r#"{{"points": {{"phone": ["{secret}"]}}}}"#),
                format!(r#"{{"points": "{secret}"}}"#),
                format!(r#"["{secret}"]"#),
                format!(r#"{{"{secret}": 1}}"#),
                secret.clone(),
            ] {
                if let Err(e) = read_json::<BTreeMap<String, BTreeMap<String, String>>>("x", raw.as_bytes()) {
                    prop_assert!(!e.to_string().contains(&secret), "{e}");
                }
            }
        }
    }
}
