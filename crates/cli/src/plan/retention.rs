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
//!
//! An exit survey is read by convention (D39): a `custom:exit_survey` event with a `reason` prop (text, or a
//! number: the survey's option) is the customer's stated reason at the event's `at`. [`exit_survey`] turns it
//! into a `profile` event setting `churn_reason_stated` at that instant, folded beside it (`super::fold`), so the
//! latest statement wins — over an earlier survey, a CRM column or a survey tool's `profile` event alike — and
//! the reason is carried in `state.csv` to the next `--previous` run. A CRM column (the contacts file's
//! `churn_reason_stated`) carries no date and every export repeats it, so it states a reason only when it is new
//! or changed since the previous plan read it, and a survey at the instant its profile is folded wins
//! (`super::fold`): an unchanged column never overwrites a reason a survey stated since. The analysis's
//! behavioural `churn_reason` is another field and never replaces it.
//!
//! NPS answers and referrals (`custom:nps`, `custom:referral`; D38, D42) are read as events are routed
//! (`super::nps`) and go to the analysis as its options, each contact named by its analysis id, so its
//! `kpis.nps` and `kpis.referrals` are the plan's.

use std::collections::BTreeMap;

use rekindle_core::retention::stated::KEPT_FIELDS;
use rekindle_core::retention::stated::STATED_REASON_FIELD;
use rekindle_core::retention::{
    analyse, latest_negative_rating, owner_of, stated_reason_of, Analysis, Options, StatedReason, Transaction,
};
use rekindle_core::{Event, EventKind, Playbook, Scalar, Timestamp};

use super::fold::Slot;
use super::nps::Voice;
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
pub fn customer_id(index: usize) -> String {
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

/// The custom event an exit survey sends (D39): `{ kind: "custom:exit_survey", props: { reason } }`.
pub const EXIT_SURVEY: &str = "exit_survey";

/// The stated churn reason an exit survey event carries — as core's `stated_reason_of` will read it back, and as
/// a `profile` event setting `churn_reason_stated` at the survey's instant; `None` for any other event, and for a
/// survey without a `reason` (text trimmed and not empty, or a number), which states nothing and must not clear
/// a reason stated before.
pub fn exit_survey(event: &Event) -> Option<(String, Event)> {
    if !matches!(&event.kind, EventKind::Custom(name) if name == EXIT_SURVEY) {
        return None;
    }
    let (text, reason) = match event.props.get("reason") {
        Some(Some(Scalar::Str(s))) if !s.trim().is_empty() => (s.trim().to_string(), Scalar::Str(s.trim().into())),
        Some(Some(Scalar::Num(n))) => (rekindle_core::time::short_number(*n), Scalar::Num(*n)),
        _ => return None,
    };
    let mut profile = Event {
        at: event.at,
        kind: EventKind::Profile,
        id: String::new(),
        contact: String::new(),
        machine: false,
        props: Default::default(),
    };
    profile.props.insert(STATED_REASON_FIELD.to_string(), Some(reason));
    Some((text, profile))
}

/// Analyses every contact's orders, with the NPS answers and referrals `said` (`super::nps`); `None` when nobody
/// ordered. With a declared `retention` section each customer's slot gets its facts to fold. The NPS and referral
/// figures are core's in both cases ([`Voice`]).
pub fn run(
    playbook: &Playbook,
    now: Timestamp,
    slots: &mut [Slot],
    said: super::nps::Log,
    currencies: BTreeMap<String, u64>,
    bad_orders: u64,
) -> Result<(Option<Retention>, Voice), CliError> {
    let mut log = Vec::new();
    let mut options = Options::default();
    (options.nps_answers, options.referrals) = said.into_inputs(customer_id);
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
            // The instant is known when this run's latest exit survey stated the reason the state holds.
            let survey = slot.stated.as_ref().and_then(|s| s.survey.as_ref());
            let at = survey.filter(|(_, said)| *said == reason).map(|(at, _)| *at);
            options.stated_reasons.push((id.clone(), StatedReason { reason, at }));
        }
        if let Some(start) = state.campaign_started_at(playbook, now) {
            options.winback_starts.push((id.clone(), start));
        }
    }
    if log.is_empty() {
        return Ok((None, Voice::without_orders(&options.nps_answers, &options.referrals, now)));
    }
    let rules = playbook.retention();
    let analysis = analyse(&log, rules, &options, now);
    let voice = Voice { nps: analysis.kpis.nps.clone(), referrals: analysis.kpis.referrals.clone() };
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
    Ok((Some(Retention { analysis, currencies, bad_orders, kept: rules.declared }), voice))
}
