//! An events file cut into blocks of lines on a thread of its own ([`SplitAhead`]), a block ahead of the parsing.
//!
//! Why: every core waits while a block is cut (finding each line, checking the text as UTF-8, copying it into the
//! block): 0.5 s of the events phase at 1M contacts × 20 events was this one thread working and the other cores
//! idle. Cut ahead, it overlaps the parsing and routing of the block before.

use std::io::BufRead;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use super::super::read_ahead::ReadAhead;
use super::super::Block;
use crate::diagnostic::Diagnostic;
use crate::error::CliError;

/// The longest line a file's reader takes, and how a longer one is reported. A longer line is read through and
/// dropped as it streams past, never held: a webhook log line of 2 GB costs its read, not 2 GB of memory.
pub struct LineLimit {
    /// Bytes of a line, without its `\n` / `\r\n`.
    pub bytes: usize,
    /// The reject's code.
    pub code: &'static str,
    /// The reject's field (what the line holds).
    pub field: Option<String>,
    /// The reject's message, given the line's length in bytes.
    pub message: Box<dyn Fn(u64) -> String + Send>,
}

/// Bytes of line text a block ends at, whatever the lines it was asked for: 32 MiB. A block of 32,768 real events
/// is 4–5 MB, so it never comes near; without it, lines just under a file's cap (16 MiB for `--events`, 3 MiB +
/// 64 KiB for a SendGrid log) would make a block of 32,768 times the cap, the whole file of such lines in memory.
/// With it a block holds at most this plus one line, and the plan a few blocks at a time.
const BLOCK_BYTES: usize = 32 << 20;

/// An events file's lines, read through the read-ahead buffers.
pub struct Lines {
    name: String,
    reader: ReadAhead,
    line: u64,
    position: u64,
    buf: Vec<u8>,
    limit: Option<LineLimit>,
}

impl Lines {
    /// The lines of `reader`; `name` names the file in diagnostics.
    pub fn new(name: String, reader: ReadAhead) -> Lines {
        Lines { name, reader, line: 0, position: 0, buf: Vec::new(), limit: None }
    }

    /// Lines longer than `limit` are rejected as it says, unread.
    pub fn limited(mut self, limit: LineLimit) -> Lines {
        self.limit = Some(limit);
        self
    }

    /// One line into `buf` (with its line end), as `read_until` reads it, but never more than the limit's bytes:
    /// past them the rest of the line is read and dropped. Returns the bytes read (0 at the end of the file) and
    /// the line's length without its line end.
    fn read_line(&mut self) -> std::io::Result<(usize, u64)> {
        let max = self.limit.as_ref().map_or(usize::MAX, |l| l.bytes).saturating_add(2); // + "\r\n"
        let (mut read, mut dropped, mut tail) = (0usize, false, [0u8; 2]);
        loop {
            let available = self.reader.fill_buf()?;
            let (chunk, ends) = match memchr::memchr(b'\n', available) {
                Some(i) => (available.get(..=i).unwrap_or_default(), true),
                None => (available, false),
            };
            if chunk.is_empty() {
                break;
            }
            if !dropped && self.buf.len() + chunk.len() > max {
                dropped = true; // the line is over the limit whatever its end: keep none of it
                self.buf.clear();
            }
            if !dropped {
                self.buf.extend_from_slice(chunk);
            }
            let [_, last] = tail;
            tail = match chunk {
                [.., a, b] => [*a, *b],
                [b] => [last, *b],
                [] => tail,
            };
            let n = chunk.len();
            read += n;
            self.reader.consume(n);
            if ends {
                break;
            }
        }
        let end = match tail {
            [b'\r', b'\n'] if read >= 2 => 2,
            [_, b'\n'] => 1,
            _ => 0,
        };
        Ok((read, (read - end) as u64))
    }

    /// Up to `max` lines into `records` (emptied first), fewer once they hold [`BLOCK_BYTES`], and the diagnostics
    /// of lines that are not UTF-8 or over the limit.
    fn fill(&mut self, max: usize, records: &mut Block) -> Result<Vec<Diagnostic>, CliError> {
        records.clear();
        let mut problems = Vec::new();
        let io = |name: &str, source| CliError::Io { path: name.into(), source };
        let mut held = 0; // bytes of text in `records`
        while records.len() < max && held < BLOCK_BYTES {
            // Whole lines straight from the buffer read ahead (1 MB): one copy per line, into the block. A line the
            // buffer does not hold whole (across its end, longer than it, or the file's last line without a
            // newline) is read through `read_until` into `buf` first.
            let available = self.reader.fill_buf().map_err(|e| io(&self.name, e))?;
            if available.is_empty() {
                break;
            }
            if let Some(last) = available.iter().rposition(|b| *b == b'\n') {
                let whole = available.get(..=last).unwrap_or_default();
                let mut used = 0;
                // The buffer's whole lines are checked as UTF-8 at once (a line is UTF-8 exactly when every line
                // around it is too, `\n` being ASCII) and split on `\n` with the memchr crate's vector search
                // (`str::split_inclusive('\n')` found each end with a word-at-a-time scan and a call to libc's
                // memcmp: half of this loop, which runs on the one thread every core waits for); only a buffer
                // holding a line that is not UTF-8 goes line by line, to name that line.
                if let Ok(text) = std::str::from_utf8(whole) {
                    for end in memchr::memchr_iter(b'\n', whole) {
                        if records.len() >= max || held >= BLOCK_BYTES {
                            break; // the rest of the buffer waits for the next block
                        }
                        // `end` is a `\n` (ASCII), so both ends of the line are char boundaries.
                        let line = text.get(used..=end).unwrap_or_default();
                        used = end + 1;
                        self.line += 1;
                        match too_long(&self.limit, &self.name, self.line, content_len(line.as_bytes())) {
                            Some(d) => problems.push(d),
                            None => held += take_text(self.line, line, records),
                        }
                    }
                } else {
                    for line in whole.split_inclusive(|b| *b == b'\n') {
                        if records.len() >= max || held >= BLOCK_BYTES {
                            break;
                        }
                        used += line.len();
                        self.line += 1;
                        match too_long(&self.limit, &self.name, self.line, content_len(line)) {
                            Some(d) => problems.push(d),
                            None => held += take(&self.name, self.line, line, records, &mut problems),
                        }
                    }
                }
                self.position += used as u64;
                self.reader.consume(used);
            } else {
                self.buf.clear();
                let (n, len) = self.read_line().map_err(|e| io(&self.name, e))?;
                if n == 0 {
                    break;
                }
                self.line += 1;
                self.position += n as u64;
                match too_long(&self.limit, &self.name, self.line, len) {
                    Some(d) => problems.push(d),
                    None => held += take(&self.name, self.line, &self.buf, records, &mut problems),
                }
            }
        }
        Ok(problems)
    }
}

/// The reject of line `line` of file `name`, `len` bytes long, when that is over `limit`.
fn too_long(limit: &Option<LineLimit>, name: &str, line: u64, len: u64) -> Option<Diagnostic> {
    let limit = limit.as_ref().filter(|l| len > l.bytes as u64)?;
    Some(Diagnostic::reject(name, line, limit.code, (limit.message)(len)).at(None, limit.field.clone()))
}

/// A line's length without its `\n` / `\r\n`.
fn content_len(line: &[u8]) -> u64 {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line).len() as u64
}

/// A failure that is a bug in rekindle, not in the input (exit 1).
fn internal(what: &str) -> CliError {
    CliError::Io {
        path: "<events reader>".into(),
        source: std::io::Error::other(format!("{what}; please report this")),
    }
}

/// A block cut on the thread: its lines' diagnostics and the bytes read up to its end, or the failure.
type Cut = Result<(Block, Vec<Diagnostic>, u64), CliError>;

/// Blocks cut on a thread of their own, [`AHEAD`] of the reader. The reader's emptied blocks go back to the thread
/// with the size wanted, so the whole file is cut through [`AHEAD`] + 1 blocks.
pub struct SplitAhead {
    /// In a mutex only so that the event source stays `Sync` (parsed from other threads); reached through
    /// `get_mut`, never locked.
    cut: Mutex<Receiver<Cut>>,
    wanted: SyncSender<(Block, usize)>,
    /// Blocks asked for and not received yet.
    asked: usize,
    /// The lines per block asked (one size for a whole file).
    max: usize,
}

/// Blocks cut ahead of the reader.
const AHEAD: usize = 2;

impl SplitAhead {
    /// Starts the thread; it cuts a block when one is asked for, and ends when this is dropped or at a failure.
    pub fn new(mut lines: Lines) -> SplitAhead {
        let (send, cut) = sync_channel::<Cut>(AHEAD);
        let (wanted, asks) = sync_channel::<(Block, usize)>(AHEAD + 1);
        std::thread::spawn(move || {
            for (mut block, max) in asks {
                let done = lines.fill(max, &mut block).map(|problems| (block, problems, lines.position));
                let failed = done.is_err();
                if send.send(done).is_err() || failed {
                    return; // the reader is gone, or was told why it cannot go on
                }
            }
        });
        SplitAhead { cut: Mutex::new(cut), wanted, asked: 0, max: 0 }
    }

    /// The next block of up to `max` lines into `records` (its old buffers go back to the thread), with the
    /// diagnostics of lines that are not UTF-8 and the bytes read so far. An empty block means the end.
    pub fn next(&mut self, max: usize, records: &mut Block) -> Result<(Vec<Diagnostic>, u64), CliError> {
        if max != self.max {
            // Blocks already cut ahead hold the old size's lines, and the file goes on after them: a reader asks
            // one size for a whole file (the plan does), so another size later is a bug in rekindle, refused
            // rather than answered with blocks of the wrong size.
            if self.asked > 0 {
                return Err(internal(&format!("events read in blocks of {} lines, then {max}", self.max)));
            }
            self.max = max;
        }
        while self.asked < AHEAD {
            // A failed send means the thread stopped after telling why: the receive below gets that.
            let _ = self.wanted.send((Block::default(), max));
            self.asked += 1;
        }
        let cut = self.cut.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (mut block, problems, position) = match cut.recv() {
            Ok(done) => done?,
            Err(_) => return Err(internal("the thread cutting the events file into lines stopped")),
        };
        self.asked -= 1;
        std::mem::swap(records, &mut block);
        block.clear();
        if self.wanted.send((block, max)).is_ok() {
            self.asked += 1;
        }
        Ok((problems, position))
    }
}

/// One line (with or without its `\n` / `\r\n`) into the block; a blank line is skipped, one that is not UTF-8
/// is a diagnostic with the column where the bad byte starts. Returns the bytes the block took.
fn take(name: &str, line: u64, bytes: &[u8], records: &mut Block, problems: &mut Vec<Diagnostic>) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(text) => take_text(line, text, records),
        Err(e) => {
            problems.push(
                Diagnostic::reject(name, line, "not_utf8", "not UTF-8 text; write events as UTF-8")
                    .at(Some(e.valid_up_to() as u64 + 1), None),
            );
            0
        }
    }
}

/// One line of text (with or without its `\n` / `\r\n`) into the block, unless it is blank. Returns the bytes
/// the block took.
fn take_text(line: u64, text: &str, records: &mut Block) -> usize {
    // A byte-order mark (Windows editors write one) is not part of the first line's JSON.
    let text = if line == 1 { text.strip_prefix('\u{feff}').unwrap_or(text) } else { text };
    let text = text.strip_suffix('\n').unwrap_or(text);
    let text = text.strip_suffix('\r').unwrap_or(text);
    if text.trim().is_empty() {
        return 0;
    }
    records.push(line, text);
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{self, Read};

    /// The given bytes, then a failure.
    struct Failing(io::Cursor<Vec<u8>>);

    impl Read for Failing {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match self.0.read(out)? {
                0 => Err(io::Error::other("disk gone")),
                n => Ok(n),
            }
        }
    }

    fn split(input: impl Read + Send + 'static) -> SplitAhead {
        SplitAhead::new(Lines::new("events.ndjson".into(), ReadAhead::new(input)))
    }

    #[test]
    fn lines_over_the_limit_are_rejected_with_their_length_and_never_held() {
        let mut file = b"short\n".to_vec();
        file.extend_from_slice(&[b'x'; 11]); // in the read-ahead buffer: the fast path
        file.extend_from_slice(b"\r\n0123456789\r\n");
        file.extend(std::iter::repeat_n(b'y', 3 << 20)); // across buffers: the bounded read
        file.extend_from_slice(b"\r\nok\n");
        file.extend_from_slice(&[b'z'; 12]); // the last line, without a line end
        let len = file.len() as u64;
        let limit = LineLimit {
            bytes: 10,
            code: "bad_body",
            field: Some("body".into()),
            message: Box::new(|n| format!("line of {n} bytes")),
        };
        let mut lines = Lines::new("log.ndjson".into(), ReadAhead::new(io::Cursor::new(file))).limited(limit);
        let mut block = Block::default();
        let problems = lines.fill(100, &mut block).expect("read");
        let got: Vec<(u64, &str)> = block.records().iter().map(|r| (r.line, r.text)).collect();
        assert_eq!(got, [(1, "short"), (3, "0123456789"), (5, "ok")]);
        let rejected: Vec<(u64, &str, String)> = problems.iter().map(|d| (d.line, d.code, d.message.clone())).collect();
        let expected = [(2, "line of 11 bytes"), (4, "line of 3145728 bytes"), (6, "line of 12 bytes")];
        assert_eq!(rejected, expected.map(|(l, m)| (l, "bad_body", m.to_string())));
        assert!(problems.iter().all(|d| d.field.as_deref() == Some("body")));
        assert!(lines.buf.capacity() < 1 << 20, "the 3 MiB line was held: {}", lines.buf.capacity());
        assert_eq!(lines.position, len);
    }

    #[test]
    fn a_block_ends_once_it_holds_32_mib_of_lines() {
        // 40 lines of 512 KiB (whole in the read-ahead buffer), then 5 of 4 MiB (read across buffers): 20 MiB, then
        // 24, 28 and 32 MiB after the first three long ones, where the block ends, 17 lines short of the 60 asked.
        let mut file = Vec::new();
        for (n, len) in [(40, 512 << 10), (5, 4 << 20)] {
            for _ in 0..n {
                file.extend(std::iter::repeat_n(b'x', len));
                file.push(b'\n');
            }
        }
        let mut lines = Lines::new("events.ndjson".into(), ReadAhead::new(io::Cursor::new(file)));
        let mut block = Block::default();
        let mut sizes = Vec::new();
        loop {
            assert!(lines.fill(60, &mut block).expect("read").is_empty());
            if block.is_empty() {
                break;
            }
            let records = block.records();
            let held: usize = records.iter().map(|r| r.text.len()).sum();
            assert!(held < BLOCK_BYTES + (4 << 20), "a block of {held} bytes");
            sizes.push((records.first().map(|r| r.line), records.len()));
        }
        assert_eq!(sizes, [(Some(1), 43), (Some(44), 2)]);
    }

    #[test]
    fn blocks_come_in_file_order_then_the_end_again_and_again() {
        let text: String = (1..=10).map(|i| format!("line {i}\n")).collect();
        let mut lines = split(io::Cursor::new(text.clone().into_bytes()));
        let (mut got, mut block) = (Vec::new(), Block::default());
        loop {
            let (problems, position) = lines.next(3, &mut block).expect("read");
            assert!(problems.is_empty() && block.len() <= 3);
            if block.is_empty() {
                assert_eq!(position, text.len() as u64);
                break;
            }
            got.extend(block.records().iter().map(|r| (r.line, r.text.to_string())));
        }
        assert_eq!(got, (1..=10).map(|i| (i, format!("line {i}"))).collect::<Vec<_>>());
        for _ in 0..3 {
            assert!(lines.next(3, &mut block).is_ok_and(|(p, _)| p.is_empty()) && block.is_empty());
        }
        assert!(lines.next(4, &mut block).is_err_and(|e| e.to_string().contains("blocks of 3 lines, then 4")));
    }

    #[test]
    fn a_read_failure_reaches_the_reader_after_the_blocks_before_it() {
        let text: String = (1..=4).map(|i| format!("line {i}\n")).collect();
        let mut lines = split(Failing(io::Cursor::new(text.into_bytes())));
        let mut block = Block::default();
        let mut seen = 0;
        let failure = loop {
            match lines.next(2, &mut block) {
                Ok(_) => {
                    assert!(!block.is_empty(), "the end came before the failure");
                    seen += block.len();
                }
                Err(e) => break e.to_string(),
            }
        };
        assert!(failure.contains("events.ndjson") && failure.contains("disk gone"), "{failure}");
        assert!(seen <= 4);
    }
}
