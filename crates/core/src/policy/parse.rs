//! Reading the `policy` section of a playbook (docs/playbook.md § policy) into a [`Policy`].

use alloc::string::String;

use super::{Cap, Policy};
use crate::error::ProblemCode;
use crate::nurture::StepChannel;
use crate::playbook::reader::{index, Reader};
use crate::suppression::Channel;
use crate::value::Value;
use crate::zone::{LocalTime, LocalWindow, Zone};

/// Parses the `policy` section.
pub(crate) fn parse_policy(r: &mut Reader, v: &Value) -> Policy {
    let mut policy = Policy::default();
    let keys = [
        "caps",
        "quiet_hours",
        "timezone_field",
        "default_timezone",
        "consent",
        "stop_during_sales",
        "topics",
        "topics_opt_in",
    ];
    let Some(o) = r.object(v, "policy", &keys) else { return policy };
    if let Some(list) = o.get("caps").and_then(|c| r.array(c, &o.at("caps"))) {
        for (i, item) in list.iter().enumerate() {
            let path = index(&o.at("caps"), i);
            let Some(c) = r.object(item, &path, &["channel", "max", "per"]) else { continue };
            let channel = r.required_string(&c, "channel").and_then(|name| match (name, Channel::parse(name)) {
                ("any", _) => Some(None),
                (_, Some(ch)) => Some(Some(ch)),
                (other, None) => {
                    r.refused(c.at("channel"), ProblemCode::OutOfRange, "email, sms or any", other);
                    None
                }
            });
            // A cap counts its sends exactly, and the state keeps at most MAX_EXACT (32) of them.
            let max =
                r.required(&c, "max").and_then(|m| r.count_in(m, &c.at("max"), 1, crate::state::track::MAX_EXACT));
            let per = r.required(&c, "per").and_then(|p| r.span(p, &c.at("per")));
            if let (Some(channel), Some(max), Some(per)) = (channel, max, per) {
                policy.caps.push(Cap { path, channel, max, per });
            }
        }
    }
    if let Some(q) = r.string_at(&o, "quiet_hours") {
        match LocalWindow::parse(q) {
            // Quiet all day is never sending: a deferral that never ends. Do-not-contact says that.
            Ok(w) if w.from() == LocalTime::MIDNIGHT && w.to() == LocalTime::END_OF_DAY => r.problem(
                o.at("quiet_hours"),
                ProblemCode::OutOfRange,
                "quiet hours cannot cover the whole day (00:00-24:00): to stop sending on a channel, record \
                 do-not-contact (an unsubscribe event)",
            ),
            Ok(w) => policy.quiet_hours = Some(w),
            Err(msg) => r.problem(o.at("quiet_hours"), ProblemCode::OutOfRange, msg),
        }
    }
    if let Some(f) = r.string_at(&o, "timezone_field") {
        policy.timezone_field = String::from(f);
    }
    if let Some(z) = r.string_at(&o, "default_timezone") {
        match Zone::parse(z) {
            Ok(zone) => policy.default_zone = zone,
            Err(msg) => r.problem(o.at("default_timezone"), ProblemCode::OutOfRange, msg),
        }
    }
    if let Some(c) = o.get("consent").and_then(|c| r.object(c, &o.at("consent"), &StepChannel::NAMES)) {
        for (name, slot) in StepChannel::NAMES.iter().zip(policy.consent.iter_mut()) {
            let Some(v) = c.get(name) else { continue };
            let purpose = match v {
                Value::Null => Some(None),
                other => r.string(other, &c.at(name)).and_then(|s| {
                    // A consent event's purpose is 1–64 characters (event/read.rs): another could never be granted.
                    if s.is_empty() || s.len() > 64 {
                        r.refused(c.at(name), ProblemCode::OutOfRange, "a purpose of 1 to 64 characters, or null", s);
                        return None;
                    }
                    Some(Some(String::from(s)))
                }),
            };
            if let Some(purpose) = purpose {
                *slot = purpose;
            }
        }
    }
    if let Some(b) = r.boolean_at(&o, "stop_during_sales") {
        policy.stop_during_sales = b;
    }
    // `{ "<id>": "<label>" }`: an object, so a topic named twice is a repeated key.
    if let Some(t) = o.get("topics").and_then(|t| r.object(t, &o.at("topics"), &[])) {
        for (id, label) in t.entries() {
            let path = t.at(id);
            if r.id(id, &path) {
                if let Some(label) = r.string(label, &path) {
                    policy.topics.push(id.clone());
                    policy.topic_labels.push(String::from(label));
                }
            }
        }
    }
    if let Some(b) = r.boolean_at(&o, "topics_opt_in") {
        policy.topics_opt_in = b;
    }
    policy
}
