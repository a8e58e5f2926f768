//! Keys rotate (issue 22): a new key signs from the rotation on, the old one keeps verifying and
//! decrypting, and is retired only once nothing needs it. Links already sent, forms already open,
//! evidence already sealed and identity assertions signed with the old key all keep working.

use crate::common;
use crate::rights::{file, open_evidence, png, send_evidence};

use common::{TestApp, api, link_in};
use kaiji::app::key_set::{self, KeySetError};
use kaiji::config::{Keys, SecretBytes};
use kaiji::domain::staff::Role;
use kaiji::security::keys::KeyKind;
use serde_json::json;

both_backends!(
    session_document_and_assertion_keys_rotate_without_breaking_what_was_sent,
    a_ring_kept_in_a_setting_rotates_once_the_operator_puts_the_new_key_first,
    the_audit_key_hands_the_log_over_at_a_checkpoint_both_keys_sign,
);

/// Writes this instance's rings into their key files, where an instance without key settings keeps
/// them (the test app's keys are random and in memory).
fn keep_rings_in_files(app: &TestApp) {
    let data = &app.state.config.service.data_dir;
    std::fs::create_dir_all(data).unwrap();
    let keys = &app.state.keys;
    for (file, ring) in [
        ("session.key", &keys.session),
        ("document.key", &keys.document),
        ("audit-signing.key", &keys.audit),
    ] {
        std::fs::write(data.join(file), ring.to_file_text()).unwrap();
    }
}

/// The app's rings kept in key files and recorded as the key set, as the first start does: the
/// database, settings, clock and the first keys.
fn recorded_in_files(
    app: &TestApp,
) -> (
    kaiji::db::Db,
    std::sync::Arc<kaiji::config::Config>,
    kaiji::app::Clock,
    Keys,
) {
    keep_rings_in_files(app);
    let (db, config, clock) = (
        app.state.db.clone(),
        app.state.config.clone(),
        app.clock.clone(),
    );
    let first = (*app.state.keys).clone();
    key_set::check_or_record(&db, &config, &first, &clock).unwrap();
    (db, config, clock, first)
}

/// The keys after a restart: the rings as the key files now hold them, the assertion ring given.
fn reloaded(app: &TestApp, assertion: Option<kaiji::config::KeyRing>) -> Keys {
    let mut keys = app.state.config.load_keys().unwrap();
    keys.assertion = assertion;
    keys
}

fn assertion_for(key: &[u8], email: &str, now: i64) -> String {
    use base64::Engine;
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!(
        r#"{{"account_id":"ACC-7","email":"{email}","exp":{}}}"#,
        now + 300
    ));
    let sig = kaiji::security::tokens::sign(key, payload.as_bytes());
    format!("{payload}.{sig}")
}

async fn session_document_and_assertion_keys_rotate_without_breaking_what_was_sent(
    mut app: TestApp,
) {
    let (db, config, clock, first) = recorded_in_files(&app);
    let public = config.http.public_url.clone();
    let officer = api(&app, "officer@example.com", Role::Officer).await;

    // Before the rotation. Pat (California) proves who she is with a document and data points,
    // sealed under the first document key.
    let (pat, pat_token) = file(&app, "california", "access", json!({})).await;
    assert_eq!(officer.fire(&pat, "acknowledge", 1).await.0, 200);
    let subject = app.browser();
    let (status, _) = send_evidence(
        &app,
        &subject,
        &pat_token,
        &[("phone", "+1 415 555 0100"), ("postal_code", "94103")],
        Some(("identity_document", png())),
    )
    .await;
    assert_eq!(status, 303);
    // A member starts enrolling an authenticator: its secret is sealed under the document key too.
    let member = app
        .staff("member@example.com", Role::Officer, common::PASSWORD)
        .await;
    let enrolling = kaiji::app::mfa::enrolment(&app.state, &member)
        .await
        .unwrap()
        .unwrap()
        .secret_base32;
    // Kim files too; the mail asking her to confirm her address is sent before the rotation.
    let kim = app
        .browser()
        .post_json(
            "/api/v1/requests",
            &json!({"name": "Kim Lee", "email": "kim@example.com", "request_type": "access",
                    "jurisdiction": "california", "message": "My data.", "language": "en"}),
        )
        .await;
    assert_eq!(kim.status, 201, "{}", kim.body);
    let (kim_id, kim_token) = (
        kim.json()["id"].as_str().unwrap().to_owned(),
        kim.json()["tracking_token"].as_str().unwrap().to_owned(),
    );
    let mails = common::delivered_over_smtp(&app).await;
    let to_kim = common::texts_to(&mails, "kim@example.com");
    let confirm = to_kim
        .iter()
        .find(|t| t.contains(&format!("{public}/confirm/")))
        .map(|t| link_in(t, &public, "/confirm/"))
        .expect("Kim's confirmation mail");
    // A requester has the request form open; its CSRF token is signed with the first session key.
    let form = subject.get("/?lang=en").await;
    let old_csrf = form.csrf();
    // The company's login signs assertions with its first key.
    let first_assertion = first.assertion.clone().unwrap();
    let assertion = assertion_for(
        first_assertion.expose(),
        "kim@example.com",
        app.clock.now().timestamp(),
    );

    // Rotate the session and document keys (written into their key files) and the assertion key
    // (kept in a setting: the operator puts the new key first).
    let session = key_set::rotate(&db, &config, &first, &clock, KeyKind::Session).unwrap();
    let document = key_set::rotate(&db, &config, &first, &clock, KeyKind::Document).unwrap();
    assert!(session.written.is_some() && document.written.is_some());
    assert_eq!(session.previous, first.session.signer_id());
    let assertion_ring = first_assertion.with_new_signer(SecretBytes::random(32));
    let mut staged = reloaded(&app, Some(assertion_ring.clone()));
    let rotated = key_set::rotate(&db, &config, &staged, &clock, KeyKind::Assertion).unwrap();
    assert!(rotated.written.is_none());
    assert_eq!(rotated.key_id, assertion_ring.signer_id());
    for kind in ["session", "document", "assertion"] {
        assert!(
            common::audited(&app, "key.rotated")
                .iter()
                .any(|d| d.contains(&format!("\"kind\":\"{kind}\""))),
            "{kind} rotation audited"
        );
    }
    // An instance still holding only the old keys refuses to start, naming the setting; one with
    // the new rings starts.
    match key_set::check_or_record(&db, &config, &first, &clock) {
        Err(KeySetError::RotatedOut { setting, .. }) => assert_eq!(setting, "KAIJI_SESSION_KEY"),
        other => panic!("an instance with the old session key must refuse: {other:?}"),
    }
    key_set::check_or_record(&db, &config, &staged, &clock).unwrap();
    assert_eq!(staged.session.key_count(), 2);
    assert_ne!(staged.session.signer_id(), first.session.signer_id());
    app.restart_with_keys(staged.clone()).await;

    // After the restart: Kim's confirmation link from before still confirms.
    let b = app.browser();
    let page = b.get(&confirm).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let done = b.submit(&confirm, &page, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    // The form opened before the rotation still submits.
    let filed = subject
        .post_form(
            "/requests",
            &[
                ("csrf_token", &old_csrf),
                ("name", "Pat Doe"),
                ("email", "pat@example.com"),
                ("request_type", "deletion"),
                ("jurisdiction", "california"),
                ("message", "And delete it."),
            ],
        )
        .await;
    assert_eq!(filed.status, 303, "{}", filed.body);
    // Mail about Kim's request, written after the rotation, still carries her tracking link: it
    // is derived again with the key her token came from.
    assert_eq!(officer.fire(&kim_id, "acknowledge", 1).await.0, 200);
    let mails = common::delivered_over_smtp(&app).await;
    let to_kim = common::texts_to(&mails, "kim@example.com");
    assert!(
        to_kim
            .iter()
            .any(|t| t.contains(&format!("{public}/track/{kim_token}"))),
        "{to_kim:?}"
    );
    // A request filed now records the new session key as its token's.
    let newest = kaiji::db::requests::list_open(&mut app.tdb.conn(), 100)
        .unwrap()
        .into_iter()
        .map(|r| kaiji::db::requests::find(&mut app.tdb.conn(), &r.id.as_str().into()))
        .filter_map(|r| r.unwrap())
        .filter(|r| r.request_type == "deletion")
        .collect::<Vec<_>>();
    assert_eq!(newest.len(), 1);
    assert_eq!(
        newest[0].token_key_id.as_deref(),
        Some(session.key_id.as_str())
    );
    // The identity assertion signed with the company's old key still verifies Kim.
    let page = app
        .browser()
        .get(&format!(
            "/track/{kim_token}/account-verified?assertion={assertion}&lang=en"
        ))
        .await;
    assert!(page.status < 400, "{}: {}", page.status, page.body);
    // The evidence sealed under the first document key still opens.
    let evidence = officer.request(&pat).await["evidence"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(evidence.len(), 2);
    let document_path = evidence
        .iter()
        .find(|e| e["kind"] == "identity_document")
        .unwrap()["open"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(open_evidence(&officer, &document_path).await, (200, png()));

    // The old keys are still needed: retiring them is refused, saying why.
    let refused = |kind: KeyKind, id: &str| {
        key_set::retire(&db, &config, &staged, &clock, kind, id)
            .unwrap_err()
            .to_string()
    };
    let why = refused(KeyKind::Session, &session.previous);
    assert!(why.contains("request(s) still kept"), "{why}");
    let why = refused(KeyKind::Document, &document.previous);
    assert!(why.contains("3 sealed item(s)"), "{why}");
    let why = refused(KeyKind::Session, &session.key_id);
    assert!(why.contains("signs"), "{why}");

    // Re-encryption seals the three items again under the new key, audited; then the old document
    // key retires, leaves the key file, and the evidence and the secret open with the new key alone.
    let mut seen = Vec::new();
    let report = kaiji::app::reencrypt::reencrypt(&db, &staged, &clock, &mut |done, total| {
        seen.push((done, total))
    })
    .unwrap();
    assert_eq!((report.resealed, report.unreadable), (3, 0), "{report:?}");
    assert_eq!(seen.last(), Some(&(report.checked, report.checked)));
    assert!(
        kaiji::app::reencrypt::survey(&db, &staged)
            .unwrap()
            .under
            .is_empty()
    );
    assert_eq!(common::audited(&app, "key.reencrypted").len(), 1);
    let written = key_set::retire(
        &db,
        &config,
        &staged,
        &clock,
        KeyKind::Document,
        &document.previous,
    )
    .unwrap();
    assert!(written.is_some(), "the old key leaves the key file");
    assert_eq!(common::audited(&app, "key.retired").len(), 1);
    staged = reloaded(&app, Some(assertion_ring.clone()));
    assert_eq!(staged.document.key_count(), 1);
    key_set::check_or_record(&db, &config, &staged, &clock).unwrap();
    // The assertion key retires freely: nothing is kept under it.
    key_set::retire(
        &db,
        &config,
        &staged,
        &clock,
        KeyKind::Assertion,
        &first_assertion.signer_id(),
    )
    .unwrap();
    let checked = key_set::check_or_record(&db, &config, &staged, &clock).unwrap();
    assert_eq!(
        checked.retired,
        vec![(KeyKind::Assertion, first_assertion.signer_id())],
        "a retired key still in a ring is reported, and dropped"
    );
    let pruned = key_set::without_retired(staged.clone(), &checked.retired);
    assert_eq!(pruned.assertion.as_ref().unwrap().key_count(), 1);
    app.restart_with_keys(pruned).await;
    assert_eq!(open_evidence(&officer, &document_path).await, (200, png()));
    let reopened = kaiji::app::mfa::enrolment(&app.state, &member)
        .await
        .unwrap()
        .unwrap()
        .secret_base32;
    assert_eq!(reopened, enrolling, "the same secret, sealed again");
    let page = app
        .browser()
        .get(&format!(
            "/track/{kim_token}/account-verified?assertion={assertion}&lang=en"
        ))
        .await;
    assert!(
        page.status >= 400,
        "a retired assertion key verifies nothing: {}",
        page.status
    );
    // An instance without the old session key, which requests still need, refuses to start.
    let mut lacking = reloaded(&app, None);
    lacking.session = lacking
        .session
        .without(std::slice::from_ref(&session.previous))
        .unwrap();
    match key_set::check_or_record(&db, &config, &lacking, &clock) {
        Err(KeySetError::Lacks { missing, .. }) => assert_eq!(missing, session.previous),
        other => panic!("an instance lacking a verify-only key must refuse: {other:?}"),
    }
}

async fn a_ring_kept_in_a_setting_rotates_once_the_operator_puts_the_new_key_first(app: TestApp) {
    // Keys given as settings (no key files): rotating asks for the new key first.
    let mut config = (*app.state.config).clone();
    let keys = (*app.state.keys).clone();
    config.set_key_setting(KeyKind::Session, &keys.session);
    let (db, clock) = (app.state.db.clone(), app.clock.clone());
    key_set::check_or_record(&db, &config, &keys, &clock).unwrap();
    let why = key_set::rotate(&db, &config, &keys, &clock, KeyKind::Session)
        .unwrap_err()
        .to_string();
    assert!(
        why.contains("KAIJI_SESSION_KEY is set in the configuration")
            && why.contains("kaiji keys generate session"),
        "{why}"
    );
    // A ring whose new key does not keep the active one after it is a replacement, not a rotation.
    let mut replaced = keys.clone();
    replaced.session = kaiji::config::KeyRing::single(SecretBytes::random(64));
    let why = key_set::rotate(&db, &config, &replaced, &clock, KeyKind::Session)
        .unwrap_err()
        .to_string();
    assert!(why.contains("kaiji keys adopt session"), "{why}");
    // New key first, the old one after it: recorded.
    let mut next = keys.clone();
    next.session = keys.session.with_new_signer(SecretBytes::random(64));
    let r = key_set::rotate(&db, &config, &next, &clock, KeyKind::Session).unwrap();
    assert_eq!(r.key_id, next.session.signer_id());
    key_set::check_or_record(&db, &config, &next, &clock).unwrap();
}

/// The audit key rotates without breaking the log's history: the next checkpoint is signed by both
/// keys (an auditor holding the old verifier key checks it, and carries on with the new one),
/// checkpoints before it verify under the old key, after it under the new; a checkpoint an auditor
/// kept from before still checks against the log; the old key retires once the log was handed over.
async fn the_audit_key_hands_the_log_over_at_a_checkpoint_both_keys_sign(mut app: TestApp) {
    use kaiji::domain::tlog::open_checkpoint;
    let (db, config, clock, first) = recorded_in_files(&app);
    common::file_id(&app, json!({})).await;
    let before = app.seal().await;
    assert!(before > 0);
    let latest = |app: &TestApp| {
        kaiji::db::tlog::latest_checkpoint(&mut app.tdb.conn())
            .unwrap()
            .unwrap()
    };
    let kept = latest(&app).note;
    let old_vkey = kaiji::app::audit_key::key_status(&db, &config, &first).unwrap();
    let kaiji::app::audit_key::KeyStatus::Recorded {
        verifier_key: old_vkey,
    } = old_vkey
    else {
        panic!("the first key signs: {old_vkey:?}")
    };

    let rotated = key_set::rotate(&db, &config, &first, &clock, KeyKind::Audit).unwrap();
    assert!(rotated.written.is_some());
    let keys = reloaded(&app, first.assertion.clone());
    assert_eq!(keys.audit.key_count(), 2);
    key_set::check_or_record(&db, &config, &keys, &clock).unwrap();
    // Until the handover the log names the old key, which cannot retire yet.
    let why = key_set::retire(
        &db,
        &config,
        &keys,
        &clock,
        KeyKind::Audit,
        &rotated.previous,
    )
    .unwrap_err()
    .to_string();
    assert!(why.contains("still names it"), "{why}");
    app.restart_with_keys(keys.clone()).await;
    let status = kaiji::app::audit_key::key_status(&db, &config, &keys).unwrap();
    assert!(
        matches!(status, kaiji::app::audit_key::KeyStatus::HandingOver { .. }),
        "{status:?}"
    );

    // The next checkpoint (it covers the rotation's own audit event) is signed by both keys.
    let handover = app.seal().await;
    assert!(handover > before);
    let both = latest(&app);
    assert_eq!(both.size, handover);
    let new_vkey = match kaiji::app::audit_key::key_status(&db, &config, &keys).unwrap() {
        kaiji::app::audit_key::KeyStatus::Recorded { verifier_key } => verifier_key,
        other => panic!("the log is handed over: {other:?}"),
    };
    assert_ne!(new_vkey, old_vkey);
    for vkey in [&old_vkey, &new_vkey] {
        assert!(
            open_checkpoint(both.note.as_bytes(), vkey).is_ok(),
            "{vkey}"
        );
    }
    assert_eq!(
        kaiji::db::tlog::handovers(&mut app.tdb.conn()).unwrap(),
        vec![kaiji::domain::tlog::Handover {
            at: handover as u64,
            previous: old_vkey.clone(),
            next: new_vkey.clone(),
            backup_size: None,
        }]
    );
    // After it, the new key alone signs.
    common::file_id(&app, json!({"email": "kim@example.com"})).await;
    let after = app.seal().await;
    let newest = latest(&app);
    assert_eq!(newest.size, after);
    assert!(open_checkpoint(newest.note.as_bytes(), &new_vkey).is_ok());
    assert!(open_checkpoint(newest.note.as_bytes(), &old_vkey).is_err());

    // The whole log verifies, each checkpoint under its key, and the checkpoint kept from before the
    // rotation is still consistent with it; proofs against it work too.
    let report = {
        let (db, kept) = (db.clone(), vec![kept.clone(), both.note.clone()]);
        tokio::task::spawn_blocking(move || kaiji::app::audit_verify::verify(&db, &kept))
            .await
            .unwrap()
            .unwrap()
    };
    assert!(report.intact, "{report:?}");
    assert_eq!(report.verifier_key.as_deref(), Some(new_vkey.as_str()));
    let check = {
        let (db, config, keys, kept) = (db.clone(), config.clone(), keys.clone(), kept.clone());
        tokio::task::spawn_blocking(move || {
            kaiji::app::audit_proofs::verify_against(&db, &config, &keys, kept.as_bytes())
        })
        .await
        .unwrap()
        .unwrap()
    };
    assert!(check.consistent, "{check:?}");
    // A checkpoint of a size before the handover, signed by the new key, is refused: each size has
    // its key.
    let forged = kaiji::domain::tlog::LogKey::new(&config.audit.audit_origin, &keys.audit_seed())
        .unwrap()
        .sign_checkpoint(
            before as u64,
            kaiji::domain::tlog::from_base64(
                &kaiji::db::tlog::checkpoint(&mut app.tdb.conn(), before)
                    .unwrap()
                    .unwrap()
                    .root_hash,
            )
            .unwrap(),
        )
        .unwrap();
    let report = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || kaiji::app::audit_verify::verify(&db, &[forged]))
            .await
            .unwrap()
            .unwrap()
    };
    assert!(!report.intact, "{report:?}");

    // Handed over, the old key retires and leaves the key file; the log goes on under the new key.
    key_set::retire(
        &db,
        &config,
        &keys,
        &clock,
        KeyKind::Audit,
        &rotated.previous,
    )
    .unwrap();
    let keys = reloaded(&app, first.assertion.clone());
    assert_eq!(keys.audit.key_count(), 1);
    key_set::check_or_record(&db, &config, &keys, &clock).unwrap();
    app.restart_with_keys(keys).await;
    common::file_id(&app, json!({"email": "lee@example.com"})).await;
    assert!(app.seal().await > after);
    let report = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || kaiji::app::audit_verify::verify(&db, &[kept]))
            .await
            .unwrap()
            .unwrap()
    };
    assert!(report.intact, "{report:?}");
    assert_eq!(common::audited(&app, "key.retired").len(), 1);
}
