//! The spam-complaint rate (D5) of weekly `rekindle plan --previous` runs: the ESP's logs keep a few days, so the
//! previous plan's per-hour counts (`deliveries.csv`) bring back the sends, deliveries and complaints of the window
//! that the logs lost — a complainer erased since included — and events the logs repeat from before the previous
//! `--now` are not counted twice.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/plan_cli.rs"]
mod plan_cli;

use std::path::Path;
use std::process::Output;

use plan_cli::{json, rekindle, stderr, write, SAAS};

const WINDOW: i64 = 30 * 86_400_000;

fn ms(text: &str) -> i64 {
    rekindle_core::Timestamp::parse(&rekindle_core::Value::String(text.into()), "t").expect("instant").ms()
}

const CONTACTS: &str = "email\na@x.test\nb@x.test\ngone@x.test\n";

/// A week of mail: a marketing send every 15 minutes from `from` (epoch ms), `n` of them, alternating between a
/// and b, each delivered (a SendGrid `delivered` record, stamped in seconds).
fn mail(from: i64, n: i64) -> (Vec<i64>, String, String) {
    let at: Vec<i64> = (0..n).map(|i| from + i * 15 * 60_000).collect();
    let mut sends = String::new();
    let mut deliveries = Vec::new();
    for (i, t) in at.iter().enumerate() {
        let who = if i % 2 == 0 { "a" } else { "b" };
        sends.push_str(&format!("{{\"contact\":\"{who}@x.test\",\"at\":{t},\"kind\":\"email_sent\"}}\n"));
        deliveries.push(format!(
            "{{\"email\":\"{who}@x.test\",\"timestamp\":{},\"event\":\"delivered\",\"sg_event_id\":\"d{t}\"}}",
            t / 1000
        ));
    }
    // One webhook body a line, 50 records each.
    let log: Vec<String> = deliveries.chunks(50).map(|c| format!("[{}]", c.join(","))).collect();
    (at, sends, log.join("\n") + "\n")
}

fn plan(dir: &Path, now: &str, events: &str, deliveries: &str, out: &str, previous: Option<&str>) -> Output {
    let contacts = write(dir, "contacts.csv", CONTACTS);
    let events = write(dir, &format!("{out}-events.ndjson"), events);
    let log = format!("sendgrid:{}", write(dir, &format!("{out}-sendgrid.ndjson"), deliveries));
    let salt = write(dir, "salt.txt", "a-salt-kept-apart-from-the-plans\n");
    let out = dir.join(out);
    let out = out.to_str().expect("utf-8 path");
    let mut args = vec!["plan", "--playbook", SAAS, "--contacts", &contacts, "--events", &events, "--now", now];
    args.extend(["--webhooks", &log, "--out", out, "--quiet", "--salt-file", &salt, "--format", "json"]);
    if let Some(previous) = previous {
        args.extend(["--previous", previous]);
    }
    rekindle(&args)
}

fn rate(run: &Output) -> serde_json::Value {
    assert_eq!(run.status.code(), Some(0), "{}", stderr(run));
    let summary: serde_json::Value = serde_json::from_slice(&run.stdout).expect("summary");
    summary["complaintRate"].clone()
}

/// Instants in the window ending at `now`.
fn within(at: &[i64], now: i64) -> usize {
    at.iter().filter(|t| (0..WINDOW).contains(&(now - **t))).count()
}

#[test]
fn a_weekly_run_with_previous_counts_the_window_the_logs_lost_and_nothing_twice() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let arg = |d: &str| tmp.path().join(d).to_str().expect("utf-8").to_string();
    // Week 1: 2,000 sends and deliveries from 5 November; b and gone complained on 20 November, and gone asked to
    // be erased the next day. 2 complaints over 2,000 mailed: 0.1 %, the warning line.
    let w1 = "2026-11-26T12:00:00Z";
    let (at1, sends1, log1) = mail(ms("2026-11-05T00:00:00Z"), 2000);
    let complaints = "{\"contact\":\"b@x.test\",\"at\":\"2026-11-20T10:00:00Z\",\"kind\":\"spam_complaint\"}\n\
        {\"contact\":\"gone@x.test\",\"at\":\"2026-11-20T11:00:00Z\",\"kind\":\"spam_complaint\"}\n\
        {\"contact\":\"gone@x.test\",\"at\":\"2026-11-21T10:00:00Z\",\"kind\":\"erasure_request\"}\n";
    let r1 = rate(&plan(tmp.path(), w1, &format!("{sends1}{complaints}"), &log1, "w1", None));
    assert_eq!(
        (r1["sends"].clone(), r1["deliveries"].clone(), r1["complaints"].clone()),
        (2000.into(), 2000.into(), 2.into())
    );
    assert_eq!(r1["status"], "warning", "{r1}");
    assert!(r1.get("fromPrevious").is_none(), "{r1}");

    // Week 2: the logs hold 25 November onwards (the last day of week 1 again, 80 sends), then 300 new ones; the
    // complaints and gone's events are gone from them. With the sends and deliveries of this run's logs alone
    // (before the fix) this was 2 complaints (b's carried in state.csv, gone's given back by suppressed.csv) over
    // 380 mailed: 0.53 %, an alarm built on a few days of mail. Now: 2 over 2,300, ok.
    let w2 = "2026-12-03T12:00:00Z";
    let (now1, now2) = (ms(w1), ms(w2));
    let overlap: Vec<i64> = at1.iter().copied().filter(|t| *t >= ms("2026-11-25T00:00:00Z")).collect();
    assert_eq!(overlap.len(), 80);
    let repeated_sends: String = sends1.lines().skip(at1.len() - overlap.len()).map(|l| format!("{l}\n")).collect();
    let (_, _, log_repeat) = mail(overlap[0], overlap.len() as i64);
    let (at2, sends2, log2) = mail(ms("2026-11-27T00:00:00Z"), 300);
    let events2 = format!("{repeated_sends}{sends2}");
    let r2 = rate(&plan(tmp.path(), w2, &events2, &format!("{log_repeat}{log2}"), "w2", Some(&arg("w1"))));
    let carried = within(&at1, now2) as u64;
    let mailed = carried + at2.len() as u64;
    assert_eq!(r2["sends"], mailed, "{r2}");
    assert_eq!(r2["deliveries"], mailed, "{r2}");
    assert_eq!(r2["complaints"], 2, "b's and the erased contact's, each once: {r2}");
    assert_eq!(r2["status"], "ok", "2 over {mailed}: {r2}");
    let from = &r2["fromPrevious"];
    assert_eq!(from["previousNow"], now1, "{r2}");
    assert_eq!(
        (from["sends"].clone(), from["deliveries"].clone(), from["complaints"].clone()),
        (carried.into(), carried.into(), 2.into())
    );
    // What week 1 handed on: per hour (the hour ending at `until`), listed in its manifest.
    let file = std::fs::read_to_string(tmp.path().join("w1/deliveries.csv")).expect("deliveries.csv");
    assert!(file.starts_with("until,sends,deliveries,complaints\n2026-11-05T00:00:00Z,1,1,0\n"), "{file}");
    assert!(file.contains("\n2026-11-20T10:00:00Z,4,4,1\n"), "{file}");
    assert!(file.contains("\n2026-11-20T11:00:00Z,4,4,1\n"), "{file}");
    let manifest = json(&tmp.path().join("w1/manifest.json"));
    let listed = manifest["files"].as_array().expect("files").iter().any(|f| f["path"] == "deliveries.csv");
    assert!(listed, "{manifest}");
    let summary: serde_json::Value = json(&tmp.path().join("w2/manifest.json"))["complaintRate"].clone();
    assert_eq!(summary, r2, "the manifest says the same");
    let html = std::fs::read_to_string(tmp.path().join("w2/report.html")).expect("report.html");
    assert!(
        html.contains("--now, 2026-11-26T12:00:00Z, the counts are that plan")
            && html.contains("2 complaint(s), 2,000 send(s), 2,000 deliveries in this window"),
        "report.html"
    );

    // Week 3, no mail since: the window (10 November 12:00 to 10 December 12:00) still counts both weeks' mail in
    // it, chained through week 2's file; week 1's hours before the window have dropped out, to the hour.
    let w3 = "2026-12-10T12:00:00Z";
    let r3 = rate(&plan(tmp.path(), w3, "", "", "w3", Some(&arg("w2"))));
    let now3 = ms(w3);
    let mailed = (within(&at1, now3) + within(&at2, now3)) as u64;
    assert!(mailed < 2300, "the window lost some of week 1: {mailed}");
    assert_eq!(
        (r3["sends"].clone(), r3["deliveries"].clone(), r3["complaints"].clone()),
        (mailed.into(), mailed.into(), 2.into())
    );
    assert_eq!(r3["fromPrevious"]["previousNow"], now2, "{r3}");

    // A month after week 2 nothing carried is in the window.
    let r4 = rate(&plan(tmp.path(), "2027-01-02T12:00:00Z", "", "", "w4", Some(&arg("w2"))));
    assert_eq!(r4["status"], "no_mail", "{r4}");
    assert_eq!((r4["sends"].clone(), r4["complaints"].clone()), (0.into(), 0.into()), "{r4}");
}

#[test]
fn a_deliveries_file_that_does_not_read_back_is_refused_with_its_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let arg = |d: &str| tmp.path().join(d).to_str().expect("utf-8").to_string();
    let (_, sends, log) = mail(ms("2026-11-20T00:00:00Z"), 10);
    let run = plan(tmp.path(), "2026-11-26T12:00:00Z", &sends, &log, "p", None);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let path = tmp.path().join("p/deliveries.csv");
    let good = std::fs::read_to_string(&path).expect("deliveries.csv");
    for (bad, why) in [
        (good.replacen(",1,1,0", ",1,many,0", 1), "is not a count"),
        (good.replacen("00:00Z,", "30:00Z,", 1), "not on the hour"),
        (good.clone() + "2026-11-27T00:00:00Z,1,1,0\n", "after the hour of that plan's --now"),
        (good.clone() + good.lines().nth(1).expect("a row") + "\n", "listed twice"),
    ] {
        std::fs::write(&path, &bad).expect("write");
        let run = plan(tmp.path(), "2026-12-03T12:00:00Z", "", "", "next", Some(&arg("p")));
        let err = stderr(&run);
        assert_eq!(run.status.code(), Some(3), "{err}");
        assert!(err.contains("bad_deliveries") && err.contains("deliveries.csv:") && err.contains(why), "{err}");
    }
    // The line is the file's own: the second row, line 3, when it is the bad one.
    let mut lines: Vec<&str> = good.lines().collect();
    let row = format!("{},-1", lines[2].rsplit_once(',').expect("cells").0);
    lines[2] = &row;
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");
    let run = plan(tmp.path(), "2026-12-03T12:00:00Z", "", "", "next", Some(&arg("p")));
    assert!(stderr(&run).contains("deliveries.csv:3"), "{}", stderr(&run));

    // A plan from before the file (its manifest does not list it) hands on nothing: this run's events count.
    std::fs::write(&path, &good).expect("write");
    let manifest_path = tmp.path().join("p/manifest.json");
    let mut manifest = json(&manifest_path);
    manifest["files"].as_array_mut().expect("files").retain(|f| f["path"] != "deliveries.csv");
    std::fs::write(&manifest_path, manifest.to_string()).expect("write");
    std::fs::remove_file(&path).expect("remove");
    let r = rate(&plan(tmp.path(), "2026-12-03T12:00:00Z", &sends, "", "older", Some(&arg("p"))));
    assert_eq!(r["sends"], 10, "{r}");
    assert!(r.get("fromPrevious").is_none(), "{r}");
}
