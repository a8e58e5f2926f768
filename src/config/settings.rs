//! Every setting, declared once: its section, name (the `KAIJI_*` variable and `kaiji.toml` key, lower-cased),
//! type, default and allowed range. Loading, checking and `kaiji config` are derived from these declarations.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Serialize, Serializer};
use validator::{Validate, ValidationError};

use super::proxies::{ProxyHeader, TrustedProxies};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Files and logs.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct Service {
    /// The SQLite file, generated keys and (without SMTP) the `.eml` files.
    pub data_dir: PathBuf,
    /// Seed data; workflows in `<seeds>/workflows/*.toml`.
    pub seeds_dir: PathBuf,
    /// The places requests may come from: codes of `<seeds>/places`, comma-separated; empty: every place.
    pub places: String,
    pub log_format: LogFormat,
    /// A tracing filter, e.g. `info,kaiji=debug`.
    #[validate(custom(function = "check_log_filter"))]
    pub log_level: String,
}

impl Default for Service {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            seeds_dir: PathBuf::from("seeds"),
            places: String::new(),
            log_format: LogFormat::Text,
            log_level: "info".into(),
        }
    }
}

/// The web server, its cookies and uploads.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct Http {
    pub bind: SocketAddr,
    /// Base of the links kaiji hands out; empty: `http://<bind>`.
    #[validate(custom(function = "check_http_url"))]
    pub public_url: String,
    pub cookie_secure: bool,
    #[validate(range(min = 1, max = 10_080))]
    pub session_ttl_minutes: u32,
    #[validate(range(min = 1, max = 10_080))]
    pub setup_link_ttl_minutes: u32,
    /// Staff sessions also end after this long without use.
    #[validate(range(min = 5, max = 10_080))]
    pub session_idle_minutes: u32,
    /// Largest file accepted, in bytes: scans and identity documents, and every kind below left unset.
    #[validate(range(min = 1024, max = 104_857_600))]
    pub upload_max_bytes: u64,
    /// Largest reply file (what a requester is sent); unset: `upload_max_bytes`.
    #[validate(range(min = 1024, max = 104_857_600))]
    pub reply_max_bytes: Option<u64>,
    /// Largest export a data system's task is completed with; unset: `upload_max_bytes`.
    #[validate(range(min = 1024, max = 104_857_600))]
    pub export_max_bytes: Option<u64>,
    /// Largest bank statement imported to match payments; unset: `upload_max_bytes`.
    #[validate(range(min = 1024, max = 104_857_600))]
    pub statement_max_bytes: Option<u64>,
    /// The reverse proxies (CIDR list) whose forwarding header names the client; empty: the
    /// connection's own address is the client's.
    pub trusted_proxies: TrustedProxies,
    /// The header those proxies append the client's address to: `x-forwarded-for` or `forwarded`.
    pub proxy_header: ProxyHeader,
    /// Who must pass a second step (an authenticator code) to sign in: `all`, `admins`, or `none`
    /// (development only). Anything but `all` is a deviation SECURITY.md records.
    pub require_mfa: MfaPolicy,
    /// The bearer token Prometheus scrapes `/metrics` with (at least 32 characters); unset:
    /// `/metrics` answers 404. Checked in `Config::from_settings`.
    #[serde(serialize_with = "masked")]
    pub metrics_token: Option<SecretString>,
}

/// Which staff roles sign in with a second step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MfaPolicy {
    All,
    Admins,
    None,
}

impl MfaPolicy {
    pub fn requires(self, role: crate::domain::staff::Role) -> bool {
        match self {
            MfaPolicy::All => true,
            MfaPolicy::Admins => role == crate::domain::staff::Role::Admin,
            MfaPolicy::None => false,
        }
    }
}

impl Default for Http {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: String::new(),
            cookie_secure: true,
            session_ttl_minutes: 8 * 60,
            setup_link_ttl_minutes: 24 * 60,
            session_idle_minutes: 60,
            upload_max_bytes: 10 * 1024 * 1024,
            reply_max_bytes: None,
            export_max_bytes: None,
            statement_max_bytes: None,
            trusted_proxies: TrustedProxies::default(),
            proxy_header: ProxyHeader::XForwardedFor,
            require_mfa: MfaPolicy::All,
            metrics_token: None,
        }
    }
}

/// The kinds of file kaiji accepts, each with its own size limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadKind {
    /// A scanned letter or form, an identity document, a requester's evidence.
    Scan,
    Reply,
    Export,
    Statement,
}

impl Http {
    /// The largest file of this kind accepted, in bytes.
    pub fn upload_limit(&self, kind: UploadKind) -> u64 {
        match kind {
            UploadKind::Scan => None,
            UploadKind::Reply => self.reply_max_bytes,
            UploadKind::Export => self.export_max_bytes,
            UploadKind::Statement => self.statement_max_bytes,
        }
        .unwrap_or(self.upload_max_bytes)
    }
}

/// The database.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct Db {
    /// `DATABASE_URL`: PostgreSQL, or a SQLite file; unset: `<data dir>/kaiji.db`. May hold a password.
    #[serde(serialize_with = "masked")]
    pub database_url: Option<SecretString>,
    #[validate(range(min = 1, max = 256))]
    pub db_pool_size: u32,
}

impl Default for Db {
    fn default() -> Self {
        Self {
            database_url: None,
            db_pool_size: 8,
        }
    }
}

/// Sending notices.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct Mail {
    /// Where notices are sent: `smtp://host:port` (STARTTLS when offered), `smtp://…?tls=required`,
    /// or `smtps://user:pass@host:465`. Unset: `.eml` files in `data/mail/`. May hold a password.
    /// Checked in `Mail::check_smtp_url` (the validator would want to print the secret).
    #[serde(serialize_with = "masked")]
    pub smtp_url: Option<SecretString>,
    /// The From address of every notice.
    #[validate(custom(function = "check_mailbox"))]
    pub mail_from: String,
    /// Attempts before a notice is marked failed (and shown to officers to retry); a mail server's
    /// permanent refusal (a 5xx reply) fails it at once.
    #[validate(range(min = 1, max = 50))]
    pub mail_max_attempts: u32,
    /// The first wait after a failed attempt; each further wait doubles (at most six hours).
    #[validate(range(min = 1, max = 3600))]
    pub mail_retry_seconds: u32,
    /// How long a worker's claim on a notice lasts unless renewed. A live worker renews its claims
    /// every third of this while it holds them; a worker that died loses them after this.
    #[validate(range(min = 5, max = 86_400))]
    pub mail_lease_seconds: u32,
    /// Notices one worker sends at once, each over its own pooled SMTP connection. A worker killed
    /// mid-send may send at most this many twice (the same Message-ID each time).
    #[validate(range(min = 1, max = 64))]
    pub mail_concurrency: u32,
}

impl Default for Mail {
    fn default() -> Self {
        Self {
            smtp_url: None,
            mail_from: "kaiji <no-reply@localhost>".into(),
            mail_max_attempts: 8,
            mail_retry_seconds: 60,
            mail_lease_seconds: 300,
            mail_concurrency: 8,
        }
    }
}

/// Filing: limits, email confirmation, fees.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct Intake {
    /// Requests one network address may file per hour.
    #[validate(range(min = 1, max = 100_000))]
    pub intake_per_ip_per_hour: u32,
    /// Submissions with errors (shown again to correct) one address may send per hour, counted apart
    /// from filed requests so that typing mistakes do not use up the filing limit.
    #[validate(range(min = 1, max = 100_000))]
    pub intake_invalid_per_ip_per_hour: u32,
    /// Requests one email address may be given in per hour.
    #[validate(range(min = 1, max = 1000))]
    pub intake_per_email_per_hour: u32,
    /// How long a request filed online waits for its email address to be confirmed before it expires.
    #[validate(range(min = 1, max = 720))]
    pub confirm_email_hours: u32,
    /// Pieces of evidence (files and offered details) one request may receive through its tracking
    /// link, so that a link cannot fill the disk one bounded upload at a time.
    #[validate(range(min = 1, max = 1000))]
    pub evidence_per_request: u32,
    /// The account fee invoices ask requesters to pay into (bank, branch, type, number, holder).
    pub bank_account: Option<String>,
    /// The company's qualified-invoice registration number (適格請求書発行事業者の登録番号, `T` and 13
    /// digits): when set, invoices state it with the consumption tax rate and amount.
    pub invoice_registration_number: Option<String>,
    /// Where the envelope's window falls on a printed letter, in millimetres from the sheet's top-left:
    /// `left,top,width,height` (default: a common 長形3号 window for A4 folded in three).
    pub letter_window_mm: String,
    /// A letter whose form is dated more than this many days before it arrived is flagged for the
    /// officer: documents are counted from the form's date, so a backdated form would let old ones pass.
    #[validate(range(min = 1, max = 365))]
    pub form_date_max_days: u32,
    /// This business's id in the Data Rights Protocol's service directory (the `business-id` every
    /// agent's signed call must name); unset: the DRP endpoints (`/v1/…`) answer 404.
    #[validate(length(min = 1, max = 100))]
    pub drp_business_id: Option<String>,
}

impl Intake {
    /// The letter window, checked when the configuration was loaded.
    pub fn letter_window(&self) -> crate::i18n::pdf::WindowMm {
        crate::i18n::pdf::WindowMm::parse(&self.letter_window_mm)
            .unwrap_or(crate::i18n::pdf::WindowMm::NAGA3)
    }
}

impl Default for Intake {
    fn default() -> Self {
        Self {
            intake_per_ip_per_hour: 30,
            intake_invalid_per_ip_per_hour: 120,
            intake_per_email_per_hour: 5,
            confirm_email_hours: 72,
            evidence_per_request: 30,
            bank_account: None,
            invoice_registration_number: None,
            letter_window_mm: "23,13,90,45".into(),
            form_date_max_days: 30,
            drp_business_id: None,
        }
    }
}

/// How long replies, files and records are kept.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct Retention {
    /// Days after a request closes before its scans and documents are erased.
    #[validate(range(max = 3650))]
    pub document_retention_days: u32,
    /// Months a closed request's record (and its audit trail's details) is kept before its personal
    /// data is erased.
    #[validate(range(
        min = crate::domain::audit::MIN_RECORD_RETENTION_MONTHS,
        max = 240,
        message = "must be between 24 (CCPA §7101 keeps records two years) and 240"
    ))]
    pub record_retention_months: u32,
    /// How long a reply released for download stays downloadable.
    #[validate(range(min = 1, max = 365))]
    pub download_days: u32,
    /// How many times one released link may be used.
    #[validate(range(min = 1, max = 100))]
    pub download_limit: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            document_retention_days: 30,
            record_retention_months: crate::domain::audit::MIN_RECORD_RETENTION_MONTHS,
            download_days: 14,
            download_limit: 3,
        }
    }
}

/// The audit log's name, checkpoints and sequencer.
#[derive(Debug, Clone, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct Audit {
    /// The log's name in its checkpoints and verifier key (C2SP origin); empty: `<public URL host>/audit`.
    /// Only the first signing uses it: the name is then recorded in the database with the key.
    #[validate(custom(function = "check_log_origin"))]
    pub audit_origin: String,
    /// Where the worker appends each new signed checkpoint (a store the operator keeps elsewhere).
    pub audit_checkpoint_dir: Option<PathBuf>,
    /// How often the worker pushes the latest checkpoint there.
    #[validate(range(min = 10, max = 86_400))]
    pub audit_push_seconds: u32,
    /// How long the sequencer waits between batches when nothing is waiting (the merge delay's floor).
    #[validate(range(min = 10, max = 60_000))]
    pub audit_sequence_ms: u32,
}

impl Default for Audit {
    fn default() -> Self {
        Self {
            audit_origin: String::new(),
            audit_checkpoint_dir: None,
            audit_push_seconds: 300,
            audit_sequence_ms: 200,
        }
    }
}

/// Secret keys given in settings (base64); unset, the first three are generated once into the data
/// directory. Their lengths are checked when they are decoded.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct KeySettings {
    #[serde(serialize_with = "masked")]
    pub session_key: Option<SecretString>,
    #[serde(serialize_with = "masked")]
    pub document_key: Option<SecretString>,
    /// Shared with the company's login: signs identity assertions. Unset: the method is not offered.
    #[serde(serialize_with = "masked")]
    pub assertion_key: Option<SecretString>,
    #[serde(serialize_with = "masked")]
    pub audit_key: Option<SecretString>,
}

/// All settings, by section: the shape loading fills and checks.
#[derive(Debug, Clone, Default, Serialize, Deserialize, Validate)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    #[validate(nested)]
    pub service: Service,
    #[validate(nested)]
    pub http: Http,
    #[validate(nested)]
    pub db: Db,
    #[validate(nested)]
    pub mail: Mail,
    #[validate(nested)]
    pub intake: Intake,
    #[validate(nested)]
    pub retention: Retention,
    #[validate(nested)]
    pub audit: Audit,
    #[validate(nested)]
    pub keys: KeySettings,
}

impl Settings {
    /// Each section's settings with their values (secrets masked), in declaration order of sections.
    pub fn by_section(&self) -> Vec<(String, Vec<(String, serde_json::Value)>)> {
        let serde_json::Value::Object(sections) =
            serde_json::to_value(self).expect("settings serialize")
        else {
            unreachable!("settings serialize to a map")
        };
        let order = [
            "service",
            "http",
            "db",
            "mail",
            "intake",
            "retention",
            "audit",
            "keys",
        ];
        order
            .iter()
            .map(|name| {
                let fields = match sections.get(*name) {
                    Some(serde_json::Value::Object(f)) => f.clone().into_iter().collect(),
                    _ => Vec::new(),
                };
                ((*name).to_owned(), fields)
            })
            .collect()
    }

    /// Each flat setting name with the section it belongs to.
    pub fn sections_by_name() -> std::collections::HashMap<String, String> {
        Settings::default()
            .by_section()
            .into_iter()
            .flat_map(|(section, fields)| {
                fields.into_iter().map(move |(f, _)| (f, section.clone()))
            })
            .collect()
    }

    /// The checks that failed, one `(KAIJI_NAME, reason)` each, by name.
    pub fn problems(&self) -> Vec<(String, String)> {
        let Err(errors) = self.validate() else {
            return self.mail.check_smtp_url().into_iter().collect();
        };
        let mut out: Vec<_> = self.mail.check_smtp_url().into_iter().collect();
        flatten(&errors, &mut out);
        out.sort();
        out
    }
}

/// The variable a setting is read from.
pub fn variable(name: &str) -> String {
    if name == "database_url" {
        "DATABASE_URL".into()
    } else {
        format!("KAIJI_{}", name.to_ascii_uppercase())
    }
}

fn flatten(errors: &validator::ValidationErrors, out: &mut Vec<(String, String)>) {
    for (field, kind) in errors.errors() {
        match kind {
            validator::ValidationErrorsKind::Struct(inner) => flatten(inner, out),
            validator::ValidationErrorsKind::List(items) => {
                items.values().for_each(|inner| flatten(inner, out))
            }
            validator::ValidationErrorsKind::Field(list) => {
                out.extend(list.iter().map(|e| (variable(field), reason(e))));
            }
        }
    }
}

fn reason(e: &ValidationError) -> String {
    if let Some(m) = &e.message {
        return m.to_string();
    }
    let p = |k: &str| e.params.get(k).map(|v| v.to_string());
    match (e.code.as_ref(), p("min"), p("max")) {
        ("range", Some(min), Some(max)) => format!("must be between {min} and {max}"),
        ("range", Some(min), None) => format!("must be at least {min}"),
        ("range", None, Some(max)) => format!("must be at most {max}"),
        (code, ..) => code.replace('_', " "),
    }
}

/// Secrets print as `****` (and are never written back out).
fn masked<S: Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_some("****"),
        None => s.serialize_none(),
    }
}

fn invalid(message: &'static str) -> ValidationError {
    ValidationError::new("invalid").with_message(message.into())
}

fn check_log_filter(v: &str) -> Result<(), ValidationError> {
    v.parse::<tracing_subscriber::EnvFilter>()
        .map(drop)
        .map_err(|_| invalid("is not a valid log filter"))
}

fn check_http_url(v: &str) -> Result<(), ValidationError> {
    let v = v.trim();
    if v.is_empty() || v.starts_with("http://") || v.starts_with("https://") {
        Ok(())
    } else {
        Err(invalid("must start with http:// or https://"))
    }
}

impl Mail {
    /// The SMTP URL's problem, if any. The URL may hold a password: it is never echoed.
    pub fn check_smtp_url(&self) -> Option<(String, String)> {
        use secrecy::ExposeSecret;
        let url = self.smtp_url.as_ref()?.expose_secret().trim();
        (!url.is_empty() && lettre::SmtpTransport::from_url(url).is_err()).then(|| {
            (
                variable("smtp_url"),
                "is not an SMTP URL (smtp://host:587, smtp://host?tls=required, smtps://user:pass@host:465)"
                    .to_owned(),
            )
        })
    }
}

fn check_mailbox(v: &str) -> Result<(), ValidationError> {
    v.trim()
        .parse::<lettre::message::Mailbox>()
        .map(drop)
        .map_err(|_| invalid("must be an address like kaiji <privacy@example.com>"))
}

fn check_log_origin(v: &str) -> Result<(), ValidationError> {
    let v = v.trim();
    if v.chars().any(char::is_whitespace) || v.contains('+') {
        Err(invalid(
            "must name the log without spaces or '+', like privacy.example.com/audit",
        ))
    } else {
        Ok(())
    }
}
