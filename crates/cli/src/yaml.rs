//! YAML playbooks (`--playbook x.yaml`): the file read into core's [`Value`] with JSON's meaning, each node keeping
//! its line and column, so that core's problems (reported by path) are placed where they are in the file.
//!
//! The parser is saphyr-parser (YAML 1.2 events with marks); scalars are resolved here, by YAML 1.2's core schema
//! narrowed to what JSON can say, so that what a marketer types means one thing:
//! - `yes`, `no`, `on`, `off`, `y`, `n` are text (YAML 1.1 made them booleans): a country code `NO` stays "NO";
//!   only `true` / `false` are booleans (a boolean setting written `yes` is refused by core, with a hint);
//! - `22:00` and `22:00-07:00` are text (YAML 1.1 read `22:00` as the base-60 number 1320), and so are dates;
//! - numbers are decimal (`15`, `-2.5`, `1e3`, `.5`); refused: `.inf` / `.nan` (JSON has neither), numbers too
//!   large for a double, `0x1F` / `0o17`, and a leading zero (`017` is octal 15 in YAML 1.1, 17 in 1.2);
//! - refused, with line and column: a tag (`!!binary`, `!custom`), a key repeated in one mapping (both places
//!   named), a key that is not text (`7:`, `true:`, `~:`, a list), the YAML 1.1 merge key `<<`, a second document,
//!   nesting deeper than [`MAX_DEPTH`], and aliases that would expand the document past [`ALIAS_VALUES`] values
//!   or [`ALIAS_BYTES`] bytes of text (a "billion laughs" file is refused before it is expanded).

use std::collections::HashMap;
use std::fmt;

use std::path::Path;

use rekindle_core::{Playbook, Problem as CoreProblem, ProblemCode, Value};
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};

use crate::diagnostic::quote;
use crate::CliError;

/// How deeply lists and mappings may nest (serde_json's own limit for JSON playbooks is 128 too).
pub const MAX_DEPTH: usize = 128;
/// How many values aliases may add to the document, all together.
pub const ALIAS_VALUES: usize = 100_000;
/// How many bytes of text (keys and strings) aliases may add to the document, all together.
pub const ALIAS_BYTES: usize = 8 << 20;

/// A place in the file: 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Mark {
    fn of(m: &Marker) -> Mark {
        Mark { line: m.line(), column: m.col() + 1 }
    }
}

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A syntax error, or something in the file that a playbook cannot hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub at: Mark,
    /// What, and what to write instead.
    pub reason: String,
}

/// A parsed YAML document: its value and where each part of it is.
#[derive(Debug)]
pub struct Doc {
    root: Node,
}

#[derive(Debug, Clone)]
struct Node {
    /// Where the node starts (for a repeated alias: where its anchor's value is written).
    at: Mark,
    /// Where the alias that repeats this node is, when it is a copy.
    alias: Option<Mark>,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// `plain` keeps an unquoted scalar's text, for hints ("write true or false", "quote it").
    Scalar {
        value: Value,
        plain: Option<Box<str>>,
    },
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    /// Where the key is.
    at: Mark,
    value: Node,
}

/// What a node weighs once expanded: values, bytes of text, levels of lists and mappings (0 for a scalar).
#[derive(Debug, Clone, Copy, Default)]
struct Size {
    values: usize,
    bytes: usize,
    height: usize,
}

impl Size {
    fn add(&mut self, child: Size) {
        self.values = self.values.saturating_add(child.values);
        self.bytes = self.bytes.saturating_add(child.bytes);
        self.height = self.height.max(child.height.saturating_add(1));
    }
}

/// Reads a YAML playbook: a file that is not a usable YAML document is [`CliError::Yaml`] (every problem with its
/// line and column); a playbook core refuses is [`CliError::CoreYaml`], each problem placed by its path.
pub fn read_playbook(path: &Path) -> Result<Playbook, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io { path: path.into(), source })?;
    let doc = parse(&text).map_err(|problems| CliError::Yaml { path: path.into(), problems })?;
    Playbook::parse(&doc.value()).map_err(|e| match e {
        rekindle_core::Error::InvalidPlaybook { problems } => {
            let (at, problems) = problems
                .into_iter()
                .map(|p| {
                    let (at, message) = doc.place(&p);
                    (at, CoreProblem { message, ..p })
                })
                .unzip();
            CliError::CoreYaml { file: path.into(), source: rekindle_core::Error::InvalidPlaybook { problems }, at }
        }
        other => CliError::Core { file: path.into(), source: other },
    })
}

/// The text of a YAML file as one document, or every problem found (in file order).
pub fn parse(text: &str) -> Result<Doc, Vec<Problem>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        match next {
            Ok((event, span)) => {
                if b.event(event, Mark::of(&span.start)).is_err() {
                    return Err(b.problems);
                }
            }
            Err(e) => {
                b.problem(Mark::of(e.marker()), format!("not valid YAML: {}", e.info()));
                return Err(b.problems);
            }
        }
    }
    match b.root {
        Some(root) if b.problems.is_empty() => Ok(Doc { root }),
        Some(_) => Err(b.problems),
        None => {
            b.problem(
                Mark { line: 1, column: 1 },
                "the file holds no YAML document (a playbook is one mapping)".into(),
            );
            Err(b.problems)
        }
    }
}

/// Building stopped: the problem that stopped it is the last one recorded.
struct Stop;

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    /// Each anchor's value, with its size, once complete.
    anchors: HashMap<usize, (Node, Size)>,
    root: Option<Node>,
    documents: usize,
    /// What aliases added so far.
    expanded: Size,
    problems: Vec<Problem>,
}

struct Frame {
    at: Mark,
    anchor: usize,
    size: Size,
    kind: FrameKind,
}

enum FrameKind {
    Seq(Vec<Node>),
    Map { entries: Vec<Entry>, seen: HashMap<String, Mark>, key: Key },
}

/// Where a mapping is between its entries.
enum Key {
    /// The next node is a key.
    Wanted,
    /// The next node is the value of this key.
    Have(String, Mark),
    /// The key was refused: the next node is its value, dropped.
    Refused,
}

impl Builder {
    fn problem(&mut self, at: Mark, reason: String) {
        self.problems.push(Problem { at, reason });
    }

    fn event(&mut self, event: Event<'_>, at: Mark) -> Result<(), Stop> {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.problem(
                        at,
                        "a second YAML document starts here: a playbook file holds one (remove the `---` and \
                         what follows, or split the file)"
                            .into(),
                    );
                    return Err(Stop);
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(tag) = tag {
                    self.tag(&tag, at);
                }
                let (value, plain) = match style {
                    ScalarStyle::Plain => match resolve(&text) {
                        Ok(value) => (value, Some(Box::from(&*text))),
                        Err(reason) => {
                            self.problem(at, reason);
                            (Value::Null, None)
                        }
                    },
                    _ => (Value::String(text.to_string()), None),
                };
                let bytes = if let Value::String(s) = &value { s.len() } else { 0 };
                let node = Node { at, alias: None, kind: Kind::Scalar { value, plain } };
                let size = Size { values: 1, bytes, height: 0 };
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), size));
                }
                self.deliver(node, size);
            }
            Event::SequenceStart(anchor, tag) => self.open(at, anchor, tag.as_deref(), FrameKind::Seq(Vec::new()))?,
            Event::MappingStart(anchor, tag) => {
                let map = FrameKind::Map { entries: Vec::new(), seen: HashMap::new(), key: Key::Wanted };
                self.open(at, anchor, tag.as_deref(), map)?;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(frame) = self.stack.pop() {
                    let kind = match frame.kind {
                        FrameKind::Seq(items) => Kind::Seq(items),
                        FrameKind::Map { entries, .. } => Kind::Map(entries),
                    };
                    let node = Node { at: frame.at, alias: None, kind };
                    if frame.anchor > 0 {
                        self.anchors.insert(frame.anchor, (node.clone(), frame.size));
                    }
                    self.deliver(node, frame.size);
                }
            }
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id) else {
                    self.problem(at, "this alias names the list or mapping it is inside (a loop)".into());
                    return Err(Stop);
                };
                let size = *size;
                self.expanded.values = self.expanded.values.saturating_add(size.values);
                self.expanded.bytes = self.expanded.bytes.saturating_add(size.bytes);
                if self.expanded.values > ALIAS_VALUES || self.expanded.bytes > ALIAS_BYTES {
                    self.problem(
                        at,
                        format!(
                            "aliases expand the document past {ALIAS_VALUES} values or {} MiB of text here (each \
                             alias repeats what its anchor names: a \"billion laughs\" file); write the values out",
                            ALIAS_BYTES >> 20
                        ),
                    );
                    return Err(Stop);
                }
                if self.stack.len().saturating_add(size.height) > MAX_DEPTH {
                    self.problem(at, format!("this alias nests lists and mappings deeper than {MAX_DEPTH} levels"));
                    return Err(Stop);
                }
                let node = Node { alias: Some(at), ..node.clone() };
                self.deliver(node, size);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    /// A list or mapping starts.
    fn open(&mut self, at: Mark, anchor: usize, tag: Option<&Tag>, kind: FrameKind) -> Result<(), Stop> {
        if let Some(tag) = tag {
            self.tag(tag, at);
        }
        if self.stack.len() >= MAX_DEPTH {
            self.problem(at, format!("lists and mappings nest deeper than {MAX_DEPTH} levels here"));
            return Err(Stop);
        }
        self.stack.push(Frame { at, anchor, size: Size { values: 1, bytes: 0, height: 1 }, kind });
        Ok(())
    }

    fn tag(&mut self, tag: &Tag, at: Mark) {
        let name = if tag.is_yaml_core_schema() {
            format!("!!{}", tag.suffix)
        } else {
            format!("{}{}", tag.handle, tag.suffix)
        };
        self.problem(
            at,
            format!(
                "the tag {} is not read: a playbook holds text, numbers, true / false, null, lists and mappings \
                 (remove the tag; quote a value to keep it as text)",
                quote(&name)
            ),
        );
    }

    /// Hands a complete node to the list or mapping it is in, or makes it the document.
    fn deliver(&mut self, node: Node, size: Size) {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return;
        };
        let problem = match &mut frame.kind {
            FrameKind::Seq(items) => {
                frame.size.add(size);
                items.push(node);
                None
            }
            FrameKind::Map { entries, seen, key } => match std::mem::replace(key, Key::Wanted) {
                Key::Wanted => match key_text(&node) {
                    Ok(text) => {
                        frame.size.bytes = frame.size.bytes.saturating_add(text.len());
                        *key = Key::Have(text, node.alias.unwrap_or(node.at));
                        None
                    }
                    Err(reason) => {
                        *key = Key::Refused;
                        Some(Problem { at: node.alias.unwrap_or(node.at), reason })
                    }
                },
                Key::Have(text, at) => {
                    let problem = match seen.get(&text) {
                        Some(first) => Some(Problem {
                            at,
                            reason: format!(
                                "the key \"{}\" appears twice in this mapping: at line {}, column {} and here (a key \
                                 appears once; merge the two)",
                                quote(&text),
                                first.line,
                                first.column
                            ),
                        }),
                        None => {
                            seen.insert(text.clone(), at);
                            None
                        }
                    };
                    frame.size.add(size);
                    entries.push(Entry { key: text, at, value: node });
                    problem
                }
                Key::Refused => None,
            },
        };
        self.problems.extend(problem);
    }
}

/// A mapping key: text only, as in JSON.
fn key_text(node: &Node) -> Result<String, String> {
    let got = match &node.kind {
        Kind::Scalar { value: Value::String(s), plain } => {
            return match plain.as_deref() {
                Some("<<") => Err("`<<` merge keys are YAML 1.1 and not read: write the keys out (an alias `*name` \
                                   may repeat a whole value)"
                    .into()),
                _ => Ok(s.clone()),
            };
        }
        Kind::Scalar { value: Value::Null, plain: Some(text) } if text.is_empty() => "nothing".to_string(),
        Kind::Scalar { value, plain: Some(text) } => format!("{} ({})", value.kind_name(), quote(text)),
        Kind::Scalar { value, plain: None } => value.kind_name().to_string(),
        Kind::Seq(_) => "a list".into(),
        Kind::Map(_) => "a mapping".into(),
    };
    let hint = match &node.kind {
        Kind::Scalar { plain: Some(text), .. } if !text.is_empty() => format!(": quote it (\"{}\")", quote(text)),
        _ => String::new(),
    };
    Err(format!("a key must be text, got {got}{hint}"))
}

/// YAML 1.1's booleans, text in YAML 1.2 and here.
const YAML11_BOOLEANS: &[&str] =
    &["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N"];

/// An unquoted scalar's value: YAML 1.2's core schema, with what JSON cannot hold refused.
fn resolve(text: &str) -> Result<Value, String> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Err(format!("{text} (infinity) is not a number a playbook can hold, as JSON has none"));
    }
    if matches!(text, ".nan" | ".NaN" | ".NAN") {
        return Err(format!("{text} (not a number) is not a number a playbook can hold, as JSON has none"));
    }
    let radix = |prefix: &str, digit: fn(&char) -> bool| {
        text.strip_prefix(prefix).is_some_and(|d| !d.is_empty() && d.chars().all(|c| digit(&c)))
    };
    if radix("0x", char::is_ascii_hexdigit) || radix("0o", |c| matches!(c, '0'..='7')) {
        return Err(format!(
            "{} is a hexadecimal or octal number, which a playbook does not read: write it in decimal, or quote it \
             for text",
            quote(text)
        ));
    }
    let Some(shape) = decimal(unsigned) else { return Ok(Value::String(text.into())) };
    if shape.leading_zero {
        let trimmed = unsigned.trim_start_matches('0');
        let plain = if trimmed.is_empty() || trimmed.starts_with(['.', 'e', 'E']) { "0" } else { "" };
        return Err(format!(
            "{} has a leading zero, which YAML 1.1 reads as an octal number: write {}{plain}{trimmed}, or quote it \
             for text (\"{}\")",
            quote(text),
            text.strip_suffix(unsigned).unwrap_or(""),
            quote(text)
        ));
    }
    let n = if shape.integer { text.parse::<i64>().ok().map(|i| i as f64) } else { None };
    match n.or_else(|| text.parse::<f64>().ok()) {
        Some(n) if n.is_finite() => Ok(Value::Number(n)),
        _ => Err(format!("{} is too large for a number (JSON cannot hold it either)", quote(text))),
    }
}

/// A YAML 1.2 core-schema decimal number without its sign: `digits [. digits*] | . digits+`, then
/// `[eE] [+-] digits+`.
struct Decimal {
    integer: bool,
    leading_zero: bool,
}

fn decimal(text: &str) -> Option<Decimal> {
    let bytes = text.as_bytes();
    let digits =
        |from: usize| bytes.get(from..).map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count());
    let whole = digits(0);
    let mut i = whole;
    let mut fraction = 0;
    let mut integer = true;
    if bytes.get(i) == Some(&b'.') {
        integer = false;
        fraction = digits(i + 1);
        i += 1 + fraction;
    }
    if whole == 0 && fraction == 0 {
        return None;
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        integer = false;
        let sign = usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
        let exponent = digits(i + 1 + sign);
        if exponent == 0 {
            return None;
        }
        i += 1 + sign + exponent;
    }
    (i == bytes.len()).then_some(Decimal { integer, leading_zero: whole > 1 && bytes.first() == Some(&b'0') })
}

impl Doc {
    /// The document as core's value tree (keys in file order).
    pub fn value(&self) -> Value {
        self.root.value()
    }

    /// Where a core problem is in the file (its path walked through the nodes; a path that ends at a key the file
    /// does not have is placed at the deepest part it does), and its message with a hint about YAML when one
    /// applies.
    pub fn place(&self, problem: &CoreProblem) -> (Mark, String) {
        let found = walk(&self.root, &problem.path, None, None);
        let at = match (found.node, found.key) {
            // A wrong scalar: the value itself; anything else reached by a key (an unknown field, a mapping or
            // list): the key.
            (Some(Node { kind: Kind::Scalar { .. }, at, .. }), _) if problem.code != ProblemCode::UnknownField => *at,
            (_, Some(key)) => key,
            (Some(node), None) => node.at,
            (None, None) => found.at,
        };
        let mut message = problem.message.clone();
        if let Some(Node { kind: Kind::Scalar { plain: Some(text), .. }, .. }) = found.node {
            message.push_str(&hint(&problem.message, text));
        }
        if let Some(alias) = found.alias {
            message.push_str(&format!(" (repeated by the alias at line {}, column {})", alias.line, alias.column));
        }
        (at, message)
    }
}

/// A hint for a core message about an unquoted scalar, or nothing.
fn hint(message: &str, text: &str) -> String {
    let sexagesimal_or_grouped = || {
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        digits.starts_with(|c: char| c.is_ascii_digit())
            && digits.chars().all(|c| c.is_ascii_digit() || matches!(c, '_' | ':' | '.'))
    };
    if message.starts_with("expected a boolean, got a string") && YAML11_BOOLEANS.contains(&text) {
        " (YAML 1.2 reads yes, no, on and off as text: write true or false)".into()
    } else if ["expected a string, got a number", "expected a string, got a boolean"]
        .iter()
        .any(|m| message.starts_with(m))
    {
        format!(" (quote it to keep it as text: \"{}\")", quote(text))
    } else if message.starts_with("expected a number, got a string") && sexagesimal_or_grouped() {
        " (YAML 1.2 reads 1_000 and 1:30 as text: write the number with digits only)".into()
    } else {
        String::new()
    }
}

/// How far a path got: the node it names (when all of it was found), else the deepest place found.
struct Found<'a> {
    /// How much of the path is left.
    left: usize,
    node: Option<&'a Node>,
    /// The key through which the last node was reached.
    key: Option<Mark>,
    /// Where the deepest node found is.
    at: Mark,
    /// The first alias on the way.
    alias: Option<Mark>,
}

fn walk<'a>(node: &'a Node, path: &str, key: Option<Mark>, alias: Option<Mark>) -> Found<'a> {
    let alias = alias.or(node.alias);
    let here = Found { left: path.len(), node: None, key, at: key.unwrap_or(node.at), alias };
    if path.is_empty() {
        return Found { left: 0, node: Some(node), ..here };
    }
    match &node.kind {
        Kind::Scalar { .. } => here,
        Kind::Seq(items) => {
            let Some((index, rest)) = path.strip_prefix('[').and_then(|p| p.split_once(']')) else { return here };
            match index.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(item) => walk(item, rest, None, alias),
                None => here,
            }
        }
        Kind::Map(entries) => {
            // Keys may hold dots (ids allow them): every key the path goes on with is tried, the one that leads
            // furthest wins.
            let path = path.strip_prefix('.').unwrap_or(path);
            let mut best = here;
            for entry in entries {
                let Some(rest) = path.strip_prefix(entry.key.as_str()) else { continue };
                if !(rest.is_empty() || rest.starts_with(['.', '['])) {
                    continue;
                }
                let found = walk(&entry.value, rest, Some(entry.at), alias);
                if found.left < best.left {
                    best = found;
                }
            }
            best
        }
    }
}

impl Node {
    fn value(&self) -> Value {
        match &self.kind {
            Kind::Scalar { value, .. } => value.clone(),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::value).collect()),
            Kind::Map(entries) => Value::Object(entries.iter().map(|e| (e.key.clone(), e.value.value())).collect()),
        }
    }
}

#[cfg(test)]
mod tests;
