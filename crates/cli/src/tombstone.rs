//! Erasure tombstones (D9): the only trace an erased contact leaves is `hex(SHA-256(salt ‖ normalised email))`,
//! so a re-import of the address can be recognised without keeping the address. The salt comes from
//! `--salt-file`, else from `DIR/salt.txt` of an earlier run, else from the `salt.txt` of the `--previous` plan when
//! it is the salt that plan hashed with (its manifest's `saltCheck`; a new salt would only be refused as
//! `salt_mismatch`), else is generated (32 random bytes from the OS) and stored there with a warning: keep it
//! apart from the tombstones, or anyone holding both can test guesses.

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::CliError;
use crate::output::hex;

/// The salt and where it came from.
pub struct Salt {
    bytes: Vec<u8>,
    /// True when the salt lives in the output directory (`salt.txt`), which the run then rewrites.
    pub in_out_dir: bool,
    /// True when this run generated it.
    pub generated: bool,
    /// The `--previous` plan's `salt.txt` it was read from, when it came from there.
    pub from_previous: Option<PathBuf>,
}

impl Salt {
    /// `--salt-file`, else `DIR/salt.txt`, else the previous plan's `salt.txt` if it is the one that plan's
    /// manifest checks (`previous`: the `--previous` directory), else a new random salt.
    pub fn load(salt_file: Option<&Path>, out_dir: &Path, previous: Option<&Path>) -> Result<Salt, CliError> {
        let read = |path: &Path| -> Result<Vec<u8>, CliError> {
            let text = std::fs::read_to_string(path).map_err(|source| CliError::Io { path: path.into(), source })?;
            let salt = text.trim().as_bytes().to_vec();
            if salt.len() < 16 {
                return Err(CliError::Usage(format!(
                    "{}: a salt needs at least 16 characters (got {})",
                    path.display(),
                    salt.len()
                )));
            }
            Ok(salt)
        };
        if let Some(path) = salt_file {
            return Ok(Salt { bytes: read(path)?, in_out_dir: false, generated: false, from_previous: None });
        }
        let stored = out_dir.join("salt.txt");
        if stored.exists() {
            return Ok(Salt { bytes: read(&stored)?, in_out_dir: true, generated: false, from_previous: None });
        }
        // The previous plan's own salt, only if it hashed that plan: a salt.txt that does not match is left alone
        // and the previous plan refused as salt_mismatch, as with any other salt. It stays with this plan's files
        // as it stayed with that plan's, so the next run finds it the same way.
        if let Some(dir) = previous {
            let path = dir.join("salt.txt");
            if let (Some(check), Ok(bytes)) = (crate::plan::previous::salt_check(dir), read(&path)) {
                let salt = Salt { bytes, in_out_dir: true, generated: false, from_previous: Some(path) };
                if salt.check() == check {
                    return Ok(salt);
                }
            }
        }
        let mut random = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut random))
            .map_err(|e| CliError::Usage(format!("cannot generate a salt ({e}); pass --salt-file")))?;
        Ok(Salt { bytes: hex(&random).into_bytes(), in_out_dir: true, generated: true, from_previous: None })
    }

    /// The salt as stored in `salt.txt`.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// A check of the salt for `manifest.json`: a later run given this plan as `--previous` compares it with its
    /// own salt's, since tombstones hashed with another salt match nothing. Domain-separated from tombstones,
    /// and a hash of 32 random bytes (or the user's salt) says nothing about any address.
    pub fn check(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"rekindle salt check\0");
        h.update(&self.bytes);
        hex(&h.finalize())
    }

    /// The tombstone of a normalised email.
    pub fn tombstone(&self, email: &str) -> String {
        let mut h = Sha256::new();
        h.update(&self.bytes);
        h.update(email.as_bytes());
        hex(&h.finalize())
    }
}
