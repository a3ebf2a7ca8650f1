//! Vocabulary matching: every family and messenger alias compiled into one
//! Aho–Corasick automaton over the letters view, plus a second small one
//! over the separator-free view for long messenger names split into chunks
//! ("tele gram", "whats.app").

use std::collections::HashMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::normalize::{Letters, fold_term};
use super::vocab::{FAMILIES, Fam, MESSENGERS, Tier};

/// One vocabulary occurrence in a message.
#[derive(Clone, Debug)]
pub(crate) struct Hit {
    pub fam: Fam,
    /// Index into `MESSENGERS` for messenger hits.
    pub label: u16,
    pub tier: Tier,
    /// Word positions of the first and last word (with sentence gaps).
    pub w0: u32,
    pub w1: u32,
    /// Bytes in the spaced letters view (the flat view for squeezed hits).
    pub span: (u32, u32),
    /// Byte range in the original message.
    pub orig: Range<usize>,
}

impl Hit {
    /// Words between two hits; 0 when they touch or overlap.
    pub fn dist(&self, o: &Hit) -> u32 {
        if self.w1 < o.w0 {
            o.w0 - self.w1
        } else {
            self.w0.saturating_sub(o.w1)
        }
    }

    /// Same words matched by two families ("transfer" as method and as verb).
    pub fn same_place(&self, o: &Hit) -> bool {
        self.orig == o.orig
    }
}

#[derive(Clone, Copy)]
struct Meta {
    fam: Fam,
    /// Trailing `*`: the last word may continue ("закр*" → "закройте").
    stem: bool,
    /// Leading `*`: may end a longer word (German compounds, "*gebühr").
    suffix: bool,
    label: u16,
    tier: Tier,
}

pub(crate) struct Lexicon {
    ac: AhoCorasick,
    /// Per pattern id, the families it belongs to.
    metas: Vec<Vec<Meta>>,
    squeezed: AhoCorasick,
    squeezed_meta: Vec<Meta>,
}

impl std::fmt::Debug for Lexicon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lexicon")
            .field("patterns", &self.metas.len())
            .finish()
    }
}

/// Collects (folded pattern → metas) so duplicates across families share one id.
#[derive(Default)]
struct PatternSet {
    index: HashMap<String, usize>,
    pats: Vec<String>,
    metas: Vec<Vec<Meta>>,
}

impl PatternSet {
    fn add(&mut self, raw: &str, fam: Fam, label: u16, tier: Tier) {
        let stem = raw.ends_with('*');
        let suffix = raw.starts_with('*');
        let folded = fold_term(raw.trim_matches('*'));
        if folded.is_empty() {
            return;
        }
        let meta = Meta {
            fam,
            stem,
            suffix,
            label,
            tier,
        };
        let id = *self.index.entry(folded.clone()).or_insert_with(|| {
            self.pats.push(folded);
            self.metas.push(Vec::new());
            self.pats.len() - 1
        });
        let known = self.metas[id]
            .iter()
            .any(|m| m.fam == meta.fam && m.label == meta.label && m.stem == meta.stem);
        if !known {
            self.metas[id].push(meta);
        }
    }
}

impl Lexicon {
    /// Compiles all vocabularies; `extra_platform` adds the brand and own
    /// domain names to the platform family ("outside Haven").
    pub fn new(extra_platform: &[String]) -> Lexicon {
        let mut set = PatternSet::default();
        for (i, m) in MESSENGERS.iter().enumerate() {
            let tiers = [
                (m.strong, Tier::Strong),
                (m.slang, Tier::Slang),
                (m.ambiguous, Tier::Ambiguous),
            ];
            for (list, tier) in tiers {
                list.iter()
                    .for_each(|a| set.add(a, Fam::Messenger, i as u16, tier));
            }
        }
        for (fam, terms) in FAMILIES {
            terms.iter().for_each(|t| set.add(t, *fam, 0, Tier::Strong));
        }
        for p in extra_platform {
            set.add(p, Fam::Platform, 0, Tier::Strong);
        }
        let ac = build(&set.pats);
        let (squeezed, squeezed_meta) = build_squeezed();
        Lexicon {
            ac,
            metas: set.metas,
            squeezed,
            squeezed_meta,
        }
    }

    /// All vocabulary hits, ordered by position.
    pub fn hits(&self, l: &Letters<'_>) -> Vec<Hit> {
        let mut out = Vec::new();
        self.spaced_hits(l, &mut out);
        self.squeezed_hits(l, &mut out);
        out.sort_by_key(|h| (h.w0, h.span.0));
        out
    }

    fn spaced_hits(&self, l: &Letters<'_>, out: &mut Vec<Hit>) {
        let text = l.spaced.text.as_bytes();
        for m in self.ac.find_overlapping_iter(text) {
            let (s, e) = (m.start(), m.end());
            let w0 = word_index(l, s);
            let w1 = word_index(l, e - 1);
            let starts_word = s == 0 || text[s - 1] == b' ';
            let inside_collapsed = !starts_word && l.words[w0].collapsed;
            let whole = e == text.len() || text[e] == b' ';
            for meta in &self.metas[m.pattern().as_usize()] {
                let left_ok =
                    starts_word || meta.suffix || (inside_collapsed && meta.fam == Fam::Messenger);
                if left_ok && (whole || meta.stem) {
                    out.push(Hit {
                        fam: meta.fam,
                        label: meta.label,
                        tier: meta.tier,
                        w0: l.words[w0].pos,
                        w1: l.words[w1].pos,
                        span: (s as u32, e as u32),
                        orig: l.spaced.orig(s, e),
                    });
                }
            }
        }
    }

    /// Strong messenger names spread over several words ("whats.app",
    /// "tele gram"): matched on the flat view, aligned to word edges.
    fn squeezed_hits(&self, l: &Letters<'_>, out: &mut Vec<Hit>) {
        if l.flat_words.len() < 2 {
            return;
        }
        let text = l.flat.text.as_bytes();
        for m in self.squeezed.find_overlapping_iter(text) {
            let (s, e) = (m.start() as u32, m.end() as u32);
            let Some(w0) = l.flat_words.iter().position(|w| w.0 == s) else {
                continue;
            };
            let meta = self.squeezed_meta[m.pattern().as_usize()];
            let w1 = l
                .flat_words
                .iter()
                .position(|w| w.0 < e && (w.1 == e || (meta.stem && e < w.1)));
            let Some(w1) = w1.filter(|&w1| w1 > w0) else {
                continue;
            };
            out.push(Hit {
                fam: Fam::Messenger,
                label: meta.label,
                tier: Tier::Strong,
                w0: l.words[w0].pos,
                w1: l.words[w1].pos,
                span: (s, e),
                orig: l.flat.orig(s as usize, e as usize),
            });
        }
    }
}

fn build(pats: &[String]) -> AhoCorasick {
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(pats)
        .expect("vocabulary compiles")
}

/// Only long strong aliases: short ones would match across unrelated words.
fn build_squeezed() -> (AhoCorasick, Vec<Meta>) {
    let mut pats = Vec::new();
    let mut metas = Vec::new();
    for (i, m) in MESSENGERS.iter().enumerate() {
        for a in m.strong {
            let stem = a.ends_with('*');
            let flat: String = fold_term(a.trim_end_matches('*'))
                .chars()
                .filter(|c| *c != ' ')
                .collect();
            if flat.chars().count() >= 6 && !pats.contains(&flat) && !is_phrase_alias(a) {
                pats.push(flat);
                metas.push(Meta {
                    fam: Fam::Messenger,
                    stem,
                    suffix: false,
                    label: i as u16,
                    tier: Tier::Strong,
                });
            }
        }
    }
    (build(&pats), metas)
}

/// Aliases like "signal app" are phrases, not a split-up name.
fn is_phrase_alias(a: &str) -> bool {
    const PHRASE_TAILS: [&str; 6] = [" app", " id", " messenger", " dm", " com", " ru"];
    PHRASE_TAILS
        .iter()
        .any(|t| a.trim_end_matches('*').ends_with(t))
}

/// Index of the word containing byte `b` of the spaced view.
fn word_index(l: &Letters<'_>, b: usize) -> usize {
    let b = b as u32;
    l.words.partition_point(|w| w.start <= b).saturating_sub(1)
}
