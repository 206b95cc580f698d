//! The spam-complaint rate of the last 30 days against the bulk-sender lines (D5: Gmail and Yahoo keep
//! complaints under 0.1 % of what a bulk sender mails and refuse mail at 0.3 %). `report.html` draws it; the
//! summary, `manifest.json` and a stderr line say it too, so a scheduled run that nobody opens the report of
//! still raises it.
//!
//! With `--previous`, what happened up to the previous plan's `--now` is counted from its `deliveries.csv` and
//! what came after from this run's events (`crate::plan::mailed`): the logs that rolled over since still count,
//! and nothing counts twice. `fromPrevious` says how much of each count came from that file.

use crate::plan::Plan;

/// Warn at 0.1 % of what was mailed.
pub const WARN_RATE: f64 = 0.001;
/// Alarm at 0.3 %.
pub const ALARM_RATE: f64 = 0.003;

/// Where the rate stands against the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No marketing sends or deliveries in the window: no rate.
    NoMail,
    /// Below 0.1 %.
    Ok,
    /// At or above 0.1 %.
    Warning,
    /// At or above 0.3 %.
    Alarm,
}

/// The rate and what it is made of.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplaintRate {
    /// Spam complaints in the 30 days before `--now`, every contact's (erased ones included), each once.
    pub complaints: u64,
    /// Marketing sends folded in the window.
    pub sends: u64,
    /// Deliveries the webhook logs report in the window.
    pub deliveries: u64,
    /// Complaints over the larger of sends and deliveries (ESP logs hold deliveries, not sends; taking the larger
    /// never counts one message twice); 0 with nothing mailed.
    pub rate: f64,
    /// Against the lines.
    pub status: Status,
    /// The part of the counts above taken from the `--previous` plan's `deliveries.csv`: what happened in the
    /// window up to its `--now` (absent without `--previous`, or with a plan from before the file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_previous: Option<FromPrevious>,
}

/// The counts a complaint rate took from the previous plan.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FromPrevious {
    /// The previous plan's `--now` (epoch ms): its counts are of what happened up to it.
    pub previous_now: i64,
    /// Spam complaints.
    pub complaints: u64,
    /// Marketing sends.
    pub sends: u64,
    /// Deliveries.
    pub deliveries: u64,
}

impl ComplaintRate {
    /// From counts.
    pub fn new(complaints: u64, sends: u64, deliveries: u64) -> ComplaintRate {
        let mailed = sends.max(deliveries);
        let rate = if mailed == 0 { 0.0 } else { complaints as f64 / mailed as f64 };
        let status = match mailed {
            0 => Status::NoMail,
            _ if rate >= ALARM_RATE => Status::Alarm,
            _ if rate >= WARN_RATE => Status::Warning,
            _ => Status::Ok,
        };
        ComplaintRate { complaints, sends, deliveries, rate, status, from_previous: None }
    }

    /// The plan's: its events' and the `--previous` plan's counts (`crate::plan::mailed`).
    pub fn of(plan: &Plan) -> ComplaintRate {
        let total = plan.mailed.total();
        let from_previous = plan.mailed.previous_counts().map(|(until, t)| FromPrevious {
            previous_now: until.ms(),
            complaints: t.complaints,
            sends: t.sends,
            deliveries: t.deliveries,
        });
        ComplaintRate { from_previous, ..ComplaintRate::new(total.complaints, total.sends, total.deliveries) }
    }

    /// The stderr line for a rate at or above a line.
    pub fn warning(&self) -> Option<String> {
        let line = match self.status {
            Status::Alarm => "alarm: at or above the 0.3 % line mailbox providers refuse bulk mail at",
            Status::Warning => "warning: at or above the 0.1 % line",
            Status::Ok | Status::NoMail => return None,
        };
        Some(format!(
            "rekindle: {line}: spam-complaint rate {:.2} % in the 30 days before --now ({} complaint(s) over {} \
             mailed, D5); slow down and mail engaged contacts only (see report.html)",
            self.rate * 100.0,
            self.complaints,
            self.sends.max(self.deliveries)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lines_are_inclusive_and_nothing_mailed_has_no_rate() {
        assert_eq!(ComplaintRate::new(0, 0, 0).status, Status::NoMail);
        assert_eq!(ComplaintRate::new(3, 0, 0).status, Status::NoMail);
        assert_eq!(ComplaintRate::new(0, 1000, 0).status, Status::Ok);
        assert_eq!(ComplaintRate::new(1, 1001, 0).status, Status::Ok);
        assert_eq!(ComplaintRate::new(1, 1000, 0).status, Status::Warning);
        assert_eq!(ComplaintRate::new(2, 1000, 0).status, Status::Warning);
        assert_eq!(ComplaintRate::new(3, 1000, 0).status, Status::Alarm);
        // The larger of sends and deliveries.
        assert_eq!(ComplaintRate::new(3, 10, 1000).status, Status::Alarm);
        assert_eq!(ComplaintRate::new(3, 10, 10_000).status, Status::Ok);
        assert!(ComplaintRate::new(1, 1001, 0).warning().is_none());
        assert!(ComplaintRate::new(3, 1000, 0).warning().is_some_and(|w| w.contains("0.30 %")));
    }
}
