//! Chat message scanner.
//!
//! Runs on every message before delivery and flags the ways marketplace
//! scams start in chat: moving to a messenger, paying outside checkout,
//! look-alike links, invented fees, pressure to drop a dispute or to confirm
//! receipt early. Pure and synchronous; everything expensive (automata,
//! regexes, domain skeletons) is built once in [`Scanner::new`].
//!
//! Pipeline per message: normalise into views (NFKC, no invisible chars,
//! case/accents/leetspeak folded, spaced letters collapsed) → vocabulary
//! hits (Aho–Corasick) and structured artifacts (phones, IBANs, wallets,
//! links) → context rules per category → verdict.

mod artifacts;
pub mod evaluate;
mod lexicon;
mod links;
pub mod model;
mod normalize;
mod rules;
mod spelled;
mod vocab;

#[cfg(test)]
mod tests;

use std::ops::Range;

use regex::Regex;
use serde::{Deserialize, Serialize};

use artifacts::{Artifact, DigitPatterns};
use lexicon::{Hit, Lexicon};
use links::{Domains, Found, Kind as LinkKind, LinkVerdict};
use normalize::View;
use rules::{Ctx, LinkFinding};

/// Operator settings for one marketplace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannerConfig {
    /// Marketplace brand, e.g. "Haven"; look-alike hosts containing it are phishing.
    pub brand: String,
    /// The marketplace's own domains; their subdomains are own too.
    pub own_domains: Vec<String>,
    /// Tracking domains whose links are always fine.
    pub carrier_domains: Vec<String>,
}

/// Text folded as the scanner reads it: lower case, accents and look-alike
/// letters mapped to plain ones, anything else a single space. Other
/// checks (brand names in listings) match in the same alphabet.
pub fn fold_for_matching(text: &str) -> String {
    normalize::fold_term(text)
}

/// Carrier tracking domains allowed by default.
pub fn default_carrier_domains() -> Vec<String> {
    [
        "ups.com",
        "usps.com",
        "fedex.com",
        "dhl.com",
        "dhl.de",
        "royalmail.com",
        "canadapost-postescanada.ca",
        "laposte.fr",
        "correos.es",
        "ctt.pt",
        "pochta.ru",
        "deutschepost.de",
        "postnl.nl",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// Where the order is when the message is sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    PreOrder,
    AfterOrder,
    InDispute,
    AfterDelivery,
}

/// Who wrote the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sender {
    Buyer,
    Seller,
}

/// What happens to the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Warn,
    Block,
}

/// Kinds of scam signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    OffPlatformContact,
    OffPlatformPayment,
    PhishingLink,
    ExtraFee,
    DisputePressure,
    ConfirmReceiptPressure,
}

impl Category {
    /// Money-moving signals block; softer ones warn the recipient.
    pub fn verdict(self) -> Verdict {
        match self {
            Category::OffPlatformPayment | Category::PhishingLink | Category::ExtraFee => {
                Verdict::Block
            }
            Category::OffPlatformContact
            | Category::DisputePressure
            | Category::ConfirmReceiptPressure => Verdict::Warn,
        }
    }

    pub const ALL: [Category; 6] = [
        Category::OffPlatformContact,
        Category::OffPlatformPayment,
        Category::PhishingLink,
        Category::ExtraFee,
        Category::DisputePressure,
        Category::ConfirmReceiptPressure,
    ];

    /// The wire name (as serde writes it).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::OffPlatformContact => "off_platform_contact",
            Category::OffPlatformPayment => "off_platform_payment",
            Category::PhishingLink => "phishing_link",
            Category::ExtraFee => "extra_fee",
            Category::DisputePressure => "dispute_pressure",
            Category::ConfirmReceiptPressure => "confirm_receipt_pressure",
        }
    }
}

/// The outcome for one message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanResult {
    pub verdict: Verdict,
    /// Sorted, without duplicates.
    pub categories: Vec<Category>,
    /// One human-readable line per finding.
    pub reasons: Vec<String>,
}

/// Merge the model's view into the rules' findings. When the rules found
/// nothing and the model's "any scam" output reaches `flag_at`, the most
/// likely category is added with the model's reason. When the rules raised
/// only warnings and the model is sure the message is benign (below
/// `clear_below`), they are dropped. A money finding (off-platform payment,
/// an extra fee) is dropped only when the model is far surer (below
/// `clear_block_below`): a product question that names a payment app, or a
/// buyer refusing to pay outside. A lookalike link always stands.
pub fn combine(
    items: &mut Vec<(Category, String)>,
    probabilities: &[f32; model::OUTPUTS],
    flag_at: f32,
    clear_below: f32,
    clear_block_below: f32,
) {
    let any_scam = probabilities[model::ANY_SCAM];
    let only_warnings = items.iter().all(|(c, _)| c.verdict() == Verdict::Warn);
    let no_lookalike_link = items.iter().all(|(c, _)| *c != Category::PhishingLink);
    if (any_scam < clear_below && only_warnings)
        || (any_scam < clear_block_below && no_lookalike_link)
    {
        items.clear();
    }
    if items.is_empty() && any_scam >= flag_at {
        let likeliest = Category::ALL
            .into_iter()
            .max_by(|a, b| {
                probabilities[model::index_of(*a)].total_cmp(&probabilities[model::index_of(*b)])
            })
            .unwrap_or(Category::OffPlatformContact);
        items.push((likeliest, model::reason(likeliest, any_scam)));
    }
}

fn result_of(items: Vec<(Category, String)>) -> ScanResult {
    let mut categories: Vec<Category> = items.iter().map(|(c, _)| *c).collect();
    categories.sort();
    categories.dedup();
    let verdict = categories
        .iter()
        .map(|c| c.verdict())
        .max()
        .unwrap_or(Verdict::Allow);
    ScanResult {
        verdict,
        categories,
        reasons: items.into_iter().map(|(_, r)| r).collect(),
    }
}

/// Compiled scanner; cheap to share between threads.
#[derive(Debug)]
pub struct Scanner {
    lexicon: Lexicon,
    digits: DigitPatterns,
    obfuscation: Regex,
    domains: Domains,
    number_words: spelled::NumberWords,
    /// `None` only for [`Scanner::rules_only`].
    model: Option<model::LinearModel>,
}

impl std::fmt::Debug for spelled::NumberWords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NumberWords")
    }
}

impl std::fmt::Debug for DigitPatterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DigitPatterns")
    }
}

/// Per-message analysis shared by `scan` and `mask_contacts`.
struct Analysis {
    hits: Vec<Hit>,
    arts: Vec<Artifact>,
    links: Vec<LinkFinding>,
}

impl Scanner {
    /// Compiles the vocabularies, regexes and domain skeletons once; the
    /// brand and own domain names also join the "platform" vocabulary so
    /// "outside Haven" is understood.
    pub fn new(config: ScannerConfig) -> Scanner {
        Scanner::build(config, Some(model::LinearModel::embedded()))
    }

    /// A scanner without the learned model: `scan` is `scan_rules_only`.
    /// For training the model, which must not depend on the file it replaces.
    pub fn rules_only(config: ScannerConfig) -> Scanner {
        Scanner::build(config, None)
    }

    fn build(config: ScannerConfig, model: Option<model::LinearModel>) -> Scanner {
        let mut platform_names = vec![config.brand.clone()];
        for d in &config.own_domains {
            let label = links::registrable(d).split('.').next().unwrap_or("");
            platform_names.push(label.to_string());
        }
        platform_names.retain(|n| !n.trim().is_empty());
        Scanner {
            lexicon: Lexicon::new(&platform_names),
            digits: DigitPatterns::new(),
            obfuscation: links::obfuscation_regex(),
            domains: Domains::new(&config.brand, &config.own_domains, &config.carrier_domains),
            number_words: spelled::NumberWords::new(),
            model,
        }
    }

    /// Scans one message. `stage` and `from` decide whether pressure and
    /// fee wording is suspicious (a seller in a dispute, not a buyer).
    /// The rules decide first; then the learned model adds a category the
    /// rules missed when it is confident, and clears a warning the rules
    /// raised when it finds the message clearly benign (see `model.rs`).
    pub fn scan(&self, text: &str, stage: Stage, from: Sender) -> ScanResult {
        let mut items = self.rule_findings(text, stage, from);
        if let Some(learned) = &self.model {
            let probabilities = learned.probabilities(&model::features(text, stage, from));
            combine(
                &mut items,
                &probabilities,
                learned.flag_at,
                learned.clear_below,
                learned.clear_block_below,
            );
        }
        result_of(items)
    }

    /// The rules alone, without the learned model (to measure each part).
    pub fn scan_rules_only(&self, text: &str, stage: Stage, from: Sender) -> ScanResult {
        result_of(self.rule_findings(text, stage, from))
    }

    fn rule_findings(&self, text: &str, stage: Stage, from: Sender) -> Vec<(Category, String)> {
        let a = self.analyse(text);
        let ctx = Ctx {
            text,
            hits: &a.hits,
            arts: &a.arts,
            links: &a.links,
            stage,
            from,
        };
        rules::apply(&ctx).items
    }

    /// Replace phone numbers, emails, messenger handles/links, IBANs, wallets
    /// in `text` with "[contact hidden]" (operator option for pre-sale chats).
    pub fn mask_contacts(&self, text: &str) -> String {
        let a = self.analyse(text);
        let mut spans: Vec<Range<usize>> = a
            .arts
            .iter()
            .filter(|x| x.kind != artifacts::Kind::Money)
            .map(|x| x.orig.clone())
            .collect();
        for l in &a.links {
            let contactish = match (&l.found.kind, &l.verdict) {
                (LinkKind::Email { .. }, v) => *v != LinkVerdict::Safe,
                (LinkKind::Handle | LinkKind::Cashtag, _) => true,
                (LinkKind::Url { .. }, v) => {
                    matches!(v, LinkVerdict::Contact(_) | LinkVerdict::Payment)
                }
            };
            if contactish {
                spans.push(l.found.orig.clone());
            }
        }
        spans.extend(handles_after_messengers(text, &a.hits));
        replace_spans(text, spans, "[contact hidden]")
    }

    fn analyse(&self, text: &str) -> Analysis {
        let base = normalize::base(text);
        let letters = normalize::letters(&base);
        let hits = self.lexicon.hits(&letters);
        let mut arts = self.digits.find(&base, &hits);
        arts.extend(
            self.number_words
                .phones(&letters)
                .into_iter()
                .map(|(orig, value)| Artifact {
                    kind: artifacts::Kind::Phone,
                    orig,
                    value,
                }),
        );
        let deob = links::deobfuscate(&base, &self.obfuscation);
        let view: &View<'_> = deob.as_ref().unwrap_or(&base);
        let links = links::tokens(view)
            .into_iter()
            .map(|found| {
                let verdict = self.judge(&found);
                LinkFinding { found, verdict }
            })
            .collect();
        Analysis { hits, arts, links }
    }

    fn judge(&self, found: &Found) -> LinkVerdict {
        match &found.kind {
            LinkKind::Url {
                host,
                userinfo,
                path,
            } => self.domains.classify(host, userinfo.as_deref(), path),
            LinkKind::Email { domain } => self.judge_email(domain),
            LinkKind::Handle | LinkKind::Cashtag => LinkVerdict::Neutral,
        }
    }

    /// An address on the marketplace's own domain is support, not a
    /// contact swap; one on a look-alike domain is phishing.
    fn judge_email(&self, domain: &str) -> LinkVerdict {
        if self.domains.is_own(domain) {
            return LinkVerdict::Safe;
        }
        match self.domains.imitation(domain) {
            Some(why) => LinkVerdict::Phishing(format!(
                "email address on {domain} imitates the marketplace ({why})"
            )),
            None => LinkVerdict::Neutral,
        }
    }
}

/// "telegram: john_doe" — the account name right after a messenger mention.
fn handles_after_messengers(text: &str, hits: &[Hit]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for h in hits.iter().filter(|h| h.fam == vocab::Fam::Messenger) {
        let rest = &text[h.orig.end..];
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || ":=-–>".contains(c));
        let sep = &rest[..rest.len() - trimmed.len()];
        let tok_len = trimmed
            .find(|c: char| !(c.is_alphanumeric() || "_.@+-".contains(c)))
            .unwrap_or(trimmed.len());
        let tok = trimmed[..tok_len].trim_end_matches('.');
        // "signal: strong" is about wifi; only unambiguous names take a bare word.
        let handle_like = tok
            .chars()
            .any(|c| c.is_ascii_digit() || c == '_' || c == '@')
            || (sep.contains(':') && h.tier != vocab::Tier::Ambiguous);
        if tok.chars().count() >= 3 && handle_like {
            let s = h.orig.end + sep.len();
            out.push(s..s + tok.len());
        }
    }
    out
}

/// Replaces the union of `spans` with `with`.
fn replace_spans(text: &str, mut spans: Vec<Range<usize>>, with: &str) -> String {
    spans.retain(|r| r.start < r.end && r.end <= text.len());
    spans.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in spans {
        if r.end <= last {
            continue;
        }
        let s = r.start.max(last);
        out.push_str(&text[last..s]);
        if s == r.start || !out.ends_with(with) {
            out.push_str(with);
        }
        last = r.end;
    }
    out.push_str(&text[last..]);
    out
}
