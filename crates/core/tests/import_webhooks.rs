//! Every vendor webhook fixture in `tests/fixtures/vendor/` through `rekindle_core::import`: counts of events,
//! skipped records and diagnostics per body, the fields that matter (machine opens, bounce types, idempotency
//! keys, times to the millisecond), Mailgun signatures, and hostile bodies that must give a diagnostic or an
//! `E_IMPORT_INVALID` error, never a panic.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::type_complexity,
    missing_docs
)]

use proptest::prelude::*;
use rekindle_core::import::{mailchimp, mailgun, postmark, sendgrid, ses, Imported};
use rekindle_core::{ErrorCode, Event, EventKind, Scalar};
use serde_json::Value as Json;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../tests/fixtures/vendor/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(name: &str) -> Json {
    serde_json::from_slice(&fixture(name)).unwrap()
}

/// `(events, skipped, diagnostics)`.
fn counts(out: &Imported) -> (usize, usize, usize) {
    (out.events.len(), out.skipped.len(), out.diagnostics.len())
}

fn kinds(out: &Imported) -> Vec<String> {
    out.events.iter().map(|e| e.kind.to_string()).collect()
}

fn prop<'a>(e: &'a Event, key: &str) -> Option<&'a str> {
    e.prop_str(key)
}

fn codes(out: &Imported) -> Vec<(&str, &str)> {
    out.diagnostics.iter().map(|d| (d.at.as_str(), d.code)).collect()
}

/// Each `{key: …, payload}` entry of a wrapper fixture, serialised back to the bytes a vendor would send.
fn payloads(name: &str, key: &str) -> Vec<(String, Vec<u8>)> {
    let doc = json(name);
    let list = doc.as_array().cloned().or_else(|| doc["events"].as_array().cloned()).unwrap();
    list.iter().map(|e| (e[key].as_str().unwrap().to_string(), serde_json::to_vec(&e["payload"]).unwrap())).collect()
}

fn by_name<'a>(all: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &all.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn sendgrid_docs_batch_folds_engagement_and_skips_delivery_status() {
    let out = sendgrid::decode(&fixture("sendgrid-events.json")).unwrap();
    assert_eq!(counts(&out), (7, 4, 0));
    assert_eq!(
        kinds(&out),
        ["email_open", "email_click", "email_bounce", "spam_complaint", "unsubscribe", "unsubscribe", "subscribe"]
    );
    let skipped: Vec<&str> = out.skipped.iter().map(|s| s.provider_kind.as_str()).collect();
    assert_eq!(skipped, ["processed", "deferred", "delivered", "dropped"]);
    assert_eq!(out.skipped[0].at, "[0]");
    let open = &out.events[0];
    assert_eq!(
        (open.contact.as_str(), open.id.as_str(), open.at.ms()),
        ("example@test.com", "sg_event_id", 1_513_299_569_000)
    );
    assert_eq!((open.machine, prop(open, "machine_open")), (false, Some("unknown")));
    assert_eq!(prop(open, "provider"), Some("sendgrid"));
    assert_eq!(prop(open, "message_ref"), Some("sg_message_id"));
    assert_eq!(prop(open, "raw.category"), Some("cat facts"));
    assert_eq!(prop(&out.events[1], "url"), Some("http://www.sendgrid.com/"));
    assert_eq!(prop(&out.events[2], "type"), Some("hard"));
    assert_eq!(prop(&out.events[2], "raw.reason"), Some("500 unknown recipient"));
    assert_eq!(prop(&out.events[2], "reason"), None, "a vendor reason must not read as rekindle's manual suppression");
    assert_eq!((prop(&out.events[5], "channel"), prop(&out.events[5], "group")), (Some("email"), Some("10")));
}

#[test]
fn deliveries_are_skipped_with_their_instant_and_other_status_records_without() {
    let delivered =
        |out: &Imported| -> Vec<Option<i64>> { out.skipped.iter().map(|s| s.delivered.map(|t| t.ms())).collect() };
    // SendGrid: processed, deferred, delivered, dropped; only the delivery has an instant.
    let out = sendgrid::decode(&fixture("sendgrid-events.json")).unwrap();
    assert_eq!(delivered(&out), [None, None, Some(1_513_299_569_000), None]);
    let mailgun = payloads("mailgun-webhooks.json", "test");
    let out = mailgun::decode(by_name(&mailgun, "test_delivered_event")).unwrap();
    assert_eq!(delivered(&out), [Some(1_534_108_637_153)]);
    let out = mailgun::decode(by_name(&mailgun, "test_rejected_event")).unwrap();
    assert_eq!(delivered(&out), [None]);
    let postmark = payloads("postmark-webhooks.json", "test");
    let out = postmark::decode(by_name(&postmark, "test_delivered_event")).unwrap();
    assert_eq!(delivered(&out), [Some(1_406_914_090_273)], "2014-08-01T13:28:10.2735393-04:00");
    // SES: the delivery's own timestamp, not the mail's.
    let doc = json("ses-event-publishing.json");
    let record = doc.as_array().unwrap().iter().find(|r| r["eventType"] == "Delivery").unwrap();
    let out = ses::decode(&serde_json::to_vec(record).unwrap()).unwrap();
    assert_eq!(delivered(&out), [Some(1_476_919_264_133)]);
}

#[test]
fn sendgrid_machine_open_flag_marks_the_event() {
    let body = String::from_utf8(fixture("sendgrid-events.json")).unwrap();
    let open = body.replace("\"event\": \"open\",", "\"event\": \"open\", \"sg_machine_open\": true,");
    let out = sendgrid::decode(open.as_bytes()).unwrap();
    let e = out.events.iter().find(|e| e.kind == EventKind::EmailOpen).unwrap();
    assert_eq!((e.machine, prop(e, "machine_open")), (true, Some("yes")));
    let human = body.replace("\"event\": \"open\",", "\"event\": \"open\", \"sg_machine_open\": false,");
    let out = sendgrid::decode(human.as_bytes()).unwrap();
    let e = out.events.iter().find(|e| e.kind == EventKind::EmailOpen).unwrap();
    assert_eq!((e.machine, prop(e, "machine_open")), (false, Some("no")));
    let wrong = body.replace("\"event\": \"open\",", "\"event\": \"open\", \"sg_machine_open\": \"yes\",");
    let out = sendgrid::decode(wrong.as_bytes()).unwrap();
    assert_eq!(codes(&out), [("[3].sg_machine_open", "wrong_type")]);
    assert_eq!(out.events.len(), 6, "the rest of the batch goes on");
}

#[test]
fn sendgrid_marketing_examples_decode_and_the_ms_timestamp_is_reported() {
    let all = payloads("sendgrid-marketing-events.json", "section");
    let single = sendgrid::decode(by_name(&all, "Example event from a Single Send:")).unwrap();
    assert_eq!(counts(&single), (0, 0, 1));
    assert_eq!(codes(&single), [("[0].timestamp", "timestamp_looks_like_ms")]);
    assert_eq!(single.diagnostics[0].message, "expected seconds, got 1591726752372 (looks like ms)");
    for section in [
        "Example event from a standard (non-A/B test) campaign send:",
        "Example event from an A/B Test:",
        "Example event from the winning phase of an A/B Test:",
    ] {
        let out = sendgrid::decode(by_name(&all, section)).unwrap();
        assert_eq!(counts(&out), (0, 1, 0), "{section}");
        assert_eq!(out.skipped[0].at, "", "a single object is a batch of one without an index");
    }
    let legacy = sendgrid::decode(by_name(&all, "Legacy Marketing Email Unsubscribes")).unwrap();
    assert_eq!(counts(&legacy), (1, 0, 0));
    let e = &legacy.events[0];
    assert_eq!(
        (e.kind.clone(), e.contact.as_str(), e.at.ms()),
        (EventKind::Unsubscribe, "nick@sendgrid.com", 1_380_822_437_000)
    );
    assert!(e.id.starts_with("sendgrid:") && e.id.len() == "sendgrid:".len() + 16, "fingerprint key, got {}", e.id);
    assert_eq!((prop(e, "campaign"), prop(e, "raw.category")), (Some("1943530"), Some("Tests,Newsletter")));
    let again = sendgrid::decode(by_name(&all, "Legacy Marketing Email Unsubscribes")).unwrap();
    assert_eq!(again.events[0].id, e.id, "the same record twice has the same key");
    let click = sendgrid::decode(by_name(&all, "Click")).unwrap();
    assert_eq!(counts(&click), (1, 0, 0));
    let c = &click.events[0];
    assert_eq!(
        (prop(c, "url"), prop(c, "raw.unique_arg_key")),
        (Some("http://yourdomain.com/blog/news.html"), Some("unique_arg_value"))
    );
    assert_eq!(c.at.ms(), 1_249_948_800_000);
}

#[test]
fn sendgrid_signed_vector_bodies_decode_as_skipped_records() {
    let doc = json("sendgrid-signed-webhook-vectors.json");
    for v in doc["vectors"].as_array().unwrap() {
        let out = sendgrid::decode(v["body"].as_str().unwrap().as_bytes()).unwrap();
        assert_eq!(counts(&out), (0, 1, 0), "{}", v["source"]);
    }
}

#[test]
fn mailgun_webhooks_fold_by_event_and_severity() {
    let all = payloads("mailgun-webhooks.json", "test");
    let expect: [(&str, (usize, usize, usize), Option<&str>, Option<&str>); 10] = [
        ("test_delivered_event", (0, 1, 0), None, None),
        ("test_failed_permanent_event", (1, 0, 0), Some("email_bounce"), Some("hard")),
        ("test_failed_temporary_event", (1, 0, 0), Some("email_bounce"), Some("soft")),
        ("test_failed_greylisted_event", (1, 0, 0), Some("email_bounce"), Some("soft")),
        ("test_rejected_event", (0, 1, 0), None, None),
        ("test_complained_event", (1, 0, 0), Some("spam_complaint"), None),
        ("test_unsubscribed_event", (1, 0, 0), Some("unsubscribe"), None),
        ("test_opened_event", (1, 0, 0), Some("email_open"), None),
        ("test_clicked_event", (1, 0, 0), Some("email_click"), None),
        ("test_delivery_status_is_none_event", (0, 1, 0), None, None),
    ];
    assert_eq!(all.len(), expect.len());
    for (name, want, kind, bounce) in expect {
        let out = mailgun::decode(by_name(&all, name)).unwrap();
        assert_eq!(counts(&out), want, "{name}");
        if let Some(e) = out.events.first() {
            assert_eq!(Some(e.kind.to_string().as_str()), kind, "{name}");
            assert_eq!(prop(e, "type"), bounce, "{name}");
        }
    }
    let complained = &mailgun::decode(by_name(&all, "test_complained_event")).unwrap().events[0];
    assert_eq!((complained.id.as_str(), complained.at.ms()), ("ncV2XwymRUKbPek_MIM-Gw", 1_377_214_260_049));
    assert_eq!(prop(complained, "message_ref"), Some("20130718032413.263EE2E0926@example.org"));
    let opened = &mailgun::decode(by_name(&all, "test_opened_event")).unwrap().events[0];
    assert_eq!(opened.at.ms(), 1_534_109_600_089);
    assert_eq!((opened.machine, prop(opened, "machine_open")), (false, Some("unknown")));
    assert_eq!(prop(opened, "raw.tags"), Some("welcome,variation-A"));
    assert_eq!(prop(opened, "raw.user-variables.cohort"), Some("2018-08-B"));
    assert_eq!(prop(opened, "raw.ip"), Some("888.222.444.111"), "IPs are untrusted strings, kept as given");
    assert!(opened.id.starts_with("mailgun:"), "no event-data.id: fingerprint key, got {}", opened.id);
    let clicked = &mailgun::decode(by_name(&all, "test_clicked_event")).unwrap().events[0];
    assert_ne!(clicked.id, opened.id, "same token and time, different records");
    assert_eq!(prop(clicked, "url"), Some("https://example.com/test"));
    let failed = &mailgun::decode(by_name(&all, "test_failed_permanent_event")).unwrap().events[0];
    assert_eq!((failed.contact.as_str(), failed.at.ms()), ("invalid@example.com", 1_534_110_422_389));
}

#[test]
fn mailgun_bot_opens_are_machine_opens() {
    let all = payloads("mailgun-webhooks.json", "test");
    let body = String::from_utf8(by_name(&all, "test_opened_event").to_vec()).unwrap();
    for (bot, machine, flag) in [("apple", true, "yes"), ("gmail", true, "yes"), ("", false, "no")] {
        let with_bot = body.replace("\"client-type\":", &format!("\"bot\":\"{bot}\",\"client-type\":"));
        let out = mailgun::decode(with_bot.as_bytes()).unwrap();
        let e = &out.events[0];
        assert_eq!((e.machine, prop(e, "machine_open")), (machine, Some(flag)), "bot {bot:?}");
    }
}

#[test]
fn mailgun_signature_vectors_verify_and_tampering_fails() {
    let key = json("mailgun-webhooks.json")["signing_key_used_for_signature_field"].as_str().unwrap().to_string();
    let all = payloads("mailgun-webhooks.json", "test");
    for (name, body) in &all {
        let s = mailgun::signature(body).unwrap();
        assert!(mailgun::verify(key.as_bytes(), &s.timestamp, &s.token, &s.signature), "{name}");
        assert!(!mailgun::verify(b"another key", &s.timestamp, &s.token, &s.signature), "{name}");
        let later = format!("{}1", s.timestamp);
        assert!(!mailgun::verify(key.as_bytes(), &later, &s.token, &s.signature), "{name}: timestamp changed");
        let mut flipped = s.signature.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert!(!mailgun::verify(key.as_bytes(), &s.timestamp, &s.token, &flipped), "{name}: signature changed");
        assert!(mailgun::verify(key.as_bytes(), &s.timestamp, &s.token, &s.signature.to_uppercase()));
    }
    let s = mailgun::signature(&all[0].1).unwrap();
    for bad in ["", "zz", &s.signature[..62], &format!("{}00", s.signature)] {
        assert!(!mailgun::verify(key.as_bytes(), &s.timestamp, &s.token, bad), "{bad:?}");
    }
    let err = mailgun::signature(br#"{"event-data":{}}"#).unwrap_err();
    assert_eq!((err.code(), err.path().as_deref()), (ErrorCode::ImportInvalid, Some("signature.timestamp")));
}

#[test]
fn postmark_records_fold_by_record_type() {
    let all = payloads("postmark-webhooks.json", "test");
    let expect: [(&str, (usize, usize, usize), Option<&str>); 9] = [
        ("test_bounce_event", (1, 0, 0), Some("email_bounce")),
        ("test_delivered_event", (0, 1, 0), None),
        ("test_open_event", (1, 0, 0), Some("email_open")),
        ("test_click_event", (1, 0, 0), Some("email_click")),
        ("test_spam_event", (1, 0, 0), Some("spam_complaint")),
        ("test_unsubscribe", (1, 0, 0), Some("unsubscribe")),
        ("test_resubscribe", (1, 0, 0), Some("subscribe")),
        ("test_subscription_change_bounce", (1, 0, 0), Some("email_bounce")),
        ("test_bounce_unsubscribe_variant", (0, 0, 1), None),
    ];
    assert_eq!(all.len(), expect.len());
    for (name, want, kind) in expect {
        let out = postmark::decode(by_name(&all, name)).unwrap();
        assert_eq!(counts(&out), want, "{name}");
        assert_eq!(out.events.first().map(|e| e.kind.to_string()).as_deref(), kind, "{name}");
    }
    let bounce = &postmark::decode(by_name(&all, "test_bounce_event")).unwrap().events[0];
    assert_eq!((bounce.id.as_str(), prop(bounce, "type")), ("Bounce:901542550", Some("hard")));
    // 2016-04-27T16:28:50.3963933-04:00: seven fraction digits and an offset, floored to the millisecond.
    assert_eq!((bounce.contact.as_str(), bounce.at.ms()), ("bounce@example.com", 1_461_788_930_396));
    assert_eq!(prop(bounce, "raw.Content"), None, "the bounced message body is not kept");
    let click = &postmark::decode(by_name(&all, "test_click_event")).unwrap().events[0];
    assert_eq!(click.at.ms(), 1_508_944_871_906);
    assert_eq!(click.id, "Click:f4830d10-9c35-4f0c-bca3-3d9b459821f8:1508944871906");
    assert_eq!(
        (prop(click, "url"), prop(click, "campaign")),
        (Some("https://example.com/click/me"), Some("welcome-email"))
    );
    let unsub = &postmark::decode(by_name(&all, "test_unsubscribe")).unwrap().events[0];
    assert_eq!((prop(unsub, "channel"), prop(unsub, "reason")), (Some("email"), None));
    assert_eq!(prop(unsub, "raw.Metadata.example"), Some("value"));
    let suppressed = &postmark::decode(by_name(&all, "test_subscription_change_bounce")).unwrap().events[0];
    assert_eq!(prop(suppressed, "type"), Some("hard"));
    let variant = postmark::decode(by_name(&all, "test_bounce_unsubscribe_variant")).unwrap();
    assert_eq!(codes(&variant), [("Recipient", "missing_field")]);
    let admin =
        String::from_utf8(by_name(&all, "test_unsubscribe").to_vec()).unwrap().replace("\"Recipient\",", "\"Admin\",");
    let admin = &postmark::decode(admin.as_bytes()).unwrap().events[0];
    assert_eq!(prop(admin, "reason"), Some("manual"), "a suppression by the sender is a manual one");
}

/// `application/x-www-form-urlencoded`, as Python's `urlencode` writes it.
fn urlencode(fields: &serde_json::Map<String, Json>) -> Vec<u8> {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' => "+".into(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let parts: Vec<String> = fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v.as_str().unwrap()))).collect();
    parts.join("&").into_bytes()
}

#[test]
fn mailchimp_webhooks_fold_by_type() {
    let doc = json("mailchimp-webhooks.json");
    let bodies: Vec<(String, Vec<u8>)> = doc
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), urlencode(e["fields"].as_object().unwrap())))
        .collect();
    let expect: [(&str, (usize, usize, usize), &[&str]); 6] = [
        ("subscribe", (2, 0, 0), &["subscribe", "profile"]),
        ("unsubscribe", (1, 0, 0), &["unsubscribe"]),
        ("profileUpdate", (1, 0, 0), &["profile"]),
        ("emailUpdate", (1, 0, 0), &["profile"]),
        ("cleanedEmail", (1, 0, 0), &["email_bounce"]),
        ("campaign", (0, 1, 0), &[]),
    ];
    for (name, want, want_kinds) in expect {
        let out = mailchimp::decode(by_name(&bodies, name)).unwrap();
        assert_eq!(counts(&out), want, "{name}");
        assert_eq!(kinds(&out), want_kinds, "{name}");
    }
    let sub = mailchimp::decode(by_name(&bodies, "subscribe")).unwrap();
    let (s, p) = (&sub.events[0], &sub.events[1]);
    assert_eq!(
        (s.contact.as_str(), s.at.ms(), prop(s, "channel")),
        ("api@mailchimp.com", 1_238_103_357_000, Some("email"))
    );
    assert!(s.id.starts_with("mailchimp:") && p.id == format!("{}:profile", s.id));
    assert_eq!((prop(p, "FNAME"), prop(p, "LNAME"), prop(p, "EMAIL")), (Some("MailChimp"), Some("API"), None));
    let wire = mailchimp::decode(&fixture("mailchimp-webhook-subscribe.urlencoded.txt")).unwrap();
    assert_eq!(wire.events, sub.events, "the wire body and the field map are the same webhook");
    let unsub = &mailchimp::decode(by_name(&bodies, "unsubscribe")).unwrap().events[0];
    assert_eq!(
        (prop(unsub, "campaign"), prop(unsub, "raw.data[reason]"), prop(unsub, "reason")),
        (Some("cb398d21d2"), Some("manual"), None)
    );
    let up = &mailchimp::decode(by_name(&bodies, "emailUpdate")).unwrap().events[0];
    assert_eq!((up.contact.as_str(), prop(up, "email")), ("api+old@mailchimp.com", Some("api+new@mailchimp.com")));
    let cleaned = &mailchimp::decode(by_name(&bodies, "cleanedEmail")).unwrap().events[0];
    assert_eq!((prop(cleaned, "type"), cleaned.contact.as_str()), (Some("hard"), "api+cleaned@mailchimp.com"));
}

#[test]
fn ses_event_publishing_records_fold_per_type() {
    let doc = json("ses-event-publishing.json");
    let want = [(1, 0), (1, 0), (0, 1), (0, 1), (0, 1), (1, 0), (1, 0), (0, 1), (0, 1), (1, 0)];
    let mut seen = Vec::new();
    for (record, want) in doc.as_array().unwrap().iter().zip(want) {
        let out = ses::decode(&serde_json::to_vec(record).unwrap()).unwrap();
        assert_eq!(counts(&out), (want.0, want.1, 0), "{}", record["eventType"]);
        seen.extend(out.events);
    }
    let kinds: Vec<String> = seen.iter().map(|e| e.kind.to_string()).collect();
    assert_eq!(kinds, ["email_bounce", "spam_complaint", "email_open", "email_click", "unsubscribe"]);
    let bounce = &seen[0];
    assert_eq!(bounce.id, "01000157c44f053b-61b59c11-9236-11e6-8f96-7be8aexample-000000", "feedbackId without SNS");
    assert_eq!((bounce.at.ms(), prop(bounce, "type")), (1_501_893_662_669, Some("hard")));
    assert_eq!(prop(bounce, "message_ref"), Some("EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000"));
    let open = &seen[2];
    assert_eq!((open.at.ms(), prop(open, "machine_open"), open.machine), (1_502_316_019_652, Some("unknown"), false));
    assert!(open.id.starts_with("ses:"));
    assert_eq!(
        prop(&seen[3], "url"),
        Some("http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html")
    );
    assert_eq!(prop(&seen[4], "channel"), Some("email"));
}

#[test]
fn ses_legacy_notifications_give_one_event_per_recipient() {
    let doc = json("ses-notifications.json");
    let outs: Vec<Imported> =
        doc.as_array().unwrap().iter().map(|r| ses::decode(&serde_json::to_vec(r).unwrap()).unwrap()).collect();
    let got: Vec<_> = outs.iter().map(counts).collect();
    assert_eq!(got, [(1, 0, 0), (2, 0, 0), (1, 0, 0), (1, 0, 0), (0, 1, 0)]);
    let two = &outs[1].events;
    assert_eq!((two[0].contact.as_str(), two[1].contact.as_str()), ("jane@example.com", "richard@example.com"));
    assert_eq!(two[0].id, "00000137860315fd-869464a4-8680-4114-98d3-716fe35851f9-000000#0");
    assert_eq!(two[1].id, "00000137860315fd-869464a4-8680-4114-98d3-716fe35851f9-000000#1");
    assert_eq!(outs[2].events[0].kind, EventKind::SpamComplaint);
}

#[test]
fn ses_sns_envelope_and_anymail_events_decode() {
    let doc = json("ses-anymail-events.json");
    let env = ses::decode(&serde_json::to_vec(&doc["sns_envelope_example"]).unwrap()).unwrap();
    assert_eq!(counts(&env), (1, 0, 0));
    let e = &env.events[0];
    assert_eq!((e.id.as_str(), e.contact.as_str()), ("19ba9823-d7f2-53c1-860e-cb10e0d13dfc", "jane@example.com"));
    assert_eq!((e.kind.clone(), prop(e, "type")), (EventKind::EmailBounce, Some("hard")));
    let want: [(&str, (usize, usize, usize)); 9] = [
        ("test_bounce_event", (1, 0, 0)),
        ("test_multiple_bounce_event", (0, 0, 1)),
        ("test_complaint_event", (0, 0, 1)),
        ("test_delivery_event", (0, 1, 0)),
        ("test_send_event", (0, 1, 0)),
        ("test_reject_event", (0, 1, 0)),
        ("test_open_event", (1, 0, 0)),
        ("test_click_event", (1, 0, 0)),
        ("test_rendering_failure_event", (0, 1, 0)),
    ];
    let events: Vec<(String, Vec<u8>)> = doc["ses_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["test"].as_str().unwrap().to_string(), serde_json::to_vec(&e["payload"]).unwrap()))
        .collect();
    assert_eq!(events.len(), want.len());
    for (name, counted) in want {
        assert_eq!(counts(&ses::decode(by_name(&events, name)).unwrap()), counted, "{name}");
    }
    let multiple = ses::decode(by_name(&events, "test_multiple_bounce_event")).unwrap();
    assert_eq!(codes(&multiple), [("bounce.timestamp", "missing_field")]);
}

#[test]
fn sns_subscription_confirmation_is_skipped_with_the_url_to_confirm() {
    let body = br#"{"Type":"SubscriptionConfirmation","MessageId":"m","Token":"t","TopicArn":"arn:aws:sns:us-east-1:1:x",
        "Message":"You have chosen to subscribe","SubscribeURL":"https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=t",
        "Timestamp":"2018-03-26T17:58:59.675Z"}"#;
    let out = ses::decode(body).unwrap();
    assert_eq!(counts(&out), (0, 1, 0));
    assert_eq!(out.skipped[0].provider_kind, "SubscriptionConfirmation");
    assert!(out.skipped[0].reason.contains("Action=ConfirmSubscription"), "{}", out.skipped[0].reason);
}

type Decoder = fn(&[u8]) -> Result<Imported, rekindle_core::Error>;
const DECODERS: [(&str, Decoder); 5] = [
    ("sendgrid", sendgrid::decode),
    ("mailgun", mailgun::decode),
    ("postmark", postmark::decode),
    ("mailchimp", mailchimp::decode),
    ("ses", ses::decode),
];

#[test]
fn unusable_bodies_are_import_errors_with_a_place() {
    let deep = "[".repeat(10_000);
    for body in
        [&b"[{\"email\": \"a@example.com\", \"event\": \"open\""[..], b"", b"nul", deep.as_bytes(), b"[1e400]", b"\xff"]
    {
        for (name, decode) in DECODERS.iter().filter(|(n, _)| *n != "mailchimp") {
            let err = decode(body).unwrap_err();
            assert_eq!(err.code(), ErrorCode::ImportInvalid, "{name}");
            assert!(err.path().is_some_and(|p| p.starts_with("body:")), "{name}: {err}");
        }
    }
    let err = sendgrid::decode(b"[1,]").unwrap_err();
    assert_eq!(err.to_string(), "body:1:4: not valid JSON: trailing comma before ']'");
    for body in [&b"\"a string\""[..], b"42", b"null"] {
        for (name, decode) in DECODERS.iter().filter(|(n, _)| *n != "mailchimp") {
            assert_eq!(decode(body).unwrap_err().path().as_deref(), Some("body"), "{name}");
        }
    }
    assert_eq!(mailgun::decode(b"{}").unwrap_err().code(), ErrorCode::ImportInvalid);
    assert_eq!(mailchimp::decode(b"").unwrap_err().code(), ErrorCode::ImportInvalid);
    assert_eq!(mailchimp::decode(b"type=%zz").unwrap_err().code(), ErrorCode::ImportInvalid);
}

#[test]
fn bad_records_are_diagnostics_and_the_batch_goes_on() {
    let body = br#"[
        {"email":"ok@example.com","timestamp":1513299569,"event":"open","sg_event_id":"a"},
        {"email":"not-an-email","timestamp":1513299569,"event":"open","sg_event_id":"b"},
        {"email":"ok@example.com","timestamp":"1513299569","event":"open","sg_event_id":"c"},
        {"email":"ok@example.com","timestamp":1e308,"event":"open","sg_event_id":"d"},
        {"email":"ok@example.com","timestamp":1591726752372,"event":"click","sg_event_id":"e"},
        {"email":"ok@example.com","event":"open","sg_event_id":"f"},
        {"email":42,"timestamp":1513299569,"event":"open"},
        {"timestamp":1513299569,"event":"bounce","type":"weird","email":"ok@example.com"},
        "not an object",
        {"event":["open"]},
        {"email":" OK@Example.com ","timestamp":1513299569.5,"event":"Open","sg_event_id":"g"}
    ]"#;
    let out = sendgrid::decode(body).unwrap();
    assert_eq!(
        codes(&out),
        [
            ("[1].email", "invalid_email"),
            ("[2].timestamp", "wrong_type"),
            ("[3].timestamp", "bad_timestamp"),
            ("[4].timestamp", "timestamp_looks_like_ms"),
            ("[5].timestamp", "missing_field"),
            ("[6].email", "wrong_type"),
            ("[7].type", "unknown_value"),
            ("[8]", "wrong_type"),
            ("[9].event", "wrong_type"),
        ]
    );
    assert_eq!(out.diagnostics[0].message, "expected an email address, got \"n*** (no @)\"");
    let ids: Vec<&str> = out.events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["a", "g"]);
    assert_eq!((out.events[1].contact.as_str(), out.events[1].at.ms()), ("ok@example.com", 1_513_299_569_500));
    let masked = sendgrid::decode(br#"[{"email":"jane@exa mple.com","timestamp":1,"event":"open"}]"#).unwrap();
    assert!(!masked.diagnostics[0].message.contains("jane"), "{}", masked.diagnostics[0].message);
}

#[test]
fn wrong_types_in_single_record_bodies_are_located() {
    let out = mailgun::decode(br#"{"event-data":{"event":"opened","recipient":"a@example.com","timestamp":"soon"}}"#)
        .unwrap();
    assert_eq!(codes(&out), [("event-data.timestamp", "wrong_type")]);
    let out = mailgun::decode(
        br#"{"event-data":{"event":"failed","severity":"fatal","recipient":"a@example.com","timestamp":1}}"#,
    )
    .unwrap();
    assert_eq!(codes(&out), [("event-data.severity", "unknown_value")]);
    let out =
        postmark::decode(br#"{"RecordType":"Open","Recipient":"a@example.com","ReceivedAt":"27/04/2016"}"#).unwrap();
    assert_eq!(codes(&out), [("ReceivedAt", "bad_timestamp")]);
    let out = ses::decode(br#"{"Type":"Notification","MessageId":"m","Message":"{not json"}"#).unwrap();
    assert_eq!(codes(&out), [("Message", "invalid_json")]);
    let out = ses::decode(
        br#"{"eventType":"Bounce","bounce":{"bounceType":"Permanent","timestamp":"2017-08-05T00:41:02.669Z",
        "bouncedRecipients":[{"emailAddress":"x"},{"emailAddress":"b@example.com"}]}}"#,
    )
    .unwrap();
    assert_eq!(codes(&out), [("bounce.bouncedRecipients[0].emailAddress", "invalid_email")]);
    assert_eq!(out.events.len(), 1, "the valid recipient still counts");
    let out =
        mailchimp::decode(b"type=subscribe&fired_at=2009-03-26T21%3A35%3A57Z&data%5Bemail%5D=a%40example.com").unwrap();
    assert_eq!(codes(&out), [("fired_at", "bad_timestamp")]);
    let out = mailchimp::decode(b"fired_at=2009-03-26+21%3A35%3A57").unwrap();
    assert_eq!(codes(&out), [("type", "missing_field")]);
}

fn fixture_bodies() -> Vec<(usize, Vec<u8>)> {
    let mut bodies = vec![(0, fixture("sendgrid-events.json"))];
    bodies.extend(payloads("mailgun-webhooks.json", "test").into_iter().map(|(_, b)| (1, b)));
    bodies.extend(payloads("postmark-webhooks.json", "test").into_iter().map(|(_, b)| (2, b)));
    bodies.push((3, fixture("mailchimp-webhook-subscribe.urlencoded.txt")));
    bodies.push((4, serde_json::to_vec(&json("ses-anymail-events.json")["sns_envelope_example"]).unwrap()));
    bodies
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for (_, decode) in DECODERS {
            let _ = decode(&bytes);
        }
    }

    #[test]
    fn decoding_mutated_fixtures_never_panics(pick in 0usize..64, at in any::<prop::sample::Index>(),
                                              byte in any::<u8>(), cut in any::<bool>()) {
        let bodies = fixture_bodies();
        let (which, body) = &bodies[pick % bodies.len()];
        let mut body = body.clone();
        let i = at.index(body.len());
        if cut { body.truncate(i) } else { body[i] = byte }
        let out = DECODERS[*which].1(&body);
        if let Ok(out) = out {
            for e in &out.events {
                prop_assert!(!e.contact.is_empty() && e.contact == e.contact.trim().to_lowercase());
                prop_assert!(!e.id.is_empty());
                prop_assert!(matches!(e.props.get("provider"), Some(Some(Scalar::Str(_)))));
            }
        }
    }
}
