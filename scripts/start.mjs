// `npm start`: installs the tools, builds the wasm, writes the sample campaign plan (target/demo-plan/, with the
// release CLI), serves the demo and the plan's report, and runs the example edge Worker in workerd in front of the
// demo site (so pages come with the CTA injected at the edge), until Ctrl-C. The pages load compiled playbooks
// (the browser build reads no JSON): the server compiles examples/playbooks/<name>.json into <name>.rkp on each
// request (scripts/compiled-playbooks.mjs), so an edited playbook shows on the next reload.
// Node built-ins only until bootstrap has run. PORT picks the port (default 8080; a busy port falls back to a
// free one), EDGE_PORT the Worker's (default 8787, same fallback); HOST=0.0.0.0 serves beyond this machine.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { bootstrap } from "./bootstrap.mjs";
import { build } from "./build.mjs";
import { compiledFromSource } from "./compiled-playbooks.mjs";
import { DEMO_REPORT_PATH, buildCli, writeDemoPlan } from "./demo-plan.mjs";
import { startServer } from "./serve.mjs";
import { isMain, repoRoot } from "./util.mjs";
import { bundleExample, startWorker } from "./worker.mjs";

const EXAMPLE_KEYS = join(repoRoot, "examples", "data", "keys", "example-current.keys");

/** The example Worker in workerd on `port`, in front of the static server at `origin`; example keys only. */
async function startEdge(origin, port, host) {
  const bundle = await bundleExample(join(repoRoot, "target", "worker-demo", "dist"));
  const options = (p) => ({
    host, port: p,
    // CONSENT_COOKIE: the demo site's banner (www/site.js) sets acme_consent=yes|no; no state cookie before "yes".
    bindings: { REKINDLE_KEYS: readFileSync(EXAMPLE_KEYS, "utf8"), ORIGIN: origin, BROWSER_MODULE: "/pkg/browser.js",
      CONSENT_COOKIE: "acme_consent=yes" },
    kvNamespaces: ["PREFERENCES"],
    outboundService: { network: { allow: ["local", "private", "public"] } },
  });
  try {
    return await startWorker(bundle, options(port));
  } catch (err) {
    console.log(`edge port ${port}: ${err.message.split("\n")[0]}; using a free port instead`);
    return startWorker(bundle, options(0));
  }
}

const PLAYBOOKS = join(repoRoot, "examples", "playbooks");

/**
 * Compiles every example playbook once, as the server will on each request, and says which do not compile (the
 * demo page then lists their problems instead of scores). Resolves to the URLs the pages can load.
 */
async function checkPlaybooks() {
  const urls = [];
  // saas.json first: the one the demo pages load.
  const names = readdirSync(PLAYBOOKS).filter((file) => file.endsWith(".json"))
    .sort((a, b) => (b === "saas.json") - (a === "saas.json") || a.localeCompare(b));
  for (const name of names) {
    const compiled = await compiledFromSource(join(PLAYBOOKS, name.replace(/\.json$/, ".rkp")));
    if (compiled.status === 200) {
      urls.push(`/examples/playbooks/${name.replace(/\.json$/, ".rkp")}`);
      continue;
    }
    const { problems } = JSON.parse(compiled.body);
    console.log(`start: examples/playbooks/${name} does not compile (the demo shows why):\n` +
      problems.map((p) => `    ${p.path || "(document)"}: ${p.message} [${p.code}]`).join("\n"));
  }
  return urls;
}

/** A preference-center link for the demo contact, signed with the example key (valid 30 days). */
async function demoPreferenceLink(edgeBase) {
  const { Keys, init } = await import("rekindle");
  await init();
  const keys = new Keys(readFileSync(EXAMPLE_KEYS, "utf8"));
  const now = Date.now();
  const token = keys.signToken({ purpose: "preferences", contact: "cus_demo", issuedAt: now, expiresAt: now + 30 * 86_400_000 });
  keys.free();
  return `${edgeBase}/preferences?t=${token}`;
}

export async function start({ port = Number(process.env.PORT ?? 8080), host = process.env.HOST ?? "127.0.0.1" } = {}) {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a whole number from 0 to 65535, got ${JSON.stringify(process.env.PORT)}`);
  }
  await bootstrap();
  await build();
  console.log("start: cargo build --release -p rekindle-cli (skipped by cargo when up to date)");
  await writeDemoPlan(await buildCli({ stream: true }));
  let server;
  try {
    server = await startServer({ port, host });
  } catch (err) {
    if (err.code !== "EADDRINUSE") throw err;
    console.log(`port ${port} is busy; using a free port instead`);
    server = await startServer({ port: 0, host });
  }
  const playbooks = await checkPlaybooks();
  const shown = host === "0.0.0.0" || host === "127.0.0.1" ? "localhost" : host;
  const base = `http://${shown}:${server.port}`;
  console.log("start: bundling the example Worker (wrangler deploy --dry-run) and starting it in workerd");
  const edge = await startEdge(`http://127.0.0.1:${server.port}`, Number(process.env.EDGE_PORT ?? 8787), host);
  const edgeUrl = await edge.ready;
  const edgeBase = `http://${shown}:${edgeUrl.port}`;
  console.log(`\n  rekindle demo: ${base}/www/\n  the site with the npm package (tracker, CTA widget, consent): ${base}/www/site.html\n` +
    `  the same site behind the edge Worker (CTA injected in workerd): ${edgeBase}/www/site.html\n` +
    `    (accept the banner, then Blog → a post → Pricing twice → Book a demo and send the form: each page load\n` +
    `    shows the CTA the Worker chose; checklist → comparison → case_study, the SQL stage's. Pages: /blog/<post>,\n` +
    `    /pricing, /integrations, /demo on both ports)\n` +
    `  preference center via the Worker: ${await demoPreferenceLink(edgeBase)}\n` +
    `  preference center page (demo endpoint): ${base}/www/preferences.html?t=demo\n  campaign plan report: ${base}${DEMO_REPORT_PATH}\n` +
    `  compiled playbooks (each compiled from the .json beside it on every request): ${base}${playbooks[0] ?? ""}` +
    `${playbooks.length > 1 ? ` (also ${playbooks.slice(1).map((url) => url.split("/").pop()).join(", ")})` : ""}\n\n  (Ctrl-C to stop)\n`);
  return { close: async () => { await edge.dispose(); await server.close(); } };
}

if (isMain(import.meta.url)) {
  try {
    const server = await start();
    const stop = async () => {
      await server.close();
      process.exit(0);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  } catch (err) {
    console.error(`npm start: ${err.message}`);
    process.exit(1);
  }
}
