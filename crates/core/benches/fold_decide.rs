//! `cargo bench -p rekindle-core --bench fold_decide`: fold and decide cost of the native core (STYLE §8).
//!
//! For every playbook in examples/playbooks/*.json, one seeded synthetic workload (the generator below; the
//! same generator, call for call, is examples/node-batch/workload.mjs, so Node measures the same events):
//! 10 000 contacts × 50 events over the last 180 days — page views, form submits, email events, webinars,
//! purchases, CTA clicks and profile events. Events are built as `Value` trees once, outside the timers.
//!
//! Figures (warm-up run, then the median and min–max of N runs; nothing is asserted):
//! - core fold: `ContactState::fold` of each contact's already-parsed events, µs per event;
//! - core decide: `decide` on the in-memory state, µs per contact;
//! - pipeline fold: `Event::parse_list` + `fold` + `to_bytes` (what `Engine.fold` does after reading JS values);
//! - pipeline decide: `from_bytes` + `decide` (what `Engine.decide` does before writing JS values);
//! - state size: `to_bytes().len()` per contact, mean / p95 / max;
//! - segments per event: each contact's events in time order (ties by id), one at a time: `fold(&[event])` then
//!   `segment::memberships_at(&pb, &state, event.at)` on a state held in memory (core: events parsed beforehand;
//!   pipeline: each event parsed from its `Value` first, the work `contact.fold([event])` +
//!   `contact.segments({ now })` ask of the wasm core), µs per event, and the count of true / false / unknown
//!   memberships (Node checks its own).
//!
//! The last line is `BENCH_JSON {…}` for scripts/bench.mjs. Environment: BENCH_CONTACTS, BENCH_EVENTS,
//! BENCH_RUNS override the defaults (10 000, 50, 7); BENCH_PLAYBOOKS=saas,ecommerce runs only those (for
//! profiling one playbook).
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rekindle_core::field::Truth;
use rekindle_core::segment::memberships_at;
use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

/// Workload parameters; examples/node-batch/workload.mjs has the same defaults.
const SEED: u32 = 0x5eed_2026;
/// 2026-11-26T12:00:00Z, the `now` of every decision.
const NOW: i64 = 1_795_694_400_000;
const DAY: i64 = 86_400_000;

const ROLES: &[&str] = &[
    "CEO",
    "CTO",
    "CMO",
    "VP Marketing",
    "VP Sales",
    "Head of Marketing",
    "Head of Growth",
    "Marketing Manager",
    "Marketing Ops",
    "Demand Generation Manager",
    "RevOps Manager",
    "Software Engineer",
    "Designer",
    "Student",
    "Founder",
    "Analyst",
];
const INDUSTRIES: &[&str] =
    &["SaaS", "Software", "Fintech", "E-commerce", "Retail", "Healthcare", "Education", "Manufacturing", "Media"];
const DOMAINS: &[&str] = &[
    "acme.test",
    "globex.test",
    "initech.test",
    "umbrella.test",
    "gmail.example",
    "rivalcrm.example",
    "pipeforge.example",
    "hooli.test",
];
const COUNTRIES: &[&str] = &["US", "GB", "DE", "FR", "IN", "BR", "JP", "AU"];
const PATHS: &[&str] = &[
    "/",
    "/",
    "/",
    "/pricing",
    "/pricing/enterprise",
    "/blog/decay-explained",
    "/blog/lead-scoring-101",
    "/blog/mql-vs-sql",
    "/blog/intent-data",
    "/blog/churn-signals",
    "/blog/email-deliverability",
    "/integrations",
    "/integrations/salesforce",
    "/docs/getting-started",
    "/careers",
    "/careers/engineer",
    "/about",
    "/products/widget-pro",
    "/products/widget-mini",
    "/cart",
    "/checkout",
    "/account",
];
const FORMS: &[&str] =
    &["demo", "ebook-decay", "ebook-scoring", "newsletter", "newsletter", "contact", "trial", "webinar-signup"];
const CTAS: &[&str] = &["book-demo", "start-trial", "download-ebook", "newsletter"];
const SKUS: &[&str] = &["widget-pro", "widget-mini", "widget-max", "gift-card"];
const SIZES: &[f64] = &[1.0, 5.0, 12.0, 30.0, 50.0, 80.0, 150.0, 400.0, 1200.0, 5000.0];

/// xorshift32: tiny, and identical bit for bit in JS (`>>>`, `| 0`).
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
    /// In [0, 1), from one draw.
    fn unit(&mut self) -> f64 {
        f64::from(self.next()) / 4_294_967_296.0
    }
    /// In [0, n), from one draw.
    fn int(&mut self, n: i64) -> i64 {
        (self.unit() * n as f64) as i64
    }
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list[(self.unit() * list.len() as f64) as usize]
    }
    fn pick_num(&mut self, list: &[f64]) -> f64 {
        list[(self.unit() * list.len() as f64) as usize]
    }
}

fn s(text: &str) -> Value {
    Value::String(text.to_owned())
}

fn event(id: String, at: i64, kind: &str, machine: Option<bool>, props: Vec<(&str, Value)>) -> Value {
    let mut entries = vec![("id".to_owned(), Value::String(id)), ("at".into(), Value::Number(at as f64))];
    entries.push(("kind".into(), s(kind)));
    if let Some(m) = machine {
        entries.push(("machine".into(), Value::Bool(m)));
    }
    if !props.is_empty() {
        entries.push(("props".into(), Value::Object(props.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())));
    }
    Value::Object(entries)
}

/// One contact's events, in generation order (not time order: the fold sorts).
fn contact_events(rng: &mut Rng, c: usize, per_contact: usize) -> Value {
    let last_ago = rng.int(120 * DAY);
    let spread = rng.int(60 * DAY);
    let mut out = Vec::with_capacity(per_contact);
    let role = rng.pick(ROLES);
    let size = rng.pick_num(SIZES);
    let industry = rng.pick(INDUSTRIES);
    let domain = rng.pick(DOMAINS);
    let country = rng.pick(COUNTRIES);
    out.push(event(
        format!("c{c}-0"),
        NOW - 1 - last_ago - spread,
        "profile",
        None,
        vec![
            ("role", s(role)),
            ("company_size", Value::Number(size)),
            ("industry", s(industry)),
            ("email_domain", s(domain)),
            ("country", s(country)),
        ],
    ));
    for k in 1..per_contact {
        let id = format!("c{c}-{k}");
        let at = NOW - 1 - last_ago - rng.int(spread);
        let r = rng.unit();
        let e = if r < 0.50 {
            event(id, at, "page_view", None, vec![("path", s(rng.pick(PATHS)))])
        } else if r < 0.53 {
            event(id, at, "form_submit", None, vec![("form", s(rng.pick(FORMS)))])
        } else if r < 0.66 {
            event(id, at, "email_sent", None, vec![("campaign", s(&format!("n{}", rng.int(12))))])
        } else if r < 0.78 {
            let machine = rng.unit() < 0.3;
            event(id, at, "email_open", Some(machine), vec![])
        } else if r < 0.86 {
            event(id, at, "email_click", None, vec![("link", s(rng.pick(PATHS)))])
        } else if r < 0.87 {
            event(id, at, "email_reply", None, vec![])
        } else if r < 0.875 {
            event(id, at, "unsubscribe", None, vec![])
        } else if r < 0.90 {
            event(id, at, "webinar_registered", None, vec![])
        } else if r < 0.915 {
            event(id, at, "webinar_attended", None, vec![])
        } else if r < 0.94 {
            let sku = rng.pick(SKUS);
            let amount = 10 + rng.int(490);
            event(id, at, "purchase", None, vec![("sku", s(sku)), ("amount", Value::Number(amount as f64))])
        } else if r < 0.97 {
            event(id, at, "cta_click", None, vec![("cta", s(rng.pick(CTAS)))])
        } else if rng.unit() < 0.5 {
            event(id, at, "profile", None, vec![("company_size", Value::Number(rng.pick_num(SIZES)))])
        } else {
            event(id, at, "profile", None, vec![("role", s(rng.pick(ROLES)))])
        };
        out.push(e);
    }
    Value::Array(out)
}

/// What identifies the workload across runtimes: sizes, kind counts, and the sum of ages in whole seconds.
fn fingerprint(contacts: &[Value]) -> String {
    let mut kinds: BTreeMap<String, u64> = BTreeMap::new();
    let (mut events, mut age_s) = (0u64, 0u64);
    for list in contacts {
        let Value::Array(items) = list else { continue };
        for e in items {
            events += 1;
            if let (Some(Value::String(kind)), Some(Value::Number(at))) = (e.get("kind"), e.get("at")) {
                *kinds.entry(kind.clone()).or_default() += 1;
                age_s += ((NOW - *at as i64) / 1000) as u64;
            }
        }
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k}:{n}")).collect();
    format!(
        "{}x{} events={events} ageSeconds={age_s} {}",
        contacts.len(),
        events / contacts.len().max(1) as u64,
        kinds.join(",")
    )
}

/// Median, min and max of per-unit figures.
#[derive(Clone, Copy)]
struct Stat {
    median: f64,
    min: f64,
    max: f64,
}

fn stat(mut xs: Vec<f64>) -> Stat {
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    let median = if xs.len() % 2 == 1 { xs[mid] } else { (xs[mid - 1] + xs[mid]) / 2.0 };
    Stat { median, min: xs[0], max: xs[xs.len() - 1] }
}

/// Runs `f` once to warm up, then `runs` times; each run's seconds divided by `units`, in µs.
// The one clock in rekindle-core's tree: a native benchmark is the place that must read it (clippy.toml bans it
// for core and wasm code, where it panics on wasm32).
#[allow(clippy::disallowed_methods)]
fn time_per_unit(runs: usize, units: usize, mut f: impl FnMut()) -> Stat {
    f();
    let samples = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e6 / units as f64
        })
        .collect();
    stat(samples)
}

fn json_stat(st: Stat) -> String {
    format!("{{\"median\":{:.6},\"min\":{:.6},\"max\":{:.6}}}", st.median, st.min, st.max)
}

fn show(st: Stat, unit: &str) -> String {
    format!("{:.3} {unit} (min {:.3}, max {:.3})", st.median, st.min, st.max)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(default)
}

/// A contact's events in time order, ties by id: the order both benches feed them one at a time.
fn time_ordered(list: &Value) -> Vec<Value> {
    let Value::Array(items) = list else { return Vec::new() };
    let mut out = items.clone();
    let key = |e: &Value| -> (i64, String) {
        let at = match e.get("at") {
            Some(Value::Number(n)) => *n as i64,
            _ => 0,
        };
        let id = match e.get("id") {
            Some(Value::String(s)) => s.clone(),
            _ => String::new(),
        };
        (at, id)
    };
    out.sort_by_key(key);
    out
}

/// Counts of (true, false, unknown) memberships over every event of every contact.
fn membership_counts(pb: &Playbook, ordered: &[Vec<Event>]) -> [u64; 3] {
    let mut counts = [0u64; 3];
    for events in ordered {
        let mut state = ContactState::new();
        for e in events {
            state.fold(pb, std::slice::from_ref(e));
            for (_, t) in memberships_at(pb, &state, e.at) {
                counts[match t {
                    Truth::True => 0,
                    Truth::False => 1,
                    Truth::Unknown(_) => 2,
                }] += 1;
            }
        }
    }
    counts
}

fn playbook_files(root: &Path) -> Vec<PathBuf> {
    let dir = root.join("examples").join("playbooks");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| match std::env::var("BENCH_PLAYBOOKS") {
            Ok(names) => p.file_stem().and_then(|s| s.to_str()).is_some_and(|s| names.split(',').any(|n| n == s)),
            Err(_) => true,
        })
        .collect();
    files.sort();
    files
}

/// A serialised enum as its JSON string ("sql", "warm"), so new variants need no change here.
fn label<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v).ok().and_then(|j| j.as_str().map(str::to_owned)).unwrap_or_else(|| "?".into())
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..");
    let contacts_n = env_usize("BENCH_CONTACTS", 10_000);
    let per_contact = env_usize("BENCH_EVENTS", 50);
    let runs = env_usize("BENCH_RUNS", 7);
    let now = Timestamp::from_ms(NOW).expect("NOW is in range");

    let mut rng = Rng(SEED);
    let raw: Vec<Value> = (0..contacts_n).map(|c| contact_events(&mut rng, c, per_contact)).collect();
    let total_events: usize = raw.iter().map(|v| if let Value::Array(a) = v { a.len() } else { 0 }).sum();
    let raw_ordered: Vec<Vec<Value>> = raw.iter().map(time_ordered).collect();
    let print = fingerprint(&raw);
    println!("rekindle-core fold/decide · seed {SEED:#x} · workload {print}");
    println!("warm-up 1 run, then median (min, max) of {runs} runs\n");

    let mut results = Vec::new();
    for file in playbook_files(&root) {
        let name = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let value: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let pb = match Playbook::parse(&value) {
            Ok(pb) => pb,
            Err(e) => {
                println!("{name}: skipped, the playbook does not parse: {e}\n");
                continue;
            }
        };
        let parsed: Vec<Vec<Event>> = raw
            .iter()
            .map(|v| Event::parse_list(v, "events").unwrap_or_else(|e| panic!("generated events: {e}")))
            .collect();

        let core_fold = time_per_unit(runs, total_events, || {
            for events in &parsed {
                let mut state = ContactState::new();
                state.fold(&pb, events);
                black_box(&state);
            }
        });
        let states: Vec<ContactState> = parsed
            .iter()
            .map(|events| {
                let mut state = ContactState::new();
                state.fold(&pb, events);
                state
            })
            .collect();
        let core_decide = time_per_unit(runs, contacts_n, || {
            for state in &states {
                black_box(decide(&pb, state, now));
            }
        });
        let pipe_fold = time_per_unit(runs, total_events, || {
            for list in &raw {
                let events = Event::parse_list(list, "events").unwrap_or_default();
                let mut state = ContactState::new();
                state.fold(&pb, &events);
                black_box(state.to_bytes());
            }
        });
        let blobs: Vec<Vec<u8>> = states.iter().map(ContactState::to_bytes).collect();
        let pipe_decide = time_per_unit(runs, contacts_n, || {
            for blob in &blobs {
                if let Ok(state) = ContactState::from_bytes(blob) {
                    black_box(decide(&pb, &state, now));
                }
            }
        });

        // Segments per event: one event at a time in time order, memberships at the event's instant.
        let ordered: Vec<Vec<Event>> = raw_ordered
            .iter()
            .map(|list| list.iter().map(|v| Event::parse(v, "event").unwrap_or_else(|e| panic!("{e}"))).collect())
            .collect();
        let seg_core = time_per_unit(runs, total_events, || {
            for events in &ordered {
                let mut state = ContactState::new();
                for e in events {
                    state.fold(&pb, std::slice::from_ref(e));
                    memberships_at(&pb, &state, e.at).for_each(|m| {
                        black_box(m);
                    });
                }
            }
        });
        let seg_pipe = time_per_unit(runs, total_events, || {
            for list in &raw_ordered {
                let mut state = ContactState::new();
                for v in list {
                    let Ok(e) = Event::parse(v, "events[0]") else { continue };
                    state.fold(&pb, std::slice::from_ref(&e));
                    memberships_at(&pb, &state, e.at).for_each(|m| {
                        black_box(m);
                    });
                }
            }
        });
        let seg_counts = membership_counts(&pb, &ordered);

        let mut sizes: Vec<usize> = blobs.iter().map(Vec::len).collect();
        sizes.sort_unstable();
        let mean = sizes.iter().sum::<usize>() as f64 / sizes.len().max(1) as f64;
        let p95 = sizes.get((sizes.len() * 95).div_ceil(100).saturating_sub(1)).copied().unwrap_or(0);
        let max = sizes.last().copied().unwrap_or(0);

        let mut stages: BTreeMap<String, usize> = BTreeMap::new();
        let mut readiness: BTreeMap<String, usize> = BTreeMap::new();
        for state in &states {
            let d = decide(&pb, state, now);
            *stages.entry(label(&d.stage)).or_default() += 1;
            *readiness.entry(label(&d.readiness)).or_default() += 1;
        }

        println!("{name} ({} contacts × {per_contact} events)", contacts_n);
        println!("  core fold        {}", show(core_fold, "µs/event"));
        println!("  core decide      {}", show(core_decide, "µs/contact"));
        println!("  pipeline fold    {}   parse_list + fold + to_bytes", show(pipe_fold, "µs/event"));
        println!("  pipeline decide  {}   from_bytes + decide", show(pipe_decide, "µs/contact"));
        println!("  segments/event   {}   fold(&[e]) + memberships_at(e.at)", show(seg_core, "µs/event"));
        println!("  pipeline seg/ev  {}   Event::parse + the above", show(seg_pipe, "µs/event"));
        println!(
            "  memberships      {} true, {} false, {} unknown (all events, all segments)",
            seg_counts[0], seg_counts[1], seg_counts[2]
        );
        println!("  state size       mean {mean:.0} B, p95 {p95} B, max {max} B per contact");
        println!("  decisions        stage {stages:?}, readiness {readiness:?}\n");

        let counts = |m: &BTreeMap<String, usize>| {
            let mut out = String::from("{");
            for (i, (k, v)) in m.iter().enumerate() {
                let _ = write!(out, "{}\"{k}\":{v}", if i > 0 { "," } else { "" });
            }
            out + "}"
        };
        results.push(format!(
            "{{\"playbook\":\"{name}\",\"file\":\"examples/playbooks/{name}.json\",\"contacts\":{contacts_n},\
             \"events\":{total_events},\"coreFoldUsPerEvent\":{},\"coreDecideUsPerContact\":{},\
             \"pipelineFoldUsPerEvent\":{},\"pipelineDecideUsPerContact\":{},\
             \"coreSegmentsUsPerEvent\":{},\"pipelineSegmentsUsPerEvent\":{},\
             \"memberships\":{{\"true\":{},\"false\":{},\"unknown\":{}}},\
             \"stateBytes\":{{\"mean\":{mean:.1},\"p95\":{p95},\"max\":{max}}},\"stages\":{},\"readiness\":{}}}",
            json_stat(core_fold),
            json_stat(core_decide),
            json_stat(pipe_fold),
            json_stat(pipe_decide),
            json_stat(seg_core),
            json_stat(seg_pipe),
            seg_counts[0],
            seg_counts[1],
            seg_counts[2],
            counts(&stages),
            counts(&readiness),
        ));
    }
    println!(
        "BENCH_JSON {{\"seed\":{SEED},\"now\":{NOW},\"contacts\":{contacts_n},\"eventsPerContact\":{per_contact},\
         \"runs\":{runs},\"fingerprint\":\"{print}\",\"playbooks\":[{}]}}",
        results.join(",")
    );
}
