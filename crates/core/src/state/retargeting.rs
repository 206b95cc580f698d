//! The retargeting audience (D10, D22, D35; DESIGN §7): who may be shown ads pointing to a fresh sign-up, for how
//! long, and why not.
//!
//! **Window.** A contact is in it from the start of break-up until [`KEEP_FOR_DAYS`] after break-up ended without
//! a reaction (the archive instant): `[break-up start, archived + keep_for)`, half-open as every window of DESIGN
//! §7 (`keep_for` has elapsed iff `t − archived ≥ keep_for`). A reaction during break-up returns the contact to
//! active and out of the window; an archived contact who comes back through an opt-in is active again, out too.
//! Both ends come from the lifecycle alone (`LifecycleStatus::since` / `next_transition_at`), so a monthly run
//! sees everyone archived in the last 30 days, not only the 72 hours of break-up.
//!
//! **Exclusions**, each a stable code, checked in this order once the contact is in the window (an erased contact
//! is never in it):
//! - `erased` (D9): nothing about the person is processed again.
//! - `unsubscribed`, `complained`: do-not-contact for email chosen by the person (an unsubscribe of email or of
//!   all channels, a manual suppression, a spam complaint) is an objection to direct marketing (GDPR Art. 21(2)),
//!   and a matched audience built from that address is direct marketing by another route.
//! - `bounced`: a hard-bounced or spam-trap address is dead for email, and may since have been recycled to someone
//!   else by the mailbox provider: its hash could match a different person (accuracy, Art. 5(1)(d)), and the
//!   person never received the break-up message the audience follows up on. Excluded too.
//! - `ads_consent_withdrawn`: the latest `consent` event for any of [`AD_PURPOSES`] says `granted: false`
//!   (rekindle's `ads`, or Google Consent Mode's `ad_user_data` / `ad_personalization`: Customer Match refuses a
//!   denied one).
//! - `ads_consent_missing`: only when the playbook asks for explicit consent to email (`policy.consent.email`
//!   names a purpose: an opt-in regime), ads need an explicit grant as well — `ads`, or both Consent Mode signals.
//! - `sales_conversation` (D22): an open deal; ads stop whatever `policy.stop_during_sales` says about mail.

use serde::Serialize;

use super::{ContactState, DealStatus};
use crate::consent::Consent;
use crate::lifecycle::{LifecycleStatus, Phase};
use crate::playbook::Playbook;
use crate::suppression::{Channel, DncReason};
use crate::time::{Span, Timestamp};

/// How long a contact stays in the audience after break-up ended without a reaction: DESIGN §7's `keep_for`
/// default (D10 says 14–30 days). A constant until the playbook gets the setting.
pub const KEEP_FOR_DAYS: i64 = 30;

/// Consent purposes that speak for ads: rekindle's own `ads`, then Google Consent Mode v2's two ad signals.
pub const AD_PURPOSES: [&str; 3] = ["ads", "ad_user_data", "ad_personalization"];

/// In the retargeting audience at an instant, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "camelCase")]
pub enum Retargeting {
    /// In the audience until `until` (exclusive), unless something changes.
    Member {
        /// The end of the window: `keep_for` after break-up ends.
        until: Timestamp,
    },
    /// Not in it.
    Excluded {
        /// Why (the first that applies, in the module's order).
        why: Excluded,
    },
}

/// Why a contact is not in the retargeting audience; the names are stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Excluded {
    /// Neither in break-up nor archived by it within `keep_for`.
    OutsideWindow,
    /// Erased (D9).
    Erased,
    /// Unsubscribed from email (or from all channels), or suppressed by hand.
    Unsubscribed,
    /// Reported spam.
    Complained,
    /// The address hard-bounced or is a spam trap.
    Bounced,
    /// Ads consent withdrawn.
    AdsConsentWithdrawn,
    /// The playbook needs explicit consent (opt-in regime) and none was given for ads.
    AdsConsentMissing,
    /// An open deal (D22).
    SalesConversation,
}

impl Excluded {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Excluded::OutsideWindow => "outside_window",
            Excluded::Erased => "erased",
            Excluded::Unsubscribed => "unsubscribed",
            Excluded::Complained => "complained",
            Excluded::Bounced => "bounced",
            Excluded::AdsConsentWithdrawn => "ads_consent_withdrawn",
            Excluded::AdsConsentMissing => "ads_consent_missing",
            Excluded::SalesConversation => "sales_conversation",
        }
    }
}

/// The end (exclusive) of the retargeting window a lifecycle status is in, if any: `keep_for` after break-up
/// ends. For a caller that holds the status only (a batch plan's row): whether `t` is in the window is
/// `window_end(status).is_some_and(|end| t < end)`.
pub fn window_end(status: &LifecycleStatus) -> Option<Timestamp> {
    let left_break_up = match status.state {
        Phase::BreakUp => status.next_transition_at?,
        Phase::Archived => status.since?,
        _ => return None,
    };
    Some(left_break_up.plus(Span::days(KEEP_FOR_DAYS)))
}

impl ContactState {
    /// In the retargeting audience at `t`, or why not (see the module docs).
    pub fn retargeting(&self, playbook: &Playbook, t: Timestamp) -> Retargeting {
        self.retargeting_in(playbook, &self.lifecycle_at(playbook, t), t)
    }

    /// [`ContactState::retargeting`] with the lifecycle status at `t` already known (a decision has it).
    pub(crate) fn retargeting_in(&self, playbook: &Playbook, status: &LifecycleStatus, t: Timestamp) -> Retargeting {
        let out = |why| Retargeting::Excluded { why };
        if status.state == Phase::Erased {
            return out(Excluded::Erased);
        }
        let Some(until) = window_end(status).filter(|end| t < *end) else { return out(Excluded::OutsideWindow) };
        match self.objection(playbook) {
            Some(why) => out(why),
            None => Retargeting::Member { until },
        }
    }

    /// The exclusions of [`ContactState::retargeting`] alone, without its window: why the contact may be in no ad
    /// audience at `t` (the first that applies, in the module's order, `erased` first), or `None`. For an audience
    /// that is not the retargeting window (a segment synced to an ad platform, D35); read-only, like `retargeting`.
    pub fn ad_exclusion(&self, playbook: &Playbook, t: Timestamp) -> Option<Excluded> {
        match self.lifecycle_at(playbook, t).state {
            Phase::Erased => Some(Excluded::Erased),
            _ => self.objection(playbook),
        }
    }

    /// The exclusions after `erased` and the window: do-not-contact for email, ads consent, an open deal.
    fn objection(&self, playbook: &Playbook) -> Option<Excluded> {
        if let Some(dnc) = self.suppression.get(Channel::Email) {
            return Some(match dnc.reason {
                DncReason::Unsubscribed | DncReason::Manual => Excluded::Unsubscribed,
                DncReason::Complained => Excluded::Complained,
                DncReason::Bounced => Excluded::Bounced,
            });
        }
        let consent = |purpose: &str| self.permissions.consent(purpose);
        if AD_PURPOSES.iter().any(|p| matches!(consent(p), Some(Consent::Denied { .. }))) {
            return Some(Excluded::AdsConsentWithdrawn);
        }
        let granted = |purpose: &str| matches!(consent(purpose), Some(Consent::Granted { .. }));
        let opt_in = playbook.policy.consent_purpose(Channel::Email).is_some();
        if opt_in && !(granted("ads") || (granted("ad_user_data") && granted("ad_personalization"))) {
            return Some(Excluded::AdsConsentMissing);
        }
        matches!(self.deal, Some((DealStatus::Open, _))).then_some(Excluded::SalesConversation)
    }
}
