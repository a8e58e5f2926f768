//! seeds/workflows/README.md lists every guard, fact, effect and notice a workflow definition may use,
//! exactly once each, and nothing else: the lists are checked against the names bound in the code.

use std::collections::BTreeSet;

use kaiji::domain::code::Code;
use kaiji::domain::notice::NoticeKind;
use kaiji::domain::workflow::{EFFECT_NAMES, Fact, Guard};

fn readme() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/seeds/workflows/README.md");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// The backticked code opening each list item under `heading` (up to the next `## ` heading), in order.
fn codes_under(readme: &str, heading: &str) -> Vec<String> {
    let mut lines = readme.lines();
    let found = lines.by_ref().any(|l| l.trim_end() == heading);
    assert!(found, "README has no `{heading}` section");
    lines
        .take_while(|l| !l.starts_with("## "))
        .filter_map(|l| l.strip_prefix("- `"))
        .map(|rest| {
            let end = rest
                .find('`')
                .unwrap_or_else(|| panic!("unclosed backtick in `{heading}` item: - `{rest}"));
            rest[..end].to_owned()
        })
        .collect()
}

fn assert_lists(heading: &str, listed: Vec<String>, known: impl IntoIterator<Item = &'static str>) {
    let known: BTreeSet<String> = known.into_iter().map(str::to_owned).collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let twice: Vec<&String> = listed
        .iter()
        .filter(|c| !seen.insert((*c).clone()))
        .collect();
    let missing: Vec<&String> = known.difference(&seen).collect();
    let extra: Vec<&String> = seen.difference(&known).collect();
    assert!(
        missing.is_empty() && extra.is_empty() && twice.is_empty(),
        "seeds/workflows/README.md `{heading}` is out of step with the code:\n  \
         missing: {missing:?}\n  extra (no such code): {extra:?}\n  listed more than once: {twice:?}"
    );
}

#[test]
fn readme_lists_every_guard() {
    let listed = codes_under(&readme(), "## Guards");
    assert_lists("## Guards", listed, Guard::ALL.iter().map(|g| g.as_str()));
}

#[test]
fn readme_lists_every_fact() {
    let listed = codes_under(&readme(), "## Facts");
    assert_lists("## Facts", listed, Fact::ALL.iter().map(|f| f.as_str()));
}

#[test]
fn readme_lists_every_notice() {
    let listed = codes_under(&readme(), "## Notices");
    assert_lists(
        "## Notices",
        listed,
        NoticeKind::ALL.iter().map(|n| n.as_str()),
    );
}

#[test]
fn readme_lists_every_effect() {
    // Items are written `name` or `name:<argument>`; the name is what the code knows.
    let listed = codes_under(&readme(), "## Effects")
        .into_iter()
        .map(|c| c.split(':').next().unwrap_or_default().to_owned())
        .collect();
    assert_lists("## Effects", listed, EFFECT_NAMES);
}
