//! Honest buyers: households, offices, one-time and heavy buyers, loyal
//! customers of a favourite shop, and flash sales.

use super::{DAY, END_TS, Ids, START_TS, Truth, World, YEAR_SECS};

/// One honest person: who they are and where they connect from.
struct Person {
    name: String,
    created_ts: i64,
    device: String,
    second_device: Option<String>,
    card: String,
    address: String,
    home_ip: String,
    office_ip: Option<String>,
}

impl World {
    /// A household of one to four people sharing an address and a home IP,
    /// sometimes a tablet or a card.
    pub(super) fn honest_household(&mut self) {
        let size = if self.rng.chance(0.7) {
            1
        } else {
            self.rng.between(2, 4)
        };
        let address = self.fresh("a");
        let home_ip = self.fresh("ip");
        let shared_device = (size > 1 && self.rng.chance(0.3)).then(|| self.fresh("d"));
        let shared_card = (size > 1 && self.rng.chance(0.4)).then(|| self.fresh("c"));
        for _ in 0..size {
            let mut person = self.person(address.clone(), home_ip.clone());
            if let Some(device) = &shared_device {
                person.second_device = Some(device.clone());
            }
            if let Some(card) = &shared_card {
                person.card = card.clone();
            }
            self.honest_history(&person);
        }
    }

    fn single_person(&mut self) -> Person {
        let (address, home_ip) = (self.fresh("a"), self.fresh("ip"));
        self.person(address, home_ip)
    }

    fn person(&mut self, address: String, home_ip: String) -> Person {
        let created_ts = if self.rng.chance(0.65) {
            START_TS - self.rng.secs(0, 3 * YEAR_SECS)
        } else {
            self.rng.secs(START_TS, END_TS)
        };
        let office_ip = self.rng.chance(0.25).then(|| {
            let i = self.rng.pick(&self.offices);
            self.office_names[i].clone()
        });
        Person {
            name: self.fresh("u"),
            created_ts,
            device: self.fresh("d"),
            second_device: self.rng.chance(0.1).then(|| self.fresh("d")),
            card: self.fresh("c"),
            address,
            home_ip,
            office_ip,
        }
    }

    /// Most people review once; a few review a lot; some keep going back
    /// to a favourite shop.
    fn review_count(&mut self) -> usize {
        let x = self.rng.unit();
        match x {
            _ if x < 0.58 => 1,
            _ if x < 0.78 => 2,
            _ if x < 0.90 => self.rng.between(3, 6),
            _ if x < 0.97 => self.rng.between(7, 20),
            _ => self.rng.between(21, 120),
        }
    }

    fn honest_history(&mut self, person: &Person) {
        let count = self.review_count();
        let favourite = (count >= 3 && self.rng.chance(0.35)).then(|| self.popular_store());
        // New accounts buy soon after signing up (that is why they sign up).
        let first_ts = if person.created_ts >= START_TS {
            person.created_ts + self.rng.exponential(6.0 * DAY as f64) as i64
        } else {
            START_TS + self.rng.secs(0, YEAR_SECS)
        };
        for i in 0..count {
            let store = match favourite {
                Some(f) if self.rng.chance(0.55) => f,
                _ => self.popular_store(),
            };
            let ts = if i == 0 {
                first_ts
            } else {
                self.rng.secs(first_ts, END_TS)
            };
            let ts = self.when_open(store, ts);
            let rating = self.rating(self.stores[store].quality);
            let ids = self.person_ids(person);
            self.push(
                &person.name,
                person.created_ts,
                store,
                rating,
                ts,
                ids,
                Truth::default(),
            );
        }
    }

    /// `ts` if the store was open then, else a time after it opened (no
    /// pile-up on its first day).
    pub(super) fn when_open(&mut self, store: usize, ts: i64) -> i64 {
        let opened = self.stores[store].opened_ts;
        if ts > opened {
            ts.min(END_TS)
        } else {
            self.rng.secs(opened.max(START_TS), END_TS)
        }
    }

    fn person_ids(&mut self, person: &Person) -> Ids {
        let device = match &person.second_device {
            Some(second) if self.rng.chance(0.5) => second.clone(),
            _ => person.device.clone(),
        };
        let x = self.rng.unit();
        let ip = match &person.office_ip {
            Some(office) if x < 0.3 => office.clone(),
            _ if x < 0.65 => person.home_ip.clone(),
            _ => self.nat_ip(),
        };
        Ids {
            device,
            card: person.card.clone(),
            address: person.address.clone(),
            ip,
        }
    }

    /// A flash sale at a mid-popularity honest store: hundreds of reviews
    /// in a few days, most from accounts created for the sale that never
    /// buy anywhere else, the rest from the store's regulars; ratings as
    /// the store earns them, many on mobile data (carrier NAT).
    pub(super) fn flash_sale(&mut self, budget: usize) {
        let n = self.stores.len();
        let store = loop {
            let s = self.rng.between(n / 100, n / 4);
            if !self.stores[s].reserved {
                break s;
            }
        };
        self.stores[store].reserved = true;
        let size = self.rng.between(40, 400).min(budget.max(10));
        let start = self.rng.secs(START_TS + 30 * DAY, END_TS - 10 * DAY);
        let duration = self.rng.secs(DAY, 4 * DAY);
        for _ in 0..size {
            let ts = start + self.rng.secs(0, duration);
            if self.rng.chance(0.6) {
                self.flash_newcomer(store, ts);
            } else {
                self.flash_regular(store, ts);
            }
        }
        self.flash_reviews += size;
    }

    fn flash_newcomer(&mut self, store: usize, ts: i64) {
        let mut person = self.single_person();
        person.created_ts = ts - self.rng.secs(600, 3 * DAY);
        let rating = self.rating(self.stores[store].quality);
        let mut ids = self.person_ids(&person);
        if self.rng.chance(0.6) {
            ids.ip = self.nat_ip();
        }
        self.push(
            &person.name,
            person.created_ts,
            store,
            rating,
            ts,
            ids,
            Truth::default(),
        );
        // A few come back later, somewhere else.
        if self.rng.chance(0.2) {
            let other = self.popular_store();
            let later = self.rng.secs(ts, END_TS);
            let later = self.when_open(other, later);
            let rating = self.rating(self.stores[other].quality);
            let ids = self.person_ids(&person);
            self.push(
                &person.name,
                person.created_ts,
                other,
                rating,
                later,
                ids,
                Truth::default(),
            );
        }
    }

    /// A regular: several earlier reviews of the store, and one in the sale.
    fn flash_regular(&mut self, store: usize, ts: i64) {
        let person = self.single_person();
        let created_ts = person.created_ts.min(ts - 60 * DAY);
        let earlier = self.rng.between(1, 4);
        let opened = self.stores[store].opened_ts.max(START_TS);
        for i in 0..=earlier {
            let when = if i == 0 {
                ts
            } else {
                self.rng.secs(opened, END_TS)
            };
            let rating = self.rating(self.stores[store].quality);
            let ids = self.person_ids(&person);
            self.push(
                &person.name,
                created_ts,
                store,
                rating,
                when,
                ids,
                Truth::default(),
            );
        }
    }
}
