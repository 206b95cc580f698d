//! `rekindle plan --links URL --link-keys FILE`: each contact's signed links in the audience CSVs, so a send of
//! the re-engagement and break-up emails carries a List-Unsubscribe URL (RFC 8058 one-click POST, D5), a
//! preference-center URL (D27) and, in the break-up email, a "keep me subscribed" URL (D8) — the routes of the
//! edge Worker (examples/cloudflare-worker): /unsubscribe?t=, /preferences?t=, /keep?t=.
//!
//! Each token is issued at the plan's `--now` and expires `--link-ttl` later, signed with the key file's newest key:
//! HMAC-SHA256 has no randomness, so the same inputs and `--now` give the same bytes.

use std::path::Path;

use rekindle_core::token::{ContactRef, KeyId, Purpose, Token};
use rekindle_core::{Span, Timestamp};

use super::{base_url, read_keyring};
use crate::CliError;

/// Parses `--links`: an https:// URL (as `--base-url`) without a query, since the routes are appended to it.
pub fn base(text: &str) -> Result<String, String> {
    let url = base_url(text)?;
    match url.contains('?') {
        true => Err("expected the Worker's https:// origin (like https://www.example.com) without a query: \
                     /unsubscribe, /preferences and /keep are appended"
            .into()),
        false => Ok(url),
    }
}

/// Signs one contact's links for a plan run.
pub struct LinkSigner {
    /// The Worker's origin (and any path prefix), without a trailing `/`.
    base: String,
    kid: KeyId,
    key: Vec<u8>,
    issued_at: Timestamp,
    expires_at: Timestamp,
}

impl LinkSigner {
    /// Reads `key_file` (its newest key signs); `base` is what [`base`] accepted. An unsubscribe link must keep working 30 days after the send (CAN-SPAM): a shorter `ttl` is warned.
    pub fn load(base: &str, key_file: &Path, ttl: Span, now: Timestamp) -> Result<LinkSigner, CliError> {
        let ring = read_keyring(key_file)?;
        let (kid, key) = ring.newest().ok_or_else(|| super::no_keys(key_file))?;
        if ttl < Span::days(30) {
            eprintln!(
                "rekindle: warning: --link-ttl {ttl} is shorter than 30d; an unsubscribe link must keep working at \
                 least 30 days after the message is sent (CAN-SPAM)"
            );
        }
        Ok(LinkSigner {
            base: base.trim_end_matches('/').to_owned(),
            kid: kid.clone(),
            key: key.to_vec(),
            issued_at: now,
            expires_at: now.plus(ttl),
        })
    }

    /// The URL of `purpose`'s route for `contact`, or why the contact's id cannot be a token's contact (empty,
    /// over 255 bytes, control characters).
    pub fn url(&self, purpose: Purpose, contact: &str) -> Result<String, String> {
        let token = Token {
            purpose,
            contact: ContactRef::parse(contact)?,
            topic: None,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
        };
        let route = match purpose {
            Purpose::Unsubscribe => "unsubscribe",
            Purpose::Preferences => "preferences",
            Purpose::Keep => "keep",
        };
        Ok(format!("{}/{route}?t={}", self.base, token.sign(&self.kid, &self.key)))
    }
}
