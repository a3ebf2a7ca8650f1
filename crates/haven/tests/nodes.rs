//! Three `haven serve` processes share one PostgreSQL behind a round-robin
//! client. Buyers race for a limited stock while one node is killed with
//! SIGKILL; clients retry a failed request on the next node with the same
//! Idempotency-Key. Then abandoned card challenges expire (their deadline
//! is one minute here) and cancellations are refunded, on whichever nodes
//! pick the work up.
//!
//! Afterwards: stock was never oversold, every acknowledged order exists,
//! each deadline fired once (each abandoned order restocked exactly once),
//! each refund reached the card once, `haven verify` is clean, and the
//! three nodes' NATS relays put each business event on the stream once.
//! Runs when HAVEN_TEST_DATABASE_URL names a PostgreSQL server.

mod common;

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const STOCK: i64 = 60;
const BUYERS: usize = 6;
const ATTEMPTS_PER_BUYER: usize = 16;

struct Node {
    child: Option<Child>,
    server: Server,
}

impl Node {
    fn start(config: &std::path::Path) -> Node {
        let addr = format!("127.0.0.1:{}", free_port());
        let child = Command::new(BIN)
            .args(["serve", "--config"])
            .arg(config)
            .args(["--bind", &addr])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haven serve starts");
        let node = Node {
            child: Some(child),
            server: Server::at(&addr),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if node.server.request("GET", "/healthz", None, None).0 == 200 {
                return node;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("haven serve did not start");
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Send to node `first`, moving on to the next node while one does not
/// answer, as a load balancer's retry would.
fn round_robin(
    nodes: &[Server],
    first: usize,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    for step in 0..nodes.len() * 2 {
        let node = &nodes[(first + step) % nodes.len()];
        let (status, answer) = node.request_with(method, path, token, body, headers);
        if status != 0 && status != 502 && status != 503 {
            return (status, answer);
        }
    }
    (0, Value::Null)
}

/// Place an order as a careful client does: on a 202 (payment still being
/// confirmed) ask again with the same Idempotency-Key, a few times, the way
/// a client polls; the replay finishes the capture once the gateway answers.
fn place_until_settled(
    servers: &[Server],
    first: usize,
    buyer: &str,
    listing: &str,
    key: &str,
) -> (u16, Value) {
    let mut answer = (0, Value::Null);
    for poll in 0..20 {
        answer = round_robin(
            servers,
            first + poll,
            "POST",
            "/api/v1/orders",
            Some(buyer),
            Some(&checkout(listing, "4242424242424242")),
            &[("Idempotency-Key", key)],
        );
        if answer.0 != 202 {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    answer
}

fn register(server: &Server, email: &str, role: &str) -> String {
    let (status, body) = server.request(
        "POST",
        "/api/v1/auth/register",
        None,
        Some(&json!({"email": email, "password": PASSWORD, "display_name": email, "role": role})),
    );
    assert_eq!(status, 201, "{body}");
    server.login(email)
}

fn checkout(listing: &str, card: &str) -> Value {
    json!({
        "listing_id": listing, "quantity": 1, "shipping_method": "Standard",
        "address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "card": {"number": card, "exp_month": 12, "exp_year": 2035, "cvc": "123"}
    })
}

fn listing(server: &Server, seller: &str, title: &str, stock: i64) -> String {
    let body = json!({
        "title": title, "description": "Shared by three servers.", "category": "home",
        "price": {"amount_minor": 4_000, "currency": "USD"}, "stock": stock, "ship_by_days": 3,
        "shipping": [{"name": "Standard", "rates": [{"country": "US", "cost": {"amount_minor": 500, "currency": "USD"}, "min_transit_days": 3, "max_transit_days": 7}]}]
    });
    let (status, created) = server.request("POST", "/api/v1/listings", Some(seller), Some(&body));
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_string()
}

fn stock_of(server: &Server, listing: &str) -> i64 {
    server
        .request("GET", &format!("/api/v1/listings/{listing}"), None, None)
        .1["stock"]
        .as_i64()
        .unwrap()
}

/// Every documented business event the database has published, as
/// (position, id), in order.
async fn published_events(url: &str) -> Vec<(i64, String)> {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT pos, id::text, topic FROM outbox WHERE pos IS NOT NULL ORDER BY pos",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    rows.into_iter()
        .filter(|(_, _, topic)| haven_domain::events::EventType::parse(topic).is_some())
        .map(|(pos, id, _)| (pos, id))
        .collect()
}

/// All three nodes relay to one stream: each event is on it once, in order.
async fn relayed_exactly_once(url: &str, stream: &str) {
    let client = nats().await.expect("NATS answered before");
    let jetstream = async_nats::jetstream::new(client);
    let published = published_events(url).await;
    settle(&jetstream, stream, published.len()).await;
    let relayed: Vec<(i64, String)> = stream_messages(&jetstream, stream)
        .await
        .into_iter()
        .map(|(seq, id, _, _)| (seq, id))
        .collect();
    assert_eq!(relayed, published, "each event once, in published order");
    jetstream.delete_stream(stream).await.unwrap();
}

fn three_nodes(url: &str, dir: &std::path::Path, relay_stream: Option<&str>) {
    let config = dir.join("haven.toml");
    let relay = relay_stream
        .map(|stream| {
            format!(
                "nats_url = \"{NATS_URL}\"\nnats_stream = \"{stream}\"\nnats_subject_prefix = \"haventest.{}\"\n",
                stream.to_lowercase()
            )
        })
        .unwrap_or_default();
    std::fs::write(
        &config,
        format!(
            "{relay}database_url = \"{url}\"\ncarrier_webhook_secret = \"nodes-test-carrier-secret-0123456789\"\n\
             gateway_webhook_secret = \"nodes-test-gateway-secret-0123456789\"\n\
             certificate_signing_key = \"6e6f6465732d746573742d63657274696669636174652d6b65792d2d2d2d2d21\"\nmail_dir = \"{mail}\"\n\
             blob_store_url = \"{blobs}\"\ntimer_interval_ms = 200\n\n[policy]\nunpaid_expiry_minutes = 1\n",
            mail = dir.join("mail").display(),
            blobs = dir.join("blobs").display(),
        ),
    )
    .unwrap();
    let migrated = haven(&["migrate", "--config", config.to_str().unwrap()]);
    assert!(migrated.status.success(), "{migrated:?}");
    let mut nodes: Vec<Node> = (0..3).map(|_| Node::start(&config)).collect();
    let servers: Vec<Server> = nodes.iter().map(|n| Server::at(&n.server.addr)).collect();

    let seller = register(&servers[0], "seller@nodes.test", "seller");
    let (status, store) = servers[1].request(
        "POST",
        "/api/v1/stores",
        Some(&seller),
        Some(&json!({"name": "Three Nodes"})),
    );
    assert_eq!(status, 201, "{store}");
    let scarce = listing(&servers[2], &seller, "Scarce lamp", STOCK);
    let buyers: Vec<String> = (0..BUYERS)
        .map(|b| register(&servers[b % 3], &format!("b{b}@nodes.test"), "buyer"))
        .collect();

    // The race: more attempts than stock, round-robin, one node killed
    // half-way (its in-flight requests die with it).
    let acknowledged = Mutex::new(BTreeSet::new());
    let out_of_stock = Mutex::new(0_usize);
    std::thread::scope(|scope| {
        for (b, buyer) in buyers.iter().enumerate() {
            let (servers, scarce, acknowledged, out_of_stock) =
                (&servers, &scarce, &acknowledged, &out_of_stock);
            scope.spawn(move || {
                for attempt in 0..ATTEMPTS_PER_BUYER {
                    let key = format!("race-{b}-{attempt}");
                    let (status, order) =
                        place_until_settled(servers, b + attempt, buyer, scarce, &key);
                    match status {
                        // 202: the payment is still being confirmed (a retry
                        // reached a node while the capture was in flight);
                        // the order holds its stock either way.
                        201 | 202 => {
                            let id = order["id"].as_str().unwrap().to_string();
                            assert!(acknowledged.lock().unwrap().insert(id), "one order per key");
                        }
                        409 => *out_of_stock.lock().unwrap() += 1,
                        other => panic!("unexpected {other}: {order}"),
                    }
                }
            });
        }
        std::thread::sleep(Duration::from_millis(300));
        nodes[2].kill();
    });
    let acknowledged = acknowledged.into_inner().unwrap();
    assert_eq!(
        acknowledged.len() as i64,
        STOCK,
        "sold out exactly, never oversold"
    );
    assert_eq!(stock_of(&servers[0], &scarce), 0);
    let live = &servers[..2];

    // Deadlines and commands on the two nodes left: abandoned challenges
    // expire after a minute (each restocks once and releases its hold), and
    // accepted cancellations are refunded to the card once.
    let spare = listing(&servers[0], &seller, "Spare lamp", 10);
    for (b, buyer) in buyers.iter().enumerate().take(4) {
        let (status, pending) = live[b % 2].request(
            "POST",
            "/api/v1/orders",
            Some(buyer),
            Some(&checkout(&spare, "4000002760003184")),
        );
        assert_eq!(status, 202, "{pending}");
    }
    assert_eq!(stock_of(&servers[0], &spare), 6);
    let to_cancel: Vec<(usize, String)> = buyers
        .iter()
        .enumerate()
        .filter_map(|(b, buyer)| {
            let (_, orders) =
                live[b % 2].request("GET", "/api/v1/orders?limit=100", Some(buyer), None);
            orders["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["state"] == "paid" && o["listing_id"] == scarce.as_str())
                .map(|o| (b, o["id"].as_str().unwrap().to_string()))
        })
        .collect();
    for (b, order) in &to_cancel {
        let (status, body) = live[*b % 2].request(
            "POST",
            &format!("/api/v1/orders/{order}/cancel-request"),
            Some(&buyers[*b]),
            Some(&json!({})),
        );
        assert_eq!(status, 200, "{body}");
        let (status, body) = live[(*b + 1) % 2].request(
            "POST",
            &format!("/api/v1/orders/{order}/cancel-response"),
            Some(&seller),
            Some(&json!({"accept": true})),
        );
        assert_eq!(status, 200, "{body}");
    }
    let deadline = Instant::now() + Duration::from_secs(150);
    while stock_of(&servers[0], &spare) != 10 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_secs(2));
    }
    assert_eq!(
        stock_of(&servers[0], &spare),
        10,
        "each expiry restocked exactly once"
    );
    // Every scarce order that closed without shipping gave its unit back
    // once: the accepted cancellations, and any order whose node died
    // before the gateway heard of it (the capture command cancels it).
    let closed = scarce_orders_closed(live, &buyers, &scarce);
    assert!(closed >= to_cancel.len() as i64, "{closed} closed");
    assert_eq!(
        stock_of(&servers[0], &scarce),
        closed,
        "each cancellation restocked exactly once"
    );
    // Give the dispatchers a moment to send the last refunds and voids.
    std::thread::sleep(Duration::from_secs(3));
    for (b, buyer) in buyers.iter().enumerate() {
        let (_, orders) = live[b % 2].request("GET", "/api/v1/orders?limit=100", Some(buyer), None);
        for order in orders["items"].as_array().unwrap() {
            if order["listing_id"] == scarce.as_str() {
                assert!(
                    acknowledged.contains(order["id"].as_str().unwrap()),
                    "no order without an acknowledgement: {order}"
                );
            }
        }
    }
    if let Some(stream) = relay_stream {
        tokio::runtime::Handle::current().block_on(relayed_exactly_once(url, stream));
    }
    drop(nodes);
    let out = haven(&["verify", "--config", config.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ledger OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn three_nodes_share_one_postgres_without_double_work() {
    let Some(scratch) = PgScratch::create("haven_nodes").await else {
        return;
    };
    let url = scratch.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    // The relay part runs when NATS does (CI requires it).
    let relay_stream = nats()
        .await
        .map(|_| format!("HAVEN_NODES_{}", uuid::Uuid::now_v7().simple()));
    tokio::task::spawn_blocking(move || three_nodes(&url, &path, relay_stream.as_deref()))
        .await
        .unwrap();
    scratch.drop_schema().await;
}

/// Orders on `listing`, across all buyers, that are cancelled or refunded.
fn scarce_orders_closed(live: &[Server], buyers: &[String], listing: &str) -> i64 {
    let mut closed = 0;
    for (b, buyer) in buyers.iter().enumerate() {
        let (_, orders) =
            live[b % live.len()].request("GET", "/api/v1/orders?limit=100", Some(buyer), None);
        closed += orders["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| {
                o["listing_id"] == listing
                    && (o["state"] == "cancelled" || o["state"] == "refunded")
            })
            .count() as i64;
    }
    closed
}
