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
    await page.getByRole("button", { name: "Accept both" }).click();
    await nav.getByRole("link", { name: "Blog" }).click();
    await page.getByRole("link", { name: "Why intent scores should decay" }).click();
    for (let i = 0; i < 2; i++) {
      await nav.getByRole("link", { name: "Pricing" }).click();
      await nav.getByRole("link", { name: "Home" }).click();
    }
    assert.equal(await page.textContent("#readiness"), "warm");
    assert.equal(await cta(page), "comparison");
    assert.ok(await page.getByRole("link", { name: "Compare the plans side by side" }).isVisible());
    await nav.getByRole("link", { name: "Book a demo" }).click();
    await page.getByLabel("Your role").selectOption("CMO");
    await page.getByLabel("Company size (employees)").fill("120");
    await page.getByLabel("Work email").fill("ada@example.com");
    await page.getByRole("button", { name: "Request a demo" }).click();
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
  }]];
}
