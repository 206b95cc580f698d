// `npm run bench:retention` (issue 8): BG/NBD + Gamma-Gamma fits, printed, never asserted (STYLE §8).
//
//   node scripts/bench-retention.mjs     bootstrap + build, then:
//   1. native: `cargo bench -p rekindle-core --bench retention` on CDNOW (2,357 customers, the published summary)
//      and on a seeded synthetic set of BENCH_CUSTOMERS (default 1,000,000) customers drawn from BG/NBD and
//      Gamma-Gamma with CDNOW's parameters (written to target/retention-bench/synthetic.f64);
//   2. wasm in Node: fitRetention() of the npm package (node build) on the same two data sets;
//   3. lifetimes 0.11.3 (Python) on the same CDNOW summary, installed into target/lifetimes-venv on first use
//      (pip: lifetimes with numpy < 2, pandas < 2, scipy < 1.12, autograd < 1.7: the generation lifetimes 0.11.3, last
//      released in 2020, was written against; the fixtures were written with numpy 1.26.4, pandas 1.5.3), via
//      scripts/cdnow-reference.py; that script also rewrites the committed reference fixtures, so a diff after a
//      bench run means lifetimes (or its dependencies) now answer differently.
// Ratios read "rekindle is N× faster" (peer time / rekindle time) on the same input in the same run.
// BENCH_RUNS (default 21) sets the timed CDNOW fits per side; the synthetic set is fitted 3 times.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bootstrap } from "./bootstrap.mjs";
import { build } from "./build.mjs";
import { nativeResult } from "./bench.mjs";
import { isMain, repoRoot, run } from "./util.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const VENV = join(repoRoot, "target", "lifetimes-venv");
const PYTHON = join(VENV, "bin", "python");
const PIP = ["lifetimes==0.11.3", "numpy<2", "pandas<2", "scipy<1.12", "autograd<1.7"];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
const ms = (s) => (s.median < 10 ? `${s.median.toFixed(3)} ms` : `${s.median.toFixed(1)} ms`);
const range = (s) => `${ms(s)} (${s.min.toFixed(s.median < 10 ? 3 : 1)}–${s.max.toFixed(s.median < 10 ? 3 : 1)})`;

async function lifetimesVenv(log) {
  if (!existsSync(PYTHON)) {
    log(`bench: creating ${VENV}`);
    const venv = await run("python3", ["-m", "venv", VENV]);
    if (venv.code !== 0) throw new Error(`python3 -m venv failed: ${venv.stderr}`);
  }
  const check = await run(PYTHON, ["-c", "import lifetimes, numpy, pandas, scipy, autograd; print(lifetimes.__version__)"]);
  if (check.code === 0 && check.stdout.trim() === "0.11.3") return;
  log(`bench: pip install ${PIP.join(" ")}`);
  const pip = await run(join(VENV, "bin", "pip"), ["install", "--quiet", ...PIP]);
  if (pip.code !== 0) throw new Error(`pip install failed: ${pip.stderr.slice(-2000)}`);
}

function columns(text) {
  const rows = text.trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
  const col = (i) => Float64Array.from(rows, (r) => r[i]);
  return { frequency: col(1), recency: col(2), T: col(3), monetary: col(4) };
}

function synthetic() {
  const buf = readFileSync(join(repoRoot, "target", "retention-bench", "synthetic.f64"));
  const all = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
  const n = all[0];
  const col = (i) => all.subarray(1 + i * n, 1 + (i + 1) * n);
  return { frequency: col(0), recency: col(1), T: col(2), monetary: col(3) };
}

/** Times fitRetention with and without monetary: BG/NBD alone, then both; Gamma-Gamma = the difference. */
function timeWasm(fitRetention, data, runs) {
  const bgOnly = { frequency: data.frequency, recency: data.recency, T: data.T };
  fitRetention(data); // warm-up
  const bg = [];
  const both = [];
  let last;
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    fitRetention(bgOnly);
    bg.push(performance.now() - t);
    t = performance.now();
    last = fitRetention(data);
    both.push(performance.now() - t);
  }
  return { bg: spread(bg), both: spread(both), fit: last };
}

function table(rows) {
  const head = ["case", "rekindle", "peer", "ratio"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((v, i) => v.padEnd(widths[i])).join("   ").trimEnd()).join("\n");
}

function paramRows(name, ours, theirs, keys) {
  return keys.map((k) => {
    const rel = (ours[k] - theirs[k]) / theirs[k];
    return `  ${name}.${k.padEnd(6)} rekindle ${ours[k].toPrecision(8).padEnd(12)} ${theirs.label} ${theirs[k].toPrecision(8).padEnd(12)} relative difference ${rel.toExponential(2)}`;
  });
}

export async function benchRetention() {
  const log = (l) => console.log(l);
  await bootstrap({ log: () => {} });
  await build({ log: () => {}, stream: false });

  console.log("━━ native: cargo bench -p rekindle-core --bench retention");
  const cargo = await run("cargo", ["bench", "-p", "rekindle-core", "--bench", "retention"], {
    stream: true,
    env: { ...process.env, BENCH_RUNS: String(RUNS) },
  });
  if (cargo.code !== 0) throw new Error(`cargo bench exited with ${cargo.code}`);
  const native = nativeResult(cargo.stdout);
  if (!native) throw new Error("cargo bench printed no BENCH_JSON line");

  console.log("\n━━ wasm in Node: fitRetention()");
  const { fitRetention, version } = await import("rekindle");
  const cdnow = columns(readFileSync(join(repoRoot, "crates/core/tests/fixtures/cdnow/cdnow_customers_summary_with_transactions.csv"), "utf8"));
  const wasmCdnow = timeWasm(fitRetention, cdnow, RUNS);
  const big = synthetic();
  const wasmBig = timeWasm(fitRetention, big, 3);
  console.log(`CDNOW: BG/NBD ${range(wasmCdnow.bg)}, both ${range(wasmCdnow.both)}; synthetic (${big.T.length}): BG/NBD ${range(wasmBig.bg)}, both ${range(wasmBig.both)}`);

  console.log("\n━━ lifetimes (Python) on CDNOW: scripts/cdnow-reference.py");
  await lifetimesVenv(log);
  const ref = await run(PYTHON, ["scripts/cdnow-reference.py", "write"]);
  if (ref.code !== 0) throw new Error(`cdnow-reference.py write failed: ${ref.stderr.slice(-2000)}`);
  const timed = await run(PYTHON, ["scripts/cdnow-reference.py", "time", String(Math.max(5, Math.min(RUNS, 11)))]);
  if (timed.code !== 0) throw new Error(`cdnow-reference.py time failed: ${timed.stderr.slice(-2000)}`);
  const py = JSON.parse(timed.stdout.trim().split("\n").pop());
  const pyVersion = (await run(PYTHON, ["--version"])).stdout.trim() || "python";
  const diff = await run("git", ["status", "--porcelain", "crates/core/tests/fixtures/cdnow"]);

  const c = native.cdnow;
  const s = native.synthetic;
  const lifeBg = spread(py.bgnbd_ms);
  const lifeGg = spread(py.gamma_gamma_ms);
  const lifeBoth = median(py.bgnbd_ms.map((b, i) => b + py.gamma_gamma_ms[i]));
  const nativeBoth = c.bgnbdMs.median + c.gammaGammaMs.median;
  const x = (peer, ours) => `${(peer / ours).toFixed(1)}× faster`;
  const rows = [
    ["CDNOW BG/NBD fit (2,357)", `${range(c.bgnbdMs)} native`, `${range(lifeBg)} lifetimes ${py.version}`, x(lifeBg.median, c.bgnbdMs.median)],
    ["CDNOW Gamma-Gamma fit (946)", `${range(c.gammaGammaMs)} native`, `${range(lifeGg)} lifetimes`, x(lifeGg.median, c.gammaGammaMs.median)],
    ["CDNOW both fits", `${nativeBoth.toFixed(3)} ms native`, `${lifeBoth.toFixed(1)} ms lifetimes`, x(lifeBoth, nativeBoth)],
    ["CDNOW both fits, wasm in Node", `${range(wasmCdnow.both)} wasm`, `${lifeBoth.toFixed(1)} ms lifetimes`, x(lifeBoth, wasmCdnow.both.median)],
    ["same, wasm vs native", `${ms(wasmCdnow.both)} wasm`, `${nativeBoth.toFixed(3)} ms native`, `wasm = ${(wasmCdnow.both.median / nativeBoth).toFixed(2)}× native`],
    [`synthetic ${s.customers.toLocaleString("en")} BG/NBD`, `${range(s.bgnbdMs)} native`, `${range(wasmBig.bg)} wasm`, `wasm = ${(wasmBig.bg.median / s.bgnbdMs.median).toFixed(2)}× native`],
    [`synthetic ${s.customers.toLocaleString("en")} both fits`, `${(s.bgnbdMs.median + s.gammaGammaMs.median).toFixed(1)} ms native`, `${ms(wasmBig.both)} wasm`, `wasm = ${(wasmBig.both.median / (s.bgnbdMs.median + s.gammaGammaMs.median)).toFixed(2)}× native`],
  ];
  const rustc = (await run("rustc", ["--version"])).stdout.trim().replace(/^rustc /, "");
  console.log("\n━━ report");
  console.log(`rekindle ${version()} bench:retention · node ${process.version} · rustc ${rustc} · ${pyVersion} · lifetimes ${py.version} · ${RUNS} runs (synthetic: 3), medians (min–max)`);
  console.log(table(rows));
  const paper = { label: "paper   ", r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
  const lt = { label: "lifetimes", ...py.bgnbd };
  const ltGg = { label: "lifetimes", ...py.gammaGamma };
  console.log("\nparameters on CDNOW (weeks)");
  for (const line of [
    ...paramRows("bgnbd", c.fits.bgnbd, paper, ["r", "alpha", "a", "b"]),
    ...paramRows("bgnbd", c.fits.bgnbd, lt, ["r", "alpha", "a", "b"]),
    ...paramRows("gg", c.fits.gammaGamma, ltGg, ["p", "q", "gamma"]),
  ]) console.log(line);
  const ll = c.fits.bgnbd.logLikelihood;
  console.log(`  BG/NBD log-likelihood: rekindle ${ll.toFixed(3)} (paper −9582.4); wasm = native bit for bit: ${JSON.stringify(wasmCdnow.fit.bgnbd.params) === JSON.stringify({ r: c.fits.bgnbd.r, alpha: c.fits.bgnbd.alpha, a: c.fits.bgnbd.a, b: c.fits.bgnbd.b })}`);
  const truth = { label: "truth   ", r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
  console.log(`\nparameters recovered from the synthetic set (drawn with the paper's values, seed ${s.seed})`);
  for (const line of paramRows("bgnbd", s.fits.bgnbd, truth, ["r", "alpha", "a", "b"])) console.log(line);
  for (const line of paramRows("gg", s.fits.gammaGamma, { label: "truth   ", p: 6.25, q: 3.74, gamma: 15.44 }, ["p", "q", "gamma"])) console.log(line);
  console.log(diff.stdout.trim() === ""
    ? "\nlifetimes' reference fixtures are unchanged (crates/core/tests/fixtures/cdnow)."
    : `\nlifetimes now writes different reference fixtures:\n${diff.stdout}`);
}

if (isMain(import.meta.url)) {
  benchRetention().catch((err) => {
    console.error(`bench:retention: ${err.message}`);
    process.exit(1);
  });
}
