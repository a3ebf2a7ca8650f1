//! Category rules: combine vocabulary hits (by word distance), structured
//! artifacts, the order stage and who is speaking into findings.
//!
//! Each rule pairs an intent with its object ("close" × "dispute",
//! "bank transfer" × "pay me") and then checks context that makes the
//! pairing innocent: negation, first-person statements, payment that stays
//! at checkout, hedged customs explanations, "once it arrives".

use super::artifacts::{Artifact, Kind as Art};
use super::lexicon::Hit;
use super::links::{Found, Kind as LinkKind, LinkVerdict, truncate};
use super::vocab::{Fam, MESSENGERS, Tier};
use super::{Category, Sender, Stage};

/// A link-like token and what it means.
pub(crate) struct LinkFinding {
    pub found: Found,
    pub verdict: LinkVerdict,
}

/// Everything a rule may look at for one message.
pub(crate) struct Ctx<'a> {
    pub text: &'a str,
    pub hits: &'a [Hit],
    pub arts: &'a [Artifact],
    pub links: &'a [LinkFinding],
    pub stage: Stage,
    pub from: Sender,
}

/// Findings accumulated for one message.
#[derive(Default)]
pub(crate) struct Findings {
    pub items: Vec<(Category, String)>,
}

impl Findings {
    fn add(&mut self, c: Category, reason: String) {
        if !self.items.iter().any(|(_, r)| *r == reason) {
            self.items.push((c, reason));
        }
    }

    fn has(&self, c: Category) -> bool {
        self.items.iter().any(|(k, _)| *k == c)
    }
}

impl<'a> Ctx<'a> {
    fn of(&self, f: Fam) -> impl Iterator<Item = &'a Hit> + '_ {
        self.hits.iter().filter(move |h| h.fam == f)
    }

    fn any(&self, f: Fam) -> bool {
        self.hits.iter().any(|h| h.fam == f)
    }

    /// A hit of `fam` within `win` words of `h` (not the same words).
    fn near(&self, h: &Hit, fams: &[Fam], win: u32) -> Option<&'a Hit> {
        self.hits
            .iter()
            .find(|o| fams.contains(&o.fam) && !o.same_place(h) && o.dist(h) <= win)
    }

    /// A hit of `fams` ending at most `win` words before `h` starts.
    fn before(&self, h: &Hit, fams: &[Fam], win: u32) -> Option<&'a Hit> {
        self.hits
            .iter()
            .find(|o| fams.contains(&o.fam) && o.w1 < h.w0 && h.w0 - o.w1 <= win)
    }

    /// A verb negated by a preceding "not/never/не/nicht…" or an adjacent "no".
    fn negated(&self, h: &Hit) -> bool {
        self.negated_noun(h) || self.before(h, &[Fam::NegNo], 1).is_some()
    }

    /// Nouns ignore a bare "no": in Portuguese "no pix" means "by pix".
    fn negated_noun(&self, h: &Hit) -> bool {
        self.before(h, &[Fam::Neg], 3).is_some()
    }

    /// "I will …" / "we …": a statement about oneself, not a request.
    fn first_person(&self, h: &Hit) -> bool {
        self.before(h, &[Fam::FirstPerson], 2).is_some()
    }

    /// The original text spanning some hits, for reasons.
    fn quote(&self, hs: &[&Hit]) -> String {
        let s = hs.iter().map(|h| h.orig.start).min().unwrap_or(0);
        let e = hs.iter().map(|h| h.orig.end).max().unwrap_or(0);
        truncate(self.text.get(s..e).unwrap_or(""), 60)
    }

    fn is_seller(&self) -> bool {
        self.from == Sender::Seller
    }

    /// Payment evidently stays on the platform ("at checkout", "through Haven").
    fn on_platform(&self) -> bool {
        self.hits.iter().any(|p| {
            let anchored = p.fam == Fam::Checkout
                || (p.fam == Fam::Platform && self.before(p, &[Fam::OnPrep], 2).is_some());
            anchored && self.before(p, &[Fam::OutsideWord], 3).is_none()
        })
    }

    /// "outside the platform", "вне площадки", "hors plateforme".
    fn outside(&self) -> Option<(&'a Hit, &'a Hit)> {
        self.of(Fam::OutsideWord)
            .filter(|o| !self.negated_noun(o))
            .find_map(|o| {
                self.of(Fam::Platform)
                    .find(|p| p.w0 > o.w1.saturating_sub(0) && p.w0 >= o.w1 && p.w0 - o.w1 <= 3 && !p.same_place(o))
                    .map(|p| (o, p))
            })
    }

    fn has_art(&self, pred: impl Fn(&Art) -> bool) -> bool {
        self.arts.iter().any(|a| pred(&a.kind))
    }

    fn has_link(&self, pred: impl Fn(&Found, &LinkVerdict) -> bool) -> bool {
        self.links.iter().any(|l| pred(&l.found, &l.verdict))
    }
}

/// Runs every rule.
pub(crate) fn apply(ctx: &Ctx<'_>) -> Findings {
    let mut f = Findings::default();
    links(ctx, &mut f);
    contact(ctx, &mut f);
    payment(ctx, &mut f);
    extra_fee(ctx, &mut f);
    dispute(ctx, &mut f);
    confirm_receipt(ctx, &mut f);
    f
}

fn links(ctx: &Ctx<'_>, f: &mut Findings) {
    for l in ctx.links {
        let written = truncate(ctx.text.get(l.found.orig.clone()).unwrap_or(""), 60);
        match &l.verdict {
            LinkVerdict::Phishing(r) => f.add(Category::PhishingLink, r.clone()),
            LinkVerdict::Contact(label) => {
                f.add(Category::OffPlatformContact, format!("link to {label} ({written})"))
            }
            LinkVerdict::Payment => {
                f.add(Category::OffPlatformPayment, format!("payment link {written}"))
            }
            LinkVerdict::Safe | LinkVerdict::Neutral => {}
        }
        match &l.found.kind {
            LinkKind::Cashtag => f.add(Category::OffPlatformPayment, format!("Cash App cashtag {written}")),
            LinkKind::Email { .. } if l.verdict != LinkVerdict::Safe => {
                f.add(Category::OffPlatformContact, format!("email address {written}"))
            }
            _ => {}
        }
    }
}

/// Shows how the sender spelled a name when it differs from the plain name.
fn written_suffix(label: &str, written: &str) -> String {
    if label.to_lowercase() == written.trim().to_lowercase() {
        String::new()
    } else {
        format!(" (written \"{}\")", truncate(written, 40))
    }
}

/// Whether a messenger alias counts in its context.
fn messenger_counts(ctx: &Ctx<'_>, h: &Hit) -> bool {
    let handle_or_number = ctx.has_art(|a| *a == Art::Phone)
        || ctx.has_link(|l, _| matches!(l.kind, LinkKind::Handle | LinkKind::Email { .. }));
    let cue = ctx.near(h, &[Fam::ContactCue], 4).is_some();
    let poss = ctx.before(h, &[Fam::Possessive], 1).is_some();
    let ok = match h.tier {
        Tier::Strong => true,
        Tier::Slang => cue || poss || handle_or_number || ctx.before(h, &[Fam::SlangPrep], 1).is_some(),
        Tier::Ambiguous => cue || poss || handle_or_number,
    };
    ok && ctx.before(h, &[Fam::Neg], 3).is_none()
}

fn contact(ctx: &Ctx<'_>, f: &mut Findings) {
    let mut seen: Vec<u16> = Vec::new();
    for h in ctx.of(Fam::Messenger) {
        if seen.contains(&h.label) || !messenger_counts(ctx, h) {
            continue;
        }
        seen.push(h.label);
        let label = MESSENGERS[h.label as usize].label;
        let written = ctx.text.get(h.orig.clone()).unwrap_or("");
        f.add(
            Category::OffPlatformContact,
            format!("mentions {label}{}", written_suffix(label, written)),
        );
    }
    for a in ctx.arts.iter().filter(|a| a.kind == Art::Phone) {
        let written = ctx.text.get(a.orig.clone()).unwrap_or("");
        f.add(Category::OffPlatformContact, format!("phone number {written}"));
    }
    phone_request(ctx, f);
    if let Some((o, p)) = ctx.outside() {
        let pay = [Fam::PayRequest, Fam::MethodStrong, Fam::MethodWeak, Fam::ToSeller];
        if ctx.near(o, &pay, 6).is_none() {
            f.add(
                Category::OffPlatformContact,
                format!("suggests continuing outside the platform (\"{}\")", ctx.quote(&[o, p])),
            );
        }
    }
}

/// "my number", "tu número", "phone number" — asking for or offering one.
fn phone_request(ctx: &Ctx<'_>, f: &mut Findings) {
    let asks = ctx.of(Fam::NumberWord).find(|n| {
        ctx.before(n, &[Fam::Possessive], 1).is_some()
            && !ctx.hits.iter().any(|x| x.fam == Fam::NumberNegCtx && x.w0 > n.w0 && x.w0 - n.w1 <= 2)
            && !ctx.negated_noun(n)
    });
    let phrase = ctx.of(Fam::PhonePhrase).find(|p| !ctx.negated_noun(p));
    if let Some(h) = phrase.or(asks) {
        let q = ctx.quote(&[h]);
        f.add(Category::OffPlatformContact, format!("asks for or shares a phone number (\"{q}\")"));
    }
}

fn payment(ctx: &Ctx<'_>, f: &mut Findings) {
    payment_artifacts(ctx, f);
    strong_methods(ctx, f);
    weak_methods(ctx, f);
    friends_family(ctx, f);
    pay_outside_or_direct(ctx, f);
    bank_details(ctx, f);
}

fn payment_artifacts(ctx: &Ctx<'_>, f: &mut Findings) {
    for a in ctx.arts {
        let reason = match a.kind {
            Art::Iban => format!("IBAN {}…", &a.value[..4]),
            Art::Card => format!("bank card number {}…", &a.value[..4]),
            Art::Wallet(chain) => format!("{chain} wallet {}…", truncate(&a.value, 6).trim_end_matches('…')),
            Art::Phone => continue,
        };
        f.add(Category::OffPlatformPayment, reason);
    }
}

const PAY_CUES: [Fam; 5] = [
    Fam::PayRequest,
    Fam::ToSeller,
    Fam::Discount,
    Fam::Direct,
    Fam::OutsideWord,
];

/// Bank transfer, crypto, gift cards…: only ever outside checkout, so any
/// request or offer to pay that way counts.
fn strong_methods(ctx: &Ctx<'_>, f: &mut Findings) {
    let handle = ctx.has_link(|l, _| matches!(l.kind, LinkKind::Handle | LinkKind::Email { .. }))
        || ctx.has_art(|a| *a == Art::Phone);
    for m in ctx.of(Fam::MethodStrong) {
        if ctx.negated_noun(m) {
            continue;
        }
        let cue = ctx
            .near(m, &PAY_CUES, 6)
            .filter(|c| !ctx.negated(c));
        if let Some(c) = cue {
            let q = ctx.quote(&[m, c]);
            f.add(Category::OffPlatformPayment, format!("asks for payment outside checkout (\"{q}\")"));
            return;
        }
        if handle {
            let q = ctx.quote(&[m]);
            f.add(Category::OffPlatformPayment, format!("gives a payment handle (\"{q}\")"));
            return;
        }
    }
}

/// PayPal, cards, cash: fine at checkout, a problem when paid to the seller.
fn weak_methods(ctx: &Ctx<'_>, f: &mut Findings) {
    let cues = [Fam::ToSeller, Fam::Direct, Fam::FriendsFamily, Fam::Discount];
    let outside = ctx.outside().is_some();
    if ctx.on_platform() && !outside {
        return;
    }
    for m in ctx.of(Fam::MethodWeak) {
        if ctx.negated_noun(m) {
            continue;
        }
        let cue = ctx.near(m, &cues, 5).filter(|c| !ctx.negated(c));
        if let Some(c) = cue {
            let q = ctx.quote(&[m, c]);
            f.add(Category::OffPlatformPayment, format!("asks to be paid directly (\"{q}\")"));
            return;
        }
        if outside {
            let q = ctx.quote(&[m]);
            f.add(Category::OffPlatformPayment, format!("asks for payment outside the platform (\"{q}\")"));
            return;
        }
    }
}

fn friends_family(ctx: &Ctx<'_>, f: &mut Findings) {
    let pay = [Fam::MethodWeak, Fam::MethodStrong, Fam::PayRequest, Fam::ToSeller];
    if let Some(h) = ctx.of(Fam::FriendsFamily).find(|h| ctx.near(h, &pay, 6).is_some()) {
        let q = ctx.quote(&[h]);
        f.add(
            Category::OffPlatformPayment,
            format!("asks for a friends-and-family payment without buyer protection (\"{q}\")"),
        );
    }
}

fn pay_outside_or_direct(ctx: &Ctx<'_>, f: &mut Findings) {
    if let Some((o, p)) = ctx.outside() {
        let pay = [Fam::PayRequest, Fam::MethodStrong, Fam::MethodWeak, Fam::ToSeller];
        if let Some(r) = ctx.near(o, &pay, 6).filter(|r| !ctx.negated(r)) {
            let q = ctx.quote(&[o, p, r]);
            f.add(Category::OffPlatformPayment, format!("asks to pay outside the platform (\"{q}\")"));
            return;
        }
    }
    if ctx.on_platform() {
        return;
    }
    for d in ctx.of(Fam::Direct) {
        let req = ctx
            .near(d, &[Fam::PayRequest], 3)
            .filter(|r| !ctx.negated(r) && !ctx.negated(d));
        if let Some(r) = req {
            let q = ctx.quote(&[d, r]);
            f.add(Category::OffPlatformPayment, format!("asks to pay directly (\"{q}\")"));
            return;
        }
    }
}

fn bank_details(ctx: &Ctx<'_>, f: &mut Findings) {
    if f.has(Category::OffPlatformPayment) {
        return;
    }
    let digits = ctx.text.as_bytes().windows(6).any(|w| w.iter().all(u8::is_ascii_digit));
    if let Some(h) = ctx.of(Fam::BankDetails).find(|h| !ctx.negated_noun(h)).filter(|_| digits) {
        let q = ctx.quote(&[h]);
        f.add(Category::OffPlatformPayment, format!("shares bank account details (\"{q}\")"));
    }
}

/// The seller asks the buyer to pay a fee (customs, insurance, release…)
/// to them. Honest "import VAT may be charged by the courier" stays allowed.
fn extra_fee(ctx: &Ctx<'_>, f: &mut Findings) {
    if !ctx.is_seller() {
        return;
    }
    let Some(fee) = fee_term(ctx) else {
        return;
    };
    let demand = [Fam::PayRequest, Fam::Obligation, Fam::Hold];
    let Some(d) = ctx.near(fee, &demand, 10).filter(|d| !ctx.negated(d)) else {
        return;
    };
    let payee = seller_is_payee(ctx, fee);
    let honest = ctx.any(Fam::Official) || ctx.any(Fam::Hedge);
    if (payee || !honest) && (ctx.stage != Stage::PreOrder || payee) {
        let q = ctx.quote(&[fee, d]);
        f.add(Category::ExtraFee, format!("asks the buyer to pay an extra fee (\"{q}\")"));
    }
}

fn fee_term<'a>(ctx: &Ctx<'a>) -> Option<&'a Hit> {
    ctx.of(Fam::FeeCompound)
        .find(|h| !ctx.negated_noun(h))
        .or_else(|| {
            ctx.of(Fam::FeeKind)
                .find(|k| ctx.near(k, &[Fam::FeeWord], 3).is_some() && !ctx.negated_noun(k))
        })
}

/// Money for the fee goes to the seller or through a channel they control.
fn seller_is_payee(ctx: &Ctx<'_>, fee: &Hit) -> bool {
    let fams = [Fam::ToSeller, Fam::Direct, Fam::MethodStrong, Fam::MethodWeak];
    ctx.hits.iter().any(|h| fams.contains(&h.fam))
        || ctx.near(fee, &[Fam::Refund], 8).is_some()
        || ctx.has_art(|a| *a != Art::Phone)
        || ctx.has_link(|_, v| !matches!(v, LinkVerdict::Safe | LinkVerdict::Neutral))
        || ctx.has_link(|l, v| *v == LinkVerdict::Neutral && matches!(l.kind, LinkKind::Url { .. }))
}

/// The seller pushes the buyer to drop a dispute or settle it privately.
fn dispute(ctx: &Ctx<'_>, f: &mut Findings) {
    let object = ctx.any(Fam::DisputeObject);
    if !ctx.is_seller() || !(ctx.stage == Stage::InDispute || object) {
        return;
    }
    let actionable = |a: &&Hit| !ctx.negated(a) && !ctx.first_person(a);
    let close = ctx
        .hits
        .iter()
        .filter(|a| matches!(a.fam, Fam::DisputeAction | Fam::DisputeCancel))
        .filter(actionable)
        .find_map(|a| ctx.near(a, &[Fam::DisputeObject], 4).map(|o| (a, o)));
    if let Some((a, o)) = close {
        let q = ctx.quote(&[a, o]);
        return f.add(Category::DisputePressure, format!("pressures the buyer to close the dispute (\"{q}\")"));
    }
    let dont_open = ctx.of(Fam::DisputeOpen).find(|a| {
        ctx.negated(a) && ctx.near(a, &[Fam::DisputeObject], 3).is_some()
    });
    if let Some(a) = dont_open {
        let q = ctx.quote(&[a]);
        return f.add(Category::DisputePressure, format!("discourages opening a dispute (\"{q}\")"));
    }
    refund_outside(ctx, f, actionable);
}

fn refund_outside(ctx: &Ctx<'_>, f: &mut Findings, actionable: impl Fn(&&Hit) -> bool) {
    let channel = [Fam::Direct, Fam::MethodStrong, Fam::MethodWeak, Fam::OutsideWord];
    let refund = ctx
        .of(Fam::Refund)
        .find_map(|r| ctx.near(r, &channel, 6).map(|c| (r, c)));
    if let Some((r, c)) = refund.filter(|_| !ctx.on_platform()) {
        let q = ctx.quote(&[r, c]);
        return f.add(Category::DisputePressure, format!("offers a refund outside the platform (\"{q}\")"));
    }
    if ctx.stage != Stage::InDispute {
        return;
    }
    let action = ctx.of(Fam::DisputeAction).find(actionable);
    if let (Some(a), Some(r)) = (action, ctx.of(Fam::Refund).next()) {
        let q = ctx.quote(&[a, r]);
        f.add(Category::DisputePressure, format!("trades a refund for closing the dispute (\"{q}\")"));
    }
}

/// The seller asks for receipt confirmation while the parcel is in transit.
fn confirm_receipt(ctx: &Ctx<'_>, f: &mut Findings) {
    if !ctx.is_seller() || ctx.stage != Stage::AfterOrder {
        return;
    }
    let conditional = ctx
        .of(Fam::When)
        .any(|w| ctx.hits.iter().any(|r| r.fam == Fam::ReceiveVerb && r.w0 > w.w0 && r.w0 - w.w1 <= 3));
    if conditional && !ctx.any(Fam::PreDelivery) {
        return;
    }
    let pair = confirm_pair(ctx);
    let compound = ctx.of(Fam::ConfirmCompound).find(|h| !ctx.negated(h) && !ctx.first_person(h));
    if let Some(q) = pair.or_else(|| compound.map(|h| ctx.quote(&[h]))) {
        f.add(
            Category::ConfirmReceiptPressure,
            format!("asks to confirm receipt before delivery (\"{q}\")"),
        );
    }
}

fn confirm_pair(ctx: &Ctx<'_>) -> Option<String> {
    let verbs = ctx
        .hits
        .iter()
        .filter(|v| matches!(v.fam, Fam::ConfirmVerb | Fam::CompleteVerb))
        .filter(|v| !ctx.negated(v) && !ctx.first_person(v));
    for v in verbs {
        let objects: &[Fam] = if v.fam == Fam::CompleteVerb {
            &[Fam::ReceiptObject, Fam::OrderObject]
        } else {
            &[Fam::ReceiptObject]
        };
        let Some(o) = ctx.near(v, objects, 4) else {
            continue;
        };
        let (lo, hi) = (v.w0.min(o.w0), v.w1.max(o.w1) + 2);
        let other = ctx
            .of(Fam::ConfirmOther)
            .any(|x| x.w0 >= lo && x.w0 <= hi);
        if !other {
            return Some(ctx.quote(&[v, o]));
        }
    }
    None
}
