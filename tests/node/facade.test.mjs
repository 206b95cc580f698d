// The facade as Node users see it: imported as "rekindle" through the package's exports map.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import { ERROR_CODES, Engine, RekindleError, init, version } from "rekindle";
import { DAY, NOW, events, playbook } from "./fixtures.mjs";

const pkg = JSON.parse(readFileSync(createRequire(import.meta.url).resolve("rekindle/package.json"), "utf8"));

/** Runs fn, asserts it throws a RekindleError, and returns the error for further checks. */
function rekindleError(fn) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RekindleError, `expected a RekindleError, got ${err?.constructor?.name}: ${err?.message}`);
    return err;
  }
  assert.fail("expected a RekindleError, but nothing was thrown");
}

describe("init", () => {
  test("init resolves, is idempotent and can be called concurrently", async () => {
    const results = await Promise.all([init(), init(), init({})]);
    assert.deepEqual(results, [undefined, undefined, undefined]);
    assert.equal(await init(), undefined);
    const engine = new Engine(playbook);
    assert.equal(engine.evaluate(events, { now: NOW }).stage, "mql");
    engine.free();
  });

  test("init rejects options that are not an object with E_INPUT_INVALID", async () => {
    await assert.rejects(init(42), (err) => err instanceof RekindleError && err.code === "E_INPUT_INVALID" && err.path === "options");
  });

  test("version reports the package version compiled into the wasm", () => {
    assert.equal(version(), pkg.version);
  });

  test("ERROR_CODES lists the nine stable codes and cannot be modified", () => {
    assert.deepEqual(
      [...ERROR_CODES],
      ["E_PLAYBOOK_INVALID", "E_INPUT_INVALID", "E_STATE_INVALID", "E_SIGNATURE_INVALID", "E_IMPORT_INVALID", "E_NOT_INITIALIZED", "E_WASM_UNAVAILABLE", "E_DISPOSED", "E_INTERNAL"],
    );
    assert.ok(Object.isFrozen(ERROR_CODES));
  });
});

describe("Engine", () => {
  test("an Engine built from JSON text decides like one built from the object", () => {
    const fromObject = new Engine(playbook);
    const fromText = new Engine(JSON.stringify(playbook));
    assert.deepEqual(fromText.evaluate(events, { now: NOW }), fromObject.evaluate(events, { now: NOW }));
    fromObject.free();
    fromText.free();
  });

  test("fold returns state bytes and decide on them equals evaluate on the events", () => {
    const engine = new Engine(playbook);
    const state = engine.fold(null, events);
    assert.ok(state instanceof Uint8Array);
    assert.ok(state.length > 0);
    const decision = engine.decide(state, { now: NOW });
    assert.deepEqual(decision, engine.evaluate(events, { now: NOW }));
    assert.deepEqual(engine.decide(undefined, { now: NOW }), engine.evaluate([], { now: NOW }));
    engine.free();
  });

  test("a decision is a plain object with scores, readiness, stage, meets, funnel and reasons", () => {
    const engine = new Engine(playbook);
    const decision = engine.evaluate(events, { now: NOW });
    assert.equal(Object.getPrototypeOf(decision), Object.prototype);
    assert.equal(decision.scores.fit, 20);
    assert.ok(Math.abs(decision.scores.total - (decision.scores.fit + decision.scores.intent)) < 1e-9);
    assert.ok(["cold", "warm", "hot"].includes(decision.readiness));
    assert.equal(decision.stage, "mql");
    assert.deepEqual(Object.keys(decision.meets).sort(), ["mql", "sql"]);
    assert.equal(typeof decision.reactivationCandidate, "boolean");
    assert.ok(Array.isArray(decision.funnel) && decision.funnel.every((f) => typeof f.at === "number"));
    assert.ok(decision.reasons.some((r) => r.kind === "fitRule" && r.id === "decision_maker" && r.points === 20));
    assert.ok(decision.reasons.some((r) => r.kind === "intentRule" && r.id === "pricing" && r.count === 2));
    assert.deepEqual(JSON.parse(JSON.stringify(decision)), decision, "a decision survives JSON unchanged");
    engine.free();
  });

  test("folding events in two batches gives the same state as one batch", () => {
    const engine = new Engine(playbook);
    const batch = engine.fold(null, events);
    const incremental = engine.fold(engine.fold(null, events.slice(0, 2)), events.slice(2));
    assert.deepEqual(incremental, batch);
    assert.deepEqual(engine.decide(incremental, { now: NOW }), engine.decide(batch, { now: NOW }));
    engine.free();
  });

  test("inspect returns a plain object view of the state", () => {
    const engine = new Engine(playbook);
    const view = engine.inspect(engine.fold(null, events));
    assert.equal(typeof view, "object");
    assert.notEqual(view, null);
    assert.ok(Object.keys(view).length > 0);
    assert.deepEqual(JSON.parse(JSON.stringify(view)), view);
    engine.free();
  });

  test("decide without options decides at the current time", () => {
    const engine = new Engine(playbook);
    const state = engine.fold(null, [{ at: NOW - DAY, kind: "profile", props: { role: "CTO", company_size: 120 } }]);
    const decision = engine.decide(state);
    assert.equal(decision.scores.fit, 35, "fit does not depend on time");
    assert.deepEqual(engine.decide(state, {}), decision);
    engine.free();
  });
});

describe("errors", () => {
  test("a playbook with several problems reports every one with its path", () => {
    const bad = {
      version: 1,
      colour: "red",
      signals: { pricing_visit: { kind: "page_visit" } },
      scores: {
        intent: { rules: [{ id: "pricing", signal: "nope", points: 15, decay: { half_life: "1 month" } }] },
      },
      stages: { mql: {} },
    };
    const err = rekindleError(() => new Engine(bad));
    assert.ok(err instanceof Error);
    assert.equal(err.name, "RekindleError");
    assert.equal(err.code, "E_PLAYBOOK_INVALID");
    const problems = err.details?.problems;
    assert.ok(Array.isArray(problems) && problems.length >= 4, `expected 4+ problems, got ${JSON.stringify(problems)}`);
    for (const p of problems) {
      assert.equal(typeof p.path, "string");
      assert.equal(typeof p.code, "string");
      assert.ok(typeof p.message === "string" && p.message.length > 0);
    }
    assert.equal(err.path, problems[0].path, "path is the first problem's path");
    const pairs = problems.map((p) => `${p.path} ${p.code}`);
    for (const expected of [
      "colour unknown_field",
      "signals.pricing_visit.kind unknown_kind",
      "scores.intent.rules[0].signal unknown_signal",
      "scores.intent.rules[0].decay.half_life bad_duration",
      "stages.mql empty_bar",
    ]) {
      assert.ok(pairs.includes(expected), `missing problem "${expected}" in ${JSON.stringify(pairs)}`);
    }
    assert.ok(typeof err.stack === "string" && err.stack.length > 0);
  });

  test("playbook text that is not JSON is E_PLAYBOOK_INVALID at the document path", () => {
    const err = rekindleError(() => new Engine("{ version: 1"));
    assert.equal(err.code, "E_PLAYBOOK_INVALID");
    assert.equal(err.path, "");
    assert.equal(err.details.problems.length, 1);
  });

  test("a bad event timestamp is E_INPUT_INVALID with the event's path", () => {
    const engine = new Engine(playbook);
    const bad = [events[0], { at: "yesterday", kind: "page_view", props: { path: "/pricing" } }];
    for (const call of [() => engine.fold(null, bad), () => engine.evaluate(bad, { now: NOW })]) {
      const err = rekindleError(call);
      assert.equal(err.code, "E_INPUT_INVALID");
      assert.equal(err.path, "events[1].at");
      assert.match(err.message, /events\[1\]\.at/);
    }
    engine.free();
  });

  test("event data JSON cannot hold is E_INPUT_INVALID at its path in every call that takes events", () => {
    const engine = new Engine(playbook);
    const contact = engine.contact(null);
    const cyclic = { at: NOW, kind: "page_view" };
    cyclic.props = { again: cyclic };
    const cases = [
      [{ at: new Date(NOW), kind: "page_view" }, "events[0].at", /pass date\.getTime\(\)/],
      [{ at: NOW, kind: "purchase", props: { value: 10n } }, "events[0].props.value", /BigInt/],
      [{ at: NOW, kind: "page_view", props: { path: () => "/pricing" } }, "events[0].props.path", /function or symbol/],
      [cyclic, /^events\[0\](\.props\.again){20,}/, /cyclic/],
    ];
    const calls = [
      (evs) => engine.fold(null, evs),
      (evs) => engine.update(null, evs),
      (evs) => engine.evaluate(evs, { now: NOW }),
      (evs) => contact.fold(evs),
      (evs) => contact.update(evs),
    ];
    for (const [event, path, reason] of cases) {
      for (const call of calls) {
        const err = rekindleError(() => call([event]));
        assert.equal(err.code, "E_INPUT_INVALID");
        if (typeof path === "string") assert.equal(err.path, path);
        else assert.match(err.path, path);
        assert.match(err.message, reason);
      }
    }
    // A getter that throws is refused at the list, not taken for a crash of the engine.
    const throwing = { kind: "page_view", get at() { throw new Error("no"); } };
    const err = rekindleError(() => contact.fold([throwing]));
    assert.deepEqual([err.code, err.path], ["E_INPUT_INVALID", "events"]);
    contact.fold(events);
    assert.deepEqual(contact.toBytes(), engine.fold(null, events), "the contact still works and kept nothing");
    contact.free();
    engine.free();
  });

  test("a playbook holding what JSON cannot is E_INPUT_INVALID at its path", () => {
    const bad = structuredClone(playbook);
    bad.signals[Object.keys(bad.signals)[0]].kind = Symbol("page_view");
    const err = rekindleError(() => new Engine(bad));
    assert.equal(err.code, "E_INPUT_INVALID");
    assert.equal(err.path, `playbook.signals.${Object.keys(bad.signals)[0]}.kind`);
  });

  test("garbage state bytes are E_STATE_INVALID in fold, decide and inspect", () => {
    const engine = new Engine(playbook);
    const garbage = new Uint8Array([0xde, 0xad, 0xbe, 0xef, 1, 2, 3]);
    for (const call of [() => engine.fold(garbage, []), () => engine.decide(garbage, { now: NOW }), () => engine.inspect(garbage)]) {
      assert.equal(rekindleError(call).code, "E_STATE_INVALID");
    }
    const truncated = engine.fold(null, events).slice(0, 3);
    assert.equal(rekindleError(() => engine.decide(truncated, { now: NOW })).code, "E_STATE_INVALID");
    engine.free();
  });

  test("state that is not a Uint8Array is E_INPUT_INVALID at path state", () => {
    const engine = new Engine(playbook);
    for (const state of ["bytes", [1, 2, 3], {}, 7]) {
      const err = rekindleError(() => engine.decide(state, { now: NOW }));
      assert.equal(err.code, "E_INPUT_INVALID");
      assert.equal(err.path, "state");
    }
    assert.equal(rekindleError(() => engine.inspect(null)).path, "state");
    engine.free();
  });

  test("now must be whole epoch milliseconds given in an options object", () => {
    const engine = new Engine(playbook);
    const cases = [
      [{ now: "2025-12-01" }, "options.now"],
      [{ now: 1.5 }, "options.now"],
      [{ now: Number.NaN }, "options.now"],
      [{ now: new Date(NOW) }, "options.now"],
      [{ nwo: NOW }, "options.nwo"],
      [NOW, "options"],
      [null, "options"],
    ];
    for (const [options, path] of cases) {
      const err = rekindleError(() => engine.decide(null, options));
      assert.equal(err.code, "E_INPUT_INVALID", `options ${String(options)}`);
      assert.equal(err.path, path);
      assert.equal(rekindleError(() => engine.evaluate(events, options)).path, path);
    }
    engine.free();
  });
});

describe("lifetime", () => {
  test("every method throws E_DISPOSED after free", () => {
    const engine = new Engine(playbook);
    const state = engine.fold(null, events);
    engine.free();
    for (const call of [
      () => engine.fold(null, events),
      () => engine.decide(state, { now: NOW }),
      () => engine.evaluate(events, { now: NOW }),
      () => engine.inspect(state),
      () => engine.update(state, events),
      () => engine.segments(state, { now: NOW }),
    ]) {
      assert.equal(rekindleError(call).code, "E_DISPOSED");
    }
  });

  test("free is idempotent", () => {
    const engine = new Engine(playbook);
    engine.free();
    engine.free();
    engine[Symbol.dispose]();
    assert.equal(rekindleError(() => engine.evaluate(events, { now: NOW })).code, "E_DISPOSED");
  });

  test("Symbol.dispose frees the engine, as a using declaration does at scope end", () => {
    const engine = new Engine(playbook);
    assert.equal(typeof engine[Symbol.dispose], "function");
    engine[Symbol.dispose]();
    assert.equal(rekindleError(() => engine.fold(null, [])).code, "E_DISPOSED");
  });

  test("freeing one engine leaves the others usable", () => {
    const a = new Engine(playbook);
    const b = new Engine(playbook);
    const expected = b.evaluate(events, { now: NOW });
    a.free();
    assert.deepEqual(b.evaluate(events, { now: NOW }), expected);
    b.free();
  });
});
