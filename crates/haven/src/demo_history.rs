//! The demo's history: months of orders, reviews and buyer ratings written
//! through the same services as real ones with the demo clock moved back,
//! plus one store whose planted brushing ring the detector catches, so a
//! newcomer sees populated trust panels and an integrity case.

use haven_app::payments::CardDetails;
use haven_app::reputation::ReviewInput;
use haven_app::risk::PaymentContext;
use haven_app::{Actor, App, CheckoutInput};
use haven_domain::account::Role;
use haven_domain::catalog::Listing;
use haven_domain::clock::OffsetClock;
use haven_domain::order::Address;

const DAY_S: i64 = 86_400;
/// How far back the history starts: the demo's accounts and stores are
/// this old.
pub const HISTORY_DAYS: i64 = 180;
const HONEST_BUYERS: usize = 24;
const RING_SIZE: usize = 12;

const REVIEW_TEXTS: [&str; 5] = [
    "Arrived broken and the seller never answered.",
    "Not as pictured; the colour is off.",
    "Fine for the price, shipping was slow.",
    "Good quality, arrived on time.",
    "Exactly as described and beautifully packed. Would buy again.",
];

fn card() -> CardDetails {
    CardDetails {
        number: "4242424242424242".into(),
        exp_month: 12,
        exp_year: 2031,
        cvc: "123".into(),
    }
}

fn address(name: &str, line1: &str, city: &str) -> Address {
    Address {
        name: name.into(),
        line1: line1.into(),
        line2: String::new(),
        city: city.into(),
        postal_code: "10001".into(),
        country: "US".into(),
    }
}

/// A deterministic rating for honest buyer `b`'s `k`-th order at store `s`:
/// mostly 4-5 stars, a store-dependent tail of low ones.
fn honest_rating(b: usize, k: usize, s: usize) -> u8 {
    let roll = (b * 31 + k * 17 + s * 7) % 20;
    match (s, roll) {
        (_, 0) => 1,
        (2, 1 | 2) => 2,
        (_, 1) => 3,
        (_, 3..=5) | (0 | 1, 2) => 4,
        _ => 5,
    }
}

/// One order the history places: who buys what, and the review to come.
struct Planned<'a> {
    buyer: &'a Actor,
    seller: &'a Actor,
    listing: &'a Listing,
    ship_to: Address,
    device: String,
    rating: u8,
    text: &'static str,
}

/// Orders placed `gap_s` apart, shipped a day later, received four days
/// after that; then the seller rates each buyer and the buyer reviews. A
/// step the risk engine or a rule refuses ends that order there: this is
/// the real thing, not a script that forces it through.
async fn complete_batch(
    app: &App,
    clock: &OffsetClock,
    plans: &[Planned<'_>],
    gap_s: i64,
) -> anyhow::Result<usize> {
    let mut placed = Vec::new();
    for plan in plans {
        let input = CheckoutInput {
            listing_id: plan.listing.id,
            quantity: 1,
            shipping_method: "Standard".into(),
            address: plan.ship_to.clone(),
            card: Some(card()),
            use_credit: false,
            accept_regular_price: true,
            coupons: Vec::new(),
            expected_total_minor: None,
            context: PaymentContext::new(Some(&plan.device), None, None),
        };
        if let Ok(outcome) = app.checkout(plan.buyer, input, None).await
            && !outcome.challenge_required
        {
            placed.push((plan, outcome.order.id));
        }
        clock.advance_s(gap_s);
    }
    clock.advance_s(DAY_S);
    let mut shipped = Vec::new();
    for (plan, order) in placed {
        let number = haven_app::carrier::simulated_tracking_number();
        if app
            .ship(plan.seller, order, "simpost", &number, None)
            .await
            .is_ok()
        {
            shipped.push((plan, order));
        }
    }
    clock.advance_s(4 * DAY_S);
    for (plan, order) in &shipped {
        app.confirm_receipt(plan.buyer, *order, true, None)
            .await
            .map_err(|e| anyhow::anyhow!("confirming a demo order: {}", e.message))?;
        app.rate_buyer(plan.seller, *order, 5, "Paid promptly.")
            .await
            .map_err(|e| anyhow::anyhow!("rating a demo buyer: {}", e.message))?;
        let input = ReviewInput {
            rating: plan.rating,
            text: plan.text.into(),
            item_as_described: Some(plan.rating),
            communication: Some(plan.rating.max(3)),
            shipping_speed: Some(plan.rating.max(2)),
            ..ReviewInput::default()
        };
        app.leave_review(plan.buyer, *order, input)
            .await
            .map_err(|e| anyhow::anyhow!("reviewing a demo order: {}", e.message))?;
        clock.advance_s(600);
    }
    Ok(shipped.len())
}

async fn listings_of(app: &App, seller: &Actor) -> anyhow::Result<Vec<Listing>> {
    let filter = haven_store::ListingFilter {
        category: None,
        store_id: seller.store_id,
    };
    Ok(app
        .store
        .listings(&filter, &haven_store::PageRequest::new(None, Some(50)))
        .await?
        .items)
}

/// Write the history, starting with the clock `HISTORY_DAYS` back (the
/// caller moved it there before opening the stores). `sellers` are the
/// honest demo stores; `shady` is the store whose ring is planted.
pub async fn seed(
    app: &App,
    clock: &OffsetClock,
    sellers: &[Actor],
    shady: &Actor,
) -> anyhow::Result<()> {
    let mut stock = Vec::new();
    for seller in sellers {
        stock.push(listings_of(app, seller).await?);
    }
    let mut buyers = Vec::new();
    for b in 0..HONEST_BUYERS {
        let email = format!("shopper{b}@demo.haven");
        buyers.push(
            super::demo::account(app, &email, &format!("Shopper {b}"), vec![Role::Buyer]).await?,
        );
    }
    // Honest months: a few orders at a time, every few days, each buyer
    // shopping at one or two stores per round.
    clock.advance_s(10 * DAY_S);
    for round in 0..3 {
        for chunk in buyers.chunks(3).enumerate() {
            let (c, group) = chunk;
            let mut plans = Vec::new();
            for (i, buyer) in group.iter().enumerate() {
                let b = c * 3 + i;
                let s = (b + round * (1 + b % 2)) % sellers.len();
                let rating = honest_rating(b, round, s);
                plans.push(Planned {
                    buyer,
                    seller: &sellers[s],
                    listing: &stock[s][(b * 3 + round) % stock[s].len()],
                    ship_to: address(
                        &buyer.user.display_name,
                        &format!("{} Elm Street", 10 + b),
                        "Springfield",
                    ),
                    device: format!("demo-device-{b}"),
                    rating,
                    text: REVIEW_TEXTS[usize::from(rating - 1)],
                });
            }
            complete_batch(app, clock, &plans, 5 * 3_600).await?;
            clock.advance_s(DAY_S / 2);
        }
    }
    plant_ring(app, clock, sellers, &stock, shady).await?;
    Ok(())
}

/// Fresh accounts, one drop address, all 5 stars within two days, each
/// also reviewing an honest store to look ordinary.
async fn plant_ring(
    app: &App,
    clock: &OffsetClock,
    sellers: &[Actor],
    stock: &[Vec<Listing>],
    shady: &Actor,
) -> anyhow::Result<()> {
    let shady_listings = listings_of(app, shady).await?;
    let mut ring = Vec::new();
    for r in 0..RING_SIZE {
        let email = format!("deal.hunter{r}@demo.haven");
        ring.push(
            super::demo::account(app, &email, &format!("Deal Hunter {r}"), vec![Role::Buyer])
                .await?,
        );
    }
    let drop = || address("J. Smith", "7 Depot Lane, Unit 4", "Newark");
    let mut plans = Vec::new();
    for (r, buyer) in ring.iter().enumerate() {
        let s = r % sellers.len();
        plans.push(Planned {
            buyer,
            seller: shady,
            listing: &shady_listings[r % shady_listings.len()],
            ship_to: drop(),
            device: format!("ring-device-{}", r % 3),
            rating: 5,
            text: "Perfect!!! Best seller ever, fast shipping, A+++",
        });
        plans.push(Planned {
            buyer,
            seller: &sellers[s],
            listing: &stock[s][r % stock[s].len()],
            ship_to: drop(),
            device: format!("ring-device-{}", r % 3),
            rating: 5,
            text: "Great",
        });
    }
    let completed = complete_batch(app, clock, &plans, 2 * 3_600).await?;
    tracing::info!(completed, "demo brushing ring planted");
    Ok(())
}
