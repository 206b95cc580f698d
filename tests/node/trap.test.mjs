// When the wasm traps (a bug: RuntimeError "unreachable"), the facade reports E_INTERNAL, replaces the instance
// and disposes every engine made before, so no handle can touch the broken or the new memory. The trap is
// injected by tests/node/instances.mjs; nothing test-only is compiled into the package.
import "./instances.mjs"; // before "rekindle"
import assert from "node:assert/strict";
import { test } from "node:test";
import { Engine, RekindleError } from "rekindle";
import { examplePlaybook } from "./contacts.mjs";
import { NOW, events, playbook } from "./fixtures.mjs";
import { exportNames, instances, trapNextCall } from "./instances.mjs";

const code = (fn) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RekindleError, `expected a RekindleError, got ${err?.message}`);
    return err;
  }
  assert.fail("expected a RekindleError, but nothing was thrown");
};

test("a trap becomes E_INTERNAL, re-instantiates the wasm and disposes older engines", () => {
  const before = new Engine(playbook);
  const expected = before.evaluate(events, { now: NOW });
  // The facade now holds a view of this instance's memory, with this contact's segment codes in it (a fresh
  // contact: every segment out); after the restart the same addresses must be read in the new memory.
  const saas = examplePlaybook("saas");
  const ceo = [{ at: NOW - 1000, kind: "profile", props: { role: "CEO", company_size: 120 } }];
  const beforeSaas = new Engine(saas);
  const early = beforeSaas.contact(null);
  early.segments({ now: NOW });
  const evaluateExport = exportNames().find((name) => /evaluate/i.test(name));
  assert.ok(evaluateExport, `no evaluate export among ${exportNames().join(", ")}`);
  const count = instances.length;

  trapNextCall(new RegExp(`^${evaluateExport}$`));
  const err = code(() => before.evaluate(events, { now: NOW }));
  assert.equal(err.code, "E_INTERNAL");
  assert.ok(err.cause instanceof WebAssembly.RuntimeError);
  assert.equal(instances.length, count + 1, "the wasm was not re-instantiated");

  assert.equal(code(() => before.evaluate(events, { now: NOW })).code, "E_DISPOSED");
  assert.equal(code(() => before.fold(null, events)).code, "E_DISPOSED");
  assert.equal(code(() => early.fold(events)).code, "E_DISPOSED");
  before.free(); // must not free a pointer into the new instance
  before.free();

  const after = new Engine(playbook);
  assert.deepEqual(after.evaluate(events, { now: NOW }), expected);
  // A held contact's per-event calls use the new instance's memory, not a view of the replaced one.
  const afterSaas = new Engine(saas);
  const held = afterSaas.contact(null);
  held.fold(ceo);
  assert.deepEqual(held.toBytes(), afterSaas.fold(null, ceo));
  const expectedSegments = afterSaas.segments(afterSaas.fold(null, ceo), { now: NOW });
  assert.equal(expectedSegments.decision_makers, true);
  assert.deepEqual(held.segments({ now: NOW }), expectedSegments);
  held.free();
  afterSaas.free();
  const others = Array.from({ length: 50 }, () => new Engine(playbook));
  for (const engine of others) assert.deepEqual(engine.evaluate(events, { now: NOW }), expected);
  for (const engine of others) engine.free();
  after.free();
});

test("a RekindleError from the wasm is not a trap: engines stay usable", () => {
  const engine = new Engine(playbook);
  const count = instances.length;
  assert.equal(code(() => engine.fold(null, [{ at: "yesterday", kind: "page_view" }])).code, "E_INPUT_INVALID");
  assert.equal(instances.length, count);
  assert.equal(engine.evaluate(events, { now: NOW }).stage, "mql");
  engine.free();
});
