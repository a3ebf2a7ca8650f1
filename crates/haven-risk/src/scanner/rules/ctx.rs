//! The per-message view every rule reads, with the context questions
//! they share: distance between hits, negation, first person, whether
//! payment stays on the platform.

use super::super::artifacts::{Artifact, Kind as Art};
use super::super::lexicon::Hit;
use super::super::links::{Found, Kind as LinkKind, LinkVerdict, truncate};
use super::super::vocab::Fam;
use super::super::{Sender, Stage};
use super::LinkFinding;

/// Everything a rule may look at for one message.
pub(crate) struct Ctx<'a> {
    pub text: &'a str,
    pub hits: &'a [Hit],
    pub arts: &'a [Artifact],
    pub links: &'a [LinkFinding],
    pub stage: Stage,
    pub from: Sender,
}

impl<'a> Ctx<'a> {
    pub(super) fn of(&self, f: Fam) -> impl Iterator<Item = &'a Hit> + '_ {
        self.hits.iter().filter(move |h| h.fam == f)
    }

    pub(super) fn any(&self, f: Fam) -> bool {
        self.hits.iter().any(|h| h.fam == f)
    }

    /// A hit of `fams` within `win` words of `h` (not the same words).
    pub(super) fn near(&self, h: &Hit, fams: &[Fam], win: u32) -> Option<&'a Hit> {
        self.hits
            .iter()
            .find(|o| fams.contains(&o.fam) && !o.same_place(h) && o.dist(h) <= win)
    }

    /// Like `near`, skipping negated cues ("never pay me…", but "no meu pix").
    pub(super) fn near_live(&self, h: &Hit, fams: &[Fam], win: u32) -> Option<&'a Hit> {
        self.hits.iter().find(|o| {
            fams.contains(&o.fam) && !o.same_place(h) && o.dist(h) <= win && !self.cue_negated(o)
        })
    }

    /// Verbs take "no" as a negation; noun phrases do not. "only the
    /// platform" insists on the platform, not on a method.
    pub(super) fn cue_negated(&self, h: &Hit) -> bool {
        match h.fam {
            Fam::PayRequest | Fam::ContactCue | Fam::AskVerb => self.negated(h),
            Fam::Only => self.after(h, &[Fam::Platform, Fam::Checkout], 4).is_some(),
            _ => self.negated_noun(h),
        }
    }

    /// "no a mí" / "not to me" refuse the payee; Portuguese "no meu pix"
    /// ("in my pix") does not.
    pub(super) fn payee_negated(&self, h: &Hit) -> bool {
        let possessive_first = self
            .hits
            .iter()
            .any(|p| p.fam == Fam::Possessive && p.w0 == h.w0);
        self.negated_noun(h) || (!possessive_first && self.before(h, &[Fam::NegNo], 1).is_some())
    }

    /// A method that is the object of a negated verb ("No acepto transferencias").
    pub(super) fn method_refused(&self, m: &Hit) -> bool {
        self.negated_noun(m)
            || self
                .before(m, &[Fam::PayRequest, Fam::Accept], 2)
                .is_some_and(|v| self.negated(v))
    }

    /// A hit of `fams` ending at most `win` words before `h` starts.
    pub(super) fn before(&self, h: &Hit, fams: &[Fam], win: u32) -> Option<&'a Hit> {
        self.hits
            .iter()
            .find(|o| fams.contains(&o.fam) && o.w1 < h.w0 && h.w0 - o.w1 <= win)
    }

    /// A hit of `fams` starting at most `win` words after `h` ends.
    pub(super) fn after(&self, h: &Hit, fams: &[Fam], win: u32) -> Option<&'a Hit> {
        self.hits
            .iter()
            .find(|o| fams.contains(&o.fam) && o.w0 > h.w1 && o.w0 - h.w1 <= win)
    }

    /// A verb negated by a preceding "not/never/не/nicht…" or an adjacent "no".
    pub(super) fn negated(&self, h: &Hit) -> bool {
        self.negated_noun(h) || self.before(h, &[Fam::NegNo], 1).is_some()
    }

    /// Nouns ignore a bare "no": in Portuguese "no pix" means "by pix".
    pub(super) fn negated_noun(&self, h: &Hit) -> bool {
        self.before(h, &[Fam::Neg], 3).is_some() || self.before(h, &[Fam::NegNever], 5).is_some()
    }

    /// "I will …" / "we …": a statement about oneself, not a request.
    pub(super) fn first_person(&self, h: &Hit) -> bool {
        self.before(h, &[Fam::FirstPerson], 2).is_some()
    }

    /// The original text spanning some hits, for reasons.
    pub(super) fn quote(&self, hs: &[&Hit]) -> String {
        let s = hs.iter().map(|h| h.orig.start).min().unwrap_or(0);
        let e = hs.iter().map(|h| h.orig.end).max().unwrap_or(0);
        truncate(self.text.get(s..e).unwrap_or(""), 60)
    }

    pub(super) fn is_seller(&self) -> bool {
        self.from == Sender::Seller
    }

    /// Someone else's scam attempt being reported, or a scam warning: the
    /// scam vocabulary is quoted, not used.
    pub(super) fn reported(&self) -> bool {
        self.of(Fam::Reported).any(|h| !self.negated(h))
    }

    /// A platform anchor: "through Haven", "at checkout".
    pub(super) fn anchors(&self) -> impl Iterator<Item = &'a Hit> + '_ {
        self.hits.iter().filter(|p| {
            p.fam == Fam::Checkout
                || (p.fam == Fam::Platform && self.before(p, &[Fam::OnPrep], 2).is_some())
        })
    }

    /// "через сайт не продаю", "not through the site": refusing the platform.
    pub(super) fn anchor_refused(&self, p: &Hit) -> bool {
        let prep = self.before(p, &[Fam::OnPrep], 2);
        let negs = [Fam::Neg, Fam::NegNo, Fam::NegNever];
        let neg_after = self.after(p, &negs, 2).is_some();
        let neg_before = prep.is_some_and(|q| self.before(q, &negs, 1).is_some());
        let outside = self.before(p, &[Fam::OutsideWord], 3).is_some();
        neg_after || neg_before || outside
    }

    /// Payment evidently stays on the platform ("at checkout", "through Haven").
    pub(super) fn on_platform(&self) -> bool {
        self.anchors().any(|p| !self.anchor_refused(p))
    }

    /// "outside the platform", "вне площадки", "hors plateforme", or a
    /// refused platform anchor.
    pub(super) fn outside(&self) -> Option<&'a Hit> {
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
    pub(super) fn platform_failed(&self) -> Option<&'a Hit> {
        let about = [Fam::Platform, Fam::Checkout, Fam::PayRequest];
        self.of(Fam::PaymentFailed)
            .find(|f| self.near(f, &about, 5).is_some())
    }

    pub(super) fn has_art(&self, pred: impl Fn(&Art) -> bool) -> bool {
        self.arts.iter().any(|a| pred(&a.kind))
    }

    pub(super) fn has_link(&self, pred: impl Fn(&Found, &LinkVerdict) -> bool) -> bool {
        self.links.iter().any(|l| pred(&l.found, &l.verdict))
    }

    /// A handle or e-mail someone could be reached at (not the platform's own).
    pub(super) fn has_handle(&self) -> bool {
        self.has_link(|l, v| {
            matches!(l.kind, LinkKind::Handle)
                || (matches!(l.kind, LinkKind::Email { .. }) && *v != LinkVerdict::Safe)
        })
    }

    /// Phone numbers given as a payment key ("Bizum al 600…", "Pix: (11) 9…").
    pub(super) fn is_pay_phone(&self, a: &Artifact) -> bool {
        self.of(Fam::MethodStrong).any(|m| {
            (m.orig.end <= a.orig.start && a.orig.start - m.orig.end <= 80)
                || (m.orig.start >= a.orig.end && m.orig.start - a.orig.end <= 15)
        })
    }

    /// The seller is the one to be paid ("pay me", "mándamelo", "an mich").
    pub(super) fn seller_payee(&self) -> bool {
        let to_seller = self.of(Fam::ToSeller).any(|h| !self.payee_negated(h));
        let me_pay = self.of(Fam::Me).any(|m| {
            self.near(m, &[Fam::PayRequest], 2)
                .is_some_and(|p| !self.negated(p))
        });
        to_seller || me_pay
    }
}
