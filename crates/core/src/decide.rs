//! `decide(&Playbook, &ContactState, now) -> Decision`: scores after decay, readiness, stage and the reasons,
//! all from one pass so the reasons are exactly what produced the values.

use alloc::vec::Vec;

use serde::Serialize;

use crate::explain::{Reason, Sink};
use crate::playbook::Playbook;
use crate::score::clamp;
use crate::stage::{Readiness, Scores, Stage};
use crate::state::{ContactState, FunnelStep};
use crate::time::Timestamp;

/// Which stage bars hold at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Meets {
    /// The MQL bar holds now.
    pub mql: bool,
    /// The SQL bar holds now.
    pub sql: bool,
}

/// What rekindle decides for one contact at one instant.
///
/// ```
/// # use rekindle_core::{decide, ContactState, Playbook, Readiness, Stage, Timestamp, Value};
/// # let pb = Playbook::parse(&Value::Object(vec![
/// #     ("version".into(), Value::Number(1.0)), ("signals".into(), Value::Object(vec![]))])).unwrap();
/// let d = decide(&pb, &ContactState::new(), Timestamp::EPOCH);
/// assert_eq!((d.readiness, d.stage, d.scores.total), (Readiness::Cold, Stage::Lead, 0.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// Fit, intent (after decay at `now`) and total.
    pub scores: Scores,
    /// Cold / warm / hot (D17).
    pub readiness: Readiness,
    /// The highest stage reached (forward-only).
    pub stage: Stage,
    /// Which bars hold now.
    pub meets: Meets,
    /// Reached MQL once, and intent has decayed under the MQL bar while the SQL bar does not hold (D11).
    pub reactivation_candidate: bool,
    /// Stages reached, with when.
    pub funnel: Vec<FunnelStep>,
    /// Why, in the order documented in docs/playbook.md.
    pub reasons: Vec<Reason>,
}

/// Fit and intent at `at`, clamped, with their reasons.
pub(crate) fn scores_at(playbook: &Playbook, state: &ContactState, at: Timestamp, reasons: &mut Sink<'_>) -> Scores {
    let fit = playbook.fit.score(&state.profile, reasons);
    let mut raw = 0.0;
    for rule in &playbook.intent.rules {
        let (Some(acc), Some(signal)) = (state.rules.get(&rule.key), playbook.signals.get(rule.signal_index())) else {
            continue;
        };
        raw += rule.contribution(acc, signal, at, reasons);
    }
    let intent = clamp("scores.intent", raw, None, playbook.intent.max, reasons);
    Scores { fit, intent, total: fit + intent }
}

/// Decides for one contact at `now`. Pure: same inputs, same bytes, in every runtime.
pub fn decide(playbook: &Playbook, state: &ContactState, now: Timestamp) -> Decision {
    let mut reasons = Vec::new();
    let mut sink = Sink::to(&mut reasons);
    let scores = scores_at(playbook, state, now, &mut sink);
    let readiness = playbook.stages.readiness.as_ref().map_or(Readiness::Cold, |r| r.evaluate(&scores, &mut sink));
    let signals = &playbook.signals;
    let mut check = |bar: &Option<crate::stage::Bar>| {
        bar.as_ref().is_some_and(|b| b.check(&scores, signals, state, now, &mut sink))
    };
    let mql = check(&playbook.stages.mql);
    let sql = check(&playbook.stages.sql);
    let reached = state.stage();
    let current = if sql {
        Stage::Sql
    } else if mql {
        Stage::Mql
    } else {
        Stage::Lead
    };
    let stage = reached.map_or(current, |(s, _)| s.max(current));
    if let Some((stage, at)) = reached {
        sink.push(|| Reason::StageReached { stage, at });
    }
    let reached_mql = reached.is_some_and(|(s, _)| s >= Stage::Mql);
    Decision {
        scores,
        readiness,
        stage,
        meets: Meets { mql, sql },
        reactivation_candidate: reached_mql
            && !sql
            && playbook.stages.mql.as_ref().is_some_and(|bar| bar.score_slipped(&scores, mql)),
        funnel: state.funnel.iter().map(|(stage, at)| FunnelStep { stage: *stage, at: *at }).collect(),
        reasons,
    }
}
