//! Request bodies of the JSON API.

use haven_domain::account::Role;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::views::{AddressView, MoneyView, ShippingMethodView};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub email: String,
    /// At least 12 characters.
    pub password: String,
    pub display_name: String,
    /// `buyer` (default) or `seller`.
    #[serde(default)]
    pub role: Option<String>,
}

impl RegisterRequest {
    pub fn roles(&self) -> Result<Vec<Role>, String> {
        match self.role.as_deref() {
            None | Some("buyer") => Ok(vec![Role::Buyer]),
            Some("seller") => Ok(vec![Role::Buyer, Role::Seller]),
            Some(_) => Err("role must be buyer or seller".into()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// A current 2FA code (or a recovery code). Only needed when Haven has
    /// blocked this network for too many failed logins: the right password
    /// with a valid code still signs the owner in.
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenStoreRequest {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewListingRequest {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub category: String,
    pub price: MoneyView,
    pub stock: i64,
    /// 1-10 days; default 5.
    pub ship_by_days: Option<u32>,
    /// Hashes returned by `POST /api/v1/media`.
    #[serde(default)]
    pub images: Vec<String>,
    pub shipping: Vec<ShippingMethodView>,
    /// Guaranteed Genuine: a confirmed counterfeit is a full refund
    /// (shipping included) and a strike.
    #[serde(default)]
    pub guaranteed_genuine: bool,
    /// ISO 3166-1 alpha-2 country the parcel leaves from (a search facet).
    #[serde(default)]
    pub ships_from: Option<String>,
    /// The product sold, as brand and model ("Acme X100") or a GTIN:
    /// listings of the same product are compared side by side.
    #[serde(default)]
    pub product: Option<String>,
    /// The brand. Guaranteed Genuine needs the store's proof for it
    /// approved (`POST /api/v1/stores/me/brands`).
    #[serde(default)]
    pub brand: Option<String>,
    /// Compliance certificates (at most 10). A category on the operator's
    /// regulated list needs at least one; an agent checks them before
    /// the listing is shown.
    #[serde(default)]
    pub certificates: Vec<CertificateRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateRequest {
    /// The scheme: "CE", "RoHS", "UKCA", "FCC" …
    pub kind: String,
    pub number: String,
    /// A notified body, a lab, or the maker's declaration.
    pub issuer: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandProofRequest {
    pub brand: String,
    /// What the proof is: an invoice from the brand or its distributor,
    /// an authorisation letter.
    pub proof: String,
    /// Hash of an uploaded picture of the document (`POST /api/v1/media`).
    #[serde(default)]
    pub document: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BrandDecisionRequest {
    pub approve: bool,
    /// Required when refusing: the seller reads it.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardRequest {
    /// Test numbers: 4242424242424242 (ok), 4000000000000002 (declined),
    /// 4000002760003184 (verification challenge), 4000000000000259 (chargeback later).
    pub number: String,
    pub exp_month: u8,
    pub exp_year: u16,
    pub cvc: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    pub listing_id: String,
    pub quantity: i64,
    pub shipping_method: String,
    pub address: AddressView,
    /// Needed unless `use_credit` covers the whole total.
    pub card: Option<CardRequest>,
    /// Spend the buyer's credit (on-time guarantee compensation) first.
    #[serde(default)]
    pub use_credit: bool,
    /// While a flash deal runs, checkout charges the deal's price or answers
    /// `409 deal_sold_out`; send `true` to buy at the regular price once
    /// the deal has sold out.
    #[serde(default)]
    pub accept_regular_price: bool,
    /// Coupon codes, or ids of coupons claimed: at most one platform and
    /// one seller coupon.
    #[serde(default)]
    pub coupons: Vec<String>,
    /// The total the buyer was shown: if it changed, the answer is 409 and
    /// nothing is charged.
    pub expected_total_minor: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRequest {
    /// The code from the issuer (test mode: 424242).
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipRequest {
    /// simpost, ups, usps, fedex or dhl.
    pub carrier: String,
    pub tracking_number: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRequest {
    /// Required (true) when the carrier has not confirmed delivery yet.
    #[serde(default)]
    pub second_confirmation: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelResponseRequest {
    pub accept: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayoutRequest {
    /// Defaults to the whole available balance.
    pub amount_minor: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListingQuery {
    pub category: Option<String>,
    pub store_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OrderQuery {
    /// `buyer` (default): orders you placed; `seller`: orders to your store.
    pub role: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EventQuery {
    /// Return events with a sequence number above this.
    pub after: Option<i64>,
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenDisputeRequest {
    /// not_received, not_as_described, damaged, counterfeit, wrong_item, missing_parts
    pub reason: String,
    /// `{"type":"full_refund"}`, `{"type":"partial_refund","amount_minor":500}` or `{"type":"return_and_refund"}`
    #[schema(value_type = Object)]
    pub requested_outcome: serde_json::Value,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptDisputeRequest {
    /// Required when the buyer asked to return the item.
    pub return_address: Option<AddressView>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterOfferRequest {
    pub amount_minor: i64,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplanationRequest {
    pub explanation: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRequest {
    /// Must be true: withdrawing is the buyer's explicit choice. Without it
    /// the answer explains what the buyer keeps.
    #[serde(default)]
    pub confirm: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageRequest {
    pub text: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `{"type":"full_refund"}`, `{"type":"partial_refund","amount_minor":500}` or `{"type":"no_refund"}`
    #[schema(value_type = Object)]
    pub decision: serde_json::Value,
    /// Written reasons, shown to both parties.
    pub reasons: String,
    #[serde(default)]
    pub counterfeit_confirmed: bool,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DisputeQuery {
    /// `buyer` (default) or `seller`.
    pub role: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct FileQuery {
    /// A short note shown with the file.
    pub note: Option<String>,
}
