//! A seeded catalog generator: the benchmark and the tests index it.
//!
//! Titles combine a brand, an adjective and a product noun from one of
//! eight categories, so queries have realistic selectivity: a product noun
//! matches about 1 % of the catalog, a brand a few percent.

use rand::rngs::StdRng;
use rand::{Rng as _, RngCore, SeedableRng};
use uuid::Uuid;

use crate::doc::{CountryCode, SearchDoc};

const CATEGORIES: [(&str, &[&str]); 8] = [
    (
        "electronics",
        &[
            "headphones",
            "charger",
            "speaker",
            "keyboard",
            "camera",
            "monitor",
            "router",
            "earbuds",
            "tablet",
            "drone",
            "smartwatch",
            "microphone",
        ],
    ),
    (
        "home",
        &[
            "lamp", "kettle", "blanket", "pillow", "curtain", "vase", "mirror", "clock", "rug",
            "towel", "blender", "toaster",
        ],
    ),
    (
        "fashion",
        &[
            "jacket",
            "sneakers",
            "scarf",
            "handbag",
            "sunglasses",
            "wallet",
            "belt",
            "hoodie",
            "dress",
            "boots",
            "watch",
            "backpack",
        ],
    ),
    (
        "toys",
        &[
            "puzzle", "robot", "doll", "blocks", "kite", "yoyo", "train", "dinosaur", "plush",
            "racecar", "marbles", "slime",
        ],
    ),
    (
        "sports",
        &[
            "yoga mat",
            "dumbbell",
            "bicycle helmet",
            "tennis racket",
            "football",
            "skateboard",
            "jump rope",
            "water bottle",
            "climbing rope",
            "ski goggles",
            "running vest",
            "swim cap",
        ],
    ),
    (
        "beauty",
        &[
            "lipstick",
            "perfume",
            "serum",
            "hairdryer",
            "brush set",
            "nail polish",
            "face mask",
            "moisturiser",
            "shampoo",
            "mascara",
            "eyeliner",
            "cologne",
        ],
    ),
    (
        "books",
        &[
            "novel",
            "cookbook",
            "atlas",
            "notebook",
            "comic",
            "dictionary",
            "biography",
            "journal",
            "poetry collection",
            "field guide",
            "sketchbook",
            "planner",
        ],
    ),
    (
        "garden",
        &[
            "hose",
            "shovel",
            "planter",
            "seeds",
            "sprinkler",
            "gloves",
            "pruner",
            "birdhouse",
            "lantern",
            "trellis",
            "compost bin",
            "wheelbarrow",
        ],
    ),
];

const BRANDS: [&str; 40] = [
    "Acme",
    "Nordlys",
    "Kestrel",
    "Halcyon",
    "Brightway",
    "Tamarind",
    "Orbitex",
    "Lumen",
    "Saffron",
    "Vantage",
    "Juniper",
    "Cobalt",
    "Meridian",
    "Pioneer",
    "Zephyr",
    "Quill",
    "Ember",
    "Solace",
    "Trident",
    "Aurora",
    "Basalt",
    "Cedar",
    "Dynamo",
    "Fathom",
    "Granite",
    "Harbor",
    "Indigo",
    "Jasper",
    "Kinetic",
    "Lattice",
    "Monarch",
    "Nimbus",
    "Onyx",
    "Prism",
    "Quartz",
    "Rover",
    "Sable",
    "Tundra",
    "Umber",
    "Willow",
];

const ADJECTIVES: [&str; 24] = [
    "wireless",
    "portable",
    "waterproof",
    "vintage",
    "compact",
    "premium",
    "organic",
    "foldable",
    "rechargeable",
    "handmade",
    "ergonomic",
    "lightweight",
    "classic",
    "smart",
    "durable",
    "silent",
    "solar",
    "magnetic",
    "adjustable",
    "luxury",
    "mini",
    "heavy-duty",
    "eco-friendly",
    "professional",
];

const COUNTRIES: [&str; 12] = [
    "CN", "US", "DE", "GB", "FR", "JP", "KR", "IN", "BR", "IT", "ES", "NL",
];

/// A seeded generator: the catalog must be the same on every run.
pub struct Rng(StdRng);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(StdRng::seed_from_u64(seed))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0.random_range(0..n.max(1))
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn uuid_from(rng: &mut Rng) -> Uuid {
    Uuid::from_u64_pair(rng.next_u64(), rng.next_u64())
}

/// Listing `n` of a catalog of `stores` stores, from `seed`.
pub fn listing(seed: u64, n: u64, stores: u64) -> SearchDoc {
    let mut rng = Rng::new(seed ^ n.wrapping_mul(0xA24B_AED4_963E_E407));
    let (category, products) = *rng.pick(&CATEGORIES);
    let product = *rng.pick(products);
    let brand = *rng.pick(&BRANDS);
    let adjective = *rng.pick(&ADJECTIVES);
    let store = rng.below(stores.max(1));
    let mut store_rng = Rng::new(seed ^ store.wrapping_mul(0x9FB2_1C65_1E98_DF25));
    let store_id = uuid_from(&mut store_rng);
    let ships_from = *store_rng.pick(&COUNTRIES);
    let verified_seller = store_rng.below(3) == 0;
    let ship_by = 2 + rng.below(5) as u32;
    let mut delivery_days = Vec::new();
    let mut free_shipping_to = Vec::new();
    for country in COUNTRIES {
        if country != ships_from && rng.below(4) == 0 {
            continue;
        }
        let transit = if country == ships_from {
            2
        } else {
            5 + rng.below(25) as u32
        };
        let code = CountryCode::parse(country).expect("valid code");
        delivery_days.push((code, ship_by + transit));
        if rng.below(3) == 0 {
            free_shipping_to.push(code);
        }
    }
    // One listing in twenty also ships to the rest of the world.
    let rest_of_world = (rng.below(20) == 0).then(|| (ship_by + 20 + rng.below(20) as u32, false));
    let reviewed = rng.below(2) == 0;
    SearchDoc {
        listing_id: uuid_from(&mut rng),
        store_id,
        title: format!("{brand} {adjective} {product}"),
        description: format!(
            "A {adjective} {product} by {brand}. Ships from {ships_from} with tracking; \
             model {}-{}.",
            brand.to_lowercase(),
            rng.below(10_000)
        ),
        category: category.to_string(),
        store_name: format!("{} {} Store", *rng.pick(&BRANDS), store % 1000),
        price_minor: 199 + rng.below(30_000),
        ships_from: CountryCode::parse(ships_from),
        delivery_days,
        free_shipping_to,
        rest_of_world,
        guaranteed_genuine: rng.below(4) == 0,
        verified_seller,
        rating_x100: reviewed.then(|| 250 + rng.below(251) as u32),
        units_sold: rng.below(5_000),
        created_s: 1_700_000_000 + rng.below(30_000_000) as i64,
        reprice_at_s: None,
    }
}

/// Words a buyer might type, for the benchmark's query mix.
pub fn query_words(rng: &mut Rng) -> String {
    let (_, products) = *rng.pick(&CATEGORIES);
    match rng.below(4) {
        0 => (*rng.pick(products)).to_string(),
        1 => format!(
            "{} {}",
            rng.pick(&BRANDS).to_lowercase(),
            rng.pick(products)
        ),
        2 => format!("{} {}", rng.pick(&ADJECTIVES), rng.pick(products)),
        _ => {
            let product = *rng.pick(products);
            misspell(product, rng)
        }
    }
}

/// The word with one letter dropped: the typo the fuzzy match must absorb.
fn misspell(word: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 5 {
        return word.to_string();
    }
    let drop = 1 + rng.below(chars.len() as u64 - 2) as usize;
    chars
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != drop)
        .map(|(_, c)| c)
        .collect()
}

pub fn category_names() -> impl Iterator<Item = &'static str> {
    CATEGORIES.iter().map(|(name, _)| *name)
}

pub fn country_names() -> &'static [&'static str] {
    &COUNTRIES
}
