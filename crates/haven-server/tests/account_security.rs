//! Account security through the real router: password policy, TOTP 2FA
//! with recovery codes, sessions, step-up, password reset, lockouts,
//! credential stuffing, new-device emails, seller verification, CSRF and
//! security headers.

mod common;

use axum::http::StatusCode;
use common::{PASSWORD, TestApp, agent_token, assert_error};
use haven_domain::clock::Clock;
use serde_json::{Value, json};

/// The newest email queued for `to`.
async fn last_email(t: &TestApp, to: &str) -> Value {
    common::emails(t)
        .await
        .into_iter()
        .rev()
        .find(|e| e["to"] == to)
        .unwrap_or_else(|| panic!("no email to {to}"))
}

/// The token in the first link of an email body (`...?token=XYZ`).
fn link_token(email: &Value) -> String {
    let body = email["body"].as_str().unwrap();
    let start = body.find("token=").expect("a link with a token") + "token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The web reset form says beside the password why a weak one is refused,
/// and the same link still works for a good one.
#[tokio::test]
async fn the_reset_form_refuses_a_weak_password_beside_the_field() {
    let t = TestApp::sqlite().await;
    t.user("di@example.com", "buyer").await;
    let mut visitor = common::Browser::new(&t);
    visitor
        .post_form("/forgot-password", &[("email", "di@example.com")])
        .await;
    let token = link_token(&last_email(&t, "di@example.com").await);
    let weak = [("token", token.as_str()), ("password", "password")];
    let r = visitor.post_form("/reset-password", &weak).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = common::Browser::html(&r);
    assert!(
        html.contains("<p class=\"field-error\" id=\"password-error\">"),
        "{html}"
    );
    assert!(
        html.contains("aria-describedby=\"password-error\""),
        "{html}"
    );
    assert!(
        html.contains(&format!("value=\"{token}\"")),
        "the link still works: {html}"
    );
    let good = [
        ("token", token.as_str()),
        ("password", "velvet tundra orbit 2718"),
    ];
    let r = visitor.post_form("/reset-password", &good).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "{}",
        common::Browser::html(&r)
    );
}

fn totp_now(t: &TestApp, secret: &str) -> String {
    haven_app::auth::totp_code(secret, t.now_s() as u64).unwrap()
}

async fn login_raw(t: &TestApp, email: &str, password: &str, ua: &str) -> common::Response {
    t.request(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(serde_json::to_vec(&json!({"email": email, "password": password})).unwrap()),
        &[("user-agent", ua)],
    )
    .await
}

/// Turn 2FA on for the user behind `token`; returns (secret, recovery codes).
async fn enable_2fa(t: &TestApp, token: &str) -> (String, Vec<String>) {
    let setup = t.post("/api/v1/me/2fa/setup", Some(token), json!({})).await;
    assert_eq!(setup.status, StatusCode::OK, "{:?}", setup.json);
    let secret = setup.json["secret"].as_str().unwrap().to_string();
    assert!(
        setup.json["otpauth_url"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );
    let wrong = t
        .post(
            "/api/v1/me/2fa/enable",
            Some(token),
            json!({"code": "000000"}),
        )
        .await;
    assert_error(&wrong, StatusCode::UNPROCESSABLE_ENTITY, "invalid_code");
    let code = totp_now(t, &secret);
    let enabled = t
        .post("/api/v1/me/2fa/enable", Some(token), json!({"code": code}))
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{:?}", enabled.json);
    let codes: Vec<String> = enabled.json["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    (secret, codes)
}

#[tokio::test]
async fn weak_passwords_are_refused_with_feedback() {
    let t = TestApp::sqlite().await;
    for weak in ["short", "password12345", "qwertyuiop123"] {
        let r = t
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": "w@example.com", "password": weak, "display_name": "W", "role": "buyer"}),
            )
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let message = r.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("12 characters") || message.contains("too easy to guess"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn two_factor_login_with_codes_and_single_use_recovery_codes() {
    let t = TestApp::sqlite().await;
    let token = t.user("ada@example.com", "buyer").await;
    let (secret, codes) = enable_2fa(&t, &token).await;
    assert_eq!(codes.len(), 10);

    // The password alone is no longer enough.
    let first = login_raw(&t, "ada@example.com", PASSWORD, "test-agent").await;
    assert_error(&first, StatusCode::UNAUTHORIZED, "second_factor_required");
    assert!(first.json["error"]["details"].get("token").is_none());
    let challenge = first.json["error"]["details"]["challenge"]
        .as_str()
        .unwrap()
        .to_string();

    let wrong = t
        .post(
            "/api/v1/auth/login/second-factor",
            None,
            json!({"challenge": challenge, "code": "123456"}),
        )
        .await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED, "invalid_code");

    // The code used to enable 2FA cannot be replayed within its step; move on.
    t.clock.advance(haven_domain::SignedDuration::from_secs(31));
    let code = totp_now(&t, &secret);
    let ok = t
        .post(
            "/api/v1/auth/login/second-factor",
            None,
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.json);
    assert!(ok.json["token"].is_string());

    // A used challenge is spent; a replayed code is refused.
    let again = t
        .post(
            "/api/v1/auth/login/second-factor",
            None,
            json!({"challenge": challenge, "code": code}),
        )
        .await;
    assert_error(&again, StatusCode::UNAUTHORIZED, "invalid_challenge");
    let second = login_raw(&t, "ada@example.com", PASSWORD, "test-agent").await;
    let challenge2 = second.json["error"]["details"]["challenge"]
        .as_str()
        .unwrap()
        .to_string();
    let replay = t
        .post(
            "/api/v1/auth/login/second-factor",
            None,
            json!({"challenge": challenge2, "code": code}),
        )
        .await;
    assert_error(&replay, StatusCode::UNAUTHORIZED, "invalid_code");

    // A recovery code works once.
    let recovered = t
        .post(
            "/api/v1/auth/login/second-factor",
            None,
            json!({"challenge": challenge2, "code": codes[0]}),
        )
        .await;
    assert_eq!(recovered.status, StatusCode::OK, "{:?}", recovered.json);
    let third = login_raw(&t, "ada@example.com", PASSWORD, "test-agent").await;
    let challenge3 = third.json["error"]["details"]["challenge"]
        .as_str()
        .unwrap()
        .to_string();
    let reused = t
        .post(
            "/api/v1/auth/login/second-factor",
            None,
            json!({"challenge": challenge3, "code": codes[0]}),
        )
        .await;
    assert_error(&reused, StatusCode::UNAUTHORIZED, "invalid_code");

    // Challenges expire.
    t.clock.advance(haven_domain::SignedDuration::from_mins(6));
    let late = t
        .post(
            "/api/v1/auth/login/second-factor",
            None,
            json!({"challenge": challenge3, "code": codes[1]}),
        )
        .await;
    assert_error(&late, StatusCode::UNAUTHORIZED, "invalid_challenge");
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_and_a_password_change_signs_out_the_rest() {
    let t = TestApp::sqlite().await;
    let laptop = t.user("bo@example.com", "buyer").await;
    let phone = login_raw(&t, "bo@example.com", PASSWORD, "Phone/1.0")
        .await
        .json["token"]
        .as_str()
        .unwrap()
        .to_string();
    let tablet = login_raw(&t, "bo@example.com", PASSWORD, "Tablet/2.0")
        .await
        .json["token"]
        .as_str()
        .unwrap()
        .to_string();
    let list = t.get("/api/v1/me/sessions", Some(&laptop)).await;
    let sessions = list.json.as_array().unwrap();
    assert_eq!(sessions.len(), 3, "{:?}", list.json);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_id = sessions
        .iter()
        .find(|s| s["device"] == "Phone/1.0")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !phone_id.is_empty() && !phone.starts_with(&phone_id),
        "the id is not the token"
    );
    let revoked = t
        .post(
            &format!("/api/v1/me/sessions/{phone_id}/revoke"),
            Some(&laptop),
            json!({}),
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/api/v1/me", Some(&phone)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let unknown = t
        .post(
            "/api/v1/me/sessions/ffffffffffffffff/revoke",
            Some(&laptop),
            json!({}),
        )
        .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "not_found");

    // Changing the password needs step-up, then signs out every other session.
    let new_password = "cobalt harbour lantern 77";
    let body = json!({"current_password": PASSWORD, "new_password": new_password});
    // Signing in is itself fresh proof; ten minutes later it is not.
    t.clock.advance(haven_domain::SignedDuration::from_mins(11));
    let without = t
        .post("/api/v1/me/password", Some(&laptop), body.clone())
        .await;
    assert_error(&without, StatusCode::FORBIDDEN, "step_up_required");
    let bad = t
        .post(
            "/api/v1/me/reauthenticate",
            Some(&laptop),
            json!({"password": "not it at all"}),
        )
        .await;
    assert_error(&bad, StatusCode::UNAUTHORIZED, "invalid_credentials");
    let reauth = t
        .post(
            "/api/v1/me/reauthenticate",
            Some(&laptop),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(reauth.status, StatusCode::NO_CONTENT, "{:?}", reauth.json);
    let changed = t.post("/api/v1/me/password", Some(&laptop), body).await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.json);
    assert_eq!(
        t.get("/api/v1/me", Some(&tablet)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.get("/api/v1/me", Some(&laptop)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        login_raw(&t, "bo@example.com", new_password, "x")
            .await
            .status,
        StatusCode::OK
    );
    last_email_with(&t, "bo@example.com", "password was changed").await;

    // Step-up lasts ten minutes.
    t.clock.advance(haven_domain::SignedDuration::from_mins(11));
    let late = t
        .post(
            "/api/v1/me/email",
            Some(&laptop),
            json!({"email": "bo2@example.com"}),
        )
        .await;
    assert_error(&late, StatusCode::FORBIDDEN, "step_up_required");
}

#[tokio::test]
async fn password_reset_tokens_work_once_and_expire_and_never_reveal_accounts() {
    let t = TestApp::sqlite().await;
    t.user("cy@example.com", "buyer").await;
    let known = t
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": "cy@example.com"}),
        )
        .await;
    let unknown = t
        .post(
            "/api/v1/auth/password-reset",
            None,
            json!({"email": "nobody@example.com"}),
        )
        .await;
    assert_eq!(known.status, unknown.status);
    assert_eq!(known.json, unknown.json, "the same answer either way");

    let token = link_token(&last_email(&t, "cy@example.com").await);
    let weak = t
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "new_password": "password"}),
        )
        .await;
    assert_error(&weak, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let new_password = "velvet tundra orbit 3141";
    let ok = t
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "new_password": new_password}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{:?}", ok.json);
    let reused = t
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": token, "new_password": "another fine passphrase 9"}),
        )
        .await;
    assert_error(&reused, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");
    assert_eq!(
        login_raw(&t, "cy@example.com", new_password, "x")
            .await
            .status,
        StatusCode::OK
    );

    t.post(
        "/api/v1/auth/password-reset",
        None,
        json!({"email": "cy@example.com"}),
    )
    .await;
    let expiring = link_token(&last_email(&t, "cy@example.com").await);
    t.clock.advance(haven_domain::SignedDuration::from_mins(31));
    let expired = t
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": expiring, "new_password": "another fine passphrase 9"}),
        )
        .await;
    assert_error(&expired, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");
    let forged = t
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": "not-a-token", "new_password": "another fine passphrase 9"}),
        )
        .await;
    assert_error(&forged, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");
}

#[tokio::test]
async fn email_verification_link_confirms_once() {
    let t = TestApp::sqlite().await;
    let token = t.user("di@example.com", "seller").await;
    assert_eq!(
        t.get("/api/v1/me", Some(&token)).await.json["user"]["verification"],
        "unverified"
    );
    let link = link_token(&last_email(&t, "di@example.com").await);
    let ok = t
        .post("/api/v1/auth/verify-email", None, json!({"token": link}))
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{:?}", ok.json);
    assert_eq!(
        t.get("/api/v1/me", Some(&token)).await.json["user"]["verification"],
        "email_verified"
    );
    let again = t
        .post("/api/v1/auth/verify-email", None, json!({"token": link}))
        .await;
    assert_error(&again, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");
}

#[tokio::test]
async fn failed_logins_lock_the_account_and_unknown_emails_answer_alike() {
    let t = TestApp::sqlite().await;
    t.user("ed@example.com", "buyer").await;
    for _ in 0..4 {
        let known = login_raw(&t, "ed@example.com", "wrong password here", "x").await;
        let ghost = login_raw(&t, "ghost@example.com", "wrong password here", "x").await;
        assert_error(&known, StatusCode::UNAUTHORIZED, "invalid_credentials");
        assert_eq!(known.json, ghost.json, "no account enumeration");
    }
    let fifth = login_raw(&t, "ed@example.com", "wrong password here", "x").await;
    let ghost_fifth = login_raw(&t, "ghost@example.com", "wrong password here", "x").await;
    assert_error(&fifth, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    assert_error(
        &ghost_fifth,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    );
    // Even the right password waits out the lock.
    let locked = login_raw(&t, "ed@example.com", PASSWORD, "x").await;
    assert_error(&locked, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    t.clock.advance(haven_domain::SignedDuration::from_mins(2));
    assert_eq!(
        login_raw(&t, "ed@example.com", PASSWORD, "x").await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn credential_stuffing_from_one_address_is_slowed_and_flagged() {
    let t = TestApp::sqlite().await;
    let agent = agent_token(&t).await;
    let buyer = t.user("fay@example.com", "buyer").await;
    let mut last = None;
    for i in 0..10 {
        last = Some(
            login_raw(
                &t,
                &format!("victim{i}@example.com"),
                "leaked password 1",
                "bot",
            )
            .await,
        );
    }
    assert_error(
        &last.unwrap(),
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    );
    // The address is slowed down even for an account that exists.
    let blocked = login_raw(&t, "agent@example.com", PASSWORD, "bot").await;
    assert_error(&blocked, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let flags = t.get("/api/v1/console/flags", Some(&agent)).await;
    assert_eq!(flags.status, StatusCode::OK, "{:?}", flags.json);
    let items = flags.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "flagged once: {items:?}");
    assert_eq!(items[0]["kind"], "credential_stuffing");
    assert_eq!(
        t.get("/api/v1/console/flags", Some(&buyer)).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_new_device_gets_an_email_sent_through_the_mail_queue() {
    let t = TestApp::sqlite().await;
    t.user("gus@example.com", "buyer").await;
    let before = common::emails(&t).await.len();
    t.login("gus@example.com").await;
    assert_eq!(
        common::emails(&t).await.len(),
        before,
        "same device: no email"
    );
    login_raw(&t, "gus@example.com", PASSWORD, "Mozilla/5.0 (Strange OS)").await;
    let notice = last_email(&t, "gus@example.com").await;
    assert_eq!(notice["subject"], "New sign-in to your Haven account");
    assert!(notice["body"].as_str().unwrap().contains("Strange OS"));

    // The dispatcher writes it out (file transport in tests) exactly once,
    // and keeps no copy of the body afterwards.
    assert!(t.app.dispatch_commands(t.clock.now()).await.done >= 1);
    assert_eq!(t.app.dispatch_commands(t.clock.now()).await.done, 0);
    assert!(
        common::emails(&t).await.iter().all(|e| e["body"] == ""),
        "sent emails are stored without their bodies"
    );
    let files: Vec<_> = std::fs::read_dir(&t.app.config.mail_dir).unwrap().collect();
    let texts: Vec<String> = files
        .into_iter()
        .map(|f| std::fs::read_to_string(f.unwrap().path()).unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .any(|m| m.contains("New sign-in to your Haven account")),
        "{texts:?}"
    );
}

#[tokio::test]
async fn seller_verification_email_then_identity_reviewed_then_badge() {
    let t = TestApp::sqlite().await;
    let (seller, _listing) = t.seller_with_listing("hal@example.com", 3).await;
    let agent = agent_token(&t).await;
    let store_id = t.get("/api/v1/me", Some(&seller)).await.json["store"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let not_a_document = t
        .request(
            "POST",
            "/api/v1/seller/identity",
            Some(&seller),
            Some(b"hello".to_vec()),
            &[],
        )
        .await;
    assert_error(
        &not_a_document,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let pdf = b"%PDF-1.4\n% identity document\n".to_vec();
    let submitted = t
        .request(
            "POST",
            "/api/v1/seller/identity",
            Some(&seller),
            Some(pdf),
            &[],
        )
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::ACCEPTED,
        "{:?}",
        submitted.json
    );

    let queue = t
        .get("/api/v1/console/identity-reviews", Some(&agent))
        .await;
    let user_id = queue.json["items"][0]["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let review = format!("/api/v1/console/identity-reviews/{user_id}");
    let not_agent = t
        .post(&review, Some(&seller), json!({"approve": true, "note": ""}))
        .await;
    assert_error(&not_agent, StatusCode::FORBIDDEN, "forbidden");
    let approved = t
        .post(
            &review,
            Some(&agent),
            json!({"approve": true, "note": "passport checked"}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.json);
    let twice = t
        .post(&review, Some(&agent), json!({"approve": true, "note": ""}))
        .await;
    assert_error(&twice, StatusCode::CONFLICT, "invalid_state");

    // Identity is the second level: the email must be confirmed too.
    let store = t.get(&format!("/api/v1/stores/{store_id}"), None).await;
    assert_eq!(store.json["seller_verification"], "unverified");
    let verified_in_search = || async {
        t.tick().await;
        t.app.sync_search().await.unwrap();
        t.get("/api/v1/search?verified=true", None).await.json["total"].clone()
    };
    // Read the link first: a tick sends the email, which keeps no body.
    let link = link_token(&last_email_with(&t, "hal@example.com", "Confirm your email").await);
    assert_eq!(verified_in_search().await, 0);
    t.post("/api/v1/auth/verify-email", None, json!({"token": link}))
        .await;
    let store = t.get(&format!("/api/v1/stores/{store_id}"), None).await;
    assert_eq!(store.json["seller_verification"], "identity_verified");
    assert_eq!(verified_in_search().await, 1, "the badge reaches search");
}

async fn last_email_with(t: &TestApp, to: &str, subject: &str) -> Value {
    common::emails(t)
        .await
        .into_iter()
        .rev()
        .find(|e| e["to"] == to && e["subject"].as_str().unwrap_or("").contains(subject))
        .unwrap_or_else(|| panic!("no email to {to} about {subject}"))
}

#[tokio::test]
async fn payout_account_needs_step_up_and_a_valid_iban() {
    let t = TestApp::sqlite().await;
    let (seller, _) = t.seller_with_listing("ivy@example.com", 1).await;
    let body = json!({"holder": "Ivy Seller", "iban": "DE89 3704 0044 0532 0130 00"});
    t.clock.advance(haven_domain::SignedDuration::from_mins(11));
    let without = t
        .post("/api/v1/seller/payout-account", Some(&seller), body.clone())
        .await;
    assert_error(&without, StatusCode::FORBIDDEN, "step_up_required");
    t.post(
        "/api/v1/me/reauthenticate",
        Some(&seller),
        json!({"password": PASSWORD}),
    )
    .await;
    let bad = t
        .post(
            "/api/v1/seller/payout-account",
            Some(&seller),
            json!({"holder": "Ivy", "iban": "DE89370400440532013001"}),
        )
        .await;
    assert_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let ok = t
        .post("/api/v1/seller/payout-account", Some(&seller), body)
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.json);
    assert!(
        !ok.json.to_string().contains("DE89370400440532013000"),
        "the IBAN is masked: {}",
        ok.json
    );
    assert!(
        last_email(&t, "ivy@example.com").await["subject"]
            .as_str()
            .unwrap()
            .contains("payout account")
    );
}

/// A cookie header from every Set-Cookie of a response.
fn cookies(r: &common::Response) -> String {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

#[tokio::test]
async fn web_forms_need_the_csrf_token_and_pages_carry_security_headers() {
    let t = TestApp::sqlite().await;
    t.user("jo@example.com", "buyer").await;
    let page = t.get("/login", None).await;
    assert_eq!(page.status, StatusCode::OK);
    for (name, expected) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
    ] {
        assert_eq!(page.headers.get(name).unwrap(), expected, "{name}");
    }
    let csp = page
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let cookie = cookies(&page);
    assert!(cookie.starts_with("haven_csrf="), "{cookie}");
    let set_cookie = page.headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    let csrf = cookie
        .split("; ")
        .find_map(|c| c.strip_prefix("haven_csrf="))
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("haven_device="),
        "a device id for the fraud checks: {cookie}"
    );
    let html = page.json.as_str().unwrap();
    assert!(html.contains(&csrf), "the form carries the token");
    // A stylesheet fetched alongside the page sets no token of its own: it
    // would race the page's and could leave the form's token stale.
    let css = t.get("/static/haven.css", None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(!cookies(&css).contains("haven_csrf="), "{}", cookies(&css));

    let form = |with_token: bool| {
        let mut body = format!(
            "email=jo%40example.com&password={}",
            PASSWORD.replace(' ', "+")
        );
        if with_token {
            body.push_str(&format!("&csrf={csrf}"));
        }
        body.into_bytes()
    };
    let send = |body: Vec<u8>, cookie: String| {
        let router = t.router.clone();
        async move {
            use tower::ServiceExt;
            let request = axum::http::Request::builder()
                .method("POST")
                .uri("/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .header("cookie", cookie)
                .body(axum::body::Body::from(body))
                .unwrap();
            let response = router.oneshot(request).await.unwrap();
            let status = response.status();
            let headers = response.headers().clone();
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                .await
                .unwrap();
            (
                status,
                headers,
                String::from_utf8_lossy(&bytes).into_owned(),
            )
        }
    };
    let (status, _, html) = send(form(false), cookie.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("This form has expired"), "{html}");
    let (status, _, _) = send(form(true), String::new()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no cookie");
    let (status, _, _) = send(form(true), format!("haven_csrf={}", "0".repeat(64))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another token");
    let (status, headers, html) = send(form(true), cookie.clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let session_cookie = headers.get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        session_cookie.starts_with("haven_session="),
        "{session_cookie}"
    );
    assert!(
        session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Lax"),
        "{session_cookie}"
    );
}

#[tokio::test]
async fn a_hash_made_with_older_parameters_is_upgraded_at_login() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let t = TestApp::sqlite().await;
    t.user("kit@example.com", "buyer").await;
    let older = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8_192, 1, 1, None).unwrap(),
    )
    .hash_password(
        PASSWORD.as_bytes(),
        &SaltString::encode_b64(&[7_u8; 16]).unwrap(),
    )
    .unwrap()
    .to_string();
    let mut user = t
        .app
        .store
        .user_by_email("kit@example.com")
        .await
        .unwrap()
        .unwrap();
    let expected_version = user.version;
    user.password_hash = older.clone();
    t.app
        .store
        .commit(haven_store::Changeset {
            user_updates: vec![haven_store::UserWrite {
                user,
                expected_version,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(haven_app::auth::needs_rehash(&older));

    t.login("kit@example.com").await;
    let upgraded = t
        .app
        .store
        .user_by_email("kit@example.com")
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert_ne!(upgraded, older);
    assert!(!haven_app::auth::needs_rehash(&upgraded), "{upgraded}");
    assert!(haven_app::auth::verify_password(PASSWORD, &upgraded));
}

#[tokio::test]
async fn an_old_verification_link_cannot_confirm_a_new_address() {
    let t = TestApp::sqlite().await;
    let token = t.user("lee@example.com", "buyer").await;
    let old_link = link_token(&last_email(&t, "lee@example.com").await);
    let changed = t
        .post(
            "/api/v1/me/email",
            Some(&token),
            json!({"email": "someone-else@example.com"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{:?}", changed.json);
    let stale = t
        .post(
            "/api/v1/auth/verify-email",
            None,
            json!({"token": old_link}),
        )
        .await;
    assert_error(&stale, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");
    assert_eq!(
        t.get("/api/v1/me", Some(&token)).await.json["user"]["verification"],
        "unverified"
    );
    let new_link = link_token(&last_email(&t, "someone-else@example.com").await);
    let ok = t
        .post(
            "/api/v1/auth/verify-email",
            None,
            json!({"token": new_link}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{:?}", ok.json);
}

#[tokio::test]
async fn a_stolen_session_cannot_guess_its_way_through_step_up_or_into_2fa() {
    let t = TestApp::sqlite().await;
    let token = t.user("max@example.com", "buyer").await;
    t.clock.advance(haven_domain::SignedDuration::from_mins(11));
    let setup = t
        .post("/api/v1/me/2fa/setup", Some(&token), json!({}))
        .await;
    assert_error(&setup, StatusCode::FORBIDDEN, "step_up_required");
    for _ in 0..4 {
        let wrong = t
            .post(
                "/api/v1/me/reauthenticate",
                Some(&token),
                json!({"password": "a wrong guess here"}),
            )
            .await;
        assert_error(&wrong, StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let fifth = t
        .post(
            "/api/v1/me/reauthenticate",
            Some(&token),
            json!({"password": "a wrong guess here"}),
        )
        .await;
    assert_error(&fifth, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
    let right = t
        .post(
            "/api/v1/me/reauthenticate",
            Some(&token),
            json!({"password": PASSWORD}),
        )
        .await;
    assert_error(&right, StatusCode::TOO_MANY_REQUESTS, "too_many_attempts");
}

#[tokio::test]
async fn reset_emails_are_limited_per_address() {
    let t = TestApp::sqlite().await;
    t.user("nia@example.com", "buyer").await;
    for _ in 0..5 {
        let r = t
            .post(
                "/api/v1/auth/password-reset",
                None,
                json!({"email": "nia@example.com"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::ACCEPTED,
            "the same answer every time: {:?}",
            r.json
        );
    }
    assert_eq!(reset_emails(&t, "nia@example.com").await, 3);
    t.clock.advance(haven_domain::SignedDuration::from_mins(61));
    t.post(
        "/api/v1/auth/password-reset",
        None,
        json!({"email": "nia@example.com"}),
    )
    .await;
    assert_eq!(reset_emails(&t, "nia@example.com").await, 4);
}

async fn reset_emails(t: &TestApp, to: &str) -> usize {
    common::emails(t)
        .await
        .iter()
        .filter(|e| e["to"] == to && e["subject"] == "Reset your Haven password")
        .count()
}

#[tokio::test]
async fn one_reset_retires_the_other_reset_links() {
    let t = TestApp::sqlite().await;
    t.user("ola@example.com", "buyer").await;
    t.post(
        "/api/v1/auth/password-reset",
        None,
        json!({"email": "ola@example.com"}),
    )
    .await;
    let first = link_token(&last_email(&t, "ola@example.com").await);
    t.post(
        "/api/v1/auth/password-reset",
        None,
        json!({"email": "ola@example.com"}),
    )
    .await;
    let second = link_token(&last_email(&t, "ola@example.com").await);
    assert_ne!(first, second);
    let ok = t
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": second, "new_password": "saffron glacier piano 58"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{:?}", ok.json);
    let older = t
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            json!({"token": first, "new_password": "another fine passphrase 9"}),
        )
        .await;
    assert_error(&older, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");
}

/// On the account page a refusal sits next to the box it is about: a
/// wrong current password, a bad IBAN, an unticked confirmation. A refusal
/// about the account itself (an order still in progress) stays at the top.
#[tokio::test]
async fn account_page_refusals_sit_next_to_their_field() {
    let t = TestApp::sqlite().await;
    t.user("ivy@example.com", "seller").await;
    let mut web = common::Browser::new(&t);
    web.login("ivy@example.com").await;
    let next_to = |html: &str, input: &str| {
        html.contains(&format!("id=\"{input}-error\""))
            && html.contains(&format!("aria-describedby=\"{input}-error\""))
            && !html.contains("id=\"security-error\"")
    };
    let r = web
        .post_form(
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("new_password", "a much longer passphrase 2026"),
            ],
        )
        .await;
    let html = common::Browser::html(&r);
    assert!(next_to(html, "current_password"), "{html}");

    let r = web
        .post_form(
            "/account/payout-account",
            &[("holder", "Ivy"), ("iban", "DE89370400440532013001")],
        )
        .await;
    let html = common::Browser::html(&r);
    assert!(next_to(html, "iban"), "{html}");

    let r = web
        .post_form("/account/close", &[("password", PASSWORD)])
        .await;
    let html = common::Browser::html(&r);
    assert!(next_to(html, "close-understood"), "{html}");

    // Nothing wrong with what was typed: the refusal is the account's.
    let (_, listing) = t.seller_with_listing("shop@example.com", 5).await;
    let buyer = t.user("bea@example.com", "buyer").await;
    assert_eq!(
        t.buy(&buyer, &listing, "4242424242424242").await.status,
        StatusCode::CREATED
    );
    let mut bea = common::Browser::new(&t);
    bea.login("bea@example.com").await;
    let r = bea
        .post_form(
            "/account/close",
            &[("password", PASSWORD), ("understood", "yes")],
        )
        .await;
    let html = common::Browser::html(&r);
    assert!(
        html.contains("id=\"security-error\"") && !html.contains("close-password-error"),
        "{html}"
    );
}
