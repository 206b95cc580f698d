// report.html in Chromium: the demo plan's report (target/demo-plan/, written here with the CLI cargo built when it
// is missing or older than that binary) opened from file:// with no network, screenshotted to target/report.png and
// checked for accessibility: axe-core when node_modules has it, else the rules that matter for this page directly
// (lang, one h1 and no skipped heading level, a caption and a table for every chart, labelled SVGs, alt text, text
// contrast of at least 4.5:1), and no console error.
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DEMO_REPORT, buildCli, builtCli, writeDemoPlan } from "../../scripts/demo-plan.mjs";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const SCREENSHOT = join(repoRoot, "target", "report.png");

/** The report, (re)written when missing or older than the newest CLI binary. */
async function demoReport() {
  let binary = builtCli();
  const stale = binary !== null && existsSync(DEMO_REPORT) && statSync(DEMO_REPORT).mtimeMs < statSync(binary).mtimeMs;
  if (!existsSync(DEMO_REPORT) || stale) {
    binary ??= await buildCli();
    await writeDemoPlan(binary);
  }
  return DEMO_REPORT;
}

/** axe-core's source when it is installed, else null. */
function axeSource() {
  try {
    const require = createRequire(join(repoRoot, "package.json"));
    return readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  } catch {
    return null;
  }
}

/** Runs in the page: the accessibility rules this page must meet; returns a list of violations. */
function directChecks() {
  const problems = [];
  if (document.documentElement.lang !== "en") problems.push(`html lang is "${document.documentElement.lang}"`);
  if (!document.title.trim()) problems.push("no <title>");
  const headings = [...document.querySelectorAll("h1, h2, h3, h4, h5, h6")];
  if (document.querySelectorAll("h1").length !== 1) problems.push("expected exactly one h1");
  let level = 0;
  for (const h of headings) {
    const next = Number(h.tagName.slice(1));
    if (next > level + 1) problems.push(`heading level skips from h${level} to h${next}: "${h.textContent}"`);
    if (!h.textContent.trim()) problems.push(`empty ${h.tagName}`);
    level = next;
  }
  const figures = [...document.querySelectorAll("figure")];
  if (figures.length < 5) problems.push(`expected the charts (at least 5 figures), found ${figures.length}`);
  for (const [i, figure] of figures.entries()) {
    if (!figure.querySelector("figcaption")?.textContent.trim()) problems.push(`figure ${i} has no caption`);
    const svg = figure.querySelector("svg");
    if (!svg || svg.getAttribute("role") !== "img" || !svg.getAttribute("aria-label")?.trim()) {
      problems.push(`figure ${i}: the chart is not an image with a label`);
    }
    if (!figure.querySelector("table")) problems.push(`figure ${i} has no table alternative`);
  }
  for (const [i, table] of [...document.querySelectorAll("table")].entries()) {
    if (!table.querySelector("caption")?.textContent.trim()) problems.push(`table ${i} has no caption`);
    if (table.querySelectorAll("th").length === 0) problems.push(`table ${i} has no header cells`);
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push(`img ${img.src} has no alt`);
  }
  const rgb = (text) => (text.match(/[\d.]+/g) ?? []).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const contrast = (a, b) => {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const texts = document.querySelectorAll("h1, h2, p, th, td, caption, figcaption, dt, dd, code, strong, time");
  for (const el of texts) {
    if (!el.textContent.trim()) continue;
    const ratio = contrast(rgb(getComputedStyle(el).color).slice(0, 3), background(el));
    if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)}:1 for "${el.textContent.trim().slice(0, 40)}"`);
  }
  for (const text of document.querySelectorAll("svg text")) {
    const ratio = contrast(rgb(getComputedStyle(text).fill).slice(0, 3), [255, 255, 255]);
    if (ratio < 4.5) problems.push(`chart text contrast ${ratio.toFixed(2)}:1 for "${text.textContent}"`);
  }
  return problems;
}

export function reportTests() {
  return [["report.html opens from disk with no network, is accessible and logs no error", async ({ open }) => {
    const report = await demoReport();
    const requests = [];
    const { page, pageErrors, consoleMessages } = await open(pathToFileURL(report).href, {
      route: async (p) => p.on("request", (request) => requests.push(request.url())),
    });
    await page.waitForLoadState("load");
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const offline = requests.filter((url) => !url.startsWith("file:"));
    if (offline.length > 0) throw new Error(`the report requested ${offline.join(", ")}`);
    const axe = axeSource();
    const problems = axe === null
      ? await page.evaluate(directChecks)
      : await page.evaluate(axe).then(() => page.evaluate(async () => { // a string evaluates as a script, past the CSP
        const result = await window.axe.run(document, { resultTypes: ["violations"] });
        return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length} nodes)`);
      }));
    if (problems.length > 0) throw new Error(`accessibility (${axe ? "axe-core" : "direct checks"}):\n  ${problems.join("\n  ")}`);
    const errors = consoleMessages.filter((m) => m.type === "error").map((m) => m.text);
    if (pageErrors.length > 0 || errors.length > 0) {
      throw new Error(`errors in the page: ${[...pageErrors.map(String), ...errors].join("; ")}`);
    }
    const funnel = await page.$$eval("tr[data-key]", (rows) => rows.length);
    if (funnel < 7) throw new Error(`expected the lifecycle funnel's 7 rows and more, found ${funnel} keyed rows`);
  }]];
}
