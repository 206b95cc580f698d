#!/usr/bin/env node
// Worker suite: bundles examples/cloudflare-worker and tests/worker/vector-worker.js with `wrangler deploy --dry-run`
// (offline; rekindle resolves to its `workerd` entry and the .wasm becomes a CompiledWasm module; the example's
// build compiles its playbook.json into playbook.rkp, a Data module), then runs each bundle in real workerd through
// Miniflare. Prints each test and `workerd: N passed, M failed`; exits 1 on failure.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { Keys, compilePlaybook, init, version } from "rekindle";
import { COMPATIBILITY_DATE, EXAMPLE_CONFIG, bundleScript, bundleWorker, startWorker } from "../../scripts/worker.mjs";
import { KEYS, createOrigin, edgeTests, exampleOptions } from "./edge.mjs";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const VECTOR_WORKER = join(repoRoot, "tests", "worker", "vector-worker.js");
const STREAM_WORKER = join(repoRoot, "tests", "worker", "stream-worker.js");
const FAULT_WORKER = join(repoRoot, "tests", "worker", "fault-worker.js");
const FREE_PLAN_GZIP_BYTES = 3 * 1024 * 1024; // Workers Free plan script size, measured after gzip
const NOW = Date.parse("2025-12-01T00:00:00Z");
const HOUR = 3_600_000;

/**
 * Bundles a worker into `outdir` and starts it in workerd with `options(...)` (bindings, outbound origin): with
 * wrangler arguments `wranglerArgs`, or `{ script }` for a test Worker bundled with the example's module rules.
 */
async function bundleAndStart(name, wranglerArgs, cwd, work, options = () => ({})) {
  const logDir = join(work, "logs");
  const built = Array.isArray(wranglerArgs)
    ? await bundleWorker({ outdir: join(work, name), args: wranglerArgs, cwd, logDir })
    : await bundleScript({ outdir: join(work, name), script: wranglerArgs.script, name: `rekindle-${name}`, logDir });
  const bundle = { ...built, mf: null, fresh: (...args) => startWorker(built, options(...args)) };
  bundle.mf = await bundle.fresh();
  return bundle;
}

async function post(mf, path, body) {
  const response = await mf.dispatchFetch(`http://worker.test${path}`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const at = (hoursAgo) => NOW - hoursAgo * HOUR;

/** A visitor who reads the blog, visits pricing twice and asks for a demo, all within the last two days. */
const scriptedVisitor = [
  { id: "v1", at: at(40), kind: "page_view", props: { path: "/blog/five-dashboards" } },
  { id: "v2", at: at(30), kind: "page_view", props: { path: "/pricing" } },
  { id: "v3", at: at(5), kind: "page_view", props: { path: "/pricing" } },
  { id: "v4", at: at(1), kind: "form_submit", props: { form: "demo" } },
];

/** The example Worker in a new isolate with `value` under PLAYBOOKS/playbook (null: no key). */
async function withKv(example, value) {
  const mf = await startWorker(example, { ...exampleOptions(createOrigin()), kvNamespaces: ["PREFERENCES", "PLAYBOOKS"] });
  if (value !== null) await (await mf.getKVNamespace("PLAYBOOKS")).put("playbook", value);
  return mf;
}

/** The CTA the example Worker injects into a blog page for a new visitor. */
async function ctaOf(mf) {
  const response = await mf.dispatchFetch("http://site.test/blog/decay-explained", { headers: { accept: "text/html" } });
  return (await response.text()).match(/data-rekindle-cta-id="([^"]+)"/)?.[1] ?? null;
}

/** /api/health's `playbook`: where the engine's playbook came from. */
const health = async (mf) => (await (await mf.dispatchFetch("http://worker.test/api/health")).json()).playbook;

function tests() {
  return [
    ["every shared vector gives its expected answer in workerd", "vectors", async (vectors) => {
      const { compiledVectors, loadVectors } = await import("../support/load-vectors.mjs");
      const { outputsFileText } = await import("../support/vectors.mjs");
      // The edge build reads compiled playbooks: each vector's playbook compiled in Node, as a Worker's build does.
      const cases = await compiledVectors(loadVectors(repoRoot));
      if (cases.length === 0) throw new Error("no vectors found under tests/vectors");
      const { status, body: results } = await post(vectors.mf, "/run", cases);
      assert.equal(status, 200);
      const outputs = results.filter((r) => typeof r.canonical === "string").map((r) => [r.name, r.canonical]);
      const file = join(repoRoot, "target", "vector-outputs", "workerd.json");
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, outputsFileText(Object.fromEntries(outputs)));
      const failed = results.filter((result) => !result.ok);
      if (failed.length > 0) {
        const lines = failed.map((result) => `  ${result.name}:\n    ${result.failures.join("\n    ")}`);
        throw new Error(`${failed.length} of ${results.length} vectors failed:\n${lines.join("\n")}`);
      }
      assert.equal(results.length, cases.length);
    }],

    ["the example worker reports itself healthy and builds its engine only on first use", "example", async (example) => {
      const mf = await example.fresh();
      try {
        const first = await mf.dispatchFetch("http://worker.test/api/health");
        assert.equal(first.status, 200);
        const healthy = await first.json();
        assert.equal(healthy.status, "ok");
        assert.match(healthy.version, /^\d+\.\d+\.\d+/);
        assert.equal(healthy.engine, "cold");
        assert.equal((await post(mf, "/api/decide", { events: [], now: NOW })).status, 200);
        const after = await (await mf.dispatchFetch("http://worker.test/api/health")).json();
        assert.equal(after.engine, "warm");
      } finally {
        await mf.dispose();
      }
    }],

    ["a playbook in KV (PLAYBOOKS) replaces the bundled one, read once per isolate; one that does not compile falls back, reported", "example", async (example) => {
      const saas = JSON.parse(await readFile(join(repoRoot, "examples", "playbooks", "saas.json"), "utf8"));
      const withoutChecklist = structuredClone(saas);
      // The KV playbook has no checklist: a cold visitor gets its default, comparison (the page names the injected CTA,
      // so both must be CTAs the site has markup for).
      withoutChecklist.ctas.candidates = withoutChecklist.ctas.candidates.filter((candidate) => candidate.id !== "checklist");
      withoutChecklist.ctas.default = "comparison";
      const fromKv = await withKv(example, compilePlaybook(withoutChecklist));
      try {
        assert.equal(await health(fromKv), null, "nothing built before the first request");
        assert.equal(await ctaOf(fromKv), "comparison");
        assert.deepEqual(await health(fromKv), { source: "kv", key: "playbook" });
        await (await fromKv.getKVNamespace("PLAYBOOKS")).put("playbook", compilePlaybook(saas));
        assert.equal(await ctaOf(fromKv), "comparison", "read once per isolate, never per request");
      } finally {
        await fromKv.dispose();
      }
      const broken = await withKv(example, '{ "version": 1, "signals": { "x": { "kind": "nope" } } }');
      try {
        assert.equal(await ctaOf(broken), "checklist", "the bundled playbook serves");
        const source = await health(broken);
        assert.equal(source.source, "bundle");
        assert.match(source.error, /^KV PLAYBOOKS\/playbook: E_PLAYBOOK_INVALID at \(document\): .*this is JSON: compile it first/, source.error);
      } finally {
        await broken.dispose();
      }
      const empty = await withKv(example, null);
      try {
        assert.equal(await ctaOf(empty), "checklist");
        assert.deepEqual(await health(empty), { source: "bundle" }, "no key in KV: the bundle, no error");
      } finally {
        await empty.dispose();
      }
    }],

    ["a KV playbook that is not this version's compiled bytes (JSON as stored before, damaged, truncated, another version's) is refused with what to do; the bundled one serves", "example", async (example) => {
      const saasText = await readFile(join(repoRoot, "examples", "playbooks", "saas.json"), "utf8");
      const good = compilePlaybook(saasText);
      const damaged = good.slice();
      damaged[Math.floor(damaged.length / 2)] ^= 0xff;
      // The envelope: "RKPB", a format byte, the release's length and text (docs/playbook.md § Compiled playbooks).
      const release = new TextEncoder().encode(version());
      assert.deepEqual([...good.subarray(6, 6 + release.length)], [...release], "the release follows the magic, format and length");
      const other = good.slice();
      other[6 + release.length - 1] = other[6 + release.length - 1] === 0x39 ? 0x38 : other[6 + release.length - 1] + 1;
      const otherRelease = new TextDecoder().decode(other.subarray(6, 6 + release.length));
      const cases = [
        ["the JSON of a valid playbook (an older deployment's KV)", saasText, /this is JSON: compile it first/],
        ["compiled bytes with one byte damaged", damaged, /checksum mismatch: the file is truncated or damaged/],
        ["compiled bytes cut short", good.subarray(0, good.length - 100), /checksum mismatch|truncated/],
        ["bytes compiled by another rekindle version", other,
          new RegExp(`compiled by rekindle ${otherRelease.replaceAll(".", "\\.")}; this is rekindle ${version().replaceAll(".", "\\.")}: compile the playbook again`)],
      ];
      for (const [what, value, reason] of cases) {
        const mf = await withKv(example, value);
        try {
          assert.equal(await ctaOf(mf), "checklist", `${what}: the bundled playbook serves`);
          const source = await health(mf);
          assert.equal(source.source, "bundle", what);
          assert.match(source.error, /^KV PLAYBOOKS\/playbook: E_PLAYBOOK_INVALID at \(document\): /, `${what}: ${source.error}`);
          assert.match(source.error, reason, `${what}: ${source.error}`);
          assert.match(source.error, /compile playbook\.json with this rekindle version and put the bytes: npm run kv:playbook/,
            `${what}: the Worker says what to do: ${source.error}`);
          const status = await (await mf.dispatchFetch("http://worker.test/api/health")).json();
          assert.equal(status.engine, "warm", what);
        } finally {
          await mf.dispose();
        }
      }
    }],

    ["a KV playbook's own topics and labels reach the preference center (read from the compiled bytes)", "example", async (example) => {
      const saas = JSON.parse(await readFile(join(repoRoot, "examples", "playbooks", "saas.json"), "utf8"));
      const relabelled = structuredClone(saas);
      relabelled.policy.topics = { digest: "The monthly digest", ...saas.policy.topics, tips: "How-to guides" };
      relabelled.ctas.default = "comparison";
      relabelled.ctas.candidates = relabelled.ctas.candidates.filter((candidate) => candidate.id !== "checklist");
      const mf = await withKv(example, compilePlaybook(relabelled));
      try {
        assert.equal(await ctaOf(mf), "comparison", "the KV playbook serves");
        assert.deepEqual(await health(mf), { source: "kv", key: "playbook" });
        const now = Date.now();
        const keys = new Keys(KEYS.current);
        const token = keys.signToken({ purpose: "preferences", contact: "cus_kv_topics", issuedAt: now, expiresAt: now + HOUR });
        const choices = await (await mf.dispatchFetch(`http://site.test/preferences?t=${token}`, { headers: { accept: "application/json" } })).json();
        assert.deepEqual(choices.topics.map((t) => [t.id, t.label]), Object.entries(relabelled.policy.topics), JSON.stringify(choices));
        keys.free();
      } finally {
        await mf.dispose();
      }
    }],

    ["a visitor who reads the blog, visits pricing twice and requests a demo is an SQL", "example", async (example) => {
      const { status, body } = await post(example.mf, "/api/decide", { events: scriptedVisitor, now: NOW });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.stage, "sql");
      assert.equal(body.readiness, "hot");
      assert.equal(body.meets.sql, true);
      const pricing = body.reasons.find((reason) => reason.kind === "intentRule" && reason.id === "pricing");
      assert.equal(pricing?.count, 2, JSON.stringify(body.reasons));
    }],

    ["the same visitor decided a month later has cooled but stays an SQL", "example", async (example) => {
      const { status, body } = await post(example.mf, "/api/decide", { events: scriptedVisitor, now: NOW + 30 * 24 * HOUR });
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.stage, "sql");
      assert.equal(body.meets.sql, false);
      assert.notEqual(body.readiness, "hot");
    }],

    ["now defaults to the time of the request", "example", async (example) => {
      const events = [{ id: "recent", at: Date.now() - HOUR, kind: "page_view", props: { path: "/pricing" } }];
      const { status, body } = await post(example.mf, "/api/decide", { events });
      assert.equal(status, 200, JSON.stringify(body));
      const pricing = body.reasons.find((reason) => reason.kind === "intentRule" && reason.id === "pricing");
      assert.ok(pricing && pricing.decayedTo > 14 && pricing.decayedTo <= 15, JSON.stringify(pricing));
      const window = body.reasons.find((reason) => reason.kind === "window" && reason.signal === "pricing_visit");
      assert.equal(window?.met, true, "an hour-old visit is within the 7-day window");
    }],

    ["malformed JSON is a 400 E_INPUT_INVALID, not a 500", "example", async (example) => {
      const { status, body } = await post(example.mf, "/api/decide", "{ events: [");
      assert.equal(status, 400);
      assert.equal(body.code, "E_INPUT_INVALID");
      assert.equal(body.path, null);
      assert.match(body.message, /not valid JSON/);
    }],

    ["an event with an unreadable timestamp is a 400 naming events[0].at", "example", async (example) => {
      const events = [{ at: "yesterday", kind: "page_view", props: { path: "/pricing" } }];
      const { status, body } = await post(example.mf, "/api/decide", { events, now: NOW });
      assert.equal(status, 400, JSON.stringify(body));
      assert.equal(body.code, "E_INPUT_INVALID");
      assert.equal(body.path, "events[0].at");
      assert.equal(typeof body.message, "string");
    }],

    ["request bodies of the wrong shape are 400s naming the offending field", "example", async (example) => {
      const cases = [
        [[], null],
        [{}, "events"],
        [{ events: {} }, "events"],
        [{ events: [], now: "tomorrow" }, "now"],
        [{ events: [], now: 1.5 }, "now"],
        [{ events: [], contact: "c-1" }, "contact"],
        [{ events: [{ at: NOW, kind: "page_visit" }], now: NOW }, "events[0].kind"],
      ];
      for (const [request, path] of cases) {
        const { status, body } = await post(example.mf, "/api/decide", request);
        assert.equal(status, 400, `${JSON.stringify(request)} → ${status} ${JSON.stringify(body)}`);
        assert.deepEqual([body.code, body.path], ["E_INPUT_INVALID", path], JSON.stringify(request));
      }
    }],

    ["unknown routes are 404 and wrong methods are 405 with Allow", "example", async (example) => {
      const missing = await example.mf.dispatchFetch("http://worker.test/api/nope");
      assert.equal(missing.status, 404);
      await missing.arrayBuffer();
      const wrong = await example.mf.dispatchFetch("http://worker.test/api/decide");
      assert.equal(wrong.status, 405);
      assert.equal(wrong.headers.get("allow"), "POST");
      await wrong.arrayBuffer();
    }],

    ["the example bundle carries playbook.json compiled by this rekindle (its build step ran), as a Data module", "example", async (example) => {
      const shipped = example.files.filter((file) => file.endsWith(".rkp"));
      assert.equal(shipped.length, 1, `one compiled playbook in the bundle: ${example.files}`);
      const bytes = await readFile(join(example.outdir, shipped[0]));
      const json = await readFile(join(dirname(EXAMPLE_CONFIG), "playbook.json"), "utf8");
      assert.deepEqual(new Uint8Array(bytes), compilePlaybook(json), "fresh: the bytes of playbook.json as it is now");
      const script = await readFile(join(example.outdir, example.entry), "utf8");
      assert.match(script, new RegExp(`import \\w+ from "\\./${shipped[0].replaceAll(".", "\\.")}"`), "imported by the script");
      assert.doesNotMatch(script, /"pricing_visit"/, "the playbook's JSON is not bundled: the compiled bytes carry everything, topics included");
    }],

    ["the example bundle fits the Workers Free plan size limit", "example", async (example) => {
      let gzipped = 0;
      const shipped = example.files.filter((file) => /\.(js|wasm|rkp)$/.test(file));
      for (const file of shipped) gzipped += gzipSync(await readFile(join(example.outdir, file))).length;
      assert.ok(example.files.some((file) => file.endsWith(".wasm")), `the wasm is a separate module: ${example.files}`);
      assert.ok(gzipped < FREE_PLAN_GZIP_BYTES, `bundle is ${gzipped} bytes gzipped`);
    }],
  ];
}

async function main() {
  const work = await mkdtemp(join(tmpdir(), "rekindle-worker-"));
  const started = [];
  const origin = createOrigin();
  await init();
  const keys = new Keys(KEYS.current);
  let passed = 0;
  let failed = 0;
  try {
    const example = bundleAndStart("example", ["--config", EXAMPLE_CONFIG], dirname(EXAMPLE_CONFIG), work,
      (keysText, vars) => exampleOptions(origin, keysText, null, false, vars ?? {}));
    // stream-worker.js and fault-worker.js import the example's playbook.rkp, which its bundle's build writes.
    const afterExample = (bundle) => example.catch(() => null).then(bundle);
    const bundles = await Promise.allSettled([
      example,
      bundleAndStart("vectors", [VECTOR_WORKER, "--name", "rekindle-vectors", "--compatibility-date", COMPATIBILITY_DATE],
        work, work),
      afterExample(() => bundleAndStart("stream", { script: STREAM_WORKER }, work, work,
        () => ({ bindings: { REKINDLE_KEYS: KEYS.current } }))),
      afterExample(() => bundleAndStart("fault", { script: FAULT_WORKER }, work, work, () => exampleOptions(origin))),
    ]);
    for (const bundle of bundles) if (bundle.status === "fulfilled") started.push(bundle.value.mf);
    const byName = { example: bundles[0], vectors: bundles[1], stream: bundles[2] };
    const edge = edgeTests().map(([name, body]) => [name, "example", async (example) => {
      const restart = async (keysText, vars) => {
        const mf = await example.fresh(keysText, vars);
        started.push(mf);
        return mf;
      };
      // The example Worker behind fault-worker.js, in a new isolate: wasm traps and KV failures on demand.
      const faulty = async () => {
        if (bundles[3].status === "rejected") throw bundles[3].reason;
        const mf = await bundles[3].value.fresh();
        started.push(mf);
        return mf;
      };
      await body({ mf: example.mf, bundle: example, restart, faulty, origin, keys });
    }]);
    const streaming = [["the page streams: the first rewritten bytes leave before the origin has finished (in workerd)", "stream",
      async (stream) => {
        const result = await (await stream.mf.dispatchFetch("http://worker.test/")).json();
        assert.equal(result.doneAtFirstChunk, false, "the origin was still sending when the first bytes came out");
        assert.ok(result.firstChunk.includes("<h1>Pricing</h1>"), result.firstChunk);
        assert.equal(result.body.match(/data-rekindle-cta-id="([^"]+)"/)?.[1], "comparison");
        assert.ok(result.body.includes('data-rekindle-cta-id="comparison"') && result.body.includes("the rest of a long article"));
      }]];
    // WORKER_TESTS=<regex> runs only the tests whose name matches (while working on one part); npm test runs all.
    const only = process.env.WORKER_TESTS ? new RegExp(process.env.WORKER_TESTS, "i") : null;
    for (const [name, needs, body] of [...tests(), ...edge, ...streaming].filter(([n]) => only === null || only.test(n))) {
      try {
        const bundle = byName[needs];
        if (bundle.status === "rejected") throw bundle.reason;
        await body(bundle.value);
        passed += 1;
        console.log(`ok   ${name}`);
      } catch (error) {
        failed += 1;
        console.log(`FAIL ${name}\n     ${String(error?.stack ?? error).split("\n").join("\n     ")}`);
      }
    }
  } finally {
    await Promise.all(started.map((mf) => mf.dispose()));
    await rm(work, { recursive: true, force: true });
  }
  console.log(`workerd: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

await main();
