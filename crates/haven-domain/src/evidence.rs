//! The append-only, hash-chained evidence log of a dispute.
//!
//! Each entry's hash covers its content and the previous entry's hash, so
//! changing, removing or reordering any entry breaks every hash after it.
//! `haven verify` recomputes the chains; the export bundle carries them, so
//! a card network or a court can check the log was not edited afterwards.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::dispute::Party;
use crate::ids::{DisputeId, UserId};

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// The dispute was opened (reason, request, description).
    Opened,
    /// A written statement by a party.
    Message,
    /// An uploaded image or video (by content hash).
    File,
    /// A carrier scan on the order or the return.
    Tracking,
    /// A state change of the dispute.
    StateChange,
    /// An agent's decision with written reasons.
    Decision,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceEntry {
    pub dispute_id: DisputeId,
    /// 1, 2, 3… with no gaps.
    pub seq: i64,
    /// Millisecond precision, so the stored value hashes the same.
    pub at: Timestamp,
    pub actor: Party,
    pub actor_id: Option<UserId>,
    pub kind: EvidenceKind,
    pub body: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// Exactly what is hashed, in a fixed field order.
#[derive(Serialize)]
struct Hashed<'a> {
    dispute_id: &'a DisputeId,
    seq: i64,
    at_ms: i64,
    actor: Party,
    actor_id: &'a Option<UserId>,
    kind: EvidenceKind,
    body: &'a serde_json::Value,
    prev_hash: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("dispute {dispute_id}: entry {seq} is out of sequence (expected {expected})")]
    Gap {
        dispute_id: DisputeId,
        seq: i64,
        expected: i64,
    },
    #[error("dispute {dispute_id}: entry {seq} does not link to the entry before it")]
    BrokenLink { dispute_id: DisputeId, seq: i64 },
    #[error("dispute {dispute_id}: entry {seq} was altered (hash mismatch)")]
    Altered { dispute_id: DisputeId, seq: i64 },
}

impl EvidenceEntry {
    /// The next entry after `prev` (or the first, if `prev` is `None`).
    pub fn append(
        prev: Option<&EvidenceEntry>,
        dispute_id: DisputeId,
        at: Timestamp,
        actor: Party,
        actor_id: Option<UserId>,
        kind: EvidenceKind,
        body: serde_json::Value,
    ) -> EvidenceEntry {
        let at = Timestamp::from_millisecond(at.as_millisecond()).unwrap_or(at);
        let mut entry = EvidenceEntry {
            dispute_id,
            seq: prev.map_or(1, |p| p.seq + 1),
            at,
            actor,
            actor_id,
            kind,
            body,
            prev_hash: prev.map_or_else(|| GENESIS_HASH.to_string(), |p| p.hash.clone()),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    pub fn compute_hash(&self) -> String {
        let hashed = Hashed {
            dispute_id: &self.dispute_id,
            seq: self.seq,
            at_ms: self.at.as_millisecond(),
            actor: self.actor,
            actor_id: &self.actor_id,
            kind: self.kind,
            body: &self.body,
            prev_hash: &self.prev_hash,
        };
        let bytes = serde_json::to_vec(&hashed).expect("evidence entries serialise");
        hex::encode(Sha256::digest(bytes))
    }
}

/// Streaming chain check over entries ordered by (dispute, seq).
#[derive(Debug, Default)]
pub struct ChainVerifier {
    current: Option<(DisputeId, i64, String)>,
    pub entries_seen: u64,
    pub errors: Vec<ChainError>,
}

impl ChainVerifier {
    pub fn observe(&mut self, entry: &EvidenceEntry) {
        self.entries_seen += 1;
        let (expected_seq, expected_prev) = match &self.current {
            Some((dispute, seq, hash)) if *dispute == entry.dispute_id => (seq + 1, hash.clone()),
            _ => (1, GENESIS_HASH.to_string()),
        };
        if entry.seq != expected_seq {
            self.errors.push(ChainError::Gap {
                dispute_id: entry.dispute_id,
                seq: entry.seq,
                expected: expected_seq,
            });
        } else if entry.prev_hash != expected_prev {
            self.errors.push(ChainError::BrokenLink {
                dispute_id: entry.dispute_id,
                seq: entry.seq,
            });
        }
        if entry.compute_hash() != entry.hash {
            self.errors.push(ChainError::Altered {
                dispute_id: entry.dispute_id,
                seq: entry.seq,
            });
        }
        self.current = Some((entry.dispute_id, entry.seq, entry.hash.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<EvidenceEntry> {
        let dispute = DisputeId::new();
        let mut out: Vec<EvidenceEntry> = Vec::new();
        for i in 0..n {
            let entry = EvidenceEntry::append(
                out.last(),
                dispute,
                Timestamp::from_second(1_000 + i as i64).unwrap(),
                Party::Buyer,
                None,
                EvidenceKind::Message,
                serde_json::json!({ "text": format!("message {i}") }),
            );
            out.push(entry);
        }
        out
    }

    fn verify(entries: &[EvidenceEntry]) -> Vec<ChainError> {
        let mut verifier = ChainVerifier::default();
        entries.iter().for_each(|e| verifier.observe(e));
        verifier.errors
    }

    #[test]
    fn an_intact_chain_verifies() {
        let entries = chain(5);
        assert_eq!(entries[0].prev_hash, GENESIS_HASH);
        assert_eq!(entries[4].seq, 5);
        assert!(verify(&entries).is_empty());
    }

    #[test]
    fn edits_removals_and_reorders_are_detected() {
        let mut edited = chain(4);
        edited[1].body = serde_json::json!({ "text": "I never said that" });
        assert!(matches!(
            verify(&edited)[..],
            [ChainError::Altered { seq: 2, .. }]
        ));

        let mut removed = chain(4);
        removed.remove(2);
        assert!(!verify(&removed).is_empty());

        let mut rehashed = chain(4);
        rehashed[1].body = serde_json::json!({ "text": "forged" });
        rehashed[1].hash = rehashed[1].compute_hash();
        let errors = verify(&rehashed);
        assert!(
            errors
                .iter()
                .any(|e| matches!(e, ChainError::BrokenLink { seq: 3, .. })),
            "{errors:?}"
        );
    }
}
