//! The holes an outside attack found, each closed and kept closed: text
//! that one database refuses, look-alike accounts, paths and methods that
//! answered outside the one error shape. Storage-facing checks run on
//! SQLite and, when configured, PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::{PASSWORD, TestApp, assert_error, on_every_backend};
use serde_json::json;

/// Control characters in every kind of text input are refused with a 422
/// naming the field, identically on both databases, and nothing is written.
#[tokio::test]
async fn control_characters_are_refused_at_the_edge_on_every_backend() {
    for t in on_every_backend().await {
        let backend = t.app.store.backend();
        // Login's email was a 500 on PostgreSQL (NUL in a text parameter).
        let r = t
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": "a\u{0}b@example.com", "password": "x"}),
            )
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.json["error"]["details"]["field"], "email", "{backend}");

        let register = |name: &str, email: &str| json!({"email": email, "password": PASSWORD, "display_name": name});
        for (name, email) in [
            ("Bell\u{7}", "bell@example.com"),
            ("Ok name", "nul\u{0}@example.com"),
            ("Escape \u{1b}[31m", "esc@example.com"),
            ("Two\nlines", "lines@example.com"),
            ("Right\u{202e}to-left", "bidi@example.com"),
        ] {
            let r = t
                .post("/api/v1/auth/register", None, register(name, email))
                .await;
            assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            assert!(
                r.json["error"]["details"]["field"].is_string(),
                "{backend}: {:?}",
                r.json
            );
        }
        // Nothing was half-written: the same emails register cleanly now.
        let ok = t
            .post(
                "/api/v1/auth/register",
                None,
                register("Bell", "bell@example.com"),
            )
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{backend}: {:?}", ok.json);

        let (seller, listing) = t
            .seller_with_listing(&format!("s-{backend}@example.com"), 3)
            .await;
        let mut body = common::listing_body(2);
        body["title"] = json!("Lamp\u{0}");
        let r = t.post("/api/v1/listings", Some(&seller), body).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        // A key with a control character is refused as well.
        let r = t
            .request(
                "POST",
                "/api/v1/stores",
                Some(&seller),
                Some(br#"{"na\u0000me": "x"}"#.to_vec()),
                &[],
            )
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        let buyer = t.user(&format!("b-{backend}@example.com"), "buyer").await;
        let mut checkout = common::checkout_body(&listing, 1, "4242424242424242");
        checkout["address"]["city"] = json!("Spring\u{0}field");
        let r = t.post("/api/v1/orders", Some(&buyer), checkout).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        // A newline in a single-line field is caught by the domain.
        let mut checkout = common::checkout_body(&listing, 1, "4242424242424242");
        checkout["address"]["name"] = json!("Ada\nBuyer");
        let r = t.post("/api/v1/orders", Some(&buyer), checkout).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        // ... while a multi-line field keeps its lines.
        let r = t
            .post(
                &format!("/api/v1/listings/{listing}/conversation"),
                Some(&buyer),
                json!({}),
            )
            .await;
        let conversation = r.json["id"].as_str().unwrap().to_string();
        let ok = t
            .post(
                &format!("/api/v1/conversations/{conversation}/messages"),
                Some(&buyer),
                json!({"text": "Hello,\n\tis it still available?"}),
            )
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{backend}: {:?}", ok.json);
        let bad = t
            .post(
                &format!("/api/v1/conversations/{conversation}/messages"),
                Some(&buyer),
                json!({"text": "hi\u{0}"}),
            )
            .await;
        assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        // Query strings too.
        let r = t.get("/api/v1/listings?category=home%00", None).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn emails_are_normalised_and_look_alike_accounts_are_refused() {
    for t in on_every_backend().await {
        let backend = t.app.store.backend();
        let register = |email: &str, name: &str| json!({"email": email, "password": PASSWORD, "display_name": name, "role": "seller"});
        let r = t
            .post(
                "/api/v1/auth/register",
                None,
                register("ＡＤＡ@Example.com", "Ada Lovelace"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{backend}: {:?}", r.json);
        assert_eq!(r.json["email"], "ada@example.com", "NFKC and lower case");
        // The normalised address logs in whichever way it is typed.
        t.login("ada@example.com").await;
        t.login("ＡＤＡ@EXAMPLE.COM").await;

        for (email, name, code) in [
            // The same address, typed differently.
            ("Ada@example.com", "Someone", "email_taken"),
            // A Cyrillic "а" in the local part.
            ("\u{0430}da@example.com", "Someone Else", "email_taken"),
            // A display name that only looks like hers.
            ("grace@example.com", "Аda Lоvelace", "display_name_taken"),
            ("grace@example.com", "ADA  LOVELACE", "display_name_taken"),
        ] {
            let r = t
                .post("/api/v1/auth/register", None, register(email, name))
                .await;
            assert_error(&r, StatusCode::CONFLICT, code);
        }
        let r = t
            .post(
                "/api/v1/auth/register",
                None,
                register("grace@example.com", "Grace Hopper"),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{backend}: {:?}", r.json);
    }
}

#[tokio::test]
async fn bad_paths_and_wrong_methods_answer_in_the_one_error_shape() {
    let t = TestApp::sqlite().await;
    let token = t.user("p@example.com", "buyer").await;
    // Invalid UTF-8 after percent-decoding.
    let r = t.get("/api/v1/orders/%FF%FE", Some(&token)).await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = t.get("/api/v1/stores/%C3%28", None).await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    let r = t.get("/api/v1/disputes/%00/evidence", Some(&token)).await;
    assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    // Wrong methods, including on the upload routes.
    for (method, path) in [
        ("GET", "/api/v1/media"),
        ("PUT", "/api/v1/media"),
        ("GET", "/api/v1/disputes/x/evidence/files"),
        ("DELETE", "/api/v1/conversations/x/messages/file"),
        ("DELETE", "/api/v1/orders"),
        ("PATCH", "/api/v1/auth/login"),
    ] {
        let r = t.request(method, path, Some(&token), None, &[]).await;
        assert_error(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    }
    // Pages answer with a page, never an empty body.
    let r = t
        .request("DELETE", "/orders/x/dispute", None, None, &[])
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        r.json.as_str().unwrap_or("").contains("<html"),
        "{:?}",
        r.json
    );
    let r = t.get("/listings/%FF", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(
        r.json.as_str().unwrap_or("").contains("<html"),
        "{:?}",
        r.json
    );
}
