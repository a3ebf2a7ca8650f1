//! The real binary, end to end: help, migrate, the demo's golden path over
//! HTTP, and `verify` on a clean and on a corrupted database, on SQLite and
//! (when HAVEN_TEST_DATABASE_URL is set) PostgreSQL.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["migrate", "--help"],
        vec!["verify", "--help"],
        vec!["reconcile", "--help"],
        vec!["scan", "--help"],
    ] {
        let out = haven(&args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage"), "{args:?}: {text}");
    }
    let out = haven(&["serve", "--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in ["--bind", "--database-url", "--config", "HAVEN_DATABASE_URL"] {
        assert!(text.contains(flag), "serve --help mentions {flag}");
    }
}

#[test]
fn rejects_unknown_database_schemes() {
    let out = haven(&["migrate", "--database-url", "mysql://localhost/x"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite:// or postgres://"));
}

/// Buy, ship, deliver, confirm and pay out through the demo's HTTP API.
fn golden_path(server: &Server) {
    let buyer = server.login("buyer@demo.haven");
    let (id, seller) = shipped_demo_order(server, &buyer, 2);
    let id = id.as_str();
    // The demo's history already paid this store; count from here.
    let (_, before) = server.request("GET", "/api/v1/seller/balance", Some(&seller), None);
    let before = before["available"]["amount_minor"].as_i64().unwrap();
    for _ in 0..3 {
        let (status, body) = server.request(
            "POST",
            &format!("/api/v1/orders/{id}/advance-parcel"),
            Some(&seller),
            None,
        );
        assert_eq!(status, 200, "{body}");
    }
    let (status, done) = server.request(
        "POST",
        &format!("/api/v1/orders/{id}/confirm"),
        Some(&buyer),
        Some(&json!({})),
    );
    assert_eq!(
        (status, done["state"].as_str()),
        (200, Some("completed")),
        "{done}"
    );
    // 2 × 49.00 + 5.00 = 103.00; 8 % = 8.24; the seller gets 94.76.
    let (_, balance) = server.request("GET", "/api/v1/seller/balance", Some(&seller), None);
    assert_eq!(
        balance["available"]["amount_minor"].as_i64(),
        Some(before + 9_476),
        "{balance}"
    );
    let (status, _) = server.request(
        "POST",
        "/api/v1/seller/payouts",
        Some(&seller),
        Some(&json!({})),
    );
    assert_eq!(status, 201);
}

/// The process dies (abort, by failpoint) after the gateway captured the
/// card and before the order was recorded. After a restart, the client's
/// retry with the same Idempotency-Key gets its paid order, the card was
/// charged once, and reconciliation and verify agree.
#[test]
fn a_crash_between_capture_and_commit_charges_the_card_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    let (checkout, first_status) = {
        let mut server =
            Server::demo_with_env(&url, &[("HAVEN_FAILPOINT", "checkout.after_capture")]);
        let buyer = server.login("buyer@demo.haven");
        let checkout = lamp_checkout(&server, 1);
        let (status, _) = server.request_with(
            "POST",
            "/api/v1/orders",
            Some(&buyer),
            Some(&checkout),
            &[("Idempotency-Key", "crash-1")],
        );
        let exit = server.wait_for_exit(Duration::from_secs(10));
        assert!(
            exit.is_some_and(|s| !s.success()),
            "the failpoint aborts: {exit:?}"
        );
        (checkout, status)
    };
    assert_eq!(first_status, 0, "no answer from a dead server");
    let server = Server::demo(&url);
    let buyer = server.login("buyer@demo.haven");
    let (status, order) = server.request_with(
        "POST",
        "/api/v1/orders",
        Some(&buyer),
        Some(&checkout),
        &[("Idempotency-Key", "crash-1")],
    );
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["state"], "paid", "{order}");
    let (_, orders) = server.request("GET", "/api/v1/orders", Some(&buyer), None);
    let lamp_orders: Vec<_> = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["listing_id"] == checkout["listing_id"])
        .collect();
    assert_eq!(lamp_orders.len(), 1, "{orders}");
    drop(server);
    let out = haven(&["reconcile", "--database-url", &url]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 matched"), "{stdout}");
    assert!(
        !stdout.contains("REFUND"),
        "charged once, nothing to give back: {stdout}"
    );
    assert_verify(&url, true);
}

fn assert_verify(database_url: &str, clean: bool) -> String {
    let out = haven(&["verify", "--database-url", database_url]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.success(),
        clean,
        "stdout: {stdout}\nstderr: {stderr}"
    );
    if clean {
        assert!(stdout.contains("ledger OK"), "{stdout}");
    } else {
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr.contains("VIOLATION"), "{stderr}");
    }
    stderr
}

#[test]
fn sqlite_demo_golden_path_then_verify_clean_and_corrupted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    let url = format!("sqlite://{}", path.display());
    let migrated = haven(&["migrate", "--database-url", &url]);
    assert!(migrated.status.success(), "{migrated:?}");
    {
        let server = Server::demo(&url);
        golden_path(&server);
    }
    assert_verify(&url, true);

    // Break double entry behind Haven's back: one posting gains a cent.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE ledger_postings SET amount_minor = amount_minor + 1 WHERE rowid = (SELECT MIN(rowid) FROM ledger_postings)", []).unwrap();
    drop(conn);
    let stderr = assert_verify(&url, false);
    assert!(stderr.contains("does not sum to zero"), "{stderr}");
}

#[tokio::test]
async fn postgres_demo_golden_path_then_verify_clean_and_corrupted() {
    let Some(scratch) = PgScratch::create("haven_cli").await else {
        return;
    };
    let url = scratch.url.clone();
    let migrated = haven(&["migrate", "--database-url", &url]);
    assert!(migrated.status.success(), "{migrated:?}");
    {
        let server = Server::demo(&url);
        golden_path(&server);
    }
    assert_verify(&url, true);

    // An escrow account drained below zero behind Haven's back.
    sqlx::query(&format!(
        "UPDATE {schema}.ledger_postings SET amount_minor = amount_minor - 100000 WHERE id = (SELECT MIN(id) FROM {schema}.ledger_postings WHERE account LIKE 'escrow:%' AND amount_minor < 0)",
        schema = scratch.schema
    ))
    .execute(&scratch.pool)
    .await
    .unwrap();
    let stderr = assert_verify(&url, false);
    assert!(
        stderr.contains("went negative") || stderr.contains("does not sum to zero"),
        "{stderr}"
    );
    scratch.drop_schema().await;
}

#[test]
fn config_file_then_environment_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let db = |name: &str| dir.path().join(name);
    let config = dir.path().join("haven.toml");
    std::fs::write(
        &config,
        format!(
            "database_url = \"sqlite://{}\"\n[policy]\ncommission_bps = 900\n",
            db("from-file.db").display()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();

    let run = |env: Option<&str>, flag: Option<&str>| {
        let mut cmd = std::process::Command::new(BIN);
        cmd.args(["migrate", "--config", config])
            .env_remove("HAVEN_DATABASE_URL");
        if let Some(url) = env {
            cmd.env("HAVEN_DATABASE_URL", url);
        }
        if let Some(url) = flag {
            cmd.args(["--database-url", url]);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
    };
    run(None, None);
    assert!(
        db("from-file.db").exists(),
        "the file's database_url is used"
    );
    let env_url = format!("sqlite://{}", db("from-env.db").display());
    run(Some(&env_url), None);
    assert!(db("from-env.db").exists(), "the environment beats the file");
    let flag_url = format!("sqlite://{}", db("from-flag.db").display());
    run(Some(&env_url), Some(&flag_url));
    assert!(db("from-flag.db").exists(), "a flag beats the environment");

    std::fs::write(dir.path().join("bad.toml"), "commission = 5\n").unwrap();
    let out = haven(&[
        "migrate",
        "--config",
        dir.path().join("bad.toml").to_str().unwrap(),
    ]);
    assert!(!out.status.success(), "unknown keys are refused");
}

#[test]
fn serve_refuses_the_public_development_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = std::process::Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url", &url])
        .env_remove("HAVEN_CARRIER_WEBHOOK_SECRET")
        .env_remove("HAVEN_GATEWAY_WEBHOOK_SECRET")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "serve must not start with secrets anyone can read"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("carrier_webhook_secret"), "{stderr}");
}

/// Run `haven scan` (brand Haven, domain haven.example, plus `extra`
/// flags) over `stdin_text`.
fn scan(extra: &[&str], stdin_text: String) -> std::process::Output {
    let mut args = vec!["scan", "--brand", "Haven", "--domain", "haven.example"];
    args.extend_from_slice(extra);
    with_stdin(&args, &stdin_text)
}

/// Run the binary with `args`, feeding `stdin_text` on standard input.
fn with_stdin(args: &[&str], stdin_text: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(BIN)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin_text.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// A labelled export goes in as it is (extra fields are ignored), and
/// `--evaluate` scores it: a scam counts only when caught with a right
/// category, a benign message when flagged at all.
#[test]
fn scan_takes_labelled_lines_and_evaluates_them() {
    let lines = [
        json!({"id": 1, "lang": "en", "from": "seller", "stage": "after_order", "source": "export-7",
               "text": "Pay me by bank transfer instead and save 20%: IBAN DE89 3704 0044 0532 0130 00",
               "label": {"verdict": "block", "categories": ["off_platform_payment"]}}),
        json!({"id": 2, "lang": "en", "from": "seller", "stage": "after_order",
               "text": "Your parcel shipped today, tracking is on the order page.",
               "label": {"verdict": "allow", "categories": []}}),
        // Caught, but only under the wrong category: not counted as caught.
        json!({"id": 3, "lang": "de", "from": "seller", "stage": "after_order",
               "text": "Pay me by bank transfer instead and save 20%: IBAN DE89 3704 0044 0532 0130 00",
               "label": {"verdict": "warn", "categories": ["dispute_pressure"]}}),
        json!({"id": 4, "from": "buyer", "stage": "pre_order", "text": "Is it still available?"}),
    ];
    let input = lines
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("\n");

    let plain = scan(&[], input.clone());
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&plain.stdout).lines().count(), 4);

    let evaluated = scan(&["--evaluate"], input);
    assert!(evaluated.status.success());
    let report = String::from_utf8_lossy(&evaluated.stdout);
    assert!(
        report.starts_with(
            "scams caught with a right category: 0.500 (1/2); benign flagged: 0.000 (0/1)"
        ),
        "{report}"
    );
    let row = |name: &str| {
        report
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(
        row("off_platform_payment")[1..],
        ["0.500", "1.000", "1", "1", "0"],
        "{report}"
    );
    assert_eq!(row("dispute_pressure")[3..], ["0", "0", "1"], "{report}");
    assert_eq!(row("de")[1..], ["0.000", "0/1", "0.000", "0/0"], "{report}");
    assert_eq!(row("en")[1..3], ["1.000", "1/1"], "{report}");
    assert!(report.contains("1 line(s) had no label"), "{report}");
}

/// `haven scan` over stdin: one answer per line, in order, with malformed
/// lines reported (and the exit code saying so) instead of dropped.
#[test]
fn scan_reads_json_lines_and_answers_each() {
    let input = [
        json!({"id": "ok", "from": "seller", "stage": "after_order", "text": "Your parcel shipped today, tracking is on the order page."}),
        json!({"id": 7, "from": "seller", "stage": "after_order", "text": "Pay me by bank transfer instead and save 20%: IBAN DE89 3704 0044 0532 0130 00"}),
        json!({"id": "wa", "from": "seller", "stage": "pre_order", "text": "add me on w h a t s a p p +1 415 555 0134"}),
        json!({"id": "lookalike", "from": "seller", "stage": "after_order", "text": "Confirm your payment at https://hav3n-secure.com/login"}),
    ]
    .iter()
    .map(|v| v.to_string())
    .collect::<Vec<_>>()
    .join("\n");
    let out = scan(&[], input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        json!({"id": "ok", "verdict": "allow", "categories": [], "reasons": []})
    );
    assert_eq!(lines[1]["id"], 7);
    assert_eq!(lines[1]["verdict"], "block");
    assert!(
        lines[1]["categories"]
            .as_array()
            .unwrap()
            .contains(&json!("off_platform_payment")),
        "{}",
        lines[1]
    );
    assert_ne!(lines[2]["verdict"], "allow", "{}", lines[2]);
    assert!(
        lines[2]["categories"]
            .as_array()
            .unwrap()
            .contains(&json!("off_platform_contact")),
        "{}",
        lines[2]
    );
    assert_eq!(lines[3]["verdict"], "block", "{}", lines[3]);
    assert!(
        lines[3]["categories"]
            .as_array()
            .unwrap()
            .contains(&json!("phishing_link")),
        "{}",
        lines[3]
    );
    assert!(!lines[3]["reasons"].as_array().unwrap().is_empty());

    let bad = scan(&[], "{\"id\": 1, \"from\": \"robot\", \"stage\": \"after_order\", \"text\": \"hi\"}\nnot json\n".into());
    assert!(!bad.status.success());
    let answers: Vec<serde_json::Value> = String::from_utf8_lossy(&bad.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["line"], 1);
    assert!(
        answers[0]["error"]
            .as_str()
            .unwrap()
            .contains("unknown variant"),
        "{}",
        answers[0]
    );
    assert_eq!(answers[1]["line"], 2);
}

/// `haven brushing detect` over a small export: a ring of 25 fresh
/// accounts sharing one card and address gives one store 5★ within two
/// days, among honest long-standing reviewers of several stores.
#[test]
fn brushing_detect_flags_a_planted_ring_over_json_lines() {
    let day = 86_400_i64;
    let start = 1_760_000_000_i64;
    let mut lines = Vec::new();
    // Honest traffic: 60 old accounts, each reviewing 3 of 10 stores over
    // two months, with a natural mix of ratings.
    for b in 0..60_i64 {
        for k in 0..3_i64 {
            let store = (b * 7 + k * 3) % 10;
            let rating = [5, 4, 5, 3, 5, 2, 5, 4, 1][((b + k) % 9) as usize];
            lines.push(json!({
                "id": format!("h{b}-{k}"), "order_id": format!("ho{b}-{k}"), "buyer": format!("honest{b}"),
                "store": format!("store{store}"), "product": format!("p{store}"), "rating": rating,
                "ts": start + (b * 3 + k) * day / 3, "buyer_created_ts": start - 400 * day,
                "device": format!("dev-h{b}"), "ip": format!("10.0.{b}.1"), "address": format!("{b} Oak Ave"), "card": format!("card-h{b}")
            }));
        }
    }
    for r in 0..25_i64 {
        lines.push(json!({
            "id": format!("ring{r}"), "order_id": format!("ro{r}"), "buyer": format!("fresh{r}"),
            "store": "shady", "product": "shady-item", "rating": 5,
            "ts": start + 50 * day + r * 7_000, "buyer_created_ts": start + 50 * day + r * 7_000 - 3_600,
            "device": format!("dev-r{}", r % 3), "ip": "", "address": "99 Warehouse Rd", "card": "card-ring"
        }));
    }
    lines.push(json!({"id": "x", "rating": 9}));
    let input = lines
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    let out = with_stdin(&["brushing", "detect"], &input);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the malformed line fails the run"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 206"));
    let flagged: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ids: std::collections::BTreeSet<String> = flagged
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    let ring: std::collections::BTreeSet<String> = (0..25).map(|r| format!("ring{r}")).collect();
    assert_eq!(ids, ring, "exactly the ring's reviews");
    assert!(flagged.iter().all(|f| {
        let score = f["score"].as_f64().unwrap();
        (0.0..=1.0).contains(&score) && !f["reasons"].as_array().unwrap().is_empty()
    }));
}

/// `haven certificate verify` checks a downloaded certificate offline and
/// refuses one whose payload was edited.
#[test]
fn certificate_verify_accepts_a_signed_certificate_and_refuses_an_edited_one() {
    use haven_domain::reputation::{ProtectionTerms, TrustSnapshot};
    let key = haven_app::certificate::signing_key(&"11".repeat(32)).unwrap();
    let at: haven_domain::Timestamp = "2026-11-01T10:00:00Z".parse().unwrap();
    let payload = haven_app::certificate::CertificatePayload {
        format: haven_app::certificate::FORMAT.into(),
        order_id: haven_domain::ids::OrderId::new(),
        listing_title: "Walnut desk lamp".into(),
        quantity: 1,
        total: haven_domain::money::Money::new(4_500, haven_domain::money::Currency::USD),
        ordered_at: at,
        snapshot: TrustSnapshot {
            taken_at: at,
            store_name: "Lumen & Oak".into(),
            summary: "Open 4 years · 12,300 sold · 97.8 % positive (1,204 reviews)".into(),
            metrics: vec![("Items sold".into(), Some("12,300".into()))],
            verified_seller: true,
            protection: ProtectionTerms {
                protection_days_after_delivery: 15,
                promised_delivery_at: at,
                guarantee_bps: 1_000,
                guarantee_min_minor: 100,
                guaranteed_genuine: false,
            },
            policy_version: 1,
        },
    };
    let signed = haven_app::certificate::sign(&payload, &key);
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.json");
    std::fs::write(&good, serde_json::to_string(&signed).unwrap()).unwrap();
    let public = signed.public_key.clone();
    let out = std::process::Command::new(BIN)
        .args([
            "certificate",
            "verify",
            good.to_str().unwrap(),
            "--public-key",
            &public,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("certificate OK") && stdout.contains("97.8 % positive"),
        "{stdout}"
    );
    let mut edited = signed.clone();
    edited.payload = edited.payload.replace("97.8 %", "99.9 %");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, serde_json::to_string(&edited).unwrap()).unwrap();
    let out = std::process::Command::new(BIN)
        .args(["certificate", "verify", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("altered"));
}

/// The demo's search answers over HTTP once its worker built the index;
/// with the server stopped, `haven search rebuild` writes a node's index
/// directory from the same database, and refuses without a directory.
#[test]
fn demo_search_answers_and_search_rebuild_writes_an_index_directory() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("haven.db").display());
    {
        let server = Server::demo(&url);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let found = loop {
            let (status, body) = server.request("GET", "/api/v1/search?q=lamp&to=US", None, None);
            assert_eq!(status, 200, "{body}");
            if body["total"].as_u64().unwrap_or(0) > 0 || std::time::Instant::now() > deadline {
                break body;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        let titles = found["listings"].to_string();
        assert!(titles.contains("Walnut desk lamp"), "{found}");
        assert!(
            found["facets"]["free_shipping"].as_u64().unwrap() > 0,
            "{found}"
        );
    }
    let refused = haven(&["search", "rebuild", "--database-url", &url]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--search-index-dir"));
    let index = dir.path().join("index");
    let index_arg = index.display().to_string();
    let out = haven(&[
        "search",
        "rebuild",
        "--database-url",
        &url,
        "--search-index-dir",
        &index_arg,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: u64 = stdout
        .split_whitespace()
        .nth(3)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a count: {stdout}"));
    assert!(listed >= 33, "the demo's listings: {stdout}");
    assert!(index.join("meta.json").exists());
}
