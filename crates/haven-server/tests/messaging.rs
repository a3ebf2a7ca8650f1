//! Safe messaging through the real router: conversations per order and per
//! listing, the scanner's verdicts as each side sees them, unread counts,
//! offences flagged for the console, messages in the dispute evidence log,
//! masking in pre-sale chats, and bad input.

mod common;

use axum::http::StatusCode;
use common::{Browser, TestApp, agent_token, assert_error, staff_token, tracking_number};

const CARD_OK: &str = "4242424242424242";
use serde_json::{Value, json};

struct Chat {
    t: TestApp,
    buyer: String,
    seller: String,
    order: String,
    listing: String,
    conversation: String,
}

async fn ordered_on(t: TestApp) -> Chat {
    let (seller, listing) = t.seller_with_listing("seller@example.com", 5).await;
    let buyer = t.user("buyer@example.com", "buyer").await;
    let r = t.buy(&buyer, &listing, CARD_OK).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let order = r.json["id"].as_str().unwrap().to_string();
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/conversation"),
            Some(&buyer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let conversation = r.json["id"].as_str().unwrap().to_string();
    // Either side gets the same conversation.
    let again = t
        .post(
            &format!("/api/v1/orders/{order}/conversation"),
            Some(&seller),
            json!({}),
        )
        .await;
    assert_eq!(again.json["id"], conversation.as_str());
    Chat {
        t,
        buyer,
        seller,
        order,
        listing,
        conversation,
    }
}

impl Chat {
    async fn send(&self, token: &str, text: &str) -> common::Response {
        self.t
            .post(
                &format!("/api/v1/conversations/{}/messages", self.conversation),
                Some(token),
                json!({"text": text}),
            )
            .await
    }

    async fn read(&self, token: &str) -> Vec<Value> {
        let r = self
            .t
            .get(
                &format!("/api/v1/conversations/{}/messages", self.conversation),
                Some(token),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        r.json["messages"].as_array().unwrap().clone()
    }

    async fn unread(&self, token: &str) -> i64 {
        self.t.get("/api/v1/me/unread", Some(token)).await.json["unread"]
            .as_i64()
            .unwrap()
    }
}

#[tokio::test]
async fn scam_messages_are_warned_or_blocked_and_each_side_sees_the_right_thing() {
    let c = ordered_on(TestApp::sqlite().await).await;
    let hello = c
        .send(&c.seller, "Thanks for your order! It ships tomorrow.")
        .await;
    assert_eq!(hello.status, StatusCode::CREATED, "{:?}", hello.json);
    assert_eq!(hello.json["delivery"], "delivered");

    let contact = c
        .send(&c.seller, "Quicker to chat on whatsapp: +1 415 555 0134")
        .await;
    assert_eq!(contact.json["delivery"], "warned", "{:?}", contact.json);
    assert!(
        contact.json["categories"]
            .as_array()
            .unwrap()
            .contains(&json!("off_platform_contact"))
    );

    let fee = c.send(&c.seller, "Customs is holding your parcel. Pay the 35 USD release fee by bank transfer to IBAN DE89 3704 0044 0532 0130 00").await;
    assert_eq!(fee.json["delivery"], "blocked", "{:?}", fee.json);
    assert!(
        !fee.json["blocked_reasons"].as_array().unwrap().is_empty(),
        "the sender is told why"
    );

    assert_eq!(
        c.unread(&c.buyer).await,
        2,
        "the blocked message never reaches the buyer"
    );
    let seen = c.read(&c.buyer).await;
    assert_eq!(seen.len(), 2);
    assert!(seen[0]["warnings"].as_array().unwrap().is_empty());
    let warning = seen[1]["warnings"].as_array().unwrap();
    assert!(!warning.is_empty(), "the buyer is warned: {:?}", seen[1]);
    assert!(warning[0].as_str().unwrap().contains("outside Haven"));
    assert_eq!(c.unread(&c.buyer).await, 0, "reading marks read");

    // Paging counts hidden messages too: a page ending on a blocked one
    // still says where the next page starts.
    let page =
        c.t.get(
            &format!(
                "/api/v1/conversations/{}/messages?after=1&limit=2",
                c.conversation
            ),
            Some(&c.buyer),
        )
        .await;
    assert_eq!(
        page.json["messages"].as_array().unwrap().len(),
        1,
        "{:?}",
        page.json
    );
    assert_eq!(page.json["next_after"], 3);
    let sender_view = c.read(&c.seller).await;
    assert_eq!(
        sender_view.len(),
        3,
        "the sender sees their blocked message"
    );
    assert_eq!(sender_view[2]["delivery"], "blocked");
    assert!(
        sender_view[1]["warnings"].as_array().unwrap().is_empty(),
        "warnings are for the recipient"
    );

    // A benign reply from the buyer is delivered and counted for the seller.
    let reply = c
        .send(
            &c.buyer,
            "Great, thank you! I paid with PayPal at checkout, right?",
        )
        .await;
    assert_eq!(reply.json["delivery"], "delivered", "{:?}", reply.json);
    assert_eq!(c.unread(&c.seller).await, 1);
    let list =
        c.t.get("/api/v1/conversations?as=seller", Some(&c.seller))
            .await;
    assert_eq!(list.json["items"][0]["id"], c.conversation.as_str());
    assert_eq!(
        list.json["items"][0]["message_count"], 3,
        "the blocked message is not counted, for anyone"
    );
}

#[tokio::test]
async fn repeated_offences_flag_the_conversation_for_the_console() {
    let c = ordered_on(TestApp::sqlite().await).await;
    let agent = agent_token(&c.t).await;
    for text in [
        "message me on telegram @fastdeals_shop",
        "send the money via western union and I ship today",
        "please confirm receipt now so I get paid, the parcel is on its way",
    ] {
        let r = c.send(&c.seller, text).await;
        assert_ne!(r.json["delivery"], "delivered", "{text}: {:?}", r.json);
    }
    let flagged = c.t.get("/api/v1/console/conversations", Some(&agent)).await;
    assert_eq!(flagged.status, StatusCode::OK, "{:?}", flagged.json);
    assert_eq!(flagged.json["items"][0]["id"], c.conversation.as_str());
    assert_eq!(flagged.json["items"][0]["flagged"], true);
    let flags = c.t.get("/api/v1/console/flags", Some(&agent)).await;
    let kinds: Vec<&str> = flags.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["scam_messages"],
        "one flag, not one per message"
    );
    let user =
        c.t.app
            .store
            .user_by_email("seller@example.com")
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        user.scam_offences, 3,
        "each is a strike candidate against the sender"
    );
    assert_eq!(
        c.t.get("/api/v1/console/conversations", Some(&c.buyer))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Agents can read a flagged conversation, blocked messages included.
    let r =
        c.t.get(
            &format!("/api/v1/conversations/{}/messages", c.conversation),
            Some(&agent),
        )
        .await;
    assert_eq!(r.json["messages"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn messages_during_a_dispute_go_into_its_evidence_log() {
    let c = ordered_on(TestApp::sqlite().await).await;
    let ship =
        c.t.post(
            &format!("/api/v1/orders/{}/ship", c.order),
            Some(&c.seller),
            json!({"carrier": "simpost", "tracking_number": tracking_number()}),
        )
        .await;
    assert_eq!(ship.status, StatusCode::OK, "{:?}", ship.json);
    let opened = c
        .t
        .post(
            &format!("/api/v1/orders/{}/disputes", c.order),
            Some(&c.buyer),
            json!({"reason": "not_received", "requested_outcome": {"type": "full_refund"}, "description": "nothing came"}),
        )
        .await;
    assert_eq!(opened.status, StatusCode::CREATED, "{:?}", opened.json);
    let dispute = opened.json["id"].as_str().unwrap().to_string();
    let pressure = c
        .send(
            &c.seller,
            "Close the dispute and I will refund you outside, I promise",
        )
        .await;
    assert_eq!(pressure.json["delivery"], "warned", "{:?}", pressure.json);
    assert!(
        pressure.json["categories"]
            .as_array()
            .unwrap()
            .contains(&json!("dispute_pressure"))
    );
    let log =
        c.t.get(
            &format!("/api/v1/disputes/{dispute}/evidence"),
            Some(&c.buyer),
        )
        .await;
    let entries = log.json["items"]
        .as_array()
        .or(log.json.as_array())
        .unwrap()
        .clone();
    let message = entries
        .iter()
        .find(|e| e["kind"] == "message")
        .expect("the chat message is in the log");
    assert_eq!(message["body"]["conversation_id"], c.conversation.as_str());
    assert_eq!(message["body"]["delivery"], "warned");
    assert!(
        message["body"]["text"]
            .as_str()
            .unwrap()
            .contains("Close the dispute")
    );
    // A blocked message stays out of the log the buyer reads.
    let blocked = c
        .send(
            &c.seller,
            "Pay me 20 USD by Western Union and I close this for you",
        )
        .await;
    assert_eq!(blocked.json["delivery"], "blocked", "{:?}", blocked.json);
    let log =
        c.t.get(
            &format!("/api/v1/disputes/{dispute}/evidence"),
            Some(&c.buyer),
        )
        .await;
    assert!(
        !log.json.to_string().contains("Western Union"),
        "{}",
        log.json
    );
    c.t.verify_clean().await;
}

#[tokio::test]
async fn presale_questions_and_masked_contacts() {
    let t = TestApp::sqlite_with(|config| config.mask_presale_contacts = true).await;
    let (seller, listing) = t.seller_with_listing("seller@example.com", 5).await;
    let buyer = t.user("buyer@example.com", "buyer").await;
    let own = t
        .post(
            &format!("/api/v1/listings/{listing}/conversation"),
            Some(&seller),
            json!({}),
        )
        .await;
    assert_error(&own, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = t
        .post(
            &format!("/api/v1/listings/{listing}/conversation"),
            Some(&buyer),
            json!({}),
        )
        .await;
    assert_eq!(r.json["kind"], "pre_sale");
    let id = r.json["id"].as_str().unwrap().to_string();
    let q = t
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&buyer),
            json!({"text": "Is the lamp still available?"}),
        )
        .await;
    assert_eq!(q.json["delivery"], "delivered");
    let a = t
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&seller),
            json!({"text": "Yes! Any questions, call me at +1 415 555 0134"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.json);
    assert!(
        a.json["text"].as_str().unwrap().contains("555 0134"),
        "the sender sees what they wrote"
    );
    let seen = t
        .get(
            &format!("/api/v1/conversations/{id}/messages"),
            Some(&buyer),
        )
        .await;
    let shown = seen.json["messages"][1]["text"].as_str().unwrap();
    assert!(
        !shown.contains("555 0134"),
        "the number is masked for the buyer: {shown}"
    );
}

#[tokio::test]
async fn strangers_and_bad_input_are_refused() {
    let c = ordered_on(TestApp::sqlite().await).await;
    let stranger = c.t.user("stranger@example.com", "buyer").await;
    let path = format!("/api/v1/conversations/{}/messages", c.conversation);
    assert_error(
        &c.t.get(&path, Some(&stranger)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &c.t.post(&path, Some(&stranger), json!({"text": "hi"}))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &c.t.post(
            &format!("/api/v1/orders/{}/conversation", c.order),
            Some(&stranger),
            json!({}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        &c.t.get("/api/v1/conversations/not-an-id/messages", Some(&c.buyer))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(c.t.get(&path, None).await.status, StatusCode::UNAUTHORIZED);

    let oversized = "a".repeat(4_001);
    assert_error(
        &c.send(&c.buyer, &oversized).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_error(
        &c.send(&c.buyer, "hello\u{0007}there").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_error(
        &c.send(&c.buyer, "   ").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let invalid_utf8 =
        c.t.request(
            "POST",
            &path,
            Some(&c.buyer),
            Some(b"{\"text\": \"\xff\xfe\"}".to_vec()),
            &[],
        )
        .await;
    assert_error(&invalid_utf8, StatusCode::BAD_REQUEST, "bad_request");
    let wrong_type = c.t.post(&path, Some(&c.buyer), json!({"text": 42})).await;
    assert_error(
        &wrong_type,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let unknown_field =
        c.t.post(&path, Some(&c.buyer), json!({"text": "hi", "to": "x"}))
            .await;
    assert_error(
        &unknown_field,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_error(
        &c.t.get(&format!("{path}?limit=0"), Some(&c.buyer)).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    assert_error(
        &c.t.get("/api/v1/conversations?as=admin", Some(&c.buyer))
            .await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    );
    // Nothing was stored by the refused attempts.
    assert!(c.read(&c.seller).await.is_empty());

    // Attachments follow the evidence rules.
    let file_path = format!(
        "/api/v1/conversations/{}/messages/file?text=photo",
        c.conversation
    );
    let not_media =
        c.t.request(
            "POST",
            &file_path,
            Some(&c.buyer),
            Some(b"just text".to_vec()),
            &[],
        )
        .await;
    assert_error(
        &not_media,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let png = [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        &[7_u8; 64],
    ]
    .concat();
    let sent =
        c.t.request("POST", &file_path, Some(&c.buyer), Some(png.clone()), &[])
            .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.json);
    let hash = sent.json["attachments"][0]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let listing_owner_view =
        c.t.request(
            "GET",
            &format!(
                "/api/v1/conversations/{}/attachments/{hash}",
                c.conversation
            ),
            Some(&c.seller),
            None,
            &[],
        )
        .await;
    assert_eq!(listing_owner_view.status, StatusCode::OK);
    let stranger_view =
        c.t.get(
            &format!(
                "/api/v1/conversations/{}/attachments/{hash}",
                c.conversation
            ),
            Some(&stranger),
        )
        .await;
    assert_eq!(stranger_view.status, StatusCode::NOT_FOUND);
    let _ = &c.listing;
}

/// A regional carrier the operator adds to `carrier_domains`: its tracking
/// links (which name the marketplace in their path) stop being flagged as
/// imitations of Haven.
#[tokio::test]
async fn links_to_a_carrier_the_operator_added_are_trusted() {
    let c = ordered_on(TestApp::sqlite().await).await;
    let agent = agent_token(&c.t).await;
    let text = "Shipped! Track it at https://track.swiftpost.example/haven/ZX12345";
    let first = c.send(&c.seller, text).await;
    assert_eq!(first.json["delivery"], "blocked", "{:?}", first.json);
    let added =
        c.t.post(
            "/api/v1/console/risk/lists/carrier_domains",
            Some(&agent),
            json!({"value": "swiftpost.example"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{:?}", added.json);
    let second = c.send(&c.seller, text).await;
    assert_eq!(second.json["delivery"], "delivered", "{:?}", second.json);
}

/// A second domain the marketplace owns, added to `marketplace_domains`:
/// links to it stop being flagged as imitations of Haven.
#[tokio::test]
async fn links_to_a_domain_the_operator_added_as_its_own_are_trusted() {
    let c = ordered_on(TestApp::sqlite().await).await;
    let agent = agent_token(&c.t).await;
    let text = "Your invoice is at https://haven-shop.example/orders/123";
    let first = c.send(&c.seller, text).await;
    assert_eq!(first.json["delivery"], "blocked", "{:?}", first.json);
    let added =
        c.t.post(
            "/api/v1/console/risk/lists/marketplace_domains",
            Some(&agent),
            json!({"value": "haven-shop.example"}),
        )
        .await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{:?}", added.json);
    let second = c.send(&c.seller, text).await;
    assert_eq!(second.json["delivery"], "delivered", "{:?}", second.json);
    // A lookalike of the new domain is still an imitation.
    let fake = c
        .send(
            &c.seller,
            "Pay the balance at https://haven-shop.example.payments-secure.top/x",
        )
        .await;
    assert_eq!(fake.json["delivery"], "blocked", "{:?}", fake.json);
}

/// The admin renames the brand the scanner protects: links that imitate
/// the new name are caught from then on, on the settings page's word.
#[tokio::test]
async fn the_brand_an_admin_sets_reaches_the_scanner() {
    let c = ordered_on(TestApp::sqlite().await).await;
    let text = "Your refund is waiting at https://brightbazaar-help.net/claim";
    let before = c.send(&c.seller, text).await;
    let categories = |r: &common::Response| r.json["categories"].to_string();
    assert!(
        !categories(&before).contains("phishing"),
        "{:?}",
        before.json
    );
    staff_token(
        &c.t,
        "admin@example.com",
        haven_domain::account::Role::Admin,
    )
    .await;
    let mut web = Browser::new(&c.t);
    web.login("admin@example.com").await;
    let r = web
        .post_form("/admin/settings/brand", &[("brand_name", "x")])
        .await;
    let html = Browser::html(&r);
    assert!(html.contains("id=\"brand_name-error\""), "{html}");
    assert!(html.contains("value=\"x\""), "what was typed is kept");
    let r = web
        .post_form("/admin/settings/brand", &[("brand_name", "BrightBazaar")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", Browser::html(&r));
    let page = web.get("/admin/settings").await;
    let html = Browser::html(&page);
    assert!(html.contains("now protects the name"), "{html}");
    assert!(html.contains("value=\"BrightBazaar\""), "{html}");
    let after = c.send(&c.seller, text).await;
    assert!(categories(&after).contains("phishing"), "{:?}", after.json);
    assert_ne!(after.json["delivery"], "delivered");
    // Saved again unchanged, the name stays.
    web.post_form("/admin/settings/brand", &[("brand_name", "BrightBazaar")])
        .await;
    assert_eq!(c.t.app.scanner_brand().await.unwrap(), "BrightBazaar");
    // Only an admin sets it.
    let mut agent = Browser::new(&c.t);
    agent_token(&c.t).await;
    agent.login("agent@example.com").await;
    let r = agent
        .post_form("/admin/settings/brand", &[("brand_name", "Other")])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
