//! TestApp: a fresh application on a fresh database, driven through the real
//! router, with a manual clock so deadlines fire on demand.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use haven_app::payments::TestCardGateway;
use haven_app::{App, Config};
use haven_domain::clock::{Clock, ManualClock};
use haven_domain::{SignedDuration, Timestamp};
use haven_store::DynStore;
use haven_store::sqlite::SqliteStore;
use serde_json::{Value, json};
use tower::ServiceExt;

pub const PASSWORD: &str = "a long enough passphrase";

pub struct TestApp {
    pub app: Arc<App>,
    pub clock: ManualClock,
    pub router: axum::Router,
    pub db_path: Option<PathBuf>,
    /// The PostgreSQL store, so another node can connect to the same schema.
    pub pg: Option<Arc<haven_store::postgres::PgStore>>,
    _dir: Option<tempfile::TempDir>,
    /// Evidence files and written emails, removed with the app.
    _scratch: Arc<tempfile::TempDir>,
}

#[derive(Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
}

/// The test configuration. Each app writes its emails (file transport)
/// into its own scratch directory, set when it is built.
pub fn config() -> Config {
    Config {
        demo: true,
        mail_dir: String::new(),
        ..Config::default()
    }
}

/// The test card network, keeping its books in `store`.
pub fn testcard(store: &DynStore, clock: &ManualClock) -> Arc<TestCardGateway> {
    Arc::new(TestCardGateway::new(store.clone(), Arc::new(clock.clone())))
}

pub fn start_time() -> Timestamp {
    Timestamp::from_second(1_790_000_000).unwrap()
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("haven.db");
        let mut app = Self::on_sqlite_file(&path, ManualClock::new(start_time())).await;
        app._dir = Some(dir);
        app
    }

    /// Another server process on the same database, sharing this clock:
    /// a second PostgreSQL pool, or the SQLite file opened again (which is
    /// also what a restart looks like).
    pub async fn another_node(&self) -> TestApp {
        let config = self.app.config.clone();
        if let Some(pg) = &self.pg {
            let store = Arc::new(pg.connect_again().await.unwrap());
            let gateway = testcard(&(store.clone() as DynStore), &self.clock);
            let mut node =
                Self::build_full(store.clone(), self.clock.clone(), gateway, config).await;
            node.pg = Some(store);
            return node;
        }
        let path = self.db_path.as_ref().expect("an SQLite file");
        let store: DynStore = Arc::new(SqliteStore::open(path).unwrap());
        let gateway = testcard(&store, &self.clock);
        let mut node = Self::build_full(store, self.clock.clone(), gateway, config).await;
        node.db_path = Some(path.clone());
        node
    }

    /// Build over an existing SQLite file: used to "restart" the server.
    pub async fn on_sqlite_file(path: &std::path::Path, clock: ManualClock) -> TestApp {
        let store: DynStore = Arc::new(SqliteStore::open(path).unwrap());
        let mut app = Self::build(store, clock).await;
        app.db_path = Some(path.to_path_buf());
        app
    }

    /// PostgreSQL when HAVEN_TEST_DATABASE_URL is set (fresh schema).
    pub async fn postgres() -> Option<TestApp> {
        let url = std::env::var("HAVEN_TEST_DATABASE_URL").ok()?;
        let store = Arc::new(
            haven_store::postgres::PgStore::connect_fresh_schema(&url)
                .await
                .unwrap(),
        );
        let mut app = Self::build(store.clone(), ManualClock::new(start_time())).await;
        app.pg = Some(store);
        Some(app)
    }

    pub async fn build(store: DynStore, clock: ManualClock) -> TestApp {
        let gateway = testcard(&store, &clock);
        Self::build_with_gateway(store, clock, gateway).await
    }

    /// A fresh SQLite app whose payment gateway the test controls: `wrap`
    /// gets the test card network over the app's store.
    pub async fn with_gateway<G: haven_app::payments::PaymentGateway>(
        wrap: impl FnOnce(TestCardGateway) -> G,
    ) -> (TestApp, Arc<G>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("haven.db");
        let store: DynStore = Arc::new(SqliteStore::open(&path).unwrap());
        let clock = ManualClock::new(start_time());
        let gateway = Arc::new(wrap(TestCardGateway::new(
            store.clone(),
            Arc::new(clock.clone()),
        )));
        let mut app = Self::build_with_gateway(store, clock, gateway.clone()).await;
        app.db_path = Some(path);
        app._dir = Some(dir);
        (app, gateway)
    }

    /// A fresh SQLite app with a tweaked configuration.
    pub async fn sqlite_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("haven.db");
        let store: DynStore = Arc::new(SqliteStore::open(&path).unwrap());
        let mut config = config();
        tweak(&mut config);
        let clock = ManualClock::new(start_time());
        let gateway = testcard(&store, &clock);
        let mut app = Self::build_full(store, clock, gateway, config).await;
        app.db_path = Some(path);
        app._dir = Some(dir);
        app
    }

    pub async fn build_with_gateway(
        store: DynStore,
        clock: ManualClock,
        gateway: Arc<dyn haven_app::payments::PaymentGateway>,
    ) -> TestApp {
        Self::build_full(store, clock, gateway, config()).await
    }

    pub async fn build_full(
        store: DynStore,
        clock: ManualClock,
        gateway: Arc<dyn haven_app::payments::PaymentGateway>,
        config: Config,
    ) -> TestApp {
        let scratch = tempfile::Builder::new()
            .prefix("haven-test-")
            .tempdir()
            .unwrap();
        let blobs =
            haven_app::blobs::BlobStore::open(scratch.path().join("blobs").to_str().unwrap())
                .unwrap();
        Self::build_with_blobs(store, clock, gateway, config, blobs, Arc::new(scratch)).await
    }

    /// A test app around an app built elsewhere (the demo's clock, say).
    /// Its manual clock is unused: the app keeps its own.
    pub fn from_parts(
        app: Arc<App>,
        router: axum::Router,
        scratch: Arc<tempfile::TempDir>,
    ) -> TestApp {
        TestApp {
            app,
            clock: ManualClock::new(start_time()),
            router,
            db_path: None,
            pg: None,
            _dir: None,
            _scratch: scratch,
        }
    }

    /// An app with a given evidence store (an S3 bucket, say).
    pub async fn build_with_blobs(
        store: DynStore,
        clock: ManualClock,
        gateway: Arc<dyn haven_app::payments::PaymentGateway>,
        mut config: Config,
        blobs: haven_app::blobs::BlobStore,
        scratch: Arc<tempfile::TempDir>,
    ) -> TestApp {
        if config.mail_dir.is_empty() {
            config.mail_dir = scratch.path().join("mail").to_string_lossy().into_owned();
        }
        let app = App::new(store, Arc::new(clock.clone()), gateway, blobs, config, None)
            .await
            .unwrap();
        let router = haven_server::router(app.clone());
        TestApp {
            app,
            clock,
            router,
            db_path: None,
            pg: None,
            _dir: None,
            _scratch: scratch,
        }
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Response {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        if body.is_some() {
            builder = builder.header("content-type", "application/json");
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
            .await
            .unwrap();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Response {
            status,
            headers,
            json,
        }
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Response {
        self.request(
            "POST",
            path,
            token,
            Some(serde_json::to_vec(&body).unwrap()),
            &[],
        )
        .await
    }

    pub async fn post_idem(&self, path: &str, token: &str, key: &str, body: Value) -> Response {
        self.request(
            "POST",
            path,
            Some(token),
            Some(serde_json::to_vec(&body).unwrap()),
            &[("idempotency-key", key)],
        )
        .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        self.request("GET", path, token, None, &[]).await
    }

    /// Register and log in; returns the API token.
    pub async fn user(&self, email: &str, role: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "display_name": email, "role": role}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        self.login(email).await
    }

    pub async fn login(&self, email: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        r.json["token"].as_str().unwrap().to_string()
    }

    /// The pre-sale conversation `buyer` opens on `listing` ("Ask the
    /// seller"); returns its id.
    pub async fn ask_seller(&self, buyer: &str, listing: &str) -> String {
        let r = self
            .post(
                &format!("/api/v1/listings/{listing}/conversation"),
                Some(buyer),
                json!({}),
            )
            .await;
        assert!(r.status.is_success(), "{:?}", r.json);
        r.json["id"].as_str().unwrap().to_string()
    }

    /// A seller with a store and one listing; returns (seller token, listing id).
    pub async fn seller_with_listing(&self, email: &str, stock: i64) -> (String, String) {
        let token = self.user(email, "seller").await;
        let r = self
            .post(
                "/api/v1/stores",
                Some(&token),
                json!({"name": format!("{email} store")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        // Signing in just now is the step-up a payout account needs.
        let r = self
            .post(
                "/api/v1/seller/payout-account",
                Some(&token),
                json!({"holder": email, "iban": "DE89370400440532013000"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        let r = self
            .post("/api/v1/listings", Some(&token), listing_body(stock))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        (token, r.json["id"].as_str().unwrap().to_string())
    }

    pub async fn buy(&self, token: &str, listing: &str, card: &str) -> Response {
        self.post(
            "/api/v1/orders",
            Some(token),
            checkout_body(listing, 1, card),
        )
        .await
    }

    /// A seller with one listing, a buyer and the buyer's paid order:
    /// (seller token, buyer token, order id).
    pub async fn paid_order(&self) -> (String, String, String) {
        let (seller, listing) = self.seller_with_listing("s@example.com", 5).await;
        let buyer = self.user("b@example.com", "buyer").await;
        let r = self.buy(&buyer, &listing, "4242424242424242").await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
        let order = r.json["id"].as_str().unwrap().to_string();
        (seller, buyer, order)
    }

    /// The buyer confirms receipt (with the second confirmation) and the
    /// order completes.
    pub async fn confirm(&self, buyer: &str, order: &str) {
        let r = self
            .post(
                &format!("/api/v1/orders/{order}/confirm"),
                Some(buyer),
                json!({"second_confirmation": true}),
            )
            .await;
        assert_eq!(r.json["state"], "completed", "{:?}", r.json);
    }

    /// A seller, a buyer and one paid order the seller has shipped:
    /// (seller token, buyer token, listing id, order id).
    pub async fn shipped_order(&self) -> (String, String, String, String) {
        let (seller, listing) = self.seller_with_listing("s@example.com", 5).await;
        let buyer = self.user("b@example.com", "buyer").await;
        let order = self.buy(&buyer, &listing, "4242424242424242").await.json["id"]
            .as_str()
            .unwrap()
            .to_string();
        self.ship(&seller, &order).await;
        (seller, buyer, listing, order)
    }

    /// The seller ships the order with a fresh simulated tracking number.
    pub async fn ship(&self, seller: &str, order: &str) -> Response {
        let r = self
            .post(
                &format!("/api/v1/orders/{order}/ship"),
                Some(seller),
                json!({"carrier": "simpost", "tracking_number": tracking_number()}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
        r
    }

    pub async fn tick(&self) -> haven_app::TickReport {
        let report = self.app.tick(self.clock.now()).await.unwrap();
        // The worker's other interval task: webhooks and notifications.
        self.app.follow_outbox().await.unwrap();
        report
    }

    pub fn now_s(&self) -> i64 {
        self.clock.now().as_second()
    }

    pub fn advance_days(&self, days: i64) {
        self.clock.advance(SignedDuration::from_hours(24 * days));
    }

    pub fn advance_hours(&self, hours: i64) {
        self.clock.advance(SignedDuration::from_hours(hours));
    }

    /// Post a signed scan through the carrier webhook.
    pub async fn scan(&self, number: &str, status: &str) -> Response {
        self.scan_body(json!({
            "tracking_number": number, "status": status,
            "occurred_at": self.clock.now().to_string(), "location": "Test hub"
        }))
        .await
    }

    /// Post any scan body through the carrier's signed webhook.
    pub async fn scan_body(&self, scan: Value) -> Response {
        let body = serde_json::to_vec(&scan).unwrap();
        let signature = haven_app::carrier::sign(
            &self.app.config.carrier_webhook_secret,
            self.clock.now().as_second(),
            &body,
        );
        self.request(
            "POST",
            "/api/v1/carriers/simpost/webhook",
            None,
            Some(body),
            &[("haven-signature", &signature)],
        )
        .await
    }

    /// Post a chargeback notice through the gateway's signed webhook.
    pub async fn chargeback(&self, notice: &Value) -> Response {
        let body = serde_json::to_vec(notice).unwrap();
        let signature = haven_app::carrier::sign(
            &self.app.config.gateway_webhook_secret,
            self.clock.now().as_second(),
            &body,
        );
        self.request(
            "POST",
            "/api/v1/gateways/testcard/webhook",
            None,
            Some(body),
            &[("haven-signature", &signature)],
        )
        .await
    }

    /// The buyer asks to cancel and the seller accepts; the seller's answer.
    pub async fn cancel_by_agreement(&self, buyer: &str, seller: &str, order: &str) -> Response {
        self.post(
            &format!("/api/v1/orders/{order}/cancel-request"),
            Some(buyer),
            json!({}),
        )
        .await;
        self.post(
            &format!("/api/v1/orders/{order}/cancel-response"),
            Some(seller),
            json!({"accept": true}),
        )
        .await
    }

    pub async fn balance(&self, account: &str) -> i64 {
        self.app.store.balance(account, "USD").await.unwrap()
    }

    pub async fn verify_clean(&self) {
        let report = self.app.verify().await.unwrap();
        assert!(
            report.is_clean(),
            "ledger violations: {:?}",
            report.violations
        );
    }
}

static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// A fresh valid SimPost tracking number.
pub fn tracking_number() -> String {
    let n = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + std::process::id() % 10_000 * 10_000;
    haven_risk::tracking::simpost_number(n)
}

pub fn listing_body(stock: i64) -> Value {
    json!({
        "title": "Walnut desk lamp",
        "description": "Warm LED lamp with a walnut base.",
        "category": "home",
        "price": {"amount_minor": 4_000, "currency": "USD"},
        "stock": stock,
        "ship_by_days": 3,
        "shipping": [{"name": "Standard", "rates": [
            {"country": "US", "cost": {"amount_minor": 500, "currency": "USD"}, "min_transit_days": 3, "max_transit_days": 7},
            {"country": "DE", "cost": {"amount_minor": 1_500, "currency": "USD"}, "min_transit_days": 6, "max_transit_days": 14}
        ]}]
    })
}

pub fn checkout_body(listing: &str, quantity: i64, card: &str) -> Value {
    json!({
        "listing_id": listing,
        "quantity": quantity,
        "shipping_method": "Standard",
        "address": {"name": "Ada Buyer", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "card": {"number": card, "exp_month": 12, "exp_year": 2031, "cvc": "123"}
    })
}

pub fn assert_error(r: &Response, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "{:?}", r.json);
    assert_eq!(r.json["error"]["code"], code, "{:?}", r.json);
    assert!(r.json["error"]["message"].is_string(), "{:?}", r.json);
    assert!(r.json["error"].get("details").is_some(), "{:?}", r.json);
}

/// Agents are staff: created directly, not through public registration.
pub async fn agent_token(t: &TestApp) -> String {
    staff_token(t, "agent@example.com", haven_domain::account::Role::Agent).await
}

/// A staff account (agent or admin), created directly; its API token.
pub async fn staff_token(t: &TestApp, email: &str, role: haven_domain::account::Role) -> String {
    let name = if email == "agent@example.com" {
        "Agent".to_string()
    } else {
        format!("Staff {email}")
    };
    let user = haven_domain::account::User::new(
        haven_domain::account::Email::parse(email).unwrap(),
        name,
        haven_app::auth::hash_password(PASSWORD).unwrap(),
        vec![role],
        start_time(),
    );
    t.app
        .store
        .commit(haven_store::Changeset {
            users: vec![user],
            ..Default::default()
        })
        .await
        .unwrap();
    t.login(email).await
}

/// The seller's proof for `brand`, sent and approved by an agent of its
/// own: Guaranteed Genuine listings of that brand are then allowed.
pub async fn approve_brand(t: &TestApp, seller: &str, brand: &str) {
    let r = t
        .post(
            "/api/v1/stores/me/brands",
            Some(seller),
            json!({"brand": brand, "proof": "Distributor invoice"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.json);
    let store = r.json["store_id"].as_str().unwrap().to_string();
    let email = format!("brands-{}@example.com", uuid::Uuid::now_v7().simple());
    let agent = staff_token(t, &email, haven_domain::account::Role::Agent).await;
    let r = t
        .post(
            &format!("/api/v1/console/brands/{store}/{brand}/decision"),
            Some(&agent),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json);
    assert_eq!(r.json["status"], "approved");
}

/// A marketplace with a little history: a seller with a listing, a buyer
/// whose order shipped and is in dispute, their conversation, an agent.
pub struct World {
    pub seller: String,
    pub buyer: String,
    pub agent: String,
    pub listing: String,
    pub store: String,
    pub order: String,
    pub dispute: String,
    pub conversation: String,
}

fn id_of(r: &Response) -> String {
    r.json["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {:?}", r.json))
        .to_string()
}

impl World {
    pub async fn build(t: &TestApp, tag: &str) -> World {
        let (seller, listing) = t
            .seller_with_listing(&format!("{tag}-seller@example.com"), 50)
            .await;
        let buyer = t.user(&format!("{tag}-buyer@example.com"), "buyer").await;
        let agent = agent_token(t).await;
        let order = id_of(&t.buy(&buyer, &listing, "4242424242424242").await);
        t.post(
            &format!("/api/v1/orders/{order}/ship"),
            Some(&seller),
            json!({"carrier": "simpost", "tracking_number": tracking_number()}),
        )
        .await;
        let dispute = id_of(
            &t.post(
                &format!("/api/v1/orders/{order}/disputes"),
                Some(&buyer),
                json!({"reason": "damaged", "requested_outcome": {"type": "full_refund"}, "description": "cracked"}),
            )
            .await,
        );
        let conversation = id_of(
            &t.post(
                &format!("/api/v1/orders/{order}/conversation"),
                Some(&buyer),
                json!({}),
            )
            .await,
        );
        let store = t
            .get(&format!("/api/v1/listings/{listing}"), None)
            .await
            .json["store_id"]
            .as_str()
            .unwrap()
            .to_string();
        World {
            seller,
            buyer,
            agent,
            listing,
            store,
            order,
            dispute,
            conversation,
        }
    }
}

/// Every email queued so far (their payloads: to, subject, body), oldest
/// first. Emails are commands, never outbox events.
pub async fn emails(t: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let batch = t.app.store.scan_commands(after, 500).await.unwrap();
        let Some(last) = batch.last() else {
            return out;
        };
        after = Some(last.id);
        out.extend(
            batch
                .into_iter()
                .filter(|c| c.kind == "email")
                .map(|c| c.payload),
        );
    }
}

/// A fresh app on SQLite, and one on PostgreSQL when
/// `HAVEN_TEST_DATABASE_URL` names a server: storage-facing tests run on
/// every backend the machine has.
pub async fn on_every_backend() -> Vec<TestApp> {
    let mut apps = vec![TestApp::sqlite().await];
    if let Some(pg) = TestApp::postgres().await {
        apps.push(pg);
    }
    apps
}

/// A browser against the real router: a cookie jar, and forms posted with
/// the CSRF token a page would carry.
pub struct Browser<'a> {
    pub t: &'a TestApp,
    pub cookies: std::collections::BTreeMap<String, String>,
    pub user_agent: String,
}

impl<'a> Browser<'a> {
    pub fn new(t: &'a TestApp) -> Browser<'a> {
        Browser {
            t,
            cookies: Default::default(),
            user_agent: "Mozilla/5.0 (Test browser)".into(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &axum::http::HeaderMap) {
        for value in headers.get_all("set-cookie") {
            let raw = value.to_str().unwrap();
            let pair = raw.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            let expired = raw.contains("Max-Age=0");
            if expired || value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
    }

    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Response {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header("cookie", self.cookie_header())
            .header("user-agent", self.user_agent.clone());
        if let Some(content_type) = content_type {
            builder = builder.header("content-type", content_type);
        }
        let response = self
            .t
            .router
            .clone()
            .oneshot(builder.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        self.keep_cookies(&headers);
        let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024)
            .await
            .unwrap();
        Response {
            status,
            headers,
            json: Value::String(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }

    pub async fn get(&mut self, path: &str) -> Response {
        self.send("GET", path, None, Vec::new()).await
    }

    pub fn csrf(&self) -> String {
        self.cookies.get("haven_csrf").cloned().unwrap_or_default()
    }

    /// Post a form as the page would: with the CSRF token.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        if !self.cookies.contains_key("haven_csrf") {
            self.get("/").await;
        }
        let csrf = self.csrf();
        let mut pairs: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        pairs.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&pairs).unwrap();
        self.send(
            "POST",
            path,
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
        )
        .await
    }

    /// A file upload as the page sends it: the CSRF field first.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Response {
        if !self.cookies.contains_key("haven_csrf") {
            self.get("/").await;
        }
        let boundary = "haven-test-boundary";
        let mut body = Vec::new();
        let csrf = self.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        for (name, value) in all {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        if let Some((name, filename, bytes)) = file {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                    .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.send("POST", path, Some(&content_type), body).await
    }

    pub fn html(response: &Response) -> &str {
        response.json.as_str().unwrap_or("")
    }

    /// Log in through the login form; panics if it does not redirect.
    pub async fn login(&mut self, email: &str) {
        let r = self
            .post_form("/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", Self::html(&r));
        assert!(self.cookies.contains_key("haven_session"));
    }
}
