//! Probes: `/healthz` answers while the process runs; `/readyz` only once the database answers and every
//! migration is applied.

use crate::common;

use std::net::TcpListener;

use common::{PgDatabase, postgres_admin_url, t0};
use kaiji::app::{AppState, Clock};
use kaiji::config::{Config, DatabaseUrl, Keys};
use kaiji::db::Db;
use secrecy::SecretString;

async fn probe_unmigrated(database: DatabaseUrl, dir: &std::path::Path) {
    let db = Db::open(&database, 2).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let state = AppState::new(
        db.clone(),
        Config::for_dir(dir, database),
        Keys::random(),
        Clock::fixed(t0()),
        common::laws(),
    );
    let server = actix_web::HttpServer::new(move || kaiji::web::build_app(state.clone()))
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let client = common::http_client();
    let get = |path: &'static str| {
        let client = client.clone();
        async move {
            let r = client
                .get(format!("http://{addr}{path}"))
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    assert_eq!(
        get("/healthz").await,
        (200, serde_json::json!({"status": "ok"}))
    );
    let (status, body) = get("/readyz").await;
    assert_eq!(status, 503);
    assert_eq!(body["reason"], "migrations_pending");
    db.migrate().unwrap();
    let (status, body) = get("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    handle.stop(false).await;
}

#[actix_web::test]
async fn readyz_waits_for_migrations_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    probe_unmigrated(DatabaseUrl::Sqlite(dir.path().join("k.db")), dir.path()).await;
}

#[actix_web::test]
async fn readyz_waits_for_migrations_on_postgres() {
    let Some(admin) = postgres_admin_url() else {
        return;
    };
    let pg = PgDatabase::create(&admin);
    let dir = tempfile::tempdir().unwrap();
    probe_unmigrated(
        DatabaseUrl::Postgres(SecretString::from(pg.url.clone())),
        dir.path(),
    )
    .await;
}
