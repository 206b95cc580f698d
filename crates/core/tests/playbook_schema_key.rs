//! A playbook may name its JSON Schema for editors (`"$schema": "./node_modules/rekindle/playbook.schema.json"`,
//! docs/playbook.md § Editor setup): the parser reads the key as a string and ignores it; anything but a string is
//! a `wrong_type` problem at `$schema`, listed with the playbook's other problems.
#![allow(clippy::expect_used, clippy::panic, clippy::indexing_slicing)] // test setup: a failure aborts the test

use rekindle_core::{Error, Playbook, Value};
use serde_json::{json, Value as Json};

/// examples/playbooks/saas.json with `$schema` set to `schema`.
fn saas_with_schema(schema: Json) -> Json {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/playbooks/saas.json");
    let mut pb: Json = serde_json::from_str(&std::fs::read_to_string(path).expect("saas.json")).expect("JSON");
    pb["$schema"] = schema;
    pb
}

fn parse(pb: &Json) -> Result<Playbook, Error> {
    let value: Value = serde_json::from_value(pb.clone()).expect("a Value");
    Playbook::parse(&value)
}

#[test]
fn a_string_schema_key_is_accepted_and_changes_nothing() {
    let plain = saas_with_schema(Json::Null);
    let mut plain = plain.as_object().expect("an object").clone();
    plain.remove("$schema");
    let without = parse(&Json::Object(plain)).expect("saas.json parses");
    for schema in ["./node_modules/rekindle/playbook.schema.json", "https://example.invalid/playbook.schema.json", ""] {
        let with = parse(&saas_with_schema(json!(schema))).expect("a string $schema is accepted");
        assert_eq!(with, without, "$schema {schema:?} changes the compiled playbook");
    }
}

#[test]
fn a_schema_key_that_is_no_string_is_a_wrong_type_problem_at_its_path() {
    for schema in [json!(1), json!(null), json!({ "$ref": "x" }), json!(["a"]), json!(true)] {
        let mut pb = saas_with_schema(schema.clone());
        pb["version"] = json!(2); // listed with the other problems, not instead of them
        let Err(Error::InvalidPlaybook { problems }) = parse(&pb) else {
            panic!("$schema {schema} was accepted");
        };
        let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.path.as_str(), p.code.as_str())).collect();
        assert_eq!(found, [("$schema", "wrong_type"), ("version", "unsupported_version")], "$schema {schema}");
    }
}

#[test]
fn the_unknown_field_message_names_schema_among_the_top_level_keys() {
    let mut pb = saas_with_schema(json!("x"));
    pb["schema"] = json!("./playbook.schema.json"); // without the dollar sign
    let Err(Error::InvalidPlaybook { problems }) = parse(&pb) else { panic!("\"schema\" was accepted") };
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!((problems[0].path.as_str(), problems[0].code.as_str()), ("schema", "unknown_field"));
    assert!(problems[0].message.ends_with(", contacts, $schema"), "{}", problems[0].message);
}
