//! The previous plan (`--previous DIR`): what a plan run next week or next quarter must not forget.
//!
//! A plan is decided from the events in its logs, and ESP webhook logs roll over (30 days is common), site logs
//! lose an erased person's events, exports move between systems. Rebuilt from the new logs alone, a contact
//! archived last quarter looks merely cold and a blog visit re-cycles it into the next campaign (D11 says it
//! stays archived until an explicit opt-in), a hard bounce or a complaint that left the log is mailable again
//! (D4: never), a click of last month is forgotten (D1), and an erased address a CRM re-imports is planned with
//! its email (D9). So every plan writes what it knew and the next run starts from it:
//!
//! - `state.csv`: each contact's folded state (core's compact byte form, hex) by normalised email — everything
//!   the fold learnt up to `--now`, including suppressions, consents, archive, sequence enrolments (D22) and
//!   the last engagement. Erased contacts are never in it.
//! - `tombstones.csv`: the salted hashes of every address erased so far. A contact of this run whose tombstone
//!   is listed is erased again (an `erasure_request` at the previous `--now`), and every listed tombstone is
//!   written to this run's `tombstones.csv` too, so an address absent for a quarter is still blocked after.
//! - `manifest.json`: the previous `--now` and a check of the salt the tombstones were hashed with.
//!
//! Rule for events: a carried state holds every event up to the previous `--now` (that run folded nothing
//! later), so this run folds only the carried contacts' events after it; earlier ones, which overlapping logs
//! repeat, are counted (`previousEvents`) and not folded twice. A contact new to this run folds all its events.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rekindle_core::{ContactState, Timestamp};

use crate::error::CliError;
use crate::tombstone::Salt;

/// The previous plan's file of carried contact states.
pub const STATE_FILE: &str = "state.csv";

/// Why a previous plan cannot be carried; each has a stable code (printed with the path).
#[derive(Debug, thiserror::Error)]
pub enum PreviousProblem {
    /// The directory holds no plan's manifest (or one without the fields a carried plan needs).
    #[error("not a rekindle plan directory: {0}")]
    NotAPlan(String),
    /// The previous plan was decided after this run's `--now`: time would run backwards.
    #[error("the previous plan was decided at {previous}, after this run's --now {now}: plan forward in time")]
    AfterNow { previous: String, now: String },
    /// Its tombstones were hashed with another salt: none would match, every erased address would come back.
    #[error(
        "its tombstones were hashed with another salt than this run's: pass the --salt-file the previous plan used"
    )]
    SaltMismatch,
    /// A row of `state.csv` does not read back.
    #[error("a contact state does not read back: {0}")]
    BadState(String),
    /// A row of `tombstones.csv` is not a SHA-256 in hex.
    #[error("a tombstone is not 64 hex digits")]
    BadTombstone,
}

impl PreviousProblem {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            PreviousProblem::NotAPlan(_) => "not_a_plan",
            PreviousProblem::AfterNow { .. } => "previous_after_now",
            PreviousProblem::SaltMismatch => "salt_mismatch",
            PreviousProblem::BadState(_) => "bad_state",
            PreviousProblem::BadTombstone => "bad_tombstone",
        }
    }
}

/// What the previous plan hands on, besides the states (streamed by [`Previous::states`]).
pub struct Previous {
    /// The directory.
    pub dir: PathBuf,
    /// Its `--now`.
    pub now: Timestamp,
    /// Every tombstone it listed.
    pub tombstones: HashSet<String>,
}

fn problem(path: PathBuf, line: u64, problem: PreviousProblem) -> CliError {
    CliError::Previous { path, line, problem }
}

/// The `--now` and salt check of the plan in `dir`'s `manifest.json`, if it holds one.
fn manifest(dir: &Path) -> Result<(Timestamp, Option<String>), CliError> {
    let path = dir.join("manifest.json");
    let not_a_plan = |why: &str| problem(path.clone(), 0, PreviousProblem::NotAPlan(why.into()));
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_a_plan("no manifest.json")),
        Err(source) => return Err(CliError::Io { path, source }),
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| not_a_plan("manifest.json is not JSON"))?;
    let now = value.get("now").and_then(serde_json::Value::as_i64).and_then(Timestamp::from_ms);
    let now = now.ok_or_else(|| not_a_plan("manifest.json has no `now`"))?;
    let check = value.get("saltCheck").and_then(serde_json::Value::as_str).map(str::to_string);
    Ok((now, check))
}

/// The `--now` of the plan `dir` holds, if any: a run into a directory with an earlier plan and no `--previous`
/// is warned that it forgets what that plan knew.
pub fn earlier_plan(dir: &Path, now: Timestamp) -> Option<Timestamp> {
    manifest(dir).ok().map(|(t, _)| t).filter(|t| *t < now)
}

impl Previous {
    /// Reads `dir`'s manifest and tombstones, checked against this run's `now` and salt.
    pub fn load(dir: &Path, now: Timestamp, salt: &Salt) -> Result<Previous, CliError> {
        let (previous, check) = manifest(dir)?;
        let path = dir.join("manifest.json");
        if previous > now {
            let (previous, now) = (crate::report::rfc3339(previous.ms()), crate::report::rfc3339(now.ms()));
            return Err(problem(path, 0, PreviousProblem::AfterNow { previous, now }));
        }
        let Some(check) = check else {
            let why = "manifest.json has no saltCheck (written by an older rekindle: plan it again)";
            return Err(problem(path, 0, PreviousProblem::NotAPlan(why.into())));
        };
        if check != salt.check() {
            return Err(problem(path, 0, PreviousProblem::SaltMismatch));
        }
        let mut tombstones = HashSet::new();
        each_row(&dir.join("tombstones.csv"), |line, row| {
            let hash = row.first().copied().unwrap_or_default();
            if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(problem(dir.join("tombstones.csv"), line, PreviousProblem::BadTombstone));
            }
            tombstones.insert(hash.to_ascii_lowercase());
            Ok(())
        })?;
        Ok(Previous { dir: dir.to_path_buf(), now: previous, tombstones })
    }

    /// Streams `state.csv`: `each(email, state bytes)` for every row, each state checked to read back.
    pub fn states(&self, mut each: impl FnMut(&str, Box<[u8]>)) -> Result<(), CliError> {
        let path = self.dir.join(STATE_FILE);
        each_row(&path, |line, row| {
            let bad = |why: &str| problem(path.clone(), line, PreviousProblem::BadState(why.into()));
            let (Some(email), Some(hex)) = (row.first(), row.get(1)) else { return Err(bad("expected email,state")) };
            let bytes = unhex(hex).ok_or_else(|| bad("the state is not hex"))?;
            ContactState::from_bytes(&bytes).map_err(|e| bad(&e.to_string()))?;
            each(email, bytes.into_boxed_slice());
            Ok(())
        })
    }
}

/// Reads a CSV this tool wrote, header skipped; `row` gets the 1-based line and the cells.
fn each_row(path: &Path, mut row: impl FnMut(u64, Vec<&str>) -> Result<(), CliError>) -> Result<(), CliError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(problem(path.into(), 0, PreviousProblem::NotAPlan("the file is missing".into())));
        }
        Err(source) => return Err(CliError::Io { path: path.into(), source }),
    };
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(std::io::BufReader::new(file));
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let line = record.position().map_or(0, csv::Position::line);
                row(line, record.iter().collect())?;
            }
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                let why = PreviousProblem::NotAPlan(format!("not the CSV rekindle writes ({e})"));
                return Err(problem(path.into(), line, why));
            }
        }
    }
}

/// Lower- or upper-case hex to bytes.
fn unhex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    let value = |d: u8| char::from(d).to_digit(16).and_then(|v| u8::try_from(v).ok());
    digits.chunks_exact(2).map(|pair| Some(value(*pair.first()?)? << 4 | value(*pair.get(1)?)?)).collect()
}

#[cfg(test)]
mod tests {
    use super::unhex;

    #[test]
    fn unhex_reads_what_hex_writes_and_refuses_the_rest() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&crate::output::hex(&bytes)), Some(bytes));
        assert_eq!(unhex("0A0b"), Some(vec![10, 11]));
        for bad in ["0", "zz", "0g", "é0"] {
            assert_eq!(unhex(bad), None, "{bad}");
        }
    }
}
