//! Phone numbers as E.164 (`+48600100200`): the second dedup key of a contact list after the email (D22), and
//! the form ad platforms hash (Google Customer Match wants E.164; Meta the same digits without `+`).
//!
//! The rules, in order (a pragmatic subset of the ITU numbering plans, not libphonenumber: a number these rules
//! cannot place is refused with the reason, never guessed):
//!
//! 1. Formatting goes: spaces (also no-break), `-`, `.`, `/`, `(` and `)` and any character among them; a
//!    `(0)` right after an international prefix is the national trunk prefix written for locals and goes too
//!    (`+44 (0)20 7946 0000` → `+442079460000`).
//! 2. An extension (`x`, `ext`, `#`, `;ext=` and what follows) makes the number a switchboard, not a person:
//!    refused (`extension`), so two colleagues are never merged.
//! 3. Letters (vanity numbers, `1-800-FLOWERS`) or any other character: refused (`not_a_number`).
//! 4. `+` or the ITU international prefix `00` starts an international number: the digits after it are the
//!    country calling code and the national number as written. A leading `0` after it is refused (no calling
//!    code starts with 0).
//! 5. Anything else is a national number: it needs the list's default calling code ([`CallingCode`], e.g. `48`
//!    for Poland); without one it is refused (`no_country_code`). One trunk prefix is dropped first: a leading
//!    `0` (most of Europe, the UK, Australia, …) except for Italy, San Marino and the Vatican (`39`, `378`, `379`),
//!    whose numbers keep their `0`; for the North American plan (`1`), a leading `1` on an 11-digit number.
//! 6. The result has 7 to 15 digits (E.164's maximum is 15; the shortest numbers in service have 7): else
//!    refused (`too_short`, `too_long`).
//!
//! ```
//! use rekindle_core::import::phone::{e164, CallingCode};
//! let pl = CallingCode::parse("+48").ok();
//! assert_eq!(e164("600 100 200", pl).as_deref(), Ok("+48600100200"));
//! assert_eq!(e164("0048 (600) 100-200", None).as_deref(), Ok("+48600100200"));
//! assert_eq!(e164("+44 (0)20 7946 0000", None).as_deref(), Ok("+442079460000"));
//! assert_eq!(e164("600 100 200", None).unwrap_err().code(), "no_country_code");
//! ```

use alloc::string::String;

/// A country calling code (ITU-T E.164: 1 to 3 digits, not starting with 0), e.g. `48` or `1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallingCode(u16);

impl CallingCode {
    /// Reads `48`, `+48` or `0048`.
    ///
    /// # Errors
    /// A message when the text is not 1–3 digits (optionally after `+` or `00`) or starts with 0.
    pub fn parse(text: &str) -> Result<CallingCode, String> {
        let t = text.trim();
        let digits = t.strip_prefix('+').or_else(|| t.strip_prefix("00")).unwrap_or(t);
        let ok =
            (1..=3).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        match digits.parse::<u16>() {
            Ok(n) if ok => Ok(CallingCode(n)),
            _ => Err(alloc::format!(
                "expected a country calling code like 48, +48 or 1 (1–3 digits, not starting with 0), got \"{}\"",
                crate::time::quote(text)
            )),
        }
    }

    /// The code as a number.
    pub fn get(self) -> u16 {
        self.0
    }
}

/// Why a phone number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneError {
    /// Empty, or only formatting.
    Empty,
    /// Letters or other characters that are not part of a number.
    NotANumber,
    /// An extension: a switchboard, not a person's number.
    Extension,
    /// A national number and no default calling code to place it.
    NoCountryCode,
    /// `+0…` / `000…`: no calling code starts with 0.
    BadCountryCode,
    /// Fewer than 7 digits in all.
    TooShort,
    /// More than 15 digits in all.
    TooLong,
}

impl PhoneError {
    /// A stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            PhoneError::Empty => "empty",
            PhoneError::NotANumber => "not_a_number",
            PhoneError::Extension => "extension",
            PhoneError::NoCountryCode => "no_country_code",
            PhoneError::BadCountryCode => "bad_country_code",
            PhoneError::TooShort => "too_short",
            PhoneError::TooLong => "too_long",
        }
    }

    /// What is wrong, for a message.
    pub fn reason(self) -> &'static str {
        match self {
            PhoneError::Empty => "no digits",
            PhoneError::NotANumber => "letters or other characters that are not part of a phone number",
            PhoneError::Extension => "an extension: a switchboard number, not one person's",
            PhoneError::NoCountryCode => {
                "a national number without a country code (write +<code>… or pass the list's default calling code)"
            }
            PhoneError::BadCountryCode => "no country calling code starts with 0",
            PhoneError::TooShort => "fewer than 7 digits",
            PhoneError::TooLong => "more than 15 digits, E.164's maximum",
        }
    }
}

/// Calling codes whose national numbers keep their leading 0 (Italy, San Marino, Vatican).
const KEEPS_ZERO: [u16; 3] = [39, 378, 379];

/// The number in E.164 (`+` and 7–15 digits), by the rules of the module docs; `default` places national
/// numbers.
///
/// # Errors
/// The [`PhoneError`] that says why the number cannot be placed.
pub fn e164(raw: &str, default: Option<CallingCode>) -> Result<String, PhoneError> {
    let lower = raw.trim().to_ascii_lowercase();
    if lower.contains("ext") || lower.contains('x') || lower.contains('#') || lower.contains(';') {
        return Err(PhoneError::Extension);
    }
    let (international, rest) = match lower.strip_prefix('+').or_else(|| lower.strip_prefix("00")) {
        Some(rest) => (true, rest.replacen("(0)", "", 1)),
        None => (false, lower.clone()),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '\u{a0}' | '-' | '.' | '/' | '(' | ')' => {}
            _ => return Err(PhoneError::NotANumber),
        }
    }
    if digits.is_empty() {
        return Err(PhoneError::Empty);
    }
    let number = if international {
        digits
    } else {
        let code = default.ok_or(PhoneError::NoCountryCode)?;
        let national = match code.0 {
            1 if digits.len() == 11 => digits.strip_prefix('1').unwrap_or(&digits),
            c if KEEPS_ZERO.contains(&c) => digits.as_str(),
            _ => digits.strip_prefix('0').unwrap_or(&digits),
        };
        alloc::format!("{}{national}", code.0)
    };
    if number.starts_with('0') {
        return Err(PhoneError::BadCountryCode);
    }
    match number.len() {
        0..=6 => Err(PhoneError::TooShort),
        7..=15 => Ok(alloc::format!("+{number}")),
        _ => Err(PhoneError::TooLong),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(n: &str) -> Option<CallingCode> {
        CallingCode::parse(n).ok()
    }

    #[test]
    fn international_forms_agree_whatever_the_formatting() {
        for raw in ["+48 600 100 200", "+48-600-100-200", "0048 600 100 200", "+48 (600) 100.200", "+48/600100200"] {
            assert_eq!(e164(raw, None).as_deref(), Ok("+48600100200"), "{raw}");
        }
        assert_eq!(e164("+44 (0)20 7946 0000", None).as_deref(), Ok("+442079460000"));
        assert_eq!(e164("0044 (0)20 7946 0000", None).as_deref(), Ok("+442079460000"));
        assert_eq!(
            e164("+1 (415) 555-2671", code("48")).as_deref(),
            Ok("+14155552671"),
            "a + number ignores the default"
        );
    }

    #[test]
    fn national_numbers_take_the_default_code_and_drop_one_trunk_prefix() {
        assert_eq!(e164("600 100 200", code("48")).as_deref(), Ok("+48600100200"));
        assert_eq!(e164("07911 123456", code("44")).as_deref(), Ok("+447911123456"));
        assert_eq!(e164("0151 23456789", code("+49")).as_deref(), Ok("+4915123456789"));
        assert_eq!(e164("06 12 34 56 78", code("33")).as_deref(), Ok("+33612345678"));
        assert_eq!(e164("06 6982 0000", code("39")).as_deref(), Ok("+390669820000"), "Italy keeps its 0");
        assert_eq!(e164("1 (415) 555-2671", code("1")).as_deref(), Ok("+14155552671"));
        assert_eq!(e164("415.555.2671", code("1")).as_deref(), Ok("+14155552671"));
    }

    #[test]
    fn numbers_that_cannot_be_placed_are_refused_with_the_reason() {
        let refused = |raw: &str, default: Option<CallingCode>| e164(raw, default).map_err(PhoneError::code);
        assert_eq!(refused("600 100 200", None), Err("no_country_code"));
        assert_eq!(refused("+48 22 555 01 00 ext. 12", None), Err("extension"));
        assert_eq!(refused("+48 22 555 01 00 x12", None), Err("extension"));
        assert_eq!(refused("1-800-FLOWERS", code("1")), Err("not_a_number"));
        assert_eq!(refused("+0 600 100 200", None), Err("bad_country_code"));
        assert_eq!(refused("+48 12", None), Err("too_short"));
        assert_eq!(refused("+48 6001002003004005", None), Err("too_long"));
        assert_eq!(refused(" - ", code("48")), Err("empty"));
        assert_eq!(refused("", code("48")), Err("empty"));
        for bad in ["", "0", "048", "1234", "+", "pl"] {
            assert!(CallingCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(code("0048").map(CallingCode::get), Some(48));
    }
}
