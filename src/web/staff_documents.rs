//! The request page's identity documents in the officer's words: each checklist line, what is wrong
//! with it, and the kinds the procedure names.

use super::staff::RequestPage;

impl RequestPage {
    /// A checklist line's documents, by name in the page's language.
    pub fn requirement_text(&self, r: &crate::domain::documents::Requirement) -> String {
        let rules = self.d.workflow.documents.as_ref();
        let names: Vec<String> = r
            .one_of
            .iter()
            .map(|k| {
                rules
                    .and_then(|d| d.kind_label(k))
                    .map(|l| self.tr.label(l).to_owned())
                    .unwrap_or_else(|| k.clone())
            })
            .collect();
        let mut s = format!(
            "{}: {}",
            self.tr.t(&format!("holder-{}", r.holder)),
            names.join(" / ")
        );
        if r.original {
            s.push_str(&format!(" ({})", self.tr.t("doc-original-required")));
        }
        if r.fresh {
            let months = rules.map(|d| d.max_age_months).unwrap_or(1);
            s.push_str(&format!(
                " ({})",
                self.tr
                    .t_args("doc-fresh-required", &[("months", months.to_string())])
            ));
        }
        s
    }

    pub fn problem_text(&self, p: &crate::domain::documents::Problem) -> String {
        use crate::domain::documents::Problem;
        match p {
            Problem::Missing => self.tr.t("doc-missing"),
            Problem::NotOriginal => self.tr.t("doc-not-original"),
            Problem::DateMissing => self.tr.t("doc-date-missing"),
            Problem::Stale {
                created_on,
                earliest,
            } => self.tr.t_args(
                "doc-stale",
                &[
                    ("created", created_on.to_string()),
                    ("earliest", earliest.to_string()),
                ],
            ),
            Problem::DatedAfterRequest { created_on } => self
                .tr
                .t_args("doc-after-request", &[("created", created_on.to_string())]),
            Problem::Rejected { reason } => self
                .tr
                .t_args("doc-rejected", &[("reason", reason.clone())]),
            Problem::NotAccepted { from, until } => match (from, until) {
                (_, Some(u)) => self
                    .tr
                    .t_args("doc-not-accepted-after", &[("until", u.to_string())]),
                (Some(f), None) => self
                    .tr
                    .t_args("doc-not-accepted-before", &[("from", f.to_string())]),
                (None, None) => self.tr.t("doc-not-accepted"),
            },
        }
    }

    pub fn document_kinds(&self) -> Vec<(String, String, bool)> {
        self.d
            .workflow
            .documents
            .as_ref()
            .map(|d| {
                d.kinds
                    .iter()
                    .map(|(k, l)| {
                        (
                            k.clone(),
                            self.tr.label(&l.name).to_owned(),
                            self.document.input.kind == *k,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn kind_name(&self, kind: &str) -> String {
        self.d
            .workflow
            .documents
            .as_ref()
            .and_then(|d| d.kind_label(kind))
            .map(|l| self.tr.label(l).to_owned())
            .unwrap_or_else(|| kind.to_owned())
    }
}
