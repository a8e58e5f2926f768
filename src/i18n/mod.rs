//! The languages kaiji speaks: one folder of Fluent files each in `templates/i18n/` (adding a folder adds
//! a language; no Rust changes), and display formats, for pages and notices alike (the page's language is
//! chosen in `web::language`). A key a language lacks falls back to English.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Tokyo;
use fluent_templates::{Loader, static_loader};
use unic_langid::LanguageIdentifier;

pub mod letter;
pub mod pdf;

use crate::domain::code::Code;
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

/// Every language with a Fluent folder, with its identifier, Japanese first (the home desk's), then by
/// code.
fn spoken_ids() -> &'static [(Language, LanguageIdentifier)] {
    static SPOKEN: OnceLock<Vec<(Language, LanguageIdentifier)>> = OnceLock::new();
    SPOKEN.get_or_init(|| {
        let mut all: Vec<(Language, LanguageIdentifier)> = LOCALES
            .locales()
            .filter_map(|id| Some((id.language.as_str().parse().ok()?, id.clone())))
            .collect();
        all.sort_by_key(|(l, _)| (*l != Language::JA, *l));
        all.dedup_by_key(|(l, _)| *l);
        all
    })
}

/// The languages kaiji speaks (a Fluent folder each), Japanese first.
pub fn spoken() -> Vec<Language> {
    spoken_ids().iter().map(|(l, _)| *l).collect()
}

/// Whether kaiji has a Fluent folder for `lang`.
pub fn speaks(lang: Language) -> bool {
    spoken_ids().iter().any(|(l, _)| *l == lang)
}

/// A language kaiji speaks, from its code; `unknown_language` otherwise.
pub fn parse_spoken(code: &str) -> Result<Language, &'static str> {
    code.parse()
        .ok()
        .filter(|l| speaks(*l))
        .ok_or("unknown_language")
}

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
        let ids = spoken_ids();
        ids.iter()
            .find(|(l, _)| *l == self.lang)
            .or_else(|| ids.iter().find(|(l, _)| *l == Language::EN))
            .map(|(_, id)| id)
            .unwrap_or_else(|| &ids[0].1)
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

    /// A file's size as people read it ("4.18 kB"), not a count of bytes.
    pub fn file_size(&self, bytes: impl std::borrow::Borrow<i64>) -> String {
        let bytes = u64::try_from(*bytes.borrow()).unwrap_or(0);
        humansize::format_size(bytes, humansize::DECIMAL)
    }

    /// A file's format as its reader names it ("ZIP", "PDF"); a media type kaiji does not name, as it is.
    pub fn file_kind<'a>(&self, media_type: &'a str) -> &'a str {
        match media_type {
            "application/zip" => "ZIP",
            "application/pdf" => "PDF",
            "application/json" => "JSON",
            "text/csv" => "CSV",
            "image/jpeg" => "JPEG",
            "image/png" => "PNG",
            other => other,
        }
    }

    /// Integer yen with thousands separators, as the language writes it: "10,800円", "¥10,800".
    pub fn yen(&self, amount: impl std::borrow::Borrow<i64>) -> String {
        let amount = *amount.borrow();
        let grouped = crate::domain::fees::group_thousands(amount.unsigned_abs());
        let sign = if amount < 0 { "-" } else { "" };
        // The sign goes before the currency mark in English ("-¥1,234"), before the number in Japanese.
        self.t_args(
            "money-yen",
            &[("sign", sign.to_owned()), ("amount", grouped)],
        )
    }

    pub fn fact(&self, f: &Fact) -> String {
        self.t(&format!("fact-{}", f.as_str()))
    }

    /// A refusal's ground as one line: what it means, then where the law says it.
    pub fn ground(&self, g: &crate::domain::notice::GroundNotice) -> String {
        match &g.article {
            Some(a) => self.t_args(
                "ground-with-article",
                &[
                    ("ground", g.label.get(self.lang).to_owned()),
                    ("article", a.get(self.lang).to_owned()),
                ],
            ),
            None => g.label.get(self.lang).to_owned(),
        }
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

    pub fn html_lang(&self) -> &str {
        self.id().language.as_str()
    }

    /// The other languages, each by its own name, for the language switch.
    /// A language by its own name ("日本語", "English"), or its code where kaiji does not speak it.
    pub fn language_name(&self, code: &str) -> String {
        parse_spoken(code)
            .map(|l| Tr::new(l).t("lang-name"))
            .unwrap_or_else(|_| code.to_owned())
    }

    pub fn others(&self) -> Vec<(String, String)> {
        spoken()
            .into_iter()
            .filter(|l| *l != self.lang)
            .map(|l| (l.to_string(), Tr::new(l).t("lang-name")))
            .collect()
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

/// The spoken language the header prefers most (by q-value), Japanese if it names none kaiji speaks.
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
        let primary = tag.split('-').next().unwrap_or("");
        let Ok(lang) = parse_spoken(primary) else {
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

    /// The message keys of one Fluent file, read from the source tree.
    fn keys(lang: &str, file: &str) -> std::collections::BTreeSet<String> {
        let path = format!(
            "{}/templates/i18n/{lang}/{file}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
            .collect()
    }

    #[test]
    fn every_folder_is_a_spoken_language_with_every_key() {
        let dir = format!("{}/templates/i18n", env!("CARGO_MANIFEST_DIR"));
        let mut folders: Vec<Language> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().parse().unwrap())
            .collect();
        folders.sort_by_key(|l| (*l != Language::JA, *l));
        assert_eq!(
            spoken(),
            folders,
            "a folder is a language, and nothing else is"
        );
        let en = keys("en", "kaiji.ftl");
        assert!(en.len() > 500);
        for lang in spoken() {
            let own = keys(lang.as_str(), "kaiji.ftl");
            let missing: Vec<_> = en.symmetric_difference(&own).collect();
            assert!(
                missing.is_empty(),
                "{lang}: keys differ from English: {missing:?}"
            );
            assert_ne!(Tr::new(lang).t("lang-name"), "lang-name");
        }
    }

    #[test]
    fn only_spoken_languages_parse_as_spoken() {
        assert_eq!(parse_spoken("ja"), Ok(Language::JA));
        assert_eq!(parse_spoken("en"), Ok(Language::EN));
        assert_eq!(parse_spoken("xx"), Err("unknown_language"));
        assert_eq!(parse_spoken("EN"), Err("unknown_language"));
        assert_eq!(parse_spoken("english"), Err("unknown_language"));
        // An unknown language's page reads English, never a blank.
        let tr = Tr::new("xx".parse().unwrap());
        assert_eq!(tr.t("form-submit"), "Send request");
        assert_eq!(tr.html_lang(), "en");
    }

    #[test]
    fn lookups_work_in_both_languages_without_isolation_marks() {
        assert_eq!(Tr::new(Language::EN).t("form-submit"), "Send request");
        assert_eq!(Tr::new(Language::JA).t("form-submit"), "送信する");
        let refused = Tr::new(Language::EN).t_args("request-refused", &[("reason", "why".into())]);
        assert_eq!(refused, "That action is not possible now: why");
        for l in spoken() {
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
        assert_eq!(accept_language("en-US,en;q=0.9,ja;q=0.8"), Language::EN);
        assert_eq!(accept_language("xx, ja;q=0.5, en;q=0.4"), Language::JA);
        assert_eq!(accept_language("en;q=0.2, ja-JP"), Language::JA);
        assert_eq!(accept_language("zz"), Language::JA);
        assert_eq!(accept_language(""), Language::JA);
        assert_eq!(accept_language("en;q=0"), Language::JA);
    }

    #[test]
    fn yen_is_grouped_integer() {
        assert_eq!(Tr::new(Language::JA).yen(10_800), "10,800円");
        assert_eq!(Tr::new(Language::EN).yen(5_400), "¥5,400");
        assert_eq!(Tr::new(Language::EN).yen(-5_400), "-¥5,400");
        assert_eq!(Tr::new(Language::JA).yen(-1_234_567), "-1,234,567円");
        assert_eq!(Tr::new(Language::JA).yen(0), "0円");
    }

    #[test]
    fn files_are_described_as_a_reader_names_them() {
        let tr = Tr::new(Language::JA);
        assert_eq!(tr.file_size(4_182), "4.18 kB");
        assert_eq!(tr.file_size(512), "512 B");
        assert_eq!(tr.file_size(12_345_678), "12.35 MB");
        assert_eq!(tr.file_size(-1), "0 B");
        assert_eq!(tr.file_kind("application/zip"), "ZIP");
        assert_eq!(tr.file_kind("image/jpeg"), "JPEG");
        assert_eq!(
            tr.file_kind("application/x-unknown"),
            "application/x-unknown"
        );
    }

    #[test]
    fn times_show_in_tokyo() {
        let t = DateTime::parse_from_rfc3339("2026-12-31T15:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(Tr::new(Language::EN).time(&t), "2027-01-01 00:30 JST");
        let tr = Tr::new(Language::EN);
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
