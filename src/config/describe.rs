//! `kaiji config`: the effective settings, one per line by section, secrets masked. The lines come from
//! the declarations in `settings.rs`; only settings whose absence means something say more.

use super::*;

impl Config {
    /// The effective settings, one per line, secrets masked.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let config_file = self
            .config_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(none)".into());
        let _ = writeln!(out, "{:<33} {config_file}", "config file");
        for (section, fields) in self.settings().by_section() {
            let _ = writeln!(out, "[{section}]");
            for (name, value) in fields {
                let shown = self.explain(&name).unwrap_or_else(|| match value {
                    serde_json::Value::String(s) => s.replace('\n', " / "),
                    serde_json::Value::Null => "(not set)".into(),
                    other => other.to_string(),
                });
                let _ = writeln!(out, "  {:<31} {shown}", variable(&name));
            }
        }
        out
    }

    /// What a setting means where its bare value would not say: where keys come from, what is off when
    /// a setting is unset, and the database as a masked URL.
    fn explain(&self, name: &str) -> Option<String> {
        let key = |configured: &Option<SecretString>, file: &str| {
            Some(match self.key_source(configured, file) {
                KeySource::Configured => "**** (configured)".to_owned(),
                KeySource::File(p) if p.exists() => format!("**** (from {})", p.display()),
                KeySource::File(p) => format!("(generated on first start into {})", p.display()),
            })
        };
        let unset = |set: bool, why: &str| (!set).then(|| format!("(not set: {why})"));
        match name {
            "database_url" => Some(format!(
                "{} ({})",
                self.database.masked(),
                self.database.backend()
            )),
            "session_key" => key(&self.keys.session_key, SESSION_KEY_FILE),
            "document_key" => key(&self.keys.document_key, DOCUMENT_KEY_FILE),
            "audit_key" => key(&self.keys.audit_key, AUDIT_KEY_FILE),
            "assertion_key" => unset(
                self.keys.assertion_key.is_some(),
                "sign-in assertions are not accepted",
            ),
            "metrics_token" => unset(self.http.metrics_token.is_some(), "/metrics answers 404"),
            "smtp_url" => unset(
                self.mail.smtp_url.is_some(),
                &format!(
                    "notices are written to {}",
                    self.service.data_dir.join("mail").display()
                ),
            ),
            "bank_account" => unset(
                self.intake.bank_account.is_some(),
                "fee invoices cannot be issued",
            ),
            "invoice_registration_number" => unset(
                self.intake.invoice_registration_number.is_some(),
                "invoices are not qualified invoices and state no tax",
            ),
            "audit_checkpoint_dir" => unset(
                self.audit.audit_checkpoint_dir.is_some(),
                "push checkpoints with `kaiji audit checkpoint --push DIR`",
            ),
            _ => None,
        }
    }
}
