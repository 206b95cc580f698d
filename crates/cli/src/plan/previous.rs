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
//!   the last engagement — and what the report counts that the state does not expose (latest open, click,
//!   reply; complaints of the last 30 days: `super::engagement`). Erased contacts are never in it.
//! - `tombstones.csv`: the salted hashes of every address erased so far, each with when it was erased
//!   (`erased_at`; lists written before that column have the hash alone). A contact of this run whose tombstone
//!   is listed is erased again — an `erasure_request` at the original erasure's instant, so `erasure.json` keeps
//!   the date the person asked, not the date of a later run; at the previous `--now` for a tombstone without
//!   one — and every listed tombstone is written to this run's `tombstones.csv` too, with its date, so an
//!   address absent for a quarter is still blocked after.
//! - `suppressed.csv`: the salted hashes of every suppressed address with channel, reason and since
//!   ([`super::suppressed`]): a bounced or complaining address the next export leaves out, and a CRM re-imports
//!   later, is suppressed again (D4). A plan written before the list existed (its manifest does not name it) hands
//!   on none.
//! - `deliveries.csv`: per hour, the marketing sends, deliveries and spam complaints of the 30 days before that
//!   plan's `--now` ([`super::mailed`]): the complaint rate (D5) counts what happened up to the previous `--now`
//!   from it and what came after from this run's events. A plan written before the file (its manifest does not
//!   name it) hands on none.
//! - `manifest.json`: the previous `--now`, a check of the salt the tombstones were hashed with, and the NPS and
//!   referrals it published (D38, D42), which this run's summary compares its own with
//!   (`crate::report::nps_change`; answers themselves are not carried).
//!
//! Rule for events: a carried state holds every event up to the previous `--now` (that run folded nothing
//! later), so this run folds only the carried contacts' events after it; earlier ones, which overlapping logs
//! repeat, are counted (`previousEvents`) and not folded twice. A contact new to this run folds all its events.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rekindle_core::{ContactState, Timestamp};

use super::engagement::Engagement;
use super::fold::Folder;
use super::mailed::{Carried, MAILED_FILE};
use super::roster::Roster;
use super::suppressed::{SuppressedList, SUPPRESSED_FILE};
use super::Counts;
use crate::error::CliError;
use crate::report::nps_change::Published;
use crate::tombstone::Salt;

/// The previous plan's file of carried contact states.
pub const STATE_FILE: &str = "state.csv";

/// Its header: the state, then what the report knew of the contact's engagement (`super::engagement`; instants
/// RFC 3339, complaints joined with `;`), then the contacts file's `churn_reason_stated` cell as that run read it
/// (`stated_reason_cell`, empty without one: `super::fold` folds the cell again only when it changed, so an
/// unchanged CRM column does not overwrite a reason an exit survey stated since, D39). A file with the first two
/// or six columns alone (older plans) still reads.
pub const STATE_HEADER: [&str; 7] =
    ["email", "state", "last_open", "last_click", "last_reply", "complaints", "stated_reason_cell"];

/// The contacts file's `churn_reason_stated` cell the previous plan read for a contact: `None` when its
/// `state.csv` is older than the column (unknown), `Some(None)` when it read none.
pub type PreviousCell = Option<Option<String>>;

/// Why a previous plan cannot be carried; each has a stable code (printed with the path).
#[derive(Debug, thiserror::Error)]
pub enum PreviousProblem {
    /// The directory holds no plan's manifest (or one without the fields a carried plan needs).
    #[error("not a rekindle plan directory: {0}")]
    NotAPlan(String),
    /// The previous plan was decided after this run's `--now`: time would run backwards.
    #[error("the previous plan was decided at {previous}, after this run's --now {now}: plan forward in time")]
    AfterNow { previous: String, now: String },
    /// `--out` holds a plan decided after this run's `--now`: writing an earlier plan over it would throw away what
    /// only it knew (erasures and suppressions since, every contact's state at its `--now`), and the next run's
    /// `--previous` would carry on from the past.
    #[error(
        "--out holds the plan of {previous}, later than this run's --now {now}: writing an earlier plan over it would \
         lose its tombstones, suppressions and states; plan into another --out, or at or after {previous}"
    )]
    OutAfterNow { previous: String, now: String },
    /// Its tombstones were hashed with another salt: none would match, every erased address would come back.
    #[error(
        "its tombstones were hashed with another salt than this run's: pass the --salt-file the previous plan used"
    )]
    SaltMismatch,
    /// A row of `state.csv` does not read back.
    #[error("a contact state does not read back: {0}")]
    BadState(String),
    /// A row of `tombstones.csv` is not a SHA-256 in hex, or its `erased_at` is not an instant.
    #[error("a tombstone does not read back: {0}")]
    BadTombstone(String),
    /// A row of `suppressed.csv` does not read back: a suppression dropped silently would let the address be
    /// mailed again.
    #[error("a suppression does not read back: {0}")]
    BadSuppression(String),
    /// A row of `deliveries.csv` does not read back: the complaint rate would be a share of the wrong mail.
    #[error("the complaint rate's counts do not read back: {0}")]
    BadDeliveries(String),
    /// The NPS or referral figures in `manifest.json` do not read back: the comparison with this run would be
    /// made against figures nobody published.
    #[error("the NPS and referral figures do not read back: {0}")]
    BadFigures(String),
}

impl PreviousProblem {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            PreviousProblem::NotAPlan(_) => "not_a_plan",
            PreviousProblem::AfterNow { .. } => "previous_after_now",
            PreviousProblem::OutAfterNow { .. } => "out_after_now",
            PreviousProblem::SaltMismatch => "salt_mismatch",
            PreviousProblem::BadState(_) => "bad_state",
            PreviousProblem::BadTombstone(_) => "bad_tombstone",
            PreviousProblem::BadSuppression(_) => "bad_suppression",
            PreviousProblem::BadDeliveries(_) => "bad_deliveries",
            PreviousProblem::BadFigures(_) => "bad_figures",
        }
    }
}

/// What the previous plan hands on, besides the states (streamed by [`Previous::states`]).
pub struct Previous {
    /// The directory.
    pub dir: PathBuf,
    /// Its `--now`.
    pub now: Timestamp,
    /// Every tombstone it listed, with the erasure's instant when the list holds it.
    pub tombstones: HashMap<String, Option<Timestamp>>,
    /// Its suppression list; [`Previous::carry`] leaves in it only the addresses this run's export lacks.
    pub suppressed: SuppressedList,
    /// Its complaint rate's counts per hour (`None`: a plan from before `deliveries.csv`).
    pub mailed: Option<Carried>,
    /// The NPS and referrals it published (`None`: a plan from before D38).
    pub published: Option<Published>,
}

/// What `manifest.json` says that a carried plan needs.
struct Manifest {
    now: Timestamp,
    salt_check: Option<String>,
    /// Whether it lists `suppressed.csv` (plans from before the list do not).
    lists_suppressed: bool,
    /// Whether it lists `deliveries.csv` (plans from before the file do not).
    lists_mailed: bool,
    /// Its NPS and referrals; `Err` when they do not read back (refused by [`Previous::load`] only: a directory
    /// merely checked for its `--now` or salt is not refused for them).
    published: Result<Option<Published>, String>,
}

fn problem(path: PathBuf, line: u64, problem: PreviousProblem) -> CliError {
    CliError::Previous { path, line, problem }
}

/// The `--now`, salt check and files of the plan in `dir`'s `manifest.json`, if it holds one.
fn manifest(dir: &Path) -> Result<Manifest, CliError> {
    let path = dir.join("manifest.json");
    let not_a_plan = |why: &str| problem(path.clone(), 0, PreviousProblem::NotAPlan(why.into()));
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_a_plan("no manifest.json")),
        // `--previous plans/2026-10/manifest.json` or `plan.csv`: a file where the plan's directory belongs.
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
            let why = "a file, not a directory: pass the directory the previous plan was written to (its --out)";
            return Err(problem(dir.to_path_buf(), 0, PreviousProblem::NotAPlan(why.into())));
        }
        Err(source) => return Err(CliError::Io { path, source }),
    };
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| not_a_plan("manifest.json is not JSON"))?;
    let now = value.get("now").and_then(serde_json::Value::as_i64).and_then(Timestamp::from_ms);
    let now = now.ok_or_else(|| not_a_plan("manifest.json has no `now`"))?;
    let salt_check = value.get("saltCheck").and_then(serde_json::Value::as_str).map(str::to_string);
    let files = value.get("files").and_then(serde_json::Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let lists = |file: &str| files.iter().any(|f| f.get("path").and_then(serde_json::Value::as_str) == Some(file));
    let (lists_suppressed, lists_mailed) = (lists(SUPPRESSED_FILE), lists(MAILED_FILE));
    Ok(Manifest { now, salt_check, lists_suppressed, lists_mailed, published: Published::read(&value) })
}

/// The salt check of the plan `dir` holds, if any (`crate::tombstone::Salt::load` takes that plan's `salt.txt`
/// only when it matches).
pub fn salt_check(dir: &Path) -> Option<String> {
    manifest(dir).ok().and_then(|m| m.salt_check)
}

/// The `--now` of the plan `dir` holds, if any: a run into a directory with an earlier plan and no `--previous`
/// is warned that it forgets what that plan knew.
pub fn earlier_plan(dir: &Path, now: Timestamp) -> Option<Timestamp> {
    manifest(dir).ok().map(|m| m.now).filter(|t| *t < now)
}

/// Refuses to write over a plan in `out` decided after `now` (with or without `--previous`: either way the later
/// plan's files would be replaced by an earlier one's). The same `--now` again is a rerun and passes.
pub fn later_plan(out: &Path, now: Timestamp) -> Result<(), CliError> {
    let Ok(Manifest { now: earlier, .. }) = manifest(out) else { return Ok(()) };
    if earlier <= now {
        return Ok(());
    }
    let (previous, now) = (crate::report::rfc3339(earlier.ms()), crate::report::rfc3339(now.ms()));
    Err(problem(out.join("manifest.json"), 0, PreviousProblem::OutAfterNow { previous, now }))
}

impl Previous {
    /// Reads `dir`'s manifest and tombstones, checked against this run's `now` and salt.
    pub fn load(dir: &Path, now: Timestamp, salt: &Salt) -> Result<Previous, CliError> {
        let Manifest { now: previous, salt_check: check, lists_suppressed, lists_mailed, published } = manifest(dir)?;
        let path = dir.join("manifest.json");
        let published = published.map_err(|why| problem(path.clone(), 0, PreviousProblem::BadFigures(why)))?;
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
        let mut tombstones = HashMap::new();
        let path = dir.join(TOMBSTONES_FILE);
        each_row(&path, |line, row| {
            let bad = |why: String| problem(path.clone(), line, PreviousProblem::BadTombstone(why));
            let (hash, erased_at) = parse_tombstone(&row).map_err(bad)?;
            let known = tombstones.entry(hash).or_insert(erased_at);
            *known = earliest(*known, erased_at);
            Ok(())
        })?;
        let mut suppressed = SuppressedList::default();
        if lists_suppressed {
            let path = dir.join(SUPPRESSED_FILE);
            each_row(&path, |line, row| {
                let bad = |why: String| problem(path.clone(), line, PreviousProblem::BadSuppression(why));
                let (hash, channel, dnc) = super::suppressed::parse_row(&row).map_err(bad)?;
                suppressed.insert(hash, channel, dnc);
                Ok(())
            })?;
        }
        let mut mailed = None;
        if lists_mailed {
            let path = dir.join(MAILED_FILE);
            let mut carried = Carried::new(previous);
            each_row(&path, |line, row| {
                let bad = |why: String| problem(path.clone(), line, PreviousProblem::BadDeliveries(why));
                let (until, tally) = super::mailed::parse_row(&row).map_err(bad)?;
                carried.row(until, tally).map_err(bad)
            })?;
            mailed = Some(carried);
        }
        Ok(Previous { dir: dir.to_path_buf(), now: previous, tombstones, suppressed, mailed, published })
    }

    /// Starts every contact of `roster` the previous plan knew from its state there; erases again every contact
    /// one of whose addresses (its own, or one merged into it by phone: [`Roster::aliases`]) its tombstones list,
    /// at the earliest erasure listed; and gives back the suppressions its list names for any of them, except
    /// those a carried state already holds (its own address's). Addresses of this run leave
    /// [`Previous::suppressed`]: their entries are written from their state from now on.
    pub fn carry(
        &mut self,
        salt: &Salt,
        roster: &Roster,
        folder: &mut Folder<'_>,
        counts: &mut Counts,
    ) -> Result<(), CliError> {
        self.states(folder.now(), |email, state, engagement, cell| {
            if let Some(index) = roster.find(email) {
                counts.previous_contacts += u64::from(folder.carry(index, state, engagement, cell, self.now));
            }
        })?;
        if self.tombstones.is_empty() && self.suppressed.is_empty() {
            return Ok(());
        }
        let aliases = roster.aliases();
        let mut aliases = aliases.iter().peekable();
        for (index, contact) in roster.contacts.iter().enumerate() {
            let Ok(index) = u32::try_from(index) else { continue };
            // Every address the contact has: its own, then those merged into it by phone (D22).
            let mut addresses = vec![(contact.email.as_str(), true)];
            while let Some((_, alias)) = aliases.next_if(|(i, _)| *i == index) {
                addresses.push((alias.as_str(), false));
            }
            let carried = folder.is_carried(index);
            let (mut suppressed, mut erased_at) = (false, None);
            for (email, own) in addresses {
                let hash = salt.tombstone(email);
                // A carried state already holds every suppression the previous plan knew of the contact's own
                // address; one of another address merged into it is new to it.
                if let Some(entries) = self.suppressed.take(&hash) {
                    let events: Vec<_> = rekindle_core::suppression::Channel::ALL
                        .into_iter()
                        .zip(entries)
                        .filter_map(|(channel, dnc)| dnc.map(|dnc| super::suppressed::event(channel, dnc)))
                        .collect();
                    match (carried, own) {
                        (true, true) => {}
                        (true, false) => folder.fold_into_carried(index, &events)?,
                        (false, _) => events.into_iter().try_for_each(|e| folder.push(index, e))?,
                    }
                    suppressed |= !(carried && own);
                }
                if let Some(at) = self.tombstones.get(&hash) {
                    let at = at.unwrap_or(self.now);
                    erased_at = Some(erased_at.map_or(at, |e: Timestamp| e.min(at)));
                }
            }
            counts.previous_suppressions += u64::from(suppressed);
            let Some(at) = erased_at else { continue };
            let erasure = rekindle_core::Event {
                at,
                kind: rekindle_core::EventKind::ErasureRequest,
                id: String::new(),
                contact: String::new(),
                machine: false,
                props: Default::default(),
            };
            // A carried contact (another of its addresses was erased) takes it as history, as above.
            match carried {
                true => folder.fold_into_carried(index, &[erasure])?,
                false => folder.push(index, erasure)?,
            }
            counts.previous_tombstones += 1;
        }
        Ok(())
    }

    /// Streams `state.csv`: `each(email, state bytes, engagement, cell)` for every row, each state checked to
    /// read back, the engagement as [`Engagement::carried`] sees it at `now` (none in a file from before those
    /// columns), the `churn_reason_stated` cell that plan read ([`PreviousCell`]).
    pub fn states(
        &self,
        now: Timestamp,
        mut each: impl FnMut(&str, Box<[u8]>, Engagement, PreviousCell),
    ) -> Result<(), CliError> {
        let path = self.dir.join(STATE_FILE);
        each_row(&path, |line, row| {
            let bad = |why: &str| problem(path.clone(), line, PreviousProblem::BadState(why.into()));
            let (row, cell) = match row.as_slice() {
                [rest @ .., cell] if rest.len() == 6 => (rest, Some(Some(*cell).filter(|c| !c.is_empty()))),
                row => (row, None),
            };
            let (email, hex, engagement) = match row {
                [email, hex] => (*email, *hex, Engagement::default()),
                [email, hex, open, click, reply, complaints] => {
                    let instant = |text: &str, what: &str| match text {
                        "" => Ok(None),
                        text => crate::adapter::parse_instant(text, what).map(Some).map_err(|e| bad(&e.to_string())),
                    };
                    let last =
                        [instant(open, "last_open")?, instant(click, "last_click")?, instant(reply, "last_reply")?];
                    let complaints = complaints
                        .split(';')
                        .filter(|t| !t.is_empty())
                        .map(|t| instant(t, "complaints"))
                        .collect::<Result<Vec<_>, _>>()?;
                    let complaints: Vec<Timestamp> = complaints.into_iter().flatten().collect();
                    (*email, *hex, Engagement::carried(last, &complaints, now))
                }
                _ => return Err(bad(&format!("expected {}", STATE_HEADER.join(",")))),
            };
            let bytes = unhex(hex).ok_or_else(|| bad("the state is not hex"))?;
            ContactState::from_bytes(&bytes).map_err(|e| bad(&e.to_string()))?;
            each(email, bytes.into_boxed_slice(), engagement, cell.map(|c| c.map(str::to_string)));
            Ok(())
        })
    }
}

/// The file of erased addresses' salted hashes, in every plan directory.
pub const TOMBSTONES_FILE: &str = "tombstones.csv";

/// Its header. `erased_at` came later: a list with the `sha256` column alone still reads (no date).
pub const TOMBSTONES_HEADER: [&str; 2] = ["sha256", "erased_at"];

/// One row of `tombstones.csv`: the hash, lower-cased, and the erasure's instant when the row has one (empty cell
/// or no cell: none). The error says what is wrong.
pub fn parse_tombstone(cells: &[&str]) -> Result<(String, Option<Timestamp>), String> {
    let (hash, erased_at) = match cells {
        [hash] => (*hash, ""),
        [hash, erased_at] => (*hash, *erased_at),
        _ => return Err(format!("expected {} cells, got {}", TOMBSTONES_HEADER.join(","), cells.len())),
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the address hash is not 64 hex digits".into());
    }
    let erased_at = match erased_at {
        "" => None,
        text => Some(crate::adapter::parse_instant(text, "erased_at").map_err(|e| e.to_string())?),
    };
    Ok((hash.to_ascii_lowercase(), erased_at))
}

/// The earlier of two known instants; an unknown one gives way to a known one (two rows of one address: the
/// erasure happened at the first).
pub fn earliest(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
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
    // Flexible: a row with too few or too many cells is the caller's typed refusal, with its line.
    let mut reader =
        csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(std::io::BufReader::new(file));
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
    use super::{earliest, parse_tombstone, unhex};
    use rekindle_core::Timestamp;

    #[test]
    fn a_tombstone_reads_with_or_without_its_erasure_date_and_refuses_the_rest() {
        let hash = "AB".repeat(32);
        let at = Timestamp::from_ms(1_795_168_800_000);
        assert_eq!(parse_tombstone(&[&hash]), Ok(("ab".repeat(32), None)), "a list from before erased_at");
        assert_eq!(parse_tombstone(&[&hash, ""]), Ok(("ab".repeat(32), None)));
        assert_eq!(parse_tombstone(&[&hash, "2026-11-20T10:00:00Z"]), Ok(("ab".repeat(32), at)));
        for bad in [vec!["0123"], vec![hash.as_str(), "last tuesday"], vec![hash.as_str(), "", "x"], vec![]] {
            assert!(parse_tombstone(&bad).is_err(), "{bad:?}");
        }
        assert_eq!(earliest(at, None), at);
        assert_eq!(earliest(None, at), at);
        assert_eq!(earliest(at, Timestamp::from_ms(1)), Timestamp::from_ms(1));
    }

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
