//! Codes told as words in the page's language: who acted, what a state or an event is called, and an
//! audit event as one sentence ("佐藤 花子 (officer) moved KJ-2026-000012 from Received to Identity
//! confirmed"). The codes stay in the record a reader can open beside it.

use crate::app::vocabulary::Vocabulary;
use crate::domain::code::Code;
use crate::i18n::Tr;

/// A role in words.
pub fn role(tr: &Tr, role: crate::domain::staff::Role) -> String {
    tr.t(&format!("role-{}", role.as_str()))
}

/// Who caused an event: a staff member by name and role, the requester, or kaiji itself.
pub fn actor(tr: &Tr, v: &Vocabulary, kind: &str, id: Option<&str>) -> String {
    match kind {
        "staff" => match id.and_then(|id| v.staff(id)) {
            Some(n) => tr.t_args(
                "actor-staff",
                &[("name", n.name.clone()), ("role", role(tr, n.role))],
            ),
            None => tr.t("actor-unknown-staff"),
        },
        "requester" => tr.t("actor-requester"),
        _ => tr.t("actor-system"),
    }
}

/// A state's label, or (for a state no published procedure names any more) its code made readable.
pub fn state(tr: &Tr, v: &Vocabulary, code: &str) -> String {
    v.state(code)
        .map(|l| tr.label(l).to_owned())
        .unwrap_or_else(|| readable(code))
}

/// An event's label, likewise.
pub fn event(tr: &Tr, v: &Vocabulary, code: &str) -> String {
    v.event(code)
        .map(|l| tr.label(l).to_owned())
        .unwrap_or_else(|| readable(code))
}

/// `identity_verified` as "identity verified": the last resort for a code nothing names.
fn readable(code: &str) -> String {
    code.replace(['_', '.'], " ")
}

/// One audit event as a sentence.
pub struct EventSentence<'a> {
    pub action: &'a str,
    pub actor_kind: &'a str,
    pub actor_id: Option<&'a str>,
    /// The request's receipt number, if the event is about one.
    pub receipt: Option<&'a str>,
    pub from_state: Option<&'a str>,
    pub to_state: Option<&'a str>,
    /// The event's details (JSON), for the event name, the staff member acted on and a role.
    pub details: &'a str,
}

impl EventSentence<'_> {
    pub fn tell(&self, tr: &Tr, v: &Vocabulary) -> String {
        let details: serde_json::Value = serde_json::from_str(self.details).unwrap_or_default();
        let request = self.receipt.unwrap_or("none").to_owned();
        let target = details["staff_id"]
            .as_str()
            .and_then(|id| v.staff(id))
            .map(|n| n.name.clone())
            .unwrap_or_else(|| "none".to_owned());
        // A new account's role, or the role an account was changed to.
        let role_words = [&details["role"], &details["to"]]
            .into_iter()
            .find_map(|r| r.as_str().and_then(|r| r.parse().ok()))
            .map(|r| role(tr, r))
            .unwrap_or_default();
        let args = [
            (
                "actor",
                actor(
                    tr,
                    v,
                    self.actor_kind,
                    self.actor_id.filter(|a| !a.is_empty()),
                ),
            ),
            ("request", request),
            (
                "from",
                self.from_state.map(|s| state(tr, v, s)).unwrap_or_default(),
            ),
            (
                "to",
                self.to_state.map(|s| state(tr, v, s)).unwrap_or_default(),
            ),
            (
                "event",
                details["event"]
                    .as_str()
                    .map(|e| event(tr, v, e))
                    .unwrap_or_default(),
            ),
            ("target", target),
            ("role", role_words),
        ];
        let key = format!("audit-did-{}", self.action.replace('.', "-"));
        tr.try_t_args(&key, &args)
            .unwrap_or_else(|| readable(self.action))
    }
}

#[cfg(test)]
mod tests {
    use crate::domain::audit::AuditAction;
    use crate::domain::code::Code;
    use crate::i18n::{Tr, spoken};

    /// Every action, in every language, has a sentence that reads whole (every placeable filled) with or
    /// without a request and a staff member acted on, and a short name for the audit page's filter,
    /// distinct from the others.
    #[test]
    fn every_audit_action_is_told_and_named_in_every_language() {
        for lang in spoken() {
            let tr = Tr::new(lang);
            let mut kinds = std::collections::BTreeSet::new();
            for action in AuditAction::ALL {
                let suffix = action.as_str().replace('.', "-");
                for (request, target) in [("KJ-20261122-00000001", "佐藤 花子"), ("none", "none")]
                {
                    let args = [
                        ("actor", "Officer".to_owned()),
                        ("request", request.to_owned()),
                        ("from", "Received".to_owned()),
                        ("to", "In progress".to_owned()),
                        ("event", "Start".to_owned()),
                        ("target", target.to_owned()),
                        ("role", "Officer".to_owned()),
                    ];
                    let told = tr
                        .try_t_args(&format!("audit-did-{suffix}"), &args)
                        .unwrap_or_else(|| panic!("{lang}: no sentence for {action}"));
                    assert!(
                        !told.trim().is_empty() && !told.contains('{') && !told.contains('$'),
                        "{lang} {action}: {told}"
                    );
                }
                let kind = tr
                    .try_t(&format!("audit-kind-{suffix}"))
                    .unwrap_or_else(|| panic!("{lang}: no name for {action}"));
                assert!(
                    kinds.insert(kind.clone()),
                    "{lang}: `{kind}` names two actions"
                );
            }
        }
    }
}
