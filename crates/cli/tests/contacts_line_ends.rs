//! `rekindle plan` on contacts files whose lines end with a lone CR (Excel for Mac's "CSV (Macintosh)", a CR
//! inside a quoted cell): each rejection names the line its row starts on, in a generic CSV (read by the CLI's
//! own reader) as in a vendor export (read by core), whatever mix of CR, LF and CRLF the file has.
#![allow(clippy::expect_used, clippy::indexing_slicing, clippy::panic)] // test helpers: a failed setup aborts the test

#[path = "support/plan_cli.rs"]
mod plan_cli;

use plan_cli::{diagnostics, plan, stderr, write};

/// Before, the generic reader counted only LFs: every row of a CR file was "line 1" or so, and a rejection
/// named the wrong line.
#[test]
fn rejections_in_files_with_lone_cr_line_ends_name_their_own_lines() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(tmp.path(), "events.ndjson", "");
    let rows = "nope,1,x\rb@x.test,2,\"two\rlines\"\r\nc@x.test,3,y\r\rd,4,z\n";
    let files =
        [("generic.csv", format!("email,id,note\r{rows}")), ("hubspot.csv", format!("Email,Record ID,Notes\r{rows}"))];
    for (name, text) in files {
        let contacts = write(tmp.path(), name, &text);
        let out = tmp.path().join(format!("out-{name}"));
        let run = plan(&contacts, &events, &out, &[]);
        assert_eq!(run.status.code(), Some(4), "{name}: {}", stderr(&run));
        let found: Vec<(u64, String)> = diagnostics(&out)
            .iter()
            .filter(|d| d["severity"] != "warning")
            .map(|d| (d["line"].as_u64().expect("line"), d["code"].as_str().expect("code").to_string()))
            .collect();
        assert_eq!(found, [(2, "invalid_email".to_string()), (7, "invalid_email".to_string())], "{name}");
    }
}

/// Blank lines before a row: the row is named by its own line. Before, the generic reader named the first blank
/// line (the csv reader's position of a record is where the blank lines before it start).
#[test]
fn a_row_after_blank_lines_is_named_by_its_own_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let events = write(tmp.path(), "events.ndjson", "");
    for (name, text) in [
        ("lf.csv", "email,id\nnope,1\nb@x.test,2\n\n\nd,4\n"),
        ("crlf.csv", "email,id\r\nnope,1\r\nb@x.test,2\r\n\r\n\r\nd,4\r\n"),
        ("no final newline.csv", "email,id\nnope,1\nb@x.test,2\n\n\nd,4"),
    ] {
        let contacts = write(tmp.path(), name, text);
        let out = tmp.path().join(format!("out-{name}"));
        let run = plan(&contacts, &events, &out, &[]);
        assert_eq!(run.status.code(), Some(4), "{name}: {}", stderr(&run));
        let lines: Vec<u64> = diagnostics(&out).iter().map(|d| d["line"].as_u64().expect("line")).collect();
        assert_eq!(lines, [2, 6], "{name}");
    }
}
