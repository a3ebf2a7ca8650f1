//! Shipping, carrier tracking (outbound parcels and dispute returns),
//! cancel requests and confirming receipt.

use haven_domain::dispute::{DisputeEvent, Party};
use haven_domain::ids::OrderId;
use haven_domain::order::{Order, OrderEvent, TrackingStatus};
use haven_domain::{SignedDuration, Timestamp};
use haven_risk::tracking::{self, Carrier, ProvenanceFacts, TrackingRejection};
use haven_store::{Changeset, TrackingEvent};

use super::{Actor, ActorRef, App, Idem};
use crate::error::{AppError, AppResult, ErrorKind};

/// One scan as a carrier reports it.
#[derive(Debug, Clone)]
pub struct CarrierScan {
    pub carrier: String,
    pub tracking_number: String,
    pub status: TrackingStatus,
    pub occurred_at: Timestamp,
    pub location: String,
    pub city: Option<String>,
    pub country: Option<String>,
}

/// Why a delivery scan does not match the order's address, if it doesn't:
/// fake tracking often "delivers" a cheap parcel in another city.
fn delivered_elsewhere(scan: &CarrierScan, order: &Order) -> Option<String> {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    if let Some(country) = scan
        .country
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        && !country.eq_ignore_ascii_case(&order.address.country)
    {
        return Some(format!(
            "delivered in {} but the order ships to {}",
            country.to_ascii_uppercase(),
            order.address.country
        ));
    }
    if let Some(city) = scan
        .city
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        && norm(city) != norm(&order.address.city)
    {
        return Some(format!(
            "delivered in {city} but the order ships to {}",
            order.address.city
        ));
    }
    None
}

/// Scans may be stamped a little ahead of our clock, never far ahead.
const MAX_SCAN_CLOCK_SKEW_S: i64 = 3_600;
/// A delivery reported later than this counts as delivered this long ago:
/// a backdated scan must not start the protection window in the past.
const MAX_SCAN_REPORTING_DELAY_H: i64 = 24;

fn seller_guard(actor: &Actor) -> impl Fn(&Order) -> AppResult<()> {
    let store = actor.store_id;
    move |order| {
        if Some(order.store_id) == store {
            Ok(())
        } else {
            Err(AppError::not_found("order"))
        }
    }
}

fn buyer_guard(actor: &Actor) -> impl Fn(&Order) -> AppResult<()> {
    let buyer = actor.id();
    move |order| {
        if order.buyer_id == buyer {
            Ok(())
        } else {
            Err(AppError::not_found("order"))
        }
    }
}

fn tracking_error(rejection: TrackingRejection) -> AppError {
    let kind = match rejection {
        TrackingRejection::UnknownCarrier => ErrorKind::UnknownCarrier,
        TrackingRejection::BadFormat { .. } => ErrorKind::TrackingFormatInvalid,
        TrackingRejection::AlreadyUsed => ErrorKind::TrackingNumberReused,
        TrackingRejection::PreDated => ErrorKind::TrackingPredatesOrder,
    };
    AppError::new(kind, rejection.to_string())
}

/// The to-do list reads at most this many paid orders and open disputes.
const TO_DO_LIMIT: u32 = 100;

impl App {
    /// What waits on the seller's store, soonest deadline first: orders to
    /// ship, cancellations and disputes to answer, returns to check.
    pub async fn seller_to_do(&self, actor: &Actor) -> AppResult<Vec<haven_domain::todo::ToDo>> {
        let store = actor.require_store()?;
        let orders = self.store.orders_to_ship(store, TO_DO_LIMIT).await?;
        let mut disputes = Vec::new();
        for dispute in self
            .store
            .open_disputes_for_store(store, TO_DO_LIMIT)
            .await?
        {
            let item = self
                .store
                .order(dispute.order_id)
                .await?
                .map(|o| o.listing_title)
                .unwrap_or_default();
            disputes.push((dispute, item));
        }
        Ok(haven_domain::todo::seller_to_do(&orders, &disputes))
    }

    /// The seller hands the parcel to a carrier. The tracking number's
    /// provenance is checked before the order moves.
    pub async fn ship(
        &self,
        actor: &Actor,
        order_id: OrderId,
        carrier: &str,
        number: &str,
        idem: Option<&Idem>,
    ) -> AppResult<Order> {
        let carrier = Carrier::parse(carrier)
            .ok_or_else(|| tracking_error(TrackingRejection::UnknownCarrier))?;
        let number = tracking::normalize(number);
        let order = self.order(order_id).await?;
        seller_guard(actor)(&order)?;
        let facts = ProvenanceFacts {
            order_id,
            order_paid_at: order.paid_at.unwrap_or(order.created_at),
            owner: self.store.tracking_owner(carrier.as_str(), &number).await?,
            first_scan_at: self
                .store
                .tracking_events(carrier.as_str(), &number)
                .await?
                .first()
                .map(|e| e.occurred_at),
        };
        if order.state == haven_domain::order::OrderState::Paid {
            tracking::check_provenance(carrier, &number, facts).map_err(tracking_error)?;
        }
        let event = OrderEvent::Ship {
            carrier: carrier.as_str().to_string(),
            tracking_number: number.clone(),
        };
        self.apply_event(
            order_id,
            |_| Ok(event.clone()),
            seller_guard(actor),
            ActorRef::user(Party::Seller, actor),
            idem,
        )
        .await
    }

    /// Record a carrier scan and move the order (or the dispute's return)
    /// it belongs to. Replays and scans that change nothing are accepted.
    async fn flag_delivery_elsewhere(&self, order: &Order, mismatch: &str) -> AppResult<()> {
        tracing::warn!(order = %order.id, store = %order.store_id, mismatch, "delivery scan elsewhere than the order's address");
        let flag = haven_domain::messaging::SecurityFlag {
            id: haven_domain::ids::FlagId::new(),
            kind: "tracking_delivered_elsewhere".into(),
            subject: order.id.to_string(),
            detail: format!(
                "store {}: {mismatch}; not counted as delivery",
                order.store_id
            ),
            created_at: self.now(),
        };
        self.store
            .commit(Changeset {
                security_flags: vec![flag],
                ..Default::default()
            })
            .await?;
        Ok(())
    }

    pub async fn ingest_scan(&self, scan: CarrierScan) -> AppResult<Option<Order>> {
        let carrier = Carrier::parse(&scan.carrier)
            .ok_or_else(|| tracking_error(TrackingRejection::UnknownCarrier))?;
        let number = tracking::normalize(&scan.tracking_number);
        tracking::check_format(carrier, &number).map_err(tracking_error)?;
        let now = self.now();
        if scan.occurred_at > now + SignedDuration::from_secs(MAX_SCAN_CLOCK_SKEW_S) {
            return Err(AppError::validation("occurred_at is in the future"));
        }
        let location = haven_domain::text::optional_line("location", &scan.location, 120)?;
        let event = TrackingEvent {
            carrier: carrier.as_str().into(),
            tracking_number: number.clone(),
            status: scan.status.as_str().into(),
            occurred_at: scan.occurred_at,
            location,
            received_at: now,
        };
        let Some(order_id) = self.store.tracking_owner(carrier.as_str(), &number).await? else {
            // Unknown yet: kept, so a number scanned before an order was paid
            // is recognised as pre-dated when a seller tries to use it.
            self.store
                .commit(Changeset {
                    tracking_events: vec![event],
                    ..Default::default()
                })
                .await?;
            return Ok(None);
        };
        let order = self.order(order_id).await?;
        let outbound = order
            .shipment
            .as_ref()
            .filter(|s| s.tracking_number == number && s.carrier == carrier.as_str());
        if let Some(shipment) = outbound
            && scan.occurred_at
                < shipment.shipped_at - SignedDuration::from_secs(MAX_SCAN_CLOCK_SKEW_S)
        {
            return Err(AppError::validation(
                "occurred_at is before the parcel was shipped",
            ));
        }
        self.store
            .commit(Changeset {
                tracking_events: vec![event],
                ..Default::default()
            })
            .await?;
        if outbound.is_none() {
            self.return_scan(&order, &number, &scan).await?;
            return Ok(Some(self.order(order_id).await?));
        }
        if scan.status == TrackingStatus::Delivered
            && let Some(mismatch) = delivered_elsewhere(&scan, &order)
        {
            // Not proof of delivery: the buyer stays protected, and an
            // agent sees it (confirmed fake tracking is a strike).
            self.flag_delivery_elsewhere(&order, &mismatch).await?;
            return Ok(Some(order));
        }
        let delivered_at = scan
            .occurred_at
            .max(now - SignedDuration::from_hours(MAX_SCAN_REPORTING_DELAY_H));
        let order_event = match scan.status {
            TrackingStatus::Delivered => OrderEvent::Delivered { at: delivered_at },
            status => OrderEvent::Tracking {
                status,
                at: scan.occurred_at,
            },
        };
        match self
            .apply_event(
                order_id,
                |_| Ok(order_event.clone()),
                |_| Ok(()),
                ActorRef::system(),
                None,
            )
            .await
        {
            Ok(order) => Ok(Some(order)),
            // A duplicate or late scan: recorded above, nothing to move.
            Err(err) if err.kind == ErrorKind::InvalidState => {
                Ok(self.store.order(order_id).await?)
            }
            Err(err) => Err(err),
        }
    }

    /// A scan on a dispute's return parcel: logged, and delivery starts the
    /// seller's deadline to confirm or contest.
    async fn return_scan(&self, order: &Order, number: &str, scan: &CarrierScan) -> AppResult<()> {
        let Some(open) = order.open_dispute else {
            return Ok(());
        };
        let dispute = self.dispute(open.id).await?;
        if dispute
            .return_shipment
            .as_ref()
            .is_none_or(|s| s.tracking_number != number)
        {
            return Ok(());
        }
        if scan.status == TrackingStatus::Delivered {
            let event = DisputeEvent::ReturnDelivered {
                at: scan
                    .occurred_at
                    .max(self.now() - SignedDuration::from_hours(MAX_SCAN_REPORTING_DELAY_H)),
            };
            match self
                .apply_dispute_event(dispute.id, event, ActorRef::system(), None, &[])
                .await
            {
                Ok(_) => {}
                Err(err) if err.kind == ErrorKind::InvalidState => {}
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    pub async fn confirm_receipt(
        &self,
        actor: &Actor,
        order_id: OrderId,
        second_confirmation: bool,
        idem: Option<&Idem>,
    ) -> AppResult<Order> {
        let event = OrderEvent::ConfirmReceipt {
            second_confirmation,
        };
        self.apply_event(
            order_id,
            |_| Ok(event.clone()),
            buyer_guard(actor),
            ActorRef::user(Party::Buyer, actor),
            idem,
        )
        .await
    }

    pub async fn request_cancel(
        &self,
        actor: &Actor,
        order_id: OrderId,
        idem: Option<&Idem>,
    ) -> AppResult<Order> {
        self.apply_event(
            order_id,
            |_| Ok(OrderEvent::RequestCancel),
            buyer_guard(actor),
            ActorRef::user(Party::Buyer, actor),
            idem,
        )
        .await
    }

    pub async fn respond_cancel(
        &self,
        actor: &Actor,
        order_id: OrderId,
        accept: bool,
        idem: Option<&Idem>,
    ) -> AppResult<Order> {
        let event = if accept {
            OrderEvent::AcceptCancel
        } else {
            OrderEvent::DeclineCancel
        };
        self.apply_event(
            order_id,
            |_| Ok(event.clone()),
            seller_guard(actor),
            ActorRef::user(Party::Seller, actor),
            idem,
        )
        .await
    }

    /// An order as its buyer or its seller (or an agent) may see it.
    pub async fn order_for(&self, actor: &Actor, order_id: OrderId) -> AppResult<Order> {
        let order = self.order(order_id).await?;
        let is_party = order.buyer_id == actor.id() || Some(order.store_id) == actor.store_id;
        let is_staff = actor.user.has_role(haven_domain::account::Role::Agent)
            || actor.user.has_role(haven_domain::account::Role::Admin);
        if is_party || is_staff {
            Ok(order)
        } else {
            Err(AppError::not_found("order"))
        }
    }

    pub async fn order_scans(&self, order: &Order) -> AppResult<Vec<TrackingEvent>> {
        match &order.shipment {
            Some(s) => Ok(self
                .store
                .tracking_events(&s.carrier, &s.tracking_number)
                .await?),
            None => Ok(Vec::new()),
        }
    }
}
