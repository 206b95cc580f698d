//! Starting the manual re-engagement campaign (`--start-reactivation`, design §7, D11) and watching the break-up
//! window between runs (D8).
//!
//! With `lifecycle.reactivation_entry: manual` a cold contact waits in cold until "a campaign picks it" — core
//! enters soft reactivation on a `reactivation_started` event, which no ESP export carries. This is that
//! campaign: at `--now` it picks every contact core says is cold whose email the send policy does not deny, and
//! folds a `reactivation_started` at `--now` into its state (kept in `state.csv`, so the next `--previous` run
//! continues the campaign). Everyone else is counted under why not.
//!
//! Core moves the phases after cold on time alone: soft reactivation for `soft_reactivation_for`, then break-up
//! for `breakup_deadline`, then archived. A batch run sees a contact only at its `--now`, so a contact whose whole
//! break-up window lay between two runs was archived without any plan listing it in `break_up.csv` — it never got
//! the break-up message. Core's timing is the spec for every runtime (the Worker and the browser, which see
//! events as they come, have no such gap), so the CLI does not change it: it finds those contacts
//! ([`Unseen`]), lists them and says loudly how often to run.

use std::collections::BTreeMap;

use rekindle_core::lifecycle::{Entry, Phase};
use rekindle_core::policy::{Gate, SendVerdict};
use rekindle_core::{snapshot, ContactState, Event, EventKind, Playbook, Timestamp};

use crate::error::CliError;

/// What `--start-reactivation` did with one contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Cold, may be emailed: a `reactivation_started` at `--now` was folded.
    Picked,
    /// Not picked, for this reason (a stable name: the summary's key).
    Skipped(&'static str),
}

/// `--start-reactivation` for one run: refused for a playbook whose contacts enter on their own.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    now: Timestamp,
}

impl Start {
    /// The campaign at `now`, when the playbook waits for one (`reactivation_entry: manual`).
    pub fn new(playbook: &Playbook, now: Timestamp) -> Result<Start, CliError> {
        match playbook.reactivation_entry() {
            Entry::Manual => Ok(Start { now }),
            Entry::OnCold => Err(CliError::Usage(
                "--start-reactivation starts a manual campaign, but the playbook's lifecycle.reactivation_entry is \
                 on_cold: cold contacts enter soft reactivation on their own, there is nothing to start; drop the \
                 flag (or set reactivation_entry to manual)"
                    .into(),
            )),
        }
    }

    /// Picks `state`'s contact if it is cold at `--now` and its email is not denied, folding the
    /// `reactivation_started` into `state`.
    pub fn pick(&self, playbook: &Playbook, state: &mut ContactState) -> Pick {
        let now = self.now;
        match state.lifecycle_at(playbook, now).state {
            Phase::Active | Phase::Cooling => return Pick::Skipped("not_cold"),
            Phase::SoftReactivation | Phase::BreakUp => return Pick::Skipped("already_started"),
            Phase::Archived => return Pick::Skipped("archived"),
            Phase::Erased => return Pick::Skipped("erased"),
            Phase::Cold => {}
        }
        if let SendVerdict::Deny { reasons } = &snapshot(playbook, state, now).send.email {
            return Pick::Skipped(denied(reasons));
        }
        let started = Event {
            at: now,
            kind: EventKind::ReactivationStarted,
            id: String::new(),
            contact: String::new(),
            machine: false,
            props: Default::default(),
        };
        state.fold(playbook, &[started]);
        match state.lifecycle_at(playbook, now).state {
            Phase::SoftReactivation => Pick::Picked,
            // Core did not take it (cannot happen for a cold contact under manual entry); say so, never guess.
            _ => Pick::Skipped("not_entered"),
        }
    }
}

/// The summary's name for why a cold contact may not be emailed: the first gate that denies.
fn denied(gates: &[Gate]) -> &'static str {
    match gates.first() {
        Some(Gate::DoNotContact { .. }) => "suppressed",
        Some(Gate::NoConsent { .. }) => "no_consent",
        Some(Gate::SalesConversation { .. }) => "sales_conversation",
        Some(Gate::ImportantOnly) => "important_only",
        _ => "email_denied",
    }
}

/// What the summary and `manifest.json` say about the campaign started this run.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Started {
    /// Contacts the campaign picked (a `reactivation_started` at `--now`).
    pub picked: u64,
    /// Contacts not picked, by reason: `not_cold`, `already_started` (in soft reactivation or break-up),
    /// `archived`, `erased`, `suppressed`, `no_consent`, `sales_conversation`, `important_only`, `email_denied`.
    pub not_picked: BTreeMap<String, u64>,
    /// When the picked contacts enter break-up (epoch ms): the break-up message goes out in a run between this
    /// and `breakUpUntil`.
    pub break_up_from: Option<i64>,
    /// When they are archived if nothing happens (epoch ms).
    pub break_up_until: Option<i64>,
}

impl Started {
    /// Tallies the picks; `windows` are the playbook's soft reactivation and break-up lengths.
    pub fn of(
        picks: impl Iterator<Item = Pick>,
        now: Timestamp,
        windows: (rekindle_core::Span, rekindle_core::Span),
    ) -> Started {
        let mut out = Started::default();
        for pick in picks {
            match pick {
                Pick::Picked => out.picked += 1,
                Pick::Skipped(why) => *out.not_picked.entry(why.to_string()).or_insert(0) += 1,
            }
        }
        if out.picked > 0 {
            let from = now.plus(windows.0);
            out.break_up_from = Some(from.ms());
            out.break_up_until = Some(from.plus(windows.1).ms());
        }
        out
    }
}

/// Contacts archived between the previous plan and this one whose break-up window lay wholly between them: no
/// plan listed them in `break_up.csv` (D8: the break-up message was never sent).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unseen {
    /// How many.
    pub contacts: u64,
    /// Of them, those listed in `audiences/break_up_unseen.csv` (core's send policy would mail them but for the
    /// archive: `Planned::break_up_unseen_listed`).
    pub listed: u64,
    /// The previous plan's `--now` (epoch ms).
    pub previous_now: i64,
    /// The playbook's break-up length (ms): a run at least this often during a campaign lists every contact in
    /// break-up once.
    pub breakup_deadline_ms: i64,
}

/// When contact's break-up began, if it was archived after `previous` having entered break-up after `previous`
/// too: core's own answer, asked just before the archive instant.
pub fn unseen_break_up(
    playbook: &Playbook,
    state: &ContactState,
    now: Timestamp,
    previous: Timestamp,
) -> Option<Timestamp> {
    let archived = state.lifecycle_at(playbook, now);
    let at = archived.since.filter(|at| archived.state == Phase::Archived && *at > previous && *at <= now)?;
    let before = state.lifecycle_at(playbook, Timestamp::from_ms(at.ms() - 1)?);
    before.since.filter(|from| before.state == Phase::BreakUp && *from > previous)
}
