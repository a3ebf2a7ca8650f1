//! Category rules: combine vocabulary hits (by word distance), structured
//! artifacts, the order stage and who is speaking into findings.
//!
//! Each rule pairs an intent with its object ("close" × "dispute",
//! "bank transfer" × "pay me") and then checks the context that makes the
//! pairing innocent: negation, first-person statements, payment that stays
//! at checkout, customs paid to the courier, "once it arrives", or someone
//! reporting a scam attempt they received elsewhere.

mod confirm;
mod contact;
mod ctx;
mod dispute;
mod fee;
mod payment;

use super::Category;
use super::links::{Found, Kind as LinkKind, LinkVerdict, truncate};

pub(crate) use ctx::Ctx;

/// A link-like token and what it means.
pub(crate) struct LinkFinding {
    pub found: Found,
    pub verdict: LinkVerdict,
}
/// Findings accumulated for one message.
#[derive(Default)]
pub(crate) struct Findings {
    pub items: Vec<(Category, String)>,
}

impl Findings {
    pub(super) fn add(&mut self, c: Category, reason: String) {
        if !self.items.iter().any(|(_, r)| *r == reason) {
            self.items.push((c, reason));
        }
    }

    pub(super) fn has(&self, c: Category) -> bool {
        self.items.iter().any(|(k, _)| *k == c)
    }
}
/// Runs every rule.
pub(crate) fn apply(ctx: &Ctx<'_>) -> Findings {
    let mut f = Findings::default();
    let reported = ctx.reported();
    links(ctx, &mut f);
    payment::payment(ctx, &mut f, reported);
    contact::contact(ctx, &mut f, reported);
    if !reported {
        fee::extra_fee(ctx, &mut f);
        fee::release_fee_from_buyer(ctx, &mut f);
    }
    dispute::dispute(ctx, &mut f);
    confirm::confirm_receipt(ctx, &mut f);
    f
}

fn links(ctx: &Ctx<'_>, f: &mut Findings) {
    for l in ctx.links {
        let written = truncate(ctx.text.get(l.found.orig.clone()).unwrap_or(""), 60);
        match &l.verdict {
            LinkVerdict::Phishing(r) => f.add(Category::PhishingLink, r.clone()),
            LinkVerdict::Contact(label) => f.add(
                Category::OffPlatformContact,
                format!("link to {label} ({written})"),
            ),
            LinkVerdict::Payment => f.add(
                Category::OffPlatformPayment,
                format!("payment link {written}"),
            ),
            LinkVerdict::Safe | LinkVerdict::Neutral => {}
        }
        match &l.found.kind {
            LinkKind::Cashtag => f.add(
                Category::OffPlatformPayment,
                format!("Cash App cashtag {written}"),
            ),
            LinkKind::Email { .. } if l.verdict != LinkVerdict::Safe => f.add(
                Category::OffPlatformContact,
                format!("email address {written}"),
            ),
            _ => {}
        }
    }
}
