// `npm test`: every test layer, bottom-heavy, in one command that installs its own tools first.
// Node built-ins only until bootstrap has run.
//
//   node scripts/test.mjs                  all layers
//   node scripts/test.mjs --only node,types   a subset (bootstrap and build always run)
import { existsSync, readdirSync, rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import { bootstrap } from "./bootstrap.mjs";
import { FLAVOURS, build } from "./build.mjs";
import { guard } from "./guard.mjs";
import { printSizeReport } from "./size.mjs";
import { isMain, repoRoot, run, seconds } from "./util.mjs";

const node = process.execPath;
/** The type-test projects, one per exports condition. */
const TYPE_PROJECTS = ["tests/types", "tests/types/browser", "tests/types/workerd"];
const bin = (name) => join(repoRoot, "node_modules", ".bin", name);

/** Sums cargo's "test result: ok. N passed; M failed; K ignored" lines. */
export function cargoCounts(output) {
  const counts = { pass: 0, fail: 0, skipped: 0 };
  let seen = false;
  for (const m of output.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/g)) {
    seen = true;
    counts.pass += Number(m[1]);
    counts.fail += Number(m[2]);
    counts.skipped += Number(m[3]);
  }
  return seen ? counts : null;
}

/** Reads node:test's summary (spec "ℹ pass 3" or TAP "# pass 3"); null when there is none. */
export function nodeTestCounts(output) {
  const get = (key) => {
    const all = [...output.matchAll(new RegExp(`^(?:ℹ|#) ${key} (\\d+)\\s*$`, "gm"))];
    return all.length > 0 ? Number(all.at(-1)[1]) : null;
  };
  const pass = get("pass");
  const fail = get("fail");
  if (pass === null && fail === null) return null;
  return { pass: pass ?? 0, fail: fail ?? 0, skipped: (get("skipped") ?? 0) + (get("todo") ?? 0) };
}

/** Best effort for the browser/worker runners: node:test summaries, or "N passed, M failed" lines. */
function anyCounts(output) {
  const fromNode = nodeTestCounts(output);
  if (fromNode) return fromNode;
  const last = (re) => [...output.matchAll(re)].at(-1);
  const pass = last(/(\d+) (?:passed|passing)/gi);
  const fail = last(/(\d+) (?:failed|failing)/gi);
  if (!pass && !fail) return null;
  return { pass: Number(pass?.[1] ?? 0), fail: Number(fail?.[1] ?? 0), skipped: 0 };
}

const command = (cmd, args, counts = () => null) => async () => {
  const result = await run(cmd, args, { stream: true, env: childEnv() });
  const output = `${result.stdout}\n${result.stderr}`;
  return { ok: result.code === 0, counts: counts(output), note: result.code === 0 ? "" : `exit ${result.code}` };
};

const script = (path, counts) => async () => {
  if (!existsSync(join(repoRoot, path))) return { ok: false, note: `${path} is missing` };
  return command(node, [path], counts)();
};

function childEnv() {
  return { ...process.env, PATH: `${join(repoRoot, "node_modules", ".bin")}${delimiter}${process.env.PATH ?? ""}` };
}

const step = (fn) => async () => {
  await fn();
  return { ok: true };
};

/** The layers, in order. `fatal`: stop here when it fails (nothing later can be meaningful). */
export const LAYERS = Object.freeze([
  { id: "bootstrap", name: "bootstrap", fatal: true, always: true, run: step(() => bootstrap()) },
  { id: "build", name: "build (wasm, wasm-bindgen, wasm-opt)", fatal: true, always: true, run: step(() => build()) },
  { id: "guard", name: "guard (rekindle-core stays pure)", run: step(() => guard()) },
  { id: "fmt", name: "cargo fmt --check", run: command("cargo", ["fmt", "--all", "--", "--check"]) },
  {
    id: "clippy",
    name: "cargo clippy -D warnings",
    run: command("cargo", ["clippy", "--workspace", "--all-targets", "--all-features", "--", "-D", "warnings"]),
  },
  {
    id: "clippy-wasm",
    // Each build's code, with exactly its features (scripts/build.mjs FLAVOURS): edge, node and web.
    name: "cargo clippy (wasm32: edge, node and web builds)",
    run: async () => {
      for (const { features } of FLAVOURS) {
        const outcome = await command("cargo", ["clippy", "-p", "rekindle-wasm", "--target", "wasm32-unknown-unknown",
          "--no-default-features", "--features", features.join(","), "--", "-D", "warnings"])();
        if (!outcome.ok) return outcome;
      }
      return { ok: true };
    },
  },
  {
    id: "cargo",
    name: "cargo test",
    // --all-features: the browser feature's pure parts (state encoding) have native unit tests too.
    run: command("cargo", ["test", "--workspace", "--all-features"], cargoCounts),
  },
  {
    id: "types",
    // One project per exports condition (node.d.ts, browser.d.ts, workerd.d.ts): a project resolves one condition.
    name: "tsc --noEmit (tests/types: node, browser, workerd)",
    run: async () => {
      for (const project of TYPE_PROJECTS) {
        const outcome = await command(bin("tsc"), ["--noEmit", "-p", project])();
        if (!outcome.ok) return { ...outcome, note: `${project}: ${outcome.note}` };
      }
      return { ok: true };
    },
  },
  {
    id: "node",
    name: "node tests",
    // Files listed explicitly: Node 20 reads a directory argument, Node 22 treats arguments as globs.
    run: async () => {
      const files = readdirSync(join(repoRoot, "tests", "node"))
        .filter((name) => name.endsWith(".test.mjs"))
        .sort()
        .map((name) => join("tests", "node", name));
      if (files.length === 0) return { ok: false, note: "no tests/node/*.test.mjs files" };
      return command(node, ["--test", "--test-reporter=spec", ...files], nodeTestCounts)();
    },
  },
  { id: "browser", name: "browser tests (chromium)", run: script("tests/browser/run.mjs", anyCounts) },
  { id: "worker", name: "worker tests (workerd)", run: script("tests/worker/run.mjs", anyCounts) },
  { id: "cross", name: "cross-runtime vector outputs", run: script("tests/cross-runtime.mjs") },
  { id: "size", name: "size budget", run: async () => ({ ok: (await printSizeReport()) === 0 }) },
]);

function formatCounts(counts) {
  if (!counts) return "";
  const parts = [`${counts.pass} passed`];
  if (counts.fail) parts.push(`${counts.fail} failed`);
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  return parts.join(", ");
}

/** Runs the layers; resolves to the process exit code (0 when every layer that ran passed). */
export async function runTests({ only = null } = {}) {
  // Stale outputs from an earlier run must never make the cross-runtime check pass.
  rmSync(join(repoRoot, "target", "vector-outputs"), { recursive: true, force: true });
  const results = [];
  for (const layer of LAYERS) {
    if (only && !layer.always && !only.includes(layer.id)) continue;
    console.log(`\n━━ ${layer.name}`);
    const started = performance.now();
    let outcome;
    try {
      outcome = await layer.run();
    } catch (err) {
      console.error(err.message);
      outcome = { ok: false, note: err.message.split("\n")[0] };
    }
    const time = (performance.now() - started) / 1000;
    results.push({ layer, time, ...outcome });
    console.log(`━━ ${layer.name}: ${outcome.ok ? "PASS" : "FAIL"} ${formatCounts(outcome.counts)} ${seconds(time)}`);
    if (!outcome.ok && layer.fatal) {
      console.error(`stopping: later layers need ${layer.id} to succeed`);
      break;
    }
  }
  console.log("\nsummary");
  for (const r of results) {
    const detail = [formatCounts(r.counts), r.note].filter(Boolean).join("; ");
    console.log(`  ${r.ok ? "PASS" : "FAIL"}  ${r.layer.name.padEnd(38)} ${seconds(r.time).padStart(7)}  ${detail}`);
  }
  const failed = results.filter((r) => !r.ok);
  const total = results.reduce((sum, r) => sum + r.time, 0);
  console.log(failed.length === 0 ? `all ${results.length} layers passed in ${seconds(total)}` : `${failed.length} of ${results.length} layers failed (${seconds(total)})`);
  return failed.length === 0 && (only !== null || results.length === LAYERS.length) ? 0 : 1;
}

if (isMain(import.meta.url)) {
  const flag = process.argv.indexOf("--only");
  const only = flag === -1 ? null : (process.argv[flag + 1] ?? "").split(",").filter(Boolean);
  if (only) {
    const unknown = only.filter((id) => !LAYERS.some((l) => l.id === id));
    if (unknown.length > 0) {
      console.error(`unknown layer(s) ${unknown.join(", ")}; layers: ${LAYERS.map((l) => l.id).join(", ")}`);
      process.exit(2);
    }
  }
  process.exitCode = await runTests({ only });
}
