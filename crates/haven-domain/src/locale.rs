//! The languages buyer pages speak, and how each writes money: "$25.00" in
//! English, "25,00 €" in German, "R$ 25,00" in Portuguese. Pure: the web
//! layer picks the locale from the request (`Accept-Language`).

use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    Es,
    Pt,
    Fr,
    De,
    Ru,
}

/// A no-break space: an amount and its symbol never part at a line end.
const NBSP: char = '\u{a0}';
/// The narrow no-break space French groups thousands with.
const NNBSP: char = '\u{202f}';

impl Locale {
    pub const ALL: [Locale; 6] = [
        Locale::En,
        Locale::Es,
        Locale::Pt,
        Locale::Fr,
        Locale::De,
        Locale::Ru,
    ];

    /// The language tag (`lang` attribute).
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Es => "es",
            Locale::Pt => "pt",
            Locale::Fr => "fr",
            Locale::De => "de",
            Locale::Ru => "ru",
        }
    }

    pub fn parse(tag: &str) -> Option<Locale> {
        let language = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        Locale::ALL.into_iter().find(|l| l.tag() == language)
    }

    /// The best supported language in an `Accept-Language` header: the
    /// highest weight wins, then the earliest; English when none is
    /// supported. Malformed parts are skipped, never an error.
    pub fn from_accept_language(header: &str) -> Locale {
        let mut best: Option<(u16, Locale)> = None;
        for part in header.split(',').take(32) {
            let mut pieces = part.split(';');
            let Some(locale) = pieces.next().and_then(Locale::parse) else {
                continue;
            };
            let weight = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1000), quality_permille);
            let Some(weight) = weight.filter(|w| *w > 0) else {
                continue;
            };
            if best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, locale));
            }
        }
        best.map_or(Locale::En, |(_, locale)| locale)
    }

    /// `amount` as this language writes it.
    pub fn money(self, amount: Money) -> String {
        let exponent = amount.currency.exponent();
        let abs = amount.amount_minor.unsigned_abs();
        let scale = 10_u64.pow(exponent);
        let (group, decimal) = self.separators();
        let whole = grouped(abs / scale, group, self.min_grouping_digits());
        let number = if exponent == 0 {
            whole
        } else {
            format!(
                "{whole}{decimal}{:0width$}",
                abs % scale,
                width = exponent as usize
            )
        };
        let sign = if amount.amount_minor < 0 { "-" } else { "" };
        let code = amount.currency.as_str();
        match (self, symbol(self, code)) {
            (Locale::En, Some(symbol)) => format!("{sign}{symbol}{number}"),
            (Locale::Pt, Some(symbol)) => format!("{sign}{symbol}{NBSP}{number}"),
            (_, Some(symbol)) => format!("{sign}{number}{NBSP}{symbol}"),
            (Locale::En | Locale::Pt, None) => format!("{sign}{code}{NBSP}{number}"),
            (_, None) => format!("{sign}{number}{NBSP}{code}"),
        }
    }

    /// (thousands, decimal) separators.
    fn separators(self) -> (char, char) {
        match self {
            Locale::En => (',', '.'),
            Locale::Es | Locale::Pt | Locale::De => ('.', ','),
            Locale::Fr => (NNBSP, ','),
            Locale::Ru => (NBSP, ','),
        }
    }

    /// Spanish leaves four-digit amounts ungrouped ("1234,50 €").
    fn min_grouping_digits(self) -> usize {
        if self == Locale::Es { 5 } else { 4 }
    }
}

/// "q=0.8" as 800; `None` when it is not a weight.
fn quality_permille(raw: &str) -> Option<u16> {
    let value: f32 = raw.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&value)
        .then(|| (value * 1000.0).round() as u16)
}

fn grouped(whole: u64, separator: char, min_digits: usize) -> String {
    let digits = whole.to_string();
    if digits.len() < min_digits {
        return digits;
    }
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(digit);
    }
    out
}

/// The symbol each language uses for the currencies a marketplace most
/// often sees; others are written as their ISO code.
fn symbol(locale: Locale, code: &str) -> Option<&'static str> {
    use Locale::*;
    Some(match (code, locale) {
        ("EUR", _) => "€",
        ("GBP", _) => "£",
        ("RUB", _) => "₽",
        ("BRL", _) => "R$",
        ("USD", En | De | Ru) => "$",
        ("USD", Es | Pt) => "US$",
        ("USD", Fr) => "$US",
        ("JPY", En | Pt | De) => "¥",
        ("JPY", Es | Fr | Ru) => "JPY",
        ("CAD", En | Pt) => "CA$",
        ("AUD", En | Pt) => "A$",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Currency;

    fn money(minor: i64, code: &str) -> Money {
        Money::new(minor, Currency::parse(code).unwrap())
    }

    #[test]
    fn each_language_writes_money_its_own_way() {
        let cases = [
            (Locale::En, 2_500, "USD", "$25.00"),
            (Locale::En, 123_456_789, "EUR", "€1,234,567.89"),
            (Locale::En, -1_050, "GBP", "-£10.50"),
            (Locale::En, 1_000, "CHF", "CHF\u{a0}10.00"),
            (Locale::De, 2_500, "EUR", "25,00\u{a0}€"),
            (Locale::De, 123_450, "EUR", "1.234,50\u{a0}€"),
            (Locale::Es, 123_450, "EUR", "1234,50\u{a0}€"),
            (Locale::Es, 1_234_500, "EUR", "12.345,00\u{a0}€"),
            (Locale::Es, 2_500, "USD", "25,00\u{a0}US$"),
            (Locale::Pt, 2_500, "BRL", "R$\u{a0}25,00"),
            (Locale::Fr, 123_450, "EUR", "1\u{202f}234,50\u{a0}€"),
            (Locale::Fr, 2_500, "USD", "25,00\u{a0}$US"),
            (Locale::Ru, 123_450, "RUB", "1\u{a0}234,50\u{a0}₽"),
            (Locale::En, 1_500, "JPY", "¥1,500"),
            (Locale::En, 1_234, "KWD", "KWD\u{a0}1.234"),
        ];
        for (locale, minor, code, expected) in cases {
            assert_eq!(locale.money(money(minor, code)), expected, "{locale:?}");
        }
    }

    #[test]
    fn the_best_supported_language_of_the_header_wins() {
        let cases = [
            ("", Locale::En),
            ("de-DE,de;q=0.9,en;q=0.8", Locale::De),
            ("ja,fr-CA;q=0.7,en;q=0.5", Locale::Fr),
            ("en;q=0.5, pt-BR", Locale::Pt),
            ("ru;q=0, es;q=0.2", Locale::Es),
            ("xx, ;;, q=1", Locale::En),
            ("es;q=abc, ru;q=0.1", Locale::Ru),
            ("zh-CN", Locale::En),
        ];
        for (header, expected) in cases {
            assert_eq!(Locale::from_accept_language(header), expected, "{header:?}");
        }
    }
}
