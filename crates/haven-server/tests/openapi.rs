//! The API contract: the OpenAPI document is snapshot-tested, so any change
//! to it shows up in review, and the served copy is the same document.

mod common;

use axum::http::StatusCode;
use common::TestApp;

#[test]
fn openapi_document_matches_snapshot() {
    insta::assert_json_snapshot!("openapi", haven_server::api::openapi_json());
}

#[tokio::test]
async fn served_document_is_the_snapshotted_one_and_lists_every_route() {
    let t = TestApp::sqlite().await;
    let r = t.get("/api/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json, haven_server::api::openapi_json());
    let paths = r.json["paths"].as_object().unwrap();
    for path in [
        "/api/v1/orders",
        "/api/v1/orders/{id}/ship",
        "/api/v1/orders/{id}/confirm",
        "/api/v1/seller/payouts",
        "/api/v1/carriers/{carrier}/webhook",
    ] {
        assert!(paths.contains_key(path), "{path} documented");
    }
    // Every documented path is routed: none falls through to the API 404.
    for path in paths.keys() {
        let concrete = path
            .replace("{id}", &uuid::Uuid::nil().to_string())
            .replace("{carrier}", "simpost");
        let r = t.get(&concrete, None).await;
        assert!(
            !(r.status == StatusCode::NOT_FOUND
                && r.json["error"]["message"] == "no such API endpoint"),
            "{path} is not routed"
        );
    }
}

/// `error.details` is documented as it really is: always present, null or
/// an object whose every possible field the schema lists.
#[test]
fn error_details_are_documented_as_they_are() {
    let doc = haven_server::api::openapi_json();
    let detail = &doc["components"]["schemas"]["ErrorDetail"];
    let required: Vec<&str> = detail["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(required.contains(&"details"), "{required:?}");
    let documented: std::collections::BTreeSet<String> =
        doc["components"]["schemas"]["ErrorDetails"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
    let full = haven_app::ErrorDetails {
        field: Some("f".into()),
        retry_after_s: Some(1),
        challenge: Some("c".into()),
        expires_at: Some("t".into()),
        available_at: Some("t".into()),
        reopen_until: Some("t".into()),
        money_stays_in_escrow: Some(true),
        categories: vec!["c".into()],
        reasons: vec!["r".into()],
        line: Some(1),
        column: Some(2),
    };
    let actual: std::collections::BTreeSet<String> = serde_json::to_value(&full)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(documented, actual);
}

/// docs/API.md documents every business event the feed can carry.
#[test]
fn every_event_type_is_documented() {
    let doc = include_str!("../../../docs/API.md");
    for kind in haven_domain::events::EventType::ALL {
        assert!(
            doc.contains(&format!("`{kind}`")),
            "{kind} is not in docs/API.md"
        );
    }
}
