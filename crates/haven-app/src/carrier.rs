//! Carrier webhooks and the built-in simulated carrier.
//!
//! A carrier signs each webhook with HMAC-SHA256 over `"<t>.<body>"` using the
//! shared secret, sent as `Haven-Signature: t=<unix seconds>,v1=<hex>`.
//! Signatures older than five minutes are refused, so a captured request
//! cannot be replayed later; duplicate scans are ignored by the store.

use haven_domain::Timestamp;
use haven_domain::order::{Order, TrackingStatus};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, ErrorKind};
use crate::{App, CarrierScan};

pub const SIGNATURE_HEADER: &str = "haven-signature";

/// A carrier's scan, as the webhook body carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanPayload {
    pub tracking_number: String,
    /// in_transit, out_for_delivery, delivered or exception
    pub status: TrackingStatus,
    /// RFC 3339.
    pub occurred_at: String,
    #[serde(default)]
    pub location: String,
    /// Where the scan happened, when the carrier says it in structured
    /// form: a delivery scan elsewhere than the order's address does not
    /// count as delivery.
    #[serde(default)]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(default)]
    pub country: Option<String>,
}

pub use crate::signature::sign;

/// A fresh, valid number for the built-in simulated carrier, to pre-fill
/// the seller's ship form in the demo.
pub fn simulated_tracking_number() -> String {
    haven_risk::tracking::simpost_number(rand::random::<u32>() % 100_000_000)
}

/// Check the signature header against the body (constant-time compare).
pub fn verify_signature(secret: &str, header: &str, body: &[u8], now: Timestamp) -> AppResult<()> {
    use crate::signature::{Check, TOLERANCE_S, check};
    match check(secret, header, body, now.as_second(), TOLERANCE_S) {
        Check::Valid => Ok(()),
        Check::Stale => Err(AppError::new(
            ErrorKind::StaleSignature,
            "signature timestamp outside tolerance",
        )),
        Check::Invalid => Err(AppError::new(
            ErrorKind::BadSignature,
            "missing or invalid Haven-Signature",
        )),
    }
}

impl App {
    /// The webhook endpoint's logic: authenticate, parse, ingest.
    pub async fn carrier_webhook(
        &self,
        carrier: &str,
        signature: Option<&str>,
        body: &[u8],
    ) -> AppResult<Option<Order>> {
        verify_signature(
            &self.config.carrier_webhook_secret,
            signature.unwrap_or(""),
            body,
            self.now(),
        )?;
        let payload: ScanPayload = serde_json::from_slice(body)
            .map_err(|e| AppError::bad_request(format!("invalid scan: {e}")))?;
        let occurred_at: Timestamp = payload
            .occurred_at
            .parse()
            .map_err(|_| AppError::validation("occurred_at must be RFC 3339"))?;
        self.ingest_scan(CarrierScan {
            carrier: carrier.to_string(),
            tracking_number: payload.tracking_number,
            status: payload.status,
            occurred_at,
            location: payload.location,
            city: payload.city,
            country: payload.country,
        })
        .await
    }

    /// Demo only: the simulated carrier posts the parcel's next scan through
    /// the same signed webhook path a real carrier uses.
    pub async fn advance_parcel(&self, order: &Order) -> AppResult<Option<Order>> {
        if !self.config.demo {
            return Err(AppError::forbidden(
                "parcels can only be advanced in demo mode",
            ));
        }
        let shipment = order.shipment.as_ref().ok_or_else(|| {
            AppError::conflict(ErrorKind::InvalidState, "the order has not shipped")
        })?;
        let (status, location) = match order.tracking_status {
            None | Some(TrackingStatus::Exception) => {
                (TrackingStatus::InTransit, "Origin sorting centre")
            }
            Some(TrackingStatus::InTransit) => {
                (TrackingStatus::OutForDelivery, "Local delivery office")
            }
            Some(TrackingStatus::OutForDelivery) => (TrackingStatus::Delivered, "Front door"),
            Some(TrackingStatus::Delivered) => {
                return Err(AppError::conflict(
                    ErrorKind::InvalidState,
                    "the parcel was already delivered",
                ));
            }
        };
        let payload = ScanPayload {
            tracking_number: shipment.tracking_number.clone(),
            status,
            occurred_at: self.now().to_string(),
            location: location.into(),
            city: Some(order.address.city.clone()),
            country: Some(order.address.country.clone()),
        };
        let body = serde_json::to_vec(&payload).map_err(AppError::internal)?;
        let signature = sign(
            &self.config.carrier_webhook_secret,
            self.now().as_second(),
            &body,
        );
        self.carrier_webhook(&shipment.carrier, Some(&signature), &body)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_reject_tampering_and_staleness() {
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let header = sign("secret", now.as_second(), b"{\"a\":1}");
        assert!(verify_signature("secret", &header, b"{\"a\":1}", now).is_ok());
        assert!(
            verify_signature("secret", &header, b"{\"a\":2}", now).is_err(),
            "tampered body"
        );
        assert!(
            verify_signature("other", &header, b"{\"a\":1}", now).is_err(),
            "wrong secret"
        );
        let later = Timestamp::from_second(now.as_second() + 301).unwrap();
        assert_eq!(
            verify_signature("secret", &header, b"{\"a\":1}", later)
                .unwrap_err()
                .code(),
            "stale_signature"
        );
        assert!(verify_signature("secret", "garbage", b"{}", now).is_err());
    }
}
