// The byte tape both ways (pkg/tape.js encodes inputs, crates/wasm/js/tape.js decodes results): round trips, and
// short strings (decoded by char codes) never come back as another string. What only results use (strings and
// struct shapes kept across tapes) is in result-tape.test.mjs.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { encodeTape } from "../../pkg/tape.js";
import { repoRoot } from "./fixtures.mjs";

const snippets = join(repoRoot, "pkg", "gen", "node", "snippets");
const [snippet] = readdirSync(snippets);
const { decodeTape } = await import(pathToFileURL(join(snippets, snippet, "js", "tape.js")).href);

const problem = (path, reason) => new Error(`${path}: ${reason}`);
const roundTrip = (value) => decodeTape(encodeTape(value, "value", problem).slice());

describe("tape", () => {
  test("values round trip: null, booleans, numbers, strings, arrays, nested objects, non-ASCII text", () => {
    const value = { a: null, b: [true, false, 0, -1.5, 2 ** 53 - 1], c: { d: "zażółć", e: "x".repeat(200), f: "" } };
    assert.deepEqual(roundTrip(value), value);
  });

  test("a key set to undefined crosses as no key, as JSON.stringify leaves it; in an array undefined is null", () => {
    const value = { a: 1, b: undefined, c: { d: undefined, e: null }, f: [undefined, 2] };
    assert.deepEqual(roundTrip(value), JSON.parse(JSON.stringify(value)));
    assert.deepEqual(roundTrip(value), { a: 1, c: { e: null }, f: [null, 2] });
  });

  test("only an object's own keys cross, in their order, even with enumerable keys on its prototype", () => {
    // The encoder walks keys with for-in (cheaper than Object.keys) and skips inherited ones: a polluted
    // Object.prototype must not add fields to an event.
    const inherited = Object.create({ kind: "purchase", extra: 1 });
    inherited.at = 5;
    inherited.kind = "page_view";
    assert.deepEqual(Object.keys(roundTrip(inherited)), ["at", "kind"]);
    assert.deepEqual(roundTrip(inherited), { at: 5, kind: "page_view" });
    Object.prototype.polluted = "yes";
    try {
      assert.deepEqual(Object.keys(roundTrip({ b: 1, a: { c: 2 } })), ["b", "a"]);
      assert.equal(Object.hasOwn(roundTrip({ a: { c: 2 } }).a, "polluted"), false);
    } finally {
      delete Object.prototype.polluted;
    }
  });

  test("strings whose cache hashes collide decode as themselves, first seen or cached", () => {
    // "Aa" and "BB" have the same 31-based hash (65·31 + 97 = 66·31 + 66), and so do the keys built from them.
    const value = { Aa: "BB", BB: "Aa", list: ["Aa", "BB", "AaBB", "BBAa", "AaAa", "BBBB"] };
    for (let i = 0; i < 3; i++) assert.deepEqual(roundTrip(value), value);
  });

  test("after the cache is full, new strings still decode correctly and cached ones still hit", () => {
    const many = Array.from({ length: 6000 }, (_, i) => `id-${i}`);
    assert.deepEqual(roundTrip(many), many);
    assert.deepEqual(roundTrip(many.slice().reverse()), many.slice().reverse());
    assert.deepEqual(roundTrip({ "id-1": "id-5999" }), { "id-1": "id-5999" });
  });
});
