//! Brushing rings, by style. An operator has a few devices, cards,
//! drop addresses and proxy IPs, and a stock of accounts (fresh or bought
//! aged); how much of that is shared, how fast, and what padding is added
//! differ by style.

use super::{DAY, END_TS, Ids, Ring, RingStyle, START_TS, Truth, World};

/// What an operator shares: a pool of values and the share of accounts
/// that use it (the others have their own).
struct Pool {
    size: usize,
    share: f64,
}

struct Plan {
    accounts: (usize, usize),
    targets: (usize, usize),
    /// Account creation, days before the campaign starts.
    created_days_before: (i64, i64),
    duration_days: (i64, i64),
    /// Chance an account reviews each target (at least one is reviewed).
    per_target: f64,
    /// One review per account, to one target.
    one_review_each: bool,
    /// Padding reviews of honest stores, per account.
    camouflage: (usize, usize),
    /// Earlier reviews of honest stores, before the campaign (aged stock).
    history: (usize, usize),
    /// Cumulative 3★, 4★, 5★ chances.
    ratings: [f64; 3],
    device: Pool,
    card: Pool,
    address: Pool,
    ip: Pool,
}

fn plan(style: RingStyle, rng_accounts: usize) -> Plan {
    let pool = |size: usize, share: f64| Pool {
        size: size.max(1),
        share,
    };
    match style {
        RingStyle::Naive => Plan {
            accounts: (15, 60),
            targets: (1, 2),
            created_days_before: (0, 3),
            duration_days: (2, 5),
            per_target: 1.0,
            one_review_each: false,
            camouflage: (0, 0),
            history: (0, 0),
            ratings: [0.0, 0.0, 1.0],
            device: pool(3, 0.85),
            card: pool(2, 0.8),
            address: pool(2, 0.7),
            ip: pool(2, 0.8),
        },
        RingStyle::Camouflage => Plan {
            accounts: (15, 50),
            targets: (2, 4),
            created_days_before: (1, 40),
            duration_days: (7, 21),
            per_target: 0.85,
            one_review_each: false,
            camouflage: (2, 6),
            history: (0, 0),
            ratings: [0.0, 0.05, 1.0],
            device: pool(rng_accounts / 6, 0.6),
            card: pool(rng_accounts / 5, 0.5),
            address: pool(3, 0.25),
            ip: pool(3, 0.5),
        },
        RingStyle::Aged => Plan {
            accounts: (10, 40),
            targets: (1, 2),
            created_days_before: (60, 500),
            duration_days: (21, 45),
            per_target: 0.8,
            one_review_each: false,
            camouflage: (0, 1),
            history: (0, 4),
            ratings: [0.0, 0.1, 1.0],
            device: pool(1, 0.0),
            card: pool(2, 0.15),
            address: pool(2, 0.4),
            ip: pool(3, 0.3),
        },
        RingStyle::Sparse => Plan {
            accounts: (100, 500),
            targets: (3, 6),
            created_days_before: (0, 20),
            duration_days: (14, 30),
            per_target: 0.0,
            one_review_each: true,
            camouflage: (0, 0),
            history: (0, 0),
            ratings: [0.0, 0.0, 1.0],
            device: pool(5, 0.1),
            card: pool(1, 0.0),
            address: pool(1, 0.0),
            ip: pool(5, 0.15),
        },
        RingStyle::MixedRatings => Plan {
            accounts: (12, 40),
            targets: (1, 2),
            created_days_before: (5, 60),
            duration_days: (5, 14),
            per_target: 0.9,
            one_review_each: false,
            camouflage: (0, 1),
            history: (0, 0),
            ratings: [0.05, 0.3, 1.0],
            device: pool(rng_accounts / 5, 0.5),
            card: pool(2, 0.4),
            address: pool(2, 0.3),
            ip: pool(2, 0.4),
        },
    }
}

/// One ring account's fixed identifiers (the IP varies per review).
struct Account {
    name: String,
    created_ts: i64,
    ids: Ids,
    uses_proxy: bool,
}

impl World {
    /// Plant one ring of `style` with at most about `budget` target
    /// reviews; returns how many target reviews it wrote.
    pub(super) fn plant_ring(&mut self, style: RingStyle, budget: usize) -> usize {
        let range = plan(style, 0).accounts;
        let accounts = self.rng.between(range.0, range.1);
        // Pool sizes can depend on the number of accounts.
        let plan = plan(style, accounts);
        let n_targets = self.rng.between(plan.targets.0, plan.targets.1);
        let per_account = if plan.one_review_each {
            1.0
        } else {
            n_targets as f64 * plan.per_target
        };
        // The last ring of a quota is smaller, but still a ring.
        let accounts = accounts
            .min((budget as f64 / per_account).ceil() as usize)
            .max(plan.accounts.0);
        let duration = self
            .rng
            .between(plan.duration_days.0 as usize, plan.duration_days.1 as usize)
            as i64
            * DAY;
        let start = self.rng.secs(START_TS + 20 * DAY, END_TS - duration - DAY);
        let targets: Vec<usize> = (0..n_targets).map(|_| self.target_store(start)).collect();
        let ring = self.rings.len() as u32;
        self.rings.push(Ring {
            style,
            targets: targets
                .iter()
                .map(|&s| self.stores[s].name.clone())
                .collect(),
            accounts,
        });
        let pools =
            [&plan.device, &plan.card, &plan.address, &plan.ip].map(|p| self.pool_names(p.size));
        let mut planted = 0;
        for _ in 0..accounts {
            let account = self.ring_account(&plan, &pools, start);
            planted += self.ring_reviews(
                &plan,
                &account,
                &targets,
                &pools[3],
                (start, duration),
                ring,
            );
        }
        planted
    }

    fn pool_names(&mut self, size: usize) -> Vec<String> {
        (0..size).map(|_| self.fresh("x")).collect()
    }

    /// A small or new shop (the ones that buy reviews), not already used.
    fn target_store(&mut self, campaign_start: i64) -> usize {
        let n = self.stores.len();
        loop {
            let s = self.rng.between(n / 20, n - 1);
            let store = &self.stores[s];
            if !store.reserved && store.opened_ts + 7 * DAY < campaign_start {
                self.stores[s].reserved = true;
                return s;
            }
        }
    }

    fn ring_account(&mut self, plan: &Plan, pools: &[Vec<String>; 4], start: i64) -> Account {
        let before = self.rng.secs(
            plan.created_days_before.0 * DAY,
            plan.created_days_before.1 * DAY,
        );
        let pick = |pool: &Pool, names: &Vec<String>, prefix: &str, world: &mut World| {
            if world.rng.chance(pool.share) {
                names[world.rng.between(0, names.len() - 1)].clone()
            } else {
                world.fresh(prefix)
            }
        };
        let device = pick(&plan.device, &pools[0], "d", self);
        let card = pick(&plan.card, &pools[1], "c", self);
        let address = pick(&plan.address, &pools[2], "a", self);
        let home_ip = self.fresh("ip");
        Account {
            name: self.fresh("u"),
            created_ts: start - before,
            ids: Ids {
                device,
                card,
                address,
                ip: home_ip,
            },
            uses_proxy: self.rng.chance(plan.ip.share),
        }
    }

    fn ring_ip(&mut self, account: &Account, proxies: &[String]) -> String {
        if account.uses_proxy {
            proxies[self.rng.between(0, proxies.len() - 1)].clone()
        } else if self.rng.chance(0.5) {
            self.nat_ip()
        } else {
            account.ids.ip.clone()
        }
    }

    fn ring_reviews(
        &mut self,
        plan: &Plan,
        account: &Account,
        targets: &[usize],
        proxies: &[String],
        (start, duration): (i64, i64),
        ring: u32,
    ) -> usize {
        let chosen: Vec<usize> = if plan.one_review_each {
            vec![targets[self.rng.between(0, targets.len() - 1)]]
        } else {
            let mut chosen: Vec<usize> = targets
                .iter()
                .copied()
                .filter(|_| self.rng.chance(plan.per_target))
                .collect();
            if chosen.is_empty() {
                chosen.push(targets[self.rng.between(0, targets.len() - 1)]);
            }
            chosen
        };
        for &store in &chosen {
            let ts = (start + self.rng.secs(0, duration)).max(account.created_ts + 600);
            let rating = 3 + self.rng.pick(&plan.ratings) as u8;
            let ids = Ids {
                ip: self.ring_ip(account, proxies),
                ..account.ids.clone()
            };
            self.push(
                &account.name,
                account.created_ts,
                store,
                rating,
                ts,
                ids,
                Truth {
                    ring: Some(ring),
                    positive: true,
                },
            );
        }
        let padding = self.rng.between(plan.camouflage.0, plan.camouflage.1);
        let padding_end = (start + duration + 30 * DAY).min(END_TS);
        self.padding_reviews(
            account,
            proxies,
            padding,
            (account.created_ts, padding_end),
            ring,
        );
        let history = self.rng.between(plan.history.0, plan.history.1);
        self.padding_reviews(account, proxies, history, (account.created_ts, start), ring);
        chosen.len()
    }

    /// Reviews of honest, mostly popular stores, rated as honest buyers
    /// rate them: the ring's disguise. Not positives.
    fn padding_reviews(
        &mut self,
        account: &Account,
        proxies: &[String],
        count: usize,
        (from, to): (i64, i64),
        ring: u32,
    ) {
        for _ in 0..count {
            let store = self.popular_store();
            let ts = self
                .rng
                .secs(from.max(START_TS), to)
                .max(account.created_ts + 600);
            let ts = self.when_open(store, ts);
            let rating = self.rating(self.stores[store].quality);
            let ids = Ids {
                ip: self.ring_ip(account, proxies),
                ..account.ids.clone()
            };
            self.push(
                &account.name,
                account.created_ts,
                store,
                rating,
                ts,
                ids,
                Truth {
                    ring: Some(ring),
                    positive: false,
                },
            );
        }
    }
}
