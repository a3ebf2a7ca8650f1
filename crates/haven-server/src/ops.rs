//! Operating the server: admission control (a bounded number of requests
//! in flight, 503 with `Retry-After` past it, and a time limit on each),
//! `/healthz`, `/readyz`, and `/metrics` in Prometheus text format.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use haven_app::{App, AppError, ErrorKind};
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS_S: [f64; 12] = [
    0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Shared by every request: admission, shutdown state and counters.
pub struct Ops {
    slots: Arc<Semaphore>,
    request_timeout: Duration,
    shutting_down: AtomicBool,
    requests: [AtomicU64; 5],
    rejected: AtomicU64,
    timed_out: AtomicU64,
    buckets: [AtomicU64; BUCKETS_S.len()],
    latency_sum_us: AtomicU64,
    latency_count: AtomicU64,
}

impl Ops {
    pub fn new(max_in_flight: usize, request_timeout: Duration) -> Ops {
        Ops {
            slots: Arc::new(Semaphore::new(max_in_flight.max(1))),
            request_timeout,
            shutting_down: AtomicBool::new(false),
            requests: Default::default(),
            rejected: AtomicU64::new(0),
            timed_out: AtomicU64::new(0),
            buckets: Default::default(),
            latency_sum_us: AtomicU64::new(0),
            latency_count: AtomicU64::new(0),
        }
    }

    /// From now on `/readyz` says no, so a load balancer stops sending.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    fn observe(&self, status: StatusCode, elapsed: Duration) {
        let class = usize::from(status.as_u16() / 100).clamp(1, 5) - 1;
        self.requests[class].fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        for (bucket, bound) in self.buckets.iter().zip(BUCKETS_S) {
            if seconds <= bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.latency_sum_us.fetch_add(micros, Ordering::Relaxed);
        self.latency_count.fetch_add(1, Ordering::Relaxed);
    }
}

/// Admit a request if a slot is free, else answer 503 at once: under
/// overload, memory stays bounded and callers learn when to come back.
pub async fn admission(State(ops): State<Arc<Ops>>, request: Request, next: Next) -> Response {
    let Ok(_permit) = ops.slots.clone().try_acquire_owned() else {
        ops.rejected.fetch_add(1, Ordering::Relaxed);
        return overloaded("the server is busy; retry in a moment");
    };
    let started = Instant::now();
    let response = match tokio::time::timeout(ops.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            ops.timed_out.fetch_add(1, Ordering::Relaxed);
            overloaded("the request took too long; retry in a moment")
        }
    };
    ops.observe(response.status(), started.elapsed());
    response
}

fn overloaded(message: &str) -> Response {
    let mut response =
        ApiError::from(AppError::new(ErrorKind::Overloaded, message)).into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The process is up.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// The process can serve: not shutting down, and its database answers.
pub async fn readyz(State((app, ops)): State<(Arc<App>, Arc<Ops>)>) -> Response {
    if ops.shutting_down.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down\n").into_response();
    }
    match app.store.ops_snapshot(app.now()).await {
        Ok(_) => (StatusCode::OK, "ready\n").into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check: database unavailable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// Prometheus text format: HTTP traffic and latency, orders placed,
/// money in escrow, deadlines and their lag, commands, unpublished events.
pub async fn metrics(State((app, ops)): State<(Arc<App>, Arc<Ops>)>) -> Response {
    let snapshot = match app.store.ops_snapshot(app.now()).await {
        Ok(snapshot) => snapshot,
        Err(err) => return ApiError::from(AppError::internal(err)).into_response(),
    };
    let mut out = String::with_capacity(4_096);
    let mut metric = |name: &str, kind: &str, help: &str, lines: Vec<String>| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for line in lines {
            out.push_str(&line);
            out.push('\n');
        }
    };
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    metric(
        "haven_http_requests_total",
        "counter",
        "HTTP requests answered, by status class.",
        (0..5)
            .map(|i| {
                format!(
                    "haven_http_requests_total{{class=\"{}xx\"}} {}",
                    i + 1,
                    load(&ops.requests[i])
                )
            })
            .collect(),
    );
    metric(
        "haven_http_rejected_total",
        "counter",
        "Requests turned away with 503 (overload or time limit).",
        vec![
            format!(
                "haven_http_rejected_total{{reason=\"overload\"}} {}",
                load(&ops.rejected)
            ),
            format!(
                "haven_http_rejected_total{{reason=\"timeout\"}} {}",
                load(&ops.timed_out)
            ),
        ],
    );
    let mut histogram: Vec<String> = BUCKETS_S
        .iter()
        .zip(&ops.buckets)
        .map(|(bound, count)| {
            format!(
                "haven_http_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                load(count)
            )
        })
        .collect();
    let count = load(&ops.latency_count);
    histogram.push(format!(
        "haven_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
    ));
    histogram.push(format!(
        "haven_http_request_duration_seconds_sum {}",
        load(&ops.latency_sum_us) as f64 / 1e6
    ));
    histogram.push(format!("haven_http_request_duration_seconds_count {count}"));
    metric(
        "haven_http_request_duration_seconds",
        "histogram",
        "Time to answer a request.",
        histogram,
    );
    metric(
        "haven_orders_placed_total",
        "counter",
        "Orders placed by this process since it started.",
        vec![format!("haven_orders_placed_total {}", app.orders_placed())],
    );
    let gauges = [
        (
            "haven_escrow_minor",
            "Money held in escrow across all orders, in minor units.",
            snapshot.escrow_minor,
        ),
        (
            "haven_timers_pending",
            "Deadlines not yet fired.",
            snapshot.timers_pending,
        ),
        (
            "haven_timer_lag_seconds",
            "How long the oldest due deadline has waited.",
            snapshot.timer_lag_ms / 1_000,
        ),
        (
            "haven_commands_pending",
            "Gateway calls and emails waiting to be sent.",
            snapshot.commands_pending,
        ),
        (
            "haven_commands_dead",
            "Commands dead-lettered for an agent.",
            snapshot.commands_dead,
        ),
        (
            "haven_events_unpublished",
            "Committed business events not yet published.",
            snapshot.events_unpublished,
        ),
    ];
    for (name, help, value) in gauges {
        metric(name, "gauge", help, vec![format!("{name} {value}")]);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
