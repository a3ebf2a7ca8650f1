//! Train the scanner's learned model from the labelled training corpus
//! (`corpus/messages.jsonl` and `corpus/train/*.jsonl`; never the frozen
//! evaluation set) and write `model/scanner.bin`.
//!
//! The thresholds that decide when the model adds or clears a category are
//! chosen by 5-fold cross-validation: every message is scored by a model
//! that never saw it, combined with the rules exactly as the scanner does,
//! and the pair that best trades scams caught against benign messages
//! flagged wins.
//!
//! `cargo run -p haven-risk --release --bin train-scanner-model`

use std::path::{Path, PathBuf};

use haven_risk::scanner::evaluate::Label;
use haven_risk::scanner::model::{self, Features, LinearModel};
use haven_risk::scanner::{
    Category, Scanner, ScannerConfig, Sender, Stage, Verdict, combine, default_carrier_domains,
};

const EPOCHS: usize = 12;
const FOLDS: usize = 5;
/// A benign message flagged costs this many caught scams.
const FALSE_POSITIVE_COST: f64 = 3.0;

#[derive(serde::Deserialize)]
struct Message {
    from: Sender,
    stage: Stage,
    text: String,
    label: Label,
}

struct Example {
    features: Features,
    labels: [bool; model::OUTPUTS],
    label: Label,
    rule_findings: Vec<(Category, String)>,
}

fn corpus_files(root: &Path) -> Vec<PathBuf> {
    let mut files = vec![root.join("corpus/messages.jsonl")];
    let mut train: Vec<PathBuf> = std::fs::read_dir(root.join("corpus/train"))
        .map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    train.retain(|p| p.extension().is_some_and(|e| e == "jsonl"));
    train.sort();
    files.extend(train);
    files
}

fn load(root: &Path, scanner: &Scanner) -> Vec<Example> {
    let mut examples = Vec::new();
    for path in corpus_files(root) {
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        for (number, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let message: Message = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), number + 1));
            let labels = std::array::from_fn(|i| match Category::ALL.get(i) {
                Some(category) => message.label.categories.contains(category),
                None => message.label.verdict != Verdict::Allow,
            });
            let rules = scanner.scan_rules_only(&message.text, message.stage, message.from);
            examples.push(Example {
                features: model::features(&message.text, message.stage, message.from),
                labels,
                rule_findings: rules
                    .categories
                    .iter()
                    .map(|c| (*c, String::new()))
                    .collect(),
                label: message.label,
            });
        }
    }
    examples
}

/// (scams caught with a right category, scams, benign flagged, benign).
fn score(
    examples: &[Example],
    probabilities: &[[f32; model::OUTPUTS]],
    flag_at: f32,
    clear_below: f32,
) -> (u32, u32, u32, u32) {
    let (mut caught, mut scams, mut flagged, mut benign) = (0, 0, 0, 0);
    for (example, p) in examples.iter().zip(probabilities) {
        let mut items = example.rule_findings.clone();
        combine(&mut items, p, flag_at, clear_below);
        let is_flagged = !items.is_empty();
        if example.label.verdict == Verdict::Allow {
            benign += 1;
            flagged += u32::from(is_flagged);
        } else {
            scams += 1;
            let right = items
                .iter()
                .any(|(c, _)| example.label.categories.contains(c));
            caught += u32::from(is_flagged && right);
        }
    }
    (caught, scams, flagged, benign)
}

fn training_set(
    examples: &[Example],
    skip_fold: Option<usize>,
) -> Vec<(Features, [bool; model::OUTPUTS])> {
    examples
        .iter()
        .enumerate()
        .filter(|(i, _)| skip_fold != Some(i % FOLDS))
        .map(|(_, e)| (e.features.clone(), e.labels))
        .collect()
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let scanner = Scanner::new(ScannerConfig {
        brand: "Haven".into(),
        own_domains: vec!["haven-market.com".into(), "haven.example".into()],
        carrier_domains: default_carrier_domains(),
    });
    let examples = load(&root, &scanner);
    println!("{} labelled training messages", examples.len());

    // Out-of-fold probabilities: each message scored by a model that never saw it.
    let mut out_of_fold = vec![[0.0_f32; model::OUTPUTS]; examples.len()];
    for fold in 0..FOLDS {
        let trained = model::train(&training_set(&examples, Some(fold)), EPOCHS);
        for (i, example) in examples.iter().enumerate() {
            if i % FOLDS == fold {
                out_of_fold[i] = std::array::from_fn(|c| trained.probability(c, &example.features));
            }
        }
    }

    let report = |name: &str, (caught, scams, flagged, benign): (u32, u32, u32, u32)| {
        println!(
            "{name}: scams caught {:.3} ({caught}/{scams}), benign flagged {:.3} ({flagged}/{benign})",
            f64::from(caught) / f64::from(scams.max(1)),
            f64::from(flagged) / f64::from(benign.max(1)),
        );
    };
    report(
        "rules only (cross-validation)",
        score(&examples, &out_of_fold, 2.0, 0.0),
    );
    let mut best = (f64::MIN, 2.0_f32, 0.0_f32);
    for flag_step in 4..20 {
        let flag_at = flag_step as f32 * 0.05;
        for clear_below in [0.0_f32, 0.1, 0.2, 0.3, 0.4, 0.5] {
            let (caught, scams, flagged, benign) =
                score(&examples, &out_of_fold, flag_at, clear_below);
            let objective = f64::from(caught) / f64::from(scams.max(1))
                - FALSE_POSITIVE_COST * f64::from(flagged) / f64::from(benign.max(1));
            if std::env::var_os("TRAIN_VERBOSE").is_some() {
                println!(
                    "  flag at {flag_at:.2} clear below {clear_below:.2}: caught {caught}/{scams}, flagged {flagged}/{benign}"
                );
            }
            if objective > best.0 {
                best = (objective, flag_at, clear_below);
            }
        }
    }
    let (_, flag_at, clear_below) = best;
    report(
        &format!(
            "rules + model, flag at {flag_at:.2}, clear below {clear_below:.2} (cross-validation)"
        ),
        score(&examples, &out_of_fold, flag_at, clear_below),
    );

    let trained = model::train(&training_set(&examples, None), EPOCHS);
    let shipped = LinearModel::quantise(&trained, flag_at, clear_below);
    let path = root.join("model/scanner.bin");
    std::fs::write(&path, shipped.to_bytes()).expect("writing the model");
    println!(
        "wrote {} ({} bytes)",
        path.display(),
        shipped.to_bytes().len()
    );
}
