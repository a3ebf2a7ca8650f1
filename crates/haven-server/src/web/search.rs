//! The search page: words, facets as links that add or remove one filter,
//! sorts, the destination, and pages.

use super::filters;
use askama::Template;
use axum::extract::State;
use haven_domain::money::Money;

use super::OrBack;
use super::{AppState, Layout, Member, Path, Query, Visitor, WebResult, parse_form, render};
use crate::api::extract::{RawBody, path_id};
use crate::api::search::SearchParams;
use crate::error::ApiError;
use crate::views::ListingView;
use haven_domain::ids::ListingId;

/// One choice in a facet: following its link adds the filter (or removes
/// it, when it is already on).
pub struct FacetLink {
    pub label: String,
    pub count: u64,
    pub url: String,
    pub on: bool,
}

pub struct FacetGroup {
    pub title: &'static str,
    pub links: Vec<FacetLink>,
}

pub struct SortLink {
    pub label: &'static str,
    pub url: String,
    pub on: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    layout: Layout,
    q: String,
    to: String,
    total: u64,
    listings: Vec<ListingView>,
    /// For each listing's card: a running deal's price, shown over the
    /// struck regular one (search sorts and filters by it).
    now: jiff::Timestamp,
    groups: Vec<FacetGroup>,
    sorts: Vec<SortLink>,
    /// Every other parameter, for the destination form to keep.
    hidden: Vec<(String, String)>,
    clear_url: Option<String>,
    previous_url: Option<String>,
    next_url: Option<String>,
}

/// The page's URL with `change` applied (and back to the first page).
fn url_with(params: &SearchParams, change: impl FnOnce(&mut SearchParams)) -> String {
    let mut next = params.clone();
    next.offset = None;
    change(&mut next);
    format!(
        "/search?{}",
        serde_urlencoded::to_string(&next).unwrap_or_default()
    )
}

fn toggle_flag(flag: &mut Option<bool>) {
    *flag = if *flag == Some(true) {
        None
    } else {
        Some(true)
    };
}

fn toggle_value(slot: &mut Option<String>, value: &str) {
    *slot = if slot.as_deref() == Some(value) {
        None
    } else {
        Some(value.to_string())
    };
}

fn value_links(
    params: &SearchParams,
    counts: &[(String, u64)],
    current: Option<&str>,
    set: fn(&mut SearchParams, &str),
) -> Vec<FacetLink> {
    counts
        .iter()
        .map(|(value, count)| FacetLink {
            label: value.clone(),
            count: *count,
            url: url_with(params, |p| set(p, value)),
            on: current == Some(value.as_str()),
        })
        .collect()
}

fn price_links(
    params: &SearchParams,
    facets: &haven_search::Facets,
    app: &haven_app::App,
) -> Vec<FacetLink> {
    let money = |minor: u64| Money::new(minor as i64, app.currency());
    facets
        .price
        .iter()
        .filter(|b| b.count > 0)
        .map(|bucket| {
            let min = (bucket.min_minor > 0).then(|| money(bucket.min_minor).decimal());
            // The bucket's bound is exclusive; the filter's maximum is not.
            let max = bucket.max_minor.map(|m| money(m - 1).decimal());
            let label = match (&min, bucket.max_minor) {
                (None, Some(high)) => format!("Under {}", super::shown(money(high))),
                (Some(_), Some(high)) => format!(
                    "{} to {}",
                    super::shown(money(bucket.min_minor)),
                    super::shown(money(high))
                ),
                _ => format!("{} and up", super::shown(money(bucket.min_minor))),
            };
            let on = params.price_min == min && params.price_max == max;
            FacetLink {
                label,
                count: bucket.count,
                url: url_with(params, |p| {
                    if on {
                        (p.price_min, p.price_max) = (None, None);
                    } else {
                        (p.price_min, p.price_max) = (min.clone(), max.clone());
                    }
                }),
                on,
            }
        })
        .collect()
}

fn badge_links(params: &SearchParams, f: &haven_search::Facets) -> Vec<FacetLink> {
    let free_label = match &params.to {
        Some(to) if !to.is_empty() => super::i18n::tr_with("Free shipping to {}", to),
        _ => super::i18n::tr("Free shipping"),
    };
    vec![
        FacetLink {
            label: super::i18n::tr("Guaranteed Genuine"),
            count: f.guaranteed_genuine,
            url: url_with(params, |p| toggle_flag(&mut p.genuine)),
            on: params.genuine == Some(true),
        },
        FacetLink {
            label: super::i18n::tr("Verified seller"),
            count: f.verified_seller,
            url: url_with(params, |p| toggle_flag(&mut p.verified)),
            on: params.verified == Some(true),
        },
        FacetLink {
            label: free_label,
            count: f.free_shipping,
            url: url_with(params, |p| toggle_flag(&mut p.free_shipping)),
            on: params.free_shipping == Some(true),
        },
    ]
}

fn groups(
    params: &SearchParams,
    f: &haven_search::Facets,
    app: &haven_app::App,
) -> Vec<FacetGroup> {
    let mut groups = vec![
        FacetGroup {
            title: "Category",
            links: value_links(params, &f.categories, params.category.as_deref(), |p, v| {
                toggle_value(&mut p.category, v)
            }),
        },
        FacetGroup {
            title: "Price",
            links: price_links(params, f, app),
        },
        FacetGroup {
            title: "Buyer safety",
            links: badge_links(params, f),
        },
    ];
    if !f.delivery_within.is_empty() {
        groups.push(FacetGroup {
            title: "Delivery",
            links: f
                .delivery_within
                .iter()
                .map(|(days, count)| FacetLink {
                    label: super::i18n::tr_with("Within {} days", days),
                    count: *count,
                    url: url_with(params, |p| {
                        p.max_days = (p.max_days != Some(*days)).then_some(*days)
                    }),
                    on: params.max_days == Some(*days),
                })
                .collect(),
        });
    }
    groups.push(FacetGroup {
        title: "Ships from",
        links: value_links(
            params,
            &f.ships_from,
            params.ships_from.as_deref(),
            |p, v| toggle_value(&mut p.ships_from, v),
        ),
    });
    groups.push(FacetGroup {
        title: "Rating",
        links: f
            .rating_at_least
            .iter()
            .map(|(x100, count)| {
                let stars = format!("{}", f64::from(*x100) / 100.0);
                FacetLink {
                    label: super::i18n::tr_with("{}★ and up", &stars),
                    count: *count,
                    on: params.min_rating.as_deref() == Some(stars.as_str()),
                    url: url_with(params, |p| toggle_value(&mut p.min_rating, &stars)),
                }
            })
            .collect(),
    });
    groups
}

fn sort_links(params: &SearchParams) -> Vec<SortLink> {
    let current = params.sort.clone().unwrap_or_else(|| "best_match".into());
    [
        ("Best match", "best_match"),
        ("Most orders", "orders"),
        ("Price: low to high", "price_asc"),
        ("Price: high to low", "price_desc"),
        ("Top rated", "rating"),
        ("Newest", "newest"),
    ]
    .into_iter()
    .map(|(label, value)| SortLink {
        label,
        url: url_with(params, |p| p.sort = Some(value.to_string())),
        on: current == value,
    })
    .collect()
}

fn hidden_fields(params: &SearchParams) -> Vec<(String, String)> {
    let mut rest = params.clone();
    (rest.q, rest.to, rest.max_days, rest.offset) = (None, None, None, None);
    serde_urlencoded::to_string(&rest)
        .ok()
        .and_then(|encoded| serde_urlencoded::from_str(&encoded).ok())
        .unwrap_or_default()
}

pub async fn search(
    State(app): AppState,
    Visitor(actor): Visitor,
    Query(params): Query<SearchParams>,
) -> WebResult {
    let query = params.to_query(app.currency())?;
    let results = app.search_catalog(query.clone()).await?;
    let page_url = |offset: usize| {
        let mut p = params.clone();
        p.offset = (offset > 0).then_some(offset);
        format!(
            "/search?{}",
            serde_urlencoded::to_string(&p).unwrap_or_default()
        )
    };
    let next = query.offset + query.limit;
    let has_next = (next as u64) < results.total && next <= haven_search::MAX_OFFSET;
    let filtered = SearchParams {
        q: params.q.clone(),
        to: params.to.clone(),
        ..SearchParams::default()
    };
    let title = match params.q.as_deref().map(str::trim) {
        Some(q) if !q.is_empty() => format!("Search: {q}"),
        _ => "Search".to_string(),
    };
    Ok(render(&SearchPage {
        layout: Layout::new(&app, actor.as_ref(), title),
        q: params.q.clone().unwrap_or_default(),
        to: params.to.clone().unwrap_or_default(),
        total: results.total,
        listings: results.listings.iter().map(ListingView::from).collect(),
        now: app.now(),
        groups: groups(&params, &results.facets, &app),
        sorts: sort_links(&params),
        hidden: hidden_fields(&params),
        clear_url: (url_with(&filtered, |_| {}) != url_with(&params, |_| {}))
            .then(|| url_with(&filtered, |_| {})),
        previous_url: (query.offset > 0)
            .then(|| page_url(query.offset.saturating_sub(query.limit))),
        next_url: has_next.then(|| page_url(next)),
    }))
}

#[derive(serde::Deserialize)]
pub struct HoldForm {
    #[serde(default)]
    reason: String,
}

/// An agent holds (`hold`) or releases (`release`) a listing from its page.
pub async fn hold(
    State(app): AppState,
    Member(actor): Member,
    Path((id, action)): Path<(String, String)>,
    RawBody(body): RawBody,
) -> WebResult {
    let form: HoldForm = parse_form(&body)?;
    let listing: ListingId = path_id(&id, "listing")?;
    let hold = match action.as_str() {
        "hold" => true,
        "release" => false,
        _ => return Err(ApiError::not_found("action").into()),
    };
    app.set_listing_hold(&actor, listing, hold, &form.reason)
        .await
        .or_back(&format!("/listings/{listing}"))?;
    let done = if hold {
        "Listing held: it is out of browse and search and takes no orders."
    } else {
        "Listing released."
    };
    Ok(super::csrf::redirect_with_flash(
        &app,
        &format!("/listings/{listing}"),
        done,
    ))
}
