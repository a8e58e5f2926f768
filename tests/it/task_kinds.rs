//! The task kinds beyond export and erasure (issue 18), on both backends: the registry saying which
//! systems carry out which rights, their purposes and recipients; a rectification closed from the
//! request page with its corrections; a restriction lifted only after the person is told; and bad or
//! out-of-order input refused with nothing written.

use crate::common;

use common::{TestApp, api, field_code, file_id};
use kaiji::domain::staff::Role;
use serde_json::{Value, json};

both_backends!(
    the_registry_says_what_each_system_carries_out_and_whom_it_tells,
    a_rectification_is_closed_from_the_page_with_its_corrections,
    a_restriction_is_lifted_only_after_the_person_is_told,
);

async fn filed(app: &TestApp, right: &str) -> String {
    let id = file_id(
        app,
        json!({"name": "Pat Doe", "email": "pat@example.com", "request_type": right,
               "jurisdiction": "eea", "message": "My postal address is wrong: it is 2-2 New Street."}),
    )
    .await;
    app.confirm_email(&id).await;
    id
}

async fn the_registry_says_what_each_system_carries_out_and_whom_it_tells(app: TestApp) {
    let admin = api(&app, "admin@example.com", Role::Admin).await;
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let base = json!({"name": "Data warehouse", "owner_email": "bi@example.com",
                      "categories": "purchase history", "retention": "25 months",
                      "deletion_method": "Partition rewrite within 30 days"});
    let with = |extra: Value| {
        let mut b = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let before = app.count("data_systems");
    for (extra, field, code) in [
        (
            json!({"serves": "export, shred"}),
            "serves",
            "unknown_task_kind",
        ),
        (
            json!({"recipients": "Mailer GmbH, privacy@mailer.example"}),
            "recipients",
            "recipient_format",
        ),
        (
            json!({"recipients": "broker | X | x@example.com"}),
            "recipients",
            "unknown_recipient_role",
        ),
        (
            json!({"recipients": "processor | X | x@example.com | xx"}),
            "recipients",
            "unknown_language",
        ),
        (
            json!({"recipients": "processor | X | not-an-address"}),
            "recipients",
            "invalid_email",
        ),
    ] {
        let (status, body) = admin
            .post("/api/v1/data-systems", &with(extra.clone()))
            .await;
        assert_eq!(
            (status, field_code(&body, field)),
            (422, Some(code)),
            "{extra}: {body}"
        );
    }
    assert_eq!(app.count("data_systems"), before, "nothing is written");
    let (status, row) = admin
        .post(
            "/api/v1/data-systems",
            &with(
                json!({"serves": "export, erase", "purposes": "analytics\nforecasting",
                         "recipients": "processor | Warehouse Cloud | dpo@warehouse.example | ja"}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{row}");
    assert_eq!(row["serves"], json!(["export", "erase"]));
    assert_eq!(row["purposes"], json!(["analytics", "forecasting"]));
    assert_eq!(
        row["recipients"],
        json!([{"role": "processor", "name": "Warehouse Cloud", "email": "dpo@warehouse.example", "language": "ja"}])
    );
    // A correction asks only the systems that rectify; an erasure asks the warehouse too.
    let c = filed(&app, "correction").await;
    assert_eq!(officer.fire(&c, "start_processing", 1).await.0, 200);
    let tasks = officer.request(&c).await["tasks"].clone();
    assert_eq!(tasks.as_array().unwrap().len(), 4);
    assert!(
        tasks
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["system"] != "Data warehouse" && t["kind"] == "rectify")
    );
    let d = filed(&app, "deletion").await;
    assert_eq!(officer.fire(&d, "start_processing", 1).await.0, 200);
    let tasks = officer.request(&d).await["tasks"].clone();
    assert_eq!(tasks.as_array().unwrap().len(), 5);

    // The page lists them in the reader's words; the form keeps what was typed.
    let desk = app.signed_in("admin2@example.com", Role::Admin).await;
    let page = desk.get("/staff/systems?lang=ja").await;
    assert!(
        page.body.contains("Warehouse Cloud (委託先)"),
        "{}",
        page.body
    );
    assert!(page.body.contains("データの抽出, 消去"), "{}", page.body);
    let bad = desk
        .submit(
            "/staff/systems?lang=en",
            &page,
            &[
                ("name", "Second warehouse"),
                ("owner_email", "bi@example.com"),
                ("categories", "events"),
                ("retention", "1 year"),
                ("deletion_method", "rewrite"),
                ("purposes", "analytics"),
                ("recipients", "processor | Warehouse Cloud"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text_of("recipients-error").is_some(), "{}", bad.body);
    assert!(bad.body.contains("processor | Warehouse Cloud</textarea>"));
    assert!(bad.body.contains("value=\"analytics\""));

    // A registered system is changed in place: recipients added to the seeded help desk.
    let listed = officer.get("/api/v1/data-systems").await;
    let support = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Customer support")
        .unwrap()
        .clone();
    let path = format!("/api/v1/data-systems/{}", support["id"].as_str().unwrap());
    let mut changed = json!({"name": "Customer support", "owner_email": "support-owner@example.com",
                             "categories": "support tickets", "retention": "3 years",
                             "deletion_method": "Deleted from the help desk",
                             "recipients": "processor | Helpdesk SaaS | privacy@helpdesk.example"});
    let (status, _) = officer.post(&path, &changed).await;
    assert_eq!(status, 403, "administrators keep the registry");
    let (status, body) = admin
        .post("/api/v1/data-systems/no-such-system", &changed)
        .await;
    assert_eq!(status, 404, "{body}");
    changed["name"] = json!("Data warehouse");
    let (status, body) = admin.post(&path, &changed).await;
    assert_eq!(
        (status, field_code(&body, "name")),
        (422, Some("system_name_taken"))
    );
    changed["name"] = json!("Customer support");
    let (status, row) = admin.post(&path, &changed).await;
    assert_eq!(status, 200, "{row}");
    assert_eq!(row["recipients"][0]["name"], "Helpdesk SaaS");
    assert_eq!(row["id"], support["id"]);
    assert_eq!(row["active"], true);
    let audit = kaiji::db::audit::list_recent(&mut app.tdb.conn(), 100).unwrap();
    let change = audit
        .iter()
        .find(|e| e.action == "system.changed" && e.details.contains("recipients"))
        .unwrap();
    assert!(
        !change.details.contains("helpdesk.example"),
        "{}",
        change.details
    );
    // On the page: the form comes filled in, and saves.
    let page = desk
        .get(&format!(
            "/staff/systems?lang=en&edit={}",
            support["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        page.body
            .contains("processor | Helpdesk SaaS | privacy@helpdesk.example | en</textarea>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Save the changes"));
    let saved = desk
        .submit(
            &format!("/staff/systems/{}?lang=en", support["id"].as_str().unwrap()),
            &page,
            &[
                ("name", "Customer support"),
                ("owner_email", "support-owner@example.com"),
                ("categories", "support tickets\ncall notes"),
                ("retention", "3 years"),
                ("deletion_method", "Deleted from the help desk"),
                ("serves", "export, erase"),
                ("purposes", "customer support"),
                ("recipients", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let after = officer.get("/api/v1/data-systems").await;
    let support = after
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Customer support")
        .unwrap();
    assert_eq!(support["serves"], json!(["export", "erase"]));
    assert_eq!(support["recipients"], json!([]));
}

async fn a_rectification_is_closed_from_the_page_with_its_corrections(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = filed(&app, "correction").await;
    assert_eq!(officer.fire(&id, "start_processing", 1).await.0, 200);
    let r = officer.request(&id).await;
    let task = common::task(&r, "Customer accounts").clone();
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert!(page.body.contains("name=\"item_1\"") && page.body.contains("name=\"new_value_3\""));
    assert!(
        page.body
            .contains("<option value=\"rectified\">Corrected (record each item)</option>")
    );
    assert!(
        page.body.contains("The data is accurate"),
        "the law's grounds are offered: {}",
        page.body
    );
    let path = format!(
        "/staff/requests/{id}/tasks/{}?lang=en",
        task["id"].as_str().unwrap()
    );
    let form = |item: &str, prior: &str| {
        reqwest::multipart::Form::new()
            .text("csrf_token", page.csrf())
            .text("outcome", "rectified")
            .text("item_1", item.to_owned())
            .text("prior_value_1", prior.to_owned())
            .text("new_value_1", "2-2 New Street")
            .text("note", "Fixed in the CRM")
    };
    // Half a correction: refused, the typed values kept, nothing written.
    let changes_before = app.count("data_changes");
    let bad = desk.post_multipart(&path, form("Postal address", "")).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("value=\"Postal address\""));
    assert!(bad.body.contains("value=\"2-2 New Street\""));
    assert!(bad.body.contains("value=\"Fixed in the CRM\""));
    assert_eq!(app.count("data_changes"), changes_before);
    let ok = desk
        .post_multipart(&path, form("Postal address", "1-1 Old Street"))
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let r = officer.request(&id).await;
    let closed = r["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == task["id"])
        .unwrap();
    assert_eq!(closed["status"], "rectified");
    assert_eq!(
        closed["recipients_told"],
        json!([{"name": "Example Cloud Hosting K.K.", "role": "processor"}])
    );
    let c = &r["reply"]["changes"][0];
    assert_eq!(
        (
            c["item"].as_str(),
            c["prior_value"].as_str(),
            c["new_value"].as_str(),
            c["task_id"].as_str()
        ),
        (
            Some("Postal address"),
            Some("1-1 Old Street"),
            Some("2-2 New Street"),
            task["id"].as_str()
        )
    );
    // Closed once: a replay changes nothing.
    let again = desk
        .post_multipart(&path, form("Postal address", "1-1 Old Street"))
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(app.count("data_changes"), changes_before + 1);
    // The audit names the item, never the values.
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(audit.iter().any(|e| e.action == "request.change_recorded"
        && e.details.contains("Postal address")
        && !e.details.contains("Old Street")));
    assert!(audit.iter().any(|e| e.action == "task.recipients_notified"
        && e.details.contains("\"recipients\":1")
        && !e.details.contains('@')));
    // Over the API: an outcome that does not fit the kind, or too many corrections.
    let other = &r["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "open")
        .unwrap()
        .clone();
    let (status, body) = officer
        .close(&id, other, json!({"outcome": "erased"}))
        .await;
    assert_eq!(
        (status, field_code(&body, "outcome")),
        (422, Some("outcome_not_for_task"))
    );
    let many: Vec<Value> = (0..51)
        .map(|n| json!({"item": format!("item {n}"), "prior_value": "a", "new_value": "b"}))
        .collect();
    let (status, body) = officer
        .close(
            &id,
            other,
            json!({"outcome": "rectified", "corrections": many}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "item")),
        (422, Some("too_many_corrections"))
    );
    let (status, _) = officer
        .close(
            &id,
            other,
            json!({"outcome": "rectified", "corrections": "not a list"}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(app.count("data_changes"), changes_before + 1);
}

async fn a_restriction_is_lifted_only_after_the_person_is_told(app: TestApp) {
    let officer = api(&app, "officer@example.com", Role::Officer).await;
    let id = filed(&app, "restriction").await;
    assert_eq!(officer.fire(&id, "start_processing", 1).await.0, 200);
    let tasks = officer.request(&id).await["tasks"].clone();
    let lift = |task: &Value| {
        format!(
            "/api/v1/requests/{id}/tasks/{}/lift",
            task["id"].as_str().unwrap()
        )
    };
    let first = &tasks[0];
    // Not restricted yet: nothing to lift.
    let (status, body) = officer
        .post(
            &lift(first),
            &json!({"lifted_on": "2027-01-31", "reason": "verified"}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "lifted_on")),
        (422, Some("not_restricted"))
    );
    for t in tasks.as_array().unwrap() {
        let (status, _) = officer
            .close(&id, t, json!({"outcome": "restricted", "purposes": ""}))
            .await;
        assert_eq!(status, 200);
    }
    assert_eq!(officer.fire(&id, "answer", 3).await.0, 200);
    let notices_before = app.count("notices");
    let today = app.clock.now().date_naive();
    for (body, field, code) in [
        (
            json!({"lifted_on": today.to_string(), "reason": "verified"}),
            "lifted_on",
            "lift_not_after_today",
        ),
        (
            json!({"lifted_on": "31/01/2027", "reason": "verified"}),
            "lifted_on",
            "invalid_date",
        ),
        (
            json!({"lifted_on": "2027-01-31", "reason": "  "}),
            "reason",
            "required",
        ),
    ] {
        let (status, res) = officer.post(&lift(first), &body).await;
        assert_eq!(
            (status, field_code(&res, field)),
            (422, Some(code)),
            "{body}"
        );
    }
    let (status, _) = officer
        .post(
            &lift(first),
            &json!({"lifted_on": "2027-01-31", "reason": "x", "extra": 1}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(app.count("notices"), notices_before, "nothing is written");

    let auditor = api(&app, "auditor@example.com", Role::Auditor).await;
    let (status, _) = auditor
        .post(
            &lift(first),
            &json!({"lifted_on": "2027-01-31", "reason": "verified"}),
        )
        .await;
    assert!(status == 403 || status == 401, "{status}");

    let later = (today + chrono::TimeDelta::days(14)).to_string();
    let (status, body) = officer
        .post(
            &lift(first),
            &json!({"lifted_on": later, "reason": "The accuracy of the data has been verified."}),
        )
        .await;
    assert_eq!(
        (status, body["lifted_on"].as_str()),
        (200, Some(later.as_str()))
    );
    let r = officer.request(&id).await;
    let lifting: Vec<&Value> = r["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "restriction_lifting")
        .collect();
    assert_eq!(lifting.len(), 1, "the person is told now, before it ends");
    // The system's recipients, told of the restriction, are told of its end (three restricted systems
    // have recipients; the first one's processor hears again).
    let told = r["notices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "recipient_notified")
        .count();
    assert_eq!(told, 4);
    assert_eq!(r["tasks"][0]["lifted_on"].as_str(), Some(later.as_str()));
    // Replayed: the restriction is already being lifted.
    let (status, body) = officer
        .post(
            &lift(first),
            &json!({"lifted_on": later, "reason": "again"}),
        )
        .await;
    assert_eq!(
        (status, field_code(&body, "lifted_on")),
        (422, Some("not_restricted"))
    );
    let audit = kaiji::db::audit::list_for_request(&mut app.tdb.conn(), &id).unwrap();
    assert!(audit.iter().any(|e| e.action == "task.restriction_lifted"));
    // The person's tracking page shows the notice; the page form keeps a bad date's input.
    let desk = app.signed_in("desk@example.com", Role::Officer).await;
    let page = desk.get(&format!("/staff/requests/{id}?lang=en")).await;
    assert!(page.body.contains("ends on"), "{}", page.body);
    let second = tasks[1]["id"].as_str().unwrap();
    let bad = desk
        .submit(
            &format!("/staff/requests/{id}/tasks/{second}/lift?lang=en"),
            &page,
            &[
                ("lifted_on", "2020-01-01"),
                ("reason", "Because the claim was settled"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("Because the claim was settled"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("Choose a day after today"));
}
