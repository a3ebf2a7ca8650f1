//! The learned half of the scanner: one logistic model per category over
//! hashed character n-grams and words, trained from the labelled corpus by
//! `cargo run -p haven-risk --release --bin train-scanner-model` and shipped
//! as `model/scanner.bin` (embedded at build time; nothing is loaded or
//! downloaded at run time).
//!
//! The rules stay in charge of explanations: the model only adds a category
//! the rules missed when it is confident, with a reason saying so, and may
//! clear a *warning* the rules raised when it finds the message clearly
//! benign. Its thresholds are chosen by cross-validation on the training
//! corpus when it is trained, never on the frozen evaluation set.
//!
//! The choices below (bucket count, which n-grams, sublinear counts) were
//! made by leave-one-writer-group-out cross-validation, which rewards what
//! carries over to text written by other hands: 2^19 buckets (fewer
//! collisions between the many rare words and pairs of twelve languages),
//! character bigrams rather than 2–4-grams (longer grams mostly learn a
//! writer's phrasing), Han/kana/hangul characters on their own, and
//! `log2(1 + count)` so a repeated word does not dominate a message. A
//! message of a word or two is scaled down rather than up to unit length,
//! so "ok" from a seller is not judged by its stage and sender alone.

use std::borrow::Cow;

use super::normalize::{base, fold_letter, is_cjk};
use super::{Category, Sender, Stage};

/// Hash buckets (shared by all outputs).
pub const BUCKETS: usize = 1 << 19;
/// `HAVENLM3`: weights stored bucket-major (all outputs of a bucket side by
/// side), so scoring a message reads one place per feature.
const MAGIC: &[u8; 8] = b"HAVENLM4";
/// One output per category, then one for "any scam".
pub const OUTPUTS: usize = Category::ALL.len() + 1;
/// The "any scam" output's index.
pub const ANY_SCAM: usize = Category::ALL.len();
const CATEGORIES: usize = OUTPUTS;

/// One message as the model sees it: sparse (bucket, value) pairs, sorted
/// by bucket, scaled to unit length (less for a very short message).
pub type Features = Vec<(u32, f32)>;

/// A category's index in [`Category::ALL`].
pub fn index_of(category: Category) -> usize {
    Category::ALL
        .iter()
        .position(|c| *c == category)
        .unwrap_or(0)
}

fn fnv1a(kind: u8, bytes: &[u8]) -> u32 {
    fnv1a_parts(kind, &[bytes])
}

/// FNV-1a over the parts as if concatenated, without building the string.
fn fnv1a_parts(kind: u8, parts: &[&[u8]]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5 ^ u32::from(kind);
    for byte in parts.iter().flat_map(|part| part.iter()) {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

/// A decimal digit in any common script (ASCII, full-width after NFKC,
/// Arabic-Indic, Persian, Devanagari) becomes '0': a phone number is a
/// shape, not its digits.
fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
        || ('\u{0660}'..='\u{0669}').contains(&c)
        || ('\u{06F0}'..='\u{06F9}').contains(&c)
        || ('\u{0966}'..='\u{096F}').contains(&c)
}

/// Folded text with words separated by single spaces: lower case, no
/// diacritics, look-alike letters sent to their skeleton, invisible
/// characters gone, digits as '0', and the symbols links and money are
/// made of kept.
fn folded(text: &str) -> String {
    let view = base(text);
    let mut out = String::with_capacity(view.text.len() + 2);
    out.push(' ');
    for c in view.text.chars() {
        if is_digit(c) {
            out.push('0');
        } else if c.is_alphabetic() {
            fold_letter(c, &mut |f| out.push(f));
        } else if matches!(
            c,
            '.' | '/' | '@' | ':' | '$' | '€' | '%' | '+' | '#' | '_' | '-'
        ) {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// The features of one message: character bigrams of the folded text,
/// 5-grams of it without separators, each Han, kana or hangul character,
/// words and word pairs, and the stage and sender.
pub fn features(text: &str, stage: Stage, from: Sender) -> Features {
    let text = folded(text);
    let chars: Vec<char> = text.chars().collect();
    let mut raw: Vec<u32> = Vec::with_capacity(chars.len() * 3);
    let mut buf = [0_u8; 32];
    let mut gram = |kind: u8, window: &[char], raw: &mut Vec<u32>| {
        let mut len = 0;
        for c in window {
            len += c.encode_utf8(&mut buf[len..]).len();
        }
        raw.push(fnv1a(kind, &buf[..len]));
    };
    for window in chars.windows(2) {
        gram(2, window, &mut raw);
    }
    // Chinese and Japanese have no spaces, so their "words" are whole
    // clauses; single characters carry the meaning.
    for c in chars.iter().filter(|c| is_cjk(**c)) {
        gram(14, std::slice::from_ref(c), &mut raw);
    }
    // The same text with separators removed, so "w h a t s a p p" and
    // "t.e.l.e.g.r.a.m" meet their plain spellings.
    let joined: Vec<char> = chars
        .iter()
        .copied()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '_' | '*'))
        .collect();
    for window in joined.windows(5) {
        gram(5, window, &mut raw);
    }
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    for word in &words {
        raw.push(fnv1a(10, word.as_bytes()));
    }
    for pair in words.windows(2) {
        raw.push(fnv1a_parts(
            11,
            &[pair[0].as_bytes(), b" ", pair[1].as_bytes()],
        ));
    }
    raw.push(fnv1a(12, format!("{stage:?}/{from:?}").as_bytes()));
    to_sparse(raw)
}

/// A message with fewer features than about `MIN_NORM²` (a word or two:
/// "hi", "ok 👍") is scaled by this instead of its own length, so that it
/// is scored as weak evidence rather than as a full message made only of
/// its stage and sender.
const MIN_NORM: f32 = 7.0;

/// Hashes into signed bucket counts, damped to `log2(1 + count)` and scaled
/// to unit length (see [`MIN_NORM`] for very short messages).
fn to_sparse(raw: Vec<u32>) -> Features {
    let mut signed: Vec<(u32, f32)> = raw
        .into_iter()
        .map(|h| {
            let sign = if h >> 31 == 1 { -1.0 } else { 1.0 };
            (h & (BUCKETS as u32 - 1), sign)
        })
        .collect();
    signed.sort_unstable_by_key(|(bucket, _)| *bucket);
    let mut merged: Features = Vec::with_capacity(signed.len());
    for (bucket, value) in signed {
        match merged.last_mut() {
            Some((last, sum)) if *last == bucket => *sum += value,
            _ => merged.push((bucket, value)),
        }
    }
    for (_, value) in &mut merged {
        let count = value.abs();
        if count > 1.0 {
            *value = value.signum() * (1.0 + count).log2();
        }
    }
    let norm = merged
        .iter()
        .map(|(_, v)| v * v)
        .sum::<f32>()
        .sqrt()
        .max(MIN_NORM);
    if norm > 0.0 {
        for (_, value) in &mut merged {
            *value /= norm;
        }
    }
    merged
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Weights in floating point, as training produces them.
#[derive(Debug, Clone)]
pub struct FloatModel {
    pub bias: [f32; CATEGORIES],
    /// Bucket-major: `weights[bucket * CATEGORIES + c]`.
    pub weights: Vec<f32>,
}

impl FloatModel {
    pub fn probability(&self, category: usize, features: &Features) -> f32 {
        let z = features
            .iter()
            .map(|(bucket, value)| self.weights[*bucket as usize * CATEGORIES + category] * value)
            .sum::<f32>();
        sigmoid(self.bias[category] + z)
    }
}

/// Train one logistic model per category with AdaGrad and L2, in a fixed
/// order so the same corpus always gives the same file.
pub fn train(examples: &[(Features, [bool; CATEGORIES])], epochs: usize) -> FloatModel {
    const LEARNING_RATE: f32 = 0.5;
    const L2: f32 = 1e-6;
    let mut model = FloatModel {
        bias: [0.0; CATEGORIES],
        weights: vec![0.0; CATEGORIES * BUCKETS],
    };
    let mut squared = vec![1e-6_f32; CATEGORIES * BUCKETS];
    let mut bias_squared = [1e-6_f32; CATEGORIES];
    let mut order: Vec<usize> = (0..examples.len()).collect();
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..epochs {
        // Fisher–Yates with xorshift: deterministic, no dependency.
        for i in (1..order.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            order.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        for &index in &order {
            let (features, labels) = &examples[index];
            for category in 0..CATEGORIES {
                let target = if labels[category] { 1.0 } else { 0.0 };
                let error = model.probability(category, features) - target;
                bias_squared[category] += error * error;
                model.bias[category] -= LEARNING_RATE * error / bias_squared[category].sqrt();
                for (bucket, value) in features {
                    let at = *bucket as usize * CATEGORIES + category;
                    let gradient = error * value + L2 * model.weights[at];
                    squared[at] += gradient * gradient;
                    model.weights[at] -= LEARNING_RATE * gradient / squared[at].sqrt();
                }
            }
        }
    }
    model
}

/// The shipped model: weights quantised to one byte, plus the thresholds
/// chosen when it was trained.
#[derive(Debug, Clone)]
pub struct LinearModel {
    /// Flag a category the rules missed at or above this probability.
    pub flag_at: f32,
    /// Clear a warning the rules raised below this probability (0: never).
    pub clear_below: f32,
    /// Clear even a money finding (off-platform payment, extra fee) below
    /// this, much lower, probability (0: never); a lookalike link is never
    /// cleared.
    pub clear_block_below: f32,
    bias: [f32; CATEGORIES],
    scale: [f32; CATEGORIES],
    /// Bucket-major like [`FloatModel::weights`], each byte an `i8`; borrowed
    /// from the binary for the embedded model.
    weights: Cow<'static, [u8]>,
}

impl LinearModel {
    pub fn quantise(model: &FloatModel, thresholds: [f32; 3]) -> LinearModel {
        let [flag_at, clear_below, clear_block_below] = thresholds;
        let mut largest = [0.0_f32; CATEGORIES];
        for bucket in model.weights.chunks_exact(CATEGORIES) {
            for (m, w) in largest.iter_mut().zip(bucket) {
                *m = m.max(w.abs());
            }
        }
        let scale = largest.map(|m| if m > 0.0 { m / 127.0 } else { 1.0 });
        let weights = model
            .weights
            .iter()
            .enumerate()
            .map(|(at, weight)| {
                (weight / scale[at % CATEGORIES])
                    .round()
                    .clamp(-127.0, 127.0) as i8 as u8
            })
            .collect();
        LinearModel {
            flag_at,
            clear_below,
            clear_block_below,
            bias: model.bias,
            scale,
            weights: Cow::Owned(weights),
        }
    }

    pub fn probability(&self, category: usize, features: &Features) -> f32 {
        self.probabilities(features)[category]
    }

    /// Every output's probability, in one pass over the features.
    pub fn probabilities(&self, features: &Features) -> [f32; CATEGORIES] {
        let mut z = [0.0_f32; CATEGORIES];
        for (bucket, value) in features {
            let at = *bucket as usize * CATEGORIES;
            let weights = &self.weights[at..at + CATEGORIES];
            for (sum, weight) in z.iter_mut().zip(weights) {
                *sum += f32::from(*weight as i8) * value;
            }
        }
        std::array::from_fn(|c| sigmoid(self.bias[c] + self.scale[c] * z[c]))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + CATEGORIES * (8 + BUCKETS));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(BUCKETS as u32).to_le_bytes());
        out.extend_from_slice(&(CATEGORIES as u32).to_le_bytes());
        out.extend_from_slice(&self.flag_at.to_le_bytes());
        out.extend_from_slice(&self.clear_below.to_le_bytes());
        out.extend_from_slice(&self.clear_block_below.to_le_bytes());
        for category in 0..CATEGORIES {
            out.extend_from_slice(&self.bias[category].to_le_bytes());
            out.extend_from_slice(&self.scale[category].to_le_bytes());
        }
        out.extend_from_slice(&self.weights);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<LinearModel, String> {
        let (mut model, weights) = LinearModel::parse(bytes)?;
        model.weights = Cow::Owned(weights.to_vec());
        Ok(model)
    }

    /// The header, and the weights still to be attached.
    fn parse(bytes: &[u8]) -> Result<(LinearModel, &[u8]), String> {
        let mut at = 0;
        let mut take = |n: usize| -> Result<&[u8], String> {
            let part = bytes
                .get(at..at + n)
                .ok_or_else(|| "the model file is truncated".to_string())?;
            at += n;
            Ok(part)
        };
        match take(8)? {
            magic if magic == MAGIC => {}
            b"HAVENLM2" | b"HAVENLM3" => {
                return Err("the model file has the old category-major layout; retrain it".into());
            }
            _ => return Err("not a Haven scanner model".into()),
        }
        let word = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let float = |b: &[u8]| f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        if word(take(4)?) as usize != BUCKETS || word(take(4)?) as usize != CATEGORIES {
            return Err("the model was trained for another layout".into());
        }
        let flag_at = float(take(4)?);
        let clear_below = float(take(4)?);
        let clear_block_below = float(take(4)?);
        let (mut bias, mut scale) = ([0.0; CATEGORIES], [0.0; CATEGORIES]);
        for category in 0..CATEGORIES {
            bias[category] = float(take(4)?);
            scale[category] = float(take(4)?);
        }
        let weights = take(CATEGORIES * BUCKETS)?;
        let model = LinearModel {
            flag_at,
            clear_below,
            clear_block_below,
            bias,
            scale,
            weights: Cow::Borrowed(&[]),
        };
        Ok((model, weights))
    }

    /// The model trained from this repository's corpus, its weights read
    /// in place from the binary.
    pub fn embedded() -> LinearModel {
        static FILE: &[u8] = include_bytes!("../../model/scanner.bin");
        let (mut model, weights) =
            LinearModel::parse(FILE).expect("model/scanner.bin is written by train-scanner-model");
        model.weights = Cow::Borrowed(weights);
        model
    }
}

/// Why the model flagged a category, in words for the reader.
pub fn reason(category: Category, probability: f32) -> String {
    let what = match category {
        Category::OffPlatformContact => {
            "reads like an attempt to move the conversation off the platform"
        }
        Category::OffPlatformPayment => {
            "reads like a request to pay outside the platform's checkout"
        }
        Category::PhishingLink => "reads like a link to a fake login, payment or tracking page",
        Category::ExtraFee => "reads like a demand for an extra fee outside checkout",
        Category::DisputePressure => "reads like pressure to drop a dispute or change a review",
        Category::ConfirmReceiptPressure => {
            "reads like pressure to confirm receipt before the item arrived"
        }
    };
    format!("{what} (learned model, {:.0} % sure)", probability * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disguises_fold_to_the_plain_spelling() {
        let plain = features("whatsapp", Stage::PreOrder, Sender::Seller);
        let spaced = features("w h a t s a p p", Stage::PreOrder, Sender::Seller);
        let shared = plain
            .iter()
            .filter(|(b, _)| spaced.iter().any(|(s, _)| s == b))
            .count();
        assert!(shared >= 4, "the joined view shares 5-grams ({shared})");
        assert_eq!(folded("Ｃａｌｌ ٠٥٥١٢"), " caii 00000 ");
    }

    #[test]
    fn a_model_round_trips_through_its_file() {
        let examples = vec![
            (
                features(
                    "pay me on paypal friends",
                    Stage::AfterOrder,
                    Sender::Seller,
                ),
                [false, true, false, false, false, false, true],
            ),
            (
                features("thanks, it arrived", Stage::AfterDelivery, Sender::Buyer),
                [false; CATEGORIES],
            ),
        ];
        let trained = train(&examples, 30);
        let model = LinearModel::quantise(&trained, [0.8, 0.05, 0.01]);
        let back = LinearModel::from_bytes(&model.to_bytes()).unwrap();
        let payment = index_of(Category::OffPlatformPayment);
        let p = back.probability(payment, &examples[0].0);
        let q = back.probability(payment, &examples[1].0);
        assert!(p > 0.8 && q < 0.2, "{p} {q}");
        assert_eq!(back.flag_at, 0.8);
        assert!(LinearModel::from_bytes(b"nonsense").is_err());
    }
}
