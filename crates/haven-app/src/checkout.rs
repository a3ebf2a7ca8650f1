//! Checkout: price the order, take the money (card and/or buyer credit),
//! reserve stock and hold everything in escrow.
//!
//! Money crosses the edge in three steps, each safe to die after:
//! 1. **Commit first.** The order is written as `pending_payment` with its
//!    stock, its unpaid-expiry timer and a `gateway.capture` command, in one
//!    transaction, before the gateway hears of it.
//! 2. **Talk to the gateway** under a key a retry reuses: the caller's
//!    `Idempotency-Key` (or, without one, the order id). Authorise, then
//!    capture.
//! 3. **Record the capture**: the order moves to `paid` with its escrow
//!    entry, and the command is settled, in one transaction.
//!
//! If the process dies between 2 and 3, nothing is lost: a retry with the
//! same Idempotency-Key, or the dispatcher running the capture command a
//! little later, *asks* the gateway what happened under the key and
//! finishes the job (records the capture, captures an authorisation, or
//! cancels the order and releases the stock). A capture that arrives for
//! an order already cancelled is refunded. Nothing is ever charged twice:
//! the gateway answers a repeated key with the payment it already made.

use haven_domain::dispute::Party;
use haven_domain::ids::{ListingId, OrderId};
use haven_domain::ledger::Account;
use haven_domain::money::{Currency, Money};
use haven_domain::order::{
    Address, CloseReason, EventKind, Order, OrderEvent, OrderState, PaymentInfo,
};
use haven_domain::timer::TimerKind;
use haven_store::{Changeset, CommandUpdate, NewTimer, OrderWrite, StockChange, StoreError};
use serde::{Deserialize, Serialize};

use super::{Actor, ActorRef, App, Idem, attach_idem, audit_order, changeset_for};
use crate::error::{AppError, AppResult, ErrorKind};
use crate::payments::{
    Authorization, CardDetails, GatewayError, GatewayPayment, PaymentRequest, PaymentState,
};
use crate::risk::ScoredAttempt;
use haven_risk::payment::rules::RuleAction;
use haven_store::RiskOutcome;

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
    /// While a flash deal runs, a checkout is at the deal's price or
    /// refused (`DealSoldOut`): the buyer is never charged more than the
    /// price they saw. Set once the buyer has seen the deal sold out and
    /// agrees to the regular price.
    pub accept_regular_price: bool,
    /// Coupon codes, or ids of coupons the buyer claimed: at most one
    /// platform and one seller coupon.
    pub coupons: Vec<String>,
    /// The total the buyer was shown: if it changed, nothing is charged.
    pub expected_total_minor: Option<i64>,
    /// Device, IP and IP country, for the fraud checks.
    pub context: crate::risk::PaymentContext,
}

#[derive(Debug, Clone)]
pub struct CheckoutOutcome {
    /// The first (for a single listing, the only) order.
    pub order: Order,
    /// Every order the payment paid (one per store), `order` first.
    pub orders: Vec<Order>,
    /// The card issuer wants the buyer verified before the payment completes.
    pub challenge_required: bool,
}

/// How the buyer pays.
pub(crate) struct Payer<'a> {
    pub card: Option<&'a CardDetails>,
    pub use_credit: bool,
    pub context: &'a crate::risk::PaymentContext,
}

/// Orders priced for one payment (one per store), with the coupon
/// redemptions they take, nothing written yet.
pub(crate) struct PricedOrders {
    pub orders: Vec<(Order, haven_domain::order::Effects)>,
    pub redemptions: Vec<haven_store::CouponRedemption>,
    /// From the cart: an Idempotency-Key replay answers with every order.
    pub cart: bool,
}

impl PricedOrders {
    fn resource(&self, first: OrderId) -> crate::Resource {
        if self.cart {
            crate::Resource::Cart(first)
        } else {
            crate::Resource::Order(first)
        }
    }
}

/// The capture command's payload: what the gateway is asked for, and under
/// which key, so whoever finishes the job asks about the same payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaptureRequest {
    /// The payment's first order (the others are in `cart`).
    pub order_id: OrderId,
    /// The other orders of a cart checkout, paid by the same capture.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cart: Vec<OrderId>,
    pub key: String,
    pub amount_minor: i64,
    pub currency: String,
}

impl CaptureRequest {
    fn amount(&self) -> AppResult<Money> {
        let currency = Currency::parse(&self.currency).map_err(AppError::internal)?;
        Ok(Money::new(self.amount_minor, currency))
    }
}

/// A checkout in flight: its pending orders and the command that guards it.
struct PendingCheckout {
    orders: Vec<Order>,
    request: CaptureRequest,
    command_id: uuid::Uuid,
}

/// Who is finishing a capture: the dispatcher may give up on a payment the
/// gateway never saw; a replayed request must not (its twin may still be
/// talking to the gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finisher {
    Dispatcher,
    Replay,
}

/// Where finishing a capture got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    Finished,
    /// Not yet (the buyer is still at the card challenge, or a twin request
    /// is still talking to the gateway): look again then.
    LookAgainAt(haven_domain::Timestamp),
}

/// How long the request that created a checkout has to finish it before
/// the dispatcher steps in.
pub const CAPTURE_GRACE_S: i64 = 120;

/// The gateway key of a checkout: the caller's Idempotency-Key, which a
/// retry reuses, or else the order, which nothing else pays for.
fn gateway_key(actor: &Actor, idem: Option<&Idem>, order: OrderId) -> String {
    match idem {
        Some(idem) => format!("checkout:{}:{}", actor.id(), idem.key),
        None => format!("checkout:{order}"),
    }
}

impl App {
    /// Buy one listing now (the listing page's button).
    pub async fn checkout(
        &self,
        actor: &Actor,
        input: CheckoutInput,
        idem: Option<&Idem>,
    ) -> AppResult<CheckoutOutcome> {
        let priced = self.price_buy_now(actor, &input).await?;
        let payer = Payer {
            card: input.card.as_ref(),
            use_credit: input.use_credit,
            context: &input.context,
        };
        self.pay_for(actor, priced, payer, idem).await
    }

    /// Pay for priced orders with one payment: the credit split over them,
    /// one fraud check, one capture whose amount is exactly the sum of
    /// every order's card share.
    pub(crate) async fn pay_for(
        &self,
        actor: &Actor,
        mut priced: PricedOrders,
        payer: Payer<'_>,
        idem: Option<&Idem>,
    ) -> AppResult<CheckoutOutcome> {
        self.prepare_group(&mut priced).await?;
        let card_minor = self.fund(actor, &mut priced, payer.use_credit).await?;
        if card_minor == 0 {
            return self.checkout_with_credit(priced, idem).await;
        }
        let card = payer.card.ok_or_else(|| {
            AppError::validation("card details are required for the amount credit does not cover")
        })?;
        // One payment, one assessment: the first order, with every coupon
        // of the payment (coupon farming is judged across all of them).
        let mut assessed = priced.orders[0].0.clone();
        assessed.discounts = priced
            .orders
            .iter()
            .flat_map(|(o, _)| o.discounts.iter().cloned())
            .collect();
        let scored = self
            .score_checkout(actor, &assessed, card, payer.context, card_minor)
            .await?;
        let note = scored.as_ref().map(ScoredAttempt::note);
        for (order, _) in &mut priced.orders {
            order.risk = note.clone();
        }
        let verify = scored
            .as_ref()
            .is_some_and(|s| s.action() == RuleAction::RequestVerification);
        let first = &priced.orders[0].0;
        let request = CaptureRequest {
            order_id: first.id,
            cart: first.paid_with.clone(),
            key: gateway_key(actor, idem, first.id),
            amount_minor: card_minor,
            currency: first.total.currency.to_string(),
        };
        let attempt = scored.map(|s| s.attempt);
        let count = priced.orders.len();
        let pending = self
            .commit_pending(priced, request, attempt, actor, idem)
            .await?;
        let outcome = self.pay(pending, card, verify).await?;
        (0..count).for_each(|_| self.count_order_placed());
        Ok(outcome)
    }

    /// Link the orders of one payment to each other and freeze each one's
    /// trust snapshot.
    async fn prepare_group(&self, priced: &mut PricedOrders) -> AppResult<()> {
        let ids: Vec<OrderId> = priced.orders.iter().map(|(o, _)| o.id).collect();
        for (order, _) in &mut priced.orders {
            order.paid_with = ids.iter().copied().filter(|id| *id != order.id).collect();
            let policy = self.policy(order.policy_version).await?;
            order.trust_snapshot = Some(self.trust_snapshot(order, &policy).await?);
        }
        Ok(())
    }

    /// The fraud checks, unless switched off: a blocked payment ends here
    /// with its reasons, before anything is written or charged.
    async fn score_checkout(
        &self,
        actor: &Actor,
        order: &Order,
        card: &CardDetails,
        context: &crate::risk::PaymentContext,
        card_minor: i64,
    ) -> AppResult<Option<ScoredAttempt>> {
        if !self.config.risk_checks {
            return Ok(None);
        }
        let scored = self
            .assess_payment(actor, order, card, context, card_minor)
            .await?;
        if scored.action() == RuleAction::Block {
            return Err(self.refuse_blocked(scored).await);
        }
        Ok(Some(scored))
    }

    /// Credit covers everything: no gateway, one transaction.
    async fn checkout_with_credit(
        &self,
        priced: PricedOrders,
        idem: Option<&Idem>,
    ) -> AppResult<CheckoutOutcome> {
        let resource = priced.resource(priced.orders[0].0.id);
        let mut changes = Changeset {
            coupon_redemptions: priced.redemptions,
            ..Changeset::default()
        };
        let mut paid = Vec::new();
        for (order, _) in priced.orders {
            let payment = PaymentInfo {
                gateway: "credit".into(),
                payment_ref: format!("credit_{}", order.id),
                card_last4: String::new(),
            };
            let credit_minor = order.paid_credit_minor;
            let (order_changes, order) = self
                .paid_order_changes(order, payment, credit_minor)
                .await?;
            changes.merge(order_changes);
            paid.push(order);
        }
        attach_idem(&mut changes, idem, resource, self.now());
        self.store.commit(changes).await?;
        paid.iter().for_each(|_| self.count_order_placed());
        Ok(CheckoutOutcome {
            order: paid[0].clone(),
            orders: paid,
            challenge_required: false,
        })
    }

    /// Step 1: the pending orders, their stock and coupons, their expiry,
    /// the capture command and the risk attempt, in one transaction.
    async fn commit_pending(
        &self,
        priced: PricedOrders,
        request: CaptureRequest,
        attempt: Option<haven_store::RiskAttempt>,
        actor: &Actor,
        idem: Option<&Idem>,
    ) -> AppResult<PendingCheckout> {
        let now = self.now();
        let command = crate::commands::capture_command(&request, now)
            .not_before(now + haven_domain::SignedDuration::from_secs(CAPTURE_GRACE_S));
        let command_id = command.id;
        let resource = priced.resource(priced.orders[0].0.id);
        let mut changes = Changeset {
            commands: vec![command],
            risk_attempts: attempt.into_iter().collect(),
            coupon_redemptions: priced.redemptions,
            ..Changeset::default()
        };
        let mut orders = Vec::new();
        for (mut order, effects) in priced.orders {
            changes
                .schedule
                .extend(effects.schedule.into_iter().map(|t| NewTimer {
                    order_id: order.id,
                    kind: t.kind,
                    due_at: t.due_at,
                }));
            changes.stock.extend(order_stock(&order));
            let mut before = order.clone();
            before.state = OrderState::PendingPayment;
            let mut audit = audit_order(
                &before,
                &order,
                EventKind::PaymentCaptured,
                ActorRef::user(Party::Buyer, actor),
                now,
            );
            audit.action = "checkout_started".into();
            changes.audit.push(audit);
            order.version = 1;
            changes.orders.push(OrderWrite {
                order: order.clone(),
                expected_version: None,
            });
            orders.push(order);
        }
        attach_idem(&mut changes, idem, resource, now);
        self.store.commit(changes).await?;
        Ok(PendingCheckout {
            orders,
            request,
            command_id,
        })
    }

    /// Step 2 and 3 for a fresh checkout.
    async fn pay(
        &self,
        pending: PendingCheckout,
        card: &CardDetails,
        require_challenge: bool,
    ) -> AppResult<CheckoutOutcome> {
        let amount = pending.request.amount()?;
        let first = pending.orders[0].id;
        let order_ref = first.to_string();
        let authorization = self
            .gateway
            .authorize(PaymentRequest {
                card,
                amount,
                idempotency_key: &pending.request.key,
                order_ref: &order_ref,
                capture: true,
                require_challenge,
            })
            .await;
        let approved = match authorization {
            Err(GatewayError::Unavailable(_)) => return Err(unconfirmed(first)),
            Err(err) => {
                self.cancel_unpaid(&pending, CloseReason::PaymentDeclined)
                    .await?;
                return Err(gateway_error(err));
            }
            Ok(Authorization::Declined { reason }) => {
                self.cancel_unpaid(&pending, CloseReason::PaymentDeclined)
                    .await?;
                return Err(AppError::payment_declined(reason));
            }
            Ok(Authorization::ChallengeRequired {
                payment_ref,
                card_last4,
            }) => {
                let orders = self
                    .await_challenge(&pending, payment_ref, card_last4)
                    .await?;
                return Ok(CheckoutOutcome {
                    order: orders[0].clone(),
                    orders,
                    challenge_required: true,
                });
            }
            Ok(Authorization::Approved {
                payment_ref,
                card_last4,
                captured,
            }) => (payment_ref, card_last4, captured),
        };
        let (payment_ref, card_last4, captured) = approved;
        let payment = self.payment_info(payment_ref, card_last4);
        let order = if captured {
            self.failpoints.hit(crate::failpoints::AFTER_CAPTURE)?;
            self.record_capture(first, payment, pending.command_id)
                .await?
        } else {
            self.capture_and_record(first, payment, amount, pending.command_id)
                .await?
        };
        let orders = self.order_group(&order).await?;
        Ok(CheckoutOutcome {
            order,
            orders,
            challenge_required: false,
        })
    }

    /// An order and the others its payment paid, the order first.
    pub async fn order_group(&self, order: &Order) -> AppResult<Vec<Order>> {
        let mut group = vec![order.clone()];
        for id in &order.paid_with {
            group.push(self.order(*id).await?);
        }
        Ok(group)
    }

    fn payment_info(&self, payment_ref: String, card_last4: String) -> PaymentInfo {
        PaymentInfo {
            gateway: self.gateway.name().into(),
            payment_ref,
            card_last4,
        }
    }

    /// Capture an approved authorisation and record it. A capture the
    /// gateway already made (a retry, a double submission) counts as made.
    async fn capture_and_record(
        &self,
        order_id: OrderId,
        payment: PaymentInfo,
        amount: Money,
        command_id: uuid::Uuid,
    ) -> AppResult<Order> {
        match self.gateway.capture(&payment.payment_ref, amount).await {
            Ok(()) | Err(GatewayError::AlreadyCaptured) => {}
            // Unknown outcome: the capture command asks again later.
            Err(GatewayError::Unavailable(_)) => return Err(unconfirmed(order_id)),
            Err(err) => {
                let order = self.order(order_id).await?;
                self.close_unpaid(&order, CloseReason::PaymentDeclined, command_id)
                    .await?;
                return Err(gateway_error(err));
            }
        }
        self.failpoints.hit(crate::failpoints::AFTER_CAPTURE)?;
        self.record_capture(order_id, payment, command_id).await
    }

    /// Step 3: the captured payment moves every order it paid to `paid`
    /// (each with its own escrow entry), and settles the capture command,
    /// in one transaction. Safe to run twice: orders already paid by this
    /// payment are simply returned. If any of them was cancelled meanwhile
    /// (the challenge expired), none is bought and the money goes back.
    pub(crate) async fn record_capture(
        &self,
        order_id: OrderId,
        payment: PaymentInfo,
        command_id: uuid::Uuid,
    ) -> AppResult<Order> {
        for _ in 0..super::MAX_RETRIES {
            let order = self.order(order_id).await?;
            let group = self.order_group(&order).await?;
            if group.iter().any(|o| o.state != OrderState::PendingPayment) {
                return self
                    .capture_after_the_fact(&group, &payment, command_id)
                    .await;
            }
            let mut changes = Changeset::default();
            let mut paid = Vec::new();
            for member in &group {
                let (member_changes, member_paid) =
                    self.capture_changes(member, payment.clone()).await?;
                changes.merge(member_changes);
                paid.push(member_paid);
            }
            changes.command_updates.push(CommandUpdate::Settled {
                id: command_id,
                at: self.now(),
            });
            match self.store.commit(changes).await {
                Ok(()) => return Ok(paid.swap_remove(0)),
                Err(err) if super::is_race(&err) => continue,
                Err(err) => return Err(err.into()),
            }
        }
        Err(AppError::conflict(
            ErrorKind::ConcurrentUpdate,
            "the order is busy; retry",
        ))
    }

    /// The escrow entry, timers and audit of a captured payment.
    async fn capture_changes(
        &self,
        order: &Order,
        payment: PaymentInfo,
    ) -> AppResult<(Changeset, Order)> {
        let now = self.now();
        let payment_ref = payment.payment_ref.clone();
        let event = OrderEvent::PaymentCaptured {
            payment,
            credit_minor: order.paid_credit_minor,
        };
        let (mut changes, transition) = self
            .order_changes(order, event, ActorRef::system(), now)
            .await?;
        if let Some(after) = self.gateway.simulated_chargeback_after(&payment_ref) {
            changes.schedule.push(NewTimer {
                order_id: order.id,
                kind: TimerKind::SimulatedChargeback,
                due_at: now + after,
            });
        }
        if order
            .risk
            .as_ref()
            .is_some_and(|r| r.decision == RuleAction::RequestVerification.as_str())
        {
            let outcome = if order.held_for_review() {
                RiskOutcome::Review
            } else {
                RiskOutcome::Allowed
            };
            changes.risk_outcomes.push((order.id, outcome));
        }
        let mut paid = transition.order;
        paid.version = order.version + 1;
        changes.cart_removes.extend(bought_from_cart(&paid));
        Ok((changes, paid))
    }

    /// A capture for orders that are no longer (all) waiting for it.
    async fn capture_after_the_fact(
        &self,
        group: &[Order],
        payment: &PaymentInfo,
        command_id: uuid::Uuid,
    ) -> AppResult<Order> {
        let order = &group[0];
        let paid_by_this = order
            .payment
            .as_ref()
            .is_some_and(|p| p.payment_ref == payment.payment_ref)
            && order.paid_at.is_some();
        if paid_by_this {
            return Ok(order.clone());
        }
        // Part of the group closed first: nothing of it is bought.
        self.close_group(group, OrderEvent::PaymentExpired, None)
            .await?;
        self.refund_unrecorded_capture(order, &payment.payment_ref, command_id)
            .await?;
        Err(AppError::invalid_state(
            "the payment completed after the order was cancelled; it is being refunded in full",
        ))
    }

    /// Money the gateway captured for an order Haven never recorded as paid
    /// goes back to the card. It never entered the ledger, so no entry:
    /// only the refund command, keyed by the payment so it is sent once.
    async fn refund_unrecorded_capture(
        &self,
        order: &Order,
        payment_ref: &str,
        command_id: uuid::Uuid,
    ) -> AppResult<()> {
        let Some(found) = self.gateway.payment(payment_ref).await.ok().flatten() else {
            return Ok(());
        };
        let refundable = found.captured_minor - found.refunded_minor;
        let now = self.now();
        let mut changes = Changeset::default();
        if refundable > 0 {
            let request = crate::commands::RefundRequest {
                payment_ref: payment_ref.to_string(),
                amount_minor: refundable,
                currency: found.amount.currency.to_string(),
                key: format!("unrecorded:{payment_ref}"),
            };
            changes.commands.push(crate::commands::refund_command(
                &request,
                Some(order.id),
                now,
            ));
        }
        changes.command_updates.push(CommandUpdate::Settled {
            id: command_id,
            at: now,
        });
        self.store.commit(changes).await?;
        self.commands_ready.notify_one();
        tracing::warn!(order = %order.id, payment = payment_ref, "capture for a closed order; refund queued");
        Ok(())
    }

    /// The card wants a challenge: keep the payment on every order and look
    /// again (the command) when the challenge would expire.
    async fn await_challenge(
        &self,
        pending: &PendingCheckout,
        payment_ref: String,
        card_last4: String,
    ) -> AppResult<Vec<Order>> {
        let now = self.now();
        let first = &pending.orders[0];
        let expires_at = now
            + haven_domain::SignedDuration::from_mins(
                self.policy(first.policy_version)
                    .await?
                    .unpaid_expiry_minutes,
            );
        let mut changes = Changeset {
            command_updates: vec![CommandUpdate::Deferred {
                id: pending.command_id,
                next_attempt_at: expires_at,
                now,
            }],
            ..Changeset::default()
        };
        let mut orders = Vec::new();
        for order in &pending.orders {
            let mut order = order.clone();
            let expected = order.version;
            order.payment = Some(self.payment_info(payment_ref.clone(), card_last4.clone()));
            changes.orders.push(OrderWrite {
                order: order.clone(),
                expected_version: Some(expected),
            });
            order.version = expected + 1;
            orders.push(order);
        }
        self.store.commit(changes).await?;
        Ok(orders)
    }

    /// The payment failed for good: cancel the pending orders, release
    /// their stock and coupons, settle the command.
    async fn cancel_unpaid(&self, pending: &PendingCheckout, reason: CloseReason) -> AppResult<()> {
        let order = self.order(pending.orders[0].id).await?;
        self.close_unpaid(&order, reason, pending.command_id).await
    }

    pub(crate) async fn close_unpaid(
        &self,
        order: &Order,
        reason: CloseReason,
        command_id: uuid::Uuid,
    ) -> AppResult<()> {
        if order.state != OrderState::PendingPayment {
            return Ok(());
        }
        let event = match reason {
            CloseReason::PaymentDeclined => OrderEvent::PaymentFailed,
            _ => OrderEvent::PaymentExpired,
        };
        let group = self.order_group(order).await?;
        let outcome = match reason {
            CloseReason::PaymentDeclined => RiskOutcome::Declined,
            _ => RiskOutcome::Unpaid,
        };
        self.close_group(&group, event, Some((command_id, outcome)))
            .await
    }

    /// Close every still-pending order of a payment in one transaction
    /// (settling the capture command and the risk attempt when given).
    async fn close_group(
        &self,
        group: &[Order],
        event: OrderEvent,
        settle: Option<(uuid::Uuid, RiskOutcome)>,
    ) -> AppResult<()> {
        let now = self.now();
        let (mut changes, transitions) = self.close_group_changes(group, event, now).await?;
        if let Some((command_id, outcome)) = settle {
            changes.command_updates.push(CommandUpdate::Settled {
                id: command_id,
                at: now,
            });
            changes.risk_outcomes.push((group[0].id, outcome));
        }
        match self.store.commit(changes).await {
            Ok(()) => {
                for transition in &transitions {
                    self.after_commit(transition).await;
                }
                Ok(())
            }
            // Someone else moved an order on; whatever they did stands.
            Err(StoreError::Conflict(haven_store::Conflict::StaleOrder)) => Ok(()),
            Err(err) => Err(err.into()),
        }
    }

    /// The changes that close each pending order of a group with `event`.
    pub(crate) async fn close_group_changes(
        &self,
        group: &[Order],
        event: OrderEvent,
        now: haven_domain::Timestamp,
    ) -> AppResult<(Changeset, Vec<haven_domain::order::Transition>)> {
        let mut changes = Changeset::default();
        let mut transitions = Vec::new();
        for order in group
            .iter()
            .filter(|o| o.state == OrderState::PendingPayment)
        {
            let (order_changes, transition) = self
                .order_changes(order, event.clone(), ActorRef::system(), now)
                .await?;
            changes.merge(order_changes);
            transitions.push(transition);
        }
        Ok((changes, transitions))
    }

    /// Finish a checkout whose request may have died: ask the gateway what
    /// happened under the checkout's key and make the orders agree.
    pub(crate) async fn finish_capture(
        &self,
        request: &CaptureRequest,
        command_id: uuid::Uuid,
        finisher: Finisher,
    ) -> AppResult<Progress> {
        let Some(order) = self.store.order(request.order_id).await? else {
            return Ok(Progress::Finished);
        };
        let found = self
            .gateway
            .payment_for_key(&request.key)
            .await
            .map_err(gateway_error)?;
        if order.state != OrderState::PendingPayment {
            self.after_close(&order, found, command_id).await?;
            return Ok(Progress::Finished);
        }
        let Some(found) = found else {
            if finisher == Finisher::Replay {
                return Ok(Progress::LookAgainAt(self.now()));
            }
            // The gateway never saw it: the request died before asking.
            self.close_unpaid(&order, CloseReason::PaymentNotCompleted, command_id)
                .await?;
            return Ok(Progress::Finished);
        };
        let payment = self.payment_info(found.payment_ref.clone(), found.card_last4.clone());
        let recorded = match found.state {
            PaymentState::Captured => self.record_capture(order.id, payment, command_id).await,
            PaymentState::Authorized => {
                self.capture_and_record(order.id, payment, request.amount()?, command_id)
                    .await
            }
            PaymentState::ChallengePending => {
                let deadline = self.unpaid_deadline(&order).await?;
                if self.now() < deadline {
                    return Ok(Progress::LookAgainAt(deadline));
                }
                // Closing queues the void of the held authorisation.
                self.close_unpaid(&order, CloseReason::PaymentNotCompleted, command_id)
                    .await?;
                return Ok(Progress::Finished);
            }
            PaymentState::Declined | PaymentState::Voided => {
                self.close_unpaid(&order, CloseReason::PaymentDeclined, command_id)
                    .await?;
                return Ok(Progress::Finished);
            }
        };
        match recorded {
            // The gateway or the store may answer next time.
            Err(err)
                if matches!(
                    err.kind,
                    ErrorKind::GatewayUnavailable
                        | ErrorKind::Internal
                        | ErrorKind::ConcurrentUpdate
                ) =>
            {
                Err(err)
            }
            // Recorded, or closed and refunded: either way this is settled.
            _ => Ok(Progress::Finished),
        }
    }

    /// The order closed before its payment was recorded: refund a capture
    /// that happened anyway, release an authorisation still held.
    async fn after_close(
        &self,
        order: &Order,
        found: Option<GatewayPayment>,
        command_id: uuid::Uuid,
    ) -> AppResult<()> {
        let Some(found) = found else {
            return self.settle_command(command_id).await;
        };
        let recorded = order
            .payment
            .as_ref()
            .is_some_and(|p| p.payment_ref == found.payment_ref)
            && order.paid_at.is_some();
        match found.state {
            PaymentState::Captured if !recorded => {
                self.refund_unrecorded_capture(order, &found.payment_ref, command_id)
                    .await
            }
            // A held authorisation was voided by the close itself (a void
            // command); nothing else is owed.
            _ => self.settle_command(command_id).await,
        }
    }

    async fn settle_command(&self, command_id: uuid::Uuid) -> AppResult<()> {
        let changes = Changeset {
            command_updates: vec![CommandUpdate::Settled {
                id: command_id,
                at: self.now(),
            }],
            ..Changeset::default()
        };
        Ok(self.store.commit(changes).await?)
    }

    async fn unpaid_deadline(&self, order: &Order) -> AppResult<haven_domain::Timestamp> {
        let policy = self.policy(order.policy_version).await?;
        Ok(
            order.created_at
                + haven_domain::SignedDuration::from_mins(policy.unpaid_expiry_minutes),
        )
    }

    /// A replayed checkout whose order still waits: if the gateway already
    /// took the money (the first request died after the capture), record
    /// it now, so the retrying client sees its paid order.
    pub async fn order_for_replay(&self, id: OrderId) -> AppResult<Order> {
        let order = self.order(id).await?;
        if order.state != OrderState::PendingPayment {
            return Ok(order);
        }
        let commands = self.store.commands_for_order(id).await?;
        let capture = commands.iter().find(|c| {
            c.kind == crate::commands::GATEWAY_CAPTURE
                && c.state == haven_store::CommandState::Pending
        });
        if let Some(command) = capture
            && let Ok(request) = serde_json::from_value::<CaptureRequest>(command.payload.clone())
            && let Err(err) = self
                .finish_capture(&request, command.id, Finisher::Replay)
                .await
        {
            tracing::warn!(order = %id, error = %err.message, "finishing a replayed checkout failed");
        }
        self.order(id).await
    }

    /// Split the buyer's credit (if asked) over the orders, the rest to
    /// the card; returns what the card pays in all.
    async fn fund(
        &self,
        actor: &Actor,
        priced: &mut PricedOrders,
        use_credit: bool,
    ) -> AppResult<i64> {
        let currency = priced.orders[0].0.total.currency;
        let available_minor = if use_credit {
            let account = Account::BuyerCredit(actor.id()).to_string();
            self.store.balance(&account, currency.as_str()).await?
        } else {
            0
        };
        let totals: Vec<i64> = priced
            .orders
            .iter()
            .map(|(o, _)| o.total.amount_minor)
            .collect();
        let split = haven_domain::cart::split_funding(&totals, available_minor);
        let mut card_minor: i64 = 0;
        for ((order, _), funding) in priced.orders.iter_mut().zip(&split) {
            // The credit share is decided now and spent when the payment completes.
            order.paid_credit_minor = funding.credit_minor;
            card_minor = card_minor
                .checked_add(funding.card_minor)
                .ok_or_else(|| AppError::validation("the total is too large"))?;
        }
        Ok(card_minor)
    }

    /// A new order paid in full by credit, inserted in one changeset with
    /// its stock and escrow entry.
    async fn paid_order_changes(
        &self,
        order: Order,
        payment: PaymentInfo,
        credit_minor: i64,
    ) -> AppResult<(Changeset, Order)> {
        let policy = self.policy(order.policy_version).await?;
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
        let mut paid = transition.order;
        paid.version = 1;
        changes.orders = vec![OrderWrite {
            order: paid.clone(),
            expected_version: None,
        }];
        changes.stock = order_stock(&order);
        changes.cart_removes.extend(bought_from_cart(&paid));
        Ok((changes, paid))
    }

    /// The buyer answers the issuer's challenge; on success the card is
    /// captured and the money (plus any credit share) goes into escrow.
    /// Submitting twice is harmless: the second finds the payment captured
    /// and the order paid.
    pub async fn complete_challenge(
        &self,
        actor: &Actor,
        order_id: OrderId,
        code: &str,
        _idem: Option<&Idem>,
    ) -> AppResult<Order> {
        let order = self.order(order_id).await?;
        if order.buyer_id != actor.id() {
            return Err(AppError::not_found("order"));
        }
        if code.len() > 32 {
            return Err(AppError::invalid_field("code", "code is too long"));
        }
        let payment = match (&order.payment, order.state) {
            (Some(payment), OrderState::PendingPayment) => payment.clone(),
            (Some(_), _) if order.paid_at.is_some() => return Ok(order),
            _ => {
                return Err(AppError::conflict(
                    ErrorKind::InvalidState,
                    "this order is not waiting for verification",
                ));
            }
        };
        let group = self.order_group(&order).await?;
        let command_id = self.capture_command_id(&group).await?;
        if let Err(err) = self
            .gateway
            .complete_challenge(&payment.payment_ref, code)
            .await
        {
            self.close_if_declined(&order, &payment, command_id).await?;
            return Err(gateway_error(err));
        }
        // One payment for the whole group: what the card owes for each.
        let card_minor: i64 = group
            .iter()
            .map(|o| o.total.amount_minor - o.paid_credit_minor)
            .sum();
        let amount = Money::new(card_minor, order.total.currency);
        self.capture_and_record(order_id, payment, amount, command_id)
            .await
    }

    /// After a wrong code: if the gateway has now declined the payment for
    /// good, cancel the order and release its stock.
    async fn close_if_declined(
        &self,
        order: &Order,
        payment: &PaymentInfo,
        command_id: uuid::Uuid,
    ) -> AppResult<()> {
        let state = self
            .gateway
            .payment(&payment.payment_ref)
            .await
            .ok()
            .flatten()
            .map(|p| p.state);
        if state == Some(PaymentState::Declined) {
            self.close_unpaid(order, CloseReason::PaymentDeclined, command_id)
                .await?;
        }
        Ok(())
    }

    /// The capture command of a pending payment, kept with the group's
    /// first order (orders from before capture commands existed get a nil
    /// id, which settles nothing).
    async fn capture_command_id(&self, group: &[Order]) -> AppResult<uuid::Uuid> {
        for order in group {
            let found = self
                .store
                .commands_for_order(order.id)
                .await?
                .into_iter()
                .find(|c| c.kind == crate::commands::GATEWAY_CAPTURE);
            if let Some(command) = found {
                return Ok(command.id);
            }
        }
        Ok(uuid::Uuid::nil())
    }
}

/// The gateway did not answer: the order waits, and the capture command
/// settles it either way within minutes.
fn unconfirmed(order_id: OrderId) -> AppError {
    AppError::new(
        ErrorKind::GatewayUnavailable,
        format!(
            "the payment gateway did not answer; order {order_id} will be paid or cancelled \
             automatically within a few minutes. Retrying with the same Idempotency-Key is safe."
        ),
    )
}

pub(crate) fn gateway_error(err: GatewayError) -> AppError {
    match err {
        GatewayError::Declined(reason) => AppError::payment_declined(reason),
        GatewayError::UnknownPayment(_) => {
            AppError::conflict(ErrorKind::InvalidState, "unknown payment")
        }
        GatewayError::Unavailable(msg) => AppError::new(ErrorKind::GatewayUnavailable, msg),
        GatewayError::AlreadyCaptured => {
            AppError::invalid_state("this payment was already captured")
        }
        GatewayError::KeyReused => AppError::new(
            ErrorKind::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different payment",
        ),
        GatewayError::Refused(reason) => AppError::payment_declined(reason),
    }
}

/// The stock a new order takes, and its flash-deal units for the items
/// sold at the deal's price: in the order's own transaction, each refused
/// if too few are left.
pub(crate) fn order_stock(order: &Order) -> Vec<StockChange> {
    order
        .items()
        .iter()
        .map(|item| {
            let units = i64::from(item.quantity);
            StockChange {
                listing_id: item.listing_id,
                delta: -units,
                deal_delta: if item.flash_deal { -units } else { 0 },
                deal_return: None,
            }
        })
        .collect()
}

/// The cart lines a paid cart order bought.
fn bought_from_cart(
    order: &Order,
) -> Vec<(haven_domain::ids::UserId, haven_domain::ids::ListingId)> {
    if !order.from_cart {
        return Vec::new();
    }
    order
        .items()
        .iter()
        .map(|item| (order.buyer_id, item.listing_id))
        .collect()
}
