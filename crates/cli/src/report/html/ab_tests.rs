//! The report's "A/B tests" section (D26): per test, the variants' primary rate as bars with the table of every
//! count and rate, and the verdict — a winner only past the minimum sample and at 95 % confidence; opens shown,
//! never deciding ([`crate::report::ab_tests`] counts and decides).

use std::fmt::Write;

use super::{figure, note, pct};
use crate::plan::thousands;
use crate::report::ab_tests::{AbTest, CONVERSION_WINDOW_DAYS};
use crate::report::chart::{self, esc, Bar, Tone};

fn verdict(t: &AbTest) -> String {
    let p = t.p_value.map_or(String::new(), |p| format!("p = {}", p_text(p)));
    let what = if t.metric == "conversion_rate" { "conversion rate" } else { "click rate" };
    match (t.verdict, &t.winner) {
        ("winner", Some(w)) => format!(
            "Winner: variant {w} — its {what} per delivered is higher at 95 % confidence ({p}, confidence {:.1} %).",
            100.0 * t.confidence.unwrap_or(0.0)
        ),
        ("no_difference", _) => {
            format!("No winner: the difference in {what} per delivered is not significant at 95 % ({p}).")
        }
        _ if t.variants.len() < 2 => "No verdict: only one variant was sent.".into(),
        _ => format!(
            "No verdict: insufficient sample — every variant needs at least {} sends (--ab-min-sends), whatever the difference.",
            thousands(t.min_sends)
        ),
    }
}

fn p_text(p: f64) -> String {
    if p < 0.0001 {
        "< 0.0001".into()
    } else {
        format!("{p:.4}")
    }
}

/// Writes the section.
pub(super) fn section(page: &mut String, tests: &[AbTest]) {
    page.push_str("<section aria-labelledby=\"ab-tests\">\n<h2 id=\"ab-tests\">A/B tests</h2>\n");
    if tests.is_empty() {
        note(page, "No A/B test in the events: a test is email_sent events carrying a variant (props.variant) and a test id (props.ab_test, else campaign, else sequence and step).");
        page.push_str("</section>\n");
        return;
    }
    for t in tests {
        let conversions = t.metric == "conversion_rate";
        let (rate_of, label) = if conversions {
            ((|v: &crate::report::ab_tests::Variant| v.conversions) as fn(&_) -> u64, "Conversions per delivered")
        } else {
            ((|v: &crate::report::ab_tests::Variant| v.clicks) as fn(&_) -> u64, "Unique clicks per delivered")
        };
        let rate = |v: &crate::report::ab_tests::Variant| {
            if v.deliveries == 0 {
                0.0
            } else {
                100.0 * rate_of(v) as f64 / v.deliveries as f64
            }
        };
        let max = t.variants.iter().map(rate).fold(0.0_f64, f64::max).max(1.0) * 1.2;
        let bars: Vec<Bar> = t
            .variants
            .iter()
            .map(|v| Bar {
                label: format!("Variant {}", v.variant),
                value: rate(v),
                text: format!(
                    "{} ({} of {})",
                    pct(rate_of(v), v.deliveries, 1),
                    thousands(rate_of(v)),
                    thousands(v.deliveries)
                ),
                tone: if t.winner.as_deref() == Some(v.variant.as_str()) { Tone::Green } else { Tone::Blue },
            })
            .collect();
        let rows: Vec<_> = t
            .variants
            .iter()
            .map(|v| {
                let cell = |n: u64| format!("{} ({})", thousands(n), pct(n, v.deliveries, 1));
                let cells = vec![
                    thousands(v.sends),
                    thousands(v.deliveries),
                    cell(v.clicks),
                    cell(v.replies),
                    cell(v.conversions),
                    cell(v.opens),
                ];
                (format!("ab:{}:{}:{}", t.id_from, t.id, v.variant), format!("Variant {}", v.variant), cells)
            })
            .collect();
        let caption = format!(
            "Test {} ({}): {label}",
            t.id,
            if t.id_from == "sequence_step" { "sequence + step" } else { t.id_from }
        );
        let head = ["Variant", "Sends", "Delivered", "Unique clicks", "Replies", "Conversions", "Opens (never decide)"];
        figure(page, &caption, &chart::bars(&caption, &bars, max, &[]), &head, &rows);
        let class = match t.verdict {
            "winner" => "status-ok",
            "no_difference" => "note",
            _ => "status-warn",
        };
        let _ = writeln!(
            page,
            "<p data-verdict=\"{}\">Verdict: <strong class=\"{class}\">{}</strong></p>",
            esc(t.verdict),
            esc(&verdict(t))
        );
        if t.excluded_contacts > 0 {
            note(
                page,
                &format!(
                    "{} contact(s) were sent more than one variant of this test and are left out of it.",
                    thousands(t.excluded_contacts)
                ),
            );
        }
    }
    note(page, &format!("Sends are contacts sent the variant (each once); delivered is sends minus bounces; clicks, replies and opens are unique contacts, counted when the event carries the test's ab_test, campaign or sequence and step and comes at or after the contact's first send (machine opens and scanner clicks never count, D2). A conversion is a purchase, a return to active or reaching MQL, SQL, opportunity or customer within {CONVERSION_WINDOW_DAYS} days of the first send (D12). The primary rate is conversions per delivered when any variant converted, else unique clicks per delivered; opens never decide. The verdict compares the leading variant with every other by a two-sided two-proportion z-test at 95 % (Bonferroni-adjusted with more than two variants), and only when every variant reached the minimum sends."));
    page.push_str("</section>\n");
}
