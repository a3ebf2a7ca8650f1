//! Scoring the scanner against labelled messages: what `haven scan
//! --evaluate` prints and what the corpus tests enforce.
//!
//! A scam counts as caught only when the scanner flags it **and** names at
//! least one of its labelled categories (a fee scam flagged only as "contact"
//! would mislead the reader). A benign message counts as a false positive
//! when it is flagged at all.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{Category, ScanResult, Verdict};

/// A message's label, as the corpora write it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Label {
    pub verdict: Verdict,
    #[serde(default)]
    pub categories: Vec<Category>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CategoryCounts {
    pub true_positives: u32,
    pub false_positives: u32,
    pub false_negatives: u32,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct GroupCounts {
    pub scams: u32,
    /// Flagged with at least one right category.
    pub caught: u32,
    pub benign: u32,
    pub benign_flagged: u32,
}

impl GroupCounts {
    pub fn recall(&self) -> f64 {
        ratio(self.caught, self.scams)
    }

    pub fn false_positive_rate(&self) -> f64 {
        if self.benign == 0 {
            0.0
        } else {
            ratio(self.benign_flagged, self.benign)
        }
    }
}

/// Running totals over labelled messages.
#[derive(Debug, Default, Clone)]
pub struct Evaluation {
    pub total: GroupCounts,
    pub by_language: BTreeMap<String, GroupCounts>,
    pub by_category: BTreeMap<Category, CategoryCounts>,
}

fn ratio(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        1.0
    } else {
        f64::from(part) / f64::from(whole)
    }
}

impl Evaluation {
    /// Count one scanned message against its label.
    pub fn add(&mut self, language: Option<&str>, label: &Label, result: &ScanResult) {
        let flagged = result.verdict != Verdict::Allow;
        let is_scam = label.verdict != Verdict::Allow;
        let right_category = label
            .categories
            .iter()
            .any(|c| result.categories.contains(c));
        let language = language.unwrap_or("unknown").to_string();
        for counts in [
            &mut self.total,
            self.by_language.entry(language).or_default(),
        ] {
            if is_scam {
                counts.scams += 1;
                counts.caught += u32::from(flagged && right_category);
            } else {
                counts.benign += 1;
                counts.benign_flagged += u32::from(flagged);
            }
        }
        let mentioned: BTreeSet<Category> = label
            .categories
            .iter()
            .chain(&result.categories)
            .copied()
            .collect();
        for category in mentioned {
            let counts = self.by_category.entry(category).or_default();
            match (
                label.categories.contains(&category),
                result.categories.contains(&category),
            ) {
                (true, true) => counts.true_positives += 1,
                (false, true) => counts.false_positives += 1,
                (true, false) => counts.false_negatives += 1,
                (false, false) => {}
            }
        }
    }

    /// The headline: scams caught with a right category, benign flagged.
    pub fn total_line(&self) -> String {
        let t = &self.total;
        format!(
            "scams caught with a right category: {:.3} ({}/{}); benign flagged: {:.3} ({}/{})",
            t.recall(),
            t.caught,
            t.scams,
            t.false_positive_rate(),
            t.benign_flagged,
            t.benign
        )
    }

    /// A plain-text report: totals, then per category, then per language.
    pub fn report(&self) -> String {
        let mut out = self.total_line();
        out.push('\n');
        let _ = writeln!(
            out,
            "\n{:<26} {:>9} {:>7} {:>5} {:>5} {:>5}",
            "category", "precision", "recall", "tp", "fp", "fn"
        );
        for (category, c) in &self.by_category {
            let name = category.as_str();
            let _ = writeln!(
                out,
                "{name:<26} {:>9.3} {:>7.3} {:>5} {:>5} {:>5}",
                ratio(c.true_positives, c.true_positives + c.false_positives),
                ratio(c.true_positives, c.true_positives + c.false_negatives),
                c.true_positives,
                c.false_positives,
                c.false_negatives
            );
        }
        let _ = writeln!(
            out,
            "\n{:<10} {:>7} {:>10} {:>9} {:>10}",
            "language", "recall", "caught", "fp rate", "flagged"
        );
        for (language, g) in &self.by_language {
            let _ = writeln!(
                out,
                "{language:<10} {:>7.3} {:>10} {:>9.3} {:>10}",
                g.recall(),
                format!("{}/{}", g.caught, g.scams),
                g.false_positive_rate(),
                format!("{}/{}", g.benign_flagged, g.benign)
            );
        }
        out
    }
}
