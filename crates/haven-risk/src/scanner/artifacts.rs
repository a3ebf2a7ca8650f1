//! Structured contact and payment details found in the base view: phone
//! numbers, bank cards, IBANs and crypto wallets.
//!
//! Digits are everywhere in marketplace chat (prices, order and tracking
//! numbers, sizes, dates), so phone numbers are only accepted with an
//! international prefix, a phone-ish word nearby, or an unmistakable
//! national layout; checksums (mod-97, Luhn, bech32) keep the payment
//! details precise.

use std::ops::Range;

use regex::Regex;

use super::lexicon::Hit;
use super::normalize::View;
use super::vocab::Fam;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Phone,
    /// An amount with a currency ("15 €", "$14.60"): context for fee demands.
    Money,
    Card,
    Iban,
    Wallet(&'static str),
}

/// A detail found in the message, located in the original text.
#[derive(Clone, Debug)]
pub(crate) struct Artifact {
    pub kind: Kind,
    pub orig: Range<usize>,
    /// Normalised value (digits / compact IBAN / address).
    pub value: String,
}

pub(crate) struct DigitPatterns {
    iban: Regex,
    wallet: Regex,
}

impl DigitPatterns {
    pub fn new() -> DigitPatterns {
        DigitPatterns {
            iban: Regex::new(r"(?i)[a-z]{2}[0-9]{2}(?:[ \-]?[a-z0-9]){11,34}").expect("iban regex"),
            wallet: Regex::new(concat!(
                r"0x[0-9a-fA-F]{40}",
                r"|(?:bc1|BC1|tb1)[02-9ac-hj-np-zAC-HJ-NP-Z]{6,87}",
                r"|[13][1-9A-HJ-NP-Za-km-z]{25,34}",
                r"|T[1-9A-HJ-NP-Za-km-z]{33}",
            ))
            .expect("wallet regex"),
        }
    }

    /// Every digit-bearing detail in `base`; `hits` supply nearby context words.
    pub fn find(&self, base: &View<'_>, hits: &[Hit]) -> Vec<Artifact> {
        let text: &str = &base.text;
        let mut out = Vec::new();
        if !text.bytes().any(|b| b.is_ascii_digit()) {
            return out;
        }
        self.ibans(base, &mut out);
        self.wallets(base, hits, &mut out);
        numbers(base, hits, &mut out);
        out
    }

    fn ibans(&self, base: &View<'_>, out: &mut Vec<Artifact>) {
        let text: &str = &base.text;
        for m in self.iban.find_iter(text) {
            if !left_boundary(text, m.start()) {
                continue;
            }
            if let Some((len, iban)) = valid_iban_prefix(m.as_str()) {
                out.push(Artifact {
                    kind: Kind::Iban,
                    orig: base.orig(m.start(), m.start() + len),
                    value: iban,
                });
            }
        }
    }

    fn wallets(&self, base: &View<'_>, hits: &[Hit], out: &mut Vec<Artifact>) {
        let text: &str = &base.text;
        for m in self.wallet.find_iter(text) {
            if !left_boundary(text, m.start()) || !right_boundary(text, m.end()) {
                continue;
            }
            let orig = base.orig(m.start(), m.end());
            let ctx = context_near(hits, &orig, 60, 30, |f| f == Fam::CryptoCtx).is_some();
            if let Some(kind) = wallet_kind(m.as_str(), ctx) {
                out.push(Artifact {
                    kind: Kind::Wallet(kind),
                    orig,
                    value: m.as_str().to_string(),
                });
            }
        }
    }
}

fn left_boundary(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric())
}

fn right_boundary(text: &str, at: usize) -> bool {
    text[at..]
        .chars()
        .next()
        .is_none_or(|c| !c.is_alphanumeric())
}

/// Registered IBAN lengths; an unknown country still passes on mod-97 alone.
#[rustfmt::skip]
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24), ("AE", 23), ("AL", 28), ("AT", 20), ("AZ", 28), ("BA", 20), ("BE", 16), ("BG", 22),
    ("BH", 22), ("BR", 29), ("BY", 28), ("CH", 21), ("CR", 22), ("CY", 28), ("CZ", 24), ("DE", 22),
    ("DK", 18), ("DO", 28), ("EE", 20), ("EG", 29), ("ES", 24), ("FI", 18), ("FO", 18), ("FR", 27),
    ("GB", 22), ("GE", 22), ("GI", 23), ("GL", 18), ("GR", 27), ("GT", 28), ("HR", 21), ("HU", 28),
    ("IE", 22), ("IL", 23), ("IS", 26), ("IT", 27), ("JO", 30), ("KW", 30), ("KZ", 20), ("LB", 28),
    ("LI", 21), ("LT", 20), ("LU", 20), ("LV", 21), ("MC", 27), ("MD", 24), ("ME", 22), ("MK", 19),
    ("MR", 27), ("MT", 31), ("MU", 30), ("NL", 18), ("NO", 15), ("PK", 24), ("PL", 28), ("PS", 29),
    ("PT", 25), ("QA", 29), ("RO", 24), ("RS", 22), ("RU", 33), ("SA", 24), ("SE", 24), ("SI", 19),
    ("SK", 24), ("SM", 27), ("TN", 24), ("TR", 26), ("UA", 29), ("VA", 22), ("VG", 24), ("XK", 20),
];

/// Finds the IBAN at the start of a loose match (which may have swallowed
/// following words); returns matched byte length and the compact IBAN.
fn valid_iban_prefix(raw: &str) -> Option<(usize, String)> {
    let mut compact = String::with_capacity(34);
    let mut ends = Vec::with_capacity(34);
    for (i, c) in raw.char_indices() {
        if c.is_ascii_alphanumeric() {
            compact.push(c.to_ascii_uppercase());
            ends.push(i + 1);
        }
    }
    let country = &compact[..2];
    let lens: Vec<usize> = match IBAN_LENGTHS.iter().find(|(c, _)| *c == country) {
        Some((_, n)) => vec![*n],
        None => (15..=34).rev().collect(),
    };
    lens.into_iter()
        .filter(|&n| n <= compact.len())
        .find(|&n| mod97(&compact[..n]) == 1)
        .map(|n| (ends[n - 1], compact[..n].to_string()))
}

fn mod97(iban: &str) -> u32 {
    let (head, tail) = iban.split_at(4);
    let mut r: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let v = c.to_digit(36).unwrap_or(0);
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    r
}

/// Names the chain of a wallet-shaped string; base58 shapes also need mixed
/// case and digits (or crypto words nearby) since there is no cheap checksum.
fn wallet_kind(s: &str, crypto_ctx: bool) -> Option<&'static str> {
    if s.starts_with("0x") {
        return Some("Ethereum");
    }
    let lower = s.to_ascii_lowercase();
    if lower.starts_with("bc1") || lower.starts_with("tb1") {
        // Segwit addresses are 42 or 62 chars; a bad checksum may just be a typo.
        let shaped = matches!(s.len(), 42 | 62) && (s == lower || s == s.to_ascii_uppercase());
        return (bech32_valid(&lower) || shaped || crypto_ctx).then_some("Bitcoin");
    }
    let mixed = s.bytes().any(|b| b.is_ascii_uppercase())
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && s.bytes().any(|b| b.is_ascii_digit());
    if !(mixed || crypto_ctx) {
        return None;
    }
    Some(if s.starts_with('T') {
        "TRON"
    } else {
        "Bitcoin"
    })
}

/// BIP-173/350 checksum (bech32 or bech32m).
fn bech32_valid(s: &str) -> bool {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let Some(pos) = s.rfind('1') else {
        return false;
    };
    let (hrp, data) = (&s[..pos], &s[pos + 1..]);
    if data.len() < 6 {
        return false;
    }
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    for b in data.bytes() {
        match CHARSET.iter().position(|&c| c == b) {
            Some(v) => values.push(v as u8),
            None => return false,
        }
    }
    let pm = polymod(&values);
    pm == 1 || pm == 0x2bc8_30a3
}

fn polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let mut chk: u32 = 1;
    for &v in values {
        let top = chk >> 25;
        chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(v);
        for (i, g) in GEN.iter().enumerate() {
            if (top >> i) & 1 == 1 {
                chk ^= g;
            }
        }
    }
    chk
}

/// A run of digits with phone-style separators.
struct Run {
    start: usize,
    end: usize,
    digits: String,
    groups: Vec<u8>,
    seps: Vec<u8>,
    plus: bool,
    paren: bool,
}

fn is_sep(b: u8) -> bool {
    matches!(b, b' ' | b'-' | b'.' | b'(' | b')' | b'/')
}

/// Reads a digit run at `i`; separator runs are short and never a newline.
fn read_run(b: &[u8], i: usize) -> Run {
    let mut r = Run {
        start: i,
        end: i,
        digits: String::new(),
        groups: Vec::new(),
        seps: Vec::new(),
        plus: b[i] == b'+',
        paren: b[i] == b'(',
    };
    let mut j = i + usize::from(r.plus);
    let mut cur = 0u8;
    while j < b.len() {
        if b[j].is_ascii_digit() {
            r.digits.push(b[j] as char);
            cur += 1;
            j += 1;
            r.end = j;
            continue;
        }
        let sep_start = j;
        while j < b.len() && is_sep(b[j]) && j - sep_start < 3 {
            j += 1;
        }
        let closes = j < b.len() && b[j].is_ascii_digit() && j > sep_start;
        if !closes {
            break;
        }
        if cur > 0 {
            r.groups.push(cur);
            r.seps.push(
                b[sep_start..j]
                    .iter()
                    .copied()
                    .find(|c| *c != b' ')
                    .unwrap_or(b' '),
            );
        }
        cur = 0;
    }
    if cur > 0 {
        r.groups.push(cur);
    }
    r
}

/// Finds phone numbers and card numbers among digit runs.
fn numbers(base: &View<'_>, hits: &[Hit], out: &mut Vec<Artifact>) {
    let text: &str = &base.text;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let starts = b[i].is_ascii_digit()
            || ((b[i] == b'+' || b[i] == b'(') && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts || !left_boundary(text, i) {
            i += 1;
            continue;
        }
        let run = read_run(b, i);
        i = run.end.max(i + 1);
        if !right_boundary(text, run.end) || part_of_code(text, &run) {
            continue;
        }
        let orig = base.orig(run.start, run.end);
        match unit_after(text, &run) {
            Some(Unit::Currency) => {
                out.push(Artifact {
                    kind: Kind::Money,
                    orig,
                    value: run.digits.clone(),
                });
                continue;
            }
            Some(Unit::Measure) => continue,
            None => {}
        }
        if let Some(kind) = classify(&run, text, hits, &orig) {
            out.push(Artifact {
                kind,
                orig,
                value: run.digits.clone(),
            });
        }
    }
}

fn classify(run: &Run, text: &str, hits: &[Hit], orig: &Range<usize>) -> Option<Kind> {
    let d = run.digits.len();
    if after_iban_prefix(text, run.start) {
        return None;
    }
    if (13..=19).contains(&d) && luhn(&run.digits) && card_prefix(&run.digits) {
        let grouped = matches!(run.groups.as_slice(), [4, 4, 4, 4] | [4, 6, 5]);
        let ctx = context_near(hits, orig, 40, 20, |f| f == Fam::CardCtx).is_some();
        if grouped || ctx {
            return Some(Kind::Card);
        }
    }
    if !(7..=15).contains(&d) || looks_like_date(run) {
        return None;
    }
    is_phone(run, hits, orig).then_some(Kind::Phone)
}

fn is_phone(run: &Run, hits: &[Hit], orig: &Range<usize>) -> bool {
    let d = run.digits.len();
    if run.plus && d >= 8 {
        return true;
    }
    let intl = run.digits.starts_with("00") && d >= 9;
    match phone_context(hits, orig) {
        Some(false) => false,
        Some(true) => true,
        None => intl || national_layout(run),
    }
}

/// Issuer prefixes of the big card networks (Visa, Mastercard, Amex, Mir,
/// Discover, JCB, UnionPay, Maestro).
fn card_prefix(digits: &str) -> bool {
    let two: u32 = digits[..2].parse().unwrap_or(0);
    let four: u32 = digits[..4].parse().unwrap_or(0);
    digits.starts_with('4')
        || (51..=55).contains(&two)
        || (2221..=2720).contains(&four)
        || (2200..=2204).contains(&four)
        || two == 34
        || two == 37
        || two == 35
        || two == 62
        || digits.starts_with("6011")
        || digits.starts_with("65")
        || two == 50
        || (56..=69).contains(&two)
}

/// Digits right after "DE89 " belong to an IBAN (valid or not), not a card or phone.
fn after_iban_prefix(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end();
    let tok = before
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("");
    let b = tok.as_bytes();
    b.len() == 4
        && b[..2].iter().all(u8::is_ascii_alphabetic)
        && b[2..].iter().all(u8::is_ascii_digit)
}

/// Phone layouts that need no context: "(555) 123-4567", "06 12 34 56 78",
/// "555-123-4567", a 0-prefixed 9–11 digit national number, or digits
/// spaced out one at a time ("0 7 9 1 1 …", itself a way to dodge filters).
fn national_layout(run: &Run) -> bool {
    let d = run.digits.len();
    let db = run.digits.as_bytes();
    // One digit at a time ("0 7 9 1 1 …") is itself a way to dodge filters.
    if d >= 7 && run.groups.len() >= 7 && run.groups.iter().all(|g| *g == 1) {
        return true;
    }
    if !(9..=13).contains(&d) {
        return false;
    }
    if run.paren && run.groups.len() >= 2 {
        return true;
    }
    let trunk = db[0] == b'0' && db[1] != b'0';
    if trunk
        && d <= 11
        && run
            .groups
            .iter()
            .all(|g| (2..=5).contains(g) || run.groups.len() == 1)
    {
        return true;
    }
    let nanp = run.groups == [3, 3, 4] || run.groups == [1, 3, 3, 4];
    nanp && run.seps.iter().all(|s| *s == b'-' || *s == b'.')
}

/// dd.mm.yyyy, yyyy-mm-dd and the like.
fn looks_like_date(run: &Run) -> bool {
    if run.groups.len() != 3 || run.plus {
        return false;
    }
    let same_sep =
        run.seps.windows(2).all(|w| w[0] == w[1]) && matches!(run.seps[0], b'.' | b'/' | b'-');
    let g = &run.groups;
    let year_first = g[0] == 4 && run.digits.starts_with(['1', '2']);
    let year_last = g[2] == 4 && run.digits[run.digits.len() - 4..].starts_with(['1', '2']);
    same_sep && (year_first || year_last) && g.iter().all(|n| *n <= 4)
}

enum Unit {
    Currency,
    Measure,
}

/// Prices and measures: a currency sign before, a unit or currency after.
fn unit_after(text: &str, run: &Run) -> Option<Unit> {
    const MONEY: [&str; 22] = [
        "€", "$", "£", "₽", "eur", "usd", "gbp", "rub", "brl", "руб", "р.", "euro", "dollar",
        "reais", "real", "bucks", "tl", "zł", "pln", "pounds", "₺", "chf",
    ];
    const MEASURE: [&str; 12] = [
        "%", "cm", "mm", "kg", "km", "gb", "tb", "mah", "ml", "pcs", "см", "кг",
    ];
    let after = text[run.end..].trim_start().to_lowercase();
    let before = text[..run.start].trim_end();
    let sign_before =
        before.ends_with(['€', '$', '£', '₽', '₺']) || before.to_ascii_lowercase().ends_with("r$");
    if sign_before || MONEY.iter().any(|u| after.starts_with(u)) {
        return Some(Unit::Currency);
    }
    MEASURE
        .iter()
        .any(|u| after.starts_with(u))
        .then_some(Unit::Measure)
}

/// Digits glued to letters by a hyphen or slash ("4411-2093-B", "SM-991")
/// are a part or model code.
fn part_of_code(text: &str, run: &Run) -> bool {
    let mut after = text[run.end..].chars();
    let glued_after = matches!(after.next(), Some('-' | '/' | '_'))
        && after.next().is_some_and(char::is_alphabetic);
    let mut before = text[..run.start].chars().rev();
    let glued_before = !run.plus
        && matches!(before.next(), Some('-' | '/' | '_' | '#'))
        && before.next().is_some_and(char::is_alphanumeric);
    glued_after || glued_before
}

/// Context words before the number decide: Some(true) for phone words,
/// Some(false) when an order/tracking/model word comes after the last
/// phone word ("Pedido número 123…"). A bare "number" counts as phone only
/// with no such word around.
fn phone_context(hits: &[Hit], orig: &Range<usize>) -> Option<bool> {
    let latest = |pred: &dyn Fn(Fam) -> bool| {
        hits.iter()
            .filter(|h| pred(h.fam) && h.orig.end <= orig.start && orig.start - h.orig.end <= 40)
            .map(|h| h.orig.end)
            .max()
    };
    let strong = latest(&|f| {
        matches!(
            f,
            Fam::PhoneCtx | Fam::Messenger | Fam::PhonePhrase | Fam::ContactCue | Fam::MethodStrong
        )
    });
    let neg = latest(&|f| f == Fam::NumberNegCtx);
    let weak = latest(&|f| f == Fam::NumberWord);
    match (strong, neg, weak) {
        (s, Some(n), _) if s.is_none_or(|s| s <= n) => return Some(false),
        (Some(_), _, _) | (None, None, Some(_)) => return Some(true),
        _ => {}
    }
    let after = hits.iter().any(|h| {
        matches!(h.fam, Fam::PhoneCtx | Fam::Messenger)
            && h.orig.start >= orig.end
            && h.orig.start - orig.end <= 25
    });
    after.then_some(true)
}

/// The nearest hit of the wanted families within `before`/`after` bytes.
pub(crate) fn context_near<'h>(
    hits: &'h [Hit],
    orig: &Range<usize>,
    before: usize,
    after: usize,
    want: impl Fn(Fam) -> bool,
) -> Option<&'h Hit> {
    hits.iter().find(|h| {
        want(h.fam)
            && ((h.orig.end <= orig.start && orig.start - h.orig.end <= before)
                || (h.orig.start >= orig.end && h.orig.start - orig.end <= after))
    })
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iban_checksum() {
        assert_eq!(mod97("DE89370400440532013000"), 1);
        assert_ne!(mod97("DE89370400440532013001"), 1);
        let (len, iban) = valid_iban_prefix("DE89 3704 0044 0532 0130 00 please").unwrap();
        assert_eq!(iban, "DE89370400440532013000");
        assert_eq!(len, "DE89 3704 0044 0532 0130 00".len());
    }

    #[test]
    fn bech32_checksum() {
        assert!(bech32_valid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"));
        assert!(!bech32_valid("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"));
    }

    #[test]
    fn luhn_check() {
        assert!(luhn("4111111111111111"));
        assert!(!luhn("4111111111111112"));
    }
}
