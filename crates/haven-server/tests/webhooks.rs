//! Signed webhooks against a real HTTP receiver on loopback: the receiver
//! checks every signature the way docs/WEBHOOKS.md tells integrators to,
//! a failed delivery is retried after its backoff, topics filter, a paused
//! endpoint is sent nothing, a delivery can be resent, and one that never
//! gets through is dead-lettered. Admins only; bad input gets the error
//! shape.

mod common;

use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use common::*;
use haven_domain::account::Role;
use serde_json::{Value, json};

/// What the receiver saw: the headers it cares about and the raw body.
#[derive(Debug, Clone)]
struct Received {
    signature: String,
    event_id: String,
    event_type: String,
    body: Vec<u8>,
}

#[derive(Default)]
struct Receiver {
    received: Mutex<Vec<Received>>,
    /// Answers to give, first to last; 200 once they run out.
    script: Mutex<Vec<u16>>,
}

async fn receive(
    axum::extract::State(receiver): axum::extract::State<Arc<Receiver>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    receiver.received.lock().unwrap().push(Received {
        signature: header("haven-signature"),
        event_id: header("haven-event-id"),
        event_type: header("haven-event-type"),
        body: body.to_vec(),
    });
    let mut script = receiver.script.lock().unwrap();
    let status = if script.is_empty() {
        200
    } else {
        script.remove(0)
    };
    StatusCode::from_u16(status).unwrap()
}

/// A receiver listening on a free loopback port, and its URL.
async fn start_receiver(script: Vec<u16>) -> (Arc<Receiver>, String) {
    let receiver = Arc::new(Receiver {
        script: Mutex::new(script),
        ..Receiver::default()
    });
    let router = axum::Router::new()
        .route("/in", axum::routing::post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (receiver, url)
}

fn received(receiver: &Receiver) -> Vec<Received> {
    receiver.received.lock().unwrap().clone()
}

/// Checked as an integrator would: the raw body, the secret, real time.
fn signed_by(secret: &str, r: &Received) -> bool {
    haven_app::webhooks::verify(
        secret,
        &r.signature,
        &r.body,
        jiff::Timestamp::now().as_second(),
        haven_app::webhooks::SIGNATURE_TOLERANCE_S,
    )
}

async fn deliveries(t: &TestApp, admin: &str, endpoint: &str) -> Vec<Value> {
    let r = t
        .get(
            &format!("/api/v1/admin/webhooks/{endpoint}/deliveries"),
            Some(admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    r.json["items"].as_array().unwrap().clone()
}

async fn add_endpoint(t: &TestApp, token: &str, body: Value) -> Response {
    t.post("/api/v1/admin/webhooks", Some(token), body).await
}

async fn set_enabled(t: &TestApp, admin: &str, endpoint: &str, enabled: bool) -> Response {
    t.post(
        &format!("/api/v1/admin/webhooks/{endpoint}/state"),
        Some(admin),
        json!({ "enabled": enabled }),
    )
    .await
}

async fn resend(t: &TestApp, admin: &str, delivery: &str) -> Response {
    t.post(
        &format!("/api/v1/admin/webhooks/deliveries/{delivery}/resend"),
        Some(admin),
        json!({}),
    )
    .await
}

/// Publish what happened, then queue and send its deliveries.
async fn deliver(t: &TestApp) {
    t.tick().await;
    t.tick().await;
}

#[tokio::test]
async fn order_events_reach_a_real_receiver_signed_and_retried() {
    for t in on_every_backend().await {
        let (receiver, url) = start_receiver(vec![500]).await;
        let admin = staff_token(&t, "admin@example.com", Role::Admin).await;
        let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
        let r = add_endpoint(
            &t,
            &admin,
            json!({"url": url, "topics": ["order.paid"], "description": "ERP"}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let endpoint = r.json["id"].as_str().unwrap().to_string();
        let secret = r.json["secret"].as_str().unwrap().to_string();
        assert!(secret.starts_with("whsec_") && secret.len() > 40);
        // Afterwards the secret is masked.
        let listed = t.get("/api/v1/admin/webhooks", Some(&admin)).await;
        assert_eq!(listed.json[0]["id"], endpoint.as_str());
        assert_ne!(listed.json[0]["secret"], secret.as_str());
        assert!(
            listed.json[0]["secret"]
                .as_str()
                .unwrap()
                .ends_with(&secret[secret.len() - 4..])
        );

        // Published before the endpoint existed: never sent.
        deliver(&t).await;
        assert!(received(&receiver).is_empty());

        let buyer = t.user("b@example.com", "buyer").await;
        let order = t.buy(&buyer, &listing, "4242424242424242").await.json["id"]
            .as_str()
            .unwrap()
            .to_string();
        deliver(&t).await;
        let first = received(&receiver);
        assert_eq!(first.len(), 1, "answered 500 the first time");
        let log = deliveries(&t, &admin, &endpoint).await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0]["state"], "pending");
        assert_eq!(log[0]["last_error"], "HTTP 500");

        // After the backoff, delivered.
        t.clock.advance(jiff::SignedDuration::from_secs(11));
        t.tick().await;
        let both = received(&receiver);
        assert_eq!(both.len(), 2);
        for delivery in &both {
            assert!(signed_by(&secret, delivery), "{delivery:?}");
            assert!(!signed_by("whsec_someone_else", delivery));
            assert_eq!(delivery.event_type, "order.paid");
            let body: Value = serde_json::from_slice(&delivery.body).unwrap();
            assert_eq!(body["type"], "order.paid");
            assert_eq!(body["id"], delivery.event_id.as_str());
            assert_eq!(body["data"]["order_id"], order.as_str());
        }
        assert_eq!(both[0].event_id, both[1].event_id, "one event, retried");
        let log = deliveries(&t, &admin, &endpoint).await;
        assert_eq!(log[0]["state"], "done");
        assert_eq!(log[0]["attempts"], 2);

        // Not a subscribed topic: shipping sends nothing.
        t.ship(&seller, &order).await;
        deliver(&t).await;
        assert_eq!(received(&receiver).len(), 2);

        // Resent on request: the same event again.
        let delivery_id = log[0]["id"].as_str().unwrap();
        let r = resend(&t, &admin, delivery_id).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        t.tick().await;
        let all = received(&receiver);
        assert_eq!(all.len(), 3);
        assert_eq!(all[2].event_id, all[0].event_id);
        assert!(signed_by(&secret, &all[2]));
        assert_eq!(deliveries(&t, &admin, &endpoint).await.len(), 2);

        // Paused: nothing is sent, and resending is refused.
        let r = set_enabled(&t, &admin, &endpoint, false).await;
        assert_eq!(r.json["enabled"], false, "{:?}", r.json);
        t.buy(&buyer, &listing, "4242424242424242").await;
        deliver(&t).await;
        assert_eq!(received(&receiver).len(), 3);
        let r = resend(&t, &admin, delivery_id).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.json);
        // Resumed: from the next event on, not the one missed.
        set_enabled(&t, &admin, &endpoint, true).await;
        deliver(&t).await;
        assert_eq!(received(&receiver).len(), 3);
        t.buy(&buyer, &listing, "4242424242424242").await;
        deliver(&t).await;
        assert_eq!(received(&receiver).len(), 4);
        // Each change is on the audit log, against the admin who made it.
        let staff = t
            .app
            .store
            .user_by_email("admin@example.com")
            .await
            .unwrap();
        let staff = t.app.store.user(staff.unwrap().id).await.unwrap().unwrap();
        let log = t
            .app
            .store
            .audit_page(Some(staff.id), None, 20)
            .await
            .unwrap();
        let actions: Vec<(&str, &str)> = log
            .iter()
            .rev()
            .map(|(_, r)| (r.subject.as_str(), r.action.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                ("webhook", "created"),
                ("webhook", "delivery_resent"),
                ("webhook", "paused"),
                ("webhook", "resumed"),
            ]
        );
        assert!(
            log.iter()
                .all(|(_, r)| r.order_id.is_none() && r.subject_id.to_string() == endpoint)
        );
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_receiver_that_never_answers_dead_letters_the_delivery() {
    let t = TestApp::sqlite().await;
    // Bound, then closed: nothing listens on the port.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let admin = staff_token(&t, "admin@example.com", Role::Admin).await;
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let r = add_endpoint(
        &t,
        &admin,
        json!({"url": format!("http://127.0.0.1:{port}/in")}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let endpoint = r.json["id"].as_str().unwrap().to_string();
    let buyer = t.user("b@example.com", "buyer").await;
    t.buy(&buyer, &listing, "4242424242424242").await;
    deliver(&t).await;
    for _ in 0..haven_app::commands::MAX_ATTEMPTS {
        t.advance_hours(2);
        t.tick().await;
    }
    let log = deliveries(&t, &admin, &endpoint).await;
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|d| d["state"] == "dead"),
        "every event type is sent with no topics chosen, and each gave up: {log:?}"
    );
    assert!(
        log[0]["last_error"]
            .as_str()
            .unwrap()
            .starts_with("no answer"),
        "{log:?}"
    );
    // The console's dead-letter queue has them too.
    let agent = agent_token(&t).await;
    let dead = t.get("/api/v1/console/commands", Some(&agent)).await;
    assert!(
        dead.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["kind"] == "webhook.deliver"),
        "{:?}",
        dead.json
    );
}

#[tokio::test]
async fn only_admins_manage_webhooks_and_bad_input_gets_the_error_shape() {
    let t = TestApp::sqlite().await;
    let admin = staff_token(&t, "admin@example.com", Role::Admin).await;
    let agent = agent_token(&t).await;
    let buyer = t.user("b@example.com", "buyer").await;
    for token in [&agent, &buyer] {
        let r = t.get("/api/v1/admin/webhooks", Some(token)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.json);
        let r = add_endpoint(&t, token, json!({"url": "https://hooks.example.com/in"})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.json);
    }
    for (body, field) in [
        (json!({"url": "http://hooks.example.com/in"}), "url"),
        (json!({"url": "https://a:b@hooks.example.com/in"}), "url"),
        (
            json!({"url": "https://hooks.example.com/in", "topics": ["email"]}),
            "topics",
        ),
    ] {
        let r = t.post("/api/v1/admin/webhooks", Some(&admin), body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json);
        assert_eq!(r.json["error"]["details"]["field"], field, "{:?}", r.json);
    }
    let r = add_endpoint(&t, &admin, json!({"url": 5})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json);
    let unknown = uuid::Uuid::now_v7();
    let r = t
        .get(
            &format!("/api/v1/admin/webhooks/{unknown}/deliveries"),
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.json);
    let r = resend(&t, &admin, &unknown.to_string()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.json);
    for n in 0..haven_store::MAX_WEBHOOK_ENDPOINTS {
        let r = add_endpoint(
            &t,
            &admin,
            json!({"url": format!("https://hooks.example.com/{n}")}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    }
    let r = add_endpoint(
        &t,
        &admin,
        json!({"url": "https://hooks.example.com/one-too-many"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json);
}

#[tokio::test]
async fn an_admin_adds_pauses_and_reads_an_endpoint_from_the_web_pages() {
    let t = TestApp::sqlite().await;
    let (receiver, url) = start_receiver(vec![]).await;
    staff_token(&t, "admin@example.com", Role::Admin).await;
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let mut browser = Browser::new(&t);
    browser.login("admin@example.com").await;
    let page = browser.get("/admin/webhooks").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(Browser::html(&page).contains("No endpoints yet."));

    let added = browser
        .post_form(
            "/admin/webhooks",
            &[
                ("url", &url),
                ("topics", "order.paid"),
                ("description", "Books"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", Browser::html(&added));
    let html = Browser::html(&added).to_string();
    let secret = html
        .split("<code class=\"secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the secret is shown once")
        .to_string();
    assert!(html.contains("not shown again"), "{html}");
    let again = browser.get("/admin/webhooks").await;
    assert!(!Browser::html(&again).contains(&secret), "shown only once");

    let buyer = t.user("b@example.com", "buyer").await;
    t.buy(&buyer, &listing, "4242424242424242").await;
    deliver(&t).await;
    let got = received(&receiver);
    assert_eq!(got.len(), 1);
    assert!(signed_by(&secret, &got[0]));

    let endpoint = t.app.store.webhook_endpoints().await.unwrap()[0].id;
    let log = browser.get(&format!("/admin/webhooks/{endpoint}")).await;
    let html = Browser::html(&log);
    assert!(
        html.contains("order.paid") && html.contains("Delivered"),
        "{html}"
    );
    assert!(html.contains("Resend"), "{html}");
    let paused = browser
        .post_form(
            &format!("/admin/webhooks/{endpoint}/state"),
            &[("enabled", "false")],
        )
        .await;
    assert_eq!(paused.status, StatusCode::SEE_OTHER);
    let log = browser.get(&format!("/admin/webhooks/{endpoint}")).await;
    assert!(
        Browser::html(&log).contains("Paused: nothing is sent"),
        "{}",
        Browser::html(&log)
    );
    // The audit log says who paused it, and links to the endpoint.
    let audit = browser.get("/console/audit?q=admin%40example.com").await;
    let html = Browser::html(&audit);
    assert!(html.contains("Webhook paused: enabled → paused"), "{html}");
    assert!(
        html.contains(&format!("href=\"/admin/webhooks/{endpoint}\"")),
        "{html}"
    );

    // Not for agents or buyers.
    let mut agent = Browser::new(&t);
    agent_token(&t).await;
    agent.login("agent@example.com").await;
    assert_eq!(
        agent.get("/admin/webhooks").await.status,
        StatusCode::FORBIDDEN
    );
}
