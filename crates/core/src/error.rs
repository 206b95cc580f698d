//! Errors as data: one enum for the crate, stable codes, and every problem with the path where it is.
//!
//! Codes are part of the public contract (JS `err.code`, CLI exit codes, vectors): documented, never renamed,
//! never reused.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;

/// Everything that can go wrong in core.
///
/// ```
/// # use rekindle_core::{Playbook, Value, ErrorCode};
/// let err = Playbook::parse(&Value::Null).unwrap_err();
/// assert_eq!(err.code(), ErrorCode::PlaybookInvalid);
/// assert_eq!(err.path().as_deref(), Some(""));
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The playbook has one or more problems; all of them are listed, in document order.
    #[error("invalid playbook: {}", summary(.problems))]
    InvalidPlaybook {
        /// Every problem found, never empty.
        problems: Vec<Problem>,
    },
    /// An argument or event is malformed.
    #[error("{path}: {reason}")]
    InvalidInput {
        /// Where, e.g. `events[12].at`.
        path: String,
        /// What was expected and what arrived.
        reason: String,
    },
    /// A serialised contact state could not be read.
    #[error("state: {0}")]
    InvalidState(StateError),
    /// A vendor webhook body or export cannot be decoded as a whole (not JSON, not the vendor's shape).
    #[error("{at}: {reason}")]
    InvalidImport {
        /// Where, e.g. `body:1:17` or `Message`.
        at: String,
        /// What was expected and what arrived.
        reason: String,
    },
    /// An unsubscribe or preference-center token was refused: malformed, unknown key, forged, expired, not yet
    /// valid or for another purpose ([`crate::token::Token::verify`]).
    #[error("token: {0}")]
    InvalidToken(crate::token::TokenError),
    /// A state cookie was refused (tampered, truncated, expired, unknown key or version) or a state is too large
    /// to seal ([`crate::cookie::StateCookie`]). Edge callers treat it as a fresh visitor.
    #[error("cookie: {0}")]
    InvalidCookie(crate::cookie::CookieError),
}

fn summary(problems: &[Problem]) -> String {
    match problems.split_first() {
        None => String::from("no problems recorded"),
        Some((first, [])) => alloc::format!("{first}"),
        Some((first, [_])) => alloc::format!("{first} (and 1 more problem)"),
        Some((first, rest)) => alloc::format!("{first} (and {} more problems)", rest.len()),
    }
}

impl Error {
    /// The stable code of this error.
    ///
    /// ```
    /// # use rekindle_core::{Error, ErrorCode};
    /// let e = Error::InvalidInput { path: "now".into(), reason: "expected a number".into() };
    /// assert_eq!(e.code().as_str(), "E_INPUT_INVALID");
    /// ```
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::InvalidPlaybook { .. } => ErrorCode::PlaybookInvalid,
            Error::InvalidInput { .. } => ErrorCode::InputInvalid,
            Error::InvalidState(_) => ErrorCode::StateInvalid,
            Error::InvalidImport { .. } => ErrorCode::ImportInvalid,
            Error::InvalidToken(_) | Error::InvalidCookie(_) => ErrorCode::SignatureInvalid,
        }
    }

    /// Where the (first) problem is, when the error has a place.
    pub fn path(&self) -> Option<String> {
        match self {
            Error::InvalidPlaybook { problems } => problems.first().map(|p| p.path.clone()),
            Error::InvalidInput { path, .. } => Some(path.clone()),
            Error::InvalidImport { at, .. } => Some(at.clone()),
            // The state argument itself: its message says where in the bytes.
            Error::InvalidState(_) => Some(String::from("state")),
            Error::InvalidToken(_) | Error::InvalidCookie(_) => None,
        }
    }

    /// Every problem of an invalid playbook; empty for other errors.
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::InvalidPlaybook { problems } => problems,
            Error::InvalidInput { .. }
            | Error::InvalidState(_)
            | Error::InvalidImport { .. }
            | Error::InvalidToken(_)
            | Error::InvalidCookie(_) => &[],
        }
    }

    pub(crate) fn input(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput { path: path.into(), reason: reason.into() }
    }
}

/// Stable error codes shared by Rust, JS and the CLI.
///
/// ```
/// # use rekindle_core::ErrorCode;
/// assert!(ErrorCode::ALL.iter().any(|c| c.as_str() == "E_STATE_INVALID"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A playbook failed to parse or validate.
    PlaybookInvalid,
    /// An event, timestamp or other argument is malformed.
    InputInvalid,
    /// A serialised state is truncated, corrupt or of an unknown version.
    StateInvalid,
    /// A signature (cookie, token, webhook) does not verify.
    SignatureInvalid,
    /// A vendor export or webhook body cannot be decoded as a whole.
    ImportInvalid,
    /// The wasm module was used before `init()` (raised by bindings).
    NotInitialized,
    /// A handle was used after `free()` (raised by bindings).
    Disposed,
    /// A bug: an internal invariant broke (raised by bindings on a trap).
    Internal,
}

impl ErrorCode {
    /// Every code, in documentation order.
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::PlaybookInvalid,
        ErrorCode::InputInvalid,
        ErrorCode::StateInvalid,
        ErrorCode::SignatureInvalid,
        ErrorCode::ImportInvalid,
        ErrorCode::NotInitialized,
        ErrorCode::Disposed,
        ErrorCode::Internal,
    ];

    /// The code as JS and the CLI print it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::PlaybookInvalid => "E_PLAYBOOK_INVALID",
            ErrorCode::InputInvalid => "E_INPUT_INVALID",
            ErrorCode::StateInvalid => "E_STATE_INVALID",
            ErrorCode::SignatureInvalid => "E_SIGNATURE_INVALID",
            ErrorCode::ImportInvalid => "E_IMPORT_INVALID",
            ErrorCode::NotInitialized => "E_NOT_INITIALIZED",
            ErrorCode::Disposed => "E_DISPOSED",
            ErrorCode::Internal => "E_INTERNAL",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in a playbook: where, what kind, and a message naming what was expected and what arrived.
///
/// ```
/// # use rekindle_core::{Problem, ProblemCode};
/// let p = Problem::new("scores.fit.max", ProblemCode::WrongType, "expected a number, got a string");
/// assert_eq!(p.to_string(), "scores.fit.max: expected a number, got a string");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// Dotted path with indices: `scores.intent.rules[3].decay.half_life`; empty for the document itself.
    pub path: String,
    /// What kind of problem.
    pub code: ProblemCode,
    /// What was expected and what arrived, lower-case, no trailing period.
    pub message: String,
}

impl Problem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, code: ProblemCode, message: impl Into<String>) -> Self {
        Problem { path: path.into(), code, message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// The kind of a playbook problem; serialised in `snake_case` (`"negative_duration"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProblemCode {
    /// A value of the wrong JSON type.
    WrongType,
    /// A key the playbook format does not have (typos are not ignored).
    UnknownField,
    /// A required key is absent.
    MissingField,
    /// A string that is not a duration like `"7d"`.
    BadDuration,
    /// A string or number that is not an instant.
    BadTimestamp,
    /// A duration that is zero or negative.
    NegativeDuration,
    /// A reference to a signal that `signals` does not define.
    UnknownSignal,
    /// An event kind rekindle does not know.
    UnknownKind,
    /// A comparison operator rekindle does not know.
    UnknownOp,
    /// Two items of one list share an id.
    DuplicateId,
    /// An id with characters or a length outside the allowed set.
    BadId,
    /// A number outside its allowed range (non-finite, negative count, …).
    OutOfRange,
    /// A playbook `version` this build does not read.
    UnsupportedVersion,
    /// A stage bar with no condition at all.
    EmptyBar,
    /// Thresholds in the wrong order (`warm` ≥ `hot`).
    ThresholdOrder,
    /// The same key twice in one object.
    DuplicateKey,
    /// A reference to a segment, sequence, step or CTA that the playbook does not define.
    UnknownReference,
    /// Segments that refer to each other in a loop.
    CyclicReference,
    /// Compiled playbook bytes that this build cannot read: not compiled, another release, truncated, damaged.
    BadCompiled,
}

impl ProblemCode {
    /// The code as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::WrongType => "wrong_type",
            ProblemCode::UnknownField => "unknown_field",
            ProblemCode::MissingField => "missing_field",
            ProblemCode::BadDuration => "bad_duration",
            ProblemCode::BadTimestamp => "bad_timestamp",
            ProblemCode::NegativeDuration => "negative_duration",
            ProblemCode::UnknownSignal => "unknown_signal",
            ProblemCode::UnknownKind => "unknown_kind",
            ProblemCode::UnknownOp => "unknown_op",
            ProblemCode::DuplicateId => "duplicate_id",
            ProblemCode::BadId => "bad_id",
            ProblemCode::OutOfRange => "out_of_range",
            ProblemCode::UnsupportedVersion => "unsupported_version",
            ProblemCode::EmptyBar => "empty_bar",
            ProblemCode::ThresholdOrder => "threshold_order",
            ProblemCode::DuplicateKey => "duplicate_key",
            ProblemCode::UnknownReference => "unknown_reference",
            ProblemCode::CyclicReference => "cyclic_reference",
            ProblemCode::BadCompiled => "bad_compiled",
        }
    }
}

/// Why a serialised state could not be read. Callers at the edge treat every case as "fresh visitor".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Zero bytes.
    #[error("empty input")]
    Empty,
    /// A first byte that is not this build's format version. Garbage bytes, a JSON round-tripped state and a
    /// state from another release all end here, so the message names both causes and the expected first byte.
    #[error(
        "not rekindle state bytes, or a state of an unknown version: the first byte is {0}, this build reads \
         version {STATE_VERSION} (bytes that start with {STATE_VERSION}, as fold() and toBytes() return them)",
        STATE_VERSION = crate::state::codec::STATE_VERSION
    )]
    UnknownVersion(u8),
    /// The bytes end in the middle of a field.
    #[error("truncated at byte {at}")]
    Truncated {
        /// Offset where more bytes were needed.
        at: usize,
    },
    /// A field holds an impossible value.
    #[error("corrupt {what} at byte {at}")]
    Corrupt {
        /// Offset of the field.
        at: usize,
        /// Which field.
        what: &'static str,
    },
    /// Bytes remain after the last field.
    #[error("{extra} unexpected trailing bytes at byte {at}")]
    TrailingBytes {
        /// Offset of the first extra byte.
        at: usize,
        /// How many.
        extra: usize,
    },
}
