//! `rekindle unsubscribe-token` and `rekindle verify-token`: sign and check the tokens of core::token
//! (docs/tokens.md), the same text the edge Worker verifies, for one contact or (`--contacts`) a list; and the
//! [`LinkSigner`] behind `rekindle plan --links`, which puts each contact's signed links in the audience CSVs. The
//! CLI reads key files and the clock; core does the rest.

use std::io::Write;
use std::path::{Path, PathBuf};

use rekindle_core::token::{ContactRef, KeyId, Keyring, Purpose, Token, Topic};
use rekindle_core::Span;
use serde::Serialize;

use crate::CliError;

mod bulk;
mod links;

pub use links::{base as links_base, LinkSigner};

const KEY_FILE_HELP: &str = "\
Key files hold one kid:hexkey line per key, oldest first (blank lines and # comments are skipped): the kid is 1-32
letters, digits, '-' or '_' (a month like 2026-11 reads well when rotating), the key 16-64 bytes as hex. Make one
with: printf '%s:%s\\n' \"$(date -u +%Y-%m)\" \"$(openssl rand -hex 32)\" >> keys.txt
The files under examples/data/keys/ are EXAMPLE ONLY: their keys are public, never use them in production.";

const SIGN_HELP: &str = "\
Prints the token (v1.<kid>.<payload>.<signature>, URL-safe, signed not encrypted: use an opaque contact id). With
--base-url and purpose unsubscribe, prints the RFC 8058 header pair instead; with purpose preferences or keep, the
URL. With --contacts FILE (a CSV whose header names an id or contact column), prints a CSV of contact,token (or
contact,url with --base-url) for every row, all issued at the same instant; a row that cannot be signed (an empty,
too long or control-character id) is named with its line on stderr and left out, and the exit code is 4.

Exit codes: 0 done; 1 a file cannot be read; 2 usage error; 3 a key file (or the --contacts header) is unusable;
4 done, but some --contacts rows were rejected.

Examples:
  rekindle unsubscribe-token --key-file examples/data/keys/example-current.keys --kid 2026-11 --contact cus_8a7f3e9d --topic newsletter --ttl 60d --now 2026-11-01T00:00:00Z
  rekindle unsubscribe-token --key-file examples/data/keys/example-current.keys --contact cus_8a7f3e9d --now 2026-11-01T00:00:00Z --base-url https://example.com/unsubscribe
  rekindle unsubscribe-token --key-file examples/data/keys/example-current.keys --contact cus_8a7f3e9d --purpose preferences --ttl 30d --now 2026-11-01T00:00:00Z --base-url https://example.com/preferences
  rekindle unsubscribe-token --key-file examples/data/keys/example-current.keys --contacts examples/data/b2b/expected.csv --purpose keep --ttl 30d --now 2026-11-01T00:00:00Z --base-url https://example.com/keep";

const VERIFY_HELP: &str = "\
Prints {\"kid\", \"purpose\", \"contact\", \"topic\", \"issuedAt\", \"expiresAt\"} (epoch ms) as one JSON line.

Exit codes: 0 the token is valid; 1 a key file cannot be read; 2 usage error; 3 the token is refused (malformed,
unknown key id, bad signature, expired, not yet valid, wrong purpose) or a key file is malformed.

Examples:
  rekindle verify-token --key-file examples/data/keys/example-previous.keys --key-file examples/data/keys/example-current.keys --token v1.2026-10.AQEAAAGhVpuYAAAAAaKLmSgADGN1c184YTdmM2U5ZApuZXdzbGV0dGVy.wTUPvihSUzh6jrzj-atinA --now 2026-11-15T00:00:00Z
  rekindle verify-token --key-file examples/data/keys/example-current.keys --token v1.2026-11.AQIAAAGhlGfoAAAAAaIu5rAADGN1c184YTdmM2U5ZAA.p1RQ5nX-C60KcfGJ2rFjZQ --purpose preferences --now 2026-11-02T00:00:00Z";

/// Arguments of `rekindle unsubscribe-token`.
#[derive(clap::Args)]
#[command(after_help = format!("{SIGN_HELP}\n\n{KEY_FILE_HELP}"))]
pub struct SignArgs {
    /// The key file; the --kid key signs.
    #[arg(long, value_name = "FILE")]
    pub key_file: PathBuf,
    /// Which key signs. Default: the file's last (newest) key.
    #[arg(long, value_parser = KeyId::parse)]
    pub kid: Option<KeyId>,
    /// The contact: the ESP's opaque id (preferred) or a normalised email (readable by anyone who sees the URL).
    #[arg(long, value_parser = ContactRef::parse, required_unless_present = "contacts", conflicts_with = "contacts")]
    pub contact: Option<ContactRef>,
    /// Sign one token per row of this CSV instead: its header names the column `id` or `contact` (any case).
    #[arg(long, value_name = "FILE")]
    pub contacts: Option<PathBuf>,
    /// The list or topic the token is scoped to (1-64 bytes). Default: every list.
    #[arg(long, value_parser = Topic::parse)]
    pub topic: Option<Topic>,
    /// unsubscribe (RFC 8058 one-click), preferences (the preference center) or keep (the break-up email's "keep
    /// me subscribed", D8).
    #[arg(long, default_value = "unsubscribe", value_parser = Purpose::parse)]
    pub purpose: Purpose,
    /// How long the token is valid, like 60d or 12h. Unsubscribe links must keep working at least 30 days after
    /// sending (CAN-SPAM), so unsubscribe tokens shorter than 30d get a warning.
    #[arg(long, default_value = "60d", value_parser = Span::parse_str)]
    pub ttl: Span,
    /// Issue at this instant (RFC 3339 or epoch ms). Default: the system clock, read once and echoed.
    /// Epoch seconds (date +%s) are refused: read as ms they are January 1970.
    #[arg(long)]
    pub now: Option<String>,
    /// An https:// endpoint; the token is appended as ?t=<token> (or &t= when the URL has a query).
    #[arg(long, value_name = "URL", value_parser = base_url)]
    pub base_url: Option<String>,
}

/// Arguments of `rekindle verify-token`.
#[derive(clap::Args)]
#[command(after_help = format!("{VERIFY_HELP}\n\n{KEY_FILE_HELP}"))]
pub struct VerifyArgs {
    /// A key file; repeat it to verify tokens of older keys during a rotation.
    #[arg(long, value_name = "FILE", required = true)]
    pub key_file: Vec<PathBuf>,
    /// The token text (the value of the t= query parameter).
    #[arg(long)]
    pub token: String,
    /// The purpose the token must have.
    #[arg(long, default_value = "unsubscribe", value_parser = Purpose::parse)]
    pub purpose: Purpose,
    /// Check at this instant (RFC 3339 or epoch ms). Default: the system clock, read once and echoed.
    /// Epoch seconds (date +%s) are refused: read as ms they are January 1970.
    #[arg(long)]
    pub now: Option<String>,
}

fn base_url(text: &str) -> Result<String, String> {
    if !text.starts_with("https://") || text.len() <= "https://".len() {
        return Err(format!(
            "expected an https:// URL (RFC 8058 requires HTTPS), got \"{}\"",
            crate::diagnostic::quote(text)
        ));
    }
    if text.contains('#') || text.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>') {
        return Err("expected a URL without a #fragment, spaces, '<' or '>'".into());
    }
    Ok(text.to_owned())
}

/// Signs one token and prints it (or its header pair / URL), or one per `--contacts` row. 0 on success; 4 when
/// `--contacts` rows were rejected.
pub fn sign(args: &SignArgs) -> Result<u8, CliError> {
    let ring = read_keyring(&args.key_file)?;
    let (kid, key) = match &args.kid {
        Some(kid) => match ring.get(kid.as_str()) {
            Some(key) => (kid, key),
            None => {
                let have: Vec<&str> = ring.ids().map(KeyId::as_str).collect();
                return Err(CliError::Usage(format!(
                    "--kid {kid} is not in {} (it has {})",
                    args.key_file.display(),
                    have.join(", ")
                )));
            }
        },
        None => ring.newest().ok_or_else(|| no_keys(&args.key_file))?,
    };
    let now = crate::now::given_or_clock(args.now.as_deref())?;
    let contact = match (&args.contact, &args.contacts) {
        (Some(contact), _) => contact,
        (None, Some(file)) => return bulk::sign(args, file, kid, key, now),
        (None, None) => return Err(CliError::Usage("expected --contact ID or --contacts FILE".into())),
    };
    if contact.as_str().contains('@') {
        eprintln!(
            "rekindle: warning: --contact looks like an email address; tokens are signed, not encrypted, so anyone \
             who sees the URL can read it: prefer the ESP's opaque contact id"
        );
    }
    if args.purpose == Purpose::Unsubscribe && args.ttl < Span::days(30) {
        eprintln!(
            "rekindle: warning: --ttl {} is shorter than 30d; an unsubscribe link must keep working at least 30 days \
             after the message is sent (CAN-SPAM)",
            args.ttl
        );
    }
    let token = Token {
        purpose: args.purpose,
        contact: contact.clone(),
        topic: args.topic.clone(),
        issued_at: now,
        expires_at: now.plus(args.ttl),
    };
    let text = token.sign(kid, key);
    let out = match &args.base_url {
        None => format!("{text}\n"),
        Some(base) => {
            let url = format!("{base}{}t={text}", query_separator(base));
            match args.purpose {
                // RFC 8058 §3.1: one HTTPS URI in List-Unsubscribe, and the single key/value pair in -Post.
                Purpose::Unsubscribe => {
                    format!("List-Unsubscribe: <{url}>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n")
                }
                Purpose::Preferences | Purpose::Keep => format!("{url}\n"),
            }
        }
    };
    write_stdout(out.as_bytes()).map(|()| 0)
}

fn query_separator(base: &str) -> &'static str {
    match base.rfind('?') {
        None => "?",
        Some(_) if base.ends_with('?') || base.ends_with('&') => "",
        Some(_) => "&",
    }
}

/// The JSON line `verify-token` prints.
#[derive(Serialize)]
struct Verified<'a> {
    kid: &'a str,
    #[serde(flatten)]
    token: &'a Token,
}

/// Verifies one token against every key of every key file; prints its fields, or fails with exit 3.
pub fn verify(args: &VerifyArgs) -> Result<u8, CliError> {
    let mut ring = Keyring::new();
    for file in &args.key_file {
        let more = read_keyring(file)?;
        ring.extend(more).map_err(|reason| CliError::Core {
            file: file.clone(),
            source: rekindle_core::Error::InvalidInput { path: "keys".into(), reason },
        })?;
    }
    let now = crate::now::given_or_clock(args.now.as_deref())?;
    let text = args.token.trim();
    let keys = |kid: &str| ring.get(kid);
    let token = Token::verify(text, &keys, now, args.purpose)
        .map_err(|source| CliError::Core { file: "--token".into(), source })?;
    // Verified, so the text has the shape v1.<kid>.…: the kid is the second field.
    let kid = text.split('.').nth(1).unwrap_or_default();
    let mut line = serde_json::to_vec(&Verified { kid, token: &token })
        .map_err(|e| CliError::Io { path: "<stdout>".into(), source: e.into() })?;
    line.push(b'\n');
    write_stdout(&line).map(|()| 0)
}

fn read_keyring(path: &Path) -> Result<Keyring, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io { path: path.into(), source })?;
    let ring = Keyring::parse(&text).map_err(|source| CliError::Core { file: path.into(), source })?;
    match ring.is_empty() {
        true => Err(no_keys(path)),
        false => Ok(ring),
    }
}

fn no_keys(path: &Path) -> CliError {
    CliError::Core {
        file: path.into(),
        source: rekindle_core::Error::InvalidInput {
            path: "keys".into(),
            reason: "no key found; expected kid:hexkey lines, like 2026-11:<64 hex digits>".into(),
        },
    }
}

fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(|source| CliError::Io { path: "<stdout>".into(), source })
}
