// The demo's campaign plan: `rekindle plan` over the committed sample (examples/data/plan/) into target/demo-plan/,
// whose report.html the demo page links to. Used by `npm start` and the browser tests. Node built-ins only.
//
//   node scripts/demo-plan.mjs        (builds the release CLI if needed, then writes target/demo-plan/)
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { isMain, repoRoot, run, runChecked } from "./util.mjs";

/** Where the plan goes, and its report. */
export const DEMO_PLAN_DIR = join(repoRoot, "target", "demo-plan");
export const DEMO_REPORT = join(DEMO_PLAN_DIR, "report.html");
/** The URL path of the report under the static server (which serves the repository root). */
export const DEMO_REPORT_PATH = "/target/demo-plan/report.html";

const EXE = process.platform === "win32" ? ".exe" : "";

/** The path cargo gives the CLI for a profile ("release" or "debug"). */
export function cliPath(profile) {
  return join(repoRoot, "target", profile, `rekindle${EXE}`);
}

/** The newest CLI binary cargo has built (release or debug), or null. */
export function builtCli() {
  const found = ["release", "debug"].map(cliPath).filter((p) => existsSync(p));
  found.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return found[0] ?? null;
}

/** `cargo build --release -p rekindle-cli` (cargo does nothing when it is up to date); returns the binary. */
export async function buildCli({ stream = false } = {}) {
  await runChecked("cargo", ["build", "--release", "-p", "rekindle-cli"], { stream });
  return cliPath("release");
}

/** Runs the plan with `binary`; exit 0 or 4 (rows rejected, which the report shows) is success. */
export async function writeDemoPlan(binary) {
  const args = [
    "plan",
    "--playbook", "examples/playbooks/saas.json",
    "--contacts", "examples/data/plan/contacts.csv",
    "--events", "examples/data/plan/events.ndjson",
    "--now", "2026-11-26T12:00:00Z",
    "--out", "target/demo-plan",
    "--quiet",
  ];
  const result = await run(binary, args);
  if (result.code !== 0 && result.code !== 4) {
    throw new Error(`\`${binary} ${args.join(" ")}\` exited with ${result.code}:\n${result.stderr.trim()}`);
  }
  return DEMO_REPORT;
}

if (isMain(import.meta.url)) {
  try {
    await writeDemoPlan(await buildCli({ stream: true }));
    console.log(`demo plan: ${DEMO_REPORT}`);
  } catch (err) {
    console.error(`demo-plan: ${err.message}`);
    process.exit(1);
  }
}
