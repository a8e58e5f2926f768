//! Persistence: one connection type over SQLite and PostgreSQL, a pool, embedded per-backend migrations,
//! and the repositories. Nothing outside this module writes SQL.

pub mod approvals;
pub mod audit;
pub mod audit_browse;
pub mod backup;
pub mod clocks;
pub mod codes;
pub mod documents;
pub mod drp;
pub mod evidence;
pub mod fees;
pub mod ids;
pub mod inquiries;
pub mod intake_hits;
pub mod job_runs;
pub mod metrics;
pub mod mfa;
pub mod notes;
pub mod notices;
pub mod postal;
pub mod postings;
pub mod preferences;
pub mod provision;
pub mod queue_counts;
pub mod replies;
pub mod requests;
pub mod retention;
pub mod schema;
pub mod sealed;
pub mod service_keys;
pub mod sign_in;
pub mod staff;
pub mod synth;
pub mod systems;
pub mod tlog;
pub mod workflows;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, Pool, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::ExposeSecret;

use crate::config::DatabaseUrl;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever backend the configuration names.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("could not open the database: {0}")]
    Open(String),
    #[error("migrations failed: {0}")]
    Migration(String),
    #[error("the database task was cancelled")]
    Cancelled,
    #[error("backup or restore failed: {0}")]
    Backup(String),
}

impl DbError {
    /// A unique or primary-key constraint refused the write.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

/// SQLite settings every connection needs: a wait instead of an immediate "database is locked" (first, as
/// switching to WAL itself needs the lock while the pool opens connections in parallel), write-ahead
/// logging so readers never block the writer, and enforced foreign keys.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

/// Opens connections for the pool, choosing the backend from the URL (never by trial and error).
#[derive(Debug)]
pub struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let mut c = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                c.batch_execute(SQLITE_PRAGMAS)
                    .map_err(r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(c))
            }
            DatabaseUrl::Postgres(url) => PgConnection::establish(url.expose_secret())
                .map(AnyConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The connection pool. Cheap to clone; every use runs on the blocking thread pool.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    backend: Backend,
}

impl Db {
    /// Opens the pool. For SQLite the file (and its directory) is created on first use.
    pub fn open(url: &DatabaseUrl, pool_size: u32) -> Result<Self, DbError> {
        let backend = match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|e| DbError::Open(format!("{}: {e}", dir.display())))?;
                }
                // A database an older version created under a looser umask is the owner's alone too.
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    crate::security::files::tighten(std::path::Path::new(&file))
                        .map_err(|e| DbError::Open(format!("{}: {e}", path.display())))?;
                }
                // Write-ahead logging is a property of the file: switched on here by one connection,
                // before the pool opens its connections in parallel. Switching needs the write lock,
                // and SQLite refuses a lock upgrade at once (no busy wait) when that could deadlock,
                // so on a fresh file the pool's parallel switches logged "database is locked".
                Manager { url: url.clone() }
                    .connect()
                    .map_err(|e| DbError::Open(format!("{}: {e}", path.display())))?;
                Backend::Sqlite
            }
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        };
        let pool = Pool::builder()
            .max_size(pool_size)
            .connection_timeout(std::time::Duration::from_secs(10))
            .build(Manager { url: url.clone() })
            .map_err(|e| DbError::Open(e.to_string()))?;
        Ok(Self { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection for synchronous callers (the command line, tests).
    pub fn conn(&self) -> Result<r2d2::PooledConnection<Manager>, DbError> {
        Ok(self.pool.get()?)
    }

    /// Runs diesel work on the blocking pool so the async executor never waits on the database.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            f(&mut conn)
        })
        .await
        .map_err(|_| E::from(DbError::Cancelled))?
    }

    /// `run` inside one write transaction (`write_tx`): the shape of every use case that changes data.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.run(move |conn| write_tx(conn, f)).await
    }

    pub fn migrate(&self) -> Result<Vec<String>, DbError> {
        migrate(&mut *self.conn()?)
    }
}

/// Whether the connection's backend has migrations not yet applied (the service is then not ready).
pub fn has_pending_migrations(conn: &mut AnyConnection) -> Result<bool, DbError> {
    let pending = match conn {
        AnyConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        AnyConnection::Postgresql(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
    };
    pending.map_err(|e| DbError::Migration(e.to_string()))
}

/// Applies the migrations of the connection's backend, then the one data step SQL cannot do on both
/// (closures carried into the audit log at the upgrade to the tree); returns the versions applied.
pub fn migrate(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    };
    let applied: Vec<String> = applied
        .map(|versions| versions.iter().map(|v| v.to_string()).collect())
        .map_err(|e| DbError::Migration(e.to_string()))?;
    audit::carry_over_closures(conn)?;
    Ok(applied)
}

/// Runs `f` in a write transaction, committed only if `f` succeeds.
///
/// On SQLite the transaction starts with `BEGIN IMMEDIATE`, taking the write lock up front: a deferred
/// transaction that reads and then writes can fail with "database is locked" without waiting.
pub fn write_tx<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        AnyConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
        }
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match f(conn) {
        Ok(value) => match finish(conn, true) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = finish(conn, false);
                Err(e.into())
            }
        },
        Err(e) => {
            let _ = finish(conn, false);
            Err(e)
        }
    }
}

/// Runs `f` in a read-only transaction that sees one snapshot throughout: PostgreSQL's REPEATABLE READ,
/// and on SQLite a deferred transaction (under WAL its snapshot is fixed by its first read).
pub fn snapshot_tx<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?,
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        )?,
    }
    let result = f(conn);
    // Nothing was written: ending the transaction either way releases the snapshot.
    let ended = finish(conn, result.is_ok());
    let value = result?;
    ended?;
    Ok(value)
}

/// Exports the current transaction's snapshot (PostgreSQL), for other connections to read the same
/// data: valid while this transaction lasts.
pub fn export_snapshot(conn: &mut AnyConnection) -> QueryResult<String> {
    #[derive(diesel::QueryableByName)]
    struct Snapshot {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    diesel::RunQueryDsl::get_result::<Snapshot>(
        diesel::sql_query("SELECT pg_export_snapshot() AS id"),
        conn,
    )
    .map(|s| s.id)
}

/// Runs `f` in a read-only transaction that reads the snapshot another transaction exported
/// (PostgreSQL's SET TRANSACTION SNAPSHOT).
pub fn imported_snapshot_tx<T, E, F>(conn: &mut AnyConnection, snapshot: &str, f: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    // Snapshot ids are PostgreSQL's own (hex digits and dashes); anything else is refused, not quoted.
    if !snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(diesel::result::Error::QueryBuilderError("snapshot id".into()).into());
    }
    snapshot_tx(conn, |conn| {
        conn.batch_execute(&format!("SET TRANSACTION SNAPSHOT '{snapshot}'"))?;
        f(conn)
    })
}

fn finish(conn: &mut AnyConnection, commit: bool) -> QueryResult<()> {
    match (conn, commit) {
        (AnyConnection::Sqlite(c), true) => AnsiTransactionManager::commit_transaction(c),
        (AnyConnection::Sqlite(c), false) => AnsiTransactionManager::rollback_transaction(c),
        (AnyConnection::Postgresql(c), true) => AnsiTransactionManager::commit_transaction(c),
        (AnyConnection::Postgresql(c), false) => AnsiTransactionManager::rollback_transaction(c),
    }
}

/// Conversions at the row/domain edge: timestamps are stored as UTC without a zone.
pub fn to_db_time(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    t.naive_utc()
}

pub fn from_db_time(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

/// Makes instances take turns until the transaction ends where each may write the same shared record:
/// started together, each publishes the seeds and records its key set, and the second must see the
/// first's rows instead of racing it to a duplicate key. On SQLite the write transaction
/// (`BEGIN IMMEDIATE`) already is the turn.
pub fn take_turn(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        // The lock's name predates key sets and registries; instances of every version share it.
        AnyConnection::Postgresql(_) => diesel::RunQueryDsl::execute(
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext('kaiji.publish')::bigint)"),
            conn,
        )
        .map(|_| ()),
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
