//! Consistent copies of the database while it serves, and the way back: SQLite's `VACUUM INTO` (one
//! read transaction, so one point in time); PostgreSQL's `pg_dump` in its custom format (one
//! snapshot), checked by reading its table of contents back with `pg_restore --list`.

use std::path::Path;
use std::process::Command;

use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Text};
use secrecy::{ExposeSecret, SecretString};

use super::{AnyConnection, DbError};

/// Copies the SQLite database to `to` (which must not exist) as of one moment.
pub fn sqlite_copy(conn: &mut AnyConnection, to: &Path) -> Result<(), DbError> {
    let path = to
        .to_str()
        .ok_or_else(|| DbError::Backup(format!("{} is not UTF-8", to.display())))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(path)
        .execute(conn)?;
    Ok(())
}

fn run(mut cmd: Command, what: &str) -> Result<(), DbError> {
    let out = cmd.output().map_err(|e| {
        DbError::Backup(format!(
            "{what} could not run ({e}): install PostgreSQL's client tools"
        ))
    })?;
    if out.status.success() {
        return Ok(());
    }
    // The tools' own words (they never print the password).
    let said = String::from_utf8_lossy(&out.stderr);
    Err(DbError::Backup(format!(
        "{what} failed: {}",
        said.lines().take(5).collect::<Vec<_>>().join(" / ")
    )))
}

/// Dumps the PostgreSQL database to `to` with `pg_dump` (custom format), then checks that the dump
/// reads back. (Like `DATABASE_URL` itself, a password in the URL is best kept in `~/.pgpass`.)
pub fn pg_dump(url: &SecretString, to: &Path) -> Result<(), DbError> {
    let mut dump = Command::new("pg_dump");
    dump.args(["--format=custom", "--no-owner", "--file"])
        .arg(to)
        .arg("--dbname")
        .arg(url.expose_secret());
    run(dump, "pg_dump")?;
    let mut list = Command::new("pg_restore");
    list.arg("--list").arg(to);
    run(list, "pg_restore --list (checking the dump)")
}

/// Restores a dump made by [`pg_dump`] into the (empty) database at `url`.
pub fn pg_restore(url: &SecretString, from: &Path) -> Result<(), DbError> {
    let mut restore = Command::new("pg_restore");
    restore
        .args([
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
        ])
        .arg(url.expose_secret())
        .arg(from);
    run(restore, "pg_restore")
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Whether the database holds no tables: a restore goes only into an empty one.
pub fn is_empty(conn: &mut AnyConnection) -> Result<bool, DbError> {
    let sql = match conn {
        AnyConnection::Sqlite(_) => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        AnyConnection::Postgresql(_) => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public'"
        }
    };
    Ok(diesel::sql_query(sql).get_result::<Count>(conn)?.n == 0)
}
