//! Probes for orchestrators: liveness (the process answers) and readiness (the database answers and is
//! fully migrated).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::app::AppState;
use crate::db::{self, DbError};
use diesel::connection::SimpleConnection;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let backend = state.db.backend().as_str();
    let check = state
        .db
        .run(|conn| -> Result<bool, DbError> {
            conn.batch_execute("SELECT 1")?;
            db::has_pending_migrations(conn)
        })
        .await;
    match check {
        Ok(false) => HttpResponse::Ok().json(json!({"status": "ready", "database": backend})),
        Ok(true) => HttpResponse::ServiceUnavailable().json(
            json!({"status": "not_ready", "database": backend, "reason": "migrations_pending"}),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "not_ready", "database": backend, "reason": "database_unreachable"}))
        }
    }
}
