//! Server configuration. Precedence: defaults < config file < environment
//! variables < command-line flags (merged by the binary).

use haven_domain::policy::Policy;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub bind: String,
    /// `sqlite://path` or `postgres://…`.
    pub database_url: String,
    /// Public base URL, used in links the server prints.
    pub base_url: String,
    /// Shared secret carriers use to sign tracking webhooks.
    pub carrier_webhook_secret: String,
    /// Shared secret the payment gateway uses to sign its webhooks.
    pub gateway_webhook_secret: String,
    /// The Ed25519 key (32 bytes, hex) protection certificates are signed
    /// with; publish its public half (`haven certificate public-key`).
    pub certificate_signing_key: String,
    /// Where dispute evidence files live: a directory, `file:///dir`, or
    /// `s3://bucket/prefix` (credentials from the AWS_* environment).
    pub blob_store_url: String,
    /// For `s3://` blob stores on an S3-compatible server (MinIO, Ceph…):
    /// its endpoint, e.g. `http://127.0.0.1:9000`. Path-style requests;
    /// plain HTTP only when the endpoint says `http://`.
    pub blob_s3_endpoint: Option<String>,
    /// Demo mode: seeded data, parcel advancing and the clock fast-forward.
    #[serde(skip)]
    pub demo: bool,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Requests served at once; past it, 503 with `Retry-After`.
    pub max_in_flight: usize,
    /// A request still unanswered after this is cut off with a 503.
    pub request_timeout_ms: u64,
    /// Timer worker cadence and batch size.
    pub timer_interval_ms: u64,
    pub timer_batch: u32,
    /// How often the worker reconciles gateway captures with orders, and
    /// how far back each run looks.
    pub reconcile_interval_s: u64,
    /// How often the worker runs the brushing detector over recent
    /// reviews (the full pass; each new review is also checked at once).
    pub integrity_interval_s: u64,
    /// Where this node keeps its catalog search index; unset: in memory,
    /// rebuilt from the listings at start. Each node needs its own
    /// directory.
    pub search_index_dir: Option<String>,
    pub reconcile_window_hours: i64,
    /// How long an Idempotency-Key is remembered, and a published event
    /// kept for the events feed.
    pub idempotency_retention_hours: i64,
    pub event_retention_days: i64,
    /// Payment risk attempts are kept this long (the scoring windows look
    /// back 30 days, the buyer's usual amount over the latest 100); those
    /// waiting in the review queue stay until decided.
    pub risk_attempt_retention_days: i64,
    /// Sent emails (their address and text) are deleted after this many
    /// days; failed ones stay in the dead-letter queue until handled.
    pub email_retention_days: i64,
    /// How long the bank takes to settle a payout (the simulated bank
    /// confirms it this many hours after the request).
    pub payout_settle_hours: i64,
    /// Relay published business events to NATS JetStream
    /// (`nats://host:4222`); off when unset.
    pub nats_url: Option<String>,
    /// The JetStream stream the relay publishes to (created if missing).
    pub nats_stream: String,
    /// Each event goes to `<prefix>.<type>`, e.g. `haven.events.order.paid`.
    pub nats_subject_prefix: String,
    /// Sets `Secure` on cookies; turn on behind HTTPS.
    pub secure_cookies: bool,
    /// `smtp://user:pass@host:587` or `smtps://…`; without it emails are
    /// written as files into `mail_dir`. `discard:` drops them once
    /// dispatched (the benchmarks).
    pub smtp_url: Option<String>,
    pub mail_dir: String,
    pub mail_from: String,
    /// Hide phone numbers, emails and messenger handles in pre-sale chats.
    pub mask_presale_contacts: bool,
    /// The marketplace's name, as the message scanner should know it
    /// (lookalike domains and "brand.example.com" tricks).
    pub brand_name: String,
    /// The marketplace's own domains: links to them are safe.
    pub own_domains: Vec<String>,
    /// Take the client address from X-Forwarded-For (behind a proxy only).
    pub trust_proxy: bool,
    /// Score every card payment and apply the operator's rules before the
    /// card is charged. Off only to measure what the checks cost.
    pub risk_checks: bool,
    /// A header your proxy or CDN sets to the client's country
    /// (e.g. `cf-ipcountry`); read only with `trust_proxy`.
    pub ip_country_header: Option<String>,
    pub policy: Policy,
}

/// Development secrets. `haven serve` refuses to start with them (anyone
/// could sign a "delivered" scan); the demo and the tests use them.
pub const DEV_CARRIER_SECRET: &str = "dev-carrier-secret-change-me";
pub const DEV_GATEWAY_SECRET: &str = "dev-gateway-secret-change-me";
/// Public on purpose (development only): anyone can sign with it.
pub const DEV_CERTIFICATE_KEY: &str =
    "6465762d63657274696669636174652d6b65792d6368616e67652d6d652d2121";

impl Config {
    /// Refuse settings that are fine for a demo but unsafe to serve with.
    pub fn check_production_safe(&self) -> Result<(), String> {
        for (name, secret, dev) in [
            (
                "carrier_webhook_secret",
                &self.carrier_webhook_secret,
                DEV_CARRIER_SECRET,
            ),
            (
                "gateway_webhook_secret",
                &self.gateway_webhook_secret,
                DEV_GATEWAY_SECRET,
            ),
        ] {
            if secret == dev || secret.len() < 16 {
                return Err(format!(
                    "{name} must be set to a private value of at least 16 characters (HAVEN_{})",
                    name.to_uppercase()
                ));
            }
        }
        if self.certificate_signing_key == DEV_CERTIFICATE_KEY {
            return Err(
                "certificate_signing_key must be set to a private Ed25519 key: 64 hex digits (HAVEN_CERTIFICATE_SIGNING_KEY)"
                    .into(),
            );
        }
        crate::certificate::signing_key(&self.certificate_signing_key).map(|_| ())
    }
}

impl Config {
    /// Where the NATS relay publishes, when one is configured.
    pub fn relay_target(&self) -> Option<crate::relay::RelayTarget> {
        let url = self.nats_url.as_ref().filter(|url| !url.is_empty())?;
        Some(crate::relay::RelayTarget {
            url: url.clone(),
            stream: self.nats_stream.clone(),
            subject_prefix: self.nats_subject_prefix.clone(),
        })
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://./haven-data/haven.db".into(),
            base_url: "http://127.0.0.1:8080".into(),
            carrier_webhook_secret: DEV_CARRIER_SECRET.into(),
            gateway_webhook_secret: DEV_GATEWAY_SECRET.into(),
            certificate_signing_key: DEV_CERTIFICATE_KEY.into(),
            blob_store_url: "./haven-data/blobs".into(),
            blob_s3_endpoint: None,
            demo: false,
            max_body_bytes: 256 * 1024,
            max_in_flight: 1_024,
            request_timeout_ms: 60_000,
            timer_interval_ms: 1_000,
            timer_batch: 256,
            reconcile_interval_s: 600,
            integrity_interval_s: 3_600,
            search_index_dir: None,
            reconcile_window_hours: 72,
            idempotency_retention_hours: 168,
            event_retention_days: 30,
            risk_attempt_retention_days: 180,
            email_retention_days: 30,
            payout_settle_hours: 24,
            nats_url: None,
            nats_stream: "HAVEN_EVENTS".into(),
            nats_subject_prefix: "haven.events".into(),
            secure_cookies: false,
            smtp_url: None,
            mail_dir: "./haven-data/mail".into(),
            mail_from: "Haven <no-reply@haven.local>".into(),
            mask_presale_contacts: false,
            brand_name: "Haven".into(),
            own_domains: vec!["haven.local".into()],
            trust_proxy: false,
            risk_checks: true,
            ip_country_header: None,
            policy: Policy::default(),
        }
    }
}
