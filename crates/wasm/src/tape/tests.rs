use super::*;

// Each test runs on its own thread, so each starts with empty kept tables.

fn number(n: f64) -> Vec<u8> {
    [&[NUMBER][..], &n.to_le_bytes()[..]].concat()
}

fn keep(text: &str) -> Vec<u8> {
    [&[KEEP, text.len() as u8][..], text.as_bytes()].concat()
}

#[test]
fn short_strings_are_sent_once_then_by_index_in_later_tapes_too() {
    let first = encode(&vec!["mql", "mql"]).unwrap_or_default();
    assert_eq!(first, [&[SYNC, 0, 0, ARRAY][..], &keep("mql"), &[KEPT, 0, END]].concat());
    let second = encode(&vec!["sql", "mql"]).unwrap_or_default();
    assert_eq!(second, [&[SYNC, 1, 0, ARRAY][..], &keep("sql"), &[KEPT, 0, END]].concat());
}

#[test]
fn long_strings_are_spelled_out_every_time() {
    let long = "x".repeat(KEEP_MAX + 1);
    let tape = encode(&vec![long.as_str(), long.as_str()]).unwrap_or_default();
    let spelled = [&[STRING, long.len() as u8][..], long.as_bytes()].concat();
    assert_eq!(tape, [&[SYNC, 0, 0, ARRAY][..], &spelled, &spelled, &[END]].concat());
}

#[derive(serde::Serialize)]
struct Pair {
    stage: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage_history: Option<u8>,
}

#[test]
fn structs_are_their_values_and_a_shape_named_once() {
    let pairs = vec![Pair { stage: 1, stage_history: Some(2) }, Pair { stage: 3, stage_history: Some(4) }];
    let mut expected = vec![SYNC, 0, 0, ARRAY, STRUCT];
    expected.extend(number(1.0));
    expected.extend(number(2.0));
    expected.extend_from_slice(&[END, 1, 2]);
    expected.extend(keep("stage"));
    expected.extend(keep("stage_history"));
    expected.push(STRUCT);
    expected.extend(number(3.0));
    expected.extend(number(4.0));
    expected.extend_from_slice(&[END, 1, END]);
    assert_eq!(encode(&pairs).unwrap_or_default(), expected);

    // A field left out is another shape; its name is already kept. The first shape is kept across tapes.
    let mut expected = vec![SYNC, 2, 1, ARRAY, STRUCT];
    expected.extend(number(5.0));
    expected.extend_from_slice(&[END, 2, 1, KEPT, 0, STRUCT]);
    expected.extend(number(6.0));
    expected.extend(number(7.0));
    expected.extend_from_slice(&[END, 1, END]);
    let pairs = vec![Pair { stage: 5, stage_history: None }, Pair { stage: 6, stage_history: Some(7) }];
    assert_eq!(encode(&pairs).unwrap_or_default(), expected);
}

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Sample {
    stage: &'static str,
    valid_until: Option<i64>,
    scores: Vec<f64>,
    flag: bool,
}

#[test]
fn none_is_null_and_struct_values_nest() {
    let tape = encode(&Sample { stage: "sql", valid_until: None, scores: vec![0.5], flag: true }).unwrap_or_default();
    let mut expected = vec![SYNC, 0, 0, STRUCT];
    expected.extend(keep("sql"));
    expected.extend_from_slice(&[NULL, ARRAY]);
    expected.extend(number(0.5));
    expected.extend_from_slice(&[END, TRUE, END, 1, 4]);
    for name in ["stage", "validUntil", "scores", "flag"] {
        expected.extend(keep(name));
    }
    assert_eq!(tape, expected);
}

#[derive(serde::Serialize)]
enum Change {
    Entered { at: u8 },
    Moved(u8),
}

#[test]
fn enum_variants_are_objects_keyed_by_the_variant() {
    let tape = encode(&vec![Change::Entered { at: 1 }, Change::Moved(2)]).unwrap_or_default();
    let mut expected = vec![SYNC, 0, 0, ARRAY, OBJECT];
    expected.extend(keep("Entered"));
    expected.push(STRUCT);
    expected.extend(number(1.0));
    expected.extend_from_slice(&[END, 1, 1]);
    expected.extend(keep("at"));
    expected.extend_from_slice(&[END, OBJECT]);
    expected.extend(keep("Moved"));
    expected.extend(number(2.0));
    expected.extend_from_slice(&[END, END]);
    assert_eq!(tape, expected);
}

#[test]
fn forgetting_starts_the_tables_over() {
    let _ = encode(&vec!["a"]);
    forget();
    let tape = encode(&vec!["a"]).unwrap_or_default();
    assert_eq!(tape, [&[SYNC, 0, 0, ARRAY][..], &keep("a"), &[END]].concat());
}

struct Failing;

impl Serialize for Failing {
    fn serialize<S: ser::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(ser::Error::custom("no"))
    }
}

#[derive(serde::Serialize)]
struct HalfWritten {
    first: &'static str,
    second: Failing,
}

#[test]
fn a_failed_tape_adds_nothing_to_the_tables() {
    let _ = encode(&vec!["a"]);
    assert!(encode(&HalfWritten { first: "new", second: Failing }).is_err());
    let tape = encode(&vec!["new"]).unwrap_or_default();
    assert_eq!(tape, [&[SYNC, 1, 0, ARRAY][..], &keep("new"), &[END]].concat());
}

#[test]
fn full_tables_start_over_at_the_next_tape() {
    let many: Vec<String> = (0..STRINGS_MAX + 10).map(|i| format!("id-{i}")).collect();
    let tape = encode(&many).unwrap_or_default();
    // Past the cap a tape spells strings out; the next tape starts the tables over.
    let last = many.last().map(String::as_str).unwrap_or_default();
    assert!(tape.ends_with(&[&[STRING, last.len() as u8][..], last.as_bytes(), &[END]].concat()));
    let next = encode(&vec!["id-0"]).unwrap_or_default();
    assert_eq!(next, [&[SYNC, 0, 0, ARRAY][..], &keep("id-0"), &[END]].concat());
}
