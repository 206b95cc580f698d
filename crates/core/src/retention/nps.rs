//! NPS and referrals over time (D38, D42), from the events a survey tool and the site send, in the KPIs' UTC
//! calendar months (`"2026-03"`, the last [`MONTHS`] up to `now`'s).
//!
//! **NPS.** An answer is a customer's 0–10 score (`custom:nps`, `props.score`). Per month only the customer's
//! latest answer counts (at equal instants the one given last); promoters score 9–10, passives 7–8, detractors
//! 0–6, and NPS = 100 × (promoters − detractors) / answers. Under [`MIN_ANSWERS`] answers the month is still
//! reported, with `lowSample` (D26: a figure on a small sample is a hint, not a result). A score that is not a
//! whole number from 0 to 10 is refused with its place ([`score`]): a survey answer is never dropped silently.
//!
//! **Referrals.** A referral is an event on the referring customer (`custom:referral`), `props.referred` the new
//! customer's id when the site knows it. Per month: referrals made (by their instant), new customers (first order
//! in the month), and of those the ones *referred*: some referral naming them is at or before their first order.
//! `referredShare` = referred / new customers (`None` without new customers).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use super::kpi::{label, month_index, MONTHS};
use crate::event::{Event, EventKind, Scalar};
use crate::time::{short_number, Timestamp};

/// The custom event of a survey answer: `{ kind: "custom:nps", props: { score: 0..10 } }`.
pub const NPS_EVENT: &str = "nps";
/// The custom event of a referral: `{ kind: "custom:referral", props: { referred?: "<new customer id>" } }`.
pub const REFERRAL_EVENT: &str = "referral";
/// A month with fewer answers than this is reported with `lowSample`.
pub const MIN_ANSWERS: u32 = 30;

/// One survey answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The customer who answered.
    pub customer: String,
    /// When.
    pub at: Timestamp,
    /// 0–10 ([`score`] checks it).
    pub score: u8,
}

/// One referral.
#[derive(Debug, Clone, PartialEq)]
pub struct Referral {
    /// The referring customer.
    pub customer: String,
    /// When the referral was made.
    pub at: Timestamp,
    /// The new customer's id, when known.
    pub referred: Option<String>,
}

/// A survey score: a whole number from 0 to 10, else the reason (to be reported at the answer's place).
///
/// ```
/// # use rekindle_core::retention::nps::score;
/// assert_eq!(score(9.0), Ok(9));
/// assert!(score(7.5).unwrap_err().contains("got 7.5"));
/// ```
pub fn score(n: f64) -> Result<u8, String> {
    // `n as u8 as f64 == n` rather than `fract()`: core is no_std, where f64 has no `fract`.
    if (0.0..=10.0).contains(&n) && f64::from(n as u8) == n {
        Ok(n as u8)
    } else {
        Err(format!("expected a whole number from 0 to 10 (the NPS answer), got {}", short_number(n)))
    }
}

/// The score a `custom:nps` event carries: `Some(Ok(score))`, `Some(Err(reason))` for a missing or invalid
/// `score` (the event is a survey answer, so it must not vanish), `None` for other events.
pub fn answer_of(event: &Event) -> Option<Result<u8, String>> {
    if !matches!(&event.kind, EventKind::Custom(name) if name == NPS_EVENT) {
        return None;
    }
    Some(match event.props.get("score") {
        Some(Some(Scalar::Num(n))) => score(*n),
        Some(Some(Scalar::Str(s))) => {
            Err(format!("expected a whole number from 0 to 10 (the NPS answer), got text \"{s}\""))
        }
        Some(Some(Scalar::Bool(_))) => {
            Err(String::from("expected a whole number from 0 to 10 (the NPS answer), got a boolean"))
        }
        None | Some(None) => Err(String::from("expected a score, a whole number from 0 to 10 (the NPS answer)")),
    })
}

/// The referred customer a `custom:referral` event names: `Some(Ok(Some(referred)))`, `Some(Ok(None))` when it
/// names nobody (no `referred`, or `null`: the site does not know the new customer), `Some(Err(reason))` for a
/// `referred` that names no one readable (blank text, a boolean: refused at the event's place, as the options'
/// `referrals[i].referred` is, rather than counted as naming nobody), `None` for other events.
///
/// ```
/// # use rekindle_core::retention::nps::referral_of;
/// # use rekindle_core::{Event, Value};
/// let v = Value::Object(vec![
///     ("at".into(), Value::Number(1.0e12)),
///     ("kind".into(), Value::String("custom:referral".into())),
///     ("props".into(), Value::Object(vec![("referred".into(), Value::String(" n@x.test ".into()))])),
/// ]);
/// assert_eq!(referral_of(&Event::parse(&v, "e").unwrap()), Some(Ok(Some("n@x.test".into()))));
/// ```
pub fn referral_of(event: &Event) -> Option<Result<Option<String>, String>> {
    if !matches!(&event.kind, EventKind::Custom(name) if name == REFERRAL_EVENT) {
        return None;
    }
    Some(match event.props.get("referred") {
        None | Some(None) => Ok(None),
        Some(Some(Scalar::Str(s))) if !s.trim().is_empty() => Ok(Some(String::from(s.trim()))),
        Some(Some(Scalar::Num(n))) => Ok(Some(short_number(*n))),
        Some(Some(Scalar::Str(_))) => Err(String::from(
            "expected the referred customer's id or email, got empty text; leave `referred` out when the new \
             customer is not known",
        )),
        Some(Some(Scalar::Bool(_))) => {
            Err(String::from("expected the referred customer's id or email (text), got a boolean"))
        }
    })
}

/// NPS of one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NpsMonth {
    /// `"YYYY-MM"`.
    pub month: String,
    /// The month's figures, written beside `month` (`{"month": "2026-11", "answers": 12, …}`).
    #[serde(flatten)]
    pub figures: NpsFigures,
}

/// One month's NPS figures. `Deserialize` because a later plan reads them back from the one it compares with
/// (the CLI's `--previous`), in the form they were written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NpsFigures {
    /// Answers counted (one per customer: the latest).
    pub answers: u32,
    /// Scores 9–10.
    pub promoters: u32,
    /// Scores 7–8.
    pub passives: u32,
    /// Scores 0–6.
    pub detractors: u32,
    /// 100 × (promoters − detractors) / answers, from −100 to 100 (points, not a percentage).
    pub nps: f64,
    /// Fewer than [`MIN_ANSWERS`] answers: too few to compare.
    pub low_sample: bool,
}

/// NPS month by month.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Nps {
    /// Months with at least one answer, oldest first.
    pub months: Vec<NpsMonth>,
    /// Answers replaced by the same customer's later answer in the same month.
    pub superseded: u32,
    /// Answers after `now` or before the first of the [`MONTHS`] months.
    pub outside: u32,
}

/// NPS per month at `now`.
pub fn nps(answers: &[Answer], now: Timestamp) -> Nps {
    let now_month = month_index(now.ms());
    let first_month = now_month - (MONTHS - 1);
    let mut out = Nps::default();
    // (month, customer, at, input order, score): the latest per (month, customer) is the last of its run.
    let mut kept: Vec<(i64, &str, Timestamp, usize, u8)> = Vec::with_capacity(answers.len());
    for (i, a) in answers.iter().enumerate() {
        let m = month_index(a.at.ms());
        if a.at > now || m < first_month {
            out.outside += 1;
            continue;
        }
        kept.push((m, a.customer.as_str(), a.at, i, a.score));
    }
    kept.sort_unstable_by(|x, y| (x.0, x.1, x.2, x.3).cmp(&(y.0, y.1, y.2, y.3)));
    for (j, &(m, customer, _, _, s)) in kept.iter().enumerate() {
        if kept.get(j + 1).is_some_and(|next| next.0 == m && next.1 == customer) {
            out.superseded += 1;
            continue;
        }
        if out.months.last().map(|row| row.month.as_str()) != Some(label(m).as_str()) {
            let figures =
                NpsFigures { answers: 0, promoters: 0, passives: 0, detractors: 0, nps: 0.0, low_sample: true };
            out.months.push(NpsMonth { month: label(m), figures });
        }
        if let Some(row) = out.months.last_mut().map(|m| &mut m.figures) {
            row.answers += 1;
            match s {
                9..=10 => row.promoters += 1,
                7..=8 => row.passives += 1,
                _ => row.detractors += 1,
            }
        }
    }
    for row in out.months.iter_mut().map(|m| &mut m.figures) {
        row.nps = (f64::from(row.promoters) - f64::from(row.detractors)) * 100.0 / f64::from(row.answers);
        row.low_sample = row.answers < MIN_ANSWERS;
    }
    out
}

/// Referrals of one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralMonth {
    /// `"YYYY-MM"`.
    pub month: String,
    /// The month's figures, written beside `month`.
    #[serde(flatten)]
    pub figures: ReferralFigures,
}

/// One month's referral figures (`Deserialize`: read back by a later plan, as [`NpsFigures`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferralFigures {
    /// Referrals made in the month.
    pub referrals: u32,
    /// Customers whose first order fell in the month.
    pub new_customers: u32,
    /// Of those, customers named by a referral at or before their first order.
    pub referred: u32,
    /// `referred / new_customers`, a fraction from 0 to 1 (`None` without new customers).
    pub referred_share: Option<f64>,
}

/// Referrals month by month.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Referrals {
    /// Months with a referral or a new customer, oldest first; empty when no referral was given.
    pub months: Vec<ReferralMonth>,
    /// Referrals after `now` or before the first of the [`MONTHS`] months (not counted in a month).
    pub outside: u32,
}

/// Referrals per month at `now`; `customers` are (id, orders ascending), as the analysis has them.
pub fn referrals(list: &[Referral], customers: &[(&str, &[(Timestamp, f64)])], now: Timestamp) -> Referrals {
    let mut out = Referrals::default();
    if list.is_empty() {
        return out;
    }
    let now_month = month_index(now.ms());
    let first_month = now_month - (MONTHS - 1);
    let n = (now_month - first_month + 1) as usize;
    let mut rows: Vec<ReferralMonth> = (first_month..=now_month)
        .map(|m| {
            let figures = ReferralFigures { referrals: 0, new_customers: 0, referred: 0, referred_share: None };
            ReferralMonth { month: label(m), figures }
        })
        .collect();
    let slot = |t: Timestamp| usize::try_from(month_index(t.ms()) - first_month).ok().filter(|i| *i < n && t <= now);
    for r in list {
        match slot(r.at).and_then(|i| rows.get_mut(i)).map(|m| &mut m.figures) {
            Some(row) => row.referrals += 1,
            None => out.outside += 1,
        }
    }
    // The earliest referral naming each customer.
    let mut named: Vec<(&str, Timestamp)> =
        list.iter().filter_map(|r| r.referred.as_deref().map(|c| (c, r.at))).collect();
    named.sort_unstable();
    for (customer, orders) in customers {
        let Some(&(first, _)) = orders.first() else { continue };
        let Some(row) = slot(first).and_then(|i| rows.get_mut(i)).map(|m| &mut m.figures) else { continue };
        row.new_customers += 1;
        let at = named.partition_point(|(c, _)| c < customer);
        if named.get(at).is_some_and(|(c, t)| c == customer && *t <= first) {
            row.referred += 1;
        }
    }
    for row in rows.iter_mut().map(|m| &mut m.figures) {
        if row.new_customers > 0 {
            row.referred_share = Some(f64::from(row.referred) / f64::from(row.new_customers));
        }
    }
    out.months = rows.into_iter().filter(|r| r.figures.referrals > 0 || r.figures.new_customers > 0).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(&crate::Value::String(text.into()), "t").unwrap()
    }

    fn answer(customer: &str, when: &str, score: u8) -> Answer {
        Answer { customer: customer.into(), at: at(when), score }
    }

    #[test]
    fn promoters_score_9_and_10_passives_7_and_8_detractors_up_to_6() {
        let list: Vec<Answer> = [0u8, 6, 7, 8, 9, 10]
            .iter()
            .enumerate()
            .map(|(i, s)| answer(&format!("c{i}"), "2026-03-02T10:00:00Z", *s))
            .collect();
        let k = nps(&list, at("2026-03-31T12:00:00Z"));
        let m = &k.months[0];
        assert_eq!(
            (m.month.as_str(), m.figures.answers, m.figures.promoters, m.figures.passives, m.figures.detractors),
            ("2026-03", 6, 2, 2, 2)
        );
        assert_eq!(m.figures.nps, 0.0);
        let k = nps(
            &[answer("a", "2026-03-02T10:00:00Z", 9), answer("b", "2026-03-02T10:00:00Z", 8)],
            at("2026-03-31T00:00:00Z"),
        );
        assert_eq!(
            (k.months[0].figures.promoters, k.months[0].figures.passives, k.months[0].figures.nps),
            (1, 1, 50.0)
        );
        let k = nps(
            &[answer("a", "2026-03-02T10:00:00Z", 6), answer("b", "2026-03-02T10:00:00Z", 7)],
            at("2026-03-31T00:00:00Z"),
        );
        assert_eq!(
            (k.months[0].figures.detractors, k.months[0].figures.passives, k.months[0].figures.nps),
            (1, 1, -50.0)
        );
    }

    #[test]
    fn only_the_latest_answer_of_a_customer_in_a_month_counts() {
        let list = [
            answer("a", "2026-02-27T10:00:00Z", 2), // February: its own month
            answer("a", "2026-03-20T10:00:00Z", 10),
            answer("a", "2026-03-02T10:00:00Z", 3), // replaced by the 20th's, though given after it
            answer("b", "2026-03-05T10:00:00Z", 5),
            answer("b", "2026-03-05T10:00:00Z", 9), // same instant: the one given last
        ];
        let k = nps(&list, at("2026-03-31T12:00:00Z"));
        assert_eq!(k.superseded, 2);
        let feb = &k.months[0];
        assert_eq!(
            (feb.month.as_str(), feb.figures.answers, feb.figures.detractors, feb.figures.nps),
            ("2026-02", 1, 1, -100.0)
        );
        let mar = &k.months[1];
        assert_eq!(
            (mar.month.as_str(), mar.figures.answers, mar.figures.promoters, mar.figures.nps),
            ("2026-03", 2, 2, 100.0)
        );
    }

    #[test]
    fn a_month_under_the_minimum_is_flagged_not_hidden_and_answers_outside_are_counted() {
        let mut list: Vec<Answer> =
            (0..MIN_ANSWERS).map(|i| answer(&format!("c{i}"), "2026-02-10T00:00:00Z", 10)).collect();
        list.extend((0..MIN_ANSWERS - 1).map(|i| answer(&format!("c{i}"), "2026-03-10T00:00:00Z", 0)));
        list.push(answer("late", "2026-04-01T00:00:00Z", 9));
        list.push(answer("old", "2020-01-01T00:00:00Z", 9));
        let k = nps(&list, at("2026-03-31T12:00:00Z"));
        assert_eq!(k.outside, 2);
        assert_eq!(
            (k.months[0].figures.answers, k.months[0].figures.low_sample, k.months[0].figures.nps),
            (30, false, 100.0)
        );
        assert_eq!(
            (k.months[1].figures.answers, k.months[1].figures.low_sample, k.months[1].figures.nps),
            (29, true, -100.0)
        );
    }

    #[test]
    fn scores_must_be_whole_numbers_from_0_to_10() {
        assert_eq!((score(0.0), score(10.0)), (Ok(0), Ok(10)));
        for bad in [-1.0, 11.0, 7.5, f64::NAN] {
            assert!(score(bad).unwrap_err().starts_with("expected a whole number from 0 to 10"), "{bad}");
        }
        assert!(score(11.0).unwrap_err().ends_with("got 11"));
    }

    #[test]
    fn referred_share_counts_new_customers_named_by_an_earlier_referral() {
        let r = |c: &str, when: &str, referred: Option<&str>| Referral {
            customer: c.into(),
            at: at(when),
            referred: referred.map(Into::into),
        };
        let list = [
            r("a", "2026-02-20T00:00:00Z", Some("n1")),
            r("a", "2026-03-01T00:00:00Z", Some("n2")), // after n2's first order: not why n2 came
            r("b", "2026-03-03T00:00:00Z", None),
        ];
        let n1 = [(at("2026-03-02T00:00:00Z"), 10.0)];
        let n2 = [(at("2026-02-25T00:00:00Z"), 10.0), (at("2026-03-05T00:00:00Z"), 10.0)];
        let n3 = [(at("2026-03-04T00:00:00Z"), 10.0)];
        let k = referrals(&list, &[("n1", &n1), ("n2", &n2), ("n3", &n3)], at("2026-03-31T00:00:00Z"));
        assert_eq!(k.outside, 0);
        let feb = &k.months[0];
        assert_eq!(
            (
                feb.month.as_str(),
                feb.figures.referrals,
                feb.figures.new_customers,
                feb.figures.referred,
                feb.figures.referred_share
            ),
            ("2026-02", 1, 1, 0, Some(0.0))
        );
        let mar = &k.months[1];
        assert_eq!(
            (mar.figures.referrals, mar.figures.new_customers, mar.figures.referred, mar.figures.referred_share),
            (2, 2, 1, Some(0.5))
        );
        assert!(referrals(&[], &[("n1", &n1)], at("2026-03-31T00:00:00Z")).months.is_empty());
    }

    #[test]
    fn an_invalid_answer_is_refused_at_its_place_in_the_options() {
        use crate::error::Error;
        use crate::Value;
        let item = |score: Value| {
            Value::Object(alloc::vec![
                ("customer".into(), Value::String("a".into())),
                ("at".into(), Value::String("2026-03-02T10:00:00Z".into())),
                ("score".into(), score),
            ])
        };
        let options = |list: Vec<Value>| Value::Object(alloc::vec![("npsAnswers".into(), Value::Array(list))]);
        let good = super::super::Options::parse(&options(alloc::vec![item(Value::Number(9.0))]), "options").unwrap();
        assert_eq!(good.nps_answers[0].score, 9);
        for (bad, got) in [
            (Value::Number(11.0), "got 11"),
            (Value::Number(7.5), "got 7.5"),
            (Value::String("9".into()), "got a string"),
        ] {
            let list = alloc::vec![item(Value::Number(8.0)), item(bad)];
            match super::super::Options::parse(&options(list), "options") {
                Err(Error::InvalidInput { path, reason }) => {
                    assert_eq!(path, "options.npsAnswers[1].score");
                    assert!(
                        reason.starts_with("expected a whole number from 0 to 10") && reason.contains(got),
                        "{reason}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_events_give_scores_and_referred_customers_and_refuse_what_names_none() {
        let event = |kind: &str, key: &str, v: Option<crate::Value>| {
            let props = v.map(|v| crate::Value::Object(alloc::vec![(key.into(), v)]));
            let mut fields = alloc::vec![
                ("at".into(), crate::Value::Number(1.0e12)),
                ("kind".into(), crate::Value::String(kind.into())),
            ];
            fields.extend(props.map(|p| ("props".into(), p)));
            Event::parse(&crate::Value::Object(fields), "e").unwrap()
        };
        use crate::Value::{Bool, Null, Number, String as Text};
        assert_eq!(answer_of(&event("custom:nps", "score", Some(Number(10.0)))), Some(Ok(10)));
        assert!(answer_of(&event("custom:nps", "score", Some(Number(11.0)))).unwrap().unwrap_err().ends_with("got 11"));
        assert!(answer_of(&event("custom:nps", "score", None)).unwrap().is_err(), "an answer without a score");
        assert_eq!(answer_of(&event("custom:referral", "score", Some(Number(3.0)))), None);
        let referred = |v| referral_of(&event("custom:referral", "referred", v));
        assert_eq!(referred(Some(Text(" b ".into()))), Some(Ok(Some("b".into()))));
        assert_eq!(referred(Some(Number(42.0))), Some(Ok(Some("42".into()))));
        assert_eq!((referred(None), referred(Some(Null))), (Some(Ok(None)), Some(Ok(None))));
        assert!(referred(Some(Text("  ".into()))).unwrap().unwrap_err().contains("leave `referred` out"));
        assert!(referred(Some(Bool(true))).unwrap().unwrap_err().ends_with("got a boolean"));
        assert_eq!(referral_of(&event("custom:nps", "referred", Some(Text("b".into())))), None);
    }

    #[test]
    fn the_analysis_reports_nps_and_referrals_in_its_kpis() {
        use super::super::{analyse, rules::RetentionRules, Options, Transaction};
        let log = alloc::vec![
            Transaction::new("a", at("2026-01-05T00:00:00Z"), 10.0).unwrap(),
            Transaction::new("n", at("2026-03-05T00:00:00Z"), 10.0).unwrap(),
        ];
        let options = Options {
            nps_answers: alloc::vec![answer("a", "2026-03-02T00:00:00Z", 10), answer("n", "2026-03-09T00:00:00Z", 4)],
            referrals: alloc::vec![Referral {
                customer: "a".into(),
                at: at("2026-03-01T00:00:00Z"),
                referred: Some("n".into())
            }],
            ..Options::default()
        };
        let a = analyse(&log, &RetentionRules::default(), &options, at("2026-03-31T00:00:00Z"));
        let m = &a.kpis.nps.months[0];
        assert_eq!((m.figures.answers, m.figures.nps, m.figures.low_sample), (2, 0.0, true));
        let r = a.kpis.referrals.months.last().unwrap();
        assert_eq!(
            (r.month.as_str(), r.figures.referrals, r.figures.new_customers, r.figures.referred_share),
            ("2026-03", 1, 1, Some(1.0))
        );
    }
}
