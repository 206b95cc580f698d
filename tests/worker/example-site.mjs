// The example as a site operator copies and deploys it, in workerd: a copy of the directory outside the repository
// bundles on its own (its playbook is inside it, equal to examples/playbooks/saas.json, and wrangler's build step
// compiles it with the package's rekindle-compile, as `npm install` links it); wrangler.toml ships no
// loopback ORIGIN and /api/health says when one is used from a public host; the Worker's preference center, in
// Chromium, loads with the whole package directory served and shows an error, not "Loading…" forever, when only
// browser.js is.
import assert from "node:assert/strict";
import { chmod, cp, mkdir, mkdtemp, readFile, readdir, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { bundleWorker, startWorker } from "../../scripts/worker.mjs";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const EXAMPLE = join(repoRoot, "examples", "cloudflare-worker");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"];
const LOAD_FAILED = /^Your preferences could not be loaded\./;

/**
 * `dir` as `npm install` leaves the package: the files its package.json ships in node_modules/rekindle, and its bins
 * linked into node_modules/.bin (rekindle-compile, which the example's build step runs).
 */
async function installPackage(dir) {
  const pkg = JSON.parse(await readFile(join(repoRoot, "pkg", "package.json"), "utf8"));
  const target = join(dir, "node_modules", "rekindle");
  for (const file of ["package.json", ...pkg.files]) {
    await mkdir(dirname(join(target, file)), { recursive: true });
    await cp(join(repoRoot, "pkg", file), join(target, file), { recursive: true });
  }
  await mkdir(join(dir, "node_modules", ".bin"), { recursive: true });
  for (const [name, file] of Object.entries(pkg.bin ?? {})) {
    await chmod(join(target, file), 0o755);
    await symlink(join("..", "rekindle", file), join(dir, "node_modules", ".bin", name));
  }
}

/** The Worker's preference center page opened in Chromium; resolves to what the element shows once settled. */
async function openPreferences(url) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(url);
    const box = page.locator("rekindle-preferences");
    await page.waitForFunction(() => !document.querySelector("rekindle-preferences")?.textContent.includes("Loading"),
      null, { timeout: 15_000 });
    return { alert: await box.getByRole("alert").allTextContents(), checkboxes: await box.getByRole("checkbox").count(),
      text: await box.textContent() };
  } finally {
    await browser.close();
  }
}

export function exampleSiteTests({ SITE, exampleOptions }) {
  return [
    ["wrangler.toml ships no ORIGIN; a loopback ORIGIN answered at a public host makes /api/health degraded, at loopback it does not", async ({ restart }) => {
      const toml = await readFile(join(EXAMPLE, "wrangler.toml"), "utf8");
      assert.doesNotMatch(toml, /^\s*ORIGIN\s*=/m, "a copied config must not fetch localhost in production");
      const mf = await restart(undefined, { ORIGIN: "http://127.0.0.1:8080" });
      const deployed = await (await mf.dispatchFetch("https://www.example.com/api/health")).json();
      assert.equal(deployed.status, "degraded");
      assert.match(deployed.problems.join("\n"), /ORIGIN is http:\/\/127\.0\.0\.1:8080, a loopback address, but this Worker answers at www\.example\.com/);
      const local = await (await mf.dispatchFetch("http://localhost:8787/api/health")).json();
      assert.equal(local.status, "ok", JSON.stringify(local.problems));
    }],

    ["the bundled playbook (examples/cloudflare-worker/playbook.json) is byte for byte examples/playbooks/saas.json", async () => {
      const copy = await readFile(join(EXAMPLE, "playbook.json"), "utf8");
      assert.equal(copy, await readFile(join(repoRoot, "examples", "playbooks", "saas.json"), "utf8"),
        "edit examples/playbooks/saas.json and copy it over playbook.json");
    }],

    ["a copy of the example outside the repository, with rekindle installed as npm does, bundles with wrangler deploy --dry-run (its build compiling the playbook) and classifies a page", async ({ origin }) => {
      const work = await mkdtemp(join(tmpdir(), "rekindle-copy-"));
      try {
        const copy = join(work, "my-worker");
        // Without playbook.rkp (a build output, gitignored): the copy's build step must write it.
        await cp(EXAMPLE, copy, { recursive: true,
          filter: (src) => !/[/\\](node_modules|dist|\.wrangler|\.dev\.vars|playbook\.rkp)$/.test(src) });
        await installPackage(copy);
        await assert.rejects(stat(join(copy, "playbook.rkp")), { code: "ENOENT" });
        const bundle = await bundleWorker({ outdir: join(work, "dist"), args: ["--config", join(copy, "wrangler.toml")], cwd: copy,
          logDir: join(work, "logs") });
        const compiled = await readFile(join(copy, "playbook.rkp"));
        assert.equal(compiled.subarray(0, 4).toString("latin1"), "RKPB", "the build step wrote the compiled playbook");
        const shipped = (await readdir(bundle.outdir)).filter((file) => file.endsWith(".rkp"));
        assert.equal(shipped.length, 1, `the bundle carries it as a module: ${bundle.files}`);
        assert.deepEqual(await readFile(join(bundle.outdir, shipped[0])), compiled);
        const mf = await startWorker(bundle, exampleOptions(origin));
        try {
          const page = await mf.dispatchFetch(`${SITE}/pricing`, { headers: { accept: "text/html" } });
          assert.match(await page.text(), /data-rekindle-cta-id="comparison"/);
        } finally {
          await mf.dispose();
        }
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }],

    ["the Worker's preference center in Chromium: browser.js alone shows an error, not 'Loading…' forever; the whole package directory loads", async ({ bundle, origin, keys }) => {
      const now = Date.now();
      const token = keys.signToken({ purpose: "preferences", contact: "cus_page", issuedAt: now, expiresAt: now + 86_400_000 });
      for (const [module, loads] of [["/only-browser/browser.js", false], ["/pkg/browser.js", true]]) {
        const mf = await startWorker(bundle, exampleOptions(origin, undefined, null, true, { BROWSER_MODULE: module }));
        try {
          const shown = await openPreferences(new URL(`/preferences?t=${token}`, await mf.ready).href);
          if (loads) {
            assert.deepEqual(shown.alert, [], shown.text);
            assert.ok(shown.checkboxes >= 3, `the topics as checkboxes: ${shown.text}`);
            assert.match(shown.text, /Product news/);
          } else {
            assert.equal(shown.alert.length, 1, shown.text);
            assert.match(shown.alert[0], LOAD_FAILED);
          }
        } finally {
          await mf.dispose();
        }
      }
    }],
  ];
}
