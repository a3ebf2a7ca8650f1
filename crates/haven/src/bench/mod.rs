//! `haven bench`: the performance targets as runnable benchmarks. Each
//! subcommand builds its own marketplace on a fresh database (a temporary
//! SQLite file, or a fresh schema on the PostgreSQL named by
//! `--database-url`), runs the real code paths, and prints one result line.
//! Nothing here is a timed test: the figures go in docs/BENCHMARKS.md.

mod client;
mod flash;
mod ledger;
mod load;
mod search;
mod timers;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use haven_app::{App, Config};
use haven_domain::account::Role;
use haven_domain::clock::SystemClock;
use haven_store::DynStore;

pub use client::Connection;

#[derive(Subcommand, Clone)]
pub enum BenchCommand {
    /// Balanced escrow entries per second, durable (group commit allowed).
    Ledger(LedgerArgs),
    /// Orders per second over HTTP: placed, paid by test card, in escrow.
    Checkout(LoadArgs),
    /// Place, ship, three signed scans, confirm, release: orders per second.
    Lifecycle(LoadArgs),
    /// Pending deadlines fired per second, their lateness, none twice.
    Timers(TimerArgs),
    /// The brushing detector on a generated marketplace with planted rings:
    /// precision, recall and F1 per ring style, runtime, memory.
    Brushing(crate::brushing::BrushingBenchArgs),
    /// The catalog search index: build rate, and search latency with
    /// facets over a generated catalog.
    Search(search::SearchBenchArgs),
    /// Flash-deal races over HTTP: many clients, few units, never oversold.
    Flash(flash::FlashArgs),
}

#[derive(Args, Clone)]
pub struct Target {
    /// postgres://… to run on PostgreSQL (a fresh schema); default: a
    /// temporary SQLite file.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Where the test card network keeps its books: `database` (as the
    /// demo runs it: its writes share Haven's database) or `memory` (as a
    /// real gateway, whose books are elsewhere).
    #[arg(long, default_value = "database")]
    pub gateway_books: String,
    /// Keep the SQLite database in this (new) directory instead of deleting
    /// it, e.g. to time `haven serve` starting on a million orders.
    #[arg(long)]
    pub keep_in: Option<PathBuf>,
    /// `on`: every card payment is scored and run through the rules (with
    /// one extra allow rule for the load's own buyers, so their velocity
    /// does not block them); `off`: no fraud checks, to measure their cost.
    #[arg(long, default_value = "on")]
    pub risk: String,
}

#[derive(Args, Clone)]
pub struct LoadArgs {
    #[command(flatten)]
    pub target: Target,
    /// Simulated clients, each on its own keep-alive connection.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Measured seconds (after a 2-second warm-up).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Listings the orders spread over (1: everyone buys the same item).
    #[arg(long, default_value_t = 100)]
    pub listings: usize,
    /// Server nodes sharing the database (each its own App, connection
    /// pool, worker and listener); clients are spread round-robin.
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
}

#[derive(Args, Clone)]
pub struct LedgerArgs {
    #[command(flatten)]
    pub target: Target,
    #[arg(long, default_value_t = 200_000)]
    pub entries: u64,
    /// Concurrent writers.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
}

#[derive(Args, Clone)]
pub struct TimerArgs {
    #[command(flatten)]
    pub target: Target,
    /// Pending deadlines to create before the clock reaches them.
    #[arg(long, default_value_t = 1_000_000)]
    pub deadlines: u64,
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Ledger(args) => ledger::run(args).await,
        BenchCommand::Checkout(args) => load::run(args, load::Flow::Checkout).await,
        BenchCommand::Lifecycle(args) => load::run(args, load::Flow::Lifecycle).await,
        BenchCommand::Timers(args) => timers::run(args).await,
        BenchCommand::Brushing(args) => crate::brushing::run_bench(&args),
        BenchCommand::Search(args) => search::run(&args),
        BenchCommand::Flash(args) => flash::run(args).await,
    }
}

/// A fresh database: a temporary SQLite file (removed on drop), or a new
/// schema on PostgreSQL.
pub struct Scratch {
    pub store: DynStore,
    pub label: &'static str,
    dir: Option<PathBuf>,
    /// `--keep-in`: leave the database behind.
    kept: bool,
    pg: Option<Arc<haven_store::postgres::PgStore>>,
}

impl Scratch {
    pub async fn open(target: &Target) -> anyhow::Result<Scratch> {
        if let Some(url) = &target.database_url {
            let store = Arc::new(haven_store::postgres::PgStore::connect_fresh_schema(url).await?);
            return Ok(Scratch {
                store: store.clone(),
                label: "postgres",
                kept: false,
                dir: None,
                pg: Some(store),
            });
        }
        let kept = target.keep_in.clone();
        let dir = kept.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("haven-bench-{}", uuid::Uuid::now_v7()))
        });
        std::fs::create_dir_all(&dir)?;
        let store = haven_store::sqlite::SqliteStore::open(&dir.join("bench.db"))?;
        Ok(Scratch {
            store: Arc::new(store),
            label: "sqlite",
            kept: kept.is_some(),
            dir: Some(dir),
            pg: None,
        })
    }

    /// Another handle on the same database, as another server process
    /// would open it.
    pub async fn reopen(&self) -> anyhow::Result<DynStore> {
        Ok(match &self.pg {
            Some(pg) => Arc::new(pg.connect_again().await?),
            None => Arc::new(haven_store::sqlite::SqliteStore::open(
                &self.dir().join("bench.db"),
            )?),
        })
    }

    pub fn dir(&self) -> PathBuf {
        self.dir.clone().unwrap_or_else(std::env::temp_dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match &self.dir {
            Some(dir) if self.kept => eprintln!("database kept in {}", dir.display()),
            Some(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            None => {}
        }
    }
}

/// A running server over a scratch database, with its worker.
pub struct Server {
    /// The first node's app (seeding and checks go through it).
    pub app: Arc<App>,
    /// Every node's address; clients take them round-robin.
    pub addrs: Vec<SocketAddr>,
    pub scratch: Scratch,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Server {
    pub async fn start(target: &Target, nodes: usize) -> anyhow::Result<Server> {
        let scratch = Scratch::open(target).await?;
        let clock: Arc<dyn haven_domain::clock::Clock> = Arc::new(SystemClock);
        // Memory books stand for an external gateway, so all nodes share them.
        let shared_books = Arc::new(haven_app::payments::TestCardGateway::in_memory(
            clock.clone(),
        ));
        let (mut addrs, mut tasks, mut first) = (Vec::new(), Vec::new(), None);
        for node in 0..nodes.max(1) {
            let store = if node == 0 {
                scratch.store.clone()
            } else {
                scratch.reopen().await?
            };
            let gateway: Arc<dyn haven_app::payments::PaymentGateway> =
                match target.gateway_books.as_str() {
                    "memory" => shared_books.clone(),
                    "database" => Arc::new(haven_app::payments::TestCardGateway::new(
                        store.clone(),
                        clock.clone(),
                    )),
                    other => {
                        anyhow::bail!("--gateway-books must be database or memory, not {other}")
                    }
                };
            let risk_checks = match target.risk.as_str() {
                "on" => true,
                "off" => false,
                other => anyhow::bail!("--risk must be on or off, not {other}"),
            };
            let (app, addr, node_tasks) =
                start_node(&scratch, store, clock.clone(), gateway, risk_checks).await?;
            addrs.push(addr);
            tasks.extend(node_tasks);
            first.get_or_insert(app);
        }
        let app = first.expect("at least one node");
        trust_load_buyers(&app).await?;
        Ok(Server {
            app,
            addrs,
            scratch,
            tasks,
        })
    }

    /// A seller with a store and `count` listings of `stock` each; returns
    /// the seller's API token and the listing ids.
    pub async fn seller_with_listings(
        &self,
        count: usize,
        stock: i64,
    ) -> anyhow::Result<(String, Vec<String>)> {
        let email = "bench-seller@example.com";
        let mut seller =
            crate::demo::account(&self.app, email, "Bench Seller", vec![Role::Seller]).await?;
        let shop = self
            .app
            .open_store(&seller, "Bench Store", "Everything, fast.", None)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        seller.store_id = Some(shop.id);
        let mut listings = Vec::with_capacity(count);
        for n in 0..count.max(1) {
            let listing = self
                .app
                .create_listing(&seller, lamp(&format!("Benchmark lamp {n}"), stock), None)
                .await
                .map_err(|e| anyhow::anyhow!(e.message))?;
            listings.push(listing.id.to_string());
        }
        Ok((self.login(email).await?, listings))
    }

    /// `count` buyers, each with an API token.
    pub async fn buyers(&self, count: usize) -> anyhow::Result<Vec<String>> {
        let mut tokens = Vec::with_capacity(count);
        for i in 0..count {
            let email = format!("bench-buyer-{i}@example.com");
            crate::demo::account(&self.app, &email, &format!("Buyer {i}"), vec![Role::Buyer])
                .await?;
            tokens.push(self.login(&email).await?);
        }
        Ok(tokens)
    }

    async fn login(&self, email: &str) -> anyhow::Result<String> {
        let mut connection = Connection::open(self.addrs[0]).await?;
        let answer = connection
            .post(
                "/api/v1/auth/login",
                None,
                &[],
                &serde_json::json!({"email": email, "password": crate::demo::DEMO_PASSWORD}),
            )
            .await?;
        answer.body["token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow::anyhow!("login failed: {}", answer.body))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// A 40.00 lamp with standard shipping, as every benchmark sells.
pub fn lamp(title: &str, stock: i64) -> haven_app::NewListingInput {
    haven_app::NewListingInput {
        description: "A lamp that sells very fast.".into(),
        ship_by_days: Some(3),
        ships_from: Some("US".into()),
        ..haven_app::NewListingInput::plain(
            title,
            "home",
            haven_domain::money::Money::new(4_000, haven_domain::money::Currency::USD),
            stock,
            crate::demo::shipping(),
        )
    }
}

/// The load's buyers place thousands of orders an hour with one card, which
/// the score rightly calls card testing. An operator allow rule for them
/// keeps the whole risk path (every count, the score, every rule) in the
/// measurement without blocking the load.
async fn trust_load_buyers(app: &App) -> anyhow::Result<()> {
    let rule = haven_store::RiskRule {
        id: "bench-trusted-buyers".into(),
        version: 1,
        name: "Load-test buyers".into(),
        action: "allow".into(),
        expression: "email_domain == 'example.com' && account_payments_1h > 0".into(),
        enabled: true,
        updated_at: app.now(),
        updated_by: None,
    };
    app.store
        .commit(haven_store::Changeset {
            risk_rules: vec![haven_store::RiskRuleWrite {
                rule,
                expected_version: None,
            }],
            ..haven_store::Changeset::default()
        })
        .await?;
    Ok(())
}

/// One server node over `store`: its App, listener and worker.
async fn start_node(
    scratch: &Scratch,
    store: DynStore,
    clock: Arc<dyn haven_domain::clock::Clock>,
    gateway: Arc<dyn haven_app::payments::PaymentGateway>,
    risk_checks: bool,
) -> anyhow::Result<(Arc<App>, SocketAddr, Vec<tokio::task::JoinHandle<()>>)> {
    let config = Config {
        risk_checks,
        bind: "127.0.0.1:0".into(),
        database_url: String::new(),
        // Emails are queued and dispatched as in production; only the
        // relay's side (one file each, on the database's disk) is skipped.
        smtp_url: Some(haven_app::mail::DISCARD_URL.into()),
        blob_store_url: scratch.dir().join("blobs").to_string_lossy().into_owned(),
        ..Config::default()
    };
    let blobs = haven_app::blobs::BlobStore::open(&config.blob_store_url)?;
    let app = App::new(store, clock, gateway, blobs, config, None).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let service =
        haven_server::router(app.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, service).await;
    });
    let worker = tokio::spawn(haven_app::run_worker(app.clone()));
    Ok((app, addr, vec![server, worker]))
}

/// Latencies in microseconds → (p50, p99, p99.9) in milliseconds.
pub fn percentiles(mut micros: Vec<u32>) -> (f64, f64, f64) {
    if micros.is_empty() {
        return (0.0, 0.0, 0.0);
    }
    micros.sort_unstable();
    let at = |q: f64| {
        let index = ((micros.len() as f64 - 1.0) * q).round() as usize;
        f64::from(micros[index]) / 1_000.0
    };
    (at(0.50), at(0.99), at(0.999))
}

/// This process's resident memory, in MiB (Linux; 0 elsewhere).
pub fn rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1_024)
}

pub fn elapsed_s(start: std::time::Instant) -> f64 {
    start
        .elapsed()
        .as_secs_f64()
        .max(Duration::from_millis(1).as_secs_f64())
}
