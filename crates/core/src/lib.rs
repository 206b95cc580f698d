//! rekindle-core: the pure engine behind rekindle.
//!
//! One pipeline (DESIGN §1): events are parsed ([`Event::parse_list`]) and folded into a compact
//! [`ContactState`]; [`decide`] turns a [`Playbook`], a state and an instant into a [`Decision`] with its
//! reasons. Core reads no clock, draws no randomness and does no I/O: `now` is always an argument, so browser,
//! Worker, Node and CLI give byte-identical answers.
//!
//! ```
//! use rekindle_core::{decide, ContactState, Event, Playbook, Timestamp, Value};
//! let pb = Playbook::parse(&Value::Object(vec![
//!     ("version".into(), Value::Number(1.0)),
//!     ("signals".into(), Value::Object(vec![])),
//! ])).unwrap();
//! let mut state = ContactState::new();
//! state.fold(&pb, &Event::parse_list(&Value::Array(vec![]), "events").unwrap());
//! let decision = decide(&pb, &state, Timestamp::EPOCH);
//! assert!(decision.reasons.is_empty());
//! ```
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

extern crate alloc;

pub mod casefold;
pub mod consent;
pub mod cookie;
pub mod cta;
pub mod decay;
pub mod decide;
pub mod error;
pub mod event;
pub mod explain;
pub mod field;
pub mod handoff;
mod heapsort;
pub mod import;
pub mod lifecycle;
pub mod moment;
pub mod nurture;
pub mod playbook;
pub mod policy;
pub mod retention;
pub mod score;
pub mod segment;
pub mod stage;
pub mod state;
pub mod suppression;
pub mod time;
pub mod token;
pub mod value;
pub mod vecmap;
pub mod zone;

pub use decay::Decay;
pub use decide::{choose_cta, decide, snapshot, Decision, Snapshot};
pub use error::{Error, ErrorCode, Problem, ProblemCode, StateError};
pub use event::{Event, EventKind, Scalar};
pub use explain::{Reason, UnknownCause};
pub use moment::Meets;
pub use playbook::Playbook;
pub use stage::{Readiness, ScoreKind, Scores, Stage};
pub use state::view::StateView;
pub use state::ContactState;
pub use time::{Span, Timestamp};
pub use value::Value;
