//! A seller manages listings after creating them, through the real router:
//! edit words, price and ship-by days, set the stock without writing over
//! a sale, pause and resume (out of search and checkout while paused), on
//! every backend; and the same from the seller centre's pages.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::json;

async fn in_search(t: &TestApp, listing: &str) -> bool {
    t.app.sync_search().await.unwrap();
    let r = t.get("/api/v1/search?q=walnut", None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    r.json["listings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["id"] == listing)
}

#[tokio::test]
async fn a_seller_edits_restocks_pauses_and_resumes_a_listing() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
        let path = format!("/api/v1/listings/{listing}");
        let patch = |body: serde_json::Value, token: &str| {
            let token = token.to_string();
            let path = path.clone();
            let t = &t;
            async move {
                t.request(
                    "PATCH",
                    &path,
                    Some(&token),
                    Some(body.to_string().into_bytes()),
                    &[],
                )
                .await
            }
        };

        let r = patch(
            json!({"title": "Walnut desk lamp, dimmable", "price": {"amount_minor": 4_500, "currency": "USD"}, "ship_by_days": 2}),
            &seller,
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["title"], "Walnut desk lamp, dimmable");
        assert_eq!(r.json["price"]["amount_minor"], 4_500);
        assert_eq!(r.json["ship_by_days"], 2);
        assert_eq!(r.json["paused"], false);

        // Stock: a sale between reading and saving refuses the edit and
        // says what the stock is now.
        let buyer = t.user("b@example.com", "buyer").await;
        let r = t.buy(&buyer, &listing, "4242424242424242").await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let r = patch(json!({"stock": 20, "stock_seen": 5}), &seller).await;
        assert_error(&r, StatusCode::CONFLICT, "concurrent_update");
        assert!(
            r.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("4 are in stock")
        );
        let r = patch(json!({"stock": 20, "stock_seen": 4}), &seller).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let r = t.get(&path, None).await;
        assert_eq!(r.json["stock"], 20);
        let r = patch(json!({"stock": 20}), &seller).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        // Paused: out of search and checkout, still in the seller's list.
        assert!(in_search(&t, &listing).await);
        let r = patch(json!({"paused": true}), &seller).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["paused"], true);
        assert!(!in_search(&t, &listing).await);
        let r = t.buy(&buyer, &listing, "4242424242424242").await;
        assert_error(&r, StatusCode::CONFLICT, "invalid_state");
        assert!(
            r.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("paused")
        );
        let mine = t.get("/api/v1/seller/listings", Some(&seller)).await;
        assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.json);
        assert!(
            mine.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["id"] == listing.as_str() && l["paused"] == true)
        );
        let r = patch(json!({"paused": false}), &seller).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert!(in_search(&t, &listing).await);
        let r = t.buy(&buyer, &listing, "4242424242424242").await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);

        // The regular price stays above a deal that has not ended.
        let ends_at = (t.app.now() + jiff::SignedDuration::from_hours(3)).to_string();
        let r = t
            .post(
                &format!("{path}/deal"),
                Some(&seller),
                json!({"price": {"amount_minor": 3_000, "currency": "USD"}, "quantity": 2, "ends_at": ends_at}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let r = patch(
            json!({"price": {"amount_minor": 3_000, "currency": "USD"}}),
            &seller,
        )
        .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(r.json["error"]["details"]["field"], "price");

        // Bad input, other people's listings, nothing to change.
        let r = patch(
            json!({"price": {"amount_minor": 3_000, "currency": "EUR"}}),
            &seller,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json);
        let r = patch(json!({"title": "x"}), &seller).await;
        assert_eq!(r.json["error"]["details"]["field"], "title", "{:?}", r.json);
        let r = patch(json!({"colour": "red"}), &seller).await;
        assert!(r.status.is_client_error(), "{:?}", r.json);
        let r = patch(json!({}), &seller).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let (other, _) = t.seller_with_listing("o@example.com", 1).await;
        let r = patch(json!({"paused": true}), &other).await;
        assert_error(&r, StatusCode::NOT_FOUND, "not_found");
        let r = patch(json!({"paused": true}), &buyer).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.json);
        let r = t.get("/api/v1/listings/not-an-id", None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = t.get(&path, None).await;
        assert_eq!(
            r.json["title"], "Walnut desk lamp, dimmable",
            "refusals change nothing"
        );
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn the_seller_centre_lists_edits_and_pauses_listings() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let mut web = Browser::new(&t);
    web.login("s@example.com").await;

    let page = web.get("/seller").await;
    assert!(Browser::html(&page).contains("href=\"/seller/listings\""));
    let page = web.get("/seller/listings").await;
    let html = Browser::html(&page);
    assert!(
        html.contains("Walnut desk lamp") && html.contains("On sale"),
        "{html}"
    );

    let r = web
        .post_form(
            &format!("/seller/listings/{listing}/pause"),
            &[("paused", "true")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = web.get("/seller/listings").await;
    let html = Browser::html(&page);
    assert!(
        html.contains("id=\"flash\"") && html.contains("buyers cannot find or order it"),
        "{html}"
    );
    assert!(
        html.contains(">Paused<") && html.contains(">Resume<"),
        "{html}"
    );
    let shown = web.get(&format!("/listings/{listing}")).await;
    let html = Browser::html(&shown);
    assert!(
        html.contains("id=\"listing-paused\"") && !html.contains("Buy now"),
        "{html}"
    );

    // A refused field is named next to the field; nothing is saved.
    let form = |price: &'static str, stock_seen: &'static str| {
        vec![
            ("title", "Walnut lamp with dimmer"),
            ("description", "Warm LED lamp with a walnut base."),
            ("price", price),
            ("stock", "9"),
            ("stock_seen", stock_seen),
            ("ship_by_days", "3"),
        ]
    };
    let edit = format!("/seller/listings/{listing}/edit");
    let r = web.post_form(&edit, &form("twelve", "5")).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = Browser::html(&r);
    assert!(
        html.contains("id=\"price-error\"") && html.contains("aria-invalid=\"true\""),
        "{html}"
    );
    assert!(
        html.contains("Walnut lamp with dimmer"),
        "what was typed stays: {html}"
    );
    // A stale stock figure is refused with the current one.
    let r = web.post_form(&edit, &form("45.00", "7")).await;
    assert_eq!(r.status, StatusCode::OK);
    let html = Browser::html(&r);
    assert!(
        html.contains("5 are in stock now") && html.contains("value=\"5\""),
        "{html}"
    );
    let r = web.post_form(&edit, &form("45.00", "5")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let page = web.get("/seller/listings").await;
    let html = Browser::html(&page);
    assert!(html.contains("Saved “Walnut lamp with dimmer”"), "{html}");
    assert!(html.contains("9 in stock"), "{html}");
    let r = web
        .post_form(
            &format!("/seller/listings/{listing}/pause"),
            &[("paused", "false")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let shown = web.get(&format!("/listings/{listing}")).await;
    let html = Browser::html(&shown);
    assert!(
        html.contains("Walnut lamp with dimmer") && html.contains("Buy now"),
        "{html}"
    );

    // Another seller cannot open the form.
    t.seller_with_listing("o@example.com", 1).await;
    let mut other = Browser::new(&t);
    other.login("o@example.com").await;
    let r = other.get(&edit).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

fn png(seed: u8) -> Vec<u8> {
    [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        &[seed; 64],
    ]
    .concat()
}

async fn listing_json(t: &TestApp, listing: &str) -> serde_json::Value {
    t.get(&format!("/api/v1/listings/{listing}"), None)
        .await
        .json
}

/// The API replaces a listing's photos and shipping methods as whole lists,
/// with the same limits as a new listing; bad input changes nothing.
#[tokio::test]
async fn the_api_replaces_photos_and_shipping_methods() {
    for t in on_every_backend().await {
        let (seller, listing) = t.seller_with_listing("s@example.com", 5).await;
        let mut hashes = Vec::new();
        for seed in [1, 2] {
            let r = t
                .request("POST", "/api/v1/media", Some(&seller), None, &[])
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json);
            let r = t
                .request("POST", "/api/v1/media", Some(&seller), Some(png(seed)), &[])
                .await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
            hashes.push(r.json["hash"].as_str().unwrap().to_string());
        }
        let patch = |body: serde_json::Value| {
            let t = &t;
            let seller = seller.clone();
            let path = format!("/api/v1/listings/{listing}");
            async move {
                t.request(
                    "PATCH",
                    &path,
                    Some(&seller),
                    Some(body.to_string().into_bytes()),
                    &[],
                )
                .await
            }
        };
        let express = json!([{"name": "Express", "rates": [
            {"country": "US", "cost": {"amount_minor": 1_200, "currency": "USD"}, "min_transit_days": 1, "max_transit_days": 2}
        ], "free_over": {"amount_minor": 10_000, "currency": "USD"}}]);
        let r = patch(json!({"images": [hashes[1], hashes[0]], "shipping": express})).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let seen = listing_json(&t, &listing).await;
        let urls: Vec<&str> = seen["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap())
            .collect();
        assert!(
            urls[0].ends_with(&hashes[1]) && urls[1].ends_with(&hashes[0]),
            "{urls:?}"
        );
        assert_eq!(seen["shipping"].as_array().unwrap().len(), 1);
        assert_eq!(seen["shipping"][0]["name"], "Express");

        // Refused, and nothing changes: an unknown photo, one photo twice,
        // no way to ship, another store's listing.
        let unknown = patch(json!({"images": ["f".repeat(64)]})).await;
        assert_error(
            &unknown,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        assert_eq!(unknown.json["error"]["details"]["field"], "images");
        let twice = patch(json!({"images": [hashes[0], hashes[0]]})).await;
        assert_error(
            &twice,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        let nowhere = patch(json!({"shipping": []})).await;
        assert_error(
            &nowhere,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        );
        let (other, _) = t.seller_with_listing("o@example.com", 5).await;
        let r = t
            .request(
                "PATCH",
                &format!("/api/v1/listings/{listing}"),
                Some(&other),
                Some(json!({"images": []}).to_string().into_bytes()),
                &[],
            )
            .await;
        assert_error(&r, StatusCode::NOT_FOUND, "not_found");
        assert_eq!(listing_json(&t, &listing).await, seen);
    }
}

/// The seller centre's photo and shipping pages: add photos, make one the
/// main photo, remove one (never the last); add a rate, replace it, see a
/// mistake next to its field, remove a rate (never the last way to ship).
#[tokio::test]
async fn a_seller_manages_photos_and_shipping_from_the_seller_centre() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let mut web = Browser::new(&t);
    web.login("s@example.com").await;
    let photos = format!("/seller/listings/{listing}/photos");
    let page = web.get(&photos).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(Browser::html(&page).contains("id=\"add-photos-form\""));

    for seed in [7, 8] {
        let r = web
            .post_multipart(&photos, &[], Some(("photo", "p.png", &png(seed))))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    }
    let page = web.get(&photos).await;
    let html = Browser::html(&page);
    assert!(
        html.contains("Photo added.") && html.contains("id=\"main-photo\""),
        "{html}"
    );
    let before = listing_json(&t, &listing).await["images"].clone();
    assert_eq!(before.as_array().unwrap().len(), 2);

    let change = format!("{photos}/change");
    let r = web
        .post_form(&change, &[("action", "main"), ("index", "1")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let after = listing_json(&t, &listing).await["images"].clone();
    assert_eq!(after[0], before[1]);
    assert_eq!(after[1], before[0]);
    let r = web
        .post_form(&change, &[("action", "remove"), ("index", "0")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        listing_json(&t, &listing).await["images"],
        json!([before[0]])
    );
    // Not a photo: refused beside the file field, nothing added.
    let r = web
        .post_multipart(
            &photos,
            &[],
            Some(("photo", "notes.txt", b"hello".as_slice())),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json);
    let html = Browser::html(&r);
    assert!(
        html.contains("aria-describedby=\"photos-input-error\"")
            && html.contains("<p class=\"field-error\" id=\"photos-input-error\">"),
        "{html}"
    );
    let r = web
        .post_form(&change, &[("action", "remove"), ("index", "0")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        Browser::html(&r).contains("keeps at least one photo"),
        "{:?}",
        r.json
    );
    assert_eq!(
        listing_json(&t, &listing).await["images"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let shipping = format!("/seller/listings/{listing}/shipping");
    let page = web.get(&shipping).await;
    assert!(Browser::html(&page).contains("<h2>Standard</h2>"));
    let rate = |cost: &'static str| {
        [
            ("method", "Express"),
            ("country", "us"),
            ("cost", cost),
            ("min_days", "1"),
            ("max_days", "2"),
            ("free_over", ""),
        ]
    };
    let r = web.post_form(&shipping, &rate("12.00")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let r = web.post_form(&shipping, &rate("10.00")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let methods = listing_json(&t, &listing).await["shipping"].clone();
    assert_eq!(methods.as_array().unwrap().len(), 2, "{methods:?}");
    assert_eq!(methods[1]["name"], "Express");
    assert_eq!(
        methods[1]["rates"].as_array().unwrap().len(),
        1,
        "replaced, not added"
    );
    assert_eq!(methods[1]["rates"][0]["cost"]["amount_minor"], 1_000);

    let r = web.post_form(&shipping, &rate("ten")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = Browser::html(&r);
    assert!(
        html.contains("id=\"cost-error\">write an amount")
            && html.contains("aria-invalid=\"true\""),
        "{html}"
    );
    assert_eq!(listing_json(&t, &listing).await["shipping"], methods);

    // Standard has two rates (US, DE): removing both removes the method;
    // then Express is the last way to ship and stays.
    let remove = format!("{shipping}/remove");
    for _ in 0..2 {
        let r = web
            .post_form(&remove, &[("method", "0"), ("rate", "0")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    }
    let left = listing_json(&t, &listing).await["shipping"].clone();
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(left[0]["name"], "Express");
    let r = web
        .post_form(&remove, &[("method", "0"), ("rate", "0")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        Browser::html(&r).contains("id=\"form-error\""),
        "{:?}",
        r.json
    );
    assert_eq!(listing_json(&t, &listing).await["shipping"], left);
    // Another seller cannot see or change these pages.
    let mut other = Browser::new(&t);
    t.seller_with_listing("o@example.com", 5).await;
    other.login("o@example.com").await;
    assert_eq!(other.get(&shipping).await.status, StatusCode::NOT_FOUND);
    let r = other
        .post_form(&remove, &[("method", "0"), ("rate", "0")])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
