//! Mailchimp audience (list) webhooks: `application/x-www-form-urlencoded` bodies with bracket keys
//! (`data[merges][FNAME]`), one record per request (formats.md §1.4).
//!
//! | `type` | rekindle |
//! |---|---|
//! | `subscribe` | `subscribe` (`channel: email`), plus a `profile` event with the merge fields (id + `:profile`) |
//! | `unsubscribe` | `unsubscribe` (`channel: email`; Mailchimp's `reason`/`action` kept as `raw.data[reason]`, …) |
//! | `profile` | `profile`: each `data[merges][TAG]` becomes field `TAG` (an empty value clears it) |
//! | `upemail` | `profile` on the **old** address with field `email` = the new address (the caller re-keys the contact) |
//! | `cleaned` | `email_bounce` `type: hard`, or `spam_complaint` when `data[reason]` is `abuse` |
//! | `campaign`, anything else | skipped |
//!
//! `fired_at` is `YYYY-MM-DD HH:MM:SS` with no zone; Mailchimp does not document one, so it is read as **UTC**.
//! Mailchimp sends no event id: the key is `mailchimp:` + FNV-64 of the decoded key/value pairs, so a retried
//! delivery of the same body gets the same key. Mailchimp sends no opens or clicks through these webhooks.
//! Authenticity is a secret in the webhook URL (the caller's); Mailchimp's URL check is a GET with no body.
//!
//! ```
//! let body = b"type=subscribe&fired_at=2009-03-26+21%3A35%3A57&data%5Bemail%5D=API%40mailchimp.com&data%5Bmerges%5D%5BFNAME%5D=Mail+Chimp";
//! let out = rekindle_core::import::mailchimp::decode(body).unwrap();
//! assert_eq!(out.events[0].contact, "api@mailchimp.com");
//! assert_eq!(out.events[1].prop_str("FNAME"), Some("Mail Chimp"));
//! ```

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::record::{diag, email, event, set, Fnv, Res};
use super::{Imported, Webhook};
use crate::event::{Event, EventKind, Scalar};
use crate::time::{quote, Timestamp};
use crate::value::Value;
use crate::Error;

const PROVIDER: &str = "mailchimp";
const MERGES: &str = "data[merges][";

/// Pairs in one form body, past which it is refused: a webhook carries the member's fields (`data[merges][…]`,
/// interests, a few more), tens to a few hundred; a 1 MiB body of `a&a&…` would be half a million.
pub const MAX_FIELDS: usize = 10_000;

/// Decodes one Mailchimp webhook body (the raw urlencoded bytes).
///
/// # Errors
/// [`Error::InvalidImport`] when the body is empty, JSON (not a form: another vendor's body), has a
/// malformed `%` escape, is not UTF-8 once decoded, or is over [`super::MAX_BODY_BYTES`] or [`MAX_FIELDS`].
pub fn decode(urlencoded_body: &[u8]) -> Result<Imported, Error> {
    Webhook::Mailchimp.check_size(urlencoded_body.len() as u64)?;
    if let Some(b'{' | b'[') = urlencoded_body.iter().find(|b| !b.is_ascii_whitespace()) {
        return Err(Error::InvalidImport { at: "body".into(), reason: "a JSON body: Mailchimp posts forms".into() });
    }
    let pairs = form_pairs(urlencoded_body)?;
    let mut out = Imported::default();
    if let Err(d) = read(&pairs, &mut out) {
        out.diagnostics.push(d);
    }
    Ok(out)
}

/// The decoded `key=value` pairs of a form body, in order (`+` is a space, `%XX` a byte).
///
/// # Errors
/// [`Error::InvalidImport`] as for [`decode`].
pub fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, Error> {
    let trimmed = body.strip_suffix(b"\r\n").or_else(|| body.strip_suffix(b"\n")).unwrap_or(body);
    if trimmed.is_empty() {
        return Err(Error::InvalidImport {
            at: "body".into(),
            reason:
                "empty body: expected a form-urlencoded Mailchimp webhook (Mailchimp's URL check is a GET with no body)"
                    .into(),
        });
    }
    let mut pairs = Vec::new();
    let mut offset = 0;
    for part in trimmed.split(|&c| c == b'&') {
        if !part.is_empty() {
            if pairs.len() == MAX_FIELDS {
                return Err(Error::InvalidImport {
                    at: format!("body:byte {offset}"),
                    reason: format!("too many fields: over {MAX_FIELDS}"),
                });
            }
            let (k, v) = match part.iter().position(|&c| c == b'=') {
                Some(eq) => (part.get(..eq).unwrap_or_default(), part.get(eq + 1..).unwrap_or_default()),
                None => (part, &[][..]),
            };
            let v_offset = offset + k.len() + 1;
            pairs.push((unescape(k, offset)?, unescape(v, v_offset)?));
        }
        offset += part.len() + 1;
    }
    Ok(pairs)
}

fn unescape(raw: &[u8], offset: usize) -> Result<String, Error> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&c) = raw.get(i) {
        match c {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = |j: usize| raw.get(j).and_then(|&h| char::from(h).to_digit(16));
                match (hex(i + 1), hex(i + 2)) {
                    (Some(hi), Some(lo)) => bytes.push((hi * 16 + lo) as u8),
                    _ => {
                        return Err(Error::InvalidImport {
                            at: format!("body:byte {}", offset + i),
                            reason: "malformed percent escape: expected % and two hex digits".into(),
                        })
                    }
                }
                i += 2;
            }
            other => bytes.push(other),
        }
        i += 1;
    }
    String::from_utf8(bytes).map_err(|e| Error::InvalidImport {
        at: format!("body:byte {offset}"),
        reason: format!("not UTF-8 once decoded (at decoded byte {})", e.utf8_error().valid_up_to()),
    })
}

fn get<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

fn required<'a>(pairs: &'a [(String, String)], key: &str) -> Res<&'a str> {
    get(pairs, key).ok_or_else(|| diag(key, "missing_field", "missing"))
}

/// `YYYY-MM-DD HH:MM:SS`, read as UTC.
fn fired_at(raw: &str) -> Res<Timestamp> {
    let b = raw.as_bytes();
    let shaped = b.len() == 19 && b.get(10) == Some(&b' ');
    let parsed = if shaped { Timestamp::from_value(&Value::String(format!("{raw}Z"))).ok() } else { None };
    parsed.ok_or_else(|| {
        let message = format!("expected \"YYYY-MM-DD HH:MM:SS\" (UTC), got \"{}\"", quote(raw));
        diag("fired_at", "bad_timestamp", message)
    })
}

fn read(pairs: &[(String, String)], out: &mut Imported) -> Res<()> {
    let kind = required(pairs, "type")?;
    let folds = matches!(kind, "subscribe" | "unsubscribe" | "profile" | "upemail" | "cleaned");
    if !folds {
        let reason = if kind == "campaign" {
            "a campaign-sending status, not about one contact"
        } else {
            "a webhook type rekindle does not fold"
        };
        out.skip("", kind, reason);
        return Ok(());
    }
    let time = fired_at(required(pairs, "fired_at")?)?;
    let email_key = if kind == "upemail" { "data[old_email]" } else { "data[email]" };
    let contact = email(required(pairs, email_key)?, email_key)?;
    let id = format!(
        "{PROVIDER}:{}",
        pairs.iter().fold(Fnv::new(), |h, (k, v)| h.field(k.as_bytes()).field(v.as_bytes())).hex()
    );
    let campaign = get(pairs, "data[campaign_id]").filter(|c| !c.is_empty());
    let make = |k: EventKind, id: String| {
        let mut e = event(k, time, contact.clone(), id, PROVIDER);
        if let Some(c) = campaign {
            set(&mut e, "campaign", c);
        }
        e
    };
    match kind {
        "subscribe" | "unsubscribe" => {
            let k = if kind == "subscribe" { EventKind::Subscribe } else { EventKind::Unsubscribe };
            let mut e = make(k, id.clone());
            set(&mut e, "channel", "email");
            keep_raw(&mut e, pairs);
            out.events.push(e);
            if kind == "subscribe" {
                let mut p = make(EventKind::Profile, format!("{id}:profile"));
                if merges(&mut p, pairs) {
                    out.events.push(p);
                }
            }
        }
        "profile" => {
            let mut p = make(EventKind::Profile, id);
            merges(&mut p, pairs);
            out.events.push(p);
        }
        "upemail" => {
            let new = email(required(pairs, "data[new_email]")?, "data[new_email]")?;
            let mut p = make(EventKind::Profile, id);
            set(&mut p, "email", &new);
            out.events.push(p);
        }
        _ => {
            // cleaned
            let abuse = get(pairs, "data[reason]") == Some("abuse");
            let mut e = make(if abuse { EventKind::SpamComplaint } else { EventKind::EmailBounce }, id);
            if !abuse {
                set(&mut e, "type", "hard");
            }
            keep_raw(&mut e, pairs);
            out.events.push(e);
        }
    }
    Ok(())
}

/// Merge fields as profile fields (`data[merges][FNAME]` → `FNAME`; `EMAIL` is the contact, not a field).
/// Repeated keys are joined with `,`. False when there was none.
fn merges(e: &mut Event, pairs: &[(String, String)]) -> bool {
    let mut any = false;
    for (k, v) in pairs {
        let Some(rest) = k.strip_prefix(MERGES) else { continue };
        let field = match rest.split_once(']') {
            Some((name, "")) => String::from(name),
            Some((name, tail)) => format!("{name}{tail}"),
            None => continue,
        };
        if field == "EMAIL" || field.is_empty() {
            continue;
        }
        any = true;
        let joined = match e.props.get(field.as_str()) {
            Some(Some(Scalar::Str(prev))) if !v.is_empty() => Some(format!("{prev},{v}")),
            _ if v.is_empty() => None,
            _ => Some(v.clone()),
        };
        e.props.insert(field, joined.map(Scalar::Str));
    }
    any
}

/// Every pair except the ones already read, as `raw.<key>`.
fn keep_raw(e: &mut Event, pairs: &[(String, String)]) {
    for (k, v) in pairs {
        if matches!(k.as_str(), "type" | "fired_at" | "data[email]" | "data[campaign_id]") {
            continue;
        }
        e.props.insert(format!("raw.{k}"), Some(Scalar::Str(v.clone())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_decode_plus_percent_and_bare_keys() {
        let pairs = form_pairs(b"a=1+2&b=%E2%82%AC&c&&d=").unwrap();
        let want: Vec<(String, String)> = [("a", "1 2"), ("b", "€"), ("c", ""), ("d", "")]
            .iter()
            .map(|(k, v)| (String::from(*k), String::from(*v)))
            .collect();
        assert_eq!(pairs, want);
    }

    #[test]
    fn malformed_escapes_and_bad_utf8_name_their_byte() {
        let err = form_pairs(b"type=x&a=%G1").unwrap_err();
        assert_eq!(err.path().as_deref(), Some("body:byte 9"));
        assert!(form_pairs(b"a=%ff").is_err());
        assert!(form_pairs(b"a=%4").is_err());
        assert!(form_pairs(b"").is_err());
    }

    #[test]
    fn fired_at_is_read_as_utc() {
        assert_eq!(fired_at("2009-03-26 21:35:57").map(Timestamp::ms), Ok(1_238_103_357_000));
        for bad in ["2009-03-26T21:35:57Z", "2009-03-26 21:35", "yesterday", "2009-02-30 00:00:00"] {
            assert_eq!(fired_at(bad).map_err(|d| d.code), Err("bad_timestamp"), "{bad}");
        }
    }
}
