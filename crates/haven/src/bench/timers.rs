//! Deadlines: `--deadlines` paid orders whose ship-by dates fall due one
//! after another at a steady rate (25,000 a second), then the real worker
//! fires them: each a missed-ship-by cancellation that refunds the buyer
//! and restocks. Reports the fire rate, the lateness of each firing
//! (closed at − due at), and checks that none fired twice.

use std::sync::Arc;
use std::time::{Duration, Instant};

use haven_app::{App, Config};
use haven_domain::SignedDuration;
use haven_domain::account::Role;
use haven_domain::clock::{Clock, OffsetClock};
use haven_domain::ledger::{Account, Entry, EntryHeader, EntryKind};
use haven_domain::money::{Currency, Money};
use haven_domain::order::{
    Address, NewOrder, Order, OrderEvent, OrderState, PaymentInfo, ShippingChoice,
};
use haven_domain::timer::TimerKind;
use haven_store::{Changeset, NewTimer, OrderWrite};

use super::{Scratch, TimerArgs, percentiles};

/// Deadlines falling due per second while the worker runs.
const DUE_PER_S: u64 = 25_000;
/// Orders written per setup transaction.
const SETUP_BATCH: usize = 2_000;
const ORDER_TOTAL_MINOR: i64 = 4_500;

pub async fn run(args: TimerArgs) -> anyhow::Result<()> {
    let scratch = Scratch::open(&args.target).await?;
    let clock = OffsetClock::default();
    let app = build_app(&scratch, &clock).await?;
    let (buyer, listing) = parties(&app).await?;
    // Every deadline is due one hour from now or later; the clock jumps there
    // once they are all written.
    let first_due = clock.now() + SignedDuration::from_hours(1);
    let spacing_us = 1_000_000 / DUE_PER_S as i64;
    let setup = Instant::now();
    fund_buyer(&app, &buyer, args.deadlines).await?;
    let mut written = 0_u64;
    while written < args.deadlines {
        let batch = (args.deadlines - written).min(SETUP_BATCH as u64);
        let changes = paid_orders(
            &app, &buyer, &listing, written, batch, first_due, spacing_us,
        )?;
        app.store.commit(changes).await?;
        written += batch;
    }
    let setup_s = setup.elapsed().as_secs_f64();

    let jump = first_due.duration_since(clock.now()).as_secs();
    clock.advance_s(jump);
    let started = Instant::now();
    let worker = tokio::spawn(haven_app::run_worker(app.clone()));
    let window = Duration::from_micros(args.deadlines * spacing_us as u64);
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let pending = app.store.count_pending_timers().await?;
        if pending == 0 || started.elapsed() > window + Duration::from_secs(600) {
            break;
        }
    }
    let fired_s = started.elapsed().as_secs_f64();
    worker.abort();
    let lateness = lateness_sample(&app, args.deadlines).await?;
    let refunds = count_refunds(&app).await?;
    let (p50, p99, p999) = percentiles(lateness);
    println!(
        "timers on {}: {} deadlines due at {DUE_PER_S}/s fired in {fired_s:.1} s ({:.0}/s); lateness p50 {p50:.0} ms, p99 {p99:.0} ms, p99.9 {p999:.0} ms; {refunds} refunds, one per order: {}; setup {setup_s:.0} s",
        scratch.label,
        args.deadlines,
        args.deadlines as f64 / fired_s,
        refunds == args.deadlines,
    );
    if refunds != args.deadlines {
        anyhow::bail!("expected {} refunds, found {refunds}", args.deadlines);
    }
    Ok(())
}

async fn build_app(scratch: &Scratch, clock: &OffsetClock) -> anyhow::Result<Arc<App>> {
    let config = Config {
        // Emails are queued and dispatched as in production; only the
        // relay's side (one file each, on the database's disk) is skipped.
        smtp_url: Some(haven_app::mail::DISCARD_URL.into()),
        blob_store_url: scratch.dir().join("blobs").to_string_lossy().into_owned(),
        timer_interval_ms: 100,
        timer_batch: 1_024,
        ..Config::default()
    };
    let clock: Arc<dyn Clock> = Arc::new(clock.clone());
    let gateway = Arc::new(haven_app::payments::TestCardGateway::new(
        scratch.store.clone(),
        clock.clone(),
    ));
    let blobs = haven_app::blobs::BlobStore::open(&config.blob_store_url)?;
    App::new(scratch.store.clone(), clock, gateway, blobs, config, None).await
}

/// A buyer and a listing the orders belong to.
async fn parties(app: &App) -> anyhow::Result<(haven_app::Actor, haven_domain::catalog::Listing)> {
    let buyer = crate::demo::account(
        app,
        "timer-buyer@example.com",
        "Timer Buyer",
        vec![Role::Buyer],
    )
    .await?;
    let mut seller = crate::demo::account(
        app,
        "timer-seller@example.com",
        "Timer Seller",
        vec![Role::Seller],
    )
    .await?;
    let shop = app
        .open_store(&seller, "Timer Store", "Deadlines.", None)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    seller.store_id = Some(shop.id);
    let listing = app
        .create_listing(&seller, super::lamp("Deadline lamp", 0), None)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    Ok((buyer, listing))
}

/// Credit that pays every order, so refunds go back to credit and no
/// gateway call is involved.
async fn fund_buyer(app: &App, buyer: &haven_app::Actor, orders: u64) -> anyhow::Result<()> {
    let amount = i64::try_from(orders)? * ORDER_TOTAL_MINOR;
    let entry = Entry::transfer(
        EntryHeader {
            idempotency_key: "bench:timers:credit".into(),
            kind: EntryKind::Compensation,
            order_id: None,
            payout_id: None,
            created_at: app.now(),
        },
        Account::PlatformCompensation,
        Account::BuyerCredit(buyer.id()),
        Money::new(amount, Currency::USD),
    )?;
    app.store
        .commit(Changeset {
            entries: vec![entry],
            ..Changeset::default()
        })
        .await?;
    Ok(())
}

/// `count` orders paid by credit, each with a ship-by deadline: the n-th
/// falls due `n × spacing` after `first_due`.
fn paid_orders(
    app: &App,
    buyer: &haven_app::Actor,
    listing: &haven_domain::catalog::Listing,
    offset: u64,
    count: u64,
    first_due: jiff::Timestamp,
    spacing_us: i64,
) -> anyhow::Result<Changeset> {
    let (version, policy) = app.current_policy();
    let now = app.now();
    let mut changes = Changeset::default();
    for n in offset..offset + count {
        let new = NewOrder {
            buyer_id: buyer.id(),
            store_id: listing.store_id,
            listing_id: listing.id,
            listing_title: listing.title.clone(),
            guaranteed_genuine: false,
            quantity: 1,
            unit_price: Money::new(4_000, Currency::USD),
            flash_deal: false,
            shipping: ShippingChoice {
                method: "Standard".into(),
                cost: Money::new(500, Currency::USD),
                min_transit_days: 3,
                max_transit_days: 7,
                country: "US".into(),
            },
            address: Address {
                name: "Timer Buyer".into(),
                line1: "1 Deadline Rd".into(),
                line2: String::new(),
                city: "Springfield".into(),
                postal_code: "12345".into(),
                country: "US".into(),
            },
            ship_by_days: 3,
            more_items: Vec::new(),
            discounts: Vec::new(),
            bundle: None,
        };
        let (order, _) = Order::checkout(new, &policy, version, now)?;
        let payment = PaymentInfo {
            gateway: "credit".into(),
            payment_ref: format!("credit_{}", order.id),
            card_last4: String::new(),
        };
        let paid = order.apply(
            OrderEvent::PaymentCaptured {
                payment,
                credit_minor: ORDER_TOTAL_MINOR,
            },
            &policy,
            now,
        )?;
        let due_at = first_due + SignedDuration::from_micros(i64::try_from(n)? * spacing_us);
        let mut stored = paid.order;
        stored.ship_by_at = due_at;
        stored.version = 1;
        debug_assert_eq!(stored.state, OrderState::Paid);
        changes.entries.extend(paid.effects.entries);
        changes.schedule.push(NewTimer {
            order_id: stored.id,
            kind: TimerKind::ShipBy,
            due_at,
        });
        changes.orders.push(OrderWrite {
            order: stored,
            expected_version: None,
        });
    }
    Ok(changes)
}

/// Lateness (closed at − due at) of every order, or of an even sample of
/// 20,000 when there are more.
async fn lateness_sample(app: &App, orders: u64) -> anyhow::Result<Vec<u32>> {
    let step = (orders / 20_000).max(1);
    let mut lateness = Vec::new();
    let mut after = None;
    let mut seen = 0_u64;
    loop {
        let page = app.store.scan_orders(after, 1_000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        for summary in page {
            seen += 1;
            if !seen.is_multiple_of(step) {
                continue;
            }
            let Some(order) = app.store.order(summary.id).await? else {
                continue;
            };
            if let Some(closed) = order.closed_at {
                let late_ms = i64::try_from(closed.duration_since(order.ship_by_at).as_millis())
                    .unwrap_or(i64::MAX)
                    .max(0);
                lateness.push(u32::try_from(late_ms.saturating_mul(1_000)).unwrap_or(u32::MAX));
            }
        }
    }
    Ok(lateness)
}

async fn count_refunds(app: &App) -> anyhow::Result<u64> {
    let mut refunds = 0;
    let mut after = 0;
    loop {
        let page = app.store.scan_entries(after, 5_000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        refunds += page
            .iter()
            .filter(|e| e.entry.kind == EntryKind::Refund)
            .count() as u64;
    }
    Ok(refunds)
}
