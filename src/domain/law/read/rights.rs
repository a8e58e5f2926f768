//! A regime's `[[rights]]`: each right's code, what its task and answer are, its fee, verification and
//! preference, checked against one another.

use serde::Deserialize;
use toml::Spanned;

use super::*;

use crate::domain::code::Code;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRight {
    code: Spanned<String>,
    label: Label,
    article: Option<Label>,
    task: Option<Spanned<String>>,
    answer: Option<Spanned<String>>,
    change: Option<Spanned<String>>,
    form: Option<Spanned<String>>,
    period_earliest: Option<Spanned<String>>,
    fee: Option<Spanned<String>>,
    verification: Option<VerificationByLaw>,
    preference: Option<RawPreference>,
    #[serde(default)]
    tells_recipients: bool,
    public_link: Option<Label>,
}

/// `preference = { kind = "sale_sharing", value = "opted_out" }` on a right.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreference {
    kind: Spanned<String>,
    value: Spanned<String>,
}

impl Source<'_> {
    /// The rights a regime grants, each checked on its own and against the task its answer needs.
    pub(super) fn rights(&self, raw: Vec<RawRight>) -> Result<Vec<RightDef>, DefinitionError> {
        let s = self;
        let mut rights: Vec<RightDef> = Vec::new();
        for r in raw {
            let code: RightCode = r.code.get_ref().parse().map_err(|_| {
                s.err(
                    r.code.span(),
                    format!(
                        "right code `{}` must be lower-case letters, digits or `_`",
                        r.code.get_ref()
                    ),
                )
            })?;
            if rights.iter().any(|x| x.code == code) {
                return Err(s.err(r.code.span(), format!("right `{code}` is listed twice")));
            }
            let task: Option<TaskKind> = s.kind(&r.task, "task")?;
            let answer: Option<AnswerKind> = s.kind(&r.answer, "answer")?;
            // What an answer packs comes from the systems' tasks: their data from exports, the
            // registry's categories for the systems a `locate` task found holding the person.
            let needs = match answer {
                Some(AnswerKind::Categories) => Some(TaskKind::Locate),
                Some(AnswerKind::Data | AnswerKind::Portable) => Some(TaskKind::Export),
                // The register answers (Art. 33(5)); a system may still be asked for its own records.
                Some(AnswerKind::ProvisionRecords) | None => None,
            };
            if let Some(needs) = needs
                && task != Some(needs)
            {
                return Err(s.err(
                    r.code.span(),
                    format!(
                        "right `{code}` answers with `{}`, so its task must be `{}`",
                        answer.map(<&str>::from).unwrap_or_default(),
                        needs.as_str()
                    ),
                ));
            }
            let period_earliest = match &r.period_earliest {
                None => None,
                Some(d) => Some(
                    chrono::NaiveDate::parse_from_str(d.get_ref(), "%Y-%m-%d").map_err(|_| {
                        s.err(
                            d.span(),
                            format!(
                                "period_earliest `{}` must be a date, YYYY-MM-DD",
                                d.get_ref()
                            ),
                        )
                    })?,
                ),
            };
            let fee = match r.fee.as_ref().map(|f| (f, f.get_ref().as_str())) {
                None => None,
                Some((_, "free")) => Some(FeeByLaw::Free),
                Some((_, "permitted")) => Some(FeeByLaw::Permitted),
                Some((f, other)) => {
                    return Err(s.err(
                        f.span(),
                        format!("fee `{other}` must be `free` or `permitted`"),
                    ));
                }
            };
            if r.verification
                .is_some_and(|v| !(1..=10).contains(&v.points))
            {
                return Err(s.err(
                    r.code.span(),
                    format!("right `{code}`: verification points must be between 1 and 10"),
                ));
            }
            let preference = match &r.preference {
                None => None,
                Some(p) => Some(PreferenceRule {
                    kind: PreferenceKind::parse(p.kind.get_ref()).map_err(|_| {
                        s.err(
                            p.kind.span(),
                            format!(
                                "preference kind `{}` must be lower-case letters, digits or `_`",
                                p.kind.get_ref()
                            ),
                        )
                    })?,
                    value: p.value.get_ref().parse().map_err(|_| {
                        s.err(
                            p.value.span(),
                            format!(
                                "preference value `{}` must be `opted_out` or `opted_in`",
                                p.value.get_ref()
                            ),
                        )
                    })?,
                }),
            };
            // Those a system disclosed to are told of what its task did, so the right needs one.
            if r.tells_recipients && task.is_none() {
                return Err(s.err(
                    r.code.span(),
                    format!("right `{code}` tells recipients, so it needs a `task`"),
                ));
            }
            rights.push(RightDef {
                preference,
                tells_recipients: r.tells_recipients,
                public_link: r.public_link,
                fee,
                verification: r.verification,
                period_earliest,
                code,
                label: r.label,
                article: r.article,
                task,
                answer,
                change: s.kind(&r.change, "change")?,
                form: s.kind(&r.form, "form")?,
            });
        }
        Ok(rights)
    }
}
