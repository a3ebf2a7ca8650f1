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
    pub card: CardRequest,
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
