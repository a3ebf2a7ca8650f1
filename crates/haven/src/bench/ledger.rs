//! Balanced escrow entries per second through the store: each one a card
//! capture into its own order's escrow, committed durably (an entry is
//! counted only once its commit returned).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use haven_domain::ids::OrderId;
use haven_domain::ledger::{Account, Entry, EntryHeader, EntryKind};
use haven_domain::money::{Currency, Money};
use haven_store::Changeset;

use super::{LedgerArgs, Scratch, elapsed_s, percentiles};

pub async fn run(args: LedgerArgs) -> anyhow::Result<()> {
    let scratch = Scratch::open(&args.target).await?;
    scratch.store.migrate().await?;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut writers = Vec::new();
    for _ in 0..args.concurrency.max(1) {
        let store = scratch.store.clone();
        let next = next.clone();
        let total = args.entries;
        writers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let order = OrderId::new();
                let entry = Entry::transfer(
                    EntryHeader {
                        idempotency_key: format!("order:{order}:capture"),
                        kind: EntryKind::Capture,
                        order_id: Some(order),
                        payout_id: None,
                        created_at: jiff::Timestamp::now(),
                    },
                    Account::Gateway("bench".into()),
                    Account::Escrow(order),
                    Money::new(4_500, Currency::USD),
                )?;
                let began = Instant::now();
                store
                    .commit(Changeset {
                        entries: vec![entry],
                        ..Changeset::default()
                    })
                    .await?;
                latencies.push(u32::try_from(began.elapsed().as_micros()).unwrap_or(u32::MAX));
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for writer in writers {
        latencies.extend(writer.await??);
    }
    let seconds = elapsed_s(started);
    let done = latencies.len();
    let (p50, p99, _) = percentiles(latencies);
    println!(
        "ledger on {}: {:.0} entries/s ({done} durable entries in {seconds:.1} s, {} writers); commit p50 {p50:.2} ms, p99 {p99:.2} ms",
        scratch.label,
        done as f64 / seconds,
        args.concurrency
    );
    Ok(())
}
