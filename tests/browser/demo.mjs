// Tests of the www/ demo page, driven through its accessible controls (labels, button names, link names). The page
// loads /examples/playbooks/saas.rkp, which the static server compiles from saas.json on each request
// (scripts/compiled-playbooks.mjs): tests that change the playbook answer that URL with their own compiled bytes.
import assert from "node:assert/strict";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Engine, compilePlaybook } from "rekindle";
import { compiledResponse } from "../../scripts/compiled-playbooks.mjs";

const SAMPLES_URL = new URL("../../examples/data/sample-contacts.json", import.meta.url);
const SAAS_URL = new URL("../../examples/playbooks/saas.json", import.meta.url);
/** What the demo page fetches its playbook from (matched as a glob by page.route). */
const PLAYBOOK_ROUTE = "**/examples/playbooks/saas.rkp";

/** page.route for the demo's playbook, answered with `playbook` compiled in Node (a site's build step). */
const compiledRoute = (playbook) => (page) => page.route(PLAYBOOK_ROUTE,
  (request) => request.fulfill({ status: 200, contentType: "application/octet-stream", body: Buffer.from(compilePlaybook(playbook)) }));
const READINESS_RANK = { cold: 0, warm: 1, hot: 2 };

/** Opens the demo and waits until the engine has rendered its first decision. */
export async function openDemo(open, options) {
  const opened = await open("/", options);
  await opened.page.waitForFunction(() => document.documentElement.dataset.rekindle !== "loading");
  const state = await opened.page.evaluate(() => document.documentElement.dataset.rekindle);
  if (state !== "ready" && !options?.allowNotReady) {
    const status = await opened.page.textContent("#status");
    throw new Error(`demo is "${state}", not ready: ${status}`);
  }
  return opened;
}

/** What the panel shows, read from its data-value attributes and reason rows. */
export function readPanel(page) {
  return page.evaluate(() => {
    const value = (id) => document.getElementById(id).dataset.value;
    return {
      fit: Number(value("score-fit")),
      intent: Number(value("score-intent")),
      total: Number(value("score-total")),
      readiness: value("readiness"),
      stage: value("stage"),
      meets: { mql: value("meets-mql") === "true", sql: value("meets-sql") === "true" },
      reactivationCandidate: value("reactivation") === "true",
      lifecycle: value("lifecycle"),
      retargeting: document.querySelector("#lifecycle-details dd[data-retargeting]")?.dataset.retargeting,
      segments: [...document.querySelectorAll("#segments li[data-member='true']")].map((item) => item.dataset.segment),
      segmentRows: Object.fromEntries([...document.querySelectorAll("#segments li[data-segment]")]
        .map((item) => [item.dataset.segment, { member: item.dataset.member, text: item.textContent }])),
      send: Object.fromEntries([...document.querySelectorAll("#send dd")]
        .map((dd) => [dd.dataset.channel, { verdict: dd.dataset.verdict, text: dd.textContent }])),
      cta: { id: value("cta"), text: document.getElementById("cta").textContent, why: document.getElementById("cta-why").textContent },
      nextStep: { id: value("next-step"), text: document.getElementById("next-step").textContent },
      handoff: document.getElementById("handoff-section").dataset.value,
      handoffText: document.getElementById("handoff").textContent,
      revision: Number(document.getElementById("panel").dataset.revision),
      reasons: [...document.querySelectorAll("#reasons tr")].map((row) => ({
        kind: row.dataset.kind, rule: row.dataset.rule, id: row.dataset.id, text: row.textContent,
      })),
    };
  });
}

/** Runs `action` and waits for the panel to re-render after it. */
async function act(page, action) {
  const before = Number(await page.getAttribute("#panel", "data-revision"));
  await action();
  await page.waitForFunction((revision) => Number(document.getElementById("panel").dataset.revision) > revision, before);
}

async function pick(page, label) {
  await act(page, () => page.getByLabel("Show").selectOption({ label }));
}

const sampleLabel = (sample) => `${sample.name}: ${sample.title}`;

/** saas.json with the nurture, CTA and handoff sections of docs/playbook.md, on saas.json's own signals. */
async function saasWithNurture() {
  const saas = JSON.parse(await readFile(SAAS_URL, "utf8"));
  return {
    ...saas,
    sequences: {
      welcome: {
        start: { signal: "ebook_download", within: "1d" },
        steps: [{ id: "deliver", channel: "email", content: "welcome/deliver" }],
      },
    },
    ctas: {
      candidates: [
        { id: "book_demo", when: { readiness: "hot" }, unless: { stage: ["opportunity", "customer"] }, variant: "cta/demo" },
        { id: "comparison", when: { readiness: "warm" }, variant: "cta/comparison" },
        { id: "checklist", variant: "cta/checklist" },
      ],
      default: "checklist",
    },
    handoff: { timezone: "America/New_York" },
  };
}

async function samples() {
  return JSON.parse(await readFile(SAMPLES_URL, "utf8"));
}

function assertNoPageErrors(pageErrors) {
  assert.deepEqual(pageErrors.map(String), [], "uncaught exceptions in the page");
}

export function demoTests() {
  return [
    ["every sample contact shows the stage, readiness, reactivation flag, lifecycle and segments its story promises", async ({ open }) => {
      const { contacts } = await samples();
      assert.ok(contacts.length >= 8, "at least 8 sample contacts");
      const { page, pageErrors } = await openDemo(open);
      const mismatches = [];
      for (const sample of contacts) {
        await pick(page, sampleLabel(sample));
        const panel = await readPanel(page);
        assert.equal(await page.textContent("#story"), sample.story);
        for (const [key, expected] of Object.entries(sample.expect)) {
          if (JSON.stringify(panel[key]) !== JSON.stringify(expected)) {
            mismatches.push(`${sample.id}: ${key} is ${JSON.stringify(panel[key])}, story says ${JSON.stringify(expected)}`);
          }
        }
      }
      assert.deepEqual(mismatches, []);
      assertNoPageErrors(pageErrors);
    }],

    ["the demo loads saas.rkp, compiled from saas.json by the server, never the JSON: every sample's decision in Chromium is Node's from saas.json", async ({ open }) => {
      const data = await samples();
      const requested = [];
      const route = (page) => page.on("request", (request) => requested.push(new URL(request.url()).pathname));
      const { page, pageErrors } = await openDemo(open, { route });
      assert.ok(requested.includes("/examples/playbooks/saas.rkp"), requested.join("\n"));
      assert.ok(!requested.some((path) => path.startsWith("/examples/playbooks/") && path.endsWith(".json")), requested.join("\n"));
      const engine = new Engine(await readFile(SAAS_URL, "utf8")); // the Node build reads the JSON itself
      const differ = [];
      for (const sample of data.contacts) {
        await pick(page, sampleLabel(sample));
        const shown = await page.textContent("#raw-decision");
        const expected = JSON.stringify(engine.decide(engine.fold(null, sample.events), { now: Date.parse(data.now) }), null, 2);
        if (shown !== expected) differ.push(sample.id);
      }
      engine.free();
      assert.deepEqual(differ, [], "samples whose decision differs from Node's on the JSON playbook");
      assertNoPageErrors(pageErrors);
    }],

    ["a site serving playbook.json where the compiled playbook belongs: the demo names the fix (compile it) instead of scores", async ({ open }) => {
      const route = (page) => page.route(PLAYBOOK_ROUTE, async (request) =>
        request.fulfill({ status: 200, contentType: "application/json", body: await readFile(SAAS_URL) }));
      const { page, pageErrors } = await openDemo(open, { route, allowNotReady: true });
      assert.equal(await page.evaluate(() => document.documentElement.dataset.rekindle), "playbook-error");
      assert.match(await page.textContent("#playbook-error-message"), /^E_PLAYBOOK_INVALID: invalid playbook: compiled playbook: this is JSON: compile it first/);
      const problems = await page.$$eval("#playbook-error-problems li", (items) => items.map((item) => item.textContent));
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(problems[0], /^ bad_compiled: compiled playbook: this is JSON: compile it first \(`rekindle compile/);
      const nav = page.getByRole("navigation", { name: "Acme Analytics" });
      await nav.getByRole("link", { name: "Integrations" }).click();
      assert.ok(await page.isVisible("#page-integrations"), "the site still navigates");
      assertNoPageErrors(pageErrors);
    }],

    ["the demo server answers <name>.rkp with <name>.json compiled as it is now; a playbook that does not compile is 422 with its problems", async ({ open }) => {
      const { baseUrl } = await open("/tests/browser/blank.html");
      const dir = fileURLToPath(new URL("../../target/compiled-route/", import.meta.url));
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const get = async (name) => {
        const response = await fetch(new URL(`/target/compiled-route/${name}`, baseUrl));
        return { status: response.status, type: response.headers.get("content-type"), body: Buffer.from(await response.arrayBuffer()) };
      };
      const saas = JSON.parse(await readFile(SAAS_URL, "utf8"));
      await writeFile(join(dir, "p.json"), JSON.stringify(saas));
      const first = await get("p.rkp");
      assert.deepEqual([first.status, first.type], [200, "application/octet-stream"]);
      assert.deepEqual(first.body, Buffer.from(compilePlaybook(saas)), "compilePlaybook's bytes");
      // Edited: the next request has the edit (nothing cached, nothing stale).
      const edited = structuredClone(saas);
      edited.scores.intent.rules[0].points += 1;
      await writeFile(join(dir, "p.json"), JSON.stringify(edited));
      const second = await get("p.rkp");
      assert.deepEqual(second.body, Buffer.from(compilePlaybook(edited)));
      assert.notDeepEqual(second.body, first.body);
      await writeFile(join(dir, "p.json"), JSON.stringify({ ...saas, segmentz: {} }));
      const refused = await get("p.rkp");
      assert.deepEqual([refused.status, refused.type], [422, "application/json; charset=utf-8"]);
      const body = JSON.parse(refused.body.toString("utf8"));
      assert.equal(body.code, "E_PLAYBOOK_INVALID");
      assert.deepEqual(body.problems.map((p) => `${p.path} ${p.code}`), ["segmentz unknown_field"]);
      assert.equal((await get("missing.rkp")).status, 404, "a .rkp without a JSON beside it is just a missing file");
      await writeFile(join(dir, "kept.rkp"), first.body);
      assert.deepEqual((await get("kept.rkp")).body, first.body, "a .rkp file without a JSON is served as it is");
    }],

    ["a sample contact shows its segments with their next flip, send verdicts, CTA and handoff", async ({ open }) => {
      const { contacts } = await samples();
      const dana = contacts.find((contact) => contact.id === "dana-vp-pricing");
      const route = compiledRoute(await saasWithNurture());
      const { page, pageErrors } = await openDemo(open, { route });
      await pick(page, sampleLabel(dana));
      const panel = await readPanel(page);
      assert.deepEqual(panel.segments, ["decision_makers", "mid_market", "pricing_intent"]);
      assert.equal(panel.segmentRows.paid_social.member, "unknown", "no UTM fields on Dana's profile");
      assert.match(panel.segmentRows.pricing_intent.text, /member · leaves 2025-12-04 10:05 UTC/, "the first pricing visit leaves the 7-day window");
      assert.equal(panel.lifecycle, "active");
      assert.equal(panel.send.email.verdict, "allow");
      assert.equal(panel.send.sms.verdict, "deny");
      assert.match(panel.send.sms.text, /no sms_marketing consent/);
      assert.equal(panel.cta.id, "comparison", "a warm SQL is offered the comparison");
      assert.match(panel.cta.why, /skipped book_demo: condition false/);
      assert.equal(panel.nextStep.id, "", "no ebook download: not enrolled");
      assert.match(panel.nextStep.text, /not enrolled/);
      assert.equal(panel.handoff, "sql");
      assert.match(panel.handoffText, /Call by2025-12-01 14:15 UTC/, "SQL on Sunday: due Monday 09:15 in New York");
      assert.doesNotMatch(panel.handoffText, /overdue/, "now is Sunday evening in New York");
      assertNoPageErrors(pageErrors);
    }],

    ["two pricing visits and a demo request make a fitting lead an SQL that cools after 30 days", async ({ open }) => {
      const { contacts } = await samples();
      const omar = contacts.find((contact) => contact.id === "omar-new-cto");
      const { page, pageErrors } = await openDemo(open);
      await pick(page, sampleLabel(omar));
      const start = await readPanel(page);
      assert.equal(start.stage, "lead");
      assert.equal(start.readiness, "cold");

      const nav = page.getByRole("navigation", { name: "Acme Analytics" });
      await act(page, () => nav.getByRole("link", { name: "Pricing" }).click());
      await act(page, () => nav.getByRole("link", { name: "Pricing" }).click());
      await act(page, () => nav.getByRole("link", { name: "Book a demo" }).click());
      await act(page, () => page.getByRole("button", { name: "Request my demo" }).click());
      const qualified = await readPanel(page);
      assert.equal(qualified.stage, "sql");
      assert.ok(qualified.intent > start.intent, `intent grew (${start.intent} → ${qualified.intent})`);
      const pricing = qualified.reasons.find((reason) => reason.kind === "intentRule" && reason.id === "pricing");
      assert.ok(pricing, `a pricing intentRule reason is listed: ${JSON.stringify(qualified.reasons)}`);
      assert.match(pricing.rule, /^scores\.intent\.rules\[\d+\]$/);
      assert.match(pricing.text, /2× pricing_visit/);

      await act(page, () => page.getByRole("button", { name: "+1 day" }).click());
      const nextDay = await readPanel(page);
      assert.ok(nextDay.intent < qualified.intent, `intent decays over a day (${qualified.intent} → ${nextDay.intent})`);

      await act(page, () => page.getByRole("button", { name: "+30 days" }).click());
      const later = await readPanel(page);
      assert.ok(READINESS_RANK[later.readiness] < READINESS_RANK[qualified.readiness],
        `readiness drops after 30 days (${qualified.readiness} → ${later.readiness})`);
      assert.equal(later.stage, "sql", "stage is forward-only");
      assert.equal(later.meets.sql, false, "the 7-day SQL windows have closed");
      assertNoPageErrors(pageErrors);
    }],

    ["the visitor's state survives a reload through localStorage", async ({ open }) => {
      const { page, pageErrors } = await openDemo(open);
      const nav = page.getByRole("navigation", { name: "Acme Analytics" });
      await act(page, () => nav.getByRole("link", { name: "Pricing" }).click());
      const before = await readPanel(page);
      assert.ok(before.intent > 0, "a pricing visit adds intent");
      await page.reload();
      await page.waitForFunction(() => document.documentElement.dataset.rekindle === "ready");
      const after = await readPanel(page);
      assert.ok(after.reasons.some((reason) => reason.kind === "intentRule" && reason.id === "pricing"),
        "the reloaded visitor still has the pricing visit");
      assert.ok(after.intent > 0 && after.intent <= before.intent);
      await act(page, () => page.getByRole("button", { name: "Forget this browser’s visitor" }).click());
      assert.equal((await readPanel(page)).intent, 0, "forgetting clears the visitor");
      assertNoPageErrors(pageErrors);
    }],

    ["the demo keeps scoring when localStorage is blocked", async ({ open }) => {
      const { page, pageErrors } = await openDemo(open, { initScript: blockStorage });
      const nav = page.getByRole("navigation", { name: "Acme Analytics" });
      await act(page, () => nav.getByRole("link", { name: "Pricing" }).click());
      const panel = await readPanel(page);
      assert.ok(panel.intent > 0);
      assert.ok(await page.evaluate(() => !document.getElementById("page-pricing").hidden));
      assertNoPageErrors(pageErrors);
    }],

    ["the demo can be driven from the keyboard alone", async ({ open }) => {
      const { page, pageErrors } = await openDemo(open);
      const nav = page.getByRole("navigation", { name: "Acme Analytics" });
      await nav.getByRole("link", { name: "Pricing" }).focus();
      await act(page, () => page.keyboard.press("Enter"));
      assert.ok(await page.isVisible("#page-pricing"), "Enter on a nav link opens the page");
      const visited = await readPanel(page);
      assert.ok(visited.intent > 0, "the keyboard visit is scored");
      await page.getByRole("button", { name: "+7 days" }).focus();
      await act(page, () => page.keyboard.press("Space"));
      assert.ok((await readPanel(page)).intent < visited.intent, "Space on a time-travel button advances the clock");
      await page.getByLabel("Show").focus();
      await act(page, () => page.keyboard.press("ArrowDown"));
      assert.notEqual(await page.getByLabel("Show").inputValue(), "visitor", "arrow keys pick a sample contact");
      assertNoPageErrors(pageErrors);
    }],

    ["every control on the demo page has a label and every section a heading", async ({ open }) => {
      const { page } = await openDemo(open);
      const unlabelled = await page.$$eval("input, select, textarea",
        (controls) => controls.filter((control) => control.labels.length === 0).map((control) => control.outerHTML));
      assert.deepEqual(unlabelled, []);
      const unnamedButtons = await page.$$eval("button", (buttons) => buttons.filter((b) => b.textContent.trim() === "").length);
      assert.equal(unnamedButtons, 0);
      const headless = await page.$$eval("section", (sections) =>
        sections.filter((section) => !section.querySelector("h1, h2, h3")).map((section) => section.id));
      assert.deepEqual(headless, []);
      assert.equal(await page.locator("html").getAttribute("lang"), "en");
    }],

    ["an invalid playbook shows every problem with its path instead of scores", async ({ open }) => {
      const badPlaybook = { version: 1, signals: { pricing: { kind: "page_vieww" } }, segmentz: {} };
      // What the demo server answers for a saas.json that does not compile: 422 with its problems.
      const answer = await compiledResponse(JSON.stringify(badPlaybook));
      assert.equal(answer.status, 422);
      const route = (page) => page.route(PLAYBOOK_ROUTE,
        (request) => request.fulfill({ status: answer.status, headers: answer.headers, body: answer.body }));
      const { page, pageErrors } = await openDemo(open, { route, allowNotReady: true });
      assert.equal(await page.evaluate(() => document.documentElement.dataset.rekindle), "playbook-error");
      assert.ok(await page.isVisible("#playbook-error"));
      assert.match(await page.textContent("#playbook-error-message"), /E_PLAYBOOK_INVALID/);
      const problems = await page.$$eval("#playbook-error-problems li", (items) => items.map((item) => item.textContent));
      assert.ok(problems.some((text) => text.startsWith("segmentz unknown_field")), problems.join("\n"));
      assert.ok(problems.some((text) => text.startsWith("signals.pricing.kind unknown_kind")), problems.join("\n"));
      assertNoPageErrors(pageErrors);
    }],

    ["a playbook that cannot be fetched is reported with its HTTP status", async ({ open }) => {
      const route = (page) => page.route(PLAYBOOK_ROUTE,
        (request) => request.fulfill({ status: 404, body: "not here" }));
      const { page, pageErrors } = await openDemo(open, { route, allowNotReady: true });
      assert.match(await page.textContent("#playbook-error-message"), /HTTP 404/);
      const nav = page.getByRole("navigation", { name: "Acme Analytics" });
      await nav.getByRole("link", { name: "Integrations" }).click();
      assert.ok(await page.isVisible("#page-integrations"), "the site still navigates");
      assertNoPageErrors(pageErrors);
    }],

    ["contact strings are shown as text, never parsed as HTML", async ({ open }) => {
      const data = await samples();
      const payload = "<img src=x onerror=\"window.__injected = true\"><b>bold</b>";
      const hostile = { ...data, contacts: [{ ...data.contacts[0], id: "hostile", name: payload, story: payload,
        events: [{ id: "h-1", at: data.now, kind: "profile", props: { role: payload } }] }] };
      const route = (page) => page.route("**/examples/data/sample-contacts.json",
        (request) => request.fulfill({ json: hostile }));
      const { page, pageErrors } = await openDemo(open, { route });
      await pick(page, `${payload}: ${hostile.contacts[0].title}`);
      assert.equal(await page.textContent("#story"), payload);
      assert.equal(await page.locator(".panel img, .panel b").count(), 0);
      assert.equal(await page.evaluate(() => window.__injected), undefined);
      assertNoPageErrors(pageErrors);
    }],
  ];
}

/** Init script: every localStorage access throws, as with third-party-storage blocking or a sandboxed frame. */
export function blockStorage() {
  Object.defineProperty(window, "localStorage", {
    configurable: true,
    get() {
      throw new DOMException("The user denied storage access.", "SecurityError");
    },
  });
}
