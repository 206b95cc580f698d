//! Retention analytics in the plan (issue 8, D36–D42): every contact's orders (`purchase` events, `value` as the
//! amount) go to core's analysis at `--now`; the report shows its RFM grid, P(alive) distribution, cohort
//! retention and KPIs, and `retention.csv` lists every customer. When the playbook has a `retention` section,
//! each customer's facts (`rfm_cell`, `churn_reason`, `winback_priority`, …) are also kept on the contact: folded
//! as a `profile` event at `--now` before it is decided, so the playbook's rfm and win-back segments decide.
//!
//! From each customer's folded state the analysis also gets the owner and the stated churn reason (profile
//! fields, core's `retention::stated`: `alerts.csv` names who acts, D39, D41) and the start of the latest
//! reactivation campaign as core knows it (`campaign_started_at`, the D12 KPIs' cohort), so the win-back plan is
//! measured (D42). Only contacts with an order are read: a campaign start for a contact who never ordered is not
//! a lapsed customer's, and is not in the order log.

use std::collections::BTreeMap;

use rekindle_core::retention::stated::KEPT_FIELDS;
use rekindle_core::retention::{
    analyse, latest_negative_rating, owner_of, stated_reason_of, Analysis, Options, StatedReason, Transaction,
};
use rekindle_core::{Event, EventKind, Playbook, Timestamp};

use super::fold::Slot;
use crate::error::CliError;

/// The analysis and what the report says about its input.
pub struct Retention {
    /// Core's analysis; customers are named by their roster index ([`index_of`]).
    pub analysis: Analysis,
    /// Orders per currency.
    pub currencies: BTreeMap<String, u64>,
    /// Purchase events left out (value not an amount).
    pub bad_orders: u64,
    /// The facts were kept on the contacts (the playbook has a `retention` section).
    pub kept: bool,
}

/// The customer id a roster index has in the analysis: zero-padded, so ids sort like indices.
fn customer_id(index: usize) -> String {
    format!("{index:010}")
}

/// The roster index of an analysis customer.
pub fn index_of(customer: &str) -> Option<usize> {
    customer.parse().ok()
}

/// Keeps the profile fields the alert list reads (owner, stated churn reason) in the folded states.
pub fn keep_fields(playbook: &mut Playbook) {
    playbook.keep_profile_fields(&KEPT_FIELDS);
}

/// Analyses every contact's orders; `None` when nobody ordered. With a declared `retention` section each
/// customer's slot gets its facts to fold.
pub fn run(
    playbook: &Playbook,
    now: Timestamp,
    slots: &mut [Slot],
    currencies: BTreeMap<String, u64>,
    bad_orders: u64,
) -> Result<Option<Retention>, CliError> {
    let mut log = Vec::new();
    let mut options = Options::default();
    let rated = playbook.retention().churn.negative_rating.is_some();
    for (i, slot) in slots.iter_mut().enumerate() {
        if slot.orders.is_empty() {
            continue;
        }
        let (orders, id) = (std::mem::take(&mut slot.orders), customer_id(i)); // the slot's copy goes
        log.extend(orders.iter().filter_map(|(at, amount)| Transaction::new(id.clone(), *at, *amount)));
        let state = slot.state()?;
        if rated {
            if let Some(at) = latest_negative_rating(playbook, &state, now) {
                options.negative_ratings.push((id.clone(), at));
            }
        }
        if let Some(owner) = owner_of(&state) {
            options.owners.push((id.clone(), owner));
        }
        if let Some(reason) = stated_reason_of(&state) {
            options.stated_reasons.push((id.clone(), StatedReason { reason, at: None }));
        }
        if let Some(start) = state.campaign_started_at(playbook, now) {
            options.winback_starts.push((id.clone(), start));
        }
    }
    if log.is_empty() {
        return Ok(None);
    }
    let rules = playbook.retention();
    let analysis = analyse(&log, rules, &options, now);
    if rules.declared {
        for c in &analysis.customers {
            let Some(slot) = index_of(&c.summary.customer).and_then(|i| slots.get_mut(i)) else { continue };
            let mut event = Event {
                at: now,
                kind: EventKind::Profile,
                id: String::new(),
                contact: String::new(),
                machine: false,
                props: Default::default(),
            };
            for (field, value) in &c.profile.0 {
                event.props.insert((*field).to_string(), value.clone());
            }
            slot.facts = Some(Box::new(event));
        }
    }
    Ok(Some(Retention { analysis, currencies, bad_orders, kept: rules.declared }))
}
