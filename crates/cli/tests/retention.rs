//! Retention analytics in `rekindle plan` (issue 8, D36–D42) on the committed shop sample: `retention.csv` lists
//! every customer; with the e-commerce playbook's `retention` section the analysis's findings are kept on the
//! contacts, so its rfm and win-back segments hold exactly the customers retention.csv puts there; report.html
//! shows the RFM grid, P(alive) distribution and cohort heat map, and a rerun writes the same bytes.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const NOW: &str = "2026-11-26T12:00:00Z";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shop(out: &Path, playbook: &str) {
    let salt = out.with_extension("salt");
    std::fs::write(&salt, "retention-test-salt-0123456789\n").expect("salt");
    let status = Command::new(env!("CARGO_BIN_EXE_rekindle"))
        .args(["plan", "--now", NOW, "--quiet", "--out", out.to_str().expect("utf-8"), "--playbook", playbook])
        .args(["--contacts", "examples/data/shop/klaviyo-profiles.csv"])
        .args(["--webhooks", "postmark:examples/data/shop/postmark-events.ndjson"])
        .args(["--webhooks", "mailchimp:examples/data/shop/mailchimp-webhooks.txt"])
        .args(["--events", "examples/data/shop/orders.ndjson", "--default-calling-code", "44", "--salt-file"])
        .arg(&salt)
        .current_dir(repo())
        .status()
        .expect("run");
    assert_eq!(status.code(), Some(4), "the sample has rejected rows");
}

/// `retention.csv` as rows of named cells.
fn retention(out: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(out.join("retention.csv")).expect("retention.csv");
    let header: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.expect("row").iter().map(String::from)).collect()).collect()
}

fn segment(out: &Path, id: &str) -> BTreeSet<String> {
    let mut reader = csv::Reader::from_path(out.join("segments").join(format!("{id}.csv"))).expect("segment");
    reader.records().map(|r| r.expect("row")[0].to_string()).collect()
}

#[test]
fn the_analysis_kept_on_customers_decides_the_rfm_and_win_back_segments() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("shop");
    shop(&out, "examples/playbooks/ecommerce.json");
    let rows = retention(&out);
    assert!(rows.len() > 100, "the shop sample's customers: {}", rows.len());
    let cells = ["at_risk", "cant_lose", "hibernating"];
    let slipping: BTreeSet<String> =
        rows.iter().filter(|r| cells.contains(&r["rfm_cell"].as_str())).map(|r| r["id"].clone()).collect();
    let priority = |r: &std::collections::BTreeMap<String, String>| r["winback_priority"].parse::<f64>().ok();
    let win_back: BTreeSet<String> = rows
        .iter()
        .filter(|r| !r["churn_reasons"].is_empty() && priority(r).is_some_and(|p| p >= 1.0))
        .map(|r| r["id"].clone())
        .collect();
    assert!(!slipping.is_empty() && !win_back.is_empty());
    assert_eq!(segment(&out, "slipping_customers"), slipping);
    assert_eq!(segment(&out, "win_back_priority"), win_back);
    for r in &rows {
        for key in ["p_alive", "p_return", "clv", "winback_priority", "expected_order_value"] {
            assert!(r[key].is_empty() || r[key].parse::<f64>().is_ok_and(f64::is_finite), "{key} = {}", r[key]);
        }
        assert_eq!(r["churn_reasons"].is_empty(), r["churn_alert_at"].is_empty());
    }
}

#[test]
fn report_shows_the_rfm_grid_p_alive_and_cohorts_and_a_rerun_writes_the_same_bytes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    shop(&one, "examples/playbooks/ecommerce.json");
    shop(&two, "examples/playbooks/ecommerce.json");
    for file in ["report.html", "retention.csv", "plan.json"] {
        assert!(std::fs::read(one.join(file)).expect("one") == std::fs::read(two.join(file)).expect("two"), "{file}");
    }
    let html = std::fs::read_to_string(one.join("report.html")).expect("report");
    let customers = retention(&one).len();
    // The RFM grid's table: five rows R 5 … R 1 whose counts add up to the customers.
    let mut total = 0;
    for r in 1..=5 {
        let key = format!("<tr data-key=\"r-{r}\">");
        let start = html.find(&key).unwrap_or_else(|| panic!("row R {r}"));
        let row = &html[start..start + html[start..].find("</tr>").expect("end")];
        total += row
            .split("<td>")
            .skip(1)
            .map(|c| c.split("</td>").next().expect("cell").parse::<usize>().expect("n"))
            .sum::<usize>();
    }
    // retention.csv leaves erased customers out; the grid counts them (aggregates only).
    assert!(total >= customers, "the grid counts every customer ({total} vs {customers})");
    for caption in
        ["Customers by recency score", "Repeat buyers by the probability", "Retention by cohort", "Churn rate by month"]
    {
        assert!(html.contains(caption), "{caption}");
    }
    assert!(html.contains("data-key=\"cohort-2026-01\""));
    assert!(!html.contains("<script"), "still a static page");
}

#[test]
fn without_a_retention_section_the_analysis_is_reported_but_not_kept_on_contacts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("shop");
    // The e-commerce playbook without its retention section (cut as text: a condition's first key is its kind).
    let text = std::fs::read_to_string(repo().join("examples/playbooks/ecommerce.json")).expect("playbook");
    let start = text.find("  \"retention\": {").expect("a retention section");
    let end = start + text[start..].find("\n  },\n").expect("its end") + "\n  },\n".len();
    let path = tmp.path().join("no-retention.json");
    std::fs::write(&path, format!("{}{}", &text[..start], &text[end..])).expect("write");
    shop(&out, path.to_str().expect("utf-8"));
    assert!(!retention(&out).is_empty());
    assert!(segment(&out, "slipping_customers").is_empty(), "rfm cells are unknown on every contact");
    assert!(segment(&out, "win_back_priority").is_empty());
}
