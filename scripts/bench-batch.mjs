// `npm run bench:batch`: the batch benchmark of issue 5 — `rekindle plan` (release CLI) over seeded contacts and
// events, against DuckDB computing the same lifecycle states and three windowed segments in SQL over the same
// files (scripts/bench-batch-duckdb.py). Figures are printed, never asserted (STYLE §8). Not part of `npm test`.
//
// Two rekindle runs per round, both the whole `rekindle plan` process writing every output file:
//   full plan   examples/playbooks/saas.json: scores, stages, 6 segments, lifecycle, send policy, 4 nurture
//               sequences, CTAs, hand-off — the product's real job, far more than the SQL computes;
//   same work   saas.json cut to what the SQL computes (its lifecycle section, the 3 segments and the signals they
//               name; written to target/bench-batch/same-work.json): rekindle doing DuckDB's job, equal work.
// Both are checked against DuckDB on the same sample of contacts.
//
//   BENCH_BATCH_SIZES   contact counts, comma-separated (default 100000,1000000; e.g. 100000,300000 when short
//                       of time or disk: 1 M × 20 events is a 2.3 GB events file plus ~0.8 GB of plan output)
//   BENCH_BATCH_EVENTS  events per contact (default 20)
//   BENCH_BATCH_RUNS    timed runs per size and side (default 3), interleaved rekindle / DuckDB; the ratio of the
//                       medians, of each side's fastest run, and of each adjacent pair reported
//
// Data: examples/data/gen-plan-sample.mjs <n> target/bench-batch/<n>x<e> <e> (seeded; generated once, reused).
// DuckDB: the `duckdb` Python package, installed with pip into target/bench-venv on first use; without PyPI the
// DuckDB columns say why and the rekindle figures still print. Peak RSS and CPU time from `/usr/bin/time -f "%M %U %S"`;
// each rekindle run also prints its phases (`REKINDLE_TIMINGS=1`: contacts, events, deciding, writing).
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { isMain, repoRoot, run, runChecked } from "./util.mjs";

const NOW = "2026-11-26T12:00:00Z";
const PLAYBOOK = "examples/playbooks/saas.json";
const SAMPLE = 1000;
const SEGMENTS = ["pricing_intent", "content_readers", "reactivation_pool"];
const SAME_WORK = join(repoRoot, "target", "bench-batch", "same-work.json");
const TIME = "/usr/bin/time";
const venv = join(repoRoot, "target", "bench-venv");
const python = join(venv, "bin", "python");

const k = (n) => (n >= 1e6 && n % 1e6 === 0 ? `${n / 1e6}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : `${n}`);
const rate = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(1)} k/s`);
const cpu = (s) => (s == null ? "n/a" : `${s.toFixed(2)} s`);
const mb = (kb) => (kb == null ? "n/a" : `${Math.round(kb / 1024)} MB`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const spread = (xs) => `${median(xs).toFixed(2)} s (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})`;

/**
 * Runs a command under /usr/bin/time; returns { seconds (wall, measured here), rssKb, cpu (user + system seconds
 * of the whole process, all threads), stdout }. On a shared 2-core machine wall time also counts the waiting;
 * CPU time counts less of it (it still grows when another process shares the cores).
 */
async function timed(cmd, args, env = process.env) {
  const out = join(repoRoot, "target", "bench-batch", ".time");
  const started = process.hrtime.bigint();
  const haveTime = existsSync(TIME);
  const r = haveTime ? await run(TIME, ["-f", "%M %U %S", "-o", out, cmd, ...args], { env }) : await run(cmd, args, { env });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.code !== 0) throw new Error(`${cmd} exited with ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").slice(-5).join("\n")}`);
  const [rssKb, user, sys] = haveTime ? readFileSync(out, "utf8").trim().split("\n").pop().split(" ").map(Number) : [];
  return { seconds, rssKb: rssKb ?? null, cpu: haveTime ? user + sys : null, stdout: r.stdout, stderr: r.stderr };
}

/** The phases `REKINDLE_TIMINGS=1` printed on stderr, as "contacts 0.12/0.11 s" (wall/CPU), in run order. */
function phases(stderr) {
  const found = [...stderr.matchAll(/phase (\w+) ([\d.]+) s \(cpu ([\d.]+) s\)/g)];
  return found.filter((m) => Number(m[2]) >= 0.05).map((m) => `${m[1]} ${Number(m[2]).toFixed(2)}/${Number(m[3]).toFixed(2)} s`);
}

/** The venv's Python with duckdb, or { skipped: reason }. */
async function duckdbPython() {
  if (existsSync(python)) {
    const probe = await run(python, ["-c", "import duckdb; print(duckdb.__version__)"]);
    if (probe.code === 0) return { version: probe.stdout.trim() };
  }
  const made = await run("python3", ["-m", "venv", venv]);
  if (made.code !== 0) return { skipped: `python3 -m venv failed: ${made.stderr.trim().split("\n").pop()}` };
  const pip = await run(join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check", "--timeout", "30", "duckdb"]);
  if (pip.code !== 0) {
    return { skipped: `pip install duckdb failed (PyPI unreachable?): ${pip.stderr.trim().split("\n").pop()}` };
  }
  const probe = await run(python, ["-c", "import duckdb; print(duckdb.__version__)"]);
  return probe.code === 0 ? { version: probe.stdout.trim() } : { skipped: "duckdb installed but does not import" };
}

/** Generates the seeded data set once. */
async function dataset(n, perContact) {
  const dir = join(repoRoot, "target", "bench-batch", `${n}x${perContact}`);
  const stamp = join(dir, "generated.json");
  const generator = readFileSync(join(repoRoot, "examples", "data", "gen-plan-sample.mjs"), "utf8");
  const want = JSON.stringify({ n, perContact, generatorBytes: generator.length });
  if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== want) {
    console.log(`generating ${k(n)} contacts × ${perContact} events into ${dir} …`);
    mkdirSync(dir, { recursive: true });
    await runChecked("node", ["examples/data/gen-plan-sample.mjs", String(n), dir, String(perContact)]);
    writeFileSync(stamp, want);
  }
  writeFileSync(join(dir, "salt.txt"), "bench-batch-fixed-salt-0123456789abcdef\n");
  return dir;
}

/** Every signal id a condition tree names (`{ "signal": id, … }` at any depth). */
function signalsNamed(v, out = new Set()) {
  if (Array.isArray(v)) for (const x of v) signalsNamed(x, out);
  else if (v && typeof v === "object") {
    if (typeof v.signal === "string") out.add(v.signal);
    for (const x of Object.values(v)) signalsNamed(x, out);
  }
  return out;
}

/**
 * saas.json cut to what the SQL computes: its lifecycle section as it is, the three segments, and the signals those
 * name (with the lifecycle's intent signals, so `showedIntent` keeps its meaning). Written to SAME_WORK.
 */
function writeSameWork() {
  const full = JSON.parse(readFileSync(join(repoRoot, PLAYBOOK), "utf8"));
  const segments = Object.fromEntries(SEGMENTS.map((id) => [id, full.segments[id]]));
  const named = signalsNamed(segments, new Set(full.lifecycle.intent_signals ?? []));
  const signals = Object.fromEntries(Object.entries(full.signals).filter(([id]) => named.has(id)));
  const cut = { version: full.version, signals, segments, lifecycle: full.lifecycle };
  mkdirSync(join(repoRoot, "target", "bench-batch"), { recursive: true });
  writeFileSync(SAME_WORK, `${JSON.stringify(cut, null, 2)}\n`);
  return Object.keys(signals);
}

/** Every `step`-th contact of plan.json (streamed: one contact per line) with its state and the 3 segments. */
async function rekindleSample(planJson, contacts) {
  const step = Math.max(1, Math.floor(contacts / SAMPLE));
  const sample = new Map();
  let i = 0;
  const lines = createInterface({ input: createReadStream(planJson), crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.endsWith(",") ? raw.slice(0, -1) : raw;
    if (!line.startsWith("{")) continue;
    if (i++ % step === 0 && sample.size < SAMPLE) {
      const row = JSON.parse(line);
      sample.set(row.id, [row.lifecycle.state, row.segments.filter((s) => SEGMENTS.includes(s)).sort()]);
    }
  }
  return sample;
}

/** The rekindle runs of each round: the product's real job, and the SQL's job (see the header). */
const VARIANTS = [
  { name: "full plan", playbook: join(repoRoot, PLAYBOOK) },
  { name: "same work", playbook: SAME_WORK },
];

/** How many sampled contacts have DuckDB's state and segments, a few that do not, and whether the tallies match. */
function compare(sample, summary, result) {
  let agree = 0;
  const disagree = [];
  for (const [id, [state, segments]] of sample) {
    const got = result.sample[id];
    if (got && got[0] === state && JSON.stringify([...got[1]].sort()) === JSON.stringify(segments)) agree++;
    else if (disagree.length < 5) disagree.push(`${id}: rekindle ${state} [${segments}] · duckdb ${got ? `${got[0]} [${got[1]}]` : "missing"}`);
  }
  const tallies = JSON.stringify(Object.entries(result.lifecycle).sort()) === JSON.stringify(Object.entries(summary.lifecycle).sort());
  return { agree, sampled: sample.size, disagree, tallies };
}

/**
 * Times `runs` rounds on one data set, each round every rekindle variant then DuckDB, interleaved so that the
 * machine's drift over minutes (other work on its 2 cores, page cache, memory) falls on every side alike; each
 * round also gives a ratio of its own. One row per variant, each with the same DuckDB runs.
 */
async function benchSize(n, perContact, runs, duck) {
  const dir = await dataset(n, perContact);
  const args = (playbook) => ["plan", "--playbook", playbook, "--contacts", join(dir, "contacts.csv"), "--events",
    join(dir, "events.ndjson"), "--now", NOW, "--out", join(dir, "plan"), "--salt-file", join(dir, "salt.txt"),
    "--quiet", "--format", "json"];
  const cli = join(repoRoot, "target", "release", "rekindle");
  const sampleFile = join(dir, "sample.txt");
  const nowMs = String(Date.parse(NOW));
  const mine = VARIANTS.map(() => []);
  const summaries = [];
  const samples = [];
  const theirs = [];
  let result = null;
  for (let r = 0; r < runs; r++) {
    for (const [v, variant] of VARIANTS.entries()) {
      rmSync(join(dir, "plan"), { recursive: true, force: true });
      const t = await timed(cli, args(variant.playbook), { ...process.env, REKINDLE_TIMINGS: "1" });
      summaries[v] = JSON.parse(t.stdout);
      mine[v].push(t);
      console.log(`  rekindle plan (${variant.name}) ${k(n)} run ${r + 1}/${runs}: ${t.seconds.toFixed(2)} s, CPU ${cpu(t.cpu)}, peak RSS ${mb(t.rssKb)}`);
      console.log(`    phases, wall/CPU: ${phases(t.stderr).join(", ")}`);
      if (!duck.skipped && !samples[v]) {
        samples[v] = await rekindleSample(join(dir, "plan", "plan.json"), summaries[v].contacts);
        if (v === 0) writeFileSync(sampleFile, `${[...samples[v].keys()].join("\n")}\n`);
      }
    }
    if (duck.skipped) continue;
    const d = await timed(python, [join(repoRoot, "scripts", "bench-batch-duckdb.py"), join(dir, "contacts.csv"),
      join(dir, "events.ndjson"), nowMs, sampleFile, String(cpus().length)]);
    result = JSON.parse(d.stdout);
    theirs.push({ ...d, query: result.seconds });
    console.log(`  duckdb ${k(n)} run ${r + 1}/${runs}: ${result.seconds.toFixed(2)} s in SQL (${d.seconds.toFixed(2)} s with Python), process CPU ${cpu(d.cpu)}, peak RSS ${mb(d.rssKb)}`);
  }
  const duckRow = duck.skipped ? null
    : { seconds: theirs.map((t) => t.query), cpu: theirs.map((t) => t.cpu), rssKb: Math.max(...theirs.map((t) => t.rssKb ?? 0)) || null };
  return VARIANTS.map((variant, v) => {
    const summary = summaries[v];
    const row = { variant: variant.name, n, perContact, events: summary.counts.events, contacts: summary.contacts, runs,
      seconds: mine[v].map((t) => t.seconds), cpu: mine[v].map((t) => t.cpu),
      rssKb: Math.max(...mine[v].map((t) => t.rssKb ?? 0)) || null, lifecycle: summary.lifecycle };
    return duckRow ? { ...row, duck: duckRow, ...compare(samples[v], summary, result) } : row;
  });
}

function table(rows, duck) {
  const head = ["contacts × events", "rekindle", "rekindle plan (median, min–max)", "CPU", "contacts/s", "events/s", "peak RSS",
    `DuckDB ${duck.version ?? ""} SQL`, "DuckDB process CPU", "DuckDB RSS", "ratio (rekindle time / DuckDB time)",
    "best vs best", "each pair's ratio", "sample agrees"];
  const body = rows.map((r) => {
    const mine = median(r.seconds);
    const d = r.duck;
    const versus = (ours, theirs) => ours <= theirs
      ? `rekindle ${(theirs / ours).toFixed(2)}× faster`
      : `${(ours / theirs).toFixed(2)} (DuckDB ${(ours / theirs).toFixed(1)}× faster)`;
    const ratio = d ? versus(mine, median(d.seconds)) : "—";
    // Each side's fastest run: DuckDB's own time moved by half between runs minutes apart, so medians of three can
    // favour either side; a side's best run is what it does when the machine lets it.
    const best = d ? versus(Math.min(...r.seconds), Math.min(...d.seconds)) : "—";
    // Each adjacent pair's rekindle time / DuckDB time (under 1: rekindle faster).
    const pairs = !d ? "—" : r.seconds.map((s, i) => (s / d.seconds[i]).toFixed(2)).join(", ");
    return [
      `${k(r.contacts)} × ${r.perContact} (${k(r.events)} events)`,
      r.variant,
      `${spread(r.seconds)} ×${r.runs}`,
      r.cpu.every((c) => c != null) ? cpu(median(r.cpu)) : "n/a",
      rate(r.contacts / mine),
      rate(r.events / mine),
      mb(r.rssKb),
      d ? `${spread(d.seconds)}` : duck.skipped ? "skipped" : "—",
      d && d.cpu.every((c) => c != null) ? cpu(median(d.cpu)) : "—",
      d ? mb(d.rssKb) : "—",
      ratio,
      best,
      pairs,
      d ? `${r.agree}/${r.sampled}${r.tallies ? ", tallies equal" : ", tallies differ"}` : "—",
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body].map((r) => r.map((v, i) => v.padEnd(widths[i])).join("  ").trimEnd()).join("\n");
}

export async function benchBatch() {
  const sizes = (process.env.BENCH_BATCH_SIZES ?? "100000,1000000").split(",").map(Number).filter((n) => n > 0);
  const perContact = Number(process.env.BENCH_BATCH_EVENTS ?? 20);
  console.log("building the release CLI …");
  await runChecked("cargo", ["build", "--release", "-p", "rekindle-cli"]);
  const signals = writeSameWork();
  const duck = await duckdbPython();
  if (duck.skipped) console.log(`DuckDB skipped: ${duck.skipped}`);
  const rows = [];
  for (const n of sizes) {
    const runs = Number(process.env.BENCH_BATCH_RUNS ?? 3);
    rows.push(...(await benchSize(n, perContact, runs, duck)));
  }
  const rustc = (await run("rustc", ["--version"])).stdout.trim();
  console.log(`\nrekindle bench:batch · ${rustc} · node ${process.version} · ${cpus().length} cores · ${PLAYBOOK} at ${NOW}`);
  console.log("data: examples/data/gen-plan-sample.mjs (seeded), events grouped by contact in time order");
  console.log(`same work: ${PLAYBOOK} cut to its lifecycle section, segments ${SEGMENTS.join(", ")} and signals ` +
    `${signals.join(", ")} (${SAME_WORK})`);
  console.log(table(rows, duck));
  console.log(
    "rekindle: the whole `rekindle plan` process (read, fold, decide every contact, write ~20 files with SHA-256s),\n" +
      "full plan = saas.json's whole job; same work = only what the SQL computes (both write every output file);\n" +
      "DuckDB: the SQL of scripts/bench-batch-duckdb.py in-process (lifecycle + 3 segments only), Python start-up excluded.\n" +
      "CPU: user + system seconds of the whole process (median); other work on shared cores inflates it too, though\n" +
      "less than wall time; DuckDB's includes Python start-up.",
  );
  for (let i = VARIANTS.length; i < rows.length; i++) {
    const [a, b] = [rows[i - VARIANTS.length], rows[i]];
    const grow = (x, y) => `×${(y / x).toFixed(2)}`;
    let line = `growth ${k(a.contacts)} → ${k(b.contacts)} contacts (×${(b.contacts / a.contacts).toFixed(1)}), ${b.variant}: ` +
      `rekindle time ${grow(median(a.seconds), median(b.seconds))}, peak RSS ${grow(a.rssKb, b.rssKb)} ` +
      `(${((b.rssKb - a.rssKb) * 1024 / (b.contacts - a.contacts)).toFixed(0)} bytes per added contact)`;
    if (a.duck && b.duck) {
      line += `; DuckDB time ${grow(median(a.duck.seconds), median(b.duck.seconds))}, RSS ${grow(a.duck.rssKb, b.duck.rssKb)}`;
    }
    console.log(line);
  }
  for (const r of rows.filter((x) => x.disagree?.length)) console.log(`disagreements at ${k(r.contacts)} (${r.variant}):\n  ${r.disagree.join("\n  ")}`);
  if (sizes.every((n) => n < 1_000_000)) console.log("note: 1 M contacts not run (BENCH_BATCH_SIZES); the issue's target size is 1 M × 20.");
}

if (isMain(import.meta.url)) {
  benchBatch().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
