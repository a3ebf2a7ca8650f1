//! The cart's money split: one capture divided over one order per store.

use haven_domain::cart::{OrderFunding, group_by_store, split_funding};
use haven_domain::ids::StoreId;
use proptest::prelude::*;

#[test]
fn credit_pays_the_first_orders_first_and_the_card_the_rest() {
    let split = split_funding(&[1_000, 2_500, 400], 1_800);
    assert_eq!(
        split,
        vec![
            OrderFunding {
                credit_minor: 1_000,
                card_minor: 0
            },
            OrderFunding {
                credit_minor: 800,
                card_minor: 1_700
            },
            OrderFunding {
                credit_minor: 0,
                card_minor: 400
            },
        ]
    );
}

#[test]
fn no_credit_means_the_card_pays_everything() {
    let split = split_funding(&[700, 300], 0);
    assert!(split.iter().all(|f| f.credit_minor == 0));
    assert_eq!(split.iter().map(|f| f.card_minor).sum::<i64>(), 1_000);
    assert_eq!(split_funding(&[700], -50)[0].card_minor, 700);
}

#[test]
fn stores_keep_the_order_the_buyer_shopped_them_in() {
    let (a, b) = (StoreId::new(), StoreId::new());
    let grouped = group_by_store(vec![(b, 1), (a, 2), (b, 3)]);
    assert_eq!(grouped, vec![(b, vec![1, 3]), (a, vec![2])]);
}

proptest! {
    #[test]
    fn the_split_creates_and_loses_nothing(
        totals in proptest::collection::vec(0i64..50_000_000, 1..12),
        available in -1_000i64..200_000_000,
    ) {
        let split = split_funding(&totals, available);
        prop_assert_eq!(split.len(), totals.len());
        let mut credit_used = 0i64;
        for (funding, total) in split.iter().zip(&totals) {
            prop_assert!(funding.credit_minor >= 0 && funding.card_minor >= 0);
            prop_assert_eq!(funding.credit_minor + funding.card_minor, *total);
            credit_used += funding.credit_minor;
        }
        let sum: i64 = totals.iter().sum();
        prop_assert_eq!(credit_used, available.max(0).min(sum));
        let card: i64 = split.iter().map(|f| f.card_minor).sum();
        prop_assert_eq!(card + credit_used, sum);
    }
}

/// (method, country, cost, min days, max days, free over)
type Rate<'a> = (&'a str, &'a str, i64, u32, u32, Option<i64>);

fn listing_with(methods: Vec<Rate<'_>>) -> haven_domain::catalog::Listing {
    use haven_domain::catalog::{Listing, ShippingMethod, ShippingRate};
    use haven_domain::money::{Currency, Money};
    let usd = |m| Money::new(m, Currency::USD);
    Listing {
        id: haven_domain::ids::ListingId::new(),
        store_id: StoreId::new(),
        title: "Lamp".into(),
        description: String::new(),
        category: "home".into(),
        price: usd(1_000),
        stock: 5,
        ship_by_days: 2,
        images: Vec::new(),
        shipping: methods
            .into_iter()
            .map(
                |(name, country, cost, min, max, free_over)| ShippingMethod {
                    name: name.into(),
                    rates: vec![ShippingRate {
                        country: country.into(),
                        cost: usd(cost),
                        min_transit_days: min,
                        max_transit_days: max,
                    }],
                    free_over: free_over.map(usd),
                },
            )
            .collect(),
        guaranteed_genuine: false,
        ships_from: None,
        hold: None,
        deal: None,
        revision: 0,
        paused_at: None,
        product_key: None,
        brand: None,
        certificates: Vec::new(),
        created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
    }
}

#[test]
fn items_of_one_store_ship_together_by_a_method_they_all_offer() {
    use haven_domain::cart::ship_together;
    use haven_domain::money::{Currency, Money};
    let lamp = listing_with(vec![
        ("Standard", "US", 500, 3, 7, None),
        ("Express", "US", 1_500, 1, 2, None),
    ]);
    let shade = listing_with(vec![
        ("Standard", "US", 700, 4, 9, Some(3_000)),
        ("Economy", "US", 100, 10, 20, None),
    ]);
    let items = Money::new(2_000, Currency::USD);
    let options = ship_together(&[&lamp, &shade], "US", items);
    assert_eq!(options.len(), 1, "only Standard is offered by both");
    let parcel = &options[0];
    assert_eq!(parcel.method, "Standard");
    assert_eq!(
        parcel.cost.amount_minor, 700,
        "one parcel: the dearer rate, not the sum"
    );
    assert_eq!((parcel.min_transit_days, parcel.max_transit_days), (4, 9));
    // The threshold counts the whole order: the shade's rate becomes free,
    // the lamp's (no threshold) is what the parcel costs.
    let big = ship_together(&[&lamp, &shade], "US", Money::new(3_000, Currency::USD));
    assert_eq!(big[0].cost.amount_minor, 500);
    assert!(ship_together(&[&lamp, &shade], "FR", items).is_empty());
}

fn item(
    listing: haven_domain::ids::ListingId,
    quantity: u32,
    unit_minor: i64,
) -> haven_domain::order::OrderItem {
    haven_domain::order::OrderItem {
        listing_id: listing,
        listing_title: "x".into(),
        guaranteed_genuine: false,
        quantity,
        unit_price: haven_domain::money::Money::new(unit_minor, haven_domain::money::Currency::USD),
        flash_deal: false,
        deal_started_at: None,
    }
}

#[test]
fn a_bundle_takes_its_saving_off_each_complete_set_and_the_best_one_wins() {
    use haven_domain::bundle::{Bundle, best_bundle};
    use haven_domain::ids::{BundleId, ListingId};
    use haven_domain::money::{Currency, Money};
    let (lamp, shade, bulb) = (ListingId::new(), ListingId::new(), ListingId::new());
    let bundle = |listings: Vec<ListingId>, price| Bundle {
        id: BundleId::new(),
        store_id: StoreId::new(),
        title: "Desk set".into(),
        listings,
        price: Money::new(price, Currency::USD),
        created_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        ended_at: None,
    };
    let pair = bundle(vec![lamp, shade], 5_000);
    let trio = bundle(vec![lamp, shade, bulb], 5_200);
    assert!(pair.validate(Money::new(5_500, Currency::USD)).is_ok());
    assert!(
        pair.validate(Money::new(5_000, Currency::USD)).is_err(),
        "no saving"
    );
    assert!(
        bundle(vec![lamp, lamp], 100)
            .validate(Money::new(5_500, Currency::USD))
            .is_err()
    );
    assert!(
        bundle(vec![lamp], 100)
            .validate(Money::new(5_500, Currency::USD))
            .is_err()
    );

    // Two lamps, three shades: two complete sets of the pair.
    let items = [item(lamp, 2, 4_000), item(shade, 3, 1_500)];
    let found = best_bundle(&[pair.clone(), trio.clone()], &items)
        .unwrap()
        .unwrap();
    assert_eq!((found.sets, found.amount_minor), (2, 2 * 500));
    // With a bulb the trio saves more (5.00 + 0.80 per set) than the pair.
    let items = [
        item(lamp, 1, 4_000),
        item(shade, 1, 1_500),
        item(bulb, 1, 500),
    ];
    let found = best_bundle(&[pair.clone(), trio], &items).unwrap().unwrap();
    assert_eq!((found.sets, found.amount_minor), (1, 800));
    // No complete set, or an ended bundle: nothing.
    assert!(
        best_bundle(std::slice::from_ref(&pair), &[item(lamp, 3, 4_000)])
            .unwrap()
            .is_none()
    );
    let mut ended = pair;
    ended.ended_at = Some("2026-02-01T00:00:00Z".parse().unwrap());
    assert!(best_bundle(&[ended], &items).unwrap().is_none());
}
