//! Pricing: what the buyer asks for (one listing now, or a whole cart)
//! becomes unpaid orders, one per store, each with its items at the price
//! in force (a flash deal's while it runs), one parcel's shipping, and its
//! coupons. Nothing is written here: the quote the buyer sees and the
//! checkout that charges are built by the same code.

use haven_domain::Timestamp;
use haven_domain::catalog::{Listing, ShippingQuote};
use haven_domain::coupon::{CoveredItem, OrderDiscount};
use haven_domain::ids::{CouponId, ListingId, StoreId};
use haven_domain::money::Money;
use haven_domain::order::{Address, MAX_QUANTITY, NewOrder, Order, OrderItem, ShippingChoice};
use haven_store::{CouponRedemption, StoredCoupon};

use crate::cart::CartChoices;
use crate::checkout::{CheckoutInput, PricedOrders};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::{Actor, App};

/// What the buyer asks for.
pub(crate) struct PricingRequest<'a> {
    /// (listing, quantity), in the order the buyer added them.
    pub lines: Vec<(ListingId, i64)>,
    pub choices: &'a CartChoices,
    /// The shipping method for a store `choices` names none for (buy-now
    /// names its method without knowing the store).
    pub method_for_all: Option<&'a str>,
}

/// One store's part of a priced checkout.
#[derive(Debug, Clone)]
pub struct PricedStore {
    pub store_id: StoreId,
    pub items: Vec<OrderItem>,
    /// Every way the store can send these items together, cheapest first.
    pub shipping_options: Vec<ShippingQuote>,
    pub shipping: ShippingQuote,
    /// The unpaid order (its total, discounts and promised date).
    pub order: Order,
}

/// A priced checkout: the orders and what they take.
pub(crate) struct Priced {
    pub stores: Vec<PricedStore>,
    pub effects: Vec<haven_domain::order::Effects>,
    pub redemptions: Vec<CouponRedemption>,
}

impl Priced {
    pub(crate) fn into_orders(self) -> PricedOrders {
        PricedOrders {
            orders: self
                .stores
                .into_iter()
                .map(|s| s.order)
                .zip(self.effects)
                .collect(),
            redemptions: self.redemptions,
            cart: false,
        }
    }
}

/// One store's items and shipping, before coupons.
struct StorePlan {
    store_id: StoreId,
    items: Vec<OrderItem>,
    /// Each item's category (for coupon scope), in item order.
    categories: Vec<String>,
    shipping_options: Vec<ShippingQuote>,
    shipping: ShippingQuote,
    ship_by_days: u32,
    /// The best bundle deal these items make.
    bundle: Option<haven_domain::bundle::BundleDiscount>,
}

/// A listing checked for sale, with the price this buyer pays.
struct Sellable {
    listing: Listing,
    item: OrderItem,
}

impl App {
    /// Validate a buy-now request and build its unpaid order.
    pub(crate) async fn price_buy_now(
        &self,
        actor: &Actor,
        input: &CheckoutInput,
    ) -> AppResult<PricedOrders> {
        let priced = self.price_buy_now_stores(actor, input).await?;
        if let Some(expected) = input.expected_total_minor {
            let total = priced.stores[0].order.total;
            if total.amount_minor != expected {
                return Err(AppError::conflict(
                    ErrorKind::InvalidState,
                    format!(
                        "the total is now {} (the price, stock or a coupon changed); review it and pay again",
                        total.display()
                    ),
                ));
            }
        }
        Ok(priced.into_orders())
    }

    /// A buy-now request priced, with what the page shows of it.
    pub(crate) async fn price_buy_now_stores(
        &self,
        actor: &Actor,
        input: &CheckoutInput,
    ) -> AppResult<Priced> {
        let choices = CartChoices {
            address: input.address.clone(),
            shipping: Vec::new(),
            coupons: input.coupons.clone(),
            use_credit: input.use_credit,
            accept_regular_price: input.accept_regular_price,
        };
        let request = PricingRequest {
            lines: vec![(input.listing_id, input.quantity)],
            choices: &choices,
            method_for_all: Some(&input.shipping_method),
        };
        self.price(actor, request).await
    }

    /// Price a request into one unpaid order per store.
    pub(crate) async fn price(
        &self,
        actor: &Actor,
        request: PricingRequest<'_>,
    ) -> AppResult<Priced> {
        let choices = request.choices;
        let address = Address::parse(choices.address.clone())?;
        if request.lines.is_empty() {
            return Err(AppError::validation("there is nothing to buy"));
        }
        let mut sellable = Vec::new();
        for (listing_id, quantity) in &request.lines {
            let found = self
                .sellable(actor, *listing_id, *quantity, choices.accept_regular_price)
                .await?;
            sellable.push((found.listing.store_id, found));
        }
        let currency = sellable[0].1.item.unit_price.currency;
        if sellable
            .iter()
            .any(|(_, s)| s.item.unit_price.currency != currency)
        {
            return Err(AppError::validation(
                "items priced in different currencies must be bought separately",
            ));
        }
        let groups = haven_domain::cart::group_by_store(sellable);
        if groups.len() > haven_domain::cart::MAX_CART_STORES {
            return Err(AppError::validation(format!(
                "one checkout can buy from at most {} stores",
                haven_domain::cart::MAX_CART_STORES
            )));
        }
        let coupons = self.resolve_coupons(actor, &choices.coupons).await?;
        let mut stores = Vec::new();
        for (store_id, items) in groups {
            let chosen = choices
                .shipping
                .iter()
                .find(|(s, _)| *s == store_id)
                .map(|(_, m)| m.as_str())
                .or(request.method_for_all);
            // A bundle needs two different listings: one item needs no read.
            let bundles = if items.len() >= haven_domain::bundle::MIN_LISTINGS {
                self.active_bundles(store_id).await?
            } else {
                Vec::new()
            };
            stores.push(self.price_store(store_id, items, &address, chosen, &bundles)?);
        }
        let discounts = apply_coupons(&coupons, &stores, self.now())?;
        self.build_orders(actor, stores, discounts, &coupons, &address)
    }

    /// A listing that can be sold to this buyer in this quantity now.
    async fn sellable(
        &self,
        actor: &Actor,
        listing_id: ListingId,
        quantity: i64,
        accept_regular_price: bool,
    ) -> AppResult<Sellable> {
        if quantity < 1 || quantity > i64::from(MAX_QUANTITY) {
            return Err(AppError::invalid_field(
                "quantity",
                format!("quantity must be 1-{MAX_QUANTITY}"),
            ));
        }
        let quantity = u32::try_from(quantity)
            .map_err(|_| AppError::invalid_field("quantity", "quantity out of range"))?;
        let listing = self
            .store
            .listing(listing_id)
            .await?
            .ok_or_else(|| AppError::not_found("listing"))?;
        if actor.store_id == Some(listing.store_id) {
            return Err(AppError::forbidden("you cannot buy from your own store"));
        }
        if listing.is_held() {
            return Err(AppError::new(
                ErrorKind::ListingHeld,
                "trust and safety is reviewing this listing; it cannot be bought for now",
            ));
        }
        if listing.is_paused() {
            return Err(AppError::conflict(
                ErrorKind::InvalidState,
                "the seller has paused this listing; it cannot be bought for now",
            ));
        }
        self.refuse_if_suspended(listing.store_id).await?;
        if listing.stock < i64::from(quantity) {
            return Err(AppError::conflict(
                ErrorKind::OutOfStock,
                format!("not enough stock of '{}' for that quantity", listing.title),
            ));
        }
        let (unit_price, flash_deal) = listing.price_at(self.now(), quantity, accept_regular_price);
        let item = OrderItem {
            listing_id: listing.id,
            listing_title: listing.title.clone(),
            guaranteed_genuine: listing.guaranteed_genuine,
            quantity,
            unit_price,
            flash_deal,
            deal_started_at: listing
                .deal
                .as_ref()
                .filter(|_| flash_deal)
                .map(|d| d.starts_at),
        };
        Ok(Sellable { listing, item })
    }

    /// One store's items, and how they ship together.
    fn price_store(
        &self,
        store_id: StoreId,
        items: Vec<Sellable>,
        address: &Address,
        chosen: Option<&str>,
        bundles: &[haven_domain::bundle::Bundle],
    ) -> AppResult<StorePlan> {
        let subtotal = items_total(items.iter().map(|s| &s.item))?;
        let listings: Vec<&Listing> = items.iter().map(|s| &s.listing).collect();
        let options = haven_domain::cart::ship_together(&listings, &address.country, subtotal);
        let shipping = match chosen {
            Some(method) => options.iter().find(|q| q.method == method).cloned(),
            None => options.first().cloned(),
        };
        let shipping = shipping.ok_or_else(|| no_shipping(&listings, chosen, &address.country))?;
        let ship_by_days = listings.iter().map(|l| l.ship_by_days).max().unwrap_or(1);
        let order_items: Vec<OrderItem> = items.iter().map(|s| s.item.clone()).collect();
        let bundle = haven_domain::bundle::best_bundle(bundles, &order_items)
            .map_err(|_| AppError::invalid_field("quantity", "the order total is too large"))?;
        Ok(StorePlan {
            bundle,
            store_id,
            categories: items.iter().map(|s| s.listing.category.clone()).collect(),
            items: items.into_iter().map(|s| s.item).collect(),
            shipping_options: options,
            shipping,
            ship_by_days,
        })
    }

    /// The real unpaid orders, with their discounts and redemptions.
    fn build_orders(
        &self,
        actor: &Actor,
        stores: Vec<StorePlan>,
        discounts: Vec<Vec<OrderDiscount>>,
        coupons: &[StoredCoupon],
        address: &Address,
    ) -> AppResult<Priced> {
        let (version, policy) = self.current_policy();
        let now = self.now();
        let mut out = Priced {
            stores: Vec::new(),
            effects: Vec::new(),
            redemptions: Vec::new(),
        };
        for (plan, discounts) in stores.into_iter().zip(discounts) {
            let discounts = fit_discounts(&plan, discounts)?;
            let mut items = plan.items.clone();
            let first = items.remove(0);
            let first_deal = first.deal_started_at;
            let new = NewOrder {
                buyer_id: actor.id(),
                store_id: plan.store_id,
                listing_id: first.listing_id,
                listing_title: first.listing_title,
                guaranteed_genuine: first.guaranteed_genuine,
                quantity: first.quantity,
                unit_price: first.unit_price,
                flash_deal: first.flash_deal,
                shipping: shipping_choice(&plan.shipping, &address.country),
                address: address.clone(),
                ship_by_days: plan.ship_by_days,
                more_items: items,
                discounts,
                bundle: plan.bundle,
            };
            let (mut order, effects) =
                Order::checkout(new, &policy, version, now).map_err(order_total_error)?;
            order.flash_deal_started_at = first_deal;
            for discount in &order.discounts {
                let limit = coupons
                    .iter()
                    .find(|c| c.coupon.id == discount.coupon_id)
                    .map_or(1, |c| c.coupon.per_buyer_limit);
                out.redemptions.push(CouponRedemption {
                    coupon_id: discount.coupon_id,
                    order_id: order.id,
                    buyer_id: actor.id(),
                    per_buyer_limit: limit,
                    at: now,
                });
            }
            out.stores.push(PricedStore {
                store_id: plan.store_id,
                items: plan.items,
                shipping_options: plan.shipping_options,
                shipping: plan.shipping,
                order,
            });
            out.effects.push(effects);
        }
        Ok(out)
    }

    /// Codes and claimed-coupon ids to coupons this buyer may still use.
    async fn resolve_coupons(
        &self,
        actor: &Actor,
        wanted: &[String],
    ) -> AppResult<Vec<StoredCoupon>> {
        if wanted.len() > 4 {
            return Err(AppError::invalid_field("coupons", "at most 4 coupons"));
        }
        let mut found: Vec<StoredCoupon> = Vec::new();
        for raw in wanted.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            let coupon = self.find_coupon(actor, raw).await?;
            if found.iter().any(|c| c.coupon.id == coupon.coupon.id) {
                return Err(coupon_refused(
                    haven_domain::coupon::CouponRefusal::Stacking,
                ));
            }
            if coupon.redeemed >= i64::from(coupon.coupon.total_limit) {
                return Err(AppError::new(
                    ErrorKind::CouponExhausted,
                    format!(
                        "the coupon '{}' has no redemptions left",
                        coupon.coupon.title
                    ),
                ));
            }
            let uses = self.store.coupon_uses(coupon.coupon.id, actor.id()).await?;
            if uses >= i64::from(coupon.coupon.per_buyer_limit) {
                return Err(AppError::new(
                    ErrorKind::CouponLimitReached,
                    format!(
                        "you have already used the coupon '{}' as often as it allows",
                        coupon.coupon.title
                    ),
                ));
            }
            found.push(coupon);
        }
        Ok(found)
    }

    /// A code, or the id of a coupon the buyer claimed.
    async fn find_coupon(&self, actor: &Actor, raw: &str) -> AppResult<StoredCoupon> {
        if let Some(id) = CouponId::parse(raw) {
            let claimed = self.store.claimed_coupons(actor.id(), 200).await?;
            return claimed
                .into_iter()
                .find(|c| c.coupon.id == id)
                .ok_or_else(|| AppError::not_found("claimed coupon"));
        }
        let code = haven_domain::coupon::normalise_code(raw);
        self.store.coupon_by_code(&code).await?.ok_or_else(|| {
            AppError::new(
                ErrorKind::CouponNotApplicable,
                format!("no coupon has the code {code}"),
            )
        })
    }
}

/// Which discounts each store's order takes: a seller coupon on its own
/// store's order, the platform coupon on the order it takes most off. At
/// most one platform coupon per checkout and one seller coupon per order.
fn apply_coupons(
    coupons: &[StoredCoupon],
    stores: &[StorePlan],
    now: Timestamp,
) -> AppResult<Vec<Vec<OrderDiscount>>> {
    let platform: Vec<&StoredCoupon> = coupons
        .iter()
        .filter(|c| c.coupon.store_id.is_none())
        .collect();
    if platform.len() > 1 {
        return Err(coupon_refused(
            haven_domain::coupon::CouponRefusal::Stacking,
        ));
    }
    let mut discounts: Vec<Vec<OrderDiscount>> = vec![Vec::new(); stores.len()];
    for stored in coupons.iter().filter(|c| c.coupon.store_id.is_some()) {
        let coupon = &stored.coupon;
        let index = stores
            .iter()
            .position(|s| Some(s.store_id) == coupon.store_id)
            .ok_or_else(|| coupon_refused(haven_domain::coupon::CouponRefusal::WrongScope))?;
        if !discounts[index].is_empty() {
            return Err(coupon_refused(
                haven_domain::coupon::CouponRefusal::Stacking,
            ));
        }
        let off = discount_on(coupon, &stores[index], now).map_err(coupon_refused)?;
        discounts[index].push(coupon.discount_line(off));
    }
    if let Some(stored) = platform.first() {
        let coupon = &stored.coupon;
        let mut best: Option<(usize, Money)> = None;
        let mut refusal = None;
        for (index, store) in stores.iter().enumerate() {
            match discount_on(coupon, store, now) {
                Ok(off) if best.is_none_or(|(_, b)| off.amount_minor > b.amount_minor) => {
                    best = Some((index, off));
                }
                Ok(_) => {}
                Err(err) => refusal = refusal.or(Some(err)),
            }
        }
        let (index, off) = best.ok_or_else(|| {
            coupon_refused(refusal.unwrap_or(haven_domain::coupon::CouponRefusal::WrongScope))
        })?;
        discounts[index].push(coupon.discount_line(off));
    }
    Ok(discounts)
}

/// Coupons count the items at their prices before a bundle deal: with
/// both, the coupons shrink (the seller's first) so the buyer still pays
/// at least one minor unit for the items, and a coupon left with nothing
/// to take is not redeemed at all.
fn fit_discounts(plan: &StorePlan, discounts: Vec<OrderDiscount>) -> AppResult<Vec<OrderDiscount>> {
    let items = items_total(plan.items.iter())?.amount_minor;
    let bundle = plan.bundle.as_ref().map_or(0, |b| b.amount_minor);
    let mut room = (items - 1 - bundle).max(0);
    let mut fitted = Vec::with_capacity(discounts.len());
    for mut discount in discounts {
        discount.amount_minor = discount.amount_minor.min(room);
        room -= discount.amount_minor;
        if discount.amount_minor > 0 {
            fitted.push(discount);
        }
    }
    Ok(fitted)
}

fn discount_on(
    coupon: &haven_domain::coupon::Coupon,
    store: &StorePlan,
    now: Timestamp,
) -> Result<Money, haven_domain::coupon::CouponRefusal> {
    let mut covered = Vec::with_capacity(store.items.len());
    for (item, category) in store.items.iter().zip(&store.categories) {
        // Totals were checked when the store was priced.
        let Ok(line_total) = item.line_total() else {
            return Err(haven_domain::coupon::CouponRefusal::WrongScope);
        };
        covered.push(CoveredItem {
            category,
            line_total,
        });
    }
    coupon.discount_for(store.store_id, &covered, now)
}

fn coupon_refused(refusal: haven_domain::coupon::CouponRefusal) -> AppError {
    AppError::new(ErrorKind::CouponNotApplicable, refusal.to_string())
}

fn items_total<'a>(items: impl Iterator<Item = &'a OrderItem>) -> AppResult<Money> {
    let mut total: Option<Money> = None;
    for item in items {
        let line = item
            .line_total()
            .map_err(|_| AppError::invalid_field("quantity", "the order total is too large"))?;
        total = Some(match total {
            None => line,
            Some(sum) => sum
                .checked_add(line)
                .map_err(|_| AppError::invalid_field("quantity", "the order total is too large"))?,
        });
    }
    total.ok_or_else(|| AppError::validation("there is nothing to buy"))
}

fn no_shipping(listings: &[&Listing], chosen: Option<&str>, country: &str) -> AppError {
    let what = if listings.len() == 1 {
        "this listing has".to_string()
    } else {
        "these items have".to_string()
    };
    match chosen {
        Some(method) => AppError::invalid_field(
            "shipping_method",
            format!("{what} no '{method}' shipping to {country}"),
        ),
        None => AppError::invalid_field(
            "shipping_method",
            format!("{what} no shipping method to {country} that they share"),
        ),
    }
}

fn shipping_choice(quote: &ShippingQuote, country: &str) -> ShippingChoice {
    ShippingChoice {
        method: quote.method.clone(),
        cost: quote.cost,
        min_transit_days: quote.min_transit_days,
        max_transit_days: quote.max_transit_days,
        country: country.to_string(),
    }
}

pub(crate) fn order_total_error(err: haven_domain::money::MoneyError) -> AppError {
    match err {
        haven_domain::money::MoneyError::OutOfRange { max_minor } => AppError::invalid_field(
            "quantity",
            format!(
                "an order may total at most {}.{:02}; buy fewer units",
                max_minor / 100,
                max_minor % 100
            ),
        ),
        other => AppError::validation(other.to_string()),
    }
}
