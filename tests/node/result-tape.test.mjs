// The result tape's reader (crates/wasm/js/tape.js) on hand-written tapes: strings and struct shapes kept across
// tapes, the writer starting over, string decoding edge cases, and objects built by generated code being the same
// plain objects as the loop builds. Then the engine end to end: decisions stay plain JSON objects, the same on
// every call, while the tables fill and start over.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import * as rekindle from "rekindle";
import { repoRoot } from "./fixtures.mjs";

const snippets = join(repoRoot, "pkg", "gen", "node", "snippets");
const [snippet] = readdirSync(snippets);
const readerUrl = pathToFileURL(join(snippets, snippet, "js", "tape.js")).href;
// A module instance of its own: the engine's reader keeps tables in step with its wasm; these tapes must not move them.
let instances = 0;
const freshReader = async () => (await import(`${readerUrl}?test=${instances++}`)).decodeTape;

const NULL = 0, FALSE = 1, TRUE = 2, ARRAY = 5, OBJECT = 6, END = 8, KEEP = 9, KEPT = 10, STRUCT = 11, SYNC = 12;
const STRING = 4;
const utf8 = new TextEncoder();
const spelled = (tag, text) => {
  const bytes = utf8.encode(text);
  const length = [];
  for (let n = bytes.length; ; n = Math.floor(n / 128)) {
    if (n < 128) {
      length.push(n);
      break;
    }
    length.push((n % 128) | 128);
  }
  return [tag, ...length, ...bytes];
};
const keep = (text) => spelled(KEEP, text);
const tape = (...parts) => Uint8Array.from(parts.flat());

describe("result tape reader", () => {
  test("kept strings are read once, then by index in later tapes", async () => {
    const decode = await freshReader();
    assert.deepEqual(decode(tape([SYNC, 0, 0, ARRAY], keep("mql"), keep("sql"), [KEPT, 0, END])), ["mql", "sql", "mql"]);
    assert.deepEqual(decode(tape([SYNC, 2, 0, ARRAY, KEPT, 1, KEPT, 0, END])), ["sql", "mql"]);
  });

  test("a writer that started over is followed; a reader behind its writer refuses and starts over", async () => {
    const decode = await freshReader();
    decode(tape([SYNC, 0, 0, ARRAY], keep("a"), keep("b"), [END]));
    // Started over: index 0 is now the new string.
    assert.deepEqual(decode(tape([SYNC, 0, 0, ARRAY], keep("c"), [KEPT, 0, END])), ["c", "c"]);
    assert.throws(() => decode(tape([SYNC, 5, 0, NULL])), /out of step/);
    // After a failure the reader holds nothing, as the writer (tape::forget): a fresh start reads again.
    assert.throws(() => decode(tape([SYNC, 1, 0, NULL])), /out of step/);
    assert.deepEqual(decode(tape([SYNC, 0, 0], keep("d"))), "d");
  });

  test("structs: values then a shape, named once and kept; inline shapes are not kept", async () => {
    const decode = await freshReader();
    const first = tape([SYNC, 0, 0, ARRAY, STRUCT, TRUE, NULL, END, 1, 2], keep("stage"), keep("at"), [STRUCT, FALSE, TRUE, END, 1, END]);
    assert.deepEqual(decode(first), [{ stage: true, at: null }, { stage: false, at: true }]);
    assert.deepEqual(Object.keys(decode(tape([SYNC, 2, 1, STRUCT, NULL, NULL, END, 1]))), ["stage", "at"]);
    // Shape 0 is spelled in place and forgotten: the next new kept shape is still number 1 (index 1 + 1).
    const inline = tape([SYNC, 2, 1, ARRAY, STRUCT, TRUE, END, 0, 1, KEPT, 1, STRUCT, FALSE, END, 2, 1, KEPT, 0, END]);
    assert.deepEqual(decode(inline), [{ at: true }, { stage: false }]);
    assert.deepEqual(decode(tape([SYNC, 2, 2, ARRAY, STRUCT, NULL, END, 2, STRUCT, NULL, NULL, END, 1, END])), [
      { stage: null },
      { stage: null, at: null },
    ]);
  });

  test("structs nest, in arrays and in each other, and keep their field order", async () => {
    const decode = await freshReader();
    const inner = [STRUCT, ARRAY, TRUE, FALSE, END, END, 1, 1, ...keep("list")];
    const outer = tape([SYNC, 0, 0, STRUCT, ...inner, ARRAY, STRUCT, ARRAY, END, END, 1, END, END, 2, 2], keep("z"), keep("a"));
    const value = decode(outer);
    assert.deepEqual(value, { z: { list: [true, false] }, a: [{ list: [] }] });
    assert.deepEqual(Object.keys(value), ["z", "a"]);
  });

  test("strings: empty, multi-byte UTF-8, ASCII at and past 64 bytes, long non-ASCII", async () => {
    const decode = await freshReader();
    const texts = ["", "zażółć gęślą jaźń", "😀 emoji", "x".repeat(64), "y".repeat(65), "é".repeat(300), "k".repeat(200)];
    const local = tape([ARRAY], ...texts.map((t) => spelled(STRING, t)), [END]);
    assert.deepEqual(decode(local), texts);
    const keptTexts = texts.slice(0, 5);
    assert.deepEqual(decode(tape([SYNC, 0, 0, ARRAY], ...keptTexts.map(keep), [END])), keptTexts);
    assert.deepEqual(decode(tape([SYNC, 5, 0, ARRAY, KEPT, 1, KEPT, 2, KEPT, 0, END])), [texts[1], texts[2], ""]);
  });

  test("tapes without a header (the facade's input tapes) leave the kept tables alone", async () => {
    const decode = await freshReader();
    decode(tape([SYNC, 0, 0], keep("kept")));
    assert.deepEqual(decode(tape([OBJECT], spelled(STRING, "k"), [TRUE, END])), { k: true });
    assert.equal(decode(tape([SYNC, 1, 0, KEPT, 0])), "kept");
  });

  test("Node refusing generated code builds the same objects by the loop", () => {
    // The same hand-written tape read in a Node that forbids code generation from strings.
    const script = `
      const { decodeTape } = await import(${JSON.stringify(readerUrl)});
      const bytes = Uint8Array.from(${JSON.stringify([...tape([SYNC, 0, 0, ARRAY, STRUCT, TRUE, NULL, END, 1, 2], keep("b"), keep("a"), [STRUCT, FALSE, TRUE, END, 1, END])])});
      console.log(JSON.stringify(decodeTape(bytes)));`;
    const out = execFileSync(process.execPath, ["--disallow-code-generation-from-strings", "--input-type=module", "-e", script]);
    assert.equal(out.toString().trim(), '[{"b":true,"a":null},{"b":false,"a":true}]');
  });
});

describe("decisions through the kept tables", () => {
  const playbook = JSON.parse(readFileSync(join(repoRoot, "examples", "playbooks", "ecommerce.json"), "utf8"));
  const now = Date.UTC(2026, 10, 26, 12);
  const events = [
    { kind: "profile", at: now - 9e8, props: { email: "a@example.com", country: "DE" } },
    { kind: "page_view", at: now - 8e8, props: { path: "/pricing" } },
    { kind: "purchase", at: now - 7e8, props: { value: 40, order_id: "o-1" } },
  ];

  test("a decision is a plain JSON object, the same on every call and after other results filled the tables", async () => {
    await rekindle.init();
    const engine = new rekindle.Engine(playbook);
    const state = engine.fold(null, events);
    const first = engine.decide(state, { now });
    const text = JSON.stringify(first);
    assert.equal(Object.getPrototypeOf(first), Object.prototype);
    assert.deepEqual(JSON.parse(text), first);
    assert.deepEqual(structuredClone(first), first);
    assert.deepEqual({ ...first }, first);
    // An import of thousands of strings that never repeat: past the kept table's cap within one result (spelled
    // out from there), and the tables start over at the next. Decisions before and after read the same.
    for (let round = 0; round < 2; round++) {
      const rows = ["Record ID,Email,First Name,Create Date"];
      for (let i = 0; i < 3000; i++) rows.push(`${i},u${round}-${i}@example.com,N${i},2025-01-01 10:00`);
      const { contacts } = rekindle.importContacts("hubspot", new TextEncoder().encode(rows.join("\n")));
      assert.equal(contacts.length, 3000);
      assert.deepEqual(contacts[2999].fields, { first_name: "N2999" });
      assert.equal(contacts[2999].email, `u${round}-2999@example.com`);
      assert.equal(JSON.stringify(engine.decide(state, { now })), text);
    }
    assert.equal(JSON.stringify(engine.cta(state, { now })), JSON.stringify(first.cta));
  });
});
