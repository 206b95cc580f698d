//! The re-engagement lifecycle (D1–D2, D6–D9, D11, DESIGN §7): active → cooling → cold → soft reactivation →
//! break-up → archived, or erased.
//!
//! Every state but archived and erased is a pure function of the last real engagement and the playbook's
//! durations, evaluated at `now`, so nothing has to run on a schedule: the decision also says when the next
//! transition happens. The fold only records facts (last engagement, ghost-open run, campaign entry, archive,
//! erasure); archiving is *materialised* by the first event that arrives after it, because an archived contact
//! comes back only through an explicit opt-in (form, resubscribe, purchase, reply), never through a visit.

use alloc::format;
use alloc::vec::Vec;

use serde::Serialize;

use crate::error::ProblemCode;
use crate::event::{Event, EventKind};
use crate::playbook::compiled::{compiled_enum, compiled_struct};
use crate::playbook::reader::{index, Reader};
use crate::playbook::signal::Declared;
use crate::time::{quote, Span, Timestamp};
use crate::value::Value;

/// Where a contact is in the re-engagement lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Engaged within `cooling_after`.
    Active,
    /// No engagement for `cooling_after` (D1: ~3 months).
    Cooling,
    /// No engagement for `cold_after` (D1: ~6 months); waits for a campaign when entry is manual.
    Cold,
    /// Value messages and the "still looking for X?" question (D6).
    SoftReactivation,
    /// The "we will remove you unless you click" message and its deadline (D8).
    BreakUp,
    /// No more campaigns (D9, D11); returns only through an explicit opt-in.
    Archived,
    /// Personal data removed; terminal for everything (D9).
    Erased,
}

compiled_enum!(Phase {
    0 => Active,
    1 => Cooling,
    2 => Cold,
    3 => SoftReactivation,
    4 => BreakUp,
    5 => Archived,
    6 => Erased,
});

/// How cold contacts enter soft reactivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// At once, when they turn cold.
    OnCold,
    /// When a campaign picks them (a `reactivation_started` event), for quarterly batches (D11).
    Manual,
}

compiled_enum!(Entry { 0 => OnCold, 1 => Manual });

/// What erases a contact besides an explicit erasure request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EraseOn {
    /// A bounce of type `spam_trap`.
    SpamTrap,
    /// A hard bounce.
    HardBounce,
    /// A spam complaint.
    SpamComplaint,
}

compiled_enum!(EraseOn { 0 => SpamTrap, 1 => HardBounce, 2 => SpamComplaint });

/// The `lifecycle` section, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct LifecycleRules {
    pub(crate) cooling_after: Span,
    pub(crate) cold_after: Span,
    pub(crate) entry: Entry,
    pub(crate) soft_for: Span,
    pub(crate) breakup_deadline: Span,
    pub(crate) ghost_min_opens: u32,
    pub(crate) ghost_no_click_for: Span,
    pub(crate) erase_on: Vec<EraseOn>,
    /// Signals that show intent: only contacts who did one get the "still looking for X?" message (D6).
    pub(crate) intent_signals: Vec<usize>,
    /// `custom:<name>` signals that count as engagement too. DESIGN §7 lists only built-in kinds, but a daily
    /// product login or an updated cart is a contact using what they signed up for: without this a product
    /// user would drift into cooling, reactivation and break-up. Indices into the playbook's signals.
    pub(crate) engagement_signals: Vec<usize>,
}

compiled_struct!(LifecycleRules {
    cooling_after,
    cold_after,
    entry,
    soft_for,
    breakup_deadline,
    ghost_min_opens,
    ghost_no_click_for,
    erase_on,
    intent_signals,
    engagement_signals,
});

impl Default for LifecycleRules {
    /// DESIGN §7 defaults: 90 d / 180 d, entry on cold, 14 d soft reactivation, 72 h break-up, ghost after 5
    /// opens without a click for 90 d.
    fn default() -> Self {
        LifecycleRules {
            cooling_after: Span::days(90),
            cold_after: Span::days(180),
            entry: Entry::OnCold,
            soft_for: Span::days(14),
            breakup_deadline: Span::hours(72),
            ghost_min_opens: 5,
            ghost_no_click_for: Span::days(90),
            erase_on: Vec::new(),
            intent_signals: Vec::new(),
            engagement_signals: Vec::new(),
        }
    }
}

/// The lifecycle facts folded from events.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Activity {
    /// The last real engagement (DESIGN §7), or `None`.
    pub last_engagement: Option<Timestamp>,
    /// Person opens since the last click or reply.
    pub opens_since_click: u32,
    /// The first of those opens.
    pub first_open_since_click: Option<Timestamp>,
    /// The last click or reply.
    pub last_click: Option<Timestamp>,
    /// When a campaign put the contact into soft reactivation (manual entry).
    pub reactivation_started: Option<Timestamp>,
    /// The last return from cooling / cold / reactivation / break-up / archive to active (D7).
    pub reactivated: Option<Timestamp>,
    /// When the reactivation campaign the contact last came back from began (its soft reactivation's start),
    /// kept after the return so campaign KPIs (D12) still count the contact; `None` if no return was from one.
    pub campaign_started: Option<Timestamp>,
    /// When the contact was archived, once an event after the archive instant made it a fact.
    pub archived: Option<Timestamp>,
    /// When the contact was erased.
    pub erased: Option<Timestamp>,
    /// Whether the contact ever showed intent (one of `intent_signals`).
    pub showed_intent: bool,
}

/// The lifecycle at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LifecycleStatus {
    /// The phase.
    pub state: Phase,
    /// When the phase began (`None` for a contact nothing is known about).
    pub since: Option<Timestamp>,
    /// When the phase ends on its own, if nothing happens.
    pub next_transition_at: Option<Timestamp>,
    /// The last return to active from a colder phase (D7: a sales signal).
    pub reactivated_at: Option<Timestamp>,
    /// Opens without clicks for long enough: opens no longer count as engagement (D2).
    pub ghost: bool,
    /// The contact once showed intent, so the "still looking for X?" message fits (D6).
    pub showed_intent: bool,
}

fn is_engagement_kind(kind: &EventKind) -> bool {
    match kind {
        EventKind::PageView
        | EventKind::FormSubmit
        | EventKind::CtaClick
        | EventKind::EmailClick
        | EventKind::EmailReply
        | EventKind::Purchase
        | EventKind::WebinarRegistered
        | EventKind::WebinarAttended
        | EventKind::Subscribe
        | EventKind::Preferences
        | EventKind::SmsReply
        | EventKind::EmailOpen => true,
        EventKind::EmailSent
        | EventKind::SmsSent
        | EventKind::EmailBounce
        | EventKind::SpamComplaint
        | EventKind::Unsubscribe
        | EventKind::Profile
        | EventKind::Consent
        | EventKind::ErasureRequest
        | EventKind::ReactivationStarted
        | EventKind::SalesStatus
        // The visit's page_view already counted; leaving the page is not a second engagement.
        | EventKind::PageLeave
        // Only through the playbook's `engagement_signals` (see `on_event`).
        | EventKind::Custom(_) => false,
    }
}

/// DESIGN §7: only these bring an archived contact back.
fn is_explicit_opt_in(kind: &EventKind) -> bool {
    matches!(kind, EventKind::FormSubmit | EventKind::Subscribe | EventKind::Purchase | EventKind::EmailReply)
}

impl LifecycleRules {
    /// Whether the contact is a ghost opener at `t` (the decision's `lifecycle.ghost`, a `ghost` condition).
    pub(crate) fn ghost_at(&self, a: &Activity, t: Timestamp) -> bool {
        self.ghost_from(a).is_some_and(|g| t >= g)
    }

    /// The instant `ghost` turns true with time alone (past or future): `no_click_for` after the last click
    /// (or the first open since), once enough opens were seen; `None` while too few. A decision's `validUntil`
    /// needs it, since the flag changes with no event.
    pub(crate) fn ghost_from(&self, a: &Activity) -> Option<Timestamp> {
        let anchor = a.last_click.or(a.first_open_since_click)?;
        (a.opens_since_click >= self.ghost_min_opens).then(|| anchor.plus(self.ghost_no_click_for))
    }

    /// Whether an event erases the contact: an erasure request, or a kind `erase_on` names.
    pub(crate) fn erases(&self, e: &Event) -> bool {
        let bounce = e.prop_str("type").unwrap_or("hard");
        match e.kind {
            EventKind::ErasureRequest => true,
            EventKind::EmailBounce if bounce == "spam_trap" => self.erase_on.contains(&EraseOn::SpamTrap),
            EventKind::EmailBounce if bounce == "hard" => self.erase_on.contains(&EraseOn::HardBounce),
            EventKind::SpamComplaint => self.erase_on.contains(&EraseOn::SpamComplaint),
            _ => false,
        }
    }

    /// Folds one event; `signals_matched` are the indices of the playbook signals it matched, `first_seen` the
    /// contact's first event (the anchor for contacts who never engaged).
    pub(crate) fn on_event(
        &self,
        a: &mut Activity,
        e: &Event,
        signals_matched: &[usize],
        first_seen: Option<Timestamp>,
    ) {
        if a.erased.is_some() {
            return;
        }
        if self.erases(e) {
            a.erased = Some(e.at);
            return;
        }
        if signals_matched.iter().any(|s| self.intent_signals.contains(s)) {
            a.showed_intent = true;
        }
        let before = self.status_from(a, a.last_engagement.or(first_seen), e.at);
        if before.state == Phase::Archived && a.archived.is_none() {
            a.archived = before.since;
        }
        if e.kind == EventKind::ReactivationStarted {
            if before.state == Phase::Cold && self.entry == Entry::Manual {
                a.reactivation_started = Some(e.at);
            }
            return;
        }
        let person = !e.machine;
        let engaged = match e.kind {
            EventKind::EmailOpen => person && !self.ghost_at(a, e.at),
            EventKind::EmailClick | EventKind::EmailReply | EventKind::SmsReply => person,
            EventKind::Custom(_) => person && signals_matched.iter().any(|s| self.engagement_signals.contains(s)),
            ref k => is_engagement_kind(k) && person,
        };
        // Ghost tracking (D2): person opens without a click or reply.
        match e.kind {
            EventKind::EmailOpen if person => {
                a.opens_since_click = a.opens_since_click.saturating_add(1);
                a.first_open_since_click = Some(a.first_open_since_click.map_or(e.at, |f| f.min(e.at)));
            }
            EventKind::EmailClick | EventKind::EmailReply if person => {
                // A click delivered late, older than every open of the run, ends none of it: they came after it.
                if a.first_open_since_click.is_none_or(|f| e.at >= f) {
                    a.opens_since_click = 0;
                    a.first_open_since_click = None;
                }
                a.last_click = Some(a.last_click.map_or(e.at, |c| c.max(e.at)));
            }
            _ => {}
        }
        if !engaged {
            return;
        }
        if before.state == Phase::Archived && !is_explicit_opt_in(&e.kind) {
            return;
        }
        if matches!(
            before.state,
            Phase::Cooling | Phase::Cold | Phase::SoftReactivation | Phase::BreakUp | Phase::Archived
        ) {
            if let Some(start) = self.campaign_start(&before) {
                a.campaign_started = Some(start);
            }
            a.reactivated = Some(e.at);
            a.archived = None;
            a.reactivation_started = None;
        }
        a.last_engagement = Some(a.last_engagement.map_or(e.at, |l| l.max(e.at)));
    }

    /// When the campaign a status is part of began: soft reactivation's start, also for break-up and for an
    /// archive the campaign ended in; `None` outside a campaign.
    pub(crate) fn campaign_start(&self, status: &LifecycleStatus) -> Option<Timestamp> {
        let back = |t: Timestamp, spans: &[Span]| Timestamp::from_ms(spans.iter().fold(t.ms(), |m, s| m - s.ms()));
        match status.state {
            Phase::SoftReactivation => status.since,
            Phase::BreakUp => status.since.and_then(|b| back(b, &[self.soft_for])),
            Phase::Archived => status.since.and_then(|a| back(a, &[self.breakup_deadline, self.soft_for])),
            Phase::Active | Phase::Cooling | Phase::Cold | Phase::Erased => None,
        }
    }

    /// The lifecycle at `t`, anchored at the last engagement or, for contacts who never engaged, `anchor`
    /// (the state passes its first event: an imported list starts cooling from its import).
    pub(crate) fn status_from(&self, a: &Activity, anchor: Option<Timestamp>, t: Timestamp) -> LifecycleStatus {
        let status = |state, since, next| LifecycleStatus {
            state,
            since,
            next_transition_at: next,
            reactivated_at: a.reactivated,
            ghost: self.ghost_at(a, t),
            showed_intent: a.showed_intent,
        };
        if let Some(at) = a.erased.filter(|at| *at <= t) {
            return status(Phase::Erased, Some(at), None);
        }
        if let Some(at) = a.archived.filter(|at| *at <= t) {
            return status(Phase::Archived, Some(at), None);
        }
        let Some(anchor) = anchor else {
            return status(Phase::Active, None, None);
        };
        let cooling = anchor.plus(self.cooling_after);
        let cold = anchor.plus(self.cold_after);
        if t < cooling {
            return status(Phase::Active, Some(anchor), Some(cooling));
        }
        if t < cold {
            return status(Phase::Cooling, Some(cooling), Some(cold));
        }
        let start = match self.entry {
            Entry::OnCold => Some(cold),
            Entry::Manual => a.reactivation_started.filter(|s| *s >= cold),
        };
        let Some(start) = start.filter(|s| *s <= t) else {
            return status(Phase::Cold, Some(cold), start);
        };
        let breakup = start.plus(self.soft_for);
        let archive = breakup.plus(self.breakup_deadline);
        if t < breakup {
            status(Phase::SoftReactivation, Some(start), Some(breakup))
        } else if t < archive {
            status(Phase::BreakUp, Some(breakup), Some(archive))
        } else {
            status(Phase::Archived, Some(archive), None)
        }
    }
}

/// What a batch tool needs of the lifecycle rules to run the campaign around the engine: the engine itself reads
/// the fields.
impl crate::Playbook {
    /// How cold contacts enter soft reactivation (`lifecycle.reactivation_entry`): with [`Entry::Manual`] a
    /// campaign tool starts the campaign with a `reactivation_started` event (the CLI's `--start-reactivation`);
    /// with [`Entry::OnCold`] there is nothing to start.
    pub fn reactivation_entry(&self) -> Entry {
        self.lifecycle.entry
    }

    /// How long soft reactivation and break-up last (`soft_reactivation_for`, `breakup_deadline`): a tool that
    /// runs on a schedule must run within the break-up window for the break-up message (D8) to go out.
    pub fn reactivation_windows(&self) -> (Span, Span) {
        (self.lifecycle.soft_for, self.lifecycle.breakup_deadline)
    }
}

/// Parses the `lifecycle` section (every key optional; DESIGN §7 defaults).
pub(crate) fn parse_lifecycle(r: &mut Reader, v: &Value, signals: &Declared) -> LifecycleRules {
    let mut rules = LifecycleRules::default();
    let keys = [
        "sales_cycle",
        "cooling_after",
        "cold_after",
        "reactivation_entry",
        "soft_reactivation_for",
        "breakup_deadline",
        "ghost",
        "erase_on",
        "intent_signals",
        "engagement_signals",
    ];
    let Some(o) = r.object(v, "lifecycle", &keys) else { return rules };
    // `sales_cycle` scales the defaults: cooling after one cycle, cold after two (90 d → 90 d / 180 d).
    if let Some(cycle) = o.get("sales_cycle").and_then(|c| r.span(c, &o.at("sales_cycle"))) {
        rules.cooling_after = cycle;
        rules.cold_after = Span::from_ms(cycle.ms().saturating_mul(2)).unwrap_or(cycle);
    }
    let mut span = |key: &str, slot: &mut Span| {
        if let Some(s) = o.get(key).and_then(|v| r.span(v, &o.at(key))) {
            *slot = s;
        }
    };
    span("cooling_after", &mut rules.cooling_after);
    span("cold_after", &mut rules.cold_after);
    span("soft_reactivation_for", &mut rules.soft_for);
    span("breakup_deadline", &mut rules.breakup_deadline);
    if rules.cold_after <= rules.cooling_after {
        // Name where each value came from: one of them may be sales_cycle's default, not a key the author wrote.
        let origin = |key: &str, derived: &str| match (o.get(key), o.get("sales_cycle")) {
            (Some(_), _) => alloc::string::String::new(),
            (None, Some(_)) => format!(", {derived} from sales_cycle"),
            (None, None) => alloc::string::String::from(", the default"),
        };
        let (cold, cooling) = (origin("cold_after", "twice"), origin("cooling_after", "one"));
        r.problem(
            o.at("cold_after"),
            ProblemCode::ThresholdOrder,
            format!(
                "cold_after ({}{cold}) must be longer than cooling_after ({}{cooling})",
                rules.cold_after, rules.cooling_after
            ),
        );
    }
    if let Some(e) = o.get("reactivation_entry").and_then(|e| r.string(e, &o.at("reactivation_entry"))) {
        match e {
            "on_cold" => rules.entry = Entry::OnCold,
            "manual" => rules.entry = Entry::Manual,
            other => r.problem(
                o.at("reactivation_entry"),
                ProblemCode::OutOfRange,
                format!("expected on_cold or manual, got \"{}\"", quote(other)),
            ),
        }
    }
    if let Some(g) = o.get("ghost").and_then(|g| r.object(g, &o.at("ghost"), &["min_opens", "no_click_for"])) {
        if let Some(n) = g.get("min_opens").and_then(|n| r.count(n, &g.at("min_opens"), 1)) {
            rules.ghost_min_opens = n;
        }
        if let Some(s) = g.get("no_click_for").and_then(|s| r.span(s, &g.at("no_click_for"))) {
            rules.ghost_no_click_for = s;
        }
    }
    if let Some(list) = o.get("erase_on").and_then(|l| r.array(l, &o.at("erase_on"))) {
        for (i, item) in list.iter().enumerate() {
            let at = index(&o.at("erase_on"), i);
            match r.string(item, &at) {
                Some("spam_trap") => rules.erase_on.push(EraseOn::SpamTrap),
                Some("hard_bounce") => rules.erase_on.push(EraseOn::HardBounce),
                Some("spam_complaint") => rules.erase_on.push(EraseOn::SpamComplaint),
                Some(other) => r.problem(
                    at,
                    ProblemCode::OutOfRange,
                    format!("expected spam_trap, hard_bounce or spam_complaint, got \"{}\"", quote(other)),
                ),
                None => {}
            }
        }
    }
    if let Some(list) = o.get("intent_signals").and_then(|l| r.array(l, &o.at("intent_signals"))) {
        for (i, item) in list.iter().enumerate() {
            let at = index(&o.at("intent_signals"), i);
            if let Some(found) = r.string(item, &at).and_then(|name| signals.resolve(r, name, &at)) {
                rules.intent_signals.push(found);
            }
        }
    }
    if let Some(list) = o.get("engagement_signals").and_then(|l| r.array(l, &o.at("engagement_signals"))) {
        for (i, item) in list.iter().enumerate() {
            let at = index(&o.at("engagement_signals"), i);
            let Some(name) = r.string(item, &at) else { continue };
            let Some(found) = signals.resolve(r, name, &at) else { continue };
            let kind = signals.signals.get(found).map(|s| &s.kind);
            if rules.engagement_signals.contains(&found) {
                r.problem(at, ProblemCode::DuplicateId, format!("\"{}\" is listed twice", quote(name)));
            } else if let Some(kind) = kind.filter(|k| !matches!(k, EventKind::Custom(_))) {
                // A built-in kind counts or not as DESIGN §7 settles; listing one would only blur that rule.
                r.problem(
                    at,
                    ProblemCode::OutOfRange,
                    format!("\"{}\" is a {kind} signal; list only custom:<name> signals here", quote(name)),
                );
            } else {
                rules.engagement_signals.push(found);
            }
        }
    }
    rules
}

/// Names of the phases, for messages and condition parsing.
pub(crate) fn parse_phase(name: &str) -> Option<Phase> {
    Some(match name {
        "active" => Phase::Active,
        "cooling" => Phase::Cooling,
        "cold" => Phase::Cold,
        "soft_reactivation" => Phase::SoftReactivation,
        "break_up" => Phase::BreakUp,
        "archived" => Phase::Archived,
        "erased" => Phase::Erased,
        _ => return None,
    })
}

/// For error messages.
pub(crate) const PHASE_NAMES: &str = "active, cooling, cold, soft_reactivation, break_up, archived, erased";

#[cfg(test)]
mod tests;
