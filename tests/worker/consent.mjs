// The consent gate for the state cookie (examples/cloudflare-worker/src/consent.js), in workerd: with no consent
// var (the shipped default) no state cookie is read or written; Sec-GPC: 1 always wins and deletes one; with
// CONSENT_COOKIE the site's consent cookie decides (accepted: read and write, another value: delete, none: neither);
// CONSENT_REQUIRED = "false" is the operator's explicit opt-out. Without consent the page still gets a CTA, chosen
// from this request alone.
import assert from "node:assert/strict";

const STATE = "__Host-rk";
const DELETED = /^__Host-rk=; Path=\/; Max-Age=0; Secure; HttpOnly; SameSite=Lax$/;

/** GET `path` as a browser with `cookies` ({ name: value }) and extra headers. */
async function page(mf, SITE, path, cookies = {}, headers = {}) {
  const cookie = Object.entries(cookies).map(([name, value]) => `${name}=${value}`).join("; ");
  const response = await mf.dispatchFetch(`${SITE}${path}`, { headers: { accept: "text/html", ...(cookie ? { cookie } : {}), ...headers } });
  const body = await response.text();
  const set = response.headers.get("set-cookie");
  return { status: response.status, set, state: set?.match(/^__Host-rk=([^;]+)/)?.[1] ?? null,
    cta: body.match(/data-rekindle-cta-id="([^"]+)"/)?.[1] ?? null };
}

/** A state cookie two pricing visits warm (the "comparison" CTA), made by a Worker that needs no consent. */
async function warmCookie(mf, SITE) {
  const first = await page(mf, SITE, "/pricing");
  const second = await page(mf, SITE, "/pricing", { [STATE]: first.state });
  assert.equal(second.cta, "comparison");
  return second.state;
}

export function consentTests({ SITE }) {
  return [
    ["with no consent var (the default) no state cookie is written or read, and each page still gets its CTA from itself", async ({ mf, restart }) => {
      const warm = await warmCookie(mf, SITE);
      const strict = await restart(undefined, { CONSENT_REQUIRED: undefined });
      const fresh = await page(strict, SITE, "/pricing");
      assert.equal(fresh.set, null, "no Set-Cookie without a consent signal");
      assert.equal(fresh.cta, "comparison", "classified from this request: a pricing page view");
      const returning = await page(strict, SITE, "/integrations", { [STATE]: warm });
      assert.equal(returning.cta, "checklist", "the state cookie is not read without consent");
      assert.equal(returning.set, null, "nor rewritten, nor deleted: nobody declined");
      const health = await (await strict.dispatchFetch(`${SITE}/api/health`)).json();
      assert.equal(health.status, "ok");
      assert.equal(health.consent.mode, "none");
      assert.equal(health.cookies.opened, 0);
    }],

    ["Sec-GPC: 1 wins even where no consent is required: no state cookie, an existing one deleted and not read, forms not recorded", async ({ mf }) => {
      const warm = await warmCookie(mf, SITE);
      const gpc = { "sec-gpc": "1" };
      const returning = await page(mf, SITE, "/integrations", { [STATE]: warm }, gpc);
      assert.match(returning.set ?? "", DELETED);
      assert.equal(returning.cta, "checklist", "the history in the cookie is not used");
      assert.equal((await page(mf, SITE, "/pricing", {}, gpc)).set, null, "no cookie to delete, none written");
      const posted = await mf.dispatchFetch(`${SITE}/demo`, { method: "POST", body: "email=a%40example.com",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: `${STATE}=${warm}`, ...gpc } });
      await posted.text();
      assert.match(posted.headers.get("set-cookie") ?? "", DELETED, "a form post deletes it too, and records nothing");
      assert.equal((await page(mf, SITE, "/integrations", { [STATE]: warm })).cta, "comparison", "without GPC the cookie is used");
    }],

    ["CONSENT_COOKIE: no state cookie until the site's consent cookie says accepted; another value deletes it", async ({ restart }) => {
      const mf = await restart(undefined, { CONSENT_REQUIRED: undefined, CONSENT_COOKIE: "acme_consent=yes" });
      const asked = await page(mf, SITE, "/pricing");
      assert.equal(asked.set, null, "not asked yet: nothing stored");
      const yes = { acme_consent: "yes" };
      const first = await page(mf, SITE, "/pricing", yes);
      assert.match(first.set ?? "", /^__Host-rk=c1\./, "accepted: the state cookie is written");
      const second = await page(mf, SITE, "/integrations", { ...yes, [STATE]: first.state });
      assert.equal(second.cta, "comparison", "and read: two pricing-page visits");
      const declined = await page(mf, SITE, "/integrations", { acme_consent: "no", [STATE]: second.state });
      assert.match(declined.set ?? "", DELETED);
      assert.equal(declined.cta, "checklist");
      const lapsed = await page(mf, SITE, "/integrations", { [STATE]: second.state });
      assert.deepEqual([lapsed.set, lapsed.cta], [null, "checklist"], "no consent cookie: the state cookie is not read");
      const health = await (await mf.dispatchFetch(`${SITE}/api/health`)).json();
      assert.deepEqual([health.consent.mode, health.consent.name, health.consent.accepted], ["cookie", "acme_consent", "yes"]);
      assert.deepEqual(health.consent.requests, { granted: 2, unknown: 2, declined: 1, gpc: 0 });
    }],

    ["a consent cookie sent as a quoted string (acme_consent=\"yes\", RFC 6265 §4.1.1) is the value inside the quotes: accepted, not declined", async ({ restart }) => {
      const mf = await restart(undefined, { CONSENT_REQUIRED: undefined, CONSENT_COOKIE: "acme_consent=yes" });
      const quoted = await page(mf, SITE, "/pricing", { acme_consent: '"yes"' });
      assert.match(quoted.set ?? "", /^__Host-rk=c1\./, "accepted: the state cookie is written, not deleted");
      const again = await page(mf, SITE, "/integrations", { acme_consent: '"yes"', [STATE]: `"${quoted.state}"` });
      assert.equal(again.cta, "comparison", "a quoted state cookie opens too: two pricing-page visits");
      assert.match((await page(mf, SITE, "/pricing", { acme_consent: '"no"', [STATE]: quoted.state })).set ?? "", DELETED);
    }],

    ["two consent cookies of the same name that disagree (set on the domain and on the host) are no consent: the state cookie is deleted, not kept", async ({ restart }) => {
      // A browser sends both cookies, the older first when their paths are equal (RFC 6265 §5.4): a visitor who
      // accepted on one banner version and later declined on another sends "yes" then "no".
      const mf = await restart(undefined, { CONSENT_REQUIRED: undefined, CONSENT_COOKIE: "acme_consent=yes" });
      const first = await page(mf, SITE, "/pricing", { acme_consent: "yes" });
      const cookie = (values) => values.map((v) => `acme_consent=${v}`).join("; ");
      for (const values of [["yes", "no"], ["no", "yes"]]) {
        const response = await mf.dispatchFetch(`${SITE}/integrations`, { headers: { accept: "text/html",
          cookie: `${cookie(values)}; ${STATE}=${first.state}` } });
        const body = await response.text();
        assert.match(response.headers.get("set-cookie") ?? "", DELETED, values.join(" then "));
        assert.equal(body.match(/data-rekindle-cta-id="([^"]+)"/)?.[1], "checklist", "the state cookie is not read");
      }
      const agreed = await mf.dispatchFetch(`${SITE}/integrations`, { headers: { accept: "text/html",
        cookie: `${cookie(["yes", "yes"])}; ${STATE}=${first.state}` } });
      assert.equal((await agreed.text()).match(/data-rekindle-cta-id="([^"]+)"/)?.[1], "comparison", "the same answer twice is consent");
    }],

    ["a consent var that does not parse keeps the gate closed and says so on /api/health", async ({ restart }) => {
      const mf = await restart(undefined, { CONSENT_REQUIRED: undefined, CONSENT_COOKIE: "acme_consent" });
      assert.equal((await page(mf, SITE, "/pricing", { acme_consent: "yes" })).set, null);
      const health = await (await mf.dispatchFetch(`${SITE}/api/health`)).json();
      assert.equal(health.status, "degraded");
      assert.match(health.problems[0], /^CONSENT_COOKIE must be "<cookie name>=<accepted value>" .*got "acme_consent"; no state cookie is written$/);
    }],
  ];
}
