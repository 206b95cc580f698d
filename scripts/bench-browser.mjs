// `npm run bench:browser`: what a page pays for rekindle, printed as figures (no assertions; STYLE §8).
//
//   node scripts/bench-browser.mjs     env BENCH_CONTACTS (300), BENCH_RUNS (7)
//
// 1. Bytes: the web build (wasm, its wasm-bindgen glue, and the package's browser JS bundled and minified by
//    esbuild) raw / gzip -9 / brotli against scripts/size-budget.json, and in the same table GrowthBook's and
//    PostHog's browser bundles from npm (node_modules, exact versions in package.json).
// 2. Headless Chromium (the same flags as the browser tests), pages served by scripts/serve.mjs:
//    - module init: `await init()` (fetch + compile + instantiate the web wasm) in fresh pages, cache disabled;
//      GrowthBook: importing its ESM bundle and constructing a client, the same way;
//    - tracker per event: `tracker.track()` with both consents — fold on the device, localStorage write, decide;
//    - decide: `contact.decide()` for contacts of the seeded workload (examples/node-batch/workload.mjs) under
//      examples/playbooks/saas.json, compiled (the page fetches saas.rkp) — the whole decision: decayed scores,
//      stage, segments, lifecycle, send policy, nurture step, CTA, with reasons;
//    - GrowthBook's SDK evaluating the CTA rules of saas.json as a feature with targeting conditions, given the
//      attributes rekindle computed (readiness, fit, stage, webinar attended in the last 7 days); the CTAs of
//      both are compared for every contact.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { bootstrap } from "./bootstrap.mjs";
import { build } from "./build.mjs";
import { CTA_FEATURES } from "./growthbook-cta.js";
import { startServer } from "./serve.mjs";
import { isMain, repoRoot } from "./util.mjs";

const CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"];
const envInt = (name, fallback) => {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

function sizes(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

/** The package's browser entry bundled and minified the way a site's bundler would ship it (wasm excluded). */
async function browserBundle() {
  const esbuild = await import("esbuild");
  const out = await esbuild.build({
    entryPoints: [join(repoRoot, "pkg", "browser.js")],
    bundle: true,
    minify: true,
    format: "esm",
    write: false,
    logLevel: "silent",
    external: ["*.wasm"],
  });
  return Buffer.from(out.outputFiles[0].contents);
}

function pkgVersion(name) {
  return JSON.parse(readFileSync(join(repoRoot, "node_modules", name, "package.json"), "utf8")).version;
}

async function sizeTable() {
  const { compilePlaybook } = await import("rekindle"); // after bootstrap and build: the package's Node entry
  const budget = JSON.parse(readFileSync(join(repoRoot, "scripts", "size-budget.json"), "utf8")).budgets;
  const webBudget = budget.find((b) => b.path === "pkg/gen/web/rekindle_wasm_bg.wasm");
  const gb = pkgVersion("@growthbook/growthbook");
  const ph = pkgVersion("posthog-js");
  const rows = [
    ["rekindle web wasm", readFileSync(join(repoRoot, "pkg/gen/web/rekindle_wasm_bg.wasm")), `≤ ${kb(webBudget.raw)} raw / ${kb(webBudget.gzip)} gzip`],
    ["rekindle browser JS (esbuild bundle, min)", await browserBundle(), "glue: ≤ 20.0 KB min per file (npm run size)"],
    [`@growthbook/growthbook ${gb} dist/bundles/esm.min.js`, readFileSync(join(repoRoot, "node_modules", "@growthbook", "growthbook", "dist", "bundles", "esm.min.js")), ""],
    [`posthog-js ${ph} dist/array.js`, readFileSync(join(repoRoot, "node_modules", "posthog-js", "dist", "array.js")), ""],
    [`posthog-js ${ph} dist/module.slim.js`, readFileSync(join(repoRoot, "node_modules", "posthog-js", "dist", "module.slim.js")), ""],
    // What the page also downloads: the playbook, compiled (the browser build reads no JSON).
    ["rekindle playbook: examples/playbooks/saas.rkp", Buffer.from(compilePlaybook(readFileSync(join(repoRoot,
      "examples", "playbooks", "saas.json"), "utf8"))), ""],
  ].map(([name, bytes, limit]) => ({ name, ...sizes(bytes), limit }));
  const ours = rows[0].gzip + rows[1].gzip;
  return { rows, ours, growthbook: rows[2].gzip, posthog: rows[3].gzip };
}

/** Runs in a page: timings (ms) for rekindle and GrowthBook over the same contacts. */
async function pageBench({ contacts, runs, features, growthbookUrl }) {
  const rekindle = await import("/pkg/browser.js");
  const { workload, NOW } = await import("/examples/node-batch/workload.mjs");
  await rekindle.init();
  // saas.json compiled by the static server (scripts/compiled-playbooks.mjs): the browser build reads no JSON.
  const playbook = await (await fetch("/examples/playbooks/saas.rkp")).arrayBuffer();
  const engine = new rekindle.Engine(playbook);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const time = (fn) => {
    fn();
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      fn();
      samples.push(performance.now() - t);
    }
    return median(samples);
  };
  const data = workload({ contacts, perContact: 50 });
  const handles = data.map((events) => {
    const c = engine.contact(null);
    c.fold(events);
    return c;
  });
  const decisions = handles.map((c) => c.decide({ now: NOW }));
  const decideMs = time(() => {
    for (const c of handles) c.decide({ now: NOW });
  });
  // The attributes GrowthBook needs, computed by rekindle (GrowthBook cannot fold events or decay scores).
  const rank = { lead: 0, mql: 1, sql: 2, opportunity: 3, customer: 4 };
  const attributes = decisions.map((d) => ({
    readiness: d.readiness,
    fit: d.scores.fit,
    stage: d.stage,
    stageRank: rank[d.stage],
    webinarAttended7d: false,
  }));
  handles.forEach((c, i) => {
    // "webinar_attended within 7d" from rekindle's own view of the signal (its recent instants).
    const view = c.inspect();
    const s = view.signals.find((x) => x.id === "webinar_attended");
    attributes[i].webinarAttended7d = Boolean(s?.recent?.some((t) => NOW - t < 7 * 86_400_000 && t <= NOW));
  });
  const { GrowthBook } = await import(growthbookUrl);
  const gb = new GrowthBook({ features, attributes: attributes[0] });
  const gbCta = attributes.map((a) => {
    gb.setAttributes(a);
    return gb.getFeatureValue("cta", "checklist");
  });
  const gbMs = time(() => {
    for (const a of attributes) {
      gb.setAttributes(a);
      gb.getFeatureValue("cta", "checklist");
    }
  });
  const agree = decisions.filter((d, i) => (d.cta?.id ?? "checklist") === gbCta[i]).length;
  // Tracker: track() per event with both consents (fold, localStorage write, decide, subscribers).
  localStorage.clear();
  const tracker = new rekindle.Tracker(engine, { consent: { analytics: true, personalisation: true } }).start();
  const names = ["pricing_calculator", "webinar_registered", "form_submit", "trial_started"];
  const perEvent = 400;
  const trackMs = time(() => {
    for (let i = 0; i < perEvent; i++) tracker.track(names[i % names.length], {});
  });
  tracker.stop();
  for (const c of handles) c.free();
  return { contacts: handles.length, decideMs, gbMs, agree, trackMs, perEvent };
}

/** Fresh page, cache disabled: ms for `init()` and for GrowthBook's import + constructor. */
async function initTimes(browser, baseUrl, runs, growthbookUrl, features) {
  const ours = [];
  const theirs = [];
  for (let i = 0; i < runs; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await page.goto(`${baseUrl}/tests/browser/blank.html`);
    const t = await page.evaluate(async ({ growthbookUrl, features }) => {
      let start = performance.now();
      const rekindle = await import("/pkg/browser.js");
      await rekindle.init();
      const ours = performance.now() - start;
      start = performance.now();
      const { GrowthBook } = await import(growthbookUrl);
      new GrowthBook({ features, attributes: {} });
      return { ours, theirs: performance.now() - start };
    }, { growthbookUrl, features });
    ours.push(t.ours);
    theirs.push(t.theirs);
    await context.close();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { ours: median(ours), theirs: median(theirs) };
}

export async function benchBrowser() {
  await bootstrap();
  await build();
  const contacts = envInt("BENCH_CONTACTS", 300);
  const runs = envInt("BENCH_RUNS", 7);
  const size = await sizeTable();
  const server = await startServer({ port: 0 });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: CHROMIUM_ARGS });
  const growthbookUrl = "/node_modules/@growthbook/growthbook/dist/bundles/esm.min.js";
  const features = CTA_FEATURES;
  try {
    const init = await initTimes(browser, server.url, runs, growthbookUrl, features);
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/tests/browser/blank.html`);
    const r = await page.evaluate(pageBench, { contacts, runs, features, growthbookUrl });
    const version = await page.evaluate(() => navigator.userAgent.match(/Chrome\/[\d.]+/)?.[0] ?? "Chromium");
    const us = (ms, n) => (1000 * ms) / n;
    console.log(`rekindle bench:browser · ${version} headless · examples/playbooks/saas.json, compiled · ${r.contacts} contacts × 50 events · median of ${runs}`);
    console.log("\nbytes                                              raw        gzip      brotli    budget");
    for (const row of size.rows) {
      console.log(`${row.name.padEnd(50)} ${kb(row.raw).padStart(9)} ${kb(row.gzip).padStart(9)} ${kb(row.brotli).padStart(9)}    ${row.limit}`);
    }
    console.log(`rekindle wasm + JS gzip ${kb(size.ours)}: ${(size.ours / size.growthbook).toFixed(1)}× GrowthBook's bundle, ` +
      `${(size.ours / size.posthog).toFixed(2)}× PostHog's array.js`);
    const decideUs = us(r.decideMs, r.contacts);
    const gbUs = us(r.gbMs, r.contacts);
    console.log("\ntime (Chromium)                                    rekindle             peer                         ratio");
    console.log(`module init (fetch + compile + instantiate)         ${init.ours.toFixed(1)} ms              GrowthBook import + new ${init.theirs.toFixed(1)} ms   ${(init.ours / init.theirs).toFixed(1)}× the peer's time`);
    console.log(`decide per contact (whole decision, reasons)        ${decideUs.toFixed(1)} µs             GrowthBook CTA feature ${gbUs.toFixed(2)} µs   ${(decideUs / gbUs).toFixed(1)}× the peer's time`);
    console.log(`tracker per event (fold + localStorage + decide)    ${us(r.trackMs, r.perEvent).toFixed(1)} µs             —`);
    console.log(`\nCTA agreement: ${r.agree}/${r.contacts} contacts get the same CTA from GrowthBook given rekindle's attributes`);
    console.log(`GrowthBook only evaluates: readiness, fit, stage and "webinar in 7 days" are rekindle's output (decayed scores, ` +
      `windows); rekindle's decide also returns segments, lifecycle, send policy, nurture step and every reason.`);
  } finally {
    await browser.close();
    await server.close();
  }
}

if (isMain(import.meta.url)) await benchBrowser();
