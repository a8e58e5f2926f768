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
fn the_domain_does_no_io() {
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
