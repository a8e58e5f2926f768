//! The parts of a regime file about the registers and duties beside the rights: `[provision_records]`
//! (the record of provision to third parties) and `[complaints]` (complaints made to the business).

use serde::Deserialize;
use toml::Spanned;

use super::Source;
use crate::domain::definition::{DefinitionError, Label};
use crate::domain::inquiry::{LawOnComplaints, calendar_period};

/// `[complaints]`: what the law says of complaints made to the business.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawComplaints {
    article: Label,
    kinds: Vec<String>,
    acknowledge: Option<Spanned<crate::domain::deadline::RawPeriod>>,
    from: Option<Spanned<String>>,
}

/// `[provision_records]`: the register of provision to and receipt from third parties.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProvisionRules {
    methods: Vec<RawProvisionMethod>,
    bases: Vec<RawCoded>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvisionMethod {
    code: Spanned<String>,
    label: Label,
    keep: Spanned<crate::domain::deadline::RawPeriod>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCoded {
    code: Spanned<String>,
    label: Label,
}

impl Source<'_> {
    /// A register's rules: codes unique, each retention counted in days, weeks or months.
    pub(super) fn provision_rules(
        &self,
        p: RawProvisionRules,
    ) -> Result<crate::domain::provision::ProvisionRules, DefinitionError> {
        use crate::domain::provision::{Coded, ProvisionMethod, ProvisionRules};
        let code = |c: &Spanned<String>, seen: &[&str]| -> Result<String, DefinitionError> {
            let v = c.get_ref();
            if v.is_empty() || !v.chars().all(|x| x.is_ascii_lowercase() || x == '_') {
                return Err(self.err(
                    c.span(),
                    format!("code `{v}` must be lower-case letters or `_`"),
                ));
            }
            if seen.contains(&v.as_str()) {
                return Err(self.err(c.span(), format!("code `{v}` is listed twice")));
            }
            Ok(v.clone())
        };
        let mut methods: Vec<ProvisionMethod> = Vec::new();
        for m in p.methods {
            let seen: Vec<&str> = methods.iter().map(|x| x.code.as_str()).collect();
            let c = code(&m.code, &seen)?;
            let keep = calendar_period(m.keep.get_ref())
                .map_err(|why| self.err(m.keep.span(), format!("a record's retention: {why}")))?;
            methods.push(ProvisionMethod {
                code: c,
                label: m.label,
                keep,
            });
        }
        let mut bases: Vec<Coded> = Vec::new();
        for b in p.bases {
            let seen: Vec<&str> = bases.iter().map(|x| x.code.as_str()).collect();
            let c = code(&b.code, &seen)?;
            bases.push(Coded {
                code: c,
                label: b.label,
            });
        }
        if methods.is_empty() || bases.is_empty() {
            return Err(self.err(
                0..0,
                "`[provision_records]` needs at least one method and one basis",
            ));
        }
        Ok(ProvisionRules { methods, bases })
    }

    /// What the law says of complaints: its periods counted in days, weeks or months.
    pub(super) fn complaints(&self, c: RawComplaints) -> Result<LawOnComplaints, DefinitionError> {
        let acknowledge = c
            .acknowledge
            .as_ref()
            .map(|p| calendar_period(p.get_ref()).map_err(|why| self.err(p.span(), why)))
            .transpose()?;
        let from = c
            .from
            .as_ref()
            .map(|f| {
                f.get_ref()
                    .parse::<chrono::NaiveDate>()
                    .map_err(|_| self.err(f.span(), "`from` is a date, YYYY-MM-DD"))
            })
            .transpose()?;
        Ok(LawOnComplaints {
            article: c.article,
            kinds: c.kinds,
            acknowledge,
            from,
        })
    }
}
