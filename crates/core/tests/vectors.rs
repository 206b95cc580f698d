//! Runs the shared vectors (tests/vectors/<area>/<behaviour>.json) against the native core.
//!
//! The rules are those of tests/support/vectors.mjs, so every runtime judges a vector the same way:
//! a shape check per file, a partial match of the decision against `expect` (numbers within 1e-9 relative,
//! arrays element-wise with equal length), or of the error against `expectError` (code, path, and the set of
//! (path, code) problem pairs). Each vector's canonical string is written to target/vector-outputs/rust.json,
//! byte-identical to what `JSON.stringify` gives in Node, Chromium and workerd; hence the JS-compatible
//! serializer at the bottom of this file (number formatting per ECMAScript Number::toString).
//!
//! Beyond the JS runners, this one also checks that the state survives its byte form: deciding on
//! `from_bytes(to_bytes(state))` gives the same decision as deciding on the in-memory state, and that
//! `snapshot` (a decision without its look-ahead) says what `decide` says about the instant itself, and that the
//! playbook survives its compiled form (`Playbook::from_compiled(to_compiled(p)) == p`).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use rekindle_core::{decide, ContactState, Error, Event, Playbook, Timestamp, Value};
use serde_json::{Map, Value as Json};

const VECTOR_KEYS: &[&str] = &["description", "domain", "input", "expect", "expectError"];
const INPUT_KEYS: &[&str] = &["playbook", "events", "now"];
const EXPECT_ERROR_KEYS: &[&str] = &["code", "path", "problems"];
const PROBLEM_KEYS: &[&str] = &["path", "code"];
const NUMBER_TOLERANCE: f64 = 1e-9;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("..")
}

/// Every vector file under tests/vectors as (name relative to it with `/`, path), sorted by name.
fn vector_files() -> Result<Vec<(String, PathBuf)>, String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), String> {
        let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let rel = if prefix.is_empty() { name.clone() } else { format!("{prefix}/{name}") };
            if path.is_dir() {
                walk(&path, &rel, out)?;
            } else if name.ends_with(".json") {
                out.push((rel, path));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(&repo_root().join("tests").join("vectors"), "", &mut out)?;
    out.sort();
    Ok(out)
}

fn read_json(path: &Path) -> Result<Json, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The shape check of tests/support/load-vectors.mjs: required keys, exactly one of expect / expectError,
/// no unknown keys. Names the file on failure.
fn check_shape(vector: &Json, name: &str) -> Result<(), String> {
    let fail = |why: &str| Err(format!("tests/vectors/{name}: {why}"));
    let Some(top) = vector.as_object() else { return fail("a vector must be a JSON object") };
    if let Some(key) = unknown_key(top, VECTOR_KEYS) {
        return fail(&format!("unknown key {key}"));
    }
    if top.get("description").and_then(Json::as_str).is_none_or(|d| d.trim().is_empty()) {
        return fail("description must be a non-empty string");
    }
    let domain_ok = top
        .get("domain")
        .and_then(Json::as_array)
        .is_some_and(|ids| !ids.is_empty() && ids.iter().all(|d| d.as_str().is_some_and(is_domain_id)));
    if !domain_ok {
        return fail("domain must be a non-empty array of DOMAIN ids like \"D16\"");
    }
    let Some(input) = top.get("input").and_then(Json::as_object) else { return fail("input must be an object") };
    if let Some(key) = unknown_key(input, INPUT_KEYS) {
        return fail(&format!("unknown key input.{key}"));
    }
    if !input.get("playbook").is_some_and(|p| p.is_string() || p.is_object()) {
        return fail("input.playbook must be an object or a repository-relative path");
    }
    if input.get("events").is_some_and(|e| !e.is_array()) {
        return fail("input.events must be an array");
    }
    if input.get("now").is_some_and(|n| !is_integer(n)) {
        return fail("input.now must be an integer number of milliseconds");
    }
    match (top.get("expect"), top.get("expectError")) {
        (Some(expect), None) => {
            if !expect.is_object() {
                return fail("expect must be an object (a partial decision)");
            }
            if !input.contains_key("events") || !input.contains_key("now") {
                return fail("a decision vector needs input.events and input.now");
            }
        }
        (None, Some(expected)) => {
            let Some(e) = expected.as_object() else { return fail("expectError must be an object") };
            if let Some(key) = unknown_key(e, EXPECT_ERROR_KEYS) {
                return fail(&format!("unknown key expectError.{key}"));
            }
            if !e.get("code").is_some_and(Json::is_string) {
                return fail("expectError.code must be a string");
            }
            if e.get("path").is_some_and(|p| !p.is_string() && !p.is_null()) {
                return fail("expectError.path must be a string or null");
            }
            if let Some(problems) = e.get("problems") {
                let Some(problems) = problems.as_array() else { return fail("expectError.problems must be an array") };
                for (i, p) in problems.iter().enumerate() {
                    let Some(p) = p.as_object() else {
                        return fail(&format!("expectError.problems[{i}] must be an object"));
                    };
                    if let Some(key) = unknown_key(p, PROBLEM_KEYS) {
                        return fail(&format!("unknown key expectError.problems[{i}].{key}"));
                    }
                    if !p.get("path").is_some_and(Json::is_string) || !p.get("code").is_some_and(Json::is_string) {
                        return fail(&format!("expectError.problems[{i}] needs string path and code"));
                    }
                }
            }
        }
        _ => return fail("give exactly one of expect and expectError"),
    }
    Ok(())
}

fn unknown_key<'a>(object: &'a Map<String, Json>, known: &[&str]) -> Option<&'a str> {
    object.keys().map(String::as_str).find(|k| !known.contains(k))
}

fn is_domain_id(id: &str) -> bool {
    id.strip_prefix('D').is_some_and(|n| !n.is_empty() && !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()))
}

fn is_integer(value: &Json) -> bool {
    value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
}

/// What one vector produced: its canonical string and every way it missed its expectation.
struct Outcome {
    canonical: String,
    failures: Vec<String>,
}

fn run_vector(vector: &Json) -> Result<Outcome, String> {
    let input = vector.get("input").ok_or("no input")?;
    let playbook_json = match input.get("playbook") {
        Some(Json::String(rel)) => read_json(&repo_root().join(rel))?,
        Some(p) => p.clone(),
        None => return Err("no input.playbook".into()),
    };
    let mut failures = Vec::new();
    let result = evaluate(&playbook_json, input.get("events"), input.get("now"), &mut failures)?;
    let canonical = match (result, vector.get("expectError")) {
        (Ok(decision), expected_error) => {
            if let Some(expected) = expected_error {
                let code = expected.get("code").and_then(Json::as_str).unwrap_or("?");
                let got = if decision.is_null() { "no error" } else { "a decision" };
                failures.push(format!("expected error {code}, got {got}"));
            } else if let Some(expect) = vector.get("expect") {
                partial_match(expect, &decision, "", &mut failures);
            }
            js_stringify(&decision)
        }
        (Err(error), expected_error) => {
            let canonical = canonical_error(&error);
            match expected_error {
                Some(expected) => error_match(expected, &canonical, &mut failures),
                None => failures.push(format!(
                    "expected a decision, got {} at {:?}: {error}",
                    error.code().as_str(),
                    error.path()
                )),
            }
            js_stringify(&canonical)
        }
    };
    Ok(Outcome { canonical, failures })
}

/// Parses and evaluates; `Ok(Err(e))` is a rekindle error (compared to expectError), `Err` a harness failure.
fn evaluate(
    playbook_json: &Json,
    events: Option<&Json>,
    now: Option<&Json>,
    failures: &mut Vec<String>,
) -> Result<Result<Json, Error>, String> {
    let to_value =
        |json: &Json| serde_json::from_value::<Value>(json.clone()).map_err(|e| format!("to rekindle Value: {e}"));
    let playbook = match Playbook::parse(&to_value(playbook_json)?) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    // The browser and edge builds read the compiled form only: it must be the same playbook to the bit.
    match Playbook::from_compiled(&playbook.to_compiled()) {
        Ok(read) if read == playbook => {}
        Ok(read) => failures.push(format!("from_compiled(to_compiled(playbook)) differs: {read:?}")),
        Err(e) => failures.push(format!("from_compiled(to_compiled(playbook)) failed: {e}")),
    }
    let (Some(events), Some(now)) = (events, now) else {
        failures.push("the playbook loaded, but the vector gives no events/now to evaluate".into());
        return Ok(Ok(Json::Null));
    };
    let events = match Event::parse_list(&to_value(events)?, "events") {
        Ok(e) => e,
        Err(e) => return Ok(Err(e)),
    };
    let now = match Timestamp::parse(&to_value(now)?, "now") {
        Ok(n) => n,
        Err(e) => return Ok(Err(e)),
    };
    let mut state = ContactState::new();
    state.fold(&playbook, &events);
    let decision = decide(&playbook, &state, now);
    match ContactState::from_bytes(&state.to_bytes()) {
        Ok(restored) if decide(&playbook, &restored, now) == decision => {}
        Ok(restored) => failures.push(format!(
            "decide(from_bytes(to_bytes(state))) differs from decide(state): {:?}",
            decide(&playbook, &restored, now)
        )),
        Err(e) => failures.push(format!("from_bytes(to_bytes(state)) failed: {e}")),
    }
    let snapshot = rekindle_core::snapshot(&playbook, &state, now);
    if snapshot != decision.clone().into_snapshot() {
        failures.push(format!("snapshot(state) differs from decide(state) without its look-ahead: {snapshot:?}"));
    }
    let cta = rekindle_core::choose_cta(&playbook, &state, now);
    if cta != decision.cta {
        failures.push(format!("choose_cta gave {cta:?}, decide's cta is {:?}", decision.cta));
    }
    serde_json::to_value(&decision).map(Ok).map_err(|e| format!("serialising the decision: {e}"))
}

/// `{ code, path, message, problems: [{path, code, message}] }`, the shape every runtime prints.
fn canonical_error(error: &Error) -> Json {
    let problems = error
        .problems()
        .iter()
        .map(|p| {
            let code = serde_json::to_value(p.code).unwrap_or(Json::Null);
            Json::Object(Map::from_iter([
                ("path".to_owned(), Json::String(p.path.clone())),
                ("code".to_owned(), code),
                ("message".to_owned(), Json::String(p.message.clone())),
            ]))
        })
        .collect();
    Json::Object(Map::from_iter([
        ("code".to_owned(), Json::String(error.code().as_str().to_owned())),
        ("path".to_owned(), error.path().map_or(Json::Null, Json::String)),
        ("message".to_owned(), Json::String(error.to_string())),
        ("problems".to_owned(), Json::Array(problems)),
    ]))
}

fn error_match(expected: &Json, actual: &Json, failures: &mut Vec<String>) {
    for key in ["code", "path"] {
        if let Some(want) = expected.get(key) {
            let got = actual.get(key).unwrap_or(&Json::Null);
            if want != got {
                failures.push(format!("{key}: expected {}, got {}", show(want), show(got)));
            }
        }
    }
    if let Some(want) = expected.get("problems").and_then(Json::as_array) {
        let pair = |p: &Json| {
            let field = |k: &str| p.get(k).and_then(Json::as_str).unwrap_or("").to_owned();
            format!("{} {}", field("path"), field("code"))
        };
        let want: Vec<String> = want.iter().map(pair).collect();
        let got: Vec<String> =
            actual.get("problems").and_then(Json::as_array).map(|a| a.iter().map(pair).collect()).unwrap_or_default();
        for p in want.iter().filter(|p| !got.contains(p)) {
            failures.push(format!("problems: missing ({p})"));
        }
        let mut seen = Vec::new();
        for p in got.iter().filter(|p| !want.contains(p)) {
            if !seen.contains(&p) {
                failures.push(format!("problems: unexpected ({p})"));
                seen.push(p);
            }
        }
    }
}

/// The partial match of tests/support/vectors.mjs `partialMatch`, with the same messages.
fn partial_match(expected: &Json, actual: &Json, path: &str, failures: &mut Vec<String>) {
    let at = if path.is_empty() { "(root)" } else { path };
    match expected {
        Json::Number(want) => {
            let want = want.as_f64().unwrap_or(f64::NAN);
            // Whole numbers (instants, counts) match exactly; fractions (decayed scores) within the tolerance.
            let close = actual.as_f64().is_some_and(|got| {
                if want.fract() == 0.0 {
                    got == want
                } else {
                    (got - want).abs() <= NUMBER_TOLERANCE * want.abs().max(1.0)
                }
            });
            if !close {
                failures.push(format!("{at}: expected {}, got {}", js_number(want), show(actual)));
            }
        }
        Json::Array(want) => match actual.as_array() {
            None => failures.push(format!("{at}: expected an array, got {}", show(actual))),
            Some(got) if got.len() != want.len() => {
                failures.push(format!("{at}: expected {} items, got {}: {}", want.len(), got.len(), show(actual)));
            }
            Some(got) => {
                for (i, (w, g)) in want.iter().zip(got).enumerate() {
                    partial_match(w, g, &format!("{path}[{i}]"), failures);
                }
            }
        },
        Json::Object(want) => match actual.as_object() {
            None => failures.push(format!("{at}: expected an object, got {}", show(actual))),
            Some(got) => {
                for (key, w) in want {
                    let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                    match got.get(key) {
                        Some(g) => partial_match(w, g, &child, failures),
                        None => failures.push(format!("{child}: expected {}, got nothing (missing)", show(w))),
                    }
                }
            }
        },
        _ => {
            if expected != actual {
                failures.push(format!("{at}: expected {}, got {}", show(expected), show(actual)));
            }
        }
    }
}

fn show(value: &Json) -> String {
    let text = js_stringify(value);
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

// ---- JSON.stringify, byte for byte ------------------------------------------------------------------------

/// `JSON.stringify(value)` as JS prints it: keys in insertion order (serde_json's `preserve_order`), no spaces.
fn js_stringify(value: &Json) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &Json, out: &mut String) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        // Every JS number is a double: integers go through f64 too, as they would in JS.
        Json::Number(n) => out.push_str(&n.as_f64().map_or_else(|| "null".to_owned(), js_number)),
        Json::String(s) => out.push_str(&js_string(s)),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Json::Object(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&js_string(key));
                out.push(':');
                write_json(item, out);
            }
            out.push('}');
        }
    }
}

/// A string literal as `JSON.stringify` writes it: `"` and `\` escaped, the short escapes for
/// \b \f \n \r \t, other controls as lower-case \u00xx, everything else verbatim.
fn js_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c)); // writing to a String cannot fail
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// ECMAScript Number::toString(10) (ECMA-262 §6.1.6.1.20): shortest round-trip digits, plain notation for
/// decimal exponents in (−7, 21], else `d.ddde±x`. NaN and infinities print `null`, as in JSON.stringify.
fn js_number(x: f64) -> String {
    if !x.is_finite() {
        return "null".to_owned();
    }
    if x == 0.0 {
        return "0".to_owned(); // also −0, as JSON.stringify prints it
    }
    let sign = if x < 0.0 { "-" } else { "" };
    // Rust's `{:e}` gives the shortest digits that round-trip: "1.2345e20", "5e-324".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let k = i64::try_from(digits.len()).unwrap_or(i64::MAX); // number of significant digits
    let n = exponent + 1; // value = 0.d1d2…dk × 10^n
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat(usize::try_from(n - k).unwrap_or(0)))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(usize::try_from(n).unwrap_or(0));
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat(usize::try_from(-n).unwrap_or(0)))
    } else {
        let e = n - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{e_sign}{}", e.abs())
        } else {
            format!("{first}.{rest}e{e_sign}{}", e.abs())
        }
    };
    format!("{sign}{body}")
}

/// The text of target/vector-outputs/rust.json: `JSON.stringify(sortedOutputs, null, 2) + "\n"`, exactly as
/// tests/support/vectors.mjs `outputsFileText` writes it.
fn outputs_file_text(outputs: &[(String, String)]) -> String {
    if outputs.is_empty() {
        return "{}\n".to_owned();
    }
    let lines: Vec<String> = outputs.iter().map(|(k, v)| format!("  {}: {}", js_string(k), js_string(v))).collect();
    format!("{{\n{}\n}}\n", lines.join(",\n"))
}

// ---- the tests -------------------------------------------------------------------------------------------

#[test]
fn every_shared_vector_gives_its_expected_decision_or_error() -> Result<(), String> {
    let mut outputs = Vec::new();
    let mut report = Vec::new();
    for (name, path) in vector_files()? {
        let vector = read_json(&path)?;
        if let Err(why) = check_shape(&vector, &name) {
            report.push(why);
            continue;
        }
        match run_vector(&vector) {
            Ok(outcome) => {
                if !outcome.failures.is_empty() {
                    report.push(format!("{name}:\n    {}", outcome.failures.join("\n    ")));
                }
                outputs.push((name, outcome.canonical));
            }
            Err(why) => report.push(format!("{name}: {why}")),
        }
    }
    outputs.sort();
    let dir = repo_root().join("target").join("vector-outputs");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join("rust.json");
    fs::write(&file, outputs_file_text(&outputs)).map_err(|e| format!("{}: {e}", file.display()))?;
    assert!(report.is_empty(), "{} of {} vectors failed:\n{}", report.len(), outputs.len(), report.join("\n"));
    Ok(())
}

#[test]
fn there_are_at_least_25_shared_vectors() -> Result<(), String> {
    let count = vector_files()?.len();
    assert!(count >= 25, "only {count} vectors under tests/vectors");
    Ok(())
}

#[test]
fn js_number_matches_number_prototype_to_string() {
    let cases: &[(f64, &str)] = &[
        (0.1 + 0.2, "0.30000000000000004"),
        (1e21, "1e+21"),
        (1.5e-7, "1.5e-7"),
        (123_456_789_012_345_680_000.0, "123456789012345680000"),
        (-0.0, "0"),
        (5e-324, "5e-324"),
        (0.0, "0"),
        (1.0, "1"),
        (-35.0, "-35"),
        (1_764_547_200_000.0, "1764547200000"),
        (21.213203435596427, "21.213203435596427"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-2.5e-8, "-2.5e-8"),
        (1e20, "100000000000000000000"),
        (1.5e21, "1.5e+21"),
        (123.456, "123.456"),
        (f64::NAN, "null"),
        (f64::INFINITY, "null"),
    ];
    for &(x, want) in cases {
        assert_eq!(js_number(x), want, "js_number({x:e})");
    }
}

#[test]
fn js_stringify_matches_json_stringify() {
    let value: Json = serde_json::json!({ "b": 1.0, "a": [true, null, "q\"\\\n\t\u{1}é"], "c": { "z": 0.5 } });
    assert_eq!(js_stringify(&value), r#"{"b":1,"a":[true,null,"q\"\\\n\t\u0001é"],"c":{"z":0.5}}"#);
}

#[test]
fn outputs_file_matches_json_stringify_with_two_space_indent() {
    let outputs = [("a/x.json".to_owned(), "{\"k\":1}".to_owned()), ("b/y.json".to_owned(), "null".to_owned())];
    assert_eq!(outputs_file_text(&outputs), "{\n  \"a/x.json\": \"{\\\"k\\\":1}\",\n  \"b/y.json\": \"null\"\n}\n");
    assert_eq!(outputs_file_text(&[]), "{}\n");
}

#[test]
fn partial_match_compares_listed_keys_and_reports_paths() {
    let mut failures = Vec::new();
    let expected = serde_json::json!({ "scores": { "intent": 5 }, "reasons": [{ "kind": "a" }] });
    let actual = serde_json::json!({ "scores": { "intent": 5.0001, "fit": 0 }, "reasons": [{ "kind": "a", "x": 1 }] });
    partial_match(&expected, &actual, "", &mut failures);
    assert_eq!(failures, ["scores.intent: expected 5, got 5.0001"]);
    let mut close = Vec::new();
    partial_match(
        &serde_json::json!({ "a": 1.5e12 + 0.5 }),
        &serde_json::json!({ "a": 1.5e12 + 0.5001 }),
        "",
        &mut close,
    );
    assert!(close.is_empty(), "fractions get the relative tolerance: {close:?}");
    let mut exact = Vec::new();
    partial_match(
        &serde_json::json!({ "at": 1_764_547_200_000_i64 }),
        &serde_json::json!({ "at": 1_764_547_200_001_i64 }),
        "",
        &mut exact,
    );
    assert_eq!(exact, ["at: expected 1764547200000, got 1764547200001"], "instants match to the millisecond");
}
