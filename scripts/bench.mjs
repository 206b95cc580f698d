// `npm run bench`: benchmarks print figures, never assert (STYLE §8). Not part of `npm test`.
//
//   node scripts/bench.mjs            bootstrap + build, native bench, Node bench, one combined report
//   env BENCH_CONTACTS / BENCH_EVENTS / BENCH_RUNS shrink or grow the workload (both sides get the same)
//
// 1. `cargo bench -p rekindle-core --bench fold_decide` (crates/core/benches/fold_decide.rs): the native core on
//    the seeded workload, every playbook in examples/playbooks/; its `BENCH_JSON` line goes to
//    target/bench/native.json.
// 2. examples/node-batch/bench.mjs: the same workload through the wasm package in Node, against json-logic-js
//    and against the native figures of step 1 (`wasm = X× native`). The headline rows are "fold + segments per
//    event": rekindle fold([event]) + segments(state, {now}) vs a plain-JS aggregator + json-logic-js evaluating
//    the same segment conditions (examples/node-batch/jsonlogic-peer.mjs), with memberships compared.
//    BENCH_SEGMENT_RUNS (default 3) sets the timed runs of those rows.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bootstrap } from "./bootstrap.mjs";
import { build } from "./build.mjs";
import { isMain, repoRoot, run } from "./util.mjs";

const MARK = "BENCH_JSON ";

/** The native bench's JSON result from its output, or null. */
export function nativeResult(stdout) {
  const line = stdout.split("\n").find((l) => l.startsWith(MARK));
  return line ? JSON.parse(line.slice(MARK.length)) : null;
}

async function rustcVersion() {
  const r = await run("rustc", ["--version"]);
  return r.code === 0 ? r.stdout.trim().replace(/^rustc /, "") : "unknown";
}

const us = (st) => `${st.median.toFixed(3)} µs (${st.min.toFixed(3)}–${st.max.toFixed(3)})`;

function nativeTable(native) {
  const lines = ["native core (cargo bench, median (min–max) per unit)"];
  const head = ["playbook", "fold/event", "decide/contact", "parse+fold+to_bytes/event", "from_bytes+decide/contact", "fold+segments/event (parsed · parse+fold+segments)", "state bytes mean/p95/max"];
  const rows = native.playbooks.map((p) => [
    p.playbook,
    us(p.coreFoldUsPerEvent),
    us(p.coreDecideUsPerContact),
    us(p.pipelineFoldUsPerEvent),
    us(p.pipelineDecideUsPerContact),
    p.coreSegmentsUsPerEvent
      ? `${p.coreSegmentsUsPerEvent.median.toFixed(3)} · ${p.pipelineSegmentsUsPerEvent.median.toFixed(3)} µs`
      : "—",
    `${Math.round(p.stateBytes.mean)} / ${p.stateBytes.p95} / ${p.stateBytes.max}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) lines.push(r.map((v, i) => v.padEnd(widths[i])).join("   ").trimEnd());
  return lines.join("\n");
}

export async function bench() {
  const quiet = () => {};
  await bootstrap({ log: quiet });
  await build({ log: quiet, stream: false });

  console.log("━━ native: cargo bench -p rekindle-core --bench fold_decide");
  const cargo = await run("cargo", ["bench", "-p", "rekindle-core", "--bench", "fold_decide"], { stream: true });
  if (cargo.code !== 0) throw new Error(`cargo bench exited with ${cargo.code}`);
  const native = nativeResult(cargo.stdout);
  if (!native) throw new Error("cargo bench printed no BENCH_JSON line");
  const dir = join(repoRoot, "target", "bench");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "native.json"), `${JSON.stringify(native, null, 2)}\n`);

  console.log("\n━━ node: examples/node-batch/bench.mjs");
  const { formatTable, runNodeBench } = await import("../examples/node-batch/bench.mjs");
  const lines = [];
  const { rows } = await runNodeBench({ native, log: (l) => lines.push(l), table: false });

  const playbooks = native.playbooks.map((p) => p.file).join(", ");
  const k = (n) => (n % 1000 === 0 ? `${n / 1000}k` : `${n}`);
  console.log("\n━━ report");
  console.log(
    `rekindle bench · node ${process.version} · rustc ${await rustcVersion()} · ${playbooks} · ` +
      `${k(native.contacts)} contacts × ${native.eventsPerContact} events (seed 0x${native.seed.toString(16)})`,
  );
  console.log(`${formatTable(rows)}\n`);
  console.log(`${lines.join("\n")}\n`);
  console.log(nativeTable(native));
  console.log("\nnative figures: target/bench/native.json");
}

if (isMain(import.meta.url)) {
  bench().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
