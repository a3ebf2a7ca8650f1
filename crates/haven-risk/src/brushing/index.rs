//! Dense integer ids for buyers, stores and identifier values, and the
//! per-entity counts every later stage needs. Built once, in O(n log n).

use std::collections::HashMap;

use super::{IdKind, ReviewRecord, StoreOwner};

/// "No identifier" in [`Index::review_ids`].
pub(super) const UNKNOWN: u32 = u32::MAX;

pub(super) struct Index {
    pub n_buyers: usize,
    pub n_stores: usize,
    pub review_buyer: Vec<u32>,
    pub review_store: Vec<u32>,
    /// Identifier values per review, in [`IdKind::ALL`] order.
    pub review_ids: Vec<[u32; 4]>,
    /// A review naming each buyer / store, to print names without copies.
    pub buyer_example: Vec<u32>,
    pub store_example: Vec<u32>,
    pub buyer_created_ts: Vec<Option<i64>>,
    /// Reviews per buyer, grouped by store (CSR over review indices).
    pub buyer_offsets: Vec<u32>,
    pub buyer_reviews: Vec<u32>,
    /// Distinct stores each buyer reviewed.
    pub buyer_store_count: Vec<u32>,
    /// Reviews per store, oldest first (CSR over review indices).
    pub store_offsets: Vec<u32>,
    pub store_reviews: Vec<u32>,
    /// Distinct buyers per store: the column degree Fraudar weighs by.
    pub store_buyer_count: Vec<u32>,
    /// Distinct buyers per identifier value, over all stores.
    pub id_buyer_count: Vec<u32>,
    pub id_kind: Vec<IdKind>,
    /// (store, identifier value) the store's owner is known to use.
    pub owner_ids: Vec<(u32, u32)>,
}

impl Index {
    pub fn build(reviews: &[ReviewRecord], owners: &[StoreOwner]) -> Index {
        let mut buyers: HashMap<&str, u32> = HashMap::new();
        let mut stores: HashMap<&str, u32> = HashMap::new();
        let mut ids: HashMap<(IdKind, &str), u32> = HashMap::new();
        let mut index = Index::empty(reviews.len());
        for (r, review) in reviews.iter().enumerate() {
            let buyer = intern(&mut buyers, &review.buyer, &mut index.buyer_example, r);
            if buyer as usize == index.buyer_created_ts.len() {
                index.buyer_created_ts.push(review.buyer_created_ts);
            } else if index.buyer_created_ts[buyer as usize].is_none() {
                index.buyer_created_ts[buyer as usize] = review.buyer_created_ts;
            }
            let store = intern(&mut stores, &review.store, &mut index.store_example, r);
            index.review_buyer.push(buyer);
            index.review_store.push(store);
            let mut row = [UNKNOWN; 4];
            for ((slot, value), kind) in row.iter_mut().zip(review.identifiers()).zip(IdKind::ALL) {
                if let Some(value) = value {
                    *slot = index.intern_id(&mut ids, kind, value);
                }
            }
            index.review_ids.push(row);
        }
        index.n_buyers = buyers.len();
        index.n_stores = stores.len();
        index.add_owners(owners, &stores, &mut ids);
        index.group_by_buyer();
        index.group_by_store(reviews);
        index.count_id_buyers();
        index
    }

    fn empty(n_reviews: usize) -> Index {
        Index {
            n_buyers: 0,
            n_stores: 0,
            review_buyer: Vec::with_capacity(n_reviews),
            review_store: Vec::with_capacity(n_reviews),
            review_ids: Vec::with_capacity(n_reviews),
            buyer_example: Vec::new(),
            store_example: Vec::new(),
            buyer_created_ts: Vec::new(),
            buyer_offsets: Vec::new(),
            buyer_reviews: Vec::new(),
            buyer_store_count: Vec::new(),
            store_offsets: Vec::new(),
            store_reviews: Vec::new(),
            store_buyer_count: Vec::new(),
            id_buyer_count: Vec::new(),
            id_kind: Vec::new(),
            owner_ids: Vec::new(),
        }
    }

    fn intern_id<'a>(
        &mut self,
        ids: &mut HashMap<(IdKind, &'a str), u32>,
        kind: IdKind,
        value: &'a str,
    ) -> u32 {
        let next = ids.len() as u32;
        let id = *ids.entry((kind, value)).or_insert(next);
        if id == next {
            self.id_kind.push(kind);
        }
        id
    }

    fn add_owners<'a>(
        &mut self,
        owners: &'a [StoreOwner],
        stores: &HashMap<&str, u32>,
        ids: &mut HashMap<(IdKind, &'a str), u32>,
    ) {
        for owner in owners {
            let Some(&store) = stores.get(owner.store.as_str()) else {
                continue;
            };
            let values = [&owner.device, &owner.card, &owner.address, &owner.ip];
            for (value, kind) in values.into_iter().zip(IdKind::ALL) {
                if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
                    let id = self.intern_id(ids, kind, value);
                    self.owner_ids.push((store, id));
                }
            }
        }
    }

    /// Buyer CSR, each buyer's reviews sorted by store so a (buyer, store)
    /// edge is a contiguous run.
    fn group_by_buyer(&mut self) {
        let mut order: Vec<u32> = (0..self.review_buyer.len() as u32).collect();
        order.sort_unstable_by_key(|&r| {
            (
                self.review_buyer[r as usize],
                self.review_store[r as usize],
                r,
            )
        });
        self.buyer_offsets = csr_offsets(
            self.n_buyers,
            order.iter().map(|&r| self.review_buyer[r as usize]),
        );
        self.buyer_store_count = vec![0; self.n_buyers];
        let mut previous: Option<(u32, u32)> = None;
        for &r in &order {
            let key = (self.review_buyer[r as usize], self.review_store[r as usize]);
            if previous != Some(key) {
                self.buyer_store_count[key.0 as usize] += 1;
                previous = Some(key);
            }
        }
        self.buyer_reviews = order;
    }

    /// Store CSR, each store's reviews oldest first, and store degrees.
    fn group_by_store(&mut self, reviews: &[ReviewRecord]) {
        let mut order: Vec<u32> = (0..self.review_store.len() as u32).collect();
        order.sort_unstable_by_key(|&r| (self.review_store[r as usize], reviews[r as usize].ts, r));
        self.store_offsets = csr_offsets(
            self.n_stores,
            order.iter().map(|&r| self.review_store[r as usize]),
        );
        self.store_reviews = order;
        let mut pairs: Vec<(u32, u32)> = (0..self.review_store.len())
            .map(|r| (self.review_store[r], self.review_buyer[r]))
            .collect();
        pairs.sort_unstable();
        pairs.dedup();
        self.store_buyer_count = vec![0; self.n_stores];
        for (store, _) in pairs {
            self.store_buyer_count[store as usize] += 1;
        }
    }

    fn count_id_buyers(&mut self) {
        let mut pairs: Vec<(u32, u32)> = Vec::with_capacity(self.review_ids.len() * 2);
        for (r, row) in self.review_ids.iter().enumerate() {
            for &id in row.iter().filter(|&&id| id != UNKNOWN) {
                pairs.push((id, self.review_buyer[r]));
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        self.id_buyer_count = vec![0; self.id_kind.len()];
        for (id, _) in pairs {
            self.id_buyer_count[id as usize] += 1;
        }
    }

    pub fn buyer_review_slice(&self, buyer: u32) -> &[u32] {
        let b = buyer as usize;
        &self.buyer_reviews[self.buyer_offsets[b] as usize..self.buyer_offsets[b + 1] as usize]
    }

    pub fn store_review_slice(&self, store: u32) -> &[u32] {
        let s = store as usize;
        &self.store_reviews[self.store_offsets[s] as usize..self.store_offsets[s + 1] as usize]
    }
}

fn intern<'a>(
    map: &mut HashMap<&'a str, u32>,
    key: &'a str,
    examples: &mut Vec<u32>,
    review: usize,
) -> u32 {
    let next = map.len() as u32;
    let id = *map.entry(key).or_insert(next);
    if id == next {
        examples.push(review as u32);
    }
    id
}

/// CSR offsets from keys already sorted ascending.
fn csr_offsets(n: usize, sorted_keys: impl Iterator<Item = u32>) -> Vec<u32> {
    let mut offsets = vec![0_u32; n + 1];
    for key in sorted_keys {
        offsets[key as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    offsets
}
