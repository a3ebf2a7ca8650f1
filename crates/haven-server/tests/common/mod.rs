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
    _dir: Option<tempfile::TempDir>,
}

#[derive(Clone)]
pub struct Response {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub json: Value,
}

/// Each app writes its emails (file transport) into its own directory.
pub fn config() -> Config {
    let mail_dir = std::env::temp_dir()
        .join("haven-test-mail")
        .join(uuid::Uuid::new_v4().to_string());
    Config {
        demo: true,
        mail_dir: mail_dir.to_string_lossy().into_owned(),
        ..Config::default()
    }
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
        let store = haven_store::postgres::PgStore::connect_fresh_schema(&url)
            .await
            .unwrap();
        Some(Self::build(Arc::new(store), ManualClock::new(start_time())).await)
    }

    pub async fn build(store: DynStore, clock: ManualClock) -> TestApp {
        Self::build_with_gateway(store, clock, Arc::new(TestCardGateway)).await
    }

    /// A fresh SQLite app whose payment gateway the test controls.
    pub async fn with_gateway(gateway: Arc<dyn haven_app::payments::PaymentGateway>) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store: DynStore = Arc::new(SqliteStore::open(&dir.path().join("haven.db")).unwrap());
        let mut app =
            Self::build_with_gateway(store, ManualClock::new(start_time()), gateway).await;
        app._dir = Some(dir);
        app
    }

    /// A fresh SQLite app with a tweaked configuration.
    pub async fn sqlite_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store: DynStore = Arc::new(SqliteStore::open(&dir.path().join("haven.db")).unwrap());
        let mut config = config();
        tweak(&mut config);
        let mut app = Self::build_full(
            store,
            ManualClock::new(start_time()),
            Arc::new(TestCardGateway),
            config,
        )
        .await;
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
        // Each test gets its own evidence store, removed with the process's temp files.
        let blob_dir =
            std::env::temp_dir().join(format!("haven-test-blobs-{}", uuid::Uuid::now_v7()));
        let blobs = haven_app::blobs::BlobStore::open(blob_dir.to_str().unwrap()).unwrap();
        let app = App::new(store, Arc::new(clock.clone()), gateway, blobs, config, None)
            .await
            .unwrap();
        let router = haven_server::router(app.clone());
        TestApp {
            app,
            clock,
            router,
            db_path: None,
            _dir: None,
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

    pub async fn tick(&self) -> haven_app::TickReport {
        self.app.tick(self.clock.now()).await.unwrap()
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
        let body = serde_json::to_vec(&json!({
            "tracking_number": number, "status": status,
            "occurred_at": self.clock.now().to_string(), "location": "Test hub"
        }))
        .unwrap();
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
    let user = haven_domain::account::User::new(
        haven_domain::account::Email::parse("agent@example.com").unwrap(),
        "Agent".into(),
        haven_app::auth::hash_password(PASSWORD).unwrap(),
        vec![haven_domain::account::Role::Agent],
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
    t.login("agent@example.com").await
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
