//! Checkout: price the order, authorise the card, reserve stock and hold the
//! money in escrow, all-or-nothing.

use haven_domain::ids::ListingId;
use haven_domain::order::{
    Address, Effects, MAX_QUANTITY, NewOrder, Order, OrderEvent, OrderState, PaymentInfo,
    ShippingChoice,
};
use haven_domain::timer::TimerKind;
use haven_store::{Changeset, OrderWrite, StockChange};

use super::{Actor, App, Idem, attach_idem, changeset_for};
use crate::error::{ApiError, ApiResult};
use crate::payments::{Authorization, CardDetails, GatewayError};
use crate::views::OrderView;

#[derive(Debug, Clone)]
pub struct CheckoutInput {
    pub listing_id: ListingId,
    pub quantity: i64,
    pub shipping_method: String,
    pub address: Address,
    pub card: CardDetails,
}

#[derive(Debug, Clone)]
pub struct CheckoutOutcome {
    pub order: Order,
    /// The card issuer wants the buyer verified before the payment completes.
    pub challenge_required: bool,
}

impl App {
    pub async fn checkout(
        &self,
        actor: &Actor,
        input: CheckoutInput,
        idem: Option<&Idem>,
    ) -> ApiResult<CheckoutOutcome> {
        let (order, checkout_effects) = self.price_order(actor, &input).await?;
        let key = format!("checkout:{}", order.id);
        let authorization = self
            .gateway
            .authorize(&input.card, order.total, &key)
            .await
            .map_err(gateway_error)?;
        let (changes, payment_ref, challenge_required, order) = match authorization {
            Authorization::Declined { reason } => return Err(ApiError::payment_declined(reason)),
            Authorization::Approved {
                payment_ref,
                card_last4,
            } => {
                let (changes, order) = self
                    .paid_order_changes(order, &payment_ref, card_last4, idem)
                    .await?;
                (changes, payment_ref, false, order)
            }
            Authorization::ChallengeRequired {
                payment_ref,
                card_last4,
            } => {
                let (changes, order) = self.challenged_order_changes(
                    order,
                    checkout_effects,
                    &payment_ref,
                    card_last4,
                    idem,
                )?;
                (changes, payment_ref, true, order)
            }
        };
        if let Err(err) = self.store.commit(changes).await {
            // The order does not exist, so the card must not stay authorised.
            let _ = self.gateway.void(&payment_ref).await;
            return Err(err.into());
        }
        if !challenge_required {
            self.gateway
                .capture(&payment_ref, order.total)
                .await
                .map_err(gateway_error)?;
        }
        Ok(CheckoutOutcome {
            order,
            challenge_required,
        })
    }

    /// Validate the request and build the unpaid order (nothing written).
    async fn price_order(
        &self,
        actor: &Actor,
        input: &CheckoutInput,
    ) -> ApiResult<(Order, Effects)> {
        if input.quantity < 1 || input.quantity > i64::from(MAX_QUANTITY) {
            return Err(ApiError::validation(format!(
                "quantity must be 1-{MAX_QUANTITY}"
            )));
        }
        let quantity = u32::try_from(input.quantity)
            .map_err(|_| ApiError::validation("quantity out of range"))?;
        let address = Address::parse(input.address.clone()).map_err(ApiError::validation)?;
        let listing = self
            .store
            .listing(input.listing_id)
            .await?
            .ok_or_else(|| ApiError::not_found("listing"))?;
        if actor.store_id == Some(listing.store_id) {
            return Err(ApiError::forbidden("you cannot buy from your own store"));
        }
        let rate = listing
            .rate_for(&input.shipping_method, &address.country)
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "this listing has no '{}' shipping to {}",
                    input.shipping_method, address.country
                ))
            })?;
        if listing.stock < i64::from(quantity) {
            return Err(ApiError::conflict(
                "out_of_stock",
                "not enough stock for that quantity",
            ));
        }
        let shipping = ShippingChoice {
            method: input.shipping_method.clone(),
            cost: rate.cost,
            min_transit_days: rate.min_transit_days,
            max_transit_days: rate.max_transit_days,
            country: address.country.clone(),
        };
        let new = NewOrder {
            buyer_id: actor.id(),
            store_id: listing.store_id,
            listing_id: listing.id,
            listing_title: listing.title.clone(),
            quantity,
            unit_price: listing.price,
            shipping,
            address,
            ship_by_days: listing.ship_by_days,
        };
        let (version, policy) = self.current_policy();
        Order::checkout(new, &policy, version, self.now())
            .map_err(|e| ApiError::validation(e.to_string()))
    }

    /// The order, captured into escrow, inserted in one changeset with its stock.
    async fn paid_order_changes(
        &self,
        order: Order,
        payment_ref: &str,
        card_last4: String,
        idem: Option<&Idem>,
    ) -> ApiResult<(Changeset, Order)> {
        let policy = self.policy(order.policy_version).await?;
        let payment = PaymentInfo {
            gateway: self.gateway.name().into(),
            payment_ref: payment_ref.into(),
            card_last4,
        };
        let transition =
            order.apply(OrderEvent::PaymentCaptured { payment }, &policy, self.now())?;
        let mut changes = changeset_for(&transition, None, self.now());
        changes
            .unschedule
            .retain(|(_, kind)| *kind != TimerKind::UnpaidExpiry);
        self.finish_new_order(changes, transition.order, idem)
    }

    /// An unpaid order that waits for the card challenge; stock is held and
    /// released by the unpaid-expiry timer if the buyer never finishes.
    fn challenged_order_changes(
        &self,
        mut order: Order,
        effects: Effects,
        payment_ref: &str,
        card_last4: String,
        idem: Option<&Idem>,
    ) -> ApiResult<(Changeset, Order)> {
        order.payment = Some(PaymentInfo {
            gateway: self.gateway.name().into(),
            payment_ref: payment_ref.into(),
            card_last4,
        });
        let changes = Changeset {
            schedule: effects
                .schedule
                .into_iter()
                .map(|t| haven_store::NewTimer {
                    order_id: order.id,
                    kind: t.kind,
                    due_at: t.due_at,
                })
                .collect(),
            ..Changeset::default()
        };
        self.finish_new_order(changes, order, idem)
    }

    fn finish_new_order(
        &self,
        mut changes: Changeset,
        mut order: Order,
        idem: Option<&Idem>,
    ) -> ApiResult<(Changeset, Order)> {
        changes.orders = vec![OrderWrite {
            order: order.clone(),
            expected_version: None,
        }];
        changes.stock = vec![StockChange {
            listing_id: order.listing_id,
            delta: -i64::from(order.quantity),
        }];
        order.version = 1;
        let status = if order.state == OrderState::Paid {
            201
        } else {
            202
        };
        attach_idem(
            &mut changes,
            idem,
            status,
            &OrderView::from(&order),
            self.now(),
        )?;
        Ok((changes, order))
    }

    /// The buyer answers the issuer's challenge; on success the payment is
    /// captured into escrow. A wrong code leaves the order waiting.
    pub async fn complete_challenge(
        &self,
        actor: &Actor,
        order_id: haven_domain::ids::OrderId,
        code: &str,
        idem: Option<&Idem>,
    ) -> ApiResult<Order> {
        let order = self.order(order_id).await?;
        if order.buyer_id != actor.id() {
            return Err(ApiError::not_found("order"));
        }
        let payment = match (&order.payment, order.state) {
            (Some(payment), OrderState::PendingPayment) => payment.clone(),
            _ => {
                return Err(ApiError::conflict(
                    "invalid_state",
                    "this order is not waiting for verification",
                ));
            }
        };
        if code.len() > 32 {
            return Err(ApiError::validation("code is too long"));
        }
        self.gateway
            .complete_challenge(&payment.payment_ref, code)
            .await
            .map_err(gateway_error)?;
        let buyer = actor.id();
        let paid = self
            .apply_event(
                order_id,
                |_| {
                    Ok(OrderEvent::PaymentCaptured {
                        payment: payment.clone(),
                    })
                },
                |o| {
                    if o.buyer_id == buyer {
                        Ok(())
                    } else {
                        Err(ApiError::not_found("order"))
                    }
                },
                idem,
            )
            .await?;
        self.gateway
            .capture(&payment.payment_ref, paid.total)
            .await
            .map_err(gateway_error)?;
        Ok(paid)
    }
}

fn gateway_error(err: GatewayError) -> ApiError {
    match err {
        GatewayError::Declined(reason) => ApiError::payment_declined(reason),
        GatewayError::UnknownPayment(_) => ApiError::conflict("invalid_state", "unknown payment"),
        GatewayError::Unavailable(msg) => ApiError::new(
            axum::http::StatusCode::BAD_GATEWAY,
            "gateway_unavailable",
            msg,
        ),
    }
}
