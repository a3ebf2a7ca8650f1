//! Drive the built `haven` binary: start it, talk HTTP to it, stop it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_haven");
pub const PASSWORD: &str = "haven-demo-password";

pub fn haven(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("haven runs")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Server {
    child: Option<Child>,
    pub addr: String,
    /// The demo's working directory, so its ./haven-data (mail, evidence
    /// files) goes away with it.
    scratch: Option<tempfile::TempDir>,
}

impl Server {
    /// `haven demo` on `database_url`, waiting until it answers.
    pub fn demo(database_url: &str) -> Server {
        Self::demo_with_env(database_url, &[])
    }

    /// `haven demo` with extra environment variables (a failpoint, say).
    pub fn demo_with_env(database_url: &str, env: &[(&str, &str)]) -> Server {
        let addr = format!("127.0.0.1:{}", free_port());
        let scratch = tempfile::tempdir().unwrap();
        let child = Command::new(BIN)
            .args(["demo", "--bind", &addr, "--database-url", database_url])
            .current_dir(scratch.path())
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haven demo starts");
        let mut server = Server {
            child: Some(child),
            addr,
            scratch: Some(scratch),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = server.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("haven demo exited early: {status}");
            }
            if TcpStream::connect(&server.addr).is_ok()
                && server
                    .request("GET", "/api/v1/listings?limit=1", None, None)
                    .0
                    == 200
            {
                return server;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!("haven demo did not start");
    }

    /// A minimal HTTP/1.1 client: one request per connection.
    pub fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        self.request_with(method, path, token, body, &[])
    }

    /// As `request`, with extra headers. Status 0: the connection was
    /// dropped without an answer.
    pub fn request_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut extra = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        for (name, value) in headers {
            extra.push_str(&format!("{name}: {value}\r\n"));
        }
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        let Ok(mut stream) = TcpStream::connect(&self.addr) else {
            return (0, Value::Null);
        };
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        if stream.write_all(request.as_bytes()).is_err() {
            return (0, Value::Null);
        }
        // A server that dies mid-request resets the connection: no answer.
        read_answer(&mut stream)
    }

    pub fn login(&self, email: &str) -> String {
        let (status, json) = self.request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(&serde_json::json!({"email": email, "password": PASSWORD})),
        );
        assert_eq!(status, 200, "{json}");
        json["token"].as_str().unwrap().to_string()
    }
}

/// Read a response to its end: (status, head, body); status 0 when none.
fn read_raw(stream: &mut TcpStream) -> (u16, String, String) {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    let (head, payload) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_string(), payload.to_string())
}

/// Read a response to its end: (status, JSON body). Status 0 and Null when
/// nothing readable came back.
fn read_answer(stream: &mut TcpStream) -> (u16, Value) {
    let (status, head, payload) = read_raw(stream);
    let payload = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(&payload)
    } else {
        payload
    };
    (
        status,
        serde_json::from_str(&payload).unwrap_or(Value::Null),
    )
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}

impl Server {
    /// A client for a server another handle owns.
    pub fn at(addr: &str) -> Server {
        Server {
            child: None,
            addr: addr.to_string(),
            scratch: None,
        }
    }

    /// Post a web form the way a browser does: fetch a page for the CSRF
    /// cookie, then send it back with the token field. Returns the status.
    pub fn request_form(&self, path: &str, fields: &str) -> (u16, String) {
        let (_, head, _) = self.raw("GET", "/", "", "");
        let token = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
            .find_map(|(_, value)| value.trim().strip_prefix("haven_csrf="))
            .and_then(|v| v.split(';').next())
            .unwrap_or_default()
            .to_string();
        let body = format!("csrf={token}&{fields}");
        let headers = format!(
            "Cookie: haven_csrf={token}\r\nOrigin: http://{}\r\nContent-Type: application/x-www-form-urlencoded\r\n",
            self.addr
        );
        let (status, _, payload) = self.raw("POST", path, &headers, &body);
        (status, payload)
    }

    /// One raw request: (status, response head, body).
    fn raw(&self, method: &str, path: &str, headers: &str, body: &str) -> (u16, String, String) {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        let Ok(mut stream) = TcpStream::connect(&self.addr) else {
            return (0, String::new(), String::new());
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
        if stream.write_all(request.as_bytes()).is_err() {
            return (0, String::new(), String::new());
        }
        read_raw(&mut stream)
    }

    /// The server process's id, when this handle started it.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The demo's working directory (its ./haven-data lives there).
    pub fn workdir(&self) -> Option<&std::path::Path> {
        self.scratch.as_ref().map(|dir| dir.path())
    }

    /// Send `total` bytes (`head`, then zeros) as a request body, 1 MiB at
    /// a time, declared with Content-Length or sent chunked. Returns the
    /// status and JSON answer; the body is never built whole here either.
    pub fn stream_upload(
        &self,
        path: &str,
        token: &str,
        head: &[u8],
        total: usize,
        chunked: bool,
    ) -> (u16, Value) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let length = if chunked {
            "Transfer-Encoding: chunked".to_string()
        } else {
            format!("Content-Length: {total}")
        };
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/octet-stream\r\n{length}\r\nConnection: close\r\n\r\n",
            self.addr
        );
        let mut sent = stream.write_all(request.as_bytes()).is_ok();
        let mut block = vec![0_u8; 1 << 20];
        block[..head.len()].copy_from_slice(head);
        let mut left = total;
        while left > 0 && sent {
            let piece = &block[..left.min(block.len())];
            sent = if chunked {
                stream
                    .write_all(format!("{:x}\r\n", piece.len()).as_bytes())
                    .and_then(|()| stream.write_all(piece))
                    .and_then(|()| stream.write_all(b"\r\n"))
                    .is_ok()
            } else {
                stream.write_all(piece).is_ok()
            };
            left -= piece.len();
            block[..head.len()].fill(0);
        }
        if chunked && sent {
            let _ = stream.write_all(b"0\r\n\r\n");
        }
        // A refusal may come (and the connection close) before the body ends.
        read_answer(&mut stream)
    }

    /// Wait for the process to end by itself (a failpoint's abort).
    pub fn wait_for_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Server {
    /// SIGKILL: no chance to flush or say goodbye.
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A fresh schema on the PostgreSQL server named by
/// HAVEN_TEST_DATABASE_URL, so a test's nodes share it and nothing else.
pub struct PgScratch {
    pub pool: sqlx::PgPool,
    pub schema: String,
    /// A database URL whose search_path is the scratch schema.
    pub url: String,
}

impl PgScratch {
    /// None (and a note on stderr) when no PostgreSQL server is configured.
    #[allow(dead_code)]
    pub async fn create(prefix: &str) -> Option<PgScratch> {
        let Ok(base) = std::env::var("HAVEN_TEST_DATABASE_URL") else {
            eprintln!("HAVEN_TEST_DATABASE_URL not set: skipping the PostgreSQL half");
            return None;
        };
        let schema = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
        let pool = sqlx::PgPool::connect(&base).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&pool)
            .await
            .unwrap();
        let separator = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{separator}options=-c%20search_path%3D{schema}");
        Some(PgScratch { pool, schema, url })
    }

    #[allow(dead_code)]
    pub async fn drop_schema(self) {
        sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.schema))
            .execute(&self.pool)
            .await
            .unwrap();
    }
}

// NATS JetStream, for the relay tests.

pub const NATS_URL: &str = "nats://127.0.0.1:4222";

/// A client for the NATS server on this machine; None (test skipped)
/// when it is not running, unless HAVEN_REQUIRE_NATS is set.
pub async fn nats() -> Option<async_nats::Client> {
    let connect = async_nats::connect(NATS_URL);
    match tokio::time::timeout(Duration::from_secs(3), connect).await {
        Ok(Ok(client)) => Some(client),
        _ if std::env::var_os("HAVEN_REQUIRE_NATS").is_some() => {
            panic!("HAVEN_REQUIRE_NATS is set but NATS is not answering at {NATS_URL}")
        }
        _ => {
            eprintln!("NATS not running at {NATS_URL}: skipping the relay test");
            None
        }
    }
}

/// Every message on the stream, as (seq, id, Nats-Msg-Id, subject), in stream order.
pub async fn stream_messages(
    jetstream: &async_nats::jetstream::Context,
    stream: &str,
) -> Vec<(i64, String, String, String)> {
    let stream = jetstream.get_stream(stream).await.unwrap();
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config::default())
        .await
        .unwrap();
    let mut batch = consumer
        .fetch()
        .max_messages(10_000)
        .expires(Duration::from_secs(1))
        .messages()
        .await
        .unwrap();
    let mut out = Vec::new();
    while let Some(message) = batch.next().await {
        let message = message.unwrap();
        let body: Value = serde_json::from_slice(&message.payload).unwrap();
        let msg_id = message
            .headers
            .as_ref()
            .and_then(|h| h.get("Nats-Msg-Id"))
            .map(|v| v.to_string())
            .unwrap_or_default();
        out.push((
            body["seq"].as_i64().unwrap(),
            body["id"].as_str().unwrap().to_string(),
            msg_id,
            message.subject.to_string(),
        ));
    }
    out
}

/// Wait until the stream holds as many messages as the feed lists.
pub async fn settle(jetstream: &async_nats::jetstream::Context, stream: &str, want: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut info = jetstream.get_stream(stream).await.unwrap();
        let have = info.info().await.unwrap().state.messages as usize;
        if have >= want || Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A checkout request for `quantity` of the demo's walnut lamp, paid with
/// the always-approved card.
pub fn lamp_checkout(server: &Server, quantity: u32) -> Value {
    let (_, listings) = server.request(
        "GET",
        "/api/v1/listings?category=home&limit=100",
        None,
        None,
    );
    let lamp = listings["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["title"] == "Walnut desk lamp")
        .expect("seeded lamp")
        .clone();
    serde_json::json!({
        "listing_id": lamp["id"], "quantity": quantity, "shipping_method": "Standard",
        "address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"}
    })
}

/// The demo buyer buys `quantity` walnut lamps and their seller (Lumen)
/// ships them with a simpost number; (order id, seller token).
pub fn shipped_demo_order(server: &Server, buyer: &str, quantity: u32) -> (String, String) {
    let checkout = lamp_checkout(server, quantity);
    let (status, order) = server.request("POST", "/api/v1/orders", Some(buyer), Some(&checkout));
    assert_eq!(status, 201, "{order}");
    let id = order["id"].as_str().unwrap().to_string();
    let seller = server.login("lumen@demo.haven");
    let number = haven_risk::tracking::simpost_number(std::process::id());
    let (status, shipped) = server.request(
        "POST",
        &format!("/api/v1/orders/{id}/ship"),
        Some(&seller),
        Some(&serde_json::json!({"carrier": "simpost", "tracking_number": number})),
    );
    assert_eq!(status, 200, "{shipped}");
    (id, seller)
}
