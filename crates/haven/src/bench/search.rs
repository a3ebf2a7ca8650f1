//! `haven bench search`: build the catalog index from a generated catalog
//! and time a mix of buyer searches against it, facets included.

use std::time::{Duration, Instant};

use clap::Args;
use haven_search::synth::{self, Rng};
use haven_search::{CountryCode, SearchIndex, SearchQuery, Sort};

#[derive(Args, Clone)]
pub struct SearchBenchArgs {
    /// Listings in the generated catalog.
    #[arg(long, default_value_t = 1_000_000)]
    pub listings: u64,
    /// Stores the listings spread over.
    #[arg(long, default_value_t = 20_000)]
    pub stores: u64,
    /// Searches to time (after 200 warm-up searches).
    #[arg(long, default_value_t = 5_000)]
    pub queries: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// The buyer searches the mix draws from, with their share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Shape {
    /// Words only, best match.
    Words,
    /// Words, a destination with a delivery limit, a price range, a sort.
    WordsAndFilters,
    /// A category page: no words, badges, sorted by orders.
    Browse,
    /// No words, no filters: the whole catalog counted into facets.
    Everything,
}

fn draw(rng: &mut Rng) -> (Shape, SearchQuery) {
    let countries = synth::country_names();
    let to = CountryCode::parse(countries[rng.below(countries.len() as u64) as usize]);
    let base = SearchQuery {
        limit: 24,
        ..Default::default()
    };
    match rng.below(10) {
        0..=3 => (
            Shape::Words,
            SearchQuery {
                text: synth::query_words(rng),
                ..base
            },
        ),
        4..=7 => {
            let low = rng.below(5_000);
            let sort = [
                Sort::BestMatch,
                Sort::PriceAscending,
                Sort::MostSold,
                Sort::Rating,
            ][rng.below(4) as usize];
            (
                Shape::WordsAndFilters,
                SearchQuery {
                    text: synth::query_words(rng),
                    deliver_to: to,
                    max_delivery_days: Some(14 + rng.below(20) as u32),
                    price_min_minor: Some(low),
                    price_max_minor: Some(low + 10_000),
                    sort,
                    ..base
                },
            )
        }
        8 => {
            let category = synth::category_names()
                .nth(rng.below(8) as usize)
                .map(String::from);
            (
                Shape::Browse,
                SearchQuery {
                    category,
                    deliver_to: to,
                    guaranteed_genuine: rng.below(2) == 0,
                    free_shipping: rng.below(2) == 0,
                    sort: Sort::MostSold,
                    ..base
                },
            )
        }
        _ => (
            Shape::Everything,
            SearchQuery {
                deliver_to: to,
                ..base
            },
        ),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub fn run(args: &SearchBenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let index = SearchIndex::open_dir(dir.path())?;
    let started = Instant::now();
    let docs: Vec<_> = (0..args.listings)
        .map(|n| synth::listing(args.seed, n, args.stores))
        .collect();
    let generated = started.elapsed();
    let started = Instant::now();
    let added = index.rebuild(docs.chunks(10_000).map(<[_]>::to_vec), 1)?;
    let build = started.elapsed();
    drop(docs);
    println!(
        "index build: {added} listings in {:.1} s = {:.0} listings/s (on disk, committed; generating them took {:.1} s more)",
        build.as_secs_f64(),
        added as f64 / build.as_secs_f64(),
        generated.as_secs_f64()
    );
    let mut rng = Rng::new(args.seed ^ 0x5EA6C4);
    for _ in 0..200 {
        index.search(&draw(&mut rng).1)?;
    }
    let mut by_shape: std::collections::BTreeMap<Shape, Vec<Duration>> = Default::default();
    let mut all = Vec::with_capacity(args.queries);
    let mut matched = 0u64;
    for _ in 0..args.queries {
        let (shape, query) = draw(&mut rng);
        let started = Instant::now();
        let results = index.search(&query)?;
        let took = started.elapsed();
        matched += u64::from(results.total > 0);
        by_shape.entry(shape).or_default().push(took);
        all.push(took);
    }
    all.sort();
    println!(
        "searches: {} (with facets; {} found something): p50 {} p95 {} p99 {} max {}",
        all.len(),
        matched,
        ms(percentile(&all, 0.50)),
        ms(percentile(&all, 0.95)),
        ms(percentile(&all, 0.99)),
        ms(*all.last().expect("at least one search"))
    );
    for (shape, mut times) in by_shape {
        times.sort();
        println!(
            "  {shape:?}: {} searches, p50 {} p99 {}",
            times.len(),
            ms(percentile(&times, 0.50)),
            ms(percentile(&times, 0.99))
        );
    }
    Ok(())
}
