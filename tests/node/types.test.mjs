// pkg/index.d.ts cannot drift from what the engine returns: real decisions (every shared vector, the sample
// contacts and seeded contacts for the three example playbooks), update() results, segments() maps and
// inspect() views are checked value by value against the declared types, read with the TypeScript compiler.
// Every key must be declared, every declared required key must be present, literal unions (phases, verdicts,
// gates, reason kinds) must contain the value; and every declared decision key must be seen at least once.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { before, describe, test } from "node:test";
import ts from "typescript";
import { Engine, fitRetention, retention } from "rekindle";
import { loadVectors } from "../support/load-vectors.mjs";
import { EXAMPLE_PLAYBOOKS, examplePlaybook, sampleContacts, seededContacts } from "./contacts.mjs";
import { NOW, repoRoot } from "./fixtures.mjs";

const TAGS = ["kind", "verdict", "gate", "status"];

/** The declared types of the package, as the TypeScript checker resolves them. */
function declaredTypes() {
  // The file the package's `node` condition names for types, as TypeScript users in Node resolve it: the
  // declarations every entry shares plus the Node entry's (retention and fitRetention are checked below).
  const manifest = createRequire(import.meta.url).resolve("rekindle/package.json");
  const file = join(dirname(manifest), JSON.parse(readFileSync(manifest, "utf8")).exports["."].node.types);
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts", "lib.esnext.disposable.d.ts"],
    strict: true,
    noEmit: true,
    // Only the package's own declarations: no ambient @types from node_modules (a dev dependency's
    // @types/trusted-types, pulled in by posthog-js → dompurify, does not compile under these options).
    types: [],
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  assert.deepEqual(diagnostics, [], "node.d.ts compiles on its own");
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)));
  const type = (name) => {
    const symbol = exports.find((s) => s.name === name);
    assert.ok(symbol, `index.d.ts exports ${name}`);
    return checker.getDeclaredTypeOfSymbol(symbol);
  };
  /** The return type of an exported function. */
  const returnOf = (name) => {
    const symbol = exports.find((s) => s.name === name);
    assert.ok(symbol, `index.d.ts exports ${name}`);
    return checker.getReturnTypeOfSignature(checker.getTypeOfSymbol(symbol).getCallSignatures()[0]);
  };
  return { checker, type, returnOf };
}

/**
 * Checks `value` against `type`; pushes one message per mismatch into `errors` and records each
 * (declared object type, property) pair it visits into `seen`.
 */
function shapeChecker(c) {
  const name = (t) => c.typeToString(t);
  const members = (t) => (t.isUnion() ? t.types : [t]);
  const objectMembers = (t) => members(t).filter((m) => m.flags & ts.TypeFlags.Object);
  const literal = (value) => {
    if (typeof value === "string") return c.getStringLiteralType(value);
    if (typeof value === "number") return c.getNumberLiteralType(value);
    return value ? c.getTrueType() : c.getFalseType();
  };

  /** For a union of object types, the member whose tag property (`kind`, `verdict`, `gate`) matches. */
  function chooseMember(candidates, value, path, errors) {
    if (candidates.length === 1) return candidates[0];
    for (const tag of TAGS) {
      if (!(tag in value)) continue;
      const found = candidates.find((m) => {
        const prop = m.getProperty(tag);
        return prop && c.isTypeAssignableTo(literal(value[tag]), c.getTypeOfSymbol(prop));
      });
      if (found) return found;
      errors.push(`${path}: ${tag} "${value[tag]}" is not declared (expected one of ${candidates.map(name).join(" | ")})`);
      return null;
    }
    errors.push(`${path}: cannot tell which of ${candidates.map(name).join(" | ")} this is`);
    return null;
  }

  function check(value, type, path, errors, seen) {
    if (value === null || typeof value !== "object") {
      const ok = value === null
        ? members(type).some((m) => m.flags & ts.TypeFlags.Null)
        : ["string", "number", "boolean"].includes(typeof value) && c.isTypeAssignableTo(literal(value), type);
      if (!ok) errors.push(`${path}: ${JSON.stringify(value)} is not a ${name(type)}`);
      return;
    }
    const objects = objectMembers(type);
    if (value instanceof Uint8Array) {
      if (!objects.some((m) => m.symbol?.name === "Uint8Array")) errors.push(`${path}: a Uint8Array is not a ${name(type)}`);
      return;
    }
    if (Array.isArray(value)) {
      const arrayType = objects.find((m) => c.isArrayType(m) || c.isTupleType(m));
      if (!arrayType) {
        errors.push(`${path}: an array is not a ${name(type)}`);
        return;
      }
      const args = c.getTypeArguments(arrayType);
      if (c.isTupleType(arrayType) && args.length !== value.length) errors.push(`${path}: expected ${args.length} items`);
      value.forEach((item, i) => check(item, c.isTupleType(arrayType) ? args[i] : args[0], `${path}[${i}]`, errors, seen));
      return;
    }
    const plain = objects.filter((m) => !c.isArrayType(m) && !c.isTupleType(m));
    if (plain.length === 0) {
      errors.push(`${path}: an object is not a ${name(type)}`);
      return;
    }
    const member = chooseMember(plain, value, path, errors);
    if (member === null) return;
    const index = c.getIndexInfosOfType(member)[0];
    for (const [key, item] of Object.entries(value)) {
      const prop = member.getProperty(key);
      if (prop) {
        seen?.add(`${name(member)}.${key}`);
        check(item, c.getTypeOfSymbol(prop), `${path}.${key}`, errors, seen);
      } else if (index) {
        check(item, index.type, `${path}.${key}`, errors, seen);
      } else {
        errors.push(`${path}.${key}: not declared in ${name(member)}`);
      }
    }
    for (const prop of c.getPropertiesOfType(member)) {
      if (!(prop.flags & ts.SymbolFlags.Optional) && !(prop.name in value)) {
        errors.push(`${path}.${prop.name}: declared in ${name(member)} but missing`);
      }
    }
  }

  /** Every (object type, property) pair reachable from `type`, as check() names them. */
  function declaredKeys(type, out = new Set(), done = new Set()) {
    for (const m of objectMembers(type)) {
      if (c.isArrayType(m) || c.isTupleType(m)) {
        for (const arg of c.getTypeArguments(m)) declaredKeys(arg, out, done);
        continue;
      }
      if (done.has(m)) continue;
      done.add(m);
      for (const prop of c.getPropertiesOfType(m)) {
        out.add(`${name(m)}.${prop.name}`);
        declaredKeys(c.getTypeOfSymbol(prop), out, done);
      }
    }
    return out;
  }

  return { check, declaredKeys };
}

/** Every decision-producing input: vectors, sample contacts, seeded contacts on the three example playbooks. */
function corpus() {
  const cases = [];
  for (const { name, vector } of loadVectors(repoRoot)) {
    if (vector.expect) cases.push({ name: `vector ${name}`, playbook: vector.input.playbook, events: vector.input.events ?? [], now: vector.input.now ?? NOW });
  }
  const samples = sampleContacts();
  const samplesNow = Date.parse(samples.now);
  for (const contact of samples.contacts) {
    cases.push({ name: `sample ${contact.id}`, playbook: examplePlaybook("saas"), events: contact.events, now: samplesNow });
  }
  for (const [i, name] of EXAMPLE_PLAYBOOKS.entries()) {
    const playbook = examplePlaybook(name);
    for (const contact of seededContacts(playbook, { seed: 4000 + i, count: 60, now: NOW })) {
      cases.push({ name: `${name} ${contact.id}`, playbook, events: contact.events, now: NOW });
    }
  }
  return cases;
}

describe("index.d.ts matches what the engine returns", () => {
  let types;
  let walker;
  const cases = corpus();
  before(() => {
    types = declaredTypes();
    walker = shapeChecker(types.checker);
  });

  test("every decision, update, segments map and state view has exactly the declared shape", () => {
    for (const name of EXAMPLE_PLAYBOOKS) assert.ok(cases.some((c) => c.name.startsWith(`${name} `)), `${name} is in the corpus`);
    const errors = [];
    const seen = new Set();
    const engines = new Map();
    for (const { name, playbook, events, now } of cases) {
      let engine = engines.get(playbook);
      if (!engine) engines.set(playbook, (engine = new Engine(playbook)));
      const before = errors.length;
      const { state, deltas } = engine.update(null, events);
      walker.check({ state, deltas }, types.type("Update"), "update", errors);
      walker.check(engine.decide(state, { now }), types.type("Decision"), "decision", errors, seen);
      walker.check(engine.segments(state, { now }), types.type("SegmentMemberships"), "segments", errors);
      walker.check(engine.inspect(state), types.type("StateView"), "inspect", errors);
      for (let i = before; i < errors.length; i += 1) errors[i] = `${name}: ${errors[i]}`;
      if (errors.length > 20) break;
    }
    for (const engine of engines.values()) engine.free();
    assert.deepEqual(errors.slice(0, 20), [], `${errors.length} mismatches between index.d.ts and real output`);
    const unseen = [...walker.declaredKeys(types.type("Decision"))].filter((key) => !seen.has(key));
    assert.deepEqual(unseen, [], "declared decision keys that no real decision produced (drift, or a gap in the corpus)");
  });

  test("retention analyses and fits have exactly the declared shape (issue 8)", () => {
    const cdnow = (f) => readFileSync(join(repoRoot, "crates/core/tests/fixtures/cdnow", f), "utf8").trim().split("\n");
    const log = cdnow("CDNOW_sample.txt").map((line) => {
      const [, id, d, , dollars] = line.trim().split(/\s+/);
      return { customer: id, at: Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8)), amount: +dollars };
    });
    const end = Date.UTC(1997, 8, 30);
    // A negative rating and a playbook that turns every early-warning reason on.
    const playbook = { version: 1, signals: { bad: { kind: "custom:review" } }, retention: { churn: { negative_rating: { signal: "bad" } } } };
    const ratings = [{ customer: log[0].customer, at: end - 86_400_000 }];
    const analyses = [
      // …and a stated churn reason (D39), NPS answers and a referral (D38), so their declared shapes meet real ones.
      retention(log, { now: end, unit: "7d", playbook, negativeRatings: ratings,
        statedReasons: [{ customer: log[0].customer, reason: "too expensive", at: end - 2 * 86_400_000 }],
        npsAnswers: [{ customer: log[0].customer, at: end - 3 * 86_400_000, score: 9 }],
        referrals: [{ customer: log[0].customer, at: end - 4 * 86_400_000, referred: log[1].customer }] }),
      retention(log.slice(0, 40), { now: end }),
      retention([], { now: end }),
    ];
    const rows = cdnow("cdnow_customers_summary_with_transactions.csv").slice(1).map((l) => l.split(",").map(Number));
    const fits = [
      fitRetention({ frequency: rows.map((r) => r[1]), recency: rows.map((r) => r[2]), T: rows.map((r) => r[3]), monetary: rows.map((r) => r[4]) }),
      fitRetention({ frequency: [0], recency: [0], T: [1] }),
      // Two repeat buyers cannot pin Gamma-Gamma down: its search ends unconverged (a notConverged warning).
      fitRetention({ frequency: [1, 4], recency: [5, 20], T: [30, 30], monetary: [99, 84] }),
    ];
    const errors = [];
    const seen = new Set();
    const fitType = types.returnOf("fitRetention");
    analyses.forEach((a, i) => walker.check(a, types.type("RetentionAnalysis"), `analysis[${i}]`, errors, seen));
    fits.forEach((f, i) => walker.check(f, fitType, `fit[${i}]`, errors, seen));
    assert.deepEqual(errors.slice(0, 20), [], `${errors.length} mismatches between index.d.ts and real retention output`);
    const unseen = [...walker.declaredKeys(types.type("RetentionAnalysis"))].filter((key) => !seen.has(key));
    assert.deepEqual(unseen, [], "declared retention keys that no real analysis produced");
  });

  test("the check rejects an undeclared key, a missing key and a value outside a literal union", () => {
    const engine = new Engine(examplePlaybook("saas"));
    const decision = engine.decide(null, { now: NOW });
    engine.free();
    const errors = [];
    const broken = structuredClone(decision);
    broken.lifecycle.state = "dormant";
    broken.send.email = { verdict: "defer", reasons: [] };
    broken.extra = 1;
    delete broken.validUntil;
    walker.check(broken, types.type("Decision"), "d", errors);
    assert.deepEqual(errors.sort(), [
      'd.extra: not declared in Decision',
      'd.lifecycle.state: "dormant" is not a Phase',
      "d.send.email.until: declared in { verdict: \"defer\"; until: number; reasons: Gate[]; } but missing",
      "d.validUntil: declared in Decision but missing",
    ]);
  });
});
