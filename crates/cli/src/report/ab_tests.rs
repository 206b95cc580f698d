//! A/B tests (D26: "A/B tests need a minimum sample"): per test and variant, the contacts sent it, delivered,
//! and of those who opened, clicked, replied and converted, with a verdict that names a winner only when every
//! variant reached the minimum sample and the difference in the primary rate is significant. Who is in which
//! variant, and what counts as their open, click, reply or bounce, is `crate::plan::ab`'s.
//!
//! Definitions (report.html and the README state them too):
//! - *Sends*: contacts sent the variant (each once; contacts sent two variants of the test are excluded and
//!   counted in `excludedContacts`). *Delivered*: sends minus those whose message bounced.
//! - *Conversions*: contacts who, within [`CONVERSION_WINDOW_DAYS`] days after their first send of the test,
//!   ordered (a `purchase`), returned to active (D7) or reached MQL, SQL, opportunity or customer (D12's KPIs).
//! - *Primary rate*: conversions per delivered when any variant has a conversion, else unique clicks per
//!   delivered. Opens are shown but never decide (D2: machine opens inflate them).
//! - *Verdict*: `insufficient_sample` when the test has fewer than two variants or a variant has fewer sends
//!   than `--ab-min-sends`; else the variant with the highest primary rate is compared with each other variant by
//!   a two-sided two-proportion z-test (pooled standard error) at 95 % (Bonferroni: α = 0.05 / (variants − 1)):
//!   `winner` when every comparison is significant, else `no_difference`. `pValue` is the largest of those
//!   comparisons' p-values, `confidence` 1 − `pValue`.

use serde::Serialize;

use rekindle_core::Stage;

use crate::plan::ab::{AbLog, Kind};
use crate::plan::outcome::Planned;

/// Conversions count this many days after a contact's first send of the test (D12's 90 days).
pub const CONVERSION_WINDOW_DAYS: i64 = 90;
/// The same, in milliseconds.
pub const CONVERSION_WINDOW_MS: i64 = CONVERSION_WINDOW_DAYS * 86_400_000;
/// The significance level of the verdict (95 % confidence).
pub const ALPHA: f64 = 0.05;
/// The method, as the summary states it.
pub const METHOD: &str =
    "two-sided two-proportion z-test, pooled standard error, 95 % (Bonferroni over the leader's comparisons)";

/// One A/B test.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbTest {
    /// The test's id: the value of `idFrom`.
    pub id: String,
    /// `ab_test`, `campaign` or `sequence_step` (`<sequence>/<step>`).
    pub id_from: &'static str,
    /// Per variant, sorted by name.
    pub variants: Vec<Variant>,
    /// Contacts sent more than one variant of the test: in no variant.
    pub excluded_contacts: u64,
    /// The sends each variant needs (`--ab-min-sends`).
    pub min_sends: u64,
    /// `conversion_rate` or `click_rate` (per delivered).
    pub metric: &'static str,
    /// `insufficient_sample`, `no_difference` or `winner`.
    pub verdict: &'static str,
    /// The variant with the highest primary rate when `verdict` is `winner`.
    pub winner: Option<String>,
    /// The largest p-value of the leader's comparisons (none for `insufficient_sample`).
    pub p_value: Option<f64>,
    /// `1 − pValue`.
    pub confidence: Option<f64>,
    /// How the verdict was reached.
    pub method: &'static str,
}

/// One variant's counts and rates (rates per delivered; `None` when nothing was delivered).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    pub variant: String,
    pub sends: u64,
    pub deliveries: u64,
    pub opens: u64,
    pub clicks: u64,
    pub replies: u64,
    pub conversions: u64,
    pub open_rate: Option<f64>,
    pub click_rate: Option<f64>,
    pub reply_rate: Option<f64>,
    pub conversion_rate: Option<f64>,
}

impl Variant {
    fn primary(&self, conversions: bool) -> u64 {
        if conversions {
            self.conversions
        } else {
            self.clicks
        }
    }
}

/// Counts while the members are read.
#[derive(Default, Clone, Copy)]
struct Counts {
    sends: u64,
    bounced: u64,
    opens: u64,
    clicks: u64,
    replies: u64,
    conversions: u64,
}

fn converted(p: &Planned, from: i64, ordered: bool) -> bool {
    let inside = |t: i64| (from..=from + CONVERSION_WINDOW_MS).contains(&t);
    let qualified = p.funnel.iter().any(|(stage, t)| *stage != Stage::Lead && inside(t.ms()));
    ordered || qualified || p.lifecycle.reactivated_at.is_some_and(|t| inside(t.ms()))
}

/// The tests of `log`, sorted by id, with their verdicts; `planned` is indexed by contact.
pub fn of(log: &AbLog, planned: &[Planned], min_sends: u64) -> Vec<AbTest> {
    use std::collections::BTreeMap;
    // (test key) → (variant name → counts), and contacts excluded.
    let mut tests: BTreeMap<u32, (BTreeMap<&str, Counts>, u64)> = BTreeMap::new();
    for (&(test, contact), member) in &log.members {
        let entry = tests.entry(test).or_default();
        if member.mixed {
            entry.1 += 1;
            continue;
        }
        let name = log.variants.get(member.variant as usize).map_or("", |v| &**v);
        let c = entry.0.entry(name).or_default();
        let did = |kind| log.did(contact, member, kind);
        c.sends += 1;
        let bounced = did(Kind::Bounce);
        c.bounced += u64::from(bounced);
        if bounced {
            continue; // not delivered: counts only as a send
        }
        c.opens += u64::from(did(Kind::Open));
        c.clicks += u64::from(did(Kind::Click));
        c.replies += u64::from(did(Kind::Reply));
        let p = planned.get(contact as usize);
        c.conversions += u64::from(p.is_some_and(|p| converted(p, member.first.ms(), member.ordered)));
    }
    let mut out: Vec<AbTest> = tests
        .into_iter()
        .filter_map(|(test, (variants, excluded))| {
            let (from, id) = log.keys.get(test as usize)?;
            let variants = variants.into_iter().map(|(name, c)| variant(name, c)).collect();
            Some(decide(id.to_string(), from.name(), variants, excluded, min_sends))
        })
        .collect();
    out.sort_by(|a, b| (a.id.as_str(), a.id_from).cmp(&(b.id.as_str(), b.id_from)));
    out
}

fn variant(name: &str, c: Counts) -> Variant {
    let deliveries = c.sends - c.bounced;
    let rate = |n: u64| (deliveries > 0).then(|| n as f64 / deliveries as f64);
    Variant {
        variant: name.to_string(),
        sends: c.sends,
        deliveries,
        opens: c.opens,
        clicks: c.clicks,
        replies: c.replies,
        conversions: c.conversions,
        open_rate: rate(c.opens),
        click_rate: rate(c.clicks),
        reply_rate: rate(c.replies),
        conversion_rate: rate(c.conversions),
    }
}

/// The verdict over a test's variants.
pub fn decide(id: String, id_from: &'static str, variants: Vec<Variant>, excluded: u64, min_sends: u64) -> AbTest {
    let by_conversions = variants.iter().any(|v| v.conversions > 0);
    let metric = if by_conversions { "conversion_rate" } else { "click_rate" };
    let mut test = AbTest {
        id,
        id_from,
        variants,
        excluded_contacts: excluded,
        min_sends,
        metric,
        verdict: "insufficient_sample",
        winner: None,
        p_value: None,
        confidence: None,
        method: METHOD,
    };
    if test.variants.len() < 2 || test.variants.iter().any(|v| v.sends < min_sends) {
        return test;
    }
    let rate =
        |v: &Variant| if v.deliveries == 0 { 0.0 } else { v.primary(by_conversions) as f64 / v.deliveries as f64 };
    // The leader: the highest rate (ties: the first by name, and then no comparison is significant).
    let Some(leader) = test.variants.iter().enumerate().fold(None, |best: Option<(usize, f64)>, (i, v)| match best {
        Some((_, r)) if r >= rate(v) => best,
        _ => Some((i, rate(v))),
    }) else {
        return test;
    };
    let lead = test.variants.get(leader.0).cloned();
    let Some(lead) = lead else { return test };
    let comparisons = (test.variants.len() - 1) as f64;
    let p_max = test
        .variants
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != leader.0)
        .map(|(_, v)| z_test(lead.primary(by_conversions), lead.deliveries, v.primary(by_conversions), v.deliveries).1)
        .fold(0.0_f64, f64::max);
    test.p_value = Some(p_max);
    test.confidence = Some(1.0 - p_max);
    if p_max < ALPHA / comparisons {
        test.verdict = "winner";
        test.winner = Some(lead.variant);
    } else {
        test.verdict = "no_difference";
    }
    test
}

/// The two-sided two-proportion z-test of `x1 / n1` against `x2 / n2` with the pooled standard error:
/// `(z, p)`. Equal proportions, or none or all successes in both, give `(0, 1)`.
pub fn z_test(x1: u64, n1: u64, x2: u64, n2: u64) -> (f64, f64) {
    if n1 == 0 || n2 == 0 {
        return (0.0, 1.0);
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let (p1, p2) = (x1 as f64 / n1f, x2 as f64 / n2f);
    let pooled = (x1 + x2) as f64 / (n1f + n2f);
    let se = (pooled * (1.0 - pooled) * (1.0 / n1f + 1.0 / n2f)).sqrt();
    if se <= 0.0 || !se.is_finite() {
        return (0.0, 1.0);
    }
    let z = (p1 - p2) / se;
    (z, erfc(z.abs() / std::f64::consts::SQRT_2).clamp(0.0, 1.0))
}

/// The complementary error function, with a fractional error under 1.2e-7 everywhere (Numerical Recipes'
/// Chebyshev fit, `erfcc`): p-values are reported, not computed on.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98 + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_z_test_matches_worked_values() {
        // 120/1000 vs 80/1000: pooled 0.1, se = sqrt(0.1 · 0.9 · 0.002) = 0.013416; z = 2.9814; p = 0.00287.
        let (z, p) = z_test(120, 1000, 80, 1000);
        assert!((z - 2.9814).abs() < 1e-3, "{z}");
        assert!((p - 0.00287).abs() < 1e-4, "{p}");
        assert_eq!(z_test(50, 1000, 50, 1000), (0.0, 1.0));
        assert_eq!(z_test(0, 1000, 0, 1000), (0.0, 1.0));
        assert!((erfc(0.0) - 1.0).abs() < 1e-6);
        assert!((erfc(1.959_964 / std::f64::consts::SQRT_2) - 0.05).abs() < 1e-6);
    }

    fn v(name: &str, sends: u64, clicks: u64) -> Variant {
        variant(name, Counts { sends, clicks, ..Counts::default() })
    }

    #[test]
    fn a_verdict_needs_the_minimum_sample_and_significance() {
        let t = decide("t".into(), "ab_test", vec![v("A", 999, 10), v("B", 999, 300)], 0, 1000);
        assert_eq!((t.verdict, t.p_value), ("insufficient_sample", None));
        let t = decide("t".into(), "ab_test", vec![v("A", 1000, 100), v("B", 1000, 150)], 0, 1000);
        assert_eq!((t.verdict, t.winner.as_deref()), ("winner", Some("B")));
        let t = decide("t".into(), "ab_test", vec![v("A", 1000, 100), v("B", 1000, 105)], 0, 1000);
        assert_eq!(t.verdict, "no_difference");
        let t = decide("t".into(), "ab_test", vec![v("A", 5000, 100)], 0, 1000);
        assert_eq!(t.verdict, "insufficient_sample", "one variant: nothing to compare");
    }
}
