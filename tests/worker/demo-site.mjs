// The demo as `npm start` runs it: the example Worker in workerd in front of the static server (scripts/serve.mjs)
// serving the demo site (www/site.html, real paths /blog/<post>, /pricing, /demo), with the site's consent cookie
// as CONSENT_COOKIE. Chromium walks the README's edge journey with full page loads — clicked links (behind the
// Worker, site.js lets them load) and a typed URL — and reads the CTA the Worker injected into each page's HTML as
// it arrived (not the widget's later state): checklist → comparison → case_study (the SQL stage's CTA; the edge
// knows no fit, so only the demo request's direct route to SQL gets it past comparison).
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { startServer } from "../../scripts/serve.mjs";
import { startWorker } from "../../scripts/worker.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"];
// npm start's consent setup (scripts/start.mjs): no state cookie until the banner's acme_consent=yes.
const CONSENT = { CONSENT_REQUIRED: undefined, CONSENT_COOKIE: "acme_consent=yes" };

const injected = (html) => html.match(/<rekindle-cta[^>]*\sdata-rekindle-cta-id="([^"]+)"/)?.[1] ?? null;

/** Runs `action` (a click, a submit) and resolves to the page document it loads: { url, status, cta } as served. */
async function loads(page, action) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().resourceType() === "document" && r.request().method() === "GET" && r.status() === 200),
    action(),
  ]);
  await page.waitForLoadState("domcontentloaded");
  return { url: new URL(response.url()), cta: injected(await response.text()) };
}

export function demoSiteTests({ exampleOptions }) {
  return [
    ["npm start's demo in Chromium: blog → pricing ×2 → demo form through the Worker, each a full page load, injects checklist → comparison → case_study (SQL); a typed URL keeps it; declined consent keeps nothing", async ({ bundle, origin }) => {
      const server = await startServer({ port: 0 });
      const mf = await startWorker(bundle, exampleOptions(origin, undefined, server.url, true, CONSENT));
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      try {
        const edge = new URL(await mf.ready).origin;
        const context = await browser.newContext();
        const page = await context.newPage();
        const errors = [];
        page.on("pageerror", (error) => errors.push(String(error)));
        const nav = page.getByRole("navigation", { name: "Main" });
        const home = await page.goto(`${edge}/www/site.html`);
        assert.equal(injected(await home.text()), "checklist", "a new visitor");
        await page.waitForFunction(() => document.documentElement.dataset.site === "ready");
        await page.getByRole("button", { name: "Accept both" }).click();

        const steps = [];
        const step = async (label, action) => {
          const shown = await loads(page, action);
          steps.push(`${label} ${shown.url.pathname}${shown.url.search} ${shown.cta}`);
          return shown;
        };
        await step("click", () => nav.getByRole("link", { name: "Blog" }).click());
        await step("click", () => page.getByRole("link", { name: "Why intent scores should decay" }).click());
        await step("click", () => nav.getByRole("link", { name: "Pricing" }).click());
        await step("click", () => nav.getByRole("link", { name: "Pricing" }).click());
        await step("click", () => nav.getByRole("link", { name: "Book a demo" }).click());
        await page.getByLabel("Your role").selectOption("Software Engineer");
        await page.getByLabel("Work email").fill("ada@example.com");
        await step("submit", () => page.getByRole("button", { name: "Request a demo" }).click());
        const typed = await page.goto(`${edge}/blog/mql-vs-sql`);
        steps.push(`typed /blog/mql-vs-sql ${injected(await typed.text())}`);
        assert.deepEqual(steps, [
          "click /blog checklist",
          "click /blog/decay-explained checklist",
          "click /pricing comparison",
          "click /pricing comparison",
          "click /demo comparison",
          "submit /demo?requested case_study",
          "typed /blog/mql-vs-sql case_study",
        ]);
        await page.waitForFunction(() => document.documentElement.dataset.site === "ready");
        assert.equal(await page.getAttribute("rekindle-cta", "data-rekindle-cta-id"), "case_study", "the widget adopts what the edge injected");
        assert.ok(await page.getByRole("link", { name: "read the case study" }).isVisible());
        const cookies = Object.fromEntries((await context.cookies()).map((c) => [c.name, c]));
        assert.equal(cookies.acme_consent?.value, "yes");
        assert.ok(cookies["__Host-rk"]?.httpOnly, "the Worker's state cookie, written after consent");
        assert.deepEqual(errors, []);

        // Declined: each page is classified from itself; the Worker keeps no history.
        const declined = await browser.newContext();
        const other = await declined.newPage();
        await other.goto(`${edge}/www/site.html`);
        await other.waitForFunction(() => document.documentElement.dataset.site === "ready");
        await other.getByRole("button", { name: "Decline" }).click();
        const otherNav = other.getByRole("navigation", { name: "Main" });
        assert.equal((await loads(other, () => otherNav.getByRole("link", { name: "Pricing" }).click())).cta, "comparison");
        assert.equal((await loads(other, () => otherNav.getByRole("link", { name: "Pricing" }).click())).cta, "comparison");
        assert.equal((await loads(other, () => otherNav.getByRole("link", { name: "Integrations" }).click())).cta, "checklist");
        assert.equal((await declined.cookies()).some((c) => c.name === "__Host-rk"), false);
        // The Worker's CTA markup (src/site.js) links the site's real paths: one page load through the Worker.
        await other.getByRole("link", { name: "Get the 10-point checklist" }).click();
        await other.waitForURL(`${edge}/blog/decay-explained`);
        assert.ok(await other.getByRole("heading", { name: "Blog", level: 1 }).isVisible());
      } finally {
        await browser.close();
        await mf.dispose();
        await server.close();
      }
    }],

    ["Back restores a classified page from Chromium's back/forward cache (private, no-cache; no-store would bar it): no second request, no page view counted", async ({ bundle, origin }) => {
      const server = await startServer({ port: 0 });
      const mf = await startWorker(bundle, exampleOptions(origin, undefined, server.url, true, CONSENT));
      // Playwright turns the back/forward cache off by default (--disable-back-forward-cache); a visitor's browser has it.
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
        ignoreDefaultArgs: ["--disable-back-forward-cache"] });
      try {
        const edge = new URL(await mf.ready).origin;
        const page = await (await browser.newContext()).newPage();
        await page.addInitScript(() => {
          window.__pageshows = [];
          addEventListener("pageshow", (event) => window.__pageshows.push(event.persisted));
        });
        const documents = [];
        page.on("request", (request) => { if (request.resourceType() === "document") documents.push(new URL(request.url()).pathname); });
        const first = await page.goto(`${edge}/pricing`);
        assert.equal(first.headers()["cache-control"], "private, no-cache");
        await page.waitForFunction(() => document.documentElement.dataset.site === "ready");
        await loads(page, () => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Blog" }).click());
        await page.goBack({ waitUntil: "commit" }); // a restored page fires pageshow, not load
        // Restored: the same window, a second pageshow (persisted). Loaded again: a new window, one pageshow.
        await page.waitForFunction(() => document.readyState === "complete" && window.__pageshows?.length > 0);
        assert.deepEqual(await page.evaluate(() => window.__pageshows), [false, true], "restored, not loaded again");
        assert.deepEqual(documents, ["/pricing", "/blog"], "Back sent no request to the Worker");
      } finally {
        await browser.close();
        await mf.dispose();
        await server.close();
      }
    }],
  ];
}
