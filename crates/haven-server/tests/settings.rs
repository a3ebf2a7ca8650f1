//! Platform settings: an admin publishes new policy defaults as a new
//! version, through the API and the admin page; new orders follow it,
//! orders already placed keep theirs, another node takes it up on its next
//! tick, and a restart with a default configuration keeps it.

mod common;

use axum::http::StatusCode;
use common::*;
use haven_domain::account::Role;
use serde_json::json;

#[tokio::test]
async fn an_admin_publishes_a_policy_version_that_new_orders_follow() {
    for t in on_every_backend().await {
        let admin = staff_token(&t, "admin@example.com", Role::Admin).await;
        let (seller, listing) = t.seller_with_listing("s@example.com", 10).await;
        let buyer = t.user("b@example.com", "buyer").await;
        let before = t.buy(&buyer, &listing, "4242424242424242").await;
        let before_version = before.json["policy_version"].as_i64().unwrap();

        let r = t.get("/api/v1/admin/policy", Some(&admin)).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["version"], before_version);
        assert_eq!(r.json["policy"]["commission_bps"], 800);
        let mut policy = r.json["policy"].clone();
        policy["commission_bps"] = json!(1_000);
        policy["protection_days_after_delivery"] = json!(20);
        let r = t
            .post("/api/v1/admin/policy", Some(&admin), policy.clone())
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let version = r.json["version"].as_i64().unwrap();
        assert_eq!(version, before_version + 1);

        let after = t.buy(&buyer, &listing, "4242424242424242").await;
        assert_eq!(
            after.json["policy_version"], version,
            "new orders follow it"
        );
        let old = t
            .get(
                &format!("/api/v1/orders/{}", before.json["id"].as_str().unwrap()),
                Some(&buyer),
            )
            .await;
        assert_eq!(
            old.json["policy_version"], before_version,
            "placed orders keep theirs"
        );

        // Another node takes it up on its next tick.
        let node = t.another_node().await;
        node.tick().await;
        assert_eq!(node.app.current_policy().0, version);
        assert_eq!(node.app.current_policy().1.commission_bps, 1_000);

        // Refused: not an admin, impossible numbers, unknown fields.
        let r = t
            .post("/api/v1/admin/policy", Some(&seller), policy.clone())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.json);
        let agent = agent_token(&t).await;
        assert_eq!(
            t.get("/api/v1/admin/policy", Some(&agent)).await.status,
            StatusCode::FORBIDDEN
        );
        let mut bad = policy.clone();
        bad["commission_bps"] = json!(20_000);
        let r = t.post("/api/v1/admin/policy", Some(&admin), bad).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let mut unknown = policy.clone();
        unknown["surprise_fee_bps"] = json!(5);
        let r = t.post("/api/v1/admin/policy", Some(&admin), unknown).await;
        assert!(r.status.is_client_error(), "{:?}", r.json);
        assert_eq!(t.app.current_policy().0, version, "refusals change nothing");
    }
}

#[tokio::test]
async fn the_settings_page_publishes_and_names_a_refused_field() {
    let t = TestApp::sqlite().await;
    staff_token(&t, "admin@example.com", Role::Admin).await;
    let mut web = Browser::new(&t);
    web.login("admin@example.com").await;
    let page = web.get("/admin/settings").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = Browser::html(&page).to_string();
    assert!(
        html.contains("id=\"commission_bps\" name=\"commission_bps\" value=\"800\""),
        "{html}"
    );
    let version = t.app.current_policy().0;

    let mut fields: Vec<(String, String)> = serde_json::to_value(t.app.current_policy().1.as_ref())
        .unwrap()
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string()))
        .collect();
    let set = |fields: &mut Vec<(String, String)>, key: &str, value: &str| {
        fields.iter_mut().find(|(k, _)| k == key).unwrap().1 = value.to_string();
    };
    set(&mut fields, "commission_bps", "nine");
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = web.post_form("/admin/settings", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = Browser::html(&r);
    assert!(html.contains("write a whole number"), "{html}");
    // Next to its field, which says so to a screen reader.
    assert!(
        html.contains("aria-describedby=\"commission_bps-error\"")
            && html.contains("<p class=\"field-error\" id=\"commission_bps-error\">"),
        "{html}"
    );
    assert!(html.contains("value=\"nine\""), "what was typed is kept");
    assert_eq!(t.app.current_policy().0, version);

    set(&mut fields, "commission_bps", "900");
    let form: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = web.post_form("/admin/settings", &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = web.get("/admin/settings").await;
    let html = Browser::html(&page);
    assert!(
        html.contains(&format!("Policy version {} is live", version + 1)),
        "{html}"
    );
    assert_eq!(t.app.current_policy().1.commission_bps, 900);
    // The history names who published the new version and what changed.
    let row_start = html
        .find(&format!("id=\"policy-v{}\"", version + 1))
        .expect("the new version is listed");
    let row = &html[row_start..html[row_start..].find("</tr>").unwrap() + row_start];
    assert!(row.contains("live"), "{row}");
    assert!(
        row.contains("Staff admin@example.com"),
        "who published it: {row}"
    );
    assert!(
        row.contains("(800 = 8 %): 800 → 900"),
        "what changed: {row}"
    );
    let first = html.find(&format!("id=\"policy-v{version}\"")).unwrap();
    assert!(
        html[first..].contains("Haven, from its configuration at start-up"),
        "{html}"
    );

    // The operator lists are kept from here too, and back to this page.
    let r = web
        .post_form(
            "/console/risk/lists",
            &[
                ("back", "admin"),
                ("name", "carrier_domains"),
                ("value", "fastpost.example"),
            ],
        )
        .await;
    assert_eq!(
        r.headers["location"],
        "/admin/settings#list-carrier_domains"
    );
    let html = Browser::html(&web.get("/admin/settings").await).to_string();
    assert!(html.contains("<code>fastpost.example</code>"), "{html}");
    let r = web
        .post_form(
            "/console/risk/lists",
            &[
                ("back", "admin"),
                ("name", "carrier_domains"),
                ("value", " "),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let html = Browser::html(&web.get("/admin/settings").await).to_string();
    assert!(html.contains("role=\"alert\""), "{html}");

    // A restart with the default configuration keeps the admin's version.
    let restarted = t.another_node().await;
    assert_eq!(restarted.app.current_policy().0, version + 1);
}
