// `npm run bench:edge`: the example Worker's costs, printed as figures (no assertions; STYLE §8).
//
//   node scripts/bench-edge.mjs     env BENCH_RUNS (7), BENCH_ITERATIONS (4000), BENCH_LOAD_SECONDS (10)
//
// 1. Bundle: examples/cloudflare-worker bundled by `wrangler deploy --dry-run`, script + wasm gzip, against the
//    Workers Free plan's 3 MB (script, wasm and the compiled playbook its build step writes); isolate start (workerd
//    process, module load); the example's first page − warm page; and rekindle's share of it, building the engine
//    from the compiled playbook and the keys once per isolate (a fresh isolate's first request that builds them −
//    one that does not, after a request has warmed the request path).
// 2. CPU per request: scripts/bench-edge-worker.js runs N iterations per request of open cookie + fold page view +
//    choose the CTA + seal cookie, two ways — the CTA alone (`contact.cta`, what the example Worker calls per page)
//    and the whole decision (`contact.decide`, the "verify + fold + decide + sign") — and of GrowthBook's SDK
//    (npm) choosing the same CTA from attributes, in the same workerd,
//    three ways: evaluation alone (one instance), per request as GrowthBook's Edge App builds it, and per request
//    with a signed attribute cookie (the state GrowthBook needs kept for it; see bench-edge-worker.js);
//    per iteration = (median time of an N-iteration request − median time of an empty one) / N, timed from outside
//    (inside workerd the clock only moves on I/O). Ratio printed.
// 3. Load: autocannon against the example Worker on loopback (8 connections, valid / hostile / random cookies,
//    the origin answered in-process): requests/s, errors, p50/p99.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { bootstrap } from "./bootstrap.mjs";
import { build } from "./build.mjs";
import { isMain, repoRoot } from "./util.mjs";
import { bundleExample, bundleScript, startWorker } from "./worker.mjs";

const envInt = (name, fallback) => {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const KEYS_FILE = join(repoRoot, "examples", "data", "keys", "example-current.keys");

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function benchEdge() {
  await bootstrap();
  await build();
  const runs = envInt("BENCH_RUNS", 7);
  // Each timed request must run long (≈ 100 ms) next to dispatchFetch's own jitter (a few ms): at 400 iterations
  // the per-page figure moved by ±5 µs from run to run; at 4,000 by under 1 µs.
  const iterations = envInt("BENCH_ITERATIONS", 4000);
  const loadSeconds = envInt("BENCH_LOAD_SECONDS", 10);
  const keysText = await readFile(KEYS_FILE, "utf8");
  const work = join(repoRoot, "target", "bench-edge");
  const example = await bundleExample(join(work, "example"));
  let gz = 0;
  const parts = [];
  for (const file of example.files.filter((f) => /\.(js|wasm|rkp)$/.test(f))) { // script, wasm, compiled playbook
    const size = gzipSync(await readFile(join(example.outdir, file)), { level: 9 }).length;
    gz += size;
    parts.push(`${file} ${(size / 1024).toFixed(1)} KB`);
  }

  // Isolate start and the first request's engine build.
  const { createOrigin, exampleOptions } = await import("../tests/worker/edge.mjs");
  const origin = createOrigin();
  const starts = [];
  const firsts = [];
  const warms = [];
  for (let i = 0; i < Math.min(runs, 5); i++) {
    let mf;
    starts.push(await timed(async () => { mf = await startWorker(example, exampleOptions(origin, keysText)); }));
    firsts.push(await timed(async () => (await mf.dispatchFetch("http://site.test/blog", { headers: { accept: "text/html" } })).text()));
    warms.push(await timed(async () => (await mf.dispatchFetch("http://site.test/blog", { headers: { accept: "text/html" } })).text()));
    await mf.dispose();
  }

  // The bench Worker imports the example's compiled playbook, written by bundleExample's build step above.
  const bench = await bundleScript({ outdir: join(work, "bench"), script: join(repoRoot, "scripts", "bench-edge-worker.js"),
    name: "rekindle-bench-edge" });
  // rekindle's own share of an isolate's first page: in a fresh workerd, a first request that does not touch
  // rekindle (the request path's own first-time costs), then the first that builds the engine from the compiled
  // playbook and the keys (init + Engine + Keys, V8 compiling the wasm code they run for the first time) and runs
  // no iteration; the difference is what rekindle adds. The example's first page − warm page above also holds the
  // Worker's own first-time costs (its JIT, HTMLRewriter, the first origin fetch).
  const engineFirsts = [];
  for (let i = 0; i < Math.min(runs, 5); i++) {
    const fresh = await startWorker(bench, { bindings: { REKINDLE_KEYS: keysText } });
    await (await fresh.dispatchFetch("http://bench.test/?mode=none&n=0")).text();
    const bare = await timed(async () => (await fresh.dispatchFetch("http://bench.test/?mode=none&n=0")).text());
    const built = await timed(async () => (await fresh.dispatchFetch("http://bench.test/?mode=rekindle&n=0")).text());
    engineFirsts.push(built - bare);
    await fresh.dispose();
  }

  // CPU per request: rekindle's per-page work vs GrowthBook, N iterations per request.
  const mf = await startWorker(bench, { bindings: { REKINDLE_KEYS: keysText } });
  const { Engine, Keys, init } = await import("rekindle");
  await init();
  const engine = new Engine(JSON.parse(await readFile(join(repoRoot, "examples", "playbooks", "saas.json"), "utf8")));
  const keys = new Keys(keysText);
  const now = Date.now();
  const history = Array.from({ length: 20 }, (_, k) => ({ id: `h${k}`, at: now - (k + 1) * 3_600_000, kind: "page_view",
    props: { path: ["/blog/a", "/pricing", "/integrations"][k % 3] } }));
  const cookie = keys.sealState(engine.fold(null, history), { expiresAt: now + 86_400_000 });
  const call = (mode, n) => mf.dispatchFetch(`http://bench.test/?mode=${mode}&n=${n}&now=${now}&cookie=${cookie}`).then((r) => r.text());
  // `mode` may carry the worker's extra parameters (rekindle&steps=K).
  // Each side runs long enough per request (tens of ms) that the request's own cost and jitter fade out.
  const perIteration = async (mode, n) => {
    await call(mode, n); // warm-up: engine built, JIT warm
    const empty = [];
    const full = [];
    for (let i = 0; i < runs; i++) {
      empty.push(await timed(() => call(mode, 0)));
      full.push(await timed(() => call(mode, n)));
    }
    return (1000 * (median(full) - median(empty))) / n;
  };
  const ours = await perIteration("rekindle", iterations);
  const oursDecide = await perIteration("rekindle&path=decide", iterations);
  const upTo = [];
  for (const k of [1, 2, 3]) upTo.push(await perIteration(`rekindle&steps=${k}`, iterations));
  const stepCosts = [upTo[0], upTo[1] - upTo[0], upTo[2] - upTo[1], ours - upTo[2]];
  const theirs = await perIteration("growthbook", iterations * 20);
  const theirsPerRequest = await perIteration("growthbook-request", iterations * 5);
  const theirsWithCookie = await perIteration("growthbook-cookie", iterations);
  await mf.dispose();

  // Load.
  const autocannon = (await import("autocannon")).default;
  const served = await startWorker(example, { ...exampleOptions(origin, keysText), host: "127.0.0.1", port: 0 });
  const base = await served.ready;
  const hostile = [cookie.slice(0, -3), cookie.replace("c1.2026-11.", "c1.2001-01."), "A".repeat(4000), "%%%"];
  let i = 0;
  const load = await autocannon({
    url: new URL("/pricing", base).href, connections: 8, duration: loadSeconds,
    requests: [{ setupRequest: (request) => {
      const value = [cookie, hostile[i % hostile.length], Math.random().toString(36)][i++ % 3];
      return { ...request, headers: { ...request.headers, accept: "text/html", cookie: `__Host-rk=${value}` } };
    } }],
  });
  await served.dispose();

  const gbVersion = JSON.parse(await readFile(join(repoRoot, "node_modules", "@growthbook", "growthbook", "package.json"), "utf8")).version;
  console.log(`rekindle bench:edge · workerd (miniflare) · examples/cloudflare-worker · median of ${runs}`);
  console.log(`\nbundle: ${(gz / 1024).toFixed(1)} KB gzip (${parts.join(", ")}), ${((100 * gz) / (3 * 1024 * 1024)).toFixed(1)} % of the Free plan's 3 MB`);
  console.log(`isolate start (workerd process + modules): ${median(starts).toFixed(0)} ms; the example's first page ` +
    `${median(firsts).toFixed(1)} ms, warm page ${median(warms).toFixed(1)} ms (first − warm ` +
    `${(median(firsts) - median(warms)).toFixed(1)} ms: the Worker's first-time costs, rekindle's included); of it ` +
    `rekindle's engine (from the compiled playbook) + keys, once per isolate: ${median(engineFirsts).toFixed(1)} ms`);
  console.log(`\nper request, CTA path (open cookie + fold page view + contact.cta + seal the cookie if changed; the example Worker's ` +
    `page): ${ours.toFixed(1)} µs`);
  console.log(`  by step (differences of runs stopping after each step): open cookie into a Contact ` +
    `${stepCosts[0].toFixed(1)} µs, page view props + fold ${stepCosts[1].toFixed(1)} µs, CTA ${stepCosts[2].toFixed(1)} µs, ` +
    `changed + seal ${stepCosts[3].toFixed(1)} µs`);
  console.log(`per request, decide path (open cookie + fold page view + contact.decide + seal cookie; verify + fold + ` +
    `decide + sign): ${oursDecide.toFixed(1)} µs`);
  const times = (x) => x.toFixed(x < 2 ? 2 : 1);
  const ratio = (path, time, peer) => (time <= peer ? `${path} ${times(peer / time)}× faster` : `${path} ${times(time / peer)}× the peer's time`);
  const rows = [
    ["evaluation alone: one instance, setAttributes + getFeatureValue", theirs],
    ["per request as its Edge App: new GrowthBook + initSync(payload) + getFeatureValue", theirsPerRequest],
    ["per request + a signed JSON attribute cookie (crypto.subtle HMAC verify + sign), no scoring", theirsWithCookie],
  ];
  for (const [what, us] of rows) {
    console.log(`GrowthBook ${gbVersion}, ${what}: ${us.toFixed(2)} µs → ${ratio("rekindle CTA path", ours, us)}, ` +
      `${ratio("rekindle decide path", oursDecide, us)}`);
  }
  console.log(`goal: 10× faster than GrowthBook's SDK. GrowthBook is handed the readiness, fit, stage and webinar ` +
    `flag; rekindle computes them from the cookie's history (decayed scores, windows), verifies and re-signs the cookie.`);
  console.log(`\nload (${loadSeconds} s, 8 connections, valid / hostile / random cookies, origin in-process): ` +
    `${load.requests.total} requests (${load.requests.average} /s), ${load.errors} errors, ${load.non2xx} non-2xx, ` +
    `${load.timeouts} timeouts, latency p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms`);
}

if (isMain(import.meta.url)) await benchEdge();
