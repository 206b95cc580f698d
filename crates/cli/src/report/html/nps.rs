//! The report's "NPS and referrals" section (D38, D42): per month, the NPS with its promoters, passives,
//! detractors and n — a month under core's minimum marked *too few to compare*, as the funnel's small cohorts are
//! — and the referrals made with the share of the month's new customers a referral named. Tables only, the same
//! figures as `nps` and `referrals` in the summary and `manifest.json`; core computes every one
//! ([`crate::plan::nps`] reads the events). With `--previous`, a table beside them compares each month's NPS
//! with the figure the previous plan published (`npsChange`, [`crate::report::nps_change`]).

use std::fmt::Write;

use rekindle_core::retention::nps::{Nps, Referrals, MIN_ANSWERS};

use super::super::chart::esc;
use super::{note, table_rows};
use crate::plan::nps::Voice;
use crate::plan::thousands;
use crate::report::nps_change::NpsChange;
use rekindle_core::retention::nps::NpsFigures;

/// An NPS as the page shows it: signed, one decimal (`+33.3`, `0`, `-50.0`).
fn score(nps: f64) -> String {
    if nps == 0.0 {
        "0".into()
    } else {
        format!("{nps:+.1}")
    }
}

/// Opens a table with its caption; [`table_rows`] writes the head and rows and closes it.
fn table(page: &mut String, caption: &str, head: &[&str], rows: &[(String, String, Vec<String>)]) {
    let _ = write!(page, "<table>\n<caption>{}</caption>\n<thead><tr>", esc(caption));
    table_rows(page, head, rows);
}

/// Writes the section; `change` is the comparison with the `--previous` plan, if any.
pub(super) fn section(page: &mut String, voice: &Voice, change: Option<&NpsChange>) {
    page.push_str("<section aria-labelledby=\"nps\">\n<h2 id=\"nps\">NPS and referrals</h2>\n");
    nps(page, &voice.nps);
    if let Some(change) = change {
        since_previous(page, change);
    }
    referrals(page, &voice.referrals);
    page.push_str("</section>\n");
}

/// The previous plan's NPS beside this one's, month by month, then each plan's latest month.
fn since_previous(page: &mut String, change: &NpsChange) {
    let when = crate::report::rfc3339(change.previous_now);
    if !change.previous_known {
        note(page, &format!("The previous plan ({when}) published no NPS figures (written before they existed): nothing to compare."));
        return;
    }
    let side = |f: Option<&NpsFigures>| {
        f.map_or_else(|| "—".to_string(), |f| format!("{} (n = {})", score(f.nps), thousands(u64::from(f.answers))))
    };
    let mut rows: Vec<_> = change
        .months
        .iter()
        .map(|m| {
            let few = [&m.previous, &m.current].iter().any(|f| f.as_ref().is_some_and(|f| f.low_sample));
            let delta = m.change.map_or_else(
                || "—".to_string(),
                |c| format!("{}{}", score(c), if few { " · too few to compare" } else { "" }),
            );
            let cells = vec![side(m.previous.as_ref()), side(m.current.as_ref()), delta];
            (format!("nps-change-{}", m.month), m.month.clone(), cells)
        })
        .collect();
    if let Some(l) = &change.latest {
        let few = if l.low_sample == Some(true) { " · too few to compare" } else { "" };
        let cells = vec![
            format!("{} ({})", score(l.previous), l.previous_month),
            format!("{} ({})", score(l.current), l.current_month),
            format!("{}{few}", score(l.change)),
        ];
        rows.push(("nps-change-latest".into(), "Latest month of each plan".into(), cells));
    }
    let head = ["Month", &format!("Previous plan ({when})"), "This plan", "Change (points)"];
    table(page, "NPS against the previous plan (--previous)", &head, &rows);
    note(
        page,
        "Each plan's figures are from its own run's events: a month both plans show changes when answers \
         arrived after the previous plan or its logs have rolled over since. The change is in NPS points.",
    );
}

fn nps(page: &mut String, k: &Nps) {
    if k.months.is_empty() {
        note(
            page,
            &format!(
                "No NPS answer in the last 24 months of the events: an answer is a custom:nps event on the contact \
                 who answered, props.score a whole number from 0 to 10{}.",
                if k.outside > 0 {
                    format!(" ({} answers fall outside those months)", thousands(u64::from(k.outside)))
                } else {
                    String::new()
                }
            ),
        );
        return;
    }
    let rows: Vec<_> = k
        .months
        .iter()
        .map(|m| {
            let few = if m.figures.low_sample { " · too few to compare" } else { "" };
            let cells = vec![
                thousands(u64::from(m.figures.answers)),
                thousands(u64::from(m.figures.promoters)),
                thousands(u64::from(m.figures.passives)),
                thousands(u64::from(m.figures.detractors)),
                format!("{}{few}", score(m.figures.nps)),
            ];
            (format!("nps-{}", m.month), m.month.clone(), cells)
        })
        .collect();
    let head = ["Month", "Answers (n)", "Promoters (9–10)", "Passives (7–8)", "Detractors (0–6)", "NPS"];
    table(page, "NPS by month: each contact's latest answer of the month (D42)", &head, &rows);
    note(
        page,
        &format!(
            "NPS = % promoters − % detractors, from −100 to +100. A month with fewer than {MIN_ANSWERS} answers is \
             too few to compare: a hint, not a result. Answers replaced by the same contact's later answer in the \
             month: {}; outside the last 24 months: {}. Months are UTC calendar months.",
            thousands(u64::from(k.superseded)),
            thousands(u64::from(k.outside))
        ),
    );
}

fn referrals(page: &mut String, k: &Referrals) {
    if k.months.is_empty() {
        note(
            page,
            "No referral in the events: a referral is a custom:referral event on the referring contact, \
             props.referred the new contact's email or id when known.",
        );
        return;
    }
    let rows: Vec<_> = k
        .months
        .iter()
        .map(|m| {
            let share = m.figures.referred_share.map_or_else(|| "—".to_string(), |s| format!("{:.1} %", 100.0 * s));
            let cells = vec![
                thousands(u64::from(m.figures.referrals)),
                thousands(u64::from(m.figures.new_customers)),
                thousands(u64::from(m.figures.referred)),
                share,
            ];
            (format!("referrals-{}", m.month), m.month.clone(), cells)
        })
        .collect();
    let head = ["Month", "Referrals made", "New customers (first order)", "Referred", "Referred share"];
    table(page, "Referrals by month, and the new customers a referral named (D38)", &head, &rows);
    note(
        page,
        &format!(
            "A new customer is referred when some referral's props.referred names their contact at or before \
             their first order (from any month, by anyone); the share is of the month's new customers. Referrals \
             outside the last 24 months: {}.",
            thousands(u64::from(k.outside))
        ),
    );
}
