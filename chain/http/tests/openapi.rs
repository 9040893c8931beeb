//! The OpenAPI document the server publishes at `/v1/openapi.json`: it validates against
//! the OpenAPI 3.1 specification (with `openapi-spec-validator`, which the project's
//! machines have; see TOOLCHAIN.md) and lists every route of the API's route table with
//! its method, its path parameters, its request and its response.

use handoff_api::{Method, routes};
use serde_json::Value;
use std::process::Command;

fn document() -> Value {
    serde_json::from_str(&handoff_http::openapi::document_json()).expect("the document is JSON")
}

#[test]
fn the_document_is_valid_openapi_3_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, handoff_http::openapi::document_json()).expect("write");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/validate_openapi.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&file)
        .output()
        .expect("python3 runs (the validator is openapi-spec-validator: pip install openapi-spec-validator)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the document does not validate: {said}"
    );
    assert_eq!(said.trim(), "valid");
}

#[test]
fn every_route_is_listed_with_its_parameters_request_and_response() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let table = routes();
    assert!(table.len() > 30, "{} routes", table.len());
    for r in &table {
        let method = r.method.as_str().to_lowercase();
        let op = &doc["paths"][r.path][&method];
        assert_eq!(
            op["operationId"],
            r.op,
            "{} {} is not listed",
            r.method.as_str(),
            r.path
        );
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for name in handoff_http::decode::path_fields(r.path) {
            assert!(
                params
                    .iter()
                    .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true),
                "{}: path parameter {name} missing",
                r.path
            );
        }
        let response = &op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"];
        assert_eq!(
            response.as_str(),
            Some(format!("#/components/schemas/{}", r.response).as_str()),
            "{}",
            r.path
        );
        assert!(
            doc["components"]["schemas"][r.response].is_object(),
            "no schema for {}",
            r.response
        );
        if r.method == Method::Get {
            assert!(op["requestBody"].is_null(), "{}: a GET has no body", r.path);
        } else {
            assert!(
                op["requestBody"]["content"]["application/json"].is_object(),
                "{}",
                r.path
            );
        }
        // Actions and private reads say they need the token; public reads do not.
        let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
        assert_eq!(secured, !handoff_http::server::is_public(r.op), "{}", r.op);
    }
    // Nothing but the table (and no route twice).
    let listed: usize = doc["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|item| item.as_object().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(listed, table.len());
}

#[test]
fn a_query_names_the_fields_of_a_get_and_a_body_leaves_out_the_path() {
    let doc = document();
    let item = &doc["paths"]["/v1/items/{key}"]["get"]["parameters"];
    assert!(
        item.as_array()
            .is_some_and(|p| p.iter().any(|p| p["name"] == "proof" && p["in"] == "query")),
        "{item}"
    );
    let accept = &doc["paths"]["/v1/handoffs/{id}/accept"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    assert!(accept["properties"]["missing"].is_object(), "{accept}");
    assert!(accept["properties"]["id"].is_null(), "{accept}");
}
