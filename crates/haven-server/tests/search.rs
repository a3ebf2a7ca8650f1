//! Catalog search through the real router: the index follows the outbox,
//! words and filters and sorts answer, suspended stores and held listings
//! never appear (not even before the index catches up), bad parameters get
//! the one error shape, and the page renders its facets.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{Value, json};

fn listing(
    title: &str,
    category: &str,
    price_minor: i64,
    ships_from: &str,
    genuine: bool,
) -> Value {
    json!({
        "title": title,
        "description": format!("{title}, tested before it ships."),
        "category": category,
        "price": {"amount_minor": price_minor, "currency": "USD"},
        "stock": 20,
        "ship_by_days": 2,
        "guaranteed_genuine": genuine,
        "brand": if genuine { Some("Acme") } else { None },
        "ships_from": ships_from,
        "shipping": [
            {"name": "Standard", "rates": [
                {"country": "US", "cost": {"amount_minor": 0, "currency": "USD"}, "min_transit_days": 3, "max_transit_days": 5},
                {"country": "DE", "cost": {"amount_minor": 900, "currency": "USD"}, "min_transit_days": 8, "max_transit_days": 20}
            ]},
            {"name": "Express", "rates": [
                {"country": "US", "cost": {"amount_minor": 1500, "currency": "USD"}, "min_transit_days": 1, "max_transit_days": 2}
            ]}
        ]
    })
}

async fn add(t: &TestApp, seller: &str, body: Value) -> String {
    let r = t.post("/api/v1/listings", Some(seller), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    r.json["id"].as_str().unwrap().to_string()
}

async fn synced(t: &TestApp) {
    t.tick().await;
    t.app.sync_search().await.unwrap();
}

async fn search(t: &TestApp, query: &str) -> Value {
    let r = t.get(&format!("/api/v1/search?{query}"), None).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {:?}", r.json);
    r.json
}

fn titles(results: &Value) -> Vec<String> {
    results["listings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap().to_string())
        .collect()
}

struct Catalog {
    seller_a: String,
    seller_b: String,
    headphones: String,
    lamp: String,
}

async fn catalog(t: &TestApp) -> Catalog {
    let (seller_a, _) = t.seller_with_listing("a@example.com", 5).await;
    let (seller_b, _) = t.seller_with_listing("b@example.com", 5).await;
    approve_brand(t, &seller_a, "Acme").await;
    approve_brand(t, &seller_b, "Acme").await;
    let headphones = add(
        t,
        &seller_a,
        listing("Wireless headphones", "electronics", 8_900, "DE", true),
    )
    .await;
    add(
        t,
        &seller_a,
        listing("USB charger", "electronics", 1_900, "DE", false),
    )
    .await;
    let lamp = add(
        t,
        &seller_b,
        listing("Brass reading lamp", "home", 3_500, "CN", false),
    )
    .await;
    add(
        t,
        &seller_b,
        listing("Wireless earbuds", "electronics", 2_900, "CN", true),
    )
    .await;
    synced(t).await;
    Catalog {
        seller_a,
        seller_b,
        headphones,
        lamp,
    }
}

#[tokio::test]
async fn words_filters_sorts_and_facets() {
    for t in on_every_backend().await {
        let c = catalog(&t).await;
        // Stemming and a typo: "headphone" and "hedphones" both find it.
        assert_eq!(
            titles(&search(&t, "q=headphone").await),
            ["Wireless headphones"]
        );
        assert_eq!(
            titles(&search(&t, "q=hedphones").await),
            ["Wireless headphones"]
        );
        // Store names are searched too: "b@example.com store".
        let by_store = search(&t, "q=b%40example.com").await;
        assert!(
            titles(&by_store).contains(&"Brass reading lamp".to_string()),
            "{by_store:?}"
        );

        let wireless = search(&t, "q=wireless&sort=price_asc").await;
        assert_eq!(
            titles(&wireless),
            ["Wireless earbuds", "Wireless headphones"]
        );
        assert_eq!(wireless["total"], 2);
        let genuine = search(&t, "category=electronics&genuine=true&sort=price_desc").await;
        assert_eq!(
            titles(&genuine),
            ["Wireless headphones", "Wireless earbuds"]
        );
        let cheap = search(&t, "price_max=30.00&ships_from=cn").await;
        assert_eq!(titles(&cheap), ["Wireless earbuds"]);
        // Every listing ships to the US within 2 + 2 days (express); only
        // the seed listings (5 + 3 + 7 = 10 days standard) are slower.
        let fast = search(&t, "to=US&max_days=4&sort=newest").await;
        assert_eq!(fast["total"], 4, "{fast:?}");
        let to_de = search(&t, "to=DE&max_days=14").await;
        assert_eq!(to_de["total"], 0, "2 + 20 days to DE: {to_de:?}");

        let all = search(&t, "to=US&limit=1").await;
        assert_eq!(all["total"], 6, "four listings and the two seed lamps");
        assert_eq!(all["listings"].as_array().unwrap().len(), 1);
        assert_eq!(all["next_offset"], 1);
        let f = &all["facets"];
        let categories: Vec<(String, u64)> = f["categories"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["value"].as_str().unwrap().into(),
                    c["count"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(categories, [("electronics".into(), 3), ("home".into(), 3)]);
        assert_eq!(f["guaranteed_genuine"], 2);
        assert_eq!(f["free_shipping"], 4, "free standard shipping to the US");
        assert_eq!(f["delivery_within_days"][0], json!({"at": 7.0, "count": 4}));
        let _ = (&c.seller_a, &c.seller_b, &c.lamp);
        assert!(!c.headphones.is_empty());
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn orders_move_the_most_sold_sort() {
    let t = TestApp::sqlite().await;
    let c = catalog(&t).await;
    let buyer = t.user("buyer@example.com", "buyer").await;
    for _ in 0..2 {
        let mut body = checkout_body(&c.lamp, 1, "4242424242424242");
        body["shipping_method"] = json!("Standard");
        let r = t.post("/api/v1/orders", Some(&buyer), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    }
    synced(&t).await;
    let top = search(&t, "sort=orders&limit=1").await;
    assert_eq!(titles(&top), ["Brass reading lamp"]);
}

#[tokio::test]
async fn suspended_stores_and_held_listings_never_appear() {
    for t in on_every_backend().await {
        let c = catalog(&t).await;
        let agent = agent_token(&t).await;
        // Held: gone from search at once (before the index catches up),
        // out of browse, and it takes no orders.
        let r = t
            .post(
                &format!("/api/v1/console/listings/{}/hold", c.lamp),
                Some(&agent),
                json!({"reason": "reported as counterfeit"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(r.json["held"], true);
        assert!(!titles(&search(&t, "q=lamp").await).contains(&"Brass reading lamp".to_string()));
        synced(&t).await;
        assert_eq!(
            search(&t, "q=brass").await["total"],
            0,
            "and out of the index"
        );
        let browse = t.get("/api/v1/listings?limit=100", None).await;
        assert!(!browse.json.to_string().contains("Brass reading lamp"));
        let buyer = t.user("buyer@example.com", "buyer").await;
        assert_error(
            &t.buy(&buyer, &c.lamp, "4242424242424242").await,
            StatusCode::CONFLICT,
            "listing_held",
        );
        // Only agents hold; a second hold is refused; release brings it back.
        let seller_try = t
            .post(
                &format!("/api/v1/console/listings/{}/release", c.lamp),
                Some(&c.seller_b),
                json!({}),
            )
            .await;
        assert_error(&seller_try, StatusCode::FORBIDDEN, "forbidden");
        let again = t
            .post(
                &format!("/api/v1/console/listings/{}/hold", c.lamp),
                Some(&agent),
                json!({"reason": "again"}),
            )
            .await;
        assert_error(&again, StatusCode::CONFLICT, "invalid_state");
        let r = t
            .post(
                &format!("/api/v1/console/listings/{}/release", c.lamp),
                Some(&agent),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        synced(&t).await;
        assert_eq!(search(&t, "q=brass").await["total"], 1);

        // Suspended: three strikes take the whole store out of search.
        let store = t.get("/api/v1/seller/standing", Some(&c.seller_a)).await;
        let store = store.json["enforcement"]["store_id"]
            .as_str()
            .unwrap()
            .to_string();
        for n in 1..=3 {
            let r = t
                .post(
                    &format!("/api/v1/console/enforcement/{store}/strikes"),
                    Some(&agent),
                    json!({"reason": format!("fake tracking #{n}")}),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        }
        let before_sync = search(&t, "q=headphones").await;
        assert!(titles(&before_sync).is_empty(), "{before_sync:?}");
        synced(&t).await;
        let after = search(&t, "category=electronics").await;
        assert_eq!(titles(&after), ["Wireless earbuds"], "only store B's");
        assert!(!after.to_string().contains(&c.headphones));
    }
}

#[tokio::test]
async fn the_index_follows_the_outbox_and_rebuilds() {
    let t = TestApp::sqlite().await;
    let c = catalog(&t).await;
    let position = t.app.search.index.position().unwrap().unwrap();
    assert!(position > 0);
    // A new listing is published as an event and searchable once synced.
    add(
        &t,
        &c.seller_b,
        listing("Linen tote bag", "fashion", 1_500, "CN", false),
    )
    .await;
    assert_eq!(search(&t, "q=tote").await["total"], 0, "not synced yet");
    let events = t.get("/api/v1/events?limit=100", None).await;
    let _ = events;
    synced(&t).await;
    assert_eq!(search(&t, "q=tote").await["total"], 1);
    // A second node with its own index converges on the same results.
    let other = t.another_node().await;
    other.app.sync_search().await.unwrap();
    assert_eq!(search(&other, "q=tote").await["total"], 1);
    assert_eq!(
        search(&other, "to=US").await["total"],
        search(&t, "to=US").await["total"]
    );
    // Agents rebuild a node's index; nobody else may.
    let agent = agent_token(&t).await;
    assert_error(
        &t.post(
            "/api/v1/console/search/rebuild",
            Some(&c.seller_a),
            json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let r = t
        .post("/api/v1/console/search/rebuild", Some(&agent), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["indexed"], 7);
    assert_eq!(search(&t, "q=tote").await["total"], 1);
}

#[tokio::test]
async fn bad_parameters_get_the_error_shape() {
    let t = TestApp::sqlite().await;
    for bad in [
        "sort=cheapest",
        "category=weapons",
        "price_min=ten",
        "to=USA",
        "max_days=5",
        "min_rating=7",
        "limit=0",
        "limit=101",
        "offset=5000",
        "store=not-an-id",
        "colour=red",
        "genuine=maybe",
    ] {
        let r = t.get(&format!("/api/v1/search?{bad}"), None).await;
        assert!(r.status.is_client_error(), "{bad}: {:?}", r.status);
        assert!(r.json["error"]["code"].is_string(), "{bad}: {:?}", r.json);
    }
    let long = "a".repeat(201);
    let r = t.get(&format!("/api/v1/search?q={long}"), None).await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[tokio::test]
async fn the_search_page_renders_results_facets_and_sorts() {
    let t = TestApp::sqlite().await;
    catalog(&t).await;
    let mut browser = Browser::new(&t);
    let page = browser.get("/search?q=wireless&to=US").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.json.as_str().unwrap_or_default().to_string();
    assert!(
        html.contains("Wireless headphones") && html.contains("Wireless earbuds"),
        "{html}"
    );
    assert!(html.contains("2 results"), "{html}");
    assert!(
        html.contains("Guaranteed Genuine</a> <span class=\"muted\">(2)"),
        "{html}"
    );
    assert!(html.contains("Free shipping to US"), "{html}");
    assert!(html.contains("sort=price_asc"), "a sort link: {html}");
    let filtered = browser.get("/search?q=wireless&to=US&ships_from=DE").await;
    let html = filtered.json.as_str().unwrap_or_default().to_string();
    assert!(
        html.contains("1 result") && !html.contains("Wireless earbuds"),
        "{html}"
    );
    assert!(html.contains("Clear filters"), "{html}");
    let bad = browser.get("/search?sort=cheapest").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_agent_holds_and_releases_a_listing_from_its_page() {
    let t = TestApp::sqlite().await;
    let c = catalog(&t).await;
    agent_token(&t).await;
    let mut agent = Browser::new(&t);
    agent.login("agent@example.com").await;
    let page = agent.get(&format!("/listings/{}", c.lamp)).await;
    assert!(page.json.as_str().unwrap().contains("Hold listing"));
    let refused = agent
        .post_form(
            &format!("/console/listings/{}/hold", c.lamp),
            &[("reason", "")],
        )
        .await;
    // A hold needs a reason: back to the listing, saying so as an alert.
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    let back = refused.headers["location"].to_str().unwrap().to_string();
    assert_eq!(back, format!("/listings/{}", c.lamp));
    let page = agent.get(&back).await;
    let html = page.json.as_str().unwrap();
    assert!(
        html.contains("class=\"notice bad\" role=\"alert\""),
        "{html}"
    );
    assert!(html.contains("say why the listing is held"), "{html}");
    let held = agent
        .post_form(
            &format!("/console/listings/{}/hold", c.lamp),
            &[("reason", "fake brand")],
        )
        .await;
    assert!(held.status.is_redirection(), "{:?}", held.status);
    let mut buyer = Browser::new(&t);
    let page = buyer.get(&format!("/listings/{}", c.lamp)).await;
    let html = page.json.as_str().unwrap();
    assert!(
        html.contains("id=\"listing-held\"") && !html.contains("Buy now"),
        "{html}"
    );
    assert!(!html.contains("Hold listing"), "only agents see the form");
    let released = agent
        .post_form(
            &format!("/console/listings/{}/release", c.lamp),
            &[("reason", "")],
        )
        .await;
    assert!(released.status.is_redirection(), "{:?}", released.status);
    let page = buyer.get(&format!("/listings/{}", c.lamp)).await;
    assert!(page.json.as_str().unwrap().contains("Buy now"));
}

/// A flash deal reprices the listing in search when it starts and again
/// when it ends, by the clock alone: no event marks those moments.
#[tokio::test]
async fn search_sorts_and_filters_by_the_deal_price_while_the_deal_runs() {
    for t in on_every_backend().await {
        let c = catalog(&t).await;
        let starts_at = t.app.now() + jiff::SignedDuration::from_hours(1);
        let ends_at = t.app.now() + jiff::SignedDuration::from_hours(3);
        let r = t
            .post(
                &format!("/api/v1/listings/{}/deal", c.lamp),
                Some(&c.seller_b),
                json!({
                    "price": {"amount_minor": 1_500, "currency": "USD"},
                    "quantity": 5,
                    "starts_at": starts_at.to_string(),
                    "ends_at": ends_at.to_string(),
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let under_20 = "price_max=20.00&category=home";
        synced(&t).await;
        assert_eq!(titles(&search(&t, under_20).await), Vec::<String>::new());

        t.advance_hours(2);
        synced(&t).await;
        assert_eq!(titles(&search(&t, under_20).await), ["Brass reading lamp"]);
        let cheapest = search(&t, "sort=price_asc&limit=1").await;
        assert_eq!(titles(&cheapest), ["Brass reading lamp"], "15.00 on deal");
        let page = Browser::new(&t).get("/search?q=lamp").await;
        let html = page.json.as_str().unwrap_or_default().to_string();
        assert!(
            html.contains("$15.00 <s class=\"muted\">$35.00</s>"),
            "the card shows the deal's price over the regular one: {html}"
        );

        t.advance_hours(2);
        synced(&t).await;
        assert_eq!(titles(&search(&t, under_20).await), Vec::<String>::new());
        let cheapest = search(&t, "sort=price_asc&limit=1").await;
        assert_ne!(titles(&cheapest), ["Brass reading lamp"]);
    }
}
