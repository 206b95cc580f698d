//! Reading ahead on a thread of its own: an events file's bytes ([`ReadAhead`]) and a contacts file's rows
//! ([`each_row`]), so the reading overlaps the work on what was read before.
//!
//! Why: the plan reads an events file on one thread while the other cores wait for the block (at 1M contacts ×
//! 20 events, 2.4 GB: ~0.9 s of `read` calls on the reading thread, measured with the block split and parse
//! timed apart). Here a thread fills a few buffers ahead and hands them over a bounded channel; the reader's
//! thread reads lines straight from them (`BufRead`). Buffers go back to the filling thread, so a whole file is
//! read through [`DEPTH`] + 1 buffers. Contact rows: see [`each_row`].

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Mutex;

use super::{ContactRecord, ContactSource};
use crate::diagnostic::Diagnostic;
use crate::error::CliError;

/// Bytes per buffer.
const CHUNK: usize = 1 << 20;
/// Buffers filled ahead of the reader.
const DEPTH: usize = 4;

/// A `Read` over another `Read` that a thread reads ahead of the caller.
pub struct ReadAhead {
    /// In a mutex only so that the event source stays `Sync` (parsed from other threads); reached through
    /// `get_mut`, never locked.
    filled: Mutex<Receiver<io::Result<Vec<u8>>>>,
    spent: SyncSender<Vec<u8>>,
    /// The buffer being read, and how far.
    current: Vec<u8>,
    at: usize,
    /// The input ended (or failed): nothing more comes.
    done: bool,
}

impl ReadAhead {
    /// Starts reading `input` ahead on a new thread; the thread ends at the input's end, at its first error, or
    /// when this reader is dropped.
    pub fn new<R: Read + Send + 'static>(mut input: R) -> ReadAhead {
        let (fill, filled) = sync_channel::<io::Result<Vec<u8>>>(DEPTH);
        let (spent, recycled) = sync_channel::<Vec<u8>>(DEPTH + 1);
        std::thread::spawn(move || loop {
            let mut buf = recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(CHUNK));
            buf.clear();
            let got = (&mut input).take(CHUNK as u64).read_to_end(&mut buf);
            let end = !matches!(got, Ok(n) if n > 0);
            // An empty buffer says the input ended; the reader is gone when the send fails.
            if fill.send(got.map(|_| buf)).is_err() || end {
                return;
            }
        });
        ReadAhead { filled: Mutex::new(filled), spent, current: Vec::new(), at: 0, done: false }
    }
}

impl BufRead for ReadAhead {
    /// The rest of the current buffer, or the next one (empty at the end).
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at >= self.current.len() && !self.done {
            let filled = self.filled.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner);
            let next = match filled.recv() {
                Ok(Ok(buf)) => buf,
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => Vec::new(), // the thread ended without a word: only after the end was sent
            };
            self.done = next.is_empty();
            let old = std::mem::replace(&mut self.current, next);
            // The filling thread may have ended: then the buffer is simply dropped.
            let _ = self.spent.try_send(old);
            self.at = 0;
        }
        Ok(self.current.get(self.at..).unwrap_or_default())
    }

    fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.current.len());
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out.get_mut(..n).unwrap_or_default().copy_from_slice(available.get(..n).unwrap_or_default());
        self.consume(n);
        Ok(n)
    }
}

/// Contact rows read per batch by [`each_row`]'s reading thread.
const BATCH: usize = 1_024;

/// One row as read, with the warnings the source gathered by then.
type Row = (Result<ContactRecord, Diagnostic>, Vec<Diagnostic>);

/// Calls `f` with every row of `source` in file order, with the warnings gathered up to that row; returns the
/// warnings about the whole file. The rows are read and decoded on a thread of their own, a batch ahead, so
/// decoding the CSV overlaps the roster's work on the rows before (at 1M contacts the phase was one core busy:
/// CSV decoding about a third of it).
pub fn each_row(
    mut source: Box<dyn ContactSource + Send>,
    mut f: impl FnMut(Result<ContactRecord, Diagnostic>, Vec<Diagnostic>),
) -> Result<Vec<Diagnostic>, CliError> {
    std::thread::scope(|s| {
        let (batches, received) = std::sync::mpsc::sync_channel::<Result<Vec<Row>, CliError>>(4);
        let reader = s.spawn(move || loop {
            let mut rows = Vec::with_capacity(BATCH);
            let mut failed = None;
            while rows.len() < BATCH {
                match source.next_record() {
                    Ok(Some(row)) => rows.push((row, source.take_warnings())),
                    Ok(None) => break,
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
            }
            let end = rows.len() < BATCH;
            // The receiver goes only when the caller stops at an error; nothing is left to report then.
            if batches.send(Ok(rows)).is_err() {
                return Vec::new();
            }
            if let Some(e) = failed {
                let _ = batches.send(Err(e));
                return Vec::new();
            }
            if end {
                return source.take_warnings();
            }
        });
        for batch in received {
            for (row, warnings) in batch? {
                f(row, warnings);
            }
        }
        // The reading thread panics only on a bug; the join error is re-raised as a panic.
        Ok(reader.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_same_bytes_as_the_input_whatever_the_read_sizes() {
        let data: Vec<u8> = (0..(3 * CHUNK + 12_345)).map(|i| (i * 7 % 251) as u8).collect();
        for step in [1, 4_096, CHUNK - 1, CHUNK, 5 * CHUNK] {
            let mut ahead = ReadAhead::new(io::Cursor::new(data.clone()));
            let (mut got, mut buf) = (Vec::new(), vec![0u8; step]);
            loop {
                let n = ahead.read(&mut buf).expect("read");
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            assert!(got == data, "step {step}");
            assert_eq!(ahead.read(&mut buf).expect("after the end"), 0);
        }
        let mut empty = ReadAhead::new(io::empty());
        assert_eq!(empty.read(&mut [0u8; 8]).expect("empty"), 0);
    }

    /// Gives `left` bytes, then fails.
    struct Failing {
        left: usize,
    }

    impl Read for Failing {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            if self.left == 0 {
                return Err(io::Error::other("disk on fire"));
            }
            let n = self.left.min(out.len());
            self.left -= n;
            Ok(n)
        }
    }

    #[test]
    fn an_input_error_reaches_the_reader_after_the_bytes_before_it() {
        let mut ahead = ReadAhead::new(Failing { left: CHUNK + 10 });
        let mut got = Vec::new();
        let err = ahead.read_to_end(&mut got).expect_err("the error comes through");
        assert_eq!(err.to_string(), "disk on fire");
        assert!(got.len() <= CHUNK + 10);
        assert_eq!(ahead.read(&mut [0u8; 8]).expect("nothing after an error"), 0);
    }

    fn contact(line: u64) -> ContactRecord {
        ContactRecord {
            line,
            email: format!("c{line}@x.test"),
            id: None,
            created_at: None,
            fields: Vec::new(),
            events: Vec::new(),
        }
    }

    /// Rows `0..rows` (every third one rejected, each with a warning), then the end or a read failure.
    struct Scripted {
        next: u64,
        rows: u64,
        fail: bool,
        warned: Vec<Diagnostic>,
    }

    impl ContactSource for Scripted {
        fn name(&self) -> &str {
            "contacts.csv"
        }

        fn next_record(&mut self) -> Result<Option<Result<ContactRecord, Diagnostic>>, CliError> {
            if self.next == self.rows {
                let e =
                    || CliError::Unusable { file: "contacts.csv".into(), line: self.rows + 1, reason: "torn".into() };
                return if self.fail { Err(e()) } else { Ok(None) };
            }
            let line = self.next + 2;
            self.next += 1;
            self.warned.push(Diagnostic::reject("contacts.csv", line, "w", "warned"));
            Ok(Some(match line % 3 {
                0 => Err(Diagnostic::reject("contacts.csv", line, "bad", "rejected")),
                _ => Ok(contact(line)),
            }))
        }

        fn take_warnings(&mut self) -> Vec<Diagnostic> {
            std::mem::take(&mut self.warned)
        }
    }

    #[test]
    fn rows_read_ahead_come_in_file_order_with_their_warnings_and_a_failure_after_them() {
        for (rows, fail) in [(0, false), (5, false), (3 * BATCH as u64 + 7, false), (BATCH as u64, true), (10, true)] {
            let source = Scripted { next: 0, rows, fail, warned: Vec::new() };
            let mut seen = Vec::new();
            let result = each_row(Box::new(source), |row, warnings| {
                let line = row.as_ref().map_or_else(|d| d.line, |r| r.line);
                assert_eq!(warnings.iter().map(|w| w.line).collect::<Vec<_>>(), [line], "{rows} rows");
                assert_eq!(row.is_err(), line % 3 == 0);
                seen.push(line);
            });
            assert_eq!(seen, (2..rows + 2).collect::<Vec<_>>(), "{rows} rows, fail {fail}");
            match result {
                Ok(rest) => assert!(!fail && rest.is_empty()),
                Err(e) => assert!(fail && e.to_string().contains("torn"), "{e}"),
            }
        }
    }
}
