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

test("a held contact gives back the buffers a large batch grew, so held contacts stay small", () => {
  // 40 contacts held at once, each folding one 5,000-event batch (a 0.5 MB tape, 0.35 MB of parsed events), then
  // per-event calls. Measured: both buffers kept, memory grew 48.5 MB; only the tape's given back, 26 MB; both,
  // 3.6 MB (the states and the allocator's own slack).
  const memory = instances.at(-1).exports.memory;
  const engine = new Engine(saas);
  const batch = Array.from({ length: 5_000 }, (_, i) => ({
    id: `e${i}`,
    at: NOW - 5_000_000 + i * 1000,
    kind: "page_view",
    props: { path: `/blog/post-${i % 300}`, referrer: "https://news.example.test/" },
  }));
  const held = [];
  const before = memory.buffer.byteLength;
  for (let i = 0; i < 40; i += 1) {
    const contact = engine.contact(null);
    contact.fold(batch);
    contact.fold([{ at: NOW, kind: "page_view", props: { path: "/pricing" } }]);
    contact.segments({ now: NOW });
    held.push(contact);
  }
  const grown = memory.buffer.byteLength - before;
  assert.ok(grown < 8 * 1024 * 1024, `40 held contacts grew memory by ${grown} bytes`);
  for (const c of held) c.free();
  engine.free();
});
