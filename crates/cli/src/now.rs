//! `--now`, the instant every command decides, signs or verifies at: parsed in one place, so `decide`, `plan`,
//! `unsubscribe-token` and `verify-token` accept and refuse the same text with the same message.
//!
//! Invariant: a `--now` that reads as epoch seconds (`date +%s`, before 1973-03-03 as milliseconds) is refused
//! (exit 2, `now_looks_like_seconds`). Read as milliseconds it is a day in January 1970: `plan` would fold no event
//! and plan every contact as if new, `decide` would decide before anything happened, and a token would be issued
//! (or checked) as of 1970. Events with such an `at` are refused alike (`at_looks_like_seconds`).

use rekindle_core::Timestamp;

use crate::CliError;

/// `--now` as RFC 3339 or epoch ms; anything else, epoch seconds included, is a usage error (exit 2).
pub(crate) fn parse(text: &str) -> Result<Timestamp, CliError> {
    let now = crate::adapter::parse_instant(text, "--now").map_err(|e| CliError::Usage(e.to_string()))?;
    if !now.looks_like_seconds() {
        return Ok(now);
    }
    Err(CliError::Usage(format!(
        "--now: {} is {} read as epoch milliseconds: it looks like epoch seconds; pass milliseconds (× 1000) or \
         RFC 3339 like 2026-11-26T12:00:00Z (now_looks_like_seconds)",
        crate::diagnostic::quote(text.trim()),
        crate::report::rfc3339(now.ms())
    )))
}

/// An optional `--now` ([`parse`]), else the system clock ([`clock`]).
pub(crate) fn given_or_clock(text: Option<&str>) -> Result<Timestamp, CliError> {
    text.map_or_else(clock, parse)
}

/// The one place rekindle reads the clock: the CLI's default `--now`, echoed to stderr.
#[allow(clippy::disallowed_methods)]
pub(crate) fn clock() -> Result<Timestamp, CliError> {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|_| CliError::Usage("the system clock is before 1970; pass --now".into()))?
        .as_millis();
    let ts = i64::try_from(ms)
        .ok()
        .and_then(Timestamp::from_ms)
        .ok_or_else(|| CliError::Usage("the system clock is out of range; pass --now".into()))?;
    eprintln!("rekindle: --now not given, using the system clock: {}", ts.ms());
    Ok(ts)
}
