//! `rekindle plan --links URL --link-keys FILE [--link-ttl]`: the audience CSVs carry each contact's signed links —
//! a List-Unsubscribe URL (RFC 8058 one-click, D5), a preference-center URL (D27) and, for the break-up email, a
//! "keep me subscribed" URL (D8) — every token checked here with core's verifier (purpose, contact, issue and
//! expiry). Without the flags the files are unchanged. And `unsubscribe-token --contacts FILE`, the same tokens for
//! any contact list, with rejected rows named by line.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

#[path = "support/plan_cli.rs"]
mod support;

use std::path::Path;

use rekindle_core::token::{Keyring, Purpose, Token};
use rekindle_core::{Span, Timestamp};
use support::{plan, rekindle, repo, stderr, write, CONTACTS, EVENTS, NOW};

const KEYS: &str = "examples/data/keys/example-current.keys";
const BASE: &str = "https://www.example.com";
const OLD_HEADER: &str = "id,email,since,next_transition_at,showed_intent,email_verdict,send_at";

fn keyring() -> Keyring {
    Keyring::parse(&std::fs::read_to_string(repo().join(KEYS)).expect("keys")).expect("keyring")
}

/// `NOW` (2026-11-26T12:00:00Z) in epoch ms.
fn now() -> Timestamp {
    Timestamp::from_ms(1_795_694_400_000).expect("NOW")
}

/// The rows of a CSV as header → cell maps.
fn rows(path: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).expect("csv");
    let header: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.expect("row").iter().map(String::from)).collect()).collect()
}

fn header(path: &Path) -> String {
    std::fs::read_to_string(path).expect("read").lines().next().unwrap_or_default().to_owned()
}

/// The token of `url`, which must be `BASE/<route>?t=<token>`, verified as `purpose` at `at`.
fn verified(url: &str, route: &str, purpose: Purpose, at: Timestamp) -> Token {
    let prefix = format!("{BASE}/{route}?t=");
    let text = url.strip_prefix(&prefix).unwrap_or_else(|| panic!("{url} does not start with {prefix}"));
    keyring().verify_token(text, at, purpose).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn linked(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["--links", BASE, "--link-keys", KEYS];
    args.extend_from_slice(extra);
    plan(CONTACTS, EVENTS, out, &args)
}

#[test]
fn without_links_the_audience_csvs_keep_their_columns() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = plan(CONTACTS, EVENTS, tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for name in ["soft_reactivation", "break_up"] {
        let text = std::fs::read_to_string(tmp.path().join(format!("audiences/{name}.csv"))).expect("audience");
        assert_eq!(text.lines().next(), Some(OLD_HEADER), "{name}");
        assert!(!text.contains("?t="), "{name}: no links without --links");
    }
}

/// D5, D8, D27: every audience row carries links whose tokens core verifies for exactly their purpose, name the
/// row's contact, were issued at --now and expire --link-ttl later (60d by default).
#[test]
fn links_are_signed_single_purpose_tokens_for_each_row_contact() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = linked(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let soft = tmp.path().join("audiences/soft_reactivation.csv");
    let breakup = tmp.path().join("audiences/break_up.csv");
    assert_eq!(header(&soft), format!("{OLD_HEADER},unsubscribe_url,preferences_url"));
    assert_eq!(header(&breakup), format!("{OLD_HEADER},unsubscribe_url,preferences_url,keep_me_url"));
    let expires = now().plus(Span::days(60));
    let mut checked = 0;
    for (path, columns) in [
        (
            &soft,
            &[
                ("unsubscribe_url", "unsubscribe", Purpose::Unsubscribe),
                ("preferences_url", "preferences", Purpose::Preferences),
            ][..],
        ),
        (
            &breakup,
            &[
                ("unsubscribe_url", "unsubscribe", Purpose::Unsubscribe),
                ("preferences_url", "preferences", Purpose::Preferences),
                ("keep_me_url", "keep", Purpose::Keep),
            ][..],
        ),
    ] {
        let rows = rows(path);
        assert!(!rows.is_empty(), "{} has members in the sample", path.display());
        for row in &rows {
            for (column, route, purpose) in columns {
                let token = verified(&row[*column], route, *purpose, now());
                assert_eq!(token.contact.as_str(), row["id"], "{column}");
                assert_eq!(
                    (token.issued_at, token.expires_at, token.topic.as_ref()),
                    (now(), expires, None),
                    "{column}"
                );
                let text = row[*column].split("?t=").nth(1).unwrap();
                for other in
                    [Purpose::Unsubscribe, Purpose::Preferences, Purpose::Keep].into_iter().filter(|p| p != purpose)
                {
                    assert!(keyring().verify_token(text, now(), other).is_err(), "{column} is not good for {other}");
                }
                assert!(keyring().verify_token(text, expires, *purpose).is_err(), "{column} expires");
                checked += 1;
            }
        }
    }
    assert!(checked >= 5, "{checked} links checked");
}

#[test]
fn the_same_inputs_and_now_give_the_same_links_byte_for_byte() {
    let (a, b) = (tempfile::tempdir().expect("tempdir"), tempfile::tempdir().expect("tempdir"));
    for dir in [&a, &b] {
        let out = linked(dir.path(), &["--link-ttl", "45d"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    for name in ["soft_reactivation", "break_up"] {
        let rel = format!("audiences/{name}.csv");
        let (x, y) = (std::fs::read(a.path().join(&rel)).unwrap(), std::fs::read(b.path().join(&rel)).unwrap());
        assert_eq!(x, y, "{rel}: HMAC-SHA256 tokens carry no randomness");
    }
    let row = &rows(&a.path().join("audiences/break_up.csv"))[0];
    assert_eq!(verified(&row["keep_me_url"], "keep", Purpose::Keep, now()).expires_at, now().plus(Span::days(45)));
}

#[test]
fn a_link_ttl_under_30_days_is_warned_and_bad_link_flags_are_usage_errors() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = linked(tmp.path(), &["--link-ttl", "7d"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("--link-ttl 7d is shorter than 30d"), "{}", stderr(&out));
    let row = &rows(&tmp.path().join("audiences/soft_reactivation.csv"))[0];
    let token = verified(&row["unsubscribe_url"], "unsubscribe", Purpose::Unsubscribe, now());
    assert_eq!(token.expires_at, now().plus(Span::days(7)));

    for (args, says) in [
        (&["--links", BASE][..], "--link-keys"),
        (&["--link-keys", KEYS][..], "--links"),
        (&["--links", "http://www.example.com", "--link-keys", KEYS][..], "https://"),
        (&["--links", "https://www.example.com/?x=1", "--link-keys", KEYS][..], "without a query"),
        (&["--links", BASE, "--link-keys", KEYS, "--link-ttl", "soon"][..], "--link-ttl"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = plan(CONTACTS, EVENTS, dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(!dir.path().join("audiences").exists(), "{args:?}: refused before writing");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = plan(CONTACTS, EVENTS, dir.path(), &["--links", BASE, "--link-keys", "no/such.keys"]);
    assert_eq!(missing.status.code(), Some(1), "{}", stderr(&missing));
}

/// `unsubscribe-token --contacts`: a token per row, all at one instant; a row that cannot be signed is named by its
/// line on stderr and left out (exit 4), never dropped silently.
#[test]
fn bulk_tokens_sign_every_row_and_name_rejected_rows_by_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let long = "x".repeat(256);
    let ids = write(
        tmp.path(),
        "ids.csv",
        &format!("email,ID\na@x.test,cus_1\nb@x.test,\nc@x.test,cus_3\nd@x.test,{long}\ne@x.test\n"),
    );
    let out = rekindle(&[
        "unsubscribe-token",
        "--key-file",
        KEYS,
        "--contacts",
        &ids,
        "--purpose",
        "keep",
        "--ttl",
        "30d",
        "--now",
        NOW,
        "--base-url",
        &format!("{BASE}/keep"),
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let mut reader = csv::Reader::from_reader(&out.stdout[..]);
    assert_eq!(reader.headers().unwrap().iter().collect::<Vec<_>>(), ["contact", "url"]);
    let signed: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[0].to_owned(), r[1].to_owned())
        })
        .collect();
    assert_eq!(signed.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(), ["cus_1", "cus_3"]);
    for (contact, url) in &signed {
        let token = verified(url, "keep", Purpose::Keep, now());
        assert_eq!((token.contact.as_str(), token.expires_at), (contact.as_str(), now().plus(Span::days(30))));
    }
    let err = stderr(&out);
    for line in [3, 5, 6] {
        assert!(err.contains(&format!("ids.csv:{line}: row left out")), "line {line}: {err}");
    }
    assert!(err.contains("ids.csv:3: row left out: expected a contact of 1 to 255 bytes"), "{err}");
    assert!(err.contains("2 token(s) signed, 3 row(s)"), "{err}");

    let plain = write(tmp.path(), "plain.csv", "contact\ncus_1\n");
    let out = rekindle(&["unsubscribe-token", "--key-file", KEYS, "--contacts", &plain, "--now", NOW]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let token = text.lines().nth(1).and_then(|l| l.strip_prefix("cus_1,")).expect("contact,token row");
    assert_eq!(keyring().verify_token(token, now(), Purpose::Unsubscribe).unwrap().contact.as_str(), "cus_1");

    let headless = write(tmp.path(), "headless.csv", "email\na@x.test\n");
    let out = rekindle(&["unsubscribe-token", "--key-file", KEYS, "--contacts", &headless, "--now", NOW]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("headless.csv:1: expected a header naming an id or contact column"),
        "{}",
        stderr(&out)
    );
    let both =
        rekindle(&["unsubscribe-token", "--key-file", KEYS, "--contacts", &plain, "--contact", "x", "--now", NOW]);
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
}
