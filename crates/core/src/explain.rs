//! Reasons: typed values pointing back into the playbook, produced by the same code path that computed the
//! value they explain — never reconstructed afterwards.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::stage::{ScoreKind, Stage};
use crate::time::{Span, Timestamp};

/// Why a fit rule could not be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum UnknownCause {
    /// The profile has no value for the field.
    Missing,
    /// The value's type differs from the rule's (rekindle never coerces `"50"` to `50`).
    TypeMismatch,
    /// "At most N in the last D" for a contact whose history is shorter than D.
    ShortHistory,
    /// Data not computed for this contact yet: no RFM cell recorded (retention analytics write `rfm_cell`).
    NotComputed,
    /// A window or "last" question whose answer hangs on occurrences the state dropped: it keeps a signal's
    /// newest instants only, and some kept ones lie after the decision's instant (future-stamped events), so
    /// older ones it no longer places could be in the window.
    Dropped,
}

/// One reason in a decision, serialised with a `kind` tag (`{"kind": "intentRule", …}`).
///
/// ```
/// # use rekindle_core::Reason;
/// let r = Reason::FitRule { rule: "scores.fit.rules[0]".into(), id: "vp".into(), field: "role".into(), points: 20.0 };
/// assert!(matches!(r, Reason::FitRule { points, .. } if points == 20.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[non_exhaustive]
pub enum Reason {
    /// A fit rule matched the profile and added its points.
    FitRule {
        /// Path of the rule in the playbook.
        rule: String,
        /// The rule's id.
        id: String,
        /// The profile field it read.
        field: String,
        /// Points added.
        points: f64,
    },
    /// A fit rule could not be evaluated (three-valued logic: unknown adds nothing).
    FitUnknown {
        /// Path of the rule in the playbook.
        rule: String,
        /// The rule's id.
        id: String,
        /// The profile field it read.
        field: String,
        /// Why it is unknown.
        cause: UnknownCause,
    },
    /// An intent rule's contribution after decay.
    IntentRule {
        /// Path of the rule in the playbook.
        rule: String,
        /// The rule's id.
        id: String,
        /// The signal it counts.
        signal: String,
        /// Matching events still in play (since the last expiry).
        count: u32,
        /// Points granted by those events, before decay and cap.
        points: f64,
        /// The contribution at `now`.
        decayed_to: f64,
        /// The last matching event.
        last_at: Timestamp,
        /// True when the rule's `cap` clipped the accumulator.
        capped: bool,
    },
    /// An intent rule whose points expired (`expire_after` elapsed since its last matching event).
    RuleExpired {
        /// Path of the rule in the playbook.
        rule: String,
        /// The rule's id.
        id: String,
        /// The signal it counts.
        signal: String,
        /// The last matching event.
        last_at: Timestamp,
        /// When its points stopped counting.
        expired_at: Timestamp,
    },
    /// A group score was clamped to its `max` (or `min`).
    CapReached {
        /// Path of the group (`scores.intent`).
        group: String,
        /// The bound applied.
        cap: f64,
        /// Raw sum minus the bound (negative when raised to `min`).
        dropped: f64,
    },
    /// A score compared with a threshold.
    Threshold {
        /// Path of the threshold (`stages.mql.min.fit`, `stages.readiness.hot`).
        bar: String,
        /// Which score.
        score: ScoreKind,
        /// The threshold.
        needed: f64,
        /// The score at `now`.
        actual: f64,
        /// `actual ≥ needed`.
        met: bool,
    },
    /// A windowed condition ("pricing visit within 7d").
    Window {
        /// Path of the condition.
        condition: String,
        /// The signal counted.
        signal: String,
        /// Occurrences within the window at `now`.
        counted: u32,
        /// Occurrences needed.
        needed: u32,
        /// The window.
        window: Span,
        /// `counted ≥ needed`.
        met: bool,
    },
    /// A segment's membership and the conditions that decided it.
    Segment {
        /// The segment id.
        segment: String,
        /// Whether the contact is a member.
        member: bool,
        /// Why it could not be decided, when it could not.
        unknown: Option<UnknownCause>,
        /// Paths of the leaf conditions whose values decided the outcome.
        decided_by: Vec<String>,
    },
    /// The highest stage the contact has reached (stages are forward-only).
    StageReached {
        /// The stage.
        stage: Stage,
        /// When it was first reached.
        at: Timestamp,
    },
    /// A nurture step skipped: its branch rule (`when`) did not hold at its due time (D23), or the contact does
    /// not want it (its topic, or only important messages: D5, D27).
    StepSkipped {
        /// The sequence id.
        sequence: String,
        /// The step id.
        step: String,
        /// When the step was due (and its `when` judged).
        due_at: Timestamp,
        /// Why the rule could not be decided, when it could not.
        unknown: Option<UnknownCause>,
        /// Paths of the leaf conditions that decided.
        decided_by: Vec<String>,
        /// The send-policy gate that made the step unwanted, when that is why it was skipped: `topic` (the
        /// contact does not receive its topic) or `importantOnly` (the step is not marked important); empty for
        /// a branch rule (as `nextStep.gates`, a list).
        gates: Vec<crate::policy::Gate>,
    },
    /// What nurture asks for now: the next step and whether it may go out, or why there is none.
    NextStep {
        /// Due, deferred, denied, or why there is no step.
        outcome: NurtureOutcome,
        /// The sequence of the next step, if there is one; with `stopped`, the sequence whose stop (the latest)
        /// left no step.
        sequence: Option<String>,
        /// The next step, if there is one.
        step: Option<String>,
    },
    /// Why the decision has no call to action (`cta: null`) when the playbook lists candidates; a chosen one
    /// carries its own reasons (`because`, `skipped`).
    NoCta {
        /// Erased, or none eligible without a default.
        why: crate::cta::NoCtaWhy,
        /// With `none_eligible`: every candidate, in priority order, and why it was passed over.
        skipped: Vec<crate::cta::Skipped>,
    },
}

/// The nurture outcome of a decision (`nextStep` reason).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NurtureOutcome {
    /// A step is due and the send policy allows it at its due time.
    Due,
    /// A step is due; the send policy defers it (quiet hours, caps, pause).
    Deferred,
    /// A step is due; the send policy denies it (unsubscribed, no consent, sales conversation …).
    Denied,
    /// No sequence's start condition has held.
    NotEnrolled,
    /// Every run ended, at least one by a stop.
    Stopped,
    /// Every run completed.
    Completed,
}

/// Where reasons go: a decision collects them; the fold's stage checks discard them without building them.
pub(crate) struct Sink<'a>(Option<&'a mut alloc::vec::Vec<Reason>>);

impl<'a> Sink<'a> {
    /// Collect into `out`.
    pub(crate) fn to(out: &'a mut alloc::vec::Vec<Reason>) -> Sink<'a> {
        Sink(Some(out))
    }

    /// Discard (the closure passed to `push` is never called).
    pub(crate) fn discard() -> Sink<'static> {
        Sink(None)
    }

    /// Whether reasons are collected (a value with its reasons cannot come from a memo).
    pub(crate) fn collects(&self) -> bool {
        self.0.is_some()
    }

    pub(crate) fn push(&mut self, reason: impl FnOnce() -> Reason) {
        if let Some(out) = self.0.as_deref_mut() {
            out.push(reason());
        }
    }
}
