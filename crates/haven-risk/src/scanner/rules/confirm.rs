//! Pressure to confirm receipt before the parcel has arrived.

use super::super::lexicon::Hit;
use super::super::vocab::Fam;
use super::super::{Category, Stage};
use super::{Ctx, Findings};

/// The seller asks for receipt confirmation while the parcel is in transit.
pub(super) fn confirm_receipt(ctx: &Ctx<'_>, f: &mut Findings) {
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
    // "customs release payment" is a fee, not the escrow release.
    let fee_before = |h: &Hit| ctx.before(h, &[Fam::FeeKind, Fam::FeeNoun], 1).is_some();
    let compound = ctx
        .of(Fam::ConfirmCompound)
        .find(|h| !ctx.negated(h) && !ctx.first_person(h) && !fee_before(h))
        .map(|h| ctx.quote(&[h]));
    if let Some(q) = confirm_pair(ctx).or(compound).or_else(|| bare_confirm(ctx)) {
        f.add(
            Category::ConfirmReceiptPressure,
            format!("asks to confirm receipt before delivery (\"{q}\")"),
        );
    }
}

/// A verb the buyer is asked to perform (not negated, not "I will …").
pub(super) fn request_verbs<'a>(
    ctx: &'a Ctx<'a>,
    fams: &'a [Fam],
) -> impl Iterator<Item = &'a Hit> + 'a {
    ctx.hits
        .iter()
        .filter(move |v| fams.contains(&v.fam))
        .filter(move |v| !ctx.negated(v) && !ctx.first_person(v))
}

pub(super) fn confirm_pair(ctx: &Ctx<'_>) -> Option<String> {
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
pub(super) fn bare_confirm(ctx: &Ctx<'_>) -> Option<String> {
    let push = [Fam::PreDelivery, Fam::Pressure, Fam::Incentive];
    request_verbs(ctx, &[Fam::ConfirmVerb])
        .filter(|v| ctx.after(v, &[Fam::ConfirmOther], 3).is_none())
        .find_map(|v| ctx.near(v, &push, 5).map(|p| ctx.quote(&[v, p])))
}
