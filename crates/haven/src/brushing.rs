//! `haven brushing detect` and `haven bench brushing`: the brushing (fake
//! review) detector of haven-risk over JSON Lines, and its benchmark on a
//! generated marketplace. The engine is the one the server runs.

use std::io::{BufRead, Write};

use clap::Args;
use haven_risk::brushing::eval::bench;
use haven_risk::brushing::synth::SynthParams;
use haven_risk::brushing::{Params, detect, parse_review};

/// Read reviews (one JSON object per line) from `input`, write one line
/// `{"id","score","reasons"}` per flagged review to `output`. Malformed
/// lines are skipped and reported on stderr; returns how many there were.
pub fn detect_jsonl(input: impl BufRead, mut output: impl Write) -> anyhow::Result<usize> {
    let mut reviews = Vec::new();
    let mut malformed = 0;
    for (index, line) in input.split(b'\n').enumerate() {
        let line = line?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = std::str::from_utf8(&line)
            .map_err(|e| e.to_string())
            .and_then(parse_review);
        match parsed {
            Ok(review) => reviews.push(review),
            Err(message) => {
                malformed += 1;
                eprintln!("line {}: skipped: {message}", index + 1);
            }
        }
    }
    for flag in detect(&reviews, &Params::default()) {
        serde_json::to_writer(&mut output, &flag)?;
        output.write_all(b"\n")?;
    }
    output.flush()?;
    Ok(malformed)
}

/// `haven bench brushing`: generate a marketplace with planted rings, run
/// the detector and two simple baselines, print precision, recall and F1.
#[derive(Args, Clone, Debug)]
pub struct BrushingBenchArgs {
    /// Reviews in the generated marketplace.
    #[arg(long, default_value_t = 1_000_000)]
    pub reviews: usize,
    /// Generator seed: the same seed gives the same marketplace.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Stores (default: one per 100 reviews).
    #[arg(long)]
    pub stores: Option<usize>,
}

pub fn run_bench(args: &BrushingBenchArgs) -> anyhow::Result<()> {
    let synth = SynthParams {
        reviews: args.reviews,
        seed: args.seed,
        stores: args.stores,
        ..SynthParams::default()
    };
    print!("{}", bench(&synth));
    println!(
        "peak memory (VmHWM): {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
    Ok(())
}

/// VmHWM from /proc/self/status (Linux), e.g. "775 MiB".
fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.0} MiB", kib / 1024.0))
}
