//! The report's "Funnel progress" section (D26, D19): contacts who reached each stage in the last 30, 90 and 180
//! days (a chart with its table), the cohort conversions, the median times lead → MQL → SQL and the SQL handoffs
//! against their SLA due time, every rate with its n and marked when its cohort is too small to compare, and the
//! definitions ([`crate::report::funnel_progress`] counts them).

use std::fmt::Write;

use super::{figure, note, pct};
use crate::plan::thousands;
use crate::report::chart::{self, esc, Bar, Tone};
use crate::report::funnel_progress::{FunnelProgress, Window, MIN_COHORT, WINDOWS};

const LABELS: [(&str, &str, Tone); 5] = [
    ("lead", "New leads", Tone::Grey),
    ("mql", "MQLs", Tone::Blue),
    ("sql", "SQLs", Tone::Purple),
    ("opportunity", "Opportunities", Tone::Orange),
    ("customer", "Customers", Tone::Green),
];

fn label(stage: &str) -> &'static str {
    match stage {
        "lead" => "Lead",
        "mql" => "MQL",
        "sql" => "SQL",
        "opportunity" => "Opportunity",
        _ => "Customer",
    }
}

/// A duration for the page: days with one decimal from a day up, else hours, else minutes.
pub(super) fn span(ms: i64) -> String {
    const HOUR: f64 = 3_600_000.0;
    let ms_f = ms as f64;
    if ms >= 86_400_000 {
        format!("{:.1} d", ms_f / (24.0 * HOUR))
    } else if ms >= 3_600_000 {
        format!("{:.1} h", ms_f / HOUR)
    } else {
        format!("{} min", (ms_f / 60_000.0).round())
    }
}

/// `" · too few to compare"` for an n under the minimum.
fn few(too_few: bool) -> &'static str {
    if too_few {
        " · too few to compare"
    } else {
        ""
    }
}

fn head() -> Vec<String> {
    WINDOWS.iter().map(|d| format!("Last {d} days")).collect()
}

fn table(page: &mut String, caption: &str, first: &str, rows: &[(String, String, Vec<String>)]) {
    let _ =
        write!(page, "<table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">{}</th>", esc(caption), esc(first));
    super::table_rows(page, &head(), rows);
}

/// One cell per window.
fn cells(windows: &[Window], cell: impl Fn(&Window) -> String) -> Vec<String> {
    windows.iter().map(cell).collect()
}

/// Writes the section.
pub(super) fn section(page: &mut String, f: &FunnelProgress, now: &str) {
    page.push_str("<section aria-labelledby=\"funnel-progress\">\n<h2 id=\"funnel-progress\">Funnel progress</h2>\n");
    let reached = |w: &Window, stage: &str| w.reached.iter().find(|r| r.stage == stage).map_or(0, |r| r.contacts);
    let mut bars = Vec::new();
    let mut rows = Vec::new();
    for (stage, text, tone) in LABELS {
        for w in &f.windows {
            let n = reached(w, stage);
            bars.push(Bar { label: format!("{text} · {} d", w.days), value: n as f64, text: thousands(n), tone });
        }
        rows.push((format!("reached-{stage}"), text.to_string(), cells(&f.windows, |w| thousands(reached(w, stage)))));
    }
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let caption = "Contacts who reached each stage in the last 30, 90 and 180 days";
    let mut head: Vec<&str> = vec!["Stage"];
    let windows = self::head();
    head.extend(windows.iter().map(String::as_str));
    figure(page, caption, &chart::bars(caption, &bars, max, &[]), &head, &rows);

    let conversions: Vec<_> = f.windows.first().map(|w| w.conversions.clone()).unwrap_or_default();
    let rows: Vec<_> = conversions
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let cells = cells(&f.windows, |w| {
                let Some(c) = w.conversions.get(i) else { return String::new() };
                let rate = pct(c.converted, c.cohort, 1);
                format!("{rate} ({} of n = {}){}", thousands(c.converted), thousands(c.cohort), few(c.too_few))
            });
            (format!("conversion-{}-{}", c.from, c.to), format!("{} → {}", label(c.from), label(c.to)), cells)
        })
        .collect();
    table(page, "Cohort conversion: of the contacts who reached a stage in the window, the share that reached the next by --now", "From → to", &rows);

    let times: Vec<_> = f.windows.first().map(|w| w.times.clone()).unwrap_or_default();
    let rows: Vec<_> = times
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let cells = cells(&f.windows, |w| {
                let Some(t) = w.times.get(i) else { return String::new() };
                let median = t.median_ms.map_or_else(|| "—".to_string(), span);
                format!("{median} (n = {}){}", thousands(t.n), few(t.too_few))
            });
            (format!("time-{}-{}", t.from, t.to), format!("{} → {}", label(t.from), label(t.to)), cells)
        })
        .collect();
    table(page, "Median time between stages (cohorts of the window, converted contacts)", "From → to", &rows);

    let sla = |w: &Window| w.handoff.clone();
    let rows = vec![
        (
            "handoff-sqls".to_string(),
            "SQL handoffs (sqlAt in the window)".to_string(),
            cells(&f.windows, |w| thousands(sla(w).handed_off)),
        ),
        (
            "handoff-due-passed".to_string(),
            "Due time passed at --now".to_string(),
            cells(&f.windows, |w| {
                format!("{} ({})", thousands(sla(w).due_passed), pct(sla(w).due_passed, sla(w).handed_off, 1))
            }),
        ),
        (
            "handoff-due-ahead".to_string(),
            "Due time still ahead".to_string(),
            cells(&f.windows, |w| thousands(sla(w).due_ahead)),
        ),
        (
            "handoff-median-due".to_string(),
            "Median wall-clock time from SQL to due time".to_string(),
            cells(&f.windows, |w| sla(w).median_due_ms.map_or_else(|| "—".to_string(), span)),
        ),
    ];
    table(page, "SQL handoffs against the SLA due time (D19)", "Measure", &rows);

    let _ = writeln!(
        page,
        "<dl>\n<dt>Windows</dt><dd>An instant t is in the last N days when 0 ≤ --now − t &lt; N days, counted back \
         from {}.</dd>\n<dt>Reached</dt><dd>Contacts with an instant of that stage in the window, each once. A contact \
         becomes a lead at the contacts file's created_at ({} contacts have none and are in no lead cohort); MQL and \
         SQL when core's stage bars were met, opportunity at a sales_status open, customer at a purchase or a \
         sales_status won. Erased contacts keep no history and count nowhere.</dd>\n<dt>Cohort conversion</dt><dd>Of \
         the contacts who reached a stage in the window (n), the share that reached the next stage at or after it, \
         by --now (a lead whose MQL predates its created_at counts as converted, untimed). Recent cohorts are \
         immature: a contact who reached a stage yesterday has had a day to move on, so the 30-day rate runs low.</dd>\n\
         <dt>Median time</dt><dd>The middle of the converted contacts' times from the stage to the next (the mean of \
         the two middle ones for an even count), n beside it.</dd>\n<dt>Too few to compare</dt><dd>A rate or median \
         over fewer than {MIN_COHORT} contacts: one contact more or less moves it by 3 points or more.</dd>\n\
         <dt>Handoff SLA</dt><dd>An SQL is due a first sales contact within the playbook's handoff sla of business \
         time, never more than its max (D19: 15 minutes, 2 hours at most); outside business hours the wall-clock wait \
         is longer. No input event records a sales touch (sales_status is the \
         deal's status), so whether sales met the due time cannot be shown here: the due times passed are the \
         handoffs to check in the CRM.</dd>\n<dt>Not shown</dt><dd>Meeting rate (no event records a meeting) and \
         pipeline influenced (sales_status carries no deal value); reactivation revenue is under Re-engagement \
         campaign KPIs.</dd>\n</dl>",
        esc(now),
        thousands(f.leads_without_created_at)
    );
    note(page, "D26: measure funnel progress (MQL → SQL rate, time to first contact), not opens.");
    page.push_str("</section>\n");
}
