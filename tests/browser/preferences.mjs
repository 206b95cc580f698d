// The preference center in Chromium (issue 6: D27, D5): the standalone page over a real HTTP endpoint (the demo
// server's), what-will-change before saving, SMS offered only with consent, a bad link, server data rendered inert, English and Polish, keyboard
// order and input errors, axe-core on the preference page (both languages) and the demo page, and screenshots in
// target/screenshots/.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { axeViolations } from "./axe.mjs";

const PAGE = "/www/preferences.html";
const SHOTS = join(fileURLToPath(new URL("../..", import.meta.url)), "target", "screenshots");

async function openForm(open, query, options) {
  const opened = await open(`${PAGE}?${query}`, options);
  await opened.page.waitForSelector("rekindle-preferences form, rekindle-preferences [role=alert]");
  return opened;
}

/** Answers the preferences endpoint in this page with `answer(request)` → { status, body }. */
function endpoint(answer) {
  return (page) => page.route((url) => url.pathname === "/demo-api/preferences", async (route) => {
    const { status, body } = answer(route.request());
    await route.fulfill({ status, contentType: "application/json", body: JSON.stringify(body) });
  });
}

const CHOICES = {
  contact: "ada@example.com",
  topics: [{ id: "product", label: "Product news", subscribed: true }, { id: "tips", label: "Tips and guides", subscribed: false }],
  frequency: null,
  channels: { email: true, sms: false },
  pauseUntil: null,
};

export function preferencesTests() {
  return [
    ["the preference center loads, lists what will change, saves over HTTP and announces it (D27)", async ({ open }) => {
      const { page, pageErrors } = await openForm(open, "t=demo&lang=en");
      assert.equal(await page.textContent(".rekindle-changes"), "Nothing changes yet.");
      await page.getByLabel("Tips and guides").check();
      await page.getByLabel("Product news").uncheck();
      await page.getByLabel("At most once a month").check();
      await page.getByLabel("Text messages (SMS)").check();
      const changes = await page.locator(".rekindle-changes li").allTextContents();
      assert.deepEqual(changes, ["You will start receiving: Tips and guides.", "You will stop receiving: Product news.",
        "How often: At most once a week → At most once a month.", "Text messages (SMS): on."]);
      await page.getByRole("button", { name: "Save preferences" }).click();
      await page.getByRole("status").filter({ hasText: "Your preferences are saved." }).waitFor();
      // A reload reads back what the server stored.
      await page.reload();
      await page.waitForSelector("rekindle-preferences form");
      assert.equal(await page.getByLabel("Tips and guides").isChecked(), true);
      assert.equal(await page.getByLabel("Product news").isChecked(), false);
      assert.equal(await page.getByLabel("At most once a month").isChecked(), true);
      assert.equal(await page.getByLabel("Text messages (SMS)").isChecked(), true);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["unsubscribing from everything is reviewed before it is saved, and the POST carries it", async ({ open }) => {
      const posts = [];
      const { page } = await openForm(open, "t=abc", {
        route: endpoint((request) => {
          if (request.method() === "POST") posts.push({ url: request.url(), body: request.postDataJSON() });
          return { status: 200, body: request.method() === "POST" ? { saved: true } : CHOICES };
        }),
      });
      await page.getByLabel("Unsubscribe me from all marketing messages").check();
      assert.deepEqual(await page.locator(".rekindle-changes li").allTextContents(), ["You will receive no marketing messages."]);
      assert.equal(posts.length, 0, "checking the box sends nothing (WCAG 3.2.2)");
      await page.getByRole("button", { name: "Save preferences" }).click();
      await page.getByRole("status").filter({ hasText: "saved" }).waitFor();
      assert.equal(posts.length, 1);
      assert.match(posts[0].url, /\?t=abc$/);
      assert.deepEqual(posts[0].body, { topics: ["product"], frequency: null, channels: { email: true, sms: false },
        pauseUntil: null, unsubscribeAll: true });
    }],

    ["SMS without consent (offered.sms false) is off, disabled and says why, with consent it can be turned off; the page says an opt-out made elsewhere may not show (TCPA, D27)", async ({ open }) => {
      const posts = [];
      const { page } = await openForm(open, "t=abc&lang=en", {
        route: endpoint((request) => {
          if (request.method() === "POST") posts.push(request.postDataJSON());
          return { status: 200, body: request.method() === "POST" ? { saved: true }
            : { ...CHOICES, channels: { email: true, sms: false }, offered: { email: true, sms: false } } };
        }),
      });
      const sms = page.getByLabel("Text messages (SMS)");
      assert.equal(await sms.isChecked(), false);
      assert.equal(await sms.isDisabled(), true);
      assert.match(await sms.evaluate((input) => input.getAttribute("aria-describedby")
        .split(" ").map((id) => document.getElementById(id).textContent).join(" ")), /agreed to them with their phone number/);
      assert.equal(await page.getByLabel("Email").isDisabled(), false);
      assert.match(await page.locator("fieldset", { hasText: "Channels" }).getAttribute("aria-describedby").then((id) =>
        page.locator(`[id="${id}"]`).textContent()), /unsubscribed another way.*may not show here/);
      await page.getByLabel("At most once a month").check();
      await page.getByRole("button", { name: "Save preferences" }).click();
      await page.getByRole("status").filter({ hasText: "saved" }).waitFor();
      assert.deepEqual(posts.map((body) => body.channels), [{ email: true, sms: false }]);
      // With consent (offered.sms true) SMS is on, enabled, and turning it off is reviewed.
      const { page: consented } = await openForm(open, "t=abc&lang=en", {
        route: endpoint(() => ({ status: 200, body: { ...CHOICES, channels: { email: true, sms: true }, offered: { email: true, sms: true } } })),
      });
      const on = consented.getByLabel("Text messages (SMS)");
      assert.deepEqual([await on.isChecked(), await on.isDisabled()], [true, false]);
      await on.uncheck();
      assert.deepEqual(await consented.locator(".rekindle-changes li").allTextContents(), ["Text messages (SMS): off."]);
    }],

    ["a save refused (403) or failed (500) is an alert, not a status; a later save that works removes it", async ({ open }) => {
      const answers = [403, 500, 200];
      const { page, pageErrors } = await openForm(open, "t=x", {
        route: endpoint((request) => request.method() === "POST" ? { status: answers.shift(), body: {} } : { status: 200, body: CHOICES }),
      });
      await page.getByLabel("Tips and guides").check();
      const save = page.getByRole("button", { name: "Save preferences" });
      await save.click();
      await page.getByRole("alert").filter({ hasText: "expired or is not valid" }).waitFor();
      assert.equal(await page.getByRole("status").textContent(), "", "the error is not in the polite status");
      await save.click();
      await page.getByRole("alert").filter({ hasText: "could not be saved" }).waitFor();
      assert.deepEqual(await page.getByRole("alert").allTextContents(),
        ["Your preferences could not be saved. Please try again."], "one alert at a time");
      await save.click();
      await page.getByRole("status").filter({ hasText: "Your preferences are saved." }).waitFor();
      assert.equal(await page.getByRole("alert").count(), 0, "a save that works removes the alert");
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["a bad or expired link shows an alert and no form; a server error says to try again", async ({ open }) => {
      const bad = await openForm(open, "t=forged");
      assert.match(await bad.page.getByRole("alert").textContent(), /expired or is not valid/);
      assert.equal(await bad.page.locator("rekindle-preferences form").count(), 0);
      const down = await openForm(open, "t=x", { route: endpoint(() => ({ status: 503, body: {} })) });
      assert.match(await down.page.getByRole("alert").textContent(), /could not be loaded/);
      const odd = await openForm(open, "t=x", { route: endpoint(() => ({ status: 200, body: { topics: "all" } })) });
      assert.match(await odd.page.getByRole("alert").textContent(), /could not be loaded/);
    }],

    ["a load or save that fails tells the developer (rekindle-preferences-error, one console warning without the token) and the visitor can try again", async ({ open }) => {
      let up = false;
      const { page, pageErrors, consoleMessages } = await openForm(open, "t=secret-token", {
        initScript: () => document.addEventListener("rekindle-preferences-error", (e) => (window.__errors ??= []).push(e.detail)),
        route: (p) => p.route((url) => url.pathname === "/demo-api/preferences", async (route) => {
          if (!up) return route.fulfill({ status: 503, contentType: "text/plain", body: "down" });
          if (route.request().method() === "POST") return route.abort("internetdisconnected");
          return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(CHOICES) });
        }),
      });
      assert.match(await page.getByRole("alert").textContent(), /could not be loaded/);
      assert.deepEqual(await page.evaluate(() => window.__errors),
        [{ action: "load", reason: "http", status: 503, message: "HTTP 503" }]);
      const warnings = consoleMessages.filter((m) => m.type === "warning").map((m) => m.text);
      assert.deepEqual(warnings, ["rekindle: <rekindle-preferences> could not load http://127.0.0.1:" +
        `${new URL(page.url()).port}/demo-api/preferences: HTTP 503`], "the endpoint is named, the token never");
      assert.deepEqual(await axeViolations(page), [], "the failure and its Try again button");
      // The network is back: the visitor tries again from the keyboard, without reloading the page.
      up = true;
      const retry = page.getByRole("button", { name: "Try again" });
      await retry.focus();
      await page.keyboard.press("Enter");
      await page.waitForSelector("rekindle-preferences form");
      assert.equal(await page.evaluate(() => document.activeElement.name), "topic", "focus moves into the form it brought");
      // Offline when saving: an alert for the visitor, an event for the developer; the choices stay in the form.
      await page.getByLabel("Tips and guides").check();
      await page.getByRole("button", { name: "Save preferences" }).click();
      await page.getByRole("alert").filter({ hasText: "could not be saved" }).waitFor();
      const last = await page.evaluate(() => window.__errors.at(-1));
      assert.deepEqual({ ...last, message: undefined }, { action: "save", reason: "network", status: null, message: undefined });
      assert.equal(await page.getByLabel("Tips and guides").isChecked(), true);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["a save in flight is not sent twice: Enter or a second submit while saving does nothing", async ({ open }) => {
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      let posts = 0;
      const { page, pageErrors } = await openForm(open, "t=x", {
        route: (p) => p.route((url) => url.pathname === "/demo-api/preferences", async (route) => {
          if (route.request().method() !== "POST") {
            return route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(CHOICES) });
          }
          posts += 1;
          await held;
          return route.fulfill({ status: 200, contentType: "application/json", body: "{}" });
        }),
      });
      await page.getByLabel("Tips and guides").check();
      await page.getByRole("button", { name: "Save preferences" }).click();
      await page.focus("input[name=pause]");
      await page.keyboard.press("Enter");
      await page.evaluate(() => document.querySelector("rekindle-preferences form").requestSubmit());
      await page.waitForTimeout(200);
      release();
      await page.getByRole("status").filter({ hasText: "Your preferences are saved." }).waitFor();
      assert.equal(posts, 1);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["topic labels and the contact from the server are text, never markup", async ({ open }) => {
      const xss = "<img src=x onerror=\"window.__xss = 1\">";
      const { page, pageErrors } = await openForm(open, "t=x", {
        route: endpoint(() => ({ status: 200, body: { ...CHOICES, contact: xss, topics: [{ id: "a\"><b>", label: xss, subscribed: true }] } })),
      });
      assert.equal(await page.locator("rekindle-preferences img, rekindle-preferences b").count(), 0);
      assert.match(await page.textContent("rekindle-preferences label:has(input[name=topic])"), /<img src=x/);
      await page.getByLabel(xss).uncheck();
      assert.match(await page.textContent(".rekindle-changes"), /You will stop receiving: <img/);
      assert.equal(await page.evaluate(() => window.__xss), undefined);
      assert.deepEqual(pageErrors.map(String), []);
    }],

    ["Polish texts from ?lang=pl, and from the browser's language when the page does not say", async ({ open }) => {
      const { page } = await openForm(open, "t=demo&lang=pl");
      assert.equal(await page.evaluate(() => document.documentElement.lang), "pl");
      assert.equal(await page.textContent("h1"), "Preferencje wiadomości");
      assert.ok(await page.getByRole("group", { name: "Jak często" }).isVisible());
      assert.ok(await page.getByRole("button", { name: "Zapisz preferencje" }).isVisible());
      const browser = await openForm(open, "t=demo", {
        initScript: () => Object.defineProperty(Navigator.prototype, "languages", { get: () => ["pl-PL", "pl"] }),
      });
      assert.equal(await browser.page.textContent("h1"), "Preferencje wiadomości");
      assert.ok(await browser.page.getByRole("group", { name: "Tematy" }).isVisible());
    }],

    ["keyboard order follows the form, and a pause date in the past is an announced error that keeps focus", async ({ open }) => {
      const { page } = await openForm(open, "t=x", { route: endpoint(() => ({ status: 200, body: CHOICES })) });
      await page.locator("a[data-lang=pl]").focus();
      const order = [];
      for (let i = 0; i < 14; i++) {
        await page.keyboard.press("Tab");
        order.push(await page.evaluate(() => {
          const el = document.activeElement;
          return el.name || el.textContent.trim() || el.tagName;
        }));
      }
      const firstOf = (name) => order.indexOf(name);
      assert.ok(firstOf("topic") < firstOf("frequency") && firstOf("frequency") < firstOf("channel") &&
        firstOf("channel") < firstOf("pause") && firstOf("pause") < firstOf("all") && firstOf("all") < firstOf("Save preferences"),
      `tab order: ${order.join(" → ")}`);
      await page.fill("input[name=pause]", "2001-01-01");
      await page.getByRole("button", { name: "Save preferences" }).click();
      assert.equal(await page.getByRole("alert").textContent(), "Choose a date after today.");
      assert.equal(await page.getAttribute("input[name=pause]", "aria-invalid"), "true");
      assert.equal(await page.evaluate(() => document.activeElement.name), "pause");
    }],

    ["'Your data' shows the consent record, the right to withdraw and the privacy link; a bad record or a javascript: link is refused (D27)", async ({ open }) => {
      const consents = [{ purpose: "email_marketing", granted: true, at: Date.UTC(2026, 2, 3, 9) },
        { purpose: "partner_offers", granted: false, at: Date.UTC(2026, 5, 12, 9) }];
      const { page } = await openForm(open, "t=x&lang=en", { route: endpoint(() => ({ status: 200, body: { ...CHOICES, consents } })) });
      const data = page.getByRole("region", { name: "Your data" });
      assert.deepEqual(await data.locator(".rekindle-consents li").allTextContents(),
        ["Marketing emails: you agreed on March 3, 2026.", "partner_offers: you withdrew your consent on June 12, 2026."]);
      assert.match(await data.textContent(), /withdraw your consent at any time, as easily as you gave it/);
      assert.equal(await data.getByRole("link").count(), 0, "no privacy attribute, no link");
      // The element re-reads its attributes when it is connected again.
      const remount = (privacy) => page.evaluate((value) => {
        const old = document.querySelector("rekindle-preferences");
        const fresh = old.cloneNode(false);
        fresh.setAttribute("privacy", value);
        old.replaceWith(fresh);
      }, privacy);
      await remount("/privacy#marketing");
      await page.waitForSelector("rekindle-preferences form");
      const link = page.getByRole("region", { name: "Your data" }).getByRole("link", { name: "privacy policy" });
      assert.equal(await link.getAttribute("href"), new URL("/privacy#marketing", page.url()).href);
      const warnings = [];
      page.on("console", (m) => { if (m.type() === "warning") warnings.push(m.text()); });
      await remount("javascript:alert(1)");
      await page.waitForSelector("rekindle-preferences form");
      assert.equal(await page.locator("rekindle-preferences a").count(), 0, "a javascript: URL is never a link");
      assert.ok(warnings.some((w) => w.includes("privacy> must be an http(s) or relative URL")), warnings.join("\n"));
      // A record that is not [{ purpose, granted, at }] is a load failure, never half a form.
      const bad = await openForm(open, "t=x&lang=en", { route: endpoint(() => ({ status: 200, body: { ...CHOICES, consents: [{ purpose: "email_marketing", granted: "yes", at: 1 }] } })) });
      assert.equal(await bad.page.getByRole("alert").textContent(), "Your preferences could not be loaded. Check your connection and try again.");
    }],

    ["axe-core finds no violations on the preference page (en, pl) and the demo page; screenshots taken", async ({ open }) => {
      await mkdir(SHOTS, { recursive: true });
      for (const lang of ["en", "pl"]) {
        const { page } = await openForm(open, `t=demo&lang=${lang}`);
        await page.getByLabel(lang === "en" ? "At most once a month" : "Najwyżej raz w miesiącu").check();
        await page.screenshot({ path: join(SHOTS, `preferences-${lang}.png`), fullPage: true });
        assert.deepEqual(await axeViolations(page), [], `preference page (${lang})`);
      }
      const { page } = await open("/www/");
      await page.waitForFunction(() => document.documentElement.dataset.rekindle === "ready");
      await page.screenshot({ path: join(SHOTS, "demo.png"), fullPage: true });
      assert.deepEqual(await axeViolations(page), [], "demo page");
    }],
  ];
}
