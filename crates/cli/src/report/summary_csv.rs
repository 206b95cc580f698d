//! The summary as `key,value` rows (`rekindle plan --format csv` on stdout): the same figures as the JSON summary,
//! one per row, so a spreadsheet or a shell script (`grep '^nps\.'`) reads them without a JSON parser.
//!
//! Keys are snake_case and dotted by section, as the first rows were (`lifecycle.cold`, `segment.<id>`); a
//! per-month figure is `<section>.<YYYY-MM>.<field>` (`nps.2026-11.nps`), so one month's rows sort together.
//! Values: counts as integers; rates, NPS and shares as decimals (`short_number`, at most 6 places: the same
//! figure as the JSON's, rounded); instants RFC 3339 UTC, as in every CSV of the plan; `true` / `false`; an
//! empty cell for "none" (a share without new customers), as the other CSVs write it.

use std::io::Write;

use rekindle_core::time::short_number;

use super::{rfc3339, Summary};

/// The rows, header first.
pub fn render(summary: &Summary) -> Result<Vec<u8>, csv::Error> {
    let mut rows = Rows::default();
    counts(&mut rows, summary);
    let rate = &summary.complaint_rate;
    rows.count("complaint_rate.complaints", rate.complaints);
    rows.count("complaint_rate.sends", rate.sends);
    rows.count("complaint_rate.deliveries", rate.deliveries);
    rows.push("complaint_rate.rate", short_number(rate.rate));
    rows.push("complaint_rate.status", super::name(&rate.status));
    for (k, v) in &summary.lifecycle {
        rows.count(format!("lifecycle.{k}"), *v);
    }
    for (k, v) in &summary.stages {
        rows.count(format!("stage.{k}"), *v);
    }
    for (k, v) in &summary.segments {
        rows.count(format!("segment.{k}"), *v);
    }
    voice(&mut rows, summary);
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

/// NPS and referrals per month (D38, D42), the figures of `nps` and `referrals`.
fn voice(rows: &mut Rows, summary: &Summary) {
    for m in &summary.nps.months {
        let key = |field: &str| format!("nps.{}.{field}", m.month);
        rows.count(key("answers"), m.answers);
        rows.count(key("promoters"), m.promoters);
        rows.count(key("passives"), m.passives);
        rows.count(key("detractors"), m.detractors);
        rows.decimal(key("nps"), Some(m.nps));
        rows.push(key("low_sample"), m.low_sample.to_string());
    }
    rows.count("nps.superseded", summary.nps.superseded);
    rows.count("nps.outside", summary.nps.outside);
    for m in &summary.referrals.months {
        let key = |field: &str| format!("referrals.{}.{field}", m.month);
        rows.count(key("referrals"), m.referrals);
        rows.count(key("new_customers"), m.new_customers);
        rows.count(key("referred"), m.referred);
        rows.decimal(key("referred_share"), m.referred_share);
    }
    rows.count("referrals.outside", summary.referrals.outside);
}

/// Writes the rows to `out`.
pub fn write(out: &mut impl Write, summary: &Summary) -> std::io::Result<()> {
    let bytes = render(summary).map_err(std::io::Error::from)?;
    out.write_all(&bytes)
}
