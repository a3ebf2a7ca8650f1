//! Listings and their images.

use haven_domain::catalog::{ComplianceCertificate, Listing, ListingEdit, ShippingMethod};
use haven_domain::ids::ListingId;
use haven_domain::money::Money;
use haven_store::{Changeset, Media};
use sha2::{Digest, Sha256};

use super::{Actor, App};
use crate::error::{AppError, AppResult, ErrorKind};

pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct NewListingInput {
    pub title: String,
    pub description: String,
    pub category: String,
    pub price: Money,
    pub stock: i64,
    pub ship_by_days: Option<u32>,
    pub images: Vec<String>,
    pub shipping: Vec<ShippingMethod>,
    /// Offer Guaranteed Genuine: a confirmed fake is a full refund and a strike.
    pub guaranteed_genuine: bool,
    /// ISO country the parcel leaves from.
    pub ships_from: Option<String>,
    /// Brand and model, or a GTIN: listings of the same product from
    /// different stores are compared side by side.
    pub product: Option<String>,
    /// The brand; Guaranteed Genuine needs an approved proof for it.
    pub brand: Option<String>,
    /// Compliance certificates; a regulated category needs at least one.
    pub certificates: Vec<ComplianceCertificate>,
}

impl NewListingInput {
    /// A listing with only what every listing needs: no description,
    /// pictures, brand, product or certificates, the policy's ship-by.
    pub fn plain(
        title: &str,
        category: &str,
        price: Money,
        stock: i64,
        shipping: Vec<ShippingMethod>,
    ) -> NewListingInput {
        NewListingInput {
            title: title.to_string(),
            description: String::new(),
            category: category.to_string(),
            price,
            stock,
            ship_by_days: None,
            images: Vec::new(),
            shipping,
            guaranteed_genuine: false,
            ships_from: None,
            product: None,
            brand: None,
            certificates: Vec::new(),
        }
    }
}

/// The image type from the file's first bytes; the name and the declared
/// content type are not trusted. SVG is refused: it can carry script.
pub fn sniff_image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

pub fn content_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl App {
    pub async fn create_listing(
        &self,
        actor: &Actor,
        input: NewListingInput,
        idem: Option<&crate::Idem>,
    ) -> AppResult<Listing> {
        let store_id = actor.require_store()?;
        if input.price.currency != self.currency() {
            // Balances, payouts and the ledger's views run in one currency.
            return Err(AppError::validation(format!(
                "prices must be in {}",
                self.currency()
            )));
        }
        let (_, policy) = self.current_policy();
        let mut pictures = Vec::with_capacity(input.images.len());
        for hash in &input.images {
            let media =
                self.store.media(hash).await?.ok_or_else(|| {
                    AppError::validation(format!("image {hash} was not uploaded"))
                })?;
            pictures.push(media);
        }
        let brand = input
            .brand
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty());
        if input.guaranteed_genuine {
            self.require_brand_approval(store_id, brand.as_deref())
                .await?;
        }
        if input.certificates.is_empty() && self.is_regulated_category(&input.category).await? {
            return Err(AppError::invalid_field(
                "certificates",
                format!(
                    "{} is a regulated category: add at least one compliance certificate (for example CE or RoHS) with its number and issuer",
                    input.category
                ),
            ));
        }
        let mut listing = Listing {
            id: ListingId::new(),
            store_id,
            title: input.title.trim().to_string(),
            description: input.description.trim().to_string(),
            category: input.category,
            price: input.price,
            stock: input.stock,
            ship_by_days: input.ship_by_days.unwrap_or(policy.ship_by_days_default),
            images: input.images,
            shipping: input.shipping,
            guaranteed_genuine: input.guaranteed_genuine,
            ships_from: input
                .ships_from
                .map(|c| c.trim().to_ascii_uppercase())
                .filter(|c| !c.is_empty()),
            hold: None,
            deal: None,
            revision: 0,
            paused_at: None,
            brand,
            certificates: input
                .certificates
                .into_iter()
                .map(|c| ComplianceCertificate {
                    checked_by: None,
                    checked_at: None,
                    ..c
                })
                .collect(),
            product_key: match input.product.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(raw) => Some(haven_domain::catalog::product_key(raw).ok_or_else(|| {
                    AppError::invalid_field(
                        "product",
                        "give a brand and model or a GTIN of at most 120 characters",
                    )
                })?),
            },
            created_at: self.now(),
        };
        listing.validate((policy.ship_by_days_min, policy.ship_by_days_max))?;
        // Checked last: the checks read other stores' listings, and a
        // listing refused for its fields needs none of that.
        let checks = self.check_new_listing(&listing, pictures).await?;
        listing.hold = checks.hold(listing.created_at);
        let mut changes = Changeset {
            listings: vec![listing.clone()],
            listing_fingerprints: checks.fingerprints,
            outbox: vec![crate::search::listing_created_event(&listing)],
            ..Default::default()
        };
        crate::attach_idem(
            &mut changes,
            idem,
            crate::Resource::Listing(listing.id),
            self.now(),
        );
        self.store.commit(changes).await?;
        Ok(listing)
    }

    /// Store an uploaded image under its content hash.
    pub async fn upload_image(&self, bytes: Vec<u8>) -> AppResult<String> {
        if bytes.len() > MAX_IMAGE_BYTES {
            return Err(AppError::new(
                ErrorKind::TooLarge,
                "images must be at most 2 MiB",
            ));
        }
        let content_type = sniff_image_type(&bytes)
            .ok_or_else(|| AppError::validation("only PNG, JPEG and WebP images are accepted"))?;
        self.store_media(content_type, bytes).await
    }

    /// Store trusted media (the demo's generated SVGs use this directly).
    pub async fn store_media(&self, content_type: &str, bytes: Vec<u8>) -> AppResult<String> {
        let hash = content_hash(&bytes);
        let media = Media {
            hash: hash.clone(),
            content_type: content_type.to_string(),
            bytes,
        };
        self.store
            .commit(Changeset {
                media: vec![media],
                ..Default::default()
            })
            .await?;
        Ok(hash)
    }
}

impl App {
    /// The seller puts a listing on a flash deal: `price` for the first
    /// `quantity` units sold between `starts_at` and `ends_at`. A new deal
    /// replaces one that has ended; a live one cannot be changed (buyers
    /// are counting on it).
    pub async fn set_flash_deal(
        &self,
        actor: &Actor,
        id: ListingId,
        deal: haven_domain::catalog::FlashDeal,
    ) -> AppResult<Listing> {
        let store_id = actor.require_store()?;
        let mut listing = self.own_listing(store_id, id).await?;
        if listing.is_held() {
            return Err(AppError::new(
                ErrorKind::ListingHeld,
                "trust and safety is reviewing this listing; it cannot go on a deal",
            ));
        }
        self.refuse_if_suspended(store_id).await?;
        let now = self.now();
        deal.validate(listing.price, now)?;
        if i64::from(deal.quantity) > listing.stock {
            return Err(AppError::invalid_field(
                "quantity",
                "a deal cannot offer more units than are in stock",
            ));
        }
        if listing.deal.as_ref().is_some_and(|d| d.ends_at > now) {
            return Err(AppError::conflict(
                ErrorKind::InvalidState,
                "this listing already has a deal that has not ended",
            ));
        }
        let remaining = i64::from(deal.quantity);
        listing.deal = Some(haven_domain::catalog::FlashDeal {
            remaining: deal.quantity,
            ..deal
        });
        let changes = Changeset {
            listing_updates: vec![haven_store::ListingUpdate {
                listing: listing.clone(),
                was_held: listing.is_held(),
                deal_remaining: Some(remaining),
                set_stock: None,
            }],
            outbox: vec![crate::search::listing_updated_event(&listing, now)],
            ..Default::default()
        };
        self.store.commit(changes).await?;
        Ok(listing)
    }

    /// The seller edits a listing: words, price, ship-by days, stock, or
    /// a pause. New words or a new price run the listing checks again,
    /// so a listing cannot be renamed into a counterfeit after it passed.
    /// A stock change lands only if no order took units since the seller
    /// looked.
    pub async fn edit_listing(
        &self,
        actor: &Actor,
        id: ListingId,
        edit: ListingEdit,
    ) -> AppResult<Listing> {
        let store_id = actor.require_store()?;
        if edit.is_empty() {
            return Err(AppError::validation("nothing to change"));
        }
        let mut listing = self.own_listing(store_id, id).await?;
        if let Some(stock) = edit.stock
            && stock.seen != listing.stock
        {
            return Err(AppError::conflict(
                ErrorKind::ConcurrentUpdate,
                format!(
                    "orders took units since you looked: {} are in stock now; check the figure and save again",
                    listing.stock
                ),
            ));
        }
        let was_held = listing.is_held();
        let now = self.now();
        let (_, policy) = self.current_policy();
        listing.apply_edit(
            &edit,
            (policy.ship_by_days_min, policy.ship_by_days_max),
            now,
        )?;
        let mut pictures = Vec::new();
        for hash in edit.images.iter().flatten() {
            let media = self.store.media(hash).await?.ok_or_else(|| {
                AppError::invalid_field("images", format!("image {hash} was not uploaded"))
            })?;
            pictures.push(media);
        }
        let mut fingerprints = Vec::new();
        if edit.needs_checks() && !was_held {
            let checks = self.check_new_listing(&listing, pictures).await?;
            listing.hold = checks.hold(now);
            fingerprints = checks.fingerprints;
        }
        let changes = Changeset {
            listing_updates: vec![haven_store::ListingUpdate {
                listing: listing.clone(),
                was_held,
                deal_remaining: None,
                set_stock: edit.stock,
            }],
            listing_fingerprints: fingerprints,
            outbox: vec![crate::search::listing_updated_event(&listing, now)],
            ..Default::default()
        };
        self.store.commit(changes).await?;
        listing.revision += 1;
        Ok(listing)
    }

    /// One of the store's listings; another store's is "not found", so its
    /// existence is not given away.
    pub async fn own_listing(
        &self,
        store_id: haven_domain::ids::StoreId,
        id: ListingId,
    ) -> AppResult<Listing> {
        self.store
            .listing(id)
            .await?
            .filter(|l| l.store_id == store_id)
            .ok_or_else(|| AppError::not_found("listing"))
    }

    /// The seller's own listings, held and paused ones included.
    pub async fn my_listings(
        &self,
        actor: &Actor,
        page: &haven_store::PageRequest,
    ) -> AppResult<haven_store::Page<Listing>> {
        let store_id = actor.require_store()?;
        Ok(self.store.store_listings(store_id, page).await?)
    }
}
