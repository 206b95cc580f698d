//! Per-contact facts for the report (`report.html`) that the folded state does not expose through core's public
//! API: the latest person open, click and reply, spam complaints in the last 30 days (D5), and when a campaign
//! started the contact's reactivation (D12); marketing sends, the complaint rate's denominator, are counted per
//! hour as events are routed (`super::mailed`, [`marketing_send`]). They are read from the same events the fold
//! sees, as they are routed to their contact, and kept as a few numbers per contact (bounded memory).
//!
//! Rules: only events at or before `--now` count (a future-stamped event has not happened yet); a window of N
//! days holds `t` when `0 ≤ now − t < N days`, as core's windows do; machine / privacy-proxy opens and link-scanner
//! clicks never count as a person's (D2); transactional sends are not marketing sends (core's send log agrees).
//!
//! Across runs (`--previous`): the latest open, click and reply and the complaints of the last 30 days are written
//! to `state.csv` beside the state and a carried contact starts from them ([`Engagement::carried`]), so a rate over
//! 90 or 180 days still sees what rolled out of the logs. Overlapping logs count nothing twice: the latest
//! instants are maxima, and complaints are a set of instants — a complaint is counted once, at its own time,
//! whether the logs repeat it, the previous plan carried it or the suppression list gave it back (folded at its
//! `since`, the complaint's instant).

use rekindle_core::{Event, EventKind, Scalar, Span, Timestamp};

/// The D5 window for the complaint rate.
pub const COMPLAINT_WINDOW_DAYS: i64 = 30;

/// What the report needs about one contact's events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Engagement {
    /// The latest person open.
    pub last_open: Option<Timestamp>,
    /// The latest person click.
    pub last_click: Option<Timestamp>,
    /// The latest reply (email or text message).
    pub last_reply: Option<Timestamp>,
    /// The instants of the spam complaints in the last 30 days, ascending, each once (most contacts: none).
    complaints: Box<[Timestamp]>,
    /// The latest `reactivation_started` (a campaign picked the contact, D11).
    pub reactivation_started: Option<Timestamp>,
}

impl Engagement {
    /// Records one event of this contact, seen at `now`.
    pub fn record(&mut self, e: &Event, now: Timestamp) {
        if e.at > now {
            return;
        }
        let latest = |slot: &mut Option<Timestamp>| *slot = Some(slot.map_or(e.at, |t| t.max(e.at)));
        let recent = e.at.is_within(Span::days(COMPLAINT_WINDOW_DAYS), now);
        match e.kind {
            EventKind::EmailOpen if !e.machine => latest(&mut self.last_open),
            EventKind::EmailClick if !e.machine => latest(&mut self.last_click),
            EventKind::EmailReply | EventKind::SmsReply => latest(&mut self.last_reply),
            EventKind::ReactivationStarted => latest(&mut self.reactivation_started),
            EventKind::SpamComplaint if recent => self.complain(e.at),
            _ => {}
        }
    }

    /// Records a complaint at `at` (in the window), once however often it is seen.
    fn complain(&mut self, at: Timestamp) {
        if let Err(place) = self.complaints.binary_search(&at) {
            let mut all = std::mem::take(&mut self.complaints).into_vec();
            all.insert(place, at);
            self.complaints = all.into_boxed_slice();
        }
    }

    /// What a previous plan knew of the contact (`state.csv`), seen at `now`: its latest open, click and reply, and
    /// the complaints of those that still lie in the 30 days before `now`.
    pub fn carried(last: [Option<Timestamp>; 3], complaints: &[Timestamp], now: Timestamp) -> Engagement {
        let [last_open, last_click, last_reply] = last.map(|t| t.filter(|t| *t <= now));
        let mut e = Engagement { last_open, last_click, last_reply, ..Engagement::default() };
        for at in complaints.iter().filter(|t| t.is_within(Span::days(COMPLAINT_WINDOW_DAYS), now)) {
            e.complain(*at);
        }
        e
    }

    /// Their instants, ascending (for `state.csv`).
    pub fn complaints(&self) -> &[Timestamp] {
        &self.complaints
    }

    /// The latest click or reply.
    pub fn last_click_or_reply(&self) -> Option<Timestamp> {
        self.last_click.max(self.last_reply)
    }

    /// The latest person open, click or reply.
    pub fn last_any(&self) -> Option<Timestamp> {
        self.last_open.max(self.last_click_or_reply())
    }
}

/// Whether `e` is a marketing email sent (an `email_sent` not marked `transactional: true`): what the complaint
/// rate is a share of.
pub fn marketing_send(e: &Event) -> bool {
    e.kind == EventKind::EmailSent && !matches!(e.props.get("transactional"), Some(Some(Scalar::Bool(true))))
}

/// Whether `t` lies in the `days`-day window ending at `now`.
pub fn within(t: Option<Timestamp>, days: i64, now: Timestamp) -> bool {
    t.is_some_and(|t| t.is_within(Span::days(days), now))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_ms(ms).unwrap_or(Timestamp::EPOCH)
    }

    fn event(kind: EventKind, ms: i64, machine: bool) -> Event {
        Event { at: at(ms), kind, id: String::new(), contact: String::new(), machine, props: Default::default() }
    }

    #[test]
    fn machine_opens_future_events_and_old_complaints_do_not_count_nor_receipts_as_sends() {
        let now = at(100 * DAY);
        let mut e = Engagement::default();
        e.record(&event(EventKind::EmailOpen, 90 * DAY, true), now);
        e.record(&event(EventKind::EmailOpen, 101 * DAY, false), now);
        e.record(&event(EventKind::SpamComplaint, 70 * DAY, false), now);
        e.record(&event(EventKind::SpamComplaint, 99 * DAY, false), now);
        assert_eq!(e.last_open, None);
        assert_eq!(e.complaints().len(), 1, "70 d ago is exactly 30 d: outside");
        let mut receipt = event(EventKind::EmailSent, 99 * DAY, false);
        assert!(marketing_send(&receipt));
        receipt.props.insert("transactional".into(), Some(Scalar::Bool(true)));
        assert!(!marketing_send(&receipt), "receipts are exempt");
        assert!(!marketing_send(&event(EventKind::EmailOpen, 99 * DAY, false)));
    }

    #[test]
    fn a_complaint_counts_once_at_its_own_time_however_often_it_is_seen_or_carried() {
        let now = at(100 * DAY);
        let carried = [Some(at(20 * DAY)), Some(at(150 * DAY)), None];
        let mut e = Engagement::carried(carried, &[at(60 * DAY), at(95 * DAY), at(99 * DAY)], now);
        assert_eq!((e.last_open, e.last_click), (Some(at(20 * DAY)), None), "a carried instant after now is not");
        assert_eq!(e.complaints(), [at(95 * DAY), at(99 * DAY)], "60 d is outside the window now");
        // The rolled-over log repeats the one of day 95 and the suppression list gives it back at its since.
        e.record(&event(EventKind::SpamComplaint, 95 * DAY, false), now);
        e.record(&event(EventKind::SpamComplaint, 95 * DAY, false), now);
        e.record(&event(EventKind::SpamComplaint, 97 * DAY, false), now);
        assert_eq!(e.complaints().len(), 3);
        assert_eq!(e.complaints(), [at(95 * DAY), at(97 * DAY), at(99 * DAY)]);
        e.record(&event(EventKind::EmailOpen, 10 * DAY, false), now);
        assert_eq!(e.last_open, Some(at(20 * DAY)), "the latest stays the latest, in either order");
    }

    #[test]
    fn latest_instants_do_not_depend_on_event_order() {
        let now = at(100 * DAY);
        let mut e = Engagement::default();
        e.record(&event(EventKind::EmailReply, 50 * DAY, false), now);
        e.record(&event(EventKind::EmailClick, 60 * DAY, false), now);
        e.record(&event(EventKind::EmailReply, 40 * DAY, false), now);
        assert_eq!(e.last_reply, Some(at(50 * DAY)));
        assert_eq!(e.last_click_or_reply(), Some(at(60 * DAY)));
        assert!(within(e.last_any(), 41, now) && !within(e.last_any(), 40, now));
    }
}
