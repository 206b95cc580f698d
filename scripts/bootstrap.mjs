// Installs every tool `npm start` and `npm test` need, idempotently, printing one line per step.
// Node built-ins only: this is what runs before node_modules exists.
//
//   node scripts/bootstrap.mjs
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { withInstallLock } from "./install-lock.mjs";
import { isMain, repoRoot, run, runChecked, seconds, which } from "./util.mjs";

/** The wasm-bindgen CLI must match the `wasm-bindgen = "=…"` pin in Cargo.toml exactly. */
export const WASM_BINDGEN_VERSION = "0.2.130";
const CHROMIUM = "/usr/bin/chromium";
const LOCK_STAMP = join(repoRoot, "node_modules", ".rekindle-lock-hash");
/** Held while `npm ci` runs; outside node_modules, which `npm ci` deletes first. */
const INSTALL_LOCK = join(repoRoot, "target", "locks", "npm-install");

const cargoBin = () => join(process.env.CARGO_HOME ?? join(homedir(), ".cargo"), "bin");

/** Path of a wasm-bindgen CLI of exactly WASM_BINDGEN_VERSION (PATH first, then ~/.cargo/bin), or null. */
export async function findWasmBindgen() {
  const candidates = [which("wasm-bindgen"), join(cargoBin(), "wasm-bindgen")].filter(Boolean);
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const { code, stdout } = await run(candidate, ["--version"]).catch(() => ({ code: 1, stdout: "" }));
    if (code === 0 && stdout.trim() === `wasm-bindgen ${WASM_BINDGEN_VERSION}`) return candidate;
  }
  return null;
}

/** Path of binaryen's wasm-opt from the npm package (never the Debian one). */
export function wasmOptPath() {
  return join(repoRoot, "node_modules", ".bin", "wasm-opt");
}

function lockHash() {
  const hash = createHash("sha256");
  for (const file of ["package.json", "package-lock.json", "pkg/package.json"]) {
    const path = join(repoRoot, file);
    hash.update(`${file}\0`);
    if (existsSync(path)) hash.update(readFileSync(path));
  }
  return hash.digest("hex");
}

/** True when node_modules was installed from exactly the current package.json + lock. */
export function npmDepsInSync() {
  return existsSync(LOCK_STAMP) && readFileSync(LOCK_STAMP, "utf8").trim() === lockHash();
}

async function npmDeps(log) {
  if (npmDepsInSync()) return "skipped (node_modules matches package-lock.json)";
  // One installer at a time (scripts/install-lock.mjs); a run that waited finds the work done.
  const onWait = (pid) => log(`bootstrap: npm dependencies: waiting for process ${pid}, which is installing them…`);
  return withInstallLock(INSTALL_LOCK, async () => {
    if (npmDepsInSync()) return "skipped (installed by another run meanwhile)";
    const hasLock = existsSync(join(repoRoot, "package-lock.json"));
    const args = hasLock ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"];
    await runChecked("npm", args);
    writeFileSync(LOCK_STAMP, `${lockHash()}\n`);
    return `installed (npm ${args[0]})`;
  }, { onWait });
}

async function wasmTarget() {
  const { stdout } = await runChecked("rustup", ["target", "list", "--installed"]);
  if (stdout.split("\n").some((line) => line.trim() === "wasm32-unknown-unknown")) {
    return "skipped (already installed)";
  }
  await runChecked("rustup", ["target", "add", "wasm32-unknown-unknown"]);
  return "installed";
}

async function wasmBindgen(log) {
  const found = await findWasmBindgen();
  if (found) return `skipped (${found})`;
  log(`bootstrap: wasm-bindgen ${WASM_BINDGEN_VERSION}: cargo install running (about 5 minutes)…`);
  // No --locked: the CLI's own lock file pins crates that no longer build on current Rust.
  await runChecked("cargo", ["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION, "--force"]);
  const installed = await findWasmBindgen();
  if (!installed) throw new Error(`cargo install finished but wasm-bindgen ${WASM_BINDGEN_VERSION} is still not found`);
  return `installed (${installed})`;
}

async function chromium(log) {
  if (existsSync(CHROMIUM)) return `skipped (${CHROMIUM})`;
  if (process.getuid?.() !== 0) {
    throw new Error(`${CHROMIUM} is missing and this is not root: run \`sudo apt-get install -y chromium\` and retry`);
  }
  log("bootstrap: chromium: apt-get install running…");
  // Recommends stay on: they bring the fonts pages are rendered with (verified: `apt-get install -y chromium`).
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => run("apt-get", ["install", "-y", "chromium"], { env });
  let result = await install();
  if (result.code !== 0) {
    await runChecked("apt-get", ["update"], { env });
    result = await install();
  }
  if (result.code !== 0 || !existsSync(CHROMIUM)) {
    throw new Error(`apt-get install chromium failed:\n${result.stderr.trim().split("\n").slice(-10).join("\n")}`);
  }
  return "installed (apt-get)";
}

const STEPS = [
  ["npm dependencies", npmDeps],
  ["rust target wasm32-unknown-unknown", wasmTarget],
  [`wasm-bindgen ${WASM_BINDGEN_VERSION}`, wasmBindgen],
  ["chromium", chromium],
];

/** The steps `npm run build` needs: everything but chromium, which only the browser tests and demos use. */
export const BUILD_STEPS = Object.freeze(STEPS.map(([name]) => name).filter((name) => name !== "chromium"));

/**
 * Ensures every tool is present (or only the named `steps`). Throws on the first step that cannot be completed;
 * `log` receives one line per step.
 */
export async function bootstrap({ log = (line) => console.log(line), steps = null } = {}) {
  const unknown = (steps ?? []).filter((name) => !STEPS.some(([known]) => known === name));
  if (unknown.length > 0) throw new Error(`unknown bootstrap step(s) ${unknown.join(", ")}`);
  for (const [name, step] of STEPS) {
    if (steps !== null && !steps.includes(name)) continue;
    const started = performance.now();
    try {
      const outcome = await step(log);
      log(`bootstrap: ${name}: ${outcome} ${seconds((performance.now() - started) / 1000)}`);
    } catch (err) {
      log(`bootstrap: ${name}: FAILED ${seconds((performance.now() - started) / 1000)}`);
      throw new Error(`bootstrap step "${name}" failed: ${err.message}`, { cause: err });
    }
  }
}

if (isMain(import.meta.url)) {
  bootstrap().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
