//! The `[documents]` section: the kinds (with the days each is accepted and how to send it) and the
//! checklists per requester kind.

use super::super::raw::*;
use super::super::*;
use super::Checker;
use crate::domain::documents::DocumentKind;

impl Checker<'_> {
    pub(super) fn documents(
        &self,
        raw: &Option<RawDocuments>,
    ) -> Result<Option<DocumentRules>, DefinitionError> {
        Ok(match raw {
            None => None,
            Some(d) => {
                if !(1..=24).contains(d.max_age_months.get_ref()) {
                    return Err(self.err(
                        d.max_age_months.span(),
                        "max_age_months must be between 1 and 24",
                    ));
                }
                let mut checklists = BTreeMap::new();
                for (who, lines) in d.checklists.get_ref() {
                    let kind: RequesterKind = who.parse().map_err(|_| {
                        self.err(
                            d.checklists.span(),
                            format!("unknown requester kind `{who}` (self, agent, legal_agent)"),
                        )
                    })?;
                    let mut reqs = Vec::new();
                    for l in lines {
                        for k in &l.one_of {
                            if !d.kinds.contains_key(k.get_ref()) {
                                return Err(self.err(
                                    k.span(),
                                    format!("unknown document kind `{}`", k.get_ref()),
                                ));
                            }
                        }
                        if l.one_of.is_empty() {
                            return Err(self.err(
                                l.holder.span(),
                                "a checklist line needs at least one document kind",
                            ));
                        }
                        reqs.push(Requirement {
                            holder: self.parse(&l.holder, "holder")?,
                            one_of: l.one_of.iter().map(|k| k.get_ref().clone()).collect(),
                            original: l.original,
                            fresh: l.fresh,
                        });
                    }
                    checklists.insert(kind, reqs);
                }
                let mut kinds = BTreeMap::new();
                for (id, k) in &d.kinds {
                    kinds.insert(id.clone(), self.document_kind(id, k)?);
                }
                Some(DocumentRules {
                    max_age_months: *d.max_age_months.get_ref(),
                    kinds,
                    checklists,
                    never_send: d.never_send.clone(),
                })
            }
        })
    }

    fn document_kind(
        &self,
        id: &str,
        raw: &Spanned<RawDocumentKind>,
    ) -> Result<DocumentKind, DefinitionError> {
        let full = match raw.get_ref() {
            RawDocumentKind::Named(name) => return Ok(DocumentKind::plain(name.clone())),
            RawDocumentKind::Full(f) => f,
        };
        let date = |v: &Option<String>, what: &str| -> Result<Option<NaiveDate>, DefinitionError> {
            v.as_deref()
                .map(|s| {
                    s.parse::<NaiveDate>().map_err(|_| {
                        self.err(
                            raw.span(),
                            format!(
                                "document kind `{id}`: {what} `{s}` is not a date (YYYY-MM-DD)"
                            ),
                        )
                    })
                })
                .transpose()
        };
        let kind = DocumentKind {
            name: full.name.clone(),
            accepted_from: date(&full.accepted_from, "accepted_from")?,
            accepted_until: date(&full.accepted_until, "accepted_until")?,
            how_to_send: full.how_to_send.clone(),
        };
        if let (Some(f), Some(u)) = (kind.accepted_from, kind.accepted_until)
            && f > u
        {
            return Err(self.err(
                raw.span(),
                format!("document kind `{id}` is accepted from {f}, after its last day {u}"),
            ));
        }
        Ok(kind)
    }
}
