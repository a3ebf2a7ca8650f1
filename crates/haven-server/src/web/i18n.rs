//! The words of buyer pages in the visitor's language. Templates mark each
//! English sentence with the `t` filter (`{{ "Buy now"|t }}`); the sentence
//! itself is the key into one catalogue per language (`locales/<tag>.json`),
//! so an untranslated sentence shows in English rather than as a code. A
//! test keeps every catalogue complete for every sentence the templates mark.

use std::collections::HashMap;
use std::sync::LazyLock;

use haven_domain::locale::Locale;

/// Sentences made in code and translated where a template shows them
/// (`{{ title|t }}`): page titles, category names, sort and filter names,
/// error headings and messages after an action. Listed so the catalogue
/// test holds every language to them too.
#[cfg(test)]
pub(crate) const SENTENCES_FROM_CODE: &[&str] = &[
    // Page titles of buyer pages.
    "Account security",
    "Cart",
    "Checkout",
    "Confirm receipt",
    "Dispute",
    "Messages",
    "My orders",
    "Notifications",
    "Open a dispute",
    "Two-factor authentication",
    "Verify payment",
    "Withdraw dispute",
    "Search",
    "Log in",
    "Register",
    // Error pages.
    "Not found",
    "Not allowed",
    "Something went wrong",
    "That didn't work",
    // Categories, with the home page's examples.
    "Electronics",
    "Home",
    "Fashion",
    "Toys",
    "Sports",
    "Beauty",
    "Books",
    "Garden",
    "Chargers, earbuds, speakers",
    "Lamps, candles, baskets",
    "Belts, beanies, scarves",
    "Plush, puzzles, blocks",
    "Yoga mats, bottles, bands",
    "Soaps, balms, brushes",
    "Novels, guides, notebooks",
    "Seeds, pots, tools",
    // Search: sorts and filter groups.
    "Best match",
    "Most orders",
    "Price: low to high",
    "Price: high to low",
    "Top rated",
    "Newest",
    "Category",
    "Price",
    "Buyer safety",
    "Delivery",
    "Ships from",
    "Rating",
    // Why an order closed (`CloseReason::explanation`).
    "The payment was never completed, so nothing was charged.",
    "The card was declined, so nothing was charged.",
    "The buyer confirmed that the item arrived.",
    "Buyer protection ended after the delivery scan with no dispute, so the order completed by itself.",
    "Cancelled at the buyer's request, before shipment.",
    "The seller did not ship by the ship-by date, so Haven cancelled the order.",
    "The card holder's bank took the payment back (a chargeback).",
    "A dispute settled the order.",
    "The return was not shipped in time, so the dispute closed and the seller was paid.",
    "The buyer withdrew the dispute, and the order completed.",
    "A later dispute replaced the first one.",
    "Haven's payment check refused the payment.",
    // My orders: next steps.
    "Verify your payment",
    "Confirm receipt",
    "Go to the dispute",
    "Open a dispute",
    "Track",
    // Why a dispute went to Haven.
    "seller submitted proof of delivery",
    "the buyer asked Haven to step in",
    "the seller contested the returned item",
    "a delivery scan arrived after the window ended",
    // Parcel scans, reviews, dispute records.
    "in transit",
    "out for delivery",
    "exception",
    "pending",
    "held",
    "published",
    "removed",
    "buyer",
    "seller",
    "agent",
    "system",
    "full refund",
    "partial refund",
    "no refund",
    "opened",
    "message",
    "file",
    "tracking",
    "state change",
    "decision",
    "platform",
    "My disputes",
    "Dispute inbox",
    // Messages after an action.
    "Added to your cart.",
    "Removed from your cart.",
    "Cart updated.",
    "Paid. Your money is held in escrow until you confirm delivery.",
    "Coupon claimed: pick it at checkout.",
    "Email settings saved.",
    "Password changed. Log in with your new password.",
    "Thank you. An agent will read this conversation. Meanwhile, never pay or share your details outside Haven.",
    "Cancellation requested. If the seller accepts, or does not answer in time, the order is cancelled and your money refunded.",
    "Dispute opened: the seller is asked to accept, offer a partial refund or reject it, and Haven holds the payment meanwhile.",
    "Dispute reopened: the seller is asked to answer it again.",
    "Dispute withdrawn. You can reopen it while buyer protection lasts.",
    "File added to the evidence.",
    "Message added to the dispute: the other side and any agent can read it.",
    "Message sent.",
    "Question sent: the seller's answer appears here, and you get a notification.",
    "Receipt confirmed: the order is complete and the seller is paid.",
    "Return marked as shipped: the seller can follow the parcel.",
    "Sent to Haven: an agent will review the evidence and decide.",
    "You accepted the seller's offer: the partial refund settles the dispute.",
    "You are logged out.",
    "You declined the seller's offer: you can ask Haven to step in.",
];

/// Each catalogue, parsed once: English sentence → translation.
static CATALOGUES: LazyLock<HashMap<Locale, HashMap<String, String>>> = LazyLock::new(|| {
    Locale::ALL
        .into_iter()
        .filter_map(|locale| Some((locale, parse(source(locale)?))))
        .collect()
});

/// The shipped catalogue of a language; English needs none.
pub(crate) fn source(locale: Locale) -> Option<&'static str> {
    match locale {
        Locale::En => None,
        Locale::Es => Some(include_str!("../../locales/es.json")),
        Locale::Pt => Some(include_str!("../../locales/pt.json")),
        Locale::Fr => Some(include_str!("../../locales/fr.json")),
        Locale::De => Some(include_str!("../../locales/de.json")),
        Locale::Ru => Some(include_str!("../../locales/ru.json")),
    }
}

pub(crate) fn parse(json: &str) -> HashMap<String, String> {
    // The catalogues ship inside the binary and a test parses each one, so
    // a broken file cannot reach a running server.
    serde_json::from_str(json).unwrap_or_default()
}

/// `english` in `locale`, or `english` itself when there is no translation.
pub fn translate(locale: Locale, english: &str) -> String {
    CATALOGUES
        .get(&locale)
        .and_then(|catalogue| catalogue.get(english))
        .cloned()
        .unwrap_or_else(|| english.to_string())
}

/// `english` in the language of the page being rendered.
pub fn tr(english: &str) -> String {
    translate(super::csrf::current_locale(), english)
}

/// A translated sentence with `{}` replaced by `value`: word order differs
/// between languages, so the value's place is part of the translation.
pub fn tr_with(english: &str, value: impl std::fmt::Display) -> String {
    tr(english).replacen("{}", &value.to_string(), 1)
}

/// Month and weekday abbreviations, January and Monday first.
fn date_words(locale: Locale) -> ([&'static str; 12], [&'static str; 7]) {
    match locale {
        Locale::En => (
            [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ],
            ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        ),
        Locale::Es => (
            [
                "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
            ],
            ["lun", "mar", "mié", "jue", "vie", "sáb", "dom"],
        ),
        Locale::Pt => (
            [
                "jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez",
            ],
            ["seg", "ter", "qua", "qui", "sex", "sáb", "dom"],
        ),
        Locale::Fr => (
            [
                "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                "nov.", "déc.",
            ],
            ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
        ),
        Locale::De => (
            [
                "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.",
                "Nov.", "Dez.",
            ],
            ["Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."],
        ),
        Locale::Ru => (
            [
                "янв.",
                "февр.",
                "мар.",
                "апр.",
                "мая",
                "июн.",
                "июл.",
                "авг.",
                "сент.",
                "окт.",
                "нояб.",
                "дек.",
            ],
            ["пн", "вт", "ср", "чт", "пт", "сб", "вс"],
        ),
    }
}

/// A day as the page's language writes it, in UTC: "Thu 3 Dec 2026",
/// "jeu. 3 déc. 2026"; without the year when `with_year` is false.
pub fn day(at: haven_domain::Timestamp, with_year: bool) -> String {
    let date = at.to_zoned(jiff::tz::TimeZone::UTC).date();
    let (months, weekdays) = date_words(super::csrf::current_locale());
    let weekday = weekdays[usize::from(date.weekday().to_monday_zero_offset() as u8)];
    let month = months[usize::from(date.month() as u8 - 1)];
    if with_year {
        format!("{weekday} {} {month} {}", date.day(), date.year())
    } else {
        format!("{weekday} {} {month}", date.day())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every quoted sentence followed by `marker` in `text`.
    fn marked(text: &str, marker: &str, keys: &mut BTreeSet<String>) {
        let mut rest = text;
        while let Some(at) = rest.find(marker) {
            let before = &rest[..at];
            if let Some(open) = before.rfind('"') {
                keys.insert(before[open + 1..].to_string());
            }
            rest = &rest[at + marker.len()..];
        }
    }

    /// Every sentence the templates and the web code mark for translation.
    fn sentences() -> BTreeSet<String> {
        let mut keys = BTreeSet::new();
        let root = env!("CARGO_MANIFEST_DIR");
        for dir in ["templates", "src/web"] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
                let path = entry.unwrap().path();
                // This file names the markers it looks for.
                if path.ends_with("i18n.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(path).unwrap();
                for marker in ["\"|t }}", "\"|t1(", "\"|t|"] {
                    marked(&text, marker, &mut keys);
                }
                // Calls in Rust: tr("…") and tr_with("…", value).
                for call in ["tr(\"", "tr_with(\""] {
                    let mut rest = text.as_str();
                    while let Some(at) = rest.find(call) {
                        // `push_str("` is not a call to `tr`.
                        let called = !rest[..at]
                            .chars()
                            .next_back()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_');
                        rest = &rest[at + call.len()..];
                        if let Some(close) = rest.find('"').filter(|_| called) {
                            keys.insert(rest[..close].to_string());
                        }
                    }
                }
            }
        }
        keys.remove("…");
        keys.extend(SENTENCES_FROM_CODE.iter().map(|s| s.to_string()));
        keys.extend(from_domain());
        keys
    }

    /// Words the domain gives pages for each state and reason, all of them.
    fn from_domain() -> Vec<String> {
        use haven_domain::{dispute, notice, order};
        let spaced = |raw: &str| raw.replace('_', " ");
        let mut words: Vec<String> = order::OrderState::ALL
            .iter()
            .map(|s| spaced(s.as_str()))
            .collect();
        words.extend(
            dispute::DisputeState::ALL
                .iter()
                .map(|s| spaced(s.as_str())),
        );
        words.extend(
            dispute::DisputeReason::ALL
                .iter()
                .map(|r| r.label().to_string()),
        );
        words.extend(
            notice::NoticeKind::ALL
                .iter()
                .map(|k| k.label().to_string()),
        );
        words.extend(order::TRACKER_STEPS.iter().map(|s| s.to_string()));
        // The trust panel's metrics, named and explained.
        for metric in haven_domain::reputation::StoreMetrics::default().explained() {
            words.push(metric.label.to_string());
            words.push(metric.how.to_string());
        }
        words
    }

    /// Each catalogue parses and translates every marked sentence, keeping
    /// its `{}`.
    #[test]
    fn every_catalogue_translates_every_marked_sentence() {
        let keys = sentences();
        assert!(keys.len() > 100, "found only {} sentences", keys.len());
        let mut problems = Vec::new();
        for locale in Locale::ALL {
            let Some(json) = source(locale) else { continue };
            let catalogue: HashMap<String, String> = serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("locales/{}.json: {e}", locale.tag()));
            let missing: Vec<&String> = keys
                .iter()
                .filter(|k| !catalogue.contains_key(*k))
                .collect();
            if !missing.is_empty() {
                problems.push(format!(
                    "{}: {} missing: {}",
                    locale.tag(),
                    missing.len(),
                    serde_json::to_string_pretty(&missing).unwrap()
                ));
            }
            // Sentences made in code (page titles, flash messages) are
            // translated when shown, so a catalogue may hold more keys.
            for (english, translated) in &catalogue {
                if english.contains("{}") != translated.contains("{}")
                    || translated.trim().is_empty()
                {
                    problems.push(format!("{}: {english:?} → {translated:?}", locale.tag()));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn an_untranslated_sentence_stays_english() {
        assert_eq!(
            translate(Locale::De, "No such sentence anywhere"),
            "No such sentence anywhere"
        );
        assert_eq!(translate(Locale::En, "Log in"), "Log in");
    }
}
