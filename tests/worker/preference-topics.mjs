// The preference center's topics come from the playbook the Worker runs (policy.topics, topics_opt_in), in workerd
// with a playbook in KV PLAYBOOKS (compiled, as `npm run kv:playbook` puts it; its topics read from the engine): ids,
// labels and order are the playbook's; under topics_opt_in a contact who never
// chose has nothing ticked, a save of no topic keeps email for the steps of no topic, and a topic's one-click never
// opts the contact into the other topics (checked on core's decision over the log the Worker wrote); the opt-out
// model behaves as before. In Node: site.js TOPICS is a fallback, reported when it disagrees with the playbook.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Engine, compilePlaybook } from "rekindle";
import { startWorker } from "../../scripts/worker.mjs";
import { readLog } from "../../examples/cloudflare-worker/src/log.js";
import { topicSettings } from "../../examples/cloudflare-worker/src/topics.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const DAY = 86_400_000;
const read = (path) => JSON.parse(readFileSync(`${repoRoot}/${path}`, "utf8"));

/**
 * The opt-in vector's playbook (newsletter and product topics, a welcome sequence with a step of each and steps of
 * none), with topics_opt_in as given, and the events that enrol a contact in it two days before `now`.
 */
function welcome(optIn, now) {
  const vector = read("tests/vectors/topics/opt-in-topics-skip-topic-steps-until-the-contact-chooses-one.json");
  const playbook = structuredClone(vector.input.playbook);
  playbook.policy.topics_opt_in = optIn;
  const enrolled = [
    { id: "e1", at: now - 2 * DAY - 60_000, kind: "form_submit", props: { form: "ebook" } },
    { id: "e2", at: now - 2 * DAY, kind: "email_sent", props: { sequence: "welcome", step: "deliver" } },
  ];
  return { playbook, enrolled };
}

/**
 * The example Worker in a new isolate with `playbook` in KV PLAYBOOKS as `npm run kv:playbook` puts it: compiled (the
 * bytes carry the topics and their labels; the Worker reads them with engine.topics()).
 */
async function withPlaybook(bundle, exampleOptions, origin, playbook) {
  const mf = await startWorker(bundle, { ...exampleOptions(origin), kvNamespaces: ["PREFERENCES", "PLAYBOOKS"] });
  await (await mf.getKVNamespace("PLAYBOOKS")).put("playbook", compilePlaybook(playbook));
  return mf;
}

/** One contact's signed routes, and core's decision over the enrolment plus the log the Worker wrote. */
function contactOf(mf, keys, SITE, contact, playbook, enrolled) {
  const now = Date.now();
  const sign = (purpose, topic = null) => keys.signToken({ purpose, contact, topic, issuedAt: now, expiresAt: now + DAY });
  const prefs = sign("preferences");
  const engine = new Engine(playbook);
  const log = async () => (await readLog(await mf.getKVNamespace("PREFERENCES"), contact)).map(({ event }) => event);
  return {
    log,
    load: async () => (await mf.dispatchFetch(`${SITE}/preferences?t=${prefs}`, { headers: { accept: "application/json" } })).json(),
    save: (body) => mf.dispatchFetch(`${SITE}/preferences?t=${prefs}`, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ frequency: null, channels: { email: true, sms: false }, pauseUntil: null, unsubscribeAll: false, ...body }),
    }),
    oneClick: (topic) => mf.dispatchFetch(`${SITE}/unsubscribe?t=${sign("unsubscribe", topic)}`, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click",
    }),
    /**
     * The steps skipped by the topic gate (step → status), the next step and the email verdict, decided now;
     * `sent` adds the newsletter step as sent a day ago, so the decision goes on to the product step after it.
     */
    async decision(sent = false) {
      const digest = { id: "e3", at: now - DAY, kind: "email_sent", props: { sequence: "welcome", step: "digest" } };
      const d = engine.evaluate([...enrolled, ...(sent ? [digest] : []), ...await log()], { now });
      const skipped = Object.fromEntries(d.reasons.filter((r) => r.kind === "stepSkipped")
        .map((r) => [r.step, r.gates.find((g) => g.gate === "topic")?.status ?? "other"]));
      return { skipped, next: d.nextStep?.step ?? null, email: d.send.email.verdict };
    },
  };
}

const ticked = (choices) => Object.fromEntries(choices.topics.map((t) => [t.id, t.subscribed]));

export function preferenceTopicsTests({ SITE, exampleOptions }) {
  return [
    ["the preference center offers the playbook's policy.topics: its ids, labels and order (a KV playbook), and saves an id only it declares", async ({ bundle, origin, keys }) => {
      const playbook = read("examples/playbooks/saas.json");
      playbook.policy.topics = { tips: "Guides and how-tos", digest: "The monthly digest", product: "What's new", webinars: "Live events" };
      const mf = await withPlaybook(bundle, exampleOptions, origin, playbook);
      try {
        const c = contactOf(mf, keys, SITE, "cus_labels", playbook, []);
        const loaded = await c.load();
        assert.deepEqual(loaded.topics.map(({ id, label }) => ({ id, label })),
          Object.entries(playbook.policy.topics).map(([id, label]) => ({ id, label })));
        const saved = await c.save({ topics: ["digest", "tips"] });
        assert.equal(saved.status, 200, await saved.clone().text());
        assert.deepEqual(ticked((await saved.json()).choices), { tips: true, digest: true, product: false, webinars: false });
        const written = (await c.log()).filter((e) => e.kind === "preferences").map((e) => e.props.topics);
        assert.deepEqual(written, ["tips,digest"], "the ids in the playbook's order");
        // Spelling out "every topic but one" uses the playbook's ids too.
        const other = contactOf(mf, keys, SITE, "cus_labels_2", playbook, []);
        assert.equal((await other.oneClick("product")).status, 200);
        assert.deepEqual((await other.log()).map((e) => e.props.topics), ["tips,digest,webinars"]);
      } finally {
        await mf.dispose();
      }
    }],

    ["under topics_opt_in a contact who never chose topics has none ticked, and a save of none keeps email for the steps of no topic", async ({ bundle, origin, keys }) => {
      const { playbook, enrolled } = welcome(true, Date.now());
      const mf = await withPlaybook(bundle, exampleOptions, origin, playbook);
      try {
        const c = contactOf(mf, keys, SITE, "cus_optin_get", playbook, enrolled);
        const fresh = await c.load();
        assert.deepEqual(ticked(fresh), { newsletter: false, product: false }, "they receive no topic yet");
        assert.equal(fresh.channels.email, true);
        const none = await c.save({ topics: [] });
        assert.equal(none.status, 200, await none.clone().text());
        assert.deepEqual(ticked((await none.json()).choices), { newsletter: false, product: false });
        assert.deepEqual(await c.decision(), { skipped: { digest: "not_opted_in", tour: "not_opted_in" }, next: "survey", email: "allow" },
          "nothing opted in, email not stopped");
        const one = await c.save({ topics: ["product"] });
        assert.equal(one.status, 200, await one.clone().text());
        assert.deepEqual(ticked((await one.json()).choices), { newsletter: false, product: true });
        assert.deepEqual((await c.decision()).skipped, { digest: "opted_out" }, "the chosen topic's step is sent");
        // Having chosen, none ticked is no email (no event says "no topic"), and never "every topic".
        const off = await c.save({ topics: [] });
        assert.equal(off.status, 200, await off.clone().text());
        assert.deepEqual(ticked((await off.json()).choices), { newsletter: false, product: false });
        assert.equal((await c.decision()).email, "deny");
        assert.equal((await c.log()).some((e) => e.kind === "preferences" && (e.props.topics === "" || e.props.topics === null)), false);
      } finally {
        await mf.dispose();
      }
    }],

    ["under topics_opt_in a topic's one-click never subscribes the contact to the other topics: their steps stay skipped", async ({ bundle, origin, keys }) => {
      const { playbook, enrolled } = welcome(true, Date.now());
      const mf = await withPlaybook(bundle, exampleOptions, origin, playbook);
      try {
        const never = contactOf(mf, keys, SITE, "cus_optin_click", playbook, enrolled);
        const done = await never.oneClick("product");
        assert.equal(done.status, 200, await done.clone().text());
        assert.deepEqual(await never.decision(), { skipped: { digest: "not_opted_in", tour: "not_opted_in" }, next: "survey", email: "allow" });
        assert.deepEqual(ticked(await never.load()), { newsletter: false, product: false });
        // A contact who chose both keeps the other one only.
        const both = contactOf(mf, keys, SITE, "cus_optin_both", playbook, enrolled);
        assert.equal((await both.save({ topics: ["newsletter", "product"] })).status, 200);
        assert.equal((await both.oneClick("product")).status, 200);
        assert.deepEqual(await both.decision(), { skipped: {}, next: "digest", email: "allow" }, "the newsletter step is due");
        assert.deepEqual(await both.decision(true), { skipped: { tour: "opted_out" }, next: "survey", email: "allow" });
        assert.deepEqual(ticked(await both.load()), { newsletter: true, product: false });
      } finally {
        await mf.dispose();
      }
    }],

    ["without topics_opt_in a contact who never chose has every topic ticked and a topic's one-click keeps the others, as before", async ({ bundle, origin, keys }) => {
      const { playbook, enrolled } = welcome(false, Date.now());
      const mf = await withPlaybook(bundle, exampleOptions, origin, playbook);
      try {
        const c = contactOf(mf, keys, SITE, "cus_optout_click", playbook, enrolled);
        assert.deepEqual(ticked(await c.load()), { newsletter: true, product: true });
        assert.equal((await c.oneClick("product")).status, 200);
        assert.deepEqual((await c.log()).map((e) => [e.kind, e.props.topics]), [["preferences", "newsletter"]]);
        assert.deepEqual(ticked(await c.load()), { newsletter: true, product: false });
        assert.deepEqual(await c.decision(), { skipped: {}, next: "digest", email: "allow" }, "the newsletter step is due");
        assert.deepEqual((await c.decision(true)).skipped, { tour: "opted_out" });
        // None ticked is still no email, written as before.
        const none = contactOf(mf, keys, SITE, "cus_optout_none", playbook, enrolled);
        assert.equal((await none.save({ topics: [] })).status, 200);
        assert.deepEqual((await none.log()).map((e) => [e.kind, e.props.topics ?? e.props.channel]), [["preferences", ""], ["unsubscribe", "email"]]);
        assert.equal((await none.decision()).email, "deny");
      } finally {
        await mf.dispose();
      }
    }],

    ["site.js TOPICS serves only a playbook without policy.topics, and is reported when it disagrees with them (Node)", async () => {
      const site = [{ id: "product", label: "Product news" }, { id: "tips", label: "Tips and guides" }];
      // engine.topics() of a playbook declaring them, and of one declaring none (from compiled bytes, as at the edge).
      const playbook = { version: 1, signals: {}, policy: { topics: { tips: "Tips and guides", product: "Product news" }, topics_opt_in: true } };
      const declared = new Engine(compilePlaybook(playbook)).topics();
      const undeclared = new Engine(compilePlaybook({ version: 1, signals: {} })).topics();
      assert.deepEqual(topicSettings(undeclared, site), { topics: site, optIn: false, source: "site", problem: null });
      assert.deepEqual(topicSettings(undeclared, []), { topics: [], optIn: false, source: "none", problem: null });
      assert.deepEqual(topicSettings(null, []), { topics: [], optIn: false, source: "none", problem: null });
      const both = topicSettings(declared, site);
      assert.deepEqual(both.topics.map((t) => t.id), ["tips", "product"], "the playbook's, in its order");
      assert.equal(both.optIn, true);
      assert.match(both.problem ?? "", /site\.js TOPICS disagrees with the playbook's policy\.topics/, "same topics, another order");
      assert.equal(topicSettings(declared, [...site].reverse()).problem, null, "equal lists agree");
      assert.equal(topicSettings(declared, []).problem, null);
    }],
  ];
}
