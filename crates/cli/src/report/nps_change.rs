//! NPS and referrals against the `--previous` plan (D38, D42): a marketer who runs the plan every month and
//! passes last month's as `--previous` asks "did NPS move, and by how much?".
//!
//! Answers and referrals are not carried between runs (each plan counts its own run's events,
//! `crate::plan::nps`), so the previous figures are the ones that plan published — `nps` and `referrals` in its
//! `manifest.json` ([`Published::read`]) — never recomputed: the comparison shows what last month's report said
//! beside what this one says. Two views:
//!
//! - `latest`: the latest month of each plan, the headline ("NPS +20.0 in 2026-10 → +35.0 in 2026-11: +15.0").
//!   Flagged `lowSample` when either month had fewer answers than core's minimum: a move between two small
//!   samples is noise.
//! - `months`: every month either plan has, oldest first, each side's figures or `null`. A month both have can
//!   differ — answers that arrived after the previous plan, or logs that rolled over since — and `change` says so.
//!
//! A previous plan written before NPS existed published no figures: `previousKnown: false` and nothing is
//! compared, rather than every month reading as new.

use rekindle_core::retention::nps::{NpsFigures, NpsMonth, ReferralFigures, ReferralMonth};
use serde::Serialize;

use crate::plan::nps::Voice;

/// The `months` of a published `{ "months": [...], … }` (`superseded`, `outside` are not compared), each month
/// read on its own, as core wrote it, so a bad one is named by its index: `nps.months[3]: missing field `answers``.
fn months<M: serde::de::DeserializeOwned>(value: &serde_json::Value, key: &str) -> Result<Vec<M>, String> {
    let Some(list) = value.get("months").and_then(serde_json::Value::as_array) else {
        return Err(format!("{key}.months: expected a list of months"));
    };
    let read = |(i, m): (usize, &serde_json::Value)| {
        serde_json::from_value(m.clone()).map_err(|e| format!("{key}.months[{i}]: {e}"))
    };
    list.iter().enumerate().map(read).collect()
}

/// The figures a plan published, month by month, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Published {
    /// NPS per month.
    pub nps: Vec<(String, NpsFigures)>,
    /// Referrals per month.
    pub referrals: Vec<(String, ReferralFigures)>,
}

impl Published {
    /// The figures in a plan's `manifest.json`: `Ok(None)` when it has no `nps` (a plan from before D38), `Err`
    /// naming the field when they do not read back.
    pub fn read(manifest: &serde_json::Value) -> Result<Option<Published>, String> {
        let Some(nps) = manifest.get("nps") else { return Ok(None) };
        let nps = months(nps, "nps")?.into_iter().map(|m: NpsMonth| (m.month, m.figures)).collect();
        let referrals = match manifest.get("referrals") {
            Some(r) => months(r, "referrals")?.into_iter().map(|m: ReferralMonth| (m.month, m.figures)).collect(),
            None => Vec::new(),
        };
        Ok(Some(Published { nps, referrals }))
    }

    /// This run's figures, in the same form.
    pub fn of(voice: &Voice) -> Published {
        Published {
            nps: voice.nps.months.iter().map(|m| (m.month.clone(), m.figures.clone())).collect(),
            referrals: voice.referrals.months.iter().map(|m| (m.month.clone(), m.figures.clone())).collect(),
        }
    }
}

/// One month of either plan, compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MonthChange<F, C> {
    /// `"YYYY-MM"` (UTC).
    pub month: String,
    /// The previous plan's figures of the month (`null`: it had none).
    pub previous: Option<F>,
    /// This plan's (`null`: it has none, e.g. a month older than its logs).
    pub current: Option<F>,
    /// Current minus previous (`null` unless both have the month).
    pub change: Option<C>,
}

/// The latest month of each plan, compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Latest<V> {
    /// The previous plan's latest month.
    pub previous_month: String,
    /// Its figure.
    pub previous: V,
    /// This plan's latest month.
    pub current_month: String,
    /// Its figure.
    pub current: V,
    /// Current minus previous.
    pub change: V,
    /// Either month had too few answers to compare (NPS only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_sample: Option<bool>,
}

/// NPS against the previous plan (`npsChange` in the summary and `manifest.json`, only with `--previous`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NpsChange {
    /// The previous plan's `--now` (epoch ms).
    pub previous_now: i64,
    /// Whether the previous plan published NPS figures (a plan from before D38 did not: nothing compared).
    pub previous_known: bool,
    /// The NPS of each plan's latest month (`null` when either has no answer).
    pub latest: Option<Latest<f64>>,
    /// Every month either plan has, oldest first; `change` in NPS points.
    pub months: Vec<MonthChange<NpsFigures, f64>>,
}

/// Referrals against the previous plan (`referralsChange`, only with `--previous`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralsChange {
    /// The previous plan's `--now` (epoch ms).
    pub previous_now: i64,
    /// Whether the previous plan published referral figures.
    pub previous_known: bool,
    /// The referrals made in each plan's latest month (`null` when either has none).
    pub latest: Option<Latest<i64>>,
    /// Every month either plan has, oldest first; `change` in referrals made.
    pub months: Vec<MonthChange<ReferralFigures, i64>>,
}

/// Both plans' months, merged by month (both lists are oldest first, as core writes them and a manifest keeps
/// them; sorted again so a hand-edited manifest cannot misalign them).
fn merge<F: Clone, C>(
    previous: &[(String, F)],
    current: &[(String, F)],
    change: impl Fn(&F, &F) -> C,
) -> Vec<MonthChange<F, C>> {
    let mut months: Vec<&String> = previous.iter().chain(current).map(|(m, _)| m).collect();
    months.sort();
    months.dedup();
    let find = |list: &[(String, F)], month: &str| list.iter().find(|(m, _)| m == month).map(|(_, f)| f.clone());
    months
        .into_iter()
        .map(|month| {
            let (p, c) = (find(previous, month), find(current, month));
            let change = p.as_ref().zip(c.as_ref()).map(|(p, c)| change(p, c));
            MonthChange { month: month.clone(), previous: p, current: c, change }
        })
        .collect()
}

/// The comparisons, given the previous plan's `--now` and its figures (`None`: it published none).
pub fn compare(previous_now: i64, previous: Option<&Published>, voice: &Voice) -> (NpsChange, ReferralsChange) {
    let current = Published::of(voice);
    let Some(previous) = previous else {
        let nps = NpsChange { previous_now, previous_known: false, latest: None, months: Vec::new() };
        let referrals = ReferralsChange { previous_now, previous_known: false, latest: None, months: Vec::new() };
        return (nps, referrals);
    };
    let latest_nps = previous.nps.iter().max_by(|a, b| a.0.cmp(&b.0)).zip(current.nps.last()).map(|(p, c)| Latest {
        previous_month: p.0.clone(),
        previous: p.1.nps,
        current_month: c.0.clone(),
        current: c.1.nps,
        change: c.1.nps - p.1.nps,
        low_sample: Some(p.1.low_sample || c.1.low_sample),
    });
    let latest_referrals =
        previous.referrals.iter().max_by(|a, b| a.0.cmp(&b.0)).zip(current.referrals.last()).map(|(p, c)| Latest {
            previous_month: p.0.clone(),
            previous: i64::from(p.1.referrals),
            current_month: c.0.clone(),
            current: i64::from(c.1.referrals),
            change: i64::from(c.1.referrals) - i64::from(p.1.referrals),
            low_sample: None,
        });
    let nps = NpsChange {
        previous_now,
        previous_known: true,
        latest: latest_nps,
        months: merge(&previous.nps, &current.nps, |p, c| c.nps - p.nps),
    };
    let referrals = ReferralsChange {
        previous_now,
        previous_known: true,
        latest: latest_referrals,
        months: merge(&previous.referrals, &current.referrals, |p, c| i64::from(c.referrals) - i64::from(p.referrals)),
    };
    (nps, referrals)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn month(m: &str, answers: u32, promoters: u32, detractors: u32) -> serde_json::Value {
        let nps = (f64::from(promoters) - f64::from(detractors)) * 100.0 / f64::from(answers);
        json!({ "month": m, "answers": answers, "promoters": promoters, "passives": answers - promoters - detractors,
                "detractors": detractors, "nps": nps, "lowSample": answers < 30 })
    }

    #[test]
    fn a_manifest_without_nps_is_a_plan_from_before_d38_and_nothing_is_compared() {
        assert_eq!(Published::read(&json!({ "now": 1 })), Ok(None));
        let (nps, referrals) = compare(1, None, &Voice::default());
        assert!(!nps.previous_known && nps.months.is_empty() && nps.latest.is_none());
        assert!(!referrals.previous_known && referrals.months.is_empty());
    }

    #[test]
    fn a_published_figure_that_does_not_read_back_names_its_field() {
        let bad = json!({ "nps": { "months": [{ "month": "2026-10", "answers": "ten" }] } });
        let err = Published::read(&bad).unwrap_err();
        assert!(err.starts_with("nps.months[0]: "), "{err}");
    }

    #[test]
    fn months_of_either_plan_are_merged_and_the_latest_of_each_compared() {
        let manifest = json!({
            "nps": { "months": [month("2026-09", 4, 2, 1), month("2026-10", 10, 5, 3)], "superseded": 0, "outside": 0 },
            "referrals": { "months": [{ "month": "2026-10", "referrals": 3, "newCustomers": 4, "referred": 1,
                                         "referredShare": 0.25 }], "outside": 0 }
        });
        let previous = Published::read(&manifest).unwrap().unwrap();
        // 2026-10-05, 2026-10-06, 2026-11-02, 2026-11-03 (00:00 UTC); now 2026-11-26T12:00:00Z.
        let at = |ms: i64| rekindle_core::Timestamp::from_ms(ms).unwrap();
        let answers = [("a", 1_791_158_400_000, 10), ("b", 1_791_244_800_000, 3)]
            .into_iter()
            .chain([("a", 1_793_577_600_000, 9), ("b", 1_793_664_000_000, 9)])
            .map(|(c, ms, score)| rekindle_core::retention::nps::Answer { customer: c.into(), at: at(ms), score })
            .collect::<Vec<_>>();
        let now = at(1_795_694_400_000);
        let voice = Voice::without_orders(&answers, &[], now);
        let (nps, referrals) = compare(7, Some(&previous), &voice);
        let months: Vec<&str> = nps.months.iter().map(|m| m.month.as_str()).collect();
        assert_eq!(months, ["2026-09", "2026-10", "2026-11"]);
        assert_eq!(nps.months[0].current, None, "a month this run's logs no longer hold");
        assert_eq!(nps.months[0].change, None);
        // 2026-10: previous 10 answers, 5 − 3 → +20; now 2 answers, 1 − 1 → 0: restated by −20.
        assert_eq!(nps.months[1].change, Some(-20.0));
        assert_eq!(nps.months[2].previous, None);
        let latest = nps.latest.unwrap();
        assert_eq!((latest.previous_month.as_str(), latest.current_month.as_str()), ("2026-10", "2026-11"));
        assert_eq!((latest.previous, latest.current, latest.change), (20.0, 100.0, 80.0));
        assert_eq!(latest.low_sample, Some(true), "10 and 2 answers are both under 30");
        assert!(referrals.previous_known && referrals.latest.is_none(), "this run has no referral");
        assert_eq!(referrals.months.len(), 1);
        assert_eq!(referrals.months[0].previous.as_ref().unwrap().referred_share, Some(0.25));
    }
}
