//! Property: whatever sequence of events hits an order (payments with card
//! and credit, shipping, scans, cancellations, window ends, guarantee
//! checks, dispute settlements, chargebacks), the ledger stays balanced,
//! escrow never goes negative, nothing is paid out twice, a card never gets
//! back more than it paid, and a closed order's escrow is empty.

use haven_domain::audit::LedgerAuditor;
use haven_domain::ids::{DisputeId, ListingId, StoreId, UserId};
use haven_domain::ledger::EntryKind;
use haven_domain::money::{Currency, Money};
use haven_domain::order::{
    Address, CloseReason, NewOrder, Order, OrderEvent, OrderState, PaymentInfo, SellerFunds,
    ShippingChoice, TrackingStatus,
};
use haven_domain::policy::Policy;
use haven_domain::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn new_order(unit_minor: i64, quantity: u32, shipping_minor: i64) -> NewOrder {
    NewOrder {
        buyer_id: UserId::new(),
        store_id: StoreId::new(),
        listing_id: ListingId::new(),
        listing_title: "Lamp".into(),
        guaranteed_genuine: false,
        quantity,
        unit_price: Money::new(unit_minor, Currency::USD),
        flash_deal: false,
        shipping: ShippingChoice {
            method: "Standard".into(),
            cost: Money::new(shipping_minor, Currency::USD),
            min_transit_days: 3,
            max_transit_days: 9,
            country: "US".into(),
        },
        address: Address {
            name: "A".into(),
            line1: "1 Road".into(),
            line2: String::new(),
            city: "Town".into(),
            postal_code: "1".into(),
            country: "US".into(),
        },
        ship_by_days: 5,
        more_items: Vec::new(),
        discounts: Vec::new(),
        bundle: None,
    }
}

fn card() -> PaymentInfo {
    PaymentInfo {
        gateway: "testcard".into(),
        payment_ref: "p".into(),
        card_last4: "4242".into(),
    }
}

fn event_strategy() -> impl Strategy<Value = OrderEvent> {
    prop_oneof![
        (0_i64..2_000).prop_map(|credit_minor| OrderEvent::PaymentCaptured {
            payment: card(),
            credit_minor
        }),
        Just(OrderEvent::PaymentFailed),
        Just(OrderEvent::PaymentExpired),
        "[A-Z]{2}[0-9]{9}".prop_map(|n| OrderEvent::Ship {
            carrier: "simpost".into(),
            tracking_number: n
        }),
        Just(OrderEvent::RequestCancel),
        Just(OrderEvent::AcceptCancel),
        Just(OrderEvent::DeclineCancel),
        Just(OrderEvent::CancelRequestTimedOut),
        Just(OrderEvent::ShipByMissed),
        Just(OrderEvent::Tracking {
            status: TrackingStatus::InTransit,
            at: Timestamp::UNIX_EPOCH
        }),
        Just(OrderEvent::Delivered {
            at: Timestamp::UNIX_EPOCH
        }),
        any::<bool>().prop_map(|second| OrderEvent::ConfirmReceipt {
            second_confirmation: second
        }),
        Just(OrderEvent::ProtectionWindowEnded),
        Just(OrderEvent::GuaranteeDue),
        Just(OrderEvent::DisputeOpened {
            dispute_id: DisputeId::new()
        }),
        Just(OrderEvent::DisputeEnded),
        (0_i64..2_000_000).prop_map(|refund_minor| OrderEvent::Settle {
            refund_minor,
            reason: CloseReason::DisputeResolved
        }),
        (0_i64..2_000_000).prop_map(|amount_minor| {
            OrderEvent::Chargeback {
                amount_minor,
                reason: "fraud".into(),
                seller: SellerFunds::default(),
            }
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3_000))]
    #[test]
    fn ledger_invariants_hold_for_any_event_sequence(
        unit_minor in 1_i64..1_000_000,
        quantity in 1_u32..20,
        shipping_minor in 0_i64..5_000,
        steps in prop::collection::vec((event_strategy(), 0_i64..40), 0..30),
    ) {
        let policy = Policy::default();
        let mut now = Timestamp::from_second(1_700_000_000).unwrap();
        let (mut order, _) = Order::checkout(new_order(unit_minor, quantity, shipping_minor), &policy, 1, now).unwrap();
        let mut auditor = LedgerAuditor::new();
        // The buyer holds some credit (from an earlier guarantee), so paying
        // partly by credit is possible; spending more than that must fail.
        let grant = haven_domain::ledger::Entry::transfer(
            haven_domain::ledger::EntryHeader {
                idempotency_key: "grant".into(),
                kind: haven_domain::ledger::EntryKind::Compensation,
                order_id: None,
                payout_id: None,
                created_at: now,
            },
            haven_domain::ledger::Account::PlatformCompensation,
            haven_domain::ledger::Account::BuyerCredit(order.buyer_id),
            Money::new(2_000, Currency::USD),
        ).unwrap();
        auditor.observe_entry(&grant);
        let mut keys = std::collections::HashSet::new();
        for (event, advance_days) in steps {
            now = now.checked_add(SignedDuration::from_hours(advance_days * 24)).unwrap();
            let event = match event {
                OrderEvent::Delivered { .. } => OrderEvent::Delivered { at: now },
                // The service passes the seller's real balances; with one order,
                // that is what this order released to them.
                OrderEvent::Chargeback { amount_minor, reason, .. } => OrderEvent::Chargeback {
                    amount_minor,
                    reason,
                    seller: SellerFunds { available_minor: order.released_minor, reserve_minor: 0 },
                },
                other => other,
            };
            let Ok(transition) = order.apply(event, &policy, now) else { continue };
            for entry in &transition.effects.entries {
                prop_assert!(keys.insert(entry.idempotency_key.clone()), "key reused: {}", entry.idempotency_key);
                auditor.observe_entry(entry);
            }
            order = transition.order;
            prop_assert!(order.escrow_minor() >= 0);
            let out = order.released_minor + order.commission_minor + order.refunded_minor;
            prop_assert!(out <= order.total.amount_minor);
            prop_assert!(order.card_refundable_minor() >= 0, "card got back more than it paid");
            if order.state.is_closed() {
                prop_assert_eq!(order.escrow_minor(), 0);
                prop_assert!(order.apply(OrderEvent::ProtectionWindowEnded, &policy, now).is_err());
            }
            // A timer never releases money without a delivery scan: only the
            // buyer's confirmation or a dispute settlement can.
            if order.released_minor > 0 && order.delivered_at.is_none() {
                prop_assert_ne!(order.close_reason, Some(CloseReason::AutoConfirmed));
            }
        }
        auditor.observe_order(order.id, order.state, order.total.amount_minor);
        let violations = auditor.finish();
        prop_assert!(violations.is_empty(), "{:?}", violations);
    }
}

fn paid_and_shipped(policy: &Policy, t0: Timestamp, unit_minor: i64, shipping_minor: i64) -> Order {
    let (order, _) =
        Order::checkout(new_order(unit_minor, 1, shipping_minor), policy, 1, t0).unwrap();
    let paid = order
        .apply(
            OrderEvent::PaymentCaptured {
                payment: card(),
                credit_minor: 0,
            },
            policy,
            t0,
        )
        .unwrap()
        .order;
    paid.apply(
        OrderEvent::Ship {
            carrier: "simpost".into(),
            tracking_number: "SP1".into(),
        },
        policy,
        t0,
    )
    .unwrap()
    .order
}

#[test]
fn window_end_without_scan_opens_an_automatic_claim_not_a_payout() {
    let policy = Policy::default();
    let t0 = Timestamp::from_second(1_700_000_000).unwrap();
    let shipped = paid_and_shipped(&policy, t0, 1_000, 500);
    let end = shipped.protection_ends_at.unwrap();
    assert!(
        shipped
            .apply(OrderEvent::ProtectionWindowEnded, &policy, t0)
            .is_err(),
        "early window end refused"
    );
    let claimed = shipped
        .apply(OrderEvent::ProtectionWindowEnded, &policy, end)
        .unwrap();
    assert!(
        claimed.effects.entries.is_empty(),
        "no release without a delivery scan"
    );
    let claim = claimed.effects.new_dispute.expect("claim opened");
    assert!(claim.automatic);
    assert_eq!(claimed.order.open_dispute.map(|d| d.id), Some(claim.id));
    assert_eq!(claimed.order.state, OrderState::Shipped);
    assert!(
        claimed
            .order
            .apply(OrderEvent::ProtectionWindowEnded, &policy, end)
            .is_err(),
        "held while the claim is open"
    );
}

#[test]
fn release_pays_seller_minus_eight_percent() {
    let policy = Policy::default();
    let t0 = Timestamp::from_second(1_700_000_000).unwrap();
    let (order, _) = Order::checkout(new_order(2_000, 2, 500), &policy, 1, t0).unwrap();
    assert_eq!(order.total.amount_minor, 4_500);
    let order = order
        .apply(
            OrderEvent::PaymentCaptured {
                payment: card(),
                credit_minor: 0,
            },
            &policy,
            t0,
        )
        .unwrap()
        .order;
    let order = order
        .apply(
            OrderEvent::Ship {
                carrier: "simpost".into(),
                tracking_number: "SP1".into(),
            },
            &policy,
            t0,
        )
        .unwrap()
        .order;
    let err = order
        .apply(
            OrderEvent::ConfirmReceipt {
                second_confirmation: false,
            },
            &policy,
            t0,
        )
        .unwrap_err();
    assert!(err.to_string().contains("second confirmation"));
    let order = order
        .apply(OrderEvent::Delivered { at: t0 }, &policy, t0)
        .unwrap()
        .order;
    let done = order
        .apply(
            OrderEvent::ConfirmReceipt {
                second_confirmation: false,
            },
            &policy,
            t0,
        )
        .unwrap();
    assert_eq!(done.order.commission_minor, 360);
    assert_eq!(done.order.released_minor, 4_140);
    // The release, and the buyer's rewards: 1 % of what the order kept.
    let kinds: Vec<_> = done.effects.entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EntryKind::Release, EntryKind::Reward]);
    assert_eq!(
        done.order.rewards_earned_minor,
        done.order.total.amount_minor / 100
    );
}

#[test]
fn a_dispute_pauses_the_window_and_withdrawing_extends_it() {
    let policy = Policy::default();
    let t0 = Timestamp::from_second(1_700_000_000).unwrap();
    let shipped = paid_and_shipped(&policy, t0, 1_000, 0);
    let end_before = shipped.protection_ends_at.unwrap();
    let opened_at = t0 + SignedDuration::from_hours(24);
    let open = shipped
        .apply(
            OrderEvent::DisputeOpened {
                dispute_id: DisputeId::new(),
            },
            &policy,
            opened_at,
        )
        .unwrap();
    assert!(
        open.effects
            .unschedule
            .contains(&haven_domain::timer::TimerKind::ProtectionEnd)
    );
    let order = open.order;
    assert!(
        order
            .apply(
                OrderEvent::ConfirmReceipt {
                    second_confirmation: true
                },
                &policy,
                opened_at
            )
            .is_err(),
        "no release while disputed"
    );
    // Ten days later the buyer withdraws: the window gains those ten days.
    let withdrawn_at = opened_at + SignedDuration::from_hours(240);
    let resumed = order
        .apply(OrderEvent::DisputeEnded, &policy, withdrawn_at)
        .unwrap()
        .order;
    assert_eq!(
        resumed.protection_ends_at,
        Some(end_before + SignedDuration::from_hours(240))
    );
    assert!(resumed.open_dispute.is_none());
}

#[test]
fn partial_settlement_refunds_card_and_releases_rest_in_one_entry() {
    let policy = Policy::default();
    let t0 = Timestamp::from_second(1_700_000_000).unwrap();
    let shipped = paid_and_shipped(&policy, t0, 9_000, 1_000);
    let order = shipped
        .apply(
            OrderEvent::DisputeOpened {
                dispute_id: DisputeId::new(),
            },
            &policy,
            t0,
        )
        .unwrap()
        .order;
    assert!(
        order
            .apply(
                OrderEvent::Settle {
                    refund_minor: 10_001,
                    reason: CloseReason::DisputeResolved
                },
                &policy,
                t0
            )
            .is_err()
    );
    let settled = order
        .apply(
            OrderEvent::Settle {
                refund_minor: 4_000,
                reason: CloseReason::DisputeResolved,
            },
            &policy,
            t0,
        )
        .unwrap();
    let kinds: Vec<_> = settled.effects.entries.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EntryKind::Settlement, EntryKind::Reward]);
    assert_eq!(
        settled.order.rewards_earned_minor,
        (settled.order.total.amount_minor - 4_000) / 100,
        "rewards on what the order kept"
    );
    assert_eq!(settled.order.state, OrderState::PartiallyRefunded);
    assert_eq!(settled.order.refunded_minor, 4_000);
    assert_eq!(settled.order.commission_minor, 480);
    assert_eq!(settled.order.released_minor, 5_520);
    assert_eq!(settled.order.escrow_minor(), 0);
    // A later chargeback can only take the card money not yet refunded.
    let charged = settled.order.apply(
        OrderEvent::Chargeback {
            amount_minor: 10_000,
            reason: "fraud".into(),
            seller: SellerFunds {
                available_minor: 5_520,
                reserve_minor: 0,
            },
        },
        &policy,
        t0,
    );
    let charged = charged.unwrap().order;
    let record = charged.chargeback.unwrap();
    assert_eq!(record.amount_minor, 6_000);
    assert_eq!(record.platform_loss_minor, 6_000);
    assert_eq!(record.recovered_minor, 5_520);
}

#[test]
fn late_delivery_earns_the_guarantee_credit_once() {
    let policy = Policy::default();
    let t0 = Timestamp::from_second(1_700_000_000).unwrap();
    let shipped = paid_and_shipped(&policy, t0, 500, 200);
    let due = shipped
        .apply(
            OrderEvent::GuaranteeDue,
            &policy,
            shipped.promised_delivery_at,
        )
        .unwrap();
    // 10 % of 7.00 is 0.70, below the 1.00 floor.
    assert_eq!(due.order.compensated_minor, 100);
    assert_eq!(
        due.effects.entries[0].idempotency_key,
        format!("order:{}:guarantee", shipped.id)
    );
    let delivered = shipped
        .apply(OrderEvent::Delivered { at: t0 }, &policy, t0)
        .unwrap()
        .order;
    assert!(
        delivered
            .apply(
                OrderEvent::GuaranteeDue,
                &policy,
                delivered.promised_delivery_at
            )
            .is_err(),
        "on time: nothing owed"
    );
}

#[test]
fn a_full_refund_takes_back_unspent_on_time_credit_once() {
    let policy = Policy::default();
    let t0 = Timestamp::from_second(1_700_000_000).unwrap();
    let shipped = paid_and_shipped(&policy, t0, 4_000, 500);
    let compensated = shipped
        .apply(
            OrderEvent::GuaranteeDue,
            &policy,
            shipped.promised_delivery_at,
        )
        .unwrap()
        .order;
    assert_eq!(compensated.compensated_minor, 450);
    assert!(
        !compensated.owes_compensation_reversal(),
        "not refunded yet"
    );
    let mut refunded = settled_by_dispute(&compensated, 4_500, &policy, t0);
    assert!(refunded.owes_compensation_reversal());
    // 120 of the 450 was spent meanwhile: 330 comes back, 120 is recorded.
    let entry = refunded.reverse_compensation(330, t0).unwrap().unwrap();
    entry.assert_balanced().unwrap();
    assert_eq!(
        entry.idempotency_key,
        format!("order:{}:guarantee_reversal", refunded.id)
    );
    assert_eq!(
        (
            refunded.compensation_reversed_minor,
            refunded.compensation_spent_minor
        ),
        (330, 120)
    );
    assert!(!refunded.owes_compensation_reversal());
    assert!(
        refunded.reverse_compensation(330, t0).unwrap().is_none(),
        "once"
    );

    // A partial refund keeps the credit: the order was still a failure the
    // buyer lived with.
    let partial = settled_by_dispute(&compensated, 1_000, &policy, t0);
    assert!(!partial.owes_compensation_reversal());
}

/// Open a dispute on `order` and settle it with `refund_minor`.
fn settled_by_dispute(order: &Order, refund_minor: i64, policy: &Policy, at: Timestamp) -> Order {
    let disputed = order
        .apply(
            OrderEvent::DisputeOpened {
                dispute_id: DisputeId::new(),
            },
            policy,
            at,
        )
        .unwrap()
        .order;
    disputed
        .apply(
            OrderEvent::Settle {
                refund_minor,
                reason: CloseReason::DisputeResolved,
            },
            policy,
            at,
        )
        .unwrap()
        .order
}
