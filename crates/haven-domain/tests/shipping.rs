//! Shipping quotes: a country's own line, the rest-of-world line, the
//! free-shipping threshold, and the destinations search indexes.

use haven_domain::catalog::{Listing, REST_OF_WORLD, ShippingMethod, ShippingRate};
use haven_domain::ids::{ListingId, StoreId};
use haven_domain::money::{Currency, Money};

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::USD)
}

fn rate(country: &str, cost: i64, min: u32, max: u32) -> ShippingRate {
    ShippingRate {
        country: country.into(),
        cost: usd(cost),
        min_transit_days: min,
        max_transit_days: max,
    }
}

fn listing(shipping: Vec<ShippingMethod>) -> Listing {
    Listing {
        id: ListingId::new(),
        store_id: StoreId::new(),
        title: "Walnut desk lamp".into(),
        description: String::new(),
        category: "home".into(),
        price: usd(4_000),
        stock: 10,
        ship_by_days: 3,
        images: vec![],
        shipping,
        guaranteed_genuine: false,
        ships_from: Some("DE".into()),
        hold: None,
        deal: None,
        revision: 0,
        paused_at: None,
        product_key: None,
        brand: None,
        certificates: Vec::new(),
        created_at: "2026-11-01T00:00:00Z".parse().unwrap(),
    }
}

fn standard_and_express() -> Listing {
    listing(vec![
        ShippingMethod {
            name: "Standard".into(),
            rates: vec![rate("US", 900, 5, 9), rate(REST_OF_WORLD, 2_500, 10, 25)],
            free_over: Some(usd(10_000)),
        },
        ShippingMethod {
            name: "Express".into(),
            rates: vec![rate("US", 2_000, 1, 2)],
            free_over: None,
        },
    ])
}

#[test]
fn a_named_country_uses_its_own_line_and_others_the_rest_of_world() {
    let l = standard_and_express();
    let us = l.quote("Standard", "US", usd(4000)).unwrap();
    assert_eq!(
        (us.cost, us.max_transit_days, us.rest_of_world),
        (usd(900), 9, false)
    );
    let jp = l.quote("Standard", "JP", usd(4000)).unwrap();
    assert_eq!(
        (jp.cost, jp.max_transit_days, jp.rest_of_world),
        (usd(2_500), 25, true)
    );
    assert!(
        l.quote("Express", "JP", usd(4000)).is_none(),
        "express names only the US"
    );
    assert!(l.quote("Overnight", "US", usd(4000)).is_none());
}

#[test]
fn shipping_is_free_from_the_threshold_on_the_items_total() {
    let l = standard_and_express();
    let two = l.quote("Standard", "US", usd(8000)).unwrap();
    assert_eq!(
        (two.cost, two.free_by_threshold),
        (usd(900), false),
        "80.00 < 100.00"
    );
    let three = l.quote("Standard", "US", usd(12000)).unwrap();
    assert_eq!(
        (three.cost, three.list_cost),
        (usd(0), usd(900)),
        "120.00 reaches it"
    );
    assert!(three.free_by_threshold);
    let rest = l.quote("Standard", "JP", usd(12000)).unwrap();
    assert_eq!(
        rest.cost,
        usd(0),
        "the threshold is the method's, everywhere"
    );
    let express = l.quote("Express", "US", usd(12000)).unwrap();
    assert_eq!(express.cost, usd(2_000), "another method keeps its price");
    let cheapest: Vec<_> = l
        .quotes_to("US", usd(12_000))
        .into_iter()
        .map(|q| q.method)
        .collect();
    assert_eq!(cheapest, ["Standard", "Express"]);
}

#[test]
fn destinations_cover_named_countries_and_the_rest_of_the_world() {
    let l = standard_and_express();
    let destinations = l.destinations();
    let us = destinations.iter().find(|d| d.country == "US").unwrap();
    assert_eq!(
        (us.delivery_days, us.free_shipping),
        (3 + 2, false),
        "express is fastest"
    );
    let rest = destinations
        .iter()
        .find(|d| d.country == REST_OF_WORLD)
        .unwrap();
    assert_eq!((rest.delivery_days, rest.free_shipping), (3 + 25, false));
    assert_eq!(destinations.len(), 2);
    // A single unit over the threshold ships free.
    let mut pricey = standard_and_express();
    pricey.price = usd(12_000);
    let rest = pricey
        .destinations()
        .into_iter()
        .find(|d| d.country == REST_OF_WORLD)
        .unwrap();
    assert!(rest.free_shipping);
}

#[test]
fn validation_refuses_repeated_countries_and_foreign_thresholds() {
    let range = (1, 10);
    assert!(standard_and_express().validate(range).is_ok());
    let twice = listing(vec![ShippingMethod {
        name: "Standard".into(),
        rates: vec![rate("US", 900, 5, 9), rate("US", 500, 5, 9)],
        free_over: None,
    }]);
    assert!(twice.validate(range).is_err());
    let two_elsewheres = listing(vec![ShippingMethod {
        name: "Standard".into(),
        rates: vec![
            rate(REST_OF_WORLD, 900, 5, 9),
            rate(REST_OF_WORLD, 500, 5, 9),
        ],
        free_over: None,
    }]);
    assert!(two_elsewheres.validate(range).is_err());
    let euros = listing(vec![ShippingMethod {
        name: "Standard".into(),
        rates: vec![rate("US", 900, 5, 9)],
        free_over: Some(Money::new(5_000, Currency::EUR)),
    }]);
    assert!(euros.validate(range).is_err());
    let bad_code = listing(vec![ShippingMethod {
        name: "Standard".into(),
        rates: vec![rate("**", 900, 5, 9)],
        free_over: None,
    }]);
    assert!(bad_code.validate(range).is_err());
}

#[test]
fn a_flash_deal_prices_only_what_it_has_units_for_and_the_threshold_sees_the_deal_price() {
    use haven_domain::catalog::FlashDeal;
    let mut l = standard_and_express();
    let now: jiff::Timestamp = "2026-11-02T12:00:00Z".parse().unwrap();
    l.deal = Some(FlashDeal {
        price: usd(2_000),
        quantity: 5,
        remaining: 2,
        starts_at: now - jiff::SignedDuration::from_hours(1),
        ends_at: now + jiff::SignedDuration::from_hours(1),
    });
    assert_eq!(l.price_at(now, 2, false), (usd(2_000), true));
    // Three asked, two left: the deal's price (the claim will refuse it)
    // unless the buyer accepts the regular price.
    assert_eq!(l.price_at(now, 3, false), (usd(2_000), true));
    assert_eq!(l.price_at(now, 3, true), (usd(4_000), false));
    // After the deal, the regular price whatever the buyer said.
    let later = now + jiff::SignedDuration::from_hours(2);
    assert_eq!(l.price_at(later, 1, false), (usd(4_000), false));
    // Three at the deal's 20.00 come to 60.00: under the 100.00 threshold,
    // so shipping is charged (at the regular price they would ship free).
    let (unit, _) = l.price_at(now, 3, false);
    let items = unit.checked_mul(3).unwrap();
    assert_eq!(l.quote("Standard", "US", items).unwrap().cost, usd(900));
    assert_eq!(l.quote("Standard", "US", usd(12_000)).unwrap().cost, usd(0));
}

#[test]
fn product_keys_match_the_same_product_however_sellers_write_it() {
    use haven_domain::catalog::product_key;
    assert_eq!(product_key("Voltra PD65"), Some("voltrapd65".into()));
    assert_eq!(product_key("  voltra  pd-65 "), product_key("VOLTRA PD65"));
    assert_eq!(
        product_key("4006381-333931"),
        Some("gtin:04006381333931".into())
    );
    assert_eq!(
        product_key("0 4006381 333931"),
        product_key("4006381333931")
    );
    assert_eq!(product_key(" - "), None);
    assert_eq!(product_key(&"x".repeat(121)), None);
}

#[test]
fn the_shown_price_follows_the_deal_and_says_when_it_next_changes() {
    use haven_domain::catalog::FlashDeal;
    let mut l = standard_and_express();
    let now: jiff::Timestamp = "2026-11-02T12:00:00Z".parse().unwrap();
    let hour = jiff::SignedDuration::from_hours(1);
    assert_eq!(l.shown_price(now), usd(4_000));
    assert_eq!(l.shown_price_changes_at(now), None);
    l.deal = Some(FlashDeal {
        price: usd(2_000),
        quantity: 5,
        remaining: 5,
        starts_at: now + hour,
        ends_at: now + hour * 3,
    });
    // Before the deal: the regular price, until the deal starts.
    assert_eq!(l.shown_price(now), usd(4_000));
    assert_eq!(l.shown_price_changes_at(now), Some(now + hour));
    // During it: the deal's price, until it ends.
    let during = now + hour * 2;
    assert_eq!(l.shown_price(during), usd(2_000));
    assert_eq!(l.shown_price_changes_at(during), Some(now + hour * 3));
    // At its end, and after: the regular price, and nothing more to wait for.
    assert_eq!(l.shown_price(now + hour * 3), usd(4_000));
    assert_eq!(l.shown_price_changes_at(now + hour * 3), None);
    // Sold out while running: the regular price, and the clock changes nothing.
    l.deal.as_mut().unwrap().remaining = 0;
    assert_eq!(l.shown_price(during), usd(4_000));
    assert_eq!(l.shown_price_changes_at(during), None);
}

/// A seller's edit replaces the photos and the shipping methods as whole
/// lists, and the limits hold afterwards: a listing is never left without a
/// way to ship, nor with one photo twice.
#[test]
fn an_edit_replaces_photos_and_shipping_and_keeps_the_limits() {
    use haven_domain::catalog::ListingEdit;
    let now = "2026-11-02T00:00:00Z".parse().unwrap();
    let mut lamp = standard_and_express();
    let edit = ListingEdit {
        images: Some(vec!["b".repeat(64), "a".repeat(64)]),
        shipping: Some(vec![ShippingMethod {
            name: "Courier".into(),
            rates: vec![rate("US", 1_500, 1, 3)],
            free_over: None,
        }]),
        ..Default::default()
    };
    assert!(edit.needs_checks(), "new photos are checked again");
    lamp.apply_edit(&edit, (1, 30), now).unwrap();
    assert_eq!(lamp.images, vec!["b".repeat(64), "a".repeat(64)]);
    assert_eq!(lamp.shipping.len(), 1);
    assert_eq!(lamp.shipping[0].name, "Courier");

    let twice = ListingEdit {
        images: Some(vec!["c".repeat(64), "c".repeat(64)]),
        ..Default::default()
    };
    let err = standard_and_express()
        .apply_edit(&twice, (1, 30), now)
        .unwrap_err();
    assert_eq!(err.field, "images");
    let nowhere = ListingEdit {
        shipping: Some(Vec::new()),
        ..Default::default()
    };
    assert!(
        standard_and_express()
            .apply_edit(&nowhere, (1, 30), now)
            .is_err()
    );
    let only_shipping = ListingEdit {
        shipping: Some(standard_and_express().shipping),
        ..Default::default()
    };
    assert!(!only_shipping.needs_checks());
}
