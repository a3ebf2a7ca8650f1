//! Public JSON representations (the API contract). Domain types stay free of
//! HTTP and OpenAPI concerns; these carry the schema annotations.

use haven_domain::account::User;
use haven_domain::catalog::{Listing, ShippingMethod, Shop};
use haven_domain::money::Money;
use haven_domain::order::{Address, Order};
use haven_domain::{Timestamp, wire_name};
use haven_store::{Payout, TrackingEvent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Money as integer minor units plus ISO 4217 currency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct MoneyView {
    #[schema(example = 1999)]
    pub amount_minor: i64,
    #[schema(example = "USD")]
    pub currency: String,
}

impl From<Money> for MoneyView {
    fn from(m: Money) -> Self {
        MoneyView {
            amount_minor: m.amount_minor,
            currency: m.currency.to_string(),
        }
    }
}

/// As the page's language writes it ("$25.00", "25,00 €").
impl std::fmt::Display for MoneyView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match haven_domain::money::Currency::parse(&self.currency) {
            Ok(c) => {
                let locale = crate::web::csrf::current_locale();
                f.write_str(&locale.money(Money::new(self.amount_minor, c)))
            }
            Err(_) => write!(f, "{} {}", self.amount_minor, self.currency),
        }
    }
}

/// RFC 3339 UTC at whole seconds, the API's one time format.
pub(crate) fn ts(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub created_at: String,
    /// `unverified`, `email_verified` or `identity_verified`.
    pub verification: String,
    pub two_factor_enabled: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            id: u.id.to_string(),
            email: u.email.as_str().to_string(),
            display_name: u.display_name.clone(),
            roles: u.roles.iter().map(wire_name).collect(),
            created_at: ts(u.created_at),
            verification: wire_name(&u.verification_level()),
            two_factor_enabled: u.totp.is_some(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionView {
    /// Send as `Authorization: Bearer <token>`. Shown once.
    pub token: String,
    pub expires_at: String,
    pub user: UserView,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StoreView {
    pub id: String,
    pub owner_id: String,
    pub name: String,
    pub description: String,
    pub created_at: String,
    /// How far the seller is verified: `unverified`, `email_verified`, or
    /// `identity_verified` (an agent reviewed an identity document: the
    /// "Verified" badge).
    pub seller_verification: String,
}

impl StoreView {
    pub fn new(s: &Shop, level: haven_domain::account::VerificationLevel) -> Self {
        let seller_verification = wire_name(&level);
        StoreView {
            id: s.id.to_string(),
            owner_id: s.owner_id.to_string(),
            name: s.name.clone(),
            description: s.description.clone(),
            created_at: ts(s.created_at),
            seller_verification,
        }
    }

    /// The view of a store, with its owner's verification looked up.
    pub async fn load(app: &crate::App, shop: &Shop) -> Result<Self, crate::error::ApiError> {
        let level = app
            .store
            .user(shop.owner_id)
            .await?
            .map_or(haven_domain::account::VerificationLevel::Unverified, |u| {
                u.verification_level()
            });
        Ok(StoreView::new(shop, level))
    }

    pub fn is_identity_verified(&self) -> bool {
        self.seller_verification == "identity_verified"
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ShippingRateView {
    /// ISO country code, or `*` for every country the method does not list.
    pub country: String,
    pub cost: MoneyView,
    pub min_transit_days: u32,
    pub max_transit_days: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ShippingMethodView {
    pub name: String,
    pub rates: Vec<ShippingRateView>,
    /// Shipping is free when the items come to at least this much.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_over: Option<MoneyView>,
}

impl From<&ShippingMethod> for ShippingMethodView {
    fn from(m: &ShippingMethod) -> Self {
        ShippingMethodView {
            name: m.name.clone(),
            rates: m
                .rates
                .iter()
                .map(|r| ShippingRateView {
                    country: r.country.clone(),
                    cost: r.cost.into(),
                    min_transit_days: r.min_transit_days,
                    max_transit_days: r.max_transit_days,
                })
                .collect(),
            free_over: m.free_over.map(MoneyView::from),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ListingView {
    pub id: String,
    pub store_id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub price: MoneyView,
    pub stock: i64,
    pub ship_by_days: u32,
    /// A confirmed fake is a full refund, shipping included.
    pub guaranteed_genuine: bool,
    /// Image URLs.
    pub images: Vec<String>,
    pub shipping: Vec<ShippingMethodView>,
    /// ISO country the parcel leaves from, when the seller said.
    pub ships_from: Option<String>,
    /// Held by trust and safety: out of browse and search, takes no orders.
    pub held: bool,
    /// Why it is held, in words the seller reads (an agent's reason, or
    /// what the listing checks found).
    pub hold_reason: Option<String>,
    /// Held by the listing checks at creation rather than by an agent.
    pub held_by_checks: bool,
    /// Paused by the seller: out of browse and search, takes no orders.
    pub paused: bool,
    /// The brand the seller names.
    pub brand: Option<String>,
    /// Compliance certificates, with whether an agent checked each.
    pub certificates: Vec<CertificateView>,
    /// The latest flash deal, if any (running, upcoming or over).
    pub deal: Option<FlashDealView>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CertificateView {
    pub kind: String,
    pub number: String,
    pub issuer: String,
    /// When an agent checked it; `None` while unchecked.
    pub checked_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlashDealView {
    pub price: MoneyView,
    pub quantity: u32,
    /// Units left at the deal price.
    pub remaining: u32,
    pub starts_at: String,
    pub ends_at: String,
}

impl ListingView {
    /// The deal buyers can take now (started, not ended, units left).
    pub fn open_deal(&self, now: Timestamp) -> Option<&FlashDealView> {
        self.deal.as_ref().filter(|d| {
            d.remaining > 0
                && d.starts_at.parse::<Timestamp>().is_ok_and(|s| s <= now)
                && d.ends_at.parse::<Timestamp>().is_ok_and(|e| now < e)
        })
    }
}

impl From<&Listing> for ListingView {
    fn from(l: &Listing) -> Self {
        ListingView {
            id: l.id.to_string(),
            store_id: l.store_id.to_string(),
            title: l.title.clone(),
            description: l.description.clone(),
            category: l.category.clone(),
            price: l.price.into(),
            stock: l.stock,
            ship_by_days: l.ship_by_days,
            guaranteed_genuine: l.guaranteed_genuine,
            images: l.images.iter().map(|h| format!("/media/{h}")).collect(),
            shipping: l.shipping.iter().map(ShippingMethodView::from).collect(),
            ships_from: l.ships_from.clone(),
            held: l.is_held(),
            hold_reason: l.hold.as_ref().map(|h| h.reason.clone()),
            held_by_checks: l.hold.as_ref().is_some_and(|h| h.by.is_none()),
            paused: l.is_paused(),
            brand: l.brand.clone(),
            certificates: l
                .certificates
                .iter()
                .map(|c| CertificateView {
                    kind: c.kind.clone(),
                    number: c.number.clone(),
                    issuer: c.issuer.clone(),
                    checked_at: c.checked_at.map(ts),
                })
                .collect(),
            deal: l.deal.as_ref().map(|d| FlashDealView {
                price: d.price.into(),
                quantity: d.quantity,
                remaining: d.remaining,
                starts_at: ts(d.starts_at),
                ends_at: ts(d.ends_at),
            }),
            created_at: ts(l.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AddressView {
    pub name: String,
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

impl AddressView {
    /// What is left once the address is hidden: the country only.
    fn hidden(country: &str) -> Self {
        AddressView {
            name: String::new(),
            line1: String::new(),
            line2: String::new(),
            city: String::new(),
            postal_code: String::new(),
            country: country.to_string(),
        }
    }
}

impl From<&Address> for AddressView {
    fn from(a: &Address) -> Self {
        AddressView {
            name: a.name.clone(),
            line1: a.line1.clone(),
            line2: a.line2.clone(),
            city: a.city.clone(),
            postal_code: a.postal_code.clone(),
            country: a.country.clone(),
        }
    }
}

impl From<AddressView> for Address {
    fn from(a: AddressView) -> Self {
        Address {
            name: a.name,
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ShipmentView {
    pub carrier: String,
    pub tracking_number: String,
    pub shipped_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub id: String,
    /// pending_payment, paid, shipped, delivered, completed, cancelled, refunded, partially_refunded
    pub state: String,
    pub buyer_id: String,
    pub store_id: String,
    pub listing_id: String,
    pub listing_title: String,
    pub quantity: u32,
    pub unit_price: MoneyView,
    /// Every item of the order (the first is also in `listing_id`,
    /// `quantity` and `unit_price`); a cart's items from one store ship
    /// together.
    pub items: Vec<OrderItemView>,
    /// Coupons taken off the items, each with who funds it.
    pub discounts: Vec<DiscountView>,
    /// Other orders paid by the same payment (a cart checkout).
    pub paid_with: Vec<String>,
    /// The bundle deal the items made (seller-funded).
    pub bundle: Option<BundleDiscountView>,
    /// Rewards the buyer earned on this order once it completed.
    pub rewards_earned: MoneyView,
    pub shipping_method: String,
    pub shipping_cost: MoneyView,
    pub total: MoneyView,
    pub address: AddressView,
    /// True when the seller looks at an order closed more than 90 days
    /// ago: the address is blanked (the country stays).
    pub address_hidden: bool,
    pub created_at: String,
    pub paid_at: Option<String>,
    pub ship_by_at: String,
    /// Fixed at checkout: ship-by plus the method's maximum transit days.
    pub promised_delivery_at: String,
    /// When buyer protection ends (moves to 15 days after a delivery scan).
    pub protection_ends_at: Option<String>,
    pub shipment: Option<ShipmentView>,
    pub tracking_status: Option<String>,
    pub delivered_at: Option<String>,
    pub cancel_requested_at: Option<String>,
    /// Set when the window ended without a delivery scan: the automatic
    /// not-received claim. The buyer is refunded unless delivery is proven.
    pub not_received_claim_at: Option<String>,
    pub closed_at: Option<String>,
    pub close_reason: Option<String>,
    pub released_to_seller: MoneyView,
    pub commission: MoneyView,
    pub refunded: MoneyView,
    /// Of the refunds, what went back to the card (the rest went to the
    /// buyer's Haven credit).
    pub refunded_to_card: MoneyView,
    /// Why the order closed, in words (closed orders only).
    pub close_explanation: Option<String>,
    /// True while a dispute is open: the countdown is stopped and escrow frozen.
    pub protection_paused: bool,
    /// While paused: the protection time left, frozen until the dispute closes.
    pub protection_remaining_s: Option<i64>,
    pub open_dispute_id: Option<String>,
    pub paid_by_card: MoneyView,
    pub paid_by_credit: MoneyView,
    /// On-time guarantee credit paid to the buyer for this order.
    pub compensated: MoneyView,
    /// On-time credit taken back because the order was then refunded in
    /// full, and the part the buyer had already spent.
    pub compensation_reversed: MoneyView,
    pub compensation_spent: MoneyView,
    pub chargeback: Option<MoneyView>,
    pub guaranteed_genuine: bool,
    /// True while the card issuer's verification is outstanding.
    pub payment_challenge_required: bool,
    /// True while fraud checks hold the paid order for an agent: the seller
    /// must not ship yet; the money stays in escrow.
    pub held_for_review: bool,
    /// A signed protection certificate can be downloaded
    /// (`GET /api/v1/orders/{id}/certificate`).
    pub has_certificate: bool,
    /// What the fraud checks made of the payment (buyer and agents only).
    pub risk: Option<RiskNoteView>,
    pub policy_version: i64,
    /// What the caller may do now: complete_challenge, request_cancel,
    /// accept_cancel, decline_cancel, ship, confirm_receipt, open_dispute.
    pub available_actions: Vec<String>,
}

/// The fraud checks' view of a payment, in plain words.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RiskNoteView {
    /// 0-99.
    pub score: u8,
    /// `allow`, `request_verification` or `review`.
    pub decision: String,
    pub reasons: Vec<String>,
    /// `pending`, `approved` or `refused` when the order was held.
    pub review: Option<String>,
}

impl OrderView {
    /// The order as `actor` sees it: with the actions open to them now.
    pub fn seen_by(o: &Order, actor: &haven_app::Actor, now: haven_domain::Timestamp) -> Self {
        Self::for_party(o, actor.party_in(o.buyer_id, o.store_id), now)
    }

    /// The order with the actions `party` may take (none for the system:
    /// webhook answers).
    pub fn for_party(
        o: &Order,
        party: haven_domain::dispute::Party,
        now: haven_domain::Timestamp,
    ) -> Self {
        let mut view = Self::base(o);
        view.available_actions = names(o.available_actions(party, now), |a| a.as_str());
        // The seller learns only that the order is held, never the signals
        // about the buyer.
        if party == haven_domain::dispute::Party::Seller {
            view.risk = None;
            if !o.address_visible_to_seller(now) {
                view.address = AddressView::hidden(&o.address.country);
                view.address_hidden = true;
            }
        }
        view
    }

    /// Whether the viewer may take `action` (see `available_actions`).
    pub fn can(&self, action: &str) -> bool {
        allows(&self.available_actions, action)
    }

    fn base(o: &Order) -> Self {
        let currency = o.total.currency;
        let money = |minor| MoneyView::from(Money::new(minor, currency));
        OrderView {
            available_actions: Vec::new(),
            id: o.id.to_string(),
            state: o.state.as_str().to_string(),
            buyer_id: o.buyer_id.to_string(),
            store_id: o.store_id.to_string(),
            listing_id: o.listing_id.to_string(),
            listing_title: o.listing_title.clone(),
            quantity: o.quantity,
            unit_price: o.unit_price.into(),
            items: o.items().iter().map(OrderItemView::from).collect(),
            discounts: o
                .discounts
                .iter()
                .map(|d| DiscountView::new(d, currency))
                .collect(),
            paid_with: o.paid_with.iter().map(ToString::to_string).collect(),
            bundle: o
                .bundle
                .as_ref()
                .map(|b| BundleDiscountView::new(b, currency)),
            rewards_earned: money(o.rewards_earned_minor),
            shipping_method: o.shipping.method.clone(),
            shipping_cost: o.shipping.cost.into(),
            total: o.total.into(),
            address: (&o.address).into(),
            address_hidden: false,
            created_at: ts(o.created_at),
            paid_at: o.paid_at.map(ts),
            ship_by_at: ts(o.ship_by_at),
            promised_delivery_at: ts(o.promised_delivery_at),
            protection_ends_at: o.protection_ends_at.map(ts),
            shipment: o.shipment.as_ref().map(|s| ShipmentView {
                carrier: s.carrier.clone(),
                tracking_number: s.tracking_number.clone(),
                shipped_at: ts(s.shipped_at),
            }),
            tracking_status: o.tracking_status.map(|s| s.as_str().to_string()),
            delivered_at: o.delivered_at.map(ts),
            cancel_requested_at: o.cancel_requested_at.map(ts),
            not_received_claim_at: o.not_received_claim_at.map(ts),
            closed_at: o.closed_at.map(ts),
            close_reason: o.close_reason.map(|reason| reason.as_str().to_string()),
            released_to_seller: money(o.released_minor),
            commission: money(o.commission_minor),
            refunded: money(o.refunded_minor),
            refunded_to_card: money(o.refunded_card_minor),
            close_explanation: o.close_reason.map(|r| r.explanation().to_string()),
            protection_paused: o.window_paused_at.is_some(),
            protection_remaining_s: o
                .window_paused_at
                .and_then(|at| o.protection_remaining_s(at)),
            open_dispute_id: o.open_dispute.map(|d| d.id.to_string()),
            paid_by_card: money(o.paid_card_minor),
            paid_by_credit: money(o.paid_credit_minor),
            compensated: money(o.compensated_minor),
            compensation_reversed: money(o.compensation_reversed_minor),
            compensation_spent: money(o.compensation_spent_minor),
            chargeback: o.chargeback.as_ref().map(|c| money(c.amount_minor)),
            guaranteed_genuine: o.guaranteed_genuine,
            held_for_review: o.held_for_review(),
            has_certificate: o.trust_snapshot.is_some(),
            risk: o.risk.as_ref().map(|r| RiskNoteView {
                score: r.score,
                decision: r.decision.clone(),
                reasons: r.reasons.clone(),
                review: r.review.map(|s| {
                    match s {
                        haven_domain::order::ReviewStatus::Pending => "pending",
                        haven_domain::order::ReviewStatus::Approved => "approved",
                        haven_domain::order::ReviewStatus::Refused => "refused",
                    }
                    .to_string()
                }),
            }),
            payment_challenge_required: o.state == haven_domain::order::OrderState::PendingPayment
                && o.payment.is_some(),
            policy_version: o.policy_version,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderItemView {
    pub listing_id: String,
    pub listing_title: String,
    pub quantity: u32,
    pub unit_price: MoneyView,
    pub line_total: MoneyView,
    /// Bought at a flash deal's price.
    pub flash_deal: bool,
    pub guaranteed_genuine: bool,
}

impl From<&haven_domain::order::OrderItem> for OrderItemView {
    fn from(item: &haven_domain::order::OrderItem) -> Self {
        let line = item
            .line_total()
            .unwrap_or(Money::new(0, item.unit_price.currency));
        OrderItemView {
            listing_id: item.listing_id.to_string(),
            listing_title: item.listing_title.clone(),
            quantity: item.quantity,
            unit_price: item.unit_price.into(),
            line_total: line.into(),
            flash_deal: item.flash_deal,
            guaranteed_genuine: item.guaranteed_genuine,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BundleDiscountView {
    pub bundle_id: String,
    pub title: String,
    /// Complete sets in the order.
    pub sets: u32,
    pub amount: MoneyView,
}

impl BundleDiscountView {
    pub fn new(
        b: &haven_domain::bundle::BundleDiscount,
        currency: haven_domain::money::Currency,
    ) -> Self {
        BundleDiscountView {
            bundle_id: b.bundle_id.to_string(),
            title: b.title.clone(),
            sets: b.sets,
            amount: Money::new(b.amount_minor, currency).into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DiscountView {
    pub coupon_id: String,
    pub title: String,
    pub code: Option<String>,
    /// platform or seller
    pub funded_by: String,
    pub amount: MoneyView,
}

impl DiscountView {
    pub fn new(
        d: &haven_domain::coupon::OrderDiscount,
        currency: haven_domain::money::Currency,
    ) -> Self {
        DiscountView {
            coupon_id: d.coupon_id.to_string(),
            title: d.title.clone(),
            code: d.code.clone(),
            funded_by: haven_domain::wire_name(&d.funded_by),
            amount: Money::new(d.amount_minor, currency).into(),
        }
    }
}

fn date_part(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

/// Display helpers for the web pages.
impl OrderView {
    /// The short number people quote ("#1A2B3C4D"): the id's last eight
    /// hex digits, which `App::store_order_by_number` resolves in a store.
    pub fn number(&self) -> String {
        haven_domain::order::short_number(&self.id)
    }

    pub fn state_label(&self) -> String {
        self.state.replace('_', " ")
    }
    pub fn claim_date(&self) -> &str {
        self.not_received_claim_at.as_deref().map_or("", date_part)
    }
    pub fn protection_end_date(&self) -> &str {
        self.protection_ends_at.as_deref().map_or("", date_part)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrackingEventView {
    pub status: String,
    pub occurred_at: String,
    pub location: String,
}

impl TrackingEventView {
    pub fn status_label(&self) -> String {
        self.status.replace('_', " ")
    }
}

impl From<&TrackingEvent> for TrackingEventView {
    fn from(e: &TrackingEvent) -> Self {
        TrackingEventView {
            status: e.status.clone(),
            occurred_at: ts(e.occurred_at),
            location: e.location.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BalanceView {
    pub store_id: String,
    pub available: MoneyView,
    pub reserve: MoneyView,
    /// Requested payouts on their way to the bank.
    pub in_payout: MoneyView,
    /// Buyers' payments for open orders, before commission: released to
    /// the seller as each order completes, or refunded.
    pub in_escrow: MoneyView,
    /// Open orders holding money in escrow.
    pub escrow_orders: i64,
}

impl From<haven_app::Balances> for BalanceView {
    fn from(b: haven_app::Balances) -> Self {
        BalanceView {
            store_id: b.store_id.to_string(),
            available: b.available.into(),
            reserve: b.reserve.into(),
            in_payout: b.in_payout.into(),
            in_escrow: b.in_escrow.into(),
            escrow_orders: b.escrow_orders,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PayoutView {
    pub id: String,
    pub store_id: String,
    pub amount: MoneyView,
    /// `requested` (on its way to the bank) or `paid`.
    pub state: String,
    pub created_at: String,
    /// When the bank confirmed it.
    pub settled_at: Option<String>,
    /// The bank's reference for the transfer.
    pub bank_reference: Option<String>,
}

impl From<&Payout> for PayoutView {
    fn from(p: &Payout) -> Self {
        PayoutView {
            id: p.id.to_string(),
            store_id: p.store_id.to_string(),
            amount: p.amount.into(),
            state: p.state.clone(),
            created_at: ts(p.created_at),
            settled_at: p.settled_at.map(ts),
            bank_reference: p.bank_reference.clone(),
        }
    }
}

/// A page of one of the seller's accounts, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementView {
    /// `available`, `reserve` or `payout`.
    pub account: String,
    /// The account's balance now.
    pub balance: MoneyView,
    pub lines: Vec<StatementLineView>,
    /// Pass as `cursor` for older lines; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatementLineView {
    /// The ledger entry's sequence number.
    pub seq: i64,
    pub at: String,
    /// The entry's kind (`release`, `payout`, `payout_settled` …).
    pub kind: String,
    /// In words, for the seller.
    pub description: String,
    pub order_id: Option<String>,
    pub payout_id: Option<String>,
    /// Into the account (positive) or out of it (negative).
    pub amount: MoneyView,
    pub balance_after: MoneyView,
}

impl From<&haven_app::Statement> for StatementView {
    fn from(s: &haven_app::Statement) -> Self {
        StatementView {
            account: s.account.as_str().to_string(),
            balance: s.balance.into(),
            lines: s
                .rows
                .iter()
                .map(|r| StatementLineView {
                    seq: r.line.seq,
                    at: ts(r.line.created_at),
                    kind: r.line.kind.as_str().to_string(),
                    description: r
                        .line
                        .kind
                        .statement_label(r.line.amount.amount_minor > 0)
                        .to_string(),
                    order_id: r.line.order_id.map(|o| o.to_string()),
                    payout_id: r.line.payout_id.map(|p| p.to_string()),
                    amount: r.line.amount.into(),
                    balance_after: r.balance_after.into(),
                })
                .collect(),
            next_cursor: s.next.map(|c| c.encode()),
        }
    }
}

/// A command in the dead-letter queue. An email shows only who it was for
/// and its subject: its body may carry live links.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommandView {
    pub id: String,
    /// `email`, `gateway.refund`, `gateway.void`, `gateway.capture`,
    /// `gateway.chargeback_evidence`, `reconcile.missing_capture`,
    /// `webhook.deliver`.
    pub kind: String,
    /// pending, done, dead, cancelled
    pub state: String,
    pub attempts: i32,
    pub last_error: String,
    pub order_id: Option<String>,
    /// What the command carries (an email: recipient and subject only).
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    pub created_at: String,
    pub next_attempt_at: String,
    pub done_at: Option<String>,
}

impl From<&haven_store::Command> for CommandView {
    fn from(c: &haven_store::Command) -> Self {
        let summary = if c.kind == haven_app::commands::EMAIL {
            serde_json::json!({ "to": c.payload["to"], "subject": c.payload["subject"] })
        } else {
            c.payload.clone()
        };
        CommandView {
            id: c.id.to_string(),
            kind: c.kind.clone(),
            state: c.state.as_str().into(),
            attempts: c.attempts,
            last_error: c.last_error.clone(),
            order_id: c.order_id.map(|id| id.to_string()),
            summary,
            created_at: c.created_at.to_string(),
            next_attempt_at: c.next_attempt_at.to_string(),
            done_at: c.done_at.map(|t| t.to_string()),
        }
    }
}

/// A page of items plus the opaque cursor for the next page.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PageView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A dispute as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DisputeView {
    pub id: String,
    pub order_id: String,
    /// The disputed order's item (empty where the order was not read).
    #[serde(default)]
    pub item: String,
    /// The dispute waits on the viewer (an answer, a return to ship or
    /// check, an offer to take or leave).
    #[serde(default)]
    pub your_move: bool,
    /// awaiting_seller, counter_offered, unresolved, awaiting_return, return_shipped,
    /// return_delivered, escalated, resolved, withdrawn, lapsed, superseded
    pub state: String,
    pub open: bool,
    /// not_received, not_as_described, damaged, counterfeit, wrong_item, missing_parts
    pub reason: String,
    /// `{"type":"full_refund"}`, `{"type":"partial_refund","amount_minor":…}` or `{"type":"return_and_refund"}`
    #[schema(value_type = Object)]
    pub requested: serde_json::Value,
    pub description: String,
    /// Opened by Haven because the window ended without a delivery scan.
    pub automatic: bool,
    pub opened_at: String,
    /// Silence by then grants the buyer's request.
    pub seller_respond_by: Option<String>,
    /// The buyer may escalate to Haven from this time.
    pub escalation_available_at: String,
    pub counter_offer: Option<MoneyView>,
    pub seller_response: Option<String>,
    /// Why to be careful with the description or the seller's response:
    /// the message scanner's findings, one plain explanation each.
    pub description_warnings: Vec<String>,
    pub seller_response_warnings: Vec<String>,
    pub return_address: Option<AddressView>,
    pub return_ship_by: Option<String>,
    pub return_shipment: Option<ShipmentView>,
    pub return_delivered_at: Option<String>,
    pub return_check_by: Option<String>,
    pub escalated_at: Option<String>,
    pub escalation_reason: Option<String>,
    pub resolution: Option<ResolutionView>,
    pub closed_at: Option<String>,
    pub reopened_from: Option<String>,
    pub policy_version: i64,
    /// What the caller may do now: add_evidence, accept, counter, reject,
    /// accept_counter, decline_counter, ship_return, confirm_return,
    /// contest_return, escalate, withdraw, reopen, decide.
    pub available_actions: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResolutionView {
    /// full_refund, partial_refund or no_refund
    pub decision: String,
    pub refund: MoneyView,
    /// buyer, seller, agent or system
    pub decided_by: String,
    pub reasons: String,
    pub counterfeit_confirmed: bool,
    pub at: String,
}

/// Actions by their wire names.
fn names<A: Copy>(actions: Vec<A>, name: impl Fn(A) -> &'static str) -> Vec<String> {
    actions.into_iter().map(|a| name(a).to_string()).collect()
}

/// Whether `action` is among `available`.
fn allows(available: &[String], action: &str) -> bool {
    available.iter().any(|a| a == action)
}

/// Disputes as `actor` sees them, each with its own order and the policy
/// it was opened under (so deadlines in lists are the record's own).
pub async fn dispute_views(
    app: &haven_app::App,
    actor: &haven_app::Actor,
    disputes: &[haven_domain::dispute::Dispute],
) -> haven_app::AppResult<Vec<DisputeView>> {
    let mut views = Vec::with_capacity(disputes.len());
    for d in disputes {
        let order = app.order(d.order_id).await?;
        let policy = app.policy(d.policy_version).await?;
        views.push(DisputeView::seen_by(d, &order, &policy, actor, app.now()));
    }
    Ok(views)
}

impl DisputeView {
    /// The dispute as `actor` sees it, with the actions open to them now.
    /// `policy` is the one the dispute was opened under.
    pub fn seen_by(
        d: &haven_domain::dispute::Dispute,
        order: &Order,
        policy: &haven_domain::policy::Policy,
        actor: &haven_app::Actor,
        now: haven_domain::Timestamp,
    ) -> DisputeView {
        let party = actor.party_in(d.buyer_id, d.store_id);
        let mut view = Self::of(d, policy);
        view.available_actions = names(d.available_actions(party, order, policy, now), |a| {
            a.as_str()
        });
        view.item = order.listing_title.clone();
        view.your_move = d.state.waiting_on() == Some(party);
        view
    }

    /// The deadline the dispute's current step runs to (the seller's
    /// answer, the return's shipment, the return's check), RFC 3339.
    pub fn next_deadline(&self) -> Option<&str> {
        match self.state.as_str() {
            "awaiting_seller" => self.seller_respond_by.as_deref(),
            "awaiting_return" => self.return_ship_by.as_deref(),
            "return_delivered" => self.return_check_by.as_deref(),
            _ => None,
        }
    }

    pub fn can(&self, action: &str) -> bool {
        allows(&self.available_actions, action)
    }

    /// Without actions (a list entry or a system answer).
    pub fn of(
        d: &haven_domain::dispute::Dispute,
        policy: &haven_domain::policy::Policy,
    ) -> DisputeView {
        let currency = haven_domain::money::Currency::USD;
        let money = |minor| MoneyView::from(Money::new(minor, currency));
        let tag = |value: serde_json::Value| {
            value
                .get("type")
                .and_then(|t| t.as_str())
                .unwrap_or_default()
                .to_string()
        };
        DisputeView {
            available_actions: Vec::new(),
            id: d.id.to_string(),
            order_id: d.order_id.to_string(),
            item: String::new(),
            your_move: false,
            state: d.state.as_str().into(),
            open: d.state.is_open(),
            reason: d.reason.as_str().into(),
            requested: serde_json::to_value(d.requested).unwrap_or_default(),
            description: d.description.clone(),
            automatic: d.automatic,
            opened_at: ts(d.opened_at),
            seller_respond_by: d.seller_respond_by.map(ts),
            escalation_available_at: ts(d.escalation_available_at(policy)),
            counter_offer: d.counter_offer_minor.map(money),
            seller_response: d.seller_response.clone(),
            description_warnings: explain(&d.description_warnings),
            seller_response_warnings: explain(&d.seller_response_warnings),
            return_address: d.return_address.as_ref().map(AddressView::from),
            return_ship_by: d.return_ship_by.map(ts),
            return_shipment: d.return_shipment.as_ref().map(|s| ShipmentView {
                carrier: s.carrier.clone(),
                tracking_number: s.tracking_number.clone(),
                shipped_at: ts(s.shipped_at),
            }),
            return_delivered_at: d.return_delivered_at.map(ts),
            return_check_by: d.return_check_by.map(ts),
            escalated_at: d.escalated_at.map(ts),
            escalation_reason: d.escalation_reason.clone(),
            resolution: d.resolution.as_ref().map(|r| ResolutionView {
                decision: tag(serde_json::to_value(r.decision).unwrap_or_default()),
                refund: money(r.refund_minor),
                decided_by: r.decided_by.as_str().into(),
                reasons: r.reasons.clone(),
                counterfeit_confirmed: r.counterfeit_confirmed,
                at: ts(r.at),
            }),
            closed_at: d.closed_at.map(ts),
            reopened_from: d.reopened_from.map(|id| id.to_string()),
            policy_version: d.policy_version,
        }
    }

    pub fn state_label(&self) -> String {
        self.state.replace('_', " ")
    }

    pub fn reason_label(&self) -> &'static str {
        haven_domain::dispute::DisputeReason::parse(&self.reason).map_or("", |r| r.label())
    }

    pub fn requested_label(&self) -> String {
        match self.requested.get("type").and_then(|t| t.as_str()) {
            Some("partial_refund") => {
                let minor = self
                    .requested
                    .get("amount_minor")
                    .and_then(|a| a.as_i64())
                    .unwrap_or(0);
                format!(
                    "partial refund of {}, keeping the item",
                    Money::new(minor, haven_domain::money::Currency::USD)
                )
            }
            Some("return_and_refund") => "return the item for a full refund".into(),
            _ => "full refund".into(),
        }
    }
}

/// One entry of a dispute's hash-chained evidence log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvidenceEntryView {
    pub seq: i64,
    pub at: String,
    /// buyer, seller, agent or system
    pub actor: String,
    /// opened, message, file, tracking, state_change or decision
    pub kind: String,
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

impl From<&haven_domain::evidence::EvidenceEntry> for EvidenceEntryView {
    fn from(e: &haven_domain::evidence::EvidenceEntry) -> Self {
        EvidenceEntryView {
            seq: e.seq,
            at: ts(e.at),
            actor: e.actor.as_str().into(),
            kind: wire_name(&e.kind),
            body: e.body.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        }
    }
}

impl EvidenceEntryView {
    pub fn text(&self) -> Option<&str> {
        self.body.get("text").and_then(|t| t.as_str())
    }

    pub fn file_hash(&self) -> Option<&str> {
        (self.kind == "file")
            .then(|| self.body.get("sha256").and_then(|h| h.as_str()))
            .flatten()
    }

    pub fn is_video(&self) -> bool {
        self.body
            .get("content_type")
            .and_then(|c| c.as_str())
            .is_some_and(|c| c.starts_with("video/"))
    }

    /// What the message scanner found in this entry's words (a statement,
    /// a note, a copied chat message): one plain warning each.
    pub fn warnings(&self) -> Vec<String> {
        let categories: Vec<String> = self
            .body
            .get("categories")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|c| c.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        explain(&categories)
    }

    /// A one-line summary for pages.
    pub fn summary(&self) -> String {
        match self.kind.as_str() {
            "state_change" => format!(
                "{} → {}",
                self.body
                    .get("from")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .replace('_', " "),
                self.body
                    .get("to")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .replace('_', " ")
            ),
            "tracking" => format!(
                "carrier scan: {} {}",
                self.body
                    .get("status")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .replace('_', " "),
                self.body
                    .get("location")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
            ),
            "decision" => format!(
                "decision: {}",
                self.body
                    .get("reasons")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
            ),
            "opened" => format!(
                "opened: {}",
                self.body
                    .get("description")
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
            ),
            _ => self.text().unwrap_or("").to_string(),
        }
    }
}

/// One audit-trail record (agents only).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditView {
    pub at: String,
    pub subject: String,
    pub subject_id: String,
    pub actor: String,
    pub actor_id: Option<String>,
    pub action: String,
    pub from_state: String,
    pub to_state: String,
    pub reason: String,
    pub policy_version: i64,
}

impl From<&haven_domain::trail::AuditRecord> for AuditView {
    fn from(a: &haven_domain::trail::AuditRecord) -> Self {
        AuditView {
            at: ts(a.at),
            subject: a.subject.clone(),
            subject_id: a.subject_id.to_string(),
            actor: a.actor.as_str().into(),
            actor_id: a.actor_id.map(|id| id.to_string()),
            action: a.action.clone(),
            from_state: a.from_state.clone(),
            to_state: a.to_state.clone(),
            reason: a.reason.clone(),
            policy_version: a.policy_version,
        }
    }
}

/// A conversation as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConversationView {
    pub id: String,
    /// `order` or `pre_sale`.
    pub kind: String,
    pub order_id: Option<String>,
    pub listing_id: String,
    pub buyer_id: String,
    pub store_id: String,
    /// The buyer's display name ("Former member" once they closed their
    /// account).
    pub buyer_name: String,
    pub store_name: String,
    pub subject: String,
    /// Messages delivered (a blocked message is not counted: its intended
    /// recipient never learns it was sent).
    pub message_count: i64,
    pub last_message_at: Option<String>,
    /// In the trust-and-safety console for repeated scam messages.
    pub flagged: bool,
    pub created_at: String,
}

impl ConversationView {
    /// The conversation with both parties named.
    pub async fn named(
        app: &haven_app::App,
        c: &haven_domain::messaging::Conversation,
    ) -> Result<Self, haven_app::AppError> {
        Ok(Self::all_named(app, std::slice::from_ref(c))
            .await?
            .remove(0))
    }

    /// Conversations with their parties named, each person and store
    /// looked up once.
    pub async fn all_named(
        app: &haven_app::App,
        items: &[haven_domain::messaging::Conversation],
    ) -> Result<Vec<Self>, haven_app::AppError> {
        use std::collections::hash_map::Entry;
        let mut buyers = std::collections::HashMap::new();
        let mut stores = std::collections::HashMap::new();
        let mut views = Vec::with_capacity(items.len());
        for c in items {
            if let Entry::Vacant(slot) = buyers.entry(c.buyer_id) {
                let user = app.store.user(c.buyer_id).await?;
                slot.insert(user.map_or_else(|| "A buyer".to_string(), |u| u.display_name));
            }
            if let Entry::Vacant(slot) = stores.entry(c.store_id) {
                slot.insert(app.cached_reputation(c.store_id).await?.1);
            }
            views.push(Self::with_names(
                c,
                &buyers[&c.buyer_id],
                &stores[&c.store_id],
            ));
        }
        Ok(views)
    }

    fn with_names(
        c: &haven_domain::messaging::Conversation,
        buyer_name: &str,
        store_name: &str,
    ) -> Self {
        ConversationView {
            id: c.id.to_string(),
            kind: wire_name(&c.kind),
            order_id: c.order_id.map(|o| o.to_string()),
            listing_id: c.listing_id.to_string(),
            buyer_id: c.buyer_id.to_string(),
            store_id: c.store_id.to_string(),
            buyer_name: buyer_name.to_string(),
            store_name: store_name.to_string(),
            subject: c.subject.clone(),
            message_count: c.delivered_count,
            last_message_at: c.last_delivered_at.map(ts),
            flagged: c.flagged,
            created_at: ts(c.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AttachmentView {
    pub sha256: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// A message as one reader sees it: the sender sees what they wrote and,
/// if it was blocked, why; the recipient sees the delivered text with a
/// warning that explains the risk.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MessageView {
    pub id: String,
    pub seq: i64,
    /// `buyer` or `seller`.
    pub sender: String,
    pub mine: bool,
    pub text: String,
    /// `delivered`, `warned` or `blocked`.
    pub delivery: String,
    pub categories: Vec<String>,
    /// For the recipient of a warned message: what the risk is.
    pub warnings: Vec<String>,
    /// For the sender of a blocked message: why it was not delivered.
    pub blocked_reasons: Vec<String>,
    /// What the scanner saw in a blocked message, quoted for its sender.
    pub blocked_noticed: Vec<String>,
    pub attachments: Vec<AttachmentView>,
    pub created_at: String,
}

/// What the recipient is told about each kind of risky message.
pub use haven_app::screening::category_warning;

/// One plain explanation per scanner category.
pub fn explain(categories: &[String]) -> Vec<String> {
    categories
        .iter()
        .map(|c| category_warning(c).to_string())
        .collect()
}

impl MessageView {
    pub fn for_reader(
        m: &haven_domain::messaging::Message,
        reader: haven_domain::ids::UserId,
    ) -> Self {
        use haven_domain::messaging::Delivery;
        let mine = m.sender_id == reader;
        let warnings = if !mine && m.delivery == Delivery::Warned {
            m.categories
                .iter()
                .map(|c| category_warning(c).to_string())
                .collect()
        } else {
            Vec::new()
        };
        // The sender of a blocked message is told why in words written for
        // them, then what the scanner saw, quoted.
        let (blocked_reasons, blocked_noticed) = if m.delivery == Delivery::Blocked {
            let reasons = m
                .categories
                .iter()
                .map(|c| haven_app::screening::category_refusal(c).to_string())
                .collect();
            (reasons, m.reasons.clone())
        } else {
            (Vec::new(), Vec::new())
        };
        MessageView {
            id: m.id.to_string(),
            seq: m.seq,
            sender: wire_name(&m.sender),
            mine,
            text: if mine {
                m.text.clone()
            } else {
                m.shown_text.clone()
            },
            delivery: wire_name(&m.delivery),
            categories: m.categories.clone(),
            warnings,
            blocked_reasons,
            blocked_noticed,
            attachments: m
                .attachments
                .iter()
                .map(|a| AttachmentView {
                    sha256: a.sha256.clone(),
                    content_type: a.content_type.clone(),
                    size_bytes: a.size_bytes,
                })
                .collect(),
            created_at: ts(m.created_at),
        }
    }
}

/// One business event (see `haven_domain::events::EventType` and
/// docs/API.md for each type's `data`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    /// Commit order: pass the last one as `after` to read on.
    pub seq: i64,
    pub id: String,
    #[schema(value_type = String, example = "order.paid")]
    #[serde(rename = "type")]
    pub kind: haven_domain::events::EventType,
    pub created_at: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl EventView {
    /// Only the documented business events; anything else never leaves.
    pub fn from_row(row: &haven_store::OutboxEvent) -> Option<EventView> {
        Some(EventView {
            seq: row.seq,
            id: row.id.to_string(),
            kind: haven_domain::events::EventType::parse(&row.topic)?,
            created_at: ts(row.created_at),
            data: row.payload.clone(),
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventPage {
    pub items: Vec<EventView>,
    /// `after` for the next page; null when this page is the last so far.
    pub next_after: Option<i64>,
}

/// A store's proof for a brand, as the seller and agents see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BrandProofView {
    pub store_id: String,
    pub brand: String,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    pub proof: String,
    /// URL of the uploaded document, if any.
    pub document: Option<String>,
    pub submitted_at: String,
    pub decided_at: Option<String>,
    /// The agent's note (why a proof was refused).
    pub note: String,
}

impl From<&haven_domain::catalog::BrandApproval> for BrandProofView {
    fn from(a: &haven_domain::catalog::BrandApproval) -> Self {
        BrandProofView {
            store_id: a.store_id.to_string(),
            brand: a.brand.clone(),
            status: a.status.as_str().to_string(),
            proof: a.proof.clone(),
            document: a.document.as_ref().map(|h| format!("/media/{h}")),
            submitted_at: ts(a.submitted_at),
            decided_at: a.decided_at.map(ts),
            note: a.note.clone(),
        }
    }
}
