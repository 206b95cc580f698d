//! NPS answers and referrals in the plan (D38, D42): read from the `--events` the plan already folds, by core's
//! convention (`rekindle_core::retention::nps`) — a survey answer is a `custom:nps` event on the contact who
//! answered, `props.score` a whole number 0–10; a referral a `custom:referral` event on the referring contact,
//! `props.referred` the new contact's email or id when the site knows it. No new file format: a survey tool's or
//! the site's export becomes NDJSON lines like any other event, deduplicated by `id`, and a contact merged by
//! phone is found under any of its addresses.
//!
//! Each event is read where its line is known ([`said`], on the parsing workers of `super::route`), so a bad one
//! is refused with file, line and field (`props.score`, `props.referred`) and never folded nor counted — a survey
//! answer never vanishes silently. `referred` is found through the roster as an event's `contact` is, and names
//! the analysis's customer of that contact (`super::retention`'s ids); one no contact has still counts as a
//! referral made, with a warning: it cannot name a new customer of this plan, whose customers are all contacts.
//!
//! Like the orders, answers and referrals are this run's logs' (a `--previous` run carries neither), and core
//! computes every figure: with orders, the analysis's `kpis.nps` and `kpis.referrals`; without (NPS needs no
//! order), the same core functions with no customers.

use rekindle_core::retention::nps::{self, Answer, Nps, Referral, Referrals};
use rekindle_core::{Event, Timestamp};
use serde::Serialize;

use super::roster::Roster;
use crate::diagnostic::{mask, Diagnostic};

/// What one event says: an answer or a referral, at its instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Said {
    at: Timestamp,
    what: What,
}

#[derive(Debug, Clone, PartialEq)]
enum What {
    /// A survey score, 0–10.
    Answer(u8),
    /// A referral, and whom it names.
    Referral(Referred),
}

/// The new contact a referral names.
#[derive(Debug, Clone, PartialEq)]
enum Referred {
    /// The event names nobody (the site did not know the new contact).
    Nobody,
    /// The roster index of the contact it names.
    Contact(u32),
    /// A reference no contact has (kept for the warning, masked there).
    Unknown(String),
}

/// A refused answer or referral: the event's field and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    code: &'static str,
    field: &'static str,
    reason: String,
}

impl Refused {
    /// The reject of the line, in the plan's diagnostics.
    pub fn reject(self, file: &str, line: u64) -> Diagnostic {
        Diagnostic::reject(file, line, self.code, self.reason).at(None, Some(self.field.into()))
    }
}

/// What `event` says as an NPS answer or a referral (`None`: neither), its referred contact found in `roster`.
pub fn said(event: &Event, roster: &Roster) -> Option<Result<Said, Refused>> {
    if let Some(score) = nps::answer_of(event) {
        return Some(match score {
            Ok(score) => Ok(Said { at: event.at, what: What::Answer(score) }),
            Err(reason) => Err(Refused { code: "bad_nps_score", field: "props.score", reason }),
        });
    }
    let referred = match nps::referral_of(event)? {
        Ok(None) => Referred::Nobody,
        Ok(Some(reference)) => match roster.find(&reference) {
            Some(index) => Referred::Contact(index),
            None => Referred::Unknown(reference),
        },
        Err(reason) => return Some(Err(Refused { code: "bad_referral", field: "props.referred", reason })),
    };
    Some(Ok(Said { at: event.at, what: What::Referral(referred) }))
}

impl Said {
    /// The warning a referral naming no contact gets (its line's); `None` for anything else.
    pub fn warning(&self, file: &str, line: u64) -> Option<Diagnostic> {
        let What::Referral(Referred::Unknown(reference)) = &self.what else { return None };
        let message = format!(
            "no contact {} in the contacts file: the referral counts, but names no new customer of this plan; add \
             the contact or fix the event's `props.referred`",
            mask(reference)
        );
        Some(Diagnostic::warning(file, line, "unknown_referred", message).at(None, Some("props.referred".into())))
    }
}

/// Every answer and referral of the run's events, by roster index, in the order they were routed.
#[derive(Debug, Default)]
pub struct Log {
    answers: Vec<(u32, Timestamp, u8)>,
    referrals: Vec<(u32, Timestamp, Option<u32>)>,
}

impl Log {
    /// Records what contact `index`'s event said.
    pub fn push(&mut self, index: u32, said: Said) {
        match said.what {
            What::Answer(score) => self.answers.push((index, said.at, score)),
            What::Referral(referred) => {
                let referred = match referred {
                    Referred::Contact(i) => Some(i),
                    Referred::Nobody | Referred::Unknown(_) => None,
                };
                self.referrals.push((index, said.at, referred));
            }
        }
    }

    /// Core's inputs, every contact named by `customer` (its id in the analysis).
    pub fn into_inputs(self, customer: impl Fn(usize) -> String) -> (Vec<Answer>, Vec<Referral>) {
        let answers = self
            .answers
            .into_iter()
            .map(|(i, at, score)| Answer { customer: customer(i as usize), at, score })
            .collect();
        let referrals = self
            .referrals
            .into_iter()
            .map(|(i, at, referred)| Referral {
                customer: customer(i as usize),
                at,
                referred: referred.map(|r| customer(r as usize)),
            })
            .collect();
        (answers, referrals)
    }
}

/// NPS and referrals per month, as core computed them: `nps` and `referrals` in the summary and `manifest.json`,
/// and a section of `report.html`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Voice {
    /// NPS per month (D42).
    pub nps: Nps,
    /// Referrals per month and the share of new customers referred (D38).
    pub referrals: Referrals,
}

impl Voice {
    /// The figures when nobody ordered (no analysis ran): core's NPS of the answers, and its referrals with no
    /// customer (referrals made; no new customers to name).
    pub fn without_orders(answers: &[Answer], referrals: &[Referral], now: Timestamp) -> Voice {
        Voice { nps: nps::nps(answers, now), referrals: nps::referrals(referrals, &[], now) }
    }
}
