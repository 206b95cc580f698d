//! The retention section of `report.html` (D36–D42): the models core fitted, the RFM grid, the customers per cell,
//! the P(alive) distribution, retention by cohort of first order as a heat map, and revenue and churn month by
//! month. Aggregates only, like the rest of the page; the per-customer figures are in `retention.csv`.

use std::fmt::Write;

use rekindle_core::retention::analysis::Model;
use rekindle_core::retention::{FitWarning, Unfit};

use super::super::chart::{self, esc, Bar, Cell, Tone};
use super::{figure, note, pct};
use crate::plan::retention::Retention;
use crate::plan::{thousands, Plan};

/// Cohorts and months since the first order shown in the heat map (the table lists the same).
const COHORTS: usize = 12;
const OFFSETS: usize = 13;

fn money(v: f64) -> String {
    format!("{v:.2}")
}

fn share(v: f64) -> String {
    format!("{:.1} %", 100.0 * v)
}

fn fitted<P>(model: &Model<P>, params: impl Fn(&P) -> String) -> String {
    match model {
        Model::Fitted(f) => {
            let mut text =
                format!("{} (log-likelihood {:.2}, {} customers", params(&f.params), f.log_likelihood, f.customers);
            if f.excluded > 0 {
                let _ = write!(text, ", {} left out", f.excluded);
            }
            text.push(')');
            for w in &f.warnings {
                text.push_str(match w {
                    FitWarning::SmallBase { .. } => "; fewer than 500 customers: wide uncertainty",
                    FitWarning::AtBound => "; a parameter ended on its bound: the data do not pin it down",
                    FitWarning::NotConverged { .. } => "; the optimiser did not converge: best point found",
                    FitWarning::NoFiniteMean => {
                        "; q ≤ 1: spend has no finite mean, so no expected order value and no CLV (a few customers \
                         spend far more than the rest: leave them out, analyse them apart, or cap amounts)"
                    }
                    _ => "",
                });
            }
            text
        }
        Model::Unfit(Unfit { code, message }) => format!("not fitted ({code}): {message}"),
    }
}

/// Writes the section.
pub fn section(page: &mut String, plan: &Plan) {
    page.push_str("<section aria-labelledby=\"retention\">\n<h2 id=\"retention\">Retention</h2>\n");
    let Some(r) = &plan.retention else {
        note(page, "No orders: no contact has a purchase event, so there is no retention analysis (D36–D42).");
        page.push_str("</section>\n");
        return;
    };
    overview(page, r);
    rfm(page, r);
    p_alive(page, r);
    cohorts(page, r);
    months(page, r);
    winback(page, r);
    owners(page, r);
    page.push_str("</section>\n");
}

fn overview(page: &mut String, r: &Retention) {
    let a = &r.analysis;
    let customers = a.customers.len() as u64;
    let orders: u64 = a.customers.iter().map(|c| u64::from(c.summary.orders)).sum();
    let k = &a.kpis;
    let returning = u64::from(k.returning_customers);
    let winback = a.customers.iter().filter(|c| c.winback_priority.is_some()).count() as u64;
    let currencies: Vec<String> = r.currencies.iter().map(|(c, n)| format!("{c} ({} orders)", thousands(*n))).collect();
    let unit = if a.unit_days == 7 { "weeks" } else { "days" };
    let rows = [
        ("Customers (contacts with an order)", thousands(customers)),
        ("Orders", thousands(orders)),
        ("Revenue", money(k.revenue)),
        (
            "Returning customers (orders on two or more days)",
            format!("{} ({})", thousands(returning), pct(returning, customers, 1)),
        ),
        (
            "Revenue from returning customers' repeat orders",
            format!("{} ({})", money(k.returning_revenue), share(k.returning_revenue_share)),
        ),
        (
            "Customers with a churn early-warning alert (D41)",
            format!("{} ({})", thousands(u64::from(a.alerts)), pct(u64::from(a.alerts), customers, 1)),
        ),
        ("Win-back candidates: alerted or dormant, with a priority (D40)", thousands(winback)),
        (
            "BG/NBD purchase and dropout model",
            fitted(&a.bgnbd, |p| format!("r {:.4}, α {:.4} ({unit}), a {:.4}, b {:.4}", p.r, p.alpha, p.a, p.b)),
        ),
        (
            "Gamma-Gamma spend model",
            fitted(&a.gamma_gamma, |p| format!("p {:.4}, q {:.4}, γ {:.4}", p.p, p.q, p.gamma)),
        ),
        (
            "CLV horizon",
            format!(
                "{} months of 30 days, {} % discount per month",
                a.horizon.months,
                a.horizon.monthly_discount * 100.0
            ),
        ),
    ];
    page.push_str("<table>\n<caption>Customers, orders and models at --now (D38)</caption>\n<tbody>\n");
    for (label, value) in rows {
        let _ = writeln!(page, "<tr><th scope=\"row\">{}</th><td>{}</td></tr>", esc(label), esc(&value));
    }
    page.push_str("</tbody>\n</table>\n");
    let mut text = format!(
        "Orders are purchase events, their value the amount; amounts are summed as given ({}).",
        currencies.join(", ")
    );
    if r.currencies.len() > 1 {
        text.push_str(" Several currencies are mixed: convert before comparing values.");
    }
    if r.bad_orders > 0 {
        let _ = write!(
            text,
            " {} purchase events with a value that is not an amount ≥ 0 were left out (each a bad_order_value \
             warning in diagnostics.ndjson, with its file and line).",
            thousands(r.bad_orders)
        );
    }
    if r.kept {
        text.push_str(" The playbook has a retention section: each customer's RFM cell, churn reason and win-back priority are kept on the contact (profile fields rfm_cell, churn_reason, winback_priority, …) before segments are decided.");
    }
    note(page, &text);
}

fn rfm(page: &mut String, r: &Retention) {
    let rfm = &r.analysis.rfm;
    let levels = usize::from(rfm.breakpoints.levels);
    let max = rfm.grid.iter().flatten().copied().max().unwrap_or(0).max(1);
    let columns: Vec<String> = (1..=levels).map(|fm| format!("FM {fm}")).collect();
    let rows: Vec<(String, Vec<Cell>)> = (1..=levels)
        .rev()
        .map(|score| {
            let counts = rfm.grid.get(score - 1).cloned().unwrap_or_default();
            let cells =
                counts.iter().map(|n| Some((f64::from(*n) / f64::from(max), thousands(u64::from(*n))))).collect();
            (format!("R {score}"), cells)
        })
        .collect();
    let caption = "Customers by recency score (rows) and frequency-and-monetary score (columns), D36";
    let svg = chart::heat(caption, &columns, &rows);
    let mut head = vec!["Recency"];
    head.extend(columns.iter().map(String::as_str));
    let table: Vec<_> = rows
        .iter()
        .map(|(label, cells)| {
            let values = cells.iter().map(|c| c.as_ref().map(|c| c.1.clone()).unwrap_or_default()).collect();
            (label.to_lowercase().replace(' ', "-"), label.clone(), values)
        })
        .collect();
    figure(page, caption, &svg, &head, &table);
    let b = &rfm.breakpoints;
    let cuts = |v: &[f64]| v.iter().map(|x| format!("{x:.1}")).collect::<Vec<_>>().join(", ");
    note(page, &format!(
        "Scores 1–{levels} by quantiles of this base; FM = ⌊(F + M)/2⌋. Cut points: days since the last order {}; orders {}; total spend {}.",
        cuts(&b.recency_days), cuts(&b.frequency), cuts(&b.monetary)
    ));
    let customers = r.analysis.customers.len() as u64;
    let most = rfm.cells.iter().map(|c| c.customers).max().unwrap_or(0);
    let bars: Vec<Bar> = rfm
        .cells
        .iter()
        .map(|c| Bar {
            label: c.id.clone().unwrap_or_else(|| "(no cell)".into()),
            value: f64::from(c.customers),
            text: format!("{} ({})", thousands(u64::from(c.customers)), pct(u64::from(c.customers), customers, 1)),
            tone: Tone::Blue,
        })
        .collect();
    let rows: Vec<_> = rfm
        .cells
        .iter()
        .map(|c| {
            let id = c.id.clone().unwrap_or_else(|| "(no cell)".into());
            (id.clone(), id, vec![thousands(u64::from(c.customers)), money(c.revenue)])
        })
        .collect();
    let caption = "Customers per RFM cell (first matching cell of the playbook)";
    figure(page, caption, &chart::bars(caption, &bars, f64::from(most), &[]), &["Cell", "Customers", "Revenue"], &rows);
}

fn p_alive(page: &mut String, r: &Retention) {
    let a = &r.analysis;
    if a.bgnbd.params().is_none() {
        note(page, "P(alive) needs the BG/NBD model, which is not fitted (see above).");
        return;
    }
    let repeat: u32 = a.p_alive_histogram.iter().sum();
    let most = a.p_alive_histogram.iter().copied().max().unwrap_or(0);
    let label = |i: usize| format!("{}–{} %", i * 10, i * 10 + 10);
    let bars: Vec<Bar> = a
        .p_alive_histogram
        .iter()
        .enumerate()
        .map(|(i, n)| Bar {
            label: label(i),
            value: f64::from(*n),
            text: format!("{} ({})", thousands(u64::from(*n)), pct(u64::from(*n), u64::from(repeat), 1)),
            tone: if i < 5 { Tone::Orange } else { Tone::Green },
        })
        .collect();
    let rows: Vec<_> = a
        .p_alive_histogram
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("p{}", i * 10), label(i), vec![thousands(u64::from(*n))]))
        .collect();
    let caption = "Repeat buyers by the probability that they are still customers, P(alive)";
    figure(page, caption, &chart::bars(caption, &bars, f64::from(most), &[]), &["P(alive)", "Customers"], &rows);
    note(page, &format!(
        "{} one-time buyers are not in the chart: BG/NBD lets a customer drop out only after a purchase, so their P(alive) is 1; their recency and the churn alerts speak for them.",
        thousands(u64::from(a.one_time_buyers))
    ));
}

fn cohorts(page: &mut String, r: &Retention) {
    let cohorts = &r.analysis.kpis.cohorts;
    if cohorts.is_empty() {
        return;
    }
    let shown = cohorts.get(cohorts.len().saturating_sub(COHORTS)..).unwrap_or_default();
    let columns: Vec<String> = (0..OFFSETS).map(|k| format!("M{k}")).collect();
    let rows: Vec<(String, Vec<Cell>)> = shown
        .iter()
        .map(|c| {
            let cells = c.retained.iter().take(OFFSETS).map(|v| Some((*v, format!("{:.0} %", 100.0 * v)))).collect();
            (format!("{} ({})", c.month, thousands(u64::from(c.customers))), cells)
        })
        .collect();
    let caption = "Retention by cohort: share of each month's new customers who ordered again k months later (D38)";
    let svg = chart::heat(caption, &columns, &rows);
    let mut head = vec!["Cohort (customers)"];
    head.extend(columns.iter().map(String::as_str));
    let table: Vec<_> = shown
        .iter()
        .zip(&rows)
        .map(|(c, (label, _))| {
            let values = c.retained.iter().take(OFFSETS).map(|v| share(*v)).collect();
            (format!("cohort-{}", c.month), label.clone(), values)
        })
        .collect();
    figure(page, caption, &svg, &head, &table);
    note(page, "M0 is the month of the first order (always 100 %); months are UTC calendar months.");
}

fn months(page: &mut String, r: &Retention) {
    let months = &r.analysis.kpis.months;
    let shown = months.get(months.len().saturating_sub(12)..).unwrap_or_default();
    let rows: Vec<_> = shown
        .iter()
        .map(|m| {
            let returning = if m.revenue > 0.0 { share(m.returning_revenue / m.revenue) } else { "—".into() };
            let cells = vec![
                money(m.revenue),
                returning,
                thousands(u64::from(m.active_at_start)),
                thousands(u64::from(m.churned)),
                if m.active_at_start > 0 { share(m.churn_rate) } else { "—".into() },
            ];
            (format!("month-{}", m.month), m.month.clone(), cells)
        })
        .collect();
    let bars: Vec<Bar> = shown
        .iter()
        .map(|m| Bar {
            label: m.month.clone(),
            value: 100.0 * m.churn_rate,
            text: share(m.churn_rate),
            tone: Tone::Red,
        })
        .collect();
    let most = shown.iter().map(|m| 100.0 * m.churn_rate).fold(0.0, f64::max).max(1.0);
    let caption = "Churn rate by month: customers active at the month's start with no order in the activity window by its end (D42)";
    let head = ["Month", "Revenue", "From returning customers", "Active at start", "Churned", "Churn rate"];
    figure(page, caption, &chart::bars(caption, &bars, most, &[]), &head, &rows);
}

/// The win-back plan measured (D42): per month of the campaign start, lapsed customers entered (n), who returned
/// within the window, who did not, whose window is still open, the returned share of the decided and the
/// returners' revenue.
fn winback(page: &mut String, r: &Retention) {
    let w = &r.analysis.winback;
    let days = w.window.ms() / 86_400_000;
    let _ = writeln!(
        page,
        "<table>\n<caption>Win-back measured: lapsed customers a reactivation campaign started for, and who bought \
         again within {days} days (D42)</caption>\n<thead><tr><th scope=\"col\">Campaign start</th><th \
         scope=\"col\">Lapsed customers (n)</th><th scope=\"col\">Returned</th><th scope=\"col\">Not \
         returned</th><th scope=\"col\">Window still open</th><th scope=\"col\">Returned share (of \
         decided)</th><th scope=\"col\">Revenue from returners</th></tr></thead>\n<tbody>"
    );
    let row = |page: &mut String, label: &str, t: &rekindle_core::retention::winback::Tally| {
        let share_text = t.returned_share.map_or_else(|| "—".to_string(), share);
        let _ = writeln!(
            page,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(label),
            t.entered,
            t.returned,
            t.lost,
            t.open,
            esc(&share_text),
            money(t.revenue)
        );
    };
    for m in &w.months {
        row(page, &m.month, &m.tally);
    }
    row(page, "All", &w.total);
    page.push_str("</tbody>\n</table>\n");
    note(
        page,
        &format!(
            "A customer is lapsed at the campaign start (core's, as in the D12 KPIs: the latest reactivation campaign \
             of the contact) when their last order before it is at least {days} days old (active_within); they \
             returned when they ordered in the {days} days from the start, and the revenue is those orders. The \
             share counts decided starts only (returned or window over). Counted apart: {} starts of customers \
             still active, {} of contacts with no order before the start, {} after --now.",
            w.active_at_start, w.not_customers, w.after_now
        ),
    );
}

/// Alerts per owner (D41): who has how many customers to act on; the list itself is `alerts.csv`.
fn owners(page: &mut String, r: &Retention) {
    let list = &r.analysis.alert_list;
    if list.is_empty() {
        return;
    }
    let mut by_owner: std::collections::BTreeMap<&str, (u64, u64)> = std::collections::BTreeMap::new();
    for a in list {
        let slot = by_owner.entry(a.owner.as_deref().unwrap_or("unassigned")).or_default();
        slot.0 += 1;
        slot.1 += u64::from(a.stated_reason.is_some());
    }
    page.push_str(
        "<table>\n<caption>Churn alerts by owner (D41; the list with why and since when is alerts.csv)</caption>\n\
         <thead><tr><th scope=\"col\">Owner</th><th scope=\"col\">Alerts</th><th scope=\"col\">With a stated \
         churn reason (D39)</th></tr></thead>\n<tbody>\n",
    );
    for (owner, (n, stated)) in by_owner {
        let _ = writeln!(page, "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>", esc(owner), n, stated);
    }
    page.push_str("</tbody>\n</table>\n");
}
