// Opt-outs taken at the edge reach the batch plan (D5, D27), and the preference center shows only what it can know.
// In workerd: GET /api/events exports the KV preference log as the NDJSON `rekindle plan --events` reads, behind a
// bearer EXPORT_TOKEN, one KV list page (≤ 1000 keys) per request, followed by X-Rekindle-Next; a `rekindle plan`
// (the CLI binary) over that export denies email to the contact who unsubscribed at the edge. SMS is off and not
// offered without recorded sms_marketing consent (an SMS opt-in needs the phone number and confirmed consent, TCPA),
// and a POST that turns it on anyway is a 400 that writes nothing.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { eventKey } from "../../examples/cloudflare-worker/src/log.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const DAY = 86_400_000;
const TOKEN = "export-secret-0123456789abcdef0123456789abcdef";

/** The CLI binary: REKINDLE_BIN, else the newest of target/{debug,release}/rekindle (`cargo build -p rekindle-cli`). */
function cliBinary() {
  if (process.env.REKINDLE_BIN) return process.env.REKINDLE_BIN;
  const built = ["debug", "release"].map((p) => join(repoRoot, "target", p, "rekindle")).filter((p) => existsSync(p));
  if (built.length === 0) throw new Error("no rekindle CLI binary: run `cargo build -p rekindle-cli` first (or set REKINDLE_BIN)");
  return built.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/** Every page of the export, following X-Rekindle-Next as the README's sync loop does. */
async function exportAll(mf, SITE, query = "") {
  const pages = [];
  let next = `/api/events${query}`;
  let unnamed = 0;
  while (next) {
    const response = await mf.dispatchFetch(`${SITE}${next}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.match(response.headers.get("content-type"), /^application\/x-ndjson/);
    pages.push(text);
    unnamed += Number(response.headers.get("x-rekindle-unnamed"));
    next = response.headers.get("x-rekindle-next");
  }
  const lines = pages.join("").split("\n").filter((line) => line !== "");
  return { pages, text: pages.join(""), events: lines.map((line) => JSON.parse(line)), unnamed };
}

export function preferenceSyncTests({ SITE }) {
  const withExport = (restart, vars = {}) => restart(undefined, { EXPORT_TOKEN: TOKEN, ...vars });
  const sign = (keys, purpose, contact, topic = null) =>
    keys.signToken({ purpose, contact, topic, issuedAt: Date.now(), expiresAt: Date.now() + DAY });
  const oneClick = (mf, keys, contact) => mf.dispatchFetch(`${SITE}/unsubscribe?t=${sign(keys, "unsubscribe", contact)}`, {
    method: "POST", body: "List-Unsubscribe=One-Click", headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  const save = (mf, keys, contact, choice) => mf.dispatchFetch(`${SITE}/preferences?t=${sign(keys, "preferences", contact)}`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ topics: ["product", "tips"], frequency: null, pauseUntil: null, unsubscribeAll: false,
      channels: { email: true, sms: false }, ...choice }),
  });
  const load = async (mf, keys, contact) => (await mf.dispatchFetch(`${SITE}/preferences?t=${sign(keys, "preferences", contact)}`,
    { headers: { accept: "application/json" } })).json();

  return [
    ["an opt-out at the edge is in GET /api/events, and `rekindle plan --events` over the export denies that contact email (D5)", async ({ restart, keys }) => {
      const mf = await withExport(restart);
      assert.equal((await oneClick(mf, keys, "cus_sync_out")).status, 200);
      assert.equal((await save(mf, keys, "cus_sync_keep", { frequency: "monthly" })).status, 200);
      const exported = await exportAll(mf, SITE);
      assert.equal(exported.unnamed, 0);
      const optOut = exported.events.find((e) => e.contact === "cus_sync_out");
      assert.deepEqual([optOut?.kind, optOut?.props], ["unsubscribe", { channel: "email" }], exported.text);
      assert.ok(Number.isSafeInteger(optOut.at) && typeof optOut.id === "string" && optOut.id !== "");
      assert.ok(exported.events.some((e) => e.contact === "cus_sync_keep" && e.kind === "preferences"), exported.text);

      const dir = await mkdtemp(join(tmpdir(), "rekindle-sync-"));
      try {
        const now = Date.now() + 60_000;
        await writeFile(join(dir, "contacts.csv"), "id,email,role,company_size\ncus_sync_out,out@acme.test,CMO,500\n" +
          "cus_sync_keep,keep@acme.test,CMO,500\n");
        // Both gave email consent before (the ESP's records); the site's events are the Worker's export, as is.
        await writeFile(join(dir, "consent.ndjson"), ["cus_sync_out", "cus_sync_keep"].map((contact) => JSON.stringify({
          contact, id: `consent-${contact}`, at: now - 30 * DAY, kind: "consent", props: { purpose: "email_marketing", granted: true },
        })).join("\n") + "\n");
        await writeFile(join(dir, "site.ndjson"), exported.text);
        const plan = (events) => {
          const out = join(dir, `out-${events.length}`);
          execFileSync(cliBinary(), ["plan", "--playbook", join(repoRoot, "examples/cloudflare-worker/playbook.json"),
            "--contacts", join(dir, "contacts.csv"), ...events.flatMap((f) => ["--events", join(dir, f)]), "--now", String(now),
            "--out", out, "--format", "json", "--quiet", "--salt-file", join(dir, "salt.txt")], { stdio: "pipe" });
          return out;
        };
        await writeFile(join(dir, "salt.txt"), "0123456789abcdef0123456789abcdef\n");
        // deny = never email (suppressed); allow or defer (quiet hours, frequency caps at the clock's hour) = may email.
        const verdicts = async (out) => Object.fromEntries(JSON.parse(await readFile(join(out, "plan.json"), "utf8"))
          .map((row) => [row.id, row.emailVerdict.verdict === "deny" ? "deny" : "may email"]));
        assert.deepEqual(await verdicts(plan(["consent.ndjson"])), { cus_sync_out: "may email", cus_sync_keep: "may email" },
          "without the export the plan would mail the person who opted out");
        const withSite = plan(["consent.ndjson", "site.ndjson"]);
        const manifest = JSON.parse(await readFile(join(withSite, "manifest.json"), "utf8"));
        assert.equal(manifest.counts.rejectedEventLines, 0, "every exported line parses");
        assert.equal(manifest.counts.events, 2 + exported.events.length);
        assert.deepEqual(await verdicts(withSite), { cus_sync_out: "deny", cus_sync_keep: "may email" });
        // suppressed.csv, the list to upload to the ESP (addresses hashed, D9), holds the one opt-out.
        const suppressed = (await readFile(join(withSite, "suppressed.csv"), "utf8")).trim().split("\n").slice(1);
        assert.deepEqual(suppressed.map((row) => row.split(",").slice(1, 3).join(",")), ["email,unsubscribed"]);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }],

    ["GET /api/events pages one KV list (≤ 1000 keys) at a time to the end; since filters; a hashed contact is named, an unnameable event is counted", async ({ restart, keys }) => {
      const mf = await withExport(restart);
      const kv = await mf.getKVNamespace("PREFERENCES");
      const base = Date.now() - 10 * DAY;
      const written = [];
      for (let i = 0; i < 1205; i++) {
        const contact = `cus_bulk_${String(i % 400).padStart(3, "0")}`;
        const event = { id: `bulk-${i}`, at: base + i * 1000, kind: "preferences", props: { frequency: "weekly" } };
        written.push(kv.put(eventKey(contact, event), "", { metadata: event }));
      }
      await Promise.all(written);
      // A contact id too long for a plain key (its keys hold a hash): the one-click names it in the metadata.
      const long = "ż".repeat(120);
      assert.equal((await oneClick(mf, keys, long)).status, 200);
      // A hashed key written before the metadata named its contact: counted, never silently dropped.
      await kv.put("log:#0123456789abcdef:0001700000000000-old", "", { metadata: { id: "old", at: 1_700_000_000_000,
        kind: "unsubscribe", props: { channel: "email" } } });
      const all = await exportAll(mf, SITE);
      assert.ok(all.pages.length >= 2, `${all.pages.length} pages`);
      for (const page of all.pages) assert.ok(page.split("\n").filter(Boolean).length <= 1000);
      assert.equal(all.events.length, 1206);
      assert.equal(new Set(all.events.map((e) => `${e.contact}/${e.id}`)).size, 1206, "no event twice");
      assert.equal(all.unnamed, 1);
      assert.ok(all.events.some((e) => e.contact === long && e.kind === "unsubscribe"), "the hashed contact is named");
      const recent = await exportAll(mf, SITE, `?since=${base + 1200 * 1000}`);
      assert.deepEqual(recent.events.filter((e) => e.id.startsWith("bulk-")).map((e) => e.id).sort(),
        ["bulk-1200", "bulk-1201", "bulk-1202", "bulk-1203", "bulk-1204"]);
    }],

    ["the export refuses a missing or wrong bearer token (401), is off without EXPORT_TOKEN (503), and names a bad parameter (400)", async ({ restart, mf: shared }) => {
      const get = async (mf, path, headers = {}) => {
        const response = await mf.dispatchFetch(`${SITE}${path}`, { headers });
        return { status: response.status, headers: response.headers, body: await response.json() };
      };
      const off = await get(shared, "/api/events", { authorization: `Bearer ${TOKEN}` });
      assert.deepEqual([off.status, off.body.code], [503, "E_NOT_CONFIGURED"]);
      assert.match(off.body.message, /EXPORT_TOKEN/);
      const mf = await withExport(restart);
      for (const authorization of [undefined, "", `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`,
        `bearer ${TOKEN}`, `Bearer ${"x".repeat(600)}`, "Bearer \u00ff"]) {
        const refused = await get(mf, "/api/events", authorization === undefined ? {} : { authorization });
        assert.equal(refused.status, 401, String(authorization));
        assert.equal(refused.body.code, "E_UNAUTHORIZED");
        assert.match(refused.headers.get("www-authenticate"), /^Bearer/);
      }
      const auth = { authorization: `Bearer ${TOKEN}` };
      for (const [query, path] of [["?since=yesterday", "since"], ["?since=-5", "since"], ["?since=1e12", "since"],
        ["?cursor=", "cursor"], [`?cursor=${"c".repeat(2000)}`, "cursor"], ["?contact=cus_1", "contact"]]) {
        const bad = await get(mf, `/api/events${query}`, auth);
        assert.deepEqual([bad.status, bad.body.code, bad.body.path], [400, "E_INPUT_INVALID", path], query);
      }
      const short = await restart(undefined, { EXPORT_TOKEN: "short" });
      assert.equal((await get(short, "/api/events", { authorization: "Bearer short" })).status, 503);
      const health = await get(short, "/api/health");
      assert.equal(health.body.status, "degraded");
      assert.match(health.body.problems.join("\n"), /EXPORT_TOKEN is shorter than 32/);
      assert.equal(health.body.export, "off");
      assert.equal((await get(mf, "/api/health")).body.export, "on");
    }],

    ["SMS is off and not offered without sms_marketing consent; turning it on is a 400 naming channels.sms that writes nothing (TCPA, D27)", async ({ restart, keys }) => {
      const mf = await restart();
      const kv = await mf.getKVNamespace("PREFERENCES");
      const before = await load(mf, keys, "cus_no_sms");
      assert.deepEqual([before.channels.sms, before.offered?.sms, before.offered?.email], [false, false, true]);
      const refused = await save(mf, keys, "cus_no_sms", { channels: { email: true, sms: true } });
      assert.equal(refused.status, 400);
      assert.equal((await refused.json()).path, "channels.sms");
      assert.equal((await kv.list({ prefix: "log:cus_no_sms:" })).keys.length, 0, "nothing written");
      // Unsubscribing from everything is everything this contact can receive here: email (no SMS without consent).
      assert.equal((await save(mf, keys, "cus_no_sms", { channels: { email: false, sms: false }, unsubscribeAll: true })).status, 200);
      const after = await load(mf, keys, "cus_no_sms");
      assert.deepEqual([after.channels.email, after.channels.sms, after.unsubscribedAll], [false, false, true]);
    }],

    ["with sms_marketing consent in the log SMS shows on, can be turned off and on again; a withdrawn consent turns it off; the consent record and PRIVACY_URL reach the page (D27)", async ({ restart, keys }) => {
      const mf = await restart();
      const kv = await mf.getKVNamespace("PREFERENCES");
      const consent = (id, at, granted) => ({ id, at, kind: "consent", props: { purpose: "sms_marketing", granted } });
      const granted = consent("sms-consent", Date.now() - DAY, true);
      await kv.put(eventKey("cus_sms", granted), "", { metadata: granted });
      const start = await load(mf, keys, "cus_sms");
      assert.deepEqual([start.channels.sms, start.offered.sms], [true, true]);
      // The consent record the page shows under "Your data" (D27): the latest word per purpose.
      assert.deepEqual(start.consents, [{ purpose: "sms_marketing", granted: true, at: granted.at }]);
      assert.equal((await save(mf, keys, "cus_sms", { channels: { email: true, sms: false } })).status, 200);
      assert.equal((await load(mf, keys, "cus_sms")).channels.sms, false);
      assert.equal((await save(mf, keys, "cus_sms", { channels: { email: true, sms: true } })).status, 200);
      assert.equal((await load(mf, keys, "cus_sms")).channels.sms, true);
      const withdrawn = consent("sms-withdrawn", Date.now() + 1000, false);
      await kv.put(eventKey("cus_sms", withdrawn), "", { metadata: withdrawn });
      const end = await load(mf, keys, "cus_sms");
      assert.deepEqual([end.channels.sms, end.offered.sms], [false, false]);
      assert.deepEqual(end.consents, [{ purpose: "sms_marketing", granted: false, at: withdrawn.at }]);
      // PRIVACY_URL becomes the element's privacy attribute (its link under "Your data"), escaped for the attribute.
      const html = async (worker) => (await worker.dispatchFetch(`${SITE}/preferences?t=${sign(keys, "preferences", "cus_sms")}`,
        { headers: { accept: "text/html" } })).text();
      assert.ok((await html(mf)).includes('<rekindle-preferences endpoint="/preferences">'), "no PRIVACY_URL, no attribute");
      const linked = await restart(undefined, { PRIVACY_URL: 'https://acme.test/privacy?a=1&b="><script>' });
      assert.ok((await html(linked)).includes(
        '<rekindle-preferences endpoint="/preferences" privacy="https://acme.test/privacy?a=1&amp;b=&quot;&gt;&lt;script&gt;">'));
    }],
  ];
}
