//! Property: whatever sequence of events hits an order, and in whatever order
//! its timers fire, the ledger stays balanced, escrow never goes negative,
//! nothing is paid out twice, and a closed order's escrow is empty.

use haven_domain::audit::LedgerAuditor;
use haven_domain::ids::{ListingId, StoreId, UserId};
use haven_domain::money::{Currency, Money};
use haven_domain::order::{
    Address, NewOrder, Order, OrderEvent, PaymentInfo, ShippingChoice, TrackingStatus,
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
        quantity,
        unit_price: Money::new(unit_minor, Currency::USD),
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
    }
}

fn event_strategy() -> impl Strategy<Value = OrderEvent> {
    prop_oneof![
        Just(OrderEvent::PaymentCaptured {
            payment: PaymentInfo {
                gateway: "testcard".into(),
                payment_ref: "p".into(),
                card_last4: "4242".into()
            }
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
        Just(OrderEvent::NoScanClaimExpired),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]
    #[test]
    fn ledger_invariants_hold_for_any_event_sequence(
        unit_minor in 1_i64..1_000_000,
        quantity in 1_u32..20,
        shipping_minor in 0_i64..5_000,
        steps in prop::collection::vec((event_strategy(), 0_i64..40), 0..25),
    ) {
        let policy = Policy::default();
        let mut now = Timestamp::from_second(1_700_000_000).unwrap();
        let (mut order, _) = Order::checkout(new_order(unit_minor, quantity, shipping_minor), &policy, 1, now).unwrap();
        let mut auditor = LedgerAuditor::new();
        let mut keys = std::collections::HashSet::new();
        for (event, advance_days) in steps {
            now = now.checked_add(SignedDuration::from_hours(advance_days * 24)).unwrap();
            let event = match event {
                OrderEvent::Delivered { .. } => OrderEvent::Delivered { at: now },
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
            if order.state.is_closed() {
                prop_assert_eq!(order.escrow_minor(), 0);
                prop_assert!(order.apply(OrderEvent::ProtectionWindowEnded, &policy, now).is_err());
            }
            // Money never leaves escrow without a delivery scan unless the
            // buyer explicitly confirmed or was refunded.
            if order.released_minor > 0 && order.delivered_at.is_none() {
                prop_assert_eq!(order.close_reason.as_deref(), Some("buyer_confirmed"));
            }
        }
        auditor.observe_order(order.id, order.state, order.total.amount_minor);
        let violations = auditor.finish();
        prop_assert!(violations.is_empty(), "{:?}", violations);
    }
}

#[test]
fn window_end_without_scan_opens_claim_then_refunds() {
    let policy = Policy::default();
    let t0 = Timestamp::from_second(1_700_000_000).unwrap();
    let (order, _) = Order::checkout(new_order(1000, 1, 500), &policy, 1, t0).unwrap();
    let paid = order
        .apply(
            OrderEvent::PaymentCaptured {
                payment: PaymentInfo {
                    gateway: "testcard".into(),
                    payment_ref: "p".into(),
                    card_last4: "4242".into(),
                },
            },
            &policy,
            t0,
        )
        .unwrap()
        .order;
    let shipped = paid
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
    assert_eq!(claimed.order.not_received_claim_at, Some(end));
    let refunded = claimed
        .order
        .apply(OrderEvent::NoScanClaimExpired, &policy, end)
        .unwrap();
    assert_eq!(refunded.order.refunded_minor, 1500);
    assert_eq!(refunded.order.state.as_str(), "refunded");
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
                payment: PaymentInfo {
                    gateway: "testcard".into(),
                    payment_ref: "p".into(),
                    card_last4: "4242".into(),
                },
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
    assert_eq!(done.effects.entries.len(), 1);
}
