//! Parsing the `sequences` section, every problem located by path.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Anchor, Sequence, Step, StepChannel};
use crate::error::ProblemCode;
use crate::playbook::reader::{index, Reader};
use crate::segment::condition::{parse, Scope};
use crate::state::sends::{sequence_key, step_key};
use crate::time::quote;
use crate::value::Value;

const SEQUENCE_KEYS: [&str; 6] = ["start", "stop", "reenrol_after", "inactive_stop", "steps", "description"];
const STEP_KEYS: [&str; 8] = ["id", "after", "from", "channel", "content", "when", "topic", "important"];

/// Parses `sequences`: `{ "<id>": { "start", "stop"?, "reenrol_after"?, "inactive_stop"?, "steps" } }`; a step's
/// `topic` must be one of `topics` (`policy.topics`).
pub(crate) fn parse_sequences(r: &mut Reader, v: &Value, scope: &Scope<'_>, topics: &[String]) -> Vec<Sequence> {
    let Some(o) = r.object(v, "sequences", &[]) else { return Vec::new() };
    let mut out: Vec<Sequence> = Vec::new();
    for (id, def) in o.entries() {
        let path = o.at(id);
        let id_ok = r.id(id, &path);
        let Some(d) = r.object(def, &path, &SEQUENCE_KEYS) else { continue };
        r.string_at(&d, "description");
        let start = r.required(&d, "start").and_then(|s| parse(r, s, &d.at("start"), scope));
        let mut stop = Vec::new();
        let mut stops_ok = true;
        if let Some(list) = d.get("stop").and_then(|s| r.array(s, &d.at("stop"))) {
            for (i, c) in list.iter().enumerate() {
                match parse(r, c, &index(&d.at("stop"), i), scope) {
                    Some(c) => stop.push(c),
                    None => stops_ok = false,
                }
            }
        }
        let reenrol_after = r.span_at(&d, "reenrol_after");
        let inactive_stop = r.span_at(&d, "inactive_stop");
        let steps = r.required(&d, "steps").and_then(|s| parse_steps(r, s, &d.at("steps"), (scope, topics)));
        let key = sequence_key(id);
        if let Some(other) = out.iter().find(|s| s.key == key) {
            r.key_clash(path.as_str(), &other.id);
        }
        if let (true, true, Some(start), Some(steps)) = (id_ok, stops_ok, start, steps) {
            // `rises` stays false until the playbook is whole (`Playbook::parse` marks it).
            let rises = super::Rises::default();
            out.push(Sequence { id: id.clone(), key, path, start, stop, rises, reenrol_after, inactive_stop, steps });
        }
    }
    out
}

fn parse_steps(r: &mut Reader, v: &Value, path: &str, scope: (&Scope<'_>, &[String])) -> Option<Vec<Step>> {
    let items = r.array(v, path)?;
    if items.is_empty() {
        r.problem(path, ProblemCode::OutOfRange, "a sequence needs at least one step");
        return None;
    }
    let mut steps: Vec<Step> = Vec::new();
    let mut ok = true;
    let mut seen: Vec<String> = Vec::new();
    // Every step's id, read ahead, so that a `from` naming a later step is told apart from an unknown one.
    let ids: Vec<Option<&str>> = items
        .iter()
        .map(|s| match s.get("id") {
            Some(Value::String(id)) => Some(id.as_str()),
            _ => None,
        })
        .collect();
    for (i, item) in items.iter().enumerate() {
        let at = index(path, i);
        match parse_step(r, item, &at, scope, &mut seen, (i, &ids)) {
            Some(step) => {
                if let Some(other) = steps.iter().find(|s| s.key == step.key && s.id != step.id) {
                    r.key_clash(format!("{at}.id"), &other.id);
                    ok = false;
                }
                steps.push(step);
            }
            None => ok = false,
        }
    }
    ok.then_some(steps)
}

fn parse_step(
    r: &mut Reader,
    v: &Value,
    path: &str,
    (scope, topics): (&Scope<'_>, &[String]),
    seen: &mut Vec<String>,
    (own, ids): (usize, &[Option<&str>]),
) -> Option<Step> {
    let o = r.object(v, path, &STEP_KEYS)?;
    let before = r.problems.len();
    let id = r.rule_id(&o, None, seen, "the sequence's steps");
    if o.get("id").is_none() {
        r.problem(o.at("id"), ProblemCode::MissingField, "missing required field \"id\"");
    }
    let after = r.span_at(&o, "after");
    // Absent, or not text (reported: the step is then refused below), reads as the default.
    let from = r.string_at(&o, "from").map_or(Some(Anchor::Enrolment), |name| anchor(r, &o.at("from"), name, own, ids));
    let channel = r.required_string(&o, "channel").and_then(|name| {
        let channel = StepChannel::parse(name);
        if channel.is_none() {
            r.refused(o.at("channel"), ProblemCode::OutOfRange, "email, sms, call or linkedin", name);
        }
        channel
    });
    // A task is no marketing message: it has no topic (subscription type) and is never held for "only important".
    if channel.is_some_and(|c| c.send().is_none()) {
        for key in &["topic", "important"] {
            if o.get(key).is_some() {
                r.problem(o.at(key), ProblemCode::OutOfRange, "a call or linkedin task takes no topic or important");
            }
        }
    }
    let content = r.required_string(&o, "content").and_then(|c| {
        if c.is_empty() {
            r.problem(o.at("content"), ProblemCode::OutOfRange, "expected a content reference, got an empty string");
            return None;
        }
        Some(String::from(c))
    });
    let when = o.get("when").map(|w| parse(r, w, &o.at("when"), scope));
    let topic = r.string_at(&o, "topic").map(String::from);
    if let Some(t) = topic.as_deref().filter(|t| !topics.iter().any(|k| k == t)) {
        r.refused(o.at("topic"), ProblemCode::UnknownReference, "a topic of policy.topics", t);
    }
    let important = r.boolean_at(&o, "important").unwrap_or(false);
    if r.problems.len() != before {
        return None;
    }
    let id = id?;
    Some(Step {
        key: step_key(&id),
        id,
        path: String::from(path),
        after,
        from: from?,
        channel: channel?,
        content: content?,
        when: match when {
            Some(w) => Some(w?),
            None => None,
        },
        topic,
        important,
    })
}

/// A step's `from`, resolved: the keywords `enrolment` and `previous` first (a step with either id cannot be
/// named: the keyword wins, as it did before steps could be named), else the id of an earlier step of the same
/// sequence. `own` is the step's index, `ids` every step's id in order. Naming the step itself or a later one
/// is refused: a step's due time is known only once the steps before it are sent or passed over.
fn anchor(r: &mut Reader, at: &str, name: &str, own: usize, ids: &[Option<&str>]) -> Option<Anchor> {
    match name {
        "enrolment" => return Some(Anchor::Enrolment),
        "previous" => return Some(Anchor::Previous),
        _ => {}
    }
    let found = ids.iter().position(|id| *id == Some(name));
    match found {
        Some(i) if i < own => Some(Anchor::Step(i)),
        Some(i) => {
            let which = if i == own { "the step itself" } else { "a later step" };
            let message = format!(
                "\"{}\" is {which} (steps[{i}]): from can name only an earlier step of the sequence",
                quote(name)
            );
            r.problem(at, ProblemCode::UnknownReference, message);
            None
        }
        None => {
            r.refused(at, ProblemCode::UnknownReference, "enrolment, previous or the id of an earlier step", name);
            None
        }
    }
}
