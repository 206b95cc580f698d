//! Nurture sequences (D13–D14, D20–D23, D34, D37): enrolment when a start condition first holds, steps due at
//! offsets, stop conditions, and the next step due for a contact.

use crate::playbook::Playbook;
use crate::state::ContactState;
use crate::time::Timestamp;

/// Records enrolments whose start condition began to hold, on its own, between the state's last event and `at`.
pub(crate) fn catch_up(playbook: &Playbook, state: &mut ContactState, at: Timestamp) {
    let _ = (playbook, state, at); // sequences are parsed and enrolled by this module's next revision
}

/// Records enrolments and stops at an event instant.
pub(crate) fn on_instant(playbook: &Playbook, state: &mut ContactState, at: Timestamp) {
    let _ = (playbook, state, at);
}
