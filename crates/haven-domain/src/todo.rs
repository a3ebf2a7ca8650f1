//! The seller's to-do list: what waits on the store, soonest deadline
//! first. Pure: the store hands over its paid orders and open disputes.

use jiff::Timestamp;

use crate::dispute::{Dispute, DisputeState};
use crate::ids::{DisputeId, OrderId};
use crate::order::{Order, OrderState};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToDoKind {
    /// Add the tracking number before ship-by.
    Ship,
    /// The buyer asked to cancel before shipment.
    AnswerCancellation,
    /// A payment check holds the order: wait, do not ship.
    WaitForPaymentCheck,
    /// Accept, counter or reject before the seller's deadline.
    AnswerDispute,
    /// The return arrived: confirm or contest it.
    CheckReturn,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToDo {
    pub kind: ToDoKind,
    pub order_id: OrderId,
    pub dispute_id: Option<DisputeId>,
    /// The order's item.
    pub item: String,
    /// What it must be done by (`None`: nothing to do by a date).
    pub due: Option<Timestamp>,
}

/// What waits on the store, deadlines first (soonest on top), then the
/// rest. `orders` are the store's paid orders, `disputes` its open ones
/// with their orders' item names.
pub fn seller_to_do(orders: &[Order], disputes: &[(Dispute, String)]) -> Vec<ToDo> {
    let mut list: Vec<ToDo> = orders
        .iter()
        .filter(|o| o.state == OrderState::Paid)
        .map(|o| {
            let (kind, due) = if o.held_for_review() {
                (ToDoKind::WaitForPaymentCheck, None)
            } else if o.cancel_requested_at.is_some() {
                (ToDoKind::AnswerCancellation, Some(o.ship_by_at))
            } else {
                (ToDoKind::Ship, Some(o.ship_by_at))
            };
            ToDo {
                kind,
                order_id: o.id,
                dispute_id: None,
                item: o.listing_title.clone(),
                due,
            }
        })
        .collect();
    list.extend(disputes.iter().filter_map(|(d, item)| {
        let (kind, due) = match d.state {
            DisputeState::AwaitingSeller => (ToDoKind::AnswerDispute, d.seller_respond_by),
            DisputeState::ReturnDelivered => (ToDoKind::CheckReturn, d.return_check_by),
            _ => return None,
        };
        Some(ToDo {
            kind,
            order_id: d.order_id,
            dispute_id: Some(d.id),
            item: item.clone(),
            due,
        })
    }));
    list.sort_by_key(|todo| (todo.due.is_none(), todo.due));
    list
}
