//! Funnel progress in `report.html` and the summary (D26: MQL→SQL rate, time to first contact; D19: the SQL
//! handoff's SLA due time), through the real binary: on the b2b sample against its own `handoff.csv`, and on a
//! small hand-built input where every number below was worked out by hand from the events.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/plan_cli.rs"]
mod support;

use std::path::Path;

use serde_json::{json, Value};
use support::{assert_row, json, rekindle, stderr, summary_rows, NOW};

const NOW_MS: i64 = 1_795_694_400_000;
const DAY_MS: i64 = 86_400_000;
const WINDOWS: [i64; 3] = [30, 90, 180];

/// The data cells of the table row `data-key="<key>"`.
fn row(html: &str, key: &str) -> Vec<String> {
    let start = html.find(&format!("<tr data-key=\"{key}\">")).unwrap_or_else(|| panic!("no row {key}"));
    let end = start + html[start..].find("</tr>").expect("row end");
    html[start..end].split("<td>").skip(1).map(|c| c.split("</td>").next().expect("cell").to_string()).collect()
}

/// Runs `rekindle plan` with `--format json`; returns the summary's `funnelProgress` and `report.html`.
fn plan(args: &[&str], out: &Path) -> (Value, String) {
    let mut all = vec!["plan", "--now", NOW, "--quiet", "--format", "json", "--out", out.to_str().expect("utf-8")];
    all.extend(args);
    let run = rekindle(&all);
    assert!(matches!(run.status.code(), Some(0 | 4)), "{}", stderr(&run));
    let summary: Value = serde_json::from_slice(&run.stdout).expect("summary json");
    let manifest = json(&out.join("manifest.json"));
    assert_eq!(manifest["funnelProgress"], summary["funnelProgress"], "the manifest carries the same figures");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    let funnel = summary["funnelProgress"].clone();
    // The same run with `--format csv`: every figure again, one `funnel.<days>d.…` row each.
    let csv_out = out.with_extension("csv-out");
    let mut all = vec!["plan", "--now", NOW, "--quiet", "--format", "csv", "--out", csv_out.to_str().expect("utf-8")];
    all.extend(args);
    let run = rekindle(&all);
    assert!(matches!(run.status.code(), Some(0 | 4)), "{}", stderr(&run));
    let rows = summary_rows(&run.stdout);
    assert_row(&rows, "funnel.min_cohort", &funnel["minCohort"]);
    assert_row(&rows, "funnel.leads_without_created_at", &funnel["leadsWithoutCreatedAt"]);
    for w in funnel["windows"].as_array().expect("windows") {
        let key = |figure: String| format!("funnel.{}d.{figure}", w["days"]);
        for r in w["reached"].as_array().expect("reached") {
            assert_row(&rows, &key(format!("reached.{}", r["stage"].as_str().expect("stage"))), &r["contacts"]);
        }
        let pair = |c: &Value| format!("{}_to_{}", c["from"].as_str().expect("from"), c["to"].as_str().expect("to"));
        for c in w["conversions"].as_array().expect("conversions") {
            for (field, k) in
                [("cohort", "cohort"), ("converted", "converted"), ("rate", "rate"), ("tooFew", "too_few")]
            {
                assert_row(&rows, &key(format!("conversion.{}.{k}", pair(c))), &c[field]);
            }
        }
        for t in w["times"].as_array().expect("times") {
            for (field, k) in [("n", "n"), ("medianMs", "median_ms"), ("tooFew", "too_few")] {
                assert_row(&rows, &key(format!("time.{}.{k}", pair(t))), &t[field]);
            }
        }
        let h = &w["handoff"];
        for (field, k) in [
            ("handedOff", "handed_off"),
            ("duePassed", "due_passed"),
            ("dueAhead", "due_ahead"),
            ("medianDueMs", "median_due_ms"),
        ] {
            assert_row(&rows, &key(format!("handoff.{k}")), &h[field]);
        }
    }
    (funnel, html)
}

fn reached(f: &Value, w: usize) -> Vec<i64> {
    f["windows"][w]["reached"].as_array().expect("reached").iter().map(|r| r["contacts"].as_i64().expect("n")).collect()
}

fn conversions(f: &Value, w: usize) -> Vec<(i64, i64)> {
    let list = f["windows"][w]["conversions"].as_array().expect("conversions");
    list.iter().map(|c| (c["converted"].as_i64().expect("converted"), c["cohort"].as_i64().expect("cohort"))).collect()
}

fn medians(f: &Value, w: usize) -> Vec<(i64, Option<i64>)> {
    let list = f["windows"][w]["times"].as_array().expect("times");
    list.iter().map(|t| (t["n"].as_i64().expect("n"), t["medianMs"].as_i64())).collect()
}

fn handoff(f: &Value, w: usize) -> [i64; 3] {
    let h = &f["windows"][w]["handoff"];
    ["handedOff", "duePassed", "dueAhead"].map(|k| h[k].as_i64().expect("count"))
}

/// A playbook whose stages are set by single events: a `/pricing` view makes an MQL, a `demo` form an SQL (D16's
/// direct request); handoff in UTC business hours, 15 min SLA, 2 h at most (D19).
fn hand_playbook(dir: &Path) -> String {
    let pb = json!({
        "version": 1,
        "signals": {
            "pricing": { "kind": "page_view", "match": { "path": "/pricing" } },
            "demo": { "kind": "form_submit", "match": { "form": "demo" } }
        },
        "stages": {
            "mql": { "direct": [ { "signal": "pricing", "within": "30d" } ] },
            "sql": { "direct": [ { "signal": "demo", "within": "7d" } ] }
        },
        "handoff": { "business_hours": "09:00-17:00", "days": "mon-fri", "sla": "15min", "max": "2h", "timezone": "UTC" }
    });
    support::write(dir, "playbook.json", &pb.to_string())
}

fn event(contact: &str, at: &str, kind: &str, props: Value) -> String {
    json!({ "contact": contact, "at": at, "kind": kind, "props": props }).to_string()
}

#[test]
fn d26_funnel_progress_on_a_hand_built_input_counts_cohorts_medians_and_d19_due_times() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let playbook = hand_playbook(tmp.path());
    // --now is Thursday 2026-11-26 12:00 UTC. Windows: 30 d from 2026-10-27 12:00, 90 d from 2026-08-28 12:00,
    // 180 d from 2026-05-30 12:00 (all exclusive).
    let contacts = support::write(
        tmp.path(),
        "contacts.csv",
        "id,email,created_at\n\
         a1,a1@example.test,2026-11-20T10:00:00Z\n\
         a2,a2@example.test,2026-11-01T12:00:00Z\n\
         a3,a3@example.test,2026-10-01T00:00:00Z\n\
         a4,a4@example.test,2026-07-01T00:00:00Z\n\
         a5,a5@example.test,2025-01-01T00:00:00Z\n\
         a6,a6@example.test,\n\
         a7,a7@example.test,2026-11-15T00:00:00Z\n",
    );
    let pricing = || json!({ "path": "/pricing" });
    let demo = || json!({ "form": "demo" });
    let events = [
        // a1: lead 11-20 10:00 → MQL 11-21 10:00 (1 d) → SQL Monday 11-23 10:00 (2 d; due 10:15, passed) →
        // opportunity 11-24 → customer 11-25.
        event("a1", "2026-11-21T10:00:00Z", "page_view", pricing()),
        event("a1", "2026-11-23T10:00:00Z", "form_submit", demo()),
        event("a1", "2026-11-24T10:00:00Z", "sales_status", json!({ "status": "open" })),
        event("a1", "2026-11-25T10:00:00Z", "purchase", json!({ "value": 100, "currency": "EUR" })),
        // a2: lead 11-01 12:00 → MQL 11-04 12:00 (3 d); no SQL.
        event("a2", "2026-11-04T12:00:00Z", "page_view", pricing()),
        // a3: lead 10-01 → MQL 10-02 (1 d) → SQL Thursday 11-26 11:00 (55 d 11 h; due 11:15, passed at 12:00).
        event("a3", "2026-10-02T00:00:00Z", "page_view", pricing()),
        event("a3", "2026-11-26T11:00:00Z", "form_submit", demo()),
        // a4: lead 07-01, nothing since. a5: lead in 2025; demo 11:50 → MQL and SQL at once (0), due 12:05: ahead.
        event("a5", "2026-11-26T11:50:00Z", "form_submit", demo()),
        // a6: no created_at (in no lead cohort); MQL 11-10.
        event("a6", "2026-11-10T00:00:00Z", "page_view", pricing()),
        // a7: MQL 11-10, five days before its created_at 11-15: a converted lead, left out of the median.
        event("a7", "2026-11-10T00:00:00Z", "page_view", pricing()),
    ];
    let events = support::write(tmp.path(), "events.ndjson", &(events.join("\n") + "\n"));
    let out = tmp.path().join("out");
    let (f, html) = plan(&["--playbook", &playbook, "--contacts", &contacts, "--events", &events], &out);

    assert_eq!(f["minCohort"], 30);
    assert_eq!(f["leadsWithoutCreatedAt"], 1, "a6");
    let days: Vec<i64> =
        f["windows"].as_array().expect("windows").iter().map(|w| w["days"].as_i64().expect("days")).collect();
    assert_eq!(days, WINDOWS);
    // Reached in the window: lead, MQL, SQL, opportunity, customer.
    assert_eq!(reached(&f, 0), [3, 5, 3, 1, 1], "30 d: leads a1 a2 a7; MQLs a1 a2 a5 a6 a7; SQLs a1 a3 a5");
    assert_eq!(reached(&f, 1), [4, 6, 3, 1, 1], "90 d adds a3's lead and MQL");
    assert_eq!(reached(&f, 2), [5, 6, 3, 1, 1], "180 d adds a4's lead");
    // Cohort conversions (converted, n): lead→MQL, MQL→SQL, SQL→opportunity, opportunity→customer.
    assert_eq!(conversions(&f, 0), [(3, 3), (2, 5), (1, 3), (1, 1)]);
    assert_eq!(conversions(&f, 1), [(4, 4), (3, 6), (1, 3), (1, 1)]);
    assert_eq!(conversions(&f, 2), [(4, 5), (3, 6), (1, 3), (1, 1)]);
    assert_eq!(f["windows"][0]["conversions"][1]["rate"], 0.4);
    assert_eq!(f["windows"][2]["conversions"][0]["rate"], 0.8);
    // Medians (n, ms): lead→MQL 30 d over a1 1 d and a2 3 d = 2 d; MQL→SQL 30 d over a1 2 d and a5 0 = 1 d.
    assert_eq!(medians(&f, 0), [(2, Some(2 * DAY_MS)), (2, Some(DAY_MS))]);
    // 90 and 180 d: lead→MQL over 1 d, 3 d, 1 d = 1 d; MQL→SQL over 2 d, 0, 55 d 11 h = 2 d.
    assert_eq!(medians(&f, 1), [(3, Some(DAY_MS)), (3, Some(2 * DAY_MS))]);
    assert_eq!(medians(&f, 2), medians(&f, 1));
    // D19: SQL handoffs a1, a3, a5 in every window; due passed a1, a3; a5's 12:05 still ahead; each due 15 min on.
    for w in 0..3 {
        assert_eq!(handoff(&f, w), [3, 2, 1], "window {w}");
        assert_eq!(f["windows"][w]["handoff"]["medianDueMs"], 15 * 60_000);
        assert!(f["windows"][w]["conversions"].as_array().expect("list").iter().all(|c| c["tooFew"] == true));
    }

    // The page shows the same numbers, with n and the small-sample mark beside each rate.
    assert_eq!(row(&html, "reached-lead"), ["3", "4", "5"]);
    assert_eq!(row(&html, "reached-mql"), ["5", "6", "6"]);
    assert_eq!(
        row(&html, "conversion-mql-sql"),
        [
            "40.0 % (2 of n = 5) · too few to compare",
            "50.0 % (3 of n = 6) · too few to compare",
            "50.0 % (3 of n = 6) · too few to compare"
        ]
    );
    assert_eq!(row(&html, "conversion-lead-mql")[2], "80.0 % (4 of n = 5) · too few to compare");
    assert_eq!(
        row(&html, "time-lead-mql"),
        [
            "2.0 d (n = 2) · too few to compare",
            "1.0 d (n = 3) · too few to compare",
            "1.0 d (n = 3) · too few to compare"
        ]
    );
    assert_eq!(row(&html, "handoff-due-passed"), ["2 (66.7 %)", "2 (66.7 %)", "2 (66.7 %)"]);
    assert_eq!(row(&html, "handoff-due-ahead"), ["1", "1", "1"]);
    assert_eq!(row(&html, "handoff-median-due"), ["15 min", "15 min", "15 min"]);
    let section = &html[html.find("id=\"funnel-progress\"").expect("section")..];
    let section = &section[..section.find("</section>").expect("section end")];
    assert!(section.contains("<figure>") && section.contains("<figcaption>"), "the chart has its table");
    assert!(
        section.contains("Recent cohorts are immature") && section.contains("No input event records a sales touch")
    );
    assert!(!section.contains("a1@example.test") && !section.contains("<script"), "aggregates only");
}

#[test]
fn d26_a_cohort_of_30_is_compared_and_one_of_29_is_too_few() {
    for (leads, qualified, mark) in [(30, 12, ""), (29, 12, " · too few to compare")] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let playbook = hand_playbook(tmp.path());
        let mut rows = String::from("id,email,created_at\n");
        let mut events = Vec::new();
        for i in 0..leads {
            rows.push_str(&format!("l{i},l{i}@example.test,2026-11-01T00:00:00Z\n"));
            if i < qualified {
                events.push(event(
                    &format!("l{i}"),
                    "2026-11-04T00:00:00Z",
                    "page_view",
                    json!({ "path": "/pricing" }),
                ));
            }
        }
        let contacts = support::write(tmp.path(), "contacts.csv", &rows);
        let events = support::write(tmp.path(), "events.ndjson", &(events.join("\n") + "\n"));
        let out = tmp.path().join("out");
        let (f, html) = plan(&["--playbook", &playbook, "--contacts", &contacts, "--events", &events], &out);
        let c = &f["windows"][0]["conversions"][0];
        assert_eq!((c["cohort"].as_i64(), c["converted"].as_i64()), (Some(leads), Some(qualified)));
        assert_eq!(c["tooFew"], leads < 30);
        let t = &f["windows"][0]["times"][0];
        assert_eq!((t["n"].as_i64(), t["medianMs"].as_i64()), (Some(qualified), Some(3 * DAY_MS)));
        let rate = format!("{:.1} %", 100.0 * qualified as f64 / leads as f64);
        assert_eq!(row(&html, "conversion-lead-mql")[0], format!("{rate} ({qualified} of n = {leads}){mark}"));
    }
}

#[test]
fn d26_d19_b2b_sample_handoffs_match_handoff_csv_and_the_page_matches_the_summary() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("b2b");
    let args = [
        "--playbook",
        support::SAAS,
        "--contacts",
        "examples/data/b2b/hubspot-contacts.csv",
        "--webhooks",
        "sendgrid:examples/data/b2b/sendgrid-events.ndjson",
        "--webhooks",
        "mailgun:examples/data/b2b/mailgun-events.ndjson",
        "--events",
        "examples/data/b2b/site-events.ndjson",
        "--default-calling-code",
        "1",
    ];
    let (f, html) = plan(&args, &out);
    // handoff.csv lists every SQL's sqlAt and dueAt (D19): the windows' handoffs are counted from it here.
    let csv = std::fs::read_to_string(out.join("handoff.csv")).expect("handoff.csv");
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().expect("header").split(',').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).expect("column");
    let (sql_col, due_col) = (col("sql_at"), col("due_at"));
    let ms = chrono_free_ms;
    let pairs: Vec<(i64, i64)> = lines
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (ms(cells[sql_col]), ms(cells[due_col]))
        })
        .collect();
    assert!(!pairs.is_empty(), "the sample has SQLs");
    for (w, days) in WINDOWS.iter().enumerate() {
        let inside: Vec<_> = pairs.iter().filter(|(s, _)| NOW_MS - s >= 0 && NOW_MS - s < days * DAY_MS).collect();
        let passed = inside.iter().filter(|(_, d)| NOW_MS >= *d).count() as i64;
        assert_eq!(handoff(&f, w), [inside.len() as i64, passed, inside.len() as i64 - passed], "{days} d");
        // SQLs reached in the window are at least the handoffs in it (a recycled SQL has no packet).
        assert!(reached(&f, w)[2] >= inside.len() as i64);
        for (i, (converted, cohort)) in conversions(&f, w).into_iter().enumerate() {
            assert!(converted <= cohort);
            let c = &f["windows"][w]["conversions"][i];
            assert_eq!(c["tooFew"], cohort < 30, "D26: small samples are marked");
        }
    }
    // Windows nest: a longer window holds at least what a shorter one does.
    for s in 0..5 {
        assert!(reached(&f, 0)[s] <= reached(&f, 1)[s] && reached(&f, 1)[s] <= reached(&f, 2)[s]);
    }
    // The page's table holds the summary's numbers.
    for (s, key) in ["lead", "mql", "sql", "opportunity", "customer"].iter().enumerate() {
        let cells: Vec<i64> =
            row(&html, &format!("reached-{key}")).iter().map(|c| c.replace(',', "").parse().expect("n")).collect();
        assert_eq!(cells, (0..3).map(|w| reached(&f, w)[s]).collect::<Vec<_>>(), "{key}");
    }
    let sqls = row(&html, "handoff-sqls");
    assert_eq!(sqls, (0..3).map(|w| handoff(&f, w)[0].to_string()).collect::<Vec<_>>());
}

/// `2026-11-23T15:00:00Z` (or with `.123`) as epoch ms, by the civil-from-days arithmetic (no date crate here).
fn chrono_free_ms(s: &str) -> i64 {
    let n = |a: usize, b: usize| s[a..b].parse::<i64>().expect("digits");
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let (hh, mm, ss) = (n(11, 13), n(14, 16), n(17, 19));
    let milli = if s.as_bytes().get(19) == Some(&b'.') { n(20, 23) } else { 0 };
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    ((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + milli
}
