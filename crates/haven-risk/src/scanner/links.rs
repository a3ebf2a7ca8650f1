//! Links, e-mail addresses, handles and cashtags.
//!
//! First the defanged/written-out forms are restored ("hxxp", "[.]",
//! "(dot)", "name (at) gmail (dot) com"), then whitespace tokens are read as
//! URLs, bare domains, e-mails, @handles and $cashtags. Hosts are judged
//! against the operator's own and carrier domains; everything that imitates
//! the marketplace is phishing, ordinary third-party links are not.

use std::ops::Range;

use regex::Regex;

use super::normalize::{Builder, View};
use super::vocab::{
    GENERIC_TLDS, MAIL_PROVIDERS, MESSENGER_HOSTS, MULTI_PART_SUFFIXES, PAYMENT_HOSTS, SHORTENERS,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A URL or bare domain.
    Url {
        host: String,
        userinfo: Option<String>,
        path: String,
    },
    Email {
        domain: String,
    },
    Handle,
    Cashtag,
}

/// A link-like token located in the original message.
#[derive(Clone, Debug)]
pub(crate) struct Found {
    pub kind: Kind,
    pub orig: Range<usize>,
}

/// Restores obfuscated link and e-mail spellings. `None` when nothing changed.
pub(crate) fn deobfuscate<'a>(base: &View<'_>, re: &Regex) -> Option<View<'a>> {
    let t: &str = &base.text;
    let mut b: Option<Builder> = None;
    let mut last = 0;
    for m in re.find_iter(t) {
        let Some(rep) = replacement(t, m.start(), m.end()) else {
            continue;
        };
        let bb = b.get_or_insert_with(|| Builder::with_capacity(t.len()));
        bb.copy_from(base, last, m.start());
        let o = base.orig(m.start(), m.end());
        bb.push_str(rep, (o.start as u32, o.end as u32));
        last = m.end();
    }
    let mut bb = b?;
    bb.copy_from(base, last, t.len());
    Some(bb.finish())
}

pub(crate) fn obfuscation_regex() -> Regex {
    Regex::new(concat!(
        r"(?i)\s*[(\[{<]\s*(?:dot|\.|punto|ponto|point|точка|at|@|arroba|arobase|собака)\s*[)\]}>]\s*",
        r"|\s+(?:dot|punto|ponto|point|punkt|точка|\.|at|@|arroba|arobase|arobas|собака|klammeraffe)\s+",
        r"|hxxp|\[:\]",
    ))
    .expect("obfuscation regex")
}

/// Decides what a candidate obfuscation stands for, using the words around it.
fn replacement(t: &str, s: usize, e: usize) -> Option<&'static str> {
    let word = t[s..e]
        .trim()
        .trim_matches(|c| "()[]{}<>".contains(c))
        .trim()
        .to_lowercase();
    let bracketed = t[s..e].trim().starts_with(['(', '[', '{', '<']);
    let is_dot = matches!(
        word.as_str(),
        "dot" | "." | "punto" | "ponto" | "point" | "punkt" | "точка"
    );
    let is_at = matches!(
        word.as_str(),
        "at" | "@" | "arroba" | "arobase" | "arobas" | "собака" | "klammeraffe"
    );
    match word.as_str() {
        "hxxp" => return Some("http"),
        ":" => return Some(":"),
        _ => {}
    }
    let prev_ok = t[..s]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_alphanumeric());
    let next = next_word(&t[e..]);
    if is_dot && prev_ok && (bracketed || is_tld(&next)) {
        return Some(".");
    }
    if is_at && prev_ok && (bracketed || (local_like(prev_token(&t[..s])) && is_provider(&next))) {
        return Some("@");
    }
    None
}

fn next_word(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '-')
        .collect::<String>()
        .to_lowercase()
}

fn prev_token(s: &str) -> &str {
    let start = s
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    &s[start..]
}

fn local_like(s: &str) -> bool {
    s.chars().count() >= 2
        && s.chars()
            .all(|c| c.is_alphanumeric() || "._%+-".contains(c))
}

fn is_provider(w: &str) -> bool {
    MAIL_PROVIDERS.contains(&w)
}

fn is_tld(w: &str) -> bool {
    let ascii2 = w.len() == 2 && w.bytes().all(|b| b.is_ascii_lowercase());
    ascii2 || GENERIC_TLDS.contains(&w) || w.starts_with("xn--")
}

/// An ideograph, kana or CJK punctuation: never part of a host name a
/// browser would show (homoglyph hosts use Latin, Cyrillic or Greek).
fn is_cjk(c: char) -> bool {
    matches!(
        c,
        '\u{3000}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}'
    )
}

/// Reads every link-like token of the (deobfuscated) view.
pub(crate) fn tokens(view: &View<'_>) -> Vec<Found> {
    let t: &str = &view.text;
    let mut out = Vec::new();
    // Chinese and Japanese text runs straight into a link with no space
    // ("用这个链接付：pay.example/o/1"), so their characters end a token too.
    let is_break = |c: char| {
        c.is_whitespace() || ",;|\"'<>«»()[]{}“”‘’，。：；！？（）、【】".contains(c) || is_cjk(c)
    };
    let mut start = None;
    for (i, c) in t.char_indices().chain(std::iter::once((t.len(), ' '))) {
        match (start, is_break(c)) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                read_token(view, s, i, &mut out);
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn read_token(view: &View<'_>, s: usize, e: usize, out: &mut Vec<Found>) {
    let t: &str = &view.text;
    let tok = t[s..e].trim_end_matches(['.', ':', '!', '?', '*', '…']);
    let e = s + tok.len();
    if tok.len() < 3 {
        return;
    }
    let kind = if let Some(p) = tok.find("://") {
        let ss = tok[..p]
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_ascii_alphabetic())
            .last()
            .map_or(p, |(i, _)| i);
        let scheme = tok[ss..p].to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https" | "ftp") {
            return;
        }
        let found = parse_url(&tok[p + 3..], true);
        let orig = view.orig(s + ss, e);
        if let Some(kind) = found {
            out.push(Found { kind, orig });
        }
        return;
    } else if let Some(rest) = tok.strip_prefix('@') {
        handle(rest).then_some(Kind::Handle)
    } else if tok.starts_with('$') && tok[1..].starts_with(|c: char| c.is_ascii_alphabetic()) {
        Some(Kind::Cashtag)
    } else if let Some(at) = tok.find('@') {
        email(&tok[..at], &tok[at + 1..])
    } else {
        // "link:pay.example/o/1": a label glued to the link by a colon.
        parse_url(tok, false).or_else(|| {
            tok.split_once(':')
                .and_then(|(_, rest)| parse_url(rest.trim_start_matches(':'), false))
        })
    };
    if let Some(kind) = kind {
        out.push(Found {
            kind,
            orig: view.orig(s, e),
        });
    }
}

fn handle(rest: &str) -> bool {
    rest.len() >= 3
        && rest
            .chars()
            .all(|c| c.is_alphanumeric() || "_.-".contains(c))
        && !rest.chars().all(|c| c.is_ascii_digit())
}

fn email(local: &str, domain: &str) -> Option<Kind> {
    if local.is_empty()
        || !local
            .chars()
            .all(|c| c.is_alphanumeric() || "._%+-".contains(c))
    {
        return None;
    }
    let domain = domain.trim_end_matches('.').to_lowercase();
    let ok = valid_host(&domain) || is_provider(&domain);
    ok.then_some(Kind::Email { domain })
}

/// Parses `host[:port][/path]` (after the scheme, if any).
fn parse_url(rest: &str, scheme: bool) -> Option<Kind> {
    let auth_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (auth, path) = rest.split_at(auth_end);
    let (userinfo, hostport) = match auth.rfind('@') {
        Some(i) if scheme => (Some(auth[..i].to_string()), &auth[i + 1..]),
        Some(_) => return None,
        None => (None, auth),
    };
    let host = if hostport.starts_with('[') {
        hostport
            .split(']')
            .next()
            .unwrap_or("")
            .trim_start_matches('[')
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.').to_lowercase();
    let has_more = !path.is_empty() || hostport.contains(':');
    let ok = if scheme {
        !host.is_empty()
    } else {
        valid_host(&host) || is_ip(&host) && has_more
    };
    ok.then(|| Kind::Url {
        host: unicode_host(&host),
        userinfo,
        path: path.to_string(),
    })
}

fn unicode_host(host: &str) -> String {
    if host.split('.').any(|l| l.starts_with("xn--")) {
        idna::domain_to_unicode(host).0
    } else {
        host.to_string()
    }
}

/// A bare domain: ≥2 labels of letters/digits/hyphens and a known TLD.
fn valid_host(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    let tld = labels[labels.len() - 1];
    let tld_ok = is_tld(tld) || (!tld.is_ascii() && tld.chars().all(char::is_alphabetic));
    labels.iter().all(label_ok)
        && tld_ok
        && !labels[..labels.len() - 1]
            .iter()
            .all(|l| l.chars().all(|c| c.is_ascii_digit()))
}

pub(crate) fn is_ip(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    let dotted = parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u16>().is_ok_and(|n| n <= 255));
    let numeric = !host.is_empty() && host.chars().all(|c| c.is_ascii_digit()) && host.len() >= 8;
    let hex = host.starts_with("0x")
        && host.len() > 2
        && host[2..].chars().all(|c| c.is_ascii_hexdigit());
    dotted || numeric || hex || host.contains(':')
}

/// Registrable domain: the last two labels, three under known second levels.
pub(crate) fn registrable(host: &str) -> &str {
    let dots: Vec<usize> = host.match_indices('.').map(|(i, _)| i).collect();
    if dots.len() < 2 {
        return host;
    }
    let two = &host[dots[dots.len() - 2] + 1..];
    if MULTI_PART_SUFFIXES.contains(&two) && dots.len() >= 2 {
        if dots.len() >= 3 {
            return &host[dots[dots.len() - 3] + 1..];
        }
        return host;
    }
    two
}

/// `host` is `domain` or one of its subdomains.
pub(crate) fn under(host: &str, domain: &str) -> bool {
    host == domain
        || (host.len() > domain.len()
            && host.ends_with(domain)
            && host.as_bytes()[host.len() - domain.len() - 1] == b'.')
}

/// What a link means for the scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LinkVerdict {
    Safe,
    Neutral,
    Contact(&'static str),
    Payment,
    Phishing(String),
}

/// The operator's domains, precomputed for link checks.
#[derive(Debug)]
pub(crate) struct Domains {
    own: Vec<Own>,
    carriers: Vec<String>,
    brand: String,
    brand_skel: String,
}

#[derive(Debug)]
struct Own {
    domain: String,
    skel: String,
    /// Registrable label ("haven-market").
    label: String,
}

pub(crate) fn skeleton(s: &str) -> String {
    unicode_security::skeleton(&s.to_lowercase())
        .collect::<String>()
        .to_lowercase()
}

impl Domains {
    pub fn new(brand: &str, own: &[String], carriers: &[String]) -> Domains {
        let own = own
            .iter()
            .map(|d| {
                let domain = d.trim().trim_end_matches('.').to_lowercase();
                let label = registrable(&domain)
                    .split('.')
                    .next()
                    .unwrap_or("")
                    .to_string();
                Own {
                    skel: skeleton(&domain),
                    domain,
                    label,
                }
            })
            .collect();
        Domains {
            own,
            carriers: carriers.iter().map(|c| c.trim().to_lowercase()).collect(),
            brand: brand.trim().to_lowercase(),
            brand_skel: skeleton(brand.trim()),
        }
    }

    pub fn is_own(&self, host: &str) -> bool {
        self.own.iter().any(|o| under(host, &o.domain))
    }

    fn is_carrier(&self, host: &str) -> bool {
        self.carriers.iter().any(|c| under(host, c))
    }

    fn first_own(&self) -> &str {
        self.own
            .first()
            .map_or(self.brand.as_str(), |o| o.domain.as_str())
    }

    /// Judges a URL or bare domain.
    pub fn classify(&self, host: &str, userinfo: Option<&str>, path: &str) -> LinkVerdict {
        if self.is_own(host) || self.is_carrier(host) {
            return LinkVerdict::Safe;
        }
        if let Some(u) = userinfo {
            return LinkVerdict::Phishing(format!(
                "link disguises its real host {host} behind \"{u}@\""
            ));
        }
        if is_ip(host) {
            return LinkVerdict::Phishing(format!("link to a raw IP address ({host})"));
        }
        if let Some(v) = self.service(host, path) {
            return v;
        }
        if let Some(why) = self.imitation(host) {
            return LinkVerdict::Phishing(format!(
                "link to {host} imitates {} ({why})",
                self.first_own()
            ));
        }
        if self.brand_in(path) {
            return LinkVerdict::Phishing(format!(
                "link to {host}{} imitates {} (brand in path)",
                truncate(path, 40),
                self.first_own()
            ));
        }
        LinkVerdict::Neutral
    }

    /// Shorteners, messengers and payment collectors.
    fn service(&self, host: &str, path: &str) -> Option<LinkVerdict> {
        if SHORTENERS.iter().any(|s| under(host, s)) {
            return Some(LinkVerdict::Phishing(
                "shortened link hides its target".into(),
            ));
        }
        if let Some((_, label)) = MESSENGER_HOSTS.iter().find(|(h, _)| under(host, h)) {
            return Some(LinkVerdict::Contact(label));
        }
        let p = path.to_lowercase();
        let pays = PAYMENT_HOSTS.iter().any(|h| under(host, h))
            && match registrable(host) {
                "paypal.com" => p.contains("paypalme") || p.contains("/send") || p.contains("/pay"),
                "wise.com" => p.contains("/pay"),
                _ => true,
            };
        pays.then_some(LinkVerdict::Payment)
    }

    /// Why `host` (not own) looks like the marketplace, if it does.
    pub fn imitation(&self, host: &str) -> Option<&'static str> {
        let skel = skeleton(host);
        for o in &self.own {
            if skel == o.skel || under(&skel, &o.skel) {
                return Some("homoglyphs");
            }
        }
        if !self.brand.is_empty() && host.contains(&self.brand) {
            let in_domain = registrable(host).contains(&self.brand);
            return Some(if in_domain {
                "brand in domain"
            } else {
                "brand in subdomain"
            });
        }
        if !self.brand_skel.is_empty() && skel.contains(&self.brand_skel) {
            return Some("homoglyphs");
        }
        self.typosquat(host).then_some("typosquat")
    }

    fn typosquat(&self, host: &str) -> bool {
        let labels: Vec<&str> = host.split('.').collect();
        let names = &labels[..labels.len().saturating_sub(1)];
        self.own.iter().any(|o| {
            let max = match o.label.chars().count() {
                n if n >= 8 => 2,
                n if n >= 5 => 1,
                _ => 0,
            };
            max > 0 && names.iter().any(|l| label_near(l, &o.label, max))
        })
    }

    fn brand_in(&self, path: &str) -> bool {
        !self.brand.is_empty()
            && (path.to_lowercase().contains(&self.brand)
                || skeleton(path).contains(&self.brand_skel))
    }
}

/// A label, or a run of its hyphen-separated parts, within `max` edits of `target`.
fn label_near(label: &str, target: &str, max: usize) -> bool {
    let parts: Vec<&str> = label.split('-').take(8).collect();
    let flat_target: String = target.chars().filter(|c| *c != '-').collect();
    for i in 0..parts.len() {
        for j in i + 1..=parts.len() {
            let cand = parts[i..j].join("-");
            if cand.len() * 2 < target.len() {
                continue;
            }
            let flat: String = cand.chars().filter(|c| *c != '-').collect();
            if osa_distance(&cand, target) <= max || osa_distance(&flat, &flat_target) <= max {
                return true;
            }
        }
    }
    false
}

/// Damerau–Levenshtein (optimal string alignment) distance.
pub(crate) fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

pub(crate) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance() {
        assert_eq!(osa_distance("haven-market", "havenmarket"), 1);
        assert_eq!(osa_distance("haven-market", "haevn-market"), 1);
        assert_eq!(osa_distance("haven-market", "haven-markte"), 1);
    }

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable("haven-market.com.secure.top"), "secure.top");
        assert_eq!(registrable("shop.example.co.uk"), "example.co.uk");
        assert_eq!(registrable("wa.me"), "wa.me");
    }

    #[test]
    fn skeleton_folds_homoglyphs() {
        assert_eq!(skeleton("hаven-market.com"), skeleton("haven-market.com"));
        assert_eq!(skeleton("haven-rnarket.com"), skeleton("haven-market.com"));
    }
}
