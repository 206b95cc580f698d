//! Runs the real `rekindle` binary: unsubscribe-token signs what verify-token accepts, with the documented exit codes.
#![allow(clippy::expect_used, clippy::indexing_slicing)] // test helpers: a failed setup should abort the test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CURRENT: &str = "examples/data/keys/example-current.keys";
const PREVIOUS: &str = "examples/data/keys/example-previous.keys";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rekindle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rekindle")).args(args).current_dir(repo()).output().expect("run rekindle")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A file holding `body`, named to end like `name`, removed when dropped (not a directory left per run).
fn temp_file(name: &str, body: &str) -> tempfile::TempPath {
    let file = tempfile::Builder::new().prefix("rekindle-token-test-").suffix(name).tempfile().expect("temp file");
    std::fs::write(file.path(), body).expect("write temp file");
    file.into_temp_path()
}

/// Signs with `key_file` at `now` and returns the token text.
fn sign(key_file: &str, extra: &[&str], now: &str) -> String {
    let mut args = vec!["unsubscribe-token", "--key-file", key_file, "--contact", "cus_8a7f3e9d", "--now", now];
    args.extend_from_slice(extra);
    let out = rekindle(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "one line of data: {text}");
    text.trim_end().to_owned()
}

fn verify(key_files: &[&str], token: &str, extra: &[&str], now: &str) -> Output {
    let mut args = vec!["verify-token"];
    for k in key_files {
        args.extend_from_slice(&["--key-file", k]);
    }
    args.extend_from_slice(&["--token", token, "--now", now]);
    args.extend_from_slice(extra);
    rekindle(&args)
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(out)).expect("verify-token prints JSON")
}

#[test]
fn a_signed_token_verifies_and_prints_its_fields_as_json() {
    let token = sign(CURRENT, &["--topic", "newsletter", "--ttl", "30d"], "2026-11-01T00:00:00Z");
    assert!(token.starts_with("v1.2026-11."), "{token}");
    let out = verify(&[CURRENT], &token, &[], "2026-11-30T23:59:59Z");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json(&out),
        serde_json::json!({"kid": "2026-11", "purpose": "unsubscribe", "contact": "cus_8a7f3e9d",
                           "topic": "newsletter", "issuedAt": 1_793_491_200_000_i64, "expiresAt": 1_796_083_200_000_i64})
    );
}

#[test]
fn a_token_expires_exactly_at_its_ttl_with_exit_3() {
    let token = sign(CURRENT, &["--ttl", "30d"], "2026-11-01T00:00:00Z");
    let out = verify(&[CURRENT], &token, &[], "2026-12-01T00:00:00Z");
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("--token: token: expired at 1796083200000 ms"), "{}", stderr(&out));
    assert!(out.stdout.is_empty(), "nothing on stdout for a refused token");
}

#[test]
fn base_url_prints_the_rfc_8058_header_pair() {
    let out = rekindle(&[
        "unsubscribe-token",
        "--key-file",
        CURRENT,
        "--contact",
        "cus_8a7f3e9d",
        "--now",
        "2026-11-01T00:00:00Z",
        "--base-url",
        "https://example.com/unsubscribe",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let token = lines[0]
        .strip_prefix("List-Unsubscribe: <https://example.com/unsubscribe?t=")
        .and_then(|rest| rest.strip_suffix('>'))
        .expect("List-Unsubscribe with one HTTPS URI");
    assert_eq!(lines[1], "List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    assert_eq!(verify(&[CURRENT], token, &[], "2026-11-02T00:00:00Z").status.code(), Some(0));
}

#[test]
fn base_url_with_a_query_appends_the_token_with_an_ampersand() {
    let out = rekindle(&[
        "unsubscribe-token",
        "--key-file",
        CURRENT,
        "--contact",
        "c1",
        "--purpose",
        "preferences",
        "--now",
        "2026-11-01T00:00:00Z",
        "--base-url",
        "https://example.com/prefs?lang=pl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("https://example.com/prefs?lang=pl&t=v1.2026-11."), "{}", stdout(&out));
}

#[test]
fn old_key_tokens_verify_while_both_key_files_are_given_and_fail_after_retirement() {
    let token = sign(PREVIOUS, &[], "2026-10-20T00:00:00Z");
    assert!(token.starts_with("v1.2026-10."), "the file's newest key signs: {token}");
    let both = verify(&[PREVIOUS, CURRENT], &token, &[], "2026-11-15T00:00:00Z");
    assert_eq!(both.status.code(), Some(0), "{}", stderr(&both));
    assert_eq!(json(&both)["kid"], "2026-10");
    let retired = verify(&[CURRENT], &token, &[], "2026-11-15T00:00:00Z");
    assert_eq!(retired.status.code(), Some(3));
    assert!(stderr(&retired).contains("unknown key id \"2026-10\""), "{}", stderr(&retired));
}

#[test]
fn a_tampered_token_is_refused_with_exit_3() {
    let token = sign(CURRENT, &[], "2026-11-01T00:00:00Z");
    // One payload character changed (inside "cus_…"), and a token signed with another key relabelled 2026-11.
    let edited = token.replacen("N1c1", "N1c2", 1);
    let relabelled = sign(PREVIOUS, &[], "2026-11-01T00:00:00Z").replacen("v1.2026-10.", "v1.2026-11.", 1);
    for forged in [edited, relabelled] {
        assert_ne!(forged, token);
        let out = verify(&[CURRENT], &forged, &[], "2026-11-02T00:00:00Z");
        assert_eq!(out.status.code(), Some(3), "{forged}");
        assert!(stderr(&out).contains("signature does not match"), "{}", stderr(&out));
    }
    let cut = verify(&[CURRENT], &token[..20], &[], "2026-11-02T00:00:00Z");
    assert_eq!(cut.status.code(), Some(3));
    assert!(stderr(&cut).contains("malformed at byte 20"), "{}", stderr(&cut));
}

#[test]
fn a_preferences_token_does_not_unsubscribe() {
    let token = sign(CURRENT, &["--purpose", "preferences"], "2026-11-01T00:00:00Z");
    let out = verify(&[CURRENT], &token, &[], "2026-11-02T00:00:00Z");
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("made for preferences, not for unsubscribe"), "{}", stderr(&out));
    assert_eq!(
        verify(&[CURRENT], &token, &["--purpose", "preferences"], "2026-11-02T00:00:00Z").status.code(),
        Some(0)
    );
}

#[test]
fn usage_mistakes_exit_2_missing_key_files_1_and_malformed_key_files_3() {
    let base = ["unsubscribe-token", "--key-file", CURRENT, "--contact", "c1", "--now", "2026-11-01T00:00:00Z"];
    let http = rekindle(&[&base[..], &["--base-url", "http://example.com/u"]].concat());
    assert_eq!(http.status.code(), Some(2));
    assert!(stderr(&http).contains("RFC 8058 requires HTTPS"), "{}", stderr(&http));
    let kid = rekindle(&[&base[..], &["--kid", "2027-01"]].concat());
    assert_eq!(kid.status.code(), Some(2));
    assert!(stderr(&kid).contains("--kid 2027-01 is not in"), "{}", stderr(&kid));
    let ttl = rekindle(&[&base[..], &["--ttl", "1 month"]].concat());
    assert_eq!(ttl.status.code(), Some(2));
    assert_eq!(
        rekindle(&["unsubscribe-token", "--key-file", CURRENT, "--contact", "", "--now", "2026-11-01T00:00:00Z"])
            .status
            .code(),
        Some(2)
    );

    let missing = rekindle(&[
        "unsubscribe-token",
        "--key-file",
        "no/such.keys",
        "--contact",
        "c1",
        "--now",
        "2026-11-01T00:00:00Z",
    ]);
    assert_eq!(missing.status.code(), Some(1));

    let bad = temp_file("bad.keys", "# comment\n2026-11:0011zz\n");
    let out =
        verify(&[bad.to_str().expect("utf-8 path")], "v1.x.AQE.AAAAAAAAAAAAAAAAAAAAAA", &[], "2026-11-01T00:00:00Z");
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("bad.keys: line 2: the key is not hex"), "{}", stderr(&out));
    let empty = temp_file("empty.keys", "# nothing here\n");
    let out = verify(&[empty.to_str().expect("utf-8 path")], "x", &[], "2026-11-01T00:00:00Z");
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("no key found"), "{}", stderr(&out));
}

#[test]
fn sign_warns_about_email_contacts_and_short_unsubscribe_ttls() {
    let out = rekindle(&[
        "unsubscribe-token",
        "--key-file",
        CURRENT,
        "--contact",
        "ann@example.com",
        "--ttl",
        "7d",
        "--now",
        "2026-11-01T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(err.contains("looks like an email address"), "{err}");
    assert!(err.contains("shorter than 30d"), "{err}");
}

#[test]
fn every_help_example_runs_and_exits_0() {
    for command in ["unsubscribe-token", "verify-token"] {
        let help = stdout(&rekindle(&[command, "--help"]));
        let examples: Vec<&str> = help.lines().filter_map(|l| l.strip_prefix("  rekindle ")).collect();
        assert!(examples.len() >= 2, "{command} --help lists examples:\n{help}");
        for example in examples {
            let out = rekindle(&example.split_whitespace().collect::<Vec<_>>());
            assert_eq!(out.status.code(), Some(0), "rekindle {example}\n{}", stderr(&out));
            assert!(!out.stdout.is_empty(), "rekindle {example} prints data");
        }
    }
}

#[test]
fn the_example_key_files_say_they_are_examples_only() {
    for file in [CURRENT, PREVIOUS] {
        let text = std::fs::read_to_string(repo().join(file)).expect("example key file");
        assert!(text.starts_with("# EXAMPLE ONLY, NEVER USE IN PRODUCTION"), "{file}");
    }
}
