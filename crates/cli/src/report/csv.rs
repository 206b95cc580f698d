//! The CSV files. Instants are RFC 3339 UTC; empty cells mean "none"; lists inside a cell are joined with `;`.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use rekindle_core::lifecycle::Phase;
use rekindle_core::time::short_number;
use rekindle_core::token::Purpose;
use rekindle_core::Timestamp;

use super::{name, rfc3339};
use crate::output::OutDir;
use crate::plan::outcome::{EmailVerdict, Planned};
use crate::plan::{is_reject, Plan};
use crate::CliError;

/// Writes a CSV with `header`; `rows` pushes records and returns how many (the plan's CSVs and the write-back
/// files).
pub(crate) fn write_csv(
    out: &mut OutDir,
    rel: &str,
    header: &[&str],
    rows: impl FnOnce(&mut csv::Writer<&mut dyn Write>) -> csv::Result<u64>,
) -> Result<(), CliError> {
    out.write(rel, |w| {
        let mut csv = csv::Writer::from_writer(w);
        csv.write_record(header).map_err(io::Error::from)?;
        let n = rows(&mut csv).map_err(io::Error::from)?;
        csv.flush()?;
        Ok(n)
    })
}

fn at(t: Option<Timestamp>) -> String {
    t.map(|t| rfc3339(t.ms())).unwrap_or_default()
}

fn num(n: f64) -> String {
    short_number(n)
}

/// A yes/no cell (`showed_intent`), as every CSV writes it.
fn flag(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn verdict(v: EmailVerdict) -> (&'static str, String) {
    match v {
        EmailVerdict::Allow => ("allow", String::new()),
        EmailVerdict::Defer(until) => ("defer", rfc3339(until.ms())),
        EmailVerdict::Deny => ("deny", String::new()),
    }
}

/// The contacts in output order that are not erased, with their output id.
fn living(plan: &Plan) -> impl Iterator<Item = (&str, &str, &Planned)> + '_ {
    plan.order.iter().filter_map(|&i| {
        let (c, p, id) = (plan.contacts.get(i)?, plan.planned.get(i)?, plan.out_ids.get(i)?);
        (!p.erased()).then_some((id.as_str(), c.email.as_str(), p))
    })
}

/// `plan.csv`: one row per contact. An erased contact keeps its id and lifecycle; every other cell is empty.
pub fn write_plan(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    let header = [
        "id",
        "email",
        "lifecycle",
        "lifecycle_since",
        "next_transition_at",
        "reactivated_at",
        "showed_intent",
        "stage",
        "readiness",
        "fit",
        "intent",
        "total",
        "segments",
        "next_sequence",
        "next_step",
        "next_channel",
        "next_due_at",
        "next_send_at",
        "email_verdict",
        "email_until",
        "cta",
        "reasons",
    ];
    write_csv(out, "plan.csv", &header, |w| {
        let mut n = 0;
        for &i in &plan.order {
            let (Some(c), Some(p), Some(id)) = (plan.contacts.get(i), plan.planned.get(i), plan.out_ids.get(i)) else {
                continue;
            };
            let l = &p.lifecycle;
            // Cells borrow what the plan already holds; only numbers, instants and joined lists are built.
            let mut row: Vec<Cow<'_, str>> =
                vec![Cow::Borrowed(id.as_str()), Cow::Borrowed(""), name(&l.state), Cow::Owned(at(l.since))];
            if !p.erased() {
                let segments: Vec<&str> = p
                    .segments
                    .iter()
                    .filter_map(|s| plan.segment_ids.get(usize::from(*s)).map(String::as_str))
                    .collect();
                let step = p.next_step.as_ref();
                let (verdict, until) = verdict(p.email);
                if let Some(cell) = row.get_mut(1) {
                    *cell = Cow::Borrowed(c.email.as_str());
                }
                row.extend([
                    Cow::Owned(at(l.next_transition_at)),
                    Cow::Owned(at(l.reactivated_at)),
                    Cow::Borrowed(flag(l.showed_intent)),
                    name(&p.stage),
                    name(&p.readiness),
                    Cow::Owned(num(p.scores.fit)),
                    Cow::Owned(num(p.scores.intent)),
                    Cow::Owned(num(p.scores.total)),
                    Cow::Owned(segments.join(";")),
                    step.map_or(Cow::Borrowed(""), |s| Cow::Borrowed(&*s.sequence)),
                    step.map_or(Cow::Borrowed(""), |s| Cow::Borrowed(&*s.step)),
                    step.map_or(Cow::Borrowed(""), |s| name(&s.channel)),
                    Cow::Owned(at(step.map(|s| s.due_at))),
                    Cow::Owned(at(step.and_then(|s| s.send_at))),
                    Cow::Borrowed(verdict),
                    Cow::Owned(until),
                    Cow::Borrowed(p.cta.as_deref().unwrap_or_default()),
                    Cow::Owned(p.reasons.join("; ")),
                ]);
            }
            row.resize(header.len(), Cow::Borrowed(""));
            w.write_record(row.iter().map(|cell| cell.as_bytes()))?;
            n += 1;
        }
        Ok(n)
    })
}

/// `segments/<id>.csv`: the members of one segment (erased contacts never).
pub fn write_segment(plan: &Plan, out: &mut OutDir, id: &str, index: usize) -> Result<(), CliError> {
    write_csv(out, &format!("segments/{id}.csv"), &["id", "email"], |w| {
        let mut n = 0;
        for (cid, email, _) in living(plan).filter(|(_, _, p)| p.segments.iter().any(|s| usize::from(*s) == index)) {
            w.write_record([cid, email])?;
            n += 1;
        }
        Ok(n)
    })
}

/// `audiences/soft_reactivation.csv` and `audiences/break_up.csv` (D6–D8): contacts in that phase whom the send
/// policy lets us email (now, or deferred to `send_at`). `showed_intent` picks who gets the "still looking?" mail.
/// With `--links`, each row also carries the contact's signed links (`links`); without, the files are unchanged.
pub fn write_audiences(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    for phase in [Phase::SoftReactivation, Phase::BreakUp] {
        let mut header =
            vec!["id", "email", "since", "next_transition_at", "showed_intent", "email_verdict", "send_at"];
        let purposes = match (&plan.links, phase) {
            (None, _) => &[][..],
            (Some(_), Phase::BreakUp) => &LINKS[..],
            (Some(_), _) => &LINKS[..2],
        };
        header.extend(purposes.iter().map(|(_, column)| *column));
        let rel = format!("audiences/{}.csv", name(&phase));
        let mut unlinked: Vec<(String, String)> = Vec::new();
        write_csv(out, &rel, &header, |w| {
            let mut n = 0;
            let members = living(plan).filter(|(_, _, p)| p.lifecycle.state == phase && p.email != EmailVerdict::Deny);
            for (id, email, p) in members {
                let (verdict, until) = verdict(p.email);
                let l = &p.lifecycle;
                let mut row: Vec<String> = vec![
                    id.into(),
                    email.into(),
                    at(l.since),
                    at(l.next_transition_at),
                    flag(l.showed_intent).into(),
                    verdict.into(),
                    until,
                ];
                if let Some(signer) = &plan.links {
                    for (purpose, _) in purposes {
                        match signer.url(*purpose, id) {
                            Ok(url) => row.push(url),
                            Err(reason) => {
                                row.push(String::new());
                                if !unlinked.iter().any(|(u, _)| u == id) {
                                    unlinked.push((id.into(), reason));
                                }
                            }
                        }
                    }
                }
                w.write_record(&row)?;
                n += 1;
            }
            Ok(n)
        })?;
        // Never a silent gap: a contact whose id cannot name a token keeps its row, with empty link cells, said here.
        for (id, reason) in &unlinked {
            eprintln!("rekindle: warning: {rel}: contact \"{}\" has no links: {reason}", crate::diagnostic::quote(id));
        }
    }
    Ok(())
}

/// The link columns of the audience CSVs with `--links`, in order; soft reactivation takes the first two, break-up
/// all three (its email is the one with the "keep me subscribed" button, D8).
const LINKS: [(Purpose, &str); 3] = [
    (Purpose::Unsubscribe, "unsubscribe_url"),
    (Purpose::Preferences, "preferences_url"),
    (Purpose::Keep, "keep_me_url"),
];

/// `audiences/break_up_unseen.csv` (with `--previous`, D8): contacts archived since the previous plan whose whole
/// break-up lay between the two runs, so no plan listed them in `break_up.csv` and the break-up message never went
/// out (`crate::plan::campaign`). Core keeps them archived (its timing is every runtime's); the list lets the
/// break-up message still go out — a reply, form, subscribe or purchase brings a contact back (design §7). Only
/// those core's send policy would mail at `--now` but for the archive (`Planned::break_up_unseen_listed`): not
/// those whose email is suppressed, lacks consent or pauses for a sales conversation.
pub fn write_unseen_break_up(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    if plan.previous_now.is_none() {
        return Ok(());
    }
    let header = ["id", "email", "break_up_from", "archived_at", "showed_intent"];
    write_csv(out, "audiences/break_up_unseen.csv", &header, |w| {
        let mut n = 0;
        let members = living(plan).filter(|(_, _, p)| p.break_up_unseen_listed());
        for (id, email, p) in members {
            let intent = flag(p.lifecycle.showed_intent);
            w.write_record([id, email, &at(p.unseen_break_up), &at(p.lifecycle.since), intent])?;
            n += 1;
        }
        Ok(n)
    })
}

/// archive.csv's consent cell for a contact no input recorded a consent of: the export carried none (HubSpot's
/// carries no dated consent: its `Legal basis for processing contact's data` property is undated and names a
/// basis, not the act of consenting, so it is no proof D9 can keep; generic CSVs carry none either) and no
/// `consent` event was folded. Written out so the archive says so instead of leaving a cell that reads as missing.
pub const NO_CONSENT_RECORD: &str = "none_recorded";

/// `archive.csv` (D9): archived contacts with their consent proof — every purpose with its state and time, and
/// the first instant known about the contact. Restrict access to it.
pub fn write_archive(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    let header = ["id", "email", "archived_at", "first_seen", "consents"];
    write_csv(out, "archive.csv", &header, |w| {
        let mut n = 0;
        for (id, email, p) in living(plan).filter(|(_, _, p)| p.lifecycle.state == Phase::Archived) {
            let consents: Vec<String> = p
                .consents
                .iter()
                .map(|c| {
                    let state = if c.granted { "granted" } else { "withdrawn" };
                    format!("{}={state}@{}", c.purpose, rfc3339(c.at.ms()))
                })
                .collect();
            // An empty cell would read as "not exported"; say that no input recorded any consent (HubSpot and
            // generic exports carry none: see NO_CONSENT_RECORD).
            let consents = if consents.is_empty() { NO_CONSENT_RECORD.to_string() } else { consents.join(";") };
            w.write_record([id, email, &at(p.lifecycle.since), &at(p.first_seen), &consents])?;
            n += 1;
        }
        Ok(n)
    })
}

/// `tombstones.csv` (D9): one salted SHA-256 per erased address (each address of an erased contact), sorted, with when it was erased, and nothing
/// else: this run's erasures and every tombstone of the previous plan (`--previous`), so the list only grows. An
/// address listed twice keeps its earliest date: a re-erased re-import was erased when the person first asked.
pub fn write_tombstones(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    use crate::plan::previous::{earliest, TOMBSTONES_FILE, TOMBSTONES_HEADER};
    let mut hashes: std::collections::BTreeMap<String, Option<Timestamp>> = std::collections::BTreeMap::new();
    // Every address of an erased contact (phone duplicates too): whichever a later export keeps stays erased.
    let erased = plan.planned.iter().enumerate().filter(|(_, p)| p.erased());
    let this_run =
        erased.flat_map(|(i, p)| plan.addresses(i).map(|email| (plan.salt.tombstone(email), p.lifecycle.since)));
    for (hash, erased_at) in this_run.chain(plan.carried_tombstones.iter().cloned()) {
        let known = hashes.entry(hash).or_insert(erased_at);
        *known = earliest(*known, erased_at);
    }
    write_csv(out, TOMBSTONES_FILE, &TOMBSTONES_HEADER, |w| {
        for (hash, erased_at) in &hashes {
            w.write_record([hash.as_str(), &at(*erased_at)])?;
        }
        Ok(hashes.len() as u64)
    })
}

/// `suppressed.csv` (D4, design §7; `crate::plan::suppressed`): salted address hash, channel, reason and since,
/// sorted, and no address: every contact's do-not-contact entries as core holds them (erased contacts' too), and
/// the previous plan's entries of addresses absent from this run, so a bounce or a complaint is never forgotten.
pub fn write_suppressed(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    use crate::plan::suppressed::{self, SuppressedList, HEADER, SUPPRESSED_FILE};
    let mut list = SuppressedList::default();
    // Under every address of the contact (phone duplicates too): the person asked, or complained, whichever
    // address a later export keeps.
    for (i, p) in plan.planned.iter().enumerate() {
        if let Some(entries) = &p.dnc {
            for email in plan.addresses(i) {
                list.insert_all(&plan.salt.tombstone(email), entries);
            }
        }
    }
    for (hash, channel, dnc) in plan.carried_suppressions.rows() {
        list.insert(hash.to_string(), channel, dnc);
    }
    write_csv(out, SUPPRESSED_FILE, &HEADER, |w| {
        let mut n = 0;
        for (hash, channel, dnc) in list.rows() {
            w.write_record([hash, channel.name(), suppressed::reason_name(dnc.reason), &suppressed::since(dnc.at)])?;
            n += 1;
        }
        Ok(n)
    })
}

/// `state.csv`: each contact's folded state (core's compact form, hex) by normalised email, its latest open,
/// click, reply and recent complaints for the report's rates, and the contacts file's `churn_reason_stated` cell
/// this run read, for the next run's `--previous` (`crate::plan::previous`). Holds profile fields and consents:
/// restrict access as for archive.csv. Erased contacts are never in it.
pub fn write_state(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    use crate::plan::previous::{STATE_FILE, STATE_HEADER};
    write_csv(out, STATE_FILE, &STATE_HEADER, |w| {
        let mut n = 0;
        let mut hex = String::new();
        for (_, email, p) in living(plan).filter(|(_, _, p)| !p.state.is_empty()) {
            hex.clear();
            hex.push_str(&crate::output::hex(&p.state));
            let e = &p.engagement;
            let complaints: Vec<String> = e.complaints().iter().map(|t| rfc3339(t.ms())).collect();
            let (open, click, reply) = (at(e.last_open), at(e.last_click), at(e.last_reply));
            let cell = p.stated_cell.as_deref().unwrap_or_default();
            w.write_record([email, hex.as_str(), &open, &click, &reply, &complaints.join(";"), cell])?;
            n += 1;
        }
        Ok(n)
    })
}

/// `deliveries.csv` (D5, `crate::plan::mailed`): per hour of the 30 days before `--now`, the marketing sends,
/// deliveries and spam complaints the complaint rate counted — this run's events and the `--previous` plan's
/// hours — for the next run's `--previous`. Counts only, hours without any left out.
pub fn write_mailed(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    use crate::plan::mailed::{HEADER, MAILED_FILE};
    write_csv(out, MAILED_FILE, &HEADER, |w| {
        let mut n = 0;
        for (until, t) in plan.mailed.hours().rows() {
            let counts = [t.sends, t.deliveries, t.complaints].map(|c| c.to_string());
            let [sends, deliveries, complaints] = &counts;
            w.write_record([rfc3339(until).as_str(), sends, deliveries, complaints])?;
            n += 1;
        }
        Ok(n)
    })
}

/// `handoff.csv` (D19): SQLs and beyond with their packet: when sales must call, where the lead came from,
/// what it did last, what it downloaded and read, and the score's top reasons.
pub fn write_handoff(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    let header = [
        "id",
        "email",
        "stage",
        "sql_at",
        "due_at",
        "overdue",
        "fit",
        "intent",
        "total",
        "utm_source",
        "utm_medium",
        "utm_campaign",
        "referrer",
        "last_interactions",
        "assets",
        "pages",
        "top_reasons",
    ];
    write_csv(out, "handoff.csv", &header, |w| {
        let mut n = 0;
        // The three list cells are built in buffers kept from row to row (one `format!` per item cost 12 string
        // allocations a row: a quarter of the writing phase at 1M contacts, 125k of them SQLs).
        let (mut interactions, mut assets, mut pages, mut reasons) =
            (String::new(), String::new(), String::new(), String::new());
        for (id, email, p) in living(plan) {
            let Some(h) = p.handoff.as_deref() else { continue };
            let src = h.source.as_ref();
            let text = |f: fn(&rekindle_core::handoff::Source) -> &Option<String>| {
                src.and_then(|s| f(s).as_deref()).unwrap_or_default()
            };
            interactions.clear();
            for i in &h.last_interactions {
                separate(&mut interactions);
                // Writing to a String cannot fail.
                let _ = write!(interactions, "{}", i.kind);
                if let Some(s) = &i.signal {
                    interactions.push(':');
                    interactions.push_str(s);
                }
                interactions.push('@');
                interactions.push_str(&rfc3339(i.at.ms()));
            }
            let seen = |out: &mut String, list: &[rekindle_core::handoff::SignalSeen]| {
                out.clear();
                for s in list {
                    separate(out);
                    out.push_str(&s.signal);
                    let _ = write!(out, "×{}", s.count);
                }
            };
            seen(&mut assets, &h.assets);
            seen(&mut pages, &h.pages);
            reasons.clear();
            for r in &h.top_reasons {
                separate(&mut reasons);
                reasons.push_str(&r.id);
                reasons.push(' ');
                reasons.push_str(&num(r.points));
            }
            w.write_record([
                id,
                email,
                &name(&p.stage),
                &rfc3339(h.sql_at.ms()),
                &rfc3339(h.due_at.ms()),
                if h.overdue { "true" } else { "false" },
                &num(h.score.fit),
                &num(h.score.intent),
                &num(h.score.total),
                text(|s| &s.utm_source),
                text(|s| &s.utm_medium),
                text(|s| &s.utm_campaign),
                text(|s| &s.referrer),
                &interactions,
                &assets,
                &pages,
                &reasons,
            ])?;
            n += 1;
        }
        Ok(n)
    })
}

/// A `;` before every item of a list cell but the first.
fn separate(cell: &mut String) {
    if !cell.is_empty() {
        cell.push(';');
    }
}

/// `rejects.csv`: every rejected row or line, where it is and why.
pub fn write_rejects(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    write_csv(out, "rejects.csv", &["file", "line", "column", "field", "code", "message"], |w| {
        let mut n = 0;
        for d in plan.diagnostics.iter().filter(|d| is_reject(d)) {
            let column = d.column.map(|c| c.to_string()).unwrap_or_default();
            let field = d.field.clone().unwrap_or_default();
            w.write_record([&d.file, &d.line.to_string(), &column, &field, d.code, &d.message])?;
            n += 1;
        }
        Ok(n)
    })
}

/// `retention.csv` (D36–D42): one row per customer (a contact with an order) who is not erased, in output order:
/// order facts, model terms, RFM scores and cell, the D36 classes, P(alive), P(return), expected purchases and
/// order value and CLV over the playbook's horizon, the churn alert's reasons and when it fired, win-back priority.
/// Written only when someone ordered.
pub fn write_retention(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    let Some(retention) = &plan.retention else { return Ok(()) };
    let header = [
        "id",
        "orders",
        "total",
        "first_order",
        "last_order",
        "frequency",
        "recency",
        "age",
        "monetary",
        "r",
        "f",
        "m",
        "rfm_cell",
        "customer_type",
        "value_tier",
        "activity",
        "p_alive",
        "p_return",
        "expected_purchases",
        "expected_order_value",
        "clv",
        "churn_reasons",
        "churn_alert_at",
        "winback_priority",
    ];
    let figures = &retention.analysis.customers;
    // Each customer's roster index, read once (customers are sorted by it): reading it again at every probe of
    // a binary search per contact cost 20M number parses at 1M contacts.
    let indices: Vec<Option<usize>> =
        figures.iter().map(|c| crate::plan::retention::index_of(&c.summary.customer)).collect();
    let by_index = |i: usize| indices.binary_search(&Some(i)).ok();
    write_csv(out, "retention.csv", &header, |w| {
        let mut n = 0;
        for &i in &plan.order {
            let (Some(p), Some(id)) = (plan.planned.get(i), plan.out_ids.get(i)) else { continue };
            let Some(c) = by_index(i).and_then(|k| figures.get(k)).filter(|_| !p.erased()) else { continue };
            let s = &c.summary;
            let opt = |v: Option<f64>| v.map(num).unwrap_or_default();
            let reasons: Vec<&str> = c.churn.iter().flat_map(|a| a.reasons.iter().map(|r| r.code())).collect();
            let scores = c.rfm.scores;
            w.write_record([
                id.clone(),
                s.orders.to_string(),
                num(s.total),
                rfc3339(s.first.ms()),
                rfc3339(s.last.ms()),
                s.history.frequency.to_string(),
                num(s.history.recency),
                num(s.history.age),
                num(s.monetary),
                scores.r.to_string(),
                scores.f.to_string(),
                scores.m.to_string(),
                c.rfm.cell.clone().unwrap_or_default(),
                (if c.returning { "returning" } else { "one_time" }).into(),
                (if c.high_value { "high" } else { "occasional" }).into(),
                (if c.active { "active" } else { "dormant" }).into(),
                opt(c.p_alive),
                opt(c.p_return),
                opt(c.expected_purchases),
                opt(c.expected_order_value),
                opt(c.clv),
                reasons.join(";"),
                at(c.churn.as_ref().map(|a| a.fired_at)),
                opt(c.winback_priority),
            ])?;
            n += 1;
        }
        Ok(n)
    })
}

/// `alerts.csv` (D41, D39): core's early-warning alerts as a work list, oldest first — the contact, the signal
/// that fired first (`kind`) and every signal that holds, why in figures, since when, the owner from the
/// contact's profile (`owner`, HubSpot's "Contact owner" or `hubspot_owner_id`; `unassigned` without one), the
/// churn reason the customer stated (`churn_reason_stated`, beside the behavioural signals) and the win-back
/// priority. Erased contacts are left out, as in `retention.csv`. Written whenever someone ordered.
pub fn write_alerts(plan: &Plan, out: &mut OutDir) -> Result<(), CliError> {
    let Some(retention) = &plan.retention else { return Ok(()) };
    let header = ["id", "kind", "signals", "why", "since", "owner", "stated_reason", "winback_priority"];
    write_csv(out, "alerts.csv", &header, |w| {
        let mut n = 0;
        for a in &retention.analysis.alert_list {
            let Some(i) = crate::plan::retention::index_of(&a.customer) else { continue };
            let (Some(p), Some(id)) = (plan.planned.get(i), plan.out_ids.get(i)) else { continue };
            if p.erased() {
                continue;
            }
            w.write_record([
                id.clone(),
                a.kind.to_string(),
                a.signals.join(";"),
                a.why.clone(),
                rfc3339(a.since.ms()),
                a.owner.clone().unwrap_or_else(|| "unassigned".into()),
                a.stated_reason.as_ref().map(|s| s.reason.clone()).unwrap_or_default(),
                a.winback_priority.map(num).unwrap_or_default(),
            ])?;
            n += 1;
        }
        Ok(n)
    })
}
