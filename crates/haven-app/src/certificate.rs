//! The protection certificate: what a buyer was shown and promised when
//! they paid (the order's frozen trust snapshot), signed by the platform
//! with Ed25519 so anyone can check it offline (`haven certificate
//! verify`). The signature covers the exact bytes of `payload`, a JSON
//! string, so a verifier in any language needs no canonical JSON.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use haven_domain::ids::OrderId;
use haven_domain::order::Order;
use haven_domain::reputation::{ProtectionTerms, TrustSnapshot};
use serde::{Deserialize, Serialize};

use crate::App;
use crate::accounts::Actor;
use crate::error::{AppError, AppResult};

pub const FORMAT: &str = "haven.protection-certificate.v1";

/// What is signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificatePayload {
    pub format: String,
    pub order_id: OrderId,
    pub listing_title: String,
    pub quantity: u32,
    pub total: haven_domain::money::Money,
    pub ordered_at: haven_domain::Timestamp,
    pub snapshot: TrustSnapshot,
}

/// The downloadable document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedCertificate {
    /// The payload as JSON text: the signed bytes.
    pub payload: String,
    pub algorithm: String,
    /// Ed25519 signature over `payload`, hex.
    pub signature: String,
    /// The platform's public key, hex (compare it with the published one).
    pub public_key: String,
}

pub fn signing_key(hex_key: &str) -> Result<SigningKey, String> {
    let bytes = hex::decode(hex_key.trim())
        .map_err(|_| "certificate_signing_key must be 64 hex digits".to_string())?;
    let seed: [u8; 32] = bytes
        .try_into()
        .map_err(|_| "certificate_signing_key must be 32 bytes (64 hex digits)".to_string())?;
    Ok(SigningKey::from_bytes(&seed))
}

/// The public half of a signing key, hex.
pub fn public_key_hex(hex_key: &str) -> Result<String, String> {
    Ok(hex::encode(
        signing_key(hex_key)?.verifying_key().to_bytes(),
    ))
}

pub fn sign(payload: &CertificatePayload, key: &SigningKey) -> SignedCertificate {
    let text = serde_json::to_string(payload).expect("a payload serialises");
    let signature = key.sign(text.as_bytes());
    SignedCertificate {
        payload: text,
        algorithm: "Ed25519".into(),
        signature: hex::encode(signature.to_bytes()),
        public_key: hex::encode(key.verifying_key().to_bytes()),
    }
}

/// Check a certificate's signature, against `trusted_key` (hex) when given,
/// else against the key it carries; then read its payload.
pub fn verify(
    certificate: &SignedCertificate,
    trusted_key: Option<&str>,
) -> Result<CertificatePayload, String> {
    if certificate.algorithm != "Ed25519" {
        return Err(format!("unknown algorithm {}", certificate.algorithm));
    }
    if let Some(trusted) = trusted_key
        && !trusted.trim().eq_ignore_ascii_case(&certificate.public_key)
    {
        return Err("signed with a different key than the one you trust".into());
    }
    let key_bytes: [u8; 32] = hex::decode(&certificate.public_key)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the public key is not 32 bytes of hex")?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|e| format!("bad public key: {e}"))?;
    let signature_bytes: [u8; 64] = hex::decode(&certificate.signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or("the signature is not 64 bytes of hex")?;
    key.verify(
        certificate.payload.as_bytes(),
        &Signature::from_bytes(&signature_bytes),
    )
    .map_err(|_| "the signature does not match: the certificate was altered".to_string())?;
    let payload: CertificatePayload = serde_json::from_str(&certificate.payload)
        .map_err(|e| format!("unreadable payload: {e}"))?;
    if payload.format != FORMAT {
        return Err(format!("unknown format {}", payload.format));
    }
    Ok(payload)
}

/// How long a store's reputation is reused by checkouts (on the app's
/// clock): the buyer saw the trust panel moments before paying, and
/// counters move slowly.
const TRUST_CACHE_TTL_S: i64 = 10;
/// Stores kept; past it the cache starts over (a bounded memory).
const TRUST_CACHE_STORES: usize = 10_000;

type CachedTrust = (
    haven_domain::Timestamp,
    crate::reputation::StoreReputation,
    String,
);

#[derive(Default)]
pub struct TrustCache(
    std::sync::Mutex<std::collections::HashMap<haven_domain::ids::StoreId, CachedTrust>>,
);

impl App {
    /// A store's reputation and name, reused for a few seconds of the app
    /// clock (checkout, listing pages and comparisons read it often).
    pub async fn cached_reputation(
        &self,
        store: haven_domain::ids::StoreId,
    ) -> AppResult<(crate::reputation::StoreReputation, String)> {
        let now = self.now();
        let fresh_until = |at: haven_domain::Timestamp| {
            at + haven_domain::SignedDuration::from_secs(TRUST_CACHE_TTL_S)
        };
        if let Some((at, reputation, name)) =
            self.trust_cache.0.lock().expect("trust cache").get(&store)
            && (*at..fresh_until(*at)).contains(&now)
        {
            return Ok((reputation.clone(), name.clone()));
        }
        let reputation = self.store_reputation(store).await?;
        let name = self
            .store
            .shop(store)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        let mut cache = self.trust_cache.0.lock().expect("trust cache");
        if cache.len() >= TRUST_CACHE_STORES {
            cache.clear();
        }
        cache.insert(store, (now, reputation.clone(), name.clone()));
        Ok((reputation, name))
    }

    /// The trust snapshot frozen into an order at checkout. The store's
    /// numbers are the trust panel's at that moment.
    pub(crate) async fn trust_snapshot(
        &self,
        order: &Order,
        policy: &haven_domain::policy::Policy,
    ) -> AppResult<TrustSnapshot> {
        let (reputation, store_name) = self.cached_reputation(order.store_id).await?;
        Ok(TrustSnapshot {
            taken_at: self.now(),
            store_name,
            summary: reputation.summary,
            metrics: reputation
                .explained
                .into_iter()
                .map(|m| (m.label.to_string(), m.value))
                .collect(),
            verified_seller: reputation.verified,
            protection: ProtectionTerms {
                protection_days_after_delivery: policy.protection_days_after_delivery,
                promised_delivery_at: order.promised_delivery_at,
                guarantee_bps: i64::from(policy.guarantee_bps),
                guarantee_min_minor: policy.guarantee_min_minor,
                guaranteed_genuine: order.guaranteed_genuine,
            },
            policy_version: order.policy_version,
        })
    }

    /// The signed certificate of an order (its buyer, or an agent).
    pub async fn protection_certificate(
        &self,
        actor: &Actor,
        order_id: OrderId,
    ) -> AppResult<SignedCertificate> {
        let order = self.order(order_id).await?;
        if order.buyer_id != actor.id() {
            self.require_agent(actor)
                .map_err(|_| AppError::not_found("order"))?;
        }
        self.certificate_of(&order)
    }

    pub(crate) fn certificate_of(&self, order: &Order) -> AppResult<SignedCertificate> {
        let snapshot = order.trust_snapshot.clone().ok_or_else(|| {
            AppError::invalid_state("this order was placed before certificates existed")
        })?;
        let key = signing_key(&self.config.certificate_signing_key).map_err(AppError::internal)?;
        Ok(sign(
            &CertificatePayload {
                format: FORMAT.into(),
                order_id: order.id,
                listing_title: order.listing_title.clone(),
                quantity: order.quantity,
                total: order.total,
                ordered_at: order.created_at,
                snapshot,
            },
            &key,
        ))
    }
}
