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
    /// Demo mode: seeded data, parcel advancing and the clock fast-forward.
    #[serde(skip)]
    pub demo: bool,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Timer worker cadence and batch size.
    pub timer_interval_ms: u64,
    pub timer_batch: u32,
    /// Sets `Secure` on cookies; turn on behind HTTPS.
    pub secure_cookies: bool,
    pub policy: Policy,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite://./haven-data/haven.db".into(),
            base_url: "http://127.0.0.1:8080".into(),
            carrier_webhook_secret: "dev-carrier-secret-change-me".into(),
            demo: false,
            max_body_bytes: 256 * 1024,
            timer_interval_ms: 1_000,
            timer_batch: 256,
            secure_cookies: false,
            policy: Policy::default(),
        }
    }
}
