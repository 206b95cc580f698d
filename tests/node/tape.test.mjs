// The byte tape both ways (pkg/tape.js encodes inputs, crates/wasm/js/tape.js decodes results): round trips, and
// short strings (decoded by char codes) never come back as another string. What only results use (strings and
// struct shapes kept across tapes) is in result-tape.test.mjs.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { copyTape, encodeEvents, encodeEventsInto, encodeEventsLength, encodeTape } from "../../pkg/tape.js";
import { repoRoot } from "./fixtures.mjs";

const snippets = join(repoRoot, "pkg", "gen", "node", "snippets");
const [snippet] = readdirSync(snippets);
const { decodeTape } = await import(pathToFileURL(join(snippets, snippet, "js", "tape.js")).href);

const problem = (path, reason) => new Error(`${path}: ${reason}`);
const roundTrip = (value) => decodeTape(encodeTape(value, "value", problem).slice());

/** The reader's event field codes (crates/wasm/src/tape/read.rs `EVENT_FIELDS`), by code. */
const EVENT_FIELDS = ["at", "kind", "id", "contact", "machine", "props"];

/**
 * An events tape with every field code (tag 13) spelled out as the string key it stands for: what `encodeTape` writes
 * for the same value. A walk over the tape, since a 13 inside a string or a number is no tag.
 */
function spelled(bytes) {
  const out = [];
  let at = 0;
  const varint = () => {
    let n = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[at++];
      out.push(b);
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n;
      scale *= 128;
    }
  };
  while (at < bytes.length) {
    const tag = bytes[at++];
    if (tag === 13) {
      const name = EVENT_FIELDS[bytes[at++]];
      assert.ok(name !== undefined, "a known field code");
      out.push(4, name.length, ...Buffer.from(name));
      continue;
    }
    out.push(tag);
    if (tag === 3) {
      out.push(...bytes.subarray(at, at + 8));
      at += 8;
    } else if (tag === 4) {
      const n = varint();
      out.push(...bytes.subarray(at, at + n));
      at += n;
    }
  }
  return out;
}

/** The error `encode` throws for `value`, as "path: reason", or null. */
function refusal(encode, value) {
  try {
    encode(value, "events", problem);
    return null;
  } catch (err) {
    return err.message;
  }
}

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

  test("events encode as encodeTape encodes them, with an event's own field names as codes, for every shape", () => {
    const inherited = Object.create({ kind: "purchase", extra: 1 });
    inherited.at = 5;
    inherited.kind = "page_view";
    const lists = [
      [],
      [{ id: "c1-0", at: 1_795_694_400_000, kind: "page_view", props: { path: "/pricing", n: 2, ok: true, no: null } }],
      [{ at: "2026-11-01T09:30:00Z", kind: "email_open", machine: true, contact: "c9", props: null }],
      [{ kind: "profile", at: 1, props: { role: "CEO", company_size: 50 }, id: 7 }, { at: 2, kind: "custom:trial" }],
      // other keys, non-ASCII text, containers, undefined and wrong types: written as `write` writes them
      [{ at: 1, kind: "page_view", extra: { a: [1, "b"] }, "zażółć": "gęś", props: { nested: { deep: [null] } } }],
      [{ at: 1, kind: "page_view", props: [1, 2], machine: "yes", id: undefined, contact: undefined }],
      [{ at: 1, kind: ["page_view"], props: { u: undefined, v: "x".repeat(300) } }, null, "page_view", [1], 5, undefined],
      [{ at: Number.NaN, kind: "page_view", props: { n: Number.POSITIVE_INFINITY } }],
      [inherited],
      [Object.assign(Object.create(null), { at: 1, kind: "page_view" })],
      { events: [] },
      null,
      "page_view",
    ];
    for (const list of lists) {
      const generic = [...encodeTape(list, "events", problem)];
      assert.deepEqual(spelled(encodeEvents(list, "events", problem)), generic, JSON.stringify(list));
      assert.equal(encodeEventsLength(list, "events", problem), encodeEvents(list, "events", problem).length);
    }
    Object.prototype.polluted = "yes";
    try {
      const list = [{ at: 1, kind: "page_view", props: { path: "/" } }];
      assert.deepEqual(spelled(encodeEvents(list, "events", problem)), [...encodeTape(list, "events", problem)]);
    } finally {
      delete Object.prototype.polluted;
    }
  });

  test("encodeEventsLength writes a plain event's fields in a fixed order, the same fields with the same values", () => {
    // The held contact's fast path (Contact.fold): fields read by name, not walked; any event it cannot read that way
    // goes through the walk, so what crosses is what encodeEvents sends, field for field.
    const lengthTape = (list) => {
      const n = encodeEventsLength(list, "events", problem);
      const out = new Uint8Array(n);
      copyTape(out, 0, n);
      return out;
    };
    const decoded = (bytes) => decodeTape(Uint8Array.from(spelled(bytes)));
    const inherited = Object.create({ kind: "purchase" });
    inherited.at = 5;
    const lists = [
      [{ props: { path: "/pricing", n: 2 }, kind: "page_view", id: "c1-0", at: 1_795_694_400_000, machine: false }],
      [{ contact: "c9", at: "2026-11-01T09:30:00Z", kind: "email_open", machine: true, props: null }],
      [{ kind: "page_view", at: 1, id: undefined, extra: 1 }], // an undefined field and an unknown key: walked
      [{ kind: "page_view", at: 1, props: { nested: { deep: [1] } } }, { at: 2, kind: ["x"], props: [1] }],
      [inherited, Object.assign(Object.create(null), { at: 1, kind: "page_view" })],
    ];
    for (const list of lists) {
      assert.deepEqual(decoded(lengthTape(list)), decoded(encodeEvents(list, "events", problem)), JSON.stringify(list));
    }
    // In the fixed order, not the object's: at (code 0) first.
    assert.deepEqual([...lengthTape([{ kind: "page_view", at: 1 }]).subarray(0, 4)], [5, 6, 13, 0]);
    // An enumerable key on Object.prototype would be counted as the event's own: every event is walked then.
    Object.prototype.at = 7;
    try {
      const list = [{ kind: "page_view", props: { path: "/" } }];
      assert.deepEqual([...lengthTape(list)], [...encodeEvents(list, "events", problem)]);
      assert.equal(Object.hasOwn(decoded(lengthTape(list))[0], "at"), false);
    } finally {
      delete Object.prototype.at;
    }
  });

  test("encodeEventsInto writes encodeEventsLength's tape in place, or where copyTape finds it when it does not fit", () => {
    // The held contact's fold encodes into its exchange buffer in wasm memory; a tape larger than the room left moves
    // to the encoder's own buffer part-way, each event still read once.
    const memory = new Uint8Array(4096);
    const data = new DataView(memory.buffer);
    let reads = 0;
    const counted = { at: 1, get kind() { reads++; return "page_view"; }, props: { path: "/" } };
    const lists = [
      [{ props: { path: "/pricing", n: 2 }, kind: "page_view", id: "c1-0", at: 1_795_694_400_000, machine: false }],
      [{ at: 1, kind: "page_view", props: { v: "é".repeat(300), w: "x".repeat(3000) } }, { at: 2, kind: "purchase" }],
      Array.from({ length: 40 }, (_, i) => ({ at: i, kind: "page_view", id: `e${i}`, props: { path: `/p/${i}` } })),
      [counted],
      [],
    ];
    for (const list of lists) {
      const n = encodeEventsLength(list, "events", problem);
      const expected = new Uint8Array(n);
      copyTape(expected, 0, n);
      for (const space of [0, 1, 7, n - 1, n, n + 100, 3000]) {
        if (space < 0 || 100 + space > memory.length) continue;
        memory.fill(0xee);
        reads = 0;
        const length = encodeEventsInto(memory, data, 100, space, list, "events", problem);
        assert.equal(reads, list === lists[3] ? 1 : 0, "each event read once");
        const got = new Uint8Array(length < 0 ? ~length : length);
        if (length >= 0) {
          got.set(memory.subarray(100, 100 + length));
          assert.ok(length <= space);
          assert.equal(memory[100 + space], 0xee, "nothing written past the room");
        } else {
          copyTape(got, 0, ~length);
        }
        assert.deepEqual([...got], [...expected], `${JSON.stringify(list).slice(0, 60)} in ${space} bytes`);
        assert.equal(memory[99], 0xee, "nothing written before the offset");
      }
    }
    // A refusal is the same error, and the encoder's own buffer is used from the start again afterwards.
    const bad = [{ at: 1, kind: "page_view", props: { when: new Date(0) } }];
    assert.equal(refusal((l, b, p) => encodeEventsInto(memory, data, 0, 64, l, b, p), bad), refusal(encodeEventsLength, bad));
    assert.deepEqual([...encodeTape([1], "v", problem)], [5, 3, 0, 0, 0, 0, 0, 0, 240, 63, 8]);
  });

  test("events that cannot cross are refused by encodeEvents at the same path and for the same reason", () => {
    const cyclic = { at: 1, kind: "page_view", props: {} };
    cyclic.props.self = cyclic;
    const loop = { at: 1, kind: "page_view" };
    loop.props = loop;
    const getter = { at: 1, get kind() { throw new Error("boom"); } };
    const bad = [
      [{ at: new Date(0), kind: "page_view" }],
      [{ at: 1, kind: "page_view", props: { when: new Date(0) } }],
      [{ at: 1, kind: "page_view", id: 10n }],
      [{ at: 1, kind: "page_view", props: { n: 10n } }],
      [{ at: 1, kind: "page_view", props: { f() {} } }],
      [{ at: 1, kind: "page_view", props: { s: Symbol("s") } }],
      [{ at: 1, kind: "page_view", extra: [() => 1] }],
      [{ at: 1, kind: "page_view" }, new Date(0)],
      [{ at: 1, kind: "page_view" }, 1n],
      [cyclic],
      [loop],
      [getter],
      new Date(0),
      () => [],
    ];
    for (const list of bad) {
      const generic = refusal(encodeTape, list);
      assert.ok(generic !== null, "encodeTape refuses it");
      assert.equal(refusal(encodeEvents, list), generic);
      assert.equal(refusal(encodeEventsLength, list), generic);
    }
    assert.equal(refusal(encodeEvents, [{ at: 1, kind: "page_view", props: { when: new Date(0) } }]),
      "events[0].props.when: expected epoch milliseconds, got a Date: pass date.getTime()");
  });
});
