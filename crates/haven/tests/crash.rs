//! Crash safety: the real server is killed with SIGKILL at 20 random
//! moments while clients check out and run orders through their life
//! (ship, carrier scans, confirm), and restarted each time. Afterwards
//! every order whose request was answered 2xx exists in at least the state
//! that answer reported, `haven verify` is clean (every entry balanced and
//! once, escrow matching each order, no refund or release twice), and the
//! deadlines that fell due after the last restart fired once.
//! Runs on SQLite, and on PostgreSQL when HAVEN_TEST_DATABASE_URL is set.
//! `HAVEN_CRASH_SEED` replays a run.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::{Value, json};

const KILLS: usize = 20;
const CLIENTS: usize = 4;

/// A tiny deterministic generator (xorshift), seeded per run.
struct Dice(u64);

impl Dice {
    fn seeded() -> Dice {
        let seed = std::env::var("HAVEN_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| u64::from(std::process::id()) * 2_654_435_761 + 1);
        eprintln!("crash test seed: {seed} (HAVEN_CRASH_SEED replays it)");
        Dice(seed.max(1))
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// What a 2xx answer told the client about an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reached {
    Paid,
    Shipped,
    Completed,
}

fn state_rank(state: &str) -> Option<Reached> {
    match state {
        "paid" => Some(Reached::Paid),
        "shipped" | "delivered" => Some(Reached::Shipped),
        "completed" => Some(Reached::Completed),
        _ => None,
    }
}

struct Load {
    buyer: String,
    seller: String,
    listing: String,
    acknowledged: Mutex<Vec<(String, Reached)>>,
}

/// One client's loop until the server dies under it: check out, then take
/// the order through shipping, scans and confirmation, recording each
/// answered step.
fn client(server_addr: &str, load: &Load, client: usize, round: usize, stop: &AtomicBool) {
    let server = Server::at(server_addr);
    let mut serial = 0;
    while !stop.load(Ordering::Relaxed) {
        serial += 1;
        let key = format!("crash-{round}-{client}-{serial}");
        let (status, order) = server.request_with(
            "POST",
            "/api/v1/orders",
            Some(&load.buyer),
            Some(&checkout_body(&load.listing)),
            &[("Idempotency-Key", &key)],
        );
        if status != 201 {
            return;
        }
        let id = order["id"].as_str().unwrap_or_default().to_string();
        load.acknowledged
            .lock()
            .unwrap()
            .push((id.clone(), Reached::Paid));
        if serial % 2 == 0 {
            continue;
        }
        let number = haven_risk::tracking::simpost_number(
            (round * 100_000 + client * 10_000 + serial) as u32,
        );
        let (status, _) = server.request(
            "POST",
            &format!("/api/v1/orders/{id}/ship"),
            Some(&load.seller),
            Some(&json!({"carrier": "simpost", "tracking_number": number})),
        );
        if status != 200 {
            return;
        }
        load.acknowledged
            .lock()
            .unwrap()
            .push((id.clone(), Reached::Shipped));
        for _ in 0..3 {
            let (status, _) = server.request(
                "POST",
                &format!("/api/v1/orders/{id}/advance-parcel"),
                Some(&load.seller),
                None,
            );
            if status != 200 {
                return;
            }
        }
        let (status, done) = server.request(
            "POST",
            &format!("/api/v1/orders/{id}/confirm"),
            Some(&load.buyer),
            Some(&json!({})),
        );
        if status == 200 && done["state"] == "completed" {
            load.acknowledged
                .lock()
                .unwrap()
                .push((id, Reached::Completed));
        } else {
            return;
        }
    }
}

fn checkout_body(listing: &str) -> Value {
    json!({
        "listing_id": listing, "quantity": 1, "shipping_method": "Standard",
        "address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2035, "cvc": "123"}
    })
}

fn prepare(server: &Server) -> Load {
    let buyer = server.login("buyer@demo.haven");
    let seller = server.login("lumen@demo.haven");
    let mut body = json!({
        "title": "Crash-test lamp", "description": "Sold through twenty crashes.",
        "category": "home", "price": {"amount_minor": 4_000, "currency": "USD"}, "stock": 1_000_000,
        "ship_by_days": 3,
        "shipping": [{"name": "Standard", "rates": [{"country": "US", "cost": {"amount_minor": 500, "currency": "USD"}, "min_transit_days": 3, "max_transit_days": 7}]}]
    });
    body["images"] = json!([]);
    let (status, listing) = server.request("POST", "/api/v1/listings", Some(&seller), Some(&body));
    assert_eq!(status, 201, "{listing}");
    Load {
        buyer,
        seller,
        listing: listing["id"].as_str().unwrap().to_string(),
        acknowledged: Mutex::new(Vec::new()),
    }
}

fn crash_cycles(url: &str) {
    let mut dice = Dice::seeded();
    let mut server = Server::demo(url);
    let load = Arc::new(prepare(&server));
    for round in 0..KILLS {
        let stop = Arc::new(AtomicBool::new(false));
        let addr = server.addr.clone();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (load, stop, addr) = (load.clone(), stop.clone(), addr.clone());
                std::thread::spawn(move || client(&addr, &load, c, round, &stop))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(100 + dice.below(700)));
        drop(server); // SIGKILL, mid-load
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.join().unwrap();
        }
        server = Server::demo(url);
    }
    let acknowledged = load.acknowledged.lock().unwrap().clone();
    eprintln!(
        "{} acknowledged steps ({} completed) across {KILLS} kills",
        acknowledged.len(),
        acknowledged
            .iter()
            .filter(|(_, r)| *r == Reached::Completed)
            .count()
    );
    assert!(
        acknowledged.len() >= KILLS,
        "the load made progress: {} acknowledged steps",
        acknowledged.len()
    );
    for (id, reached) in &acknowledged {
        let (status, order) = server.request(
            "GET",
            &format!("/api/v1/orders/{id}"),
            Some(&load.buyer),
            None,
        );
        assert_eq!(status, 200, "acknowledged order {id} is there: {order}");
        let now = state_rank(order["state"].as_str().unwrap_or_default());
        assert!(
            now.is_some_and(|now| now >= *reached),
            "order {id} was acknowledged as {reached:?} and is now {}",
            order["state"]
        );
    }
    // Let the ship-by deadlines of the unshipped orders fall due: each
    // fires once, refunding once (verify counts the refunds).
    let (status, _) = server.request_form("/demo/clock", "days=4");
    assert!(status == 303 || status == 200, "clock advanced: {status}");
    std::thread::sleep(Duration::from_secs(3));
    drop(server);
    let out = haven(&["verify", "--database-url", url]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ledger OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sqlite_survives_twenty_kills_mid_load() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    crash_cycles(&url);
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_survives_twenty_kills_mid_load() {
    let Some(scratch) = PgScratch::create("haven_crash").await else {
        return;
    };
    let url = scratch.url.clone();
    let run = url.clone();
    tokio::task::spawn_blocking(move || crash_cycles(&run))
        .await
        .unwrap();
    scratch.drop_schema().await;
}
