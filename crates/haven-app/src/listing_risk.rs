//! Listing risk: the checks a new listing passes before buyers see it, and
//! the brand proofs Guaranteed Genuine rests on.
//!
//! A flagged listing is stored held, with its reasons, and waits in the
//! console for an agent (`set_listing_hold` releases it). The operator's
//! lists are the risk engine's named lists, edited in the console:
//! [`PROTECTED_BRANDS`] and [`REGULATED_CATEGORIES`].

use haven_domain::catalog::{BrandApproval, BrandApprovalStatus, Listing, ListingHold, brand_key};
use haven_domain::ids::StoreId;
use haven_risk::listing::{
    Fingerprint, ListingFlag, ListingRiskPolicy, brand_named, far_below_reference,
};
use haven_store::{Changeset, ListingFingerprint, Media, Page, PageRequest};

use super::{Actor, App};
use crate::error::{AppError, AppResult, ErrorKind};

/// The named list of brands whose cheap listings are held.
pub const PROTECTED_BRANDS: &str = "protected_brands";
/// The named list of categories whose listings need checked certificates.
pub const REGULATED_CATEGORIES: &str = "regulated_categories";
/// Candidates read per fingerprint band; the band is 16 or 64 bits wide,
/// so more than a few hits on one is already a copy ring.
const CANDIDATES_PER_BAND: u32 = 20;
/// Largest picture side decoded for a fingerprint (a guard against
/// decompression bombs; uploads are at most 2 MiB anyway).
const MAX_PICTURE_SIDE: u32 = 12_000;

/// What the checks found about a new listing.
pub(crate) struct ListingChecks {
    pub flags: Vec<ListingFlag>,
    pub fingerprints: Vec<ListingFingerprint>,
}

impl ListingChecks {
    /// The hold the listing is stored with, when something was found.
    pub fn hold(&self, at: jiff::Timestamp) -> Option<ListingHold> {
        (!self.flags.is_empty()).then(|| ListingHold {
            reason: self
                .flags
                .iter()
                .map(ListingFlag::reason)
                .collect::<Vec<_>>()
                .join(" "),
            by: None,
            at,
        })
    }
}

impl App {
    /// Run the listing checks on a listing not yet stored.
    pub(crate) async fn check_new_listing(
        &self,
        listing: &Listing,
        pictures: Vec<Media>,
    ) -> AppResult<ListingChecks> {
        let rules = self.loaded_rules().await?;
        let policy = ListingRiskPolicy::default();
        let mut flags = Vec::new();
        let empty = Vec::new();
        let brands = rules.lists.get(PROTECTED_BRANDS).unwrap_or(&empty);
        let named = format!(
            "{} {}",
            listing.title,
            listing.brand.as_deref().unwrap_or("")
        );
        if let Some(brand) = brand_named(&named, brands)
            && let Some((median, count)) = self
                .store
                .category_price_reference(&listing.category)
                .await?
            && far_below_reference(
                listing.price.amount_minor,
                median,
                u64::try_from(count).unwrap_or(0),
                &policy,
            )
        {
            flags.push(ListingFlag::BrandBelowReference {
                brand: brand.to_string(),
                price_minor: listing.price.amount_minor,
                median_minor: median,
            });
        }
        if is_regulated(&rules.lists, &listing.category) {
            flags.push(ListingFlag::RegulatedCategory {
                category: listing.category.clone(),
            });
        }
        let prints = fingerprints_of(listing, pictures).await;
        // One copy of a kind is reason enough: later photos are not looked up.
        let mut copied_kinds = std::collections::HashSet::new();
        for print in &prints {
            if copied_kinds.contains(print.kind()) {
                continue;
            }
            if let Some(other) = self.near_copy(print, listing.store_id, &policy).await? {
                copied_kinds.insert(print.kind());
                flags.push(copy_flag(print, &other));
            }
        }
        let fingerprints = prints
            .iter()
            .map(|print| ListingFingerprint {
                listing_id: listing.id,
                store_id: listing.store_id,
                kind: print.kind().to_string(),
                bands: print.bands(),
                signature: print.encode(),
            })
            .collect();
        Ok(ListingChecks {
            flags,
            fingerprints,
        })
    }

    /// Another store's listing this fingerprint nearly copies, if any.
    async fn near_copy(
        &self,
        print: &Fingerprint,
        store: StoreId,
        policy: &ListingRiskPolicy,
    ) -> AppResult<Option<String>> {
        let candidates = self
            .store
            .fingerprint_matches(print.kind(), &print.bands(), store, CANDIDATES_PER_BAND)
            .await?;
        Ok(candidates
            .into_iter()
            .find(|c| {
                Fingerprint::decode(print.kind(), &c.signature)
                    .is_some_and(|other| print.is_near(&other, policy))
            })
            .map(|c| c.listing_id.to_string()))
    }

    /// Whether a category is on the operator's regulated list.
    pub async fn is_regulated_category(&self, category: &str) -> AppResult<bool> {
        Ok(is_regulated(&self.loaded_rules().await?.lists, category))
    }

    /// Refuse Guaranteed Genuine unless an agent approved this store's
    /// proof for the listing's brand.
    pub(crate) async fn require_brand_approval(
        &self,
        store: StoreId,
        brand: Option<&str>,
    ) -> AppResult<()> {
        let Some(brand) = brand.filter(|b| !b.trim().is_empty()) else {
            return Err(AppError::invalid_field(
                "brand",
                "name the brand: Guaranteed Genuine is promised per brand",
            ));
        };
        let key = brand_key(brand).unwrap_or_default();
        let approved = self
            .store
            .brand_approval(store, &key)
            .await?
            .is_some_and(|a| a.status == BrandApprovalStatus::Approved);
        if approved {
            return Ok(());
        }
        Err(AppError::invalid_field(
            "guaranteed_genuine",
            format!(
                "Guaranteed Genuine on {brand} needs proof that your store sells genuine {brand} (an invoice or an authorisation letter), approved by Haven. Send it from the seller centre under Brands."
            ),
        ))
    }

    /// A seller sends proof that the store may sell a brand's genuine
    /// goods. A refused or pending proof can be sent again; an approved
    /// one stands.
    pub async fn submit_brand_proof(
        &self,
        actor: &Actor,
        brand: &str,
        proof: &str,
        document: Option<String>,
    ) -> AppResult<BrandApproval> {
        let store_id = actor.require_store()?;
        let brand = haven_domain::text::line("brand", brand, 60)?;
        let key = brand_key(&brand)
            .ok_or_else(|| AppError::invalid_field("brand", "a brand needs letters or digits"))?;
        let proof = haven_domain::text::block("proof", proof, 2_000)?;
        if let Some(hash) = &document
            && self.store.media(hash).await?.is_none()
        {
            return Err(AppError::invalid_field(
                "document",
                "upload the document first",
            ));
        }
        if let Some(existing) = self.store.brand_approval(store_id, &key).await?
            && existing.status == BrandApprovalStatus::Approved
        {
            return Err(AppError::conflict(
                ErrorKind::InvalidState,
                format!("{} is already approved for your store", existing.brand),
            ));
        }
        let approval = BrandApproval {
            store_id,
            brand,
            status: BrandApprovalStatus::Pending,
            proof,
            document,
            submitted_at: self.now(),
            decided_by: None,
            decided_at: None,
            note: String::new(),
        };
        self.store
            .commit(Changeset {
                brand_approvals: vec![approval.clone()],
                ..Changeset::default()
            })
            .await?;
        Ok(approval)
    }

    /// An agent approves or refuses a store's pending brand proof. A
    /// refusal says why, for the seller.
    pub async fn decide_brand_proof(
        &self,
        agent: &Actor,
        store: StoreId,
        brand: &str,
        approve: bool,
        note: &str,
    ) -> AppResult<BrandApproval> {
        self.require_agent(agent)?;
        let note = haven_domain::text::optional_block("note", note, 1_000)?;
        if !approve && note.is_empty() {
            return Err(AppError::invalid_field(
                "note",
                "tell the seller why the proof is refused",
            ));
        }
        let key = brand_key(brand).unwrap_or_default();
        let mut approval = self
            .store
            .brand_approval(store, &key)
            .await?
            .ok_or_else(|| AppError::not_found("brand proof"))?;
        if approval.status != BrandApprovalStatus::Pending {
            return Err(AppError::conflict(
                ErrorKind::InvalidState,
                "this proof was already decided",
            ));
        }
        approval.status = if approve {
            BrandApprovalStatus::Approved
        } else {
            BrandApprovalStatus::Refused
        };
        approval.decided_by = Some(agent.id());
        approval.decided_at = Some(self.now());
        approval.note = note;
        self.store
            .commit(Changeset {
                brand_approvals: vec![approval.clone()],
                ..Changeset::default()
            })
            .await?;
        Ok(approval)
    }

    /// The seller's own brand proofs.
    pub async fn my_brand_proofs(&self, actor: &Actor) -> AppResult<Vec<BrandApproval>> {
        let store_id = actor.require_store()?;
        Ok(self.store.brand_approvals_of(store_id).await?)
    }

    /// Brand proofs waiting for an agent.
    pub async fn pending_brand_proofs(
        &self,
        agent: &Actor,
        page: &PageRequest,
    ) -> AppResult<Page<BrandApproval>> {
        self.require_agent(agent)?;
        Ok(self.store.pending_brand_approvals(page).await?)
    }

    /// Listings held for trust and safety (by an agent or by the checks).
    pub async fn held_listings(
        &self,
        agent: &Actor,
        page: &PageRequest,
    ) -> AppResult<Page<Listing>> {
        self.require_agent(agent)?;
        Ok(self.store.held_listings(page).await?)
    }
}

fn is_regulated(lists: &haven_risk::payment::rules::Lists, category: &str) -> bool {
    lists
        .get(REGULATED_CATEGORIES)
        .is_some_and(|c| c.iter().any(|c| c.eq_ignore_ascii_case(category)))
}

fn copy_flag(print: &Fingerprint, other_listing: &str) -> ListingFlag {
    let other_listing = other_listing.to_string();
    match print {
        Fingerprint::Text(_) => ListingFlag::CopiedText { other_listing },
        Fingerprint::Image(_) => ListingFlag::CopiedImage { other_listing },
    }
}

/// The listing's text fingerprint and one per decodable picture. Decoding
/// runs off the async threads.
async fn fingerprints_of(listing: &Listing, pictures: Vec<Media>) -> Vec<Fingerprint> {
    let mut prints: Vec<Fingerprint> = Fingerprint::of_text(&listing.title, &listing.description)
        .into_iter()
        .collect();
    let decoded = tokio::task::spawn_blocking(move || {
        pictures
            .iter()
            .filter_map(|media| grey_9x8(&media.bytes))
            .map(|grey| Fingerprint::of_image(&grey))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    for print in decoded {
        if !prints.contains(&print) {
            prints.push(print);
        }
    }
    prints
}

/// The picture scaled to 9×8 grey pixels; `None` when it does not decode
/// (SVG drawings, unsupported or damaged files).
fn grey_9x8(bytes: &[u8]) -> Option<[u8; 72]> {
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PICTURE_SIDE);
    limits.max_image_height = Some(MAX_PICTURE_SIDE);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let picture = reader.decode().ok()?;
    let small = picture
        .resize_exact(9, 8, image::imageops::FilterType::Triangle)
        .to_luma8();
    small.as_raw().as_slice().try_into().ok()
}
