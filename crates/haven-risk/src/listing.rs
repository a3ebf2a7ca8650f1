//! Listing risk: the checks a new listing passes before buyers can see it.
//!
//! - A protected brand named in the listing together with a price far
//!   below its category's reference (the median of visible listings) is
//!   the classic counterfeit offer.
//! - Text or pictures that nearly copy another store's listing are how
//!   fake stores clone real ones.
//!
//! Both hold the listing for an agent rather than refuse it: an honest
//! reseller may match either, and a person decides. Near-copies are found
//! by 64-bit fingerprints (SimHash over word shingles for text, a
//! difference hash for pictures) compared by Hamming distance. The store
//! finds candidates through four 16-bit bands: two fingerprints at most
//! three bits apart always share at least one band exactly.

use crate::scanner::fold_for_matching;

/// Numbers the checks run on; the defaults are the brief's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingRiskPolicy {
    /// A price below this share of the category median, in basis points,
    /// is "far below".
    pub far_below_bps: u32,
    /// Fewer visible listings than this in the category make no reference.
    pub min_reference_listings: u32,
    /// Texts whose signatures share at least this many of their
    /// [`TEXT_SIGNATURE_LEN`] values are near-copies (10 of 16: about 60 %
    /// of their three-word shingles in common).
    pub text_min_shared: u32,
    /// Picture fingerprints this close (bits) are near-copies.
    pub image_max_distance: u32,
}

impl Default for ListingRiskPolicy {
    fn default() -> Self {
        ListingRiskPolicy {
            far_below_bps: 5_000,
            min_reference_listings: 5,
            text_min_shared: 10,
            image_max_distance: 3,
        }
    }
}

/// Texts shorter than this many words are too generic to call copies
/// ("Walnut desk lamp. Warm LED lamp with a walnut base." could be anyone's).
pub const MIN_FINGERPRINT_WORDS: usize = 15;

/// What made a listing wait for an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingFlag {
    /// A protected brand at a price far below the category's median.
    BrandBelowReference {
        brand: String,
        price_minor: i64,
        median_minor: i64,
    },
    /// The title and description nearly copy another store's listing.
    CopiedText { other_listing: String },
    /// A picture nearly copies one on another store's listing.
    CopiedImage { other_listing: String },
    /// A regulated category: its certificates need an agent's check.
    RegulatedCategory { category: String },
}

impl ListingFlag {
    /// The reason in words the seller and the agent both read.
    pub fn reason(&self) -> String {
        match self {
            ListingFlag::BrandBelowReference {
                brand,
                price_minor,
                median_minor,
            } => {
                let share = price_minor.saturating_mul(100) / (*median_minor).max(1);
                format!(
                    "It names the protected brand \"{brand}\" at {share}% of the usual price in its category; genuine branded goods are rarely that cheap."
                )
            }
            ListingFlag::CopiedText { other_listing } => format!(
                "Its title and description nearly copy another store's listing ({other_listing})."
            ),
            ListingFlag::CopiedImage { other_listing } => {
                format!("A photo nearly copies one on another store's listing ({other_listing}).")
            }
            ListingFlag::RegulatedCategory { category } => format!(
                "\"{category}\" is a regulated category: an agent checks the compliance certificates before the listing is shown."
            ),
        }
    }

    /// A short code for APIs and filters.
    pub fn code(&self) -> &'static str {
        match self {
            ListingFlag::BrandBelowReference { .. } => "brand_below_reference",
            ListingFlag::CopiedText { .. } => "copied_text",
            ListingFlag::CopiedImage { .. } => "copied_image",
            ListingFlag::RegulatedCategory { .. } => "regulated_category",
        }
    }
}

/// The first protected brand the text names, as the list spells it. Matched
/// on folded words (case, accents and look-alike letters ignored), whole
/// words only, so "Apple" matches "APPLE iPhone" but not "pineapple".
pub fn brand_named<'b>(text: &str, brands: &'b [String]) -> Option<&'b str> {
    let folded = format!(" {} ", fold_for_matching(text));
    brands
        .iter()
        .find(|brand| {
            let term = fold_for_matching(brand);
            !term.is_empty() && folded.contains(&format!(" {term} "))
        })
        .map(String::as_str)
}

/// Whether `price_minor` is far below the category's reference. No
/// reference (too few listings) never flags.
pub fn far_below_reference(
    price_minor: i64,
    median_minor: i64,
    listings_in_category: u64,
    policy: &ListingRiskPolicy,
) -> bool {
    if listings_in_category < u64::from(policy.min_reference_listings) || median_minor <= 0 {
        return false;
    }
    // price / median < bps / 10 000, without division.
    i128::from(price_minor) * 10_000 < i128::from(median_minor) * i128::from(policy.far_below_bps)
}

/// Values in a text signature (MinHash): more gives a finer estimate of
/// how much two texts share.
pub const TEXT_SIGNATURE_LEN: usize = 16;

/// A listing's fingerprint of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fingerprint {
    /// MinHash of the title and description in shingles of three words:
    /// the share of equal values estimates the texts' Jaccard similarity.
    Text([u32; TEXT_SIGNATURE_LEN]),
    /// Difference hash of a picture: similar pictures differ in few bits.
    Image(u64),
}

impl Fingerprint {
    /// The text's signature; `None` when it is too short to tell a copy
    /// from a coincidence.
    pub fn of_text(title: &str, description: &str) -> Option<Fingerprint> {
        let folded = fold_for_matching(&format!("{title} {description}"));
        let words: Vec<&str> = folded.split_whitespace().collect();
        if words.len() < MIN_FINGERPRINT_WORDS {
            return None;
        }
        let mut signature = [u32::MAX; TEXT_SIGNATURE_LEN];
        for shingle in words.windows(3) {
            let base = fnv1a64(shingle.join(" ").as_bytes());
            for (seed, slot) in signature.iter_mut().enumerate() {
                let value =
                    (mix64(base ^ (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 32) as u32;
                *slot = (*slot).min(value);
            }
        }
        Some(Fingerprint::Text(signature))
    }

    /// Difference hash of a picture scaled to 9×8 grey pixels (row-major):
    /// one bit per horizontal neighbour pair, set when the left one is
    /// brighter. Survives re-encoding, resizing and brightness changes.
    pub fn of_image(grey_9x8: &[u8; 72]) -> Fingerprint {
        let mut hash = 0u64;
        for row in 0..8 {
            for col in 0..8 {
                let left = grey_9x8[row * 9 + col];
                let right = grey_9x8[row * 9 + col + 1];
                hash = hash << 1 | u64::from(left > right);
            }
        }
        Fingerprint::Image(hash)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Fingerprint::Text(_) => "text",
            Fingerprint::Image(_) => "image",
        }
    }

    /// The keys the store indexes to find candidates, as (band, value).
    /// Text: eight bands of two values; two texts sharing 60 % of their
    /// shingles meet in some band with probability above 0.95. Image: four
    /// 16-bit bands; pictures at most three bits apart always share one.
    pub fn bands(&self) -> Vec<(u8, i64)> {
        match self {
            Fingerprint::Text(signature) => signature
                .chunks(2)
                .enumerate()
                .map(|(band, pair)| (band as u8, i64::from(pair[0]) << 32 | i64::from(pair[1])))
                .collect(),
            Fingerprint::Image(hash) => (0..4)
                .map(|band| (band as u8, ((hash >> (16 * band)) & 0xFFFF) as i64))
                .collect(),
        }
    }

    /// Hex, for storage.
    pub fn encode(&self) -> String {
        match self {
            Fingerprint::Text(signature) => signature.iter().map(|v| format!("{v:08x}")).collect(),
            Fingerprint::Image(hash) => format!("{hash:016x}"),
        }
    }

    pub fn decode(kind: &str, hex: &str) -> Option<Fingerprint> {
        match kind {
            "text" if hex.len() == 8 * TEXT_SIGNATURE_LEN && hex.is_ascii() => {
                let mut signature = [0u32; TEXT_SIGNATURE_LEN];
                for (slot, chunk) in signature.iter_mut().zip(hex.as_bytes().chunks(8)) {
                    *slot = u32::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
                }
                Some(Fingerprint::Text(signature))
            }
            "image" => u64::from_str_radix(hex, 16).ok().map(Fingerprint::Image),
            _ => None,
        }
    }

    /// Whether `other` nearly copies this: texts sharing at least
    /// `policy.text_min_shared` of their signature values, pictures at most
    /// `policy.image_max_distance` bits apart.
    pub fn is_near(&self, other: &Fingerprint, policy: &ListingRiskPolicy) -> bool {
        match (self, other) {
            (Fingerprint::Text(a), Fingerprint::Text(b)) => {
                let shared = a.iter().zip(b).filter(|(x, y)| x == y).count();
                shared >= policy.text_min_shared as usize
            }
            (Fingerprint::Image(a), Fingerprint::Image(b)) => {
                (a ^ b).count_ones() <= policy.image_max_distance
            }
            _ => false,
        }
    }
}

/// SplitMix64's finaliser: spreads one hash into independent-looking ones.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brands() -> Vec<String> {
        vec!["Apple".into(), "Louis Vuitton".into()]
    }

    #[test]
    fn brands_match_whole_folded_words_only() {
        assert_eq!(
            brand_named("APPLE iPhone 15 case", &brands()),
            Some("Apple")
        );
        assert_eq!(
            brand_named("Bag, louis   VUITTON style", &brands()),
            Some("Louis Vuitton")
        );
        assert_eq!(brand_named("Dried pineapple rings", &brands()), None);
        assert_eq!(brand_named("Apples from the orchard", &brands()), None);
    }

    #[test]
    fn far_below_needs_a_reference_and_a_real_gap() {
        let policy = ListingRiskPolicy::default();
        assert!(far_below_reference(4_000, 10_000, 5, &policy));
        assert!(!far_below_reference(5_000, 10_000, 5, &policy));
        assert!(
            !far_below_reference(1_000, 10_000, 4, &policy),
            "too few listings"
        );
        assert!(!far_below_reference(1_000, 0, 50, &policy));
    }

    #[test]
    fn near_copied_text_matches_and_different_text_does_not() {
        let policy = ListingRiskPolicy::default();
        let base = "Hand-thrown stoneware mug with a speckled glaze. Holds 350 ml, dishwasher safe, made in our Porto studio and packed in recycled paper";
        let copy = "Hand-thrown stoneware mug with a speckled glaze. Holds 350 ml, dishwasher safe, made in our Lisbon studio and packed in recycled paper";
        let other = "Wireless charger for phones with a braided cable, fast charging at 15 watts, black aluminium body and a two year warranty";
        let a = Fingerprint::of_text("Stoneware mug", base).unwrap();
        let b = Fingerprint::of_text("Stoneware mug", copy).unwrap();
        let c = Fingerprint::of_text("Wireless charger", other).unwrap();
        assert!(a.is_near(&b, &policy));
        assert!(!a.is_near(&c, &policy));
        assert!(a.bands().iter().zip(b.bands()).any(|(x, y)| *x == y));
        assert_eq!(Fingerprint::of_text("Stoneware mug", "Nice."), None);
        let shouted = Fingerprint::of_text("STONEWARE MUG", &base.to_uppercase()).unwrap();
        assert_eq!(shouted, a, "case does not matter");
        assert_eq!(Fingerprint::decode("text", &a.encode()), Some(a));
    }

    #[test]
    fn difference_hash_ignores_brightness_and_sees_changes() {
        let policy = ListingRiskPolicy::default();
        let gradient: [u8; 72] = std::array::from_fn(|i| ((i % 9) * 20 + (i / 9) * 3) as u8);
        let brighter: [u8; 72] = std::array::from_fn(|i| gradient[i].saturating_add(30));
        let mirrored: [u8; 72] = std::array::from_fn(|i| gradient[(i / 9) * 9 + 8 - i % 9]);
        let a = Fingerprint::of_image(&gradient);
        assert_eq!(Fingerprint::of_image(&brighter), a);
        assert!(!a.is_near(&Fingerprint::of_image(&mirrored), &policy));
        assert_eq!(Fingerprint::decode("image", &a.encode()), Some(a));
    }

    #[test]
    fn pictures_three_bits_apart_share_a_band() {
        let a = Fingerprint::Image(0x1234_5678_9abc_def0);
        let b = Fingerprint::Image(0x1234_5678_9abc_def0 ^ (1 << 3) ^ (1 << 20) ^ (1 << 40));
        assert!(a.is_near(&b, &ListingRiskPolicy::default()));
        assert!(a.bands().iter().zip(b.bands()).any(|(x, y)| *x == y));
    }
}
