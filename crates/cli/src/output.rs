//! Atomic output (STYLE §11): every file goes to a temporary file in its target's directory, is flushed and
//! fsynced, then renamed over the target. A crash or `kill -9` leaves the old file (or none) and at most stray
//! `.tmp*` files, never half a file. Files written on several threads are staged and renamed together once all
//! are complete. Each write also yields what the manifest records: rows and SHA-256.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::error::CliError;

/// What the manifest says about one written file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Written {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    /// Data rows (CSV rows after the header, JSON array items, NDJSON lines).
    pub rows: u64,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// A writer that hashes everything passing through it.
pub struct Hashing<W: Write> {
    inner: W,
    digest: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.digest.update(buf.get(..n).unwrap_or(buf));
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Bytes buffered before they are hashed and written.
const BUFFER: usize = 1 << 18;

/// Writes `target`'s bytes to a synced temporary file beside it, not yet renamed over `target`; returns the file,
/// the data rows and the SHA-256.
fn stage(
    target: &Path,
    body: impl FnOnce(&mut dyn Write) -> io::Result<u64>,
) -> io::Result<(NamedTempFile, u64, String)> {
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(".tmp-rekindle-").tempfile_in(dir)?; // same filesystem: atomic rename
    let (rows, digest) = {
        // The buffer comes first, so the digest is fed the same bytes in large pieces rather than one call per
        // field a serializer writes.
        let mut w = BufWriter::with_capacity(BUFFER, Hashing { inner: tmp.as_file_mut(), digest: Sha256::new() });
        let rows = body(&mut w)?;
        let hashing = w.into_inner().map_err(io::IntoInnerError::into_error)?;
        (rows, hashing.digest.finalize())
    };
    tmp.as_file().sync_all()?; // flushed above; now fsync
    Ok((tmp, rows, hex(&digest)))
}

/// Writes `bytes` to `path` whole or not at all (a synced temporary file renamed over it), readable by all
/// (mode 0644): what it writes is public (a compiled playbook a web server or a deploy serves), unlike the plan's
/// files, which keep the temporary file's owner-only mode.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let io = |source| CliError::Io { path: path.into(), source };
    let (tmp, _, _) = stage(path, |w| w.write_all(bytes).map(|()| 0)).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(io)?;
    }
    publish(tmp, path).map_err(io)
}

/// Renames a staged file over `target`: until here the old file is untouched.
fn publish(tmp: NamedTempFile, target: &Path) -> io::Result<()> {
    pause_for_tests(target);
    tmp.persist(target).map_err(|e| e.error)?;
    Ok(())
}

/// Lower-case hex. Every audience row and tombstone hashes a contact, so this is written out by hand: a
/// `format!` per byte cost 32 small allocations per hash (1 % of a 100k plan's CPU).
pub fn hex(bytes: &[u8]) -> String {
    let digit = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0'); // n < 16: always a digit
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(digit(b >> 4));
        out.push(digit(b & 0x0f));
    }
    out
}

/// The output directory: creates it (and `segments/`, `audiences/`) and records every file written.
pub struct OutDir {
    root: PathBuf,
    written: Vec<Written>,
    /// The files the previous run's `manifest.json` here listed (checked to be files this tool writes).
    previous: Vec<String>,
    /// Files written but not renamed yet (a [`OutDir::stage`] handle), in the order they were written.
    staged: Option<Vec<(NamedTempFile, PathBuf)>>,
}

impl OutDir {
    /// Creates the directory tree if needed.
    pub fn create(root: &Path) -> Result<OutDir, CliError> {
        if root.exists() && !root.is_dir() {
            let source =
                io::Error::new(io::ErrorKind::AlreadyExists, "exists and is not a directory: name a directory");
            return Err(CliError::Io { path: root.to_path_buf(), source });
        }
        for sub in ["", "segments", "audiences"] {
            let dir = root.join(sub);
            std::fs::create_dir_all(&dir).map_err(|source| CliError::Io { path: dir, source })?;
        }
        let previous = previous_files(root);
        Ok(OutDir { root: root.to_path_buf(), written: Vec::new(), previous, staged: None })
    }

    /// Removes what the previous run's manifest listed and this run did not write (a segment the playbook no
    /// longer has, `retention.csv` from a run with purchases): left, an old audience could be uploaded as this
    /// plan's. Call after the manifest is written, so a crash leaves extra files, never missing ones. The salt
    /// is never removed (tombstones are matched with it). Returns the removed paths.
    pub fn remove_stale(&self) -> Result<Vec<String>, CliError> {
        let mut removed = Vec::new();
        for rel in &self.previous {
            if rel == "salt.txt" || self.written.iter().any(|w| w.path == *rel) {
                continue;
            }
            let path = self.root.join(rel);
            match std::fs::remove_file(&path) {
                Ok(()) => removed.push(rel.clone()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(source) => return Err(CliError::Io { path, source }),
            }
        }
        Ok(removed)
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `rel` (a `/`-separated path under the directory) atomically and records it for the manifest. On a
    /// [`OutDir::stage`] handle the file stays a synced temporary file until [`OutDir::publish`].
    pub fn write(&mut self, rel: &str, body: impl FnOnce(&mut dyn Write) -> io::Result<u64>) -> Result<(), CliError> {
        let path = self.root.join(rel);
        let io = |source| CliError::Io { path: self.root.join(rel), source };
        let (tmp, rows, sha256) = stage(&path, body).map_err(io)?;
        match &mut self.staged {
            Some(staged) => staged.push((tmp, path)),
            None => publish(tmp, &path).map_err(io)?,
        }
        self.written.push(Written { path: rel.to_string(), rows, sha256 });
        Ok(())
    }

    /// A handle on the same directory whose files are written completely (for another writing thread) but
    /// renamed over their targets only by [`OutDir::publish`]: files written on several threads then appear
    /// together, and a run killed before that leaves every visible file as the previous run wrote it.
    pub fn stage(&self) -> OutDir {
        OutDir { root: self.root.clone(), written: Vec::new(), previous: Vec::new(), staged: Some(Vec::new()) }
    }

    /// Renames a [`OutDir::stage`] handle's files over their targets, in the order they were written, and records
    /// them for the manifest.
    pub fn publish(&mut self, staged: OutDir) -> Result<(), CliError> {
        for (tmp, path) in staged.staged.unwrap_or_default() {
            publish(tmp, &path).map_err(|source| CliError::Io { path, source })?;
        }
        self.written.extend(staged.written);
        Ok(())
    }

    /// Everything written so far, sorted by path.
    pub fn written(&self) -> Vec<Written> {
        let mut all = self.written.clone();
        all.sort_by(|a, b| a.path.cmp(&b.path));
        all
    }
}

/// The files `root/manifest.json` lists, if it is one this tool wrote: only paths it could have written (a
/// `.csv`, `.json`, `.ndjson`, `.html` or `.txt` file at the top or in `segments/` or `audiences/`, plain names),
/// so a manifest edited by hand can never name a file elsewhere for [`OutDir::remove_stale`].
fn previous_files(root: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(root.join("manifest.json")) else { return Vec::new() };
    let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text) else { return Vec::new() };
    if !manifest.get("generator").and_then(|g| g.as_str()).is_some_and(|g| g.starts_with("rekindle ")) {
        return Vec::new();
    }
    let ours = |rel: &str| {
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        let kind = [".csv", ".json", ".ndjson", ".html", ".txt"].iter().any(|ext| name.ends_with(ext));
        plain && kind && ["", "segments", "audiences"].contains(&dir)
    };
    let files = manifest.get("files").and_then(|f| f.as_array()).map(Vec::as_slice).unwrap_or_default();
    files.iter().filter_map(|f| f.get("path")?.as_str()).filter(|p| ours(p)).map(str::to_string).collect()
}

/// Debug builds only: with `REKINDLE_TEST_PAUSE_AFTER_FIRST_FILE` set, the first file to be renamed is complete and
/// synced (with every file staged with it) but not yet renamed when the process stops for ten seconds, so a test
/// can `kill -9` it there.
#[cfg(debug_assertions)]
fn pause_for_tests(target: &Path) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static PAUSED: AtomicBool = AtomicBool::new(false);
    if std::env::var_os("REKINDLE_TEST_PAUSE_AFTER_FIRST_FILE").is_some() && !PAUSED.swap(true, Ordering::SeqCst) {
        eprintln!("rekindle: test pause before renaming {}", target.display());
        std::thread::sleep(std::time::Duration::from_secs(10));
    }
}

#[cfg(not(debug_assertions))]
fn pause_for_tests(_target: &Path) {}

/// Opens a file for reading, naming it on failure.
pub fn open(path: &Path) -> Result<File, CliError> {
    File::open(path).map_err(|source| CliError::Io { path: path.to_path_buf(), source })
}
