//! The NATS JetStream relay: hands published business events from the
//! outbox to a JetStream stream, so search indexers and notifiers on other
//! machines consume them without polling the events API.
//!
//! Delivery is at least once from Haven's side and exactly once in the
//! stream: each message carries the event's id as `Nats-Msg-Id`, and the
//! stream drops a repeat within its duplicate window. A repeat can only
//! come from a node that published a batch and stopped before recording
//! its position, or from two nodes relaying the same batch at once; both
//! resend within seconds, far inside the window. The position lives in the
//! database (`relay_cursors`), so a restart or another node carries on
//! where the last one stopped, and the retention purge keeps every event
//! the relay has not yet handed on.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use haven_domain::events::EventType;
use haven_store::OutboxEvent;
use serde::Serialize;

use crate::App;

/// Events read and published per round.
pub const RELAY_BATCH: u32 = 256;
/// How long JetStream remembers message ids to drop repeats.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(3_600);
/// How long to wait for the stream to acknowledge a message.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the relay publishes: a NATS server, the stream's name, and the
/// subject prefix (each event goes to `<prefix>.<type>`).
#[derive(Debug, Clone)]
pub struct RelayTarget {
    pub url: String,
    pub stream: String,
    pub subject_prefix: String,
}

/// One message on the stream, and one webhook's body: the events API's
/// item shape.
#[derive(Debug, Serialize)]
pub(crate) struct RelayedEvent<'a> {
    seq: i64,
    id: String,
    #[serde(rename = "type")]
    kind: EventType,
    created_at: String,
    data: &'a serde_json::Value,
}

impl<'a> RelayedEvent<'a> {
    /// `None` for rows that are not documented business events (they
    /// never leave Haven).
    pub(crate) fn of(event: &'a OutboxEvent) -> Option<RelayedEvent<'a>> {
        Some(RelayedEvent {
            seq: event.seq,
            id: event.id.to_string(),
            kind: EventType::parse(&event.topic)?,
            created_at: event.created_at.to_string(),
            data: &event.payload,
        })
    }
}

pub struct NatsRelay {
    jetstream: jetstream::Context,
    target: RelayTarget,
}

impl NatsRelay {
    /// Connect, and create the stream if it does not exist yet.
    pub async fn connect(target: RelayTarget) -> anyhow::Result<NatsRelay> {
        let client = async_nats::ConnectOptions::new()
            .name("haven-relay")
            .connect(&target.url)
            .await?;
        let mut jetstream = jetstream::new(client);
        jetstream.set_timeout(ACK_TIMEOUT);
        jetstream
            .get_or_create_stream(jetstream::stream::Config {
                name: target.stream.clone(),
                subjects: vec![format!("{}.>", target.subject_prefix)],
                duplicate_window: DUPLICATE_WINDOW,
                ..Default::default()
            })
            .await?;
        Ok(NatsRelay { jetstream, target })
    }

    /// The relay's name in `relay_cursors`: one position per stream.
    pub fn cursor_name(&self) -> String {
        format!("nats:{}", self.target.stream)
    }

    /// Hand on one batch of published events; how many were read.
    pub async fn relay_batch(&self, app: &App) -> anyhow::Result<usize> {
        let name = self.cursor_name();
        let from = app.store.relay_position(&name).await?;
        let events = app.store.outbox_after(from, RELAY_BATCH).await?;
        let Some(last) = events.last().map(|e| e.seq) else {
            return Ok(0);
        };
        // Publish the whole batch, then wait for every acknowledgement:
        // one connection keeps them in order, and the waits overlap.
        let mut acks = Vec::with_capacity(events.len());
        for event in &events {
            if let Some((subject, headers, body)) = self.message(event)? {
                acks.push(
                    self.jetstream
                        .publish_with_headers(subject, headers, body.into())
                        .await?,
                );
            }
        }
        for ack in acks {
            ack.await?;
        }
        // False: another node moved it first; the next round re-reads.
        app.store.advance_relay(&name, from, last).await?;
        Ok(events.len())
    }

    /// The subject, headers and body for one event; None for rows that are
    /// not documented business events (they never leave Haven).
    fn message(
        &self,
        event: &OutboxEvent,
    ) -> anyhow::Result<Option<(String, async_nats::HeaderMap, Vec<u8>)>> {
        let Some(relayed) = RelayedEvent::of(event) else {
            return Ok(None);
        };
        let body = serde_json::to_vec(&relayed)?;
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", event.id.to_string().as_str());
        let subject = format!("{}.{}", self.target.subject_prefix, event.topic);
        Ok(Some((subject, headers, body)))
    }
}

/// Relay until the process stops: whenever a batch was full, at once;
/// otherwise every timer interval. A NATS outage is retried, never fatal:
/// events wait in the outbox.
pub async fn run_relay(app: Arc<App>, target: RelayTarget) {
    let idle = Duration::from_millis(app.config.timer_interval_ms.clamp(50, 1_000));
    let mut relay = None;
    loop {
        if relay.is_none() {
            match NatsRelay::connect(target.clone()).await {
                Ok(connected) => relay = Some(connected),
                Err(err) => {
                    tracing::warn!(error = %err, url = %target.url, "NATS relay cannot connect; retrying")
                }
            }
        }
        let mut full = false;
        if let Some(connected) = &relay {
            match connected.relay_batch(&app).await {
                Ok(read) => full = read == RELAY_BATCH as usize,
                Err(err) => tracing::warn!(error = %err, "NATS relay round failed; retrying"),
            }
        }
        if !full {
            tokio::time::sleep(idle).await;
        }
    }
}

/// Follow the outbox batch by batch: run `batch` (which answers what it
/// wrote and how many events it read) until it reads less than a full
/// batch of `batch_size`, at most `max_batches` times; the sum written.
pub(crate) async fn in_batches<F, Fut>(
    max_batches: usize,
    batch_size: u32,
    mut batch: F,
) -> crate::error::AppResult<usize>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = crate::error::AppResult<(usize, usize)>>,
{
    let mut written = 0;
    for _ in 0..max_batches {
        let (wrote, read) = batch().await?;
        written += wrote;
        if read < batch_size as usize {
            break;
        }
    }
    Ok(written)
}
