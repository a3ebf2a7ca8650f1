//! Checkout: price the order, take the money (card and/or buyer credit),
//! reserve stock and hold everything in escrow, all-or-nothing.
//!
//! The card is captured *before* the order is committed, and refunded if the
//! commit then fails (the last unit sold a moment earlier). So an order is
//! never marked paid for money that was not collected, and a declined card
//! writes nothing at all.

use haven_domain::dispute::Party;
use haven_domain::ids::{ListingId, OrderId};
use haven_domain::ledger::Account;
use haven_domain::money::Money;
use haven_domain::order::{
    Address, EventKind, MAX_QUANTITY, NewOrder, Order, OrderEvent, OrderState, PaymentInfo,
    ShippingChoice,
};
use haven_domain::timer::TimerKind;
use haven_store::{Changeset, NewTimer, OrderWrite, StockChange};

use super::{Actor, ActorRef, App, Idem, attach_idem, audit_order, changeset_for};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::payments::{Authorization, CardDetails, GatewayError};

#[derive(Debug, Clone)]
pub struct CheckoutInput {
    pub listing_id: ListingId,
    pub quantity: i64,
    pub shipping_method: String,
    pub address: Address,
    /// Needed unless credit covers the whole total.
    pub card: Option<CardDetails>,
    /// Spend the buyer's credit (on-time guarantee, goodwill) first.
    pub use_credit: bool,
}

#[derive(Debug, Clone)]
pub struct CheckoutOutcome {
    pub order: Order,
    /// The card issuer wants the buyer verified before the payment completes.
    pub challenge_required: bool,
}

/// How a checkout's money is coming in.
struct Funding {
    credit_minor: i64,
    card_minor: i64,
}

impl App {
    pub async fn checkout(
        &self,
        actor: &Actor,
        input: CheckoutInput,
        idem: Option<&Idem>,
    ) -> AppResult<CheckoutOutcome> {
        let (mut order, checkout_effects) = self.price_order(actor, &input).await?;
        let funding = self.funding(actor, &order, input.use_credit).await?;
        if funding.card_minor == 0 {
            let payment = PaymentInfo {
                gateway: "credit".into(),
                payment_ref: format!("credit_{}", order.id),
                card_last4: String::new(),
            };
            let (changes, paid) = self
                .paid_order_changes(order, payment, funding.credit_minor, idem)
                .await?;
            self.store.commit(changes).await?;
            return Ok(CheckoutOutcome {
                order: paid,
                challenge_required: false,
            });
        }
        let card = input.card.as_ref().ok_or_else(|| {
            AppError::validation("card details are required for the amount credit does not cover")
        })?;
        let amount = Money::new(funding.card_minor, order.total.currency);
        let key = format!("checkout:{}", order.id);
        match self
            .gateway
            .authorize(card, amount, &key)
            .await
            .map_err(gateway_error)?
        {
            Authorization::Declined { reason } => Err(AppError::payment_declined(reason)),
            Authorization::Approved {
                payment_ref,
                card_last4,
            } => {
                if let Err(err) = self.gateway.capture(&payment_ref, amount).await {
                    let _ = self.gateway.void(&payment_ref).await;
                    return Err(gateway_error(err));
                }
                let payment = PaymentInfo {
                    gateway: self.gateway.name().into(),
                    payment_ref,
                    card_last4,
                };
                let (changes, paid) = self
                    .paid_order_changes(order, payment.clone(), funding.credit_minor, idem)
                    .await?;
                self.commit_or_refund(changes, &payment, amount).await?;
                Ok(CheckoutOutcome {
                    order: paid,
                    challenge_required: false,
                })
            }
            Authorization::ChallengeRequired {
                payment_ref,
                card_last4,
            } => {
                order.payment = Some(PaymentInfo {
                    gateway: self.gateway.name().into(),
                    payment_ref: payment_ref.clone(),
                    card_last4,
                });
                // The credit share is decided now and spent when the payment completes.
                order.paid_credit_minor = funding.credit_minor;
                let changes = Changeset {
                    schedule: checkout_effects
                        .schedule
                        .into_iter()
                        .map(|t| NewTimer {
                            order_id: order.id,
                            kind: t.kind,
                            due_at: t.due_at,
                        })
                        .collect(),
                    ..Changeset::default()
                };
                let (changes, pending) = self.finish_new_order(changes, order, actor, idem)?;
                if let Err(err) = self.store.commit(changes).await {
                    let _ = self.gateway.void(&payment_ref).await;
                    return Err(err.into());
                }
                Ok(CheckoutOutcome {
                    order: pending,
                    challenge_required: true,
                })
            }
        }
    }

    /// Commit a paid order; if that fails, give the captured money back.
    async fn commit_or_refund(
        &self,
        changes: Changeset,
        payment: &PaymentInfo,
        amount: Money,
    ) -> AppResult<()> {
        if let Err(err) = self.store.commit(changes).await {
            let key = format!("{}:uncommitted", payment.payment_ref);
            if let Err(refund_err) = self
                .gateway
                .refund(&payment.payment_ref, amount, &key)
                .await
            {
                tracing::error!(payment = %payment.payment_ref, error = %refund_err, "captured payment for an order that was not created; refund failed");
            }
            return Err(err.into());
        }
        Ok(())
    }

    /// Split the total between credit (if asked) and card.
    async fn funding(&self, actor: &Actor, order: &Order, use_credit: bool) -> AppResult<Funding> {
        let credit_minor = if use_credit {
            let account = Account::BuyerCredit(actor.id()).to_string();
            self.store
                .balance(&account, order.total.currency.as_str())
                .await?
                .clamp(0, order.total.amount_minor)
        } else {
            0
        };
        Ok(Funding {
            credit_minor,
            card_minor: order.total.amount_minor - credit_minor,
        })
    }

    /// Validate the request and build the unpaid order (nothing written).
    async fn price_order(
        &self,
        actor: &Actor,
        input: &CheckoutInput,
    ) -> AppResult<(Order, haven_domain::order::Effects)> {
        if input.quantity < 1 || input.quantity > i64::from(MAX_QUANTITY) {
            return Err(AppError::validation(format!(
                "quantity must be 1-{MAX_QUANTITY}"
            )));
        }
        let quantity = u32::try_from(input.quantity)
            .map_err(|_| AppError::validation("quantity out of range"))?;
        let address = Address::parse(input.address.clone()).map_err(AppError::validation)?;
        let listing = self
            .store
            .listing(input.listing_id)
            .await?
            .ok_or_else(|| AppError::not_found("listing"))?;
        if actor.store_id == Some(listing.store_id) {
            return Err(AppError::forbidden("you cannot buy from your own store"));
        }
        let rate = listing
            .rate_for(&input.shipping_method, &address.country)
            .ok_or_else(|| {
                AppError::validation(format!(
                    "this listing has no '{}' shipping to {}",
                    input.shipping_method, address.country
                ))
            })?;
        if listing.stock < i64::from(quantity) {
            return Err(AppError::conflict(
                ErrorKind::OutOfStock,
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
            guaranteed_genuine: listing.guaranteed_genuine,
            quantity,
            unit_price: listing.price,
            shipping,
            address,
            ship_by_days: listing.ship_by_days,
        };
        let (version, policy) = self.current_policy();
        Order::checkout(new, &policy, version, self.now())
            .map_err(|e| AppError::validation(e.to_string()))
    }

    /// The order, captured into escrow, inserted in one changeset with its stock.
    async fn paid_order_changes(
        &self,
        order: Order,
        payment: PaymentInfo,
        credit_minor: i64,
        idem: Option<&Idem>,
    ) -> AppResult<(Changeset, Order)> {
        let policy = self.policy(order.policy_version).await?;
        let payment_ref = payment.payment_ref.clone();
        let transition = order.apply(
            OrderEvent::PaymentCaptured {
                payment,
                credit_minor,
            },
            &policy,
            self.now(),
        )?;
        let mut changes = changeset_for(&transition, None, self.now());
        changes
            .unschedule
            .retain(|(_, kind)| *kind != TimerKind::UnpaidExpiry);
        if let Some(after) = self.gateway.simulated_chargeback_after(&payment_ref) {
            let due_at = self.now() + after;
            changes.schedule.push(NewTimer {
                order_id: order.id,
                kind: TimerKind::SimulatedChargeback,
                due_at,
            });
        }
        let buyer = ActorRef {
            party: Party::Buyer,
            user_id: Some(order.buyer_id),
        };
        changes.audit.push(audit_order(
            &order,
            &transition.order,
            EventKind::PaymentCaptured,
            buyer,
            self.now(),
        ));
        let stock = Some(StockChange {
            listing_id: order.listing_id,
            delta: -i64::from(order.quantity),
        });
        let mut paid = transition.order;
        paid.version = 1;
        changes.orders = vec![OrderWrite {
            order: paid.clone(),
            expected_version: None,
        }];
        changes.stock = stock.into_iter().collect();
        attach_idem(
            &mut changes,
            idem,
            crate::Resource::Order(paid.id),
            self.now(),
        );
        Ok((changes, paid))
    }

    /// An unpaid order that waits for the card challenge; stock is held and
    /// released by the unpaid-expiry timer if the buyer never finishes.
    fn finish_new_order(
        &self,
        mut changes: Changeset,
        mut order: Order,
        actor: &Actor,
        idem: Option<&Idem>,
    ) -> AppResult<(Changeset, Order)> {
        changes.stock = vec![StockChange {
            listing_id: order.listing_id,
            delta: -i64::from(order.quantity),
        }];
        let buyer = ActorRef::user(Party::Buyer, actor);
        let mut before = order.clone();
        before.state = OrderState::PendingPayment;
        changes.audit.push(audit_order(
            &before,
            &order,
            EventKind::PaymentCaptured,
            buyer,
            self.now(),
        ));
        changes.audit[0].action = "checkout_awaiting_verification".into();
        order.version = 1;
        changes.orders = vec![OrderWrite {
            order: order.clone(),
            expected_version: None,
        }];
        attach_idem(
            &mut changes,
            idem,
            crate::Resource::Order(order.id),
            self.now(),
        );
        Ok((changes, order))
    }

    /// The buyer answers the issuer's challenge; on success the card is
    /// captured and the money (plus any credit share) goes into escrow.
    pub async fn complete_challenge(
        &self,
        actor: &Actor,
        order_id: OrderId,
        code: &str,
        idem: Option<&Idem>,
    ) -> AppResult<Order> {
        let order = self.order(order_id).await?;
        if order.buyer_id != actor.id() {
            return Err(AppError::not_found("order"));
        }
        let payment = match (&order.payment, order.state) {
            (Some(payment), OrderState::PendingPayment) => payment.clone(),
            _ => {
                return Err(AppError::conflict(
                    ErrorKind::InvalidState,
                    "this order is not waiting for verification",
                ));
            }
        };
        if code.len() > 32 {
            return Err(AppError::validation("code is too long"));
        }
        self.gateway
            .complete_challenge(&payment.payment_ref, code)
            .await
            .map_err(gateway_error)?;
        let credit_minor = order.paid_credit_minor;
        let amount = Money::new(
            order.total.amount_minor - credit_minor,
            order.total.currency,
        );
        self.gateway
            .capture(&payment.payment_ref, amount)
            .await
            .map_err(gateway_error)?;
        let buyer = actor.id();
        let result = self
            .apply_event(
                order_id,
                |_| {
                    Ok(OrderEvent::PaymentCaptured {
                        payment: payment.clone(),
                        credit_minor,
                    })
                },
                |o| {
                    if o.buyer_id == buyer {
                        Ok(())
                    } else {
                        Err(AppError::not_found("order"))
                    }
                },
                ActorRef::user(Party::Buyer, actor),
                idem,
            )
            .await;
        if result.is_err() {
            // Captured but not recorded (the order expired meanwhile): refund.
            let _ = self
                .gateway
                .refund(
                    &payment.payment_ref,
                    amount,
                    &format!("{}:uncommitted", payment.payment_ref),
                )
                .await;
        }
        result
    }
}

pub(crate) fn gateway_error(err: GatewayError) -> AppError {
    match err {
        GatewayError::Declined(reason) => AppError::payment_declined(reason),
        GatewayError::UnknownPayment(_) => {
            AppError::conflict(ErrorKind::InvalidState, "unknown payment")
        }
        GatewayError::Unavailable(msg) => AppError::new(ErrorKind::GatewayUnavailable, msg),
    }
}
