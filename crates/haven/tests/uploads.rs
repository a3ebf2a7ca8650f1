//! Large evidence uploads through the real server: a 50 MiB video streams
//! into the blob store without the server holding it whole (its peak RSS
//! grows by far less than the file), and refused uploads (too large, by
//! declared length or mid-stream; not a photo or video) leave nothing
//! behind.

mod common;

use common::*;
use serde_json::json;

const MIB: usize = 1 << 20;
/// The start of an MP4 file: a `ftyp` box.
const MP4_HEAD: &[u8] = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom";

/// Peak resident memory of a process, in MiB.
fn peak_rss_mib(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kib: usize = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib / 1_024
}

/// A shipped demo order with a dispute open; the dispute's id.
fn open_dispute(server: &Server, buyer: &str) -> String {
    let (id, _) = shipped_demo_order(server, buyer, 1);
    let (status, dispute) = server.request(
        "POST",
        &format!("/api/v1/orders/{id}/disputes"),
        Some(buyer),
        Some(&json!({"reason": "damaged", "requested_outcome": {"type": "full_refund"}, "description": "the shade arrived cracked"})),
    );
    assert_eq!(status, 201, "{dispute}");
    dispute["id"].as_str().unwrap().to_string()
}

fn staging_files(server: &Server) -> usize {
    let staging = server.workdir().unwrap().join("haven-data/blobs/staging");
    std::fs::read_dir(staging).map_or(0, |entries| entries.count())
}

#[test]
fn a_fifty_mib_video_streams_in_and_refusals_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("uploads.db").display());
    let server = Server::demo(&url);
    let buyer = server.login("buyer@demo.haven");
    let dispute = open_dispute(&server, &buyer);
    let path = format!("/api/v1/disputes/{dispute}/evidence/files?note=unboxing");
    let pid = server.pid().unwrap();

    // Warm up the upload path with a small video, then measure the peak.
    let (status, small) = server.stream_upload(&path, &buyer, MP4_HEAD, MIB, false);
    assert_eq!(status, 201, "{small}");
    let before = peak_rss_mib(pid);
    let (status, entry) = server.stream_upload(&path, &buyer, MP4_HEAD, 50 * MIB, false);
    assert_eq!(status, 201, "{entry}");
    assert_eq!(entry["body"]["size_bytes"], 50 * MIB);
    assert_eq!(entry["body"]["content_type"], "video/mp4");
    let grown = peak_rss_mib(pid).saturating_sub(before);
    eprintln!("peak RSS {before} MiB before, grew by {grown} MiB");
    assert!(
        grown < 30,
        "peak RSS grew by {grown} MiB for a 50 MiB upload: it was held whole"
    );
    let hash = entry["body"]["sha256"].as_str().unwrap();
    let (status, _) = server.request(
        "GET",
        &format!("/api/v1/disputes/{dispute}/evidence/files/{hash}"),
        Some(&buyer),
        None,
    );
    assert_eq!(status, 200);

    // Declared too large: refused before a byte is read.
    let (status, refused) = server.stream_upload(&path, &buyer, MP4_HEAD, 50 * MIB + 1, false);
    assert_eq!(status, 413, "{refused}");
    assert_eq!(refused["error"]["code"], "body_too_large", "{refused}");
    // Undeclared (chunked) and too large: cut off mid-stream.
    let (status, refused) = server.stream_upload(&path, &buyer, MP4_HEAD, 51 * MIB, true);
    assert_eq!(status, 413, "{refused}");
    assert_eq!(refused["error"]["code"], "too_large", "{refused}");
    // Not a photo or video, by content.
    let (status, refused) = server.stream_upload(&path, &buyer, b"%PDF-1.7 invoice", MIB, true);
    assert_eq!(status, 422, "{refused}");
    assert_eq!(
        staging_files(&server),
        0,
        "refused uploads leave nothing behind"
    );

    let (_, log) = server.request(
        "GET",
        &format!("/api/v1/disputes/{dispute}/evidence"),
        Some(&buyer),
        None,
    );
    let files = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "file")
        .count();
    assert_eq!(files, 2, "only the accepted uploads are logged");
}
