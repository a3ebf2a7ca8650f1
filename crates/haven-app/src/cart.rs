//! The cart: a buyer collects items from several stores and pays once.
//! Checkout splits it into one order per store (each with its own escrow,
//! shipping, deadlines and protection) paid by a single capture; see
//! `checkout.rs` for how that payment is taken and `pricing.rs` for how
//! the orders are priced. The quote shows everything before paying.

use haven_domain::catalog::Listing;
use haven_domain::ids::{ListingId, StoreId};
use haven_domain::money::Money;
use haven_domain::order::{Address, MAX_QUANTITY};
use haven_store::{CartLine, Changeset};

use crate::checkout::{CheckoutOutcome, Payer};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::payments::CardDetails;
use crate::pricing::{PricedStore, PricingRequest};
use crate::{Actor, App, Idem};

/// A cart line with the listing as it is now.
#[derive(Debug, Clone)]
pub struct CartEntry {
    pub listing: Listing,
    pub quantity: u32,
    pub added_at: haven_domain::Timestamp,
}

/// What the buyer chooses on the checkout page.
#[derive(Debug, Clone)]
pub struct CartChoices {
    pub address: Address,
    /// A shipping method per store; a store left out gets its cheapest.
    pub shipping: Vec<(StoreId, String)>,
    /// Codes, or ids of claimed coupons.
    pub coupons: Vec<String>,
    pub use_credit: bool,
    pub accept_regular_price: bool,
}

#[derive(Debug, Clone)]
pub struct CartCheckoutInput {
    pub choices: CartChoices,
    pub card: Option<CardDetails>,
    /// The total the buyer saw on the button: if prices moved since, the
    /// checkout is refused rather than charging a different amount.
    pub expected_total_minor: Option<i64>,
    pub context: crate::risk::PaymentContext,
}

/// Everything the buyer sees before paying.
#[derive(Debug, Clone)]
pub struct CartQuote {
    /// One order per store: items, shipping options and choice, discounts,
    /// total and promised delivery date.
    pub stores: Vec<PricedStore>,
    pub items: Money,
    pub shipping: Money,
    pub discounts: Money,
    /// Buyer credit applied (when asked for).
    pub credit: Money,
    /// What the card is charged: the total less credit.
    pub card: Money,
    pub total: Money,
}

impl App {
    /// The buyer's cart, listings as they are now (a listing deleted since
    /// is left out).
    pub async fn cart(&self, actor: &Actor) -> AppResult<Vec<CartEntry>> {
        let lines = self.store.cart(actor.id()).await?;
        let mut entries = Vec::with_capacity(lines.len());
        for line in lines {
            if let Some(listing) = self.store.listing(line.listing_id).await? {
                entries.push(CartEntry {
                    listing,
                    quantity: line.quantity,
                    added_at: line.added_at,
                });
            }
        }
        Ok(entries)
    }

    /// Set how many of a listing the cart holds (0 takes it out).
    pub async fn put_in_cart(
        &self,
        actor: &Actor,
        listing_id: ListingId,
        quantity: i64,
    ) -> AppResult<()> {
        if !(0..=i64::from(MAX_QUANTITY)).contains(&quantity) {
            return Err(AppError::invalid_field(
                "quantity",
                format!("quantity must be 0-{MAX_QUANTITY} (0 takes the item out)"),
            ));
        }
        let now = self.now();
        let mut changes = Changeset::default();
        if quantity == 0 {
            changes.cart_removes.push((actor.id(), listing_id));
        } else {
            let listing = self
                .store
                .listing(listing_id)
                .await?
                .ok_or_else(|| AppError::not_found("listing"))?;
            if actor.store_id == Some(listing.store_id) {
                return Err(AppError::forbidden("you cannot buy from your own store"));
            }
            let lines = self.store.cart(actor.id()).await?;
            let is_new = !lines.iter().any(|l| l.listing_id == listing_id);
            if is_new && lines.len() >= haven_domain::cart::MAX_CART_LINES {
                return Err(AppError::validation(format!(
                    "a cart holds at most {} items; check out or remove some first",
                    haven_domain::cart::MAX_CART_LINES
                )));
            }
            let added_at = lines
                .iter()
                .find(|l| l.listing_id == listing_id)
                .map_or(now, |l| l.added_at);
            changes.cart_puts.push(CartLine {
                buyer_id: actor.id(),
                listing_id,
                quantity: u32::try_from(quantity).unwrap_or(MAX_QUANTITY),
                added_at,
            });
        }
        Ok(self.store.commit(changes).await?)
    }

    /// Price the cart as checkout would, without charging anything.
    pub async fn quote_cart(&self, actor: &Actor, choices: &CartChoices) -> AppResult<CartQuote> {
        let lines = self.cart_lines(actor).await?;
        let priced = self.price(actor, pricing_request(lines, choices)).await?;
        let credit_available = if choices.use_credit {
            let currency = priced.stores[0].order.total.currency;
            let account = haven_domain::ledger::Account::BuyerCredit(actor.id()).to_string();
            self.store.balance(&account, currency.as_str()).await?
        } else {
            0
        };
        quote_of(priced.stores, credit_available)
    }

    /// Price one listing bought now, as its checkout would, charging
    /// nothing.
    pub async fn quote_buy_now(
        &self,
        actor: &Actor,
        input: &crate::CheckoutInput,
    ) -> AppResult<CartQuote> {
        let priced = self.price_buy_now_stores(actor, input).await?;
        let credit_available = if input.use_credit {
            let currency = priced.stores[0].order.total.currency;
            let account = haven_domain::ledger::Account::BuyerCredit(actor.id()).to_string();
            self.store.balance(&account, currency.as_str()).await?
        } else {
            0
        };
        quote_of(priced.stores, credit_available)
    }

    /// Pay for the whole cart at once: one order per store, one capture.
    /// The lines bought leave the cart when the payment completes; a
    /// failed payment leaves the cart as it was and nothing bought.
    pub async fn checkout_cart(
        &self,
        actor: &Actor,
        input: CartCheckoutInput,
        idem: Option<&Idem>,
    ) -> AppResult<CheckoutOutcome> {
        let lines = self.cart_lines(actor).await?;
        let priced = self
            .price(actor, pricing_request(lines, &input.choices))
            .await?;
        let total = sum(priced.stores.iter().map(|s| s.order.total))?;
        if let Some(expected) = input.expected_total_minor
            && expected != total.amount_minor
        {
            return Err(AppError::conflict(
                ErrorKind::InvalidState,
                format!(
                    "the total is now {} (prices, stock or coupons changed); review it and pay again",
                    total.display()
                ),
            ));
        }
        let mut orders = priced.into_orders();
        orders.cart = true;
        for (order, _) in &mut orders.orders {
            order.from_cart = true;
        }
        let payer = Payer {
            card: input.card.as_ref(),
            use_credit: input.choices.use_credit,
            context: &input.context,
        };
        self.pay_for(actor, orders, payer, idem).await
    }

    async fn cart_lines(&self, actor: &Actor) -> AppResult<Vec<(ListingId, i64)>> {
        let lines = self.store.cart(actor.id()).await?;
        if lines.is_empty() {
            return Err(AppError::validation("your cart is empty"));
        }
        Ok(lines
            .into_iter()
            .map(|l| (l.listing_id, i64::from(l.quantity)))
            .collect())
    }
}

fn pricing_request(lines: Vec<(ListingId, i64)>, choices: &CartChoices) -> PricingRequest<'_> {
    PricingRequest {
        lines,
        choices,
        method_for_all: None,
    }
}

fn sum(amounts: impl Iterator<Item = Money>) -> AppResult<Money> {
    let mut total: Option<Money> = None;
    for amount in amounts {
        total = Some(match total {
            None => amount,
            Some(t) => t
                .checked_add(amount)
                .map_err(|_| AppError::validation("the cart's total is too large"))?,
        });
    }
    total.ok_or_else(|| AppError::validation("your cart is empty"))
}

/// The totals of a priced cart; credit is split as checkout splits it.
fn quote_of(stores: Vec<PricedStore>, credit_available_minor: i64) -> AppResult<CartQuote> {
    let currency = stores[0].order.total.currency;
    let zero = Money::new(0, currency);
    let mut items = zero;
    let mut discounts = zero;
    for store in &stores {
        for item in &store.items {
            let line = item.line_total().map_err(AppError::internal)?;
            items = items.checked_add(line).map_err(AppError::internal)?;
        }
        let off = haven_domain::coupon::total_discount(&store.order.discounts, currency)
            .map_err(AppError::internal)?;
        let bundle = Money::new(
            store.order.bundle.as_ref().map_or(0, |b| b.amount_minor),
            currency,
        );
        discounts = discounts
            .checked_add(off)
            .and_then(|d| d.checked_add(bundle))
            .map_err(AppError::internal)?;
    }
    let shipping = sum(stores.iter().map(|s| s.order.shipping.cost))?;
    let total = sum(stores.iter().map(|s| s.order.total))?;
    let totals: Vec<i64> = stores.iter().map(|s| s.order.total.amount_minor).collect();
    let split = haven_domain::cart::split_funding(&totals, credit_available_minor);
    let credit_minor: i64 = split.iter().map(|f| f.credit_minor).sum();
    Ok(CartQuote {
        stores,
        items,
        shipping,
        discounts,
        credit: Money::new(credit_minor, currency),
        card: Money::new(total.amount_minor - credit_minor, currency),
        total,
    })
}
