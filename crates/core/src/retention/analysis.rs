//! One analysis of an order log at `now`: summaries, fitted models, RFM, per-customer figures (P(alive),
//! expected purchases and order value, CLV, churn alert, win-back priority) and KPIs — the single entry point the
//! CLI and the bindings call.
//!
//! Fallbacks, never NaN: a model that cannot be fitted is reported as `{ status: "unfit", code, message }` and
//! the figures that need it are `null`; RFM, alerts that need no model, and KPIs are still computed.
//!
//! Win-back priority (D40) is CLV × P(return), for customers with an alert or dormant: P(return) is the
//! probability of at least one order within the CLV horizon, P(alive)·(1 − ((α+T)/(α+T+h))^(r+x)) — a customer
//! who is alive buys with the Gamma posterior's chance before h. CLV already weighs in the chance the customer is
//! gone, so the product ranks customers who are both valuable and likely to come back.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use super::alerts::{alert_list, OwnedAlert};
use super::bgnbd::BgNbd;
use super::churn::{alert, Alert, Customer, RepeatNorm};
use super::clv::{clv, Horizon};
use super::fit::History;
use super::fit::{Fit, FitWarning, Unfit};
use super::gamma_gamma::GammaGamma;
use super::kpi::{kpis, Kpis};
use super::math::{exp, ln};
use super::nps::{nps, referrals};
use super::rfm::{cell_of, Breakpoints, Facts, Scores};
use super::rules::RetentionRules;
use super::stated::StatedReason;
use super::transaction::{summarise_with_orders, Period, Summary, Transaction};
use super::winback::{measure, Winback};
use crate::error::Error;
use crate::event::Scalar;
use crate::time::Timestamp;

pub use super::options::Options;

const DAY_MS: i64 = 86_400_000;

/// Both models fitted on summaries alone (lifetimes' fitters): BG/NBD on every history, Gamma-Gamma on
/// `(frequency, monetary)` when spend is given.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Models {
    /// BG/NBD.
    pub bgnbd: Model<BgNbd>,
    /// Gamma-Gamma, when `monetary` was given.
    pub gamma_gamma: Option<Model<GammaGamma>>,
}

/// Fits both models on columns (checked by [`History::from_columns`]; monetary finite and ≥ 0).
///
/// ```
/// # use rekindle_core::retention::analysis::fit_models;
/// let m = fit_models(&[2.0, 0.0, 1.0], &[30.0, 0.0, 5.0], &[38.0, 38.0, 20.0], None).unwrap();
/// assert!(m.bgnbd.params().is_some() && m.gamma_gamma.is_none());
/// ```
pub fn fit_models(frequency: &[f64], recency: &[f64], age: &[f64], monetary: Option<&[f64]>) -> Result<Models, Error> {
    let histories = History::from_columns(frequency, recency, age)?;
    let bgnbd = match BgNbd::fit(&histories) {
        Ok(f) => Model::Fitted(f),
        Err(e) => Model::Unfit(e.into()),
    };
    let gamma_gamma = match monetary {
        None => None,
        Some(m) if m.len() != histories.len() => {
            return Err(Error::input(
                "monetary",
                format!("expected {} values like frequency, got {}", histories.len(), m.len()),
            ))
        }
        Some(m) => {
            if let Some(i) = m.iter().position(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(Error::input(format!("monetary[{i}]"), "expected a finite amount ≥ 0"));
            }
            let pairs: Vec<(u32, f64)> = histories.iter().zip(m).map(|(h, v)| (h.frequency, *v)).collect();
            Some(match GammaGamma::fit(&pairs) {
                Ok(f) => Model::Fitted(f),
                Err(e) => Model::Unfit(e.into()),
            })
        }
    };
    Ok(Models { bgnbd, gamma_gamma })
}

/// A model fit, or why there is none. Serialized with a `status`: `"fitted"`; `"noFiniteMean"` for a fit whose
/// warnings include [`FitWarning::NoFiniteMean`] (the parameters are reported, but no expectation exists, so
/// a reader who checks `status === "fitted"` is not handed a model that yields only nulls); `"unfit"`.
#[derive(Debug, Clone, PartialEq)]
pub enum Model<P> {
    /// Fitted.
    Fitted(Fit<P>),
    /// Not fitted, with the reason.
    Unfit(Unfit),
}

impl<P: Serialize> Serialize for Model<P> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(tag = "status", rename_all = "camelCase")]
        enum Tagged<'a, P> {
            Fitted(&'a Fit<P>),
            NoFiniteMean(&'a Fit<P>),
            Unfit(&'a Unfit),
        }
        match self {
            Model::Fitted(f) if f.warnings.contains(&FitWarning::NoFiniteMean) => Tagged::NoFiniteMean(f),
            Model::Fitted(f) => Tagged::Fitted(f),
            Model::Unfit(u) => Tagged::Unfit(u),
        }
        .serialize(s)
    }
}

impl<P> Model<P> {
    /// The parameters, when fitted.
    pub fn params(&self) -> Option<&P> {
        match self {
            Model::Fitted(f) => Some(&f.params),
            Model::Unfit(_) => None,
        }
    }
}

/// RFM of one customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rfm {
    /// Scores 1..=levels.
    #[serde(flatten)]
    pub scores: Scores,
    /// The first matching cell, if any.
    pub cell: Option<String>,
}

/// Everything the analysis says about one customer.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Figures {
    /// The order facts and model terms.
    #[serde(flatten)]
    pub summary: Summary,
    /// RFM scores and cell.
    pub rfm: Rfm,
    /// Orders on two or more days (D36: one-time vs returning).
    pub returning: bool,
    /// Monetary score at least the playbook's `high_value` (D36: high value vs occasional).
    pub high_value: bool,
    /// An order within `active_within` (D36: active vs dormant).
    pub active: bool,
    /// P(alive) now (BG/NBD), for repeat buyers only: `None` for a one-time buyer, whom BG/NBD holds alive with
    /// probability 1 whatever their silence (dropout can only follow a repeat purchase), so a threshold on it
    /// would never catch them; their churn signal is the `noRepeat` alert.
    pub p_alive: Option<f64>,
    /// Probability of at least one order within the CLV horizon (for a one-time buyer an upper bound: the
    /// model assumes them alive).
    pub p_return: Option<f64>,
    /// Expected orders within the CLV horizon.
    pub expected_purchases: Option<f64>,
    /// Expected value of an order (Gamma-Gamma).
    pub expected_order_value: Option<f64>,
    /// Discounted expected value over the horizon.
    pub clv: Option<f64>,
    /// The early-warning alert, when one holds.
    pub churn: Option<Alert>,
    /// CLV × P(return) for customers with an alert or dormant.
    pub winback_priority: Option<f64>,
    /// The contact's owner (`None`: unassigned), for the alert list.
    pub owner: Option<String>,
    /// The churn reason the customer stated (D39), beside `churn`'s behavioural reasons.
    pub stated_reason: Option<StatedReason>,
    /// The facts to keep on the contact (fold them as a `profile` event).
    pub profile: Profile,
}

/// The RFM grid: customers per (recency score, ⌊(f+m)/2⌋) and per cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RfmSummary {
    /// The base's cut points.
    pub breakpoints: Breakpoints,
    /// `grid[r − 1][fm − 1]`: customers.
    pub grid: Vec<Vec<u32>>,
    /// Customers and revenue per cell, in playbook order; `null` id for customers in no cell.
    pub cells: Vec<CellCount>,
}

/// One cell's size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellCount {
    /// The cell id (`None`: in no cell).
    pub id: Option<String>,
    /// Customers.
    pub customers: u32,
    /// Their total spend.
    pub revenue: f64,
}

/// The whole analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Analysis {
    /// The instant of the analysis (end of observation).
    pub now: Timestamp,
    /// Purchase periods.
    pub period: Period,
    /// The model time unit in days.
    pub unit_days: u32,
    /// The CLV horizon.
    pub horizon: Horizon,
    /// BG/NBD.
    pub bgnbd: Model<BgNbd>,
    /// Gamma-Gamma.
    pub gamma_gamma: Model<GammaGamma>,
    /// RFM grid and cells.
    pub rfm: RfmSummary,
    /// P(alive) of repeat buyers in ten bins [0, 0.1) … [0.9, 1]; one-time buyers are always 1 in BG/NBD and
    /// are counted apart.
    pub p_alive_histogram: Vec<u32>,
    /// One-time buyers (not in the histogram).
    pub one_time_buyers: u32,
    /// Customers with an early-warning alert.
    pub alerts: u32,
    /// Orders left out because their `id` repeated an earlier order's (the same order exported twice).
    pub duplicate_orders: u32,
    /// The base's median time from a first order to a second purchase, in days (`None`: nobody bought twice):
    /// the yardstick of the `noRepeat` alert.
    pub typical_repeat_days: Option<f64>,
    /// KPIs over time.
    pub kpis: Kpis,
    /// The win-back plan measured (D42): lapsed customers a campaign started for, who returned, their revenue.
    pub winback: Winback,
    /// Every alert with its owner and why (D41), oldest first.
    pub alert_list: Vec<OwnedAlert>,
    /// Per customer, sorted by id.
    pub customers: Vec<Figures>,
}

/// Analyses an order log at `now` with the playbook's retention rules.
///
/// ```
/// # use rekindle_core::retention::{analysis::{analyse, Model, Options}, rules::RetentionRules, FitWarning, Transaction};
/// # use rekindle_core::Timestamp;
/// let day = |d: i64| Timestamp::from_ms(d * 86_400_000).unwrap();
/// let log = vec![Transaction::new("a", day(0), 20.0).unwrap(), Transaction::new("a", day(30), 25.0).unwrap(),
///                Transaction::new("b", day(10), 40.0).unwrap()];
/// let a = analyse(&log, &RetentionRules::default(), &Options::default(), day(60));
/// assert_eq!(a.customers.len(), 2);
/// assert!(a.customers[0].returning && !a.customers[1].returning);
/// // Two customers do fit, with warnings: the data cannot pin the parameters down.
/// let Model::Fitted(fit) = &a.bgnbd else { unreachable!() };
/// assert!(fit.warnings.contains(&FitWarning::AtBound));
/// ```
pub fn analyse(log: &[Transaction], rules: &RetentionRules, options: &Options, now: Timestamp) -> Analysis {
    let unit_days = options.unit_days.unwrap_or(rules.period.days() as u32).max(1);
    let unit = f64::from(unit_days);
    let (per_customer, duplicate_orders) = summarise_with_orders(log, rules.period, unit_days, now);
    let (summaries, orders): (Vec<Summary>, Vec<Vec<(Timestamp, f64)>>) = per_customer.into_iter().unzip();
    // Repeat buyers' time from the first order to the first order in a later period: the base's habit, against
    // which a one-time buyer's silence is judged (`noRepeat`).
    let to_second: Vec<f64> = orders
        .iter()
        .filter_map(|o| {
            let first = o.first()?.0;
            let day = rules.period.start_day(first);
            let second = o.iter().find(|(t, _)| rules.period.start_day(*t) != day)?.0;
            Some(second.since(first) as f64)
        })
        .collect();
    let norm = RepeatNorm::of(&to_second, rules.churn.gap_factor, rules.active_within);
    let histories: Vec<_> = summaries.iter().map(|s| s.history).collect();
    let bgnbd = match BgNbd::fit(&histories) {
        Ok(f) => Model::Fitted(f),
        Err(e) => Model::Unfit(e.into()),
    };
    let spend: Vec<(u32, f64)> = summaries.iter().map(|s| (s.history.frequency, s.monetary)).collect();
    let gamma_gamma = match GammaGamma::fit(&spend) {
        Ok(f) => Model::Fitted(f),
        Err(e) => Model::Unfit(e.into()),
    };
    let horizon =
        Horizon { months: rules.clv_months, periods_per_month: 30.0 / unit, monthly_discount: rules.monthly_discount };
    let facts: Vec<Facts> = summaries.iter().map(|s| Facts::at(now.ms(), s.last.ms(), s.orders, s.total)).collect();
    let breakpoints = Breakpoints::of(&facts, rules.levels);
    let levels = breakpoints.levels;
    // The latest negative rating per customer (customers are sorted by id).
    let mut ratings: Vec<Option<Timestamp>> = alloc::vec![None; summaries.len()];
    for (customer, at) in &options.negative_ratings {
        if let Ok(i) = summaries.binary_search_by(|s| s.customer.as_str().cmp(customer)) {
            if let Some(slot) = ratings.get_mut(i) {
                *slot = Some(slot.map_or(*at, |t| t.max(*at)));
            }
        }
    }
    // The owner and the stated reason per customer (the last given wins).
    let slot_of = |customer: &str| summaries.binary_search_by(|s| s.customer.as_str().cmp(customer)).ok();
    let mut owners: Vec<Option<String>> = alloc::vec![None; summaries.len()];
    for (customer, owner) in &options.owners {
        if let Some(slot) = slot_of(customer).and_then(|i| owners.get_mut(i)) {
            *slot = Some(owner.clone());
        }
    }
    let mut stated: Vec<Option<StatedReason>> = alloc::vec![None; summaries.len()];
    for (customer, reason) in &options.stated_reasons {
        if let Some(slot) = slot_of(customer).and_then(|i| stated.get_mut(i)) {
            *slot = Some(reason.clone());
        }
    }
    let by_customer: Vec<(&str, &[(Timestamp, f64)])> =
        summaries.iter().zip(&orders).map(|(s, o)| (s.customer.as_str(), o.as_slice())).collect();
    let winback = measure(&options.winback_starts, &by_customer, rules.active_within, now);
    let referrals = referrals(&options.referrals, &by_customer, now);
    let (bg, gg) = (bgnbd.params(), gamma_gamma.params());
    let horizon_units = f64::from(horizon.months) * horizon.periods_per_month;
    let mut customers = Vec::with_capacity(summaries.len());
    let extra = owners.into_iter().zip(stated);
    for ((((s, mine), f), rating), (owner, stated_reason)) in
        summaries.into_iter().zip(orders.iter()).zip(&facts).zip(ratings).zip(extra)
    {
        let instants: Vec<Timestamp> = mine.iter().map(|o| o.0).collect();
        let scores = breakpoints.score(f);
        let cell = cell_of(&rules.cells, scores, levels).map(|c| c.id.clone());
        let h = s.history;
        let p_alive = bg.filter(|_| h.frequency > 0).map(|m| m.p_alive(h.frequency, h.recency, h.age));
        let p_return = bg.map(|m| {
            let buys =
                1.0 - exp((m.r + f64::from(h.frequency)) * (ln(m.alpha + h.age) - ln(m.alpha + h.age + horizon_units)));
            m.p_alive(h.frequency, h.recency, h.age) * buys
        });
        let expected_purchases =
            bg.and_then(|m| m.conditional_expected_purchases(horizon_units, h.frequency, h.recency, h.age));
        let expected_order_value = gg.and_then(|g| g.expected_average_value(h.frequency, s.monetary));
        let value = bg.zip(expected_order_value).and_then(|(m, v)| clv(m, &h, v, &horizon));
        let origin_ms = rules.period.start_day(s.first).saturating_mul(DAY_MS);
        let who = Customer { history: h, origin_ms, orders: &instants, negative_rating: rating };
        let within = rules.churn.negative_rating.map(|(_, w)| w);
        let churn = alert(&who, bg, &rules.churn, within, unit_days, &norm, now);
        let active = now.since(s.last) < rules.active_within.ms();
        let winback_priority = value.zip(p_return).filter(|_| churn.is_some() || !active).map(|(v, p)| v * p);
        let mut figures = Figures {
            returning: h.frequency > 0,
            high_value: scores.on_five(levels).m >= rules.high_value,
            active,
            summary: s,
            rfm: Rfm { scores, cell },
            p_alive,
            p_return,
            expected_purchases,
            expected_order_value,
            clv: value,
            churn,
            winback_priority,
            owner,
            stated_reason,
            profile: Profile(Vec::new()),
        };
        figures.profile = profile(&figures);
        customers.push(figures);
    }
    let lists: Vec<&[(Timestamp, f64)]> = orders.iter().map(Vec::as_slice).collect();
    let mut kpis = kpis(&lists, rules.active_within, now);
    kpis.nps = nps(&options.nps_answers, now);
    kpis.referrals = referrals;
    let rfm = rfm_summary(&customers, breakpoints, rules);
    let mut p_alive_histogram = alloc::vec![0u32; 10];
    let mut one_time_buyers = 0;
    for c in &customers {
        match c.p_alive.filter(|_| c.summary.history.frequency > 0) {
            Some(p) => {
                if let Some(bin) = p_alive_histogram.get_mut(((p * 10.0) as usize).min(9)) {
                    *bin += 1;
                }
            }
            None => one_time_buyers += u32::from(c.summary.history.frequency == 0),
        }
    }
    let alerts = customers.iter().filter(|c| c.churn.is_some()).count() as u32;
    let alert_list = alert_list(&customers);
    Analysis {
        now,
        period: rules.period,
        unit_days,
        horizon,
        bgnbd,
        gamma_gamma,
        rfm,
        p_alive_histogram,
        one_time_buyers,
        alerts,
        duplicate_orders,
        typical_repeat_days: norm.typical_ms.map(|t| t / DAY_MS as f64),
        kpis,
        winback,
        alert_list,
        customers,
    }
}

fn rfm_summary(customers: &[Figures], breakpoints: Breakpoints, rules: &RetentionRules) -> RfmSummary {
    let n = usize::from(breakpoints.levels);
    let mut grid = alloc::vec![alloc::vec![0u32; n]; n];
    let mut cells: Vec<CellCount> =
        rules.cells.iter().map(|c| CellCount { id: Some(c.id.clone()), customers: 0, revenue: 0.0 }).collect();
    let mut none = CellCount { id: None, customers: 0, revenue: 0.0 };
    for c in customers {
        let s = c.rfm.scores;
        if let Some(slot) = grid.get_mut(usize::from(s.r) - 1).and_then(|row| row.get_mut(usize::from(s.fm()) - 1)) {
            *slot += 1;
        }
        let count = match &c.rfm.cell {
            Some(id) => cells.iter_mut().find(|k| k.id.as_deref() == Some(id.as_str())),
            None => Some(&mut none),
        };
        if let Some(k) = count {
            k.customers += 1;
            k.revenue += c.summary.total;
        }
    }
    if none.customers > 0 {
        cells.push(none);
    }
    RfmSummary { breakpoints, grid, cells }
}

/// The facts to keep on the contact as profile fields (D36, D40: "keep the churn reason on the contact"), so
/// playbook conditions can use them: `rfm_cell`, `rfm_score` ("r-f-m"), `customer_type` (one_time /
/// returning), `value_tier` (high / occasional), `activity` (active / dormant), and when known `p_alive`, `clv`,
/// `churn_reason` (the first reason: p_alive, purchase_gap, activity_drop, negative_rating, no_repeat), `churn_alert_at`
/// (epoch ms) and `winback_priority`. A fact that is not known is `None`: folded as `null`, it clears an old one.
/// A stated churn reason (D39) is written to `churn_reason_stated` only when one is known, never as `null`: the
/// analysis must not erase what the customer said, and `churn_reason` (behavioural) never replaces it.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile(pub Vec<(&'static str, Option<Scalar>)>);

impl Serialize for Profile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            match value {
                Some(Scalar::Str(t)) => m.serialize_entry(key, t)?,
                Some(Scalar::Num(n)) => m.serialize_entry(key, n)?,
                Some(Scalar::Bool(b)) => m.serialize_entry(key, b)?,
                None => m.serialize_entry(key, &())?,
            }
        }
        m.end()
    }
}

fn profile(f: &Figures) -> Profile {
    let s = f.rfm.scores;
    let text = |v: &str| Some(Scalar::Str(String::from(v)));
    let num = |v: Option<f64>| v.map(Scalar::Num);
    let first_reason = f.churn.as_ref().and_then(|a| a.reasons.first());
    let mut facts = alloc::vec![
        (super::RFM_CELL_FIELD, f.rfm.cell.as_deref().and_then(text)),
        ("rfm_score", Some(Scalar::Str(format!("{}-{}-{}", s.r, s.f, s.m)))),
        ("customer_type", text(if f.returning { "returning" } else { "one_time" })),
        ("value_tier", text(if f.high_value { "high" } else { "occasional" })),
        ("activity", text(if f.active { "active" } else { "dormant" })),
        ("p_alive", num(f.p_alive)),
        ("clv", num(f.clv)),
        ("churn_reason", first_reason.and_then(|r| text(r.code()))),
        ("churn_alert_at", f.churn.as_ref().map(|a| Scalar::Num(a.fired_at.ms() as f64))),
        ("winback_priority", num(f.winback_priority)),
    ];
    if let Some(stated) = &f.stated_reason {
        facts.push((super::stated::STATED_REASON_FIELD, text(&stated.reason)));
    }
    Profile(facts)
}
