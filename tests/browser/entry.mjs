// Tests of the browser entry (/pkg/browser.js) that need a real browser: a CSP that forbids compiling wasm, and
// loadState/saveState/clearState over localStorage that works, is blocked, or is full.
import assert from "node:assert/strict";
import { blockStorage, openDemo, readPanel } from "./demo.mjs";

const STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self'";
const WASM_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'";

/** Serves the real document at `pathname` with a Content-Security-Policy header added. */
function withCsp(pathnames, policy) {
  return (page) => page.route((url) => pathnames.includes(url.pathname), async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), "content-security-policy": policy } });
  });
}

/** Init script: localStorage exists but every write fails, as when the quota is exhausted. */
function fullQuota() {
  Storage.prototype.setItem = function refuse() {
    throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
  };
}

/** In the page: init the browser entry and fold a few events with the example playbook (saas.json compiled). */
async function foldSample() {
  const rekindle = await import("/pkg/browser.js");
  await rekindle.init();
  const playbook = await (await fetch("/examples/playbooks/saas.rkp")).arrayBuffer();
  const engine = new rekindle.Engine(playbook);
  const now = Date.parse("2025-12-01T00:00:00Z");
  const state = engine.fold(null, [
    { id: "a", at: now - 86_400_000, kind: "page_view", props: { path: "/pricing" } },
    { id: "b", at: now - 3_600_000, kind: "page_view", props: { path: "/pricing" } },
  ]);
  return { rekindle, engine, state, now };
}

const probe = "/tests/browser/blank.html";

export function entryTests() {
  return [
    ["init rejects with a RekindleError under a CSP without 'wasm-unsafe-eval', and the engine stays unusable", async ({ open }) => {
      const { page, pageErrors } = await open(probe, { route: withCsp([probe], STRICT_CSP) });
      const outcome = await page.evaluate(async () => {
        const rekindle = await import("/pkg/browser.js");
        const result = {};
        try {
          await rekindle.init();
          result.init = "resolved";
        } catch (error) {
          result.init = { isRekindleError: error instanceof rekindle.RekindleError, name: error.name, code: error.code,
            known: rekindle.ERROR_CODES.includes(error.code), message: error.message, details: error.details };
        }
        try {
          new rekindle.Engine({ version: 1, signals: {} });
          result.engine = "constructed";
        } catch (error) {
          result.engine = { isRekindleError: error instanceof rekindle.RekindleError, code: error.code };
        }
        return result;
      });
      assert.notEqual(outcome.init, "resolved", "init must reject when wasm compilation is refused");
      assert.equal(outcome.init.isRekindleError, true, JSON.stringify(outcome.init));
      assert.equal(outcome.init.name, "RekindleError");
      assert.equal(outcome.init.known, true, `code ${outcome.init.code} is one of ERROR_CODES`);
      // Its own code, not E_INTERNAL ("a bug"), and the fix that keeps the CSP strict: Chromium's own text names
      // 'unsafe-eval', which would also allow eval() of strings.
      assert.equal(outcome.init.code, "E_WASM_UNAVAILABLE", outcome.init.message);
      const url = new URL("/pkg/gen/web/rekindle_wasm_bg.wasm", page.url()).href;
      assert.deepEqual(outcome.init.details, { url, reason: "csp" });
      assert.equal(outcome.init.message, `could not compile rekindle's wasm from ${url}: the page's Content-Security-Policy ` +
        "does not allow WebAssembly; add 'wasm-unsafe-eval' to script-src (not 'unsafe-eval', which would also allow " +
        "eval() of any string)");
      assert.deepEqual(outcome.engine, { isRekindleError: true, code: "E_NOT_INITIALIZED" });
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["a .wasm answered with 404 rejects init with E_WASM_UNAVAILABLE naming the URL; startTracker shows the fallback", async ({ open }) => {
      const { page, pageErrors, consoleMessages } = await open("/tests/browser/tracker.html", {
        route: (p) => p.route((u) => u.pathname.endsWith(".wasm"), (route) => route.fulfill({ status: 404, body: "not found" })),
      });
      const outcome = await page.evaluate(async () => {
        const rekindle = await import("/pkg/browser.js");
        const attempt = (options) => rekindle.init(options).then(() => "resolved",
          (error) => ({ code: error.code, message: error.message, details: error.details }));
        const byDefault = await attempt();
        const byUrl = await attempt({ url: "/assets/rekindle.wasm" });
        const tracker = await rekindle.startTracker({ playbook: "/tests/browser/fixtures/tracker-playbook.rkp",
          wasm: "/assets/rekindle.wasm" });
        return { byDefault, byUrl, tracker };
      });
      const url = new URL("/pkg/gen/web/rekindle_wasm_bg.wasm", page.url()).href;
      const fix = "serve the package's gen/web/rekindle_wasm_bg.wasm (export \"rekindle/rekindle.wasm\") there, or say " +
        "where it is: startTracker({ wasm: url }) or init({ url })";
      assert.deepEqual(outcome.byDefault, { code: "E_WASM_UNAVAILABLE", details: { url, reason: "http", status: 404 },
        message: `could not fetch rekindle's wasm from ${url}: HTTP 404; ${fix}` });
      const assets = new URL("/assets/rekindle.wasm", page.url()).href;
      assert.deepEqual(outcome.byUrl.details, { url: assets, reason: "http", status: 404 });
      assert.equal(outcome.tracker, null);
      assert.ok(await page.isVisible("#widget .fallback"), "the fallback CTA stays");
      const warnings = consoleMessages.filter((m) => m.type === "warning").map((m) => m.text);
      assert.deepEqual(warnings, [`rekindle: not started, showing fallback content: could not fetch rekindle's wasm from ${assets}: HTTP 404; ${fix}`]);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["the demo shows a fallback message and logs one warning when wasm may not be compiled", async ({ open }) => {
      const { page, pageErrors, consoleMessages } = await openDemo(open,
        { route: withCsp(["/", "/www/", "/www/index.html"], STRICT_CSP), allowNotReady: true });
      assert.equal(await page.evaluate(() => document.documentElement.dataset.rekindle), "fallback");
      assert.match(await page.textContent("#status"), /Scoring is unavailable/);
      const warnings = consoleMessages.filter((message) => message.type === "warning");
      assert.equal(warnings.length, 1, `exactly one warning: ${JSON.stringify(warnings)}`);
      assert.match(warnings[0].text, /rekindle/);
      const nav = page.getByRole("navigation", { name: "Acme Analytics" });
      await nav.getByRole("link", { name: "Pricing" }).click();
      assert.ok(await page.isVisible("#page-pricing"), "the site still navigates");
      assert.ok(await page.locator("#events li").first().textContent().then((text) => text.includes("/pricing")),
        "clicks are still recorded");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["the demo scores under a CSP that allows 'wasm-unsafe-eval'", async ({ open }) => {
      const { page, pageErrors, consoleMessages } = await openDemo(open,
        { route: withCsp(["/", "/www/", "/www/index.html"], WASM_CSP) });
      // Landing on the demo is the visit's first page view: the inspector lists it, not "No events yet".
      assert.match(await page.locator("#events li").first().textContent(), /· page_view \/$/);
      const nav = page.getByRole("navigation", { name: "Acme Analytics" });
      await nav.getByRole("link", { name: "Pricing" }).click();
      await page.waitForFunction(() => Number(document.getElementById("score-intent").dataset.value) > 0);
      assert.equal((await readPanel(page)).stage, "lead");
      assert.deepEqual(consoleMessages.filter((message) => message.type === "warning"), []);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["saveState and loadState round-trip state bytes through localStorage", async ({ open }) => {
      const { page, pageErrors } = await open(probe);
      const outcome = await page.evaluate(`(${foldSample})().then(({ rekindle, engine, state, now }) => {
        const saved = rekindle.saveState("rk-test", state);
        const loaded = rekindle.loadState("rk-test");
        const stored = localStorage.getItem("rk-test");
        const same = loaded instanceof Uint8Array && loaded.length === state.length && loaded.every((b, i) => b === state[i]);
        const decisionsEqual = JSON.stringify(engine.decide(loaded, { now })) === JSON.stringify(engine.decide(state, { now }));
        const cleared = rekindle.clearState("rk-test");
        return { saved, same, decisionsEqual, storedIsString: typeof stored === "string" && stored.length > 0,
          afterClear: rekindle.loadState("rk-test"), missing: rekindle.loadState("rk-never-saved"), cleared };
      })`);
      assert.deepEqual(outcome, { saved: true, same: true, decisionsEqual: true, storedIsString: true,
        afterClear: null, missing: null, cleared: true });
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["blocked localStorage makes saveState false and loadState null, never an exception", async ({ open }) => {
      const { page, pageErrors } = await open(probe, { initScript: blockStorage });
      const outcome = await page.evaluate(`(${foldSample})().then(({ rekindle, state }) => {
        const result = {};
        for (const [name, call] of [["save", () => rekindle.saveState("rk-test", state)],
          ["load", () => rekindle.loadState("rk-test")], ["clear", () => rekindle.clearState("rk-test")]]) {
          try { result[name] = call(); } catch (error) { result[name] = "threw " + error; }
        }
        return result;
      })`);
      assert.deepEqual(outcome, { save: false, load: null, clear: false });
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["a full storage quota makes saveState return false without throwing", async ({ open }) => {
      const { page, pageErrors } = await open(probe, { initScript: fullQuota });
      const outcome = await page.evaluate(`(${foldSample})().then(({ rekindle, state }) => {
        try { return { save: rekindle.saveState("rk-test", state), load: rekindle.loadState("rk-test") }; }
        catch (error) { return "threw " + error; }
      })`);
      assert.deepEqual(outcome, { save: false, load: null });
      assert.deepEqual(pageErrors.map(String), []);
    }],
  ];
}
