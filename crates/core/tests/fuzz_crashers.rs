//! Hostile inputs never panic (STYLE §7.4): every minimised fuzz crasher in tests/vectors/fuzz-crashers/<target>/
//! (raw files, no `.json` extension, so the vector runners skip them) must now give an error with the right code,
//! and a hand-made corpus of hostile inputs (truncated and oversized state bytes, 10 000-level nesting, NaN and
//! infinite numbers, 1 MB strings) must give an error or a valid result. Importer crashers (`import_<vendor>`,
//! `import_json`, `import_contacts`) must decode to a result or an `E_IMPORT_INVALID` error.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::fs;
use std::path::{Path, PathBuf};

use rekindle_core::import::contacts::{self, ContactBatch, ContactDecoder, HubspotLabels, MailchimpStatus, Vendor};
use rekindle_core::import::{json, mailchimp, mailgun, postmark, sendgrid, ses, Imported};
use rekindle_core::{decide, ContactState, Error, ErrorCode, Event, Playbook, Timestamp, Value};

const SAAS: &str = include_str!("../../../examples/playbooks/saas.json");
const NOW: i64 = 1_764_547_200_000;
const MB: usize = 1 << 20;

fn saas_value() -> Value {
    serde_json::from_str(SAAS).unwrap()
}

fn saas() -> Playbook {
    Playbook::parse(&saas_value()).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn num(n: f64) -> Value {
    Value::Number(n)
}

fn str_of(len: usize) -> Value {
    Value::String("a".repeat(len))
}

fn obj(entries: Vec<(&str, Value)>) -> Value {
    Value::Object(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// A valid state with profile fields, rule accumulators, signal tracks and a funnel.
fn rich_state_bytes() -> Vec<u8> {
    let pb = saas();
    let events = Event::parse_list(
        &json(
            r#"[{"at": 1764000000000, "kind": "profile", "props": {"role": "CTO", "company_size": 300, "industry": "SaaS"}},
                {"at": 1764100000000, "kind": "page_view", "props": {"path": "/pricing"}},
                {"at": 1764200000000, "kind": "page_view", "props": {"path": "/pricing/enterprise"}},
                {"at": 1764300000000, "kind": "form_submit", "props": {"form": "demo"}},
                {"at": 1764400000000, "kind": "email_click"}]"#,
        ),
        "events",
    )
    .unwrap();
    let mut state = ContactState::new();
    state.fold(&pb, &events);
    assert!(state.stage().is_some(), "the fixture should reach a stage, so every section of the bytes is present");
    state.to_bytes()
}

fn assert_code<T: std::fmt::Debug>(result: Result<T, Error>, code: ErrorCode, what: &str) {
    match result {
        Ok(v) => panic!("{what}: expected {code}, got Ok({v:?})"),
        Err(e) => assert_eq!(e.code(), code, "{what}: {e}"),
    }
}

fn assert_state_invalid(bytes: &[u8], what: &str) {
    assert_code(ContactState::from_bytes(bytes), ErrorCode::StateInvalid, what);
}

/// Parses and, when the playbook is valid, decides on an empty state: must not panic either way.
fn parse_playbook_or_error(value: &Value) -> Result<Playbook, Error> {
    let pb = Playbook::parse(value)?;
    decide(&pb, &ContactState::new(), Timestamp::from_ms(NOW).unwrap());
    Ok(pb)
}

/// A value nested `depth` levels deep (`[[[…]]]`), built without recursion.
fn nested_arrays(depth: usize) -> Value {
    let mut v = Value::Null;
    for _ in 0..depth {
        v = Value::Array(vec![v]);
    }
    v
}

/// Tears down a deep value iteratively (a recursive drop of 10 000 levels would test the test, not core).
fn dismantle(mut v: Value) {
    let mut stack = Vec::new();
    loop {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(entries) => stack.extend(entries.into_iter().map(|(_, v)| v)),
            _ => {}
        }
        match stack.pop() {
            Some(next) => v = next,
            None => return,
        }
    }
}

#[test]
fn every_proper_prefix_of_state_bytes_is_an_error() {
    let bytes = rich_state_bytes();
    ContactState::from_bytes(&bytes).unwrap();
    for len in 0..bytes.len() {
        assert_state_invalid(&bytes[..len], &format!("prefix of {len} of {} bytes", bytes.len()));
    }
}

#[test]
fn huge_varint_counts_are_errors_not_allocations() {
    // version 1, no base, then a profile count of 2^63 and of u64::MAX, with nothing after.
    assert_state_invalid(&[1, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], "count 2^63");
    assert_state_invalid(&[1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], "count u64::MAX");
    // A varint that never ends, and one longer than 10 bytes.
    assert_state_invalid(&[1, 0, 0xff, 0xff, 0xff], "unterminated varint");
    assert_state_invalid(&[1, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], "overlong");
    // A million profile entries announced, and a 1 GB key length announced, with a few bytes present.
    assert_state_invalid(&[1, 0, 0xc0, 0x84, 0x3d, 1, b'a'], "a million entries, one byte");
    assert_state_invalid(&[1, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x04, b'a', b'b'], "1 GB key length");
}

#[test]
fn unknown_versions_and_empty_state_bytes_are_errors() {
    assert_state_invalid(&[], "empty");
    for version in [0u8, 2, 0x7f, 0xff] {
        assert_state_invalid(&[version, 0, 0, 0, 0, 0], &format!("version {version}"));
    }
}

#[test]
fn corrupt_flags_and_non_finite_numbers_in_state_bytes_are_errors() {
    assert_state_invalid(&[1, 2, 0, 0, 0, 0], "base flag 2");
    // One profile entry "a" with a NaN, then with an infinite number, then with a bad tag.
    let mut nan = vec![1, 0, 1, 1, b'a', 1];
    nan.extend_from_slice(&f64::NAN.to_le_bytes());
    nan.extend_from_slice(&[0, 0, 0]);
    assert_state_invalid(&nan, "NaN profile number");
    let mut inf = vec![1, 0, 1, 1, b'a', 1];
    inf.extend_from_slice(&f64::INFINITY.to_le_bytes());
    inf.extend_from_slice(&[0, 0, 0]);
    assert_state_invalid(&inf, "infinite profile number");
    assert_state_invalid(&[1, 0, 1, 1, b'a', 9, 0, 0, 0], "profile value tag 9");
    // A base instant beyond the JS Date range (zigzag of 2^62).
    assert_state_invalid(&[1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0, 0, 0, 0], "base");
}

#[test]
fn serde_json_refuses_10k_nested_levels_before_core_sees_them() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let err = serde_json::from_str::<Value>(&deep).unwrap_err();
    assert!(err.to_string().contains("recursion limit"), "{err}");
}

#[test]
fn values_nested_10k_levels_deep_are_refused_without_recursing() {
    // serde_json stops at 128 levels, but the wasm bindings build a Value from JS objects themselves.
    let deep = nested_arrays(10_000);
    assert_code(parse_playbook_or_error(&deep), ErrorCode::PlaybookInvalid, "deep playbook");
    let pb_with_deep_key = obj(vec![("version", num(1.0)), ("signals", obj(vec![])), ("extra", nested_arrays(10_000))]);
    assert_code(parse_playbook_or_error(&pb_with_deep_key), ErrorCode::PlaybookInvalid, "deep unknown key");
    assert_code(Event::parse_list(&deep, "events"), ErrorCode::InputInvalid, "deep events");
    dismantle(deep);
    let props = nested_arrays(10_000);
    let event = obj(vec![("at", num(NOW as f64)), ("kind", Value::String("page_view".into())), ("props", props)]);
    let events = Value::Array(vec![event]);
    assert_code(Event::parse_list(&events, "events"), ErrorCode::InputInvalid, "deep props");
    dismantle(events);
    dismantle(pb_with_deep_key);
}

#[test]
fn nan_and_infinite_numbers_in_a_playbook_are_out_of_range() {
    let slots: [(&[&str], &str); 5] = [
        (&["scores", "intent", "rules", "0", "points"], "scores.intent.rules[0].points"),
        (&["scores", "intent", "max"], "scores.intent.max"),
        (&["scores", "fit", "rules", "2", "value"], "scores.fit.rules[2].value"),
        (&["stages", "readiness", "warm"], "stages.readiness.warm"),
        (&["stages", "sql", "any", "0", "at_least"], "stages.sql.any[0].at_least"),
    ];
    for n in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        for (slot, path) in slots {
            let mut v = saas_value();
            *slot_mut(&mut v, slot) = num(n);
            let err = parse_playbook_or_error(&v).unwrap_err();
            assert_eq!(err.code(), ErrorCode::PlaybookInvalid);
            assert!(err.problems().iter().any(|p| p.path == path), "{n} at {path}: {:?}", err.problems());
        }
    }
}

#[test]
fn extreme_finite_numbers_in_a_playbook_parse_or_fail_cleanly() {
    for n in [-0.0, 5e-324, 1e308, -1e308, 9_007_199_254_740_993.0] {
        for slot in [&["scores", "intent", "rules", "0", "points"][..], &["scores", "fit", "max"], &["version"]] {
            let mut v = saas_value();
            *slot_mut(&mut v, slot) = num(n);
            // Either outcome is fine; a panic or a NaN score is not.
            if let Ok(pb) = parse_playbook_or_error(&v) {
                let d = decide(&pb, &ContactState::from_bytes(&rich_state_bytes()).unwrap(), Timestamp::EPOCH);
                assert!(!d.scores.total.is_nan(), "{n} at {slot:?}");
            }
        }
    }
}

#[test]
fn nan_and_out_of_range_event_instants_are_input_errors() {
    for at in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 8.64e15 + 1.0, -8.64e15 - 1.0, 0.5, 1e300] {
        let events = Value::Array(vec![obj(vec![("at", num(at)), ("kind", Value::String("page_view".into()))])]);
        let err = Event::parse_list(&events, "events").unwrap_err();
        assert_eq!((err.code(), err.path().as_deref()), (ErrorCode::InputInvalid, Some("events[0].at")), "{at}");
    }
}

#[test]
fn megabyte_strings_give_errors_or_valid_results() {
    let pb = saas();
    let big = str_of(MB);
    // As an event kind (unknown), a prop value, an id and a profile value: parse fails or fold + decide work.
    let events = Value::Array(vec![
        obj(vec![("at", num(NOW as f64)), ("kind", big.clone())]),
        obj(vec![("at", big.clone()), ("kind", Value::String("page_view".into()))]),
    ]);
    assert_code(Event::parse_list(&events, "events"), ErrorCode::InputInvalid, "1 MB kind");
    let ok = Value::Array(vec![
        obj(vec![
            ("at", num(NOW as f64)),
            ("kind", Value::String("page_view".into())),
            ("id", big.clone()),
            ("props", obj(vec![("path", big.clone())])),
        ]),
        obj(vec![
            ("at", num(NOW as f64)),
            ("kind", Value::String("profile".into())),
            ("props", obj(vec![("role", big.clone()), ("industry", big.clone())])),
        ]),
    ]);
    let events = Event::parse_list(&ok, "events").unwrap();
    let mut state = ContactState::new();
    state.fold(&pb, &events);
    let bytes = state.to_bytes();
    assert_eq!(ContactState::from_bytes(&bytes).unwrap(), state);
    decide(&pb, &state, Timestamp::from_ms(NOW).unwrap());
    // As a signal id, a glob, a duration and a fit op in the playbook.
    for (slot, value) in [
        (&["signals", "pricing_visit", "match", "path"][..], big.clone()),
        (&["scores", "intent", "rules", "0", "decay", "half_life"], big.clone()),
        (&["scores", "fit", "rules", "0", "op"], big.clone()),
        (&["scores", "intent", "rules", "1", "signal"], big.clone()),
    ] {
        let mut v = saas_value();
        *slot_mut(&mut v, slot) = value;
        let _ = parse_playbook_or_error(&v);
    }
}

#[test]
fn every_recorded_fuzz_crasher_is_now_an_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors/fuzz-crashers");
    for (target, file) in crasher_files(&dir) {
        let bytes = fs::read(&file).unwrap();
        let name = file.display();
        match target.as_str() {
            "state_decode" => assert_state_invalid(&bytes, &name.to_string()),
            // Bytes that are not JSON never reach core; JSON ones must be refused with the target's code.
            "playbook_parse" => {
                if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                    assert_code(parse_playbook_or_error(&v), ErrorCode::PlaybookInvalid, &name.to_string());
                }
            }
            "events_parse" => {
                if let Ok(v) = serde_json::from_slice::<Value>(&bytes) {
                    assert_code(Event::parse_list(&v, "events"), ErrorCode::InputInvalid, &name.to_string());
                }
            }
            "import_sendgrid" => assert_import(sendgrid::decode(&bytes), &name.to_string()),
            "import_mailgun" => {
                assert_import(mailgun::decode(&bytes), &name.to_string());
                match mailgun::signature(&bytes) {
                    // Checking the body's own signature under some key must answer, not panic.
                    Ok(sig) => {
                        let _ = mailgun::verify(b"key", &sig.timestamp, &sig.token, &sig.signature);
                    }
                    Err(e) => assert_eq!(e.code(), ErrorCode::ImportInvalid, "{name}: {e}"),
                }
            }
            "import_postmark" => assert_import(postmark::decode(&bytes), &name.to_string()),
            "import_mailchimp" => assert_import(mailchimp::decode(&bytes), &name.to_string()),
            "import_ses" => assert_import(ses::decode(&bytes), &name.to_string()),
            "import_json" => {
                if let Err(e) = json::parse(&bytes) {
                    assert!(e.offset <= bytes.len() && e.line >= 1 && e.column >= 1, "{name}: {e:?}");
                }
            }
            "import_contacts" => assert_contacts(&bytes, 1, &name.to_string()),
            other => panic!("{name}: no fuzz target named {other}"),
        }
    }
}

/// A webhook decoder: body bytes in.
type Decode = fn(&[u8]) -> Result<Imported, Error>;

/// A webhook body decodes, or is refused as a whole with `E_IMPORT_INVALID` and a place.
fn assert_import(result: Result<Imported, Error>, what: &str) {
    if let Err(e) = result {
        assert_eq!(e.code(), ErrorCode::ImportInvalid, "{what}: {e}");
        assert!(e.path().is_some_and(|p| !p.is_empty()), "{what}: {e} has no place");
    }
}

/// The vendor an `import_contacts` input's first byte picks (as the fuzz target does).
fn contacts_vendor(selector: u8) -> Vendor {
    match selector % 6 {
        0 => Vendor::Mailchimp(MailchimpStatus::Subscribed),
        1 => Vendor::Mailchimp(MailchimpStatus::Unsubscribed),
        2 => Vendor::Mailchimp(MailchimpStatus::Cleaned),
        3 => Vendor::Hubspot(Box::new(HubspotLabels::english())),
        4 => Vendor::Hubspot(Box::new(HubspotLabels::internal())),
        _ => Vendor::Klaviyo,
    }
}

/// An `import_contacts` input (vendor byte, chunking byte, file): decoded whole and in chunks of `chunk` bytes,
/// the file gives rows or an `E_IMPORT_INVALID` placed in it.
fn assert_contacts(bytes: &[u8], chunk: usize, what: &str) {
    let [selector, _, body @ ..] = bytes else { return };
    let whole = contacts::decode("contacts.csv", contacts_vendor(*selector), body);
    let mut decoder = ContactDecoder::new("contacts.csv", contacts_vendor(*selector));
    let mut out = ContactBatch::default();
    let bytewise =
        body.chunks(chunk).try_for_each(|c| decoder.feed(c, &mut out)).and_then(|()| decoder.finish(&mut out));
    for result in [whole.map(|_| ()), bytewise] {
        if let Err(e) = result {
            assert_eq!(e.code(), ErrorCode::ImportInvalid, "{what}: {e}");
            assert!(e.path().is_some_and(|p| p.starts_with("contacts.csv:")), "{what}: {e} is not placed in the file");
        }
    }
}

/// (target, file) for every file under `dir/<target>/`; none when the directory does not exist yet.
fn crasher_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(targets) = fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for target in targets {
        let target = target.unwrap();
        for file in fs::read_dir(target.path()).unwrap() {
            out.push((target.file_name().to_string_lossy().into_owned(), file.unwrap().path()));
        }
    }
    out.sort();
    out
}

/// The value at `path`; a missing last key of an object is added (as null) first.
fn slot_mut<'a>(mut v: &'a mut Value, path: &[&str]) -> &'a mut Value {
    for key in path {
        v = match v {
            Value::Object(entries) => {
                if !entries.iter().any(|(k, _)| k == key) {
                    entries.push(((*key).to_owned(), Value::Null));
                }
                entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v).unwrap()
            }
            Value::Array(items) => &mut items[key.parse::<usize>().unwrap()],
            other => panic!("no {key} in {other:?}"),
        };
    }
    v
}

#[test]
fn hostile_webhook_bodies_are_import_errors_not_panics() {
    let deep = "[".repeat(10_000);
    let big = format!("{{\"event-data\":{{\"recipient\":\"{}\"}}}}", "a".repeat(MB));
    // Neither JSON nor a form body: every decoder refuses them as a whole.
    let refused_by_all: [&[u8]; 4] = [b"", b"%", b"%zz=1", b"\xFF\xFE{"];
    // Not JSON (or not a JSON object), but a form body Mailchimp may read as odd pairs.
    let not_json: [&[u8]; 5] = [b"\xEF\xBB\xBF", b"null", b"1e400", b"{\"a\":\"\\ud800\"}", deep.as_bytes()];
    let decoders: [(&str, Decode); 5] = [
        ("sendgrid", sendgrid::decode),
        ("mailgun", mailgun::decode),
        ("postmark", postmark::decode),
        ("mailchimp", mailchimp::decode),
        ("ses", ses::decode),
    ];
    for (vendor, decode) in decoders {
        for body in refused_by_all.into_iter().chain(not_json) {
            let what = format!("{vendor} {:?}", String::from_utf8_lossy(&body[..body.len().min(16)]));
            if vendor == "mailchimp" && not_json.contains(&body) {
                assert_import(decode(body), &what);
            } else {
                assert_code(decode(body), ErrorCode::ImportInvalid, &what);
            }
        }
        assert_import(decode(big.as_bytes()), &format!("{vendor} with a 1 MB recipient"));
    }
}

#[test]
fn hostile_contact_exports_are_import_errors_not_panics() {
    let unterminated = format!("Email,Klaviyo ID\n\"{}", "a".repeat(5 * MB));
    for (what, body) in [
        ("empty", &b""[..]),
        ("UTF-16", b"\xFF\xFEE\0m\0a\0i\0l\0\n\0"),
        ("no header line in 1 MiB", &vec![b'a'; MB + 2][..]),
        ("an unterminated quote over 4 MiB", unterminated.as_bytes()),
    ] {
        for selector in 0..6 {
            let mut input = vec![selector, 0];
            input.extend_from_slice(body);
            assert_contacts(&input, 4096, what);
            let err = contacts::decode("contacts.csv", contacts_vendor(selector), body).unwrap_err();
            assert_eq!(err.code(), ErrorCode::ImportInvalid, "{what}");
        }
    }
}
