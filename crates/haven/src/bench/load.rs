//! Load benchmarks over HTTP: `checkout` (place and pay) and `lifecycle`
//! (place, ship, three signed scans, confirm, release). Every simulated
//! client has its own keep-alive connection and sends requests back to
//! back; the first two seconds warm up and are not counted.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Connection, LoadArgs, Server, elapsed_s, percentiles};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Checkout,
    Lifecycle,
}

const WARM_UP: Duration = Duration::from_secs(2);

/// What one client needs to place orders.
struct Client {
    buyer: String,
    seller: String,
    listings: Vec<String>,
    carrier_secret: String,
    index: usize,
}

pub async fn run(args: LoadArgs, flow: Flow) -> anyhow::Result<()> {
    let server = Server::start(&args.target, args.nodes).await?;
    let (seller, listings) = server
        .seller_with_listings(args.listings, 1_000_000)
        .await?;
    // At most 64 buyer accounts: logins are rate-limited per address.
    let buyers = server.buyers(args.concurrency.clamp(1, 64)).await?;
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for index in 0..args.concurrency {
        let client = Client {
            buyer: buyers[index % buyers.len()].clone(),
            seller: seller.clone(),
            listings: listings.clone(),
            carrier_secret: server.app.config.carrier_webhook_secret.clone(),
            index,
        };
        let mut connection = Connection::open(server.addrs[index % server.addrs.len()]).await?;
        let (measuring, stop, failures) = (measuring.clone(), stop.clone(), failures.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut serial = 0_u64;
            while !stop.load(Ordering::Relaxed) {
                serial += 1;
                let started = Instant::now();
                let ok = match flow {
                    Flow::Checkout => checkout(&mut connection, &client, serial).await,
                    Flow::Lifecycle => lifecycle(&mut connection, &client, serial).await,
                };
                if !ok {
                    failures.fetch_add(1, Ordering::Relaxed);
                } else if measuring.load(Ordering::Relaxed) {
                    latencies
                        .push(u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX));
                }
            }
            latencies
        }));
    }
    tokio::time::sleep(WARM_UP).await;
    let failed_in_warm_up = failures.load(Ordering::Relaxed);
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let seconds = elapsed_s(started);
    stop.store(true, Ordering::Relaxed);
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await?);
    }
    let done = latencies.len();
    let (p50, p99, p999) = percentiles(latencies);
    let name = match flow {
        Flow::Checkout => "checkout",
        Flow::Lifecycle => "lifecycle",
    };
    println!(
        "{name} on {} ({} node(s), gateway books: {}, {} listings): {:.0} orders/s at {} clients ({done} orders in {seconds:.1} s); p50 {p50:.2} ms, p99 {p99:.2} ms, p99.9 {p999:.2} ms; {} failed; process RSS {} MiB",
        server.scratch.label,
        server.addrs.len(),
        args.target.gateway_books,
        args.listings,
        done as f64 / seconds,
        args.concurrency,
        failures.load(Ordering::Relaxed) - failed_in_warm_up,
        super::rss_mib(),
    );
    let report = server.app.verify().await?;
    if !report.is_clean() {
        anyhow::bail!("verify found violations: {:?}", report.violations);
    }
    Ok(())
}

async fn checkout(connection: &mut Connection, client: &Client, serial: u64) -> bool {
    place(connection, client, serial).await.is_some()
}

/// Place and pay one order; its id.
async fn place(connection: &mut Connection, client: &Client, serial: u64) -> Option<String> {
    let key = format!("bench-{}-{serial}", client.index);
    let listing = &client.listings[(client.index + serial as usize) % client.listings.len()];
    let body = json!({
        "listing_id": listing, "quantity": 1, "shipping_method": "Standard",
        "address": {"name": "Bench Buyer", "line1": "1 Load St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
    });
    let answer = connection
        .post(
            "/api/v1/orders",
            Some(&client.buyer),
            &[("idempotency-key", &key)],
            &body,
        )
        .await
        .ok()?;
    if answer.status != 201 {
        report_failure("checkout", &answer);
        return None;
    }
    answer.body["id"].as_str().map(str::to_string)
}

async fn lifecycle(connection: &mut Connection, client: &Client, serial: u64) -> bool {
    let Some(order) = place(connection, client, serial).await else {
        return false;
    };
    let number = haven_risk::tracking::simpost_number(
        u32::try_from(client.index as u64 * 1_000_000 + serial % 1_000_000).unwrap_or(u32::MAX),
    );
    let shipped = connection
        .post(
            &format!("/api/v1/orders/{order}/ship"),
            Some(&client.seller),
            &[],
            &json!({"carrier": "simpost", "tracking_number": number}),
        )
        .await;
    match shipped {
        Ok(a) if a.status == 200 => {}
        Ok(a) => return report_failure("ship", &a),
        Err(_) => return false,
    }
    for status in ["in_transit", "out_for_delivery", "delivered"] {
        if !scan(connection, client, &number, status).await {
            return false;
        }
    }
    let confirmed = connection
        .post(
            &format!("/api/v1/orders/{order}/confirm"),
            Some(&client.buyer),
            &[],
            &json!({}),
        )
        .await;
    match confirmed {
        Ok(a) if a.status == 200 && a.body["state"] == "completed" => true,
        Ok(a) => report_failure("confirm", &a),
        Err(_) => false,
    }
}

/// Say why the first few steps failed (then stay quiet).
fn report_failure(step: &str, answer: &super::client::Answer) -> bool {
    static REPORTED: AtomicU64 = AtomicU64::new(0);
    if REPORTED.fetch_add(1, Ordering::Relaxed) < 3 {
        eprintln!("{step} failed: {} {}", answer.status, answer.body);
    }
    false
}

/// A carrier scan through the signed webhook, as a carrier would send it.
async fn scan(connection: &mut Connection, client: &Client, number: &str, status: &str) -> bool {
    let now = jiff::Timestamp::now();
    let body = json!({"tracking_number": number, "status": status, "occurred_at": now.to_string(), "location": "Bench hub"});
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    let signature = haven_app::carrier::sign(&client.carrier_secret, now.as_second(), &bytes);
    connection
        .post(
            "/api/v1/carriers/simpost/webhook",
            None,
            &[("haven-signature", &signature)],
            &body,
        )
        .await
        .is_ok_and(|a| a.status == 200 || report_failure("scan", &a))
}
