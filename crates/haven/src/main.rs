//! The `haven` binary: serve | demo | migrate | verify | reconcile | scan |
//! brushing | reputation | search | bench.
//!
//! Configuration precedence: built-in defaults < `--config` TOML file <
//! environment variables (`HAVEN_*`) < command-line flags.

mod bench;
mod brushing;
mod demo;
mod demo_history;
mod scan;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use haven_app::payments::TestCardGateway;
use haven_app::{App, Config};
use haven_domain::clock::{Clock, OffsetClock, SystemClock};
use haven_store::DynStore;

#[derive(Parser)]
#[command(
    name = "haven",
    version,
    about = "Haven: a self-hosted marketplace where buyers are safe by default"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the marketplace server.
    Serve(ServeArgs),
    /// Run a seeded demo marketplace (stores, listings, demo logins), with
    /// parcel advancing and a clock you can fast-forward. Defaults to
    /// ./haven-data/demo.db so it never touches a real database.
    Demo(ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(DbArgs),
    /// Check every ledger invariant; exits non-zero on any violation.
    Verify(DbArgs),
    /// Run a benchmark on a fresh database and print one result line.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
    /// Compare the gateway's captures with the orders: refund captures no
    /// paid order stands behind, flag paid orders with no capture. Exits 2
    /// if an order was flagged.
    Reconcile(ReconcileArgs),
    /// Scan messages for scams: JSON Lines {"id","from","stage","text"} on
    /// stdin, {"id","verdict","categories","reasons"} per line on stdout.
    /// `from` is buyer or seller; `stage` is pre_order, after_order,
    /// in_dispute or after_delivery; other fields are ignored. With
    /// --evaluate, scores lines that carry a `label` instead. Exits 1 if any
    /// line was malformed.
    Scan(ScanArgs),
    /// The brushing (fake review) detector over an export, outside the server.
    Brushing {
        #[command(subcommand)]
        what: BrushingCommand,
    },
    /// Protection certificates: check one offline, or print the public key.
    Certificate {
        #[command(subcommand)]
        what: CertificateCommand,
    },
    /// Store reputation upkeep.
    Reputation {
        #[command(subcommand)]
        what: ReputationCommand,
    },
    /// The catalog search index.
    Search {
        #[command(subcommand)]
        what: SearchCommand,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Rebuild a node's search index directory from the listings. A running
    /// node rebuilds its own with `POST /api/v1/console/search/rebuild`.
    Rebuild(SearchIndexArgs),
}

#[derive(Subcommand)]
enum BrushingCommand {
    /// Reviews as JSON Lines on stdin, one object per line with `id,
    /// order_id, buyer, store, product, rating, ts, buyer_created_ts,
    /// device, ip, address, card` (times in unix seconds, identifiers as
    /// opaque strings); one `{"id","score","reasons"}` line per flagged
    /// review on stdout. Exits 1 if any line was malformed.
    Detect,
}

#[derive(Subcommand)]
enum CertificateCommand {
    /// Check a downloaded certificate's Ed25519 signature and print what it
    /// certifies. Exits 1 if it does not verify.
    Verify {
        /// The certificate file (JSON, as downloaded).
        file: PathBuf,
        /// The platform's published public key (hex); without it, the key
        /// inside the certificate is used and printed so you can compare.
        #[arg(long)]
        public_key: Option<String>,
    },
    /// Print the public key of the configured signing key (publish it).
    PublicKey(DbArgs),
}

#[derive(Subcommand)]
enum ReputationCommand {
    /// Recompute every store's metrics from the orders, reviews and
    /// conversations, replacing the incrementally kept counters.
    Rebuild(DbArgs),
}

#[derive(Args, Clone)]
struct ScanArgs {
    /// The marketplace's name (for lookalike and brand-in-URL tricks).
    #[arg(long, default_value = "Haven")]
    brand: String,
    /// One of the marketplace's own domains (links to it are safe); repeatable.
    #[arg(long = "domain")]
    domains: Vec<String>,
    /// Score against each line's `label` ({"verdict","categories"}) and
    /// print precision and recall per category and per language (`lang`)
    /// instead of one answer per line.
    #[arg(long)]
    evaluate: bool,
    /// Use the rules alone, without the learned model (to measure each).
    #[arg(long)]
    rules_only: bool,
}

#[derive(Args, Clone)]
struct ReconcileArgs {
    #[command(flatten)]
    db: DbArgs,
    /// How far back to look.
    #[arg(long, default_value_t = 72)]
    since_hours: i64,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// TOML config file (keys as in docs/OPERATIONS.md).
    #[arg(long, env = "HAVEN_CONFIG")]
    config: Option<PathBuf>,
    /// sqlite://PATH (default sqlite://./haven-data/haven.db) or postgres://…
    #[arg(long, env = "HAVEN_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args, Clone)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, env = "HAVEN_BIND")]
    bind: Option<String>,
    /// Public base URL used in printed links.
    #[arg(long, env = "HAVEN_BASE_URL")]
    base_url: Option<String>,
    /// Shared secret for carrier webhook signatures.
    #[arg(long, env = "HAVEN_CARRIER_WEBHOOK_SECRET", hide_env_values = true)]
    carrier_webhook_secret: Option<String>,
    /// Shared secret for payment gateway webhook signatures.
    #[arg(long, env = "HAVEN_GATEWAY_WEBHOOK_SECRET", hide_env_values = true)]
    gateway_webhook_secret: Option<String>,
    /// Ed25519 key (32 bytes as 64 hex digits) that signs protection
    /// certificates.
    #[arg(long, env = "HAVEN_CERTIFICATE_SIGNING_KEY", hide_env_values = true)]
    certificate_signing_key: Option<String>,
    /// Dispute evidence store: a directory, file:///dir or s3://bucket/prefix.
    #[arg(long, env = "HAVEN_BLOB_STORE_URL")]
    blob_store_url: Option<String>,
    /// The endpoint of an S3-compatible server for s3:// blob stores.
    #[arg(long, env = "HAVEN_BLOB_S3_ENDPOINT")]
    blob_s3_endpoint: Option<String>,
    /// Mark cookies Secure (serve behind HTTPS).
    #[arg(long, env = "HAVEN_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Send account emails over SMTP (smtp:// or smtps://user:pass@host);
    /// without it they are written as files into mail_dir.
    #[arg(long, env = "HAVEN_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Relay business events to NATS JetStream (nats://host:4222).
    #[arg(long, env = "HAVEN_NATS_URL")]
    nats_url: Option<String>,
    /// The JetStream stream for relayed events (default HAVEN_EVENTS).
    #[arg(long, env = "HAVEN_NATS_STREAM")]
    nats_stream: Option<String>,
    /// Subject prefix for relayed events (default haven.events).
    #[arg(long, env = "HAVEN_NATS_SUBJECT_PREFIX")]
    nats_subject_prefix: Option<String>,
    /// Keep this node's search index in this directory (one per node);
    /// without it the index lives in memory and is rebuilt at start.
    #[arg(long, env = "HAVEN_SEARCH_INDEX_DIR")]
    search_index_dir: Option<String>,
}

#[derive(Args, Clone)]
struct SearchIndexArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The node's index directory (as `serve --search-index-dir`); stop
    /// that node first: one process writes an index at a time.
    #[arg(long, env = "HAVEN_SEARCH_INDEX_DIR")]
    search_index_dir: Option<String>,
}

fn load_config(db: &DbArgs) -> anyhow::Result<Config> {
    let mut config = match &db.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?
        }
        None => Config::default(),
    };
    if let Some(url) = &db.database_url {
        config.database_url = url.clone();
    }
    Ok(config)
}

fn apply_serve_args(config: &mut Config, args: &ServeArgs) {
    if let Some(bind) = &args.bind {
        config.bind = bind.clone();
        if args.base_url.is_none() {
            config.base_url = format!("http://{bind}");
        }
    }
    if let Some(base) = &args.base_url {
        config.base_url = base.clone();
    }
    if let Some(secret) = &args.carrier_webhook_secret {
        config.carrier_webhook_secret = secret.clone();
    }
    if let Some(secret) = &args.gateway_webhook_secret {
        config.gateway_webhook_secret = secret.clone();
    }
    if let Some(key) = &args.certificate_signing_key {
        config.certificate_signing_key = key.clone();
    }
    if let Some(url) = &args.blob_store_url {
        config.blob_store_url = url.clone();
    }
    if let Some(endpoint) = &args.blob_s3_endpoint {
        config.blob_s3_endpoint = Some(endpoint.clone());
    }
    config.secure_cookies |= args.secure_cookies;
    if let Some(url) = &args.smtp_url {
        config.smtp_url = Some(url.clone());
    }
    if let Some(url) = &args.nats_url {
        config.nats_url = Some(url.clone());
    }
    if let Some(stream) = &args.nats_stream {
        config.nats_stream = stream.clone();
    }
    if let Some(prefix) = &args.nats_subject_prefix {
        config.nats_subject_prefix = prefix.clone();
    }
    if let Some(dir) = &args.search_index_dir {
        config.search_index_dir = Some(dir.clone());
    }
}

/// Open the store a database URL names.
async fn open_store(url: &str) -> anyhow::Result<DynStore> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let store = haven_store::sqlite::SqliteStore::open(std::path::Path::new(path))?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(
            haven_store::postgres::PgStore::connect(url).await?,
        ));
    }
    bail!("--database-url must start with sqlite:// or postgres://")
}

async fn build_app(config: Config, demo_clock: Option<OffsetClock>) -> anyhow::Result<Arc<App>> {
    let store = open_store(&config.database_url).await?;
    let clock: Arc<dyn Clock> = match &demo_clock {
        Some(clock) => Arc::new(clock.clone()),
        None => Arc::new(SystemClock),
    };
    let blobs = haven_app::blobs::BlobStore::open_with(
        &config.blob_store_url,
        config.blob_s3_endpoint.as_deref(),
    )?;
    let gateway = Arc::new(TestCardGateway::new(store.clone(), clock.clone()));
    App::new(store, clock, gateway, blobs, config, demo_clock).await
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => {
            let mut config = load_config(&args.db)?;
            apply_serve_args(&mut config, &args);
            // The development secrets are public: anyone could sign a
            // "delivered" scan or a chargeback with them.
            config.check_production_safe().map_err(anyhow::Error::msg)?;
            haven_server::serve(build_app(config, None).await?).await?;
        }
        Command::Demo(args) => {
            let mut config = load_config(&args.db)?;
            if args.db.database_url.is_none() && args.db.config.is_none() {
                config.database_url = "sqlite://./haven-data/demo.db".into();
            }
            apply_serve_args(&mut config, &args);
            config.demo = true;
            let app = build_app(config, Some(OffsetClock::default())).await?;
            demo::seed(&app).await?;
            demo::print_welcome(&app);
            haven_server::serve(app).await?;
        }
        Command::Migrate(db) => {
            let config = load_config(&db)?;
            let store = open_store(&config.database_url).await?;
            store.migrate().await?;
            println!("schema is up to date ({})", store.backend());
        }
        Command::Verify(db) => return verify(load_config(&db)?).await,
        Command::Bench { what } => bench::run(what).await?,
        Command::Reconcile(args) => {
            return reconcile(load_config(&args.db)?, args.since_hours).await;
        }
        Command::Brushing {
            what: BrushingCommand::Detect,
        } => {
            let stdin = std::io::stdin().lock();
            let stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let malformed = brushing::detect_jsonl(stdin, stdout)?;
            if malformed > 0 {
                eprintln!("{malformed} malformed line(s) skipped");
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Certificate {
            what: CertificateCommand::Verify { file, public_key },
        } => return verify_certificate(&file, public_key.as_deref()),
        Command::Certificate {
            what: CertificateCommand::PublicKey(db),
        } => {
            let config = load_config(&db)?;
            let key = haven_app::certificate::public_key_hex(&config.certificate_signing_key)
                .map_err(anyhow::Error::msg)?;
            println!("{key}");
        }
        Command::Reputation {
            what: ReputationCommand::Rebuild(db),
        } => {
            let app = build_app(load_config(&db)?, None).await?;
            let report = app.rebuild_reputation().await?;
            println!(
                "rebuilt store metrics from {} orders, {} reviews and {} conversations: {} monthly counter rows, {} buyer rows",
                report.orders,
                report.reviews,
                report.conversations,
                report.counter_rows,
                report.buyer_rows
            );
        }
        Command::Search {
            what: SearchCommand::Rebuild(args),
        } => {
            let mut config = load_config(&args.db)?;
            if let Some(dir) = &args.search_index_dir {
                config.search_index_dir = Some(dir.clone());
            }
            if config.search_index_dir.is_none() {
                bail!(
                    "name the index directory: --search-index-dir (or search_index_dir in the config)"
                );
            }
            let app = build_app(config, None).await?;
            let report = app.rebuild_search().await?;
            println!(
                "search index rebuilt: {} listings, at outbox position {}",
                report.rebuilt.unwrap_or(0),
                report.position
            );
        }
        Command::Scan(args) => {
            let stdin = std::io::stdin().lock();
            let stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let failures = scan::run(
                args.brand,
                args.domains,
                scan::Mode {
                    evaluate: args.evaluate,
                    rules_only: args.rules_only,
                },
                stdin,
                stdout,
            )?;
            if failures > 0 {
                eprintln!("{failures} line(s) could not be read");
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One reconciliation run; the refunds it queues are sent before it exits.
async fn reconcile(config: Config, since_hours: i64) -> anyhow::Result<ExitCode> {
    let app = build_app(config, None).await?;
    let since =
        app.now() - haven_domain::SignedDuration::from_hours(since_hours.clamp(1, 24 * 3650));
    let report = app
        .reconcile(since)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let sent = app.dispatch_commands(app.now()).await;
    println!(
        "checked {} captures and {} paid orders since {since}: {} matched, {} still being finished by checkout",
        report.captures_checked, report.orders_checked, report.matched, report.in_flight
    );
    for payment in &report.refunded {
        println!("REFUND queued: capture {payment} has no paid order");
    }
    if sent.retrying + sent.dead > 0 {
        println!(
            "{} command(s) could not be sent yet; the worker retries them",
            sent.retrying + sent.dead
        );
    }
    for order in &report.flagged {
        eprintln!("FLAGGED: order {order} is paid but the gateway shows no capture");
    }
    if report.flagged.is_empty() {
        println!("reconciled: captures and orders agree");
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(2))
    }
}

/// Read-only: opens the store without migrating or recording a policy.
fn verify_certificate(
    file: &std::path::Path,
    trusted_key: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let certificate: haven_app::certificate::SignedCertificate =
        serde_json::from_str(&text).context("not a Haven certificate")?;
    match haven_app::certificate::verify(&certificate, trusted_key) {
        Ok(payload) => {
            let s = &payload.snapshot;
            println!("certificate OK: signed by {}", certificate.public_key);
            println!(
                "order {} · {} × {} · {}",
                payload.order_id, payload.quantity, payload.listing_title, payload.total
            );
            println!(
                "ordered {} from {}: {}",
                payload.ordered_at, s.store_name, s.summary
            );
            println!(
                "protection: {} days after delivery; on-time guarantee by {}; Guaranteed Genuine: {}; policy version {}",
                s.protection.protection_days_after_delivery,
                s.protection.promised_delivery_at,
                if s.protection.guaranteed_genuine {
                    "yes"
                } else {
                    "no"
                },
                s.policy_version
            );
            if trusted_key.is_none() {
                println!(
                    "(compare the key above with the one the marketplace publishes, or pass --public-key)"
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => {
            eprintln!("certificate INVALID: {reason}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn verify(config: Config) -> anyhow::Result<ExitCode> {
    let store = open_store(&config.database_url).await?;
    // The simulated card network's books live in the same database.
    let gateway = TestCardGateway::new(store.clone(), Arc::new(SystemClock));
    let report = haven_app::verify_ledger(store.as_ref(), Some(&gateway)).await?;
    println!(
        "checked {} ledger entries, {} balances, {} orders, {} evidence entries, {} commands on {}",
        report.entries_checked,
        report.balances_checked,
        report.orders_checked,
        report.evidence_checked,
        report.commands_checked,
        store.backend()
    );
    if report.is_clean() {
        println!("ledger OK: every invariant holds");
        return Ok(ExitCode::SUCCESS);
    }
    for violation in &report.violations {
        eprintln!("VIOLATION: {violation}");
    }
    eprintln!("{} violation(s) found", report.violations.len());
    Ok(ExitCode::from(2))
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime starts");
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
