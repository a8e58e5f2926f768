//! Staff lifecycle: administrators list staff, change roles and disable or enable accounts (page, API,
//! CLI), each audited; a disabled member's sessions and tokens stop at once; auditors export who holds
//! which role and token; the last administrator stays one.

use common::TestApp;
use kaiji::domain::staff::Role;
use serde_json::Value;

use crate::common;

both_backends!(
    an_admin_changes_roles_and_disabling_ends_sessions_and_tokens_at_once,
    auditors_read_and_export_who_holds_what_and_the_last_admin_stays,
    an_admin_signs_everyone_out_at_once,
);

fn id_of(list: &Value, email: &str) -> String {
    list.as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == email)
        .unwrap_or_else(|| panic!("{email} not listed: {list}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn an_admin_changes_roles_and_disabling_ends_sessions_and_tokens_at_once(app: TestApp) {
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let officer = app.signed_in("officer@example.com", Role::Officer).await;
    let officer_api = common::api(&app, "officer-api@example.com", Role::Officer).await;
    let admin_api = common::api(&app, "admin-api@example.com", Role::Admin).await;
    assert_eq!(officer.get("/staff/requests").await.status, 200);
    let list = admin_api.get("/api/v1/staff").await;
    let officer_id = id_of(&list, "officer@example.com");

    // The page: an officer becomes an auditor; their open session has the new role at once.
    let page = admin.get("/staff/people").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("officer@example.com"));
    let res = admin
        .submit(
            &format!("/staff/people/{officer_id}/role"),
            &page,
            &[("role", "auditor")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(officer.get("/staff/requests").await.status, 403);
    assert_eq!(officer.get("/staff/audit").await.status, 200);
    let changed = common::audited(&app, "staff.role_changed");
    assert_eq!(changed.len(), 1);
    assert!(
        changed[0].contains("\"from\":\"officer\"") && changed[0].contains("\"to\":\"auditor\"")
    );
    // A role that does not exist is refused on the page, nothing changed.
    let res = admin
        .submit(
            &format!("/staff/people/{officer_id}/role"),
            &page,
            &[("role", "owner")],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text_of("problem").is_some());

    // Disabling over the API ends the member's sessions and revokes their tokens in one step.
    let api_member = id_of(&list, "officer-api@example.com");
    assert_eq!(officer_api.get_page("/api/v1/queue").await.status, 200);
    let (status, _) = admin_api
        .post(
            &format!("/api/v1/staff/{api_member}/disable"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(officer_api.get_page("/api/v1/queue").await.status, 401);
    // And on the page, for the browser member.
    let page = admin.get("/staff/people").await;
    let res = admin
        .submit(&format!("/staff/people/{officer_id}/disable"), &page, &[])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(officer.get("/staff/audit").await.status, 303, "signed out");
    let disabled = common::audited(&app, "staff.disabled");
    assert_eq!(disabled.len(), 2);
    assert!(
        disabled.iter().any(|d| d.contains("\"tokens_revoked\":1")),
        "{disabled:?}"
    );
    assert!(
        disabled.iter().any(|d| d.contains("\"sessions_ended\":1")),
        "{disabled:?}"
    );
    // A disabled member cannot sign in; the answer is the usual one.
    let b = app.browser();
    let res = b.login("officer@example.com", common::PASSWORD).await;
    assert_eq!(res.status, 401);

    // Enabled again, they sign in; the revoked token stays revoked.
    let page = admin.get("/staff/people").await;
    assert!(page.body.contains("class=\"inactive\""));
    let res = admin
        .submit(&format!("/staff/people/{officer_id}/enable"), &page, &[])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        b.login("officer@example.com", common::PASSWORD)
            .await
            .status,
        303
    );
    let (status, _) = admin_api
        .post(
            &format!("/api/v1/staff/{api_member}/enable"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(officer_api.get_page("/api/v1/queue").await.status, 401);
    assert_eq!(common::audited(&app, "staff.enabled").len(), 2);
    // The API changes roles too.
    let (status, _) = admin_api
        .post(
            &format!("/api/v1/staff/{officer_id}/role"),
            &serde_json::json!({"role": "officer"}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(b.get("/staff/requests").await.status, 200);
    // A lost laptop: the administrator ends the member's sessions and leaves the account as it is.
    let (status, _) = admin_api
        .post(
            &format!("/api/v1/staff/{officer_id}/sessions/end"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 204);
    assert_eq!(b.get("/staff/requests").await.status, 303);
    let ended = common::audited(&app, "staff.sessions_ended");
    assert!(
        ended.len() == 1 && ended[0].contains("\"sessions_ended\":1"),
        "{ended:?}"
    );
    assert_eq!(
        b.login("officer@example.com", common::PASSWORD)
            .await
            .status,
        303
    );
}

async fn auditors_read_and_export_who_holds_what_and_the_last_admin_stays(app: TestApp) {
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let _officer = common::api(&app, "officer@example.com", Role::Officer).await;
    let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;
    let auditor_api = common::api(&app, "auditor-api@example.com", Role::Auditor).await;
    let list = auditor_api.get("/api/v1/staff").await;
    let officer = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["email"] == "officer@example.com")
        .unwrap();
    assert_eq!(officer["role"], "officer");
    assert_eq!(officer["tokens"].as_array().unwrap().len(), 1);
    assert!(
        !list.to_string().contains("sha256"),
        "never a token's digest"
    );
    // The page, read-only for auditors, and its CSV.
    let page = auditor.get("/staff/people").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("/disable"), "auditors change nothing");
    let csv = auditor.get("/staff/people.csv").await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.body
            .starts_with("email,name,role,disabled_at,created_at,live_sessions,token_id")
    );
    assert!(
        csv.body
            .lines()
            .any(|l| l.starts_with("officer@example.com,Officer,officer,"))
    );
    // The last active administrator can be neither demoted nor disabled.
    let admin_id = id_of(&list, "admin@example.com");
    let page = admin.get("/staff/people").await;
    for (action, fields) in [
        (
            "role",
            vec![("csrf_token", page.csrf()), ("role", "officer".into())],
        ),
        ("disable", vec![("csrf_token", page.csrf())]),
    ] {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let res = admin
            .post_form(&format!("/staff/people/{admin_id}/{action}"), &fields)
            .await;
        assert_eq!(res.status, 422, "{action}");
        assert!(
            res.text_of("problem")
                .unwrap()
                .contains("At least one active administrator")
                || res.text_of("problem").unwrap().contains("管理者"),
            "{action}"
        );
    }
    assert_eq!(
        admin.get("/staff/people").await.status,
        200,
        "still an admin"
    );
    assert!(common::audited(&app, "staff.role_changed").is_empty());
}

/// After a lost device or a database copy gone astray: every session ends at once but the admin's own
/// (page), or every one (API); tokens stay; each audited.
async fn an_admin_signs_everyone_out_at_once(app: TestApp) {
    let admin = app.signed_in("admin@example.com", Role::Admin).await;
    let officer = app.signed_in("officer@example.com", Role::Officer).await;
    let auditor = app.signed_in("auditor@example.com", Role::Auditor).await;
    let api = common::api(&app, "api@example.com", Role::Admin).await;
    let page = admin.get("/staff/people?lang=en").await;
    assert!(page.body.contains("Sign everyone out"));
    // Not for officers: the form is not shown and the route refuses.
    let mine = officer.get("/staff/people").await;
    assert!(!mine.body.contains("end-every-session"));
    let csrf = officer.get("/staff/requests").await.csrf();
    let res = officer
        .post_form("/staff/people/sessions/end", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status, 403);
    let res = admin.submit("/staff/people/sessions/end", &page, &[]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert_eq!(
        admin.get("/staff/people").await.status,
        200,
        "the admin stays"
    );
    for gone in [&officer, &auditor] {
        assert_eq!(gone.get("/staff/requests").await.status, 303);
    }
    assert_eq!(app.count("staff_sessions"), 1);
    let events = common::audited(&app, "staff.all_sessions_ended");
    assert_eq!(events.len(), 1);
    assert!(events[0].contains("\"sessions_ended\":2") && events[0].contains("\"own_kept\":true"));
    // Over the API, with a token (which is not a session): every session ends; the token still works.
    let (status, body) = api
        .post("/api/v1/staff/sessions/end", &serde_json::json!({}))
        .await;
    assert_eq!(
        (status, body["sessions_ended"].as_u64()),
        (200, Some(1)),
        "{body}"
    );
    assert_eq!(admin.get("/staff/people").await.status, 303);
    assert_eq!(app.count("staff_sessions"), 0);
    assert!(api.get("/api/v1/staff").await.is_array());
}
