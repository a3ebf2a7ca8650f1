//! Off-platform contact: messengers, phone numbers, handles, e-mails.

use super::super::artifacts::Kind as Art;
use super::super::lexicon::Hit;
use super::super::links::{Kind as LinkKind, truncate};
use super::super::vocab::{Fam, MESSENGERS, Tier};
use super::super::{Category, Stage};
use super::{Ctx, Findings};

/// Shows how the sender spelled a name when it differs from the plain name.
fn written_suffix(label: &str, written: &str) -> String {
    if label.to_lowercase() == written.trim().to_lowercase() {
        String::new()
    } else {
        format!(" (written \"{}\")", truncate(written, 40))
    }
}

/// Whether a messenger alias counts in its context.
pub(super) fn messenger_counts(ctx: &Ctx<'_>, h: &Hit) -> bool {
    let reachable = ctx.has_art(|a| *a == Art::Phone) || ctx.has_handle();
    // "signal me" / "whatsapp me" — but not "Haven emailed me".
    let whole_word = !ctx.text[h.orig.end..].starts_with(char::is_alphabetic);
    let cue = ctx.near(h, &[Fam::ContactCue], 4).is_some()
        || (whole_word && ctx.after(h, &[Fam::Me], 1).is_some());
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
pub(super) fn messenger_negated(ctx: &Ctx<'_>, h: &Hit) -> bool {
    ctx.negated_noun(h)
        || ctx
            .before(h, &[Fam::Messenger], 2)
            .is_some_and(|prev| prev.label != h.label && ctx.negated_noun(prev))
}

pub(super) fn contact(ctx: &Ctx<'_>, f: &mut Findings, reported: bool) {
    if !reported {
        messengers(ctx, f);
    }
    for a in ctx
        .arts
        .iter()
        .filter(|a| a.kind == Art::Phone && !ctx.is_pay_phone(a) && !buyer_delivery_phone(ctx))
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
        // "refund you outside Haven" belongs to the dispute rules.
        let refund = ctx.near(o, &[Fam::Refund], 6).is_some();
        if !about_pay && !refund && ctx.near(o, &[Fam::PayRequest], 6).is_none() {
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

/// A buyer giving their own number for the courier with the delivery
/// details is what every marketplace asks for; a messenger named with it
/// ("WhatsApp me on …") still counts.
fn buyer_delivery_phone(ctx: &Ctx<'_>) -> bool {
    ctx.from == super::super::Sender::Buyer
        && ctx.stage != Stage::PreOrder
        && ctx.any(Fam::DeliveryCtx)
        && !ctx.any(Fam::Messenger)
}

pub(super) fn messengers(ctx: &Ctx<'_>, f: &mut Findings) {
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
pub(super) fn handles(ctx: &Ctx<'_>, f: &mut Findings) {
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
pub(super) fn phone_request(ctx: &Ctx<'_>, f: &mut Findings) {
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
