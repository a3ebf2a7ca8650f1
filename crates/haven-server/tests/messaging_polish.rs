//! Messaging as people use it from the site: "Ask the seller" starts a
//! conversation only when a question is sent, both sides see each other by
//! name, a seller's inbox opens on the store's buyers, the sender of a
//! blocked message is told why in words written for them, and either party
//! can report a conversation to the console (once), through the API too.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

async fn conversations(t: &TestApp, token: &str) -> Vec<serde_json::Value> {
    let r = t.get("/api/v1/conversations", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    r.json["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn ask_the_seller_names_both_sides_and_explains_a_blocked_message() {
    let t = TestApp::sqlite().await;
    let (seller, listing) = t.seller_with_listing("seller@example.com", 5).await;
    let buyer = t.user("buyer@example.com", "buyer").await;
    let mut web = Browser::new(&t);
    web.login("buyer@example.com").await;

    let form = web.get(&format!("/listings/{listing}/ask")).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(Browser::html(&form).contains("Ask seller@example.com store"));
    assert!(
        conversations(&t, &buyer).await.is_empty(),
        "opening the form creates nothing"
    );
    let r = web
        .post_form(&format!("/listings/{listing}/ask"), &[("text", "   ")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(Browser::html(&r).contains("id=\"text-error\""));
    assert!(
        conversations(&t, &buyer).await.is_empty(),
        "nor does an empty question"
    );

    let r = web
        .post_form(
            &format!("/listings/{listing}/ask"),
            &[("text", "Does the lamp come with a bulb?")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let location = r.headers["location"].to_str().unwrap().to_string();
    let listed = conversations(&t, &buyer).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["store_name"], "seller@example.com store");
    let id = listed[0]["id"].as_str().unwrap().to_string();
    assert!(location.starts_with(&format!("/messages/{id}")));
    let again = web.get(&format!("/listings/{listing}/ask")).await;
    assert_eq!(
        again.status,
        StatusCode::SEE_OTHER,
        "the thread so far, not a new one"
    );

    // The seller's inbox opens on the store's buyers, named.
    let mut shop = Browser::new(&t);
    shop.login("seller@example.com").await;
    let inbox = shop.get("/messages").await;
    let html = Browser::html(&inbox);
    assert!(
        html.contains("Does the lamp") || html.contains("Walnut desk lamp"),
        "{html}"
    );
    let buyer_name = listed[0]["buyer_name"].as_str().unwrap().to_string();
    assert!(html.contains(&buyer_name), "the buyer is named: {html}");
    assert!(
        html.contains("aria-current=\"page\">My store's buyers"),
        "{html}"
    );

    // A blocked message: its sender reads why, in words for a sender.
    let r = t
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&seller),
            json!({"text": "Pay the 35 USD customs release fee by bank transfer to IBAN DE89 3704 0044 0532 0130 00"}),
        )
        .await;
    assert_eq!(r.json["delivery"], "blocked", "{:?}", r.json);
    let page = shop.get(&format!("/messages/{id}")).await;
    let html = Browser::html(&page);
    assert!(html.contains("With <strong>"), "{html}");
    assert!(
        html.contains("Not sent.") && html.contains(&buyer_name),
        "{html}"
    );
    assert!(
        html.contains("It asks for a payment outside Haven"),
        "{html}"
    );
    assert!(html.contains("What Haven noticed: IBAN"), "{html}");
    assert!(
        !html.contains("Only pay at Haven"),
        "not the buyer's warning: {html}"
    );
    let page = web.get(&format!("/messages/{id}")).await;
    let html = Browser::html(&page);
    assert!(!html.contains("release fee"), "the buyer never sees it");
    assert!(html.contains("seller@example.com store"), "{html}");
}

#[tokio::test]
async fn either_party_reports_a_conversation_once_and_agents_read_why() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("seller@example.com", 5).await;
        let buyer = t.user("buyer@example.com", "buyer").await;
        let id = t.ask_seller(&buyer, &listing).await;
        let report = |token: &str, reason: &str| {
            let (path, token, body) = (
                format!("/api/v1/conversations/{id}/report"),
                token.to_string(),
                json!({ "reason": reason }),
            );
            let t = &t;
            async move { t.post(&path, Some(&token), body).await }
        };
        let r = report(&buyer, "").await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let stranger = t.user("x@example.com", "buyer").await;
        let r = report(&stranger, "spam").await;
        assert_error(&r, StatusCode::NOT_FOUND, "not_found");
        let agent = agent_token(&t).await;
        let r = report(&agent, "spam").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.json);

        let r = report(&buyer, "The seller keeps asking me to pay by Zelle").await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["flagged"], true);
        let r = report(&buyer, "again").await;
        assert_error(&r, StatusCode::CONFLICT, "invalid_state");
        let r = report(&seller, "The buyer is rude").await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);

        let flagged = t.get("/api/v1/console/conversations", Some(&agent)).await;
        assert_eq!(
            flagged.json["items"][0]["id"],
            id.as_str(),
            "{:?}",
            flagged.json
        );
        let flags = t.get("/api/v1/console/flags", Some(&agent)).await;
        let details: Vec<&str> = flags.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "reported_conversation")
            .map(|f| f["detail"].as_str().unwrap())
            .collect();
        assert_eq!(details.len(), 2, "{details:?}");
        assert!(details.iter().any(|d| d.contains("pay by Zelle")));
    }
}

#[tokio::test]
async fn the_report_button_reaches_the_console() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("seller@example.com", 5).await;
    t.user("buyer@example.com", "buyer").await;
    let mut web = Browser::new(&t);
    web.login("buyer@example.com").await;
    let r = web
        .post_form(
            &format!("/listings/{listing}/ask"),
            &[("text", "Is it new?")],
        )
        .await;
    let location = r.headers["location"].to_str().unwrap();
    let conversation = location.trim_end_matches("#latest").to_string();
    let page = web.get(&conversation).await;
    assert!(Browser::html(&page).contains("id=\"send-report\""));
    let r = web
        .post_form(
            &format!("{conversation}/report"),
            &[("reason", "Asked me to pay half by gift card")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = web.get(&conversation).await;
    let html = Browser::html(&page);
    assert!(
        html.contains("An agent will read this conversation") && html.contains("id=\"reported\""),
        "{html}"
    );
    assert!(!html.contains("id=\"send-report\""));

    staff_token(&t, "agent@example.com", haven_domain::account::Role::Agent).await;
    let mut console = Browser::new(&t);
    console.login("agent@example.com").await;
    let page = console.get("/console/safety").await;
    let html = Browser::html(&page);
    assert!(
        html.contains("The buyer reported: Asked me to pay half by gift card"),
        "{html}"
    );

    // Closing it needs a note; then it leaves the queue, saying so.
    let id = conversation.trim_start_matches("/messages/");
    let close = format!("/console/conversations/{id}/close");
    let r = console.post_form(&close, &[("note", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = console.get("/console/safety").await;
    let html = Browser::html(&page);
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(html.contains(&format!("/console/conversations/{id}/close")));
    let r = console
        .post_form(
            &close,
            &[(
                "note",
                "Warned the seller; gift cards are never Haven's way to pay",
            )],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = console.get("/console/safety").await;
    let html = Browser::html(&page);
    assert!(html.contains("Closed: it left the queue"), "{html}");
    assert!(!html.contains(&format!("/console/conversations/{id}/close")));
    assert!(
        html.contains("Agent closed"),
        "the decision and its author are kept: {html}"
    );
    // A buyer can't close anything.
    let r = web.post_form(&close, &[("note", "fine")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

/// The notices of one kind a person has, newest first.
async fn notices(t: &TestApp, token: &str, kind: &str) -> Vec<serde_json::Value> {
    let r = t.get("/api/v1/notifications", Some(token)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind)
        .cloned()
        .collect()
}

#[tokio::test]
async fn new_messages_are_told_of_once_per_window_and_not_once_read() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("seller@example.com", 5).await;
        let buyer = t.user("buyer@example.com", "buyer").await;
        let id = t.ask_seller(&buyer, &listing).await;
        let say = |text: &'static str| {
            let (t, path, buyer) = (
                &t,
                format!("/api/v1/conversations/{id}/messages"),
                buyer.clone(),
            );
            async move {
                let r = t.post(&path, Some(&buyer), json!({ "text": text })).await;
                assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
            }
        };
        say("Hello, is the lamp still available?").await;
        say("And does it ship to Germany?").await;
        say("Thanks!").await;
        let mails_before = emails(&t).await.len();
        t.tick().await;
        assert!(
            notices(&t, &seller, "messages").await.is_empty(),
            "not before the window ends"
        );

        t.advance_hours(1);
        t.tick().await;
        let told = notices(&t, &seller, "messages").await;
        assert_eq!(told.len(), 1, "one notice for three messages: {told:?}");
        assert_eq!(told[0]["title"], "3 new messages");
        assert_eq!(told[0]["link"], "/messages");
        let mails = emails(&t).await;
        assert_eq!(mails.len(), mails_before + 1, "{mails:?}");
        assert_eq!(mails.last().unwrap()["subject"], "3 new messages");
        assert_eq!(mails.last().unwrap()["to"], "seller@example.com");
        assert!(
            notices(&t, &buyer, "messages").await.is_empty(),
            "the sender is not told"
        );

        // Read before the window ends: nothing to tell.
        say("One more question: is the bulb included?").await;
        let r = t
            .get(
                &format!("/api/v1/conversations/{id}/messages"),
                Some(&seller),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        t.advance_hours(1);
        t.tick().await;
        assert_eq!(notices(&t, &seller, "messages").await.len(), 1);

        // Message emails switched off: the notice still comes, the email not.
        let r = t
            .post(
                "/api/v1/account/email-settings",
                Some(&seller),
                json!({"email_off": ["messages"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        say("Hello again").await;
        let mails_before = emails(&t).await.len();
        t.advance_hours(1);
        t.tick().await;
        assert_eq!(notices(&t, &seller, "messages").await.len(), 2);
        assert_eq!(emails(&t).await.len(), mails_before);
    }
}
