//! Identity documents for requests by post: what each kind of requester must enclose, and whether what
//! arrived is complete, original where it must be, and fresh ("created within one month before the day
//! of the request", counted by calendar month). The lists and the age limit are settings of the procedure.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::deadline::{DeadlineError, sub_months};
use super::definition::Label;
use super::postal::RequesterKind;
use crate::domain::code::{apply, coded};

/// Whose document it is.
#[apply(coded)]
pub enum Holder {
    /// The person the data is about (ご本人).
    Principal,
    /// The agent or legal agent acting for them.
    Agent,
}

/// One line of a checklist: one document of any of these kinds, held by `holder`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    pub holder: Holder,
    pub one_of: Vec<String>,
    /// The original is required (原本), not a copy.
    pub original: bool,
    /// The document must be created within `max_age_months` before the request date.
    pub fresh: bool,
}

/// A kind of document the procedure names, with the days it is accepted and how to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentKind {
    pub name: Label,
    /// First day of requests it serves for (a card introduced then).
    pub accepted_from: Option<NaiveDate>,
    /// Last day of requests it serves for (abolished, or no longer valid, from the day after).
    pub accepted_until: Option<NaiveDate>,
    /// What to hide, or which sides to copy, printed on the forms and the documents request.
    pub how_to_send: Option<Label>,
}

impl DocumentKind {
    pub fn plain(name: Label) -> Self {
        DocumentKind {
            name,
            accepted_from: None,
            accepted_until: None,
            how_to_send: None,
        }
    }

    pub fn accepted_on(&self, day: NaiveDate) -> bool {
        self.accepted_from.is_none_or(|f| day >= f) && self.accepted_until.is_none_or(|u| day <= u)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRules {
    pub max_age_months: u32,
    /// Kind id → the kind.
    pub kinds: BTreeMap<String, DocumentKind>,
    pub checklists: BTreeMap<RequesterKind, Vec<Requirement>>,
    /// What a requester must never send (the 個人番号), printed wherever documents are asked for.
    pub never_send: Option<Label>,
}

/// A document as the officer recorded it from the envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    pub id: String,
    pub kind: String,
    pub holder: Holder,
    pub original: bool,
    /// The date the document was created or issued (作成日), as printed on it.
    pub created_on: Option<NaiveDate>,
    /// Sent in answer to the desk's request for documents of this day: its age counts from that day,
    /// not from the request's, and it may be dated up to its own arrival.
    pub answers_request_of: Option<Answering>,
    /// Rejected by an officer, with why: it no longer counts, and a document sent in its place does.
    pub rejected: Option<String>,
}

/// A document sent in answer to a request for documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answering {
    /// The day the desk asked for documents.
    pub asked_on: NaiveDate,
    /// The day the document was recorded as arrived.
    pub arrived_on: NaiveDate,
}

/// Why a checklist line is not satisfied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum Problem {
    Missing,
    /// A copy came where the original is required.
    NotOriginal,
    /// The document carries no creation date, so its age cannot be checked.
    DateMissing,
    /// Created before the earliest acceptable day.
    Stale {
        created_on: NaiveDate,
        earliest: NaiveDate,
    },
    /// Dated after the request: not plausible for a document enclosed with it.
    DatedAfterRequest {
        created_on: NaiveDate,
    },
    /// Only a document an officer rejected came for this line; the reason is what the officer wrote.
    Rejected {
        reason: String,
    },
    /// A kind the procedure did not accept on the day it counts from (abolished, or no longer valid).
    NotAccepted {
        from: Option<NaiveDate>,
        until: Option<NaiveDate>,
    },
}

impl Problem {
    fn is_about_age(&self) -> bool {
        matches!(
            self,
            Problem::DateMissing | Problem::Stale { .. } | Problem::DatedAfterRequest { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemStatus {
    pub requirement: Requirement,
    /// The document that satisfies the line, or came closest.
    pub document_id: Option<String>,
    pub problem: Option<Problem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checklist {
    pub items: Vec<ItemStatus>,
    /// Every line has a document of the right kind, holder and originality.
    pub complete: bool,
    /// No line fails on age.
    pub fresh: bool,
}

impl Checklist {
    pub fn problems(&self) -> impl Iterator<Item = &ItemStatus> {
        self.items.iter().filter(|i| i.problem.is_some())
    }
}

impl DocumentRules {
    pub fn kind_label(&self, kind: &str) -> Option<&Label> {
        self.kinds.get(kind).map(|k| &k.name)
    }

    /// The rules as they read for a request of `day`: the kinds no longer (or not yet) accepted dropped
    /// from the catalogue and from every checklist line. Forms, letters and pages offer this.
    pub fn as_of(&self, day: NaiveDate) -> DocumentRules {
        let kinds: BTreeMap<String, DocumentKind> = self
            .kinds
            .iter()
            .filter(|(_, k)| k.accepted_on(day))
            .map(|(id, k)| (id.clone(), k.clone()))
            .collect();
        let checklists = self
            .checklists
            .iter()
            .map(|(who, lines)| {
                let lines = lines
                    .iter()
                    .map(|l| Requirement {
                        one_of: l
                            .one_of
                            .iter()
                            .filter(|k| kinds.contains_key(*k))
                            .cloned()
                            .collect(),
                        ..l.clone()
                    })
                    .collect();
                (*who, lines)
            })
            .collect();
        DocumentRules {
            max_age_months: self.max_age_months,
            kinds,
            checklists,
            never_send: self.never_send.clone(),
        }
    }

    /// How to send each kind a checklist names (what to hide, which sides), once per instruction.
    pub fn how_to_send<'a>(&'a self, lines: &'a [Requirement]) -> Vec<(&'a Label, &'a Label)> {
        let mut out: Vec<(&Label, &Label)> = Vec::new();
        for k in lines.iter().flat_map(|l| &l.one_of) {
            if let Some(kind) = self.kinds.get(k)
                && let Some(how) = &kind.how_to_send
                && !out.iter().any(|(n, _)| *n == &kind.name)
            {
                out.push((&kind.name, how));
            }
        }
        out
    }

    /// The kinds of a checklist line that serve a request of `day`: what forms and letters offer.
    pub fn accepted_kinds<'a>(
        &'a self,
        line: &'a Requirement,
        day: NaiveDate,
    ) -> impl Iterator<Item = (&'a str, &'a DocumentKind)> + 'a {
        line.one_of.iter().filter_map(move |k| {
            self.kinds
                .get(k)
                .filter(|d| d.accepted_on(day))
                .map(|d| (k.as_str(), d))
        })
    }

    /// The first day a fresh document may have been created for a request dated `request_date`.
    pub fn earliest(&self, request_date: NaiveDate) -> Result<NaiveDate, DeadlineError> {
        sub_months(request_date, self.max_age_months)
    }

    fn problem_of(
        &self,
        r: &Requirement,
        d: &DocumentRecord,
        request_date: NaiveDate,
    ) -> Result<Option<Problem>, DeadlineError> {
        // Enclosed with the request: dated no later than it, and no older than the rule from it.
        // Sent because the desk asked: no later than its own arrival, and counted from the asking
        // (else a document issued as asked would be refused as dated after the request). Whether its
        // kind is still accepted counts from the same day.
        let (counted_from, latest) = match d.answers_request_of {
            None => (request_date, request_date),
            Some(a) => (
                a.asked_on.max(request_date),
                a.arrived_on.max(a.asked_on).max(request_date),
            ),
        };
        if let Some(kind) = self.kinds.get(&d.kind)
            && !kind.accepted_on(counted_from)
        {
            return Ok(Some(Problem::NotAccepted {
                from: kind.accepted_from,
                until: kind.accepted_until,
            }));
        }
        if r.original && !d.original {
            return Ok(Some(Problem::NotOriginal));
        }
        if r.fresh {
            let Some(created_on) = d.created_on else {
                return Ok(Some(Problem::DateMissing));
            };
            if created_on > latest {
                return Ok(Some(Problem::DatedAfterRequest { created_on }));
            }
            let earliest = self.earliest(counted_from)?;
            if created_on < earliest {
                return Ok(Some(Problem::Stale {
                    created_on,
                    earliest,
                }));
            }
        }
        Ok(None)
    }

    /// Checks what arrived against the checklist for this kind of requester. Each document satisfies at
    /// most one line.
    pub fn evaluate(
        &self,
        requester: RequesterKind,
        request_date: NaiveDate,
        documents: &[DocumentRecord],
    ) -> Result<Checklist, DeadlineError> {
        let lines = self
            .checklists
            .get(&requester)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let mut used: Vec<&str> = Vec::new();
        let mut items = Vec::new();
        for r in lines {
            let fits = |d: &&DocumentRecord| {
                d.holder == r.holder && r.one_of.contains(&d.kind) && !used.contains(&d.id.as_str())
            };
            let candidates: Vec<&DocumentRecord> = documents
                .iter()
                .filter(fits)
                .filter(|d| d.rejected.is_none())
                .collect();
            // The latest rejected document of the line, said when nothing else came.
            let rejected = documents
                .iter()
                .rev()
                .filter(fits)
                .find_map(|d| d.rejected.as_ref().map(|why| (d, why)));
            let mut best: Option<(&DocumentRecord, Option<Problem>)> = None;
            for d in candidates {
                let p = self.problem_of(r, d, request_date)?;
                let better = match &best {
                    None => true,
                    Some((_, Some(bp))) => {
                        p.is_none()
                            || (bp.is_about_age() && !p.as_ref().is_some_and(Problem::is_about_age))
                    }
                    Some((_, None)) => false,
                };
                if better {
                    best = Some((d, p));
                }
            }
            let (document_id, problem) = match (best, rejected) {
                (Some((d, p)), _) => {
                    used.push(&d.id);
                    (Some(d.id.clone()), p)
                }
                (None, Some((d, why))) => (
                    Some(d.id.clone()),
                    Some(Problem::Rejected {
                        reason: why.clone(),
                    }),
                ),
                (None, None) => (None, Some(Problem::Missing)),
            };
            items.push(ItemStatus {
                requirement: r.clone(),
                document_id,
                problem,
            });
        }
        let complete = items
            .iter()
            .all(|i| i.problem.as_ref().is_none_or(Problem::is_about_age));
        let fresh = items
            .iter()
            .all(|i| !i.problem.as_ref().is_some_and(Problem::is_about_age));
        Ok(Checklist {
            items,
            complete,
            fresh,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn label(s: &str) -> Label {
        Label::plain(s)
    }

    /// The GMO checklists, as the seed lists them.
    fn rules() -> DocumentRules {
        let ids = [
            "drivers_license",
            "passport",
            "health_insurance_card",
            "pension_book",
            "alien_registration_card",
        ];
        let id_copy = |holder| Requirement {
            holder,
            one_of: ids.iter().map(|s| s.to_string()).collect(),
            original: false,
            fresh: false,
        };
        let one = |holder, kinds: &[&str], original, fresh| Requirement {
            holder,
            one_of: kinds.iter().map(|s| s.to_string()).collect(),
            original,
            fresh,
        };
        DocumentRules {
            max_age_months: 1,
            kinds: [
                "juminhyo",
                "gaikokujin_toroku_genpyo",
                "power_of_attorney",
                "seal_certificate",
                "koseki_tohon",
                "family_court_certificate",
            ]
            .iter()
            .chain(ids.iter())
            .map(|k| (k.to_string(), DocumentKind::plain(label(k))))
            .collect(),
            checklists: BTreeMap::from([
                (
                    RequesterKind::Person,
                    vec![
                        one(
                            Holder::Principal,
                            &["juminhyo", "gaikokujin_toroku_genpyo"],
                            true,
                            true,
                        ),
                        id_copy(Holder::Principal),
                    ],
                ),
                (
                    RequesterKind::Agent,
                    vec![
                        one(Holder::Principal, &["juminhyo"], true, false),
                        one(Holder::Principal, &["power_of_attorney"], true, false),
                        one(Holder::Principal, &["seal_certificate"], true, false),
                        id_copy(Holder::Agent),
                    ],
                ),
                (
                    RequesterKind::LegalAgent,
                    vec![
                        one(
                            Holder::Agent,
                            &["koseki_tohon", "family_court_certificate"],
                            false,
                            true,
                        ),
                        id_copy(Holder::Agent),
                    ],
                ),
            ]),
            never_send: None,
        }
    }

    #[test]
    fn a_kind_no_longer_accepted_does_not_count_from_that_day() {
        let mut r = rules();
        r.kinds.insert(
            "health_insurance_card".into(),
            DocumentKind {
                accepted_until: Some(d("2025-12-01")),
                ..DocumentKind::plain(label("健康保険証"))
            },
        );
        let docs = [
            doc("1", "juminhyo", Holder::Principal, true, Some("2025-11-20")),
            doc("2", "health_insurance_card", Holder::Principal, false, None),
        ];
        let on = |day: &str| r.evaluate(RequesterKind::Person, d(day), &docs).unwrap();
        assert!(on("2025-12-01").complete, "accepted through its last day");
        let late = on("2025-12-02");
        assert!(!late.complete);
        assert_eq!(
            late.items[1].problem,
            Some(Problem::NotAccepted {
                from: None,
                until: Some(d("2025-12-01"))
            })
        );
        // Sent in answer to a request for documents: counted from the asking.
        let answering = [
            docs[0].clone(),
            DocumentRecord {
                answers_request_of: Some(Answering {
                    asked_on: d("2025-12-05"),
                    arrived_on: d("2025-12-09"),
                }),
                ..docs[1].clone()
            },
        ];
        let c = r
            .evaluate(RequesterKind::Person, d("2025-11-25"), &answering)
            .unwrap();
        assert!(!c.complete, "{c:?}");
        // A card introduced on a day serves from that day.
        let card = DocumentKind {
            accepted_from: Some(d("2024-12-02")),
            ..DocumentKind::plain(label("資格確認書"))
        };
        assert!(!card.accepted_on(d("2024-12-01")) && card.accepted_on(d("2024-12-02")));
        let line = &r.checklists[&RequesterKind::Person][1];
        let offered: Vec<&str> = r
            .accepted_kinds(line, d("2026-01-05"))
            .map(|(k, _)| k)
            .collect();
        assert!(!offered.contains(&"health_insurance_card") && offered.contains(&"passport"));
        let now = r.as_of(d("2026-01-05"));
        assert!(!now.kinds.contains_key("health_insurance_card"));
        assert!(
            !now.checklists[&RequesterKind::Person][1]
                .one_of
                .iter()
                .any(|k| k == "health_insurance_card")
        );
        assert_eq!(r.as_of(d("2025-06-01")), r, "all accepted then");
    }

    fn doc(
        id: &str,
        kind: &str,
        holder: Holder,
        original: bool,
        created: Option<&str>,
    ) -> DocumentRecord {
        DocumentRecord {
            id: id.into(),
            kind: kind.into(),
            holder,
            original,
            created_on: created.map(d),
            answers_request_of: None,
            rejected: None,
        }
    }

    #[test]
    fn a_rejected_document_keeps_its_reason_until_another_supersedes_it() {
        let r = rules();
        let mut docs = vec![
            doc("1", "juminhyo", Holder::Principal, true, Some("2026-03-20")),
            doc("2", "passport", Holder::Principal, false, None),
        ];
        docs[0].rejected = Some("氏名が判読できません".into());
        let c = r
            .evaluate(RequesterKind::Person, d("2026-03-31"), &docs)
            .unwrap();
        assert!(!c.complete);
        assert_eq!(
            (c.items[0].document_id.as_deref(), &c.items[0].problem),
            (
                Some("1"),
                &Some(Problem::Rejected {
                    reason: "氏名が判読できません".into()
                })
            )
        );
        docs.push(doc(
            "3",
            "juminhyo",
            Holder::Principal,
            true,
            Some("2026-03-25"),
        ));
        let c = r
            .evaluate(RequesterKind::Person, d("2026-03-31"), &docs)
            .unwrap();
        assert!(c.complete && c.fresh, "{c:?}");
        assert_eq!(c.items[0].document_id.as_deref(), Some("3"), "superseded");
    }

    #[test]
    fn the_one_month_rule_for_a_request_dated_march_31() {
        let r = rules();
        let id = doc("2", "passport", Holder::Principal, false, None);
        let stale = r
            .evaluate(
                RequesterKind::Person,
                d("2026-03-31"),
                &[
                    doc("1", "juminhyo", Holder::Principal, true, Some("2026-02-27")),
                    id.clone(),
                ],
            )
            .unwrap();
        assert!(stale.complete && !stale.fresh);
        assert_eq!(
            stale.items[0].problem,
            Some(Problem::Stale {
                created_on: d("2026-02-27"),
                earliest: d("2026-02-28")
            })
        );
        let ok = r
            .evaluate(
                RequesterKind::Person,
                d("2026-03-31"),
                &[
                    doc("1", "juminhyo", Holder::Principal, true, Some("2026-02-28")),
                    id,
                ],
            )
            .unwrap();
        assert!(ok.complete && ok.fresh);
        assert_eq!(ok.problems().count(), 0);
    }

    #[test]
    fn an_agent_missing_the_seal_certificate_is_incomplete() {
        let r = rules();
        let docs = [
            doc("1", "juminhyo", Holder::Principal, true, Some("2026-01-01")),
            doc("2", "power_of_attorney", Holder::Principal, true, None),
            doc("3", "drivers_license", Holder::Agent, false, None),
        ];
        let c = r
            .evaluate(RequesterKind::Agent, d("2026-03-31"), &docs)
            .unwrap();
        assert!(!c.complete);
        assert!(
            c.fresh,
            "the principal's 住民票 has no age limit for agents in the seed"
        );
        let missing: Vec<_> = c.problems().map(|i| i.requirement.one_of.clone()).collect();
        assert_eq!(missing, vec![vec!["seal_certificate".to_string()]]);
        // The agent's own ID does not stand in for the principal's documents, nor the other way round.
        let principal_id_only = [doc("3", "drivers_license", Holder::Principal, false, None)];
        let c = r
            .evaluate(RequesterKind::Agent, d("2026-03-31"), &principal_id_only)
            .unwrap();
        assert_eq!(c.items[3].problem, Some(Problem::Missing));
    }

    #[test]
    fn copies_where_originals_are_required_and_implausible_dates_are_named() {
        let r = rules();
        let c = r
            .evaluate(
                RequesterKind::Person,
                d("2026-03-31"),
                &[
                    doc(
                        "1",
                        "juminhyo",
                        Holder::Principal,
                        false,
                        Some("2026-03-20"),
                    ),
                    doc("2", "passport", Holder::Principal, false, None),
                ],
            )
            .unwrap();
        assert_eq!(c.items[0].problem, Some(Problem::NotOriginal));
        assert!(!c.complete);
        let c = r
            .evaluate(
                RequesterKind::LegalAgent,
                d("2026-03-31"),
                &[doc(
                    "1",
                    "koseki_tohon",
                    Holder::Agent,
                    true,
                    Some("2026-04-02"),
                )],
            )
            .unwrap();
        assert_eq!(
            c.items[0].problem,
            Some(Problem::DatedAfterRequest {
                created_on: d("2026-04-02")
            })
        );
        let c = r
            .evaluate(
                RequesterKind::LegalAgent,
                d("2026-03-31"),
                &[doc("1", "koseki_tohon", Holder::Agent, true, None)],
            )
            .unwrap();
        assert_eq!(c.items[0].problem, Some(Problem::DateMissing));
        assert_eq!(c.items[1].problem, Some(Problem::Missing));
    }

    #[test]
    fn the_best_candidate_wins_and_each_document_counts_once() {
        let r = rules();
        let c = r
            .evaluate(
                RequesterKind::Person,
                d("2026-03-31"),
                &[
                    doc(
                        "old",
                        "juminhyo",
                        Holder::Principal,
                        true,
                        Some("2025-12-01"),
                    ),
                    doc(
                        "new",
                        "juminhyo",
                        Holder::Principal,
                        true,
                        Some("2026-03-30"),
                    ),
                    doc("id", "pension_book", Holder::Principal, false, None),
                ],
            )
            .unwrap();
        assert_eq!(c.items[0].document_id.as_deref(), Some("new"));
        assert!(c.complete && c.fresh);
    }

    #[test]
    fn a_document_sent_because_the_desk_asked_counts_from_the_asking() {
        let r = rules();
        // The request is dated 2026-03-31; its 住民票 of 2026-02-20 is stale. On 2026-04-10 the desk
        // asks for a fresh one; one issued 2026-04-12 arrives on 2026-04-15.
        let asked = Answering {
            asked_on: d("2026-04-10"),
            arrived_on: d("2026-04-15"),
        };
        let resent = |created: &str| DocumentRecord {
            answers_request_of: Some(asked),
            ..doc("9", "koseki_tohon", Holder::Agent, true, Some(created))
        };
        let check = |docs: &[DocumentRecord]| {
            r.evaluate(RequesterKind::LegalAgent, d("2026-03-31"), docs)
                .unwrap()
                .items[0]
                .problem
                .clone()
        };
        assert_eq!(
            check(&[resent("2026-04-12")]),
            None,
            "not dated after the request"
        );
        // Counted from the asking: a month before 2026-04-10 is still in time, a day more is not.
        assert_eq!(check(&[resent("2026-03-10")]), None);
        assert_eq!(
            check(&[resent("2026-03-09")]),
            Some(Problem::Stale {
                created_on: d("2026-03-09"),
                earliest: d("2026-03-10")
            })
        );
        // Never dated after its own arrival.
        assert_eq!(
            check(&[resent("2026-04-16")]),
            Some(Problem::DatedAfterRequest {
                created_on: d("2026-04-16")
            })
        );
        // Enclosed with the request itself: the request's date rules, as before.
        assert_eq!(
            check(&[doc(
                "1",
                "koseki_tohon",
                Holder::Agent,
                true,
                Some("2026-04-12")
            )]),
            Some(Problem::DatedAfterRequest {
                created_on: d("2026-04-12")
            })
        );
    }
}
