//! Phone numbers written out in words ("six one five, five five five…",
//! "zéro six, trente-neuf, quatre-vingt-dix-huit", "null eins fünf eins").
//!
//! Number words 0–99 in en/es/pt/fr/de/ru/it are read from the letters
//! view, combined the way each language builds tens ("trente neuf" → 39,
//! "quatre vingt dix huit" → 98, "neununddreißig" → 39) and concatenated.
//! A run that spells seven or more digits is a phone number.

use std::collections::HashMap;
use std::ops::Range;

use super::normalize::{CLAUSE_GAP, Letters, fold_term};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Num {
    /// 0–9.
    Unit(u8),
    /// 10–19 (and 21–29 single words like "veintidós").
    Fixed(u8),
    /// 20, 30, … 90 (and 60/80 bases of French 70/80/90).
    Tens(u8),
    /// 100–900.
    Hundreds(u16),
    /// "and", "y", "e", "et", "und", "и" between tens and units.
    Conn,
}

#[rustfmt::skip]
const UNITS: &[(u8, &[&str])] = &[
    (0, &["zero", "oh", "cero", "zéro", "null", "ноль", "нуль"]),
    (1, &["one", "uno", "una", "um", "uma", "un", "une", "eins", "один", "одна", "раз"]),
    (2, &["two", "dos", "dois", "duas", "deux", "zwei", "zwo", "два", "две", "due"]),
    (3, &["three", "tres", "três", "trois", "drei", "три", "tre"]),
    (4, &["four", "cuatro", "quatro", "quatre", "vier", "четыре", "quattro"]),
    (5, &["five", "cinco", "cinq", "fünf", "пять", "cinque"]),
    (6, &["six", "seis", "meia", "sechs", "шесть", "sei"]),
    (7, &["seven", "siete", "sete", "sept", "sieben", "семь", "sette"]),
    (8, &["eight", "ocho", "oito", "huit", "acht", "восемь", "otto"]),
    (9, &["nine", "nueve", "nove", "neuf", "neun", "девять"]),
];

#[rustfmt::skip]
const FIXED: &[(u8, &[&str])] = &[
    (10, &["ten", "diez", "dez", "dix", "zehn", "десять", "dieci"]),
    (11, &["eleven", "once", "onze", "elf", "одиннадцать", "undici"]),
    (12, &["twelve", "doce", "doze", "douze", "zwölf", "двенадцать", "dodici"]),
    (13, &["thirteen", "trece", "treze", "treize", "dreizehn", "тринадцать", "tredici"]),
    (14, &["fourteen", "catorce", "catorze", "quatorze", "vierzehn", "четырнадцать", "quattordici"]),
    (15, &["fifteen", "quince", "quinze", "fünfzehn", "пятнадцать", "quindici"]),
    (16, &["sixteen", "dieciséis", "dezesseis", "seize", "sechzehn", "шестнадцать", "sedici"]),
    (17, &["seventeen", "diecisiete", "dezessete", "siebzehn", "семнадцать", "diciassette"]),
    (18, &["eighteen", "dieciocho", "dezoito", "achtzehn", "восемнадцать", "diciotto"]),
    (19, &["nineteen", "diecinueve", "dezenove", "neunzehn", "девятнадцать", "diciannove"]),
    (21, &["veintiuno", "veintiún"]),
    (22, &["veintidós"]),
    (23, &["veintitrés"]),
    (24, &["veinticuatro"]),
    (25, &["veinticinco"]),
    (26, &["veintiséis"]),
    (27, &["veintisiete"]),
    (28, &["veintiocho"]),
    (29, &["veintinueve"]),
];

#[rustfmt::skip]
const TENS: &[(u8, &[&str])] = &[
    (20, &["twenty", "veinte", "vinte", "vingt", "vingts", "zwanzig", "двадцать", "venti"]),
    (30, &["thirty", "treinta", "trinta", "trente", "dreißig", "тридцать", "trenta"]),
    (40, &["forty", "cuarenta", "quarenta", "quarante", "vierzig", "сорок", "quaranta"]),
    (50, &["fifty", "cincuenta", "cinquenta", "cinquante", "fünfzig", "пятьдесят", "cinquanta"]),
    (60, &["sixty", "sesenta", "sessenta", "soixante", "sechzig", "шестьдесят", "sessanta"]),
    (70, &["seventy", "setenta", "siebzig", "семьдесят", "settanta", "septante"]),
    (80, &["eighty", "ochenta", "oitenta", "achtzig", "восемьдесят", "ottanta", "huitante"]),
    (90, &["ninety", "noventa", "neunzig", "девяносто", "novanta", "nonante"]),
];

#[rustfmt::skip]
const HUNDREDS: &[(u16, &[&str])] = &[
    (100, &["hundred", "cien", "ciento", "cem", "cento", "cent", "hundert", "сто"]),
    (200, &["doscientos", "duzentos", "двести", "duecento"]),
    (300, &["trescientos", "trezentos", "триста", "trecento"]),
    (400, &["cuatrocientos", "quatrocentos", "четыреста", "quattrocento"]),
    (500, &["quinientos", "quinhentos", "пятьсот", "cinquecento"]),
    (600, &["seiscientos", "seiscentos", "шестьсот", "seicento"]),
    (700, &["setecientos", "setecentos", "семьсот", "settecento"]),
    (800, &["ochocientos", "oitocentos", "восемьсот", "ottocento"]),
    (900, &["novecientos", "novecentos", "девятьсот", "novecento"]),
];

const CONNECTORS: &[&str] = &["and", "y", "e", "et", "und", "и"];

/// Number-word dictionary in the letters-view alphabet.
pub(crate) struct NumberWords {
    map: HashMap<String, Num>,
    /// Tens stems for single-word compounds ("trentadue", "neununddreißig").
    tens: Vec<(String, u8)>,
    units: Vec<(String, u8)>,
}

impl NumberWords {
    pub fn new() -> NumberWords {
        let mut map = HashMap::new();
        let mut units = Vec::new();
        let mut tens = Vec::new();
        for (v, words) in UNITS {
            for w in *words {
                map.insert(fold_term(w), Num::Unit(*v));
                units.push((fold_term(w), *v));
            }
        }
        for (v, words) in FIXED {
            words.iter().for_each(|w| {
                map.insert(fold_term(w), Num::Fixed(*v));
            });
        }
        for (v, words) in TENS {
            for w in *words {
                map.insert(fold_term(w), Num::Tens(*v));
                tens.push((fold_term(w), *v));
            }
        }
        for (v, words) in HUNDREDS {
            words.iter().for_each(|w| {
                map.insert(fold_term(w), Num::Hundreds(*v));
            });
        }
        for c in CONNECTORS {
            map.insert(fold_term(c), Num::Conn);
        }
        NumberWords { map, tens, units }
    }

    /// Reads one word; also splits "trentadue" / "neununddreissig".
    fn read(&self, w: &str) -> Option<Num> {
        if let Some(n) = self.map.get(w) {
            return Some(*n);
        }
        if w.len() < 6 {
            return None;
        }
        if let Some((u, t)) = w.split_once("und") {
            let unit = self.units.iter().find(|(s, _)| s == u).map(|x| x.1);
            let ten = self.tens.iter().find(|(s, _)| s == t).map(|x| x.1);
            if let (Some(u), Some(t)) = (unit, ten) {
                return Some(Num::Fixed(t + u));
            }
        }
        for (t, tv) in &self.tens {
            let stem = t.trim_end_matches(['a', 'e', 'i', 'o']);
            if let Some(rest) = w.strip_prefix(stem) {
                let rest = rest.trim_start_matches(['a', 'e', 'i']);
                if let Some((_, u)) = self.units.iter().find(|(s, v)| {
                    *v > 0
                        && s.trim_start_matches(['u', 'o']) == rest.trim_start_matches(['u', 'o'])
                }) {
                    return Some(Num::Fixed(tv + u));
                }
            }
        }
        None
    }

    /// Spelled digit runs of 7–15 digits: (original range, digits).
    pub fn phones(&self, l: &Letters<'_>) -> Vec<(Range<usize>, String)> {
        let mut out = Vec::new();
        let mut run = Run::default();
        let mut last_pos = 0;
        for w in &l.words {
            let text = &l.spaced.text[w.start as usize..w.end as usize];
            let num = self.read(text);
            let too_far = w.pos > last_pos + 1 + CLAUSE_GAP;
            if num.is_none() || too_far {
                run.finish(&mut out);
            }
            if let Some(n) = num {
                let r = l.spaced.orig(w.start as usize, w.end as usize);
                run.push(n, r);
            }
            last_pos = w.pos;
        }
        run.finish(&mut out);
        out
    }
}

/// Digits accumulated from consecutive number words.
#[derive(Default)]
struct Run {
    digits: String,
    /// A tens value waiting for an optional unit ("trente" + "neuf").
    pending: Option<u8>,
    /// A hundreds value waiting for tens/units ("пятьсот" + "пятьдесят пять").
    hundreds: Option<u16>,
    /// "dix" waiting for "sept/huit/neuf" (French 17–19).
    pending_ten: Option<u8>,
    /// "quatre" waiting for "vingt" (French 80).
    pending_quatre: bool,
    range: Option<Range<usize>>,
    words: usize,
}

impl Run {
    fn push(&mut self, n: Num, r: Range<usize>) {
        self.range = Some(match self.range.take() {
            Some(p) => p.start..r.end,
            None => r,
        });
        self.words += 1;
        match n {
            Num::Conn => {}
            Num::Hundreds(h) => {
                self.flush();
                self.hundreds = Some(h);
            }
            Num::Tens(20) if self.pending_quatre => {
                self.pending_quatre = false;
                self.pending = Some(80);
            }
            Num::Tens(t) => {
                let h = self.hundreds.take();
                self.flush();
                self.hundreds = h;
                self.pending = Some(t);
            }
            Num::Fixed(10) if self.pending.is_some_and(|t| t == 60 || t == 80) => {
                self.pending_ten = self.pending.take().map(|t| t + 10);
            }
            Num::Fixed(10) => {
                self.flush();
                self.pending_ten = Some(10);
            }
            Num::Fixed(f) => {
                let t = self.pending.take().unwrap_or(0);
                self.emit(t + f);
            }
            Num::Unit(4) if self.pending.is_none() && self.pending_ten.is_none() => {
                self.flush();
                self.pending_quatre = true;
            }
            Num::Unit(u) => self.unit(u),
        }
    }

    fn unit(&mut self, u: u8) {
        if let Some(t) = self.pending_ten.take() {
            return self.emit(t + u);
        }
        if let Some(t) = self.pending.take() {
            return self.emit(t + u);
        }
        self.flush();
        self.emit(u);
    }

    /// Writes out anything half-built ("trente" alone is 30, "quatre" is 4).
    fn flush(&mut self) {
        if self.pending_quatre {
            self.pending_quatre = false;
            self.emit(4);
        }
        if let Some(t) = self.pending.take() {
            self.emit(t);
        }
        if let Some(t) = self.pending_ten.take() {
            self.emit(t);
        }
        if let Some(h) = self.hundreds.take() {
            self.digits.push_str(&h.to_string());
        }
    }

    /// Writes a number; under a pending hundred it fills the last two digits.
    fn emit(&mut self, v: u8) {
        match self.hundreds.take() {
            Some(h) => self.digits.push_str(&(h + u16::from(v)).to_string()),
            None => self.digits.push_str(&v.to_string()),
        }
    }

    fn finish(&mut self, out: &mut Vec<(Range<usize>, String)>) {
        self.flush();
        let n = self.digits.len();
        if (7..=15).contains(&n)
            && self.words >= 4
            && let Some(r) = self.range.take()
        {
            out.push((r, std::mem::take(&mut self.digits)));
        }
        *self = Run::default();
    }
}

#[cfg(test)]
mod tests {
    use super::super::normalize::{base, letters};
    use super::*;

    fn digits(s: &str) -> Vec<String> {
        let b = base(s);
        let l = letters(&b);
        NumberWords::new()
            .phones(&l)
            .into_iter()
            .map(|x| x.1)
            .collect()
    }

    #[test]
    fn reads_spelled_numbers() {
        assert_eq!(
            digits("call six one five, five five five, zero one three seven"),
            ["6155550137"]
        );
        assert_eq!(
            digits("zéro six, trente-neuf, quatre-vingt-dix-huit, dix, vingt"),
            ["0639981020"]
        );
        assert_eq!(
            digits("null eins fünf eins, zwei drei vier fünf, sechs sieben acht neun"),
            ["015123456789"]
        );
        assert_eq!(
            digits("восемь, девятьсот, пятьсот пятьдесят пять, ноль один, сорок два"),
            ["89005550142"]
        );
        assert_eq!(
            digits("I'd take one or two, maybe three"),
            Vec::<String>::new()
        );
    }
}
