// startTracker() in real Chromium: the README's snippet, compiled playbooks (a URL fetched as bytes, or the bytes;
// a JSON file or object refused with one warning saying to compile it), the snippet included twice, and failure
// without breakage (no wasm, a blocked .wasm, misused options). The browser build reads compiled playbooks only:
// the static server answers each .rkp with the .json beside it compiled (scripts/compiled-playbooks.mjs).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compilePlaybook } from "rekindle";
import { PAGE, PLAYBOOK, events, start, storedView } from "./tracker.mjs";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
/** The JSON the static server compiles into PLAYBOOK, served as it is at this URL too. */
const PLAYBOOK_SOURCE = PLAYBOOK.replace(/\.rkp$/, ".json");
const FALLBACK_WARNING = "rekindle: not started, showing fallback content: ";

/**
 * Runs the README's build steps as written, in a directory holding `playbook` as playbook.json and an empty public/:
 * its `npx rekindle-compile` line (the package's bin, as npx finds it in node_modules/.bin) and its Node script (the
 * ```js block calling compilePlaybook). Both must write the same public/playbook.rkp, which is returned.
 */
function runReadmeCompileStep(readme, playbook) {
  const step = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]).find((code) => code.includes("compilePlaybook"));
  assert.ok(step, "README.md has a js block compiling the playbook");
  const dir = join(repoRoot, "target", "readme-compile");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "public"), { recursive: true });
  writeFileSync(join(dir, "playbook.json"), JSON.stringify(playbook, null, 2));
  const script = step.match(/^\/\/ (\S+\.mjs), run by your build: node \1$/m)?.[1];
  assert.ok(script, "the build step's first line names its file and the command that runs it");
  writeFileSync(join(dir, script), step);
  execFileSync(process.execPath, [script], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const fromNode = readFileSync(join(dir, "public", "playbook.rkp"));
  const npx = readme.match(/^npx rekindle-compile (\S+) (\S+) /m);
  assert.ok(npx, "README.md shows npx rekindle-compile <playbook.json> <out.rkp>");
  rmSync(join(dir, npx[2]), { force: true });
  execFileSync(join(repoRoot, "node_modules", ".bin", "rekindle-compile"), [npx[1], npx[2]], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  assert.deepEqual(readFileSync(join(dir, npx[2])), fromNode, "npx rekindle-compile and compilePlaybook write the same bytes");
  return fromNode;
}

/** Warnings logged in the page, as text. */
const warningsOf = (consoleMessages) => consoleMessages.filter((m) => m.type === "warning").map((m) => m.text);

export function startTests() {
  return [
    ["the snippet included twice starts one tracker: every event is recorded once", async ({ open }) => {
      // A tag manager and the site's own template both paste startTracker(), one of them while the other loads.
      const { page, pageErrors, consoleMessages } = await open(PAGE);
      const same = await page.evaluate(async (playbook) => {
        const { startTracker } = await import("/pkg/browser.js");
        window.__events = [];
        const options = { playbook, consent: { analytics: true, personalisation: true }, onSignal: (e) => window.__events.push(e) };
        const [a, b] = await Promise.all([startTracker(options), startTracker(options)]);
        const c = await startTracker(options);
        window.__tracker = a;
        return a !== null && a === b && a === c;
      }, PLAYBOOK);
      assert.equal(same, true, "every call resolves to the one running tracker");
      await page.click("#demo-submit");
      assert.equal((await events(page)).filter((e) => e.kind === "form_submit").length, 1);
      assert.equal((await storedView(page)).signals.find((s) => s.id === "demo_request")?.count, 1);
      const warnings = consoleMessages.filter((m) => m.type === "warning").map((m) => m.text);
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match(warnings[0], /^rekindle: startTracker\(\) called again for key "rekindle": returning the tracker already started/);
      // Two Tracker objects started by hand on one key: the second is refused, naming the key.
      const refused = await page.evaluate(async (playbook) => {
        const rekindle = await import("/pkg/browser.js");
        const engine = new rekindle.Engine(await (await fetch(playbook)).arrayBuffer());
        try {
          new rekindle.Tracker(engine, {}).start();
          return null;
        } catch (err) {
          return `${err.code} ${err.message}`;
        }
      }, PLAYBOOK);
      assert.match(refused, /^E_INPUT_INVALID key: a Tracker is already started with key "rekindle"/);
      // Once stopped, the next call starts afresh.
      const fresh = await page.evaluate(async (playbook) => {
        const { startTracker } = await import("/pkg/browser.js");
        window.__tracker.stop();
        const next = await startTracker({ playbook });
        return next !== null && next !== window.__tracker;
      }, PLAYBOOK);
      assert.equal(fresh, true);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["without wasm (CSP) startTracker resolves null with one warning and every widget keeps its fallback", async ({ open }) => {
      const csp = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self'";
      const { page, pageErrors, consoleMessages } = await open(PAGE, {
        route: (p) => p.route((url) => url.pathname === PAGE, async (route) => {
          const response = await route.fetch();
          await route.fulfill({ response, headers: { ...response.headers(), "content-security-policy": csp } });
        }),
      });
      assert.equal(await start(page, {}), null);
      assert.ok(await page.isVisible("#widget .fallback"));
      assert.equal(await page.locator("#widget [data-rekindle-rendered]").count(), 0);
      const warnings = consoleMessages.filter((m) => m.type === "warning");
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.match(warnings[0].text, /^rekindle: not started, showing fallback content: could not compile rekindle's wasm from http:\S+\/pkg\/gen\/web\/rekindle_wasm_bg\.wasm: .*add 'wasm-unsafe-eval' to script-src \(not 'unsafe-eval'/);
      await page.click("#demo-submit");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["the README's browser snippet runs as written on the playbook its build step compiled: no error, no warning, a CTA from the playbook", async ({ open }) => {
      const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
      const snippet = readme.match(/```html\n([\s\S]*?)```/)?.[1];
      assert.ok(snippet, "README.md has an html block");
      assert.match(snippet, /playbook: "\/playbook\.rkp"/, "the snippet loads the compiled playbook");
      const html = `<!doctype html><html lang="en"><head><title>README snippet</title></head><body>${snippet
        .replace('from "rekindle"', 'from "/pkg/browser.js"')}</body></html>`;
      // The site's playbook.json: the test playbook with CTAs the snippet's templates are written for, its unknown
      // visitor's CTA the comparison (variant cta/comparison), compiled by the README's build step as written.
      const playbook = JSON.parse(readFileSync(join(repoRoot, PLAYBOOK_SOURCE), "utf8"));
      playbook.ctas = { candidates: [{ id: "book_demo", when: { readiness: "hot" }, variant: "cta/demo" },
        { id: "comparison", variant: "cta/comparison" }], default: "comparison" };
      const compiled = runReadmeCompileStep(readme, playbook);
      const { page, pageErrors, consoleMessages } = await open("/readme-snippet.html", {
        route: async (p) => {
          await p.route((url) => url.pathname === "/readme-snippet.html",
            (route) => route.fulfill({ status: 200, contentType: "text/html", body: html }));
          await p.route((url) => url.pathname === "/playbook.rkp",
            (route) => route.fulfill({ status: 200, contentType: "application/octet-stream", body: compiled }));
        },
      });
      await page.waitForFunction(() => document.querySelector("rekindle-cta").hasAttribute("data-rekindle-cta-id"));
      assert.equal(await page.getAttribute("rekindle-cta", "data-rekindle-cta-id"), "comparison");
      assert.equal(await page.textContent("rekindle-cta [data-rekindle-rendered]"), "Compare plans");
      assert.equal(await page.isVisible("[data-rekindle-fallback]"), false);
      await page.click("button[data-rekindle-cta]");
      assert.deepEqual(pageErrors.map(String), []);
      assert.deepEqual(consoleMessages.filter((m) => m.type === "warning" || m.type === "error"), []);
      assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), [], "no consent yet: nothing stored");
    }],

    ["a blocked .wasm file (network error) also leaves the fallback and one warning, and the page works", async ({ open }) => {
      const { page, pageErrors, consoleMessages } = await open(PAGE, {
        route: (p) => p.route((url) => url.pathname.endsWith(".wasm"), (route) => route.abort("blockedbyclient")),
      });
      assert.equal(await start(page, {}), null);
      assert.ok(await page.isVisible("#widget .fallback"));
      const warnings = consoleMessages.filter((m) => m.type === "warning");
      assert.equal(warnings.length, 1);
      assert.match(warnings[0].text, /could not fetch rekindle's wasm from http:\S+\/rekindle_wasm_bg\.wasm: .*\(offline, blocked/);
      await page.click("#cta-button");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["misused options and arguments are RekindleErrors naming the option, not silent", async ({ open }) => {
      const { page } = await open(PAGE);
      await start(page, {});
      const codes = await page.evaluate(async (playbook) => {
        const rekindle = await import("/pkg/browser.js");
        const engine = new rekindle.Engine(await (await fetch(playbook)).arrayBuffer());
        const attempt = (fn) => {
          try {
            fn();
            return "accepted";
          } catch (error) {
            return `${error.code} ${error.path}`;
          }
        };
        return [
          attempt(() => new rekindle.Tracker(engine, { consnet: {} })),
          attempt(() => new rekindle.Tracker(engine, { consent: { marketing: true } })),
          attempt(() => new rekindle.Tracker(engine, { consent: { analytics: "yes" } })),
          attempt(() => new rekindle.Tracker(engine, { sessionGap: -5 })),
          attempt(() => new rekindle.Tracker({}, {})),
          attempt(() => window.__tracker.track("Has Spaces")),
          attempt(() => window.__tracker.track("ok", [1, 2])),
          attempt(() => window.__tracker.identify("CMO")),
        ];
      }, PLAYBOOK);
      assert.deepEqual(codes, ["E_INPUT_INVALID options.consnet", "E_INPUT_INVALID options.consent.marketing",
        "E_INPUT_INVALID options.consent.analytics", "E_INPUT_INVALID options.sessionGap", "E_INPUT_INVALID engine",
        "E_INPUT_INVALID name", "E_INPUT_INVALID props", "E_INPUT_INVALID traits"]);
    }],

    ["startTracker given a playbook.json URL (a site that does not compile yet) logs exactly one warning naming the URL and the fix, and keeps the fallback", async ({ open }) => {
      const { page, pageErrors, consoleMessages } = await open(PAGE);
      assert.equal(await start(page, { consent: { analytics: true, personalisation: true } }, PLAYBOOK_SOURCE), null);
      assert.ok(await page.isVisible("#widget .fallback"), "the fallback CTA stays");
      assert.equal(await page.locator("#widget [data-rekindle-rendered]").count(), 0);
      const warnings = warningsOf(consoleMessages);
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      const prefix = `${FALLBACK_WARNING}playbook ${PLAYBOOK_SOURCE}: invalid playbook: compiled playbook: this is JSON: compile it first`;
      assert.ok(warnings[0].startsWith(prefix), warnings[0]);
      assert.match(warnings[0], /rekindle compile/, "names the CLI");
      assert.match(warnings[0], /compilePlaybook/, "names the Node call");
      await page.click("#demo-submit");
      assert.deepEqual(await events(page), [], "nothing recorded without a tracker");
      assert.deepEqual(await page.evaluate(() => Object.keys(localStorage)), [], "nothing stored");
      assert.deepEqual(pageErrors.map(String), []);
      assert.deepEqual(consoleMessages.filter((m) => m.type === "error"), []);
    }],

    ["startTracker given a playbook object logs exactly one warning: compile it, pass the bytes or the .rkp URL", async ({ open }) => {
      const { page, pageErrors, consoleMessages } = await open(PAGE);
      const source = JSON.parse(readFileSync(join(repoRoot, PLAYBOOK_SOURCE), "utf8"));
      assert.equal(await start(page, {}, source), null);
      assert.ok(await page.isVisible("#widget .fallback"));
      const warnings = warningsOf(consoleMessages);
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.ok(warnings[0].startsWith(`${FALLBACK_WARNING}options.playbook: invalid playbook: this build of rekindle ` +
        "(browser) reads compiled playbooks only: compile this one with `rekindle compile"), warnings[0]);
      assert.ok(warnings[0].endsWith('or its URL: startTracker({ playbook: "/playbook.rkp" })'), warnings[0]);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["startTracker takes the compiled playbook as a URL string, a URL object, a Uint8Array or an ArrayBuffer, with the same decisions", async ({ open }) => {
      const { page, pageErrors, consoleMessages } = await open(PAGE);
      const outcome = await page.evaluate(async (url) => {
        const { startTracker } = await import("/pkg/browser.js");
        const bytes = await (await fetch(url)).arrayBuffer();
        const forms = [url, new URL(url, location.href), new Uint8Array(bytes), bytes];
        const seen = [];
        for (const playbook of forms) {
          const tracker = await startTracker({ playbook, consent: { personalisation: true } });
          if (tracker === null) return { failed: String(playbook) };
          tracker.track("look");
          const { cta, readiness, scores } = tracker.decision();
          seen.push(JSON.stringify({ cta: cta?.id, readiness, intent: scores.intent }));
          tracker.stop();
        }
        return { seen, rkpb: new TextDecoder().decode(new Uint8Array(bytes).slice(0, 4)) };
      }, PLAYBOOK);
      assert.equal(outcome.rkpb, "RKPB", "the server answers the .rkp with compiled bytes");
      assert.equal(outcome.seen.length, 4, JSON.stringify(outcome));
      assert.deepEqual(new Set(outcome.seen).size, 1, outcome.seen.join("\n"));
      assert.equal(JSON.parse(outcome.seen[0]).cta, "checklist");
      assert.deepEqual(warningsOf(consoleMessages), []);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["a damaged .rkp (one byte changed in transit) is refused: one warning naming the URL and the checksum, fallback stays", async ({ open }) => {
      const bytes = Buffer.from(compilePlaybook(readFileSync(join(repoRoot, PLAYBOOK_SOURCE), "utf8")));
      bytes[Math.floor(bytes.length / 2)] ^= 0x20;
      const { page, pageErrors, consoleMessages } = await open(PAGE, {
        route: (p) => p.route((url) => url.pathname === "/damaged.rkp",
          (route) => route.fulfill({ status: 200, contentType: "application/octet-stream", body: bytes })),
      });
      assert.equal(await start(page, {}, "/damaged.rkp"), null);
      assert.ok(await page.isVisible("#widget .fallback"));
      assert.deepEqual(warningsOf(consoleMessages), [`${FALLBACK_WARNING}playbook /damaged.rkp: invalid playbook: compiled ` +
        "playbook: checksum mismatch: the file is truncated or damaged"]);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["new Engine in the browser build refuses JSON (object, text, a JSON file's bytes) with E_PLAYBOOK_INVALID and one bad_compiled problem saying to compile it; compiled bytes work", async ({ open }) => {
      const { page, pageErrors } = await open("/tests/browser/blank.html");
      const outcome = await page.evaluate(async ({ json, compiled }) => {
        const rekindle = await import("/pkg/browser.js");
        await rekindle.init();
        const object = await (await fetch(json)).json();
        const attempt = (playbook) => {
          try {
            new rekindle.Engine(playbook).free();
            return "accepted";
          } catch (error) {
            return { isRekindleError: error instanceof rekindle.RekindleError, code: error.code, path: error.path,
              message: error.message, problems: error.details?.problems };
          }
        };
        const bytes = await (await fetch(compiled)).arrayBuffer();
        return {
          object: attempt(object),
          text: attempt(JSON.stringify(object)),
          jsonBytes: attempt(await (await fetch(json)).arrayBuffer()),
          arrayBuffer: attempt(bytes),
          uint8Array: attempt(new Uint8Array(bytes)),
          view: attempt(new DataView(bytes)),
          compileExported: "compilePlaybook" in rekindle,
        };
      }, { json: PLAYBOOK_SOURCE, compiled: PLAYBOOK });
      const hint = "this build of rekindle (browser) reads compiled playbooks only: compile this one with `rekindle " +
        "compile --playbook p.json --out p.rkp` or compilePlaybook() from \"rekindle\" in Node, and pass the bytes";
      for (const form of ["object", "text"]) {
        assert.deepEqual(outcome[form], { isRekindleError: true, code: "E_PLAYBOOK_INVALID", path: "",
          message: `invalid playbook: ${hint}`, problems: [{ path: "", code: "bad_compiled", message: hint }] }, form);
      }
      assert.equal(outcome.jsonBytes.code, "E_PLAYBOOK_INVALID");
      assert.deepEqual(outcome.jsonBytes.problems.map((p) => p.code), ["bad_compiled"]);
      assert.match(outcome.jsonBytes.message, /this is JSON: compile it first/);
      assert.deepEqual([outcome.arrayBuffer, outcome.uint8Array, outcome.view], ["accepted", "accepted", "accepted"]);
      assert.equal(outcome.compileExported, false, "compiling is the Node entry's (and the CLI's) job");
      assert.deepEqual(pageErrors.map(String), []);
    }],
  ];
}
