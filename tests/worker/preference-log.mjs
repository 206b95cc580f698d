// The preference log (examples/cloudflare-worker/src/log.js): one KV key per event, compacted after each write.
// In workerd: an opt-out survives many later saves and the compaction that follows each; the log stays bounded and
// folds to the same choices as every event ever written (collected by listing KV after each save); KV failures are
// 503s. In Node, against the same engine: compaction never changes the fold, over many generated logs (with the
// sms_marketing consent the site records, which compaction keeps).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Engine } from "rekindle";
import { eventKey, readLog, superseded } from "../../examples/cloudflare-worker/src/log.js";
import { choices } from "../../examples/cloudflare-worker/src/preferences.js";
import { topicSettings } from "../../examples/cloudflare-worker/src/topics.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const DAY = 86_400_000;

/** The example's playbook compiled in Node, built when a test first needs it. */
let compiled = null;
const engineOnce = () => (compiled ??= new Engine(JSON.parse(readFileSync(`${repoRoot}/examples/playbooks/saas.json`, "utf8"))));

/** What the fold decides about sending: opt-outs with their dates, frequency, pause and topics. */
function folded(events, contact) {
  const engine = engineOnce();
  const view = engine.inspect(engine.fold(null, events));
  const settings = topicSettings(JSON.parse(readFileSync(`${repoRoot}/examples/playbooks/saas.json`, "utf8")));
  return { choices: choices(engine, events, contact, settings), dnc: view.dnc, frequency: view.frequency, pauseUntil: view.pauseUntil,
    topics: view.topics };
}

/** Signed links and a saver for one contact, and the union of every log entry KV has listed for it. */
function contactOf(mf, keys, SITE, contact) {
  const now = Date.now();
  const sign = (purpose, topic = null) => keys.signToken({ purpose, contact, topic, issuedAt: now, expiresAt: now + DAY });
  const prefs = sign("preferences");
  const seen = new Map();
  return {
    seen,
    async observe() {
      for (const entry of await readLog(await mf.getKVNamespace("PREFERENCES"), contact)) seen.set(entry.key, entry);
      return readLog(await mf.getKVNamespace("PREFERENCES"), contact);
    },
    async save(choice) {
      const response = await mf.dispatchFetch(`${SITE}/preferences?t=${prefs}`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ topics: ["product", "tips"], frequency: null, pauseUntil: null, unsubscribeAll: false, ...choice }),
      });
      assert.equal(response.status, 200, await response.clone().text());
      return (await response.json()).choices;
    },
    async load() {
      return (await mf.dispatchFetch(`${SITE}/preferences?t=${prefs}`, { headers: { accept: "application/json" } })).json();
    },
    /** A one-click unsubscribe with a token for `topic` (null: no topic, every list). */
    oneClick: (init = {}, topic = null) => mf.dispatchFetch(`${SITE}/unsubscribe?t=${sign("unsubscribe", topic)}`, {
      method: "POST", body: "List-Unsubscribe=One-Click", ...init,
      headers: { "content-type": "application/x-www-form-urlencoded", ...init.headers },
    }),
  };
}

/** A deterministic pseudo-random sequence (a 32-bit LCG): the same logs on every run. */
function random(seed) {
  let x = seed;
  return (n) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
}

/** A random log of the events the Worker writes, in key order, some sharing an instant. */
function randomLog(pick, contact) {
  const events = [];
  let at = 1_700_000_000_000;
  const length = 1 + pick(30);
  for (let i = 0; i < length; i++) {
    at += pick(3) * 60_000;
    const id = `e${String(i).padStart(3, "0")}`;
    const kind = ["preferences", "subscribe", "unsubscribe", "unsubscribe", "consent"][pick(5)];
    if (kind === "consent") {
      events.push({ id, at, kind, props: { purpose: "sms_marketing", granted: pick(3) > 0 } });
    } else if (kind === "preferences") {
      const props = {};
      if (pick(3) > 0) props.frequency = [null, "weekly", "monthly"][pick(3)];
      if (pick(3) > 0) props.pause_until = [null, at + 7 * DAY][pick(2)];
      if (pick(3) > 0) props.topics = [null, "tips", "product,webinars"][pick(3)];
      events.push({ id, at, kind, props });
    } else {
      const channel = ["email", "sms"][pick(2)];
      const topic = kind === "unsubscribe" && pick(3) === 0 ? { topic: "newsletter" } : {};
      events.push({ id, at, kind, props: { channel, ...topic } });
    }
  }
  return events.map((event) => ({ key: eventKey(contact, event), event })).sort((a, b) => (a.key < b.key ? -1 : 1));
}

export function preferenceLogTests({ SITE }) {
  const events = (entries) => entries.map(({ event }) => event);
  return [
    ["a one-click opt-out survives 35 later preference saves and the compaction after each", async ({ mf, keys }) => {
      const c = contactOf(mf, keys, SITE, "cus_optout");
      // SMS can be turned on only with recorded sms_marketing consent (preferences.js); the site recorded it.
      const consent = { id: "sms-consent", at: Date.now() - DAY, kind: "consent", props: { purpose: "sms_marketing", granted: true } };
      await (await mf.getKVNamespace("PREFERENCES")).put(eventKey("cus_optout", consent), "", { metadata: consent });
      assert.equal((await c.oneClick()).status, 200);
      await c.observe();
      for (let i = 0; i < 35; i++) {
        const saved = await c.save({ channels: { email: false, sms: i % 2 === 0 }, frequency: ["weekly", "monthly"][i % 2] });
        assert.equal(saved.channels.email, false, `save ${i + 1}`);
        await c.observe();
      }
      const after = await c.load();
      assert.equal(after.channels.email, false);
      assert.equal(after.topics.some((t) => t.subscribed), false);
      const kept = await c.observe();
      assert.ok(kept.length <= 5, `compacted to ${kept.length} events (the consent kept)`);
      assert.ok(kept.some(({ event }) => event.kind === "unsubscribe" && event.props.channel === "email"), "the opt-out is kept");
      assert.ok(c.seen.size >= 36, `${c.seen.size} events written in all`);
      assert.deepEqual(folded(events(kept), "cus_optout"), folded(events([...c.seen.values()].sort((a, b) =>
        (a.key < b.key ? -1 : 1))), "cus_optout"));
    }],

    ["the log stays bounded over 40 saves toggling email and sms, and folds like every event ever written", async ({ mf, keys }) => {
      const c = contactOf(mf, keys, SITE, "cus/toggler é"); // a contact id that needs encoding in the key
      // SMS can be turned on only with recorded sms_marketing consent (preferences.js); the site recorded it.
      const consent = { id: "sms-consent", at: Date.now() - DAY, kind: "consent", props: { purpose: "sms_marketing", granted: true } };
      await (await mf.getKVNamespace("PREFERENCES")).put(eventKey("cus/toggler é", consent), "", { metadata: consent });
      for (let i = 0; i < 40; i++) {
        await c.save({ channels: { email: i % 3 !== 0, sms: i % 2 === 0 }, topics: [["tips"], ["product", "webinars"]][i % 2],
          frequency: [null, "weekly", "important_only"][i % 3], pauseUntil: i === 39 ? Date.now() + 5 * DAY : null });
        const log = await c.observe();
        assert.ok(log.length <= 8, `after save ${i + 1}: ${log.length} events (the consent kept)`);
      }
      assert.equal((await c.oneClick()).status, 200);
      const kept = await c.observe();
      const full = [...c.seen.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
      assert.ok(full.length > 60, `${full.length} events written`);
      assert.deepEqual(folded(events(kept), "c"), folded(events(full), "c"));
      const now = await c.load();
      assert.equal(now.channels.email, false, "the last word is the one-click opt-out");
      assert.equal(now.frequency, null);
    }],

    ["compaction never changes the fold (400 generated logs of preferences, subscribes and opt-outs, in Node)", async () => {
      const pick = random(7);
      for (let n = 0; n < 400; n++) {
        const log = randomLog(pick, "cus_gen");
        const dropped = new Set(superseded(log));
        const kept = log.filter(({ key }) => !dropped.has(key));
        const latestOptOut = log.findLast(({ event }) => event.kind === "unsubscribe");
        if (latestOptOut) assert.ok(!dropped.has(latestOptOut.key), "the latest opt-out is never deleted");
        assert.deepEqual(folded(events(kept), "c"), folded(events(log), "c"), JSON.stringify(events(log)));
      }
    }],

    ["KV failures are a 503 with Retry-After naming the operation, never a 500; the opt-out is recorded on retry", async ({ faulty, keys }) => {
      const mf = await faulty();
      const c = contactOf(mf, keys, SITE, "cus_kv");
      const refused = await c.oneClick({ headers: { "x-test-kv-fail": "put" } });
      assert.equal(refused.status, 503);
      assert.equal(refused.headers.get("retry-after"), "1");
      const problem = await refused.json();
      assert.equal(problem.code, "E_STORAGE_UNAVAILABLE");
      assert.match(problem.message, /^POST \/unsubscribe: KV PREFERENCES put under "log:cus_kv:" failed: KV put failed: 429/);
      const unread = await mf.dispatchFetch(`${SITE}/preferences?t=${keys.signToken({ purpose: "preferences", contact: "cus_kv",
        issuedAt: Date.now(), expiresAt: Date.now() + DAY })}`, { headers: { accept: "application/json", "x-test-kv-fail": "list" } });
      assert.equal(unread.status, 503);
      assert.match((await unread.json()).message, /KV PREFERENCES list under "log:cus_kv:" failed/);
      assert.equal((await c.load()).channels.email, true, "nothing was recorded by the refused one-click");
      assert.equal((await c.oneClick({ headers: { "x-test-kv-fail": "list" } })).status, 200, "compaction failing alone");
      assert.equal((await c.load()).channels.email, false);
    }],
  ];
}
