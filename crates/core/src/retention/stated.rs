//! What the contact's record says beside the order log (D39, D41): who owns the customer, so an early-warning
//! alert reaches a person, and the churn reason the customer stated (an exit survey, a cancellation ticket).
//!
//! Both are profile fields. The owner is the first non-empty of [`OWNER_FIELDS`]: a generic `owner` column, or
//! a HubSpot export's "Contact owner" (or its API name `hubspot_owner_id`), which the contact import keeps as
//! profile fields under their headers. The stated reason is [`STATED_REASON_FIELD`]: written by a CRM column of
//! that name or by a `profile` event from the survey tool. It lives in its own field because `churn_reason` is
//! the analysis's behavioural reason, rewritten at every run: a stated reason must never be overwritten by it.

use alloc::string::String;

use serde::Serialize;

use crate::event::Scalar;
use crate::state::ContactState;
use crate::time::{short_number, Timestamp};

/// The profile field that holds the churn reason the customer stated (D39).
pub const STATED_REASON_FIELD: &str = "churn_reason_stated";

/// The profile fields an owner is read from, first non-empty wins: a generic column, HubSpot's export header,
/// HubSpot's property name.
pub const OWNER_FIELDS: [&str; 3] = ["owner", "Contact owner", "hubspot_owner_id"];

/// Every profile field this module reads: a host keeps them with [`crate::Playbook::keep_profile_fields`]
/// (folded states keep only the fields a playbook reads).
pub const KEPT_FIELDS: [&str; 4] = ["owner", "Contact owner", "hubspot_owner_id", STATED_REASON_FIELD];

/// A churn reason in the customer's own words, kept apart from the model's behavioural reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatedReason {
    /// The reason as recorded (free text or the survey's option).
    pub reason: String,
    /// When it was stated, when the source says (a profile field carries no instant).
    pub at: Option<Timestamp>,
}

/// A profile value as text: strings trimmed (empty is none), numbers as written (an owner id `123456`).
fn text(value: Option<&Scalar>) -> Option<String> {
    match value? {
        Scalar::Str(s) if !s.trim().is_empty() => Some(String::from(s.trim())),
        Scalar::Num(n) => Some(short_number(*n)),
        _ => None,
    }
}

/// The contact's owner from its profile ([`OWNER_FIELDS`]); `None`: unassigned.
///
/// ```
/// # use rekindle_core::{retention::stated::owner_of, ContactState};
/// assert_eq!(owner_of(&ContactState::new()), None);
/// ```
pub fn owner_of(state: &ContactState) -> Option<String> {
    OWNER_FIELDS.iter().find_map(|f| text(state.profile.get(*f)))
}

/// The churn reason the contact stated ([`STATED_REASON_FIELD`]), if any.
pub fn stated_reason_of(state: &ContactState) -> Option<String> {
    text(state.profile.get(STATED_REASON_FIELD))
}
