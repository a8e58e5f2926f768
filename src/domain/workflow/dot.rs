//! A definition as a Graphviz DOT graph, for the staff page's picture of a request's workflow.

use super::*;

impl WorkflowDefinition {
    /// The definition as a Graphviz DOT graph, with `current` highlighted.
    pub fn to_dot(&self, current: Option<&str>, lang: Language) -> String {
        let q = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        let mut out = format!(
            "digraph \"{}\" {{\n  rankdir=LR;\n  node [shape=box];\n",
            q(&self.id)
        );
        for s in &self.states {
            let mut attrs = vec![format!("label=\"{}\"", q(s.label.get(lang)))];
            if current == Some(s.id.as_str()) {
                attrs.push("style=filled".into());
                attrs.push("fillcolor=\"#8ec5ff\"".into());
            } else if s.terminal {
                attrs.push("style=filled".into());
                attrs.push("fillcolor=\"#e4e7eb\"".into());
            }
            out.push_str(&format!("  \"{}\" [{}];\n", q(&s.id), attrs.join(", ")));
        }
        for t in &self.transitions {
            for f in &t.from {
                let to = t.to.as_deref().unwrap_or(f);
                out.push_str(&format!(
                    "  \"{}\" -> \"{}\" [label=\"{}\"];\n",
                    q(f),
                    q(to),
                    q(&t.event)
                ));
            }
        }
        out.push_str("}\n");
        out
    }
}
