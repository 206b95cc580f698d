//! The summary as `key,value` rows (`rekindle plan --format csv` on stdout): the same figures as the JSON summary
//! (funnel progress and A/B tests included), one per row, so a spreadsheet or a shell script (`grep '^nps\.'`)
//! reads them without a JSON parser.
//!
//! Keys are snake_case and dotted by section, as the first rows were (`lifecycle.cold`, `segment.<id>`); a
//! per-month figure is `<section>.<YYYY-MM>.<field>` (`nps.2026-11.nps`), so one month's rows sort together.
//! Values: counts as integers; rates, NPS and shares as decimals (`short_number`, at most 6 places: the same
//! figure as the JSON's, rounded); instants RFC 3339 UTC, as in every CSV of the plan; `true` / `false`; an
//! empty cell for "none" (a share without new customers), as the other CSVs write it.

use std::io::Write;

use rekindle_core::time::short_number;

use super::ab_tests::AbTest;
use super::funnel_progress::FunnelProgress;
use super::nps_change::{Latest, MonthChange, NpsChange, ReferralsChange};
use super::{rfc3339, Summary};
use rekindle_core::retention::nps::{NpsFigures, ReferralFigures};

/// The rows, header first.
fn render(summary: &Summary) -> Result<Vec<u8>, csv::Error> {
    let mut rows = Rows::default();
    counts(&mut rows, summary);
    let rate = &summary.complaint_rate;
    rows.count("complaint_rate.complaints", rate.complaints);
    rows.count("complaint_rate.sends", rate.sends);
    rows.count("complaint_rate.deliveries", rate.deliveries);
    rows.push("complaint_rate.rate", short_number(rate.rate));
    rows.push("complaint_rate.status", super::name(&rate.status));
    if let Some(p) = &rate.from_previous {
        rows.push("complaint_rate.from_previous.previous_now", rfc3339(p.previous_now));
        rows.count("complaint_rate.from_previous.complaints", p.complaints);
        rows.count("complaint_rate.from_previous.sends", p.sends);
        rows.count("complaint_rate.from_previous.deliveries", p.deliveries);
    }
    campaign(&mut rows, summary);
    for (k, v) in &summary.lifecycle {
        rows.count(format!("lifecycle.{k}"), *v);
    }
    for (k, v) in &summary.stages {
        rows.count(format!("stage.{k}"), *v);
    }
    for (k, v) in &summary.segments {
        rows.count(format!("segment.{k}"), *v);
    }
    funnel(&mut rows, &summary.funnel_progress);
    ab_tests(&mut rows, &summary.ab_tests);
    voice(&mut rows, summary);
    if let Some(change) = &summary.nps_change {
        nps_change(&mut rows, change);
    }
    if let Some(change) = &summary.referrals_change {
        referrals_change(&mut rows, change);
    }
    for f in &summary.files {
        rows.count(format!("file.{}", f.path), f.rows);
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["key", "value"])?;
    for (k, v) in rows.0 {
        out.write_record([k, v])?;
    }
    out.flush()?;
    out.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// `(key, value)` in output order.
#[derive(Default)]
struct Rows(Vec<(String, String)>);

impl Rows {
    fn push(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.push((key.into(), value.into()));
    }
    fn count(&mut self, key: impl Into<String>, value: impl Into<u64>) {
        self.push(key, value.into().to_string());
    }
    fn decimal(&mut self, key: impl Into<String>, value: Option<f64>) {
        self.push(key, value.map(short_number).unwrap_or_default());
    }
}

fn counts(rows: &mut Rows, summary: &Summary) {
    let c = &summary.counts;
    rows.push("now", rfc3339(summary.now));
    rows.count("contacts", summary.contacts);
    rows.count("rejected", summary.rejected);
    for (k, v) in [
        ("contact_rows", c.contact_rows),
        ("duplicate_rows", c.duplicate_rows),
        ("duplicate_phone_rows", c.duplicate_phone_rows),
        ("rejected_contact_rows", c.rejected_contact_rows),
        ("event_lines", c.event_lines),
        ("events", c.events),
        ("rejected_event_lines", c.rejected_event_lines),
        ("late_events", c.late_events),
        ("future_events", c.future_events),
        ("duplicate_events", c.duplicate_events),
        ("previous_contacts", c.previous_contacts),
        ("previous_tombstones", c.previous_tombstones),
        ("previous_events", c.previous_events),
        ("previous_suppressions", c.previous_suppressions),
    ] {
        rows.count(k, v);
    }
    for (k, v) in &c.skipped_records {
        rows.count(format!("skipped.{k}"), *v);
    }
    rows.count("deliveries_30d", c.deliveries_30d);
}

/// `--start-reactivation`'s picks (D11) and, with `--previous`, the contacts archived unseen (D8).
fn campaign(rows: &mut Rows, summary: &Summary) {
    if let Some(r) = &summary.reactivation {
        rows.count("reactivation.picked", r.picked);
        for (reason, n) in &r.not_picked {
            rows.count(format!("reactivation.not_picked.{reason}"), *n);
        }
        rows.push("reactivation.break_up_from", r.break_up_from.map(rfc3339).unwrap_or_default());
        rows.push("reactivation.break_up_until", r.break_up_until.map(rfc3339).unwrap_or_default());
    }
    if let Some(u) = &summary.break_up_unseen {
        rows.count("break_up_unseen.contacts", u.contacts);
        rows.count("break_up_unseen.listed", u.listed);
        rows.push("break_up_unseen.previous_now", rfc3339(u.previous_now));
        rows.push("break_up_unseen.breakup_deadline_ms", u.breakup_deadline_ms.to_string());
    }
}

/// Funnel progress (D26, D19): `funnel.<days>d.<figure>` per window, stage names as in the JSON
/// (`funnel.90d.conversion.mql_to_sql.rate`); times in milliseconds, as `medianMs` is.
fn funnel(rows: &mut Rows, f: &FunnelProgress) {
    rows.count("funnel.min_cohort", f.min_cohort);
    rows.count("funnel.leads_without_created_at", f.leads_without_created_at);
    let ms = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for w in &f.windows {
        let key = |figure: &str| format!("funnel.{}d.{figure}", w.days);
        for r in &w.reached {
            rows.count(key(&format!("reached.{}", r.stage)), r.contacts);
        }
        for c in &w.conversions {
            let key = |field: &str| key(&format!("conversion.{}_to_{}.{field}", c.from, c.to));
            rows.count(key("cohort"), c.cohort);
            rows.count(key("converted"), c.converted);
            rows.decimal(key("rate"), c.rate);
            rows.push(key("too_few"), c.too_few.to_string());
        }
        for t in &w.times {
            let key = |field: &str| key(&format!("time.{}_to_{}.{field}", t.from, t.to));
            rows.count(key("n"), t.n);
            rows.push(key("median_ms"), ms(t.median_ms));
            rows.push(key("too_few"), t.too_few.to_string());
        }
        let h = &w.handoff;
        rows.count(key("handoff.handed_off"), h.handed_off);
        rows.count(key("handoff.due_passed"), h.due_passed);
        rows.count(key("handoff.due_ahead"), h.due_ahead);
        rows.push(key("handoff.median_due_ms"), ms(h.median_due_ms));
    }
}

/// The A/B tests (D26): `ab_test.<id>.<figure>`, and each variant's counts and rates as
/// `ab_test.<id>.variant.<variant>.<field>`; a rate without deliveries, a winner or p-value without a verdict
/// that names one, is an empty cell.
fn ab_tests(rows: &mut Rows, tests: &[AbTest]) {
    for t in tests {
        let key = |field: &str| format!("ab_test.{}.{field}", t.id);
        rows.push(key("id_from"), t.id_from);
        rows.push(key("metric"), t.metric);
        rows.push(key("verdict"), t.verdict);
        rows.push(key("winner"), t.winner.clone().unwrap_or_default());
        rows.decimal(key("p_value"), t.p_value);
        rows.decimal(key("confidence"), t.confidence);
        rows.count(key("min_sends"), t.min_sends);
        rows.count(key("excluded_contacts"), t.excluded_contacts);
        for v in &t.variants {
            let key = |field: &str| key(&format!("variant.{}.{field}", v.variant));
            for (field, n) in [
                ("sends", v.sends),
                ("deliveries", v.deliveries),
                ("opens", v.opens),
                ("clicks", v.clicks),
                ("replies", v.replies),
                ("conversions", v.conversions),
            ] {
                rows.count(key(field), n);
            }
            for (field, rate) in [
                ("open_rate", v.open_rate),
                ("click_rate", v.click_rate),
                ("reply_rate", v.reply_rate),
                ("conversion_rate", v.conversion_rate),
            ] {
                rows.decimal(key(field), rate);
            }
        }
    }
}

/// NPS and referrals per month (D38, D42), the figures of `nps` and `referrals`.
fn voice(rows: &mut Rows, summary: &Summary) {
    for m in &summary.nps.months {
        let key = |field: &str| format!("nps.{}.{field}", m.month);
        rows.count(key("answers"), m.figures.answers);
        rows.count(key("promoters"), m.figures.promoters);
        rows.count(key("passives"), m.figures.passives);
        rows.count(key("detractors"), m.figures.detractors);
        rows.decimal(key("nps"), Some(m.figures.nps));
        rows.push(key("low_sample"), m.figures.low_sample.to_string());
    }
    rows.count("nps.superseded", summary.nps.superseded);
    rows.count("nps.outside", summary.nps.outside);
    for m in &summary.referrals.months {
        let key = |field: &str| format!("referrals.{}.{field}", m.month);
        rows.count(key("referrals"), m.figures.referrals);
        rows.count(key("new_customers"), m.figures.new_customers);
        rows.count(key("referred"), m.figures.referred);
        rows.decimal(key("referred_share"), m.figures.referred_share);
    }
    rows.count("referrals.outside", summary.referrals.outside);
}

/// `<section>.latest.*`: each plan's latest month and the change.
fn latest<V: Copy>(rows: &mut Rows, section: &str, latest: &Latest<V>, value: impl Fn(V) -> String) {
    let key = |field: &str| format!("{section}.latest.{field}");
    rows.push(key("previous_month"), latest.previous_month.clone());
    rows.push(key("previous"), value(latest.previous));
    rows.push(key("current_month"), latest.current_month.clone());
    rows.push(key("current"), value(latest.current));
    rows.push(key("change"), value(latest.change));
}

/// A figure of a month's side: its field name and how it is written.
type Figure<'a, F> = (&'a str, &'a dyn Fn(&F) -> String);

/// `<section>.<month>.{previous_<field>, <field>}` per figure, then `change`, for every month either plan has; a
/// side without the month is an empty cell.
fn months<F, C: Copy>(
    rows: &mut Rows,
    section: &str,
    months: &[MonthChange<F, C>],
    figures: &[Figure<'_, F>],
    change: impl Fn(C) -> String,
) {
    for m in months {
        let key = |f: &str| format!("{section}.{}.{f}", m.month);
        for (field, value) in figures {
            rows.push(key(&format!("previous_{field}")), m.previous.as_ref().map(value).unwrap_or_default());
            rows.push(key(field), m.current.as_ref().map(value).unwrap_or_default());
        }
        rows.push(key("change"), m.change.map(&change).unwrap_or_default());
    }
}

fn nps_change(rows: &mut Rows, change: &NpsChange) {
    rows.push("nps_change.previous_now", rfc3339(change.previous_now));
    rows.push("nps_change.previous_known", change.previous_known.to_string());
    if let Some(l) = &change.latest {
        latest(rows, "nps_change", l, short_number);
        rows.push("nps_change.latest.low_sample", l.low_sample.unwrap_or_default().to_string());
    }
    let answers = |f: &NpsFigures| f.answers.to_string();
    let nps = |f: &NpsFigures| short_number(f.nps);
    months(rows, "nps_change", &change.months, &[("answers", &answers), ("nps", &nps)], short_number);
}

fn referrals_change(rows: &mut Rows, change: &ReferralsChange) {
    rows.push("referrals_change.previous_now", rfc3339(change.previous_now));
    rows.push("referrals_change.previous_known", change.previous_known.to_string());
    if let Some(l) = &change.latest {
        latest(rows, "referrals_change", l, |v: i64| v.to_string());
    }
    let referrals = |f: &ReferralFigures| f.referrals.to_string();
    months(rows, "referrals_change", &change.months, &[("referrals", &referrals)], |c: i64| c.to_string());
}

/// Writes the rows to `out`.
pub fn write(out: &mut impl Write, summary: &Summary) -> std::io::Result<()> {
    let bytes = render(summary).map_err(std::io::Error::from)?;
    out.write_all(&bytes)
}
