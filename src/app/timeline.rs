//! A request's history for the desk: its audit events, notices and notes merged in time order. Each
//! line keeps what it came from (the event's action, actor and states, the notice's kind and delivery),
//! so that the page tells it in words and in the reader's language.

use super::notices::NoticeLine;
use super::requests::{AuditLine, Note, RequestDetail};

/// One line of a request's timeline.
#[derive(Debug, Clone)]
pub enum TimelineLine<'a> {
    Event(&'a AuditLine),
    Notice(&'a NoticeLine),
    Note(&'a Note),
}

/// One line with its time and, for a transition, what it carried.
#[derive(Debug, Clone)]
pub struct TimelineEntry<'a> {
    pub at: chrono::NaiveDateTime,
    pub line: TimelineLine<'a>,
    /// What a transition carried, for the desk to read: the event, and the officer's reason, the legal
    /// ground or the requester's own statement (`event`, `reason`, `ground`, `statement`).
    pub said: Vec<(&'static str, String)>,
}

impl TimelineEntry<'_> {
    /// `event`, `notice` or `note`.
    pub fn kind(&self) -> &'static str {
        match self.line {
            TimelineLine::Event(_) => "event",
            TimelineLine::Notice(_) => "notice",
            TimelineLine::Note(_) => "note",
        }
    }
}

/// The words a transition's audit event carries (its `details.event` and `details.data`), where they are
/// still there (retention erases them with the record).
fn said_in(details: &str) -> Vec<(&'static str, String)> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(details) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(e) = v["event"].as_str() {
        out.push(("event", e.to_owned()));
    }
    for key in ["ground", "reason", "statement"] {
        if let Some(t) = v["data"][key].as_str().filter(|t| !t.trim().is_empty()) {
            out.push((key, t.to_owned()));
        }
    }
    out
}

impl RequestDetail {
    /// Audit events, notices and notes merged in time order.
    pub fn timeline(&self) -> Vec<TimelineEntry<'_>> {
        let mut out: Vec<TimelineEntry<'_>> = self
            .audit
            .iter()
            .map(|e| TimelineEntry {
                at: e.occurred_at.naive_utc(),
                line: TimelineLine::Event(e),
                said: if e.action == "request.transitioned" {
                    said_in(&e.details)
                } else {
                    Vec::new()
                },
            })
            .collect();
        out.extend(self.notices.iter().map(|n| TimelineEntry {
            at: n.created_at,
            line: TimelineLine::Notice(n),
            said: Vec::new(),
        }));
        out.extend(self.notes.iter().map(|n| TimelineEntry {
            at: n.created_at,
            line: TimelineLine::Note(n),
            said: Vec::new(),
        }));
        out.sort_by_key(|a| a.at);
        out
    }
}
