//! YAML playbooks as rekindle reads them: JSON's meaning, and every YAML surprise refused with its place.
use super::*;

fn value(text: &str) -> Value {
    match parse(text) {
        Ok(doc) => doc.value(),
        Err(problems) => panic!("{text:?} refused: {problems:?}"),
    }
}

fn refused(text: &str) -> Vec<Problem> {
    match parse(text) {
        Ok(doc) => panic!("{text:?} read as {:?}", doc.value()),
        Err(problems) => problems,
    }
}

fn one(text: &str) -> Value {
    match value(&format!("v: {text}\n")) {
        Value::Object(mut entries) if entries.len() == 1 => entries.remove(0).1,
        other => panic!("{other:?}"),
    }
}

fn example(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/playbooks").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn saas_yaml_is_saas_json() {
    let json: Value = serde_json::from_str(&example("saas.json")).expect("saas.json");
    let yaml = value(&example("saas.yaml"));
    if let (Value::Object(j), Value::Object(y)) = (&json, &yaml) {
        for ((jk, jv), (yk, yv)) in j.iter().zip(y) {
            assert_eq!((jk, jv), (yk, yv), "the first section that differs");
        }
    }
    assert_eq!(yaml, json);
    let parsed = |v: &Value| rekindle_core::Playbook::parse(v).expect("a valid playbook");
    assert!(parsed(&yaml) == parsed(&json));
}

#[test]
fn yes_no_on_off_stay_text_and_only_true_false_are_booleans() {
    for text in ["NO", "no", "No", "yes", "YES", "on", "On", "off", "OFF", "y", "n", "Y", "N"] {
        assert_eq!(one(text), Value::String(text.into()), "{text}");
    }
    for (text, b) in [("true", true), ("True", true), ("TRUE", true), ("false", false), ("False", false)] {
        assert_eq!(one(text), Value::Bool(b), "{text}");
    }
    let countries = value("value: [PL, NO, SE]\n");
    let expected = Value::Array(["PL", "NO", "SE"].iter().map(|c| Value::String((*c).into())).collect());
    assert_eq!(countries.get("value"), Some(&expected));
    assert_eq!(value("on: intent\n").get("on"), Some(&Value::String("intent".into())), "`on` is a key");
}

#[test]
fn clock_times_and_dates_stay_the_text_written() {
    for text in ["22:00-07:00", "22:00", "09:00", "1:30", "190:20:30", "2026-11-26", "2026-11-26T12:00:00Z"] {
        assert_eq!(one(text), Value::String(text.into()), "{text}");
    }
    assert_eq!(one("1_000"), Value::String("1_000".into()), "YAML 1.1's digit groups are text in 1.2");
}

#[test]
fn numbers_mean_what_json_means() {
    for text in ["15", "-40", "0", "0.25", "-2.5", "1e3", "1E+3", "2.5e-3", "12345678901234567890", "1.0"] {
        let json: Value = serde_json::from_str(text).expect("JSON number");
        assert_eq!(one(text), json, "{text}");
    }
    // YAML 1.2 numbers JSON spells otherwise.
    assert_eq!(one(".5"), Value::Number(0.5));
    assert_eq!(one("+5"), Value::Number(5.0));
    assert_eq!(one("1."), Value::Number(1.0));
    // Quoted, anything is text.
    for text in ["\"007\"", "'1e3'", "\"true\"", "'NO'", "\"22:00\""] {
        let inner = text.trim_matches(['"', '\'']);
        assert_eq!(one(text), Value::String(inner.into()), "{text}");
    }
    for text in ["~", "null", "NULL", ""] {
        assert_eq!(one(text), Value::Null, "{text:?}");
    }
}

#[test]
fn what_json_cannot_hold_is_refused_with_its_place() {
    for (text, says) in [
        (".inf", "infinity"),
        ("-.Inf", "infinity"),
        ("+.INF", "infinity"),
        (".nan", "not a number"),
        (".NaN", "not a number"),
        ("1e999", "too large"),
        ("-1e400", "too large"),
        ("0x1F", "hexadecimal or octal"),
        ("0o17", "hexadecimal or octal"),
        ("017", "write 17, or quote it for text (\"017\")"),
        ("-007", "write -7,"),
        ("00.5", "write 0.5,"),
    ] {
        let problems = refused(&format!("a: 1\nv: {text}\n"));
        assert_eq!(problems.len(), 1, "{text}: {problems:?}");
        assert_eq!(problems[0].at, Mark { line: 2, column: 4 }, "{text}");
        assert!(problems[0].reason.contains(says), "{text}: {}", problems[0].reason);
    }
}

#[test]
fn a_repeated_key_is_refused_naming_both_places() {
    let problems = refused("signals:\n  a: 1\n  b: 2\n  a: 3\nsignals: {}\n");
    let places: Vec<Mark> = problems.iter().map(|p| p.at).collect();
    assert_eq!(places, [Mark { line: 4, column: 3 }, Mark { line: 5, column: 1 }]);
    assert!(problems[0].reason.contains("\"a\" appears twice") && problems[0].reason.contains("line 2, column 3"));
    assert!(problems[1].reason.contains("line 1, column 1"), "{}", problems[1].reason);
    let flow = refused("v: { a: 1, a: 1 }\n");
    assert_eq!(flow.len(), 1);
    assert!(flow[0].reason.contains("line 1, column 6"), "{}", flow[0].reason);
}

#[test]
fn keys_are_text_only() {
    for (text, says) in [
        ("7: a\n", "got a number (7): quote it (\"7\")"),
        ("true: a\n", "got a boolean (true)"),
        ("~: a\n", "got null (~)"),
        (": a\n", "got nothing"),
        ("? [a, b]\n: c\n", "got a list"),
        ("? {a: 1}\n: c\n", "got a mapping"),
        ("<<: {a: 1}\n", "merge keys"),
    ] {
        let problems = refused(text);
        assert_eq!(problems.len(), 1, "{text}: {problems:?}");
        assert!(problems[0].reason.contains(says), "{text}: {}", problems[0].reason);
    }
    let quoted = value("\"7\": a\n'true': b\n");
    assert_eq!(quoted.get("7"), Some(&Value::String("a".into())));
    assert_eq!(quoted.get("true"), Some(&Value::String("b".into())));
}

#[test]
fn tags_are_refused() {
    for (text, tag) in [
        ("v: !!binary aGVsbG8=\n", "!!binary"),
        ("v: !!str 7\n", "!!str"),
        ("v: !custom 1\n", "!custom"),
        ("v: !!map {a: 1}\n", "!!map"),
        ("v: !seq [1]\n", "!seq"),
        ("%TAG !e! tag:example.com,2000:\n---\nv: !e!x 1\n", "tag:example.com,2000:x"),
    ] {
        let problems = refused(text);
        assert_eq!(problems.len(), 1, "{text}: {problems:?}");
        assert!(problems[0].reason.contains(&format!("the tag {tag} is not read")), "{}", problems[0].reason);
    }
}

#[test]
fn one_document_per_file() {
    let problems = refused("a: 1\n---\nb: 2\n");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].at, Mark { line: 2, column: 1 });
    assert!(problems[0].reason.contains("a second YAML document"));
    assert_eq!(refused("---\na: 1\n...\n---\na: 1\n")[0].at.line, 4);
    assert_eq!(value("---\na: 1\n...\n"), value("a: 1"), "one document may be marked");
    for empty in ["", "# only a comment\n", "---\n...\n"] {
        let problems = parse(empty).map(|d| d.value());
        match (empty, problems) {
            ("---\n...\n", Ok(v)) => assert_eq!(v, Value::Null, "an explicit empty document is null"),
            (_, Err(p)) => assert!(p[0].reason.contains("no YAML document"), "{empty:?}: {p:?}"),
            (_, Ok(v)) => panic!("{empty:?} read as {v:?}"),
        }
    }
}

#[test]
fn aliases_repeat_values_but_a_billion_laughs_is_refused_unexpanded() {
    let doc = value("a: &x { id: one, points: [1, 2] }\nb: *x\nc: [*x, *x]\n");
    let x = doc.get("a").cloned();
    assert!(x.is_some());
    assert_eq!(doc.get("b").cloned(), x);
    assert_eq!(doc.get("c"), Some(&Value::Array(vec![x.clone().unwrap_or(Value::Null); 2])));

    let mut laughs = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        laughs.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    let problems = refused(&laughs);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].reason.contains("billion laughs"), "{}", problems[0].reason);
    assert_eq!(problems[0].at.line, 5, "refused at the alias that crosses {ALIAS_VALUES} values");

    // Text counts too: few values, many bytes.
    let big = format!("s: &s {}\nl: [{}]\n", "x".repeat(1 << 20), ["*s"; 9].join(", "));
    assert!(refused(&big)[0].reason.contains("MiB of text"));
    // An alias inside the value its own anchor names.
    assert!(parse("a: &x [1, *x]\n").is_err());
}

#[test]
fn nesting_is_bounded() {
    let nested = |n: usize| format!("v: {}{}\n", "[".repeat(n), "]".repeat(n));
    assert!(parse(&nested(MAX_DEPTH - 1)).is_ok(), "the root mapping is one level");
    let problems = refused(&nested(MAX_DEPTH));
    assert!(problems[0].reason.contains("deeper than 128"), "{}", problems[0].reason);
    let through_alias = format!("a: &d {}\nb: [*d]\n", nested(MAX_DEPTH - 1).trim_start_matches("v: ").trim_end());
    assert!(refused(&through_alias)[0].reason.contains("this alias nests"));
    let just_fits = format!("a: &d {}\nb: *d\n", nested(MAX_DEPTH - 1).trim_start_matches("v: ").trim_end());
    assert!(parse(&just_fits).is_ok());
}

#[test]
fn tabs_and_syntax_errors_are_the_parsers_with_line_and_column() {
    let problems = refused("a:\n\tb: 1\n");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].at.line, 2);
    assert!(problems[0].reason.starts_with("not valid YAML: ") && problems[0].reason.contains("tab"));
    let problems = refused("a: 1\nb: [1, 2\nc: 3\n");
    assert!(problems[0].reason.starts_with("not valid YAML: "), "{}", problems[0].reason);
    assert!(problems[0].at.line >= 2, "{:?}", problems[0].at);
    assert_eq!(value("\u{feff}a: 1\n"), value("a: 1\n"), "a byte-order mark is skipped");
    assert_eq!(value("a: 1\r\nb: [x]\r\n"), value("a: 1\nb: [x]\n"), "Windows line ends");
}

fn place(text: &str, path: &str, code: ProblemCode, message: &str) -> (Mark, String) {
    let doc = parse(text).unwrap_or_else(|p| panic!("{p:?}"));
    doc.place(&CoreProblem::new(path, code, message))
}

#[test]
fn core_problems_are_placed_by_their_path() {
    let text = "version: 1\nsignals:\n  page.view:\n    kind: nope\n  p: { kind: page_view }\nscores:\n  \
                intent:\n    rules:\n      - { signal: p, points: ten }\n      - &r { signal: q }\n      - *r\n";
    let at = |path: &str, code: ProblemCode| place(text, path, code, "m").0;
    let mark = |line, column| Mark { line, column };
    assert_eq!(at("signals.page.view.kind", ProblemCode::UnknownKind), mark(4, 11), "a key with a dot");
    assert_eq!(at("scores.intent.rules[0].points", ProblemCode::WrongType), mark(9, 30), "the value");
    assert_eq!(at("scores.intent.rules[0].points", ProblemCode::UnknownField), mark(9, 22), "the key");
    assert_eq!(at("scores.intent.rules[0].id", ProblemCode::MissingField), mark(9, 9), "the mapping");
    assert_eq!(at("scores.intent", ProblemCode::WrongType), mark(7, 3), "a mapping: its key");
    assert_eq!(at("stages", ProblemCode::MissingField), mark(1, 1), "the document");
    assert_eq!(at("scores.intent.rules[9].x", ProblemCode::MissingField), mark(8, 5), "past a list's end");
    let (where_, message) = place(text, "scores.intent.rules[2].signal", ProblemCode::UnknownSignal, "m");
    assert_eq!(where_, mark(10, 22), "an alias: where the value is written");
    assert!(message.ends_with("(repeated by the alias at line 11, column 9)"), "{message}");
}

#[test]
fn core_messages_get_a_hint_where_yaml_misled() {
    let text = "policy:\n  stop_during_sales: yes\n  max: 1_000\n  content: 2024\n  quiet_hours: \"yes\"\n";
    let hint = |path: &str, message: &str| place(text, path, ProblemCode::WrongType, message).1;
    let boolean = "expected a boolean, got a string";
    assert!(hint("policy.stop_during_sales", boolean).ends_with("write true or false)"));
    assert!(hint("policy.max", "expected a number, got a string").ends_with("digits only)"));
    assert!(hint("policy.content", "expected a string, got a number").ends_with("text: \"2024\")"));
    assert_eq!(hint("policy.quiet_hours", boolean), boolean, "quoted: no hint");
    let nothing = "expected a string, got null";
    assert_eq!(place("content:\n", "content", ProblemCode::WrongType, nothing).1, nothing, "no \"\" to quote");
}
