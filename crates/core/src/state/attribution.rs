//! What a sales handoff needs from history (D19), kept tiny: the first touch that carried UTM parameters
//! (lead source) and a ring of the last [`RING`] interactions. Folded only when the playbook has a `handoff`
//! section, so other playbooks pay no bytes for it.

use alloc::string::String;
use alloc::vec::Vec;

use crate::event::{Event, EventKind, Scalar};
use crate::time::Timestamp;

/// Interactions kept (D19: "last 5 interactions").
pub const RING: usize = 5;

/// Longest attribution text kept, in bytes (cut at a character boundary): bounds the state's size.
const MAX_TEXT: usize = 96;

/// The first page view that carried UTM parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct FirstTouch {
    /// When.
    pub at: Timestamp,
    /// `utm_source`.
    pub utm_source: Option<String>,
    /// `utm_medium`.
    pub utm_medium: Option<String>,
    /// `utm_campaign`.
    pub utm_campaign: Option<String>,
    /// The page's referrer.
    pub referrer: Option<String>,
}

/// One thing the contact did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interaction {
    /// The event kind's code in [`KINDS`].
    pub kind: u8,
    /// The state key of the first playbook signal it matched, if any.
    pub signal: Option<u32>,
    /// When.
    pub at: Timestamp,
}

/// Lead source and recent interactions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attribution {
    /// The first UTM-carrying page view.
    pub first_touch: Option<FirstTouch>,
    /// The last interactions, newest first, at most [`RING`].
    pub interactions: Vec<Interaction>,
}

/// Event kinds that are the contact's own doing, with their stored codes (custom events keep no name: the
/// signal they matched names them).
pub const KINDS: [(u8, &str); 12] = [
    (0, "page_view"),
    (1, "form_submit"),
    (2, "cta_click"),
    (3, "email_open"),
    (4, "email_click"),
    (5, "email_reply"),
    (6, "purchase"),
    (7, "webinar_registered"),
    (8, "webinar_attended"),
    (9, "sms_reply"),
    (10, "subscribe"),
    (11, "custom"),
];

fn code_of(kind: &EventKind) -> Option<u8> {
    let name = match kind {
        EventKind::PageView => "page_view",
        EventKind::FormSubmit => "form_submit",
        EventKind::CtaClick => "cta_click",
        EventKind::EmailOpen => "email_open",
        EventKind::EmailClick => "email_click",
        EventKind::EmailReply => "email_reply",
        EventKind::Purchase => "purchase",
        EventKind::WebinarRegistered => "webinar_registered",
        EventKind::WebinarAttended => "webinar_attended",
        EventKind::SmsReply => "sms_reply",
        EventKind::Subscribe => "subscribe",
        EventKind::Custom(_) => "custom",
        _ => return None,
    };
    KINDS.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
}

/// The name of a stored kind code.
pub fn kind_name(code: u8) -> &'static str {
    KINDS.iter().find(|(c, _)| *c == code).map_or("unknown", |(_, n)| *n)
}

/// Whether `code` is a stored kind code (for the decoder).
pub(crate) fn is_kind(code: u8) -> bool {
    KINDS.iter().any(|(c, _)| *c == code)
}

fn clip(s: &str) -> String {
    let mut end = s.len().min(MAX_TEXT);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    String::from(s.get(..end).unwrap_or(""))
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// A query parameter of a URL, `+` and `%XX` decoded (invalid UTF-8 after decoding gives `None`).
fn query_param(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let raw = query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == key).then_some(v)
    })?;
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => match (bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b),
            },
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok().filter(|s| !s.is_empty())
}

/// A prop as text (numbers in their short form), else the URL's query parameter of that name.
fn utm(e: &Event, key: &str) -> Option<String> {
    match e.props.get(key) {
        Some(Some(Scalar::Str(s))) if !s.is_empty() => Some(clip(s)),
        Some(Some(Scalar::Num(n))) => Some(crate::time::short_number(*n)),
        _ => e.prop_str("url").and_then(|u| query_param(u, key)).map(|s| clip(&s)),
    }
}

impl Attribution {
    /// Folds one event; `signal` is the key of the first playbook signal it matched.
    pub(crate) fn on_event(&mut self, e: &Event, signal: Option<u32>) {
        if e.machine {
            return;
        }
        let Some(kind) = code_of(&e.kind) else { return };
        let pos = self.interactions.iter().position(|i| i.at < e.at).unwrap_or(self.interactions.len());
        if pos < RING {
            self.interactions.insert(pos, Interaction { kind, signal, at: e.at });
            self.interactions.truncate(RING);
        }
        if e.kind != EventKind::PageView || self.first_touch.as_ref().is_some_and(|f| f.at <= e.at) {
            return;
        }
        let (utm_source, utm_medium, utm_campaign) =
            (utm(e, "utm_source"), utm(e, "utm_medium"), utm(e, "utm_campaign"));
        if utm_source.is_none() && utm_medium.is_none() && utm_campaign.is_none() {
            return;
        }
        let referrer = e.prop_str("referrer").filter(|r| !r.is_empty()).map(clip);
        self.first_touch = Some(FirstTouch { at: e.at, utm_source, utm_medium, utm_campaign, referrer });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::state::ContactState;

    #[test]
    fn utm_parameters_are_read_from_the_url_when_props_lack_them() {
        let url = "https://acme.test/pricing?utm_source=linkedin&utm_campaign=q4%20launch+eu#top";
        assert_eq!(query_param(url, "utm_source").as_deref(), Some("linkedin"));
        assert_eq!(query_param(url, "utm_campaign").as_deref(), Some("q4 launch eu"));
        assert_eq!(query_param(url, "utm_medium"), None);
        assert_eq!(query_param("https://acme.test/?utm_source=%E2%82%AC", "utm_source").as_deref(), Some("€"));
        assert_eq!(query_param("https://acme.test/?utm_source=%FF", "utm_source"), None, "invalid UTF-8 is dropped");
    }

    #[test]
    fn long_texts_are_clipped_at_a_character_boundary() {
        let long = "ż".repeat(100);
        let clipped = clip(&long);
        assert!(clipped.len() <= MAX_TEXT && clipped.chars().all(|c| c == 'ż'));
    }

    #[test]
    fn handoff_attribution_round_trips_through_bytes() {
        let t = |ms| Timestamp::from_ms(ms).unwrap();
        let mut s = ContactState::new();
        s.updated_at = Some(t(1_764_547_200_000));
        s.attribution = Attribution {
            first_touch: Some(FirstTouch {
                at: t(1_764_000_000_000),
                utm_source: Some("linkedin".into()),
                utm_medium: None,
                utm_campaign: Some("q4 launch".into()),
                referrer: Some("https://www.linkedin.com/".into()),
            }),
            interactions: vec![
                Interaction { kind: 1, signal: Some(7), at: t(1_764_547_200_000) },
                Interaction { kind: 0, signal: None, at: t(1_764_500_000_000) },
            ],
        };
        let bytes = s.to_bytes();
        assert_eq!(ContactState::from_bytes(&bytes), Ok(s));
        for n in 0..bytes.len() {
            assert!(ContactState::from_bytes(&bytes[..n]).is_err(), "prefix of {n} bytes accepted");
        }
    }
}
