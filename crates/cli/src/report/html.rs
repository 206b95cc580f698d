//! `report.html`: one self-contained page (inline CSS, inline SVG, no script, no network; it opens from disk)
//! with the plan's aggregates: the lifecycle funnel (D1, D6–D9), contacts by lifecycle phase over the last 12
//! months, contacts by stage and readiness, funnel progress (D26: stages reached, cohort conversions, median
//! times, the SQL handoffs against their SLA, D19; [`funnel_progress`]), engagement rates, the complaint rate
//! against the bulk-sender lines (D5), the cleanup's estimated monthly saving (D3), the campaign KPIs with reactivation revenue (D12), the A/B tests (D26, [`ab_tests`]), retention
//! (D36–D42: models, RFM grid, P(alive), cohort heat map, monthly churn; [`retention`]), NPS and referrals per
//! month (D38, D42; [`nps`]), segment sizes, the
//! diagnostics and the inputs ([`campaign`] holds the look back and the KPIs).
//!
//! Aggregates only: no contact id, email or profile value appears. Every chart is a `<figure>` with a caption
//! and a `<table>` holding the same numbers. Nothing reads the clock, so a rerun writes the same bytes.

mod ab_tests;
mod campaign;
mod funnel_progress;
mod nps;
mod retention;

use std::collections::BTreeMap;
use std::fmt::Write;

use rekindle_core::lifecycle::Phase;
use rekindle_core::{Readiness, Stage};

use super::chart::{self, esc, Bar, Mark, Stack, Tone};
use super::{name, rfc3339};
use crate::args::PlanArgs;
use crate::output::OutDir;
use crate::plan::engagement::{within, COMPLAINT_WINDOW_DAYS};
use crate::plan::history::INSTANTS;
use crate::plan::outcome::Planned;
use crate::plan::{thousands, Plan};
use crate::CliError;

use super::complaint_rate::{ALARM_RATE, WARN_RATE};
/// The engagement windows, in days.
const WINDOWS: [i64; 3] = [30, 90, 180];

const PHASES: [(Phase, &str, Tone); 7] = [
    (Phase::Active, "Active", Tone::Green),
    (Phase::Cooling, "Cooling", Tone::Blue),
    (Phase::Cold, "Cold", Tone::Purple),
    (Phase::SoftReactivation, "Soft reactivation", Tone::Orange),
    (Phase::BreakUp, "Break-up", Tone::Red),
    (Phase::Archived, "Archived", Tone::Grey),
    (Phase::Erased, "Erased", Tone::Black),
];
const STAGES: [(Stage, &str); 5] = [
    (Stage::Lead, "Lead"),
    (Stage::Mql, "MQL"),
    (Stage::Sql, "SQL"),
    (Stage::Opportunity, "Opportunity"),
    (Stage::Customer, "Customer"),
];
const READINESS: [(Readiness, &str, Tone); 3] = [
    (Readiness::Cold, "Cold", Tone::Blue),
    (Readiness::Warm, "Warm", Tone::Orange),
    (Readiness::Hot, "Hot", Tone::Red),
];

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;color:#1a1a1a;background:#fff;margin:0}\
main{max-width:52rem;margin:0 auto;padding:1rem 1.25rem 3rem}h1{font-size:1.6rem;margin:.5rem 0}\
h2{font-size:1.25rem;margin:2rem 0 .5rem;border-bottom:1px solid #c4c7cc;padding-bottom:.2rem}\
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.4rem}svg{width:100%;height:auto;display:block}\
table{border-collapse:collapse;margin:.6rem 0;font-size:.95rem}caption{text-align:left;font-weight:600;padding:.2rem 0}\
th,td{border:1px solid #c4c7cc;padding:.25rem .6rem;text-align:left}td{text-align:right}\
thead th{background:#eef1f5}.note{color:#3d4148;font-size:.92rem}.status-alarm{color:#b3261e;font-weight:700}\
.status-warn{color:#a84a12;font-weight:700}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}\
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}footer{max-width:52rem;margin:0 auto;padding:0 1.25rem 2rem}";

/// `n / d` as a percentage with `digits` decimals, or an em dash when `d` is zero.
fn pct(n: u64, d: u64, digits: usize) -> String {
    if d == 0 {
        return "—".into();
    }
    format!("{:.digits$} %", 100.0 * n as f64 / d as f64)
}

fn ratio(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// What the report shows, counted once over the plan.
struct Figures {
    phases: BTreeMap<Phase, u64>,
    /// `(stage, readiness)` → contacts, erased aside.
    stages: BTreeMap<(Stage, Readiness), u64>,
    /// Contacts not erased: the denominator of the engagement rates.
    living: u64,
    /// `[kind][window]`: kind 0 open, 1 click, 2 reply, 3 any of them.
    engaged: [[u64; 3]; 4],
    /// Contacts neither archived nor erased, and of them those who engaged in 90 days (D3's lift).
    remaining: u64,
    remaining_engaged_90: u64,
    sends_30d: u64,
    /// Deliveries in the webhook logs in the same 30 days (ESPs report deliveries, not sends).
    deliveries_30d: u64,
    complaints_30d: u64,
    /// Of those three, what the `--previous` plan counted (`deliveries.csv`), and its `--now`.
    complaints_from_previous: Option<super::complaint_rate::FromPrevious>,
    /// D12: contacts a reactivation started for, and of them who opened, clicked or replied, returned to
    /// active, re-qualified as MQL/SQL after it.
    cohort: u64,
    opened: u64,
    clicked: u64,
    reactivated: u64,
    requalified: u64,
    /// `[instant][phase code]` → contacts (codes of `plan::history`: the phases, then "not on the list yet").
    history: [[u64; 8]; INSTANTS],
    /// D12: currency → (orders, value) of purchases within 90 days of a reactivation, and the contacts they
    /// came from.
    revenue: BTreeMap<String, (u64, f64)>,
    revenue_contacts: u64,
}

impl Figures {
    fn of(plan: &Plan) -> Figures {
        let now = plan.now;
        // The complaint rate's counts (D5): every contact's complaints, erased ones included, over what was
        // mailed, with what the --previous plan counted (`plan::mailed`).
        let rate = super::complaint_rate::ComplaintRate::of(plan);
        let mut f = Figures {
            phases: PHASES.iter().map(|(p, _, _)| (*p, 0)).collect(),
            stages: BTreeMap::new(),
            living: 0,
            engaged: [[0; 3]; 4],
            remaining: 0,
            remaining_engaged_90: 0,
            sends_30d: rate.sends,
            deliveries_30d: rate.deliveries,
            complaints_30d: rate.complaints,
            complaints_from_previous: rate.from_previous,
            cohort: 0,
            opened: 0,
            clicked: 0,
            reactivated: 0,
            requalified: 0,
            history: [[0; 8]; INSTANTS],
            revenue: BTreeMap::new(),
            revenue_contacts: 0,
        };
        for p in &plan.planned {
            *f.phases.entry(p.lifecycle.state).or_insert(0) += 1;
            for (row, code) in f.history.iter_mut().zip(p.history.codes()) {
                if let Some(n) = row.get_mut(usize::from(*code)) {
                    *n += 1;
                }
            }
            // Revenue is a business fact: an erased contact's orders were still paid (aggregates only).
            f.revenue_contacts += u64::from(!p.revenue.items().is_empty());
            for (currency, orders, value) in p.revenue.items() {
                let slot = f.revenue.entry(currency.to_string()).or_insert((0, 0.0));
                slot.0 += u64::from(*orders);
                slot.1 += value;
            }
            if p.erased() {
                continue;
            }
            f.living += 1;
            *f.stages.entry((p.stage, p.readiness)).or_insert(0) += 1;
            let e = &p.engagement;
            let kinds = [e.last_open, e.last_click, e.last_reply, e.last_any()];
            for (k, last) in kinds.iter().enumerate() {
                for (w, days) in WINDOWS.iter().enumerate() {
                    if within(*last, *days, now) {
                        if let Some(n) = f.engaged.get_mut(k).and_then(|row| row.get_mut(w)) {
                            *n += 1;
                        }
                    }
                }
            }
            if p.lifecycle.state != Phase::Archived {
                f.remaining += 1;
                f.remaining_engaged_90 += u64::from(within(e.last_any(), 90, now));
            }
            if let Some(start) = campaign_start(p) {
                let after = |t: Option<rekindle_core::Timestamp>| t.is_some_and(|t| t >= start);
                f.cohort += 1;
                f.opened += u64::from(after(e.last_open));
                f.clicked += u64::from(after(e.last_click_or_reply()));
                f.reactivated += u64::from(after(p.lifecycle.reactivated_at));
                f.requalified += u64::from(after(p.qualified_at));
            }
        }
        f
    }

    fn phase(&self, phase: Phase) -> u64 {
        self.phases.get(&phase).copied().unwrap_or(0)
    }
}

/// When a campaign started the contact's reactivation: its latest `reactivation_started` at or before `--now`,
/// else the start core knows (entry on cold: the campaign the contact is in, or came back from).
fn campaign_start(p: &Planned) -> Option<rekindle_core::Timestamp> {
    p.engagement.reactivation_started.or(p.campaign_started)
}

/// Writes `report.html`.
pub fn write_report(
    plan: &Plan,
    out: &mut OutDir,
    args: &PlanArgs,
    segments: &BTreeMap<String, u64>,
) -> Result<(), CliError> {
    let f = Figures::of(plan);
    let mut page = String::with_capacity(32 * 1024);
    let now = rfc3339(plan.now.ms());
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>Re-engagement plan at {now} · rekindle</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1>Re-engagement plan</h1>\n<p>{} contacts planned at <time datetime=\"{now}\">{now}</time> with the playbook \
         <code>{}</code>. This page holds aggregates only: no contact ids, emails or profile values.</p>\n",
        thousands(plan.contacts.len() as u64),
        esc(&args.playbook.display().to_string())
    );
    funnel(&mut page, plan, &f);
    campaign::this_run(&mut page, plan);
    campaign::trend(&mut page, plan, &f);
    stages(&mut page, &f);
    funnel_progress::section(&mut page, &super::funnel_progress::FunnelProgress::of(plan), &now);
    engagement(&mut page, &f, &now);
    complaints(&mut page, &f, &now);
    cleanup(&mut page, &f, args);
    campaign::kpis(&mut page, &f);
    ab_tests::section(&mut page, &plan.ab_tests);
    retention::section(&mut page, plan);
    let change =
        plan.previous_now.map(|p| super::nps_change::compare(p.ms(), plan.previous_voice.as_ref(), &plan.voice).0);
    nps::section(&mut page, &plan.voice, change.as_ref());
    segment_sizes(&mut page, plan, segments);
    diagnostics(&mut page, plan);
    inputs(&mut page, args, &now);
    let _ = write!(
        page,
        "</main>\n<footer><p class=\"note\">Written by rekindle {} · <code>rekindle plan</code>. The figures in \
         this page are also in <code>manifest.json</code> and <code>plan.json</code>.</p></footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out.write("report.html", |w| w.write_all(page.as_bytes()).map(|()| 1))
}

/// A `<figure>`: caption, chart, and the same numbers as a table (`head` cells, then rows of a header cell and
/// data cells; a row's optional `data-key` names it for tools).
fn figure(page: &mut String, caption: &str, svg: &str, head: &[&str], rows: &[(String, String, Vec<String>)]) {
    let _ = write!(
        page,
        "<figure>\n<figcaption>{}</figcaption>\n{svg}\n<table>\n<caption>{} (table)</caption>\n<thead><tr>",
        esc(caption),
        esc(caption)
    );
    table_rows(page, head, rows);
    page.push_str("</figure>\n");
}

/// The rest of a table whose `<thead><tr>` is open: the `head` cells, then rows of a header cell (its `data-key`
/// names the row for tools) and data cells; closes the table.
pub(super) fn table_rows<H: AsRef<str>>(page: &mut String, head: &[H], rows: &[(String, String, Vec<String>)]) {
    for h in head {
        let _ = write!(page, "<th scope=\"col\">{}</th>", esc(h.as_ref()));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for (key, label, cells) in rows {
        let _ = write!(page, "<tr data-key=\"{}\"><th scope=\"row\">{}</th>", esc(key), esc(label));
        for c in cells {
            let _ = write!(page, "<td>{}</td>", esc(c));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</tbody>\n</table>\n");
}

fn note(page: &mut String, text: &str) {
    let _ = writeln!(page, "<p class=\"note\">{}</p>", esc(text));
}

fn funnel(page: &mut String, plan: &Plan, f: &Figures) {
    page.push_str("<section aria-labelledby=\"funnel\">\n<h2 id=\"funnel\">Lifecycle funnel</h2>\n");
    let total = plan.planned.len() as u64;
    let max = PHASES.iter().map(|(p, _, _)| f.phase(*p)).max().unwrap_or(0) as f64;
    let bars: Vec<Bar> = PHASES
        .iter()
        .map(|(p, label, tone)| {
            let n = f.phase(*p);
            Bar {
                label: (*label).into(),
                value: n as f64,
                text: format!("{} ({})", thousands(n), pct(n, total, 1)),
                tone: *tone,
            }
        })
        .collect();
    let rows: Vec<_> = PHASES
        .iter()
        .map(|(p, label, _)| {
            (name(p).into_owned(), (*label).to_string(), vec![thousands(f.phase(*p)), pct(f.phase(*p), total, 1)])
        })
        .collect();
    let caption = "Contacts per lifecycle phase at --now";
    figure(page, caption, &chart::bars(caption, &bars, max, &[]), &["Phase", "Contacts", "Share"], &rows);
    note(page, "Active → cooling (no engagement for the playbook's cooling window) → cold → soft reactivation → break-up → archived; erased contacts keep only a tombstone (D1, D6–D9).");
    page.push_str("</section>\n");
}

fn stages(page: &mut String, f: &Figures) {
    page.push_str("<section aria-labelledby=\"stages\">\n<h2 id=\"stages\">Contacts by stage and readiness</h2>\n");
    let count = |s: Stage, r: Readiness| f.stages.get(&(s, r)).copied().unwrap_or(0);
    let total = |s: Stage| READINESS.iter().map(|(r, _, _)| count(s, *r)).sum::<u64>();
    let max = STAGES.iter().map(|(s, _)| total(*s)).max().unwrap_or(0) as f64;
    let stacks: Vec<Stack> = STAGES
        .iter()
        .map(|(s, label)| Stack {
            label: (*label).into(),
            parts: READINESS.iter().map(|(r, _, tone)| (count(*s, *r) as f64, *tone)).collect(),
            text: thousands(total(*s)),
        })
        .collect();
    let legend: Vec<(&str, Tone)> = READINESS.iter().map(|(_, l, t)| (*l, *t)).collect();
    let rows: Vec<_> = STAGES
        .iter()
        .map(|(s, label)| {
            let mut cells: Vec<String> = READINESS.iter().map(|(r, _, _)| thousands(count(*s, *r))).collect();
            cells.push(thousands(total(*s)));
            (name(s).into_owned(), (*label).to_string(), cells)
        })
        .collect();
    let caption = "Contacts by stage, split by readiness (erased contacts aside)";
    let svg = chart::stacked(caption, &stacks, max, &legend);
    figure(page, caption, &svg, &["Stage", "Cold", "Warm", "Hot", "All"], &rows);
    page.push_str("</section>\n");
}

fn engagement(page: &mut String, f: &Figures, now: &str) {
    page.push_str("<section aria-labelledby=\"engagement\">\n<h2 id=\"engagement\">Engagement rates</h2>\n");
    let kinds = [
        ("open", "Opened", Tone::Blue),
        ("click", "Clicked", Tone::Green),
        ("reply", "Replied", Tone::Purple),
        ("any", "Any of these", Tone::Grey),
    ];
    let mut bars = Vec::new();
    let mut rows = Vec::new();
    for (k, (key, label, tone)) in kinds.iter().enumerate() {
        let counts = f.engaged.get(k).copied().unwrap_or_default();
        for (w, days) in WINDOWS.iter().enumerate() {
            let n = counts.get(w).copied().unwrap_or(0);
            let text = format!("{} ({})", pct(n, f.living, 1), thousands(n));
            bars.push(Bar {
                label: format!("{label} · {days} d"),
                value: 100.0 * ratio(n, f.living),
                text,
                tone: *tone,
            });
        }
        let cells = counts.iter().map(|n| format!("{} ({})", pct(*n, f.living, 1), thousands(*n))).collect();
        rows.push(((*key).to_string(), (*label).to_string(), cells));
    }
    let caption = "Share of contacts who opened, clicked or replied in the last 30, 90 and 180 days";
    figure(
        page,
        caption,
        &chart::bars(caption, &bars, 100.0, &[]),
        &["Engagement", "30 days", "90 days", "180 days"],
        &rows,
    );
    note(page, &format!("Of {} contacts not erased, counted back from {now}, from the logs and, with --previous, the latest open, click and reply the previous plan knew. Opens by machines and privacy proxies and clicks by link scanners do not count (D2); replies include text-message replies.", thousands(f.living)));
    page.push_str("</section>\n");
}

fn complaints(page: &mut String, f: &Figures, now: &str) {
    page.push_str("<section aria-labelledby=\"complaints\">\n<h2 id=\"complaints\">Spam-complaint rate</h2>\n");
    // The share of what was mailed: the marketing sends folded, or the deliveries the ESP's logs report when they
    // are more (logs hold deliveries, not sends; taking the larger never counts one message twice).
    let mailed = f.sends_30d.max(f.deliveries_30d);
    let rate = ratio(f.complaints_30d, mailed);
    let (status, class) = match mailed {
        0 => ("no marketing sends or deliveries in the window", "note"),
        _ if rate >= ALARM_RATE => ("alarm: at or above 0.3 %", "status-alarm"),
        _ if rate >= WARN_RATE => ("warning: at or above 0.1 %", "status-warn"),
        _ => ("below the 0.1 % warning line", "status-ok"),
    };
    let max = (rate * 1.25).max(0.004) * 100.0;
    let bar = Bar {
        label: "Complaint rate".into(),
        value: rate * 100.0,
        text: pct(f.complaints_30d, mailed, 2),
        tone: Tone::Blue,
    };
    let marks = [
        Mark { at: WARN_RATE * 100.0, label: "0.1 % warn".into(), tone: Tone::Orange },
        Mark { at: ALARM_RATE * 100.0, label: "0.3 % alarm".into(), tone: Tone::Red },
    ];
    let caption = format!("Spam complaints per email mailed in the {COMPLAINT_WINDOW_DAYS} days before --now");
    let rows = vec![
        ("complaints".into(), "Spam complaints".into(), vec![thousands(f.complaints_30d)]),
        ("sends".into(), "Marketing emails sent (send events)".into(), vec![thousands(f.sends_30d)]),
        ("deliveries".into(), "Deliveries in the webhook logs".into(), vec![thousands(f.deliveries_30d)]),
        ("rate".into(), "Complaint rate (of the larger)".into(), vec![pct(f.complaints_30d, mailed, 2)]),
    ];
    figure(page, &caption, &chart::bars(&caption, &[bar], max, &marks), &["Measure", "Last 30 days"], &rows);
    let _ = writeln!(page, "<p>Status: <strong class=\"{class}\">{}</strong>.</p>", esc(status));
    let carried = match &f.complaints_from_previous {
        None => String::new(),
        Some(p) => format!(
            " Up to the previous plan's --now, {}, the counts are that plan's (its deliveries.csv, to the hour: {} complaint(s), {} send(s), {} deliveries in this window), after it this run's events: the logs that rolled over still count, and none twice.",
            super::rfc3339(p.previous_now),
            thousands(p.complaints),
            thousands(p.sends),
            thousands(p.deliveries)
        ),
    };
    note(page, &format!("Bulk senders (Gmail and Yahoo rules, D5) keep complaints under 0.1 % of what they mail and must stay under 0.3 %. Counted in the 30 days before {now}: the complaint events of every contact, erased ones included (each complaint once at its own time), over the larger of the marketing sends folded (transactional mail is not one) and the deliveries the webhook logs report (every recipient in them: ESPs log deliveries, not sends).{carried}"));
    page.push_str("</section>\n");
}

fn cleanup(page: &mut String, f: &Figures, args: &PlanArgs) {
    page.push_str("<section aria-labelledby=\"cleanup\">\n<h2 id=\"cleanup\">List cleanup and estimated saving</h2>\n");
    let (archived, erased) = (f.phase(Phase::Archived), f.phase(Phase::Erased));
    let removed = archived + erased;
    let saving = removed as f64 * args.cost_per_contact;
    let currency = esc(&args.currency);
    let lift_before = ratio(f.engaged[3][1], f.living);
    let lift_after = ratio(f.remaining_engaged_90, f.remaining);
    let rows = [
        ("Contacts archived", thousands(archived)),
        ("Contacts erased", thousands(erased)),
        ("Contacts removed from the billed list", thousands(removed)),
        ("Price per contact and month (--cost-per-contact)", format!("{} {currency}", args.cost_per_contact)),
        ("Estimated monthly saving", format!("{saving:.2} {currency}")),
        ("Engaged in 90 days, whole list (erased aside)", pct(f.engaged[3][1], f.living, 1)),
        ("Engaged in 90 days, list after the cleanup", pct(f.remaining_engaged_90, f.remaining, 1)),
    ];
    label_table(page, "What the cleanup removes (D3)", &rows);
    let _ = writeln!(
        page,
        "<p>Estimated monthly ESP cost saved: <strong>{saving:.2} {currency}</strong> ({} contacts × {} {currency}). \
         This is an estimate: ESPs bill per contact, per send or in tiers; pass your own price with \
         <code>--cost-per-contact</code> (or <code>--cost-per-send</code>) and <code>--currency</code>.</p>",
        thousands(removed),
        args.cost_per_contact
    );
    if let Some(price) = args.cost_per_send {
        per_send(page, f, removed, price, &currency);
    }
    if f.living > 0 && f.remaining > 0 {
        note(page, &format!("Expected engagement-rate lift of the remaining list: {:+.1} percentage points (90-day engagement, any open, click or reply).", 100.0 * (lift_after - lift_before)));
    }
    page.push_str("</section>\n");
}

/// A table of labelled figures, one row each: the label a row header, the figure its cell.
fn label_table(page: &mut String, caption: &str, rows: &[(&str, String)]) {
    let _ = writeln!(page, "<table>\n<caption>{}</caption>\n<tbody>", esc(caption));
    for (label, value) in rows {
        let _ = writeln!(page, "<tr><th scope=\"row\">{}</th><td>{value}</td></tr>", esc(label));
    }
    page.push_str("</tbody>\n</table>\n");
}

/// D3's other billing model: per email sent. What the removed contacts would keep costing if mailed at the list's
/// rate: what was mailed in the last 30 days (the larger of the marketing sends folded and the deliveries logged,
/// as the complaint rate counts it) over the contacts on the list, times the removed, times the price.
fn per_send(page: &mut String, f: &Figures, removed: u64, price: f64, currency: &str) {
    let mailed = f.sends_30d.max(f.deliveries_30d);
    let rate = ratio(mailed, f.living);
    let saving = removed as f64 * rate * price;
    let rows = [
        ("Mailed in the last 30 days (marketing sends or deliveries, the larger)", thousands(mailed)),
        ("Emails per contact and month (the list's average)", format!("{rate:.2}")),
        ("Price per email sent (--cost-per-send)", format!("{price} {currency}")),
        ("Estimated monthly saving, billed per send", format!("{saving:.2} {currency}")),
    ];
    label_table(page, "Billed per send instead (D3)", &rows);
    let _ = writeln!(
        page,
        "<p>Billed per send: <strong>{saving:.2} {currency}</strong> a month ({} contacts × {rate:.2} emails × {price} \
         {currency}), if the removed contacts would have been mailed as often as the list was in the last 30 days.</p>",
        thousands(removed)
    );
}

fn segment_sizes(page: &mut String, plan: &Plan, segments: &BTreeMap<String, u64>) {
    page.push_str("<section aria-labelledby=\"segments\">\n<h2 id=\"segments\">Segments</h2>\n");
    let living = plan.planned.iter().filter(|p| !p.erased()).count() as u64;
    let size = |id: &String| segments.get(id).copied().unwrap_or(0);
    let max = plan.segment_ids.iter().map(size).max().unwrap_or(0) as f64;
    let bars: Vec<Bar> = plan
        .segment_ids
        .iter()
        .map(|id| Bar {
            label: id.clone(),
            value: size(id) as f64,
            text: format!("{} ({})", thousands(size(id)), pct(size(id), living, 1)),
            tone: Tone::Blue,
        })
        .collect();
    let rows: Vec<_> = plan
        .segment_ids
        .iter()
        .map(|id| (id.clone(), id.clone(), vec![thousands(size(id)), pct(size(id), living, 1)]))
        .collect();
    if bars.is_empty() {
        note(page, "The playbook defines no segments.");
    } else {
        let caption = "Members per segment (erased contacts never)";
        figure(page, caption, &chart::bars(caption, &bars, max, &[]), &["Segment", "Members", "Share"], &rows);
    }
    page.push_str("</section>\n");
}

fn diagnostics(page: &mut String, plan: &Plan) {
    page.push_str("<section aria-labelledby=\"diagnostics\">\n<h2 id=\"diagnostics\">Diagnostics</h2>\n");
    let c = &plan.counts;
    let counts = [
        ("Contact rows read", c.contact_rows),
        ("Duplicate rows merged (same email or phone)", c.duplicate_rows),
        ("… of them by phone", c.duplicate_phone_rows),
        ("Contact rows rejected", c.rejected_contact_rows),
        ("Event lines read", c.event_lines),
        ("Events folded", c.events),
        ("Event lines rejected", c.rejected_event_lines),
        ("Late events (older than folded history)", c.late_events),
        ("Duplicate webhook events (folded once)", c.duplicate_events),
    ];
    page.push_str("<table>\n<caption>Rows and lines</caption>\n<tbody>\n");
    for (label, n) in counts {
        let _ = writeln!(page, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>", esc(label), thousands(n));
    }
    for (kind, n) in &c.skipped_records {
        let label = format!("Webhook records not folded: {kind}");
        let _ = writeln!(page, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>", esc(&label), thousands(*n));
    }
    page.push_str("</tbody>\n</table>\n");
    let mut by_code: BTreeMap<(&str, String, &str), u64> = BTreeMap::new();
    for d in &plan.diagnostics {
        *by_code.entry((d.file.as_str(), name(&d.severity).into_owned(), d.code)).or_insert(0) += 1;
    }
    if by_code.is_empty() {
        note(page, "No diagnostics: every row and line was used as is.");
    } else {
        page.push_str("<table>\n<caption>Diagnostics by file and code (details in diagnostics.ndjson and rejects.csv)</caption>\n<thead><tr><th scope=\"col\">File</th><th scope=\"col\">Severity</th><th scope=\"col\">Code</th><th scope=\"col\">Count</th></tr></thead>\n<tbody>\n");
        for ((file, severity, code), n) in &by_code {
            let _ = writeln!(
                page,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(file),
                esc(severity),
                esc(code),
                thousands(*n)
            );
        }
        page.push_str("</tbody>\n</table>\n");
    }
    page.push_str("</section>\n");
}

fn inputs(page: &mut String, args: &PlanArgs, now: &str) {
    page.push_str("<section aria-labelledby=\"inputs\">\n<h2 id=\"inputs\">Inputs</h2>\n<dl>\n");
    let path = |p: &std::path::Path| format!("<code>{}</code>", esc(&p.display().to_string()));
    let events: Vec<String> = args.events.iter().map(|p| path(p)).collect();
    let _ = write!(
        page,
        "<dt>Playbook</dt><dd>{}</dd>\n<dt>Contacts</dt><dd>{}</dd>\n<dt>Events</dt><dd>{}</dd>\n\
         <dt>Decided at (--now)</dt><dd><time datetime=\"{now}\">{now}</time></dd>\n",
        path(&args.playbook),
        path(&args.contacts),
        events.join(", ")
    );
    page.push_str("</dl>\n</section>\n");
}
