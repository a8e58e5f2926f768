//! Running kaiji: the web service, the worker, and the jobs `serve` also runs every hour.

use anyhow::Context;

use super::audit::announce_key;
use super::{open_db, seed};
use crate::app::{AppState, Clock, staff, workflows};
use crate::config::Config;
use crate::domain::code::Code;
use crate::web;

/// `kaiji purge-documents`
pub(super) fn purge_documents(config: &Config) -> anyhow::Result<()> {
    let db = open_db(config)?;
    let n = crate::app::documents::purge(
        &db,
        &Clock::System,
        config.retention.document_retention_days,
    )?;
    println!(
        "erased {n} file(s) of requests closed more than {} days ago",
        config.retention.document_retention_days
    );
    Ok(())
}

/// `kaiji purge-records`
pub(super) fn purge_records(config: &Config) -> anyhow::Result<()> {
    let db = open_db(config)?;
    let n = crate::app::retention::purge_records(
        &db,
        &Clock::System,
        config.retention.record_retention_months,
        &config.mail_dir(),
    )?;
    println!(
        "erased the personal data of {n} request(s) closed more than {} months ago",
        config.retention.record_retention_months
    );
    Ok(())
}

/// `kaiji expire-unconfirmed`
pub(super) fn expire_unconfirmed(config: &Config) -> anyhow::Result<()> {
    let db = open_db(config)?;
    let catalog = crate::app::workflows::WorkflowCatalog::new(workflows::laws_for(config)?);
    let keys = config.load_keys()?;
    let n = crate::app::confirm::expire_unconfirmed(&db, &catalog, config, &keys, &Clock::System)?;
    println!(
        "closed {n} request(s) not confirmed within {} hours",
        config.intake.confirm_email_hours
    );
    Ok(())
}

/// Refuses to go on with keys other than the ones the other instances use; records the first. The
/// keys come back without those retired since this instance's ring was written.
fn check_key_set(
    db: &crate::db::Db,
    config: &Config,
    keys: crate::config::Keys,
    clock: &Clock,
) -> anyhow::Result<crate::config::Keys> {
    let checked = crate::app::key_set::check_or_record(db, config, &keys, clock)?;
    if !checked.recorded.is_empty() {
        let kinds: Vec<&str> = checked.recorded.iter().map(|k| k.as_str()).collect();
        tracing::info!(?kinds, "recorded this instance's keys as the key set");
    }
    for (kind, id) in &checked.retired {
        tracing::warn!(kind = kind.as_str(), key_id = %id, "this instance holds a retired key: not using it; remove it from the ring");
    }
    Ok(crate::app::key_set::without_retired(keys, &checked.retired))
}

/// `kaiji worker [--once]`
pub(super) fn worker(config: Config, once: bool, every: u64) -> anyhow::Result<()> {
    let keys = config.load_keys()?;
    let db = open_db(&config)?;
    let keys = check_key_set(&db, &config, keys, &Clock::System)?;
    let laws = workflows::laws_for(&config)?;
    let state = AppState::new(db, config, keys, Clock::System, laws);
    if once {
        while let crate::app::sequencer::Pass::Integrated { .. } = crate::app::sequencer::integrate(
            &state.db,
            &state.config,
            &state.keys,
            crate::app::sequencer::BATCH,
        )? {}
        let mailer = crate::notify::Mailer::from_config(&state.config)?;
        let worker = format!("{}-once", std::process::id());
        let r = crate::notify::deliver_due(&state, &mailer, &worker, 10_000)?;
        println!(
            "sent {} notice(s); {} to retry later; {} failed",
            r.sent, r.retrying, r.failed
        );
        return Ok(());
    }
    announce_key(&state)?;
    actix_web::rt::System::new().block_on(async move {
        actix_web::rt::spawn(crate::app::sequencer::run(state.clone()));
        actix_web::rt::spawn(crate::app::jobs::every_hour(state.clone()));
        crate::notify::run_worker(state, std::time::Duration::from_secs(every.max(1))).await
    });
    Ok(())
}

/// `kaiji serve`
pub(super) async fn serve(config: Config) -> anyhow::Result<()> {
    let keys = config.load_keys()?;
    let db = open_db(&config)?;
    let clock = Clock::System;
    if config.service.seeds_dir.join("workflows").is_dir() {
        seed(&db, &config, &clock)?;
    } else {
        tracing::warn!(dir = %config.service.seeds_dir.display(), "no seeds directory; publishing no workflows");
    }
    let laws = workflows::laws_for(&config)?;
    for (id, last) in
        workflows::calendars_ending_soon(&laws.calendars, clock.now().date_naive(), 12)
    {
        tracing::warn!(
            calendar = %id,
            last_year = last,
            "holiday calendar ends within a year: extend seeds/calendars/{id}.toml, or deadlines after {last} cannot be counted"
        );
    }
    if config.intake.bank_account.is_none() {
        tracing::warn!(
            "KAIJI_BANK_ACCOUNT is not set: fee invoices (postal disclosure and purpose notification) will be refused until it is"
        );
    }
    if config.http.require_mfa != crate::config::MfaPolicy::All {
        tracing::warn!(
            policy = ?config.http.require_mfa,
            "KAIJI_REQUIRE_MFA is not `all`: some staff sign in with a password alone (a deviation; see SECURITY.md)"
        );
    }
    let bind = config.http.bind;
    let keys = check_key_set(&db, &config, keys, &clock)?;
    staff::record_start(&db, &clock, &config)?;
    let state = AppState::new(db, config, keys, clock, laws);
    if let Some(token) = staff::issue_setup_link_if_needed(&state).await? {
        // Printed, not logged: the link is a one-time secret for the operator at the console.
        println!(
            "\nNo staff account exists yet. Create the first administrator (link valid {} minutes, usable once):\n  {}/setup/{token}\n",
            state.config.http.setup_link_ttl_minutes, state.config.http.public_url
        );
    }
    // Retention and expiry, every hour (the worker runs the same list).
    actix_web::rt::spawn(crate::app::jobs::every_hour(state.clone()));
    // The audit log's sequencer: one at a time across instances; this one takes part if it holds the
    // log's key.
    announce_key(&state)?;
    actix_web::rt::spawn(crate::app::sequencer::run(state.clone()));
    // The outbox is delivered in the background; `kaiji worker` can run more of these elsewhere.
    actix_web::rt::spawn(crate::notify::run_worker(
        state.clone(),
        std::time::Duration::from_secs(5),
    ));
    let server_state = state.clone();
    let server = actix_web::HttpServer::new(move || web::build_app(server_state.clone()))
        .bind(bind)
        .with_context(|| format!("cannot listen on {bind}"))?;
    tracing::info!(%bind, backend = state.db.backend().as_str(), "kaiji is serving");
    server.run().await?;
    Ok(())
}
