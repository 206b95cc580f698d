//! A lost-data audit of the webhook decoders (`rekindle_core::import`), as properties. SendGrid posts batches:
//! a generated batch mixes folded events, skipped delivery records and malformed records (one fault each), and
//! every record must come out exactly once — an event, a skipped entry at `[i]`, or a diagnostic at `[i]` or
//! `[i].<field>` with the right code — with its values intact: the contact trimmed and lower-cased, the time to
//! the millisecond (integer and fractional seconds, the seconds-or-milliseconds edge), the vendor's id, and every
//! other scalar field as `raw.<key>` (strings, booleans, numbers as JSON reads them, arrays of strings). The
//! single-record vendors (Mailgun, Postmark, SES, Mailchimp) get the same check on one record per body: one
//! event, skip or diagnostic, with the time in their own format (float seconds, ISO 8601 with any offset and
//! fraction digits, `YYYY-MM-DD HH:MM:SS`) and the email as written.
//!
//! Deliberate choices, documented in `import.rs` and the vendor modules and not flagged here: JSON numbers are
//! doubles (as in JS), so a 20-digit custom argument keeps a double's digits; nested objects and arrays that are
//! not all strings are left out of `raw.*`; an array of strings is kept joined with `,`; an id twice in a batch
//! gives two events (deduplication is the caller's); seconds of 10^11 or more (before 10^14) are a
//! `timestamp_looks_like_ms` diagnostic, never a guess; instants past ±9·10^9 s are out of range; microsecond
//! fractions past 2^32 s (2106) are finer than a double holds, so only millisecond fractions are generated there.
//!
//! Cases: 64 by default (a few seconds in debug); `PROPTEST_CASES` raises them (thousands in release to hunt).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use proptest::prelude::*;
use rekindle_core::import::{mailchimp, mailgun, postmark, sendgrid, ses, Imported};
use rekindle_core::{Event, EventKind, Scalar};

mod support;
use support::civil;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64)
}

fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

fn prop<'a>(e: &'a Event, key: &str) -> Option<&'a Scalar> {
    e.props.get(key).and_then(Option::as_ref)
}

/// An email as a vendor may write it (case, spaces) and its normalised form.
fn email() -> impl Strategy<Value = (String, String)> {
    let local = prop::collection::vec(prop::sample::select(vec!["a", "B", "ñ", "Ö", ".x", "+tag", "_", "7"]), 1..5);
    let domain = prop::sample::select(vec!["example.com", "EXAMPLE.org", "bücher.de", "x.co.uk"]);
    (local, domain, prop::sample::select(vec!["", " ", "\t"])).prop_map(|(l, d, pad)| {
        let raw = format!("{pad}{}@{d}{pad}", l.concat());
        let norm = raw.trim().to_lowercase();
        (raw, norm)
    })
}

/// Epoch seconds as JSON text and the millisecond they mean: whole seconds, milliseconds or microseconds written
/// as a fraction (microseconds are rounded, then floored to the millisecond), from 1970 to 2223.
fn seconds() -> impl Strategy<Value = (String, i64)> {
    (0i64..8_000_000_000, 0usize..4, 0i64..1_000_000).prop_map(|(s, digits, micros)| match digits {
        0 => (s.to_string(), s * 1000),
        1 => (format!("{s}.{:03}", micros / 1000), s * 1000 + micros / 1000),
        // A double holds microseconds exactly enough to round back only below 2^32 s (2106): past it the digits
        // are not in the JSON number as parsed (documented: numbers are doubles).
        2 => {
            let s = s % (1 << 32);
            (format!("{s}.{micros:06}"), s * 1000 + micros / 1000)
        }
        _ => (format!("{s}.0"), s * 1000),
    })
}

/// A custom argument: its JSON text and what `raw.<key>` must hold (`None`: left out, as documented).
fn custom() -> impl Strategy<Value = (String, Option<Scalar>)> {
    prop_oneof![
        "[a-zA-Z0-9 ,\"\\\\é😀]{0,12}".prop_map(|s| (q(&s), Some(Scalar::Str(s)))),
        any::<bool>().prop_map(|b| (b.to_string(), Some(Scalar::Bool(b)))),
        (-1_000_000i64..1_000_000).prop_map(|n| (n.to_string(), Some(Scalar::Num(n as f64)))),
        "-?[1-9][0-9]{0,25}(\\.[0-9]{1,8})?(e[0-9]{1,2})?".prop_map(|t| {
            let n: f64 = t.parse().unwrap();
            (t, Some(Scalar::Num(n)))
        }),
        prop::collection::vec("[a-z,]{0,4}", 0..4).prop_map(|v| {
            let json = format!("[{}]", v.iter().map(|s| q(s)).collect::<Vec<_>>().join(","));
            (json, Some(Scalar::Str(v.join(","))))
        }),
        Just(("{\"a\":{\"b\":1}}".to_string(), None)),
        Just(("[1,2]".to_string(), None)),
        Just(("null".to_string(), None)),
    ]
}

/// What a SendGrid record must become.
#[derive(Debug, Clone)]
enum Want {
    Event {
        kind: EventKind,
        contact: String,
        ms: i64,
        id: Option<String>,
        raw: Vec<(String, Option<Scalar>)>,
    },
    Skip(String),
    /// Field (empty: the record itself) and code.
    Diag(&'static str, &'static str),
}

/// A record: its JSON text and what it must become.
fn sendgrid_record() -> impl Strategy<Value = (String, Want)> {
    let folded = prop::sample::select(vec![
        ("open", EventKind::EmailOpen),
        ("Click", EventKind::EmailClick),
        ("bounce", EventKind::EmailBounce),
        ("spamreport", EventKind::SpamComplaint),
        ("unsubscribe", EventKind::Unsubscribe),
        ("group_unsubscribe", EventKind::Unsubscribe),
        ("group_resubscribe", EventKind::Subscribe),
    ]);
    let keys = prop::sample::select(vec!["user_id", "plan", "ip", "useragent", "category", "reason", "status"]);
    let customs = prop::collection::vec((keys, custom()), 0..4);
    let good = (folded, email(), seconds(), prop::option::of("[A-Za-z0-9_-]{0,22}"), customs).prop_map(
        |((name, kind), (raw, contact), (ts, ms), id, customs)| {
            let mut json = format!("{{\"event\":{},\"email\":{},\"timestamp\":{ts}", q(name), q(&raw));
            if let Some(id) = &id {
                json.push_str(&format!(",\"sg_event_id\":{}", q(id)));
            }
            let mut want_raw: Vec<(String, Option<Scalar>)> = Vec::new();
            for (k, (text, value)) in customs {
                if want_raw.iter().any(|(seen, _)| seen == k) {
                    continue; // one value per key
                }
                json.push_str(&format!(",{}:{text}", q(k)));
                want_raw.push((k.to_string(), value));
            }
            json.push('}');
            let id = id.filter(|id| !id.is_empty()); // an empty id is none: the fingerprint key
            (json, Want::Event { kind, contact, ms, id, raw: want_raw })
        },
    );
    let skipped = prop::sample::select(vec!["processed", "delivered", "Deferred", "dropped", "test_event"])
        .prop_map(|name| (format!("{{\"event\":{},\"email\":\"not an email\"}}", q(name)), Want::Skip(name.into())));
    let open =
        |extra: &str| format!("{{\"event\":\"open\",\"email\":\"a@example.com\",\"timestamp\":1513299569{extra}}}");
    let faults = prop::sample::select(vec![
        ("42".to_string(), Want::Diag("", "wrong_type")),
        ("[]".to_string(), Want::Diag("", "wrong_type")),
        ("{\"email\":\"a@example.com\",\"timestamp\":1}".to_string(), Want::Diag("event", "missing_field")),
        ("{\"event\":7}".to_string(), Want::Diag("event", "wrong_type")),
        (
            "{\"event\":\"bounce\",\"type\":\"weird\",\"email\":\"a@example.com\",\"timestamp\":1}".to_string(),
            Want::Diag("type", "unknown_value"),
        ),
        ("{\"event\":\"open\",\"timestamp\":1}".to_string(), Want::Diag("email", "missing_field")),
        ("{\"event\":\"open\",\"email\":\"a@b@c\",\"timestamp\":1}".to_string(), Want::Diag("email", "invalid_email")),
        ("{\"event\":\"open\",\"email\":\"a@example.com\"}".to_string(), Want::Diag("timestamp", "missing_field")),
        (open("").replace("1513299569", "1513299569000"), Want::Diag("timestamp", "timestamp_looks_like_ms")),
        (open("").replace("1513299569", "99999999999999.5"), Want::Diag("timestamp", "timestamp_looks_like_ms")),
        (open("").replace("1513299569", "100000000000"), Want::Diag("timestamp", "timestamp_looks_like_ms")),
        (open("").replace("1513299569", "1e300"), Want::Diag("timestamp", "bad_timestamp")),
        (open("").replace("1513299569", "\"1513299569\""), Want::Diag("timestamp", "wrong_type")),
        (open(",\"sg_machine_open\":\"yes\""), Want::Diag("sg_machine_open", "wrong_type")),
        (open(",\"sg_event_id\":5"), Want::Diag("sg_event_id", "wrong_type")),
        (open(",\"url\":{}"), Want::Diag("url", "wrong_type")),
    ]);
    prop_oneof![6 => good, 2 => skipped, 2 => faults]
}

fn check_sendgrid(records: &[(String, Want)], out: &Imported) {
    assert_eq!(
        out.events.len() + out.skipped.len() + out.diagnostics.len(),
        records.len(),
        "every record is accounted for once: {out:?}"
    );
    let (mut events, mut skipped, mut diags) = (out.events.iter(), out.skipped.iter(), out.diagnostics.iter());
    for (i, (json, want)) in records.iter().enumerate() {
        match want {
            Want::Event { kind, contact, ms, id, raw } => {
                let e = events.next().unwrap_or_else(|| panic!("[{i}] {json}: no event"));
                assert_eq!((&e.kind, &e.contact, e.at.ms()), (kind, contact, *ms), "[{i}] {json}");
                match id {
                    Some(id) => assert_eq!(&e.id, id),
                    None => assert!(e.id.starts_with("sendgrid:"), "{}", e.id),
                }
                for (k, v) in raw {
                    assert_eq!(prop(e, &format!("raw.{k}")), v.as_ref(), "[{i}] raw.{k} of {json}");
                }
            }
            Want::Skip(name) => {
                let s = skipped.next().unwrap_or_else(|| panic!("[{i}] {json}: not skipped"));
                assert_eq!((s.at.as_str(), s.provider_kind.as_str()), (format!("[{i}]").as_str(), name.as_str()));
            }
            Want::Diag(field, code) => {
                let d = diags.next().unwrap_or_else(|| panic!("[{i}] {json}: no diagnostic"));
                let at = if field.is_empty() { format!("[{i}]") } else { format!("[{i}].{field}") };
                assert_eq!((d.at.as_str(), d.code), (at.as_str(), *code), "{json}: {}", d.message);
            }
        }
    }
}

/// An ISO 8601 instant as a vendor writes it and the millisecond it means: any offset (or `Z`), 0–9 fraction
/// digits (floored to the millisecond), from 1970 to 2100.
fn iso() -> impl Strategy<Value = (String, i64)> {
    (0i64..4_102_444_800, "[0-9]{0,9}", -14 * 60i64..=14 * 60, any::<bool>()).prop_map(|(secs, frac, offset, z)| {
        let offset = if z { 0 } else { offset };
        let (y, mo, d, h, mi, s) = civil((secs + offset * 60) * 1000);
        let zone = match (z, offset < 0) {
            (true, _) => "Z".to_string(),
            (false, negative) => {
                format!("{}{:02}:{:02}", if negative { '-' } else { '+' }, offset.abs() / 60, offset.abs() % 60)
            }
        };
        let dot = if frac.is_empty() { String::new() } else { format!(".{frac}") };
        let ms = secs * 1000 + format!("{frac:0<3}")[..3].parse::<i64>().unwrap();
        (format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{dot}{zone}"), ms)
    })
}

/// One record's outcome: `(contact, ms)` of each event, and the count of skipped and diagnostics.
fn outcome(out: &Imported) -> (Vec<(String, i64)>, usize, usize) {
    let events = out.events.iter().map(|e| (e.contact.clone(), e.at.ms())).collect();
    (events, out.skipped.len(), out.diagnostics.len())
}

/// `%XX` for every byte but unreserved ASCII, as a form encoder writes it (spaces as `+`).
fn form(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b' ' => "+".to_string(),
            b if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) => char::from(b).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Mailgun: one opened event, the time in float seconds to the ms, the recipient as written, `user-variables`
    /// and other scalars kept raw.
    #[test]
    fn a_mailgun_record_keeps_its_time_recipient_and_variables(
        (raw, contact) in email(), (ts, ms) in seconds(), (var, want) in custom(), (top, top_want) in custom(),
    ) {
        let body = format!(
            r#"{{"signature":{{"timestamp":"1","token":"t","signature":"00"}},"event-data":{{"event":"opened","id":"x",
            "timestamp":{ts},"recipient":{},"custom":{top},"user-variables":{{"v":{var}}}}}}}"#,
            q(&raw)
        );
        let out = mailgun::decode(body.as_bytes()).unwrap();
        prop_assert_eq!(outcome(&out), (vec![(contact, ms)], 0, 0));
        prop_assert_eq!(prop(&out.events[0], "raw.user-variables.v"), want.as_ref());
        prop_assert_eq!(prop(&out.events[0], "raw.custom"), top_want.as_ref());
    }

    /// Postmark: an open at `ReceivedAt` in any offset and fraction, `Metadata` kept raw.
    #[test]
    fn a_postmark_record_keeps_its_instant_in_any_offset(
        (raw, contact) in email(), (at, ms) in iso(), (meta, want) in custom(),
    ) {
        let body = format!(
            r#"{{"RecordType":"Open","MessageID":"m1","Recipient":{},"ReceivedAt":{},"Metadata":{{"k":{meta}}}}}"#,
            q(&raw),
            q(&at)
        );
        let out = postmark::decode(body.as_bytes()).unwrap();
        prop_assert_eq!(outcome(&out), (vec![(contact, ms)], 0, 0));
        prop_assert_eq!(prop(&out.events[0], "raw.Metadata.k"), want.as_ref());
    }

    /// SES: an open names 0–4 destinations, some bad: each good one is an event (ids `#n` when more than one),
    /// each bad one a diagnostic at its place, and an empty list one diagnostic (not nothing).
    #[test]
    fn an_ses_record_gives_one_outcome_per_recipient(
        recipients in prop::collection::vec(prop_oneof![3 => email().prop_map(Some), 1 => Just(None)], 0..4),
        (at, ms) in iso(),
    ) {
        let listed: Vec<String> =
            recipients.iter().map(|r| q(r.as_ref().map_or("not an email", |(raw, _)| raw.as_str()))).collect();
        let body = format!(
            r#"{{"eventType":"Open","open":{{"timestamp":{}}},"mail":{{"messageId":"m","destination":[{}]}}}}"#,
            q(&at),
            listed.join(",")
        );
        let out = ses::decode(body.as_bytes()).unwrap();
        let events: Vec<(String, i64)> = recipients.iter().flatten().map(|(_, c)| (c.clone(), ms)).collect();
        let bad = recipients.iter().filter(|r| r.is_none()).count();
        prop_assert_eq!(outcome(&out), (events, 0, bad.max(usize::from(recipients.is_empty()))));
        let places: Vec<String> = recipients
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_none())
            .map(|(i, _)| format!("mail.destination[{i}]"))
            .collect();
        let empty = if recipients.is_empty() { vec!["mail.destination".to_string()] } else { places };
        prop_assert_eq!(out.diagnostics.iter().map(|d| d.at.clone()).collect::<Vec<_>>(), empty);
        for e in &out.events {
            prop_assert!(recipients.len() == 1 || e.id.contains('#'), "{}", e.id);
        }
    }

    /// Mailchimp: an unsubscribe form, the email percent-encoded (non-ASCII, `+`, spaces), `fired_at` as UTC,
    /// every other pair kept raw with its text exactly.
    #[test]
    fn a_mailchimp_form_keeps_its_email_time_and_pairs(
        (raw, contact) in email(), secs in 0i64..4_102_444_800, value in "[ -~é😀&=+%]{0,12}",
    ) {
        let (y, mo, d, h, mi, s) = civil(secs * 1000);
        let fired = format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
        let body = format!(
            "type=unsubscribe&fired_at={}&data%5Bemail%5D={}&data%5Breason%5D={}",
            form(&fired),
            form(&raw),
            form(&value)
        );
        let out = mailchimp::decode(body.as_bytes()).unwrap();
        prop_assert_eq!(outcome(&out), (vec![(contact, secs * 1000)], 0, 0));
        prop_assert_eq!(prop(&out.events[0], "raw.data[reason]"), Some(&Scalar::Str(value)));
    }

    /// Count in = events + skipped + diagnostics, in body order, each at its index, values intact.
    #[test]
    fn every_sendgrid_record_is_an_event_a_skip_or_a_located_diagnostic(
        records in prop::collection::vec(sendgrid_record(), 1..12),
    ) {
        let body = format!("[{}]", records.iter().map(|(j, _)| j.as_str()).collect::<Vec<_>>().join(",\n "));
        let out = sendgrid::decode(body.as_bytes()).unwrap();
        check_sendgrid(&records, &out);
    }
}

/// A known key whose value the event does not hold is kept as `raw.<key>`. Before, `asm_group_id` on an open (SendGrid
/// sends it on every event of a group's email), `type` outside a bounce, `singlesend_id` beside a
/// `marketing_campaign_id` and a campaign id that is no whole number were dropped without a word.
#[test]
fn known_keys_the_event_does_not_use_are_kept_raw() {
    let body = r#"[{"event":"open","email":"a@example.com","timestamp":1,"asm_group_id":12,"type":"x",
        "marketing_campaign_id":7,"singlesend_id":"ss1"},
      {"event":"click","email":"a@example.com","timestamp":1,"marketing_campaign_id":1.5,"singlesend_id":"ss2"},
      {"event":"unsubscribe","email":"a@example.com","timestamp":1,"asm_group_id":12,"marketing_campaign_id":true}]"#;
    let out = sendgrid::decode(body.as_bytes()).unwrap();
    let [open, click, unsub] = &out.events[..] else { panic!("{out:?}") };
    let str = |s: &str| Some(Scalar::Str(s.into()));
    let num = |n: f64| Some(Scalar::Num(n));
    let got = |e: &Event, k: &str| prop(e, k).cloned();
    assert_eq!(got(open, "raw.asm_group_id"), num(12.0));
    assert_eq!(got(open, "raw.type"), str("x"));
    assert_eq!((got(open, "campaign"), got(open, "raw.singlesend_id")), (str("7"), str("ss1")));
    assert_eq!(got(open, "raw.marketing_campaign_id"), None, "the campaign is read");
    assert_eq!((got(click, "campaign"), got(click, "raw.marketing_campaign_id")), (str("ss2"), num(1.5)));
    assert_eq!((got(unsub, "group"), got(unsub, "raw.asm_group_id")), (str("12"), None));
    assert_eq!(got(unsub, "raw.marketing_campaign_id"), Some(Scalar::Bool(true)));
}

/// An SES record whose recipient list is empty is a `missing_field` at the list. Before, it gave no event, no skip
/// and no diagnostic: a bounce, complaint or open vanished from the counts.
#[test]
fn an_ses_record_without_recipients_is_a_diagnostic() {
    let mail = r#""mail":{"messageId":"m","destination":[]}"#;
    for (record, at) in [
        (
            format!(r#"{{"eventType":"Open","open":{{"timestamp":"2017-08-09T22:00:19.652Z"}},{mail}}}"#),
            "mail.destination",
        ),
        (
            format!(
                r#"{{"eventType":"Bounce","bounce":{{"bounceType":"Permanent","bouncedRecipients":[],"timestamp":"2017-08-09T22:00:19Z"}},{mail}}}"#
            ),
            "bounce.bouncedRecipients",
        ),
        (
            format!(
                r#"{{"eventType":"Complaint","complaint":{{"complainedRecipients":[],"timestamp":"2017-08-09T22:00:19Z"}},{mail}}}"#
            ),
            "complaint.complainedRecipients",
        ),
    ] {
        let out = ses::decode(record.as_bytes()).unwrap();
        let got: Vec<(&str, &str)> = out.diagnostics.iter().map(|d| (d.at.as_str(), d.code)).collect();
        assert_eq!((out.events.len(), out.skipped.len(), got), (0, 0, vec![(at, "missing_field")]), "{record}");
    }
}

/// Postmark: an `ID` that is no id (a fraction, text Postmark never sends) and an `Email` beside the `Recipient`
/// that was read are kept as `raw.ID` and `raw.Email`. Before, both were dropped without a word.
#[test]
fn postmark_keys_the_event_does_not_use_are_kept_raw() {
    let body = r#"{"RecordType":"Open","ID":1.5,"MessageID":"m1","Recipient":"a@example.com","Email":"b@example.com",
        "ReceivedAt":"2016-04-27T16:21:41Z"}"#;
    let out = postmark::decode(body.as_bytes()).unwrap();
    let e = &out.events[0];
    assert_eq!(e.id, "Open:m1:1461774101000");
    assert_eq!(prop(e, "raw.ID"), Some(&Scalar::Num(1.5)));
    assert_eq!(prop(e, "raw.Email"), Some(&Scalar::Str("b@example.com".into())));
    assert_eq!(prop(e, "raw.Recipient"), None, "the contact is read from it");
    let bounce = r#"{"RecordType":"Bounce","ID":42,"Type":"HardBounce","Email":"c@example.com",
        "BouncedAt":"2019-11-05T16:33:54.9070259Z"}"#;
    let e = &postmark::decode(bounce.as_bytes()).unwrap().events[0];
    assert_eq!((e.id.as_str(), prop(e, "raw.ID"), prop(e, "raw.Email")), ("Bounce:42", None, None));
}

/// An empty vendor id is no id: the event gets the fingerprint key, as one without an id does. Before, SendGrid's
/// `sg_event_id: ""` and SES's `feedbackId: ""` became the key "", so every such event of a contact after the
/// first was folded away as a duplicate of it.
#[test]
fn an_empty_vendor_id_is_no_id() {
    let body = r#"[{"event":"open","email":"a@example.com","timestamp":1,"sg_event_id":""},
        {"event":"click","email":"a@example.com","timestamp":2,"sg_event_id":""}]"#;
    let out = sendgrid::decode(body.as_bytes()).unwrap();
    let ids: Vec<&str> = out.events.iter().map(|e| e.id.as_str()).collect();
    assert!(ids.iter().all(|id| id.starts_with("sendgrid:")) && ids[0] != ids[1], "{ids:?}");
    let complaint = |t: &str| {
        format!(
            r#"{{"eventType":"Complaint","complaint":{{"feedbackId":"","complainedRecipients":[{{"emailAddress":"a@example.com"}}],"timestamp":"{t}"}},"mail":{{"messageId":"m"}}}}"#
        )
    };
    let ids: Vec<String> = ["2017-08-05T00:41:02Z", "2017-08-06T00:41:02Z"]
        .iter()
        .map(|t| ses::decode(complaint(t).as_bytes()).unwrap().events[0].id.clone())
        .collect();
    assert!(ids.iter().all(|id| id.starts_with("ses:")) && ids[0] != ids[1], "{ids:?}");
}
