// The package through a bundler, in Chromium: the READMEs' esbuild example, run with the command its first line
// gives, loads the wasm from the bundler's copy and renders a CTA; the same bundle without the `wasm` option asks
// for gen/web/rekindle_wasm_bg.wasm next to the bundle, gets a 404 and keeps the fallback (what the example is for).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
// Compiled by the static server from the .json beside it: the browser build reads compiled playbooks only.
const PLAYBOOK = "/tests/browser/fixtures/tracker-playbook.rkp";
const ESBUILD = join(repoRoot, "node_modules", ".bin", "esbuild");

/** The ```js block of `file` that imports the wasm's URL from the package (the bundler example). */
function bundlerExample(file) {
  const text = readFileSync(join(repoRoot, file), "utf8");
  const block = [...text.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]).find((code) => code.includes("rekindle/rekindle.wasm"));
  assert.ok(block, `${file} has a js example importing "rekindle/rekindle.wasm"`);
  return block;
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bundled</title><link rel="icon" href="data:,"></head><body>
<rekindle-cta id="widget">
  <template data-variant="cta/checklist"><a href="/checklist" class="checklist">Get the checklist</a></template>
  <a data-rekindle-fallback href="/contact" class="fallback">Talk to us</a>
</rekindle-cta>
<script type="module" src="dist/app.js"></script>
</body></html>
`;

/**
 * Writes `app` as app.js under target/browser-bundle/<name>/ with the page above, runs `esbuild <args>` there (the
 * package resolves through the repository's node_modules, as from an app's), and returns the page's path.
 */
function bundle(name, app, args) {
  const dir = join(repoRoot, "target", "browser-bundle", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "app.js"), app);
  writeFileSync(join(dir, "index.html"), PAGE);
  execFileSync(ESBUILD, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  return `/target/browser-bundle/${name}/`;
}

/** Opens the bundled page, recording every .wasm request's path; waits until the widget settled. */
async function openBundled(open, path) {
  const wasm = [];
  const opened = await open(`${path}index.html`, {
    route: (page) => page.on("request", (request) => {
      const url = new URL(request.url());
      if (url.pathname.endsWith(".wasm")) wasm.push(url.pathname);
    }),
  });
  await opened.page.waitForFunction(() => window.__started !== undefined);
  return { ...opened, wasm };
}

export function bundleTests() {
  return [
    ["the READMEs' esbuild example, bundled as it says, loads the wasm the bundler copied and renders a CTA", async ({ open }) => {
      const example = bundlerExample("README.md");
      assert.equal(bundlerExample("pkg/README.md"), example, "pkg/README.md shows the same example");
      const command = example.match(/^\/\/ app\.js, bundled with: esbuild (.+)$/m);
      assert.ok(command, "the example's first line gives the esbuild command");
      assert.ok(example.includes('"/playbook.rkp"'), "the example loads the compiled playbook");
      const app = `${example.replace('"/playbook.rkp"', JSON.stringify(PLAYBOOK))}\nwindow.__started = tracker !== null;\n`;
      const path = bundle("readme", app, command[1].split(" "));
      const { page, pageErrors, consoleMessages, wasm } = await openBundled(open, path);
      assert.equal(await page.evaluate(() => window.__started), true);
      await page.waitForFunction(() => document.getElementById("widget").getAttribute("data-rekindle-cta-id") === "checklist");
      assert.ok(await page.isVisible("#widget .checklist"));
      assert.equal(await page.isVisible("#widget .fallback"), false);
      assert.equal(wasm.length, 1, `one wasm request: ${wasm.join(", ")}`);
      assert.match(wasm[0], new RegExp(`^${path}dist/rekindle_wasm_bg-[A-Z0-9]+\\.wasm$`), "the bundler's hashed copy");
      assert.deepEqual(consoleMessages.filter((m) => m.type === "warning" || m.type === "error"), []);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["a bundle without the wasm option asks next to the bundle, gets a 404 and keeps the fallback, saying so", async ({ open }) => {
      const app = `import { startTracker } from "rekindle";\n` +
        `const tracker = await startTracker({ playbook: ${JSON.stringify(PLAYBOOK)} });\nwindow.__started = tracker !== null;\n`;
      const path = bundle("no-wasm-option", app, ["app.js", "--bundle", "--format=esm", "--outdir=dist"]);
      const { page, pageErrors, consoleMessages, wasm, baseUrl } = await openBundled(open, path);
      assert.equal(await page.evaluate(() => window.__started), false);
      assert.ok(await page.isVisible("#widget .fallback"));
      const tried = `${path}dist/gen/web/rekindle_wasm_bg.wasm`;
      assert.deepEqual(wasm, [tried]);
      const warnings = consoleMessages.filter((m) => m.type === "warning").map((m) => m.text);
      assert.equal(warnings.length, 1, JSON.stringify(warnings));
      assert.ok(warnings[0].startsWith(`rekindle: not started, showing fallback content: could not fetch rekindle's wasm from ` +
        `${new URL(tried, baseUrl).href}: HTTP 404; `), warnings[0]);
      assert.match(warnings[0], /startTracker\(\{ wasm: url \}\)/, "the warning says which option fixes it");
      assert.deepEqual(pageErrors.map(String), []);
    }],
  ];
}
