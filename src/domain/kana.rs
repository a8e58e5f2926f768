//! Names in kana (フリガナ), and the folding that lets a bank's spelling of a name meet the requester's.
//!
//! Banks print a transfer's payer in the 全銀協 character set: half-width katakana, no small kana (ショウコ
//! comes out as ｼﾖｳｺ), a hyphen for the long vowel mark, spaces where the payer put them and digits the
//! payer typed before the name. Requesters write フリガナ in full-width katakana or hiragana. Both fold to
//! one key: full-width katakana, small kana made large, every dash a long vowel mark, nothing else.

use unicode_normalization::UnicodeNormalization;

use super::field::clean_text;

/// A name in kana, as the requester wrote it on the form (stored in full-width katakana).
#[derive(Clone, PartialEq, Eq)]
pub struct KanaName(String);

/// Personal data: never shown by `Debug`, so it cannot reach a log.
impl std::fmt::Debug for KanaName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KanaName(<redacted>)")
    }
}

impl KanaName {
    pub const MAX_CHARS: usize = 100;

    /// Katakana or hiragana, full- or half-width, with spaces and 「・」; stored as full-width katakana
    /// with single full-width spaces.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = clean_text(raw, false)?;
        if s.is_empty() {
            return Err("required");
        }
        let wide: String = s.nfkc().map(to_katakana).collect();
        if !wide
            .chars()
            .all(|c| is_katakana(c) || c.is_whitespace() || c == '・')
        {
            return Err("not_kana");
        }
        let joined = wide.split_whitespace().collect::<Vec<_>>().join("\u{3000}");
        if joined.chars().count() > Self::MAX_CHARS {
            return Err("too_long");
        }
        Ok(Self(joined))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for KanaName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

fn is_katakana(c: char) -> bool {
    matches!(c, 'ァ'..='ヺ' | 'ー' | 'ヽ' | 'ヾ')
}

fn to_katakana(c: char) -> char {
    match c {
        'ぁ'..='ゖ' | 'ゝ' | 'ゞ' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

/// Small kana as the large kana a bank prints for them.
fn enlarge(c: char) -> char {
    match c {
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        _ => c,
    }
}

/// Every kind of dash a payer or a bank writes for the long vowel mark.
pub(crate) fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | 'ー' | '‐' | '‑' | '–' | '—' | '―' | '−' | '－' | 'ｰ' | '～' | '~'
    )
}

/// The key two spellings of one name share: NFKC (half-width to full-width, ｶﾞ to ガ), hiragana as
/// katakana, small kana large, dashes as 「ー」, upper case; spaces, 「・」 and punctuation dropped.
pub fn fold(s: &str) -> String {
    s.nfkc()
        .map(to_katakana)
        .map(enlarge)
        .map(|c| if is_dash(c) { 'ー' } else { c })
        .filter(|c| c.is_alphanumeric() || is_katakana(*c))
        .flat_map(char::to_uppercase)
        .collect()
}

/// The name in a payer field, without what payers type around it: the folded key with Latin letters,
/// digits and leading or trailing long vowel marks removed (so 「2026111900000001ﾔﾏﾀﾞ ﾀﾛｳ」 keys as
/// 「ヤマダタロウ」).
pub fn payer_key(payer: &str) -> String {
    let folded: String = fold(payer)
        .chars()
        .filter(|c| !c.is_ascii_alphanumeric())
        .collect();
    folded.trim_matches('ー').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kana_names_are_stored_as_full_width_katakana() {
        let n = KanaName::parse(" やまだ　 たろう ").unwrap();
        assert_eq!(n.as_str(), "ヤマダ\u{3000}タロウ");
        assert_eq!(
            KanaName::parse("ｻﾄｳ ﾊﾅｺ").unwrap().as_str(),
            "サトウ\u{3000}ハナコ"
        );
        assert_eq!(KanaName::parse("山田 太郎"), Err("not_kana"));
        assert_eq!(KanaName::parse("Yamada"), Err("not_kana"));
        assert_eq!(KanaName::parse("  "), Err("required"));
        assert_eq!(KanaName::parse(&"ア".repeat(101)), Err("too_long"));
        assert_eq!(
            KanaName::parse("ジョン・スミス").unwrap().as_str(),
            "ジョン・スミス"
        );
    }

    #[test]
    fn a_bank_spelling_folds_to_the_requester_s() {
        // Half-width with separate voicing marks, small kana printed large, a hyphen for 「ー」.
        assert_eq!(fold("ｻﾄｳ ﾊﾅｺ"), fold("サトウ　ハナコ"));
        assert_eq!(fold("ｼﾖｳｺ"), fold("しょうこ"));
        assert_eq!(fold("ｷﾞｭｳﾀﾛｳ"), fold("ギュウタロウ"));
        assert_eq!(fold("ﾊﾟｰｸ ｼﾞｪﾆ-"), fold("パーク・ジェニー"));
        assert_eq!(fold("ﾊｯﾄﾘ"), fold("ハツトリ"));
        assert_ne!(
            fold("ｻﾄｳ"),
            fold("サトー"),
            "a different name stays different"
        );
    }

    #[test]
    fn the_payer_key_drops_what_payers_type_around_the_name() {
        assert_eq!(payer_key("2026111900000001ﾔﾏﾀﾞ ﾀﾛｳ"), "ヤマダタロウ");
        assert_eq!(
            payer_key("INV-KJ-20261119-00000001 ﾔﾏﾀﾞ ﾀﾛｳ"),
            "ヤマダタロウ"
        );
        assert_eq!(payer_key("ﾔﾏﾀﾞ ﾀﾛｳ"), payer_key("やまだ たろう"));
    }

    proptest! {
        #[test]
        fn folding_is_idempotent(s in "[ァ-ヶぁ-ゖｦ-ﾟＡ-ｚA-Za-z0-9０-９ ー\\-・　]{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once);
        }

        #[test]
        fn hiragana_and_katakana_fold_alike(s in "[ぁ-ゖ]{1,20}") {
            let kata: String = s.chars().map(to_katakana).collect();
            prop_assert_eq!(fold(&s), fold(&kata));
        }

        #[test]
        fn a_parsed_kana_name_folds_like_its_input(s in "[ァ-ヶー]{1,20}( [ぁ-ゖ]{1,20})?") {
            let n = KanaName::parse(&s).unwrap();
            prop_assert_eq!(fold(n.as_str()), fold(&s));
        }
    }
}
