//! `rekindle plan --webhook-key`: logged SendGrid deliveries (envelopes keeping the signature headers) and Mailgun
//! bodies are verified by core before they are decoded. The vendor's own vectors verify or fail as the SDKs say;
//! deliveries signed here with a fixed test key fold, and forged, tampered, unsigned and expired ones are
//! rejected whole, each with file, line, the place and the reason.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{json, Value};

const SAAS: &str = "examples/playbooks/saas.json";
const CONTACTS: &str = "examples/data/plan/contacts.csv";
const NOW: &str = "2026-11-26T12:00:00Z";
const SIG: &str = "X-Twilio-Email-Event-Webhook-Signature";
const TS: &str = "X-Twilio-Email-Event-Webhook-Timestamp";
/// Sample contacts whose email is allowed at NOW (examples/data/plan/contacts.csv).
const ACTIVE_A: &str = "mia.ito0@acme.test";
const ACTIVE_B: &str = "grace.archer2@initech.test";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> Value {
    let path = repo().join("tests/fixtures/vendor").join(name);
    serde_json::from_slice(&std::fs::read(&path).expect("read fixture")).expect("fixture is JSON")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write input");
    path.to_str().expect("utf-8 path").to_string()
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= c.len() { A[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// A fixed test key (never a real one) and its public half as SendGrid shows keys: base64 DER SPKI.
fn test_key() -> (SigningKey, String) {
    let key = SigningKey::from_slice(&[7u8; 32]).expect("a valid scalar");
    // SubjectPublicKeyInfo for id-ecPublicKey / prime256v1, then the uncompressed point.
    let mut spki = vec![0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08];
    spki.extend([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00]);
    spki.extend_from_slice(key.verifying_key().to_encoded_point(false).as_bytes());
    (key, base64(&spki))
}

/// One logged delivery, signed as SendGrid signs: ECDSA P-256 / SHA-256 over timestamp + body, DER, base64.
fn signed(key: &SigningKey, timestamp: u64, body: &str, received_at: Option<u64>) -> Value {
    let sig: Signature = key.sign(format!("{timestamp}{body}").as_bytes());
    let mut line = json!({"headers": {SIG: base64(sig.to_der().as_bytes()), TS: timestamp.to_string()}, "body": body});
    if let Some(r) = received_at {
        line["received_at"] = json!(r * 1000);
    }
    line
}

fn spam_report(email: &str, id: &str, at: u64) -> String {
    json!([{"email": email, "timestamp": at, "event": "spamreport", "sg_event_id": id}]).to_string() + "\r\n"
}

fn plan(dir: &Path, webhooks: &[String], keys: &[String]) -> (Output, PathBuf) {
    let out = dir.join("out");
    let mut args =
        vec!["plan", "--playbook", SAAS, "--contacts", CONTACTS, "--now", NOW, "--quiet", "--format", "json"];
    args.extend(["--out", out.to_str().expect("utf-8")]);
    for w in webhooks {
        args.extend(["--webhooks", w.as_str()]);
    }
    for k in keys {
        args.extend(["--webhook-key", k.as_str()]);
    }
    let run = Command::new(env!("CARGO_BIN_EXE_rekindle")).args(&args).current_dir(repo()).output().expect("run");
    (run, out)
}

/// `(line, severity, code, field)` of every diagnostic about the webhook logs (the sample contacts file has a
/// duplicate row of its own).
fn diagnostics(out: &Path) -> Vec<(u64, String, String, Value)> {
    let text = std::fs::read_to_string(out.join("diagnostics.ndjson")).expect("diagnostics");
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("ndjson"))
        .filter(|d| !d["file"].as_str().is_some_and(|f| f.ends_with("contacts.csv")))
        .map(|d| {
            (
                d["line"].as_u64().expect("line"),
                d["severity"].as_str().expect("s").into(),
                d["code"].as_str().expect("c").into(),
                d["field"].clone(),
            )
        })
        .collect()
}

fn verdict(out: &Path, email: &str) -> String {
    let text = std::fs::read_to_string(out.join("plan.csv")).expect("plan.csv");
    let mut rows = text.lines().map(|l| l.split(',').collect::<Vec<_>>());
    let head = rows.next().expect("header");
    let col = head.iter().position(|h| *h == "email_verdict").expect("email_verdict column");
    rows.find(|r| r[1] == email).map(|r| r[col].to_string()).expect("contact row")
}

#[test]
fn sendgrid_vendor_vectors_pass_or_fail_through_the_plan_as_the_sdks_say() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let doc = fixture("sendgrid-signed-webhook-vectors.json");
    let v = doc["vectors"].as_array().expect("vectors");
    let line = |i: usize| {
        json!({"headers": {SIG: v[i]["signature"], TS: v[i]["timestamp"]}, "body": v[i]["body"]}).to_string()
    };
    // Python's vector (its own key); the Node vectors: valid, a changed signature, and the valid delivery under
    // another key ("invalid key").
    let python = write(tmp.path(), "python.ndjson", &(line(0) + "\n"));
    let key_a = write(tmp.path(), "a.key", v[0]["public_key"].as_str().expect("key"));
    let node = write(tmp.path(), "node.ndjson", &[line(1), line(2)].join("\n"));
    let key_b = write(tmp.path(), "b.key", v[1]["public_key"].as_str().expect("key"));
    let key_c = write(tmp.path(), "c.key", v[3]["public_key"].as_str().expect("key"));

    let (run, out) = plan(tmp.path(), &[format!("sendgrid:{python}")], &[format!("sendgrid:{key_a}")]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let summary: Value = serde_json::from_slice(&run.stdout).expect("summary");
    assert_eq!(summary["counts"]["skippedRecords"], json!({"sendgrid:dropped": 1}), "verified, then decoded");

    let (run, out_b) = plan(tmp.path(), &[format!("sendgrid:{node}")], &[format!("sendgrid:{key_b}")]);
    assert_eq!(run.status.code(), Some(4));
    let found = diagnostics(&out_b);
    assert_eq!(
        found.iter().filter(|d| d.1 == "reject").cloned().collect::<Vec<_>>(),
        vec![(2, "reject".into(), "signature_mismatch".into(), json!("body"))]
    );
    assert_eq!(
        found.iter().filter(|d| d.1 == "warning").map(|d| d.2.as_str()).collect::<Vec<_>>(),
        ["signature_age_not_checked"]
    );
    let (_, out_c) = plan(tmp.path(), &[format!("sendgrid:{node}")], &[format!("sendgrid:{key_c}")]);
    let codes: Vec<_> = diagnostics(&out_c).into_iter().map(|d| (d.0, d.2)).collect();
    assert_eq!(codes, vec![(1, "signature_mismatch".into()), (2, "signature_mismatch".into())], "another key");
    drop(out);
}

#[test]
fn forged_tampered_unsigned_and_expired_deliveries_are_rejected_whole_and_good_ones_fold() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (key, public) = test_key();
    let forger = SigningKey::from_slice(&[9u8; 32]).expect("scalar");
    let at = 1_795_600_000; // 2026-11-25T08:26:40Z
    let good = signed(&key, at + 60, &spam_report(ACTIVE_A, "sg-1", at), Some(at + 62));
    let mut tampered = signed(&key, at + 60, &spam_report(ACTIVE_B, "sg-2", at), Some(at + 61));
    tampered["body"] = json!(tampered["body"].as_str().expect("body").replace("sg-2", "sg-3"));
    let forged = signed(&forger, at + 60, &spam_report(ACTIVE_B, "sg-4", at), None);
    let expired = signed(&key, at + 60, &spam_report(ACTIVE_B, "sg-5", at), Some(at + 60 + 3600));
    let future = signed(&key, at + 60, &spam_report(ACTIVE_B, "sg-6", at), Some(at - 3600));
    let mut no_ts = signed(&key, at + 60, &spam_report(ACTIVE_B, "sg-7", at), None);
    no_ts["headers"].as_object_mut().expect("headers").remove(TS);
    let bare = spam_report(ACTIVE_B, "sg-8", at).trim_end().to_string();
    let mut garbled = signed(&key, at + 60, &spam_report(ACTIVE_B, "sg-9", at), None);
    garbled["headers"][SIG] = json!("not-base64!");
    let lines = [good, tampered, forged, expired, future, no_ts].map(|l| l.to_string());
    let text = lines.join("\n") + "\n" + &bare + "\n" + &garbled.to_string() + "\n";
    let log = write(tmp.path(), "sendgrid.ndjson", &text);
    let key_file = write(tmp.path(), "sendgrid.key", &format!("{public}\n"));

    let (run, out) = plan(tmp.path(), &[format!("sendgrid:{log}")], &[format!("sendgrid:{key_file}")]);
    assert_eq!(run.status.code(), Some(4), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(
        diagnostics(&out),
        vec![
            (2, "reject".into(), "signature_mismatch".into(), json!("body")),
            (3, "reject".into(), "signature_mismatch".into(), json!("body")),
            (4, "reject".into(), "signature_expired".into(), json!("received_at")),
            (5, "reject".into(), "signature_from_future".into(), json!("received_at")),
            (6, "reject".into(), "unsigned".into(), json!(format!("headers.{TS}"))),
            (7, "reject".into(), "unsigned".into(), json!(format!("headers.{SIG}"))),
            (8, "reject".into(), "malformed_signature".into(), json!(format!("headers.{SIG}"))),
        ]
    );
    let text = std::fs::read_to_string(out.join("diagnostics.ndjson")).expect("diagnostics");
    assert!(text.contains("sendgrid delivery refused, none of its events is folded: expired: signed at"), "{text}");
    assert_eq!(verdict(&out, ACTIVE_A), "deny", "the verified spam report folded (D4)");
    assert_eq!(verdict(&out, ACTIVE_B), "allow", "no refused delivery folded anything");

    // Without the key nothing is checked, and the warning says so.
    let (run, out) = plan(tmp.path(), &[format!("sendgrid:{log}")], &[]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
    let warned = diagnostics(&out).into_iter().find(|d| d.2 == "signature_not_checked").expect("a warning");
    assert_eq!(warned.1, "warning");
    assert_eq!(verdict(&out, ACTIVE_B), "deny");
}

#[test]
fn mailgun_bodies_verify_with_the_signing_key_and_a_wrong_key_rejects_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let doc = fixture("mailgun-webhooks.json");
    let mut complained = doc["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["test"] == "test_complained_event")
        .expect("fixture")["payload"]
        .clone();
    complained["event-data"]["recipient"] = json!(ACTIVE_A);
    let signed_at: u64 = complained["signature"]["timestamp"].as_str().expect("ts").parse().expect("seconds");
    let enveloped = json!({"received_at": (signed_at + 3600) * 1000, "body": complained.to_string()});
    let log = write(tmp.path(), "mailgun.ndjson", &format!("{complained}\n{enveloped}\n"));
    let key = write(tmp.path(), "mailgun.key", doc["signing_key_used_for_signature_field"].as_str().expect("key"));
    let wrong = write(tmp.path(), "wrong.key", "key-not-this-one");

    let (run, out) = plan(tmp.path(), &[format!("mailgun:{log}")], &[format!("mailgun:{key}")]);
    assert_eq!(run.status.code(), Some(4));
    let found = diagnostics(&out);
    assert_eq!(
        found.iter().filter(|d| d.1 == "reject").map(|d| (d.0, d.2.as_str())).collect::<Vec<_>>(),
        vec![(2, "signature_expired")]
    );
    assert!(found.iter().any(|d| d.2 == "signature_age_not_checked"), "line 1 has no received_at: {found:?}");
    assert_eq!(verdict(&out, ACTIVE_A), "deny");

    let (_, out) = plan(tmp.path(), &[format!("mailgun:{log}")], &[format!("mailgun:{wrong}")]);
    let codes: Vec<_> = diagnostics(&out).into_iter().map(|d| (d.0, d.2, d.3)).collect();
    let mismatch = |line| (line, "signature_mismatch".to_string(), json!("signature.signature"));
    assert_eq!(codes, vec![mismatch(1), mismatch(2)]);
    assert_eq!(verdict(&out, ACTIVE_A), "allow");
}

#[test]
fn unusable_keys_stop_the_run_and_unsigning_vendors_take_no_key() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let log = write(tmp.path(), "sg.ndjson", "\n");
    let bad = write(tmp.path(), "bad.key", "MFkwEwYHKoZIzj0CAQYI");
    let (run, _) = plan(tmp.path(), &[format!("sendgrid:{log}")], &[format!("sendgrid:{bad}")]);
    assert_eq!(run.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("unusable verification key"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let (run, _) = plan(tmp.path(), &[format!("postmark:{log}")], &[format!("postmark:{bad}")]);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("HTTP Basic auth"));
    let (run, _) =
        plan(tmp.path(), &[format!("sendgrid:{log}")], &[format!("sendgrid:{bad}"), format!("sendgrid:{bad}")]);
    assert_eq!(run.status.code(), Some(2), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(String::from_utf8_lossy(&run.stderr).contains("given twice"));
}
