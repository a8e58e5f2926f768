//! Both backends end with the same tables, columns and CHECK lists, and with what `src/db/schema.rs`
//! declares; the migrations come in pairs; the main row types read on both; every CHECK list of a Rust
//! enum holds exactly its codes; and the audit log refuses UPDATE and DELETE on both.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Backend, TestDb};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use kaiji::domain::code::Code;

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
}

fn on_both(check: fn(&TestDb)) {
    check(&TestDb::new(Backend::Sqlite).unwrap());
    if let Some(pg) = TestDb::new(Backend::Postgres) {
        check(&pg);
    }
}

#[test]
fn the_main_row_types_read_on_both_backends() {
    on_both(declared_tables_are_readable);
}

#[test]
fn the_audit_log_refuses_update_and_delete_on_both_backends() {
    on_both(audit_log_is_append_only);
}

#[test]
fn a_value_outside_a_check_list_is_refused_on_both_backends() {
    on_both(check_constraints_hold);
}

/// A code column holding a code its Rust enum does not know (a database edited by hand, or written by a
/// newer kaiji) is a read error naming the enum and the code, never a silent default (`db::codes`).
/// SQLite only: it alone can be told to ignore the CHECK that otherwise keeps such a code out.
#[test]
fn a_stored_code_its_enum_does_not_know_is_a_read_error_naming_it() {
    use diesel::connection::SimpleConnection;
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut conn = db.conn();
    conn.batch_execute(
        "PRAGMA ignore_check_constraints = ON;
         INSERT INTO service_keys (kind, key_id, public_half, status, added_at)
           VALUES ('session', 'k1', NULL, 'lost', '2026-11-01 00:00:00');",
    )
    .unwrap();
    let err = kaiji::db::service_keys::all(&mut conn).unwrap_err();
    // diesel names the field; what it could not read is the cause.
    let mut err: &dyn std::error::Error = &err;
    let mut said = err.to_string();
    while let Some(cause) = err.source() {
        said.push_str(&format!(": {cause}"));
        err = cause;
    }
    let err = said;
    assert!(err.contains("field 'status'"), "{err}");
    assert!(
        err.contains(r#"RecordedKeyStatus has no code "lost""#),
        "{err}"
    );
}

#[test]
fn migrate_is_idempotent_and_leaves_nothing_pending() {
    on_both(|db| {
        assert!(db.db.migrate().unwrap().is_empty());
        assert!(!kaiji::db::has_pending_migrations(&mut db.conn()).unwrap());
    });
}

/// Rebuilding `requests` on SQLite (to widen its CHECK, then to drop it) keeps every row and every link
/// to it: the upgrade runs over a database holding a request and its notice, foreign keys are still
/// enforced afterwards, new rights and places are accepted, and the queue's counts follow the rows.
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
           'EEA', 'web', 'en', 'Pat', 'p@example.com', 'hi', '[]', '2026-11-01 00:00:00',
           '2026-11-01 00:00:00', NULL);",
    )
    .unwrap();
    // Since places and rights became data (migration 000020) no CHECK pins them: a law added in seeds/
    // needs no migration. The place filed under before keeps its meaning under its ISO code.
    c.batch_execute(
        "INSERT INTO requests (id, receipt_number, tracking_token_sha256, workflow_id, workflow_version, state, version, request_type, jurisdiction, channel, language, subject_name, subject_email, message, facts, received_at, updated_at, closed_at)
           VALUES ('r3', 'R-3', 'tok3', 'gdpr', 2, 'received', 1, 'appeal_decision',
           'US-VA', 'web', 'en', 'Pat', 'p@example.com', 'hi', '[]', '2026-11-01 00:00:00',
           '2026-11-01 00:00:00', NULL);",
    )
    .expect("a right and a place no migration lists");
    #[derive(QueryableByName)]
    struct Place {
        #[diesel(sql_type = Text)]
        jurisdiction: String,
    }
    let r1: Vec<Place> = diesel::sql_query("SELECT jurisdiction FROM requests WHERE id = 'r1'")
        .load(&mut c)
        .unwrap();
    assert_eq!(
        r1[0].jurisdiction, "EEA",
        "the old code moved to the ISO code"
    );
    // The queue's counts follow: the open requests under their current codes, nothing under the old.
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = Text)]
        jurisdiction: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let counts: Vec<Count> = diesel::sql_query(
        "SELECT jurisdiction, SUM(n) AS n FROM (SELECT jurisdiction, n FROM queue_counts \
         UNION ALL SELECT jurisdiction, n FROM queue_count_deltas) GROUP BY jurisdiction ORDER BY jurisdiction",
    )
    .load(&mut c)
    .unwrap();
    assert_eq!(
        counts
            .iter()
            .map(|c| (c.jurisdiction.as_str(), c.n))
            .collect::<Vec<_>>(),
        [("EEA", 2), ("US-VA", 1)]
    );
}

/// `src/db/schema.rs` as the shape it declares: every `table!`'s columns, with the SQL type each maps to
/// and whether it may be NULL.
fn declared_shape() -> Shape {
    // schema.rs and the modules it declares beside it (src/db/schema/*.rs).
    let mut src = std::fs::read_to_string(common::repo_path("src/db/schema.rs")).unwrap();
    let dir = common::repo_path("src/db/schema");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            src.push_str(&std::fs::read_to_string(f).unwrap());
        }
    }
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

/// Every `column IN (…)` CHECK list of the migrated database, by (table, column): SQLite's from each
/// table's definition, PostgreSQL's from its constraints (written there as `col = ANY (ARRAY[…])`).
fn check_lists(db: &TestDb) -> BTreeMap<(String, String), BTreeSet<String>> {
    #[derive(QueryableByName)]
    struct Def {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        def: String,
    }
    let sql = match db.backend {
        Backend::Sqlite => {
            "SELECT name AS table_name, sql AS def FROM sqlite_master
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND sql IS NOT NULL"
        }
        Backend::Postgres => {
            "SELECT conrelid::regclass::text AS table_name, pg_get_constraintdef(oid) AS def
             FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace"
        }
    };
    let quoted = |list: &str| -> BTreeSet<String> {
        list.split(',')
            .filter_map(|v| {
                v.trim()
                    .strip_prefix('\'')?
                    .split('\'')
                    .next()
                    .map(str::to_owned)
            })
            .collect()
    };
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for d in diesel::sql_query(sql).load::<Def>(&mut *db.conn()).unwrap() {
        let mut rest = d.def.as_str();
        loop {
            // `col IN ('a', 'b')` or `(col = ANY (ARRAY['a'::text, 'b'::text]))`
            let (col, list, after) = if let Some(i) = rest.find(" IN (") {
                let col = rest[..i]
                    .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next();
                let end = rest[i + 5..].find(')').map(|e| i + 5 + e);
                match (col, end) {
                    (Some(c), Some(e)) => (c, &rest[i + 5..e], &rest[e..]),
                    _ => break,
                }
            } else if let Some(i) = rest.find(" = ANY (ARRAY[") {
                let col = rest[..i]
                    .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next();
                let end = rest[i + 14..].find(']').map(|e| i + 14 + e);
                match (col, end) {
                    (Some(c), Some(e)) => (c, &rest[i + 14..e], &rest[e..]),
                    _ => break,
                }
            } else {
                break;
            };
            out.entry((d.table_name.clone(), col.to_owned()))
                .or_default()
                .extend(quoted(list));
            rest = after;
        }
    }
    out
}

fn codes<'a>(it: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    it.into_iter().map(str::to_owned).collect()
}

fn check_lists_match(db: &TestDb) {
    use kaiji::app::documents::FilePurpose;
    use kaiji::domain::{
        audit::Actor,
        documents::Holder,
        drp::CallbackStatus,
        fees::{InvoiceStatus, PaymentSource},
        identity::EvidenceKind,
        inquiry::AcknowledgedHow,
        inquiry::InquiryChannel,
        notice::{NoticeChannel, NoticeStatus},
        on_behalf,
        payment_match::MatchedBy,
        postal, preference,
        provision::Direction,
        reply::ChangeAction,
        request, staff, systems,
    };
    use kaiji::security::keys::{KeyKind, RecordedKeyStatus};
    use strum::VariantNames;
    let lists = check_lists(db);
    // Rights, places and languages are data (`seeds/regimes`, `seeds/places`, `templates/i18n`): no
    // CHECK list pins them.
    for (table, column) in [
        ("requests", "request_type"),
        ("requests", "jurisdiction"),
        ("requests", "language"),
        ("notices", "language"),
    ] {
        assert!(
            !lists.contains_key(&(table.to_owned(), column.to_owned())),
            "{:?}: {table}.{column} still has a CHECK list",
            db.backend
        );
    }
    // Each list a Rust enum spells, and that enum's codes.
    let task_statuses = ["open"]
        .into_iter()
        .chain(systems::TaskOutcome::VARIANTS.iter().copied());
    let want: Vec<((&str, &str), BTreeSet<String>)> = vec![
        (("requests", "channel"), codes(request::Channel::codes())),
        (("staff_users", "role"), codes(staff::Role::codes())),
        (("audit_events", "actor_kind"), codes(Actor::KINDS)),
        (
            ("postal_details", "mail_class"),
            codes(postal::MailClass::codes()),
        ),
        (
            ("postal_details", "requester_kind"),
            codes(postal::RequesterKind::codes()),
        ),
        (("system_tasks", "kind"), codes(systems::TaskKind::codes())),
        (("system_tasks", "status"), codes(task_statuses)),
        (("data_changes", "action"), codes(ChangeAction::codes())),
        (("identity_documents", "holder"), codes(Holder::codes())),
        (
            ("request_on_behalf", "kind"),
            codes(on_behalf::OnBehalfKind::codes()),
        ),
        (
            ("request_on_behalf", "guardian_basis"),
            codes(on_behalf::GuardianBasis::VARIANTS.iter().copied()),
        ),
        (("stored_files", "purpose"), codes(FilePurpose::codes())),
        (
            ("privacy_preferences", "value"),
            codes(preference::PreferenceValue::codes()),
        ),
        (
            ("privacy_preferences", "source"),
            codes(preference::PreferenceSource::codes()),
        ),
        (
            ("provision_records", "direction"),
            codes(Direction::codes()),
        ),
        (("inquiries", "channel"), codes(InquiryChannel::codes())),
        (("notices", "status"), codes(NoticeStatus::codes())),
        (("notices", "channel"), codes(NoticeChannel::codes())),
        (("invoices", "status"), codes(InvoiceStatus::codes())),
        (("payments", "source"), codes(PaymentSource::codes())),
        (("payments", "matched_by"), codes(MatchedBy::codes())),
        (("drp_callbacks", "status"), codes(CallbackStatus::codes())),
        (("service_keys", "kind"), codes(KeyKind::codes())),
        (
            ("service_keys", "status"),
            codes(RecordedKeyStatus::codes()),
        ),
        (("identity_evidence", "kind"), codes(EvidenceKind::codes())),
        (
            ("inquiries", "acknowledged_how"),
            codes(AcknowledgedHow::codes()),
        ),
    ];
    for ((table, column), expected) in &want {
        let got = lists
            .get(&((*table).to_owned(), (*column).to_owned()))
            .unwrap_or_else(|| panic!("{:?}: no CHECK list on {table}.{column}", db.backend));
        assert_eq!(got, expected, "{:?}: {table}.{column}", db.backend);
    }
    // Letters are posted by a mail class of the postal desk's.
    let posted = &lists[&("letter_postings".to_owned(), "mail_class".to_owned())];
    assert!(
        posted.is_subset(&codes(postal::MailClass::codes())),
        "{:?}: letter_postings.mail_class {posted:?}",
        db.backend
    );
    // The lists whose codes Rust writes as text where it uses them (statuses, media types, key kinds):
    // named, so that every list is accounted for and a new one must join one group or the other.
    let written_as_text = [
        ("audit_key_handovers", "kind"),
        ("identity_evidence", "media_type"),
        ("letter_postings", "mail_class"),
        ("stored_files", "media_type"),
        ("system_tasks", "export_media_type"),
    ];
    let accounted: BTreeSet<(String, String)> = want
        .iter()
        .map(|(k, _)| k)
        .chain(&written_as_text)
        .map(|(t, c)| ((*t).to_owned(), (*c).to_owned()))
        .collect();
    let found: BTreeSet<(String, String)> = lists.keys().cloned().collect();
    assert_eq!(found, accounted, "{:?}: every CHECK list", db.backend);
}

#[test]
fn every_check_list_is_the_same_on_both_backends_and_matches_its_rust_enum() {
    on_both(check_lists_match);
    let sqlite = check_lists(&TestDb::new(Backend::Sqlite).unwrap());
    if let Some(pg) = TestDb::new(Backend::Postgres) {
        assert_eq!(sqlite, check_lists(&pg), "the backends' CHECK lists differ");
    }
}

/// Migration 000026 on a database that already has systems: one that exports can now also say whether it
/// holds a person's data (`locate`); one that does not export is left as it was. On both backends.
macro_rules! upgrade_to_locate {
    ($conn:expr, $migrations:expr) => {{
        use diesel::connection::SimpleConnection;
        use diesel_migrations::MigrationHarness;
        let c = $conn;
        for _ in 0..25 {
            c.run_next_migration($migrations).unwrap();
        }
        c.batch_execute(
            "INSERT INTO data_systems (id, name, owner_email, categories, retention, deletion_method, active, created_at, updated_at)
               VALUES ('s1', 'Accounts', 'o@example.com', '[\"name\"]', 'r', 'd', TRUE, '2026-11-01 00:00:00', '2026-11-01 00:00:00');
             INSERT INTO data_systems (id, name, owner_email, categories, retention, deletion_method, active, created_at, updated_at, serves)
               VALUES ('s2', 'Shredder', 'o@example.com', '[\"name\"]', 'r', 'd', TRUE, '2026-11-01 00:00:00', '2026-11-01 00:00:00', '[\"erase\"]');",
        )
        .unwrap();
        c.run_pending_migrations($migrations).unwrap();
        #[derive(QueryableByName)]
        struct Serves {
            #[diesel(sql_type = Text)]
            id: String,
            #[diesel(sql_type = Text)]
            serves: String,
        }
        let rows: Vec<Serves> = diesel::sql_query("SELECT id, serves FROM data_systems ORDER BY id")
            .load(c)
            .unwrap();
        let serves: Vec<(String, Vec<String>)> = rows
            .into_iter()
            .map(|r| (r.id, serde_json::from_str(&r.serves).unwrap()))
            .collect();
        assert_eq!(
            serves,
            [
                (
                    "s1".to_owned(),
                    ["export", "erase", "rectify", "restrict", "stop_processing", "locate"]
                        .map(String::from)
                        .to_vec()
                ),
                ("s2".to_owned(), vec!["erase".to_owned()]),
            ]
        );
    }};
}

#[test]
fn systems_that_export_can_locate_after_the_upgrade_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("old.db");
    let mut c = diesel::SqliteConnection::establish(url.to_str().unwrap()).unwrap();
    upgrade_to_locate!(&mut c, kaiji::db::SQLITE_MIGRATIONS);
    let Some(admin) = common::postgres_admin_url() else {
        return;
    };
    let pg = common::PgDatabase::create(&admin);
    let mut c = diesel::PgConnection::establish(&pg.url).unwrap();
    upgrade_to_locate!(&mut c, kaiji::db::POSTGRES_MIGRATIONS);
}
