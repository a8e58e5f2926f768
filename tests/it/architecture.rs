//! The domain core stays pure: no database, web, mail, template, filesystem, clock or randomness.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_domain_does_no_io_and_knows_no_api() {
    let forbidden = [
        "diesel",
        "actix",
        "lettre",
        "askama",
        "tokio",
        "std::fs",
        "std::net",
        "std::env",
        "Utc::now",
        "Local::now",
        "SystemTime",
        "getrandom",
        "rand::",
        "reqwest",
        "tracing",
        // The web layer owns the API document (web/schemas/domain.rs describes the domain's values).
        "utoipa",
    ];
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/domain"),
        &mut files,
    );
    assert!(!files.is_empty());
    for file in files {
        let src = std::fs::read_to_string(&file).unwrap();
        for word in forbidden {
            assert!(!src.contains(word), "{} mentions `{word}`", file.display());
        }
    }
}

#[test]
fn only_the_db_module_writes_sql() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    for file in files {
        if file.components().any(|c| c.as_os_str() == "db") {
            continue;
        }
        let src = std::fs::read_to_string(&file).unwrap();
        for word in [
            "diesel::insert_into",
            "diesel::update",
            "diesel::delete",
            "sql_query",
        ] {
            assert!(
                !src.contains(word),
                "{} uses `{word}` outside src/db",
                file.display()
            );
        }
    }
}

/// The layers, lowest first: a module may name (by any `crate::` or `super::` path, in `use` lines or
/// inline) only modules of lower layers, and modules of its own top-level module.
const LAYERS: [&[&str]; 8] = [
    &["domain"],
    &["security", "i18n"],
    &["config"],
    &["db"],
    &["app"],
    &["notify"],
    &["web"],
    &["cli"],
];

fn layer_of(top: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top))
}

/// Module path of a source file: `src/app/cases.rs` is `app::cases`, `src/app/audit_verify/mod.rs` is
/// `app::audit_verify`, `src/lib.rs` the root.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_str().unwrap().to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The source without comments and without its test module (tests may reach anywhere).
fn production_code(src: &str) -> String {
    let src = src.split("#[cfg(test)]\nmod tests").next().unwrap();
    src.lines()
        .map(|l| match l.find("//") {
            // `://` is a URL in a string, not a comment.
            Some(i) if !l[..i].ends_with(':') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path starting at `crate::` or `super::`, use-trees expanded (`crate::a::{b, c::{d, self}}`).
fn paths_in(code: &str) -> Vec<(bool, Vec<String>)> {
    fn ident(s: &[char], i: &mut usize) -> Option<String> {
        let start = *i;
        while *i < s.len() && (s[*i].is_alphanumeric() || s[*i] == '_') {
            *i += 1;
        }
        (*i > start).then(|| s[start..*i].iter().collect())
    }
    fn skip_ws(s: &[char], i: &mut usize) {
        while *i < s.len() && s[*i].is_whitespace() {
            *i += 1;
        }
    }
    fn tree(s: &[char], i: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let mut path = prefix;
        loop {
            skip_ws(s, i);
            if *i < s.len() && s[*i] == '{' {
                *i += 1;
                loop {
                    skip_ws(s, i);
                    if *i >= s.len() || s[*i] == '}' {
                        *i += 1;
                        return;
                    }
                    tree(s, i, path.clone(), out);
                    skip_ws(s, i);
                    if *i < s.len() && s[*i] == ',' {
                        *i += 1;
                    }
                }
            }
            match ident(s, i) {
                Some(seg) if seg == "self" => {}
                Some(seg) => path.push(seg),
                None => {}
            }
            if s[*i..].starts_with(&[':', ':']) {
                *i += 2;
                continue;
            }
            out.push(path);
            return;
        }
    }
    let s: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let boundary = i == 0 || !(s[i - 1].is_alphanumeric() || s[i - 1] == '_');
        let rest = &s[i..];
        let base = if boundary && rest.starts_with(&['c', 'r', 'a', 't', 'e', ':', ':']) {
            Some(true)
        } else if boundary && rest.starts_with(&['s', 'u', 'p', 'e', 'r', ':', ':']) {
            Some(false)
        } else {
            None
        };
        match base {
            Some(is_crate) => {
                // `crate::` and `super::` are both seven characters.
                let mut j = i + 7;
                let mut found = Vec::new();
                let mut first = if is_crate {
                    vec![]
                } else {
                    vec!["super".to_owned()]
                };
                // `super::super::x`
                while s[j..].starts_with(&['s', 'u', 'p', 'e', 'r', ':', ':']) {
                    first.push("super".to_owned());
                    j += 7;
                }
                tree(&s, &mut j, first, &mut found);
                out.extend(found.into_iter().map(|p| (is_crate, p)));
                i = j.max(i + 1);
            }
            None => i += 1,
        }
    }
    out
}

/// Modules named by each file, at the granularity of `top::module` (a directory module and its files
/// count as one).
type Graph = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

fn module_graph(src: &Path) -> Graph {
    use std::collections::{BTreeMap, BTreeSet};
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(src, f)).collect();
    let node = |m: &[String]| m.iter().take(2).cloned().collect::<Vec<_>>().join("::");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        if file.file_stem().is_some_and(|s| s == "tests") {
            continue;
        }
        let me = module_of(src, file);
        if me.is_empty() {
            continue;
        }
        let code = production_code(&std::fs::read_to_string(file).unwrap());
        for (is_crate, path) in paths_in(&code) {
            let mut target = if is_crate { Vec::new() } else { me.clone() };
            for seg in path {
                if seg == "super" {
                    target.pop();
                } else {
                    target.push(seg);
                }
            }
            // The longest prefix that is a module (the rest names an item in it).
            while !target.is_empty() && !modules.contains(&target) {
                target.pop();
            }
            if target.is_empty() {
                continue;
            }
            let (from, to) = (node(&me), node(&target));
            if from != to {
                graph.entry(from).or_default().insert(to);
            }
        }
    }
    graph
}

fn src() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn upward_imports(graph: &Graph) -> Vec<String> {
    let mut wrong = Vec::new();
    for (from, tos) in graph {
        let top = from.split("::").next().unwrap();
        let Some(mine) = layer_of(top) else {
            wrong.push(format!("{from}: top-level module `{top}` has no layer"));
            continue;
        };
        for to in tos {
            let their_top = to.split("::").next().unwrap();
            if their_top == top {
                continue;
            }
            match layer_of(their_top) {
                Some(theirs) if theirs < mine => {}
                _ => wrong.push(format!("{from} -> {to}")),
            }
        }
    }
    wrong
}

fn import_loops(graph: &Graph) -> Vec<String> {
    let reaches = |from: &str, to: &str| {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone()) {
                stack.extend(graph.get(&n).into_iter().flatten().cloned());
            }
        }
        false
    };
    let mut loops = Vec::new();
    for (from, tos) in graph {
        for to in tos {
            if reaches(to, from) {
                loops.push(format!("{from} -> {to} -> … -> {from}"));
            }
        }
    }
    loops
}

#[test]
fn no_module_imports_from_a_higher_layer() {
    let graph = module_graph(&src());
    assert!(graph.len() > 50, "the source was not read: {graph:?}");
    let wrong = upward_imports(&graph);
    assert!(wrong.is_empty(), "imports against the layers: {wrong:#?}");
}

#[test]
fn no_import_loops() {
    let loops = import_loops(&module_graph(&src()));
    assert!(loops.is_empty(), "import loops: {loops:#?}");
}

/// The app hands pages and API handlers its own read models: the web layer names no `db` module, so
/// a column rename never reaches a page or the API contract unnoticed.
#[test]
fn the_web_layer_names_no_db_module() {
    let graph = module_graph(&src());
    let leaks: Vec<String> = graph
        .iter()
        .filter(|(from, _)| from.starts_with("web"))
        .flat_map(|(from, tos)| {
            tos.iter()
                .filter(|to| to.split("::").next() == Some("db"))
                .map(move |to| format!("{from} -> {to}"))
        })
        .collect();
    assert!(leaks.is_empty(), "web names db rows: {leaks:#?}");
}

#[test]
fn the_checks_find_a_loop_and_an_upward_import() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, code: &str| {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, code).unwrap();
    };
    write("lib.rs", "pub mod app;\npub mod domain;\n");
    write("domain/mod.rs", "pub mod rules;\n");
    // Inline, not in a `use` line; the test module below may reach anywhere.
    write(
        "domain/rules.rs",
        "fn f() { crate::app::cases::g(); }\n#[cfg(test)]\nmod tests { use crate::app::queue; }\n",
    );
    write("app/mod.rs", "pub mod cases;\npub mod queue;\n");
    write("app/cases.rs", "use super::{queue::{self, Q}};\n");
    write(
        "app/queue.rs",
        "// super::cases in a comment is no import\nuse super::super::app::cases::C;\n",
    );
    let graph = module_graph(dir.path());
    assert_eq!(upward_imports(&graph), ["domain::rules -> app::cases"]);
    assert_eq!(
        import_loops(&graph),
        [
            "app::cases -> app::queue -> … -> app::cases",
            "app::queue -> app::cases -> … -> app::queue"
        ]
    );
}

#[test]
fn the_path_reader_expands_use_trees() {
    let got =
        paths_in("use crate::db::{self, audit::{A, B}, tlog};\nlet x = super::super::cases::f();");
    assert_eq!(
        got,
        [
            (true, vec!["db".to_owned()]),
            (true, vec!["db".to_owned(), "audit".into(), "A".into()]),
            (true, vec!["db".to_owned(), "audit".into(), "B".into()]),
            (true, vec!["db".to_owned(), "tlog".into()]),
            (
                false,
                vec![
                    "super".to_owned(),
                    "super".into(),
                    "cases".into(),
                    "f".into()
                ]
            ),
        ]
    );
}
