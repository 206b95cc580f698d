#!/usr/bin/env node
// Browser suite: headless Chromium (playwright-core) over the static server. Runs the shared vectors through the
// browser entry, drives the www/ demo (on playbooks the server compiles from their JSON), checks that a CSP without
// 'wasm-unsafe-eval' fails closed, that a JSON playbook is refused with the compile hint, that loadState/saveState
// survive blocked storage, that the plan's report.html opens from disk, accessible, and that
// the READMEs' esbuild example works when bundled as they say.
// Prints each test and `browser: N passed, M failed`; exits 1 on failure.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startServer } from "../../scripts/serve.mjs";
import { bundleTests } from "./bundle.mjs";
import { demoTests } from "./demo.mjs";
import { entryTests } from "./entry.mjs";
import { reportTests } from "./report.mjs";
import { preferencesTests } from "./preferences.mjs";
import { siteTests } from "./site.mjs";
import { startTests } from "./start.mjs";
import { trackerTests } from "./tracker.mjs";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"];

function vectorTests() {
  return [["every shared vector gives its expected answer in Chromium", async ({ open }) => {
    const { compiledVectors, loadVectors } = await import("../support/load-vectors.mjs");
    const { outputsFileText } = await import("../support/vectors.mjs");
    // The browser build reads compiled playbooks: each vector's playbook compiled in Node, as a site's build does.
    const vectors = await compiledVectors(loadVectors(repoRoot));
    if (vectors.length === 0) throw new Error("no vectors found under tests/vectors");
    const { page } = await open("/tests/browser/vectors.html");
    await page.waitForFunction(() => document.documentElement.dataset.ready === "true");
    const results = await page.evaluate((input) => window.runVectors(input), vectors);
    const failed = results.filter((result) => !result.ok);
    const outputs = results.filter((result) => typeof result.canonical === "string").map((r) => [r.name, r.canonical]);
    const file = join(repoRoot, "target", "vector-outputs", "chromium.json");
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, outputsFileText(Object.fromEntries(outputs)));
    if (failed.length > 0) {
      const lines = failed.map((result) => `  ${result.name}:\n    ${result.failures.join("\n    ")}`);
      throw new Error(`${failed.length} of ${results.length} vectors failed:\n${lines.join("\n")}`);
    }
    if (results.length !== vectors.length) throw new Error(`ran ${results.length} of ${vectors.length} vectors`);
  }]];
}

/** Opens `path` in a fresh context (fresh storage); collects uncaught exceptions and console messages. */
function opener(browser, baseUrl, contexts) {
  return async (path, { initScript, route } = {}) => {
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const pageErrors = [];
    const consoleMessages = [];
    page.on("pageerror", (error) => pageErrors.push(error));
    page.on("console", (message) => consoleMessages.push({ type: message.type(), text: message.text() }));
    if (initScript) await page.addInitScript(initScript);
    if (route) await route(page, baseUrl);
    await page.goto(new URL(path, baseUrl).href);
    return { page, pageErrors, consoleMessages, baseUrl };
  };
}

async function main() {
  // BROWSER_TESTS=<regex> runs only the tests whose name matches (while working on one part); npm test runs all.
  const only = process.env.BROWSER_TESTS ? new RegExp(process.env.BROWSER_TESTS, "i") : null;
  const tests = [...vectorTests(), ...demoTests(), ...entryTests(), ...trackerTests(), ...startTests(), ...preferencesTests(), ...siteTests(),
    ...reportTests(), ...bundleTests()].filter(([name]) => only === null || only.test(name));
  let server;
  let browser;
  try {
    server = await startServer({ port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  } catch (error) {
    console.log(`FAIL cannot start the static server or ${CHROMIUM}: ${error?.stack ?? error}`);
    await server?.close();
    console.log(`browser: 0 passed, ${tests.length} failed`);
    process.exitCode = 1;
    return;
  }
  let passed = 0;
  let failed = 0;
  try {
    for (const [name, body] of tests) {
      const contexts = [];
      const open = opener(browser, server.url, contexts);
      try {
        await body({ open });
        passed += 1;
        console.log(`ok   ${name}`);
      } catch (error) {
        failed += 1;
        console.log(`FAIL ${name}\n     ${String(error?.stack ?? error).split("\n").join("\n     ")}`);
      } finally {
        await Promise.all(contexts.map((context) => context.close()));
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

await main();
