//! Text views the detectors run on.
//!
//! Every view remembers, for each of its bytes, which byte range of the
//! original message produced it. That lets a finding quote exactly what the
//! sender wrote ("w h a t s a p p") even though matching happened on a
//! heavily normalised form ("whatsapp").

use std::borrow::Cow;
use std::ops::Range;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::{canonical_combining_class, decompose_canonical};

/// A derived text plus its byte map back into the original message.
pub(crate) struct View<'a> {
    pub text: Cow<'a, str>,
    /// Original byte range of each byte of `text`; empty means identity.
    src: Vec<(u32, u32)>,
}

impl<'a> View<'a> {
    /// A view that is the original text itself (the common ASCII case costs nothing).
    pub fn borrowed(text: &'a str) -> View<'a> {
        View {
            text: Cow::Borrowed(text),
            src: Vec::new(),
        }
    }

    /// Original byte range covered by `text[s..e]`.
    pub fn orig(&self, s: usize, e: usize) -> Range<usize> {
        if self.src.is_empty() {
            return s..e;
        }
        if s >= e {
            let p = self
                .src
                .get(s)
                .map(|r| r.0)
                .or_else(|| self.src.last().map(|r| r.1))
                .unwrap_or(0) as usize;
            return p..p;
        }
        self.src[s].0 as usize..self.src[e - 1].1 as usize
    }
}

/// Accumulates a view's text and byte map together so they never drift apart.
pub(crate) struct Builder {
    text: String,
    src: Vec<(u32, u32)>,
}

impl Builder {
    pub fn with_capacity(n: usize) -> Builder {
        Builder {
            text: String::with_capacity(n),
            src: Vec::with_capacity(n),
        }
    }

    pub fn push(&mut self, c: char, r: (u32, u32)) {
        self.text.push(c);
        self.src.resize(self.text.len(), r);
    }

    pub fn push_str(&mut self, s: &str, r: (u32, u32)) {
        self.text.push_str(s);
        self.src.resize(self.text.len(), r);
    }

    /// Copies `view.text[s..e]` keeping each byte's own origin.
    pub fn copy_from(&mut self, view: &View<'_>, s: usize, e: usize) {
        self.text.push_str(&view.text[s..e]);
        if view.src.is_empty() {
            self.src.extend((s..e).map(|i| (i as u32, i as u32 + 1)));
        } else {
            self.src.extend_from_slice(&view.src[s..e]);
        }
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn finish<'a>(self) -> View<'a> {
        View {
            text: Cow::Owned(self.text),
            src: self.src,
        }
    }
}

/// Invisible characters used to split words without changing how they look.
pub(crate) fn is_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{E0000}'..='\u{E0FFF}')
}

/// NFKC with invisible characters removed, case kept (wallet addresses are
/// case-sensitive). Runs per starter+marks segment so each output char can
/// be traced to its source.
pub(crate) fn base(text: &str) -> View<'_> {
    if text.is_ascii() {
        return View::borrowed(text);
    }
    let mut b = Builder::with_capacity(text.len() + 8);
    let mut seg = String::new();
    let mut seg_start = 0usize;
    for (i, c) in text.char_indices() {
        if canonical_combining_class(c) == 0 && !seg.is_empty() {
            flush_segment(&mut b, &seg, seg_start, i);
            seg.clear();
        }
        if seg.is_empty() {
            seg_start = i;
        }
        seg.push(c);
    }
    if !seg.is_empty() {
        flush_segment(&mut b, &seg, seg_start, text.len());
    }
    b.finish()
}

fn flush_segment(b: &mut Builder, seg: &str, s: usize, e: usize) {
    let r = (s as u32, e as u32);
    if seg.len() == 1 {
        b.push_str(seg, r);
        return;
    }
    for c in seg.nfkc() {
        if !is_ignorable(c) {
            b.push(c, r);
        }
    }
}

/// Leetspeak digit → letter, only used inside tokens that are mostly letters.
fn leet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        '@' => 'a',
        '$' => 's',
        '!' | '|' => 'i',
        _ => return None,
    })
}

/// Folds one letter to the matching alphabet: lower case, no diacritics,
/// `l` merged with `i` (so `1`, `l`, `I` and `|` all compare equal), and
/// exotic look-alike letters (small caps, Greek) sent to their ASCII skeleton.
pub(crate) fn fold_letter(c: char, out: &mut impl FnMut(char)) {
    if c.is_ascii() {
        let c = c.to_ascii_lowercase();
        out(if c == 'l' { 'i' } else { c });
        return;
    }
    for lc in c.to_lowercase() {
        if lc == 'ß' {
            out('s');
            out('s');
            continue;
        }
        if is_exotic(lc)
            && let Some(s) = ascii_skeleton(lc)
        {
            s.chars().for_each(|a| out(if a == 'l' { 'i' } else { a }));
            continue;
        }
        let mut any = false;
        decompose_canonical(lc, |d| {
            if canonical_combining_class(d) == 0 && !is_mark(d) {
                any = true;
                out(if d == 'l' { 'i' } else { d });
            }
        });
        if !any {
            out(lc);
        }
    }
}

fn is_mark(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
}

/// Letters outside the Latin and Cyrillic blocks that people use to dodge filters.
fn is_exotic(c: char) -> bool {
    let u = c as u32;
    !(u < 0x250
        || (0x400..0x530).contains(&u)
        || (0x3000..0xA000).contains(&u)
        || (0xAC00..0xD7B0).contains(&u))
}

fn ascii_skeleton(c: char) -> Option<String> {
    let mut buf = [0u8; 4];
    let s: String = unicode_security::skeleton(c.encode_utf8(&mut buf)).collect();
    let lower = s.to_ascii_lowercase();
    (!lower.is_empty() && lower.chars().all(|a| a.is_ascii_alphabetic())).then_some(lower)
}

/// Cyrillic letters that look like Latin ones and vice versa; a word that
/// mixes both scripts is rewritten into its majority script.
const CYR_LAT: &[(char, char)] = &[
    ('а', 'a'),
    ('в', 'b'),
    ('е', 'e'),
    ('к', 'k'),
    ('м', 'm'),
    ('н', 'h'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('т', 't'),
    ('у', 'y'),
    ('х', 'x'),
    ('і', 'i'),
    ('ј', 'j'),
    ('ѕ', 's'),
    ('ԁ', 'd'),
    ('ԛ', 'q'),
    ('ԝ', 'w'),
    ('ӏ', 'i'),
    ('һ', 'h'),
    ('ь', 'b'),
];

fn is_cyrillic(c: char) -> bool {
    ('\u{400}'..'\u{530}').contains(&c)
}

fn fix_mixed_script(tok: &mut [(char, (u32, u32))]) {
    let cyr = tok.iter().filter(|(c, _)| is_cyrillic(*c)).count();
    let lat = tok.iter().filter(|(c, _)| c.is_ascii_alphabetic()).count();
    if cyr == 0 || lat == 0 {
        return;
    }
    for (c, _) in tok.iter_mut() {
        let mapped = if lat >= cyr {
            CYR_LAT.iter().find(|(k, _)| k == c).map(|(_, v)| *v)
        } else {
            CYR_LAT.iter().find(|(_, v)| v == c).map(|(k, _)| *k)
        };
        if let Some(m) = mapped {
            *c = m;
        }
    }
}

/// Normalises vocabulary the same way message text is, so both meet in the
/// same alphabet. Non-letters become single spaces.
pub(crate) fn fold_term(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    let mut pending_space = false;
    for c in term.chars() {
        if c.is_alphabetic() {
            pending_space |= is_cjk(c) || out.chars().next_back().is_some_and(is_cjk);
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            fold_letter(c, &mut |a| out.push(a));
        } else if c == '%' {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str("pct");
            pending_space = true;
        } else {
            pending_space = true;
        }
    }
    out
}

/// Han, kana and hangul: written without spaces, so each character is a word.
pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// One word of the letters view.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Word {
    /// Byte range in `Letters::spaced`.
    pub start: u32,
    pub end: u32,
    /// Position for distance checks; sentence and clause breaks add a gap.
    pub pos: u32,
    /// Made of collapsed single letters ("в т е л е г р а м"): a name may
    /// start inside it, since a real one-letter word may have been glued on.
    pub collapsed: bool,
}

/// The letters-only views: words separated by single spaces (`spaced`) and
/// the same letters with no separators at all (`flat`), for names split
/// into chunks ("tele gram").
pub(crate) struct Letters<'a> {
    pub spaced: View<'a>,
    pub words: Vec<Word>,
    pub flat: View<'a>,
    /// For each word, its byte range in `flat`.
    pub flat_words: Vec<(u32, u32)>,
}

/// Distance added between words on either side of a sentence break.
pub(crate) const SENTENCE_GAP: u32 = 4;
/// Distance added across a comma or dash: keeps negation inside its clause.
pub(crate) const CLAUSE_GAP: u32 = 2;

struct Tok {
    flat_start: usize,
    flat_end: usize,
    nchars: usize,
    /// Base-char index range of the gap before this token.
    gap_chars: usize,
    gap_sentence: bool,
    gap_clause: bool,
    gap_newline: bool,
    cjk: bool,
}

/// Builds the letters views from the base view.
pub(crate) fn letters<'a>(base: &View<'_>) -> Letters<'a> {
    let chars: Vec<(char, (u32, u32))> = base
        .text
        .char_indices()
        .map(|(i, c)| {
            let r = base.orig(i, i + c.len_utf8());
            (c, (r.start as u32, r.end as u32))
        })
        .collect();
    let mut flat = Builder::with_capacity(base.text.len());
    let toks = tokenize(&chars, &mut flat);
    let flat = flat.finish();
    let (spaced, words, flat_words) = join_words(&flat, &toks);
    Letters {
        spaced,
        words,
        flat,
        flat_words,
    }
}

fn is_symbol_at(chars: &[(char, (u32, u32))], i: usize) -> bool {
    let c = chars[i].0;
    let prev = i.checked_sub(1).map(|j| chars[j].0);
    let next = chars.get(i + 1).map(|x| x.0);
    match c {
        '@' | '!' | '|' => {
            prev.is_some_and(|p| p.is_alphanumeric()) && next.is_some_and(|n| n.is_alphabetic())
        }
        '$' => next.is_some_and(|n| n.is_alphabetic()),
        _ => false,
    }
}

/// Splits base chars into tokens, folds them, and appends their letters to `flat`.
fn tokenize(chars: &[(char, (u32, u32))], flat: &mut Builder) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut tmp: Vec<(char, (u32, u32))> = Vec::with_capacity(32);
    let mut i = 0;
    let mut gap = Gap::default();
    while i < chars.len() {
        let in_tok = |j: usize| chars[j].0.is_alphanumeric() || is_symbol_at(chars, j);
        if chars[i].0 == '%' {
            // "20% off": the percent sign carries meaning, so it becomes a word.
            tmp.clear();
            tmp.extend("pct".chars().map(|c| (c, chars[i].1)));
            emit_pieces(&tmp, flat, &mut toks, &mut gap);
            i += 1;
            continue;
        }
        if !in_tok(i) {
            gap.add(chars, i);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && in_tok(i) {
            i += 1;
        }
        fold_token(&chars[start..i], &mut tmp);
        emit_pieces(&tmp, flat, &mut toks, &mut gap);
    }
    toks
}

#[derive(Default)]
struct Gap {
    chars: usize,
    sentence: bool,
    clause: bool,
    newline: bool,
}

impl Gap {
    fn add(&mut self, chars: &[(char, (u32, u32))], i: usize) {
        let c = chars[i].0;
        self.chars += 1;
        let next_space = chars.get(i + 1).is_none_or(|n| n.0.is_whitespace());
        if c == '\n' {
            self.newline = true;
            self.sentence = true;
        } else if matches!(c, '.' | '!' | '?' | ';' | '…' | '¡' | '¿') && next_space
            || matches!(c, '。' | '！' | '？')
        {
            self.sentence = true;
        } else if matches!(c, ',' | '–' | '—' | '，' | '、') {
            self.clause = true;
        }
    }
}

/// Folds one raw token into letters; unmapped digits become `None` breaks.
fn fold_token(raw: &[(char, (u32, u32))], tmp: &mut Vec<(char, (u32, u32))>) {
    tmp.clear();
    let letters = raw.iter().filter(|(c, _)| c.is_alphabetic()).count();
    let digits = raw.iter().filter(|(c, _)| c.is_ascii_digit()).count();
    let leet_ok = letters >= 2 && letters >= digits;
    for &(c, r) in raw {
        if c.is_alphabetic() {
            fold_letter(c, &mut |a| tmp.push((a, r)));
        } else if let Some(m) = leet(c).filter(|_| leet_ok || !c.is_ascii_digit()) {
            tmp.push((m, r));
        } else {
            tmp.push(('\0', r));
        }
    }
    let mut s = 0;
    while s < tmp.len() {
        let e = tmp[s..]
            .iter()
            .position(|x| x.0 == '\0')
            .map_or(tmp.len(), |p| s + p);
        fix_mixed_script(&mut tmp[s..e]);
        s = e + 1;
    }
}

/// Appends the letter runs of a folded token (split on unmapped digits) as tokens.
fn emit_pieces(tmp: &[(char, (u32, u32))], flat: &mut Builder, toks: &mut Vec<Tok>, gap: &mut Gap) {
    for piece in tmp.split(|x| x.0 == '\0') {
        if piece.is_empty() {
            gap.chars += 1;
            continue;
        }
        let mut rest = piece;
        while !rest.is_empty() {
            let cjk = is_cjk(rest[0].0);
            let n = if cjk {
                1
            } else {
                rest.iter().position(|x| is_cjk(x.0)).unwrap_or(rest.len())
            };
            push_token(&rest[..n], cjk, flat, toks, gap);
            rest = &rest[n..];
        }
    }
}

fn push_token(
    piece: &[(char, (u32, u32))],
    cjk: bool,
    flat: &mut Builder,
    toks: &mut Vec<Tok>,
    gap: &mut Gap,
) {
    let flat_start = flat.len();
    for &(c, r) in piece {
        flat.push(c, r);
    }
    toks.push(Tok {
        flat_start,
        flat_end: flat.len(),
        nchars: piece.len(),
        gap_chars: gap.chars,
        gap_sentence: gap.sentence,
        gap_clause: gap.clause,
        gap_newline: gap.newline,
        cjk,
    });
    *gap = Gap::default();
}

/// True when `toks[i]` is a single letter glued to its predecessor by a short
/// separator, as in "w h a t s a p p" or "t-e-l-e-g-r-a-m".
fn glues_to_prev(toks: &[Tok], i: usize) -> bool {
    i > 0
        && toks[i].nchars == 1
        && toks[i - 1].nchars == 1
        && !toks[i].cjk
        && !toks[i - 1].cjk
        && toks[i].gap_chars <= 3
        && !toks[i].gap_newline
        && !toks[i].gap_sentence
}

/// Marks which tokens start a new word once runs of ≥3 single letters are collapsed.
fn word_breaks(toks: &[Tok]) -> Vec<bool> {
    let mut starts = vec![true; toks.len()];
    let mut i = 0;
    while i < toks.len() {
        let mut j = i + 1;
        while j < toks.len() && glues_to_prev(toks, j) {
            j += 1;
        }
        if j - i >= 3 && toks[i].nchars == 1 && !toks[i].cjk {
            starts[i + 1..j].iter_mut().for_each(|s| *s = false);
        }
        i = j;
    }
    starts
}

type Joined<'a> = (View<'a>, Vec<Word>, Vec<(u32, u32)>);

fn join_words<'a>(flat: &View<'_>, toks: &[Tok]) -> Joined<'a> {
    let starts = word_breaks(toks);
    let mut b = Builder::with_capacity(flat.text.len() + toks.len());
    let mut words: Vec<Word> = Vec::with_capacity(toks.len());
    let mut flat_words: Vec<(u32, u32)> = Vec::with_capacity(toks.len());
    let mut pos = 0u32;
    for (t, &new_word) in toks.iter().zip(&starts) {
        if new_word {
            if let Some(w) = words.last_mut() {
                w.end = b.len() as u32;
                let o = flat.orig(t.flat_start, t.flat_start);
                b.push(' ', (o.start as u32, o.start as u32));
                pos += 1 + if t.gap_sentence {
                    SENTENCE_GAP
                } else if t.gap_clause {
                    CLAUSE_GAP
                } else {
                    0
                };
            }
            words.push(Word {
                start: b.len() as u32,
                end: 0,
                pos,
                collapsed: false,
            });
            flat_words.push((t.flat_start as u32, t.flat_end as u32));
        }
        if !new_word && let Some(w) = words.last_mut() {
            w.collapsed = true;
        }
        b.copy_from(flat, t.flat_start, t.flat_end);
        if let Some(fw) = flat_words.last_mut() {
            fw.1 = t.flat_end as u32;
        }
    }
    if let Some(w) = words.last_mut() {
        w.end = b.len() as u32;
    }
    (b.finish(), words, flat_words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spaced(s: &str) -> String {
        let b = base(s);
        letters(&b).spaced.text.into_owned()
    }

    #[test]
    fn folds_case_accents_and_l() {
        assert_eq!(spaced("Écris-MOI sur Telegram!"), "ecris moi sur teiegram");
        assert_eq!(fold_term("Überweisung"), "uberweisung");
        assert_eq!(fold_term("Straße"), "strasse");
    }

    #[test]
    fn collapses_spaced_and_dotted_letters() {
        assert_eq!(spaced("add me on w h a t s a p p"), "add me on whatsapp");
        assert_eq!(spaced("W.h.a.t.s.A.p.p please"), "whatsapp piease");
        assert_eq!(spaced("t-e-l-e-g-r-a-m"), "teiegram");
    }

    #[test]
    fn maps_leetspeak_inside_words_only() {
        assert_eq!(spaced("wh4ts4pp te1egram"), "whatsapp teiegram");
        assert_eq!(spaced("p@y 2 days 120 x 60"), "pay days x");
    }

    #[test]
    fn strips_zero_width_and_nfkc() {
        assert_eq!(
            spaced("what\u{200B}sapp ｗｈａｔｓａｐｐ"),
            "whatsapp whatsapp"
        );
    }

    #[test]
    fn mixed_script_words_go_to_majority_script() {
        // Cyrillic а and о inside Latin words.
        assert_eq!(spaced("whаtsapp telegrаm"), "whatsapp teiegram");
        // Latin a inside a Cyrillic word.
        assert_eq!(spaced("вaтсап"), "ватсап");
    }

    #[test]
    fn maps_back_to_original_text() {
        let text = "Ping me on W h a t s A p p now";
        let b = base(text);
        let l = letters(&b);
        let at = l.spaced.text.find("whatsapp").unwrap();
        let r = l.spaced.orig(at, at + 8);
        assert_eq!(&text[r], "W h a t s A p p");
    }
}
