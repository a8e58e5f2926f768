//! The OpenAPI document describes every API route the server has, with the error shape it really sends.

use crate::common;

use common::TestApp;
use serde_json::Value;

both_backends!(the_openapi_document_lists_every_api_route);

async fn the_openapi_document_lists_every_api_route(app: TestApp) {
    let res = app.browser().get("/api/openapi.json").await;
    assert_eq!(res.status, 200);
    let doc: Value = res.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let routes: Vec<(String, String)> = common::registered_routes()
        .into_iter()
        .filter(|(p, _)| p.starts_with("/api/v1/") || p.starts_with("/v1/"))
        // The DRP exercise path is also served with the trailing `/` of agents before 1.0.
        .filter(|(p, _)| p != "/v1/data-rights-request/")
        .collect();
    assert!(routes.len() >= 15, "{routes:?}");
    for (path, method) in &routes {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
    // Every operation: a unique id, a description on every answer, the error body on every 4xx and 5xx,
    // an example, and every path parameter declared (tests/api/run validates and fuzzes the rest).
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{at}: no operationId"));
            assert!(ids.insert(id.to_owned()), "{at}: operationId {id} twice");
            for (status, res) in op["responses"].as_object().unwrap() {
                assert!(
                    res["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{at} {status}: no description"
                );
                assert_ne!(
                    status, "4XX",
                    "{at}: a range instead of the statuses it means"
                );
                // The Data Rights Protocol's errors have the protocol's shape; a 403 there is the
                // empty body the protocol asks for, or that shape.
                let shape = if path.starts_with("/v1/") {
                    "#/components/schemas/DrpErrorBody"
                } else {
                    "#/components/schemas/ErrorBody"
                };
                let empty_allowed = path.starts_with("/v1/") && status == "403";
                if (status.starts_with('4') || status.starts_with('5'))
                    && !(empty_allowed && res.get("content").is_none())
                {
                    assert_eq!(
                        res["content"]["application/json"]["schema"]["$ref"], shape,
                        "{at} {status}"
                    );
                }
            }
            // An example in the operation, or in a schema its answer is made of.
            let mut text = op.to_string();
            let mut seen = std::collections::BTreeSet::new();
            while let Some(name) = text
                .split("#/components/schemas/")
                .skip(1)
                .filter_map(|s| s.split('"').next())
                .find(|n| !seen.contains(*n))
                .map(str::to_owned)
            {
                text.push_str(&doc["components"]["schemas"][&name].to_string());
                seen.insert(name);
            }
            assert!(text.contains("\"example"), "{at}: no example");
            for name in path
                .split('{')
                .skip(1)
                .map(|s| s.split('}').next().unwrap())
            {
                assert!(
                    op["parameters"].as_array().is_some_and(|ps| ps
                        .iter()
                        .any(|p| p["in"] == "path" && p["name"] == name)),
                    "{at}: path parameter {name} undocumented"
                );
            }
        }
    }
    // Filing is documented with its body, its answer and the error shape.
    let create = &doc["paths"]["/api/v1/requests"]["post"];
    assert!(create["requestBody"].is_object());
    assert!(create["responses"]["201"].is_object() && create["responses"]["429"].is_object());
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["ErrorBody"].is_object() && schemas["Created"].is_object());
    // The body's fields are the API's own (the web layer owns the schema), and labels come in both
    // languages.
    let body = &schemas["CreateRequestBody"]["properties"];
    for field in [
        "name",
        "email",
        "request_type",
        "request_types",
        "jurisdiction",
        "requester_kind",
        "person_name",
        "person_email",
        "account_id",
        "message",
        "language",
    ] {
        assert!(body[field].is_object(), "{field} is not documented: {body}");
    }
    assert!(
        schemas["Label"]["properties"]["en"].is_object()
            && schemas["Label"]["properties"]["ja"].is_object(),
        "{}",
        schemas["Label"]
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // The DRP endpoints document each failure (§3.06) and take the signed body as text.
    let exercise = &doc["paths"]["/v1/data-rights-request"]["post"];
    for status in ["200", "400", "401", "403", "404", "409", "413"] {
        assert!(
            exercise["responses"][status].is_object(),
            "exercise {status}"
        );
    }
    assert!(exercise["requestBody"]["content"]["text/plain"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["drp_token"]["scheme"],
        "bearer"
    );
    // And the error a client gets has that shape.
    let bad = app
        .browser()
        .post_json("/api/v1/requests", &serde_json::json!({"name": ""}))
        .await;
    let body = bad.json();
    assert_eq!(body["error"]["code"], "validation_failed");
    assert!(body["error"]["fields"]["email"][0]["code"].is_string());
}
