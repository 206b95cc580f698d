//! The input of retention analytics: a log of orders (customer, instant, amount), parsed once at the edge with
//! every problem located (`transactions[12].amount`), and the per-customer summary models are fitted on.
//!
//! The summary follows `lifetimes.utils.summary_data_from_transaction_data` exactly (checked on the CDNOW log):
//! orders after the end of observation are left out; orders are pooled per period (UTC day, or ISO week from
//! Monday) with their amounts summed; `frequency` counts the periods after the first, `recency` and `T` run from
//! the first period to the last and to the end's period, in the chosen unit; `monetary` is the mean of the
//! repeat periods' sums (0 without repeat periods), so the first order never counts towards spend.
//!
//! Real order logs carry an order `id` (exports overlap, so an order can appear twice: it is counted once, and
//! the repeats are counted apart) and a `currency` (amounts in two currencies cannot be summed: one analysis
//! takes one currency). An instant before 1973-03-03 written as a number is epoch seconds put where epoch
//! milliseconds belong, as the CLI's `at_looks_like_seconds` says of events: refused, with the fix.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;

use super::fit::History;
use crate::error::Error;
use crate::time::{quote, short_number, Timestamp};
use crate::value::Value;

const DAY_MS: i64 = 86_400_000;

/// Order instants below this many epoch milliseconds (1973-03-03) are refused: they are epoch seconds of today
/// (1.7e9) read as milliseconds, and would age every customer by decades. The CLI rejects events by the same rule
/// ([`Timestamp::looks_like_seconds`]), so Node and the CLI refuse the same orders.
///
/// ```
/// # use rekindle_core::retention::transaction::SECONDS_NOT_MS;
/// assert!(1_764_547_200 < SECONDS_NOT_MS && 1_764_547_200_000 > SECONDS_NOT_MS);
/// ```
pub use crate::time::SECONDS_NOT_MS;

/// One order.
///
/// ```
/// # use rekindle_core::{retention::Transaction, Timestamp, Value};
/// let v = Value::Array(vec![Value::Object(vec![
///     ("customer".into(), Value::String("c1".into())),
///     ("at".into(), Value::String("2026-01-05T10:00:00Z".into())),
///     ("amount".into(), Value::Number(25.0)),
/// ])]);
/// let list = Transaction::parse_list(&v, "transactions").unwrap();
/// assert_eq!(list[0].amount, 25.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    /// Who ordered: any non-empty id (numbers are read as their integer text).
    pub customer: String,
    /// When.
    pub at: Timestamp,
    /// The order's value, finite and ≥ 0 (0 when absent: frequency-only data).
    pub amount: f64,
    /// The order's id, when the log has one: a repeated id is the same order exported twice, counted once.
    pub id: Option<String>,
}

impl Transaction {
    /// A checked order: `None` for an empty customer id or an amount that is negative or not finite.
    ///
    /// ```
    /// # use rekindle_core::{retention::Transaction, Timestamp};
    /// assert!(Transaction::new("c1", Timestamp::EPOCH, -5.0).is_none()); // a refund is not an order
    /// ```
    pub fn new(customer: impl Into<String>, at: Timestamp, amount: f64) -> Option<Transaction> {
        let customer = customer.into();
        (!customer.is_empty() && amount.is_finite() && amount >= 0.0).then_some(Transaction {
            customer,
            at,
            amount,
            id: None,
        })
    }

    /// The same order with an order id (an empty id is no id).
    ///
    /// ```
    /// # use rekindle_core::{retention::Transaction, Timestamp};
    /// let t = Transaction::new("c1", Timestamp::EPOCH, 5.0).unwrap().with_id("A-17");
    /// assert_eq!(t.id.as_deref(), Some("A-17"));
    /// ```
    pub fn with_id(mut self, id: impl Into<String>) -> Transaction {
        let id = id.into();
        self.id = (!id.is_empty()).then_some(id);
        self
    }

    /// Parses an array of `{ customer, at, amount?, id?, currency? }` objects. The first bad order fails the call
    /// with its path (an order log with a bad row cannot be summarised without changing somebody's numbers): an
    /// instant that looks like epoch seconds ([`SECONDS_NOT_MS`]), a second currency (amounts in two currencies
    /// cannot be summed), an order id repeated with another customer, instant or amount (which row is right is
    /// not ours to guess). An id repeated with the same order is kept: [`summarise`] counts it once.
    pub fn parse_list(value: &Value, path: &str) -> Result<Vec<Transaction>, Error> {
        let Value::Array(items) = value else {
            return Err(Error::input(path, format!("expected an array of transactions, got {}", value.kind_name())));
        };
        let mut out = Vec::with_capacity(items.len());
        let mut currency = Currency::default();
        for (i, item) in items.iter().enumerate() {
            let place = |(field, reason): (&str, String)| {
                let at = if field.is_empty() { format!("{path}[{i}]") } else { format!("{path}[{i}].{field}") };
                Error::input(at, reason)
            };
            let (order, code) = read(item).map_err(place)?;
            if let Some(code) = code {
                currency.check(code, i, path).map_err(place)?;
            }
            out.push(order);
        }
        check_repeats(&out, path)?;
        Ok(out)
    }
}

/// The one currency of a log: the first order that named one.
#[derive(Default)]
struct Currency(Option<(usize, String)>);

impl Currency {
    fn check(&mut self, code: String, i: usize, path: &str) -> Result<(), (&'static str, String)> {
        match &self.0 {
            None => self.0 = Some((i, code)),
            Some((_, first)) if first.eq_ignore_ascii_case(&code) => {}
            Some((j, first)) => return Err(("currency", currency_problem(first, &code, *j, path))),
        }
        Ok(())
    }
}

#[cold]
fn currency_problem(first: &str, code: &str, j: usize, path: &str) -> String {
    format!(
        "expected \"{}\" like {path}[{j}].currency, got \"{}\": amounts in two currencies cannot be summed; \
         analyse each currency apart or convert first",
        quote(first),
        quote(code)
    )
}

/// A number below [`SECONDS_NOT_MS`] is refused with the fix (× 1000).
fn check_instant(at: Timestamp) -> Result<Timestamp, String> {
    if at.looks_like_seconds() {
        return Err(seconds_problem(at.ms()));
    }
    Ok(at)
}

#[cold]
fn seconds_problem(ms: i64) -> String {
    let (y, m, d) = crate::zone::civil::civil_from_days(ms.div_euclid(DAY_MS));
    format!(
        "{ms} is {y:04}-{m:02}-{d:02} in epoch milliseconds: it looks like epoch seconds; write {ms}000 (seconds × \
         1000) or an RFC 3339 instant"
    )
}

/// Order ids that repeat an earlier order's: `first[i]` is the index of the first order with order i's id, for
/// each later repeat (`usize::MAX` elsewhere); empty when no order repeats.
pub(crate) fn repeats(log: &[Transaction]) -> Vec<usize> {
    // Sorted by (hash of the id, position) with the one retention sort (a sort on strings would cost the wasm
    // build kilobytes); ids within a run of equal hashes are then told apart by their text.
    let mut keys: Vec<Key> =
        log.iter().enumerate().filter_map(|(i, t)| t.id.as_deref().map(|id| (fnv1a(id), i as u64, 0))).collect();
    keys.sort_unstable();
    let id = |k: &Key| log.get(k.1 as usize).and_then(|t| t.id.as_deref()).unwrap_or_default();
    let mut first = Vec::new();
    let mut leads: Vec<&Key> = Vec::new();
    for (n, k) in keys.iter().enumerate() {
        if n == 0 || keys.get(n - 1).is_none_or(|prev| prev.0 != k.0) {
            leads.clear();
        }
        match leads.iter().find(|lead| id(lead) == id(k)) {
            None => leads.push(k),
            Some(lead) => {
                if first.is_empty() {
                    first = alloc::vec![usize::MAX; log.len()];
                }
                if let Some(slot) = first.get_mut(k.1 as usize) {
                    *slot = lead.1 as usize;
                }
            }
        }
    }
    first
}

/// 64-bit FNV-1a: a fixed, portable hash (no randomness in core).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Refuses an order id repeated with another customer, instant or amount, naming the repeat and the first.
fn check_repeats(log: &[Transaction], path: &str) -> Result<(), Error> {
    for (i, j) in repeats(log).iter().enumerate().filter(|(_, j)| **j != usize::MAX) {
        let (Some(a), Some(b)) = (log.get(*j), log.get(i)) else { continue };
        let differs = if a.customer != b.customer {
            "another customer"
        } else if a.at != b.at {
            "another instant"
        } else if a.amount != b.amount {
            "another amount"
        } else {
            continue;
        };
        return Err(Error::input(
            format!("{path}[{i}].id"),
            format!(
                "order \"{}\" is also {path}[{j}], with {differs}: one id names one order; drop the stale row or \
                 give each order its own id",
                quote(b.id.as_deref().unwrap_or_default())
            ),
        ));
    }
    Ok(())
}

impl Transaction {
    /// Orders as columns, the bindings' bulk path: order i is `names[customer[i]]` at `at[i]` (epoch ms) for
    /// `amount[i]` (all 0 when `amount` is `None`). Problems name `{path}[i].at` etc., like [`Self::parse_list`];
    /// logs with order ids, currencies or RFC 3339 text go through [`Self::parse_list`] (the facade transposes
    /// them), so one parser reads those.
    ///
    /// ```
    /// # use rekindle_core::retention::Transaction;
    /// let log = Transaction::from_columns(&["a"], &[0, 0], &[1.7e12, 1.8e12], None, "transactions").unwrap();
    /// assert_eq!((log.len(), log[1].amount), (2, 0.0));
    /// ```
    pub fn from_columns(
        names: &[&str],
        customer: &[u32],
        at: &[f64],
        amount: Option<&[f64]>,
        path: &str,
    ) -> Result<Vec<Transaction>, Error> {
        let n = customer.len();
        let lengths = [("at", at.len()), ("amount", amount.map_or(n, <[f64]>::len))];
        if let Some((name, len)) = lengths.iter().find(|(_, len)| *len != n) {
            return Err(Error::input(
                format!("{path}.{name}"),
                format!("expected {n} values, one per customer entry, got {len}"),
            ));
        }
        let mut out = Vec::with_capacity(n);
        for (i, (c, t)) in customer.iter().zip(at).enumerate() {
            let here = |field: &str, reason: String| Error::input(format!("{path}[{i}].{field}"), reason);
            let name = names
                .get(*c as usize)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| here("customer", String::from("expected a customer id (a non-empty string)")))?;
            let at = Timestamp::from_value(&Value::Number(*t)).and_then(check_instant).map_err(|r| here("at", r))?;
            let value = amount.and_then(|a| a.get(i)).copied().unwrap_or(0.0);
            if !(value.is_finite() && value >= 0.0) {
                return Err(here("amount", amount_problem(value)));
            }
            out.push(Transaction { customer: String::from(*name), at, amount: value, id: None });
        }
        Ok(out)
    }
}

/// Why an amount is refused, with what to do about a refund.
#[cold]
fn amount_problem(value: f64) -> String {
    let hint = if value < 0.0 {
        "; a refund is not an order: net it into its order's amount (drop a fully refunded order)"
    } else {
        ""
    };
    format!("expected a finite amount ≥ 0, got {}{hint}", short_number(value))
}

/// An order id or a customer id: a non-empty string, or an integer read as its text.
fn id_text(v: &Value, field: &'static str, what: &str) -> Result<String, (&'static str, String)> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::Number(n) if n.is_finite() && (*n as i64) as f64 == *n => Ok(format!("{}", *n as i64)),
        other => {
            let got = if matches!(other, Value::String(_)) { "an empty string" } else { other.kind_name() };
            Err((field, format!("expected {what} (a non-empty string), got {got}")))
        }
    }
}

/// One order object, and the currency it names.
fn read(item: &Value) -> Result<(Transaction, Option<String>), (&'static str, String)> {
    let Value::Object(entries) = item else {
        return Err((
            "",
            format!("expected a transaction object {{ customer, at, amount }}, got {}", item.kind_name()),
        ));
    };
    let (mut customer, mut at, mut amount, mut id, mut currency) = (None, None, 0.0, None, None);
    for (key, v) in entries {
        match key.as_str() {
            "customer" => customer = Some(id_text(v, "customer", "a customer id")?),
            "at" => at = Some(Timestamp::from_value(v).and_then(check_instant).map_err(|r| ("at", r))?),
            "amount" => {
                amount = match v {
                    Value::Number(n) if n.is_finite() && *n >= 0.0 => *n,
                    Value::Number(n) => return Err(("amount", amount_problem(*n))),
                    Value::Null => 0.0,
                    other => return Err(("amount", format!("expected a number, got {}", other.kind_name()))),
                }
            }
            "id" if !matches!(v, Value::Null) => id = Some(id_text(v, "id", "an order id")?),
            "currency" => {
                currency = match v {
                    Value::String(s) if !s.is_empty() => Some(s.clone()),
                    Value::Null => None,
                    other => {
                        let got = if matches!(other, Value::String(_)) { "an empty string" } else { other.kind_name() };
                        return Err(("currency", format!("expected a currency code like \"EUR\", got {got}")));
                    }
                }
            }
            "id" => {}
            other => {
                return Err((
                    "",
                    format!("unknown field \"{}\"; a transaction has customer, at, amount, id, currency", quote(other)),
                ))
            }
        }
    }
    let customer = customer.ok_or(("customer", String::from("missing; expected a customer id")))?;
    let at = at.ok_or(("at", String::from("missing; expected epoch milliseconds or an RFC 3339 instant")))?;
    Ok((Transaction { customer, at, amount, id }, currency))
}

/// How orders are pooled into purchase periods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Period {
    /// UTC calendar days (lifetimes' `freq="D"`).
    Day,
    /// Weeks from Monday 00:00 UTC (pandas' `W`, i.e. `W-SUN` periods).
    Week,
}

crate::playbook::compiled::compiled_enum!(Period { 0 => Day, 1 => Week });

impl Period {
    /// The period an instant falls in, as the epoch day its period starts on.
    pub fn start_day(self, at: Timestamp) -> i64 {
        let day = at.ms().div_euclid(DAY_MS);
        match self {
            Period::Day => day,
            // 1970-01-01 was a Thursday: Monday-based weeks start on days ≡ 4 (mod 7).
            Period::Week => day - (day - 4).rem_euclid(7),
        }
    }

    /// Its length in days.
    pub fn days(self) -> i64 {
        match self {
            Period::Day => 1,
            Period::Week => 7,
        }
    }
}

/// One customer's summary over the observation, plus the plain order facts RFM and alerts use.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The customer.
    pub customer: String,
    /// Model terms (frequency, recency, T) in the chosen unit.
    #[serde(flatten)]
    pub history: History,
    /// Mean of the repeat periods' order sums (0 without repeat periods).
    pub monetary: f64,
    /// Orders within the observation (every order, not periods).
    pub orders: u32,
    /// Their total value.
    pub total: f64,
    /// The first order.
    pub first: Timestamp,
    /// The last order.
    pub last: Timestamp,
}

/// Summarises an order log at `end` (orders in a period after `end`'s are left out). `unit_days` is the time
/// unit of recency and T in days (lifetimes' `freq_multiplier` with daily periods). Customers come out sorted
/// by id; customers whose first order is after `end` are absent. An order whose id repeats an earlier order's is
/// the same order exported twice and counts once.
///
/// ```
/// # use rekindle_core::{retention::{summarise, Period, Transaction}, Timestamp};
/// let day = |d: i64| Timestamp::from_ms(d * 86_400_000).unwrap();
/// let log = [Transaction::new("a", day(0), 10.0).unwrap(), Transaction::new("a", day(7), 30.0).unwrap()];
/// let s = summarise(&log, Period::Day, 7, day(14));
/// assert_eq!((s[0].history.frequency, s[0].history.recency, s[0].history.age, s[0].monetary), (1, 1.0, 2.0, 30.0));
/// ```
pub fn summarise(log: &[Transaction], period: Period, unit_days: u32, end: Timestamp) -> Vec<Summary> {
    summarise_with_orders(log, period, unit_days, end).0.into_iter().map(|(s, _)| s).collect()
}

/// One sort key type for every retention sort: each monomorphised sort costs kilobytes of wasm.
pub(crate) type Key = (u64, u64, u64);

/// An order-preserving map of a non-negative finite float (−0 included) to an integer.
pub(crate) fn float_key(v: f64) -> u64 {
    (v + 0.0).to_bits()
}

/// An order-preserving map of an `i64` to a `u64`.
pub(crate) fn int_key(v: i64) -> u64 {
    (v as u64) ^ (1 << 63)
}

/// Sorts non-negative finite floats ascending.
pub(crate) fn sorted(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut keys: Vec<Key> = values.map(|v| (float_key(v), 0, 0)).collect();
    keys.sort_unstable();
    keys.iter().map(|k| f64::from_bits(k.0)).collect()
}

/// One customer's orders: (instant, amount), ascending by instant.
pub(crate) type Orders = Vec<(Timestamp, f64)>;

/// [`summarise`], with each customer's orders (instant, amount) ascending by instant, and how many orders repeated
/// an earlier order's id and were left out.
pub(crate) fn summarise_with_orders(
    log: &[Transaction],
    period: Period,
    unit_days: u32,
    end: Timestamp,
) -> (Vec<(Summary, Orders)>, u32) {
    let end_day = period.start_day(end);
    let unit = f64::from(unit_days.max(1));
    // An id seen before is the same order exported twice: the first occurrence stands for it.
    let first = repeats(log);
    let repeated = first.iter().filter(|j| **j != usize::MAX).count() as u32;
    let kept = || {
        log.iter()
            .zip(first.iter().map(|j| *j != usize::MAX).chain(core::iter::repeat(false)))
            .filter(|(t, repeat)| !repeat && period.start_day(t.at) <= end_day)
            .map(|(t, _)| t)
    };
    let mut names: Vec<&str> = kept().map(|t| t.customer.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    // (customer rank, instant, amount): per customer, orders by time (and so by period).
    let mut rows: Vec<Key> = kept()
        .map(|t| {
            let rank = names.binary_search(&t.customer.as_str()).unwrap_or(0) as u64;
            (rank, int_key(t.at.ms()), float_key(t.amount))
        })
        .collect();
    rows.sort_unstable();
    let at = |k: &Key| Timestamp::from_ms((k.1 ^ (1 << 63)) as i64).unwrap_or(Timestamp::EPOCH);
    let mut out = Vec::with_capacity(names.len());
    let mut i = 0;
    while let Some(first) = rows.get(i) {
        let (rank, first_at) = (first.0, at(first));
        let first_day = period.start_day(first_at);
        let mut orders = Vec::new();
        let (mut periods, mut repeat_sum, mut total) = (0u32, 0.0, 0.0);
        let mut last_day = first_day;
        while let Some(k) = rows.get(i).filter(|k| k.0 == rank) {
            let day = period.start_day(at(k));
            let mut sum = 0.0;
            while let Some(k) = rows.get(i).filter(|k| k.0 == rank && period.start_day(at(k)) == day) {
                let amount = f64::from_bits(k.2);
                sum += amount;
                orders.push((at(k), amount));
                i += 1;
            }
            total += sum;
            if periods > 0 {
                repeat_sum += sum;
            }
            periods += 1;
            last_day = day;
        }
        let frequency = periods - 1;
        let last = orders.last().map_or(first_at, |o| o.0);
        let summary = Summary {
            customer: String::from(names.get(rank as usize).copied().unwrap_or_default()),
            history: History {
                frequency,
                recency: (last_day - first_day) as f64 / unit,
                age: (end_day - first_day) as f64 / unit,
            },
            monetary: if frequency > 0 { repeat_sum / f64::from(frequency) } else { 0.0 },
            orders: orders.len() as u32,
            total,
            first: first_at,
            last,
        };
        out.push((summary, orders));
    }
    (out, repeated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: i64) -> Timestamp {
        Timestamp::from_ms(day * DAY_MS + 3_600_000).unwrap()
    }

    #[test]
    fn same_day_orders_pool_and_the_first_period_never_counts_towards_spend() {
        let log = [
            Transaction::new("a", at(0), 100.0).unwrap(),
            Transaction::new("a", at(3), 10.0).unwrap(),
            Transaction::new("a", at(3), 5.0).unwrap(),
            Transaction::new("a", at(9), 25.0).unwrap(),
            Transaction::new("a", at(30), 999.0).unwrap(), // after the end
        ];
        let s = summarise(&log, Period::Day, 1, at(20));
        assert_eq!(s.len(), 1);
        let h = s[0].history;
        assert_eq!((h.frequency, h.recency, h.age), (2, 9.0, 20.0));
        assert_eq!((s[0].monetary, s[0].orders, s[0].total), (20.0, 4, 140.0));
    }

    #[test]
    fn weeks_start_on_monday() {
        // 1970-01-05 (day 4) was a Monday; day 3 (Sunday) belongs to the week before.
        assert_eq!(Period::Week.start_day(at(4)), 4);
        assert_eq!(Period::Week.start_day(at(10)), 4);
        assert_eq!(Period::Week.start_day(at(3)), -3);
        assert_eq!(Period::Week.start_day(at(-1)), -3);
    }

    #[test]
    fn bad_orders_are_refused_with_their_path() {
        let order = |amount: Value| {
            Value::Array(vec![Value::Object(vec![
                ("customer".into(), Value::String("c".into())),
                ("at".into(), Value::Number(1.7e12)),
                ("amount".into(), amount),
            ])])
        };
        let err = Transaction::parse_list(&order(Value::Number(-5.0)), "transactions").unwrap_err();
        assert_eq!(
            err.to_string(),
            "transactions[0].amount: expected a finite amount ≥ 0, got -5; a refund is not an order: net it into its \
             order's amount (drop a fully refunded order)"
        );
        let err = Transaction::parse_list(&order(Value::String("5".into())), "transactions").unwrap_err();
        assert_eq!(err.path().as_deref(), Some("transactions[0].amount"));
        assert!(Transaction::parse_list(&order(Value::Null), "t").is_ok());
        let missing = Value::Array(vec![Value::Object(vec![("at".into(), Value::Number(1.7e12))])]);
        assert_eq!(Transaction::parse_list(&missing, "t").unwrap_err().path().as_deref(), Some("t[0].customer"));
        assert_eq!(Transaction::new("x", at(0), f64::NAN), None);
        assert_eq!(Transaction::new("", at(0), 1.0), None);
    }
}
