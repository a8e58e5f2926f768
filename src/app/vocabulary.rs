//! The words behind the codes the log and the tables store: a state's and an event's label from the
//! published procedures, a staff member's name and role, a request's receipt number. Pages show these,
//! never the codes or ids (a reader of the audit page wants "佐藤 花子 (officer)", not a UUID).

use std::collections::HashMap;

use super::AppError;
use super::workflows::WorkflowCatalog;
use crate::db::AnyConnection;
use crate::domain::definition::Label;
use crate::domain::staff::Role;

/// A staff member as pages name them.
#[derive(Debug, Clone)]
pub struct Named {
    pub name: String,
    pub role: Role,
}

/// Codes and ids with their words, loaded once for a page.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    states: HashMap<String, Label>,
    events: HashMap<String, Label>,
    staff: HashMap<String, Named>,
    receipts: HashMap<String, String>,
}

impl Vocabulary {
    /// The states and events of every published procedure (newest versions first named), and every
    /// staff account (disabled ones too: old events still name them).
    pub fn load(conn: &mut AnyConnection, catalog: &WorkflowCatalog) -> Result<Self, AppError> {
        let mut v = Vocabulary::default();
        for def in catalog.newest_published(conn)? {
            for s in &def.states {
                v.states
                    .entry(s.id.clone())
                    .or_insert_with(|| s.label.clone());
            }
            for t in &def.transitions {
                v.events
                    .entry(t.event.clone())
                    .or_insert_with(|| t.label.clone());
            }
        }
        for (id, name, role) in crate::db::staff::names(conn)? {
            if let Ok(role) = role.parse() {
                v.staff.insert(id.to_string(), Named { name, role });
            }
        }
        Ok(v)
    }

    /// Adds the receipt numbers of these requests (the ids a page is about to show).
    pub fn with_receipts<'a>(
        mut self,
        conn: &mut AnyConnection,
        ids: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, AppError> {
        let ids: Vec<String> = ids.into_iter().map(str::to_owned).collect();
        self.receipts
            .extend(crate::db::requests::receipt_numbers(conn, &ids)?);
        Ok(self)
    }

    pub fn state(&self, code: &str) -> Option<&Label> {
        self.states.get(code)
    }

    pub fn event(&self, code: &str) -> Option<&Label> {
        self.events.get(code)
    }

    pub fn staff(&self, id: &str) -> Option<&Named> {
        self.staff.get(id)
    }

    /// Every staff member, by name: for a filter's choices.
    pub fn people(&self) -> Vec<(&str, &Named)> {
        let mut all: Vec<(&str, &Named)> =
            self.staff.iter().map(|(id, n)| (id.as_str(), n)).collect();
        all.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        all
    }

    pub fn receipt(&self, request_id: &str) -> Option<&str> {
        self.receipts.get(request_id).map(String::as_str)
    }
}
