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
