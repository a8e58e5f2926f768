//! Probes for orchestrators: liveness (the process answers) and readiness (the database answers and is
//! fully migrated).

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::app::AppState;
use crate::app::readiness::{self, NotReady};

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let r = readiness::check(&state).await;
    let reason = match r.not_ready {
        None => return HttpResponse::Ok().json(json!({"status": "ready", "database": r.database})),
        Some(NotReady::MigrationsPending) => "migrations_pending",
        Some(NotReady::DatabaseUnreachable) => "database_unreachable",
    };
    HttpResponse::ServiceUnavailable()
        .json(json!({"status": "not_ready", "database": r.database, "reason": reason}))
}
