//! The index end to end: text matching, every filter, facet counts, every
//! sort, changes and the persisted outbox position.

use haven_search::{Change, CountryCode, SearchDoc, SearchIndex, SearchQuery, Sort};
use uuid::Uuid;

fn cc(code: &str) -> CountryCode {
    CountryCode::parse(code).unwrap()
}

struct Catalog {
    store_a: Uuid,
    store_b: Uuid,
    docs: Vec<SearchDoc>,
}

fn doc(title: &str, category: &str, store: Uuid, price_minor: u64) -> SearchDoc {
    SearchDoc {
        listing_id: Uuid::now_v7(),
        store_id: store,
        title: title.to_string(),
        description: String::new(),
        category: category.to_string(),
        store_name: "Plain Store".to_string(),
        price_minor,
        ships_from: Some(cc("CN")),
        delivery_days: vec![(cc("US"), 20), (cc("DE"), 25)],
        free_shipping_to: vec![],
        rest_of_world: None,
        guaranteed_genuine: false,
        verified_seller: false,
        rating_x100: None,
        units_sold: 0,
        created_s: 1_700_000_000,
        reprice_at_s: None,
    }
}

fn catalog() -> Catalog {
    let store_a = Uuid::now_v7();
    let store_b = Uuid::now_v7();
    let mut headphones = doc(
        "Wireless headphones with noise cancelling",
        "electronics",
        store_a,
        4_999,
    );
    headphones.guaranteed_genuine = true;
    headphones.rating_x100 = Some(470);
    headphones.units_sold = 900;
    headphones.ships_from = Some(cc("DE"));
    headphones.delivery_days = vec![(cc("DE"), 3), (cc("US"), 9)];
    headphones.free_shipping_to = vec![cc("DE")];
    headphones.created_s = 1_700_000_500;
    let mut charger = doc("Fast USB charger", "electronics", store_a, 1_299);
    charger.rating_x100 = Some(390);
    charger.units_sold = 4_000;
    charger.description = "Charges phones and tablets".into();
    let mut lamp = doc("Brass desk lamp", "home", store_b, 8_900);
    lamp.verified_seller = true;
    lamp.store_name = "Lumen Lighting".into();
    lamp.rating_x100 = Some(310);
    lamp.units_sold = 12;
    lamp.created_s = 1_700_000_900;
    lamp.delivery_days = vec![(cc("US"), 12)];
    lamp.free_shipping_to = vec![cc("US")];
    let mut earbuds = doc("Wireless earbuds", "electronics", store_b, 2_500);
    earbuds.verified_seller = true;
    earbuds.units_sold = 300;
    earbuds.created_s = 1_699_000_000;
    Catalog {
        store_a,
        store_b,
        docs: vec![headphones, charger, lamp, earbuds],
    }
}

fn indexed() -> (SearchIndex, Catalog) {
    let index = SearchIndex::in_memory();
    let catalog = catalog();
    index.rebuild([catalog.docs.clone()], 7).unwrap();
    (index, catalog)
}

fn titles(index: &SearchIndex, catalog: &Catalog, query: &SearchQuery) -> Vec<String> {
    let results = index.search(query).unwrap();
    results
        .hits
        .iter()
        .map(|hit| {
            catalog
                .docs
                .iter()
                .find(|d| d.listing_id == hit.listing_id)
                .expect("a hit is a known listing")
                .title
                .clone()
        })
        .collect()
}

fn q(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.into(),
        limit: 20,
        ..Default::default()
    }
}

#[test]
fn words_match_stems_typos_and_the_store_name() {
    let (index, catalog) = indexed();
    assert_eq!(
        titles(&index, &catalog, &q("chargers")),
        ["Fast USB charger"]
    );
    assert_eq!(
        titles(&index, &catalog, &q("headphnes")),
        ["Wireless headphones with noise cancelling"],
        "one dropped letter still finds it"
    );
    assert_eq!(titles(&index, &catalog, &q("lumen")), ["Brass desk lamp"]);
    assert_eq!(
        titles(&index, &catalog, &q("tablet")),
        ["Fast USB charger"],
        "description"
    );
    assert_eq!(
        titles(&index, &catalog, &q("home")),
        ["Brass desk lamp"],
        "category"
    );
    assert!(
        titles(&index, &catalog, &q("wireless lamp")).is_empty(),
        "every word must match"
    );
    let both = titles(&index, &catalog, &q("the wireless"));
    assert_eq!(
        both.len(),
        2,
        "a stop word is not a required word: {both:?}"
    );
    let ranked = index.search(&q("wireless headphones")).unwrap();
    assert_eq!(ranked.total, 1);
    assert!(ranked.hits[0].score > 0.0);
}

#[test]
fn every_filter_narrows_the_results() {
    let (index, catalog) = indexed();
    let all = SearchQuery {
        limit: 20,
        ..Default::default()
    };
    assert_eq!(index.search(&all).unwrap().total, 4);
    let cases: Vec<(SearchQuery, Vec<&str>)> = vec![
        (
            SearchQuery {
                category: Some("home".into()),
                ..all.clone()
            },
            vec!["Brass desk lamp"],
        ),
        (
            SearchQuery {
                price_min_minor: Some(2_500),
                price_max_minor: Some(5_000),
                ..all.clone()
            },
            vec![
                "Wireless headphones with noise cancelling",
                "Wireless earbuds",
            ],
        ),
        (
            SearchQuery {
                ships_from: Some(cc("DE")),
                ..all.clone()
            },
            vec!["Wireless headphones with noise cancelling"],
        ),
        (
            SearchQuery {
                deliver_to: Some(cc("US")),
                max_delivery_days: Some(12),
                ..all.clone()
            },
            vec![
                "Wireless headphones with noise cancelling",
                "Brass desk lamp",
            ],
        ),
        (
            SearchQuery {
                deliver_to: Some(cc("DE")),
                ..all.clone()
            },
            vec![
                "Wireless headphones with noise cancelling",
                "Fast USB charger",
                "Wireless earbuds",
            ],
        ),
        (
            SearchQuery {
                guaranteed_genuine: true,
                ..all.clone()
            },
            vec!["Wireless headphones with noise cancelling"],
        ),
        (
            SearchQuery {
                verified_seller: true,
                ..all.clone()
            },
            vec!["Brass desk lamp", "Wireless earbuds"],
        ),
        (
            SearchQuery {
                free_shipping: true,
                deliver_to: Some(cc("US")),
                ..all.clone()
            },
            vec!["Brass desk lamp"],
        ),
        (
            SearchQuery {
                free_shipping: true,
                ..all.clone()
            },
            vec![
                "Wireless headphones with noise cancelling",
                "Brass desk lamp",
            ],
        ),
        (
            SearchQuery {
                min_rating_x100: Some(380),
                ..all.clone()
            },
            vec![
                "Wireless headphones with noise cancelling",
                "Fast USB charger",
            ],
        ),
        (
            SearchQuery {
                store_id: Some(catalog.store_b),
                ..all.clone()
            },
            vec!["Brass desk lamp", "Wireless earbuds"],
        ),
    ];
    for (query, expected) in cases {
        let mut got = titles(&index, &catalog, &query);
        got.sort();
        let mut expected: Vec<String> = expected.into_iter().map(String::from).collect();
        expected.sort();
        assert_eq!(got, expected, "{query:?}");
    }
}

#[test]
fn facets_count_every_match_under_the_filters() {
    let (index, _) = indexed();
    let query = SearchQuery {
        deliver_to: Some(cc("US")),
        limit: 1,
        ..Default::default()
    };
    let results = index.search(&query).unwrap();
    assert_eq!(results.total, 4);
    assert_eq!(results.hits.len(), 1, "a page of one, counts over all four");
    let f = &results.facets;
    assert_eq!(
        f.categories,
        [("electronics".to_string(), 3), ("home".to_string(), 1)]
    );
    assert_eq!(f.ships_from, [("CN".to_string(), 3), ("DE".to_string(), 1)]);
    let prices: Vec<u64> = f.price.iter().map(|b| b.count).collect();
    assert_eq!(prices, [0, 1, 2, 1, 0], "1299 | 2500, 4999 | 8900");
    assert_eq!(f.delivery_within, [(7, 0), (14, 2), (30, 4)]);
    assert_eq!(
        (f.guaranteed_genuine, f.verified_seller, f.free_shipping),
        (1, 2, 1)
    );
    assert_eq!(f.rating_at_least, [(450, 1), (400, 1), (300, 3)]);

    // With words the destination's facets are read per match; without,
    // they are counted as narrowed queries. Both plans must agree.
    let worded = SearchQuery {
        text: "wireless lamp headphones earbuds charger".into(),
        ..query.clone()
    };
    assert_eq!(index.search(&worded).unwrap().total, 0);
    for (text, within, free) in [
        ("wireless", [(7, 0), (14, 1), (30, 2)], 0),
        ("lamp", [(7, 0), (14, 1), (30, 1)], 1),
    ] {
        let with_words = SearchQuery {
            text: text.into(),
            ..query.clone()
        };
        let f = index.search(&with_words).unwrap().facets;
        assert_eq!(f.delivery_within, within, "{text}");
        assert_eq!(f.free_shipping, free, "{text}");
    }
    let lamp_by_filter = SearchQuery {
        category: Some("home".into()),
        ..query.clone()
    };
    let f = index.search(&lamp_by_filter).unwrap().facets;
    assert_eq!(
        (f.delivery_within, f.free_shipping),
        (vec![(7, 0), (14, 1), (30, 1)], 1)
    );

    let electronics = SearchQuery {
        category: Some("electronics".into()),
        ..query
    };
    let f = index.search(&electronics).unwrap().facets;
    assert_eq!(f.categories, [("electronics".to_string(), 3)]);
    assert_eq!(f.verified_seller, 1);
}

#[test]
fn every_sort_orders_the_results() {
    let (index, catalog) = indexed();
    let by = |sort| {
        titles(
            &index,
            &catalog,
            &SearchQuery {
                sort,
                limit: 20,
                ..Default::default()
            },
        )
    };
    let first = |sort| by(sort)[0].clone();
    assert_eq!(first(Sort::MostSold), "Fast USB charger");
    assert_eq!(
        first(Sort::BestMatch),
        "Fast USB charger",
        "without words: most sold"
    );
    assert_eq!(
        by(Sort::PriceAscending),
        [
            "Fast USB charger",
            "Wireless earbuds",
            "Wireless headphones with noise cancelling",
            "Brass desk lamp"
        ]
    );
    assert_eq!(first(Sort::PriceDescending), "Brass desk lamp");
    assert_eq!(
        first(Sort::Rating),
        "Wireless headphones with noise cancelling"
    );
    assert_eq!(first(Sort::Newest), "Brass desk lamp");
    assert_eq!(by(Sort::Newest).last().unwrap(), "Wireless earbuds");
    for sort in Sort::ALL {
        assert_eq!(Sort::parse(sort.as_str()), Some(sort));
    }
}

#[test]
fn pages_follow_one_another() {
    let (index, catalog) = indexed();
    let page = |offset| {
        titles(
            &index,
            &catalog,
            &SearchQuery {
                sort: Sort::PriceAscending,
                offset,
                limit: 2,
                ..Default::default()
            },
        )
    };
    assert_eq!(page(0), ["Fast USB charger", "Wireless earbuds"]);
    assert_eq!(
        page(2),
        [
            "Wireless headphones with noise cancelling",
            "Brass desk lamp"
        ]
    );
    assert!(page(4).is_empty());
}

#[test]
fn changes_replace_remove_and_drop_whole_stores() {
    let (index, catalog) = indexed();
    let mut charger = catalog.docs[1].clone();
    charger.title = "Fast USB-C charger".into();
    index
        .apply(&[Change::Upsert(Box::new(charger.clone()))], 8)
        .unwrap();
    assert_eq!(index.len(), 4, "an upsert replaces, never duplicates");
    assert_eq!(
        index.search(&q("usb")).unwrap().hits[0].listing_id,
        charger.listing_id
    );
    assert_eq!(index.position().unwrap(), Some(8));

    index
        .apply(&[Change::Remove(charger.listing_id)], 9)
        .unwrap();
    assert_eq!(index.search(&q("charger")).unwrap().total, 0);
    index
        .apply(&[Change::RemoveStore(catalog.store_b)], 10)
        .unwrap();
    assert_eq!(index.len(), 1);
    assert_eq!(
        index
            .search(&SearchQuery {
                limit: 5,
                ..Default::default()
            })
            .unwrap()
            .hits[0]
            .listing_id,
        catalog.docs[0].listing_id
    );
    let _ = catalog.store_a;
}

#[test]
fn a_directory_index_keeps_its_documents_and_position_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = SearchIndex::open_dir(dir.path()).unwrap();
        assert_eq!(index.position().unwrap(), None, "never built");
        index.rebuild([catalog().docs], 42).unwrap();
    }
    let reopened = SearchIndex::open_dir(dir.path()).unwrap();
    assert_eq!(reopened.position().unwrap(), Some(42));
    assert_eq!(reopened.len(), 4);
    assert_eq!(reopened.search(&q("lamp")).unwrap().total, 1);
}

#[test]
fn a_synthetic_catalog_indexes_and_answers_its_query_mix() {
    let index = SearchIndex::in_memory();
    let docs: Vec<_> = (0..5_000)
        .map(|n| haven_search::synth::listing(3, n, 200))
        .collect();
    index
        .rebuild(docs.chunks(1_000).map(<[_]>::to_vec), 1)
        .unwrap();
    assert_eq!(index.len(), 5_000);
    let mut rng = haven_search::synth::Rng::new(9);
    let mut answered = 0;
    for _ in 0..50 {
        let text = haven_search::synth::query_words(&mut rng);
        let results = index.search(&q(&text)).unwrap();
        answered += usize::from(results.total > 0);
    }
    assert!(
        answered >= 45,
        "most synthetic queries find something: {answered}/50"
    );
}

#[test]
fn a_rest_of_world_line_covers_every_country_not_named() {
    let (index, catalog) = indexed();
    let mut lamp = catalog.docs[2].clone();
    // Named: US in 12 days (free). Elsewhere: 30 days, free.
    lamp.rest_of_world = Some((30, true));
    index
        .apply(&[Change::Upsert(Box::new(lamp.clone()))], 8)
        .unwrap();
    let to = |country: &str, max_days: Option<u32>, free: bool, text: &str| {
        let query = SearchQuery {
            text: text.into(),
            deliver_to: Some(cc(country)),
            max_delivery_days: max_days,
            free_shipping: free,
            limit: 20,
            ..Default::default()
        };
        titles(&index, &catalog, &query)
    };
    for text in ["", "lamp"] {
        // Japan is not named: the rest-of-world line answers.
        assert_eq!(to("JP", None, false, text), ["Brass desk lamp"], "{text:?}");
        assert_eq!(
            to("JP", Some(30), true, text),
            ["Brass desk lamp"],
            "{text:?}"
        );
        assert!(to("JP", Some(29), false, text).is_empty(), "{text:?}");
        // The US is named (12 days): its own line wins.
        assert_eq!(
            to("US", Some(12), true, text),
            ["Brass desk lamp"],
            "{text:?}"
        );
    }
    // Germany is named by the others but not the lamp: elsewhere applies,
    // and hits from both branches merge in one order, page by page.
    let de = |sort, offset, limit| {
        let query = SearchQuery {
            deliver_to: Some(cc("DE")),
            sort,
            offset,
            limit,
            ..Default::default()
        };
        titles(&index, &catalog, &query)
    };
    assert_eq!(
        de(Sort::PriceAscending, 0, 20),
        [
            "Fast USB charger",
            "Wireless earbuds",
            "Wireless headphones with noise cancelling",
            "Brass desk lamp"
        ]
    );
    assert_eq!(
        de(Sort::PriceDescending, 0, 2),
        [
            "Brass desk lamp",
            "Wireless headphones with noise cancelling"
        ]
    );
    assert_eq!(
        de(Sort::PriceDescending, 2, 2),
        ["Wireless earbuds", "Fast USB charger"]
    );
    assert_eq!(de(Sort::Newest, 0, 1), ["Brass desk lamp"]);
    // Both facet plans agree on the rest of the world.
    for text in ["", "lamp"] {
        let query = SearchQuery {
            text: text.into(),
            category: Some("home".into()),
            deliver_to: Some(cc("JP")),
            limit: 5,
            ..Default::default()
        };
        let f = index.search(&query).unwrap().facets;
        assert_eq!(f.delivery_within, [(7, 0), (14, 0), (30, 1)], "{text:?}");
        assert_eq!(f.free_shipping, 1, "{text:?}");
    }
}

#[test]
fn a_rebuild_rolled_back_half_way_leaves_the_old_index_whole() {
    let (index, catalog) = indexed();
    index.begin_rebuild().unwrap();
    index.add_documents(&catalog.docs[..1]).unwrap();
    index.rollback().unwrap();
    // The next commit (a catch-up) must not publish the half-built index.
    index.apply(&[], 8).unwrap();
    assert_eq!(index.len(), 4);
    assert_eq!(index.position().unwrap(), Some(8));
}

#[test]
fn listings_whose_price_the_clock_changes_come_due_for_repricing_once_replaced() {
    let index = SearchIndex::in_memory();
    let store = Uuid::now_v7();
    let plain = doc("Plain mug", "home", store, 1_000);
    let mut starts = doc("Deal mug", "home", store, 1_000);
    starts.reprice_at_s = Some(1_000);
    let mut ends = doc("Deal teapot", "home", store, 600);
    ends.reprice_at_s = Some(2_000);
    index
        .rebuild([vec![plain, starts.clone(), ends.clone()]], 1)
        .unwrap();
    assert!(index.due_for_reprice(999, 10).unwrap().is_empty());
    assert_eq!(
        index.due_for_reprice(1_000, 10).unwrap(),
        vec![starts.listing_id]
    );
    let mut due = index.due_for_reprice(5_000, 10).unwrap();
    due.sort();
    let mut both = vec![starts.listing_id, ends.listing_id];
    both.sort();
    assert_eq!(due, both);
    assert_eq!(index.due_for_reprice(5_000, 1).unwrap().len(), 1);
    // Indexed afresh at its deal price, until the deal ends.
    starts.price_minor = 700;
    starts.reprice_at_s = Some(3_000);
    index
        .apply(&[Change::Upsert(Box::new(starts.clone()))], 2)
        .unwrap();
    assert_eq!(
        index.due_for_reprice(2_500, 10).unwrap(),
        vec![ends.listing_id]
    );
    let cheapest = index
        .search(&SearchQuery {
            sort: Sort::PriceAscending,
            ..q("mug")
        })
        .unwrap();
    assert_eq!(cheapest.hits[0].listing_id, starts.listing_id);
}
