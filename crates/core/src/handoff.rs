//! The sales handoff packet (D19): for an SQL, the lead source, the last 5 interactions, assets and pages
//! seen, the score with its top reasons, and the SLA due time.
//!
//! ```text
//! "handoff": { "business_hours": "09:00-17:00", "days": "mon-fri", "sla": "15min", "max": "2h",
//!              "timezone": "Europe/Warsaw", "assets": ["ebook", "webinar_attended"] }
//! ```
//!
//! SLA (DESIGN §7), counted in **business time** in the sales team's zone: `min(sla, max)` of open business
//! hours after the contact became SQL. Within business hours that is 15 min after becoming SQL; outside, 15 min
//! after business hours open; never more than `max` (2 h) of business time. `assets` defaults to every signal
//! of kind `form_submit`, `webinar_registered`, `webinar_attended` or `custom:*`.
//!
//! The packet is as of the decision's `now`: an event stamped after it (a skewed clock, a late batch) is not yet
//! an interaction, an asset, a page or the source, and a stage entry or a disqualification stamped after it does
//! not move the SLA, so sales reads at `now` what happened by `now`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::error::ProblemCode;
use crate::event::EventKind;
use crate::explain::Reason;
use crate::playbook::compiled::compiled_struct;
use crate::playbook::reader::{index, Reader};
use crate::playbook::signal::Declared;
use crate::playbook::Playbook;
use crate::stage::{Scores, Stage};
use crate::state::attribution::kind_name;
use crate::state::track::Latest;
use crate::state::ContactState;
use crate::time::{quote, Span, Timestamp};
use crate::value::Value;
use crate::zone::{LocalWindow, Weekdays, Zone};

/// How many reasons the packet's `topReasons` lists.
const TOP_REASONS: usize = 5;

/// The `handoff` section, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct HandoffRules {
    hours: LocalWindow,
    sla: Span,
    max: Span,
    zone: Zone,
    /// Signal indices that are assets (downloads, webinars).
    assets: Vec<usize>,
}

compiled_struct!(HandoffRules { hours, sla, max, zone, assets });

/// Where the lead came from: the first page view that carried UTM parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// `utm_source`.
    pub utm_source: Option<String>,
    /// `utm_medium`.
    pub utm_medium: Option<String>,
    /// `utm_campaign`.
    pub utm_campaign: Option<String>,
    /// The referrer of that page view.
    pub referrer: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// One recent interaction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InteractionView {
    /// The event kind (`custom` for site-defined events: `signal` names them when one matched).
    pub kind: &'static str,
    /// The first playbook signal it matched.
    pub signal: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// A signal the contact showed by `now`, with how often.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalSeen {
    /// The signal id.
    pub signal: String,
    /// Occurrences at or before `now`: all of them, unless occurrences stamped after `now` took the places of
    /// the older instants in the state; then only those known to lie before `now` (the first), with `lastAt` null.
    pub count: u32,
    /// The first.
    pub first_at: Option<Timestamp>,
    /// The latest at or before `now`; null when it is not known (see `count`).
    pub last_at: Option<Timestamp>,
}

/// A rule's contribution to the score.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopReason {
    /// The rule's path.
    pub rule: String,
    /// The rule's id.
    pub id: String,
    /// Its points now (after decay).
    pub points: f64,
}

/// The packet sales gets for an SQL (D19).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Handoff {
    /// When the contact became SQL.
    pub sql_at: Timestamp,
    /// When sales must have contacted the lead (SLA).
    pub due_at: Timestamp,
    /// `now ≥ dueAt`.
    pub overdue: bool,
    /// Lead source (first UTM touch), if one was seen.
    pub source: Option<Source>,
    /// The last interactions at or before `now`, newest first: 5, or fewer when there were fewer, or when
    /// interactions stamped after `now` took the places of older ones in the state's ring of 5.
    pub last_interactions: Vec<InteractionView>,
    /// Assets (downloads, webinars) seen, latest first.
    pub assets: Vec<SignalSeen>,
    /// Page signals seen, latest first.
    pub pages: Vec<SignalSeen>,
    /// Scores now.
    pub score: Scores,
    /// The largest contributions to the score, largest first.
    pub top_reasons: Vec<TopReason>,
}

impl HandoffRules {
    /// The SLA due time for a contact who became SQL at `sql_at`: `min(sla, max)` of business time later.
    pub(crate) fn due(&self, sql_at: Timestamp) -> Timestamp {
        let mut left = self.sla.ms().min(self.max.ms());
        let mut t = sql_at;
        // The SLA ends within days of `sql_at`: the zone's offset there is settled once, not per window.
        let zone = self.zone.clone().settled(sql_at);
        // Each turn consumes one open window (or moves to the next): parsing keeps the SLA within 365 windows.
        for _ in 0..1_000 {
            if self.hours.contains(&zone, t) {
                let end = self.hours.next_end(&zone, t);
                let open = end.since(t);
                if left <= open {
                    return Timestamp::from_ms(t.ms().saturating_add(left)).unwrap_or(end);
                }
                left -= open;
                t = end;
            } else {
                let start = self.hours.next_start(&zone, t);
                if start <= t {
                    break;
                }
                t = start;
            }
        }
        t
    }
}

/// The signal as seen by `now`. The instants the state dropped lie between the first and the oldest kept one,
/// so they all lie before `now` once a kept one does; when every kept one lies after `now`, only the first is
/// known to (and, with more than one dropped, not which of them was the latest).
fn seen(pb: &Playbook, state: &ContactState, signal: usize, now: Timestamp) -> Option<SignalSeen> {
    let s = pb.signals.get(signal)?;
    let track = state.signals.get(&s.key)?;
    let first = track.first.filter(|f| *f <= now)?;
    let kept = track.recent.iter().filter(|t| **t <= now).count() as u32;
    let count = if kept > 0 { kept.saturating_add(track.dropped()) } else { 1 };
    let last_at = match track.latest_by(now) {
        Latest::At(t) => Some(t),
        Latest::Never | Latest::Between(..) => None,
    };
    Some(SignalSeen { signal: s.id.clone(), count, first_at: Some(first), last_at })
}

fn latest_first(mut list: Vec<SignalSeen>) -> Vec<SignalSeen> {
    crate::vecmap::sort_small_by(&mut list, |a, b| a.last_at > b.last_at);
    list
}

/// The packet at `now` for a contact at `stage`; `None` below SQL or without a `handoff` section. `funnel` is
/// the funnel as at `now` ([`ContactState::funnel_at`]): an SQL bar that began to hold on its own since the
/// latest event (a negative score fading) starts the SLA where it began, not at each later `now`.
pub(crate) fn packet(
    pb: &Playbook,
    state: &ContactState,
    funnel: &[(Stage, Timestamp)],
    stage: Stage,
    scores: Scores,
    reasons: &[Reason],
    now: Timestamp,
) -> Option<Handoff> {
    let rules = pb.handoff.as_ref()?;
    if stage < Stage::Sql {
        return None;
    }
    let since = state.recycled_at(now);
    let sql_at = funnel
        .iter()
        .filter(|(s, t)| *s >= Stage::Sql && *t <= now && since.is_none_or(|r| *t > r))
        .map(|(_, t)| *t)
        .min()
        .unwrap_or(now);
    let due_at = rules.due(sql_at);
    let a = &state.attribution;
    let source = a.first_touch.as_ref().filter(|f| f.at <= now).map(|f| Source {
        utm_source: f.utm_source.clone(),
        utm_medium: f.utm_medium.clone(),
        utm_campaign: f.utm_campaign.clone(),
        referrer: f.referrer.clone(),
        at: f.at,
    });
    let signal_id = |key: u32| pb.signals.iter().find(|s| s.key == key).map(|s| s.id.clone());
    let last_interactions = a
        .interactions
        .iter()
        .filter(|i| i.at <= now)
        .map(|i| InteractionView { kind: kind_name(i.kind), signal: i.signal.and_then(signal_id), at: i.at })
        .collect();
    let assets = latest_first(rules.assets.iter().filter_map(|i| seen(pb, state, *i, now)).collect());
    let pages = (0..pb.signals.len())
        .filter(|i| pb.signals.get(*i).is_some_and(|s| s.kind == EventKind::PageView))
        .filter_map(|i| seen(pb, state, i, now))
        .collect();
    let mut top: Vec<TopReason> = reasons
        .iter()
        .filter_map(|r| match r {
            Reason::FitRule { rule, id, points, .. } => {
                Some(TopReason { rule: rule.clone(), id: id.clone(), points: *points })
            }
            Reason::IntentRule { rule, id, decayed_to, .. } => {
                Some(TopReason { rule: rule.clone(), id: id.clone(), points: *decayed_to })
            }
            _ => None,
        })
        .filter(|r| r.points != 0.0)
        .collect();
    crate::vecmap::sort_small_by(&mut top, |a, b| b.points.abs() < a.points.abs());
    top.truncate(TOP_REASONS);
    Some(Handoff {
        sql_at,
        due_at,
        overdue: now >= due_at,
        source,
        last_interactions,
        assets,
        pages: latest_first(pages),
        score: scores,
        top_reasons: top,
    })
}

/// The first instant after `now` at which an event stamped after it joins the packet (an interaction, the
/// source, an asset or a page): the packet as of `now` is valid until then, so `validUntil` names it.
pub(crate) fn next_change(pb: &Playbook, state: &ContactState, now: Timestamp) -> Option<Timestamp> {
    let rules = pb.handoff.as_ref()?;
    let a = &state.attribution;
    let mut next: Option<Timestamp> = None;
    let mut see = |t: Timestamp| {
        if t > now && next.is_none_or(|n| t < n) {
            next = Some(t);
        }
    };
    for i in &a.interactions {
        see(i.at);
    }
    if let Some(f) = &a.first_touch {
        see(f.at);
    }
    for (i, s) in pb.signals.iter().enumerate() {
        if s.kind == EventKind::PageView || rules.assets.contains(&i) {
            if let Some(track) = state.signals.get(&s.key) {
                track.recent.iter().chain(&track.first).for_each(|t| see(*t));
            }
        }
    }
    next
}

/// Parses `handoff`: `{ "business_hours"?, "days"?, "sla"?, "max"?, "timezone"?, "assets"? }`.
pub(crate) fn parse_handoff(r: &mut Reader, v: &Value, signals: &Declared) -> Option<HandoffRules> {
    let keys = ["business_hours", "days", "sla", "max", "timezone", "assets"];
    let o = r.object(v, "handoff", &keys)?;
    let before = r.problems.len();
    let text = |r: &mut Reader, key: &str, default: &'static str| match o.get(key) {
        Some(v) => r.string(v, &o.at(key)).map(String::from),
        None => Some(String::from(default)),
    };
    let hours = text(r, "business_hours", "09:00-17:00").and_then(|h| match LocalWindow::parse(&h) {
        Ok(w) => Some(w),
        Err(msg) => {
            r.problem(o.at("business_hours"), ProblemCode::OutOfRange, msg);
            None
        }
    });
    let days = text(r, "days", "mon-fri").and_then(|d| match Weekdays::parse(&d) {
        Ok(d) => Some(d),
        Err(msg) => {
            r.problem(o.at("days"), ProblemCode::OutOfRange, msg);
            None
        }
    });
    let span = |r: &mut Reader, key: &str, default: Span| match o.get(key) {
        Some(v) => r.span(v, &o.at(key)),
        None => Some(default),
    };
    let sla = span(r, "sla", Span::from_ms(15 * 60_000).unwrap_or(Span::hours(1)));
    let max = span(r, "max", Span::hours(2));
    let zone = text(r, "timezone", "UTC").and_then(|z| match Zone::parse(&z) {
        Ok(zone) => Some(zone),
        Err(msg) => {
            r.problem(o.at("timezone"), ProblemCode::OutOfRange, msg);
            None
        }
    });
    let assets = match o.get("assets").map(|a| (a, r.array(a, &o.at("assets")))) {
        None => (0..signals.signals.len())
            .filter(|i| {
                signals.signals.get(*i).is_some_and(|s| {
                    matches!(
                        s.kind,
                        EventKind::FormSubmit
                            | EventKind::WebinarRegistered
                            | EventKind::WebinarAttended
                            | EventKind::Custom(_)
                    )
                })
            })
            .collect(),
        Some((_, None)) => Vec::new(),
        Some((_, Some(list))) => {
            let mut found: Vec<usize> = Vec::new();
            for (i, item) in list.iter().enumerate() {
                let at = index(&o.at("assets"), i);
                let Some(name) = r.string(item, &at) else { continue };
                let Some(signal) = signals.resolve(r, name, &at) else { continue };
                // Twice listed, twice in every packet, as if two things had been downloaded.
                if found.contains(&signal) {
                    r.problem(at, ProblemCode::DuplicateId, format!("\"{}\" is listed twice", quote(name)));
                } else {
                    found.push(signal);
                }
            }
            found
        }
    };
    let hours = hours.zip(days).and_then(|(h, d)| match h.on(d) {
        Ok(w) => Some(w),
        Err(msg) => {
            r.problem(o.at("days"), ProblemCode::OutOfRange, msg);
            None
        }
    });
    // `due` walks the SLA window by window, 1000 turns at most: 365 windows' worth (2920 h of `09:00-17:00`) leaves
    // room for the windows DST shortens. Longer is years of business time, calendar time written as business time.
    if let (Some(h), Some(sla), Some(max)) = (hours, sla, max) {
        let (key, budget) = if sla <= max { ("sla", sla) } else { ("max", max) };
        let minutes = (i64::from(h.to().minutes()) + 1439 - i64::from(h.from().minutes())) % 1440 + 1;
        let most = Span::minutes(365 * minutes);
        if budget > most {
            let msg = format!("expected at most 365 windows of business hours ({most}), got \"{budget}\"");
            r.problem(o.at(key), ProblemCode::OutOfRange, msg);
        }
    }
    if r.problems.len() != before {
        return None;
    }
    Some(HandoffRules { hours: hours?, sla: sla?, max: max?, zone: zone?, assets })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn rules(sla: &str, max: &str) -> HandoffRules {
        let hours = LocalWindow::parse("09:00-17:00").unwrap().on(Weekdays::parse("mon-fri").unwrap()).unwrap();
        let (sla, max) = (Span::parse_str(sla).unwrap(), Span::parse_str(max).unwrap());
        HandoffRules { hours, sla, max, zone: Zone::find("Europe/Warsaw").unwrap(), assets: Vec::new() }
    }

    /// SQL at the local (Warsaw, winter UTC+1) time `sql`, due at local `due` — both `2025-11-DDTHH:MM`.
    fn sla_test(sla: &str, max: &str, sql: &str, due: &str) {
        let utc = |local: &str| {
            let v = Value::String(alloc::format!("{local}:00+01:00"));
            Timestamp::parse(&v, "t").unwrap()
        };
        assert_eq!(rules(sla, max).due(utc(sql)), utc(due), "sql at {sql}");
    }

    #[test]
    fn sla_counts_business_time_in_the_sales_zone() {
        sla_test("15min", "2h", "2025-11-26T10:00", "2025-11-26T10:15"); // Wednesday, inside hours
        sla_test("15min", "2h", "2025-11-28T18:00", "2025-12-01T09:15"); // Friday evening → Monday
        sla_test("15min", "2h", "2025-11-29T12:00", "2025-12-01T09:15"); // Saturday → Monday
        sla_test("15min", "2h", "2025-11-25T16:50", "2025-11-26T09:05"); // 10 min today, 5 tomorrow
        sla_test("15min", "2h", "2025-11-25T07:30", "2025-11-25T09:15"); // before opening
        sla_test("15min", "2h", "2025-11-25T16:45", "2025-11-25T17:00"); // exactly at closing
        sla_test("4h", "2h", "2025-11-27T16:00", "2025-11-28T10:00"); // capped at 2 h of business time
    }

    /// Across a weekend that changes the clocks, Monday opens at 09:00 on Monday's clock (the zone's offset at
    /// `sql_at` does not carry over): Warsaw springs forward on Sunday 2026-03-29 (UTC+1 → UTC+2) and falls
    /// back on Sunday 2026-10-25 (UTC+2 → UTC+1).
    #[test]
    fn a_weekend_that_changes_the_clocks_opens_monday_at_nine_local() {
        let at = |s: &str| Timestamp::parse(&Value::String(s.into()), "t").unwrap();
        let r = rules("15min", "2h");
        assert_eq!(r.due(at("2026-03-27T18:00:00+01:00")), at("2026-03-30T09:15:00+02:00"));
        assert_eq!(r.due(at("2026-10-23T18:00:00+02:00")), at("2026-10-26T09:15:00+01:00"));
        // 10 min before Friday's close, 5 min after Monday's opening on the new clock.
        assert_eq!(r.due(at("2026-03-27T16:50:00+01:00")), at("2026-03-30T09:05:00+02:00"));
        // A 2 h cap spread over Friday (1 h) and Monday (1 h) after the clocks fell back.
        assert_eq!(rules("4h", "2h").due(at("2026-10-23T16:00:00+02:00")), at("2026-10-26T10:00:00+01:00"));
    }
}
