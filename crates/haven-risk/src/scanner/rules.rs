//! Category rules: combine vocabulary hits (by word distance), structured
//! artifacts, the order stage and who is speaking into findings.
//!
//! Each rule pairs an intent with its object ("close" × "dispute",
//! "bank transfer" × "pay me") and then checks the context that makes the
//! pairing innocent: negation, first-person statements, payment that stays
//! at checkout, customs paid to the courier, "once it arrives", or someone
//! reporting a scam attempt they received elsewhere.

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

    /// A hit of `fams` within `win` words of `h` (not the same words).
    fn near(&self, h: &Hit, fams: &[Fam], win: u32) -> Option<&'a Hit> {
        self.hits
            .iter()
            .find(|o| fams.contains(&o.fam) && !o.same_place(h) && o.dist(h) <= win)
    }

    /// Like `near`, skipping negated cues ("never pay me…", but "no meu pix").
    fn near_live(&self, h: &Hit, fams: &[Fam], win: u32) -> Option<&'a Hit> {
        self.hits.iter().find(|o| {
            fams.contains(&o.fam) && !o.same_place(h) && o.dist(h) <= win && !self.cue_negated(o)
        })
    }

    /// Verbs take "no" as a negation; noun phrases do not. "only the
    /// platform" insists on the platform, not on a method.
    fn cue_negated(&self, h: &Hit) -> bool {
        match h.fam {
            Fam::PayRequest | Fam::ContactCue | Fam::AskVerb => self.negated(h),
            Fam::Only => self.after(h, &[Fam::Platform, Fam::Checkout], 4).is_some(),
            _ => self.negated_noun(h),
        }
    }

    /// A method that is the object of a negated verb ("No acepto transferencias").
    fn method_refused(&self, m: &Hit) -> bool {
        self.negated_noun(m)
            || self
                .before(m, &[Fam::PayRequest, Fam::Accept], 2)
                .is_some_and(|v| self.negated(v))
    }

    /// A hit of `fams` ending at most `win` words before `h` starts.
    fn before(&self, h: &Hit, fams: &[Fam], win: u32) -> Option<&'a Hit> {
        self.hits
            .iter()
            .find(|o| fams.contains(&o.fam) && o.w1 < h.w0 && h.w0 - o.w1 <= win)
    }

    /// A hit of `fams` starting at most `win` words after `h` ends.
    fn after(&self, h: &Hit, fams: &[Fam], win: u32) -> Option<&'a Hit> {
        self.hits
            .iter()
            .find(|o| fams.contains(&o.fam) && o.w0 > h.w1 && o.w0 - h.w1 <= win)
    }

    /// A verb negated by a preceding "not/never/не/nicht…" or an adjacent "no".
    fn negated(&self, h: &Hit) -> bool {
        self.negated_noun(h) || self.before(h, &[Fam::NegNo], 1).is_some()
    }

    /// Nouns ignore a bare "no": in Portuguese "no pix" means "by pix".
    fn negated_noun(&self, h: &Hit) -> bool {
        self.before(h, &[Fam::Neg], 3).is_some() || self.before(h, &[Fam::NegNever], 5).is_some()
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

    /// Someone else's scam attempt being reported, or a scam warning: the
    /// scam vocabulary is quoted, not used.
    fn reported(&self) -> bool {
        self.of(Fam::Reported).any(|h| !self.negated(h))
    }

    /// A platform anchor: "through Haven", "at checkout".
    fn anchors(&self) -> impl Iterator<Item = &'a Hit> + '_ {
        self.hits.iter().filter(|p| {
            p.fam == Fam::Checkout
                || (p.fam == Fam::Platform && self.before(p, &[Fam::OnPrep], 2).is_some())
        })
    }

    /// "через сайт не продаю", "not through the site": refusing the platform.
    fn anchor_refused(&self, p: &Hit) -> bool {
        let prep = self.before(p, &[Fam::OnPrep], 2);
        let negs = [Fam::Neg, Fam::NegNo, Fam::NegNever];
        let neg_after = self.after(p, &negs, 2).is_some();
        let neg_before = prep.is_some_and(|q| self.before(q, &negs, 1).is_some());
        let outside = self.before(p, &[Fam::OutsideWord], 3).is_some();
        neg_after || neg_before || outside
    }

    /// Payment evidently stays on the platform ("at checkout", "through Haven").
    fn on_platform(&self) -> bool {
        self.anchors().any(|p| !self.anchor_refused(p))
    }

    /// "outside the platform", "вне площадки", "hors plateforme", or a
    /// refused platform anchor.
    fn outside(&self) -> Option<&'a Hit> {
        let explicit = self
            .of(Fam::OutsideWord)
            .filter(|o| !self.negated_noun(o))
            .find_map(|o| {
                self.of(Fam::Platform)
                    .find(|p| p.w0 >= o.w1 && p.w0 - o.w1 <= 3 && !p.same_place(o))
                    .map(|_| o)
            });
        explicit.or_else(|| self.anchors().find(|p| self.anchor_refused(p)))
    }

    /// "the Haven payment failed": the classic excuse to pay elsewhere.
    fn platform_failed(&self) -> Option<&'a Hit> {
        let about = [Fam::Platform, Fam::Checkout, Fam::PayRequest];
        self.of(Fam::PaymentFailed)
            .find(|f| self.near(f, &about, 5).is_some())
    }

    fn has_art(&self, pred: impl Fn(&Art) -> bool) -> bool {
        self.arts.iter().any(|a| pred(&a.kind))
    }

    fn has_link(&self, pred: impl Fn(&Found, &LinkVerdict) -> bool) -> bool {
        self.links.iter().any(|l| pred(&l.found, &l.verdict))
    }

    /// A handle or e-mail someone could be reached at (not the platform's own).
    fn has_handle(&self) -> bool {
        self.has_link(|l, v| {
            matches!(l.kind, LinkKind::Handle)
                || (matches!(l.kind, LinkKind::Email { .. }) && *v != LinkVerdict::Safe)
        })
    }

    /// Phone numbers given as a payment key ("Bizum al 600…", "Pix: (11) 9…").
    fn is_pay_phone(&self, a: &Artifact) -> bool {
        self.of(Fam::MethodStrong).any(|m| {
            (m.orig.end <= a.orig.start && a.orig.start - m.orig.end <= 80)
                || (m.orig.start >= a.orig.end && m.orig.start - a.orig.end <= 15)
        })
    }

    /// The seller is the one to be paid ("pay me", "mándamelo", "an mich").
    fn seller_payee(&self) -> bool {
        let to_seller = self.of(Fam::ToSeller).any(|h| !self.negated_noun(h));
        let me_pay = self.of(Fam::Me).any(|m| {
            self.near(m, &[Fam::PayRequest], 2)
                .is_some_and(|p| !self.negated(p))
        });
        to_seller || me_pay
    }
}

/// Runs every rule.
pub(crate) fn apply(ctx: &Ctx<'_>) -> Findings {
    let mut f = Findings::default();
    let reported = ctx.reported();
    links(ctx, &mut f);
    payment(ctx, &mut f, reported);
    contact(ctx, &mut f, reported);
    if !reported {
        extra_fee(ctx, &mut f);
    }
    dispute(ctx, &mut f);
    confirm_receipt(ctx, &mut f);
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
    let reachable = ctx.has_art(|a| *a == Art::Phone) || ctx.has_handle();
    let cue = ctx.near(h, &[Fam::ContactCue], 4).is_some() || ctx.after(h, &[Fam::Me], 1).is_some();
    let poss = ctx.before(h, &[Fam::Possessive], 1).is_some();
    // "my email is on my Haven profile": a detail kept on the platform.
    let on_platform = ctx.near(h, &[Fam::Platform], 4).is_some();
    let ok = match h.tier {
        Tier::Strong => true,
        Tier::Slang => cue || poss || reachable || ctx.before(h, &[Fam::SlangPrep], 1).is_some(),
        Tier::Ambiguous => cue || reachable || (poss && !on_platform),
    };
    ok && !messenger_negated(ctx, h)
}

/// "I don't have WhatsApp or Telegram": negation carries along a list.
fn messenger_negated(ctx: &Ctx<'_>, h: &Hit) -> bool {
    ctx.negated_noun(h)
        || ctx
            .before(h, &[Fam::Messenger], 2)
            .is_some_and(|prev| prev.label != h.label && ctx.negated_noun(prev))
}

fn contact(ctx: &Ctx<'_>, f: &mut Findings, reported: bool) {
    if !reported {
        messengers(ctx, f);
    }
    for a in ctx
        .arts
        .iter()
        .filter(|a| a.kind == Art::Phone && !ctx.is_pay_phone(a))
    {
        let written = ctx.text.get(a.orig.clone()).unwrap_or("");
        f.add(
            Category::OffPlatformContact,
            format!("phone number {written}"),
        );
    }
    if reported {
        return;
    }
    handles(ctx, f);
    phone_request(ctx, f);
    if let Some(o) = ctx.outside() {
        // In a message about paying, "without Haven" is about the payment.
        let pay = [
            Fam::MethodStrong,
            Fam::MethodWeak,
            Fam::ToSeller,
            Fam::Discount,
        ];
        let about_pay =
            f.has(Category::OffPlatformPayment) || ctx.hits.iter().any(|h| pay.contains(&h.fam));
        if !about_pay && ctx.near(o, &[Fam::PayRequest], 6).is_none() {
            f.add(
                Category::OffPlatformContact,
                format!(
                    "suggests continuing outside the platform (\"{}\")",
                    ctx.quote(&[o])
                ),
            );
        }
    }
}

fn messengers(ctx: &Ctx<'_>, f: &mut Findings) {
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
}

/// "@handle" with "write me" — there are no handles on the platform itself.
fn handles(ctx: &Ctx<'_>, f: &mut Findings) {
    if !ctx.any(Fam::ContactCue) || ctx.any(Fam::MethodStrong) {
        return;
    }
    for l in ctx
        .links
        .iter()
        .filter(|l| l.found.kind == LinkKind::Handle)
    {
        let written = ctx.text.get(l.found.orig.clone()).unwrap_or("");
        f.add(
            Category::OffPlatformContact,
            format!("gives an account handle {written}"),
        );
    }
}

/// "what's your number", "dame tu número", "your phone number".
fn phone_request(ctx: &Ctx<'_>, f: &mut Findings) {
    let asking = [Fam::AskVerb, Fam::ContactCue];
    let number = ctx.of(Fam::NumberWord).find(|n| {
        ctx.before(n, &[Fam::Possessive], 1).is_some()
            && ctx.near(n, &asking, 4).is_some()
            && ctx.after(n, &[Fam::NumberNegCtx], 2).is_none()
            && !ctx.negated_noun(n)
    });
    let phrase = ctx.of(Fam::PhonePhrase).find(|p| {
        (ctx.before(p, &[Fam::Possessive], 1).is_some() || ctx.near(p, &asking, 4).is_some())
            && !ctx.negated_noun(p)
            && ctx.near(p, &[Fam::Platform], 3).is_none()
    });
    if let Some(h) = phrase.or(number) {
        let q = ctx.quote(&[h]);
        f.add(
            Category::OffPlatformContact,
            format!("asks for or shares a phone number (\"{q}\")"),
        );
    }
}

fn payment(ctx: &Ctx<'_>, f: &mut Findings, reported: bool) {
    payment_artifacts(ctx, f);
    if reported {
        return;
    }
    strong_methods(ctx, f);
    weak_methods(ctx, f);
    seller_account(ctx, f);
    friends_family(ctx, f);
    pay_outside_or_direct(ctx, f);
    bank_details(ctx, f);
}

fn payment_artifacts(ctx: &Ctx<'_>, f: &mut Findings) {
    for a in ctx.arts {
        let reason = match a.kind {
            Art::Iban => format!("IBAN {}…", &a.value[..4]),
            Art::Card => format!("bank card number {}…", &a.value[..4]),
            Art::Wallet(chain) => {
                format!(
                    "{chain} wallet {}…",
                    truncate(&a.value, 6).trim_end_matches('…')
                )
            }
            Art::Phone if ctx.is_pay_phone(a) => {
                let written = ctx.text.get(a.orig.clone()).unwrap_or("");
                format!("phone number given as a payment key {written}")
            }
            Art::Phone | Art::Money => continue,
        };
        f.add(Category::OffPlatformPayment, reason);
    }
}

/// Cues that turn a strong method mention into a request to pay that way.
fn strong_cues(ctx: &Ctx<'_>) -> Vec<Fam> {
    let mut cues = vec![
        Fam::Only,
        Fam::PayRequest,
        Fam::ToSeller,
        Fam::Discount,
        Fam::Direct,
        Fam::OutsideWord,
        Fam::Accept,
    ];
    if ctx.from == Sender::Buyer {
        // Overpayment scams: "refund me the difference by Western Union".
        cues.push(Fam::Refund);
    }
    cues
}

/// Bank transfer, crypto, gift cards…: outside checkout unless the message
/// is clearly about what checkout itself offers.
fn strong_methods(ctx: &Ctx<'_>, f: &mut Findings) {
    let pushy = ctx.seller_payee() || ctx.any(Fam::Direct) || ctx.outside().is_some();
    if ctx.on_platform() && !pushy {
        return;
    }
    let cues = strong_cues(ctx);
    let reachable = ctx.has_handle() || ctx.has_art(|a| *a == Art::Phone);
    for m in ctx.of(Fam::MethodStrong) {
        if ctx.method_refused(m) {
            continue;
        }
        if let Some(c) = ctx.near_live(m, &cues, 6) {
            let q = ctx.quote(&[m, c]);
            return f.add(
                Category::OffPlatformPayment,
                format!("asks for payment outside checkout (\"{q}\")"),
            );
        }
        if reachable || ctx.platform_failed().is_some() {
            let q = ctx.quote(&[m]);
            return f.add(
                Category::OffPlatformPayment,
                format!("gives a payment channel (\"{q}\")"),
            );
        }
    }
}

/// PayPal, cards, cash: fine at checkout, a problem when paid to the seller
/// or after the order was already paid.
fn weak_methods(ctx: &Ctx<'_>, f: &mut Findings) {
    let cues = [
        Fam::ToSeller,
        Fam::Direct,
        Fam::FriendsFamily,
        Fam::Discount,
    ];
    let outside = ctx.outside().is_some() || ctx.platform_failed().is_some();
    if ctx.on_platform() && !outside {
        return;
    }
    let paid_already = ctx.stage != Stage::PreOrder && ctx.is_seller();
    for m in ctx.of(Fam::MethodWeak) {
        if ctx.method_refused(m) {
            continue;
        }
        let cue = ctx.near_live(m, &cues, 5);
        let late = ctx
            .near(m, &[Fam::PayRequest], 5)
            .filter(|c| paid_already && !ctx.negated(c));
        if let Some(c) = cue.or(late) {
            let q = ctx.quote(&[m, c]);
            return f.add(
                Category::OffPlatformPayment,
                format!("asks to be paid directly (\"{q}\")"),
            );
        }
        if outside || ctx.seller_payee() {
            let q = ctx.quote(&[m]);
            return f.add(
                Category::OffPlatformPayment,
                format!("asks for payment outside the platform (\"{q}\")"),
            );
        }
    }
}

/// "send the amount to my account": paying the seller's own account.
fn seller_account(ctx: &Ctx<'_>, f: &mut Findings) {
    if f.has(Category::OffPlatformPayment) || ctx.on_platform() {
        return;
    }
    let pay = ctx
        .of(Fam::SellerAccount)
        .filter(|a| !ctx.negated_noun(a))
        .find_map(|a| {
            ctx.near(a, &[Fam::PayRequest], 5)
                .filter(|r| !ctx.negated(r))
                .map(|r| (a, r))
        });
    if let Some((a, r)) = pay {
        let q = ctx.quote(&[r, a]);
        f.add(
            Category::OffPlatformPayment,
            format!("asks to pay into the seller's own account (\"{q}\")"),
        );
    }
}

fn friends_family(ctx: &Ctx<'_>, f: &mut Findings) {
    let pay = [
        Fam::MethodWeak,
        Fam::MethodStrong,
        Fam::PayRequest,
        Fam::ToSeller,
    ];
    if let Some(h) = ctx
        .of(Fam::FriendsFamily)
        .find(|h| ctx.near(h, &pay, 6).is_some())
    {
        let q = ctx.quote(&[h]);
        f.add(
            Category::OffPlatformPayment,
            format!("asks for a friends-and-family payment without buyer protection (\"{q}\")"),
        );
    }
}

fn pay_outside_or_direct(ctx: &Ctx<'_>, f: &mut Findings) {
    let pay = [
        Fam::PayRequest,
        Fam::MethodStrong,
        Fam::MethodWeak,
        Fam::ToSeller,
    ];
    if let Some(o) = ctx.outside() {
        if let Some(r) = ctx.near_live(o, &pay, 6) {
            let q = ctx.quote(&[o, r]);
            return f.add(
                Category::OffPlatformPayment,
                format!("asks to pay outside the platform (\"{q}\")"),
            );
        }
    }
    if let Some(p) = ctx.platform_failed() {
        if let Some(r) = ctx
            .hits
            .iter()
            .find(|h| pay.contains(&h.fam) && h.w0 > p.w1 && !ctx.negated(h))
        {
            let q = ctx.quote(&[r]);
            return f.add(
                Category::OffPlatformPayment,
                format!("claims the platform payment failed and asks to pay another way (\"{q}\")"),
            );
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
            return f.add(
                Category::OffPlatformPayment,
                format!("asks to pay directly (\"{q}\")"),
            );
        }
    }
}

fn bank_details(ctx: &Ctx<'_>, f: &mut Findings) {
    if f.has(Category::OffPlatformPayment) {
        return;
    }
    if let Some(h) = ctx.of(Fam::BankDetails).find(|h| !ctx.negated(h)) {
        let q = ctx.quote(&[h]);
        f.add(
            Category::OffPlatformPayment,
            format!("asks for or shares bank details (\"{q}\")"),
        );
    }
}

/// The seller asks the buyer to pay a fee (customs, insurance, release,
/// forgotten tax…) to them. "Import VAT may be charged by the courier"
/// stays allowed.
fn extra_fee(ctx: &Ctx<'_>, f: &mut Findings) {
    if !ctx.is_seller() {
        return;
    }
    let Some(fee) = fee_term(ctx) else {
        return;
    };
    let demand = [
        Fam::PayRequest,
        Fam::Obligation,
        Fam::Hold,
        Fam::Otherwise,
        Fam::Owed,
        Fam::OwedSeller,
    ];
    let Some(d) = ctx.near_live(fee, &demand, 20) else {
        return;
    };
    let payee = fee_goes_to_seller(ctx);
    let hedged = ctx.near(fee, &[Fam::Hedge], 6).is_some();
    let honest = ctx.any(Fam::OfficialPayee) || hedged;
    let specific = fee.fam != Fam::FeeGeneric || ctx.near(fee, &[Fam::FeeKind], 3).is_some();
    let allowed_stage = ctx.stage != Stage::PreOrder || specific;
    if allowed_stage && (payee || (!honest && ctx.stage != Stage::PreOrder)) {
        let q = ctx.quote(&[fee, d]);
        f.add(
            Category::ExtraFee,
            format!("asks the buyer to pay an extra fee (\"{q}\")"),
        );
    }
}

/// A fee, not negated ("no extra fee"), not the platform's own fee and not
/// part of a discount pitch ("avoid the fees").
fn fee_term<'a>(ctx: &Ctx<'a>) -> Option<&'a Hit> {
    let fees = [
        Fam::FeeCompound,
        Fam::FeeNoun,
        Fam::FeeGeneric,
        Fam::FeeKind,
    ];
    let ok = |h: &&Hit| {
        // "no extra fee": the negation may sit before a longer overlapping term.
        let negated = ctx
            .hits
            .iter()
            .any(|o| fees.contains(&o.fam) && o.dist(h) == 0 && ctx.negated(o));
        !negated
            && ctx.before(h, &[Fam::Platform], 1).is_none()
            && !ctx
                .hits
                .iter()
                .any(|d| matches!(d.fam, Fam::Discount | Fam::OutsideWord) && d.dist(h) == 0)
    };
    let direct = ctx
        .hits
        .iter()
        .filter(|h| matches!(h.fam, Fam::FeeCompound | Fam::FeeNoun | Fam::FeeGeneric))
        .min_by_key(|h| h.fam == Fam::FeeGeneric)
        .filter(|h| ok(h));
    direct.or_else(|| {
        ctx.of(Fam::FeeKind)
            .filter(ok)
            .find(|k| ctx.near(k, &[Fam::FeeWord], 3).is_some() || money_near(ctx, k))
    })
}

fn money_near(ctx: &Ctx<'_>, h: &Hit) -> bool {
    ctx.arts.iter().any(|a| {
        a.kind == Art::Money
            && (a.orig.start.abs_diff(h.orig.end) <= 30 || h.orig.start.abs_diff(a.orig.end) <= 30)
    })
}

/// Money for the fee goes to the seller or through a channel they control.
fn fee_goes_to_seller(ctx: &Ctx<'_>) -> bool {
    let fams = [
        Fam::Direct,
        Fam::MethodStrong,
        Fam::MethodWeak,
        Fam::OwedSeller,
        Fam::Refund,
    ];
    ctx.seller_payee()
        || ctx
            .hits
            .iter()
            .any(|h| fams.contains(&h.fam) && !ctx.negated(h))
        || ctx.has_art(|a| !matches!(a, Art::Phone | Art::Money))
        || ctx.has_link(|l, v| {
            !matches!(v, LinkVerdict::Safe)
                && matches!(l.kind, LinkKind::Url { .. } | LinkKind::Cashtag)
        })
}

/// The seller pushes the buyer to drop a dispute or settle it privately.
fn dispute(ctx: &Ctx<'_>, f: &mut Findings) {
    let object = ctx.any(Fam::DisputeObject);
    if !ctx.is_seller() || !(ctx.stage == Stage::InDispute || object) {
        return;
    }
    let leverage = threat_or_plea(ctx);
    let actionable = |a: &&Hit| (leverage.is_some() || !ctx.negated(a)) && !ctx.first_person(a);
    let close = ctx
        .hits
        .iter()
        .filter(|a| matches!(a.fam, Fam::DisputeAction | Fam::DisputeCancel))
        .filter(actionable)
        .find_map(|a| ctx.near(a, &[Fam::DisputeObject], 4).map(|o| (a, o)));
    if let Some((a, o)) = close {
        let q = ctx.quote(&[a, o]);
        return f.add(
            Category::DisputePressure,
            format!("pressures the buyer to close the dispute (\"{q}\")"),
        );
    }
    if let Some(h) = leverage {
        let q = ctx.quote(&[h]);
        return f.add(
            Category::DisputePressure,
            format!("threatens or pleads over the dispute (\"{q}\")"),
        );
    }
    if let Some(a) = discouraged_dispute(ctx) {
        let q = ctx.quote(&[a]);
        return f.add(
            Category::DisputePressure,
            format!("discourages opening a dispute (\"{q}\")"),
        );
    }
    refund_outside(ctx, f, actionable);
}

/// Negative-review threats and "my shop will be banned" pleas.
fn threat_or_plea<'a>(ctx: &Ctx<'a>) -> Option<&'a Hit> {
    let threat = ctx.of(Fam::Threat).find(|t| !ctx.negated_noun(t));
    let mine = |h: &Hit| ctx.near(h, &[Fam::Possessive, Fam::Me], 2).is_some();
    threat.or_else(|| {
        ctx.of(Fam::PleaObj).find(|o| {
            ctx.near(o, &[Fam::PleaVerb], 3)
                .is_some_and(|v| mine(o) || mine(v))
        })
    })
}

/// "don't open a dispute" — but not "open a dispute on Haven".
fn discouraged_dispute<'a>(ctx: &Ctx<'a>) -> Option<&'a Hit> {
    ctx.of(Fam::DisputeOpen).find(|a| {
        ctx.before(a, &[Fam::Neg, Fam::NegNo], 2).is_some()
            && ctx.near(a, &[Fam::DisputeObject], 3).is_some()
            && ctx.after(a, &[Fam::Platform], 4).is_none()
    })
}

fn refund_outside(ctx: &Ctx<'_>, f: &mut Findings, actionable: impl Fn(&&Hit) -> bool) {
    let channel = [
        Fam::Direct,
        Fam::MethodStrong,
        Fam::MethodWeak,
        Fam::OutsideWord,
    ];
    let refund = ctx
        .of(Fam::Refund)
        .find_map(|r| ctx.near(r, &channel, 6).map(|c| (r, c)));
    if let Some((r, c)) = refund.filter(|_| !ctx.on_platform()) {
        let q = ctx.quote(&[r, c]);
        return f.add(
            Category::DisputePressure,
            format!("offers a refund outside the platform (\"{q}\")"),
        );
    }
    if ctx.stage != Stage::InDispute {
        return;
    }
    let action = ctx.of(Fam::DisputeAction).find(actionable);
    let reward = ctx
        .hits
        .iter()
        .find(|h| matches!(h.fam, Fam::Refund | Fam::Incentive));
    if let (Some(a), Some(r)) = (action, reward) {
        let q = ctx.quote(&[a, r]);
        f.add(
            Category::DisputePressure,
            format!("trades a refund or gift for closing the dispute (\"{q}\")"),
        );
    }
}

/// The seller asks for receipt confirmation while the parcel is in transit.
fn confirm_receipt(ctx: &Ctx<'_>, f: &mut Findings) {
    if !ctx.is_seller() || ctx.stage != Stage::AfterOrder {
        return;
    }
    if ctx.any(Fam::NoRush) {
        return;
    }
    let pushed = ctx.any(Fam::PreDelivery) || ctx.any(Fam::Incentive);
    let conditional = ctx.of(Fam::When).any(|w| {
        ctx.hits
            .iter()
            .any(|r| r.fam == Fam::ReceiveVerb && r.w0 > w.w0 && r.w0 - w.w1 <= 4)
    });
    if conditional && !pushed {
        return;
    }
    let compound = ctx
        .of(Fam::ConfirmCompound)
        .find(|h| !ctx.negated(h) && !ctx.first_person(h))
        .map(|h| ctx.quote(&[h]));
    if let Some(q) = confirm_pair(ctx).or(compound).or_else(|| bare_confirm(ctx)) {
        f.add(
            Category::ConfirmReceiptPressure,
            format!("asks to confirm receipt before delivery (\"{q}\")"),
        );
    }
}

/// A verb the buyer is asked to perform (not negated, not "I will …").
fn request_verbs<'a>(ctx: &'a Ctx<'a>, fams: &'a [Fam]) -> impl Iterator<Item = &'a Hit> + 'a {
    ctx.hits
        .iter()
        .filter(move |v| fams.contains(&v.fam))
        .filter(move |v| !ctx.negated(v) && !ctx.first_person(v))
}

fn confirm_pair(ctx: &Ctx<'_>) -> Option<String> {
    let receipt = [Fam::ReceiptNoun, Fam::ReceivedState];
    for v in request_verbs(ctx, &[Fam::ConfirmVerb, Fam::CompleteVerb, Fam::Click]) {
        // A button name may sit a few words away ("klicken Sie bitte auf 'Erhalten'").
        let (objects, win): (&[Fam], u32) = match v.fam {
            Fam::CompleteVerb => (&[Fam::ReceiptNoun, Fam::ReceivedState, Fam::OrderObject], 4),
            Fam::Click => (
                &[Fam::ReceivedState, Fam::ConfirmVerb, Fam::ConfirmCompound],
                7,
            ),
            _ => (&receipt, 5),
        };
        let Some(o) = ctx.near(v, objects, win) else {
            continue;
        };
        let (lo, hi) = (v.w0.min(o.w0), v.w1.max(o.w1) + 2);
        let other = ctx.of(Fam::ConfirmOther).any(|x| x.w0 >= lo && x.w0 <= hi);
        if !other {
            return Some(ctx.quote(&[v, o]));
        }
    }
    None
}

/// "just confirm pls", "hit confirm so I can get paid".
fn bare_confirm(ctx: &Ctx<'_>) -> Option<String> {
    let push = [Fam::PreDelivery, Fam::Pressure, Fam::Incentive];
    request_verbs(ctx, &[Fam::ConfirmVerb])
        .filter(|v| ctx.after(v, &[Fam::ConfirmOther], 3).is_none())
        .find_map(|v| ctx.near(v, &push, 5).map(|p| ctx.quote(&[v, p])))
}
