//! The playbook's `retention` section: purchase periods, RFM levels and cells, what "active" and "high value"
//! mean, the churn early-warning thresholds (D41) and the CLV horizon (D38, D40). Every key is optional; the
//! defaults are DOMAIN's and are listed in docs/playbook.md § retention.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::rfm::{default_cells, Cell, Range};
use super::transaction::Period;
use crate::error::ProblemCode;
use crate::playbook::compiled::{Compiled, In, Out};
use crate::playbook::reader::{index, Obj, Reader};
use crate::playbook::signal::Declared;
use crate::time::{quote, short_number, Span};
use crate::value::Value;

/// A churn reason's thresholds (D41).
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnRules {
    /// Alert when P(alive) falls below this (repeat buyers; needs a fitted model).
    pub p_alive_below: f64,
    /// Alert when the time since the last order exceeds this many of the customer's own average gaps.
    pub gap_factor: f64,
    /// Activity drop: orders in the last `window` below `ratio` × the customer's own rate before it.
    pub drop_window: Span,
    /// See `drop_window`.
    pub drop_ratio: f64,
    /// Negative ratings: a playbook signal (index) and how long a rating keeps the alert up.
    pub negative_rating: Option<(usize, Span)>,
}

/// Thresholds outside the reader's ranges are refused.
impl Compiled for ChurnRules {
    fn put(&self, out: &mut Out) {
        let ChurnRules { p_alive_below, gap_factor, drop_window, drop_ratio, negative_rating } = self;
        p_alive_below.put(out);
        gap_factor.put(out);
        drop_window.put(out);
        drop_ratio.put(out);
        negative_rating.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        ChurnRules {
            p_alive_below: within(r, "a churn p_alive_below outside 0 to 1", 0.0, 1.0),
            gap_factor: within(r, "a churn gap_factor outside 1 to 100", 1.0, 100.0),
            drop_window: Compiled::get(r),
            drop_ratio: within(r, "a churn activity_drop ratio outside 0 to 1", 0.0, 1.0),
            negative_rating: Compiled::get(r),
        }
    }
}

/// The compiled `retention` section.
#[derive(Debug, Clone, PartialEq)]
pub struct RetentionRules {
    /// The playbook has a `retention` section: its analysis is kept on the contacts (the CLI's `plan` folds
    /// each customer's profile facts), not only reported.
    pub declared: bool,
    /// Purchase periods for the models.
    pub period: Period,
    /// RFM levels (5 or 3); `None` = 5, or 3 for a base under [`super::rfm::SMALL_BASE`].
    pub levels: Option<u8>,
    /// RFM cells, first match wins.
    pub cells: Vec<Cell>,
    /// Active vs dormant: an order within this span.
    pub active_within: Span,
    /// High value vs occasional: a monetary score (1–5 scale) at least this.
    pub high_value: u8,
    /// Early warning.
    pub churn: ChurnRules,
    /// CLV horizon in months (30 days each).
    pub clv_months: u32,
    /// CLV discount per month.
    pub monthly_discount: f64,
}

/// Values outside the reader's ranges are refused: RFM levels other than 3 or 5 and a high-value score outside
/// 1–5 would overflow the scores' arithmetic, and the CLV horizon (1–120 months) bounds a loop.
impl Compiled for RetentionRules {
    fn put(&self, out: &mut Out) {
        let RetentionRules {
            declared,
            period,
            levels,
            cells,
            active_within,
            high_value,
            churn,
            clv_months,
            monthly_discount,
        } = self;
        declared.put(out);
        period.put(out);
        levels.put(out);
        cells.put(out);
        active_within.put(out);
        high_value.put(out);
        churn.put(out);
        clv_months.put(out);
        monthly_discount.put(out);
    }
    fn get(r: &mut In<'_>) -> Self {
        let declared = bool::get(r);
        let period = Period::get(r);
        let levels = Option::<u8>::get(r);
        if levels.is_some_and(|n| n != 3 && n != 5) {
            r.fail("RFM levels other than 3 or 5");
        }
        let cells = Vec::get(r);
        let active_within = Span::get(r);
        let high_value = u8::get(r);
        if !(1..=5).contains(&high_value) {
            r.fail("a high-value score outside 1 to 5");
        }
        let churn = ChurnRules::get(r);
        let clv_months = u32::get(r);
        if !(1..=120).contains(&clv_months) {
            r.fail("a CLV horizon outside 1 to 120 months");
        }
        let monthly_discount = within(r, "a CLV monthly_discount outside 0 to 1", 0.0, 1.0);
        RetentionRules {
            declared,
            period,
            levels,
            cells,
            active_within,
            high_value,
            churn,
            clv_months,
            monthly_discount,
        }
    }
}

/// A number in `[low, high]` (as the reader's `fraction`), else a defect naming `what`.
fn within(r: &mut In<'_>, what: &'static str, low: f64, high: f64) -> f64 {
    let n = f64::get(r);
    if !(low..=high).contains(&n) {
        r.fail(what);
    }
    n
}

impl Default for RetentionRules {
    fn default() -> RetentionRules {
        RetentionRules {
            declared: false,
            period: Period::Day,
            levels: None,
            cells: default_cells(),
            active_within: Span::days(90),
            high_value: 4,
            churn: ChurnRules {
                p_alive_below: 0.5,
                gap_factor: 2.0,
                drop_window: Span::days(90),
                drop_ratio: 0.5,
                negative_rating: None,
            },
            clv_months: 12,
            monthly_discount: 0.01,
        }
    }
}

const KEYS: [&str; 6] = ["period", "rfm", "active_within", "high_value", "churn", "clv"];

/// Parses `retention`; problems are recorded with their paths and the defaults stand in for bad values.
pub(crate) fn parse_retention(r: &mut Reader, v: &Value, signals: &Declared) -> RetentionRules {
    let mut out = RetentionRules { declared: true, ..RetentionRules::default() };
    let Some(o) = r.object(v, "retention", &KEYS) else { return out };
    if let Some(p) = o.get("period") {
        match r.string(p, &o.at("period")) {
            Some("day") => out.period = Period::Day,
            Some("week") => out.period = Period::Week,
            Some(other) => r.problem(
                o.at("period"),
                ProblemCode::OutOfRange,
                format!("expected \"day\" or \"week\", got \"{}\"", quote(other)),
            ),
            None => {}
        }
    }
    if let Some(rfm) = o.get("rfm").and_then(|v| r.object(v, &o.at("rfm"), &["levels", "cells"])) {
        if let Some(l) = rfm.get("levels") {
            match r.count(l, &rfm.at("levels"), 3) {
                Some(n @ (3 | 5)) => out.levels = Some(n as u8),
                Some(n) => r.problem(rfm.at("levels"), ProblemCode::OutOfRange, format!("expected 3 or 5, got {n}")),
                None => {}
            }
        }
        if let Some(c) = rfm.get("cells") {
            out.cells = parse_cells(r, c, &rfm.at("cells"));
        }
    }
    if let Some(s) = o.get("active_within").and_then(|v| r.span(v, &o.at("active_within"))) {
        out.active_within = s;
    }
    if let Some(h) = o.get("high_value") {
        if let Some(n) = score(r, h, &o.at("high_value")) {
            out.high_value = n;
        }
    }
    if let Some(c) = o.get("churn") {
        parse_churn(r, c, &o.at("churn"), signals, &mut out.churn);
    }
    if let Some(c) = o.get("clv").and_then(|v| r.object(v, &o.at("clv"), &["months", "monthly_discount"])) {
        if let Some(m) = c.get("months").and_then(|v| r.count(v, &c.at("months"), 1)) {
            out.clv_months = m.min(120);
            if m > 120 {
                r.problem(c.at("months"), ProblemCode::OutOfRange, format!("expected at most 120 months, got {m}"));
            }
        }
        if let Some(d) = c.get("monthly_discount").and_then(|v| fraction(r, v, &c.at("monthly_discount"), 0.0, 1.0)) {
            out.monthly_discount = d;
        }
    }
    out
}

fn parse_churn(r: &mut Reader, v: &Value, path: &str, signals: &Declared, out: &mut ChurnRules) {
    let keys = ["p_alive_below", "gap_factor", "activity_drop", "negative_rating"];
    let Some(o) = r.object(v, path, &keys) else { return };
    if let Some(p) = o.get("p_alive_below").and_then(|v| fraction(r, v, &o.at("p_alive_below"), 0.0, 1.0)) {
        out.p_alive_below = p;
    }
    if let Some(g) = o.get("gap_factor").and_then(|v| fraction(r, v, &o.at("gap_factor"), 1.0, 100.0)) {
        out.gap_factor = g;
    }
    if let Some(d) = o.get("activity_drop").and_then(|v| r.object(v, &o.at("activity_drop"), &["window", "ratio"])) {
        if let Some(w) = d.get("window").and_then(|v| r.span(v, &d.at("window"))) {
            out.drop_window = w;
        }
        if let Some(q) = d.get("ratio").and_then(|v| fraction(r, v, &d.at("ratio"), 0.0, 1.0)) {
            out.drop_ratio = q;
        }
    }
    if let Some(n) = o.get("negative_rating").and_then(|v| r.object(v, &o.at("negative_rating"), &["signal", "within"]))
    {
        let signal = r.required(&n, "signal").and_then(|s| r.string(s, &n.at("signal")).map(String::from));
        let within = match n.get("within") {
            Some(w) => r.span(w, &n.at("within")),
            None => Some(Span::days(90)),
        };
        if let (Some(name), Some(within)) = (signal, within) {
            if let Some(i) = signals.resolve(r, &name, &n.at("signal")) {
                out.negative_rating = Some((i, within));
            }
        }
    }
}

/// A number in `[low, high]`.
fn fraction(r: &mut Reader, v: &Value, path: &str, low: f64, high: f64) -> Option<f64> {
    let n = r.number(v, path)?;
    if !(low..=high).contains(&n) {
        let (l, h) = (short_number(low), short_number(high));
        r.problem(path, ProblemCode::OutOfRange, format!("expected a number from {l} to {h}, got {}", short_number(n)));
        return None;
    }
    Some(n)
}

/// A score 1–5.
fn score(r: &mut Reader, v: &Value, path: &str) -> Option<u8> {
    let n = r.count(v, path, 1)?;
    if n > 5 {
        r.problem(path, ProblemCode::OutOfRange, format!("expected a score from 1 to 5, got {n}"));
        return None;
    }
    Some(n as u8)
}

/// `[low, high]` or a single score.
fn range(r: &mut Reader, v: &Value, path: &str) -> Option<Range> {
    match v {
        Value::Array(items) => {
            let [low, high] = items.as_slice() else {
                r.problem(path, ProblemCode::WrongType, format!("expected [low, high], got {} items", items.len()));
                return None;
            };
            let (low, high) = (score(r, low, &index(path, 0))?, score(r, high, &index(path, 1))?);
            if low > high {
                r.problem(path, ProblemCode::ThresholdOrder, format!("low {low} is above high {high}"));
                return None;
            }
            Some(Range { low, high })
        }
        other => score(r, other, path).map(|s| Range { low: s, high: s }),
    }
}

fn parse_cells(r: &mut Reader, v: &Value, path: &str) -> Vec<Cell> {
    let Some(items) = r.array(v, path) else { return default_cells() };
    if items.is_empty() {
        r.problem(path, ProblemCode::OutOfRange, "expected at least one cell");
    }
    let mut out: Vec<Cell> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = index(path, i);
        let Some(c) = r.object(item, &at, &["id", "r", "f", "m", "fm"]) else { continue };
        let Some(id) = r.required(&c, "id").and_then(|v| r.string(v, &c.at("id"))) else { continue };
        if !r.id(id, &c.at("id")) {
            continue;
        }
        if seen.contains(&id) {
            r.problem(c.at("id"), ProblemCode::DuplicateId, format!("duplicate cell id \"{}\"", quote(id)));
            continue;
        }
        seen.push(id);
        let get = |r: &mut Reader, c: &Obj<'_>, key: &str| match c.get(key) {
            Some(v) => range(r, v, &c.at(key)),
            None => Some(Range::ANY),
        };
        let (rr, f, m, fm) = (get(r, &c, "r"), get(r, &c, "f"), get(r, &c, "m"), get(r, &c, "fm"));
        if let (Some(rr), Some(f), Some(m), Some(fm)) = (rr, f, m, fm) {
            out.push(Cell { id: String::from(id), r: rr, f, m, fm });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{ErrorCode, Playbook, Value};

    fn pb(retention: &str) -> Result<Playbook, crate::Error> {
        let text = format!(r#"{{"version":1,"signals":{{"bad":{{"kind":"custom:review"}}}},"retention":{retention}}}"#);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        Playbook::parse(&to_value(&json))
    }

    fn to_value(j: &serde_json::Value) -> Value {
        match j {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap()),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::Array(a.iter().map(to_value).collect()),
            serde_json::Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()),
        }
    }

    fn problems(retention: &str) -> Vec<(String, &'static str)> {
        let err = pb(retention).unwrap_err();
        assert_eq!(err.code(), ErrorCode::PlaybookInvalid);
        err.problems().iter().map(|p| (p.path.clone(), p.code.as_str())).collect()
    }

    #[test]
    fn a_full_retention_section_parses() {
        let p = pb(r#"{"period":"week","rfm":{"levels":3,"cells":[{"id":"vip","r":[4,5],"fm":5}]},
            "active_within":"60d","high_value":5,"clv":{"months":24,"monthly_discount":0.02},
            "churn":{"p_alive_below":0.3,"gap_factor":3,"activity_drop":{"window":"30d","ratio":0.25},
                     "negative_rating":{"signal":"bad","within":"14d"}}}"#)
        .unwrap();
        let r = &p.retention;
        assert_eq!((r.levels, r.cells.len(), r.high_value, r.clv_months), (Some(3), 1, 5, 24));
        assert_eq!(r.churn.negative_rating.map(|n| n.0), Some(0));
    }

    /// The message of a compiled playbook's refusal.
    fn refusal(pb: &Playbook) -> String {
        match Playbook::from_compiled(&pb.to_compiled()) {
            Err(crate::Error::InvalidPlaybook { problems }) => problems.iter().map(|p| p.message.clone()).collect(),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn compiled_retention_outside_the_readers_ranges_is_refused() {
        let valid = pb(r#"{"rfm":{"levels":3,"cells":[{"id":"vip","r":[4,5],"fm":5}]},"clv":{"months":24}}"#).unwrap();
        assert_eq!(Playbook::from_compiled(&valid.to_compiled()).unwrap(), valid);
        let refused = |edit: &dyn Fn(&mut Playbook), expected: &str| {
            let mut p = valid.clone();
            edit(&mut p);
            let message = refusal(&p);
            assert!(message.contains(expected), "{expected}: {message}");
        };
        refused(&|p| p.retention.levels = Some(4), "RFM levels other than 3 or 5");
        refused(&|p| p.retention.high_value = 0, "a high-value score outside 1 to 5");
        refused(&|p| p.retention.clv_months = 121, "a CLV horizon outside 1 to 120 months");
        refused(&|p| p.retention.clv_months = 0, "a CLV horizon outside 1 to 120 months");
        refused(&|p| p.retention.monthly_discount = 1.5, "a CLV monthly_discount outside 0 to 1");
        refused(&|p| p.retention.monthly_discount = f64::NAN, "a number that is not finite (NaN or an infinity)");
        refused(&|p| p.retention.churn.p_alive_below = 1.5, "a churn p_alive_below outside 0 to 1");
        refused(&|p| p.retention.churn.gap_factor = 0.5, "a churn gap_factor outside 1 to 100");
        refused(&|p| p.retention.churn.drop_ratio = -0.1, "a churn activity_drop ratio outside 0 to 1");
        refused(&|p| p.retention.cells[0].r.low = 0, "RFM scores outside 1 ≤ low ≤ high ≤ 5");
        refused(
            &|p| p.retention.cells[0].fm = super::Range { low: 5, high: 4 },
            "RFM scores outside 1 ≤ low ≤ high ≤ 5",
        );
        refused(&|p| p.retention.cells[0].m.high = 6, "RFM scores outside 1 ≤ low ≤ high ≤ 5");
    }

    #[test]
    fn retention_problems_name_their_paths() {
        assert_eq!(
            problems(
                r#"{"period":"month","rfm":{"levels":4,"cells":[{"id":"a","r":[5,2]},{"id":"a"},{"r":1}]},
                "churn":{"p_alive_below":2,"negative_rating":{"signal":"nope"}},"clv":{"mnths":3}}"#
            ),
            vec![
                ("retention.period".into(), "out_of_range"),
                ("retention.rfm.levels".into(), "out_of_range"),
                ("retention.rfm.cells[0].r".into(), "threshold_order"),
                ("retention.rfm.cells[1].id".into(), "duplicate_id"),
                ("retention.rfm.cells[2].id".into(), "missing_field"),
                ("retention.churn.p_alive_below".into(), "out_of_range"),
                ("retention.churn.negative_rating.signal".into(), "unknown_signal"),
                ("retention.clv.mnths".into(), "unknown_field"),
            ]
        );
    }
}
