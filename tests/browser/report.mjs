// report.html in Chromium: the demo plan's report (target/demo-plan/, written here with the CLI cargo built when it
// is missing or older than that binary) opened from file:// with no network, screenshotted to target/report.png and
// checked for accessibility with axe-core (WCAG 2.2 AA and best practices), and no console error.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DEMO_REPORT, buildCli, builtCli, writeDemoPlan } from "../../scripts/demo-plan.mjs";
import { axeViolations } from "./axe.mjs";

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
    const problems = await axeViolations(page);
    if (problems.length > 0) throw new Error(`accessibility (axe-core):\n  ${problems.join("\n  ")}`);
    const errors = consoleMessages.filter((m) => m.type === "error").map((m) => m.text);
    if (pageErrors.length > 0 || errors.length > 0) {
      throw new Error(`errors in the page: ${[...pageErrors.map(String), ...errors].join("; ")}`);
    }
    const funnel = await page.$$eval("tr[data-key]", (rows) => rows.length);
    if (funnel < 7) throw new Error(`expected the lifecycle funnel's 7 rows and more, found ${funnel} keyed rows`);
  }]];
}
