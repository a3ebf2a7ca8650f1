//! Web hygiene: a CSP with no inline code, HSTS behind HTTPS, no caching of
//! signed-in pages, a CSRF token that rotates at login and never travels in
//! a URL, POST-redirect-GET on every form, and sessions that stay in their
//! channel (a page cookie is not an API token, nor the other way round).

mod common;

use axum::http::StatusCode;
use common::{Browser, PASSWORD, TestApp};
use serde_json::json;

#[tokio::test]
async fn the_csp_allows_no_inline_code_and_hsts_follows_secure_cookies() {
    let t = TestApp::sqlite().await;
    for path in ["/", "/login", "/static/haven.css", "/api/v1/listings"] {
        let r = t.get(path, None).await;
        let csp = r
            .headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && csp.contains("style-src 'self'"),
            "{csp}"
        );
        assert!(
            r.headers.get("strict-transport-security").is_none(),
            "plain HTTP: no HSTS"
        );
    }
    // No template carries an inline style or script any more.
    let templates = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
    for file in std::fs::read_dir(templates).unwrap() {
        let path = file.unwrap().path();
        let html = std::fs::read_to_string(&path).unwrap();
        assert!(!html.contains("style=\""), "{}", path.display());
        assert!(!html.contains("<script>"), "{}", path.display());
        assert!(!html.contains(" onclick="), "{}", path.display());
        assert!(
            !html.contains("?csrf="),
            "no token in a URL: {}",
            path.display()
        );
    }
    let secure = TestApp::sqlite_with(|c| c.secure_cookies = true).await;
    let r = secure.get("/login", None).await;
    let hsts = r.headers.get("strict-transport-security").unwrap();
    assert!(hsts.to_str().unwrap().starts_with("max-age="), "{hsts:?}");
    assert!(
        r.headers
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Secure"),
        "cookies are Secure too"
    );
}

#[tokio::test]
async fn signed_in_pages_are_not_cached_and_the_csrf_token_rotates_at_login() {
    let t = TestApp::sqlite().await;
    t.user("kai@example.com", "buyer").await;
    let mut browser = Browser::new(&t);
    let before = browser.get("/").await;
    assert!(
        before.headers.get("cache-control").is_none(),
        "a public page may be cached"
    );
    let planted = browser.csrf();
    assert_eq!(planted.len(), 64);
    browser.login("kai@example.com").await;
    let after = browser.csrf();
    assert_eq!(after.len(), 64);
    assert_ne!(
        planted, after,
        "a token from before sign-in is worthless after"
    );
    // The old token no longer passes.
    browser.cookies.insert("haven_csrf".into(), after.clone());
    let stale = browser
        .send(
            "POST",
            "/account/sessions-revoke-others",
            Some("application/x-www-form-urlencoded"),
            format!("csrf={planted}").into_bytes(),
        )
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
    for path in ["/", "/orders", "/account", "/messages"] {
        let r = browser.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(
            r.headers.get("cache-control").unwrap(),
            "no-store",
            "{path}"
        );
    }
    // Logging out rotates it again.
    browser.post_form("/logout", &[]).await;
    assert_ne!(browser.csrf(), after);
}

#[tokio::test]
async fn every_form_answers_with_a_redirect_and_a_message() {
    let t = TestApp::sqlite().await;
    let mut browser = Browser::new(&t);
    let r = browser
        .post_form(
            "/register",
            &[
                ("email", "lee@example.com"),
                ("password", PASSWORD),
                ("display_name", "Lee"),
                ("role", "seller"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    for (path, fields, message) in [
        (
            "/account/reauthenticate",
            vec![("password", PASSWORD)],
            "Confirmed",
        ),
        ("/account/2fa-setup", vec![], "Scan the code"),
        (
            "/account/sessions-revoke-others",
            vec![],
            "Every other session",
        ),
        (
            "/account/payout-account",
            vec![("holder", "Lee"), ("iban", "DE89370400440532013000")],
            "Payouts now go to",
        ),
        ("/seller/store", vec![("name", "Lee's lamps")], ""),
    ] {
        let r = browser.post_form(path, &fields).await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{path}: {}",
            Browser::html(&r)
        );
        let to = r
            .headers
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let page = browser.get(&to).await;
        assert_eq!(page.status, StatusCode::OK, "{to}");
        assert!(
            Browser::html(&page).contains(message),
            "{path}: no '{message}'"
        );
        // Shown once.
        if !message.is_empty() {
            let again = browser.get(&to).await;
            assert!(
                !Browser::html(&again).contains(message),
                "{path}: shown twice"
            );
        }
    }
    // The 2FA setup is a page of its own now: reloading it shows the same
    // secret and recovery codes instead of posting again.
    let first = browser.get("/account").await;
    let second = browser.get("/account").await;
    assert!(Browser::html(&first).contains("recovery-codes"));
    assert_eq!(
        secret_in(Browser::html(&first)),
        secret_in(Browser::html(&second))
    );
    // The forgotten-password and reset forms redirect too.
    let mut visitor = Browser::new(&t);
    let r = visitor
        .post_form("/forgot-password", &[("email", "lee@example.com")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = visitor
        .get(r.headers.get("location").unwrap().to_str().unwrap())
        .await;
    assert!(Browser::html(&page).contains("Check your email"));
}

/// A refused registration names the field and keeps what was typed (never
/// the password).
#[tokio::test]
async fn a_refused_registration_says_why_at_the_field() {
    let t = TestApp::sqlite().await;
    let mut web = Browser::new(&t);
    let r = web
        .post_form(
            "/register",
            &[
                ("display_name", "Rosa Marquez"),
                ("email", "rosa@example.com"),
                ("password", "password"),
                ("role", "buyer"),
            ],
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let html = Browser::html(&r);
    assert!(
        html.contains("aria-describedby=\"password-error\"")
            && html.contains("<p class=\"field-error\" id=\"password-error\">"),
        "{html}"
    );
    assert!(html.contains("value=\"Rosa Marquez\""), "{html}");
    assert!(html.contains("value=\"rosa@example.com\""), "{html}");
    assert!(!html.contains("value=\"password\""), "never the password");
}

/// Follow a form's redirect (a 303) to the page it names; that page and
/// its path (without the fragment).
async fn follow(browser: &mut Browser<'_>, r: &common::Response) -> (String, common::Response) {
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", Browser::html(r));
    let to = r.headers.get("location").unwrap().to_str().unwrap();
    let to = to.split('#').next().unwrap().to_string();
    let page = browser.get(&to).await;
    assert_eq!(page.status, StatusCode::OK, "{to}");
    (to, page)
}

/// Follow a form's redirect and check the page says `message` once, and a
/// reload no longer does.
async fn says_once(browser: &mut Browser<'_>, r: &common::Response, message: &str) -> String {
    let (to, page) = follow(browser, r).await;
    let html = Browser::html(&page);
    assert!(html.contains("id=\"flash\""), "{to}: no message");
    assert_eq!(html.matches(message).count(), 1, "{to}: '{message}' once");
    let again = browser.get(&to).await;
    assert!(
        !Browser::html(&again).contains(message),
        "{to}: '{message}' shown twice"
    );
    to
}

/// The new-listing form, filled in but for its title and price.
fn listing_form<'a>(title: &'a str, price: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("description", "A warm lamp for the desk."),
        ("category", "home"),
        ("price", price),
        ("stock", "3"),
        ("ship_by_days", "3"),
        ("ship_country", "DE"),
        ("ship_cost", "4.90"),
        ("min_days", "2"),
        ("max_days", "5"),
    ]
}

/// As [`says_once`], for a refusal: shown as an alert, not as a success.
async fn refused_once(browser: &mut Browser<'_>, r: &common::Response, reason: &str) -> String {
    let (to, page) = follow(browser, r).await;
    let html = Browser::html(&page);
    let alert = html
        .find("<div class=\"notice bad\" role=\"alert\" id=\"flash\">")
        .unwrap_or_else(|| panic!("{to}: no alert in {html}"));
    let end = alert + html[alert..].find("</div>").unwrap();
    assert!(
        html[alert..end].contains(reason),
        "{to}: {}",
        &html[alert..end]
    );
    assert!(!html.contains("notice ok\" role=\"status\" id=\"flash\""));
    let again = browser.get(&to).await;
    assert!(
        !Browser::html(&again).contains("id=\"flash\""),
        "{to}: twice"
    );
    to
}

/// Order and dispute actions, a listing, a question to a seller and a
/// logout each say what happened; a refused cart change or webhook says why
/// on the page, next to the field it names.
#[tokio::test]
async fn every_action_says_what_happened_and_refusals_say_why() {
    let t = TestApp::sqlite().await;
    let (_, _, order) = t.paid_order().await;
    let mut seller = Browser::new(&t);
    seller.login("s@example.com").await;
    let mut buyer = Browser::new(&t);
    buyer.login("b@example.com").await;

    // A refused tracking number is shown with its reason beside it.
    let r = seller
        .post_form(
            &format!("/orders/{order}/ship"),
            &[("carrier", "ups"), ("tracking_number", "NOT-A-NUMBER")],
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let html = Browser::html(&r);
    assert!(
        html.contains("<p class=\"field-error\" id=\"tracking_number-error\">"),
        "{html}"
    );
    assert!(html.contains("value=\"NOT-A-NUMBER\""), "{html}");
    assert!(html.contains("<option value=\"ups\" selected>"), "{html}");
    let r = seller
        .post_form(
            &format!("/orders/{order}/ship"),
            &[
                ("carrier", "simpost"),
                ("tracking_number", &common::tracking_number()),
            ],
        )
        .await;
    says_once(&mut seller, &r, "Marked as shipped with tracking number").await;

    // A refused dispute form says why at the field and keeps the words.
    let r = buyer
        .post_multipart(
            &format!("/orders/{order}/dispute"),
            &[
                ("reason", "not_as_described"),
                ("outcome", "partial_refund"),
                ("partial_amount", "half"),
                ("description", "The shade is scratched."),
            ],
            None,
        )
        .await;
    let html = Browser::html(&r);
    assert!(html.contains("id=\"partial_amount-error\""), "{html}");
    assert!(
        html.contains(">The shade is scratched.</textarea>"),
        "{html}"
    );
    assert!(html.contains("value=\"partial_refund\" checked"), "{html}");
    let dispute = open_dispute(&mut buyer, &order).await;
    let r = seller
        .post_form(
            &format!("{dispute}/counter"),
            &[
                ("amount", "1.00"),
                ("message", "Half the crack, half the price."),
            ],
        )
        .await;
    says_once(&mut seller, &r, "Your offer is sent").await;
    let r = buyer
        .post_form(
            &format!("{dispute}/message"),
            &[("text", "It is a big crack.")],
        )
        .await;
    says_once(&mut buyer, &r, "Message added to the dispute").await;
    let r = buyer
        .post_form(&format!("{dispute}/counter/decline"), &[])
        .await;
    says_once(&mut buyer, &r, "You declined the seller's offer").await;

    // A new listing says whether buyers can buy it yet.
    let r = seller
        .post_multipart(
            "/seller/listings",
            &listing_form("Brass desk lamp", "30.00"),
            None,
        )
        .await;
    let listing = says_once(&mut seller, &r, "Listing").await;

    // A refused listing keeps what was typed and says why at the field.
    let r = seller
        .post_multipart(
            "/seller/listings",
            &listing_form("Copper desk lamp", "cheap"),
            None,
        )
        .await;
    let html = Browser::html(&r);
    assert!(
        html.contains(
            "<p class=\"field-error\" id=\"price-error\">Write an amount like 19.99.</p>"
        ),
        "{html}"
    );
    assert!(html.contains("aria-describedby=\"price-error\""), "{html}");
    assert!(html.contains("value=\"Copper desk lamp\""), "kept: {html}");
    assert!(html.contains("<option value=\"home\" selected>"), "{html}");
    assert!(html.contains("value=\"DE\""), "{html}");

    // A question to the seller lands on the conversation, saying so.
    let r = buyer
        .post_form(
            &format!("{listing}/ask"),
            &[("text", "Does it take an E27 bulb?")],
        )
        .await;
    let conversation = says_once(&mut buyer, &r, "Question sent").await;

    // A refused cart change goes back to the page, saying why.
    let id = listing.trim_start_matches("/listings/");
    let r = buyer
        .post_form(
            "/cart/items",
            &[
                ("listing_id", id),
                ("quantity", "lots"),
                ("back", "listing"),
            ],
        )
        .await;
    let cart_page = says_once(
        &mut buyer,
        &r,
        "Your cart was not changed: quantity must be a whole number.",
    )
    .await;
    assert!(cart_page.starts_with("/listings/"), "{cart_page}");

    // A refused one-button action goes back where it came from, with the
    // reason drawn as an alert, never as an error page or a success.
    let r = buyer.post_form("/rewards/redeem", &[]).await;
    let back = refused_once(&mut buyer, &r, "nothing to redeem").await;
    assert_eq!(back, "/cart/checkout");

    // A message the scanner stopped is not reported as sent.
    let r = buyer
        .post_multipart(
            &conversation,
            &[(
                "text",
                "Customs is holding your parcel. Pay the 35 USD release fee by bank transfer to IBAN DE89 3704 0044 0532 0130 00",
            )],
            None,
        )
        .await;
    refused_once(&mut buyer, &r, "Your message was not delivered").await;

    let r = buyer.post_form("/logout", &[]).await;
    says_once(&mut buyer, &r, "You are logged out.").await;

    // A refused webhook keeps what was typed and names the field.
    common::staff_token(&t, "admin@example.com", haven_domain::account::Role::Admin).await;
    let mut admin = Browser::new(&t);
    admin.login("admin@example.com").await;
    let r = admin
        .post_form(
            "/admin/webhooks",
            &[("url", "not an address"), ("description", "ERP")],
        )
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let html = Browser::html(&r);
    assert!(html.contains("id=\"url-error\""), "{html}");
    assert!(html.contains("aria-describedby=\"url-error\""), "{html}");
    assert!(
        html.contains("value=\"not an address\""),
        "kept what was typed"
    );
}

/// The buyer opens a full-refund dispute on `order` from its form; the
/// dispute's page.
async fn open_dispute(buyer: &mut Browser<'_>, order: &str) -> String {
    let r = buyer
        .post_multipart(
            &format!("/orders/{order}/dispute"),
            &[
                ("reason", "not_as_described"),
                ("outcome", "full_refund"),
                ("description", "The lamp has a crack along the base."),
            ],
            None,
        )
        .await;
    says_once(buyer, &r, "Dispute opened").await
}

/// `html` shows `message` beside the field whose error id is `id`, and
/// marks that field invalid.
fn refused_at(html: &str, id: &str, message: &str) {
    let shown = format!("<p class=\"field-error\" id=\"{id}-error\">{message}");
    assert!(html.contains(&shown), "{shown} in {html}");
    let marked = format!("aria-describedby=\"{id}-error\"");
    assert!(html.contains(&marked), "{marked} in {html}");
}

/// Each dispute form that is refused says why beside the field to blame
/// and keeps what was typed, on both sides and at the agent's desk.
#[tokio::test]
async fn a_refused_dispute_action_says_why_beside_its_field() {
    let t = TestApp::sqlite().await;
    let (_, _, _, order) = t.shipped_order().await;
    let mut seller = Browser::new(&t);
    seller.login("s@example.com").await;
    let mut buyer = Browser::new(&t);
    buyer.login("b@example.com").await;
    let r = buyer
        .post_multipart(
            &format!("/orders/{order}/dispute"),
            &[
                ("reason", "not_as_described"),
                ("outcome", "partial_refund"),
                ("partial_amount", "5000.00"),
                ("description", "The lamp has a crack along the base."),
            ],
            None,
        )
        .await;
    let html = Browser::html(&r);
    assert!(r.status.is_client_error(), "{}", r.status);
    refused_at(html, "partial_amount", "");
    let dispute = open_dispute(&mut buyer, &order).await;

    let offer = [("amount", "lots"), ("message", "Half the crack.")];
    let r = seller
        .post_form(&format!("{dispute}/counter"), &offer)
        .await;
    let html = Browser::html(&r);
    refused_at(html, "amount", "Enter an amount like 12.50.");
    assert!(html.contains(">Half the crack.</textarea>"), "{html}");
    assert!(html.contains("value=\"lots\""), "{html}");
    assert!(!html.contains("notice bad"), "not also at the top: {html}");
    let offer = [("amount", "9000.00"), ("message", "All of it and more.")];
    let r = seller
        .post_form(&format!("{dispute}/counter"), &offer)
        .await;
    refused_at(Browser::html(&r), "amount", "");

    let r = seller
        .post_form(&format!("{dispute}/reject"), &[("explanation", " ")])
        .await;
    refused_at(Browser::html(&r), "explanation", "");
    let r = buyer
        .post_form(&format!("{dispute}/message"), &[("text", "")])
        .await;
    refused_at(Browser::html(&r), "text", "");

    let said = [("explanation", "The photos show it was whole when shipped.")];
    let r = seller.post_form(&format!("{dispute}/reject"), &said).await;
    says_once(&mut seller, &r, "You rejected the request").await;
    // Rejected already: the reject form is gone, so the reason is at the top.
    let r = seller.post_form(&format!("{dispute}/reject"), &said).await;
    let html = Browser::html(&r);
    assert!(r.status.is_client_error(), "{}", r.status);
    assert!(
        html.contains("<div class=\"notice bad\" role=\"alert\">"),
        "{html}"
    );
    assert!(!html.contains("id=\"explanation-error\""), "{html}");
    let days = t.app.current_policy().1.dispute_buyer_escalate_after_days;
    t.clock
        .advance(haven_domain::SignedDuration::from_hours(24 * days));
    let r = buyer.post_form(&format!("{dispute}/escalate"), &[]).await;
    says_once(&mut buyer, &r, "Sent to Haven").await;

    common::staff_token(&t, "agent@example.com", haven_domain::account::Role::Agent).await;
    let mut agent = Browser::new(&t);
    agent.login("agent@example.com").await;
    let undecided = [("reasons", "The crack shows in the buyer's photo.")];
    let r = agent
        .post_form(&format!("{dispute}/decide"), &undecided)
        .await;
    let html = Browser::html(&r);
    refused_at(html, "decision", "Choose what happens to the money");
    assert!(
        html.contains(">The crack shows in the buyer&#x27;s photo.</textarea>")
            || html.contains(">The crack shows in the buyer&#39;s photo.</textarea>"),
        "{html}"
    );
    let partial = [
        ("decision", "partial_refund"),
        ("amount", "ten"),
        ("reasons", "Half the value."),
    ];
    let r = agent
        .post_form(&format!("{dispute}/decide"), &partial)
        .await;
    let html = Browser::html(&r);
    refused_at(html, "decision-amount", "Enter an amount like 12.50.");
    assert!(html.contains("value=\"partial_refund\" checked"), "{html}");
}

fn secret_in(html: &str) -> String {
    let start = html.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
    html[start..].chars().take_while(|c| *c != '<').collect()
}

#[tokio::test]
async fn a_2fa_login_keeps_its_challenge_out_of_pages_and_urls() {
    let t = TestApp::sqlite().await;
    let token = t.user("max@example.com", "buyer").await;
    let setup = t
        .post("/api/v1/me/2fa/setup", Some(&token), json!({}))
        .await;
    let secret = setup.json["secret"].as_str().unwrap().to_string();
    let code = haven_app::auth::totp_code(&secret, t.now_s() as u64).unwrap();
    let r = t
        .post("/api/v1/me/2fa/enable", Some(&token), json!({"code": code}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["recovery_codes"].as_array().unwrap().len(), 10);
    t.clock.advance(jiff::SignedDuration::from_secs(31));

    let mut browser = Browser::new(&t);
    let r = browser
        .post_form(
            "/login",
            &[("email", "max@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let to = r
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(to.starts_with("/login/2fa"), "{to}");
    let challenge = browser.cookies.get("haven_2fa").cloned().unwrap();
    assert!(!to.contains(&challenge), "never in a URL");
    let page = browser.get(&to).await;
    assert!(
        !Browser::html(&page).contains(&challenge),
        "never in a page"
    );
    let code = haven_app::auth::totp_code(&secret, t.now_s() as u64).unwrap();
    let r = browser.post_form("/login/2fa", &[("code", &code)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", Browser::html(&r));
    assert!(browser.cookies.contains_key("haven_session"));
    assert!(!browser.cookies.contains_key("haven_2fa"), "used up");
}

#[tokio::test]
async fn uploads_carry_the_token_as_their_first_field_never_in_the_url() {
    let t = TestApp::sqlite().await;
    t.user("ivy@example.com", "seller").await;
    let mut browser = Browser::new(&t);
    browser.login("ivy@example.com").await;
    // Content is sniffed, not trusted: a PNG signature and some bytes.
    let png = [
        &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
        &[7u8; 64],
    ]
    .concat();
    // The old way: token in the query string, not in the body.
    let csrf = browser.csrf();
    let sneaky = browser
        .send(
            "POST",
            &format!("/account/identity?csrf={csrf}"),
            Some("multipart/form-data; boundary=b"),
            b"--b\r\nContent-Disposition: form-data; name=\"document\"; filename=\"a.png\"\r\n\r\nx\r\n--b--\r\n".to_vec(),
        )
        .await;
    assert_eq!(sneaky.status, StatusCode::FORBIDDEN);
    let r = browser
        .post_multipart("/account/identity", &[], Some(("document", "id.png", &png)))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", Browser::html(&r));
    let page = browser.get("/account").await;
    assert!(Browser::html(&page).contains("an agent will review your document"));
}

#[tokio::test]
async fn sessions_stay_in_their_channel() {
    let t = TestApp::sqlite().await;
    let api_token = t.user("oli@example.com", "buyer").await;
    let mut browser = Browser::new(&t);
    browser.login("oli@example.com").await;
    let cookie_token = browser.cookies.get("haven_session").cloned().unwrap();
    // The browser's cookie is not a bearer token.
    let r = t.get("/api/v1/me", Some(&cookie_token)).await;
    common::assert_error(&r, StatusCode::UNAUTHORIZED, "unauthorized");
    let r = t.get("/api/v1/me", Some(&api_token)).await;
    assert_eq!(r.status, StatusCode::OK);
    // And an API token in a cookie does not sign a page in.
    let mut other = Browser::new(&t);
    other.cookies.insert("haven_session".into(), api_token);
    let r = other.get("/account").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "sent to the login form");
}

#[tokio::test]
async fn every_page_names_the_icon_and_the_icon_is_served() {
    let t = TestApp::sqlite().await;
    let home = t.get("/", None).await;
    let html = home.json.as_str().unwrap_or_default();
    assert!(
        html.contains("<link rel=\"icon\" href=\"/favicon.svg\" type=\"image/svg+xml\">"),
        "{html}"
    );
    let icon = t.get("/favicon.svg", None).await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.headers["content-type"], "image/svg+xml");
    let old_name = t.get("/favicon.ico", None).await;
    assert_eq!(old_name.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(old_name.headers["location"], "/favicon.svg");
}

/// Prices are written as the visitor's language writes money.
#[tokio::test]
async fn money_is_written_as_the_visitors_language_writes_it() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let path = format!("/listings/{listing}");
    let page = |language: &'static str| {
        let path = path.clone();
        let t = &t;
        async move {
            let r = t
                .request("GET", &path, None, None, &[("accept-language", language)])
                .await;
            assert_eq!(r.status, StatusCode::OK);
            assert!(
                r.headers
                    .get_all("vary")
                    .iter()
                    .any(|v| v.to_str().unwrap().contains("accept-language")),
                "{:?}",
                r.headers
            );
            r.json.as_str().unwrap().to_string()
        }
    };
    assert!(page("en-US,en;q=0.9").await.contains("$40.00"));
    assert!(page("de-DE,de;q=0.9").await.contains("40,00\u{a0}$"));
    assert!(page("fr-FR").await.contains("40,00\u{a0}$US"));
    assert!(page("pt-BR,pt;q=0.8").await.contains("US$\u{a0}40,00"));
    assert!(
        page("ja").await.contains("$40.00"),
        "English when unsupported"
    );
}

/// A sentence as a language's catalogue writes it, escaped as the page
/// shows it.
fn translated(tag: &str, english: &str) -> String {
    let path = format!("{}/locales/{tag}.json", env!("CARGO_MANIFEST_DIR"));
    let catalogue: std::collections::HashMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let text = catalogue
        .get(english)
        .unwrap_or_else(|| panic!("{tag} lacks {english:?}"))
        .clone();
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Buyer pages speak the visitor's language: from `Accept-Language`, or
/// from the language picker at the foot of every page, which wins over the
/// browser and can be set back.
#[tokio::test]
async fn buyer_pages_speak_the_language_the_visitor_chose() {
    let t = TestApp::sqlite().await;
    let (_, listing) = t.seller_with_listing("s@example.com", 5).await;
    let listing_path = format!("/listings/{listing}");
    for tag in ["es", "pt", "fr", "de", "ru"] {
        let r = t
            .request("GET", "/", None, None, &[("accept-language", tag)])
            .await;
        let html = r.json.as_str().unwrap();
        assert!(html.contains(&format!("<html lang=\"{tag}\">")), "{tag}");
        for english in ["Shop by category", "Log in", "Language"] {
            let words = translated(tag, english);
            assert_ne!(words, english, "{tag} translates {english:?}");
            assert!(
                html.contains(&words),
                "{tag}: {words:?} not on the home page"
            );
        }
        let r = t
            .request(
                "GET",
                &listing_path,
                None,
                None,
                &[("accept-language", tag)],
            )
            .await;
        let html = r.json.as_str().unwrap();
        assert!(html.contains(&translated(tag, "Buy now")), "{tag}: {html}");
        assert!(
            html.contains(&translated(tag, "Can I trust this store?")),
            "{tag}"
        );
        // The trust panel's summary and metrics are in the language too.
        for english in ["no reviews yet", "Items sold", "Dispute rate"] {
            let words = translated(tag, english);
            assert_ne!(words, english, "{tag} translates {english:?}");
            // Values the page escapes write an apostrophe as an entity.
            let escaped = [words.replace('\'', "&#x27;"), words.replace('\'', "&#39;")];
            assert!(
                html.contains(&words) || escaped.iter().any(|w| html.contains(w.as_str())),
                "{tag}: {words:?} in {html}"
            );
        }
    }

    // The picker: Portuguese chosen, kept over a German browser.
    let mut web = Browser::new(&t);
    let r = web
        .post_form("/language", &[("lang", "pt"), ("back", "/search?q=lamp")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{:?}", r.json);
    assert_eq!(r.headers["location"], "/search?q=lamp");
    assert_eq!(
        web.cookies.get("haven_lang").map(String::as_str),
        Some("pt")
    );
    let page = web.get("/search?q=lamp").await;
    let html = Browser::html(&page);
    assert!(html.contains("<html lang=\"pt\">"), "{html}");
    assert!(html.contains(&translated("pt", "Search")), "{html}");
    assert!(
        html.contains("<option value=\"pt\" selected>Português</option>"),
        "the picker shows the choice: {html}"
    );
    // Back to the browser's own language; a foreign page to go back to is
    // refused (the home page instead).
    let r = web
        .post_form(
            "/language",
            &[("lang", "browser"), ("back", "https://evil.example/")],
        )
        .await;
    assert_eq!(r.headers["location"], "/");
    assert!(!web.cookies.contains_key("haven_lang"));
    let page = web.get("/").await;
    assert!(Browser::html(&page).contains("<html lang=\"en\">"));
}
