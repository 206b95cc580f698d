// Messages must name the real cause of a near miss: NaN is not "a number", bytes that are not a state are not
// "an unknown version", an ArrayBuffer or a state sent through JSON is not "a object", a Date is not epoch ms.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Engine, retention } from "rekindle";
import { NOW, failure, playbook } from "./fixtures.mjs";

test("a NaN or infinite prop is named NaN or Infinity, not 'a number'", () => {
  const engine = new Engine(playbook);
  for (const [n, got] of [[Number.NaN, "NaN"], [Infinity, "Infinity"], [-Infinity, "-Infinity"]]) {
    const message = failure(() => engine.fold(null, [{ at: NOW, kind: "page_view", props: { path: "/", n } }]));
    assert.equal(message, `E_INPUT_INVALID events[0].props.n: events[0].props.n: expected a string, number, boolean or null, got ${got}`);
  }
  engine.free();
});

test("bytes that are not a state say so, with the first byte a state starts with", () => {
  const engine = new Engine(playbook);
  const message = failure(() => engine.decide(new Uint8Array([1, 2, 3, 4, 5]), { now: NOW }));
  assert.match(message, /^E_STATE_INVALID state: state: not rekindle state bytes, or a state of an unknown version: the first byte is 1/);
  const first = engine.fold(null, [])[0];
  assert.ok(message.includes(`bytes that start with ${first}`), message);
  engine.free();
});

test("an ArrayBuffer and a state sent through JSON are named, with the fix", () => {
  const engine = new Engine(playbook);
  const state = engine.fold(null, [{ at: NOW, kind: "page_view", props: { path: "/pricing" } }]);
  assert.equal(failure(() => engine.decide(state.buffer, { now: NOW })),
    "E_INPUT_INVALID state: state: expected a Uint8Array from fold(), or null, got an ArrayBuffer: pass new Uint8Array(buffer)");
  const viaJson = JSON.parse(JSON.stringify(state));
  assert.equal(failure(() => engine.decide(viaJson, { now: NOW })),
    "E_INPUT_INVALID state: state: expected a Uint8Array from fold(), or null, got an object " +
    "(a state must be the Uint8Array from fold() or toBytes(); JSON.stringify does not keep it)");
  assert.match(failure(() => engine.inspect("text")), /got a string$/, "a string, not 'a string' mangled");
  assert.match(failure(() => engine.decide(state, 5)), /^E_INPUT_INVALID options: .*got the number 5$/);
  engine.free();
});

test("retention names a Date and an undefined column with the right article and the fix", () => {
  assert.equal(failure(() => retention([], { now: new Date(NOW) })),
    "E_INPUT_INVALID options.now: options.now: expected whole epoch milliseconds like Date.now(), got a Date (pass date.getTime())");
  assert.equal(failure(() => retention({ at: [] }, { now: NOW })),
    "E_INPUT_INVALID transactions.customer: transactions.customer: expected an array of ids, got undefined");
});
