//! Intent: rules over signals → points that decay, expire and are capped.
//!
//! Each rule keeps one accumulator in the state (value, last matching event, count): a decision needs no event
//! history. Half-life decay is exact under any event order (a late event is rebased to the accumulator's
//! instant, `p·2^(−Δ/h)`); linear decay and caps are exact for events folded in time order, which is what a
//! batch fold guarantees by sorting.

use alloc::string::String;
use alloc::vec::Vec;

use crate::decay::Decay;
use crate::error::ProblemCode;
use crate::explain::{Reason, Sink};
use crate::playbook::compiled::{compiled_struct, Compiled, In, Out};
use crate::playbook::reader::{index, Reader};
use crate::playbook::signal::{key_of, Declared, Signal};
use crate::time::{Span, Timestamp};
use crate::value::Value;

/// A compiled intent rule.
#[derive(Debug, Clone, PartialEq)]
pub struct IntentRule {
    pub(crate) id: String,
    pub(crate) key: u32,
    pub(crate) path: String,
    pub(crate) signal: usize,
    pub(crate) points: f64,
    pub(crate) decay: Decay,
    pub(crate) expire_after: Option<Span>,
    pub(crate) cap: Option<f64>,
}

/// The key is not written: it is rebuilt from the id, as the reader builds it.
impl Compiled for IntentRule {
    fn put(&self, out: &mut Out) {
        let IntentRule { id, key: _, path, signal, points, decay, expire_after, cap } = self;
        id.put(out);
        path.put(out);
        signal.put(out);
        points.put(out);
        decay.put(out);
        expire_after.put(out);
        cap.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        let id = String::get(r);
        let key = key_of("intent", &id);
        IntentRule {
            id,
            key,
            path: Compiled::get(r),
            signal: Compiled::get(r),
            points: r.points(),
            decay: Compiled::get(r),
            expire_after: Compiled::get(r),
            cap: r.points_if_any(),
        }
    }
}

/// The intent group: rules plus an optional `max`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IntentGroup {
    pub(crate) rules: Vec<IntentRule>,
    pub(crate) max: Option<f64>,
}

compiled_struct!(IntentGroup { rules, max });

/// A rule's running state: what a decision needs instead of the event history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accumulator {
    /// Points in play at `last`, after decay and cap.
    pub value: f64,
    /// The latest matching event.
    pub last: Timestamp,
    /// Matching events since the last expiry.
    pub count: u32,
    /// Whether the cap clipped the value.
    pub capped: bool,
}

impl IntentRule {
    fn expired(&self, last: Timestamp, at: Timestamp) -> bool {
        self.expire_after.is_some_and(|e| at.since(last) >= e.ms())
    }

    /// Folds one matching event at `t` into the accumulator.
    pub(crate) fn grant(&self, acc: Option<Accumulator>, t: Timestamp) -> Accumulator {
        let fresh = Accumulator { value: 0.0, last: t, count: 0, capped: false };
        let mut acc = match acc {
            Some(a) if t >= a.last && self.expired(a.last, t) => fresh,
            Some(a) => a,
            None => fresh,
        };
        if t >= acc.last {
            acc.value = self.decay.apply(acc.value, t.since(acc.last)) + self.points;
            acc.last = t;
        } else if self.expired(t, acc.last) {
            // A late event whose points would already have expired by the accumulator's instant.
            return acc;
        } else {
            acc.value += self.decay.apply(self.points, acc.last.since(t));
        }
        acc.count = acc.count.saturating_add(1);
        if let Some(cap) = self.cap {
            if acc.value > cap {
                acc.value = cap;
                acc.capped = true;
            }
        }
        acc
    }

    /// The contribution at `now`; its reason goes to `reasons`.
    pub(crate) fn contribution(
        &self,
        acc: &Accumulator,
        signal: &Signal,
        now: Timestamp,
        reasons: &mut Sink<'_>,
    ) -> f64 {
        if let (true, Some(e)) = (self.expired(acc.last, now), self.expire_after) {
            reasons.push(|| Reason::RuleExpired {
                rule: self.path.clone(),
                id: self.id.clone(),
                signal: signal.id.clone(),
                last_at: acc.last,
                expired_at: acc.last.plus(e),
            });
            return 0.0;
        }
        let value = self.decay.apply(acc.value, now.since(acc.last));
        reasons.push(|| Reason::IntentRule {
            rule: self.path.clone(),
            id: self.id.clone(),
            signal: signal.id.clone(),
            count: acc.count,
            points: f64::from(acc.count) * self.points,
            decayed_to: value,
            last_at: acc.last,
            capped: acc.capped,
        });
        value
    }

    /// Whether the rule's points stay forever (no decay, no expiry).
    pub(crate) fn is_permanent(&self) -> bool {
        self.decay == Decay::None && self.expire_after.is_none()
    }

    /// The signal this rule counts.
    pub(crate) fn signal_index(&self) -> usize {
        self.signal
    }
}

pub(crate) fn parse_intent(r: &mut Reader, v: &Value, signals: &Declared) -> IntentGroup {
    let mut group = IntentGroup::default();
    let Some(obj) = r.object(v, "scores.intent", &["rules", "max"]) else {
        return group;
    };
    group.max = obj.get("max").and_then(|m| r.number(m, &obj.at("max")));
    let Some(rules) = r.required(&obj, "rules").and_then(|v| r.array(v, &obj.at("rules"))) else {
        return group;
    };
    let mut seen: Vec<String> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let path = index(&obj.at("rules"), i);
        let Some(ro) = r.object(rule, &path, &["id", "signal", "points", "decay", "expire_after", "cap"]) else {
            continue;
        };
        let signal_name = r.required(&ro, "signal").and_then(|s| r.string(s, &ro.at("signal")));
        let signal = signal_name.and_then(|name| signals.resolve(r, name, &ro.at("signal")));
        let points = r.required(&ro, "points").and_then(|p| r.points(p, &ro.at("points")));
        let decay = match ro.get("decay") {
            None => Some(Decay::None),
            Some(d) => parse_decay(r, d, &ro.at("decay"), points.unwrap_or(0.0)),
        };
        let expire_after = ro.get("expire_after").map(|e| r.span(e, &ro.at("expire_after")));
        let cap = ro.get("cap").map(|c| {
            let cap = r.points(c, &ro.at("cap"))?;
            if cap <= 0.0 || points.is_some_and(|p| p <= 0.0) {
                r.problem(ro.at("cap"), ProblemCode::OutOfRange, "a cap must be positive and needs positive points");
                return None;
            }
            Some(cap)
        });
        let id = r.rule_id(&ro, signal_name, &mut seen, "scores.intent.rules");
        if let (Some(id), Some(signal), Some(points), Some(decay), Some(expire_after), Some(cap)) = (
            id,
            signal,
            points,
            decay,
            expire_after.map_or(Some(None), |e| e.map(Some)),
            cap.map_or(Some(None), |c| c.map(Some)),
        ) {
            let key = key_of("intent", &id);
            group.rules.push(IntentRule { id, key, path, signal, points, decay, expire_after, cap });
        }
    }
    group
}

fn parse_decay(r: &mut Reader, v: &Value, path: &str, points: f64) -> Option<Decay> {
    let obj = r.object(v, path, &["half_life", "linear"])?;
    match (obj.get("half_life"), obj.get("linear")) {
        (Some(h), None) => r.span(h, &obj.at("half_life")).map(Decay::HalfLife),
        (None, Some(l)) => r.span(l, &obj.at("linear")).map(|over| Decay::Linear { over, points }),
        (Some(_), Some(_)) => {
            r.problem(path, ProblemCode::UnknownField, "give one of half_life or linear, not both");
            None
        }
        (None, None) => {
            if obj.is_empty() {
                r.problem(path, ProblemCode::MissingField, "expected {\"half_life\": \"7d\"} or {\"linear\": \"30d\"}");
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(decay: Decay, expire: Option<i64>, cap: Option<f64>) -> IntentRule {
        IntentRule {
            id: "r".into(),
            key: 0,
            path: "scores.intent.rules[0]".into(),
            signal: 0,
            points: 10.0,
            decay,
            expire_after: expire.map(Span::days),
            cap,
        }
    }

    fn day(n: i64) -> Timestamp {
        Timestamp::EPOCH.plus(Span::days(n))
    }

    #[test]
    fn late_events_rebase_exactly_under_half_life() {
        let r = rule(Decay::HalfLife(Span::days(7)), None, None);
        let in_order = r.grant(Some(r.grant(None, day(0))), day(7));
        let reversed = r.grant(Some(r.grant(None, day(7))), day(0));
        assert_eq!(in_order.value, 15.0);
        assert_eq!(reversed.value, 15.0);
        assert_eq!(in_order.last, reversed.last);
    }

    #[test]
    fn cap_clips_and_is_flagged() {
        let r = rule(Decay::None, None, Some(25.0));
        let mut acc = None;
        for _ in 0..3 {
            acc = Some(r.grant(acc, day(1)));
        }
        let acc = acc.unwrap_or_else(|| r.grant(None, day(1)));
        assert_eq!((acc.value, acc.capped, acc.count), (25.0, true, 3));
    }

    #[test]
    fn expiry_resets_before_the_next_grant() {
        let r = rule(Decay::None, Some(30), None);
        let acc = r.grant(Some(r.grant(None, day(0))), day(30));
        assert_eq!((acc.value, acc.count), (10.0, 1));
        let acc = r.grant(Some(r.grant(None, day(0))), day(29));
        assert_eq!((acc.value, acc.count), (20.0, 2));
    }
}
