//! Helpers shared by the vendor decoders: located field access, email and time normalisation, kept props,
//! and the FNV-64 fingerprint used when a vendor record carries no idempotency key.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{json, Diagnostic};
use crate::event::{Event, EventKind, Scalar};
use crate::time::{quote, short_number, Timestamp};
use crate::value::Value;
use crate::vecmap::VecMap;
use crate::Error;

pub(crate) type Res<T> = Result<T, Diagnostic>;

pub(crate) fn diag(at: impl Into<String>, code: &'static str, message: impl Into<String>) -> Diagnostic {
    Diagnostic { at: at.into(), code, message: message.into() }
}

/// `base.key`, or `key` at the root, or `base[…]`-style joins as given.
pub(crate) fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.into()
    } else {
        format!("{base}.{key}")
    }
}

/// Parses a whole body of `vendor`'s, refusing it unread when it is over the vendor's size limit
/// ([`super::Webhook::check_size`]) and stopping at `max_values` values; a failure is an `E_IMPORT_INVALID` error
/// located as `<what>:<line>:<column>` (`body` for a body too large).
pub(crate) fn parse_body(body: &[u8], what: &str, vendor: super::Webhook, max_values: usize) -> Result<Value, Error> {
    vendor.check_size(body.len() as u64)?;
    json::parse_limited(body, max_values).map_err(|e| Error::InvalidImport {
        at: format!("{what}:{}:{}", e.line, e.column),
        reason: format!("not valid JSON: {}", e.reason),
    })
}

/// An object record with the path it was found at.
#[derive(Clone, Copy)]
pub(crate) struct Rec<'a> {
    pub(crate) entries: &'a [(String, Value)],
    pub(crate) at: &'a str,
}

impl<'a> Rec<'a> {
    /// The record, or a `wrong_type` diagnostic when `v` is not an object.
    pub(crate) fn new(v: &'a Value, at: &'a str, what: &str) -> Res<Rec<'a>> {
        match v {
            Value::Object(entries) => Ok(Rec { entries, at }),
            other => Err(diag(at, "wrong_type", format!("expected {what} (an object), got {}", other.kind_name()))),
        }
    }

    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn path(&self, key: &str) -> String {
        join(self.at, key)
    }

    /// A string field that may be absent or null.
    pub(crate) fn opt_str(&self, key: &str) -> Res<Option<&'a str>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => {
                Err(diag(self.path(key), "wrong_type", format!("expected a string, got {}", other.kind_name())))
            }
        }
    }

    /// A required string field.
    pub(crate) fn str(&self, key: &str) -> Res<&'a str> {
        self.opt_str(key)?.ok_or_else(|| diag(self.path(key), "missing_field", "missing"))
    }

    /// A nested object that may be absent or null.
    pub(crate) fn opt_obj(&self, key: &str, path: &'a str) -> Res<Option<Rec<'a>>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => Rec::new(v, path, "an object").map(Some),
        }
    }
}

/// A recipient email, trimmed and lower-cased; a `invalid_email` diagnostic otherwise.
pub(crate) fn email(raw: &str, at: &str) -> Res<String> {
    let e = raw.trim().to_lowercase();
    let ok = e.len() <= 254
        && e.rsplit_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !local.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains("..")
                && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    if ok {
        Ok(e)
    } else {
        Err(diag(at, "invalid_email", format!("expected an email address, got \"{}\"", mask(raw))))
    }
}

/// `j***@example.com`: personal data stays out of messages.
pub(crate) fn mask(raw: &str) -> String {
    let raw = raw.trim();
    match raw.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{}", quote(domain))
        }
        None if raw.is_empty() => String::new(),
        None => {
            let first: String = raw.chars().take(1).collect();
            format!("{first}*** (no @)")
        }
    }
}

/// Seconds since the epoch as a vendor number (`1513299569`, `1534108637.153125`). Microsecond digits are
/// rounded first, then floored to the millisecond, so `…637.153125` is exactly `…637153` ms.
/// A magnitude beyond 10^11 s (year 5138) is a milliseconds value sent by mistake: reported, not guessed.
pub(crate) fn seconds(v: &Value, at: &str) -> Res<Timestamp> {
    let n = match v {
        Value::Number(n) => *n,
        other => {
            return Err(diag(at, "wrong_type", format!("expected epoch seconds (a number), got {}", other.kind_name())))
        }
    };
    let magnitude = if n < 0.0 { -n } else { n };
    if (1e11..1e14).contains(&magnitude) {
        let message = format!("expected seconds, got {} (looks like ms)", short_number(n));
        return Err(diag(at, "timestamp_looks_like_ms", message));
    }
    let micros = n * 1e6;
    let ms = if micros.is_finite() && -9e15 < micros && micros < 9e15 {
        // `as i64` truncates toward zero; adding ±0.5 first rounds to the nearest microsecond (no `f64::round`
        // in no_std core).
        let rounded = if micros < 0.0 { (micros - 0.5) as i64 } else { (micros + 0.5) as i64 };
        Some(rounded.div_euclid(1000))
    } else {
        None
    };
    ms.and_then(Timestamp::from_ms).ok_or_else(|| {
        diag(at, "bad_timestamp", format!("expected epoch seconds, got {} (out of range)", short_number(n)))
    })
}

/// An ISO 8601 / RFC 3339 instant with `Z` or an offset, any number of fraction digits (floored to ms).
pub(crate) fn iso(v: &Value, at: &str) -> Res<Timestamp> {
    match v {
        Value::String(s) => Timestamp::from_value(v).map_err(|_| {
            let message =
                format!("expected an ISO 8601 instant like \"2016-04-27T16:28:50.396-04:00\", got \"{}\"", quote(s));
            diag(at, "bad_timestamp", message)
        }),
        other => Err(diag(at, "wrong_type", format!("expected an ISO 8601 string, got {}", other.kind_name()))),
    }
}

/// A new event with `props.provider` set.
pub(crate) fn event(kind: EventKind, at: Timestamp, contact: String, id: String, provider: &str) -> Event {
    let mut props = VecMap::new();
    props.insert("provider".into(), Some(Scalar::Str(provider.into())));
    Event { at, kind, id, contact, machine: false, props }
}

pub(crate) fn set(e: &mut Event, key: &str, value: &str) {
    e.props.insert(key.into(), Some(Scalar::Str(value.into())));
}

/// Keeps every scalar field of `entries` not listed in `used` as `raw.<prefix><key>`; arrays of strings are
/// kept joined with `,` (SendGrid `category`, Mailgun `tags`). Nested objects are left out.
pub(crate) fn keep(e: &mut Event, entries: &[(String, Value)], used: &[&str], prefix: &str) {
    for (k, v) in entries {
        if used.contains(&k.as_str()) {
            continue;
        }
        let scalar = match v {
            Value::String(s) => Scalar::Str(s.clone()),
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Number(n) => Scalar::Num(*n),
            Value::Array(items) if items.iter().all(|i| matches!(i, Value::String(_))) => {
                let parts: Vec<&str> = items
                    .iter()
                    .filter_map(|i| if let Value::String(s) = i { Some(s.as_str()) } else { None })
                    .collect();
                Scalar::Str(parts.join(","))
            }
            _ => continue,
        };
        e.props.insert(format!("raw.{prefix}{k}"), Some(scalar));
    }
}

/// FNV-1a, 64 bit: a stable fingerprint (not a security hash) for records without a vendor key.
#[derive(Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn bytes(mut self, bytes: &[u8]) -> Self {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self
    }

    /// Length-prefixed, so `("ab","c")` and `("a","bc")` differ.
    pub(crate) fn field(self, bytes: &[u8]) -> Self {
        self.bytes(&(bytes.len() as u64).to_le_bytes()).bytes(bytes)
    }

    pub(crate) fn value(self, v: &Value) -> Self {
        match v {
            Value::Null => self.bytes(b"n"),
            Value::Bool(b) => self.bytes(if *b { b"t" } else { b"f" }),
            Value::Number(n) => self.bytes(b"#").bytes(&n.to_bits().to_le_bytes()),
            Value::String(s) => self.bytes(b"s").field(s.as_bytes()),
            Value::Array(items) => items.iter().fold(self.bytes(b"[").field(&[]), |h, i| h.value(i)).bytes(b"]"),
            Value::Object(entries) => {
                entries.iter().fold(self.bytes(b"{"), |h, (k, v)| h.field(k.as_bytes()).value(v)).bytes(b"}")
            }
        }
    }

    pub(crate) fn hex(self) -> String {
        format!("{:016x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_lowercased_and_checked() {
        assert_eq!(email("  Jane.Doe@Example.COM ", "x").ok().as_deref(), Some("jane.doe@example.com"));
        for bad in
            ["", "jane", "@example.com", "jane@", "jane@localhost", "a b@example.com", "Jane <j@x.com>", "j@x..com"]
        {
            assert_eq!(email(bad, "x").map_err(|d| d.code), Err("invalid_email"), "{bad}");
        }
        assert!(email("j@ex.com@evil", "x").is_err());
    }

    #[test]
    fn messages_mask_the_local_part() {
        assert_eq!(mask("jane@example.com"), "j***@example.com");
        assert_eq!(mask("nobody"), "n*** (no @)");
    }

    #[test]
    fn seconds_keep_milliseconds_exact_and_refuse_ms_values() {
        let ms = |n: f64| seconds(&Value::Number(n), "t").map(Timestamp::ms);
        assert_eq!(ms(1_534_108_637.153_125), Ok(1_534_108_637_153));
        assert_eq!(ms(1_377_214_260.049_634), Ok(1_377_214_260_049));
        assert_eq!(ms(1_513_299_569.0), Ok(1_513_299_569_000));
        assert_eq!(ms(1_534_108_637.153), Ok(1_534_108_637_153));
        assert_eq!(ms(1_591_726_752_372.0).map_err(|d| d.code), Err("timestamp_looks_like_ms"));
        assert_eq!(ms(1e300).map_err(|d| d.code), Err("bad_timestamp"));
        assert_eq!(seconds(&Value::String("1".into()), "t").map_err(|d| d.code), Err("wrong_type"));
    }

    #[test]
    fn fingerprints_are_stable_and_distinguish_field_boundaries() {
        let a = Fnv::new().field(b"ab").field(b"c").hex();
        let b = Fnv::new().field(b"a").field(b"bc").hex();
        assert_ne!(a, b);
        assert_eq!(a, Fnv::new().field(b"ab").field(b"c").hex());
        assert_eq!(Fnv::new().bytes(b"a").hex(), "af63dc4c8601ec8c"); // FNV-1a 64 reference value for "a"
    }
}
