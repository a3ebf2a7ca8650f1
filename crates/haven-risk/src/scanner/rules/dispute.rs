//! Pressure on the buyer to drop or avoid a dispute.

use super::super::lexicon::Hit;
use super::super::vocab::Fam;
use super::super::{Category, Stage};
use super::{Ctx, Findings};

/// The seller pushes the buyer to drop a dispute or settle it privately.
pub(super) fn dispute(ctx: &Ctx<'_>, f: &mut Findings) {
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
pub(super) fn threat_or_plea<'a>(ctx: &Ctx<'a>) -> Option<&'a Hit> {
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
pub(super) fn discouraged_dispute<'a>(ctx: &Ctx<'a>) -> Option<&'a Hit> {
    ctx.of(Fam::DisputeOpen).find(|a| {
        ctx.before(a, &[Fam::Neg, Fam::NegNo], 2).is_some()
            && ctx.near(a, &[Fam::DisputeObject], 3).is_some()
            && ctx.after(a, &[Fam::Platform], 4).is_none()
    })
}

pub(super) fn refund_outside(ctx: &Ctx<'_>, f: &mut Findings, actionable: impl Fn(&&Hit) -> bool) {
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
