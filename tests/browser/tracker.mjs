// The browser tracker and <rekindle-cta> in real Chromium (issue 6: D13, D17, D23, D25, D43): what is recorded,
// what reaches localStorage and when, Global Privacy Control, "forget me", return visits, page_leave measurements,
// form starts and the abandoned-form CTA, the CTA widget's templates, escaping and edge adoption. startTracker()
// itself (the snippet, compiled playbooks, failure without breakage) is tested in start.mjs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const PAGE = "/tests/browser/tracker.html";
// The browser build reads compiled playbooks only: the static server answers each .rkp with the .json beside it
// compiled (scripts/compiled-playbooks.mjs).
export const PLAYBOOK = "/tests/browser/fixtures/tracker-playbook.rkp";
// Form starts (D23): a page of forms, and docs/playbook.md's abandoned-demo-form example as a playbook.
const FORMS = "/tests/browser/fixtures/forms.html";
const FORMS_PLAYBOOK = "/tests/browser/fixtures/abandoned-demo-playbook.rkp";
const HOUR = 3_600_000;

/** In the page: start the tracker with `options` (a clock when `now` is given); events land in window.__events. */
export async function start(page, options = {}, playbook = PLAYBOOK) {
  return page.evaluate(async ({ playbook, options }) => {
    const rekindle = await import("/pkg/browser.js");
    window.__events = [];
    window.__decisions = [];
    const { now, ...rest } = options;
    window.__now = now;
    const tracker = await rekindle.startTracker({
      playbook,
      ...rest,
      ...(now === undefined ? {} : { now: () => window.__now }),
      onSignal: (event) => window.__events.push(event),
      onDecision: (decision) => window.__decisions.push(decision.cta?.id ?? null),
    });
    window.__tracker = tracker;
    return tracker === null ? null : tracker.consentState;
  }, { playbook, options });
}

export const events = (page) => page.evaluate(() => window.__events.map(({ kind, props }) => ({ kind, props })));
const stored = (page) => page.evaluate(() => Object.keys(localStorage));

/** In the page: the stored state's view (signals by id), through the engine. */
export async function storedView(page, playbook = PLAYBOOK) {
  return page.evaluate(async (playbook) => {
    const rekindle = await import("/pkg/browser.js");
    const engine = new rekindle.Engine(await (await fetch(playbook)).arrayBuffer());
    const bytes = rekindle.loadState("rekindle");
    return bytes === null ? null : engine.inspect(bytes);
  }, playbook);
}

const formStarts = async (page) => (await events(page)).filter((e) => e.kind === "custom:form_start").map((e) => e.props);

/** In the page: everything rekindle keeps in localStorage, as text (the state's bytes decoded from base64). */
const storedText = (page) => page.evaluate(() => Object.keys(localStorage).map((key) => {
  const value = localStorage.getItem(key);
  return key.includes(":") ? value : atob(value); // a held page_leave is JSON; the state, base64
}).join("\n"));

/** The visitor goes to the forms page again (a later visit, at `now`) and the tracker starts there. */
async function revisit(page, options) {
  await page.goto(new URL(FORMS, await page.evaluate(() => location.origin)).href);
  await start(page, options, FORMS_PLAYBOOK);
}

/** In the page: the tab hidden (another tab, minimised) or shown again, as the browser reports it. */
async function setHidden(page, hidden) {
  await page.evaluate((hidden) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
}

/** In the page: the clock moves on `ms`. */
const later = (page, ms) => page.evaluate((ms) => { window.__now += ms; }, ms);
const leaves = async (page) => (await events(page)).filter((e) => e.kind === "page_leave").map((e) => e.props);
const heldKeys = async (page) => (await stored(page)).filter((k) => k.startsWith("rekindle:leave:"));

/** One visitor, two tabs of the tracker page (one browser context: one localStorage), both consented. */
async function twoTabs(open) {
  const { page: first, pageErrors } = await open(PAGE);
  const consent = { analytics: true, personalisation: true };
  await start(first, { consent });
  const second = await first.context().newPage();
  second.on("pageerror", (error) => pageErrors.push(error));
  await second.goto(first.url());
  await start(second, { consent });
  return { first, second, pageErrors };
}

export function trackerTests() {
  return [
    ["page view, CTA click, marked event and form submit are recorded; nothing is stored before consent (D43)", async ({ open }) => {
      const { page, pageErrors } = await open(PAGE);
      await page.evaluate(() => localStorage.clear());
      const consent = await start(page, {});
      assert.deepEqual(consent, { analytics: false, personalisation: false, gpc: false });
      await page.click("#cta-button");
      await page.click("#custom-button");
      await page.click("#demo-submit");
      const seen = await events(page);
      // The two widgets' impressions follow the page view: the default CTA, and the one the edge injected —
      // which the edge widget replaces (one more impression) after the first event on the page.
      assert.deepEqual(seen.map((e) => `${e.kind}${e.props.cta ? `:${e.props.cta}` : ""}`),
        ["page_view", "custom:cta_impression:checklist", "custom:cta_impression:book_demo", "cta_click:book_demo",
          "custom:cta_impression:checklist", "custom:pricing_calculator", "form_submit"]);
      assert.equal(seen[0].props.path, PAGE);
      assert.equal(seen[0].props.title, "rekindle tracker probe");
      assert.deepEqual(seen[6].props, { form: "demo" }, "the form's id only");
      assert.ok(!JSON.stringify(seen).includes("secret@example.com"), "field values never leave the form");
      assert.deepEqual(await stored(page), [], "nothing in localStorage without analytics consent");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["the URL keeps UTM parameters as props and drops the rest of the query (D18, D43)", async ({ open }) => {
      const { page } = await open(`${PAGE}?utm_source=linkedin&utm_medium=paid&email=a%40b.test#x`);
      await start(page, {});
      const [view] = await events(page);
      assert.equal(view.kind, "page_view");
      assert.equal(view.props.utm_source, "linkedin");
      assert.equal(view.props.utm_medium, "paid");
      assert.ok(!JSON.stringify(view).includes("a@b.test") && !JSON.stringify(view).includes("email="),
        `no other query parameter is recorded: ${JSON.stringify(view.props)}`);
      assert.match(view.props.url, /\/tests\/browser\/tracker\.html$/);
    }],

    ["analytics consent persists the state; a late grant folds this page into the stored history", async ({ open }) => {
      const { page } = await open(PAGE);
      const now = Date.parse("2026-11-20T09:00:00Z");
      await start(page, { consent: { analytics: true }, now });
      await page.click("#demo-submit");
      assert.deepEqual(await stored(page), ["rekindle"]);
      const first = await storedView(page);
      // Second visit, same browser: the banner answers only after the page started.
      await page.goto(new URL(PAGE, (await page.evaluate(() => location.origin)) + "/").href);
      await start(page, { now: now + 5 * HOUR });
      await page.click("#demo-submit");
      const before = await storedView(page);
      assert.equal(before.updatedAt, first.updatedAt, "without consent the stored state is untouched");
      await page.evaluate(() => window.__tracker.consent({ analytics: true }));
      const after = await storedView(page);
      const demo = (view) => view.signals.find((s) => s.id === "demo_request")?.count;
      assert.equal(demo(first), 1);
      assert.equal(demo(after), 2, "both visits' demo requests are in the stored state");
      assert.equal(after.updatedAt, now + 5 * HOUR);
    }],

    ["opting out and 'forget me' delete everything rekindle stored", async ({ open }) => {
      const { page } = await open(PAGE);
      await start(page, { consent: { analytics: true } });
      assert.deepEqual(await stored(page), ["rekindle"]);
      await page.evaluate(() => window.__tracker.consent({ analytics: false }));
      assert.deepEqual(await stored(page), [], "opt-out deletes");
      await page.evaluate(() => window.__tracker.consent({ analytics: true }));
      await page.click("#cta-button");
      assert.deepEqual(await stored(page), ["rekindle"]);
      const fresh = await page.evaluate(async (playbook) => {
        window.__tracker.forget();
        const rekindle = await import("/pkg/browser.js");
        const engine = new rekindle.Engine(await (await fetch(playbook)).arrayBuffer());
        return engine.inspect(window.__tracker.toBytes()).updatedAt;
      }, PLAYBOOK);
      assert.deepEqual(await stored(page), [], "forget() deletes");
      assert.equal(fresh, null, "forget() starts from a fresh state");
    }],

    ["after 'forget me' nothing is written, not on the next event nor on pagehide, until consent is granted again", async ({ open }) => {
      // Every localStorage write, whoever makes it: the wasm writes through the same Storage object.
      const { page, pageErrors } = await open(PAGE, { initScript: () => {
        window.__writes = [];
        const setItem = Storage.prototype.setItem;
        Storage.prototype.setItem = function spy(key, value) {
          window.__writes.push(`${key}=${String(value).length}`);
          return setItem.call(this, key, value);
        };
      } });
      await start(page, { consent: { analytics: true, personalisation: true } });
      await page.click("#demo-submit");
      assert.deepEqual(await stored(page), ["rekindle"]);
      const consent = await page.evaluate(() => {
        window.__writes = [];
        return window.__tracker.forget();
      });
      await page.evaluate(() => window.__tracker.track("webinar_registered"));
      await page.click("#cta-button");
      await page.evaluate(() => window.dispatchEvent(new Event("pagehide")));
      assert.deepEqual(await page.evaluate(() => window.__writes), [], "no write after forget()");
      assert.deepEqual(consent, { analytics: false, personalisation: false, gpc: false }, "forget() withdraws both purposes");
      assert.deepEqual(await stored(page), []);
      assert.equal((await events(page)).at(-1).kind, "page_leave", "pagehide was recorded, in memory only");
      assert.equal(await page.evaluate(() => window.__tracker.decision().cta.id), "checklist",
        "not personalised after forget(): the demo request made before it no longer shows book_demo");
      // A new grant resumes storing, with nothing from before forget().
      await page.evaluate(() => window.__tracker.consent({ analytics: true }));
      assert.deepEqual(await stored(page), ["rekindle"]);
      const view = await storedView(page);
      assert.equal(view.signals.find((s) => s.id === "demo_request"), undefined, "the forgotten demo request stays forgotten");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["two tabs of one visitor: neither overwrites the other's events, and the CTA follows in both (D18)", async ({ open }) => {
      // One browser, one localStorage, two tabs each holding the state in memory: the visitor opens the
      // pricing page in a second tab, requests a demo in the first, then closes the second.
      const { first, second, pageErrors } = await twoTabs(open);
      await second.evaluate(() => {
        history.pushState({}, "", "/pricing/teams");
        window.__tracker.page();
      });
      await first.click("#demo-submit");
      await second.evaluate(() => window.dispatchEvent(new Event("pagehide")));
      const view = await storedView(first);
      const count = (id) => view.signals.find((s) => s.id === id)?.count;
      assert.equal(count("demo_request"), 1, "the first tab's demo request survives the second tab's later writes");
      assert.equal(count("pricing_visit"), 1, "the second tab's pricing view survives the first tab's later writes");
      // The second tab adopted the demo request when it arrived: its CTA says what the first tab's says.
      assert.equal(await first.getAttribute("#widget", "data-rekindle-cta-id"), "book_demo");
      assert.equal(await second.evaluate(() => window.__tracker.decision().cta.id), "book_demo");
      assert.equal(await second.getAttribute("#widget", "data-rekindle-cta-id"), "book_demo");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["'forget me' in one tab is kept by the visitor's other tabs: they store nothing again", async ({ open }) => {
      const { first, second, pageErrors } = await twoTabs(open);
      await second.click("#demo-submit");
      await first.evaluate(() => window.__tracker.forget());
      // The other tab hears of it (a storage event), and also checks before it writes.
      await second.waitForFunction(() => window.__tracker.consentState.analytics === false);
      await second.click("#cta-button");
      await second.evaluate(() => window.dispatchEvent(new Event("pagehide")));
      assert.deepEqual(await stored(first), [], "nothing written back after forget()");
      assert.deepEqual(await second.evaluate(() => window.__tracker.consentState),
        { analytics: false, personalisation: false, gpc: false });
      assert.equal(await second.evaluate(() => window.__tracker.decision().cta.id), "checklist",
        "the other tab no longer personalises from the forgotten demo request");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["Global Privacy Control refuses both purposes, and consent() cannot override it", async ({ open }) => {
      const { page } = await open(PAGE, {
        initScript: () => Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true }),
      });
      const consent = await start(page, { consent: { analytics: true, personalisation: true } });
      assert.deepEqual(consent, { analytics: false, personalisation: false, gpc: true });
      await page.click("#demo-submit");
      const after = await page.evaluate(() => window.__tracker.consent({ analytics: true }));
      assert.deepEqual(after, { analytics: false, personalisation: false, gpc: true });
      assert.deepEqual(await stored(page), []);
      // Not personalised: the demo request does not turn the CTA into "book a demo".
      assert.equal(await page.evaluate(() => window.__tracker.decision().cta.id), "checklist");
    }],

    ["a return visit within 48 hours carries since_last_visit, and the playbook's bounds score it", async ({ open }) => {
      const { page } = await open(PAGE);
      const now = Date.parse("2026-11-20T09:00:00Z");
      await start(page, { consent: { analytics: true, personalisation: true }, now });
      const origin = await page.evaluate(() => location.origin);
      for (const [later, expected] of [[3 * HOUR, 3 * 3600], [3 * HOUR + 10 * 60_000, undefined], [60 * HOUR, 57 * 3600 - 600]]) {
        await page.goto(`${origin}${PAGE}`);
        await start(page, { consent: { analytics: true, personalisation: true }, now: now + later });
        const [view] = await events(page);
        assert.equal(view.props.since_last_visit, expected, `visit at +${later / HOUR} h`);
      }
      const view = await storedView(page);
      assert.equal(view.signals.find((s) => s.id === "return_visit")?.count, 1, "only the 3-hour return is within 48 h");
    }],

    ["page_leave reports visible seconds and the deepest scroll on pagehide; SPA page() records a new view", async ({ open }) => {
      const { page } = await open(PAGE);
      const now = Date.parse("2026-11-20T09:00:00Z");
      await start(page, { now });
      await page.evaluate(() => {
        window.scrollTo(0, document.documentElement.scrollHeight);
        window.dispatchEvent(new Event("scroll"));
        window.__now += 42_000;
        history.pushState({}, "", "/pricing/enterprise");
        window.__tracker.page();
      });
      const seen = await events(page);
      const leave = seen.find((e) => e.kind === "page_leave");
      assert.deepEqual(leave.props, { path: "/tests/browser/tracker.html", seconds: 42, scroll: 100 });
      assert.equal(seen.at(-1).kind, "page_view");
      assert.equal(seen.at(-1).props.path, "/pricing/enterprise");
      await page.evaluate(() => window.dispatchEvent(new Event("pagehide")));
      const leaves = (await events(page)).filter((e) => e.kind === "page_leave");
      assert.equal(leaves.length, 2, "the SPA page gets its own page_leave, once");
    }],

    ["time on a page is summed over every visible stretch: the visitor who comes back to the tab and reads on gets one page_leave with all of it", async ({ open }) => {
      const { page, pageErrors } = await open(PAGE);
      const now = Date.parse("2026-11-20T09:00:00Z");
      await start(page, { consent: { analytics: true, personalisation: true }, now });
      await page.evaluate(() => {
        window.scrollTo(0, document.documentElement.scrollHeight);
        window.dispatchEvent(new Event("scroll"));
      });
      await later(page, 60_000);
      await setHidden(page, true); // another tab for ten minutes
      assert.deepEqual(await leaves(page), [], "not ended at the first hide: the visitor may come back");
      assert.equal((await heldKeys(page)).length, 1, "held in storage meanwhile (a hidden tab may be discarded)");
      await later(page, 600_000);
      await setHidden(page, false);
      await later(page, 300_000); // reads on for five minutes
      await setHidden(page, true);
      await later(page, 5_000);
      await setHidden(page, false);
      await later(page, 20_000);
      await page.evaluate(() => window.dispatchEvent(new Event("pagehide")));
      assert.deepEqual(await leaves(page), [{ path: "/tests/browser/tracker.html", seconds: 380, scroll: 100 }],
        "one page_leave, with the 60 + 300 + 20 visible seconds and none of the hidden ones");
      assert.deepEqual(await heldKeys(page), [], "released when the page view ended");
      assert.equal((await storedView(page)).signals.find((s) => s.id === "deep_read")?.count, 1,
        "one page view read through is one deep read, however often the tab was hidden");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["a hidden tab discarded without pagehide: its page_leave counts in decisions at once and is folded by a visit a session gap later", async ({ open }) => {
      const { page, pageErrors } = await open(PAGE);
      const consent = { analytics: true, personalisation: true };
      const now = Date.parse("2026-11-20T09:00:00Z");
      await start(page, { consent, now });
      await page.evaluate(() => {
        window.scrollTo(0, document.documentElement.scrollHeight);
        window.dispatchEvent(new Event("scroll"));
      });
      await later(page, 45_000);
      await setHidden(page, true);
      // The phone discards the hidden tab: no pagehide, no more code (stop() silences this page's listeners).
      await page.evaluate(() => window.__tracker.stop());
      const origin = await page.evaluate(() => location.origin);
      await page.goto(`${origin}${PAGE}`);
      await start(page, { consent, now: now + 600_000 });
      assert.deepEqual(await leaves(page), [], "ten minutes on, the hidden page may still be open in another tab");
      assert.equal(await page.evaluate(() => window.__tracker.decision().scores.intent), 3,
        "its deep read counts in the decision already");
      await page.goto(`${origin}${PAGE}`);
      await start(page, { consent, now: now + 40 * 60_000 });
      assert.deepEqual(await leaves(page), [{ path: "/tests/browser/tracker.html", seconds: 45, scroll: 100 }],
        "a session gap later it is folded, as measured");
      assert.deepEqual(await heldKeys(page), []);
      assert.equal((await storedView(page)).signals.find((s) => s.id === "deep_read")?.count, 1);
      assert.equal(await page.evaluate(() => window.__tracker.decision().scores.intent), 3, "counted once");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["two tabs: a page hidden in one counts in the other's decision at once; hidden past a session gap, its return is a new page view", async ({ open }) => {
      const { first, second, pageErrors } = await twoTabs(open);
      const intent = (page) => page.evaluate(() => window.__tracker.decision().scores.intent);
      assert.equal(await intent(second), 0);
      await first.evaluate(() => {
        window.scrollTo(0, document.documentElement.scrollHeight);
        window.dispatchEvent(new Event("scroll"));
      });
      await setHidden(first, true);
      await second.waitForFunction(() => window.__tracker.decision().scores.intent === 3);
      assert.deepEqual(await leaves(second), []);

      // With a clock: the first tab stays hidden 40 minutes; a page opened then folds its page_leave.
      const { page: a } = await open(PAGE);
      const consent = { analytics: true, personalisation: true };
      const now = Date.parse("2026-11-20T09:00:00Z");
      await start(a, { consent, now });
      await a.evaluate(() => {
        window.scrollTo(0, document.documentElement.scrollHeight);
        window.dispatchEvent(new Event("scroll"));
      });
      await later(a, 30_000);
      await setHidden(a, true);
      const b = await a.context().newPage();
      b.on("pageerror", (error) => pageErrors.push(error));
      await b.goto(a.url());
      await start(b, { consent, now: now + 40 * 60_000 });
      assert.deepEqual(await leaves(b), [{ path: "/tests/browser/tracker.html", seconds: 30, scroll: 100 }]);
      await a.evaluate((at) => { window.__now = at; }, now + 41 * 60_000);
      await setHidden(a, false);
      await later(a, 10_000);
      await a.evaluate(() => window.dispatchEvent(new Event("pagehide")));
      const seen = (await events(a)).map((e) => `${e.kind}${e.kind === "page_leave" ? `:${e.props.seconds}s` : ""}`);
      assert.deepEqual(seen.filter((k) => !k.startsWith("custom:")), ["page_view", "page_view", "page_leave:10s"],
        "the return is a new page view, and the 30 seconds already folded are not sent again");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["a page restored from the back/forward cache is viewed again and measured again", async ({ open }) => {
      // The visitor leaves for another site and comes back with the Back button: the browser restores this page
      // as it was (pagehide, then pageshow with persisted = true), without loading it or starting the tracker.
      const { page } = await open(PAGE);
      const now = Date.parse("2026-11-20T09:00:00Z");
      await start(page, { now });
      await page.evaluate(() => {
        window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: true }));
        window.__now += 600_000;
        window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: true }));
        window.__now += 20_000;
        window.dispatchEvent(new PageTransitionEvent("pagehide", { persisted: false }));
      });
      const seen = (await events(page)).map((e) => `${e.kind}${e.kind === "page_leave" ? `:${e.props.seconds}s` : ""}`);
      assert.deepEqual(seen.filter((k) => !k.startsWith("custom:")), ["page_view", "page_leave:0s", "page_view", "page_leave:20s"]);
      // A first pageshow (persisted = false) comes with every ordinary load: no second view for it.
      await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent("pageshow", { persisted: false })));
      assert.equal((await events(page)).filter((e) => e.kind === "page_view").length, 2);
    }],

    ["a form start is recorded once per form and page view, on the visitor's first input, with the form's name only (D23, D43)", async ({ open }) => {
      const { page, pageErrors } = await open(FORMS);
      await start(page, { consent: { analytics: true, personalisation: true }, now: Date.parse("2026-11-20T09:00:00Z") }, FORMS_PLAYBOOK);
      await page.locator("#demo input[name=email]").pressSequentially("ada@example.com");
      await page.locator("#demo textarea").pressSequentially("pricing for 40 seats");
      await page.locator("#demo select").focus();
      await page.keyboard.press("ArrowDown"); // a change of the select, by the visitor
      await page.locator("#demo-phone").pressSequentially("+48 600 700 800"); // form="demo", outside the form
      assert.deepEqual(await formStarts(page), [{ form: "demo" }], "one start for the demo form, however many inputs");
      await page.locator("#search").pressSequentially("webinar recording");
      assert.deepEqual(await formStarts(page), [{ form: "demo" }], "a form without data-rekindle-form, id or name is not tracked");
      // A script filling a field (a value set and an input event dispatched) is not the visitor starting the form.
      await page.evaluate(() => {
        const field = document.querySelector("#newsletter-email");
        field.value = "script@example.com";
        field.dispatchEvent(new Event("input", { bubbles: true }));
        field.dispatchEvent(new Event("change", { bubbles: true }));
      });
      assert.deepEqual(await formStarts(page), [{ form: "demo" }], "synthetic input is not a start");
      await page.locator("#newsletter-email").fill("grace@example.com");
      await page.locator("#quote-order").pressSequentially("A-1234");
      await page.click("#quote-submit");
      // The same forms form_submit names, by the same name: data-rekindle-form first; an id shadowed by a field named "id".
      assert.deepEqual(await formStarts(page), [{ form: "demo" }, { form: "newsletter" }, { form: "quote" }]);
      assert.deepEqual((await events(page)).filter((e) => e.kind === "form_submit").map((e) => e.props), [{ form: "quote" }]);
      // A new page view (a single-page app's route change): the demo form started there is a new start.
      await page.evaluate(() => {
        history.pushState({}, "", "/demo/step-2");
        window.__tracker.page();
      });
      await page.locator("#demo input[name=email]").pressSequentially("x");
      assert.deepEqual(await formStarts(page), [{ form: "demo" }, { form: "newsletter" }, { form: "quote" }, { form: "demo" }]);
      // Neither a field's name nor anything typed is in an event or in what is stored.
      const secrets = ["ada@example.com", "pricing for 40", "+48 600", "grace@example.com", "A-1234", "webinar recording",
        "team_size", "notes", "phone", "newsletter_email", "\"email\""];
      const recorded = JSON.stringify(await events(page));
      const kept = await storedText(page);
      for (const secret of secrets) {
        assert.ok(!recorded.includes(secret), `no "${secret}" in the recorded events`);
        assert.ok(!kept.includes(secret), `no "${secret}" in localStorage`);
      }
      const view = await storedView(page, FORMS_PLAYBOOK);
      assert.equal(view.signals.find((s) => s.id === "demo_started")?.count, 2, "both demo starts are in the stored state");
      assert.deepEqual(view.profile, [], "no form field became a profile field");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["a form start is stored like every event: not without analytics consent (a late grant folds it in), not before the visitor touched the page", async ({ open }) => {
      // The browser reports whether the visitor has interacted with the page (navigator.userActivation): stubbed,
      // so that a browser filling saved details on load (trusted input, no interaction yet) can be played.
      const { page, pageErrors } = await open(FORMS, { initScript: () => {
        window.__touched = false;
        Object.defineProperty(Navigator.prototype, "userActivation", { configurable: true,
          get: () => ({ hasBeenActive: window.__touched, isActive: window.__touched }) });
      } });
      await page.evaluate(() => localStorage.clear());
      await start(page, {}, FORMS_PLAYBOOK);
      await page.evaluate(() => document.querySelector("#newsletter-email").focus());
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Input.insertText", { text: "saved@example.com" }); // trusted, as an autofill's input is
      assert.equal(await page.inputValue("#newsletter-email"), "saved@example.com");
      assert.deepEqual(await formStarts(page), [], "input before any interaction with the page is not a start");
      await page.evaluate(() => { window.__touched = true; });
      await page.locator("#demo input[name=email]").pressSequentially("ada@example.com");
      assert.deepEqual(await formStarts(page), [{ form: "demo" }], "recorded in memory, as every event before consent");
      assert.deepEqual(await stored(page), [], "nothing in localStorage without analytics consent");
      await page.evaluate(() => window.__tracker.consent({ analytics: true }));
      const view = await storedView(page, FORMS_PLAYBOOK);
      assert.equal(view.signals.find((s) => s.id === "demo_started")?.count, 1, "the late grant folds this page's form start in");
      // Refusing analytics again deletes it with the rest; a later start on a new page view stays in memory.
      await page.evaluate(() => {
        window.__tracker.consent({ analytics: false });
        window.__tracker.page();
      });
      await page.locator("#demo textarea").pressSequentially("more");
      assert.equal((await formStarts(page)).length, 2);
      assert.deepEqual(await stored(page), []);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["abandoned demo form: a visitor who starts it and leaves sees 'finish booking your demo' on coming back, one who sends it does not (D23)", async ({ open }) => {
      // The playbook is docs/playbook.md's example, as written there.
      const doc = readFileSync(fileURLToPath(new URL("../../docs/playbook.md", import.meta.url)), "utf8");
      const block = [...doc.matchAll(/^```json\n([\s\S]*?)^```/gm)].map((m) => m[1]).find((b) => b.includes('"abandoned_demo"'));
      assert.ok(block, "docs/playbook.md has the abandoned-form example");
      const source = FORMS_PLAYBOOK.replace(/\.rkp$/, ".json"); // what the server compiles
      const fixture = readFileSync(fileURLToPath(new URL(`../..${source}`, import.meta.url)), "utf8");
      assert.deepEqual(JSON.parse(fixture), JSON.parse(block), `${source} is the docs example`);

      const consent = { analytics: true, personalisation: true };
      const now = Date.parse("2026-11-20T09:00:00Z");
      const cta = async (page) => {
        const id = await page.evaluate(() => window.__tracker.decision().cta.id);
        assert.equal(await page.getAttribute("#widget", "data-rekindle-cta-id"), id, "the widget shows the decision's CTA");
        return id;
      };
      // Starts the demo form, types an email, leaves (closes the tab).
      const { page: leaver, pageErrors } = await open(FORMS);
      await start(leaver, { consent, now }, FORMS_PLAYBOOK);
      assert.equal(await cta(leaver), "book_demo");
      await leaver.locator("#demo input[name=email]").pressSequentially("ada@example.com");
      await leaver.evaluate(() => window.dispatchEvent(new Event("pagehide")));
      // Comes back two hours later: the follow-up CTA.
      await revisit(leaver, { consent, now: now + 2 * HOUR });
      assert.equal(await cta(leaver), "finish_demo");
      assert.ok(await leaver.isVisible("#widget .finish-demo"));
      const segment = await leaver.evaluate(() => window.__tracker.decision().segments.find((s) => s.id === "abandoned_demo"));
      assert.equal(segment.member, true);
      assert.equal(segment.unknown, false, "known for a visitor first seen two hours ago");
      assert.equal(segment.nextFlipAt, now + 24 * HOUR, "until a day after the start");
      // A day after the start it is over: the usual CTA again.
      await revisit(leaver, { consent, now: now + 25 * HOUR });
      assert.equal(await cta(leaver), "book_demo");

      // Starts the demo form and sends it: no follow-up, now or when coming back.
      const { page: sender } = await open(FORMS);
      sender.on("pageerror", (error) => pageErrors.push(error));
      await start(sender, { consent, now }, FORMS_PLAYBOOK);
      await sender.locator("#demo input[name=email]").pressSequentially("grace@example.com");
      await sender.click("#demo-submit");
      assert.equal(await cta(sender), "book_demo");
      await sender.evaluate(() => window.dispatchEvent(new Event("pagehide")));
      await revisit(sender, { consent, now: now + 2 * HOUR });
      assert.equal(await cta(sender), "book_demo");
      const view = await storedView(sender, FORMS_PLAYBOOK);
      assert.deepEqual(["demo_started", "demo_request"].map((id) => view.signals.find((s) => s.id === id)?.count), [1, 1]);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["<rekindle-cta> renders the site's template for the chosen CTA and writes playbook data as text only (D17, D25)", async ({ open }) => {
      const { page, pageErrors } = await open(PAGE);
      await start(page, { consent: { personalisation: true } });
      assert.equal(await page.getAttribute("#widget", "data-rekindle-cta-id"), "checklist");
      assert.ok(await page.isVisible("#widget .checklist"));
      assert.equal(await page.isVisible("#widget .fallback"), false, "fallback hidden once a CTA renders");
      // Warm (a pricing page view): the comparison CTA, whose variant is an XSS attempt in the playbook.
      await page.evaluate(() => {
        history.pushState({}, "", "/pricing");
        window.__tracker.page();
      });
      assert.equal(await page.getAttribute("#widget", "data-rekindle-cta-id"), "comparison");
      assert.equal(await page.textContent("#widget .comparison span"), "<img src=x onerror=\"window.__xss = 1\">");
      assert.equal(await page.locator("#widget img").count(), 0, "no element made from playbook data");
      // Hot: the demo form.
      await page.click("#demo-submit");
      assert.equal(await page.getAttribute("#widget", "data-rekindle-cta-id"), "book_demo");
      await page.click("#widget a.demo");
      assert.equal(await page.evaluate(() => window.__xss), undefined);
      const kinds = (await events(page)).map((e) => `${e.kind}:${e.props.cta ?? ""}`);
      assert.ok(kinds.includes("custom:cta_impression:comparison") && kinds.includes("cta_click:book_demo"),
        `impressions and clicks are signals: ${kinds.join(", ")}`);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["a CTA the widget has no template for shows the fallback and tells the developer, once per CTA", async ({ open }) => {
      const { page, pageErrors, consoleMessages } = await open(PAGE);
      await page.evaluate(() => document.body.insertAdjacentHTML("beforeend",
        '<rekindle-cta id="bare"><template data-cta="book_demo"><a href="/demo">Demo</a></template>' +
        '<a data-rekindle-fallback href="/contact">Talk to us</a></rekindle-cta>'));
      await start(page, { consent: { personalisation: true } });
      await page.evaluate(() => window.__tracker.track("webinar_registered"));
      assert.ok(await page.isVisible("#bare [data-rekindle-fallback]"));
      const warnings = consoleMessages.filter((m) => m.type === "warning").map((m) => m.text);
      assert.deepEqual(warnings, ['rekindle: <rekindle-cta id="bare"> has no <template data-cta="checklist"> or ' +
        'data-variant="cta/checklist" for the chosen CTA: its fallback markup shows instead']);
      await page.click("#demo-submit");
      assert.equal(await page.getAttribute("#bare", "data-rekindle-cta-id"), "book_demo", "a CTA it has a template for renders");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["keyboard focus on a CTA that changes moves to the new CTA; focus elsewhere on the page is never taken", async ({ open }) => {
      const { page, pageErrors } = await open(PAGE);
      await start(page, { consent: { personalisation: true } });
      const focused = () => page.evaluate(() => {
        const el = document.activeElement;
        return el === document.body ? "body" : `${el.closest("rekindle-cta")?.id ?? ""} ${el.tagName.toLowerCase()}.${el.className}` +
          `${el.hasAttribute("data-rekindle-rendered") ? `[rendered ${el.getAttribute("data-rekindle-cta")}]` : ""}`;
      });
      await page.focus("#widget a.checklist");
      // checklist → comparison: that template has nothing focusable, so its container takes focus.
      await page.evaluate(() => {
        history.pushState({}, "", "/pricing");
        window.__tracker.page();
      });
      assert.equal(await page.getAttribute("#widget", "data-rekindle-cta-id"), "comparison");
      assert.equal(await focused(), "widget div.[rendered comparison]", "focus stays in the widget");
      // comparison → book_demo: the new CTA's link takes focus, and Enter follows it.
      await page.evaluate(() => window.__tracker.track("form_submit", { form: "demo" }));
      assert.equal(await page.getAttribute("#widget", "data-rekindle-cta-id"), "book_demo");
      assert.equal(await focused(), "widget a.demo");
      await page.keyboard.press("Enter");
      assert.ok((await events(page)).some((e) => e.kind === "cta_click" && e.props.cta === "book_demo"),
        "the focused new CTA is the one a keyboard activates");
      // Focus outside the widget stays where the visitor put it.
      await page.focus("#demo input[name=email]");
      await page.evaluate(() => window.__tracker.forget());
      assert.equal(await page.getAttribute("#widget", "data-rekindle-cta-id"), "checklist");
      assert.equal(await focused(), " input.");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["<rekindle-cta> adopts what the edge injected, changing it only after a later event changes the decision", async ({ open }) => {
      const { page } = await open(PAGE);
      await start(page, { consent: { personalisation: true } });
      assert.ok(await page.isVisible("#edge-widget .from-edge"), "the edge's CTA stays (no flicker)");
      assert.equal(await page.locator("#edge-widget [data-rekindle-rendered]").count(), 0);
      await page.click("#cta-button");
      assert.equal(await page.getAttribute("#edge-widget", "data-rekindle-cta-id"), "checklist");
      assert.ok(await page.isVisible("#edge-widget .checklist"));
    }],

    ["foreign or corrupted localStorage content is discarded as a fresh state", async ({ open }) => {
      const { page, pageErrors } = await open(PAGE);
      await page.evaluate(() => localStorage.setItem("rekindle", "{\"not\":\"ours\"}"));
      await start(page, { consent: { analytics: true, personalisation: true } });
      const view = await storedView(page);
      assert.equal(view.signals.length, 0, "a fresh state, then this page view");
      assert.equal(typeof view.updatedAt, "number");
      assert.deepEqual(pageErrors.map(String), []);
    }],
  ];
}
