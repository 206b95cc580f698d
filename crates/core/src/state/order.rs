//! The order a fold applies one batch's events in: total over everything an event carries, so the input order
//! never matters (issue 4: "folding events in any order within the same instant gives the same state").
//!
//! Several facts are last-writer-wins within an instant (a profile field, the deal status), so two events at one
//! millisecond must never tie unless they are identical: `(at, kind, id)` ties on every pair of id-less events
//! of one kind, and such ties used to keep the caller's order. The rest of the event breaks them: the contact,
//! the machine flag, then the properties key by key with a total order on values. Events equal under this order
//! are equal events, so which of them goes first changes nothing.

use core::cmp::Ordering;

use crate::event::{Event, Scalar};

/// The fold order of two events: instant, kind, id, then contact, machine flag and properties.
pub(crate) fn fold_order(a: &Event, b: &Event) -> Ordering {
    (a.at, &a.kind, &a.id, &a.contact, a.machine).cmp(&(b.at, &b.kind, &b.id, &b.contact, b.machine)).then_with(|| {
        // Keys are sorted within each map: comparing the pairs in turn is a lexicographic order on the maps.
        let (mut x, mut y) = (a.props.iter(), b.props.iter());
        loop {
            match (x.next(), y.next()) {
                (None, None) => return Ordering::Equal,
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
                (Some((ka, va)), Some((kb, vb))) => {
                    let o = ka.cmp(kb).then_with(|| optional(va.as_ref(), vb.as_ref()));
                    if o.is_ne() {
                        return o;
                    }
                }
            }
        }
    })
}

/// An explicit `null` first, then values by [`scalar`].
fn optional(a: Option<&Scalar>, b: Option<&Scalar>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => scalar(a, b),
        _ => a.is_some().cmp(&b.is_some()),
    }
}

/// Booleans, then numbers (by `f64::total_cmp`, so `-0.0` and `0.0` differ as the bytes do), then text.
fn scalar(a: &Scalar, b: &Scalar) -> Ordering {
    let rank = |s: &Scalar| match s {
        Scalar::Bool(_) => 0u8,
        Scalar::Num(_) => 1,
        Scalar::Str(_) => 2,
    };
    match (a, b) {
        (Scalar::Bool(x), Scalar::Bool(y)) => x.cmp(y),
        (Scalar::Num(x), Scalar::Num(y)) => x.total_cmp(y),
        (Scalar::Str(x), Scalar::Str(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;
    use crate::time::Timestamp;
    use crate::vecmap::VecMap;
    use alloc::string::String;
    use alloc::vec;
    use alloc::vec::Vec;

    fn event(props: &[(&str, Option<Scalar>)]) -> Event {
        Event {
            at: Timestamp::EPOCH,
            kind: EventKind::Profile,
            id: String::new(),
            contact: String::new(),
            machine: false,
            props: props.iter().map(|(k, v)| (String::from(*k), v.clone())).collect::<VecMap<_, _>>(),
        }
    }

    #[test]
    fn id_less_events_of_one_kind_and_instant_are_ordered_by_their_properties() {
        let vp = event(&[("role", Some(Scalar::Str("vp".into())))]);
        let student = event(&[("role", Some(Scalar::Str("student".into())))]);
        assert_eq!(fold_order(&student, &vp), Ordering::Less);
        assert_eq!(fold_order(&vp, &student), Ordering::Greater);
        assert_eq!(fold_order(&vp, &vp.clone()), Ordering::Equal, "only identical events tie");
    }

    #[test]
    fn every_property_value_has_a_place() {
        let ordered: Vec<Event> = vec![
            event(&[]),
            event(&[("a", None)]),
            event(&[("a", Some(Scalar::Bool(false)))]),
            event(&[("a", Some(Scalar::Bool(true)))]),
            event(&[("a", Some(Scalar::Num(-0.0)))]),
            event(&[("a", Some(Scalar::Num(0.0)))]),
            event(&[("a", Some(Scalar::Num(2.5)))]),
            event(&[("a", Some(Scalar::Str("x".into())))]),
            event(&[("a", Some(Scalar::Str("x".into()))), ("b", None)]),
            event(&[("b", None)]),
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(fold_order(a, b), i.cmp(&j), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn contact_and_machine_flag_break_ties_before_properties() {
        let person = event(&[("z", None)]);
        let machine = Event { machine: true, ..event(&[]) };
        assert_eq!(fold_order(&person, &machine), Ordering::Less);
        let other = Event { contact: "c2".into(), ..event(&[]) };
        assert_eq!(fold_order(&machine, &other), Ordering::Less);
    }
}
