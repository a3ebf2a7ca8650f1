//! Template filters for people-facing times (the API keeps RFC 3339).

use std::fmt::Display;

use haven_domain::Timestamp;

fn format_time<T: Display>(value: T, pattern: &str) -> String {
    let raw = value.to_string();
    match raw.parse::<Timestamp>() {
        Ok(at) => at.strftime(pattern).to_string(),
        Err(_) => raw,
    }
}

/// `2026-12-18 18:59 UTC`
pub fn when<T: Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(format_time(value, "%Y-%m-%d %H:%M UTC"))
}

/// `Fri 18 Dec 2026`
pub fn day<T: Display>(value: T, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(format_time(value, "%a %-d %b %Y"))
}
