//! Payouts reach the seller's bank, and the seller reads a statement of
//! every movement, through the real router on every backend: the sale
//! arrives after commission, the payout leaves, the simulated bank settles
//! it a day later (once), the seller is told, and the ledger stays clean.

mod common;

use axum::http::StatusCode;
use common::*;

fn amounts(statement: &serde_json::Value) -> Vec<i64> {
    statement["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount"]["amount_minor"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_payout_settles_a_day_later_and_the_statement_shows_every_step() {
    for t in on_every_backend().await {
        let (seller, buyer, order) = t.paid_order().await;
        // Paid: the buyer's money is in escrow, shown to the seller as such.
        let balance = t.get("/api/v1/seller/balance", Some(&seller)).await.json;
        assert_eq!(balance["in_escrow"]["amount_minor"], 4_500, "{balance:?}");
        assert_eq!(balance["escrow_orders"], 1);
        assert_eq!(balance["available"]["amount_minor"], 0);
        let r = t.ship(&seller, &order).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        t.confirm(&buyer, &order).await;
        let balance = t.get("/api/v1/seller/balance", Some(&seller)).await.json;
        assert_eq!(balance["in_escrow"]["amount_minor"], 0, "released");
        assert_eq!(balance["escrow_orders"], 0);
        let available =
            t.get("/api/v1/seller/balance", Some(&seller)).await.json["available"]["amount_minor"]
                .as_i64()
                .unwrap();
        assert!(available > 0);

        let r = t
            .post(
                "/api/v1/seller/payouts",
                Some(&seller),
                serde_json::json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let payout = r.json["id"].as_str().unwrap().to_string();
        assert_eq!(r.json["state"], "requested");

        let statement = t.get("/api/v1/seller/statement", Some(&seller)).await;
        assert_eq!(statement.status, StatusCode::OK, "{:?}", statement.json);
        assert_eq!(amounts(&statement.json), vec![-available, available]);
        let kinds: Vec<&str> = statement.json["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, vec!["payout", "release"]);
        assert_eq!(statement.json["lines"][1]["order_id"], order.as_str());
        assert_eq!(
            statement.json["lines"][0]["balance_after"]["amount_minor"],
            0
        );
        assert_eq!(
            statement.json["lines"][1]["balance_after"]["amount_minor"],
            available
        );

        // The bank takes its day: nothing settles before.
        t.advance_hours(12);
        t.tick().await;
        let r = t.get("/api/v1/seller/payouts", Some(&seller)).await;
        assert_eq!(r.json["items"][0]["state"], "requested", "{:?}", r.json);
        t.advance_hours(13);
        t.tick().await;
        let r = t.get("/api/v1/seller/payouts", Some(&seller)).await;
        let paid = &r.json["items"][0];
        assert_eq!(paid["id"], payout.as_str());
        assert_eq!(paid["state"], "paid", "{:?}", r.json);
        assert!(paid["bank_reference"].as_str().unwrap().starts_with("SIM-"));
        assert!(paid["settled_at"].is_string());
        let balance = t.get("/api/v1/seller/balance", Some(&seller)).await;
        assert_eq!(
            balance.json["in_payout"]["amount_minor"], 0,
            "{:?}",
            balance.json
        );
        assert_eq!(t.balance("bank:simulated").await, available);
        let out = t
            .get("/api/v1/seller/statement?account=payout", Some(&seller))
            .await;
        assert_eq!(amounts(&out.json), vec![-available, available]);
        assert_eq!(out.json["lines"][0]["description"], "Paid to your bank");

        // More ticks settle nothing twice.
        t.advance_days(2);
        t.tick().await;
        assert_eq!(t.balance("bank:simulated").await, available);

        let notices = t.get("/api/v1/notifications", Some(&seller)).await;
        let titles: Vec<&str> = notices.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["title"].as_str().unwrap())
            .collect();
        assert!(titles.contains(&"Payout paid"), "{titles:?}");
        t.verify_clean().await;
    }
}

#[tokio::test]
async fn statements_page_and_refuse_bad_input() {
    for t in on_every_backend().await {
        let (seller, buyer, order) = t.paid_order().await;
        t.ship(&seller, &order).await;
        t.confirm(&buyer, &order).await;
        t.post(
            "/api/v1/seller/payouts",
            Some(&seller),
            serde_json::json!({}),
        )
        .await;
        let first = t
            .get("/api/v1/seller/statement?limit=1", Some(&seller))
            .await;
        assert_eq!(first.json["lines"].as_array().unwrap().len(), 1);
        let cursor = first.json["next_cursor"].as_str().unwrap().to_string();
        let second = t
            .get(
                &format!("/api/v1/seller/statement?limit=1&cursor={cursor}"),
                Some(&seller),
            )
            .await;
        assert_eq!(
            second.json["lines"][0]["kind"], "release",
            "{:?}",
            second.json
        );
        assert!(second.json["next_cursor"].is_null());
        // The oldest line's balance after it is its own amount: the running
        // balance carried across the page boundary.
        assert_eq!(
            second.json["lines"][0]["balance_after"],
            second.json["lines"][0]["amount"],
        );

        let r = t
            .get("/api/v1/seller/statement?account=escrow", Some(&seller))
            .await;
        assert_error(&r, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let r = t
            .get("/api/v1/seller/statement?cursor=abc", Some(&seller))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.json);
        let r = t
            .get("/api/v1/seller/statement?limit=0", Some(&seller))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.json);
        let r = t.get("/api/v1/seller/statement", Some(&buyer)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.json);
        let r = t.get("/api/v1/seller/statement", None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.json);
    }
}

#[tokio::test]
async fn the_seller_reads_the_statement_and_downloads_it_as_csv() {
    let t = TestApp::sqlite().await;
    let (seller, buyer, order) = t.paid_order().await;
    let mut web = Browser::new(&t);
    web.login("s@example.com").await;
    let page = web.get("/seller").await;
    assert!(
        Browser::html(&page).contains(
            "id=\"in-escrow\">$45.00 <span class=\"muted\">(1 open order, before commission)"
        ),
        "{}",
        Browser::html(&page)
    );
    // The store's metrics and standing are shown in good standing too.
    let html = Browser::html(&page);
    assert!(html.contains("id=\"store-metrics\""), "{html}");
    assert!(html.contains("id=\"good-standing\""), "{html}");
    assert!(
        html.contains("order defect rate over 60 days: 0.00 %"),
        "{html}"
    );
    assert!(html.contains("Items sold"), "{html}");
    // Nothing is available yet: refused beside the button.
    let r = web.post_form("/seller/payouts", &[]).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let html = Browser::html(&r);
    assert!(
        html.contains("aria-describedby=\"payout-error\"")
            && html.contains("<p class=\"field-error\" id=\"payout-error\">"),
        "{html}"
    );
    t.ship(&seller, &order).await;
    t.confirm(&buyer, &order).await;
    let r = web.post_form("/seller/payouts", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = web.get("/seller").await;
    let html = Browser::html(&page);
    assert!(
        html.contains("Payout of") && html.contains("id=\"flash\""),
        "{html}"
    );
    assert!(html.contains("On its way to your bank"), "{html}");
    t.advance_hours(25);
    t.tick().await;
    let page = web.get("/seller").await;
    let html = Browser::html(&page);
    assert!(
        html.contains(">Paid<") && html.contains("bank reference SIM-"),
        "{html}"
    );

    let page = web.get("/seller/statement").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = Browser::html(&page);
    assert!(
        html.contains("Sale paid to you, after commission"),
        "{html}"
    );
    assert!(
        html.contains("Payout requested") && html.contains("href=\"/orders/"),
        "{html}"
    );
    let page = web.get("/seller/statement?account=payout").await;
    assert!(Browser::html(&page).contains("Paid to your bank"));

    let csv = web.get("/seller/statement.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let text = Browser::html(&csv);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "date,description,kind,order_id,payout_id,amount,currency,balance_after"
    );
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].contains(",payout,") && lines[1].contains(",-"),
        "{text}"
    );
    assert!(
        lines[2].contains("\"Sale paid to you, after commission\",release,"),
        "{text}"
    );
    let r = web.get("/seller/statement?account=nope").await;
    assert!(r.status.is_client_error());
}
