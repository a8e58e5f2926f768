//! Both backends end with the same tables and columns, the migrations come in pairs, every declared
//! diesel table can be read on both, and the audit log refuses UPDATE and DELETE on both.

use crate::common;

use std::collections::BTreeSet;

use common::{Backend, TestDb};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

#[derive(QueryableByName, Debug)]
struct Col {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    nullable: i32,
}

type Shape = BTreeSet<(String, String, String, bool)>;

/// Declared types differ in spelling between the backends; this maps both to one name.
fn normalise(t: &str) -> String {
    match t.to_ascii_lowercase().as_str() {
        "text" => "text",
        "bigint" => "bigint",
        "integer" => "integer",
        "boolean" => "boolean",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "blob" | "bytea" => "binary",
        other => return format!("UNEXPECTED {other}"),
    }
    .to_owned()
}

fn shape(db: &TestDb) -> Shape {
    let sql = match db.backend {
        Backend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type,
                    CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 THEN 0 ELSE 1 END AS nullable
             FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type,
                    CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END AS nullable
             FROM information_schema.columns
             WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'"
        }
    };
    diesel::sql_query(sql)
        .load::<Col>(&mut *db.conn())
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.table_name,
                c.column_name,
                normalise(&c.data_type),
                c.nullable == 1,
            )
        })
        .collect()
}

#[test]
fn migrations_come_in_pairs() {
    let names = |backend: &str| -> BTreeSet<String> {
        std::fs::read_dir(common::repo_path(&format!("migrations/{backend}")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names("sqlite"), names("postgres"));
    for name in names("sqlite") {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    common::repo_path(&format!("migrations/{backend}/{name}/{file}")).exists(),
                    "{backend}/{name}/{file}"
                );
            }
        }
    }
}

#[test]
fn both_backends_have_the_same_tables_and_columns() {
    let sqlite = TestDb::new(Backend::Sqlite).unwrap();
    let sqlite_shape = shape(&sqlite);
    assert!(
        sqlite_shape
            .iter()
            .all(|(_, _, t, _)| !t.starts_with("UNEXPECTED")),
        "{sqlite_shape:?}"
    );
    assert!(
        sqlite_shape
            .iter()
            .any(|(t, c, _, _)| t == "requests" && c == "tracking_token_sha256")
    );
    let Some(pg) = TestDb::new(Backend::Postgres) else {
        return;
    };
    let pg_shape = shape(&pg);
    let only_sqlite: Vec<_> = sqlite_shape.difference(&pg_shape).collect();
    let only_pg: Vec<_> = pg_shape.difference(&sqlite_shape).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "only in SQLite: {only_sqlite:?}\nonly in PostgreSQL: {only_pg:?}"
    );
}

fn declared_tables_are_readable(db: &TestDb) {
    use kaiji::db::{audit, requests, staff, workflows};
    let c = &mut *db.conn();
    use kaiji::db::schema as s;
    s::requests::table
        .select(requests::RequestRow::as_select())
        .limit(1)
        .load(c)
        .unwrap();
    s::audit_events::table
        .select(audit::AuditEventRow::as_select())
        .limit(1)
        .load(c)
        .unwrap();
    s::staff_users::table
        .select(staff::StaffRow::as_select())
        .limit(1)
        .load(c)
        .unwrap();
    s::workflow_definitions::table
        .select(workflows::WorkflowRow::as_select())
        .limit(1)
        .load(c)
        .unwrap();
    s::staff_sessions::table
        .select((
            s::staff_sessions::token_sha256,
            s::staff_sessions::staff_id,
            s::staff_sessions::created_at,
            s::staff_sessions::expires_at,
        ))
        .limit(1)
        .load::<(String, String, chrono::NaiveDateTime, chrono::NaiveDateTime)>(c)
        .unwrap();
    s::setup_links::table
        .select((
            s::setup_links::token_sha256,
            s::setup_links::created_at,
            s::setup_links::expires_at,
            s::setup_links::used_at,
        ))
        .limit(1)
        .load::<(
            String,
            chrono::NaiveDateTime,
            chrono::NaiveDateTime,
            Option<chrono::NaiveDateTime>,
        )>(c)
        .unwrap();
}

fn audit_log_is_append_only(db: &TestDb) {
    // Publishing the seeds wrote at least one event.
    let before = db.count("audit_events");
    assert!(before > 0);
    let c = &mut *db.conn();
    let update = diesel::sql_query("UPDATE audit_events SET action = 'tampered'").execute(c);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = diesel::sql_query("DELETE FROM audit_events").execute(c);
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    if db.backend == Backend::Postgres {
        let truncate = diesel::sql_query("TRUNCATE audit_events").execute(c);
        assert!(truncate.unwrap_err().to_string().contains("append-only"));
    }
    assert_eq!(db.count("audit_events"), before);
}

fn check_constraints_hold(db: &TestDb) {
    let c = &mut *db.conn();
    let bad_role = diesel::sql_query(
        "INSERT INTO staff_users (id, email, role, password_hash, created_at) VALUES ('x', 'x@example.com', 'root', 'h', '2026-01-01 00:00:00')",
    )
    .execute(c);
    assert!(bad_role.is_err(), "role CHECK");
    // The Rust enum owns the list the CHECK repeats (widened by the newest migration that rebuilt it).
    let sql = std::fs::read_to_string(common::repo_path(
        "migrations/sqlite/2026-11-30-000006_more_rights_and_evidence/up.sql",
    ))
    .unwrap();
    let types: Vec<String> = kaiji::domain::request::RequestType::ALL
        .iter()
        .map(|t| format!("'{}'", t.as_str()))
        .collect();
    assert!(sql.contains(&format!("request_type IN ({})", types.join(", "))));
    let sql = std::fs::read_to_string(common::repo_path(
        "migrations/sqlite/2026-11-22-000001_foundation/up.sql",
    ))
    .unwrap();
    let roles: Vec<String> = kaiji::domain::staff::Role::ALL
        .iter()
        .map(|r| format!("'{}'", r.as_str()))
        .collect();
    assert!(sql.contains(&format!("role IN ({})", roles.join(", "))));
    let kinds: Vec<String> = kaiji::domain::audit::Actor::KINDS
        .iter()
        .map(|k| format!("'{k}'"))
        .collect();
    assert!(sql.contains(&format!("actor_kind IN ({})", kinds.join(", "))));
}

fn on_both(check: fn(&TestDb)) {
    check(&TestDb::new(Backend::Sqlite).unwrap());
    if let Some(pg) = TestDb::new(Backend::Postgres) {
        check(&pg);
    }
}

#[test]
fn every_declared_table_is_readable_on_both_backends() {
    on_both(declared_tables_are_readable);
}

#[test]
fn the_audit_log_refuses_update_and_delete_on_both_backends() {
    on_both(audit_log_is_append_only);
}

#[test]
fn check_constraints_match_the_rust_enums_on_both_backends() {
    on_both(check_constraints_hold);
}

#[test]
fn migrate_is_idempotent_and_leaves_nothing_pending() {
    on_both(|db| {
        assert!(db.db.migrate().unwrap().is_empty());
        assert!(!kaiji::db::has_pending_migrations(&mut db.conn()).unwrap());
    });
}

/// Rebuilding `requests` on SQLite (to widen its CHECK) keeps every row and every link to it: the
/// upgrade runs over a database holding a request and its notice, foreign keys are still enforced
/// afterwards, and the new request types are accepted.
#[test]
fn upgrading_sqlite_keeps_requests_and_their_links() {
    use diesel::connection::SimpleConnection;
    use diesel_migrations::MigrationHarness;
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("old.db");
    let mut c = diesel::SqliteConnection::establish(url.to_str().unwrap()).unwrap();
    c.batch_execute("PRAGMA foreign_keys = ON;").unwrap();
    // The schema as of the fifth migration, with a request in it.
    for _ in 0..5 {
        c.run_next_migration(kaiji::db::SQLITE_MIGRATIONS).unwrap();
    }
    c.batch_execute(
        "INSERT INTO workflow_definitions VALUES ('gdpr', 2, 'src', 'sha', '2026-11-01 00:00:00');
         INSERT INTO requests VALUES ('r1', 'R-1', 'tok', 'gdpr', 2, 'received', 1, 'access', 'eea',
           'web', 'en', 'Pat', 'p@example.com', 'hello', '[]', '2026-11-01 00:00:00',
           '2026-11-01 00:00:00', NULL);
         INSERT INTO notices (id, request_id, kind, channel, language, status, created_at) VALUES ('n1', 'r1', 'received', 'email', 'en', 'queued',
           '2026-11-01 00:00:00');",
    )
    .unwrap();
    let applied = c
        .run_pending_migrations(kaiji::db::SQLITE_MIGRATIONS)
        .unwrap();
    assert!(!applied.is_empty());

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let kept: Vec<Row> =
        diesel::sql_query("SELECT r.id FROM requests r JOIN notices n ON n.request_id = r.id")
            .load(&mut c)
            .unwrap();
    assert_eq!(
        kept.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r1"]
    );
    let dangling: Vec<Row> =
        diesel::sql_query("SELECT \"table\" AS id FROM pragma_foreign_key_check")
            .load(&mut c)
            .unwrap();
    assert!(dangling.is_empty(), "no broken links after the rebuild");
    c.batch_execute("PRAGMA foreign_keys = ON;").unwrap();
    let orphan = c.batch_execute(
        "INSERT INTO notices (id, request_id, kind, channel, language, status, created_at) VALUES ('n2', 'nope', 'received', 'email', 'en', 'queued', '2026-11-01 00:00:00');",
    );
    assert!(
        orphan.is_err(),
        "foreign keys still enforced against the rebuilt table"
    );
    c.batch_execute(
        "INSERT INTO requests (id, receipt_number, tracking_token_sha256, workflow_id, workflow_version, state, version, request_type, jurisdiction, channel, language, subject_name, subject_email, message, facts, received_at, updated_at, closed_at)
           VALUES ('r2', 'R-2', 'tok2', 'gdpr', 2, 'received', 1, 'withdraw_consent',
           'eea', 'web', 'en', 'Pat', 'p@example.com', 'hi', '[]', '2026-11-01 00:00:00',
           '2026-11-01 00:00:00', NULL);",
    )
    .unwrap();
    let bad = c.batch_execute(
        "INSERT INTO requests (id, receipt_number, tracking_token_sha256, workflow_id, workflow_version, state, version, request_type, jurisdiction, channel, language, subject_name, subject_email, message, facts, received_at, updated_at, closed_at)
           VALUES ('r3', 'R-3', 'tok3', 'gdpr', 2, 'received', 1, 'nonsense',
           'eea', 'web', 'en', 'Pat', 'p@example.com', 'hi', '[]', '2026-11-01 00:00:00',
           '2026-11-01 00:00:00', NULL);",
    );
    assert!(
        bad.is_err(),
        "the widened CHECK still refuses unknown types"
    );
}

/// `src/db/schema.rs` as the shape it declares: every `table!`'s columns, with the SQL type each maps to
/// and whether it may be NULL.
fn declared_shape() -> Shape {
    let src = std::fs::read_to_string(common::repo_path("src/db/schema.rs")).unwrap();
    let mut out = Shape::new();
    let mut table: Option<String> = None;
    for line in src.lines() {
        if line.starts_with("diesel::table!") {
            table = None;
        } else if let Some(name) = line
            .strip_prefix("    ")
            .filter(|l| !l.starts_with(' '))
            .and_then(|l| l.split_once(" ("))
            .map(|(n, _)| n.to_owned())
        {
            table = Some(name);
        } else if let (Some(t), Some((col, ty))) = (
            &table,
            line.strip_prefix("        ")
                .and_then(|l| l.strip_suffix(','))
                .and_then(|l| l.split_once(" -> ")),
        ) {
            let (nullable, ty) = match ty
                .strip_prefix("Nullable<")
                .and_then(|x| x.strip_suffix('>'))
            {
                Some(inner) => (true, inner),
                None => (false, ty),
            };
            let sql = match ty {
                "Text" => "text",
                "BigInt" => "bigint",
                "Integer" => "integer",
                "Bool" => "boolean",
                "Timestamp" => "timestamp",
                "Binary" => "binary",
                other => panic!("schema.rs: {t}.{col} has a type this test does not know: {other}"),
            };
            out.insert((t.clone(), col.to_owned(), sql.to_owned(), nullable));
        }
    }
    out
}

fn schema_rs_matches(db: &TestDb) {
    let declared = declared_shape();
    assert!(
        declared
            .iter()
            .any(|(t, c, _, _)| t == "audit_events" && c == "seq"),
        "schema.rs was not read: {declared:?}"
    );
    let tables: BTreeSet<&String> = declared.iter().map(|(t, _, _, _)| t).collect();
    let migrated = shape(db);
    let migrated_tables: BTreeSet<&String> = migrated.iter().map(|(t, _, _, _)| t).collect();
    // Appended deltas with no key (diesel's `table!` needs one), read and written only by the raw SQL
    // of `db::queue_counts`.
    let keyless = String::from("queue_count_deltas");
    let undeclared: Vec<_> = migrated_tables
        .difference(&tables)
        .filter(|t| ***t != keyless)
        .collect();
    let only_declared: Vec<_> = declared.difference(&migrated).collect();
    let only_migrated: Vec<_> = migrated
        .iter()
        .filter(|(t, _, _, _)| tables.contains(t))
        .filter(|c| !declared.contains(*c))
        .collect();
    assert!(
        undeclared.is_empty() && only_declared.is_empty() && only_migrated.is_empty(),
        "{:?}: tables schema.rs does not declare: {undeclared:?}\nonly in schema.rs: {only_declared:#?}\nonly in the migrated database: {only_migrated:#?}",
        db.backend
    );
}

#[test]
fn schema_rs_declares_every_table_column_type_and_nullability_on_both_backends() {
    on_both(schema_rs_matches);
}
