//! Throwaway email domains (the list ships in `data/disposable_domains.txt`).

use std::collections::HashSet;
use std::sync::LazyLock;

static DOMAINS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/disposable_domains.txt")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect()
});

/// True for a listed domain or any subdomain of one (`x.mailinator.com`).
pub fn is_disposable(domain: &str) -> bool {
    let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
    let mut rest = domain.as_str();
    loop {
        if DOMAINS.contains(rest) {
            return true;
        }
        match rest.split_once('.') {
            Some((_, parent)) if parent.contains('.') => rest = parent,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_disposable;

    #[test]
    fn listed_domains_and_their_subdomains_are_disposable() {
        assert!(is_disposable("mailinator.com"));
        assert!(is_disposable("Inbox.Mailinator.COM."));
        assert!(!is_disposable("gmail.com"));
        assert!(!is_disposable("com"));
        assert!(!is_disposable("notmailinator.com.example.org"));
    }
}
