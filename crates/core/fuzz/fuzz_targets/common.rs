//! Shared oracles for the fuzz targets: the saas playbook, and what every error must carry.
#![allow(dead_code)]

use std::sync::OnceLock;

use rekindle_core::import::{Diagnostic, Imported};
use rekindle_core::{decide, ContactState, Error, ErrorCode, Event, Playbook, Span, Timestamp, Value};

/// examples/playbooks/saas.json, embedded so a target needs no files at run time.
pub const SAAS_JSON: &str = include_str!("../../../../examples/playbooks/saas.json");

/// The saas playbook as a value tree (for structure-aware mutation).
pub fn saas_value() -> Value {
    serde_json::from_str(SAAS_JSON).expect("examples/playbooks/saas.json is JSON")
}

/// The saas playbook, parsed.
pub fn saas() -> Playbook {
    Playbook::parse(&saas_value()).expect("examples/playbooks/saas.json is a valid playbook")
}

/// The saas playbook, parsed once per process.
pub fn saas_cached() -> &'static Playbook {
    static SAAS: OnceLock<Playbook> = OnceLock::new();
    SAAS.get_or_init(saas)
}

/// An error must have the expected stable code, a message, and for a playbook every problem must be located
/// and explained; an input or import error must say where.
pub fn assert_error(err: &Error, expected: ErrorCode) {
    assert_eq!(err.code(), expected, "unexpected error code for {err}");
    assert!(ErrorCode::ALL.contains(&err.code()));
    assert!(!err.to_string().is_empty(), "an error without a message");
    match err.code() {
        ErrorCode::PlaybookInvalid => {
            assert!(!err.problems().is_empty(), "E_PLAYBOOK_INVALID without problems");
            for p in err.problems() {
                assert!(!p.code.as_str().is_empty());
                assert!(!p.message.is_empty(), "problem {:?} at {:?} has no message", p.code, p.path);
            }
            assert_eq!(err.path(), err.problems().first().map(|p| p.path.clone()));
        }
        ErrorCode::InputInvalid => assert!(err.path().is_some(), "E_INPUT_INVALID without a path"),
        ErrorCode::ImportInvalid => {
            assert!(err.path().is_some_and(|p| !p.is_empty()), "E_IMPORT_INVALID without a place: {err}");
        }
        _ => {}
    }
}

/// Instants worth deciding at for a state: its own latest event, around it, and the ends of the range.
pub fn nows(state: &ContactState) -> Vec<Timestamp> {
    let base = state.updated_at().unwrap_or(Timestamp::EPOCH);
    let mut out = vec![Timestamp::EPOCH, base, base.plus(Span::days(1)), base.plus(Span::days(400))];
    out.extend(Timestamp::from_ms(-8_640_000_000_000_000));
    out.extend(Timestamp::from_ms(8_640_000_000_000_000));
    out
}

/// Decides at every instant of [`nows`], checks that the decision serialises and that the state survives its
/// byte form.
pub fn exercise(playbook: &Playbook, state: &ContactState) {
    for now in nows(state) {
        let d = decide(playbook, state, now);
        let s = &d.scores;
        assert!(!(s.fit.is_nan() || s.intent.is_nan() || s.total.is_nan()), "a NaN score at {now:?}: {s:?}");
        serde_json::to_string(&d).expect("a decision serialises");
    }
    let _ = state.view(playbook);
    let bytes = state.to_bytes();
    let back = ContactState::from_bytes(&bytes).expect("to_bytes output decodes");
    assert_eq!(&back, state, "state changed through its byte form");
}

/// A few ordinary events, to fold on top of a fuzzed state.
pub fn ordinary_events() -> Vec<Event> {
    let v: Value = serde_json::from_str(
        r#"[{"at": 1764547200000, "kind": "page_view", "props": {"path": "/pricing"}},
            {"at": 1764550800000, "kind": "form_submit", "props": {"form": "demo"}},
            {"at": 1764550800000, "kind": "profile", "props": {"role": "CTO", "company_size": 300}}]"#,
    )
    .expect("static JSON");
    Event::parse_list(&v, "events").expect("static events parse")
}

/// The stable diagnostic codes of the webhook decoders (`core::import` module docs).
pub const WEBHOOK_CODES: &[&str] = &[
    "wrong_type",
    "missing_field",
    "invalid_email",
    "bad_timestamp",
    "timestamp_looks_like_ms",
    "unknown_value",
    "invalid_json",
];

/// A diagnostic has a stable code and is explained (its place `at` may be empty: the body's root record).
pub fn assert_diagnostic(d: &Diagnostic, codes: &[&str]) {
    assert!(codes.contains(&d.code), "unknown diagnostic code {:?} at {:?}", d.code, d.at);
    assert!(!d.message.is_empty(), "diagnostic {:?} at {:?} without a message", d.code, d.at);
}

/// The oracle shared by the webhook targets: decoding is a pure function of the body and never panics; a body
/// unusable as a whole is an `E_IMPORT_INVALID` with a place; otherwise every diagnostic and skip is coded and
/// explained, every event names the vendor, has an idempotency key and a trimmed, lower-cased contact, and the
/// events fold (as one batch) and decide with the saas playbook.
pub fn check_webhook(body: &[u8], provider: &str, decode: fn(&[u8]) -> Result<Imported, Error>) -> Option<Imported> {
    let first = decode(body);
    assert_eq!(first, decode(body), "decoding the same body twice gave different results");
    let imported = match first {
        Ok(imported) => imported,
        Err(err) => {
            assert_error(&err, ErrorCode::ImportInvalid);
            return None;
        }
    };
    for d in &imported.diagnostics {
        assert_diagnostic(d, WEBHOOK_CODES);
    }
    for s in &imported.skipped {
        assert!(!s.reason.is_empty(), "a skip without a reason: {s:?}");
    }
    for e in &imported.events {
        assert!(!e.id.is_empty(), "an imported event without an idempotency key: {e:?}");
        assert_eq!(e.contact, e.contact.trim().to_lowercase(), "contact not normalised");
        assert_eq!(e.prop_str("provider"), Some(provider), "props.provider of {e:?}");
    }
    let pb = saas_cached();
    let mut state = ContactState::new();
    state.fold(pb, &imported.events);
    exercise(pb, &state);
    Some(imported)
}
