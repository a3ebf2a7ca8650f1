//! Template filters for people-facing times (the API keeps RFC 3339).

use std::fmt::Display;

use haven_domain::Timestamp;

/// `Fri 18 Dec 2026, 18:59 UTC`, marked up as a `<time>` that the page's
/// script rewrites in the visitor's own time zone; without the script the
/// UTC text stands.
pub fn when<T: Display>(
    value: T,
    _: &dyn askama::Values,
) -> askama::Result<askama::filters::Safe<String>> {
    let raw = value.to_string();
    let html = match raw.parse::<Timestamp>() {
        // Built from a parsed timestamp: nothing in it needs escaping.
        Ok(at) => format!(
            "<time datetime=\"{}\" data-local>{}</time>",
            at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            at.strftime("%a %-d %b %Y, %H:%M UTC")
        ),
        Err(_) => escape_html(&raw),
    };
    Ok(askama::filters::Safe(html))
}

fn escape_html(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// `Fri 18 Dec 2026`
/// The day, as the page's language writes it ("Thu 3 Dec 2026").
pub fn day<T: Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
    let raw = value.to_string();
    Ok(match raw.parse::<Timestamp>() {
        Ok(at) => super::i18n::day(at, true),
        Err(_) => raw,
    })
}

/// The sentence in the page's language (see `web::i18n`). Escaped here
/// rather than by the template so an apostrophe stays as written: `<`, `>`,
/// `&` and `"` are all that matter in text and double-quoted attributes.
pub fn t<T: Display>(
    value: T,
    _: &dyn askama::Values,
) -> askama::Result<askama::filters::Safe<String>> {
    Ok(askama::filters::Safe(escape_text(&super::i18n::tr(
        &value.to_string(),
    ))))
}

/// As `t`, with the sentence's `{}` replaced by `arg` (escaped alike).
pub fn t1<T: Display, A: Display>(
    value: T,
    _: &dyn askama::Values,
    arg: A,
) -> askama::Result<askama::filters::Safe<String>> {
    Ok(askama::filters::Safe(escape_text(&super::i18n::tr_with(
        &value.to_string(),
        arg,
    ))))
}

fn escape_text(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A carrier's name for its code ("simpost" → "SimPost"); an unknown code
/// as it is.
pub fn carrier<T: Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
    let code = value.to_string();
    Ok(haven_risk::tracking::Carrier::parse(&code).map_or(code, |c| c.display_name().to_string()))
}

/// A code in words: "conversation_closed" → "Conversation closed".
pub fn words<T: Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
    let spaced = value.to_string().replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    Ok(chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default())
}
