//! A decision's CTA names why each candidate before the chosen one was passed over, so it is valid only until one
//! of those reasons changes, even when the chosen id does not.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing, missing_docs)]

use rekindle_core::cta::SkipWhy;
use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};

const NOW: i64 = 1_764_547_200_000; // 2025-12-01T00:00:00Z
const HOUR: i64 = 3_600_000;

#[test]
fn a_skipped_candidate_whose_when_stops_holding_under_its_unless_ends_the_decision() {
    // Pricing 20 h ago, a deal opened 1 h ago: "demo" (pricing within 1 d, unless a deal is open) is passed over
    // as suppressed, and from now + 4 h, when the visit leaves the window, as condition_false; "guide" stays.
    let json = serde_json::json!({ "version": 1,
        "signals": { "pricing": { "kind": "page_view", "match": { "path": "/pricing" } } },
        "ctas": { "candidates": [
            { "id": "demo", "when": { "signal": "pricing", "within": "1d" }, "unless": { "deal": "open" } },
            { "id": "guide" } ] } });
    let pb = Playbook::parse(&serde_json::from_value::<Value>(json).unwrap()).unwrap();
    let events = serde_json::json!([
        { "id": "a", "at": NOW - 20 * HOUR, "kind": "page_view", "props": { "path": "/pricing" } },
        { "id": "b", "at": NOW - HOUR, "kind": "sales_status", "props": { "status": "open" } }
    ]);
    let mut s = ContactState::new();
    s.fold(&pb, &Event::parse_list(&serde_json::from_value::<Value>(events).unwrap(), "events").unwrap());
    let at = |t: i64| decide(&pb, &s, Timestamp::from_ms(t).unwrap());
    let d = at(NOW);
    let cta = d.cta.as_ref().unwrap();
    assert_eq!((cta.id.as_str(), cta.skipped[0].why), ("guide", SkipWhy::Suppressed));
    assert_eq!(d.valid_until.map(Timestamp::ms), Some(NOW + 4 * HOUR), "was 90 d after the visit, when it cools");
    let later = at(NOW + 4 * HOUR).cta.unwrap();
    assert_eq!((later.id.as_str(), later.skipped[0].why), ("guide", SkipWhy::ConditionFalse));
}
