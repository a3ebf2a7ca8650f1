//! Every route of the OpenAPI document, hit with random and boundary input
//! on a marketplace with some history, on SQLite and (when configured)
//! PostgreSQL. Whatever is sent:
//! - no answer is a 5xx;
//! - every error is exactly the one shape `{"error":{"code","message","details"}}`,
//!   with `details` null or an object;
//! - every status a route answers with is listed for it in the document.
//!
//! Inputs: for JSON bodies, a plausible object built from the request
//! schema, then each property replaced in turn by boundary values (wrong
//! types, empty, huge, NUL and other control characters, bidi overrides,
//! numeric extremes), plus malformed and random JSON from a seeded
//! generator; for path parameters, real ids, other users' ids and garbage;
//! for uploads, random bytes, empty and oversized bodies. The seed is fixed
//! so a failure reproduces; `HAVEN_FUZZ_SEED` and `HAVEN_FUZZ_ROUNDS` run
//! other and longer campaigns.

mod common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::TestApp;
use serde_json::{Value, json};

/// A small, seeded generator (xorshift64*): enough for fuzz input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn string(&mut self) -> String {
        const PIECES: &[&str] = &[
            "a",
            "Z",
            "0",
            " ",
            "é",
            "€",
            "😀",
            "\u{0}",
            "\u{7}",
            "\n",
            "\t",
            "\u{202e}",
            "'",
            "\"",
            "\\",
            "%00",
            "<script>",
            "../",
            "{",
            "🏳️‍🌈",
            "ＡＤＡ",
            "\u{200b}",
            "DROP TABLE",
        ];
        let len = self.below(12);
        (0..len).map(|_| PIECES[self.below(PIECES.len())]).collect()
    }

    fn value(&mut self, depth: u32) -> Value {
        match self.below(if depth > 3 { 5 } else { 8 }) {
            0 => Value::Null,
            1 => json!(self.below(2) == 0),
            2 => json!(self.next() as i64),
            3 => json!((self.next() as f64) / 7.0),
            4 => json!(self.string()),
            5 => Value::Array((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
            _ => {
                let mut map = serde_json::Map::new();
                for _ in 0..self.below(5) {
                    map.insert(self.string(), self.value(depth + 1));
                }
                Value::Object(map)
            }
        }
    }
}

fn boundary_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(""),
        json!("\u{0}"),
        json!("x\u{1b}[2Jy"),
        json!("right\u{202e}left"),
        json!("a".repeat(20_000)),
        json!(i64::MAX),
        json!(i64::MIN),
        json!(-1),
        json!(0),
        json!(1.5),
        json!(true),
        json!([]),
        json!({}),
        json!({"nested": {"deeper": [1, "two", null]}}),
        json!("00000000-0000-0000-0000-000000000000"),
    ]
}

/// Resolve `$ref`s against the document.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// A plausible value for a schema: the shape right, the content arbitrary.
fn plausible(doc: &Value, schema: &Value, depth: u32) -> Value {
    let schema = resolve(doc, schema);
    if depth > 4 {
        return Value::Null;
    }
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        return options
            .iter()
            .map(|o| plausible(doc, o, depth + 1))
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null);
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.clone(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_string(),
        _ => "object".to_string(),
    };
    match kind.as_str() {
        "string" => json!("plausible text"),
        "integer" => json!(1),
        "number" => json!(1),
        "boolean" => json!(false),
        "array" => json!([plausible(doc, &schema["items"], depth + 1)]),
        _ => {
            let mut map = serde_json::Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (name, prop) in props {
                    map.insert(name.clone(), plausible(doc, prop, depth + 1));
                }
            }
            Value::Object(map)
        }
    }
}

/// Bodies for one JSON operation.
fn json_bodies(doc: &Value, operation: &Value, rng: &mut Rng, rounds: usize) -> Vec<Vec<u8>> {
    let schema = &operation["requestBody"]["content"]["application/json"]["schema"];
    let base = plausible(doc, schema, 0);
    let mut bodies: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"{".to_vec(),
        b"{\"a\":".to_vec(),
        b"[1,2".to_vec(),
        b"\xff\xfe".to_vec(),
        b"null".to_vec(),
        b"12345".to_vec(),
        "[".repeat(2_000).into_bytes(),
        serde_json::to_vec(&base).unwrap(),
    ];
    if let Some(map) = base.as_object() {
        for key in map.keys() {
            for value in boundary_values() {
                let mut mutated = map.clone();
                mutated.insert(key.clone(), value);
                bodies.push(serde_json::to_vec(&Value::Object(mutated)).unwrap());
            }
            let mut without = map.clone();
            without.remove(key);
            bodies.push(serde_json::to_vec(&Value::Object(without)).unwrap());
        }
        let mut extra = map.clone();
        extra.insert("unexpected".into(), json!(1));
        bodies.push(serde_json::to_vec(&Value::Object(extra)).unwrap());
    }
    for _ in 0..rounds {
        bodies.push(serde_json::to_vec(&rng.value(0)).unwrap());
    }
    bodies
}

fn raw_bodies(rng: &mut Rng, rounds: usize) -> Vec<Vec<u8>> {
    let mut bodies = vec![
        Vec::new(),
        vec![0u8; 16],
        b"%PDF-".to_vec(),
        [
            &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..],
            &[1u8; 40],
        ]
        .concat(),
        vec![7u8; 9 * 1024 * 1024],
    ];
    for _ in 0..rounds.min(6) {
        let len = rng.below(4_096);
        bodies.push((0..len).map(|_| rng.next() as u8).collect());
    }
    bodies
}

struct Fuzzed {
    t: TestApp,
    world: common::World,
}

impl Fuzzed {
    fn id(&self, kind: &str) -> String {
        let w = &self.world;
        match kind {
            "order" => w.order.clone(),
            "dispute" => w.dispute.clone(),
            "conversation" => w.conversation.clone(),
            "listing" => w.listing.clone(),
            "store" => w.store.clone(),
            _ => uuid::Uuid::nil().to_string(),
        }
    }
}

/// Concrete paths for a templated one: real ids, and garbage.
fn concrete_paths(fuzzed: &Fuzzed, template: &str) -> Vec<String> {
    if !template.contains('{') {
        return vec![template.to_string()];
    }
    let real = |kind: &str| fuzzed.id(kind);
    let resource = ["orders", "disputes", "conversations", "listings", "stores"]
        .into_iter()
        .find(|r| template.contains(&format!("/{r}/{{id}}")))
        .map(|r| r.trim_end_matches('s'));
    let id = resource.map_or_else(|| uuid::Uuid::nil().to_string(), real);
    let fill = |id: &str, hash: &str, word: &str| {
        template
            .replace("{id}", id)
            .replace("{hash}", hash)
            .replace("{user_id}", id)
            .replace("{carrier}", word)
            .replace("{gateway}", word)
    };
    vec![
        fill(&id, &"a".repeat(64), "simpost"),
        fill(&uuid::Uuid::now_v7().to_string(), "zz", "nope"),
        fill("%FF%FE", "%00", "%C3%28"),
        fill("../../etc", "..", "testcard"),
    ]
}

fn check_shape(backend: &str, what: &str, r: &common::Response) {
    assert!(
        !r.status.is_server_error(),
        "{backend} {what}: {} {:?}",
        r.status,
        r.json
    );
    if !(r.status.is_client_error()) {
        return;
    }
    let error = r.json.as_object().and_then(|o| {
        (o.len() == 1).then_some(())?;
        o.get("error")?.as_object()
    });
    let Some(error) = error else {
        panic!(
            "{backend} {what}: {} outside the error shape: {:?}",
            r.status, r.json
        );
    };
    let keys: BTreeSet<&str> = error.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["code", "message", "details"]),
        "{backend} {what}: {:?}",
        r.json
    );
    assert!(
        error["code"].is_string() && error["message"].is_string(),
        "{what}"
    );
    assert!(
        error["details"].is_null() || error["details"].is_object(),
        "{backend} {what}: details {:?}",
        error["details"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_random_and_boundary_input_in_the_one_shape() {
    let seed: u64 = std::env::var("HAVEN_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x4841_5645_4e5f_465a);
    let rounds: usize = std::env::var("HAVEN_FUZZ_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    let doc = haven_server::api::openapi_json();
    for t in common::on_every_backend().await {
        let backend = t.app.store.backend();
        let world = common::World::build(&t, "fz").await;
        let fuzzed = Fuzzed { t, world };
        let mut rng = Rng(seed);
        let mut sent = 0_usize;
        let mut undocumented = BTreeSet::new();
        for (template, item) in doc["paths"].as_object().unwrap() {
            for method in ["get", "post"] {
                let Some(operation) = item.get(method) else {
                    continue;
                };
                let documented: BTreeSet<String> = operation["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .cloned()
                    .collect();
                let is_json = operation["requestBody"]["content"]
                    .get("application/json")
                    .is_some();
                let bodies = match (method, is_json) {
                    ("get", _) => vec![Vec::new()],
                    (_, true) => json_bodies(&doc, operation, &mut rng, rounds),
                    _ => raw_bodies(&mut rng, rounds),
                };
                // Signing out would end the session the next requests use.
                let tokens: Vec<Option<&str>> = if template.ends_with("/logout") {
                    vec![None]
                } else {
                    vec![
                        Some(fuzzed.world.buyer.as_str()),
                        Some(fuzzed.world.seller.as_str()),
                        Some(fuzzed.world.agent.as_str()),
                        None,
                    ]
                };
                for path in concrete_paths(&fuzzed, template) {
                    for (i, body) in bodies.iter().enumerate() {
                        let token = tokens[i % tokens.len()];
                        let query = if method == "get" && i % 2 == 0 {
                            format!("{path}?limit=100&cursor=%00bad&after=-1&role=x%0Ay")
                        } else {
                            path.clone()
                        };
                        let r = fuzzed
                            .t
                            .request(
                                &method.to_uppercase(),
                                &query,
                                token,
                                (method == "post").then(|| body.clone()),
                                &[],
                            )
                            .await;
                        let what = format!("{} {query} body#{i}", method.to_uppercase());
                        check_shape(backend, &what, &r);
                        if !documented.contains(r.status.as_str()) {
                            undocumented.insert(format!(
                                "{} {template} -> {} ({})",
                                method.to_uppercase(),
                                r.status.as_u16(),
                                r.json["error"]["code"]
                            ));
                        }
                        sent += 1;
                    }
                }
            }
        }
        assert!(
            undocumented.is_empty(),
            "{backend}: statuses the document does not list:\n{}",
            undocumented.into_iter().collect::<Vec<_>>().join("\n")
        );
        assert!(sent > 2_000, "{backend}: only {sent} requests");
        eprintln!("{backend}: {sent} fuzzed requests, every answer in shape and documented");
        fuzzed.t.verify_clean().await;
        let _ = StatusCode::OK;
    }
}
