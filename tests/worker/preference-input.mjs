// The preference routes' input, in workerd: a topic's one-click unsubscribe removes that topic only (core's
// `unsubscribe` has no topic, so the Worker writes the remaining `topics`), a token without a topic stays a full
// email opt-out, and the preference form's `topics` is a set of the site's ids; every body-reading route caps its
// body at 1 MiB (413); unknown ids and oversize lists are 400s naming the field, never a 503 from a KV write.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Engine } from "rekindle";
import { appendEvents, readLog } from "../../examples/cloudflare-worker/src/log.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const DAY = 86_400_000;
const MIB = 1024 * 1024;

let compiled = null;
const engineOnce = () => (compiled ??= new Engine(JSON.parse(readFileSync(`${repoRoot}/examples/playbooks/saas.json`, "utf8"))));

/** One contact's signed routes, and what the core decides about emailing it from the log the Worker wrote. */
function contactOf(mf, keys, SITE, contact) {
  const now = Date.now();
  const sign = (purpose, topic = null) => keys.signToken({ purpose, contact, topic, issuedAt: now, expiresAt: now + DAY });
  const prefs = sign("preferences");
  return {
    load: async () => (await mf.dispatchFetch(`${SITE}/preferences?t=${prefs}`, { headers: { accept: "application/json" } })).json(),
    save: (body) => mf.dispatchFetch(`${SITE}/preferences?t=${prefs}`, {
      method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body),
    }),
    oneClick: (topic, body = "List-Unsubscribe=One-Click") => mf.dispatchFetch(`${SITE}/unsubscribe?t=${sign("unsubscribe", topic)}`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body,
    }),
    /** The core's verdict on a marketing email now, from every event the Worker logged for the contact. */
    async email() {
      const events = (await readLog(await mf.getKVNamespace("PREFERENCES"), contact)).map(({ event }) => event);
      return engineOnce().evaluate(events, { now: Date.now() }).send.email.verdict;
    },
  };
}

const subscribed = (choices) => Object.fromEntries(choices.topics.map((t) => [t.id, t.subscribed]));
const form = (choice) => ({ topics: ["product", "webinars", "tips"], frequency: null, channels: { email: true, sms: false },
  pauseUntil: null, unsubscribeAll: false, ...choice }); // no SMS consent recorded: SMS cannot be turned on here

export function preferenceInputTests({ SITE }) {
  return [
    ["a contact id of 240 UTF-8 bytes (over KV's 512-byte key limit once percent-encoded) saves and opts out like any other", async ({ mf, keys }) => {
      const long = "ż".repeat(120); // 240 bytes, 720 characters percent-encoded
      const c = contactOf(mf, keys, SITE, long);
      const saved = await c.save(form({ frequency: "monthly" }));
      assert.equal(saved.status, 200, await saved.text());
      assert.equal((await c.load()).frequency, "monthly");
      assert.equal((await c.oneClick(null)).status, 200);
      assert.equal(await c.email(), "deny", "the opt-out was stored and is read back");
      const names = (await (await mf.getKVNamespace("PREFERENCES")).list()).keys.map((k) => k.name);
      assert.ok(names.every((name) => new TextEncoder().encode(name).length <= 512), names.join("\n"));
    }],
    ["a pauseUntil past the latest Date is a 400 naming it, and nothing is written: the contact's preferences still load and save", async ({ mf, keys }) => {
      const c = contactOf(mf, keys, SITE, "cus_far_pause");
      const logged = async () => (await readLog(await mf.getKVNamespace("PREFERENCES"), "cus_far_pause")).length;
      for (const pauseUntil of [Number.MAX_SAFE_INTEGER, 8_640_000_000_000_001]) {
        const refused = await c.save(form({ pauseUntil }));
        assert.equal(refused.status, 400, `${pauseUntil}: ${await refused.clone().text()}`);
        const { error, path } = await refused.json();
        assert.equal(path, "pauseUntil");
        assert.match(error, /at most 8640000000000000/);
      }
      assert.equal(await logged(), 0, "a refused save writes nothing");
      const loaded = await mf.dispatchFetch(`${SITE}/preferences?t=${keys.signToken({ purpose: "preferences", contact: "cus_far_pause",
        issuedAt: Date.now(), expiresAt: Date.now() + DAY })}`, { headers: { accept: "application/json" } });
      assert.equal(loaded.status, 200, "the contact's preferences still load");
      await loaded.arrayBuffer();
      // The latest Date itself is a pause the core reads: saved, and read back.
      const latest = await c.save(form({ pauseUntil: 8_640_000_000_000_000 }));
      assert.equal(latest.status, 200, await latest.clone().text());
      assert.equal((await c.load()).pauseUntil, 8_640_000_000_000_000);
      assert.equal((await c.save(form({ pauseUntil: null }))).status, 200, "and later saves work");
      assert.notEqual(await c.email(), "deny", "the log folds in the core (as the export's plan reads it), email on");
    }],

    ["an event in the log the core refuses (written before the Worker checked events) is left out, never a 500, never deleted", async ({ mf, keys }) => {
      const contact = "cus_poisoned";
      const c = contactOf(mf, keys, SITE, contact);
      assert.equal((await c.save(form({ frequency: "monthly" }))).status, 200);
      // What an earlier release could write: a pause_until past the latest Date the core reads.
      const kv = await mf.getKVNamespace("PREFERENCES");
      const at = Date.now() - 1000;
      await appendEvents(kv, contact, [{ id: "old-bad", at, kind: "preferences", props: { pause_until: Number.MAX_SAFE_INTEGER } }]);
      const loaded = await mf.dispatchFetch(`${SITE}/preferences?t=${keys.signToken({ purpose: "preferences", contact,
        issuedAt: Date.now(), expiresAt: Date.now() + DAY })}`, { headers: { accept: "application/json" } });
      assert.equal(loaded.status, 200, await loaded.clone().text());
      assert.equal((await loaded.json()).frequency, "monthly", "the events around it still count");
      const saved = await c.save(form({ frequency: "weekly" }));
      assert.equal(saved.status, 200, await saved.clone().text());
      assert.equal((await saved.json()).choices.frequency, "weekly");
      const topic = await c.oneClick("webinars");
      assert.equal(topic.status, 200, await topic.clone().text());
      assert.deepEqual(subscribed(await c.load()), { product: true, webinars: false, tips: true });
      const kept = (await readLog(kv, contact)).map(({ event }) => event.id);
      assert.ok(kept.includes("old-bad"), `the refused event stays for the export: ${kept.join(", ")}`);
    }],

    ["a topic token's one-click unsubscribe removes that topic only: email stays allowed, the other topics and the frequency stay", async ({ mf, keys }) => {
      const c = contactOf(mf, keys, SITE, "cus_topic");
      assert.equal((await c.save(form({ frequency: "monthly" }))).status, 200);
      const done = await c.oneClick("webinars");
      assert.equal(done.status, 200, await done.clone().text());
      const after = await c.load();
      assert.deepEqual(subscribed(after), { product: true, webinars: false, tips: true });
      assert.equal(after.channels.email, true, "one list, not every email");
      assert.equal(after.frequency, "monthly", "the topic event names only topics");
      assert.notEqual(await c.email(), "deny", "the core still allows marketing email");
      // Again for the next topic: the remaining list shrinks, it never grows back to "all".
      assert.equal((await c.oneClick("product")).status, 200);
      assert.deepEqual(subscribed(await c.load()), { product: false, webinars: false, tips: true });
      // The last topic left: no topic is no email (an empty list would mean every topic to the core).
      assert.equal((await c.oneClick("tips")).status, 200);
      const none = await c.load();
      assert.equal(none.channels.email, false);
      assert.deepEqual(subscribed(none), { product: false, webinars: false, tips: false });
      assert.equal(await c.email(), "deny");
    }],

    ["a token without a topic is a full email opt-out; a topic core cannot name in a list is one too", async ({ mf, keys }) => {
      const c = contactOf(mf, keys, SITE, "cus_all");
      // At the real clock's time of day quiet hours may defer the email; before the opt-out it is never denied.
      assert.notEqual(await c.email(), "deny", "marketing email may be sent before the opt-out");
      assert.equal((await c.oneClick(null)).status, 200);
      const after = await c.load();
      assert.equal(after.channels.email, false);
      assert.deepEqual(subscribed(after), { product: false, webinars: false, tips: false });
      assert.equal(await c.email(), "deny");
      const odd = contactOf(mf, keys, SITE, "cus_odd");
      assert.equal((await odd.oneClick("tips,product")).status, 200);
      assert.equal((await odd.load()).channels.email, false, "a comma cannot be one topic: every list");
    }],

    ["a topic the site does not list is taken out of 'every topic': the site's topics stay on, email stays allowed", async ({ mf, keys }) => {
      const c = contactOf(mf, keys, SITE, "cus_newsletter");
      assert.equal((await c.oneClick("newsletter")).status, 200);
      const after = await c.load();
      assert.equal(after.channels.email, true);
      assert.deepEqual(subscribed(after), { product: true, webinars: true, tips: true });
      const events = (await readLog(await mf.getKVNamespace("PREFERENCES"), "cus_newsletter")).map(({ event }) => event);
      const view = engineOnce().inspect(engineOnce().fold(null, events));
      assert.deepEqual(view.topics, ["product", "tips", "webinars"], "an explicit list without newsletter, not 'all'");
    }],

    ["topics is a set of the site's ids: repeats are one topic, unknown ids and oversize lists are 400s naming the field", async ({ mf, keys }) => {
      const c = contactOf(mf, keys, SITE, "cus_input");
      const repeated = await c.save(form({ topics: ["product", "product", "product"] }));
      assert.equal(repeated.status, 200);
      assert.deepEqual(subscribed((await repeated.json()).choices), { product: true, webinars: false, tips: false });
      assert.deepEqual(subscribed(await c.load()), { product: true, webinars: false, tips: false });
      const unknown = await c.save(form({ topics: ["product", "crypto-deals"] }));
      assert.equal(unknown.status, 400);
      const problem = await unknown.json();
      assert.equal(problem.path, "topics[1]");
      assert.match(problem.error, /^unknown topic "crypto-deals"; expected one of product, webinars, tips$/);
      const notString = await c.save(form({ topics: [{ id: "product" }] }));
      assert.deepEqual([notString.status, (await notString.json()).path], [400, "topics[0]"]);
      const many = await c.save(form({ topics: Array(5000).fill("tips") }));
      assert.equal(many.status, 400, "a 5,000-entry list (40 KB) is refused as input, not stored");
      const manyProblem = await many.json();
      assert.equal(manyProblem.path, "topics");
      assert.match(manyProblem.error, /at most 100 entries .*got 5000/);
      assert.deepEqual(subscribed(await c.load()), { product: true, webinars: false, tips: false }, "nothing saved by a refusal");
    }],

    ["every route that reads a body refuses one over 1 MiB with 413, unread: /preferences and /unsubscribe as /api/decide", async ({ mf, keys }) => {
      const c = contactOf(mf, keys, SITE, "cus_big");
      const huge = JSON.stringify(form({ topics: Array(2_000_000).fill("product") })); // ~20 MB
      assert.ok(huge.length > 16 * MIB);
      const saved = await c.save(huge);
      assert.equal(saved.status, 413);
      assert.match((await saved.json()).error, /over 1048576 bytes/);
      const justOver = await c.save(`${JSON.stringify(form({}))}${" ".repeat(MIB)}`);
      assert.equal(justOver.status, 413, "1 MiB of trailing spaces: still over the cap");
      const click = await c.oneClick(null, `List-Unsubscribe=One-Click&pad=${"x".repeat(MIB)}`);
      assert.equal(click.status, 413);
      assert.equal((await c.load()).channels.email, true, "the oversize one-click recorded nothing");
      assert.equal((await c.oneClick(null)).status, 200, "an ordinary one-click still works");
    }],
  ];
}
