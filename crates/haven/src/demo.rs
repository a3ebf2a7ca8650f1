//! The demo marketplace: three stores, thirty-three listings across every
//! category, a fourth store that bought its reviews, months of history
//! (`demo_history.rs`) and ready-made logins. Seeding goes through the same
//! services as real users, and runs only once per database.

use haven_app::App;
use haven_app::{Actor, NewListingInput, Registration};
use haven_domain::account::{IdentityStatus, Role};
use haven_domain::catalog::{ShippingMethod, ShippingRate};
use haven_domain::money::{Currency, Money};

pub const DEMO_PASSWORD: &str = "haven-demo-password";
pub const BUYER: &str = "buyer@demo.haven";
pub const AGENT: &str = "agent@demo.haven";
pub const ADMIN: &str = "admin@demo.haven";
/// The store whose brushing ring the detector catches.
const SHADY: (&str, &str, &str) = (
    "deals@demo.haven",
    "Bright Deals Outlet",
    "Unbeatable prices on accessories.",
);
const SHADY_LISTINGS: &[(&str, &str, i64, i64)] = &[
    ("Phone case, clear", "electronics", 900, 200),
    ("Braided USB-C cable 2 m", "electronics", 700, 200),
    ("Screen protector (3)", "electronics", 800, 200),
];
const SELLERS: [(&str, &str, &str); 3] = [
    (
        "lumen@demo.haven",
        "Lumen & Oak",
        "Lamps, furniture and things for the garden.",
    ),
    (
        "pixel@demo.haven",
        "Pixel Harbor",
        "Gadgets, games and toys, tested before they ship.",
    ),
    (
        "atelier@demo.haven",
        "Atelier Nord",
        "Clothing, beauty, books and sports kit.",
    ),
];

/// (store index, title, category, price in cents, stock)
const LISTINGS: &[(usize, &str, &str, i64, i64)] = &[
    (0, "Walnut desk lamp", "home", 4_900, 12),
    (0, "Linen cushion cover", "home", 1_800, 40),
    (0, "Ceramic pour-over set", "home", 3_400, 15),
    (0, "Oak floating shelf", "home", 5_600, 8),
    (0, "Herb garden starter kit", "garden", 2_200, 30),
    (0, "Copper watering can", "garden", 3_900, 10),
    (0, "Terracotta planter trio", "garden", 2_700, 20),
    (0, "Solar path lights (6)", "garden", 3_100, 25),
    (0, "Beeswax candle pair", "home", 1_400, 50),
    (0, "Woven storage basket", "home", 2_500, 18),
    (0, "Pocket pruning shears", "garden", 1_900, 22),
    (1, "Noise-cancelling earbuds", "electronics", 8_900, 15),
    (1, "USB-C charging brick 65W", "electronics", 3_500, 40),
    (1, "Mechanical keyboard", "electronics", 11_900, 6),
    (1, "E-ink reader 7 inch", "electronics", 13_900, 5),
    (1, "Bluetooth speaker", "electronics", 4_500, 20),
    (1, "Wooden train set", "toys", 3_900, 12),
    (1, "Magnetic building tiles", "toys", 4_900, 14),
    (1, "Plush fox", "toys", 1_900, 35),
    (1, "Puzzle 1000 pieces", "toys", 2_100, 25),
    (1, "Retro handheld console", "electronics", 6_900, 9),
    (1, "Kids walkie-talkies", "toys", 2_900, 16),
    (2, "Merino wool beanie", "fashion", 2_900, 30),
    (2, "Canvas tote bag", "fashion", 1_600, 45),
    (2, "Rain jacket", "fashion", 8_900, 10),
    (2, "Vitamin C serum", "beauty", 2_400, 28),
    (2, "Shea butter hand cream", "beauty", 1_200, 60),
    (2, "Field guide to birds", "books", 2_800, 14),
    (2, "Cookbook: weeknight bowls", "books", 3_200, 11),
    (2, "Yoga mat", "sports", 3_600, 20),
    (2, "Trail running socks (3)", "sports", 1_900, 40),
    (2, "Adjustable dumbbells", "sports", 15_900, 4),
    (2, "Classic leather belt", "fashion", 3_900, 17),
    (0, "Voltra PD65 USB-C charger", "electronics", 3_700, 10),
    (2, "Voltra 65W USB-C charger PD65", "electronics", 3_300, 6),
];

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

/// Listings that sell the same product from different stores (compare
/// sellers), by title: the product as each seller names it.
const PRODUCTS: &[(&str, &str)] = &[
    ("USB-C charging brick 65W", "Voltra PD65"),
    ("Voltra PD65 USB-C charger", "voltra pd65"),
    ("Voltra 65W USB-C charger PD65", "Voltra  PD-65"),
];

/// Where each demo store ships from (by its index in SELLERS).
const STORE_ORIGINS: [&str; 3] = ["US", "CN", "DE"];

/// The demo's methods, varied per store so shipping and its search facets
/// have something to show: Lumen & Oak adds a free economy method to the
/// US, Pixel Harbor ships standard for free from 100.00, and Atelier ships
/// standard to the rest of the world too.
fn store_shipping(store: usize) -> Vec<ShippingMethod> {
    let mut methods = shipping();
    match store {
        0 => methods.push(ShippingMethod {
            name: "Economy".into(),
            rates: vec![ShippingRate {
                country: "US".into(),
                cost: usd(0),
                min_transit_days: 6,
                max_transit_days: 12,
            }],
            free_over: None,
        }),
        1 => methods[0].free_over = Some(usd(10_000)),
        _ => methods[0].rates.push(ShippingRate {
            country: haven_domain::catalog::REST_OF_WORLD.into(),
            cost: usd(2_500),
            min_transit_days: 10,
            max_transit_days: 25,
        }),
    }
    methods
}

pub(crate) fn shipping() -> Vec<ShippingMethod> {
    let rate = |country: &str, cost, min, max| ShippingRate {
        country: country.into(),
        cost: usd(cost),
        min_transit_days: min,
        max_transit_days: max,
    };
    vec![
        ShippingMethod {
            name: "Standard".into(),
            rates: vec![
                rate("US", 500, 3, 7),
                rate("CA", 900, 5, 10),
                rate("GB", 1_200, 6, 12),
                rate("DE", 1_200, 6, 12),
                rate("FR", 1_200, 6, 12),
            ],
            free_over: None,
        },
        ShippingMethod {
            name: "Express".into(),
            rates: vec![rate("US", 1_500, 1, 3), rate("CA", 2_200, 2, 4)],
            free_over: None,
        },
    ]
}

pub(crate) async fn account(
    app: &App,
    email: &str,
    name: &str,
    roles: Vec<Role>,
) -> anyhow::Result<Actor> {
    let user = app
        .register(Registration {
            email: email.into(),
            password: DEMO_PASSWORD.into(),
            display_name: name.into(),
            roles,
        })
        .await
        .map_err(|e| anyhow::anyhow!("seeding {email}: {}", e.message))?;
    Ok(Actor {
        user,
        store_id: None,
        session: None,
    })
}

/// Seed once; a database that already has the demo buyer is left alone.
pub async fn seed(app: &App) -> anyhow::Result<()> {
    if app.store.user_by_email(BUYER).await?.is_some() {
        return Ok(());
    }
    // Everything is written months back and history catches up to now.
    let rewound = app.demo_clock.as_ref().map(|clock| {
        let offset = clock.offset_s();
        clock.set_offset_s(offset - crate::demo_history::HISTORY_DAYS * 86_400);
        (clock, offset)
    });
    // A crash test's failpoint is for its own checkout, not the seed's.
    let armed = app.failpoints.suspend();
    let seeded = seed_all(app).await;
    if let Some((clock, offset)) = rewound {
        clock.set_offset_s(offset);
    }
    // Today's offers start today, not months back with the history.
    let offered = match seeded {
        Ok((agent, sellers)) => offers(app, &agent, &sellers).await,
        Err(err) => Err(err),
    };
    app.failpoints.restore(armed);
    offered?;
    // The scheduled pass over the whole history, as the worker runs it.
    if app.demo_clock.is_some() {
        let report = app
            .run_integrity_pass()
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        tracing::info!(flagged = report.newly_flagged, "demo history seeded");
    }
    Ok(())
}

/// The accounts, stores, listings and history; answers the agent and the
/// honest sellers, for the offers made afterwards.
async fn seed_all(app: &App) -> anyhow::Result<(Actor, Vec<Actor>)> {
    account(app, BUYER, "Demo Buyer", vec![Role::Buyer]).await?;
    let agent = account(app, AGENT, "Demo Agent", vec![Role::Agent]).await?;
    account(app, ADMIN, "Demo Admin", vec![Role::Admin]).await?;
    let mut sellers = Vec::new();
    for (email, store_name, description) in SELLERS {
        let seller = seller_with_store(app, email, store_name, description).await?;
        approved_brands(app, &seller, &agent, store_name).await?;
        sellers.push(seller);
    }
    operator_lists(app, &agent).await?;
    for (store, title, category, price, stock) in LISTINGS {
        let listing = DemoListing {
            title,
            category,
            price_minor: *price,
            stock: *stock,
            ship_by_days: 3 + (*store as u32),
            description: format!(
                "{title}. Ships within a few days from {}; tracked delivery.",
                SELLERS[*store].1
            ),
            // Electronics and beauty are where fakes hurt most.
            guaranteed_genuine: matches!(*category, "electronics" | "beauty"),
            ships_from: STORE_ORIGINS[*store],
            shipping: store_shipping(*store),
            brand: Some(brand_of(title, SELLERS[*store].1)),
        };
        add_listing(app, &sellers[*store], listing, &agent).await?;
    }
    verify_demo_accounts(app, &sellers).await?;
    let shady = shady_store(app, &agent).await?;
    if let Some(clock) = &app.demo_clock {
        crate::demo_history::seed(app, clock, &sellers, &shady).await?;
    }
    Ok((agent, sellers))
}

/// What runs now: the flash deal, the coupons and the bundle.
async fn offers(app: &App, agent: &Actor, sellers: &[Actor]) -> anyhow::Result<()> {
    flash_deal(app, &sellers[1], "Bluetooth speaker").await?;
    coupons(app, agent, sellers).await?;
    bundle(app, &sellers[0]).await
}

/// Lumen & Oak's desk set: the walnut lamp and the beeswax candles
/// (63.00 separately) for 55.00.
async fn bundle(app: &App, seller: &Actor) -> anyhow::Result<()> {
    let listings = listings_of(app, seller).await?;
    let ids: Vec<_> = ["Walnut desk lamp", "Beeswax candle pair"]
        .iter()
        .filter_map(|title| listings.iter().find(|l| l.title == *title).map(|l| l.id))
        .collect();
    app.create_bundle(seller, "Cosy desk set", ids, usd(5_500))
        .await
        .map_err(|e| anyhow::anyhow!("seeding the bundle: {}", e.message))?;
    Ok(())
}

/// A platform coupon (HAVEN10), a seller code (PIXEL5) and a coupon
/// buyers claim on Lumen & Oak's store page, running for 30 days.
async fn coupons(app: &App, agent: &Actor, sellers: &[Actor]) -> anyhow::Result<()> {
    use haven_domain::coupon::CouponValue;
    let ends_at = app.now() + jiff::SignedDuration::from_hours(24 * 30);
    let coupon = |platform, title: &str, code: Option<&str>, value, min_order_minor| {
        haven_app::coupons::NewCoupon {
            platform,
            title: title.into(),
            code: code.map(String::from),
            claimable: code.is_none(),
            currency: haven_domain::money::Currency::USD,
            value,
            min_order_minor,
            starts_at: None,
            ends_at,
            total_limit: 1_000,
            per_buyer_limit: 1,
            category: None,
            for_store: None,
        }
    };
    let plan = [
        (
            agent,
            coupon(
                true,
                "Haven 10 % off",
                Some("HAVEN10"),
                CouponValue::Percent {
                    percent: 10,
                    cap_minor: 800,
                },
                3_000,
            ),
        ),
        (
            &sellers[1],
            coupon(
                false,
                "Pixel Harbor 5 off",
                Some("PIXEL5"),
                CouponValue::Fixed { off_minor: 500 },
                4_000,
            ),
        ),
        (
            &sellers[0],
            coupon(
                false,
                "Lumen & Oak welcome",
                None,
                CouponValue::Fixed { off_minor: 300 },
                2_500,
            ),
        ),
    ];
    for (issuer, input) in plan {
        // The seeded actors predate their verification: read them again.
        let mut issuer = issuer.clone();
        if let Some(user) = app.store.user(issuer.user.id).await? {
            issuer.user = user;
        }
        app.issue_coupon(&issuer, input)
            .await
            .map_err(|e| anyhow::anyhow!("seeding a coupon: {}", e.message))?;
    }
    Ok(())
}

/// A demo store's listings (fewer than 100).
async fn listings_of(
    app: &App,
    seller: &Actor,
) -> anyhow::Result<Vec<haven_domain::catalog::Listing>> {
    let filter = haven_store::ListingFilter {
        store_id: seller.store_id,
        category: None,
    };
    let page = app
        .store
        .listings(&filter, &haven_store::PageRequest::new(None, Some(100)))
        .await?;
    Ok(page.items)
}

/// A week-long flash deal on one listing, started when the demo is seeded
/// (long enough to outlast the README tour's jumps of the demo clock):
/// 10 units at 29.00 instead of 45.00.
async fn flash_deal(app: &App, seller: &Actor, title: &str) -> anyhow::Result<()> {
    let listings = listings_of(app, seller).await?;
    let listing = listings
        .iter()
        .find(|l| l.title == title)
        .ok_or_else(|| anyhow::anyhow!("the demo listing {title} is missing"))?;
    let now = app.now();
    let deal = haven_domain::catalog::FlashDeal {
        price: usd(2_900),
        quantity: 10,
        remaining: 10,
        starts_at: now,
        ends_at: now + jiff::SignedDuration::from_hours(haven_domain::catalog::MAX_DEAL_HOURS),
    };
    app.set_flash_deal(seller, listing.id, deal)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the flash deal: {}", e.message))?;
    Ok(())
}

async fn seller_with_store(
    app: &App,
    email: &str,
    store_name: &str,
    description: &str,
) -> anyhow::Result<Actor> {
    let mut actor = account(app, email, store_name, vec![Role::Seller]).await?;
    let shop = app
        .open_store(&actor, store_name, description, None)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    actor.store_id = Some(shop.id);
    Ok(actor)
}

/// Brands whose cheap listings are held, and categories whose listings
/// need checked compliance certificates: the operator's lists.
const PROTECTED_BRANDS: &[&str] = &[
    "Voltra",
    "Apple",
    "Samsung",
    "Sony",
    "Nike",
    "Adidas",
    "Louis Vuitton",
    "Gucci",
    "Rolex",
    "Dyson",
];
const REGULATED_CATEGORIES: &[&str] = &["electronics", "toys"];

async fn operator_lists(app: &App, agent: &Actor) -> anyhow::Result<()> {
    let lists = [
        (haven_app::listing_risk::PROTECTED_BRANDS, PROTECTED_BRANDS),
        (
            haven_app::listing_risk::REGULATED_CATEGORIES,
            REGULATED_CATEGORIES,
        ),
    ];
    for (list, values) in lists {
        for value in values {
            app.edit_risk_list(agent, list, value, true)
                .await
                .map_err(|e| anyhow::anyhow!("seeding the {list} list: {}", e.message))?;
        }
    }
    Ok(())
}

/// Each demo store sells its own house brand and the Voltra charger, with
/// proof an agent approved: their Guaranteed Genuine listings rest on it.
async fn approved_brands(
    app: &App,
    seller: &Actor,
    agent: &Actor,
    store_name: &str,
) -> anyhow::Result<()> {
    let store = seller
        .require_store()
        .map_err(|e| anyhow::anyhow!(e.message))?;
    for brand in [store_name, "Voltra"] {
        let proof = format!("Invoice from the {brand} distributor, 2026");
        let approve = async {
            app.submit_brand_proof(seller, brand, &proof, None).await?;
            app.decide_brand_proof(agent, store, brand, true, "").await
        };
        approve
            .await
            .map_err(|e| anyhow::anyhow!("approving {brand}: {}", e.message))?;
    }
    Ok(())
}

/// The Voltra charger is Voltra's; everything else is the store's own brand.
fn brand_of(title: &str, store_name: &str) -> String {
    if product_of(title).is_some() {
        "Voltra".into()
    } else {
        store_name.into()
    }
}

struct DemoListing<'a> {
    title: &'a str,
    category: &'a str,
    price_minor: i64,
    stock: i64,
    ship_by_days: u32,
    description: String,
    guaranteed_genuine: bool,
    ships_from: &'a str,
    shipping: Vec<ShippingMethod>,
    brand: Option<String>,
}

fn product_of(title: &str) -> Option<String> {
    PRODUCTS
        .iter()
        .find(|(t, _)| *t == title)
        .map(|(_, product)| (*product).to_string())
}

/// A listing with a locally drawn picture. In a regulated category it
/// carries a certificate, and the demo agent checks it and releases the
/// listing, as an agent would.
async fn add_listing(
    app: &App,
    seller: &Actor,
    listing: DemoListing<'_>,
    agent: &Actor,
) -> anyhow::Result<haven_domain::catalog::Listing> {
    let image = app
        .store_media(
            "image/svg+xml",
            haven_app::images::product_svg(listing.title, listing.category),
        )
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let input = NewListingInput {
        title: listing.title.into(),
        description: listing.description,
        category: listing.category.into(),
        price: usd(listing.price_minor),
        stock: listing.stock,
        ship_by_days: Some(listing.ship_by_days),
        images: vec![image],
        shipping: listing.shipping,
        guaranteed_genuine: listing.guaranteed_genuine,
        ships_from: Some(listing.ships_from.into()),
        product: product_of(listing.title),
        brand: listing.brand,
        certificates: certificates_for(listing.category),
    };
    let created = app
        .create_listing(seller, input, None)
        .await
        .map_err(|e| anyhow::anyhow!("seeding {}: {}", listing.title, e.message))?;
    // Every demo listing is honest: what holds one is its regulated
    // category, and the certificate is real.
    if created.is_held() {
        return app
            .set_listing_hold(agent, created.id, false, "Certificate checked")
            .await
            .map_err(|e| anyhow::anyhow!("releasing {}: {}", listing.title, e.message));
    }
    Ok(created)
}

fn certificates_for(category: &str) -> Vec<haven_domain::catalog::ComplianceCertificate> {
    let (kind, issuer) = match category {
        "electronics" => ("CE", "SGS Germany (demo)"),
        "toys" => ("EN 71", "TÜV Rheinland (demo)"),
        _ => return Vec::new(),
    };
    vec![haven_domain::catalog::ComplianceCertificate {
        kind: kind.into(),
        number: format!("{kind}-2026-0042"),
        issuer: issuer.into(),
        checked_by: None,
        checked_at: None,
    }]
}

/// The shady store: cheap accessories, plus what a counterfeiter tries.
/// Its "original" Voltra charger at a quarter of the usual price is held
/// by the listing checks, and its "proof" for Voltra waits for an agent:
/// both are in the console for the tour.
async fn shady_store(app: &App, agent: &Actor) -> anyhow::Result<Actor> {
    let (email, name, description) = SHADY;
    let actor = seller_with_store(app, email, name, description).await?;
    for (title, category, price, stock) in SHADY_LISTINGS {
        let listing = DemoListing {
            title,
            category,
            price_minor: *price,
            stock: *stock,
            ship_by_days: 3,
            description: format!("{title}. Ships from {name}."),
            guaranteed_genuine: false,
            ships_from: "CN",
            shipping: shipping(),
            brand: None,
        };
        add_listing(app, &actor, listing, agent).await?;
    }
    let fake = NewListingInput {
        brand: Some("Voltra".into()),
        certificates: certificates_for("electronics"),
        ..haven_app::NewListingInput::plain(
            "Voltra PD65 charger, original",
            "electronics",
            usd(900),
            100,
            shipping(),
        )
    };
    let held = app
        .create_listing(&actor, fake, None)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the fake charger: {}", e.message))?;
    anyhow::ensure!(
        held.is_held(),
        "the listing checks let a fake charger through"
    );
    app.submit_brand_proof(
        &actor,
        "Voltra",
        "Screenshot of a chat with our supplier",
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("seeding the Voltra proof: {}", e.message))?;
    Ok(actor)
}

/// Demo accounts have confirmed emails (nobody can click the demo's links
/// from a real inbox), sellers have a (test) payout account, and the first
/// two sellers passed an identity review, so the Verified badge shows next
/// to a store that has not.
async fn verify_demo_accounts(app: &App, sellers: &[Actor]) -> anyhow::Result<()> {
    let now = app.now();
    let mut changes = haven_store::Changeset::default();
    for email in [BUYER, AGENT, ADMIN]
        .into_iter()
        .chain(SELLERS.iter().map(|s| s.0))
    {
        let mut user = app
            .store
            .user_by_email(email)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{email} was just created"))?;
        let expected_version = user.version;
        user.email_verified_at = Some(now);
        if sellers.iter().any(|s| s.user.id == user.id) {
            user.payout_account = Some(haven_domain::account::PayoutAccount {
                holder: user.display_name.clone(),
                iban: "DE89370400440532013000".into(),
                set_at: now,
            });
        }
        if sellers.iter().take(2).any(|s| s.user.id == user.id) {
            user.identity.status = IdentityStatus::Approved;
            user.identity.reviewed_at = Some(now);
            user.identity.note = "demo seller".into();
        }
        changes.user_updates.push(haven_store::UserWrite {
            user,
            expected_version,
        });
    }
    app.store.commit(changes).await?;
    Ok(())
}

pub fn print_welcome(app: &App) {
    let base = &app.config.base_url;
    println!();
    println!("  Haven demo marketplace is running at {base}");
    println!();
    println!("  Every demo account uses the password: {DEMO_PASSWORD}");
    println!("    buyer   {BUYER}");
    for (email, store, _) in SELLERS {
        println!("    seller  {email}  ({store})");
    }
    println!(
        "    seller  {}  ({}: its brushing ring was caught; see Console > Review integrity)",
        SHADY.0, SHADY.1
    );
    println!("    agent   {AGENT}");
    println!("    admin   {ADMIN}");
    println!();
    println!("  Test cards: 4242 4242 4242 4242 (pays), 4000 0000 0000 0002 (declined),");
    println!("              4000 0027 6000 3184 (asks for verification: code 424242),");
    println!("              4000 0000 0000 0259 (pays, chargeback later)");
    println!();
}
