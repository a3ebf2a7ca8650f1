//! `haven scan`: the message scanner over JSON Lines, for operators who want
//! to check a batch of messages (or tune config) with the engine the server
//! uses. One result line per input line, in order.

use std::io::{BufRead, Write};

use haven_risk::scanner::evaluate::{Evaluation, Label};
use haven_risk::scanner::{Scanner, ScannerConfig, Sender, Stage, default_carrier_domains};
use serde::{Deserialize, Serialize};

/// One message. Fields the scanner does not use are ignored, so a labelled
/// export can be piped in as it is; `lang` and `label` count only with
/// `--evaluate`.
#[derive(Deserialize)]
struct Input {
    id: serde_json::Value,
    from: Sender,
    stage: Stage,
    text: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    label: Option<Label>,
}

#[derive(Serialize)]
struct Output<'a> {
    id: &'a serde_json::Value,
    verdict: haven_risk::scanner::Verdict,
    categories: &'a [haven_risk::scanner::Category],
    reasons: &'a [String],
}

/// How `haven scan` runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mode {
    /// Print only the report over labelled lines.
    pub evaluate: bool,
    /// The rules alone, without the learned model.
    pub rules_only: bool,
}

/// Longest line read; longer ones are answered with an error line.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Scan stdin to stdout: one answer per line, or with `evaluate` only the
/// report over the labelled lines. Returns how many lines could not be read.
pub fn run(
    brand: String,
    domains: Vec<String>,
    mode: Mode,
    input: impl BufRead,
    mut output: impl Write,
) -> anyhow::Result<u64> {
    let mut evaluation = Evaluation::default();
    let mut unlabelled = 0_u64;
    let scanner = Scanner::new(ScannerConfig {
        brand,
        own_domains: domains,
        carrier_domains: default_carrier_domains(),
    });
    let scan = |msg: &Input| {
        if mode.rules_only {
            scanner.scan_rules_only(&msg.text, msg.stage, msg.from)
        } else {
            scanner.scan(&msg.text, msg.stage, msg.from)
        }
    };
    let mut failures = 0;
    for (index, line) in input.split(b'\n').enumerate() {
        let line = line?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line_no = index + 1;
        let parsed = if line.len() > MAX_LINE_BYTES {
            Err(format!("line is longer than {MAX_LINE_BYTES} bytes"))
        } else {
            serde_json::from_slice::<Input>(&line).map_err(|e| e.to_string())
        };
        match parsed {
            Ok(msg) if mode.evaluate => {
                let result = scan(&msg);
                match &msg.label {
                    Some(label) => evaluation.add(msg.lang.as_deref(), label, &result),
                    None => unlabelled += 1,
                }
                continue;
            }
            Ok(msg) => {
                let result = scan(&msg);
                let out = Output {
                    id: &msg.id,
                    verdict: result.verdict,
                    categories: &result.categories,
                    reasons: &result.reasons,
                };
                serde_json::to_writer(&mut output, &out)?;
            }
            Err(error) => {
                failures += 1;
                let out = serde_json::json!({ "line": line_no, "error": error });
                serde_json::to_writer(&mut output, &out)?;
            }
        }
        output.write_all(b"\n")?;
    }
    if mode.evaluate {
        output.write_all(evaluation.report().as_bytes())?;
        if unlabelled > 0 {
            writeln!(
                output,
                "{unlabelled} line(s) had no label and were not counted"
            )?;
        }
    }
    output.flush()?;
    Ok(failures)
}
