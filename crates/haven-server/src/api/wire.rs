//! OpenAPI descriptions of webhook bodies whose types live in `haven-app`
//! (which knows no HTTP and so derives no OpenAPI schema). The test below
//! keeps each description and its type in step.

use serde::Serialize;
use utoipa::ToSchema;

/// A carrier's signed tracking scan.
#[derive(Serialize, ToSchema)]
#[schema(as = ScanPayload)]
pub struct ScanPayloadSchema {
    pub tracking_number: String,
    /// in_transit, out_for_delivery, delivered or exception
    #[schema(example = "in_transit")]
    pub status: String,
    /// RFC 3339.
    pub occurred_at: String,
    #[schema(default = "")]
    pub location: Option<String>,
}

/// What a payment gateway reports about a chargeback.
#[derive(Serialize, ToSchema)]
#[schema(as = ChargebackNotice)]
pub struct ChargebackNoticeSchema {
    /// `chargeback.created`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The order id Haven attached to the payment as metadata.
    pub order_id: String,
    pub payment_ref: String,
    pub amount_minor: i64,
    #[schema(default = "")]
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented field is one the real type takes (it refuses
    /// unknown fields), and the required ones are enough to parse it.
    #[test]
    fn documented_webhook_bodies_parse_as_the_real_types() {
        let scan = serde_json::to_value(ScanPayloadSchema {
            tracking_number: "SP000000019HV".into(),
            status: "in_transit".into(),
            occurred_at: "2026-11-21T10:00:00Z".into(),
            location: Some("Hub".into()),
        })
        .unwrap();
        serde_json::from_value::<haven_app::carrier::ScanPayload>(scan).unwrap();
        let chargeback = serde_json::to_value(ChargebackNoticeSchema {
            kind: "chargeback.created".into(),
            order_id: "0197a0b0-0000-7000-8000-000000000001".into(),
            payment_ref: "pay_1".into(),
            amount_minor: 100,
            reason: Some("fraud".into()),
        })
        .unwrap();
        serde_json::from_value::<haven_app::ChargebackNotice>(chargeback).unwrap();
    }
}
