//! The fit score a fold computed, kept with the state while its profile is unchanged.
//!
//! Fit reads the profile alone (unless a rule compares a date with now, and then it is never kept), and the
//! profile changes only with a `profile` event; but a contact folded one event at a time (a tracker, a webhook,
//! `engine.contact()`) started every fold without it, and matching the rules' text fields was a fifth of the saas
//! example's per-event fold. Keyed by the playbook instance that computed it, so another playbook recomputes.
//! Not part of the state's bytes or of its equality: a derived value, never a fact.

use core::fmt;

use crate::playbook::Playbook;

/// `(playbook instance, fit score)`, or nothing.
#[derive(Clone, Copy, Default)]
pub(crate) struct FitMemo(Option<(u64, f64)>);

impl FitMemo {
    /// The score, when `playbook` computed it for this profile.
    pub(crate) fn get(&self, playbook: &Playbook) -> Option<f64> {
        self.0.filter(|(id, _)| *id == playbook.instance.0).map(|(_, score)| score)
    }

    pub(crate) fn set(&mut self, playbook: &Playbook, score: f64) {
        self.0 = Some((playbook.instance.0, score));
    }

    pub(crate) fn clear(&mut self) {
        self.0 = None;
    }
}

/// Equal whatever they hold: two states with the same facts are equal, computed or not.
impl PartialEq for FitMemo {
    fn eq(&self, _: &FitMemo) -> bool {
        true
    }
}

impl fmt::Debug for FitMemo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FitMemo")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use alloc::format;

    use crate::{decide, ContactState, Event, Playbook, Timestamp, Value};

    const D: i64 = 86_400_000;
    const T0: i64 = 1_764_547_200_000;

    fn playbook(rules: &str) -> Playbook {
        let text = format!(r#"{{ "version": 1, "signals": {{}}, "scores": {{ "fit": {{ "rules": [ {rules} ] }} }} }}"#);
        Playbook::parse(&serde_json::from_str::<Value>(&text).unwrap()).unwrap()
    }

    fn event(at: i64, kind: &str, props: &str) -> Event {
        let text = format!(r#"{{ "at": {at}, "kind": "{kind}", "props": {{ {props} }} }}"#);
        Event::parse(&serde_json::from_str::<Value>(&text).unwrap(), "e").unwrap()
    }

    fn fit(pb: &Playbook, s: &ContactState, at: i64) -> f64 {
        decide(pb, s, Timestamp::from_ms(at).unwrap()).scores.fit
    }

    const ROLE: &str = r#"{ "id": "boss", "field": "role", "op": "eq", "value": "CEO", "points": 20 }"#;

    #[test]
    fn a_profile_event_replaces_the_kept_score() {
        let pb = playbook(ROLE);
        let mut s = ContactState::new();
        s.fold(&pb, &[event(T0, "profile", r#""role": "CEO""#)]);
        s.fold(&pb, &[event(T0 + 1, "page_view", "")]);
        assert_eq!(s.fit_memo.get(&pb), Some(20.0), "kept from the first fold to the next");
        assert_eq!(fit(&pb, &s, T0 + 2), 20.0);
        s.fold(&pb, &[event(T0 + 3, "profile", r#""role": "Intern""#)]);
        assert_eq!((s.fit_memo.get(&pb), fit(&pb, &s, T0 + 4)), (Some(0.0), 0.0));
        s.fold(&pb, &[event(T0 + 5, "profile", r#""role": null"#)]);
        assert_eq!(fit(&pb, &s, T0 + 6), 0.0);
    }

    #[test]
    fn another_playbook_never_reads_the_score_one_playbook_kept() {
        let a = playbook(ROLE);
        let b = playbook(r#"{ "id": "boss", "field": "role", "op": "eq", "value": "CEO", "points": 5 }"#);
        let mut s = ContactState::new();
        s.fold(&a, &[event(T0, "profile", r#""role": "CEO""#)]);
        assert_eq!((fit(&a, &s, T0), fit(&b, &s, T0)), (20.0, 5.0));
        // A playbook read back from its compiled form is another instance, with the same answer.
        let again = Playbook::from_compiled(&a.to_compiled()).unwrap();
        assert_eq!(again, a);
        assert_eq!((s.fit_memo.get(&again), fit(&again, &s, T0)), (None, 20.0));
        s.fold(&b, &[event(T0 + 1, "page_view", "")]);
        assert_eq!((s.fit_memo.get(&b), s.fit_memo.get(&a)), (Some(5.0), None));
    }

    #[test]
    fn a_score_that_reads_now_is_never_kept() {
        let pb = playbook(r#"{ "id": "new", "field": "signed_up", "op": "within_last", "value": "7d", "points": 10 }"#);
        let mut s = ContactState::new();
        s.fold(&pb, &[event(T0, "profile", &format!(r#""signed_up": {T0}"#))]);
        s.fold(&pb, &[event(T0 + D, "page_view", "")]);
        assert_eq!(s.fit_memo.get(&pb), None);
        assert_eq!((fit(&pb, &s, T0 + D), fit(&pb, &s, T0 + 8 * D)), (10.0, 0.0));
    }

    #[test]
    fn states_equal_in_facts_are_equal_with_or_without_the_kept_score() {
        let pb = playbook(ROLE);
        let mut s = ContactState::new();
        s.fold(&pb, &[event(T0, "profile", r#""role": "CEO""#)]);
        let read = ContactState::from_bytes(&s.to_bytes()).unwrap();
        assert_eq!((read.fit_memo.get(&pb), s.fit_memo.get(&pb)), (None, Some(20.0)));
        assert_eq!(read, s);
    }
}
