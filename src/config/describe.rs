//! `kaiji config`: the effective settings, secrets masked.

use super::*;

impl Config {
    /// The effective settings, one per line, secrets masked.
    pub fn describe(&self) -> String {
        let key = |src: KeySource| match src {
            KeySource::Configured => "**** (configured)".to_owned(),
            KeySource::File(p) if p.exists() => format!("**** (from {})", p.display()),
            KeySource::File(p) => format!("(generated on first start into {})", p.display()),
        };
        let mut out = String::new();
        let mut line = |k: &str, v: String| {
            let _ = writeln!(out, "{k:<30} {v}");
        };
        line(
            "config file",
            self.config_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "(none)".into()),
        );
        line("KAIJI_BIND", self.bind.to_string());
        line("KAIJI_PUBLIC_URL", self.public_url.clone());
        line("KAIJI_DATA_DIR", self.data_dir.display().to_string());
        line(
            "DATABASE_URL",
            format!("{} ({})", self.database.masked(), self.database.backend()),
        );
        line("KAIJI_SEEDS_DIR", self.seeds_dir.display().to_string());
        line(
            "KAIJI_LOG_FORMAT",
            format!("{:?}", self.log_format).to_lowercase(),
        );
        line("KAIJI_LOG_LEVEL", self.log_level.clone());
        line("KAIJI_COOKIE_SECURE", self.cookie_secure.to_string());
        line(
            "KAIJI_SESSION_TTL_MINUTES",
            self.session_ttl_minutes.to_string(),
        );
        line(
            "KAIJI_SETUP_LINK_TTL_MINUTES",
            self.setup_link_ttl_minutes.to_string(),
        );
        line("KAIJI_DB_POOL_SIZE", self.db_pool_size.to_string());
        line("KAIJI_UPLOAD_MAX_BYTES", self.upload_max_bytes.to_string());
        line(
            "KAIJI_BANK_ACCOUNT",
            self.bank_account
                .as_deref()
                .map(|b| b.replace('\n', " / "))
                .unwrap_or_else(|| "(not set: fee invoices cannot be issued)".into()),
        );
        line(
            "KAIJI_DOCUMENT_RETENTION_DAYS",
            self.document_retention_days.to_string(),
        );
        line("KAIJI_DOWNLOAD_DAYS", self.download_days.to_string());
        line("KAIJI_DOWNLOAD_LIMIT", self.download_limit.to_string());
        line(
            "KAIJI_CONFIRM_EMAIL_HOURS",
            self.confirm_email_hours.to_string(),
        );
        line(
            "KAIJI_INTAKE_PER_IP_PER_HOUR",
            self.intake_per_ip_per_hour.to_string(),
        );
        line(
            "KAIJI_INTAKE_PER_EMAIL_PER_HOUR",
            self.intake_per_email_per_hour.to_string(),
        );
        line(
            "KAIJI_SESSION_KEY",
            key(self.key_source(&self.session_key, SESSION_KEY_FILE)),
        );
        line(
            "KAIJI_DOCUMENT_KEY",
            key(self.key_source(&self.document_key, DOCUMENT_KEY_FILE)),
        );
        line(
            "KAIJI_SMTP_URL",
            if self.smtp_url.is_some() {
                "(set, masked)".into()
            } else {
                format!(
                    "(not set: notices are written to {})",
                    self.data_dir.join("mail").display()
                )
            },
        );
        line("KAIJI_MAIL_FROM", self.mail_from.clone());
        line(
            "KAIJI_MAIL_MAX_ATTEMPTS",
            self.mail_max_attempts.to_string(),
        );
        line(
            "KAIJI_MAIL_RETRY_SECONDS",
            self.mail_retry_seconds.to_string(),
        );
        line(
            "KAIJI_MAIL_LEASE_SECONDS",
            self.mail_lease_seconds.to_string(),
        );
        line(
            "KAIJI_RECORD_RETENTION_MONTHS",
            self.record_retention_months.to_string(),
        );
        line("KAIJI_AUDIT_ORIGIN", self.audit_origin.clone());
        line(
            "KAIJI_AUDIT_KEY",
            key(self.key_source(&self.audit_key, AUDIT_KEY_FILE)),
        );
        line(
            "KAIJI_AUDIT_CHECKPOINT_DIR",
            self.audit_checkpoint_dir
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| {
                    "(not set: push checkpoints with `kaiji audit checkpoint --push DIR`)".into()
                }),
        );
        line(
            "KAIJI_AUDIT_PUSH_SECONDS",
            self.audit_push_seconds.to_string(),
        );
        line(
            "KAIJI_AUDIT_SEQUENCE_MS",
            self.audit_sequence_ms.to_string(),
        );
        line(
            "KAIJI_ASSERTION_KEY",
            if self.assertion_key.is_some() {
                "(set, masked)".into()
            } else {
                "(not set: sign-in assertions are not accepted)".into()
            },
        );
        out
    }
}
