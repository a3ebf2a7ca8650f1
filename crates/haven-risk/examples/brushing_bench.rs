//! The brushing benchmark without the `haven` binary (a release build of
//! haven-risk alone is much faster to compile):
//!
//! ```sh
//! cargo run --release -p haven-risk --example brushing_bench -- --reviews 1000000 --seed 1
//! ```
//!
//! Same output as `haven bench brushing`.

use haven_risk::brushing::eval::bench;
use haven_risk::brushing::synth::SynthParams;

fn main() {
    let mut synth = SynthParams {
        reviews: 1_000_000,
        ..SynthParams::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--reviews" => synth.reviews = value.parse().expect("--reviews N"),
            "--seed" => synth.seed = value.parse().expect("--seed N"),
            "--stores" => synth.stores = Some(value.parse().expect("--stores N")),
            other => panic!("unknown argument {other}; use --reviews N --seed N --stores N"),
        }
    }
    print!("{}", bench(&synth));
    println!(
        "peak memory (VmHWM): {}",
        peak_memory().unwrap_or_else(|| "unknown".into())
    );
}

fn peak_memory() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(format!("{:.0} MiB", kib / 1024.0))
}
