//! Extra fees the seller asks the buyer to pay (customs, insurance, forgotten tax).

use super::super::artifacts::Kind as Art;
use super::super::lexicon::Hit;
use super::super::links::{Kind as LinkKind, LinkVerdict};
use super::super::vocab::Fam;
use super::super::{Category, Stage};
use super::{Ctx, Findings};

/// The seller asks the buyer to pay a fee (customs, insurance, release,
/// forgotten tax…) to them. "Import VAT may be charged by the courier"
/// stays allowed.
pub(super) fn extra_fee(ctx: &Ctx<'_>, f: &mut Findings) {
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

/// The fake buyer's turn of the same trick: "I have paid, but Haven only
/// releases the money once you pay a release fee". No platform charges to
/// release, unlock or activate a payment.
pub(super) fn release_fee_from_buyer(ctx: &Ctx<'_>, f: &mut Findings) {
    if ctx.is_seller() || !ctx.any(Fam::Platform) {
        return;
    }
    let Some(fee) = fee_term(ctx) else {
        return;
    };
    let release = ctx.of(Fam::FeeRelease).any(|r| r.dist(fee) <= 6);
    let demand = [Fam::PayRequest, Fam::Obligation];
    if let Some(d) = ctx.near_live(fee, &demand, 20).filter(|_| release) {
        let q = ctx.quote(&[fee, d]);
        f.add(
            Category::ExtraFee,
            format!("asks the seller to pay a fee to release a payment (\"{q}\")"),
        );
    }
}

/// A fee, not negated ("no extra fee"), not the platform's own fee and not
/// part of a discount pitch ("avoid the fees").
pub(super) fn fee_term<'a>(ctx: &Ctx<'a>) -> Option<&'a Hit> {
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

pub(super) fn money_near(ctx: &Ctx<'_>, h: &Hit) -> bool {
    ctx.arts.iter().any(|a| {
        a.kind == Art::Money
            && (a.orig.start.abs_diff(h.orig.end) <= 30 || h.orig.start.abs_diff(a.orig.end) <= 30)
    })
}

/// Money for the fee goes to the seller or through a channel they control.
pub(super) fn fee_goes_to_seller(ctx: &Ctx<'_>) -> bool {
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
