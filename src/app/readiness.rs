//! Whether this instance can serve, for the orchestrator's readiness probe: its database answers and
//! carries every migration.

use diesel::connection::SimpleConnection;

use super::AppState;
use crate::db::{self, DbError};

/// What the probe reports.
pub struct Readiness {
    /// The database's kind (`sqlite`, `postgres`).
    pub database: &'static str,
    /// Why it cannot serve yet; none when it can.
    pub not_ready: Option<NotReady>,
}

pub enum NotReady {
    MigrationsPending,
    DatabaseUnreachable,
}

pub async fn check(state: &AppState) -> Readiness {
    let database = state.db.backend().as_str();
    let pending = state
        .db
        .run(|conn| -> Result<bool, DbError> {
            conn.batch_execute("SELECT 1")?;
            db::has_pending_migrations(conn)
        })
        .await;
    let not_ready = match pending {
        Ok(false) => None,
        Ok(true) => Some(NotReady::MigrationsPending),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Some(NotReady::DatabaseUnreachable)
        }
    };
    Readiness {
        database,
        not_ready,
    }
}
