// Creating, using and freeing engines in a loop must not grow the wasm memory once warmed up: a leak of a
// few hundred bytes per iteration would show up as growth within 2,000 iterations. The loop runs every
// method, including update() and segments(), on saas.json (segments, lifecycle, policy).
import "./instances.mjs"; // before "rekindle": records the wasm instance so its memory can be measured
import assert from "node:assert/strict";
import { test } from "node:test";
import { Engine } from "rekindle";
import { examplePlaybook } from "./contacts.mjs";
import { NOW, events, playbook } from "./fixtures.mjs";

const saas = examplePlaybook("saas");
import { instances } from "./instances.mjs";

function cycle() {
  const engine = new Engine(saas);
  const state = engine.fold(null, events);
  engine.decide(state, { now: NOW });
  engine.evaluate(events, { now: NOW });
  engine.inspect(state);
  engine.update(state, events);
  engine.segments(state, { now: NOW });
  try {
    engine.fold(null, [{ at: "yesterday", kind: "page_view" }]);
  } catch {
    // the error path must not leak either
  }
  engine.free();
}

test("a create/evaluate/free loop does not grow wasm memory after warm-up", () => {
  const memory = instances.at(-1)?.exports.memory;
  assert.ok(memory instanceof WebAssembly.Memory, "the wasm instance's memory was not recorded");
  for (let i = 0; i < 200; i += 1) cycle();
  const warm = memory.buffer.byteLength;
  for (let i = 0; i < 2000; i += 1) cycle();
  assert.equal(memory.buffer.byteLength, warm, `memory grew from ${warm} to ${memory.buffer.byteLength} bytes`);
});

test("engines that are never freed do grow memory, so the plateau above is meaningful", () => {
  const memory = instances.at(-1).exports.memory;
  const before = memory.buffer.byteLength;
  const kept = [];
  for (let i = 0; i < 2000 && memory.buffer.byteLength === before; i += 1) {
    const engine = new Engine(playbook);
    kept.push(engine, engine.fold(null, events));
  }
  assert.ok(memory.buffer.byteLength > before, "2,000 live engines did not grow memory: the measurement sees nothing");
  for (const item of kept) if (item instanceof Engine) item.free();
});
