//! Retention KPIs over time (D38, D42): retention by cohort of first order, the share of revenue from
//! returning customers, and churn month by month. Months are UTC calendar months (`"2026-03"`), the only
//! calendar unit here: a cohort is "customers whose first order fell in March". NPS and referrals per month are
//! [`super::nps`]'s, filled in by the analysis from its options.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use super::nps::{Nps, Referrals};
use crate::time::{Span, Timestamp};
use crate::zone::civil::{civil_from_days, days_from_civil};

const DAY_MS: i64 = 86_400_000;
/// Cohorts and monthly figures cover at most this many months back from `now`'s month.
pub const MONTHS: i64 = 24;

/// Customers whose first order fell in one month, and how many ordered again in each later month.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cohort {
    /// `"YYYY-MM"`.
    pub month: String,
    /// Customers in the cohort.
    pub customers: u32,
    /// Share of the cohort with an order in month k after the cohort month (k = 0 is the cohort month
    /// itself, always 1), up to `now`'s month.
    pub retained: Vec<f64>,
}

/// One calendar month of the business.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Month {
    /// `"YYYY-MM"`.
    pub month: String,
    /// Revenue of the month's orders.
    pub revenue: f64,
    /// Of which from orders after a customer's first order day (returning customers).
    pub returning_revenue: f64,
    /// Customers active at the month's start (an order within `active_within` before it).
    pub active_at_start: u32,
    /// Of those, customers with no order within `active_within` before the month's end (or `now`).
    pub churned: u32,
    /// `churned / active_at_start` (0 when nobody was active).
    pub churn_rate: f64,
}

/// KPIs of the whole log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kpis {
    /// Total revenue in the observation.
    pub revenue: f64,
    /// Revenue from orders after each customer's first order day.
    pub returning_revenue: f64,
    /// `returning_revenue / revenue` (0 without revenue).
    pub returning_revenue_share: f64,
    /// Customers with orders on two or more days.
    pub returning_customers: u32,
    /// Cohorts by month of first order, oldest first.
    pub cohorts: Vec<Cohort>,
    /// Month by month, oldest first, ending with `now`'s month.
    pub months: Vec<Month>,
    /// NPS per month from the survey answers given (D42); empty without answers.
    pub nps: Nps,
    /// Referrals per month (D38); empty without referrals.
    pub referrals: Referrals,
}

/// Months since 0000-01 of the instant's UTC month.
pub(crate) fn month_index(t: i64) -> i64 {
    let (y, m, _) = civil_from_days(t.div_euclid(DAY_MS));
    y * 12 + i64::from(m) - 1
}

fn month_start(index: i64) -> i64 {
    let (y, m) = (index.div_euclid(12), index.rem_euclid(12) + 1);
    days_from_civil(y, m as u8, 1).saturating_mul(DAY_MS)
}

pub(crate) fn label(index: i64) -> String {
    format!("{:04}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
}

/// One customer's orders, ascending: (instant, amount).
pub type Orders<'a> = &'a [(Timestamp, f64)];

/// The KPIs of customers' order lists at `now`.
pub fn kpis(customers: &[Orders<'_>], active_within: Span, now: Timestamp) -> Kpis {
    let now_month = month_index(now.ms());
    let first_month = now_month - (MONTHS - 1);
    let months = (now_month - first_month + 1) as usize;
    let mut cohort_sizes = alloc::vec![0u32; months];
    let mut cohort_hits = alloc::vec![alloc::vec![0u32; months]; months];
    let mut by_month: Vec<Month> = (first_month..=now_month)
        .map(|m| Month {
            month: label(m),
            revenue: 0.0,
            returning_revenue: 0.0,
            active_at_start: 0,
            churned: 0,
            churn_rate: 0.0,
        })
        .collect();
    let (mut revenue, mut returning_revenue, mut returning_customers) = (0.0, 0.0, 0u32);
    let a = active_within.ms();
    for orders in customers {
        let Some(&(first, _)) = orders.first() else { continue };
        let first_day = first.ms().div_euclid(DAY_MS);
        let mut returning = false;
        let mut seen: Vec<i64> = Vec::new();
        for &(at, amount) in orders.iter() {
            let repeat = at.ms().div_euclid(DAY_MS) > first_day;
            returning |= repeat;
            revenue += amount;
            let m = month_index(at.ms());
            if let Some(row) = usize::try_from(m - first_month).ok().and_then(|i| by_month.get_mut(i)) {
                row.revenue += amount;
                if repeat {
                    row.returning_revenue += amount;
                }
            }
            if repeat {
                returning_revenue += amount;
            }
            if seen.last() != Some(&m) {
                seen.push(m);
            }
        }
        returning_customers += u32::from(returning);
        let cohort = month_index(first.ms());
        if cohort >= first_month {
            let c = (cohort - first_month) as usize;
            if let Some(size) = cohort_sizes.get_mut(c) {
                *size += 1;
            }
            for m in &seen {
                let k = usize::try_from(m - cohort).ok();
                if let Some(hit) = cohort_hits.get_mut(c).and_then(|row| k.and_then(|k| row.get_mut(k))) {
                    *hit += 1;
                }
            }
        }
        // Active at t: an order in (t − a, t].
        let active = |t: i64| {
            let after = orders.partition_point(|(o, _)| o.ms() <= t - a);
            orders.get(after).is_some_and(|(o, _)| o.ms() <= t)
        };
        for (i, row) in by_month.iter_mut().enumerate() {
            let start = month_start(first_month + i as i64);
            let end = month_start(first_month + i as i64 + 1).min(now.ms() + 1) - 1;
            if start > now.ms() || !active(start - 1) {
                continue;
            }
            row.active_at_start += 1;
            if !active(end) {
                row.churned += 1;
            }
        }
    }
    for row in &mut by_month {
        row.churn_rate =
            if row.active_at_start > 0 { f64::from(row.churned) / f64::from(row.active_at_start) } else { 0.0 };
    }
    let cohorts = cohort_sizes
        .iter()
        .zip(&cohort_hits)
        .enumerate()
        .filter(|(_, (size, _))| **size > 0)
        .map(|(i, (size, hits))| Cohort {
            month: label(first_month + i as i64),
            customers: *size,
            retained: hits.iter().take(months - i).map(|h| f64::from(*h) / f64::from(*size)).collect(),
        })
        .collect();
    let share = if revenue > 0.0 { returning_revenue / revenue } else { 0.0 };
    Kpis {
        revenue,
        returning_revenue,
        returning_revenue_share: share,
        returning_customers,
        cohorts,
        months: by_month,
        nps: Nps::default(),
        referrals: Referrals::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(&crate::Value::String(text.into()), "t").unwrap()
    }

    #[test]
    fn cohorts_count_customers_by_the_month_of_their_first_order() {
        let a = [(at("2026-01-05T10:00:00Z"), 10.0), (at("2026-03-02T10:00:00Z"), 30.0)];
        let b = [(at("2026-01-20T10:00:00Z"), 20.0)];
        let c = [(at("2026-02-01T00:00:00Z"), 5.0), (at("2026-02-01T09:00:00Z"), 5.0)];
        let k = kpis(&[&a, &b, &c], Span::days(90), at("2026-03-31T12:00:00Z"));
        let jan = k.cohorts.iter().find(|c| c.month == "2026-01").unwrap();
        assert_eq!((jan.customers, jan.retained.clone()), (2, vec![1.0, 0.0, 0.5]));
        let feb = k.cohorts.iter().find(|c| c.month == "2026-02").unwrap();
        assert_eq!(feb.retained, vec![1.0, 0.0]);
        // Same-day orders are not "returning"; the March order of a is.
        assert_eq!((k.revenue, k.returning_revenue, k.returning_customers), (70.0, 30.0, 1));
        let march = k.months.last().unwrap();
        assert_eq!((march.month.as_str(), march.revenue, march.returning_revenue), ("2026-03", 30.0, 30.0));
    }

    #[test]
    fn churn_counts_customers_active_at_a_months_start_and_dormant_at_its_end() {
        let a = [(at("2025-12-15T00:00:00Z"), 1.0)]; // active on Mar 1 (76 days), dormant by Mar 31 (106 days)
        let b = [(at("2026-02-20T00:00:00Z"), 1.0)]; // active all March
        let k = kpis(&[&a, &b], Span::days(90), at("2026-03-31T23:00:00Z"));
        let march = k.months.last().unwrap();
        assert_eq!((march.active_at_start, march.churned, march.churn_rate), (2, 1, 0.5));
        assert_eq!(k.months.len(), MONTHS as usize);
    }
}
