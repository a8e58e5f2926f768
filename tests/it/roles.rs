//! Every staff route, page or API, refuses the roles it is not for with 403 and writes nothing (issue 7).
//! The routes come from the route table itself, so a new route is checked the day it is added.

use crate::common;

use common::{TestApp, api, registered_routes};
use kaiji::domain::staff::Role;

both_backends!(every_staff_route_refuses_the_wrong_role_and_writes_nothing);

/// Who may use a route; `None` for the public ones (requesters, links, probes, sign-in).
fn allowed(method: &str, path: &str) -> Option<&'static [Role]> {
    const WORK: &[Role] = &[Role::Officer, Role::Admin];
    const AUDIT: &[Role] = &[Role::Auditor, Role::Admin];
    const ADMIN: &[Role] = &[Role::Admin];
    const ANY: &[Role] = &[Role::Officer, Role::Auditor, Role::Admin];
    let public = !(path.starts_with("/staff") || path.starts_with("/api/v1/"))
        || path == "/staff/login"
        || (path == "/api/v1/requests" && method == "post")
        || path.starts_with("/api/v1/requests/status/")
        || path == "/api/v1/procedures";
    if public {
        return None;
    }
    Some(match path {
        p if p.starts_with("/staff/audit") || p.starts_with("/api/v1/audit/") => AUDIT,
        "/api/v1/staff/unlock" => ADMIN,
        // Authorised agents for the Data Rights Protocol: administrators register and remove them.
        p if p.starts_with("/api/v1/drp/") || p.starts_with("/staff/drp-agents") => ADMIN,
        // Staff accounts: auditors and administrators read them, administrators change them.
        p if p.starts_with("/staff/people") || p.starts_with("/api/v1/staff") => {
            if method == "get" { AUDIT } else { ADMIN }
        }
        "/staff" | "/staff/logout" => ANY,
        p if p.starts_with("/staff/account") || p.starts_with("/staff/mfa") => ANY,
        p if p.starts_with("/staff/reports") || p == "/api/v1/reports" => ANY,
        // The registry: officers read it, administrators change it.
        p if (p.starts_with("/staff/systems") || p.starts_with("/api/v1/data-systems"))
            && method == "post" =>
        {
            ADMIN
        }
        _ => WORK,
    })
}

/// What a refused call must not have changed: the audit events, the notices and the requests.
fn written(app: &TestApp) -> (i64, i64, i64) {
    (
        app.events_but_refusals(),
        app.count("notices"),
        app.count("requests"),
    )
}

async fn every_staff_route_refuses_the_wrong_role_and_writes_nothing(app: TestApp) {
    common::file_request(&app.browser(), "A", "a@example.com", "access", "x").await;
    let id = kaiji::db::requests::list_open(&mut app.tdb.conn(), 1).unwrap()[0]
        .id
        .clone();
    let mut tokens = Vec::new();
    let mut browsers = Vec::new();
    for (i, role) in [Role::Officer, Role::Auditor, Role::Admin]
        .into_iter()
        .enumerate()
    {
        tokens.push((role, api(&app, &format!("api{i}@example.com"), role).await));
        let b = app.signed_in(&format!("web{i}@example.com"), role).await;
        let csrf = b.get("/staff/account").await.csrf();
        browsers.push((role, b, csrf));
    }
    let routes = registered_routes();
    assert!(routes.len() > 60, "{}", routes.len());
    let mut checked = 0;
    for (path, method) in routes {
        let Some(roles) = allowed(&method, &path) else {
            continue;
        };
        let concrete = path
            .replace("{id}", &id)
            .split('/')
            .map(|seg| if seg.starts_with('{') { "x" } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for (role, api, _) in tokens.iter().map(|(r, a)| (r, a, ())) {
            if roles.contains(role) || !path.starts_with("/api/v1/") {
                continue;
            }
            let before = written(&app);
            let client = common::http_client();
            let req = match method.as_str() {
                "get" => client.get(format!("{}{concrete}", app.base)),
                // POST, PUT, DELETE: the route's own method, with an empty object.
                m => client
                    .request(
                        reqwest::Method::from_bytes(m.to_uppercase().as_bytes()).unwrap(),
                        format!("{}{concrete}", app.base),
                    )
                    .json(&serde_json::json!({})),
            };
            let res = req.bearer_auth(&api.token).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 403, "{role} {method} {path}");
            assert_eq!(
                written(&app),
                before,
                "{role} {method} {path} wrote something"
            );
            checked += 1;
        }
        for (role, b, csrf) in &browsers {
            if roles.contains(role) || !path.starts_with("/staff") {
                continue;
            }
            let before = written(&app);
            let res = match method.as_str() {
                "get" => b.get(&concrete).await,
                _ => {
                    b.post_form(&concrete, &[("csrf_token", csrf.as_str())])
                        .await
                }
            };
            assert_eq!(res.status, 403, "{role} {method} {path}: {}", res.body);
            assert_eq!(
                written(&app),
                before,
                "{role} {method} {path} wrote something"
            );
            checked += 1;
        }
    }
    assert!(checked >= 50, "{checked}");
}
