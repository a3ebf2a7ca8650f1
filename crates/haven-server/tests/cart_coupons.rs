//! The cart, coupons and compare sellers, through the real router: one
//! payment split into an order per store (each with its own escrow), a
//! failure on any part buying nothing, every coupon rule including the bad
//! cases, the ledger recording who funds a discount, and listings of one
//! product side by side.

mod common;

use axum::http::StatusCode;
use common::*;
use haven_domain::account::{IdentityStatus, Role};
use serde_json::{Value, json};

fn address(country: &str) -> Value {
    json!({"name": "Ada Buyer", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": country})
}

fn card(number: &str) -> Value {
    json!({"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"})
}

fn listing(
    title: &str,
    category: &str,
    price_minor: i64,
    ship_minor: i64,
    product: Option<&str>,
) -> Value {
    json!({
        "title": title,
        "category": category,
        "price": {"amount_minor": price_minor, "currency": "USD"},
        "stock": 10,
        "ship_by_days": 2,
        "product": product,
        "shipping": [{"name": "Standard", "rates": [
            {"country": "US", "cost": {"amount_minor": ship_minor, "currency": "USD"}, "min_transit_days": 3, "max_transit_days": 6}
        ]}]
    })
}

async fn add_listing(t: &TestApp, seller: &str, body: Value) -> String {
    let r = t.post("/api/v1/listings", Some(seller), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    r.json["id"].as_str().unwrap().to_string()
}

async fn put(t: &TestApp, token: &str, listing: &str, quantity: i64) -> Response {
    t.request(
        "PUT",
        &format!("/api/v1/cart/items/{listing}"),
        Some(token),
        Some(serde_json::to_vec(&json!({"quantity": quantity})).unwrap()),
        &[],
    )
    .await
}

/// The seller's identity is approved (as an agent's review would do).
async fn verify_seller(t: &TestApp, email: &str) {
    let mut user = t.app.store.user_by_email(email).await.unwrap().unwrap();
    let version = user.version;
    user.email_verified_at = Some(t.app.now());
    user.identity.status = IdentityStatus::Approved;
    t.app
        .store
        .commit(haven_store::Changeset {
            user_updates: vec![haven_store::UserWrite {
                user,
                expected_version: version,
            }],
            ..Default::default()
        })
        .await
        .unwrap();
}

async fn issue(t: &TestApp, token: &str, coupon: Value) -> Response {
    t.post("/api/v1/coupons", Some(token), coupon).await
}

async fn place(t: &TestApp, token: &str, body: Value) -> Response {
    t.post("/api/v1/orders", Some(token), body).await
}

async fn cart_checkout(t: &TestApp, token: &str, body: Value) -> Response {
    t.post("/api/v1/cart/checkout", Some(token), body).await
}

fn ends_in_days(t: &TestApp, days: i64) -> String {
    (t.app.now() + jiff::SignedDuration::from_hours(24 * days))
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn fixed_coupon(code: &str, off: i64, min: i64, ends_at: &str) -> Value {
    json!({
        "title": format!("{code} deal"),
        "code": code,
        "amount_off": {"amount_minor": off, "currency": "USD"},
        "min_order": {"amount_minor": min, "currency": "USD"},
        "ends_at": ends_at,
        "total_limit": 100
    })
}

fn buy_with(listing: &str, coupons: &[&str]) -> Value {
    let mut body = checkout_body(listing, 1, "4242424242424242");
    body["coupons"] = json!(coupons);
    body
}

#[tokio::test]
async fn one_payment_becomes_an_order_per_store_each_in_its_own_escrow() {
    for t in on_every_backend().await {
        let (seller_a, lamp) = t.seller_with_listing("a@example.com", 5).await;
        let shade = add_listing(
            &t,
            &seller_a,
            listing("Lamp shade", "home", 1_500, 800, None),
        )
        .await;
        let (_, other) = t.seller_with_listing("b@example.com", 5).await;
        let buyer = t.user("buyer@example.com", "buyer").await;

        // The test clock stands still unless moved: a second between adds.
        assert_eq!(put(&t, &buyer, &lamp, 2).await.status, StatusCode::OK);
        t.clock.advance(jiff::SignedDuration::from_secs(1));
        assert_eq!(put(&t, &buyer, &other, 1).await.status, StatusCode::OK);
        t.clock.advance(jiff::SignedDuration::from_secs(1));
        let r = put(&t, &buyer, &shade, 1).await;
        let lines: Vec<&str> = r.json["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["listing"]["id"].as_str().unwrap())
            .collect();
        assert_eq!(lines, vec![lamp.as_str(), other.as_str(), shade.as_str()]);

        let quote = t
            .post(
                "/api/v1/cart/quote",
                Some(&buyer),
                json!({"address": address("US")}),
            )
            .await;
        assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.json);
        let stores = quote.json["stores"].as_array().unwrap();
        assert_eq!(stores.len(), 2, "one order per store");
        assert_eq!(stores[0]["items"].as_array().unwrap().len(), 2);
        // Store A: 2 × 40.00 + 15.00, one parcel at the dearer rate (8.00).
        assert_eq!(stores[0]["shipping"]["cost"]["amount_minor"], 800);
        assert_eq!(stores[0]["total"]["amount_minor"], 8_000 + 1_500 + 800);
        assert_eq!(stores[1]["total"]["amount_minor"], 4_000 + 500);
        let total = quote.json["total"]["amount_minor"].as_i64().unwrap();
        assert_eq!(total, 10_300 + 4_500);
        assert_eq!(quote.json["card"]["amount_minor"], total);
        assert!(stores[0]["promised_delivery_at"].is_string());

        // A total that moved since the quote buys nothing.
        let body = |expected: i64| json!({"address": address("US"), "card": card("4242424242424242"), "expected_total_minor": expected});
        let r = cart_checkout(&t, &buyer, body(total - 1)).await;
        assert_error(&r, StatusCode::CONFLICT, "invalid_state");
        assert_eq!(
            t.get("/api/v1/orders", Some(&buyer)).await.json["items"]
                .as_array()
                .unwrap()
                .len(),
            0
        );

        let r = t
            .post_idem("/api/v1/cart/checkout", &buyer, "cart-1", body(total))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let orders = r.json["orders"].as_array().unwrap().clone();
        assert_eq!(orders.len(), 2);
        for order in &orders {
            assert_eq!(order["state"], "paid");
            let id = order["id"].as_str().unwrap();
            assert_eq!(
                t.balance(&format!("escrow:order:{id}")).await,
                order["total"]["amount_minor"].as_i64().unwrap(),
                "each order holds its own money"
            );
            assert_eq!(order["paid_with"].as_array().unwrap().len(), 1);
        }
        let card_sum: i64 = orders
            .iter()
            .map(|o| o["paid_by_card"]["amount_minor"].as_i64().unwrap())
            .sum();
        assert_eq!(card_sum, total, "one capture, divided exactly");
        // A replay answers with the same orders and buys nothing more.
        let again = t
            .post_idem("/api/v1/cart/checkout", &buyer, "cart-1", body(total))
            .await;
        assert_eq!(again.status, StatusCode::CREATED, "{:?}", again.json);
        assert_eq!(again.json["orders"][0]["id"], orders[0]["id"]);
        assert_eq!(
            t.get("/api/v1/orders", Some(&buyer)).await.json["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // The bought lines left the cart; stock went down per item.
        assert!(
            t.get("/api/v1/cart", Some(&buyer)).await.json["lines"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        let stock = t.get(&format!("/api/v1/listings/{lamp}"), None).await.json["stock"].clone();
        assert_eq!(stock, 3);
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn a_declined_cart_buys_nothing_and_keeps_the_cart() {
    for t in on_every_backend().await {
        let (_, lamp) = t.seller_with_listing("a@example.com", 5).await;
        let (_, other) = t.seller_with_listing("b@example.com", 5).await;
        let buyer = t.user("buyer@example.com", "buyer").await;
        put(&t, &buyer, &lamp, 1).await;
        put(&t, &buyer, &other, 2).await;
        let r = cart_checkout(
            &t,
            &buyer,
            json!({"address": address("US"), "card": card("4000000000000002")}),
        )
        .await;
        assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{:?}", r.json);
        let orders = t.get("/api/v1/orders", Some(&buyer)).await.json["items"].clone();
        let orders = orders.as_array().unwrap();
        assert_eq!(orders.len(), 2);
        assert!(
            orders.iter().all(|o| o["state"] == "cancelled"),
            "{orders:?}"
        );
        for (listing, stock) in [(&lamp, 5), (&other, 5)] {
            let r = t.get(&format!("/api/v1/listings/{listing}"), None).await;
            assert_eq!(r.json["stock"], stock, "stock given back");
        }
        assert_eq!(
            t.get("/api/v1/cart", Some(&buyer)).await.json["lines"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn bad_cart_input_is_refused_with_a_clear_error() {
    let t = TestApp::sqlite().await;
    let (seller, lamp) = t.seller_with_listing("a@example.com", 5).await;
    let buyer = t.user("buyer@example.com", "buyer").await;
    assert_error(
        &put(&t, &buyer, &lamp, -1).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_error(
        &put(&t, &buyer, &lamp, 1_001).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    assert_error(
        &put(&t, &seller, &lamp, 1).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );
    let missing = uuid::Uuid::now_v7();
    assert_error(
        &put(&t, &buyer, &missing.to_string(), 1).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let r = t
        .post(
            "/api/v1/cart/quote",
            Some(&buyer),
            json!({"address": address("US")}),
        )
        .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    put(&t, &buyer, &lamp, 1).await;
    let r = t
        .post(
            "/api/v1/cart/quote",
            Some(&buyer),
            json!({"address": address("FR")}),
        )
        .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let r = t
        .post(
            "/api/v1/cart/quote",
            Some(&buyer),
            json!({"address": address("US"), "surprise": 1}),
        )
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.json);
}

#[tokio::test]
async fn every_coupon_rule_holds_and_the_ledger_says_who_funds_it() {
    for t in on_every_backend().await {
        let (seller, lamp) = t.seller_with_listing("a@example.com", 10).await;
        let (seller_b, other) = t.seller_with_listing("b@example.com", 10).await;
        let agent = agent_token(&t).await;
        let buyer = t.user("buyer@example.com", "buyer").await;
        let ends = ends_in_days(&t, 7);

        // Only verified sellers fund coupons; only staff issue platform ones.
        let r = issue(&t, &seller, fixed_coupon("LAMP3", 300, 2_000, &ends)).await;
        assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
        verify_seller(&t, "a@example.com").await;
        verify_seller(&t, "b@example.com").await;
        let r = issue(&t, &seller, fixed_coupon("LAMP3", 300, 2_000, &ends)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["funded_by"], "seller");
        assert_eq!(r.json["terms"], "$3.00 off $20.00");
        let mut platform = fixed_coupon("HAVEN10", 0, 3_000, &ends);
        platform["amount_off"] = Value::Null;
        platform["percent_off"] = json!(10);
        platform["max_off"] = json!({"amount_minor": 500, "currency": "USD"});
        platform["platform"] = json!(true);
        let r = issue(&t, &buyer, platform.clone()).await;
        assert_error(&r, StatusCode::FORBIDDEN, "forbidden");
        let r = issue(&t, &agent, platform).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let r = issue(&t, &seller_b, fixed_coupon("LAMP3", 100, 2_000, &ends)).await;
        assert_error(&r, StatusCode::CONFLICT, "coupon_code_taken");
        let r = issue(&t, &seller_b, fixed_coupon("OTHER5", 500, 400, &ends)).await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let r = issue(&t, &seller_b, fixed_coupon("OTHER5", 500, 3_000, &ends)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);

        // Wrong scope, unknown code, two platform coupons.
        let r = place(&t, &buyer, buy_with(&lamp, &["OTHER5"])).await;
        assert_error(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "coupon_not_applicable",
        );
        let r = place(&t, &buyer, buy_with(&lamp, &["NOPE99"])).await;
        assert_error(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "coupon_not_applicable",
        );
        let mut second = fixed_coupon("HAVEN2", 200, 3_000, &ends);
        second["platform"] = json!(true);
        assert_eq!(issue(&t, &agent, second).await.status, StatusCode::CREATED);
        let r = place(&t, &buyer, buy_with(&lamp, &["HAVEN10", "HAVEN2"])).await;
        assert_error(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "coupon_not_applicable",
        );
        assert!(
            r.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("one platform coupon")
        );

        // One platform and one seller coupon stack: 40.00 − 3.00 − 4.00 + 5.00.
        let r = place(&t, &buyer, buy_with(&lamp, &["lamp3", "HAVEN10"])).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        assert_eq!(r.json["total"]["amount_minor"], 4_000 - 300 - 400 + 500);
        let funded: Vec<&str> = r.json["discounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["funded_by"].as_str().unwrap())
            .collect();
        assert_eq!(funded, vec!["seller", "platform"]);
        let order = r.json["id"].as_str().unwrap().to_string();

        // Redeeming twice (one per buyer).
        let r = place(&t, &buyer, buy_with(&lamp, &["LAMP3"])).await;
        assert_error(&r, StatusCode::CONFLICT, "coupon_limit_reached");

        // The release pays the seller the platform's share, from promotions.
        let r = t
            .post(
                &format!("/api/v1/orders/{order}/ship"),
                Some(&seller),
                json!({"carrier": "simpost", "tracking_number": tracking_number()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let r = t
            .post(
                &format!("/api/v1/orders/{order}/confirm"),
                Some(&buyer),
                json!({"second_confirmation": true}),
            )
            .await;
        assert_eq!(r.json["state"], "completed", "{:?}", r.json);
        let escrow = 4_000 - 300 - 400 + 500;
        let commission = r.json["commission"]["amount_minor"].as_i64().unwrap();
        assert_eq!(t.balance("platform:promotions").await, -400);
        let store_a = t
            .app
            .store
            .user_by_email("a@example.com")
            .await
            .unwrap()
            .unwrap();
        let shop = t
            .app
            .store
            .shop_by_owner(store_a.id)
            .await
            .unwrap()
            .unwrap();
        let seller_gets = t.balance(&format!("seller:{}:available", shop.id)).await
            + t.balance(&format!("seller:{}:reserve", shop.id)).await;
        assert_eq!(
            seller_gets,
            escrow - commission + 400,
            "the platform's 4.00 reaches the seller"
        );

        // Exhausted: a one-use coupon another buyer took.
        let mut once = fixed_coupon("ONCE1", 100, 1_000, &ends);
        once["total_limit"] = json!(1);
        assert_eq!(issue(&t, &seller_b, once).await.status, StatusCode::CREATED);
        let first = t.user("first@example.com", "buyer").await;
        let r = place(&t, &first, buy_with(&other, &["ONCE1"])).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let taken = r.json["id"].as_str().unwrap().to_string();
        let r = place(&t, &buyer, buy_with(&other, &["ONCE1"])).await;
        assert_error(&r, StatusCode::CONFLICT, "coupon_exhausted");
        // A refund gives it back: the seller accepts the first buyer's cancellation.
        let r = t
            .post(
                &format!("/api/v1/orders/{taken}/cancel-request"),
                Some(&first),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let r = t
            .post(
                &format!("/api/v1/orders/{taken}/cancel-response"),
                Some(&seller_b),
                json!({"accept": true}),
            )
            .await;
        assert_eq!(r.json["state"], "cancelled", "{:?}", r.json);
        assert_eq!(
            r.json["refunded"]["amount_minor"],
            r.json["total"]["amount_minor"]
        );
        let r = place(&t, &buyer, buy_with(&other, &["ONCE1"])).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "released by the refund: {:?}",
            r.json
        );

        // Expired.
        t.advance_days(8);
        let r = place(&t, &buyer, buy_with(&other, &["OTHER5"])).await;
        assert_error(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "coupon_not_applicable",
        );
        assert!(
            r.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("expired")
        );
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn below_the_minimum_and_category_scope_are_refused() {
    let t = TestApp::sqlite().await;
    let (seller, lamp) = t.seller_with_listing("a@example.com", 10).await;
    verify_seller(&t, "a@example.com").await;
    let buyer = t.user("buyer@example.com", "buyer").await;
    let ends = ends_in_days(&t, 7);
    let r = issue(&t, &seller, fixed_coupon("BIG10", 1_000, 5_000, &ends)).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = place(&t, &buyer, buy_with(&lamp, &["BIG10"])).await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "coupon_not_applicable",
    );
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at least $50.00")
    );
    let mut toys = fixed_coupon("TOYS1", 100, 1_000, &ends);
    toys["category"] = json!("toys");
    assert_eq!(issue(&t, &seller, toys).await.status, StatusCode::CREATED);
    let r = place(&t, &buyer, buy_with(&lamp, &["TOYS1"])).await;
    assert_error(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "coupon_not_applicable",
    );
    // Nothing was bought by the refused attempts.
    assert_eq!(
        t.get("/api/v1/orders", Some(&buyer)).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn a_claimed_coupon_is_picked_at_cart_checkout_and_a_cancelled_payment_gives_it_back() {
    let t = TestApp::sqlite().await;
    let (seller, lamp) = t.seller_with_listing("a@example.com", 10).await;
    verify_seller(&t, "a@example.com").await;
    let buyer = t.user("buyer@example.com", "buyer").await;
    let mut claimable = fixed_coupon("X", 500, 3_000, &ends_in_days(&t, 3));
    claimable["code"] = Value::Null;
    claimable["claimable"] = json!(true);
    let r = issue(&t, &seller, claimable).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let coupon = r.json["id"].as_str().unwrap().to_string();
    let store = r.json["store_id"].as_str().unwrap().to_string();
    let listed = t
        .get(&format!("/api/v1/stores/{store}/coupons"), None)
        .await;
    assert_eq!(listed.json["items"][0]["id"], coupon.as_str());
    // Not claimed yet: its id is not a code.
    put(&t, &buyer, &lamp, 1).await;
    let quote = |coupons: Value| {
        t.post(
            "/api/v1/cart/quote",
            Some(&buyer),
            json!({"address": address("US"), "coupons": coupons}),
        )
    };
    assert_eq!(quote(json!([coupon])).await.status, StatusCode::NOT_FOUND);
    let r = t
        .post(
            &format!("/api/v1/coupons/{coupon}/claim"),
            Some(&buyer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(
        t.get("/api/v1/me/coupons", Some(&buyer)).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = quote(json!([coupon])).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["discounts"]["amount_minor"], 500);
    assert_eq!(r.json["total"]["amount_minor"], 4_000 + 500 - 500);
    // On the checkout page it is a box to tick, by its title, never its id.
    let mut web = Browser::new(&t);
    web.login("buyer@example.com").await;
    let page = web.get("/cart/checkout?country=US").await;
    let html = Browser::html(&page).to_string();
    let tick = format!("name=\"claimed_{coupon}\" value=\"true\">");
    assert!(html.contains(&tick), "{html}");
    assert!(!html.contains("paste the code"), "{html}");
    let ticked = web
        .get(&format!("/cart/checkout?country=US&claimed_{coupon}=true"))
        .await;
    let html = Browser::html(&ticked);
    assert!(
        html.contains(&format!(
            "name=\"claimed_{coupon}\" value=\"true\" checked>"
        )),
        "{html}"
    );
    assert!(
        html.contains("id=\"total-discounts\">−$5.00"),
        "the discount is in the totals: {html}"
    );
    // A platform coupon to claim is offered at checkout, then ticked there.
    let agent = agent_token(&t).await;
    let mut welcome = fixed_coupon("X", 200, 3_000, &ends_in_days(&t, 3));
    welcome["code"] = Value::Null;
    welcome["claimable"] = json!(true);
    welcome["platform"] = json!(true);
    welcome["title"] = json!("Haven welcome");
    let r = issue(&t, &agent, welcome).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let platform_coupon = r.json["id"].as_str().unwrap().to_string();
    let page = web.get("/cart/checkout?country=US").await;
    let html = Browser::html(&page).to_string();
    let claim = format!("formaction=\"/coupons/{platform_coupon}/claim\"");
    assert!(
        html.contains("id=\"coupons-to-claim\"") && html.contains(&claim),
        "{html}"
    );
    let r = web
        .post_form(&format!("/coupons/{platform_coupon}/claim"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let page = web.get("/cart/checkout?country=US").await;
    let html = Browser::html(&page);
    assert!(!html.contains(&claim), "claimed once: {html}");
    assert!(
        html.contains(&format!("name=\"claimed_{platform_coupon}\"")),
        "{html}"
    );
    // A declined card: the redemption goes back with the cancelled order.
    let r = cart_checkout(
        &t,
        &buyer,
        json!({"address": address("US"), "coupons": [coupon], "card": card("4000000000000002")}),
    )
    .await;
    assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{:?}", r.json);
    let r = cart_checkout(
        &t,
        &buyer,
        json!({"address": address("US"), "coupons": [coupon], "card": card("4242424242424242")}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    assert_eq!(
        r.json["orders"][0]["discounts"][0]["amount"]["amount_minor"],
        500
    );
    // Used up: only the platform coupon claimed at checkout is left.
    let left = t.get("/api/v1/me/coupons", Some(&buyer)).await.json["items"].clone();
    let left: Vec<&str> = left
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(left, [platform_coupon.as_str()]);
    t.verify_clean().await;
}

#[tokio::test]
async fn compare_sellers_lines_up_one_product_across_stores() {
    let t = TestApp::sqlite().await;
    let (a, _) = t.seller_with_listing("a@example.com", 5).await;
    let (b, _) = t.seller_with_listing("b@example.com", 5).await;
    let (c, _) = t.seller_with_listing("c@example.com", 5).await;
    let dear = add_listing(
        &t,
        &a,
        listing(
            "Voltra charger",
            "electronics",
            3_700,
            0,
            Some("Voltra PD65"),
        ),
    )
    .await;
    let cheap = add_listing(
        &t,
        &b,
        listing(
            "65W charger PD-65",
            "electronics",
            3_000,
            500,
            Some("voltra pd-65"),
        ),
    )
    .await;
    let mut far = listing("Voltra PD65", "electronics", 2_000, 0, Some("VOLTRA PD65"));
    far["shipping"][0]["rates"][0]["country"] = json!("DE");
    let far = add_listing(&t, &c, far).await;
    let r = t
        .get(&format!("/api/v1/listings/{dear}/compare?to=US"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["product_key"], "voltrapd65");
    let offers = r.json["offers"].as_array().unwrap();
    let ids: Vec<&str> = offers
        .iter()
        .map(|o| o["listing"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![cheap.as_str(), dear.as_str(), far.as_str()],
        "cheapest delivered first; not shipping here last"
    );
    assert_eq!(offers[0]["delivered_price"]["amount_minor"], 3_500);
    assert!(offers[2]["delivered_price"].is_null());
    assert!(
        offers[0]["trust_summary"]
            .as_str()
            .unwrap()
            .starts_with("Open")
    );
    assert!(offers[0]["arrives_by"].is_string());
    let r = t
        .get(&format!("/api/v1/listings/{dear}/compare?to=USA"), None)
        .await;
    assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let _ = Role::Buyer;
}

#[tokio::test]
async fn coupon_farming_from_one_device_goes_through_the_risk_engine() {
    let t = TestApp::sqlite().await;
    let (seller, lamp) = t.seller_with_listing("a@example.com", 20).await;
    verify_seller(&t, "a@example.com").await;
    let agent = agent_token(&t).await;
    let r = t
        .post(
            "/api/v1/console/risk/rules",
            Some(&agent),
            json!({"name": "farmed coupons", "action": "review", "expression": "coupon_shared_accounts >= 2"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let r = issue(
        &t,
        &seller,
        fixed_coupon("FARM1", 500, 2_000, &ends_in_days(&t, 7)),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let mut outcomes = Vec::new();
    for i in 0..4 {
        let farmer = t.user(&format!("farmer{i}@example.com"), "buyer").await;
        let body = serde_json::to_vec(&buy_with(&lamp, &["FARM1"])).unwrap();
        let r = t
            .request(
                "POST",
                "/api/v1/orders",
                Some(&farmer),
                Some(body),
                &[("haven-device-id", "dev-farm")],
            )
            .await;
        let blocked = r.json["error"]["code"] == "payment_blocked";
        let reasons = if blocked {
            &r.json["error"]["details"]["reasons"]
        } else {
            &r.json["risk"]["reasons"]
        };
        let reasons: Vec<String> = reasons
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        let outcome = match (blocked, r.json["held_for_review"] == true) {
            (true, _) => "blocked",
            (false, true) => "held",
            (false, false) => "allowed",
        };
        outcomes.push((outcome, reasons));
    }
    let seen: Vec<&str> = outcomes.iter().map(|(o, _)| *o).collect();
    // The first account is just a buyer; the rule holds the third; by the
    // fourth the score alone blocks the payment, nothing charged.
    assert_eq!(
        seen,
        vec!["allowed", "allowed", "held", "blocked"],
        "{outcomes:?}"
    );
    assert!(
        outcomes[1]
            .1
            .iter()
            .any(|r| r.contains("1 other accounts used this coupon")),
        "{outcomes:?}"
    );
    assert!(
        outcomes[3]
            .1
            .iter()
            .any(|r| r.contains("3 other accounts used this coupon")),
        "{outcomes:?}"
    );
    // A different buyer, on their own device, at their own address, is
    // not touched by it.
    let honest = t.user("honest@example.com", "buyer").await;
    let mut body = buy_with(&lamp, &["FARM1"]);
    body["address"]["line1"] = json!("9 Elm Road");
    body["address"]["postal_code"] = json!("54321");
    let body = serde_json::to_vec(&body).unwrap();
    let r = t
        .request(
            "POST",
            "/api/v1/orders",
            Some(&honest),
            Some(body),
            &[("haven-device-id", "dev-honest")],
        )
        .await;
    assert_eq!(r.json["held_for_review"], false, "{:?}", r.json);
}

/// Ship and confirm: the order completes and the seller is paid.
async fn complete(t: &TestApp, seller: &str, buyer: &str, order: &str) {
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/ship"),
            Some(seller),
            json!({"carrier": "simpost", "tracking_number": tracking_number()}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    let r = t
        .post(
            &format!("/api/v1/orders/{order}/confirm"),
            Some(buyer),
            json!({"second_confirmation": true}),
        )
        .await;
    assert_eq!(r.json["state"], "completed", "{:?}", r.json);
}

#[tokio::test]
async fn customers_who_bought_this_also_bought_counts_completed_orders_only() {
    for t in on_every_backend().await {
        let (seller, lamp) = t.seller_with_listing("a@example.com", 20).await;
        let shade = add_listing(&t, &seller, listing("Lamp shade", "home", 1_500, 800, None)).await;
        let bulb = add_listing(&t, &seller, listing("Warm bulb", "home", 500, 300, None)).await;
        for i in 0..2 {
            let buyer = t.user(&format!("b{i}@example.com"), "buyer").await;
            for listing in [&lamp, &shade] {
                let r = t.buy(&buyer, listing, "4242424242424242").await;
                let order = r.json["id"].as_str().unwrap().to_string();
                complete(&t, &seller, &buyer, &order).await;
            }
        }
        // Bought but not completed (still in escrow): not a recommendation.
        let third = t.user("b3@example.com", "buyer").await;
        t.buy(&third, &lamp, "4242424242424242").await;
        t.buy(&third, &bulb, "4242424242424242").await;
        let r = t
            .get(&format!("/api/v1/listings/{lamp}/also-bought"), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let ids: Vec<&str> = r.json["listings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![shade.as_str()]);

        // The listing page shows it, and remembers what this browser viewed.
        let mut browser = Browser::new(&t);
        browser.get(&format!("/listings/{bulb}")).await;
        let page = browser.get(&format!("/listings/{lamp}")).await;
        let html = Browser::html(&page);
        let also = &html[html.find("id=\"also-bought\"").expect("also bought")..];
        assert!(also.contains("Lamp shade"), "{also}");
        let recent = &html[html
            .find("id=\"recently-viewed\"")
            .expect("recently viewed")..];
        assert!(recent.contains("Warm bulb"), "{recent}");
        let missing = uuid::Uuid::now_v7();
        let r = t
            .get(&format!("/api/v1/listings/{missing}/also-bought"), None)
            .await;
        assert_error(&r, StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn a_bundle_prices_each_complete_set_and_bad_bundles_are_refused() {
    for t in on_every_backend().await {
        let (seller, lamp) = t.seller_with_listing("a@example.com", 20).await;
        let shade = add_listing(&t, &seller, listing("Lamp shade", "home", 1_500, 800, None)).await;
        let (_, elsewhere) = t.seller_with_listing("b@example.com", 5).await;
        let bundle = |ids: Vec<&str>, price: i64| json!({"title": "Desk set", "listing_ids": ids, "price": {"amount_minor": price, "currency": "USD"}});
        let r = t
            .post(
                "/api/v1/bundles",
                Some(&seller),
                bundle(vec![&lamp, &elsewhere], 4_000),
            )
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let r = t
            .post(
                "/api/v1/bundles",
                Some(&seller),
                bundle(vec![&lamp, &shade], 5_500),
            )
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let r = t
            .post("/api/v1/bundles", Some(&seller), bundle(vec![&lamp], 3_000))
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let r = t
            .post(
                "/api/v1/bundles",
                Some(&seller),
                bundle(vec![&lamp, &shade], 5_000),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let bundle_id = r.json["id"].as_str().unwrap().to_string();
        let store = r.json["store_id"].as_str().unwrap().to_string();
        assert_eq!(
            t.get(&format!("/api/v1/stores/{store}/bundles"), None)
                .await
                .json["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        let buyer = t.user("buyer@example.com", "buyer").await;
        let r = t
            .post(
                "/api/v1/cart/bundles",
                Some(&buyer),
                json!({"store_id": store, "bundle_id": bundle_id}),
            )
            .await;
        assert_eq!(r.json["lines"].as_array().unwrap().len(), 2, "{:?}", r.json);
        put(&t, &buyer, &lamp, 2).await;
        put(&t, &buyer, &shade, 3).await;
        let r = t
            .post(
                "/api/v1/cart/checkout",
                Some(&buyer),
                json!({"address": address("US"), "card": card("4242424242424242")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let order = &r.json["orders"][0];
        // Two sets save 5.00 each; the third shade is at its own price.
        assert_eq!(order["bundle"]["sets"], 2);
        assert_eq!(order["bundle"]["amount"]["amount_minor"], 1_000);
        assert_eq!(
            order["total"]["amount_minor"],
            2 * 4_000 + 3 * 1_500 - 1_000 + 800
        );
        // Ended: the next cart pays full price.
        let r = t
            .post(
                &format!("/api/v1/bundles/{bundle_id}/end"),
                Some(&seller),
                json!({}),
            )
            .await;
        assert!(r.json["ended_at"].is_string(), "{:?}", r.json);
        put(&t, &buyer, &lamp, 1).await;
        put(&t, &buyer, &shade, 1).await;
        let r = t
            .post(
                "/api/v1/cart/quote",
                Some(&buyer),
                json!({"address": address("US")}),
            )
            .await;
        assert!(r.json["stores"][0]["bundle"].is_null(), "{:?}", r.json);
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn the_seller_offers_a_bundle_and_the_buyer_adds_it_from_the_listing_page() {
    let t = TestApp::sqlite().await;
    let (seller_token, lamp) = t.seller_with_listing("a@example.com", 20).await;
    let shade = add_listing(
        &t,
        &seller_token,
        listing("Lamp shade", "home", 1_500, 800, None),
    )
    .await;
    let mut seller = Browser::new(&t);
    seller.login("a@example.com").await;
    let page = seller.get("/seller/coupons").await;
    assert!(Browser::html(&page).contains("id=\"bundle-form\""));
    let r = seller
        .post_form(
            "/seller/bundles",
            &[
                ("title", "Reading corner"),
                ("listing", &lamp),
                ("listing", &shade),
                ("price", "50.00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let r = seller
        .post_form(
            "/seller/bundles",
            &[
                ("title", "Too dear"),
                ("listing", &lamp),
                ("listing", &shade),
                ("price", "60.00"),
            ],
        )
        .await;
    assert!(Browser::html(&r).contains("below $55.00"), "{:?}", r.json);
    let r = seller
        .post_form(
            "/seller/bundles",
            &[
                ("title", "Cheap corner"),
                ("listing", &lamp),
                ("listing", &shade),
                ("price", "lots"),
            ],
        )
        .await;
    let html = Browser::html(&r);
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(
        html.contains("<p class=\"field-error\" id=\"bundle-price-error\">"),
        "{html}"
    );
    assert!(html.contains("value=\"Cheap corner\""), "{html}");

    // A refused coupon says why beside the field, keeping what was typed.
    agent_token(&t).await;
    let mut agent = Browser::new(&t);
    agent.login("agent@example.com").await;
    let coupon = [
        ("title", "Winter warmers"),
        ("code", "WARM-5"),
        ("kind", "fixed"),
        ("amount", "three"),
        ("min_order", "20.00"),
        ("days", "7"),
        ("total_limit", "100"),
    ];
    let r = agent.post_form("/console/coupons", &coupon).await;
    let html = Browser::html(&r);
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(
        html.contains("<p class=\"field-error\" id=\"amount-error\">Write the amount off"),
        "{html}"
    );
    assert!(
        html.contains("value=\"Winter warmers\"") && html.contains("value=\"WARM-5\""),
        "{html}"
    );
    let coupon: Vec<(&str, &str)> = coupon
        .iter()
        .map(|&(k, v)| if k == "amount" { (k, "25.00") } else { (k, v) })
        .collect();
    let r = agent.post_form("/console/coupons", &coupon).await;
    let html = Browser::html(&r);
    assert!(
        html.contains(
            "<p class=\"field-error\" id=\"min_order-error\">the minimum order must be more"
        ),
        "{html}"
    );

    t.user("buyer@example.com", "buyer").await;
    let mut buyer = Browser::new(&t);
    buyer.login("buyer@example.com").await;
    let page = buyer.get(&format!("/listings/{shade}")).await;
    let html = Browser::html(&page).to_string();
    assert!(html.contains("Bundle deal: Reading corner"), "{html}");
    let field = |name: &str| {
        let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap() + name.len() + 15;
        html[at..at + 36].to_string()
    };
    let (store, bundle) = (field("store_id"), field("bundle_id"));
    let r = buyer
        .post_form(
            "/cart/bundles",
            &[("store_id", &store), ("bundle_id", &bundle)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let checkout = buyer.get("/cart/checkout?country=US").await;
    let html = Browser::html(&checkout);
    assert!(html.contains("Bundle: Reading corner × 1"), "{html}");
    // 40.00 + 15.00 at the bundle's 50.00, plus one parcel at 8.00.
    assert!(html.contains("Pay $58.00"), "{html}");

    // The seller ends it from the same page; the listing stops offering it.
    let r = seller
        .post_form(&format!("/seller/bundles/{bundle}/end"), &[])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let page = seller.get("/seller/coupons").await;
    assert!(
        Browser::html(&page).contains("Bundle Reading corner ended"),
        "{}",
        Browser::html(&page)
    );
    let page = buyer.get(&format!("/listings/{shade}")).await;
    assert!(!Browser::html(&page).contains("Bundle deal: Reading corner"));
}

#[tokio::test]
async fn rewards_are_earned_on_completed_orders_spent_as_credit_and_reversed_by_a_later_chargeback()
{
    for t in on_every_backend().await {
        let (seller, lamp) = t.seller_with_listing("a@example.com", 20).await;
        let buyer = t.user("buyer@example.com", "buyer").await;
        let buyer_id = t.get("/api/v1/me", Some(&buyer)).await.json["user"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let rewards = format!("buyer:{buyer_id}:rewards");

        // Refunded in full before shipping: no rewards.
        let r = t.buy(&buyer, &lamp, "4242424242424242").await;
        let cancelled = r.json["id"].as_str().unwrap().to_string();
        let r = t.cancel_by_agreement(&buyer, &seller, &cancelled).await;
        assert_eq!(r.json["refunded"]["amount_minor"], 4_500, "{:?}", r.json);
        assert_eq!(t.balance(&rewards).await, 0);

        // Completed: 1 % of 45.00.
        for _ in 0..2 {
            let r = t.buy(&buyer, &lamp, "4242424242424242").await;
            let order = r.json["id"].as_str().unwrap().to_string();
            complete(&t, &seller, &buyer, &order).await;
        }
        let r = t.get("/api/v1/me/rewards", Some(&buyer)).await;
        assert_eq!(r.json["balance"]["amount_minor"], 90, "{:?}", r.json);
        assert_eq!(t.balance("platform:rewards").await, -90);

        // Spent as credit, never twice.
        let r = t
            .post(
                "/api/v1/me/rewards/redeem",
                Some(&buyer),
                json!({"amount_minor": 91}),
            )
            .await;
        assert_error(&r, StatusCode::CONFLICT, "insufficient_funds");
        let r = t
            .post(
                "/api/v1/me/rewards/redeem",
                Some(&buyer),
                json!({"amount_minor": 50}),
            )
            .await;
        assert_eq!(r.json["balance"]["amount_minor"], 40, "{:?}", r.json);
        assert_eq!(r.json["credit"]["amount_minor"], 50);
        let mut body = checkout_body(&lamp, 1, "4242424242424242");
        body["use_credit"] = json!(true);
        let r = t.post("/api/v1/orders", Some(&buyer), body).await;
        assert_eq!(r.json["paid_by_credit"]["amount_minor"], 50, "{:?}", r.json);

        // A chargeback on a completed order takes back what is unspent.
        let r = t.buy(&buyer, &lamp, "4242424242424242").await;
        let order = r.json["id"].as_str().unwrap().to_string();
        complete(&t, &seller, &buyer, &order).await;
        assert_eq!(t.balance(&rewards).await, 40 + 45);
        let stored = t
            .app
            .store
            .order(order.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        let payment_ref = stored.payment.unwrap().payment_ref;
        let notice = json!({"type": "chargeback.created", "order_id": order, "payment_ref": payment_ref, "amount_minor": 4_500, "reason": "fraud"});
        let r = t.chargeback(&notice).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        assert_eq!(
            t.balance(&rewards).await,
            40,
            "the charged-back order's 0.45 went back"
        );
        let r = t
            .get(&format!("/api/v1/orders/{order}"), Some(&buyer))
            .await;
        assert_eq!(r.json["rewards_earned"]["amount_minor"], 45);
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn the_buy_now_page_shows_the_total_it_charges_coupon_included() {
    let t = TestApp::sqlite().await;
    let (seller, lamp) = t.seller_with_listing("a@example.com", 5).await;
    verify_seller(&t, "a@example.com").await;
    let r = issue(
        &t,
        &seller,
        fixed_coupon("LAMP3", 300, 2_000, &ends_in_days(&t, 7)),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    t.user("buyer@example.com", "buyer").await;
    let mut buyer = Browser::new(&t);
    buyer.login("buyer@example.com").await;
    let page = buyer
        .get(&format!("/checkout/{lamp}?quantity=1&method=Standard"))
        .await;
    assert!(
        Browser::html(&page).contains("Pay $45.00"),
        "{}",
        Browser::html(&page)
    );
    let page = buyer
        .get(&format!(
            "/checkout/{lamp}?quantity=1&method=Standard&country=US&coupon=lamp3&seen=1"
        ))
        .await;
    let html = Browser::html(&page);
    assert!(html.contains("Pay $42.00"), "{html}");
    assert!(html.contains("LAMP3 deal (seller coupon)"), "{html}");
    let form = |expected: &'static str| {
        vec![
            ("quantity", "1"),
            ("method", "Standard"),
            ("name", "Ada Buyer"),
            ("line1", "1 Main St"),
            ("city", "Springfield"),
            ("postal_code", "12345"),
            ("country", "US"),
            ("coupon", "LAMP3"),
            ("card_number", "4242424242424242"),
            ("exp", "12/30"),
            ("cvc", "123"),
            ("expected_total_minor", expected),
        ]
    };
    // A refusal about one field is shown next to it, the rest kept as typed.
    let mut bad_postcode = form("4200");
    let long = "9".repeat(40);
    bad_postcode.retain(|(k, _)| *k != "postal_code");
    bad_postcode.push(("postal_code", &long));
    let r = buyer
        .post_form(&format!("/checkout/{lamp}"), &bad_postcode)
        .await;
    let html = Browser::html(&r);
    assert!(
        html.contains("aria-describedby=\"postal_code-error\"")
            && html.contains("<p class=\"field-error\" id=\"postal_code-error\">"),
        "{html}"
    );
    assert!(
        !html.contains("id=\"checkout-error\""),
        "not at the top too"
    );
    assert!(html.contains("value=\"Ada Buyer\""), "kept what was typed");
    let mut bad_expiry = form("4200");
    bad_expiry.retain(|(k, _)| *k != "exp");
    bad_expiry.push(("exp", "13"));
    let r = buyer
        .post_form(&format!("/checkout/{lamp}"), &bad_expiry)
        .await;
    let html = Browser::html(&r);
    assert!(
        html.contains("id=\"exp-error\">Expiry must look like 12/30."),
        "{html}"
    );
    // The page said 45.00 but the coupon makes it 42.00: refused, nothing charged.
    let r = buyer
        .post_form(&format!("/checkout/{lamp}"), &form("4500"))
        .await;
    assert!(
        Browser::html(&r).contains("the total is now $42.00"),
        "{:?}",
        r.json
    );
    let r = buyer
        .post_form(&format!("/checkout/{lamp}"), &form("4200"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    let orders = t
        .get("/api/v1/orders", Some(&t.login("buyer@example.com").await))
        .await;
    assert_eq!(orders.json["items"][0]["total"]["amount_minor"], 4_200);
    assert_eq!(orders.json["items"].as_array().unwrap().len(), 1);
}
