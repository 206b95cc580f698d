// The demo product site (www/site.html) wired with the npm package as a site would: a visitor's journey moves the
// CTA through the playbook's stages, consent decides what persists, "forget me" clears it (issue 6: D17, D25, D43).
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { axeViolations } from "./axe.mjs";

const SHOTS = join(fileURLToPath(new URL("../..", import.meta.url)), "target", "screenshots");
const cta = (page) => page.getAttribute("rekindle-cta", "data-rekindle-cta-id");

export function siteTests() {
  return [["the demo site: blog → pricing twice → demo form turns the CTA from checklist to comparison to book_demo; consent keeps it, forget me clears it", async ({ open }) => {
    const { page, pageErrors, consoleMessages } = await open("/www/site.html");
    await page.waitForFunction(() => document.documentElement.dataset.site === "ready");
    const nav = page.getByRole("navigation", { name: "Main" });
    assert.equal(await cta(page), "checklist");
    await page.evaluate(() => { window.sameDocument = true; });
    await page.getByRole("button", { name: "Accept both" }).click();
    await nav.getByRole("link", { name: "Blog" }).click();
    await page.getByRole("link", { name: "Why intent scores should decay" }).click();
    for (let i = 0; i < 2; i++) {
      await nav.getByRole("link", { name: "Pricing" }).click();
      await nav.getByRole("link", { name: "Home" }).click();
    }
    assert.equal(new URL(page.url()).pathname, "/www/site.html");
    assert.equal(await page.evaluate(() => window.sameDocument), true, "without the edge Worker, links move with the History API");
    assert.equal(await page.textContent("#readiness"), "warm");
    assert.equal(await cta(page), "comparison");
    assert.ok(await page.getByRole("link", { name: "Compare the plans side by side" }).isVisible());
    await nav.getByRole("link", { name: "Book a demo" }).click();
    await page.getByLabel("Your role").selectOption("CMO");
    await page.getByLabel("Company size (employees)").fill("120");
    await page.getByLabel("Work email").fill("ada@example.com");
    await page.getByRole("button", { name: "Request a demo" }).click();
    assert.equal(new URL(page.url()).pathname, "/demo");
    assert.equal(await page.evaluate(() => window.sameDocument), true, "the form stays on the page");
    assert.equal(await page.textContent("#demo-thanks"), "Thanks! We will be in touch.");
    assert.equal(await page.textContent("#readiness"), "hot");
    assert.equal(await cta(page), "book_demo");
    const stored = await page.evaluate(() => localStorage.getItem("rekindle"));
    assert.ok(stored && !stored.includes("ada@"), "the state is stored, without the email");
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, "site.png"), fullPage: true });
    assert.deepEqual(await axeViolations(page), []);

    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.site === "ready");
    assert.equal(await page.textContent("#readiness"), "hot", "a returning visitor keeps the history");
    assert.equal(await page.isVisible(".consent-banner"), false);

    await page.getByRole("button", { name: "Forget me" }).click();
    assert.equal(await page.textContent("#intent"), "0.0");
    assert.equal(await cta(page), "checklist");
    assert.equal(await page.evaluate(() => localStorage.getItem("rekindle")), null);
    assert.ok(await page.isVisible(".consent-banner"));
    assert.deepEqual(pageErrors.map(String), []);
    assert.deepEqual(consoleMessages.filter((m) => m.type === "warning" || m.type === "error"), []);
  }],

  ["the demo site's pages are real paths: a typed URL, Back, an old #/ link and the demo form's POST (no JS) all land on the right section", async ({ open }) => {
    const { page, pageErrors, baseUrl } = await open("/pricing");
    await page.waitForFunction(() => document.documentElement.dataset.site === "ready");
    assert.ok(await page.getByRole("heading", { name: "Pricing", level: 1 }).isVisible());
    assert.equal(await page.getByRole("link", { name: "Pricing" }).getAttribute("aria-current"), "page");
    assert.equal(await page.isVisible("#home-title"), false);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Blog" }).click();
    await page.getByRole("link", { name: "Lead scoring 101" }).click();
    assert.equal(new URL(page.url()).pathname, "/blog/lead-scoring-101");
    assert.ok(await page.getByRole("heading", { name: "Blog", level: 1 }).isVisible());
    await page.goBack();
    await page.goBack();
    assert.equal(new URL(page.url()).pathname, "/pricing");
    assert.ok(await page.getByRole("heading", { name: "Pricing", level: 1 }).isVisible());
    await page.goto(new URL("/www/site.html#/blog/mql-vs-sql", baseUrl).href);
    await page.waitForFunction(() => location.pathname === "/blog/mql-vs-sql" && document.documentElement.dataset.site === "ready");
    assert.ok(await page.getByRole("heading", { name: "Blog", level: 1 }).isVisible(), "an old hash link shows its page");
    assert.deepEqual(pageErrors.map(String), []);

    for (const path of ["/blog", "/blog/decay-explained", "/pricing", "/integrations", "/demo"]) {
      const response = await fetch(new URL(path, baseUrl));
      assert.equal(response.status, 200, path);
      assert.match(await response.text(), /<title>Acme Analytics<\/title>/, path);
    }
    assert.equal((await fetch(new URL("/pricing/enterprise", baseUrl))).status, 404, "only the site's pages");
    const posted = await fetch(new URL("/demo", baseUrl), { method: "POST", body: "email=a%40example.com", redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(posted.status, 303, "the origin accepts the demo form (the edge Worker then records it)");
    assert.equal(posted.headers.get("location"), "/demo?requested");
  }]];
}
