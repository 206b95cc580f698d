//! What the plan keeps of each contact's decision: the compact row every output is written from. A full
//! `Decision` (reasons, gates, funnel) is dropped as soon as its row is taken, so memory stays per contact small:
//! ids that come from the playbook (sequences, steps, calls to action) are shared ([`Interner`]), the reasons are
//! one string ([`Reasons`]) and the segment list is exact-sized.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rekindle_core::handoff::Handoff;
use rekindle_core::lifecycle::{LifecycleStatus, Phase};
use rekindle_core::nurture::StepChannel;
use rekindle_core::policy::{Gate, SendVerdict};
use rekindle_core::state::view::ConsentView;
use rekindle_core::time::short_number;
use rekindle_core::{snapshot, ContactState, Playbook, Readiness, Reason, Scores, Stage, Timestamp};

use super::engagement::Engagement;
use super::history::{History, Revenue};

/// The next nurture step, without its content and gates.
#[derive(Debug, Clone)]
pub struct StepRow {
    /// Sequence id.
    pub sequence: Arc<str>,
    /// Step id.
    pub step: Arc<str>,
    /// Channel (`call` / `linkedin`: a sales task).
    pub channel: StepChannel,
    /// When it is due.
    pub due_at: Timestamp,
    /// When the send policy lets it go out (`None`: denied).
    pub send_at: Option<Timestamp>,
}

/// May we email the contact now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailVerdict {
    /// Yes.
    Allow,
    /// Later, at this instant (quiet hours, caps).
    Defer(Timestamp),
    /// No (do-not-contact, no consent, …).
    Deny,
}

/// One contact's plan.
#[derive(Debug, Clone)]
pub struct Planned {
    /// The re-engagement lifecycle (D6–D9).
    pub lifecycle: LifecycleStatus,
    /// Stage.
    pub stage: Stage,
    /// Readiness.
    pub readiness: Readiness,
    /// Scores at `--now`.
    pub scores: Scores,
    /// Indices (playbook order) of the segments the contact is a member of.
    pub segments: Box<[u16]>,
    /// The next nurture step.
    pub next_step: Option<StepRow>,
    /// The chosen call to action.
    pub cta: Option<Arc<str>>,
    /// The largest score contributions and the nurture outcome, rendered short.
    pub reasons: Reasons,
    /// The email verdict.
    pub email: EmailVerdict,
    /// Core's email verdict denies only because the contact is archived (`Archived` is its one gate): without
    /// the archive it would allow or defer. What `audiences/break_up_unseen.csv` may list (D8).
    pub email_denied_by_archive_alone: bool,
    /// The sales handoff packet (SQLs, D19).
    pub handoff: Option<Box<Handoff>>,
    /// Consent proof for archived contacts (D9): purposes with their times.
    pub consents: Box<[ConsentView]>,
    /// The earliest instant known about the contact.
    pub first_seen: Option<Timestamp>,
    /// In the retargeting audience (D10) at --now, as core's `ContactState::retargeting` decides: from break-up
    /// until `keep_for` (30d) after it ended without reaction, and never erased, unsubscribed, complaining,
    /// bounced, without ads consent or in an open deal (D22).
    pub retarget: bool,
    /// The decision's funnel: each stage reached up to `--now` with its instant, ascending (D26's funnel KPIs in
    /// the report; empty for most contacts, who never left lead, and then nothing is allocated).
    pub funnel: Box<[(Stage, Timestamp)]>,
    /// The latest instant the contact reached MQL or SQL (funnel), for the re-qualification KPI (D12).
    pub qualified_at: Option<Timestamp>,
    /// When the contact's latest reactivation campaign began, as core knows it (D12): current, or come back from.
    pub campaign_started: Option<Timestamp>,
    /// Opens, clicks, replies, sends and complaints for the report (set by the plan from its fold).
    pub engagement: Engagement,
    /// The phase at the report's monthly instants (set by the plan from its fold).
    pub history: History,
    /// Purchases within 90 days of a reactivation (set by the plan from its fold, D12).
    pub revenue: Revenue,
    /// The folded state in core's compact form, for `state.csv` (set by the plan; empty for an erased contact).
    pub state: Box<[u8]>,
    /// Do-not-contact per channel, for `suppressed.csv` (erased contacts keep theirs); `None` for most contacts.
    pub dnc: Option<Box<super::suppressed::Entries>>,
    /// What `--start-reactivation` did with the contact (set by the plan; `None` without the flag).
    pub pick: Option<super::campaign::Pick>,
    /// When the contact's break-up began, when it was archived since the `--previous` plan with its whole
    /// break-up between the two runs (set by the plan, `super::campaign::unseen_break_up`).
    pub unseen_break_up: Option<Timestamp>,
    /// The contacts file's `churn_reason_stated` cell this run read, for `state.csv` (set by the plan from its
    /// fold, `super::fold::Stated`); `None` for most contacts.
    pub stated_cell: Option<Box<str>>,
}

impl Planned {
    /// Decides one contact at `now` and keeps what the outputs need.
    pub fn of(playbook: &Playbook, state: &ContactState, now: Timestamp, ids: &Interner) -> Planned {
        // Decided once, at --now: nothing is rescheduled from the plan, so the look-ahead is skipped.
        let d = snapshot(playbook, state, now);
        let archived = d.lifecycle.state == Phase::Archived;
        let view = archived.then(|| state.view(playbook));
        let segments =
            d.members.iter().enumerate().filter(|(_, m)| **m).filter_map(|(i, _)| u16::try_from(i).ok()).collect();
        let retarget = state.retargetable(playbook, now);
        let email = match &d.send.email {
            SendVerdict::Allow => EmailVerdict::Allow,
            SendVerdict::Defer { until, .. } => EmailVerdict::Defer(*until),
            SendVerdict::Deny { .. } => EmailVerdict::Deny,
        };
        let archive_alone = |reasons: &[Gate]| matches!(reasons, [Gate::Archived { .. }]);
        let email_denied_by_archive_alone =
            matches!(&d.send.email, SendVerdict::Deny { reasons } if archive_alone(reasons));
        Planned {
            lifecycle: d.lifecycle,
            stage: d.stage,
            readiness: d.readiness,
            scores: d.scores,
            segments,
            next_step: d.next_step.as_ref().map(|s| StepRow {
                sequence: ids.get(&s.sequence),
                step: ids.get(&s.step),
                channel: s.channel,
                due_at: s.due_at,
                send_at: s.send_at,
            }),
            cta: d.cta.as_ref().map(|c| ids.get(&c.id)),
            reasons: short_reasons(&d.reasons),
            email,
            email_denied_by_archive_alone,
            handoff: d.handoff.map(Box::new),
            campaign_started: state.campaign_started_at(playbook, now),
            funnel: d.funnel.iter().map(|f| (f.stage, f.at)).collect(),
            qualified_at: d.funnel.iter().filter(|f| matches!(f.stage, Stage::Mql | Stage::Sql)).map(|f| f.at).max(),
            engagement: Engagement::default(),
            history: History::default(),
            revenue: Revenue::default(),
            state: Box::default(),
            dnc: super::suppressed::of_decision(&d.send),
            pick: None,
            unseen_break_up: None,
            stated_cell: None,
            retarget,
            first_seen: view.as_ref().and_then(|v| v.first_seen),
            consents: view.map(|v| v.consents.into_boxed_slice()).unwrap_or_default(),
        }
    }

    /// Erased (D9): no personal data may appear anywhere for this contact.
    pub fn erased(&self) -> bool {
        self.lifecycle.state == Phase::Erased
    }

    /// Listed in `audiences/break_up_unseen.csv` (D8): its break-up lay wholly between the `--previous` plan and
    /// this one, and core's send policy would mail it at `--now` (allow or defer) but for the archive that followed.
    /// A contact denied for any other reason (suppressed, no consent, erased, in a sales conversation, only
    /// important messages) is not.
    pub fn break_up_unseen_listed(&self) -> bool {
        self.unseen_break_up.is_some() && self.email_denied_by_archive_alone
    }

    /// Email suppressed (bounced, complained, unsubscribed, manual): never mailed, whatever the phase.
    pub fn email_suppressed(&self) -> bool {
        self.dnc.as_ref().is_some_and(|e| e.first().is_some_and(Option::is_some))
    }
}

/// One shared copy of each playbook id the rows name (decisions on every core ask at once).
#[derive(Default)]
pub struct Interner(Mutex<HashSet<Arc<str>>>);

impl Interner {
    /// The shared copy of `id`.
    pub fn get(&self, id: &str) -> Arc<str> {
        // A poisoned lock means a worker panicked, which aborts the run (panic = "abort"); the set is still whole.
        let mut set = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(shared) = set.get(id) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(id);
        set.insert(Arc::clone(&shared));
        shared
    }
}

/// A contact's short reasons in one allocation: the items joined by `\n`, which no item holds (they are built
/// from playbook ids — `a-z 0-9 _ - .` — numbers and outcome names). Written to JSON as an array of strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reasons(Box<str>);

impl Reasons {
    /// The items, in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split('\n').filter(|_| !self.0.is_empty())
    }

    /// The items joined with `sep` (`"; "` in CSV).
    pub fn join(&self, sep: &str) -> String {
        self.iter().collect::<Vec<_>>().join(sep)
    }
}

impl serde::Serialize for Reasons {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// Up to three largest score contributions (`fit:decision_maker +20`, `intent:pricing +12.5 (3×)`), then the
/// nurture outcome (`nurture:deferred post_sql/intro`), written straight into the one string [`Reasons`] keeps.
fn short_reasons(reasons: &[Reason]) -> Reasons {
    use std::fmt::Write;
    let mut scored: Vec<(f64, &Reason)> = reasons
        .iter()
        .filter_map(|r| match r {
            Reason::FitRule { points, .. } => Some((*points, r)),
            Reason::IntentRule { decayed_to, .. } => Some((*decayed_to, r)),
            _ => None,
        })
        .collect();
    scored.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs())); // stable: ties keep the documented reason order
    let mut out = String::with_capacity(96);
    // Writing to a String cannot fail.
    let item = |out: &mut String, args: std::fmt::Arguments<'_>| {
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = out.write_fmt(args);
    };
    for (_, r) in scored.into_iter().take(3) {
        match r {
            Reason::FitRule { id, points, .. } => item(&mut out, format_args!("fit:{id} {}", Signed(*points))),
            Reason::IntentRule { id, decayed_to, count, .. } => {
                item(&mut out, format_args!("intent:{id} {} ({count}×)", Signed(*decayed_to)))
            }
            _ => {}
        }
    }
    if let Some(Reason::NextStep { outcome, sequence, step }) =
        reasons.iter().find(|r| matches!(r, Reason::NextStep { .. }))
    {
        let outcome = crate::report::name(outcome);
        match (sequence, step) {
            (Some(q), Some(s)) => item(&mut out, format_args!("nurture:{outcome} {q}/{s}")),
            _ => item(&mut out, format_args!("nurture:{outcome}")),
        }
    }
    Reasons(out.into_boxed_str())
}

/// A contribution rounded to cents with its sign (`+20`, `-7.5`).
struct Signed(f64);

impl std::fmt::Display for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rounded = (self.0 * 100.0).round() / 100.0;
        if rounded >= 0.0 {
            f.write_str("+")?;
        }
        f.write_str(&short_number(rounded))
    }
}
