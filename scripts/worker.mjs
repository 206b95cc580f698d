// Bundling a Worker with `wrangler deploy --dry-run` (offline: rekindle resolves to its `workerd` entry, the .wasm
// becomes a CompiledWasm module and a compiled playbook, *.rkp, a Data module) and running the bundle in real workerd
// through Miniflare — shared by the worker tests, `npm start` (the example Worker in front of the demo site) and
// `npm run bench:edge`. The example's wrangler.toml compiles its playbook.json into playbook.rkp before bundling
// (its [build] command), so every bundle of it carries a playbook compiled by the rekindle it runs.
import { spawn } from "node:child_process";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { repoRoot } from "./util.mjs";

const require = createRequire(join(repoRoot, "package.json"));
export const EXAMPLE_CONFIG = join(repoRoot, "examples", "cloudflare-worker", "wrangler.toml");
export const COMPATIBILITY_DATE = "2025-01-01";

function runWrangler(args, cwd, logDir) {
  const wrangler = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
  return new Promise((resolve, reject) => {
    const env = { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG_PATH: logDir, NO_COLOR: "1", FORCE_COLOR: "0" };
    const child = spawn(process.execPath, [wrangler, ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => { output += chunk; });
    child.stderr.on("data", (chunk) => { output += chunk; });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`wrangler ${args.join(" ")} exited with ${code}:\n${output.trim().split("\n").slice(-30).join("\n")}`));
    });
  });
}

/** Bundles into `outdir` (wrangler arguments `args`, run in `cwd`); resolves to { outdir, files, entry }. */
export async function bundleWorker({ outdir, args, cwd, logDir = join(outdir, "..", "logs") }) {
  await rm(outdir, { recursive: true, force: true }); // no stale module from an earlier bundle
  await runWrangler(["deploy", "--dry-run", "--outdir", outdir, ...args], cwd, logDir);
  const files = await readdir(outdir);
  const entry = files.find((file) => file.endsWith(".js"));
  if (!entry) throw new Error(`wrangler wrote no script into ${outdir}: ${files.join(", ")}`);
  return { outdir, files, entry };
}

/** The example Worker (examples/cloudflare-worker) bundled into `outdir`; its build compiles playbook.json first. */
export const bundleExample = (outdir) => bundleWorker({ outdir, args: ["--config", EXAMPLE_CONFIG], cwd: dirname(EXAMPLE_CONFIG) });

/**
 * A test or bench Worker (`script`, an absolute path) bundled into `outdir` with the example's module rules: it may
 * import a compiled playbook (`*.rkp`, an ArrayBuffer) as the example does. The config is written beside `outdir`.
 */
export async function bundleScript({ outdir, script, name, logDir }) {
  const config = join(dirname(outdir), `${name}.wrangler.toml`);
  await mkdir(dirname(config), { recursive: true });
  await writeFile(config, [`name = ${JSON.stringify(name)}`, `main = ${JSON.stringify(script)}`,
    `compatibility_date = ${JSON.stringify(COMPATIBILITY_DATE)}`,
    '[[rules]]\ntype = "Data"\nglobs = ["**/*.rkp"]\nfallthrough = false', ""].join("\n"));
  return bundleWorker({ outdir, args: ["--config", config], cwd: dirname(config), logDir });
}

/** A new workerd isolate running a bundle, with extra Miniflare `options` (bindings, KV, outbound, port). */
export async function startWorker({ outdir, entry }, options = {}) {
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(outdir, entry),
    modulesRoot: outdir,
    modulesRules: [{ type: "ESModule", include: ["**/*.js"] }, { type: "CompiledWasm", include: ["**/*.wasm"] },
      { type: "Data", include: ["**/*.rkp"] }],
    compatibilityDate: COMPATIBILITY_DATE,
    ...options,
  });
  await mf.ready;
  return mf;
}
