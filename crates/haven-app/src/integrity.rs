//! Review integrity: the brushing detector (`haven_risk::brushing`) run on
//! Haven's own reviews.
//!
//! - **On each new review**, the same engine runs over the review's
//!   neighbourhood (the store's recent reviews and those reviewers' other
//!   reviews, bounded), plus the single-review quick check, so an obvious
//!   ring is caught while it writes.
//! - **A scheduled full pass** (`integrity_interval_s`) reads the last
//!   [`FULL_PASS_DAYS`] of reviews, bounded to [`FULL_PASS_MAX_REVIEWS`].
//!
//! A flagged review is kept, excluded from every score and shown as
//! "removed by review integrity". Each detection opens a case per store with
//! the evidence and gives the store a strike; an agent upholds or reverses
//! it (reversal restores the reviews and withdraws the strike).

use std::collections::{BTreeMap, HashSet};

use haven_domain::Timestamp;
use haven_domain::events::EventType;
use haven_domain::ids::{StoreId, StrikeId};
use haven_domain::reputation::{IntegrityFlag, Reversal, Review, ReviewId};
use haven_risk::brushing::{self, Flag, Params, ReviewRecord};
use haven_store::{
    CaseReview, CaseStatus, Changeset, IntegrityCase, IntegrityCaseWrite, NewOutboxEvent, Page,
    PageRequest, ReviewSignal, ReviewWrite,
};
use serde::Serialize;

use crate::App;
use crate::accounts::Actor;
use crate::error::{AppError, AppResult};

pub const FULL_PASS_DAYS: i64 = 180;
pub const FULL_PASS_MAX_REVIEWS: usize = 2_000_000;
/// Reviews read around one new review.
const NEIGHBOURHOOD_LIMIT: u32 = 2_000;
const NEIGHBOURHOOD_DAYS: i64 = 90;
const SCAN_PAGE: u32 = 5_000;
/// Owner identifier rows read for one store's neighbourhood check, and
/// for the full pass over every store.
const OWNER_IDS_PER_STORE: u32 = 500;
const FULL_PASS_MAX_OWNER_IDS: u32 = 500_000;

/// What one detector run changed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IntegrityReport {
    pub reviews_read: usize,
    pub newly_flagged: usize,
    pub cases_opened: usize,
}

fn record_of(s: &ReviewSignal) -> ReviewRecord {
    ReviewRecord {
        id: s.review_id.to_string(),
        order_id: s.order_id.to_string(),
        buyer: s.buyer_id.to_string(),
        store: s.store_id.to_string(),
        product: s.listing_id.to_string(),
        rating: s.rating,
        ts: s.created_at.as_second(),
        buyer_created_ts: Some(s.buyer_created_at.as_second()),
        device: s.device.clone(),
        ip: s.ip.clone(),
        address: s.address.clone(),
        card: s.card.clone(),
    }
}

/// The detector's view of a store owner's identifiers. A loopback IP is
/// this machine (a demo, a test, a proxy without `trust_proxy`), never the
/// owner's, so it is left out as it is from payments.
fn owner_of(ids: haven_store::OwnerIdentifiers) -> brushing::StoreOwner {
    brushing::StoreOwner {
        store: ids.store_id.to_string(),
        device: ids.device,
        ip: ids.ip.filter(|ip| {
            ip.parse::<std::net::IpAddr>()
                .is_ok_and(|a| !a.is_loopback())
        }),
        address: ids.address,
        card: ids.card,
    }
}

/// Whether the review's order used an identifier the store's owner used.
fn shares_with_owner(review: &ReviewSignal, owners: &[brushing::StoreOwner]) -> bool {
    let store = review.store_id.to_string();
    let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
    owners.iter().filter(|o| o.store == store).any(|o| {
        same(&review.device, &o.device)
            || same(&review.card, &o.card)
            || same(&review.address, &o.address)
            || same(&review.ip, &o.ip)
    })
}

/// The quick check's context for `review`, from its neighbourhood.
fn quick_context(
    review: &ReviewSignal,
    around: &[ReviewSignal],
    owners: &[brushing::StoreOwner],
) -> brushing::QuickContext {
    const WINDOW_S: i64 = 3 * 86_400;
    let at = review.created_at.as_second();
    let others: Vec<&ReviewSignal> = around
        .iter()
        .filter(|s| s.review_id != review.review_id)
        .collect();
    let buyer_stores: HashSet<StoreId> = others
        .iter()
        .filter(|s| s.buyer_id == review.buyer_id)
        .map(|s| s.store_id)
        .chain([review.store_id])
        .collect();
    let store_rows: Vec<&&ReviewSignal> = others
        .iter()
        .filter(|s| s.store_id == review.store_id && s.buyer_id != review.buyer_id)
        .collect();
    let shares = |s: &ReviewSignal| {
        let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        same(&s.device, &review.device)
            || same(&s.card, &review.card)
            || same(&s.address, &review.address)
    };
    let recent: Vec<&&&ReviewSignal> = store_rows
        .iter()
        .filter(|s| at - s.created_at.as_second() <= WINDOW_S)
        .collect();
    let older = store_rows.len() - recent.len();
    let span_days = store_rows
        .iter()
        .map(|s| (at - s.created_at.as_second()) as f64 / 86_400.0)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let fives = recent.iter().filter(|s| s.rating == 5).count();
    brushing::QuickContext {
        account_age_secs: Some(at - review.buyer_created_at.as_second()),
        buyer_distinct_stores: buyer_stores.len() as u32,
        shares_with_owner: shares_with_owner(review, owners),
        recent_reviewers_sharing: store_rows.iter().filter(|s| shares(s)).count() as u32,
        store_recent_reviews: recent.len() as u32,
        recent_window_secs: WINDOW_S,
        store_baseline_per_day: older as f64 / span_days,
        store_recent_five_share: if recent.is_empty() {
            0.0
        } else {
            fives as f64 / recent.len() as f64
        },
    }
}

impl App {
    /// Run the detector around a review that was just written. Failures are
    /// logged: the scheduled pass catches what this misses.
    pub(crate) async fn integrity_check_new_review(&self, review: &Review) {
        if let Err(err) = self.integrity_around(review).await {
            tracing::warn!(review = %review.id, error = %err.message, "review integrity check failed");
        }
    }

    async fn integrity_around(&self, review: &Review) -> AppResult<IntegrityReport> {
        let since = self.now() - haven_domain::SignedDuration::from_hours(24 * NEIGHBOURHOOD_DAYS);
        let mut around = self
            .store
            .review_signals_for(
                Some(review.store_id),
                Some(review.buyer_id),
                since,
                NEIGHBOURHOOD_LIMIT,
            )
            .await?;
        // The store's reviewers' other reviews: camouflage shows there.
        let reviewers: HashSet<_> = around.iter().map(|s| s.buyer_id).collect();
        let mut seen: HashSet<ReviewId> = around.iter().map(|s| s.review_id).collect();
        for buyer in reviewers.into_iter().take(200) {
            for s in self
                .store
                .review_signals_for(None, Some(buyer), since, 50)
                .await?
            {
                if seen.insert(s.review_id) {
                    around.push(s);
                }
            }
        }
        let records: Vec<ReviewRecord> = around.iter().map(record_of).collect();
        let owners: Vec<brushing::StoreOwner> = self
            .store
            .store_owner_identifiers(Some(review.store_id), since, OWNER_IDS_PER_STORE)
            .await?
            .into_iter()
            .map(owner_of)
            .collect();
        let mut found = brushing::detect_report(&records, &owners, &Params::default());
        if let Some(this) = around.iter().find(|s| s.review_id == review.id)
            && !found.flags.iter().any(|f| f.id == review.id.to_string())
            && let Some(flag) = brushing::quick_check(
                &record_of(this),
                &quick_context(this, &around, &owners),
                &Params::default(),
            )
        {
            found.flags.push(flag);
        }
        self.apply_integrity_flags(&around, found).await
    }

    /// The scheduled full pass over recent reviews.
    pub async fn run_integrity_pass(&self) -> AppResult<IntegrityReport> {
        let since = self.now() - haven_domain::SignedDuration::from_hours(24 * FULL_PASS_DAYS);
        let mut signals: Vec<ReviewSignal> = Vec::new();
        let mut after = None;
        while signals.len() < FULL_PASS_MAX_REVIEWS {
            let batch = self.store.review_signals(since, after, SCAN_PAGE).await?;
            let Some(last) = batch.last() else { break };
            after = Some(last.review_id);
            signals.extend(batch);
        }
        let records: Vec<ReviewRecord> = signals.iter().map(record_of).collect();
        let owners: Vec<brushing::StoreOwner> = self
            .store
            .store_owner_identifiers(None, since, FULL_PASS_MAX_OWNER_IDS)
            .await?
            .into_iter()
            .map(owner_of)
            .collect();
        // Seconds of CPU on a big marketplace: off the async workers.
        let report = tokio::task::spawn_blocking(move || {
            brushing::detect_report(&records, &owners, &Params::default())
        })
        .await
        .map_err(|err| AppError::internal(format!("brushing detector: {err}")))?;
        let mut out = self.apply_integrity_flags(&signals, report).await?;
        out.reviews_read = signals.len();
        Ok(out)
    }

    /// Flag the reviews not flagged yet, one case and one strike per store.
    async fn apply_integrity_flags(
        &self,
        signals: &[ReviewSignal],
        found: brushing::Report,
    ) -> AppResult<IntegrityReport> {
        let by_id: BTreeMap<String, &ReviewSignal> = signals
            .iter()
            .map(|s| (s.review_id.to_string(), s))
            .collect();
        let mut per_store: BTreeMap<StoreId, Vec<(&ReviewSignal, Flag)>> = BTreeMap::new();
        for flag in found.flags {
            if let Some(signal) = by_id.get(&flag.id).filter(|s| !s.already_flagged) {
                per_store
                    .entry(signal.store_id)
                    .or_default()
                    .push((signal, flag));
            }
        }
        let mut report = IntegrityReport::default();
        for (store, flagged) in per_store {
            let key = store.to_string();
            let evidence: Vec<String> = found
                .blocks
                .iter()
                .filter(|b| b.stores.contains(&key))
                .flat_map(|b| b.reasons.iter().cloned())
                .collect();
            report.newly_flagged += self.open_case(store, &flagged, &evidence).await?;
            report.cases_opened += 1;
            self.reassess_quietly(store).await;
        }
        Ok(report)
    }

    async fn open_case(
        &self,
        store: StoreId,
        flagged: &[(&ReviewSignal, Flag)],
        evidence: &[String],
    ) -> AppResult<usize> {
        let now = self.now();
        let mut changes = Changeset::default();
        let mut case_reviews = Vec::new();
        for (signal, flag) in flagged {
            let Some(before) = self.store.review(signal.review_id).await? else {
                continue;
            };
            if before.integrity.is_some() {
                continue; // flagged before (a reversed flag stays reversed)
            }
            let mut after = before.clone();
            after.integrity = Some(IntegrityFlag {
                at: now,
                score: flag.score,
                reasons: flag.reasons.clone(),
                reversed: None,
            });
            changes.stat_deltas.extend(haven_domain::reputation::delta(
                store,
                0,
                &haven_domain::reputation::review_facts(&before),
                &haven_domain::reputation::review_facts(&after),
            ));
            changes.reviews.push(ReviewWrite {
                review: after,
                expected_version: Some(before.version),
            });
            case_reviews.push(CaseReview {
                review_id: signal.review_id,
                buyer_id: signal.buyer_id,
                score: flag.score,
                reasons: flag.reasons.clone(),
            });
        }
        if case_reviews.is_empty() {
            return Ok(0);
        }
        let count = case_reviews.len();
        // One ring, one strike: what the incremental check finds while a
        // ring is still writing joins the store's open case.
        let (case, expected_version) = match self.store.open_integrity_case(store).await? {
            Some(mut open) => {
                let version = open.version;
                open.reviews.extend(case_reviews);
                open.evidence = case_evidence(&open.reviews, evidence);
                (open, Some(version))
            }
            None => {
                let strike_id = StrikeId::new();
                changes.strikes.push(haven_store::Strike {
                    id: strike_id,
                    store_id: store,
                    order_id: None,
                    dispute_id: None,
                    reason: "review integrity: reviews removed as brushing".into(),
                    at: now,
                });
                let case = IntegrityCase {
                    id: uuid::Uuid::now_v7(),
                    store_id: store,
                    status: CaseStatus::Open,
                    created_at: now,
                    evidence: case_evidence(&case_reviews, evidence),
                    reviews: case_reviews,
                    strike_id: Some(strike_id),
                    decided_by: None,
                    decided_at: None,
                    note: String::new(),
                    version: 1,
                };
                (case, None)
            }
        };
        changes.outbox.push(integrity_event(&case, now));
        changes.integrity_cases.push(IntegrityCaseWrite {
            case,
            expected_version,
        });
        self.store.commit(changes).await?;
        tracing::warn!(store = %store, reviews = count, "review integrity: brushing flagged");
        Ok(count)
    }

    /// Cases for the console, newest first.
    pub async fn integrity_cases(
        &self,
        actor: &Actor,
        status: Option<CaseStatus>,
        page: &PageRequest,
    ) -> AppResult<Page<IntegrityCase>> {
        self.require_agent(actor)?;
        Ok(self.store.integrity_cases(status, page).await?)
    }

    pub async fn integrity_case(&self, actor: &Actor, id: uuid::Uuid) -> AppResult<IntegrityCase> {
        self.require_agent(actor)?;
        self.store
            .integrity_case(id)
            .await?
            .ok_or_else(|| AppError::not_found("integrity case"))
    }

    /// An agent upholds a case, or reverses it: the reviews count again and
    /// the strike is withdrawn.
    pub async fn decide_integrity_case(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        uphold: bool,
        note: &str,
    ) -> AppResult<IntegrityCase> {
        let before = self.integrity_case(actor, id).await?;
        if before.status != CaseStatus::Open {
            return Err(AppError::invalid_state("this case has been decided"));
        }
        let now = self.now();
        let mut case = before.clone();
        case.status = if uphold {
            CaseStatus::Upheld
        } else {
            CaseStatus::Reversed
        };
        case.decided_by = Some(actor.id());
        case.decided_at = Some(now);
        case.note = haven_domain::text::optional_line("note", note, 500)?;
        let mut changes = Changeset::default();
        if !uphold {
            self.reverse_flags(&case, actor, now, &mut changes).await?;
            changes.remove_strikes.extend(case.strike_id);
        }
        changes.outbox.push(integrity_event(&case, now));
        changes.integrity_cases.push(IntegrityCaseWrite {
            case: case.clone(),
            expected_version: Some(before.version),
        });
        self.store.commit(changes).await?;
        self.reassess_quietly(case.store_id).await;
        case.version += 1;
        Ok(case)
    }

    async fn reverse_flags(
        &self,
        case: &IntegrityCase,
        actor: &Actor,
        now: Timestamp,
        changes: &mut Changeset,
    ) -> AppResult<()> {
        for item in &case.reviews {
            let Some(before) = self.store.review(item.review_id).await? else {
                continue;
            };
            let mut after = before.clone();
            let Some(flag) = after.integrity.as_mut().filter(|f| f.reversed.is_none()) else {
                continue;
            };
            flag.reversed = Some(Reversal {
                by: actor.id(),
                at: now,
                note: case.note.clone(),
            });
            changes.stat_deltas.extend(haven_domain::reputation::delta(
                before.store_id,
                0,
                &haven_domain::reputation::review_facts(&before),
                &haven_domain::reputation::review_facts(&after),
            ));
            changes.reviews.push(ReviewWrite {
                review: after,
                expected_version: Some(before.version),
            });
        }
        Ok(())
    }
}

/// The case's evidence in words: the block's reasons that concern these
/// reviews, and the commonest per-review reasons.
fn case_evidence(reviews: &[CaseReview], block_reasons: &[String]) -> Vec<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in reviews {
        for reason in &r.reasons {
            *counts.entry(reason.as_str()).or_default() += 1;
        }
    }
    let mut common: Vec<(&str, usize)> = counts.into_iter().collect();
    common.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut out: Vec<String> = common
        .into_iter()
        .take(8)
        .map(|(reason, n)| format!("{reason} ({n} of {} reviews)", reviews.len()))
        .collect();
    out.extend(block_reasons.iter().take(8).cloned());
    out
}

fn integrity_event(case: &IntegrityCase, now: Timestamp) -> NewOutboxEvent {
    NewOutboxEvent {
        topic: EventType::ReviewIntegrityChanged.to_string(),
        payload: serde_json::json!({
            "case_id": case.id,
            "store_id": case.store_id,
            "status": case.status.as_str(),
            "reviews": case.reviews.len(),
        }),
        created_at: now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(store: StoreId, card: Option<&str>, ip: Option<&str>) -> ReviewSignal {
        ReviewSignal {
            review_id: uuid::Uuid::now_v7(),
            order_id: haven_domain::ids::OrderId::new(),
            buyer_id: haven_domain::ids::UserId::new(),
            store_id: store,
            listing_id: haven_domain::ids::ListingId::new(),
            rating: 5,
            created_at: haven_domain::Timestamp::UNIX_EPOCH,
            buyer_created_at: haven_domain::Timestamp::UNIX_EPOCH,
            device: None,
            ip: ip.map(String::from),
            address: None,
            card: card.map(String::from),
            already_flagged: false,
        }
    }

    #[test]
    fn a_review_shares_with_its_own_store_s_owner_only_on_a_known_value() {
        let (mine, other) = (StoreId::new(), StoreId::new());
        let owners = vec![brushing::StoreOwner {
            store: mine.to_string(),
            card: Some("card-1".into()),
            ..brushing::StoreOwner::default()
        }];
        assert!(shares_with_owner(
            &signal(mine, Some("card-1"), None),
            &owners
        ));
        assert!(
            !shares_with_owner(&signal(other, Some("card-1"), None), &owners),
            "another store's owner"
        );
        assert!(!shares_with_owner(
            &signal(mine, Some("card-2"), None),
            &owners
        ));
        assert!(
            !shares_with_owner(&signal(mine, None, None), &owners),
            "unknown is not shared"
        );
    }

    #[test]
    fn loopback_sign_ins_are_not_an_owner_identifier() {
        let store = StoreId::new();
        let ids = |ip: &str| haven_store::OwnerIdentifiers {
            store_id: store,
            device: None,
            card: None,
            address: None,
            ip: Some(ip.into()),
        };
        assert_eq!(owner_of(ids("127.0.0.1")).ip, None);
        assert_eq!(owner_of(ids("::1")).ip, None);
        assert_eq!(
            owner_of(ids("203.0.113.9")).ip.as_deref(),
            Some("203.0.113.9")
        );
    }
}
