#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{checksum, Playbook, MAGIC, RELEASE};
use crate::error::{Error, ProblemCode};
use crate::value::Value;

const EXAMPLES: [(&str, &str); 3] = [
    ("saas", include_str!("../../../../../examples/playbooks/saas.json")),
    ("ecommerce", include_str!("../../../../../examples/playbooks/ecommerce.json")),
    ("reengagement", include_str!("../../../../../examples/playbooks/reengagement.json")),
];

fn example(text: &str) -> Playbook {
    Playbook::parse(&serde_json::from_str::<Value>(text).unwrap()).unwrap()
}

/// The one `bad_compiled` problem's message, or a failure naming what came instead.
fn refusal(bytes: &[u8]) -> String {
    match Playbook::from_compiled(bytes) {
        Err(Error::InvalidPlaybook { problems }) => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].code, ProblemCode::BadCompiled);
            assert_eq!(problems[0].path, "");
            problems[0].message.clone()
        }
        other => panic!("expected a bad_compiled refusal, got {other:?}"),
    }
}

/// `body` (after the magic) sealed with a correct checksum, so the decoder itself must judge it.
fn sealed(body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::from(&MAGIC[..]);
    bytes.extend_from_slice(body);
    let sum = checksum(&bytes);
    bytes.extend_from_slice(&sum.to_le_bytes());
    bytes
}

#[test]
fn every_example_playbook_reads_back_equal() {
    for (name, text) in EXAMPLES {
        let pb = example(text);
        let bytes = pb.to_compiled();
        assert_eq!(Playbook::from_compiled(&bytes).as_ref(), Ok(&pb), "{name}");
        // Deterministic: compiling the read-back playbook gives the same bytes.
        assert_eq!(Playbook::from_compiled(&bytes).unwrap().to_compiled(), bytes, "{name}");
        assert!(bytes.len() < text.len(), "{name}: {} compiled bytes for {} JSON bytes", bytes.len(), text.len());
    }
}

#[test]
fn every_truncation_is_refused() {
    let bytes = example(EXAMPLES[0].1).to_compiled();
    for len in 0..bytes.len() {
        refusal(&bytes[..len]);
    }
}

#[test]
fn every_damaged_byte_is_refused_by_the_checksum_or_the_decoder() {
    let bytes = example(EXAMPLES[1].1).to_compiled();
    for i in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut damaged = bytes.clone();
            damaged[i] ^= bit;
            refusal(&damaged);
        }
    }
}

#[test]
fn a_damaged_body_with_a_valid_checksum_never_panics() {
    // Every single-byte change after the envelope, re-sealed: the decoder alone must answer, Ok or a refusal.
    let bytes = example(EXAMPLES[2].1).to_compiled();
    let body = &bytes[MAGIC.len()..bytes.len() - 4];
    let header = 1 + 1 + RELEASE.len();
    for i in header..body.len() {
        for value in [0x00u8, 0x01, 0x7f, 0x80, 0xff] {
            let mut changed = body.to_vec();
            changed[i] = value;
            if let Err(e) = Playbook::from_compiled(&sealed(&changed)) {
                assert_eq!(e.code(), crate::error::ErrorCode::PlaybookInvalid);
            }
        }
    }
}

#[test]
fn a_number_that_is_not_finite_is_refused_though_the_checksum_matches() {
    // tests/mutated_bytes.rs found it: a 0x7f byte in a number made it NaN; the playbook read, scored a profile
    // to NaN and folded it into state bytes that no reader accepts. The JSON reader refuses such numbers.
    let bytes = example(EXAMPLES[0].1).to_compiled();
    let body = &bytes[MAGIC.len()..bytes.len() - 4];
    let header = 1 + 1 + RELEASE.len();
    let numbers: Vec<usize> =
        (header..body.len() - 8).filter(|&i| f64::from_le_bytes(body[i..i + 8].try_into().unwrap()) == 15.0).collect();
    assert!(!numbers.is_empty(), "the saas playbook holds a 15");
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut changed = body.to_vec();
        changed[numbers[0]..numbers[0] + 8].copy_from_slice(&bad.to_le_bytes());
        let message = refusal(&sealed(&changed));
        let at = MAGIC.len() + numbers[0];
        assert_eq!(
            message,
            alloc::format!("compiled playbook, byte {at}: a number that is not finite (NaN or an infinity)")
        );
    }
}

#[test]
fn points_and_caps_the_json_reader_refuses_are_refused() {
    // Beyond ±1,000,000 points add up to an infinity: a state holding one writes bytes no reader accepts.
    let pb = example(EXAMPLES[0].1);
    type Edit = fn(&mut Playbook, f64);
    let edits: [(&str, Edit); 3] = [
        ("intent points", |p, n| p.intent.rules[0].points = n),
        ("intent cap", |p, n| p.intent.rules[0].cap = Some(n)),
        ("fit points", |p, n| p.fit.rules[0].points = n),
    ];
    for (what, edit) in edits {
        let mut edge = pb.clone();
        edit(&mut edge, -1_000_000.0);
        assert_eq!(Playbook::from_compiled(&edge.to_compiled()).as_ref(), Ok(&edge), "{what}");
        let mut beyond = pb.clone();
        edit(&mut beyond, 1_000_000.5);
        let message = refusal(&beyond.to_compiled());
        assert!(message.ends_with("points outside -1000000 to 1000000"), "{what}: {message}");
    }
}

#[test]
fn json_is_refused_with_how_to_compile_it() {
    let message = refusal(EXAMPLES[0].1.as_bytes());
    assert!(message.contains("this is JSON: compile it first"), "{message}");
    assert!(refusal(b"garbage").contains("not a compiled rekindle playbook"));
    assert!(refusal(b"").contains("not a compiled rekindle playbook"));
}

#[test]
fn another_release_is_refused_with_its_version() {
    let mut body = Vec::from([super::FORMAT]);
    let other = "0.0.1-other";
    body.push(other.len() as u8);
    body.extend_from_slice(other.as_bytes());
    let message = refusal(&sealed(&body));
    assert!(message.contains("compiled by rekindle 0.0.1-other"), "{message}");
    assert!(message.contains(&alloc::format!("this is rekindle {RELEASE}")), "{message}");
    let message = refusal(&sealed(&[9]));
    assert!(message.contains("envelope format 9"), "{message}");
}

#[test]
fn trailing_bytes_and_hostile_lengths_are_refused_with_their_offset() {
    let bytes = example(EXAMPLES[0].1).to_compiled();
    let mut body = bytes[MAGIC.len()..bytes.len() - 4].to_vec();
    body.push(0);
    let message = refusal(&sealed(&body));
    assert!(message.contains("1 unexpected trailing bytes"), "{message}");
    assert!(message.contains(&alloc::format!("byte {}", bytes.len() - 4)), "{message}");

    // A list claiming 2^40 items right after the header: refused before anything is reserved.
    let mut body = Vec::from([super::FORMAT, RELEASE.len() as u8]);
    body.extend_from_slice(RELEASE.as_bytes());
    body.extend_from_slice(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    let message = refusal(&sealed(&body));
    assert!(message.contains("a list longer than the bytes left"), "{message}");
    assert!(message.to_string().starts_with("compiled playbook, byte "), "{message}");
}

#[test]
fn segments_in_a_loop_are_refused_though_each_decodes() {
    // The JSON reader refuses a loop; bytes carrying one (hand-made, or damaged and re-sealed) must be refused
    // too, or evaluating a segment would recurse until the stack runs out.
    let text = r#"{"version": 1, "signals": {"v": {"kind": "page_view"}},
        "segments": {"a": {"when": {"segment": "b"}}, "b": {"when": {"ever": "v"}}}}"#;
    let mut pb = example(text);
    pb.segments[1].when = crate::segment::condition::Cond::Segment { path: String::from("segments.b.when"), index: 0 };
    let message = refusal(&pb.to_compiled());
    assert!(message.contains("segments refer to each other in a loop"), "{message}");
}

#[test]
fn a_step_timed_from_itself_or_a_later_step_is_refused_though_it_decodes() {
    // The JSON reader resolves `from` to an earlier step's index; bytes naming the step itself or a later one
    // (hand-made, or damaged and re-sealed) would leave the step with no instant to count from.
    use crate::nurture::Anchor;
    let text = r#"{"version": 1, "signals": {"v": {"kind": "page_view"}}, "sequences": {"s": {
        "start": {"ever": "v"}, "steps": [{"id": "a", "channel": "email", "content": "a"},
        {"id": "b", "from": "a", "after": "1d", "channel": "email", "content": "b"}]}}}"#;
    let pb = example(text);
    assert_eq!(pb.sequences[0].steps[1].from, Anchor::Step(0));
    assert_eq!(Playbook::from_compiled(&pb.to_compiled()).as_ref(), Ok(&pb));
    for (step, index) in [(1, 1), (1, 2), (0, 0)] {
        let mut bad = pb.clone();
        bad.sequences[0].steps[step].from = Anchor::Step(index);
        let message = refusal(&bad.to_compiled());
        assert!(message.contains("a sequence step is timed from itself or a later step"), "{message}");
    }
}

#[test]
fn the_first_defect_is_the_one_named_and_reads_past_it_answer_placeholders() {
    use super::{Compiled, Defect, In};
    // A list of three bools: true, a byte that is no bool, then a varint that would overflow.
    let bytes = [3u8, 1, 7, 0xff, 0xff];
    let mut r = In { bytes: &bytes, at: 0, depth: 0, defect: None };
    assert_eq!(Vec::<bool>::get(&mut r), [true, false, false]);
    assert_eq!(r.defect, Some(Defect { at: 2, what: "a bool that is neither 0 nor 1" }));
    assert_eq!(r.at, bytes.len(), "skipped to the end");
    // Past a defect every read is a placeholder and records nothing new.
    assert_eq!((String::get(&mut r), u32::get(&mut r), Option::<u8>::get(&mut r)), (String::new(), 0, None));
    assert_eq!(r.defect.map(|d| d.at), Some(2));
}

#[test]
fn a_condition_nested_past_the_limit_is_refused_and_the_reading_ends() {
    use super::{Compiled, In, MAX_DEPTH};
    use crate::segment::condition::Cond;
    // `not` (tag 2, an empty path) inside `not` … 50 levels past the limit: the reader records the nesting and
    // the placeholder below it (the first variant, `all` of nothing) ends the recursion.
    let bytes: Vec<u8> = [2u8, 0].repeat(MAX_DEPTH as usize + 50);
    let mut r = In { bytes: &bytes, at: 0, depth: 0, defect: None };
    let _ = Cond::get(&mut r);
    let defect = r.defect.expect("refused");
    assert_eq!(defect.what, "nested deeper than the decoder follows");
    // The outermost `not` is read at depth 0 and each operand box one deeper: box 101 is entered after 101 `not`s.
    assert_eq!(defect.at, 2 * (MAX_DEPTH as usize + 1), "at the first level past the limit");
}
