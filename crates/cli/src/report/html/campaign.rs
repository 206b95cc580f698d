//! The report's look back and campaign results: contacts by lifecycle phase at monthly instants (each contact's
//! phase decided by core from the events up to that instant, `plan::history`) and the re-engagement campaign
//! KPIs of D12, with the revenue of reactivated contacts within 90 days.

use std::fmt::Write;

use super::{figure, note, pct, ratio, Figures, PHASES};
use crate::plan::history::{self, INSTANTS, REVENUE_DAYS, UNKNOWN};
use crate::plan::{thousands, Plan};
use crate::report::chart::{self, esc, Bar, Stack, Tone};
use crate::report::rfc3339;

/// The label and tone of a history code.
fn phase_of(code: usize) -> Option<(rekindle_core::lifecycle::Phase, &'static str, Tone)> {
    let phase = history::PHASES.get(code)?;
    PHASES.iter().find(|(p, _, _)| p == phase).copied()
}

/// "Contacts by lifecycle phase over time": one stacked bar per instant, oldest first.
pub(super) fn trend(page: &mut String, plan: &Plan, f: &Figures) {
    page.push_str("<section aria-labelledby=\"trend\">\n<h2 id=\"trend\">Contacts by lifecycle phase over time</h2>\n");
    let phases = history::PHASES.len();
    let known = |row: &[u64; 8]| row.iter().take(phases).sum::<u64>();
    let max = f.history.iter().map(known).max().unwrap_or(0) as f64;
    let label = |k: usize| {
        let day = plan.instants.get(k).map(|t| rfc3339(t.ms())).unwrap_or_default();
        let day = day.get(..10).unwrap_or_default().to_string();
        if k + 1 == INSTANTS {
            format!("{day} (--now)")
        } else {
            day
        }
    };
    let stacks: Vec<Stack> = f
        .history
        .iter()
        .enumerate()
        .map(|(k, row)| Stack {
            label: label(k),
            parts: (0..phases).filter_map(|c| Some((*row.get(c)? as f64, phase_of(c)?.2))).collect(),
            text: thousands(known(row)),
        })
        .collect();
    let legend: Vec<(&str, Tone)> = (0..phases).filter_map(phase_of).map(|(_, l, t)| (l, t)).collect();
    let mut head: Vec<&str> = vec!["Instant"];
    head.extend(legend.iter().map(|(l, _)| *l));
    head.extend(["On the list", "Not yet on the list"]);
    let rows: Vec<_> = f
        .history
        .iter()
        .enumerate()
        .map(|(k, row)| {
            let key = plan.instants.get(k).map(|t| rfc3339(t.ms())).unwrap_or_default();
            let mut cells: Vec<String> = row.iter().take(phases).map(|n| thousands(*n)).collect();
            cells.push(thousands(known(row)));
            cells.push(thousands(row.get(usize::from(UNKNOWN)).copied().unwrap_or(0)));
            (key, label(k), cells)
        })
        .collect();
    let caption = "Contacts per lifecycle phase on the same day of each of the last 12 months";
    figure(page, caption, &chart::stacked(caption, &stacks, max, &legend), &head, &rows);
    note(page, "Each contact's phase at each instant is decided from the events that had happened by then (its later events unknown), exactly as the funnel is decided at --now; the last row is the funnel. Contacts with no event and no creation date by an instant are not yet on the list there. Events that arrived out of time order after an instant was decided (counted as late events) do not change it.");
    page.push_str("</section>\n");
}

/// The D12 campaign KPIs and the revenue of reactivated contacts.
pub(super) fn kpis(page: &mut String, f: &Figures) {
    page.push_str("<section aria-labelledby=\"kpis\">\n<h2 id=\"kpis\">Re-engagement campaign KPIs</h2>\n");
    let items = [
        ("opened", "Opened a message", f.opened, Tone::Blue),
        ("clicked", "Clicked or replied", f.clicked, Tone::Green),
        ("reactivated", "Back to active", f.reactivated, Tone::Purple),
        ("requalified", "Re-qualified MQL/SQL", f.requalified, Tone::Orange),
    ];
    let bars: Vec<Bar> = items
        .iter()
        .map(|(_, label, n, tone)| Bar {
            label: (*label).into(),
            value: 100.0 * ratio(*n, f.cohort),
            text: format!("{} ({})", pct(*n, f.cohort, 1), thousands(*n)),
            tone: *tone,
        })
        .collect();
    let rows: Vec<_> = items
        .iter()
        .map(|(key, label, n, _)| ((*key).to_string(), (*label).to_string(), vec![thousands(*n), pct(*n, f.cohort, 1)]))
        .collect();
    let caption = "Of the contacts a reactivation campaign started for: what they did after its start (D12)";
    figure(page, caption, &chart::bars(caption, &bars, 100.0, &[]), &["Outcome", "Contacts", "Share"], &rows);
    note(page, &format!("{} contacts are in the campaign: a reactivation_started event at or before --now, or a campaign since turning cold (in soft reactivation, break-up or the archive it ended in, or come back from one); erased contacts aside. Opens by machines and privacy proxies do not count (D2). Re-qualified: the funnel reached MQL or SQL at or after the start.", thousands(f.cohort)));
    revenue(page, f);
    page.push_str("</section>\n");
}

fn revenue(page: &mut String, f: &Figures) {
    let _ = writeln!(
        page,
        "<table>\n<caption>Revenue attributed to reactivated contacts within {REVENUE_DAYS} days (D12)</caption>\n\
         <thead><tr><th scope=\"col\">Currency</th><th scope=\"col\">Orders</th><th scope=\"col\">Revenue</th></tr></thead>\n<tbody>"
    );
    if f.revenue.is_empty() {
        page.push_str("<tr><th scope=\"row\">—</th><td>0</td><td>0.00</td></tr>\n");
    }
    for (currency, (orders, value)) in &f.revenue {
        let _ = writeln!(
            page,
            "<tr data-key=\"{}\"><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            esc(currency),
            esc(currency),
            thousands(*orders),
            money(*value)
        );
    }
    page.push_str("</tbody>\n</table>\n");
    note(page, &format!("{} contacts ordered within {REVENUE_DAYS} days after rekindle returned them to active (D7: any real engagement after cooling, cold, the campaign or the archive; an order that brings a contact back counts). Summed from the purchase events' value, per currency as the events state it (no conversion), at or before --now.", thousands(f.revenue_contacts)));
}

/// `1234567.891` → `1,234,567.89` (two decimals, rounded half away from zero).
fn money(value: f64) -> String {
    let cents = (value.abs() * 100.0).round();
    let whole = (cents / 100.0).trunc() as u64;
    let sign = if value < 0.0 && cents > 0.0 { "-" } else { "" };
    format!("{sign}{}.{:02}", thousands(whole), (cents % 100.0) as u64)
}

/// "This run's campaign": what `--start-reactivation` picked and why the others were not, and the contacts
/// archived since `--previous` without any plan listing them in break-up (`plan::campaign`). Nothing without
/// either flag.
pub(super) fn this_run(page: &mut String, plan: &Plan) {
    use crate::plan::campaign::Started;
    let started = plan
        .start_reactivation
        .then(|| Started::of(plan.planned.iter().filter_map(|p| p.pick), plan.now, plan.windows));
    let unseen = plan.planned.iter().filter(|p| p.unseen_break_up.is_some()).count() as u64;
    if started.is_none() && unseen == 0 {
        return;
    }
    page.push_str("<section aria-labelledby=\"this-run\">\n<h2 id=\"this-run\">This run's campaign</h2>\n");
    if let Some(s) = &started {
        let mut rows = vec![(
            "picked".to_string(),
            "Cold contacts picked (soft reactivation from --now)".to_string(),
            vec![thousands(s.picked)],
        )];
        rows.extend(
            s.not_picked
                .iter()
                .map(|(why, n)| (why.clone(), format!("Not picked: {}", why.replace('_', " ")), vec![thousands(*n)])),
        );
        let caption = "What --start-reactivation did at --now";
        let bars: Vec<Bar> = rows
            .iter()
            .map(|(key, _, n)| Bar {
                label: key.replace('_', " "),
                value: if key == "picked" {
                    s.picked as f64
                } else {
                    s.not_picked.get(key).copied().unwrap_or(0) as f64
                },
                text: n.concat(),
                tone: if key == "picked" { Tone::Orange } else { Tone::Grey },
            })
            .collect();
        let max = bars.iter().map(|b| b.value).fold(1.0, f64::max);
        figure(page, caption, &chart::bars(caption, &bars, max, &[]), &["Contacts", "Count"], &rows);
        if let (Some(from), Some(until)) = (s.break_up_from, s.break_up_until) {
            note(page, &format!("Their break-up runs from {} to {}: run the plan again with --previous in that window, so audiences/break_up.csv lists them before they are archived (D8).", rfc3339(from), rfc3339(until)));
        }
    }
    if unseen > 0 {
        let previous = plan.previous_now.map(|t| rfc3339(t.ms())).unwrap_or_default();
        let _ = writeln!(
            page,
            "<p><strong class=\"status-alarm\">{} contact(s) went through break-up and were archived since the previous plan of {} without any plan listing them in break_up.csv</strong>: the break-up message was never sent (D8). Those who may still be emailed are in audiences/break_up_unseen.csv; during a campaign, run the plan at least every {} h.</p>",
            thousands(unseen),
            esc(&previous),
            plan.windows.1.ms() / 3_600_000
        );
    }
    page.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_two_decimals_and_thousands_separators() {
        assert_eq!(money(1_234_567.891), "1,234,567.89");
        assert_eq!(money(0.005), "0.01");
        assert_eq!(money(-12.5), "-12.50");
        assert_eq!(money(0.0), "0.00");
    }
}
