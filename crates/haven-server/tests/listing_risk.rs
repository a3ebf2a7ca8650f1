//! Listing risk through the real router (issue 13, bullet 6): a protected
//! brand far below its category's median, text or photos copied from
//! another store, and regulated categories are held for an agent with
//! their reasons; Guaranteed Genuine needs the store's brand proof
//! approved; an agent's release checks the certificates the listing page
//! then shows. On SQLite and, when configured, PostgreSQL.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};

const CARD_OK: &str = "4242424242424242";

async fn add_to_list(t: &TestApp, agent: &str, list: &str, value: &str) {
    let r = t
        .post(
            &format!("/api/v1/console/risk/lists/{list}"),
            Some(agent),
            json!({"value": value}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.json);
}

fn electronics(title: &str, price_minor: i64) -> Value {
    let mut body = listing_body(10);
    body["title"] = json!(title);
    body["category"] = json!("electronics");
    body["price"] = json!({"amount_minor": price_minor, "currency": "USD"});
    body
}

async fn create(t: &TestApp, seller: &str, body: Value) -> Value {
    let r = t.post("/api/v1/listings", Some(seller), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    r.json
}

async fn held_ids(t: &TestApp, agent: &str) -> Vec<String> {
    let r = t
        .get("/api/v1/console/listings/held?limit=100", Some(agent))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_protected_brand_far_below_its_category_is_held_until_an_agent_releases_it() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        add_to_list(&t, &agent, "protected_brands", "Voltra").await;
        let (honest, _) = t.seller_with_listing("honest@example.com", 5).await;
        let (shady, _) = t.seller_with_listing("shady@example.com", 5).await;

        // Four listings make no reference yet: nothing is held.
        for price in [4_000, 4_500, 5_000, 5_500] {
            create(&t, &honest, electronics("Travel adapter", price)).await;
        }
        let early = create(&t, &shady, electronics("Voltra PD65 charger", 900)).await;
        assert_eq!(early["held"], false, "no reference: {early:?}");

        // Five and more: 9.00 is far below the 50.00 median.
        create(&t, &honest, electronics("Desk fan", 6_000)).await;
        let fake = create(&t, &shady, electronics("VOLTRA pd65 charger", 900)).await;
        assert_eq!(fake["held"], true, "{fake:?}");
        assert_eq!(fake["held_by_checks"], true);
        let reason = fake["hold_reason"].as_str().unwrap();
        assert!(
            reason.contains("\"Voltra\"") && reason.contains("% of the usual price"),
            "{reason}"
        );
        let fair = create(&t, &shady, electronics("Voltra PD65 charger, boxed", 4_200)).await;
        assert_eq!(fair["held"], false, "a fair price is not held");
        let unbranded = create(&t, &shady, electronics("Generic charger 65W", 900)).await;
        assert_eq!(unbranded["held"], false, "cheap without a protected brand");

        let fake_id = fake["id"].as_str().unwrap();
        assert!(held_ids(&t, &agent).await.contains(&fake_id.to_string()));
        let seller_view = t.get("/api/v1/console/listings/held", Some(&shady)).await;
        assert_error(&seller_view, StatusCode::FORBIDDEN, "forbidden");

        // Held: no orders; released by an agent: on sale.
        let buyer = t.user("buyer@example.com", "buyer").await;
        let r = t.buy(&buyer, fake_id, CARD_OK).await;
        assert_error(&r, StatusCode::CONFLICT, "listing_held");
        let r = t
            .post(
                &format!("/api/v1/console/listings/{fake_id}/release"),
                Some(&agent),
                json!({"reason": "Seller showed a distributor invoice"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["held"], false);
        assert!(!held_ids(&t, &agent).await.contains(&fake_id.to_string()));
        let r = t.buy(&buyer, fake_id, CARD_OK).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        t.verify_clean().await;
    }
}

/// A photo as PNG bytes: a diagonal gradient, brightened by `lift`.
fn photo(width: u32, height: u32, lift: u8) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        let v = ((x * 200 / width + y * 40 / height) as u8).saturating_add(lift);
        image::Rgb([v, v / 2, 255 - v])
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

async fn upload(t: &TestApp, seller: &str, bytes: Vec<u8>) -> String {
    let r = t
        .request("POST", "/api/v1/media", Some(seller), Some(bytes), &[])
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    r.json["hash"].as_str().unwrap().to_string()
}

const ORIGINAL_TEXT: &str = "Hand-thrown stoneware mug with a speckled oat glaze. Holds 350 ml, safe in the dishwasher and the microwave, made in our Porto studio and packed in recycled paper.";

#[tokio::test]
async fn text_and_photos_copied_from_another_store_are_held() {
    let t = TestApp::sqlite().await;
    let agent = agent_token(&t).await;
    let (maker, _) = t.seller_with_listing("maker@example.com", 5).await;
    let (copier, _) = t.seller_with_listing("copier@example.com", 5).await;
    let mut original = listing_body(5);
    original["title"] = json!("Speckled stoneware mug");
    original["description"] = json!(ORIGINAL_TEXT);
    original["images"] = json!([upload(&t, &maker, photo(400, 300, 0)).await]);
    let original = create(&t, &maker, original).await;
    assert_eq!(original["held"], false);

    // The same store may list similar things.
    let mut again = listing_body(5);
    again["title"] = json!("Speckled stoneware mug, pair");
    again["description"] = json!(ORIGINAL_TEXT);
    assert_eq!(create(&t, &maker, again).await["held"], false);

    // Another store copying the text with one word changed is held.
    let mut copied = listing_body(5);
    copied["title"] = json!("Speckled stoneware mug");
    copied["description"] = json!(ORIGINAL_TEXT.replace("Porto", "Lisbon"));
    let copied = create(&t, &copier, copied).await;
    assert_eq!(copied["held"], true, "{copied:?}");
    let reason = copied["hold_reason"].as_str().unwrap();
    assert!(
        reason.contains("title and description nearly copy")
            && reason.contains(original["id"].as_str().unwrap()),
        "{reason}"
    );

    // Its own words but the maker's photo, resized and brightened: held.
    let mut photo_copy = listing_body(5);
    photo_copy["title"] = json!("Rustic coffee cup");
    photo_copy["images"] = json!([upload(&t, &copier, photo(200, 150, 12)).await]);
    let photo_copy = create(&t, &copier, photo_copy).await;
    assert_eq!(photo_copy["held"], true, "{photo_copy:?}");
    assert!(
        photo_copy["hold_reason"]
            .as_str()
            .unwrap()
            .contains("photo nearly copies"),
        "{photo_copy:?}"
    );

    // A different photo and text: not held.
    let mut own = listing_body(5);
    own["title"] = json!("Glass teapot");
    let mirrored = {
        let picture = image::load_from_memory(&photo(400, 300, 0))
            .unwrap()
            .fliph();
        let mut bytes = std::io::Cursor::new(Vec::new());
        picture
            .write_to(&mut bytes, image::ImageFormat::Png)
            .unwrap();
        bytes.into_inner()
    };
    own["images"] = json!([upload(&t, &copier, mirrored).await]);
    assert_eq!(create(&t, &copier, own).await["held"], false);

    let held = held_ids(&t, &agent).await;
    assert_eq!(held.len(), 2, "{held:?}");
}

#[tokio::test]
async fn guaranteed_genuine_needs_the_store_s_brand_proof_approved() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        let (seller, _) = t.seller_with_listing("brand@example.com", 5).await;
        let (other, _) = t.seller_with_listing("other@example.com", 5).await;
        let mut genuine = listing_body(5);
        genuine["guaranteed_genuine"] = json!(true);

        let r = t
            .post("/api/v1/listings", Some(&seller), genuine.clone())
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.json["error"]["details"]["field"], "brand", "{:?}", r.json);

        genuine["brand"] = json!("Lumen");
        let r = t
            .post("/api/v1/listings", Some(&seller), genuine.clone())
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.json["error"]["details"]["field"], "guaranteed_genuine");
        assert!(
            r.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Brands")
        );

        let r = t
            .post(
                "/api/v1/stores/me/brands",
                Some(&seller),
                json!({"brand": "Lumen", "proof": "Invoice 2026-118 from Lumen GmbH"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["status"], "pending");
        let store = r.json["store_id"].as_str().unwrap().to_string();
        let r = t
            .post("/api/v1/listings", Some(&seller), genuine.clone())
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        let decide = |token: String, body: Value| {
            let t = &t;
            let store = store.clone();
            async move {
                t.post(
                    &format!("/api/v1/console/brands/{store}/LUMEN/decision"),
                    Some(&token),
                    body,
                )
                .await
            }
        };
        let pending = t.get("/api/v1/console/brands", Some(&agent)).await;
        assert!(
            pending.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["store_id"] == store.as_str()),
            "{:?}",
            pending.json
        );
        let r = decide(seller.clone(), json!({"approve": true})).await;
        assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
        let r = decide(agent.clone(), json!({"approve": false})).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let r = decide(
            agent.clone(),
            json!({"approve": false, "note": "The invoice is not legible"}),
        )
        .await;
        assert_eq!(r.json["status"], "refused", "{:?}", r.json);
        let mine = t.get("/api/v1/stores/me/brands", Some(&seller)).await;
        assert_eq!(mine.json[0]["note"], "The invoice is not legible");

        // Sent again, approved: the badge is allowed, for this store only.
        let r = t
            .post(
                "/api/v1/stores/me/brands",
                Some(&seller),
                json!({"brand": "Lumen", "proof": "Clear scan of invoice 2026-118"}),
            )
            .await;
        assert_eq!(r.json["status"], "pending", "{:?}", r.json);
        let r = decide(agent.clone(), json!({"approve": true})).await;
        assert_eq!(r.json["status"], "approved", "{:?}", r.json);
        let r = decide(agent.clone(), json!({"approve": true})).await;
        assert_error(&r, StatusCode::CONFLICT, "invalid_state");
        let listed = create(&t, &seller, genuine.clone()).await;
        assert_eq!(listed["guaranteed_genuine"], true);
        assert_eq!(listed["brand"], "Lumen");
        let r = t.post("/api/v1/listings", Some(&other), genuine).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let r = t
            .post(
                "/api/v1/stores/me/brands",
                Some(&seller),
                json!({"brand": "lumen", "proof": "again"}),
            )
            .await;
        assert_error(&r, StatusCode::CONFLICT, "invalid_state");
    }
}

#[tokio::test]
async fn regulated_categories_show_only_certificates_an_agent_checked() {
    for t in on_every_backend().await {
        let agent = agent_token(&t).await;
        add_to_list(&t, &agent, "regulated_categories", "toys").await;
        let (seller, _) = t.seller_with_listing("toys@example.com", 5).await;
        let mut toy = listing_body(5);
        toy["title"] = json!("Wooden train set");
        toy["category"] = json!("toys");
        let r = t.post("/api/v1/listings", Some(&seller), toy.clone()).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.json["error"]["details"]["field"], "certificates");

        toy["certificates"] =
            json!([{"kind": "EN 71", "number": "EN71-2026-7", "issuer": "TÜV Rheinland"}]);
        let listed = create(&t, &seller, toy).await;
        assert_eq!(listed["held"], true, "{listed:?}");
        assert!(
            listed["hold_reason"]
                .as_str()
                .unwrap()
                .contains("regulated")
        );
        assert_eq!(listed["certificates"][0]["checked_at"], Value::Null);
        let id = listed["id"].as_str().unwrap();

        // A buyer sees the review notice but neither the reason nor the
        // unchecked certificate; the seller sees both.
        let mut visitor = Browser::new(&t);
        let page = visitor.get(&format!("/listings/{id}")).await;
        let html = Browser::html(&page);
        assert!(html.contains("Trust and safety is reviewing this listing"));
        assert!(!html.contains("EN71-2026-7") && !html.contains("regulated category"));
        let mut owner = Browser::new(&t);
        owner.login("toys@example.com").await;
        let page = owner.get(&format!("/listings/{id}")).await;
        let html = Browser::html(&page);
        assert!(
            html.contains("Waiting for an agent&#39;s check")
                || html.contains("Waiting for an agent's check"),
            "{html}"
        );
        assert!(
            html.contains("Haven&#39;s listing checks held it")
                || html.contains("Haven's listing checks held it")
        );

        let r = t
            .post(
                &format!("/api/v1/console/listings/{id}/release"),
                Some(&agent),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert!(
            r.json["certificates"][0]["checked_at"].is_string(),
            "{:?}",
            r.json
        );
        let page = visitor.get(&format!("/listings/{id}")).await;
        let html = Browser::html(&page);
        assert!(
            html.contains("EN71-2026-7") && html.contains("Checked by Haven"),
            "{html}"
        );
    }
}

#[tokio::test]
async fn sellers_send_proof_and_agents_decide_from_the_web() {
    let t = TestApp::sqlite().await;
    agent_token(&t).await;
    t.seller_with_listing("web@example.com", 5).await;
    let mut seller = Browser::new(&t);
    seller.login("web@example.com").await;
    let r = seller
        .post_form(
            "/seller/brands",
            &[
                ("brand", "Kestrel"),
                ("proof", "Authorisation letter from Kestrel AB"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let page = seller.get("/seller").await;
    let html = Browser::html(&page);
    assert!(html.contains("Proof for Kestrel sent"), "flash: {html}");
    assert!(html.contains("Waiting for an agent"));

    let mut agent = Browser::new(&t);
    agent.login("agent@example.com").await;
    let page = agent.get("/console/safety").await;
    let html = Browser::html(&page);
    assert!(
        html.contains("Authorisation letter from Kestrel AB"),
        "{html}"
    );
    let store_name = t.app.store.shop_by_owner(
        t.app
            .store
            .user_by_email("web@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
    );
    let store_name = store_name.await.unwrap().unwrap().name;
    assert!(
        html.contains(&format!(">{store_name}</a> · sent")),
        "the store is named: {html}"
    );
    let store = t
        .get(
            "/api/v1/stores/me/brands",
            Some(&t.login("web@example.com").await),
        )
        .await
        .json[0]["store_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = agent
        .post_form(
            &format!("/console/brands/{store}/Kestrel"),
            &[("decision", "approve"), ("note", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let page = agent.get("/console/safety").await;
    assert!(Browser::html(&page).contains("Kestrel proof approved"));
    let page = seller.get("/seller").await;
    assert!(Browser::html(&page).contains("Approved"));
}

/// The listing a form post redirected to, as the API shows it.
async fn published(t: &TestApp, r: &Response) -> Value {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let path = r.headers["location"].to_str().unwrap();
    let id = path.trim_start_matches("/listings/");
    t.get(&format!("/api/v1/listings/{id}"), None).await.json
}

/// A seller lists from the web form with photos; without any, a picture
/// is drawn; a file that is not a picture is refused next to the form.
#[tokio::test]
async fn a_seller_lists_with_photos_from_the_web_form() {
    let t = TestApp::sqlite().await;
    t.seller_with_listing("s@example.com", 1).await;
    let mut seller = Browser::new(&t);
    seller.login("s@example.com").await;
    let form = seller.get("/seller/listings/new").await;
    assert!(Browser::html(&form).contains("enctype=\"multipart/form-data\""));
    let fields: Vec<(&str, &str)> = vec![
        ("title", "Hand-thrown mug"),
        ("description", "Stoneware mug, glazed in blue."),
        ("category", "home"),
        ("price", "18.00"),
        ("stock", "4"),
        ("ship_by_days", "3"),
        ("ship_country", "US"),
        ("ship_cost", "5.00"),
        ("min_days", "3"),
        ("max_days", "7"),
    ];
    let png = photo(64, 48, 7);
    let r = seller
        .post_multipart(
            "/seller/listings",
            &fields,
            Some(("photo", "mug.png", &png)),
        )
        .await;
    let listing = published(&t, &r).await;
    let images = listing["images"].as_array().unwrap();
    assert_eq!(images.len(), 1, "{listing:?}");
    let served = t.get(images[0].as_str().unwrap(), None).await;
    assert_eq!(served.headers["content-type"], "image/png");

    // No photo: a drawn picture.
    let r = seller
        .post_multipart("/seller/listings", &fields, None)
        .await;
    let listing = published(&t, &r).await;
    let served = t.get(listing["images"][0].as_str().unwrap(), None).await;
    assert_eq!(served.headers["content-type"], "image/svg+xml");

    // Not a picture: the form again, with the reason.
    let r = seller
        .post_multipart(
            "/seller/listings",
            &fields,
            Some(("photo", "notes.txt", b"hello")),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "the form again");
    assert!(
        Browser::html(&r).contains("only PNG, JPEG and WebP images are accepted"),
        "{:?}",
        r.json
    );
}
