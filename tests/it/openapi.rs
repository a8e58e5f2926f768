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
        .filter(|(p, _)| p.starts_with("/api/v1/"))
        .collect();
    assert!(routes.len() >= 15, "{routes:?}");
    for (path, method) in &routes {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
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
    // And the error a client gets has that shape.
    let bad = app
        .browser()
        .post_json("/api/v1/requests", &serde_json::json!({"name": ""}))
        .await;
    let body = bad.json();
    assert_eq!(body["error"]["code"], "validation_failed");
    assert!(body["error"]["fields"]["email"][0]["code"].is_string());
}
