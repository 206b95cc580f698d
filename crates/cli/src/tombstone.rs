//! Erasure tombstones (D9): the only trace an erased contact leaves is `hex(SHA-256(salt ‖ normalised email))`,
//! so a re-import of the address can be recognised without keeping the address. The salt comes from
//! `--salt-file`, else from `DIR/salt.txt` of an earlier run, else is generated (32 random bytes from the OS) and
//! stored there with a warning: keep it apart from the tombstones, or anyone holding both can test guesses.

use std::io::Read;
use std::path::Path;

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
}

impl Salt {
    /// `--salt-file`, else `DIR/salt.txt`, else a new random salt.
    pub fn load(salt_file: Option<&Path>, out_dir: &Path) -> Result<Salt, CliError> {
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
            return Ok(Salt { bytes: read(path)?, in_out_dir: false, generated: false });
        }
        let stored = out_dir.join("salt.txt");
        if stored.exists() {
            return Ok(Salt { bytes: read(&stored)?, in_out_dir: true, generated: false });
        }
        let mut random = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut random))
            .map_err(|e| CliError::Usage(format!("cannot generate a salt ({e}); pass --salt-file")))?;
        Ok(Salt { bytes: hex(&random).into_bytes(), in_out_dir: true, generated: true })
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
