//! Signed webhooks for integrators: Haven's business events, POSTed to the
//! endpoints an admin registers.
//!
//! The worker follows the published outbox with a cursor of its own
//! (`relay_cursors`, name [`CURSOR`]) and queues one `webhook.deliver`
//! command per event and endpoint that wants it, keyed by both, so reading
//! a batch twice queues nothing twice. A delivery is then an ordinary
//! command: retried with exponential backoff, dead-lettered after
//! [`crate::commands::MAX_ATTEMPTS`], and filed under its endpoint (the
//! delivery log an admin reads, with a resend button).
//!
//! Every request carries `Haven-Signature: t=<unix seconds>,v1=<hex>`, the
//! HMAC-SHA256 of `"<t>.<body>"` under the endpoint's secret. The receiver
//! recomputes it over the raw body and refuses a timestamp far from its own
//! clock, so a captured request cannot be replayed later (docs/WEBHOOKS.md).
//! Delivery is at least once: a receiver drops repeats by `Haven-Event-Id`.

use std::sync::OnceLock;
use std::time::Duration;

use haven_domain::Timestamp;
use haven_domain::account::Role;
use haven_domain::events::EventType;
use haven_store::{Changeset, Command, NewCommand, Page, PageRequest, WebhookEndpoint};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};
use crate::{Actor, App};

pub const WEBHOOK_DELIVER: &str = "webhook.deliver";
/// The fan-out's position in `relay_cursors`.
pub const CURSOR: &str = "webhooks";
pub const SIGNATURE_HEADER: &str = "Haven-Signature";
pub const EVENT_ID_HEADER: &str = "Haven-Event-Id";
pub const EVENT_TYPE_HEADER: &str = "Haven-Event-Type";
/// How far from its own clock a receiver should accept a signature's time.
pub const SIGNATURE_TOLERANCE_S: i64 = crate::signature::TOLERANCE_S;
/// Events read per fan-out round.
const FAN_OUT_BATCH: u32 = 256;
const MAX_FAN_OUT_BATCHES: usize = 16;
/// A receiver that has not answered by then is retried later.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_URL_CHARS: usize = 500;
const MAX_DESCRIPTION_CHARS: usize = 200;

pub use crate::signature::sign;

/// What a receiver does with a request: true when `header` signs `body`
/// under `secret` at a time within `tolerance_s` of `now_s`.
pub fn verify(secret: &str, header: &str, body: &[u8], now_s: i64, tolerance_s: i64) -> bool {
    crate::signature::check(secret, header, body, now_s, tolerance_s)
        == crate::signature::Check::Valid
}

/// A delivery command's payload: where to, and the body to send.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Delivery {
    endpoint_id: uuid::Uuid,
    event_id: uuid::Uuid,
    event_type: String,
    body: serde_json::Value,
}

/// What an admin asks for.
#[derive(Debug, Clone, Default)]
pub struct NewEndpoint {
    pub url: String,
    pub topics: Vec<String>,
    pub description: String,
}

fn endpoint_url(raw: &str) -> AppResult<String> {
    let raw = raw.trim();
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(AppError::invalid_field(
            "url",
            format!("the URL must be at most {MAX_URL_CHARS} characters"),
        ));
    }
    let url = reqwest::Url::parse(raw)
        .map_err(|_| AppError::invalid_field("url", "this is not a URL"))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    let secure = url.scheme() == "https" || (url.scheme() == "http" && loopback);
    if !secure {
        return Err(AppError::invalid_field(
            "url",
            "webhooks go to https:// addresses (http:// only to this machine, for testing)",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::invalid_field(
            "url",
            "put no user name or password in the URL: the signature proves the sender",
        ));
    }
    Ok(url.to_string())
}

fn endpoint_topics(raw: &[String]) -> AppResult<Vec<String>> {
    let mut topics = Vec::new();
    for topic in raw {
        let topic = topic.trim();
        if EventType::parse(topic).is_none() {
            return Err(AppError::invalid_field(
                "topics",
                format!("{topic:?} is not an event type (see the events API)"),
            ));
        }
        if !topics.iter().any(|t| t == topic) {
            topics.push(topic.to_string());
        }
    }
    Ok(topics)
}

fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

fn wants(endpoint: &WebhookEndpoint, event: &haven_store::OutboxEvent) -> bool {
    endpoint.enabled
        && event.seq > endpoint.starts_after_seq
        && (endpoint.topics.is_empty() || endpoint.topics.contains(&event.topic))
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            // A redirect could carry the signed body somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Haven-Webhooks/1")
            .build()
            .expect("the webhook HTTP client builds")
    })
}

impl App {
    fn require_admin(&self, actor: &Actor) -> AppResult<()> {
        actor.require_role(Role::Admin)
    }

    /// Register an endpoint. It receives the events published from now on;
    /// its secret is in the answer, and only masked afterwards.
    pub async fn create_webhook_endpoint(
        &self,
        actor: &Actor,
        request: NewEndpoint,
    ) -> AppResult<WebhookEndpoint> {
        self.require_admin(actor)?;
        let url = endpoint_url(&request.url)?;
        let topics = endpoint_topics(&request.topics)?;
        let description = match request.description.trim() {
            "" => String::new(),
            text => haven_domain::text::line("description", text, MAX_DESCRIPTION_CHARS)?,
        };
        let existing = self.store.webhook_endpoints().await?;
        if existing.len() >= haven_store::MAX_WEBHOOK_ENDPOINTS as usize {
            return Err(AppError::validation(format!(
                "at most {} webhook endpoints; remove one first",
                haven_store::MAX_WEBHOOK_ENDPOINTS
            )));
        }
        self.publish_events().await?;
        let now = self.now();
        let endpoint = WebhookEndpoint {
            id: uuid::Uuid::now_v7(),
            url,
            secret: new_secret(),
            topics,
            description,
            enabled: true,
            starts_after_seq: self.store.outbox_head().await?,
            created_at: now,
            created_by: actor.id(),
            updated_at: now,
        };
        self.save_endpoint(actor, &endpoint, "created", "", "enabled")
            .await?;
        Ok(endpoint)
    }

    /// Save the endpoint with the audit record of the admin's change.
    async fn save_endpoint(
        &self,
        admin: &Actor,
        endpoint: &WebhookEndpoint,
        action: &str,
        from_state: &str,
        to_state: &str,
    ) -> AppResult<()> {
        let audit = self.staff_audit(
            admin,
            crate::audit::StaffAction {
                subject: "webhook",
                subject_id: endpoint.id,
                order_id: None,
                action,
                from_state,
                to_state,
                reason: &endpoint.url,
            },
        );
        self.store
            .commit(Changeset {
                webhook_endpoints: vec![endpoint.clone()],
                audit: vec![audit],
                ..Changeset::default()
            })
            .await?;
        Ok(())
    }

    pub async fn webhook_endpoints(&self, actor: &Actor) -> AppResult<Vec<WebhookEndpoint>> {
        self.require_admin(actor)?;
        Ok(self.store.webhook_endpoints().await?)
    }

    pub async fn webhook_endpoint(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
    ) -> AppResult<WebhookEndpoint> {
        self.webhook_endpoints(actor)
            .await?
            .into_iter()
            .find(|e| e.id == id)
            .ok_or_else(|| AppError::not_found("webhook endpoint"))
    }

    /// Pause or resume an endpoint. Paused, it is sent nothing, and the
    /// events published meanwhile are not sent when it resumes.
    pub async fn set_webhook_endpoint_enabled(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        enabled: bool,
    ) -> AppResult<WebhookEndpoint> {
        let mut endpoint = self.webhook_endpoint(actor, id).await?;
        if endpoint.enabled == enabled {
            return Ok(endpoint);
        }
        if enabled {
            self.publish_events().await?;
            endpoint.starts_after_seq = self.store.outbox_head().await?;
        }
        endpoint.enabled = enabled;
        endpoint.updated_at = self.now();
        let (action, from, to) = if enabled {
            ("resumed", "paused", "enabled")
        } else {
            ("paused", "enabled", "paused")
        };
        self.save_endpoint(actor, &endpoint, action, from, to)
            .await?;
        Ok(endpoint)
    }

    /// An endpoint's deliveries, newest first.
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        page: &PageRequest,
    ) -> AppResult<Page<Command>> {
        let endpoint = self.webhook_endpoint(actor, id).await?;
        Ok(self.store.commands_for_subject(endpoint.id, page).await?)
    }

    /// Send a delivery again, as a new delivery of the same event (the
    /// receiver sees the same `Haven-Event-Id`). The endpoint must be on.
    pub async fn resend_webhook_delivery(
        &self,
        actor: &Actor,
        delivery_id: uuid::Uuid,
    ) -> AppResult<Command> {
        self.require_admin(actor)?;
        let original = self
            .store
            .command(delivery_id)
            .await?
            .filter(|c| c.kind == WEBHOOK_DELIVER)
            .ok_or_else(|| AppError::not_found("webhook delivery"))?;
        let delivery: Delivery = serde_json::from_value(original.payload.clone())
            .map_err(|e| AppError::internal(format!("unreadable webhook delivery: {e}")))?;
        let endpoint = self.webhook_endpoint(actor, delivery.endpoint_id).await?;
        if !endpoint.enabled {
            return Err(AppError::invalid_state(
                "this endpoint is paused: resume it before resending",
            ));
        }
        let now = self.now();
        let command = delivery_command(
            &delivery,
            format!(
                "webhook:{}:{}:resend:{}",
                endpoint.id,
                delivery.event_id,
                uuid::Uuid::now_v7()
            ),
            now,
        );
        let id = command.id;
        let reason = format!("event {} sent again", delivery.event_id);
        let audit = self.staff_audit(
            actor,
            crate::audit::StaffAction {
                subject: "webhook",
                subject_id: endpoint.id,
                order_id: None,
                action: "delivery_resent",
                from_state: original.state.as_str(),
                to_state: "",
                reason: &reason,
            },
        );
        self.store
            .commit(Changeset {
                commands: vec![command],
                audit: vec![audit],
                ..Changeset::default()
            })
            .await?;
        self.commands_ready.notify_one();
        self.store
            .command(id)
            .await?
            .ok_or_else(|| AppError::internal("the resent delivery vanished"))
    }

    /// Queue a delivery for each new published event and endpoint that
    /// wants it, batch by batch (at most [`MAX_FAN_OUT_BATCHES`] per call);
    /// how many were queued. With no endpoint on, the cursor jumps to the
    /// head: there is nothing to read for.
    pub async fn fan_out_webhooks(&self) -> AppResult<usize> {
        crate::relay::in_batches(MAX_FAN_OUT_BATCHES, FAN_OUT_BATCH, || {
            self.fan_out_webhook_batch()
        })
        .await
    }

    /// One batch: (deliveries queued, events read).
    async fn fan_out_webhook_batch(&self) -> AppResult<(usize, usize)> {
        let endpoints: Vec<WebhookEndpoint> = self
            .store
            .webhook_endpoints()
            .await?
            .into_iter()
            .filter(|e| e.enabled)
            .collect();
        let from = self.store.relay_position(CURSOR).await?;
        if endpoints.is_empty() {
            let head = self.store.outbox_head().await?;
            if head > from {
                self.store.advance_relay(CURSOR, from, head).await?;
            }
            return Ok((0, 0));
        }
        let events = self.store.outbox_after(from, FAN_OUT_BATCH).await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok((0, 0));
        };
        let now = self.now();
        let mut commands = Vec::new();
        for event in &events {
            let Some(relayed) = crate::relay::RelayedEvent::of(event) else {
                continue;
            };
            let body = serde_json::to_value(&relayed)
                .map_err(|e| AppError::internal(format!("event body: {e}")))?;
            for endpoint in endpoints.iter().filter(|e| wants(e, event)) {
                let delivery = Delivery {
                    endpoint_id: endpoint.id,
                    event_id: event.id,
                    event_type: event.topic.clone(),
                    body: body.clone(),
                };
                let key = format!("webhook:{}:{}", endpoint.id, event.id);
                commands.push(delivery_command(&delivery, key, now));
            }
        }
        let queued = commands.len();
        if !commands.is_empty() {
            self.store
                .commit(Changeset {
                    commands,
                    ..Changeset::default()
                })
                .await?;
        }
        // False: another node moved it first, having queued the same keys.
        self.store.advance_relay(CURSOR, from, last).await?;
        Ok((queued, events.len()))
    }

    /// Carry out one delivery: a 2xx answer is done; anything else is an
    /// error the dispatcher retries. A paused or removed endpoint is sent
    /// nothing.
    pub(crate) async fn deliver_webhook(&self, command: &Command) -> Result<(), String> {
        let delivery: Delivery = serde_json::from_value(command.payload.clone())
            .map_err(|e| format!("unreadable webhook delivery: {e}"))?;
        let endpoint = self
            .store
            .webhook_endpoints()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|e| e.id == delivery.endpoint_id);
        let Some(endpoint) = endpoint.filter(|e| e.enabled) else {
            return Ok(());
        };
        let body = serde_json::to_vec(&delivery.body).map_err(|e| e.to_string())?;
        // The receiver's clock, not the demo's: signatures use real time.
        let signature = sign(&endpoint.secret, Timestamp::now().as_second(), &body);
        let response = client()
            .post(&endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_ID_HEADER, delivery.event_id.to_string())
            .header(EVENT_TYPE_HEADER, &delivery.event_type)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("no answer: {}", without_url(&e)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {}", status.as_u16()))
        }
    }
}

/// reqwest's errors name the URL; the log shows it beside them already.
fn without_url(err: &reqwest::Error) -> String {
    let mut message = if err.is_timeout() {
        "timed out".to_string()
    } else if err.is_connect() {
        "could not connect".to_string()
    } else {
        "the request failed".to_string()
    };
    if let Some(source) = std::error::Error::source(err) {
        message = format!("{message} ({source})");
    }
    message
}

fn delivery_command(delivery: &Delivery, key: String, now: Timestamp) -> NewCommand {
    NewCommand::new(
        WEBHOOK_DELIVER,
        key,
        serde_json::to_value(delivery).expect("deliveries serialise"),
        None,
        now,
    )
    .for_subject(delivery.endpoint_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_urls_are_https_or_this_machine_and_carry_no_credentials() {
        assert!(endpoint_url("https://hooks.example.com/haven").is_ok());
        assert!(endpoint_url("http://127.0.0.1:9000/in").is_ok());
        assert!(endpoint_url("http://localhost/in").is_ok());
        assert!(endpoint_url("http://hooks.example.com/in").is_err());
        assert!(endpoint_url("ftp://hooks.example.com/in").is_err());
        assert!(endpoint_url("https://user:pw@hooks.example.com/").is_err());
        assert!(endpoint_url("not a url").is_err());
        let long = format!("https://hooks.example.com/{}", "a".repeat(600));
        assert!(endpoint_url(&long).is_err());
    }

    #[test]
    fn topics_must_be_event_types_and_repeat_once() {
        let topics = endpoint_topics(&["order.paid".into(), " order.paid ".into()]).unwrap();
        assert_eq!(topics, ["order.paid"]);
        assert!(endpoint_topics(&["email".into()]).is_err());
    }
}
