//! The options of one retention analysis (what the caller adds to the playbook's rules: the model unit, negative
//! ratings, owners, stated reasons, win-back starts, NPS answers, referrals), read from the JSON-shaped `Value` the
//! bindings pass, every refusal naming its place (`options.npsAnswers[1].score`).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::nps::{score, Answer, Referral};
use super::stated::StatedReason;
use crate::error::Error;
use crate::time::{quote, Span, Timestamp};
use crate::value::Value;

const DAY_MS: i64 = 86_400_000;

/// What the caller adds to the playbook's rules.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Options {
    /// The model time unit in days; `None` = the period's length (1 for days, 7 for weeks).
    pub unit_days: Option<u32>,
    /// The latest negative rating per customer (D41), from the playbook's `negative_rating` signal.
    pub negative_ratings: Vec<(String, Timestamp)>,
    /// Each customer's owner from the contact's profile (D41: an alert reaches a person); absent: unassigned.
    pub owners: Vec<(String, String)>,
    /// The churn reason each customer stated (D39), kept beside the behavioural reasons.
    pub stated_reasons: Vec<(String, StatedReason)>,
    /// When a win-back campaign started for a customer (D42: the plan measured), one entry per start.
    pub winback_starts: Vec<(String, Timestamp)>,
    /// Survey answers, 0–10 (D42: NPS over time), in the order given.
    pub nps_answers: Vec<Answer>,
    /// Referrals made by customers (D38).
    pub referrals: Vec<Referral>,
}

/// `{ customer, … }` items of an options array: the customer id and the item, each located.
fn items<'v>(v: &'v Value, at: &str) -> Result<Vec<(String, &'v Value, String)>, Error> {
    let Value::Array(list) = v else {
        return Err(Error::input(at, format!("expected an array, got {}", v.kind_name())));
    };
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let here = format!("{at}[{i}]");
        let customer = match item.get("customer") {
            Some(Value::String(c)) if !c.is_empty() => c.clone(),
            _ => return Err(Error::input(format!("{here}.customer"), "expected a customer id")),
        };
        out.push((customer, item, here));
    }
    Ok(out)
}

/// A required non-empty text field of an options item.
fn text_of(item: &Value, here: &str, key: &str) -> Result<String, Error> {
    match item.get(key) {
        Some(Value::String(t)) if !t.trim().is_empty() => Ok(String::from(t.trim())),
        other => Err(Error::input(
            format!("{here}.{key}"),
            format!("expected non-empty text, got {}", other.map_or("nothing", Value::kind_name)),
        )),
    }
}

impl Options {
    /// Reads `{ unit?: "7d", negativeRatings?, owners?, statedReasons?, winbackStarts?, npsAnswers?: [{ customer, at,
    /// score }], referrals?: [{ customer, at, referred? }] }` (the bindings' options; `now` is separate).
    ///
    /// ```
    /// # use rekindle_core::{retention::Options, Value};
    /// let v = Value::Object(vec![("unit".into(), Value::String("7d".into()))]);
    /// assert_eq!(Options::parse(&v, "options").unwrap().unit_days, Some(7));
    /// ```
    pub fn parse(value: &Value, path: &str) -> Result<Options, Error> {
        let mut out = Options::default();
        let entries = match value {
            Value::Null => return Ok(out),
            Value::Object(entries) => entries,
            other => return Err(Error::input(path, format!("expected an options object, got {}", other.kind_name()))),
        };
        for (key, v) in entries {
            let at = format!("{path}.{key}");
            match key.as_str() {
                "unit" => {
                    let Value::String(text) = v else {
                        return Err(Error::input(
                            at,
                            format!("expected a duration like \"7d\", got {}", v.kind_name()),
                        ));
                    };
                    let span = Span::parse_str(text).map_err(|r| Error::input(&at, r))?;
                    let days = span.ms() / DAY_MS;
                    if span.ms() % DAY_MS != 0 || !(1..=3650).contains(&days) {
                        return Err(Error::input(at, "expected whole days from \"1d\" to \"3650d\""));
                    }
                    out.unit_days = Some(days as u32);
                }
                "negativeRatings" | "winbackStarts" => {
                    for (customer, item, here) in items(v, &at)? {
                        let when = item.get("at").unwrap_or(&Value::Null);
                        let when = Timestamp::parse(when, &format!("{here}.at"))?;
                        let list =
                            if key == "winbackStarts" { &mut out.winback_starts } else { &mut out.negative_ratings };
                        list.push((customer, when));
                    }
                }
                "owners" => {
                    for (customer, item, here) in items(v, &at)? {
                        out.owners.push((customer, text_of(item, &here, "owner")?));
                    }
                }
                "statedReasons" => {
                    for (customer, item, here) in items(v, &at)? {
                        let reason = text_of(item, &here, "reason")?;
                        let when = match item.get("at") {
                            None | Some(Value::Null) => None,
                            Some(t) => Some(Timestamp::parse(t, &format!("{here}.at"))?),
                        };
                        out.stated_reasons.push((customer, StatedReason { reason, at: when }));
                    }
                }
                "npsAnswers" => {
                    for (customer, item, here) in items(v, &at)? {
                        let when = Timestamp::parse(item.get("at").unwrap_or(&Value::Null), &format!("{here}.at"))?;
                        let score = match item.get("score") {
                            Some(Value::Number(n)) => score(*n),
                            other => Err(format!(
                                "expected a whole number from 0 to 10 (the NPS answer), got {}",
                                other.map_or("nothing", Value::kind_name)
                            )),
                        }
                        .map_err(|reason| Error::input(format!("{here}.score"), reason))?;
                        out.nps_answers.push(Answer { customer, at: when, score });
                    }
                }
                "referrals" => {
                    for (customer, item, here) in items(v, &at)? {
                        let when = Timestamp::parse(item.get("at").unwrap_or(&Value::Null), &format!("{here}.at"))?;
                        let referred = match item.get("referred") {
                            None | Some(Value::Null) => None,
                            Some(_) => Some(text_of(item, &here, "referred")?),
                        };
                        out.referrals.push(Referral { customer, at: when, referred });
                    }
                }
                other => {
                    return Err(Error::input(
                        at,
                        format!(
                            "unknown option \"{}\"; the options are now, unit, negativeRatings, owners, statedReasons, \
                             winbackStarts, npsAnswers, referrals, playbook",
                            quote(other)
                        ),
                    ))
                }
            }
        }
        Ok(out)
    }
}
