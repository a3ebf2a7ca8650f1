//! Stores, listings and shipping methods.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::ids::{ListingId, StoreId, UserId};
use crate::money::Money;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shop {
    pub id: StoreId,
    pub owner_id: UserId,
    pub name: String,
    pub description: String,
    pub created_at: Timestamp,
}

/// Cost and transit time of one shipping method to one destination country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingRate {
    /// ISO 3166-1 alpha-2, or [`REST_OF_WORLD`] for every country the
    /// method does not list.
    pub country: String,
    pub cost: Money,
    pub min_transit_days: u32,
    pub max_transit_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingMethod {
    pub name: String,
    pub rates: Vec<ShippingRate>,
    /// Free when the items come to at least this much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_over: Option<Money>,
}

/// The rate country that stands for every country a method does not list.
pub const REST_OF_WORLD: &str = "*";

/// What one method costs and takes to one country for a given quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingQuote {
    pub method: String,
    /// Zero when free (a free rate, or the items reach `free_over`).
    pub cost: Money,
    /// The rate's own cost, before the free-shipping threshold.
    pub list_cost: Money,
    /// Free because the items reach the method's threshold.
    pub free_by_threshold: bool,
    pub min_transit_days: u32,
    pub max_transit_days: u32,
    /// The rate came from the method's rest-of-world line.
    pub rest_of_world: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub id: ListingId,
    pub store_id: StoreId,
    pub title: String,
    pub description: String,
    pub category: String,
    pub price: Money,
    /// Units on hand. The store's stock column is authoritative; this copy is
    /// as read.
    pub stock: i64,
    pub ship_by_days: u32,
    /// Content hashes of images in the media table.
    pub images: Vec<String>,
    pub shipping: Vec<ShippingMethod>,
    /// Guaranteed Genuine: a confirmed counterfeit is a full refund,
    /// shipping included, and a strike.
    #[serde(default)]
    pub guaranteed_genuine: bool,
    /// Where the parcel leaves from (ISO 3166-1 alpha-2), shown to buyers
    /// and a search facet. Optional: older listings do not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ships_from: Option<String>,
    /// Set while trust and safety holds the listing: it is out of browse
    /// and search and takes no orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<ListingHold>,
    /// A time-limited price for a limited number of units.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deal: Option<FlashDeal>,
    /// The product this listing sells, as the seller names it (brand and
    /// model, or a GTIN), normalised by [`product_key`]: listings of the
    /// same product from different stores are compared side by side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_key: Option<String>,
    /// The brand the seller names (Guaranteed Genuine needs an agent's
    /// approval of the store's proof for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Compliance certificates (CE, RoHS …) for regulated categories; an
    /// agent checks them before the listing is shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<ComplianceCertificate>,
    /// Bumped by every rewrite: a rewrite from a stale read is refused
    /// (`StaleListing`), so a hold and a new deal never erase each other.
    #[serde(default)]
    pub revision: i64,
    /// Set while the seller has paused the listing: like a hold, it is out
    /// of browse and search and takes no orders, but the seller lifts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

/// Whether buyers can find and buy a listing, as the store's `held` column
/// records it (0 on sale, 1 held by trust and safety, 2 paused by the
/// seller), so browse and search filter without reading the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    OnSale = 0,
    Held = 1,
    Paused = 2,
}

/// What a seller changes on a listing; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListingEdit {
    pub title: Option<String>,
    pub description: Option<String>,
    pub price: Option<Money>,
    pub ship_by_days: Option<u32>,
    /// The stock as the seller saw it and what it should be: the change
    /// is refused if an order took units in between, so a sale is never
    /// written over.
    pub stock: Option<StockEdit>,
    pub paused: Option<bool>,
    /// The photos (uploaded images' hashes), in order, the first the main
    /// one: the whole new list.
    pub images: Option<Vec<String>>,
    /// The shipping methods: the whole new list. Orders already placed keep
    /// the shipping they were bought with.
    pub shipping: Option<Vec<ShippingMethod>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockEdit {
    pub seen: i64,
    pub new: i64,
}

impl ListingEdit {
    /// Whether the edit changes what the listing checks look at (the words
    /// and the price), so they must run again.
    pub fn needs_checks(&self) -> bool {
        self.title.is_some()
            || self.description.is_some()
            || self.price.is_some()
            || self.images.is_some()
    }

    pub fn is_empty(&self) -> bool {
        *self == ListingEdit::default()
    }
}

/// Normalise a seller's product identifier into a key: a GTIN (8, 12, 13
/// or 14 digits, spaces and dashes ignored) becomes `gtin:<14 digits>`;
/// anything else becomes its letters and digits in lower case, spaces and
/// punctuation dropped (`Acme  X-100 `, `acme x100` and `ACME X 100` are
/// the same product). `None` for nothing usable or more than 120
/// characters.
pub fn product_key(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.chars().count() > 120 {
        return None;
    }
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if matches!(digits.len(), 8 | 12 | 13 | 14) && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("gtin:{digits:0>14}"));
    }
    brand_key(raw)
}

/// A flash deal: `price` for the first `quantity` units sold between
/// `starts_at` and `ends_at`. The units left are a counter on the listing's
/// row, taken in the order's own transaction, so they are never oversold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlashDeal {
    pub price: Money,
    pub quantity: u32,
    /// Units left, as read (the row's counter is authoritative).
    #[serde(default)]
    pub remaining: u32,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

/// The longest a flash deal may run.
pub const MAX_DEAL_HOURS: i64 = 7 * 24;

impl FlashDeal {
    pub fn is_live(&self, now: Timestamp) -> bool {
        (self.starts_at..self.ends_at).contains(&now)
    }

    /// On sale right now at the deal price.
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.is_live(now) && self.remaining > 0
    }

    /// A deal must undercut the listing's price, end after it starts and
    /// after `now`, and run at most a week.
    pub fn validate(&self, listing_price: Money, now: Timestamp) -> Result<(), InvalidField> {
        if self.price.currency != listing_price.currency {
            return Err(InvalidField::new(
                "price",
                "the deal price must be in the listing's currency",
            ));
        }
        if self.price.amount_minor <= 0 || self.price.amount_minor >= listing_price.amount_minor {
            return Err(InvalidField::new(
                "price",
                "the deal price must be above zero and below the listing's price",
            ));
        }
        if !(1..=100_000).contains(&self.quantity) {
            return Err(InvalidField::new(
                "quantity",
                "a deal is for 1-100000 units",
            ));
        }
        let longest = jiff::SignedDuration::from_hours(MAX_DEAL_HOURS);
        if self.ends_at <= self.starts_at
            || self.ends_at <= now
            || self.ends_at - longest > self.starts_at
        {
            return Err(InvalidField::new(
                "ends_at",
                "a deal ends after it starts, in the future, and runs at most 7 days",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListingHold {
    pub reason: String,
    /// The agent who held it; `None` when Haven's own listing checks held
    /// it at creation (the reason says which).
    pub by: Option<UserId>,
    pub at: Timestamp,
}

/// A compliance certificate a seller declares for a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComplianceCertificate {
    /// The scheme: "CE", "RoHS", "UKCA", "FCC" …
    pub kind: String,
    /// The certificate or declaration number.
    pub number: String,
    /// Who issued it (a notified body, a lab, or the maker's declaration).
    pub issuer: String,
    /// The agent who checked it, and when; `None` until checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_by: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<Timestamp>,
}

/// A store's proof that it may sell a brand's genuine goods (an invoice
/// from the brand or its distributor, an authorisation letter). Guaranteed
/// Genuine on that brand's listings needs an agent's approval of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrandApproval {
    pub store_id: StoreId,
    /// As the seller wrote it.
    pub brand: String,
    pub status: BrandApprovalStatus,
    /// What the seller says the proof is.
    pub proof: String,
    /// Content hash of the proof document, if one was uploaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<String>,
    pub submitted_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    /// The agent's note to the seller.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrandApprovalStatus {
    Pending,
    Approved,
    Refused,
}

impl BrandApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BrandApprovalStatus::Pending => "pending",
            BrandApprovalStatus::Approved => "approved",
            BrandApprovalStatus::Refused => "refused",
        }
    }
}

/// A brand's key (and a product's, when not a GTIN): its letters and
/// digits in lower case, so "Louis Vuitton" and "LOUIS-VUITTON" are one
/// brand. `None` when nothing is left.
pub fn brand_key(raw: &str) -> Option<String> {
    let key: String = raw
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    (!key.is_empty()).then_some(key)
}

/// At most this many certificates per listing.
pub const MAX_CERTIFICATES: usize = 10;

impl ComplianceCertificate {
    pub fn validate(&self) -> Result<(), InvalidField> {
        // Each part is a required line: kind, number and issuer.
        crate::text::line("certificates", &self.kind, 20)?;
        crate::text::line("certificates", &self.number, 80)?;
        crate::text::line("certificates", &self.issuer, 120)?;
        Ok(())
    }
}

/// Two ASCII capital letters (ISO 3166-1 alpha-2 form).
pub fn is_country_code(code: &str) -> bool {
    code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase())
}

/// One country a listing ships to, as search and the listing page show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// A country code, or [`REST_OF_WORLD`].
    pub country: String,
    /// Ship-by days plus the fastest method's maximum transit.
    pub delivery_days: u32,
    pub free_shipping: bool,
}

pub const CATEGORIES: &[&str] = &[
    "electronics",
    "home",
    "fashion",
    "toys",
    "sports",
    "beauty",
    "books",
    "garden",
];

pub const MAX_IMAGES_PER_LISTING: usize = 8;
pub const MAX_SHIPPING_METHODS: usize = 8;
pub const MAX_RATES_PER_METHOD: usize = 50;

use crate::limits::{InvalidField, MAX_SHIPPING_MINOR, MAX_UNIT_PRICE_MINOR, check_amount};

fn validate_rate(
    rate: &ShippingRate,
    currency: crate::money::Currency,
) -> Result<(), InvalidField> {
    if !is_country_code(&rate.country) && rate.country != REST_OF_WORLD {
        return Err(InvalidField::new(
            "shipping",
            "shipping rate country must be a two-letter ISO code, or * for the rest of the world",
        ));
    }
    if rate.cost.currency != currency {
        return Err(InvalidField::new(
            "shipping",
            "shipping cost must be in the listing's currency",
        ));
    }
    check_amount(
        "shipping cost",
        rate.cost.amount_minor,
        MAX_SHIPPING_MINOR,
        true,
    )?;
    if rate.min_transit_days > rate.max_transit_days || rate.max_transit_days > 90 {
        return Err(InvalidField::new(
            "shipping",
            "transit days must satisfy min <= max <= 90",
        ));
    }
    Ok(())
}

impl Listing {
    /// Check the limits a listing must respect before it is stored.
    pub fn validate(&self, ship_by_days_range: (u32, u32)) -> Result<(), InvalidField> {
        let title = crate::text::line("title", &self.title, 140)?;
        if title.chars().count() < 3 {
            return Err(InvalidField::new("title", "title must be 3-140 characters"));
        }
        crate::text::optional_block("description", &self.description, 10_000)?;
        if !CATEGORIES.contains(&self.category.as_str()) {
            return Err(InvalidField::new(
                "category",
                format!("category must be one of {}", CATEGORIES.join(", ")),
            ));
        }
        check_amount(
            "price",
            self.price.amount_minor,
            MAX_UNIT_PRICE_MINOR,
            false,
        )?;
        if !(0..=1_000_000).contains(&self.stock) {
            return Err(InvalidField::new("stock", "stock must be 0-1000000"));
        }
        let (min, max) = ship_by_days_range;
        if !(min..=max).contains(&self.ship_by_days) {
            return Err(InvalidField::new(
                "ship_by_days",
                format!("ship_by_days must be {min}-{max}"),
            ));
        }
        if self.images.len() > MAX_IMAGES_PER_LISTING {
            return Err(InvalidField::new(
                "images",
                format!("at most {MAX_IMAGES_PER_LISTING} images"),
            ));
        }
        if let Some((i, _)) = self
            .images
            .iter()
            .enumerate()
            .find(|(i, hash)| self.images[..*i].contains(hash))
        {
            return Err(InvalidField::new(
                "images",
                format!("photo {} is the same as an earlier one", i + 1),
            ));
        }
        if self.certificates.len() > MAX_CERTIFICATES {
            return Err(InvalidField::new(
                "certificates",
                format!("at most {MAX_CERTIFICATES} certificates"),
            ));
        }
        for certificate in &self.certificates {
            certificate.validate()?;
        }
        if let Some(brand) = &self.brand {
            crate::text::line("brand", brand, 60)?;
        }
        if let Some(country) = &self.ships_from
            && !is_country_code(country)
        {
            return Err(InvalidField::new(
                "ships_from",
                "ships_from must be a two-letter ISO country code",
            ));
        }
        self.validate_shipping()
    }

    pub fn is_held(&self) -> bool {
        self.hold.is_some()
    }

    pub fn is_paused(&self) -> bool {
        self.paused_at.is_some()
    }

    /// Buyers can find it and order it (stock aside).
    pub fn is_offered(&self) -> bool {
        self.visibility() == Visibility::OnSale
    }

    /// A hold outranks a pause: a seller cannot lift trust and safety's
    /// hold by resuming.
    pub fn visibility(&self) -> Visibility {
        if self.is_held() {
            Visibility::Held
        } else if self.is_paused() {
            Visibility::Paused
        } else {
            Visibility::OnSale
        }
    }

    /// Apply a seller's edit at `now`, then check the limits again. The
    /// price cannot fall to or below a deal that has not ended (its buyers
    /// were promised a discount).
    pub fn apply_edit(
        &mut self,
        edit: &ListingEdit,
        ship_by_days_range: (u32, u32),
        now: Timestamp,
    ) -> Result<(), InvalidField> {
        if let Some(title) = &edit.title {
            self.title = title.trim().to_string();
        }
        if let Some(description) = &edit.description {
            self.description = description.trim().to_string();
        }
        if let Some(price) = edit.price {
            if price.currency != self.price.currency {
                return Err(InvalidField::new(
                    "price",
                    format!("the price must stay in {}", self.price.currency),
                ));
            }
            if let Some(deal) = self.deal.as_ref().filter(|d| d.ends_at > now)
                && price.amount_minor <= deal.price.amount_minor
            {
                return Err(InvalidField::new(
                    "price",
                    "while a flash deal runs or is coming, the regular price must stay above the deal's",
                ));
            }
            self.price = price;
        }
        if let Some(days) = edit.ship_by_days {
            self.ship_by_days = days;
        }
        if let Some(stock) = edit.stock {
            self.stock = stock.new;
        }
        if let Some(images) = &edit.images {
            self.images = images.clone();
        }
        if let Some(shipping) = &edit.shipping {
            self.shipping = shipping.clone();
        }
        match edit.paused {
            Some(true) if self.paused_at.is_none() => self.paused_at = Some(now),
            Some(false) => self.paused_at = None,
            _ => {}
        }
        self.validate(ship_by_days_range)
    }

    /// The unit price a checkout of `quantity` at `now` charges, and
    /// whether it is the deal's. While a deal runs it is the deal's price,
    /// even when too few units read as left (the order's claim then fails),
    /// unless the buyer agreed to the regular price: a buyer racing for a
    /// deal is never charged the regular price silently.
    pub fn price_at(
        &self,
        now: Timestamp,
        quantity: u32,
        accept_regular_price: bool,
    ) -> (Money, bool) {
        match &self.deal {
            Some(deal)
                if deal.is_live(now) && (deal.remaining >= quantity || !accept_regular_price) =>
            {
                (deal.price, true)
            }
            _ => (self.price, false),
        }
    }

    /// The unit price a buyer browsing at `now` sees: the deal's while it
    /// runs with units left, otherwise the regular price. Search sorts and
    /// filters by it.
    pub fn shown_price(&self, now: Timestamp) -> Money {
        match &self.deal {
            Some(deal) if deal.is_open(now) => deal.price,
            _ => self.price,
        }
    }

    /// The next moment after `now` at which [`Self::shown_price`] changes
    /// by the clock alone: the deal's start, or its end. (Selling the last
    /// deal unit changes it too, but that is an order, not the clock.)
    pub fn shown_price_changes_at(&self, now: Timestamp) -> Option<Timestamp> {
        let deal = self.deal.as_ref()?;
        if deal.starts_at > now {
            Some(deal.starts_at)
        } else if deal.ends_at > now && deal.remaining > 0 {
            Some(deal.ends_at)
        } else {
            None
        }
    }

    /// Every destination the listing ships to (one unit at the regular
    /// price), once each, with
    /// the fastest delivery there and whether some method is free. A
    /// [`REST_OF_WORLD`] entry covers the countries not listed; a listed
    /// country takes a method's own line over its rest-of-world one, and
    /// also gets the other methods' rest-of-world lines.
    pub fn destinations(&self) -> Vec<Destination> {
        let mut countries: Vec<&str> = self
            .shipping
            .iter()
            .flat_map(|m| m.rates.iter().map(|r| r.country.as_str()))
            .collect();
        countries.sort_unstable();
        countries.dedup();
        let mut out: Vec<Destination> = Vec::new();
        for country in countries {
            for quote in self.quotes_to(country, self.price) {
                self.add_destination(&mut out, country, &quote);
            }
        }
        out
    }

    fn add_destination(&self, out: &mut Vec<Destination>, country: &str, quote: &ShippingQuote) {
        let days = self.ship_by_days + quote.max_transit_days;
        let free = quote.cost.amount_minor == 0;
        match out.iter_mut().find(|d| d.country == country) {
            Some(d) => {
                d.delivery_days = d.delivery_days.min(days);
                d.free_shipping |= free;
            }
            None => out.push(Destination {
                country: country.to_string(),
                delivery_days: days,
                free_shipping: free,
            }),
        }
    }

    fn validate_shipping(&self) -> Result<(), InvalidField> {
        if self.shipping.is_empty() || self.shipping.len() > MAX_SHIPPING_METHODS {
            return Err(InvalidField::new(
                "shipping",
                format!("1-{MAX_SHIPPING_METHODS} shipping methods are required"),
            ));
        }
        for method in &self.shipping {
            crate::text::line("shipping method name", &method.name, 60)?;
            if method.rates.is_empty() || method.rates.len() > MAX_RATES_PER_METHOD {
                return Err(InvalidField::new(
                    "shipping",
                    format!("each shipping method needs 1-{MAX_RATES_PER_METHOD} rates"),
                ));
            }
            for rate in &method.rates {
                validate_rate(rate, self.price.currency)?;
            }
            let mut countries: Vec<&str> =
                method.rates.iter().map(|r| r.country.as_str()).collect();
            countries.sort_unstable();
            if countries.windows(2).any(|w| w[0] == w[1]) {
                return Err(InvalidField::new(
                    "shipping",
                    "a shipping method lists each country (and *) at most once",
                ));
            }
            if let Some(threshold) = method.free_over {
                if threshold.currency != self.price.currency {
                    return Err(InvalidField::new(
                        "shipping",
                        "free_over must be in the listing's currency",
                    ));
                }
                check_amount(
                    "free_over",
                    threshold.amount_minor,
                    MAX_UNIT_PRICE_MINOR,
                    false,
                )?;
            }
        }
        Ok(())
    }

    /// What a method costs and takes to `country` for items coming to
    /// `items` (what the buyer pays for them: a deal's price counts as
    /// charged), if it ships there: the country's own line, else the
    /// rest-of-world line, free when the items reach the method's threshold.
    pub fn quote(&self, method: &str, country: &str, items: Money) -> Option<ShippingQuote> {
        let method = self.shipping.iter().find(|m| m.name == method)?;
        let exact = method.rates.iter().find(|r| r.country == country);
        let rate = exact.or_else(|| method.rates.iter().find(|r| r.country == REST_OF_WORLD))?;
        let free_by_threshold = rate.cost.amount_minor > 0
            && method
                .free_over
                .is_some_and(|threshold| items.amount_minor >= threshold.amount_minor);
        Some(ShippingQuote {
            method: method.name.clone(),
            cost: if free_by_threshold {
                Money::new(0, rate.cost.currency)
            } else {
                rate.cost
            },
            list_cost: rate.cost,
            free_by_threshold,
            min_transit_days: rate.min_transit_days,
            max_transit_days: rate.max_transit_days,
            rest_of_world: exact.is_none(),
        })
    }

    /// Every method that ships to `country` for items coming to `items`,
    /// cheapest first.
    pub fn quotes_to(&self, country: &str, items: Money) -> Vec<ShippingQuote> {
        let mut quotes: Vec<ShippingQuote> = self
            .shipping
            .iter()
            .filter_map(|m| self.quote(&m.name, country, items))
            .collect();
        quotes.sort_by_key(|q| (q.cost.amount_minor, q.max_transit_days));
        quotes
    }
}
