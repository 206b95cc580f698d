//! Readiness (cold / warm / hot, D17) and stage bars (lead → MQL → SQL, D15–D16).
//!
//! A bar combines score minimums with windowed conditions ("pricing visit within 7d"); it is met iff
//! (every `min` and every `all` condition holds and, when `any` is non-empty, one of `any` holds) or one `direct`
//! condition holds (a direct request). Bars are monotone in scores and occurrences, so between events they
//! can only stop holding: checking them at every event instant finds the first instant each was met.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use crate::error::ProblemCode;
use crate::explain::{Reason, Sink};
use crate::playbook::compiled::{compiled_enum, compiled_struct};
use crate::playbook::reader::{index, Reader};
use crate::playbook::signal::{Declared, Signal};
use crate::score::fit::FitGroup;
use crate::score::intent::IntentGroup;
use crate::segment::condition::{Cmp, Cond};
use crate::time::{quote, short_number, Span, Timestamp};
use crate::value::Value;

/// Funnel stage; forward-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Known, not yet qualified.
    Lead,
    /// Marketing-qualified.
    Mql,
    /// Sales-qualified.
    Sql,
    /// In an active sales conversation (a deal is open).
    Opportunity,
    /// Bought (a purchase, or a won deal).
    Customer,
}

compiled_enum!(Stage { 0 => Lead, 1 => Mql, 2 => Sql, 3 => Opportunity, 4 => Customer });

impl Stage {
    pub(crate) fn code(self) -> u8 {
        match self {
            Stage::Lead => 0,
            Stage::Mql => 1,
            Stage::Sql => 2,
            Stage::Opportunity => 3,
            Stage::Customer => 4,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Stage> {
        [Stage::Lead, Stage::Mql, Stage::Sql, Stage::Opportunity, Stage::Customer]
            .into_iter()
            .find(|s| s.code() == code)
    }

    /// Parses a stage name as playbooks write it.
    pub fn parse(name: &str) -> Option<Stage> {
        [Stage::Lead, Stage::Mql, Stage::Sql, Stage::Opportunity, Stage::Customer]
            .into_iter()
            .find(|s| s.name() == name)
    }

    /// The name as playbooks and decisions write it.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Lead => "lead",
            Stage::Mql => "mql",
            Stage::Sql => "sql",
            Stage::Opportunity => "opportunity",
            Stage::Customer => "customer",
        }
    }
}

/// Readiness for content and CTA (D17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Readiness {
    /// Education.
    Cold,
    /// Consideration.
    Warm,
    /// Decision.
    Hot,
}

compiled_enum!(Readiness { 0 => Cold, 1 => Warm, 2 => Hot });

/// Which score a threshold reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreKind {
    /// Profile fit.
    Fit,
    /// Behavioural intent, after decay.
    Intent,
    /// `fit + intent`.
    Total,
}

compiled_enum!(ScoreKind { 0 => Fit, 1 => Intent, 2 => Total });

impl ScoreKind {
    fn name(self) -> &'static str {
        match self {
            ScoreKind::Fit => "fit",
            ScoreKind::Intent => "intent",
            ScoreKind::Total => "total",
        }
    }
}

/// The three scores at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    /// Profile fit.
    pub fit: f64,
    /// Behavioural intent after decay.
    pub intent: f64,
    /// `fit + intent`.
    pub total: f64,
}

impl Scores {
    /// A score by kind.
    pub fn get(&self, kind: ScoreKind) -> f64 {
        match kind {
            ScoreKind::Fit => self.fit,
            ScoreKind::Intent => self.intent,
            ScoreKind::Total => self.total,
        }
    }
}

/// Readiness thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct ReadinessRule {
    on: ScoreKind,
    warm: f64,
    hot: f64,
}

compiled_struct!(ReadinessRule { on, warm, hot });

/// "The signal happened at least `at_least` times within the last `within`."
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub(crate) path: String,
    pub(crate) signal: usize,
    pub(crate) within: Span,
    pub(crate) at_least: u32,
}

compiled_struct!(Condition { path, signal, within, at_least });

/// A stage bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    path: String,
    min: Vec<(ScoreKind, f64)>,
    all: Vec<Condition>,
    any: Vec<Condition>,
    direct: Vec<Condition>,
}

compiled_struct!(Bar { path, min, all, any, direct });

/// The `stages` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Stages {
    pub(crate) readiness: Option<ReadinessRule>,
    pub(crate) mql: Option<Bar>,
    pub(crate) sql: Option<Bar>,
    /// How long a recycled (disqualified) contact waits before its bars count again (D21: 60 d).
    pub(crate) recycle_for: Span,
}

compiled_struct!(Stages { readiness, mql, sql, recycle_for });

impl Default for Stages {
    fn default() -> Self {
        Stages { readiness: None, mql: None, sql: None, recycle_for: Span::days(60) }
    }
}

/// Counts occurrences of a signal within a window at an instant (answered by the contact state).
pub(crate) trait Occurrences {
    fn count_within(&self, signal: &Signal, within: Span, now: Timestamp) -> u32;
}

impl ReadinessRule {
    /// The score readiness reads.
    pub(crate) fn on(&self) -> ScoreKind {
        self.on
    }

    /// The warm and hot thresholds.
    pub(crate) fn thresholds(&self) -> [f64; 2] {
        [self.warm, self.hot]
    }

    pub(crate) fn evaluate(&self, scores: &Scores, reasons: &mut Sink<'_>) -> Readiness {
        let actual = scores.get(self.on);
        let warm = actual >= self.warm;
        let hot = actual >= self.hot;
        for (name, needed, met) in [("warm", self.warm, warm), ("hot", self.hot, hot)] {
            reasons.push(|| Reason::Threshold {
                bar: format!("stages.readiness.{name}"),
                score: self.on,
                needed,
                actual,
                met,
            });
        }
        match (hot, warm) {
            (true, _) => Readiness::Hot,
            (false, true) => Readiness::Warm,
            (false, false) => Readiness::Cold,
        }
    }
}

impl Bar {
    /// Whether the bar holds; pushes its reasons when `reasons` is given.
    pub(crate) fn check(
        &self,
        scores: &Scores,
        signals: &[Signal],
        seen: &impl Occurrences,
        now: Timestamp,
        reasons: &mut Sink<'_>,
    ) -> bool {
        let mut mins = true;
        for (kind, needed) in &self.min {
            let actual = scores.get(*kind);
            let met = actual >= *needed;
            mins &= met;
            reasons.push(|| Reason::Threshold {
                bar: format!("{}.min.{}", self.path, kind.name()),
                score: *kind,
                needed: *needed,
                actual,
                met,
            });
        }
        let mut holds = |c: &Condition| {
            let Some(signal) = signals.get(c.signal) else {
                return false;
            };
            let counted = seen.count_within(signal, c.within, now);
            let met = counted >= c.at_least;
            reasons.push(|| Reason::Window {
                condition: c.path.clone(),
                signal: signal.id.clone(),
                counted,
                needed: c.at_least,
                window: c.within,
                met,
            });
            met
        };
        // Evaluate every condition (no short-circuit) so the reasons are complete.
        let all = self.all.iter().map(&mut holds).fold(true, |a, b| a & b);
        let any = self.any.iter().map(&mut holds).fold(self.any.is_empty(), |a, b| a | b);
        let direct = self.direct.iter().map(&mut holds).fold(false, |a, b| a | b);
        // A bar made only of `direct` conditions has no main clause: it is met only by a direct request.
        let has_main = !self.min.is_empty() || !self.all.is_empty() || !self.any.is_empty();
        (has_main && mins && all && any) || direct
    }

    /// D11, DESIGN §7: the behavioural score this bar asks for no longer holds — `intent` under its `intent`
    /// minimum, else `total` under its `total` minimum; for a bar without either, the bar as a whole failing.
    pub(crate) fn score_slipped(&self, scores: &Scores, holds_now: bool) -> bool {
        let min = |kind: ScoreKind| self.min.iter().find(|(k, _)| *k == kind).map(|(_, n)| *n);
        match (min(ScoreKind::Intent), min(ScoreKind::Total)) {
            (Some(needed), _) => scores.intent < needed,
            (None, Some(needed)) => scores.total < needed,
            (None, None) => !holds_now,
        }
    }

    /// The score minimums.
    pub(crate) fn minimums(&self) -> impl Iterator<Item = (ScoreKind, f64)> + '_ {
        self.min.iter().copied()
    }

    pub(crate) fn conditions(&self) -> impl Iterator<Item = &Condition> {
        self.all.iter().chain(&self.any).chain(&self.direct)
    }
}

pub(crate) fn parse_stages(r: &mut Reader, v: &Value, signals: &Declared) -> Stages {
    let mut stages = Stages::default();
    let Some(obj) = r.object(v, "stages", &["readiness", "mql", "sql", "recycle_for"]) else {
        return stages;
    };
    if let Some(s) = obj.get("recycle_for").and_then(|s| r.span(s, &obj.at("recycle_for"))) {
        stages.recycle_for = s;
    }
    if let Some(rv) = obj.get("readiness") {
        stages.readiness = parse_readiness(r, rv);
    }
    stages.mql = obj.get("mql").and_then(|b| parse_bar(r, b, "stages.mql", signals));
    stages.sql = obj.get("sql").and_then(|b| parse_bar(r, b, "stages.sql", signals));
    if let (Some(mql), Some(sql)) = (&stages.mql, &stages.sql) {
        // SQL is the later stage: a lower minimum on the same score would sales-qualify before marketing does.
        for (kind, needed) in sql.minimums() {
            let Some((_, before)) = mql.minimums().find(|(k, n)| *k == kind && *n > needed) else { continue };
            r.problem(
                format!("stages.sql.min.{}", kind.name()),
                ProblemCode::ThresholdOrder,
                format!(
                    "sql's {} minimum ({}) is below mql's ({}): SQL comes after MQL; raise sql's or lower mql's",
                    kind.name(),
                    short_number(needed),
                    short_number(before)
                ),
            );
        }
    }
    stages
}

/// The highest score of `kind` the scores section can give, and where that bound comes from; `None` when
/// unbounded (an intent rule with positive points and no cap, and no group `max`), and for a group without
/// rules (a playbook not scoring that yet: the bar is a stub, not a mistake in what was written).
fn highest(kind: ScoreKind, fit: &FitGroup, intent: &IntentGroup) -> Option<(f64, String)> {
    match kind {
        ScoreKind::Fit if fit.rules.is_empty() => None,
        ScoreKind::Intent if intent.rules.is_empty() => None,
        ScoreKind::Fit => {
            // Each fit rule matches at most once; `min` lifts and `max` clips the sum.
            let mut best = (fit.rules.iter().map(|r| r.points.max(0.0)).sum::<f64>(), "the sum of the positive points");
            if let Some(min) = fit.min.filter(|min| *min > best.0) {
                best = (min, "scores.fit.min");
            }
            if let Some(max) = fit.max.filter(|max| *max < best.0) {
                best = (max, "scores.fit.max");
            }
            Some((best.0, String::from(best.1)))
        }
        ScoreKind::Intent => {
            let positive = intent.rules.iter().filter(|r| r.points > 0.0);
            let caps = positive.map(|r| r.cap).sum::<Option<f64>>();
            match (caps, intent.max) {
                (Some(caps), Some(max)) if caps <= max => Some((caps, String::from("the sum of the rules' caps"))),
                (_, Some(max)) => Some((max, String::from("scores.intent.max"))),
                (Some(caps), None) => Some((caps, String::from("the sum of the rules' caps"))),
                (None, None) => None,
            }
        }
        ScoreKind::Total => {
            let ((f, _), (i, _)) = (highest(ScoreKind::Fit, fit, intent)?, highest(ScoreKind::Intent, fit, intent)?);
            Some((f + i, format!("fit's highest {} plus intent's {}", short_number(f), short_number(i))))
        }
    }
}

/// A readiness threshold or bar minimum no contact can reach (`hot: 140` over `scores.intent.max: 100`) is a
/// setting that never takes effect: refused at its path.
pub(crate) fn check_reachable(r: &mut Reader, stages: &Stages, fit: &FitGroup, intent: &IntentGroup) {
    let mut check = |path: String, label: &str, kind: ScoreKind, needed: f64, never: &str| {
        let Some((top, from)) = highest(kind, fit, intent) else { return };
        if needed > top + 1e-9 * top.abs().max(1.0) {
            r.problem(
                path,
                ProblemCode::ThresholdOrder,
                format!(
                    "{label} ({}) is above the highest {} score ({}, {from}): {never}; lower it or raise the score",
                    short_number(needed),
                    kind.name(),
                    short_number(top)
                ),
            );
        }
    };
    if let Some(ReadinessRule { on, warm, hot }) = stages.readiness {
        // The lower one first: when warm is out of reach, so is hot.
        let (key, n) =
            if highest(on, fit, intent).is_some_and(|(top, _)| warm > top) { ("warm", warm) } else { ("hot", hot) };
        check(format!("stages.readiness.{key}"), key, on, n, &format!("no contact would ever be {key}"));
    }
    for (name, bar) in [("mql", &stages.mql), ("sql", &stages.sql)] {
        for (kind, needed) in bar.iter().flat_map(|b| b.minimums()) {
            let never = format!("the {name} bar's minimum could never be met");
            check(format!("stages.{name}.min.{}", kind.name()), kind.name(), kind, needed, &never);
        }
    }
}

/// A `score` condition asking for more than the scores section can give (`{"score": "fit", "op": "ge",
/// "value": 120}` over fit rules adding up to 100) never holds: the segment, CTA or sequence rule it sits in is
/// quietly dead. Refused at the condition's `value`, as an unreachable readiness threshold is.
pub(crate) fn check_score_conditions<'a>(
    r: &mut Reader,
    conditions: impl Iterator<Item = &'a Cond>,
    fit: &FitGroup,
    intent: &IntentGroup,
) {
    for cond in conditions {
        cond.walk(&mut |c| {
            let Cond::Score { path, score, cmp } = c else { return };
            let Some((top, from)) = highest(*score, fit, intent) else { return };
            let (never, bound) = match *cmp {
                Cmp::Ge(b) => (b > top + 1e-9 * top.abs().max(1.0), b),
                Cmp::Gt(b) => (b >= top, b),
                Cmp::Le(_) | Cmp::Lt(_) => return,
            };
            if never {
                r.problem(
                    crate::playbook::reader::join(path, "value"),
                    ProblemCode::ThresholdOrder,
                    format!(
                        "{} {} is beyond the highest {} score ({}, {from}): this condition never holds; lower it \
                         or raise the score",
                        if matches!(cmp, Cmp::Ge(_)) { "at least" } else { "above" },
                        short_number(bound),
                        score.name(),
                        short_number(top)
                    ),
                );
            }
        });
    }
}

fn parse_readiness(r: &mut Reader, v: &Value) -> Option<ReadinessRule> {
    let o = r.object(v, "stages.readiness", &["on", "warm", "hot"])?;
    let on = match o.get("on") {
        None => Some(ScoreKind::Intent),
        Some(on) => r.string(on, &o.at("on")).and_then(|s| score_kind(r, s, &o.at("on"))),
    };
    let warm = r.required(&o, "warm").and_then(|w| r.number(w, &o.at("warm")));
    let hot = r.required(&o, "hot").and_then(|h| r.number(h, &o.at("hot")));
    let (on, warm, hot) = (on?, warm?, hot?);
    if warm >= hot {
        r.problem(
            o.at("hot"),
            ProblemCode::ThresholdOrder,
            format!("hot ({}) must be greater than warm ({})", short_number(hot), short_number(warm)),
        );
        return None;
    }
    Some(ReadinessRule { on, warm, hot })
}

fn score_kind(r: &mut Reader, s: &str, path: &str) -> Option<ScoreKind> {
    match s {
        "fit" => Some(ScoreKind::Fit),
        "intent" => Some(ScoreKind::Intent),
        "total" => Some(ScoreKind::Total),
        other => {
            r.problem(
                path,
                ProblemCode::OutOfRange,
                format!("expected fit, intent or total, got \"{}\"", quote(other)),
            );
            None
        }
    }
}

fn parse_bar(r: &mut Reader, v: &Value, path: &str, signals: &Declared) -> Option<Bar> {
    let o = r.object(v, path, &["min", "all", "any", "direct"])?;
    let mut bar = Bar { path: path.into(), min: Vec::new(), all: Vec::new(), any: Vec::new(), direct: Vec::new() };
    let mut ok = true;
    if let Some(m) = o.get("min") {
        match r.object(m, &o.at("min"), &["fit", "intent", "total"]) {
            Some(mo) => {
                for kind in [ScoreKind::Fit, ScoreKind::Intent, ScoreKind::Total] {
                    if let Some(n) = mo.get(kind.name()) {
                        match r.number(n, &mo.at(kind.name())) {
                            Some(n) => bar.min.push((kind, n)),
                            None => ok = false,
                        }
                    }
                }
            }
            None => ok = false,
        }
    }
    for (key, list) in [("all", &mut bar.all), ("any", &mut bar.any), ("direct", &mut bar.direct)] {
        let Some(items) = o.get(key) else { continue };
        let Some(items) = r.array(items, &o.at(key)) else {
            ok = false;
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            match parse_condition(r, item, &index(&o.at(key), i), signals) {
                Some(c) => list.push(c),
                None => ok = false,
            }
        }
    }
    let empty = bar.min.is_empty() && bar.all.is_empty() && bar.any.is_empty() && bar.direct.is_empty();
    if ok && empty {
        r.problem(path, ProblemCode::EmptyBar, "a bar needs at least one of min, all, any or direct");
    }
    (ok && !empty).then_some(bar)
}

fn parse_condition(r: &mut Reader, v: &Value, path: &str, signals: &Declared) -> Option<Condition> {
    let o = r.object(v, path, &["signal", "within", "at_least"])?;
    let signal = r
        .required(&o, "signal")
        .and_then(|s| r.string(s, &o.at("signal")))
        .and_then(|name| signals.resolve(r, name, &o.at("signal")));
    let within = r.required(&o, "within").and_then(|w| r.span(w, &o.at("within")));
    let at_least = match o.get("at_least") {
        Some(n) => r.count(n, &o.at("at_least"), 1),
        None => Some(1),
    };
    Some(Condition { path: path.into(), signal: signal?, within: within?, at_least: at_least? })
}
