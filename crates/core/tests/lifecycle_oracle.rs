//! An oracle for the re-engagement lifecycle (D1–D2, D6–D9, D11; docs/playbook.md § lifecycle, DESIGN §7): random
//! lifecycle settings (`cooling_after` / `cold_after` or `sales_cycle`, `reactivation_entry`, the two campaign
//! durations, the ghost rule, `erase_on`, `intent_signals`, `engagement_signals`) and random histories of every
//! event kind the section names, against a brute-force reference written from the docs alone.
//!
//! The reference walks the history in time order, one event at a time: it reads the phase just before the event
//! (from the last engagement, or the first event, and the campaign's start), then applies what the docs say the
//! event does (erasure, intent, a `reactivation_started` while cold, ghost-open runs, engagement, the archived
//! contact's explicit opt-ins, reactivation). Events are placed at random gaps or at the reference's own next
//! edges (a phase's end, the ghost flip, the retargeting window's end) ± 1 ms. At random `now`s (at events ± 1 ms,
//! at the edges after the last event ± 1 ms, anywhere) it folds the events stamped up to `now` in 1–3
//! chronological batches, the state crossing its byte form between them, and compares the decision's
//! `lifecycle` (state, since, nextTransitionAt, reactivatedAt, ghost, showedIntent), `lifecycle` and `ghost`
//! segments (membership and `nextFlipAt`), what `send.email` /
//! `send.sms` say (allow, or deny with the lifecycle's gate first), `retargeting` (the window that follows
//! break-up, D10) and `validUntil`, which the reference finds as the first instant its whole answer changes.
//!
//! Where the docs are silent or loose, the reference takes a marketer's reading (and the docs now say so):
//! - `since` of `active` is the last engagement (or the first event): the instant the phases count from.
//! - A return from archive through an explicit opt-in sets `reactivatedAt` too (it is a reactivation for sales).
//! - "Machine" events never engage: a link scanner's click is no more a person than a proxy's open.
//! - The ghost run is ended by a person's email click or email reply (an SMS reply or a CTA click on the site is
//!   engagement, but says nothing about what the inbox does with our mail).
//! - An erased contact keeps nothing personal: `reactivatedAt` null, `ghost` and `showedIntent` false.
//! - Events of one millisecond are folded in the order of kinds § Events now lists (an open before a click).
//!
//! A second property folds the whole history, also the events stamped after `now` (a clock ahead), and compares
//! with the reference's walk over all of it (§ lifecycle "Events stamped after now", a reading the docs lacked: an
//! engagement counts at once, a campaign start and an erasure at their own instants, an erasure drops the personal
//! data from the start), on the lifecycle, its segments and their `nextFlipAt`, the send gate the lifecycle puts
//! first and the retargeting window: the send verdicts and `validUntil` then also answer § policy's rules for
//! grants and opt-outs stamped ahead, which are not modelled here.
//!
//! A third folds batches in any order, a history holding an erasing event: § lifecycle "Late events" promises for an
//! erased contact alone that the order does not matter (erased from the earliest erasing event, nothing personal
//! kept, a bounce or complaint before it or in its millisecond still suppressing; the latter, folded in a later batch,
//! was dropped: `late_events.rs` pins the fix).
//!
//! Left out: other batches that reach back before events already folded (a fold keeps no history, § lifecycle
//! "Late events"); which objection `retargeting` names when several apply (the suppression list's business: any of
//! those that apply is accepted); events of other contacts, sales statuses and ads consents.
//!
//! `PROPTEST_CASES` raises the case count (debug default: 64 each; hunt in release with thousands).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use proptest::prelude::*;
use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

mod support;
use serde_json::json;
use support::fold_batches;

const MIN: i64 = 60_000;
const H: i64 = 3_600_000;
const DAY: i64 = 86_400_000;
/// 2026-09-21T14:13:20Z.
const BASE: i64 = 1_790_000_000_000;
/// The retargeting window lasts this long after break-up ends (DESIGN §7's `keep_for`).
const KEEP_FOR: i64 = 30 * DAY;

/// Signals the playbook declares, by index: `demo` (a form), `webinar` (attended), `login` (`custom:login`).
const SIGNALS: [&str; 3] = ["demo", "webinar", "login"];

#[derive(Debug, Clone)]
struct Rules {
    cooling: i64,
    cold: i64,
    /// Written as `sales_cycle` (cooling = one cycle, cold = two) instead of the two keys.
    cycle: bool,
    /// With `cycle`, `cold_after` written too (an explicit key overrides the cycle's).
    cold_key: bool,
    manual: bool,
    soft: i64,
    deadline: i64,
    min_opens: u32,
    no_click: i64,
    /// `spam_trap`, `hard_bounce`, `spam_complaint`.
    erase_on: [bool; 3],
    intent: Vec<usize>,
    engage_login: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Ev {
    Open {
        machine: bool,
    },
    Click {
        machine: bool,
    },
    EmailReply,
    SmsReply,
    PageView,
    PageLeave,
    Form {
        demo: bool,
    },
    Cta,
    Purchase,
    WebinarRegistered,
    WebinarAttended,
    Subscribe,
    Unsubscribe,
    Preferences,
    EmailSent,
    SmsSent,
    /// `None`: no `type` (hard by default).
    Bounce(Option<&'static str>),
    Complaint,
    Profile,
    SmsConsent(bool),
    Login {
        machine: bool,
    },
    OtherCustom,
    ReactivationStarted,
    Erasure,
}

fn span(ms: i64) -> String {
    if ms % DAY == 0 {
        format!("{}d", ms / DAY)
    } else if ms % H == 0 {
        format!("{}h", ms / H)
    } else {
        format!("{}min", ms / MIN)
    }
}

fn playbook_json(r: &Rules) -> serde_json::Value {
    let mut l = json!({
        "reactivation_entry": if r.manual { "manual" } else { "on_cold" },
        "soft_reactivation_for": span(r.soft),
        "breakup_deadline": span(r.deadline),
        "ghost": { "min_opens": r.min_opens, "no_click_for": span(r.no_click) },
        "intent_signals": r.intent.iter().map(|i| SIGNALS[*i]).collect::<Vec<_>>(),
    });
    if r.cycle {
        l["sales_cycle"] = json!(span(r.cooling));
        if r.cold_key {
            l["cold_after"] = json!(span(r.cold));
        }
    } else {
        l["cooling_after"] = json!(span(r.cooling));
        l["cold_after"] = json!(span(r.cold));
    }
    let erase: Vec<&str> = ["spam_trap", "hard_bounce", "spam_complaint"]
        .into_iter()
        .zip(r.erase_on)
        .filter(|(_, b)| *b)
        .map(|(n, _)| n)
        .collect();
    if !erase.is_empty() {
        l["erase_on"] = json!(erase);
    }
    if r.engage_login {
        l["engagement_signals"] = json!(["login"]);
    }
    json!({
        "version": 1,
        "signals": {
            "demo": { "kind": "form_submit", "match": { "form": "demo" } },
            "webinar": { "kind": "webinar_attended" },
            "login": { "kind": "custom:login" }
        },
        "lifecycle": l,
        "segments": {
            "lapsing": { "when": { "lifecycle": ["cooling", "cold"] } },
            "in_campaign": { "when": { "lifecycle": ["soft_reactivation", "break_up"] } },
            "ghosts": { "when": { "ghost": true } },
            "live_ghosts": { "when": { "all": [{ "ghost": true }, { "not": { "lifecycle": ["archived", "erased"] } }] } }
        }
    })
}

/// Kinds in the order § Events folds the events of one millisecond in (then custom kinds, by name).
const KIND_ORDER: [&str; 23] = [
    "page_view",
    "form_submit",
    "cta_click",
    "email_sent",
    "email_open",
    "email_click",
    "email_reply",
    "email_bounce",
    "spam_complaint",
    "unsubscribe",
    "purchase",
    "webinar_registered",
    "webinar_attended",
    "profile",
    "consent",
    "preferences",
    "subscribe",
    "erasure_request",
    "reactivation_started",
    "sales_status",
    "sms_sent",
    "sms_reply",
    "page_leave",
];

/// Where an event's kind falls among one millisecond's events (§ Events: by kind, then by id).
fn kind_rank(e: Ev) -> (usize, String) {
    let name = event_json(0, 0, e)["kind"].as_str().unwrap_or("").to_string();
    (KIND_ORDER.iter().position(|k| *k == name).unwrap_or(KIND_ORDER.len()), name)
}

fn event_json(i: usize, at: i64, e: Ev) -> serde_json::Value {
    let (kind, props, machine) = match e {
        Ev::Open { machine } => ("email_open", json!({}), machine),
        Ev::Click { machine } => ("email_click", json!({}), machine),
        Ev::EmailReply => ("email_reply", json!({}), false),
        Ev::SmsReply => ("sms_reply", json!({}), false),
        Ev::PageView => ("page_view", json!({ "path": "/blog/x" }), false),
        Ev::PageLeave => ("page_leave", json!({ "path": "/blog/x", "seconds": 30 }), false),
        Ev::Form { demo } => ("form_submit", json!({ "form": if demo { "demo" } else { "newsletter" } }), false),
        Ev::Cta => ("cta_click", json!({ "cta": "keep_me" }), false),
        Ev::Purchase => ("purchase", json!({ "value": 10 }), false),
        Ev::WebinarRegistered => ("webinar_registered", json!({}), false),
        Ev::WebinarAttended => ("webinar_attended", json!({}), false),
        Ev::Subscribe => ("subscribe", json!({ "channel": "email" }), false),
        Ev::Unsubscribe => ("unsubscribe", json!({ "channel": "email" }), false),
        Ev::Preferences => ("preferences", json!({ "pause_until": null }), false),
        Ev::EmailSent => ("email_sent", json!({}), false),
        Ev::SmsSent => ("sms_sent", json!({}), false),
        Ev::Bounce(None) => ("email_bounce", json!({}), false),
        Ev::Bounce(Some(t)) => ("email_bounce", json!({ "type": t }), false),
        Ev::Complaint => ("spam_complaint", json!({}), false),
        Ev::Profile => ("profile", json!({ "role": "VP" }), false),
        Ev::SmsConsent(g) => ("consent", json!({ "purpose": "sms_marketing", "granted": g }), false),
        Ev::Login { machine } => ("custom:login", json!({}), machine),
        Ev::OtherCustom => ("custom:cart", json!({}), false),
        Ev::ReactivationStarted => ("reactivation_started", json!({}), false),
        Ev::Erasure => ("erasure_request", json!({}), false),
    };
    let mut o = json!({ "id": format!("e{i:03}"), "at": at, "kind": kind, "props": props });
    if machine {
        o["machine"] = json!(true);
    }
    o
}

// ---------------------------------------------------------------------------------------------------------------
// The reference, from docs/playbook.md § lifecycle, § policy (deny order) and § Decision (retargeting).

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Active,
    Cooling,
    Cold,
    Soft,
    BreakUp,
    Archived,
    Erased,
}

fn phase_name(p: Phase) -> &'static str {
    match p {
        Phase::Active => "active",
        Phase::Cooling => "cooling",
        Phase::Cold => "cold",
        Phase::Soft => "soft_reactivation",
        Phase::BreakUp => "break_up",
        Phase::Archived => "archived",
        Phase::Erased => "erased",
    }
}

#[derive(Debug, Clone, Default)]
struct Model {
    first: Option<i64>,
    last_engagement: Option<i64>,
    /// Person opens since the last person email click or reply, and the first of them.
    run_opens: u32,
    run_first: Option<i64>,
    last_click: Option<i64>,
    /// A `reactivation_started` received while cold (manual entry), since the last return to active.
    started: Option<i64>,
    erased: Option<i64>,
    showed_intent: bool,
    reactivated: Option<i64>,
    /// Email do-not-contact: an unsubscribe not lifted by a later subscribe, a hard / trap bounce, a complaint.
    unsubscribed: bool,
    bounced: bool,
    complained: bool,
    sms_consent: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Status {
    phase: Phase,
    since: Option<i64>,
    next: Option<i64>,
}

/// What the reference expects of a decision; `PartialEq` finds the first instant it changes.
#[derive(Debug, Clone, PartialEq)]
struct Out {
    lifecycle: serde_json::Value,
    email: (String, Option<serde_json::Value>),
    sms: (String, Option<serde_json::Value>),
    retargeting: serde_json::Value,
    /// Membership of the playbook's segments (`lapsing`, `in_campaign`, `ghosts`, `live_ghosts`).
    members: [bool; 4],
}

impl Model {
    fn anchor(&self) -> Option<i64> {
        self.last_engagement.or(self.first)
    }

    /// § lifecycle **Phases**, computed at `t` from the anchor and the campaign's start.
    fn status(&self, r: &Rules, t: i64) -> Status {
        let s = |phase, since, next| Status { phase, since, next };
        if let Some(e) = self.erased.filter(|e| *e <= t) {
            return s(Phase::Erased, Some(e), None);
        }
        let Some(a) = self.anchor() else { return s(Phase::Active, None, None) };
        if t < a + r.cooling {
            return s(Phase::Active, Some(a), Some(a + r.cooling));
        }
        if t < a + r.cold {
            return s(Phase::Cooling, Some(a + r.cooling), Some(a + r.cold));
        }
        let start = if r.manual { self.started } else { Some(a + r.cold) };
        // A campaign start stamped after `t` (a clock ahead) takes effect at its own instant.
        let Some(start) = start.filter(|st| *st <= t) else { return s(Phase::Cold, Some(a + r.cold), start) };
        if t < start + r.soft {
            s(Phase::Soft, Some(start), Some(start + r.soft))
        } else if t < start + r.soft + r.deadline {
            s(Phase::BreakUp, Some(start + r.soft), Some(start + r.soft + r.deadline))
        } else {
            s(Phase::Archived, Some(start + r.soft + r.deadline), None)
        }
    }

    /// **Ghost opens** (D2): `min_opens` person opens since the last click or reply, and that click (or the run's
    /// first open) at least `no_click_for` old.
    fn ghost_from(&self, r: &Rules) -> Option<i64> {
        let anchor = self.last_click.or(self.run_first)?;
        (self.run_opens >= r.min_opens).then_some(anchor + r.no_click)
    }

    fn ghost(&self, r: &Rules, t: i64) -> bool {
        self.erased.is_none_or(|e| e > t) && self.ghost_from(r).is_some_and(|g| t >= g)
    }

    fn apply(&mut self, r: &Rules, t: i64, e: Ev) {
        if self.erased.is_some() {
            return;
        }
        self.first.get_or_insert(t);
        match e {
            Ev::Unsubscribe => self.unsubscribed = true,
            Ev::Subscribe => self.unsubscribed = false,
            Ev::Bounce(None | Some("hard" | "spam_trap")) => self.bounced = true,
            Ev::Complaint => self.complained = true,
            Ev::SmsConsent(g) => self.sms_consent = g,
            _ => {}
        }
        let erases = match e {
            Ev::Erasure => true,
            Ev::Bounce(Some("spam_trap")) => r.erase_on[0],
            Ev::Bounce(None | Some("hard")) => r.erase_on[1],
            Ev::Complaint => r.erase_on[2],
            _ => false,
        };
        if erases {
            // Personal data is dropped: the phases count from the first event again, for a decision asked before
            // an erasure stamped after it.
            let keep = Model { first: self.first, erased: Some(t), ..Model::default() };
            let (u, b, c, sms) = (self.unsubscribed, self.bounced, self.complained, self.sms_consent);
            *self = Model { unsubscribed: u, bounced: b, complained: c, sms_consent: sms, ..keep };
            return;
        }
        let signal = match e {
            Ev::Form { demo: true } => Some(0),
            Ev::WebinarAttended => Some(1),
            Ev::Login { machine: false } => Some(2),
            _ => None,
        };
        if signal.is_some_and(|s| r.intent.contains(&s)) {
            self.showed_intent = true;
        }
        let before = self.status(r, t).phase;
        if e == Ev::ReactivationStarted {
            // Manual entry: one received while cold starts soft reactivation; one received earlier is ignored.
            if r.manual && before == Phase::Cold {
                self.started = Some(t);
            }
            return;
        }
        let engaged = match e {
            Ev::Open { machine } => !machine && !self.ghost(r, t),
            Ev::Click { machine } | Ev::Login { machine } => {
                !machine && (matches!(e, Ev::Click { .. }) || r.engage_login)
            }
            Ev::EmailReply
            | Ev::SmsReply
            | Ev::PageView
            | Ev::Form { .. }
            | Ev::Cta
            | Ev::Purchase
            | Ev::WebinarRegistered
            | Ev::WebinarAttended
            | Ev::Subscribe
            | Ev::Preferences => true,
            _ => false,
        };
        match e {
            Ev::Open { machine: false } => {
                self.run_opens += 1;
                self.run_first.get_or_insert(t);
            }
            Ev::Click { machine: false } | Ev::EmailReply => {
                self.run_opens = 0;
                self.run_first = None;
                self.last_click = Some(t);
            }
            _ => {}
        }
        if !engaged {
            return;
        }
        let opt_in = matches!(e, Ev::Form { .. } | Ev::Subscribe | Ev::Purchase | Ev::EmailReply);
        if before == Phase::Archived && !opt_in {
            return;
        }
        if before != Phase::Active {
            self.reactivated = Some(t);
            self.started = None;
        }
        self.last_engagement = Some(t);
    }

    /// Every instant after which the reference's answer may differ with no event.
    fn edges(&self, r: &Rules) -> Vec<i64> {
        let mut out = Vec::new();
        if let Some(a) = self.anchor() {
            out.extend([a + r.cooling, a + r.cold]);
            let start = if r.manual { self.started } else { Some(a + r.cold) };
            if let Some(s) = start {
                out.extend([s, s + r.soft, s + r.soft + r.deadline, s + r.soft + r.deadline + KEEP_FOR]);
            }
        }
        out.extend(self.ghost_from(r));
        out.extend(self.erased);
        out.sort_unstable();
        out.dedup();
        out
    }

    fn out(&self, r: &Rules, t: i64) -> Out {
        let st = self.status(r, t);
        let erased = st.phase == Phase::Erased;
        let lifecycle = json!({
            "state": phase_name(st.phase),
            "since": st.since,
            "nextTransitionAt": st.next,
            "reactivatedAt": if erased { None } else { self.reactivated },
            "ghost": self.ghost(r, t),
            "showedIntent": !erased && self.showed_intent,
        });
        // § policy: `archived` / `erased` are the first deny reasons.
        let life_gate = match st.phase {
            Phase::Archived => Some(json!({ "gate": "archived", "since": st.since })),
            Phase::Erased => Some(json!({ "gate": "erased", "since": st.since })),
            _ => None,
        };
        let verdict = |gate: Option<serde_json::Value>| match gate {
            Some(g) => ("deny".to_string(), Some(g)),
            None => ("allow".to_string(), None),
        };
        let dnc = self.unsubscribed || self.bounced || self.complained;
        let email = verdict(life_gate.clone().or(dnc.then(|| json!({ "gate": "doNotContact" }))));
        let sms = verdict(life_gate.or((!self.sms_consent).then(|| json!({ "gate": "noConsent" }))));
        // § Decision `retargeting`: break-up and the 30 days after it ended; the first exclusion that applies.
        let window_end = match st.phase {
            Phase::BreakUp => st.next.map(|n| n + KEEP_FOR),
            Phase::Archived => st.since.map(|s| s + KEEP_FOR),
            _ => None,
        }
        .filter(|end| t < *end);
        let retargeting = if erased {
            json!({ "status": "excluded", "why": "erased" })
        } else if let Some(until) = window_end {
            // Which objection is named when several apply is the suppression list's business (§ policy keeps
            // one reason per channel), not the lifecycle's: any of them will do (see `engine_out`).
            if self.unsubscribed || self.complained || self.bounced {
                json!({ "status": "excluded", "why": "objection" })
            } else {
                json!({ "status": "member", "until": until })
            }
        } else {
            json!({ "status": "excluded", "why": "outside_window" })
        };
        let ghost = self.ghost(r, t);
        let members = [
            matches!(st.phase, Phase::Cooling | Phase::Cold),
            matches!(st.phase, Phase::Soft | Phase::BreakUp),
            ghost,
            ghost && !matches!(st.phase, Phase::Archived | Phase::Erased),
        ];
        Out { lifecycle, email, sms, retargeting, members }
    }

    /// § segments `nextFlipAt`: the first instant after `now` a membership changes with no event.
    fn next_flips(&self, r: &Rules, now: i64) -> [Option<i64>; 4] {
        let here = self.out(r, now).members;
        let later: Vec<(i64, [bool; 4])> =
            self.edges(r).into_iter().filter(|e| *e > now).map(|e| (e, self.out(r, e).members)).collect();
        [0, 1, 2, 3].map(|i| later.iter().find(|(_, m)| m[i] != here[i]).map(|(e, _)| *e))
    }

    /// `validUntil`: the first instant after `now` at which the answer changes on its own.
    fn valid_until(&self, r: &Rules, now: i64) -> Option<i64> {
        let here = self.out(r, now);
        self.edges(r).into_iter().filter(|e| *e > now).find(|e| self.out(r, *e) != here)
    }
}

/// What the engine said, in the reference's terms.
fn engine_out(d: &serde_json::Value) -> Out {
    let l = &d["lifecycle"];
    let lifecycle = json!({
        "state": l["state"],
        "since": l["since"],
        "nextTransitionAt": l["nextTransitionAt"],
        "reactivatedAt": l["reactivatedAt"],
        "ghost": l["ghost"],
        "showedIntent": l["showedIntent"],
    });
    let verdict = |v: &serde_json::Value| {
        let first = v["reasons"].get(0).map(|g| match g["gate"].as_str() {
            Some("archived" | "erased") => json!({ "gate": g["gate"], "since": g["since"] }),
            _ => json!({ "gate": g["gate"] }),
        });
        (v["verdict"].as_str().unwrap_or("?").to_string(), first)
    };
    Out {
        lifecycle,
        email: verdict(&d["send"]["email"]),
        sms: verdict(&d["send"]["sms"]),
        members: [0, 1, 2, 3].map(|i| d["segments"][i]["member"] == json!(true)),
        retargeting: match d["retargeting"]["why"].as_str() {
            Some("unsubscribed" | "complained" | "bounced") => json!({ "status": "excluded", "why": "objection" }),
            _ => d["retargeting"].clone(),
        },
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Histories.

#[derive(Debug, Clone, Copy)]
enum Place {
    /// This many ms after the previous event.
    Gap(i64),
    /// At one of the reference's next edges (index modulo their count), ± a few ms.
    Edge(usize, i64),
}

#[derive(Debug, Clone, Copy)]
enum When {
    /// At event `i` (modulo), ± ms: the state holds the events up to then.
    Event(usize, i64),
    /// At an edge after the last event, ± ms.
    Edge(usize, i64),
    /// Anywhere from the first event on.
    Any(i64),
}

/// Places the drawn events: at gaps, or at the reference's edges as they are when the event comes.
fn build(r: &Rules, draws: &[(Place, Ev)]) -> Vec<(i64, Ev)> {
    let mut m = Model::default();
    let mut list: Vec<(i64, Ev)> = Vec::new();
    let mut prev = BASE - 1;
    for &(place, e) in draws {
        let t = match place {
            Place::Gap(g) => prev + g,
            Place::Edge(i, jitter) => {
                let edges: Vec<i64> = m.edges(r).into_iter().filter(|t| *t > prev).collect();
                if edges.is_empty() {
                    prev + 1 + (i as i64) * H
                } else {
                    edges[i % edges.len()] + jitter
                }
            }
        };
        let t = t.max(prev + 1).min(if matches!(place, Place::Gap(0)) { prev } else { i64::MAX }).max(BASE);
        m.apply(r, t, e);
        list.push((t, e));
        prev = t;
    }
    // Same-millisecond events in the engine's order: by kind, then by id (their place in the list).
    list.sort_by_key(|(t, e)| (*t, kind_rank(*e)));
    list
}

/// `ahead`: the state holds the whole history, also the events stamped after `now`.
fn check(r: &Rules, list: &[(i64, Ev)], whens: &[When], cuts: &[usize], ahead: bool) -> Result<(), TestCaseError> {
    let json = playbook_json(r);
    let pb = Playbook::parse(&serde_json::from_value::<Value>(json.clone()).unwrap()).unwrap();
    let evs: Vec<serde_json::Value> = list.iter().enumerate().map(|(i, (t, e))| event_json(i, *t, *e)).collect();
    let events =
        Event::parse_list(&serde_json::from_value::<Value>(serde_json::Value::Array(evs)).unwrap(), "e").unwrap();
    let mut full = Model::default();
    for (t, e) in list {
        full.apply(r, *t, *e);
    }
    let last = list.last().map_or(BASE, |(t, _)| *t);
    let after: Vec<i64> = full.edges(r).into_iter().filter(|t| *t > last).collect();
    for w in whens {
        let now = match *w {
            When::Event(i, j) if !list.is_empty() => list[i % list.len()].0 + j,
            When::Edge(i, j) if !after.is_empty() => after[i % after.len()] + j,
            When::Event(_, j) | When::Edge(_, j) => last + j,
            When::Any(o) => BASE + o,
        };
        let upto = if ahead { list.len() } else { list.partition_point(|(t, _)| *t <= now) };
        let mut m = Model::default();
        for (t, e) in &list[..upto] {
            m.apply(r, *t, *e);
        }
        let want = m.out(r, now);
        let want_valid = m.valid_until(r, now);
        // Batches in time order: a cut never splits a millisecond (a later batch is applied after the earlier).
        let mut cuts: Vec<usize> = cuts
            .iter()
            .map(|c| c % (upto + 1))
            .filter(|c| (1..upto).contains(c) && list[c - 1].0 < list[*c].0)
            .collect();
        cuts.sort_unstable();
        let state = fold_batches(&pb, &events[..upto], &cuts);
        let d = serde_json::to_value(decide(&pb, &state, Timestamp::from_ms(now).unwrap())).unwrap();
        let got = engine_out(&d);
        let ctx = || {
            let shown: Vec<(i64, Ev)> = list[..upto].iter().map(|(t, e)| (t - BASE, *e)).collect();
            format!("now = BASE {:+} ms, cuts {cuts:?}\nplaybook: {json}\nevents (BASE +): {shown:?}", now - BASE)
        };
        prop_assert_eq!(&got.lifecycle, &want.lifecycle, "lifecycle — {}", ctx());
        prop_assert_eq!(got.members, want.members, "segments — {}", ctx());
        let flips = [0, 1, 2, 3].map(|i| d["segments"][i]["nextFlipAt"].as_i64());
        prop_assert_eq!(flips, m.next_flips(r, now), "segments' nextFlipAt — {}", ctx());
        if ahead {
            // Opt-outs and grants stamped after `now` are § policy's (a grant defers until its instant): compare
            // only the lifecycle's part, the gate that comes first and the retargeting window.
            let life = |v: &(String, Option<serde_json::Value>)| {
                v.1.as_ref().filter(|g| g["gate"] == "archived" || g["gate"] == "erased").cloned()
            };
            prop_assert_eq!(life(&got.email), life(&want.email), "send.email — {}", ctx());
            prop_assert_eq!(life(&got.sms), life(&want.sms), "send.sms — {}", ctx());
            let window = |v: &serde_json::Value| v["status"] == "member" || v["why"] == "objection";
            prop_assert_eq!(window(&got.retargeting), window(&want.retargeting), "retargeting — {}", ctx());
            continue;
        }
        prop_assert_eq!(&got.email, &want.email, "send.email — {}", ctx());
        prop_assert_eq!(&got.sms, &want.sms, "send.sms — {}", ctx());
        prop_assert_eq!(&got.retargeting, &want.retargeting, "retargeting — {}", ctx());
        prop_assert_eq!(d["validUntil"].as_i64(), want_valid, "validUntil — {}", ctx());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------------------------
// Strategies.

fn rules_strategy() -> impl Strategy<Value = Rules> {
    (
        (1..=4i64, 1..=4i64, any::<bool>(), any::<bool>()),
        (1..=3i64, prop_oneof![Just(72 * H), (1..=71i64).prop_map(|h| h * H)]),
        (1..=3u32, 1..=5i64),
        (any::<[bool; 3]>(), prop::sample::subsequence(vec![0usize, 1, 2], 0..=3), any::<bool>()),
    )
        .prop_map(
            |((cool, gap, cycle, manual), (soft, deadline), (min_opens, no_click), (erase_on, intent, login))| {
                let cold_key = cycle && gap % 2 == 1;
                Rules {
                    cooling: cool * DAY,
                    cold: if cycle && !cold_key { 2 * cool * DAY } else { (cool + gap) * DAY },
                    cycle,
                    cold_key,
                    manual,
                    soft: soft * DAY,
                    deadline,
                    min_opens,
                    no_click: no_click * DAY,
                    erase_on: [erase_on[0] && erase_on[1], erase_on[1] && erase_on[2], erase_on[2] && erase_on[0]],
                    intent,
                    engage_login: login,
                }
            },
        )
}

fn ev_strategy() -> impl Strategy<Value = Ev> {
    prop_oneof![
        32 => Just(Ev::Open { machine: false }),
        12 => Just(Ev::Open { machine: true }),
        12 => Just(Ev::Click { machine: false }),
        4 => Just(Ev::Click { machine: true }),
        4 => Just(Ev::EmailReply),
        4 => Just(Ev::SmsReply),
        8 => Just(Ev::PageView),
        4 => Just(Ev::PageLeave),
        4 => any::<bool>().prop_map(|demo| Ev::Form { demo }),
        4 => Just(Ev::Cta),
        4 => Just(Ev::Purchase),
        4 => Just(Ev::WebinarRegistered),
        4 => Just(Ev::WebinarAttended),
        4 => Just(Ev::Subscribe),
        4 => Just(Ev::Unsubscribe),
        4 => Just(Ev::Preferences),
        12 => Just(Ev::EmailSent),
        4 => Just(Ev::SmsSent),
        4 => prop_oneof![Just(None), Just(Some("hard")), Just(Some("soft")), Just(Some("spam_trap"))].prop_map(Ev::Bounce),
        4 => Just(Ev::Complaint),
        4 => Just(Ev::Profile),
        4 => any::<bool>().prop_map(Ev::SmsConsent),
        8 => any::<bool>().prop_map(|machine| Ev::Login { machine }),
        4 => Just(Ev::OtherCustom),
        16 => Just(Ev::ReactivationStarted),
        1 => Just(Ev::Erasure),
    ]
}

fn place_strategy() -> impl Strategy<Value = Place> {
    prop_oneof![
        1 => Just(Place::Gap(0)),
        2 => (1..2 * H).prop_map(Place::Gap),
        2 => (1..3 * DAY).prop_map(Place::Gap),
        1 => (1..12 * DAY).prop_map(Place::Gap),
        4 => (0..8usize, -1..=1i64).prop_map(|(i, j)| Place::Edge(i, j)),
    ]
}

fn when_strategy() -> impl Strategy<Value = When> {
    prop_oneof![
        2 => (0..40usize, -1..=1i64).prop_map(|(i, j)| When::Event(i, j)),
        2 => (0..8usize, -1..=1i64).prop_map(|(i, j)| When::Edge(i, j)),
        1 => (0..60 * DAY).prop_map(When::Any),
    ]
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn the_lifecycle_matches_a_walk_through_time(
        rules in rules_strategy(),
        draws in prop::collection::vec((place_strategy(), ev_strategy()), 0..24),
        whens in prop::collection::vec(when_strategy(), 1..6),
        cuts in prop::collection::vec(0..24usize, 0..3),
    ) {
        let list = build(&rules, &draws);
        check(&rules, &list, &whens, &cuts, false)?;
    }

    #[test]
    fn an_erasure_holds_whatever_order_batches_arrive_in(
        rules in rules_strategy(),
        draws in prop::collection::vec((place_strategy(), ev_strategy()), 1..20),
        erasure in (0..20usize, prop_oneof![Just(Ev::Erasure), Just(Ev::Bounce(Some("spam_trap"))), Just(Ev::Complaint)]),
        cuts in prop::collection::vec(0..24usize, 0..3),
        order in prop::collection::vec(0..4usize, 0..4),
        offset in prop_oneof![Just(0i64), Just(1), 0..40 * DAY],
    ) {
        let mut draws = draws;
        let at = erasure.0 % (draws.len() + 1);
        draws.insert(at, (Place::Gap(H), erasure.1));
        let rules = Rules { erase_on: [true, rules.erase_on[1], true], ..rules };
        let list = build(&rules, &draws);
        check_erased_in_any_order(&rules, &list, &cuts, &order, offset)?;
    }

    #[test]
    fn events_stamped_after_now(
        rules in rules_strategy(),
        draws in prop::collection::vec((place_strategy(), ev_strategy()), 1..24),
        whens in prop::collection::vec(when_strategy(), 1..6),
        cuts in prop::collection::vec(0..24usize, 0..3),
    ) {
        let list = build(&rules, &draws);
        check(&rules, &list, &whens, &cuts, true)?;
    }
}

/// § lifecycle "Late events": an erased contact needs no history. Batches in any order (late webhooks, an earlier
/// erasure request folded last): the contact is erased from the earliest erasing event, keeps nothing personal,
/// and a bounce or complaint stamped before that instant or in it stays on the suppression list.
fn check_erased_in_any_order(
    r: &Rules,
    list: &[(i64, Ev)],
    cuts: &[usize],
    order: &[usize],
    offset: i64,
) -> Result<(), TestCaseError> {
    let erases = |e: Ev| match e {
        Ev::Erasure => true,
        Ev::Bounce(Some("spam_trap")) => r.erase_on[0],
        Ev::Bounce(None | Some("hard")) => r.erase_on[1],
        Ev::Complaint => r.erase_on[2],
        _ => false,
    };
    let Some(erased) = list.iter().filter(|(_, e)| erases(*e)).map(|(t, _)| *t).min() else { return Ok(()) };
    let json = playbook_json(r);
    let pb = Playbook::parse(&serde_json::from_value::<Value>(json.clone()).unwrap()).unwrap();
    let evs: Vec<serde_json::Value> = list.iter().enumerate().map(|(i, (t, e))| event_json(i, *t, *e)).collect();
    let events =
        Event::parse_list(&serde_json::from_value::<Value>(serde_json::Value::Array(evs)).unwrap(), "e").unwrap();
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (list.len() + 1)).collect();
    bounds.extend([0, list.len()]);
    bounds.sort_unstable();
    bounds.dedup();
    let mut batches: Vec<&[Event]> = bounds.windows(2).map(|w| &events[w[0]..w[1]]).collect();
    // Batches in a drawn order: a permutation by repeated swaps.
    for (i, j) in order.iter().enumerate() {
        let n = batches.len();
        batches.swap(i % n, j % n);
    }
    let mut state = ContactState::new();
    for b in &batches {
        state.fold(&pb, b);
        state = ContactState::from_bytes(&state.to_bytes()).unwrap();
    }
    let now = erased + offset;
    let d = serde_json::to_value(decide(&pb, &state, Timestamp::from_ms(now).unwrap())).unwrap();
    let got = engine_out(&d);
    let ctx = || {
        let shown: Vec<(i64, Ev)> = list.iter().map(|(t, e)| (t - BASE, *e)).collect();
        format!(
            "now = BASE {:+} ms, bounds {bounds:?}, order {order:?}\nplaybook: {json}\nevents (BASE +): {shown:?}",
            now - BASE
        )
    };
    let want = json!({
        "state": "erased", "since": erased, "nextTransitionAt": null, "reactivatedAt": null, "ghost": false,
        "showedIntent": false,
    });
    prop_assert_eq!(&got.lifecycle, &want, "lifecycle — {}", ctx());
    let gate = json!({ "gate": "erased", "since": erased });
    prop_assert_eq!(&got.email, &("deny".to_string(), Some(gate.clone())), "send.email — {}", ctx());
    prop_assert_eq!(&got.sms, &("deny".to_string(), Some(gate)), "send.sms — {}", ctx());
    prop_assert_eq!(&got.retargeting, &json!({ "status": "excluded", "why": "erased" }), "retargeting — {}", ctx());
    prop_assert_eq!(got.members, [false; 4], "segments — {}", ctx());
    let suppressed = list
        .iter()
        .any(|(t, e)| *t <= erased && matches!(e, Ev::Bounce(None | Some("hard" | "spam_trap")) | Ev::Complaint));
    let dnc = d["send"]["email"]["reasons"].as_array().is_some_and(|g| g.iter().any(|g| g["gate"] == "doNotContact"));
    // Only this way: an unsubscribe, or a bounce stamped after the erasure but folded before it, may deny too.
    prop_assert!(dnc || !suppressed, "a bounce or complaint before the erasure stays suppressed — {}", ctx());
    prop_assert_eq!(d["validUntil"].as_i64(), None, "validUntil — {}", ctx());
    Ok(())
}

/// Found by the oracle: a `lifecycle` segment's `nextFlipAt` named the phase's own end (cold, here, which keeps the
/// contact in `lapsing`) and not an erasure stamped after `now` that the state already held.
#[test]
fn a_lifecycle_segment_flips_at_an_erasure_stamped_after_now() {
    let rules = Rules {
        cooling: DAY,
        cold: 2 * DAY,
        cycle: false,
        cold_key: false,
        manual: true,
        soft: DAY,
        deadline: 72 * H,
        min_opens: 1,
        no_click: DAY,
        erase_on: [false; 3],
        intent: vec![],
        engage_login: false,
    };
    let list = [(BASE, Ev::Open { machine: false }), (BASE + 33 * H, Ev::Erasure)];
    let mut m = Model::default();
    m.apply(&rules, BASE, Ev::Open { machine: false });
    m.apply(&rules, BASE + 33 * H, Ev::Erasure);
    assert_eq!(m.next_flips(&rules, BASE + 33 * H - 1)[0], Some(BASE + 33 * H));
    check(&rules, &list, &[When::Event(1, -1)], &[], true).unwrap();
}

/// A click delivered late, older than every open of the current run, ends no part of that run (§ lifecycle "Late
/// events": an event older than ones already folded counts by its own time): the opens came after it. The fold
/// reset the run, so two opens without a click for 5 days were not a ghost run when the webhook came late.
#[test]
fn a_late_click_older_than_the_runs_opens_leaves_the_run() {
    let rules = Rules {
        cooling: 30 * DAY,
        cold: 60 * DAY,
        cycle: false,
        cold_key: false,
        manual: false,
        soft: DAY,
        deadline: 72 * H,
        min_opens: 2,
        no_click: 5 * DAY,
        erase_on: [false; 3],
        intent: vec![],
        engage_login: false,
    };
    let list = [
        (BASE, Ev::Click { machine: false }),
        (BASE + 12 * H, Ev::Click { machine: false }),
        (BASE + DAY, Ev::Open { machine: false }),
        (BASE + 2 * DAY, Ev::Open { machine: false }),
    ];
    let pb = Playbook::parse(&serde_json::from_value::<Value>(playbook_json(&rules)).unwrap()).unwrap();
    let evs: Vec<serde_json::Value> = list.iter().enumerate().map(|(i, (t, e))| event_json(i, *t, *e)).collect();
    let events =
        Event::parse_list(&serde_json::from_value::<Value>(serde_json::Value::Array(evs)).unwrap(), "e").unwrap();
    let mut m = Model::default();
    list.iter().for_each(|(t, e)| m.apply(&rules, *t, *e));
    let now = BASE + 12 * H + 5 * DAY;
    assert!(m.ghost(&rules, now) && !m.ghost(&rules, now - 1));
    // The click at 12:00 arrives after the opens.
    let mut state = ContactState::new();
    state.fold(&pb, &[events[0].clone(), events[2].clone(), events[3].clone()]);
    state.fold(&pb, &[events[1].clone()]);
    for t in [now - 1, now] {
        let d = serde_json::to_value(decide(&pb, &state, Timestamp::from_ms(t).unwrap())).unwrap();
        assert_eq!(engine_out(&d).lifecycle, m.out(&rules, t).lifecycle, "at now {:+} ms", t - now);
    }
}
