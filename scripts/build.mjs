// Builds the three wasm flavours the npm package ships and post-processes them:
//   edge (playbook-compiled; workerd)                 → pkg/gen/edge/   profile wasm, wasm-opt -Oz --converge (size first)
//   node (import,retention,playbook-json,playbook-compiled; Node) → pkg/gen/node/ profile wasm-speed, -O3 (speed first)
//   web  (browser,playbook-compiled; browsers)        → pkg/gen/web/    profile wasm, wasm-opt -Oz --converge (size first)
// cargo build --profile P → wasm-bindgen --target web → wasm-opt (never skipped) → load check.
// Why node is built for speed: Node reads the module from disk once per process, so its bytes cost nothing per
// request, while batch and server work runs every event through it (npm run bench: 1.5× faster per event at
// opt-level 3, measured 2026-11-26). Edge and web are downloaded or cold-started: bytes first (--converge reruns
// -Oz until it stops shrinking: −0.5 KB gzip of the web module for ~4 s of build, measured 2026-11-26).
// wasm-bindgen and wasm-opt are skipped when the cargo output is byte-identical to the last build (stamp file).
//
//   npm run build   (node scripts/build.mjs: installs what the build needs first, skipping what is there)
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { BUILD_STEPS, WASM_BINDGEN_VERSION, bootstrap, findWasmBindgen, wasmOptPath } from "./bootstrap.mjs";
import { isMain, repoRoot, run, runChecked, seconds } from "./util.mjs";

const TARGET = "wasm32-unknown-unknown";
/** Where cargo writes the module for a profile. */
const cargoOutput = (profile) => join(repoRoot, "target", TARGET, profile, "rekindle_wasm.wasm");
const WORK = join(repoRoot, "target", "rekindle-build");

/** The shipped flavours: name → cargo features, cargo profile (Cargo.toml) and wasm-opt level. */
export const FLAVOURS = Object.freeze([
  // workerd: reads compiled playbooks only (`rekindle compile`): the JSON reader is a fifth of the module
  { name: "edge", features: ["playbook-compiled"], profile: "wasm", opt: ["-Oz", "--converge"] },
  // Node: edge plus the vendor adapters and retention analytics, both playbook forms and compilePlaybook, built for
  // speed (see the top of this file)
  { name: "node", features: ["import", "retention", "playbook-json", "playbook-compiled"], profile: "wasm-speed", opt: ["-O3"] },
  // browsers: compiled playbooks only, as edge
  { name: "web", features: ["browser", "playbook-compiled"], profile: "wasm", opt: ["-Oz", "--converge"] },
]);

const WASM_BINDGEN_ARGS = [
  "--target",
  "web",
  "--weak-refs", // accepted by 0.2.130 (now runtime-detected); kept so older CLIs emit FinalizationRegistry too
  "--experimental-reset-state-function", // __wbg_reset_state: the facade re-instantiates after a trap
  "--no-typescript", // users never import gen/; pkg/index.d.ts is hand-written
  "--out-name",
  "rekindle_wasm",
];

// Features rustc's wasm32 output uses today (LLVM's "generic" CPU); wasm-opt rejects the module without them.
const WASM_OPT_ARGS = [
  "--strip-debug",
  "--strip-producers",
  "--enable-bulk-memory",
  "--enable-nontrapping-float-to-int",
  "--enable-sign-ext",
  "--enable-mutable-globals",
  "--enable-reference-types",
  "--enable-multivalue",
];

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/**
 * Rust flags for the wasm target that make the module's bytes independent of the machine. Panic locations keep
 * source paths; without remapping they held this machine's `$CARGO_HOME/registry/src/…` for dependencies, and for
 * std generics `$(rustc --print sysroot)/lib/rustlib/src/rust/…` whenever the rust-src component is installed
 * (`/rustc/<commit>/…` when it is not): the shipped size moved with the home directory and with an unrelated
 * rustup component (349 bytes on this build, more than the edge budget's headroom). Both are mapped to fixed
 * prefixes. Target-specific, so a `RUSTFLAGS` the user sets still wins, as cargo's precedence says.
 */
async function reproducibleRustflags() {
  const sysroot = (await runChecked("rustc", ["--print", "sysroot"])).stdout.trim();
  const commit = /^commit-hash: (\S+)$/m.exec((await runChecked("rustc", ["-vV"])).stdout)?.[1] ?? "unknown";
  const cargoHome = process.env.CARGO_HOME ?? join(homedir(), ".cargo");
  const remaps = [
    `--remap-path-prefix=${join(sysroot, "lib", "rustlib", "src", "rust")}=/rustc/${commit}`,
    `--remap-path-prefix=${join(cargoHome, "registry", "src")}=/cargo/registry/src`,
    `--remap-path-prefix=${repoRoot}=.`,
  ];
  const own = process.env.CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS;
  return [own, ...remaps].filter(Boolean).join(" ");
}

/** Instantiates a generated flavour in a fresh Node process and returns its `version()` (or "loaded"). */
async function checkLoads(dir) {
  const glue = new URL(`file://${join(dir, "rekindle_wasm.js")}`).href;
  const wasm = join(dir, "rekindle_wasm_bg.wasm");
  const script = `
    import { readFileSync } from "node:fs";
    const gen = await import(${JSON.stringify(glue)});
    gen.initSync({ module: readFileSync(${JSON.stringify(wasm)}) });
    console.log(typeof gen.version === "function" ? gen.version() : "loaded");`;
  const { stdout } = await runChecked(process.execPath, ["--input-type=module", "-e", script]);
  return stdout.trim();
}

async function postProcess(flavour, input, wasmBindgen, log) {
  const out = join(WORK, `${flavour.name}-out`);
  rmSync(out, { recursive: true, force: true });
  await runChecked(wasmBindgen, [...WASM_BINDGEN_ARGS, "--out-dir", out, input]);
  const bg = join(out, "rekindle_wasm_bg.wasm");
  const before = readFileSync(bg).length;
  await runChecked(wasmOptPath(), [...flavour.opt, ...WASM_OPT_ARGS, bg, "-o", bg]);
  const bytes = readFileSync(bg);
  if (!WebAssembly.validate(bytes)) throw new Error(`${flavour.name}: wasm-opt produced a module that does not validate`);
  const loaded = await checkLoads(out);
  const dest = join(repoRoot, "pkg", "gen", flavour.name);
  mkdirSync(join(repoRoot, "pkg", "gen"), { recursive: true });
  rmSync(dest, { recursive: true, force: true });
  renameSync(out, dest);
  log(`build: ${flavour.name}: wasm-bindgen + wasm-opt ${before} → ${bytes.length} bytes, loads (${loaded})`);
}

/** Files of the repository the npm package ships (package.json `files`): the licences and the docs its README and
 * .d.ts files point to. npm packs only what is inside pkg/, so they are copied there (gitignored), on every build. */
export const SHIPPED_COPIES = Object.freeze([
  ["LICENSE-MIT", "LICENSE-MIT"],
  ["LICENSE-APACHE", "LICENSE-APACHE"],
  ["docs/playbook.md", "docs/playbook.md"],
  ["docs/retention.md", "docs/retention.md"],
  ["docs/tokens.md", "docs/tokens.md"],
  ["docs/domain.md", "docs/domain.md"],
]);

function copyShippedFiles() {
  mkdirSync(join(repoRoot, "pkg", "docs"), { recursive: true });
  for (const [from, to] of SHIPPED_COPIES) copyFileSync(join(repoRoot, from), join(repoRoot, "pkg", to));
}

/**
 * Builds every flavour into pkg/gen/. Throws with the failing command's output on any error.
 * `log` receives one line per step; cargo's own output is streamed when `stream` is true.
 */
export async function build({ log = (line) => console.log(line), stream = true } = {}) {
  const wasmBindgen = await findWasmBindgen();
  if (!wasmBindgen) {
    throw new Error(`wasm-bindgen ${WASM_BINDGEN_VERSION} not found: run \`npm run build\` (it installs it) or \`node scripts/bootstrap.mjs\``);
  }
  if (!existsSync(wasmOptPath())) {
    throw new Error("node_modules/.bin/wasm-opt not found (npm package binaryen): run `npm run build` (it installs it) or `node scripts/bootstrap.mjs`");
  }
  copyShippedFiles();
  mkdirSync(WORK, { recursive: true });
  const recipe = JSON.stringify({ WASM_BINDGEN_VERSION, WASM_BINDGEN_ARGS, WASM_OPT_ARGS });
  const env = { ...process.env, CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS: await reproducibleRustflags() };
  for (const flavour of FLAVOURS) {
    const started = performance.now();
    const args = ["build", "-p", "rekindle-wasm", "--target", TARGET, "--profile", flavour.profile];
    args.push("--no-default-features"); // each flavour names every feature it has (crates/wasm/Cargo.toml)
    if (flavour.features.length > 0) args.push("--features", flavour.features.join(","));
    const cargo = await run("cargo", args, { stream, env });
    if (cargo.code !== 0) {
      const tail = stream ? "" : `\n${cargo.stderr.trim().split("\n").slice(-30).join("\n")}`;
      throw new Error(`\`cargo ${args.join(" ")}\` failed${tail}`);
    }
    // Flavours of one profile land on the same path: copy each aside before the next build overwrites it.
    const input = join(WORK, `${flavour.name}.wasm`);
    copyFileSync(cargoOutput(flavour.profile), input);
    const stamp = `${sha256(readFileSync(input))} ${sha256(`${recipe} ${flavour.opt.join(" ")}`)}\n`;
    const stampFile = join(WORK, `${flavour.name}.stamp`);
    const dest = join(repoRoot, "pkg", "gen", flavour.name);
    const upToDate =
      existsSync(stampFile) &&
      readFileSync(stampFile, "utf8") === stamp &&
      existsSync(join(dest, "rekindle_wasm.js")) &&
      existsSync(join(dest, "rekindle_wasm_bg.wasm"));
    if (upToDate) {
      log(`build: ${flavour.name}: cargo ok, wasm unchanged: wasm-bindgen/wasm-opt skipped ${seconds((performance.now() - started) / 1000)}`);
      continue;
    }
    rmSync(stampFile, { force: true });
    await postProcess(flavour, input, wasmBindgen, log);
    writeFileSync(stampFile, stamp);
    log(`build: ${flavour.name}: done ${seconds((performance.now() - started) / 1000)}`);
  }
}

/**
 * `npm run build`: the bootstrap steps the build needs (npm dependencies with binaryen's wasm-opt, the wasm32
 * target, wasm-bindgen; each skipped when present, so a fresh clone builds and a second run costs nothing),
 * then the build. `install` and `compile` are parameters so a test can see the order without building.
 */
export async function buildFromScratch({ log = (line) => console.log(line), install = bootstrap, compile = build } = {}) {
  await install({ log, steps: BUILD_STEPS });
  await compile({ log });
}

if (isMain(import.meta.url)) {
  buildFromScratch().catch((err) => {
    console.error(`build: ${err.message}`);
    process.exit(1);
  });
}
