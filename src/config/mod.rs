//! One typed configuration, read once in `main` from defaults, an optional `kaiji.toml` and `KAIJI_*`
//! environment variables (plus `DATABASE_URL`), checked, and passed down explicitly.

use std::fmt::Write as _;
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};

mod database;
mod describe;
mod keys;
mod proxies;
mod settings;

use keys::{
    ASSERTION_KEY_LEN, AUDIT_KEY_FILE, AUDIT_KEY_LEN, DOCUMENT_KEY_FILE, DOCUMENT_KEY_LEN,
    SESSION_KEY_FILE, SESSION_KEY_LEN, decode_ring, default_audit_origin,
};

pub use database::DatabaseUrl;
pub use keys::{KeyRing, Keys, SecretBytes};
pub use proxies::{ProxyHeader, TrustedProxies, canonical as canonical_ip, subscriber_network};
pub use settings::{
    Audit, Db, Http, Intake, KeySettings, LogFormat, Mail, MfaPolicy, Retention, Service, Settings,
    UploadKind, variable,
};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration error: {0}")]
    Invalid(String),
    #[error("configuration error: {setting}: {reason}")]
    Setting { setting: String, reason: String },
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn setting(setting: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Setting {
        setting: setting.to_owned(),
        reason: reason.into(),
    }
}

/// How a secret key was obtained, for `kaiji config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Configured,
    File(PathBuf),
}

/// The checked settings, by section, passed down explicitly.
#[derive(Debug, Clone)]
pub struct Config {
    pub service: Service,
    pub http: Http,
    pub db: Db,
    pub mail: Mail,
    pub intake: Intake,
    pub retention: Retention,
    pub audit: Audit,
    keys: KeySettings,
    /// `db.database_url`, parsed (a SQLite file in the data directory when unset).
    pub database: DatabaseUrl,
    pub config_file: Option<PathBuf>,
}

/// A provider's flat keys (`kaiji.toml`, `KAIJI_*`) nested under their sections; unknown keys stay at the
/// top, where they are refused by name.
struct Sectioned<P>(P);

impl<P: figment::Provider> figment::Provider for Sectioned<P> {
    fn metadata(&self) -> figment::Metadata {
        self.0.metadata()
    }

    fn data(
        &self,
    ) -> Result<figment::value::Map<figment::Profile, figment::value::Dict>, figment::Error> {
        let mut data = self.0.data()?;
        let sections = Settings::sections_by_name();
        for dict in data.values_mut() {
            let flat = std::mem::take(dict);
            for (key, value) in flat {
                match sections.get(&key).cloned() {
                    Some(section) => {
                        if let figment::value::Value::Dict(_, d) = dict
                            .entry(section)
                            .or_insert_with(|| figment::value::Dict::new().into())
                        {
                            d.insert(key, value);
                        }
                    }
                    None => {
                        dict.insert(key, value);
                    }
                }
            }
        }
        Ok(data)
    }
}

impl Config {
    /// Where notices are written as `.eml` files when no SMTP server is configured.
    pub fn mail_dir(&self) -> PathBuf {
        self.service.data_dir.join("mail")
    }

    /// Reads the configuration from the process environment and `KAIJI_CONFIG` (default `kaiji.toml`).
    pub fn load() -> Result<Self, ConfigError> {
        let explicit = std::env::var_os("KAIJI_CONFIG").map(PathBuf::from);
        let path = explicit
            .clone()
            .unwrap_or_else(|| PathBuf::from("kaiji.toml"));
        if explicit.is_some() && !path.exists() {
            return Err(setting(
                "KAIJI_CONFIG",
                format!("file {} does not exist", path.display()),
            ));
        }
        let file = path.exists().then_some(path);
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(f) = &file {
            figment = figment.merge(Sectioned(Toml::file_exact(f)));
        }
        figment = figment
            .merge(Sectioned(Env::prefixed("KAIJI_").filter(|k| {
                k != "config" && !k.as_str().to_ascii_lowercase().starts_with("test_")
            })))
            .merge(Sectioned(Env::raw().only(&["database_url"])));
        let settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(one_line(&e)))?;
        Self::from_settings(settings, file)
    }

    /// Builds a configuration for tests and embedding, from a data directory and a database.
    pub fn for_dir(data_dir: &Path, database: DatabaseUrl) -> Self {
        let mut settings = Settings::default();
        settings.service.data_dir = data_dir.to_owned();
        let mut cfg = Self::from_settings(settings, None).expect("defaults are valid");
        cfg.database = database;
        cfg
    }

    fn from_settings(mut s: Settings, config_file: Option<PathBuf>) -> Result<Self, ConfigError> {
        if let Some((name, reason)) = s.problems().into_iter().next() {
            return Err(setting(&name, reason));
        }
        let database = match &s.db.database_url {
            Some(url) => DatabaseUrl::parse(url.expose_secret())?,
            None => DatabaseUrl::Sqlite(s.service.data_dir.join("kaiji.db")),
        };
        // Unset or empty values take their derived defaults; text is trimmed once, here.
        let public_url = s.http.public_url.trim().trim_end_matches('/');
        s.http.public_url = if public_url.is_empty() {
            format!("http://{}", s.http.bind)
        } else {
            public_url.to_owned()
        };
        s.audit.audit_origin = match s.audit.audit_origin.trim() {
            "" => default_audit_origin(&s.http.public_url),
            o => o.to_owned(),
        };
        s.audit.audit_checkpoint_dir = s
            .audit
            .audit_checkpoint_dir
            .filter(|d| !d.as_os_str().is_empty());
        s.intake.bank_account = s
            .intake
            .bank_account
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty());
        s.intake.invoice_registration_number = match s
            .intake
            .invoice_registration_number
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            None => None,
            Some(n) => Some(
                crate::domain::tax::RegistrationNumber::parse(n)
                    .map_err(|_| {
                        setting(
                            "KAIJI_INVOICE_REGISTRATION_NUMBER",
                            "must be T and 13 digits (T1234567890123)",
                        )
                    })?
                    .as_str()
                    .to_owned(),
            ),
        };
        crate::i18n::pdf::WindowMm::parse(&s.intake.letter_window_mm)
            .map_err(|why| setting("KAIJI_LETTER_WINDOW_MM", why))?;
        s.mail.smtp_url = s
            .mail
            .smtp_url
            .map(|u| u.expose_secret().trim().to_owned())
            .filter(|u| !u.is_empty())
            .map(SecretString::from);
        s.mail.mail_from = s.mail.mail_from.trim().to_owned();
        s.http.metrics_token = s
            .http
            .metrics_token
            .map(|t| t.expose_secret().trim().to_owned())
            .filter(|t| !t.is_empty())
            .map(SecretString::from);
        if let Some(t) = &s.http.metrics_token
            && (t.expose_secret().len() < 32
                || !t.expose_secret().bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(setting(
                "KAIJI_METRICS_TOKEN",
                "must be at least 32 printable characters without spaces",
            ));
        }
        // Check given keys now, so a bad key is reported at start-up and not on first use.
        let k = &s.keys;
        for (key, name, len) in [
            (&k.session_key, "KAIJI_SESSION_KEY", SESSION_KEY_LEN),
            (&k.document_key, "KAIJI_DOCUMENT_KEY", DOCUMENT_KEY_LEN),
            (&k.assertion_key, "KAIJI_ASSERTION_KEY", ASSERTION_KEY_LEN),
            (&k.audit_key, "KAIJI_AUDIT_KEY", AUDIT_KEY_LEN),
        ] {
            if let Some(key) = key {
                decode_ring(key, name, len)?;
            }
        }
        Ok(Self {
            service: s.service,
            http: s.http,
            db: s.db,
            mail: s.mail,
            intake: s.intake,
            retention: s.retention,
            audit: s.audit,
            keys: s.keys,
            database,
            config_file,
        })
    }

    /// The settings as loaded and completed, for `kaiji config`.
    fn settings(&self) -> Settings {
        Settings {
            service: self.service.clone(),
            http: self.http.clone(),
            db: self.db.clone(),
            mail: self.mail.clone(),
            intake: self.intake.clone(),
            retention: self.retention.clone(),
            audit: self.audit.clone(),
            keys: self.keys.clone(),
        }
    }

    /// Overrides the address to listen on (`serve --bind`); the public URL follows unless it was set.
    pub fn with_bind(mut self, bind: SocketAddr) -> Self {
        if self.http.public_url == format!("http://{}", self.http.bind) {
            // The log's default name follows the address too (it is recorded at the first signing).
            if self.audit.audit_origin == default_audit_origin(&self.http.public_url) {
                self.audit.audit_origin = default_audit_origin(&format!("http://{bind}"));
            }
            self.http.public_url = format!("http://{bind}");
        }
        self.http.bind = bind;
        self
    }
}

fn one_line(e: &figment::Error) -> String {
    let mut parts = Vec::new();
    for err in e.clone() {
        let mut s = err.to_string();
        let source = err
            .metadata
            .as_ref()
            .map(|m| m.name.to_string())
            .unwrap_or_else(|| "settings".into());
        if let figment::error::Kind::UnknownField(name, _) = &err.kind {
            // Sections are kaiji's own grouping: the operator wrote a flat name.
            s = format!("{} ({source}): no such setting", variable(name));
        } else if let Some(key) = err.path.last() {
            s = format!("{} ({source}): {}", variable(key), err.kind);
        }
        parts.push(s.replace('\n', " "));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_pick_the_backend() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@h/db").unwrap().backend(),
            "postgres"
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://h/db").unwrap().backend(),
            "postgres"
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("/tmp/k.db").unwrap(),
            DatabaseUrl::Sqlite("/tmp/k.db".into())
        );
        let e = DatabaseUrl::parse("mysql://h/db").unwrap_err().to_string();
        assert!(e.starts_with("configuration error: DATABASE_URL:"), "{e}");
    }

    #[test]
    fn passwords_in_urls_are_masked() {
        let u = DatabaseUrl::parse("postgres://kaiji:s3cret@db:5432/kaiji").unwrap();
        assert_eq!(u.masked(), "postgres://kaiji:****@db:5432/kaiji");
        assert!(!format!("{u:?}").contains("s3cret"));
        assert_eq!(
            database::mask_url_password("postgres://h/db"),
            "postgres://h/db"
        );
    }

    #[test]
    fn keys_are_generated_once_with_mode_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = Config::for_dir(dir.path(), DatabaseUrl::Sqlite(dir.path().join("k.db")));
        let a = cfg.load_keys().unwrap();
        let b = cfg.load_keys().unwrap();
        assert_eq!(a.session.expose(), b.session.expose());
        assert_eq!(a.session.expose().len(), 64);
        assert_eq!(a.document.expose().len(), 32);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("session.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(cfg.describe().contains("**** (from"));
    }

    #[test]
    fn bad_keys_and_settings_name_the_setting() {
        let bad = decode_ring(&SecretString::from("!!"), "KAIJI_SESSION_KEY", 64).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "configuration error: KAIJI_SESSION_KEY: must be base64"
        );
        let mut raw = Settings::default();
        raw.db.db_pool_size = 0;
        assert!(
            Config::from_settings(raw, None)
                .unwrap_err()
                .to_string()
                .contains("KAIJI_DB_POOL_SIZE")
        );
        let mut raw = Settings::default();
        raw.http.public_url = "ftp://x".into();
        assert!(
            Config::from_settings(raw, None)
                .unwrap_err()
                .to_string()
                .contains("KAIJI_PUBLIC_URL")
        );
    }

    #[test]
    fn the_readme_table_lists_every_setting_and_no_other() {
        let readme = include_str!("../../README.md");
        let table = readme
            .split("## Configuration")
            .nth(1)
            .and_then(|s| s.split("\n\n").find(|p| p.starts_with("| Variable")))
            .expect("README has the settings table");
        let listed: std::collections::BTreeSet<String> = table
            .lines()
            .filter_map(|l| l.strip_prefix("| `")?.split('`').next().map(str::to_owned))
            .collect();
        let declared: std::collections::BTreeSet<String> = Settings::default()
            .by_section()
            .into_iter()
            .flat_map(|(_, fields)| fields.into_iter().map(|(name, _)| variable(&name)))
            .collect();
        assert_eq!(listed, declared);
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail closure returns figment's own (large) error type
    fn figment_errors_become_one_line_naming_the_variable() {
        figment::Jail::expect_with(|jail| {
            // Only what the test sets: a test run's own KAIJI_* variables are not settings.
            jail.clear_env();
            jail.set_env("KAIJI_BIND", "not-an-address");
            let e = Config::load().unwrap_err().to_string();
            assert!(e.starts_with("configuration error: KAIJI_BIND"), "{e}");
            assert!(!e.contains('\n'));
            jail.set_env("KAIJI_BIND", "127.0.0.1:9000");
            jail.set_env("KAIJI_DOWNLOAD_DAYS", "0");
            let e = Config::load().unwrap_err().to_string();
            assert_eq!(
                e,
                "configuration error: KAIJI_DOWNLOAD_DAYS: must be between 1 and 365"
            );
            jail.set_env("KAIJI_DOWNLOAD_DAYS", "20");
            jail.create_file(
                "kaiji.toml",
                "download_limit = 7\nbank_account = \"  Bank  \"\nrecord_retention_months = 36",
            )?;
            let c = Config::load().expect("flat keys land in their sections");
            assert_eq!(
                (c.retention.download_days, c.retention.download_limit),
                (20, 7)
            );
            assert_eq!(c.retention.record_retention_months, 36);
            assert_eq!(c.intake.bank_account.as_deref(), Some("Bank"));
            assert_eq!(c.http.public_url, "http://127.0.0.1:9000");
            jail.set_env("KAIJI_INVOICE_REGISTRATION_NUMBER", "t-1234-5678-90123");
            assert_eq!(
                Config::load()
                    .unwrap()
                    .intake
                    .invoice_registration_number
                    .as_deref(),
                Some("T1234567890123")
            );
            jail.set_env("KAIJI_INVOICE_REGISTRATION_NUMBER", "T12");
            assert_eq!(
                Config::load().unwrap_err().to_string(),
                "configuration error: KAIJI_INVOICE_REGISTRATION_NUMBER: must be T and 13 digits (T1234567890123)"
            );
            jail.set_env("KAIJI_INVOICE_REGISTRATION_NUMBER", "");
            jail.create_file("kaiji.toml", "downlaod_days = 3")?;
            let e = Config::load().unwrap_err().to_string();
            assert!(
                e.starts_with("configuration error: KAIJI_DOWNLAOD_DAYS (TOML file")
                    && e.ends_with("no such setting"),
                "{e}"
            );
            Ok(())
        });
    }
}
