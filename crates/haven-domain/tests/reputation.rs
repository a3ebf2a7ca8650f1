//! Reputation rules: who may review what and when, what each fact adds to
//! a store's numbers (hand-computed fixtures), and the property that the
//! deltas of any event sequence add up to the facts of where it ends, which
//! is why incremental metrics and `haven reputation rebuild` agree.

use haven_domain::ids::{ListingId, StoreId, UserId};
use haven_domain::messaging::{Conversation, ConversationKind};
use haven_domain::money::{Currency, Money};
use haven_domain::order::{
    Address, NewOrder, Order, OrderEvent, OrderState, PaymentInfo, ShippingChoice,
};
use haven_domain::policy::Policy;
use haven_domain::reputation::{
    self, Ineligible, Stars, StatCounters, compute_metrics, month_of, order_facts,
};
use haven_domain::{SignedDuration, Timestamp};
use proptest::prelude::*;

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

fn new_order(buyer: UserId, store: StoreId, quantity: u32) -> NewOrder {
    NewOrder {
        buyer_id: buyer,
        store_id: store,
        listing_id: ListingId::new(),
        listing_title: "Lamp".into(),
        guaranteed_genuine: false,
        quantity,
        unit_price: Money::new(1_000, Currency::USD),
        flash_deal: false,
        shipping: ShippingChoice {
            method: "Standard".into(),
            cost: Money::new(0, Currency::USD),
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

/// Apply events in order, each at its time; returns every state passed.
fn run(order: Order, events: Vec<(OrderEvent, Timestamp)>) -> Vec<Order> {
    let policy = Policy::default();
    let mut states = vec![order];
    for (event, now) in events {
        let current = states.last().unwrap().clone();
        if let Ok(t) = current.apply(event, &policy, now) {
            states.push(t.order);
        }
    }
    states
}

fn completed_order(buyer: UserId, store: StoreId, start: Timestamp, ship_after_days: i64) -> Order {
    let (order, _) =
        Order::checkout(new_order(buyer, store, 2), &Policy::default(), 1, start).unwrap();
    let states = run(
        order,
        vec![
            (
                OrderEvent::PaymentCaptured {
                    payment: card(),
                    credit_minor: 0,
                },
                start,
            ),
            (
                OrderEvent::Ship {
                    carrier: "simpost".into(),
                    tracking_number: "RR123456785CN".into(),
                },
                start + days(ship_after_days),
            ),
            (
                OrderEvent::Delivered {
                    at: start + days(ship_after_days + 3),
                },
                start + days(ship_after_days + 3),
            ),
            (
                OrderEvent::ConfirmReceipt {
                    second_confirmation: false,
                },
                start + days(ship_after_days + 4),
            ),
        ],
    );
    let last = states.last().unwrap().clone();
    assert_eq!(last.state, OrderState::Completed, "fixture completes");
    last
}

#[test]
fn eligibility_rules() {
    let buyer = UserId::new();
    let owner = UserId::new();
    let store = StoreId::new();
    let start = at("2026-03-01T10:00:00Z");
    let order = completed_order(buyer, store, start, 1);
    let closed = order.closed_at.unwrap();
    let deadline = reputation::may_review(&order, buyer, owner, false, closed).unwrap();
    assert_eq!(deadline, closed + days(30));
    assert_eq!(
        reputation::may_review(&order, UserId::new(), owner, false, closed),
        Err(Ineligible::NotYourOrder)
    );
    assert_eq!(
        reputation::may_review(&order, buyer, buyer, false, closed),
        Err(Ineligible::OwnStore),
        "a seller buying from its own store cannot review it"
    );
    assert_eq!(
        reputation::may_review(&order, buyer, owner, true, closed),
        Err(Ineligible::AlreadyReviewed)
    );
    assert_eq!(
        reputation::may_review(
            &order,
            buyer,
            owner,
            false,
            deadline + SignedDuration::from_secs(1)
        ),
        Err(Ineligible::WindowClosed)
    );
    assert!(reputation::may_review(&order, buyer, owner, false, deadline).is_ok());
    let (unpaid, _) =
        Order::checkout(new_order(buyer, store, 1), &Policy::default(), 1, start).unwrap();
    assert_eq!(
        reputation::may_review(&unpaid, buyer, owner, false, start),
        Err(Ineligible::NotCompleted)
    );
    assert_eq!(
        reputation::may_rate_buyer(&unpaid, false, start),
        Err(Ineligible::NotCompleted)
    );
    assert!(reputation::may_rate_buyer(&order, false, closed).is_ok());
    assert_eq!(
        reputation::may_rate_buyer(&order, true, closed),
        Err(Ineligible::AlreadyReviewed)
    );
}

#[test]
fn stars_are_one_to_five() {
    assert!(Stars::new(0).is_none());
    assert!(Stars::new(6).is_none());
    assert_eq!(Stars::new(5).unwrap().get(), 5);
    assert!(serde_json::from_str::<Stars>("9").is_err());
}

#[test]
fn order_facts_by_hand() {
    let store = StoreId::new();
    let start = at("2026-03-30T10:00:00Z");
    // Paid in March, shipped on day 7 (after the 5-day ship-by, so late)
    // in April, completed in April.
    let late = completed_order(UserId::new(), store, start, 7);
    let facts = order_facts(&late);
    let march = facts.iter().find(|(m, _)| *m == month_of(start)).unwrap().1;
    let april = facts
        .iter()
        .find(|(m, _)| *m == month_of(at("2026-04-15T00:00:00Z")))
        .unwrap()
        .1;
    assert_eq!((march.orders_paid, march.orders_disputed), (1, 0));
    assert_eq!((march.shipped, march.items_sold), (0, 0));
    assert_eq!((april.shipped, april.shipped_on_time), (1, 0));
    assert_eq!((april.orders_completed, april.items_sold), (1, 2));
}

#[test]
fn metrics_by_hand() {
    let now = at("2026-09-15T12:00:00Z");
    let month = month_of(now);
    let mut this_month = StatCounters {
        orders_paid: 40,
        orders_disputed: 2,
        shipped: 40,
        shipped_on_time: 38,
        items_sold: 55,
        questions: 10,
        answered: 9,
        answered_in_day: 8,
        answer_s_sum: 9 * 3 * 3600,
        ..StatCounters::default()
    };
    this_month.stars = [1, 0, 1, 8, 30];
    this_month.described_sum = 4 * 5 + 3 * 4;
    this_month.described_count = 7;
    // Eight months ago: outside the 6-month positive window, inside the
    // 12-month one; 13 months ago: outside both but still "all time".
    let mut older = StatCounters {
        orders_paid: 10,
        shipped: 10,
        shipped_on_time: 10,
        items_sold: 10,
        ..StatCounters::default()
    };
    older.stars = [10, 0, 0, 0, 0];
    let mut ancient = StatCounters {
        items_sold: 100,
        ..StatCounters::default()
    };
    ancient.stars = [0, 0, 0, 0, 50];
    let months = vec![
        (month, this_month),
        (month - 8, older),
        (month - 13, ancient),
    ];
    let created = now - days(4 * 365 + 10);
    let m = compute_metrics(created, &months, 3, now);
    assert_eq!(m.items_sold, 165);
    assert_eq!(m.star_counts, [11, 0, 1, 8, 80]);
    assert_eq!(m.reviews_counted, 100);
    // 38 of 40 reviews in the last 6 months are 4-5 stars: 95 %.
    assert_eq!(m.positive_bps, Some(9_500));
    assert_eq!(m.positive_reviews_in_window, 40);
    // 12 months: 48 of 50 shipped on time; 2 of 50 paid orders disputed.
    assert_eq!(m.on_time_bps, Some(9_600));
    assert_eq!(m.dispute_bps, Some(400));
    assert_eq!(m.response_bps, Some(8_000));
    assert_eq!(m.response_avg_s, Some(3 * 3600));
    assert_eq!(m.described_x100, Some(457));
    assert_eq!(m.communication_x100, None);
    assert_eq!(m.regular_buyers, 3);
    assert_eq!(m.store_age_days, 4 * 365 + 10);
    assert_eq!(
        m.summary(),
        "Open 4 years · 165 sold · 95.0 % positive (40 reviews) · answers in ~3 h · disputes on 4.0 % of orders"
    );
    let explained = m.explained();
    assert_eq!(explained.len(), 11);
    assert!(explained.iter().all(|metric| !metric.how.is_empty()));
}

#[test]
fn conversation_facts_count_buyer_questions_only() {
    let start = at("2026-05-02T08:00:00Z");
    let mut c = Conversation {
        id: Default::default(),
        kind: ConversationKind::PreSale,
        order_id: None,
        listing_id: ListingId::new(),
        buyer_id: UserId::new(),
        store_id: StoreId::new(),
        subject: "q".into(),
        created_at: start,
        last_message_at: None,
        message_count: 0,
        delivered_count: 0,
        last_delivered_at: None,
        first_buyer_message_at: Some(start),
        first_seller_message_at: Some(start + SignedDuration::from_hours(30)),
        flagged: false,
        offences: 0,
        reports: Vec::new(),
        version: 1,
    };
    let facts = reputation::conversation_facts(&c);
    assert_eq!(facts.len(), 1);
    let f = facts[0].1;
    assert_eq!((f.questions, f.answered, f.answered_in_day), (1, 1, 0));
    assert_eq!(f.answer_s_sum, 30 * 3600);
    c.first_seller_message_at = Some(start - SignedDuration::from_hours(1));
    assert!(
        reputation::conversation_facts(&c).is_empty(),
        "seller-started"
    );
}

fn event_strategy() -> impl Strategy<Value = OrderEvent> {
    prop_oneof![
        Just(OrderEvent::PaymentCaptured {
            payment: card(),
            credit_minor: 0
        }),
        Just(OrderEvent::Ship {
            carrier: "simpost".into(),
            tracking_number: "RR123456785CN".into()
        }),
        Just(OrderEvent::ShipByMissed),
        Just(OrderEvent::Delivered {
            at: Timestamp::UNIX_EPOCH
        }),
        Just(OrderEvent::ConfirmReceipt {
            second_confirmation: true
        }),
        Just(OrderEvent::ProtectionWindowEnded),
        Just(OrderEvent::DisputeOpened {
            dispute_id: Default::default()
        }),
        (0_i64..3_000).prop_map(|refund_minor| OrderEvent::Settle {
            refund_minor,
            reason: haven_domain::order::CloseReason::DisputeResolved,
        }),
        Just(OrderEvent::DisputeEnded),
    ]
}

proptest! {
    /// Summing each transition's delta gives the facts of the final order:
    /// incremental metrics equal a rebuild, whatever happened.
    #[test]
    fn deltas_add_up_to_facts(events in proptest::collection::vec((event_strategy(), 0_i64..40), 1..14)) {
        let store = StoreId::new();
        let start = at("2026-01-25T00:00:00Z");
        let (order, _) = Order::checkout(new_order(UserId::new(), store, 3), &Policy::default(), 1, start).unwrap();
        let mut now = start;
        let timed = events.into_iter().map(|(e, step)| { now += days(step); (e, now) }).collect();
        let states = run(order, timed);
        let mut running: std::collections::BTreeMap<i32, StatCounters> = Default::default();
        for pair in states.windows(2) {
            let shard = reputation::order_shard(pair[1].id);
            for d in reputation::delta(store, shard, &order_facts(&pair[0]), &order_facts(&pair[1])) {
                running.entry(d.month).or_default().add_scaled(&d.counters, 1);
            }
        }
        running.retain(|_, c| !c.is_zero());
        let rebuilt: std::collections::BTreeMap<i32, StatCounters> =
            order_facts(states.last().unwrap()).into_iter().filter(|(_, c)| !c.is_zero()).collect();
        prop_assert_eq!(running, rebuilt);
    }
}
