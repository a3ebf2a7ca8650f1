//! `haven bench flash`: rounds of a flash-deal race over HTTP. Each round
//! puts a fresh listing on a deal of `--units` units, then `--buyers`
//! clients (each on its own keep-alive connection) try to buy one at the
//! same moment. It checks that every round sold exactly its units at the
//! deal price, never one more, and reports how fast a deal sells out.

use std::time::Instant;

use clap::Args;
use serde_json::json;

use super::{Connection, Server, Target, elapsed_s, percentiles};

#[derive(Args, Clone)]
pub struct FlashArgs {
    #[command(flatten)]
    pub target: Target,
    /// Clients racing in each round.
    #[arg(long, default_value_t = 200)]
    pub buyers: usize,
    /// Units each deal offers.
    #[arg(long, default_value_t = 50)]
    pub units: u32,
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
}

/// What one round's race came to.
#[derive(Default)]
struct Round {
    won: u64,
    sold_out: u64,
    failed: u64,
    latencies_us: Vec<u32>,
}

pub async fn run(args: FlashArgs) -> anyhow::Result<()> {
    let server = Server::start(&args.target, 1).await?;
    let (seller, listings) = server
        .seller_with_listings(args.rounds.max(1), 1_000_000)
        .await?;
    // At most 64 buyer accounts: logins are rate-limited per address.
    let buyers = server.buyers(args.buyers.clamp(1, 64)).await?;
    let mut connections = Vec::with_capacity(args.buyers);
    for _ in 0..args.buyers.max(1) {
        connections.push(Connection::open(server.addrs[0]).await?);
    }
    let mut admin = Connection::open(server.addrs[0]).await?;
    let mut sell_out_ms = Vec::new();
    let mut total = Round::default();
    let started = Instant::now();
    for (round, listing) in listings.iter().enumerate() {
        let ends_at = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string();
        let deal = admin
            .post(
                &format!("/api/v1/listings/{listing}/deal"),
                Some(&seller),
                &[],
                &json!({"price": {"amount_minor": 1_000, "currency": "USD"}, "quantity": args.units, "ends_at": ends_at}),
            )
            .await?;
        anyhow::ensure!(deal.status == 200, "setting the deal failed: {}", deal.body);
        let round_started = Instant::now();
        let mut tasks = Vec::with_capacity(connections.len());
        for (index, mut connection) in connections.drain(..).enumerate() {
            let buyer = buyers[index % buyers.len()].clone();
            let listing = listing.clone();
            tasks.push(tokio::spawn(async move {
                let body = json!({
                    "listing_id": listing, "quantity": 1, "shipping_method": "Standard",
                    "address": {"name": "Flash Buyer", "line1": format!("{index} Flash St"), "city": "Springfield", "postal_code": "12345", "country": "US"},
                    "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
                });
                let key = format!("flash-{round}-{index}");
                let sent = Instant::now();
                let answer = connection
                    .post("/api/v1/orders", Some(&buyer), &[("idempotency-key", &key)], &body)
                    .await;
                let micros = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
                (connection, answer, micros)
            }));
        }
        let mut this = Round::default();
        for task in tasks {
            let (connection, answer, micros) = task.await?;
            connections.push(connection);
            this.latencies_us.push(micros);
            match answer {
                Ok(a) if a.status == 201 && a.body["unit_price"]["amount_minor"] == 1_000 => {
                    this.won += 1
                }
                Ok(a) if a.status == 409 && a.body["error"]["code"] == "deal_sold_out" => {
                    this.sold_out += 1
                }
                Ok(a) => {
                    if total.failed + this.failed < 3 {
                        eprintln!("checkout failed: {} {}", a.status, a.body);
                    }
                    this.failed += 1;
                }
                Err(_) => this.failed += 1,
            }
        }
        sell_out_ms.push(round_started.elapsed().as_secs_f64() * 1_000.0);
        anyhow::ensure!(
            this.won == u64::from(args.units).min(args.buyers as u64),
            "round {round}: {} sold at the deal price, the deal had {}",
            this.won,
            args.units
        );
        total.won += this.won;
        total.sold_out += this.sold_out;
        total.failed += this.failed;
        total.latencies_us.extend(this.latencies_us);
    }
    let seconds = elapsed_s(started);
    let attempts = total.latencies_us.len();
    let (p50, p99, _) = percentiles(std::mem::take(&mut total.latencies_us));
    sell_out_ms.sort_by(f64::total_cmp);
    println!(
        "flash deals on {}: {} rounds of {} clients for {} units: {} sold at the deal price (exactly the units, never more), {} refused as sold out, {} failed; checkout p50 {p50:.2} ms, p99 {p99:.2} ms; a round (every client answered) took p50 {:.0} ms, max {:.0} ms; {:.0} attempts/s overall",
        server.scratch.label,
        args.rounds,
        args.buyers,
        args.units,
        total.won,
        total.sold_out,
        total.failed,
        sell_out_ms[sell_out_ms.len() / 2],
        sell_out_ms.last().copied().unwrap_or(0.0),
        attempts as f64 / seconds,
    );
    let report = server.app.verify().await?;
    if !report.is_clean() {
        anyhow::bail!("verify found violations: {:?}", report.violations);
    }
    Ok(())
}
