//! The request page's history and people in words: each timeline line as a sentence in the reader's
//! language, who did it by name, a notice's delivery, and the assignee by name.

use super::narrate::{self, EventSentence};
use super::staff::RequestPage;
use crate::app::timeline::{TimelineEntry, TimelineLine};

impl RequestPage {
    /// What happened.
    pub fn timeline_what(&self, e: &TimelineEntry<'_>) -> String {
        let v = &self.d.vocabulary;
        match e.line {
            TimelineLine::Event(a) => EventSentence {
                action: &a.action,
                actor_kind: &a.actor_kind,
                actor_id: a.actor_id.as_deref(),
                receipt: a
                    .request_id
                    .as_ref()
                    .map(|_| self.d.request.receipt_number.as_str()),
                from_state: a.from_state.as_deref(),
                to_state: a.to_state.as_deref(),
                details: &a.details,
            }
            .tell(&self.tr, v),
            TimelineLine::Notice(n) => self.tr.notice_kind(&n.kind),
            TimelineLine::Note(n) => n.body.clone(),
        }
    }

    /// Who did it (no one for a notice: kaiji sends them).
    pub fn timeline_who(&self, e: &TimelineEntry<'_>) -> String {
        match e.line {
            TimelineLine::Event(a) => narrate::actor(
                &self.tr,
                &self.d.vocabulary,
                &a.actor_kind,
                a.actor_id.as_deref(),
            ),
            TimelineLine::Notice(_) => self.tr.t("actor-system"),
            TimelineLine::Note(n) => n.author_name.clone(),
        }
    }

    /// A transition's states, a notice's channel and delivery.
    pub fn timeline_detail(&self, e: &TimelineEntry<'_>) -> String {
        let v = &self.d.vocabulary;
        match e.line {
            TimelineLine::Event(a) => match (&a.from_state, &a.to_state) {
                (None, None) => String::new(),
                (None, Some(t)) => narrate::state(&self.tr, v, t),
                (f, t) => format!(
                    "{} → {}",
                    f.as_deref()
                        .map(|s| narrate::state(&self.tr, v, s))
                        .unwrap_or_default(),
                    t.as_deref()
                        .map(|s| narrate::state(&self.tr, v, s))
                        .unwrap_or_default()
                ),
            },
            TimelineLine::Notice(n) => format!(
                "{} · {}",
                self.tr.t(&format!("notice-channel-{}", n.channel)),
                self.tr.t(&format!("notice-status-{}", n.status))
            ),
            TimelineLine::Note(_) => String::new(),
        }
    }

    /// What a transition carried, in words: the event by its label, the rest as typed.
    pub fn said_text(&self, key: &str, text: &str) -> String {
        if key == "event" {
            narrate::event(&self.tr, &self.d.vocabulary, text)
        } else {
            text.to_owned()
        }
    }

    /// A staff member (by id) as the page names them.
    pub fn staff_name(&self, id: &str) -> String {
        self.d
            .vocabulary
            .staff(id)
            .map(|n| n.name.clone())
            .unwrap_or_else(|| self.tr.t("actor-unknown-staff"))
    }

    /// Who works the request, by name.
    pub fn assignee_name(&self) -> Option<String> {
        let email = self.d.assignee.as_deref()?;
        Some(
            self.d
                .workers
                .iter()
                .find(|(_, e)| e == email)
                .map(|(id, _)| self.staff_name(id.as_str()))
                .unwrap_or_else(|| self.tr.t("actor-unknown-staff")),
        )
    }
}
