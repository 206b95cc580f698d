// Node benchmark (STYLE §8): rekindle (wasm, imported as "rekindle" through its exports map) against
// json-logic-js on the same contacts, and against the native core measured by
// `cargo bench -p rekindle-core --bench fold_decide` in the same `npm run bench`.
//
//   node examples/node-batch/bench.mjs [--native target/bench/native.json] [--json out.json]
//   env: BENCH_CONTACTS (10000), BENCH_EVENTS (50), BENCH_RUNS (5)
//
// The workload is examples/node-batch/workload.mjs: seeded, identical event for event to the Rust bench's
// (the fingerprint is compared). Every timing: one warm-up run, then the median and the min–max of N runs.
// Rows per playbook (examples/playbooks/*.json):
//   segments per event  each contact's events in time order (ties by id), one at a time. rekindle:
//            `contact.fold([event])` then `contact.segments({ now: event.at })` on `engine.contact()` (the wasm fast
//            path, `{ [segmentId]: true | false | null }`). json-logic-js: a plain-JS aggregator folds the same
//            event into per-contact aggregates, then every segment condition of the playbook, translated to
//            JsonLogic (jsonlogic-peer.mjs `translateSegments`), is applied to them at the same `now`; the
//            aggregator's time counts as the peer's. Lifecycle / stage / readiness / score leaves get rekindle's
//            values, computed outside the timer. Memberships are compared at every event wherever rekindle's answer
//            is true or false (JsonLogic has no unknown). Native: the same per-event loop in the core on a state
//            held in memory, each event parsed from its `Value` (`Event::parse` + `fold(&[e])` +
//            `segment::memberships_at`), the work the wasm calls ask of the core: `wasm = X× native`.
//   bars     rekindle `decide` for every contact (state bytes → full Decision object with reasons) vs json-logic-js
//            evaluating the same fit rules, readiness and MQL/SQL bars over pre-aggregated plain objects
//            (see jsonlogic-peer.mjs for exactly what each side computes); the decisions are compared.
//   raw      rekindle `fold` + `decide` from raw events vs plain-JS pre-aggregation + json-logic-js
//            (the intent score json-logic needs still comes from rekindle: JsonLogic cannot decay).
//   native   wasm `fold` and `decide` vs the native core doing the same steps (parse + fold + to_bytes;
//            from_bytes + decide): `wasm = X× native`. The decide row's note also times V8's JSON.parse of the same
//            decisions written as JSON: what building them as JS objects costs at all, next to the native decide.
//   boundary `fold` called once per event vs once per contact batch, same events, same resulting state.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import jsonLogic from "json-logic-js";
import { Engine, init, version } from "rekindle";
import { aggregator, segmentAggregator, translate, translateSegments } from "./jsonlogic-peer.mjs";
import { fingerprint, NOW, SEED, workload } from "./workload.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(import.meta.url);
export const PEER = `json-logic-js ${require("json-logic-js/package.json").version}`;

const envInt = (name, fallback) => {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};

/** Warm-up, then `runs` timed runs of `fn`: { median, min, max } in ms. */
export function measure(runs, fn) {
  fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const mid = Math.floor(samples.length / 2);
  const median = samples.length % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
  return { median, min: samples[0], max: samples.at(-1) };
}

const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);
const spread = (t) => `±${((100 * (t.max - t.min)) / 2 / t.median).toFixed(0)}%`;
const cell = (t, suffix = "") => `${fmtMs(t.median)} ${spread(t)}${suffix}`;
/** "3.1× faster" when rekindle's time is lower, "1.3× the peer's time" when higher. */
const versus = (ours, peer) =>
  ours <= peer ? `rekindle ${(peer / ours).toFixed(1)}× faster` : `${(ours / peer).toFixed(1)}× the peer's time`;

function playbookFiles() {
  const dir = join(root, "examples", "playbooks");
  return readdirSync(dir).filter((f) => f.endsWith(".json")).sort().map((f) => join(dir, f));
}

const STAGE_RANK = { lead: 0, mql: 1, sql: 2, opportunity: 3, customer: 4 };

/** Each contact's events in time order, ties by id: the order both runtimes feed them one at a time. */
export function timeOrdered(contacts) {
  return contacts.map((evs) => [...evs].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
}

/** The "segments per event" rows: rekindle fold + segments vs aggregator + json-logic, same events, same now. */
function benchSegments({ engine, playbook, ordered, runs, nat, name, k }) {
  const seg = translateSegments(playbook);
  if (seg.rules.length === 0) return { rows: [], check: null };
  const newAggregate = segmentAggregator(playbook, seg);
  const events = ordered.reduce((n, c) => n + c.length, 0);
  // Untimed reference pass: rekindle's memberships at every event, and the values json-logic borrows from it.
  const borrowed = [];
  const ours = [];
  for (const evs of ordered) {
    let state = null;
    const b = [];
    const o = [];
    for (const e of evs) {
      state = engine.fold(state, [e]);
      o.push(engine.segments(state, { now: e.at }));
      if (seg.rekindle.length === 0) continue;
      const d = engine.decide(state, { now: e.at });
      b.push({ lifecycle: d.lifecycle.state, stage: d.stage, stageRank: STAGE_RANK[d.stage], readiness: d.readiness, score: d.scores });
    }
    borrowed.push(b);
    ours.push(o);
  }
  const segRuns = Math.max(1, Math.min(runs, envInt("BENCH_SEGMENT_RUNS", 3)));
  // Timed: the per-event fast path, a contact held in wasm memory (engine.contact) — no state bytes decoded
  // and encoded per call; the reference pass above checks it against the stateless calls' answers.
  const wasm = measure(segRuns, () => {
    for (const evs of ordered) {
      const contact = engine.contact(null);
      for (const e of evs) {
        contact.fold([e]);
        contact.segments({ now: e.at });
      }
      contact.free();
    }
  });
  const peerRun = (apply) => () => {
    for (let c = 0; c < ordered.length; c++) {
      const agg = newAggregate();
      const evs = ordered[c];
      for (let i = 0; i < evs.length; i++) {
        agg.update(evs[i]);
        const data = agg.view(evs[i].at, borrowed[c][i]);
        if (apply) for (const r of seg.rules) jsonLogic.apply(r.rule, data);
      }
    }
  };
  const peer = measure(segRuns, peerRun(true));
  const aggOnly = measure(segRuns, peerRun(false));
  // Agreement at every event, wherever rekindle decided.
  let compared = 0;
  let agree = 0;
  let unknown = 0;
  const counts = { true: 0, false: 0, unknown: 0 };
  const firstDiff = [];
  for (let c = 0; c < ordered.length; c++) {
    const agg = newAggregate();
    for (let i = 0; i < ordered[c].length; i++) {
      const e = ordered[c][i];
      agg.update(e);
      const data = agg.view(e.at, borrowed[c][i]);
      for (const r of seg.rules) {
        const mine = ours[c][i][r.id];
        counts[mine === null ? "unknown" : String(mine)] += 1;
        if (mine === null) {
          unknown += 1;
          continue;
        }
        compared += 1;
        if (Boolean(jsonLogic.apply(r.rule, data)) === mine) agree += 1;
        else if (firstDiff.length < 3) firstDiff.push(`contact ${c} event ${e.id} ${r.id}: rekindle ${mine}`);
      }
    }
  }
  const perEvent = (t) => (1000 * t.median) / events;
  const rows = [{
    case: `${name}: fold + segments per event, ${k} × ${Math.round(events / ordered.length)}`,
    ours: `${perEvent(wasm).toFixed(2)} µs/event ${spread(wasm)}`,
    peer: `aggregator + ${PEER} ${perEvent(peer).toFixed(2)} µs/event`,
    ratio: versus(wasm.median, peer.median),
    note: `${seg.rules.length} segments; json-logic ${perEvent(peer).toFixed(2)} µs/event of which aggregation ` +
      `${perEvent(aggOnly).toFixed(2)}; agree on ${agree}/${compared} decided memberships (${unknown} unknown in ` +
      `rekindle, not compared)${seg.rekindle.length ? `; ${seg.rekindle.join(", ")} leaves from rekindle` : ""}` +
      (firstDiff.length ? `; DIFFERENT: ${firstDiff.join("; ")}` : ""),
  }];
  if (nat?.pipelineSegmentsUsPerEvent) {
    const natUs = nat.pipelineSegmentsUsPerEvent.median;
    rows.push({
      case: `${name}: fold + segments per event, native`,
      ours: `${perEvent(wasm).toFixed(2)} µs/event (wasm)`,
      peer: `native core ${natUs.toFixed(2)} µs/event`,
      ratio: `wasm = ${(perEvent(wasm) / natUs).toFixed(1)}× native`,
      note: `native does Event::parse + fold + memberships_at on a held state, as the wasm calls do (events ` +
        `parsed beforehand: ${nat.coreSegmentsUsPerEvent.median.toFixed(2)} µs/event); memberships ` +
        `${JSON.stringify(counts) === JSON.stringify(nat.memberships) ? "same counts as native" : `DIFFERENT from native ${JSON.stringify(nat.memberships)}`}`,
    });
  }
  return { rows, check: { compared, agree, unknown, counts }, unsupported: seg.unsupported };
}

function benchPlaybook(file, contacts, runs, native, ordered) {
  const name = relative(join(root, "examples", "playbooks"), file).replace(/\.json$/, "");
  const text = readFileSync(file, "utf8");
  const playbook = JSON.parse(text);
  let engine;
  try {
    engine = new Engine(text);
  } catch (err) {
    return { name, skipped: `${err.code ?? err.name}: ${err.message}` };
  }
  const events = contacts.reduce((n, c) => n + c.length, 0);
  const rows = [];
  try {
    // rekindle: fold every contact's batch, then decide every contact.
    let states = [];
    const fold = measure(runs, () => {
      states = contacts.map((evs) => engine.fold(null, evs));
    });
    let decisions = [];
    const decideT = measure(runs, () => {
      decisions = states.map((s) => engine.decide(s, { now: NOW }));
    });
    // What materialising those decisions as JS objects costs at all, whoever builds them: V8's own JSON.parse of
    // the same decisions written as JSON text (a bound under the wasm side's object building).
    const decisionTexts = decisions.map((d) => JSON.stringify(d));
    const parseT = measure(runs, () => {
      for (const text of decisionTexts) JSON.parse(text);
    });
    const decisionBytes = decisionTexts.reduce((n, t) => n + t.length, 0) / Math.max(1, decisionTexts.length);
    const stages = {};
    const readiness = {};
    for (const d of decisions) {
      stages[d.stage] = (stages[d.stage] ?? 0) + 1;
      readiness[d.readiness] = (readiness[d.readiness] ?? 0) + 1;
    }
    const sizes = states.map((s) => s.length);

    // json-logic-js: rules from the playbook, data pre-aggregated from the same raw events.
    const rules = translate(playbook);
    const aggregate = aggregator(playbook, rules, NOW);
    let data = [];
    const agg = measure(runs, () => {
      data = contacts.map((evs, i) => aggregate(evs, decisions[i].scores.intent));
    });
    let verdicts = [];
    const logic = measure(runs, () => {
      verdicts = data.map((d) => {
        d.fit = jsonLogic.apply(rules.fit, d);
        return jsonLogic.apply(rules.verdict, d);
      });
    });
    let agree = 0;
    for (let i = 0; i < decisions.length; i++) {
      const d = decisions[i];
      const [r, mql, sql] = verdicts[i];
      const fitOk = Math.abs(data[i].fit - d.scores.fit) <= 1e-9 * Math.max(1, Math.abs(d.scores.fit));
      if (fitOk && r === d.readiness && mql === d.meets.mql && sql === d.meets.sql) agree += 1;
    }

    const n = contacts.length;
    const k = n % 1000 === 0 ? `${n / 1000}k` : `${n}`;
    const nat = native?.playbooks?.find((p) => p.playbook === name);
    const segs = benchSegments({ engine, playbook, ordered, runs, nat, name, k });
    rows.push(...segs.rows);
    rows.push({
      case: `${name}: fit + readiness + bars, ${k}`,
      ours: cell(decideT, " (decide)"),
      peer: `${PEER}, pre-aggregated`,
      ratio: versus(decideT.median, logic.median),
      note: `json-logic ${cell(logic)}; same answer for ${agree}/${n} contacts`,
    });
    const raw = { median: fold.median + decideT.median };
    const peerRaw = agg.median + logic.median;
    rows.push({
      case: `${name}: from raw events, ${k} × ${Math.round(events / n)}`,
      ours: `${fmtMs(raw.median)} (fold+decide)`,
      peer: "JS pre-aggregation + json-logic",
      ratio: versus(raw.median, peerRaw),
      note: `aggregation ${cell(agg)} + json-logic ${fmtMs(logic.median)}; intent supplied by rekindle`,
    });
    if (nat) {
      const natFold = (nat.pipelineFoldUsPerEvent.median * nat.events) / 1000;
      const natDecide = (nat.pipelineDecideUsPerContact.median * nat.contacts) / 1000;
      rows.push({
        case: `${name}: fold ${events / 1000}k events, native`,
        ours: cell(fold, " (wasm)"),
        peer: `native core ${fmtMs(natFold)}`,
        ratio: `wasm = ${(fold.median / natFold).toFixed(1)}× native`,
        note: "native core does parse_list + fold + to_bytes; wasm adds reading the JS event objects",
      });
      rows.push({
        case: `${name}: decide ${k}, native`,
        ours: cell(decideT, " (wasm)"),
        peer: `native core ${fmtMs(natDecide)}`,
        ratio: `wasm = ${(decideT.median / natDecide).toFixed(1)}× native`,
        note: `native core does from_bytes + decide; wasm adds building the JS Decision object (${Math.round(decisionBytes)} ` +
          `bytes as JSON on average; JSON.parse of those texts alone ${cell(parseT)}, ` +
          `${(parseT.median / natDecide).toFixed(1)}× the native decide)`,
      });
    }

    // Boundary: one fold call per event vs one per contact, on the first 1000 contacts.
    const sub = contacts.slice(0, Math.min(1000, n));
    const subEvents = sub.reduce((m, c) => m + c.length, 0);
    const batch = measure(runs, () => sub.forEach((evs) => engine.fold(null, evs)));
    const perEvent = measure(runs, () =>
      sub.forEach((evs) => {
        let s = null;
        for (const e of evs) s = engine.fold(s, [e]);
      }));
    rows.push({
      case: `${name}: fold per event vs per contact`,
      ours: `${((1000 * batch.median) / subEvents).toFixed(2)} µs/event ${spread(batch)}`,
      peer: `per-event calls ${((1000 * perEvent.median) / subEvents).toFixed(2)} µs/event`,
      ratio: `batching ${(perEvent.median / batch.median).toFixed(1)}× faster`,
      note: `${sub.length} contacts × ${Math.round(subEvents / sub.length)} events`,
    });

    const sameAsNative = nat
      ? JSON.stringify(sortKeys(nat.stages)) === JSON.stringify(sortKeys(stages)) &&
        JSON.stringify(sortKeys(nat.readiness)) === JSON.stringify(sortKeys(readiness))
      : null;
    sizes.sort((a, b) => a - b);
    return {
      name,
      rows,
      unsupported: [...rules.unsupported, ...(segs.unsupported ?? [])],
      segments: segs.check,
      stages: sortKeys(stages),
      readiness: sortKeys(readiness),
      sameAsNative,
      stateBytes: {
        mean: sizes.reduce((a, b) => a + b, 0) / sizes.length,
        p95: sizes[Math.max(0, Math.ceil(sizes.length * 0.95) - 1)],
        max: sizes.at(-1),
      },
      figures: { fold, decide: decideT, aggregate: agg, jsonLogic: logic, batch, perEvent, agree },
    };
  } finally {
    engine.free();
  }
}

const sortKeys = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

/** The STYLE §8 table. */
export function formatTable(rows) {
  const heads = ["case", "rekindle", "peer", "ratio"];
  const keys = ["case", "ours", "peer", "ratio"];
  const widths = keys.map((k, i) => Math.max(heads[i].length, ...rows.map((r) => r[k].length)));
  const line = (vals) => vals.map((v, i) => (i < vals.length - 1 ? v.padEnd(widths[i]) : v)).join("   ");
  return [line(heads), ...rows.map((r) => line(keys.map((k) => r[k])))].join("\n");
}

/** Runs the whole Node side; `native` is the Rust bench's BENCH_JSON object (or null). */
export async function runNodeBench({ native = null, log = console.log, table = true } = {}) {
  await init();
  const contactsN = envInt("BENCH_CONTACTS", native?.contacts ?? 10_000);
  const perContact = envInt("BENCH_EVENTS", native?.eventsPerContact ?? 50);
  const runs = envInt("BENCH_RUNS", 5);
  const contacts = workload({ contacts: contactsN, perContact, seed: SEED });
  const print = fingerprint(contacts);
  if (native && native.fingerprint !== print) {
    log(`! the native run measured another workload; native ratios left out\n  native: ${native.fingerprint}\n  node:   ${print}`);
    native = null;
  }
  log(`node ${process.version} · rekindle ${version()} (wasm) · ${PEER} · seed ${SEED.toString(16)} · ${runs} runs after a warm-up`);
  log(`workload ${print}${native ? " (identical to the native run)" : ""}`);
  const results = [];
  const ordered = timeOrdered(contacts);
  for (const file of playbookFiles()) {
    const r = benchPlaybook(file, contacts, runs, native, ordered);
    results.push(r);
    if (r.skipped) log(`${r.name}: skipped, ${r.skipped}`);
  }
  const rows = results.flatMap((r) => r.rows ?? []);
  if (table) log(`\n${formatTable(rows)}\n`);
  for (const r of results.filter((x) => !x.skipped)) {
    log(`${r.name}: stages ${JSON.stringify(r.stages)}, readiness ${JSON.stringify(r.readiness)}` +
      (r.sameAsNative === null ? "" : r.sameAsNative ? ", same counts as native" : ", DIFFERENT counts from native"));
    log(`  state bytes per contact (wasm): mean ${r.stateBytes.mean.toFixed(0)}, p95 ${r.stateBytes.p95}, max ${r.stateBytes.max}`);
    for (const row of r.rows) log(`  ${row.case.split(": ")[1]}: ${row.note}`);
    if (r.unsupported.length) log(`  json-logic translation left out: ${r.unsupported.join("; ")}`);
  }
  log(
    "\nratios read: \"rekindle N× faster\" = the peer took N times rekindle's time; \"N× the peer's time\" = rekindle" +
      " took N times the peer's; \"wasm = N× native\" = wasm time / native time; ± = half the min–max spread.\n" +
      "json-logic gets pre-aggregated counts and rekindle's decayed intent; rekindle folds raw events and also" +
      " returns stage history, reactivation and reasons (examples/node-batch/jsonlogic-peer.mjs).",
  );
  return { results, rows };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const arg = (flag) => {
    const i = process.argv.indexOf(flag);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const nativePath = arg("--native");
  const native = nativePath ? JSON.parse(readFileSync(nativePath, "utf8")) : null;
  const out = await runNodeBench({ native });
  const jsonOut = arg("--json");
  if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(out.results, null, 2)}\n`);
}
