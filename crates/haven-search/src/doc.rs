//! What the index holds for one listing.

use tantivy::TantivyDocument;
use uuid::Uuid;

use crate::schema::Fields;

/// An ISO 3166-1 alpha-2 code, packed into 0..676 for numeric fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode(u16);

impl CountryCode {
    /// `None` unless `code` is two ASCII capital letters.
    pub fn parse(code: &str) -> Option<CountryCode> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => {
                Some(CountryCode(u16::from(a - b'A') * 26 + u16::from(b - b'A')))
            }
            _ => None,
        }
    }

    pub fn as_string(self) -> String {
        let first = (self.0 / 26) as u8 + b'A';
        let second = (self.0 % 26) as u8 + b'A';
        String::from_utf8(vec![first, second]).expect("two ASCII letters")
    }

    pub(crate) fn packed(self) -> u64 {
        u64::from(self.0)
    }

    /// Stands for every country a listing does not name (its shipping's
    /// rest-of-world line); never the result of [`CountryCode::parse`].
    pub(crate) const REST_OF_WORLD: CountryCode = CountryCode(26 * 26);
}

/// Delivery days above this are stored as this (nothing ships that slowly:
/// transit is capped at 90 days and ship-by at a few weeks).
pub(crate) const MAX_DELIVERY_DAYS: u64 = 255;

/// A `free_to` value every listing with any free method also carries, so
/// "free shipping" without a destination is one term.
pub(crate) const ANY_COUNTRY: u64 = 1 << 20;

/// What `ships_from` holds when the seller did not say: ISO's code for an
/// unknown country. Every document has a value, so the column is dense
/// (cheaper to read), and the facets leave this one out.
pub(crate) const UNKNOWN_COUNTRY: &str = "ZZ";

pub(crate) fn delivery_value(country: CountryCode, days: u32, free: bool) -> u64 {
    country.packed() * 512 + u64::from(days).min(MAX_DELIVERY_DAYS) * 2 + u64::from(free)
}

/// The packed `badges` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Badges(pub u64);

impl Badges {
    const GENUINE: u64 = 1;
    const VERIFIED: u64 = 1 << 1;
    const FREE_ANYWHERE: u64 = 1 << 2;
    const RATING_SHIFT: u32 = 8;

    fn of(doc: &SearchDoc) -> Badges {
        let mut bits = u64::from(doc.rating_x100.unwrap_or(0)) << Self::RATING_SHIFT;
        if doc.guaranteed_genuine {
            bits |= Self::GENUINE;
        }
        if doc.verified_seller {
            bits |= Self::VERIFIED;
        }
        if doc.has_free_shipping() {
            bits |= Self::FREE_ANYWHERE;
        }
        Badges(bits)
    }

    pub fn genuine(self) -> bool {
        self.0 & Self::GENUINE != 0
    }

    pub fn verified(self) -> bool {
        self.0 & Self::VERIFIED != 0
    }

    pub fn free_anywhere(self) -> bool {
        self.0 & Self::FREE_ANYWHERE != 0
    }

    pub fn rating_x100(self) -> u64 {
        self.0 >> Self::RATING_SHIFT
    }
}

/// One listing as search sees it. Built by the application from the
/// listing, its store and its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDoc {
    pub listing_id: Uuid,
    pub store_id: Uuid,
    pub title: String,
    pub description: String,
    pub category: String,
    pub store_name: String,
    /// The price a buyer sees now: a running flash deal's, else the regular.
    pub price_minor: u64,
    pub ships_from: Option<CountryCode>,
    /// (destination, ship-by days + the fastest method's maximum transit).
    pub delivery_days: Vec<(CountryCode, u32)>,
    /// Destinations with at least one free method.
    pub free_shipping_to: Vec<CountryCode>,
    /// Every country not in `delivery_days`: (days, free), when the
    /// listing's shipping has a rest-of-world line.
    pub rest_of_world: Option<(u32, bool)>,
    pub guaranteed_genuine: bool,
    pub verified_seller: bool,
    /// Average stars × 100 over counted reviews; `None` without any.
    pub rating_x100: Option<u32>,
    pub units_sold: u64,
    pub created_s: i64,
    /// When `price_minor` stops being the price by the clock alone (a deal
    /// starts or ends), in Unix seconds; see [`crate::SearchIndex::due_for_reprice`].
    pub reprice_at_s: Option<i64>,
}

impl SearchDoc {
    pub(crate) fn has_free_shipping(&self) -> bool {
        !self.free_shipping_to.is_empty() || self.rest_of_world.is_some_and(|(_, free)| free)
    }

    pub(crate) fn to_document(&self, f: &Fields) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(f.listing_id, self.listing_id.to_string());
        doc.add_text(f.store_id, self.store_id.to_string());
        doc.add_text(f.title, &self.title);
        doc.add_text(f.body, &self.description);
        doc.add_text(f.body, &self.category);
        doc.add_text(f.body, &self.store_name);
        doc.add_text(f.category, &self.category);
        match self.ships_from {
            Some(country) => doc.add_text(f.ships_from, country.as_string()),
            None => doc.add_text(f.ships_from, UNKNOWN_COUNTRY),
        }
        doc.add_u64(f.price_minor, self.price_minor);
        for (country, days) in &self.delivery_days {
            let free = self.free_shipping_to.contains(country);
            doc.add_u64(f.delivery, delivery_value(*country, *days, free));
        }
        for country in &self.free_shipping_to {
            doc.add_u64(f.free_to, country.packed());
        }
        if let Some((days, free)) = self.rest_of_world {
            for (country, _) in &self.delivery_days {
                doc.add_u64(f.named, country.packed());
            }
            let elsewhere = CountryCode::REST_OF_WORLD;
            doc.add_u64(f.delivery, delivery_value(elsewhere, days, free));
            if free {
                doc.add_u64(f.free_to, elsewhere.packed());
            }
        }
        if self.has_free_shipping() {
            doc.add_u64(f.free_to, ANY_COUNTRY);
        }
        doc.add_u64(f.genuine, u64::from(self.guaranteed_genuine));
        doc.add_u64(f.verified_seller, u64::from(self.verified_seller));
        doc.add_u64(f.rating_x100, u64::from(self.rating_x100.unwrap_or(0)));
        doc.add_u64(f.badges, Badges::of(self).0);
        doc.add_u64(f.units_sold, self.units_sold);
        doc.add_i64(f.created_s, self.created_s);
        if let Some(at) = self.reprice_at_s {
            doc.add_i64(f.reprice_at_s, at);
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_round_trip_and_refuse_anything_else() {
        for code in ["AA", "DE", "US", "ZZ"] {
            assert_eq!(CountryCode::parse(code).unwrap().as_string(), code);
        }
        for bad in ["", "D", "de", "DEU", "1A", "É"] {
            assert_eq!(CountryCode::parse(bad), None, "{bad}");
        }
        assert!(CountryCode::parse("ZZ").unwrap().packed() < 676);
    }

    #[test]
    fn delivery_values_of_two_countries_never_overlap() {
        let de = CountryCode::parse("DE").unwrap();
        let dk = CountryCode::parse("DK").unwrap();
        assert!(delivery_value(de, 10_000, true) < delivery_value(dk, 0, false));
    }
}
