//! Off-platform payment: payment details, methods that bypass checkout,
//! requests to pay the seller directly.

use super::super::artifacts::Kind as Art;
use super::super::links::truncate;
use super::super::vocab::Fam;
use super::super::{Category, Sender, Stage};
use super::{Ctx, Findings};

pub(super) fn payment(ctx: &Ctx<'_>, f: &mut Findings, reported: bool) {
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

pub(super) fn payment_artifacts(ctx: &Ctx<'_>, f: &mut Findings) {
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
pub(super) fn strong_cues(ctx: &Ctx<'_>) -> Vec<Fam> {
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
pub(super) fn strong_methods(ctx: &Ctx<'_>, f: &mut Findings) {
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
pub(super) fn weak_methods(ctx: &Ctx<'_>, f: &mut Findings) {
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
pub(super) fn seller_account(ctx: &Ctx<'_>, f: &mut Findings) {
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

pub(super) fn friends_family(ctx: &Ctx<'_>, f: &mut Findings) {
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

pub(super) fn pay_outside_or_direct(ctx: &Ctx<'_>, f: &mut Findings) {
    let pay = [
        Fam::PayRequest,
        Fam::MethodStrong,
        Fam::MethodWeak,
        Fam::ToSeller,
    ];
    if let Some(o) = ctx.outside()
        && let Some(r) = ctx.near_live(o, &pay, 6)
    {
        let q = ctx.quote(&[o, r]);
        return f.add(
            Category::OffPlatformPayment,
            format!("asks to pay outside the platform (\"{q}\")"),
        );
    }
    let after_failure = ctx.platform_failed().and_then(|p| {
        ctx.hits
            .iter()
            .find(|h| pay.contains(&h.fam) && h.w0 > p.w1 && !ctx.negated(h))
    });
    if let Some(r) = after_failure {
        let q = ctx.quote(&[r]);
        return f.add(
            Category::OffPlatformPayment,
            format!("claims the platform payment failed and asks to pay another way (\"{q}\")"),
        );
    }
    if ctx.on_platform() {
        return;
    }
    for d in ctx.of(Fam::Direct) {
        let req = ctx
            .near(d, &[Fam::PayRequest], 5)
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

pub(super) fn bank_details(ctx: &Ctx<'_>, f: &mut Findings) {
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
