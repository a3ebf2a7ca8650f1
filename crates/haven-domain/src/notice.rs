//! What buyers and sellers are told when something happens to them: one
//! notice per business event and party, in words written for that party,
//! with a link to the page where they act. Pure: the application finds the
//! people and the item's name, and stores and emails the notices.

use serde::{Deserialize, Serialize};

use crate::events::EventType;
use crate::timer::TimerKind;

/// The groups a user may switch emails off by (the in-app list keeps all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Orders,
    Disputes,
    Payouts,
    Reviews,
    /// New messages, gathered: at most one notice per window.
    Messages,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 5] = [
        NoticeKind::Orders,
        NoticeKind::Disputes,
        NoticeKind::Payouts,
        NoticeKind::Reviews,
        NoticeKind::Messages,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Orders => "orders",
            NoticeKind::Disputes => "disputes",
            NoticeKind::Payouts => "payouts",
            NoticeKind::Reviews => "reviews",
            NoticeKind::Messages => "messages",
        }
    }

    pub fn parse(raw: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    /// The words on the account page's email settings.
    pub fn label(self) -> &'static str {
        match self {
            NoticeKind::Orders => "Orders: paid, shipped, delivered, cancelled, refunded",
            NoticeKind::Disputes => "Disputes: every step, and what you have to answer",
            NoticeKind::Payouts => "Payouts and credit",
            NoticeKind::Reviews => "Reviews of your store",
            NoticeKind::Messages => "New messages (gathered: at most one email every 15 minutes)",
        }
    }
}

/// New messages are told of once per window, not once per message.
pub const MESSAGE_DIGEST_MINUTES: i64 = 15;

/// The window a message sent at `at_ms` falls in, and when its digest is
/// due: the window's end.
pub fn message_digest_window(at_ms: i64) -> (i64, i64) {
    let window_ms = MESSAGE_DIGEST_MINUTES * 60_000;
    let window = at_ms.div_euclid(window_ms);
    (window, (window + 1) * window_ms)
}

/// The notice for `unread` messages waiting.
pub fn message_digest(unread: i64) -> (String, &'static str) {
    let title = if unread == 1 {
        "1 new message".to_string()
    } else {
        format!("{unread} new messages")
    };
    (
        title,
        "Reply on Haven: keep conversations and payments here, where you are protected.",
    )
}

/// Who a notice is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The order's or dispute's buyer (`buyer_id` in the event).
    Buyer,
    /// The owner of the event's store (`store_id`).
    Seller,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub audience: Audience,
    pub kind: NoticeKind,
    pub title: String,
    pub detail: String,
    /// A path on the site: where the person sees it or acts on it.
    pub link: String,
}

fn notice(audience: Audience, kind: NoticeKind, title: String, detail: &str, link: &str) -> Notice {
    Notice {
        audience,
        kind,
        title,
        detail: detail.to_string(),
        link: link.to_string(),
    }
}

/// The notices an event gives rise to. `item` names what was bought (the
/// listing's title, or a fallback), `id` is the order, dispute or payout
/// the event is about.
/// Reminders go out this long before a deadline.
pub const REMIND_BEFORE_HOURS: i64 = 24;

/// The reminder, a day before a deadline passes, for the party who must
/// act by then (`None`: the deadline asks nothing of anyone, or acts in
/// the buyer's favour by itself). `due` is the deadline as the reader
/// should see it.
pub fn reminder_for(deadline: TimerKind, item: &str, order_id: &str, due: &str) -> Option<Notice> {
    use Audience::{Buyer, Seller};
    use NoticeKind::{Disputes, Orders};
    let order = format!("/orders/{order_id}");
    let (audience, kind, title, detail) = match deadline {
        TimerKind::ShipBy => (
            Seller,
            Orders,
            format!("Ship by {due}: {item}"),
            "Add the tracking number before then, or the order is cancelled and the buyer refunded.",
        ),
        TimerKind::ProtectionEnd => (
            Buyer,
            Orders,
            format!("Buyer protection ends {due}: {item}"),
            "If the item has not arrived or is not as described, open a dispute before then. If all is well, there is nothing to do.",
        ),
        TimerKind::DisputeSellerResponse => (
            Seller,
            Disputes,
            format!("Answer the dispute by {due}: {item}"),
            "If you do not answer by then, the buyer's request is granted.",
        ),
        TimerKind::ReturnCheck => (
            Seller,
            Disputes,
            format!("Check the returned item by {due}: {item}"),
            "Confirm or contest the return before then, or the buyer is refunded.",
        ),
        TimerKind::ReturnShipBy => (
            Buyer,
            Disputes,
            format!("Send the return by {due}: {item}"),
            "Add the return's tracking number on the dispute before then, or the dispute closes without a refund.",
        ),
        TimerKind::CancelRequestTimeout => (
            Seller,
            Orders,
            format!("Answer the cancel request by {due}: {item}"),
            "Accept or refuse the buyer's request to cancel before then, or it is granted and the buyer refunded.",
        ),
        _ => return None,
    };
    Some(notice(audience, kind, title, detail, &order))
}

/// The notice for one step of an open dispute (`step` as the event's
/// `step`, e.g. "SellerCounter"), for the party who did not take it and
/// must know or act; `None` for a step without words of its own (the
/// general "dispute update" then goes to both).
pub fn dispute_step_notice(step: &str, item: &str, dispute_id: &str) -> Option<Notice> {
    use Audience::{Buyer, Seller};
    let (audience, title, detail) = match step {
        "SellerAccept" => (
            Buyer,
            format!("The seller accepted your request: {item}"),
            "The dispute says what happens next: your refund, or where to send the item back.",
        ),
        "SellerCounter" => (
            Buyer,
            format!("The seller made you an offer: {item}"),
            "Accept it or decline it on the dispute. You can still ask Haven to decide, and your protection stays in place.",
        ),
        "SellerReject" => (
            Buyer,
            format!("The seller rejected your request: {item}"),
            "You can ask Haven to decide from the dispute page. Your protection stays in place.",
        ),
        "BuyerDeclineCounter" => (
            Seller,
            format!("The buyer declined your offer: {item}"),
            "Make another offer or accept the request before the deadline on the dispute, or the buyer's request is granted.",
        ),
        "ReturnShipped" => (
            Seller,
            format!("The buyer sent the item back: {item}"),
            "The return's tracking number is on the dispute. Check the item when it arrives.",
        ),
        "ReturnDelivered" => (
            Seller,
            format!("The returned item was delivered: {item}"),
            "Confirm or contest the return before the deadline on the dispute, or the buyer is refunded.",
        ),
        "ReturnWarning" => (
            Buyer,
            format!("Send the return soon: {item}"),
            "Add the return's tracking number on the dispute before its deadline.",
        ),
        _ => return None,
    };
    Some(notice(
        audience,
        NoticeKind::Disputes,
        title,
        detail,
        &format!("/disputes/{dispute_id}"),
    ))
}

pub fn notices_for(event: EventType, item: &str, order_id: &str, dispute_id: &str) -> Vec<Notice> {
    use Audience::{Buyer, Seller};
    use EventType as E;
    use NoticeKind::{Disputes, Orders, Payouts, Reviews};
    let order = format!("/orders/{order_id}");
    let dispute = format!("/disputes/{dispute_id}");
    match event {
        E::OrderPaid => vec![
            notice(
                Buyer,
                Orders,
                format!("Order placed: {item}"),
                "Your payment is held safely until you confirm the item arrived.",
                &order,
            ),
            notice(
                Seller,
                Orders,
                format!("New order to ship: {item}"),
                "Ship it before the ship-by date on the order.",
                &order,
            ),
        ],
        E::OrderShipped => vec![notice(
            Buyer,
            Orders,
            format!("Shipped: {item}"),
            "Track it from your order. Your protection runs until it has arrived.",
            &order,
        )],
        E::OrderDelivered => vec![
            notice(
                Buyer,
                Orders,
                format!("Delivered: {item}"),
                "Check it, then confirm receipt, or open a dispute if something is wrong.",
                &order,
            ),
            notice(
                Seller,
                Orders,
                format!("Delivered to the buyer: {item}"),
                "The carrier confirmed delivery. You are paid when the buyer confirms receipt, or when buyer protection ends without a dispute.",
                &order,
            ),
        ],
        E::OrderCompleted => vec![
            notice(
                Buyer,
                Orders,
                format!("Completed: {item}"),
                "The seller has been paid. The rewards this order earned are in your account: turn them into credit at your next checkout.",
                &order,
            ),
            notice(
                Seller,
                Payouts,
                format!("Order completed: {item}"),
                "The payment, less commission, is in your balance.",
                &order,
            ),
        ],
        E::OrderCancelled => vec![
            notice(
                Buyer,
                Orders,
                format!("Cancelled: {item}"),
                "Anything you paid goes back to where it came from.",
                &order,
            ),
            notice(
                Seller,
                Orders,
                format!("Order cancelled: {item}"),
                "The order is closed; nothing is left to ship.",
                &order,
            ),
        ],
        E::OrderRefunded => vec![
            notice(
                Buyer,
                Orders,
                format!("Refunded: {item}"),
                "Your money is on its way back to your card or your credit.",
                &order,
            ),
            notice(
                Seller,
                Orders,
                format!("Order refunded: {item}"),
                "The order's payment went back to the buyer.",
                &order,
            ),
        ],
        E::OrderCancelRequested => vec![notice(
            Seller,
            Orders,
            format!("The buyer asks to cancel: {item}"),
            "Accept, or decline if you have already shipped.",
            &order,
        )],
        E::OrderCancelDeclined => vec![notice(
            Buyer,
            Orders,
            format!("Cancellation declined: {item}"),
            "The seller says it has shipped. You stay protected until it arrives.",
            &order,
        )],
        E::OrderNotReceivedClaimOpened => vec![
            notice(
                Buyer,
                Disputes,
                format!("Not received: we opened a claim for {item}"),
                "Your protection ended before it arrived, so a claim is open for you.",
                &order,
            ),
            notice(
                Seller,
                Disputes,
                format!("Not-received claim: {item}"),
                "The buyer's protection ended without a delivery. Answer the claim.",
                &order,
            ),
        ],
        E::GuaranteeCompensated => vec![notice(
            Buyer,
            Payouts,
            format!("Credit for a late delivery: {item}"),
            "It arrived after the promised date, so you earned credit.",
            &order,
        )],
        E::ChargebackOpened => vec![notice(
            Seller,
            Disputes,
            format!("Chargeback filed: {item}"),
            "The buyer's bank took the payment back; Haven sent your evidence.",
            &order,
        )],
        E::DisputeOpened => vec![
            notice(
                Buyer,
                Disputes,
                format!("Dispute opened: {item}"),
                "The seller has a few days to answer. You do not have to do anything yet.",
                &dispute,
            ),
            notice(
                Seller,
                Disputes,
                format!("Dispute to answer: {item}"),
                "Answer before the deadline on the dispute, or the buyer's request is granted.",
                &dispute,
            ),
        ],
        E::DisputeUpdated => vec![
            notice(
                Buyer,
                Disputes,
                format!("Dispute update: {item}"),
                "There is something new on your dispute.",
                &dispute,
            ),
            notice(
                Seller,
                Disputes,
                format!("Dispute update: {item}"),
                "There is something new on the dispute.",
                &dispute,
            ),
        ],
        E::DisputeEscalated => vec![
            notice(
                Buyer,
                Disputes,
                format!("Haven is deciding your dispute: {item}"),
                "An agent reviews the evidence from both sides.",
                &dispute,
            ),
            notice(
                Seller,
                Disputes,
                format!("Dispute escalated to Haven: {item}"),
                "An agent reviews the evidence from both sides.",
                &dispute,
            ),
        ],
        E::DisputeResolved => vec![
            notice(
                Buyer,
                Disputes,
                format!("Dispute closed: {item}"),
                "See the outcome and where the money went.",
                &dispute,
            ),
            notice(
                Seller,
                Disputes,
                format!("Dispute closed: {item}"),
                "See the outcome and where the money went.",
                &dispute,
            ),
        ],
        E::PayoutRequested => vec![notice(
            Seller,
            Payouts,
            "Payout on its way".to_string(),
            "Your available balance is being paid to your bank account.",
            "/seller",
        )],
        E::PayoutPaid => vec![notice(
            Seller,
            Payouts,
            "Payout paid".to_string(),
            "Your bank confirmed the payout: the money is in your bank account.",
            "/seller/statement?account=payout",
        )],
        E::ReviewPublished => vec![notice(
            Seller,
            Reviews,
            format!("New review: {item}"),
            "Read it, and reply if you want to.",
            "/seller",
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_in_one_window_share_one_digest_due_at_its_end() {
        let minute = 60_000;
        let (a, due_a) = message_digest_window(3 * minute);
        let (b, due_b) = message_digest_window(14 * minute + 59_999);
        let (c, due_c) = message_digest_window(15 * minute);
        assert_eq!((a, due_a), (b, due_b));
        assert_eq!(due_a, 15 * minute);
        assert_ne!(a, c);
        assert_eq!(due_c, 30 * minute);
        assert_eq!(message_digest(1).0, "1 new message");
        assert_eq!(message_digest(3).0, "3 new messages");
    }

    #[test]
    fn each_party_hears_of_its_own_orders_and_disputes_only() {
        let paid = notices_for(EventType::OrderPaid, "Lamp", "o1", "");
        assert_eq!(paid.len(), 2);
        assert_eq!(paid[0].audience, Audience::Buyer);
        assert_eq!(paid[0].title, "Order placed: Lamp");
        assert_eq!(paid[0].link, "/orders/o1");
        assert_eq!(paid[1].audience, Audience::Seller);
        let opened = notices_for(EventType::DisputeOpened, "Lamp", "o1", "d1");
        assert!(
            opened
                .iter()
                .all(|n| n.link == "/disputes/d1" && n.kind == NoticeKind::Disputes)
        );
        // Internal or store-wide events tell no buyer or seller anything.
        for quiet in [
            EventType::ListingCreated,
            EventType::StoreEnforcementChanged,
            EventType::SecurityCredentialStuffing,
        ] {
            assert!(notices_for(quiet, "x", "o", "d").is_empty());
        }
    }

    #[test]
    fn a_dispute_step_is_told_in_words_to_the_party_who_did_not_take_it() {
        let offer = dispute_step_notice("SellerCounter", "Lamp", "d1").unwrap();
        assert_eq!(offer.audience, Audience::Buyer);
        assert_eq!(offer.title, "The seller made you an offer: Lamp");
        assert_eq!(offer.link, "/disputes/d1");
        let declined = dispute_step_notice("BuyerDeclineCounter", "Lamp", "d1").unwrap();
        assert_eq!(declined.audience, Audience::Seller);
        let back = dispute_step_notice("ReturnShipped", "Lamp", "d1").unwrap();
        assert_eq!(back.audience, Audience::Seller);
        assert!(dispute_step_notice("SomethingElse", "Lamp", "d1").is_none());
    }

    #[test]
    fn a_delivery_is_told_to_both_parties() {
        let delivered = notices_for(EventType::OrderDelivered, "Lamp", "o1", "");
        let audiences: Vec<_> = delivered.iter().map(|n| n.audience).collect();
        assert_eq!(audiences, [Audience::Buyer, Audience::Seller]);
        assert_eq!(delivered[1].title, "Delivered to the buyer: Lamp");
        assert!(
            delivered[1].detail.contains("paid when"),
            "{:?}",
            delivered[1]
        );
    }

    #[test]
    fn a_completed_order_tells_the_buyer_of_rewards_and_the_seller_of_the_payment() {
        let done = notices_for(EventType::OrderCompleted, "Lamp", "o1", "");
        let buyer = done.iter().find(|n| n.audience == Audience::Buyer).unwrap();
        assert!(buyer.detail.contains("rewards"), "{buyer:?}");
        let seller = done
            .iter()
            .find(|n| n.audience == Audience::Seller)
            .unwrap();
        assert_eq!(seller.kind, NoticeKind::Payouts);
    }

    #[test]
    fn reminders_go_to_whoever_must_act() {
        let seller = reminder_for(TimerKind::ShipBy, "Belt", "o1", "Tue 1 Dec, 09:00 UTC").unwrap();
        assert_eq!(seller.audience, Audience::Seller);
        assert_eq!(seller.title, "Ship by Tue 1 Dec, 09:00 UTC: Belt");
        assert_eq!(seller.link, "/orders/o1");
        let buyer = reminder_for(TimerKind::ProtectionEnd, "Belt", "o1", "x").unwrap();
        assert_eq!(buyer.audience, Audience::Buyer);
        assert_eq!(
            reminder_for(TimerKind::ReturnCheck, "Belt", "o1", "x").map(|n| n.kind),
            Some(NoticeKind::Disputes)
        );
        let returns = reminder_for(TimerKind::ReturnShipBy, "Belt", "o1", "x").unwrap();
        assert_eq!(returns.audience, Audience::Buyer);
        let cancel = reminder_for(TimerKind::CancelRequestTimeout, "Belt", "o1", "x").unwrap();
        assert_eq!(cancel.audience, Audience::Seller);
        for quiet in [
            TimerKind::UnpaidExpiry,
            TimerKind::OnTimeGuarantee,
            TimerKind::DisputeAutoEscalate,
            TimerKind::ReviewPublish,
        ] {
            assert_eq!(reminder_for(quiet, "Belt", "o1", "x"), None, "{quiet:?}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for kind in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NoticeKind::parse("spam"), None);
    }
}
