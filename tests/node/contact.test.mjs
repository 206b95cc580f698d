// engine.contact(): a contact's state held in wasm memory gives exactly what the stateless calls give, event by
// event, and follows the same lifetime rules (free, dispose, E_DISPOSED).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Contact, Engine, RekindleError } from "rekindle";
import { EXAMPLE_PLAYBOOKS, examplePlaybook, seededContacts } from "./contacts.mjs";
import { NOW } from "./fixtures.mjs";

/** The memberships a decision lists, as segments() returns them: an independent reference for its objects. */
const fromDecision = (d) => Object.fromEntries(d.segments.map((s) => [s.id, s.unknown ? null : s.member]));

for (const name of EXAMPLE_PLAYBOOKS) {
  test(`a held contact folds, decides and classifies exactly like the state-bytes API (${name})`, () => {
    const engine = new Engine(examplePlaybook(name));
    try {
      for (const { events } of seededContacts(examplePlaybook(name), { seed: 7, count: 12, now: NOW })) {
        const sorted = [...events].sort((a, b) => a.at - b.at);
        const contact = engine.contact(null);
        assert.ok(contact instanceof Contact);
        let bytes = null;
        for (const e of sorted) {
          const deltasHeld = contact.update([e]);
          const stateless = engine.update(bytes, [e]);
          bytes = stateless.state;
          assert.deepEqual(deltasHeld, stateless.deltas, "same enter/exit deltas");
          const segments = contact.segments({ now: e.at });
          assert.deepEqual(segments, engine.segments(bytes, { now: e.at }));
          assert.deepEqual(segments, fromDecision(engine.decide(bytes, { now: e.at })));
        }
        assert.deepEqual(contact.toBytes(), bytes, "same state bytes");
        assert.deepEqual(contact.decide({ now: NOW }), engine.decide(bytes, { now: NOW }));
        assert.deepEqual(contact.inspect(), engine.inspect(bytes));
        contact.free();
      }
    } finally {
      engine.free();
    }
  });
}

test("a contact opened from saved bytes continues where they left off", () => {
  const engine = new Engine(examplePlaybook("saas"));
  const events = [
    { at: NOW - 3_600_000, kind: "page_view", props: { path: "/pricing" } },
    { at: NOW - 60_000, kind: "page_view", props: { path: "/pricing" } },
  ];
  const saved = engine.fold(null, events.slice(0, 1));
  const contact = engine.contact(saved);
  contact.fold(events.slice(1));
  assert.deepEqual(contact.toBytes(), engine.fold(null, events));
  contact.free();
  engine.free();
});

test("changed() says whether the state differs from the bytes the contact was opened from (D44: rewrite only then)", () => {
  const engine = new Engine(examplePlaybook("saas"));
  const pricing = (at) => ({ at, kind: "page_view", props: { path: "/pricing" } });
  const fresh = engine.contact(null);
  assert.equal(fresh.changed(), false, "a new contact is an empty state");
  fresh.fold([]);
  assert.equal(fresh.changed(), false, "folding no events changes nothing");
  fresh.fold([pricing(NOW - 3_600_000)]);
  assert.equal(fresh.changed(), true);
  fresh.toBytes();
  assert.equal(fresh.changed(), true, "reading the bytes is not saving them: still changed against what it was opened from");
  const saved = fresh.toBytes();
  const reopened = engine.contact(saved);
  assert.equal(reopened.changed(), false, "opened from bytes: unchanged until something is folded");
  assert.deepEqual(reopened.decide({ now: NOW }).stage, fresh.decide({ now: NOW }).stage, "deciding changes nothing");
  assert.equal(reopened.changed(), false);
  reopened.fold([pricing(NOW - 60_000)]);
  assert.equal(reopened.changed(), true);
  // An independent check of what changed() answers: the bytes themselves.
  const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
  assert.equal(reopened.changed(), !same(reopened.toBytes(), saved));
  fresh.free();
  reopened.free();
  assert.throws(() => reopened.changed(), (e) => e instanceof RekindleError && e.code === "E_DISPOSED");
  engine.free();
});

test("a freed contact, or one of a freed engine's, throws E_DISPOSED; free is idempotent", () => {
  const engine = new Engine(examplePlaybook("saas"));
  const contact = engine.contact();
  contact.free();
  contact.free();
  assert.throws(() => contact.decide({ now: NOW }), (e) => e instanceof RekindleError && e.code === "E_DISPOSED");
  const disposed = engine.contact();
  disposed[Symbol.dispose]();
  assert.throws(() => disposed.toBytes(), (e) => e.code === "E_DISPOSED");
  engine.free();
  assert.throws(() => engine.contact(), (e) => e.code === "E_DISPOSED");
});

test("bad input to a contact is located and leaves its state untouched", () => {
  const engine = new Engine(examplePlaybook("saas"));
  const contact = engine.contact();
  contact.fold([{ at: NOW, kind: "page_view", props: { path: "/pricing" } }]);
  const before = contact.toBytes();
  assert.throws(
    () => contact.fold([{ at: "yesterday", kind: "page_view" }]),
    (e) => e instanceof RekindleError && e.code === "E_INPUT_INVALID" && e.path === "events[0].at",
  );
  assert.throws(() => contact.decide({ now: 1.5 }), (e) => e.code === "E_INPUT_INVALID" && e.path === "options.now");
  assert.throws(() => engine.contact(new Uint8Array([9, 9])), (e) => e.code === "E_STATE_INVALID");
  assert.deepEqual(contact.toBytes(), before);
  contact.free();
  engine.free();
});

test("a held contact reports the first problem of an event in the event's own key order, as engine.fold does", () => {
  // Contact.fold sends an event's fields in a fixed order (pkg/tape.js `known`); which of several problems is
  // reported first must still follow the object, as everywhere else.
  const engine = new Engine(examplePlaybook("saas"));
  const contact = engine.contact();
  const failure = (fn) => {
    try {
      fn();
    } catch (e) {
      return `${e.code} ${e.path}: ${e.message}`;
    }
    assert.fail("accepted");
  };
  // Each pair is one event with two problems, its keys in two orders: the reported problem follows the order.
  for (const pair of [
    [{ kind: "no_such_kind", at: "yesterday" }, { at: "yesterday", kind: "no_such_kind" }],
    [{ id: true, kind: "consent", at: NOW, machine: "no" }, { machine: "no", kind: "consent", at: NOW, id: true }],
  ]) {
    const expected = pair.map((event) => failure(() => engine.fold(null, [event])));
    assert.notEqual(expected[0], expected[1]);
    pair.forEach((event, i) => assert.equal(failure(() => contact.fold([event])), expected[i], JSON.stringify(event)));
  }
  assert.equal(contact.updatedAt(), null);
  contact.free();
  engine.free();
});

test("per-event calls through the exchange buffer stay right when the wasm memory grows under them", () => {
  // Contact.fold writes its tape into a buffer in linear memory and Contact.segments reads codes out of it
  // (crates/wasm/src/exchange.rs). A tape larger than the memory left grows the memory inside the call that makes
  // room for it, which empties every view of the old memory; so does any other allocation between two calls.
  const engine = new Engine(examplePlaybook("saas"));
  const contact = engine.contact();
  const before = new WebAssembly.Memory({ initial: 1 }).buffer.byteLength; // a page, to size the batch below
  const big = Array.from({ length: 40_000 }, (_, i) => ({
    id: `e${i}`,
    at: NOW - 40_000_000 + i * 1000,
    kind: "page_view",
    props: { path: i % 7 === 0 ? "/pricing" : `/blog/post-${i % 500}`, referrer: "https://news.example.test/" },
  }));
  assert.ok(big.length * 60 > 32 * before, "the batch's tape is many pages long");
  contact.fold(big);
  assert.deepEqual(contact.toBytes(), engine.fold(null, big), "the large tape folded whole");
  const segmentsBefore = contact.segments({ now: NOW });
  // Grow the memory again between two calls: many contacts held at once.
  const held = Array.from({ length: 2_000 }, () => engine.contact(contact.toBytes()));
  const bytes = contact.toBytes();
  assert.deepEqual(contact.segments({ now: NOW }), segmentsBefore);
  assert.deepEqual(contact.segments({ now: NOW }), engine.segments(bytes, { now: NOW }));
  contact.fold([{ at: NOW, kind: "page_view", props: { path: "/pricing" } }]);
  assert.deepEqual(contact.toBytes(), engine.fold(bytes, [{ at: NOW, kind: "page_view", props: { path: "/pricing" } }]));
  for (const h of held) h.free();
  contact.free();
  engine.free();
});

test("a held contact keeps its tape buffer between folds, asks again when a tape outgrows it or it was given back", () => {
  // Contact.fold keeps the address of its exchange buffer (no call per event to ask for it): a tape longer than the
  // room it has asks for more, and after a batch past 64 KB the wasm gives the buffer back, so the next fold must
  // ask again rather than write where it was.
  const engine = new Engine(examplePlaybook("saas"));
  const contact = engine.contact();
  let bytes = null;
  const page = (i, path) => ({ id: `p${i}`, at: NOW - 9_000_000 + i * 1000, kind: "page_view", props: { path } });
  const steps = [
    [page(0, "/pricing")],
    [page(1, "/")],
    Array.from({ length: 20 }, (_, i) => page(2 + i, `/blog/${"x".repeat(40)}-${i}`)), // more than the first room
    [page(30, "/pricing")],
    Array.from({ length: 3_000 }, (_, i) => page(40 + i, `/docs/${i}`)), // past 64 KB: given back after
    [page(4_000, "/pricing")],
    [page(4_001, "/")],
  ];
  for (const events of steps) {
    contact.fold(events);
    bytes = engine.fold(bytes, events);
    assert.deepEqual(contact.toBytes(), bytes);
    assert.deepEqual(contact.segments({ now: NOW }), engine.segments(bytes, { now: NOW }));
  }
  contact.free();
  engine.free();
});

test("segments() results are each the caller's own object, whatever was returned or changed before", () => {
  // The facade copies the memberships from an object kept per set of answers: a caller changing a result must not
  // change the next one, for a held contact or for state bytes.
  const engine = new Engine(examplePlaybook("ecommerce"));
  const contact = engine.contact();
  contact.fold([{ at: NOW - 1000, kind: "page_view", props: { path: "/pricing" } }]);
  const bytes = contact.toBytes();
  const first = contact.segments({ now: NOW });
  const ids = Object.keys(first);
  assert.ok(ids.length > 1);
  const expected = structuredClone(first);
  for (const id of ids) first[id] = "changed";
  first.added = 1;
  delete first[ids[0]];
  const again = contact.segments({ now: NOW });
  assert.notEqual(again, first);
  assert.deepEqual(again, expected);
  assert.deepEqual(again, fromDecision(contact.decide({ now: NOW })));
  assert.deepEqual(Object.keys(again), ids, "same keys in the same order");
  const stateless = engine.segments(bytes, { now: NOW });
  assert.deepEqual(stateless, expected);
  stateless[ids[1]] = "changed";
  assert.deepEqual(engine.segments(bytes, { now: NOW }), expected);
  assert.deepEqual(contact.segments({ now: NOW }), expected);
  contact.free();
  engine.free();
});

test("segments() of a playbook with more segments than the kept copies cover (34) are built key by key, the same", () => {
  // Sets of answers are kept by their codes read as a base-3 number, exact up to 33 segments; past that every result
  // is built key by key. Both ways give what the state-bytes call gives.
  const playbook = structuredClone(examplePlaybook("reengagement"));
  for (let i = 0; i < 34; i++) playbook.segments[`extra_${i}`] = { when: { lifecycle: i % 2 ? "cooling" : "cold" } };
  const engine = new Engine(playbook);
  const contact = engine.contact();
  let bytes = null;
  for (let i = 0; i < 5; i++) {
    const events = [{ at: NOW - (400 - i * 90) * 86_400_000, kind: "page_view", props: { path: "/pricing" } }];
    contact.fold(events);
    bytes = engine.fold(bytes, events);
    for (const days of [0, 100, 200]) {
      const now = NOW + days * 86_400_000;
      const held = contact.segments({ now });
      assert.equal(Object.keys(held).length, Object.keys(playbook.segments).length);
      assert.deepEqual(held, engine.segments(bytes, { now }));
      assert.deepEqual(held, fromDecision(engine.decide(bytes, { now })));
    }
  }
  contact.free();
  engine.free();
});

for (const name of EXAMPLE_PLAYBOOKS) {
  test(`cta() is decide().cta without the rest, for a state and for a held contact (${name})`, () => {
    const engine = new Engine(examplePlaybook(name));
    try {
      let compared = 0;
      for (const { events } of seededContacts(examplePlaybook(name), { seed: 11, count: 40, now: NOW })) {
        const state = engine.fold(null, events);
        const contact = engine.contact(state);
        for (const now of [NOW, NOW + 86_400_000, NOW + 40 * 86_400_000]) {
          const expected = engine.decide(state, { now }).cta;
          assert.deepEqual(engine.cta(state, { now }), expected);
          assert.deepEqual(contact.cta({ now }), expected);
          compared += 1;
        }
        contact.free();
      }
      assert.equal(compared, 120);
    } finally {
      engine.free();
    }
  });
}

test("updatedAt() is the latest event folded, null for a contact nothing is known about", () => {
  const engine = new Engine(examplePlaybook("saas"));
  const contact = engine.contact(null);
  assert.equal(contact.updatedAt(), null);
  contact.fold([
    { id: "b", at: NOW - 3_600_000, kind: "page_view", props: { path: "/pricing" } },
    { id: "a", at: NOW - 7_200_000, kind: "page_view", props: { path: "/blog/x" } },
  ]);
  assert.equal(contact.updatedAt(), NOW - 3_600_000);
  assert.equal(engine.contact(contact.toBytes()).updatedAt(), NOW - 3_600_000, "kept in the state bytes");
  assert.equal(engine.inspect(contact.toBytes()).updatedAt, contact.updatedAt());
  engine.free();
});
