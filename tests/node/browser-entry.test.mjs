// The browser entry, run in Node: a resolve hook swaps the "node" export condition for "browser", so
// `import "rekindle"` still goes through the package's exports map but lands on browser.js, which must be
// initialised with init() before use. Node has no localStorage, which stands in for blocked storage. The web build
// reads compiled playbooks only: they are compiled by the node entry, in a separate process (without the hook).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { NOW, events, playbook, repoRoot } from "./fixtures.mjs";

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === "rekindle" || specifier.startsWith("rekindle/")) {
    const conditions = context.conditions.filter((c) => c !== "node").concat("browser");
    return next(specifier, { ...context, conditions });
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, import.meta.url);

const rekindle = await import("rekindle");
const { Engine, RekindleError, clearState, init, loadState, saveState, version } = rekindle;
const wasmBytes = readFileSync(fileURLToPath(import.meta.resolve("rekindle/rekindle.wasm")));

/** Runs `script` (an ES module) in a separate Node process, where "rekindle" resolves to the node entry. */
const nodeEntry = (script) => execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: repoRoot });
const FIXTURES = JSON.stringify(new URL("./fixtures.mjs", import.meta.url).href);
/** The fixtures' playbook compiled by the node entry's compilePlaybook (as a site's build step does). */
const compiled = new Uint8Array(nodeEntry(`
  import { compilePlaybook } from "rekindle";
  import { playbook } from ${FIXTURES};
  process.stdout.write(compilePlaybook(playbook));`));
const HINT = "this build of rekindle (browser) reads compiled playbooks only: compile this one with `rekindle compile " +
  "--playbook p.json --out p.rkp` or compilePlaybook() from \"rekindle\" in Node, and pass the bytes";

const codeOf = (fn) => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RekindleError, `expected a RekindleError, got ${err?.message}`);
    return err.code;
  }
  assert.fail("expected a RekindleError, but nothing was thrown");
};

test("the browser condition resolves to the browser entry with its storage helpers", () => {
  for (const name of ["loadState", "saveState", "clearState"]) assert.equal(typeof rekindle[name], "function");
});

test("every call before init throws E_NOT_INITIALIZED, never a glue TypeError", () => {
  assert.equal(codeOf(() => new Engine(playbook)), "E_NOT_INITIALIZED");
  assert.equal(codeOf(() => version()), "E_NOT_INITIALIZED");
  assert.equal(codeOf(() => loadState("rekindle:test")), "E_NOT_INITIALIZED");
});

test("init with bytes that are not wasm rejects with E_WASM_UNAVAILABLE and a later init still succeeds", async () => {
  await assert.rejects(init({ module: new Uint8Array([0, 1, 2, 3]) }), (err) => err instanceof RekindleError &&
    err.code === "E_WASM_UNAVAILABLE" && err.details.reason === "compile" && err.details.url === null &&
    /^could not compile rekindle's wasm: the module passed to init\(\{ module \}\) is not the package's/.test(err.message));
  await assert.rejects(init({ modul: wasmBytes }), (err) => err instanceof RekindleError && err.code === "E_INPUT_INVALID" && err.path === "options.modul");
  assert.equal(codeOf(() => version()), "E_NOT_INITIALIZED");
});

test("concurrent init calls share one instantiation and later calls resolve at once", async () => {
  const results = await Promise.all([init({ module: wasmBytes }), init({ module: wasmBytes }), init({ module: wasmBytes })]);
  assert.deepEqual(results, [undefined, undefined, undefined]);
  await init();
  assert.match(version(), /^\d+\.\d+\.\d+/);
});

test("the web build decides on the compiled playbook exactly like the node entry on the JSON", async () => {
  assert.equal(new TextDecoder().decode(compiled.slice(0, 4)), "RKPB");
  const engine = new Engine(compiled);
  const web = JSON.stringify(engine.evaluate(events, { now: NOW }));
  engine.free();
  // A separate process without the hook resolves "rekindle" to the node entry, which reads the JSON playbook.
  const node = nodeEntry(`
    import { Engine } from "rekindle";
    import { NOW, events, playbook } from ${FIXTURES};
    process.stdout.write(JSON.stringify(new Engine(playbook).evaluate(events, { now: NOW })));`).toString("utf8");
  assert.equal(web, node);
  // The bytes in an ArrayBuffer, or a view of them inside a larger buffer, are the same playbook.
  const padded = new Uint8Array(compiled.length + 8);
  padded.set(compiled, 3);
  for (const bytes of [compiled.slice().buffer, new DataView(padded.buffer, 3, compiled.length)]) {
    const again = new Engine(bytes);
    assert.equal(JSON.stringify(again.evaluate(events, { now: NOW })), web);
    again.free();
  }
});

test("the web build refuses a JSON playbook, object or text, with E_PLAYBOOK_INVALID and one bad_compiled problem saying to compile it", () => {
  for (const json of [playbook, JSON.stringify(playbook)]) {
    assert.throws(() => new Engine(json), (err) => err instanceof RekindleError && err.code === "E_PLAYBOOK_INVALID" &&
      err.path === "" && err.message === `invalid playbook: ${HINT}` &&
      JSON.stringify(err.details.problems) === JSON.stringify([{ path: "", code: "bad_compiled", message: HINT }]));
  }
  // A JSON file's bytes (a site serving playbook.json where the .rkp belongs): the compiled reader says what it is.
  assert.throws(() => new Engine(new TextEncoder().encode(JSON.stringify(playbook))), (err) =>
    err.code === "E_PLAYBOOK_INVALID" && err.details.problems.length === 1 && err.details.problems[0].code === "bad_compiled" &&
    /^invalid playbook: compiled playbook: this is JSON: compile it first/.test(err.message));
  // Damaged in transit: the checksum.
  const damaged = compiled.slice();
  damaged[damaged.length >> 1] ^= 1;
  assert.throws(() => new Engine(damaged), (err) => err.code === "E_PLAYBOOK_INVALID" &&
    err.details.problems[0].code === "bad_compiled" && /checksum mismatch/.test(err.message));
  assert.equal("compilePlaybook" in rekindle, false, "compiling is the node entry's: browser.js does not export it");
});

test("storage helpers report unavailable storage instead of throwing", () => {
  const engine = new Engine(compiled);
  const state = engine.fold(null, events);
  engine.free();
  assert.equal(saveState("rekindle:test", state), false);
  assert.equal(loadState("rekindle:test"), null);
  assert.equal(clearState("rekindle:test"), false);
});

test("storage helpers reject a bad key or bytes with E_INPUT_INVALID", () => {
  assert.equal(codeOf(() => loadState("")), "E_INPUT_INVALID");
  assert.equal(codeOf(() => saveState("k", "not bytes")), "E_INPUT_INVALID");
  assert.equal(codeOf(() => clearState(42)), "E_INPUT_INVALID");
});

test("defineElements refuses a non-object with E_INPUT_INVALID; startTracker given one warns and resolves to null", async (t) => {
  assert.equal(codeOf(() => rekindle.defineElements(null)), "E_INPUT_INVALID");
  const warn = t.mock.method(console, "warn", () => {});
  assert.equal(await rekindle.startTracker(null), null);
  assert.equal(warn.mock.callCount(), 1);
  assert.match(warn.mock.calls[0].arguments[0], /^rekindle: not started, showing fallback content: options: expected an object/);
});

test("startTracker given a playbook object warns once, naming the fix: compile it, pass the bytes or the .rkp URL", async (t) => {
  const warn = t.mock.method(console, "warn", () => {});
  assert.equal(await rekindle.startTracker({ playbook, key: "rk-json" }), null);
  assert.equal(warn.mock.callCount(), 1);
  assert.equal(warn.mock.calls[0].arguments[0], `rekindle: not started, showing fallback content: options.playbook: ` +
    `invalid playbook: ${HINT} (as a Uint8Array or ArrayBuffer), or its URL: startTracker({ playbook: "/playbook.rkp" })`);
});
