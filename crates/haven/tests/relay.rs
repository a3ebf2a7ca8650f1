//! The NATS JetStream relay against the real server and the NATS server on
//! this machine: every documented business event reaches the stream once,
//! in published order, across a SIGKILL and restart. Set
//! HAVEN_REQUIRE_NATS=1 (CI does) to fail instead of skipping when NATS is
//! not running.

mod common;

use common::*;

fn buy_lamp(server: &Server) {
    let buyer = server.login("buyer@demo.haven");
    let checkout = lamp_checkout(server, 1);
    let (status, order) = server.request("POST", "/api/v1/orders", Some(&buyer), Some(&checkout));
    assert_eq!(status, 201, "{order}");
}

/// Every event the events API lists, as (seq, id), in order.
fn feed(server: &Server) -> Vec<(i64, String)> {
    let agent = server.login("agent@demo.haven");
    let (mut out, mut after) = (Vec::new(), 0);
    loop {
        let (status, page) = server.request(
            "GET",
            &format!("/api/v1/events?after={after}&limit=500"),
            Some(&agent),
            None,
        );
        assert_eq!(status, 200, "{page}");
        for item in page["items"].as_array().unwrap() {
            out.push((
                item["seq"].as_i64().unwrap(),
                item["id"].as_str().unwrap().to_string(),
            ));
        }
        match page["next_after"].as_i64() {
            Some(next) => after = next,
            None => return out,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn events_reach_jetstream_once_in_order_across_a_kill() {
    let Some(client) = nats().await else {
        return;
    };
    let jetstream = async_nats::jetstream::new(client);
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let stream = format!("HAVEN_TEST_{tag}");
    let prefix = format!("haventest.{tag}");
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("relay.db").display());
    let env = [
        ("HAVEN_NATS_URL", NATS_URL),
        ("HAVEN_NATS_STREAM", stream.as_str()),
        ("HAVEN_NATS_SUBJECT_PREFIX", prefix.as_str()),
    ];

    let server = Server::demo_with_env(&url, &env);
    let first = tokio::task::block_in_place(|| {
        buy_lamp(&server);
        feed(&server)
    });
    assert!(!first.is_empty(), "the demo and a checkout publish events");
    settle(&jetstream, &stream, first.len()).await;
    drop(server); // SIGKILL

    let server = Server::demo_with_env(&url, &env);
    let all = tokio::task::block_in_place(|| {
        buy_lamp(&server);
        feed(&server)
    });
    assert!(
        all.len() > first.len(),
        "the second checkout published more"
    );
    assert_eq!(&all[..first.len()], &first[..], "the feed only grows");
    settle(&jetstream, &stream, all.len()).await;

    let relayed = stream_messages(&jetstream, &stream).await;
    let relayed_ids: Vec<(i64, String)> = relayed
        .iter()
        .map(|(seq, id, _, _)| (*seq, id.clone()))
        .collect();
    assert_eq!(relayed_ids, all, "each event once, in published order");
    for (_, id, msg_id, subject) in &relayed {
        assert_eq!(
            id, msg_id,
            "the message id is the event id (JetStream drops repeats)"
        );
        assert!(subject.starts_with(&format!("{prefix}.")), "{subject}");
    }
    assert!(
        relayed
            .iter()
            .any(|(_, _, _, subject)| subject == &format!("{prefix}.order.paid")),
        "a paid order is on its subject"
    );

    jetstream.delete_stream(&stream).await.unwrap();
}
