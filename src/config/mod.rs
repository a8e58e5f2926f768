//! One typed configuration, read once in `main` from defaults, an optional `kaiji.toml` and `KAIJI_*`
//! environment variables (plus `DATABASE_URL`), checked, and passed down explicitly.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

mod database;
mod describe;
mod keys;

use keys::{
    ASSERTION_KEY_LEN, AUDIT_KEY_FILE, AUDIT_KEY_LEN, DOCUMENT_KEY_FILE, DOCUMENT_KEY_LEN,
    SESSION_KEY_FILE, SESSION_KEY_LEN, decode_key, default_audit_origin,
};

pub use database::DatabaseUrl;
pub use keys::{Keys, SecretBytes};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration error: {0}")]
    Invalid(String),
    #[error("configuration error: {setting}: {reason}")]
    Setting {
        setting: &'static str,
        reason: String,
    },
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
}

fn setting(setting: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Setting {
        setting,
        reason: reason.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Settings as written by the operator. Field names are the `KAIJI_*` variables, lower-cased.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    bind: SocketAddr,
    public_url: Option<String>,
    data_dir: PathBuf,
    database_url: Option<String>,
    seeds_dir: PathBuf,
    log_format: LogFormat,
    log_level: String,
    cookie_secure: bool,
    session_ttl_minutes: u32,
    setup_link_ttl_minutes: u32,
    db_pool_size: u32,
    upload_max_bytes: u64,
    document_retention_days: u32,
    download_days: u32,
    download_limit: u32,
    confirm_email_hours: u32,
    intake_per_ip_per_hour: u32,
    intake_per_email_per_hour: u32,
    bank_account: Option<String>,
    session_key: Option<String>,
    document_key: Option<String>,
    assertion_key: Option<String>,
    smtp_url: Option<String>,
    mail_from: String,
    mail_max_attempts: u32,
    mail_retry_seconds: u32,
    mail_lease_seconds: u32,
    record_retention_months: u32,
    audit_key: Option<String>,
    audit_origin: Option<String>,
    audit_checkpoint_dir: Option<PathBuf>,
    audit_push_seconds: u32,
    audit_sequence_ms: u32,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: None,
            data_dir: PathBuf::from("data"),
            database_url: None,
            seeds_dir: PathBuf::from("seeds"),
            log_format: LogFormat::Text,
            log_level: "info".into(),
            cookie_secure: true,
            session_ttl_minutes: 8 * 60,
            setup_link_ttl_minutes: 24 * 60,
            db_pool_size: 8,
            upload_max_bytes: 10 * 1024 * 1024,
            document_retention_days: 30,
            download_days: 14,
            download_limit: 3,
            confirm_email_hours: 72,
            intake_per_ip_per_hour: 30,
            intake_per_email_per_hour: 5,
            bank_account: None,
            session_key: None,
            document_key: None,
            assertion_key: None,
            smtp_url: None,
            mail_from: "kaiji <no-reply@localhost>".into(),
            mail_max_attempts: 8,
            mail_retry_seconds: 60,
            mail_lease_seconds: 300,
            record_retention_months: crate::domain::audit::MIN_RECORD_RETENTION_MONTHS,
            audit_key: None,
            audit_origin: None,
            audit_checkpoint_dir: None,
            audit_push_seconds: 300,
            audit_sequence_ms: 200,
        }
    }
}

/// How a secret key was obtained, for `kaiji config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Configured,
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub public_url: String,
    pub data_dir: PathBuf,
    pub database: DatabaseUrl,
    pub seeds_dir: PathBuf,
    pub log_format: LogFormat,
    pub log_level: String,
    pub cookie_secure: bool,
    pub session_ttl_minutes: u32,
    pub setup_link_ttl_minutes: u32,
    pub db_pool_size: u32,
    /// Largest scan or document accepted, in bytes.
    pub upload_max_bytes: u64,
    /// Days after a request closes before its scans and documents are erased.
    pub document_retention_days: u32,
    /// How long a reply released for download stays downloadable.
    pub download_days: u32,
    /// How many times one released link may be used.
    pub download_limit: u32,
    /// How long a request filed online waits for its email address to be confirmed before it expires.
    pub confirm_email_hours: u32,
    /// Requests one network address may file per hour.
    pub intake_per_ip_per_hour: u32,
    /// Requests one email address may be given in per hour.
    pub intake_per_email_per_hour: u32,
    /// The account fee invoices ask requesters to pay into (bank, branch, type, number, holder).
    pub bank_account: Option<String>,
    /// Where notices are sent: `smtp://host:port` (STARTTLS when offered), `smtp://…?tls=required`,
    /// or `smtps://user:pass@host:465`. Unset: `.eml` files in `data/mail/`.
    pub smtp_url: Option<SecretString>,
    /// The From address of every notice.
    pub mail_from: String,
    /// Attempts before a notice is marked failed (and shown to officers to retry).
    pub mail_max_attempts: u32,
    /// The first wait after a failed attempt; each further wait doubles (at most six hours).
    pub mail_retry_seconds: u32,
    /// How long a worker holds a claimed notice; a worker that died loses it after this.
    pub mail_lease_seconds: u32,
    /// Months a closed request's record (and its audit trail's details) is kept before its personal
    /// data is erased; at least 24 (CCPA §7101).
    pub record_retention_months: u32,
    /// The audit log's name in its checkpoints and verifier key (C2SP origin). Only the first signing
    /// uses it: the name is then recorded in the database with the key.
    pub audit_origin: String,
    /// Where the worker appends each new signed checkpoint (a store the operator keeps elsewhere).
    pub audit_checkpoint_dir: Option<PathBuf>,
    /// How often the worker pushes the latest checkpoint there.
    pub audit_push_seconds: u32,
    /// How long the sequencer waits between batches when nothing is waiting (the merge delay's floor).
    pub audit_sequence_ms: u32,
    audit_key: Option<SecretString>,
    session_key: Option<SecretString>,
    document_key: Option<SecretString>,
    /// Shared with the company's login: signs identity assertions (base64 of 32 bytes). Unset: the
    /// method is not offered.
    assertion_key: Option<SecretString>,
    pub config_file: Option<PathBuf>,
}

impl Config {
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
        let mut figment = Figment::from(Serialized::defaults(RawSettings::default()));
        if let Some(f) = &file {
            figment = figment.merge(Toml::file_exact(f));
        }
        figment =
            figment
                .merge(Env::prefixed("KAIJI_").filter(|k| {
                    k != "config" && !k.as_str().to_ascii_lowercase().starts_with("test_")
                }))
                .merge(Env::raw().only(&["database_url"]));
        let raw: RawSettings = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(one_line(&e)))?;
        Self::from_raw(raw, file)
    }

    /// Builds a configuration for tests and embedding, from a data directory and a database.
    pub fn for_dir(data_dir: &Path, database: DatabaseUrl) -> Self {
        let raw = RawSettings {
            data_dir: data_dir.to_owned(),
            ..RawSettings::default()
        };
        let mut cfg = Self::from_raw(raw, None).expect("defaults are valid");
        cfg.database = database;
        cfg
    }

    fn from_raw(raw: RawSettings, config_file: Option<PathBuf>) -> Result<Self, ConfigError> {
        let database = match &raw.database_url {
            Some(url) => DatabaseUrl::parse(url)?,
            None => DatabaseUrl::Sqlite(raw.data_dir.join("kaiji.db")),
        };
        let public_url = match raw.public_url {
            Some(u) => {
                let u = u.trim().trim_end_matches('/').to_owned();
                if !(u.starts_with("http://") || u.starts_with("https://")) {
                    return Err(setting(
                        "KAIJI_PUBLIC_URL",
                        "must start with http:// or https://",
                    ));
                }
                u
            }
            None => format!("http://{}", raw.bind),
        };
        if raw.session_ttl_minutes == 0 {
            return Err(setting("KAIJI_SESSION_TTL_MINUTES", "must be at least 1"));
        }
        if raw.setup_link_ttl_minutes == 0 {
            return Err(setting(
                "KAIJI_SETUP_LINK_TTL_MINUTES",
                "must be at least 1",
            ));
        }
        if !(1024..=100 * 1024 * 1024).contains(&raw.upload_max_bytes) {
            return Err(setting(
                "KAIJI_UPLOAD_MAX_BYTES",
                "must be between 1024 and 104857600",
            ));
        }
        if !(1..=256).contains(&raw.db_pool_size) {
            return Err(setting("KAIJI_DB_POOL_SIZE", "must be between 1 and 256"));
        }
        if !(1..=365).contains(&raw.download_days) {
            return Err(setting("KAIJI_DOWNLOAD_DAYS", "must be between 1 and 365"));
        }
        if !(1..=100).contains(&raw.download_limit) {
            return Err(setting("KAIJI_DOWNLOAD_LIMIT", "must be between 1 and 100"));
        }
        if !(1..=720).contains(&raw.confirm_email_hours) {
            return Err(setting(
                "KAIJI_CONFIRM_EMAIL_HOURS",
                "must be between 1 and 720",
            ));
        }
        if !(1..=100_000).contains(&raw.intake_per_ip_per_hour) {
            return Err(setting(
                "KAIJI_INTAKE_PER_IP_PER_HOUR",
                "must be between 1 and 100000",
            ));
        }
        if !(1..=1000).contains(&raw.intake_per_email_per_hour) {
            return Err(setting(
                "KAIJI_INTAKE_PER_EMAIL_PER_HOUR",
                "must be between 1 and 1000",
            ));
        }
        if raw
            .mail_from
            .trim()
            .parse::<lettre::message::Mailbox>()
            .is_err()
        {
            return Err(setting(
                "KAIJI_MAIL_FROM",
                "must be an address like kaiji <privacy@example.com>",
            ));
        }
        if let Some(url) = raw
            .smtp_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            && lettre::SmtpTransport::from_url(url).is_err()
        {
            // The URL may hold a password: it is never echoed.
            return Err(setting(
                "KAIJI_SMTP_URL",
                "is not an SMTP URL (smtp://host:587, smtp://host?tls=required, smtps://user:pass@host:465)",
            ));
        }
        if !(1..=50).contains(&raw.mail_max_attempts) {
            return Err(setting(
                "KAIJI_MAIL_MAX_ATTEMPTS",
                "must be between 1 and 50",
            ));
        }
        if !(1..=3600).contains(&raw.mail_retry_seconds) {
            return Err(setting(
                "KAIJI_MAIL_RETRY_SECONDS",
                "must be between 1 and 3600",
            ));
        }
        if !(crate::domain::audit::MIN_RECORD_RETENTION_MONTHS..=240)
            .contains(&raw.record_retention_months)
        {
            return Err(setting(
                "KAIJI_RECORD_RETENTION_MONTHS",
                "must be between 24 (CCPA §7101 keeps records two years) and 240",
            ));
        }
        let audit_origin = match raw.audit_origin.as_deref().map(str::trim) {
            Some(o) if !o.is_empty() => o.to_owned(),
            _ => default_audit_origin(&public_url),
        };
        if audit_origin.chars().any(char::is_whitespace) || audit_origin.contains('+') {
            return Err(setting(
                "KAIJI_AUDIT_ORIGIN",
                "must name the log without spaces or '+', like privacy.example.com/audit",
            ));
        }
        if !(10..=86_400).contains(&raw.audit_push_seconds) {
            return Err(setting(
                "KAIJI_AUDIT_PUSH_SECONDS",
                "must be between 10 and 86400",
            ));
        }
        if !(10..=60_000).contains(&raw.audit_sequence_ms) {
            return Err(setting(
                "KAIJI_AUDIT_SEQUENCE_MS",
                "must be between 10 and 60000",
            ));
        }
        if !(10..=86_400).contains(&raw.mail_lease_seconds) {
            return Err(setting(
                "KAIJI_MAIL_LEASE_SECONDS",
                "must be between 10 and 86400",
            ));
        }
        if raw
            .log_level
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            return Err(setting("KAIJI_LOG_LEVEL", "is not a valid log filter"));
        }
        let cfg = Self {
            bind: raw.bind,
            public_url,
            data_dir: raw.data_dir,
            database,
            seeds_dir: raw.seeds_dir,
            log_format: raw.log_format,
            log_level: raw.log_level,
            cookie_secure: raw.cookie_secure,
            session_ttl_minutes: raw.session_ttl_minutes,
            setup_link_ttl_minutes: raw.setup_link_ttl_minutes,
            db_pool_size: raw.db_pool_size,
            upload_max_bytes: raw.upload_max_bytes,
            document_retention_days: raw.document_retention_days,
            download_days: raw.download_days,
            download_limit: raw.download_limit,
            confirm_email_hours: raw.confirm_email_hours,
            intake_per_ip_per_hour: raw.intake_per_ip_per_hour,
            intake_per_email_per_hour: raw.intake_per_email_per_hour,
            bank_account: raw
                .bank_account
                .map(|b| b.trim().to_owned())
                .filter(|b| !b.is_empty()),
            smtp_url: raw
                .smtp_url
                .map(|u| u.trim().to_owned())
                .filter(|u| !u.is_empty())
                .map(SecretString::from),
            mail_from: raw.mail_from.trim().to_owned(),
            mail_max_attempts: raw.mail_max_attempts,
            mail_retry_seconds: raw.mail_retry_seconds,
            mail_lease_seconds: raw.mail_lease_seconds,
            record_retention_months: raw.record_retention_months,
            audit_origin,
            audit_checkpoint_dir: raw
                .audit_checkpoint_dir
                .filter(|d| !d.as_os_str().is_empty()),
            audit_push_seconds: raw.audit_push_seconds,
            audit_sequence_ms: raw.audit_sequence_ms,
            audit_key: raw.audit_key.map(SecretString::from),
            session_key: raw.session_key.map(SecretString::from),
            document_key: raw.document_key.map(SecretString::from),
            assertion_key: raw.assertion_key.map(SecretString::from),
            config_file,
        };
        // Check given keys now, so a bad key is reported at start-up and not on first use.
        if let Some(k) = &cfg.session_key {
            decode_key(k, "KAIJI_SESSION_KEY", SESSION_KEY_LEN)?;
        }
        if let Some(k) = &cfg.document_key {
            decode_key(k, "KAIJI_DOCUMENT_KEY", DOCUMENT_KEY_LEN)?;
        }
        if let Some(k) = &cfg.assertion_key {
            decode_key(k, "KAIJI_ASSERTION_KEY", ASSERTION_KEY_LEN)?;
        }
        if let Some(k) = &cfg.audit_key {
            decode_key(k, "KAIJI_AUDIT_KEY", AUDIT_KEY_LEN)?;
        }
        Ok(cfg)
    }

    /// Overrides the address to listen on (`serve --bind`); the public URL follows unless it was set.
    pub fn with_bind(mut self, bind: SocketAddr) -> Self {
        if self.public_url == format!("http://{}", self.bind) {
            // The log's default name follows the address too (it is recorded at the first signing).
            if self.audit_origin == default_audit_origin(&self.public_url) {
                self.audit_origin = default_audit_origin(&format!("http://{bind}"));
            }
            self.public_url = format!("http://{bind}");
        }
        self.bind = bind;
        self
    }
}

fn one_line(e: &figment::Error) -> String {
    let mut parts = Vec::new();
    for err in e.clone() {
        let mut s = err.to_string();
        if let Some(key) = err.path.last() {
            s = format!(
                "KAIJI_{} ({}): {}",
                key.to_uppercase(),
                err.metadata
                    .as_ref()
                    .map(|m| m.name.to_string())
                    .unwrap_or_else(|| "settings".into()),
                err.kind
            );
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
        let bad = decode_key(&SecretString::from("!!"), "KAIJI_SESSION_KEY", 64).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "configuration error: KAIJI_SESSION_KEY: must be base64"
        );
        let raw = RawSettings {
            db_pool_size: 0,
            ..RawSettings::default()
        };
        assert!(
            Config::from_raw(raw, None)
                .unwrap_err()
                .to_string()
                .contains("KAIJI_DB_POOL_SIZE")
        );
        let raw = RawSettings {
            public_url: Some("ftp://x".into()),
            ..RawSettings::default()
        };
        assert!(
            Config::from_raw(raw, None)
                .unwrap_err()
                .to_string()
                .contains("KAIJI_PUBLIC_URL")
        );
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail closure returns figment's own (large) error type
    fn figment_errors_become_one_line_naming_the_variable() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("KAIJI_BIND", "not-an-address");
            let e = Config::load().unwrap_err().to_string();
            assert!(e.starts_with("configuration error: KAIJI_BIND"), "{e}");
            assert!(!e.contains('\n'));
            Ok(())
        });
    }
}
