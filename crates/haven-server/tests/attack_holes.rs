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
        let conversation = t.ask_seller(&buyer, &listing).await;
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

async fn login_from(t: &TestApp, email: &str, password: &str, ip: &str) -> common::Response {
    t.request(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(serde_json::to_vec(&json!({"email": email, "password": password})).unwrap()),
        &[("x-forwarded-for", ip)],
    )
    .await
}

/// Lockouts and stuffing blocks live in the store: a second server on the
/// same database, or the same one after a restart, sees them.
#[tokio::test]
async fn login_defence_holds_across_nodes_and_restarts() {
    for a in on_every_backend_behind_a_proxy().await {
        let backend = a.app.store.backend();
        a.user("nell@example.com", "buyer").await;
        let b = a.another_node().await;
        // Failures on an unknown email, spread over two nodes, add up.
        for node in [&a, &b, &a, &b] {
            let r = login_from(
                node,
                "ghost@example.com",
                "wrong password here",
                "198.51.100.7",
            )
            .await;
            assert_error(&r, StatusCode::UNAUTHORIZED, "invalid_credentials");
        }
        let r = login_from(
            &a,
            "ghost@example.com",
            "wrong password here",
            "198.51.100.7",
        )
        .await;
        assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
        let r = login_from(
            &b,
            "ghost@example.com",
            "wrong password here",
            "198.51.100.8",
        )
        .await;
        assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");

        // One address failing on many accounts through both nodes is blocked
        // on both, and on a node started afterwards.
        for i in 0..10 {
            let node = if i % 2 == 0 { &a } else { &b };
            login_from(
                node,
                &format!("victim{i}@example.com"),
                "leaked one",
                "203.0.113.9",
            )
            .await;
        }
        let restarted = a.another_node().await;
        for node in [&a, &b, &restarted] {
            let r = login_from(node, "nell@example.com", PASSWORD, "203.0.113.9").await;
            assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
        }
        // Another address is unaffected.
        let r = login_from(&restarted, "nell@example.com", PASSWORD, "192.0.2.44").await;
        assert_eq!(r.status, StatusCode::OK, "{backend}: {:?}", r.json);
    }
}

async fn on_every_backend_behind_a_proxy() -> Vec<TestApp> {
    let mut apps = vec![TestApp::sqlite_with(|c| c.trust_proxy = true).await];
    if std::env::var("HAVEN_TEST_DATABASE_URL").is_ok() {
        let url = std::env::var("HAVEN_TEST_DATABASE_URL").unwrap();
        let store = std::sync::Arc::new(
            haven_store::postgres::PgStore::connect_fresh_schema(&url)
                .await
                .unwrap(),
        );
        let mut config = common::config();
        config.trust_proxy = true;
        let clock = haven_domain::clock::ManualClock::new(common::start_time());
        let gateway = common::testcard(&(store.clone() as haven_store::DynStore), &clock);
        let mut app = TestApp::build_full(store.clone(), clock, gateway, config).await;
        app.pg = Some(store);
        apps.push(app);
    }
    apps
}

/// Changing the password, confirming it is you, and turning 2FA off all
/// count wrong answers towards the one lockout a login uses.
#[tokio::test]
async fn every_password_or_code_check_shares_the_login_lockout() {
    let t = TestApp::sqlite().await;
    let token = t.user("otto@example.com", "buyer").await;
    let change = |current: &str| json!({"current_password": current, "new_password": "a brand new passphrase 42"});
    let mut answers = Vec::new();
    for _ in 0..10 {
        let r = t
            .post(
                "/api/v1/me/password",
                Some(&token),
                change("not my password"),
            )
            .await;
        answers.push(r.status);
    }
    assert_eq!(answers[..4], [StatusCode::UNAUTHORIZED; 4]);
    assert!(
        answers[4..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{answers:?}"
    );
    // The right password is refused too while the lock lasts...
    let r = t
        .post("/api/v1/me/password", Some(&token), change(PASSWORD))
        .await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    // ... and so is a plain login: it is one lockout.
    let r = login_from(&t, "otto@example.com", PASSWORD, "192.0.2.1").await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let r = t
        .post(
            "/api/v1/me/reauthenticate",
            Some(&token),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
}

/// A network blocked for credential stuffing does not lock out an owner who
/// proves themselves with the password and a 2FA code; anything less stays
/// blocked, and says nothing about the password.
#[tokio::test]
async fn a_blocked_network_still_lets_the_owner_in_with_2fa() {
    let t = TestApp::sqlite_with(|c| c.trust_proxy = true).await;
    let token = t.user("ruth@example.com", "buyer").await;
    let setup = t
        .post("/api/v1/me/2fa/setup", Some(&token), json!({}))
        .await;
    let secret = setup.json["secret"].as_str().unwrap().to_string();
    let code_now = |t: &TestApp| haven_app::auth::totp_code(&secret, t.now_s() as u64).unwrap();
    let r = t
        .post(
            "/api/v1/me/2fa/enable",
            Some(&token),
            json!({"code": code_now(&t)}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    t.clock.advance(jiff::SignedDuration::from_secs(31));
    for i in 0..10 {
        login_from(
            &t,
            &format!("target{i}@example.com"),
            "leaked",
            "203.0.113.50",
        )
        .await;
    }
    let with = |password: &str, code: &str| json!({"email": "ruth@example.com", "password": password, "code": code});
    let attempt = |body: serde_json::Value| {
        let t = &t;
        async move {
            t.request(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(serde_json::to_vec(&body).unwrap()),
                &[("x-forwarded-for", "203.0.113.50")],
            )
            .await
        }
    };
    let r = login_from(&t, "ruth@example.com", PASSWORD, "203.0.113.50").await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let r = attempt(with("wrong password", &code_now(&t))).await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let r = attempt(with(PASSWORD, "000000")).await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let r = attempt(with(PASSWORD, &code_now(&t))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert!(r.json["token"].is_string());
    // An account without 2FA has no such way in.
    t.user("sam@example.com", "buyer").await;
    let r =
        attempt(json!({"email": "sam@example.com", "password": PASSWORD, "code": "123456"})).await;
    assert_error(&r, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
}

/// Every secret that is live in a marketplace with some history: session
/// tokens, reset and verification links, a 2FA sign-in in progress, a TOTP
/// secret and its recovery codes. None may appear in anything an agent or
/// an admin can read through the API (the events feed, the console, the
/// evidence bundles, the audit trail…): before, the events feed carried
/// every reset email, so any agent could take over any seller.
#[tokio::test]
async fn no_live_secret_reaches_an_agent_or_an_admin() {
    for t in on_every_backend().await {
        let backend = t.app.store.backend();
        let mut secrets: Vec<String> = Vec::new();
        let world = common::World::build(&t, "vendor").await;
        let (seller, buyer) = (world.seller.clone(), world.buyer.clone());
        secrets.push(seller.clone());
        secrets.push(buyer.clone());
        let (order, dispute, conversation) = (&world.order, &world.dispute, &world.conversation);
        let (listing, store) = (&world.listing, &world.store);
        t.post(
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(&buyer),
            json!({"text": "Hello, the lamp arrived cracked."}),
        )
        .await;
        // Emailed links: a reset for the seller, a verification for both.
        t.post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": "vendor-seller@example.com"}),
        )
        .await;
        for email in common::emails(&t).await {
            let body = email["body"].as_str().unwrap();
            if let Some(at) = body.find("token=") {
                let token: String = body[at + 6..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                secrets.push(token);
            }
        }
        // 2FA: the seller has it on (secret, recovery codes), and a
        // sign-in waits for its code.
        let setup = t
            .post("/api/v1/me/2fa/setup", Some(&seller), json!({}))
            .await;
        let secret = setup.json["secret"].as_str().unwrap().to_string();
        let code = haven_app::auth::totp_code(&secret, t.now_s() as u64).unwrap();
        let enabled = t
            .post(
                "/api/v1/me/2fa/enable",
                Some(&seller),
                json!({"code": code}),
            )
            .await;
        for code in enabled.json["recovery_codes"].as_array().unwrap() {
            secrets.push(code.as_str().unwrap().to_string());
        }
        secrets.push(secret);
        let challenge = t
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": "vendor-seller@example.com", "password": PASSWORD}),
            )
            .await;
        secrets.push(
            challenge.json["error"]["details"]["challenge"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        assert!(secrets.len() >= 16, "{backend}: {}", secrets.len());

        let agent = world.agent.clone();
        let admin =
            common::staff_token(&t, "root@example.com", haven_domain::account::Role::Admin).await;
        let doc = haven_server::api::openapi_json();
        let mut read = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            if item.get("get").is_none() {
                continue;
            }
            let concrete = path
                .replace("/orders/{id}", &format!("/orders/{order}"))
                .replace("/disputes/{id}", &format!("/disputes/{dispute}"))
                .replace(
                    "/conversations/{id}",
                    &format!("/conversations/{conversation}"),
                )
                .replace("/stores/{id}", &format!("/stores/{store}"))
                .replace("/listings/{id}", &format!("/listings/{listing}"))
                .replace("{hash}", &"0".repeat(64));
            for token in [&agent, &admin] {
                let r = t.get(&format!("{concrete}?limit=100"), Some(token)).await;
                assert!(
                    !r.status.is_server_error(),
                    "{backend} {concrete}: {:?}",
                    r.json
                );
                let text = r.json.to_string();
                for secret in &secrets {
                    assert!(
                        !text.contains(secret.as_str()),
                        "{backend}: {concrete} shows a live secret"
                    );
                }
                read += 1;
            }
        }
        assert!(read >= 40, "{backend}: read {read} responses");
        // The events feed is business events only, and has some.
        let events = t.get("/api/v1/events?limit=100", Some(&agent)).await;
        let items = events.json["items"].as_array().unwrap();
        assert!(items.iter().any(|e| e["type"] == "order.paid"));
        assert!(items.iter().all(|e| {
            haven_domain::events::EventType::parse(e["type"].as_str().unwrap()).is_some()
        }));
    }
}
