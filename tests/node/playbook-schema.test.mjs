// pkg/playbook.schema.json (the JSON Schema editors validate playbooks with, docs/playbook.md § Editor setup) must
// say what the parser says. Checked with ajv 8 (draft-07, strict: an unknown keyword fails compilation) against the
// package's own parser (`new Engine(playbook)` of the node build), on a corpus of valid playbooks: the examples,
// every playbook block of docs/playbook.md (section fragments completed with the signals they name) and COVERAGE
// below.
//
// The drift check is differential, so that neither side can change alone:
// - Keys, both directions. At every object of every corpus playbook, the key `zz_probe` is added: the parser's
//   unknown_field problem at that key lists, in its message, every key it accepts there ("expected one of …"), or
//   there is none (an id-keyed map such as `signals` or `match`). The schema's set at the same place is found by
//   adding each key of the schema's whole vocabulary (every name under any `properties`), and every key the
//   parser named, and asking ajv whether `additionalProperties` refuses it there. The two sets (or "any key") must
//   be equal: a key added to the parser but not to the schema, or to the schema but not to the parser, fails
//   "every object accepts the same keys in the schema and in the parser". So do the names of the condition kinds
//   (the parser's "unknown condition" message vs. the schema's condition heads).
// - Closed sets. Every string value of the corpus is replaced by `zz_probe`: where the schema then reports an
//   `enum` error, the parser must refuse it too, listing exactly the schema's names in its message; where the
//   schema accepts it, so must the parser, except for what JSON Schema cannot check (references to signals,
//   segments, cells and CTAs; time zone names), listed in NOT_EXPRESSIBLE.
// - Required keys. Every key of every closed object is removed in turn: the schema refuses the result iff the
//   parser does (cross-references aside: removing a signal the rest names is the parser's business only).
// - Coverage. Every object shape the schema defines (a node with `additionalProperties`) must be met by some corpus
//   object, else a shape could drift unseen: a new shape in the schema needs an instance in COVERAGE.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import Ajv from "ajv";
import { Engine } from "rekindle";
import { repoRoot } from "./fixtures.mjs";

const PROBE = "zz_probe";
const schema = JSON.parse(readFileSync(join(repoRoot, "pkg", "playbook.schema.json"), "utf8"));
const read = (...parts) => JSON.parse(readFileSync(join(repoRoot, ...parts), "utf8"));

/** Shapes met while validating, by schema pointer (through the `x-shape` keyword added to a copy of the schema). */
const hits = new Set();
const ajv = new Ajv({ allErrors: true, strictTypes: false });
ajv.addKeyword({
  keyword: "x-shape",
  schemaType: "string",
  validate: (pointer, data) => {
    if (isObject(data)) hits.add(pointer);
    return true;
  },
});
const shapes = [];
function markShapes(node, pointer) {
  if (Array.isArray(node)) return node.map((n, i) => markShapes(n, `${pointer}/${i}`));
  if (!isObject(node)) return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    // `default` and `enum` hold values, not schemas.
    out[k] = k === "default" || k === "enum" || k === "const" ? v : k === "properties" || k === "definitions"
      ? Object.fromEntries(Object.entries(v).map(([name, s]) => [name, markShapes(s, `${pointer}/${k}/${name}`)]))
      : markShapes(v, `${pointer}/${k}`);
  }
  if ("additionalProperties" in node) {
    out["x-shape"] = pointer || "#";
    shapes.push(pointer || "#");
  }
  return out;
}
const validate = ajv.compile(markShapes(schema, ""));

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Every name under any `properties` of the schema. */
const vocabulary = new Set();
(function collect(node) {
  if (Array.isArray(node)) return node.forEach(collect);
  if (!isObject(node)) return;
  if (isObject(node.properties)) Object.keys(node.properties).forEach((k) => vocabulary.add(k));
  for (const [k, v] of Object.entries(node)) if (k !== "default" && k !== "enum") collect(v);
})(schema);

/** The parser's problems for `doc` ([] when it is accepted). */
function problems(doc) {
  try {
    new Engine(doc).free();
    return [];
  } catch (err) {
    assert.equal(err.code, "E_PLAYBOOK_INVALID", `${err.code}: ${err.message}`);
    return err.details.problems;
  }
}

/** ajv's errors for `doc` ([] when valid). */
function schemaErrors(doc) {
  return validate(doc) ? [] : validate.errors;
}

/** Every node of `doc`: { keys (the path as keys), path (the parser's), pointer (ajv's), value }. */
function* nodes(value, keys = [], path = "", pointer = "") {
  yield { keys, path, pointer, value };
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* nodes(v, [...keys, i], `${path}[${i}]`, `${pointer}/${i}`);
  } else if (isObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const escaped = k.replaceAll("~", "~0").replaceAll("/", "~1");
      yield* nodes(v, [...keys, k], path ? `${path}.${k}` : k, `${pointer}/${escaped}`);
    }
  }
}

/** A copy of `doc` with `change(node)` applied to the node at `keys` (its parent's change when `parent`). */
function changed(doc, keys, change) {
  const copy = structuredClone(doc);
  let node = copy;
  for (const k of keys) node = node[k];
  change(node);
  return copy;
}
const setAt = (doc, keys, value) => {
  const copy = structuredClone(doc);
  let node = copy;
  for (const k of keys.slice(0, -1)) node = node[k];
  node[keys.at(-1)] = value;
  return copy;
};
const join_ = (path, key) => (path ? `${path}.${key}` : key);

// --- the corpus ---------------------------------------------------------------------------------------------------

const EXAMPLES = [
  ...readdirSync(join(repoRoot, "examples", "playbooks")).filter((f) => f.endsWith(".json")).map((f) => `examples/playbooks/${f}`),
  "examples/cloudflare-worker/playbook.json",
];

const SECTIONS = new Set(Object.keys(schema.properties));
const CONDITION_KINDS = new Set(Object.keys(schema.definitions.condition.properties));

/** The ```json blocks of docs/playbook.md, each { line, text }. */
function docBlocks() {
  const text = readFileSync(join(repoRoot, "docs", "playbook.md"), "utf8");
  return [...text.matchAll(/^```json\n([\s\S]*?)^```/gm)].map((m) => ({
    line: text.slice(0, m.index).split("\n").length,
    text: m[1],
  }));
}

/**
 * A docs block as a playbook to check, or { skip: why } for a block that is no playbook (events). A fragment
 * (`"sequences": {…}`, signal or segment entries) becomes a playbook with the signals it names declared as
 * custom signals, so that the parser can judge it too. Throws for a block of an unknown sort.
 */
function docPlaybook({ line, text }) {
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    value = JSON.parse(`{${text}}`); // a fragment: `"key": value, …`
  }
  if (Array.isArray(value) || ("at" in value && "kind" in value)) return { skip: "events" };
  if ("version" in value) return { doc: value };
  const entries = Object.entries(value);
  let doc;
  if (entries.every(([k]) => SECTIONS.has(k))) doc = { version: 1, signals: {}, ...value };
  else if (entries.every(([, v]) => isObject(v) && "kind" in v)) doc = { version: 1, signals: value };
  else if (entries.every(([, v]) => isObject(v) && "when" in v)) doc = { version: 1, signals: {}, segments: value };
  else throw new Error(`docs/playbook.md:${line}: a json block of an unknown sort (keys ${Object.keys(value)})`);
  return { doc: withNamedSignals(doc) };
}

/** `doc` with every signal its problems call unknown declared as `custom:<id>`. */
function withNamedSignals(doc) {
  const out = structuredClone(doc);
  for (const p of problems(out)) {
    const name = p.code === "unknown_signal" && p.message.match(/^unknown signal "([^"]+)"/)?.[1];
    if (name) out.signals[name] = { kind: `custom:${name}` };
  }
  return out;
}

/** The shapes the examples and docs leave out, each once: every condition kind, bounds, caps, cells, … */
const COVERAGE = {
  $schema: "./node_modules/rekindle/playbook.schema.json",
  version: 1,
  signals: {
    visit: { kind: "page_view", match: { path: "/pricing*", seconds: { gt: 10, le: 600 } }, include_machine: false },
    order: { kind: "purchase" },
    login: { kind: "custom:login" },
    review: { kind: "custom:review", match: { stars: { le: 2 } } },
  },
  scores: {
    fit: { min: -10, max: 50, rules: [{ id: "seen", field: "signup", op: "within_last", value: "30d", points: 5 }, { field: "role", op: "exists", points: 1 }] },
    intent: { max: 100, rules: [{ signal: "visit", points: 5, decay: { linear: "30d" }, expire_after: "60d", cap: 20 }] },
  },
  stages: {
    readiness: { on: "total", warm: 10, hot: 25 }, // total reaches 26 at most: fit 5 + 1, intent's cap 20
    mql: { min: { fit: 5, intent: 5, total: 10 }, all: [{ signal: "visit", within: "30d", at_least: 2 }] },
    sql: { any: [{ signal: "visit", within: "7d" }], direct: [{ signal: "order", within: "7d" }] },
    recycle_for: "30d",
  },
  segments: {
    a: { when: { not: { ever: "order" } }, description: "never bought" },
    b: { when: { any: [{ never: "order" }, { anniversary: "order", within: "7d" }, { first: "order", less_than: "30d" }] } },
    c: { when: { all: [{ segment: "a" }, { stage: ["lead", "mql"] }, { stage_at_least: "mql" }, { readiness: "hot" }] } },
    d: { when: { any: [{ lifecycle: ["cooling", "cold"] }, { score: "fit", op: "ge", value: 5 }, { rfm: ["champions"] }] } },
    e: { when: { any: [{ deal: "open" }, { ghost: true }, { signal: "visit", within: "30d", at_most: 0 }, { last: "visit", more_than: "7d" }] } },
    f: { when: { field: "signup", op: "between", value: [1, 2] } },
  },
  lifecycle: {
    sales_cycle: "45d",
    cooling_after: "60d",
    cold_after: "120d",
    reactivation_entry: "manual",
    soft_reactivation_for: "14d",
    breakup_deadline: "72h",
    ghost: { min_opens: 5, no_click_for: "90d" },
    erase_on: ["spam_trap"],
    intent_signals: ["visit"],
    engagement_signals: ["login"],
  },
  policy: {
    caps: [{ channel: "any", max: 3, per: "7d" }],
    quiet_hours: "21:00-08:00",
    timezone_field: "tz",
    default_timezone: "Europe/Warsaw",
    consent: { email: null, sms: "sms_marketing" },
    stop_during_sales: false,
  },
  sequences: {
    s: {
      start: { ever: "order" },
      stop: [{ never: "visit" }],
      reenrol_after: "90d",
      inactive_stop: "60d",
      steps: [{ id: "one", after: "1d", from: "previous", channel: "sms", content: "x", when: { ghost: false } }],
      description: "d",
    },
  },
  ctas: {
    candidates: [{ id: "x", when: { ever: "visit" }, unless: { deal: "won" }, variant: "v", description: "d" }, { id: "y" }],
    default: "y", // the fallback reads no unless: a default with one is refused
  },
  handoff: { business_hours: "9:00 - 17:30", days: "Mon-Thursday,sat", sla: "30min", max: "4h", timezone: "America/New_York", assets: ["order"] },
  retention: {
    period: "week",
    rfm: { levels: 3, cells: [{ id: "champions", r: [2, 3], f: 1, m: 2, fm: [1, 3] }] },
    active_within: "60d",
    high_value: 3,
    churn: { p_alive_below: 0.4, gap_factor: 3, activity_drop: { window: "60d", ratio: 0.4 }, negative_rating: { signal: "review", within: "30d" } },
    clv: { months: 24, monthly_discount: 0.02 },
  },
  contacts: { columns: { email: "E-mail", id: "Customer ID", created_at: "Signed up", fields: { "Job Title": "role" } } },
};

const docs = docBlocks().map((b) => ({ ...b, ...docPlaybook(b) }));
const corpus = [
  ...EXAMPLES.map((f) => ({ name: f, doc: read(...f.split("/")) })),
  ...docs.filter((b) => b.doc).map((b) => ({ name: `docs/playbook.md:${b.line}`, doc: b.doc })),
  { name: "COVERAGE", doc: COVERAGE },
];

// --- the tests ----------------------------------------------------------------------------------------------------

describe("pkg/playbook.schema.json", () => {
  test("is a draft-07 schema that compiles in ajv's strict mode and is published by the package", () => {
    assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#");
    const manifest = read("pkg", "package.json");
    assert.equal(manifest.exports["./playbook.schema.json"], "./playbook.schema.json");
    assert.ok(manifest.files.includes("playbook.schema.json"));
    assert.ok(vocabulary.size > 50, `vocabulary of ${vocabulary.size} keys`);
  });

  test("every example playbook and every playbook block of docs/playbook.md is valid for the schema and the parser", () => {
    assert.ok(docs.filter((b) => b.doc).length >= 7, "the docs blocks were found");
    for (const { name, doc } of corpus) {
      assert.deepEqual(schemaErrors(doc), [], `${name}: the schema refuses it`);
      assert.deepEqual(problems(doc), [], `${name}: the parser refuses it`);
    }
  });

  test("every object shape the schema defines is met by a corpus playbook", () => {
    hits.clear();
    for (const { doc } of corpus) validate(doc);
    const missed = shapes.filter((s) => !hits.has(s));
    assert.deepEqual(missed, [], "add an instance of these shapes to COVERAGE");
  });

  test("every object accepts the same keys in the schema and in the parser", () => {
    let probed = 0;
    for (const { name, doc } of corpus) {
      for (const { keys, path, pointer, value } of nodes(doc)) {
        if (!isObject(value) || PROBE in value) continue;
        const withProbe = changed(doc, keys, (o) => { o[PROBE] = null; });
        const unknown = problems(withProbe).find((p) => p.path === join_(path, PROBE) && p.code === "unknown_field");
        /** The keys of `added` that `additionalProperties` refuses here, once they are added together. */
        const refused = (added) => {
          const errors = schemaErrors(changed(doc, keys, (o) => added.forEach((k) => { o[k] = null; })));
          return errors.filter((e) => e.keyword === "additionalProperties" && e.instancePath === pointer).map((e) => e.params.additionalProperty);
        };
        const refuses = (doc2, key) =>
          schemaErrors(doc2).some((e) => e.keyword === "additionalProperties" && e.instancePath === pointer && e.params.additionalProperty === key);
        const where = `${name} at ${path || "the top level"}`;
        const schemaOpen = !refuses(withProbe, PROBE);
        assert.equal(schemaOpen, unknown === undefined, `${where}: ${schemaOpen ? "the schema takes any key, the parser does not" : "the parser takes any key, the schema does not"}`);
        probed++;
        if (schemaOpen) continue;
        const listed = unknown.message.match(/; expected one of (.+)$/)?.[1];
        assert.ok(listed, `${where}: the parser's message lists no keys: ${unknown.message}`);
        const parserKeys = new Set(listed.split(", "));
        // Keys are added together, except condition kinds, one at a time: a second kind would bring its own branch.
        const candidates = [...new Set([...vocabulary, ...parserKeys])].filter((k) => !(k in value));
        const together = candidates.filter((k) => !CONDITION_KINDS.has(k));
        const refusedKeys = new Set([
          ...refused(together),
          ...candidates.filter((k) => CONDITION_KINDS.has(k) && refused([k]).includes(k)),
        ]);
        const schemaKeys = new Set([...Object.keys(value), ...candidates.filter((k) => !refusedKeys.has(k))]);
        assert.deepEqual([...schemaKeys].sort(), [...parserKeys].sort(), `${where}: the keys the schema lists vs. the parser's`);
      }
    }
    assert.ok(probed > 300, `${probed} objects probed`);
  });

  test("the condition kinds are the same in the schema and in the parser", () => {
    const doc = { version: 1, signals: {}, segments: { s: { when: { [PROBE]: null } } } };
    const p = problems(doc).find((x) => x.path === `segments.s.when.${PROBE}`);
    const listed = p?.message.match(/^unknown condition "zz_probe"; expected one of (.+)$/)?.[1];
    assert.ok(listed, JSON.stringify(p));
    assert.deepEqual(Object.keys(schema.definitions.condition.properties), listed.split(", "));
    assert.ok(schemaErrors(doc).length > 0, "the schema refuses a condition of no kind");
  });

  /** What the schema cannot refuse and the parser does: (parser path, code) of such a problem. */
  const NOT_EXPRESSIBLE = [
    (p) => p.code === "unknown_signal" || p.code === "unknown_reference" || p.code === "cyclic_reference",
    (p) => p.code === "out_of_range" && /(^policy\.default_timezone|^handoff\.timezone)$/.test(p.path), // IANA names
    // A glob on a prop the event reader admits from a closed set (sales_status status …) must meet one of its values:
    // glob semantics against the signal's kind.
    (p) => p.code === "out_of_range" && /^signals\.[^.]+\.match\.[^.]+$/.test(p.path),
    // A candidate without when or unless may only come last: a relation between list positions.
    (p) => p.code === "out_of_range" && /^ctas\.candidates\[\d+\]$/.test(p.path),
  ];

  test("closed sets: a string value the schema does not list is refused by the parser, which lists the same names", () => {
    let enums = 0;
    for (const { name, doc } of corpus) {
      for (const { keys, path, pointer, value } of nodes(doc)) {
        if (typeof value !== "string" || value === PROBE || keys.at(-1) === "$schema") continue;
        const probe = setAt(doc, keys, PROBE);
        const errors = schemaErrors(probe).filter((e) => e.instancePath === pointer);
        const found = problems(probe).filter((p) => p.path === path);
        const where = `${name} at ${path} ("${value}" → "${PROBE}")`;
        const expressible = found.filter((p) => !NOT_EXPRESSIBLE.some((f) => f(p)));
        assert.equal(errors.length > 0, expressible.length > 0,
          `${where}: schema ${errors.map((e) => e.message).join("; ") || "accepts"}, parser ${found.map((p) => p.message).join("; ") || "accepts"}`);
        const allowed = errors.find((e) => e.keyword === "enum")?.params.allowedValues;
        if (!allowed) continue;
        enums++;
        const text = expressible[0].message.replace(/, got .*$/, "").replace(/^.*expected (one of )?/, "");
        const names = text.split(/, | or /).map((n) => n.replaceAll('"', "")).filter((n) => n !== "custom:<name>");
        assert.deepEqual([...names].sort(), [...allowed].sort(), `${where}: the names the schema lists vs. the parser's message`);
      }
    }
    assert.ok(enums > 30, `${enums} closed-set values probed`);
  });

  test("required keys: removing a key is refused by the schema iff the parser refuses it", () => {
    // Besides NOT_EXPRESSIBLE: a removed rule id falls back to one that may be taken, a removed threshold to a
    // default that may be out of order with the other (cold_after vs. cooling_after): relations between values.
    const crossReference = (p) => NOT_EXPRESSIBLE.some((f) => f(p)) || p.code === "duplicate_id" || p.code === "threshold_order";
    for (const { name, doc } of corpus) {
      for (const { keys, path, value } of nodes(doc)) {
        if (!isObject(value)) continue;
        for (const key of Object.keys(value)) {
          const without = changed(doc, keys, (o) => { delete o[key]; });
          const schemaRefuses = schemaErrors(without).length > 0;
          const found = problems(without).filter((p) => !crossReference(p));
          assert.equal(schemaRefuses, found.length > 0,
            `${name}: without ${join_(path, key)}: schema ${schemaRefuses ? "refuses" : "accepts"}, parser ${JSON.stringify(found)}`);
        }
      }
    }
  });

  test("a playbook naming its schema with $schema is accepted; a $schema that is no string is refused by both", () => {
    const doc = { $schema: "./node_modules/rekindle/playbook.schema.json", version: 1, signals: {} };
    assert.deepEqual(schemaErrors(doc), []);
    assert.deepEqual(problems(doc), []);
    const bad = { ...doc, $schema: 1 };
    assert.ok(schemaErrors(bad).some((e) => e.instancePath === "/$schema" && e.keyword === "type"));
    assert.deepEqual(problems(bad).map((p) => [p.path, p.code]), [["$schema", "wrong_type"]]);
  });
});
