//! Workflows as data: a procedure's states and transitions, read from a TOML definition, checked once,
//! then asked "may this actor fire this event in this state, and where does it lead?".

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::request::{Channel, Language, RequestType};
use super::staff::Role;

/// Text shown to people, in each language kaiji speaks.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Label {
    pub en: String,
    pub ja: String,
}

impl Label {
    pub fn get(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.en,
            Language::Ja => &self.ja,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    id: Spanned<String>,
    version: Spanned<i64>,
    name: Label,
    request_types: Vec<Spanned<String>>,
    channels: Vec<Spanned<String>>,
    initial_state: Spanned<String>,
    states: Vec<RawState>,
    transitions: Vec<RawTransition>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    id: Spanned<String>,
    label: Label,
    #[serde(default)]
    terminal: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    event: Spanned<String>,
    from: Vec<Spanned<String>>,
    to: Spanned<String>,
    roles: Vec<Spanned<String>>,
    label: Label,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateDef {
    pub id: String,
    pub label: Label,
    pub terminal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionDef {
    pub event: String,
    pub from: Vec<String>,
    pub to: String,
    pub roles: Vec<Role>,
    pub label: Label,
}

/// A checked workflow definition. Only `parse` builds one, so every instance is internally consistent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowDefinition {
    pub id: String,
    pub version: i64,
    pub name: Label,
    pub request_types: Vec<RequestType>,
    pub channels: Vec<Channel>,
    pub initial_state: String,
    pub states: Vec<StateDef>,
    pub transitions: Vec<TransitionDef>,
}

/// Why a definition was refused: the line in the file (when known) and a plain reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    pub line: Option<usize>,
    pub reason: String,
}

impl fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

impl std::error::Error for DefinitionError {}

/// Why the engine refused an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the request is in state `{state}`, which workflow does not define")]
    UnknownState { state: String },
    #[error("event `{event}` is not allowed in state `{state}`")]
    NotAllowedHere { event: String, state: String },
    #[error("role `{role}` may not fire event `{event}`")]
    RoleNotPermitted { event: String, role: Role },
}

/// The engine's answer to an allowed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'a> {
    pub event: &'a str,
    pub from: &'a str,
    pub to: &'a str,
}

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].matches('\n').count() + 1
}

impl WorkflowDefinition {
    /// Parses and checks a definition. Refuses, with the line, anything the engine could not run safely.
    pub fn parse(src: &str) -> Result<Self, DefinitionError> {
        let raw: RawDefinition = toml::from_str(src).map_err(|e| DefinitionError {
            line: e.span().map(|s| line_of(src, s.start)),
            reason: e.message().to_owned(),
        })?;
        let err = |span: std::ops::Range<usize>, reason: String| DefinitionError {
            line: Some(line_of(src, span.start)),
            reason,
        };

        let id = raw.id.get_ref().clone();
        if id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(err(
                raw.id.span(),
                format!("workflow id `{id}` must be lower-case letters, digits, `-` or `_`"),
            ));
        }
        if *raw.version.get_ref() < 1 {
            return Err(err(raw.version.span(), "version must be 1 or more".into()));
        }

        let mut request_types = Vec::new();
        for t in &raw.request_types {
            let parsed = t
                .get_ref()
                .parse::<RequestType>()
                .map_err(|_| err(t.span(), format!("unknown request type `{}`", t.get_ref())))?;
            request_types.push(parsed);
        }
        let mut channels = Vec::new();
        for c in &raw.channels {
            let parsed = c
                .get_ref()
                .parse::<Channel>()
                .map_err(|_| err(c.span(), format!("unknown channel `{}`", c.get_ref())))?;
            channels.push(parsed);
        }

        let mut states: Vec<StateDef> = Vec::new();
        let mut state_spans: HashMap<String, std::ops::Range<usize>> = HashMap::new();
        for s in &raw.states {
            let sid = s.id.get_ref().clone();
            if state_spans.insert(sid.clone(), s.id.span()).is_some() {
                return Err(err(s.id.span(), format!("state `{sid}` is defined twice")));
            }
            states.push(StateDef {
                id: sid,
                label: s.label.clone(),
                terminal: s.terminal,
            });
        }
        let terminal: HashSet<&str> = states
            .iter()
            .filter(|s| s.terminal)
            .map(|s| s.id.as_str())
            .collect();
        if !state_spans.contains_key(raw.initial_state.get_ref()) {
            return Err(err(
                raw.initial_state.span(),
                format!(
                    "initial state `{}` is not defined",
                    raw.initial_state.get_ref()
                ),
            ));
        }

        let mut transitions = Vec::new();
        let mut seen_pairs: HashSet<(String, String)> = HashSet::new();
        for t in &raw.transitions {
            let event = t.event.get_ref().clone();
            if t.from.is_empty() {
                return Err(err(
                    t.event.span(),
                    format!("transition `{event}` has no `from` state"),
                ));
            }
            let mut from = Vec::new();
            for f in &t.from {
                let fid = f.get_ref();
                if !state_spans.contains_key(fid) {
                    return Err(err(
                        f.span(),
                        format!("transition `{event}` starts from undefined state `{fid}`"),
                    ));
                }
                if terminal.contains(fid.as_str()) {
                    return Err(err(
                        f.span(),
                        format!("transition `{event}` leaves terminal state `{fid}`"),
                    ));
                }
                if !seen_pairs.insert((event.clone(), fid.clone())) {
                    return Err(err(
                        t.event.span(),
                        format!("event `{event}` is defined twice for state `{fid}`"),
                    ));
                }
                from.push(fid.clone());
            }
            if !state_spans.contains_key(t.to.get_ref()) {
                return Err(err(
                    t.to.span(),
                    format!(
                        "transition `{event}` leads to undefined state `{}`",
                        t.to.get_ref()
                    ),
                ));
            }
            if t.roles.is_empty() {
                return Err(err(
                    t.event.span(),
                    format!("transition `{event}` names no role that may fire it"),
                ));
            }
            let mut roles = Vec::new();
            for r in &t.roles {
                roles.push(
                    r.get_ref()
                        .parse::<Role>()
                        .map_err(|_| err(r.span(), format!("unknown role `{}`", r.get_ref())))?,
                );
            }
            transitions.push(TransitionDef {
                event,
                from,
                to: t.to.get_ref().clone(),
                roles,
                label: t.label.clone(),
            });
        }

        let def = WorkflowDefinition {
            id,
            version: *raw.version.get_ref(),
            name: raw.name,
            request_types,
            channels,
            initial_state: raw.initial_state.into_inner(),
            states,
            transitions,
        };

        // Every state must be reachable from the start, and every non-terminal state must have a way out.
        let reachable = def.reachable_states();
        for s in &def.states {
            if !reachable.contains(s.id.as_str()) {
                return Err(err(
                    state_spans[&s.id].clone(),
                    format!(
                        "state `{}` cannot be reached from `{}`",
                        s.id, def.initial_state
                    ),
                ));
            }
            if !s.terminal && !def.transitions.iter().any(|t| t.from.contains(&s.id)) {
                return Err(err(
                    state_spans[&s.id].clone(),
                    format!("state `{}` is not terminal but has no transition out", s.id),
                ));
            }
        }
        Ok(def)
    }

    fn reachable_states(&self) -> BTreeSet<&str> {
        let mut seen = BTreeSet::from([self.initial_state.as_str()]);
        let mut queue = VecDeque::from([self.initial_state.as_str()]);
        while let Some(s) = queue.pop_front() {
            for t in self
                .transitions
                .iter()
                .filter(|t| t.from.iter().any(|f| f == s))
            {
                if seen.insert(t.to.as_str()) {
                    queue.push_back(t.to.as_str());
                }
            }
        }
        seen
    }

    pub fn state(&self, id: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.id == id)
    }

    pub fn serves(&self, request_type: RequestType, channel: Channel) -> bool {
        self.request_types.contains(&request_type) && self.channels.contains(&channel)
    }

    /// Decides an event: the next state, or why not.
    pub fn decide(
        &self,
        state: &str,
        event: &str,
        role: Role,
    ) -> Result<Decision<'_>, TransitionError> {
        let current = self
            .state(state)
            .ok_or_else(|| TransitionError::UnknownState {
                state: state.to_owned(),
            })?;
        let t = self
            .transitions
            .iter()
            .find(|t| t.event == event && t.from.contains(&current.id))
            .ok_or_else(|| TransitionError::NotAllowedHere {
                event: event.to_owned(),
                state: state.to_owned(),
            })?;
        if !t.roles.contains(&role) {
            return Err(TransitionError::RoleNotPermitted {
                event: event.to_owned(),
                role,
            });
        }
        Ok(Decision {
            event: &t.event,
            from: &current.id,
            to: &t.to,
        })
    }

    /// The events this role may fire from this state, in definition order.
    pub fn allowed_events(&self, state: &str, role: Role) -> Vec<&TransitionDef> {
        self.transitions
            .iter()
            .filter(|t| t.from.iter().any(|f| f == state) && t.roles.contains(&role))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASIC: &str = r#"
id = "basic"
version = 1
name = { en = "Basic", ja = "基本" }
request_types = ["access", "deletion"]
channels = ["web", "api"]
initial_state = "received"

[[states]]
id = "received"
label = { en = "Received", ja = "受付済み" }

[[states]]
id = "in_review"
label = { en = "In review", ja = "審査中" }

[[states]]
id = "completed"
label = { en = "Completed", ja = "完了" }
terminal = true

[[transitions]]
event = "start_review"
from = ["received"]
to = "in_review"
roles = ["officer"]
label = { en = "Start review", ja = "審査を開始" }

[[transitions]]
event = "complete"
from = ["received", "in_review"]
to = "completed"
roles = ["officer", "admin"]
label = { en = "Complete", ja = "完了にする" }
"#;

    fn broken(find: &str, replace: &str) -> DefinitionError {
        assert!(BASIC.contains(find), "fixture lacks {find}");
        WorkflowDefinition::parse(&BASIC.replacen(find, replace, 1)).unwrap_err()
    }

    #[test]
    fn a_good_definition_parses() {
        let d = WorkflowDefinition::parse(BASIC).unwrap();
        assert_eq!((d.id.as_str(), d.version), ("basic", 1));
        assert!(d.serves(RequestType::Access, Channel::Web));
        assert!(!d.serves(RequestType::Correction, Channel::Web));
        assert!(!d.serves(RequestType::Access, Channel::Postal));
    }

    #[test]
    fn decide_follows_the_table() {
        let d = WorkflowDefinition::parse(BASIC).unwrap();
        let ok = d.decide("received", "start_review", Role::Officer).unwrap();
        assert_eq!((ok.from, ok.to), ("received", "in_review"));
        assert_eq!(
            d.decide("in_review", "start_review", Role::Officer),
            Err(TransitionError::NotAllowedHere {
                event: "start_review".into(),
                state: "in_review".into()
            })
        );
        assert_eq!(
            d.decide("received", "start_review", Role::Auditor),
            Err(TransitionError::RoleNotPermitted {
                event: "start_review".into(),
                role: Role::Auditor
            })
        );
        assert!(matches!(
            d.decide("nowhere", "complete", Role::Officer),
            Err(TransitionError::UnknownState { .. })
        ));
        assert!(d.decide("completed", "complete", Role::Officer).is_err());
    }

    #[test]
    fn every_state_event_role_combination_matches_the_transition_table() {
        let d = WorkflowDefinition::parse(BASIC).unwrap();
        for s in &d.states {
            for t in &d.transitions {
                for role in Role::ALL {
                    let allowed = t.from.contains(&s.id) && t.roles.contains(&role);
                    assert_eq!(d.decide(&s.id, &t.event, role).is_ok(), allowed);
                    let listed = d
                        .allowed_events(&s.id, role)
                        .iter()
                        .any(|a| a.event == t.event);
                    assert_eq!(listed, allowed);
                }
            }
        }
    }

    #[test]
    fn refusals_name_the_line_and_reason() {
        let e = broken("to = \"in_review\"", "to = \"limbo\"");
        assert_eq!(e.line, Some(25));
        assert!(e.reason.contains("undefined state `limbo`"), "{e}");

        let e = broken("from = [\"received\"]", "from = [\"completed\"]");
        assert!(e.reason.contains("leaves terminal state"), "{e}");

        let e = broken("roles = [\"officer\"]", "roles = [\"janitor\"]");
        assert!(e.reason.contains("unknown role `janitor`"), "{e}");

        let e = broken("event = \"complete\"", "event = \"start_review\"");
        assert!(e.reason.contains("defined twice"), "{e}");

        let e = broken("id = \"in_review\"", "id = \"received\"");
        assert!(e.reason.contains("defined twice"), "{e}");

        let e = broken("initial_state = \"received\"", "initial_state = \"x\"");
        assert_eq!(e.line, Some(7));

        let e = broken("\"access\", \"deletion\"", "\"access\", \"sell\"");
        assert!(e.reason.contains("unknown request type `sell`"), "{e}");

        let e = broken("version = 1", "version = 0");
        assert_eq!(e.line, Some(3));

        let e = broken("terminal = true", "terminal = false");
        assert!(e.reason.contains("no transition out"), "{e}");

        let e = broken(
            "[[states]]\nid = \"received\"",
            "[[states]]\nid = \"received\"\ncolour = 1",
        );
        assert!(e.line.is_some(), "{e}");
    }

    #[test]
    fn unreachable_states_are_refused() {
        let src = BASIC.replace(
            "from = [\"received\"]\nto = \"in_review\"",
            "from = [\"received\"]\nto = \"completed\"",
        );
        let e = WorkflowDefinition::parse(&src).unwrap_err();
        assert!(e.reason.contains("cannot be reached"), "{e}");
    }
}
