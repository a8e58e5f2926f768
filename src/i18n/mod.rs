//! Japanese and English: Fluent files in `templates/i18n/` and display formats, for pages and notices
//! alike (the page's language is chosen in `web::language`).

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Tokyo;
use fluent_templates::{Loader, static_loader};
use unic_langid::{LanguageIdentifier, langid};

pub mod letter;

use crate::domain::request::Language;
use crate::domain::workflow::{Fact, Label};

static_loader! {
    static LOCALES = {
        locales: "./templates/i18n",
        fallback_language: "en",
        // Unicode isolation marks around arguments would show up as stray characters in plain text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static JA: LanguageIdentifier = langid!("ja");

/// Translations for one page, in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr {
    pub lang: Language,
}

impl Tr {
    pub fn new(lang: Language) -> Self {
        Self { lang }
    }

    fn id(&self) -> &'static LanguageIdentifier {
        match self.lang {
            Language::En => &EN,
            Language::Ja => &JA,
        }
    }

    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(self.id(), key)
    }

    /// The message, or `None` where this language has no such key or an argument is missing.
    pub fn try_t(&self, key: &str) -> Option<String> {
        LOCALES.try_lookup(self.id(), key)
    }

    pub fn try_t_args(&self, key: &str, args: &[(&'static str, String)]) -> Option<String> {
        LOCALES.try_lookup_with_args(self.id(), key, &arg_map(args))
    }

    pub fn t_args(&self, key: &str, args: &[(&'static str, String)]) -> String {
        LOCALES.lookup_with_args(self.id(), key, &arg_map(args))
    }

    /// The message for a field error code.
    pub fn field_error(&self, code: &str) -> String {
        self.t(&format!("error-{code}"))
    }

    /// Integer yen with thousands separators: 10800 → "10,800円" (Japanese) or "¥10,800".
    pub fn yen(&self, amount: impl std::borrow::Borrow<i64>) -> String {
        let amount = *amount.borrow();
        let grouped = crate::domain::fees::group_thousands(amount.unsigned_abs());
        let sign = if amount < 0 { "-" } else { "" };
        match self.lang {
            Language::Ja => format!("{sign}{grouped}円"),
            Language::En => format!("{sign}¥{grouped}"),
        }
    }

    pub fn fact(&self, f: &Fact) -> String {
        self.t(&format!("fact-{}", f.as_str()))
    }

    pub fn label<'a>(&self, l: &'a Label) -> &'a str {
        l.get(self.lang)
    }

    /// A time as people at the desk read it: Asia/Tokyo, to the minute.
    pub fn time(&self, t: &DateTime<Utc>) -> String {
        t.with_timezone(&Tokyo)
            .format("%Y-%m-%d %H:%M JST")
            .to_string()
    }

    /// A notice's kind as the requester reads it.
    pub fn notice_kind(&self, kind: &str) -> String {
        self.t(&format!("notice-kind-{kind}"))
    }

    /// A time as a requester reads it: in their place's zone, with its abbreviation.
    pub fn time_in(&self, t: &DateTime<Utc>, tz: &chrono_tz::Tz) -> String {
        t.with_timezone(tz).format("%Y-%m-%d %H:%M %Z").to_string()
    }

    pub fn naive_time(&self, t: &chrono::NaiveDateTime) -> String {
        self.time(&t.and_utc())
    }

    pub fn html_lang(&self) -> &'static str {
        self.lang.as_str()
    }

    /// The other language, for the switch link.
    pub fn other(&self) -> &'static str {
        match self.lang {
            Language::Ja => "en",
            Language::En => "ja",
        }
    }

    /// Whether every key exists in both languages (checked by a test).
    pub fn missing_keys() -> Vec<String> {
        let keys = |lang: &LanguageIdentifier| -> std::collections::BTreeSet<String> {
            let src = match lang.language.as_str() {
                "en" => include_str!("../../templates/i18n/en/kaiji.ftl"),
                _ => include_str!("../../templates/i18n/ja/kaiji.ftl"),
            };
            src.lines()
                .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
                .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
                .collect()
        };
        let en = keys(&EN);
        let ja = keys(&JA);
        en.symmetric_difference(&ja).cloned().collect()
    }
}

fn arg_map(
    args: &[(&'static str, String)],
) -> std::collections::HashMap<
    std::borrow::Cow<'static, str>,
    fluent_templates::fluent_bundle::FluentValue<'static>,
> {
    args.iter()
        .map(|(k, v)| (std::borrow::Cow::Borrowed(*k), v.clone().into()))
        .collect()
}

/// The first of ja/en in the header's preference order (by q-value), Japanese if neither appears.
pub fn accept_language(header: &str) -> Language {
    let mut best: Option<(f32, Language)> = None;
    for part in header.split(',') {
        let mut it = part.trim().split(';');
        let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        let lang = if tag == "ja" || tag.starts_with("ja-") {
            Language::Ja
        } else if tag == "en" || tag.starts_with("en-") {
            Language::En
        } else {
            continue;
        };
        if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_have_the_same_keys() {
        assert_eq!(Tr::missing_keys(), Vec::<String>::new());
    }

    #[test]
    fn lookups_work_in_both_languages_without_isolation_marks() {
        assert_eq!(Tr::new(Language::En).t("form-submit"), "Send request");
        assert_eq!(Tr::new(Language::Ja).t("form-submit"), "送信する");
        let refused = Tr::new(Language::En).t_args("request-refused", &[("reason", "why".into())]);
        assert_eq!(refused, "That action is not possible now: why");
        for l in Language::ALL {
            let tr = Tr::new(l);
            let mut all: Vec<String> = Fact::ALL.iter().map(|f| tr.fact(f)).collect();
            all.extend(
                crate::domain::notice::NoticeKind::ALL
                    .iter()
                    .map(|k| tr.notice_kind(k.as_str())),
            );
            for s in all {
                assert!(
                    !s.contains('-') || s.contains(' '),
                    "missing translation: {s}"
                );
                assert!(
                    !s.contains("fact-") && !s.contains("notice-kind-") && !s.contains("type-"),
                    "missing translation: {s}"
                );
                assert!(!s.is_empty());
            }
        }
    }

    #[test]
    fn accept_language_prefers_the_highest_quality() {
        assert_eq!(accept_language("en-US,en;q=0.9,ja;q=0.8"), Language::En);
        assert_eq!(accept_language("fr, ja;q=0.5, en;q=0.4"), Language::Ja);
        assert_eq!(accept_language("en;q=0.2, ja-JP"), Language::Ja);
        assert_eq!(accept_language("de"), Language::Ja);
        assert_eq!(accept_language(""), Language::Ja);
        assert_eq!(accept_language("en;q=0"), Language::Ja);
    }

    #[test]
    fn yen_is_grouped_integer() {
        assert_eq!(Tr::new(Language::Ja).yen(10_800), "10,800円");
        assert_eq!(Tr::new(Language::En).yen(5_400), "¥5,400");
        assert_eq!(Tr::new(Language::Ja).yen(-1_234_567), "-1,234,567円");
        assert_eq!(Tr::new(Language::Ja).yen(0), "0円");
    }

    #[test]
    fn times_show_in_tokyo() {
        let t = DateTime::parse_from_rfc3339("2026-12-31T15:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Tr::new(Language::En).time(&t), "2027-01-01 00:30 JST");
        let tr = Tr::new(Language::En);
        assert_eq!(
            tr.time_in(&t, &chrono_tz::America::Los_Angeles),
            "2026-12-31 07:30 PST"
        );
        assert_eq!(
            tr.time_in(&t, &chrono_tz::Europe::London),
            "2026-12-31 15:30 GMT"
        );
    }
}
