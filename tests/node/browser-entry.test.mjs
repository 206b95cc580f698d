// The browser entry, run in Node: a resolve hook swaps the "node" export condition for "browser", so
// `import "rekindle"` still goes through the package's exports map but lands on browser.js, which must be
// initialised with init() before use. Node has no localStorage, which stands in for blocked storage.
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

test("the web build decides exactly like the edge build the node entry uses", async () => {
  const engine = new Engine(playbook);
  const web = JSON.stringify(engine.evaluate(events, { now: NOW }));
  engine.free();
  // A separate process without the hook resolves "rekindle" to the node entry (edge build).
  const script = `
    import { Engine } from "rekindle";
    import { NOW, events, playbook } from ${JSON.stringify(new URL("./fixtures.mjs", import.meta.url).href)};
    process.stdout.write(JSON.stringify(new Engine(playbook).evaluate(events, { now: NOW })));`;
  const edge = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: repoRoot, encoding: "utf8" });
  assert.equal(web, edge);
});

test("storage helpers report unavailable storage instead of throwing", () => {
  const engine = new Engine(playbook);
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
