//! An oracle for what may hold or deny the next nurture step besides the time rules of `step_send_oracle`:
//! unsubscribes and subscribes per channel, bounces and complaints, an open deal (the deny, a pending close, a
//! run's `{ "deal": "open" }` stop), `monthly` / `weekly` / `important_only`, topics under `topics_opt_in`,
//! archiving and erasure (D9), call and LinkedIn tasks, and sends and restrictions stamped after `now`; written
//! from docs/playbook.md (§ policy, § sequences, § lifecycle) alone and compared with `decide`.
//!
//! **The playbook** (UTC, no quiet hours; a call still waits out the calling hours 21:00–08:00): caps email 2 per
//! 1 d and SMS 1 per 1 d; topics `tips`, `product`, opt-out or opt-in (`topics_opt_in`); short lifecycle phases
//! (archived 8 d after the last engagement) or long ones (40 d, so a `monthly` deferral can end before it).
//! Sequence `trial` (a trial form): `welcome` (email, tips, at once), `text` (SMS, 6 h after the previous step),
//! `call` (a call task, 1 d), `connect` (a LinkedIn task, 36 h), `news` (email, product, 2 d), `ending` (email,
//! important, 3 d). Sequence `demo` (a demo form; stop: `{ "deal": "open" }`): `first_call` (call, at once),
//! `recap` (email, tips, 2 h after it), `second_call` (call, 1 d). Each sequence's last step is always wanted, so
//! a run completes for want of wanted steps only when its last step was sent out of order.
//!
//! **The model** (the history fixed, read at an instant `t` at or after `now`):
//! - erased (an `erasure_request` up to `now`): no run, no next step; later events are ignored; `send.*` denied
//!   with `erased` and the do-not-contact entries kept (what else an erasure keeps is not said: not compared).
//! - runs: enrolment at the first start form; done steps: a send (a call or LinkedIn task: `custom:task_done`)
//!   naming the step, stamped at or after enrolment and before the run stopped; a run stops at the first instant
//!   from its enrolment (after that instant's events) at which `demo`'s deal is open, or every channel its
//!   remaining (not done) steps use is do-not-contact with no task remaining. The next step is the earliest-due
//!   first pending wanted step of the runs not stopped; a step is unwanted (skipped) by `important_only` (not
//!   marked important, not a task) or by its topic (a choice leaving it out; under `topics_opt_in`, no choice).
//! - do-not-contact per channel: email for good from the first hard or `spam_trap` bounce or complaint (reason
//!   `bounced` / `complained`); else an unsubscribe (`email` / `sms` / `all`; `reason: manual`: `manual`) not
//!   lifted by a later subscribe of the channel, since the first unsubscribe after the latest subscribe. A task
//!   is denied by do-not-contact on both channels as a wish (unsubscribed or manual: a bounce says nothing of
//!   wishes), since the later of the two.
//! - denials in the docs' order: `archived` (since the phase began: 8 d or 40 d after the last engagement — a
//!   start form, subscribe or preferences; only a form or a subscribe brings an archived contact back; from the
//!   first event for one who never engaged), then for a marketing step `doNotContact`, `noConsent` (SMS:
//!   `unknown` / `denied`), `salesConversation` (the latest reported status is `open`, since its instant); for a
//!   task its do-not-contact and a denied `call` / `linkedin` purpose. Holds of a marketing step: a pending grant
//!   or deal close (stamped after `t`), caps, the frequency (`weekly` 7 d, `monthly` 30 d over all channels); a
//!   call: the calling hours.
//! - restrictions stamped after `now` (an unsubscribe, an SMS denial, a deal opened) deny at once; lifts (a grant,
//!   a deal closed) take effect at their instant; a step's send stamped after `now` marks the step done and is
//!   counted by a window once within it.
//!
//! **Folded** in one or two chronological batches, shuffled within each, through the byte form between them; in a
//! quarter of the cases where no run stopped, the unsubscribes, bounces and complaints come last, in a batch of
//! their own (a suppression list synced late: the docs read them by their time, whichever arrives first).
//!
//! **Compared** at several `now`s per history: the next step (sequence, step, `dueAt`, `sendAt`), its gates
//! (kind, `until`, a `since`, a do-not-contact `reason`, a consent `status` and `purpose`, a cap's `path` and
//! `sent`, the frequency) in order, pending lifts apart; and that `validUntil` is not later than the first instant
//! the model's next step changes with no new event. The `stepSkipped` reasons: per run, the unwanted steps passed
//! over before its next step (a run with none left lists them until the last is due, then completes), with
//! `dueAt` and the gate that made each unwanted (`importantOnly`, or `topic` with `status` `opted_out` /
//! `not_opted_in`; either where both apply: the docs name one). Also `send.email` / `send.sms` at `now` (a
//! message of no topic, not important: `important_only` denies it, last): the verdict, `until`, and the gates as
//! above — deferred until the time rules allow, not re-checked there (§ policy: "every time rule"; `validUntil`
//! names an archiving).
//!
//! **Left out where the docs are silent or ambiguous**:
//! - whether an unwanted step still counts as remaining for an opt-out's stop: such a `now` is not compared when the
//!   two readings differ;
//! - whether a complaint (not a bounce, not an unsubscribe) is a wish that, with SMS opted out, denies a task:
//!   not compared;
//! - a run's `{ "deal": "open" }` stop with a status stamped after `now` (the condition reads the last-reported
//!   status whatever its stamp): not compared;
//! - the deferral's end is checked again for denials (§ sequences: "a deferral's end, re-checked"): a contact
//!   archived by then is denied, with `archived` since that instant (no instant allows the send);
//! - an opt-out stamped after `now` that stops a run stops it at once, at its own instant (as it denies at once);
//! - a step's send stamped after `now` (a clock ahead) that the state holds marks the step done at once (as an
//!   engagement or an intent point stamped ahead counts at once);
//! - whether a run that completed with a step unwanted (every other step done) reopens when the choice changes
//!   ("while the run is still going" says only that a going run takes the topic back): not compared (the engine
//!   reopens it);
//! - an event at the very instant the contact is archived, and a send stamped after `now` in a channel holding as
//!   many sends as the state keeps (docs § segments, `unsure`): not compared.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use proptest::prelude::*;
use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};
use serde_json::json;

mod support;
use support::shuffle;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
/// 2026-10-21 00:00 UTC.
const BASE: i64 = 1_792_540_800_000;
/// Archived this long after the last engagement: cooling 2 d, cold 4 d, then 2 d of soft reactivation and 2 d of
/// break-up; or, for the playbook with long phases (each five times as long, so that a `monthly` deferral can end
/// before the contact is archived), 40 d.
const ARCHIVE: [i64; 2] = [8 * DAY, 40 * DAY];

const PLAYBOOK: &str = r#"{
  "version": 1,
  "signals": {
    "trial": { "kind": "form_submit", "match": { "form": "trial" } },
    "demo": { "kind": "form_submit", "match": { "form": "demo" } }
  },
  "lifecycle": { "cooling_after": "2d", "cold_after": "4d", "soft_reactivation_for": "2d", "breakup_deadline": "2d" },
  "policy": {
    "caps": [ { "channel": "email", "max": 2, "per": "1d" }, { "channel": "sms", "max": 1, "per": "1d" } ],
    "topics": { "tips": "Tips", "product": "Product news" }, "topics_opt_in": OPT_IN
  },
  "sequences": {
    "trial": {
      "start": { "ever": "trial" },
      "steps": [
        { "id": "welcome", "channel": "email", "content": "t/welcome", "topic": "tips" },
        { "id": "text", "after": "6h", "from": "previous", "channel": "sms", "content": "t/text" },
        { "id": "call", "after": "1d", "channel": "call", "content": "t/call" },
        { "id": "connect", "after": "36h", "channel": "linkedin", "content": "t/connect" },
        { "id": "news", "after": "2d", "channel": "email", "content": "t/news", "topic": "product" },
        { "id": "ending", "after": "3d", "channel": "email", "content": "t/ending", "important": true } ] },
    "demo": {
      "start": { "ever": "demo" }, "stop": [ { "deal": "open" } ],
      "steps": [
        { "id": "first_call", "channel": "call", "content": "d/call" },
        { "id": "recap", "after": "2h", "from": "previous", "channel": "email", "content": "d/recap", "topic": "tips" },
        { "id": "second_call", "after": "1d", "channel": "call", "content": "d/call2" } ] }
  }
}"#;

fn playbook(opt_in: bool, long: bool) -> Playbook {
    let mut text = PLAYBOOK.replace("OPT_IN", if opt_in { "true" } else { "false" });
    if long {
        text = text.replace(
            r#""2d", "cold_after": "4d", "soft_reactivation_for": "2d", "breakup_deadline": "2d""#,
            r#""10d", "cold_after": "20d", "soft_reactivation_for": "10d", "breakup_deadline": "10d""#,
        );
    }
    let v: Value = serde_json::from_str(&text).unwrap();
    Playbook::parse(&v).unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ch {
    Email,
    Sms,
    Call,
    Linkedin,
}

impl Ch {
    fn task(self) -> bool {
        matches!(self, Ch::Call | Ch::Linkedin)
    }
}

struct MStep {
    id: &'static str,
    after: i64,
    previous: bool,
    ch: Ch,
    topic: Option<&'static str>,
    important: bool,
}

const fn st(id: &'static str, after: i64, previous: bool, ch: Ch, topic: Option<&'static str>, imp: bool) -> MStep {
    MStep { id, after, previous, ch, topic, important: imp }
}

const SEQS: [(&str, &[MStep]); 2] = [
    (
        "trial",
        &[
            st("welcome", 0, false, Ch::Email, Some("tips"), false),
            st("text", 6 * HOUR, true, Ch::Sms, None, false),
            st("call", DAY, false, Ch::Call, None, false),
            st("connect", 36 * HOUR, false, Ch::Linkedin, None, false),
            st("news", 2 * DAY, false, Ch::Email, Some("product"), false),
            st("ending", 3 * DAY, false, Ch::Email, None, true),
        ],
    ),
    (
        "demo",
        &[
            st("first_call", 0, false, Ch::Call, None, false),
            st("recap", 2 * HOUR, true, Ch::Email, Some("tips"), false),
            st("second_call", DAY, false, Ch::Call, None, false),
        ],
    ),
];

const DEALS: [&str; 4] = ["open", "won", "lost", "disqualified"];
const FREQS: [Option<&str>; 4] = [None, Some("weekly"), Some("monthly"), Some("important_only")];
const TOPICS: [Option<&str>; 5] = [None, Some(""), Some("tips"), Some("product"), Some("tips,product")];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Start(usize),
    /// An unsubscribe: channel (email, sms, all: 0, 1, 2), manual.
    Unsub(u8, bool),
    Sub(u8),
    /// An `email_bounce`: 0 hard, 1 soft, 2 spam_trap.
    Bounce(u8),
    Complaint,
    /// A `preferences` event: `frequency` (index of [`FREQS`]) and `topics` (of [`TOPICS`]), each named or not.
    Prefs(Option<usize>, Option<usize>),
    Deal(usize),
    /// A consent event: purpose (0 sms_marketing, 1 call, 2 linkedin), granted.
    Consent(u8, bool),
    Erasure,
    /// A marketing send of no step (email or SMS).
    Send(Ch),
    Step(usize, usize),
}

#[derive(Debug, Clone, Copy)]
struct Ev {
    at: i64,
    kind: Kind,
    /// The first `now` whose fold holds the event: its instant, or earlier for one stamped ahead of the clock.
    from: i64,
}

/// The history as folded at a `now`.
struct Hist {
    now: i64,
    ev: Vec<Ev>,
    opt_in: bool,
    archive: i64,
}

#[derive(Debug, Clone, PartialEq)]
struct GateM {
    gate: &'static str,
    until: Option<i64>,
    extra: serde_json::Value,
}

fn gate(gate: &'static str, until: Option<i64>, extra: serde_json::Value) -> GateM {
    GateM { gate, until, extra }
}

#[derive(Debug, Clone, PartialEq)]
struct Answer {
    si: usize,
    k: usize,
    due: i64,
    /// `None`: denied; `Some(None)`: now; `Some(Some(t))`: at `t`.
    send_at: Option<Option<i64>>,
    gates: Vec<GateM>,
}

/// Whether an unsubscribe or subscribe of `sel` names `ch`.
fn names(sel: u8, ch: Ch) -> bool {
    sel == 2 || (sel == 0 && ch == Ch::Email) || (sel == 1 && ch == Ch::Sms)
}

impl Hist {
    fn new(ev: &[Ev], now: i64, (opt_in, long): (bool, bool)) -> Hist {
        let mut ev: Vec<Ev> = ev.iter().copied().filter(|e| e.from <= now).collect();
        ev.sort_by_key(|e| e.at);
        // An erasure is terminal: later events are ignored (§ lifecycle).
        if let Some(i) = ev.iter().position(|e| e.kind == Kind::Erasure) {
            ev.truncate(i + 1);
        }
        Hist { now, ev, opt_in, archive: ARCHIVE[usize::from(long)] }
    }

    fn erased(&self) -> bool {
        self.ev.iter().any(|e| e.kind == Kind::Erasure)
    }

    /// The instant the contact was archived, if it is at `t`.
    fn archived(&self, t: i64) -> Option<i64> {
        let first = self.ev.first()?.at;
        let (mut last, mut archived) = (first, None);
        for e in self.ev.iter().filter(|e| e.at <= t) {
            if archived.is_none() && last + self.archive <= e.at {
                archived = Some(last + self.archive);
            }
            let opt_in = matches!(e.kind, Kind::Start(_) | Kind::Sub(_));
            let engages = opt_in || matches!(e.kind, Kind::Prefs(..));
            if engages && (archived.is_none() || opt_in) {
                archived = None;
                last = e.at;
            }
        }
        archived.or(Some(last + self.archive).filter(|a| *a <= t))
    }

    /// The do-not-contact entry of a marketing channel at `t`: (reason, since); `wish`: unsubscribes only.
    /// Unsubscribes deny whatever their stamp; subscribes are all up to `now`.
    fn dnc(&self, ch: Ch, wish: bool) -> Option<(&'static str, i64)> {
        if !wish && ch == Ch::Email {
            let hard = self.ev.iter().find(|e| matches!(e.kind, Kind::Bounce(0 | 2) | Kind::Complaint));
            if let Some(e) = hard {
                return Some((if e.kind == Kind::Complaint { "complained" } else { "bounced" }, e.at));
            }
        }
        let sub = self.ev.iter().filter(|e| matches!(e.kind, Kind::Sub(s) if names(s, ch))).map(|e| e.at).max();
        self.ev
            .iter()
            .filter(|e| matches!(e.kind, Kind::Unsub(s, _) if names(s, ch)) && sub.is_none_or(|s| e.at > s))
            .map(|e| (if matches!(e.kind, Kind::Unsub(_, true)) { "manual" } else { "unsubscribed" }, e.at))
            .next()
    }

    /// Do-not-contact in effect by `x` (for a run's stop: an opt-out stops at its own instant).
    fn dnc_by(&self, ch: Ch, x: i64) -> bool {
        let ev = self.ev.iter().copied().filter(|e| e.at <= x).collect();
        let h = Hist { now: x, ev, opt_in: self.opt_in, archive: self.archive };
        h.dnc(ch, false).is_some()
    }

    /// The latest `frequency` and `topics` choices at `t` (`None`: never named).
    fn prefs(&self, t: i64) -> (Option<usize>, Option<usize>) {
        let mut out = (None, None);
        for e in self.ev.iter().filter(|e| e.at <= t) {
            if let Kind::Prefs(f, tp) = e.kind {
                out = (f.or(out.0), tp.or(out.1));
            }
        }
        out
    }

    fn wants(&self, s: &MStep, t: i64) -> bool {
        if s.ch.task() {
            return true;
        }
        let (f, tp) = self.prefs(t);
        if f.and_then(|f| FREQS[f]) == Some("important_only") && !s.important {
            return false;
        }
        match (s.topic, tp.map(|i| TOPICS[i])) {
            (None, _) => true,
            (Some(_), None) => !self.opt_in,
            (Some(_), Some(None | Some(""))) => true,
            (Some(topic), Some(Some(list))) => list.split(',').any(|x| x == topic),
        }
    }

    /// The latest deal status reported, whatever its stamp: (status, at).
    fn deal(&self) -> Option<(&'static str, i64)> {
        self.ev
            .iter()
            .filter_map(|e| if let Kind::Deal(d) = e.kind { Some((DEALS[d], e.at)) } else { None })
            .next_back()
    }

    fn deal_at(&self, x: i64) -> Option<&'static str> {
        self.ev
            .iter()
            .filter(|e| e.at <= x)
            .filter_map(|e| if let Kind::Deal(d) = e.kind { Some(DEALS[d]) } else { None })
            .next_back()
    }

    fn counted(&self) -> impl Iterator<Item = (i64, Ch)> + '_ {
        self.ev.iter().filter_map(|e| match e.kind {
            Kind::Send(ch) => Some((e.at, ch)),
            Kind::Step(si, k) if !SEQS[si].1[k].ch.task() => Some((e.at, SEQS[si].1[k].ch)),
            _ => None,
        })
    }

    /// A run: its enrolment, and per step its send (if done), or `None` when it stopped by `t`.
    /// `unwanted_remain`: whether an unwanted step not done counts as remaining for an opt-out's stop.
    fn run(&self, si: usize, t: i64, unwanted_remain: bool) -> Option<(i64, Vec<Option<i64>>)> {
        let enrol = self.ev.iter().find(|e| e.kind == Kind::Start(si) && e.at <= t)?.at;
        let steps = SEQS[si].1;
        let mut checks: Vec<i64> = vec![enrol];
        // An opt-out stamped after `t` but held stops the run at once, at its own instant (as it denies at once).
        checks.extend(self.ev.iter().map(|e| e.at).filter(|x| *x > enrol));
        let mut done: Vec<Option<i64>> = vec![None; steps.len()];
        for x in checks {
            for (k, d) in done.iter_mut().enumerate() {
                if d.is_none() {
                    *d = self
                        .ev
                        .iter()
                        .find(|e| e.kind == Kind::Step(si, k) && e.at >= enrol && e.at <= x)
                        .map(|e| e.at);
                }
            }
            // A run whose steps are all done, or unwanted and due, has completed: no stop after it (at one
            // instant, completion first).
            let mut prev = enrol;
            let complete = steps.iter().zip(&done).all(|(s, d)| {
                let due = if s.previous { prev } else { enrol } + s.after;
                prev = d.unwrap_or(due);
                d.is_some() || (!self.wants(s, x) && due <= x)
            });
            if complete {
                break;
            }
            if si == 1 && self.deal_at(x) == Some("open") {
                return None;
            }
            let remaining: Vec<&MStep> = steps
                .iter()
                .zip(&done)
                .filter(|(s, d)| d.is_none() && (unwanted_remain || self.wants(s, x)))
                .map(|(s, _)| s)
                .collect();
            if !remaining.is_empty()
                && remaining.iter().all(|s| !s.ch.task())
                && remaining.iter().all(|s| self.dnc_by(s.ch, x))
            {
                return None;
            }
        }
        // Sends stamped after `t` but held (a clock ahead) mark their step done too.
        for (k, d) in done.iter_mut().enumerate() {
            if d.is_none() {
                *d = self.ev.iter().find(|e| e.kind == Kind::Step(si, k) && e.at >= enrol).map(|e| e.at);
            }
        }
        Some((enrol, done))
    }

    fn next(&self, t: i64, unwanted_remain: bool) -> Option<(usize, usize, i64)> {
        if self.erased() {
            return None;
        }
        let mut best: Option<(usize, usize, i64)> = None;
        for (si, (_, steps)) in SEQS.iter().enumerate() {
            let Some((enrol, done)) = self.run(si, t, unwanted_remain) else { continue };
            let mut prev = enrol;
            for (k, s) in steps.iter().enumerate() {
                let due = if s.previous { prev } else { enrol } + s.after;
                prev = done[k].unwrap_or(due);
                if done[k].is_some() || !self.wants(s, t) {
                    continue;
                }
                if best.is_none_or(|b| due < b.2) {
                    best = Some((si, k, due));
                }
                break;
            }
        }
        best
    }

    /// The gates that make `s` unwanted at `t` (empty: wanted): `importantOnly`, and its `topic` with `status`.
    fn unwanted_by(&self, s: &MStep, t: i64) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        if s.ch.task() {
            return out;
        }
        let (f, tp) = self.prefs(t);
        if f.and_then(|f| FREQS[f]) == Some("important_only") && !s.important {
            out.push(json!({ "gate": "importantOnly" }));
        }
        let status = match (s.topic, tp.map(|i| TOPICS[i])) {
            (Some(_), None) if self.opt_in => Some("not_opted_in"),
            (Some(topic), Some(Some(list))) if !list.is_empty() && !list.split(',').any(|x| x == topic) => {
                Some("opted_out")
            }
            _ => None,
        };
        if let (Some(topic), Some(status)) = (s.topic, status) {
            out.push(json!({ "gate": "topic", "topic": topic, "status": status }));
        }
        out
    }

    /// The `stepSkipped` reasons at `t`: per run not stopped (playbook order), the unwanted steps not done before
    /// its first pending wanted step, `(sequence, step, dueAt, the gates that apply)`; a run with none pending
    /// completes at the last one's due time (the docs give none; the engine's reading) and lists none from then.
    fn skipped(&self, t: i64) -> Vec<(usize, usize, i64, Vec<serde_json::Value>)> {
        let mut out = Vec::new();
        if self.erased() {
            return out;
        }
        for (si, (_, steps)) in SEQS.iter().enumerate() {
            let Some((enrol, done)) = self.run(si, t, true) else { continue };
            let (mut prev, mut passed) = (enrol, Vec::new());
            for (k, s) in steps.iter().enumerate() {
                let due = if s.previous { prev } else { enrol } + s.after;
                prev = done[k].unwrap_or(due);
                if done[k].is_some() {
                    continue;
                }
                let why = self.unwanted_by(s, t);
                if why.is_empty() {
                    out.append(&mut passed);
                    break;
                }
                passed.push((si, k, due, why));
            }
            // With none pending the run completes once the last of them is due: until then it lists them.
            if passed.iter().any(|p| p.2 > t) {
                out.append(&mut passed);
            }
        }
        out
    }

    /// A purpose's consent at `t`: a denial stamped after `t` denies at once, a grant stamped after it is
    /// `pending` until its instant; else the latest up to `t` wins (`unknown` with none).
    fn consent(&self, p: u8, t: i64) -> &'static str {
        let of = |g: bool| self.ev.iter().filter(move |e| e.kind == Kind::Consent(p, g));
        if of(false).any(|e| e.at > t) {
            return "denied";
        }
        if of(true).any(|e| e.at > t) {
            return "pending";
        }
        let latest = self.ev.iter().rfind(|e| matches!(e.kind, Kind::Consent(q, _) if q == p) && e.at <= t);
        match latest.map(|e| e.kind) {
            Some(Kind::Consent(_, true)) => "granted",
            Some(_) => "denied",
            None => "unknown",
        }
    }

    fn denied(&self, ch: Ch, t: i64) -> Vec<GateM> {
        let mut out = Vec::new();
        if let Some(e) = self.ev.iter().find(|e| e.kind == Kind::Erasure) {
            out.push(gate("erased", None, json!({ "since": e.at })));
        } else if let Some(a) = self.archived(t) {
            out.push(gate("archived", None, json!({ "since": a })));
        }
        if ch.task() {
            if let (Some(e), Some(s)) = (self.dnc(Ch::Email, true), self.dnc(Ch::Sms, true)) {
                let d = if s.1 > e.1 { s } else { e };
                out.push(gate("doNotContact", None, json!({ "reason": d.0, "since": d.1 })));
            }
            let (p, name) = if ch == Ch::Call { (1, "call") } else { (2, "linkedin") };
            if self.consent(p, t) == "denied" {
                out.push(gate("noConsent", None, json!({ "purpose": name, "status": "denied" })));
            }
            return out;
        }
        if let Some((reason, since)) = self.dnc(ch, false) {
            out.push(gate("doNotContact", None, json!({ "reason": reason, "since": since })));
        }
        if ch == Ch::Sms {
            let status = self.consent(0, t);
            if status == "denied" || status == "unknown" {
                out.push(gate("noConsent", None, json!({ "purpose": "sms_marketing", "status": status })));
            }
        }
        if let Some(("open", since)) = self.deal() {
            out.push(gate("salesConversation", None, json!({ "since": since })));
        }
        out
    }

    /// `send.email` / `send.sms` at `now`: a message of no topic, not marked important (so `important_only`
    /// denies it, last), allowed, denied, or deferred until the first instant no time rule holds.
    fn verdict(&self, ch: Ch) -> (&'static str, Option<i64>, Vec<GateM>) {
        let t = self.now;
        let mut denied = self.denied(ch, t);
        if self.prefs(t).0.and_then(|f| FREQS[f]) == Some("important_only") {
            denied.push(gate("importantOnly", None, json!(null)));
        }
        if !denied.is_empty() {
            return ("deny", None, denied);
        }
        let mut at = t;
        for _ in 0..64 {
            match self.holds(ch, at).iter().filter_map(|g| g.until).max() {
                Some(u) => at = u,
                None => break,
            }
        }
        // "Defer until the earliest instant at which every time rule allows" (§ policy): the time rules only, so
        // a contact archived by then is deferred still (unlike a step's `sendAt`, whose deferral's end is
        // re-checked; `validUntil` names the archiving).
        if at == t {
            ("allow", None, Vec::new())
        } else {
            ("defer", Some(at), self.holds(ch, t))
        }
    }

    /// The rules holding a send on `ch` at `t`, in the docs' order, pending lifts first.
    fn holds(&self, ch: Ch, t: i64) -> Vec<GateM> {
        let mut out = Vec::new();
        if ch == Ch::Call {
            let m = (t.rem_euclid(DAY)) / MINUTE;
            if !(8 * 60..21 * 60).contains(&m) {
                let day = t.div_euclid(DAY) * DAY;
                let until = if m >= 21 * 60 { day + DAY + 8 * HOUR } else { day + 8 * HOUR };
                out.push(gate("quietHours", Some(until), json!({ "window": "21:00-08:00", "zone": "UTC" })));
            }
            return out;
        }
        if ch == Ch::Linkedin {
            return out;
        }
        if ch == Ch::Sms {
            let grant = self.ev.iter().find(|e| e.kind == Kind::Consent(0, true) && e.at > t);
            if let Some(e) = grant.filter(|_| self.consent(0, t) == "pending") {
                out.push(gate("noConsent", Some(e.at), json!({ "purpose": "sms_marketing", "status": "pending" })));
            }
        }
        if let Some((status, at)) = self.deal() {
            if status != "open" && at > t {
                out.push(gate("salesConversation", Some(at), json!({ "since": null })));
            }
        }
        let within = |s: i64, per: i64| 0 <= t - s && t - s < per;
        for (path, cch, max, per) in [("policy.caps[0]", Ch::Email, 2usize, DAY), ("policy.caps[1]", Ch::Sms, 1, DAY)] {
            if cch != ch {
                continue;
            }
            let mut sends: Vec<i64> =
                self.counted().filter(|(s, c)| *c == cch && within(*s, per)).map(|s| s.0).collect();
            if sends.len() >= max {
                sends.sort_unstable_by(|a, b| b.cmp(a));
                out.push(gate("cap", Some(sends[max - 1] + per), json!({ "path": path, "sent": max })));
            }
        }
        let freq = self.prefs(t).0.and_then(|f| FREQS[f]);
        let per = match freq {
            Some("weekly") => Some(7 * DAY),
            Some("monthly") => Some(30 * DAY),
            _ => None,
        };
        if let Some(per) = per {
            if let Some(newest) = self.counted().map(|s| s.0).filter(|s| within(*s, per)).max() {
                out.push(gate("frequency", Some(newest + per), json!({ "frequency": freq })));
            }
        }
        out
    }

    fn answer_with(&self, t: i64, unwanted_remain: bool) -> Option<Answer> {
        let (si, k, due) = self.next(t, unwanted_remain)?;
        let ch = SEQS[si].1[k].ch;
        let from = due.max(t);
        let denied = self.denied(ch, from);
        let (send_at, gates) = if denied.is_empty() {
            let mut at = from;
            for _ in 0..64 {
                match self.holds(ch, at).iter().filter_map(|g| g.until).max() {
                    Some(u) => at = u,
                    None => break,
                }
            }
            // The deferral's end is checked again: a contact archived by then is denied (no instant allows).
            let later = self.denied(ch, at);
            if later.is_empty() {
                (Some(at), self.holds(ch, from))
            } else {
                (None, later)
            }
        } else {
            (None, denied)
        };
        Some(Answer { si, k, due, send_at: send_at.map(|s| (s > t).then_some(s)), gates })
    }

    /// Whether run `si` completed with a step unwanted and not done (every step done or unwanted) at an event's
    /// instant, and a `preferences` event came after it by `t`: whether that reopens the run is not said.
    fn reopens(&self, si: usize, t: i64) -> bool {
        let Some(enrol) = self.ev.iter().find(|e| e.kind == Kind::Start(si) && e.at <= t).map(|e| e.at) else {
            return false;
        };
        let steps = SEQS[si].1;
        let sent = |k: usize, x: i64| self.ev.iter().any(|e| e.kind == Kind::Step(si, k) && e.at >= enrol && e.at <= x);
        self.ev.iter().map(|e| e.at).filter(|x| *x >= enrol && *x <= t).any(|x| {
            let ended = steps.iter().enumerate().all(|(k, s)| sent(k, x) || !self.wants(s, x));
            let unwanted = steps.iter().enumerate().any(|(k, s)| !sent(k, x) && !self.wants(s, x));
            ended && unwanted && self.ev.iter().any(|e| matches!(e.kind, Kind::Prefs(..)) && e.at > x && e.at <= t)
        })
    }

    fn answer(&self, t: i64) -> Option<Answer> {
        self.answer_with(t, true)
    }

    /// Whether the docs leave the answer at `t` open (see the header's "Left out").
    fn unclear(&self, t: i64) -> bool {
        if self.answer_with(t, true) != self.answer_with(t, false) {
            return true;
        }
        let a = self.answer(t);
        let task = a.as_ref().is_some_and(|a| SEQS[a.si].1[a.k].ch.task());
        let complained = self.ev.iter().any(|e| e.kind == Kind::Complaint);
        if task && complained && self.dnc(Ch::Sms, true).is_some() {
            return true;
        }
        let ahead_deal = self.ev.iter().any(|e| matches!(e.kind, Kind::Deal(_)) && e.at > self.now);
        if ahead_deal && self.ev.iter().any(|e| e.kind == Kind::Start(1)) {
            return true;
        }
        let ahead_send = self.counted().any(|s| s.0 > self.now);
        let crowded = [Ch::Email, Ch::Sms].iter().any(|ch| self.counted().filter(|c| c.1 == *ch).count() >= 2);
        if ahead_send && crowded {
            return true;
        }
        if (0..SEQS.len()).any(|si| self.reopens(si, t)) {
            return true;
        }
        // An event at the instant the contact is archived.
        let mut probe = self.ev.iter().map(|e| e.at).filter(|x| *x <= t);
        probe.any(|x| self.archived(x) == Some(x))
    }
}

// ---------------------------------------------------------------------------------------------------------
// The engine.

fn to_json(e: &Ev, id: usize) -> serde_json::Value {
    let chan = |s: u8| ["email", "sms", "all"][usize::from(s)];
    let mut v = match e.kind {
        Kind::Start(si) => json!({ "kind": "form_submit", "props": { "form": SEQS[si].0 } }),
        Kind::Unsub(s, manual) => {
            let mut p = json!({ "channel": chan(s) });
            if manual {
                p["reason"] = json!("manual");
            }
            json!({ "kind": "unsubscribe", "props": p })
        }
        Kind::Sub(s) => json!({ "kind": "subscribe", "props": { "channel": chan(s) } }),
        Kind::Bounce(b) => {
            let kind = ["hard", "soft", "spam_trap"][usize::from(b)];
            json!({ "kind": "email_bounce", "props": { "type": kind } })
        }
        Kind::Complaint => json!({ "kind": "spam_complaint" }),
        Kind::Prefs(f, t) => {
            let mut p = serde_json::Map::new();
            if let Some(f) = f {
                p.insert("frequency".into(), json!(FREQS[f]));
            }
            if let Some(t) = t {
                p.insert("topics".into(), json!(TOPICS[t]));
            }
            json!({ "kind": "preferences", "props": p })
        }
        Kind::Deal(d) => json!({ "kind": "sales_status", "props": { "status": DEALS[d] } }),
        Kind::Consent(p, g) => {
            let purpose = ["sms_marketing", "call", "linkedin"][usize::from(p)];
            json!({ "kind": "consent", "props": { "purpose": purpose, "granted": g } })
        }
        Kind::Erasure => json!({ "kind": "erasure_request" }),
        Kind::Send(ch) => json!({ "kind": if ch == Ch::Email { "email_sent" } else { "sms_sent" } }),
        Kind::Step(si, k) => {
            let kind = match SEQS[si].1[k].ch {
                Ch::Email => "email_sent",
                Ch::Sms => "sms_sent",
                Ch::Call | Ch::Linkedin => "custom:task_done",
            };
            json!({ "kind": kind, "props": { "sequence": SEQS[si].0, "step": SEQS[si].1[k].id } })
        }
    };
    v["at"] = json!(e.at);
    v["id"] = json!(format!("e{id:03}"));
    v
}

/// Folds the events held at `now` in one or two batches (cut at `now`'s half, events ahead of the clock last),
/// each shuffled, the state going through its byte form between them.
/// With `late`, the unsubscribes, bounces and complaints come last, in a batch of their own (a suppression list
/// synced late; a subscribe is engagement too, and a late one may meet an archive the fold already made a fact,
/// docs § lifecycle, so it stays in time order).
fn fold(pb: &Playbook, ev: &[Ev], now: i64, seed: u64, late: bool) -> ContactState {
    let suppression = |e: &Ev| matches!(e.kind, Kind::Unsub(..) | Kind::Bounce(_) | Kind::Complaint);
    let held = ev.iter().enumerate().filter(|(_, e)| e.from <= now);
    let (mut all, last): (Vec<_>, Vec<_>) =
        held.map(|(i, e)| (e.at, to_json(e, i), late && suppression(e))).partition(|e| !e.2);
    all.sort_by_key(|e| e.0);
    let mut cut = if seed % 3 == 0 { all.len() / 2 } else { all.len() };
    while cut > 0 && cut < all.len() && all[cut].0 == all[cut - 1].0 {
        cut -= 1;
    }
    let mut state = ContactState::new();
    for (n, part) in [&all[..cut], &all[cut..], &last[..]].into_iter().enumerate() {
        if !part.is_empty() {
            let mut part: Vec<serde_json::Value> = part.iter().map(|p| p.1.clone()).collect();
            shuffle(&mut part, seed.wrapping_add(n as u64));
            let v: Value = serde_json::from_value(serde_json::Value::Array(part)).unwrap();
            state.fold(pb, &Event::parse_list(&v, "events").unwrap());
            state = ContactState::from_bytes(&state.to_bytes()).unwrap();
        }
    }
    state
}

fn engine_gate(g: &serde_json::Value) -> GateM {
    let name = g["gate"].as_str().unwrap();
    let gate: &'static str = Box::leak(name.to_string().into_boxed_str());
    let until = g.get("until").and_then(serde_json::Value::as_i64);
    let extra = match name {
        "quietHours" => json!({ "window": g["window"], "zone": g["zone"] }),
        "noConsent" => json!({ "purpose": g["purpose"], "status": g["status"] }),
        "cap" => json!({ "path": g["path"], "sent": g["sent"].as_u64().map(|n| n.min(g["max"].as_u64().unwrap())) }),
        "archived" | "erased" | "salesConversation" => json!({ "since": g["since"] }),
        "doNotContact" => json!({ "reason": g["reason"], "since": g["since"] }),
        "frequency" => json!({ "frequency": g["frequency"] }),
        "importantOnly" => json!(null),
        _ => g.clone(),
    };
    GateM { gate, until, extra }
}

/// Pending lifts apart (their place among the reasons is not given).
fn normalise(gates: Vec<GateM>) -> (Vec<GateM>, Vec<GateM>) {
    let (mut lifts, rest): (Vec<GateM>, Vec<GateM>) = gates.into_iter().partition(|g| {
        g.extra.get("status") == Some(&json!("pending")) || (g.gate == "salesConversation" && g.until.is_some())
    });
    lifts.sort_by_key(|g| g.gate);
    (rest, lifts)
}

fn show(a: &Option<Answer>) -> Option<String> {
    a.as_ref().map(|a| {
        format!("{}.{} due {} sendAt {:?} gates {:?}", SEQS[a.si].0, SEQS[a.si].1[a.k].id, a.due, a.send_at, a.gates)
    })
}

fn compare(pb: &Playbook, which: (bool, bool), ev: &[Ev], now: i64, seed: u64) -> Result<(), String> {
    let h = Hist::new(ev, now, which);
    if h.unclear(now) {
        return Ok(());
    }
    // Late suppression events only where no run stopped: a stop on an opt-out the fold learns late, after sends
    // stamped after it, is not said to undo those steps.
    let started = |si: usize| h.ev.iter().any(|e| e.kind == Kind::Start(si) && e.at <= now);
    let late = seed % 4 == 1 && (0..SEQS.len()).all(|si| !started(si) || h.run(si, now, true).is_some());
    let state = fold(pb, ev, now, seed, late);
    let d = decide(pb, &state, Timestamp::from_ms(now).unwrap());
    let want = h.answer(now);
    let got = d.next_step.as_ref().map(|n| {
        let v = serde_json::to_value(n).unwrap();
        let si = SEQS.iter().position(|q| q.0 == v["sequence"]).unwrap();
        let k = SEQS[si].1.iter().position(|q| q.id == v["step"]).unwrap();
        let gates = v["gates"].as_array().unwrap().iter().map(engine_gate).collect();
        Answer { si, k, due: n.due_at.ms(), send_at: n.send_at.map(|t| (t.ms() > now).then_some(t.ms())), gates }
    });
    let same = match (&got, &want) {
        (Some(g), Some(w)) => {
            (g.si, g.k, g.due, g.send_at) == (w.si, w.k, w.due, w.send_at)
                && normalise(g.gates.clone()) == normalise(w.gates.clone())
        }
        (None, None) => true,
        _ => false,
    };
    if !same {
        return Err(format!("next step at now {now}:\nengine {:?}\nmodel  {:?}", show(&got), show(&want)));
    }
    // The steps passed over as unwanted; where both `importantOnly` and a topic apply, "the gate that made it
    // unwanted" (the docs, singular) may be either.
    let reasons = serde_json::to_value(&d.reasons).unwrap();
    let skipped: Vec<&serde_json::Value> =
        reasons.as_array().unwrap().iter().filter(|r| r["kind"] == "stepSkipped").collect();
    let want_skipped = h.skipped(now);
    let agree = skipped.len() == want_skipped.len()
        && skipped.iter().zip(&want_skipped).all(|(r, (si, k, due, why))| {
            let gates = r["gates"].as_array().unwrap();
            r["sequence"] == SEQS[*si].0
                && r["step"] == SEQS[*si].1[*k].id
                && r["dueAt"] == *due
                && !gates.is_empty()
                && gates.iter().all(|g| why.contains(g))
                && (why.len() > 1 || gates.len() == why.len())
        });
    if !agree {
        return Err(format!("stepSkipped at now {now}:\nengine {skipped:?}\nmodel  {want_skipped:?}"));
    }
    let v = serde_json::to_value(&d.send).unwrap();
    for (ch, name) in [(Ch::Email, "email"), (Ch::Sms, "sms")] {
        let e = &v[name];
        let reasons =
            e.get("reasons").and_then(|r| r.as_array()).map_or(Vec::new(), |r| r.iter().map(engine_gate).collect());
        let verdict: &str = e["verdict"].as_str().unwrap();
        let got = (verdict, e.get("until").and_then(serde_json::Value::as_i64), normalise(reasons));
        let (wv, wu, mut wg) = h.verdict(ch);
        let mut got = got;
        if h.erased() {
            // Events after an erasure are ignored, its suppression entries stay; what else it keeps (consent, a
            // deal) is not said: only `erased` and do-not-contact are compared.
            let keep = |g: &GateM| g.gate == "erased" || g.gate == "doNotContact";
            got.2 .0.retain(keep);
            wg.retain(keep);
        }
        if got != (wv, wu, normalise(wg.clone())) {
            return Err(format!("send.{name} at now {now}:\nengine {e}\nmodel  {wv} until {wu:?} {wg:?}"));
        }
    }
    if let Some(change) = next_change(&h, now, want.as_ref()) {
        if d.valid_until.is_none_or(|v| v.ms() > change) {
            return Err(format!(
                "validUntil at now {now}: engine {:?}, the model's next step changes at {change}: {:?} -> {:?}",
                d.valid_until,
                show(&want),
                show(&h.answer(change))
            ));
        }
    }
    Ok(())
}

/// Every instant after `now` at which the model's answer can change with no new event.
fn edges(h: &Hist, now: i64, horizon: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut day = now.div_euclid(DAY) * DAY;
    while day < now + horizon {
        out.extend([day + 8 * HOUR, day + 21 * HOUR]);
        day += DAY;
    }
    for e in &h.ev {
        out.extend(
            [0, DAY, 2 * DAY, 3 * DAY, h.archive, 7 * DAY, 30 * DAY, 6 * HOUR, 36 * HOUR, 2 * HOUR].map(|d| e.at + d),
        );
    }
    out.retain(|t| *t > now && *t < now + horizon);
    out.sort_unstable();
    out.dedup();
    out
}

fn next_change(h: &Hist, now: i64, at_now: Option<&Answer>) -> Option<i64> {
    let norm = |a: Option<Answer>, t: i64| {
        a.map(|mut a| {
            a.send_at = a.send_at.map(|s| s.filter(|s| *s > t));
            a
        })
    };
    let first = norm(at_now.cloned(), now);
    edges(h, now, 40 * DAY).into_iter().find(|t| norm(h.answer(*t), *t) != first)
}

// ---------------------------------------------------------------------------------------------------------
// Cases.

#[derive(Debug, Clone)]
struct Case {
    /// `topics_opt_in`, and the long lifecycle phases.
    pb: (bool, bool),
    events: Vec<Ev>,
    nows: Vec<i64>,
    seed: u64,
}

fn kind_strategy() -> impl Strategy<Value = Kind> {
    prop_oneof![
        2 => (0..2usize).prop_map(Kind::Start),
        2 => (0..3u8, prop::bool::weighted(0.3)).prop_map(|(c, m)| Kind::Unsub(c, m)),
        2 => (0..3u8).prop_map(Kind::Sub),
        1 => (0..3u8).prop_map(Kind::Bounce),
        1 => Just(Kind::Complaint),
        4 => (prop::option::of(0..FREQS.len()), prop::option::of(0..TOPICS.len())).prop_map(|(f, t)| Kind::Prefs(f, t)),
        2 => (0..DEALS.len()).prop_map(Kind::Deal),
        2 => (0..3u8, prop::bool::weighted(0.5)).prop_map(|(p, g)| Kind::Consent(p, g)),
        3 => prop_oneof![Just(Ch::Email), Just(Ch::Sms)].prop_map(Kind::Send),
    ]
}

/// An instant of the histories' twelve days: a whole hour, a quarter past, or an odd millisecond.
fn at_strategy() -> impl Strategy<Value = i64> {
    (0..12 * 24i64, prop_oneof![Just(0i64), Just(15 * MINUTE), 0..HOUR]).prop_map(|(h, m)| h * HOUR + m)
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        (any::<bool>(), prop::bool::weighted(0.3)),
        // Runs start in the first days; an SMS grant comes early or never; then the rest of the history.
        (prop::collection::vec((0..4 * 24 * HOUR, 0..2usize), 1..3), prop::option::weighted(0.6, 0..2 * DAY)),
        prop::collection::vec((at_strategy(), kind_strategy()), 0..10),
        prop::option::weighted(0.1, at_strategy()),
        prop::collection::vec((at_strategy(), 0..4u8, -HOUR..8 * HOUR), 0..12),
        // One event ahead of the clock: 0 a step's send, 1 an unsubscribe, 2 a deal status, 3 an SMS consent.
        prop::option::weighted(0.5, (0..4u8, 0..4usize, prop::bool::ANY, HOUR..3 * DAY)),
        prop::collection::vec((0..6u8, 0..64usize, (DAY..12 * DAY).prop_map(|d| d / HOUR * HOUR + d % 7)), 3..6),
        any::<u64>(),
    )
        .prop_map(|(which, (starts, grant), base_ev, erasure, sends, ahead, nows, seed)| {
            let starts = starts.into_iter().map(|(at, si)| (at, Kind::Start(si)));
            let grant = grant.map(|at| (at, Kind::Consent(0, true)));
            let all = starts.chain(grant).chain(base_ev);
            let mut events: Vec<Ev> = all.map(|(at, kind)| Ev { at: BASE + at, kind, from: BASE + at }).collect();
            events.extend(erasure.map(|at| Ev { at: BASE + at, kind: Kind::Erasure, from: BASE + at }));
            // Sends of the step the model names next, at its sendAt, its due time or hours later, ± 1 ms.
            for (at, how, late) in sends {
                let t = BASE + at;
                events.sort_by_key(|e| e.at);
                let h = Hist::new(&events, t, which);
                let Some(a) = h.answer(t) else { continue };
                let when = match how {
                    0 => a.send_at.flatten().unwrap_or(t),
                    1 => a.due,
                    2 => a.due.max(t) + late,
                    _ => a.due + late.signum(),
                };
                events.push(Ev { at: when, kind: Kind::Step(a.si, a.k), from: when });
            }
            if let Some((what, pick, flag, lead)) = ahead {
                events.sort_by_key(|e| e.at);
                let t = nows.first().map_or(BASE, |n| BASE + n.2);
                let kind = match what {
                    0 => Hist::new(&events, t, which).answer(t).map(|a| Kind::Step(a.si, a.k)),
                    1 => Some(Kind::Unsub((pick % 3) as u8, flag)),
                    2 => Some(Kind::Deal(pick)),
                    _ => Some(Kind::Consent(0, flag)),
                };
                events.extend(kind.map(|kind| Ev { at: t + lead, kind, from: t }));
            }
            // Distinct instants: the docs order kinds within a millisecond, not the meaning of such ties.
            events.sort_by_key(|e| e.at);
            for i in 1..events.len() {
                if events[i].at <= events[i - 1].at {
                    let d = events[i - 1].at + 1 - events[i].at;
                    events[i].at += d;
                    events[i].from += d;
                }
            }
            let nows = nows.into_iter().map(|(how, pick, at)| pick_now(&events, which, how, pick, at)).collect();
            Case { pb: which, events, nows, seed }
        })
}

/// A `now`: random, or ± 1 ms of an instant the model can change at.
fn pick_now(ev: &[Ev], which: (bool, bool), how: u8, pick: usize, at: i64) -> i64 {
    let t = BASE + at;
    if how == 0 {
        return t;
    }
    let h = Hist::new(ev, t, which);
    let mut c = edges(&h, t - 2 * DAY, 6 * DAY);
    c.extend(ev.iter().map(|e| e.at));
    if let Some(a) = h.answer(t) {
        c.push(a.due);
        c.extend(a.send_at.flatten());
        c.extend(a.gates.iter().filter_map(|g| g.until));
    }
    c[pick % c.len()] + i64::from(how % 3) - 1
}

fn run(c: &Case) -> Result<(), TestCaseError> {
    let pb = playbook(c.pb.0, c.pb.1);
    for now in &c.nows {
        if let Err(e) = compare(&pb, c.pb, &c.events, *now, c.seed) {
            let line = |e: &Ev| format!("BASE{:+}ms {:?} from {:+}", e.at - BASE, e.kind, e.from - BASE);
            let hist: Vec<String> = c.events.iter().map(line).collect();
            return Err(TestCaseError::fail(format!(
                "{e}\nnow = BASE{:+}ms (topics_opt_in, long phases) {:?}\nhistory: {hist:#?}",
                now - BASE,
                c.pb
            )));
        }
    }
    Ok(())
}

/// Cases: 150 in debug, 500 in release; `PROPTEST_CASES` overrides both.
fn cases() -> u32 {
    let default = if cfg!(debug_assertions) { 150 } else { 500 };
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn the_next_steps_denials_and_holds_agree_with_a_model_of_the_docs(c in case_strategy()) {
        run(&c)?;
    }
}
