//! A/B tests in `report.html`, the summary and `manifest.json` (D26: "A/B tests need a minimum sample"), through
//! the real binary on NDJSON events built here: a winner past the minimum sample, no verdict under it whatever the
//! difference, no difference on equal rates, opens that never decide, conversions that outrank clicks, tests
//! keyed by campaign and by sequence + step, and a SendGrid A/B click joined to the send log by its campaign.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/plan_cli.rs"]
mod support;

use std::path::Path;

use serde_json::{json, Value};
use support::{assert_row, json, rekindle, stderr, summary_rows, write, NOW};

const SENT: &str = "2026-11-10T09:00:00Z";
const AFTER: &str = "2026-11-10T10:00:00Z";
const BEFORE: &str = "2026-11-09T10:00:00Z";

fn event(contact: &str, at: &str, kind: &str, props: Value) -> String {
    json!({ "contact": contact, "at": at, "kind": kind, "props": props }).to_string()
}

/// One variant of a test: `sends` contacts (`<test>-<variant>-<n>@example.test`) sent it; the first `clicks`
/// clicked, the first `opens` opened, the first `buys` bought, the last `bounces` bounced. Every event carries
/// `props` (the test's keys); the send also its variant.
struct Arm<'a> {
    test: &'a str,
    variant: &'a str,
    props: Value,
    sends: usize,
    clicks: usize,
    opens: usize,
    buys: usize,
    bounces: usize,
}

impl Arm<'_> {
    fn email(&self, n: usize) -> String {
        format!("{}-{}-{n}@example.test", self.test, self.variant).to_lowercase()
    }

    fn write(&self, contacts: &mut Vec<String>, events: &mut Vec<String>) {
        let mut sent = self.props.clone();
        sent["variant"] = json!(self.variant);
        for n in 0..self.sends {
            let who = self.email(n);
            contacts.push(who.clone());
            events.push(event(&who, SENT, "email_sent", sent.clone()));
            if n < self.clicks {
                events.push(event(&who, AFTER, "email_click", self.props.clone()));
            }
            if n < self.opens {
                events.push(event(&who, AFTER, "email_open", self.props.clone()));
            }
            if n < self.buys {
                events.push(event(&who, AFTER, "purchase", json!({ "value": 40, "currency": "EUR" })));
            }
            if n >= self.sends - self.bounces {
                let mut bounce = self.props.clone();
                bounce["type"] = json!("hard");
                events.push(event(&who, AFTER, "email_bounce", bounce));
            }
        }
    }
}

fn arm<'a>(test: &'a str, variant: &'a str, sends: usize, clicks: usize, opens: usize) -> Arm<'a> {
    let props = json!({ "ab_test": test });
    Arm { test, variant, props, sends, clicks, opens, buys: 0, bounces: 0 }
}

/// Runs `rekindle plan` on `arms` (plus `extra_events`) with a playbook that has no stages, so nothing converts
/// but the purchases; returns the summary's `abTests` and `report.html`.
fn run(dir: &Path, arms: &[Arm<'_>], extra_events: &[String], args: &[&str]) -> (Vec<Value>, String) {
    let (mut contacts, mut events) = (Vec::new(), extra_events.to_vec());
    for a in arms {
        a.write(&mut contacts, &mut events);
    }
    let playbook = write(dir, "playbook.json", &json!({ "version": 1, "signals": {} }).to_string());
    let contacts = write(dir, "contacts.csv", &format!("email\n{}\n", contacts.join("\n")));
    let events = write(dir, "events.ndjson", &(events.join("\n") + "\n"));
    // Planned twice, the summary printed `--format json` then `--format csv`.
    let planned = |format: &str, out: &str| {
        let mut all = vec!["plan", "--playbook", &playbook, "--contacts", &contacts, "--events", &events];
        all.extend(["--now", NOW, "--quiet", "--format", format, "--out", out]);
        all.extend(args);
        let ran = rekindle(&all);
        assert_eq!(ran.status.code(), Some(0), "{}", stderr(&ran));
        ran
    };
    let out = dir.join("out");
    let out = out.to_str().expect("utf-8");
    let ran = planned("json", out);
    let summary: Value = serde_json::from_slice(&ran.stdout).expect("summary json");
    let manifest = json(&Path::new(out).join("manifest.json"));
    assert_eq!(manifest["abTests"], summary["abTests"], "the manifest carries the same figures");
    let html = std::fs::read_to_string(Path::new(out).join("report.html")).expect("report.html");
    let tests = summary["abTests"].as_array().expect("abTests").clone();
    // The same run with `--format csv`: every figure again, one `ab_test.<id>.…` row each.
    let rows = summary_rows(&planned("csv", dir.join("out-csv").to_str().expect("utf-8")).stdout);
    for t in &tests {
        let id = t["id"].as_str().expect("id");
        for (field, key) in [
            ("idFrom", "id_from"),
            ("metric", "metric"),
            ("verdict", "verdict"),
            ("pValue", "p_value"),
            ("confidence", "confidence"),
            ("minSends", "min_sends"),
            ("excludedContacts", "excluded_contacts"),
        ] {
            assert_row(&rows, &format!("ab_test.{id}.{key}"), &t[field]);
        }
        let winner = t["winner"].as_str().map_or(Value::String(String::new()), |w| json!(w));
        assert_row(&rows, &format!("ab_test.{id}.winner"), &winner);
        for v in t["variants"].as_array().expect("variants") {
            let name = v["variant"].as_str().expect("variant");
            for (field, key) in [
                ("sends", "sends"),
                ("deliveries", "deliveries"),
                ("opens", "opens"),
                ("clicks", "clicks"),
                ("replies", "replies"),
                ("conversions", "conversions"),
                ("openRate", "open_rate"),
                ("clickRate", "click_rate"),
                ("replyRate", "reply_rate"),
                ("conversionRate", "conversion_rate"),
            ] {
                assert_row(&rows, &format!("ab_test.{id}.variant.{name}.{key}"), &v[field]);
            }
        }
    }
    (tests, html)
}

fn test<'a>(tests: &'a [Value], id: &str) -> &'a Value {
    tests.iter().find(|t| t["id"] == id).unwrap_or_else(|| panic!("no test {id} in {tests:?}"))
}

/// `(variant, sends, deliveries, clicks, opens, conversions)` of each variant.
fn counts(t: &Value) -> Vec<(String, u64, u64, u64, u64, u64)> {
    let n = |v: &Value, k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"));
    t["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| {
            let name = v["variant"].as_str().expect("variant").to_string();
            (name, n(v, "sends"), n(v, "deliveries"), n(v, "clicks"), n(v, "opens"), n(v, "conversions"))
        })
        .collect()
}

/// The verdict paragraph of a test's figure in report.html.
fn verdict_html<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("Test {id} (")).unwrap_or_else(|| panic!("no figure for {id}"));
    let rest = &html[start..];
    let at = rest.find("<p data-verdict=").expect("verdict");
    &rest[at..at + rest[at..].find("</p>").expect("end")]
}

#[test]
fn d26_a_test_names_a_winner_only_past_the_minimum_sample_and_never_on_opens() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut clicky_b = arm("subject", "B", 1_200, 120, 200);
    clicky_b.bounces = 10;
    let arms = [
        // 60 / 1,200 against 120 / 1,190 delivered: z ≈ 4.6, p < 0.0001. A's opens are 4.5 × B's: they do not matter.
        arm("subject", "A", 1_200, 60, 900),
        clicky_b,
        // Under the minimum, a tenfold difference is no verdict.
        arm("small", "A", 300, 15, 0),
        arm("small", "B", 300, 150, 0),
        // Equal rates.
        arm("equal", "A", 1_200, 60, 300),
        arm("equal", "B", 1_200, 60, 300),
        // Opens alone: 900 against 100, no click anywhere.
        arm("opens", "A", 1_200, 0, 900),
        arm("opens", "B", 1_200, 0, 100),
    ];
    // What never counts: a click before the send, a scanner's click, a click on another campaign's mail.
    let stray = [
        event("subject-a-1000@example.test", BEFORE, "email_click", json!({ "ab_test": "subject" })),
        json!({ "contact": "subject-a-1001@example.test", "at": AFTER, "kind": "email_click", "machine": true,
                "props": { "ab_test": "subject" } })
        .to_string(),
        event("subject-a-1002@example.test", AFTER, "email_click", json!({ "ab_test": "newsletter" })),
    ];
    let (tests, html) = run(tmp.path(), &arms, &stray, &[]);
    assert_eq!(tests.len(), 4, "{tests:?}");

    let subject = test(&tests, "subject");
    assert_eq!(subject["idFrom"], "ab_test");
    assert_eq!(
        counts(subject),
        [("A".into(), 1_200, 1_200, 60, 900, 0), ("B".into(), 1_200, 1_190, 120, 200, 0)],
        "unique contacts; B's bounces are not delivered; the stray clicks do not count"
    );
    assert_eq!((subject["metric"].as_str(), subject["minSends"].as_u64()), (Some("click_rate"), Some(1_000)));
    assert_eq!((subject["verdict"].as_str(), subject["winner"].as_str()), (Some("winner"), Some("B")));
    let p = subject["pValue"].as_f64().expect("pValue");
    assert!(p < 0.0001, "{p}");
    assert!((subject["confidence"].as_f64().expect("confidence") - (1.0 - p)).abs() < 1e-12);
    assert!((subject["variants"][1]["clickRate"].as_f64().expect("rate") - 120.0 / 1_190.0).abs() < 1e-12);
    assert!(verdict_html(&html, "subject").contains("Winner: variant B"), "{}", verdict_html(&html, "subject"));

    let small = test(&tests, "small");
    assert_eq!(
        (small["verdict"].as_str(), &small["winner"], &small["pValue"]),
        (Some("insufficient_sample"), &Value::Null, &Value::Null)
    );
    assert!(verdict_html(&html, "small").contains("insufficient sample"), "{}", verdict_html(&html, "small"));

    let equal = test(&tests, "equal");
    assert_eq!((equal["verdict"].as_str(), equal["pValue"].as_f64()), (Some("no_difference"), Some(1.0)));
    assert!(verdict_html(&html, "equal").contains("No winner"));

    let opens = test(&tests, "opens");
    assert_eq!(counts(opens)[0].4, 900);
    assert_eq!((opens["metric"].as_str(), opens["verdict"].as_str()), (Some("click_rate"), Some("no_difference")));
    assert_eq!(opens["winner"], Value::Null, "900 opens against 100 decide nothing");

    assert!(html.contains("<h2 id=\"ab-tests\">A/B tests</h2>"));
    assert!(html.contains("data-key=\"ab:ab_test:subject:B\""));
}

#[test]
fn d26_the_minimum_is_configurable_and_conversions_outrank_clicks() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut a = arm("offer", "A", 400, 100, 0);
    a.buys = 5;
    let mut b = arm("offer", "B", 400, 40, 0);
    b.buys = 40;
    // The small test of the first test, at --ab-min-sends 200: B wins.
    let arms = [a, b, arm("small", "A", 300, 15, 0), arm("small", "B", 300, 150, 0)];
    let (tests, html) = run(tmp.path(), &arms, &[], &["--ab-min-sends", "200"]);
    let small = test(&tests, "small");
    assert_eq!((small["verdict"].as_str(), small["winner"].as_str()), (Some("winner"), Some("B")));
    assert_eq!(small["minSends"], 200);
    // A clicks more, B converts more (purchases within 90 days of the send): conversions decide.
    let offer = test(&tests, "offer");
    assert_eq!(counts(offer).iter().map(|c| (c.3, c.5)).collect::<Vec<_>>(), [(100, 5), (40, 40)]);
    assert_eq!((offer["metric"].as_str(), offer["winner"].as_str()), (Some("conversion_rate"), Some("B")));
    assert!(html.contains("Test offer (ab_test): Conversions per delivered"), "the figure says which rate decides");

    let refused =
        rekindle(&["plan", "--ab-min-sends", "0", "--playbook", "x", "--contacts", "x", "--now", NOW, "--out", "x"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
}

#[test]
fn d26_tests_keyed_by_campaign_or_sequence_step_and_a_sendgrid_ab_click_joined_by_campaign() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut by_campaign = arm("23314", "A", 3, 1, 0);
    by_campaign.props = json!({ "campaign": "23314" });
    let mut by_campaign_b = arm("23314", "B", 3, 0, 0);
    by_campaign_b.props = json!({ "campaign": "23314" });
    let mut by_step = arm("step", "A", 2, 2, 0);
    by_step.props = json!({ "sequence": "winback", "step": "one" });
    // Sent two variants: in neither.
    let mixed = [event("23314-a-0@example.test", SENT, "email_sent", json!({ "campaign": "23314", "variant": "B" }))];
    let (contacts_dir, arms) = (tmp.path(), [by_campaign, by_campaign_b, by_step]);
    // The SendGrid Marketing Campaigns A/B record of the vendor fixtures, as a click of contact B-1 after the send:
    // its `marketing_campaign_id` is the campaign, `marketing_campaign_version` the variant.
    let fixture: Value = serde_json::from_slice(
        &std::fs::read(support::repo().join("tests/fixtures/vendor/sendgrid-marketing-events.json")).expect("fixture"),
    )
    .expect("json");
    let mut click = fixture
        .as_array()
        .expect("sections")
        .iter()
        .find(|s| s["section"] == "Example event from an A/B Test:")
        .expect("A/B section")["payload"]
        .clone();
    click["event"] = json!("click");
    click["email"] = json!("23314-b-1@example.test");
    click["timestamp"] = json!(1_794_304_800_u64); // 2026-11-10T10:00:00Z
    click["url"] = json!("https://acme.test/offer");
    let log = write(contacts_dir, "sendgrid.ndjson", &format!("{}\n", json!([click])));
    let (tests, _) = run(contacts_dir, &arms, &mixed, &["--webhooks", &format!("sendgrid:{log}")]);

    let campaign = test(&tests, "23314");
    assert_eq!(campaign["idFrom"], "campaign");
    assert_eq!(campaign["excludedContacts"], 1, "a-0 was sent A and B");
    assert_eq!(
        counts(campaign),
        [("A".into(), 2, 2, 0, 0, 0), ("B".into(), 3, 3, 1, 0, 0)],
        "A's clicker a-0 is excluded; B-1's SendGrid click counts by its campaign"
    );
    assert_eq!(campaign["verdict"], "insufficient_sample");
    let step = test(&tests, "winback/one");
    assert_eq!((step["idFrom"].as_str(), counts(step)[0].3), (Some("sequence_step"), 2));
    assert_eq!(step["variants"].as_array().map(Vec::len), Some(1));
}
